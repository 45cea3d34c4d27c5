"""Max pooling over 2-D windows (NCHW), with the gradient routed to each window's maximum
(written for images; the same code pools volumes (N, C, D, H, W) over 3-D windows).

    y[n, c, h, w] = max_ij x_pad[n, c, s·h + d·i, s·w + d·j]      (padding is -inf)

The forward walks the kernel taps, not the windows: for each tap (i, j) one strided view of the
input covers every window at once, and a running maximum keeps the first tap that is strictly
larger. So `arg` is the first maximum of each window in row-major order — where PyTorch sends
the whole gradient on ties (after a ReLU, all-zero windows are common). Windows holding NaN or
whose maximum is -inf follow PyTorch's other choices, fixed after the loop (`_route_as_pytorch`).

    dL/dx_pad[tap (i, j) of window (h, w)] = g[h, w] if arg[h, w] == (i, j) else 0

That rule is linear in g: a scatter of g through the fixed `arg`, whose adjoint is the gather
that is max pooling itself at fixed `arg`. `PoolScatter` and `PoolGather` are those two, each
the other's gradient, so max pooling works at any order (its second derivative in x is zero).
Average pooling is a convolution with a constant kernel (see `autograd.functional.avg_pool2d`).

`window_maxima` turns `arg` into PyTorch's `return_indices` (each maximum's place in its
flattened plane), and `MaxUnpool` is their inverse, max_unpool: it puts each value back at its
place in a plane of zeros; its backward (`UnpoolGather`) reads the gradient there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Node, Op, apply
from .conv import Geometry, laid_out_as, pad_spatial, tap_slices, tiles_exactly, unpad_spatial


def _tap(xp, tap: int, ctx: PoolCtx):
    """The view of the padded input that kernel tap number `tap` (row-major: i·kw + j for a
    (kh, kw) kernel) sees at every output position."""
    if ctx.taps is None:                    # the slices of every tap, worked out once
        ctx.taps = [(slice(None), slice(None)) + where for where in
                    tap_slices(ctx.kernel, ctx.out_size, ctx.geo)]
    return xp[ctx.taps[tap]]


class PoolCtx:
    """A pooling node's constants: kernel, geometry, output size, the input's shape, and the
    index of each window's maximum (the tap i·kw + j; any number of spatial axes), found by
    the forward."""
    __slots__ = ("kernel", "geo", "out_size", "shape", "arg", "taps")

    def __init__(self, kernel: tuple, geo: Geometry, out_size: tuple, shape: tuple) -> None:
        self.kernel, self.geo, self.out_size, self.shape = kernel, geo, out_size, shape
        self.arg = self.taps = None


def scatter_forward(ctx: PoolCtx, g: np.ndarray) -> np.ndarray:
    """g (N, C, Ho, Wo) sent back to the input's shape, each value onto its window's maximum."""
    n, c, *sizes = ctx.shape
    padding, kernel = ctx.geo.padding, ctx.kernel
    # dxp and g laid out as arg (as the input was: batch-last, or a conv1d's length-major), so
    # that each tap's multiply runs over one layout (mixed, numpy's loops are short and ~14x
    # slower)
    # where the windows cover the input once each (2x2 stride 2 on even sizes, one window the
    # size of the image), every cell is written below, so no zeros first: (64, 32, 32, 32)
    # float32, 2x2, 2.03 -> 1.65 ms alone (s24 saw 0.70 -> 0.37 on MNIST's smaller layer;
    # docs/measurements.md#conv, s33 conv2)
    exact = tiles_exactly(sizes, kernel, ctx.out_size, ctx.geo)
    tiled = exact or ctx.geo.stride == kernel and all(d == 1 for d in ctx.geo.dilation)
    fill = np.empty_like if exact else np.zeros_like
    dxp = fill(ctx.arg, g.dtype, shape=(n, c, *(s + 2 * p for s, p in zip(sizes, padding))))
    g = laid_out_as(g, ctx.arg)
    for tap in range(math.prod(kernel)):
        hit = ctx.arg == tap
        view = _tap(dxp, tap, ctx)
        if tiled:                                    # disjoint windows: write, no add needed
            np.multiply(g, hit, out=view)
        else:
            view[...] += g * hit
    return unpad_spatial(dxp, padding)


def gather_forward(ctx: PoolCtx, x: np.ndarray) -> np.ndarray:
    """Each window's value at the fixed index ctx.arg (max pooling with the argmax frozen)."""
    xp = pad_spatial(x, ctx.geo.padding)
    out = np.zeros(ctx.arg.shape, dtype=x.dtype)
    for tap in np.unique(ctx.arg):
        hit = ctx.arg == tap
        out[hit] = _tap(xp, int(tap), ctx)[hit]
    return out


