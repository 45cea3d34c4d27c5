"""makemore parts 1, 2, 3 and 4 as a learner types them with `import autograd as torch`: the
idioms that tests/test_lecture_makemore.py (the layers of parts 3 and 5) and
tests/test_lecture_exercises.py (backprop ninja's gradients, the sampling loops) do not run.

Each piece is written once, against whichever `torch` and `F` it is given, and runs on glassgrad
here and on PyTorch in `pytorch_reference` (recorded in tests/reference/lecture_makemore_ports.npz
from the same starting weights and batches, drawn with numpy: the two libraries' generators
differ). Where a line must differ on glassgrad it says so (# port: ...).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import autograd as torch
import nn.functional as F
from reference import recorded

# -- the data: made-up names with every letter, and the lecture's character tables ------------


def make_words(count: int = 200, seed: int = 1) -> list[str]:
    pick = random.Random(seed)
    consonants, vowels = "bcdfghjklmnpqrstvwxz", "aeiouy"
    words = []
    for _ in range(count):
        word = "".join(pick.choice(consonants) + pick.choice(vowels)
                       for _ in range(pick.randint(2, 4)))
        words.append(word[1:] if pick.random() < 0.3 else word)
    return words


WORDS = make_words()
CHARS = sorted(set("".join(WORDS)))
STOI = {s: i + 1 for i, s in enumerate(CHARS)} | {".": 0}
BLOCK_SIZE, N_EMBD, N_HIDDEN, BATCH = 3, 10, 64, 32


def bigrams():
    for w in WORDS:
        chs = ["."] + list(w) + ["."]
        yield from ((STOI[ch1], STOI[ch2]) for ch1, ch2 in zip(chs, chs[1:]))


def build_dataset(torch, words):
    X, Y = [], []
    for w in words:
        context = [0] * BLOCK_SIZE
        for ch in w + ".":
            X.append(context)
            Y.append(STOI[ch])
            context = context[1:] + [STOI[ch]]
    return torch.tensor(X), torch.tensor(Y)


def drawn_weights() -> dict[str, np.ndarray]:
    """The MLP's parameters (float32, the lecture's scaling) and the batches' rows."""
    rng = np.random.default_rng(7)

    def normal(*shape):
        return rng.standard_normal(shape).astype(np.float32)
    fan_in = N_EMBD * BLOCK_SIZE
    return dict(C=normal(27, N_EMBD), W1=normal(fan_in, N_HIDDEN) * np.float32(5 / 3 / fan_in**0.5),
                b1=normal(N_HIDDEN) * np.float32(0.01), W2=normal(N_HIDDEN, 27) * np.float32(0.01),
                b2=np.zeros(27, np.float32), bngain=np.ones((1, N_HIDDEN), np.float32),
                bnbias=np.zeros((1, N_HIDDEN), np.float32),
                rows=rng.integers(0, 1300, (40, BATCH)))


# -- part 1: counting bigrams --------------------------------------------------------------------

def bigram_model(torch) -> dict:
    N = torch.zeros((27, 27), dtype=torch.int32)
    for ix1, ix2 in bigrams():
        N[ix1, ix2] += 1
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    wrong = (N + 1).float()
    wrong = wrong / wrong.sum(1)            # the lecture's broadcasting bug: columns divided
    log_likelihood, n = 0.0, 0
    for ix1, ix2 in bigrams():
        log_likelihood += torch.log(P[ix1, ix2])
        n += 1
    return {"P0": P[0], "row_sums": P.sum(1), "wrong_row_sum": wrong[0].sum(),
            "nll": -log_likelihood / n}


# -- part 2: the MLP's learning-rate search -----------------------------------------------------

def learning_rate_search(torch, F, w: dict) -> dict:
    Xtr, Ytr = build_dataset(torch, WORDS)
    C, W1, b1, W2, b2 = (torch.tensor(w[k]) for k in ("C", "W1", "b1", "W2", "b2"))
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    lre = torch.linspace(-3, -1, 40)
    lrs = 10**lre
    lossi = []
    for i in range(40):
        ix = torch.tensor(w["rows"][i])
        emb = C[Xtr[ix]]
        h = torch.tanh(emb.view(-1, N_EMBD * BLOCK_SIZE) @ W1 + b1)
        loss = F.cross_entropy(h @ W2 + b2, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = lrs[i]                         # a 0-d tensor
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.item())
    return {"losses": np.array(lossi, np.float32), "W1_row": W1[0]}


# -- part 3: the tanh layer's histogram ---------------------------------------------------------

def tanh_histogram(torch, w: dict) -> dict:
    Xtr, _ = build_dataset(torch, WORDS)
    C, W1 = torch.tensor(w["C"]), torch.tensor(w["W1"], requires_grad=True)
    h = torch.tanh(C[Xtr[:BATCH]].view(BATCH, -1) @ W1)
    hy, hx = torch.histogram(h, density=True)
    return {"hy": hy, "hx": hx, "saturated": (h.abs() > 0.97).float().mean()}


