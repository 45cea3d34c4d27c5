"""`pad`: a tensor widened at the ends of its last axes, with PyTorch's four modes. "constant" is
one op, `Pad` (in autograd/ops/conv.py, its gradient the middle of g); the other modes are one op
too, `PadCopy` (autograd/ops/pad_modes.py: copies by slices, its gradient the border strips
added back by slices).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..graph import apply
from ..ops import Pad, PadCopy
from ..tensor import Tensor
from .arguments import _node


PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(x: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """x widened at the ends of its last axes, PyTorch's order: pad = (left, right) for the
    last axis, then (top, bottom) for the one before, and so on. PyTorch's modes: "constant"
    (`value`, 0 by default; a negative width crops that side instead), "reflect" (mirrored,
    the edge not repeated: each width below the axis's size), "replicate" (the edge repeated)
    and "circular" (wrapped around: each width at most the axis's size).

    >>> pad(Tensor([[1.0, 2.0]]), (1, 0, 0, 1)).data
    array([[0., 1., 2.],
           [0., 0., 0.]], dtype=float32)
    >>> pad(Tensor([1.0, 2.0, 3.0]), (2, 1), "reflect").data
    array([3., 2., 1., 2., 3., 2.], dtype=float32)

    "constant" is one op whose gradient is g's middle. The other modes copy elements of x: one
    op that fills the borders by slices, whose gradient adds the border strips of g back onto
    the elements they copied, by slices too (no np.add.at).
    """
    x = _node(x, "pad")
    widths = tuple(pad)
    if len(widths) % 2 or len(widths) // 2 > x.ndim or not all(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in widths):
        raise ValueError(f"pad: expected an even number of ints, at most two per axis of a "
                         f"tensor of shape {x.shape}, got {pad!r}")
    if not (isinstance(mode, str) and mode in PAD_MODES):
        if isinstance(mode, str):
            raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or "
                             f"'circular', got {mode!r}")
        raise TypeError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                        f"got {mode!r} (the value to pad with is a keyword: value={mode!r})")
    pairs = [(0, 0)] * x.ndim
    for k in range(len(widths) // 2):
        pairs[x.ndim - 1 - k] = (int(widths[2 * k]), int(widths[2 * k + 1]))
    if mode == "constant":
        # a negative width crops that side first (PyTorch's rule), which slicing does
        return apply(Pad, (_crop_negative_widths(x, pairs, pad),),
                     (tuple((max(a, 0), max(b, 0)) for a, b in pairs),
                      0.0 if value is None else _pad_value(value, x.dtype)))
    if any(a < 0 or b < 0 for a, b in pairs):
        raise ValueError(f"pad: negative widths (which crop) only in mode='constant', got "
                         f"{pad!r} with mode={mode!r}")
    if value is not None and value != 0:                # PyTorch's rule too
        raise ValueError(f"pad: mode={mode!r} takes no value (it copies the input's own "
                         f"numbers), got value={value!r}")
    for axis, (before, after) in enumerate(pairs):
        if before or after:
            _check_widths(mode, before, after, x.shape[axis], x.shape)
    if not any(a or b for a, b in pairs):
        return x
    return apply(PadCopy, (x,), (mode, tuple(pairs)))


def _pad_value(value: Any, dtype: np.dtype) -> Any:
    """`value` checked: one number (±inf and nan included), which x's dtype can hold."""
    if not (isinstance(value, numbers.Real) or (isinstance(value, (np.ndarray, Tensor))
                                                and value.shape == ())):
        raise TypeError(f"pad: value must be a number, got {value!r}")
    value = value.item() if isinstance(value, (np.ndarray, Tensor)) else value
    with np.errstate(over="ignore", invalid="ignore"):
        held = np.array(value).astype(dtype)
    if np.issubdtype(dtype, np.floating) and math.isfinite(value) and not np.isfinite(held):
        raise ValueError(f"pad: value={value!r} is beyond the range of the input's dtype "
                         f"{np.dtype(dtype).name}")
    return value


def _crop_negative_widths(x: Tensor, pairs: list, pad: Any) -> Tensor:
    """x without the first -before and last -after elements of each axis with a negative
    width; an error where an axis has fewer elements than that."""
    if all(a >= 0 and b >= 0 for a, b in pairs):
        return x
    for axis, ((before, after), n) in enumerate(zip(pairs, x.shape)):
        if max(-before, 0) + max(-after, 0) > n:
            raise ValueError(f"pad: widths {(before, after)} crop more than the {n} elements "
                             f"of axis {axis} of shape {x.shape} (pad={pad!r})")
    return x[tuple(slice(max(-a, 0), n - max(-b, 0)) for (a, b), n in zip(pairs, x.shape))]


def _check_widths(mode: str, before: int, after: int, n: int, shape: tuple) -> None:
    """An error unless mode's copies can fill widths (before, after) of an axis of n: reflect's
    below n, circular's at most n, and none from an empty axis."""
    given = f"got {(before, after)} for an axis of {n} in shape {shape}"
    if mode == "reflect" and max(before, after) >= n:
        raise ValueError(f"pad: mode='reflect' needs each width below the size of its axis, "
                         f"{given}")
    if mode == "circular" and max(before, after) > n:
        raise ValueError(f"pad: mode='circular' needs each width at most the size of its "
                         f"axis, {given}")
    if n == 0:
        raise ValueError(f"pad: mode={mode!r} needs a non-empty axis to copy, {given}")
