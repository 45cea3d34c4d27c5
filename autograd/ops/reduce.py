"""Reductions: sum, mean, max, min, prod and the p-norms over some axes; ctx = (axes, keepdims),
where axes is None (all of them) or a sorted tuple of non-negative ints (Tensor normalises the
user's `axis`); the norm's ctx starts with its p. And the running sum and product along one
axis, cumsum and cumprod.

Backward puts the reduced axes back (size 1) and spreads the gradient over them.
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import Node, Op, apply, raw
from .numpy1 import in_input_dtype
from .elementwise import Where, sign_of
from .payload_math import broadcast_to
from .shape import Stack


_add_reduce = np.add.reduce
# the dtypes that count a max's ties exactly (float16 would round counts past 2048)
_COUNTED_IN_OWN_DTYPE = (np.dtype(np.float32), np.dtype(np.float64))


def kept_shape(shape: tuple, axes: tuple | None) -> tuple:
    """The shape of a reduction over `axes` with keepdims=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _restore_axes(g, x_shape: tuple, axes, keepdims: bool):
    return g if keepdims else g.reshape(kept_shape(x_shape, axes))


class Sum(Op):
    """sum over axes;  every summed element gets the upstream gradient"""
    name = "sum"

    @staticmethod
    def forward(ctx, x):
        axes, keepdims = ctx
        # what x.sum(axis=axes, keepdims=keepdims) calls, without numpy's Python wrapper
        # (numpy/_core/_methods.py): 15 % of a small sum
        return _add_reduce(x, axes, None, None, keepdims)

    @staticmethod
    def backward(ctx, g, out, x):
        axes, keepdims = ctx
        shape = x.shape
        if not keepdims and axes is not None:   # (a sum of all is 0-d: it broadcasts as it is)
            g = g.reshape(kept_shape(shape, axes))
        return (broadcast_to(g, shape),)