# -- part 4: backprop ninja's exercise 4, training on gradients derived by hand ------------------

def train_by_hand(torch, F, w: dict, steps: int = 5) -> dict:
    Xtr, Ytr = build_dataset(torch, WORDS)
    names = ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")
    parameters = [torch.tensor(w[k]) for k in names]
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    n, lossi = BATCH, []
    with torch.no_grad():
        for i in range(steps):
            ix = torch.tensor(w["rows"][i])
            Xb, Yb = Xtr[ix], Ytr[ix]
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
            dlogits = F.softmax(logits, 1)
            dlogits[range(n), Yb] -= 1
            dlogits /= n
            dh = dlogits @ W2.T
            dW2 = h.T @ dlogits
            db2 = dlogits.sum(0)
            dhpreact = (1.0 - h**2) * dh
            dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
            dbnbias = dhpreact.sum(0, keepdim=True)
            dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0)
                                                - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
            dembcat = dhprebn @ W1.T
            dW1 = embcat.T @ dhprebn
            db1 = dhprebn.sum(0)
            demb = dembcat.view(emb.shape)
            dC = torch.zeros_like(C)
            for k in range(Xb.shape[0]):
                for j in range(Xb.shape[1]):
                    dC[Xb[k, j]] += demb[k, j]
            grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
            for p, grad in zip(parameters, grads):
                p.data += -0.1 * grad
            lossi.append(loss.item())
    return {"losses": np.array(lossi, np.float32), "C_row": C[Xtr[0, 0]], "bngain": bngain}


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/lecture_makemore_ports.npz: the same code on PyTorch."""
    import torch.nn.functional as F
    from reference import prefixed
    w = drawn_weights()
    return {**prefixed("bigram", bigram_model(torch)),
            **prefixed("lr_search", learning_rate_search(torch, F, w)),
            **prefixed("histogram", tanh_histogram(torch, w)),
            **prefixed("by_hand", train_by_hand(torch, F, w))}


def assert_like_pytorch(name: str, ours: dict, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    theirs = {k.split("/", 1)[1]: v for k, v in recorded("lecture_makemore_ports").items()
              if k.startswith(name + "/")}
    assert set(theirs) == set(ours)
    for key, value in ours.items():
        got = value.data if isinstance(value, torch.Tensor) else np.asarray(value)
        assert got.dtype == theirs[key].dtype, key
        np.testing.assert_allclose(got, theirs[key], rtol=rtol, atol=atol, err_msg=key)


def test_part1_counts_table_and_nll_are_pytorchs():
    assert_like_pytorch("bigram", bigram_model(torch))


def test_part2_learning_rate_search_with_a_tensor_lr_steps_as_pytorch():
    """`lr = lrs[i]` is a 0-d Tensor, so `-lr * p.grad` is one too: `p.data += ...` took a
    Tensor into numpy's in-place add, which raised "operand 'Tensor' does not support ufuncs"."""
    result = learning_rate_search(torch, F, drawn_weights())
    assert result["losses"][-1] < result["losses"][0] - 0.1      # (lr is 0.001 to 0.1)
    assert_like_pytorch("lr_search", result, rtol=2e-5)


def test_part3_torch_histogram_of_a_layer_in_the_graph_is_pytorchs():
    ours = tanh_histogram(torch, drawn_weights())
    assert not ours["hy"].requires_grad and ours["hx"][:-1].detach().shape == (100,)
    assert_like_pytorch("histogram", ours)


def test_histogram_takes_pytorchs_arguments_and_says_what_it_needs():
    x = torch.tensor([0.0, 1.0, 1.0, 3.0, 5.0])
    hist, edges = torch.histogram(x, bins=torch.tensor([0.0, 2.0, 4.0]), weight=torch.ones(5) * 2)
    assert hist.tolist() == [6.0, 2.0] and edges.tolist() == [0.0, 2.0, 4.0]
    assert x.histogram(2, range=(0.0, 1.0)).hist.tolist() == [1.0, 2.0]
    assert torch.histogram(np.ones(3, np.float32), bins=2).bin_edges.tolist() == [0.5, 1.0, 1.5]
    with pytest.raises(TypeError, match=r"histogram: needs a floating-point tensor, got dtype "
                                        r"int64 .*t\.float\(\)"):
        torch.histogram(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"histogram: the tensor holds NaN.*range=\(low, high\)"):
        torch.histogram(torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match=r"histogram: weight must have the tensor's shape \(5,\), "
                                         r"got \(4,\)"):
        x.histogram(weight=np.ones(4))


def test_part4_training_on_gradients_derived_by_hand_steps_as_pytorch():
    """Every gradient is a Tensor computed under no_grad, and `p.data += -0.1 * grad` writes it
    into the parameter's array (it raised numpy's ufunc TypeError)."""
    result = train_by_hand(torch, F, drawn_weights())
    assert_like_pytorch("by_hand", result)
