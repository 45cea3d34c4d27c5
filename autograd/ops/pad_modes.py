"""F.pad's copying modes as two ops, each the other's gradient: `PadCopy` widens the last axes
of x with copies of its own elements ("reflect": mirrored, the edge not repeated; "replicate":
the edge repeated; "circular": wrapped around), `PadFold` adds the border strips of a padded
array back onto the elements they copy (the adjoint, so PadCopy's backward).

Both work by slices, one axis after the other, no gather or scatter by index: along an axis of
x's n elements with widths (a, b), the result's positions are [a strip | x | b strip], and

    mode        the a strip copies          the b strip copies
    reflect     x[a], ..., x[1]             x[n-2], ..., x[n-1-b]     (flipped slices)
    replicate   x[0], a times               x[n-1], b times           (broadcast, or summed)
    circular    x[n-a], ..., x[n-1]         x[0], ..., x[b-1]

Padding axis after axis copies the corners too (an axis padded later copies the strips the
earlier ones made); folding axis after axis adds them back the same way. Against the one
indexing per axis F.pad used to be, whose gradient np.add.at added element by element
(benchmarks/pad_modes.py, float32, one thread): forward + backward of a (16, 32, 4000) reflect
pad (256, 256) 26.8 -> 2.2 ms (PyTorch 5.0), of a (16, 16, 64, 64) pad 3 31 -> 2.3 ms.
ctx = (mode, ((a, b) per axis of x)), widths checked by F.pad: reflect's below n, circular's
at most n.
"""

from __future__ import annotations

import numpy as np

from ..graph import Node, Op, apply


def _along(axis: int, start: int, stop: int) -> tuple:
    """The index of positions start..stop-1 of `axis`, every position of the others."""
    return (slice(None),) * axis + (slice(start, stop),)


def pad_copy(ctx: tuple, x: np.ndarray) -> np.ndarray:
    """x padded by copies of its own elements (see the module's docstring)."""
    mode, widths = ctx
    # in x's memory order, as the constant mode's Pad (a conv's output keeps its layout)
    out = np.empty_like(x, shape=tuple(a + n + b for (a, b), n in zip(widths, x.shape)))
    out[tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))] = x
    for axis, ((a, b), n) in enumerate(zip(widths, x.shape)):
        if not (a or b):
            continue
        left, right = _along(axis, 0, a), _along(axis, a + n, a + n + b)
        if mode == "reflect":
            out[left] = np.flip(out[_along(axis, a + 1, 2 * a + 1)], axis)
            out[right] = np.flip(out[_along(axis, a + n - 1 - b, a + n - 1)], axis)
        elif mode == "replicate":
            out[left] = out[_along(axis, a, a + 1)]
            out[right] = out[_along(axis, a + n - 1, a + n)]
        else:                                           # circular
            out[left] = out[_along(axis, n, n + a)]
            out[right] = out[_along(axis, a, a + b)]
    return out


def pad_fold(ctx: tuple, g: np.ndarray) -> np.ndarray:
    """The adjoint of `pad_copy`: g's middle, with each border strip added onto the elements
    it copied (so an element copied k times gets k + 1 gradients)."""
    mode, widths = ctx
    for axis, (a, b) in enumerate(widths):
        if not (a or b):
            continue
        n = g.shape[axis] - a - b
        folded = g[_along(axis, a, a + n)].copy()
        left, right = g[_along(axis, 0, a)], g[_along(axis, a + n, a + n + b)]
        if mode == "reflect":
            folded[_along(axis, 1, a + 1)] += np.flip(left, axis)
            folded[_along(axis, n - 1 - b, n - 1)] += np.flip(right, axis)
        elif mode == "replicate":
            folded[_along(axis, 0, 1)] += left.sum(axis, keepdims=True)
            folded[_along(axis, n - 1, n)] += right.sum(axis, keepdims=True)
        else:                                           # circular
            folded[_along(axis, n - a, n)] += left
            folded[_along(axis, 0, b)] += right
        g = folded
    return g


class PadCopy(Op):
    """x widened by copies of its own elements (reflect, replicate, circular; ctx = (mode,
    widths));  the gradient folds g's border strips back onto the elements they copied"""
    name = "pad"
    reads_inputs = False                # the rule needs the widths only

    @staticmethod
    def forward(ctx, x):
        return pad_copy(ctx, x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (apply(PadFold, (g,), ctx) if isinstance(g, Node) else pad_fold(ctx, g),)


class PadFold(Op):
    """A padded g's border strips added back onto the elements they copied (PadCopy's adjoint;
    g is the input here, itself a gradient when a higher-order pass records it);  its gradient
    is PadCopy of the upstream gradient gout"""
    name = "pad_fold"
    reads_inputs = False

    @staticmethod
    def forward(ctx, g):
        return pad_fold(ctx, g)

    @staticmethod
    def backward(ctx, gout, out, g):
        return (apply(PadCopy, (gout,), ctx) if isinstance(gout, Node) else pad_copy(ctx, gout),)
