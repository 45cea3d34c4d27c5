"""autograd/sampled.py: PyTorch's diff, trapezoid, trapz and cumulative_trapezoid (made of
differentiable ops), and its constants torch.pi, e, inf and nan, after `import autograd as
torch`. Values against numpy's formulas, gradients against central differences in float64, and
both against live PyTorch where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
from autograd import Tensor, gradcheck
from torch_helpers import needs_torch, same_as_torch
from torch_helpers import torch as real_torch


def test_constants_are_pytorchs_floats():
    assert torch.pi == math.pi and torch.e == math.e and torch.inf == math.inf
    assert math.isnan(torch.nan)
    from autograd import pi                         # as `from torch import pi`
    assert pi == math.pi and "pi" in dir(torch)
    r = torch.tensor(2.0, requires_grad=True)
    area = torch.pi * r ** 2
    area.backward()
    assert r.grad == pytest.approx(4 * math.pi)


def test_diff_values_and_arguments():
    t = Tensor([1.0, 4.0, 9.0, 16.0])
    assert torch.diff(t).tolist() == [3.0, 5.0, 7.0]
    assert t.diff(n=2).tolist() == [2.0, 2.0] and torch.diff(t, n=0).tolist() == t.tolist()
    assert torch.diff(t, n=5).shape == (0,)
    m = Tensor(np.arange(12.0).reshape(3, 4) ** 2)
    np.testing.assert_array_equal(torch.diff(m, dim=0).data, np.diff(m.data, axis=0))
    ends = torch.diff(Tensor([1.0, 4.0]), prepend=Tensor([0.0]), append=Tensor([9.0, 10.0]))
    assert ends.tolist() == [1.0, 3.0, 5.0, 1.0]
    assert torch.diff(Tensor([1, 4, 9])).dtype == np.int64
    assert torch.diff(Tensor([True, True, False])).tolist() == [False, True]
    with pytest.raises(ValueError, match="0-d tensor has no neighbours"):
        torch.diff(Tensor(1.0))
    with pytest.raises(ValueError, match=r"prepend must have the input's shape \(3, 4\) "
                                         r"except along dim -1"):
        torch.diff(m, prepend=Tensor([0.0]))


def test_diff_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(3, 5)), requires_grad=True)
    assert gradcheck(lambda x: (torch.diff(x, n=2, dim=1) ** 2).sum(), x)
    a = Tensor(rng.normal(size=(1, 5)), requires_grad=True)
    assert gradcheck(lambda x, a: (torch.diff(x, dim=0, prepend=a) ** 3).sum(), (x, a))


def test_trapezoid_values():
    x = np.array([0.0, 1.0, 3.0, 6.0])
    y = np.arange(12.0).reshape(3, 4) ** 2
    expected = ((y[:, 1:] + y[:, :-1]) / 2 * np.diff(x)).sum(-1)
    np.testing.assert_allclose(torch.trapezoid(Tensor(y), Tensor(x)).data, expected)
    np.testing.assert_allclose(torch.trapz(Tensor(y), x).data, expected)      # an array x
    np.testing.assert_allclose(torch.trapezoid(Tensor(y), dx=0.5).data,
                               ((y[:, 1:] + y[:, :-1]) / 4).sum(-1))
    along0 = torch.trapezoid(Tensor(y), Tensor([0.0, 1.0, 3.0]), dim=0)
    np.testing.assert_allclose(along0.data, ((y[1:] + y[:-1]) / 2 * [[1.0], [2.0]]).sum(0))
    same_shape = torch.trapezoid(Tensor(y), Tensor(np.tile(x, (3, 1))))
    np.testing.assert_allclose(same_shape.data, expected)
    running = torch.cumulative_trapezoid(Tensor(y), Tensor(x))
    np.testing.assert_allclose(running.data,
                               np.cumsum((y[:, 1:] + y[:, :-1]) / 2 * np.diff(x), -1))
    # fewer than two samples: nothing to integrate; integers: the default float dtype
    assert torch.trapezoid(Tensor([1.0]), Tensor([1.0])).item() == 0.0
    assert torch.cumulative_trapezoid(Tensor([1.0])).shape == (0,)
    ints = torch.trapezoid(Tensor([1, 2, 3]))
    assert ints.item() == 4.0 and ints.dtype == np.float32


def test_trapezoid_integrates_and_differentiates_a_model():
    """∫₀^∞ e^(-a t) dt = 1/a: on a fine grid the rule's value and its gradient with respect
    to a (-1/a², through every sample) come out right, and match central differences."""
    t = torch.linspace(0.0, 40.0, 4001, dtype=torch.float64)
    a = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    integral = torch.trapezoid(torch.exp(-a * t), t)
    integral.backward()
    assert integral.item() == pytest.approx(2.0, rel=1e-4)
    assert a.grad.item() == pytest.approx(-4.0, rel=1e-4)
    rng = np.random.default_rng(1)
    y = Tensor(rng.normal(size=(2, 6)), requires_grad=True)
    x = Tensor(np.sort(rng.normal(size=6)), requires_grad=True)   # the points get one too
    assert gradcheck(lambda y, x: torch.trapezoid(y, x) * Tensor([1.0, -2.0]), (y, x))
    assert gradcheck(lambda y, x: torch.cumulative_trapezoid(y, x) ** 2, (y, x))
    assert gradcheck(lambda y: torch.trapezoid(y, dx=0.3, dim=0), (y,))


def test_trapezoid_refusals_say_what_to_write():
    y = Tensor([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"trapezoid\(y, dx=0.5\)"):
        torch.trapezoid(y, 0.5)                     # PyTorch refuses the positional spacing
    with pytest.raises(TypeError, match="not both"):
        torch.trapezoid(y, Tensor([0.0, 1.0, 2.0]), dx=1.0)
    with pytest.raises(ValueError, match="one x per sample"):
        torch.trapezoid(y, Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="y is 0-d"):
        torch.cumulative_trapezoid(Tensor(1.0))


@needs_torch
def test_against_pytorch():
    rng = np.random.default_rng(2)
    y, x = rng.normal(size=(3, 5)), np.sort(rng.normal(size=5))
    same_as_torch(lambda y, x: torch.trapezoid(y, x), y, x, rng=rng,
                  torch_f=lambda y, x: real_torch.trapezoid(y, x))
    same_as_torch(lambda y, x: torch.cumulative_trapezoid(y, x), y, x, rng=rng,
                  torch_f=lambda y, x: real_torch.cumulative_trapezoid(y, x))
    same_as_torch(lambda y: torch.trapz(y, dx=0.25, dim=0), y, rng=rng,
                  torch_f=lambda y: real_torch.trapz(y, dx=0.25, dim=0))
    same_as_torch(lambda y, a: y.diff(n=2, dim=1, append=a), y, y[:, :2], rng=rng,
                  torch_f=lambda y, a: y.diff(n=2, dim=1, append=a))
    assert (torch.pi, torch.e, torch.inf) == (real_torch.pi, real_torch.e, real_torch.inf)


def test_torch_gradient_says_what_to_write():
    with pytest.raises(AttributeError, match=r"torch.gradient is not here: .*\(y\[2:\] - "
                                             r"y\[:-2\]\) / \(2 \* h\)"):
        torch.gradient(Tensor([1.0, 4.0, 9.0]))
