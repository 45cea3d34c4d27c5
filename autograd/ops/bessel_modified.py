"""The modified Bessel functions I₀, I₁, K₀, K₁ and their exponentially scaled forms, for float64
arrays (numpy has np.i0 alone, and scipy is not a dependency), and I₀, I₁ and their scaled
forms as ops (PyTorch's torch.special.i0, i0e, i1, i1e differentiate; its K's do not).

    I_ν(x), |x| <= 20   the power series Σₖ (x/2)^(2k+ν) / (k! (k+ν)!): every term positive, so
                        its sum keeps its digits (Horner's rule in t = x²/4, 50 terms)
    I_ν(x), |x| > 20    e^|x| / √(2π|x|) · Σₖ (-1)ᵏ aₖ(ν) / |x|ᵏ, the large-argument expansion,
                        aₖ(ν) = Πⱼ₌₁..ₖ (4ν² - (2j-1)²) / (k! 8ᵏ); its terms shrink until
                        k ≈ 2|x|, so 30 of them are good to float64 from 20 on
    K_ν(x), x <= 1      the series of K₀ and K₁ beside I's: K₀ = -(ln(x/2) + γ) I₀ + Σ Hₖ tᵏ/(k!)²,
                        K₁ = 1/x + ln(x/2) I₁ - x/4 Σ (ψ(k+1) + ψ(k+2)) tᵏ / (k! (k+1)!)
    K_ν(x), x > 1       e^x K_ν(x) = ∫₀^∞ e^(-x (cosh s - 1)) cosh(νs) ds by the trapezoidal
                        rule: the integrand is entire and falls off double-exponentially, so
                        equal steps converge geometrically; 32 steps up to where the integrand
                        is e^-45, each at most 0.25 and 0.4/√x (the peak's width at large x)

The scaled forms are I_ν(x) e^(-|x|) and K_ν(x) e^x: finite and accurate at any x, where
I_ν overflows from |x| ≈ 713 and K_ν underflows from x ≈ 705. I₁ is odd, I₀ even; K is NaN for
x < 0 and inf at 0. I₀(±inf) = inf, I₁(±inf) = ±inf (the limits; PyTorch's i0, i1 give NaN).

>>> modified_bessel_i0(np.array([0.0, 1.0, 30.0]))
array([1.00000000e+00, 1.26606588e+00, 7.81672298e+11])
>>> float(modified_bessel_i1e(np.array(1000.0)))     # I₁(1000) overflows; its scaled form not
0.01261093025692...
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Node, Op, apply, raw
from .elementwise import Where
from .numpy1 import in_input_dtype

EULER_GAMMA = 0.57721566490153286061
SERIES_END = 20.0           # I's power series below, its large-argument expansion above
K_SERIES_END = 1.0          # K's series below, the quadrature above
SERIES_TERMS = 50
ASYMPTOTIC_TERMS = 30
QUADRATURE_STEPS = 32


def _series_coefficients(nu: int, terms: int) -> list:
    """1 / (k! (k+ν)!) for k < terms, highest power first (np.polyval's order)."""
    return [1 / (math.factorial(k) * math.factorial(k + nu)) for k in range(terms)][::-1]


def _asymptotic_coefficients(nu: int, sign: int) -> list:
    """sign^k aₖ(ν) for k < ASYMPTOTIC_TERMS, highest power first: the large-argument
    expansion's coefficients (sign -1 for I, +1 for K)."""
    out, a = [], 1.0
    for k in range(ASYMPTOTIC_TERMS):
        out.append(a * sign ** k)
        a *= (4 * nu * nu - (2 * k + 1) ** 2) / ((k + 1) * 8)
    return out[::-1]


I_SERIES = {nu: _series_coefficients(nu, SERIES_TERMS) for nu in (0, 1)}
I_ASYMPTOTIC = {nu: _asymptotic_coefficients(nu, -1) for nu in (0, 1)}
# Σₖ Hₖ tᵏ / (k!)² and Σₖ (ψ(k+1) + ψ(k+2)) tᵏ / (k! (k+1)!) with ψ(k+1) = Hₖ - γ, for K's series
_HARMONIC = [sum(1 / j for j in range(1, k + 1)) for k in range(SERIES_TERMS + 1)]
K0_SERIES = [_HARMONIC[k] / math.factorial(k) ** 2 for k in range(20)][::-1]
K1_SERIES = [(_HARMONIC[k] + _HARMONIC[k + 1] - 2 * EULER_GAMMA)
             / (math.factorial(k) * math.factorial(k + 1)) for k in range(20)][::-1]


def _scaled_i(nu: int, x: np.ndarray) -> np.ndarray:
    """I_ν(x) e^(-|x|) for a float64 array (NaN stays NaN, 0 at ±inf)."""
    y = np.abs(x)
    near = np.minimum(y, SERIES_END)                # each branch on its own range: no warnings
    t = near * near / 4
    series = np.polyval(I_SERIES[nu], t) * np.exp(-near)
    if nu == 1:
        series = series * (near / 2)
    far = np.maximum(y, SERIES_END)
    with np.errstate(divide="ignore", invalid="ignore"):       # (1/inf is 0: fine)
        expansion = np.polyval(I_ASYMPTOTIC[nu], 1 / far) / np.sqrt(2 * math.pi * far)
    expansion = np.where(far == np.inf, 0.0, expansion)
    out = np.where(y <= SERIES_END, series, expansion)
    return np.copysign(out, x) if nu == 1 else out


def _unscaled_i(nu: int, x: np.ndarray) -> np.ndarray:
    """I_ν(x): the scaled form times e^|x|, in two halves (e^|x| overflows from 709.8, I_ν itself
    from 713.99)."""
    half = np.exp(np.abs(x) / 2)
    with np.errstate(over="ignore", invalid="ignore"):          # inf beyond 713.99, as it is
        out = _scaled_i(nu, x) * half * half
    infinite = np.isinf(x)
    return np.where(infinite, np.copysign(np.inf, x) if nu == 1 else np.inf, out)


def modified_bessel_i0(x: Any) -> np.ndarray:
    """I₀(x), elementwise, in float64.

    >>> modified_bessel_i0(np.array([-2.0, 1000.0]))
    array([2.2795853,       inf])
    """
    return _unscaled_i(0, np.asarray(x, dtype=np.float64))


def modified_bessel_i1(x: Any) -> np.ndarray:
    """I₁(x), elementwise, in float64 (odd)."""
    return _unscaled_i(1, np.asarray(x, dtype=np.float64))


def modified_bessel_i0e(x: Any) -> np.ndarray:
    """I₀(x) e^(-|x|), elementwise, in float64."""
    return _scaled_i(0, np.asarray(x, dtype=np.float64))


def modified_bessel_i1e(x: Any) -> np.ndarray:
    """I₁(x) e^(-|x|), elementwise, in float64 (odd)."""
    return _scaled_i(1, np.asarray(x, dtype=np.float64))


def i1_over_x(x: Any, scaled: bool) -> np.ndarray:
    """I₁(x)/x (times e^(-|x|) if scaled), 1/2 at 0: I₁'s slope is I₀ - I₁/x, finite at 0. From
    the series without the division for |x| < 1, where it is exact there."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    near = np.minimum(y, 1.0)
    t = near * near / 4
    series = np.polyval(I_SERIES[1], t) / 2
    if scaled:
        series = series * np.exp(-near)
    away = np.maximum(y, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        formula = (_scaled_i(1, away) if scaled else _unscaled_i(1, away)) / away
    formula = np.where(y == np.inf, 0.0 if scaled else np.inf, formula)     # (not inf / inf)
    return np.where(y < 1.0, series, formula)


def _k_series(nu: int, x: np.ndarray) -> np.ndarray:
    """K_ν(x) for 0 < x <= 1 (any x > 0 is taken; used there only)."""
    t = x * x / 4
    log_half = np.log(x / 2)
    if nu == 0:
        return -(log_half + EULER_GAMMA) * np.polyval(I_SERIES[0], t) + t * np.polyval(
            K0_SERIES[:-1], t)
    i1 = np.polyval(I_SERIES[1], t) * (x / 2)
    return 1 / x + log_half * i1 - x / 4 * np.polyval(K1_SERIES, t)


def _scaled_k_quadrature(nu: float, x: np.ndarray) -> np.ndarray:
    """e^x K_ν(x) for x >= 1 (or any x > 0.5; used from 1 on), ν any real: the trapezoidal
    rule on ∫₀^∞ e^(-x (cosh s - 1)) cosh(νs) ds (see the module's docstring)."""
    end = np.arccosh(1 + 45 / x)                    # where x (cosh s - 1) = 45
    step = end / QUADRATURE_STEPS
    s = step[..., None] * np.arange(QUADRATURE_STEPS + 1)
    # cosh s - 1 as 2 sinh²(s/2): no cancellation for small s (large x)
    integrand = np.exp(-x[..., None] * (2 * np.sinh(s / 2) ** 2)) * np.cosh(nu * s)
    integrand[..., 0] *= 0.5
    return integrand.sum(axis=-1) * step


def _scaled_k(nu: int, x: np.ndarray) -> np.ndarray:
    """e^x K_ν(x) for a float64 array: NaN below 0, inf at 0, 0 at inf."""
    if x.ndim == 0:
        return _scaled_k(nu, x.reshape(1)).reshape(())
    out = np.full_like(x, np.nan)                   # x < 0 and NaN
    out[x == 0] = np.inf
    out[x == np.inf] = 0.0
    near = (x > 0) & (x <= K_SERIES_END)
    with np.errstate(over="ignore"):                # K₁ ≈ 1/x is inf below 5.6e-309
        out[near] = _k_series(nu, x[near]) * np.exp(x[near])
    far = (x > K_SERIES_END) & (x < np.inf)
    out[far] = _scaled_k_quadrature(nu, x[far])
    return out


def modified_bessel_k0(x: Any) -> np.ndarray:
    """K₀(x), elementwise, in float64: NaN for x < 0, inf at 0.

    >>> modified_bessel_k0(np.array([-1.0, 0.0, 2.0]))
    array([       nan,        inf, 0.11389387])
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(under="ignore"):
        return _scaled_k(0, x) * np.exp(-np.where(x > 0, x, 0.0))


def modified_bessel_k1(x: Any) -> np.ndarray:
    """K₁(x), elementwise, in float64: NaN for x < 0, inf at 0."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(under="ignore"):
        return _scaled_k(1, x) * np.exp(-np.where(x > 0, x, 0.0))


def scaled_modified_bessel_k0(x: Any) -> np.ndarray:
    """K₀(x) e^x, elementwise, in float64."""
    return _scaled_k(0, np.asarray(x, dtype=np.float64))


def scaled_modified_bessel_k1(x: Any) -> np.ndarray:
    """K₁(x) e^x, elementwise, in float64."""
    return _scaled_k(1, np.asarray(x, dtype=np.float64))


# -- the ops: I₀, I₁ and their scaled forms, differentiable to any order ------------------------

def in_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """float64 values in `dtype`, inf where they overflow it (quietly: I₀(100) in float32)."""
    if values.dtype == dtype:
        return values
    with np.errstate(over="ignore"):
        return values.astype(dtype)


def _of(op: type, x: Any) -> Any:
    """op(x) as a node for a node (a higher-order rule), as an array in x's dtype otherwise."""
    if isinstance(x, Node):
        return apply(op, (x,))
    return op.forward(None, x)


def _sign(x: Any) -> np.ndarray:
    """sign(x) of the payload, a constant (the kink of e^(-|x|) at 0 has no slope to follow)."""
    return np.sign(raw(x)).astype(raw(x).dtype, copy=False)


@in_input_dtype
class I0(Op):
    """I₀(x);  d/dx = I₁(x)"""
    name = "i0"

    @staticmethod
    def forward(ctx, x):
        return in_dtype(modified_bessel_i0(x), x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * _of(I1, x),)


@in_input_dtype
class I1(Op):
    """I₁(x);  d/dx = I₀(x) - I₁(x)/x, 1/2 at 0"""
    name = "i1"

    @staticmethod
    def forward(ctx, x):
        return in_dtype(modified_bessel_i1(x), x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        if isinstance(x, Node):
            return (g * (_of(I0, x) - _of(I1OverX, x)),)
        with np.errstate(invalid="ignore"):     # inf - inf at ±inf, where the slope is inf
            slope = _of(I0, x) - _of(I1OverX, x)
        return (g * np.where(np.isinf(x), np.inf, slope).astype(slope.dtype, copy=False),)


@in_input_dtype
class I0e(Op):
    """I₀(x) e^(-|x|);  d/dx = I₁e(x) - sign(x) I₀e(x)"""
    name = "i0e"

    @staticmethod
    def forward(ctx, x):
        return in_dtype(modified_bessel_i0e(x), x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * (_of(I1e, x) - out * _sign(x)),)


@in_input_dtype
class I1e(Op):
    """I₁(x) e^(-|x|);  d/dx = I₀e(x) - I₁e(x)/x - sign(x) I₁e(x), 1/2 at 0"""
    name = "i1e"

    @staticmethod
    def forward(ctx, x):
        return in_dtype(modified_bessel_i1e(x), x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * (_of(I0e, x) - _of(I1eOverX, x) - out * _sign(x)),)


# (I₁/x)' = I₂/x = (I₀ - 2 I₁/x)/x, which cancels near 0: there its series x/8 + x³/96 + x⁵/3072
# (the next term is below 1e-13 of it for |x| < 0.01)
NEAR_ZERO = 0.01


def _i2_over_x(x: Any, scaled: bool) -> Any:
    """I₂(x)/x (times e^(-|x|) if scaled) for an array or a node."""
    i0, i1x = (_of(I0e, x), _of(I1eOverX, x)) if scaled else (_of(I0, x), _of(I1OverX, x))
    x2 = x * x
    series = x * (1 / 8 + x2 * (1 / 96 + x2 * (1 / 3072)))
    if scaled:
        series = series * np.exp(-np.abs(raw(x)))
    near = np.abs(raw(x)) < NEAR_ZERO
    away = x + near.astype(raw(x).dtype)        # x moved off 0 where the series is used
    formula = (i0 - i1x * 2) / away
    if isinstance(x, Node):
        return apply(Where, (series, formula), near)
    return np.where(near, series, formula)


@in_input_dtype
class I1OverX(Op):
    """I₁(x)/x, 1/2 at 0 (I₁'s slope is I₀ minus this);  d/dx = I₂(x)/x"""
    name = "i1_over_x"

    @staticmethod
    def forward(ctx, x):
        return in_dtype(i1_over_x(x, scaled=False), x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * _i2_over_x(x, scaled=False),)


@in_input_dtype
class I1eOverX(Op):
    """I₁(x) e^(-|x|)/x, 1/2 at 0;  d/dx = I₂(x) e^(-|x|)/x - sign(x) I₁(x) e^(-|x|)/x"""
    name = "i1e_over_x"

    @staticmethod
    def forward(ctx, x):
        return in_dtype(i1_over_x(x, scaled=True), x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * (_i2_over_x(x, scaled=True) - out * _sign(x)),)
