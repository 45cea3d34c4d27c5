"""autograd.distributions.Gamma and Chi2: PyTorch's numbers in float32 and float64 (log_prob,
cdf, entropy, mean, mode, variance; broadcast, 0-d and batch-1 parameters), gradients by central
differences (the concentration's through cdf too), rsample's implicit gradient checked against
finite differences of the quantile function at a fixed probability and by Monte Carlo
(d/da E[z] = 1/rate, d/da E[ln z] = ψ'(a)), draws' moments, the checks; kl_divergence of
Gamma-Gamma, Exponential-Exponential and Exponential-Gamma."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Chi2, Exponential, Gamma, kl_divergence
from autograd.ops.incomplete_gamma import gammainc_parts
from autograd.ops.special import polygamma
from distributions_helpers import (DTYPES, TOL, assert_draws_match, assert_same, check_gradients,
                                   compare_with_torch)
from torch_helpers import needs_torch, torch

METHODS = ("mean", "mode", "variance", "stddev", "entropy")


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    compare_with_torch("Gamma", dtype, dict(concentration=rng.uniform(0.3, 5, (3, 1)),
                                            rate=rng.uniform(0.5, 3, 4)),
                       values=rng.uniform(0.01, 6, (2, 3, 4)), methods=METHODS)
    compare_with_torch("Gamma", dtype, dict(concentration=np.array(0.5), rate=np.array(2.0)),
                       values=[0.0, 0.3, 7.0], methods=METHODS)
    compare_with_torch("Gamma", dtype, dict(concentration=np.array([3.0]), rate=1.5),
                       values=[[0.5], [2.0]], methods=METHODS)
    compare_with_torch("Chi2", dtype, dict(df=rng.uniform(0.5, 10, (2, 3))),
                       values=rng.uniform(0.1, 12, (2, 3)), methods=METHODS)
    # Chi2 inherits cdf (compare_with_torch looks at the class's own methods): compared here
    x = rng.uniform(0.1, 12, 3).astype(dtype)
    df = np.array([1.0, 3.0, 7.5], dtype)
    assert_same(Chi2(Tensor(df)).cdf(Tensor(x)),
                torch.distributions.Chi2(torch.tensor(df)).cdf(torch.tensor(x)), dtype, "cdf")


@needs_torch
def test_kl_is_pytorchs():
    rng = np.random.default_rng(2)
    D = torch.distributions
    for dtype in DTYPES:
        a, r = rng.uniform(0.3, 4, (2, 3)).astype(dtype), rng.uniform(0.3, 4, (2, 3)).astype(dtype)
        b, s = rng.uniform(0.3, 4, 3).astype(dtype), rng.uniform(0.3, 4, 3).astype(dtype)
        T = torch.tensor
        assert_same(kl_divergence(Gamma(Tensor(a), Tensor(r)), Gamma(Tensor(b), Tensor(s))),
                    D.kl_divergence(D.Gamma(T(a), T(r)), D.Gamma(T(b), T(s))), dtype, "gamma")
        assert_same(kl_divergence(Exponential(Tensor(r)), Exponential(Tensor(s))),
                    D.kl_divergence(D.Exponential(T(r)), D.Exponential(T(s))), dtype, "exp")
        assert_same(kl_divergence(Exponential(Tensor(r)), Gamma(Tensor(b), Tensor(s))),
                    D.kl_divergence(D.Exponential(T(r)), D.Gamma(T(b), T(s))), dtype,
                    "exp-gamma")


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    a, r, x = rng.uniform(0.4, 4, 3), rng.uniform(0.5, 2, 3), rng.uniform(0.2, 5, (2, 3))
    b, s = rng.uniform(0.4, 4, 3), rng.uniform(0.5, 2, 3)
    check_gradients(lambda a, r, v: Gamma(a, r).log_prob(v).sum(), a, r, x)
    check_gradients(lambda a, r, v: Gamma(a, r).cdf(v).sum(), a, r, x)
    check_gradients(lambda a, r: Gamma(a, r).entropy().sum(), a, r)
    check_gradients(lambda d: Chi2(d).log_prob(Tensor([0.5, 1.0, 4.0])).sum(), a)
    check_gradients(lambda a, r, b, s: kl_divergence(Gamma(a, r), Gamma(b, s)).sum(), a, r, b, s)
    check_gradients(lambda r, s: kl_divergence(Exponential(r), Exponential(s)).sum(), r, s)
    check_gradients(lambda r, b, s: kl_divergence(Exponential(r), Gamma(b, s)).sum(), r, b, s)

    def drawn(r):
        autograd.manual_seed(3)
        return Gamma(Tensor(a), r).rsample((4,)).sqrt().sum()
    # the rate only: numpy's sampler, reseeded, moves its draw with a along another path than
    # the quantile's (the implicit slope is checked against the quantile function below)
    check_gradients(drawn, r)


def quantile(a: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The z with P(a, z) = u, by bisection on ln z (P is accurate to 1e-12: tests/
    test_incomplete_gamma.py), until every z is pinned to a float: its ln z cannot be halved
    further, or the bracket's two ends give z one ulp apart (after ~65 halvings, not 200)."""
    low, high = np.full(a.shape, -750.0), np.full(a.shape, 10.0)
    high = np.maximum(high, np.log(a) + 5)
    for _ in range(200):
        mid = (low + high) / 2
        if np.all((mid == low) | (mid == high)
                  | (np.exp(high) <= np.nextafter(np.exp(low), np.inf))):
            break
        below = gammainc_parts(a, np.exp(mid))[0] < u
        low, high = np.where(below, mid, low), np.where(below, high, mid)
    return np.exp((low + high) / 2)


