"""Helpers for the tests of nn/optim/lr_scheduler/ (tests/test_lr_scheduler_*.py)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd import Tensor, Value
from nn.optim import SGD, Adam, lr_scheduler

from reference import assert_matches

BASE_LRS = (1.0, 0.3)


def two_group_sgd(lrs=BASE_LRS):
    return SGD([{"params": [Value(0.0)], "lr": lrs[0]}, {"params": [Value(0.0)], "lr": lrs[1]}])


def lrs_over(scheduler, epochs):
    """The lrs of every group at epochs 0 .. epochs-1 (each read before the epoch's step)."""
    seen = []
    for _ in range(epochs):
        lrs = [g["lr"] for g in scheduler.optimizer.param_groups]
        assert scheduler.get_last_lr() == lrs
        seen.append(lrs)
        scheduler.optimizer.step()
        scheduler.step()
    return seen


def _opt():
    return Adam([Tensor([1.0], requires_grad=True)], lr=0.1)


def _sgd():
    return SGD([Value(0.0)], lr=0.1, momentum=0.9)


R = math.sqrt(0.5)                      # cos(π/4)


def _lr_and_momentum_over(module, optimizer, make, epochs=None, steps=30):
    scheduler = make(module, optimizer)
    lrs, momenta = [], []
    for k in range(steps if epochs is None else len(epochs)):
        lrs.append(list(scheduler.get_last_lr()))
        momenta.append([g["betas"][0] if "betas" in g else g["momentum"]
                        for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step(*([] if epochs is None else [epochs[k]]))
    return {"lr": np.array(lrs, np.float64), "momentum": np.array(momenta, np.float64)}


def _both(torch, kind):
    groups = [(1.0, Value(0.0), torch.zeros(1, requires_grad=True)),
              (0.3, Value(0.0), torch.zeros(1, requires_grad=True))]
    ours = [{"params": [v], "lr": lr} for lr, v, _ in groups]
    theirs = [{"params": [t], "lr": lr} for lr, _, t in groups]
    if kind == "sgd":
        return SGD(ours, lr=0.1, momentum=0.9), torch.optim.SGD(theirs, lr=0.1, momentum=0.9)
    return Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)


def pytorch_cases(table):
    """pytest's parameters for a table of schedules (name -> make(module, optimizer)) checked
    against PyTorch: (name, "sgd"), and (name, "adam") too for a name ending in -adam."""
    return [(name, kind) for name in table
            for kind in (["sgd", "adam"] if name.endswith("-adam") else ["sgd"])]


def pytorch_case_id(case):
    return "-".join(case).replace("-adam-", "-")


def assert_matches_pytorch(make, kind):
    """The lrs and momenta of 30 steps of the schedule `make` builds, ours and PyTorch's, with
    the optimizer `kind` ("sgd" or "adam"): equal to the last bits."""
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    ours, theirs = _both(torch, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                    # PyTorch's step-order hints
        expected = _lr_and_momentum_over(torch.optim.lr_scheduler, theirs, make)
    assert_matches(_lr_and_momentum_over(lr_scheduler, ours, make), expected, rtol=1e-14, atol=0)
