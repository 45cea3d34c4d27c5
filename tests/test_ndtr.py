"""x.ndtr() and x.log_ndtr(): PyTorch's torch.special.ndtr (the standard normal CDF Φ) and
log_ndtr (log Φ, which Bayesian optimisation's log expected improvement needs in the left tail,
where log(Φ(x)) is -inf from x ≈ -38.5 on). Against PyTorch on a dense grid of [-60, 40] in
float64 and float32 (values, slopes and second derivatives; no warnings, nothing infinite
where PyTorch is finite), against mpmath's 40-digit values where PyTorch's own digits run out
(its far tails), and against finite differences in float64, first and second order."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd
from autograd import Tensor, grad, gradcheck

from conftest import strict, t64
from torch_helpers import needs_torch, torch

try:
    import mpmath
except ImportError:
    mpmath = None

needs_mpmath = pytest.mark.skipif(mpmath is None, reason="mpmath is not installed (the exact "
                                  "reference for the far tails: pip install mpmath)")

GRID = np.linspace(-60.0, 40.0, 100_001)           # step 1e-3
POINTS = [-45.0, -20.3, -3.7, -1.2, -0.7, 0.4, 2.9, 7.5]     # both branches of log_ndtr


def _torch_values(name: str, x: np.ndarray) -> tuple:
    """PyTorch's f(x), f'(x) and f''(x) for torch.special.<name>, in x's dtype."""
    t = torch.tensor(x, requires_grad=True)
    y = getattr(torch.special, name)(t)
    (slope,) = torch.autograd.grad(y.sum(), t, create_graph=True)
    (second,) = torch.autograd.grad(slope.sum(), t)
    return y.detach().numpy(), slope.detach().numpy(), second.numpy()


def _ours(name: str, x: np.ndarray) -> tuple:
    """Our f(x), f'(x) and f''(x), under `strict()`: any warning is an error."""
    with strict():
        t = Tensor(x, requires_grad=True)
        slope = grad(lambda u: getattr(u, name)().sum())
        return (getattr(t, name)().data, slope(t).data,
                grad(lambda u: slope(u).sum())(t).data)


def _within(ours: np.ndarray, theirs: np.ndarray, rtol: np.ndarray, atol: float, what: str):
    """Elementwise |ours - theirs| <= atol + rtol |theirs|, the worst element named."""
    excess = np.abs(ours - theirs) - (atol + rtol * np.abs(theirs))
    worst = int(np.argmax(excess))
    assert excess[worst] <= 0, (f"{what}: at x = {GRID[worst]!r} ours {ours[worst]!r}, "
                                f"theirs {theirs[worst]!r}")


@needs_torch
@pytest.mark.parametrize("name", ["ndtr", "log_ndtr"])
def test_float64_values_and_derivatives_are_pytorchs_over_the_line(name):
    """To 1e-14 relative near the middle. Far out, x/√2 and x²/2 round by an ulp, which moves
    Φ, φ and log Φ's tails by about x² ulps in either library: the tolerance grows so (x = 60:
    1.4e-12; measured 8e-13 on log_ndtr's slope), and the mpmath test below shows ours within a
    few ulps of the exact value there. PyTorch's own ndtr is 1 + erf for x < 0 (its relative
    digits go from x ≈ -3 on, 0 from x ≈ -8.4): the values are compared with its
    erfc(-x/√2) / 2 instead, and with its ndtr where that keeps its digits. PyTorch's second
    derivative of log_ndtr drifts by 1e-12 x² (3e-9 at -60; ours 1e-13 there, by mpmath)."""
    ours, theirs = _ours(name, GRID), list(_torch_values(name, GRID))
    for a, b in zip(ours, theirs):
        assert np.isfinite(a).all() and np.isfinite(b).all()
    if name == "ndtr":
        middle = GRID >= -2.7
        np.testing.assert_allclose(ours[0][middle], theirs[0][middle], rtol=1e-14, atol=0)
        x = torch.tensor(GRID)
        theirs[0] = (torch.special.erfc(-x * (1 / math.sqrt(2))) / 2).numpy()
    squared = GRID * GRID
    for k, (a, b) in enumerate(zip(ours, theirs)):
        rtol = 1e-14 + (1e-12 if k == 2 and name == "log_ndtr" else 4e-16) * squared
        _within(a, b, rtol, 1e-320, f"{name}, derivative {k}")


@needs_torch
@pytest.mark.parametrize("name", ["ndtr", "log_ndtr"])
def test_float32_values_and_slopes_are_pytorchs(name):
    """float32 values (and log_ndtr's slope) are the float64 ones rounded once: within half a
    float32 ulp of the truth. PyTorch computes in float32, so its tails drift by about x² float32
    ulps (its log_ndtr's slope by 3e-4 at -60, its log_ndtr by 1e-5 at 11): the tolerance is
    2e-6 and grows so. Its ndtr is 1 + erf for x < 0 (0 from x ≈ -5.4 on in float32): the
    values are compared with its erfc(-x/√2) / 2 there."""
    x = GRID.astype(np.float32)
    ours, theirs = _ours(name, x)[:2], list(_torch_values(name, x)[:2])
    exact = _ours(name, x.astype(np.float64))[:2]
    for k, (a, e) in enumerate(zip(ours, exact)):
        assert a.dtype == np.float32 and np.isfinite(a).all()
        if k == 0 or name == "log_ndtr":
            np.testing.assert_array_equal(a, e.astype(np.float32))
    if name == "ndtr":
        theirs[0] = (torch.special.erfc(-torch.tensor(x) * (1 / math.sqrt(2))) / 2).numpy()
    rtol = 2e-6 + 2e-7 * GRID * GRID
    for k, (a, b) in enumerate(zip(ours, theirs)):
        _within(a.astype(np.float64), b.astype(np.float64), rtol, 1e-37,
                f"{name} in float32, derivative {k}")