class Mean(Op):
    """mean over axes;  every element gets the upstream gradient divided by the count"""
    name = "mean"

    @staticmethod
    def forward(ctx, x):
        axes, keepdims = ctx
        if x.size == 0:         # the mean of no numbers is NaN (PyTorch's value), which numpy
            return x.sum(axis=axes, keepdims=keepdims) * np.nan    # gives with a warning
        if x.dtype.kind != "f" or x.dtype == np.float16 or x.size > 1 << 24:
            # numpy adds float16 up in float32, and bools and integers in float64 (divided in
            # their own dtype, True would be the divisor, and a count past 127 no int8)
            return x.mean(axis=axes, keepdims=keepdims)
        # numpy's x.mean without its Python wrapper (a third of the instructions of a mean of
        # 16 numbers): the sum over the count, divided in x's dtype. numpy divides in float64
        # and rounds to x's dtype, which gives the same number: the count (up to 2**24) is
        # exact in float32, and a quotient rounded through float64 is the one rounded once
        total = _add_reduce(x, axes, None, None, keepdims)
        return total / x.dtype.type(x.size // total.size)

    @staticmethod
    def backward(ctx, g, out, x):
        # each output is the mean of x.size / out.size elements, so each gets g divided by that
        # count (an empty x gets an empty gradient: no count to divide by)
        return Sum.backward(ctx, g * (out.size / x.size) if x.size else g, out, x)


class Max(Op):
    """max over axes;  the gradient goes to the maximal elements (split evenly on ties)"""
    name = "max"

    @staticmethod
    def forward(ctx, x):
        axes, keepdims = ctx
        return x.max(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g, out, x):
        axes, keepdims = ctx
        x_ = raw(x)
        hit = x_ == _restore_axes(raw(out), x_.shape, axes, keepdims)
        g = _restore_axes(g, x_.shape, axes, keepdims)
        if g.__class__ is np.ndarray and x_.dtype in _COUNTED_IN_OWN_DTYPE:
            # g / count, then onto the hits: PyTorch's numbers (g · (1 / count) can differ in
            # the last bit), and no array of x's size in float64 (a max-pool over (32, 256,
            # 512) points: 20 ms, 5 ms so)
            count = _add_reduce(hit, axes, x_.dtype, None, True)
            return (np.multiply(hit, g / count),)
        share = (hit / hit.sum(axis=axes, keepdims=True)).astype(x_.dtype)
        return (g * share,)


class ScatterReduce(Op):
    """PyTorch's scatter_reduce: each element of src reduced into the place of x that `places`
    (numpy's index) names, with x's own element where `counted` (include_self, or a place no
    element of src reaches); ctx: (reduce, places, counted), reduce "sum", "mean", "amax" or
    "amin". Its gradient: "sum" g to each counted x and to every src element at its place;
    "mean" that divided by the place's count; "amax"/"amin" g split evenly among the elements
    equal to the result (x's too, if counted), as PyTorch's."""
    name = "scatter_reduce"

    @staticmethod
    def forward(ctx, x, src):
        reduce, places, counted = ctx
        if reduce in ("sum", "mean"):
            out = np.where(counted, x, 0).astype(x.dtype, copy=False)
            np.add.at(out, places, src)
            return out / ScatterReduce.counts(ctx, out) if reduce == "mean" else out
        ufunc = np.maximum if reduce == "amax" else np.minimum
        start = ScatterReduce.identity(x.dtype, reduce)
        out = np.where(counted, x, start).astype(x.dtype, copy=False)
        with np.errstate(invalid="ignore"):     # (a NaN is the result, as in max: no warning)
            ufunc.at(out, places, src)
        return out

    @staticmethod
    def identity(dtype, reduce):
        """Where "amax" ("amin") starts: nothing in `dtype` lies below (above) it. -inf (inf),
        the integer limit, or False (True) for bools, which have no iinfo: their amax is an
        `or`, their amin an `and`, as in PyTorch."""
        if dtype.kind == "b":
            return reduce == "amin"
        if dtype.kind == "f":
            return np.inf if reduce == "amin" else -np.inf
        limits = np.iinfo(dtype)
        return limits.max if reduce == "amin" else limits.min

    @staticmethod
    def counts(ctx, out):
        """How many numbers were reduced into each place (x's own, where counted)."""
        _, places, counted = ctx
        count = counted.astype(out.dtype)
        np.add.at(count, places, 1)
        return count

    @staticmethod
    def backward(ctx, g, out, x, src):
        reduce, places, counted = ctx
        out_ = raw(out)
        if reduce == "sum":
            return g * counted.astype(out_.dtype), g[places]
        if reduce == "mean":
            share = 1 / ScatterReduce.counts(ctx, out_)
            return g * (counted * share), (g * share)[places]
        x_hit = counted & (raw(x) == out_)
        src_hit = raw(src) == out_[places]
        ties = x_hit.astype(out_.dtype)
        np.add.at(ties, places, src_hit)
        # a place whose result is NaN has no element equal to it: all of them get NaN, as in
        # max and in PyTorch (0 would hide the NaN from the gradients)
        share = np.divide(1, ties, out=np.full_like(ties, np.nan), where=ties > 0)
        return g * (x_hit * share), (g * share)[places] * src_hit.astype(out_.dtype)


class Min(Max):
    """min over axes;  the gradient goes to the minimal elements (split evenly on ties)"""
    name = "min"

    @staticmethod
    def forward(ctx, x):
        axes, keepdims = ctx
        return x.min(axis=axes, keepdims=keepdims)


class Median(Max):
    """median, the one number of the elements equal to it;  the gradient is split evenly among
    the elements equal to the median"""
    # Max's forward and backward: `statistics.median` passes the elements equal to the median,
    # so their max is it and Max's even split on ties is the rule. Its own op, so a step page
    # says "median" where the user wrote median(), not "max"
    name = "median"


class Prod(Op):
    """product over axes;  d/dx_i = the product of the other elements of its slice"""
    # Not out / x_i, which is 0/0 where x_i = 0: the products to the left and to the right of
    # each element (running products) give every "product of the others" without a division,
    # so one zero gets the product of the rest and two zeros give 0 everywhere, as in PyTorch.
    name = "prod"

    @staticmethod
    def forward(ctx, x):
        axes, keepdims = ctx
        return x.prod(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g, out, x):
        axes, keepdims = ctx
        g = _restore_axes(g, x.shape, axes, keepdims)
        if isinstance(x, Node):         # higher order: a graph of the same slope
            if (x.data == 0).any():
                return (g * others_product_node(x, axes),)
            return (g * _restore_axes(out, x.shape, axes, keepdims) / x,)
        return (g * others_product(x, axes),)


def others_product(x: np.ndarray, axes: tuple | None) -> np.ndarray:
    """For each element, the product of the other elements of its slice over `axes`.

    >>> others_product(np.array([[2.0, 0.0, 3.0], [2.0, 0.0, 0.0]]), (1,))
    array([[0., 6., 0.],
           [0., 0., 0.]])
    """
    axes = tuple(range(x.ndim)) if axes is None else axes
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = x.transpose(kept + list(axes))              # the reduced axes last, as one axis
    rows = moved.reshape(moved.shape[:len(kept)] + (math.prod(x.shape[a] for a in axes),))
    left = np.ones_like(rows)                           # the product of those before each
    np.cumprod(rows[..., :-1], axis=-1, out=left[..., 1:])
    right = np.ones_like(rows)                          # and of those after it
    right[..., :-1] = np.cumprod(rows[..., :0:-1], axis=-1)[..., ::-1]
    return (left * right).reshape(moved.shape).transpose(np.argsort(kept + list(axes)))


def others_product_node(x: Node, axes: tuple | None) -> Node:
    """`others_product` as a graph (higher order, where some element is 0 and out / x would
    divide by it): each slice of n elements spread to n rows, row i with a 1 in place of
    element i, and each row's product taken by Prod again. n² numbers, but only here."""
    axes = tuple(range(x.ndim)) if axes is None else axes
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = x.transpose(tuple(kept + list(axes)))
    n = math.prod(x.shape[a] for a in axes)
    rows = moved.reshape(moved.shape[:len(kept)] + (1, n))
    spread = apply(Where, (x._constant_like(1, x), rows), np.eye(n, dtype=bool))
    others = spread.prod(-1).reshape(moved.shape)
    return others.transpose(tuple(np.argsort(kept + list(axes))))


class Cumsum(Op):
    """the running sum along one axis (ctx);  d/dx_i = the sum of g over the outputs j >= i
    (g's running sum from the end)"""
    name = "cumsum"

    @staticmethod
    def forward(axis, x):
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(axis, g, out, x):
        if isinstance(g, Node):
            return (g.flip(axis).cumsum(axis).flip(axis),)
        return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)


