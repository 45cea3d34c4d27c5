"""Convolution (PyTorch's cross-correlation, NCHW) by im2col and one matmul; constant padding.
Written for images (N, C, H, W) below; every kernel takes any number of spatial axes, so the
same code runs conv3d on volumes (N, C, D, H, W) with one more kernel index, d.

    y[n, o, p, q] = b[o] + Σ_c Σ_ij w[o, c, i, j] · x_pad[n, c, s·p + d·i, s·q + d·j]

im2col copies every receptive field of x into a column, so the whole layer is one product:

    cols (C·kh·kw, Ho·Wo·N)    W (O, C·kh·kw)    y = W @ cols  (O, Ho·Wo·N)

(computed one cache-sized tile of columns at a time: `column_tiles`; at stride 1 along the
width, by image rows with no columns at all: `rows_forward`; 1x1 layers as one product of the
input's rows: `runs_pointwise`; depthwise ones a block of channels at a time).

A convolution is linear in x and in w, so its two gradients are the other two "faces" of the
same sum, and each of them is linear again:

    dx = conv_input_grad(g, w)     the adjoint of x ↦ conv(x, w): Wᵀ @ g, then col2im (at
                                   stride 1, a convolution of g: `flipped_kernel`)
    dw = conv_weight_grad(x, g)    g @ colsᵀ (the batch is summed inside the product)

Because of this, the backward of each of the three ops is made of the other two, so gradients of
any order come out of the same three rules: called with Tensors (in the higher-order pass) they
record nodes, called with arrays they compute. `groups` splits the channels into independent
convolutions (one product per group).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..graph import Node, Op, apply, needs_and


class Geometry(NamedTuple):
    """How the kernel walks over the input: one int per spatial axis ((h, w) for images,
    (d, h, w) for volumes) in each tuple, and the number of groups."""
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int

    def output_size(self, size: tuple, kernel: tuple) -> tuple:
        """(Ho, Wo) for an input (H, W) and a kernel (kh, kw) (one size per axis, any number of
        axes); < 1 when the kernel does not fit."""
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
                     zip(size, kernel, self.stride, self.padding, self.dilation))


# ----------------------------------------------------------------------------------------------
# The numpy kernels: im2col, col2im and the three products
#
# Memory layout (measured: it is most of the speed). numpy pays per innermost loop, and in NCHW
# an image row is short (14 pixels in LeNet's second layer): copying windows or adding them
# back would run hundreds of thousands of 14-element loops. So the kernels store images as
# (C, H, W, N), the batch innermost: a window's row and the whole batch are then one contiguous
# run (14 · 64 elements). Arrays are still handed around with PyTorch's shape (N, C, H, W), as
# transposed views of that memory; elementwise ops keep the layout, so the next layer reads it
# for free. The columns are (C·kh·kw, Ho·Wo·N), so every product is one plain 2-D matmul.
# Every kernel takes any number of spatial axes: (H, W) for conv2d (conv1d is conv2d on a height
# of 1), (D, H, W) for conv3d, with the columns (C·kd·kh·kw, Do·Ho·Wo·N).
# conv1d's own case (one group) is laid out otherwise: see "1-d convolutions" below.
# ----------------------------------------------------------------------------------------------

# the two transposes between (N, C, *sizes) and (C, *sizes, N), by number of axes (worked out
# once: building them on every call was a tenth of a tiny convolution's Python)
_BATCH_FIRST = {ndim: (ndim - 1,) + tuple(range(ndim - 1)) for ndim in range(2, 7)}
_BATCH_TO_END = {ndim: tuple(range(1, ndim)) + (0,) for ndim in range(2, 7)}


def batch_first(a: np.ndarray) -> np.ndarray:
    """a (C, *sizes, N) viewed as (N, C, *sizes): how the kernels hand their results out.
    (A transpose, not np.moveaxis: that one's argument checks cost more than the whole view.)"""
    return a.transpose(_BATCH_FIRST[a.ndim])


def batch_to_end(x: np.ndarray) -> np.ndarray:
    """x (N, C, *sizes) viewed as (C, *sizes, N): `batch_first` undone."""
    return x.transpose(_BATCH_TO_END[x.ndim])


def batch_last(c: int, sizes: tuple, n: int, dtype: Any, fill: float = 0.0) -> np.ndarray:
    """A (N, C, *sizes) array filled with `fill`, stored as (C, *sizes, N) (see the layout note)."""
    return batch_first(np.full((c, *sizes, n), fill, dtype=dtype))


def as_batch_last(x: np.ndarray) -> np.ndarray:
    """x (N, C, ...) itself if its batch axis is already innermost in memory, else a copy that
    is (mixing layouts in one numpy op makes its inner loops short again: 8x slower here)."""
    if x.strides[0] == x.itemsize or x.shape[0] == 1:
        return x
    return batch_first(np.ascontiguousarray(batch_to_end(x)))


def laid_out_as(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """a itself if its axes lie in memory as those of `like` (an array of its shape) do, else a
    copy of a that is laid out so."""
    if a.strides == tuple(s // like.itemsize * a.itemsize for s in like.strides):
        return a
    out = np.empty_like(like, a.dtype)
    np.copyto(out, a)
    return out


def as_length_major_like(g: Any, like: Any) -> Any:
    """g laid out as `like` where `like` is stored length-major (its channels innermost: a
    conv1d's output, or an elementwise result of one; see "1-d convolutions" below) and g is
    not, else g itself. A C-ordered g (from a loss or a flattening head right after) mixed with
    such an array runs numpy's inner loops along L, whose cells lie N·C apart in `like`: a
    multiply of (64, 32, 48) float32 took 275 µs, the copy into like's layout 60 and the same
    multiply after it 12. (Into a batch-last layout the copy costs 200 against 75 mixed: that
    pair stays mixed.)"""
    if (g.__class__ is np.ndarray and like.__class__ is np.ndarray and g.ndim >= 3 and
            g.shape == like.shape and like.shape[1] > 1 and like.strides[1] == like.itemsize
            and g.strides[1] != g.itemsize and not like.flags.c_contiguous):
        return laid_out_as(g, like)
    return g


def pad_spatial(x: np.ndarray, padding: tuple, fill: float = 0.0) -> np.ndarray:
    """x (N, C, *sizes) with padding[i] cells of `fill` on both sides of spatial axis i (x if
    none)."""
    if not any(padding):
        return x
    n, c, *sizes = x.shape
    out = batch_last(c, tuple(s + 2 * p for s, p in zip(sizes, padding)), n, x.dtype, fill)
    out[(slice(None), slice(None)) + tuple(slice(p, p + s) for s, p in zip(sizes, padding))] = x
    return out


def unpad_spatial(xp: np.ndarray, padding: tuple) -> np.ndarray:
    """The middle of a padded xp (N, C, *padded sizes): `pad_spatial` undone (a view)."""
    if not any(padding):
        return xp
    return xp[(slice(None), slice(None)) + tuple(slice(p, n - p) for n, p in
                                                  zip(xp.shape[2:], padding))]


def windows(xp: np.ndarray, kernel: tuple, out_size: tuple, geo: Geometry) -> np.ndarray:
    """A read-only view (C, kh, kw, Ho, Wo, N) of the padded input xp (N, C, Hp, Wp) (one
    kernel and one output axis per spatial axis): [c, i, j, h, w, n] is the pixel that kernel
    tap (i, j) sees at output position (h, w). No copy."""
    sn, sc, *spatial = xp.strides
    shape = (xp.shape[1],) + tuple(kernel) + tuple(out_size) + (xp.shape[0],)
    strides = ((sc,) + tuple(s * d for s, d in zip(spatial, geo.dilation)) +
               tuple(s * t for s, t in zip(spatial, geo.stride)) + (sn,))
    return as_strided(xp, shape, strides, writeable=False)


def im2col(x: np.ndarray, kernel: tuple, geo: Geometry) -> np.ndarray:
    """Every receptive field as a column: (G, C/G·kh·kw, Ho·Wo·N), one contiguous copy.
    (The layers copy one cache-sized tile of it at a time: see `column_tiles`.)"""
    out_size = geo.output_size(x.shape[2:], kernel)
    # an NCHW input (a batch from the dataset, the first layer's) is made batch-last first: the
    # window copy below then reads runs of N contiguous numbers instead of one number per image
    # (measured: 4x faster for conv1d on (64, 8, 128), 2.7x for MNIST (64, 1, 28, 28))
    view = windows(pad_spatial(as_batch_last(x), geo.padding), kernel, out_size, geo)
    rows = x.shape[1] // geo.groups * math.prod(kernel)     # (not -1: ambiguous for N = 0)
    return view.copy().reshape(geo.groups, rows, math.prod(out_size) * x.shape[0])


# The columns of a whole layer are large (20 MB for LeNet's second layer at batch 64): written
# out in full they go to memory, and the product streams them back from there (~66 GFLOP/s
# here). Copied one tile of output positions at a time into a buffer that stays in the core's
# cache, the same product runs at ~85 GFLOP/s and the copy is cheaper too (measured: 6.2 ->
# 4.6 ms for that layer's forward). So the forward and the weight gradient walk the output in
# tiles, and a layer's columns are never stored whole. A tile's TILE_BYTES count both sides of
# its product, the columns and the output's (or the gradient's) rows for the same positions:
# counting the columns alone, a first layer's tiles (25 rows of columns, 16 of output) came out
# too long for the cache, and its forward and weight gradient took 2.3 ms instead of 1.3.
TILE_BYTES = 512 * 2 ** 10


def tile_shape(out_size: tuple, positions: int) -> tuple:
    """The extent of a tile along each output axis: at most `positions` positions (at least
    one), and one run of memory in the batch-last layout: whole rows (whole planes, for a
    volume) when they fit, else a part of one (a part of one row, when a row does not fit).

    >>> tile_shape((10, 8), 20), tile_shape((10, 8), 5), tile_shape((4, 10, 8), 100)
    ((2, 8), (1, 5), (1, 10, 8))
    """
    for axis in range(len(out_size)):
        inner = math.prod(out_size[axis + 1:])      # whole along the axes after `axis`
        if inner <= positions:
            return ((1,) * axis + (max(1, min(out_size[axis], positions // inner)),) +
                    tuple(out_size[axis + 1:]))
    return tuple(out_size)                          # (no axes)


def column_tiles(x: np.ndarray, kernel: tuple, geo: Geometry, out_channels: int):
    """im2col one tile of output positions at a time. Yields (region, cols): a tuple of slices
    of the output's (Ho, Wo) and the tile's columns (G, C/G·kh·kw, positions·N), in a buffer
    that the next tile overwrites. A tile is several whole output rows, or a part of one row
    when a whole row would not fit in a tile (`tile_shape`); its size counts `out_channels`
    rows of output per position besides the columns (see TILE_BYTES)."""
    n, c = x.shape[:2]
    out_size = geo.output_size(x.shape[2:], kernel)
    view = windows(pad_spatial(as_batch_last(x), geo.padding), kernel, out_size, geo)
    taps = math.prod(kernel)
    per_position = (c * taps + out_channels) * n * x.itemsize
    extent = tile_shape(out_size, max(1, TILE_BYTES // max(1, per_position)))
    rows = c // geo.groups * taps
    if extent == out_size:                  # one tile (a small input): no loop over corners
        yield (slice(None),) * len(out_size), view.copy().reshape(
            geo.groups, rows, math.prod(out_size) * n)
        return
    buffer = np.empty(c * taps * math.prod(extent) * n, dtype=x.dtype)
    kernel_axes = (slice(None),) * (1 + len(kernel))
    for corner in itertools.product(*(range(0, o, e) for o, e in zip(out_size, extent))):
        region = tuple(slice(a, min(a + e, o)) for a, e, o in zip(corner, extent, out_size))
        tile = view[kernel_axes + region]
        cols = buffer[:tile.size].reshape(tile.shape)
        np.copyto(cols, tile)
        yield region, cols.reshape(geo.groups, rows, -1)


def tap_slices(kernel: tuple, out_size: tuple, geo: Geometry) -> list:
    """For each kernel tap (i, j, ...) in row-major order, the slices of the padded input's
    spatial axes that it sees at every output position."""
    per_axis = [[slice(i * d, i * d + s * (o - 1) + 1, s) for i in range(k)]
                for k, o, s, d in zip(kernel, out_size, geo.stride, geo.dilation)]
    return list(itertools.product(*per_axis))


def col2im(cols: np.ndarray, x_shape: tuple, kernel: tuple, geo: Geometry) -> np.ndarray:
    """The adjoint of im2col: every column entry is added back onto the pixel it came from.

    One strided add per kernel tap (kh·kw of them), each covering the whole batch; where the
    windows tile the image (`tiles_exactly`), one copy that puts every entry in its place."""
    n, c, *sizes = x_shape
    out_size = geo.output_size(sizes, kernel)
    taps = cols.reshape(c, *kernel, *out_size, n)
    if tiles_exactly(sizes, kernel, out_size, geo):
        # pixel (h·kh + i, w·kw + j) is tap (i, j) of window (h, w), and no other: (C, kh, kw,
        # Ho, Wo, N) interleaved as (C, Ho, kh, Wo, kw, N) is the image (C, H, W, N), one copy
        # instead of zeros and kh·kw adds. Measured, the whole transposed convolution: a U-Net's
        # 2x2 stride 2, 32 -> 16 channels, (64, 32, 14, 14), 1.1-1.2 -> 0.8 ms; a DCGAN's 7x7
        # first layer on (64, 16, 1, 1) noise 0.31-0.34 -> 0.11 ms (docs/measurements.md#conv).
        # Copied into a new array even for a 1x1 input, where the columns are the image already:
        # handing them out instead changed which blocks a step frees, and glibc's trimming then
        # cost that DCGAN's step 2,100 page faults (see keep_freed_memory)
        axes = len(kernel)
        interleaved = tuple(a for i in range(axes) for a in (1 + axes + i, 1 + i))
        x = np.empty((c, *sizes, n), cols.dtype)
        np.copyto(x.reshape((c,) + tuple(taps.shape[a] for a in interleaved) + (n,)),
                  taps.transpose((0,) + interleaved + (1 + 2 * axes,)))
        return batch_first(x)
    xp = np.zeros((c, *(s + 2 * p for s, p in zip(sizes, geo.padding)), n), dtype=cols.dtype)
    everything = (slice(None),)
    for tap, where in zip(itertools.product(*map(range, kernel)),       # batch last
                          tap_slices(kernel, out_size, geo)):
        xp[everything + where] += taps[everything + tap]
    return unpad_spatial(batch_first(xp), geo.padding)


def tiles_exactly(sizes: tuple, kernel: tuple, out_size: tuple, geo: Geometry) -> bool:
    """Whether the windows cover the image (sizes) once each, without overlap, gaps or padding:
    on every axis one window the size of the image, or windows side by side (stride = kernel,
    no dilation) that end at its edge. (ConvTranspose2d(k, stride=k), and a transposed
    convolution of a 1x1 input without padding, such as a DCGAN generator's first layer.)

    >>> tiles_exactly((28, 28), (2, 2), (14, 14), Geometry((2, 2), (0, 0), (1, 1), 1))
    True
    >>> tiles_exactly((29, 28), (2, 2), (14, 14), Geometry((2, 2), (0, 0), (1, 1), 1))
    False
    """
    return all(p == 0 and (d == 1 or k == 1) and n == o * k and (o == 1 or s == k)
               for n, k, o, s, p, d in zip(sizes, kernel, out_size, geo.stride, geo.padding,
                                           geo.dilation))


def _grouped(w: np.ndarray, groups: int) -> np.ndarray:
    """The weight (O, C/G, kh, kw) as G matrices (G, O/G, C/G·kh·kw)."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def _rows_by_group(g: np.ndarray, groups: int) -> np.ndarray:
    """An output-shaped array (N, O, Ho, Wo) as (G, O/G, Ho·Wo·N) (free in the batch-last
    layout)."""
    return batch_to_end(g).reshape(groups, g.shape[1] // groups, -1)


def runs_pointwise(kernel: tuple, geo: Geometry) -> bool:
    """Whether a convolution is a 1x1 one at stride 1 without padding (a MobileNet block's
    expansion and projection, a ResNet bottleneck's ends): its columns are the input's rows
    (C, H·W·N) themselves, so each kernel is one product with no columns copied. Measured
    (float32, one thread, µs; docs/measurements.md#conv, s32): 32 -> 128 channels on (32, 32, 32,
    32), forward / input gradient / weight gradient, 6729 / 5002 / 7143 by tiles of columns,
    3401 / 3703 / 4699 so."""
    return all(k == 1 for k in kernel) and all(s == 1 for s in geo.stride) and not any(
        geo.padding)


def _products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a[k] @ b[k] for each group k. One group: a 2-D product, so BLAS sees a transposed view
    as it is. Several: one stacked matmul, whose loop over the groups runs in C (a Python loop
    of products cost 1.5x as much at 8 groups: the note below)."""
    if len(a) == 1:
        return (a[0] @ b[0])[None]
    return np.matmul(a, b)


# Grouped convolutions multiply every tile's columns group by group: with few channels per
# group each product is small, and a Python loop of them cost more than the products. One
# np.matmul over a leading group axis loops in C instead; measured (float32, one thread, µs,
# docs/measurements.md#conv, s31), forward / weight gradient, loop -> stacked: 8 groups of 8
# on (32, 64, 16, 16) 2683 -> 2052 / 3355 -> 2309, 32 groups of 2 4767 -> 1729 / 5297 -> 1494,
# 4 groups of 16 on (16, 64, 8, 8) 352 -> 305 / 490 -> 434, 2 groups of 32 the same.


# ----------------------------------------------------------------------------------------------
# 2-D convolutions by image rows
#
# A layer needs no columns at all if its input is laid out as (Hp, C, Wp, N), the padded
# image's rows outermost and each row's channels next, batch-last within the row: then for
# kernel column j and output row h, the numbers that taps (i, c) read are the rows (i·C + c) of
# one plain matrix, (kh·C, Wo·N), Wp·N apart, starting at padded row h and column j (channel c
# of row h + i lies C·Wp·N · i + Wp·N · c past row h's start). At a stride s along the width
# each row's columns are split into s phases first, (Hp, C, s, Wp / s, N), so that the columns
# a kernel column reads are again side by side (in phase j mod s from j // s). So
#
#     y[:, h] (O, Wo·N) = Σ_j W_j (O, kh·C) @ X_{h,j} (kh·C, Wo·N)     (W_j = w[:, :, :, j])
#     dW_j = Σ_h X_{h,j} @ g[:, h]ᵀ
#
# kw stacked products (one matmul over the output rows each) read the relaid-out input where
# im2col copied every window (kh·kw times the input) before its product. The input is relaid
# out once, with its padding (one copy of runs of W·N numbers), and y is written batch-last.
# Measured (float32, one thread, µs; docs/measurements.md#conv, s32), forward / weight gradient,
# im2col tiles -> rows: a 14 × 14 denoiser's 3x3 64 -> 32, batch 64, 8813 / 7924 -> 5904 / 5851;
# 64 -> 64 11539 / 11589 -> 9199 / 9156; a U-Net's 32 -> 16 on (16, 32, 32, 32) 4350 / 4047 ->
# 1968 / 2820; LeNet's 5x5 16 -> 32 on (64, 16, 14, 14) 5780 / 5280 -> 4577 / 4750; at stride 2,
# a DCGAN's 4x4 32 -> 64 on (64, 32, 14, 14) 3134 / 3322 -> 2950 / 2947, 3x3 8 -> 16 on (64, 8,
# 28, 28) 1087 / 1288 -> 845 / 807, 16 -> 32 1.05x slower / 1.2x faster. A first layer's
# products have kh·C = 3 or 5 rows: its forward was 2x slower so (3x3 1 -> 32 on (64, 1, 14,
# 14) 202 -> 398), so the forward needs ROWS_LEAST_CHANNELS; its weight gradient was faster
# (167 -> 127).
# ----------------------------------------------------------------------------------------------

# (3x3 16 outputs on (64, C, 28, 28), forward, µs, tiles -> rows: C = 2 1083 -> 1293, 3 855 ->
# 1337, 4 1738 -> 1543; s33, a CIFAR net's 7x7 3 -> 32 on (64, 3, 32, 32), ms: 7.8 -> 9.7, 3x3
# 2.2 -> 2.7, 5x5 4.3 -> 5.9: with C = 3 the im2col tiles' K = C·kh·kw beats rows' K = C·kh)
ROWS_LEAST_CHANNELS = 4


def runs_by_rows(channels: int, kernel: tuple, geo: Geometry, least: int = 1) -> bool:
    """Whether a convolution runs by image rows: 2-D, one group, no dilation along the height
    (so that the taps (i, c) of a kernel column are one matrix), and at least `least` input
    channels."""
    return (len(kernel) == 2 and geo.groups == 1 and geo.dilation[0] == 1 and
            channels >= least)


def rows_layout(x: np.ndarray, padding: tuple, stride: int, dtype: Any) -> np.ndarray:
    """x (N, C, H, W) padded with zeros and stored as (Hp, C, s, ⌈Wp / s⌉, N) in `dtype`, s the
    stride along the width: padded column s·q + b at [·, ·, b, q] (for s = 1 the padded image,
    rows first), so that the columns a kernel column reads at stride s lie side by side."""
    n, c, h, w = x.shape
    (ph, pw), s = padding, stride
    xp = np.empty((h + 2 * ph, c, s, -(-(w + 2 * pw) // s), n), dtype)
    xp[:ph] = 0
    xp[ph + h:] = 0
    rows = batch_to_end(x).transpose(1, 0, 2, 3)                       # (H, C, W, N)
    for b in range(s):
        # the phase's padded columns s·q + b that hold x's column s·q + b - pw
        first, last = max(0, -((b - pw) // s)), (pw + w - 1 - b) // s
        phase = xp[ph:ph + h, :, b]
        phase[:, :, :first] = 0
        phase[:, :, last + 1:] = 0
        if last >= first:
            phase[:, :, first:last + 1] = rows[:, :, s * first + b - pw::s][:, :, :last + 1 - first]
    return xp


def _row_views(xp: np.ndarray, kernel: tuple, out_size: tuple, geo: Geometry) -> list:
    """For each kernel column j, the matrices X_{h,j} (kh·C, Wo·N) of every output row h:
    one read-only view (Ho, kh·C, Wo·N) of xp (`rows_layout`'s)."""
    (kh, kw), (ho, wo), size = kernel, out_size, xp.itemsize
    _, c, s, wq, n = xp.shape
    strides = (geo.stride[0] * c * s * wq * n * size, s * wq * n * size, size)
    views = []
    for j in range(kw):
        q, b = divmod(geo.dilation[1] * j, s)          # column s·(w + q) + b for output w
        views.append(as_strided(xp[:, :, b, q:], (ho, kh * c, wo * n), strides, writeable=False))
    return views


# OpenBLAS multiplies a product with 17-32 rows (output channels) faster in pieces of at most
# ~192 columns than whole: so the rows forward hands it each output row's Wo·N columns as
# CHUNK_COLUMNS-wide pieces (a view, one more stacked axis) for such layers. Measured (float32,
# one thread, µs, alternated, best of 30; docs/measurements.md#conv, s33), whole -> pieces of
# 192: 32 outputs: LeNet's 5x5 16 -> 32 on (64, 16, 14, 14) 6205 -> 5214, 3x3 64 -> 32 on
# (64, 64, 14, 14) 6153 -> 5164, on (16, 64, 16, 16) 2110 -> 1507, the flipped-kernel input
# gradient of 32 -> 64 on (64, 32, 14, 14) 5746 -> 4947; but 64 outputs 10683 -> 11985 and 16
# outputs 1770 -> 1843 (32 -> 16 on (16, 32, 32, 32)), 1022 -> 1077 (16 -> 16), so only those.
CHUNK_COLUMNS = 192
CHUNK_ROWS = (17, 32)
CHUNK_LEAST = 64            # (narrower pieces cost more per number than they save)


def _column_chunks(a: np.ndarray, width: int) -> np.ndarray:
    """A stack of matrices (R, K, P) (any strides) as (R, P / width, K, width): each matrix's
    columns in pieces of `width`, P a multiple of it. A view."""
    r, k, p = a.shape
    sr, sk, sp = a.strides
    return as_strided(a, (r, p // width, k, width), (sr, width * sp, sk, sp),
                      writeable=a.flags.writeable)


def _chunk_width(rows: int, columns: int) -> int:
    """The width of the pieces `rows_forward` splits a product's `columns` into for `rows`
    output channels: the largest divisor of `columns` up to CHUNK_COLUMNS, or `columns` (whole)
    outside CHUNK_ROWS or where that divisor is under CHUNK_LEAST.

    >>> _chunk_width(32, 896), _chunk_width(64, 896), _chunk_width(32, 13 * 7)
    (128, 896, 91)
    """
    if not CHUNK_ROWS[0] <= rows <= CHUNK_ROWS[1]:
        return max(1, columns)                      # (an empty batch: one piece of none)
    return _divisor_width(columns, CHUNK_COLUMNS, CHUNK_LEAST)


def _divisor_width(columns: int, most: int, least: int) -> int:
    """The largest divisor of `columns` up to `most`, or `columns` itself (one piece) where it
    is no wider than `most` or that divisor is under `least`.

    >>> _divisor_width(2048, 512, 128), _divisor_width(400, 512, 128)
    (512, 400)
    >>> _divisor_width(7 * 97, 512, 128)     # its pieces would be 97 wide: whole
    679
    """
    if columns <= most:
        return max(1, columns)                      # (an empty batch: one piece of none)
    width = next(d for d in range(most, 0, -1) if columns % d == 0)
    return width if width >= least else columns


def rows_forward(x: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """conv(x, w) by image rows: Σ_j W_j @ X_{h,j} for every output row h, (N, O, Ho, Wo)
    batch-last."""
    n, o, (kh, kw) = x.shape[0], w.shape[0], w.shape[2:]
    ho, wo = geo.output_size(x.shape[2:], (kh, kw))
    dtype = np.result_type(x, w)
    views = _row_views(rows_layout(x, geo.padding, geo.stride[1], dtype), (kh, kw),
                       (ho, wo), geo)
    weights = np.ascontiguousarray(w.transpose(3, 0, 2, 1), dtype=dtype).reshape(kw, o, -1)
    width = _chunk_width(o, wo * n)
    y = np.empty((o, ho, wo * n), dtype)
    # row h: (O, Wo·N) of y, in pieces of `width` columns (see CHUNK_COLUMNS)
    np.matmul(weights[0], _column_chunks(views[0], width),
              out=_column_chunks(y.transpose(1, 0, 2), width))
    if kw > 1:
        term = np.empty_like(y)
        term_chunks = _column_chunks(term.transpose(1, 0, 2), width)
        for w_j, x_j in zip(weights[1:], views[1:]):
            np.matmul(w_j, _column_chunks(x_j, width), out=term_chunks)
            y += term
    return batch_first(y.reshape(o, ho, wo, n))


# The weight gradient's products per output row, (kh·C, Wo·N) @ (Wo·N, O), have a long inner
# axis and few rows: with kh·C ≤ WEIGHT_CHUNK_ROWS OpenBLAS ran them up to 2x faster with that
# axis cut into pieces of WEIGHT_CHUNK_COLUMNS (a view, one more stacked axis; the pieces' sums
# add up with the rows'). Measured (float32, one thread, ms, best of 15; docs/measurements.md
# #conv, s33 conv2), whole -> pieces of 512 (im2col tiles for comparison): a CIFAR net's 7x7
# 3 -> 32 on (64, 3, 32, 32) 12.6 -> 6.8 (7.5), 5x5 4 -> 32 8.5 -> 5.0 (6.0), 9x9 3 -> 32 19.6
# -> 10.8 (13.3), 3x3 3 -> 32 1.8 -> 1.6 (2.4), 3x3 8 -> 32 on (64, 8, 28, 28) 4.6 -> 3.1
# (4.2), 7x7 3 -> 48 on 28 x 28 14.2 -> 7.9 (7.4); but with kh·C = 48-192 the same or 2-5 %
# slower (3x3 64 -> 32 on (64, 64, 14, 14) 4.9 -> 5.1, 5x5 16 -> 32 3.7 -> 3.8), so only those.
WEIGHT_CHUNK_COLUMNS = 512
WEIGHT_CHUNK_ROWS = 32
WEIGHT_CHUNK_LEAST = 128


def rows_weight_grad(x: np.ndarray, g: np.ndarray, geo: Geometry,
                     w_shape: tuple) -> np.ndarray:
    """dL/dw of rows_forward for dL/dy = g: dW_j = Σ_h X_{h,j} @ g[:, h]ᵀ (the batch summed in
    each product, the rows after; with few rows kh·C, over pieces of Wo·N: WEIGHT_CHUNK_ROWS)."""
    o, c, kh, kw = w_shape
    ho, wo = g.shape[2:]
    columns = wo * g.shape[0]
    dtype = np.result_type(x, g)
    views = _row_views(rows_layout(x, geo.padding, geo.stride[1], dtype), (kh, kw),
                       (ho, wo), geo)
    width = max(1, columns)
    if kh * c <= WEIGHT_CHUNK_ROWS:
        width = _divisor_width(columns, WEIGHT_CHUNK_COLUMNS, WEIGHT_CHUNK_LEAST)
    g_rows = batch_to_end(as_batch_last(g)).reshape(o, ho, columns).transpose(1, 0, 2)
    g_t = _column_chunks(g_rows, width).transpose(0, 1, 3, 2)     # (Ho, pieces, width, O)
    per_piece = np.empty((ho, columns // width, kh * c, o), dtype)
    dw = np.empty((kw, kh * c, o), dtype)
    for j, x_j in enumerate(views):
        np.matmul(_column_chunks(x_j, width), g_t, out=per_piece)
        per_piece.sum(axis=(0, 1), out=dw[j])
    return np.ascontiguousarray(dw.reshape(kw, kh, c, o).transpose(3, 2, 1, 0))


# ----------------------------------------------------------------------------------------------
# Depthwise convolutions, a block of channels at a time
#
# With groups = C and one input channel per group (MobileNet's, ConvNeXt's, EfficientNet's 3x3
# and 5x5 layers; m = O / C outputs per channel), the grouped products above are (m, kh·kw) @
# (kh·kw, positions) slivers, one per group per tile of positions: BLAS gains nothing and the
# Python loop around them was the cost (64 channels on (16, 64, 16, 16): ~1,400 products). Here
# the loop runs over blocks of channels instead, each block small enough to stay in the core's
# cache (DEPTHWISE_BLOCK_BYTES), and every channel of a block is one product over all its
# positions and the whole batch, the block's columns copied tap by tap (batch-last, as
# everywhere in this file; x_t: tap t's strided slice of the channel's padded input, stride and
# dilation the slice's step and offset, `tap_slices`):
#
#     y[c] (m, P) = W[c] (m, taps) @ cols[c] (taps, P),    cols[c][t] = x_t[c]
#     dW[c] = g[c] (m, P) @ cols[c]ᵀ      dcols[c] = W[c]ᵀ @ g[c], added back onto x_t[c]
#
# (s31 ran each tap as one multiply and one add over all channels at once: on a MobileNetV2
# block's (32, 128, 32, 32) every one of those 18 passes went through 16 MB arrays, out of
# cache; measured, float32, one thread, ms, forward: 49 -> 13-15 by blocks; docs/measurements.md
# #conv, s32.)
# ----------------------------------------------------------------------------------------------

def runs_depthwise(channels: int, w_shape: tuple, geo: Geometry) -> bool:
    """Whether a convolution of `channels` input channels by a weight (O, C/G, *kernel) runs
    channel by channel: one input channel per group (groups = C > 1) and at most
    DEPTHWISE_MULTIPLIER outputs per channel."""
    return (geo.groups == channels > 1 and w_shape[1] == 1 and
            w_shape[0] <= DEPTHWISE_MULTIPLIER * channels)


# The blocks' products (m, kh·kw) @ (kh·kw, positions) grow with m outputs per channel until the
# per-group products' tiles are as good: measured (float32, one thread, µs, forward / input
# gradient / weight gradient, per-group products -> blocks; docs/measurements.md#conv, s32), 3x3
# on (32, 32, 16, 16) m = 4 1348 / 2058 / 1201 -> 1036 / 1928 / 959, m = 8 1998 / 2485 / 2519 ->
# 1330 / 2421 / 1536; on (32, 16, 16, 16) m = 16 1763 / 2060 / 1687 -> 2127 / 2772 / 2520.
DEPTHWISE_MULTIPLIER = 8

# A block's padded input, columns and output (or gradient) rows together: the core's L2 cache
# is 2 MB here; measured, the forward of 3x3 on (16, 64, 16, 16) / (64, 128, 7, 7) / (32, 96,
# 14, 14) 5x5, µs: 256 KB 1198 / 2010 / 5556, 512 KB 907 / 1290 / 5140, 1 MB 767 / 1079 / 5419,
# 2 MB 984 / 1490 / 6054
DEPTHWISE_BLOCK_BYTES = 2 ** 20


def _depthwise_parts(x_shape: tuple, w_shape: tuple, geo: Geometry) -> tuple:
    """(m, the output size, the taps' slices of the padded input's spatial axes)."""
    kernel = tuple(w_shape[2:])
    out_size = geo.output_size(tuple(x_shape[2:]), kernel)
    return w_shape[0] // x_shape[1], out_size, tap_slices(kernel, out_size, geo)


def _channel_block(channels: int, per_channel: int) -> int:
    """How many channels a block holds: `per_channel` bytes each (the padded input, the columns
    and the output rows of one channel) within DEPTHWISE_BLOCK_BYTES, one channel at least."""
    return max(1, min(channels, DEPTHWISE_BLOCK_BYTES // max(1, per_channel)))


def _padded_blocks(xe: np.ndarray, padding: tuple, block: int):
    """The input (C, *sizes, N) a block of channels at a time, padded: yields (start, end, the
    block (end - start, *padded sizes, N)), a view of xe where there is no padding, else one
    buffer with zero borders that the next block refills."""
    c, *sizes, n = xe.shape
    if not any(padding):
        for start in range(0, c, block):
            yield start, min(c, start + block), xe[start:start + block]
        return
    buffer = np.zeros((block, *(s + 2 * p for s, p in zip(sizes, padding)), n), xe.dtype)
    middle = (slice(None),) + tuple(slice(p, p + s) for s, p in zip(sizes, padding))
    for start in range(0, c, block):
        end = min(c, start + block)
        padded = buffer[:end - start]
        padded[middle] = xe[start:end]
        yield start, end, padded


def depthwise_column_blocks(x: np.ndarray, w_shape: tuple, geo: Geometry, dtype: Any):
    """x's columns a block of channels at a time: yields (start, end, cols (end - start, taps,
    positions·N)) in one buffer that the next block overwrites (in `dtype`, the product's)."""
    n, c = x.shape[:2]
    m, out_size, slices = _depthwise_parts(x.shape, w_shape, geo)
    padded = tuple(s + 2 * p for s, p in zip(x.shape[2:], geo.padding))
    positions = math.prod(out_size) * n
    block = _channel_block(c, (math.prod(padded) * n + (len(slices) + m) * positions) *
                           np.dtype(dtype).itemsize)
    buffer = np.empty((block, len(slices), *out_size, n), dtype)
    everything = (slice(None),)
    xe = batch_to_end(as_batch_last(x))                                 # (C, *sizes, N)
    for start, end, xb in _padded_blocks(xe, geo.padding, block):
        cols = buffer[:end - start]
        for t, where in enumerate(slices):
            cols[:, t] = xb[everything + where]
        yield start, end, cols.reshape(end - start, len(slices), -1)


def depthwise_forward(x: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """conv(x, w) for groups = C, w (C·m, 1, *kernel): per channel W[c] (m, taps) @ cols[c],
    a block of channels at a time (`depthwise_column_blocks`)."""
    n, c = x.shape[:2]
    m, out_size, _ = _depthwise_parts(x.shape, w.shape, geo)
    dtype = np.result_type(x, w)
    if m == 1 and len(out_size) == 2 and geo.stride == (1, 1):
        return _depthwise_forward_by_rows(x, w, geo, dtype)
    weights = np.ascontiguousarray(w.reshape(c, m, -1), dtype=dtype)      # (C, m, taps)
    y = np.empty((c, m, math.prod(out_size) * n), dtype)
    for start, end, cols in depthwise_column_blocks(x, w.shape, geo, dtype):
        np.matmul(weights[start:end], cols, out=y[start:end])
    return batch_first(y.reshape(c * m, *out_size, n))


def _depthwise_forward_by_rows(x: np.ndarray, w: np.ndarray, geo: Geometry,
                               dtype: Any) -> np.ndarray:
    """depthwise_forward of an image batch at stride 1 with one output per channel, no
    columns: each channel's padded image is one run of memory (Hp·Wp·N, batch-last), and its
    outputs are computed over the padded width (the last Wp - Wo of each row thrown away), so
    that tap (i, j) reads the run shifted by (d·i·Wp + d·j)·N: the block's taps are one view of
    overlapping rows, and one einsum sums weight · tap over them. Measured (float32, one thread,
    µs; docs/measurements.md#conv, s32), 3x3 on (16, 64, 16, 16) / (64, 128, 7, 7) / (32, 32,
    32, 32), 5x5 on (32, 96, 14, 14): 691 / 1023 / 2697 / 4523 by columns and products, 499 /
    785 / 2001 / 2649 so (with 2 outputs per channel, 3x3 on (32, 32, 16, 16): 791 against
    1206, so those keep the products)."""
    n, c, h, wd = x.shape
    (ho, wo) = geo.output_size(x.shape[2:], w.shape[2:])
    (kh, kw), (ph, pw), (dh, dw) = w.shape[2:], geo.padding, geo.dilation
    hp, wp = h + 2 * ph, wd + 2 * pw
    plane = (hp * wp + dw * (kw - 1)) * n   # the last row's last taps read past it: zeros
    length = ho * wp * n                    # outputs over the padded width
    block = _channel_block(c, (plane + length) * np.dtype(dtype).itemsize)
    buffer = np.zeros((block, plane), dtype)
    middle = buffer[:, :hp * wp * n].reshape(block, hp, wp, n)[:, ph:ph + h, pw:pw + wd]
    rows = np.empty((block, length), dtype)
    weights = w.reshape(c, kh, kw).astype(dtype, copy=False)
    xe = batch_to_end(as_batch_last(x))                                 # (C, H, W, N)
    y = np.empty((c, ho, wo, n), dtype)
    size = buffer.itemsize
    for start in range(0, c, block):
        end = min(c, start + block)
        middle[:end - start] = xe[start:end]
        taps = as_strided(buffer, (end - start, kh, kw, length),
                          (plane * size, dh * wp * n * size, dw * n * size, size), writeable=False)
        out = rows[:end - start]
        np.einsum("cij,cijl->cl", weights[start:end], taps, out=out)
        y[start:end] = out.reshape(end - start, ho, wp, n)[:, :, :wo]
    return batch_first(y)


def depthwise_input_grad(g: np.ndarray, w: np.ndarray, geo: Geometry,
                         x_shape: tuple) -> np.ndarray:
    """dL/dx of depthwise_forward for dL/dy = g: its adjoint, per channel dcols = W[c]ᵀ @ g[c]
    added back tap by tap onto the slices of the padded dx that the taps read, a block of
    channels at a time. (At stride 1 with m = 1 `conv_input_grad_forward` runs
    depthwise_forward on g with the flipped kernel instead; other images with m = 1 and no
    dilation take `_depthwise_input_grad_by_phases`.)"""
    n, c, *sizes = x_shape
    m, out_size, slices = _depthwise_parts(x_shape, w.shape, geo)
    dtype = np.result_type(g, w)
    if m == 1 and len(sizes) == 2 and geo.dilation == (1, 1):
        return _depthwise_input_grad_by_phases(g, w, geo, x_shape, dtype)
    g = batch_to_end(as_batch_last(g)).reshape(c, m, -1)                # (C, m, positions·N)
    w_t = np.ascontiguousarray(w.reshape(c, m, -1).transpose(0, 2, 1), dtype=dtype)
    padded = tuple(s + 2 * p for s, p in zip(sizes, geo.padding))
    positions = math.prod(out_size) * n
    block = _channel_block(c, (math.prod(padded) * n + (len(slices) + m) * positions) *
                           np.dtype(dtype).itemsize)
    dcols = np.empty((block, len(slices), *out_size, n), dtype)
    dx = np.empty((c, *sizes, n), dtype)
    everything = (slice(None),)
    dxp = np.empty((block, *padded, n), dtype) if any(geo.padding) else None
    middle = everything + tuple(slice(p, p + s) for s, p in zip(sizes, geo.padding))
    for start in range(0, c, block):
        end = min(c, start + block)
        cols = dcols[:end - start]
        # with one output per channel the product is an outer one, (taps, 1) @ (1, P): as a
        # broadcast multiply 10x as fast as OpenBLAS's product (23 against 260 µs a block)
        (np.multiply if m == 1 else np.matmul)(
            w_t[start:end], g[start:end], out=cols.reshape(end - start, len(slices), -1))
        into = dx[start:end] if dxp is None else dxp[:end - start]
        into.fill(0)
        for t, where in enumerate(slices):
            into[everything + where] += cols[:, t]                      # a view: adds land
        if dxp is not None:
            dx[start:end] = into[middle]
    return batch_first(dx)


def _depthwise_input_grad_by_phases(g: np.ndarray, w: np.ndarray, geo: Geometry,
                                    x_shape: tuple, dtype: Any) -> np.ndarray:
    """depthwise_input_grad of an image batch at a stride s > 1 (no dilation, one output per
    channel) without strided adds: the padded dx's pixel (s·u + a, s·v + b) is reached only by
    the taps (a + s·q, b + s·r), from output (u - q, v - r), so each phase (a, b) of dx is a
    stride-1 convolution of g, padded by its sub-kernel's size - 1, with that sub-kernel's taps
    reversed (`_depthwise_forward_by_rows`), copied into every s-th pixel from (a, b). (Its
    rows reach s·(Ho - 1) + kh - 1 at most: inside the padded image.) Measured (float32, one
    thread, µs; docs/measurements.md#conv, s32), 3x3 stride 2 on (16, 128, 14, 14) / (32, 64,
    32, 32), 5x5 on (32, 48, 28, 28): 1958 / 5613 / 9331 by blocks, 1248 / 5379 / 4069 so."""
    n, c, h, wd = x_shape
    (kh, kw), (sh, sw), (ph, pw) = w.shape[2:], geo.stride, geo.padding
    dxp = np.zeros((c, h + 2 * ph, wd + 2 * pw, n), dtype)
    for a in range(min(sh, kh)):                    # a phase that no tap reaches stays zero
        for b in range(min(sw, kw)):
            taps = w[:, :, a::sh, b::sw]
            full = Geometry((1, 1), (taps.shape[2] - 1, taps.shape[3] - 1), (1, 1), c)
            phase = batch_to_end(_depthwise_forward_by_rows(g, taps[:, :, ::-1, ::-1], full,
                                                            dtype))
            dxp[:, a::sh, b::sw][:, :phase.shape[1], :phase.shape[2]] = phase
    return unpad_spatial(batch_first(dxp), geo.padding)


def depthwise_weight_grad(x: np.ndarray, g: np.ndarray, geo: Geometry,
                          w_shape: tuple) -> np.ndarray:
    """dL/dw of depthwise_forward for dL/dy = g: per channel g[c] (m, P) @ cols[c]ᵀ, the batch
    and the positions summed inside the product, a block of channels at a time."""
    c, m = x.shape[1], w_shape[0] // x.shape[1]
    dtype = np.result_type(x, g)
    g = batch_to_end(as_batch_last(g)).reshape(c, m, -1)                # (C, m, positions·N)
    dw = np.empty((c, m, math.prod(w_shape[2:])), dtype)
    for start, end, cols in depthwise_column_blocks(x, w_shape, geo, dtype):
        np.matmul(g[start:end], cols.transpose(0, 2, 1), out=dw[start:end])
    return dw.reshape(w_shape)


def conv_forward(x: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """conv(x, w) on arrays: (N, O, Ho, Wo), each tile of columns multiplied into its place."""
    if runs_length_major(x.shape[2:], w.shape[2:], geo):
        return conv1d_forward(x, w, geo)
    if runs_depthwise(x.shape[1], w.shape, geo):
        return depthwise_forward(x, w, geo)
    (n, o), groups = (x.shape[0], w.shape[0]), geo.groups
    if runs_pointwise(w.shape[2:], geo):                       # x's rows are its columns
        y = _products(_grouped(w, groups), _rows_by_group(as_batch_last(x), groups))
        return batch_first(y.reshape(o, *x.shape[2:], n))
    if runs_by_rows(x.shape[1], w.shape[2:], geo, ROWS_LEAST_CHANNELS):
        return rows_forward(x, w, geo)
    out_size = geo.output_size(x.shape[2:], w.shape[2:])
    y = np.empty((o, *out_size, n), np.result_type(x, w))     # batch last, every cell written
    by_group = y.reshape(groups, o // groups, *out_size, n)
    weights = _grouped(w, groups)                                          # (G, O/G, K)
    for region, cols in column_tiles(x, w.shape[2:], geo, w.shape[0]):
        # the tile's outputs are one run of memory per output channel: a (G, O/G, ·) view;
        # one stacked product for all the groups (see `_products`)
        out = by_group[(slice(None), slice(None)) + region].reshape(groups, o // groups, -1)
        np.matmul(weights, cols, out=out)
    return batch_first(y)


def conv_input_grad_forward(g: np.ndarray, w: np.ndarray, geo: Geometry,
                            x_shape: tuple) -> np.ndarray:
    """dL/dx of y = conv(x, w) for dL/dy = g: each column gets Wᵀ g, then col2im (or, for
    stride 1 and no more output than input channels, or more by image rows, a convolution of g:
    `flipped_kernel`; a depthwise one's adjoint by blocks of channels: `depthwise_input_grad`;
    a 1x1 one's Wᵀ g alone)."""
    if runs_length_major(x_shape[2:], w.shape[2:], geo):
        return conv1d_input_grad(g, w, geo, x_shape)
    kernel = w.shape[2:]
    if runs_pointwise(kernel, geo) and not runs_depthwise(x_shape[1], w.shape, geo):
        # Wᵀ g is dx's rows already (a depthwise 1x1 layer's products would have K = 1)
        dx = _products(_grouped(w, geo.groups).transpose(0, 2, 1),
                       _rows_by_group(as_batch_last(g), geo.groups))
        return batch_first(dx.reshape(x_shape[1], *x_shape[2:], x_shape[0]))
    if all(s == 1 for s in geo.stride) and all(
            p <= d * (k - 1) for k, p, d in zip(kernel, geo.padding, geo.dilation)):
        # see `flipped_kernel`: the columns it copies have O·kh·kw rows where col2im's have
        # C·kh·kw, and they are copied one cache-sized tile at a time; measured on a U-Net's 3x3
        # layers, batch 16 (µs): 32 -> 16 channels on 32x32 6362 -> 2731, 64 -> 32 on 16x16
        # 4399 -> 2127, 16 -> 16 on 32x32 3532 -> 1830, 64 -> 64 on 8x8 1407 -> 1151; with twice
        # as many output channels it was 16 % faster or 13 % slower, with 8x 1.7x slower. By
        # image rows (no columns: `rows_forward`) it is as fast as col2im or faster with more
        # outputs too (s32, µs: 16 -> 32 on (16, 16, 16, 16) 1031 -> 484, 8 -> 16 on (64, 8, 28,
        # 28) 4549 -> 1952, 32 -> 64 on (64, 32, 14, 14) 6450 -> 6334, 8 -> 64 on (16, 8, 16,
        # 16) 710 -> 714), but not from one input channel (1 -> 16 5x5 1715 -> 2285). A
        # depthwise kernel flipped is depthwise again, so conv_forward runs it by blocks
        full = tuple(d * (k - 1) - p for k, p, d in zip(kernel, geo.padding, geo.dilation))
        flipped = Geometry(geo.stride, full, geo.dilation, geo.groups)
        if w.shape[0] <= x_shape[1] or (x_shape[1] >= ROWS_LEAST_CHANNELS and runs_by_rows(
                w.shape[0], kernel, flipped, ROWS_LEAST_CHANNELS)):
            return conv_forward(g, flipped_kernel(w, geo.groups), flipped)
    if runs_depthwise(x_shape[1], w.shape, geo):
        return depthwise_input_grad(g, w, geo, x_shape)
    wg = _grouped(w, geo.groups)                              # (G, O/G, K)
    dcols = _products(wg.transpose(0, 2, 1), _rows_by_group(g, geo.groups))   # (G, K, Ho·Wo·N)
    return col2im(dcols, x_shape, w.shape[2:], geo)


def flipped_kernel(w: np.ndarray, groups: int) -> np.ndarray:
    """The kernel (C, O/G, kh, kw) of the convolution that is conv_input_grad at stride 1.

    With stride 1, x's pixel h is seen by output h + p - d·i through tap i, so
        dx[c, h] = Σ_o Σ_i w[o, c, i] · g[o, h + p - d·i]
    which is a convolution of g padded by d·(k - 1) - p, dilation d, with the taps reversed
    (i' = k - 1 - i) and each group's input and output channels swapped.

    >>> flipped_kernel(np.arange(4.0).reshape(1, 1, 2, 2), 1)[0, 0]
    array([[3., 2.],
           [1., 0.]])
    """
    o, per_group, *kernel = w.shape
    swapped = w.reshape(groups, o // groups, per_group, *kernel).swapaxes(1, 2)
    return swapped.reshape(groups * per_group, o // groups, *kernel)[
        (Ellipsis,) + (slice(None, None, -1),) * len(kernel)]


def conv_weight_grad_forward(x: np.ndarray, g: np.ndarray, geo: Geometry,
                             w_shape: tuple) -> np.ndarray:
    """dL/dw of y = conv(x, w) for dL/dy = g: g colsᵀ, summed tile by tile (and over the batch
    inside each product)."""
    if runs_length_major(x.shape[2:], w_shape[2:], geo):
        return conv1d_weight_grad(x, g, geo, w_shape)
    if runs_depthwise(x.shape[1], w_shape, geo):
        return depthwise_weight_grad(x, g, geo, w_shape)
    (n, o), groups = (x.shape[0], w_shape[0]), geo.groups
    if runs_pointwise(w_shape[2:], geo):                       # x gᵀ, as the tiles' below
        dw_t = _products(_rows_by_group(as_batch_last(x), groups),
                         _rows_by_group(as_batch_last(g), groups).transpose(0, 2, 1))
        return dw_t.transpose(0, 2, 1).reshape(w_shape)
    if runs_by_rows(x.shape[1], w_shape[2:], geo):
        return rows_weight_grad(x, g, geo, w_shape)
    out_size = geo.output_size(x.shape[2:], w_shape[2:])
    g = batch_to_end(as_batch_last(g)).reshape(groups, o // groups, *out_size, n)
    dw_t = np.zeros((groups, int(np.prod(w_shape[1:])), o // groups), np.result_type(x, g))
    for region, cols in column_tiles(x, w_shape[2:], geo, w_shape[0]):
        # cols gᵀ, not g colsᵀ: BLAS is ~20 % faster with the long axis as the rows; all the
        # groups in one stacked product (see `_products`)
        rows = g[(slice(None), slice(None)) + region].reshape(groups, o // groups, -1)
        dw_t += np.matmul(cols, rows.transpose(0, 2, 1))
    return dw_t.transpose(0, 2, 1).reshape(w_shape)


# ----------------------------------------------------------------------------------------------
# 1-d convolutions, length-major
#
# conv1d (a height of 1, no padding along it) with one group stores (N, C, L) as (L, N, C), the
# channels innermost. Then the numbers that kernel tap i reads at every output position are the
# rows (Lo·N, C) of one slice of the input shifted by d·i (every s-th row block for a stride s),
# a plain matrix: the layer is k products, tap by tap, with no columns copied and no col2im,
#
#     y = Σ_i x_i W_iᵀ     dx_i += g W_i     dW_i = gᵀ x_i     (rows (Lo·N, ·), W_i (O, C))
#
# and BLAS gets its products the way round it runs them fastest here: a TCN's Conv1d(32, 32, 3)
# on (64, 32, 48), float32, its three products 641 µs this way against 923 batch-last (1.07-1.5x
# for 8 to 128 channels; docs/measurements.md#conv). ReLU, residual adds and F.pad keep the
# layout, so a chain of them is never relaid out. Grouped 1-d convolutions stay batch-last.
# ----------------------------------------------------------------------------------------------

def runs_length_major(sizes: tuple, kernel: tuple, geo: Geometry) -> bool:
    """Whether a convolution over spatial `sizes` is conv1d's case that runs length-major: a
    height of 1 with a kernel height of 1, no padding along it, one group."""
    return (len(sizes) == 2 and sizes[0] == 1 and kernel[0] == 1 and geo.padding[0] == 0
            and geo.groups == 1)


def length_major(x: np.ndarray) -> np.ndarray:
    """x (N, C, 1, L) as (L, N, C) C-contiguous: a view where x is laid out so, else a copy."""
    a = x[:, :, 0].transpose(2, 0, 1)
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def from_length_major(a: np.ndarray) -> np.ndarray:
    """(L, N, C) viewed as (N, C, 1, L): how the 1-d kernels hand their results out."""
    return a.transpose(1, 2, 0)[:, :, None]


def _padded_length_major(x: np.ndarray, padding: int) -> np.ndarray:
    """x (N, C, 1, L) as (L + 2·padding, N, C), zeros at both ends."""
    if not padding:
        return length_major(x)
    n, c, _, length = x.shape
    xl = np.zeros((length + 2 * padding, n, c), x.dtype)
    xl[padding:padding + length] = x[:, :, 0].transpose(2, 0, 1)
    return xl


def _tap_rows(xl: np.ndarray, taps: int, out_len: int, geo: Geometry) -> list:
    """For each kernel tap, the rows (Lo·N, C) of xl (Lp, N, C) that it reads at the output
    positions: a view for stride 1, a copy of every s-th block of N rows for a stride s."""
    (s, d), (_, n, c) = (geo.stride[1], geo.dilation[1]), xl.shape
    return [xl[d * i:d * i + s * (out_len - 1) + 1:s].reshape(out_len * n, c) for i in range(taps)]


# A product per tap leaves BLAS little to do when its inner size is small: with under
# FEW_CHANNELS input channels the forward puts the taps' rows side by side, (Lo·N, k·C), and
# multiplies once (Conv1d(1, 32, 5) on (64, 1, 128): 2336 µs by tap, 71 stacked; at 16 channels
# 154 against 166, at 32 251 against 276); likewise the input gradient with under FEW_CHANNELS
# output channels, g (Lo·N, O) times all the taps at once, each tap's columns then added back.
FEW_CHANNELS = 16


def conv1d_forward(x: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """conv(x, w) for x (N, C, 1, L), w (O, C, 1, k): Σ_i x_i W_iᵀ, as (N, O, 1, Lo) stored
    length-major."""
    n, o, taps = x.shape[0], w.shape[0], w.shape[3]
    out_len = geo.output_size(x.shape[2:], w.shape[2:])[1]
    w_t = np.ascontiguousarray(w[:, :, 0].transpose(2, 1, 0))           # (k, C, O)
    y = np.empty((out_len * n, o), np.result_type(x, w))
    rows = _tap_rows(_padded_length_major(x, geo.padding[1]), taps, out_len, geo)
    if x.shape[1] < FEW_CHANNELS:
        np.matmul(np.concatenate(rows, axis=1), w_t.reshape(-1, o), out=y)
        return from_length_major(y.reshape(out_len, n, o))
    np.matmul(rows[0], w_t[0], out=y)
    for x_i, w_i in zip(rows[1:], w_t[1:]):
        y += x_i @ w_i
    return from_length_major(y.reshape(out_len, n, o))


def conv1d_input_grad(g: np.ndarray, w: np.ndarray, geo: Geometry,
                      x_shape: tuple) -> np.ndarray:
    """dL/dx of conv1d_forward for dL/dy = g (N, O, 1, Lo): g W_i added onto the rows that
    tap i read, (N, C, 1, L) length-major."""
    n, c, _, length = x_shape
    (o, taps), out_len = (w.shape[0], w.shape[3]), g.shape[3]
    p, s, d = geo.padding[1], geo.stride[1], geo.dilation[1]
    g_rows = length_major(g).reshape(out_len * n, o)
    w_i = np.ascontiguousarray(w[:, :, 0].transpose(2, 0, 1))           # (k, O, C)
    dxl = np.zeros((length + 2 * p, n, c), np.result_type(g, w))
    if o < FEW_CHANNELS:
        by_tap = (g_rows @ w_i.transpose(1, 0, 2).reshape(o, -1)).reshape(out_len, n, taps, c)
        for i in range(taps):
            dxl[d * i:d * i + s * (out_len - 1) + 1:s] += by_tap[:, :, i]
        return from_length_major(dxl[p:p + length])
    for i in range(taps):
        dxl[d * i:d * i + s * (out_len - 1) + 1:s] += (g_rows @ w_i[i]).reshape(out_len, n, c)
    return from_length_major(dxl[p:p + length])


def conv1d_weight_grad(x: np.ndarray, g: np.ndarray, geo: Geometry,
                       w_shape: tuple) -> np.ndarray:
    """dL/dw of conv1d_forward for dL/dy = g: dW_i = gᵀ x_i (the batch summed in the product)."""
    o, c, _, taps = w_shape
    out_len = g.shape[3]
    g_rows = length_major(g).reshape(out_len * g.shape[0], o)           # (Lo·N, O)
    dw = np.empty((taps, o, c), np.result_type(x, g))
    rows = _tap_rows(_padded_length_major(x, geo.padding[1]), taps, out_len, geo)
    for i, x_i in enumerate(rows):
        np.matmul(g_rows.T, x_i, out=dw[i])
    return dw.transpose(1, 2, 0).reshape(w_shape)


def in_kernel_layout(g: np.ndarray, sizes: tuple, kernel: tuple, geo: Geometry) -> np.ndarray:
    """An upstream gradient laid out as the kernels of a convolution over `sizes` read it
    (length-major or batch-last), so that its two products share one relayout, if any."""
    if runs_length_major(sizes, kernel, geo):
        return from_length_major(length_major(g))
    return as_batch_last(g)


# ----------------------------------------------------------------------------------------------
# The ops, and the functions their rules call (nodes in, nodes out; arrays in, arrays out)
# ----------------------------------------------------------------------------------------------

class ConvCtx:
    """What a convolution node keeps: the geometry, which inputs need a gradient, and for the
    two gradient ops the shape of what they compute (x's or w's)."""
    __slots__ = ("geo", "needs", "shape")

    def __init__(self, geo: Geometry, needs: tuple, shape: tuple = ()) -> None:
        self.geo, self.needs, self.shape = geo, needs, shape


def _narrowed(ctx: ConvCtx, needs: tuple) -> ConvCtx:
    """`Op.narrow` of the convolution ops: a new ctx (a node's own is left as it was)."""
    return ConvCtx(ctx.geo, needs_and(ctx.needs, needs), ctx.shape)


def _apply(op: type, inputs: tuple, geo: Geometry, shape: tuple = ()):
    tensor = type(next(t for t in inputs if isinstance(t, Node)))
    inputs = tuple(t if isinstance(t, Node) else tensor(t) for t in inputs)
    return apply(op, inputs, ConvCtx(geo, tuple(t.requires_grad for t in inputs), shape))


def conv(x: Any, w: Any, geo: Geometry) -> Any:
    """conv(x, w) without bias, on arrays or nodes."""
    if isinstance(x, Node) or isinstance(w, Node):
        return _apply(Conv2d, (x, w), geo)
    return conv_forward(x, w, geo)


def conv_input_grad(g: Any, w: Any, geo: Geometry, x_shape: tuple) -> Any:
    """The gradient of conv(x, w) with respect to x, on arrays or nodes."""
    if isinstance(g, Node) or isinstance(w, Node):
        return _apply(ConvInputGrad, (g, w), geo, tuple(x_shape))
    return conv_input_grad_forward(g, w, geo, x_shape)


def conv_weight_grad(x: Any, g: Any, geo: Geometry, w_shape: tuple) -> Any:
    """The gradient of conv(x, w) with respect to w, on arrays or nodes."""
    if isinstance(x, Node) or isinstance(g, Node):
        return _apply(ConvWeightGrad, (x, g), geo, tuple(w_shape))
    return conv_weight_grad_forward(x, g, geo, w_shape)


class Conv2d(Op):
    """y = conv(x, w) + b (cross-correlation, NCHW);  dx = conv_input_grad(g, w),
    dw = conv_weight_grad(x, g), db = Σ_{n,h,w} g. Works at any order."""
    name = "conv2d"
    narrow = staticmethod(_narrowed)

    @staticmethod
    def forward(ctx, x, w, b=None):
        y = conv_forward(x, w, ctx.geo)
        if b is not None:
            y += b.reshape((1, -1) + (1,) * (y.ndim - 2))
        return y

    @staticmethod
    def backward(ctx, g, out, x, w, b=None):
        need_x, need_w = ctx.needs[:2]
        if g.__class__ is np.ndarray:       # relaid out once for both products, if at all
            g = in_kernel_layout(g, x.shape[2:], w.shape[2:], ctx.geo)
        gx = conv_input_grad(g, w, ctx.geo, x.shape) if need_x else None
        gw = conv_weight_grad(x, g, ctx.geo, w.shape) if need_w else None
        gb = g.sum(axis=(0, *range(2, g.ndim))) if b is not None and ctx.needs[2] else None
        return gx, gw, gb


class Conv3d(Conv2d):
    """Conv2d's rules on volumes (N, C, D, H, W): the kernels take any number of axes"""
    name = "conv3d"


class ConvInputGrad(Op):
    """dx = conv_input_grad(g, w) (a transposed convolution);  bilinear, so for upstream h:
    d/dg = conv(h, w), d/dw = conv_weight_grad(h, g)"""
    name = "conv2d_input_grad"
    narrow = staticmethod(_narrowed)

    @staticmethod
    def forward(ctx, g, w):
        return conv_input_grad_forward(g, w, ctx.geo, ctx.shape)

    @staticmethod
    def backward(ctx, h, out, g, w):
        need_g, need_w = ctx.needs
        return (conv(h, w, ctx.geo) if need_g else None,
                conv_weight_grad(h, g, ctx.geo, w.shape) if need_w else None)


class ConvWeightGrad(Op):
    """dw = conv_weight_grad(x, g);  bilinear, so for upstream k (shaped like w):
    d/dx = conv_input_grad(g, k), d/dg = conv(x, k)"""
    name = "conv2d_weight_grad"
    narrow = staticmethod(_narrowed)

    @staticmethod
    def forward(ctx, x, g):
        return conv_weight_grad_forward(x, g, ctx.geo, ctx.shape)

    @staticmethod
    def backward(ctx, k, out, x, g):
        need_x, need_g = ctx.needs
        return (conv_input_grad(g, k, ctx.geo, x.shape) if need_x else None,
                conv(x, k, ctx.geo) if need_g else None)


class ConvTranspose2d(Op):
    """y = conv_input_grad(x, w) + b (each input pixel adds x·w onto its window of y, whose
    shape ctx.shape is one that conv maps back onto x's);  dx = conv(g, w),
    dw = conv_weight_grad(g, x), db = Σ_{n,h,w} g. Works at any order."""
    name = "conv_transpose2d"
    narrow = staticmethod(_narrowed)

    @staticmethod
    def forward(ctx, x, w, b=None):
        y = conv_input_grad_forward(x, w, ctx.geo, ctx.shape)
        if b is not None:
            y += b.reshape((1, -1) + (1,) * (y.ndim - 2))
        return y

    @staticmethod
    def backward(ctx, g, out, x, w, b=None):
        need_x, need_w = ctx.needs[:2]
        if g.__class__ is np.ndarray:       # relaid out once for both products, if at all
            g = in_kernel_layout(g, g.shape[2:], w.shape[2:], ctx.geo)
        gx = conv(g, w, ctx.geo) if need_x else None
        gw = conv_weight_grad(g, x, ctx.geo, w.shape) if need_w else None
        gb = g.sum(axis=(0, *range(2, g.ndim))) if b is not None and ctx.needs[2] else None
        return gx, gw, gb


class ConvTranspose3d(ConvTranspose2d):
    """ConvTranspose2d's rules on volumes (N, C, D, H, W)"""
    name = "conv_transpose3d"


class Pad(Op):
    """x with constant borders: ctx = (((before, after) per axis), value);  the gradient is the
    middle of g (the padding was constant, so it gets none)"""
    name = "pad"

    @staticmethod
    def forward(ctx, x):
        widths, value = ctx
        # in x's memory order (np.pad's result is C-ordered): a convolution's output, padded for
        # the next one (a causal conv1d's F.pad), keeps the layout that convolution reads, and
        # it need not relay it out (measured on (64, 32, 48): 204 µs saved per relayout, the
        # pad itself 45 -> 20 µs)
        out = np.full_like(x, value, shape=tuple(a + n + b for (a, b), n in zip(widths, x.shape)))
        out[tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))] = x
        return out

    @staticmethod
    def backward(ctx, g, out, x):
        widths, _ = ctx
        return (g[tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))],)


# ----------------------------------------------------------------------------------------------
# im2col and col2im as ops of their own: PyTorch's unfold (every window as a column) and fold
# (the columns added back onto the image), each the other's adjoint and so its gradient
# ----------------------------------------------------------------------------------------------

class FoldCtx(NamedTuple):
    """The windows' kernel (kh, kw) and geometry, and the image's shape (N, C, H, W)."""
    kernel: tuple
    geo: Geometry
    image_shape: tuple


def unfold_forward(ctx: FoldCtx, x: np.ndarray) -> np.ndarray:
    """x (N, C, H, W) -> (N, C·kh·kw, L): column l of image n is the window at output position
    l (row-major), its rows ordered (c, i, j)."""
    n, windows = x.shape[0], math.prod(ctx.geo.output_size(x.shape[2:], ctx.kernel))
    cols = im2col(x, ctx.kernel, ctx.geo)                       # (1, C·kh·kw, L·N)
    # L given, not -1: an empty batch (N = 0) leaves numpy nothing to infer it from
    return cols.reshape(cols.shape[1], windows, n).transpose(2, 0, 1)


def fold_forward(ctx: FoldCtx, cols: np.ndarray) -> np.ndarray:
    """cols (N, C·kh·kw, L) -> (N, C, H, W): each entry added onto the pixel its window read."""
    flat = cols.transpose(1, 2, 0).reshape(cols.shape[1], -1)   # (C·kh·kw, L·N), im2col's order
    return col2im(flat, ctx.image_shape, ctx.kernel, ctx.geo)


def unfold(ctx: FoldCtx, x: Any) -> Any:
    """`unfold_forward` on an array; on a node, a recorded op."""
    if isinstance(x, Node):
        return apply(Unfold, (x,), ctx)
    return unfold_forward(ctx, x)


def fold(ctx: FoldCtx, cols: Any) -> Any:
    """`fold_forward` on an array; on a node, a recorded op."""
    if isinstance(cols, Node):
        return apply(Fold, (cols,), ctx)
    return fold_forward(ctx, cols)


class Unfold(Op):
    """cols = im2col(x) (every window a column);  dx = col2im(g), windows added back"""
    name = "unfold"
    reads_inputs = False

    @staticmethod
    def forward(ctx, x):
        return unfold_forward(ctx, x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (fold(ctx, g),)


class Fold(Op):
    """x = col2im(cols) (columns added onto their windows' pixels);  dcols = im2col(g)"""
    name = "fold"
    reads_inputs = False

    @staticmethod
    def forward(ctx, cols):
        return fold_forward(ctx, cols)

    @staticmethod
    def backward(ctx, g, out, cols):
        return (unfold(ctx, g),)
