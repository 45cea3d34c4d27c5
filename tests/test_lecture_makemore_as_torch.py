"""A learner's trial of makemore parts 1, 2, 3 and 5 on glassgrad: the lectures' cells written
from memory, in the lectures' spelling (`import autograd as torch`, and `import nn.functional as
F` where the lecture imports torch.nn.functional), on 200 made-up names, small enough to run in
seconds. Each test asserts what the learner checks on screen: the counts, the losses, that they
fall, that samples are names. Where PyTorch is installed, one forward and backward of each model
is checked against it from the same weights.

What the trial needed to change from the lectures' code, and why (README.md, "Porting the lectures"):
- `hpreact.std(0, keepdim=True)` and `x.var(0, keepdim=True)` say their divisor
  (`unbiased=True`, PyTorch's default): a Tensor's std and var are numpy's, dividing by n, and
  the error names the call to write;
- `'%.2f' % t.mean()` of a tensor in the graph is `f'{t.mean():.2f}'`; `.grad` and `.data` are
  numpy arrays, so the update-to-data ratio is `np.log10((lr * p.grad).std() / p.data.std())`;
- `torch.Generator().manual_seed(2147483647)` is numpy's generator: the samples and losses are
  glassgrad's own, not the lecture's, and repeat from run to run.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import autograd as torch
import nn.functional as F
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

# -- the data: 200 made-up names over all 26 letters ----------------------------------------------

def make_names(count: int = 200, seed: int = 1) -> list[str]:
    pick = random.Random(seed)
    consonants, vowels = "bcdfghjklmnpqrstvwxz", "aeiouy"
    names = []
    for _ in range(count):
        syllables = "".join(pick.choice(consonants) + pick.choice(vowels) for _ in range(4))
        name = syllables[:pick.randint(3, 7)]
        names.append(name + pick.choice("ns") if pick.random() < 0.3 else name)
    return names


WORDS = make_names()
CHARS = sorted(set("".join(WORDS)))
STOI = {s: i + 1 for i, s in enumerate(CHARS)}
STOI["."] = 0
ITOS = {i: s for s, i in STOI.items()}


def bigrams(words):
    for w in words:
        chs = ["."] + list(w) + ["."]
        yield from zip(chs, chs[1:])


def build_dataset(words, block_size):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = STOI[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def splits(block_size):
    words = list(WORDS)
    random.Random(42).shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return (build_dataset(words[:n1], block_size), build_dataset(words[n1:n2], block_size),
            build_dataset(words[n2:], block_size))


def is_name(ixs: list[int]) -> bool:
    """A sample is a name: letters of the alphabet, then one '.' at the end."""
    return len(ixs) >= 1 and ixs[-1] == 0 and all(1 <= ix <= 26 for ix in ixs[:-1])


def test_the_made_up_names_use_every_letter():
    assert len(WORDS) == 200 and CHARS == [chr(c) for c in range(ord("a"), ord("z") + 1)]
    assert len(STOI) == 27


# -- part 1: the bigram model, counted and then learned ---------------------------------------

def count_bigrams():
    N = torch.zeros((27, 27), dtype=torch.int32)
    for ch1, ch2 in bigrams(WORDS):
        N[STOI[ch1], STOI[ch2]] += 1
    return N


def counting_nll(P):
    log_likelihood, n = 0.0, 0
    for ch1, ch2 in bigrams(WORDS):
        prob = P[STOI[ch1], STOI[ch2]]
        log_likelihood += torch.log(prob)
        n += 1
    return -log_likelihood / n


def test_part1_counts_probabilities_and_the_counting_models_nll():
    N = count_bigrams()
    pairs = list(bigrams(WORDS))
    assert N.dtype == np.int32 and N.shape == (27, 27) and N.sum().item() == len(pairs)
    assert N[0].sum().item() == len(WORDS) == N[:, 0].sum().item()    # one start, one end each
    assert N[STOI["a"], STOI["."]].item() == sum(w.endswith("a") for w in WORDS)

    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    np.testing.assert_allclose(P.sum(1).data, 1, rtol=1e-6)
    assert P.dtype == np.float32 and P.sum(1, keepdim=True).shape == (27, 1)

    nll = counting_nll(P)
    counts = (N.data + 1).astype(np.float64)
    logp = np.log(counts / counts.sum(1, keepdims=True))
    expected = -np.mean([logp[STOI[a], STOI[b]] for a, b in pairs])
    assert abs(nll.item() - expected) < 1e-5
    assert 2.0 < nll.item() < np.log(27)                   # better than guessing uniformly
    assert f"{nll}" == str(nll.item())                     # print(f'{nll/n}') shows the number


def test_part1_sampling_from_the_counts_gives_names_and_repeats_with_the_seed():
    N = count_bigrams()
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)

    def sample(seed):
        g = torch.Generator().manual_seed(seed)
        names = []
        for _ in range(20):
            out, ix = [], 0
            while True:
                ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
                out.append(ix)
                if ix == 0:
                    break
            names.append(out)
        return names

    names = sample(2147483647)
    assert all(is_name(name) for name in names) and names == sample(2147483647)
    p = torch.rand(3, generator=torch.Generator().manual_seed(2147483647))
    p = p / p.sum()
    draws = torch.multinomial(p, num_samples=2000, replacement=True,
                              generator=torch.Generator().manual_seed(1))
    np.testing.assert_allclose(np.bincount(draws.data, minlength=3) / 2000, p.data, atol=0.04)


def bigram_xs_ys():
    xs, ys = [], []
    for ch1, ch2 in bigrams(WORDS):
        xs.append(STOI[ch1])
        ys.append(STOI[ch2])
    return torch.tensor(xs), torch.tensor(ys)


def test_part1_the_neural_bigram_with_log_counts_as_weights_is_the_counting_model():
    """W = log(N + 1): softmax(one_hot(x) @ W) is then the row of P, so the network's loss is
    the counting model's negative log likelihood."""
    xs, ys = bigram_xs_ys()
    N = count_bigrams()
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    W = (N + 1).float().log()
    W.requires_grad = True
    xenc = F.one_hot(xs, num_classes=27).float()
    assert xenc.dtype == np.float32 and xenc.shape == (xs.nelement(), 27)
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(xs.nelement()), ys].log().mean()
    assert abs(loss.item() - counting_nll(P).item()) < 1e-5
    assert abs(F.cross_entropy(logits, ys).item() - loss.item()) < 1e-5
    loss.backward()
    assert W.grad.shape == (27, 27) and np.isfinite(W.grad).all()


