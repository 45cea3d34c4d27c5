"""`Value`: a scalar that remembers how it was computed (micrograd's API, on the shared graph core).

>>> from autograd import Value
>>> a, b = Value(-4.0), Value(2.0)
>>> c = a * b + b ** 3
>>> c.backward()
>>> c.data, a.grad, b.grad
(0.0, 2.0, 8.0)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from . import graph
from .anomaly import check_forward
from .graph import Node
from .ops.arithmetic import Add, AddConst, Mul, MulConst, Neg, Pow, PowConst, Sub
from .ops.elementwise import Abs, Exp, Log, Relu, Sigmoid, Sqrt, Tanh

Number = float | int
_grad_mode = graph.grad_mode          # one object, switched by no_grad(); bound once here


def _as_float(x: Any, what: str = "Value") -> float:
    if isinstance(x, numbers.Real):         # int, float, bool, numpy integer/floating, Fraction
        return float(x)
    raise TypeError(
        f"{what}: expected a real number (int, float or numpy scalar), got {type(x).__name__}"
        f" {x!r:.60}")


def _number(x: Any) -> float | None:
    """`x` as a float when it is a plain number (not a node), else None."""
    cls = x.__class__
    if cls is float:                    # the common cases first: an ABC check costs ~10x more
        return x
    if cls is int:
        return float(x)
    if isinstance(x, numbers.Real) and not isinstance(x, Node):
        return float(x)
    return None


def _constant(x: Any) -> Value | None:
    """`x` as a Value that needs no gradient, or None when `x` is not a number."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(float(x), requires_grad=False)
    return None


