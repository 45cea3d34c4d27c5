"""The classification losses: `cross_entropy` (softmax over classes, from logits) and the binary
cross-entropies, `binary_cross_entropy` (of probabilities) and
`binary_cross_entropy_with_logits`, with the checks of their labels, targets and PyTorch's
options (`class_rows` for the other shapes, `class_options`, `kept_labels`). Each is one fused
op, in autograd/ops/fused.py (`CrossEntropy`, `BinaryCrossEntropy`,
`BinaryCrossEntropyWithLogits`: the gradient right under the forward); the binary ones also
take a list of Values (functional/value_losses.py).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..graph import apply
from ..ops import CrossEntropy
from ..ops.fused import (
    BCEWithLogitsCtx, BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropyCtx,
)
from ..tensor import Tensor, get_default_dtype
from ..value import Value
from .arguments import _floating, _is_int
from .loss_arguments import (
    _check_reduction, _constant_numbers, _constant_target, _reduce, _warn_if_made_by,
    broadcast_constant, refuses_old_reduction_options,
)
from .value_losses import (
    _check_range, _clamped_log, _complement, _is_values, _reduce_values, _softplus,
    _target_number, _value_pairs, _value_weights, _weighted,
)

_REDUCTIONS = ("mean", "sum", "none")


def _class_labels(name: str, labels: np.ndarray, n: int, c: int,
                  ignore_index: int | None = None) -> np.ndarray | None:
    """`labels` checked as N integer class indices in [0, C); returns where each row's target
    sits in the flattened (N, C) scores: row * C + label (one flat index picks it). None when
    some labels equal `ignore_index` outside [0, C) (PyTorch's -100): rows to leave out, which
    the caller handles with `kept_labels`."""
    _check_label_shape(name, labels, n)
    try:                            # checks 0 <= label < C on the way (negatives included)
        return np.ravel_multi_index((np.arange(n), labels), (n, c))
    except ValueError:
        if ignore_index is not None and (labels == ignore_index).any():
            return None
        _refuse_label_range(name, labels, c)


def kept_labels(name: str, labels: np.ndarray, n: int, c: int, ignore_index: int) -> np.ndarray:
    """Which of the N labels count (those not equal to `ignore_index`), the others checked to be
    class indices in [0, C), as PyTorch checks them; a boolean mask of the rows."""
    _check_label_shape(name, labels, n)
    kept = labels != ignore_index
    counted = labels[kept]
    if counted.size and not (counted.min() >= 0 and counted.max() < c):
        _refuse_label_range(name, counted, c, f" or equal to ignore_index={ignore_index}")
    return kept


def _check_label_shape(name: str, labels: np.ndarray, n: int) -> None:
    """N integer labels, one per row; else an error that names the likely mix-up."""
    if labels.dtype.kind not in "iu":
        fraction = labels[np.isfinite(labels) & (labels != np.round(labels))] \
            if labels.dtype.kind == "f" else ()
        fix = ("class names: number them, classes, labels = np.unique(names, "
               "return_inverse=True)" if labels.dtype.kind in "USO" else
               # astype(int) would cut a regression target's 2.7 into class 2 without a word
               f"values such as {fraction[0]:.6g} are not class labels: a regression "
               f"target? use mse_loss on one output per sample" if len(fraction) else
               "convert with labels.astype(int)")
        raise TypeError(f"{name}: class labels must be integers, got dtype {labels.dtype} "
                        f"({fix})")
    if labels.ndim == 2 and labels.shape[1] > 1:
        raise ValueError(f"{name}: the labels have shape {labels.shape}, like one-hot rows; "
                         f"it needs one class index per row, shape ({n},): pass "
                         f"labels.argmax(1)")
    if labels.shape != (n,):
        if labels.ndim == 1:
            raise ValueError(f"{name}: {labels.shape[0]} labels for {n} rows of scores")
        hint = " (labels as a column: use labels.reshape(-1))" if labels.shape == (n, 1) else ""
        raise ValueError(f"{name}: labels of shape {labels.shape} for {n} rows of scores: it "
                         f"needs one class index per row, shape ({n},){hint}")


def _refuse_label_range(name: str, labels: np.ndarray, c: int, note: str = "") -> None:
    low, high = int(labels.min()), int(labels.max())    # (uint8's 255 + 1 would wrap to 0)
    hint = _label_range_hint(low, high, c)
    raise ValueError(f"{name}: labels must be in [0, {c}){note}, got values in "
                     f"[{low}, {high}]{hint}") from None


def _label_range_hint(low: int, high: int, c: int) -> str:
    """The likely cause of labels outside [0, C): numbered from 1, a segmentation mask's 255
    ("do not care") without ignore_index, or a model with too few outputs (one column: a binary
    model given to a multiclass loss)."""
    if low == 1 and high == c:
        return " (labels numbered from 1? pass y - 1)"
    if low < 0:
        return ""
    if c == 1:
        return (" (one column of scores: for two classes use binary_cross_entropy_with_logits, "
                "or a model with 2 outputs)")
    # (VOC-style segmentation masks mark the pixels to skip with 255)
    skip = "; if 255 marks pixels to skip, as in segmentation masks, pass ignore_index=255" \
        if high == 255 else ""
    return (f" ({c} columns of scores, but label {high} needs {high + 1}: does the model have "
            f"one output per class?{skip})")


@refuses_old_reduction_options
def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean", *, weight: Any = None,
                  ignore_index: int = -100, label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy from logits (N, C), fused and stable; gradient softmax - target.

    `target` is class indices (N,) (ints) or a probability / one-hot array (N, C), its values
    in [0, 1] (logits there, the arguments swapped, are an error). A target
    Tensor of probabilities that requires grad gets a gradient too: -log_softmax(logits)
    (divided by N for the mean).

    >>> z = Tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> loss = cross_entropy(z, [0, 0])
    >>> loss.backward()
    >>> round(loss.item(), 4), z.grad.round(4)          # grad = (softmax(z) - onehot) / N
    (1.1269, array([[-0.0596,  0.0596],
                    [-0.4404,  0.4404]], dtype=float32))

    PyTorch's options, with its meaning (keywords here; `reduction` is the third argument):

    - `weight` (C,), >= 0: class y's loss counts w[y] times (imbalanced classes). The "mean"
      divides by the sum of the counted rows' weights, Σ w[y_n], not by N.
    - `ignore_index` (default -100): labels equal to it count for nothing, neither in the sum
      nor in the mean's divisor (padding in sequences); with every label ignored the "mean"
      is NaN (0 / 0) and the gradient zero, as in PyTorch. Probability targets refuse an
      ignore_index >= 0, as PyTorch does.
    - `label_smoothing` ε in [0, 1]: the target is (1 - ε) onehot(y) + ε / C, so a row's loss
      is (1 - ε) w[y] (-log p_y) + (ε / C) Σ_c w_c (-log p_c) (w = 1 without weight), divided
      for the mean by Σ w[y_n] as above. For probability targets t: (1 - ε) t + ε / C, each
      class weighed by w_c, and the mean divides by N.

    >>> y = [0, 1, -100]                                 # the last row is padding
    >>> z = Tensor([[2.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    >>> round(cross_entropy(z, y, weight=[1.0, 3.0]).item(), 4)  # (1 l0 + 3 l1) / (1 + 3)
    0.1269
    >>> round(cross_entropy(z, y, label_smoothing=0.2).item(), 4)
    0.3269

    Other shapes, as in PyTorch (see `class_rows`): one sample's logits (C,) with one label
    (a 0-d target), and K-dimensional logits (N, C, d1, ..., dk), the class axis second, with
    labels (N, d1, ..., dk) or probabilities of the logits' shape: each position is a row, the
    options and the mean work over all of them, and "none" gives the losses in shape
    (N, d1, ..., dk). A sequence model's (B, C, T) scores against (B, T) labels:

    >>> z = Tensor(np.zeros((2, 3, 4)))                  # N = 2, C = 3 classes, T = 4
    >>> y = np.array([[0, 1, 2, 0], [1, 1, -100, 2]])
    >>> cross_entropy(z, y, reduction="none").shape
    (2, 4)
    >>> round(cross_entropy(z, y).item(), 4)             # log 3, the mean over 7 positions
    1.0986
    """
    name = "cross_entropy"
    # (the usual arguments pass with tests written here, not calls: a training step's loss)
    if reduction.__class__ is not str or reduction not in _REDUCTIONS:
        _check_reduction(name, reduction)       # (raises)
    if logits.__class__ is not Tensor or logits.data.dtype.kind != "f":
        refuse_swapped_labels(name, "logits", logits, target)
        logits = _floating(name, logits)
    _warn_if_made_by(name, logits, "softmax", "probabilities", "remove the final "
                     "softmax (cross_entropy applies log_softmax itself)")
    if logits.data.ndim != 2:
        rows, target, shape = class_rows(name, "logits", logits, target, probabilities=True)
        loss = _cross_entropy_rows(rows, target, reduction, weight, ignore_index, label_smoothing)
        return loss.reshape(shape) if reduction == "none" else loss
    return _cross_entropy_rows(logits, target, reduction, weight, ignore_index, label_smoothing)


def _cross_entropy_rows(logits: Tensor, target: Any, reduction: str, weight: Any,
                        ignore_index: Any, label_smoothing: Any) -> Tensor:
    """cross_entropy of floating logits (N, C), after the checks every shape shares."""
    name = "cross_entropy"
    n, c = logits.data.shape
    if c == 0:
        raise ValueError(f"cross_entropy: the logits have shape {logits.shape}, no classes: each "
                         f"row needs at least one class score")
    if n == 0 and reduction == "mean":
        raise ValueError("cross_entropy: the mean over 0 rows is undefined (empty batch)")
    # PyTorch's defaults cost one test: the fast path of labels never builds an (N, C) target
    plain = (weight is None and not label_smoothing and ignore_index.__class__ is int
             and ignore_index == -100)
    if not plain:
        weight, ignore_index, label_smoothing = class_options(
            name, weight, ignore_index, label_smoothing, c, logits.dtype)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.ndim == 1:
        picks = _class_labels(name, t, n, c, ignore_index) if plain else None
        if picks is not None:
            return apply(CrossEntropy, (logits,), CrossEntropyCtx(reduction, picks))
        return _labels_with_options(logits, t, reduction, weight, ignore_index, label_smoothing)
    if t.shape != logits.shape:
        hint = " (labels as a column: use labels.reshape(-1))" if t.shape == (n, 1) else ""
        raise ValueError(f"cross_entropy: target must be class indices of shape ({n},) or "
                         f"probabilities of shape {logits.shape}, got shape {t.shape} "
                         f"(dtype {t.dtype}){hint}")
    if ((t < -1e-6) | (t > 1 + 1e-6)).any():    # (rounding of a mixed target passes; NaN,
        # a diverged teacher's, passes too: the loss is NaN, as PyTorch's, and fit says so)
        # not probabilities: most often the arguments swapped, cross_entropy(one_hot, logits),
        # which would return a number (even a negative one) and train on it
        raise ValueError(f"cross_entropy: probability targets must be in [0, 1], got values in "
                         f"[{np.nanmin(t):.4g}, {np.nanmax(t):.4g}]; the logits come first: "
                         f"cross_entropy(logits, target)")
    if not isinstance(target, Tensor):
        target = Tensor(t.astype(logits.dtype))
    elif target.dtype != logits.dtype:          # (one-hot ints, float64 probabilities)
        target = target.astype(logits.dtype)    # the logits' dtype; a gradient is cast back
    if not plain:
        return _probabilities_with_options(logits, target, reduction, weight, ignore_index,
                                           label_smoothing)
    return apply(CrossEntropy, (logits, target), CrossEntropyCtx(reduction, None))


def refuse_swapped_labels(name: str, what: str, scores: Any, target: Any) -> None:
    """Integer scores with a floating target of one more axis are the arguments swapped,
    `loss(labels, logits)`: an error saying so (made floating, the labels would read as one
    sample's scores and the error would be about shapes). Integer scores with probabilities
    of their own shape pass (made floating)."""
    try:
        data = np.asarray(scores.data if isinstance(scores, Tensor) else scores)
        t = np.asarray(target.data if isinstance(target, Tensor) else target)
    except (TypeError, ValueError):         # (not arrays: the usual checks say what they are)
        return
    if data.dtype.kind in "iub" and t.dtype.kind == "f" and t.ndim == data.ndim + 1:
        hold, come = ("hold", "come") if what.endswith("s") else ("holds", "comes")
        raise ValueError(f"{name}: the {what} {hold} integers (dtype {data.dtype}, shape "
                         f"{data.shape}) and the target is floating (shape {t.shape}): are the "
                         f"arguments swapped? The {what} {come} first: {name}({what}, labels)")


def class_rows(name: str, what: str, scores: Tensor, target: Any, probabilities: bool = False
               ) -> tuple[Tensor, Any, tuple[int, ...]]:
    """A classification loss's scores of PyTorch's other shapes as rows (M, C) for its 2-d
    rule: one sample's (C,) with one label (a 0-d target), or K-dimensional
    (N, C, d1, ..., dk) with labels (N, d1, ..., dk) (or, when `probabilities`, a target of
    the scores' shape, its class axis moved too). The class axis is moved last by Tensor ops,
    so the gradient flows back through them; returns the rows, the target's rows (labels flat
    (M,)), and the shape of the per-element losses, () or (N, d1, ..., dk), for "none".

    >>> rows, labels, shape = class_rows("loss", "logits", Tensor(np.zeros((2, 3, 4))),
    ...                                  np.zeros((2, 4), dtype=int))
    >>> rows.shape, labels.shape, shape
    ((8, 3), (8,), (2, 4))
    """
    if scores.ndim == 0:
        raise ValueError(f"{name}: {what} must have a class axis: shape (C,), (N, C) or "
                         f"(N, C, d1, ..., dk), got a 0-d tensor")
    c = scores.shape[0 if scores.ndim == 1 else 1]
    if c == 0:
        raise ValueError(f"{name}: the {what} have shape {scores.shape}, no classes (class "
                         f"axis {0 if scores.ndim == 1 else 1}): each position needs at least "
                         f"one class score")
    shape = () if scores.ndim == 1 else (scores.shape[0],) + scores.shape[2:]
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    # the class axis last, then every position a row (for (C,): one row)
    order = (0,) + tuple(range(2, scores.ndim)) + (1,) if scores.ndim > 1 else (0,)
    count = math.prod(shape)
    if probabilities and t.shape == scores.shape:
        if scores.ndim == 1 and t.dtype.kind in "iub":
            # a batch's labels against one score per sample, not one sample's probabilities
            raise ValueError(
                f"{name}: {what} of shape (C,) = {scores.shape} (one sample) with integer "
                f"targets of that shape: one sample takes one class index, shape (), and "
                f"probabilities must be floating, as in PyTorch. One score per sample "
                f"(LogisticRegression, Linear(n, 1))? That is "
                f"binary_cross_entropy_with_logits' input; {name} takes 2-d {what} (N, C), "
                f"one column per class, with targets (N,)")
        if isinstance(target, Tensor) and target.requires_grad:     # its gradient flows back
            moved = target.transpose(order).reshape(count, c)
        else:
            moved = np.moveaxis(t, 0 if scores.ndim == 1 else 1, -1).reshape(count, c)
        return scores.transpose(order).reshape(count, c), moved, shape
    if t.shape == shape:
        return scores.transpose(order).reshape(count, c), t.reshape(count), shape
    raise ValueError(_target_shape_error(name, what, scores.shape, t.shape, probabilities))


def _target_shape_error(name: str, what: str, scores: tuple, got: tuple,
                        probabilities: bool) -> str:
    """Which target shapes (C,) or (N, C, d1, ...) scores take, and the likely mix-up: a
    channels-last (B, T, C) against (B, T) labels, where PyTorch's class axis is 1."""
    also = f", or probabilities of the {what}' shape {scores}" if probabilities else ""
    if len(scores) == 1:
        # (PyTorch also takes a (1,) target here; it reads like a batch of one, so it is
        # refused, with both ways to say which)
        fix = (f"a batch of one? 2-d {what} (N, C) take targets (N,): {what}.reshape(1, -1); "
               f"else pass the label itself" if got == (1,) else
               f"for a batch, 2-d {what} (N, C) with targets (N,)")
        return (f"{name}: the target of {what} of shape (C,) = {scores} (one sample) must be "
                f"one class index, shape (){also}; got shape {got} ({fix})")
    shape = (scores[0],) + scores[2:]
    message = (f"{name}: targets must have shape (N, d1, ...) = {shape} for {what} {scores} "
               f"(class axis 1, as in PyTorch){also}; got shape {got}")
    if got == scores[:-1]:
        classes = scores[-1]
        middle = ", ".join(str(axis) for axis in range(1, len(scores) - 1))
        moved = ("transpose(1, 2)" if len(scores) == 3 else
                 f"permute(0, {len(scores) - 1}, {middle})")
        layout = "a sequence's (B, T, C)" if len(scores) == 3 else "channels-last (N, ..., C)"
        message += (f". Class scores last, as {layout}? PyTorch's class axis is 1: use "
                    f"{what}.reshape(-1, {classes}) with targets.reshape(-1), or {what}.{moved}")
    return message


def class_options(name: str, weight: Any, ignore_index: Any, label_smoothing: Any,
                  c: int | None, dtype: np.dtype | None) -> tuple[np.ndarray | None, int, float]:
    """PyTorch's options of the classification losses, checked: `weight` as an array of C
    numbers >= 0 in `dtype` (or None; any length when `c` is None; its own floating dtype, else
    the default one, when `dtype` is None), `ignore_index` as an int, `label_smoothing` in
    [0, 1]."""
    if not _is_int(ignore_index):
        raise TypeError(f"{name}: ignore_index must be an int (the label to leave out; "
                        f"PyTorch's default is -100), got {ignore_index!r}")
    if (isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real)
            or not 0 <= label_smoothing <= 1):
        raise ValueError(f"{name}: label_smoothing must be a number in [0, 1], got "
                         f"{label_smoothing!r}")
    if weight is not None:
        w = _constant_numbers(name, "weight", weight)       # PyTorch has no gradient for it
        if w.ndim != 1 or (c is not None and w.shape != (c,)):
            classes = "C" if c is None else c
            raise ValueError(f"{name}: weight must hold one number per class, shape "
                             f"({classes},), got shape {w.shape}")
        if not (np.isfinite(w).all() and (w >= 0).all()):
            raise ValueError(f"{name}: weight must be finite and >= 0, got {w.tolist()}")
        if dtype is None:
            dtype = w.dtype if w.dtype.kind == "f" else get_default_dtype()
        weight = w.astype(dtype)
    return weight, int(ignore_index), float(label_smoothing)


