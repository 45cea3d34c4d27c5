"""Ops that move elements around without changing them: reshape, transpose, broadcast_to,
indexing (and its adjoint, scatter-add), writing at an index (index_put), an embedding's row
lookup, gather along an axis, roll, concatenate and stack, sliding windows along an axis
(`Tensor.unfold`) and their overlap-add. Their gradients move back (and where an element was
copied to several places, its copies' gradients add up). And astype, which changes only the
dtype: its gradient is cast back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..broadcast import unbroadcast
from ..graph import Node, Op, apply
from .payload_math import _is_basic, scatter_add


class Reshape(Op):
    """x.reshape(shape);  the gradient is reshaped back"""
    name = "reshape"

    @staticmethod
    def forward(shape, x):
        return x.reshape(shape)

    @staticmethod
    def backward(shape, g, out, x):
        return (g.reshape(x.shape),)


class Transpose(Op):
    """x.transpose(axes);  the gradient is transposed by the inverse permutation"""
    name = "transpose"

    @staticmethod
    def forward(axes, x):
        return x.transpose(axes)

    @staticmethod
    def backward(axes, g, out, x):
        return (g.transpose(tuple(np.argsort(axes))),)


class BroadcastTo(Op):
    """np.broadcast_to(x, shape);  the copies' gradients are summed back"""
    name = "broadcast_to"

    @staticmethod
    def forward(shape, x):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(shape, g, out, x):
        return (unbroadcast(g, x.shape, "broadcast_to"),)


class GetItem(Op):
    """x[index] (basic or integer-array indexing);  the gradient is scattered back, and
    elements picked more than once collect the sum of their gradients"""
    name = "getitem"

    @staticmethod
    def forward(index, x):
        out = x[index]
        if out.__class__ is not np.ndarray and x.__class__ is np.ndarray:
            # one element, which numpy gives as a number (a copy): a 0-d view of x instead, so
            # that an in-place change of x[0] reaches x, as a row's does (and as in PyTorch)
            out = x[(index if index.__class__ is tuple else (index,)) + (Ellipsis,)]
        return out

    @staticmethod
    def backward(index, g, out, x):
        if (x.__class__ is np.ndarray and not x.flags.c_contiguous
                and g.__class__ is np.ndarray and _is_basic(index)):
            # the gradient laid out as x is (a convolution's output, say, whose last step a
            # TCN's head reads): the ops before x then multiply and add arrays of one layout; a
            # C-ordered one among them made each such numpy call up to 14x slower
            dx = np.zeros_like(x, dtype=g.dtype)
            dx[index] = g
            return (dx,)
        return (scatter_rows(g, index, x.shape),)


class ScatterAdd(Op):
    """zeros(shape) with g added at index (the adjoint of indexing);  its gradient is gout[index]

    Here g is the input (itself a gradient, when the op is recorded by a higher-order pass) and
    gout the upstream gradient, which every other op calls g."""
    name = "scatter_add"

    @staticmethod
    def forward(ctx, g):
        index, shape = ctx
        return scatter_rows(g, index, shape)

    @staticmethod
    def backward(ctx, gout, out, g):
        index, shape = ctx
        return (gout[index],)


class IndexPut(Op):
    """x with value written at index, as `x[index] = value` does to a copy of x (ctx: index,
    and `kept`, the bool mask of x's places left as they were);  d/dx = g where x was kept and
    0 where it was overwritten, d/dvalue = g[index] (summed over value's broadcast axes)"""
    name, broadcasting = "index_put", True
    reads_inputs = False        # the rule needs the index and the mask only

    @staticmethod
    def forward(ctx, x, value):
        index, _ = ctx
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, g, out, x, value):
        index, kept = ctx
        g_value = g[index]
        if g_value.ndim < value.ndim:       # numpy dropped value's leading axes of size 1
            g_value = g_value.reshape((1,) * (value.ndim - g_value.ndim) + g_value.shape)
        return g * kept, g_value


class Embedding(Op):
    """weight[index], the rows of a table that integer indices pick (ctx: index, padding_idx);
    the gradient is scattered back to the rows, except to row padding_idx (when not None),
    which gets none, as in PyTorch"""
    name = "embedding"
    reads_inputs = False        # the rule needs weight's shape only: rows renormalised in
    #                             place after the lookup (max_norm) leave its gradient as it is

    @staticmethod
    def forward(ctx, weight):
        index, _ = ctx
        return weight[index]

    @staticmethod
    def backward(ctx, g, out, weight):
        index, padding_idx = ctx
        if padding_idx is not None:
            kept = index != padding_idx
            g, index = g[kept], index[kept]
        return (scatter_rows(g, index, weight.shape),)


