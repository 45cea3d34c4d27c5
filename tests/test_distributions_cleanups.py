"""The clean-ups of autograd.distributions (shared helpers in place of copies) left the numbers
where they were: each shared helper gives what the copies computed, in float32 and float64,
with the same gradients and the same errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd import distributions as D
from autograd.distributions.probs_or_logits import ProbsOrLogits
from distributions_helpers import DTYPES, check_gradients
from torch_helpers import needs_torch, torch

#: the families of one success probability, each built with probs= or logits=
COINS = {"Bernoulli": lambda **p: D.Bernoulli(**p),
         "Binomial": lambda **p: D.Binomial(5, **p),
         "Geometric": lambda **p: D.Geometric(**p),
         "NegativeBinomial": lambda **p: D.NegativeBinomial(2.5, **p),
         "LogitRelaxedBernoulli": lambda **p: D.LogitRelaxedBernoulli(0.7, **p)}
#: probabilities each accepts, the ends included where its support allows them
PROBS = {"Bernoulli": [0.0, 0.25, 0.9, 1.0], "Binomial": [0.0, 0.25, 0.9, 1.0],
         "Geometric": [0.25, 0.9, 1.0], "NegativeBinomial": [0.0, 0.25, 0.9],
         "LogitRelaxedBernoulli": [0.0, 0.25, 0.9, 1.0]}


@pytest.mark.parametrize("name", COINS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_probs_logits_pair_is_one_helper_with_the_same_numbers(name, dtype):
    probs = np.array(PROBS[name], dtype)
    made = COINS[name](probs=Tensor(probs))
    assert isinstance(made, ProbsOrLogits) and "logits" not in made.__dict__
    eps = np.finfo(dtype).eps
    clamped = np.clip(probs, eps, 1 - eps)
    expected = np.log(clamped) - np.log1p(-clamped)
    np.testing.assert_allclose(made.logits.numpy(), expected, rtol=4 * eps)
    assert made.logits.dtype == dtype and "logits" in made.__dict__      # kept once read
    logits = np.array([-30.0, -2.0, 0.0, 3.0], dtype)
    made = COINS[name](logits=Tensor(logits))
    np.testing.assert_allclose(made.probs.numpy(), 1 / (1 + np.exp(-logits.astype(np.float64))),
                               rtol=4 * eps, atol=0)


@pytest.mark.parametrize("name", COINS)
def test_the_other_parameter_read_first_inside_no_grad_still_passes_gradients(name):
    logits = autograd.tensor([0.3, -0.8], dtype=autograd.float64, requires_grad=True)
    made = COINS[name](logits=logits)
    with autograd.no_grad():
        made.probs                                  # first read here: recorded all the same
    made.probs.sum().backward()
    p = 1 / (1 + np.exp(-logits.data))
    np.testing.assert_allclose(logits.grad, p * (1 - p), rtol=1e-12)
    check_gradients(lambda t: COINS[name](probs=t).logits, [0.2, 0.7])


@pytest.mark.parametrize("name", COINS)
def test_the_pair_says_the_same_errors(name):
    for given, said in ((dict(probs=0.5, logits=0.0), "both"), ({}, "neither")):
        with pytest.raises(ValueError, match=rf"^{name}: give either probs= or logits=, not "
                                             rf"both \(got {said}\)$"):
            COINS[name](**given)
    with pytest.raises(TypeError, match=rf"^{name}: probs must be a number or a Tensor, got"):
        COINS[name](probs="0.5")


def test_euler_gamma_is_defined_once_with_the_value_both_copies_had():
    from autograd.distributions import base, gumbel, kl, kl_gamma
    assert gumbel.EULER_GAMMA is base.EULER_GAMMA and kl_gamma.EULER_GAMMA is base.EULER_GAMMA
    assert kl.EULER_GAMMA is base.EULER_GAMMA
    assert base.EULER_GAMMA == 0.57721566490153286061 == 0.5772156649015329     # the two copies
    one = Tensor(np.array(1.0))
    assert abs(-one.digamma().item() - base.EULER_GAMMA) < 1e-15
    # what uses it: Gumbel's mean and entropy, Exponential-Gamma's KL (γ = -ψ(1) there)
    assert D.Gumbel(0.0, 1.0).mean.item() == np.float32(base.EULER_GAMMA)
    r, a, b = 1.5, 2.0, 0.5
    expected = (np.log(r) - 1 - a * np.log(b)
                + (a - 1) * (0.5772156649015329 + np.log(r)) + b / r)   # ln Γ(2) = 0
    got = D.kl_divergence(D.Exponential(Tensor(np.array(r))), D.Gamma(Tensor(np.array(a)),
                                                                     Tensor(np.array(b))))
    assert abs(got.item() - expected) < 1e-14


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_on_diagonal_serves_the_low_rank_normal_lower_cholesky_and_kl(dtype):
    from autograd.distributions import base, lowrank_multivariate_normal, kl
    from autograd.distributions.transforms import LowerCholeskyTransform, simplex
    assert lowrank_multivariate_normal.on_diagonal is base.on_diagonal
    assert simplex.on_diagonal is base.on_diagonal and kl.on_diagonal is base.on_diagonal
    rng = np.random.default_rng(3)
    d = rng.uniform(0.5, 2.0, (2, 3)).astype(dtype)
    expected = np.zeros((2, 3, 3), dtype)
    expected[:, range(3), range(3)] = d
    got = base.on_diagonal(Tensor(d))
    assert got.dtype == dtype and np.array_equal(got.numpy(), expected)
    x = rng.normal(size=(2, 3, 3)).astype(dtype)
    lower = np.tril(x, -1) + np.exp(x) * np.eye(3, dtype=dtype)
    np.testing.assert_allclose(LowerCholeskyTransform()(Tensor(x)).numpy(), lower, rtol=1e-6)
    check_gradients(lambda t: base.on_diagonal(t) * Tensor(np.arange(9.0).reshape(3, 3)), d)


def test_the_low_rank_kl_divergences_keep_their_numbers_and_gradients():
    """The two hand-written diagonals in kl.py are on_diagonal now: KL against the dense
    formula, and the gradients by central differences."""
    rng = np.random.default_rng(4)
    m, w = rng.normal(size=3), rng.normal(size=(3, 2))
    diag, lq = rng.uniform(0.5, 2.0, 3), np.tril(rng.normal(size=(3, 3))) + 3 * np.eye(3)

    def dense(mp, sp, mq, sq):
        solved = np.linalg.solve(sq, sp)
        gap = mq - mp
        return 0.5 * (np.trace(solved) + gap @ np.linalg.solve(sq, gap) - 3
                      + np.linalg.slogdet(sq)[1] - np.linalg.slogdet(sp)[1])
    low = D.LowRankMultivariateNormal(Tensor(m), Tensor(w), Tensor(diag))
    full = D.MultivariateNormal(Tensor(m * 0), scale_tril=Tensor(lq))
    sigma_low, sigma_full = w @ w.T + np.diag(diag), lq @ lq.T
    assert abs(D.kl_divergence(low, full).item()
               - dense(m, sigma_low, 0 * m, sigma_full)) < 1e-12
    low2 = D.LowRankMultivariateNormal(Tensor(m * 0.5), Tensor(2 * w), Tensor(diag + 1))
    assert abs(D.kl_divergence(low, low2).item()
               - dense(m, sigma_low, 0.5 * m, 4 * w @ w.T + np.diag(diag + 1))) < 1e-12
    check_gradients(lambda d: D.kl_divergence(D.LowRankMultivariateNormal(
        Tensor(m), Tensor(w), d), full), diag)
    check_gradients(lambda d: D.kl_divergence(D.LowRankMultivariateNormal(
        Tensor(m), Tensor(w), d), low2), diag)


@needs_torch
def test_the_dirichlet_mode_docstring_says_what_each_library_gives_below_one():
    """Every concentration below 1: glassgrad the vertex of the largest, PyTorch 2.13 the
    first vertex, as Dirichlet.mode's docstring says (and the same numbers as before)."""
    a = np.array([[0.2, 0.5, 0.3], [0.9, 0.2, 0.1], [2.0, 3.0, 0.5]])
    ours = D.Dirichlet(Tensor(a)).mode.numpy()
    np.testing.assert_allclose(ours, [[0, 1, 0], [1, 0, 0], [1 / 3, 2 / 3, 0]], rtol=1e-15)
    theirs = torch.distributions.Dirichlet(torch.tensor(a)).mode.numpy()
    np.testing.assert_array_equal(theirs[:2], [[1, 0, 0], [1, 0, 0]])
    np.testing.assert_allclose(theirs[2], ours[2], rtol=1e-15)
    assert "PyTorch 2.13 gives the first" in " ".join(D.Dirichlet.mode.__doc__.split())
    assert D.Beta(Tensor([0.2, 0.5]), Tensor([0.5, 0.2])).mode.tolist() == [0.0, 1.0]


