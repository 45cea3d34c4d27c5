"""The error function erf and its complement erfc, for float64 arrays (numpy has neither, and
scipy is not a dependency): what GELU's normal CDF Φ(x) = erfc(-x/√2) / 2 is made of; and the
two as ops (Erf, Erfc: `t.erf()`, `t.erfc()`), computed in float64 over cache-sized blocks and
given in the input's dtype; for a Value's number (a float) the ops take Python's math.erf and
math.erfc. float32 and float16 tensors take a shorter path, accurate to their precision (see
"float32 and float16 inputs" below): float32 results within 0.60 ulp of the exact value (one
ulp of the float64 functions' rounded; 0.13 % of erf's and 1.8 % of erfc's off by that, on a
grid of [-12, 12] with step 2e-5, 10^6 draws and the tail to float32's smallest erfc at ≈
10.1), float16 ones equal to them.

W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations for the
error function", Math. Comp. 23 (1969), 631-637; the coefficients of his CALERF routine), in
three ranges of y = |x|, each a ratio of two polynomials:

    y <= 0.46875        erf(x)  = x · P₁(x²) / Q₁(x²)
    0.46875 < y <= 4     erfc(y) = e^(-y²) · P₂(y) / Q₂(y)
    y > 4               erfc(y) = e^(-y²) / y · (1/√π - t P₃(t) / Q₃(t)),  t = 1/y²

and erf = 1 - erfc, erfc = 1 - erf, erf(-x) = -erf(x), erfc(-x) = 2 - erfc(x) between them.
erfc is computed directly away from 0, so it keeps its relative accuracy far into the tail
(erfc(26) ≈ 6e-296), where 1 - erf would be 0. e^(-y²) is taken as e^(-h²) e^(-(y-h)(y+h))
with h = y cut to a multiple of 1/16: h² is exact, so the rounding of y² (about y² · 1e-16,
7e-14 at y = 26) does not reach the exponent.

Accuracy, as tests/test_erf.py checks against Python's math.erf and math.erfc on a dense grid
of [-30, 30] (step 5e-4) and at tiny |x| (1e-300 .. 1e-5): relative error below 2e-15 for erf
(6e-16 measured) and below 1e-14 for erfc (9e-16 measured) wherever it is a normal (not
subnormal) float, so a few units in the last place. erf(±inf) = ±1, erfc(+inf) = 0,
erfc(-inf) = 2, NaN stays NaN; no overflow at any input (y is capped at 40, where e^(-y²) is
already 0).

>>> erf([0.0, 0.5, -3.0]).round(8)
array([ 0.        ,  0.52049988, -0.99997791])
>>> float(erfc(np.array(10.0)))           # 1 - erf(10) would be 0.0
2.08848758376254...e-45
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Op
from .blocks import in_blocks
from .payload_math import exp

# the three ranges meet at 0.46875 and 4 (Cody's choice)
NEAR_ZERO, FAR = 0.46875, 4.0
# erfc(y) is 0 in float64 beyond y ≈ 27.23; capping y at 40, past that point, keeps y² and
# 1/y² finite
CAP = 40.0
INV_SQRT_PI = 1 / math.sqrt(math.pi)

# Cody's coefficients, highest power first (as np.polyval takes them)
P1 = [1.85777706184603153e-1, 3.16112374387056560, 1.13864154151050156e2, 3.77485237685302021e2,
      3.20937758913846947e3]
Q1 = [1.0, 2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3,
      2.84423683343917062e3]
P2 = [2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1,
      2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3,
      1.23033935479799725e3]
Q2 = [1.0, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2,
      1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3,
      1.23033935480374942e3]
P3 = [1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
      1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4]
Q3 = [1.0, 2.56852019228982242, 1.87295284992346047, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3]


def _polyval(coefficients: list, x: np.ndarray) -> np.ndarray:
    """np.polyval(coefficients, x), bit for bit (the same products and sums in the same order),
    in place on one new array: twice as fast (np.polyval makes two arrays per coefficient)."""
    result = x * coefficients[0]
    result += coefficients[1]
    for c in coefficients[2:]:
        result *= x
        result += c
    return result


def _monic_polyval(coefficients: list, x: np.ndarray) -> np.ndarray:
    """_polyval of coefficients whose first is 1: x + c₁ to start, one pass fewer (the same
    sums and products as _polyval after its x · 1)."""
    result = x + coefficients[1]
    for c in coefficients[2:]:
        result *= x
        result += c
    return result


def _erf_near_zero(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """erf(x) for |x| <= 0.46875, given y = |x| capped: x times a ratio that is 2/√π at 0
    (1e-300 keeps its digits). Computed for any x, used near zero only."""
    t = y * y
    return x * (_polyval(P1, t) / _polyval(Q1, t))


def _scaled_erfc_away_from_zero(y: np.ndarray) -> np.ndarray:
    """erfc(y) e^(y²) (scipy's erfcx) for y > 0.46875: Cody's ratios without their e^(-y²)
    factor, so it keeps its digits at any y >= 0 up to inf (where it is 0; ≈ 1/(y√π) far
    out), as log_ndtr's left tail needs. Computed for any y >= 0, used away from zero only."""
    # the cap keeps the degree-8 polynomials finite (they serve y <= 4 only) and 1/y² from
    # overflowing; both change nothing below 40, so erfc keeps its bits
    near = np.minimum(y, CAP)
    ratio = _polyval(P2, near) / _polyval(Q2, near)
    far = y > FAR
    if far.any():                   # (rare in a network's activations: beyond 4 only)
        tail = y[far]
        capped = np.minimum(tail, 1e150)
        t = 1 / (capped * capped)
        ratio[far] = (INV_SQRT_PI - t * _polyval(P3, t) / _polyval(Q3, t)) / tail
    return ratio


def _erfc_away_from_zero(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y > 0.46875, given y capped at 40 (0 from y ≈ 27.23 on). Computed for any
    y >= 0, used away from zero only."""
    ratio = _scaled_erfc_away_from_zero(y)
    h = np.trunc(y * 16) / 16
    return ratio * np.exp(-h * h) * np.exp(-(y - h) * (y + h))


# erf and erfc compute both pieces for every element and pick one with np.where: picking the
# elements first (x[near], then writing back) made four gathers or scatters by a mask, each as
# slow as the polynomials (measured on 64 x 256 normal numbers: erfc 551 -> 289 µs, bit for bit).

def erf(x: Any) -> np.ndarray:
    """The error function 2/√π ∫₀ˣ e^(-t²) dt, elementwise, in float64 (see the module's
    docstring for the method and its accuracy).

    >>> erf([1e-300, 1.0, np.inf, np.nan])
    array([1.12837917e-300, 8.42700793e-001, 1.00000000e+000,             nan])
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:                 # (0-d results come as numpy scalars: no ratio[far] = ...)
        return erf(x.reshape(1)).reshape(())
    y = np.minimum(np.abs(x), CAP)
    return np.where(y <= NEAR_ZERO, _erf_near_zero(x, y),
                    np.copysign(1 - _erfc_away_from_zero(y), x))     # (NaN stays NaN)


def erfc(x: Any) -> np.ndarray:
    """1 - erf(x), elementwise, in float64, computed directly where it is small (x > 0.47), so
    that it keeps its relative accuracy in the tail.

    >>> erfc([-np.inf, 0.0, 1.0, 26.0, np.inf])
    array([2.00000000e+000, 1.00000000e+000, 1.57299207e-001, 5.66319241e-296,
           0.00000000e+000])
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:                 # (0-d results come as numpy scalars: no ratio[far] = ...)
        return erfc(x.reshape(1)).reshape(())
    y = np.minimum(np.abs(x), CAP)
    away = _erfc_away_from_zero(y)
    return np.where(y <= NEAR_ZERO, 1 - _erf_near_zero(x, y),
                    np.where(x > 0, away, 2 - away))                # (NaN stays NaN)


TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _erf_slope(x: Any) -> Any:
    """2/√π e^(-x²), erf's slope, for an array, a node or a float. x is clipped to ±40 first
    (e^-1600 is 0 in every float, as the forward caps y): x² overflowed beyond it, with
    numpy's warning, past |x| ~1.8e19 in float32 and already at ±1000 in float16. (A float's
    square, a Value's, is inf quietly; a Value has no clip.)"""
    if hasattr(x, "clip"):
        x = x.clip(-40.0, 40.0)
    return exp(-(x * x)) * TWO_OVER_SQRT_PI


# ----------------------------------------------------------------------------------------------
# float32 and float16 inputs (the Erf and Erfc ops): a float32 result needs 6e-8, not Cody's
# 1e-16, so erfc(y) = e^(-y²) √(2/π) M(√2 y) with Mills' ratio M = Φ(-a) / φ(a) as a rational
# function of degree 4 over 5, fitted for this module (least squares on P - M Q over 3,000
# Chebyshev points of [0, 14.5], M from mpmath at 40 digits, reweighted (Lawson) toward the
# smallest largest relative error: 5.9e-9; positive coefficients, so M stays positive and finite
# to the cap). One range serves all of y > 0.46875 (Cody's 4 ranges' far one, only ever picked
# by a mask, is not needed: beyond 4 erf rounds to ±1 in float32, and erfc keeps 6e-9 down to
# float32's smallest number at y ≈ 10.1), and y = |x| of a float32 is exact in float64, so is y²:
# one exp, no split exponent. In float64 over cache-sized blocks (`in_blocks`), each result
# rounded once: within 0.5 + 0.1 units in the last place of the exact value (the float64 path's
# rounded numbers, or one ulp next to them: tests/test_erf.py). ~30 passes instead of ~65 and
# a masked subset; (4096, 512) float32, CPU time: see docs/measurements.md, s31 transcendental.
# ----------------------------------------------------------------------------------------------

MILLS32_P = [1.0000116003688588, 9.871344262254603, 44.51450575386377, 106.47734549871797,
             121.46678656867692]
MILLS32_Q = [1.0, 9.871968901127715, 45.50000184454572, 116.5432951801302, 162.28482834160255,
             96.91647308125303]
# the numerator with erfc's √(2/π) in it, so that P(a) / Q(a) is √(2/π) M(a): one pass fewer
ERFC32_P = [c * math.sqrt(2 / math.pi) for c in MILLS32_P]
LOW_PRECISION = (np.dtype(np.float32), np.dtype(np.float16))


def _low_precision_parts(x: np.ndarray) -> tuple:
    """(x in float64, its near-zero erf x P₁(x²)/Q₁(x²), erfc(|x|) away from zero, and the mask
    |x| <= 0.46875) for a 1-d part of a float32 or float16 array; erfc from the Mills' ratio
    fit above. x is capped at ±40 first (e^-1600 is 0), which keeps the polynomials finite."""
    x64 = x.astype(np.float64)
    np.clip(x64, -CAP, CAP, out=x64)
    square = x64 * x64
    near = _polyval(P1, square)
    near /= _polyval(Q1, square)
    near *= x64
    y = np.abs(x64)
    mask = y <= NEAR_ZERO
    y *= math.sqrt(2)                       # a = √2 y, where erfc(y) = 2 Φ(-a)
    away = _polyval(ERFC32_P, y)
    away /= _monic_polyval(MILLS32_Q, y)
    np.negative(square, out=square)
    away *= np.exp(square, out=square)
    return x64, near, away, mask


def _low_precision_erf(x: np.ndarray) -> tuple:
    x64, near, away, mask = _low_precision_parts(x)
    np.subtract(1.0, away, out=away)
    np.copysign(away, x64, out=away)                    # (NaN stays NaN)
    return (np.where(mask, near, away).astype(x.dtype),)


def _low_precision_erfc(x: np.ndarray) -> tuple:
    x64, near, away, mask = _low_precision_parts(x)
    np.subtract(1.0, near, out=near)
    # 2 - erfc(|x|) below 0: -erfc(|x|) + 2, the same rounding; erfc(|x|) + 0 above
    np.copysign(away, x64, out=away)
    away += 2.0 * (x64 < 0)
    return (np.where(mask, near, away).astype(x.dtype),)


class Erf(Op):
    """erf(x) = 2/√π ∫₀ˣ e^(-t²) dt;  d/dx = 2/√π e^(-x²)  (float32: within 0.6 ulp)"""
    name = "erf"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return math.erf(x)
        if x.dtype in LOW_PRECISION:
            return in_blocks(_low_precision_erf, (x,), (x.dtype,))[0]
        return in_blocks(lambda part: (erf(part).astype(x.dtype, copy=False),), (x,),
                         (x.dtype,))[0]

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * _erf_slope(x),)


class Erfc(Op):
    """erfc(x) = 1 - erf(x), keeping its digits where it is tiny;  d/dx = -2/√π e^(-x²)
    (float32: within 0.6 ulp, down to its smallest number)"""
    name = "erfc"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return math.erfc(x)
        if x.dtype in LOW_PRECISION:
            return in_blocks(_low_precision_erfc, (x,), (x.dtype,))[0]
        return in_blocks(lambda part: (erfc(part).astype(x.dtype, copy=False),), (x,),
                         (x.dtype,))[0]

    @staticmethod
    def backward(ctx, g, out, x):
        return (-(g * _erf_slope(x)),)