class Gather(Op):
    """np.take_along_axis(x, index, axis), PyTorch's x.gather(axis, index) (ctx: axis, index);
    the gradient is added back where each element was taken from (repeats add up)"""
    name = "gather"

    @staticmethod
    def forward(ctx, x):
        axis, index = ctx
        return np.take_along_axis(x, index, axis=axis)

    @staticmethod
    def backward(ctx, g, out, x):
        axis, index = ctx
        if index.shape[axis] == 1 and g.__class__ is np.ndarray and x.__class__ is np.ndarray:
            # one pick per row along `axis` (max(dim=), kthvalue, a label's logit): no place is
            # picked twice, so the gradient is written, not added, into zeros laid out as x is:
            # a conv1d's length-major output then gets its gradient in its own layout, with no
            # np.add.at and no relayout before the convolution's rule (PointNet's max-pool over
            # (32, 256, 512) points: 11 ms to scatter and relay out, 1 ms so)
            dx = np.zeros_like(x, dtype=g.dtype)
            np.put_along_axis(dx, index, g, axis)
            return (dx,)
        return (scatter_add(g, along_axis(index, axis), x.shape),)


def along_axis(index: np.ndarray, axis: int) -> tuple:
    """The integer-array index that picks what `take_along_axis(x, index, axis)` picks: `index`
    along `axis`, and each element's own position along every other axis.

    >>> np.arange(6).reshape(2, 3)[along_axis(np.array([[2], [0]]), 1)]
    array([[2],
           [3]])
    """
    ndim = index.ndim
    return tuple(index if a == axis else
                 np.arange(n).reshape((n,) + (1,) * (ndim - a - 1))
                 for a, n in enumerate(index.shape))


class Roll(Op):
    """np.roll(x, shifts, axes) (ctx: shifts, axes; axes None rolls the flattened tensor);
    the gradient is rolled back by -shifts"""
    name = "roll"

    @staticmethod
    def forward(ctx, x):
        shifts, axes = ctx
        return np.roll(x, shifts, axis=axes)

    @staticmethod
    def backward(ctx, g, out, x):
        shifts, axes = ctx
        back = tuple(-s for s in shifts)
        if isinstance(g, Node):
            return (apply(Roll, (g,), (back, axes)),)
        return (np.roll(g, back, axis=axes),)


# Below this many numbers to add, np.add.at on whole rows is as fast (its fixed cost is lower).
_FLAT_FROM = 400
# np.add.at got its fast loop for single elements in numpy 1.25 (negative indices fixed in
# 1.25.2); before it, adding element by element is no faster than adding rows, so older numpy
# keeps the row path (measured: docs/measurements.md#shape).
_FLAT_AT_IS_FAST = np.lib.NumpyVersion(np.__version__) >= "1.25.2"


def scatter_rows(g: Any, index: Any, shape: tuple) -> Any:
    """`scatter_add`, faster for rows picked by one integer array, as `weight[idx]` (an
    embedding's lookup) picks them: the row indices are turned into the flat index of every
    element, and np.add.at adds those one by one. The same additions in the same order, so
    the same bits, but np.add.at is slow on whole rows: 4-5x slower for a (1000, 64) table;
    under ~400 numbers the row path is as fast, and is kept (measured:
    docs/measurements.md#shape).

    >>> scatter_rows(np.ones((3, 2)), np.array([2, 0, 2]), (4, 2))
    array([[1., 1.],
           [0., 0.],
           [2., 2.],
           [0., 0.]])
    """
    if (not _FLAT_AT_IS_FAST or g.__class__ is not np.ndarray
            or index.__class__ is not np.ndarray or index.dtype.kind not in "iu"
            or len(shape) < 2 or g.size < _FLAT_FROM):
        return scatter_add(g, index, shape)
    row = math.prod(shape[1:])
    # element j of row i is flat element i * row + j; a negative i wraps to the same place
    flat = index.astype(np.intp, copy=False).reshape(-1, 1) * row + np.arange(row)
    out = np.zeros(math.prod(shape), g.dtype)
    np.add.at(out, flat.reshape(-1), g.reshape(-1))
    return out.reshape(shape)