def test_the_poisson_kl_keeps_its_where_for_the_gradient_at_a_zero_rate():
    """The review thought the where in _kl_poisson_poisson redundant: xlogy gives +inf where
    q's rate is 0 and p's is not, so the numbers would not move, but the gradients there
    would (p's rate would get inf, not 0), so it stays. Away from 0 the gradients are the
    formula's; the values are pinned everywhere."""
    lp = Tensor(np.array([0.0, 2.0, 2.0, 1.5]), requires_grad=True)
    lq = Tensor(np.array([3.0, 0.0, 0.5, 1.5]), requires_grad=True)
    kl = D.kl_divergence(D.Poisson(lp), D.Poisson(lq))
    np.testing.assert_allclose(kl.numpy(), [3.0, np.inf, 2 * np.log(4) - 1.5, 0.0], rtol=1e-15)
    kl.sum().backward()
    assert lp.grad[1] == 0.0                         # inf without the where
    np.testing.assert_allclose(lp.grad[2:], np.log([4.0, 1.0]), rtol=1e-15, atol=0)
    np.testing.assert_allclose(lq.grad[[0, 2, 3]], [1.0, 1 - 2 / 0.5, 0.0], rtol=1e-15)
    check_gradients(lambda a, b: D.kl_divergence(D.Poisson(a), D.Poisson(b)),
                    [0.3, 2.0, 1.5], [1.2, 0.5, 4.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_families_made_of_a_categorical_share_its_parameters(dtype):
    """OneHotCategorical, Multinomial and ExpRelaxedCategorical take probs, logits,
    param_shape and dtype from one mixin, and RelaxedBernoulli and RelaxedOneHotCategorical
    temperature, probs and logits from another: the Categorical's and the base's numbers."""
    from autograd.distributions.categorical import OfCategorical
    from autograd.distributions.relaxed_bernoulli import OfRelaxedBase
    logits = Tensor(np.array([[0.1, 0.5, -0.2], [1.0, 0.0, 0.3]], dtype))
    plain = D.Categorical(logits=logits)
    for made in (D.OneHotCategorical(logits=logits), D.Multinomial(3, logits=logits),
                 D.ExpRelaxedCategorical(0.5, logits=logits)):
        assert isinstance(made, OfCategorical)
        assert np.array_equal(made.probs.numpy(), plain.probs.numpy())
        assert np.array_equal(made.logits.numpy(), plain.logits.numpy())
        assert made.param_shape == (2, 3) and made._dtype() == dtype
    assert repr(D.OneHotCategorical(logits=logits)) == "OneHotCategorical(logits: shape (2, 3))"
    for made in (D.RelaxedBernoulli(Tensor(np.array(0.5, dtype)), probs=0.3),
                 D.RelaxedOneHotCategorical(Tensor(np.array(0.5, dtype)), logits=logits)):
        assert isinstance(made, OfRelaxedBase) and made.temperature is made.base_dist.temperature
        assert made.probs is made.base_dist.probs and made.logits is made.base_dist.logits
