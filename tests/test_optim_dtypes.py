"""An optimizer's per-parameter state follows its parameter's dtype: after `model.double()`
(or `.half()`, `.to(dtype)`) between steps, the state is cast at the next step, as
`load_state_dict` casts saved state. Adam's moments, SGD's momentum, ... stayed float32, so a
float64 model got updates computed from float32 state, silently."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nn
from autograd import Tensor, Value
from nn import optim

#: settings that give each optimizer all its state (momentum buffers, amsgrad's maxima, ...)
SETTINGS = {"SGD": dict(lr=0.1, momentum=0.9), "RMSprop": dict(momentum=0.9, centered=True),
            "Adam": dict(amsgrad=True), "AdamW": dict(amsgrad=True), "LBFGS": dict(max_iter=3),
            "Adagrad": dict(lr=0.1), "ASGD": dict(lr=0.1)}
# (SparseAdam steps only tables looked up with sparse=True, not this file's Linear: its
# casts and state_dict are tests/test_recsys_trial.py's)
OPTIMIZERS = [name for name in optim.__all__
              if name not in ("Optimizer", "lr_scheduler", "SparseAdam")]
X = np.random.default_rng(0).normal(size=(8, 3))


def make(name: str, model: nn.Module) -> optim.Optimizer:
    return getattr(optim, name)(model.parameters(), **SETTINGS.get(name, {}))


def train_step(optimizer: optim.Optimizer, model: nn.Module) -> None:
    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = (model(Tensor(X.astype(model.weight.dtype))) ** 2).mean()
        loss.backward()
        return loss
    optimizer.step(closure)


def state_dtypes(optimizer: optim.Optimizer) -> set:
    arrays = []
    for state in optimizer.state.values():
        for value in state.values():
            arrays += value if isinstance(value, list) else [value]
    return {a.dtype for a in arrays if isinstance(a, np.ndarray)}


def test_every_optimizer_is_checked():
    assert len(OPTIMIZERS) == 13 and "LBFGS" in OPTIMIZERS


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_follows_a_model_cast_to_float64_between_steps(name):
    """The step after model.double() is the one of an optimizer whose state was loaded after
    the cast (load_state_dict casts it, as PyTorch's does): float64 updates."""
    model = nn.Linear(3, 2)
    optimizer = make(name, model)
    for _ in range(2):
        train_step(optimizer, model)
    assert state_dtypes(optimizer) == {np.dtype(np.float32)}
    model.double()
    twin = copy.deepcopy(model)
    loaded = make(name, twin)
    loaded.load_state_dict(optimizer.state_dict())
    assert state_dtypes(loaded) == {np.dtype(np.float64)}
    train_step(optimizer, model)
    train_step(loaded, twin)
    assert state_dtypes(optimizer) == {np.dtype(np.float64)}
    for p, q in zip(model.parameters(), twin.parameters()):
        assert p.dtype == np.float64
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("cast", [lambda m: m.half(), lambda m: m.to("float64"),
                                  lambda m: m.type("torch.DoubleTensor")],
                         ids=["half", "to", "type"])
def test_state_follows_half_to_and_type(name, cast):
    model = nn.Linear(3, 2)
    optimizer = make(name, model)
    train_step(optimizer, model)
    cast(model)
    with np.errstate(all="ignore"):         # (float16's range: some optimizers overflow there)
        train_step(optimizer, model)
    assert model.weight.dtype != np.float32
    assert state_dtypes(optimizer) == {model.weight.dtype}


def test_value_parameters_keep_float_state():
    """A Value's state is Python floats: nothing to cast."""
    w = Value(2.0)
    optimizer = optim.Adam([w], lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        (w * w).backward()
        optimizer.step()
    assert all(isinstance(v, (int, float)) for v in optimizer.state[w].values())
