"""Arithmetic: + - * / ** %, and negation. The two facades share some of these ops, not all:

    Tensor  a + b, a - b, a * b, a / b of two tensors (or a tensor and an array): Add, Sub,
            Mul, Div, broadcast; with a Python number on a floating tensor, x + 3 and 3 + x are
            AddConst, x * 3 and 3 * x MulConst, x - 3 SubConst, 3 - x ConstSub, x / 3 DivConst
            and 3 / x ConstDiv, the number kept in the tensor's dtype (with an integer or bool
            tensor the number is made a constant Tensor, as the dtype may change); a % b:
            Remainder
    Value   a + b, a - b, a * b of two Values: Add, Sub, Mul; with a number, x + 3, 3 + x and
            x - 3 are AddConst, x * 3 and 3 * x are MulConst; a / b is
            a * b ** -1 (Mul and PowConst), as in micrograd, so Div is Tensor's only (and %
            and fmod too: Value has none); x / 3 is Mul with the constant Value 3 ** -1, and
            3 - x is Sub with the constant Value 3 (the numbers bit for bit micrograd's)
    both    -a: Neg;  x ** 3: PowConst, 3 ** x: ConstPow, a ** b: Pow (or PowBase, PowExponent)

A number is folded into its op (the ...Const ops keep it in ctx) instead of being made a node:
micrograd's demo, y * 1.0001 + 0.0001 a step, makes 2 nodes where it would make 4, and a scalar
graph pays per node; a tensor's x * 0.5 pays for no constant Tensor, and its backward works out
only g * 0.5, where Mul would also work out the gradient of the constant, an array as large as
x, and throw it away. The numbers are those of the two-tensor ops, bit for bit.

>>> from autograd import Tensor, Value
>>> x = Value(6.0)
>>> [y._fn.__name__ for y in (x + 3, x - 3, x * 3, x / 3, 3 - x, x / x, x ** 2, 2 ** x)]
['AddConst', 'AddConst', 'MulConst', 'Mul', 'Sub', 'Mul', 'PowConst', 'ConstPow']
>>> (x / 3).parents[1], (x / x).parents[1].op                 # the constant 1/3; x ** -1
(Value(data=0.3333333333333333, grad=0.0), 'pow')
>>> t = Tensor([6.0], requires_grad=True)
>>> [y._fn.__name__ for y in (t + 3, t - 3, t * 3, t / 3, 3 - t, 3 / t, t % 4, t ** t)]
['AddConst', 'SubConst', 'MulConst', 'DivConst', 'ConstSub', 'ConstDiv', 'Remainder', 'Pow']
>>> (t * 0.5).parents, float((t * 0.5)._ctx), (t * 0.5)._ctx.dtype    # 0.5 in t's dtype
((Tensor([6.], requires_grad=True),), 0.5, dtype('float32'))

Each rule gets the upstream gradient `g`, the output and the inputs, and returns one gradient
per input. Binary ops broadcast (`broadcasting = True`), so a gradient may be larger than its
input: backward sums it back to the input's shape (`Tensor._conform_grad`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Node, Op, raw
from .numpy1 import in_input_dtype
from .elementwise import sign_of
from .payload_math import log_or_zero, power


class Add(Op):
    """a + b;  d/da = 1, d/db = 1"""
    name, symbol, broadcasting = "add", "+", True
    reads_inputs = False        # (nor PyTorch's): `x[0] += v` may then change the x[0] added

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g, out, a, b):
        return g, g


class Sub(Op):
    """a - b;  d/da = 1, d/db = -1"""
    name, symbol, broadcasting = "sub", "-", True
    reads_inputs = False

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g, out, a, b):
        return g, -g


class Mul(Op):
    """a * b;  d/da = b, d/db = a"""
    name, symbol, broadcasting = "mul", "*", True

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g, out, a, b):
        return g * b, g * a


class AddConst(Op):
    """x + c for a number c (kept in ctx, so it needs no node of its own);  d/dx = 1"""
    name, symbol = "add", "+"
    reads_inputs = False        # (x changed in place after x + 1 leaves its gradient as it is)

    @staticmethod
    def forward(c, x):
        return x + c

    @staticmethod
    def backward(c, g, out, x):
        return (g,)


class MulConst(Op):
    """x * c for a number c (kept in ctx);  d/dx = c"""
    name, symbol = "mul", "*"
    reads_inputs = False        # (PyTorch's x * 2 keeps no x either)

    @staticmethod
    def forward(c, x):
        return x * c

    @staticmethod
    def backward(c, g, out, x):
        return (g * c,)


class Div(Op):
    """a / b;  d/da = 1/b, d/db = -a/b^2 = -out/b"""
    name, symbol, broadcasting = "div", "/", True

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(ctx, g, out, a, b):
        return g / b, -(g * out) / b


class SubConst(Op):
    """x - c for a number c (kept in ctx);  d/dx = 1"""
    # (Value's x - c is x + (-c), as micrograd's; a tensor subtracts, as Sub does: -0.0 - 0
    # is -0.0, where -0.0 + (-0) would be 0.0, and x - nan keeps the sign of Sub's NaN)
    name, symbol = "sub", "-"
    reads_inputs = False

    @staticmethod
    def forward(c, x):
        return x - c

    @staticmethod
    def backward(c, g, out, x):
        return (g,)


class DivConst(Op):
    """x / c for a number c (kept in ctx);  d/dx = 1/c"""
    # a true division, as Div's: x * (1/c) would differ from it in the last bit (x / 3)
    name, symbol = "div", "/"
    reads_inputs = False

    @staticmethod
    def forward(c, x):
        return x / c

    @staticmethod
    def backward(c, g, out, x):
        return (g / c,)


class ConstSub(Op):
    """c - x for a number c (kept in ctx);  d/dx = -1"""
    name, symbol = "sub", "-"
    reads_inputs = False

    @staticmethod
    def forward(c, x):
        return c - x

    @staticmethod
    def backward(c, g, out, x):
        return (-g,)


class ConstDiv(Op):
    """c / x for a number c (kept in ctx);  d/dx = -c/x^2 = -out/x"""
    name, symbol = "div", "/"

    @staticmethod
    def forward(c, x):
        return c / x

    @staticmethod
    def backward(c, g, out, x):
        return (-(g * out) / x,)


class Remainder(Op):
    """a mod b, with the sign of b (Python's %);  d/da = 1, d/db = -(a // b)"""
    # a mod b = a - b (a // b), and // (floor division) is flat wherever it has a slope at all
    name, symbol, broadcasting = "remainder", "%", True

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(invalid="ignore", divide="ignore"):   # x % 0.0 is NaN, as in PyTorch
            return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g, out, a, b):
        # numpy's floor_divide (Python's //), not floor(a / b): it is the quotient the
        # remainder was taken with (-3 // inf is -1, inf // 2 NaN), PyTorch's too
        with np.errstate(invalid="ignore", divide="ignore"):
            quotient = np.floor_divide(raw(a), raw(b))
        return g, -g * quotient


