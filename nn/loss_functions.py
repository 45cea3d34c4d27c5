"""The loss functions of regression and classification, the lectures' and PyTorch's:
`mse_loss`, `l1_loss`, `nll_loss`, `ctc_loss`, `hinge_loss`, the penalties `l2_penalty` and
`l1_penalty`, `smooth_l1_loss`, `huber_loss`, `gaussian_nll_loss`, `poisson_nll_loss` and
`kl_div`, with the helpers every loss shares (a prediction and its target as Tensors of one
shape, ±1 labels, log-probabilities). The fused ones, `cross_entropy` and both binary
cross-entropies, live in the engine (`autograd.functional`); the margin losses in
`nn.margin_losses`; their modules (`MSELoss`, ...) in `nn.losses`. `nn.functional` re-exports
them all, and its docstring says what they share (reductions, Values, tasks).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable

import numpy as np

from autograd import Tensor, Value, where
from autograd.graph import apply
from autograd.ops.elementwise import Huber, SmoothL1
from autograd.ops.ctc import CTCCtx, CTCLoss as CTCLossOp
# one place for the reduction rules, label checks and Value-list helpers, shared with the
# losses that live in the engine (the fused ones, which also take lists of Values)
from autograd.functional import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
)
from autograd.functional.arguments import (
    _floating, _is_int, _real, holds_values, integer_array, tensors_among_items_error,
    values_list_error,
)
from autograd.functional.loss_arguments import (_check_reduction, _constant_numbers, _reduce,
                                                refuses_old_reduction_options)
from autograd.functional.classification import (
    _class_labels, class_options, class_rows, kept_labels, refuse_swapped_labels,
)
from autograd.functional.value_losses import (
    _is_values, _raw, _reduce_values, _target_number, _value_pairs,
)
from autograd.warn import warn

from .module import Module
from .scoring import declare_loss

__all__ = ["mse_loss", "l1_loss", "nll_loss", "ctc_loss", "hinge_loss", "l2_penalty", "l1_penalty",
           "smooth_l1_loss", "huber_loss", "gaussian_nll_loss", "poisson_nll_loss", "kl_div"]


Loss = Any          # a Tensor, a Value, or (reduction="none" on Values) a list of Values


# ----------------------------------------------------------------------------------------------
# Regression losses
# ----------------------------------------------------------------------------------------------

@refuses_old_reduction_options
def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Loss:
    """Mean squared error: (pred - target)² averaged (or summed, or kept per element); its
    gradient is 2 (pred - target) / n for the mean.

    >>> from autograd import Tensor
    >>> pred = Tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> loss = mse_loss(pred, [1.0, 1.0, 1.0])
    >>> loss
    Tensor(3.3333333, op=mean)
    >>> loss.backward()
    >>> pred.grad
    array([0.       , 0.6666667, 2.       ], dtype=float32)
    """
    _check_reduction("mse_loss", reduction)
    if _is_values(pred):
        return _reduce_values([(p - t) ** 2 for p, t in _value_pairs("mse_loss", pred, target)],
                              reduction)
    pred, target = _tensor_pair("mse_loss", pred, target)
    return _reduce((pred - target) ** 2, reduction, "mse_loss")


@refuses_old_reduction_options
def l1_loss(pred: Any, target: Any, reduction: str = "mean") -> Loss:
    """Mean absolute error |pred - target| (its gradient at pred == target is 0).

    >>> from autograd import Tensor
    >>> pred = Tensor([2.0, -2.0, 0.0, 0.0], requires_grad=True)
    >>> loss = l1_loss(pred, [0.0, 0.0, 0.0, 0.0])          # (2 + 2) / 4
    >>> loss.backward()
    >>> loss, pred.grad                                      # sign(pred - target) / n
    (Tensor(1., op=mean), array([ 0.25, -0.25,  0.  ,  0.  ], dtype=float32))
    """
    _check_reduction("l1_loss", reduction)
    if _is_values(pred):
        return _reduce_values([abs(p - t) for p, t in _value_pairs("l1_loss", pred, target)],
                              reduction)
    pred, target = _tensor_pair("l1_loss", pred, target)
    return _reduce(abs(pred - target), reduction, "l1_loss")


# ----------------------------------------------------------------------------------------------
# Classification losses
# ----------------------------------------------------------------------------------------------

@refuses_old_reduction_options
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
    refuse_swapped_labels(name, "log_probs", log_probs, labels)
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


@refuses_old_reduction_options
def ctc_loss(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification: -log p(target), p the sum over every alignment
    of the target to the T steps (blanks around and between its labels, each label held one
    step or more) of the product of the probabilities it picks; PyTorch's arguments and meaning.

    - `log_probs` (T, N, C), time first, from `log_softmax(..., dim=2)`; or one sequence (T, C).
    - `targets`: labels in [0, C) other than `blank`, padded (N, S) (past its length a row's
      entries are not read), or all N concatenated in one 1-d array; (S,) for one sequence.
    - `input_lengths`, `target_lengths` (N,) integers (a number each for one sequence): the
      steps of each input that count (<= T), the labels of each target.
    - `reduction`: "mean" divides each loss by its target's length (1 for an empty target),
      then averages over the batch; "sum" adds them; "none" gives the N losses.
    - `zero_infinity`: a target that no alignment fits (too long for its input: a repeated
      label needs a blank between its copies) costs inf and gives a NaN gradient; with True, 0
      and a zero gradient.

    >>> T, C = 4, 3
    >>> log_probs = Tensor(np.full((T, 1, C), np.log(1 / 3)), requires_grad=True)
    >>> loss = ctc_loss(log_probs, [[1, 2]], [T], [2], reduction="sum")
    >>> round(loss.item(), 4)             # 15 alignments of "1 2" in 4 steps, each (1/3)⁴
    1.6864
    >>> loss.backward()
    >>> log_probs.grad[:, 0].round(3)     # minus the share of alignments with c at step t
    array([[-0.333, -0.667,  0.   ],
           [-0.267, -0.533, -0.2  ],
           [-0.267, -0.2  , -0.533],
           [-0.333,  0.   , -0.667]])

    The gradient is the true one with respect to `log_probs` (PyTorch's is not: it assumes
    they came from log_softmax); through log_softmax both give the same logits' gradient. It
    can be recorded (backward(create_graph=True)) but not differentiated again. Stricter than
    PyTorch: target labels equal to `blank` or outside [0, C) are errors, not wrong numbers.
    """
    name = "ctc_loss"
    _check_reduction(name, reduction)
    if not isinstance(zero_infinity, (bool, np.bool_)):
        raise TypeError(f"{name}: zero_infinity must be True or False, got {zero_infinity!r}")
    if isinstance(log_probs, Value) or _is_values(log_probs):
        raise TypeError(f"{name}: log_probs must be a Tensor (T, N, C), got Values")
    log_probs = log_probs if isinstance(log_probs, Tensor) else Tensor(np.asarray(log_probs))
    if log_probs.dtype.kind != "f":
        raise TypeError(f"{name}: log_probs must be floating point (log_softmax of the model's "
                        f"outputs), got dtype {log_probs.dtype}, shape {log_probs.shape}")
    one = log_probs.ndim == 2
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"{name}: log_probs must be (T, N, C), time first, or one sequence "
                         f"(T, C), got shape {log_probs.shape}")
    steps, n, classes = (log_probs.shape[0], 1, log_probs.shape[1]) if one else log_probs.shape
    if not _is_int(blank) or not 0 <= blank < classes:
        raise ValueError(f"{name}: blank must be a class in [0, {classes}) (C = {classes} "
                         f"classes in log_probs {log_probs.shape}), got {blank!r}")
    targets = integer_array(name, "targets", targets)
    # batch-first outputs (N, T, C) have their N where T belongs: say so, not only the count
    hint = (f"; log_probs {log_probs.shape} is read time first (T, N, C): for batch-first "
            f"outputs (N, T, C) pass log_probs.transpose(0, 1)") if not one else ""
    input_lengths = _ctc_lengths(name, "input_lengths", input_lengths, n, one, hint)
    target_lengths = _ctc_lengths(name, "target_lengths", target_lengths, n, one, hint)
    if input_lengths.max(initial=0) > steps:
        raise ValueError(f"{name}: input_lengths must be at most T = {steps} (log_probs "
                         f"{log_probs.shape}), got {input_lengths.max()}")
    padded = _ctc_padded_targets(name, targets, target_lengths, n, one)
    counted = padded[np.arange(padded.shape[1]) < target_lengths[:, None]]
    if counted.size and (counted.min() < 0 or counted.max() >= classes):
        raise ValueError(f"{name}: targets must be labels in [0, {classes}) (C = {classes} "
                         f"classes in log_probs {log_probs.shape}), got values in "
                         f"[{counted.min()}, {counted.max()}]")
    if (counted == blank).any():
        raise ValueError(f"{name}: targets must not contain the blank label {blank} (it marks "
                         f"'no label' between labels); number the labels apart from it (with "
                         f"blank=0, labels from 1: targets + 1, and C = labels + 1 outputs)")
    _check_log_probs(name, "log_probs", log_probs.data,
                     "pass log_softmax(logits, dim=2), the model's outputs made log-probabilities")
    batch = log_probs.reshape(steps, 1, classes) if one else log_probs
    ctx = CTCCtx(padded, input_lengths, target_lengths, int(blank), bool(zero_infinity))
    losses = apply(CTCLossOp, (batch,), ctx)
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        if n == 0:                  # (numpy's mean of nothing: NaN and a warning)
            raise ValueError(f"{name}: the mean over 0 sequences is undefined (empty batch, "
                             f"log_probs {log_probs.shape})")
        per_label = np.maximum(target_lengths, 1).astype(losses.dtype)
        return (losses / per_label).mean()
    return losses.reshape(()) if one else losses


