"""The rules the schedulers check their arguments by, in the constructor and again on
`load_state_dict()` (so that a damaged file cannot set last_epoch=NaN): each raises naming the
scheduler, the setting and the value, or gives the value back as a float or an int."""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import numpy as np

from autograd.graph import Node

from ..optimizer import Optimizer


#: a check of one setting: rule(where, name, value) returns the value (as a float or an int) or
#: raises, saying where the value was given (the constructor, or load_state_dict)
Rule = Callable[[str, str, Any], Any]


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


def _metric(metrics: Any) -> float:
    if isinstance(metrics, Node) and np.size(metrics.data) != 1:
        raise ValueError(f"ReduceLROnPlateau.step: the metric must be one number, got a tensor "
                         f"of shape {metrics.shape} (pass its mean, or the one you monitor)")
    value = metrics.item() if isinstance(metrics, Node) else metrics
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"ReduceLROnPlateau.step: the metric must be a number, a Value or a "
                        f"one-element Tensor, got {metrics!r:.60}")
    return float(value)
