"""makemore part 3 (activations, gradients, BatchNorm) and part 5 (a hierarchical WaveNet), as a
learner writes them from the lectures on glassgrad instead of PyTorch: first with hand-made
layer classes (their own __call__ and parameters(), the manual SGD loop, the diagnostics), then
with glassgrad's nn layers. The names are made up from syllables, so no download is needed.

Where PyTorch code needs a change it is written here the way that works, with the reason:
- `x.var(0, keepdim=True)` must say its divisor (`unbiased=True` is PyTorch's default);
- `.data` and `.grad` are numpy arrays: `np.log10(ratio)` for a ratio of their stds, and
  '%.2f' % t of a tensor in the graph needs t.item();
- nn.BatchNorm1d normalises (N, C) or (N, C, L), as PyTorch's: the WaveNet's (B, T, C) goes
  through it swapped, x.swapaxes(1, 2).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import (
    Generator, Tensor, concatenate, gradcheck, manual_seed, no_grad, ones, randint, randn, zeros,
)

from conftest import t64

# -- the data: made-up names, (context of block_size characters) -> next character ------------

SYLLABLES = ("ka", "ma", "lo", "ri", "te", "an", "el", "jo", "sa", "mi", "da", "no", "be", "zu")
MIDDLES = ("ra", "li", "na", "ve", "to", "ko", "si", "ne", "la", "mo", "ta")
ENDINGS = ("a", "n", "e", "o", "y", "el", "ia", "on", "is", "ar")


def make_names(count: int = 300, seed: int = 0) -> list[str]:
    pick = random.Random(seed)
    def name() -> str:
        middle = "".join(pick.choice(MIDDLES) for _ in range(pick.randint(0, 2)))
        return pick.choice(SYLLABLES) + middle + pick.choice(ENDINGS)
    return [name() for _ in range(count)]


WORDS = make_names()
CHARS = sorted(set("".join(WORDS)))
STOI = {".": 0, **{ch: i + 1 for i, ch in enumerate(CHARS)}}
ITOS = {i: ch for ch, i in STOI.items()}
VOCAB_SIZE = len(STOI)


def build_dataset(words: list[str], block_size: int) -> tuple[Tensor, Tensor]:
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            X.append(context)
            Y.append(STOI[ch])
            context = context[1:] + [STOI[ch]]
    return Tensor(X), Tensor(Y)


def splits(block_size: int) -> tuple:
    n1 = int(0.9 * len(WORDS))
    return build_dataset(WORDS[:n1], block_size) + build_dataset(WORDS[n1:], block_size)


def sample_names(model, block_size: int, count: int, generator: Generator) -> list[list[int]]:
    """Draw names one character at a time until '.' (index 0), as the lectures do."""
    names = []
    for _ in range(count):
        out, context = [], [0] * block_size
        while len(out) < 20:
            probs = F.softmax(model(Tensor([context])), dim=1)
            ix = probs.multinomial(num_samples=1, generator=generator).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        names.append(out)
    return names


# -- part 3: the lecture's hand-made layers ----------------------------------------------------

class Linear:
    def __init__(self, fan_in, fan_out, generator, bias=True):
        self.weight = randn((fan_in, fan_out), generator=generator) / fan_in**0.5   # kaiming
        self.bias = zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    """(B, C) over dim 0, or (B, T, C) over dims (0, 1) as in part 5."""

    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma, self.beta = ones(dim), zeros(dim)
        self.running_mean, self.running_var = zeros(dim), ones(dim)     # buffers

    def __call__(self, x):
        if self.training:
            dim = 0 if x.ndim == 2 else (0, 1)
            xmean = x.mean(dim, keepdim=True)
            xvar = x.var(dim, keepdim=True, unbiased=True)   # PyTorch's default, said aloud
        else:
            xmean, xvar = self.running_mean, self.running_var
        xhat = (x - xmean) / (xvar + self.eps).sqrt()
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = x.tanh()
        return self.out

    def parameters(self):
        return []


def test_part3_mlp_with_hand_made_batchnorm_trains_and_its_diagnostics_run():
    block_size, n_embd, n_hidden = 3, 10, 64
    Xtr, Ytr, Xdev, Ydev = splits(block_size)
    g = Generator().manual_seed(2147483647)
    C = randn((VOCAB_SIZE, n_embd), generator=g)
    layers = [
        Linear(n_embd * block_size, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, VOCAB_SIZE, g, bias=False), BatchNorm1d(VOCAB_SIZE),
    ]
    with no_grad():
        layers[-1].gamma *= 0.1                      # a less confident last layer
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= 5 / 3                # tanh's gain
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    assert sum(p.nelement() for p in parameters) == VOCAB_SIZE * n_embd + 30 * 64 + 64 * 64 \
        + 64 * VOCAB_SIZE + 2 * (64 + 64 + VOCAB_SIZE)
    for p in parameters:
        p.requires_grad = True

    lossi, ud = [], []
    for i in range(600):
        ix = randint(0, Xtr.shape[0], (32,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        emb = C[Xb]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Yb)
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 450 else 0.01                # the step decay
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(math.log10(loss.item()))
        with no_grad():                              # .grad, .data: numpy arrays
            ud.append([np.log10((lr * p.grad).std() / p.data.std()) for p in parameters])

    curve = Tensor(lossi).view(-1, 100).mean(1)
    assert curve.shape == (6,) and curve[-1].item() < curve[0].item() - 0.15     # the loss falls
    assert np.isfinite(ud).all() and -5 < np.mean(ud[-1]) < 0    # update:data ratios ~1e-3
    for layer in layers[:-1]:
        if isinstance(layer, Tanh):
            t = layer.out
            saturated = (t.abs() > 0.97).float().mean()
            assert 0 <= saturated.item() < 0.2       # BatchNorm keeps tanh out of its tails
            hy, hx = np.histogram(t.data, density=True)
            assert hx[0] >= -1 and hx[-1] <= 1
            assert layer.out.grad.shape == t.shape and layer.out.grad.std() > 0
    for p in parameters:
        if p.ndim == 2:
            assert 0 < p.grad.std() / p.data.std() < 1

    bn = layers[1]
    assert bn.running_mean.shape == (1, n_hidden) and np.abs(bn.running_mean.data).max() > 0.05
    assert not np.allclose(bn.running_var.data, 1)
    assert not bn.running_mean.requires_grad         # updated under no_grad: no graph

    @no_grad()
    def split_loss(X, Y):
        emb = C[X]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        return F.cross_entropy(x, Y).item()

    for layer in layers:
        layer.training = False
    assert split_loss(Xtr, Ytr) < 2.0 and split_loss(Xdev, Ydev) < 2.5 < 10 ** lossi[0]

    def model(context):
        emb = C[context]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        return x

    with no_grad():
        names = sample_names(model, block_size, 5, Generator().manual_seed(2147483647 + 10))
    assert all(0 <= ix < VOCAB_SIZE for name in names for ix in name)


# -- part 5: the hierarchical WaveNet ----------------------------------------------------------

class Embedding:
    def __init__(self, num_embeddings, embedding_dim):
        self.weight = randn((num_embeddings, embedding_dim))

    def __call__(self, IX):
        self.out = self.weight[IX]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive:
    """(B, T, C) -> (B, T // n, C * n): n consecutive characters side by side."""

    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
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


def wavenet_stage_shapes(B, n_embd, n_hidden):
    return [(B, 8, n_embd), (B, 4, 2 * n_embd)] + [(B, 4, n_hidden)] * 3 \
        + [(B, 2, 2 * n_hidden)] + [(B, 2, n_hidden)] * 3 \
        + [(B, 2 * n_hidden)] + [(B, n_hidden)] * 3 + [(B, VOCAB_SIZE)]


def test_flatten_consecutive_is_the_explicit_concatenation_of_pairs():
    e = randn(4, 8, 10)
    explicit = concatenate([e[:, ::2, :], e[:, 1::2, :]], dim=2)
    assert (e.view(4, 4, 20) == explicit).all()


def test_part5_hand_made_wavenet_trains_and_samples():
    block_size, n_embd, n_hidden = 8, 10, 48
    Xtr, Ytr, Xdev, Ydev = splits(block_size)
    manual_seed(42)
    g = Generator().manual_seed(42)
    model = Sequential([
        Embedding(VOCAB_SIZE, n_embd),
        FlattenConsecutive(2), Linear(n_embd * 2, n_hidden, g, bias=False),
        BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, g, bias=False),
        BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, g, bias=False),
        BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, VOCAB_SIZE, g),
    ])
    with no_grad():
        model.layers[-1].weight *= 0.1
    parameters = model.parameters()
    for p in parameters:
        p.requires_grad = True

    model(Xtr[:4])
    assert [tuple(layer.out.shape) for layer in model.layers] == \
        wavenet_stage_shapes(4, n_embd, n_hidden)
    assert model.layers[3].running_mean.shape == (1, 1, n_hidden)    # over dims (0, 1)

    lossi = []
    for i in range(600):
        ix = randint(0, Xtr.shape[0], (32,))
        loss = F.cross_entropy(model(Xtr[ix]), Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 450 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.item())
    curve = Tensor(lossi).view(-1, 100).mean(1)
    assert curve[-1].item() < 0.7 * curve[0].item()
    assert np.abs(model.layers[7].running_mean.data).max() > 0.05

    for layer in model.layers:
        layer.training = False
    with no_grad():
        assert F.cross_entropy(model(Xdev), Ydev).item() < 2.5
        names = sample_names(model, block_size, 5, Generator().manual_seed(7))
    assert all(0 <= ix < VOCAB_SIZE for name in names for ix in name)


