"""Fused ops: one node (and one rule) where a chain of small ops would cost more and say less.

    linear:         y = x @ W + b            dx = G Wᵀ,  dW = xᵀ G,  db = Σ_rows G
    cross_entropy:  L_i = logsumexp(z_i) - Σ_c t_ic z_ic    dL/dz = softmax(z) - t
"""

from __future__ import annotations

import numpy as np

from ..graph import Node, Op
from .poly import log_softmax, softmax


class Linear(Op):
    """x @ W + b for x (..., in), W (in, out), b (out,) or no b;  ctx says which inputs need grads"""
    name = "linear"

    def forward(needs, x, W, b=None):
        y = x @ W
        if b is not None:
            y += b                                   # in place: y is a fresh array
        return y

    def backward(needs, g, out, x, W, b=None):
        rows = g.reshape((-1, g.shape[-1]))          # batch dims flattened into rows
        gx = (g @ W.T) if needs[0] else None
        gW = x.reshape((-1, x.shape[-1])).T @ rows if needs[1] else None
        gb = rows.sum(axis=0) if b is not None and needs[2] else None
        return gx, gW, gb


class CrossEntropyCtx:
    """What cross_entropy's backward needs: the reduction, the class labels (or None when the
    target is a probability input) and the softmax probabilities the forward computed."""
    __slots__ = ("reduction", "labels", "probs")

    def __init__(self, reduction: str, labels: np.ndarray | None) -> None:
        self.reduction, self.labels, self.probs = reduction, labels, None


class CrossEntropy(Op):
    """mean/sum/none over rows of -log softmax(z)[target], from logits z (N, C);
    dL/dz = softmax(z) - target. The target is class labels (in ctx) or a second input of
    probabilities (N, C), whose gradient is -log softmax(z)."""
    name = "cross_entropy"

    def forward(ctx, z, t=None):
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        ctx.probs = e / total                          # kept for the first-order backward
        if ctx.labels is not None:
            losses = np.log(total[:, 0]) - shifted[np.arange(len(z)), ctx.labels]
        else:
            losses = -(t * (shifted - np.log(total))).sum(axis=1)
        if ctx.reduction == "none":
            return losses
        total_loss = losses.sum()
        if ctx.reduction == "sum":
            return total_loss
        return np.divide(total_loss, len(z), dtype=z.dtype)   # numpy 1.x would give float64

    def backward(ctx, g, out, z, t=None):
        n = z.shape[0]
        if ctx.reduction == "mean":
            g = g * (1.0 / n)
        elif ctx.reduction == "none":
            g = g.reshape((n, 1))
        if isinstance(z, Node):                        # higher order: p as a graph of z
            p = softmax(z, axis=1)
        else:
            p = ctx.probs
        if ctx.labels is not None:                     # dL/dz = p - onehot(labels)
            if isinstance(z, Node):
                onehot = np.zeros(z.shape, dtype=z.dtype)
                onehot[np.arange(n), ctx.labels] = 1
                return ((p - onehot) * g,)
            dz = p.copy()
            dz[np.arange(n), ctx.labels] -= 1
            dz *= g
            return (dz,)
        # probability targets: dL/dz = p Σ_c t - t (p - t when rows of t sum to 1), dL/dt = -log p
        return (p * t.sum(axis=1, keepdims=True) - t) * g, -log_softmax(z, axis=1) * g
