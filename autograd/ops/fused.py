"""Fused ops: one node (and one rule) where a chain of small ops would cost more and say less.

    linear:         y = x @ W + b            dx = G Wᵀ,  dW = xᵀ G,  db = Σ_rows G
    cross_entropy:  L_i = logsumexp(z_i) - Σ_c t_ic z_ic    dL/dz = softmax(z) - t
"""

from __future__ import annotations

import numpy as np

from ..graph import Op, raw
from .poly import log_softmax, softmax
from .softmax import _log_softmax


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


class CrossEntropy(Op):
    """mean/sum/none of -log softmax(z)[target] over rows, from logits z (N, C).

    The target is either class indices (kept in ctx) or a second input of probabilities (N, C).
    ctx = (reduction, class_indices or None).
    """
    name = "cross_entropy"

    def forward(ctx, z, t=None):
        reduction, labels = ctx
        logp = _log_softmax(z, 1)
        if labels is not None:
            losses = -logp[np.arange(len(z)), labels]
        else:
            losses = -(t * logp).sum(axis=1)
        if reduction == "none":
            return losses
        return losses.sum() if reduction == "sum" else losses.mean()

    def backward(ctx, g, out, z, t=None):
        reduction, labels = ctx
        n = z.shape[0]
        if reduction == "mean":
            g = g * (1.0 / n)
        elif reduction == "none":
            g = g.reshape((n, 1))
        p = softmax(z, axis=1)
        if labels is not None:                          # dL/dz = softmax(z) - onehot(labels)
            onehot = np.zeros(z.shape, dtype=raw(z).dtype)
            onehot[np.arange(n), labels] = 1
            return ((p - onehot) * g,)
        # probability targets: dL/dz = p Σ_c t - t (p - t when rows of t sum to 1), dL/dt = -log p
        return (p * t.sum(axis=1, keepdims=True) - t) * g, -log_softmax(z, axis=1) * g
