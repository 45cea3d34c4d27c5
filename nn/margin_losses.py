"""The margin losses, PyTorch's: of two scores (`margin_ranking_loss`, `soft_margin_loss`), of
embeddings (`triplet_margin_loss`, `triplet_margin_with_distance_loss`,
`cosine_embedding_loss`, `hinge_embedding_loss`) and of several classes (`multi_margin_loss`,
`multilabel_margin_loss`, `multilabel_soft_margin_loss`). Their modules are in `nn.losses`;
`nn.functional` re-exports them.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd import Tensor, where
from autograd.graph import apply
from autograd.ops.elementwise import Softplus
from autograd.ops.fused import BCEWithLogitsCtx, BinaryCrossEntropyWithLogits
from autograd.functional.arguments import _floating, _real, _shape_of, integer_array
from autograd.functional.loss_arguments import (
    _check_reduction, _constant_numbers, _constant_target, _reduce, _warn_if_made_by,
    broadcast_constant, refuses_old_reduction_options,
)
from autograd.functional.classification import (
    _class_labels, class_options, class_rows, refuse_swapped_labels,
)
from autograd.functional.value_losses import _raw

from .distances import checked_norm_order, pairwise_distance
from .loss_functions import _check_signs, _float_pair, _tensor_pair
from .scoring import declare_loss

__all__ = ["margin_ranking_loss", "soft_margin_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "cosine_embedding_loss", "hinge_embedding_loss",
           "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss"]


@refuses_old_reduction_options
def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0, *,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin) for labels y = ±1: y = 1 asks x1 to rank above x2 by the
    margin, y = -1 below. As PyTorch's clamp, the slope at exactly 0 is the line's (so two
    equal scores with margin 0 still learn).

    >>> margin_ranking_loss(Tensor([2.0, 0.5]), Tensor([1.0, 1.0]), [1, 1], margin=0.5,
    ...                     reduction="none").numpy()
    array([0., 1.], dtype=float32)
    """
    name = "margin_ranking_loss"
    _check_reduction(name, reduction)
    margin = _real(name, "margin", margin)
    x1, x2 = _floating(name, input1), _floating(name, input2)
    if x1.shape != x2.shape:
        raise ValueError(f"{name}: input1 has shape {x1.shape} but input2 has shape "
                         f"{x2.shape}; they must match")
    x1, y = _tensor_pair(name, x1, target)
    _check_signs(_raw(y), name)
    v = -y * (x1 - x2) + margin
    return _reduce(_positive_part(v), reduction, name)


@refuses_old_reduction_options
def soft_margin_loss(scores: Any, labels: Any, reduction: str = "mean") -> Tensor:
    """ln(1 + e^(-y · score)) for labels y = ±1: a smooth `hinge_loss`, the logistic loss of
    ±1 labels (`binary_cross_entropy_with_logits` for 0/1 labels), stable at ±1000.

    >>> [round(v, 4) for v in soft_margin_loss(Tensor([0.0, 1000.0]), [1, -1],
    ...                                          reduction="none").tolist()]
    [0.6931, 1000.0]
    """
    name = "soft_margin_loss"
    _check_reduction(name, reduction)
    scores, labels = _float_pair(name, scores, labels)
    _check_signs(_raw(labels), name)
    return _reduce(apply(Softplus, (-labels * scores,)), reduction, name)


# ----------------------------------------------------------------------------------------------
# Margin losses of embeddings and of several classes: PyTorch's, for Tensors
# ----------------------------------------------------------------------------------------------

