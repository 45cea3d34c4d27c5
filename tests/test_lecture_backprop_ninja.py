"""makemore part 4, "becoming a backprop ninja", as a learner types it with `import autograd as
torch`: our own rewrite of the lecture's cells (tests/test_lecture_exercises.py derives the same
gradients with numpy; here every line is the lecture's PyTorch spelling, run on Tensors).

Exercise 1 backpropagates by hand through every intermediate of a two-layer MLP (embedding,
batch norm written out step by step, tanh, cross-entropy written out) and compares each gradient
with the one backward left (`retain_grad()`), with the lecture's `cmp`; exercises 2 and 3 do
the cross-entropy and the batch norm in one line each; exercise 4 trains on the hand-derived
gradients alone, under no_grad. Each piece is written once against the `torch` and `F` it is
given and, where PyTorch is installed, also runs on it in float64 from the same numbers.
Where a line must differ on glassgrad it says so (# port: ...).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import autograd as torch
import nn.functional as F

# -- the data: made-up names, and the lecture's character tables ----------------------------------


def make_words(count: int = 300, seed: int = 5) -> list[str]:
    pick = random.Random(seed)
    words = []
    for _ in range(count):
        word = "".join(pick.choice("bdfgklmnprstvz") + pick.choice("aeiouy")
                       for _ in range(pick.randint(1, 3)))
        words.append(word + pick.choice("nlrs") if pick.random() < 0.4 else word)
    return words


WORDS = make_words()
chars = sorted(set("".join(WORDS)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
block_size = 3


def build_dataset(torch, words: list[str]) -> tuple:
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def cmp(s: str, dt, t) -> tuple[bool, bool, float]:
    """The lecture's check of a gradient derived by hand against the one backward left."""
    ex = torch.all(dt == t.grad).item()
    app = torch.allclose(dt, t.grad)
    maxdiff = (dt - t.grad).abs().max().item()
    print(f"{s:15s} | exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff: {maxdiff}")
    return ex, app, maxdiff


# -- the starting numbers: the lecture's initialisation, drawn with numpy so both libraries start
# from the same weights and batches (their generators differ)

PARAMETERS = ["C", "W1", "b1", "W2", "b2", "bngain", "bnbias"]


def starting_numbers(dtype=np.float32, n_embd: int = 10, n_hidden: int = 64,
                     batch_size: int = 32, steps: int = 40) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2147483647)

    def randn(*shape):
        return rng.standard_normal(shape).astype(dtype)
    n_train = sum(len(w) + 1 for w in WORDS)           # one example per character and '.'
    return dict(
        C=randn(vocab_size, n_embd),
        W1=randn(n_embd * block_size, n_hidden) * dtype((5 / 3) / (n_embd * block_size) ** 0.5),
        b1=randn(n_hidden) * dtype(0.1),          # useless before a batch norm: its gradient
        W2=randn(n_hidden, vocab_size) * dtype(0.1),    # must still come out 0 from both
        b2=randn(vocab_size) * dtype(0.1),
        bngain=randn(1, n_hidden) * dtype(0.1) + dtype(1.0),
        bnbias=randn(1, n_hidden) * dtype(0.1),
        rows=rng.integers(0, n_train, (steps, batch_size)),
    )


# -- exercise 1: the forward pass cut into steps, and every step backpropagated by hand ---------

def forward(torch, w: dict) -> dict:
    """The lecture's forward pass, chunked, with retain_grad on every intermediate, and
    loss.backward(). Returns every named tensor."""
    parameters = [torch.tensor(w[k]) for k in PARAMETERS]
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    for p in parameters:
        p.requires_grad = True
    Xtr, Ytr = build_dataset(torch, WORDS)
    ix = torch.tensor(w["rows"][0])
    Xb, Yb = Xtr[ix], Ytr[ix]
    n = Xb.shape[0]

    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1/n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1/(n-1) * (bndiff2).sum(0, keepdim=True)      # Bessel's correction
    bnvar_inv = (bnvar + 1e-5)**-0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes                     # for numerical stability
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()

    for p in parameters:
        p.grad = None
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes,
              logits, h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani,
              embcat, emb]:
        t.retain_grad()
    loss.backward()
    return dict(locals())