def test_wavenet_batchnorm_over_dims_0_1_has_the_gradient_of_finite_differences():
    """The hand-made layer's normalisation of (B, T, C) over (0, 1), batch statistics
    included, at float64; B = 1 still leaves T values per channel."""
    rng = np.random.default_rng(0)

    def normalised(x, gamma, beta):
        bn = BatchNorm1d(x.shape[-1])
        bn.gamma, bn.beta = gamma, beta
        return bn(x).tanh()

    for shape in ((3, 2, 4), (1, 4, 3)):
        assert gradcheck(normalised, t64(rng.normal(size=shape)),
                         t64(rng.normal(size=shape[-1])), t64(rng.normal(size=shape[-1])))


# -- the same models on glassgrad's nn layers ---------------------------------------------------

class NnFlattenConsecutive(nn.Module):
    def __init__(self, n):
        self.n = n

    def forward(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        return x.squeeze(1) if x.shape[1] == 1 else x


class SequenceBatchNorm1d(nn.BatchNorm1d):
    """nn.BatchNorm1d for the WaveNet's channels-last (B, T, C): PyTorch's layout is (N, C, L)."""

    def forward(self, x):
        if x.ndim == 3:
            return super().forward(x.swapaxes(1, 2)).swapaxes(1, 2)
        return super().forward(x)


def test_nn_batchnorm1d_takes_pytorchs_layouts_and_names_the_swap_for_channels_last():
    bn = nn.BatchNorm1d(6)
    assert bn(randn(5, 6)).shape == (5, 6) and bn(randn(5, 6, 4)).shape == (5, 6, 4)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(6.*got shape \(5, 4, 6\); it looks like "
                       r"a sequence with channels last \(N, L, C\).*swapaxes\(1, 2\)"):
        bn(randn(5, 4, 6))
    with pytest.raises(ValueError, match=r"got shape \(5, 4\)$"):        # no hint when none fits
        bn(randn(5, 4))


def test_nn_batchnorm1d_swapped_matches_the_lectures_reduction_over_dims_0_1(rng):
    x = rng.normal(2.0, 3.0, size=(5, 4, 6))
    bn = SequenceBatchNorm1d(6, dtype=np.float64)
    y = bn(t64(x, requires_grad=False)).data
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))          # normalised with the biased var
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 1), ddof=1), rtol=1e-12)


