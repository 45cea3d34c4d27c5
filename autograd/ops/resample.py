"""Resizing along one axis, as PyTorch's `interpolate` does it: each output is a weighted sum
of a few input neighbours,

    y[..., o] = Σ_k weight[k, o] · x[..., index[k, o]]

with one neighbour of weight 1 for "nearest", two for "linear" and four for "bicubic" (the
indices and weights are `taps`). Resizing an image is this along H, then along W.

The map is linear in x, so its gradient is its adjoint: g[..., o] is sent back through the
same weights onto the same neighbours, and added up where several outputs read one input,

    dx[..., i] = Σ_{k, o: index[k, o] = i} weight[k, o] · g[..., o]

`Resample` and `ResampleAdjoint` are those two maps, each the other's gradient, so resizing
differentiates to any order.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..graph import Node, Op, apply


class Taps(NamedTuple):
    """Where each output along an axis reads: index and weight (K, out), the input's length;
    `repeats` is r when each input is read, with weight 1, by r outputs in a row (nearest at a
    whole scale factor: 2x upsampling's [0, 0, 1, 1, ...]), else 0."""
    index: np.ndarray
    weight: np.ndarray
    size: int
    repeats: int = 0


def _scale(size: int, out: int, scale_factor: float | None, dtype: Any) -> Any:
    """Input pixels per output pixel: 1/scale_factor when one was given (PyTorch keeps the
    user's factor even where the rounded output size implies another), else size/out."""
    if scale_factor is not None and scale_factor > 0:
        return dtype(1.0 / scale_factor)
    return dtype(size) / dtype(out)


def nearest_taps(size: int, out: int, scale_factor: float | None, exact: bool,
                 dtype: Any) -> Taps:
    """"nearest": output o reads floor(o·scale) (the left of the pixels it covers);
    "nearest-exact": floor((o + ½)·scale) (the one under its centre). As PyTorch: the position
    in `dtype`, rounded to float32 before the floor (else, where o·scale falls a hair below a
    whole number, the floor could pick the pixel next to PyTorch's).

    >>> [nearest_taps(2, 5, None, exact, np.float32).index for exact in (False, True)]
    [array([[0, 0, 0, 1, 1]]), array([[0, 0, 1, 1, 1]])]
    """
    dtype = np.dtype(dtype).type
    o = np.arange(out).astype(dtype)
    scale = _scale(size, out, scale_factor, dtype)
    position = (o + dtype(0.5 if exact else 0)) * scale
    index = np.minimum(np.floor(position.astype(np.float32)).astype(np.int64), size - 1)
    repeats = out // size
    if not (repeats and out == repeats * size and np.array_equal(index, np.arange(out) // repeats)):
        repeats = 0
    return Taps(index[None], np.ones((1, out)), size, repeats)


def _source_position(size: int, out: int, scale_factor: float | None, align_corners: bool,
                     dtype: Any) -> np.ndarray:
    """Where each output pixel's centre falls in the input, in input pixels. align_corners=True
    maps the corner pixels' centres onto each other; False maps the edges of the image onto
    each other, so o's centre o + ½ lands at (o + ½)·scale, pixel (o + ½)·scale - ½."""
    o = np.arange(out).astype(dtype)
    if align_corners:
        scale = dtype(size - 1) / dtype(out - 1) if out > 1 else dtype(0)
        return o * scale
    scale = _scale(size, out, scale_factor, dtype)
    return scale * (o + dtype(0.5)) - dtype(0.5)


def linear_taps(size: int, out: int, scale_factor: float | None, align_corners: bool,
                dtype: Any) -> Taps:
    """"linear": the two input pixels either side of the output's position p, weighted by
    closeness, (1 - t, t) with t = p - floor(p); positions before the first pixel's centre
    read the first pixel, past the last one the last.

    >>> taps = linear_taps(2, 4, None, False, np.float64)
    >>> taps.index.T.tolist(), taps.weight.T.tolist()
    ([[0, 1], [0, 1], [0, 1], [1, 1]], [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.75, 0.25]])
    """
    dtype = np.dtype(dtype).type
    if out == size:         # PyTorch's shortcut, whatever the factor: 1·x + 0·x (inf -> NaN)
        return Taps(np.stack([np.arange(out)] * 2), np.stack([np.ones(out), np.zeros(out)]),
                    size)
    position = np.maximum(_source_position(size, out, scale_factor, align_corners, dtype), 0)
    left = np.minimum(np.floor(position).astype(np.int64), size - 1)
    t = np.clip(position - left, 0, 1).astype(dtype)
    right = np.where(left < size - 1, left + 1, left)
    return Taps(np.stack([left, right]), np.stack([1 - t, t]), size)


CUBIC_A = -0.75          # the sharpness of Keys' cubic convolution kernel that PyTorch uses


def cubic_taps(size: int, out: int, scale_factor: float | None, align_corners: bool,
               dtype: Any) -> Taps:
    """"bicubic" along one axis: the four pixels around the output's position p, floor(p) - 1
    to floor(p) + 2 (clamped to the image: the edge pixels repeat), weighted by Keys' cubic
    kernel at their distances from p (weights that sum to 1 and can be negative: overshoot).

    >>> cubic_taps(2, 4, None, False, np.float64).weight[:, 1]
    array([-0.10546875,  0.87890625,  0.26171875, -0.03515625])
    """
    dtype = np.dtype(dtype).type
    position = _source_position(size, out, scale_factor, align_corners, dtype)
    start = np.floor(position).astype(np.int64)
    t = (position - start).astype(dtype)
    a = dtype(CUBIC_A)

    def near(d):                       # the kernel for distances d in [0, 1]
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):                        # and in [1, 2]
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    weight = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)])
    index = np.clip(start + np.arange(-1, 3)[:, None], 0, size - 1)
    return Taps(index, weight, size)


