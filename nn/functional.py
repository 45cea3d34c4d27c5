"""Activations, dropout and losses, for Tensors and (where it makes sense) lists of Values.

The activations, `linear`, the fused losses and the convolution and pooling functions (`conv2d`,
`conv1d`, `max_pool2d`, `avg_pool2d`, `pad`) come from `autograd.functional`, `batch_norm` from
`nn.normalization`; this module adds dropout and the losses of the lectures. Every loss takes `reduction="mean" | "sum" | "none"`.

>>> from autograd import Tensor, Value
>>> from nn import functional as F
>>> F.mse_loss(Tensor([1.0, 3.0]), [0.0, 1.0])          # ((1 - 0)² + (3 - 1)²) / 2
Tensor(2.5)
>>> F.mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0])    # the same, as a graph of Values
Value(data=2.5, grad=0.0)

Prediction and target must have the same shape: a (N, 1) column against (N,) targets would
broadcast to (N, N) and compare every prediction with every target, so it is an error here.
Targets are arrays, lists or Tensors. A list of `Value`s (the scalar engine) works with
`mse_loss`, `l1_loss`, `hinge_loss`, both binary cross-entropies and `l2_penalty`; the loss is
then built from Value ops, so a drawing of the graph shows every term.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable

import numpy as np

from autograd import Tensor, Value, get_default_dtype
from autograd import functional as AF
# one place for the reduction rules and label checks, shared with the fused losses
from autograd.functional import _check_reduction, _class_labels, _reduce
from autograd.functional import (  # noqa: F401  (re-exported)
    avg_pool2d, conv1d, conv2d, cross_entropy, linear, log_softmax, max_pool2d, pad, relu, sigmoid,
    softmax, tanh,
)
from autograd.ops.fused import LOG_FLOOR
from autograd.random import default_rng

from .normalization import batch_norm  # noqa: F401  (re-exported)

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "dropout",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss", "hinge_loss", "l2_penalty",
    "conv2d", "conv1d", "max_pool2d", "avg_pool2d", "pad", "batch_norm",
]

Loss = Any          # a Tensor, a Value, or (reduction="none" on Values) a list of Values


# ----------------------------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------------------------

def dropout(x: Any, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability `p`, scale the kept ones by 1/(1-p).

    The scaling keeps every element's expected value, so evaluation (`training=False`) needs no
    correction and returns `x` itself, as does p = 0. The mask comes from `rng`, or from the
    shared generator that `autograd.manual_seed` seeds.

    >>> import numpy as np
    >>> y = dropout(Tensor([1.0, 2.0, 3.0, 4.0]), 0.5, rng=np.random.default_rng(0))
    >>> y                                               # kept: doubled; dropped: 0
    Tensor([2., 0., 0., 0.])
    """
    if not isinstance(p, numbers.Real) or not 0 <= p < 1:
        raise ValueError(f"dropout: p must be a probability in [0, 1), got {p!r}")
    x = _tensor("dropout", x)
    if not training or p == 0:
        return x
    rng = default_rng() if rng is None else rng
    dtype = x.dtype if x.dtype.kind == "f" else get_default_dtype()
    keep = rng.random(x.shape) >= p                     # each kept with probability 1 - p
    return x * (keep.astype(dtype) / dtype.type(1 - p))


# ----------------------------------------------------------------------------------------------
# Regression losses
# ----------------------------------------------------------------------------------------------

def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Loss:
    """Mean squared error: (pred - target)² averaged (or summed, or kept per element)."""
    _check_reduction("mse_loss", reduction)
    if _is_values(pred):
        return _reduce_values([(p - t) ** 2 for p, t in _value_pairs("mse_loss", pred, target)],
                              reduction)
    pred, target = _tensor_pair("mse_loss", pred, target)
    return _reduce((pred - target) ** 2, reduction, "mse_loss")


def l1_loss(pred: Any, target: Any, reduction: str = "mean") -> Loss:
    """Mean absolute error |pred - target| (its gradient at pred == target is 0)."""
    _check_reduction("l1_loss", reduction)
    if _is_values(pred):
        return _reduce_values([abs(p - t) for p, t in _value_pairs("l1_loss", pred, target)],
                              reduction)
    pred, target = _tensor_pair("l1_loss", pred, target)
    return _reduce(abs(pred - target), reduction, "l1_loss")


# ----------------------------------------------------------------------------------------------
# Classification losses
# ----------------------------------------------------------------------------------------------

