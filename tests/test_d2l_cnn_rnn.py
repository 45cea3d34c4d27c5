"""A student's trial of "Dive into Deep Learning" (PyTorch edition), LeNet, batch
normalisation (from scratch and `nn.BatchNorm2d`) and recurrent networks (from scratch with
hand-made gradient clipping, then `nn.RNN`, `nn.GRU`, `nn.LSTM`), written from memory in the
book's spelling with the imports changed (`import autograd as torch`, `import nn`, `import
nn.functional as F`), on fake 28x28 images and a short made-up text. Where PyTorch is installed,
one step of the scratch RNN and a GRU are checked against it from the same weights.

What the trial changed from the book's code (README.md, "Porting a PyTorch script"):
- batch_norm returns `moving_mean.detach()` where the book returns `moving_mean.data` (`.data`
  is a numpy array here; in the module's forward numpy's error carries a note saying so);
- `for s in state: s.detach_()` is `state = tuple(s.detach() for s in state)` and
  `state.detach_()` is `state = state.detach()` (the error says both);
- `torch.optim` is `nn.optim`; `param.grad.zero_()` is `param.grad = None`.
"""

from __future__ import annotations

import collections
import math
import random
import sys

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch
from test_d2l_linear_models import evaluate_accuracy, fake_fashion, sgd

# -- LeNet and batch normalisation -----------------------------------------------------------


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def test_lenet_layer_by_layer_shapes():
    X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
    shown = []
    for layer in lenet():
        X = layer(X)
        shown.append((layer.__class__.__name__, X.shape))
    assert shown == [
        ("Conv2d", (1, 6, 28, 28)), ("Sigmoid", (1, 6, 28, 28)), ("AvgPool2d", (1, 6, 14, 14)),
        ("Conv2d", (1, 16, 10, 10)), ("Sigmoid", (1, 16, 10, 10)), ("AvgPool2d", (1, 16, 5, 5)),
        ("Flatten", (1, 400)), ("Linear", (1, 120)), ("Sigmoid", (1, 120)), ("Linear", (1, 84)),
        ("Sigmoid", (1, 84)), ("Linear", (1, 10))]


def train_ch6(net, train_iter, num_epochs, lr):
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    optimizer = nn.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(num_epochs):
        net.train()
        total, n = 0.0, 0
        for X, y in train_iter:
            optimizer.zero_grad()
            l = loss(net(X), y)
            l.backward()
            optimizer.step()
            total, n = total + l.item() * len(y), n + len(y)
        losses.append(total / n)
    return losses


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.detach(), moving_var.detach()     # the book: moving_mean.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean,
            self.moving_var, eps=1e-5, momentum=0.1)
        return Y


def bn_lenet(norm2d, norm1d):
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), norm2d(6), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), norm2d(16), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), norm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), norm1d(84), nn.Sigmoid(),
        nn.Linear(84, 10))


def test_batch_norm_from_scratch_is_the_layers_and_both_train():
    torch.manual_seed(0)
    ours = BatchNorm(3, num_dims=4)
    layer = nn.BatchNorm2d(3)
    X = torch.normal(2.0, 3.0, (8, 3, 5, 5))
    Y = ours(X)
    np.testing.assert_allclose(Y.data, layer(X).data, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(Y.mean(dim=(0, 2, 3)).data, 0, atol=1e-5)
    np.testing.assert_allclose(ours.moving_mean.reshape(-1).data, layer.running_mean.data,
                               rtol=1e-5)
    with torch.no_grad():                       # the moving statistics, as in evaluation
        # (not the layer's: PyTorch's running_var takes the n - 1 variance, the book's the n)
        expected = (X.data - ours.moving_mean.data) / np.sqrt(ours.moving_var.data + 1e-5)
        np.testing.assert_allclose(ours(X).data, expected, rtol=1e-5, atol=1e-6)
    images, labels = fake_fashion(n=80)
    train_iter = nn.data.DataLoader(nn.data.TensorDataset(images, labels), 20, shuffle=True)
    for norm2d, norm1d in ((lambda c: BatchNorm(c, 4), lambda c: BatchNorm(c, 2)),
                           (nn.BatchNorm2d, nn.BatchNorm1d)):
        torch.manual_seed(1)
        net = bn_lenet(norm2d, norm1d)
        losses = train_ch6(net, train_iter, 3, lr=1.0)
        assert losses[-1] < losses[0] * 0.8
        assert 0 <= evaluate_accuracy(net, train_iter) <= 1    # (runs in evaluation mode)
    assert net[1].running_mean.shape == (6,)


# -- recurrent networks ----------------------------------------------------------------------

TEXT = ("the time traveller for so it will be convenient to speak of him was expounding a "
        "recondite matter to us his grey eyes shone and twinkled and his usually pale face "
        "was flushed and animated ") * 4


class Vocab:
    def __init__(self, tokens):
        counter = collections.Counter(tokens)
        self.idx_to_token = ['<unk>'] + [t for t, _ in sorted(counter.items(),
                                                              key=lambda x: x[1], reverse=True)]
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, 0)
        return [self.__getitem__(t) for t in tokens]


