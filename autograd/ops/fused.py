"""Fused ops: one node (and one rule) where a chain of small ops would cost more and say less.

    linear:         y = x @ Wᵀ + b           dx = G W,   dW = Gᵀ x,  db = Σ_rows G
    cross_entropy:  L_i = (Σ_c t_ic) logsumexp(z_i) - Σ_c t_ic z_ic
                                                 dL/dz = softmax(z) Σ_c t_ic - t
                    (t: one-hot labels, probabilities, or PyTorch's weighted, smoothed rows)
    binary_cross_entropy:  ℓ = -[t log p + (1 - t) log(1 - p)]     dℓ/dp = (p - t) / p(1 - p)
    ... with_logits:       ℓ = (1 - t) x + log(1 + e^-x)           dℓ/dx = σ(x) - t

The two binary losses are elementwise (the caller reduces) and take the target as a constant in
ctx. They are fused for exactness, not speed: composed from log, relu and abs they would take
log(0) at saturated probabilities, and the derivative of relu and abs at x = 0 would make the
logits' gradient -t instead of σ(0) - t = 1/2 - t.
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import Node, Op, needs_and
from .elementwise import LOG_FLOOR, sigmoid_from_exp, softplus_from_exp
from .numpy1 import in_input_dtype
from .payload_math import log_softmax, softmax, sum_rows


class Linear(Op):
    """x @ Wᵀ + b for x (..., in), W (out, in) as in PyTorch, b (out,) or no b;
    dx = G W, dW = Gᵀ x, db = Σ_rows G. ctx says which inputs need grads."""
    name = "linear"

    @staticmethod
    def forward(needs, x, W, b=None):
        # (the result's size as x.size · out / in: no call on the path every layer takes)
        if b is not None and W.shape[1] <= 16 and x.ndim > 1 \
                and x.size * W.shape[0] >= 16384 * W.shape[1]:
            return with_bias_row(x, W, b)
        if x.ndim > 2:
            # batch axes (a sequence's (B, T, in)) as rows of one product: numpy's stacked
            # matmul multiplies matrix by matrix, 1.7x as long for (32, 32, 64) -> 256.
            # (math.prod, not np.prod, which costs ~6 µs on a shape: 15 % of a small layer)
            rows = x.reshape((math.prod(x.shape[:-1]), x.shape[-1]))
            return Linear.forward(needs, rows, W, b).reshape(x.shape[:-1] + (W.shape[0],))
        if x.ndim == 1 or len(x) > 64 or W.size <= 8192:
            # one input feature: an outer product, which np.dot gives to BLAS and @ does not
            y = np.dot(x, W.T) if W.shape[1] == 1 else x @ W.T
            if b is not None:
                y += b                      # in place: y is a fresh array
            return y
        # Up to 64 rows, (W xᵀ)ᵀ hands BLAS two row-major operands: x @ W.T took 2.1x as long
        # at batch 16 (784 -> 100); it does not pay for more rows or small weights. Its result
        # is column-major, so it is written out row-major as the bias is added: ufuncs that mix
        # the two layouts (the ReLU's after it) ran up to 2.4x slower (measured:
        # docs/measurements.md#fused).
        yT = W @ x.T
        y = np.empty_like(yT.T, order="C")
        if b is None:
            y[...] = yT.T
        else:
            np.add(yT.T, b, out=y)
        return y

    @staticmethod
    def backward(needs, g, out, x, W, b=None):
        shape = x.shape
        if g.ndim != 2:
            # batch axes (and a lone vector) as rows of one product, as in forward: a stacked
            # G W for G (32, 32, 16) took 1.18x as long as the same rows in one product
            g, x = g.reshape((-1, g.shape[-1])), x.reshape((-1, x.shape[-1]))
        # one output, or one row, makes a product an outer product: np.dot gives it to BLAS,
        # where numpy's @ runs its own loop, 5-6x slower (docs/measurements.md#payload_math);
        # tested here, not by a call to payload_math.matmul, which costs ~1% of a small step.
        # (In a higher-order pass g is a node: @ records it.)
        if needs[0]:
            gx = (np.dot(g, W) if W.shape[0] == 1 and g.__class__ is np.ndarray
                  else g @ W).reshape(shape)
        else:
            gx = None
        if needs[1]:
            gW = np.dot(g.T, x) if len(g) == 1 and g.__class__ is np.ndarray else g.T @ x
        else:
            gW = None
        if b is not None and needs[2]:      # (from 64 rows on, a product: see sum_rows)
            gb = sum_rows(g) if len(g) >= 64 and g.__class__ is np.ndarray else g.sum(axis=0)
        else:
            gb = None
        return gx, gW, gb

    narrow = staticmethod(needs_and)        # (ctx is the needs flags: Op.narrow)


def with_bias_row(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x @ Wᵀ + b as one product [x, 1] @ [Wᵀ; b], for few input features (up to 16) and
    results of 16384 numbers or more: adding b to every row after the product read and wrote
    the whole result again, and cost as much as the product (an LSTM's input share, (1536, 3)
    to 128 float32 columns: 33 µs the product, 36 the bias, 8 the batch-first input's copy,
    now ~35 in all; docs/measurements.md#recurrent). x's copy into [x, 1] is the one a
    batch-first (strided) x needed anyway, and [Wᵀ; b] is row-major, which BLAS multiplies
    faster than the transposed view W.T at these shapes."""
    dtype, features = np.result_type(x, W, b), x.shape[-1]
    ones = np.empty(x.shape[:-1] + (features + 1,), dtype)
    ones[..., :features] = x
    ones[..., features] = 1
    weight = np.empty((features + 1, W.shape[0]), dtype)
    weight[:features], weight[features] = W.T, b
    y = ones.reshape(-1, features + 1) @ weight
    return y.reshape(x.shape[:-1] + (W.shape[0],))