class Cumprod(Op):
    """the running product along one axis (ctx);  d/dx_i = before_i · after_i, where before_i =
    x_0 ⋯ x_(i-1) (1 for i = 0) and after_i = Σ_(j >= i) g_j x_(i+1) ⋯ x_j"""
    # Not the running sum of g · out divided by x_i, which is 0/0 where x_i = 0: after_i comes
    # from the end, after_i = g_i + x_(i+1) after_(i+1), with no division, so zeros in x get
    # PyTorch's slopes. The recurrence is a Python loop over the axis, one slice at a time.
    name = "cumprod"

    @staticmethod
    def forward(axis, x):
        return np.cumprod(x, axis=axis)

    @staticmethod
    def backward(axis, g, out, x):
        n = x.shape[axis]
        if n == 0:
            return (g,)
        lead = (slice(None),) * axis
        after = [g[lead + (n - 1,)]]
        for i in range(n - 2, -1, -1):
            after.append(g[lead + (i,)] + x[lead + (i + 1,)] * after[-1])
        after.reverse()
        before = [1] + [out[lead + (i,)] for i in range(n - 1)]      # before_i = out_(i-1)
        slopes = tuple(b * a for b, a in zip(before, after))
        if isinstance(x, Node):
            return (apply(Stack, slopes, axis),)
        return (np.stack(slopes, axis=axis),)


class LogCumSumExp(Op):
    """the running log-sum-exp along one axis (ctx);  d/dx_i = Σ_(j >= i) g_j e^(x_i - out_j)"""
    # out_j = ln Σ_(i <= j) e^(x_i). Neither overflows: the forward adds in logs, and every
    # e^(x_i - out_j) with j >= i is at most 1 (out_j includes x_i), so the slope cannot
    # overflow where e^(x_i) alone would. The sum over j >= i is a running sum from the end; g
    # can be negative, so its positive and negative parts are summed apart, each in logs.
    name = "logcumsumexp"

    @staticmethod
    def forward(axis, x):
        return np.logaddexp.accumulate(x, axis=axis)

    @staticmethod
    def backward(axis, g, out, x):
        if isinstance(x, Node):         # higher order: every (i, j) pair, masked to j >= i
            n = x.shape[axis]
            later = np.triu(np.ones((n, n), dtype=bool))          # later[i, j]: j >= i
            x_i = x.unsqueeze(axis + 1)                           # i along axis, j next to it
            out_j, g_j = out.unsqueeze(axis), g.unsqueeze(axis)
            gap = apply(Where, (x_i - out_j, x._constant_like(-math.inf, x)), later.reshape(
                (n, n) + (1,) * (x.ndim - axis - 1)))
            return ((g_j * gap.exp()).sum(axis + 1),)

        def running_sum_from_end_in_logs(part):
            terms = np.log(part) - out                          # ln 0 = -inf: no term
            return np.flip(np.logaddexp.accumulate(np.flip(terms, axis), axis=axis), axis)

        # (-inf - -inf where x starts with -inf: a NaN slope there, as PyTorch's, unwarned)
        with np.errstate(divide="ignore", invalid="ignore"):
            positive = np.exp(x + running_sum_from_end_in_logs(np.maximum(g, 0)))
            negative = np.exp(x + running_sum_from_end_in_logs(np.maximum(-g, 0)))
            return (positive - negative,)


