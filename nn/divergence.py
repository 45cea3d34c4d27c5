"""When the numbers of a `fit` run stop being finite: `TrainingDiverged`, the error `fit`
raises then, the message that says whose fault it is (the data's, the model's before any
step, or the step's: the learning rate) and the span in which numpy's own overflow warnings
are off, so that this error speaks first. The loop that uses them is in nn/train.py.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from autograd import Tensor

__all__ = ["TrainingDiverged"]


class TrainingDiverged(FloatingPointError):
    """`fit`'s loss became NaN or infinite: `loss` is that value, `epoch` and `batch` (from 1)
    say where, `stepped` whether any step had been taken (if not, the data or the model is at
    fault, not the learning rate)."""

    def __init__(self, message: str, *, loss: float, epoch: int, batch: int,
                 stepped: bool) -> None:
        super().__init__(message)
        self.loss, self.epoch, self.batch, self.stepped = loss, epoch, batch, stepped


def _numbers_judged_here() -> np.errstate:
    """numpy's warnings of overflow and invalid values (inf - inf, 0 * inf) turned off, for a
    span whose code judges the numbers itself: in fit, a loss, weights or validation outputs
    that are no longer finite stop training with TrainingDiverged, which says where and what to
    do; the warnings would come first, from deep inside the library (the optimizer's update, a
    fused op), and say neither. A setting you changed from numpy's "warn" stays as you set it
    (np.seterr(over="raise") to find where a number overflows).

    >>> with _numbers_judged_here():
    ...     np.geterr()["over"], np.geterr()["invalid"], np.geterr()["divide"]
    ('ignore', 'ignore', 'warn')
    """
    quiet = {kind: "ignore" for kind, setting in np.geterr().items()
             if kind in ("over", "invalid") and setting == "warn"}
    return np.errstate(**quiet)


def _check_batch_finite(where: str, xb: Any, yb: np.ndarray, which: str) -> None:
    """A batch with NaN or infinity in it is the data's fault, not the learning rate's: a
    DataLoader over a dataset of samples does not check them on the way in (it would have to
    read them all), so a non-finite loss looks here before blaming the step."""
    for name, values in (("x", xb), ("y", yb)):
        bad = [a for a in _arrays_in(values) if a.dtype.kind == "f" and not np.isfinite(a).all()]
        if bad:
            what = "NaN" if any(np.isnan(a).any() for a in bad) else "infinity"
            raise ValueError(f"{where}: {which} holds {what} in its {name} (the loss is not "
                             f"finite); remove or fill those samples")


def _arrays_in(values: Any) -> Iterator[np.ndarray]:
    """The arrays of a batch's x or y: a Tensor, an array, or those inside a tuple, list or
    dict of the model's several inputs (a PackedSequence is a tuple too)."""
    if isinstance(values, dict):
        values = list(values.values())
    if isinstance(values, (tuple, list)):
        for part in values:
            yield from _arrays_in(part)
    else:
        yield np.asarray(values.data if isinstance(values, Tensor) else values)


def _unscaled(xb: Any, yb: Any) -> str:
    """Advice for a batch of large numbers (a house's area in m², its price): the gradient of a
    weight grows with its input, and of the squared error with the target, so no single lr
    suits them; standardised they train with the lr of the lectures."""
    large = []
    for name, values in (("inputs", xb), ("targets", yb)):
        floats = [a for a in _arrays_in(values) if values is not None and a.dtype.kind == "f"]
        biggest = max((float(np.abs(a).max()) for a in floats if a.size), default=0.0)
        if biggest > 10:
            large.append(f"{name} reach {biggest:.4g}" if not large else f"{name} {biggest:.4g}")
    if not large:
        return ""
    return (f", or standardise the data: this batch's {' and its '.join(large)} (scale the "
            f"columns with nn.data.StandardScaler fitted on the training rows; for a "
            f"regression, the target too)")


def _diverged(value: float, epoch: int, batch: int, stepped: bool,
              optimizer: Any = None, batches: int = 1, xb: Any = None,
              yb: Any = None) -> TrainingDiverged:
    where = f"epoch {epoch}, batch {batch}"
    facts = {"loss": value, "epoch": epoch, "batch": batch, "stepped": stepped}
    if not stepped:
        return TrainingDiverged(
            f"fit: the loss is {value} at the start ({where}), before any step; check the "
            f"model's outputs and the loss for this data", **facts)
    advice = "try a smaller learning rate" + _unscaled(xb, yb)
    if getattr(optimizer, "step_needs_closure", False) and batches > 1:
        # L-BFGS's curvature comes from gradient changes between steps, which on mini-batches
        # are changes of batch as much as of weights: a smaller lr did not save it
        advice = (f"{type(optimizer).__name__} is meant for the whole data at once, not "
                  f"{batches} batches an epoch: pass batch_size=len(X), and make it with "
                  f"line_search_fn='strong_wolfe'")
    return TrainingDiverged(
        f"fit: the loss became {value} at {where}; the weights are back as they were before "
        f"the step that did it; {advice} (the optimizer's state is not put back: make a new "
        f"optimizer)", **facts)
