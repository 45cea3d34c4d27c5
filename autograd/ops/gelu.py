"""GELU, x Φ(x) with Φ the standard normal CDF, exact (Gelu) or with PyTorch's tanh
approximation (GeluTanh); and Φ itself as an op, which the exact GELU's slope is built from when
it is recorded for higher-order gradients.

    gelu(x)        = x Φ(x),  Φ(x) = erfc(-x/√2) / 2
                     d/dx = Φ(x) + x φ(x)
    gelu_tanh(x)   = x σ(2u),  u = √(2/π) (x + 0.044715 x³),  so σ(2u) = (1 + tanh u) / 2
                     d/dx = σ(2u) + x σ'(2u) 2u' = σ(2u) + 2x σ(2u)σ(-2u) √(2/π)(1 + 0.134145x²)

φ(x) = e^(-x²/2) / √(2π) is the normal density. float64 inputs, and the tanh form in any
dtype, are computed in float64 over cache-sized blocks (`blocks.in_blocks`; a float32 input's
tanh-form output and gradient g · slope are each rounded back once, so its float32 numbers are
the float64 ones rounded; the higher-order pass records Tensor ops in the input's dtype
instead), without cancellation: Φ comes from erfc, not 1 + erf, and the tanh form from a stable
sigmoid, not 1 + tanh, so gelu(-10) ≈ -7.6e-23 keeps its digits. The exact GELU of float32 and
float16 inputs is computed in float32 arithmetic from a short rational fit of Mills' ratio (see
`_low_precision_gelu`): within a few float32 ulps of the exact values (the left tail to a
relative ~x² · 3e-8, the float32 rounding of -x²/2). Beyond |x| = 40 (14.5 in float32) every
factor is exactly 0 or 1, so x is capped there where that changes nothing but keeps x³ finite
and ±inf · 0 out: gelu(-inf) = -0.0 and its slope 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Node, Op, apply
from .blocks import in_blocks
from .elementwise import _sigmoid_array, sigmoid_from_exp
from .erf import _monic_polyval, _polyval, erfc
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


# ----------------------------------------------------------------------------------------------
# The exact GELU for float32 and float16 inputs (s33): in float32 arithmetic, ~24 numpy passes
# over float32 blocks, within a few float32 ulps of the exact values where they matter (the
# s29 float64 form, Mills' ratio of degree 5/6 to 1e-10 and a Taylor window at the slope's
# zero, took ~2.4 ms on (1024, 256) against PyTorch's 0.09; docs/measurements.md, s33 gelu)
# ----------------------------------------------------------------------------------------------

# Mills' ratio M(a) = Φ(-a) / φ(a), a >= 0, as P(a) / Q(a) of degree 3 over 4 (Q monic), highest
# power first, positive coefficients (Horner in float32 on a >= 0 adds no cancellation). Fitted
# for this module in float64 (least squares on P - M Q over 4,000 Chebyshev points of [0, 14.5],
# M from scipy.special.erfcx, Loeb's reweighting by 1/Q and Lawson's toward the smallest largest
# error) of the relative error divided by max(1, a²/4): 1.0e-7 up to a = 2, growing as a²/4
# beyond, as the float32 rounding of the exponent -a²/2 (a² · 3e-8 relative in φ) does anyway.
MILLS32_P = [0.9997217192652631, 7.414809438807992, 23.255231478788037, 33.64759567817359]
MILLS32_Q = [1.0, 7.4052919370295545, 24.390050099348947, 39.975558609984375,
             26.846899864518544]
LOW_PRECISION = (np.dtype(np.float32), np.dtype(np.float16))
# beyond 14.5, e^(-a²/2) is 0 in float32 (e^-105; its smallest is e^-103.3): x Φ(x) -> -0.0
CAP32 = np.float32(14.5)


def _low_precision_gelu(x: np.ndarray, slope: bool) -> tuple:
    """(x Φ(x) in x's dtype, and Φ(x) + x φ(x) in float32 if `slope`, else None) for a 1-d
    float32 or float16 array, in float32: with w = x capped at ±14.5 and a = |w|, φ(a) from one
    exp, Φ(-a) = φ(a) M(a) (the fit above), Φ(x) = |[x >= 0] - Φ(-a)| by arithmetic (np.where
    and where= on random signs are ~25x slower than a pass), x Φ(x) with x capped below
    (-inf's -0.0) and the slope Φ(x) + w φ(a). Near the slope's zero at -0.7518 its two terms
    cancel: an absolute error of ~1e-7 there, as PyTorch's."""
    # (float16: float32 arithmetic, rounded once at the end)
    dtype, x = x.dtype, x.astype(np.float32, copy=False)
    w = np.clip(x, -CAP32, CAP32)
    a = np.abs(w)
    gauss = a * np.float32(-0.5)            # e^(-a²/2) = √(2π) φ(a)
    gauss *= a
    np.exp(gauss, out=gauss)
    cdf = _polyval(MILLS32_P_F32, a)        # M(a) / √(2π) (one rounding fewer than φ's constant
    cdf /= _monic_polyval(MILLS32_Q_F32, a)     # in the exponent)
    cdf *= gauss                            # Φ(-a)
    # Φ(x) = |[x >= 0] - Φ(-a)|: 1 - Φ(-a) from 0 on (-0.0 too: gelu(-0.0) = -0.0 · 1/2),
    # Φ(-a) below (the step written as float32 by the comparison itself: no bool array)
    step = np.greater_equal(x, 0, out=a, casting="unsafe")     # (a is not needed any more)
    step -= cdf
    cdf = np.abs(step, out=step)
    out = np.maximum(x, -CAP32)
    out *= cdf
    out = out.astype(dtype, copy=False)
    if not slope:
        return out, None
    w *= gauss
    w *= np.float32(INV_SQRT_2PI)
    w += cdf
    return out, w


MILLS32_P_F32 = [np.float32(c * INV_SQRT_2PI) for c in MILLS32_P]
MILLS32_Q_F32 = [np.float32(c) for c in MILLS32_Q]


def _x_times(factor: np.ndarray, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """x · factor, in x's dtype. Below -40 the factor is 0: x capped there makes that -0.0 at
    -inf too, where -inf · 0 would be NaN."""
    return (np.maximum(x, -SATURATED) * factor).astype(dtype, copy=False)


def _times_slope(g: Any, x: Any, slope: Any, *saved: Any) -> tuple:
    """(g · slope(x, *saved),): recorded from a node (higher order, which `saved` does not
    serve), else in float64, in x's dtype (over cache-sized blocks where g is x's shape)."""
    if isinstance(x, Node):
        return (g * slope(x),)
    saved = tuple(s for s in saved if s is not None)

    def part(g, x, *saved):
        return ((g * slope(np.asarray(x, dtype=np.float64), *saved)).astype(x.dtype, copy=False),)
    if np.shape(g) != x.shape:
        return part(g, x, *saved)
    return in_blocks(part, (g, x) + saved, (x.dtype,))


class SavedCdf:
    """The exact GELU's ctx: Φ(x), float64, as its forward computed it, for the first-order
    backward (the error function was two thirds of the op's time, computed twice); for float32
    and float16 inputs the slope Φ(x) + x φ(x) itself instead (float32), as `_low_precision_gelu`
    gives it with x Φ(x)."""
    __slots__ = ("cdf", "slope")

    def __init__(self) -> None:
        self.cdf = self.slope = None


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
    # Computed over cache-sized blocks (`in_blocks`): the ~20 float32 passes (float32, float16)
    # or ~45 float64 passes of Φ then stay in L2
    name = "gelu"

    @staticmethod
    def forward(ctx, x):
        if x.dtype in LOW_PRECISION:
            out, slope = in_blocks(lambda part: _low_precision_gelu(part, ctx is not None),
                                   (x,), (x.dtype, None if ctx is None else np.float32))
            if ctx is not None:
                ctx.slope = slope
            return out
        out, cdf = in_blocks(_exact_gelu_and_cdf, (x,), (x.dtype, np.float64))
        if ctx is not None:
            ctx.cdf = cdf
        return out

    @staticmethod
    def backward(ctx, g, out, x):
        if isinstance(x, Node) or x.dtype not in LOW_PRECISION:
            return _times_slope(g, x, gelu_slope, None if ctx is None else ctx.cdf)
        slope = in_blocks(lambda part: _low_precision_gelu(part, True), (x,),
                          (None, np.float32))[1] if ctx is None or ctx.slope is None \
            else ctx.slope
        # g · slope in float32, rounded into x's dtype
        return (np.multiply(g, slope, out=np.empty(slope.shape, x.dtype), casting="same_kind"),)


def _exact_gelu_and_cdf(x: np.ndarray) -> tuple:
    """(x Φ(x) in x's dtype, Φ(x) in float64) for a 1-d part of x."""
    x64 = np.asarray(x, dtype=np.float64)
    cdf = _normal_cdf_array(x64)
    return _x_times(cdf, x64, x.dtype), cdf


class GeluTanh(Op):
    """x σ(2u), u = √(2/π)(x + 0.044715x³);  d/dx = σ(2u) + 2x σ(2u)σ(-2u) √(2/π)(1 + 0.134145x²)
    (the slope kept from the forward, float64, when ctx is a `SavedCdf`)"""
    # In float64 over cache-sized blocks, the slope made with the output from the same
    # e^-|2u| (the backward computed every pass again: a (4096, 512) float32 forward +
    # backward 70 -> 21 ms, CPU time, one thread: docs/measurements.md, s31 transcendental)
    name = "gelu_tanh"

    @staticmethod
    def forward(ctx, x):
        out, slope = in_blocks(lambda part: _gelu_tanh(part, ctx is not None), (x,),
                               (x.dtype, None if ctx is None else np.float64))
        if ctx is not None:
            ctx.slope = slope
        return out

    @staticmethod
    def backward(ctx, g, out, x):
        if ctx is None or isinstance(x, Node) or ctx.slope is None:
            return _times_slope(g, x, gelu_tanh_slope)
        # g · slope in float64, rounded once into x's dtype
        return (np.multiply(g, ctx.slope, out=np.empty(x.shape, x.dtype), casting="same_kind"),)


def _gelu_tanh(x: np.ndarray, slope: bool) -> tuple:
    """(x σ(2u) in x's dtype, and its slope in float64 if `slope`, else None) for a 1-d part of
    x, in float64, from one e^-|2u| (see `gelu_tanh_slope`): the same products in the same
    order as `_two_u`, `sigmoid_from_exp`, `_x_times` and `gelu_tanh_slope`, in place (each
    product commuted where that saves an array: the same numbers), on 8 arrays instead of ~20."""
    x64 = x.astype(np.float64)
    capped = np.clip(x64, -SATURATED, SATURATED)
    two_u = capped * CUBIC                  # 2u = x (1 + 0.044715 x²) 2√(2/π)
    two_u *= capped
    two_u += 1
    two_u *= capped
    two_u *= 2 * SQRT_2_OVER_PI
    e = np.abs(two_u)                       # e^-|2u|
    np.negative(e, out=e)
    np.exp(e, out=e)
    sigmoid = np.maximum(e, two_u >= 0)     # σ(2u) = max(e, [2u >= 0]) / (1 + e)
    one_e = e + 1
    sigmoid /= one_e
    np.maximum(x64, -SATURATED, out=x64)    # (-inf's -0.0)
    x64 *= sigmoid
    out = x64.astype(x.dtype)
    if not slope:
        return out, None
    e *= 2                                  # + x (2e / (1 + e)²) u'
    one_e *= one_e
    e /= one_e
    e *= capped
    du = capped * (3 * CUBIC)
    du *= capped
    du += 1
    du *= SQRT_2_OVER_PI
    e *= du
    e += sigmoid
    return out, e
