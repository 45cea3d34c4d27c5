"""PyTorch's Tensor methods that are other ops here under PyTorch's names and arguments, mixed
into `Tensor` (autograd/tensor.py): the named arithmetic (`add(x, alpha=)`, `div(x,
rounding_mode=)`, `addcmul`, `addmm`, ...), the moves of axes and pieces (`movedim`,
`unflatten`, `tile`, `select`, `tensor_split`, `flip`'s relatives), scatters into a copy
(`index_copy`, `index_fill`, `index_put`, `put`, `masked_scatter`), the old linear-algebra
methods (`svd`, `lu`, `triangular_solve`) and what a tensor says of its layout and device
(`stride`, `is_cpu`, ...). Each is made of the ops glassgrad has (no rule of its own), so the
gradients are theirs. Their in-place forms (`add_` aside) are in tensor_in_place_functions.py.

>>> from autograd import Tensor
>>> w = Tensor([1.0, 2.0])
>>> w.add(Tensor([10.0, 10.0]), alpha=-0.1).tolist(), w.movedim(0, 0).shape
([0.0, 1.0], (2,))
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .graph import Leaf, Node
from .tensor_axes import _axes, _one_int, _shape_args
from .tensor_functions import matmul, where
from .tensor_operands import _as_tensor, _refuse_integer_division_by_zero
from .tensor_shape import broadcast_mask, last_writes

if TYPE_CHECKING:
    from .tensor import Tensor
# `Tensor`, a global here as in tensor.py, is put into this module by autograd/tensor.py once
# the class exists (tensor.py imports this module to make it, so it cannot be imported back)


class MinMax(NamedTuple):
    """What `t.aminmax()` gives, as PyTorch's: `lo, hi = t.aminmax(dim=1)`."""
    min: "Tensor"
    max: "Tensor"


class SvdOld(NamedTuple):
    """What `t.svd()` gives, as PyTorch's old API: A = U diag(S) Vᵀ (V, not Vh)."""
    U: "Tensor"
    S: "Tensor"
    V: "Tensor"


class TriangularSolution(NamedTuple):
    """What `B.triangular_solve(A)` gives, as PyTorch's: X with A X = B, and a copy of A."""
    solution: "Tensor"
    cloned_coefficient: "Tensor"


_ROUNDING_MODES = (None, "trunc", "floor")


def _dim(op: str, dim: Any, ndim: int) -> int:
    """One axis (a negative one counts from the end), checked."""
    return _axes(_one_int(op, "dim", dim), ndim, op)[0]


def _kind(x: Any) -> str:
    """numpy's dtype kind of an operand: a tensor's or array's, or a Python number's."""
    if isinstance(x, (bool, np.bool_)):
        return "b"
    if isinstance(x, numbers.Integral):
        return "i"
    if isinstance(x, numbers.Real):
        return "f"
    data = x.data if isinstance(x, Node) else np.asarray(x)
    return data.dtype.kind


def _check_scale(op: str, name: str, scale: Any, *operands: Any) -> None:
    """PyTorch's rule for alpha=, beta= and value=: a number; a float one only when the result
    is floating (an integer result cannot hold the fractions), a bool one only for bools."""
    if isinstance(scale, Node):
        if scale.data.size != 1:
            raise TypeError(f"{op}: {name} must be a number, got a tensor of shape {scale.shape}")
        scale = scale.item()
    if not isinstance(scale, (numbers.Real, np.bool_)):
        raise TypeError(f"{op}: {name} must be a number, got {type(scale).__name__}")
    kinds = {_kind(x) for x in operands}
    result = "f" if "f" in kinds else "i" if kinds & set("iu") else "b"
    scale_kind = _kind(scale)
    if result in "iu" and scale_kind == "f":
        raise TypeError(f"{op}: {name}={scale!r} is a float, and the tensors are integers, "
                        f"whose result cannot hold fractions (as in PyTorch); make them "
                        f"floating first (t.float()) or give an int")
    if scale_kind == "b" and result != "b":
        raise TypeError(f"{op}: {name}={scale!r} is a bool, which PyTorch takes only for "
                        f"bool results; give a number")


def _is_one(scale: Any) -> bool:
    """True for the default scale, the int 1 (a float 1.0 is checked as any float is)."""
    return scale.__class__ is int and scale == 1


def _scaled(x: Any, scale: Any) -> Any:
    """x * scale, with x as it is when scale is 1 (no op in the graph for the usual case)."""
    if isinstance(scale, Node):
        scale = scale.item()
    if scale == 1 and not isinstance(scale, (bool, np.bool_)):
        return x
    if isinstance(x, Node) or (isinstance(x, numbers.Number) and not isinstance(x, np.generic)):
        return x * scale            # (a Python number stays one: it widens no tensor's dtype)
    return np.multiply(x, scale)


def _in_graph(*values: Any) -> bool:
    """True if any value is a tensor that a gradient reaches (a leaf that wants one, or an
    op's result)."""
    return any(isinstance(v, Node) and v._fn is not None for v in values)


def _fitted(op: str, result: Tensor, added: Tensor, beta: Any, shape: tuple) -> Tensor:
    """beta * added + result (addmm and its family): `added` must broadcast to the product's
    shape; with beta 0 it is not read at all (NaN and inf in it do not spread, as in
    PyTorch)."""
    added = _as_tensor(added, op)
    try:
        fits = np.broadcast_shapes(added.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: the input of shape {added.shape} does not broadcast to the "
                         f"product's shape {shape}")
    if isinstance(beta, Node):
        beta = beta.item()
    if beta == 0:
        return result
    return _scaled(added, beta) + result


def _index_array(op: str, index: Any, *, allow_bool: bool = False) -> np.ndarray:
    """An index argument (a tensor, an array, a list) as an integer numpy array, refused if
    it holds other numbers."""
    data = np.asarray(index.data if isinstance(index, Node) else index)
    if data.dtype.kind == "b" and allow_bool:
        return data
    if data.dtype.kind not in "iu" and not (data.size == 0 and data.dtype.kind == "f"):
        raise TypeError(f"{op}: the index must hold integers, got dtype {data.dtype}")
    return data.astype(np.int64, copy=False)


def _positions(op: str, shape: tuple, key: tuple) -> np.ndarray:
    """The flat positions in a tensor of `shape` that `t[key]` picks, in the order it picks
    them (numpy's indexing, which checks the bounds)."""
    try:
        return np.arange(math.prod(shape)).reshape(shape)[key]
    except IndexError as error:
        raise IndexError(f"{op}: {error} (tensor of shape {shape})") from None