class CrossEntropyCtx:
    """What cross_entropy's backward needs: the reduction, where each row's target class sits in
    the flattened logits (row * C + label; None otherwise), the softmax probabilities the forward
    computed, and `target`: a constant (N, C) array of targets when the labels came with
    PyTorch's options (weight=, ignore_index=, label_smoothing=; see `autograd.functional`)."""
    __slots__ = ("reduction", "picks", "probs", "target")

    def __init__(self, reduction: str, picks: np.ndarray | None,
                 target: np.ndarray | None = None) -> None:
        self.reduction, self.picks, self.probs, self.target = reduction, picks, None, target


class CrossEntropy(Op):
    """mean/sum/none over rows of -Σ_c t_c log softmax(z)_c, from logits z (N, C);
    dL/dz = softmax(z) Σ_c t_c - t (softmax(z) - t when the row of t sums to 1).

    The target t is one of three things: class labels (their flat positions in ctx.picks: the
    fast path, no (N, C) array of targets is ever made), a second input of probabilities
    (N, C), whose gradient is -log softmax(z), or a constant (N, C) array in ctx.target."""
    name = "cross_entropy"

    @staticmethod
    def forward(ctx, z, t=None):
        # log softmax(z) = shifted - log(total): softmax._log_softmax's formula, written out
        # (keep the two in step) because the same e and total give the probabilities kept for
        # backward, and the label path needs only the target's entries. (No np.errstate here,
        # unlike softmax: it costs ~1 µs a step, and a row of all -inf logits, whose loss is
        # NaN, is worth numpy's warning.)
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        ctx.probs = e / total                          # kept for the first-order backward
        if ctx.picks is not None:                      # the target's logit, row by row
            losses = np.log(total[:, 0]) - shifted.flat[ctx.picks]
        else:                   # probabilities t, or a constant target (labels with options)
            t = ctx.target if t is None else t
            # only the classes the target weighs: a class masked with a -inf logit costs
            # nothing unless it is counted (0 * inf would be NaN, with numpy's warning), as in
            # PyTorch's NLL; and an ignored row's loss is 0, not -0. (Masked by indexing, the
            # product in place: ~1 µs more than the plain product at (16, 10))
            neg_log_p = np.log(total) - shifted
            neg_log_p[t == 0] = 0
            neg_log_p *= t
            losses = neg_log_p.sum(axis=1)
        if ctx.reduction == "none":
            return losses
        total_loss = losses.sum()
        if ctx.reduction == "sum":
            return total_loss
        return total_loss / z.dtype.type(len(z))       # (by an int, numpy 1.x gives float64)

    @staticmethod
    def backward(ctx, g, out, z, t=None):
        n = z.shape[0]
        if ctx.reduction == "none":
            g = g.reshape((n, 1))                      # each row's own gradient
        else:
            if not isinstance(g, Node):
                g = float(g)                           # (a numpy op on a 0-d array costs ~1 µs)
            if ctx.reduction == "mean":
                g = g * (1.0 / n)
        if isinstance(z, Node):                        # higher order: p as a graph of z
            p = softmax(z, axis=1)
        else:
            p = ctx.probs
        if ctx.picks is not None:                      # dL/dz = p - onehot(labels)
            if isinstance(z, Node):
                onehot = np.zeros(z.shape, dtype=z.dtype)
                onehot.flat[ctx.picks] = 1
                return ((p - onehot) * g,)
            # g (p - onehot), in a new array (ctx.probs may serve another backward)
            dz = p * g
            dz.flat[ctx.picks] -= g if g.__class__ is float else g[:, 0]
            return (dz,)
        if t is None:                                  # a constant target: no gradient of its own
            t = ctx.target
            return ((p * t.sum(axis=1, keepdims=True) - t) * g,)
        # probability targets: dL/dz = p Σ_c t - t (p - t when rows of t sum to 1), dL/dt = -log p
        return (p * t.sum(axis=1, keepdims=True) - t) * g, -log_softmax(z, axis=1) * g