class Windows(Op):
    """The windows of `size` elements that start every `step` along `axis` (ctx: axis, size,
    step), PyTorch's x.unfold(axis, size, step): `axis` becomes the windows' count and a last
    axis of length `size` is added. A read-only view: windows that overlap share elements.
    The gradient is the windows' gradients added back where each element sits (`WindowSum`).

    >>> Windows.forward((0, 3, 2), np.arange(7))
    array([[0, 1, 2],
           [2, 3, 4],
           [4, 5, 6]])
    """
    name = "windows"
    reads_inputs = False        # the rule needs x's shape only

    @staticmethod
    def forward(ctx, x):
        axis, size, step = ctx
        every = np.lib.stride_tricks.sliding_window_view(x, size, axis=axis)
        return every[(slice(None),) * axis + (slice(None, None, step),)]

    @staticmethod
    def backward(ctx, g, out, x):
        if isinstance(g, Node):
            return (apply(WindowSum, (g,), ctx + (x.shape,)),)
        return (window_sum(g, *ctx, x.shape),)


class WindowSum(Op):
    """Windows laid back along `axis` and added where they overlap (ctx: axis, size, step, and
    the shape before windowing), the adjoint of `Windows`, which is its gradient: each window
    reads back the gradient of the elements it was added to."""
    name = "window_sum"
    reads_inputs = False

    @staticmethod
    def forward(ctx, g):
        return window_sum(g, *ctx)

    @staticmethod
    def backward(ctx, gout, out, g):
        return (apply(Windows, (gout,), ctx[:3]) if isinstance(gout, Node)
                else Windows.forward(ctx[:3], gout),)


def window_sum(windows: np.ndarray, axis: int, size: int, step: int, shape: tuple) -> np.ndarray:
    """The windows (count along `axis`, `size` on the last axis) added into zeros of `shape`,
    window i from element i * step on: one strided add per offset in the window (a loop of
    `size` numpy calls, each over every window), so overlaps add up without np.add.at.

    >>> window_sum(np.ones((3, 3)), 0, 3, 2, (7,))
    array([1., 1., 2., 1., 2., 1., 1.])
    """
    out = np.zeros(shape, windows.dtype)
    count = windows.shape[axis]
    lead = (slice(None),) * axis
    for j in range(size):
        out[lead + (slice(j, j + (count - 1) * step + 1, step),)] += windows[..., j]
    return out


class Concatenate(Op):
    """np.concatenate(xs, axis);  each input gets its slice of the gradient"""
    name = "concatenate"

    @staticmethod
    def forward(axis, *xs):
        # C order, as PyTorch's torch.cat gives it (but for 4-d inputs that are all
        # channels-last, a memory format glassgrad has not): numpy's keeps the layout its
        # inputs share (transposed or permuted ones: strides and is_contiguous() would differ
        # from PyTorch's). ascontiguousarray returns a C-order array itself, in 0.05 µs, where
        # a flags test first cost 0.2 µs of torch.cat's 8 µs for two (64, 128) float32 inputs
        return np.ascontiguousarray(np.concatenate(xs, axis=axis))

    @staticmethod
    def backward(axis, g, out, *xs):
        grads, start = [], 0
        lead = (slice(None),) * axis
        for x in xs:
            stop = start + x.shape[axis]
            grads.append(g[lead + (slice(start, stop),)])
            start = stop
        return tuple(grads)


class Stack(Op):
    """np.stack(xs, axis);  input i gets the gradient's slice i along axis"""
    name = "stack"

    @staticmethod
    def forward(axis, *xs):
        return np.ascontiguousarray(np.stack(xs, axis=axis))    # (as Concatenate's)

    @staticmethod
    def backward(axis, g, out, *xs):
        lead = (slice(None),) * axis
        return tuple(g[lead + (i,)] for i in range(len(xs)))


class AsType(Op):
    """x.astype(dtype);  the gradient is cast back to x's dtype"""
    name = "astype"

    @staticmethod
    def forward(dtype, x):
        return x.astype(dtype)

    @staticmethod
    def backward(dtype, g, out, x):
        return (g.astype(x.dtype),)