class AliasMethods:
    """Tensor's methods under PyTorch's names and arguments (see the module's docstring)."""

    __slots__ = ()

    # -- arithmetic by name --------------------------------------------------------------------

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """PyTorch's `t.add(other, alpha=1)`: t + alpha * other (a hand-written SGD step,
        `p.add(g, alpha=-lr)`).

        >>> Tensor([1, 2]).add(Tensor([10, 10]), alpha=2).tolist()
        [21, 22]
        """
        if not _is_one(alpha):
            _check_scale("add", "alpha", alpha, self, other)
            if _kind(self) == _kind(other) == "b":                  # (or, as PyTorch's bools)
                return self + other if alpha else self + (other * False)
        return self + _scaled(other, alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """PyTorch's `t.sub(other, alpha=1)`: t - alpha * other.

        >>> Tensor([5.0]).sub(2.0, alpha=2).tolist()
        [1.0]
        """
        if not _is_one(alpha):
            _check_scale("sub", "alpha", alpha, self, other)
        return self - _scaled(other, alpha)

    subtract = sub                      # PyTorch's other name

    def mul(self, other: Any) -> Tensor:
        """PyTorch's `t.mul(other)`: t * other."""
        return self * other

    multiply = mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """PyTorch's `t.div(other, rounding_mode=None)`: t / other (the true quotient, also of
        integers); rounding_mode="trunc" rounds it towards 0 and "floor" down, which keep an
        integer dtype (the style-transfer tutorial's `G.div(a * b * c * d)`). A rounded quotient
        is flat: its gradient is 0, as in PyTorch.

        >>> Tensor([-7, 7]).div(2, rounding_mode="trunc").tolist()
        [-3, 3]
        >>> Tensor([-7, 7]).div(2, rounding_mode="floor").tolist()
        [-4, 3]
        """
        if rounding_mode not in _ROUNDING_MODES:
            raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                             f"{rounding_mode!r}")
        if rounding_mode is None:
            return self / other
        if _kind(self) == _kind(other) == "b":
            raise TypeError(f"div: rounding_mode={rounding_mode!r} takes numbers, not two bools "
                            f"(as in PyTorch); make them integers first (t.long())")
        if "f" not in (_kind(self), _kind(other)):
            _refuse_integer_division_by_zero(self, other, "div")
            quotient = self // other                   # (numpy's, which rounds down)
            if rounding_mode == "floor":
                return quotient
            # towards 0: one more where the division had a remainder and the signs differ
            a, b = self.data, np.asarray(other.data if isinstance(other, Node) else other)
            up = (np.remainder(a, b) != 0) & ((a < 0) != (b < 0))
            return quotient + Tensor(up.astype(quotient.dtype))
        with np.errstate(divide="ignore", invalid="ignore"):   # (x / 0: inf, as PyTorch's)
            exact = self / other
        if rounding_mode == "trunc":
            rounded = np.trunc(exact.data)              # (PyTorch's: trunc(a / b))
        else:
            # numpy's floor_divide, which is Python's // and PyTorch's (floor((a - fmod(a,
            # b)) / b), where floor(a / b) can be 1 more: 1 // 0.1 is 9)
            b = np.asarray(other.data if isinstance(other, Node) else other)
            with np.errstate(divide="ignore", invalid="ignore"):
                rounded = np.floor_divide(self.data.astype(exact.dtype, copy=False),
                                          b.astype(exact.dtype, copy=False))
        rounded = Tensor(np.asarray(rounded, dtype=exact.dtype))
        if _in_graph(self, other):                      # flat: in the graph with gradient 0,
            return where(np.ones(exact.shape, dtype=bool), rounded, exact)     # as PyTorch's
        return rounded

    divide = div

    def matmul(self, other: Any) -> Tensor:
        """PyTorch's `t.matmul(other)`: t @ other."""
        return matmul(self, other)

    def positive(self) -> Tensor:
        """PyTorch's `t.positive()`: +t, the tensor itself (not for bools, as in PyTorch)."""
        if self.data.dtype.kind == "b":
            raise TypeError("positive: a bool tensor has no +t (as in PyTorch)")
        return self

    def absolute(self) -> Tensor:
        """PyTorch's other name for `abs`."""
        return self.abs()

    def sgn(self) -> Tensor:
        """PyTorch's `t.sgn()`: the sign, which for real numbers is `sign`."""
        return self.sign()

    def greater(self, other: Any) -> Tensor: return self.gt(other)
    def greater_equal(self, other: Any) -> Tensor: return self.ge(other)
    def less(self, other: Any) -> Tensor: return self.lt(other)
    def less_equal(self, other: Any) -> Tensor: return self.le(other)
    def not_equal(self, other: Any) -> Tensor: return self.ne(other)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """PyTorch's `t.addcmul(a, b, value=1)`: t + value * a * b (Adam's second moment by
        hand, `v.mul(beta2).addcmul(g, g, value=1 - beta2)`).

        >>> Tensor([1.0]).addcmul(Tensor([2.0]), Tensor([3.0]), value=0.5).tolist()
        [4.0]
        """
        if not _is_one(value):
            _check_scale("addcmul", "value", value, self, tensor1, tensor2)
        product = _as_tensor(tensor1, "addcmul") * tensor2
        return self + _scaled(product, value)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """PyTorch's `t.addcdiv(a, b, value=1)`: t + value * a / b (Adam's step by hand,
        `p.addcdiv(m, v.sqrt() + eps, value=-lr)`); a and b not both integers, as in PyTorch.

        >>> Tensor([1.0]).addcdiv(Tensor([2.0]), Tensor([4.0]), value=2).tolist()
        [2.0]
        """
        if _kind(tensor1) in "biu" and _kind(tensor2) in "biu":
            raise TypeError("addcdiv: tensor1 and tensor2 are both integers, whose quotient "
                            "PyTorch no longer rounds; make one floating (a.float()), or write "
                            "t + value * a.div(b, rounding_mode='trunc') for the old rounding")
        if not _is_one(value):
            _check_scale("addcdiv", "value", value, self, tensor1, tensor2)
        quotient = _as_tensor(tensor1, "addcdiv") / tensor2
        return self + _scaled(quotient, value)

    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """PyTorch's `t.addmm(m1, m2, beta=1, alpha=1)`: beta * t + alpha * (m1 @ m2), m1 and
        m2 matrices (a linear layer, `b.addmm(x, W.T)`); beta=0 ignores t.

        >>> Tensor([1.0, 2.0]).addmm(Tensor([[1.0, 0.0]]), Tensor([[3.0, 4.0], [5.0, 6.0]])
        ...                          ).tolist()
        [[4.0, 6.0]]
        """
        return self._add_product("addmm", "mm", mat1, mat2, beta, alpha)

    def addmv(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """PyTorch's `t.addmv(m, v, beta=1, alpha=1)`: beta * t + alpha * (m @ v)."""
        return self._add_product("addmv", "mv", mat, vec, beta, alpha)

    def addr(self, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """PyTorch's `t.addr(u, v, beta=1, alpha=1)`: beta * t + alpha * (the outer product of
        u and v)."""
        return self._add_product("addr", "outer", vec1, vec2, beta, alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """PyTorch's `t.baddbmm(b1, b2, beta=1, alpha=1)`: beta * t + alpha * (b1 @ b2), b1
        and b2 batches of matrices (b, n, k) and (b, k, m) (attention scores with a bias)."""
        return self._add_product("baddbmm", "bmm", batch1, batch2, beta, alpha)

    def addbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """PyTorch's `t.addbmm(b1, b2, beta=1, alpha=1)`: beta * t + alpha * the sum of the
        products b1[i] @ b2[i]."""
        return self._add_product("addbmm", "bmm", batch1, batch2, beta, alpha, summed=True)

    def _add_product(self, op: str, product: str, a: Any, b: Any, beta: Any, alpha: Any,
                     summed: bool = False) -> Tensor:
        for name, scale in (("beta", beta), ("alpha", alpha)):
            if not _is_one(scale):
                _check_scale(op, name, scale, self, a, b)
        a = _as_tensor(a, op)
        try:
            result = getattr(a, product)(b)
        except ValueError as error:                 # the product's own words, in op's name
            raise ValueError(f"{op}: {str(error).removeprefix(product + ': ')}") from None
        if summed:
            result = result.sum(0)
        return _fitted(op, _scaled(result, alpha), self, beta, result.shape)

    def inner(self, other: Any) -> Tensor:
        """PyTorch's `t.inner(other)`: the sums of products over the last axis of each,
        shape t.shape[:-1] + other.shape[:-1] (a 0-d operand multiplies).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).inner(Tensor([1.0, 1.0])).tolist()
        [3.0, 7.0]
        """
        other = _as_tensor(other, "inner")
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.shape[-1] != other.shape[-1]:
            raise ValueError(f"inner: the last axes differ in length, shapes {self.shape} and "
                             f"{other.shape}")
        from .arrays import tensordot      # (arrays builds on Tensor: imported here)
        return tensordot(self, other, dims=([-1], [-1]))

    def vdot(self, other: Any) -> Tensor:
        """PyTorch's `t.vdot(other)`: the dot product of two 1-d tensors (of real numbers,
        nothing to conjugate)."""
        return self.dot(other)

    def ger(self, vec2: Any) -> Tensor:
        """PyTorch's old name for `outer`."""
        return self.outer(vec2)

    def dist(self, other: Any, p: Any = 2) -> Tensor:
        """PyTorch's `t.dist(other, p=2)`: the p-norm of t - other (broadcast), all elements
        as one vector.

        >>> Tensor([3.0, 0.0]).dist(Tensor([0.0, 4.0])).item()
        5.0
        """
        difference = self - other
        if difference.data.dtype.kind != "f":
            difference = difference.float()
        return difference.reshape(-1).norm(p)

    def renorm(self, p: Any, dim: int, maxnorm: Any) -> Tensor:
        """PyTorch's `t.renorm(p, dim, maxnorm)`: each slice along `dim` (t.select(dim, i))
        whose p-norm exceeds maxnorm scaled down to it, maxnorm / (norm + 1e-7) as PyTorch
        scales (an embedding's rows kept in a ball).

        >>> Tensor([[3.0, 4.0], [0.3, 0.4]]).renorm(2, 0, 1.0).tolist()   # doctest: +ELLIPSIS
        [[0.6..., 0.8...], [0.3..., 0.4...]]
        """
        if self.ndim < 2:
            raise ValueError(f"renorm: needs a tensor of at least 2 dims, got shape "
                             f"{self.shape}")
        dim = _dim("renorm", dim, self.ndim)
        if not isinstance(p, numbers.Real) or isinstance(p, bool) or not p > 0:
            raise ValueError(f"renorm: p must be a number > 0 (the norm's order), got {p!r}")
        if not isinstance(maxnorm, numbers.Real) or not maxnorm >= 0:
            raise ValueError(f"renorm: maxnorm must be a number >= 0, got {maxnorm!r}")
        if self.data.dtype.kind != "f":
            raise TypeError(f"renorm: needs a floating tensor, got dtype {self.data.dtype}")
        others = tuple(d for d in range(self.ndim) if d != dim)
        norms = self.norm(p, dim=others, keepdim=True)
        factor = where(norms.data > maxnorm, maxnorm / (norms + 1e-7), 1.0)
        return self * factor

    def sum_to_size(self, *size: Any) -> Tensor:
        """PyTorch's `t.sum_to_size(*size)`: t summed down to `size`, a shape that broadcasts
        to t's (over its leading axes, and where `size` has 1 and t more).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum_to_size(1, 2).tolist()
        [[4.0, 6.0]]
        """
        size = tuple(_shape_args(size))
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in size):
            raise TypeError(f"sum_to_size: the size must be ints, got {size}")
        lead = self.ndim - len(size)
        if lead < 0 or any(n != m and n != 1 for n, m in zip(size, self.shape[lead:])):
            raise ValueError(f"sum_to_size: the size {size} does not broadcast to the "
                             f"tensor's shape {self.shape}")
        axes = tuple(range(lead)) + tuple(lead + i for i, (n, m) in
                                          enumerate(zip(size, self.shape[lead:])) if n != m)
        if not axes:
            return self
        return self.sum(dim=axes, keepdim=True).reshape(size)

    def cholesky_inverse(self, upper: bool = False) -> Tensor:
        """PyTorch's `L.cholesky_inverse(upper=False)`: A⁻¹ of A = L Lᵀ (Uᵀ U with upper=True)
        from its Cholesky factor (of each in a batch), as cholesky_solve of the identity."""
        if self.ndim < 2 or self.shape[-1] != self.shape[-2]:
            raise ValueError(f"cholesky_inverse: needs a square matrix (or a batch of them), "
                             f"got shape {self.shape}")
        eye = Tensor(np.broadcast_to(np.eye(self.shape[-1], dtype=self.data.dtype),
                                     self.shape).copy())
        return eye.cholesky_solve(self, upper=upper)

    # -- axes and pieces -----------------------------------------------------------------------

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        """PyTorch's other name for `swapaxes` (and `transpose(d0, d1)`)."""
        return self.swapaxes(dim0, dim1)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        """PyTorch's `t.movedim(source, destination)`: the axes `source` (an int or a tuple)
        moved to the places `destination`, the others keeping their order (a permute).

        >>> Tensor(np.zeros((2, 3, 4))).movedim(0, -1).shape
        (3, 4, 2)
        >>> Tensor(np.zeros((2, 3, 4))).movedim((0, 1), (2, 0)).shape
        (3, 4, 2)
        """
        return self._moved("movedim", source, destination)

    def moveaxis(self, source: Any, destination: Any) -> Tensor:
        """PyTorch's (and numpy's) other name for `movedim`."""
        return self._moved("moveaxis", source, destination)

    def _moved(self, op: str, source: Any, destination: Any) -> Tensor:
        ndim = max(self.ndim, 1)                # (a 0-d tensor takes dim 0, as in PyTorch)
        sources, destinations = ([_dim(op, d, ndim) for d in (
            axes if isinstance(axes, (tuple, list)) else (axes,))]
            for axes in (source, destination))
        if len(sources) != len(destinations):
            raise ValueError(f"{op}: source {source!r} and destination {destination!r} name "
                             f"different numbers of axes")
        for name, axes in (("source", sources), ("destination", destinations)):
            if len(set(axes)) != len(axes):
                raise ValueError(f"{op}: repeated axis in {name} {axes}")
        if self.ndim == 0:
            return self
        order = [d for d in range(ndim) if d not in sources]
        for d, s in sorted(zip(destinations, sources)):
            order.insert(d, s)
        return self.permute(*order)

    def ravel(self) -> Tensor:
        """PyTorch's `t.ravel()`: the elements as one axis (`reshape(-1)`)."""
        return self.reshape(-1)

    def unflatten(self, dim: int, sizes: Any) -> Tensor:
        """PyTorch's `t.unflatten(dim, sizes)`: axis `dim` split into axes of `sizes` (one of
        them may be -1, inferred), the inverse of `flatten`.

        >>> Tensor(np.zeros((2, 12))).unflatten(1, (3, -1)).shape
        (2, 3, 4)
        """
        dim = _dim("unflatten", dim, self.ndim)
        sizes = tuple(sizes) if isinstance(sizes, (tuple, list)) else sizes
        if not isinstance(sizes, tuple) or not sizes or not all(
                isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in sizes):
            raise TypeError(f"unflatten: sizes must be a non-empty tuple of ints, got "
                            f"{sizes!r}")
        length = self.shape[dim]
        known = math.prod(n for n in sizes if n != -1)
        if sizes.count(-1) > 1 or any(n < -1 for n in sizes) or (
                known * length and (length % known if -1 in sizes else length != known)) or (
                not known * length and -1 not in sizes and known != length):
            raise ValueError(f"unflatten: sizes {sizes} do not multiply up to the length "
                             f"{length} of axis {dim} (shape {self.shape})")
        return self.reshape(self.shape[:dim] + sizes + self.shape[dim + 1:])

    def tile(self, *dims: Any) -> Tensor:
        """PyTorch's `t.tile(dims)`: `repeat`, with fewer sizes than axes taken as 1 for the
        leading axes (numpy's `tile`).

        >>> Tensor([[1, 2]]).tile(2).tolist()
        [[1, 2, 1, 2]]
        """
        dims = tuple(_shape_args(dims))
        if len(dims) < self.ndim:
            dims = (1,) * (self.ndim - len(dims)) + dims
        return self.repeat(*dims) if dims else self.clone()

    def select(self, dim: int, index: int) -> Tensor:
        """PyTorch's `t.select(dim, index)`: the slice at `index` along `dim`, that axis gone
        (`t.select(1, i)` is `t[:, i]`).

        >>> Tensor([[1, 2, 3], [4, 5, 6]]).select(1, -1).tolist()
        [3, 6]
        """
        if self.ndim == 0:
            raise ValueError("select: a 0-d tensor has no axis to select from")
        dim = _dim("select", dim, self.ndim)
        index = _one_int("select", "index", index.item() if isinstance(index, Node) else index)
        if not -self.shape[dim] <= index < self.shape[dim]:
            raise IndexError(f"select: index {index} is out of range for axis {dim} of length "
                             f"{self.shape[dim]} (shape {self.shape})")
        return self[(slice(None),) * dim + (index,)]

    def take(self, index: Any) -> Tensor:
        """PyTorch's `t.take(index)`: the elements at `index` (a tensor of flat positions,
        negative ones from the end) of t as one axis; the result has index's shape."""
        positions = _index_array("take", index)
        if positions.size and not (-self.size <= positions.min() and
                                   positions.max() < self.size):
            raise IndexError(f"take: an index is out of range for a tensor of {self.size} "
                             f"elements (shape {self.shape})")
        return self.reshape(-1)[Tensor(positions)]

    def flipud(self) -> Tensor:
        """PyTorch's `t.flipud()`: the first axis reversed (`flip(0)`)."""
        if self.ndim < 1:
            raise ValueError("flipud: needs a tensor of at least 1 dim, got a 0-d one")
        return self.flip(0)

    def fliplr(self) -> Tensor:
        """PyTorch's `t.fliplr()`: the second axis reversed (`flip(1)`)."""
        if self.ndim < 2:
            raise ValueError(f"fliplr: needs a tensor of at least 2 dims, got shape "
                             f"{self.shape}")
        return self.flip(1)

    def msort(self) -> Tensor:
        """PyTorch's `t.msort()`: sorted along the first axis (`t.sort(dim=0).values`)."""
        return self.sort(dim=0).values if self.ndim else self

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> MinMax:
        """PyTorch's `t.aminmax(dim=None, keepdim=False)`: (min, max) together, of all the
        elements or along `dim`; the gradients are amin's and amax's.

        >>> lo, hi = Tensor([[3, 1], [2, 4]]).aminmax(dim=1)
        >>> lo.tolist(), hi.tolist()
        ([1, 2], [3, 4])
        """
        if dim is not None:
            _one_int("aminmax", "dim", dim)
        if self.size == 0:
            raise ValueError(f"aminmax: the tensor of shape {self.shape} is empty (the min "
                             f"and max of no numbers are undefined)")
        if dim is None and keepdim:
            axes = tuple(range(self.ndim))
            return MinMax(self.amin(dim=axes, keepdim=True), self.amax(dim=axes, keepdim=True))
        return MinMax(self.amin(dim=dim, keepdim=keepdim), self.amax(dim=dim, keepdim=keepdim))

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple:
        """PyTorch's `t.tensor_split(n_or_indices, dim=0)`: n pieces along `dim` (the first
        length % n one longer), or the pieces between the given indices (Python's slices:
        clipped, and empty where an index is past the next).

        >>> [p.tolist() for p in Tensor([0, 1, 2, 3, 4, 5, 6]).tensor_split(3)]
        [[0, 1, 2], [3, 4], [5, 6]]
        >>> [p.tolist() for p in Tensor([0, 1, 2, 3, 4, 5, 6]).tensor_split([1, 5])]
        [[0], [1, 2, 3, 4], [5, 6]]
        """
        return self._split_at("tensor_split", indices_or_sections, dim)

    def _split_at(self, op: str, indices_or_sections: Any, dim: int,
                  divides: bool = False) -> tuple:
        if self.ndim == 0:
            raise ValueError(f"{op}: a 0-d tensor has no axis to split")
        dim = _dim(op, dim, self.ndim)
        given = indices_or_sections
        if isinstance(given, Node) or isinstance(given, np.ndarray):
            data = _index_array(op, given)
            if data.ndim > 1:
                raise ValueError(f"{op}: the indices must be a 0-d or 1-d tensor, got shape "
                                 f"{data.shape}")
            given = int(data) if data.ndim == 0 else data.tolist()
        length = self.shape[dim]
        if isinstance(given, numbers.Integral) and not isinstance(given, bool):
            sections = int(given)
            if sections <= 0:
                raise ValueError(f"{op}: the number of sections must be > 0, got {sections}")
            if divides and length % sections:
                raise ValueError(f"{op}: cannot split axis {dim} of length {length} into "
                                 f"{sections} equal pieces (shape {self.shape}); give the "
                                 f"indices to split at instead")
            small, extra = divmod(length, sections)
            bounds = np.cumsum([0] + [small + (i < extra) for i in range(sections)])
            cuts = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
        else:
            try:
                indices = [_one_int(op, "an index", i) for i in given]
            except TypeError:
                raise TypeError(f"{op}: takes the number of pieces (an int) or the indices to "
                                f"split at (ints), got {indices_or_sections!r}") from None
            starts = [None] + indices
            cuts = list(zip(starts, indices + [None]))
        lead = (slice(None),) * dim
        return tuple(self[lead + (slice(a, b),)] for a, b in cuts)

    def hsplit(self, indices_or_sections: Any) -> tuple:
        """PyTorch's `t.hsplit(n_or_indices)`: `tensor_split` along axis 1 (axis 0 of a 1-d
        tensor), n pieces of one length."""
        return self._split_at("hsplit", indices_or_sections, 1 if self.ndim > 1 else 0,
                              divides=True)

    def vsplit(self, indices_or_sections: Any) -> tuple:
        """PyTorch's `t.vsplit(n_or_indices)`: `tensor_split` along axis 0 of a tensor of at
        least 2 dims, n pieces of one length."""
        return self._split_along("vsplit", indices_or_sections, 0, least=2)

    def dsplit(self, indices_or_sections: Any) -> tuple:
        """PyTorch's `t.dsplit(n_or_indices)`: `tensor_split` along axis 2 of a tensor of at
        least 3 dims, n pieces of one length."""
        return self._split_along("dsplit", indices_or_sections, 2, least=3)

    def _split_along(self, op: str, indices_or_sections: Any, dim: int, least: int) -> tuple:
        if self.ndim < least:
            raise ValueError(f"{op}: needs a tensor of at least {least} dims, got shape "
                             f"{self.shape}")
        return self._split_at(op, indices_or_sections, dim, divides=True)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        """PyTorch's `t.diag_embed(offset=0, dim1=-2, dim2=-1)`: matrices with t's last axis
        on a diagonal (above the main one for offset > 0), zeros elsewhere; the matrices' axes
        are dim1 (rows) and dim2 (columns) of the result.

        >>> Tensor([[1, 2]]).diag_embed().tolist()
        [[[1, 0], [0, 2]]]
        """
        offset = _one_int("diag_embed", "offset", offset)
        if self.ndim == 0:
            raise ValueError("diag_embed: needs a tensor of at least 1 dim, got a 0-d one")
        ndim = self.ndim + 1
        rows_at, cols_at = _dim("diag_embed", dim1, ndim), _dim("diag_embed", dim2, ndim)
        if rows_at == cols_at:
            raise ValueError(f"diag_embed: dim1 and dim2 are the same axis ({dim1}, {dim2})")
        n = self.shape[-1]
        m = n + abs(offset)
        rows, cols = np.arange(m)[:, None], np.arange(m)
        on = cols - rows == offset
        if n == 0:
            square = self.new_zeros(self.shape[:-1] + (m, m))
        else:
            which = np.broadcast_to(rows if offset >= 0 else cols, (m, m)).clip(0, n - 1)
            square = where(on, self[..., which], self.new_zeros(()))
        return square.movedim((-2, -1), (rows_at, cols_at))

    @property
    def mH(self) -> Tensor:
        """PyTorch's `t.mH`: the last two axes swapped and conjugated; of real numbers, `mT`."""
        return self.mT

    @property
    def H(self) -> Tensor:
        """PyTorch's `t.H`: a matrix transposed and conjugated; of real numbers, `t.T`."""
        if self.ndim not in (0, 2):
            raise ValueError(f"H: only for matrices (2-d tensors), got shape {self.shape}; "
                             f"t.mH swaps the last two axes of a batch")
        return self if self.ndim == 0 else self.T

    def adjoint(self) -> Tensor:
        """PyTorch's `t.adjoint()`: the last two axes swapped and conjugated (`mH`)."""
        return self.mT

    def conj(self) -> Tensor:
        """PyTorch's `t.conj()`: the complex conjugate; of real numbers the tensor itself, as
        PyTorch gives it."""
        return self

    def resolve_conj(self) -> Tensor:
        """PyTorch's `t.resolve_conj()`: the tensor itself (real numbers, never a lazy
        conjugate)."""
        return self

    resolve_neg = resolve_conj

    def is_conj(self) -> bool:
        """False: real numbers are never a lazy conjugate."""
        return False

    def is_complex(self) -> bool:
        """False: a Tensor holds real numbers (complex results are ComplexTensors)."""
        return False

    def is_floating_point(self) -> bool:
        """PyTorch's `t.is_floating_point()`: whether the dtype is a floating one."""
        return self.data.dtype.kind == "f"

    # -- scatters into a copy -------------------------------------------------------------------

    def index_copy(self, dim: int, index: Any, source: Any) -> Tensor:
        """PyTorch's `t.index_copy(dim, index, source)`: a copy of t with its slices
        index[j] along `dim` taken from source's slice j (of a repeated index, the last, as on
        PyTorch's CPU). Differentiable in t (0 where copied over) and source (0 for a slice
        copied over by a later one, which changes nothing; PyTorch gives it g there).

        >>> Tensor([[0, 0, 0]]).index_copy(1, Tensor([2, 0]), Tensor([[5, 6]])).tolist()
        [[6, 0, 5]]
        """
        op = "index_copy"
        source = _as_tensor(source, op)
        if source.data.dtype != self.data.dtype:
            raise TypeError(f"{op}: source is {source.data.dtype} and the tensor "
                            f"{self.data.dtype}; PyTorch asks for one dtype (source.to(t.dtype))")
        if self.ndim == 0:
            return self._index_copy_0d(op, dim, index, source)
        dim = _dim(op, dim, self.ndim)
        idx = self._slice_indices(op, dim, index)
        want = self.shape[:dim] + (len(idx),) + self.shape[dim + 1:]
        if source.shape != want:
            raise ValueError(f"{op}: source must have shape {want} (the tensor's shape "
                             f"{self.shape} with {len(idx)} slices along axis {dim}), got "
                             f"{source.shape}")
        inverse = last_writes(idx, self.shape[dim])     # (a repeated index: the last stays)
        hit = inverse >= 0
        picked = source.index_select(dim, Tensor(np.where(hit, inverse, 0)))
        return where(hit.reshape((-1,) + (1,) * (self.ndim - dim - 1)), picked, self)

    def _index_copy_0d(self, op: str, dim: Any, index: Any, source: Tensor) -> Tensor:
        """index_copy of a 0-d tensor: its one number, from a 0-d source (index 0)."""
        _dim(op, dim, 1)
        if self._slice_indices(op, 0, index, length=1).size != 1 or source.ndim > 1 or (
                source.size != 1):
            raise ValueError(f"{op}: a 0-d tensor takes one index (0) and a source of one "
                             f"number, got source shape {source.shape}")
        return source.reshape(())

    def _slice_indices(self, op: str, dim: int, index: Any, length: int | None = None
                       ) -> np.ndarray:
        """A 0-d or 1-d integer index of slices along `dim`, each in range (not negative, as
        in PyTorch's index_copy), as a 1-d array."""
        idx = _index_array(op, index)
        if idx.ndim > 1:
            raise ValueError(f"{op}: the index must be a 0-d or 1-d tensor, got shape "
                             f"{idx.shape}")
        idx = idx.reshape(-1)
        n = self.shape[dim] if length is None else length
        bad = idx[(idx < 0) | (idx >= n)]
        if bad.size:
            raise IndexError(f"{op}: index {int(bad[0])} is out of range for axis {dim} of "
                             f"length {n}")
        return idx

    def index_fill(self, dim: int, index: Any, value: Any) -> Tensor:
        """PyTorch's `t.index_fill(dim, index, value)`: a copy of t with its slices at `index`
        along `dim` (negative ones from the end) filled with the number `value` (or a 0-d
        tensor, which then gets a gradient), cast to t's dtype.

        >>> Tensor([[1.0, 2.0, 3.0]]).index_fill(1, Tensor([0, -1]), 0.0).tolist()
        [[0.0, 2.0, 0.0]]
        """
        op = "index_fill"
        if isinstance(value, Node):
            if value.ndim != 0:
                raise ValueError(f"{op}: value must be a number or a 0-d tensor, got shape "
                                 f"{value.shape}")
            value = value if value.data.dtype == self.data.dtype else value.astype(self.dtype)
        elif isinstance(value, (numbers.Number, np.generic)):
            value = Tensor(np.asarray(value).astype(self.data.dtype))
        else:
            raise TypeError(f"{op}: value must be a number or a 0-d tensor, got "
                            f"{type(value).__name__}")
        if self.ndim == 0:
            _dim(op, dim, 1)
            self._slice_indices(op, 0, _wrapped(index, 1), length=1)
            return where(np.ones((), dtype=bool), value, self)
        dim = _dim(op, dim, self.ndim)
        idx = self._slice_indices(op, dim, _wrapped(index, self.shape[dim]))
        hit = np.zeros(self.shape[dim], dtype=bool)
        hit[idx] = True
        return where(hit.reshape((-1,) + (1,) * (self.ndim - dim - 1)), value, self)

    def index_put(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        """PyTorch's `t.index_put(indices, values, accumulate=False)`: a copy of t with
        `t[indices] = values` (indices a tuple of index tensors, as t[i, j] takes them; of a
        repeated place, the last value, which alone gets a gradient: see
        tensor_shape.last_writes), or with accumulate=True `t[indices] += values`, where
        repeated places add up. Differentiable in t and values.

        >>> Tensor([0, 0, 0]).index_put((Tensor([0, 0, 2]),), Tensor(1), accumulate=True
        ...                             ).tolist()
        [2, 0, 1]
        """
        op = "index_put"
        if not isinstance(indices, (tuple, list)):
            raise TypeError(f"{op}: indices must be a tuple of index tensors (one per axis "
                            f"indexed), got {type(indices).__name__}")
        key = tuple(slice(None) if i is None else _index_array(op, i, allow_bool=True)
                    for i in indices)
        return self._put_at(op, _positions(op, self.shape, key), values, accumulate)

    def put(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        """PyTorch's `t.put(index, source, accumulate=False)`: a copy of t, as one axis, with
        source's elements at the flat positions `index` (negative ones from the end); of a
        repeated position the last, or with accumulate=True their sum.

        >>> Tensor([[0, 0], [0, 0]]).put(Tensor([0, -1]), Tensor([7, 8])).tolist()
        [[7, 0], [0, 8]]
        """
        op = "put"
        flat = _index_array(op, index).reshape(-1)
        source = _as_tensor(source, op)
        if source.size != flat.size:
            raise ValueError(f"{op}: source has {source.size} elements and index {flat.size}; "
                             f"they must have as many")
        positions = _positions(op, (self.size,), (flat,))
        return self._put_at(op, positions, source.reshape(-1), accumulate)

    def _put_at(self, op: str, positions: np.ndarray, values: Any, accumulate: bool) -> Tensor:
        """t with `values` (broadcast to positions' shape) written at the flat `positions`,
        or added there: index_add on t as one axis, or a pick of each position's last value
        (a gather) put in by where()."""
        values = _as_tensor(values, op)
        if values.data.dtype != self.data.dtype:
            raise TypeError(f"{op}: the values are {values.data.dtype} and the tensor "
                            f"{self.data.dtype}; PyTorch asks for one dtype "
                            f"(values.to(t.dtype))")
        try:
            values = values.broadcast_to(positions.shape) if values.shape != positions.shape \
                else values
        except ValueError:
            raise ValueError(f"{op}: values of shape {values.shape} do not broadcast to the "
                             f"shape {positions.shape} of the places indexed") from None
        flat_positions, flat_values = positions.reshape(-1), values.reshape(-1)
        if accumulate:
            return self.reshape(-1).index_add(0, Tensor(flat_positions), flat_values
                                              ).reshape(self.shape)
        last = last_writes(flat_positions, self.size)   # (the last of a repeat stays)
        hit = last >= 0
        if not hit.any():
            return self
        picked = flat_values[Tensor(np.where(hit, last, 0))]
        return where(hit.reshape(self.shape), picked.reshape(self.shape), self)

    def index_reduce(self, dim: int, index: Any, source: Any, reduce: str, *,
                     include_self: bool = True) -> Tensor:
        """PyTorch's `t.index_reduce(dim, index, source, reduce, include_self=True)`: slice j
        of `source` along `dim` reduced into t's slice index[j] by reduce="mean", "amax" or
        "amin" (t's own slice takes part unless include_self=False; a slice no index names
        keeps t's). It is `scatter_reduce` with the index spread over source's shape, and has
        its gradient (tied extremes share it). A graph's per-node mean of its messages:

        >>> dst, msg = Tensor([0, 0, 2]), Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> Tensor(np.zeros((3, 2), np.float32)).index_reduce(0, dst, msg, "mean",
        ...                                                  include_self=False).tolist()
        [[2.0, 3.0], [0.0, 0.0], [5.0, 6.0]]
        """
        op = "index_reduce"
        if reduce not in ("mean", "amax", "amin"):
            hint = {"sum": " (a sum is t.index_add(dim, index, source), as in PyTorch)",
                    "prod": " ('prod' is not supported here: exp of an index_add of logs, for "
                            "positive numbers)"}.get(reduce, "")
            raise ValueError(f"{op}: reduce must be 'mean', 'amax' or 'amin', got "
                             f"{reduce!r}{hint}")
        source = _as_tensor(source, op)
        if self.ndim == 0 or source.ndim == 0:  # (PyTorch: a 0-d tensor as one of 1 element)
            one = source.reshape(1) if source.ndim == 0 else source
            return self.reshape(1).index_reduce(dim, index, one, reduce,
                                                include_self=include_self).reshape(self.shape)
        dim = _dim(op, dim, self.ndim)
        idx = self._slice_indices(op, dim, index)
        want = self.shape[:dim] + (idx.size,) + self.shape[dim + 1:]
        if source.shape != want:
            raise ValueError(f"{op}: with an index of {idx.size} along dim {dim}, source must "
                             f"have shape {want} (the tensor's {self.shape} there), got "
                             f"{source.shape}")
        spread = np.broadcast_to(idx.reshape((-1,) + (1,) * (self.ndim - dim - 1)), want)
        try:
            return self.scatter_reduce(dim, spread, source, reduce, include_self=include_self)
        except (ValueError, TypeError) as error:        # (named as called)
            raise type(error)(str(error).replace("scatter_reduce:", f"{op}:", 1)) from None

    def as_strided(self, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:
        """PyTorch's `t.as_strided(size, stride, storage_offset=None)`: a tensor of shape
        `size` whose element (i, j, ...) is the one at storage_offset + i * stride[0] + j *
        stride[1] + ... of t's memory, read row by row (a series' overlapping windows:
        as_strided((n - w + 1, w), (1, 1))). Here a copy, not a view, in the graph: elements
        read more than once get the sum of their gradients. t must be contiguous, its memory
        its own elements in order (`t.unfold(0, size, step)` gives sliding windows of any
        tensor, as a view).

        >>> Tensor([0, 1, 2, 3, 4]).as_strided((3, 3), (1, 1)).tolist()
        [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
        """
        op = "as_strided"
        size, stride = _int_tuple(op, "size", size), _int_tuple(op, "stride", stride)
        if len(size) != len(stride) or min(size + stride, default=0) < 0:
            raise ValueError(f"{op}: size and stride need one number >= 0 per dim, got size "
                             f"{size} and stride {stride}")
        if not self.data.flags.c_contiguous:
            raise ValueError(f"{op}: t (shape {self.shape}, stride {self.stride()}) is a "
                             f"view that is not contiguous; PyTorch's as_strided would read "
                             f"the memory under it, not t's elements: for windows of t's "
                             f"elements row by row, t.contiguous().as_strided(...) (a copy), "
                             f"or t.unfold(dim, size, step)")
        own = self.storage_offset()
        start = own if storage_offset is None else _one_int(op, "storage_offset",
                                                             storage_offset)
        positions = np.full(size, start - own, dtype=np.int64)
        for axis, (n, step) in enumerate(zip(size, stride)):
            positions += (np.arange(n) * step).reshape((-1,) + (1,) * (len(size) - axis - 1))
        if positions.size and (positions.min() < 0 or positions.max() >= self.size):
            # (positions count from t's first element, which is at `own` in the memory)
            raise IndexError(f"{op}: size {size} with stride {stride} from storage offset "
                             f"{start} reaches elements {own + positions.min()} to "
                             f"{own + positions.max()}, outside t's {self.size} elements "
                             f"(from {own})")
        return self.reshape(-1)[Tensor(positions)]

    def masked_scatter(self, mask: Any, source: Any) -> Tensor:
        """PyTorch's `t.masked_scatter(mask, source)`: a copy of t with source's first
        elements, in order, where the bool `mask` (broadcast with t) is True.

        >>> Tensor([0, 0, 0]).masked_scatter(Tensor([True, False, True]), Tensor([7, 8, 9])
        ...                                  ).tolist()
        [7, 0, 8]
        """
        op = "masked_scatter"
        mask, shape = broadcast_mask(op, mask, self.shape)
        source = _as_tensor(source, op)
        if source.data.dtype != self.data.dtype:
            raise TypeError(f"{op}: source is {source.data.dtype} and the tensor "
                            f"{self.data.dtype}; PyTorch asks for one dtype")
        count = int(mask.sum())
        if count > source.size:
            raise ValueError(f"{op}: the mask has {count} True places and source only "
                             f"{source.size} elements")
        target = self if self.shape == shape else self.broadcast_to(shape)
        if count == 0:
            return target
        order = (np.cumsum(mask.reshape(-1)) - 1).clip(0).reshape(shape)
        return where(mask, source.reshape(-1)[Tensor(order)], target)

    # -- PyTorch's legacy constructor and casts --------------------------------------------------

    def new(self, *args: Any, **kwargs: Any) -> Tensor:
        """PyTorch's legacy `t.new(...)`, in t's dtype: `t.new(2, 3)` (or a tuple of sizes,
        such as `t.new(t.size())`: torch.Size is a tuple here) a tensor of that shape (zeros
        here, uninitialised in PyTorch), `t.new([1, 2])` (a list or an array) those numbers,
        `t.new(u)` u's numbers shared (same dtype), `t.new()` an empty one.

        >>> x = Tensor([1.0])
        >>> x.new(2, 3).shape, x.new([1, 2]).tolist(), x.new().shape
        ((2, 3), [1.0, 2.0], (0,))
        """
        unknown = set(kwargs) - {"device", "size"}
        if unknown:
            raise TypeError(f"new: got an unexpected keyword {sorted(unknown)[0]!r} (new_tensor, "
                            f"new_zeros, new_empty take dtype= and requires_grad=)")
        if kwargs.get("device") is not None:
            self.new_empty(0, device=kwargs["device"])      # (refuses any device but the CPU)
        if "size" in kwargs:
            if args:
                raise TypeError("new: got sizes twice (positionally and size=)")
            args = (tuple(kwargs["size"]),)
        if not args:
            return self.new_empty(0)
        if all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in args):
            return self.new_empty(*args)
        if len(args) == 1 and isinstance(args[0], tuple) and all(
                isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in args[0]):
            return self.new_empty(*args[0])
        if len(args) == 1 and isinstance(args[0], Node):
            if args[0].data.dtype != self.data.dtype:
                raise TypeError(f"new: the tensor given is {args[0].data.dtype} and this one "
                                f"{self.data.dtype}; PyTorch asks for one dtype "
                                f"(u.to(t.dtype), or t.new_tensor(u) for a copy)")
            return args[0].detach()
        if len(args) == 1:
            return self.new_tensor(args[0])
        raise TypeError(f"new: takes sizes (ints), a tuple of them, or data (a list, an array "
                        f"or a tensor), got {args!r}")

    # -- layout, device and graph facts ----------------------------------------------------------

    @property
    def itemsize(self) -> int:
        """PyTorch's `t.itemsize`: the bytes one element takes (`element_size()`)."""
        return self.data.itemsize

    @property
    def nbytes(self) -> int:
        """PyTorch's `t.nbytes`: the bytes the elements take (numpy's `nbytes`)."""
        return self.data.nbytes

    def stride(self, dim: int | None = None) -> Any:
        """PyTorch's `t.stride(dim=None)`: how many elements apart in memory the neighbours
        along each axis are (numpy's strides over the itemsize; a view's, such as t.T, differ).

        >>> x = Tensor(np.zeros((2, 3)))
        >>> x.stride(), x.T.stride(), x.stride(-1)
        ((3, 1), (1, 3), 1)
        """
        steps = tuple(s // self.data.itemsize for s in self.data.strides)
        if dim is None:
            return steps
        return steps[_dim("stride", dim, self.ndim)]

    def storage_offset(self) -> int:
        """PyTorch's `t.storage_offset()`: where t's first element is in the memory it shares
        with the array that owns it, in elements (t[1:] of a 1-d tensor: 1)."""
        from .tensor_in_place import _memory_owner
        owner = _memory_owner(self.data)
        start = owner.__array_interface__["data"][0]
        return (self.data.__array_interface__["data"][0] - start) // self.data.itemsize

    def storage(self) -> Any:
        """PyTorch's `t.storage()`: the flat memory t shares with its views, element by element
        (autograd/storage.py); `s[i] = v` writes into t and its views.

        >>> points = Tensor(np.array([[4.0, 1.0], [5.0, 3.0]]))
        >>> points.t().storage().tolist(), points[1].storage_offset()
        ([4.0, 1.0, 5.0, 3.0], 2)
        """
        from .storage import Storage
        return Storage(self)

    def untyped_storage(self) -> Any:
        """PyTorch's `t.untyped_storage()`: t's memory byte by byte (`.data_ptr()`, `.nbytes()`:
        a view's are its base's)."""
        from .storage import Storage
        return Storage(self, as_bytes=True)

    is_cpu = True       # (class attributes, as PyTorch's properties read: t.is_cpu)
    is_cuda = False
    is_sparse = False
    is_quantized = False
    is_meta = False

    def get_device(self) -> int:
        """PyTorch's `t.get_device()`: -1, the CPU's number (glassgrad computes there)."""
        return -1

    def pin_memory(self, device: Any = None) -> Tensor:
        """PyTorch's `t.pin_memory()`, which readies CPU memory for copies to a GPU: there is
        no GPU here, so the tensor itself (PyTorch without a GPU refuses)."""
        return self

    def is_pinned(self, device: Any = None) -> bool:
        """False: nothing is pinned here (see `pin_memory`)."""
        return False

    @property
    def retains_grad(self) -> bool:
        """PyTorch's `t.retains_grad`: whether backward() fills in this non-leaf's .grad;
        here it does for every op's result in a graph (True), and a leaf's is not "retained"
        (False, as in PyTorch)."""
        return self._fn is not None and self._fn is not Leaf

    # -- PyTorch's old linear-algebra methods --------------------------------------------------

    def svd(self, some: bool = True, compute_uv: bool = True) -> SvdOld:
        """PyTorch's old `t.svd(some=True, compute_uv=True)`: (U, S, V) with A = U diag(S) Vᵀ,
        reduced unless some=False; compute_uv=False gives U and V of zeros (full size), as
        PyTorch's. From `autograd.linalg.svd` (torch.linalg.svd gives Vh = Vᵀ), differentiable.

        >>> U, S, V = Tensor([[3.0, 0.0], [0.0, -2.0], [0.0, 0.0]]).svd()
        >>> U.shape, S.tolist(), V.shape
        ((3, 2), [3.0, 2.0], (2, 2))
        """
        from . import linalg
        if not compute_uv:
            S = linalg.svdvals(self)
            m, n = self.shape[-2:]
            batch = self.shape[:-2]
            return SvdOld(self.new_zeros(batch + (m, m)), S, self.new_zeros(batch + (n, n)))
        U, S, Vh = linalg.svd(self, full_matrices=not some)
        return SvdOld(U, S, Vh.mT)

    def lu(self, pivot: bool = True, get_infos: bool = False) -> tuple:
        """PyTorch's old `A.lu(pivot=True, get_infos=False)`: (LU, pivots), L's strict lower
        triangle and U packed in one matrix and the row swaps as LAPACK numbers them (int32,
        from 1: row i was swapped with row pivots[i] - 1, in turn), and with get_infos=True
        a third tensor, the zeros of success. Of a square invertible matrix (or each in a
        batch), from `autograd.linalg.lu`; LU is differentiable.

        >>> LU, pivots = Tensor([[1.0, 2.0], [3.0, 4.0]]).lu()
        >>> pivots.tolist(), LU.tolist()    # doctest: +ELLIPSIS
        ([2, 2], [[3.0, 4.0], [0.333..., 0.666...]])
        """
        from .linalg import lu
        P, L, U = lu(self, pivot=pivot)
        packed = L.tril(-1) + U
        order = P.data.argmax(-2)               # P[order[i], i] = 1: row order[i] went to i
        swaps = np.empty(order.shape, dtype=np.int32)
        flat_order, flat_swaps = order.reshape(-1, order.shape[-1]), swaps.reshape(
            -1, order.shape[-1])
        for target, out in zip(flat_order, flat_swaps):
            rows = list(range(len(target)))     # the rows in their place as the swaps go
            for i, wanted in enumerate(target.tolist()):
                j = rows.index(wanted, i)
                rows[i], rows[j] = rows[j], rows[i]
                out[i] = j + 1
        pivots = Tensor(swaps)
        if get_infos:
            return packed, pivots, Tensor(np.zeros(self.shape[:-2], dtype=np.int32))
        return packed, pivots

    def triangular_solve(self, A: Any, upper: bool = True, transpose: bool = False,
                         unitriangular: bool = False) -> TriangularSolution:
        """PyTorch's old `B.triangular_solve(A, upper=True, transpose=False,
        unitriangular=False)`: (X, a copy of A), X with A X = B (Aᵀ X = B with
        transpose=True), A triangular; `autograd.linalg.solve_triangular(A, B)`,
        differentiable.

        >>> Tensor([[2.0], [9.0]]).triangular_solve(Tensor([[2.0, 0.0], [1.0, 4.0]]),
        ...                                         upper=False).solution.tolist()
        [[1.0], [2.0]]
        """
        from .linalg import solve_triangular
        A = _as_tensor(A, "triangular_solve")
        coefficient = A.mT if transpose else A
        X = solve_triangular(coefficient, self, upper=bool(upper) != bool(transpose),
                             unitriangular=unitriangular)
        return TriangularSolution(X, A.clone())


def _int_tuple(op: str, name: str, value: Any) -> tuple:
    """A shape-like argument (a tuple, list or torch.Size of ints) as a tuple of ints."""
    if isinstance(value, Node) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{op}: {name} must be a tuple of ints, got {value!r}")
    return tuple(_one_int(op, name, v) for v in value)


def _wrapped(index: Any, length: int) -> np.ndarray:
    """An index with its negative entries counted from the end (index_fill takes them)."""
    idx = _index_array("index_fill", index)
    return np.where(idx < 0, idx + length, idx)

