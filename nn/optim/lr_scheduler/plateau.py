"""ReduceLROnPlateau: a schedule driven by a metric, not by the epoch: the lr is cut when,
e.g., the validation loss stops improving."""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..optimizer import Optimizer
from .arguments import (Rule, _at_least, _integer, _interval, _metric, _non_negative, _one_of,
                        _optional, _real, _score)
from .base import LRScheduler, _no_epoch_argument


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by `factor` when a metric has stopped improving for `patience` epochs.

    Call `step(metric)` once per epoch with, e.g., the validation loss. An epoch improves on the
    best so far when its metric is below best · (1 − threshold) (mode="min", threshold_mode="rel";
    "abs": below best − threshold; mode="max": above best · (1 + threshold) or best + threshold).
    After more than `patience` epochs without improvement, each group's lr becomes
    max(lr · factor, min_lr) (skipped when that changes it by eps or less) and the count starts
    again after `cooldown` epochs in which bad epochs are not counted.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0, 2.0]:
    ...     schedule.step(loss)
    >>> schedule.get_last_lr()           # reduced after the 2nd and the 4th epoch without progress
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | Sequence[float] = 0,
                 eps: float = 1e-8) -> None:
        name = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        _one_of("min", "max")(name, "mode", mode)
        _one_of("rel", "abs")(name, "threshold_mode", threshold_mode)
        self.factor = _interval("[0, 1)")(name, "factor", factor)
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ValueError(f"{name}: min_lr has {len(min_lr)} values, the optimizer has "
                                 f"{groups} parameter group(s)")
            self.min_lrs = [_non_negative(name, "min_lr", lr) for lr in min_lr]
            self.default_min_lr = None
        else:
            self.default_min_lr = _non_negative(name, "min_lr", min_lr)    # also for new groups
            self.min_lrs = [self.default_min_lr] * groups
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        self.threshold = _non_negative(name, "threshold", threshold)
        self.patience = _integer(name, "patience", patience, low=0)
        self.cooldown = _integer(name, "cooldown", cooldown, low=0)
        self.eps = _non_negative(name, "eps", eps)
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = self._current_lrs()

    def _saved_rules(self) -> dict[str, Rule]:
        counter = _at_least(0)
        return {"mode": _one_of("min", "max"), "threshold_mode": _one_of("rel", "abs"),
                "factor": _interval("[0, 1)"), "default_min_lr": _optional(_non_negative),
                "min_lrs": _non_negative, "threshold": _non_negative, "patience": counter,
                "cooldown": counter, "eps": _non_negative, "last_epoch": counter,
                "best": _score, "num_bad_epochs": counter, "cooldown_counter": counter,
                "_last_lr": _real}

    def step(self, metrics: Any, epoch: Any = None) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number, a Value or a one-element Tensor)."""
        if epoch is not None:
            _no_epoch_argument(self)
        current = _metric(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0             # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _is_better(self, current: float) -> bool:
        best, threshold = self.best, self.threshold
        if self.mode == "min":
            bar = best * (1 - threshold) if self.threshold_mode == "rel" else best - threshold
            return current < bar
        bar = best * (1 + threshold) if self.threshold_mode == "rel" else best + threshold
        return current > bar

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs) and self.default_min_lr is not None:
            self.min_lrs = [self.default_min_lr] * len(groups)
        if len(groups) != len(self.min_lrs):
            raise RuntimeError(
                f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups, "
                f"{len(self.min_lrs)} when the scheduler was made; set .min_lrs to one value "
                f"per group")
        for group, min_lr in zip(groups, self.min_lrs):
            new_lr = max(group["lr"] * self.factor, min_lr)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr
