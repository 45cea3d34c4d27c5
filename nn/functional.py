"""Activations, dropout, losses and `one_hot`, for Tensors and (where it makes sense) lists of
Values.

The activations (`leaky_relu` and `gelu` among them), `linear`, `embedding`, the fused losses
(`cross_entropy` and both binary cross-entropies) and the convolution and pooling functions
(`conv2d`, `conv1d`, `max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d`, `pad`) come from
`autograd.functional`, `batch_norm` and `layer_norm` from `nn.normalization`: each is one
function, reachable from both modules. This module adds dropout, `one_hot` and the other
losses of the lectures. Every loss takes `reduction="mean" | "sum" | "none"`, and declares its
task (see `nn.scoring`), which is how `fit` picks metrics and reads class labels; `l2_penalty`,
a term added to a loss, does neither.

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

from autograd import Tensor, Value, get_default_dtype, where
# one place for the reduction rules, label checks and Value-list helpers, shared with the
# losses that live in the engine (the fused ones, which also take lists of Values)
from autograd.functional import (
    _check_reduction, _class_labels, _is_int, _is_values, _raw, _reduce, _reduce_values,
    _target_number, _value_pairs, class_options, class_rows, holds_values, integer_array,
    kept_labels, values_list_error,
)
from autograd.functional import (  # noqa: F401  (re-exported: one function, two addresses)
    adaptive_avg_pool2d, avg_pool2d, binary_cross_entropy, binary_cross_entropy_with_logits,
    conv1d, conv2d, cross_entropy, embedding, gelu, leaky_relu, linear, log_softmax, max_pool2d,
    pad, relu, sigmoid, softmax, tanh,
)
from autograd.random import default_rng

from .module import Module
from .normalization import batch_norm, layer_norm  # noqa: F401  (re-exported)
from .scoring import declare_loss

__all__ = [
    "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "embedding",
    "one_hot", "dropout",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss", "hinge_loss", "l2_penalty",
    "conv2d", "conv1d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "pad", "batch_norm",
    "layer_norm",
]

Loss = Any          # a Tensor, a Value, or (reduction="none" on Values) a list of Values


# ----------------------------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------------------------

def dropout(x: Any, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None, *, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability `p`, scale the kept ones by 1/(1-p).
    (`inplace` is accepted for PyTorch code and changes nothing: the result is a new tensor.)

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
# One-hot encoding
# ----------------------------------------------------------------------------------------------

def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """Integer labels of any shape (...) as one-hot rows, shape (..., num_classes): 1 at each
    label's position, 0 elsewhere. As PyTorch's `torch.nn.functional.one_hot`, the result is an
    int64 Tensor, a constant (no gradient; `.astype(np.float32)` for a float one), and
    num_classes=-1 means the largest label + 1.

    >>> one_hot([0, 2])
    Tensor([[1, 0, 0],
            [0, 0, 1]], dtype=int64)
    >>> one_hot(np.array([[1], [0]]), num_classes=4).shape
    (2, 1, 4)
    """
    labels = integer_array("one_hot", "labels", labels)
    if not _is_int(num_classes) or not (num_classes == -1 or num_classes > 0):
        raise ValueError(f"one_hot: num_classes must be a positive int, or -1 for the largest "
                         f"label + 1, got {num_classes!r}")
    if labels.size:
        low, high = labels.min(), labels.max()
        if low < 0:
            raise ValueError(f"one_hot: labels must be >= 0, got {low}")
        if num_classes == -1:
            num_classes = int(high) + 1
        elif high >= num_classes:
            numbered_from_one = low >= 1 and high == num_classes
            hint = " (labels numbered from 1? pass labels - 1)" if numbered_from_one else ""
            raise ValueError(f"one_hot: labels must be < num_classes={num_classes}, got "
                             f"{high}{hint}")
    elif num_classes == -1:
        raise ValueError("one_hot: no labels to count the classes from (the input is empty); "
                         "pass num_classes")
    return Tensor((labels[..., None] == np.arange(num_classes)).astype(np.int64))


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

def nll_loss(log_probs: Any, labels: Any, reduction: str = "mean", *, weight: Any = None,
             ignore_index: int = -100) -> Tensor:
    """Negative log-likelihood -log_probs[i, labels[i]], for log-probabilities (N, C) and integer
    labels (N,). `nll_loss(log_softmax(z), y)` equals `cross_entropy(z, y)` (which is fused).
    PyTorch's other shapes work as in `cross_entropy`: (C,) with a 0-d label, and
    (N, C, d1, ..., dk) with labels (N, d1, ..., dk) (the class axis second), whose "none"
    has the labels' shape.

    >>> nll_loss(Tensor([[-0.5, -1.0], [-2.0, -0.25]]), [1, 0])    # (1.0 + 2.0) / 2
    Tensor(1.5)

    PyTorch's `weight` (C,) and `ignore_index` (default -100), with its meaning (keywords
    here): row n counts w[y_n] times, rows labelled ignore_index not at all, and the "mean"
    divides by the counted rows' total weight Σ w[y_n] (NaN when no row counts).

    >>> nll_loss(Tensor([[-0.5, -1.0], [-2.0, -0.25]]), [1, 0], weight=[1.0, 3.0])
    Tensor(1.25)
    >>> # (3 · 1.0 + 1 · 2.0) / (3 + 1)
    """
    name = "nll_loss"
    _check_reduction(name, reduction)
    log_probs = _tensor(name, log_probs)
    if log_probs.ndim != 2:         # PyTorch's (C,) and (N, C, d1, ...): positions as rows
        rows, labels, shape = class_rows(name, "log_probs", log_probs, _raw(labels))
        loss = nll_loss(rows, labels, reduction, weight=weight, ignore_index=ignore_index)
        return loss.reshape(shape) if reduction == "none" else loss
    n, c = log_probs.shape
    labels = np.asarray(_raw(labels))
    plain = weight is None and ignore_index.__class__ is int and ignore_index == -100
    if plain and _class_labels(name, labels, n, c, ignore_index) is not None:
        _check_log_probabilities(log_probs)
        return _reduce(-log_probs[np.arange(n), labels], reduction, name)
    weight, ignore_index, _ = class_options(name, weight, ignore_index, 0.0, c,
                                            log_probs.dtype)
    kept = kept_labels(name, labels, n, c, ignore_index)
    _check_log_probabilities(log_probs)
    return _weighted_nll(log_probs, labels, kept, weight, reduction)


def _weighted_nll(log_probs: Tensor, labels: np.ndarray, kept: np.ndarray,
                  weight: np.ndarray | None, reduction: str) -> Tensor:
    """-w[y_n] log_probs[n, y_n] for the kept rows, 0 for the others, reduced as PyTorch does:
    the mean divides by Σ w[y_n] over the kept rows."""
    n = len(labels)
    read = np.where(kept, labels, 0)        # an ignored row reads class 0, then counts for 0
    losses = -log_probs[np.arange(n), read]
    row_weights = kept.astype(log_probs.dtype) if weight is None else weight[read] * kept
    if weight is not None:
        losses = losses * row_weights
    if not kept.all():                      # selected, not multiplied: 0 * -inf would be NaN
        losses = where(kept, losses, 0.0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    divisor = row_weights.sum(dtype=np.float64)
    if divisor == 0:                        # no row counts: PyTorch's 0 / 0, a zero gradient
        return losses.sum() + math.nan
    return losses.sum() / float(divisor)


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
        _check_signs([_target_number(y) for _, y in pairs])
        # the demo's own expression: 1 + (-y)s is 1 - ys to the bit, with one node fewer
        return _reduce_values([(1 + -y * s).relu() for s, y in pairs], reduction)
    scores, labels = _tensor_pair("hinge_loss", scores, labels)
    _check_signs(_raw(labels))
    return _reduce((1 - labels * scores).relu(), reduction, "hinge_loss")


def l2_penalty(parameters: Iterable[Any], alpha: float) -> Any:
    """alpha · Σ p² over the parameters given (Values or Tensors): weight decay as a loss.

    For Values it is micrograd's `alpha * sum((p*p for p in model.parameters()))`, term by term.

    >>> l2_penalty([Value(3.0), Value(-4.0)], 0.01)
    Value(data=0.25, grad=0.0)

    The lectures' λ/(2m) Σ Θ² leaves the biases out: pass only the weights, not
    `model.parameters()`.

    >>> from nn import MLP
    >>> model, lam, m = MLP(3, [3, 3], 1), 1.0, 5
    >>> weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    >>> len(weights), len(model.parameters())
    (3, 6)
    >>> penalty = l2_penalty(weights, lam / (2 * m))

    Its gradient is 2·alpha·p, so `SGD(..., weight_decay=2 * alpha)` takes the same steps
    without the term in the loss. That is also the way to search alpha with `GridSearch`: a
    loss with the penalty in it scores the penalty too, and a plain function (a lambda) that
    adds it declares no task, so the search would rank by that penalised loss.

    >>> from nn.optim import SGD
    >>> w, v = Value(3.0), Value(3.0)
    >>> l2_penalty([w], 0.05).backward(); SGD([w], lr=0.1).step()   # g = 2 · 0.05 · 3
    >>> SGD([v], lr=0.1, weight_decay=0.1).step()                   # g = 0 + 0.1 · 3
    >>> round(w.data, 12), round(v.data, 12)
    (2.97, 2.97)
    """
    if isinstance(parameters, Module):
        raise TypeError(f"l2_penalty: got the module {type(parameters).__name__}; pass its "
                        f"parameters: l2_penalty(model.parameters(), alpha)")
    if isinstance(parameters, numbers.Number):
        raise TypeError(f"l2_penalty: the parameters come first, then alpha: "
                        f"l2_penalty(model.parameters(), {parameters!r})")
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

def _tensor(name: str, x: Any, values_too: bool = False) -> Tensor:
    """`x` as a Tensor for `name`, whose error names what it takes: a flat list of Values too
    when `values_too` (the losses that take them come here only with something else)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Value):
        raise TypeError(f"{name}: expects a Tensor, got a Value")
    try:
        return Tensor(x)
    except TypeError:
        if not values_too and holds_values(x):
            raise values_list_error(name) from None
        takes = "a Tensor, an array or a flat list of Values" if values_too else \
            "a Tensor or an array"
        raise TypeError(f"{name}: expects {takes}, got {type(x).__name__}") from None


