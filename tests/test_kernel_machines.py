"""A user trial: kernel machines as a course's PyTorch notebook writes them, with `import
autograd as torch` and `import nn`, on two noisy concentric circles (no line separates them):
the median heuristic for the lengthscale (`torch.pdist`, or cdist's upper triangle by
`torch.triu_indices`), kernel ridge regression by `torch.linalg.solve`, a kernel SVM trained by
gradient descent on the hinge loss, in the primal over random Fourier features
(`torch.cos(x @ W + b)`) and in the dual with the multipliers clamped to the box, and kernel PCA
by `torch.linalg.eigh`. Numbers against live PyTorch where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from autograd import gradcheck
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

F64 = torch.float64


def circles(n=80, seed=2, noise=0.2):
    """Half the points on a circle of radius 1 (label -1), half on one of radius 2.5 (+1)."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    inner = np.arange(n) < n // 2
    radius = np.where(inner, 1.0, 2.5) + noise * rng.standard_normal(n)
    return np.c_[radius * np.cos(angle), radius * np.sin(angle)], np.where(inner, -1.0, 1.0)


def rbf(a, b, ls, lib=torch):
    return lib.exp(-lib.cdist(a, b) ** 2 / (2 * ls ** 2))


def median_heuristic(X, lib=torch):
    n = X.shape[0]
    rows, columns = lib.triu_indices(n, n, offset=1)
    return lib.median(lib.cdist(X, X)[rows, columns])


