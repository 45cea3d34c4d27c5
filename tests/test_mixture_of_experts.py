"""The sets course's trial, part 2: a mixture of experts, written as PyTorch code with
`import autograd as torch` and glassgrad's `nn`: a top-k gate (`topk`, a softmax over the kept
logits, `zeros_like(...).scatter`), tokens dispatched to an `nn.ModuleList` of experts by masks,
`nonzero(as_tuple=True)` and `index_select`, combined by `index_add` or `scatter_add_`; the
load-balancing loss, noisy gating, capacity limits by a cumulative sum over one-hot masks; a
gate that learns to split a task between two experts. Gradients against float64 central
differences, outputs and gradients against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from autograd import Tensor, gradcheck

GG = (torch, nn, F)


def top_k_gate(lib, logits, k):
    """Each row: a softmax over its k largest logits, zeros elsewhere; and the kept places."""
    torch_, _, F_ = lib
    kept, places = torch_.topk(logits, k, dim=-1)
    return torch_.zeros_like(logits).scatter(-1, places, F_.softmax(kept, dim=-1)), places


def build_moe(lib, d=6, experts=4, width=8, k=2):
    torch_, nn_, F_ = lib

    class MoE(nn_.Module):
        def __init__(self):
            super().__init__()
            self.w_gate = nn_.Linear(d, experts, bias=False)
            self.w_noise = nn_.Linear(d, experts, bias=False)
            self.experts = nn_.ModuleList([
                nn_.Sequential(nn_.Linear(d, width), nn_.ReLU(), nn_.Linear(width, d))
                for _ in range(experts)])

        def forward(self, x, noise=None, combine="index_add"):
            logits = self.w_gate(x)
            if noise is not None:                  # noisy gating, its noise given or drawn
                logits = logits + noise * F_.softplus(self.w_noise(x))
            gates, places = top_k_gate(lib, logits, k)
            out = torch_.zeros_like(x)
            for e, expert in enumerate(self.experts):
                tokens = torch_.nonzero(gates[:, e] > 0, as_tuple=True)[0]
                if tokens.numel() == 0:
                    continue
                y = expert(torch_.index_select(x, 0, tokens)) * gates[tokens, e].unsqueeze(1)
                if combine == "index_add":
                    out = out.index_add(0, tokens, y)
                else:
                    out.scatter_add_(0, tokens.unsqueeze(1).expand(-1, d), y)
            # load balancing: the fraction routed to each expert (first choice) times its mean
            # gate probability, summed, times the number of experts (1 when all are even)
            probs = F_.softmax(logits, dim=-1)
            routed = F_.one_hot(places[:, 0], experts).to(probs.dtype).mean(dim=0)
            aux = experts * (routed * probs.mean(dim=0)).sum()
            return out, aux, gates

    return MoE()


# ----------------------------------------------------------------------------------------------
# The gate
# ----------------------------------------------------------------------------------------------

def test_the_top_k_gate_keeps_k_weights_per_row_summing_to_one():
    torch.manual_seed(0)
    logits = torch.randn(50, 8)
    gates, places = top_k_gate(GG, logits, 2)
    assert np.array_equal((gates > 0).sum(dim=1).numpy(), np.full(50, 2))
    assert torch.allclose(gates.sum(dim=1), torch.ones(50), atol=1e-6)
    best = logits.argmax(dim=1)
    assert np.array_equal(places[:, 0].numpy(), best.numpy())
    assert np.all(gates.gather(1, best[:, None]).numpy() >= 0.5)


def test_the_top_k_gates_gradient_reaches_the_kept_logits_only():
    rng = np.random.default_rng(1)
    logits = Tensor(rng.permutation(30).reshape(5, 6) * 0.2, requires_grad=True)   # no ties
    weights = Tensor(rng.normal(size=(5, 6)))
    assert gradcheck(lambda z: top_k_gate(GG, z, 2)[0] * weights, logits)
    (top_k_gate(GG, logits, 2)[0] * weights).sum().backward()
    kept = np.zeros((5, 6), bool)
    np.put_along_axis(kept, np.argsort(-logits.data, axis=1)[:, :2], True, axis=1)
    assert np.all(logits.grad[~kept] == 0) and np.all(logits.grad[kept] != 0)
    # two kept logits a, b: the gate of a is σ(a - b), so their gradients are opposite
    assert np.allclose(logits.grad.sum(axis=1), 0, atol=1e-12)


def test_noisy_gating_scales_the_noise_by_softplus():
    torch.manual_seed(0)
    moe = build_moe(GG)
    x = torch.randn(20, 6)
    noise = torch.randn_like(moe.w_gate(x))
    with torch.no_grad():
        moe.w_noise.weight.zero_()                          # softplus(0) = log 2
    clean = moe.w_gate(x)
    noisy = clean + noise * F.softplus(moe.w_noise(x))
    assert torch.allclose(noisy - clean, noise * np.log(2), atol=1e-6)
    _, _, gates = moe(x, noise)
    assert torch.allclose(gates, top_k_gate(GG, noisy, 2)[0], atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Dispatch, combination, capacity, balance
# ----------------------------------------------------------------------------------------------

def test_dispatch_by_index_add_and_scatter_add_equal_the_dense_mixture():
    torch.manual_seed(0)
    moe = build_moe(GG).double()
    x = torch.randn(40, 6, dtype=torch.float64)
    sparse, _, gates = moe(x)
    added, _, _ = moe(x, combine="scatter_add")
    dense = sum(gates[:, e:e + 1] * expert(x) for e, expert in enumerate(moe.experts))
    assert torch.allclose(sparse, dense, atol=1e-12)
    assert torch.allclose(added, dense, atol=1e-12)
    # and the gradients of the dispatched form are the dense form's
    grads = []
    for form in (lambda: moe(x)[0], lambda: sum(gates_of(moe, x)[:, e:e + 1] * ex(x)
                                                  for e, ex in enumerate(moe.experts))):
        moe.zero_grad()
        (form() ** 2).sum().backward()
        # (w_noise gets no gradient without noise: None in both forms)
        grads.append([None if p.grad is None else p.grad.copy() for p in moe.parameters()])
    for a, b in zip(*grads):
        assert (a is None and b is None) or np.allclose(a, b, atol=1e-12)


def gates_of(moe, x):
    return top_k_gate(GG, moe.w_gate(x), 2)[0]


def test_the_mixture_checks_out_against_finite_differences():
    torch.manual_seed(0)
    moe = build_moe(GG, d=3, experts=3, width=4).double()
    noise = Tensor(np.random.default_rng(2).normal(size=(7, 3)))
    x = Tensor(np.random.default_rng(3).normal(size=(7, 3)), requires_grad=True)
    assert gradcheck(lambda t: moe(t, noise)[0], x)
    assert gradcheck(lambda t: moe(t, noise)[1], x)


def test_capacity_by_a_cumulative_sum_drops_the_tokens_past_it():
    torch.manual_seed(0)
    experts, capacity = 4, 5
    first = torch.randint(0, experts, (40,))
    mask = F.one_hot(first, experts)                             # (tokens, experts), int64
    position = torch.cumsum(mask, dim=0) * mask                  # 1, 2, ... within each expert
    kept = (position > 0) & (position <= capacity)
    counts = np.bincount(first.numpy(), minlength=experts)
    assert np.array_equal(kept.sum(dim=0).numpy(), np.minimum(counts, capacity))
    for e in range(experts):                                     # the first ones are kept
        tokens = np.flatnonzero(first.numpy() == e)
        assert np.array_equal(np.flatnonzero(kept[:, e].numpy()), tokens[:capacity])
    assert position.dtype == np.int64 and kept.dtype == np.bool_


def test_the_balance_loss_is_one_when_even_and_pushes_toward_even():
    experts = 4
    even = Tensor(np.zeros((8, experts)), requires_grad=True)
    probs = F.softmax(even, dim=-1)
    routed = F.one_hot(torch.arange(8) % experts, experts).double().mean(dim=0)
    aux = experts * (routed * probs.mean(dim=0)).sum()
    assert abs(aux.item() - 1) < 1e-12
    # everything routed to expert 0: the loss lowers expert 0's logits
    skewed = Tensor(np.tile([2.0, 0.0, 0.0, 0.0], (8, 1)), requires_grad=True)
    probs = F.softmax(skewed, dim=-1)
    routed = F.one_hot(skewed.argmax(dim=1), experts).double().mean(dim=0)
    aux = experts * (routed * probs.mean(dim=0)).sum()
    aux.backward()
    assert aux.item() > 1 and np.all(skewed.grad[:, 0] > 0) and np.all(skewed.grad[:, 1:] < 0)


def test_the_gate_learns_to_split_a_task_between_two_experts():
    torch.manual_seed(0)
    experts, k, d = 4, 2, 4
    gate = nn.Linear(d, experts)
    linear = nn.ModuleList([nn.Linear(d, 1) for _ in range(experts)])
    X = torch.randn(256, d)
    wa = torch.tensor([[2.0], [1.0], [-1.0], [0.5]])
    wb = torch.tensor([[-2.0], [0.5], [1.5], [-1.0]])
    Y = torch.where(X[:, :1] > 0, X @ wa, X @ wb)              # one map per half-space

    def mixture(x):
        logits = gate(x)
        gates, places = top_k_gate(GG, logits, k)
        out = torch.zeros(x.shape[0], 1)
        for e in range(experts):
            tokens = torch.nonzero(gates[:, e] > 0, as_tuple=True)[0]
            out = out.index_add(0, tokens, linear[e](x[tokens]) * gates[tokens, e].unsqueeze(1))
        probs = F.softmax(logits, dim=-1)
        routed = F.one_hot(places[:, 0], experts).float().mean(dim=0)
        return out, gates, experts * (routed * probs.mean(dim=0)).sum()

    opt = nn.optim.Adam(list(gate.parameters()) + list(linear.parameters()), lr=3e-2)
    for _ in range(300):
        out, gates, aux = mixture(X)
        loss = F.mse_loss(out, Y) + 0.01 * aux
        opt.zero_grad()
        loss.backward()
        opt.step()
    out, gates, _ = mixture(X)
    A, b = X.numpy(), Y.numpy()
    one_linear = ((A @ np.linalg.lstsq(A, b, rcond=None)[0] - b) ** 2).mean()
    assert F.mse_loss(out, Y).item() < 0.05 * one_linear
    top, right = gates.argmax(dim=1).numpy(), A[:, 0] > 0
    a, b = np.bincount(top[right], minlength=experts), np.bincount(top[~right], minlength=experts)
    assert a.argmax() != b.argmax()
    assert a.max() > 0.9 * right.sum() and b.max() > 0.9 * (~right).sum(), (a, b)


# ----------------------------------------------------------------------------------------------
# PyTorch from the same weights, data and noise
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-9), (np.float32, 1e-4)])
@pytest.mark.parametrize("combine", ["index_add", "scatter_add"])
def test_the_mixture_matches_pytorch(dtype, tol, combine):
    tt = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    TT = (tt, tt.nn, tt.nn.functional)
    torch.manual_seed(0)
    ours, theirs = build_moe(GG), build_moe(TT)
    if dtype == np.float64:
        ours.double()
        theirs.double()
    theirs.load_state_dict({k: tt.as_tensor(v.numpy()) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(4)
    X, noise = rng.normal(size=(64, 6)).astype(dtype), rng.normal(size=(64, 4)).astype(dtype)
    results = []
    for lib, model in ((GG, ours), (TT, theirs)):
        x = lib[0].tensor(X, requires_grad=True)
        out, aux, gates = model(x, lib[0].tensor(noise), combine)
        (out.pow(2).mean() + 0.1 * aux).backward()
        results.append([out, aux, gates, x.grad] + [p.grad for p in model.parameters()])
    for a, b in zip(*results):
        a = np.asarray(a.detach().numpy() if hasattr(a, "detach") else a, np.float64)
        b = b.detach().numpy().astype(np.float64)
        assert a.shape == b.shape and np.max(np.abs(a - b) / (1 + np.abs(b))) < tol