class Fmod(Op):
    """a mod b, with the sign of a (C's fmod, PyTorch's fmod);  d/da = 1, d/db = -trunc(a / b)"""
    # a fmod b = a - b trunc(a / b): Remainder's rule with the quotient rounded towards 0
    name, broadcasting = "fmod", True

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(invalid="ignore", divide="ignore"):   # x fmod 0.0 is NaN, as in PyTorch
            return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g, out, a, b):
        with np.errstate(invalid="ignore", divide="ignore"):
            quotient = np.trunc(raw(a) / raw(b))
        return g, -g * quotient


class Neg(Op):
    """-x;  d/dx = -1"""
    name, symbol = "neg", "-"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g, out, x):
        return (-g,)


@in_input_dtype
class PowConst(Op):
    """x ** c for a constant c (kept in ctx);  d/dx = c * x^(c-1), and 0 for c = 0"""
    name, symbol = "pow", "**"

    @classmethod
    def describe(cls, c: float) -> str:
        return f"**{c}"                 # micrograd's '**2'

    @staticmethod
    def forward(c, x):
        if x.__class__ is float:            # a Value: Python's power, as micrograd's
            return x ** c
        try:                    # free until it raises: the hot path stays one power
            return power(x, c)  # (x ** c, with numpy's slow path for x < 0 avoided)
        except ValueError:      # numpy's words name neither the op nor the operands
            if getattr(x, "dtype", None) is None or x.dtype.kind not in "biu":
                raise
            kind = "a bool" if x.dtype.kind == "b" else "an integer"
            raise ValueError(f"pow: {kind} tensor (dtype {x.dtype}) to the negative power "
                             f"{c} has no integer result; make it floating first: "
                             f"t.astype('float32') ** {c}") from None

    @staticmethod
    def backward(c, g, out, x):
        e = c - 1 + (c == 0)        # slope_exponent(c), inline: c is never a node
        return (g * (c * (x ** e if x.__class__ is float else power(x, e))),)