def _labels_with_options(logits: Tensor, labels: np.ndarray, reduction: str,
                         weight: np.ndarray | None, ignore_index: int, smoothing: float) -> Tensor:
    """cross_entropy of class labels with PyTorch's options, as the fused op on a constant
    target: row n is (1 - ε) w[y_n] onehot(y_n) + ε w / C, zeros for an ignored row. The mean
    divides by Σ w[y_n] over the counted rows: that factor is put in the target, and the op sums."""
    n, c = logits.shape
    kept = kept_labels("cross_entropy", labels, n, c, ignore_index)
    rows = np.flatnonzero(kept)
    classes = labels[rows]
    w = np.ones(c, logits.dtype) if weight is None else weight
    target = np.zeros((n, c), logits.dtype)
    if smoothing:
        target[rows] = (smoothing / c) * w
    target[rows, classes] += (1 - smoothing) * w[classes]
    if reduction != "mean":
        return apply(CrossEntropy, (logits,), CrossEntropyCtx(reduction, None, target))
    divisor = w[classes].sum(dtype=np.float64)
    if divisor == 0:            # every label ignored (or weighed 0): 0 / 0, PyTorch's NaN,
        loss = apply(CrossEntropy, (logits,), CrossEntropyCtx("sum", None, target))
        return loss + math.nan  # with the zero gradient the rows' zero targets give
    target /= divisor
    return apply(CrossEntropy, (logits,), CrossEntropyCtx("sum", None, target))


