"""The trigonometric and hyperbolic functions beyond sin and cos (elementwise.py): tan, asin,
acos, atan, sinh, cosh, asinh, acosh, atanh; and the two of a pair of inputs, atan2 and hypot.
Their forwards and rules take both payloads: a Python float (a `Value`'s number, computed with
`math`, as micrograd does) or an ndarray (a `Tensor`'s); the rules also take nodes (higher
order), so that every slope is built from ops that can be differentiated again.

Outside a function's domain an array's value is NaN, and at its edges ±inf, as numpy and
PyTorch give (asin(2) is NaN, atanh(1) is inf); numpy warns there, as it does for log(0) and
sqrt(-1). A float raises there, as `math` does, naming the op and the number:

>>> Asin.forward(None, 2.0)
Traceback (most recent call last):
ValueError: asin: needs an input in [-1, 1], got 2.0

>>> from autograd import Tensor
>>> x = Tensor([0.5], requires_grad=True, dtype=np.float64)
>>> x.asin().sum().backward()
>>> round(float(x.grad[0]), 12)                # 1 / sqrt(1 - x²) = 2 / √3
1.154700538379
"""

from __future__ import annotations

import math
import sys
from typing import Any, Callable

import numpy as np

from ..graph import Node, Op, apply
from .elementwise import sign_of
from .payload_math import power


def _math(function: Callable, x: float, domain: str = "") -> float:
    """`function(x)` from Python's math module, for a Value's number. math raises outside the
    domain (math.asin(2)) and beyond the largest float (math.cosh(1000)), saying only "math
    domain error" or "math range error": here the error names the op, the number and the
    domain."""
    try:
        return function(x)
    except ValueError:
        raise ValueError(f"{function.__name__}: needs {domain}, got {x!r}") from None
    except OverflowError:
        raise OverflowError(f"{function.__name__}: {function.__name__}({x!r}) is too large for "
                            f"a float") from None


def _one_minus_square(x: Any) -> Any:
    """1 - x², as (1 - x)(1 + x): near |x| = 1, 1 - x·x would lose the digits that decide it."""
    return (1 - x) * (1 + x)


def _inverse_sqrt(x: Any) -> Any:
    """1 / sqrt(x), NaN for every x < 0 including -inf (where numpy's ** -0.5 gives 0: the
    slope of asin at inf would be 0 instead of PyTorch's NaN)."""
    return power(x, -0.5) if isinstance(x, np.ndarray) else x ** -0.5


def _hypot_with_1(x: Any) -> Any:
    """sqrt(x² + 1) without squaring x: a float, an array (its dtype kept) or a node."""
    if x.__class__ is float:
        return math.hypot(x, 1.0)
    if isinstance(x, np.ndarray):
        return np.hypot(x, np.ones((), x.dtype))
    return x.hypot(1.0)


class Tan(Op):
    """tan(x);  d/dx = 1 + tan(x)²"""
    name = "tan"

    @staticmethod
    def forward(ctx, x):
        return _math(math.tan, x, "a finite input") if x.__class__ is float else np.tan(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * (1 + out * out),)


class Asin(Op):
    """asin(x), in [-π/2, π/2];  d/dx = 1 / sqrt(1 - x²)"""
    name = "asin"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return _math(math.asin, x, "an input in [-1, 1]")
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * _inverse_sqrt(_one_minus_square(x)),)


