"""The terms of entropies and cross-entropies that PyTorch's torch.special names, as ops:
entr(x) = -x ln x and xlog1py(x, y) = x ln(1 + y), each 0 where x is 0 (so a zero probability
adds nothing, where x * x.log() would be NaN), with PyTorch's values off the domain: entr is
-inf for x < 0; xlog1py follows xlogy (ops/elementwise.py) with ln(1 + y) for ln y.

>>> Entr.forward(None, np.array([0.0, 0.5, -1.0]))
array([0.        , 0.34657359,       -inf])
>>> XLog1pY.forward(None, np.array([0.0, 2.0]), np.array([-1.0, 1e-20]))   # 0 · ln 0 is 0
array([0.e+00, 2.e-20])
"""

from __future__ import annotations

import numpy as np

from ..graph import Node, Op, apply, raw
from .numpy1 import in_input_dtype
from .payload_math import log


@in_input_dtype
class Entr(Op):
    """entr(x) = -x ln x, 0 at 0, -inf below;  d/dx = -(ln x + 1) (inf at 0, NaN below, as
    PyTorch's)"""
    name = "entr"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            value = -x * np.log(x)
        return np.where(x > 0, value, np.where(x == 0, 0.0, np.where(x < 0, -np.inf, x)))

    @staticmethod
    def backward(ctx, g, out, x):
        if isinstance(x, Node):
            return (-(g * (log(x) + 1)),)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (-(g * (np.log(x) + 1)),)


def xlog1py(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x ln(1 + y), and 0 where x is 0 and y is not NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):        # ln 0 = -inf, 0 · -inf
        return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))


@in_input_dtype
class XLog1pY(Op):
    """x ln(1 + y), 0 where x = 0 (unless y is NaN);  d/dx = ln(1 + y) (0 where x = 0 and
    y <= -1, as PyTorch's), d/dy = x / (1 + y)"""
    name, broadcasting = "xlog1py", True

    @staticmethod
    def forward(ctx, x, y):
        return xlog1py(x, y)

    @staticmethod
    def backward(ctx, g, out, x, y):
        sloped = ~((raw(x) == 0) & (raw(y) <= -1))
        if isinstance(x, Node):         # higher order: g ln(1 + y) as this op again
            return apply(XLog1pY, (g, y)) * sloped.astype(raw(g).dtype), g * x / (y + 1)
        with np.errstate(divide="ignore", invalid="ignore"):    # 0 / 0 is NaN, as PyTorch's
            return np.where(sloped, xlog1py(g, y), 0.0), g * x / (y + 1)