def largest_magnitude(x: np.ndarray, axes) -> np.ndarray:
    """The largest |x| over axes (kept as size-1 axes), 1 where that is 0 or not finite: the
    scale the scaled formulas divide by (x / it is at most 1, and its powers cannot overflow)."""
    m = np.abs(x).max(axis=axes, keepdims=True, initial=0)
    return np.where((m > 0) & (m < math.inf), m, 1).astype(x.dtype)


def scaled_norm(x, p: float, axes, keepdims: bool):
    """(Σ |x|^p)^(1/p) as m · (Σ (|x|/m)^p)^(1/p), m the largest |x|, as BLAS's nrm2 and hypot
    compute it: for where the powers under- or overflow though the norm is a float (1e-200 ** 2
    is 0 in float64, 1e20 ** 2 inf in float32). Every |x|/m is at most 1, so no power
    overflows, and the largest is 1, so the sum does not underflow. (m = 0 or inf: the norm is
    m; NaN stays NaN; a norm beyond a float is inf, quietly, as PyTorch's.)"""
    m = largest_magnitude(x, axes)              # (1 at 0 and inf)
    r = np.abs(x) / m
    # (0 ** -1 as in the forward; and F.normalize scales x when the norm is inf)
    with np.errstate(divide="ignore", over="ignore"):
        if p == 2:
            norm = m * np.sqrt((r * r).sum(axis=axes, keepdims=True))
        else:
            norm = m * (r ** p).sum(axis=axes, keepdims=True) ** (1 / p)
    return norm if keepdims else norm.reshape(
        () if axes is None else tuple(n for i, n in enumerate(x.shape) if i not in axes))


@in_input_dtype
class VectorNorm(Op):
    """(Σ |x|^p)^(1/p) over axes (ctx: p, axes, keepdims), max |x| for p = inf, min |x| for
    -inf, the count of nonzeros for p = 0;  d/dx = sign(x) (|x| / norm)^(p-1), which is x / norm
    for p = 2 and sign(x) for p = 1; at x = 0 and where the norm is 0 the slope is 0, as in
    PyTorch; for p = ±inf it is sign(x), split evenly among the elements of largest (smallest)
    |x| (ties), 0 elsewhere; p = 0 passes none"""
    name = "norm"

    @staticmethod
    def forward(ctx, x):
        p, axes, keepdims = ctx
        if p == 2:
            try:
                with np.errstate(over="raise", under="raise"):
                    return np.sqrt((x * x).sum(axis=axes, keepdims=keepdims))
            except FloatingPointError:          # a square under- or overflowed
                return scaled_norm(x, 2, axes, keepdims)
        a = np.abs(x)
        if p == math.inf:
            return a.max(axis=axes, keepdims=keepdims)
        if p == -math.inf:
            return a.min(axis=axes, keepdims=keepdims)
        if p == 0:
            return (x != 0).sum(axis=axes, keepdims=keepdims).astype(x.dtype)
        if p == 1:
            return a.sum(axis=axes, keepdims=keepdims)
        try:                                    # (0 ** -1 = inf, whose sum gives a norm of 0)
            with np.errstate(divide="ignore", over="raise", under="raise"):
                return (a ** p).sum(axis=axes, keepdims=keepdims) ** (1 / p)
        except FloatingPointError:              # a power under- or overflowed
            return scaled_norm(x, p, axes, keepdims)

    @staticmethod
    def backward(ctx, g, out, x):
        p, axes, keepdims = ctx
        if p == 0:
            return (None,)
        g = _restore_axes(g, x.shape, axes, keepdims)
        out = _restore_axes(out, x.shape, axes, keepdims)
        x_, out_ = raw(x), raw(out)
        if p in (math.inf, -math.inf):
            hit = np.abs(x_) == out_
            share = np.sign(x_) * hit / hit.sum(axis=axes, keepdims=True)
            return (g * share.astype(x_.dtype),)
        off = out_ == 0                         # a norm of 0: slope 0 (no 0/0)
        if p == 2:
            return (g * x / (out + off),)       # (x is 0 wherever the norm is)
        sign = sign_of(x) if isinstance(x, Node) else np.sign(x)
        # |x| / norm with 1 in place of 0 / norm (its sign makes the slope 0 there, without
        # 0 ** (p - 1), nor (1 / a tiny norm) ** (p - 1), which can overflow)
        norm = out + off
        return (g * sign * ((abs(x) + (x_ == 0) * norm) / norm) ** (p - 1) * ~off,)
