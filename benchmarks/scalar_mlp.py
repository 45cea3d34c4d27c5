"""micrograd's demo, written once for any micrograd-compatible `Value` class.

`Neuron`, `Layer` and `MLP` copy the structure of micrograd's `nn.py` line for line; the only
change is that the Value class is passed in (`value_cls`), so that the very same model code runs
on `micrograd.engine.Value` and on `autograd.Value`.
"""

from __future__ import annotations

import random

import numpy as np

# The same model code for both engines (not nn.scalar.MLP, whose parameters() walks the module's
# attributes): S1 compares the engines, so everything around them is identical.


class Module:

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return []


class Neuron(Module):

    def __init__(self, nin, value_cls, nonlin=True):
        self.w = [value_cls(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = value_cls(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class Layer(Module):

    def __init__(self, nin, nout, value_cls, **kwargs):
        self.neurons = [Neuron(nin, value_cls, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP(Module):

    def __init__(self, nin, nouts, value_cls):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1], value_cls, nonlin=i != len(nouts) - 1)
                       for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 1337, as_numpy: bool = False):
    """Two interleaving half circles plus gaussian noise, as sklearn's `make_moons`.

    Returns (X, y) with y in -1 / +1 (sklearn's `y * 2 - 1`). By default X is a list of
    [x0, x1] Python floats and y a list of Python ints: plain numbers keep micrograd on its
    fastest path (the conservative comparison). `as_numpy=True` returns numpy arrays as in
    micrograd's demo notebook, whose numpy scalars make every micrograd op a numpy scalar op.
    """
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    angles_out = np.linspace(0, np.pi, n_out)
    angles_in = np.linspace(0, np.pi, n_in)
    xs = np.concatenate([np.cos(angles_out), 1 - np.cos(angles_in)])
    ys = np.concatenate([np.sin(angles_out), 1 - np.sin(angles_in) - 0.5])
    X = np.stack([xs, ys], axis=1) + rng.normal(scale=noise, size=(n_samples, 2))
    labels = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    y = labels * 2 - 1
    return (X, y) if as_numpy else (X.tolist(), y.tolist())


def build_model(value_cls, seed: int = 1337) -> MLP:
    """micrograd's demo model, MLP 2-16-16-1, with Python's `random` seeded first."""
    random.seed(seed)
    return MLP(2, [16, 16, 1], value_cls)


def demo_loss(model: MLP, X, y, value_cls):
    """micrograd's demo loss: mean_i relu(1 - y_i * score_i) + 1e-4 * sum(p * p)."""
    inputs = [list(map(value_cls, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    return data_loss + reg_loss


def train_step(model: MLP, X, y, k: int, value_cls) -> float:
    """One step of micrograd's demo: forward, zero grads, backward, SGD; returns the loss.

    The loss is `demo_loss`; the learning rate 1 - 0.9 k / 100.
    """
    total_loss = demo_loss(model, X, y, value_cls)

    model.zero_grad()
    total_loss.backward()

    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return float(total_loss.data)


def replay_step(graph, model: MLP, k: int) -> float:
    """micrograd's demo step on its graph compiled once (`autograd.compile`): replay forward,
    zero grads, replay backward, SGD; returns the loss (the same step as `train_step`)."""
    total_loss = graph.forward()
    model.zero_grad()
    graph.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss
