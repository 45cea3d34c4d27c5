"""Losses as modules, as in PyTorch: set `reduction` once, then call `loss(pred, target)`.

Each calls the function of the same name in `nn.functional`, so it accepts what that accepts
(Tensors, and lists of Values where the function does), and declares the same task (`nn.scoring`).

>>> from autograd import Tensor
>>> from nn.losses import MSELoss
>>> criterion = MSELoss(reduction="sum")
>>> criterion(Tensor([1.0, 3.0]), [0.0, 1.0])
Tensor(5.)
>>> criterion
MSELoss(reduction='sum')
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from autograd import Tensor, Value
from autograd.functional.arguments import _is_int, _real, holds_values
from autograd.functional.classification import class_options
from autograd.functional.loss_arguments import (_check_reduction, _constant_numbers, check_scale,
                                                old_reduction_options)

from . import functional as F
from .module import Module
from .scoring import declare_loss

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
           "CTCLoss",
           "HingeLoss", "SmoothL1Loss", "HuberLoss", "GaussianNLLLoss", "PoissonNLLLoss",
           "KLDivLoss", "MarginRankingLoss", "SoftMarginLoss", "TripletMarginLoss",
           "TripletMarginWithDistanceLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss",
           "MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss"]


class _InitSignature:
    """What `inspect.signature(MSELoss)` shows (help(), a notebook's Shift-Tab): the class's
    `__init__` options, where `_Loss.__new__` alone would show (*args, **kwargs)."""

    def __get__(self, module: Any, cls: type) -> inspect.Signature | None:
        if module is not None:          # a loss module itself: its call's signature, as usual
            return None
        signature = inspect.signature(cls.__init__)
        return signature.replace(parameters=list(signature.parameters.values())[1:])


class _Loss(Module):
    """A loss module: `reduction` is checked here, when the module is made."""

    __signature__ = _InitSignature()

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if "size_average" in kwargs or "reduce" in kwargs:
            _refuse_old_options(cls, kwargs)
        if args:                        # (the usual MSELoss() passes with one test)
            _check_positional(cls, args, kwargs)
        return super().__new__(cls)

    def __init__(self, *, reduction: str = "mean") -> None:
        _check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


@declare_loss("regression")
class MSELoss(_Loss):
    """Mean squared error (`F.mse_loss`), the reduction chosen when the loss is made.

    >>> from autograd import Tensor
    >>> MSELoss()(Tensor([1.0, 2.0, 4.0]), Tensor([1.0, 1.0, 1.0]))
    Tensor(3.3333333)
    >>> MSELoss(reduction="none")(Tensor([1.0, 2.0, 4.0]), Tensor([1.0, 1.0, 1.0]))
    Tensor([0., 1., 9.])
    """
    def forward(self, pred: Any, target: Any) -> Any:
        return F.mse_loss(pred, target, self.reduction)


@declare_loss("regression")
class L1Loss(_Loss):
    """Mean absolute error (`F.l1_loss`).

    >>> L1Loss()(Tensor([1.0, -3.0]), [0.0, 0.0])              # (1 + 3) / 2
    Tensor(2.)
    """
    def forward(self, pred: Any, target: Any) -> Any:
        return F.l1_loss(pred, target, self.reduction)


def _check_positional(cls: type, args: tuple, kwargs: dict) -> None:
    """Arguments given by position to a loss module: `MSELoss(pred, y)` for `MSELoss()(pred, y)`
    (the module is made, then called; `CrossEntropyLoss(logits)` took the logits for its
    weight), or an option by position (`MSELoss("sum")`, PyTorch's deprecated size_average
    there). Python's own error named `_Loss.__init__`."""
    name = cls.__name__
    signature = inspect.signature(cls.__init__)
    try:
        signature.bind(None, *args, **kwargs)
        fits = True
    except TypeError:
        fits = False
    # (a micrograd model's outputs are a Value or a list of Values: data too)
    data = [a for a in args if isinstance(a, (Tensor, np.ndarray, Value)) or holds_values(a)]
    # (glassgrad's own losses take no learnable argument; a learner's subclass may: a
    # temperature Parameter by position is its own business)
    in_graph = cls.__module__ == __name__ and any(
        isinstance(a, (Tensor, Value)) and a.requires_grad for a in data)
    if data and (in_graph or not fits):
        given = ", ".join(f"shape {a.shape}" if isinstance(a, (Tensor, np.ndarray)) else
                          "a list of Values" if holds_values(a) else
                          type(a).__name__ for a in args)
        weight = " (a weight is a constant: pass weight.detach())" if fits else ""
        raise TypeError(f"{name}({given}): a loss module is made first, then called on the "
                        f"outputs and the targets: criterion = {name}(); loss = "
                        f"criterion(outputs, targets){weight}")
    if not fits:
        parameters = list(signature.parameters.values())[1:]
        first = ", ".join(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)
        keywords = ", ".join(f"{p.name}=" for p in parameters if p.kind is p.KEYWORD_ONLY)
        takes = f"takes {first} by position and its other" if first else "takes its"
        raise TypeError(f"{name}({', '.join(map(repr, args))}): {name} {takes} options as "
                        f"keywords ({keywords}), e.g. {name}(reduction='sum')")


def _refuse_old_options(cls: type, kwargs: dict) -> None:
    """PyTorch's deprecated size_average= and reduce= (older code's MSELoss(size_average=False)):
    an error naming the module and the reduction they mean (Python's named `_Loss.__init__`)."""
    raise TypeError(old_reduction_options(cls.__name__, kwargs))


def _register_weight(loss: Module, name: str, numbers: np.ndarray | None) -> None:
    """Keep a loss's checked `weight` (or `pos_weight`) as a buffer: a constant Tensor, as
    PyTorch's (`criterion.weight.sum()`), sharing the numbers; in the state_dict."""
    loss.register_buffer(name, None if numbers is None else Tensor(numbers))


def _first_weight(name: str, weight: Any) -> Any:
    """PyTorch's losses take `weight` first (`CrossEntropyLoss(w)`), so a string there is the
    reduction in the wrong place."""
    if isinstance(weight, str):
        raise TypeError(f"{name}: the first argument is weight, got {weight!r}; pass "
                        f"reduction={weight!r}")
    return weight


class _BinaryLoss(_Loss):
    """A binary cross-entropy with PyTorch's rescaling `weight` (first, as in PyTorch): numbers
    >= 0 that broadcast to the input's shape at each call; a buffer in the state_dict."""

    def __init__(self, weight: Any = None, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        name = type(self).__name__
        if _first_weight(name, weight) is not None:
            weight = _constant_numbers(name, "weight", weight)
            check_scale(name, "weight", weight)
        _register_weight(self, "weight", weight)

    def extra_repr(self) -> str:
        if self.weight is None:
            return super().extra_repr()
        return f"{super().extra_repr()}, weight={self.weight.tolist()}"


@declare_loss("binary", to_labels="probability")
class BCELoss(_BinaryLoss):
    """Binary cross-entropy of probabilities (`F.binary_cross_entropy`), with PyTorch's `weight`.

    >>> import math
    >>> from autograd import Tensor
    >>> criterion = BCELoss([1.0, 3.0], reduction="sum")      # (1 + 3) log 2
    >>> round(criterion(Tensor([0.5, 0.5]), [1.0, 0.0]).item(), 4), round(4 * math.log(2), 4)
    (2.7726, 2.7726)
    """
    def forward(self, probs: Any, target: Any) -> Any:
        return F.binary_cross_entropy(probs, target, self.reduction, weight=self.weight)


@declare_loss("binary", to_labels="logit")
class BCEWithLogitsLoss(_BinaryLoss):
    """Binary cross-entropy from logits, stable (`F.binary_cross_entropy_with_logits`), with
    PyTorch's `weight` and `pos_weight` (numbers >= 0, checked when the loss is made; buffers
    in the state_dict, as PyTorch's).

    >>> BCEWithLogitsLoss()(Tensor([0.0, 0.0]), [1.0, 0.0])     # σ(0) = 1/2: ln 2 each
    Tensor(0.6931472)
    >>> BCEWithLogitsLoss(pos_weight=[3.0], reduction="none")(Tensor([0.0, 0.0]), [1.0, 0.0])
    Tensor([2.0794415, 0.6931472])
    """

    def __init__(self, weight: Any = None, *, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(weight, reduction=reduction)
        if pos_weight is not None:
            pos_weight = _constant_numbers("BCEWithLogitsLoss", "pos_weight", pos_weight)
            check_scale("BCEWithLogitsLoss", "pos_weight", pos_weight)
        _register_weight(self, "pos_weight", pos_weight)

    def forward(self, logits: Any, target: Any) -> Any:
        return F.binary_cross_entropy_with_logits(logits, target, self.reduction,
                                                  weight=self.weight, pos_weight=self.pos_weight)

    def extra_repr(self) -> str:
        if self.pos_weight is None:
            return super().extra_repr()
        return f"{super().extra_repr()}, pos_weight={self.pos_weight.tolist()}"


class _ClassLoss(_Loss):
    """A classification loss with PyTorch's `weight` (first, as in PyTorch: `CrossEntropyLoss(w)`)
    and `ignore_index`, checked when the module is made (the weight's length against the
    classes at each call)."""

    weighted_mean = True        # the mean divides by Σ w[y] (see nn.scoring.label_weight)

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        weight, self.ignore_index, _ = class_options(
            type(self).__name__, _first_weight(type(self).__name__, weight), ignore_index, 0.0,
            None, None)
        _register_weight(self, "weight", weight)      # in the state_dict, as PyTorch's

    def extra_repr(self) -> str:
        shown = [super().extra_repr()]
        if self.weight is not None:
            shown.append(f"weight={self.weight.tolist()}")
        if self.ignore_index != -100:
            shown.append(f"ignore_index={self.ignore_index}")
        return ", ".join(shown)


@declare_loss("multiclass")
class CrossEntropyLoss(_ClassLoss):
    """Softmax cross-entropy from logits, with class labels or probabilities (`F.cross_entropy`),
    and PyTorch's options `weight` (per class), `ignore_index` (-100) and `label_smoothing`.

    >>> criterion = CrossEntropyLoss([1.0, 3.0], label_smoothing=0.1)
    >>> criterion
    CrossEntropyLoss(reduction='mean', weight=[1.0, 3.0], label_smoothing=0.1)

    The shapes are PyTorch's: logits (N, C) with labels (N,), one sample's (C,) with a 0-d
    label, or (N, C, d1, ...) with labels (N, d1, ...), the class axis second:

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> logits = Tensor(np.zeros((4, 2, 7)))                 # 4 sequences of 7, 2 classes
    >>> CrossEntropyLoss(reduction="none")(logits, np.ones((4, 7), dtype=int)).shape
    (4, 7)
    """

    def __init__(self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, ignore_index=ignore_index, reduction=reduction)
        _, _, self.label_smoothing = class_options("CrossEntropyLoss", None, ignore_index,
                                                   label_smoothing, None, None)

    def forward(self, logits: Any, target: Any) -> Any:
        return F.cross_entropy(logits, target, self.reduction, weight=self.weight,
                               ignore_index=self.ignore_index,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        if not self.label_smoothing:
            return super().extra_repr()
        return f"{super().extra_repr()}, label_smoothing={self.label_smoothing}"


@declare_loss("multiclass")
class NLLLoss(_ClassLoss):
    """Negative log-likelihood of log-probabilities (`F.nll_loss`), with PyTorch's `weight`
    and `ignore_index`, in `CrossEntropyLoss`'s shapes ((N, C), (C,), (N, C, d1, ...)).

    >>> log_probs = Tensor([[-1.0, -2.0], [-3.0, -4.0]])
    >>> NLLLoss(reduction="none")(log_probs, [1, 0])             # minus the label's entry
    Tensor([2., 3.])
    """

    def forward(self, log_probs: Any, labels: Any) -> Any:
        return F.nll_loss(log_probs, labels, self.reduction, weight=self.weight,
                          ignore_index=self.ignore_index)


class CTCLoss(_Loss):
    """The connectionist temporal classification loss (`F.ctc_loss`) with PyTorch's `blank`,
    `reduction` and `zero_infinity`, called as loss(log_probs, targets, input_lengths,
    target_lengths). No task declared: its targets are label sequences, which the metrics do
    not read.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> criterion = CTCLoss(reduction="none", zero_infinity=True)
    >>> criterion
    CTCLoss(reduction='none', blank=0, zero_infinity=True)
    >>> log_probs = Tensor(np.full((4, 2, 3), np.log(1 / 3)))     # T = 4, N = 2, C = 3
    >>> criterion(log_probs, [[1, 2], [1, 1]], [4, 2], [2, 2])     # "1 1" needs 3 steps
    Tensor([1.68639895, 0.        ], dtype=float64)
    """

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        name = "CTCLoss"
        if not _is_int(blank) or blank < 0:
            raise ValueError(f"{name}: blank must be a class index >= 0, got {blank!r}")
        if not isinstance(zero_infinity, (bool, np.bool_)):
            raise TypeError(f"{name}: zero_infinity must be True or False, got "
                            f"{zero_infinity!r}")
        self.blank, self.zero_infinity = int(blank), bool(zero_infinity)

    def forward(self, log_probs: Any, targets: Any, input_lengths: Any,
                target_lengths: Any) -> Any:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, blank={self.blank}, zero_infinity={self.zero_infinity}"


@declare_loss("binary", to_labels="sign")
class HingeLoss(_Loss):
    """Max-margin loss max(0, 1 - y·score) for labels ±1 (`F.hinge_loss`, micrograd's demo).

    >>> HingeLoss(reduction="none")(Tensor([2.0, 0.5, 1.0]), [1.0, 1.0, -1.0])
    Tensor([0. , 0.5, 2. ])
    """
    def forward(self, scores: Any, labels: Any) -> Any:
        return F.hinge_loss(scores, labels, self.reduction)


@declare_loss("regression")
class SmoothL1Loss(_Loss):
    """0.5 d² / β where |d| < β, else |d| - 0.5 β, d = pred - target (`F.smooth_l1_loss`).

    >>> SmoothL1Loss(reduction="none")(Tensor([0.5, 3.0]), [0.0, 0.0])   # 0.5 · 0.25, 3 - 0.5
    Tensor([0.125, 2.5  ])
    """

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.beta = F.checked_width("SmoothL1Loss", "beta", beta)

    def forward(self, pred: Any, target: Any) -> Any:
        return F.smooth_l1_loss(pred, target, self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, beta={self.beta}"


@declare_loss("regression")
class HuberLoss(_Loss):
    """0.5 d² where |d| < δ, else δ (|d| - 0.5 δ), d = pred - target (`F.huber_loss`).

    >>> HuberLoss(delta=2.0)
    HuberLoss(reduction='mean', delta=2.0)
    """

    def __init__(self, *, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = F.checked_width("HuberLoss", "delta", delta)

    def forward(self, pred: Any, target: Any) -> Any:
        return F.huber_loss(pred, target, self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, delta={self.delta}"


@declare_loss("regression")
class GaussianNLLLoss(_Loss):
    """0.5 (ln v + (pred - target)² / v), v = max(var, eps), + 0.5 ln 2π if `full`
    (`F.gaussian_nll_loss`); called as loss(pred, target, var).

    >>> GaussianNLLLoss(reduction="none")(Tensor([0.0, 0.0]), [1.0, 2.0], [1.0, 1.0])
    Tensor([0.5, 2. ])
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"
                 ) -> None:
        super().__init__(reduction=reduction)
        self.full, self.eps = bool(full), _real("GaussianNLLLoss", "eps", eps)

    def forward(self, pred: Any, target: Any, var: Any) -> Any:
        return F.gaussian_nll_loss(pred, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, full={self.full}, eps={self.eps}"


@declare_loss("regression")
class PoissonNLLLoss(_Loss):
    """e^pred - target · pred (log_input=True), else pred - target · ln(pred + eps), plus
    Stirling's term where target > 1 if `full` (`F.poisson_nll_loss`). log_input and full come
    first, as in PyTorch.

    >>> PoissonNLLLoss(reduction="none")(Tensor([0.0, 1.0]), [2.0, 0.0])   # e^0 - 2·0, e^1 - 0
    Tensor([1.      , 2.718282])
    """

    def __init__(self, log_input: bool = True, full: bool = False, *, eps: float = 1e-8,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.log_input, self.full = bool(log_input), bool(full)
        self.eps = _real("PoissonNLLLoss", "eps", eps)

    def forward(self, pred: Any, target: Any) -> Any:
        return F.poisson_nll_loss(pred, target, self.reduction, log_input=self.log_input,
                                  full=self.full, eps=self.eps)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, log_input={self.log_input}, full={self.full}, "
                f"eps={self.eps}")


class KLDivLoss(_Loss):
    """KL(target ‖ q) from log-probabilities ln q (`F.kl_div`); reduction="batchmean" is the
    KL divergence per sample (PyTorch's default "mean" divides by every element and warns).
    It declares no task: its targets are distributions, not labels.

    >>> KLDivLoss(reduction="batchmean", log_target=True)
    KLDivLoss(reduction='batchmean', log_target=True)
    """

    def __init__(self, *, reduction: str = "mean", log_target: bool = False) -> None:
        if not (isinstance(reduction, str) and reduction in F._KL_REDUCTIONS):
            raise ValueError(f"KLDivLoss: reduction must be one of {F._KL_REDUCTIONS}, got "
                             f"{reduction!r}")
        self.reduction, self.log_target = reduction, bool(log_target)

    def forward(self, input: Any, target: Any) -> Any:
        return F.kl_div(input, target, self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, log_target={self.log_target}"


class MarginRankingLoss(_Loss):
    """max(0, -y (x1 - x2) + margin) for labels y = ±1 (`F.margin_ranking_loss`); called as
    loss(x1, x2, y). It declares no task (it scores pairs).

    >>> x1, x2 = Tensor([1.0, 1.0]), Tensor([0.0, 3.0])
    >>> MarginRankingLoss(reduction="none")(x1, x2, [1.0, 1.0])   # y = 1: x1 should be higher
    Tensor([0., 2.])
    """

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.margin = _real("MarginRankingLoss", "margin", margin)

    def forward(self, input1: Any, input2: Any, target: Any) -> Any:
        return F.margin_ranking_loss(input1, input2, target, self.margin,
                                     reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, margin={self.margin}"


@declare_loss("binary", to_labels="sign")
class SoftMarginLoss(_Loss):
    """ln(1 + e^(-y · score)) for labels y = ±1 (`F.soft_margin_loss`).

    >>> SoftMarginLoss()(Tensor([0.0, 0.0]), [1.0, -1.0])           # a score of 0: ln 2
    Tensor(0.6931472)
    """

    def forward(self, scores: Any, labels: Any) -> Any:
        return F.soft_margin_loss(scores, labels, self.reduction)


class TripletMarginLoss(_Loss):
    """max(0, d(a, p) - d(a, n) + margin), d = ‖x - y + eps‖_p (`F.triplet_margin_loss`);
    called as loss(anchor, positive, negative). Options in PyTorch's order; no task declared
    (it scores embeddings).

    >>> TripletMarginLoss(margin=0.5, swap=True)
    TripletMarginLoss(reduction='mean', margin=0.5, p=2.0, eps=1e-06, swap=True)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        name = "TripletMarginLoss"
        self.margin, self.eps = F.checked_triplet_margin(name, margin), _real(name, "eps", eps)
        self.p, self.swap = F.checked_norm_order(name, p), bool(swap)

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Any:
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                     self.swap, reduction=self.reduction)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, margin={self.margin}, p={self.p}, eps={self.eps}, "
                f"swap={self.swap}")


class TripletMarginWithDistanceLoss(_Loss):
    """`TripletMarginLoss` with your own `distance_function(x, y)`, one distance per row
    (`F.triplet_margin_with_distance_loss`; None: `F.pairwise_distance`). Keywords, as in
    PyTorch.

    >>> l1 = lambda x, y: (x - y).abs().sum(axis=-1)                # one distance per row
    >>> loss = TripletMarginWithDistanceLoss(distance_function=l1, reduction="none")
    >>> loss(Tensor([[0.0, 0.0]]), Tensor([[1.0, 0.0]]), Tensor([[1.5, 0.0]]))   # 1 - 1.5 + 1
    Tensor([0.5])
    """

    def __init__(self, *, distance_function: Any = None, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        name = "TripletMarginWithDistanceLoss"
        self.distance_function = F.checked_distance_function(name, distance_function)
        self.margin, self.swap = F.checked_triplet_margin(name, margin), bool(swap)

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Any:
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)

    def extra_repr(self) -> str:
        shown = getattr(self.distance_function, "__name__", type(self.distance_function).__name__)
        return (f"{super().extra_repr()}, distance_function={shown}, margin={self.margin}, "
                f"swap={self.swap}")


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1
    (`F.cosine_embedding_loss`); called as loss(x1, x2, y). No task declared (it scores pairs).

    >>> x1, x2 = Tensor([[1.0, 0.0], [1.0, 0.0]]), Tensor([[2.0, 0.0], [0.0, 1.0]])
    >>> CosineEmbeddingLoss(reduction="none")(x1, x2, [1, 1])      # cos = 1, cos = 0
    Tensor([0., 1.])
    """

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.margin = F.checked_cosine_margin("CosineEmbeddingLoss", margin)

    def forward(self, input1: Any, input2: Any, target: Any) -> Any:
        return F.cosine_embedding_loss(input1, input2, target, self.margin,
                                       reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, margin={self.margin}"


class HingeEmbeddingLoss(_Loss):
    """x for y = 1, max(0, margin - x) for y = -1, x a distance (`F.hinge_embedding_loss`).
    No task declared (its inputs are distances, not scores).

    >>> HingeEmbeddingLoss(reduction="none")(Tensor([0.3, 0.3]), [1, -1])   # 0.3, 1 - 0.3
    Tensor([0.3, 0.7])
    """

    def __init__(self, margin: float = 1.0, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.margin = _real("HingeEmbeddingLoss", "margin", margin)

    def forward(self, input: Any, target: Any) -> Any:
        return F.hinge_embedding_loss(input, target, self.reduction, margin=self.margin)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, margin={self.margin}"


@declare_loss("multiclass")
class MultiMarginLoss(_Loss):
    """w_y Σ_{i ≠ y} max(0, margin - x_y + x_i)^p / C, the multiclass hinge loss
    (`F.multi_margin_loss`), with PyTorch's p (1 or 2), margin and per-class `weight`, in
    PyTorch's order; the weight is a buffer in the state_dict, as PyTorch's.

    >>> MultiMarginLoss(2, weight=[1.0, 2.0])
    MultiMarginLoss(reduction='mean', p=2, margin=1.0, weight=[1.0, 2.0])
    """

    to_probabilities = None         # margins, read by arg-max: no probabilities (nn.scoring)

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None, *,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        name = "MultiMarginLoss"
        if isinstance(p, bool) or p not in (1, 2):
            raise ValueError(f"{name}: p must be 1 (hinge) or 2 (squared hinge), got {p!r}")
        self.p, self.margin = int(p), _real(name, "margin", margin)
        weight, _, _ = class_options(name, weight, -100, 0.0, None, None)
        _register_weight(self, "weight", weight)

    def forward(self, input: Any, target: Any) -> Any:
        return F.multi_margin_loss(input, target, self.reduction, p=self.p, margin=self.margin,
                                   weight=self.weight)

    def extra_repr(self) -> str:
        shown = f"{super().extra_repr()}, p={self.p}, margin={self.margin}"
        return shown if self.weight is None else f"{shown}, weight={self.weight.tolist()}"


class MultiLabelMarginLoss(_Loss):
    """Σ_{j ∈ Y} Σ_{i ∉ Y} max(0, 1 - x_j + x_i) / C, targets listing each sample's classes
    then -1 (`F.multilabel_margin_loss`). No task declared (its targets are lists of classes,
    which the metrics do not read).

    >>> MultiLabelMarginLoss()(Tensor([[1.0, 0.5]]), [[0, -1]])   # max(0, 1 - 1.0 + 0.5) / 2
    Tensor(0.25)
    """

    def forward(self, input: Any, target: Any) -> Any:
        return F.multilabel_margin_loss(input, target, self.reduction)


@declare_loss("binary", to_labels="logit")
class MultiLabelSoftMarginLoss(_BinaryLoss):
    """The binary cross-entropy of each class's logit, averaged over the classes
    (`F.multilabel_soft_margin_loss`), with PyTorch's `weight` (first, as in PyTorch).

    >>> MultiLabelSoftMarginLoss()(Tensor([[0.0, 0.0]]), [[1.0, 0.0]])   # ln 2 for each class
    Tensor(0.6931472)
    """

    def forward(self, input: Any, target: Any) -> Any:
        return F.multilabel_soft_margin_loss(input, target, self.reduction, weight=self.weight)
