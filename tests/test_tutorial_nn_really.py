"""A learner's trial of PyTorch's "What is torch.nn really?": logistic regression on MNIST-like
images written from scratch (weights, a hand-made log_softmax and negative log-likelihood, the
update under no_grad), then refactored step by step: F.cross_entropy, an nn.Module with
nn.Parameter, nn.Linear, optim.SGD, TensorDataset, DataLoader, a validation set, get_model /
loss_batch / fit / get_data, a CNN, nn.Sequential with a Lambda layer, a WrappedDataLoader,
AdaptiveAvgPool2d, the device lines and momentum. Written from memory after `import autograd as
torch`, `import nn`, `import nn.functional as F`, `from nn import optim` and `from nn.data import
TensorDataset, DataLoader`, on 300 made-up 28x28 images (tests/tutorial_helpers.py: 200 to
train, 100 to validate). Where PyTorch is installed, one forward and backward of the
hand-written model and of the CNN are checked against it from the same weights.

What the trial needed to change from the tutorial's code, and why:
- `weights.grad.zero_()` is numpy's AttributeError (`.grad` is an ndarray): `weights.grad =
  None` (README, "Porting a PyTorch script");
- the tutorial's CNN (ReLU before a global average, 10 channels) learns MNIST's 50,000 digits
  but is as unreliable as in PyTorch on 200 images (checked: torch 2.13 stays at loss 2.30 for
  most seeds): its test asserts that fit runs and that a step lowers the loss, not an accuracy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from nn import optim
from nn.data import DataLoader, TensorDataset
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch
from tutorial_helpers import fake_images

IMAGES, LABELS = fake_images(300, seed=1)
x_train, y_train, x_valid, y_valid = map(torch.tensor, (
    IMAGES[:200].reshape(200, 784), LABELS[:200], IMAGES[200:].reshape(100, 784), LABELS[200:]))
n, c = x_train.shape
bs = 64
loss_func = F.cross_entropy


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


def test_logistic_regression_from_scratch():
    torch.manual_seed(0)
    assert (n, c) == (200, 784) and y_train.min().item() == 0 and y_train.max().item() == 9
    weights = torch.randn(784, 10) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    xb, yb = x_train[0:bs], y_train[0:bs]
    preds = model(xb)
    assert preds.shape == (bs, 10)
    np.testing.assert_allclose(preds.exp().sum(1).data, np.ones(bs), rtol=1e-5)
    before = nll(preds, yb).item(), accuracy(preds, yb).item()
    assert before[0] > 2.0 and before[1] < 0.3
    lr, epochs = 0.5, 10
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = nll(pred, yb)
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                with pytest.raises(AttributeError, match="'numpy.ndarray' object has no "
                                                         "attribute 'zero_'"):
                    weights.grad.zero_()
                weights.grad = None
                bias.grad = None
    assert weights.is_leaf and weights.requires_grad
    assert nll(model(xb), yb).item() < before[0] / 4 and accuracy(model(xb), yb).item() >= 0.9
    assert accuracy(model(x_valid), y_valid).item() >= 0.9
    # F.cross_entropy is log_softmax and nll in one
    raw = x_valid @ weights + bias
    assert loss_func(raw, y_valid).item() == pytest.approx(nll(log_softmax(raw), y_valid).item(),
                                                           rel=1e-5)


@needs_torch
def test_the_hand_written_model_matches_pytorch_from_the_same_weights():
    torch.manual_seed(1)
    w0 = (torch.randn(784, 10) / math.sqrt(784)).numpy().copy()
    ours = torch.tensor(w0).requires_grad_(), torch.zeros(10, requires_grad=True)
    theirs = real_torch.tensor(w0).requires_grad_(), real_torch.zeros(10, requires_grad=True)
    xb, yb = IMAGES[:bs].reshape(bs, 784), LABELS[:bs]
    loss = nll(log_softmax(torch.tensor(xb) @ ours[0] + ours[1]), torch.tensor(yb))
    their_loss = nll(log_softmax(real_torch.tensor(xb) @ theirs[0] + theirs[1]),
                     real_torch.tensor(yb))
    loss.backward()
    their_loss.backward()
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-7)


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


class Mnist_Logistic_Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def test_refactored_with_module_parameter_and_linear():
    lr, epochs = 0.5, 10
    for make in (Mnist_Logistic, Mnist_Logistic_Linear):
        torch.manual_seed(0)
        model = make()
        before = loss_func(model(x_valid), y_valid).item()
        for epoch in range(epochs):
            for i in range((n - 1) // bs + 1):
                start_i = i * bs
                end_i = start_i + bs
                xb = x_train[start_i:end_i]
                yb = y_train[start_i:end_i]
                pred = model(xb)
                loss = loss_func(pred, yb)
                loss.backward()
                with torch.no_grad():
                    for p in model.parameters():
                        p -= p.grad * lr
                    model.zero_grad()
        assert loss_func(model(x_valid), y_valid).item() < before / 3, make.__name__
        assert accuracy(model(x_valid), y_valid).item() >= 0.9, make.__name__


def get_model(lr=0.5):
    model = Mnist_Logistic_Linear()
    return model, optim.SGD(model.parameters(), lr=lr)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    history = []
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        print(epoch, val_loss)
        history.append(val_loss)
    return history


def get_data(train_ds, valid_ds, bs):
    return (DataLoader(train_ds, batch_size=bs, shuffle=True),
            DataLoader(valid_ds, batch_size=bs * 2))


def test_optim_datasets_dataloaders_and_validation():
    torch.manual_seed(0)
    train_ds = TensorDataset(x_train, y_train)
    xb, yb = train_ds[0:bs]
    assert xb.shape == (bs, 784) and yb.shape == (bs,)
    valid_ds = TensorDataset(x_valid, y_valid)
    train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)
    valid_dl = DataLoader(valid_ds, batch_size=bs * 2)
    model, opt = get_model()
    valid_losses = []
    for epoch in range(10):
        model.train()
        for xb, yb in train_dl:
            pred = model(xb)
            loss = loss_func(pred, yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        model.eval()
        with torch.no_grad():
            valid_loss = sum(loss_func(model(xb), yb) for xb, yb in valid_dl)
        valid_losses.append((valid_loss / len(valid_dl)).item())
    print(valid_losses)
    assert valid_losses[-1] < valid_losses[0] and valid_losses[-1] < 0.5

    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    model, opt = get_model()
    history = fit(10, model, loss_func, opt, train_dl, valid_dl)
    assert history[-1] < history[0] and history[-1] < 0.5
    assert accuracy(model(x_valid), y_valid).item() >= 0.95


class Mnist_CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 28, 28)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


def a_step_lowers_the_loss(model, xb, yb):
    """One SGD step at a small learning rate lowers the batch's loss (a first-order check)."""
    before = loss_func(model(xb), yb)
    before.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 1e-2 * p.grad
    model.zero_grad()
    return loss_func(model(xb), yb).item() < before.item()