def output_size(size: int, scale_factor: float) -> int:
    """The output length for a scale factor: the product rounded down, as PyTorch does it."""
    return math.floor(size * scale_factor)


# ----------------------------------------------------------------------------------------------
# The two maps, on arrays; the ops; and the functions the rules call (nodes or arrays)
# ----------------------------------------------------------------------------------------------

class ResampleCtx(NamedTuple):
    """A resampling node's constants: the axis it resizes and its taps."""
    axis: int
    taps: Taps


def _along(ctx: ResampleCtx, ndim: int, dtype: Any) -> np.ndarray:
    """The weights (K, out) shaped to broadcast along ctx.axis of an array of `ndim` axes."""
    return ctx.taps.weight.astype(dtype).reshape((len(ctx.taps.weight), -1) +
                                                 (1,) * (ndim - 1 - ctx.axis))


def resample_forward(ctx: ResampleCtx, x: np.ndarray) -> np.ndarray:
    """Σ_k weight[k] · x[..., index[k]] along ctx.axis."""
    if ctx.taps.repeats:                # each input copied r times: 5-10x faster than take
        return np.repeat(x, ctx.taps.repeats, axis=ctx.axis)
    weight = _along(ctx, x.ndim, x.dtype)
    y = x.take(ctx.taps.index[0], axis=ctx.axis) * weight[0]
    for index, w in zip(ctx.taps.index[1:], weight[1:]):
        y += x.take(index, axis=ctx.axis) * w
    return y