@needs_mpmath
def test_the_far_tails_to_the_last_digits():
    mpmath.mp.dps = 40
    x = np.array([-1e6, -1000.0, -60.0, -38.6, -37.5, -8.0, -1.0000001, -1.0, -0.3, 0.0, 2.0,
                  8.0, 20.0, 37.0])
    log_cdf = t64(x).log_ndtr().data
    slope = grad(lambda u: u.log_ndtr().sum())(t64(x)).data
    for xi, value, r in zip(x, log_cdf, slope):
        # PyTorch's x/√2 (rounded), as both compute it: the exact log Φ of that point
        t = mpmath.mpf(float(xi * (1 / math.sqrt(2))))
        exact = mpmath.log(mpmath.erfc(-t) / 2)
        assert value == pytest.approx(float(exact), rel=4e-16), xi
        exact_r = mpmath.npdf(xi) / mpmath.ncdf(xi)
        assert r == pytest.approx(float(exact_r), rel=4e-16), xi
    cdf = t64([-38.0, -10.0, 3.0]).ndtr().data
    for xi, value in zip([-38.0, -10.0, 3.0], cdf):
        t = mpmath.mpf(float(xi * (1 / math.sqrt(2))))
        assert value == pytest.approx(float(mpmath.erfc(-t) / 2), rel=4e-16), xi


def test_log_ndtr_is_finite_where_log_of_ndtr_is_minus_inf():
    x = t64([-40.0, -1e3, -1e10])
    with np.errstate(divide="ignore"):
        assert np.isneginf(x.ndtr().log().data).all()          # Φ underflows
    with strict():
        y = x.log_ndtr()
        y.sum().backward()
    np.testing.assert_allclose(y.data, [-804.6084420137538, -500007.8266948120, -5e19],
                               rtol=1e-15)
    np.testing.assert_allclose(x.grad, [40.02496884720726, 1000.000999998, 1e10], rtol=1e-15)


def test_the_ends_and_nan():
    with strict():
        x = Tensor([-np.inf, np.inf], dtype=np.float64)
        assert x.ndtr().tolist() == [0.0, 1.0] and x.log_ndtr().tolist() == [-np.inf, 0.0]
        assert np.isnan(Tensor([np.nan]).log_ndtr().data).all()
        assert np.isnan(Tensor([np.nan]).ndtr().data).all()
        # the branches meet at -1 without a step
        near = Tensor(np.nextafter(-1.0, [-np.inf, np.inf]), dtype=np.float64)
        left, right = near.log_ndtr().data
        assert left == pytest.approx(right, rel=1e-15)
        assert Tensor(0.5).log_ndtr().shape == ()          # 0-d stays 0-d


@pytest.mark.parametrize("shape", [(), (1,), (2, 4)])
@pytest.mark.parametrize("name", ["ndtr", "log_ndtr"])
def test_finite_differences_first_and_second_order(name, shape):
    rng = np.random.default_rng(3)
    x = t64(rng.choice(POINTS, size=shape) + rng.uniform(-0.05, 0.05, shape))
    f = lambda u: getattr(u, name)()
    assert gradcheck(f, x)
    assert gradcheck(grad(lambda u: f(u).sum()), x)
    assert gradcheck(grad(lambda u: grad(lambda v: f(v).sum())(u).sum()), x)     # third


def test_finite_differences_at_each_point_tightly():
    """Central differences (h = 1e-5, error ~h²) of log Φ and of its slope, point by point."""
    h = 1e-5
    for xi in POINTS:
        slope = grad(lambda u: u.log_ndtr().sum())
        second = grad(lambda u: slope(u).sum())
        at = lambda f, v: f(t64([v])).data[0]
        fd1 = (at(lambda u: u.log_ndtr(), xi + h) - at(lambda u: u.log_ndtr(), xi - h)) / (2 * h)
        fd2 = (at(slope, xi + h) - at(slope, xi - h)) / (2 * h)
        assert at(slope, xi) == pytest.approx(fd1, rel=1e-7, abs=1e-9), xi
        assert at(second, xi) == pytest.approx(fd2, rel=1e-6, abs=1e-9), xi


def test_torch_special_has_them_and_int_tensors_give_floats():
    """PyTorch has them in torch.special only (no torch.ndtr): autograd.special.ndtr and
    log_ndtr are the methods; autograd.log_ndtr names the method."""
    x = Tensor([-3.0, 0.5], dtype=np.float64)
    assert autograd.special.ndtr(x).tolist() == x.ndtr().tolist()
    assert autograd.special.log_ndtr(x).tolist() == x.log_ndtr().tolist()
    with pytest.raises(AttributeError, match=r"x\.log_ndtr\(\.\.\.\)"):
        autograd.log_ndtr
    assert Tensor([2], dtype=np.int64).ndtr().dtype == np.float32        # as erf's: floating
    assert Tensor([2], dtype=np.int64).log_ndtr().dtype == np.float32


def test_no_warning_on_the_whole_grid_in_either_dtype():
    for dtype in (np.float64, np.float32):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            big = np.finfo(dtype).max
            x = Tensor(np.concatenate([GRID, [-big, big]]).astype(dtype), requires_grad=True)
            (x.log_ndtr() + x.ndtr()).sum().backward()
        assert np.isfinite(x.grad[:-2]).all()
