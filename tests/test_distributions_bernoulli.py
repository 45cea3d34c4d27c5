"""autograd.distributions.Bernoulli: probs= or logits=, PyTorch's numbers (log_prob, entropy,
mean, variance) in float32 and float64, logits of ±1000 without overflow, gradients by central
differences, draws' frequencies, the checks of probs and of values."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Bernoulli
from distributions_helpers import DTYPES, assert_draws_match, check_gradients, compare_with_torch
from torch_helpers import needs_torch

MOMENTS = ("mean", "variance", "entropy", "probs", "logits")


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    values = rng.integers(0, 2, (5, 2, 3)).astype(np.float64)
    compare_with_torch("Bernoulli", dtype, dict(probs=rng.uniform(0.05, 0.95, (2, 3))),
                       values=values, methods=MOMENTS)
    compare_with_torch("Bernoulli", dtype, dict(logits=rng.normal(0, 3, (2, 3))),
                       values=values, methods=MOMENTS)
    # 0-d, and probabilities of exactly 0 and 1 (PyTorch clamps them for the logits)
    compare_with_torch("Bernoulli", dtype, dict(probs=np.array(0.3)), values=[0.0, 1.0],
                       methods=MOMENTS)
    compare_with_torch("Bernoulli", dtype, dict(probs=[0.0, 1.0, 0.5]),
                       values=[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], methods=MOMENTS)


def test_logits_of_a_thousand_are_fine():
    logits = Tensor([1000.0, -1000.0, 1000.0, -1000.0], dtype="float64", requires_grad=True)
    d = Bernoulli(logits=logits)
    lp = d.log_prob(Tensor([1.0, 0.0, 0.0, 1.0], dtype="float64"))
    assert lp.tolist() == [0.0, 0.0, -1000.0, -1000.0]
    assert d.entropy().tolist() == [0.0, 0.0, 0.0, 0.0]
    lp.sum().backward()
    assert logits.grad.tolist() == [0.0, 0.0, -1.0, 1.0]            # x - sigmoid(logits)


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, (3, 4)).astype(float)
    check_gradients(lambda z: Bernoulli(logits=z).log_prob(x).sum(), rng.normal(0, 2, 4))
    check_gradients(lambda p: Bernoulli(probs=p).log_prob(x).sum(), rng.uniform(0.1, 0.9, 4))
    check_gradients(lambda z: Bernoulli(logits=z).entropy().sum(), rng.normal(0, 2, 4))
    check_gradients(lambda p: Bernoulli(probs=p).entropy().sum(), rng.uniform(0.1, 0.9, 4))


def test_draws_frequencies_dtype_and_no_graph():
    p = Tensor([0.1, 0.5, 0.97], requires_grad=True)
    autograd.manual_seed(0)
    draws = Bernoulli(probs=p).sample((20000,))
    assert draws.shape == (20000, 3) and draws.dtype == np.float32 and not draws.requires_grad
    assert set(np.unique(draws.numpy())) == {0.0, 1.0}
    assert_draws_match(draws.numpy(), p.data, p.data * (1 - p.data))
    with pytest.raises(AssertionError):                          # 0.5 -> 0.52 is told apart
        assert_draws_match(draws.numpy(), p.data + [0, 0.02, 0], p.data * (1 - p.data))
    with pytest.raises(NotImplementedError, match=r"Bernoulli\.rsample: Bernoulli has no "
                                                  r"reparameterised draw"):
        Bernoulli(probs=p).rsample()


def test_checks_of_arguments_and_values():
    with pytest.raises(ValueError, match=r"^Bernoulli: give either probs= or logits=, not both "
                                         r"\(got both\)$"):
        Bernoulli(probs=0.5, logits=0.0)
    with pytest.raises(ValueError, match=r"got neither"):
        Bernoulli()
    with pytest.raises(ValueError, match=r"^Bernoulli: probs must be in \[0, 1\]; got -0\.25 at "
                                         r"index \(0, 1\) of probs \(shape \(1, 2\)\)$"):
        Bernoulli(probs=Tensor([[0.5, -0.25]]))
    with pytest.raises(ValueError, match=r"Bernoulli\.log_prob: value must be 0 or 1 "
                                         r"\(Bernoulli's support\); got 0\.5 at index \(1,\)"):
        Bernoulli(probs=0.3).log_prob(Tensor([1.0, 0.5]))
    assert repr(Bernoulli(logits=0.0)) == "Bernoulli(logits: 0.0)"