def by_hand(torch, F, t: dict) -> dict:
    """Exercise 1: d(loss)/d(everything), one step at a time, last step first."""
    (C, W1, W2, bngain, Xb, Yb, n, emb, embcat, hprebn, bndiff, bndiff2, bnvar, bnvar_inv,
     bnraw, h, logits, counts, counts_sum, counts_sum_inv, probs, logprobs) = (
        t[k] for k in ["C", "W1", "W2", "bngain", "Xb", "Yb", "n", "emb", "embcat", "hprebn",
                       "bndiff", "bndiff2", "bnvar", "bnvar_inv", "bnraw", "h", "logits",
                       "counts", "counts_sum", "counts_sum_inv", "probs", "logprobs"])
    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0/n
    dprobs = (1.0 / probs) * dlogprobs
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
    dcounts = counts_sum_inv * dprobs
    dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
    dcounts += torch.ones_like(counts) * dcounts_sum
    dnorm_logits = counts * dcounts
    dlogits = dnorm_logits.clone()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
    # port: logits.max(1).indices (a positional max is numpy's here: the values only)
    dlogits += F.one_hot(logits.max(dim=1).indices, num_classes=logits.shape[1]) * dlogit_maxes
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnraw = bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdim=True)
    dbndiff = bnvar_inv * dbnraw
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
    dbnvar = (-0.5 * (bnvar + 1e-5)**-1.5) * dbnvar_inv
    dbndiff2 = (1.0/(n-1)) * torch.ones_like(bndiff2) * dbnvar
    dbndiff += (2*bndiff) * dbndiff2
    dhprebn = dbndiff.clone()
    dbnmeani = (-dbndiff).sum(0)
    dhprebn += 1.0/n * (torch.ones_like(hprebn) * dbnmeani)
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    return {name[1:]: value for name, value in locals().items()
            if name.startswith("d") and name[1:] in t}


NAMES = ["logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits",
         "logit_maxes", "logits", "h", "W2", "b2", "hpreact", "bngain", "bnbias", "bnraw",
         "bnvar_inv", "bnvar", "bndiff2", "bndiff", "bnmeani", "hprebn", "embcat", "W1", "b1",
         "emb", "C"]


# -- exercises 2 and 3: the cross-entropy and the batch norm, forward and backward in one line --

def one_liners(torch, F, t: dict, d: dict) -> dict:
    """Exercises 2 and 3 (`d`: exercise 1's gradients, whose dhpreact exercise 3 starts from)."""
    logits, Yb, n = t["logits"], t["Yb"], t["n"]
    loss_fast = F.cross_entropy(logits, Yb)
    dlogits = F.softmax(logits, 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    hprebn, bngain, bnbias = t["hprebn"], t["bngain"], t["bnbias"]
    hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(
        hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias
    bnvar_inv, bnraw = t["bnvar_inv"], t["bnraw"]
    dhpreact = d["hpreact"]
    dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0)
                                    - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0))
    return dict(loss_fast=loss_fast, dlogits=dlogits, hpreact_fast=hpreact_fast,
                dhprebn=dhprebn)


# -- exercise 4: training on the hand-derived gradients alone ----------------------------------