def _tensor_pair(name: str, pred: Any, target: Any) -> tuple[Tensor, Any]:
    """Prediction as a Tensor and target as a Tensor or an array of its dtype, same shapes."""
    pred = _tensor(name, pred, values_too=True)
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


# a log-probability is at most 0; this slack lets log(p) of a p rounded just above 1 through
_LOG_PROB_SLACK = 1e-4


def _check_log_probabilities(log_probs: Tensor) -> None:
    """Log-probabilities are <= 0; probabilities (softmax's output) and logits (raw scores)
    are not, and nll_loss of them is a number without meaning that still trains, badly."""
    # `not max > slack`, not `max <= slack`: NaN log-probabilities (training that diverged)
    # pass, to give the NaN loss that `fit` reports as divergence
    if not log_probs.data.size or not log_probs.data.max() > _LOG_PROB_SLACK:
        return
    low, high = float(log_probs.data.min()), float(log_probs.data.max())
    what = "probabilities (softmax's output?)" if low >= 0 and high <= 1 else "logits?"
    raise ValueError(f"nll_loss: log_probs must be log-probabilities (<= 0), got values in "
                     f"[{low:.4g}, {high:.4g}], {what}; pass nll_loss(log_softmax(logits), "
                     f"labels), or cross_entropy(logits, labels)")


def _check_signs(labels: Any) -> None:
    labels = np.asarray(labels)
    if not (np.abs(labels) == 1).all():
        found = np.unique(labels)
        shown = ", ".join(str(v) for v in found[:5]) + (", ..." if found.size > 5 else "")
        raise ValueError(f"hinge_loss: labels must be -1 or +1, got values {{{shown}}} "
                         f"(for 0/1 labels use 2 * y - 1)")


# ----------------------------------------------------------------------------------------------
# What each loss serves (read by fit, evaluate, cross_validate and GridSearch; see nn.scoring)
# ----------------------------------------------------------------------------------------------

declare_loss("regression")(mse_loss)
declare_loss("regression")(l1_loss)
declare_loss("binary", to_labels="probability")(binary_cross_entropy)
declare_loss("binary", to_labels="logit")(binary_cross_entropy_with_logits)
declare_loss("multiclass", to_labels="argmax")(cross_entropy)
declare_loss("multiclass", to_labels="argmax")(nll_loss)
declare_loss("binary", to_labels="sign")(hinge_loss)
