"""logsumexp, softmax and log_softmax, computed with the maximum subtracted (stable at ±1000;
softmax skips it where exp(x) cannot overflow: see `_unshifted_softmax`); logaddexp, the
logsumexp of two tensors elementwise.

    logsumexp(x) = m + log Σ exp(x - m),  m = max x      d/dx = softmax(x)
    softmax(x)   = exp(x - logsumexp(x))                 dx = y * (g - Σ g*y)
    log_softmax  = x - logsumexp(x)                      dx = g - softmax(x) * Σ g

(y is the output, g the upstream gradient, Σ a sum along the axis. The last two are written as
the gradient dx sent back, not as d/dx: each output depends on the whole row, and the product of
g with that Jacobian is simpler than the Jacobian.)
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import Node, Op, raw
from .elementwise import _sigmoid_array
from .numpy1 import in_input_dtype
from .payload_math import exp, sum_last
from .reduce import kept_shape


def _max(x: np.ndarray, axes) -> np.ndarray:
    """The maximum over axes, kept as size-1 axes; -inf over an empty axis, so that an empty
    softmax is empty and an empty logsumexp -inf, as in PyTorch (numpy's max would refuse).
    (np.maximum.reduce is what x.max calls, less a Python wrapper: 1,400 instructions.)"""
    return np.maximum.reduce(x, axis=axes, keepdims=True, initial=-np.inf)


def _shift(x: np.ndarray, axes) -> np.ndarray:
    """The max over axes (kept), 0 where it is not finite: rows of -inf/inf get no shift."""
    m = _max(x, axes)
    return np.where(np.isfinite(m), m, 0)


def _logsumexp(x: np.ndarray, axes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m + log Σ e, e, Σ e) with e = exp(x - m), m = `_shift(x)`, all with kept axes."""
    m = _shift(x, axes)
    # log(0) = -inf for all -inf rows; x - m overflows to -inf only for float32 rows spanning
    # more than its range (±3e38), where exp of it is 0 all the same
    with np.errstate(divide="ignore", over="ignore"):
        e = np.exp(x - m)
        total = e.sum(axis=axes, keepdims=True)
        return m + np.log(total), e, total


def _log_softmax(x: np.ndarray, axis) -> np.ndarray:
    """(x - m) - log Σ exp(x - m): subtracting the max first keeps float32's digits at ±1000."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):   # (as in _logsumexp)
        shifted = x - _max(x, axis)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class LogSumExpCtx:
    """logsumexp's axes and keepdims, and from the forward what the gradient is made of:
    e = exp(x - max) and its sum, so that backward needs no exp at all."""
    __slots__ = ("axes", "keepdims", "e", "total")

    def __init__(self, axes, keepdims: bool) -> None:
        self.axes, self.keepdims, self.e, self.total = axes, keepdims, None, None


@in_input_dtype                 # (numpy 1.x made a 0-d float32 x's float64)
class LogSumExp(Op):
    """log Σ exp(x) over axes;  d/dx = softmax(x) = exp(x - max) / Σ exp(x - max)"""
    # Not exp(x - out): out = max + log Σ is rounded to the max's ulp, which at 1e7 in float32
    # is 1, and the slopes of [1e7, 1e7] came out e^-1 each instead of 1/2.
    name = "logsumexp"

    @staticmethod
    def forward(ctx, x):
        out, ctx.e, ctx.total = _logsumexp(x, ctx.axes)
        return out if ctx.keepdims else out.squeeze(axis=ctx.axes)

    @staticmethod
    def backward(ctx, g, out, x):
        axes = ctx.axes
        if not ctx.keepdims:
            g = g.reshape(kept_shape(x.shape, axes))
        # a row of all -inf (fully masked) has e = 0 and Σ e = 0: its slopes are PyTorch's NaN,
        # 0 / 0, which is no mistake of the caller's to warn about
        with np.errstate(invalid="ignore"):
            if isinstance(x, Node):     # higher order: e as a graph of x (the shift a constant)
                e = (x - _shift(raw(x), axes)).exp()
                return (g * e / e.sum(axes, keepdims=True),)
            return (g * ctx.e / ctx.total,)    # (g e <= g: no overflow, and empty stays quiet)


class LogAddExp(Op):
    """ln(e^a + e^b), without overflow;  d/da = σ(a - b), d/db = σ(b - a)"""
    # σ(a - b) rather than e^(a - out): out is rounded to its ulp, which at 1e7 in float32 is 1,
    # and the slopes at a = b = 1e7 would be e^0 = 1 each instead of 1/2 (as LogSumExp's note)
    name, broadcasting = "logaddexp", True

    @staticmethod
    def forward(ctx, a, b):
        return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, g, out, a, b):
        if isinstance(a, Node):
            return g * (a - b).sigmoid(), g * (b - a).sigmoid()
        return g * _sigmoid_array(a - b), g * _sigmoid_array(b - a)


def _along(axis: int, y) -> int | None:
    """The axis to reduce along in a backward whose output is `y`; None (all of y's one
    element) when y is 0-d, the softmax of one number. A guard from when a Tensor refused
    axis 0 of a 0-d tensor (numpy takes it); since Tensor reductions take PyTorch's dim 0 or
    -1 there too, `axis` itself would do."""
    return axis if y.ndim else None


def _sum(x, axis: int):
    """Σ along `axis`, kept as a size-1 axis (along the last axis of 32 rows or more,
    attention's, as one product: see `sum_last`; below, numpy's own sum is ~1 µs faster, 9,200
    instructions against 17,900 for a row of two numbers: docs/measurements.md#elementwise)."""
    if x.ndim and axis % x.ndim == x.ndim - 1 and x.size >= 32 * x.shape[-1]:
        return sum_last(x)
    return x.sum(axis=_along(axis, x), keepdims=True)


# Where exp(x) needs no shift: x at most this (float32: e^60 ~ 1e26, so a row's sum overflows
# only past 3e12 numbers), and every row's Σ exp(x) at least SMALLEST_SUM.
UNSHIFTED_MAX = {np.dtype(np.float32): 60.0, np.dtype(np.float64): 600.0}
SMALLEST_SUM = math.exp(-20)


def _unshifted_softmax(x: np.ndarray, axis: int) -> np.ndarray | None:
    """exp(x) / Σ exp(x) without the max subtracted, where that is safe; None where not.

    Subtracting each row's max is what keeps exp from overflowing, and numpy's max over short
    rows is slow: 33 of the 75 µs of a (32, 32, 32) float32 softmax, a reduction loop per row of
    32. Where x is at most UNSHIFTED_MAX (one max over the whole array, 2 µs) nothing
    overflows, and exp(x) takes x as it is, with no rounding of x - max: measured against
    float64, 2.9 float32 eps at worst instead of 9-10 (PyTorch's, shifted: 8-9). What the shift
    also did is keep the row's largest term at 1: unshifted, a row whose numbers are all far
    below 0 has tiny terms, and those below float32's smallest normal number (e^-87) lose
    digits. So every row's sum must come to SMALLEST_SUM (e^-20): its largest term is then at
    least e^-20 / n, and a term that lost digits is below e^-67 · n of it, where the shifted
    form's terms vanish too, a little later. Otherwise (NaN, ±inf, a row of all -inf, larger
    or much smaller numbers, other dtypes) None, and the shifted form runs."""
    top = UNSHIFTED_MAX.get(x.dtype)
    if top is None or not x.ndim or not x.size or not np.maximum.reduce(x, axis=None) <= top:
        return None                                             # (NaN is not <= top)
    e = np.exp(x)
    total = _sum(e, axis)
    if not total.min() >= SMALLEST_SUM:
        return None
    e /= total
    return e


class Softmax(Op):
    """exp(x) / Σ exp(x) along one axis;  dx = y * (g - Σ g*y)"""
    name = "softmax"

    @staticmethod
    def forward(axis, x):
        if x.__class__ is np.ndarray:
            y = _unshifted_softmax(x, axis)
            if y is not None:
                return y
        # quiet as _logsumexp: x - m overflows to -inf only for float32 rows spanning more than
        # its range (exp gives the exact 0), and a row of all -inf is -inf - -inf = NaN, the
        # NaN PyTorch gives for a fully masked row
        # (in place on the one new array: a temporary as large as attention's weights, freed
        # at the top of the heap, is often handed back to the OS and page-faulted in afresh)
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.asarray(x - _max(x, axis))      # (0-d: numpy gives a scalar)
            np.exp(e, out=e)
            e /= _sum(e, axis)
            return e

    @staticmethod
    def backward(axis, g, y, x):
        if g.__class__ is np.ndarray and y.__class__ is np.ndarray and y.ndim:
            # the same products, written into g·y, the rule's one new array (three before:
            # attention's weights are the largest arrays of a small GPT)
            dx = g * y
            np.subtract(g, _sum(dx, axis), out=dx)
            dx *= y
            return (dx,)
        return (y * (g - _sum(g * y, axis)),)


class LogSoftmax(Op):
    """x - logsumexp(x) along one axis;  dx = g - softmax(x) Σ g"""
    name = "log_softmax"

    @staticmethod
    def forward(axis, x):
        return _log_softmax(x, axis)

    @staticmethod
    def backward(axis, g, y, x):
        return (g - exp(y) * g.sum(axis=_along(axis, y), keepdims=True),)
