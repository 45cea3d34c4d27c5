"""Losses over lists of Values (the scalar engine): built from Value ops, term by term, so a
drawing of the graph shows every term. The helpers here pair predictions with targets, check
their ranges, weigh and reduce the list, and give the two ops the binary cross-entropies need
on a Value, `clamped_log` and `softplus` (`ClampedLog`, `Softplus` in
autograd/ops/elementwise.py); the losses themselves are in functional/classification.py and
nn/functional.py.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..ops.elementwise import ClampedLog, Softplus
from ..tensor import Tensor
from ..value import Value, _apply_one
from .loss_arguments import _constant_numbers, check_scale


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _is_values(x: Any) -> bool:
    """True for a Value, or a list or tuple holding Values: the scalar engine's loss applies."""
    if isinstance(x, Value):
        return True
    return isinstance(x, (list, tuple)) and any(isinstance(v, Value) for v in x)


def _value_pairs(name: str, pred: Any, target: Any) -> list[tuple[Value, Any]]:
    """(prediction, target) pairs: each prediction a Value, each target a float or a Value."""
    preds = [pred] if isinstance(pred, Value) else list(pred)
    target = _raw(target)
    if isinstance(target, (Value, numbers.Real)) or getattr(target, "ndim", None) == 0:
        targets = [target]
    else:
        targets = list(target)
    if len(preds) != len(targets):
        raise ValueError(f"{name}: {len(preds)} predictions but {len(targets)} targets")
    pairs = []
    for p, t in zip(preds, targets):
        if not isinstance(p, Value):
            p = Value(_number(name, p, "predictions"), requires_grad=False)
        if not isinstance(t, Value):
            t = _number(name, t, "targets")
        pairs.append((p, t))
    return pairs


def _target_number(t: Any) -> float:
    """A target of `_value_pairs` (a number or a Value) as a float, for the range checks."""
    return t.data if isinstance(t, Value) else float(t)


def _number(name: str, x: Any, what: str) -> float:
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{name}: {what} must be numbers or Values, got {type(x).__name__}")


def _reduce_values(losses: list[Value], reduction: str) -> Value | list[Value]:
    """Average (as micrograd: the sum times 1/n), sum, or keep the list."""
    if reduction == "none":
        return losses
    total = sum(losses)
    return total if reduction == "sum" else total * (1.0 / len(losses))


def _check_range(name: str, what: str, values: list[float], hint: str) -> None:
    if not all(0 <= v <= 1 for v in values):
        raise ValueError(f"{name}: {what} must be in [0, 1], got values in "
                         f"[{min(values)}, {max(values)}]{hint}")


def _complement(t: Any, loss: Value) -> Value:
    """(1 - t) · loss, the negative label's term of a binary loss. For a label Value, loss - t ·
    loss: 1 - t alone would be a number computed from t, which `autograd.compile`'s replays
    keep as recorded; this way t stays an input of the graph. The same number for 0/1 labels
    (for soft labels within an ulp or so)."""
    return loss - t * loss if isinstance(t, Value) else (1 - t) * loss


def _clamped_log(p: Value) -> Value:
    """max(ln p, -100): ln p, or -100 (slope 0) from p = e^-100 down to 0, PyTorch's clamp."""
    return _apply_one(ClampedLog, p)


def _softplus(x: Value) -> Value:
    """log(1 + e^x), which never overflows: -log σ(-x)."""
    return _apply_one(Softplus, x)


def _value_weights(name: str, weight: Any, pairs: list) -> list[float] | None:
    """A binary loss's `weight` over a list of Values: one number, or one per Value."""
    if weight is None:
        return None
    w = _constant_numbers(name, "weight", weight).astype(float)
    try:
        w = np.broadcast_to(w, (len(pairs),))
    except ValueError:
        raise ValueError(f"{name}: with Values, weight must be one number or one per Value "
                         f"({len(pairs)}), got shape {w.shape}") from None
    check_scale(name, "weight", w)
    return w.tolist()


def _weighted(losses: list[Value], weights: list[float] | None) -> list[Value]:
    return losses if weights is None else [loss * w for loss, w in zip(losses, weights)]
