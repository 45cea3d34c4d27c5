"""autograd.distributions.kl_divergence: PyTorch's numbers in float32 and float64 for every
pair here (Normal, Bernoulli, Categorical, MultivariateNormal, Independent; zeros give inf or
0 as in PyTorch), a quadrature check, gradients in both arguments by central differences,
register_kl, and the error for a pair without a formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import (Bernoulli, Categorical, Exponential, Independent,
                                    MultivariateNormal, Normal, kl, kl_divergence, register_kl)
from distributions_helpers import DTYPES, assert_same, check_gradients, ours, theirs
from torch_helpers import needs_torch, torch


def covariances(rng, batch):
    a = rng.normal(size=batch + (3, 3))
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)


def pairs(rng):
    """(name, p's parameters, q's parameters) for each family, with broadcast batches."""
    return [
        ("Normal", dict(loc=rng.normal(size=(2, 3)), scale=rng.uniform(0.3, 2, (2, 3))),
         dict(loc=rng.normal(size=3), scale=rng.uniform(0.3, 2, 3))),
        ("Bernoulli", dict(probs=rng.uniform(0.05, 0.95, 4)), dict(logits=rng.normal(0, 2, 4))),
        ("Bernoulli", dict(probs=[0.0, 1.0, 0.3, 0.0, 1.0]),
         dict(probs=[0.0, 1.0, 0.0, 0.4, 0.4])),
        ("Categorical", dict(logits=rng.normal(size=(2, 4))), dict(probs=rng.uniform(0, 1, 4))),
        ("Categorical", dict(probs=[[0.5, 0.5, 0.0], [0.2, 0.0, 0.8]]),
         dict(probs=[[0.3, 0.7, 0.0], [0.5, 0.5, 0.0]])),              # 0 · ∞ is 0; p > 0 = q: ∞
        ("MultivariateNormal", dict(loc=rng.normal(size=(2, 3)), covariance_matrix=covariances(
            rng, (2,))), dict(loc=rng.normal(size=3), scale_tril=np.linalg.cholesky(
                covariances(rng, ())))),
    ]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    for name, p, q in pairs(rng):
        got = kl_divergence(ours(name, dtype, **p), ours(name, dtype, **q))
        expected = torch.distributions.kl_divergence(theirs(name, dtype, **p),
                                                     theirs(name, dtype, **q))
        assert_same(got, expected, dtype, name)
    loc, scale = rng.normal(size=(2, 3)), rng.uniform(0.5, 2, (2, 3))
    for n in (1, 2):
        a = Independent(ours("Normal", dtype, loc=loc, scale=scale), n)
        b = Independent(ours("Normal", dtype, loc=-loc, scale=2 * scale), n)
        ta = torch.distributions.Independent(theirs("Normal", dtype, loc=loc, scale=scale), n)
        tb = torch.distributions.Independent(theirs("Normal", dtype, loc=-loc, scale=2 * scale),
                                             n)
        assert_same(kl_divergence(a, b), torch.distributions.kl_divergence(ta, tb), dtype)


def test_normal_kl_by_quadrature_and_its_zero():
    m1, s1, m2, s2 = 0.3, 0.5, -1.0, 1.5
    grid = np.linspace(-30, 30, 200001)
    log_p = -((grid - m1) / s1) ** 2 / 2 - math.log(s1) - math.log(2 * math.pi) / 2
    log_q = -((grid - m2) / s2) ** 2 / 2 - math.log(s2) - math.log(2 * math.pi) / 2
    by_sum = (np.exp(log_p) * (log_p - log_q)).sum() * (grid[1] - grid[0])
    p = Normal(Tensor(m1, dtype="float64"), Tensor(s1, dtype="float64"))
    q = Normal(Tensor(m2, dtype="float64"), Tensor(s2, dtype="float64"))
    assert kl_divergence(p, q).item() == pytest.approx(by_sum, rel=1e-9)
    assert kl_divergence(p, p).item() == 0.0
    same = MultivariateNormal(autograd.zeros(3, dtype="float64"),
                              covariance_matrix=autograd.eye(3, dtype="float64") * 2)
    assert abs(kl_divergence(same, same).item()) < 1e-15


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    check_gradients(lambda a, b, c, d: kl_divergence(Normal(a, b), Normal(c, d)).sum(),
                    rng.normal(size=3), rng.uniform(0.5, 2, 3), rng.normal(size=3),
                    rng.uniform(0.5, 2, 3))
    check_gradients(lambda a, b: kl_divergence(Bernoulli(logits=a), Bernoulli(probs=b)).sum(),
                    rng.normal(size=3), rng.uniform(0.1, 0.9, 3))
    check_gradients(lambda a, b: kl_divergence(Categorical(logits=a), Categorical(logits=b))
                    .sum(), rng.normal(size=(2, 4)), rng.normal(size=(2, 4)))
    cov_p, cov_q = covariances(rng, (2,)), covariances(rng, ())
    check_gradients(lambda m, lp, n, lq: kl_divergence(
        MultivariateNormal(m, scale_tril=lp.tril()), MultivariateNormal(n, scale_tril=lq.tril()))
        .sum(), rng.normal(size=(2, 3)), np.linalg.cholesky(cov_p), rng.normal(size=3),
        np.linalg.cholesky(cov_q))
    check_gradients(lambda a, b: kl_divergence(Independent(Normal(a, 1.0), 1),
                                               Independent(Normal(0.0, b), 1)).sum(),
                    rng.normal(size=(2, 3)), rng.uniform(0.5, 2, 3))


def test_a_pair_without_a_formula_names_both_and_register_kl_adds_one():
    with pytest.raises(NotImplementedError, match=r"^kl_divergence: no closed form for Normal to "
                                                  r"Exponential here; the pairs are "
                                                  r"Normal-Normal, Bernoulli-Bernoulli, "
                                                  r"Categorical-Categorical, "
                                                  r"MultivariateNormal-MultivariateNormal, "
                                                  r"Independent-Independent"):
        kl_divergence(Normal(0.0, 1.0), Exponential(1.0))
    with pytest.raises(NotImplementedError, match=r"Independent distributions over 1 and 2 "
                                                  r"reinterpreted axes"):
        kl_divergence(Independent(Normal(autograd.zeros(2, 2), 1.0), 1),
                      Independent(Normal(autograd.zeros(2, 2), 1.0), 2))
    with pytest.raises(ValueError, match=r"kl_divergence: the two MultivariateNormals must have "
                                         r"the same event_shape, got \(2,\) and \(3,\)"):
        kl_divergence(MultivariateNormal(autograd.zeros(2), scale_tril=autograd.eye(2)),
                      MultivariateNormal(autograd.zeros(3), scale_tril=autograd.eye(3)))

    class Rate(Exponential):
        pass

    @register_kl(Rate, Exponential)
    def _rates(p, q):                               # ln(λp / λq) + λq / λp - 1
        return (p.rate / q.rate).log() + q.rate / p.rate - 1
    try:
        assert kl_divergence(Rate(2.0), Exponential(1.0)).item() == pytest.approx(
            math.log(2) - 0.5)
    finally:
        del kl._FORMULAS[Rate, Exponential]
    with pytest.raises(TypeError, match=r"register_kl: expected Distribution subclasses"):
        register_kl(Normal, int)


def test_pytorchs_spelling_kl_kl_divergence():
    import autograd as torch_
    assert torch_.distributions.kl.kl_divergence is kl_divergence
    assert torch_.distributions.kl_divergence is kl_divergence
