"""autograd.special.ndtri (Φ⁻¹) and erfcx (e^(x²) erfc(x)): values against mpmath over their
whole ranges (ndtri down to 5e-324, erfcx from -26.6, where it overflows, to 1e300) in float64
and float32, against PyTorch, no warnings at ±1000, and first and second derivatives against
central differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd import Tensor, special

from special_helpers import assert_relative, check_derivatives, mpmath, needs_mpmath
from torch_helpers import needs_torch, torch

P = np.concatenate([np.geomspace(5e-324, 0.5, 150), 1 - np.geomspace(1.2e-16, 0.5, 60),
                    [0.25, np.nextafter(0.25, 0), 0.75, np.nextafter(0.75, 1), 0.5]])
X = np.concatenate([np.linspace(-26.5, 40, 2001), [-1e-300, 1e-300, 0.46875, 0.46876, -0.46875,
                                                   -0.46876, 4.0, 4.0000001, 1e3, 1e10, 1e300]])


def _ndtri_mp(p: float) -> float:
    """Φ⁻¹(p) by mpmath with enough digits that 1 - 2p keeps p's."""
    digits = 40 + int(-np.log10(p)) if p > 0 else 40
    with mpmath.workdps(digits):
        return float(-mpmath.sqrt(2) * mpmath.erfinv(1 - 2 * mpmath.mpf(p)))


def _erfcx_mp(x: float) -> float:
    with mpmath.workdps(40):
        if x > 1e6:                                     # (mpmath's erfc fails that far out)
            x = mpmath.mpf(x)
            return float(1 / (mpmath.sqrt(mpmath.pi) * x) * (1 - 1 / (2 * x * x)))
        return float(mpmath.erfc(x) * mpmath.exp(mpmath.mpf(x) ** 2))


@needs_mpmath
def test_ndtri_against_mpmath():
    """Measured worst: 6e-16 in float64 (Newton on log Φ in the tails, erfinv between)."""
    want = np.array([_ndtri_mp(p) for p in P])
    ours = special.ndtri(Tensor(P)).data
    nonzero = want != 0
    assert_relative(ours[nonzero], want[nonzero], 2e-15, P[nonzero], "ndtri")
    p32 = P.astype(np.float32)
    keep = (p32 > 0) & (p32 < 1)
    ours32 = special.ndtri(Tensor(p32[keep])).data
    assert ours32.dtype == np.float32
    want32 = np.array([_ndtri_mp(float(p)) for p in p32[keep]])
    assert_relative(ours32[want32 != 0], want32[want32 != 0], 2e-7, p32[keep][want32 != 0],
                    "ndtri float32")


@needs_mpmath
def test_erfcx_against_mpmath():
    """Measured worst: 5.7e-16 in float64 (x < -0.47: 2 e^(x²) - erfcx(-x))."""
    want = np.array([_erfcx_mp(x) for x in X])
    ours = special.erfcx(Tensor(X)).data
    assert_relative(ours, want, 2e-15, X, "erfcx")
    x32 = X[np.abs(X) < 1e38].astype(np.float32)
    ours32 = special.erfcx(Tensor(x32)).data
    want32 = np.array([_erfcx_mp(float(x)) for x in x32])
    fine = (want32 < 3e38) & (want32 > 1e-37)
    assert ours32.dtype == np.float32
    assert_relative(ours32[fine], want32[fine], 1.2e-7, x32[fine], "erfcx float32")


def test_edges_and_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float64, np.float32):
            x = Tensor(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0, np.inf, -np.inf, np.nan],
                                dtype), requires_grad=True)
            out = special.erfcx(x)
            out.sum().backward()
            assert out.data[[0, 1, 5]].tolist() == [np.inf, np.inf, 0.0]
            assert out.data[6] == np.inf and out.data[2] == 1.0 and np.isnan(out.data[7])
            p = Tensor(np.array([0.0, 1.0, -0.1, 1.1, 0.5, 1e-30], dtype), requires_grad=True)
            q = special.ndtri(p)
            q.backward(np.ones(6, dtype))
            assert q.data[:2].tolist() == [-np.inf, np.inf] and np.isnan(q.data[2:4]).all()
            assert p.grad[:2].tolist() == [np.inf, np.inf]


@needs_torch
def test_against_pytorch():
    for dtype, rtol in ((np.float64, 1e-14), (np.float32, 2e-6)):
        for name, x in (("ndtri", P), ("erfcx", X)):
            x = x[np.abs(x) < np.finfo(dtype).max ** 0.5]       # (x² finite below)
            t = torch.tensor(x.astype(dtype), requires_grad=True)
            y = getattr(torch.special, name)(t)
            (g,) = torch.autograd.grad(y, t, torch.ones_like(y))
            ours = Tensor(x.astype(dtype), requires_grad=True)
            out = getattr(special, name)(ours)
            out.backward(np.ones(out.shape, dtype))      # (a sum would be inf - inf)
            # PyTorch's erfcx far left rounds x² in e^(x²): x² · 1e-16 off (ours keeps it out)
            left = np.where((x < 0) & (name == "erfcx"), x * x, 0.0)
            theirs = y.detach().numpy()
            with np.errstate(invalid="ignore"):
                off = np.abs(out.data - theirs) > rtol * (1 + left) * np.abs(theirs)
            assert not (off & (out.data != theirs)).any(), name
            finite = np.isfinite(g.numpy()) & (np.abs(x) < 1e8)
            # erfcx's slope far right is -1/(√π x²) from a difference that cancels (ours and
            # PyTorch's alike), ndtri's e^(y²/2) carries y's rounding times y²: both are
            # x² (or y²) · 1e-16 apart there
            scale = x if name == "erfcx" else y.detach().numpy()
            tol = rtol * (1 + scale[finite] ** 2)
            assert (np.abs(ours.grad[finite] - g.numpy()[finite])
                    <= tol * np.abs(g.numpy()[finite]) + 1e-300).all(), name


def test_first_and_second_derivatives():
    check_derivatives(special.ndtri, np.array([1e-5, 0.003, 0.2, 0.25, 0.5, 0.74, 0.9,
                                               0.9999]), h=1e-9, rtol=1e-5)
    check_derivatives(special.erfcx, np.array([-5.0, -0.6, -0.3, 0.0, 0.2, 0.5, 3.9, 4.1, 30.0]))
    p = Tensor(np.array([[0.1], [0.7]]), requires_grad=True)             # broadcast, 0-d
    w = Tensor(np.array([0.5, 0.9, 1.0]), requires_grad=True)
    special.ndtri(p * w).sum().backward()
    assert p.grad.shape == (2, 1) and w.grad.shape == (3,)
    t = Tensor(np.array(0.3), requires_grad=True)
    special.erfcx(t).backward()
    assert t.grad.shape == () and t.grad == pytest.approx(
        2 * 0.3 * special.erfcx(Tensor(0.3, dtype=np.float64)).item() - 2 / np.sqrt(np.pi),
        rel=1e-14)