class Acos(Op):
    """acos(x), in [0, π];  d/dx = -1 / sqrt(1 - x²)"""
    name = "acos"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return _math(math.acos, x, "an input in [-1, 1]")
        return np.arccos(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (-(g * _inverse_sqrt(_one_minus_square(x))),)


class Atan(Op):
    """atan(x), in (-π/2, π/2);  d/dx = 1 / (1 + x²)"""
    name = "atan"

    @staticmethod
    def forward(ctx, x):
        return math.atan(x) if x.__class__ is float else np.arctan(x)

    @staticmethod
    def backward(ctx, g, out, x):
        if x.__class__ is np.ndarray:
            # x² overflows past |x| ~1.8e19 in float32 (1.3e154 in float64), with numpy's
            # warning; the slope there is below the smallest normal float, and 0 is right
            with np.errstate(over="ignore"):
                return (g / (1 + x * x),)
        return (g / (1 + x * x),)


class Sinh(Op):
    """sinh(x) = (e^x - e^-x) / 2;  d/dx = cosh(x)"""
    name = "sinh"

    @staticmethod
    def forward(ctx, x):
        return _math(math.sinh, x) if x.__class__ is float else np.sinh(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * (apply(Cosh, (x,)) if isinstance(x, Node) else Cosh.forward(None, x)),)


class Cosh(Op):
    """cosh(x) = (e^x + e^-x) / 2;  d/dx = sinh(x)"""
    name = "cosh"

    @staticmethod
    def forward(ctx, x):
        return _math(math.cosh, x) if x.__class__ is float else np.cosh(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * (apply(Sinh, (x,)) if isinstance(x, Node) else Sinh.forward(None, x)),)


class Asinh(Op):
    """asinh(x) = ln(x + sqrt(x² + 1));  d/dx = 1 / sqrt(x² + 1)"""
    name = "asinh"

    @staticmethod
    def forward(ctx, x):
        return math.asinh(x) if x.__class__ is float else np.arcsinh(x)

    @staticmethod
    def backward(ctx, g, out, x):
        # 1 / hypot(x, 1), not (x² + 1)^-½: x² overflowed past |x| ~1.8e19 (float32), with
        # numpy's warning, to a slope of 0 where it is 1 / |x|
        return (g / _hypot_with_1(x),)


class Acosh(Op):
    """acosh(x) = ln(x + sqrt(x² - 1)), for x >= 1;  d/dx = 1 / sqrt(x² - 1)"""
    name = "acosh"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return _math(math.acosh, x, "an input >= 1")
        return np.arccosh(x)

    @staticmethod
    def backward(ctx, g, out, x):
        # (x - 1)(x + 1), not x·x - 1, which loses the digits that decide it near x = 1; and
        # each root apart: their product overflowed past x ~1.8e19 (float32), to a slope of 0
        return (g * _inverse_sqrt(x - 1) * _inverse_sqrt(x + 1),)


class Atanh(Op):
    """atanh(x) = ln((1 + x) / (1 - x)) / 2, for |x| <= 1;  d/dx = 1 / (1 - x²)"""
    name = "atanh"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return _math(math.atanh, x, "an input in (-1, 1)")
        return np.arctanh(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g / _one_minus_square(x),)


class Atan2(Op):
    """atan2(y, x), the angle of the point (x, y), in [-π, π];
    d/dy = x / (x² + y²), d/dx = -y / (x² + y²), and both 0 at the origin (as PyTorch's)"""
    name, broadcasting = "atan2", True

    @staticmethod
    def forward(ctx, y, x):
        if y.__class__ is float and x.__class__ is float:
            return math.atan2(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, g, out, y, x):
        if isinstance(x, Node):         # higher order: the mask a node of the data (compile)
            r = x * x + y * y
            on = sign_of(r)             # 1 where r > 0, 0 at the origin, NaN stays NaN
            g_over_r = g * on / (r * on + (1 - on))
        elif x.__class__ is float and y.__class__ is float:     # a Value's numbers
            r = x * x + y * y
            if not _SMALLEST <= r < math.inf:       # the origin, NaN, or a square out of range
                return _atan2_slopes_scaled(g, y, x)
            g_over_r = g / r
        else:                           # g / r, and 0 where r is 0 (no 0/0); NaN stays NaN
            with np.errstate(over="ignore"):        # (where r overflows: see below)
                r = x * x + y * y
            on = r != 0
            g_over_r = np.where(on, g, 0) / np.where(on, r, 1)
            odd = ~((r >= np.finfo(r.dtype).tiny) & (r < np.inf))
            if odd.any():               # (there, g / r · x is replaced: 0 · inf is no matter)
                dy, dx = _atan2_slopes_scaled(g, y, x)
                with np.errstate(invalid="ignore"):
                    return np.where(odd, dy, g_over_r * x), np.where(odd, dx, -(g_over_r * y))
        return g_over_r * x, -(g_over_r * y)


_SMALLEST = sys.float_info.min          # the smallest normal float64, ~2.2e-308


def _atan2_slopes_scaled(g: Any, y: Any, x: Any) -> tuple[Any, Any]:
    """atan2's slopes g x / (x² + y²) and -g y / (x² + y²) as g (x / h) / h, for h = hypot(x, y)
    (x / h is in [-1, 1]), and 0 at the origin. Used where x² + y² is not a normal number:
    it underflows for |x|, |y| below ~1e-154 (float32: ~1e-19), and 0 read as the origin
    gave slopes 0 where they are huge; it overflows beyond ~1e154, where the slopes are tiny
    but not 0. (Elsewhere x / (x² + y²) is kept: one rounding fewer.)"""
    if x.__class__ is float and y.__class__ is float:
        h = math.hypot(x, y)
        if h == 0:
            return 0.0 * x, -(0.0 * y)
        return g * (x / h / h), -(g * (y / h / h))
    h = np.hypot(x, y)
    on = h != 0                         # 0 at the origin (no 0/0); NaN stays NaN
    g, h = np.where(on, g, 0), np.where(on, h, 1)
    with np.errstate(over="ignore", invalid="ignore"):  # a slope beyond the largest float
        return g * (x / h / h), -(g * (y / h / h))      # is inf; inf / inf NaN, as before


class Hypot(Op):
    """hypot(a, b) = sqrt(a² + b²), without overflow or underflow in the squares;
    d/da = a / hypot(a, b), d/db = b / hypot(a, b), and NaN at the origin (as PyTorch's)"""
    name, broadcasting = "hypot", True

    @staticmethod
    def forward(ctx, a, b):
        if a.__class__ is float and b.__class__ is float:
            return math.hypot(a, b)
        return np.hypot(a, b)

    @staticmethod
    def backward(ctx, g, out, a, b):
        # a / hypot is in [-1, 1]; g / hypot first overflowed to inf where hypot is below
        # ~1e-308 (float32: 3e-39), and inf · a was inf for a slope of at most 1
        return g * (a / out), g * (b / out)