def scatter(ctx: PoolCtx, g: Any) -> Any:
    """`scatter_forward` on an array; on a node, a recorded op (so it differentiates again)."""
    if isinstance(g, Node):
        return apply(PoolScatter, (g,), ctx)
    return scatter_forward(ctx, g)


def gather(ctx: PoolCtx, x: Any) -> Any:
    """`gather_forward` on an array; on a node, a recorded op (so it differentiates again)."""
    if isinstance(x, Node):
        return apply(PoolGather, (x,), ctx)
    return gather_forward(ctx, x)


class MaxPool2d(Op):
    """max over each window (first maximum on ties);  dx = g scattered onto the maxima"""
    name = "max_pool2d"

    @staticmethod
    def forward(ctx, x):
        xp = pad_spatial(x, ctx.geo.padding, -np.inf)
        taps = math.prod(ctx.kernel)
        out = _tap(xp, 0, ctx).copy(order="K")
        index = np.int8 if taps < 128 else np.int32
        arg = np.zeros_like(out, dtype=index)
        for tap in range(1, taps):
            view = _tap(xp, tap, ctx)
            larger = view > out                      # strictly: an equal later tap loses
            np.maximum(out, view, out=out)
            # the taps come in increasing order, so the last one that was larger is the
            # largest index that was: a max, much cheaper than a masked write
            np.maximum(arg, larger * index(tap), out=arg)
        if np.isnan(out).any() or (any(ctx.geo.padding) and np.isneginf(out).any()):
            _route_as_pytorch(ctx, xp, out, arg)
        ctx.arg = arg
        return out

    @staticmethod
    def backward(ctx, g, out, x):
        return (scatter(ctx, g),)


def _route_as_pytorch(ctx: PoolCtx, xp: np.ndarray, out: np.ndarray, arg: np.ndarray) -> None:
    """Correct `arg` in the two kinds of window where "first strictly larger" is not PyTorch's
    choice (rare, so checked for once, after the loop): a window holding NaN sends its gradient
    to its last NaN (PyTorch's running maximum takes any NaN it meets), and a window whose
    maximum is -inf to its first pixel inside the input (tap 0 may be -inf padding, which would
    swallow the gradient)."""
    inside = pad_spatial(np.ones((1, 1, *ctx.shape[2:]), dtype=bool), ctx.geo.padding, False)
    nan_window, minus_inf_window = np.isnan(out), np.isneginf(out)
    unset = minus_inf_window.copy()                  # -inf windows still waiting for a pixel
    for tap in range(math.prod(ctx.kernel)):
        arg[nan_window & np.isnan(_tap(xp, tap, ctx))] = tap
        first = unset & _tap(inside, tap, ctx)
        arg[first] = tap
        unset &= ~first


def window_maxima(ctx: PoolCtx, sizes: tuple) -> tuple[np.ndarray, bool]:
    """After the forward: where each window's maximum is in the input (N, C, *sizes), as its
    place in the flattened plane (H·W, or D·H·W; int64), and whether every window holds a cell
    of the input (with dilation and padding one may hold padding only: its -inf has no place).

    >>> ctx = PoolCtx((2,), Geometry((2,), (0,), (1,), 1), (2,), (1, 1, 4))
    >>> MaxPool2d.forward(ctx, np.array([[[1.0, 3.0, 5.0, 2.0]]])), window_maxima(ctx, (4,))
    (array([[[3., 5.]]]), (array([[[1, 2]]]), True))
    """
    taps = np.unravel_index(ctx.arg, ctx.kernel)     # each maximum's offset in its window
    place, inside = np.zeros(ctx.arg.shape, dtype=np.int64), True
    for axis, (tap, n, o, s, p, d) in enumerate(zip(taps, sizes, ctx.out_size, ctx.geo.stride,
                                                    ctx.geo.padding, ctx.geo.dilation)):
        later = len(sizes) - axis - 1                # the window's start along this axis
        coordinate = (np.arange(o) * s - p).reshape((o,) + (1,) * later) + tap * d
        inside = inside and bool(((coordinate >= 0) & (coordinate < n)).all())
        place = place * n + coordinate               # row-major, the first axis outermost
    return np.ascontiguousarray(place), inside


