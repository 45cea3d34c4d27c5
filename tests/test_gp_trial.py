"""A user trial: a researcher prototyping probabilistic models whose training needs linear
algebra gradients, written as PyTorch code with `import autograd as torch`, `import nn`,
`from nn import functional as F`, `import nn.optim as optim`. Exact GP regression (RBF and
Matérn-5/2, softplus hyperparameters, the NLML by cholesky / cholesky_solve / solve_triangular
and by slogdet / logdet / inv, Adam and LBFGS, the learned hyperparameters against the ones the
data were drawn with, jitter); a batch of GPs (B, n, n); a sparse variational GP (learnable
inducing points, whitened q(u) with a tril + softplus-diagonal factor, minibatch ELBO);
Bayesian linear regression in closed form against MAP; a Kalman filter whose log-likelihood
learns its noise variances back; MultivariateNormal(scale_tril=...) against the formulas; a
Laplace approximation (autograd.functional.hessian, eigh); QR and SVD gradients in a low-rank
factorisation; block_diag. Gradients against central differences in float64; values and
gradients against live PyTorch where it is installed (the same program runs on both: `lib`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
import nn.optim as optim
from autograd import gradcheck
from nn import functional as F
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

F64 = torch.float64
LOG2PI = math.log(2 * math.pi)


def libs():
    """(torch module, functional, optim, Parameter) for glassgrad and, if installed, PyTorch."""
    ours = (torch, F, optim, nn.Parameter)
    if real_torch is None:
        return [ours]
    return [ours, (real_torch, real_torch.nn.functional, real_torch.optim,
                   real_torch.nn.Parameter)]


def as_np(t) -> np.ndarray:
    """A glassgrad or PyTorch tensor's (or a glassgrad .grad array's) numbers."""
    if isinstance(t, np.ndarray):
        return t
    t = t.detach()
    return t.numpy() if hasattr(t, "numpy") else np.asarray(t.data)


# -- exact GP regression ------------------------------------------------------------------------

def rbf(x1, x2, ls, var, lib=torch):
    d2 = ((x1.unsqueeze(-2) - x2.unsqueeze(-3)) ** 2).sum(-1)      # broadcast, batched
    return var * lib.exp(-0.5 * d2 / ls ** 2)


def matern52(x1, x2, ls, var, lib=torch):
    r = lib.cdist(x1, x2) / ls                                     # cdist: 0 gradient at r = 0
    return var * (1 + math.sqrt(5) * r + 5 / 3 * r ** 2) * lib.exp(-math.sqrt(5) * r)


def nlml_terms(kernel, raw, X, y, lib=torch, Fm=F):
    """The NLML four ways, from raw hyperparameters (..., 3) through softplus."""
    ls, var, noise = (Fm.softplus(raw[..., i])[..., None, None] for i in range(3))
    n = X.shape[-2]
    K = kernel(X, X, ls, var, lib) + noise * lib.eye(n, dtype=lib.float64)
    L = lib.linalg.cholesky(K)
    yc = y.unsqueeze(-1)
    quad = (yc * lib.cholesky_solve(yc, L)).sum((-2, -1))
    v = lib.linalg.solve_triangular(L, yc, upper=False)
    by_cholesky = 0.5 * quad + lib.log(lib.diagonal(L, dim1=-2, dim2=-1)).sum(-1) + n / 2 * LOG2PI
    by_tri = (0.5 * (v ** 2).sum((-2, -1)) + 0.5 * 2 * lib.log(L.diagonal(dim1=-2, dim2=-1))
              .sum(-1) + n / 2 * LOG2PI)
    by_slogdet = (0.5 * (yc.mT @ lib.linalg.inv(K) @ yc)[..., 0, 0]
                  + 0.5 * lib.linalg.slogdet(K)[1] + n / 2 * LOG2PI)
    by_logdet = 0.5 * (yc * lib.linalg.solve(K, yc)).sum((-2, -1)) + 0.5 * lib.logdet(K) \
        + n / 2 * LOG2PI
    return by_cholesky, by_tri, by_slogdet, by_logdet


def draw_gp(kernel, n, ls, var, noise, seed, batch=()):
    """n inputs in [-4, 4] and y drawn from the GP with these hyperparameters (numpy)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-4, 4, batch + (n, 1))
    K = np.asarray(kernel(torch.tensor(x), torch.tensor(x), ls, var).data) + noise * np.eye(n)
    return x, (np.linalg.cholesky(K) @ rng.standard_normal(batch + (n, 1)))[..., 0]


def softplus_inverse(v):
    return np.log(np.expm1(v))


