"""Schedulers made of schedulers: SequentialLR runs them one after the other (e.g. a warm-up,
then a decay), ChainedScheduler steps them all at once (their changes to the lr multiply)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Any, Sequence

from ..optimizer import Optimizer
from .arguments import Rule, _at_least, _integer, _real
from .base import LRScheduler, _check_order, _no_epoch_argument, _pytorch_hint, _same_kind
from .plateau import ReduceLROnPlateau


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
    >>> from nn.optim.lr_scheduler import CosineAnnealingLR, LinearLR
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
    >>> from nn.optim.lr_scheduler import ConstantLR, ExponentialLR
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