def _probabilities_with_options(logits: Tensor, target: Tensor, reduction: str,
                                weight: np.ndarray | None, ignore_index: int,
                                smoothing: float) -> Tensor:
    """cross_entropy of probability targets t with PyTorch's options: the target becomes
    w ((1 - ε) t + ε / C), by Tensor ops when t requires grad (so its gradient flows back
    through them); the mean still divides by N, as in PyTorch."""
    if ignore_index >= 0:
        raise ValueError(f"cross_entropy: ignore_index={ignore_index} needs class labels; "
                         f"with probability targets PyTorch refuses an ignore_index >= 0 too "
                         f"(to leave a row out, give it a zero target row, or pass labels)")
    c = logits.shape[1]
    if target.requires_grad:
        if smoothing:
            target = target * (1 - smoothing) + smoothing / c
        if weight is not None:
            target = target * Tensor(weight)
        return apply(CrossEntropy, (logits, target), CrossEntropyCtx(reduction, None))
    t = target.data
    if smoothing:
        t = t * (1 - smoothing) + smoothing / c
    if weight is not None:
        t = t * weight
    return apply(CrossEntropy, (logits,), CrossEntropyCtx(reduction, None, t))


@refuses_old_reduction_options
def binary_cross_entropy(probs: Any, target: Any, reduction: str = "mean", *,
                         weight: Any = None) -> Any:
    """-[t log p + (1 - t) log(1 - p)] for probabilities p in [0, 1] and targets t in [0, 1].

    Each log is clamped at -100, as PyTorch does, so p = 0 or 1 costs at most 100, never inf.
    For Tensors it is one fused op whose gradient is (p - t) / p(1 - p), with p(1 - p) floored
    at 1e-12. For a list of Values it is built from Value ops (a drawing shows every term), each
    log a `clamped_log` op: ln p, or -100 with slope 0 where p <= e^-100. `probs` and `target`
    must have the same shape. From logits, `binary_cross_entropy_with_logits` is stabler.

    >>> p = Tensor([0.9, 0.2], requires_grad=True)
    >>> round(binary_cross_entropy(p, [1, 0]).item(), 4)    # -(log 0.9 + log 0.8) / 2
    0.1643

    `weight` (PyTorch's, a keyword here) multiplies each element's loss before the reduction:
    constant numbers >= 0 that broadcast to the input's shape (for Values: one number, or one
    per Value). "mean" still divides by the number of elements, as in PyTorch.

    >>> loss = binary_cross_entropy(p, [1, 0], weight=[3.0, 1.0])   # -(3 log 0.9 + log 0.8) / 2
    >>> round(loss.item(), 4)
    0.2696

    "mean" divides by every element. The lectures' cost of m examples with K sigmoid outputs,
    -1/m Σ_i Σ_k [y log h + (1 - y) log(1 - h)], sums over k: it is `reduction="sum"` over m.

    >>> h, Y = Tensor([[0.9, 0.2], [0.6, 0.3]]), [[1, 0], [1, 1]]          # m = 2, K = 2
    >>> J = binary_cross_entropy(h, Y, reduction="sum") / 2
    >>> round(J.item(), 3), round(binary_cross_entropy(h, Y).item() * 2, 3)  # "mean" is J / K
    (1.022, 1.022)
    >>> round(binary_cross_entropy([Value(0.9), Value(0.2)], [1, 0]).data, 4)
    0.1643
    """
    name = "binary_cross_entropy"
    _check_reduction(name, reduction)
    if _is_values(probs):
        pairs = _value_pairs(name, probs, target)
        _check_range(name, "probs", [p.data for p, _ in pairs],
                     " (for logits use binary_cross_entropy_with_logits)")
        _check_range(name, "target", [_target_number(t) for _, t in pairs],
                     " (for ±1 labels use (y + 1) / 2)")
        losses = [-(t * _clamped_log(p) + _complement(t, _clamped_log(1 - p))) for p, t in pairs]
        return _reduce_values(_weighted(losses, _value_weights(name, weight, pairs)), reduction)
    p = _floating(name, probs)
    t = _constant_target(name, target, p)
    if weight is not None:
        weight = broadcast_constant(name, "weight", weight, p)
    inside = (p.data >= 0) & (p.data <= 1)
    if not inside.all():
        raise ValueError(f"binary_cross_entropy: probs must be in [0, 1], got values in "
                         f"[{np.nanmin(p.data)}, {np.nanmax(p.data)}]"
                         f"{' and NaN' if np.isnan(p.data).any() else ''} (for logits use "
                         f"binary_cross_entropy_with_logits)")
    losses = apply(BinaryCrossEntropy, (p,), t)
    return _reduce(losses if weight is None else losses * weight, reduction, name)


