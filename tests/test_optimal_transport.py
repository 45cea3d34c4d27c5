"""The sets course's trial, part 3: optimal transport, written as PyTorch code with
`import autograd as torch` and glassgrad's `nn`: entropic Sinkhorn in the log domain
(`logsumexp` iterations on a cost `cdist(x, y) ** 2`), differentiated through its iterations
with respect to the points, a cloud moved onto another by gradient descent on the Sinkhorn
divergence; the 1-d Wasserstein distance by sorting; exact matchings of small clouds found by
trying every permutation. Gradients against float64 central differences, outputs and gradients
against PyTorch."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autograd as torch
import nn
from autograd import Tensor, gradcheck


def sinkhorn(lib, x, y, eps=0.1, iters=50):
    """Entropic OT between uniform clouds x (n, d) and y (m, d), cost |x - y|², in the log
    domain: the transport cost <P, C>, the potentials f, g and the plan P."""
    torch_ = lib
    n, m = x.shape[0], y.shape[0]
    C = torch_.cdist(x, y) ** 2
    log_a = torch_.full((n,), -math.log(n), dtype=x.dtype)
    log_b = torch_.full((m,), -math.log(m), dtype=x.dtype)
    f, g = torch_.zeros(n, dtype=x.dtype), torch_.zeros(m, dtype=x.dtype)
    for _ in range(iters):
        f = -eps * torch_.logsumexp((g[None, :] - C) / eps + log_b[None, :], dim=1)
        g = -eps * torch_.logsumexp((f[:, None] - C) / eps + log_a[:, None], dim=0)
    P = torch_.exp((f[:, None] + g[None, :] - C) / eps + log_a[:, None] + log_b[None, :])
    return (P * C).sum(), f, g, P


def ot_eps(lib, x, y, eps=0.1, iters=50):
    """The entropic OT value from the dual: <a, f> + <b, g>."""
    _, f, g, _ = sinkhorn(lib, x, y, eps, iters)
    return f.mean() + g.mean()


def divergence(lib, x, y, eps=0.1, iters=50):
    """The Sinkhorn divergence: OT(x, y) - OT(x, x) / 2 - OT(y, y) / 2 (0 when x = y)."""
    return (ot_eps(lib, x, y, eps, iters) - 0.5 * ot_eps(lib, x, x, eps, iters)
            - 0.5 * ot_eps(lib, y, y, eps, iters))


def w1_sorted(lib, a, b):
    """The 1-d Wasserstein-1 distance of two samples of one size: their sorted values paired."""
    return (lib.sort(a)[0] - lib.sort(b).values).abs().mean()


RNG = np.random.default_rng(0)
XS, YS = RNG.normal(size=(12, 2)), RNG.normal(size=(10, 2)) + [2.0, 0.0]


def test_the_plans_marginals_are_the_uniform_weights():
    x, y = torch.tensor(XS), torch.tensor(YS)
    cost, f, g, P = sinkhorn(torch, x, y, eps=0.1, iters=200)
    # (g was updated last: the columns are exact, the rows nearly)
    assert torch.allclose(P.sum(dim=1), torch.full((12,), 1 / 12, dtype=torch.float64), atol=1e-5)
    assert torch.allclose(P.sum(dim=0), torch.full((10,), 1 / 10, dtype=torch.float64), atol=1e-12)
    assert cost.item() > 0 and P.min().item() >= 0


def test_sinkhorn_and_its_divergence_check_out_against_finite_differences():
    x = Tensor(XS[:5], requires_grad=True)
    y = Tensor(YS[:4], requires_grad=True)
    assert gradcheck(lambda p, q: sinkhorn(torch, p, q, 0.5, 20)[0], (x, y))
    assert gradcheck(lambda p, q: divergence(torch, p, q, 0.5, 20), (x, y))


def test_the_divergence_is_zero_on_itself_and_positive_otherwise():
    x, y = torch.tensor(XS), torch.tensor(YS)
    assert abs(divergence(torch, x, x).item()) < 1e-12
    assert divergence(torch, x, y).item() > 1.0             # the clouds are ~2 apart


def test_a_cloud_moved_by_gradient_descent_lands_on_the_other():
    torch.manual_seed(0)
    x = torch.randn(30, 2, requires_grad=True)
    theta = torch.rand(30) * 2 * math.pi
    y = torch.stack([torch.cos(theta), torch.sin(theta)], dim=1) * 2 + torch.tensor([3.0, 0.0])
    opt = nn.optim.SGD([x], lr=15.0)                         # ~ 1/2 the points' weight 1/30
    first = None
    for _ in range(80):
        loss = divergence(torch, x, y, eps=0.05, iters=30)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 * first, (first, loss.item())
    assert torch.allclose(x.mean(dim=0), y.mean(dim=0), atol=0.5)
    radius = (x - torch.tensor([3.0, 0.0])).norm(dim=1)          # onto the circle
    assert abs(radius.mean().item() - 2) < 0.1
    assert ((radius - 2).abs() < 0.3).float().mean().item() >= 0.9


def test_small_epsilon_finds_the_best_permutation():
    rng = np.random.default_rng(1)
    n = 5
    xx, yy = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    C = ((xx[:, None] - yy[None]) ** 2).sum(-1)
    best = min(itertools.permutations(range(n)), key=lambda p: C[np.arange(n), p].sum())
    exact = C[np.arange(n), best].sum() / n
    cost, _, _, P = sinkhorn(torch, torch.tensor(xx), torch.tensor(yy), eps=0.005, iters=1000)
    assert abs(cost.item() - exact) < 1e-3 * exact
    assert P.argmax(dim=1).tolist() == list(best)


def test_the_1d_distance_by_sorting_is_the_best_matching():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=6), rng.normal(size=6) + 0.5
    brute = min(np.abs(a - b[list(p)]).mean() for p in itertools.permutations(range(6)))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    w = w1_sorted(torch, ta, tb)
    assert abs(w.item() - brute) < 1e-12
    assert gradcheck(lambda p, q: w1_sorted(torch, p, q), (ta, tb))
    w.backward()                    # each pair pulled together: ±1/n, opposite signs
    assert np.allclose(np.abs(ta.grad), 1 / 6)
    order_a, order_b = np.argsort(a), np.argsort(b)
    assert np.allclose(ta.grad[order_a], -tb.grad[order_b])


# ----------------------------------------------------------------------------------------------
# PyTorch from the same points
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-9), (np.float32, 2e-3)])
def test_sinkhorn_matches_pytorch(dtype, tol):
    # float32: 50 iterations of logsumexp over a divergence's differences lose digits in
    # either library; against float64 PyTorch, ours is nearer (3e-5 to PyTorch's 3e-4 here)
    tt = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    results = []
    for lib in (torch, tt):
        x = lib.tensor(XS.astype(dtype), requires_grad=True)
        y = lib.tensor(YS.astype(dtype), requires_grad=True)
        cost, f, g, P = sinkhorn(lib, x, y)
        div = divergence(lib, x, y)
        (cost + div).backward()
        a, b = lib.tensor(XS[:, 0].astype(dtype)), lib.tensor(YS[:, 0][:12 - 2].astype(dtype))
        w = w1_sorted(lib, a[:10], b)
        results.append([cost, div, P, f, g, x.grad, y.grad, w])
    for a, b in zip(*results):
        a = np.asarray(a.detach().numpy() if hasattr(a, "detach") else a, np.float64)
        b = b.detach().numpy().astype(np.float64)
        assert a.shape == b.shape and np.max(np.abs(a - b) / (1 + np.abs(b))) < tol
