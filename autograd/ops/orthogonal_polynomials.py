"""The classical orthogonal polynomials of PyTorch's torch.special, pₙ(x) for a whole degree n
(taken towards 0, as PyTorch takes a fractional one; 0 for n < 0), by their three-term
recurrences, for float64 arrays. PyTorch does not differentiate them; autograd/special.py
gives them as ops that say so when backward reaches them (ops/no_gradient.py).

    chebyshev T, U, V, W     p_{k+1} = 2x pₖ - p_{k-1}, p₀ = 1 and p₁ = x, 2x, 2x - 1, 2x + 1
    hermite H (physicists')  H_{k+1} = 2x Hₖ - 2k H_{k-1},  H₁ = 2x
    hermite He (probabilists') He_{k+1} = x Heₖ - k He_{k-1},  He₁ = x
    laguerre L               (k+1) L_{k+1} = (2k+1-x) Lₖ - k L_{k-1},  L₁ = 1 - x
    legendre P               (k+1) P_{k+1} = (2k+1) x Pₖ - k P_{k-1},  P₁ = x
    shifted chebyshev        the chebyshev ones at 2x - 1 (orthogonal on [0, 1])

x and n broadcast; the recurrence runs up to the largest n once for all elements (each takes
its own degree's value on the way), so its cost is that n times the elements. The recurrences
are the stable direction for these families: the error grows about linearly in n.

>>> polynomial("chebyshev_polynomial_t", np.array([0.5, 2.0]), np.array([3]))    # 4x³ - 3x
array([-1., 26.])
>>> polynomial("legendre_polynomial_p", np.array([0.5]), np.array([-1, 0, 2]))  # n < 0: 0
array([ 0.   ,  1.   , -0.125])
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _first(name: str, x: np.ndarray) -> np.ndarray:
    """p₁(x) of each family."""
    return {"chebyshev_t": x, "chebyshev_u": 2 * x, "chebyshev_v": 2 * x - 1,
            "chebyshev_w": 2 * x + 1, "hermite_h": 2 * x, "hermite_he": x,
            "laguerre_l": 1 - x, "legendre_p": x}[name]


def _next(name: str, k: int, x: np.ndarray, p: np.ndarray, before: np.ndarray) -> np.ndarray:
    """p_{k+1} from pₖ = p and p_{k-1} = before."""
    if name.startswith("chebyshev"):
        return 2 * x * p - before
    if name == "hermite_h":
        return 2 * x * p - 2 * k * before
    if name == "hermite_he":
        return x * p - k * before
    if name == "laguerre_l":
        return ((2 * k + 1 - x) * p - k * before) / (k + 1)
    return ((2 * k + 1) * x * p - k * before) / (k + 1)           # legendre_p


#: PyTorch's names of them
NAMES = ("chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
         "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
         "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w")


def polynomial(name: str, x: Any, n: Any) -> np.ndarray:
    """pₙ(x) of the family `name` (one of NAMES, PyTorch's), elementwise over x and n broadcast, in
    float64; n is taken towards 0 to a whole number, and pₙ = 0 for n < 0 (PyTorch's)."""
    x = np.asarray(x, dtype=np.float64)
    name = name.replace("_polynomial", "")
    if name.startswith("shifted_"):
        name, x = name[len("shifted_"):], 2 * x - 1
    n = np.trunc(np.asarray(n, dtype=np.float64))
    x, n = np.broadcast_arrays(x, n)
    nan = np.isnan(x) | np.isnan(n)
    out = np.where(nan, np.nan, np.where(n < 0, 0.0, 1.0))  # p₀ = 1, NaN stays NaN
    if not (n >= 1).any():
        return out
    top = int(n[np.isfinite(n)].max())
    before, p = np.ones_like(x), _first(name, x)
    with np.errstate(over="ignore", invalid="ignore"):      # (inf, as the polynomial is)
        out = np.where(n == 1, p, out)
        for k in range(1, top):
            before, p = p, _next(name, k, x, p, before)
            out = np.where(n == k + 1, p, out)
    return out
