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
from .ops.fused import (
    BCEWithLogitsCtx, BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropyCtx,
)
from .tensor import Tensor, concatenate, get_default_dtype, matmul, stack, where

__all__ = [
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "maximum", "minimum", "clip",
    "logsumexp", "softmax", "log_softmax", "linear", "cross_entropy",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
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
    """x @ weightᵀ + bias as one node; weight has shape (out_features, in_features), as in
    PyTorch's `torch.nn.functional.linear`, so a row of `weight` holds one output's weights.

    >>> W = Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])      # 2 outputs from 3 inputs
    >>> linear(Tensor([[1.0, 1.0, 1.0]]), W, Tensor([0.5, -1.0])).numpy()
    array([[6.5, 0. ]], dtype=float32)
    """
    x = _node(x)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-d (out_features, in_features), got shape "
                         f"{weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight of shape "
                         f"{weight.shape} (out_features, in_features): the last input dim must "
                         f"be {weight.shape[1]}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Tensor._apply(Linear, inputs, tuple(t.requires_grad for t in inputs))


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(losses: Tensor, reduction: str, name: str) -> Tensor:
    """The per-element losses averaged, summed or kept, as `reduction` says."""
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    if losses.size == 0:
        raise ValueError(f"{name}: the mean of no elements is undefined (the input is empty)")
    return losses.mean()


def _class_labels(name: str, labels: np.ndarray, n: int, c: int) -> np.ndarray:
    """`labels` checked as N integer class indices in [0, C)."""
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: class labels must be integers, got dtype {labels.dtype} "
                        f"(convert with labels.astype(int))")
    if labels.shape != (n,):
        raise ValueError(f"{name}: {labels.shape[0]} labels for {n} rows of scores")
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        raise ValueError(f"{name}: labels must be in [0, {c}), got values in "
                         f"[{labels.min()}, {labels.max()}]")
    return labels


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from logits (N, C), fused and stable; gradient softmax - target.

    `target` is class indices (N,) (ints) or a probability / one-hot array (N, C).

    >>> z = Tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> loss = cross_entropy(z, [0, 0])
    >>> loss.backward()
    >>> round(loss.item(), 4), z.grad.round(4)          # grad = (softmax(z) - onehot) / N
    (1.1269, array([[-0.0596,  0.0596],
                    [-0.4404,  0.4404]], dtype=float32))
    """
    _check_reduction("cross_entropy", reduction)
    logits = _node(logits)
    if logits.ndim != 2:
        hint = " (for one sample use logits.reshape(1, -1))" if logits.ndim == 1 else ""
        raise ValueError(f"cross_entropy: logits must be 2-d (N, C), got shape "
                         f"{logits.shape}{hint}")
    n, c = logits.shape
    if n == 0 and reduction == "mean":
        raise ValueError("cross_entropy: the mean over 0 rows is undefined (empty batch)")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.ndim == 1:
        labels = _class_labels("cross_entropy", t, n, c)
        return Tensor._apply(CrossEntropy, (logits,), CrossEntropyCtx(reduction, labels))
    if t.shape != logits.shape:
        hint = " (labels as a column: use labels.reshape(-1))" if t.shape == (n, 1) else ""
        raise ValueError(f"cross_entropy: target must be class indices of shape ({n},) or "
                         f"probabilities of shape {logits.shape}, got shape {t.shape} "
                         f"(dtype {t.dtype}){hint}")
    target = target if isinstance(target, Tensor) else Tensor(t.astype(logits.dtype))
    return Tensor._apply(CrossEntropy, (logits, target), CrossEntropyCtx(reduction, None))


def _constant_target(name: str, target: Any, like: Tensor) -> np.ndarray:
    """A fused loss's target: a constant array of `like`'s shape and floating dtype, in [0, 1]."""
    if isinstance(target, Node):
        if target.requires_grad:
            raise ValueError(f"{name}: the target requires grad, but this loss treats it as "
                             f"a constant (pass target.detach())")
        target = target.data
    t = np.asarray(target)
    if t.dtype.kind not in "biuf":
        raise TypeError(f"{name}: target must be numbers, got dtype {t.dtype}")
    if t.shape != like.shape:
        raise ValueError(f"{name}: input has shape {like.shape} but target has shape "
                         f"{t.shape}; they must match (reshape one of them)")
    if not ((t >= 0) & (t <= 1)).all():
        raise ValueError(f"{name}: target must be in [0, 1] (0/1 labels or probabilities), got "
                         f"values in [{t.min()}, {t.max()}] (for ±1 labels use (y + 1) / 2)")
    return t.astype(like.dtype, copy=False)


def _floating(name: str, x: Any) -> Tensor:
    x = _node(x)
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expects a Tensor (or an array), got {type(x).__name__}")
    if x.dtype.kind != "f":
        x = x.astype(get_default_dtype())
    return x


def binary_cross_entropy(probs: Any, target: Any, reduction: str = "mean") -> Tensor:
    """-[t log p + (1 - t) log(1 - p)] for probabilities p in [0, 1] and targets t in [0, 1].

    Each log is clamped at -100, as PyTorch does, so p = 0 or 1 costs at most 100, never inf;
    the gradient is (p - t) / p(1 - p) with p(1 - p) floored at 1e-12. `probs` and `target` must
    have the same shape. From logits, `binary_cross_entropy_with_logits` is stabler.

    >>> p = Tensor([0.9, 0.2], requires_grad=True)
    >>> round(binary_cross_entropy(p, [1, 0]).item(), 4)    # -(log 0.9 + log 0.8) / 2
    0.1643
    """
    _check_reduction("binary_cross_entropy", reduction)
    p = _floating("binary_cross_entropy", probs)
    t = _constant_target("binary_cross_entropy", target, p)
    inside = (p.data >= 0) & (p.data <= 1)
    if not inside.all():
        raise ValueError(f"binary_cross_entropy: probs must be in [0, 1], got values in "
                         f"[{np.nanmin(p.data)}, {np.nanmax(p.data)}]"
                         f"{' and NaN' if np.isnan(p.data).any() else ''} (for logits use "
                         f"binary_cross_entropy_with_logits)")
    losses = Tensor._apply(BinaryCrossEntropy, (p,), t)
    return _reduce(losses, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean", *,
                                     pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of σ(logits) against t in [0, 1], fused and stable at any logit;
    the gradient with respect to the logits is σ(x) - t.

    `pos_weight` (≥ 0, broadcast against the logits, e.g. one per class) multiplies the loss
    of the positive term t log σ(x): above 1 it counts positives more (PyTorch's meaning).

    >>> x = Tensor([0.0, 1000.0, -1000.0], requires_grad=True)
    >>> loss = binary_cross_entropy_with_logits(x, [1, 1, 1], reduction="sum")
    >>> loss.backward()
    >>> round(loss.item(), 2), x.grad                   # log 2 + 0 + 1000;  σ(x) - 1
    (1000.69, array([-0.5,  0. , -1. ], dtype=float32))
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    x = _floating(name, logits)
    t = _constant_target(name, target, x)
    if pos_weight is not None:
        pos_weight = np.asarray(pos_weight.data if isinstance(pos_weight, Node) else pos_weight,
                                dtype=x.dtype)
        try:
            fits = np.broadcast_shapes(pos_weight.shape, x.shape) == x.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{name}: pos_weight of shape {pos_weight.shape} does not "
                             f"broadcast to the logits' shape {x.shape}")
        if not (pos_weight >= 0).all():
            raise ValueError(f"{name}: pos_weight must be >= 0, got {pos_weight}")
    losses = Tensor._apply(BinaryCrossEntropyWithLogits, (x,), BCEWithLogitsCtx(t, pos_weight))
    return _reduce(losses, reduction, name)
