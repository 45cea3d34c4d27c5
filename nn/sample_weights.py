"""Weighted training, `fit(..., sample_weight=w)`: each sample's loss counts w_i times. The
loss is asked for every sample's loss (`reduction="none"`, which every built-in loss takes)
and this module reduces them by the weights; the weights ride in the batches next to their
samples, so shuffling never parts them. The loop is in nn/train.py.

A batch's loss is the loss's own mean with each sample counted w_i times,

    Σ w_i l_i / Σ w_i

(for a loss of several numbers per sample, each of them counted as the loss counts it: see
`WeightedLoss`). Not Σ w_i l_i / n: with the weights' total as divisor, all-ones weights
train exactly as no weights do, and a batch's step does not grow with its weights' scale
(w and 10 w train alike), so the learning rate keeps its meaning. It is what a PyTorch loop
writes by hand, `(loss_fn(z, y, reduction="none") * w).sum() / w.sum()`.

>>> import numpy as np
>>> from autograd import Tensor
>>> from nn import mse_loss
>>> weighted = WeightedLoss("fit", mse_loss)
>>> loss = weighted(Tensor([1.0, 3.0]), np.array([0.0, 0.0]), np.array([3.0, 1.0]))
>>> float(loss.data), weighted.counted       # (3 · 1 + 1 · 9) / (3 + 1)
(3.0, 4.0)
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Callable

import numpy as np

from autograd import Tensor, Value

from . import scoring as S
from .data import DataLoader, TensorDataset
from .metrics.checks import _sample_weight
from .module import Module

__all__ = ["WeightedLoss"]

#: the reductions a weighted loss can stand for (divided by the weighted count, not divided,
#: divided by the samples' total weight: kl_div's "batchmean")
_REDUCTIONS = ("mean", "sum", "batchmean")


class WeightedLoss:
    """`loss_fn` weighted by sample: `weighted(outputs, y, w)` is the loss of the batch with
    sample i counted w[i] times, reduced as `loss_fn` reduces ("mean", "sum", or KLDivLoss's
    "batchmean"). After each call, `counted` is the batch's weighted count, the divisor of its
    mean (Σ w_i for one loss per sample), by which fit weighs the batch in the epoch's mean.

    A loss of several numbers per sample (targets (N, D), a sequence's positions (N, T))
    counts each number as the loss does, with its sample's weight: the mean is
    Σ w_i l_it / Σ w_i c_it, c_it being 1, or 0 for a position labelled with the loss's
    `ignore_index`, or the class weight w[y_it] of `cross_entropy(weight=)` (the divisor of
    its own mean). So integer weights train exactly as the rows repeated would, and all-ones
    as no weights; a sequence of many counted positions weighs more than a short one, as in
    the unweighted mean. (Averaging each sample's positions first would give every sequence
    the same say whatever its length, a different loss from the one the model trains on
    without weights.)

    Refused, naming `where`: a loss that takes no `reduction=` (a hand-written one), or one
    made with reduction="none". `what` names the weights in errors (sample_weight, or the
    w of fit's val_data=(X, y, w))."""

    def __init__(self, where: str, loss_fn: Callable, what: str = "sample_weight") -> None:
        self.where, self.loss_fn, self.name = where, loss_fn, S.loss_name(loss_fn)
        self.what = what
        self.per_sample, self.reduction = _per_sample_loss(where, loss_fn, what)
        self.ignored, self.class_weight = S.ignored_label(loss_fn), S.label_weight(loss_fn)
        self.counted = 0.0

    def __call__(self, outputs: Any, y: np.ndarray, w: np.ndarray) -> Any:
        losses = self.per_sample(outputs, y)
        if isinstance(losses, list):            # a scalar model's losses: a list of Values
            return self._values(losses, w)
        if not isinstance(losses, Tensor) or losses.ndim == 0 or len(losses) != len(w):
            shape = np.shape(getattr(losses, "data", losses))
            raise ValueError(f"{self.where}: {self.what} weighs one loss per sample, but "
                             f"{self.name}(outputs, y, reduction='none') gave "
                             f"{type(losses).__name__} of shape {shape} for a batch of "
                             f"{len(w)} samples; it must give shape ({len(w)}, ...)")
        per_number = np.reshape(w, (len(w),) + (1,) * (losses.ndim - 1))
        total = (losses * per_number.astype(losses.dtype)).sum()
        if self.reduction == "batchmean":
            divisor = float(np.sum(w))
        else:                                   # (in float64, as the loss's own count)
            counts = _counts(losses.shape, y, self.ignored, self.class_weight)
            divisor = float((counts * per_number).sum())
        self.counted = divisor if self.reduction != "sum" else float(np.sum(w))
        if self.reduction == "sum" or divisor == 0:
            # all weights 0 (or every position ignored): the total is 0 with a zero gradient, as
            # an unweighted batch of only ignored labels steps on a zero gradient; counted 0
            # keeps it out of the epoch's mean
            return total
        return total / divisor

    def _values(self, losses: list, w: np.ndarray) -> Any:
        """A scalar model's losses, one Value per sample."""
        if len(losses) != len(w) or not all(isinstance(v, Value) for v in losses):
            raise ValueError(f"{self.where}: {self.what} weighs one loss per sample, but "
                             f"{self.name}(outputs, y, reduction='none') gave {len(losses)} "
                             f"items for a batch of {len(w)} samples")
        total = sum((float(wi) * v for wi, v in zip(w, losses)), Value(0.0))
        self.counted = float(np.sum(w))
        return total if self.reduction == "sum" or self.counted == 0 else total / self.counted


def _per_sample_loss(where: str, loss_fn: Callable, what: str) -> tuple[Callable, str]:
    """A function (outputs, y) -> every sample's loss, and the reduction `loss_fn` applies:
    a loss module (MSELoss(), CrossEntropyLoss(weight=...)) is copied with reduction="none";
    a function (or partial) taking `reduction=` is called with it."""
    name = S.loss_name(loss_fn)
    if isinstance(loss_fn, Module) and isinstance(getattr(loss_fn, "reduction", None), str):
        reduction = loss_fn.reduction
        per_sample = copy.copy(loss_fn)         # the user's module keeps its own reduction
        per_sample.reduction = "none"
    else:
        reduction = _reduction_parameter(loss_fn)
        if reduction is None:
            named = name.isidentifier()             # (not a lambda's "<lambda>")
            raise TypeError(
                f"{where}: {what} needs each sample's loss, and "
                f"{name if named else 'your loss (a lambda)'} takes no reduction= to give "
                f"them (the built-in losses do: cross_entropy, mse_loss, CrossEntropyLoss(), "
                f"...); give it a reduction parameter, def {name if named else 'my_loss'}"
                f"(outputs, y, reduction='mean'), returning one loss per sample for "
                f"reduction='none' (they are weighed and averaged here), or weigh the samples "
                f"inside your loss yourself and leave {what} out")

        def per_sample(outputs: Any, y: Any) -> Any:
            return loss_fn(outputs, y, reduction="none")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: {what} weighs the loss of each sample and averages "
                         f"them, but {name} has reduction={reduction!r}; make it with "
                         f"reduction='mean' (or 'sum')")
    return per_sample, reduction


def _reduction_parameter(loss_fn: Callable) -> str | None:
    """The default of `loss_fn`'s `reduction` parameter (a partial's given value), "mean" for a
    function taking **kwargs, or None when it takes no reduction=. A `functools.wraps`
    wrapper is read as itself (its own parameters are what it accepts), a loss Module of
    your own by its forward."""
    called = loss_fn.forward if isinstance(loss_fn, Module) else loss_fn
    try:
        parameters = inspect.signature(called, follow_wrapped=False).parameters
    except (TypeError, ValueError):
        return None
    if "reduction" in parameters:
        default = parameters["reduction"].default
        return "mean" if default is inspect.Parameter.empty else default
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return "mean"
    return None


def _counts(shape: tuple, y: np.ndarray, ignored: int | None,
            class_weight: np.ndarray | None) -> np.ndarray:
    """How much each number of a batch's per-sample losses (of `shape`) counts in the loss's
    mean: 1, or for class labels of that shape, 0 where labelled `ignored` and the class
    weight of the label where the loss has one (probability targets count 1 each, as
    PyTorch's mean divides by N then)."""
    y = np.asarray(y)
    if ignored is None or y.shape != tuple(shape) or y.dtype.kind not in "iu":
        return np.ones(shape)
    kept = y != ignored
    if class_weight is None:
        return kept.astype(np.float64)
    labels = np.where(kept, y, 0)       # (the loss has refused labels out of range)
    return np.where(kept, class_weight[np.clip(labels, 0, len(class_weight) - 1)], 0.0)


def checked_weights(where: str, sample_weight: Any, n: int, name: str = "sample_weight"
                    ) -> np.ndarray | None:
    """None, or the weights checked as the metrics check theirs (one per sample, numbers >= 0,
    finite, not all 0): the one check of fit's, evaluate's and the searches' weights, its
    error naming `where` and the weights as `name`."""
    try:
        return _sample_weight(where, sample_weight, n)
    except (TypeError, ValueError) as error:
        if name == "sample_weight":
            raise
        raise type(error)(str(error).replace("sample_weight", name)) from None


def train_weights(where: str, data: Any, loader: DataLoader, sample_weight: Any
                  ) -> tuple[DataLoader, np.ndarray]:
    """`loader` (fit's batches of `data`) with the checked weights as the last entry of every
    batch: (x, y, w), or (xa, xb, y, w) for several inputs. The weights are a further array of
    the same rows, so a shuffled batch gathers the same rows of X, y and w."""
    if isinstance(data, DataLoader):
        raise ValueError(f"{where}: sample_weight needs train_data as arrays (X, y), whose rows "
                         f"the weights follow through fit's shuffling; a DataLoader batches and "
                         f"shuffles by itself: pass (X, y) with sample_weight, or put the weights "
                         f"in its dataset, TensorDataset(X, y, w), and train with your own loop "
                         f"and a loss that takes them")
    if loader.X is None:
        raise ValueError(f"{where}: sample_weight needs train_data as arrays (X, y) or a "
                         f"TensorDataset, whose rows the weights follow through fit's "
                         f"shuffling; this is a dataset of samples "
                         f"({type(loader.dataset).__name__}): pass its arrays (X, y) instead")
    w = checked_weights(where, sample_weight, len(loader.X))
    dataset = TensorDataset._of_checked((*loader.dataset.arrays, w),
                                        (*loader.dataset._tensors, False))
    # the same options and the same generator: the rows come in the order they would have
    return dataset_loader(dataset, loader), w


def dataset_loader(dataset: TensorDataset, like: DataLoader) -> DataLoader:
    """A loader over `dataset` batched and shuffled as `like`, drawing from its generator."""
    return DataLoader(dataset, batch_size=like.batch_size, shuffle=like.shuffle,
                      drop_last=like.drop_last, generator=like._rng)


def split_val_weights(val_data: Any) -> tuple[Any, Any]:
    """Keras' validation data with weights, (X, y, w): the data (X, y) and w; anything else
    as it is, with no weights."""
    if isinstance(val_data, (tuple, list)) and len(val_data) == 3 and not any(
            isinstance(part, tuple) for part in val_data[1:]):
        return (val_data[0], val_data[1]), val_data[2]
    return val_data, None
