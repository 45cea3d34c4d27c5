"""Matrix product, with numpy's rules for 1-d operands and batch broadcasting.

    C = A @ B:   dL/dA = G @ Bᵀ,   dL/dB = Aᵀ @ G

ctx says which inputs need a gradient, so that a data matrix X in X @ W costs no G @ Wᵀ.
"""

from __future__ import annotations

from ..graph import Op


def _swap(m):
    return m.swapaxes(-1, -2)


class MatMul(Op):
    """a @ b;  grads G @ bᵀ and aᵀ @ G (1-d operands are treated as a row / a column)"""
    name, broadcasting = "matmul", True        # batch dimensions broadcast

    @staticmethod
    def forward(ctx, a, b):
        return a @ b

    @staticmethod
    def backward(needs, g, out, a, b):
        need_a, need_b = needs
        a_row, b_col = a.ndim == 1, b.ndim == 1
        if a_row and b_col:                                      # dot product
            return (g * b if need_a else None), (g * a if need_b else None)
        if a_row:                                                # (k,) -> (1, k)
            a, g = a.reshape((1,) + a.shape), g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        if b_col:                                                # (k,) -> (k, 1)
            b, g = b.reshape(b.shape + (1,)), g.reshape(g.shape + (1,))
        ga = gb = None
        if need_a:
            ga = g @ _swap(b)
            if a_row:
                ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if need_b:
            gb = _swap(a) @ g
            if b_col:
                gb = gb.reshape(gb.shape[:-1])
        return ga, gb
