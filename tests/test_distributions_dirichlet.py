"""autograd.distributions.Dirichlet, and Beta's rsample (both through normalised Gamma draws):
PyTorch's numbers in float32 and float64 (log_prob, entropy, mean, mode, variance; broadcast,
batch-1), gradients by central differences, rsample's gradient by Monte Carlo
(d/da_k E[x_j] = δ_jk / Σa - a_j / (Σa)²), draws' moments, the checks; kl_divergence of
Dirichlet-Dirichlet and Beta-Beta."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Beta, Dirichlet, kl_divergence
from distributions_helpers import (DTYPES, assert_draws_match, assert_same, check_gradients,
                                   compare_with_torch)
from torch_helpers import needs_torch, torch


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    methods = ("mean", "mode", "variance", "entropy")
    values = rng.dirichlet([1.0, 2.0, 3.0], (2, 4))                   # broadcast over (4,)
    compare_with_torch("Dirichlet", dtype, dict(concentration=rng.uniform(1.1, 5, (4, 3))),
                       values=values, methods=methods)
    compare_with_torch("Dirichlet", dtype, dict(concentration=np.array([[0.5, 0.3, 1.9]])),
                       values=values[:, :1], methods=methods)            # batch-1
    compare_with_torch("Dirichlet", dtype, dict(concentration=np.array([2.0, 0.5, 3.0])),
                       values=values, methods=methods)                  # mode: clamped at 0
    compare_with_torch("Beta", dtype, dict(concentration1=np.array([2.0, 3.0, 0.5]),
                                           concentration0=np.array([3.0, 0.5, 3.0])),
                       values=[0.2, 0.4, 0.6], methods=("mode",))


def test_mode_where_every_concentration_is_below_one():
    """The density is unbounded there; the mode is taken as the vertex of the largest
    concentration (PyTorch's rule means that too, but its argmax reads the NaN row it replaces,
    so it always gives the first vertex: [1, 0, 0] for [0.5, 0.3, 0.9])."""
    d = Dirichlet(Tensor([[0.5, 0.3, 0.9], [2.0, 1.0, 3.0]]))
    np.testing.assert_allclose(d.mode.numpy(), [[0.0, 0.0, 1.0], [1 / 3, 0.0, 2 / 3]], rtol=1e-6)
    assert Beta(Tensor([0.2, 0.6]), Tensor([0.5, 0.3])).mode.tolist() == [0.0, 1.0]


@needs_torch
def test_kl_is_pytorchs():
    rng = np.random.default_rng(2)
    D, T = torch.distributions, torch.tensor
    for dtype in DTYPES:
        a, b = rng.uniform(0.3, 4, (2, 3)).astype(dtype), rng.uniform(0.3, 4, 3).astype(dtype)
        assert_same(kl_divergence(Dirichlet(Tensor(a)), Dirichlet(Tensor(b))),
                    D.kl_divergence(D.Dirichlet(T(a)), D.Dirichlet(T(b))), dtype, "dirichlet")
        assert_same(kl_divergence(Beta(Tensor(a[0]), Tensor(a[1])), Beta(Tensor(b), 1.5)),
                    D.kl_divergence(D.Beta(T(a[0]), T(a[1])), D.Beta(T(b), 1.5)), dtype, "beta")


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.4, 4, (2, 3)), rng.uniform(0.4, 4, 3)
    x = rng.dirichlet([1.0, 1.0, 1.0], 2)
    # (validate_args off: central differences move x off the simplex)
    check_gradients(lambda a, v: Dirichlet(a, validate_args=False).log_prob(v).sum(), a, x)
    check_gradients(lambda a: Dirichlet(a).entropy().sum(), a)
    check_gradients(lambda a: (Dirichlet(a).variance * Dirichlet(a).mean).sum(), a)
    check_gradients(lambda a, b: kl_divergence(Dirichlet(a), Dirichlet(b)).sum(), a, b)
    check_gradients(lambda a, b: kl_divergence(Beta(a[0], a[1]), Beta(b, b)).sum(), a, b)


@pytest.mark.parametrize("a", [[0.4, 1.0, 3.0], [2.0, 5.0, 8.0]])
def test_rsample_gradient_by_monte_carlo(a):
    """Each concentration's gradient of E[x · w] for fixed weights w (one random upstream
    vector), from 20,000 seeded draws, within 4 standard errors of the per-draw slopes."""
    n, k = 20000, len(a)
    w = np.array([0.3, -1.0, 2.0])
    conc = Tensor(np.tile(a, (n, 1)), requires_grad=True)
    autograd.manual_seed(5)
    x = Dirichlet(conc).rsample()
    (x * Tensor(w)).sum().backward()
    slopes = conc.grad                                   # (n, k): one draw's slope per row
    total = sum(a)
    exact = w / total - (np.array(a) @ w) / total ** 2   # d/da_k Σ_j w_j a_j / Σa
    se = slopes.std(0) / np.sqrt(n)
    assert (np.abs(slopes.mean(0) - exact) < 4 * se).all(), (slopes.mean(0), exact)
    assert not (np.abs(slopes.mean(0) - 1.1 * exact) < 4 * se).all()
    assert np.allclose(x.numpy().sum(-1), 1.0) and x.shape == (n, k)


def test_beta_rsample_gradient_by_monte_carlo():
    """d/da E[x] = b / (a + b)², d/db E[x] = -a / (a + b)²; Beta now draws with gradients."""
    n, a, b = 20000, 0.7, 2.5
    ca, cb = Tensor(np.full(n, a), requires_grad=True), Tensor(np.full(n, b), requires_grad=True)
    autograd.manual_seed(6)
    d = Beta(ca, cb)
    assert d.has_rsample
    d.rsample().sum().backward()
    for slopes, exact in ((ca.grad, b / (a + b) ** 2), (cb.grad, -a / (a + b) ** 2)):
        assert abs(slopes.mean() - exact) < 4 * slopes.std() / np.sqrt(n), (slopes.mean(), exact)


def test_draws_moments_and_checks():
    a = np.array([[0.3, 1.0, 4.0], [2.0, 2.0, 2.0]], np.float32)
    autograd.manual_seed(0)
    d = Dirichlet(Tensor(a))
    draws = d.sample((20000,)).numpy()
    assert draws.shape == (20000, 2, 3) and draws.dtype == np.float32 and (draws > 0).all()
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    assert_draws_match(draws, d.mean.numpy(), d.variance.numpy())
    with pytest.raises(AssertionError):
        assert_draws_match(draws, d.mean.numpy() * [1.03, 1.0, 1.0], d.variance.numpy())
    assert np.isfinite(d.log_prob(Tensor(draws)).numpy()).all()
    with pytest.raises(ValueError, match=r"^Dirichlet: concentration must be positive \(> 0\); "
                                         r"got 0\.0 at index \(1, 2\) of concentration "
                                         r"\(shape \(2, 3\)\)$"):
        Dirichlet(Tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]]))
    with pytest.raises(ValueError, match=r"Dirichlet: concentration must have at least one axis"):
        Dirichlet(1.0)
    with pytest.raises(ValueError, match=r"Dirichlet\.log_prob: value must be probabilities: "
                                         r"non-negative and summing to 1 along the last axis "
                                         r"\(Dirichlet's support\); got the row \[0\.5 0\.6\]"):
        Dirichlet(Tensor([1.0, 1.0])).log_prob(Tensor([[0.5, 0.5], [0.5, 0.6]]))
    with pytest.raises(ValueError, match=r"kl_divergence: the two Dirichlets must have the same "
                                         r"event_shape, got \(2,\) and \(3,\)"):
        kl_divergence(Dirichlet(Tensor([1.0, 1.0])), Dirichlet(Tensor([1.0, 1.0, 1.0])))