@refuses_old_reduction_options
def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean", *,
                                     weight: Any = None, pos_weight: Any = None) -> Any:
    """Binary cross-entropy of σ(logits) against t in [0, 1], stable at any logit;
    the gradient with respect to the logits is σ(x) - t (without pos_weight).

    `pos_weight` (≥ 0) multiplies the loss of the positive term t log σ(x): above 1 it counts
    positives more (PyTorch's meaning). For Tensors the loss is one fused op and `pos_weight`
    broadcasts against the logits (e.g. one per class). For a list of Values `pos_weight` is a
    number and the loss is built from Value ops: pos_weight·t·softplus(-x) + (1 - t)·softplus(x),
    as -log σ(x) = softplus(-x) and -log(1 - σ(x)) = softplus(x), where softplus(z) =
    log(1 + e^z) is one op, computed so that e^(...) never overflows. `weight` multiplies each
    element's loss before the reduction, as in `binary_cross_entropy`.

    >>> x = Tensor([0.0, 1000.0, -1000.0], requires_grad=True)
    >>> loss = binary_cross_entropy_with_logits(x, [1, 1, 1], reduction="sum")
    >>> loss.backward()
    >>> round(loss.item(), 2), x.grad                   # log 2 + 0 + 1000;  σ(x) - 1
    (1000.69, array([-0.5,  0. , -1. ], dtype=float32))
    >>> v = Value(0.0)
    >>> loss = binary_cross_entropy_with_logits([v], [1.0])
    >>> loss.backward()
    >>> round(loss.data, 4), v.grad                     # log 2;  σ(0) - 1
    (0.6931, -0.5)
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    if _is_values(logits):
        return _values_bce_with_logits(logits, target, reduction, weight, pos_weight)
    x = _floating(name, logits)
    _warn_if_made_by(name, x, "sigmoid", "probabilities", "remove the final sigmoid, or use "
                     "binary_cross_entropy on probabilities")
    t = _constant_target(name, target, x)
    if pos_weight is not None:
        pos_weight = broadcast_constant(name, "pos_weight", pos_weight, x)
    if weight is not None:
        weight = broadcast_constant(name, "weight", weight, x)
    losses = apply(BinaryCrossEntropyWithLogits, (x,), BCEWithLogitsCtx(t, pos_weight))
    return _reduce(losses if weight is None else losses * weight, reduction, name)


def _values_bce_with_logits(logits: Any, target: Any, reduction: str, weight: Any,
                            pos_weight: Any) -> Any:
    name = "binary_cross_entropy_with_logits"
    pairs = _value_pairs(name, logits, target)
    _check_range(name, "target", [_target_number(t) for _, t in pairs],
                 " (for ±1 labels use (y + 1) / 2)")
    if isinstance(pos_weight, (np.ndarray, Tensor)) and pos_weight.ndim == 0 \
            and not getattr(pos_weight, "requires_grad", False):
        pos_weight = pos_weight.item()          # (BCEWithLogitsLoss keeps its number so)
    if pos_weight is not None and not (isinstance(pos_weight, numbers.Real) and pos_weight >= 0):
        raise ValueError(f"{name}: with Values, pos_weight must be a number >= 0, "
                         f"got {pos_weight!r}")
    weights = _value_weights(name, weight, pairs)
    losses = []
    for x, t in pairs:
        # two terms >= 0, each accurate: no cancellation in the loss, and for a 0/1 label the
        # slope is σ(x) or -σ(-x) itself (1 - σ(-x) would round σ(x) < 1e-16 away)
        if pos_weight is None:
            positive = t * _softplus(-x)
        elif isinstance(t, Value):          # t meets the loss first: see _complement
            positive = t * (pos_weight * _softplus(-x))
        else:
            positive = pos_weight * t * _softplus(-x)
        losses.append(positive + _complement(t, _softplus(x)))
    return _reduce_values(_weighted(losses, weights), reduction)