def _ctc_lengths(name: str, what: str, lengths: Any, n: int, one: bool, hint: str
                 ) -> np.ndarray:
    """One length >= 0 per sequence, as an (N,) array: a number for one sequence, else (N,)."""
    array = integer_array(name, what, lengths)
    if one and array.size == 1:
        array = array.reshape(1)
    if array.shape != (n,):
        expected = "a number (one sequence)" if one else f"({n},), one per sequence"
        raise ValueError(f"{name}: {what} must be {expected}, got shape {array.shape}{hint}")
    if array.size and array.min() < 0:
        raise ValueError(f"{name}: {what} must be >= 0, got {array.min()}")
    return array


def _ctc_padded_targets(name: str, targets: np.ndarray, lengths: np.ndarray, n: int,
                        one: bool) -> np.ndarray:
    """The targets as (N, S) rows, each row's first target_lengths[n] entries its labels."""
    longest = int(lengths.max(initial=0))
    if one or targets.ndim == 1:
        if one and targets.ndim != 1:
            raise ValueError(f"{name}: one sequence's targets must be 1-d (S,), got shape "
                             f"{targets.shape}")
        if one:
            if len(targets) < longest:
                raise ValueError(f"{name}: target_lengths is {longest} but the targets hold "
                                 f"{len(targets)} labels")
            return targets.reshape(1, -1)
        total = int(lengths.sum())
        if len(targets) != total:
            raise ValueError(f"{name}: 1-d targets are all the sequences' labels concatenated, "
                             f"so their length must be sum(target_lengths) = {total}, got "
                             f"{len(targets)} (for padded targets pass an (N, S) array)")
        padded = np.zeros((n, longest), dtype=targets.dtype)
        padded[np.arange(longest) < lengths[:, None]] = targets
        return padded
    if targets.ndim != 2 or len(targets) != n:
        raise ValueError(f"{name}: targets must be padded (N, S) = ({n}, S) or 1-d "
                         f"(concatenated), got shape {targets.shape} for N = {n} sequences")
    if targets.shape[1] < longest:
        raise ValueError(f"{name}: target_lengths goes up to {longest}, longer than the padded "
                         f"targets {targets.shape}")
    return targets


