"""Layer and batch normalisation as one op each: each sample is normalised over its last axes
(layer norm), or each channel over the batch and every axis but the channels (batch norm, in
training), then scaled and shifted (PyTorch's `layer_norm` and `batch_norm`, which it also
computes in one kernel each).

    μ = mean x,   rstd = 1 / √(var x + eps),   x̂ = (x - μ) · rstd     (over the normalised axes)
    y = x̂ · w + b                                                      (w, b: optional)

Backward (the same for both: only the axes differ). Over n normalised numbers,

    ∂x̂_i/∂x_j = rstd · (δ_ij - 1/n - x̂_i x̂_j / n):

x_j moves x̂_i directly, through the mean (every x̂ moves by -rstd/n) and through the variance
(x̂_i shrinks in proportion to itself and to x̂_j). Summed against ĝ = g · w, the gradient that
reaches x̂:

    dx = rstd · (ĝ - mean ĝ - x̂ · mean(ĝ · x̂))
    dw = Σ g · x̂,   db = Σ g            (summed over the axes that w and b do not have)

Built from ordinary ops the same function made nine nodes, each with its own arrays and rule
call. One node computes the same numbers (the forward bit for bit) with fewer temporary arrays,
in less than half the time (measured: docs/measurements.md#normalize).

Any order: the rule uses only operations that arrays and Tensors share (mean, sum, -, *, **).
Called with Tensors (the higher-order pass), it recomputes x̂ and rstd from x as a graph
(`normalise` serves the forward and that pass alike), so its result can be differentiated
again.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Node, Op, raw
from .conv import as_length_major_like, batch_to_end
from .payload_math import _BLAS_FLOATS, ones_vector, sum_last, sum_rows
from .reduce import largest_magnitude


def normalise(x: Any, axes: tuple, eps: float) -> tuple[Any, Any]:
    """(x̂, rstd) of x over `axes`, on an array or a Tensor: x̂ = (x - μ) · rstd with
    rstd = 1/√(var + eps), the biased variance taken from the centred x (two passes: no
    cancellation when the mean is large against the spread)."""
    n = len(axes)
    centred = x - mean_last(x, n)
    var = mean_last(centred * centred, n)
    if overflowed(var):
        return rescaled(centred, axes, eps, lambda c: mean_last(c * c, n))[:2]
    rstd = (var + eps) ** -0.5
    if isinstance(centred, Node):
        return centred * rstd, rstd
    centred *= rstd                         # (an array of its own: x̂ in place, a pass saved)
    return centred, rstd


def overflowed(var: Any) -> bool:
    """Whether a variance or a norm (an array or a Tensor) is inf somewhere: where x is
    finite, its squares overflowed.
    The largest by argmax and one item: ~0.6 µs, where a max or np.errstate costs 2-3x that.
    (A NaN variance, from NaN in x, comes first and hides an overflow in another row.)"""
    v = raw(var)
    return v.size != 0 and v.item(v.argmax()) == math.inf


def rescaled(centred: Any, axes: tuple, eps: float, mean_square) -> tuple[Any, Any, Any]:
    """(x̂, rstd, var) as centred · 1/√(var + eps), var = mean_square(centred) over `axes`,
    where a square, or their sum, overflowed (|centred| beyond ~1.8e19 in float32, 1.3e154 in
    float64): var is inf and rstd 0 there, though x̂ is a plain number. So centred is divided
    first by s, a power of 2 just above its largest |value| (a constant per row, at least 1):
    1/√(var + eps) = 1/(s √(mean_square(centred / s) + eps/s²)). A power of 2 scales exactly,
    so the rows that did not overflow keep their numbers. var comes as an array (batch norm's
    running statistics read it), inf where it is beyond a float. (numpy has warned of the
    overflow.)"""
    exponent = np.frexp(largest_magnitude(raw(centred), axes))[1]
    s = np.ldexp(np.ones_like(exponent, dtype=raw(centred).dtype), np.maximum(exponent, 0))
    unit = centred / s
    unit_var = mean_square(unit)
    r = (unit_var + eps / s / s) ** -0.5                  # (s >= 1: eps/s² is finite)
    with np.errstate(over="ignore"):
        return unit * r, r / s, raw(unit_var) * s * s


def mean_last(x: Any, axes: int) -> Any:
    """The mean over the last `axes` axes, kept as size-1 axes (a sum as one product: see
    `sum_last`), on an array or a Tensor."""
    return sum_last(x, axes) / math.prod(x.shape[x.ndim - axes:])


class LayerNormCtx:
    """What a layer_norm node keeps: the normalised axes (the last ones, non-negative), eps,
    whether weight and bias are inputs (after x, in that order), which inputs need a gradient,
    and, from the forward, x̂ and rstd for the first-order backward.

    Why those two: dx needs x̂ and rstd, dw needs x̂. The forward computes both anyway, so
    keeping them costs no time; rstd is small (one number per sample), and x̂ is the output
    itself when there is no weight or bias. Keeping the mean and rstd instead would save x̂'s
    memory but recompute (x - μ) · rstd, two passes over x, in every backward.
    """
    __slots__ = ("axes", "eps", "weighted", "biased", "needs", "xhat", "rstd")

    def __init__(self, axes: tuple, eps: float, weighted: bool, biased: bool,
                 needs: tuple) -> None:
        self.axes, self.eps, self.weighted, self.biased = axes, eps, weighted, biased
        self.needs = needs
        self.xhat = self.rstd = None


class LayerNorm(Op):
    """x̂ · w + b with x̂ = (x - mean) · rstd, rstd = 1/√(var + eps) over the last axes;
    dx = rstd · (ĝ - mean ĝ - x̂ · mean(ĝ · x̂)) with ĝ = g · w, dw = Σ g · x̂, db = Σ g"""
    name = "layer_norm"

    @staticmethod
    def forward(ctx, x, *affine):
        xhat, rstd = normalise(x, ctx.axes, ctx.eps)
        ctx.xhat, ctx.rstd = xhat, rstd
        y = xhat
        if ctx.weighted:
            y = y * affine[0]
        if ctx.biased:
            b = affine[-1]
            # in place on y when it is a new array (x̂ is kept for backward) of b's dtype
            y = np.add(y, b, out=y) if ctx.weighted and y.dtype == b.dtype else y + b
        return y

    @staticmethod
    def backward(ctx, g, out, x, *affine):
        axes = ctx.axes
        if isinstance(x, Node):             # higher order: x̂ and rstd as graphs of x
            xhat, rstd = normalise(x, axes, ctx.eps)
        else:
            return LayerNorm.array_backward(ctx, g, *affine)
        ghat = g * affine[0] if ctx.weighted else g
        grads = [rstd * (ghat - mean_last(ghat, len(axes))
                         - xhat * mean_last(ghat * xhat, len(axes)))
                 if ctx.needs[0] else None]
        batch = tuple(range(x.ndim - len(axes)))
        if ctx.weighted:
            grads.append((g * xhat).sum(batch) if ctx.needs[len(grads)] else None)
        if ctx.biased:
            grads.append(g.sum(batch) if ctx.needs[len(grads)] else None)
        return tuple(grads)

    @staticmethod
    def array_backward(ctx, g, *affine):
        """The first-order rule on arrays, as the formula above, laid out as rows of the n
        normalised numbers: the row sums of ĝ = g w and of ĝ x̂ are products with w (Σ_c g w,
        Σ_c (g x̂) w), the sums over rows that dw and db are products with a vector of ones
        (`sum_rows`; numpy's own reductions over these axes were 3-7x slower), and dx
        is written into ĝ. Two new arrays the size of x where the formula makes eight: 175 ->
        115 µs for (32, 32, 64) float32 (docs/measurements.md#small-models)."""
        xhat, rstd, needs = ctx.xhat, ctx.rstd, ctx.needs
        n = math.prod(xhat.shape[xhat.ndim - len(ctx.axes):])
        rows, xrows = g.reshape((-1, n)), xhat.reshape((-1, n))
        w = affine[0].reshape(n) if ctx.weighted else None
        g_xhat = rows * xrows                               # g x̂, (rows, n)
        grads = [None]
        if ctx.weighted:
            grads.append(sum_rows(g_xhat).reshape(affine[0].shape) if needs[1] else None)
        if ctx.biased:
            grads.append(sum_rows(rows).reshape(affine[-1].shape) if needs[len(grads)] else None)
        if needs[0]:
            if w is None:
                mean_ghat, mean_ghat_xhat = sum_last(rows) / n, sum_last(g_xhat) / n
                dx = rows.copy()                            # ĝ = g, which is not ours to write
            else:
                mean_ghat = (rows @ w)[:, None] / n         # (Σ_c g w) / n
                mean_ghat_xhat = (g_xhat @ w)[:, None] / n  # (Σ_c g x̂ w) / n
                dx = rows * w                               # ĝ
            dx -= mean_ghat
            dx -= np.multiply(xrows, mean_ghat_xhat, out=g_xhat)
            dx *= rstd.reshape((-1, 1))
            grads[0] = dx.reshape(xhat.shape)
        return tuple(grads)


# -- batch normalisation (training): each channel over the batch ------------------------------

def by_channel(a: Any) -> np.ndarray | None:
    """a (N, C, *sizes) as a view (B, C, L) whose sums over B and L are the per-channel sums
    that batch norm takes: (1, C, L) for a convolution's output (its memory is (C, *sizes, N),
    see ops/conv.py), (N, C, L) for a C-contiguous array; None for other layouts, other
    dtypes, Tensors and 2-d arrays (where numpy's own sum over the rows is as fast)."""
    if isinstance(a, Node) or a.ndim < 3 or a.dtype not in _BLAS_FLOATS or a.size == 0:
        return None
    n, c = a.shape[:2]
    if a.flags.c_contiguous:
        return a.reshape(n, c, -1)
    if a.strides[0] == a.itemsize and batch_to_end(a).flags.c_contiguous:
        return batch_to_end(a).reshape(1, c, -1)
    return None


def channels_last(a: Any) -> np.ndarray | None:
    """a (N, C, *sizes) as a view (M, C) where its channels are innermost in memory and the
    rest one block (a conv1d's output, stored (L, N, C): see ops/conv.py), so that the
    per-channel sums are ones @ (M, C); None otherwise (and where `by_channel` is None)."""
    if isinstance(a, Node) or a.ndim < 3 or a.dtype not in _BLAS_FLOATS or a.size == 0 or \
            a.strides[1] != a.itemsize:
        return None
    others = sorted((i for i in range(a.ndim) if i != 1), key=lambda i: -a.strides[i])
    block = a.transpose(others + [1])
    return block.reshape(-1, a.shape[1]) if block.flags.c_contiguous else None


def channel_sums(a: Any, axes: tuple) -> Any:
    """Σ a over `axes` (every axis but 1), kept as size-1 axes. Where `by_channel` gives rows,
    one product with ones: numpy's sum over axes (0, 2, 3) took 33 and 65 µs for (64, 64, 7, 7)
    and (64, 32, 14, 14) float32 in the batch-last layout, the product 11 and 22
    (docs/measurements.md#conv). The same sum, added in another order."""
    rows = by_channel(a)
    if rows is None:
        columns = channels_last(a)          # (numpy's sum: 51 µs for (64, 32, 48), this 5.5)
        if columns is not None:
            return (ones_vector(len(columns), columns.dtype) @ columns).reshape(_kept(a))
        return a.sum(axis=axes, keepdims=True)
    sums = rows @ ones_vector(rows.shape[2], rows.dtype)                # (B, C)
    return (sums[0] if len(sums) == 1 else sums.sum(axis=0)).reshape(_kept(a))


def channel_dots(a: Any, b: Any, axes: tuple) -> Any:
    """Σ a · b over `axes` (every axis but 1), kept as size-1 axes. Where a and b share a
    `by_channel` layout, one dot product per row by a stacked product of (1, L) and (L, 1)
    matrices, with no a · b array (3-4x faster than (a · b).sum(axes) at the sizes above)."""
    rows, other = by_channel(a), by_channel(b)
    if rows is None or other is None or rows.shape != other.shape or \
            a.strides != b.strides or rows.dtype != other.dtype:
        columns, others = channels_last(a), channels_last(b)
        if columns is not None and others is not None and a.strides == b.strides and \
                columns.dtype == others.dtype:
            # ones @ (a · b): 19 µs for (64, 32, 48), numpy's sum of a · b 62
            return (ones_vector(len(columns), columns.dtype) @ (columns * others)).reshape(
                _kept(a))
        return (a * b).sum(axis=axes, keepdims=True)
    dots = (rows[:, :, None, :] @ other[:, :, :, None]).reshape(rows.shape[:2])     # (B, C)
    return (dots[0] if len(dots) == 1 else dots.sum(axis=0)).reshape(_kept(a))


def _kept(a: np.ndarray) -> tuple:
    """(1, C, 1, ...): a per-channel vector laid along axis 1 of an array like a."""
    return (1, a.shape[1]) + (1,) * (a.ndim - 2)


def normalise_channels(x: Any, axes: tuple, eps: float) -> tuple[Any, Any, Any, Any]:
    """(x̂, rstd, mean, var) of x over `axes` (every axis but the channels, axis 1), kept as
    size-1 axes, on an array or a Tensor; mean and var come as arrays, for the running
    statistics. As `normalise`: the biased variance of the centred x, rescaled if a square
    overflowed. (The sums by `channel_sums` and `channel_dots`: on a Tensor they are its own.)"""
    count = math.prod(x.shape[a] for a in axes)
    mean = channel_sums(x, axes) / count
    centred = x - mean
    var = channel_dots(centred, centred, axes) / count
    if overflowed(var):
        xhat, rstd, var = rescaled(
            centred, axes, eps, lambda c: (c * c).sum(axis=axes, keepdims=True) / count)
        return xhat, rstd, raw(mean), var
    rstd = (var + eps) ** -0.5
    if isinstance(centred, Node):
        return centred * rstd, rstd, raw(mean), raw(var)
    centred *= rstd                         # (an array of its own: x̂ in place, a pass saved)
    return centred, rstd, mean, var


class BatchNormCtx:
    """What a batch_norm node keeps: the axes it normalises over, the shape that lays a
    per-channel vector along axis 1 ((1, C, 1, 1) for images), eps, whether weight and bias
    are inputs, which inputs need a gradient, and from the forward x̂ and rstd (for backward,
    as LayerNormCtx) and the batch's mean and biased variance per channel (for the running
    statistics that `nn.batch_norm` updates)."""
    __slots__ = ("axes", "shape", "eps", "weighted", "biased", "needs", "xhat", "rstd", "mean",
                 "var")

    def __init__(self, axes: tuple, shape: tuple, eps: float, weighted: bool, biased: bool,
                 needs: tuple) -> None:
        self.axes, self.shape, self.eps = axes, shape, eps
        self.weighted, self.biased, self.needs = weighted, biased, needs
        self.xhat = self.rstd = self.mean = self.var = None


class BatchNorm(Op):
    """x̂ · w + b per channel, x̂ = (x - mean) · rstd over every axis but the channels (1);
    dx = rstd · (ĝ - mean ĝ - x̂ · mean(ĝ · x̂)) with ĝ = g · w, dw = Σ g · x̂, db = Σ g"""
    name = "batch_norm"

    @staticmethod
    def forward(ctx, x, *affine):
        xhat, rstd, ctx.mean, ctx.var = normalise_channels(x, ctx.axes, ctx.eps)
        ctx.xhat, ctx.rstd = xhat, rstd
        if ctx.weighted:
            y = xhat * affine[0].reshape(ctx.shape)
            if ctx.biased:
                y += affine[1].reshape(ctx.shape)   # (in place: y is a new array)
            return y
        return xhat + affine[0].reshape(ctx.shape) if ctx.biased else xhat

    @staticmethod
    def backward(ctx, g, out, x, *affine):
        axes, shape = ctx.axes, ctx.shape
        count = math.prod(x.shape[a] for a in axes)
        w = affine[0].reshape(shape) if ctx.weighted else None
        if isinstance(x, Node):             # higher order: the formula, on graphs of x
            xhat, rstd = normalise_channels(x, axes, ctx.eps)[:2]
            ghat = g * w if ctx.weighted else g
            dx = rstd * (ghat - ghat.sum(axis=axes, keepdims=True) / count
                         - xhat * ((ghat * xhat).sum(axis=axes, keepdims=True) / count))
            dw, db = (g * xhat).sum(axis=axes), g.sum(axis=axes)
        else:
            # first order: the same formula, with the sums taken of g (w is one number per
            # channel, so Σ ĝ = w Σ g and Σ ĝ x̂ = w Σ g x̂, the sums that dw and db are) and
            # the per-channel factors gathered: four passes over the batch instead of eight
            # (a C-ordered g against a length-major x̂ is copied into x̂'s layout first: mixed,
            # each of the four passes ran 4x slower than that copy)
            xhat, rstd = ctx.xhat, ctx.rstd
            g = as_length_major_like(g, xhat)
            gsum, gxsum = channel_sums(g, axes), channel_dots(g, xhat, axes)
            dx = None
            if ctx.needs[0]:
                scale = rstd * w if ctx.weighted else rstd      # rstd · w, per channel
                dx = g * scale
                dx -= xhat * (scale * gxsum / count)
                dx -= scale * gsum / count
            dw, db = gxsum.reshape(-1), gsum.reshape(-1)
        grads = [dx if ctx.needs[0] else None]
        if ctx.weighted:
            grads.append(dw if ctx.needs[1] else None)
        if ctx.biased:
            grads.append(db if ctx.needs[len(grads)] else None)
        return tuple(grads)

