"""GELU, x Φ(x) with Φ the standard normal CDF, exact (Gelu) or with PyTorch's tanh
approximation (GeluTanh); and Φ itself as an op, which the exact GELU's slope is built from when
it is recorded for higher-order gradients.

    gelu(x)        = x Φ(x),  Φ(x) = erfc(-x/√2) / 2
                     d/dx = Φ(x) + x φ(x)
    gelu_tanh(x)   = x σ(2u),  u = √(2/π) (x + 0.044715 x³),  so σ(2u) = (1 + tanh u) / 2
                     d/dx = σ(2u) + x σ'(2u) 2u' = σ(2u) + 2x σ(2u)σ(-2u) √(2/π)(1 + 0.134145x²)

φ(x) = e^(-x²/2) / √(2π) is the normal density. Both are computed in float64 (a float32 input
is rounded back once, at the end; the higher-order pass records Tensor ops in the input's
dtype instead), without cancellation: Φ comes from erfc, not 1 + erf, and
the tanh form from a stable sigmoid, not 1 + tanh, so gelu(-10) ≈ -7.6e-23 keeps its digits.
Beyond |x| = 40 every factor is exactly 0 or 1 in float64, so x is capped there where that
changes nothing but keeps x³ finite and ±inf · 0 out: gelu(-inf) = -0.0 and its slope 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Node, Op, apply
from .elementwise import _sigmoid_array, sigmoid_from_exp
from .erf import erfc
from .payload_math import exp

#: the approximations PyTorch's gelu takes
APPROXIMATIONS = ("none", "tanh")

# beyond ±40, Φ(x), φ(x) and σ(2u(x)) are exactly 0 or 1 (or 0) in float64
SATURATED = 40.0
INV_SQRT_2 = 1 / math.sqrt(2)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
CUBIC = 0.044715                                    # the tanh approximation's x³ coefficient


def _normal_cdf_array(x: np.ndarray) -> np.ndarray:
    """Φ(x) = erfc(-x/√2) / 2 in float64: accurate in both tails."""
    return 0.5 * erfc(-x * INV_SQRT_2)


def normal_pdf(x: Any) -> Any:
    """φ(x) = e^(-x²/2) / √(2π), for an array or a node (recorded, to be differentiated again).
    x is capped at ±40, where φ is 0 already: x² stays finite (and the cap's zero slope out
    there is φ's slope, -x φ(x) = 0, too).

    >>> float(normal_pdf(np.array(0.0))) == 1 / math.sqrt(2 * math.pi)
    True
    """
    x = x.clip(-SATURATED, SATURATED)
    return exp(x * x * -0.5) * INV_SQRT_2PI


def normal_cdf(x: Any) -> Any:
    """Φ(x) for a float64 array, or as a NormalCdf node of a node."""
    return apply(NormalCdf, (x,)) if isinstance(x, Node) else _normal_cdf_array(x)


def _two_u(x: Any) -> Any:
    """2u = 2√(2/π) (x + 0.044715 x³), for x capped at ±40 (an array or a node)."""
    return x * (1 + CUBIC * x * x) * (2 * SQRT_2_OVER_PI)


def _sigmoid(x: Any) -> Any:
    return x.sigmoid() if isinstance(x, Node) else _sigmoid_array(x)


def gelu_slope(x: Any, cdf: Any = None) -> Any:
    """Φ(x) + x φ(x), for a float64 array or a node (recorded, to be differentiated again);
    `cdf`, Φ(x) as the forward computed it, spares the error function (an array only)."""
    capped = x.clip(-SATURATED, SATURATED)
    return (normal_cdf(x) if cdf is None else cdf) + capped * normal_pdf(capped)


def gelu_tanh_slope(x: Any) -> Any:
    """σ(2u) + 2x σ(2u) σ(-2u) u', for a float64 array or a node. σ(-2u) is 1 - σ(2u) without
    the cancellation (float32 keeps the 1.5e-6 by which the slope exceeds 1 at x = 5)."""
    x = x.clip(-SATURATED, SATURATED)
    two_u = _two_u(x)
    du = (1 + 3 * CUBIC * x * x) * SQRT_2_OVER_PI
    if isinstance(x, Node):
        return _sigmoid(two_u) + x * (2 * _sigmoid(two_u) * _sigmoid(-two_u)) * du
    # for arrays, one exp serves both: with e = e^-|2u|, σ(2u) σ(-2u) = e / (1 + e)², either
    # sign (three sigmoids took a third of the op's time)
    e = np.exp(-np.abs(two_u))
    one_e = 1 + e
    return sigmoid_from_exp(two_u, e) + x * (2 * e / (one_e * one_e)) * du


def _x_times(factor: np.ndarray, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """x · factor, in x's dtype. Below -40 the factor is 0: x capped there makes that -0.0 at
    -inf too, where -inf · 0 would be NaN."""
    return (np.maximum(x, -SATURATED) * factor).astype(dtype, copy=False)


def _times_slope(g: Any, x: Any, slope: Any, *saved: Any) -> tuple:
    """(g · slope(x, *saved),): recorded from a node (higher order, which `saved` does not
    serve), else in float64, in x's dtype."""
    if isinstance(x, Node):
        return (g * slope(x),)
    return (g * slope(np.asarray(x, dtype=np.float64), *saved).astype(x.dtype, copy=False),)


class SavedCdf:
    """The exact GELU's ctx: Φ(x), float64, as its forward computed it, for the first-order
    backward (the error function was two thirds of the op's time, computed twice)."""
    __slots__ = ("cdf",)

    def __init__(self) -> None:
        self.cdf = None


class NormalCdf(Op):
    """Φ(x) = erfc(-x/√2) / 2, the standard normal CDF;  d/dx = φ(x), the normal density"""
    name = "normal_cdf"

    @staticmethod
    def forward(ctx, x):
        return _normal_cdf_array(np.asarray(x, dtype=np.float64)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * normal_pdf(x),)


class Gelu(Op):
    """x Φ(x);  d/dx = Φ(x) + x φ(x)  (Φ(x) kept from the forward when ctx is a `SavedCdf`)"""
    name = "gelu"

    @staticmethod
    def forward(ctx, x):
        x64 = np.asarray(x, dtype=np.float64)
        cdf = _normal_cdf_array(x64)
        if ctx is not None:
            ctx.cdf = cdf
        return _x_times(cdf, x64, x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        return _times_slope(g, x, gelu_slope, None if ctx is None else ctx.cdf)


class GeluTanh(Op):
    """x σ(2u), u = √(2/π)(x + 0.044715x³);  d/dx = σ(2u) + 2x σ(2u)σ(-2u) √(2/π)(1 + 0.134145x²)"""
    name = "gelu_tanh"

    @staticmethod
    def forward(ctx, x):
        x64 = np.asarray(x, dtype=np.float64)
        return _x_times(_sigmoid_array(_two_u(x64.clip(-SATURATED, SATURATED))), x64, x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        return _times_slope(g, x, gelu_tanh_slope)
