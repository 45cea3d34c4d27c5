"""A user trial: Bayesian optimisation as a course's PyTorch notebook writes it, with `import
autograd as torch` and `import nn`. A GP surrogate (RBF with one lengthscale per input, fitted
by Adam), expected improvement written with `torch.distributions.Normal(0, 1).cdf/log_prob` and
by hand with `torch.erf`, maximised over the input by Adam on `x.requires_grad_()` and clamped
to the box under `no_grad()`; fifteen iterations on the Branin function; and a sparse GP
(Titsias' collapsed bound, SGPR) against the exact marginal likelihood. Gradients against
central finite differences in float64; numbers against live PyTorch where it is installed."""

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
BRANIN_MINIMUM = 0.397887


def branin(x, lib=torch):
    """Branin's function on the unit square (x1 in [-5, 10], x2 in [0, 15]); minimum 0.397887."""
    x1, x2 = 15 * x[..., 0] - 5, 15 * x[..., 1]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * lib.cos(x1) + 10


def kernel(a, b, ls, var, lib=torch):
    return var * lib.exp(-0.5 * lib.cdist(a / ls, b / ls) ** 2)


def fit_gp(X, y, lib=torch, optim=nn.optim, steps=60):
    hypers = [torch_like(lib, v) for v in ([-1.0, -1.0], 0.0, -4.0)]
    optimizer = optim.Adam(hypers, lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        negative_log_likelihood(X, y, hypers, lib).backward()
        optimizer.step()
    return [h.detach() for h in hypers]


def torch_like(lib, value):
    return lib.tensor(value, dtype=lib.float64, requires_grad=True)


def factor(X, hypers, lib=torch):
    log_ls, log_var, log_noise = hypers
    noise = (log_noise.exp() + 1e-6) * lib.eye(len(X), dtype=lib.float64)
    return lib.linalg.cholesky(kernel(X, X, log_ls.exp(), log_var.exp(), lib) + noise)


def negative_log_likelihood(X, y, hypers, lib=torch):
    L = factor(X, hypers, lib)
    return 0.5 * (y[:, None] * lib.cholesky_solve(y[:, None], L)).sum() + L.diagonal().log().sum()


def posterior(x, X, y, hypers, lib=torch):
    log_ls, log_var, _ = hypers
    L = factor(X, hypers, lib)
    ks = kernel(X, x, log_ls.exp(), log_var.exp(), lib)
    mean = (ks * lib.cholesky_solve(y[:, None], L)).sum(0)
    v = lib.linalg.solve_triangular(L, ks, upper=False)
    return mean, (log_var.exp() - (v ** 2).sum(0)).clamp_min(1e-12).sqrt()


def expected_improvement(x, X, y, hypers, best, lib=torch):
    """E[max(best - f(x), 0)] for minimising, with the standard normal's cdf and density."""
    mean, sd = posterior(x, X, y, hypers, lib)
    z = (best - mean) / sd
    normal = lib.distributions.Normal(lib.zeros((), dtype=lib.float64),
                                      lib.ones((), dtype=lib.float64))
    return sd * (z * normal.cdf(z) + normal.log_prob(z).exp())


def expected_improvement_by_erf(x, X, y, hypers, best, lib=torch):
    mean, sd = posterior(x, X, y, hypers, lib)
    z = (best - mean) / sd
    cdf = 0.5 * (1 + lib.erf(z / math.sqrt(2)))
    return sd * (z * cdf + lib.exp(-0.5 * z ** 2) / math.sqrt(2 * math.pi))


def problem(lib=torch, points=6):
    rng = np.random.default_rng(1)
    X = lib.tensor(rng.uniform(size=(points, 2)), dtype=lib.float64)
    Y = branin(X, lib)
    y = (Y - Y.mean()) / Y.std(unbiased=True)       # (Y.std() alone: n here, n - 1 in PyTorch)
    return X, y


def test_expected_improvement_by_normal_and_by_erf_agree_and_its_gradient_in_x_is_right():
    X, y = problem()
    hypers = fit_gp(X, y, steps=20)
    best = y.min()
    x = torch.tensor(np.random.default_rng(3).uniform(size=(5, 2)), dtype=F64)
    a = expected_improvement(x, X, y, hypers, best)
    b = expected_improvement_by_erf(x, X, y, hypers, best)
    assert (a.data > 0).all()
    np.testing.assert_allclose(a.data, b.data, rtol=1e-13, atol=1e-15)
    for ei in (expected_improvement, expected_improvement_by_erf):
        assert gradcheck(lambda x: ei(x, X, y, hypers, best).sum(), x.requires_grad_(), **TIGHT)


def maximise(acquisition, X, y, hypers, best, rng, lib=torch, optim=nn.optim, starts=8,
             steps=50):
    """Adam on a batch of starting points, clamped to the unit square after each step."""
    x = lib.tensor(rng.uniform(size=(starts, 2)), dtype=lib.float64).requires_grad_()
    optimizer = optim.Adam([x], lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        (-acquisition(x, X, y, hypers, best, lib).sum()).backward()
        optimizer.step()
        with lib.no_grad():
            x.clamp_(0.0, 1.0)
    with lib.no_grad():
        return x[acquisition(x, X, y, hypers, best, lib).argmax()]


def test_fifteen_iterations_find_branin_s_minimum():
    rng = np.random.default_rng(1)        # (seeds 0-5: 0.402-0.468 but for one, 1.94)
    X = torch.tensor(rng.uniform(size=(5, 2)), dtype=F64)
    Y = branin(X)
    first = Y.min().item()
    for _ in range(15):
        y = (Y - Y.mean()) / Y.std(ddof=1)
        hypers = fit_gp(X, y)
        x = maximise(expected_improvement, X, y, hypers, y.min(), rng)
        assert x.requires_grad is False and ((x.data >= 0) & (x.data <= 1)).all()
        X = torch.cat([X, x[None]])
        Y = torch.cat([Y, branin(x[None])])
    assert X.shape == (20, 2)
    assert first > 3 and Y.min().item() < BRANIN_MINIMUM + 0.1     # from 3.6 to 0.425


def test_clamping_under_no_grad_keeps_the_leaf_and_data_clamp__says_what_to_write():
    x = torch.tensor([[-0.5, 0.3], [2.0, 0.9]], dtype=F64).requires_grad_()
    with torch.no_grad():
        x.clamp_(0.0, 1.0)
    assert x.is_leaf and x.requires_grad and x.tolist() == [[0.0, 0.3], [1.0, 0.9]]
    # x.data is numpy's array here, which has no clamp_: numpy's own message (README, porting)
    with pytest.raises(AttributeError, match="clamp_"):
        x.data.clamp_(0, 1)
    x.data.clip(0.0, 1.0, out=x.data)                 # numpy's spelling of the same


# -- a sparse GP: Titsias' collapsed bound (SGPR) ------------------------------------------------

def sgpr_bound(X, y, Z, hypers, lib=torch):
    """log N(y | 0, Q + σ²I) - tr(K - Q) / 2σ², Q = K_xz K_zz⁻¹ K_zx: a lower bound on the log
    marginal likelihood, equal to it when the inducing points Z are the data."""
    log_ls, log_var, log_noise = hypers
    ls, var, noise = log_ls.exp(), log_var.exp(), log_noise.exp()
    n, m = X.shape[0], Z.shape[0]
    Lz = lib.linalg.cholesky(kernel(Z, Z, ls, var, lib) + 1e-8 * lib.eye(m, dtype=lib.float64))
    A = lib.linalg.solve_triangular(Lz, kernel(Z, X, ls, var, lib), upper=False) / noise.sqrt()
    B = A @ A.T + lib.eye(m, dtype=lib.float64)
    LB = lib.linalg.cholesky(B)
    c = lib.linalg.solve_triangular(LB, A @ y[:, None], upper=False) / noise.sqrt()
    trace = n * var / noise - (A ** 2).sum()
    return (-0.5 * n * math.log(2 * math.pi) - LB.diagonal().log().sum() - 0.5 * n * noise.log()
            - 0.5 * (y ** 2).sum() / noise + 0.5 * (c ** 2).sum() - 0.5 * trace)


def test_the_sparse_bound_is_below_the_exact_likelihood_and_tight_at_the_data():
    rng = np.random.default_rng(4)
    X = torch.tensor(rng.uniform(size=(40, 2)), dtype=F64)
    y = torch.tensor(np.sin(6 * X.data[:, 0]) * np.cos(4 * X.data[:, 1])
                     + 0.05 * rng.standard_normal(40), dtype=F64)
    hypers = [torch.tensor(v, dtype=F64, requires_grad=True) for v in ([-1.5, -1.2], 0.1, -3.0)]
    exact = -negative_log_likelihood(X, y, [hypers[0], hypers[1], hypers[2]]).item()
    exact -= 20 * math.log(2 * math.pi)
    # (negative_log_likelihood adds 1e-6 to the noise; the bound below uses σ² as it is)
    bounds = [sgpr_bound(X, y, X[rng.choice(40, m, replace=False)], hypers).item()
              for m in (5, 15, 30)]
    assert bounds[0] < bounds[1] < bounds[2] < exact + 0.01
    at_the_data = sgpr_bound(X, y, X, hypers).item()
    assert abs(at_the_data - exact) < 0.05
    Z = X[:10].detach().clone().requires_grad_()
    assert gradcheck(lambda Z, a, b, c: sgpr_bound(X, y, Z, [a, b, c]), Z, *hypers, **TIGHT)


@needs_torch
def test_one_iteration_is_pytorch_s():
    results = []
    for lib, optim in ((torch, nn.optim), (real_torch, real_torch.optim)):
        X, y = problem(lib)
        hypers = fit_gp(X, y, lib, optim)
        best = y.min()
        x = lib.tensor([[0.3, 0.2], [0.9, 0.1]], dtype=lib.float64, requires_grad=True)
        ei = expected_improvement(x, X, y, hypers, best, lib)
        ei.sum().backward()
        chosen = maximise(expected_improvement, X, y, hypers, best, np.random.default_rng(5),
                          lib, optim)
        Z = X[:3].detach()
        bound = sgpr_bound(X, y, Z, [h.clone().requires_grad_() for h in hypers], lib)
        # (.grad is an array here; PyTorch's x[i] of a 0-d index under no_grad() is a view
        # that still requires grad, glassgrad's a constant: detach() serves both)
        results.append([np.concatenate([h.numpy().ravel() for h in hypers]), ei.tolist(),
                        np.asarray(x.grad), chosen.detach().numpy(), bound.item()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)