@pytest.mark.parametrize("kernel", [rbf, matern52])
def test_the_four_nlml_forms_agree_and_their_gradient_is_central_differences(kernel):
    x, y = draw_gp(kernel, 25, 0.8, 1.2, 0.1, seed=1)
    X, Y = torch.tensor(x), torch.tensor(y)
    raw = torch.tensor([0.3, 0.5, -1.5], dtype=F64, requires_grad=True)
    values = [t.item() for t in nlml_terms(kernel, raw, X, Y)]
    np.testing.assert_allclose(values, values[0], rtol=1e-11)
    for i in range(4):
        assert gradcheck(lambda r: nlml_terms(kernel, r, X, Y)[i], raw, atol=1e-7, rtol=1e-6)
    # X learnable too (inputs warped by a network in deep kernel learning)
    Xg = torch.tensor(x[:8], requires_grad=True)
    assert gradcheck(lambda X_: nlml_terms(kernel, raw.detach(), X_, Y[:8])[0], Xg,
                     atol=1e-7, rtol=1e-6)


def fit(kernel, X, Y, lib, Fm, optim_, Param, how):
    raw = Param(lib.tensor(softplus_inverse(np.array([1.0, 1.0, 0.3])), dtype=lib.float64))
    if how == "adam":
        opt = optim_.Adam([raw], lr=0.05)
        for _ in range(150):
            opt.zero_grad()
            loss = nlml_terms(kernel, raw, X, Y, lib, Fm)[0]
            loss.backward()
            opt.step()
    else:
        opt = optim_.LBFGS([raw], lr=1, max_iter=60, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = nlml_terms(kernel, raw, X, Y, lib, Fm)[0]
            loss.backward()
            return loss
        opt.step(closure)
    return raw


@pytest.mark.parametrize("kernel", [rbf, matern52])
def test_adam_and_lbfgs_learn_back_the_hyperparameters_the_data_were_drawn_with(kernel):
    true = np.array([0.7, 1.5, 0.05])                  # lengthscale, variance, noise variance
    x, y = draw_gp(kernel, 150, *true, seed=2)
    X, Y = torch.tensor(x), torch.tensor(y)
    learned = {}
    for how in ("adam", "lbfgs"):
        raw = fit(kernel, X, Y, torch, F, optim, nn.Parameter, how)
        learned[how] = as_np(F.softplus(raw))
        ls, var, noise = learned[how]
        assert abs(ls - true[0]) < 0.2 * true[0], (how, learned[how])
        assert abs(var - true[1]) < 0.6 * true[1], (how, learned[how])
        assert abs(noise - true[2]) < 0.35 * true[2], (how, learned[how])
    # LBFGS reaches the optimum: the gradient is ~0 there, Adam's 150 steps come close to it
    np.testing.assert_allclose(learned["adam"], learned["lbfgs"], rtol=0.1)
    raw = torch.tensor(softplus_inverse(learned["lbfgs"]), requires_grad=True)
    nlml_terms(kernel, raw, X, Y)[0].backward()
    assert np.abs(raw.grad).max() < 1e-3


def predict(kernel, raw, X, y, Xs, lib=torch, Fm=F):
    ls, var, noise = Fm.softplus(raw)
    L = lib.linalg.cholesky(kernel(X, X, ls, var, lib) + noise * lib.eye(len(X),
                                                                          dtype=lib.float64))
    Ks = kernel(X, Xs, ls, var, lib)
    mean = (Ks.T @ lib.cholesky_solve(y[:, None], L))[:, 0]
    v = lib.linalg.solve_triangular(L, Ks, upper=False)
    return mean, var - (v ** 2).sum(0)


def test_predictive_mean_and_variance_recover_the_function_and_widen_off_the_data():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-3, -1, 20), rng.uniform(1, 3, 20)])[:, None]
    y = np.sin(2 * x[:, 0]) + 0.05 * rng.standard_normal(40)
    X, Y = torch.tensor(x), torch.tensor(y)
    raw = fit(rbf, X, Y, torch, F, optim, nn.Parameter, "lbfgs")
    xs = np.linspace(-3, 3, 61)[:, None]
    mean, variance = predict(rbf, raw, X, Y, torch.tensor(xs))
    near = (np.abs(xs[:, 0]) > 1.2)
    assert np.abs(as_np(mean) - np.sin(2 * xs[:, 0]))[near].max() < 0.1
    assert as_np(variance)[30] > 20 * as_np(variance)[near].max() > 0    # the gap at 0
    # the predictive variance's gradient in the raw hyperparameters: central differences
    Xs = torch.tensor(xs[::10])
    r = raw.detach().requires_grad_()
    assert gradcheck(lambda r_: predict(rbf, r_, X, Y, Xs)[1], r, atol=1e-7, rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("kernel", [rbf, matern52])
def test_nlml_forms_gradients_and_predictions_are_pytorch_s(kernel):
    x, y = draw_gp(kernel, 30, 0.9, 1.1, 0.1, seed=4)
    start = np.array([0.2, 0.4, -1.0])
    out = []
    for lib, Fm, _, _ in libs():
        raw = lib.tensor(start.copy(), requires_grad=True)
        X, Y = lib.tensor(x), lib.tensor(y)
        terms = nlml_terms(kernel, raw, X, Y, lib, Fm)
        sum(terms).backward()
        mean, var = predict(kernel, raw, X, Y, lib.tensor(np.linspace(-4, 4, 9)[:, None]),
                            lib, Fm)
        out.append([as_np(t) for t in terms] + [as_np(raw.grad), as_np(mean), as_np(var)])
    for ours, theirs in zip(*out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_a_batch_of_gps_with_broadcast_hyperparameters_is_each_gp_alone():
    """(B, n, n) kernels from (B, n, 1) inputs and (B, 3) raw hyperparameters."""
    x, y = draw_gp(rbf, 12, 0.8, 1.0, 0.1, seed=5, batch=(3,))
    raw = torch.tensor(np.random.default_rng(5).normal(0, 0.3, (3, 3)), requires_grad=True)
    batched = nlml_terms(rbf, raw, torch.tensor(x), torch.tensor(y))
    for b in range(3):
        alone = nlml_terms(rbf, raw[b], torch.tensor(x[b]), torch.tensor(y[b]))
        for t_batch, t_alone in zip(batched, alone):
            np.testing.assert_allclose(t_batch[b].item(), t_alone.item(), rtol=1e-12)
    assert gradcheck(lambda r: nlml_terms(rbf, r, torch.tensor(x), torch.tensor(y))[2], raw,
                     atol=1e-7, rtol=1e-6)


@needs_torch
def test_a_batch_of_gps_and_its_gradients_are_pytorch_s():
    x, y = draw_gp(matern52, 10, 0.8, 1.0, 0.1, seed=6, batch=(2, 3))
    start = np.random.default_rng(6).normal(0, 0.3, (2, 3, 3))
    out = []
    for lib, Fm, _, _ in libs():
        raw = lib.tensor(start.copy(), requires_grad=True)
        terms = nlml_terms(matern52, raw, lib.tensor(x), lib.tensor(y), lib, Fm)
        sum(t.sum() for t in terms).backward()
        out.append([as_np(t) for t in terms] + [as_np(raw.grad)])
    for ours, theirs in zip(*out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_jitter_on_failure_by_cholesky_ex_and_the_error_says_how_much():
    x = torch.linspace(0, 1, 50, dtype=F64).unsqueeze(-1)
    K = rbf(x, x, 1.0, 1.0)                     # positive semidefinite only to rounding
    L, info = torch.linalg.cholesky_ex(K)
    assert info.item() > 0
    jitter = 1e-10
    while info.item() > 0:                      # the loop GP code writes
        jitter *= 10
        L, info = torch.linalg.cholesky_ex(K + jitter * torch.eye(50, dtype=F64))
    assert jitter <= 1e-6 and np.abs(as_np(L @ L.T - K)).max() < 10 * jitter
    with pytest.raises(RuntimeError) as error:   # torch.linalg.LinAlgError is a RuntimeError
        torch.linalg.cholesky(K)
    message = str(error.value)
    assert "positive semidefinite to rounding" in message and "cholesky_ex" in message
    suggested = float(message.split("eps about ")[1].split()[0])
    for dtype in (torch.float64, torch.float32):   # the size it suggests is enough
        with pytest.raises(RuntimeError, match="eps about") as error:
            torch.linalg.cholesky(K.to(dtype))
        suggested = float(str(error.value).split("eps about ")[1].split()[0])
        assert suggested < 1e-2
        torch.linalg.cholesky(K.to(dtype) + suggested * torch.eye(50, dtype=dtype))
    with pytest.raises(RuntimeError, match="smallest eigenvalue is -1 .*not a covariance"):
        torch.linalg.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=F64))


# -- sparse variational GP ----------------------------------------------------------------------

def svgp_class(Module):
    class SVGP(Module):
        """Titsias/Hensman's SVGP, whitened: u = L_zz v, q(v) = N(m, S S^T), p(v) = N(0, I)."""

        def __init__(self, Z: np.ndarray, lib=torch, Param=nn.Parameter):
            super().__init__()
            M = len(Z)
            self.lib = lib
            self.Z = Param(lib.tensor(Z.copy()))
            self.m = Param(lib.zeros(M, dtype=lib.float64))
            self.S_raw = Param(lib.tensor(softplus_inverse(0.5) * np.eye(M)))
            self.raw = Param(lib.tensor(softplus_inverse(np.array([1.0, 1.0, 0.2]))))

        def S(self, Fm=F):
            lib = self.lib
            return lib.tril(self.S_raw, diagonal=-1) + lib.diag_embed(Fm.softplus(
                lib.diagonal(self.S_raw)))

        def elbo(self, x, y, N, Fm=F):
            lib, M = self.lib, self.Z.shape[0]
            ls, var, noise = Fm.softplus(self.raw)
            Lz = lib.linalg.cholesky(rbf(self.Z, self.Z, ls, var, lib)
                                     + 1e-8 * lib.eye(M, dtype=lib.float64))
            A = lib.linalg.solve_triangular(Lz, rbf(self.Z, x, ls, var, lib), upper=False)
            S = self.S(Fm)
            mean = A.T @ self.m
            f_var = var - (A ** 2).sum(0) + ((S.T @ A) ** 2).sum(0)
            expected = -0.5 * (LOG2PI + lib.log(noise) + ((y - mean) ** 2 + f_var) / noise)
            # KL(N(m, S S^T) || N(0, I)) = ½ (tr(S S^T) + m^T m − M − log det(S S^T))
            kl = 0.5 * ((S ** 2).sum() + (self.m ** 2).sum() - M
                        - 2 * lib.log(lib.diagonal(S)).sum())
            return expected.sum() * N / len(x) - kl
    return SVGP


SVGP = svgp_class(nn.Module)   # (PyTorch's comparisons build it on torch.nn.Module)


def svgp_data():
    rng = np.random.default_rng(7)
    x = rng.uniform(-3, 3, (300, 1))
    return x, np.sin(2 * x[:, 0]) + 0.1 * rng.standard_normal(300)


def test_svgp_trained_on_minibatches_comes_close_to_the_exact_marginal_likelihood():
    x, y = svgp_data()
    X, Y = torch.tensor(x), torch.tensor(y)
    model = SVGP(np.linspace(-2, 2, 10)[:, None])
    opt = optim.Adam(model.parameters(), lr=0.05)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=300)   # minibatch noise fades
    before = model.elbo(X, Y, 300).item()
    gen = torch.Generator().manual_seed(0)
    for epoch in range(100):
        for idx in torch.randperm(300, generator=gen).split(100):
            opt.zero_grad()
            (-model.elbo(X[idx], Y[idx], 300)).backward()
            opt.step()
            schedule.step()
    after = model.elbo(X, Y, 300).item()
    raw = fit(rbf, X, Y, torch, F, optim, nn.Parameter, "lbfgs")
    log_ml = -nlml_terms(rbf, raw, X, Y)[0].item()
    assert before < after <= log_ml + 1e-6          # the ELBO bounds the evidence from below
    assert log_ml - after < 20                      # 10 inducing points come close (300 points)
    noise = F.softplus(model.raw)[2].item()
    assert 0.005 < noise < 0.02                     # the data's 0.01
    assert model.Z.grad is not None and np.abs(model.Z.data).max() > 2.2   # Z moved out


