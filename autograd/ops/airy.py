"""The Airy function Ai (the solution of y'' = x y that decays for x -> +inf), for float64
arrays: PyTorch's torch.special.airy_ai, which does not differentiate (autograd/special.py
gives it as an op that says so when backward reaches it).

    x > 1.25             Ai(x) = √(x/3)/π · K_{1/3}(ζ), ζ = 2/3 x^(3/2): K by the quadrature of
                         bessel_modified.py (e^ζ K_{1/3}(ζ), then e^-ζ; 0 where that
                         underflows, from x ≈ 104)
    -10.25 <= x <= 1.25  Taylor's series about the nearest point of a grid of step 1/2 on
                         [-10, 1], 30 terms (y'' = x y gives them from Ai and Ai' there:
                         (k+2)(k+1) a_{k+2} = x₀ aₖ + a_{k-1}); the grid's Ai and Ai' come from
                         stepping the same series out from Ai(0) and Ai'(0) in 40-digit decimal
                         arithmetic, once, when first needed
    x < -10.25           the oscillating expansion Ai(-z) ≈ π^(-1/2) z^(-1/4) [cos(ζ - π/4)
                         Σ (-1)ᵏ u₂ₖ/ζ²ᵏ + sin(ζ - π/4) Σ (-1)ᵏ u₂ₖ₊₁/ζ²ᵏ⁺¹], ζ = 2/3 z^(3/2),
                         uₖ = (2k+1)(2k+3)...(6k-1) / (216ᵏ k!)

Ai(±inf) = 0 (the limits; PyTorch gives NaN). Far left the phase ζ carries the rounding of x:
the relative error grows like x^(3/2) · 1e-16 (3e-12 at x = -1000), as it must.

>>> airy_ai(np.array([0.0, 1.0, -2.0]))
array([0.35502805, 0.13529242, 0.22740743])
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from .bessel_modified import _scaled_k_quadrature

# Ai(0) = 1 / (3^(2/3) Γ(2/3)) and Ai'(0) = -1 / (3^(1/3) Γ(1/3)), to 45 digits
AI_0 = "0.355028053887817239260063186004183176397979174"
AI_PRIME_0 = "-0.258819403792806798405183560189203963479091138"
GRID_STEP, GRID_LOW, GRID_HIGH = 0.5, -10.0, 1.0
TAYLOR_TERMS = 30
RIGHT, LEFT = GRID_HIGH + GRID_STEP / 2, GRID_LOW - GRID_STEP / 2


def _taylor(a0: Any, a1: Any, x0: Any, terms: int) -> list:
    """The Taylor coefficients of Ai about x₀ from Ai(x₀), Ai'(x₀), by y'' = x y (works on
    floats and Decimals alike)."""
    a = [a0, a1]
    for k in range(terms - 2):
        below = a[k - 1] if k >= 1 else 0 * a0
        a.append((x0 * a[k] + below) / ((k + 2) * (k + 1)))
    return a


@lru_cache(maxsize=1)
def _grid() -> tuple:
    """Ai and Ai' at GRID_LOW, ..., GRID_HIGH (floats), stepped out from 0 in Decimal."""
    import decimal      # here: ~330 objects alive in every process otherwise, for one use
    with decimal.localcontext() as context:
        context.prec = 40
        step = decimal.Decimal(GRID_STEP)
        points = {0: (decimal.Decimal(AI_0), decimal.Decimal(AI_PRIME_0))}
        for direction, count in ((-1, int(-GRID_LOW / GRID_STEP)),
                                 (1, int(GRID_HIGH / GRID_STEP))):
            value, slope = points[0]
            h = step * direction
            for i in range(count):
                x0 = h * i
                a = _taylor(value, slope, x0, 48)
                value, slope = a[-1], a[-1] * (len(a) - 1)        # Horner's rule for both
                for k in range(len(a) - 2, -1, -1):
                    value = value * h + a[k]
                    if k:
                        slope = slope * h + a[k] * k
                points[direction * (i + 1)] = (value, slope)
        order = sorted(points)
        return (np.array([float(points[i][0]) for i in order]),
                np.array([float(points[i][1]) for i in order]))


def _near(x: np.ndarray) -> np.ndarray:
    """Ai on [LEFT, RIGHT] from the nearest grid point's Taylor series."""
    values, slopes = _grid()
    index = np.rint((x - GRID_LOW) / GRID_STEP).astype(np.int64)
    x0 = GRID_LOW + index * GRID_STEP
    a = _taylor(values[index], slopes[index], x0, TAYLOR_TERMS)
    return np.polyval(a[::-1], x - x0)


def _u(k: int) -> float:
    """uₖ = (2k+1)(2k+3)...(6k-1) / (216ᵏ k!)."""
    return math.prod(range(2 * k + 1, 6 * k, 2)) / (216 ** k * math.factorial(k))


_U = [_u(k) for k in range(24)]
_EVEN = [(-1) ** k * _U[2 * k] for k in range(12)][::-1]
_ODD = [(-1) ** k * _U[2 * k + 1] for k in range(12)][::-1]


def _far_left(x: np.ndarray) -> np.ndarray:
    """Ai(x) for x < -10.25 (0 at -inf)."""
    z = -x
    zeta = 2 / 3 * z * np.sqrt(z)
    w = 1 / zeta
    c, s = np.cos(zeta), np.sin(zeta)
    # cos(ζ - π/4) and sin(ζ - π/4) from cos ζ and sin ζ (ζ - π/4 would round)
    cos_w, sin_w = (c + s) / math.sqrt(2), (s - c) / math.sqrt(2)
    series = cos_w * np.polyval(_EVEN, w * w) + sin_w * np.polyval(_ODD, w * w) * w
    return series / (math.sqrt(math.pi) * np.sqrt(np.sqrt(z)))


def _right(x: np.ndarray) -> np.ndarray:
    """Ai(x) for x > 1.25 (0 where e^-ζ underflows)."""
    zeta = 2 / 3 * x * np.sqrt(x)
    with np.errstate(under="ignore"):
        return np.sqrt(x / 3) / math.pi * _scaled_k_quadrature(1 / 3, zeta) * np.exp(-zeta)


def airy_ai(x: Any) -> np.ndarray:
    """Ai(x), elementwise, in float64 (0 at ±inf, NaN stays NaN)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        return airy_ai(x.reshape(1)).reshape(())
    out = np.where(np.isinf(x), 0.0, np.nan)
    for region, method in (((x >= LEFT) & (x <= RIGHT), _near),
                           ((x > RIGHT) & (x < np.inf), _right),
                           ((x < LEFT) & (x > -np.inf), _far_left)):
        if region.any():
            out[region] = method(x[region])
    return out