@refuses_old_reduction_options
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
        # number labels: the demo's own expression, 1 + (-y)s, which is 1 - ys to the bit
        # (negation is exact) without a constant Value for the 1; a label Value stays an input
        # (-y would be a number computed from it alone, which compile's replays keep)
        return _reduce_values([(1 - y * s if isinstance(y, Value) else 1 + -y * s).relu()
                               for s, y in pairs], reduction)
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

    That term goes with the lectures' cost, whose squared error carries a ½:
    `0.5 * mse_loss(out, y) + penalty` (or `mse_loss(out, y) + l2_penalty(weights, lam / m)`);
    added to `mse_loss` as it is, it regularises half as much. Cross-entropy has no ½.

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
    params = _penalised("l2_penalty", parameters, alpha)
    return alpha * sum(p * p if isinstance(p, Value) else (p * p).sum() for p in params)


def l1_penalty(parameters: Iterable[Any], alpha: float) -> Any:
    """alpha · Σ |p| over the parameters given (Values or Tensors): L1 regularisation (the
    lasso's term) added to a loss, the counterpart of `l2_penalty`. As there, pass the weights
    only, not the biases:

    >>> from autograd import no_grad
    >>> from nn import Linear
    >>> layer = Linear(2, 1)
    >>> with no_grad(): _ = layer.weight.copy_([[3.0, -4.0]])
    >>> round(l1_penalty([layer.weight], 0.01).item(), 6)      # 0.01 · (3 + 4)
    0.07

    Its gradient is alpha·sign(p) (0 at p = 0). Plain (sub)gradient descent therefore moves a
    weight by lr·alpha a step whatever its size: a weight that should be 0 hovers around 0,
    stepping across it, rather than landing on exactly 0 (a proximal or soft-thresholding step
    would; threshold small weights after training for a truly sparse model):

    >>> from nn.optim import SGD
    >>> w = Value(0.035); optimizer = SGD([w], lr=0.1)
    >>> for _ in range(6):
    ...     optimizer.zero_grad(); l1_penalty([w], 0.1).backward(); optimizer.step()
    >>> round(w.data, 6)                                  # 0.025, 0.015, 0.005, -0.005, ...
    -0.005
    """
    params = _penalised("l1_penalty", parameters, alpha)
    return alpha * sum(abs(p) if isinstance(p, Value) else p.abs().sum() for p in params)


