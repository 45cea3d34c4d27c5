"""`ComplexTensor`: what a Fourier transform returns here. glassgrad's Tensors and gradients
are real, so a complex result is a pair of real numbers per element, kept in one real Tensor
`ri` with a last axis of 2 (real part, imaginary part): PyTorch's `view_as_real` layout.
Every op on it is a composition of real Tensor ops, so gradients flow back through it to real
inputs as real arrays, and they are PyTorch's: for a real loss L, the gradient with respect
to z = a + ib is ∂L/∂a + i ∂L/∂b.

What it does: .real, .imag, .abs() (gradient 0 at 0, as PyTorch's), .angle(), .conj(),
+ - * / with numbers (complex too), arrays (complex too), real Tensors and ComplexTensors,
indexing, reshape/transpose/unsqueeze/squeeze/flatten, sum/mean, and the transforms of
`autograd.fft`. What it does not do (other Tensor methods, matmul, complex powers,
.backward()) is refused by name, with what to write instead. A complex Tensor in the engine
itself (complex dtypes through every op) would be the alternative; see autograd/fft/__init__.py
for the measured cost of each choice.

>>> import numpy as np
>>> from autograd import Tensor
>>> z = complex_(Tensor([3.0, 0.0]), Tensor([4.0, 2.0]))
>>> (z * 1j).numpy(), z.abs().tolist()
(array([-4.+3.j, -2.+0.j], dtype=complex64), [5.0, 2.0])
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..graph import Node, Op, apply, raw
from ..tensor import Tensor, stack
from .transforms import to_complex

#: what the error for an unsupported use lists
WHAT_WORKS = (".real, .imag, .abs(), .angle(), .conj(), + - * / with numbers, arrays and "
              "tensors, indexing, reshape/transpose/permute/unsqueeze/squeeze/flatten, "
              "sum/mean, and autograd.fft's transforms (autograd.view_as_real(z) is the "
              "(..., 2) real Tensor of its parts, for any real op)")


class ComplexAbs(Op):
    """|z| = sqrt(a² + b²) of ri (..., 2);  d(a, b) = g · (a, b) / |z|, 0 where |z| = 0"""
    name = "complex_abs"

    @staticmethod
    def forward(ctx, ri):
        if ri.strides[-1] == ri.itemsize and ri.dtype in (np.float32, np.float64):
            return np.abs(to_complex(ri))           # numpy's complex abs: 10-20x faster
        return np.hypot(ri[..., 0], ri[..., 1])     # than hypot of the strided parts

    @staticmethod
    def backward(ctx, g, out, ri):
        if isinstance(g, Node):                     # higher order: recorded ops
            at_zero = (raw(out) == 0).astype(raw(out).dtype)    # there ri is 0 too
            return ((ri * (g / (out + at_zero))[..., None]),)
        slope = np.divide(g, out, out=np.zeros_like(g), where=out != 0)
        dri = np.empty(ri.shape, dtype=np.result_type(ri, slope))
        np.multiply(ri[..., 0], slope, out=dri[..., 0])     # part by part: 5x faster than
        np.multiply(ri[..., 1], slope, out=dri[..., 1])     # broadcasting slope[..., None]
        return (dri,)


class ComplexTensor:
    """A complex tensor as a pair: `ri` is a real Tensor of shape self.shape + (2,)."""

    __array_ufunc__ = None          # array * z: numpy defers to __rmul__
    __slots__ = ("ri",)
    _complex_pair = True            # Tensor * z: Tensor._binary hands over to __rmul__

    def __init__(self, ri: Tensor) -> None:
        if not isinstance(ri, Tensor) or ri.ndim == 0 or ri.shape[-1] != 2 \
                or ri.dtype.kind != "f":
            raise ValueError(f"ComplexTensor: expected a floating Tensor with a last axis of 2 "
                             f"(real, imaginary), got {_describe(ri)}")
        self.ri = ri

    # -- what it is ------------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.ri.shape[:-1]

    @property
    def ndim(self) -> int:
        return self.ri.ndim - 1

    def dim(self) -> int:
        return self.ndim

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.complex64 if self.ri.dtype == np.float32 else np.complex128)

    @property
    def requires_grad(self) -> bool:
        return self.ri.requires_grad

    @property
    def real(self) -> Tensor:
        return self.ri[..., 0]

    @property
    def imag(self) -> Tensor:
        return self.ri[..., 1]

    def numpy(self) -> np.ndarray:
        return self.ri.data[..., 0] + 1j * self.ri.data[..., 1]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        z = self.numpy()
        return z if dtype is None else z.astype(dtype)

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def item(self) -> complex:
        return complex(self.numpy().item())

    def detach(self) -> ComplexTensor:
        return ComplexTensor(self.ri.detach())

    def clone(self) -> ComplexTensor:
        return ComplexTensor(self.ri.clone())

    def cpu(self) -> ComplexTensor:
        return self

    def is_complex(self) -> bool:
        return True

    def to(self, *args: Any, **kwargs: Any) -> ComplexTensor:
        """z.to(torch.complex128), z.to(float64) (the parts' precision), z.to("cpu")."""
        dtype = kwargs.get("dtype", args[0] if args else None)
        if dtype is None or isinstance(dtype, str) and dtype.startswith("cpu"):
            return self
        kind = np.dtype(dtype)
        double = kind in (np.float64, np.complex128)
        if kind.kind not in "fc":
            raise TypeError(f"ComplexTensor.to({dtype!r}): a complex tensor converts to a "
                            f"complex or floating precision; for numbers take .abs() or .real")
        return self.double() if double else self.float()

    def __eq__(self, other: Any) -> Any:
        """Elementwise, as PyTorch: both parts equal."""
        return (self.ri == _as_ri(other, self, "==")).all(-1)

    def __ne__(self, other: Any) -> Any:
        return (self.ri != _as_ri(other, self, "!=")).any(-1)

    __hash__ = object.__hash__

    def double(self) -> ComplexTensor:
        return ComplexTensor(self.ri.double())

    def float(self) -> ComplexTensor:
        return ComplexTensor(self.ri.float())

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"ComplexTensor({np.array2string(self.numpy(), prefix='ComplexTensor(')}{grad})"

    # -- values ----------------------------------------------------------------------------

    def abs(self) -> Tensor:
        """|z|, a real Tensor; its gradient at z = 0 is 0 (PyTorch's choice), so a spectrum of
        silence trains without NaN."""
        return apply(ComplexAbs, (self.ri,))

    def angle(self) -> Tensor:
        """The phase in (-π, π], a real Tensor: atan2(imag, real)."""
        return self.imag.atan2(self.real)

    def conj(self) -> ComplexTensor:
        return ComplexTensor(self.ri * _CONJUGATE[self.ri.dtype.type])

    # -- arithmetic ------------------------------------------------------------------------

    def __neg__(self) -> ComplexTensor:
        return ComplexTensor(-self.ri)

    def __add__(self, other: Any) -> ComplexTensor:
        return ComplexTensor(self.ri + _as_ri(other, self, "+"))

    __radd__ = __add__

    def __sub__(self, other: Any) -> ComplexTensor:
        return ComplexTensor(self.ri - _as_ri(other, self, "-"))

    def __rsub__(self, other: Any) -> ComplexTensor:
        return ComplexTensor(_as_ri(other, self, "-") - self.ri)

    def __mul__(self, other: Any) -> ComplexTensor:
        if _is_real(other):                 # a real factor scales both parts: one op
            return ComplexTensor(self.ri * _real_factor(other, self))
        return _times(self, _as_ri(other, self, "*"))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> ComplexTensor:
        if _is_real(other):
            return ComplexTensor(self.ri / _real_factor(other, self))
        return _divided(self.ri, _as_ri(other, self, "/"))

    def __rtruediv__(self, other: Any) -> ComplexTensor:
        return _divided(_as_ri(other, self, "/"), self.ri)

    # -- shape -----------------------------------------------------------------------------

    def __getitem__(self, index: Any) -> ComplexTensor:
        index = index if isinstance(index, tuple) else (index,)
        if any(isinstance(i, (Tensor, np.ndarray)) and i.dtype == bool for i in index):
            raise TypeError(f"ComplexTensor[...]: a boolean mask is not supported here; take "
                            f".real and .imag, or index autograd.view_as_real(z) (shape "
                            f"{self.ri.shape}) with the mask")
        if Ellipsis not in index:
            index = index + (Ellipsis,)
        return ComplexTensor(self.ri[index + (slice(None),)])

    def reshape(self, *shape: Any) -> ComplexTensor:
        shape = tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return ComplexTensor(self.ri.reshape(tuple(shape) + (2,)))

    view = reshape

    def transpose(self, dim0: int, dim1: int) -> ComplexTensor:
        return ComplexTensor(self.ri.transpose(self._dim(dim0), self._dim(dim1)))

    def permute(self, *dims: Any) -> ComplexTensor:
        dims = tuple(dims[0]) if len(dims) == 1 and not isinstance(dims[0], int) else dims
        return ComplexTensor(self.ri.permute(*[self._dim(d) for d in dims], self.ndim))

    def unsqueeze(self, dim: int) -> ComplexTensor:
        return ComplexTensor(self.ri.unsqueeze(dim % (self.ndim + 1)))

    def squeeze(self, dim: int | None = None) -> ComplexTensor:
        if dim is None:
            keep = tuple(s for s in self.shape if s != 1)
            return ComplexTensor(self.ri.reshape(keep + (2,)))
        return ComplexTensor(self.ri.squeeze(self._dim(dim)))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> ComplexTensor:
        start, end = self._dim(start_dim), self._dim(end_dim)
        shape = self.shape
        return self.reshape(shape[:start] + (-1,) + shape[end + 1:])

    def sum(self, dim: Any = None, keepdim: bool = False) -> ComplexTensor:
        return ComplexTensor(self.ri.sum(dim=self._dims(dim), keepdim=keepdim))

    def mean(self, dim: Any = None, keepdim: bool = False) -> ComplexTensor:
        return ComplexTensor(self.ri.mean(dim=self._dims(dim), keepdim=keepdim))

    def _dim(self, dim: int) -> int:
        """A dim of the complex shape, as the same axis of ri (never the parts' axis)."""
        if not isinstance(dim, numbers.Integral) or not -self.ndim <= dim < self.ndim:
            raise IndexError(f"ComplexTensor: dim {dim!r} is out of range for shape "
                             f"{self.shape}")
        return int(dim) % self.ndim

    def _dims(self, dim: Any) -> tuple:
        if dim is None:
            return tuple(range(self.ndim))
        return tuple(self._dim(d) for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))

    # -- everything else: refused by name --------------------------------------------------

    def backward(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"backward: a complex tensor (shape {self.shape}) is not a loss; "
                           f"make a real number of it first, e.g. z.abs().mean() or "
                           f"(z.abs() ** 2).sum()")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in ("grad", "requires_grad_", "retain_grad"):
            raise AttributeError(
                f"ComplexTensor.{name}: a complex tensor here is computed from real ones, not "
                f"a leaf; for a learnable complex value make its parts leaves, "
                f"re = autograd.zeros(n, requires_grad=True) (and im), use "
                f"autograd.complex(re, im), and read re.grad and im.grad")
        raise AttributeError(
            f"ComplexTensor has no {name!r}: a complex result here is a pair of real "
            f"tensors, and what works on it is {WHAT_WORKS}")

    def __pow__(self, other: Any) -> Any:
        raise TypeError(f"ComplexTensor ** {other!r}: complex powers are not supported; the "
                        f"power spectrum is z.abs() ** 2 (a real Tensor), z * z multiplies")

    def __matmul__(self, other: Any) -> Any:
        raise TypeError("ComplexTensor @ ...: complex matmul is not supported; "
                        "(a + ib)(c + id) is (ac - bd) + i(ad + bc) on .real and .imag")

    __rmatmul__ = __matmul__

    def __bool__(self) -> bool:
        raise TypeError("a ComplexTensor has no truth value (compare .abs() instead)")