@in_input_dtype
class ConstPow(Op):
    """c ** x for a constant base c (kept in ctx);  d/dx = c^x * ln(c)"""
    name, symbol = "pow", "**"

    @staticmethod
    def forward(c, x):
        return c ** x

    @staticmethod
    def backward(c, g, out, x):
        return (g * (out * log_or_zero(c)),)      # 0 ** x = 0 for x > 0: slope 0, not NaN


class Pow(Op):
    """a ** b with both differentiable;  d/da = b * a^(b-1), d/db = a^b * ln(a)"""
    name, symbol, broadcasting = "pow", "**", True

    @staticmethod
    def forward(ctx, a, b):
        return a ** b

    @staticmethod
    def backward(ctx, g, out, a, b):
        # (an exponent that is a node keeps b - 1, unmasked: this slope is differentiated
        # with respect to b too, ∂²(a ** b)/∂a∂b = a^(b-1) + b a^(b-1) ln a, which is 1/a at
        # b = 0; masked to a^0 there, its first term would read 1)
        e = b - 1 if isinstance(b, Node) else slope_exponent(b)
        return g * (b * a ** e), g * (out * log_or_zero(a))


def slope_exponent(b: Any) -> Any:
    """b - 1, the power in the slope b · a^(b-1) of a ** b, but 0 where b = 0: a ** 0 is the
    constant 1, whose slope is 0 everywhere (PyTorch's value), and 0 · a^0 = 0 · 1 is 0 at every
    a, where 0 · a^-1 would be NaN at a = 0 (0 · inf). (x ** 0 also turns up in the second
    derivative of x ** 1.) Written without a branch: compiled, a constant b is an array, and a
    constant exponent that is a node (PowBase's, higher order) gets its mask from a Sign node,
    recomputed from the data: b - sign(b)².

    >>> slope_exponent(3.0), slope_exponent(0.5), slope_exponent(0.0)
    (2.0, -0.5, 0.0)
    """
    if isinstance(b, Node):
        sign = sign_of(b)
        return b - sign * sign
    return b - 1 + (b == 0)


def pow_rule(base: object, exponent: object) -> type:
    """The op for base ** exponent when one of them is a node: Pow, or its variant that skips
    the slope of the operand that wants no gradient, which can be infinite (d/da at a = 0) or
    NaN (d/db at a < 0) though nobody asked for it."""
    if not (isinstance(exponent, Node) and exponent._fn is not None):
        return PowBase
    return Pow if isinstance(base, Node) and base._fn is not None else PowExponent


class PowBase(Pow):
    """a ** b with an exponent that wants no gradient;  d/da = b * a^(b-1), d/db = not needed"""

    @staticmethod
    def backward(ctx, g, out, a, b):
        # Pow's d/db = a^b ln a is NaN for a < 0 (x ** Tensor([2., 3.]) at x < 0): a slope
        # that nobody asked for must not warn, nor trip detect_anomaly in a higher-order pass
        return g * (b * a ** slope_exponent(b)), None


class PowExponent(Pow):
    """a ** b with a base that wants no gradient;  d/da = not needed, d/db = a^b * ln(a)"""

    @staticmethod
    def backward(ctx, g, out, a, b):
        # Pow's d/da = b * a^(b-1) is infinite at a = 0 for b < 1: a slope that nobody asked
        # for must not raise (floats) or warn (arrays), so this op does not work it out
        return None, g * (out * log_or_zero(a))