# -- binary cross-entropy -----------------------------------------------------------------------

# each log is clamped at LOG_FLOOR = -100 (PyTorch's): a saturated p costs 100, not inf
PQ_FLOOR = 1e-12        # and p(1 - p) is floored in the derivative: bounded even at p = 0


@in_input_dtype                 # (numpy 1.x made a 0-d float32 p's loss float64)
class BinaryCrossEntropy(Op):
    """-[t log p + (1 - t) log(1 - p)] for probabilities p, each log clamped at -100;
    dℓ/dp = (p - t) / p(1 - p), with p(1 - p) floored at 1e-12 (PyTorch's rule). ctx: t.

    That is PyTorch's gradient, kept where a log is clamped (it is not the slope of the clamped
    loss there, 0). The binary cross-entropy of Values, built from `elementwise.ClampedLog`,
    passes that 0 instead: a scalar op is the derivative of the function it computes. The two
    gradients agree unless p or 1 - p is below ~1e-12."""
    name = "binary_cross_entropy"

    @staticmethod
    def forward(t, p):
        with np.errstate(divide="ignore"):                  # log(0) = -inf, then clamped
            log_p = np.maximum(np.log(p), LOG_FLOOR)
            log_q = np.maximum(np.log1p(-p), LOG_FLOOR)
        return -(t * log_p + (1 - t) * log_q)

    @staticmethod
    def backward(t, g, out, p):
        pq = p * (1 - p)
        pq = pq.maximum(PQ_FLOOR) if isinstance(pq, Node) else np.maximum(pq, PQ_FLOOR)
        return (g * (p - t) / pq,)


class BCEWithLogitsCtx:
    """What the logits' loss needs: the target, the optional pos_weight, and σ(x), which the
    forward gets almost for free and the first-order backward reuses."""
    __slots__ = ("target", "pos_weight", "sigmoid")

    def __init__(self, target: np.ndarray, pos_weight: np.ndarray | None) -> None:
        self.target, self.pos_weight, self.sigmoid = target, pos_weight, None


@in_input_dtype
class BinaryCrossEntropyWithLogits(Op):
    """-[p_w t log σ(x) + (1 - t) log(1 - σ(x))] = (1 - t) x + w softplus(-x), from logits x
    and pos_weight p_w (1 when not given), where softplus(-x) = log(1 + e^-x)
    = log1p(e^-|x|) + max(-x, 0) never overflows and w = 1 + (p_w - 1) t weighs the positive
    term (w = 1 without pos_weight);
    dℓ/dx = (1 - t) - w (1 - σ(x)), which is σ(x) - t without pos_weight."""
    name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(ctx, x):
        t, pos_weight = ctx.target, ctx.pos_weight
        e = np.exp(-np.abs(x))                 # one exp for both σ(x) and softplus(-x)
        ctx.sigmoid = sigmoid_from_exp(x, e)
        softplus_neg = softplus_from_exp(-x, e)
        if pos_weight is None:
            return (1 - t) * x + softplus_neg
        return (1 - t) * x + (1 + (pos_weight - 1) * t) * softplus_neg

    @staticmethod
    def backward(ctx, g, out, x):
        t, pos_weight = ctx.target, ctx.pos_weight
        s = x.sigmoid() if isinstance(x, Node) else ctx.sigmoid   # higher order: σ as a graph
        if pos_weight is None:
            return (g * (s - t),)
        return (g * ((1 - t) - (1 + (pos_weight - 1) * t) * (1 - s)),)
