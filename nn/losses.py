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

from typing import Any

import numpy as np

from autograd.functional import _check_reduction

from . import functional as F
from .module import Module
from .scoring import declare_loss

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
           "HingeLoss"]


class _Loss(Module):
    """A loss module: `reduction` is checked here, when the module is made."""

    def __init__(self, *, reduction: str = "mean") -> None:
        _check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


@declare_loss("regression")
class MSELoss(_Loss):
    """Mean squared error (`F.mse_loss`)."""
    def forward(self, pred: Any, target: Any) -> Any:
        return F.mse_loss(pred, target, self.reduction)


@declare_loss("regression")
class L1Loss(_Loss):
    """Mean absolute error (`F.l1_loss`)."""
    def forward(self, pred: Any, target: Any) -> Any:
        return F.l1_loss(pred, target, self.reduction)


@declare_loss("binary", to_labels="probability")
class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (`F.binary_cross_entropy`)."""
    def forward(self, probs: Any, target: Any) -> Any:
        return F.binary_cross_entropy(probs, target, self.reduction)


@declare_loss("binary", to_labels="logit")
class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits, stable (`F.binary_cross_entropy_with_logits`)."""

    def __init__(self, *, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction=reduction)
        self.pos_weight = pos_weight

    def forward(self, logits: Any, target: Any) -> Any:
        return F.binary_cross_entropy_with_logits(logits, target, self.reduction,
                                                  pos_weight=self.pos_weight)

    def extra_repr(self) -> str:
        if self.pos_weight is None:
            return super().extra_repr()
        return f"{super().extra_repr()}, pos_weight={np.asarray(self.pos_weight).tolist()}"


@declare_loss("multiclass")
class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits, with class labels or probabilities (`F.cross_entropy`)."""
    def forward(self, logits: Any, target: Any) -> Any:
        return F.cross_entropy(logits, target, self.reduction)


@declare_loss("multiclass")
class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (`F.nll_loss`)."""
    def forward(self, log_probs: Any, labels: Any) -> Any:
        return F.nll_loss(log_probs, labels, self.reduction)


@declare_loss("binary", to_labels="sign")
class HingeLoss(_Loss):
    """Max-margin loss max(0, 1 - y·score) for labels ±1 (`F.hinge_loss`, micrograd's demo)."""
    def forward(self, scores: Any, labels: Any) -> Any:
        return F.hinge_loss(scores, labels, self.reduction)
