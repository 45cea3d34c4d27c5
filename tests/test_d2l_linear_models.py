"""A student's trial of "Dive into Deep Learning" (PyTorch edition), linear regression and
softmax regression, from scratch and concise, written from memory in the book's spelling with
the imports changed (`import autograd as torch`, `import nn`, `from nn import data`) on small
made-up data: 1000 points of a known line, and 300 fake 28x28 "clothes" of 10 classes. Each test
asserts what the student checks: the recovered w and b, falling losses, accuracy on held-out
data. Where PyTorch is installed, one forward and backward is checked against it.

What the trial changed from the book's code (README.md, "Porting a PyTorch script"):
- `torch.optim` is `nn.optim`, `torch.nn.Module` is `nn.Module`;
- `param.grad.zero_()` is `param.grad = None` (`.grad` is a numpy array; the error's note says so);
- `net[0].weight.data.normal_(0, 0.01)` is `nn.init.normal_(net[0].weight, 0, 0.01)` (or
  `net[0].weight.normal_(0, 0.01)` under no_grad()): `.data` is a numpy array;
- `float(l.sum())` of a loss in the graph is `l.sum().item()` (float() of a tensor that
  requires grad is refused, naming item()).
"""

from __future__ import annotations

import random
import sys

import numpy as np
import pytest

import autograd as torch
import nn
from nn import data
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

# -- linear regression -----------------------------------------------------------------------