_CONJUGATE = {np.float32: np.array([1, -1], np.float32), np.float64: np.array([1.0, -1.0])}


def _describe(x: Any) -> str:
    if isinstance(x, Tensor):
        return f"a Tensor of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def _is_real(x: Any) -> bool:
    if isinstance(x, (ComplexTensor, complex, np.complexfloating)):
        return False
    return not (isinstance(x, np.ndarray) and x.dtype.kind == "c")


def _real_factor(x: Any, z: ComplexTensor) -> Any:
    """A real number, array or Tensor, shaped to broadcast against z.ri (one more axis)."""
    if isinstance(x, numbers.Real):
        return x
    if isinstance(x, (np.ndarray, Tensor)):
        return x[..., None] if x.ndim else x
    raise TypeError(f"ComplexTensor: cannot combine with {type(x).__name__}; {WHAT_WORKS}")


def _as_ri(x: Any, z: ComplexTensor, op: str) -> Any:
    """`x` (a number, array, Tensor or ComplexTensor) as something of ri's layout."""
    if isinstance(x, ComplexTensor):
        return x.ri
    if isinstance(x, Tensor):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"ComplexTensor {op} Tensor of dtype {x.dtype}: expected numbers")
        return stack([x, x.detach() * 0], -1)
    if isinstance(x, (numbers.Number, np.ndarray, np.generic, list)):
        a = np.asarray(x)
        if a.dtype.kind not in "biufc":
            raise TypeError(f"ComplexTensor {op} {type(x).__name__} of dtype {a.dtype}: "
                            f"expected numbers")
        return np.stack([a.real, a.imag], -1).astype(z.ri.dtype)
    raise TypeError(f"ComplexTensor {op} {type(x).__name__}: not supported; {WHAT_WORKS}")