def test_the_median_heuristic_by_pdist_and_by_the_upper_triangle_agree():
    X = torch.tensor(circles()[0], dtype=F64)
    by_pdist = torch.pdist(X)
    n = X.shape[0]
    assert by_pdist.shape == (n * (n - 1) // 2,)
    np.testing.assert_allclose(by_pdist.data, torch.cdist(X, X).data[np.triu_indices(n, 1)],
                               rtol=1e-12)
    assert torch.median(by_pdist).item() == pytest.approx(median_heuristic(X).item(), rel=1e-12)
    by_cdist = torch.cdist(X, X, p=1).data[np.triu_indices(n, 1)]
    assert F.pdist(X, p=1).data == pytest.approx(by_cdist)
    # the gradient, also where two rows are equal (slope 0 there, as PyTorch's)
    Y = torch.tensor(np.r_[circles(6)[0], circles(6)[0][:1]], dtype=F64, requires_grad=True)
    for p in (1.0, 2.0, 3.0):
        assert gradcheck(lambda Y: (torch.pdist(Y, p) * torch.arange(15.0, dtype=F64)).sum(),
                         Y[:6].detach().requires_grad_(), atol=1e-7, rtol=1e-6)
    torch.pdist(Y).sum().backward()
    assert np.isfinite(Y.grad).all()


def test_pdist_refuses_what_is_not_a_matrix():
    with pytest.raises(ValueError, match=r"pdist: expects input of shape \(N, M\), got \(2, 3, 2\)"):
        torch.pdist(torch.zeros(2, 3, 2))
    with pytest.raises(ValueError, match="pdist: p must be a number >= 0"):
        torch.pdist(torch.zeros(3, 2), -1)


def test_kernel_ridge_regression_fits_the_circles_and_generalises():
    X, y = (torch.tensor(a, dtype=F64) for a in circles())
    X_test, y_test = (torch.tensor(a, dtype=F64) for a in circles(200, seed=7))
    ls = median_heuristic(X)
    K = rbf(X, X, ls)
    alpha = torch.linalg.solve(K + 0.1 * torch.eye(80, dtype=F64), y)
    np.testing.assert_allclose(((K + 0.1 * torch.eye(80, dtype=F64)) @ alpha).data, y.data,
                               atol=1e-9)
    assert (torch.sign(K @ alpha) == y).double().mean().item() == 1.0
    assert (torch.sign(rbf(X_test, X, ls) @ alpha) == y_test).double().mean().item() >= 0.97
    # a line cannot: least squares on (x, 1) gets about half of them
    A = torch.cat([X, torch.ones(80, 1, dtype=F64)], dim=1)
    w = torch.linalg.solve(A.T @ A, A.T @ y)
    assert (torch.sign(A @ w) == y).double().mean().item() < 0.7


def random_features(X, ls, D=200, seed=0, lib=torch):
    """φ(x) = √(2/D) cos(x W + b), W ~ N(0, 1/ls²), b ~ U(0, 2π): φ(x)·φ(y) ≈ k(x, y)."""
    rng = np.random.default_rng(seed)
    W = lib.tensor(rng.standard_normal((2, D)) / float(ls), dtype=lib.float64)
    b = lib.tensor(rng.uniform(0, 2 * math.pi, D), dtype=lib.float64)
    return lambda X: math.sqrt(2.0 / D) * lib.cos(X @ W + b)


def train_primal_svm(phi, y, lib=torch, optim=nn.optim, relu=F.relu, epochs=200):
    w = lib.zeros(phi.shape[1], dtype=lib.float64, requires_grad=True)
    b = lib.zeros((), dtype=lib.float64, requires_grad=True)
    optimizer = optim.SGD([w, b], lr=0.5)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = relu(1 - y * (phi @ w + b)).mean() + 1e-3 * (w ** 2).sum()
        loss.backward()
        optimizer.step()
    return w, b, loss


def test_random_features_approximate_the_kernel_and_a_hinge_svm_separates_the_circles():
    X, y = (torch.tensor(a, dtype=F64) for a in circles())
    X_test, y_test = (torch.tensor(a, dtype=F64) for a in circles(200, seed=7))
    ls = median_heuristic(X)
    features = random_features(X, ls, D=4000)
    phi = features(X)
    assert np.abs((phi @ phi.T).data - rbf(X, X, ls).data).max() < 0.1
    phi = random_features(X, ls)(X)
    w, b, loss = train_primal_svm(phi, y)
    assert loss.item() < 0.2
    predict = lambda X: torch.sign(random_features(X, ls)(X) @ w + b)    # noqa: E731
    assert (predict(X) == y).double().mean().item() == 1.0
    assert (predict(X_test) == y_test).double().mean().item() >= 0.95


def train_dual_svm(K, y, lib=torch, optim=nn.optim, C=1.0, epochs=300):
    """max Σα − ½ αᵀQα over 0 ≤ α ≤ C (Σ α y = 0 as a penalty), by Adam, clamped each step."""
    alpha = lib.zeros(len(y), dtype=lib.float64, requires_grad=True)
    optimizer = optim.Adam([alpha], lr=0.05)
    Q = y[:, None] * y[None, :] * K
    for _ in range(epochs):
        optimizer.zero_grad()
        objective = -(alpha.sum() - 0.5 * alpha @ Q @ alpha) + 10 * (alpha @ y) ** 2
        objective.backward()
        optimizer.step()
        with lib.no_grad():
            alpha.clamp_(0.0, C)
    return alpha.detach(), objective


def test_the_dual_svm_keeps_its_multipliers_in_the_box_and_separates_the_circles():
    X, y = (torch.tensor(a, dtype=F64) for a in circles())
    X_test, y_test = (torch.tensor(a, dtype=F64) for a in circles(200, seed=7))
    ls = median_heuristic(X)
    K = rbf(X, X, ls)
    alpha, _ = train_dual_svm(K, y)
    assert alpha.min().item() >= 0 and alpha.max().item() <= 1.0
    assert abs((alpha @ y).item()) < 0.2             # (a penalty, not a constraint)
    support = alpha > 1e-4
    assert 0 < int(support.sum()) < 80
    f = K @ (alpha * y)
    bias = (y[support] - f[support]).mean()
    assert (torch.sign(f + bias) == y).double().mean().item() == 1.0
    test = rbf(X_test, X, ls) @ (alpha * y) + bias
    assert (torch.sign(test) == y_test).double().mean().item() >= 0.95


def test_kernel_pca_finds_a_component_that_separates_the_circles():
    Xn, y = circles()
    X = torch.tensor(Xn, dtype=F64)
    n = len(y)
    H = torch.eye(n, dtype=F64) - torch.ones(n, n, dtype=F64) / n
    Kc = H @ rbf(X, X, 1.0) @ H
    values, vectors = torch.linalg.eigh(Kc)
    assert values.data.min() > -1e-10                       # a centred kernel: semidefinite
    np.testing.assert_allclose((vectors * values) @ vectors.T, Kc.data, atol=1e-10)

    def separation(z):       # the gap between the class means in units of the spread
        a, b = z[y < 0], z[y > 0]
        return abs(a.mean() - b.mean()) / np.sqrt(0.5 * (a.var() + b.var()))
    projections = (vectors[:, -3:] * values[-3:].sqrt()).data
    assert max(separation(projections[:, i]) for i in range(3)) > 3
    linear = np.linalg.eigh(np.cov(Xn.T))[1]
    assert max(separation(Xn @ linear[:, i]) for i in range(2)) < 1


@needs_torch
def test_kernel_machines_are_pytorch_s():
    results = []
    for lib, optim, relu in ((torch, nn.optim, F.relu),
                             (real_torch, real_torch.optim, real_torch.relu)):
        X, y = (lib.tensor(a, dtype=lib.float64) for a in circles())
        ls = lib.median(lib.pdist(X))
        K = rbf(X, X, ls, lib)
        ridge = lib.linalg.solve(K + 0.1 * lib.eye(80, dtype=lib.float64), y)
        w, b, loss = train_primal_svm(random_features(X, ls, lib=lib)(X), y, lib, optim, relu,
                                      epochs=50)
        alpha, objective = train_dual_svm(K, y, lib, optim, epochs=50)
        values = lib.linalg.eigh(K)[0]
        results.append([ls.item(), ridge.numpy(), w.detach().numpy(), loss.item(),
                        alpha.numpy(), objective.item(), values.numpy()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
