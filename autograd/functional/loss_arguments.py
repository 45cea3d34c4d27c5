"""What the losses share (these in autograd.functional and nn's): `reduction` ("mean", "sum",
"none") checked and applied, constant arguments (a target, a class weight, a rescaling weight)
checked as numbers, and the warning for a loss that takes logits but is given probabilities.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from ..broadcast import broadcasts_to
from ..graph import Node
from ..tensor import Tensor
from ..warn import warn
from .arguments import _shape_of


def _check_reduction(name: str, reduction: str) -> None:
    if isinstance(reduction, str) and reduction in ("mean", "sum", "none"):
        return
    if not isinstance(reduction, str):          # PyTorch's third argument of its losses is weight
        raise TypeError(f"{name}: reduction must be 'mean', 'sum' or 'none', got "
                        f"{_shape_of(reduction)} (a loss's options, such as PyTorch's weight, "
                        f"are keywords here: weight=...)")
    raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def old_reduction_options(call: str, kwargs: dict) -> str:
    """The error for PyTorch's deprecated size_average= and reduce= (older code's
    `F.binary_cross_entropy(x, y, size_average=False)`), naming the reduction they mean."""
    if "reduction" in kwargs:
        meant = kwargs["reduction"]
    elif kwargs.get("reduce", True) in (False, 0):
        meant = "none"
    else:
        meant = "mean" if kwargs.get("size_average", True) not in (False, 0) else "sum"
    old = ", ".join(f"{key}={kwargs[key]!r}" for key in ("size_average", "reduce") if key in kwargs)
    return (f"{call}({old}): size_average and reduce are PyTorch's old options, replaced by "
            f"reduction; here that is {call}(reduction={meant!r})")


def refuses_old_reduction_options(loss: Callable) -> Callable:
    """A loss function that names the reduction meant when given PyTorch's old size_average= or
    reduce= keywords, where Python would only say "unexpected keyword argument"."""
    @functools.wraps(loss)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if "size_average" in kwargs or "reduce" in kwargs:
            raise TypeError(old_reduction_options(loss.__name__, kwargs))
        return loss(*args, **kwargs)
    return checked


def _reduce(losses: Tensor, reduction: str, name: str) -> Tensor:
    """The per-element losses averaged, summed or kept, as `reduction` says."""
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    if losses.data.size == 0:
        raise ValueError(f"{name}: the mean of no elements is undefined (the input is empty)")
    return losses.mean()


def _constant_numbers(name: str, what: str, x: Any, input: Any = None) -> np.ndarray:
    """`x` (an array, a list, a Tensor that does not require grad) as a numpy array of numbers:
    a loss's constant argument (its target, a class weight). `input`, the loss's input when
    `x` is its target, tells a target that requires grad beside an input that does not (the
    arguments swapped: `loss(y, model(X))`) from a target that is really learned."""
    if isinstance(x, Node):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: the {what} is a Value, one number of the scalar engine; "
                            f"pass numbers (an array, a list, a Tensor), e.g. [v.data]")
        if x.requires_grad:
            if input is not None and not getattr(input, "requires_grad", False):
                # detach() would be the wrong fix: it would cut the model's output off
                raise ValueError(f"{name}: the {what} requires grad but the input does not: "
                                 f"are the arguments swapped? The input (the model's output) "
                                 f"comes first: {name}(input, {what}); a {what} that is "
                                 f"really learned is a constant here (pass {what}.detach())")
            raise ValueError(f"{name}: the {what} requires grad, but this loss treats it as "
                             f"a constant (pass {what}.detach())")
        x = x.data
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: {what} must be numbers, got dtype {array.dtype}")
    return array


def _constant_target(name: str, target: Any, like: Tensor) -> np.ndarray:
    """A fused loss's target: a constant array of `like`'s shape and floating dtype, in [0, 1]."""
    t = _constant_numbers(name, "target", target, like)
    if t.shape != like.shape:
        raise ValueError(f"{name}: input has shape {like.shape} but target has shape "
                         f"{t.shape}; they must match (reshape one of them)")
    if not ((t >= 0) & (t <= 1)).all():
        seen = set(np.unique(t).tolist()) if t.size <= 1_000_000 else {None}   # (too many)
        # the fix the labels ask for: ±1 (an SVM's), 1/2 (counted from 1), or other numbers
        hint = ("labels 1 and 2? use y - 1" if seen <= {1, 2} else
                "for ±1 labels use (y + 1) / 2" if seen <= {-1, 0, 1} else
                "two classes coded otherwise? use (y == positive_class).astype(float)")
        raise ValueError(f"{name}: target must be in [0, 1] (0/1 labels or probabilities), got "
                         f"values in [{t.min()}, {t.max()}] ({hint})")
    return t.astype(like.dtype, copy=False)


def broadcast_constant(name: str, what: str, value: Any, like: Tensor) -> np.ndarray:
    """A loss's constant that rescales elements (PyTorch's `weight` and `pos_weight` of the
    binary losses): numbers >= 0 that broadcast to the input's shape, in its dtype."""
    w = _constant_numbers(name, what, value)
    if not broadcasts_to(w.shape, like.shape):
        raise ValueError(f"{name}: {what} of shape {w.shape} does not broadcast to the input's "
                         f"shape {like.shape}")
    check_scale(name, what, w)
    return w.astype(like.dtype, copy=False)


def check_scale(name: str, what: str, w: np.ndarray) -> None:
    """A rescaling weight must be finite and >= 0 (a NaN would spread silently)."""
    if w.size and not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError(f"{name}: {what} must be >= 0 and finite, got values in "
                         f"[{np.min(w)}, {np.max(w)}]")


#: ops that only move or pick elements: probabilities stay probabilities through them
_SHAPE_OPS = frozenset({"reshape", "transpose", "getitem"})


def _warn_if_made_by(name: str, x: Node, op: str, what: str, fix: str) -> None:
    """A loss that takes logits warns when its input comes straight out of `op` (a sigmoid or
    softmax), also through reshapes, transposes and indexing (`probs[:, 0]`): then it gets
    `what`, and trains slowly or not at all."""
    fn = x._fn                      # (the op class itself: `x.op` costs two property calls)
    while fn is not None and fn.name in _SHAPE_OPS:
        x = x.parents[0]
        fn = x._fn
    if fn is not None and fn.name == op:
        warn(f"{name}: its input comes from {op}, so it gets {what}, but it expects "
             f"logits (raw scores); {fix}", UserWarning)