def train(torch, F, w: dict, check: bool = False) -> dict:
    """The lecture's training loop with the backward pass written out. With `check`, the first
    step also runs loss.backward() and returns both gradients, as the lecture does before it
    deletes that line and wraps the loop in no_grad."""
    parameters = [torch.tensor(w[k]) for k in PARAMETERS]
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    for p in parameters:
        p.requires_grad = True
    Xtr, Ytr = build_dataset(torch, WORDS)
    lossi = []
    with torch.no_grad() if not check else torch.enable_grad():
        for i in range(len(w["rows"])):
            ix = torch.tensor(w["rows"][i])
            Xb, Yb = Xtr[ix], Ytr[ix]
            n = Xb.shape[0]
            emb = C[Xb]
            embcat = emb.view(emb.shape[0], -1)
            hprebn = embcat @ W1 + b1
            bnmean = hprebn.mean(0, keepdim=True)
            bnvar = hprebn.var(0, keepdim=True, unbiased=True)
            bnvar_inv = (bnvar + 1e-5)**-0.5
            bnraw = (hprebn - bnmean) * bnvar_inv
            hpreact = bngain * bnraw + bnbias
            h = torch.tanh(hpreact)
            logits = h @ W2 + b2
            loss = F.cross_entropy(logits, Yb)
            for p in parameters:
                p.grad = None
            if check:
                loss.backward()
            dlogits = F.softmax(logits, 1)
            dlogits[range(n), Yb] -= 1
            dlogits /= n
            dh = dlogits @ W2.T
            dW2 = h.T @ dlogits
            db2 = dlogits.sum(0)
            dhpreact = (1.0 - h**2) * dh
            dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
            dbnbias = dhpreact.sum(0, keepdim=True)
            dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0)
                                            - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0))
            dembcat = dhprebn @ W1.T
            dW1 = embcat.T @ dhprebn
            db1 = dhprebn.sum(0)
            demb = dembcat.view(emb.shape)
            dC = torch.zeros_like(C)
            for k in range(Xb.shape[0]):
                for j in range(Xb.shape[1]):
                    ix = Xb[k, j]
                    dC[ix] += demb[k, j]
            grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
            if check:
                return {"hand": grads, "backward": [p.grad for p in parameters]}
            lr = 0.1 if i < 100000 else 0.01
            for p, grad in zip(parameters, grads):
                p.data += -lr * grad
            lossi.append(loss.log10().item())

    # calibrate the batch norm at the end of training, then evaluate and sample
    with torch.no_grad():
        emb = C[Xtr]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = embcat @ W1 + b1
        bnmean = hpreact.mean(0, keepdim=True)
        bnvar = hpreact.var(0, keepdim=True, unbiased=True)

    @torch.no_grad()
    def split_loss(x, y) -> float:
        emb = C[x]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = embcat @ W1 + b1
        hpreact = bngain * (hpreact - bnmean) * (bnvar + 1e-5)**-0.5 + bnbias
        h = torch.tanh(hpreact)
        logits = h @ W2 + b2
        return F.cross_entropy(logits, y).item()

    return {"lossi": lossi, "train_loss": split_loss(Xtr, Ytr), "parameters": parameters,
            "bnmean": bnmean, "bnvar": bnvar}


# -- the tests -------------------------------------------------------------------------------


def numbers(t) -> np.ndarray:
    """A glassgrad Tensor's or ndarray's numbers, or a PyTorch tensor's."""
    if hasattr(t, "detach"):
        t = t.detach()
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


@pytest.fixture(scope="module")
def exercise1():
    t = forward(torch, starting_numbers())
    return t, by_hand(torch, F, t)


def test_the_lecture_initialisation_runs():
    """The parameters as the lecture makes them, with a seeded generator."""
    n_embd, n_hidden = 10, 64
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5/3)/((n_embd * block_size)**0.5)
    b1 = torch.randn(n_hidden, generator=g) * 0.1
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
    b2 = torch.randn(vocab_size, generator=g) * 0.1
    bngain = torch.randn((1, n_hidden))*0.1 + 1.0
    bnbias = torch.randn((1, n_hidden))*0.1
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    assert sum(p.nelement() for p in parameters) == (vocab_size * n_embd + 30 * n_hidden
                                                     + n_hidden + n_hidden * vocab_size
                                                     + vocab_size + 2 * n_hidden)
    assert all(p.is_leaf and p.dtype == np.float32 for p in parameters)
    again = torch.randn((vocab_size, n_embd), generator=torch.Generator().manual_seed(2147483647))
    assert torch.equal(C, again)


def test_exercise1_every_gradient_by_hand_is_backwards(exercise1):
    t, d = exercise1
    assert set(d) == set(NAMES)
    for name in NAMES:
        exact, approximate, maxdiff = cmp(name, d[name], t[name])
        assert approximate, f"{name}: max diff {maxdiff}"
        assert maxdiff < 1e-7, name
    assert np.abs(t["b1"].grad).max() < 1e-7            # a bias before a batch norm learns nothing


def test_exercise2_cross_entropy_and_its_gradient_in_one_line(exercise1):
    t, d = exercise1
    fast = one_liners(torch, F, t, d)
    assert fast["loss_fast"].item() == pytest.approx(t["loss"].item(), rel=1e-6)
    assert cmp("logits", fast["dlogits"], t["logits"])[1]


def test_exercise3_batch_norm_and_its_gradient_in_one_line(exercise1):
    t, d = exercise1
    fast = one_liners(torch, F, t, d)
    assert (fast["hpreact_fast"] - t["hpreact"]).abs().max().item() < 1e-5
    assert cmp("hprebn", fast["dhprebn"], t["hprebn"])[1]


