"""ndtri(p), the inverse of the standard normal CDF Φ (PyTorch's torch.special.ndtri): the
quantile function, as an op whose slope is 1/φ(ndtri(p)) = √(2π) e^(y²/2).

By the symmetry ndtri(p) = -ndtri(1 - p) only q = min(p, 1 - p) <= 1/2 is solved for
(1 - p is exact for p >= 1/2):

    q >= 1/4    √2 erfinv(2q - 1) (ops/special.py's; 2q - 1 is exact there)
    q < 1/4     Newton's method on log Φ(y) = ln q (ops/log_ndtr.py's log Φ, accurate down to
                q = 5e-324), from y₀ = -√(-2 ln q): log Φ is concave and Φ(y₀) < q, so every
                step lands left of the root and climbs to it, quadratically once near;
                8 steps, where 5 already reach the last digit for every q (measured on
                5e-324 .. 1/4)

ndtri(0) = -inf, ndtri(1) = inf, NaN outside [0, 1].

>>> ndtri(np.array([0.5, 0.975, 1e-300]))
array([  0.        ,   1.95996398, -37.0470963 ])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Op
from .bessel_modified import in_dtype
from .log_ndtr import _inverse_mills_array, _log_ndtr_array
from .numpy1 import in_input_dtype
from .payload_math import exp
from .special import erfinv

SQRT_2PI = math.sqrt(2 * math.pi)
NEWTON_STEPS = 8


def _lower_tail(q: np.ndarray) -> np.ndarray:
    """ndtri(q) for 0 < q < 1/4, by Newton's method on log Φ."""
    target = np.log(q)
    y = -np.sqrt(-2 * target)
    for _ in range(NEWTON_STEPS):
        y = y - (_log_ndtr_array(y) - target) / _inverse_mills_array(y)
    return y


def ndtri(p: Any) -> np.ndarray:
    """Φ⁻¹(p), elementwise, in float64 (see the module's docstring)."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 0:
        return ndtri(p.reshape(1)).reshape(())
    upper = p > 0.5
    q = np.where(upper, 1 - p, p)
    out = np.full_like(p, np.nan)                       # NaN stays NaN, and outside [0, 1]
    out[q == 0] = -np.inf
    middle = (q >= 0.25) & (q <= 0.5)
    out[middle] = math.sqrt(2) * erfinv(2 * q[middle] - 1)
    tail = (q > 0) & (q < 0.25)
    out[tail] = _lower_tail(q[tail])
    return np.where(upper, -out, out)


@in_input_dtype
class Ndtri(Op):
    """ndtri(p) = Φ⁻¹(p);  d/dp = √(2π) e^(ndtri(p)²/2)"""
    name = "ndtri"

    @staticmethod
    def forward(ctx, p):
        return ndtri(p).astype(p.dtype, copy=False)        # (within float32's range)

    @staticmethod
    def backward(ctx, g, out, p):
        if not hasattr(out, "_fn"):
            with np.errstate(over="ignore"):            # inf at 0 and 1, as PyTorch's
                return (g * in_dtype(np.exp(out * out / 2) * SQRT_2PI, out.dtype),)
        return (g * exp(out * out * 0.5) * SQRT_2PI,)