def test_the_svgp_elbo_gradient_is_central_differences_in_every_parameter():
    x, y = svgp_data()
    rng = np.random.default_rng(8)
    model = SVGP(rng.uniform(-2, 2, (5, 1)))
    model.m.data[:] = rng.standard_normal(5)
    model.S_raw.data[:] = rng.normal(0, 0.3, (5, 5))
    X, Y = torch.tensor(x[:30]), torch.tensor(y[:30])
    assert torch.gradcheck_parameters(lambda: model.elbo(X, Y, 300), model.named_parameters(),
                                      atol=1e-6, rtol=1e-5)


@needs_torch
def test_the_svgp_elbo_and_its_gradients_are_pytorch_s():
    x, y = svgp_data()
    rng = np.random.default_rng(9)
    Z, m, S_raw = rng.uniform(-2, 2, (6, 1)), rng.standard_normal(6), rng.normal(0, 0.3, (6, 6))
    out = []
    for lib, Fm, _, Param in libs():
        model = (SVGP if lib is torch else svgp_class(lib.nn.Module))(Z, lib, Param)
        with lib.no_grad():
            model.m.copy_(lib.tensor(m))
            model.S_raw.copy_(lib.tensor(S_raw))
        elbo = model.elbo(lib.tensor(x[:50]), lib.tensor(y[:50]), 300, Fm)
        elbo.backward()
        out.append([as_np(elbo)] + [as_np(p.grad) for p in (model.Z, model.m, model.S_raw,
                                                              model.raw)])
    for ours, theirs in zip(*out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


# -- Bayesian linear regression -----------------------------------------------------------------

def test_bayesian_linear_regression_closed_form_is_the_map_and_its_evidence_is_the_gp_s():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((60, 4))
    y = x @ np.array([1.0, -1.0, 2.0, 0.5]) + 0.3 * rng.standard_normal(60)
    X, Y = torch.tensor(x), torch.tensor(y)
    alpha, beta = 2.0, 1 / 0.09                     # prior precision, noise precision
    precision = alpha * torch.eye(4, dtype=F64) + beta * X.T @ X
    L = torch.linalg.cholesky(precision)
    mean = beta * torch.cholesky_solve((X.T @ Y)[:, None], L)[:, 0]
    cov = torch.cholesky_inverse(L)
    np.testing.assert_allclose(as_np(cov), np.linalg.inv(as_np(precision)), rtol=1e-10)
    w = nn.Parameter(torch.zeros(4, dtype=F64))
    opt = optim.LBFGS([w], max_iter=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = 0.5 * beta * ((X @ w - Y) ** 2).sum() + 0.5 * alpha * (w ** 2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    np.testing.assert_allclose(as_np(w), as_np(mean), atol=1e-8)
    # the evidence: y ~ N(0, X X^T / alpha + I / beta), a GP with a linear kernel
    K = X @ X.T / alpha + torch.eye(60, dtype=F64) / beta
    evidence = torch.distributions.MultivariateNormal(torch.zeros(60, dtype=F64), K).log_prob(Y)
    by_weights = (0.5 * 4 * math.log(alpha) + 0.5 * 60 * math.log(beta) - 30 * LOG2PI
                  - 0.5 * beta * ((X @ mean - Y) ** 2).sum() - 0.5 * alpha * (mean ** 2).sum()
                  - torch.log(L.diagonal()).sum())
    np.testing.assert_allclose(evidence.item(), by_weights.item(), rtol=1e-10)


# -- Kalman filter ------------------------------------------------------------------------------

def simulate_tracking(steps, q, r, seed):
    """A constant-velocity model: position and velocity, the position observed in noise."""
    rng = np.random.default_rng(seed)
    A = np.array([[1.0, 1.0], [0.0, 1.0]])
    Q = q * np.array([[1 / 3, 1 / 2], [1 / 2, 1.0]])
    state, ys = np.zeros(2), []
    for _ in range(steps):
        state = A @ state + np.linalg.cholesky(Q) @ rng.standard_normal(2)
        ys.append(state[0] + math.sqrt(r) * rng.standard_normal())
    return np.array(ys)[:, None]


def kalman_log_likelihood(raw, ys, lib=torch, Fm=F):
    q, r = Fm.softplus(raw[0]), Fm.softplus(raw[1])
    A = lib.tensor([[1.0, 1.0], [0.0, 1.0]], dtype=lib.float64)
    H = lib.tensor([[1.0, 0.0]], dtype=lib.float64)
    Q = q * lib.tensor([[1 / 3, 1 / 2], [1 / 2, 1.0]], dtype=lib.float64)
    R = r * lib.eye(1, dtype=lib.float64)
    mu, P = lib.zeros(2, 1, dtype=lib.float64), 10 * lib.eye(2, dtype=lib.float64)
    total = 0.0
    for y in ys:
        mu, P = A @ mu, A @ P @ A.T + Q                       # predict
        S = H @ P @ H.T + R
        e = y[:, None] - H @ mu
        total = total + lib.distributions.MultivariateNormal(
            lib.zeros(1, dtype=lib.float64), S).log_prob(e[:, 0])
        gain = lib.linalg.solve(S, H @ P).T                   # P H^T S^-1 (S symmetric)
        mu = mu + gain @ e
        I_KH = lib.eye(2, dtype=lib.float64) - gain @ H
        P = I_KH @ P @ I_KH.T + gain @ R @ gain.T             # Joseph form: stays symmetric
    return total


def test_the_kalman_filter_learns_its_noise_variances_back():
    q, r = 0.05, 1.0
    ys = torch.tensor(simulate_tracking(300, q, r, seed=11))
    raw = nn.Parameter(torch.tensor(softplus_inverse(np.array([1.0, 0.1]))))
    opt = optim.LBFGS([raw], max_iter=40, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = -kalman_log_likelihood(raw, ys)
        loss.backward()
        return loss
    opt.step(closure)
    q_hat, r_hat = as_np(F.softplus(raw))
    assert abs(q_hat - q) < 0.5 * q and abs(r_hat - r) < 0.25 * r, (q_hat, r_hat)
    short = ys[:25]
    assert gradcheck(lambda r_: kalman_log_likelihood(r_, short), raw.detach().requires_grad_(),
                     atol=1e-7, rtol=1e-6)


@needs_torch
def test_the_kalman_log_likelihood_and_its_gradient_are_pytorch_s():
    ys = simulate_tracking(40, 0.1, 0.5, seed=12)
    out = []
    for lib, Fm, _, _ in libs():
        raw = lib.tensor([0.3, -0.2], dtype=lib.float64, requires_grad=True)
        ll = kalman_log_likelihood(raw, lib.tensor(ys), lib, Fm)
        ll.backward()
        out.append((as_np(ll), as_np(raw.grad)))
    for ours, theirs in zip(*out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)


# -- MultivariateNormal with scale_tril ---------------------------------------------------------

def mvn_inputs(seed):
    rng = np.random.default_rng(seed)
    loc = rng.standard_normal((3, 4))
    tril = np.tril(rng.normal(0, 0.5, (3, 4, 4)), -1) + np.diag([1.0, 1.5, 0.7, 1.2])
    loc2, tril2 = rng.standard_normal(4), np.tril(rng.normal(0, 0.3, (4, 4)), -1) + np.eye(4)
    return loc, tril, loc2, tril2, rng.standard_normal((5, 1, 4))


def mvn_quantities(lib, loc, tril, loc2, tril2, x):
    D = lib.distributions
    p = D.MultivariateNormal(loc, scale_tril=tril)             # batch (3,), event (4,)
    q = D.MultivariateNormal(loc2, scale_tril=tril2)           # broadcast against p's batch
    return p.log_prob(x), p.entropy(), D.kl_divergence(p, q), D.kl_divergence(q, p)


def test_multivariate_normal_scale_tril_is_the_formulas_and_its_gradient_central_differences():
    loc, tril, loc2, tril2, x = mvn_inputs(13)
    lp, H, kl_pq, kl_qp = mvn_quantities(torch, *(torch.tensor(a) for a in (loc, tril, loc2,
                                                                            tril2, x)))
    cov, cov2 = tril @ tril.transpose(0, 2, 1), tril2 @ tril2.T
    logdet, logdet2 = np.linalg.slogdet(cov)[1], np.linalg.slogdet(cov2)[1]
    d = x - loc
    maha = np.einsum("...i,...ij,...j->...", d, np.linalg.inv(cov), d)
    np.testing.assert_allclose(as_np(lp), -0.5 * (maha + logdet + 4 * LOG2PI), rtol=1e-12)
    np.testing.assert_allclose(as_np(H), 0.5 * (logdet + 4 * (1 + LOG2PI)), rtol=1e-12)
    dm = loc2 - loc
    kl = 0.5 * (np.trace(np.linalg.inv(cov2) @ cov, axis1=-2, axis2=-1)
                + np.einsum("...i,ij,...j->...", dm, np.linalg.inv(cov2), dm) - 4
                + logdet2 - logdet)
    np.testing.assert_allclose(as_np(kl_pq), kl, rtol=1e-11)
    # (the factors through tril: a step in the upper triangle is refused, as PyTorch's
    # constraints.lower_cholesky refuses it)
    assert gradcheck(lambda a, b, c, e: sum(t.sum() for t in mvn_quantities(
        torch, a, b.tril(), c, e.tril(), torch.tensor(x))),
        *(torch.tensor(a, requires_grad=True) for a in (loc, tril, loc2, tril2)),
        atol=1e-7, rtol=1e-6)
    # rsample: loc + L eps, reparameterised, with the right covariance
    torch.manual_seed(0)
    p = torch.distributions.MultivariateNormal(torch.tensor(loc), scale_tril=torch.tensor(tril))
    s = as_np(p.rsample((20000,)))
    assert s.shape == (20000, 3, 4)
    assert np.abs(np.mean(s, 0) - loc).max() < 0.05
    assert np.abs(np.einsum("nbi,nbj->bij", s - loc, s - loc) / 20000 - cov).max() < 0.1
    loc_t, tril_t = torch.tensor(loc, requires_grad=True), torch.tensor(tril, requires_grad=True)
    draws = torch.distributions.MultivariateNormal(loc_t, scale_tril=tril_t).rsample((3,))
    draws.sum().backward()                      # d/dloc = 1 per draw; d/dL = Σ 1 epsᵀ
    np.testing.assert_array_equal(as_np(loc_t.grad), np.full((3, 4), 3.0))
    eps = np.linalg.solve(tril, (as_np(draws) - loc)[..., None])[..., 0]
    np.testing.assert_allclose(as_np(tril_t.grad), np.ones((3, 4, 1)) * eps.sum(0)[:, None, :],
                               rtol=1e-10)


@needs_torch
def test_multivariate_normal_scale_tril_and_kl_are_pytorch_s():
    inputs = mvn_inputs(14)
    out = []
    for lib, _, _, _ in libs():
        ts = [lib.tensor(a, requires_grad=True) for a in inputs[:4]] + [lib.tensor(inputs[4])]
        values = mvn_quantities(lib, *ts)
        sum(v.sum() for v in values).backward()
        out.append([as_np(v) for v in values] + [as_np(t.grad) for t in ts[:4]])
    for ours, theirs in zip(*out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# -- Laplace approximation ----------------------------------------------------------------------

def logistic_data():
    rng = np.random.default_rng(15)
    x = rng.standard_normal((80, 3))
    p = 1 / (1 + np.exp(-x @ np.array([1.5, -2.0, 0.5])))
    return x, (rng.uniform(size=80) < p).astype(np.float64)


def laplace(lib, Fm, optim_, Param):
    x, y = logistic_data()
    X, Y = lib.tensor(x), lib.tensor(y)

    def neg_log_posterior(w):
        return (Fm.binary_cross_entropy_with_logits(X @ w, Y, reduction="sum")
                + 0.5 * (w ** 2).sum())
    w = Param(lib.zeros(3, dtype=lib.float64))
    opt = optim_.LBFGS([w], max_iter=100, tolerance_grad=1e-12, tolerance_change=1e-14,
                       line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = neg_log_posterior(w)
        loss.backward()
        return loss
    opt.step(closure)
    H = lib.autograd.functional.hessian(neg_log_posterior, w.detach())
    eigenvalues, V = lib.linalg.eigh(H)
    cov = V @ lib.diag(1 / eigenvalues) @ V.T
    # the log evidence under the Laplace approximation, differentiable in a prior scale
    a = lib.tensor(1.0, dtype=lib.float64, requires_grad=True)
    log_det = lib.log(lib.linalg.eigvalsh(H + (a - 1) * lib.eye(3, dtype=lib.float64))).sum()
    log_det.backward()
    return w.detach(), H, eigenvalues, cov, a.grad


def test_laplace_approximation_of_a_logistic_regression():
    w, H, eigenvalues, cov, a_grad = laplace(torch, F, optim, nn.Parameter)
    x, y = logistic_data()
    p = 1 / (1 + np.exp(-x @ as_np(w)))
    H_formula = x.T @ (x * (p * (1 - p))[:, None]) + np.eye(3)
    np.testing.assert_allclose(as_np(H), H_formula, rtol=1e-9)
    np.testing.assert_allclose(as_np(cov), np.linalg.inv(H_formula), rtol=1e-9)
    assert (as_np(eigenvalues) > 1).all()
    np.testing.assert_allclose(as_np(a_grad), np.trace(np.linalg.inv(H_formula)), rtol=1e-9)


@needs_torch
def test_laplace_approximation_is_pytorch_s():
    ours, theirs = (laplace(*lib) for lib in libs())
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(as_np(a), as_np(b), rtol=1e-8, atol=1e-10)


# -- QR and SVD in a low-rank factorisation -----------------------------------------------------

def lowrank_loss(U, V, M, lib=torch):
    """A rank-3 fit M ≈ Q R V with Q R = qr(U): the gradient flows through QR."""
    Q, R = lib.linalg.qr(U)
    fit_term = ((Q @ R @ V - M) ** 2).mean()
    # the nuclear norm of the fit, by svdvals, and the top singular pair's outer product
    s = lib.linalg.svdvals(Q @ R @ V)
    u, _, vh = lib.linalg.svd(U @ V, full_matrices=False)
    return fit_term + 1e-3 * s.sum() + 1e-3 * (u[..., :, :1] @ vh[..., :1, :] * M).sum()


def test_a_low_rank_factorisation_through_qr_and_svd_finds_the_rank():
    rng = np.random.default_rng(16)
    M = torch.tensor(rng.standard_normal((2, 12, 3)) @ rng.standard_normal((2, 3, 9)))
    U = nn.Parameter(torch.tensor(rng.normal(0, 0.5, (2, 12, 3))))
    V = nn.Parameter(torch.tensor(rng.normal(0, 0.5, (2, 3, 9))))
    opt = optim.Adam([U, V], lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        loss = ((torch.linalg.qr(U)[0] @ torch.linalg.qr(U)[1] @ V - M) ** 2).mean()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-4
    s = as_np(torch.linalg.svdvals(U @ V))
    np.testing.assert_allclose(s[..., :3], as_np(torch.linalg.svdvals(M))[..., :3], rtol=0.01)
    assert s[..., 3:].max() < 1e-12 * s.max()                          # rank 3
    assert gradcheck(lambda u, v: lowrank_loss(u, v, M[:, :6, :5]),
                     torch.tensor(rng.standard_normal((2, 6, 3)), requires_grad=True),
                     torch.tensor(rng.standard_normal((2, 3, 5)), requires_grad=True),
                     atol=1e-7, rtol=1e-6)


@needs_torch
def test_the_low_rank_loss_and_its_gradients_are_pytorch_s():
    rng = np.random.default_rng(17)
    arrays = rng.standard_normal((2, 7, 3)), rng.standard_normal((2, 3, 5)), \
        rng.standard_normal((2, 7, 5))
    out = []
    for lib, _, _, _ in libs():
        U, V = (lib.tensor(a, requires_grad=True) for a in arrays[:2])
        loss = lowrank_loss(U, V, lib.tensor(arrays[2]), lib)
        loss.backward()
        out.append((as_np(loss), as_np(U.grad), as_np(V.grad)))
    for ours, theirs in zip(*out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


# -- block_diag, vecdot, linalg.diagonal --------------------------------------------------------

def test_block_diag_builds_a_multi_output_noise_covariance_and_is_differentiable():
    a = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=F64, requires_grad=True)
    b = torch.tensor(3.0, dtype=F64, requires_grad=True)
    c = torch.tensor([1.0, 2.0, 4.0], dtype=F64, requires_grad=True)
    out = torch.block_diag(a, b, c)
    assert out.shape == (4, 6)
    expected = np.zeros((4, 6))
    expected[:2, :2], expected[2, 2], expected[3, 3:] = as_np(a), 3.0, as_np(c)
    np.testing.assert_array_equal(as_np(out), expected)
    assert gradcheck(lambda a_, b_, c_: (torch.block_diag(a_, b_, c_) ** 2).sum(), a, b, c)
    assert torch.block_diag(torch.tensor([[1, 2]]), torch.tensor([[1.5]])).dtype == np.float32
    assert torch.block_diag().shape == (1, 0)
    with pytest.raises(ValueError, match="block_diag: each block must have at most 2 dims"):
        torch.block_diag(torch.ones(2, 2, 2))
    # a Kalman filter over two independent trackers: the covariance of the stacked state
    Q = torch.block_diag(a, a)
    np.testing.assert_array_equal(as_np(torch.linalg.cholesky(Q)),
                                  np.kron(np.eye(2), np.linalg.cholesky(as_np(a))))
    x = torch.tensor(np.arange(6.0).reshape(2, 3), dtype=F64, requires_grad=True)
    np.testing.assert_array_equal(as_np(torch.linalg.vecdot(x, x[0])), [5.0, 14.0])
    assert gradcheck(lambda x_: torch.linalg.vecdot(x_, x_.flip(0), dim=0), x)
    assert torch.linalg.diagonal(torch.ones(3, 4, 4)).shape == (3, 4)
    assert torch.linalg.matmul is torch.matmul


@needs_torch
def test_block_diag_is_pytorch_s():
    rng = np.random.default_rng(18)
    arrays = [rng.standard_normal((2, 3)), rng.standard_normal(()), rng.standard_normal(4)]
    out = []
    for lib, _, _, _ in libs():
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        result = lib.block_diag(*ts)
        (result * lib.tensor(np.arange(result.numel()).reshape(result.shape) * 1.0)).sum() \
            .backward()
        out.append([as_np(result)] + [as_np(t.grad) for t in ts])
    for ours, theirs in zip(*out):
        np.testing.assert_array_equal(ours, theirs)


# -- inv_ex, solve_ex ---------------------------------------------------------------------------

def singular_batch():
    invertible = [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]]
    return np.array([invertible, [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]],
                     [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [4.0, 5.0, 7.0]]])


def test_inv_ex_and_solve_ex_report_singular_matrices_and_differentiate_the_others():
    A = torch.tensor(singular_batch(), requires_grad=True)
    inverse, info = torch.linalg.inv_ex(A)
    assert info.dtype == np.int32 and info.tolist() == [0, 3, 3]
    assert np.isnan(as_np(inverse[1:])).all()
    np.testing.assert_allclose(as_np(inverse[0]), np.linalg.inv(singular_batch()[0]), rtol=1e-12)
    invertible = torch.tensor(np.stack([singular_batch()[0]] * 3))
    for B in (np.ones((3, 2)), np.ones(3), np.arange(9.0).reshape(3, 3)):   # matrix, vectors
        X, info = torch.linalg.solve_ex(A, torch.tensor(B))
        expected = torch.linalg.solve(invertible, torch.tensor(B))
        assert info.tolist() == [0, 3, 3] and X.shape == expected.shape
        np.testing.assert_allclose(as_np(X[0]), as_np(expected[0]), rtol=1e-12)
        assert np.isnan(as_np(X[1:])).all()
    X = torch.linalg.solve_ex(A, torch.ones(3, 2, dtype=F64))[0]
    (inverse[0].sum() + X[0].sum()).backward()
    assert np.isfinite(A.grad).all() and (A.grad[1:] == 0).all()
    good = torch.tensor(singular_batch()[:1] + np.eye(3), requires_grad=True)
    assert gradcheck(lambda a: torch.linalg.inv_ex(a)[0], good)
    assert gradcheck(lambda a: torch.linalg.solve_ex(a, torch.ones(3, dtype=F64), left=True)[0],
                     good)
    with pytest.raises(RuntimeError, match="inv: A .* is singular at batch index \\[1\\]"):
        torch.linalg.inv_ex(A, check_errors=True)
    with pytest.raises(RuntimeError, match="solve: A .* is singular"):
        torch.linalg.solve_ex(A, torch.ones(3, dtype=F64), check_errors=True)


@needs_torch
def test_inv_ex_and_solve_ex_are_pytorch_s():
    out = []
    for lib, _, _, _ in libs():
        A = lib.tensor(singular_batch(), requires_grad=True)
        inverse, info = lib.linalg.inv_ex(A)
        X, info2 = lib.linalg.solve_ex(A, lib.ones(3, 2, dtype=lib.float64), left=True)
        Y, info3 = lib.linalg.solve_ex(A, lib.ones(2, 3, dtype=lib.float64), left=False)
        (inverse[0].sum() + X[0].sum() + Y[0].sum()).backward()
        out.append([as_np(info), as_np(info2), as_np(info3), as_np(inverse[0]), as_np(X[0]),
                    as_np(Y[0]), as_np(A.grad[0])])
    for ours, theirs in zip(*out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