def binary_cross_entropy(probs: Any, target: Any, reduction: str = "mean") -> Loss:
    """-[t log p + (1 - t) log(1 - p)] for probabilities p and targets t in [0, 1].

    Each log is clamped at -100 (PyTorch's choice), so a saturated p costs 100, never inf.
    Tensors use the fused `autograd.functional.binary_cross_entropy` (gradient (p - t)/p(1-p),
    with p(1-p) floored at 1e-12, as PyTorch). On Values a clamped log is the constant -100,
    so there the gradient of that term is 0; the two agree wherever 1e-12 <= p(1 - p).

    >>> p = [Value(0.9), Value(0.2)]
    >>> round(binary_cross_entropy(p, [1, 0]).data, 4)      # -(log 0.9 + log 0.8) / 2
    0.1643
    """
    _check_reduction("binary_cross_entropy", reduction)
    if not _is_values(probs):
        return AF.binary_cross_entropy(probs, target, reduction)
    pairs = _value_pairs("binary_cross_entropy", probs, target)
    _check_range("binary_cross_entropy", "probs", [p.data for p, _ in pairs],
                 " (for logits use binary_cross_entropy_with_logits)")
    _check_range("binary_cross_entropy", "target", [float(t) for _, t in pairs],
                 " (for ±1 labels use (y + 1) / 2)")
    losses = [-(t * _clamped_log(p) + (1 - t) * _clamped_log(1 - p)) for p, t in pairs]
    return _reduce_values(losses, reduction)


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean", *,
                                     pos_weight: Any = None) -> Loss:
    """Binary cross-entropy of σ(logits) against targets in [0, 1], stable at any logit;
    its gradient with respect to the logits is exactly σ(x) - t.

    `pos_weight` (>= 0) multiplies the positive term t·log σ(x) (PyTorch's meaning); for
    Tensors it broadcasts against the logits (e.g. one weight per column), for Values it is a
    number. On Values the loss is (1 - t)·x + w·log(1 + e^-x), w = 1 + (pos_weight - 1)·t,
    with log(1 + e^-x) written so that e^(...) never overflows.

    >>> x = Value(0.0)
    >>> loss = binary_cross_entropy_with_logits([x], [1.0])
    >>> loss.backward()
    >>> round(loss.data, 4), x.grad                         # log 2;  σ(0) - 1
    (0.6931, -0.5)
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    if not _is_values(logits):
        return AF.binary_cross_entropy_with_logits(logits, target, reduction,
                                                   pos_weight=pos_weight)
    pairs = _value_pairs(name, logits, target)
    _check_range(name, "target", [float(t) for _, t in pairs], " (for ±1 labels use (y + 1) / 2)")
    if pos_weight is not None and not (isinstance(pos_weight, numbers.Real) and pos_weight >= 0):
        raise ValueError(f"{name}: with Values, pos_weight must be a number >= 0, "
                         f"got {pos_weight!r}")
    losses = []
    for x, t in pairs:
        weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        losses.append((1 - t) * x + weight * _softplus_of_negative(x))
    return _reduce_values(losses, reduction)


def nll_loss(log_probs: Any, labels: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood -log_probs[i, labels[i]], for log-probabilities (N, C) and integer
    labels (N,). `nll_loss(log_softmax(z), y)` equals `cross_entropy(z, y)` (which is fused).

    >>> nll_loss(Tensor([[-0.5, -1.0], [-2.0, -0.25]]), [1, 0])    # (1.0 + 2.0) / 2
    Tensor(1.5)
    """
    _check_reduction("nll_loss", reduction)
    log_probs = _tensor("nll_loss", log_probs)
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss: log_probs must be 2-d (N, C), got shape {log_probs.shape}")
    n, c = log_probs.shape
    labels = _class_labels("nll_loss", np.asarray(_raw(labels)), n, c)
    return _reduce(-log_probs[np.arange(n), labels], reduction, "nll_loss")


def hinge_loss(scores: Any, labels: Any, reduction: str = "mean") -> Loss:
    """The max-margin loss of micrograd's demo: max(0, 1 - y·score) for labels y = ±1.

    `hinge_loss(scores, y) + l2_penalty(model.parameters(), 1e-4)` is the demo's total loss,
    the same number as its `sum((1 + -yi*si).relu() ...) * (1.0 / len(...)) + reg_loss`.

    >>> hinge_loss([Value(2.0), Value(0.25)], [1, -1])      # (0 + 1.25) / 2
    Value(data=0.625, grad=0.0)
    """
    _check_reduction("hinge_loss", reduction)
    if _is_values(scores):
        pairs = _value_pairs("hinge_loss", scores, labels)
        _check_signs([float(y) for _, y in pairs])
        # the demo's own expression: 1 + (-y)s is 1 - ys to the bit, with one node fewer
        return _reduce_values([(1 + -y * s).relu() for s, y in pairs], reduction)
    scores, labels = _tensor_pair("hinge_loss", scores, labels)
    _check_signs(_raw(labels))
    return _reduce((1 - labels * scores).relu(), reduction, "hinge_loss")