def test_sequential_layers_attribute_points_to_the_sequential_itself():
    with pytest.raises(AttributeError, match=r"no attribute 'layers': a Sequential is itself"):
        nn.Sequential(nn.Linear(2, 3)).layers


def test_part3_and_part5_on_nn_layers_train_and_sample():
    manual_seed(42)
    n_embd, n_hidden = 10, 48
    mlp = nn.Sequential(
        nn.Flatten(), nn.Linear(n_embd * 3, n_hidden, bias=False), nn.BatchNorm1d(n_hidden),
        nn.Tanh(), nn.Linear(n_hidden, VOCAB_SIZE))
    wavenet = nn.Sequential(
        nn.Embedding(VOCAB_SIZE, n_embd),
        NnFlattenConsecutive(2), nn.Linear(n_embd * 2, n_hidden, bias=False),
        SequenceBatchNorm1d(n_hidden), nn.Tanh(),
        NnFlattenConsecutive(2), nn.Linear(n_hidden * 2, n_hidden, bias=False),
        SequenceBatchNorm1d(n_hidden), nn.Tanh(),
        NnFlattenConsecutive(2), nn.Linear(n_hidden * 2, n_hidden, bias=False),
        SequenceBatchNorm1d(n_hidden), nn.Tanh(),
        nn.Linear(n_hidden, VOCAB_SIZE))
    x, shapes = splits(8)[0][:4], []
    wavenet.eval()                  # a look at the shapes, not a training batch
    for layer in wavenet:
        x = layer(x)
        shapes.append(x.shape)
    assert shapes == wavenet_stage_shapes(4, n_embd, n_hidden)
    wavenet.train()

    embedding = nn.Embedding(VOCAB_SIZE, n_embd)
    for block_size, model, lookup in ((3, mlp, embedding), (8, wavenet, nn.Identity())):
        Xtr, Ytr, Xdev, Ydev = splits(block_size)
        net = nn.Sequential(lookup, model)
        with no_grad():
            net[-1][-1].weight *= 0.1
        optimizer = nn.optim.SGD(net.parameters(), lr=0.1)
        losses = []
        for i in range(400):
            ix = randint(0, Xtr.shape[0], (32,))
            loss = F.cross_entropy(net(Xtr[ix]), Ytr[ix])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        assert np.mean(losses[-100:]) < 0.75 * np.mean(losses[:100])
        batchnorm = next(m for m in model if isinstance(m, nn.BatchNorm1d))
        assert batchnorm.num_batches_tracked == 400 and batchnorm.running_mean.abs().max() > 0.05
        net.eval()
        with no_grad():
            assert F.cross_entropy(net(Xdev), Ydev).item() < 2.5
            names = sample_names(net, block_size, 3, Generator().manual_seed(1))
        assert all(0 <= ix < VOCAB_SIZE for name in names for ix in name)