def adjoint_forward(ctx: ResampleCtx, g: np.ndarray) -> np.ndarray:
    """Each g[..., o] · weight[k, o] added onto input position index[k, o], along ctx.axis."""
    if ctx.taps.repeats:                # each input's r outputs in a row: their sum, added
        r = ctx.taps.repeats            # as whole strided slices (np.sum over so short an
        runs = g.reshape(g.shape[:ctx.axis] + (ctx.taps.size, r) + g.shape[ctx.axis + 1:])
        before = (slice(None),) * (ctx.axis + 1)      # axis is 3-6x slower)
        dx = runs[before + (0,)].copy()
        for j in range(1, r):
            dx += runs[before + (j,)]
        return dx
    shape = list(g.shape)
    shape[ctx.axis] = ctx.taps.size
    # in g's memory order (a batch-last convolution's gradient stays so: mixing it with a
    # C-ordered dx ran numpy's inner loops across the batch)
    dx = np.zeros_like(g, shape=shape)
    before = (slice(None),) * ctx.axis
    for index, w in zip(ctx.taps.index, _along(ctx, g.ndim, g.dtype)):
        # index never decreases along the output, so the outputs that read one input form a
        # run; adding the runs' first outputs, then their second ones, ... moves whole slices
        # (measured: 2-3x faster than np.add.at(dx, index, g · w), which adds one at a time)
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        lengths = np.diff(np.r_[starts, len(index)])
        for j in range(lengths.max()):
            outputs = starts[lengths > j] + j
            # as views where the positions step evenly (measured, bilinear 2x on a U-Net's
            # batch-last gradients (16, 32, 32, 32) along H / W: 2854 / 5086 -> 522 / 867 µs;
            # C-ordered 1459 / 3843 -> 964 / 1884, but along the last axis of (16, 64, 8, 16)
            # 1167-1230 -> 1551-1588: strided runs of 8 there)
            for out, into in evenly_spaced(outputs, index[outputs]):
                dx[before + (into,)] += g[before + (out,)] * w[out]
    return dx


def evenly_spaced(outputs: np.ndarray, inputs: np.ndarray, most: int = 4) -> list:
    """outputs and inputs (increasing positions, one pair each) as pairs of slices, one per
    piece over which both step evenly (a whole-factor resize: a middle piece and its clamped
    edges), so that the adds above index views instead of copying by fancy indexing; as one
    pair of the arrays themselves where that takes over `most` pieces (an uneven factor).

    >>> evenly_spaced(np.array([0, 3, 5, 7]), np.array([0, 1, 2, 3]))
    [(slice(0, 4, 3), slice(0, 2, 1)), (slice(5, 8, 2), slice(2, 4, 1))]
    """
    d_out, d_in = np.diff(outputs), np.diff(inputs)
    # a piece ends where the steps change; the element there closes the earlier piece
    ends = np.flatnonzero((d_out[1:] != d_out[:-1]) | (d_in[1:] != d_in[:-1])) + 1
    if len(ends) >= most:
        return [(outputs, inputs)]
    pairs = []
    for a, e in zip([0, *(ends + 1)], [*ends, len(outputs) - 1]):
        step_out, step_in = (d_out[a], d_in[a]) if e > a else (1, 1)
        pairs.append((slice(int(outputs[a]), int(outputs[e]) + 1, int(step_out)),
                      slice(int(inputs[a]), int(inputs[e]) + 1, int(step_in))))
    return pairs


def resample(ctx: ResampleCtx, x: Any) -> Any:
    """`resample_forward` on an array; on a node, a recorded op."""
    if isinstance(x, Node):
        return apply(Resample, (x,), ctx)
    return resample_forward(ctx, x)


def adjoint(ctx: ResampleCtx, g: Any) -> Any:
    """`adjoint_forward` on an array; on a node, a recorded op."""
    if isinstance(g, Node):
        return apply(ResampleAdjoint, (g,), ctx)
    return adjoint_forward(ctx, g)


class Resample(Op):
    """y[o] = Σ_k weight[k, o] · x[index[k, o]] along one axis;  dx = the adjoint of g"""
    name = "resample"
    reads_inputs = False

    @staticmethod
    def forward(ctx, x):
        return resample_forward(ctx, x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (adjoint(ctx, g),)


class ResampleAdjoint(Op):
    """dx[i] = Σ_{index[k, o] = i} weight[k, o] · g[o];  its gradient is resampling"""
    name = "resample_backward"
    reads_inputs = False

    @staticmethod
    def forward(ctx, g):
        return adjoint_forward(ctx, g)

    @staticmethod
    def backward(ctx, h, out, g):
        return (resample(ctx, h),)