def test_the_cnns_sequential_lambda_wrapped_loader_and_device():
    torch.manual_seed(0)
    train_ds, valid_ds = TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid)
    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    lr = 0.1
    model = Mnist_CNN()
    assert model(x_train[:5]).shape == (5, 10)
    assert a_step_lowers_the_loss(model, x_train[:bs], y_train[:bs])
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = fit(2, model, loss_func, opt, train_dl, valid_dl)
    assert len(history) == 2 and all(np.isfinite(history))

    def preprocess(x):
        return x.view(-1, 1, 28, 28)

    model = nn.Sequential(
        Lambda(preprocess),
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(4),
        Lambda(lambda x: x.view(x.size(0), -1)),
    )
    print(model)
    assert str(model).splitlines()[1] == "  (0): Lambda()"
    assert model(x_train[:3]).shape == (3, 10)

    dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    assert str(dev) == "cpu"

    def preprocess(x, y):
        return x.view(-1, 1, 28, 28).to(dev), y.to(dev)

    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    train_dl = WrappedDataLoader(train_dl, preprocess)
    valid_dl = WrappedDataLoader(valid_dl, preprocess)
    xb, yb = next(iter(train_dl))
    assert xb.shape == (bs, 1, 28, 28) and len(train_dl) == 4
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        Lambda(lambda x: x.view(x.size(0), -1)),
    )
    model.to(dev)
    assert a_step_lowers_the_loss(model, xb, yb)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = fit(2, model, loss_func, opt, train_dl, valid_dl)
    assert len(history) == 2 and all(np.isfinite(history))


@needs_torch
def test_the_cnn_matches_pytorch_from_the_same_weights():
    torch.manual_seed(4)
    model = Mnist_CNN()
    tnn = real_torch.nn
    theirs = tnn.Sequential(tnn.Conv2d(1, 16, 3, stride=2, padding=1), tnn.ReLU(),
                            tnn.Conv2d(16, 16, 3, stride=2, padding=1), tnn.ReLU(),
                            tnn.Conv2d(16, 10, 3, stride=2, padding=1), tnn.ReLU(),
                            tnn.AvgPool2d(4), tnn.Flatten())
    theirs.load_state_dict({f"{2 * int(k[4]) - 2}.{k.split('.')[1]}":
                            real_torch.as_tensor(v.numpy().copy())
                            for k, v in model.state_dict().items()})
    xb, yb = IMAGES[:16].reshape(16, 784), LABELS[:16]
    loss = loss_func(model(torch.tensor(xb)), torch.tensor(yb))
    loss.backward()
    their_loss = real_torch.nn.functional.cross_entropy(
        theirs(real_torch.tensor(xb).view(-1, 1, 28, 28)), real_torch.tensor(yb))
    their_loss.backward()
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    for (name, p), q in zip(model.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-7, err_msg=name)
