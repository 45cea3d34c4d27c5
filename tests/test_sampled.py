"""autograd/sampled.py: PyTorch's diff, gradient, trapezoid, trapz and cumulative_trapezoid (made
of differentiable ops), and its constants torch.pi, e, inf and nan, after `import autograd as
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


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_is_numpys_for_spacings_points_and_dims(edge_order):
    """torch.gradient: central differences inside, one-sided at the ends, each dim its own
    spacing or its own sample points (uneven: numpy's second-order formula)."""
    rng = np.random.default_rng(edge_order)
    f = rng.normal(size=(4, 5, 6))
    points = [np.sort(rng.uniform(0, 5, n)) for n in f.shape]
    cases = [({}, [(1.0, 0), (1.0, 1), (1.0, 2)]),
             (dict(spacing=0.5), [(0.5, 0), (0.5, 1), (0.5, 2)]),
             (dict(spacing=[0.5, 2.0, 1.5]), [(0.5, 0), (2.0, 1), (1.5, 2)]),
             (dict(dim=[2, 0], spacing=[0.3, 3.0]), [(0.3, 2), (3.0, 0)]),   # order kept
             (dict(dim=-2), [(1.0, 1)]),
             (dict(spacing=[Tensor(x) for x in points]), [(x, i) for i, x in enumerate(points)]),
             (dict(dim=(1,), spacing=[Tensor(points[1])]), [(points[1], 1)])]
    for arguments, expected in cases:
        slopes = torch.gradient(Tensor(f), edge_order=edge_order, **arguments)
        assert isinstance(slopes, tuple) and len(slopes) == len(expected)
        for slope, (spacing, axis) in zip(slopes, expected):
            np.testing.assert_allclose(slope.data, np.gradient(f, spacing, axis=axis,
                                                               edge_order=edge_order),
                                       rtol=1e-12, atol=1e-12, err_msg=str(arguments))
    # exact for a parabola, ends too, with edge_order=2, also on uneven points
    x = np.array([0.0, 0.5, 2.0, 2.5, 4.0])
    (slope,) = torch.gradient(Tensor(3 * x ** 2 - x), spacing=[Tensor(x)], edge_order=2)
    if edge_order == 2:
        np.testing.assert_allclose(slope.data, 6 * x - 1, rtol=1e-12)


def test_gradient_of_integers_one_sample_pair_and_a_0d_tensor():
    slope = torch.gradient(Tensor([1, 4, 9, 16]))[0]
    assert slope.dtype == np.float32 and slope.tolist() == [3.0, 4.0, 6.0, 7.0]
    assert torch.gradient(Tensor([1.0, 3.0]))[0].tolist() == [2.0, 2.0]
    assert torch.gradient(Tensor(3.0)) == ()                 # PyTorch's: no dims, no slopes


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_differentiates_in_the_samples_and_the_points(edge_order):
    rng = np.random.default_rng(3)
    y = Tensor(rng.normal(size=(3, 6)), requires_grad=True)
    x = Tensor(np.sort(rng.uniform(0, 5, 6)), requires_grad=True)
    assert gradcheck(lambda yy, xx: torch.gradient(yy, spacing=[xx], dim=1,
                                                   edge_order=edge_order)[0], (y, x))
    image = Tensor(rng.normal(size=(1, 4, 5)), requires_grad=True)   # batch 1: a size-1 dim
    assert gradcheck(lambda im: torch.gradient(im, dim=[-1, -2], spacing=0.5,
                                               edge_order=edge_order)[0] ** 2, (image,))


@pytest.mark.parametrize("call, error, message", [
    (lambda t: torch.gradient(t, spacing=[1.0, 2.0, 3.0]), ValueError,
     r"spacing is a list of 3; give one number, or one spacing per dim \(the tensor's 2 dims\)"),
    (lambda t: torch.gradient(t, dim=1, spacing=[1.0, 2.0]), ValueError,
     r"one spacing per dim \(the 1 dim in dim\)"),
    (lambda t: torch.gradient(t[:, :2], dim=1, edge_order=2), ValueError,
     r"dim 1 has 2 samples \(shape \(3, 2\)\); edge_order=2 needs at least 3"),
    (lambda t: torch.gradient(t, edge_order=3), ValueError, r"edge_order must be 1 or 2"),
    (lambda t: torch.gradient(t, dim=[0, -2]), ValueError, r"dim \[0, -2\] names a dim twice"),
    (lambda t: torch.gradient(t, dim=0.5), TypeError, r"dim must be an int, got 0.5"),
    (lambda t: torch.gradient(t, spacing=[Tensor([0.0, 1.0]), 1.0]), ValueError,
     r"sample points along its dim, 3 of them for dim 0 \(shape \(3, 4\)\), got shape \(2,\)"),
    (lambda t: torch.gradient(t, spacing=Tensor([0.0, 1.0, 2.0])), TypeError,
     r"sample points go in a list, one tensor per dim: spacing=\[x\]"),
])
def test_gradient_errors_say_what_was_expected(call, error, message):
    with pytest.raises(error, match="gradient: .*" + message):
        call(Tensor(np.arange(12.0).reshape(3, 4)))


@needs_torch
@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_is_pytorchs(edge_order):
    rng = np.random.default_rng(4)
    f, rows, columns = rng.normal(size=(4, 5)), 0.5 * np.arange(4.0), np.sort(rng.uniform(0, 3, 5))

    def slopes(lib):
        def product(f, rows, columns):
            down, across = lib.gradient(f, spacing=[rows, columns], edge_order=edge_order)
            return down * across
        return product
    same_as_torch(slopes(torch), f, rows, columns, rng=rng, torch_f=slopes(real_torch))
    ints = real_torch.gradient(real_torch.tensor([[1, 4, 9], [2, 3, 7]]), dim=1)[0]
    ours = torch.gradient(Tensor([[1, 4, 9], [2, 3, 7]]), dim=1)[0]
    assert ours.dtype == np.float32 and ours.tolist() == ints.tolist()