def _times(z: ComplexTensor, w: Any) -> ComplexTensor:
    """(a + ib)(c + id) = (ac - bd) + i(ad + bc), w in ri layout (an array or a Tensor)."""
    a, b = z.real, z.imag
    c, d = w[..., 0], w[..., 1]
    return ComplexTensor(stack([a * c - b * d, a * d + b * c], -1))


def _divided(u: Any, w: Any) -> ComplexTensor:
    """u / w = u · conj(w) / |w|², both in ri layout."""
    a, b, c, d = u[..., 0], u[..., 1], w[..., 0], w[..., 1]
    den = c * c + d * d
    real, imag = (a * c + b * d) / den, (b * c - a * d) / den
    if not isinstance(real, Tensor):        # (two arrays: u a constant over a constant w)
        real, imag = Tensor(real), Tensor(imag)
    return ComplexTensor(stack([real, imag], -1))


def complex_(real: Any, imag: Any) -> ComplexTensor:
    """PyTorch's torch.complex(real, imag): a complex tensor from two real ones of one shape
    (both may require grad).

    >>> complex_(Tensor([1.0]), Tensor([2.0])).numpy()
    array([1.+2.j], dtype=complex64)
    """
    real = real if isinstance(real, Tensor) else Tensor(real)
    imag = imag if isinstance(imag, Tensor) else Tensor(imag)
    if real.shape != imag.shape or real.dtype != imag.dtype or real.dtype.kind != "f":
        raise ValueError(f"complex: expected real and imag floating tensors of one shape and "
                         f"dtype, got {real.shape} {real.dtype} and {imag.shape} {imag.dtype}")
    return ComplexTensor(stack([real, imag], -1))