def _penalised(name: str, parameters: Iterable[Any], alpha: float) -> list[Any]:
    """The parameters of a penalty `name` as a list, checked with `alpha`."""
    if isinstance(parameters, Module):
        raise TypeError(f"{name}: got the module {type(parameters).__name__}; pass its "
                        f"parameters: {name}(model.parameters(), alpha)")
    if isinstance(parameters, numbers.Number):
        raise TypeError(f"{name}: the parameters come first, then alpha: "
                        f"{name}(model.parameters(), {parameters!r})")
    if callable(parameters) and not isinstance(parameters, Iterable):    # model.parameters
        raise TypeError(f"{name}: got the method {getattr(parameters, '__name__', 'parameters')} "
                        f"itself; call it: {name}(model.parameters(), alpha)")
    params = list(parameters)
    if not params:
        raise ValueError(f"{name}: got no parameters")
    if not isinstance(alpha, numbers.Real) or not alpha >= 0:
        raise ValueError(f"{name}: alpha must be a number >= 0, got {alpha!r}")
    for p in params:
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
            raise TypeError(f"{name}: got (name, parameter) pairs ({p[0]!r}, "
                            f"{type(p[1]).__name__} ...); pass the parameters: [p for name, p in "
                            f"model.named_parameters() if name.endswith('weight')]")
        if isinstance(p, str):      # a state_dict: its names (its Tensors are detached copies)
            raise TypeError(f"{name}: got the name {p!r}; pass the parameters themselves, "
                            f"model.parameters() (a model.state_dict()'s tensors are detached: "
                            f"a penalty of them would train nothing)")
        if not isinstance(p, (Value, Tensor)):
            raise TypeError(f"{name}: parameters must be Values or Tensors, got "
                            f"{type(p).__name__}")
    return params


# ----------------------------------------------------------------------------------------------
# More losses: PyTorch's, for Tensors
# ----------------------------------------------------------------------------------------------

@refuses_old_reduction_options
def smooth_l1_loss(pred: Any, target: Any, reduction: str = "mean", *, beta: float = 1.0
                   ) -> Tensor:
    """0.5 d² / β where |d| < β, else |d| - 0.5 β, for d = pred - target: quadratic near 0,
    linear (slope ±1) beyond β, so outliers pull no harder than in `l1_loss`. β = 0 is
    `l1_loss`. PyTorch's `beta` is a keyword here (as every loss's options).

    >>> smooth_l1_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").numpy()
    array([0.125, 2.5  ], dtype=float32)
    """
    return _quadratic_then_linear("smooth_l1_loss", pred, target, reduction, "beta", beta)


