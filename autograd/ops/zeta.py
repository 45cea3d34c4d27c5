"""The Hurwitz zeta function ζ(x, q) = Σₖ₌₀ (q + k)^(-x) (PyTorch's torch.special.zeta), for
float64 arrays, and as an op with q's slope: ∂ζ/∂q = -x ζ(x + 1, q) (the series differentiated
term by term, which converges uniformly for x > 1), itself a zeta, so every order follows.
PyTorch differentiates q alone, so does this op: asking for x's gradient raises.

The first N = 20 terms (more for q < 0: enough to pass q + N > 20) summed, then the rest by
Euler-Maclaurin's formula at a = q + N:

    Σₖ₌N^∞ (q + k)^(-x) = a^(1-x)/(x-1) + a^(-x)/2 + Σⱼ B₂ⱼ/(2j)! x(x+1)...(x+2j-2) a^(-x-2j+1)

with B₂ .. B₂₀ (ops/special.py's Bernoulli numbers); the terms' ratio is about
((x+2j)/(2πa))², small for a > 20 wherever they matter (a large x makes q^(-x) outweigh them).

Values where the series does not converge are PyTorch's: ζ(1, q) = inf, NaN for x < 1;
for q <= 0, inf at whole q, NaN at fractional q unless x is whole (then the terms are real).

>>> hurwitz_zeta(np.array([2.0, 4.0]), np.array([1.0, 1.0])) * [6, 90] / np.pi ** np.array([2, 4])
array([1., 1.])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Node, Op, apply, raw
from .bessel_modified import in_dtype
from .special import BERNOULLI

TERMS = 20
_TAIL = [p / q / math.factorial(2 * j) for j, (p, q) in enumerate(BERNOULLI, 1)]


def hurwitz_zeta(x: Any, q: Any) -> np.ndarray:
    """ζ(x, q) elementwise over x and q broadcast, in float64 (see the module's docstring)."""
    x, q = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(q, dtype=np.float64))
    whole_q = q == np.floor(q)
    shift = np.where(q < 0, np.ceil(-np.where(np.isfinite(q), q, 0)), 0)     # q + shift >= 0
    steps = TERMS + shift
    top = int(steps.max()) if steps.size else 0
    with np.errstate(all="ignore"):                 # poles, 0^(-x), overflow: set below
        total = np.zeros_like(x)
        for k in range(top):
            term = (q + k) ** -x
            total += np.where(k < steps, term, 0.0)
        a = q + steps
        power = a ** -x                             # a^(-x)
        tail = a * power / (x - 1) + power / 2
        rising = x.copy()                            # x (x+1) ... (x+2j-2)
        factor = power / a                           # a^(-x-2j+1) for j = 1
        for j, c in enumerate(_TAIL, 1):
            tail += c * rising * factor
            rising = rising * (x + 2 * j - 1) * (x + 2 * j)
            factor = factor / (a * a)
        out = total + tail
    out = np.where(x == 1, np.inf, out)
    out = np.where(x < 1, np.nan, out)
    pole = (q <= 0) & whole_q
    out = np.where(pole & (x >= 1), np.inf, out)
    out = np.where((q < 0) & ~whole_q & (x != np.floor(x)), np.nan, out)
    return np.where(np.isnan(x) | np.isnan(q), np.nan, out)


def _zeta_of(x: Any, q: Any) -> Any:
    if isinstance(x, Node) or isinstance(q, Node):
        return apply(Zeta, (x, q), (False, True))
    return in_dtype(hurwitz_zeta(x, q), np.result_type(x, q))


class Zeta(Op):
    """ζ(x, q), ctx = (x wants a gradient, q wants one);  ∂/∂q = -x ζ(x + 1, q); ∂/∂x: none
    (PyTorch's neither: an error)"""
    name, broadcasting = "zeta", True

    @staticmethod
    def forward(ctx, x, q):
        return in_dtype(hurwitz_zeta(x, q), np.result_type(x, q))

    @staticmethod
    def backward(ctx, g, out, x, q):
        if ctx is not None and ctx[0]:
            raise RuntimeError(
                f"zeta: the derivative of ζ(x, q) for x is not implemented (nor in PyTorch); "
                f"x of shape {np.shape(raw(x))} wants a gradient: detach it (x.detach()) to "
                f"differentiate for q alone, whose slope is -x ζ(x + 1, q)")
        dq = None if ctx is not None and not ctx[1] else -(g * x * _zeta_of(x + 1, q))
        return None, dq
