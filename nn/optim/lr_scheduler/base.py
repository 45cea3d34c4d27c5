"""LRScheduler, the base of every schedule: the epoch count, `step()`, `get_last_lr()`, resuming
at `last_epoch`, and the state dict (a PyTorch scheduler's too, translated by `_from_pytorch`)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from autograd.warn import warn

from ..optimizer import Optimizer
from .arguments import Rule, _at_least, _false, _integer, _non_negative, _real


class LRScheduler:
    """Base class: a subclass writes `get_lr()`, the lrs for epoch `last_epoch` computed from
    the current ones or from `base_lrs` (the starting ones); `step()` advances the epoch and
    writes them into the optimizer.

    `last_epoch=-1` starts a new schedule (each group's lr is remembered as "initial_lr").
    Another value resumes one, PyTorch's way: the groups need "initial_lr" (they have it when
    the optimizer's state dict was saved with a scheduler attached), and making the scheduler
    steps to epoch last_epoch + 1. ExponentialLR, LinearLR, CosineAnnealingLR, PolynomialLR and
    MultiplicativeLR take the lr now in the optimizer as that epoch's; StepLR, MultiStepLR and
    ConstantLR apply that epoch's change to it, if the epoch has one; LambdaLR, OneCycleLR,
    CyclicLR and CosineAnnealingWarmRestarts compute it afresh from "initial_lr" (CyclicLR: from
    base_lr). Simpler: make the scheduler as new and `load_state_dict()` the saved one.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> class Halving(LRScheduler):
    ...     def get_lr(self):                   # lr_e = lr_0 / 2^e, from the starting lrs
    ...         return [base / 2 ** self.last_epoch for base in self.base_lrs]
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = Halving(opt)
    >>> for epoch in range(2):
    ...     opt.step(); schedule.step()
    >>> schedule.get_last_lr()
    [0.25]
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


# ----------------------------------------------------------------------------------------------
# The order of the calls
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
