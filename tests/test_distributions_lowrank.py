"""autograd.distributions.LowRankMultivariateNormal: PyTorch's numbers (log_prob, entropy,
covariance, precision, scale_tril, variance) in float32 and float64 with broadcast batches,
the same as the dense MultivariateNormal of W Wᵀ + D; gradients of log_prob, entropy and
rsample (fixed noise) by central differences; the draws' mean and covariance; the KL pairs
with itself and MultivariateNormal."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd import distributions as D
from distributions_helpers import DTYPES, assert_draws_match, assert_same, check_gradients
from torch_helpers import needs_torch, torch

RNG = np.random.default_rng(0)
LOC, W, DIAG = RNG.normal(size=(2, 1, 4)), RNG.normal(size=(3, 4, 2)), RNG.uniform(0.5, 2, 4)


def both(dtype, loc=LOC, w=W, diag=DIAG):
    a = D.LowRankMultivariateNormal(*(Tensor(np.asarray(v, dtype)) for v in (loc, w, diag)))
    b = torch.distributions.LowRankMultivariateNormal(
        *(torch.tensor(np.asarray(v, dtype)) for v in (loc, w, diag)))
    return a, b


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    a, b = both(dtype)
    assert (a.batch_shape, a.event_shape) == ((2, 3), (4,)) == (tuple(b.batch_shape),
                                                                 tuple(b.event_shape))
    tol = {np.float32: 1e-4, np.float64: 1e-10}[dtype]
    for name in ("covariance_matrix", "precision_matrix", "scale_tril", "variance", "mean"):
        np.testing.assert_allclose(getattr(a, name).numpy(), getattr(b, name).numpy(),
                                   rtol=tol, atol=tol, err_msg=name)
    x = np.asarray(RNG.normal(size=(5, 2, 3, 4)), dtype)
    assert_same(a.log_prob(Tensor(x)), b.log_prob(torch.tensor(x)), dtype, "log_prob")
    assert_same(a.entropy(), b.entropy(), dtype, "entropy")
    # batch-1, rank 1
    a, b = both(dtype, RNG.normal(size=(1, 3)), RNG.normal(size=(1, 3, 1)),
                RNG.uniform(0.5, 2, (1, 3)))
    x = np.asarray(RNG.normal(size=(1, 3)), dtype)
    assert_same(a.log_prob(Tensor(x)), b.log_prob(torch.tensor(x)), dtype, "log_prob")


def test_the_dense_gaussian_of_the_same_covariance():
    a = D.LowRankMultivariateNormal(Tensor(LOC), Tensor(W), Tensor(DIAG))
    dense = D.MultivariateNormal(Tensor(np.broadcast_to(LOC, (2, 3, 4))),
                                 covariance_matrix=a.covariance_matrix)
    x = Tensor(RNG.normal(size=(5, 2, 3, 4)))
    np.testing.assert_allclose(a.log_prob(x).numpy(), dense.log_prob(x).numpy(), rtol=1e-11)
    np.testing.assert_allclose(a.entropy().numpy(), dense.entropy().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.precision_matrix.numpy(),
                               np.linalg.inv(a.covariance_matrix.numpy()), rtol=1e-9,
                               atol=1e-12)


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    loc, w, diag = rng.normal(size=3), rng.normal(size=(2, 3, 2)), rng.uniform(0.5, 2, 3)
    x = rng.normal(size=(4, 2, 3))
    check_gradients(lambda m, f, d, v: D.LowRankMultivariateNormal(m, f, d).log_prob(v).sum(),
                    loc, w, diag, x)
    check_gradients(lambda f, d: D.LowRankMultivariateNormal(
        autograd.zeros(3, dtype="float64"), f, d).entropy().sum(), w, diag)

    def drawn(m, f, d):
        autograd.manual_seed(4)
        return (D.LowRankMultivariateNormal(m, f, d).rsample((3,)) ** 2).sum()
    check_gradients(drawn, loc, w, diag)


def test_draws_mean_and_covariance():
    autograd.manual_seed(0)
    loc, w, diag = np.array([1.0, -2.0, 0.5]), np.array([[1.0], [0.5], [-1.0]]), \
        np.array([0.3, 0.5, 0.2])
    d = D.LowRankMultivariateNormal(Tensor(loc), Tensor(w), Tensor(diag))
    x = d.sample((20000,)).numpy()
    cov = w @ w.T + np.diag(diag)
    assert_draws_match(x, loc, np.diag(cov))
    # each pair's product of deviations: mean Σ_ij, variance Σ_ii Σ_jj + Σ_ij² (Gaussian)
    dev = x - loc
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert_draws_match(dev[:, i] * dev[:, j], cov[i, j],
                           cov[i, i] * cov[j, j] + cov[i, j] ** 2)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_pairs_are_pytorchs(dtype):
    rng = np.random.default_rng(2)
    p, tp = both(dtype, rng.normal(size=(2, 4)), rng.normal(size=(2, 4, 2)),
                 rng.uniform(0.5, 2, 4))
    q, tq = both(dtype, rng.normal(size=4), rng.normal(size=(4, 3)), rng.uniform(0.5, 2, 4))
    a = rng.normal(size=(4, 4))
    cov = np.asarray(a @ a.T + 2 * np.eye(4), dtype)
    m = D.MultivariateNormal(Tensor(np.asarray(rng.normal(size=4), dtype)),
                             covariance_matrix=Tensor(cov))
    tm = torch.distributions.MultivariateNormal(torch.tensor(m.loc.numpy()),
                                                covariance_matrix=torch.tensor(cov))
    kl, tkl = D.kl_divergence, torch.distributions.kl_divergence
    tol = dict(rtol=3e-4, atol=3e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-10)
    for x, y, tx, ty in ((p, q, tp, tq), (p, m, tp, tm), (m, q, tm, tq)):
        got, expected = kl(x, y), tkl(tx, ty)
        assert got.shape == tuple(expected.shape) and got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), expected.numpy(), **tol)
    assert np.allclose(kl(p, p).numpy(), 0.0, atol=1e-4)


def test_kl_gradients():
    rng = np.random.default_rng(3)
    args = (rng.normal(size=3), rng.normal(size=(3, 1)), rng.uniform(0.5, 2, 3),
            rng.normal(size=3), rng.normal(size=(3, 2)), rng.uniform(0.5, 2, 3))
    check_gradients(lambda a, b, c, d, e, f: D.kl_divergence(
        D.LowRankMultivariateNormal(a, b, c), D.LowRankMultivariateNormal(d, e, f)), *args)
    check_gradients(lambda a, b, c, d: D.kl_divergence(
        D.LowRankMultivariateNormal(a, b, c),
        D.MultivariateNormal(d, scale_tril=Tensor(np.array(
            [[1.0, 0, 0], [0.3, 1.2, 0], [-0.2, 0.4, 0.8]])))), *args[:4])


def test_errors():
    with pytest.raises(ValueError, match=r"LowRankMultivariateNormal: loc \(3,\), cov_factor "
                                         r"\(4, 1\) and cov_diag \(3,\) must agree in n"):
        D.LowRankMultivariateNormal(autograd.zeros(3), autograd.zeros(4, 1), autograd.ones(3))
    with pytest.raises(ValueError, match=r"LowRankMultivariateNormal: cov_diag must be "
                                         r"positive"):
        D.LowRankMultivariateNormal(autograd.zeros(2), autograd.zeros(2, 1),
                                    autograd.tensor([1.0, 0.0]))
    with pytest.raises(TypeError, match=r"LowRankMultivariateNormal: cov_factor must be a "
                                        r"Tensor \(or an array\), got float"):
        D.LowRankMultivariateNormal(autograd.zeros(2), 1.0, autograd.ones(2))