@refuses_old_reduction_options
def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False, *,
                        reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) for embeddings: the anchor a should lie nearer the
    positive p than the negative n, by the margin. d is `pairwise_distance`, ‖x - y + eps‖_p
    along the last axis, of rows (N, D) (or of one triplet (D,)). With `swap`, d(a, n) is
    min(d(a, n), d(p, n)), whichever negative distance is the harder. As in PyTorch, margin
    must be > 0, and where the loss is exactly 0 its slope is the line's.

    >>> a, p, n = Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0]]), Tensor([[0.0, 5.5]])
    >>> triplet_margin_loss(a, p, n, eps=0.0).item()          # max(0, 5 - 5.5 + 1)
    0.5
    """
    name = "triplet_margin_loss"
    p, eps = checked_norm_order(name, p), _real(name, "eps", eps)
    return _triplet(name, anchor, positive, negative, lambda x, y: pairwise_distance(x, y, p, eps),
                    margin, swap, reduction)


@refuses_old_reduction_options
def triplet_margin_with_distance_loss(anchor: Any, positive: Any, negative: Any, *,
                                      distance_function: Callable | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """`triplet_margin_loss` with a distance of your own: `distance_function(x, y)` takes two
    Tensors of embeddings (N, D) and gives one distance per row (N,) (None: `pairwise_distance`,
    ‖x - y + 1e-6‖₂). A cosine distance, for instance:

    >>> a, p, n = Tensor([[1.0, 0.0]]), Tensor([[1.0, 1.0]]), Tensor([[0.0, 1.0]])
    >>> from nn.functional import cosine_similarity
    >>> cosine_distance = lambda x, y: 1 - cosine_similarity(x, y)
    >>> loss = triplet_margin_with_distance_loss(a, p, n, distance_function=cosine_distance)
    >>> round(loss.item(), 4)                     # (1 - cos 45°) - (1 - cos 90°) + 1
    0.2929
    """
    name = "triplet_margin_with_distance_loss"
    return _triplet(name, anchor, positive, negative,
                    checked_distance_function(name, distance_function), margin, swap, reduction)


def _triplet(name: str, anchor: Any, positive: Any, negative: Any, distance: Callable,
             margin: Any, swap: Any, reduction: str) -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin), d(a, n) the smaller of d(a, n), d(p, n) if swap."""
    _check_reduction(name, reduction)
    margin = checked_triplet_margin(name, margin)
    a, pos, neg = _floating(name, anchor), _floating(name, positive), _floating(name, negative)
    _same_shapes(name, anchor=a, positive=pos, negative=neg)
    if a.ndim == 0:
        raise ValueError(f"{name}: the inputs are 0-d; they must be embeddings (N, D) or (D,)")

    def d(x: Tensor, y: Tensor) -> Tensor:
        out = distance(x, y)
        if getattr(out, "shape", None) != x.shape[:-1]:
            raise ValueError(f"{name}: the distance of inputs of shape {x.shape} must be one "
                             f"number per row, shape {x.shape[:-1]}, got "
                             f"{_shape_of(out)}")
        return out

    to_positive, to_negative = d(a, pos), d(a, neg)
    if swap:
        # torch.minimum's function, imported here: autograd makes its 300 PyTorch-named
        # functions at the first one asked for, ~900 objects that `import nn` need not keep
        from autograd import minimum
        to_negative = minimum(to_negative, d(pos, neg))
    return _reduce(_positive_part(to_positive - to_negative + margin), reduction, name)


def checked_triplet_margin(name: str, margin: Any) -> float:
    """A triplet loss's margin, > 0 as PyTorch asks, or an error naming `name` (the function
    or the module).

    >>> checked_triplet_margin("TripletMarginLoss", -1)
    Traceback (most recent call last):
    ValueError: TripletMarginLoss: margin must be > 0, got -1.0
    """
    margin = _real(name, "margin", margin)
    if not margin > 0:
        raise ValueError(f"{name}: margin must be > 0, got {margin}")
    return margin


def checked_distance_function(name: str, distance_function: Any) -> Callable:
    """A triplet loss's distance: a function, or None for `pairwise_distance`.

    >>> checked_distance_function("TripletMarginWithDistanceLoss", None) is pairwise_distance
    True
    """
    if distance_function is None:
        return pairwise_distance
    if not callable(distance_function):
        raise TypeError(f"{name}: distance_function must be a function of two Tensors, got "
                        f"{type(distance_function).__name__}")
    return distance_function