def test_part1_gradient_descent_on_the_neural_bigram_reaches_the_counts():
    """From random weights, 100 steps of W.data += -50 * W.grad bring the loss down to near
    the best a bigram table can do on these names (the counts without smoothing), never below."""
    xs, ys = bigram_xs_ys()
    num = xs.nelement()
    N = count_bigrams().data.astype(np.float64)
    rows = N.sum(1, keepdims=True)
    best = -np.mean(np.log((N / np.where(rows == 0, 1, rows))[xs.data, ys.data]))

    g = torch.Generator().manual_seed(2147483647)
    W = torch.randn((27, 27), generator=g, requires_grad=True)
    losses = []
    for _ in range(100):
        xenc = F.one_hot(xs, num_classes=27).float()
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean()
        losses.append(loss.item())
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad
    assert losses[0] > 3.5 and losses[-1] < 2.5 and all(np.diff(losses[10:]) < 1e-6)
    assert best - 1e-6 < losses[-1] < best + 0.1

    out, ix = [], 0
    while True:                                     # one name from the network
        xenc = F.one_hot(torch.tensor([ix]), num_classes=27).float()
        p = F.softmax(xenc @ W, dim=1)
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        out.append(ix)
        if ix == 0 or len(out) > 30:
            break
    assert is_name(out)


# -- part 2: the MLP of Bengio et al. ----------------------------------------------------------