def polar(abs: Any, angle: Any) -> ComplexTensor:
    """PyTorch's torch.polar: abs · (cos(angle) + i sin(angle))."""
    abs = abs if isinstance(abs, Tensor) else Tensor(abs)
    angle = angle if isinstance(angle, Tensor) else Tensor(angle)
    return complex_(abs * angle.cos(), abs * angle.sin())


def view_as_real(z: ComplexTensor) -> Tensor:
    """The real Tensor (z.shape + (2,)) of z's real and imaginary parts; gradients flow."""
    if not isinstance(z, ComplexTensor):
        raise TypeError(f"view_as_real: expected a complex tensor (a ComplexTensor, e.g. from "
                        f"autograd.fft.rfft), got {_describe(z)}")
    return z.ri


def view_as_complex(ri: Tensor) -> ComplexTensor:
    """A real Tensor with a last axis of 2 read as a complex one (view_as_real's inverse)."""
    return ComplexTensor(ri)


def as_complex(x: Any, op: str) -> ComplexTensor:
    """x as a ComplexTensor: itself, a real Tensor or array with imaginary part 0, or a
    complex array (a constant)."""
    if isinstance(x, ComplexTensor):
        return x
    if isinstance(x, Tensor):
        if x.dtype.kind != "f":
            x = x.float() if x.dtype.itemsize <= 4 else x.double()
        return ComplexTensor(stack([x, x.detach() * 0], -1))
    if isinstance(x, Node):
        raise TypeError(f"{op}: expected a Tensor, got a Value (the scalar engine's)")
    a = np.asarray(x)
    dtype = np.float64 if a.dtype in (np.float64, np.complex128) else np.float32
    if a.dtype.kind not in "biufc":
        raise TypeError(f"{op}: expected numbers, got {type(x).__name__} of dtype {a.dtype}")
    return ComplexTensor(Tensor(np.stack([a.real, a.imag], -1).astype(dtype)))


# PyTorch's module functions for complex tensors: torch.real(z), torch.angle(z), ...

def real(input: Any) -> Tensor:
    """The real part (a real Tensor is its own)."""
    return input.real if isinstance(input, ComplexTensor) else input


def imag(input: Any) -> Tensor:
    """The imaginary part (of a complex tensor only, as in PyTorch)."""
    if not isinstance(input, ComplexTensor):
        raise TypeError(f"imag: expected a complex tensor, got {_describe(input)} (a real "
                        f"tensor has no imaginary part)")
    return input.imag


def angle(input: Any) -> Tensor:
    """The phase: atan2(imag, real); of a real tensor, π where it is negative, else 0."""
    if isinstance(input, ComplexTensor):
        return input.angle()
    x = input if isinstance(input, Tensor) else Tensor(input)
    return Tensor(np.where(x.data < 0, np.pi, 0.0).astype(x.dtype))


def is_complex(input: Any) -> bool:
    return isinstance(input, ComplexTensor)


def conj(input: Any) -> Any:
    """The complex conjugate; a real tensor is its own."""
    return input.conj() if isinstance(input, ComplexTensor) else input
