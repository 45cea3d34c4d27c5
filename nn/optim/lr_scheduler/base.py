"""Learning-rate schedules: change each parameter group's `lr` as training goes on (PyTorch's).

Call `scheduler.step()` once per epoch (or per batch, if that is your unit), after
`optimizer.step()`. Making a scheduler sets the lr of epoch 0 at once; `last_epoch` counts the
steps taken, `get_last_lr()` gives the lrs now in force.

Like PyTorch's, each step multiplies the current lr by the ratio of consecutive values of the
schedule (the closed form in each docstring), so that a schedule composes with other changes to
the lr, e.g. two schedulers on one optimizer, or `ReduceLROnPlateau` alongside a decay.

>>> from autograd import Value
>>> from nn.optim import SGD
>>> from nn.optim.lr_scheduler import LinearLR
>>> opt = SGD([Value(0.0)], lr=1.0)
>>> schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
>>> lrs = []
>>> for k in range(100):
...     lrs.append(opt.param_groups[0]["lr"])     # training step k uses this lr
...     opt.step(); schedule.step()
>>> lrs[0], round(lrs[50], 12), round(lrs[99], 12)   # micrograd's demo: 1.0 - 0.9 * k / 100
(1.0, 0.55, 0.109)
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Sequence

import numpy as np

from autograd.graph import Node
from autograd.warn import warn

from ..optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR",
           "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "LambdaLR",
           "MultiplicativeLR", "OneCycleLR", "CyclicLR", "ReduceLROnPlateau", "SequentialLR",
           "ChainedScheduler"]

#: a check of one setting: rule(where, name, value) returns the value (as a float or an int) or
#: raises, saying where the value was given (the constructor, or load_state_dict)
Rule = Callable[[str, str, Any], Any]


class LRScheduler:
    """Base class: a subclass writes `get_lr()`, the lrs for epoch `last_epoch` computed from
    the current ones; `step()` advances the epoch and writes them into the optimizer.

    `last_epoch=-1` starts a new schedule (each group's lr is remembered as "initial_lr").
    Another value resumes one, PyTorch's way: the groups need "initial_lr" (they have it when
    the optimizer's state dict was saved with a scheduler attached), and making the scheduler
    steps to epoch last_epoch + 1. ExponentialLR, LinearLR, CosineAnnealingLR, PolynomialLR and
    MultiplicativeLR take the lr now in the optimizer as that epoch's; StepLR, MultiStepLR and
    ConstantLR apply that epoch's change to it, if the epoch has one; LambdaLR, OneCycleLR,
    CyclicLR and CosineAnnealingWarmRestarts compute it afresh from "initial_lr" (CyclicLR: from
    base_lr). Simpler: make the scheduler as new and `load_state_dict()` the saved one.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        last_epoch = _integer(name, "last_epoch", last_epoch, low=-1)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            missing = [i for i, group in enumerate(optimizer.param_groups)
                       if "initial_lr" not in group]
            if missing:
                raise ValueError(
                    f"{name}: resuming at last_epoch={last_epoch} needs 'initial_lr' in every "
                    f"parameter group, missing in group(s) {missing} (load the optimizer's "
                    f"state dict first, or start with last_epoch=-1)")
        self.optimizer = optimizer
        self.base_lrs = self._starting_lrs()
        self.last_epoch = last_epoch
        self._initial_step()

    def _starting_lrs(self) -> list[float]:
        """The lrs the schedule is computed from: each group's "initial_lr"."""
        return [group["initial_lr"] for group in self.optimizer.param_groups]

    def _initial_step(self) -> None:
        self._initial = True        # this step sets the start lr; it must not also decay it
        try:
            self.step()
        finally:
            self._initial = False

    def _undo(self) -> None:
        """Take back the step that made the scheduler (SequentialLR starts its schedulers again)."""
        self.last_epoch -= 1

    def _rewind(self) -> None:
        """Back to before epoch 0 (a SequentialLR inside a SequentialLR starts again)."""
        self.last_epoch = -1

    def _restart(self) -> None:
        """Go to epoch 0 and set its lr from `base_lrs`, whatever the lr now (SequentialLR, at a
        milestone): by the closed form where the schedule has one, else by `get_lr()`."""
        self.last_epoch = 0
        closed_form = getattr(self, "_closed_form_lrs", None)
        self._write(closed_form() if closed_form is not None else self.get_lr())

    def get_lr(self) -> list[float]:
        """The lr of each group for epoch `last_epoch` (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr()")

    def step(self, epoch: Any = None) -> None:
        """Move to the next epoch and set its lr in every parameter group."""
        if epoch is not None:
            _no_epoch_argument(self)
        self._check_groups()
        if not self._initial:
            _check_order(self)
        self.last_epoch += 1
        self._write(self.get_lr())

    def _check_groups(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise RuntimeError(f"{type(self).__name__}: the optimizer has {len(groups)} "
                               f"parameter groups, {len(self.base_lrs)} when the scheduler was "
                               f"made; make the scheduler after adding groups")

    def _write(self, lrs: list[float]) -> None:
        self._check_groups()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self) -> list[float]:
        """The lr of each parameter group as last set by this scheduler."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's counters and settings (everything but the optimizer), as plain data."""
        return {key: list(value) if isinstance(value, list) else value
                for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by `state_dict()` of the same kind of scheduler."""
        name = type(self).__name__
        expected = set(self.state_dict())
        given, state_dict = state_dict, _from_pytorch(state_dict)
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict: expected the keys {sorted(expected)} "
                             f"(a {name}'s state_dict()), got {got}{_pytorch_hint(given)}")
        current = self.state_dict()
        for key, value in state_dict.items():
            if key in self._saved_lists_of_any_length:
                fits = isinstance(value, (list, tuple))     # the rules check each entry
            else:
                fits = _same_kind(current[key], value)
            if not fits:
                raise ValueError(f"{name}.load_state_dict: {key!r} is {value!r:.60}, expected "
                                 f"a value of the kind it has now ({current[key]!r:.60})")
        vars(self).update(self._checked(state_dict))

    #: saved lists whose length belongs to the saved schedule, not to the optimizer's groups:
    #: the saved one is taken whatever its length (a resumed run goes on with its own schedule)
    _saved_lists_of_any_length: tuple[str, ...] = ()

    def _checked(self, state_dict: dict[str, Any]) -> dict[str, Any]:
        """The saved entries passed through `_saved_rules()` (lists entry by entry, as copies),
        then `_check_loaded`; raises before anything changes."""
        where = f"{type(self).__name__}.load_state_dict"
        rules = self._saved_rules()
        checked = {}
        try:
            for key, value in state_dict.items():
                rule = rules.get(key)
                if isinstance(value, (list, tuple)):
                    checked[key] = [v if rule is None else rule(where, f"{key}[{i}]", v)
                                    for i, v in enumerate(value)]
                else:
                    checked[key] = value if rule is None else rule(where, key, value)
        except TypeError as error:          # 2.5 where a count belongs: a damaged value, too
            raise ValueError(str(error)) from None
        self._check_loaded(where, checked)
        return checked

    def _saved_rules(self) -> dict[str, Rule]:
        """How each saved entry is checked on loading: the rules the constructor applies (each
        subclass adds its settings'), so that a damaged file cannot set last_epoch=NaN or
        step_size=-2."""
        return {"last_epoch": _at_least(-1), "base_lrs": _non_negative, "_last_lr": _real,
                "_initial": _false}

    def _check_loaded(self, where: str, state: dict[str, Any]) -> None:
        """Rules that tie saved entries together (subclasses that have some say them)."""


#: what PyTorch's schedulers keep and glassgrad's compute when needed
PYTORCH_ONLY = ("_step_count", "_get_lr_called_within_step", "verbose", "mode_worse")


def _from_pytorch(state_dict: Any) -> Any:
    """A state dict in glassgrad's names and forms, from a torch.optim.lr_scheduler one (and
    from a `.pt` file): PyTorch's counts of its calls are left out (the lr is computed from
    `last_epoch` alone, ReduceLROnPlateau's worst value from its mode), its flag of the step
    made by the constructor is `_initial` here, LambdaLR's lr_lambdas (None: functions are
    not saved) are left out, and MultiStepLR's milestones, a Counter {epoch: count} there,
    are a sorted list."""
    if not isinstance(state_dict, dict):
        return state_dict
    state = {k: v for k, v in state_dict.items() if k not in PYTORCH_ONLY}
    if "_is_initial" in state:
        state["_initial"] = state.pop("_is_initial")
    lambdas = state.get("lr_lambdas")
    if isinstance(lambdas, list) and all(f is None for f in lambdas):
        del state["lr_lambdas"]                 # LambdaLR's functions, which were not saved
    counts = state.get("milestones")
    if isinstance(counts, Mapping) and all(type(n) is int and 0 <= n <= 1000
                                           for n in counts.values()):
        state["milestones"] = sorted(m for m, n in counts.items() for _ in range(n))
    return state


def _pytorch_hint(state_dict: Any) -> str:
    """For a torch.optim.lr_scheduler state dict that `_from_pytorch` cannot translate (its
    OneCycleLR and CyclicLR keep their phases and the optimizer's groups their bounds)."""
    pytorch_only = {"_step_count", "_get_lr_called_within_step", "_is_initial", "mode_worse",
                    "verbose"}
    if not isinstance(state_dict, dict) or not pytorch_only & set(state_dict):
        return ""
    return ("; this looks like a PyTorch scheduler's state_dict, and this scheduler keeps "
            "other entries in glassgrad: start it afresh")


def _same_kind(current: Any, value: Any) -> bool:
    """Whether a saved scheduler entry can stand where `current` is: a number for a number (a
    counter or an lr; None where a best score is not known yet, either way), a flag for a flag,
    text for text, a list of as many numbers for a list."""
    def number(x: Any) -> bool:
        return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))
    if isinstance(current, (bool, np.bool_)):
        return isinstance(value, (bool, np.bool_))
    if number(current) or current is None:
        return number(value) or value is None
    if isinstance(current, str):
        return isinstance(value, str)
    if isinstance(current, list):
        return (isinstance(value, (list, tuple)) and len(value) == len(current)
                and all(_same_kind(c, v) for c, v in zip(current, value)))
    return True


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
    total_iters=100)` on an optimizer with lr=1.0 (see the module docstring).
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


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin), stepped once per batch: the lr warms up from
    max_lr / div_factor to max_lr over the first pct_start of total_steps, then anneals down to
    max_lr / (div_factor · final_div_factor) at the last step. PyTorch's schedule, in closed form:
    in a phase from step s to step t going from lr a to lr b, with p = (e − s) / (t − s),

        anneal_strategy="cos":     lr_e = b + (a − b) · (1 + cos(π · p)) / 2
        anneal_strategy="linear":  lr_e = a + (b − a) · p

    The warm-up ends at step pct_start · total_steps − 1, the last phase at total_steps − 1.
    `three_phase=True` comes back down to the start lr by step 2 · pct_start · total_steps − 2
    and then anneals to the final lr. Give `total_steps`, or `epochs` and `steps_per_epoch`;
    calling `step()` more than total_steps times is an error, as in PyTorch. `max_lr` (and the
    momenta) may be one number or one per parameter group.

    `cycle_momentum` (on by default, as in PyTorch) moves the momentum the other way, from
    max_momentum down to base_momentum while the lr rises and back up while it falls: SGD's or
    RMSprop's `momentum`, the Adam family's beta1. SGD made without momentum gets it. Pass
    `cycle_momentum=False` to leave the momentum alone (needed for Adagrad or Adadelta, which
    have none).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=0.1, momentum=0.9)
    >>> schedule = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> lrs = []
    >>> for step in range(10):
    ...     lrs.append(schedule.get_last_lr()[0]); opt.step(); schedule.step()
    >>> [round(lr, 4) for lr in lrs]           # up for 3 steps, then half a cosine down
    [0.04, 0.52, 1.0, 0.9505, 0.8117, 0.6113, 0.3887, 0.1883, 0.0495, 0.0]
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85,
                 max_momentum: float | Sequence[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        name = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        if total_steps is not None:
            self.total_steps = _integer(name, "total_steps", total_steps, low=1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_integer(name, "epochs", epochs, low=1)
                                * _integer(name, "steps_per_epoch", steps_per_epoch, low=1))
        else:
            raise ValueError(f"{name}: give total_steps, or both epochs and steps_per_epoch "
                             f"(got total_steps={total_steps!r}, epochs={epochs!r}, "
                             f"steps_per_epoch={steps_per_epoch!r})")
        self.pct_start = _interval("[0, 1]")(name, "pct_start", pct_start)
        self.anneal_strategy = _one_of("cos", "linear")(name, "anneal_strategy", anneal_strategy)
        for flag, value in (("cycle_momentum", cycle_momentum), ("three_phase", three_phase)):
            if not isinstance(value, bool):
                raise TypeError(f"{name}: {flag} must be True or False, got {value!r:.60}")
        self.cycle_momentum, self.three_phase = cycle_momentum, three_phase
        div_factor = _positive(name, "div_factor", div_factor)
        final_div_factor = _positive(name, "final_div_factor", final_div_factor)
        self.max_lrs = [_positive(name, "max_lr", lr)
                        for lr in _per_group(name, "max_lr", max_lr, optimizer)]
        self.min_lrs = [lr / div_factor / final_div_factor for lr in self.max_lrs]
        self.max_momentums = [_momentum(name, "max_momentum", m)
                              for m in _per_group(name, "max_momentum", max_momentum, optimizer)]
        self.base_momentums = [_momentum(name, "base_momentum", m) for m in
                               _per_group(name, "base_momentum", base_momentum, optimizer)]
        self.use_beta1 = _uses_beta1(name, optimizer, cycle_momentum)
        if last_epoch == -1:                    # the start lr, as PyTorch computes it
            for group, lr in zip(optimizer.param_groups, self.max_lrs):
                group["initial_lr"] = lr / div_factor
        super().__init__(optimizer, last_epoch)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "total_steps": _at_least(1),
                "pct_start": _interval("[0, 1]"), "anneal_strategy": _one_of("cos", "linear"),
                "max_lrs": _positive, "min_lrs": _positive, "base_lrs": _positive,
                "max_momentums": _momentum, "base_momentums": _momentum}

    def _check_loaded(self, where: str, state: dict[str, Any]) -> None:
        _same_momentum(where, self.use_beta1, state["use_beta1"])

    def _phases(self) -> list[tuple]:
        """Each phase: (its last step, lrs at its start, at its end, momenta at its start, at
        its end), per parameter group; a phase starts where the one before ended."""
        steps, pct = self.total_steps, self.pct_start
        start, peak, final = self.base_lrs, self.max_lrs, self.min_lrs
        low, high = self.base_momentums, self.max_momentums
        warm_up = (pct * steps - 1, start, peak, high, low)
        if self.three_phase:
            return [warm_up, (2 * pct * steps - 2, peak, start, low, high),
                    (steps - 1, start, final, high, high)]
        return [warm_up, (steps - 1, peak, final, low, high)]

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            self.last_epoch -= 1                # the step is not taken
            raise ValueError(f"OneCycleLR: stepped {step} times, but the schedule ends after "
                             f"total_steps={self.total_steps}; make it with total_steps (or "
                             f"epochs × steps_per_epoch) counting every batch")
        phases = self._phases()
        phase_start = 0.0
        for i, (phase_end, lr_from, lr_to, momentum_from, momentum_to) in enumerate(phases):
            if step <= phase_end or i == len(phases) - 1:
                break
            phase_start = phase_end
        if phase_end == phase_start:
            raise ValueError(f"OneCycleLR: pct_start={self.pct_start} with total_steps="
                             f"{self.total_steps} makes a phase of no steps, reached at step "
                             f"{step} (PyTorch divides by zero there); change pct_start")
        progress = (step - phase_start) / (phase_end - phase_start)
        if self.cycle_momentum:
            _set_momenta(self.optimizer, self.use_beta1,
                         [self._anneal(a, b, progress) for a, b in zip(momentum_from, momentum_to)])
        return [self._anneal(a, b, progress) for a, b in zip(lr_from, lr_to)]

    def _anneal(self, start: float, end: float, progress: float) -> float:
        """From `start` (progress 0) to `end` (progress 1); PyTorch's order of operations."""
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * progress) + 1)
        return (end - start) * progress + start


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith), stepped once per batch: the lr climbs from base_lr to
    max_lr in `step_size_up` steps and comes back down in `step_size_down` (default: as many),
    over and over. PyTorch's schedule: at step e, with cycle c = ⌊1 + e / (up + down)⌋,
    x = 1 + e / (up + down) − c (the fraction of the cycle done) and r = up / (up + down),

        h = x / r  while x ≤ r (going up),  (x − 1) / (r − 1) after (going down)
        lr_e = base_lr + (max_lr − base_lr) · h · scale

    where scale is 1 (mode="triangular"), 1 / 2^(c − 1) (mode="triangular2": the height halves
    each cycle), gammaᵉ (mode="exp_range"), or `scale_fn(c)` (scale_mode="cycle") or
    `scale_fn(e)` (scale_mode="iterations") for your own function, which replaces the mode.
    `base_lr`, `max_lr` and the momenta may be one number or one per parameter group; making
    the scheduler sets each group's lr to base_lr.

    `cycle_momentum` (on by default, as in PyTorch) moves the momentum the other way:
    momentum_e = max_momentum − (max_momentum − base_momentum) · h · scale, for SGD's or
    RMSprop's `momentum` or the Adam family's beta1, as OneCycleLR does. Pass
    `cycle_momentum=False` for an optimizer without one (Adagrad, Adadelta).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=0.1, momentum=0.9)
    >>> schedule = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, mode="triangular2")
    >>> lrs, momenta = [], []
    >>> for step in range(9):
    ...     lrs.append(round(schedule.get_last_lr()[0], 4))
    ...     momenta.append(round(opt.param_groups[0]["momentum"], 4))
    ...     opt.step(); schedule.step()
    >>> lrs                                    # up and down in 4 steps, half as high each time
    [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3, 0.2, 0.1]
    >>> momenta
    [0.9, 0.85, 0.8, 0.85, 0.9, 0.875, 0.85, 0.875, 0.9]
    """

    _modes = ("triangular", "triangular2", "exp_range")

    def __init__(self, optimizer: Optimizer, base_lr: float | Sequence[float],
                 max_lr: float | Sequence[float], step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.8,
                 max_momentum: float | Sequence[float] = 0.9, last_epoch: int = -1) -> None:
        name = "CyclicLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        self.cycle_base_lrs = [_non_negative(name, "base_lr", lr)
                               for lr in _per_group(name, "base_lr", base_lr, optimizer)]
        self.max_lrs = [_non_negative(name, "max_lr", lr)
                        for lr in _per_group(name, "max_lr", max_lr, optimizer)]
        up = _integer(name, "step_size_up", step_size_up, low=1)
        down = up if step_size_down is None else \
            _integer(name, "step_size_down", step_size_down, low=0)
        self.total_size = float(up + down)
        self.step_ratio = up / self.total_size
        if scale_fn is None and mode not in self._modes:
            raise ValueError(f"{name}: mode must be 'triangular', 'triangular2' or 'exp_range' "
                             f"(or give scale_fn), got {mode!r}")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"{name}: scale_fn must be a function of the cycle or the step, got "
                            f"{scale_fn!r:.60}")
        _one_of("cycle", "iterations")(name, "scale_mode", scale_mode)
        self.mode = mode
        self.gamma = _positive(name, "gamma", gamma)
        self.custom_scale_fn = scale_fn
        # the built-in modes scale by the cycle, except exp_range, as in PyTorch
        self.scale_mode = scale_mode if scale_fn is not None else \
            ("iterations" if mode == "exp_range" else "cycle")
        if not isinstance(cycle_momentum, bool):
            raise TypeError(f"{name}: cycle_momentum must be True or False, got "
                            f"{cycle_momentum!r:.60}")
        self.cycle_momentum = cycle_momentum
        self.use_beta1 = _uses_beta1(name, optimizer, cycle_momentum)
        self.base_momentums = [_momentum(name, "base_momentum", m) for m in
                               _per_group(name, "base_momentum", base_momentum, optimizer)]
        self.max_momentums = [_momentum(name, "max_momentum", m)
                              for m in _per_group(name, "max_momentum", max_momentum, optimizer)]
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, self.cycle_base_lrs):
                group["lr"] = lr
        super().__init__(optimizer, last_epoch)

    def _saved_rules(self) -> dict[str, Rule]:
        return {**super()._saved_rules(), "cycle_base_lrs": _non_negative,
                "max_lrs": _non_negative, "total_size": _positive,
                "step_ratio": _interval("(0, 1]"), "gamma": _positive,
                "scale_mode": _one_of("cycle", "iterations"), "base_momentums": _momentum,
                "max_momentums": _momentum}

    def _check_loaded(self, where: str, state: dict[str, Any]) -> None:
        if self.custom_scale_fn is None:        # else the mode is not used
            _one_of(*self._modes)(where, "mode", state["mode"])
        _same_momentum(where, self.use_beta1, state["use_beta1"])

    def _starting_lrs(self) -> list[float]:
        return list(self.cycle_base_lrs)       # the cycle's bottom, whatever "initial_lr" says

    def scale_fn(self, x: float) -> float:
        """The height of the cycle at cycle (or step) x, as a fraction of max_lr − base_lr."""
        if self.custom_scale_fn is not None:
            return _real("CyclicLR", f"scale_fn({x})", self.custom_scale_fn(x))
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self) -> list[float]:
        e = self.last_epoch
        cycle = math.floor(1 + e / self.total_size)
        x = 1.0 + e / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else e)
        if self.cycle_momentum:
            _set_momenta(self.optimizer, self.use_beta1,
                         [high - (high - low) * height * scale
                          for low, high in zip(self.base_momentums, self.max_momentums)])
        return [low + (high - low) * height * scale
                for low, high in zip(self.base_lrs, self.max_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """As the other schedulers', without scale_fn (code, not data): make the scheduler with
        it again, then load the state."""
        state = super().state_dict()
        del state["custom_scale_fn"]
        return state


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


class _SchedulerList(LRScheduler):
    """What SequentialLR and ChainedScheduler share: checking their schedulers, and saving and
    loading their states inside their own (under "_schedulers", as PyTorch does)."""

    def _take(self, schedulers: Any, optimizer: Any) -> list[LRScheduler]:
        name = type(self).__name__
        if isinstance(schedulers, (str, bytes, Mapping)) or not isinstance(schedulers, Iterable):
            raise TypeError(f"{name}: schedulers must be a list of schedulers, got "
                            f"{schedulers!r:.60}")
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError(f"{name}: expected at least one scheduler, got none")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(f"{name}: schedulers[{i}] is a {type(scheduler).__name__}, "
                                f"expected a learning-rate scheduler")
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"{name}: schedulers[{i}] is a ReduceLROnPlateau, which steps "
                                 f"on a metric (step(loss)); call it on its own")
        if optimizer is None:
            optimizer = schedulers[0].optimizer
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        for i, scheduler in enumerate(schedulers):
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{i}] ({type(scheduler).__name__}) was made "
                                 f"for another optimizer; make every scheduler with this one")
        self.optimizer = optimizer
        return schedulers

    def _undo(self) -> None:
        for scheduler in self._schedulers:
            scheduler._undo()

    def _rewind(self) -> None:
        for scheduler in self._schedulers:
            scheduler._rewind()

    def _restart(self) -> None:
        """Start again from each group's "initial_lr" (this one inside a SequentialLR)."""
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._rewind()
        self._initial_step()

    def state_dict(self) -> dict[str, Any]:
        """The counters, and each scheduler's `state_dict()` under "_schedulers"."""
        state = {key: list(value) if isinstance(value, list) else value
                 for key, value in vars(self).items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by `state_dict()` of the same kind of scheduler, made of the
        same kinds of schedulers."""
        name = type(self).__name__
        saved = state_dict.get("_schedulers") if isinstance(state_dict, dict) else None
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self._schedulers):
            count = len(saved) if isinstance(saved, (list, tuple)) else "no"
            raise ValueError(f"{name}.load_state_dict: expected the states of "
                             f"{len(self._schedulers)} scheduler(s) under '_schedulers' (a "
                             f"{name}'s state_dict()), got {count}{_pytorch_hint(state_dict)}")
        own = {key: value for key, value in state_dict.items() if key != "_schedulers"}
        expected = set(self.state_dict()) - {"_schedulers"}
        if set(own) != expected:
            raise ValueError(f"{name}.load_state_dict: expected the keys "
                             f"{sorted(expected | {'_schedulers'})} (a {name}'s state_dict()), "
                             f"got {sorted(state_dict)}{_pytorch_hint(state_dict)}")
        current = self.state_dict()
        for key, value in own.items():
            if not _same_kind(current[key], value):
                raise ValueError(f"{name}.load_state_dict: {key!r} is {value!r:.60}, expected "
                                 f"a value of the kind it has now ({current[key]!r:.60})")
        own = self._checked(own)
        for scheduler, state in zip(self._schedulers, saved):
            scheduler.load_state_dict(state)
        vars(self).update(own)

    def _saved_rules(self) -> dict[str, Rule]:
        return {"last_epoch": _at_least(0), "_milestones": _at_least(0), "_last_lr": _real}


class SequentialLR(_SchedulerList):
    """Run `schedulers` one after the other: the first until epoch milestones[0], the second
    from there (started again at its epoch 0) until milestones[1], and so on:

        lr_e = schedulers[i] at epoch e − milestones[i−1], for milestones[i−1] ≤ e < milestones[i]

    the usual warm-up then cosine decay. Make each scheduler with the same optimizer first, as in
    PyTorch; making the SequentialLR restarts the first at the optimizer's "initial_lr".

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> warm_up = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> decay = CosineAnnealingLR(opt, T_max=4)
    >>> schedule = SequentialLR(opt, schedulers=[warm_up, decay], milestones=[3])
    >>> lrs = []
    >>> for epoch in range(8):
    ...     lrs.append(round(schedule.get_last_lr()[0], 4)); opt.step(); schedule.step()
    >>> lrs                                    # 3 epochs of warm-up, then half a cosine
    [0.25, 0.5, 0.75, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        name = "SequentialLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        self._schedulers = self._take(schedulers, optimizer)
        if isinstance(milestones, (str, bytes, Mapping)) or not isinstance(milestones, Iterable):
            raise TypeError(f"{name}: milestones must be a list of epochs, got "
                            f"{milestones!r:.60}")
        milestones = [_integer(name, "a milestone", m, low=0) for m in milestones]
        if len(milestones) != len(self._schedulers) - 1:
            raise ValueError(f"{name}: {len(self._schedulers)} schedulers need "
                             f"{len(self._schedulers) - 1} milestone(s), got {len(milestones)}")
        if milestones != sorted(milestones):
            raise ValueError(f"{name}: milestones must be in increasing order, got {milestones}")
        if _integer(name, "last_epoch", last_epoch, low=-1) != -1:
            raise ValueError(f"{name}: resuming with last_epoch={last_epoch} is not supported: "
                             f"make it with last_epoch=-1, then load_state_dict() the saved one")
        self._milestones = milestones
        for group in optimizer.param_groups:        # as before the schedulers were made
            group["lr"] = group["initial_lr"]
        self._undo()
        self._initial_step()

    def _check_loaded(self, where: str, state: dict[str, Any]) -> None:
        if state["_milestones"] != sorted(state["_milestones"]):
            raise ValueError(f"{where}: milestones must be in increasing order, got "
                             f"{state['_milestones']}")

    def _initial_step(self) -> None:
        self.last_epoch = 0
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self, epoch: Any = None) -> None:
        """Move to the next epoch: the scheduler in charge steps, or starts at a milestone."""
        if epoch is not None:
            _no_epoch_argument(self)
        _check_order(self)
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._restart()
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_SchedulerList):
    """Step all `schedulers` at once: each `step()` calls theirs in turn, so that their changes
    to the lr multiply, e.g. a constant warm-up factor on top of an exponential decay:
    lr_e = lr_0 · factor(e) · gammaᵉ. `optimizer` defaults to the schedulers' own.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> warm_up = ConstantLR(opt, factor=0.1, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> schedule = ChainedScheduler([warm_up, decay])
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(schedule.get_last_lr()[0]); opt.step(); schedule.step()
    >>> [round(lr, 12) for lr in lrs]             # 0.1 · 0.5ᵉ, then 0.5ᵉ from epoch 2
    [0.1, 0.05, 0.25, 0.125]
    """

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optimizer | None = None) -> None:
        self._schedulers = self._take(schedulers, optimizer)
        self._last_lr = self._current_lrs()

    def _initial_step(self) -> None:
        for scheduler in self._schedulers:
            scheduler._initial_step()
        self._last_lr = self._current_lrs()

    def step(self, epoch: Any = None) -> None:
        """Step every scheduler, in order."""
        if epoch is not None:
            _no_epoch_argument(self)
        _check_order(self)
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()


# ----------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------

def _check_order(scheduler: LRScheduler) -> None:
    """Warn (once per optimizer) when a schedule moves on before its optimizer ever stepped:
    the usual cause is `scheduler.step()` written before `optimizer.step()` in the loop, which
    skips the schedule's first lr (PyTorch warns too)."""
    optimizer = scheduler.optimizer
    if getattr(optimizer, "_stepped", True) or getattr(optimizer, "_order_warned", False):
        return
    optimizer._order_warned = True
    name = type(scheduler).__name__
    warn(f"{name}.step() was called before optimizer.step(): the first learning rate of the "
         f"schedule ({scheduler.get_last_lr()}) is skipped. In the training loop, call "
         f"optimizer.step() first, then {name}.step()")


def _no_epoch_argument(scheduler: Any) -> None:
    """`scheduler.step(epoch)`, which PyTorch deprecated: refused, saying what to write."""
    name = type(scheduler).__name__
    raise TypeError(f"{name}.step: an epoch argument (PyTorch's deprecated step(epoch)) is not "
                    f"taken: call step() once per epoch; to resume at epoch k, load the "
                    f"scheduler's state_dict (or make it with last_epoch=k - 1 after loading the "
                    f"optimizer's)")


def _real(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {key} must be a real number, got {value!r:.60}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: {key} must be finite, got {value!r}")
    return value


def _positive(name: str, key: str, value: Any) -> float:
    value = _real(name, key, value)
    if value <= 0:
        raise ValueError(f"{name}: {key} must be > 0, got {value!r}")
    return value


def _non_negative(name: str, key: str, value: Any) -> float:
    value = _real(name, key, value)
    if value < 0:
        raise ValueError(f"{name}: {key} must be >= 0, got {value!r}")
    return value


def _integer(name: str, key: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: {key} must be an integer, got {value!r:.60}")
    if value < low:
        raise ValueError(f"{name}: {key} must be >= {low}, got {value!r}")
    return int(value)


def _at_least(low: int) -> Rule:
    """The rule: an integer >= low."""
    return lambda name, key, value: _integer(name, key, value, low)


def _interval(bounds: str) -> Rule:
    """The rule: a real number in `bounds`, written as in mathematics: "(0, 1]" is 0 < x <= 1."""
    low, high = (float(end) for end in bounds[1:-1].split(","))

    def check(name: str, key: str, value: Any) -> float:
        value = _real(name, key, value)
        above = value > low if bounds[0] == "(" else value >= low
        below = value < high if bounds[-1] == ")" else value <= high
        if not (above and below):
            raise ValueError(f"{name}: {key} must be in {bounds}, got {value!r}")
        return value
    return check


def _one_of(*choices: str) -> Rule:
    """The rule: one of the words `choices`."""
    def check(name: str, key: str, value: Any) -> str:
        if value not in choices:
            words = ", ".join(map(repr, choices[:-1])) + f" or {choices[-1]!r}"
            raise ValueError(f"{name}: {key} must be {words}, got {value!r:.60}")
        return value
    return check


def _optional(rule: Rule) -> Rule:
    """The rule: None, or a value that `rule` takes."""
    return lambda name, key, value: None if value is None else rule(name, key, value)


def _false(name: str, key: str, value: Any) -> bool:
    """A flag that is True only while a scheduler is being made, so never in a saved state."""
    if value is not False:
        raise ValueError(f"{name}: {key} must be False in a saved state, got {value!r:.60}")
    return value


def _score(name: str, key: str, value: Any) -> float:
    """ReduceLROnPlateau's best metric: a number, infinite until a first one is seen."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name}: {key} must be a number (inf before the first metric), got "
                         f"{value!r:.60}")
    return float(value)


def _same_momentum(name: str, use_beta1: bool, saved: Any) -> None:
    """A saved OneCycleLR / CyclicLR cycles the momentum of the kind this optimizer has."""
    if saved != use_beta1:
        kinds = {True: "beta1 (the Adam family)", False: "momentum (SGD, RMSprop)"}
        raise ValueError(f"{name}: the saved scheduler cycled {kinds[bool(saved)]}, this "
                         f"optimizer has {kinds[use_beta1]}; load it into the kind of optimizer "
                         f"it was made with")


def _per_group(name: str, key: str, value: Any, optimizer: Optimizer) -> list:
    """One value per parameter group: a list of them, or one value for every group."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{name}: {key} has {len(value)} values, the optimizer has {groups} "
                             f"parameter group(s)")
        return list(value)
    return [value] * groups


def _lr_lambdas(name: str, optimizer: Any, lr_lambda: Any) -> list[Callable[[int], float]]:
    """LambdaLR's and MultiplicativeLR's functions: one for every group, or one per group."""
    optimizer_given = isinstance(optimizer, Optimizer)     # else LRScheduler says so
    groups = len(optimizer.param_groups) if optimizer_given else 0
    functions = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else \
        [lr_lambda] * groups
    if isinstance(lr_lambda, (list, tuple)) and optimizer_given and len(functions) != groups:
        raise ValueError(f"{name}: {len(functions)} lr_lambdas for {groups} parameter "
                         f"group(s): give one function, or one per group")
    for f in functions:
        if not callable(f):
            raise TypeError(f"{name}: lr_lambda must be a function of the epoch, got {f!r:.60}")
    return functions


def _momentum(name: str, key: str, value: Any) -> float:
    value = _real(name, key, value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name}: {key} must be in [0, 1), got {value!r}")
    return value


def _uses_beta1(name: str, optimizer: Optimizer, cycle_momentum: bool) -> bool:
    """Whether the momentum to cycle is beta1 (the Adam family) rather than `momentum`."""
    use_beta1 = "betas" in optimizer.defaults
    if cycle_momentum and not use_beta1 and "momentum" not in optimizer.defaults:
        raise ValueError(f"{name}: cycle_momentum=True needs an optimizer with a momentum or "
                         f"betas (SGD, RMSprop, the Adam family); {type(optimizer).__name__} "
                         f"has neither: pass cycle_momentum=False")
    return use_beta1


def _set_momenta(optimizer: Optimizer, use_beta1: bool, momenta: list[float]) -> None:
    """Each group's momentum, or beta1 for the Adam family (OneCycleLR, CyclicLR)."""
    for group, momentum in zip(optimizer.param_groups, momenta):
        if use_beta1:
            group["betas"] = (momentum,) + tuple(group["betas"][1:])
        else:
            group["momentum"] = momentum


def _metric(metrics: Any) -> float:
    if isinstance(metrics, Node) and np.size(metrics.data) != 1:
        raise ValueError(f"ReduceLROnPlateau.step: the metric must be one number, got a tensor "
                         f"of shape {metrics.shape} (pass its mean, or the one you monitor)")
    value = metrics.item() if isinstance(metrics, Node) else metrics
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"ReduceLROnPlateau.step: the metric must be a number, a Value or a "
                        f"one-element Tensor, got {metrics!r:.60}")
    return float(value)
