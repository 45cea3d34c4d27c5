"""Tensor's elementwise methods, mixed into `Tensor` (autograd/tensor.py): PyTorch's named
comparisons, the math functions (exp, log, tanh, erf, ...: each op's forward and derivative are
in autograd/ops), rounding, clamping, masks and triangles, the dtype casts, and the device
moves, which change nothing here (there is one device, the CPU).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from . import graph
from .devices import NO_GPU, to_arguments
from .graph import Node, apply
from .ops import (
    Abs, Acos, Acosh, Asin, Asinh, AsType, Atan, Atan2, Atanh, Clip, ConstDiv, Copysign, Cos, Cosh,
    Erf, Erfc, Erfinv, Exp, Expm1, Fmod, Hypot, I0, Lgamma, Log, Log1p, Log2, Log10, LogAddExp,
    Logit, LogNdtr, Maximum, Minimum, NormalCdf, Polygamma, PowConst, Relu, Sigmoid, Sin, Sinc,
    Sinh, Sqrt, Tan, Tanh, Where, XLogY,
)
from .ops.elementwise import Condition
from .pytorch_names import TENSOR_TYPE_NAMES, numpy_dtype
from .tensor_functions import _payload_of, _wants_gradient, where
from .tensor_operands import (
    NONE_COMPARED, _as_tensor, _MIXED_ENGINES, _promote, _python_number,
    _refuse_integer_division_by_zero, _refuse_unbroadcastable, _refuse_value,
)

if TYPE_CHECKING:
    from .tensor import Tensor
# `Tensor`, a global here as in tensor.py, is put into this module by autograd/tensor.py once
# the class exists (tensor.py imports this module to make it, so it cannot be imported back)


class ElementwiseMethods:
    """Tensor's methods that work element by element (see the module's docstring)."""

    __slots__ = ()

    # -- comparisons by name (the operators, < == & ..., are in autograd/tensor.py) ------------

    # PyTorch's names for the comparisons (bool tensors, constants), and its logical ops, which
    # take any dtype (nonzero is true) where & | ^ ~ take bools and integers only
    def eq(self, other: Any) -> Tensor: return self._named_compare(np.equal, "eq", other)
    def ne(self, other: Any) -> Tensor: return self._named_compare(np.not_equal, "ne", other)
    def lt(self, other: Any) -> Tensor: return self._named_compare(np.less, "lt", other)
    def le(self, other: Any) -> Tensor: return self._named_compare(np.less_equal, "le", other)
    def gt(self, other: Any) -> Tensor: return self._named_compare(np.greater, "gt", other)
    def ge(self, other: Any) -> Tensor: return self._named_compare(np.greater_equal, "ge", other)
    def logical_and(self, other: Any) -> Tensor:
        return self._named_compare(np.logical_and, "logical_and", other)

    def logical_or(self, other: Any) -> Tensor:
        return self._named_compare(np.logical_or, "logical_or", other)

    def logical_xor(self, other: Any) -> Tensor:
        return self._named_compare(np.logical_xor, "logical_xor", other)

    def logical_not(self) -> Tensor:
        """True where the element is 0 (or False), as a bool tensor.

        >>> Tensor([0.0, 2.0]).logical_not().tolist()
        [True, False]
        """
        return Tensor(np.logical_not(self.data))

    def _named_compare(self, ufunc: Any, name: str, other: Any) -> Tensor:
        result = self._compare(ufunc, name, other)
        if result is NotImplemented:
            raise TypeError(f"{name}: expected a Tensor, an array or a number, got "
                            f"{type(other).__name__}")
        return result

    def equal(self, other: Any) -> bool:
        """True if `other` has this shape and the same numbers (PyTorch's `equal`: one bool,
        where `==` compares element by element; NaN equals nothing).

        >>> Tensor([1.0, 2.0]).equal(Tensor([1.0, 2.0])), Tensor([1.0]).equal(Tensor([1.0, 1.0]))
        (True, False)
        """
        if other is None:
            raise TypeError(f"equal: {NONE_COMPARED}")
        other = self._operand(other)
        return self.shape == other.shape and bool(np.array_equal(self.data, other.data))

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        """|t - other| <= atol + rtol * |other|, element by element: a bool constant
        (PyTorch's `isclose`, numpy's defaults; NaN is close to NaN only with equal_nan).

        >>> Tensor([1.0, 2.0]).isclose(Tensor([1.0 + 1e-7, 2.1])).tolist()
        [True, False]
        """
        return self._close("isclose", other, rtol, atol, equal_nan)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        """Whether every element `isclose` (one bool, PyTorch's `allclose`).

        >>> Tensor([1.0, 2.0]).allclose(Tensor([1.0, 2.0 + 1e-6]))
        True
        """
        return bool(self._close("allclose", other, rtol, atol, equal_nan).data.all())

    def _close(self, name: str, other: Any, rtol: float, atol: float, equal_nan: bool
               ) -> Tensor:
        if other is None:
            raise TypeError(f"{name}: {NONE_COMPARED}")
        try:
            other = self._operand(other)
        except TypeError as error:
            _refuse_value(name, error, other)
            raise
        try:
            return Tensor(np.isclose(self.data, other.data, rtol, atol, equal_nan))
        except ValueError:
            _refuse_unbroadcastable(name, self, other)
            raise

    # -- elementwise functions -----------------------------------------------------------------

    # (these give fractions: an integer tensor is taken as the default float dtype first)
    def exp(self) -> Tensor: return apply(Exp, (self._floating(),))
    def log(self) -> Tensor: return apply(Log, (self._floating(),))
    def sqrt(self) -> Tensor: return apply(Sqrt, (self._floating(),))
    def tanh(self) -> Tensor: return apply(Tanh, (self._floating(),))
    def sigmoid(self) -> Tensor: return apply(Sigmoid, (self._floating(),))
    def sin(self) -> Tensor: return apply(Sin, (self._floating(),))
    def cos(self) -> Tensor: return apply(Cos, (self._floating(),))

    def log10(self) -> Tensor:
        """log₁₀ x, whose slope is 1 / (x ln 10) (makemore's `lossi.append(loss.log10().item())`)."""
        return apply(Log10, (self._floating(),))

    def log2(self) -> Tensor:
        """log₂ x, whose slope is 1 / (x ln 2)."""
        return apply(Log2, (self._floating(),))

    def log1p(self) -> Tensor:
        """ln(1 + x), accurate where x is tiny (1 + x would round to 1 first).

        >>> x = Tensor([1e-10], dtype=np.float64)
        >>> x.log1p().item(), (1 + x).log().item()          # the second off in its 8th digit
        (9.999999999500001e-11, 1.000000082690371e-10)
        """
        return apply(Log1p, (self._floating(),))

    def expm1(self) -> Tensor:
        """e^x - 1, accurate where x is tiny."""
        return apply(Expm1, (self._floating(),))

    # the trigonometric and hyperbolic functions beyond sin and cos (ops/trig.py) and erf
    # (ops/erf.py); PyTorch also spells the inverses numpy's way, arcsin ... arctanh
    def tan(self) -> Tensor: return apply(Tan, (self._floating(),))
    def sinh(self) -> Tensor: return apply(Sinh, (self._floating(),))
    def cosh(self) -> Tensor: return apply(Cosh, (self._floating(),))

    def asin(self) -> Tensor:
        """The angle in [-π/2, π/2] whose sine is x; NaN outside [-1, 1] (as in PyTorch, with
        numpy's warning), slope 1 / sqrt(1 - x²), inf at ±1.

        >>> Tensor([1.0, 0.5], dtype=np.float64).asin().tolist() == [math.pi / 2, math.asin(0.5)]
        True
        """
        return apply(Asin, (self._floating(),))

    def acos(self) -> Tensor:
        """The angle in [0, π] whose cosine is x; NaN outside [-1, 1]."""
        return apply(Acos, (self._floating(),))

    def atan(self) -> Tensor:
        """The angle in (-π/2, π/2) whose tangent is x; slope 1 / (1 + x²)."""
        return apply(Atan, (self._floating(),))

    def asinh(self) -> Tensor:
        """The inverse of sinh, ln(x + sqrt(x² + 1)); slope 1 / sqrt(x² + 1)."""
        return apply(Asinh, (self._floating(),))

    def acosh(self) -> Tensor:
        """The inverse of cosh on [1, inf); NaN below 1, slope 1 / sqrt(x² - 1), inf at 1."""
        return apply(Acosh, (self._floating(),))

    def atanh(self) -> Tensor:
        """The inverse of tanh on [-1, 1]: ±inf at ±1, NaN beyond; slope 1 / (1 - x²).

        >>> x = Tensor([0.5], dtype=np.float64)
        >>> abs(x.atanh().item() - math.atanh(0.5)) < 1e-15    # (numpy's and C's: 1 ulp apart)
        True
        """
        return apply(Atanh, (self._floating(),))

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def erf(self) -> Tensor:
        """The error function 2/√π ∫₀ˣ e^(-t²) dt (in float64, then in this tensor's dtype);
        slope 2/√π e^(-x²).

        >>> Tensor([0.0, 10.0]).erf().tolist()
        [0.0, 1.0]
        """
        return apply(Erf, (self._floating(),))

    def erfc(self) -> Tensor:
        """1 - erf(x), computed directly: it keeps its digits where 1 - erf(x) would be 0.

        >>> Tensor([10.0], dtype=np.float64).erfc().item()     # 1 - erf(10) is 0.0
        2.08848758376254...e-45
        """
        return apply(Erfc, (self._floating(),))

    def erfinv(self) -> Tensor:
        """The inverse of erf on [-1, 1]: ±inf at ±1, NaN beyond; slope √π/2 e^(erfinv(y)²).

        >>> Tensor([0.5], dtype=np.float64).erfinv().item()
        0.476936276204469...
        """
        return apply(Erfinv, (self._floating(),))

    def ndtr(self) -> Tensor:
        """Φ(x), the standard normal CDF (PyTorch's torch.special.ndtr), from erfc(-x/√2) / 2:
        it keeps its digits in the left tail (Φ(-30) ≈ 4.9e-198); slope φ(x), the density.

        >>> Tensor([-30.0, 0.0], dtype=np.float64).ndtr().tolist()
        [4.906713927148...e-198, 0.5]
        """
        return apply(NormalCdf, (self._floating(),))

    def log_ndtr(self) -> Tensor:
        """log Φ(x) (PyTorch's torch.special.log_ndtr), finite where Φ(x) underflows (from
        x ≈ -38.5: a log expected improvement's tail); slope φ(x)/Φ(x), ≈ -x far left.

        >>> x = Tensor([-40.0], dtype=np.float64)
        >>> x.ndtr().item(), round(x.log_ndtr().item(), 10)        # Φ(-40) is 0.0 in float64
        (0.0, -804.6084420138)
        """
        return apply(LogNdtr, (self._floating(),))

    def lgamma(self) -> Tensor:
        """ln |Γ(x)|, inf at the poles 0, -1, -2, ...; slope digamma(x).

        >>> Tensor([4.0, 0.5], dtype=np.float64).lgamma().tolist()     # ln 3!, ln √π
        [1.791759469228055..., 0.57236494292470...]
        """
        return apply(Lgamma, (self._floating(),))

    def digamma(self) -> Tensor:
        """ψ(x) = d/dx ln Γ(x), -inf at +0 and NaN at -1, -2, ... (PyTorch's); slope
        polygamma(1, x).

        >>> round(Tensor([1.0], dtype=np.float64).digamma().item(), 12)     # -γ
        -0.577215664902
        """
        return apply(Polygamma, (self._floating(),), 0)

    def polygamma(self, n: int) -> Tensor:
        """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n = 0 is digamma itself); slope
        polygamma(n + 1, x). PyTorch's `torch.polygamma(n, x)` takes n first: that is
        `x.polygamma(n)` here, as PyTorch's method.

        >>> round(Tensor([1.0], dtype=np.float64).polygamma(1).item() * 6 / math.pi ** 2, 12)
        1.0
        """
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"polygamma: n is the order of the derivative of digamma, a whole "
                             f"number >= 0, got {n!r}")
        return apply(Polygamma, (self._floating(),), int(n))

    def mvlgamma(self, p: int) -> Tensor:
        """The log of the multivariate gamma function of dimension p, Σᵢ lgamma(x - i/2) over
        i < p plus p(p-1)/4 ln π; every element must exceed (p - 1)/2, as in PyTorch.

        >>> x = Tensor([2.5], dtype=np.float64)
        >>> x.mvlgamma(1).item() == x.lgamma().item()
        True
        """
        if isinstance(p, bool) or not isinstance(p, numbers.Integral) or p < 1:
            raise ValueError(f"mvlgamma: p is a dimension, a whole number >= 1, got {p!r}")
        x = self._floating()
        if not np.all(x.data > (p - 1) / 2):
            raise ValueError(f"mvlgamma: every element must be > (p - 1)/2 = {(p - 1) / 2} "
                             f"for p={p}; the smallest is {np.min(x.data)}")
        shifts = np.arange(p, dtype=x.data.dtype) / 2
        total = (x.unsqueeze(-1) - shifts).lgamma().sum(-1)
        return total + p * (p - 1) / 4 * math.log(math.pi)

    def sinc(self) -> Tensor:
        """sin(πx) / (πx), and 1 at 0 (the normalised sinc, as numpy's and PyTorch's); slope
        (cos(πx) - sinc(x)) / x, 0 at 0.

        >>> Tensor([0.0, 0.5, 1.0], dtype=np.float64).sinc().tolist()   # 2/π; π rounds: not 0
        [1.0, 0.6366197723675814, 3.8981718325193755e-17]
        """
        return apply(Sinc, (self._floating(),))

    def i0(self) -> Tensor:
        """I₀(x), the modified Bessel function of the first kind of order 0 (PyTorch's
        Tensor.i0; autograd.special has its relatives i0e, i1, i1e); slope I₁(x).

        >>> Tensor([0.0, 1.0], dtype=np.float64).i0().tolist()
        [1.0, 1.26606587775200...]
        """
        return apply(I0, (self._floating(),))

    def deg2rad(self) -> Tensor:
        """Degrees to radians: x π/180."""
        return self._floating() * (math.pi / 180)

    def rad2deg(self) -> Tensor:
        """Radians to degrees: x 180/π."""
        return self._floating() * (180 / math.pi)

    def copysign(self, other: Any) -> Tensor:
        """|x| with the sign of `other` (numbers or a tensor that broadcast; -0.0 counts as
        negative); the gradient passes to x as ±1, 0 where x is 0 (PyTorch's), none to other.

        >>> Tensor([1.0, -2.0, 3.0]).copysign(Tensor([-0.0, 1.0, -1.0])).tolist()
        [-1.0, 2.0, -3.0]
        """
        x = self._fractions_beside(other)
        return x._binary(Copysign, x, other)

    def atan2(self, other: Any) -> Tensor:
        """The angle in [-π, π] of the point (other, self): atan2(y, x) is y.atan2(x), as in
        PyTorch. Its slopes, x / (x² + y²) for y and -y / (x² + y²) for x, are 0 at the origin
        (PyTorch's numbers).

        >>> y, x = Tensor([1.0, -1.0]), Tensor([-1.0, 0.0])
        >>> (y.atan2(x) / math.pi).tolist()                      # 3π/4 and -π/2
        [0.75, -0.5]
        """
        x = self._fractions_beside(other)
        return x._binary(Atan2, x, other)

    arctan2 = atan2

    def hypot(self, other: Any) -> Tensor:
        """sqrt(x² + y²) for x = self, y = other, without the squares' overflow (3e200 and
        4e200 give 5e200); slopes x / hypot and y / hypot, NaN at the origin (as PyTorch's)."""
        x = self._fractions_beside(other)
        return x._binary(Hypot, x, other)

    def logaddexp(self, other: Any) -> Tensor:
        """ln(e^x + e^y), elementwise, without overflow (logaddexp(1000, 1000) is 1000 + ln 2);
        slopes σ(x - y) and σ(y - x)."""
        x = self._fractions_beside(other)
        return x._binary(LogAddExp, x, other)

    def xlogy(self, other: Any) -> Tensor:
        """x ln(other), and 0 where x is 0 (unless other is NaN), as PyTorch's xlogy: the
        cross-entropy -Σ p ln q is finite where p and q are both 0, and so is its gradient
        for p (p * q.log() is NaN there, and so is the gradient of where(p == 0, 0,
        p * q.log()), through the branch not taken).

        >>> p = Tensor([0.0, 0.5, 0.5], requires_grad=True, dtype=np.float64)
        >>> loss = -p.xlogy(Tensor([0.0, 0.5, 0.5])).sum(); loss.backward()
        >>> round(loss.item(), 6), p.grad.round(6).tolist()
        (0.693147, [0.0, 0.693147, 0.693147])
        """
        x = self._fractions_beside(other)
        return x._binary(XLogY, x, other)

    def logit(self, eps: float | None = None) -> Tensor:
        """ln(x / (1 - x)), the inverse of sigmoid, of x clamped to [eps, 1 - eps] if eps is
        given (then the slope is 0 where the clamp acts); NaN outside [0, 1], ±inf at 1 and 0.
        """
        if eps is not None and not (isinstance(eps, numbers.Real) and 0 <= eps <= 0.5):
            raise ValueError(f"logit: eps must be a number from 0 to 0.5 (x is clamped to "
                             f"[eps, 1 - eps]), got {eps!r}")
        return apply(Logit, (self._floating(),), None if eps is None else float(eps))

    def logaddexp2(self, other: Any) -> Tensor:
        """log₂(2^x + 2^y), elementwise, without overflow: logaddexp of x ln 2 and y ln 2,
        over ln 2."""
        x = self._fractions_beside(other)
        y = x._operand(other)
        if y.data.dtype.kind != "f":        # integers: in x's float dtype (their ln 2 multiple
            y = y.astype(x.data.dtype)      # would be the default dtype's)
        ln2 = math.log(2)
        return (x * ln2).logaddexp(y * ln2) * (1 / ln2)

    def float_power(self, exponent: Any) -> Tensor:
        """x ** exponent in float64, whatever the dtypes (PyTorch's float_power).

        >>> Tensor([2]).float_power(3).dtype
        dtype('float64')
        """
        if isinstance(exponent, Tensor):
            exponent = exponent.double()
        elif not isinstance(exponent, numbers.Number):
            exponent = np.asarray(exponent, dtype=np.float64)
        return self.double() ** exponent

    def exp2(self) -> Tensor:
        """2^x, as 2 ** x (slope 2^x ln 2)."""
        return 2 ** self._floating()

    def reciprocal(self) -> Tensor:
        """1 / x (an integer tensor gives fractions, in the default float dtype)."""
        x = self._floating()
        return apply(ConstDiv, (x,), x.data.dtype.type(1))

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x), as x ** -0.5."""
        return apply(PowConst, (self._floating(),), -0.5)

    def square(self) -> Tensor:
        """x², as x ** 2 (an integer tensor stays integer, as in PyTorch)."""
        return apply(PowConst, (self,), 2)

    # Rounding and the sign are constants: their slope is 0 wherever it exists, so no gradient
    # flows back through them (PyTorch's is 0), as with //. Integer tensors are already whole.
    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each element, a constant (PyTorch's slope is 0). NaN
        stays NaN, as in numpy (PyTorch gives 0, which would hide it).

        >>> Tensor([-2.0, 0.0, 3.0]).sign().tolist()
        [-1.0, 0.0, 1.0]
        """
        return Tensor(self.data.copy() if self.data.dtype.kind == "b" else np.sign(self.data))

    def floor(self) -> Tensor:
        """The largest whole number <= each element, a constant."""
        return self._rounded(np.floor)

    def ceil(self) -> Tensor:
        """The smallest whole number >= each element, a constant."""
        return self._rounded(np.ceil)

    def round(self, *, decimals: int = 0) -> Tensor:
        """Each element rounded to `decimals` places, halves to even (as PyTorch and numpy
        round), a constant.

        >>> Tensor([0.5, 1.5, 2.5, -0.5]).round().tolist()
        [0.0, 2.0, 2.0, -0.0]
        """
        return self._rounded(lambda a: np.round(a, decimals))

    def trunc(self) -> Tensor:
        """Each element rounded towards 0 (its whole part), a constant."""
        return self._rounded(np.trunc)

    fix = trunc

    def frac(self) -> Tensor:
        """The fractional part x - trunc(x), with the sign of x; slope 1 (the whole part is a
        constant, as in PyTorch). An integer tensor's is 0.

        >>> Tensor([-1.5, 2.25]).frac().tolist()
        [-0.5, 0.25]
        """
        return self - self.trunc()

    def remainder(self, other: Any) -> Tensor:
        """PyTorch's name for x % other: the remainder with the divisor's sign."""
        return self % other

    def fmod(self, other: Any) -> Tensor:
        """The remainder of x / other with the sign of x (C's fmod, PyTorch's fmod), where
        x % other takes the divisor's; x fmod 0.0 is NaN, and an integer division by 0 an error.
        Slopes 1 for x and -trunc(x / other) for other.

        >>> Tensor([-5.5, 5.5]).fmod(2.0).tolist(), (Tensor([-5.5, 5.5]) % 2.0).tolist()
        ([-1.5, 1.5], [0.5, 1.5])
        """
        _refuse_integer_division_by_zero(self, other, "fmod")
        return self._binary(Fmod, self, other)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """The linear interpolation start + weight (end - start) from start = self, with a
        weight that is a number or a tensor (both broadcast); written end - (end - start)
        (1 - weight) where |weight| >= 0.5, as PyTorch, so that weight 1 gives end exactly.
        Gradients reach start, end and a weight tensor.

        >>> Tensor([0.0, 10.0]).lerp(Tensor([10.0, 20.0]), 0.25).tolist()
        [2.5, 12.5]
        """
        start = self._floating()
        try:
            end = start._operand(end)
            weighted = isinstance(weight, Node) or not isinstance(weight, numbers.Real)
            if weighted:
                weight = start._operand(weight)
        except TypeError as error:
            raise TypeError(f"lerp: {error}") from None
        shapes = (start.shape, end.shape) + ((weight.shape,) if weighted else ())
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            names = "start, end and weight" if weighted else "start and end"
            raise ValueError(f"lerp: {names} of shapes {', '.join(map(str, shapes))} cannot "
                             f"be broadcast together") from None
        difference = end - start
        if not weighted:                    # a number picks its formula here
            return start + weight * difference if abs(weight) < 0.5 else \
                end - difference * (1 - weight)
        return where(weight.abs() < 0.5, start + weight * difference,
                     end - difference * (1 - weight))

    def _rounded(self, f: Any) -> Tensor:
        if self.data.dtype.kind in "biu":
            return Tensor(self.data.copy())
        return Tensor(f(self.data))

    def isnan(self) -> Tensor:
        """Where the elements are NaN, as a bool tensor."""
        return Tensor(np.isnan(self.data))

    def isinf(self) -> Tensor:
        """Where the elements are ±inf, as a bool tensor."""
        return Tensor(np.isinf(self.data))

    def isfinite(self) -> Tensor:
        """Where the elements are neither NaN nor ±inf, as a bool tensor."""
        return Tensor(np.isfinite(self.data))

    def isposinf(self) -> Tensor:
        """Where the elements are +inf, as a bool tensor."""
        return Tensor(np.isposinf(self.data))

    def isneginf(self) -> Tensor:
        """Where the elements are -inf, as a bool tensor."""
        return Tensor(np.isneginf(self.data))

    def signbit(self) -> Tensor:
        """Where the sign bit is set (negative numbers, -0.0, -inf), as a bool tensor."""
        return Tensor(np.signbit(self.data))

    def heaviside(self, values: Any) -> Tensor:
        """The step function: 0 where x < 0, 1 where x > 0, and `values` (which broadcast)
        where x is 0; a constant, as sign (PyTorch's has no derivative). In the dtype of x and
        values (bools give bools, as PyTorch's; numpy's would be float16); where they differ,
        promoted as `+` does (PyTorch refuses two dtypes).

        >>> Tensor([-1.0, 0.0, 2.0]).heaviside(Tensor([0.5])).tolist()
        [0.0, 0.5, 1.0]
        """
        x, values = self, self._operand(values)
        if x.data.dtype != values.data.dtype:
            x, values = _promote(x, values, "heaviside")
        x_data, values_data = np.broadcast_arrays(x.data, values.data)
        if x_data.dtype.kind == "f":
            return Tensor(np.heaviside(x_data, values_data))
        return Tensor(np.where(x_data == 0, values_data, x_data > 0).astype(x_data.dtype))

    def nextafter(self, other: Any) -> Tensor:
        """The next float after x towards `other`, in the dtype `+` would give (PyTorch's:
        float16 towards float32 is float32); a constant (no gradient, as in PyTorch)."""
        given = self._operand(other)
        x, y = (self, given) if self.data.dtype == given.data.dtype else \
            _promote(self, given, "nextafter")
        if x.data.dtype.kind != "f":
            raise TypeError(f"nextafter: needs floating tensors (the next float), got dtypes "
                            f"{self.data.dtype} and {given.data.dtype}; convert first: "
                            f"t.float()")
        return Tensor(np.nextafter(x.data, y.data))

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Tensor:
        """NaN, +inf and -inf replaced by `nan`, `posinf` and `neginf` (the infinities by the
        dtype's largest and lowest finite numbers unless given); the gradient passes where x is
        finite and is 0 elsewhere, as PyTorch's.

        >>> Tensor([np.nan, np.inf, -1.0]).nan_to_num(posinf=9.0).tolist()
        [0.0, 9.0, -1.0]
        """
        if self.data.dtype.kind != "f":
            return self
        finite = np.isfinite(self.data)
        replaced = np.nan_to_num(self.data, nan=nan, posinf=posinf, neginf=neginf)
        return where(finite, self, Tensor(replaced))

    def fmax(self, other: Any) -> Tensor:
        """The larger of x and other, elementwise, ignoring NaN: NaN only where both are NaN.
        The gradient goes to x where x >= other or other is NaN, else to other (PyTorch's).

        >>> Tensor([np.nan, 1.0, 3.0]).fmax(Tensor([2.0, np.nan, 1.0])).tolist()
        [2.0, 1.0, 3.0]
        """
        other = self._operand(other)
        kept = (self.data >= other.data) | np.isnan(other.data)
        return where(Condition(kept, "a ≥ b or b is NaN"), self, other)

    def fmin(self, other: Any) -> Tensor:
        """The smaller of x and other, elementwise, ignoring NaN (see fmax)."""
        other = self._operand(other)
        kept = (self.data <= other.data) | np.isnan(other.data)
        return where(Condition(kept, "a ≤ b or b is NaN"), self, other)

    def _fractions_beside(self, other: Any) -> Tensor:
        """This tensor, or for integer or bool data its float copy in the dtype of `other` if
        that is a floating tensor, else the default dtype: PyTorch's int32.atan2(float16) is
        float16, and int64.hypot(a 0-d float64) float64 (both were the default dtype here)."""
        return self if self.data.dtype.kind == "f" else self._as_fractions(other)

    def _floating(self) -> Tensor:
        """This tensor, or for integer or bool data its float copy in the default dtype:
        PyTorch's rule for ops whose results are fractions (numpy would make uint8 float16)."""
        if self.data.dtype.kind == "f":
            return self
        from .tensor import get_default_dtype   # (tensor.py imports this module: imported here)
        return Tensor(self.data.astype(get_default_dtype()))

    def _exactly_in_float64(self) -> Tensor:
        """Integer or bool data as float64 (exact up to 2**53), for a mean or a variance that
        then comes in the default dtype: a float32 sum of large integers would round."""
        return Tensor(self.data.astype(np.float64))

    def relu(self) -> Tensor: return apply(Relu, (self,))

    def abs(self) -> Tensor:
        if self.data.dtype.kind == "b":
            raise TypeError("abs: a bool tensor has no absolute value (convert it with "
                            ".astype(np.float32) or .astype(np.int64) first)")
        # the sign is abs's slope, kept for backward: computed only when the node is recorded
        recorded = self._fn is not None and graph.grad_mode.enabled
        return apply(Abs, (self,), np.sign(self.data) if recorded else None)

    __abs__ = abs

    def maximum(self, other: Any) -> Tensor:
        return self._binary(Maximum, self, other)

    def minimum(self, other: Any) -> Tensor:
        return self._binary(Minimum, self, other)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return self._clamped("clip", min, max)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """PyTorch's name for `clip`: each element kept within [min, max] (either may be None;
        numbers, or arrays and tensors that broadcast). The gradient passes where
        min <= x <= max, as in PyTorch, and to a tensor bound that wants one where x crossed
        it. Unlike PyTorch, min > max is refused (PyTorch would set every element to max).

        >>> x = Tensor([-2.0, 0.5, 3.0], requires_grad=True)
        >>> x.clamp(min=-1.0, max=1.0).sum().backward(); x.grad
        array([0., 1., 0.], dtype=float32)
        """
        return self._clamped("clamp", min, max)

    def clamp_min(self, min: Any) -> Tensor:
        """`clamp(min=min)`: each element at least `min`."""
        return self._clamped("clamp_min", min, None)

    def clamp_max(self, max: Any) -> Tensor:
        """`clamp(max=max)`: each element at most `max`."""
        return self._clamped("clamp_max", None, max)

    def _clamped(self, name: str, min: Any, max: Any) -> Tensor:
        if _wants_gradient(min) or _wants_gradient(max):
            return self._clamped_between(name, min, max)
        bounds = self._bounds(name, min, max)
        x = self
        if self.data.dtype.kind in "iu" and any(isinstance(b, float) for b in bounds):
            x = self._floating()    # PyTorch's default float dtype (numpy's clip: float64)
        return apply(Clip, (x,), bounds)

    def _clamped_between(self, name: str, min: Any, max: Any) -> Tensor:
        """clamp with a bound that wants its gradient (Clip passes none to its bounds): the
        bound where x crossed it, x elsewhere, each taking the gradient where it is chosen
        (x at a bound, as PyTorch's); none at all where x is NaN, as in PyTorch."""
        self._bounds(name, *[b.detach() if isinstance(b, Tensor) else b for b in (min, max)])
        x = self._floating() if self.data.dtype.kind in "biu" else self
        y = x
        if min is not None:
            y = where(x.data < _payload_of(min), min, y)
        if max is not None:
            y = where(x.data > _payload_of(max), max, y)
        return where(np.isnan(x.data), x.detach(), y)

    def _bounds(self, name: str, min: Any, max: Any) -> tuple:
        """(low, high) for Clip: numbers as Python numbers (np.float64 bounds: float32 stays),
        arrays as they are, tensors as their numbers."""
        if min is None and max is None:
            raise ValueError(f"{name}: give at least one of min and max")
        bounds = []
        for bound in (min, max):
            if isinstance(bound, Node):
                if not isinstance(bound, Tensor):
                    raise TypeError(f"{name}: {_MIXED_ENGINES}")
                bound = bound.data
            bounds.append(_python_number(bound) if isinstance(bound, numbers.Real) else bound)
        low, high = bounds
        if low is not None and high is not None and np.any(np.greater(low, high)):
            # PyTorch gives max there; a porter whose bounds may cross needs the spelling of it
            raise ValueError(f"{name}: min {min} is greater than max {max}; PyTorch would give "
                             f"max there, which here is t.{name}(min=...).{name}(max=...)")
        return tuple(bounds)

    def where(self, condition: Any, other: Any) -> Tensor:
        """PyTorch's `t.where(condition, other)`: `autograd.where(condition, t, other)`, this
        tensor's elements where `condition` holds, `other`'s elsewhere.

        >>> Tensor([1.0, -2.0]).where(Tensor([True, False]), 0.0).tolist()
        [1.0, 0.0]
        """
        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """`value` where the bool `mask` is True, this tensor's element elsewhere (PyTorch's
        `masked_fill`); the mask broadcasts with the tensor. The gradient reaches this tensor
        where the mask is False (and a 0-d Tensor `value` where it is True). Attention's causal
        mask: `wei.masked_fill(tril[:T, :T] == 0, float('-inf'))`.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).masked_fill(np.array([[False, True]]), 0.0).tolist()
        [[1.0, 0.0], [3.0, 0.0]]
        """
        mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if mask.dtype != bool:
            raise TypeError(f"masked_fill: the mask must be bool, got dtype {mask.dtype}; "
                            f"compare to make one (tril == 0)")
        made = None                             # the value is a Tensor of the caller's
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise ValueError(f"masked_fill: value must be a number or a 0-d Tensor, got a "
                                 f"Tensor of shape {value.shape}")
            value = value.astype(self.data.dtype)
        elif isinstance(value, (numbers.Real, np.bool_)):
            from .creation import _filled       # (creation builds on Tensor: imported here)
            value = Tensor(_filled("masked_fill", (), value, self.data.dtype))
            made = 0                            # (Where's backward skips its gradient)
        else:
            raise TypeError(f"masked_fill: value must be a number or a 0-d Tensor, got "
                            f"{type(value).__name__}")
        try:
            np.broadcast_shapes(mask.shape, self.shape)
        except ValueError:
            raise ValueError(f"masked_fill: a mask of shape {mask.shape} does not broadcast "
                             f"with the tensor's shape {self.shape}") from None
        return apply(Where, (value, self), Condition(mask, "the mask", made))

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two axes (the rest set to 0), as `np.tril` and
        `torch.tril`: the elements on and below the `diagonal`-th diagonal (0 the main one,
        1 one above it, -1 one below); a batch of matrices is done matrix by matrix.
        The gradient passes where the elements were kept.

        >>> Tensor(np.ones((3, 3))).tril().tolist()
        [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
        """
        return self._triangle("tril", diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two axes: the elements on and above the `diagonal`-th
        diagonal, the rest set to 0 (see `tril`).

        >>> Tensor(np.ones((2, 3))).triu(1).tolist()
        [[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]
        """
        return self._triangle("triu", diagonal)

    def _triangle(self, name: str, diagonal: int) -> Tensor:
        if self.ndim < 2:
            raise ValueError(f"{name}: needs a tensor of at least 2 dims (a matrix or a batch "
                             f"of them), got shape {self.shape}")
        if not isinstance(diagonal, numbers.Integral) or isinstance(diagonal, bool):
            raise TypeError(f"{name}: diagonal must be an int, got {diagonal!r}")
        rows, cols = self.shape[-2:]
        below = np.tri(rows, cols, int(diagonal), dtype=bool)   # on or below that diagonal
        keep = below if name == "tril" else ~np.tri(rows, cols, int(diagonal) - 1, dtype=bool)
        shift = "" if diagonal == 0 else f" {'+' if diagonal > 0 else '-'} {abs(int(diagonal))}"
        words = f"column {'≤' if name == 'tril' else '≥'} row{shift}"    # the kept triangle
        return apply(Where, (self, self._constant_like(0, self)), Condition(keep, words, 1))

    # -- dtypes --------------------------------------------------------------------------------

    def astype(self, dtype: Any) -> Tensor:
        """This tensor in `dtype` (numpy's, a name such as "float64", or a torch dtype), the
        cast recorded in the graph to floating dtypes; to integers it is a constant."""
        dtype = numpy_dtype("astype", dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind not in "fc":      # integers and bools: a constant, as a comparison is
            return Tensor(self.data.astype(dtype))  # (rounding has no slope to pass back)
        return apply(AsType, (self,), dtype)

    def float(self) -> Tensor:
        """PyTorch's `t.float()`: `astype(np.float32)`; `(pred == y).float().mean()` works."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """PyTorch's `t.double()`: `astype(np.float64)`."""
        return self.astype(np.float64)

    def long(self) -> Tensor:
        """PyTorch's `t.long()`: `astype(np.int64)` (class labels, indices), a constant: no
        gradient passes through the rounding, as in PyTorch."""
        return self.astype(np.int64)

    def int(self) -> Tensor:
        """PyTorch's `t.int()`: `astype(np.int32)`, a constant (as `long`)."""
        return self.astype(np.int32)

    def short(self) -> Tensor:
        """PyTorch's `t.short()`: `astype(np.int16)`, a constant."""
        return self.astype(np.int16)

    def byte(self) -> Tensor:
        """PyTorch's `t.byte()`: `astype(np.uint8)`, a constant."""
        return self.astype(np.uint8)

    def char(self) -> Tensor:
        """PyTorch's `t.char()`: `astype(np.int8)`, a constant."""
        return self.astype(np.int8)

    def half(self) -> Tensor:
        """PyTorch's `t.half()`: `astype(np.float16)`."""
        return self.astype(np.float16)

    def bool(self) -> Tensor:
        """PyTorch's `t.bool()`: `astype(bool)`, True where nonzero (a mask), a constant."""
        return self.astype(np.bool_)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Tensor:
        """PyTorch's `t.type(dtype)`: `astype(dtype)` (a numpy or torch dtype, a name, or
        PyTorch's old class names such as "torch.FloatTensor"), so the accuracy of PyTorch's
        tutorials, `(pred.argmax(1) == y).type(torch.float).sum().item()`, works. Without a
        dtype PyTorch names the tensor's class ("torch.FloatTensor"); here `t.dtype` tells.

        >>> (Tensor([2, 0]) == Tensor([2, 1])).type(np.float32)
        Tensor([1., 0.])
        """
        if dtype is None:
            raise TypeError(f"type(): PyTorch's t.type() without a dtype names the tensor's "
                            f"class ('torch.FloatTensor'); here read t.dtype ({self.data.dtype}), "
                            f"and convert with t.type(dtype) or t.to(dtype)")
        name = dtype if isinstance(dtype, str) else (      # (torch.FloatTensor, the class)
            f"{getattr(dtype, '__module__', '')}.{getattr(dtype, '__name__', '')}")
        if name.startswith("torch.cuda."):
            raise RuntimeError(f"Tensor.type({name}): {NO_GPU}")
        dtype = TENSOR_TYPE_NAMES.get(name, dtype)
        return self.astype(numpy_dtype("type", dtype, "dtype must be a dtype (torch.float32, "
                                                      "np.float32) or 'torch.FloatTensor'"))

    def type_as(self, other: Any) -> Tensor:
        """This tensor in `other`'s dtype (PyTorch's `type_as`): `astype(other.dtype)`."""
        return self.astype(_as_tensor(other).data.dtype)

    # PyTorch's new_*: new leaves (no history) in this tensor's dtype unless given one
    def new_zeros(self, *sizes: Any, size: Any = None, dtype: Any = None,
                  requires_grad: bool = False, device: Any = None) -> Tensor:
        """Zeros of `size` in this tensor's dtype: `x.new_zeros(2, 3)` or `x.new_zeros((2, 3))`.

        >>> Tensor([1, 2]).new_zeros(2, 3).dtype
        dtype('int64')
        """
        from .creation import zeros     # (creation builds on Tensor: imported here)
        return zeros(*sizes, size=size, dtype=self._new_dtype(dtype),
                     requires_grad=requires_grad, device=device)

    def new_ones(self, *sizes: Any, size: Any = None, dtype: Any = None,
                 requires_grad: bool = False, device: Any = None) -> Tensor:
        """Ones of `size` in this tensor's dtype (see `new_zeros`)."""
        from .creation import ones
        return ones(*sizes, size=size, dtype=self._new_dtype(dtype),
                    requires_grad=requires_grad, device=device)

    def new_empty(self, *sizes: Any, size: Any = None, dtype: Any = None,
                  requires_grad: bool = False, device: Any = None) -> Tensor:
        """PyTorch's `new_empty`, for a tensor filled next: zeros here (see `autograd.empty`)."""
        from .creation import empty
        return empty(*sizes, size=size, dtype=self._new_dtype(dtype),
                     requires_grad=requires_grad, device=device)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None,
                 requires_grad: bool = False, device: Any = None) -> Tensor:
        """`fill_value` in a tensor of `size`, in this tensor's dtype (see `new_zeros`)."""
        from .creation import full
        return full(size, fill_value, dtype=self._new_dtype(dtype),
                    requires_grad=requires_grad, device=device)

    def new_tensor(self, data: Any, *, dtype: Any = None, requires_grad: bool = False,
                   device: Any = None) -> Tensor:
        """A copy of `data` as a new leaf in this tensor's dtype (`autograd.tensor(data)`).

        >>> Tensor([0.5]).new_tensor([1, 2]).dtype
        dtype('float32')
        """
        from .creation import tensor
        return tensor(data, dtype=self._new_dtype(dtype), requires_grad=requires_grad,
                      device=device)

    def _new_dtype(self, dtype: Any) -> Any:
        return self.data.dtype if dtype is None else dtype

    # -- PyTorch's device moves: there is one device, the CPU ----------------------------------

    def to(self, *args: Any, device: Any = None, dtype: Any = None, non_blocking: bool = False,
           copy: bool = False) -> Tensor:
        """PyTorch's `t.to(...)`: a device, a dtype, both, or another tensor (its dtype).

        The device must be the CPU ("cpu", or a `torch.device("cpu")`): glassgrad computes
        with numpy there, so `.to("cpu")` changes nothing and returns this tensor itself, as
        PyTorch does when nothing changes (`copy=True` gives a copy in the graph, `clone()`).
        A dtype (np.float64, "float64", a torch dtype) gives `astype(dtype)`, which records
        the cast (to integers it is a constant, as `.long()`). "cuda" and other devices are
        refused. `non_blocking` is accepted and means nothing here.

        >>> x = Tensor([1.0, 2.0])
        >>> x.to("cpu") is x
        True
        >>> x.to("cpu", np.float64).dtype, x.to(dtype="float64").dtype
        (dtype('float64'), dtype('float64'))
        """
        dtype, (_, copy) = to_arguments("Tensor.to", args, device, dtype,
                                        {"non_blocking": non_blocking, "copy": copy})
        if dtype is not None and dtype != self.data.dtype:
            return self.astype(dtype)
        return self.clone() if copy else self

    def cpu(self) -> Tensor:
        """PyTorch's `t.cpu()`: this tensor itself (its data is already in main memory)."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """PyTorch's `t.cuda()`, refused: glassgrad has no GPU."""
        raise RuntimeError(f"Tensor.cuda(): {NO_GPU}")
