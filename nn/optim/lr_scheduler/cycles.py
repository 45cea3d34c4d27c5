"""Schedules stepped once per batch that go up and down, moving the momentum the other way:
OneCycleLR (one warm-up, one annealing) and CyclicLR (cycles, over and over)."""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from ..optimizer import Optimizer
from .arguments import (Rule, _at_least, _integer, _interval, _momentum, _non_negative,
                        _one_of, _per_group, _positive, _real, _same_momentum, _uses_beta1)
from .base import LRScheduler


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


def _set_momenta(optimizer: Optimizer, use_beta1: bool, momenta: list[float]) -> None:
    """Each group's momentum, or beta1 for the Adam family (OneCycleLR, CyclicLR)."""
    for group, momentum in zip(optimizer.param_groups, momenta):
        if use_beta1:
            group["betas"] = (momentum,) + tuple(group["betas"][1:])
        else:
            group["momentum"] = momentum