@refuses_old_reduction_options
def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0, *,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for a pair labelled y = 1 (alike), max(0, cos(x1, x2) - margin) for
    y = -1 (unlike), the cosine taken along the last axis of rows (N, D) with labels (N,), or
    of one pair (D,) with a 0-d label. The cosine is PyTorch's,
    x1 · x2 / √((‖x1‖² + ε)(‖x2‖² + ε)) with ε = 1e-12, so a zero vector has cosine 0 (and
    steep slopes), not NaN. margin is a cosine, in [-1, 1]; at the margin the slope is the
    line's, as in PyTorch.

    >>> x1, x2 = Tensor([[1.0, 0.0], [1.0, 0.0]]), Tensor([[0.0, 2.0], [1.0, 1.0]])
    >>> cosine_embedding_loss(x1, x2, [1, -1], reduction="none").numpy().round(4)
    array([1.    , 0.7071], dtype=float32)
    >>> # 1 - cos 90°, cos 45° - 0
    """
    name = "cosine_embedding_loss"
    _check_reduction(name, reduction)
    margin = checked_cosine_margin(name, margin)
    x1, x2 = _floating(name, input1), _floating(name, input2)
    _same_shapes(name, input1=x1, input2=x2)
    if x1.ndim not in (1, 2):
        raise ValueError(f"{name}: the inputs must be rows (N, D) or one pair (D,), got shape "
                         f"{x1.shape}")
    y = _constant_numbers(name, "target", target)
    if y.shape != x1.shape[:-1]:
        raise ValueError(f"{name}: target of shape {y.shape} for inputs of shape {x1.shape}; "
                         f"it needs one label ±1 per pair, shape {x1.shape[:-1]}")
    _check_signs(y, name)
    (u1, eps1), (u2, eps2) = _scaled_rows(x1, 1e-12), _scaled_rows(x2, 1e-12)
    # the two roots taken apart: their product would overflow first
    norm1, norm2 = ((u1 * u1).sum(-1) + eps1).sqrt(), ((u2 * u2).sum(-1) + eps2).sqrt()
    cos = (u1 * u2).sum(-1) / (norm1 * norm2)
    return _reduce(where(y == 1, 1 - cos, _positive_part(cos - margin)), reduction, name)


def _scaled_rows(x: Tensor, eps: float) -> tuple[Tensor, np.ndarray]:
    """(x / s, eps / s²) for s, row by row, the power of 2 just above the largest |x| (at least
    1): the cosine with ε is the same function of x / s with ε / s², and its squares cannot
    overflow (‖x‖² did past |x| ~1.8e19 in float32: the loss was NaN, the cosine a plain
    number). A power of 2 divides exactly, so rows below 1 keep their numbers bit for bit."""
    exponent = np.frexp(np.abs(x.data).max(axis=-1, keepdims=True, initial=0))[1]
    s = np.ldexp(np.ones_like(x.data, shape=exponent.shape), np.maximum(exponent, 0))
    return x / s, eps / s[..., 0] / s[..., 0]


def checked_cosine_margin(name: str, margin: Any) -> float:
    """cosine_embedding_loss's margin, a cosine in [-1, 1], or an error naming `name`.

    >>> checked_cosine_margin("CosineEmbeddingLoss", 2)
    Traceback (most recent call last):
    ValueError: CosineEmbeddingLoss: margin must be in [-1, 1] (a cosine), got 2.0
    """
    margin = _real(name, "margin", margin)
    if not -1 <= margin <= 1:
        raise ValueError(f"{name}: margin must be in [-1, 1] (a cosine), got {margin}")
    return margin


@refuses_old_reduction_options
def hinge_embedding_loss(input: Any, target: Any, reduction: str = "mean", *,
                         margin: float = 1.0) -> Tensor:
    """x where y = 1 and max(0, margin - x) where y = -1, elementwise, for x a distance between
    two things labelled alike (1) or unlike (-1): alike pairs are pulled together, unlike ones
    pushed at least `margin` apart. At the margin the slope is the line's, as in PyTorch.
    `margin` is a keyword here (PyTorch's third argument; ours is `reduction`).

    >>> hinge_embedding_loss(Tensor([0.5, 0.25, 3.0]), [1, -1, -1], reduction="none").numpy()
    array([0.5 , 0.75, 0.  ], dtype=float32)
    """
    name = "hinge_embedding_loss"
    _check_reduction(name, reduction)
    margin = _real(name, "margin", margin)
    x, y = _float_pair(name, input, _constant_numbers(name, "target", target, input))
    _check_signs(y, name)
    return _reduce(where(y == 1, x, _positive_part(margin - x)), reduction, name)


@refuses_old_reduction_options
def multi_margin_loss(input: Any, target: Any, reduction: str = "mean", *, p: int = 1,
                      margin: float = 1.0, weight: Any = None) -> Tensor:
    """The multiclass hinge loss (p = 1; p = 2 squares each term) of scores x (N, C) and class
    labels y (N,), or of one sample's (C,) and a 0-d label: w_y Σ_{i ≠ y} max(0, margin -
    x_y + x_i)^p / C, so that every other class scores at least `margin` below the true one.
    `weight` (C,) is PyTorch's, as PyTorch computes it: w_y multiplies the powers (its
    documentation puts it inside them). A term exactly 0 has slope 0, as in PyTorch. The
    options are keywords here (PyTorch's third argument is p; ours is `reduction`).

    >>> multi_margin_loss(Tensor([[0.5, 1.0, -2.0]]), [1])    # (0.5 + 0) / 3
    Tensor(0.16666667)
    """
    name = "multi_margin_loss"
    _check_reduction(name, reduction)
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"{name}: p must be 1 (hinge) or 2 (squared hinge), got {p!r}")
    margin = _real(name, "margin", margin)
    refuse_swapped_labels(name, "input", input, target)
    x = _floating(name, input)
    if x.ndim == 1:                                     # one sample: a batch of one row
        rows, labels, _ = class_rows(name, "input", x, _raw(target))
        loss = multi_margin_loss(rows, labels, reduction, p=p, margin=margin, weight=weight)
        return loss.reshape(()) if reduction == "none" else loss
    if x.ndim != 2:
        raise ValueError(f"{name}: input must be scores (N, C), or one sample's (C,), got "
                         f"shape {x.shape}")
    n, c = x.shape
    weight, _, _ = class_options(name, weight, -100, 0.0, c, x.dtype)
    labels = np.asarray(_raw(target))
    _class_labels(name, labels, n, c)
    z = margin - x[np.arange(n), labels].reshape(n, 1) + x
    counted = (z.data > 0) & (np.arange(c) != labels[:, None])
    terms = where(counted, z, 0.0)
    loss = (terms if p == 1 else terms * terms).sum(1) / c
    return _reduce(loss if weight is None else loss * weight[labels], reduction, name)


@refuses_old_reduction_options
def multilabel_margin_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """The multi-label hinge loss of scores x (N, C): Σ_{j ∈ Y} Σ_{i ∉ Y} max(0, 1 - x_j + x_i)
    / C per sample, so that each of its classes Y scores at least 1 above each other class.
    The target is PyTorch's: rows (N, C) of class indices, a sample's classes first, then -1
    (what follows the first -1 is not read): [3, 0, -1, -1] is the classes {3, 0}. One
    sample's (C,) with a target (C,) works too. A term exactly 0 has slope 0, as in PyTorch.
    Stricter than PyTorch: with C >= 3 classes, a target of only 0s and 1s and no -1 is an
    error (multi-hot rows, which `multilabel_soft_margin_loss` takes), not a number.

    >>> multilabel_margin_loss(Tensor([[0.1, 0.2, 0.4, 0.8]]), [[3, 0, -1, 1]])
    Tensor(0.85)
    >>> # class 3 against 1 and 2: 0.4 + 0.6; class 0 against them: 1.1 + 1.3; / 4
    """
    name = "multilabel_margin_loss"
    _check_reduction(name, reduction)
    x = _floating(name, input)
    y = integer_array(name, "target", target)
    if x.ndim == 1:                                     # one sample: a batch of one row
        if y.shape != x.shape:
            raise ValueError(f"{name}: target of shape {y.shape} for input of shape {x.shape}; "
                             f"they must match")
        loss = multilabel_margin_loss(x.reshape(1, -1), y.reshape(1, -1), reduction)
        return loss.reshape(()) if reduction == "none" else loss
    if x.ndim != 2:
        raise ValueError(f"{name}: input must be scores (N, C), or one sample's (C,), got "
                         f"shape {x.shape}")
    n, c = x.shape
    if y.shape != x.shape:
        raise ValueError(f"{name}: target of shape {y.shape} for input of shape {x.shape}; "
                         f"they must match (each row lists a sample's classes, then -1)")
    if y.size and not (y.min() >= -1 and y.max() < c):
        raise ValueError(f"{name}: target must hold class indices in [0, {c}) and -1 (after a "
                         f"sample's classes), got values in [{y.min()}, {y.max()}]")
    if c >= 3 and y.size and y.min() >= 0 and y.max() <= 1:
        # only 0s and 1s and no -1: every row "lists" classes 0 and 1 over and over (each
        # counted again, as in PyTorch), a number without meaning: these are 0/1 rows
        raise ValueError(f"{name}: the target holds only 0s and 1s and no -1, like multi-hot "
                         f"rows (1 where a sample has the class); this loss reads each row as "
                         f"class indices, then -1 ([2, 0, -1] is the classes {{2, 0}}). For 0/1 "
                         f"rows use multilabel_soft_margin_loss(input, target), or list the "
                         f"classes: [np.r_[np.flatnonzero(row), [-1] * ({c} - row.sum())] for "
                         f"row in target]")
    listed = np.cumprod(y >= 0, axis=1).astype(bool)   # the entries before the first -1
    k = int(listed.sum(1).max(initial=0))               # the most classes a sample has
    listed, classes = listed[:, :k], np.where(listed, y, 0)[:, :k]
    is_target = ((classes[:, :, None] == np.arange(c)) & listed[:, :, None]).any(axis=1)  # (N, C)
    # z[n, j, i] = 1 - x[n, class j] + x[n, i], counted for listed j and the classes i not listed
    z = 1 - x[np.arange(n)[:, None], classes].reshape(n, k, 1) + x.reshape(n, 1, c)
    counted = listed[:, :, None] & ~is_target[:, None, :] & (z.data > 0)
    return _reduce(where(counted, z, 0.0).sum((1, 2)) / c, reduction, name)


@refuses_old_reduction_options
def multilabel_soft_margin_loss(input: Any, target: Any, reduction: str = "mean", *,
                                weight: Any = None) -> Tensor:
    """The binary cross-entropy of each class's logit against its 0/1 target, averaged over
    the classes (the last axis) of each sample: -(1/C) Σ_c w_c [t_c ln σ(x_c) + (1 - t_c)
    ln σ(-x_c)], a multi-label classifier's loss, for logits (N, C) (or (C,)) and targets of
    their shape. It is `binary_cross_entropy_with_logits` per class (one fused op, stable at
    any logit); `weight` is PyTorch's, numbers >= 0 that broadcast to the input, and a keyword
    here (PyTorch's third argument; ours is `reduction`).

    >>> round(multilabel_soft_margin_loss(Tensor([[0.0, 1000.0]]), [[1, 1]]).item(), 4)
    0.3466
    >>> # (ln 2 + 0) / 2
    """
    name = "multilabel_soft_margin_loss"
    _check_reduction(name, reduction)
    x = _floating(name, input)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"{name}: input must be logits (N, C) or (C,) with C >= 1, got shape "
                         f"{x.shape}")
    _warn_if_made_by(name, x, "sigmoid", "probabilities", "remove the final sigmoid")
    t = _constant_target(name, target, x)
    losses = apply(BinaryCrossEntropyWithLogits, (x,), BCEWithLogitsCtx(t, None))
    if weight is not None:
        losses = losses * broadcast_constant(name, "weight", weight, x)
    return _reduce(losses.sum(-1) / x.shape[-1], reduction, name)


def _positive_part(v: Tensor) -> Tensor:
    """max(0, v), its slope at v = 0 the line's (PyTorch's clamp_min); NaN stays NaN."""
    return where(~(v.data < 0), v, 0.0)


def _same_shapes(name: str, **inputs: Tensor) -> None:
    shapes = {what: x.shape for what, x in inputs.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{what} {shape}" for what, shape in shapes.items())
        raise ValueError(f"{name}: the inputs' shapes differ ({listed}); they must match")


# ----------------------------------------------------------------------------------------------
# What each loss serves (read by fit, evaluate, cross_validate and GridSearch; see nn.scoring)
# ----------------------------------------------------------------------------------------------

declare_loss("binary", to_labels="sign")(soft_margin_loss)
declare_loss("multiclass", to_labels="argmax")(multi_margin_loss)
# read by arg-max as logits are, but its outputs are margins: no probabilities (log_loss refuses)
multi_margin_loss.to_probabilities = None
declare_loss("binary", to_labels="logit")(multilabel_soft_margin_loss)
