"""The Bessel functions of the first and second kind J₀, J₁, Y₀, Y₁ and the spherical j₀, for
float64 arrays (numpy has none of them, and scipy is not a dependency). PyTorch's
torch.special.bessel_j0 and the rest do not differentiate; autograd/special.py gives them as
ops that say so when backward reaches them (ops/no_gradient.py).

    x <= 1          the power series: J₀ = Σ (-t)ᵏ/(k!)², J₁ = x/2 Σ (-t)ᵏ/(k! (k+1)!), t = x²/4;
                    Y₀ = 2/π [(ln(x/2) + γ) J₀ + Σₖ₌₁ (-1)ᵏ⁺¹ Hₖ tᵏ/(k!)²],
                    Y₁ = -2/(πx) + 2/π ln(x/2) J₁ - x/(2π) Σ (ψ(k+1) + ψ(k+2)) (-t)ᵏ/(k! (k+1)!)
    1 < x <= 20     Miller's backward recurrence: b_{k-1} = (2k/x) bₖ - b_{k+1} from b₆₆ = 1,
                    b₆₇ = 0 runs down the minimal solution, J_k ∝ b_k; the sum
                    J₀ + 2 Σ J₂ₖ = 1 fixes the scale. Neumann's series give the Y's from the
                    same J's: Y₀ = 2/π (ln(x/2) + γ) J₀ - 4/π Σₖ₌₁ (-1)ᵏ J₂ₖ/k, and Y₁ = -Y₀'
                    (J_n' = (J_{n-1} - J_{n+1})/2)
    x > 20          Hankel's expansion: J_ν = √(2/(πx)) (P cos ω - Q sin ω), Y_ν = √(2/(πx))
                    (P sin ω + Q cos ω), ω = x - νπ/2 - π/4, P and Q the even and odd terms of
                    Σ (-1)^⌊k/2⌋ aₖ(ν)/xᵏ (aₖ as in bessel_modified.py); cos ω and sin ω from
                    cos x and sin x (x - π/4 would round)

The error is absolute, about 1e-16 times the function's envelope (√(2/(πx)) far out), so near
a zero the relative error grows as it must for any method that rounds x. J₀ is even and J₁
odd; Y is NaN for x < 0 and -inf at 0; all four are 0 at +inf (PyTorch's: NaN) and J's at -inf.

>>> bessel_j0(np.array([0.0, 1.0, 30.0]))
array([ 1.        ,  0.76519769, -0.08636798])
>>> bessel_y1(np.array([-1.0, 0.0, 2.0]))
array([       nan,       -inf, -0.10703243])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .bessel_modified import EULER_GAMMA, _HARMONIC, _asymptotic_coefficients

SERIES_END, HANKEL_START = 1.0, 20.0
MILLER_START = 66           # J₆₆(20) ≈ 1e-27: the recurrence's start leaves no trace
TERMS = 18                  # of the power series: t <= 1/4 gives 4⁻¹⁸/(18!)² ≈ 1e-43

# Σ (-t)ᵏ/(k! (k+ν)!), and Y's sums, highest power first
_J_SERIES = {nu: [(-1) ** k / (math.factorial(k) * math.factorial(k + nu))
                  for k in range(TERMS)][::-1] for nu in (0, 1)}
_Y0_SERIES = [(-1) ** (k + 1) * _HARMONIC[k] / math.factorial(k) ** 2 for k in range(TERMS)][::-1]
_Y1_SERIES = [(-1) ** k * (_HARMONIC[k] + _HARMONIC[k + 1] - 2 * EULER_GAMMA)
              / (math.factorial(k) * math.factorial(k + 1)) for k in range(TERMS)][::-1]
# Hankel's P and Q: the even and odd terms of Σ aₖ(ν) zᵏ with the signs (-1)^⌊k/2⌋
_HANKEL = {}
for _nu in (0, 1):
    _a = _asymptotic_coefficients(_nu, 1)[::-1]           # lowest power first
    _HANKEL[_nu] = ([(-1) ** (k // 2) * _a[k] for k in range(0, len(_a), 2)][::-1],
                    [(-1) ** (k // 2) * _a[k] for k in range(1, len(_a), 2)][::-1])


def _series(x: np.ndarray) -> tuple:
    """J₀, J₁, Y₀, Y₁ for 0 < x <= 1 (computed for any x > 0)."""
    t = x * x / 4
    j0 = np.polyval(_J_SERIES[0], t)
    j1 = np.polyval(_J_SERIES[1], t) * (x / 2)
    log_term = np.log(x / 2)
    y0 = 2 / math.pi * ((log_term + EULER_GAMMA) * j0 + t * np.polyval(_Y0_SERIES[:-1], t))
    y1 = (-2 / (math.pi * x) + 2 / math.pi * log_term * j1
          - x / (2 * math.pi) * np.polyval(_Y1_SERIES, t))
    return j0, j1, y0, y1


def _miller(x: np.ndarray) -> tuple:
    """J₀, J₁, Y₀, Y₁ for 1 <= x <= 20 by the backward recurrence (see the module's
    docstring); b grows by at most 2k/x <= 132 a step, 1e113 in all: no rescaling needed."""
    b = [None] * (MILLER_START + 2)
    b[MILLER_START + 1], b[MILLER_START] = np.zeros_like(x), np.ones_like(x)
    for k in range(MILLER_START, 0, -1):
        b[k - 1] = (2 * k / x) * b[k] - b[k + 1]
    halves = range(1, MILLER_START // 2 + 1)
    scale = b[0] + 2 * sum(b[2 * k] for k in halves)               # J₀ + 2 Σ J₂ₖ = 1
    neumann0 = sum((-1) ** k / k * b[2 * k] for k in halves)        # Σ (-1)ᵏ J₂ₖ / k
    neumann1 = sum((-1) ** k / k * (b[2 * k - 1] - b[2 * k + 1]) for k in halves)
    j0, j1 = b[0] / scale, b[1] / scale
    log_term = np.log(x / 2) + EULER_GAMMA
    y0 = 2 / math.pi * (log_term * j0 - 2 * neumann0 / scale)
    y1 = 2 / math.pi * (-j0 / x + log_term * j1 + neumann1 / scale)
    return j0, j1, y0, y1


def _hankel(x: np.ndarray) -> tuple:
    """J₀, J₁, Y₀, Y₁ for x >= 20 by Hankel's expansion (0 at inf)."""
    z = 1 / x
    envelope = np.sqrt(2 / (math.pi * x))
    finite = np.isfinite(x)
    angle = np.where(finite, x, 0.0)
    c, s = np.where(finite, np.cos(angle), 0.0), np.where(finite, np.sin(angle), 0.0)
    out = []
    for nu in (0, 1):
        p_coefficients, q_coefficients = _HANKEL[nu]
        p = np.polyval(p_coefficients, z * z)
        q = np.polyval(q_coefficients, z * z) * z
        # ω = x - π/4 (ν = 0) or x - 3π/4 (ν = 1), its cos and sin without rounding x - π/4
        if nu == 0:
            cos_w, sin_w = (c + s) / math.sqrt(2), (s - c) / math.sqrt(2)
        else:
            cos_w, sin_w = (s - c) / math.sqrt(2), -(s + c) / math.sqrt(2)
        out.append((envelope * (p * cos_w - q * sin_w), envelope * (p * sin_w + q * cos_w)))
    (j0, y0), (j1, y1) = out
    return j0, j1, y0, y1