VOCAB = Vocab(list(TEXT))
CORPUS = VOCAB[list(TEXT)]


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset: offset + num_tokens])
    Ys = torch.tensor(corpus[offset + 1: offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]


def get_params(vocab_size, num_hiddens):
    def normal(shape):
        return torch.randn(size=shape) * 0.01
    W_xh, W_hh = normal((vocab_size, num_hiddens)), normal((num_hiddens, num_hiddens))
    b_h = torch.zeros(num_hiddens)
    W_hq, b_q = normal((num_hiddens, vocab_size)), torch.zeros(vocab_size)
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_rnn_state(batch_size, num_hiddens):
    return (torch.zeros((batch_size, num_hiddens)), )


def rnn(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
        Y = torch.mm(H, W_hq) + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


class RNNModelScratch:
    def __init__(self, vocab_size, num_hiddens, get_params, init_state, forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).type(torch.float32)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size):
        return self.init_state(batch_size, self.num_hiddens)


class RNNModel(nn.Module):
    def __init__(self, rnn_layer, vocab_size):
        super().__init__()
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = self.rnn.hidden_size
        self.num_directions = 2 if self.rnn.bidirectional else 1
        self.linear = nn.Linear(self.num_hiddens * self.num_directions, self.vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size)
        X = X.to(torch.float32)
        Y, state = self.rnn(X, state)
        output = self.linear(Y.reshape((-1, Y.shape[-1])))
        return output, state

    def begin_state(self, batch_size=1):
        shape = (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens)
        if not isinstance(self.rnn, nn.LSTM):
            return torch.zeros(shape)
        return (torch.zeros(shape), torch.zeros(shape))


def predict_ch8(prefix, num_preds, net, vocab):
    state = net.begin_state(batch_size=1)
    outputs = [vocab[prefix[0]]]
    get_input = lambda: torch.tensor([outputs[-1]]).reshape((1, 1))     # noqa: E731
    for y in prefix[1:]:
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return ''.join([vocab.idx_to_token[i] for i in outputs])


def grad_clipping(net, theta):
    if isinstance(net, nn.Module):
        params = [p for p in net.parameters() if p.requires_grad]
    else:
        params = net.params
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def train_epoch_ch8(net, train_iter, loss, updater):
    state, total, n = None, 0.0, 0
    for X, Y in train_iter:
        if state is None:
            state = net.begin_state(batch_size=X.shape[0])
        elif isinstance(net, nn.Module) and not isinstance(state, tuple):
            state = state.detach()                  # the book: state.detach_()
        else:
            state = tuple(s.detach() for s in state)   # the book: for s in state: s.detach_()
        y = Y.T.reshape(-1)
        y_hat, state = net(X, state)
        l = loss(y_hat, y.long()).mean()
        if isinstance(updater, nn.optim.Optimizer):
            updater.zero_grad()
            l.backward()
            grad_clipping(net, 1)
            updater.step()
        else:
            l.backward()
            grad_clipping(net, 1)
            updater(batch_size=1)
        total, n = total + l.item() * y.numel(), n + y.numel()
    return math.exp(total / n)


def train_ch8(net, lr, num_epochs):
    loss = nn.CrossEntropyLoss()
    if isinstance(net, nn.Module):
        updater = nn.optim.SGD(net.parameters(), lr)
    else:
        updater = lambda batch_size: sgd(net.params, lr, batch_size)    # noqa: E731
    return [train_epoch_ch8(net, seq_data_iter_sequential(CORPUS, 8, 10), loss, updater)
            for epoch in range(num_epochs)]


def test_rnn_from_scratch_shapes_clipping_and_falling_perplexity():
    torch.manual_seed(2)
    random.seed(2)
    assert F.one_hot(torch.tensor([0, 2]), len(VOCAB)).shape == (2, len(VOCAB))
    X = torch.arange(10).reshape((2, 5))
    assert F.one_hot(X.T, 28).shape == (5, 2, 28)
    net = RNNModelScratch(len(VOCAB), 32, get_params, init_rnn_state, rnn)
    Y, new_state = net(X, net.begin_state(X.shape[0]))
    assert Y.shape == (10, len(VOCAB)) and len(new_state) == 1 and new_state[0].shape == (2, 32)
    assert predict_ch8('time ', 5, net, VOCAB).startswith('time ')
    for p in net.params:                            # large gradients: clipped to norm 1
        p.grad = np.full(p.shape, 3.0, dtype=np.float32)
    grad_clipping(net, 1)
    total = math.sqrt(sum(float((p.grad ** 2).sum()) for p in net.params))
    assert abs(total - 1) < 1e-5
    for p in net.params:
        p.grad = None
    perplexities = train_ch8(net, 1, 25)
    assert perplexities[-1] < perplexities[0] / 3
    assert predict_ch8('time traveller', 10, net, VOCAB).startswith('time traveller')


def test_detach_in_place_on_a_state_tuple_cuts_each_state_off():
    """d2l's `for s in state: s.detach_()`: as in PyTorch, each state leaves the graph in place
    (the same objects, no gradient reaches what made them)."""
    w = torch.ones((2, 3), requires_grad=True)
    state = (w * 2.0,)
    for s in state:
        assert s.detach_() is s
    assert not state[0].requires_grad and state[0].is_leaf
    np.testing.assert_array_equal(state[0].numpy(), np.full((2, 3), 2.0, np.float32))


@pytest.mark.parametrize("layer", ["RNN", "GRU", "LSTM"])
def test_concise_recurrent_models_train(layer):
    torch.manual_seed(3)
    random.seed(3)
    rnn_layer = getattr(nn, layer)(len(VOCAB), 32)
    state = torch.zeros((1, 4, 32))
    state = (state, state) if layer == "LSTM" else state
    Y, state_new = rnn_layer(torch.rand(size=(7, 4, len(VOCAB))), state)
    assert Y.shape == (7, 4, 32)
    net = RNNModel(rnn_layer, vocab_size=len(VOCAB))
    perplexities = train_ch8(net, 2, 12)
    assert perplexities[-1] < perplexities[0] * 0.6


@needs_torch
def test_scratch_rnn_and_gru_match_pytorch_from_the_same_weights():
    torch.manual_seed(4)
    net = RNNModelScratch(len(VOCAB), 16, get_params, init_rnn_state, rnn)
    X = torch.tensor([[1, 2, 3], [4, 5, 6]])
    Y, (H,) = net(X, net.begin_state(2))
    (Y.sum() + H.sum()).backward()
    theirs = [real_torch.tensor(p.data, requires_grad=True) for p in net.params]
    W_xh, W_hh, b_h, W_hq, b_q = theirs
    Ht, outputs = real_torch.zeros((2, 16)), []
    for Xt in real_torch.nn.functional.one_hot(real_torch.as_tensor(X.data).T, len(VOCAB)).float():
        Ht = real_torch.tanh(Xt @ W_xh + Ht @ W_hh + b_h)
        outputs.append(Ht @ W_hq + b_q)
    (real_torch.cat(outputs, dim=0).sum() + Ht.sum()).backward()
    for p, t in zip(net.params, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-4, atol=1e-6)
    gru = nn.GRU(len(VOCAB), 8)
    twin = real_torch.nn.GRU(len(VOCAB), 8)
    twin.load_state_dict({k: real_torch.as_tensor(v.data) for k, v in gru.state_dict().items()})
    inputs = F.one_hot(X.T, len(VOCAB)).float()
    out, h = gru(inputs, torch.zeros((1, 2, 8)))
    out_t, h_t = twin(real_torch.as_tensor(inputs.data), real_torch.zeros((1, 2, 8)))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-4, atol=1e-6)
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(gru.weight_hh_l0.grad, twin.weight_hh_l0.grad.numpy(),
                               rtol=1e-4, atol=1e-6)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="notes on exceptions are Python 3.11+")
def test_the_books_data_in_a_forward_says_what_to_write():
    """The book's batch_norm returns `moving_mean.data`, a Tensor in PyTorch and a numpy array
    here; the next forward's `self.moving_mean.to(X.device)` is numpy's AttributeError, and
    the module's call adds a note saying `.data` is an array (once, however deep the module)."""
    class Keeps(nn.Module):
        def __init__(self):
            super().__init__()
            self.moving_mean = torch.zeros(3).data      # what the book's batch_norm returned

        def forward(self, X):
            self.moving_mean = self.moving_mean.to(X.device)
            return X
    with pytest.raises(AttributeError, match="'to'") as caught:
        nn.Sequential(nn.Sequential(Keeps()))(torch.zeros(3))
    notes = caught.value.__notes__
    assert len(notes) == 1 and "numpy arrays" in notes[0] and "p.detach()" in notes[0]
