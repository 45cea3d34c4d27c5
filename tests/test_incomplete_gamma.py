"""autograd.ops.incomplete_gamma: P(a, x) and Q(a, x), the regularised incomplete gamma
functions, and their derivative in a, against mpmath at hard points (a from 1e-3 to 1e3; x near
0, near a, at the switch x = a + 1 between series and continued fraction, and far beyond a);
gammainc / gammaincc as Tensor functions against PyTorch (values and x-gradients, float32 and
float64, broadcast) and both gradients against central differences; the edges (x = 0, inf,
a <= 0); second derivatives in x."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.ops.incomplete_gamma import gammainc, gammainc_parts, gammaincc
from torch_helpers import needs_torch, torch

try:
    import mpmath as mp
except ImportError:                 # the reference for P and ∂P/∂a (in the [dev] extras)
    mp = None

needs_mpmath = pytest.mark.skipif(mp is None, reason="mpmath is the reference for P and its "
                                  "slope in a (pip install mpmath)")

A = [1e-3, 0.01, 0.3, 0.999, 1.0, 3.7, 42.5, 300.0, 1000.0]


def hard_points() -> list:
    """(a, x) pairs: x tiny, near a (either side of the series/fraction switch at a + 1), far
    beyond a."""
    points = []
    for a in A:
        for x in (1e-300, 1e-8, 0.1, 0.9, 0.5 * a, a - 0.01, a, a + 1 - 1e-9, a + 1, a + 1 + 1e-9,
                  a + 3 * np.sqrt(a), 5 * a + 50, 700.0):
            if x > 0:
                points.append((a, x))
    return points


def reference(a: float, x: float) -> tuple:
    """P, Q and ∂P/∂a at 50 digits (∂P/∂a as -∂Q/∂a where P > 1/2: mpmath's P there is 1 minus
    something small, and its derivative would lose those digits)."""
    with mp.workdps(50):
        am, xm = mp.mpf(a), mp.mpf(x)
        p = mp.gammainc(am, 0, xm, regularized=True)
        q = mp.gammainc(am, xm, mp.inf, regularized=True)
        if p < 0.5:
            dp = mp.diff(lambda s: mp.gammainc(s, 0, xm, regularized=True), am)
        else:
            dp = -mp.diff(lambda s: mp.gammainc(s, xm, mp.inf, regularized=True), am)
        return p, q, dp


@needs_mpmath
def test_values_and_alpha_slope_against_mpmath():
    points = hard_points()
    a, x = np.array(points).T
    p, dpda, density, q, ratio = gammainc_parts(a, x)
    worst = {"P": 0.0, "Q": 0.0, "dP/da": 0.0}
    for i, (ai, xi) in enumerate(points):
        want = reference(ai, xi)
        for name, got, exact in zip(worst, (p[i], q[i], dpda[i]), want):
            if abs(exact) > 1e-290:             # (below that, float64 has no relative digits)
                worst[name] = max(worst[name], float(abs((got - exact) / exact)))
        with mp.workdps(30):                    # the density and the ratio a draw's slope takes
            exact_density = mp.exp((ai - 1) * mp.log(xi) - xi - mp.loggamma(ai))
            if exact_density > 1e-290:
                assert density[i] == pytest.approx(float(exact_density), rel=1e-11)
                assert ratio[i] == pytest.approx(float(want[2] / exact_density), rel=1e-9)
    assert worst["P"] < 1e-11 and worst["Q"] < 1e-11 and worst["dP/da"] < 1e-9, worst


def test_edges():
    p, dpda, density, q, ratio = gammainc_parts([2.0, 2.0, 1.0, 0.5, 0.0, -1.0, 2.0, np.nan],
                                                [0.0, np.inf, 0.0, 0.0, 1.0, 1.0, -1.0, 1.0])
    assert p[:4].tolist() == [0.0, 1.0, 0.0, 0.0] and q[:4].tolist() == [1.0, 0.0, 1.0, 1.0]
    assert dpda[:4].tolist() == [0.0, 0.0, 0.0, 0.0] and ratio[0] == 0.0
    assert density[:4].tolist() == [0.0, 0.0, 1.0, np.inf]   # x^(a-1) at 0: 0, 1, inf
    assert np.isnan(p[4:]).all() and np.isnan(dpda[4:]).all()


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_x_gradients_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    tol = dict(rtol=2e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-13)
    cases = [(rng.uniform(0.1, 20, (3, 1)), rng.uniform(0.01, 30, (4,))),    # broadcast
             (np.array(2.5), np.array([0.0, 1.0, 2.5, 40.0])),               # a 0-d a
             (rng.uniform(0.5, 5, (1,)), np.array(3.0))]                       # batch-1, 0-d x
    for a, x in cases:
        for ours, theirs in ((gammainc, torch.special.gammainc),
                             (gammaincc, torch.special.gammaincc)):
            xa = Tensor(x.astype(dtype), requires_grad=True)
            got = ours(Tensor(a.astype(dtype)), xa)
            xt = torch.tensor(x.astype(dtype), requires_grad=True)
            want = theirs(torch.tensor(a.astype(dtype)), xt)
            assert got.shape == tuple(want.shape) and got.dtype == dtype
            np.testing.assert_allclose(got.numpy(), want.detach().numpy(), **tol)
            got.sum().backward()
            want.sum().backward()
            np.testing.assert_allclose(xa.grad, xt.grad.numpy(), **tol)


def test_gradients_in_a_and_x_by_central_differences():
    rng = np.random.default_rng(1)
    a = np.concatenate([rng.uniform(0.2, 5, 4), [30.0, 30.0]])
    x = np.concatenate([rng.uniform(0.1, 8, 4), [29.5, 31.5]])      # both sides of a + 1
    for f in (gammainc, gammaincc):
        assert autograd.gradcheck(lambda a, x: (f(a, x) * Tensor(np.arange(1.0, 7.0))).sum(),
                                  Tensor(a, requires_grad=True), Tensor(x, requires_grad=True),
                                  eps=1e-6, rtol=1e-6, atol=1e-10)


def test_second_derivative_in_x_and_none_in_a():
    x = Tensor(np.array([0.5, 2.0, 7.0]), requires_grad=True)
    a = Tensor(np.array([0.7, 3.0, 5.0]))
    slope, = autograd.grad(gammainc(a, x).sum(), x, create_graph=True)
    curvature, = autograd.grad(slope.sum(), x)
    # p'(x) = p(x) ((a - 1) / x - 1)
    np.testing.assert_allclose(curvature.numpy(), slope.numpy() * ((a.data - 1) / x.data - 1),
                               rtol=1e-12)
    a = Tensor(np.array([2.0]), requires_grad=True)
    slope, = autograd.grad(gammainc(a, Tensor([1.0], dtype=np.float64)).sum(), a,
                           create_graph=True)
    with pytest.raises(NotImplementedError, match=r"gammainc: its second derivative in a"):
        autograd.grad(slope.sum(), a)


def test_operands():
    assert gammainc(2.0, 1.0).dtype == np.float32                   # numbers: the default dtype
    assert gammainc(Tensor(np.array([2.0])), 1.0).dtype == np.float64
    with pytest.raises(TypeError, match=r"gammainc: x must be a Tensor or a number, got str"):
        gammainc(1.0, "1")
    with pytest.raises(ValueError, match=r"gammaincc: a of shape \(2,\) and x of shape \(3,\) "
                                         r"do not broadcast together"):
        gammaincc(Tensor([1.0, 2.0]), Tensor([1.0, 2.0, 3.0]))
