"""`Value`: a scalar that remembers how it was computed (micrograd's API, on the shared graph core).

>>> from autograd import Value
>>> a, b = Value(-4.0), Value(2.0)
>>> c = a * b + b ** 3
>>> c.backward()
>>> c.data, a.grad, b.grad
(0.0, 2.0, 8.0)

The lecture that builds micrograd runs on it unchanged: `_prev`, `_op` ('+', '*', 'tanh'),
`label`, `Value(data, _children, _op)` and stepping backprop by hand with `node._backward()`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from . import graph
from .graph import (
    CLOSED, DETACHED, NUMBER, Leaf, Node, apply, backward as backpropagate, constant_kind,
    make_node,
)
from .ops.arithmetic import (Add, AddConst, ConstPow, Mul, MulConst, Neg, PowConst, Sub,
                             pow_rule)
from .ops.elementwise import Abs, Cos, Exp, Expm1, Log, Log1p, Relu, Sigmoid, Sin, Sqrt, Tanh
from .ops.erf import Erf, Erfc
from .ops.trig import Acos, Acosh, Asin, Asinh, Atan, Atan2, Atanh, Cosh, Hypot, Sinh, Tan

Number = float | int
_mode = graph.grad_mode               # one object, switched by no_grad(); bound once here
_new = object.__new__


def _as_float(x: Any, what: str = "Value") -> float:
    if isinstance(x, numbers.Real):         # int, float, bool, numpy integer/floating, Fraction
        try:
            return float(x)
        except OverflowError:               # an int beyond 1.8e308: Python's message names no one
            raise OverflowError(f"{what}: {x!r:.40}... is too large for a float (the largest is "
                                f"about 1.8e308)") from None
    number = _zero_dim(x)
    if number is not None:
        return float(number)
    raise TypeError(
        f"{what}: expected a real number (int, float or numpy scalar), got {type(x).__name__}"
        f" {x!r:.60}{_what_to_write(x) if what == 'Value' else ''}")


def _what_to_write(data: Any) -> str:
    """For Value(data) of something that is not a number: what was probably meant ('' if
    nothing is known). Only the error path comes here.

    >>> _what_to_write([1.0, 2.0])
    '; a list of 2 numbers: one Value per number, [Value(x) for x in xs], or a Tensor'
    """
    if isinstance(data, Node):
        return ("; it is a Value already: use it as it is (it stays in the graph), or "
                "Value(v.data) for a new leaf holding its number" if isinstance(data, Value)
                else "; a Tensor holds an array: x.item() is the number of a one-element one")
    if isinstance(data, str):
        return f"; a string: convert it first, Value(float({data!r:.20}))"
    if data is None:
        return "; None: a variable never given a number, or a function's result that has no return?"
    shape = getattr(data, "shape", None)
    if shape is not None:
        if getattr(data, "size", 0) == 1:
            return "; an array of one number: Value(array.item())"
        return (f"; a Value holds one number and this array has shape {shape}: one Value per "
                f"number, [Value(x) for x in row] (micrograd's demo: list(map(Value, xrow))), or "
                f"a Tensor for an array")
    if isinstance(data, (list, tuple)):
        if data and all(isinstance(item, Value) for item in data):
            return ("; these are Values already (nodes): use them as they are; sum(values) adds "
                    "them")
        return (f"; a {type(data).__name__} of {len(data)} numbers: one Value per number, "
                f"[Value(x) for x in xs], or a Tensor")
    return ""


def _number(x: Any) -> float | None:
    """`x` as a float when it is a plain number (not a node), else None."""
    cls = x.__class__
    if cls is float:                    # the common cases first: an ABC check costs ~10x more
        return x
    if cls is int:
        return float(x)
    if isinstance(x, numbers.Real) and not isinstance(x, Node):
        return float(x)
    number = _zero_dim(x)
    return None if number is None else float(number)


def _zero_dim(x: Any) -> int | float | None:
    """The number in a 0-d numpy array of reals (`np.array(3.0)`, a 0-d Tensor's `.data`), as
    Python's int or float; None for anything else (a Tensor itself included: it is a node).

    >>> import numpy as np
    >>> _zero_dim(np.array(3.0)), _zero_dim(np.array(2)), _zero_dim(np.array([3.0]))
    (3.0, 2, None)
    """
    dtype = getattr(x, "dtype", None)
    if (dtype is not None and getattr(x, "ndim", None) == 0 and dtype.kind in "biuf"
            and not isinstance(x, Node)):
        return x.item()
    return None


def _not_a_number(other: Any, symbol: str) -> Any:
    """For an operand that is not a number: NotImplemented, so that Python asks `other`; but an
    array gets a clear error here (numpy's own would speak of ufuncs)."""
    if hasattr(other, "shape") and not isinstance(other, Node):
        raise TypeError(f"Value {symbol} array: a Value holds one number and this operand has "
                        f"shape {other.shape}; use a Tensor for arrays (Tensor(array)), or "
                        f"combine the Value with the array's numbers one at a time")
    return NotImplemented


def _constant(x: Any) -> Value | None:
    """`x` as a Value that needs no gradient, or None when `x` is not a number."""
    if isinstance(x, Value):
        return x
    number = _number(x)
    return None if number is None else number_value(number)


def number_value(x: float) -> Value:
    """A constant Value made of a number alone (marked NUMBER: compile need not warn about it)."""
    out = Value(x, requires_grad=False)
    out._a = NUMBER
    return out


# What `Value(data, _children, _op)` builds when a learner writes a node by hand, as the
# micrograd lecture does inside its own Value class: the op for each of micrograd's names.
_BY_HAND = {("+", 2): Add, ("*", 2): Mul, ("-", 2): Sub, ("atan2", 2): Atan2,
            ("hypot", 2): Hypot, ("ReLU", 1): Relu, **{(op.name, 1): op for op in (
                Tanh, Exp, Relu, Log, Sigmoid, Sqrt, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh,
                Asinh, Acosh, Atanh, Erf, Erfc, Log1p, Expm1)}}


class Value(Node):
    """A scalar node: `.data` and `.grad` are Python floats.

    `Value(data, _children=(), _op='', label='', requires_grad=True)`, micrograd's signature.
    Unlike a `Tensor`, a Value wants a gradient by default, as in micrograd. Numbers mixed into
    expressions are constants (no gradient): `x * 3` keeps the 3 in the op's node.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + 10.0                  # micrograd's first example
    >>> c.backward()
    >>> c, a.grad, b.grad
    (Value(data=4.0, grad=1.0), -3.0, 2.0)

    `_children` and `_op` are for building a node by hand, as micrograd does inside its own
    operators: `Value(a.data * b.data, (a, b), '*')` is the node `a * b` (the ops '+', '*', '-',
    'atan2', 'hypot' of two Values; '**k' and each method's name, 'tanh', 'exp', 'ReLU', ...,
    of one); anything else is an error that says to write it with operators or as an
    `autograd.Function`.
    """

    __slots__ = ()
    _empty_grad = 0.0
    __array_ufunc__ = None          # np.float64(2) * v: numpy steps aside, v.__rmul__ runs

    def __init__(self, data: Any, _children: tuple = (), _op: str = "", label: str = "",
                 requires_grad: bool = True) -> None:
        self.data = data if data.__class__ is float else _as_float(data)
        self.grad = 0.0
        if requires_grad is not True:       # (True: the usual case)
            requires_grad = graph.checked_requires_grad("Value", requires_grad)
        self._fn = Leaf if requires_grad else None
        if label:
            self.label = label
        if _children or _op:
            self._by_hand(_children, _op, requires_grad)

    def _by_hand(self, children: Any, op_name: Any, requires_grad: bool) -> None:
        """Turn this new Value into the node that `op_name` makes from `children` (a constant
        with no history when `requires_grad` is False)."""
        if isinstance(children, str):
            raise TypeError(f"Value: the second argument is micrograd's _children (a tuple of "
                            f"Values); for a label write Value(..., label={children!r})")
        if not isinstance(children, (tuple, list)):
            raise TypeError(f"Value: _children must be a tuple of Values in input order, got "
                            f"a {type(children).__name__}")
        children = tuple(children)
        if not all(isinstance(c, Value) for c in children):
            raise TypeError("Value: _children must all be Values")
        op, ctx = _BY_HAND.get((op_name, len(children))), None
        if op is None and isinstance(op_name, str) and op_name.startswith("**") and \
                len(children) == 1:
            exponent = op_name[2:]
            try:
                op, ctx = PowConst, int(exponent) if exponent.lstrip("-").isdigit() \
                    else float(exponent)
            except ValueError:
                pass
        if op is None:
            known = {n: ", ".join(repr(name) for name, count in _BY_HAND if count == n)
                     for n in (1, 2)}
            raise ValueError(
                f"Value(data, {len(children)} children, {op_name!r}): no such op to build by "
                f"hand (known: {known[2]} of two Values; '**k', {known[1]} of one). Write it "
                f"with operators (a + b, a * b, a.tanh()), or as an autograd.Function with its "
                f"own backward")
        node = make_node(Value, self.data, op, children, ctx)
        if requires_grad:
            self._fn = node._fn
            if node._fn is not None:
                self._a, self._b = node._a, node._b

    # -- the facade's hooks for the graph core ------------------------------------------------

    @staticmethod
    def _payload(x: Any, op: type) -> float:
        """What a forward returned, as a Value's data (a float)."""
        if x.__class__ is float:
            return x
        if isinstance(x, numbers.Real):
            return float(x)
        raise TypeError(f"{op.name}.forward: with Value inputs it must return a number, got "
                        f"{type(x).__name__}")

    @staticmethod
    def _constant_like(x: Any, like: Value) -> Value:
        return number_value(x)

    # -- arithmetic ----------------------------------------------------------------------------
    # Forward results are bit-identical to micrograd's: a / b is a * b**-1 there, and here too.
    # A number added to, subtracted from or multiplying a Value is folded into the op (AddConst,
    # MulConst keep it in the node's second slot) instead of becoming a node: y = y*1.0001 +
    # 0.0001 makes 2 nodes a step, not 4. In x / 3, 3 / x and 3 - x the number stays an input,
    # a constant Value (1/3 is computed as micrograd computes it: 3 ** -1).
    #
    # `__add__` and `__mul__` are `make_node(Value, ..., Add / AddConst, ...)` written out for
    # their usual operands (the hottest lines of the scalar engine; keep them in step with
    # make_node). A Value subclass takes make_node itself: it puts such an input in the tuple
    # form, because the sort tells a second input from a constant by its exact class.

    def __add__(self, other: Any) -> Value:
        if other.__class__ is Value:
            if _mode.plain:             # recording, no anomaly checks: make_node written out
                out = _new(Value)
                out.data = self.data + other.data
                out.grad = 0.0
                if self._fn is not None or other._fn is not None:
                    out._fn, out._a, out._b = Add, self, other
                else:
                    out._fn, out._a = None, constant_kind((self, other))
                return out
            return make_node(Value, self.data + other.data, Add, (self, other))
        if other.__class__ is float:
            c = other
        elif isinstance(other, Value):
            return make_node(Value, self.data + other.data, Add, (self, other))
        else:
            c = _number(other)
            if c is None:
                return _not_a_number(other, "+")
        if _mode.plain:
            out = _new(Value)
            out.data = self.data + c
            out.grad = 0.0
            if self._fn is not None:
                out._fn, out._a, out._b = AddConst, self, c
            else:
                out._fn, out._a = None, constant_kind((self,))
            return out
        return make_node(Value, self.data + c, AddConst, (self,), c)

    def __radd__(self, other: Any) -> Value:
        c = _number(other)
        if c is None:
            return _not_a_number(other, "+")
        return _apply_one(AddConst, self, c)          # c + x == x + c, bit for bit

    def __mul__(self, other: Any) -> Value:
        if other.__class__ is Value:
            if _mode.plain:             # recording, no anomaly checks: make_node written out
                out = _new(Value)
                out.data = self.data * other.data
                out.grad = 0.0
                if self._fn is not None or other._fn is not None:
                    out._fn, out._a, out._b = Mul, self, other
                else:
                    out._fn, out._a = None, constant_kind((self, other))
                return out
            return make_node(Value, self.data * other.data, Mul, (self, other))
        if other.__class__ is float:
            c = other
        elif isinstance(other, Value):
            return make_node(Value, self.data * other.data, Mul, (self, other))
        else:
            c = _number(other)
            if c is None:
                return _not_a_number(other, "*")
        if _mode.plain:
            out = _new(Value)
            out.data = self.data * c
            out.grad = 0.0
            if self._fn is not None:
                out._fn, out._a, out._b = MulConst, self, c
            else:
                out._fn, out._a = None, constant_kind((self,))
            return out
        return make_node(Value, self.data * c, MulConst, (self,), c)

    def __rmul__(self, other: Any) -> Value:
        c = _number(other)
        if c is None:
            return _not_a_number(other, "*")
        return _apply_one(MulConst, self, c)          # c * x == x * c, bit for bit

    def __sub__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return make_node(Value, self.data - other.data, Sub, (self, other))
        c = _number(other)
        if c is None:
            return _not_a_number(other, "-")
        return _apply_one(AddConst, self, -c)         # x - c == x + (-c), bit for bit

    def __rsub__(self, other: Any) -> Value:
        number, other = other, _constant(other)
        if other is None:
            return _not_a_number(number, "-")
        return make_node(Value, other.data - self.data, Sub, (other, self))

    def __truediv__(self, other: Any) -> Value:
        if not isinstance(other, Value):
            number, other = other, _constant(other)
            if other is None:
                return _not_a_number(number, "/")
            # c ** -1 of a number is a number too: a constant of the user's, not an op's result
            return self * number_value(_power(other.data, -1))
        return self * other ** -1

    def __rtruediv__(self, other: Any) -> Value:
        number, other = other, _constant(other)
        if other is None:
            return _not_a_number(number, "/")
        return other * self ** -1

    def __neg__(self) -> Value:
        return _apply_one(Neg, self)

    # -- in-place operators: `p -= lr * p.grad` --------------------------------------------------
    # Python runs `p -= x` as `p = p - x` for a class without __isub__: `p` would name a new node
    # and the parameter would stay as it was (micrograd too), so training would silently learn
    # nothing. A parameter (a leaf that wants a gradient) is updated in place under no_grad(), as
    # a Tensor is; with recording on, a number is refused. Anything else builds a new node.

    def __iadd__(self, other: Any) -> Value: return self._in_place(other, "+=", Value.__add__)
    def __isub__(self, other: Any) -> Value: return self._in_place(other, "-=", Value.__sub__)
    def __imul__(self, other: Any) -> Value: return self._in_place(other, "*=", Value.__mul__)
    def __itruediv__(self, other: Any) -> Value:
        return self._in_place(other, "/=", Value.__truediv__)
    def __ipow__(self, other: Any) -> Value: return self._in_place(other, "**=", Value.__pow__)

    def _in_place(self, other: Any, symbol: str, operator: Any) -> Value:
        """`self symbol other` for the operators above (see there).

        >>> from autograd import no_grad
        >>> w = Value(1.0)
        >>> (w * 3).backward()
        >>> with no_grad():
        ...     w -= 0.1 * w.grad               # the parameter itself changes
        >>> round(w.data, 4), w.is_leaf
        (0.7, True)
        """
        if self._fn is not Leaf or (_mode.enabled and isinstance(other, Value)
                                    and other._fn is not None):
            return operator(self, other)        # an expression: a new node (total += term)
        if _mode.enabled:
            raise RuntimeError(
                f"{symbol} of a number on a Value that wants a gradient (a parameter) would make "
                f"a new node and leave the parameter as it was: update its number, "
                f"p.data {symbol} ... (micrograd's way), or write the update under "
                f"`with no_grad():`; for a new expression write p = p {symbol[:-1]} x")
        result = operator(self, other)          # under no_grad: a constant with the new number
        if result is NotImplemented:
            return result
        self.data = result.data
        return self

    # -- comparisons: a Value is a node, `==` is identity (micrograd keeps nodes in sets) -------

    def __lt__(self, other: Any) -> bool: _refuse_comparison(self, "<", other)
    def __le__(self, other: Any) -> bool: _refuse_comparison(self, "<=", other)
    def __gt__(self, other: Any) -> bool: _refuse_comparison(self, ">", other)
    def __ge__(self, other: Any) -> bool: _refuse_comparison(self, ">=", other)

    def __xor__(self, other: Any) -> Value: _refuse_xor(other, reflected=False)
    def __rxor__(self, other: Any) -> Value: _refuse_xor(other, reflected=True)

    def __pow__(self, exponent: Any) -> Value:
        """x ** k for a number k, whose slope is k x^(k-1); or x ** y for a Value y, whose
        slopes are y x^(y-1) for x and x^y ln x for y.

        >>> x = Value(3.0)
        >>> y = x ** 2
        >>> y.backward()
        >>> y.data, x.grad, y._op
        (9.0, 6.0, '**2')
        """
        if exponent.__class__ is int or exponent.__class__ is float:     # x ** 2: the usual
            return make_node(Value, _power(self.data, exponent), PowConst, (self,), exponent)
        if isinstance(exponent, Value):     # an input of the op, even when it wants no
            # gradient (PowBase: no slope for it), as x is in w * x: compile reads it again
            return make_node(Value, _power(self.data, exponent.data),
                             pow_rule(self, exponent), (self, exponent))
        if isinstance(exponent, numbers.Integral):          # a numpy integer: Python's int
            exponent = int(exponent)
        elif isinstance(exponent, numbers.Real):            # a numpy float: Python's float
            exponent = float(exponent)
        elif _zero_dim(exponent) is not None:               # np.array(2): its int
            exponent = _zero_dim(exponent)
        else:
            return _not_a_number(exponent, "**")
        return make_node(Value, _power(self.data, exponent), PowConst, (self,), exponent)

    def __rpow__(self, base: Any) -> Value:
        c = _number(base)
        if c is None:
            return _not_a_number(base, "**")
        return make_node(Value, _power(c, self.data), ConstPow, (self,), c)

    # -- functions (each op's forward works on floats too: math.exp, math.tanh, ...) -----------

    def exp(self) -> Value:
        """e ** x; its slope is itself, e ** x.

        >>> x = Value(1.0)
        >>> y = x.exp()
        >>> y.backward()
        >>> round(y.data, 6), round(x.grad, 6)
        (2.718282, 2.718282)
        """
        return _apply_one(Exp, self)

    def log(self) -> Value:
        """The natural logarithm ln x, for x > 0; its slope is 1 / x."""
        x = self.data
        if x.__class__ is not float:
            _check_data(self, "log")
        if x <= 0:
            raise ValueError(f"log: needs a positive input, got {x!r}")
        return _apply_one(Log, self)

    def sqrt(self) -> Value:
        """√x, for x >= 0; its slope is 1 / (2 √x)."""
        x = self.data
        if x.__class__ is not float:
            _check_data(self, "sqrt")
        if x < 0:
            raise ValueError(f"sqrt: needs a non-negative input, got {x!r}")
        return _apply_one(Sqrt, self)

    def tanh(self) -> Value:
        """tanh x = (e²ˣ - 1) / (e²ˣ + 1), the lecture's neuron activation; its slope is
        1 - tanh² x.

        >>> x = Value(0.8814)                 # the lecture's neuron: its output is about 0.7071
        >>> o = x.tanh()
        >>> o.backward()
        >>> round(o.data, 4), round(x.grad, 4)   # 1 - o² = 0.5
        (0.7071, 0.5)
        """
        return _apply_one(Tanh, self)

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e⁻ˣ), computed without overflow at ±1000; its slope is
        σ(x)(1 - σ(x)).

        >>> x = Value(0.0)
        >>> s = x.sigmoid()
        >>> s.backward()
        >>> s.data, x.grad
        (0.5, 0.25)
        """
        return _apply_one(Sigmoid, self)

    def sin(self) -> Value:
        """sin x (x in radians), as `math.sin` computes it; its slope is cos x.

        >>> x = Value(1.3)
        >>> y = x.sin() * x ** 2              # f(x) = sin(x) x²: f'(x) = cos(x) x² + sin(x) 2x
        >>> y.backward()
        >>> round(y.data, 4), round(x.grad, 4), y._prev[0]._op
        (1.6284, 2.9573, 'sin')
        """
        if self.data.__class__ is not float:
            _check_data(self, "sin")
        if math.isinf(self.data):
            raise ValueError(f"sin: needs a finite input, got {self.data!r}")
        return _apply_one(Sin, self)

    def cos(self) -> Value:
        """cos x (x in radians), as `math.cos` computes it; its slope is -sin x."""
        if self.data.__class__ is not float:
            _check_data(self, "cos")
        if math.isinf(self.data):
            raise ValueError(f"cos: needs a finite input, got {self.data!r}")
        return _apply_one(Cos, self)

    # the functions beyond micrograd's: each op's forward takes a float with `math`, which
    # raises outside the function's domain (asin(2), acosh(0.5)); the error names the op and x

    def tan(self) -> Value:
        """tan x (x in radians); its slope is 1 + tan² x."""
        return _apply_one(Tan, self)

    def asin(self) -> Value:
        """The angle in [-π/2, π/2] whose sine is x, for x in [-1, 1]; its slope is
        1 / √(1 - x²), infinite at ±1.

        >>> x = Value(0.5)
        >>> y = x.asin()
        >>> y.backward()
        >>> round(y.data, 6), round(x.grad, 6), y._op       # π/6 and 2/√3
        (0.523599, 1.154701, 'asin')
        """
        return _apply_one(Asin, self)

    def acos(self) -> Value:
        """The angle in [0, π] whose cosine is x, for x in [-1, 1]; its slope is
        -1 / √(1 - x²)."""
        return _apply_one(Acos, self)

    def atan(self) -> Value:
        """The angle in (-π/2, π/2) whose tangent is x; its slope is 1 / (1 + x²)."""
        return _apply_one(Atan, self)

    def atan2(self, x: Any) -> Value:
        """The angle in [-π, π] of the point (x, y) for y = self: y.atan2(x) is atan2(y, x),
        as in `math` and PyTorch. Its slopes are x / (x² + y²) for y and -y / (x² + y²) for x
        (both 0 at the origin, as PyTorch's).

        >>> y, x = Value(1.0), Value(-1.0)
        >>> angle = y.atan2(x)
        >>> angle.backward()
        >>> round(angle.data / math.pi, 6), y.grad, x.grad       # 3π/4
        (0.75, -0.5, -0.5)
        """
        return apply(Atan2, (self, _operand(x, "atan2")))

    def hypot(self, other: Any) -> Value:
        """√(x² + y²) for x = self and y = other, as math.hypot computes it (no overflow in
        the squares); its slopes are x / hypot and y / hypot (at the origin there is none: a
        ZeroDivisionError in backward)."""
        return apply(Hypot, (self, _operand(other, "hypot")))

    def sinh(self) -> Value:
        """sinh x = (eˣ - e⁻ˣ) / 2; its slope is cosh x."""
        return _apply_one(Sinh, self)

    def cosh(self) -> Value:
        """cosh x = (eˣ + e⁻ˣ) / 2; its slope is sinh x."""
        return _apply_one(Cosh, self)

    def asinh(self) -> Value:
        """The inverse of sinh, ln(x + √(x² + 1)); its slope is 1 / √(x² + 1)."""
        return _apply_one(Asinh, self)

    def acosh(self) -> Value:
        """The inverse of cosh, for x >= 1; its slope is 1 / √(x² - 1), infinite at 1."""
        return _apply_one(Acosh, self)

    def atanh(self) -> Value:
        """The inverse of tanh, for x in (-1, 1); its slope is 1 / (1 - x²)."""
        return _apply_one(Atanh, self)

    def erf(self) -> Value:
        """The error function 2/√π ∫₀ˣ e^(-t²) dt, as math.erf computes it; its slope is
        2/√π e^(-x²).

        >>> x = Value(0.0)
        >>> y = x.erf()
        >>> y.backward()
        >>> y.data, round(x.grad, 6)                     # 2/√π
        (0.0, 1.128379)
        """
        return _apply_one(Erf, self)

    def erfc(self) -> Value:
        """1 - erf(x), as math.erfc computes it (its digits kept where it is tiny); its slope
        is -2/√π e^(-x²)."""
        return _apply_one(Erfc, self)

    def log1p(self) -> Value:
        """ln(1 + x), for x > -1, accurate where x is tiny (1 + x would round to 1); its
        slope is 1 / (1 + x)."""
        x = self.data
        if x.__class__ is not float:
            _check_data(self, "log1p")
        if x <= -1:
            raise ValueError(f"log1p: needs an input > -1, got {x!r}")
        return _apply_one(Log1p, self)

    def expm1(self) -> Value:
        """eˣ - 1, accurate where x is tiny; its slope is eˣ."""
        return _apply_one(Expm1, self)

    def relu(self) -> Value:
        """max(x, 0); its slope is 1 where x > 0, else 0 (an off ReLU passes no gradient).

        >>> a, b = Value(2.0), Value(-2.0)
        >>> y = a.relu() + b.relu()
        >>> y.backward()
        >>> y.data, a.grad, b.grad
        (2.0, 1.0, 0.0)
        """
        # an off ReLU passes no gradient and says so in its constant (CLOSED): backward then
        # skips all that lies only behind it (most of a trained network's graph, with a hinge loss)
        x = self.data
        if x.__class__ is not float:
            _check_data(self, "relu")
        return _apply_one(Relu, self, None if x > 0 else CLOSED)

    def abs(self) -> Value:
        """|x|; its slope is the sign of x (0 at 0)."""
        x = self.data
        sign = 1.0 if x > 0 else (-1.0 if x < 0 else x * 0.0)   # 0 at 0; NaN stays NaN
        return _apply_one(Abs, self, sign)

    __abs__ = abs

    # -- graph ---------------------------------------------------------------------------------

    def backward(self, gradient: Number | Value = 1.0, create_graph: bool = False,
                 retain_graph: bool | None = None) -> None:
        """Backpropagate from this Value: every node that leads here gets its `.grad`.

        Leaf gradients accumulate across calls (zero them between steps); intermediate ones are
        recomputed. A ReLU that is off passes no gradient, so the nodes that lie only behind it
        are not visited: their `.grad` stays as it was (0 in a new graph; after a backward from
        another root, that root's gradient. A Tensor graph visits them and sets 0). With
        `create_graph=True` the gradients are Values that can be differentiated again (see
        `autograd.grad` for the functional form). The graph is always kept, so a second
        backward works; `retain_graph` is accepted for PyTorch code and changes nothing.

        >>> from autograd import Value
        >>> x, w = Value(2.0), Value(-1.0)
        >>> y = (x * w).relu() + x              # x * w = -2: the ReLU is off
        >>> y.backward()
        >>> x.grad, w.grad
        (1.0, 0.0)
        """
        # a Value gradient (PyTorch takes a tensor) seeds a create_graph pass as it is, so that
        # the gradients can be differentiated with respect to it too; otherwise its number
        node = None
        if gradient.__class__ is not float:     # (the usual 1.0 is: no isinstance needed)
            if isinstance(gradient, Value):
                node = gradient
            gradient = _as_float(gradient if node is None else node.data, "backward: gradient")
        if self.data.__class__ is not float:
            _check_data(self, "backward")
        if create_graph:
            graph.backward_create_graph(self, number_value(gradient) if node is None else node)
        else:
            backpropagate(self, gradient)

    def detach(self) -> Value:
        """The same number as a new leaf with no history and no gradient (a stop-gradient:
        nothing flows back through it to what it was computed from).

        It is a snapshot: `autograd.compile` replays the graph, and a detached Value in it keeps
        the number it had when recorded (compile warns). To follow the data in a compiled
        graph, use a Value with `requires_grad=False` and assign it before each `forward()`:
        `target.data = (w * w).data`.
        """
        out = Value(self.data, label=self.label, requires_grad=False)
        out._a = NUMBER if self._fn is None and getattr(self, "_a", None) is NUMBER \
            else DETACHED               # (of a number alone: it never changes, nothing to say)
        return out

    def __float__(self) -> float:
        """float(v), math.exp(v) and the like: refused, saying what to write (micrograd's Value
        has no number conversion either). Its number would leave the graph without a word."""
        raise TypeError(_left_the_graph("float(v) (or a math function of v)"))

    def __int__(self) -> int:
        raise TypeError(_left_the_graph("int(v)"))

    def __round__(self, digits: int | None = None) -> float:
        raise TypeError(_left_the_graph("round(v)"))

    def item(self) -> float:
        """The number, `.data` (PyTorch's name, for code written for tensors)."""
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

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __format__(self, spec: str) -> str:
        """f"{loss:.4f}" formats the number (only for display: the Value stays out of it)."""
        return format(self.data, spec) if spec else repr(self)


Value._kind = Value                 # what apply() makes from Value inputs
Value._payload_type = float


def _apply_one(op: type, x: Value, ctx: Any = None) -> Value:
    """`apply(op, (x,), ctx)` for one Value input, written out like `+` and `*`: every neuron's
    activation and every `2 * x` comes here, and the general path costs twice as much."""
    try:
        data = op.forward(ctx, x.data)
    except TypeError:
        _check_data(x, op.name)
        raise
    if data.__class__ is not float:
        _check_data(x, op.name)
        data = Value._payload(data, op)
    if _mode.plain:                     # recording, no anomaly checks: make_node written out
        out = _new(Value)
        out.data = data
        out.grad = 0.0
        if x._fn is not None:
            out._fn, out._a, out._b = op, x, ctx
        else:
            out._fn, out._a = None, constant_kind((x,))
        return out
    return make_node(Value, data, op, (x,), ctx)


def _operand(x: Any, op: str) -> Value:
    """The second input of a function of two Values: `x` itself, or a number as a constant."""
    return x if isinstance(x, Value) else number_value(_as_float(x, op))


def _check_data(x: Value, op: str) -> None:
    """Raise when `x.data` is not a number (a Value or an array assigned to `.data` by hand)."""
    data = x.data
    if not isinstance(data, numbers.Real) or isinstance(data, Node):
        raise _bad_data(op, data)


def _left_the_graph(what: str) -> str:
    return (f"{what}: a Value is a node of a graph, and as a Python number it would leave the "
            f"graph (no gradient would flow back): use its methods to stay in it (v.exp(), "
            f"v.tanh(), v ** 2, ...), or v.data (v.item()) for the number; f\"{{v.data:.4f}}\" "
            f"formats it")


def _bad_data(op: str, data: Any) -> TypeError:
    """The error for a Value whose `.data` is `data`, not a number."""
    return TypeError(f"{op}: this Value's .data is a {type(data).__name__}, not a number: "
                     f".data must hold a float{data_hint(data)}")


def data_hint(data: Any) -> str:
    """What most likely put `data`, not a number, in a Value's .data ('' if nothing is known)."""
    return (" (was `p.data -= lr * p` written for `p.data -= lr * p.grad`? Or is lr a Value? "
            "An update takes numbers: lr.data)" if isinstance(data, Node) else "")


def _refuse_comparison(x: Value, symbol: str, other: Any) -> None:
    got = f"{other.data!r}" if isinstance(other, Value) else f"{other!r:.40}"
    raise TypeError(f"Value {symbol} ...: a Value is a node of a graph, not a number; compare "
                    f"its number: value.data {symbol} {got} (max(values, key=lambda v: v.data) "
                    f"picks a node by its number; in a formula, max(x, 0) is x.relu())")


def _refuse_xor(other: Any, reflected: bool) -> None:
    """`v ^ 2`, a power written as on paper: Python's ^ is bitwise xor, which a number refuses
    with "unsupported operand type(s) for ^", saying nothing of **."""
    got = f"{other.data!r}" if isinstance(other, Value) else f"{other!r:.40}"
    base, exponent = (got, "v") if reflected else ("v", got)
    raise TypeError(f"{base} ^ {exponent}: ^ is Python's bitwise xor, not a power; a power is "
                    f"{base} ** {exponent}")


_MINUS_INF = -math.inf


def _power(base: float, exponent: Number) -> float:
    try:
        result = base ** exponent
    except ZeroDivisionError:
        how = " (a / b is computed as a * b ** -1: a division by zero ends here too)" \
            if exponent == -1 else ""
        raise ZeroDivisionError(f"pow: {base!r} ** {exponent!r} divides by zero{how}") from None
    except OverflowError:
        raise OverflowError(f"pow: {base!r} ** {exponent!r} is too large for a float (in a "
                            f"training loop, numbers this large usually mean the steps "
                            f"diverged: try a smaller learning rate)") from None
    if result.__class__ is float:
        if base != _MINUS_INF or math.isinf(exponent) or float(exponent).is_integer():
            return result
        # Python takes (-inf) ** 0.5 to inf and (-inf) ** -0.5 to 0, where (-4.0) ** 0.5 is
        # complex: no more a real number at -inf
    if result.__class__ in (complex, float):
        raise ValueError(f"pow: {base!r} ** {exponent!r} is not a real number")
    if isinstance(result, Node):        # base: a Value set by hand as some Value's .data
        raise _bad_data("pow", base)
    return float(result)                # a numpy exponent gives a numpy float
