"""autograd.special.airy_ai (no derivative, as PyTorch's) and zeta(x, q) (q's derivative
-x ζ(x + 1, q), none for x, as PyTorch's): values against mpmath at the switches and far out,
in float64 and float32, and against PyTorch; zeta's q-derivative to second order against
central differences, broadcast."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, special

from special_helpers import assert_relative, check_derivatives, mpmath, needs_mpmath, reference
from torch_helpers import needs_torch, torch

# the switches: grid Taylor series on [-10.25, 1.25], quadrature right, expansion left
AIRY_POINTS = np.array([0.0, 1e-300, -1e-300, 0.5, 1.25, np.nextafter(1.25, 2), 1.26, 3.3,
                        10.0, 50.0, 100.0, -0.3, -2.2, -7.77, -10.25, np.nextafter(-10.25, -11),
                        -10.3, -17.0, -33.3])


@needs_mpmath
def test_airy_against_mpmath():
    """Relative 1e-14 on [-10.25, 10] away from the zeros (measured 2.3e-15 left, 1.5e-13 right
    of 10, where e^-ζ's ζ rounds: ~ζ · 1e-16), and the absolute error within 1e-14 of
    the envelope |x|^(-1/4)/√π left of -10.25 (the phase ζ carries x's rounding, x^(3/2) ·
    1e-16: relative 7e-11 at x = -1e4)."""
    x = np.concatenate([AIRY_POINTS, np.linspace(-10.25, 10, 811), np.linspace(-60, -10.3, 400)])
    want = reference(mpmath.airyai, x)
    ours = special.airy_ai(Tensor(x)).data
    envelope = np.maximum(np.abs(x), 1.0) ** -0.25 / np.sqrt(np.pi)
    near = (x >= -10.25) & (x <= 10) & (np.abs(want) > 0.01 * envelope)
    assert_relative(ours[near], want[near], 1e-14, x[near], "airy_ai")
    right = x > 10
    assert_relative(ours[right], want[right], 2e-13, x[right], "airy_ai right")
    left = x < -10.25
    phase = np.abs(x[left]) ** 1.5                   # how x's rounding reaches the phase
    assert (np.abs(ours - want)[left] / envelope[left] / phase).max() < 1e-15
    x32 = x.astype(np.float32)
    ours32 = special.airy_ai(Tensor(x32)).data
    assert ours32.dtype == np.float32
    want32 = reference(mpmath.airyai, x32.astype(np.float64))
    assert (np.abs(ours32 - want32) / envelope).max() < 1.2e-7


def test_airy_edges():
    out = special.airy_ai(Tensor([np.inf, -np.inf, np.nan, 200.0, -1e6], dtype=np.float64)).data
    assert out[:2].tolist() == [0.0, 0.0] and np.isnan(out[2]) and out[3] == 0.0
    assert abs(out[4]) < 0.02


@needs_torch
def test_airy_against_pytorch():
    """PyTorch's airy_ai is within 3e-6 only (near x = -4.6: 0.3447734226024495 where
    mpmath's is 0.34477342260292945 and ours 0.3447734226029295)."""
    x = np.linspace(-40, 40, 8001)
    for dtype, atol in ((np.float64, 5e-6), (np.float32, 5e-6)):
        ours = special.airy_ai(Tensor(x.astype(dtype))).data
        theirs = torch.special.airy_ai(torch.tensor(x.astype(dtype))).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12 if dtype == np.float64 else 2e-6,
                                   atol=atol)


ZETA = [(s, q) for s in (1.0001, 1.5, 2.0, 3.0, 7.5, 30.0, 100.0) for q in
        (1e-300, 1e-5, 0.3, 1.0, 2.5, 19.7, 20.3, 1e3, 1e8)] + [
        (2.0, -0.5), (3.0, -2.5), (4.0, -30.5), (2.0, -1.25)]


