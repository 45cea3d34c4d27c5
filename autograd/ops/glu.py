"""The gated linear unit as one op: glu(x) = a σ(b), a and b the two halves of x along an axis.

    out = a σ(b)
    da  = g σ(b)                    db = g a σ(b) (1 - σ(b))

One op, where a σ(b) built from two getitems, a sigmoid and a product copied both halves in the
forward and scattered two zero-filled gradients of x's full size in the backward: here the
halves are views, σ(b) is kept from the forward, and the backward writes both halves of one
gradient array ((4096, 512) float32 halved along axis 1, CPU time: see docs/measurements.md,
s31 transcendental). For a gradient graph (higher order) the rule is recorded from ops.

>>> from autograd import Tensor
>>> from autograd.graph import apply
>>> apply(Glu, (Tensor([[1.0, 2.0, 0.0, 1000.0]]),), GluCtx(1)).numpy()     # [1 σ(0), 2 σ(1000)]
array([[0.5, 2. ]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from ..graph import Node, Op
from .elementwise import _sigmoid_array


def halves(x, axis: int) -> tuple:
    """(first half, second half) of x along `axis` (views of an array; getitems of a node)."""
    n = x.shape[axis] // 2
    lead = (slice(None),) * axis
    return x[lead + (slice(0, n),)], x[lead + (slice(n, None),)]


class GluCtx:
    """The axis halved, and σ(b) from the forward (None: not kept, computed again)."""
    __slots__ = ("axis", "gate")

    def __init__(self, axis: int) -> None:
        self.axis, self.gate = axis, None


class Glu(Op):
    """a σ(b), (a, b) the halves of x along ctx.axis;  da = g σ(b), db = g a σ(b)(1 - σ(b))"""
    name = "glu"

    @staticmethod
    def forward(ctx, x):
        a, b = halves(x, ctx.axis)
        gate = _sigmoid_array(b)
        ctx.gate = gate
        return a * gate

    @staticmethod
    def backward(ctx, g, out, x):
        a, b = halves(x, ctx.axis)
        if isinstance(x, Node):                 # higher order: the rule as ops of x
            from ..tensor_functions import concatenate
            gate = b.sigmoid()
            return (concatenate([g * gate, g * a * gate * (1 - gate)], axis=ctx.axis),)
        gate = _sigmoid_array(b) if ctx.gate is None else ctx.gate
        dx = np.empty(x.shape, np.result_type(g, gate))
        da, db = halves(dx, ctx.axis)
        np.multiply(g, gate, out=da)
        # (g a)(σ (1 - σ)): the numbers of the product's and the sigmoid's rules, bit for bit
        slope = np.subtract(1, gate)
        slope *= gate
        np.multiply(g, a, out=db)
        db *= slope
        return (dx,)