def test_rsample_slope_is_the_quantiles():
    """Each draw z moves with a as the quantile of its fixed probability u = P(a, z): its
    backprop slope against central differences of the quantile function."""
    a = np.array([0.05, 0.3, 1.0, 2.5, 9.0, 40.0, 300.0])
    alpha = Tensor(a, requires_grad=True)
    autograd.manual_seed(7)
    z = Gamma(alpha, 1.0).rsample()
    z.sum().backward()
    u = gammainc_parts(a, z.numpy())[0]
    h = 1e-6 * a
    slope = (quantile(a + h, u) - quantile(a - h, u)) / (2 * h)
    np.testing.assert_allclose(alpha.grad, slope, rtol=1e-5)
    # the rate: z = z₁ / rate
    rate = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    autograd.manual_seed(8)
    z = Gamma(Tensor(np.array([2.0, 2.0])), rate).rsample()
    z.sum().backward()
    np.testing.assert_allclose(rate.grad, -z.numpy() / rate.data, rtol=1e-12)


@pytest.mark.parametrize("a, rate", [(0.3, 1.0), (2.5, 1.7), (20.0, 0.5)])
def test_rsample_gradient_by_monte_carlo(a, rate):
    """d/da E[z] = 1/rate and d/da E[ln z] = ψ'(a) (ln z = ln z₁ - ln rate), from 20,000 seeded
    draws, within 4 standard errors of the per-draw slopes (seeded: never flaky)."""
    n = 20000
    for f, exact in ((lambda z: z, 1 / rate), (lambda z: z.log(), float(polygamma(1, a)))):
        alpha = Tensor(np.full(n, a), requires_grad=True)
        autograd.manual_seed(11)
        f(Gamma(alpha, rate).rsample()).sum().backward()
        slopes = alpha.grad
        assert abs(slopes.mean() - exact) < 4 * slopes.std() / np.sqrt(n), (slopes.mean(), exact)
    # and a wrong answer would fail: ψ'(a) off by 5 % is outside
    assert abs(slopes.mean() - 1.05 * exact) > 4 * slopes.std() / np.sqrt(n)