@refuses_old_reduction_options
def huber_loss(pred: Any, target: Any, reduction: str = "mean", *, delta: float = 1.0
               ) -> Tensor:
    """0.5 d² where |d| < δ, else δ (|d| - 0.5 δ), for d = pred - target: δ · smooth_l1_loss
    with β = δ (slope ±δ beyond δ). δ must be > 0.

    >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none", delta=2.0).numpy()
    array([0.125, 4.   ], dtype=float32)
    """
    return _quadratic_then_linear("huber_loss", pred, target, reduction, "delta", delta)


def _quadratic_then_linear(name: str, pred: Any, target: Any, reduction: str, what: str,
                           width: Any) -> Tensor:
    """smooth_l1 (what="beta") or huber (what="delta"): quadratic where |d| < width, linear
    beyond, each written as PyTorch computes it."""
    _check_reduction(name, reduction)
    width = checked_width(name, what, width)
    pred, target = _float_pair(name, pred, target)
    d = pred - target
    if width == 0:                                  # smooth_l1 with β = 0: the L1 loss
        return _reduce(d.abs(), reduction, name)
    # one op (the square taken of |d| capped at the width: no overflow, slopes ±1 or ±δ at ±inf)
    loss = apply(SmoothL1 if what == "beta" else Huber, (d,), width)
    return _reduce(loss, reduction, name)


def checked_width(name: str, what: str, value: Any) -> float:
    """smooth_l1's beta (>= 0) or huber's delta (> 0, as PyTorch asks), or an error naming
    `name` (the function or the module).

    >>> checked_width("HuberLoss", "delta", 0)
    Traceback (most recent call last):
    ValueError: HuberLoss: delta must be > 0 (where the loss turns from quadratic to ...), got 0.0
    """
    value = _real(name, what, value)
    if value < 0 or (what == "delta" and value == 0):
        least = ">= 0" if what == "beta" else "> 0"
        raise ValueError(f"{name}: {what} must be {least} (where the loss turns from quadratic "
                         f"to linear), got {value}")
    return value


@refuses_old_reduction_options
def gaussian_nll_loss(pred: Any, target: Any, var: Any, *, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of `target` under N(pred, var), PyTorch's:
    0.5 (ln v + (pred - target)² / v) per element, v = max(var, eps), plus 0.5 ln 2π if `full`.

    `var` is a number, or a Tensor (which may be learned) of pred's shape, of pred's shape
    without its last axis (one variance per row), or of pred's shape with one axis of size 1.
    It must be >= 0. As in PyTorch, the clamp at eps passes the gradient on unchanged (it is
    made under no_grad there), so a variance that went below eps still learns.

    >>> gaussian_nll_loss(Tensor([1.0, 2.0]), [1.0, 0.0], 4.0, reduction="none").numpy()
    array([0.6931472, 1.1931472], dtype=float32)
    >>> # 0.5 (ln 4 + 0), 0.5 (ln 4 + 4 / 4)
    """
    name = "gaussian_nll_loss"
    _check_reduction(name, reduction)
    eps = _real(name, "eps", eps)
    pred, target = _float_pair(name, pred, target)
    v = _variance(name, var, pred, eps)
    loss = ((v.log() if isinstance(v, Tensor) else np.log(v)) + (pred - target) ** 2 / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, name)


def _variance(name: str, var: Any, pred: Tensor, eps: float) -> Any:
    """`var` clamped at eps, shaped to broadcast against `pred` by PyTorch's rules: a constant
    array, or (var requires grad) var plus the constant that lifts it to eps."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{name}: var must be >= 0, got {var}")
        return np.asarray(max(var, eps), dtype=pred.dtype)
    data = var.data if isinstance(var, Tensor) else _constant_numbers(name, "var", var)
    if data.shape != pred.shape:
        differ = [i for i, (m, n) in enumerate(zip(data.shape, pred.shape)) if m != n]
        if pred.ndim and data.shape == pred.shape[:-1]:         # one variance per row
            data = data[..., None]
            var = var.reshape(data.shape) if isinstance(var, Tensor) else data
        elif not (data.ndim == pred.ndim and len(differ) == 1 and data.shape[differ[0]] == 1):
            raise ValueError(f"{name}: var has shape {data.shape}; for pred of shape "
                             f"{pred.shape} it must have that shape, or {pred.shape[:-1]} "
                             f"(one variance per row), or that shape with one axis of size 1")
    if data.size and not data.min() >= 0:
        raise ValueError(f"{name}: var must be >= 0, got values down to {data.min()}")
    lifted = np.maximum(data, eps).astype(pred.dtype, copy=False)
    if isinstance(var, Tensor) and var.requires_grad:
        return var + (lifted - data)        # the clamp's number, and the gradient of var
    return lifted