class MaxPool3d(MaxPool2d):
    """MaxPool2d's rule on volumes (N, C, D, H, W): max over each (kd, kh, kw) window"""
    name = "max_pool3d"


class PoolScatter(Op):
    """g scattered onto each window's maximum (max pooling's backward);  its gradient is gather"""
    name = "max_pool2d_backward"

    @staticmethod
    def forward(ctx, g):
        return scatter_forward(ctx, g)

    @staticmethod
    def backward(ctx, h, out, g):
        return (gather(ctx, h),)


class PoolGather(Op):
    """each window's value at its recorded maximum;  its gradient is scatter"""
    name = "max_pool2d_gather"

    @staticmethod
    def forward(ctx, x):
        return gather_forward(ctx, x)

    @staticmethod
    def backward(ctx, h, out, x):
        return (scatter(ctx, h),)


class UnpoolCtx:
    """max_unpool's constants: the input's and the output's shapes, and for each input cell
    that is written, its flat position in the input (`source`) and in the output (`target`)."""
    __slots__ = ("shape", "out_shape", "source", "target")

    def __init__(self, shape: tuple, out_shape: tuple, index: np.ndarray) -> None:
        """`index` (N, C, ...): each input cell's place in its flattened output plane. Where
        several cells have one place, the last one's write stays (PyTorch's loop, in order)."""
        self.shape, self.out_shape = shape, out_shape
        planes, plane = shape[0] * shape[1], math.prod(out_shape[2:])
        target = (index.reshape(planes, math.prod(shape[2:])) +
                  plane * np.arange(planes)[:, None]).ravel()
        source = np.arange(target.size)
        last = np.full(planes * plane, -1)
        np.maximum.at(last, target, source)          # the last cell written to each place
        kept = last[target] == source
        self.source, self.target = (source, target) if kept.all() else \
            (source[kept], target[kept])


def unpool_forward(ctx: UnpoolCtx, x: np.ndarray) -> np.ndarray:
    """x's cells put at their places in planes of zeros (N, C, *output sizes)."""
    out = np.zeros(math.prod(ctx.out_shape), dtype=x.dtype)
    out[ctx.target] = x.reshape(-1)[ctx.source]
    return out.reshape(ctx.out_shape)


def unpool_gather_forward(ctx: UnpoolCtx, g: np.ndarray) -> np.ndarray:
    """g (N, C, *output sizes) read at each written input cell's place (0 for the others)."""
    out = np.zeros(math.prod(ctx.shape), dtype=g.dtype)
    out[ctx.source] = g.reshape(-1)[ctx.target]
    return out.reshape(ctx.shape)


class MaxUnpool(Op):
    """x[k] put at index[k] among zeros (repeats: the last one);  dx = g[index], 0 if overwritten"""
    name = "max_unpool"

    @staticmethod
    def forward(ctx, x):
        return unpool_forward(ctx, x)

    @staticmethod
    def backward(ctx, g, out, x):
        if isinstance(g, Node):                      # a recorded op, to differentiate again
            return (apply(UnpoolGather, (g,), ctx),)
        return (unpool_gather_forward(ctx, g),)


class UnpoolGather(Op):
    """g read at each value's index (max_unpool's backward);  its gradient is max_unpool"""
    name = "max_unpool_backward"

    @staticmethod
    def forward(ctx, g):
        return unpool_gather_forward(ctx, g)

    @staticmethod
    def backward(ctx, h, out, g):
        if isinstance(h, Node):
            return (apply(MaxUnpool, (h,), ctx),)
        return (unpool_forward(ctx, h),)
