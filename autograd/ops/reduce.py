"""Reductions: sum, mean, max, min over some axes; ctx = (axes, keepdims), where axes is None
(all of them) or a sorted tuple of non-negative ints (Tensor normalises the user's `axis`).

Backward puts the reduced axes back (size 1) and spreads the gradient over them.
"""

from __future__ import annotations

import numpy as np

from ..graph import Op, raw
from .payload_math import broadcast_to


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
        return x.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g, out, x):
        axes, keepdims = ctx
        return (broadcast_to(_restore_axes(g, x.shape, axes, keepdims), x.shape),)


class Mean(Op):
    """mean over axes;  every element gets the upstream gradient divided by the count"""
    name = "mean"

    @staticmethod
    def forward(ctx, x):
        axes, keepdims = ctx
        if x.size == 0:         # the mean of no numbers is NaN (PyTorch's value), which numpy
            return x.sum(axis=axes, keepdims=keepdims) * np.nan    # gives with a warning
        return x.mean(axis=axes, keepdims=keepdims)

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
        share = (hit / hit.sum(axis=axes, keepdims=True)).astype(x_.dtype)
        return (_restore_axes(g, x_.shape, axes, keepdims) * share,)


class Min(Max):
    """min over axes;  the gradient goes to the minimal elements (split evenly on ties)"""
    name = "min"

    @staticmethod
    def forward(ctx, x):
        axes, keepdims = ctx
        return x.min(axis=axes, keepdims=keepdims)