@refuses_old_reduction_options
def poisson_nll_loss(pred: Any, target: Any, reduction: str = "mean", *,
                     log_input: bool = True, full: bool = False, eps: float = 1e-8) -> Tensor:
    """The negative log-likelihood of counts `target` under Poisson(λ), without the constant
    ln(target!): e^pred - target · pred with log_input=True (pred is ln λ), else
    pred - target · ln(pred + eps) (pred is λ). `full` adds Stirling's approximation of
    ln(target!), target ln target - target + 0.5 ln(2π target), where target > 1. The options
    are keywords here (PyTorch's third argument is log_input; ours is `reduction`).

    >>> poisson_nll_loss(Tensor([0.0, np.log(2.0)]), [1.0, 3.0], reduction="none").numpy()
    array([ 1.        , -0.07944155], dtype=float32)
    >>> # e^0 - 1 · 0, 2 - 3 ln 2
    """
    name = "poisson_nll_loss"
    _check_reduction(name, reduction)
    eps = _real(name, "eps", eps)
    pred, target = _float_pair(name, pred, _constant_numbers(name, "target", target, pred))
    loss = pred.exp() - target * pred if log_input else pred - target * (pred + eps).log()
    if full:
        above = target > 1
        t = np.where(above, target, 1)
        loss = loss + np.where(above, t * np.log(t) - t + 0.5 * np.log(2 * math.pi * t), 0)
    return _reduce(loss, reduction, name)


_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


@refuses_old_reduction_options
def kl_div(input: Any, target: Any, reduction: str = "mean", *, log_target: bool = False
           ) -> Tensor:
    """The Kullback-Leibler divergence KL(target ‖ q) of PyTorch, from log-probabilities
    `input` = ln q: target · (ln target - input) per element (0 where target = 0), or with
    log_target=True (target given as ln p) e^target · (target - input) (0 where
    target = -inf, the same p = 0). A target may be
    learned (a Tensor that requires grad); where it is 0, its t ln t counts with slope 0
    (PyTorch's slope there is NaN).

    reduction="batchmean" (sum / batch size) is the KL divergence of each sample, averaged;
    "mean" (PyTorch's default) divides by the number of elements, batch × classes, which is
    not, so it warns, as PyTorch does. The input must be log-probabilities (<= 0): pass
    log_softmax(logits), not probabilities.

    >>> q = Tensor([[0.5, 0.5]]).log()
    >>> round(kl_div(q, [[0.75, 0.25]], reduction="batchmean").item(), 4)
    0.1308
    >>> # 0.75 ln(0.75 / 0.5) + 0.25 ln(0.25 / 0.5)
    """
    name = "kl_div"
    if not (isinstance(reduction, str) and reduction in _KL_REDUCTIONS):
        raise ValueError(f"{name}: reduction must be one of {_KL_REDUCTIONS}, got "
                         f"{reduction!r}")
    input, target = _float_pair(name, input, target)
    _check_log_probs(name, "input", input.data, "pass log_softmax(logits) (or probs.log())")
    t = _raw(target)
    if log_target:
        _check_log_probs(name, "target", t, "or pass log_target=False for probabilities")
        positive = t != -np.inf             # ln p = -inf is p = 0, which costs 0 (as below)
    else:
        if t.size and not t.min() >= 0:
            raise ValueError(f"{name}: target must be probabilities (>= 0), got values down "
                             f"to {t.min():.4g}; for log-probabilities pass log_target=True")
        positive = t > 0
    # a class the target gives 0 costs 0 though its log-probability is -inf (masked): the
    # input is 0 there, as 0 · -inf would be NaN (elsewhere it is itself, slope and all)
    input = where(positive | (input.data != -np.inf), input, 0.0)
    if log_target:
        # e^ln p (ln p - input), with ln p = -inf read as 0 and its term selected away: else
        # e^-inf · (-inf - input) = 0 · -inf is NaN, where the target's p is 0
        if isinstance(target, Tensor):      # a target that is learned: its gradient flows
            log_p = where(positive, target, 0.0)
            loss = log_p.exp() * (log_p - input)
        else:
            log_p = np.where(positive, t, 0)
            loss = np.exp(log_p) * (log_p - input)
        if not positive.all():
            loss = where(positive, loss, 0.0)
    else:
        if isinstance(target, Tensor):      # a target that is learned: t ln t as its ops
            loss = target * (where(positive, target, 1.0).log() - input)
        else:                               # 0 ln 0 = 0, as PyTorch's xlogy
            t_log_t = np.where(positive, t * np.log(np.where(positive, t, 1)), 0)
            loss = t_log_t - t * input
    if reduction == "batchmean":
        if loss.ndim and not loss.shape[0]:
            raise ValueError(f"{name}: the batch is empty (input of shape {input.shape})")
        return loss.sum() / loss.shape[0] if loss.ndim else loss.sum()
    if reduction == "mean":
        warn(f"{name}: reduction='mean' divides the sum by every element's count "
             f"(batch × classes), which is not the KL divergence; "
             f"reduction='batchmean' divides by the batch size and is (PyTorch gives "
             f"this warning too)", UserWarning)
    return _reduce(loss, reduction, name)