def _zeta_mp(s: float, q: float) -> float:
    """mpmath's ζ(s, q) at 400 digits (at 100 its ζ(100, 1000) is off in the 12th digit, at 60
    its ζ(23.75, 525.9) in the 10th), a negative q moved right by its first terms (mpmath is
    slow there)."""
    if q <= 0 and q == int(q):
        return np.inf                                   # a pole (1e-300 is 0 in float32)
    with mpmath.workdps(400):
        s, q = mpmath.mpf(s), mpmath.mpf(q)
        head = mpmath.mpf(0)
        while q < 1:
            head, q = head + q ** -s, q + 1
        return float(head + mpmath.zeta(s, q))


@needs_mpmath
def test_zeta_against_mpmath():
    """Measured worst (here and on 300 random x in (1, 60), q in (1e-3, 1e6)): 2.3e-15."""
    s, q = np.array(ZETA).T
    want = np.array([_zeta_mp(a, b) for a, b in ZETA])
    ours = special.zeta(Tensor(s), Tensor(q)).data
    finite = np.isfinite(want)
    assert_relative(ours[finite], want[finite], 1e-14, np.array(ZETA)[finite][:, 1], "zeta")
    ours32 = special.zeta(Tensor(s.astype(np.float32)), Tensor(q.astype(np.float32))).data
    assert ours32.dtype == np.float32
    want32 = np.array([_zeta_mp(float(a), float(b)) for a, b in
                       zip(s.astype(np.float32), q.astype(np.float32))])
    fine = np.isfinite(want32) & (want32 < 3e38) & (np.abs(want32) > 1e-37)
    assert_relative(ours32[fine], want32[fine], 3e-7, q[fine], "zeta float32")


@needs_torch
def test_zeta_against_pytorch_and_its_edges():
    s = np.array([1.0, 0.5, 2.0, 2.0, 3.0, 2.5, 2.0, 2.0, 4.0, 2.0, 6.0])
    q = np.array([1.0, 1.0, 0.0, -1.0, -1.5, -1.5, 1e-300, 3.0, -2.5, 0.5, 1e5])
    ours = special.zeta(Tensor(s), Tensor(q)).data
    theirs = torch.special.zeta(torch.tensor(s), torch.tensor(q)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)        # (inf and NaN in the same places)
    rng = np.random.default_rng(0)
    s, q = rng.uniform(1.1, 12, 500), rng.uniform(0.05, 40, 500)
    np.testing.assert_allclose(special.zeta(Tensor(s), Tensor(q)).data,
                               torch.special.zeta(torch.tensor(s), torch.tensor(q)).numpy(),
                               rtol=1e-13)


def test_zeta_q_derivative_to_second_order_and_broadcast():
    q = np.array([0.3, 1.0, 2.7, 19.9, 20.5, 64.0])
    check_derivatives(lambda u: special.zeta(2.5, u), q)
    rows = Tensor([[3.0], [7.5]], dtype=np.float64)                 # (2, 1) with (6,)
    check_derivatives(lambda u: special.zeta(rows, u).sum(0), q)
    x = Tensor([2.0], dtype=np.float64)
    qq = Tensor(np.array(1.5), requires_grad=True)          # 0-d q, (1,) x: a (1,) result
    special.zeta(x, qq).sum().backward()
    assert qq.grad.shape == () and qq.grad == pytest.approx(
        -2 * special.zeta(3.0, Tensor(1.5, dtype=np.float64)).item(), rel=1e-14)


def test_zeta_refuses_x_gradient():
    x = Tensor([2.5], dtype=np.float64, requires_grad=True)
    q = Tensor([1.5], dtype=np.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"zeta: the derivative of ζ\(x, q\) for x is not"):
        special.zeta(x, q).sum().backward()
    special.zeta(x.detach(), q).sum().backward()
    assert q.grad is not None


@needs_torch
def test_zeta_q_derivative_against_pytorch():
    s, q = np.array([2.5, 4.0, 11.0]), np.array([0.7, 3.0, 25.0])
    tq = torch.tensor(q, requires_grad=True)
    (g,) = torch.autograd.grad(torch.special.zeta(torch.tensor(s), tq).sum(), tq)
    ours = autograd.grad(lambda u: special.zeta(Tensor(s), u).sum())(Tensor(q))
    np.testing.assert_allclose(ours.data, g.numpy(), rtol=1e-13)
