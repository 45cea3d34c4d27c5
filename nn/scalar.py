"""Neural networks of scalar `Value`s, one neuron at a time: micrograd's `nn`, on glassgrad.

The classes, arguments and behaviour are micrograd's (a `Layer` with one output returns a single
Value; weights uniform in [-1, 1] drawn from Python's `random`, biases 0), so micrograd's demo runs
with only its imports changed and, after `random.seed(1337)`, starts from the same weights and
computes the same forward pass bit for bit (backward adds a weight's gradient contributions in
another order, so training agrees to about 1e-13). They are also `nn.Module`s:
`named_parameters()`, `state_dict()`, the optimizers and `nn.fit` work with them.

>>> import random
>>> from nn.scalar import MLP
>>> random.seed(1337)
>>> model = MLP(2, [16, 16, 1])
>>> model
MLP of [Layer of [ReLUNeuron(2), ...], Layer of [ReLUNeuron(16), ...], Layer of [LinearNeuron(16)]]
>>> len(model.parameters())
337
>>> model([2.0, -1.0])
Value(data=..., grad=0.0)

To train fast, compile the step (`autograd.compile`): the graph is recorded once and replayed as
a few dozen numpy calls, hundreds of times faster than building it again. Give the inputs as
Values (leaves, which every replay reads again; a plain number would be folded into the graph as
a constant), then the recipe is three lines: compile, and in the loop forward/backward/step.

>>> from autograd import Value, compile
>>> from nn.optim import SGD
>>> X, y = [[2.0, -1.0], [0.5, 1.5], [-1.0, 0.0]], [1.0, -1.0, 1.0]
>>> inputs = [[Value(v, requires_grad=False) for v in row] for row in X]
>>> loss = sum((model(row) - target) ** 2 for row, target in zip(inputs, y)) * (1 / len(y))
>>> step, optimizer = compile(loss), SGD(model.parameters(), lr=0.01)
>>> for epoch in range(20):
...     optimizer.zero_grad(); value = step.forward(); step.backward(); optimizer.step()
>>> value < loss.data                           # the recorded loss was the first one
True

Assigning `inputs[i][j].data` between replays feeds a new batch of the same size. The structure
is frozen: branches taken in Python on `.data` while building are not re-taken (see
`autograd.compile`).
"""

from __future__ import annotations

import numbers
import random
from typing import Any, Sequence

import numpy as np

from autograd import Tensor, Value

from .module import Module

__all__ = ["Neuron", "Layer", "MLP"]


class ScalarModule(Module):
    """A module that takes one sample (a list of numbers or Values) at a time; its forward may
    take several inputs, `forward(self, xa, xb)`, one sample of each."""

    def forward_batch(self, *inputs: Any) -> list[Any]:
        """One output per sample of a mini-batch (what `nn.fit` and `nn.evaluate` call):
        `self(row)` for each row of X, or, for a model of several inputs, `self(xa_row, xb_row)`
        for each row i of every input (all with the same number of rows).

        >>> class Difference(ScalarModule):
        ...     def forward(self, a, b):
        ...         return a[0] - b[0]
        >>> Difference().forward_batch([[5.0], [2.0]], np.array([[1.0], [3.0]]))
        [4.0, -1.0]
        """
        rows = [x.data.tolist() if isinstance(x, Tensor) else
                x.tolist() if isinstance(x, np.ndarray) else x for x in inputs]
        if len({len(r) for r in rows}) > 1:     # zip would silently drop the extra rows
            raise ValueError(f"{type(self).__name__}.forward_batch: the inputs have "
                             f"{', '.join(str(len(r)) for r in rows)} rows; each input needs "
                             f"one row per sample, the same number")
        return [self(*sample) for sample in zip(*rows)]


# the activations a Neuron takes, each with the name its repr shows (ReLUNeuron(2))
_ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


class Neuron(ScalarModule):
    """act(w · x + b): `nin` weights and a bias.

    `nonlin=False` makes it linear (an output neuron); `activation` picks the non-linearity
    ("relu", as in micrograd, or "tanh", "sigmoid"). Weights come from Python's `random` (as in
    micrograd) unless `rng`, a numpy Generator, is given.
    """

    def __init__(self, nin: int, nonlin: bool = True, activation: str = "relu",
                 rng: np.random.Generator | None = None) -> None:
        if activation not in _ACTIVATION_NAMES:
            raise ValueError(f"Neuron: activation must be one of {sorted(_ACTIVATION_NAMES)}, "
                             f"got {activation!r}")
        uniform = random.uniform if rng is None else rng.uniform
        self.w = [Value(float(uniform(-1, 1))) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin
        self.activation = activation

    def forward(self, x: Sequence[Any]) -> Value:
        try:                    # free until it raises: the hot path stays as it was
            if len(x) != len(self.w):
                raise _NotASample
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        except (TypeError, _NotASample):
            _refuse_sample("Neuron", x, len(self.w))
            raise
        if not self.nonlin:
            return act
        return getattr(act, self.activation)()

    def __repr__(self) -> str:
        kind = _ACTIVATION_NAMES[self.activation] if self.nonlin else "Linear"
        return f"{kind}Neuron({len(self.w)})"


class _NotASample(Exception):
    """Raised inside a forward pass for an input of the wrong length; `_refuse_sample` turns
    it into the error that says what was wrong."""


def _refuse_sample(who: str, x: Any, n: int) -> None:
    """Raise the error that says why `x` is not one sample of `n` inputs for `who` (Neuron,
    Layer or MLP, the one called). It runs only after the forward pass failed, so the normal
    call pays nothing for it; when `x` is a fine sample after all, it returns and the caller
    re-raises the original error."""
    expected = f"one sample, a list of {n} numbers or Values"
    if isinstance(x, Tensor):
        advice = _batch_hint(x) or ("; pass x.data.tolist(), or use the tensor layers (nn.MLP, "
                                    "nn.Linear) for Tensors")
        raise TypeError(f"{who}: expected {expected}, got a Tensor of shape {x.shape}"
                        f"{advice}") from None
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise TypeError(f"{who}: expected {expected}, got {_shown(x)}") from None
    if len(x) != n:
        raise ValueError(f"{who}: expected {n} inputs, got {len(x)}{_batch_hint(x)}") from None
    for i, item in enumerate(x):
        if not isinstance(item, (numbers.Number, Value)):
            raise TypeError(f"{who}: expected {expected}, got a {type(x).__name__} whose item "
                            f"{i} is {_shown(item)}") from None


def _shown(value: Any) -> str:
    """`value` and its type, briefly: "2.0 (a float)", "the string 'abc'"."""
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, str):
        return f"the string {text}"
    if value is None:
        return "None"
    return f"{text} (a {type(value).__name__})"


def _batch_hint(x: Any) -> str:
    """For a 2-d input: a scalar model takes one sample, a batch goes row by row."""
    try:
        two_d = np.ndim(x.data if isinstance(x, Tensor) else x) == 2
    except ValueError:                                  # ragged rows
        two_d = False
    if not two_d:
        return ""
    return (" (a batch of samples? a scalar model takes one at a time: "
            "[model(row) for row in X], or model.forward_batch(X))")


class Layer(ScalarModule):
    """`nout` neurons reading the same inputs; with one neuron it returns one Value."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        try:
            out = [n(x) for n in self.neurons]
        except (TypeError, ValueError):     # the neurons' error, in the words of the call made
            _refuse_sample("Layer", x, len(self.neurons[0].w))
            raise
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(ScalarModule):
    """Layers of sizes `nouts`; every layer but the last is non-linear.

    `MLP(2, [16, 16, 1])` is micrograd's demo model: 2 inputs, two hidden layers of 16 ReLU
    neurons, one linear output. (On Tensors, `nn.MLP(in_features, hidden_sizes, out_features)`
    is the same network in PyTorch's terms, the output size given apart.)
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 rng: np.random.Generator | None = None) -> None:
        _check_sizes(nin, nouts, activation)
        sizes = [nin] + list(nouts)
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1,
                             activation=activation, rng=rng)
                       for i in range(len(nouts))]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        out = x
        try:
            for layer in self.layers:
                out = layer(out)
        except (TypeError, ValueError):     # the layers' error, in the words of the call made
            _refuse_sample("MLP", x, len(self.layers[0].neurons[0].w))
            raise
        return out

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def _check_sizes(nin: Any, nouts: Any, activation: Any) -> None:
    """MLP's sizes, checked before any layer is built: micrograd's MLP takes every layer's size
    in `nouts`, the output's last, where nn.MLP takes the output size apart; a learner moving
    between the two writes MLP(2, [16, 16], 1), whose 1 lands in `activation`."""
    example = "MLP(2, [16, 16, 1]): 2 inputs, two hidden layers of 16, 1 output"
    if isinstance(activation, numbers.Number):
        raise TypeError(f"MLP: the output size goes last in nouts, as in {example} "
                        f"(nn.MLP(2, [16, 16], 1), the Tensor model, takes it apart); "
                        f"got activation={activation!r}")
    if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
        raise TypeError(f"MLP: nouts must be a list of layer sizes, the output's last, as in "
                        f"{example}; got {nouts!r}")
    for what, size in [("nin", nin)] + [(f"nouts[{i}]", n) for i, n in enumerate(nouts)]:
        if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size < 1:
            raise ValueError(f"MLP: {what} must be a positive integer, got {size!r}")
