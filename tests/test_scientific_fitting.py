"""A user trial: a science student's curve fit, written as a PyTorch course notebook writes it,
with glassgrad's names (`import autograd as torch`, `nn.functional as F`, `nn.optim as optim`).

A damped oscillator y = A e^(-γt) cos(ωt + φ) is fitted to noisy samples (σ known) by
minimising χ² over four raw `torch.tensor(..., requires_grad=True)` leaves: with Adam, with
L-BFGS and a closure (strong Wolfe line search), by Newton's method with the Hessian from
`torch.autograd.grad(..., create_graph=True)`, and with A, γ > 0 and φ in (-π, π) kept by
softplus and sigmoid reparameterisations. The uncertainties come from the inverse Hessian of
χ²/2 at the optimum (`torch.autograd.functional.hessian`, `torch.linalg.inv`, `eigvalsh`), and
each fit lands within them of the true parameters. The gradient and Hessian are checked against
the analytic formulas and central differences in float64, and, where PyTorch is installed,
against PyTorch running the same code (values, L-BFGS iterates, final loss)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn.functional as F
import nn.optim as optim
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

TRUE = np.array([2.0, 0.3, 2.5, 0.4])          # A, gamma, omega, phi
START = [1.5, 0.2, 2.4, 0.0]
SIGMA = 0.05


def samples(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, 10.0, 200)
    A, gamma, omega, phi = TRUE
    clean = A * np.exp(-gamma * t) * np.cos(omega * t + phi)
    return t, clean + SIGMA * np.random.default_rng(seed).standard_normal(t.shape)


def chi2_function(lib, t_np: np.ndarray, y_np: np.ndarray):
    """The student's χ², written once, for glassgrad (`autograd`) or PyTorch (`lib`)."""
    t, y = lib.tensor(t_np), lib.tensor(y_np)

    def chi2(A, gamma, omega, phi):
        model = A * lib.exp(-gamma * t) * lib.cos(omega * t + phi)
        return (((model - y) / SIGMA) ** 2).sum()
    return chi2


def analytic(p: np.ndarray, t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """χ²'s gradient and Hessian by hand: 2/σ² Σ r m_i and 2/σ² Σ (m_i m_j + r m_ij)."""
    A, g, w, ph = p
    E, C, S = np.exp(-g * t), np.cos(w * t + ph), np.sin(w * t + ph)
    r = A * E * C - y
    d = [E * C, -t * A * E * C, -t * A * E * S, -A * E * S]
    dd = np.empty((4, 4, t.size))
    dd[0, 0], dd[0, 1], dd[0, 2], dd[0, 3] = 0 * t, -t * E * C, -t * E * S, -E * S
    dd[1, 1], dd[1, 2], dd[1, 3] = t * t * A * E * C, t * t * A * E * S, t * A * E * S
    dd[2, 2], dd[2, 3], dd[3, 3] = -t * t * A * E * C, -t * A * E * C, -A * E * C
    for i in range(4):
        for j in range(i):
            dd[i, j] = dd[j, i]
    grad = np.array([2 / SIGMA ** 2 * (r * di).sum() for di in d])
    hess = 2 / SIGMA ** 2 * (np.einsum("it,jt->ij", d, d) + (dd * r).sum(-1))
    return grad, hess


@pytest.fixture(scope="module")
def data():
    torch.set_default_dtype(torch.float64)
    try:
        yield samples()
    finally:
        torch.set_default_dtype(torch.float32)


def lbfgs_fit(lib, optim_module, t_np, y_np, steps: int = 1):
    chi2 = chi2_function(lib, t_np, y_np)
    p = lib.tensor(START, requires_grad=True)
    opt = optim_module.LBFGS([p], lr=1, max_iter=100, history_size=10, tolerance_grad=1e-9,
                             tolerance_change=1e-12, line_search_fn="strong_wolfe")
    losses = []

    def closure():
        opt.zero_grad()
        loss = chi2(*p)
        loss.backward()
        losses.append(loss.item())
        return loss
    for _ in range(steps):
        opt.step(closure)
    return p.detach().numpy().copy(), losses, chi2


def uncertainties(chi2, p_best: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The covariance of the fit: the inverse Hessian of χ²/2 (glassgrad's functions)."""
    H = torch.autograd.functional.hessian(lambda q: 0.5 * chi2(q[0], q[1], q[2], q[3]),
                                          torch.tensor(p_best))
    cov = torch.linalg.inv(H)
    return H.numpy(), cov.numpy(), torch.linalg.eigvalsh(H).numpy()


def test_gradient_and_hessian_match_the_formulas_and_central_differences(data):
    t, y = data
    chi2 = chi2_function(torch, t, y)
    p = torch.tensor(START, requires_grad=True)
    (g,) = torch.autograd.grad(chi2(*p), p)
    grad, hess = analytic(np.array(START), t, y)
    np.testing.assert_allclose(g.numpy(), grad, rtol=1e-12)
    H = torch.autograd.functional.hessian(lambda q: chi2(*q), torch.tensor(START))
    np.testing.assert_allclose(H.numpy(), hess, rtol=1e-10, atol=1e-9 * abs(hess).max())
    h = 1e-5                                   # central differences of χ² and of its gradient

    def value(q):
        return chi2(*torch.tensor(q)).item()

    def gradient(q):
        q = torch.tensor(q, requires_grad=True)
        return torch.autograd.grad(chi2(*q), q)[0].numpy()
    for i in range(4):
        e = np.eye(4)[i] * h
        fd = (value(START + e) - value(START - e)) / (2 * h)
        assert fd == pytest.approx(grad[i], rel=1e-7)
        fd_row = (gradient(START + e) - gradient(START - e)) / (2 * h)
        np.testing.assert_allclose(fd_row, hess[i], rtol=1e-6, atol=1e-6 * abs(hess).max())
    # the tuple-of-inputs form of hessian gives the same blocks, H[i][j]
    blocks = torch.autograd.functional.hessian(chi2, tuple(torch.tensor(v) for v in START))
    np.testing.assert_allclose([[blocks[i][j].item() for j in range(4)] for i in range(4)],
                               hess, rtol=1e-10, atol=1e-9 * abs(hess).max())


def test_lbfgs_fit_recovers_the_parameters_within_their_uncertainties(data):
    t, y = data
    p, losses, chi2 = lbfgs_fit(torch, optim, t, y)
    assert losses[-1] < 0.02 * losses[0]
    grad, hess = analytic(p, t, y)
    assert abs(grad).max() < 1e-4                     # a minimum: the gradient vanishes
    H, cov, eigenvalues = uncertainties(chi2, p)
    np.testing.assert_allclose(H, hess / 2, rtol=1e-9, atol=1e-9 * abs(hess).max())
    assert (eigenvalues > 0).all()                    # and it is one: H positive definite
    sigma = np.sqrt(np.diag(cov))
    assert (sigma > 0).all() and (sigma < 0.05).all()
    assert (abs(p - TRUE) < 3 * sigma).all(), (p, TRUE, sigma)
    # χ² per degree of freedom near 1 for a right model and the right σ
    assert 0.7 < chi2(*torch.tensor(p)).item() / (t.size - 4) < 1.3
    # a second step starts where the first ended and changes nothing
    again, _, _ = lbfgs_fit(torch, optim, t, y, steps=2)
    np.testing.assert_allclose(again, p, rtol=1e-10)


def test_adam_on_raw_leaves_reaches_the_same_minimum(data):
    t, y = data
    chi2 = chi2_function(torch, t, y)
    leaves = [torch.tensor(v, requires_grad=True) for v in START]
    opt = optim.Adam(leaves, lr=0.02)
    for _ in range(1500):
        opt.zero_grad()
        loss = chi2(*leaves)
        loss.backward()
        opt.step()
    best, _, _ = lbfgs_fit(torch, optim, t, y)
    _, cov, _ = uncertainties(chi2, best)
    found = np.array([v.item() for v in leaves])
    assert (abs(found - best) < 0.1 * np.sqrt(np.diag(cov))).all()


def test_newton_with_a_hessian_from_create_graph(data):
    t, y = data
    chi2 = chi2_function(torch, t, y)
    p = torch.tensor([1.9, 0.28, 2.48, 0.35], requires_grad=True)
    losses = []
    for _ in range(6):
        loss = chi2(*p)
        (g,) = torch.autograd.grad(loss, p, create_graph=True)
        H = torch.stack([torch.autograd.grad(g[i], p, retain_graph=True)[0] for i in range(4)])
        with torch.no_grad():
            p -= torch.linalg.solve(H, g)
        losses.append(loss.item())
    assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:]))     # quadratic descent
    best, _, _ = lbfgs_fit(torch, optim, t, y)
    np.testing.assert_allclose(p.detach().numpy(), best, rtol=1e-7)
    grad, _ = analytic(p.detach().numpy(), t, y)
    assert abs(grad).max() < 1e-6


def test_constrained_fit_through_softplus_and_sigmoid(data):
    t, y = data
    chi2 = chi2_function(torch, t, y)
    raw_A = torch.tensor(math.log(math.expm1(START[0])), requires_grad=True)
    raw_gamma = torch.tensor(math.log(math.expm1(START[1])), requires_grad=True)
    omega = torch.tensor(START[2], requires_grad=True)
    raw_phi = torch.tensor(0.0, requires_grad=True)

    def params():
        return (F.softplus(raw_A), F.softplus(raw_gamma), omega,
                torch.pi * (2 * torch.sigmoid(raw_phi) - 1))
    opt = optim.LBFGS([raw_A, raw_gamma, omega, raw_phi], line_search_fn="strong_wolfe",
                      max_iter=200)

    def closure():
        opt.zero_grad()
        loss = chi2(*params())
        loss.backward()
        return loss
    for _ in range(3):
        opt.step(closure)
    found = np.array([v.item() for v in params()])
    best, _, _ = lbfgs_fit(torch, optim, t, y)
    np.testing.assert_allclose(found, best, rtol=1e-6)
    assert found[0] > 0 and found[1] > 0 and -math.pi < found[3] < math.pi


@needs_torch
def test_the_same_code_in_pytorch_takes_the_same_steps(data):
    t, y = data
    real_torch.set_default_dtype(real_torch.float64)
    try:
        ours, our_losses, _ = lbfgs_fit(torch, optim, t, y)
        theirs, their_losses, their_chi2 = lbfgs_fit(real_torch, real_torch.optim, t, y)
        their_hessian = real_torch.autograd.functional.hessian(
            lambda q: their_chi2(*q), real_torch.tensor(START)).numpy()
    finally:
        real_torch.set_default_dtype(real_torch.float32)
    assert len(our_losses) == len(their_losses)       # the same evaluations, one by one
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-9)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    _, hess = analytic(np.array(START), t, y)
    np.testing.assert_allclose(their_hessian, hess, rtol=1e-10, atol=1e-9 * abs(hess).max())
