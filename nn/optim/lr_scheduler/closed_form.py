"""Schedules that are a formula of the epoch (its closed form in each docstring): StepLR,
MultiStepLR, ExponentialLR, LinearLR, ConstantLR, PolynomialLR, CosineAnnealingLR,
CosineAnnealingWarmRestarts; and of your own function of the epoch: LambdaLR, MultiplicativeLR."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Sequence

from ..optimizer import Optimizer
from .arguments import (Rule, _at_least, _integer, _interval, _lr_lambdas, _non_negative,
                        _positive, _real)
from .base import LRScheduler, _check_order


class StepLR(LRScheduler):
    """Multiply the lr by `gamma` every `step_size` epochs: lr_e = lr_0 · gamma^⌊e / step_size⌋.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(schedule.get_last_lr()[0]); opt.step(); schedule.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if isinstance(step_size, float) and step_size.is_integer():
            # PyTorch's own transformer tutorial writes StepLR(optimizer, 1.0, gamma=0.95)
            step_size = int(step_size)
        self.step_size = _integer("StepLR", "step_size", step_size, low=1)
        self.gamma = _positive("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "step_size": _at_least(1), "gamma": _positive}

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lrs(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by `gamma` at each epoch in `milestones`:
    lr_e = lr_0 · gamma^(number of milestones ≤ e) (a milestone listed twice counts twice).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = MultiStepLR(opt, milestones=[2, 5], gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(7):
    ...     lrs.append(schedule.get_last_lr()[0]); opt.step(); schedule.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        # any collection of epochs, as PyTorch takes (a list, a range, np.arange(...), a set)
        if isinstance(milestones, (str, bytes, Mapping)) or not isinstance(milestones, Iterable):
            raise TypeError(f"MultiStepLR: milestones must be a list of epochs, got "
                            f"{milestones!r:.60}")
        self.milestones = sorted(_integer("MultiStepLR", "a milestone", m, low=0)
                                 for m in milestones)
        self.gamma = _positive("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    _saved_lists_of_any_length = ("milestones",)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "milestones": _at_least(0), "gamma": _positive}

    def _check_loaded(self, where: str, state: dict[str, Any]) -> None:
        state["milestones"] = sorted(state["milestones"])      # as the constructor keeps them

    def get_lr(self) -> list[float]:
        hits = self.milestones.count(self.last_epoch)
        return [lr * self.gamma ** hits for lr in self._current_lrs()]

    def _closed_form_lrs(self) -> list[float]:
        passed = sum(m <= self.last_epoch for m in self.milestones)
        return [base * self.gamma ** passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by `gamma` every epoch: lr_e = lr_0 · gammaᵉ.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = ExponentialLR(opt, gamma=0.5)
    >>> for epoch in range(2):
    ...     opt.step(); schedule.step()
    >>> schedule.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "gamma": _positive}

    def get_lr(self) -> list[float]:
        if self._initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lrs(self) -> list[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the lr linearly from `start_factor` to `end_factor` over `total_iters` epochs, then
    hold it: lr_e = lr_0 · (start + (end − start) · min(e, total_iters) / total_iters).

    The start factor applies as soon as the scheduler is made. micrograd's demo decay
    lr = 1.0 − 0.9 · k / 100 is `LinearLR(opt, start_factor=1.0, end_factor=0.1,
    total_iters=100)` on an optimizer with lr=1.0 (see the package's docstring, in __init__.py).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(schedule.get_last_lr()[0]); opt.step(); schedule.step()
    >>> lrs                                     # 0.25 + 0.75 · e / 3, then held
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        self.start_factor = _interval("(0, 1]")("LinearLR", "start_factor", start_factor)
        self.end_factor = _interval("[0, 1]")("LinearLR", "end_factor", end_factor)
        self.total_iters = _integer("LinearLR", "total_iters", total_iters, low=1)
        super().__init__(optimizer, last_epoch)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "start_factor": _interval("(0, 1]"),
                "end_factor": _interval("[0, 1]"), "total_iters": _at_least(1)}

    def get_lr(self) -> list[float]:
        e, total = self.last_epoch, self.total_iters
        start, end = self.start_factor, self.end_factor
        if e == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._initial or e > total:
            return self._current_lrs()
        # factor(e) / factor(e - 1), with factor(e) = start + (end - start) * e / total
        ratio = 1.0 + (end - start) / (total * start + (e - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]

    def _closed_form_lrs(self) -> list[float]:
        start, end = self.start_factor, self.end_factor
        return [base * (start + (end - start) * min(self.total_iters, self.last_epoch)
                        / self.total_iters) for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """Multiply the lr by `factor` for the first `total_iters` epochs, then restore it:
    lr_e = lr_0 · factor for e < total_iters, lr_0 from then on (a warm-up at a constant lr).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(schedule.get_last_lr()[0]); opt.step(); schedule.step()
    >>> lrs
    [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        self.factor = _interval("(0, 1]")("ConstantLR", "factor", factor)
        self.total_iters = _integer("ConstantLR", "total_iters", total_iters, low=1)
        super().__init__(optimizer, last_epoch)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "factor": _interval("(0, 1]"),
                "total_iters": _at_least(1)}

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]   # PyTorch's rounding

    def _closed_form_lrs(self) -> list[float]:
        restored = self.last_epoch >= self.total_iters
        return [base * (self.factor + restored * (1 - self.factor)) for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the lr to 0 over `total_iters` epochs along a polynomial, then hold it there:
    lr_e = lr_0 · (1 − min(e, total_iters) / total_iters)^power (power=1: a straight line).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = PolynomialLR(opt, total_iters=4, power=2.0)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(schedule.get_last_lr()[0]); opt.step(); schedule.step()
    >>> lrs                                     # (1 - e/4)²
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        self.total_iters = _integer("PolynomialLR", "total_iters", total_iters, low=1)
        self.power = _non_negative("PolynomialLR", "power", power)
        super().__init__(optimizer, last_epoch)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "total_iters": _at_least(1), "power": _non_negative}

    def get_lr(self) -> list[float]:
        e, total = self.last_epoch, self.total_iters
        if self._initial or e > total:
            return self._current_lrs()
        # factor(e) / factor(e - 1), raised to the power, in PyTorch's order of operations
        ratio = ((1.0 - e / total) / (1.0 - (e - 1) / total)) ** self.power
        return [lr * ratio for lr in self._current_lrs()]

    def _closed_form_lrs(self) -> list[float]:
        left = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * left ** self.power for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from lr_0 down to `eta_min` over `T_max` epochs:
    lr_e = eta_min + (lr_0 − eta_min) · (1 + cos(π · e / T_max)) / 2
    (without restarts: after T_max the cosine climbs back up, as in PyTorch).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = CosineAnnealingLR(opt, T_max=2)
    >>> opt.step(); schedule.step(); round(schedule.get_last_lr()[0], 12)
    0.5
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = _integer("CosineAnnealingLR", "T_max", T_max, low=1)
        self.eta_min = _non_negative("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "T_max": _at_least(1), "eta_min": _non_negative}

    def get_lr(self) -> list[float]:
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._initial:
            return self._current_lrs()
        if (e - 1 - T) % (2 * T) == 0:
            # leaving the bottom of the cosine, where the ratio below would divide by zero
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current_lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [eta_min + ratio * (lr - eta_min) for lr in self._current_lrs()]

    def _closed_form_lrs(self) -> list[float]:
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter): half a cosine from lr_0 down to `eta_min` over T_i epochs,
    then a restart at lr_0; the first period is T_0 epochs, each next one T_mult times longer:
    lr = eta_min + (lr_0 − eta_min) · (1 + cos(π · T_cur / T_i)) / 2, with T_cur the epochs
    since the last restart.

    `step()` moves one epoch on; `step(epoch)` goes to that epoch, which may be fractional, to
    restart within an epoch: `scheduler.step(epoch + i / batches)` after batch i (the lr at
    epoch t then uses T_cur = t − start of its period).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    >>> lrs = []
    >>> for epoch in range(7):
    ...     lrs.append(round(schedule.get_last_lr()[0], 4)); opt.step(); schedule.step()
    >>> lrs                        # periods of 2 and 4 epochs, restarting at epochs 2 and 6
    [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]
    >>> schedule.step(2.5); round(schedule.get_last_lr()[0], 4)      # T_cur = 0.5 of T_i = 4
    0.9619
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        name = "CosineAnnealingWarmRestarts"
        self.T_0 = _integer(name, "T_0", T_0, low=1)
        self.T_mult = _integer(name, "T_mult", T_mult, low=1)
        self.eta_min = _non_negative(name, "eta_min", eta_min)
        self.T_i = self.T_0
        self.T_cur = _integer(name, "last_epoch", last_epoch, low=-1)
        super().__init__(optimizer, last_epoch)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "T_0": _at_least(1), "T_mult": _at_least(1),
                "eta_min": _non_negative, "T_i": _at_least(1), "T_cur": _non_negative}

    def _check_loaded(self, where: str, state: dict[str, Any]) -> None:
        if not state["T_cur"] < state["T_i"]:
            raise ValueError(f"{where}: T_cur (epochs into the period) must be below T_i (the "
                             f"period's length), got T_cur={state['T_cur']!r}, "
                             f"T_i={state['T_i']!r}")
        if state["T_cur"].is_integer():
            state["T_cur"] = int(state["T_cur"])

    def get_lr(self) -> list[float]:
        cosine = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Move to the next epoch, or to `epoch` (a number >= 0, fractional within an epoch)."""
        if not self._initial:
            _check_order(self)
        if epoch is None and (self.last_epoch < 0 or self._initial):
            epoch = self.last_epoch + 1         # a new schedule (0) or one resumed: closed form
        if epoch is None:
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
            self.last_epoch += 1
        else:
            epoch = _real("CosineAnnealingWarmRestarts.step", "epoch", epoch)
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts.step: epoch must be >= 0, got "
                                 f"{epoch!r}")
            self._go_to(epoch)
            self.last_epoch = math.floor(epoch)
        self._write(self.get_lr())

    def _go_to(self, epoch: float) -> None:
        """T_i and T_cur at `epoch`: the periods T_0, T_0·T_mult, T_0·T_mult², ... that have
        passed are counted exactly (PyTorch takes a logarithm, which rounds down at some period
        ends, e.g. T_0=1, T_mult=10, epoch 111)."""
        start, length = 0, self.T_0
        while epoch >= start + length:
            start, length = start + length, length * self.T_mult
        if self.T_mult == 1:
            self.T_i, self.T_cur = self.T_0, epoch % self.T_0      # PyTorch's rounding
        else:
            self.T_i, self.T_cur = length, epoch - start
        if isinstance(self.T_cur, float) and self.T_cur.is_integer():
            self.T_cur = int(self.T_cur)

    def _restart(self) -> None:
        self.step(0)


class LambdaLR(LRScheduler):
    """Set the lr to lr_0 · lr_lambda(e), a factor computed by your function of the epoch e
    (or one function per parameter group). Functions are not saved by `state_dict()`: make the
    scheduler with them again, then load the state.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=0.5)
    >>> schedule = LambdaLR(opt, lr_lambda=lambda epoch: 1 / (1 + epoch))
    >>> for epoch in range(2):
    ...     opt.step(); schedule.step()
    >>> schedule.get_last_lr()      # 0.5 / 3
    [0.16666666666666666]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]
                 | Sequence[Callable[[int], float]], last_epoch: int = -1) -> None:
        self.lr_lambdas = _lr_lambdas("LambdaLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * _real("LambdaLR", f"lr_lambda({self.last_epoch})", f(self.last_epoch))
                for base, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        """As the other schedulers', without the functions (they are code, not data)."""
        state = super().state_dict()
        del state["lr_lambdas"]
        return state


class MultiplicativeLR(LRScheduler):
    """Multiply the lr by lr_lambda(e) at each epoch e ≥ 1, a factor computed by your function
    of the epoch (or one function per parameter group): lr_e = lr_(e−1) · lr_lambda(e), that is
    lr_0 · lr_lambda(1) · … · lr_lambda(e). Functions are not saved by `state_dict()`, as for
    LambdaLR.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.5)
    >>> for epoch in range(2):
    ...     opt.step(); schedule.step()
    >>> schedule.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]
                 | Sequence[Callable[[int], float]], last_epoch: int = -1) -> None:
        self.lr_lambdas = _lr_lambdas("MultiplicativeLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._initial:
            return self._current_lrs()
        e = self.last_epoch
        return [lr * _real("MultiplicativeLR", f"lr_lambda({e})", f(e))
                for lr, f in zip(self._current_lrs(), self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        """As the other schedulers', without the functions (they are code, not data)."""
        state = super().state_dict()
        del state["lr_lambdas"]
        return state
