"""Functions over nodes: the elementwise math, the stable softmax family and fused ops.

Each accepts a `Value` or a `Tensor` (numbers and arrays become a constant `Tensor`):

>>> import numpy as np
>>> from autograd import Tensor, functional as F
>>> z = Tensor([[1000.0, 0.0], [-1000.0, 0.0]], requires_grad=True)
>>> F.softmax(z).numpy().round(3)
array([[1., 0.],
       [0., 1.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import Node
from .ops import CrossEntropy, Linear
from .ops.fused import CrossEntropyCtx
from .tensor import Tensor, concatenate, matmul, stack, where

__all__ = [
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "maximum", "minimum", "clip",
    "logsumexp", "softmax", "log_softmax", "linear", "cross_entropy",
    "matmul", "concatenate", "stack", "where",
]


def _node(x: Any) -> Node:
    return x if isinstance(x, Node) else Tensor(x)


def exp(x: Any) -> Node: return _node(x).exp()
def log(x: Any) -> Node: return _node(x).log()
def sqrt(x: Any) -> Node: return _node(x).sqrt()
def tanh(x: Any) -> Node: return _node(x).tanh()
def sigmoid(x: Any) -> Node: return _node(x).sigmoid()
def relu(x: Any) -> Node: return _node(x).relu()
def abs(x: Any) -> Node: return _node(x).abs()


def maximum(a: Any, b: Any) -> Tensor:
    return _node(a).maximum(b)


def minimum(a: Any, b: Any) -> Tensor:
    return _node(a).minimum(b)


def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:
    return _node(x).clip(min, max)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log Σ exp(x), with the maximum subtracted first (no overflow at ±1000)."""
    return _node(x).logsumexp(axis, keepdims)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along `axis`, stable."""
    return _node(x).softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along `axis`, stable (never log of a rounded-to-zero probability)."""
    return _node(x).log_softmax(axis)


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight + bias as one node; weight has shape (in_features, out_features)."""
    x = _node(x)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-d (in, out), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[0]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight of shape "
                         f"{weight.shape} (last input dim must be {weight.shape[0]})")
    if bias is not None and bias.shape != (weight.shape[1],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[1]},), got {bias.shape}")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Tensor._apply(Linear, inputs, tuple(t.requires_grad for t in inputs))


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from logits (N, C), fused and stable; gradient softmax - target.

    `target` is class indices (N,) (ints) or a probability / one-hot array (N, C).
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', "
                         f"got {reduction!r}")
    logits = _node(logits)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must be 2-d (N, C), got shape {logits.shape}")
    n, c = logits.shape
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.ndim == 1 and t.dtype.kind in "iu":
        if t.shape[0] != n:
            raise ValueError(f"cross_entropy: {t.shape[0]} labels for {n} rows of logits")
        if t.size and (t.min() < 0 or t.max() >= c):
            raise ValueError(f"cross_entropy: labels must be in [0, {c}), got values in "
                             f"[{t.min()}, {t.max()}]")
        return Tensor._apply(CrossEntropy, (logits,), CrossEntropyCtx(reduction, t))
    if t.shape != logits.shape:
        raise ValueError(f"cross_entropy: target must be class indices of shape ({n},) or "
                         f"probabilities of shape {logits.shape}, got shape {t.shape} "
                         f"(dtype {t.dtype})")
    target = target if isinstance(target, Tensor) else Tensor(t.astype(logits.dtype))
    return Tensor._apply(CrossEntropy, (logits, target), CrossEntropyCtx(reduction, None))