def test_part2_embedding_lookups_and_views():
    (X, Y), _, _ = splits(3)
    C = torch.randn((27, 2), generator=torch.Generator().manual_seed(1))
    np.testing.assert_array_equal(
        (F.one_hot(torch.tensor(5), num_classes=27).float() @ C).data, C[5].data)
    np.testing.assert_array_equal(C[[5, 6, 7]].data, C[torch.tensor([5, 6, 7])].data)
    emb = C[X]
    assert emb.shape == (X.shape[0], 3, 2) and (emb[13, 2] == C[X[13, 2]]).all()
    flat = torch.cat([emb[:, 0, :], emb[:, 1, :], emb[:, 2, :]], 1)
    assert (torch.cat(torch.unbind(emb, 1), 1) == flat).all()
    assert (emb.view(-1, 6) == flat).all() and (emb.view(emb.shape[0], 6) == flat).all()
    a = torch.arange(18)
    assert a.view(2, 9).shape == (2, 9) and a.view(3, 3, 2)[1, 1, 1].item() == 9


def test_part2_the_mlp_finds_a_learning_rate_trains_and_samples():
    (Xtr, Ytr), (Xdev, Ydev), _ = splits(3)
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 100), generator=g) * 0.2
    b1 = torch.randn(100, generator=g) * 0.01
    W2 = torch.randn((100, 27), generator=g) * 0.01
    b2 = torch.randn(27, generator=g) * 0
    parameters = [C, W1, b1, W2, b2]
    assert sum(p.nelement() for p in parameters) == 270 + 3000 + 100 + 2700 + 27
    for p in parameters:
        p.requires_grad = True

    def step(ix, lr):
        emb = C[Xtr[ix]]
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -lr * p.grad
        return loss.item()

    lre = torch.linspace(-3, 0, 300)
    lrs = 10**lre
    assert lrs.dtype == np.float32 and abs(lrs[0].item() - 1e-3) < 1e-9 and lrs[-1].item() == 1
    lossi = [step(torch.randint(0, Xtr.shape[0], (32,), generator=g), lrs[i])
             for i in range(300)]                   # lr = lrs[i], a 0-d tensor, as written
    assert np.mean(lossi[-50:]) < np.mean(lossi[:50])

    for i in range(600):
        step(torch.randint(0, Xtr.shape[0], (32,), generator=g), 0.1 if i < 450 else 0.01)

    def split_loss(X, Y):
        with torch.no_grad():
            h = torch.tanh(C[X].view(-1, 30) @ W1 + b1)
            return F.cross_entropy(h @ W2 + b2, Y).item()
    assert split_loss(Xtr, Ytr) < 2.2 and split_loss(Xdev, Ydev) < 3.0    # uniform: 3.30

    emb = C[Xtr[:32]]
    h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
    logits = h @ W2 + b2
    counts = logits.exp()
    prob = counts / counts.sum(1, keepdims=True)
    by_hand = -prob[torch.arange(32), Ytr[:32]].log().mean()
    assert abs(by_hand.item() - F.cross_entropy(logits, Ytr[:32]).item()) < 1e-5

    g = torch.Generator().manual_seed(2147483647 + 10)
    for _ in range(10):
        out, context = [], [0] * 3
        while len(out) < 30:
            emb = C[torch.tensor([context])]
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            probs = F.softmax(h @ W2 + b2, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        assert is_name(out)


# -- part 3: initialisation, BatchNorm by hand, the diagnostics --------------------------------

def test_part3_kaiming_init_keeps_the_activations_spread():
    x = torch.randn(1000, 10, generator=torch.Generator().manual_seed(3))
    w = torch.randn(10, 200, generator=torch.Generator().manual_seed(4)) / 10**0.5
    y = x @ w
    assert abs(y.std().item() - 1) < 0.1 and abs(y.mean().item()) < 0.1
    assert abs(-torch.tensor(1 / 27.0).log().item() - 3.2958) < 1e-4     # the loss to expect
    W1 = torch.randn((30, 200), generator=torch.Generator().manual_seed(5)) * (5 / 3) / 30**0.5
    assert abs(W1.std().item() - (5 / 3) / 30**0.5) < 0.01


def test_part3_batchnorm_by_hand_trains_with_running_statistics():
    (Xtr, Ytr), (Xdev, Ydev), _ = splits(3)
    n_embd, n_hidden = 10, 100
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((27, n_embd), generator=g)
    W1 = torch.randn((n_embd * 3, n_hidden), generator=g) * (5 / 3) / (n_embd * 3)**0.5
    W2 = torch.randn((n_hidden, 27), generator=g) * 0.01
    b2 = torch.randn(27, generator=g) * 0
    bngain, bnbias = torch.ones((1, n_hidden)), torch.zeros((1, n_hidden))
    bnmean_running, bnstd_running = torch.zeros((1, n_hidden)), torch.ones((1, n_hidden))
    parameters = [C, W1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True

    hpreact = C[Xtr[:32]].view(32, -1) @ W1
    with pytest.raises(TypeError, match=r"t.std\(0, keepdim=True, unbiased=True\)"):
        hpreact.std(0, keepdim=True)                # the lecture's line: say the divisor

    lossi = []
    for i in range(800):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        emb = C[Xtr[ix]]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = embcat @ W1
        bnmeani = hpreact.mean(0, keepdim=True)
        bnstdi = hpreact.std(0, keepdim=True, unbiased=True)
        hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
        with torch.no_grad():
            bnmean_running = 0.99 * bnmean_running + 0.01 * bnmeani
            bnstd_running = 0.99 * bnstd_running + 0.01 * bnstdi
        h = torch.tanh(hpreact)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 600 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    curve = torch.tensor(lossi).view(-1, 100).mean(1)
    assert curve.shape == (8,) and curve[-1].item() < curve[0].item() - 0.1
    assert not bnmean_running.requires_grad and not bnstd_running.requires_grad
    assert (h.abs() > 0.99).float().mean().item() < 0.1       # few saturated tanh units

    with torch.no_grad():                           # calibrate over the whole training set
        hpreact = C[Xtr].view(Xtr.shape[0], -1) @ W1
        bnmean = hpreact.mean(0, keepdim=True)
        bnstd = hpreact.std(0, keepdim=True, unbiased=True)
    assert np.abs(bnmean.data - bnmean_running.data).mean() < 0.2 * np.abs(bnmean.data).mean()
    assert np.abs(bnstd.data / bnstd_running.data - 1).mean() < 0.2

    @torch.no_grad()
    def split_loss(X, Y):
        hpreact = C[X].view(X.shape[0], -1) @ W1
        hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
        return F.cross_entropy(torch.tanh(hpreact) @ W2 + b2, Y).item()
    assert split_loss(Xtr, Ytr) < 2.3 and split_loss(Xdev, Ydev) < 3.0


class Linear:
    def __init__(self, fan_in, fan_out, generator, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=generator) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma, self.beta = torch.ones(dim), torch.zeros(dim)
        self.running_mean, self.running_var = torch.zeros(dim), torch.ones(dim)

    def __call__(self, x):
        if self.training:
            dim = 0 if x.ndim == 2 else (0, 1)      # part 5: (B, T, C) over B and T
            xmean = x.mean(dim, keepdim=True)
            xvar = x.var(dim, keepdim=True, unbiased=True)
        else:
            xmean, xvar = self.running_mean, self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


def test_part3_layers_as_classes_and_the_diagnostics_a_learner_plots():
    (Xtr, Ytr), _, _ = splits(3)
    n_embd, n_hidden = 10, 64
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((27, n_embd), generator=g)
    layers = [Linear(n_embd * 3, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh(),
              Linear(n_hidden, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh(),
              Linear(n_hidden, 27, g, bias=False), BatchNorm1d(27)]
    with pytest.raises(TypeError, match=r"t.var\(0, keepdim=True, unbiased=True\)"):
        torch.randn(4, 3).var(0, keepdim=True)      # the lecture's BatchNorm line, as written
    with torch.no_grad():
        layers[-1].gamma *= 0.1
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= 5 / 3
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True

    ud, lossi = [], []
    for i in range(300):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        emb = C[Xtr[ix]]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Ytr[ix])
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.item())
        with torch.no_grad():
            ud.append([np.log10((lr * p.grad).std() / p.data.std()) for p in parameters])
    assert np.mean(lossi[-50:]) < np.mean(lossi[:50]) - 0.2
    assert np.isfinite(ud).all() and -4 < np.mean(ud[-1]) < -0.5     # near the lecture's 1e-3

    for layer in layers[:-1]:
        if isinstance(layer, Tanh):
            t = layer.out
            line = (f"mean {t.mean():+.2f}, std {t.std():.2f}, "
                    f"saturated: {(t.abs() > 0.97).float().mean() * 100:.2f}%")
            assert line.startswith("mean ") and 0.3 < t.std().item() < 1
            hy, hx = torch.histogram(t, density=True)
            assert hx.shape == (101,) and hy.shape == (100,) and hx[0].item() >= -1
            assert layer.out.grad.shape == t.shape and 0 < layer.out.grad.std() < 1
    for p in parameters:
        if p.ndim == 2:
            assert 0 < p.grad.std() / p.std().item() < 1      # grad:data ratio


# -- part 5: the WaveNet-style hierarchy with the lecture's own classes -----------------------

class Embedding:
    def __init__(self, num_embeddings, embedding_dim):
        self.weight = torch.randn((num_embeddings, embedding_dim))

    def __call__(self, IX):
        self.out = self.weight[IX]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive:
    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = torch.squeeze(x, 1)
        self.out = x
        return self.out

    def parameters(self):
        return []


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def wavenet(n_embd=8, n_hidden=32):
    g = torch.Generator().manual_seed(42)
    return Sequential([
        Embedding(27, n_embd),
        FlattenConsecutive(2), Linear(n_embd * 2, n_hidden, g, bias=False),
        BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, g, bias=False),
        BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, g, bias=False),
        BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, 27, g),
    ])