class Value(Node):
    """A scalar node: `.data` and `.grad` are Python floats.

    `Value(data, label="", requires_grad=True)`; unlike a `Tensor`, a Value wants a gradient by
    default, as in micrograd. Numbers mixed into expressions become constants (no gradient).
    """

    __slots__ = ()
    _empty_grad = 0.0
    __array_ufunc__ = None          # np.float64(2) * v: numpy steps aside, v.__rmul__ runs

    def __init__(self, data: Any, label: str = "", requires_grad: bool = True,
                 _op: type | None = None, _parents: tuple = (), _ctx: Any = None) -> None:
        # ops make their result through here too (_op, _parents, _ctx): one call is the
        # cheapest way to build a node, and this is the hottest path of the scalar engine
        self.data = data if data.__class__ is float else _as_float(data)
        self.grad = 0.0
        self.label = label
        self._ctx = _ctx
        self._pending = 0
        if _op is not None and _grad_mode.enabled and (
                _parents[0].requires_grad or _parents[-1].requires_grad):
            self.requires_grad = True
            self._op = _op
            self._parents = _parents
            if _grad_mode.anomaly:
                check_forward(self, _op)
        else:
            self.requires_grad = requires_grad and _op is None
            self._op = None
            self._parents = ()
            if _op is not None and _grad_mode.anomaly:
                check_forward(self, _op)

    @staticmethod
    def _constant_like(x: Any, like: Value) -> Value:
        return Value(x, requires_grad=False)

    # -- arithmetic ----------------------------------------------------------------------------
    # Forward results are bit-identical to micrograd's: a / b is a * b**-1 there, and here too.

    # A number operand is folded into the op (AddConst, MulConst keep it in ctx) instead of
    # becoming a node: a chain like y = y*1.0001 + 0.0001 then makes 2 nodes a step, not 4.

    def __add__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return Value(self.data + other.data, "", False, Add, (self, other))
        c = _number(other)
        if c is None:
            return NotImplemented
        return Value(self.data + c, "", False, AddConst, (self,), c)

    def __radd__(self, other: Any) -> Value:
        c = _number(other)
        if c is None:
            return NotImplemented
        return Value(c + self.data, "", False, AddConst, (self,), c)

    def __sub__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return Value(self.data - other.data, "", False, Sub, (self, other))
        c = _number(other)
        if c is None:
            return NotImplemented
        return Value(self.data - c, "", False, AddConst, (self,), -c)   # x - c == x + (-c)

    def __rsub__(self, other: Any) -> Value:
        other = _constant(other)
        if other is None:
            return NotImplemented
        return Value(other.data - self.data, "", False, Sub, (other, self))

    def __mul__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return Value(self.data * other.data, "", False, Mul, (self, other))
        c = _number(other)
        if c is None:
            return NotImplemented
        return Value(self.data * c, "", False, MulConst, (self,), c)

    def __rmul__(self, other: Any) -> Value:
        c = _number(other)
        if c is None:
            return NotImplemented
        return Value(c * self.data, "", False, MulConst, (self,), c)

    def __truediv__(self, other: Any) -> Value:
        if not isinstance(other, Value):
            other = _constant(other)
            if other is None:
                return NotImplemented
        return self * other ** -1

    def __rtruediv__(self, other: Any) -> Value:
        other = _constant(other)
        if other is None:
            return NotImplemented
        return other * self ** -1

    def __neg__(self) -> Value:
        return Value(-self.data, "", False, Neg, (self,))

    def __pow__(self, exponent: Any) -> Value:
        if isinstance(exponent, Value):
            if exponent.requires_grad and graph.grad_mode.enabled:
                return Value(_power(self.data, exponent.data), "", False, Pow, (self, exponent))
            exponent = exponent.data
        elif not isinstance(exponent, numbers.Real):
            return NotImplemented
        return Value(_power(self.data, exponent), "", False, PowConst, (self,), exponent)

    def __rpow__(self, base: Any) -> Value:
        base = _constant(base)
        if base is None:
            return NotImplemented
        return Value(_power(base.data, self.data), "", False, Pow, (base, self))

    # -- functions -----------------------------------------------------------------------------

    def exp(self) -> Value:
        return Value(Exp.scalar(self.data), "", False, Exp, (self,))

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log: needs a positive input, got {self.data!r}")
        return Value(math.log(self.data), "", False, Log, (self,))

    def sqrt(self) -> Value:
        if self.data < 0:
            raise ValueError(f"sqrt: needs a non-negative input, got {self.data!r}")
        return Value(math.sqrt(self.data), "", False, Sqrt, (self,))

    def tanh(self) -> Value:
        return Value(math.tanh(self.data), "", False, Tanh, (self,))

    def sigmoid(self) -> Value:
        return Value(Sigmoid.scalar(self.data), "", False, Sigmoid, (self,))

    def relu(self) -> Value:
        x = self.data
        return Value(x if x > 0 else 0.0, "", False, Relu, (self,))

    def abs(self) -> Value:
        x = self.data
        sign = 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)
        return Value(abs(x), "", False, Abs, (self,), sign)

    __abs__ = abs

    # -- graph ---------------------------------------------------------------------------------

    def backward(self, gradient: Number = 1.0, create_graph: bool = False) -> None:
        """Backpropagate from this Value: every node that leads here gets its `.grad`.

        Leaf gradients accumulate across calls (zero them between steps); intermediate ones are
        recomputed. With `create_graph=True` the gradients are Values that can be differentiated
        again (see `autograd.grad` for the functional form).
        """
        if gradient.__class__ is not float:
            gradient = _as_float(gradient, "backward: gradient")
        if create_graph:
            graph.backward_create_graph(self, Value(gradient, requires_grad=False))
        else:
            graph.backward(self, gradient)

    def detach(self) -> Value:
        """The same number as a new leaf with no history and no gradient."""
        return Value(self.data, self.label, requires_grad=False)

    def item(self) -> float:
        return self.data

    def copy_(self, source: Any) -> Value:
        """Overwrite the data with the number `source` (a number or a one-element array).

        >>> Value(1.0).copy_(2)
        Value(data=2.0, grad=0.0)
        """
        if isinstance(source, Node):
            source = source.data
        size = getattr(source, "size", 1)
        if size != 1 or getattr(source, "ndim", 0) > 1:
            raise ValueError(f"copy_: a Value holds one number, got data of shape "
                             f"{getattr(source, 'shape', ())}")
        self.data = _as_float(source.item() if hasattr(source, "item") else source, "copy_")
        return self

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


def _power(base: float, exponent: Number) -> float:
    try:
        result = base ** exponent
    except ZeroDivisionError:
        raise ZeroDivisionError(f"pow: {base!r} ** {exponent!r} divides by zero") from None
    if result.__class__ is complex:
        raise ValueError(f"pow: {base!r} ** {exponent!r} is not a real number")
    return result