def _bessel_jy(x: np.ndarray) -> tuple:
    """J₀(|x|), J₁(|x|), Y₀(|x|), Y₁(|x|) for x > 0 (each region on its own elements)."""
    if x.ndim == 0:
        return tuple(v.reshape(()) for v in _bessel_jy(x.reshape(1)))
    out = [np.full_like(x, np.nan) for _ in range(4)]
    for region, method in (((x > 0) & (x <= SERIES_END), _series),
                           ((x > SERIES_END) & (x <= HANKEL_START), _miller),
                           (x > HANKEL_START, _hankel)):
        if region.any():
            for o, v in zip(out, method(x[region])):
                o[region] = v
    return tuple(out)


def bessel_j0(x: Any) -> np.ndarray:
    """J₀(x), elementwise, in float64 (even; 1 at 0, 0 at ±inf)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    return np.where(y == 0, 1.0, _bessel_jy(y)[0])


def bessel_j1(x: Any) -> np.ndarray:
    """J₁(x), elementwise, in float64 (odd; 0 at 0 and ±inf)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    j1 = np.where(y == 0, 0.0, _bessel_jy(y)[1])
    return np.where(x < 0, -j1, j1)                 # (-0 at -0)


def _second_kind(x: np.ndarray, which: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.where(x == 0, -np.inf, _bessel_jy(x)[which])       # NaN below 0


def bessel_y0(x: Any) -> np.ndarray:
    """Y₀(x), elementwise, in float64 (NaN for x < 0, -inf at 0)."""
    return _second_kind(x, 2)


def bessel_y1(x: Any) -> np.ndarray:
    """Y₁(x), elementwise, in float64 (NaN for x < 0, -inf at 0)."""
    return _second_kind(x, 3)


def spherical_bessel_j0(x: Any) -> np.ndarray:
    """j₀(x) = sin(x)/x, 1 at 0, 0 at ±inf; near 0 its series 1 - x²/6 + x⁴/120 - x⁶/5040,
    where sin(x)/x is also exact but 0/0 at 0 itself."""
    x = np.asarray(x, dtype=np.float64)
    near = np.abs(x) < 1e-3
    x2 = x * x
    series = 1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42))
    away = np.where(near | ~np.isfinite(x), 1.0, x)
    return np.where(near, series, np.where(np.isinf(x), 0.0, np.sin(away) / away))