def test_part5_flatten_consecutive_is_the_explicit_concatenation_of_pairs():
    e = torch.randn(4, 8, 10)
    explicit = torch.cat([e[:, ::2, :], e[:, 1::2, :]], dim=2)
    assert explicit.shape == (4, 4, 20) and (e.view(4, 4, 20) == explicit).all().item()
    x = torch.randn(4, 5, 80)
    assert (x @ torch.randn((80, 200)) + torch.randn(200)).shape == (4, 5, 200)
    assert x.mean((0, 1), keepdim=True).shape == (1, 1, 80)


def test_part5_the_hierarchical_model_trains_and_samples():
    (Xtr, Ytr), (Xdev, Ydev), _ = splits(8)
    torch.manual_seed(42)
    model = wavenet()
    with torch.no_grad():
        model.layers[-1].weight *= 0.1
    parameters = model.parameters()
    assert sum(p.nelement() for p in parameters) == \
        27 * 8 + 16 * 32 + 2 * 64 * 32 + 27 * 32 + 27 + 3 * 2 * 32
    for p in parameters:
        p.requires_grad = True

    model(Xtr[:4])
    shapes = [tuple(layer.out.shape) for layer in model.layers]
    assert shapes == [(4, 8, 8), (4, 4, 16), (4, 4, 32), (4, 4, 32), (4, 4, 32), (4, 2, 64),
                      (4, 2, 32), (4, 2, 32), (4, 2, 32), (4, 64), (4, 32), (4, 32), (4, 32),
                      (4, 27)]
    assert model.layers[3].running_mean.shape == (1, 1, 32)    # statistics over (B, T)

    lossi = []
    for i in range(600):
        ix = torch.randint(0, Xtr.shape[0], (32,))
        logits = model(Xtr[ix])
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 450 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    curve = torch.tensor(lossi).view(-1, 100).mean(1)
    assert curve[-1].item() < curve[0].item() - 0.1

    for layer in model.layers:
        layer.training = False
    with torch.no_grad():
        assert F.cross_entropy(model(Xtr), Ytr).item() < 2.3
        assert F.cross_entropy(model(Xdev), Ydev).item() < 3.0
    g = torch.Generator().manual_seed(2147483647)
    for _ in range(10):
        out, context = [], [0] * 8
        while len(out) < 30:
            probs = F.softmax(model(torch.tensor([context])), dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        assert is_name(out)


# -- the same cells in PyTorch, from the same numbers ------------------------------------------

@needs_torch
def test_part1_counts_and_nll_are_pytorchs():
    N = real_torch.zeros((27, 27), dtype=real_torch.int32)
    for ch1, ch2 in bigrams(WORDS):
        N[STOI[ch1], STOI[ch2]] += 1
    np.testing.assert_array_equal(N.numpy(), count_bigrams().data)
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    ours = (count_bigrams() + 1).float()
    ours /= ours.sum(1, keepdims=True)
    np.testing.assert_allclose(ours.data, P.numpy(), rtol=1e-6)
    assert abs(counting_nll(ours).item() - counting_nll(P).item()) < 1e-5


@needs_torch
def test_one_step_of_the_batchnorm_mlp_is_pytorchs():
    """The part 3 model's forward, backward and one SGD step, from the same weights and batch,
    in both libraries: the lecture's `std(0, keepdim=True)` in PyTorch, ours with its divisor
    said; the loss, every gradient (retained ones too) and the updated weights agree."""
    (Xtr, Ytr), _, _ = splits(3)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(np.float32) * scale for shape, scale in
              (((27, 10), 1), ((30, 64), 0.3), ((64, 27), 0.1), ((27,), 0.1),
               ((1, 64), 1), ((1, 64), 0.1))]
    ix = rng.integers(0, Xtr.shape[0], 32)

    def run(lib, std):
        params = [lib.tensor(a) for a in arrays]
        for p in params:
            p.requires_grad = True
        C, W1, W2, b2, bngain, bnbias = params
        emb = C[lib.tensor(Xtr.data[ix])]
        hpreact = emb.view(emb.shape[0], -1) @ W1
        hpreact = bngain * (hpreact - hpreact.mean(0, keepdim=True)) / std(hpreact) + bnbias
        h = lib.tanh(hpreact)
        h.retain_grad()
        functional = F if lib is torch else real_torch.nn.functional
        loss = functional.cross_entropy(h @ W2 + b2, lib.tensor(Ytr.data[ix]))
        loss.backward()
        grads = [np.asarray(p.grad) for p in params] + [np.asarray(h.grad)]
        for p in params:
            p.data += -0.1 * p.grad
        return loss.item(), grads, [np.asarray(p.data).copy() for p in params]

    ours = run(torch, lambda x: x.std(0, keepdim=True, unbiased=True))
    theirs = run(real_torch, lambda x: x.std(0, keepdim=True))
    assert abs(ours[0] - theirs[0]) < 1e-5
    for a, b in zip(ours[1] + ours[2], theirs[1] + theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@needs_torch
def test_the_wavenets_forward_and_backward_are_pytorchs():
    """The part 5 model's classes run on either library: the same weights give the same loss
    and gradients."""
    (Xtr, Ytr), _, _ = splits(8)
    model = wavenet()
    Xb, Yb = Xtr.data[:32], Ytr.data[:32]
    weights = [p.data.copy() for p in model.parameters()]

    def run(lib, functional):
        global torch
        saved, torch = torch, lib                  # the classes read the name `torch`
        try:
            m = wavenet()
            for p, w in zip(m.parameters(), weights):
                p.data = lib.tensor(w).data if lib is not saved else w.copy()
            params = m.parameters()
            for p in params:
                p.requires_grad = True
            loss = functional.cross_entropy(m(lib.tensor(Xb)), lib.tensor(Yb))
            loss.backward()
            return loss.item(), [np.asarray(p.grad) for p in params]
        finally:
            torch = saved

    ours = run(torch, F)
    theirs = run(real_torch, real_torch.nn.functional)
    assert abs(ours[0] - theirs[0]) < 1e-5
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