def synthetic_data(w, b, n):
    X = torch.normal(0, 1, (n, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    n = len(features)
    indices = list(range(n))
    random.shuffle(indices)
    for i in range(0, n, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, n)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad = None                   # the book's param.grad.zero_()


TRUE_W, TRUE_B = [2, -3.4], 4.2


def test_linear_regression_from_scratch_recovers_w_and_b():
    torch.manual_seed(0)
    random.seed(0)
    true_w = torch.tensor(TRUE_W)
    features, labels = synthetic_data(true_w, TRUE_B, 1000)
    assert features.shape == (1000, 2) and labels.shape == (1000, 1)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(3):
        for X, y in data_iter(10, features, labels):
            l = squared_loss(linreg(X, w, b), y)
            l.sum().backward()
            sgd([w, b], 0.03, 10)
        with torch.no_grad():
            losses.append(float(squared_loss(linreg(features, w, b), labels).mean()))
    assert losses[-1] < 1e-3 < losses[0] or losses[-1] < losses[0] / 10
    np.testing.assert_allclose((true_w - w.reshape(true_w.shape)).data, 0, atol=0.01)
    assert abs((TRUE_B - b).item()) < 0.01


@pytest.mark.skipif(sys.version_info < (3, 11), reason="notes on exceptions are Python 3.11+")
def test_the_books_grad_zero_in_no_grad_says_what_to_write():
    """`param.grad.zero_()` in the book's sgd: numpy's AttributeError, with a note on leaving
    `no_grad()` that `.grad` is an array and `param.grad = None` clears it."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with pytest.raises(AttributeError, match="zero_") as caught:
        with torch.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
    assert any("p.grad = None" in note and "numpy arrays" in note
               for note in caught.value.__notes__)


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)    # batch_size in 2nd place


def test_linear_regression_concise_recovers_w_and_b():
    torch.manual_seed(1)
    true_w = torch.tensor(TRUE_W)
    features, labels = synthetic_data(true_w, TRUE_B, 1000)
    data_iter = load_array((features, labels), 10)
    X, y = next(iter(data_iter))
    assert X.shape == (10, 2) and y.shape == (10, 1)
    assert len(list(data_iter)) == 100
    net = nn.Sequential(nn.Linear(2, 1))
    nn.init.normal_(net[0].weight, 0, 0.01)            # net[0].weight.data.normal_(0, 0.01)
    with torch.no_grad():
        net[0].bias.fill_(0)                            # net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = nn.optim.SGD(net.parameters(), lr=0.03)
    epoch_losses = []
    for epoch in range(3):
        for X, y in data_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        epoch_losses.append(loss(net(features), labels).item())
    assert epoch_losses[-1] < 1e-3
    w, b = net[0].weight.data, net[0].bias.data
    np.testing.assert_allclose(true_w.data - w.reshape(true_w.shape), 0, atol=0.01)
    assert abs(TRUE_B - b[0]) < 0.01


def test_dataloader_takes_pytorchs_positional_batch_size_and_shuffle():
    dataset = data.TensorDataset(np.arange(10.0).reshape(10, 1), np.arange(10))
    assert [len(xb) for xb, _ in data.DataLoader(dataset, 4)] == [4, 4, 2]
    shuffled = [yb.tolist() for _, yb in data.DataLoader(dataset, 5, True)]
    assert sorted(sum(shuffled, [])) == list(range(10)) and len(shuffled) == 2
    with pytest.raises(TypeError, match="batch_size twice"):
        data.DataLoader(dataset, 4, batch_size=8)
    with pytest.raises(TypeError, match="batch_size twice"):  # 32 written, though the default
        data.DataLoader(dataset, 64, batch_size=32)
    assert data.DataLoader(dataset).batch_size == 32


# -- softmax regression ----------------------------------------------------------------------


def fake_fashion(n=300, seed=0):
    """n fake 28x28 grey images of 10 classes: each class a fixed random pattern, plus noise."""
    rng = np.random.default_rng(seed)
    templates = rng.uniform(0, 1, (10, 1, 28, 28)) > 0.5
    y = np.arange(n) % 10
    X = 0.4 * templates[y] + 0.6 * rng.uniform(0, 1, (n, 1, 28, 28))
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y)


def fashion_iters(batch_size=32):
    X, y = fake_fashion()
    train = data.DataLoader(data.TensorDataset(X[:200], y[:200]), batch_size, shuffle=True)
    test = data.DataLoader(data.TensorDataset(X[200:], y[200:]), batch_size, shuffle=False)
    return train, test


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def evaluate_accuracy(net, data_iter):
    if isinstance(net, nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    if isinstance(net, nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, nn.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(l.sum().item(), accuracy(y_hat, y), y.numel())   # the book: float(l.sum())
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    history = []
    for epoch in range(num_epochs):
        train_loss, train_acc = train_epoch_ch3(net, train_iter, loss, updater)
        history.append((train_loss, train_acc, evaluate_accuracy(net, test_iter)))
    return history


def test_the_softmax_pieces_give_the_books_numbers():
    X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert X.sum(0, keepdim=True).tolist() == [[5.0, 7.0, 9.0]]
    assert X.sum(1, keepdim=True).tolist() == [[6.0], [15.0]]
    X_prob = softmax(torch.normal(0, 1, (2, 5)))
    np.testing.assert_allclose(X_prob.sum(1).data, 1, rtol=1e-6)
    y = torch.tensor([0, 2])
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    np.testing.assert_allclose(y_hat[[0, 1], y].data, [0.1, 0.5])
    np.testing.assert_allclose(cross_entropy(y_hat, y).data, [-np.log(0.1), -np.log(0.5)],
                               rtol=1e-6)
    assert accuracy(y_hat, y) / len(y) == 0.5


def test_tensor_type_converts_as_pytorchs():
    """The book's accuracy: `y_hat.type(y.dtype)` was refused (an AttributeError)."""
    x = torch.tensor([0.0, 2.0], requires_grad=True)
    assert x.type(torch.long).tolist() == [0, 2] and x.type(torch.long).dtype == np.int64
    assert x.type("torch.DoubleTensor").dtype == np.float64
    assert x.type(torch.float32) is x
    with pytest.raises(TypeError, match="t.dtype"):
        x.type()


def test_softmax_regression_from_scratch_learns_the_fake_clothes():
    torch.manual_seed(2)
    train_iter, test_iter = fashion_iters()
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    assert 0.0 <= evaluate_accuracy(net, test_iter) <= 0.4
    history = train_ch3(net, train_iter, test_iter, cross_entropy, 5,
                        lambda batch_size: sgd([W, b], 0.1, batch_size))
    assert history[-1][0] < history[0][0] / 2
    assert history[-1][2] > 0.9
    X, y = next(iter(test_iter))
    assert (net(X).argmax(axis=1)[:6] == y[:6]).float().mean().item() >= 0.5


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


def test_softmax_regression_concise_learns_the_fake_clothes():
    torch.manual_seed(3)
    train_iter, test_iter = fashion_iters()
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    net.apply(init_weights)
    assert float(net[1].weight.data.std()) < 0.02
    loss = nn.CrossEntropyLoss(reduction='none')
    trainer = nn.optim.SGD(net.parameters(), lr=0.1)
    history = train_ch3(net, train_iter, test_iter, loss, 5, trainer)
    assert history[-1][0] < history[0][0] / 2
    assert history[-1][2] > 0.9


@needs_torch
def test_softmax_regression_matches_pytorch_from_the_same_weights():
    X, y = fake_fashion(n=20, seed=5)
    torch.manual_seed(4)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    twin = real_torch.nn.Sequential(real_torch.nn.Flatten(), real_torch.nn.Linear(784, 10))
    twin.load_state_dict({k: real_torch.as_tensor(v.data) for k, v in net.state_dict().items()})
    l = nn.CrossEntropyLoss(reduction='none')(net(X), y)
    l.mean().backward()
    lt = real_torch.nn.CrossEntropyLoss(reduction='none')(
        twin(real_torch.as_tensor(X.data)), real_torch.as_tensor(y.data))
    lt.mean().backward()
    np.testing.assert_allclose(l.data, lt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(net[1].weight.grad, twin[1].weight.grad.numpy(), rtol=1e-4,
                               atol=1e-7)
    np.testing.assert_allclose(net[1].bias.grad, twin[1].bias.grad.numpy(), rtol=1e-4,
                               atol=1e-7)
