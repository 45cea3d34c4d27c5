"""autograd.distributions.MultivariateNormal: the three ways to give Σ, PyTorch's numbers in
float32 and float64 (log_prob, entropy, mean, variance, the matrices) with batch axes that
broadcast, gradients in loc and in each matrix by central differences (rsample's through a
fixed draw), draws' means and covariance, the checks."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import MultivariateNormal
from distributions_helpers import DTYPES, assert_draws_match, check_gradients, compare_with_torch
from torch_helpers import needs_torch

N = 3


def covariances(rng, batch=()):
    """Well-conditioned symmetric positive definite matrices of shape batch + (N, N)."""
    a = rng.normal(size=batch + (N, N))
    return a @ np.swapaxes(a, -1, -2) + N * np.eye(N)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["covariance_matrix", "scale_tril", "precision_matrix"])
def test_numbers_are_pytorchs(dtype, form):
    rng = np.random.default_rng(0)
    cov = covariances(rng, (2, 1))                  # batch (2, 1) against loc's (4,)
    matrix = {"covariance_matrix": cov, "scale_tril": np.linalg.cholesky(cov),
              "precision_matrix": np.linalg.inv(cov)}[form]
    compare_with_torch("MultivariateNormal", dtype, {"loc": rng.normal(size=(4, N)),
                                                     form: matrix},
                       values=rng.normal(size=(5, 2, 4, N)),
                       methods=("mean", "variance", "entropy", "covariance_matrix",
                                "scale_tril", "precision_matrix"))
    # no batch: one vector
    compare_with_torch("MultivariateNormal", dtype, {"loc": rng.normal(size=N),
                                                     form: matrix[0, 0]},
                       values=rng.normal(size=N), methods=("entropy", "variance"))


def test_log_prob_by_the_density_formula():
    rng = np.random.default_rng(1)
    cov, mu, x = covariances(rng), rng.normal(size=N), rng.normal(size=(4, N))
    d = MultivariateNormal(Tensor(mu), covariance_matrix=Tensor(cov))
    diff = x - mu
    expected = (-0.5 * np.einsum("bi,ij,bj->b", diff, np.linalg.inv(cov), diff)
                - 0.5 * np.log(np.linalg.det(2 * np.pi * cov)))
    np.testing.assert_allclose(d.log_prob(Tensor(x)).numpy(), expected, rtol=1e-12)
    assert d.entropy().item() == pytest.approx(
        0.5 * np.log(np.linalg.det(2 * np.pi * np.e * cov)), rel=1e-12)


def test_gradients_by_central_differences():
    rng = np.random.default_rng(2)
    cov, mu, x = covariances(rng, (2,)), rng.normal(size=(2, N)), rng.normal(size=(3, 2, N))
    tril = np.linalg.cholesky(cov)

    def symmetric(c):                               # a perturbation of one entry moves both
        return (c + c.mT) / 2

    def drawn(m, lower):
        autograd.manual_seed(4)
        return (MultivariateNormal(m, scale_tril=lower.tril()).rsample((5,)) ** 2).sum()
    check_gradients(lambda m, c: MultivariateNormal(m, covariance_matrix=symmetric(c))
                    .log_prob(x).sum(), mu, cov)
    check_gradients(lambda m, lower: MultivariateNormal(m, scale_tril=lower.tril())
                    .log_prob(x).sum(), mu, tril)
    check_gradients(lambda m, p: MultivariateNormal(m, precision_matrix=symmetric(p))
                    .log_prob(x).sum(), mu, np.linalg.inv(cov))
    check_gradients(lambda c: MultivariateNormal(Tensor(mu), covariance_matrix=symmetric(c))
                    .entropy().sum(), cov)
    check_gradients(lambda v: MultivariateNormal(Tensor(mu), covariance_matrix=Tensor(cov))
                    .log_prob(v).sum(), x)
    check_gradients(drawn, mu, tril)


def test_draws_mean_and_covariance():
    rng = np.random.default_rng(3)
    cov, mu = covariances(rng), np.array([1.0, -2.0, 0.5])
    autograd.manual_seed(0)
    d = MultivariateNormal(Tensor(mu, requires_grad=True), covariance_matrix=Tensor(cov))
    draws = d.sample((20000,))
    assert draws.shape == (20000, N) and not draws.requires_grad and d.rsample().requires_grad
    x = draws.numpy()
    assert_draws_match(x, mu, np.diag(cov))
    # the covariances: the products of deviations, for every pair
    products = (x - mu)[:, :, None] * (x - mu)[:, None, :]
    spread = products.std(0) / np.sqrt(len(x))
    assert (np.abs(products.mean(0) - cov) <= 4 * spread).all()
    assert not (np.abs(products.mean(0) - 1.1 * cov) <= 4 * spread).all()


def test_checks():
    eye = autograd.eye(2)
    with pytest.raises(ValueError, match=r"^MultivariateNormal: give exactly one of "
                                         r"covariance_matrix=, precision_matrix= or scale_tril=, "
                                         r"got covariance_matrix, scale_tril$"):
        MultivariateNormal(autograd.zeros(2), covariance_matrix=eye, scale_tril=eye)
    with pytest.raises(ValueError, match=r"MultivariateNormal: covariance_matrix must be "
                                         r"symmetric positive definite; got the matrix "
                                         r"\[\[ 1\.  0\.\]\n \[ 0\. -1\.\]\] at index \(1,\)"):
        MultivariateNormal(autograd.zeros(2), covariance_matrix=Tensor(
            [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, -1.0]]]))
    with pytest.raises(ValueError, match=r"MultivariateNormal: scale_tril must be lower "
                                         r"triangular with a positive diagonal"):
        MultivariateNormal(autograd.zeros(2), scale_tril=Tensor([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"MultivariateNormal: loc of shape \(3,\) \(n = 3\) "
                                         r"and covariance_matrix of shape \(2, 2\) \(n = 2\)"):
        MultivariateNormal(autograd.zeros(3), covariance_matrix=eye)
    with pytest.raises(ValueError, match=r"MultivariateNormal\.log_prob: value of shape \(4, 3\) "
                                         r"does not end in event_shape \(2,\)"):
        MultivariateNormal(autograd.zeros(2), covariance_matrix=eye).log_prob(autograd.zeros(4, 3))
    assert repr(MultivariateNormal(autograd.zeros(2), scale_tril=eye)) == (
        "MultivariateNormal(loc: shape (2,), scale_tril: shape (2, 2))")
