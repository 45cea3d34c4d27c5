"""Ops that move elements around without changing them: reshape, transpose, broadcast_to,
indexing (and its adjoint, scatter-add), concatenate and stack. Their gradients move back.
"""

from __future__ import annotations

import numpy as np

from ..broadcast import unbroadcast
from ..graph import Op
from .payload_math import scatter_add


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
        return x[index]

    @staticmethod
    def backward(index, g, out, x):
        return (scatter_add(g, index, x.shape),)


class ScatterAdd(Op):
    """zeros(shape) with g added at index (the adjoint of indexing);  its gradient is g[index]"""
    name = "scatter_add"

    @staticmethod
    def forward(ctx, g):
        index, shape = ctx
        return scatter_add(g, index, shape)

    @staticmethod
    def backward(ctx, gout, out, g):
        index, shape = ctx
        return (gout[index],)


class Concatenate(Op):
    """np.concatenate(xs, axis);  each input gets its slice of the gradient"""
    name = "concatenate"

    @staticmethod
    def forward(axis, *xs):
        return np.concatenate(xs, axis=axis)

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
        return np.stack(xs, axis=axis)

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
