"""A user trial: Gaussian-process regression written from scratch as a course's PyTorch
notebook writes it, with `import autograd as torch` and `import nn`. RBF (by cdist and by
broadcasting), Matérn-5/2 and periodic kernels; log-hyperparameters as nn.Parameters; the exact
negative log marginal likelihood by the Cholesky factor, fitted with Adam and with LBFGS; the
predictive mean and variance; jitter when the factor fails (`except RuntimeError`,
`torch.linalg.cholesky_ex`); MultivariateNormal against the hand-written formula; posterior
draws. Gradients against central finite differences in float64; numbers against live PyTorch
where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
from autograd import gradcheck
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

F64 = torch.float64
TIGHT = dict(atol=1e-7, rtol=1e-6)


def data() -> tuple[np.ndarray, np.ndarray]:
    """30 noisy points of f(x) = sin(3x) + 0.3 x², with no data in (-0.5, 1)."""
    rng = np.random.default_rng(0)
    x = np.sort(np.concatenate([rng.uniform(-3, -0.5, 15), rng.uniform(1.0, 3, 15)]))
    return x, np.sin(3 * x) + 0.3 * x ** 2 + 0.1 * rng.standard_normal(30)


def rbf(x1, x2, ls, var, lib=torch):
    return var * lib.exp(-0.5 * lib.cdist(x1 / ls, x2 / ls) ** 2)


def rbf_broadcast(x1, x2, ls, var, lib=torch):
    return var * lib.exp(-0.5 * ((x1[:, None] - x2[None]) ** 2).sum(-1) / ls ** 2)


def matern52(x1, x2, ls, var, lib=torch):
    r = lib.cdist(x1, x2) / ls
    return var * (1 + math.sqrt(5) * r + 5 / 3 * r ** 2) * lib.exp(-math.sqrt(5) * r)


def periodic(x1, x2, ls, var, lib=torch):
    d = lib.abs(x1[:, None, 0] - x2[None, :, 0])
    return var * lib.exp(-2 * lib.sin(math.pi * d / 2.0) ** 2 / ls ** 2)


KERNELS = {"rbf": rbf, "rbf_broadcast": rbf_broadcast, "matern52": matern52,
           "periodic": periodic}


def nlml(kernel, X, y, log_ls, log_var, log_noise, lib=torch):
    """The exact negative log marginal likelihood: ½ yᵀK⁻¹y + Σ log L_ii + n/2 log 2π."""
    n = X.shape[0]
    eye = lib.eye(n, dtype=lib.float64)
    K = kernel(X, X, log_ls.exp(), log_var.exp(), lib) + log_noise.exp() * eye
    L = lib.linalg.cholesky(K)
    alpha = lib.cholesky_solve(y.unsqueeze(-1), L)
    return (0.5 * (y.unsqueeze(-1) * alpha).sum() + L.diagonal().log().sum()
            + 0.5 * n * math.log(2 * math.pi))


class GP(nn.Module):
    def __init__(self, kernel, start=(0.0, 0.0, -2.0)):
        super().__init__()
        self.kernel = kernel
        self.log_ls, self.log_var, self.log_noise = (
            nn.Parameter(torch.tensor(v, dtype=F64)) for v in start)

    def nlml(self, X, y):
        return nlml(self.kernel, X, y, self.log_ls, self.log_var, self.log_noise)

    def predict(self, X, y, Xs):
        return predict(self.kernel, X, y, Xs, self.log_ls, self.log_var, self.log_noise)


def predict(kernel, X, y, Xs, log_ls, log_var, log_noise):
    """The predictive mean, variance (the covariance's diagonal) and covariance at Xs."""
    ls, var = log_ls.exp(), log_var.exp()
    noise = log_noise.exp() * torch.eye(len(X), dtype=F64)
    L = torch.linalg.cholesky(kernel(X, X, ls, var) + noise)
    Ks = kernel(X, Xs, ls, var)
    mean = (Ks.T @ torch.cholesky_solve(y.unsqueeze(-1), L)).squeeze(-1)
    v = torch.linalg.solve_triangular(L, Ks, upper=False)
    cov = kernel(Xs, Xs, ls, var) - v.T @ v
    return mean, cov.diag(), cov


def tensors():
    x, y = data()
    return torch.tensor(x, dtype=F64).unsqueeze(-1), torch.tensor(y, dtype=F64)


@pytest.mark.parametrize("name", list(KERNELS))
def test_the_nlml_gradient_matches_finite_differences_for_each_hyperparameter(name):
    X, y = tensors()
    hypers = [torch.tensor(v, dtype=F64, requires_grad=True) for v in (0.2, 0.3, -1.5)]
    assert gradcheck(lambda a, b, c: nlml(KERNELS[name], X, y, a, b, c), *hypers, **TIGHT)


def test_the_rbf_by_cdist_and_by_broadcasting_agree():
    X, _ = tensors()
    a, b = rbf(X, X, 0.7, 1.3), rbf_broadcast(X, X, 0.7, 1.3)
    np.testing.assert_allclose(a.data, b.data, rtol=0, atol=1e-12)


def test_adam_and_lbfgs_fit_the_hyperparameters_and_the_gap_is_uncertain():
    X, y = tensors()
    gp = GP(rbf)
    start = gp.nlml(X, y).item()
    optimizer = nn.optim.Adam(gp.parameters(), lr=0.05)
    for _ in range(100):
        optimizer.zero_grad()
        loss = gp.nlml(X, y)
        loss.backward()
        optimizer.step()
    after_adam = gp.nlml(X, y).item()
    lbfgs = nn.optim.LBFGS(gp.parameters(), lr=1, max_iter=50, line_search_fn="strong_wolfe")

    def closure():
        lbfgs.zero_grad()
        loss = gp.nlml(X, y)
        loss.backward()
        return loss
    lbfgs.step(closure)
    final = gp.nlml(X, y).item()
    assert start > 25 and after_adam < -3.5 and final <= after_adam
    assert np.abs([p.grad.item() for p in gp.parameters()]).max() < 1e-4    # a stationary point
    assert 0.05 < gp.log_noise.exp().sqrt().item() < 0.2                   # the data's noise: 0.1

    Xs = torch.tensor([[-2.0], [0.25], [2.0]], dtype=F64)
    with torch.no_grad():
        mean, var, _ = gp.predict(X, y, Xs)
    truth = np.sin(3 * Xs.data[:, 0]) + 0.3 * Xs.data[:, 0] ** 2
    assert np.abs(mean.data[[0, 2]] - truth[[0, 2]]).max() < 0.15          # where there is data
    assert var.data[1] > 20 * max(var.data[0], var.data[2])                # the gap


def test_the_predictive_variance_gradient_in_the_lengthscale_matches_finite_differences():
    X, y = tensors()
    Xs = torch.linspace(-4, 4, 9, dtype=F64).unsqueeze(-1)

    def total_variance(log_ls):
        others = (torch.tensor(v, dtype=F64) for v in (0.3, -2.0))
        return predict(rbf, X, y, Xs, log_ls, *others)[1].sum()
    assert gradcheck(total_variance, torch.tensor(-0.3, dtype=F64, requires_grad=True), **TIGHT)


def test_multivariate_normal_log_prob_is_the_hand_written_marginal_likelihood():
    X, y = tensors()
    hypers = [torch.tensor(v, dtype=F64, requires_grad=True) for v in (0.1, 0.3, -2.0)]
    ls, var, noise = (h.exp() for h in hypers)
    K = rbf(X, X, ls, var) + noise * torch.eye(30, dtype=F64)
    mvn = torch.distributions.MultivariateNormal(torch.zeros(30, dtype=F64), covariance_matrix=K)
    log_prob, by_hand = mvn.log_prob(y), -nlml(rbf, X, y, *hypers)
    assert abs(log_prob.item() - by_hand.item()) < 1e-11
    ours = torch.autograd.grad(log_prob, hypers)
    hand = torch.autograd.grad(by_hand, hypers)
    np.testing.assert_allclose([g.item() for g in ours], [g.item() for g in hand], rtol=1e-12)
    tril = torch.distributions.MultivariateNormal(torch.zeros(30, dtype=F64),
                                                  scale_tril=torch.linalg.cholesky(K))
    assert abs(tril.log_prob(y).item() - by_hand.item()) < 1e-11


def test_posterior_draws_have_the_predictive_covariance():
    torch.manual_seed(0)
    X, y = tensors()
    gp = GP(rbf, (-0.3, 0.2, -4.0))
    Xs = torch.linspace(-3, 3, 12, dtype=F64).unsqueeze(-1)
    with torch.no_grad():
        mean, var, cov = gp.predict(X, y, Xs)
        jittered = cov + 1e-9 * torch.eye(12, dtype=F64)
        draws = mean + torch.randn(4000, 12, dtype=F64) @ torch.linalg.cholesky(jittered).T
        posterior = torch.distributions.MultivariateNormal(mean, jittered)
        samples = posterior.sample(torch.Size([4000]))
    for f in (draws, samples):
        assert f.shape == (4000, 12)
        assert np.abs(f.mean(0).data - mean.data).max() < 4 * np.sqrt(var.data.max() / 4000)
        np.testing.assert_allclose(np.cov(f.data.T), cov.data, atol=0.08 * var.data.max())


def test_a_failed_cholesky_is_a_runtime_error_so_the_jitter_loop_runs():
    """PyTorch's Cholesky raises torch.linalg.LinAlgError, a RuntimeError: GP code adds jitter
    in `except RuntimeError`. Before, glassgrad's was numpy's LinAlgError (a ValueError), and
    the loop stopped at the first failure."""
    x = torch.linspace(0, 1, 40, dtype=F64).unsqueeze(-1)
    K = rbf(x, x, 0.5, 1.0)                     # singular to rounding: not positive definite

    def safe_cholesky(K, jitter=0.0):
        for _ in range(12):
            try:
                return torch.linalg.cholesky(K + jitter * torch.eye(len(K), dtype=F64)), jitter
            except RuntimeError:
                jitter = 1e-10 if jitter == 0 else 10 * jitter
        raise AssertionError("jitter never helped")
    L, jitter = safe_cholesky(K)
    assert 0 < jitter <= 1e-4 and np.allclose((L @ L.T).data, K.data, atol=2 * jitter)
    k = first_failing_minor(K.data)             # (8 here with numpy 2's LAPACK, 10 with 1.24's)
    with pytest.raises(torch.linalg.LinAlgError, match=f"leading {k} × {k} minor is not"):
        torch.linalg.cholesky(K)
    with pytest.raises(np.linalg.LinAlgError):  # numpy's spelling still catches it
        torch.linalg.solve(torch.zeros(2, 2, dtype=F64), torch.ones(2, dtype=F64))


def first_failing_minor(a: np.ndarray) -> int:
    """The order of the first leading minor numpy's Cholesky refuses, tried one by one."""
    for k in range(1, len(a) + 1):
        try:
            np.linalg.cholesky(a[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def test_cholesky_ex_reports_the_failing_minor_instead_of_raising():
    x = torch.linspace(0, 1, 40, dtype=F64).unsqueeze(-1)
    K = rbf(x, x, 0.5, 1.0)
    L, info = torch.linalg.cholesky_ex(K)
    assert 0 < first_failing_minor(K.data) == info.item() and info.dtype == np.int32
    assert np.isnan(L.data).all()
    good = K + 1e-6 * torch.eye(40, dtype=F64)
    L, info = torch.linalg.cholesky_ex(good)
    assert info.item() == 0
    np.testing.assert_array_equal(L.data, torch.linalg.cholesky(good).data)
    with pytest.raises(torch.linalg.LinAlgError, match="not positive definite"):
        torch.linalg.cholesky_ex(K, check_errors=True)
    # a batch: one matrix fails, the other's factor and gradient are cholesky's
    M = np.random.default_rng(1).standard_normal((4, 4))
    batch = np.stack([M @ M.T + 4 * np.eye(4), -np.eye(4)])
    A = torch.tensor(batch, dtype=F64, requires_grad=True)
    L, info = torch.linalg.cholesky_ex(A)
    assert info.tolist() == [0, 1] and np.isnan(L.data[1]).all()
    np.testing.assert_allclose(L.data[0], np.linalg.cholesky(batch[0]), rtol=1e-14)
    L[0].sum().backward()
    assert np.abs(A.grad[1]).max() == 0 and np.abs(A.grad[0]).max() > 0
    # (the factor reads one triangle: perturb A and Aᵀ together)
    assert gradcheck(lambda A: torch.linalg.cholesky_ex(0.5 * (A + A.mT))[0][0].sum().tanh(),
                     torch.tensor(batch, dtype=F64, requires_grad=True), **TIGHT)
    L, info = torch.linalg.cholesky_ex(torch.tensor(batch[:1], dtype=F64), upper=True)
    np.testing.assert_allclose(L.data[0], np.linalg.cholesky(batch[0]).T, rtol=1e-14)


@needs_torch
@pytest.mark.parametrize("name", list(KERNELS))
def test_nlml_its_gradient_and_adam_steps_are_pytorch_s(name):
    x, yv = data()
    values, grads, after = [], [], []
    for lib in (torch, real_torch):
        X = lib.tensor(x, dtype=lib.float64).unsqueeze(-1)
        y = lib.tensor(yv, dtype=lib.float64)
        hypers = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in (0.0, 0.0, -2.0)]
        optimizer = (nn.optim if lib is torch else real_torch.optim).Adam(hypers, lr=0.05)
        for step in range(30):
            optimizer.zero_grad()
            loss = nlml(KERNELS[name], X, y, *hypers, lib=lib)
            loss.backward()
            if step == 0:
                values.append(loss.item())
                grads.append([h.grad.item() for h in hypers])
            optimizer.step()
        after.append([h.item() for h in hypers])
    assert abs(values[0] - values[1]) < 1e-9 * abs(values[1])
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9)
    np.testing.assert_allclose(after[0], after[1], rtol=1e-9)


@needs_torch
def test_predictions_lbfgs_and_cholesky_ex_are_pytorch_s():
    x, yv = data()
    results = []
    for lib in (torch, real_torch):
        X = lib.tensor(x, dtype=lib.float64).unsqueeze(-1)
        y = lib.tensor(yv, dtype=lib.float64)
        hypers = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in (0.0, 0.0, -2.0)]
        lbfgs = (nn.optim if lib is torch else real_torch.optim).LBFGS(
            hypers, lr=1, max_iter=50, line_search_fn="strong_wolfe")

        def closure():
            lbfgs.zero_grad()
            loss = nlml(rbf, X, y, *hypers, lib=lib)
            loss.backward()
            return loss
        lbfgs.step(closure)
        ls, var, noise = (h.exp() for h in hypers)
        Xs = lib.linspace(-4, 4, 9, dtype=lib.float64).unsqueeze(-1)
        L = lib.linalg.cholesky(rbf(X, X, ls, var, lib) + noise * lib.eye(30, dtype=lib.float64))
        Ks = rbf(X, Xs, ls, var, lib)
        v = lib.linalg.solve_triangular(L, Ks, upper=False)
        variance = (rbf(Xs, Xs, ls, var, lib) - v.T @ v).diagonal()
        mean = (Ks.T @ lib.cholesky_solve(y.unsqueeze(-1), L)).squeeze(-1)
        variance.sum().backward()
        singular = rbf(Xs[:3], Xs[:3], 100.0, 1.0, lib)
        results.append(([h.item() for h in hypers], mean.tolist(), variance.tolist(),
                         hypers[0].grad.item(), lib.linalg.cholesky_ex(singular)[1].item()))
    ours, theirs = results
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)