def l2_penalty(parameters: Iterable[Any], alpha: float) -> Any:
    """alpha · Σ p² over all parameters (Values or Tensors): weight decay written as a loss.

    For Values it is micrograd's `alpha * sum((p*p for p in model.parameters()))`, term by term.

    >>> l2_penalty([Value(3.0), Value(-4.0)], 0.01)
    Value(data=0.25, grad=0.0)
    """
    params = list(parameters)
    if not params:
        raise ValueError("l2_penalty: got no parameters")
    if not isinstance(alpha, numbers.Real) or not alpha >= 0:
        raise ValueError(f"l2_penalty: alpha must be a number >= 0, got {alpha!r}")
    for p in params:
        if not isinstance(p, (Value, Tensor)):
            raise TypeError(f"l2_penalty: parameters must be Values or Tensors, got "
                            f"{type(p).__name__}")
    return alpha * sum(p * p if isinstance(p, Value) else (p * p).sum() for p in params)


# ----------------------------------------------------------------------------------------------
# Helpers: Tensors
# ----------------------------------------------------------------------------------------------

def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _tensor(name: str, x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Value):
        raise TypeError(f"{name}: expects a Tensor, got a Value")
    try:
        return Tensor(x)
    except TypeError:
        raise TypeError(f"{name}: expects a Tensor, an array or a flat list of Values, got "
                        f"{type(x).__name__}") from None


def _tensor_pair(name: str, pred: Any, target: Any) -> tuple[Tensor, Any]:
    """Prediction as a Tensor and target as a Tensor or an array of its dtype, same shapes."""
    pred = _tensor(name, pred)
    if not isinstance(target, Tensor):
        target = np.asarray(target)
        if target.dtype.kind not in "biuf":
            raise TypeError(f"{name}: target must be numbers, got dtype {target.dtype}")
        if pred.dtype.kind == "f":
            target = target.astype(pred.dtype, copy=False)
    if target.shape != pred.shape:
        raise ValueError(f"{name}: prediction has shape {pred.shape} but target has shape "
                         f"{target.shape}; they must match (reshape one of them, e.g. "
                         f"pred.reshape(-1) for a (N, 1) column)")
    return pred, target


def _check_signs(labels: Any) -> None:
    labels = np.asarray(labels)
    if not (np.abs(labels) == 1).all():
        found = np.unique(labels)
        shown = ", ".join(str(v) for v in found[:5]) + (", ..." if found.size > 5 else "")
        raise ValueError(f"hinge_loss: labels must be -1 or +1, got values {{{shown}}} "
                         f"(for 0/1 labels use 2 * y - 1)")


# ----------------------------------------------------------------------------------------------
# Helpers: lists of Values
# ----------------------------------------------------------------------------------------------

_TINY = math.exp(LOG_FLOOR)         # below this a log is clamped to LOG_FLOOR


def _is_values(x: Any) -> bool:
    """True for a Value, or a list or tuple holding Values: the scalar engine's loss applies."""
    if isinstance(x, Value):
        return True
    return isinstance(x, (list, tuple)) and any(isinstance(v, Value) for v in x)


def _value_pairs(name: str, pred: Any, target: Any) -> list[tuple[Value, Any]]:
    """(prediction, target) pairs: each prediction a Value, each target a float or a Value."""
    preds = [pred] if isinstance(pred, Value) else list(pred)
    target = _raw(target)
    if isinstance(target, (Value, numbers.Real)) or getattr(target, "ndim", None) == 0:
        targets = [target]
    else:
        targets = list(target)
    if len(preds) != len(targets):
        raise ValueError(f"{name}: {len(preds)} predictions but {len(targets)} targets")
    pairs = []
    for p, t in zip(preds, targets):
        if not isinstance(p, Value):
            p = Value(_number(name, p, "predictions"), requires_grad=False)
        if not isinstance(t, Value):
            t = _number(name, t, "targets")
        pairs.append((p, t))
    return pairs


def _number(name: str, x: Any, what: str) -> float:
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{name}: {what} must be numbers or Values, got {type(x).__name__}")


def _reduce_values(losses: list[Value], reduction: str) -> Value | list[Value]:
    """Average (as micrograd: the sum times 1/n), sum, or keep the list."""
    if reduction == "none":
        return losses
    total = sum(losses)
    return total if reduction == "sum" else total * (1.0 / len(losses))


def _check_range(name: str, what: str, values: list[float], hint: str) -> None:
    if not all(0 <= v <= 1 for v in values):
        raise ValueError(f"{name}: {what} must be in [0, 1], got values in "
                         f"[{min(values)}, {max(values)}]{hint}")


def _clamped_log(v: Value) -> Any:
    """ln v, or the constant -100 when v is below e^-100 (PyTorch's clamp; also v = 0)."""
    return v.log() if v.data > _TINY else LOG_FLOOR


def _softplus_of_negative(x: Value) -> Value:
    """log(1 + e^-x), exact in its derivative, with an exponent that is never positive."""
    if x.data >= 0:
        return (1 + (-x).exp()).log()
    return -x + (1 + x.exp()).log()                  # log(1 + e^-x) = -x + log(e^x + 1)