def test_draws_moments_small_concentrations_and_checks():
    a, r = np.array([0.05, 0.5, 2.0, 30.0], np.float32), np.array([1.0, 3.0, 0.5, 2.0], np.float32)
    autograd.manual_seed(0)
    d = Gamma(Tensor(a), Tensor(r))
    draws = d.sample((20000,)).numpy()
    assert d.has_rsample and (draws > 0).all() and draws.dtype == np.float32
    assert_draws_match(draws, a / r, a / r ** 2)
    with pytest.raises(AssertionError):
        assert_draws_match(draws, 1.03 * a / r, a / r ** 2)
    assert np.isfinite(d.log_prob(Tensor(draws)).numpy()).all()
    # a = 0.005 puts half its draws below 1e-60, many below float32's smallest normal: raised
    # to it, so ln z and the slope stay finite
    alpha = Tensor(np.full(1000, 0.005, np.float32), requires_grad=True)
    z = Gamma(alpha, 1.0).rsample()
    assert z.numpy().min() == np.finfo(np.float32).tiny
    z.log().sum().backward()
    assert np.isfinite(alpha.grad).all()
    autograd.manual_seed(0)
    df = np.array([1.0, 4.0, 11.0])
    assert_draws_match(Chi2(Tensor(df)).sample((20000,)).numpy(), df, 2 * df)
    with pytest.raises(ValueError, match=r"^Gamma: concentration must be positive \(> 0\); got "
                                         r"-1\.0 at index \(1,\) of concentration \(shape \(2,\)\)$"):
        Gamma(Tensor([1.0, -1.0]), 1.0)
    with pytest.raises(ValueError, match=r"^Chi2: df must be positive \(> 0\); got 0\.0"):
        Chi2(0.0)
    with pytest.raises(ValueError, match=r"Gamma\.log_prob: value must be non-negative \(>= 0\) "
                                         r"\(Gamma's support\); got -0\.5 at index \(1,\)"):
        Gamma(2.0, 1.0).log_prob(Tensor([1.0, -0.5]))


def test_second_order_through_rsample_says_so():
    alpha = Tensor(np.array([2.0]), requires_grad=True)
    rate = Tensor(np.array([1.5]), requires_grad=True)
    z = Gamma(alpha, rate).rsample()
    slope, = autograd.grad(z.sum(), rate, create_graph=True)          # -z / rate
    curvature, = autograd.grad(slope.sum(), rate)                     # 2 z / rate²
    np.testing.assert_allclose(curvature.numpy(), 2 * z.numpy() / 1.5 ** 2, rtol=1e-12)
    slope, = autograd.grad(Gamma(alpha, 1.0).rsample().sum(), alpha, create_graph=True)
    assert np.isfinite(slope.numpy()).all()
    with pytest.raises(NotImplementedError, match=r"second derivative in the concentration"):
        autograd.grad(slope.sum(), alpha)


def test_float32_matches_float64():
    a, x = np.array([0.5, 3.0, 50.0]), np.array([0.2, 3.5, 45.0])
    for method in ("log_prob", "cdf"):
        got = getattr(Gamma(Tensor(a.astype(np.float32)), 2.0), method)(Tensor(x.astype(np.float32)))
        want = getattr(Gamma(Tensor(a), 2.0), method)(Tensor(x))
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.numpy(), want.numpy(), **TOL[np.float32])


def test_draws_of_a_tiny_concentration_are_floored_at_the_smallest_normal_number():
    # most of Gamma(1e-3)'s mass lies below 1e-300: without the floor numpy's draws are 0
    # and ln z, log_prob and the slope dz/da are -inf or NaN
    autograd.manual_seed(0)
    a = autograd.tensor([1e-3], dtype=autograd.float64, requires_grad=True)
    z = Gamma(a, 1.0).rsample((2000,))
    tiny = np.finfo(np.float64).tiny
    assert z.data.min() == tiny and (z.data >= tiny).all()
    z.log().sum().backward()
    assert np.isfinite(a.grad.data).all()
    # Beta's Ga / (Ga + Gb): two draws of 0 would be 0 / 0; floored, every draw is a number
    from autograd.distributions import Beta
    autograd.manual_seed(0)
    assert np.isfinite(Beta(1e-3, 1e-3).rsample((2000,)).data).all()
    # z / rate falls below it again for a large rate: floored again
    assert Gamma(1e-3, 1e10).rsample((2000,)).data.min() == np.finfo(np.float32).tiny
