"""log Φ(x), the log of the standard normal CDF (PyTorch's torch.special.log_ndtr), as an op
that keeps its digits over the whole line, and its slope φ(x)/Φ(x) as an op of its own, so
that it can be differentiated again.

    log Φ(x) = log(erfcx(y) / 2) - y²     for x < -1,  y = -x/√2,  erfcx(y) = erfc(y) e^(y²)
             = log1p(-erfc(x/√2) / 2)     for x >= -1
    d/dx log Φ(x) = r(x) = φ(x) / Φ(x)    = √(2/π) / erfcx(y) for x < -1   (≈ -x far left)
    d/dx r(x)     = -r (x + r)

log(Φ(x)) itself is -inf from x ≈ -38.5 on, where Φ underflows (Bayesian optimisation's log
expected improvement needs that tail); the scaled erfc (Cody's ratio without its e^(-y²),
autograd/ops/erf.py) carries no exponential, so the left branch is finite down to x ≈ -1.9e154
and -inf only where -x²/2 itself overflows. The right branch's erfc is accurate where it is
tiny, so log Φ(x) ≈ -Φ(-x) keeps its digits for large x. Computed in float64, given in the
input's dtype. (Far left, x + r cancels: the second derivative has a relative error of about
x² · 1e-16 there.)

>>> float(LogNdtr.forward(None, np.array(-40.0)))        # log(Φ(-40)) would be -inf
-804.608442013753...
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Node, Op, apply
from .erf import _scaled_erfc_away_from_zero, erfc
from .gelu import normal_cdf, normal_pdf

INV_SQRT_2 = 1 / math.sqrt(2)           # x/√2 rounded as PyTorch's, so the digits agree
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
LEFT = -1.0                             # the branches meet here (Φ(-1) ≈ 0.16: no cancellation)


def _log_ndtr_array(x: np.ndarray) -> np.ndarray:
    """log Φ(x) for a float64 array (see the module's docstring)."""
    if x.ndim == 0:                 # (0-d results come as numpy scalars, which take no writes)
        return _log_ndtr_array(x.reshape(1)).reshape(())
    t = x * INV_SQRT_2
    y = np.maximum(-t, -LEFT * INV_SQRT_2)      # each branch's argument kept in its own range,
    right = np.maximum(t, LEFT * INV_SQRT_2)    # so neither warns where the other is picked
    with np.errstate(over="ignore", divide="ignore"):   # -inf at x = -inf (and below -1.9e154)
        left = np.log(_scaled_erfc_away_from_zero(y) * 0.5) - y * y
    return np.where(x < LEFT, left, np.log1p(erfc(right) * -0.5))     # (NaN stays NaN)


def _inverse_mills_array(x: np.ndarray) -> np.ndarray:
    """r(x) = φ(x)/Φ(x) for a float64 array: √(2/π) / erfcx(-x/√2) left of -1 (no underflow),
    the quotient itself right of it (Φ >= 0.16 there)."""
    if x.ndim == 0:
        return _inverse_mills_array(x.reshape(1)).reshape(())
    y = np.maximum(-x * INV_SQRT_2, -LEFT * INV_SQRT_2)
    with np.errstate(divide="ignore", over="ignore"):   # erfcx is subnormal from y ≈ 1e307
        left = SQRT_2_OVER_PI / _scaled_erfc_away_from_zero(y)
    # r = -x - 1/x + ...: -x itself to the last digit from x = -1e8 on (and finite to the end)
    left = np.where(x < -1e8, -x, left)
    right = np.maximum(x, LEFT)
    return np.where(x < LEFT, left, normal_pdf(right) / normal_cdf(right))


def inverse_mills(x: Any) -> Any:
    """φ(x)/Φ(x), log Φ's slope: an InverseMills node of a node (to be differentiated again),
    an array in x's dtype for an array."""
    if isinstance(x, Node):
        return apply(InverseMills, (x,))
    return _inverse_mills_array(np.asarray(x, dtype=np.float64)).astype(x.dtype, copy=False)


class LogNdtr(Op):
    """log Φ(x), Φ the standard normal CDF;  d/dx = φ(x)/Φ(x)"""
    name = "log_ndtr"

    @staticmethod
    def forward(ctx, x):
        out = _log_ndtr_array(np.asarray(x, dtype=np.float64))
        if x.dtype == np.float64:
            return out
        with np.errstate(over="ignore"):        # -inf in float32 from x ≈ -2.6e19 (PyTorch's)
            return out.astype(x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * inverse_mills(x),)


class InverseMills(Op):
    """r(x) = φ(x)/Φ(x), log Φ's slope;  d/dx = -r (x + r)"""
    name = "inverse_mills"

    @staticmethod
    def forward(ctx, x):
        return _inverse_mills_array(np.asarray(x, dtype=np.float64)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, out, x):
        return (-(g * (out * (x + out))),)
