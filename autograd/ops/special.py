"""The gamma family and erf's inverse, for float64 arrays (numpy has none of them, and scipy is
not a dependency), and as ops: lgamma, digamma, polygamma(n) and erfinv (`t.lgamma()`,
`t.digamma()`, `t.polygamma(n)`, `t.erfinv()`), computed in float64 and given in the input's
dtype; and two small ops beside them, sinc and copysign. Each gamma function's slope is the
next: lgamma' = digamma = ψ, ψ⁽ⁿ⁾' = ψ⁽ⁿ⁺¹⁾, so every order of derivative is one more
polygamma.

    lgamma(x)   ln |Γ(x)|, vectorised: lgamma(2 + e), |e| <= ½, from a Padé approximant,
                the recurrence Γ(x + 1) = x Γ(x) to x = m + e below 8, Stirling's series
                above, the reflection Γ(x) Γ(1 - x) = π / sin πx left of -½; within 2.2 ulp
                of the exact value for x > 0, relatively, its roots 1 and 2 included (where
                math.lgamma, used before, was off in the first digit)
    ψ⁽ⁿ⁾(x)     for x >= 10 + 2n Stirling's asymptotic series; below, the recurrence
                ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) - (-1)ⁿ n! / xⁿ⁺¹ climbs there; for x < 0 the reflection
                ψ(1 - x) - ψ(x) = π cot(πx), differentiated n times, gives it from ψ⁽ⁿ⁾(1 - x)
    sinc(x)     sin(πx) / (πx) (numpy's), with its slope from a series near 0
    erfinv(y)   a rough first guess (within 0.2 %), then three Halley steps on erf (ops/erf.py),
                or on erfc for |y| > 0.5, where 1 - |y| is exact and erf would lose the digits

At the poles and edges the values are PyTorch's: lgamma is inf at 0, -1, -2, ... and at ±inf;
ψ(+0) = -inf, ψ(-0) = inf, ψ is NaN at -1, -2, ... and at -inf; ψ⁽ⁿ⁾ for n >= 1 is
(-1)ⁿ⁺¹ inf at 0, -1, -2, ... (PyTorch gives a large finite number at some negative
integers: a pole is a pole here) and 0 at +inf (PyTorch: NaN for even n); erfinv(±1) = ±inf,
NaN beyond.

>>> lgamma([0.5, 1.0, 10.0, 0.0])                  # ln √π, 0, ln 9!, a pole
array([ 0.57236494,  0.        , 12.80182748,         inf])
>>> polygamma(0, [1.0, 0.5])                       # -γ, -γ - 2 ln 2
array([-0.57721566, -1.96351003])
>>> float(erfinv(np.array(0.5)))
0.476936276204...
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..graph import Node, Op, apply, raw
from .numpy1 import in_input_dtype
from .elementwise import Where
from .erf import erf, erfc
from .payload_math import exp

# B₂, B₄, ..., B₂₀: the Bernoulli numbers of Stirling's series for lgamma and ψ⁽ⁿ⁾
# as (numerator, denominator): Python divides ints exactly, then rounds once, as Fraction's
# float does (and fractions, with the decimal module it loads, would be ~430 objects more alive
# in every process for the garbage collector to walk)
BERNOULLI = [(1, 6), (-1, 30), (1, 42), (-1, 30), (5, 66), (-691, 2730), (7, 6), (-3617, 510),
             (43867, 798), (-174611, 330)]

# lgamma(z) = (z - ½) ln z - z + ½ ln 2π + Σ B₂ₖ / (2k (2k-1) z²ᵏ⁻¹); 8 terms reach float64
# from z = 7.5 on (the 9th, B₁₈ / (18·17 z¹⁷), is below 1e-17 of lgamma there)
LGAMMA_STIRLING = [p / (q * 2 * k * (2 * k - 1)) for k, (p, q) in enumerate(BERNOULLI[:8], 1)]
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
STIRLING_FROM = 8                     # whole numbers m: x = m + e, |e| <= ½, from m = 8 on

# lgamma(2 + e) = e (1 - γ + e R(e)) for |e| <= ½, R = P/Q the [7/6] Padé approximant of
# R's Taylor series Σₖ (-1)ᵏ (ζ(k) - 1)/k eᵏ⁻² (k >= 2; from ln Γ(1 + z) = -γz + Σ (-1)ᵏ ζ(k)/k zᵏ
# less ln(1 + e)); its coefficients worked out with mpmath (pade, 60 digits), re-derived by a
# test. e R(e) is a small correction to 1 - γ, so lgamma(2 + e) is within 2.1 ulp, relatively,
# to its root at e = 0, where it is exactly 0.
ONE_MINUS_EULER = 0.42278433509846713
PADE_P = [0.3224670334241132, 0.4763301456332529, 0.26577042580623866, 0.06915718747523808,
          0.008289847375713913, 0.0003718462146200468, 2.0695250427842816e-06,
          -1.7551736720551585e-08]
PADE_Q = [1.0, 1.6860093911410539, 1.112505131640162, 0.36212409537463236,
          0.05999088134290344, 0.0046372282886668606, 0.00012354709515568425]


def _horner(coefficients: list[float], x: np.ndarray) -> np.ndarray:
    """Σ cₖ xᵏ from its coefficients, highest power first, in place (np.polyval's and
    P.polyval's own costs are most of the time on a few thousand numbers)."""
    acc = coefficients[0] * x
    acc += coefficients[1]
    for c in coefficients[2:]:
        acc *= x
        acc += c
    return acc


PADE_P_HIGH_FIRST, PADE_Q_HIGH_FIRST = PADE_P[::-1], PADE_Q[::-1]
LGAMMA_STIRLING_HIGH_FIRST = LGAMMA_STIRLING[::-1]


def _lgamma_near_two(e: np.ndarray) -> np.ndarray:
    """lgamma(2 + e) for |e| <= ½, from the Padé approximant."""
    ratio = _horner(PADE_P_HIGH_FIRST, e)
    ratio /= _horner(PADE_Q_HIGH_FIRST, e)
    ratio *= e
    ratio += ONE_MINUS_EULER
    ratio *= e
    return ratio


def _lgamma_shifted(m: np.ndarray, e: np.ndarray) -> np.ndarray:
    """lgamma(m + e) for whole m >= 0 and |e| <= ½ (not m + e = 0), x = m + e split so that no
    digit of e is lost: Stirling's series from m = 8; below, lgamma(2 + e) plus
    ln (2 + e)(3 + e)..(m-1 + e), or less ln(1 + e) for m <= 1 (log1p: both sides vanish at
    e = 0) and less ln |e| for m = 0. Every term is positive for m >= 3, so nothing cancels;
    near the roots 1 and 2 the Padé form keeps the relative digits."""
    far = m >= STIRLING_FROM
    if far.all():
        return _lgamma_stirling(m + e)
    out = np.empty_like(e)
    if far.any():
        out[far] = _lgamma_stirling(m[far] + e[far])
        near = ~far
        m, e = m[near], e[near]
    low = _lgamma_near_two(e)
    top = int(m.max()) if m.size else 0
    if top > 2:
        # (2 + e)(3 + e)..(m - 1 + e), 1 where m <= 2 (ln 1 = 0); np.where, not a ufunc's
        # where=, which is 10x slower (it takes numpy off its vector loops)
        product = np.where(m > 2, 2 + e, 1.0)
        for j in range(3, top):
            product *= np.where(m > j, j + e, 1.0)
        low += np.log(product)
    one = m <= 1
    if one.any():
        eo = e[one]
        below = np.log1p(eo)
        zero = m[one] == 0
        below[zero] += np.log(np.abs(eo[zero]))
        low[one] -= below
    if low.size == out.size:
        return low
    out[~far] = low
    return out


def _lgamma_stirling(z: np.ndarray) -> np.ndarray:
    """lgamma(z) for z >= 7.5: Stirling's series."""
    r = 1 / z
    series = _horner(LGAMMA_STIRLING_HIGH_FIRST, r * r)
    series *= r
    # (z - ½)(ln z - 1), not (z - ½) ln z - z: that would overflow for z a little below
    # where lgamma does (2.55635e305 against 2.55998e305; inf from there, as PyTorch's)
    with np.errstate(over="ignore"):
        return (z - 0.5) * (np.log(z) - 1) + (HALF_LOG_2PI - 0.5) + series


def lgamma(x: Any) -> np.ndarray:
    """ln |Γ(x)|, elementwise, in float64: inf at the poles 0, -1, -2, ... and at ±inf.

    Vectorised: x = m + e with m its nearest whole number (x - m is exact), lgamma(2 + e) from
    a Padé approximant, the recurrence to other m below 8 and Stirling's series from there;
    x < -½ by the reflection lgamma(x) = ln (π / |sin πe|) - lgamma(1 - m - e), and |x| <= ½
    by lgamma(x) = lgamma(2 + x) - ln |x| - ln(1 + x). Within 2.2 ulp (relatively) of mpmath's
    value for x > 0 (a dense grid of (0, 30], up to 1e300 and next to the roots 1 and 2, where
    it is exactly 0); left of 0 within 3.5 ulp but near lgamma's roots there (-2.457...,
    -2.747..., ...), where the reflection's two terms cancel as in any float64 lgamma (the
    error stays below 1.3 ulp of |lgamma(x)| + 2 |lgamma(1 - x)|).

    >>> lgamma([3.0, -0.5, -2.0, -np.inf])         # ln 2, ln (2 √π), a pole
    array([0.69314718, 1.26551212,        inf,        inf])
    """
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(-1)                          # (0-d arrays' arithmetic gives scalars)
    with np.errstate(invalid="ignore"):           # (m and e of ±inf and NaN: not used)
        m = np.round(flat)
        e = flat - m
        negative = m < 0
    fine = np.isfinite(flat) & ((e != 0) | (m >= 1))    # not a pole, ±inf or NaN
    if negative.any():                            # reflected: lgamma(1 - x), 1 - x = (1 - m) - e
        m = np.where(negative, 1 - m, m)
        e = np.where(negative, -e, e)
    if fine.all():
        out = _lgamma_shifted(m, e)
    else:
        out = np.where(np.isnan(flat), np.nan, np.inf)
        out[fine] = _lgamma_shifted(m[fine], e[fine])
    if negative.any():
        left = negative & fine
        out[left] = np.log(math.pi / np.abs(np.sin(math.pi * e[left]))) - out[left]
    return out.reshape(x.shape)


def _series_start(n: int) -> float:
    """Where Stirling's series for ψ⁽ⁿ⁾ is good to float64 with B₂ .. B₂₀ (its k-th term grows
    like (2k + n)! / x^(2k): a larger n needs a larger x)."""
    return 10.0 + 2 * n


@functools.lru_cache(maxsize=None)
def _stirling_terms(n: int) -> tuple[list[float], float, float]:
    """The coefficients of ψ⁽ⁿ⁾'s Stirling series in 1/z², highest first, worked out once per n
    (from the exact fractions, rounded once), and its head's (n-1)! and n!/2."""
    if n == 0:
        return [p / (q * 2 * k) for k, (p, q) in reversed(list(enumerate(BERNOULLI, 1)))], 0, 0
    terms = [p * math.factorial(2 * k + n - 1) / (q * math.factorial(2 * k))
             for k, (p, q) in enumerate(BERNOULLI, 1)]
    return terms[::-1], float(math.factorial(n - 1)), math.factorial(n) / 2


def _stirling(n: int, z: np.ndarray) -> np.ndarray:
    """ψ⁽ⁿ⁾(z) for large z: ψ(z) = ln z - 1/(2z) - Σ B₂ₖ / (2k z²ᵏ), and for n >= 1
    (-1)ⁿ⁺¹ [(n-1)!/zⁿ + n!/(2zⁿ⁺¹) + Σ B₂ₖ (2k+n-1)! / ((2k)! z²ᵏ⁺ⁿ)] (its n-th derivative)."""
    terms, head_n, head_n1 = _stirling_terms(n)
    r = 1 / z
    w = r * r
    if n == 0:
        return np.log(z) - 0.5 * r - _horner(terms, w) * w
    r_n = r
    for _ in range(n - 1):
        r_n = r_n * r
    total = r_n * (head_n + head_n1 * r + _horner(terms, w) * w)
    return total if n % 2 else -total


@functools.lru_cache(maxsize=None)
def _cot_polynomial(n: int) -> np.ndarray:
    """dⁿ/dtⁿ cot(t) written in c = cot(t): a polynomial Pₙ(c), as (cot)' = -(1 + cot²) gives
    Pₙ₊₁(c) = -(1 + c²) Pₙ'(c), from P₀(c) = c. Its coefficients, lowest power first."""
    # (np.polynomial, not imported at the top: numpy 2 loads it on first use, here alone)
    P = np.polynomial.polynomial
    poly = np.array([0.0, 1.0])
    for _ in range(n):
        poly = -P.polymul([1.0, 0.0, 1.0], P.polyder(poly))
    return poly


def _cot_derivative(n: int, c: np.ndarray) -> np.ndarray:
    """Pₙ(c) = dⁿ/dtⁿ cot(t) at c = cot(t)."""
    return np.polynomial.polynomial.polyval(c, _cot_polynomial(n))


def polygamma(n: int, x: Any) -> np.ndarray:
    """ψ⁽ⁿ⁾(x), the (n+1)-th derivative of lgamma, elementwise, in float64 (n = 0: digamma).

    >>> polygamma(1, [1.0, -0.5])                      # π²/6, π²/2 + 4
    array([1.64493407, 8.9348022 ])
    >>> polygamma(0, [0.0, -0.0, -1.0, np.inf])
    array([-inf,  inf,  nan,  inf])
    """
    x = np.array(x, dtype=np.float64)
    out = np.full_like(x, np.nan)                    # NaN stays NaN, and ψ⁽ⁿ⁾(-inf) is NaN
    pole = (x <= 0) & (np.floor(x) == x) & (x > -np.inf)
    if pole.any():
        if n == 0:  # ψ(±0) = ∓inf, PyTorch's; NaN at the negative integers (inf - inf)
            out[pole] = np.where(x[pole] == 0, -np.copysign(np.inf, x[pole]), np.nan)
        else:       # (-1)ⁿ⁺¹ n! / (x + k)ⁿ⁺¹ from the pole's term
            out[pole] = (-1) ** (n + 1) * np.inf
    out[x == np.inf] = np.inf if n == 0 else 0.0
    fine = np.isfinite(x) & ~pole
    xf = x[fine]
    negative = xf < 0
    # one pass up the recurrence for both: x > 0 as it is, x < 0 reflected to 1 - x
    value = _polygamma_positive(n, np.where(negative, 1 - xf, xf))
    if negative.any():
        xn = xf[negative]
        # ψ(1 - x) - ψ(x) = π cot(πx), differentiated n times: (-1)ⁿ ψ⁽ⁿ⁾(1 - x) - ψ⁽ⁿ⁾(x) =
        # πⁿ⁺¹ Pₙ(cot πx); cot of π times x less its nearest whole number (exact: πx would round)
        cot = 1 / np.tan(math.pi * (xn - np.round(xn)))
        reflected = value[negative] if n % 2 == 0 else -value[negative]
        value[negative] = reflected - math.pi ** (n + 1) * _cot_derivative(n, cot)
    out[fine] = value
    return out


def _polygamma_positive(n: int, x: np.ndarray) -> np.ndarray:
    """ψ⁽ⁿ⁾(x) for finite x > 0: up the recurrence to Stirling's series. Every x below the
    series' start takes the same number of steps, enough for the smallest: a step taken where
    none was needed is still exact, and one pass over the whole array per step is 3x faster
    than picking out, step by step, the numbers still below."""
    start = _series_start(n)
    far = x >= start
    if far.all():
        return _stirling(n, x)
    out = np.empty_like(x)
    if far.any():
        out[far] = _stirling(n, x[far])
    z = x[~far]
    below = np.zeros_like(z)      # Σ 1 / (z + k)ⁿ⁺¹ over the steps taken
    r = np.empty_like(z)
    for _ in range(math.ceil(start)):         # (not fewer for larger z: a number's value
                                              # would depend on its neighbours)
        np.divide(1.0, z, out=r)
        if n == 0:
            below += r
        else:
            r_n = r * r
            for _ in range(n - 1):
                r_n *= r
            below += r_n
        z += 1
    out[~far] = _stirling(n, z) - (-1) ** n * math.factorial(n) * below
    return out


# a rough erfinv within 0.2 % (S. Winitzki's formula, a = 0.147) for the Halley steps to refine
_A = 0.147
_TWO_OVER_PI_A = 2 / (math.pi * _A)
SQRT_PI = math.sqrt(math.pi)


def erfinv(y: Any) -> np.ndarray:
    """The x with erf(x) = y, for y in [-1, 1], elementwise, in float64 (±inf at ±1, NaN
    beyond).

    >>> erfinv([0.0, -0.5, 1.0, 1.5])
    array([ 0.        , -0.47693628,         inf,         nan])
    >>> bool(erf(erfinv(1 - 1e-15)) == 1 - 1e-15)
    True
    """
    y = np.array(y, dtype=np.float64)
    a = np.abs(y)
    inside = a < 1
    a = a[inside]
    one_minus_a = 1 - a                   # exact for a >= 0.5
    log_term = np.log(one_minus_a * (1 + a))          # ln(1 - a²)
    half = _TWO_OVER_PI_A + log_term / 2
    x = np.sqrt(np.sqrt(half * half - log_term / _A) - half)
    small = a < 0.1                       # where the formula cancels: two terms of the series
    x[small] = SQRT_PI / 2 * (a[small] + math.pi / 12 * a[small] ** 3)
    tail = a > 0.5
    for _ in range(3):
        # Halley's step for f(x) = erf(x) - a (or erfc(x) - (1 - a)): f'' = -2x f'
        f = np.empty_like(x)
        f[tail] = erfc(x[tail]) - one_minus_a[tail]
        f[~tail] = erf(x[~tail]) - a[~tail]
        slope = 2 / SQRT_PI * np.exp(-x * x) * np.where(tail, -1.0, 1.0)
        step = np.divide(f, slope, out=np.zeros_like(f), where=f != 0)
        x = x - step / (1 + x * step)
    out = np.where(np.abs(y) == 1, np.inf, np.nan)    # NaN stays NaN, and beyond ±1
    out[inside] = x
    return np.copysign(out, y)


def _polygamma_of(n: int, x: Any) -> Any:
    """ψ⁽ⁿ⁾(x) for a payload, or as a Polygamma node for a node (a higher-order rule)."""
    if isinstance(x, Node):
        return apply(Polygamma, (x,), n)
    return polygamma(n, x).astype(x.dtype, copy=False)


class Lgamma(Op):
    """lgamma(x) = ln |Γ(x)|;  d/dx = ψ(x)"""
    name = "lgamma"

    @staticmethod
    def forward(ctx, x):
        return lgamma(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * _polygamma_of(0, x),)


class Polygamma(Op):
    """ψ⁽ⁿ⁾(x), n (ctx) = 0 digamma;  d/dx = ψ⁽ⁿ⁺¹⁾(x)"""
    name = "polygamma"

    @staticmethod
    def forward(n, x):
        return polygamma(n, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(n, g, out, x):
        return (g * _polygamma_of(n + 1, x),)


class Erfinv(Op):
    """erfinv(y), the x with erf(x) = y;  d/dy = √π/2 e^(erfinv(y)²)"""
    name = "erfinv"

    @staticmethod
    def forward(ctx, y):
        return erfinv(y).astype(y.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, out, y):
        return (g * exp(out * out) * (SQRT_PI / 2),)


# sinc's slope (cos(πx) - sinc(x)) / x near 0, where that difference cancels: its Taylor series
# Σₖ (-1)ᵏ 2k π²ᵏ x²ᵏ⁻¹ / (2k+1)!, to x⁷ (the next term is below 1e-18 of it for |x| < 0.01)
SINC_SLOPE_SERIES = [(-1) ** k * 2 * k * math.pi ** (2 * k) / math.factorial(2 * k + 1)
                     for k in range(1, 5)]
SINC_NEAR_ZERO = 0.01


def _sinc_slope(x: Any) -> Any:
    """sinc'(x) for an array or a node: the series near 0 (so the slope of the slope is
    -π²/3 at 0, and no digits are lost), (cos(πx) - sin(πx)/(πx)) / x elsewhere."""
    c1, c2, c3, c4 = SINC_SLOPE_SERIES
    x2 = x * x
    series = x * (c1 + x2 * (c2 + x2 * (c3 + x2 * c4)))
    near = np.abs(raw(x)) < SINC_NEAR_ZERO
    away = x + near.astype(raw(x).dtype)      # x, moved off 0 where the series is used
    pi_x = away * math.pi
    if isinstance(x, Node):
        formula = (pi_x.cos() - pi_x.sin() / pi_x) / away
        return apply(Where, (series, formula), near)
    with np.errstate(invalid="ignore"):       # (inf: NaN, as PyTorch's)
        return np.where(near, series, (np.cos(pi_x) - np.sin(pi_x) / pi_x) / away)


@in_input_dtype
class Sinc(Op):
    """sinc(x) = sin(πx) / (πx), 1 at 0;  d/dx = (cos(πx) - sinc(x)) / x, 0 at 0"""
    name = "sinc"

    @staticmethod
    def forward(ctx, x):
        return np.sinc(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * _sinc_slope(x),)


class Copysign(Op):
    """copysign(a, b) = |a| with b's sign;  d/da = ±1 (0 at a = 0, as PyTorch's), d/db = 0"""
    name, broadcasting = "copysign", True

    @staticmethod
    def forward(ctx, a, b):
        return np.copysign(a, b)

    @staticmethod
    def backward(ctx, g, out, a, b):
        flip = np.where(raw(a) == 0, 0, np.sign(raw(out)) * np.sign(raw(a)))
        zeros = np.zeros(np.shape(raw(b)), raw(g).dtype)     # b.grad is 0, as PyTorch's
        if isinstance(g, Node):
            zeros = g._constant_like(zeros, g)
        return g * flip.astype(raw(g).dtype, copy=False), zeros
