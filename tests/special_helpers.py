"""Shared by the torch.special tests: mpmath's values as float64, the worst relative error
(named), and a function's first and second derivative by backprop and by central
differences in float64."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from autograd import Tensor, grad

try:
    import mpmath
except ImportError:
    mpmath = None

needs_mpmath = pytest.mark.skipif(mpmath is None, reason="mpmath is not installed (the exact "
                                  "reference: pip install mpmath, or the [dev] extra)")


def reference(f: Callable, xs: np.ndarray, dps: int = 40) -> np.ndarray:
    """f(x) for each x, computed by mpmath at `dps` digits, as float64."""
    with mpmath.workdps(dps):
        return np.array([float(f(mpmath.mpf(float(x)))) for x in xs])


def assert_relative(ours: np.ndarray, want: np.ndarray, rtol: float, where: np.ndarray,
                    what: str) -> None:
    """|ours - want| <= rtol |want| elementwise; the worst element named."""
    ours, want = np.broadcast_arrays(np.asarray(ours, np.float64), want)
    if ours.size == 0:
        return
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(ours == want, 0.0, np.abs(ours - want) / np.abs(want))
    i = int(np.nanargmax(rel)) if np.isfinite(rel).any() else 0
    assert not np.isnan(rel).any() or np.array_equal(np.isnan(ours), np.isnan(want)), what
    assert rel[i] <= rtol, f"{what}: at {where.flat[i]!r} ours {ours.flat[i]!r}, want " \
                           f"{want.flat[i]!r} (relative {rel.flat[i]:.2e})"


def derivatives(f: Callable, x: np.ndarray) -> tuple:
    """f(x), f'(x), f''(x) elementwise by backprop (f applied to a float64 Tensor)."""
    t = Tensor(np.asarray(x, np.float64), requires_grad=True)
    slope = grad(lambda u: f(u).sum())
    return f(t).data, slope(t).data, grad(lambda u: slope(u).sum())(t).data


def check_derivatives(f: Callable, x: np.ndarray, h: float = 1e-6, rtol: float = 1e-7,
                      second: bool = True) -> None:
    """Backprop's f' and f'' against central differences of f and of backprop's f'."""
    x = np.asarray(x, np.float64)
    _, d1, d2 = derivatives(f, x) if second else (None, derivatives_first(f, x), None)
    step = h * np.maximum(1.0, np.abs(x))
    fd1 = (_value(f, x + step) - _value(f, x - step)) / (2 * step)
    np.testing.assert_allclose(d1, fd1, rtol=rtol, atol=rtol * 1e-2)
    if second:
        slope = grad(lambda u: f(u).sum())
        at = lambda v: slope(Tensor(v, requires_grad=True)).data      # noqa: E731
        fd2 = (at(x + step) - at(x - step)) / (2 * step)
        np.testing.assert_allclose(d2, fd2, rtol=rtol * 10, atol=rtol * 1e-1)


def derivatives_first(f: Callable, x: np.ndarray) -> np.ndarray:
    t = Tensor(np.asarray(x, np.float64), requires_grad=True)
    f(t).sum().backward()
    return t.grad


def _value(f: Callable, x: np.ndarray) -> np.ndarray:
    return f(Tensor(x)).data
