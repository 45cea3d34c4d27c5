"""GELU, x Φ(x) with Φ the standard normal CDF, exact (Gelu) or with PyTorch's tanh
approximation (GeluTanh); and Φ itself as an op, which the exact GELU's slope is built from when
it is recorded for higher-order gradients.

    gelu(x)        = x Φ(x),  Φ(x) = erfc(-x/√2) / 2
                     d/dx = Φ(x) + x φ(x)
    gelu_tanh(x)   = x σ(2u),  u = √(2/π) (x + 0.044715 x³),  so σ(2u) = (1 + tanh u) / 2
                     d/dx = σ(2u) + x σ'(2u) 2u' = σ(2u) + 2x σ(2u)σ(-2u) √(2/π)(1 + 0.134145x²)

φ(x) = e^(-x²/2) / √(2π) is the normal density. Both are computed in float64 over cache-sized
blocks (`blocks.in_blocks`; a float32 input's output and gradient g · slope are each rounded
back once, at the end, so the tanh form's float32 numbers are the float64 ones rounded, and
the exact form's within one ulp of them; the higher-order pass records Tensor ops in the
input's dtype instead), without cancellation: Φ comes from erfc (for the exact GELU's float32 and
float16 inputs from a shorter rational fit, to 1e-10: see `_low_precision_gelu`), not 1 + erf, and
the tanh form from a stable sigmoid, not 1 + tanh, so gelu(-10) ≈ -7.6e-23 keeps its digits.
Beyond |x| = 40 every factor is exactly 0 or 1 in float64, so x is capped there where that
changes nothing but keeps x³ finite and ±inf · 0 out: gelu(-inf) = -0.0 and its slope 0.
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
# The exact GELU for float32 and float16 inputs: Φ to 1e-10 (float32 keeps 6e-8) in ~30 numpy
# passes instead of the error function's ~45, on three float64 arrays instead of about ten; its
# outputs and slopes within one float32 ulp of the float64 path's, rounded (tests/test_gelu.py)
# ----------------------------------------------------------------------------------------------

# Mills' ratio M(a) = Φ(-a) / φ(a), a >= 0, as P(a) / Q(a), P of degree 5 and Q of degree 6
# (monic), highest power first. Fitted for this module in float64 by least squares on P - M Q
# over 8,000 points of [0, 14.5] (M from mpmath at 40 digits), reweighted (Lawson) toward the
# smallest largest relative error: 9.3e-11 there, checked against erfc on 2e6 points. Beyond
# 14.5, x Φ(x) and the slope are below float32's smallest number; M stays in (0, a) up to 40.
MILLS_P = [0.9999987669689054, 13.079067823176189, 80.05981705386917, 281.2038135085924,
           569.3737649960262, 560.6863693307622]
MILLS_Q = [1.0, 13.078984938473722, 81.06229811685752, 294.2386579198534, 647.9614632178443,
           811.238561514342, 447.36299757822945]
LOG_INV_SQRT_2PI = -0.5 * math.log(2 * math.pi)
LOW_PRECISION = (np.dtype(np.float32), np.dtype(np.float16))

# The slope Φ(x) + x φ(x) is 0 at x = SLOPE_ROOT (the float64 nearest; mpmath, 40 digits),
# where its two terms cancel: 1e-10 of Φ is a large part of it there. Within ±ROOT_WINDOW it is
# taken from its Taylor series about the root instead, d (c₁ + c₂d + ... + c₅d⁴), d = x - root,
# cₖ = slopeᵏ(root) / k! (its next term is 1e-12 of the slope there). From 0.0044 away on,
# 1e-10 · Φ is below a quarter of float32's unit in the last place of the slope. (The
# nearest float32 to the root is 1.2e-8 from it: d keeps 1e-9 of its digits.)
SLOPE_ROOT = -0.7517915246935645
ROOT_WINDOW = 0.01


def _slope_taylor_coefficients(x: float, terms: int) -> list:
    """[c_terms, ..., c₂, c₁], cₖ = slopeᵏ(x) / k! (highest first, as _polyval takes them),
    from slope' = φ (2 - x²) and (φ p)' = φ (p' - x p), p's coefficients lowest power first
    (plain lists: np.polynomial would be ~580 objects alive in every process, for 5 numbers)."""
    p, out = [2.0, 0.0, -1.0], []
    pdf = math.exp(-x * x / 2) * INV_SQRT_2PI
    for k in range(1, terms + 1):
        p_x = 0.0
        for c in reversed(p):                   # Horner's rule
            p_x = p_x * x + c
        out.append(pdf * p_x / math.factorial(k))
        derivative = [i * c for i, c in enumerate(p)][1:] + [0.0, 0.0]
        p = [d - c for d, c in zip(derivative, [0.0] + p)]     # p' - x p, one degree up
    return out[::-1]


SLOPE_TAYLOR = _slope_taylor_coefficients(SLOPE_ROOT, 5)


def _low_precision_gelu(x: np.ndarray, slope: bool) -> tuple:
    """(x Φ(x) in x's dtype, and Φ(x) + x φ(x) in float64 if `slope`, else None) for a float32
    or float16 array x of at least one dimension, each from float64 numbers rounded once.
    With a = |x| capped at 40: φ(a) from exp, Φ(-a) = φ(a) M(a) with Mills' ratio M as the
    rational fit above (relative error 1e-10 while Φ(-a) is a float32 number, a <= 14.5), and
    Φ(x) = Φ(-a) + [x > 0] (1 - 2 Φ(-a)). In place on three float64 arrays, of which only the
    slope is kept: a fresh one of 16k numbers or more can be page-faulted in anew every step
    (erfc's 288 faults a call were most of its time on a busy host)."""
    # (np.clip with both bounds: twice as fast as np.minimum with one; float32 passes are cheap)
    a = np.abs(np.clip(x, -SATURATED, SATURATED)).astype(np.float64)
    cdf = _polyval(MILLS_P, a)
    den = _monic_polyval(MILLS_Q, a)        # (kept: its buffer takes `flip` below)
    cdf /= den
    pdf = np.multiply(a, a, out=a)
    pdf *= -0.5
    pdf += LOG_INV_SQRT_2PI                 # φ(a) = e^(-a²/2 - ln √(2π)), one pass fewer
    np.exp(pdf, out=pdf)
    cdf *= pdf                              # Φ(-a)
    # (arithmetic in place, not np.where, which is as slow and makes two arrays)
    flip = np.multiply(cdf, -2.0, out=den)
    flip += 1.0
    flip *= x > 0
    cdf += flip
    # x capped at -40 makes -inf's -0.0
    out = np.multiply(np.clip(x, -SATURATED, np.inf), cdf, out=np.empty(x.shape, x.dtype),
                      casting="same_kind")
    if not slope:
        return out, None
    grad = np.multiply(np.clip(x, -SATURATED, SATURATED), pdf, out=pdf)
    grad += cdf
    near = np.abs(x - np.asarray(SLOPE_ROOT, x.dtype)) < ROOT_WINDOW
    if near.any():                          # (0.6 % of normal numbers)
        d = x[near].astype(np.float64) - SLOPE_ROOT
        grad[near] = _polyval(SLOPE_TAYLOR, d) * d
    return out, grad


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
    and float16 inputs the slope Φ(x) + x φ(x) itself instead (float64), as `_low_precision_gelu`
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
    # Computed over cache-sized blocks (`in_blocks`): the ~30-45 float64 passes of Φ then stay
    # in L2 (a (4096, 512) float32 forward + slope 38 -> 20 ms, the same numbers)
    name = "gelu"

    @staticmethod
    def forward(ctx, x):
        if x.dtype in LOW_PRECISION:
            out, slope = in_blocks(lambda part: _low_precision_gelu(part, ctx is not None),
                                   (x,), (x.dtype, None if ctx is None else np.float64))
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
                          (None, np.float64))[1] if ctx is None or ctx.slope is None \
            else ctx.slope
        # g · slope in float64, rounded once into x's dtype (no float64 array of it)
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