def test_exercise4_the_first_step_by_hand_is_backwards():
    both = train(torch, F, starting_numbers(), check=True)
    for name, hand, p_grad in zip(PARAMETERS, both["hand"], both["backward"]):
        assert np.allclose(numbers(hand), p_grad, rtol=1e-5, atol=1e-7), name


def test_exercise4_training_on_hand_derived_gradients_alone():
    result = train(torch, F, starting_numbers())
    assert np.mean(result["lossi"][-10:]) < np.mean(result["lossi"][:10]) - 0.02
    assert all(not p.requires_grad or p.grad is None for p in result["parameters"])
    assert result["train_loss"] < 10 ** result["lossi"][0]
    assert result["bnmean"].shape == (1, 64) and not result["bnvar"].requires_grad


# -- the same cells on PyTorch, in float64 from the same numbers ----------------------------------

@pytest.fixture(scope="module")
def float64_runs():
    real_torch = pytest.importorskip("torch", reason="PyTorch is optional (pip install torch)")
    import torch.nn.functional as real_F
    w = starting_numbers(np.float64)
    runs = {}
    for name, lib, fn in [("ours", torch, F), ("theirs", real_torch, real_F)]:
        t = forward(lib, w)
        d = by_hand(lib, fn, t)
        runs[name] = dict(t=t, hand=d, fast=one_liners(lib, fn, t, d),
                          check=train(lib, fn, w, check=True), trained=train(lib, fn, w))
    return runs["ours"], runs["theirs"]


def test_float64_every_gradient_is_pytorchs(float64_runs):
    ours, theirs = float64_runs
    assert ours["t"]["loss"].item() == pytest.approx(theirs["t"]["loss"].item(), rel=1e-13)
    for name in NAMES:
        assert ours["t"][name].grad.dtype == np.float64, name
        np.testing.assert_allclose(ours["t"][name].grad, numbers(theirs["t"][name].grad),
                                   rtol=1e-10, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(numbers(ours["hand"][name]), numbers(theirs["hand"][name]),
                                   rtol=1e-10, atol=1e-15, err_msg=name)


def test_float64_one_liners_are_pytorchs(float64_runs):
    ours, theirs = float64_runs
    for key in ["loss_fast", "dlogits", "hpreact_fast", "dhprebn"]:
        np.testing.assert_allclose(numbers(ours["fast"][key]), numbers(theirs["fast"][key]),
                                   rtol=1e-10, atol=1e-15, err_msg=key)


def test_float64_training_by_hand_is_pytorchs(float64_runs):
    ours, theirs = float64_runs
    for kind in ["hand", "backward"]:
        for name, a, b in zip(PARAMETERS, ours["check"][kind], theirs["check"][kind]):
            np.testing.assert_allclose(numbers(a), numbers(b), rtol=1e-10, atol=1e-15,
                                       err_msg=f"{kind} {name}")
    np.testing.assert_allclose(ours["trained"]["lossi"], theirs["trained"]["lossi"], rtol=1e-12)
    assert ours["trained"]["train_loss"] == pytest.approx(theirs["trained"]["train_loss"],
                                                          rel=1e-12)
    for name, a, b in zip(PARAMETERS, ours["trained"]["parameters"],
                          theirs["trained"]["parameters"]):
        np.testing.assert_allclose(numbers(a), numbers(b), rtol=1e-10, atol=1e-14, err_msg=name)


def test_cmp_of_a_tensor_backward_never_reached_says_its_grad_is_none():
    """Exercise 4's check with loss.backward() forgotten: p.grad is None. allclose said
    "Tensor: got None where numbers belong ... does a forward() ... not return it?"."""
    W = torch.randn(3, 2, requires_grad=True)
    dW = torch.zeros_like(W)
    none = r"got None to compare with, not a tensor: a \.grad is None until backward\(\)"
    with pytest.raises(TypeError, match=r"allclose: " + none):
        cmp("W", dW, W)
    with pytest.raises(TypeError, match=r"allclose: " + none):
        torch.allclose(W.grad, dW)
    with pytest.raises(TypeError, match=r"isclose: " + none):
        dW.isclose(W.grad)
    with pytest.raises(TypeError, match=r"equal: " + none):
        torch.equal(dW, W.grad)