def _check_log_probs(name: str, what: str, data: np.ndarray, fix: str) -> None:
    """Log-probabilities are <= 0 (NaN passes, to give the NaN loss that `fit` reports)."""
    if data.size and data.max() > _LOG_PROB_SLACK:
        looks = ", probabilities?" if data.min() >= 0 and data.max() <= 1 else ""
        raise ValueError(f"{name}: {what} must be log-probabilities (<= 0), got values up to "
                         f"{data.max():.4g}{looks}; {fix}")


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
    except (ValueError, RuntimeError):      # Tensors among a list's items: name the loss
        error = tensors_among_items_error(name, x) if isinstance(x, (list, tuple)) else None
        if error is None:
            raise
        raise error from None
    except TypeError:
        if not values_too and holds_values(x):
            raise values_list_error(name) from None
        takes = "a Tensor, an array or a flat list of Values" if values_too else \
            "a Tensor or an array"
        raise TypeError(f"{name}: expects {takes}, got {type(x).__name__}") from None


def _tensor_pair(name: str, pred: Any, target: Any) -> tuple[Tensor, Any]:
    """Prediction as a Tensor and target as a Tensor or an array of its dtype, same shapes."""
    pred = _tensor(name, pred, values_too=True)
    if pred.dtype.kind == "b" and np.asarray(getattr(target, "data", target)).dtype.kind == "b":
        raise TypeError(f"{name}: the prediction and the target are both bool tensors, which "
                        f"have no difference; convert first: pred.float()")
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


def _check_signs(labels: Any, name: str = "hinge_loss") -> None:
    labels = np.asarray(labels)
    if not (np.abs(labels) == 1).all():
        found = np.unique(labels)
        shown = ", ".join(str(v) for v in found[:5]) + (", ..." if found.size > 5 else "")
        raise ValueError(f"{name}: labels must be -1 or +1, got values {{{shown}}} "
                         f"(for 0/1 labels use 2 * y - 1)")


def _float_pair(name: str, pred: Any, target: Any) -> tuple[Tensor, Any]:
    """`pred` as a floating Tensor (an integer one in the default dtype; Values refused) and
    `target` as a Tensor or an array of its dtype, of the same shape."""
    return _tensor_pair(name, _floating(name, pred), target)


# ----------------------------------------------------------------------------------------------
# What each loss serves (read by fit, evaluate, cross_validate and GridSearch; see nn.scoring)
# ----------------------------------------------------------------------------------------------

declare_loss("regression")(mse_loss)
declare_loss("regression")(l1_loss)
declare_loss("binary", to_labels="probability")(binary_cross_entropy)
declare_loss("binary", to_labels="logit")(binary_cross_entropy_with_logits)
declare_loss("multiclass", to_labels="argmax")(cross_entropy)
declare_loss("multiclass", to_labels="argmax")(nll_loss)
# their weight= makes the mean Σ w[y] l / Σ w[y]: fit and evaluate weigh batches by Σ w[y]
cross_entropy.weighted_mean = nll_loss.weighted_mean = True
declare_loss("binary", to_labels="sign")(hinge_loss)
declare_loss("regression")(smooth_l1_loss)
declare_loss("regression")(huber_loss)
declare_loss("regression")(gaussian_nll_loss)
declare_loss("regression")(poisson_nll_loss)
