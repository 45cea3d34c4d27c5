"""How Tensor's ops take their operands: `_as_tensor` makes numbers, lists and arrays Tensors,
`_promote` makes two dtypes one as PyTorch does, and the `_refuse_*` checks make errors that
name the op of what numpy would refuse obscurely or take silently (a Value among Tensors, an
integer division by 0, an int beyond its dtype, shapes that do not broadcast).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from .graph import Node

if TYPE_CHECKING:
    from .tensor import Tensor
# `Tensor`, a global here as in tensor.py, is put into this module by autograd/tensor.py once
# the class exists (tensor.py imports this module to make it, so it cannot be imported back)

# What None where numbers belong most often means: a forward() that computes its result and
# forgets to return it (a Head's `wei @ v`), whose None then reaches the next op
NONE_GIVEN = ("got None where numbers belong: a function that ends without `return` gives None "
              "(does a forward() compute its result but not return it?)")

# None compared with a tensor (allclose, isclose, equal) is most often a `.grad` that backward
# never filled: backprop ninja's cmp(name, dt, t) reads t.grad
NONE_COMPARED = ("got None to compare with, not a tensor: a .grad is None until backward() has "
                 "reached its tensor (was loss.backward() called, and does the loss depend on "
                 "the tensor?)")

_MIXED_ENGINES = ("cannot combine a Tensor with a Value: a Value is one number of the scalar "
                  "engine; use Tensor(v.data) for its number (no gradient flows back to the "
                  "Value), or keep to one engine (Values throughout, or Tensors)")


def _as_tensor(x: Any, op: str = "Tensor") -> Tensor:
    if x is None:
        raise TypeError(f"{op}: {NONE_GIVEN}")
    return x if isinstance(x, Tensor) else Tensor(x)


def _promote(a: Tensor, b: Tensor, op: str = "") -> tuple[Tensor, Tensor]:
    """Two tensors of different dtypes made ready for numpy by PyTorch's rule, the same on
    numpy 1.x and 2 (whose rules differ from PyTorch's and from each other): the categories
    are bool < integer < float, and the result takes the highest one, the dtype of its tensors
    with dimensions if they have it, else that of its 0-d tensors. So an integer or bool
    tensor takes the floating one's dtype (numpy would make int64 with float32 float64), and a
    0-d tensor does not widen a tensor with dimensions of its category or a higher one: a
    float64 scalar keeps a float32 batch float32 (its gradient still flows back through the
    cast), a 0-d int64 keeps uint8 uint8. Where a 0-d integer's value does not fit there
    (PyTorch would wrap 300 round to 44 in uint8), it is refused, as a Python int is
    (`_refuse_integer_out_of_range`). Two tensors with dimensions, or two 0-d ones, keep
    numpy's promotion, which is PyTorch's there (int8 with uint8 is int16)."""
    ka, kb = a.data.dtype.kind, b.data.dtype.kind
    if ka in "biu" and kb == "f":                   # (an integer tensor is a constant: the
        return Tensor(a.data.astype(b.data.dtype), label=a.label), b    # copy keeps its name)
    if kb in "biu" and ka == "f":
        return a, Tensor(b.data.astype(a.data.dtype), label=b.label)
    if (a.data.ndim == 0) == (b.data.ndim == 0):
        return a, b
    if ka == kb == "f":
        return (a.astype(b.data.dtype), b) if a.data.ndim == 0 else (a, b.astype(a.data.dtype))
    # integers and bools, one of them 0-d (numpy 1.x would look at its value, numpy 2 widen)
    a_is_0d = a.data.ndim == 0
    scalar, other = (a, b) if a_is_0d else (b, a)
    if other.data.dtype.kind == "b":                # a 0-d integer beside bools: its dtype
        dtype = scalar.data.dtype
        other = Tensor(other.data.astype(dtype), label=other.label)
    else:
        dtype = other.data.dtype
        if scalar.data.dtype.kind != "b":
            _refuse_narrowed(scalar, dtype, op)
        scalar = Tensor(scalar.data.astype(dtype), label=scalar.label)
    return (scalar, other) if a_is_0d else (other, scalar)


def _refuse_narrowed(scalar: Tensor, dtype: np.dtype, op: str) -> None:
    """An OverflowError if the 0-d integer tensor `scalar` cannot be held by the integer
    `dtype` that `_promote` gives it."""
    value = int(scalar.data)
    info = np.iinfo(dtype)
    if not info.min <= value <= info.max:
        raise OverflowError(
            f"{op + ': ' if op else ''}{value} (a 0-d {scalar.data.dtype} tensor or numpy "
            f"scalar) beside a tensor of dtype {dtype} with dimensions: the result is {dtype} "
            f"(PyTorch's rule: a 0-d tensor or a number does not widen a tensor of its kind), "
            f"which cannot hold {value}; cast the tensor first, e.g. t.astype(np.int64)")


def _refuse_value(name: str, error: TypeError, *operands: Any) -> None:
    """`error` (`_operand`'s refusal of a Value) again, naming the op `name` that was given one
    among its `operands`."""
    if any(isinstance(x, Node) and not isinstance(x, Tensor) for x in operands):
        raise TypeError(f"{name}: {error}") from None


def _refuse_unbroadcastable(name: str, a: Tensor, b: Tensor) -> None:
    """A ValueError naming the op `name` if the shapes of `a` and `b` do not broadcast together
    (called where numpy refused them, so that its message names no op)."""
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast "
                         f"together{_column_hint(a.shape, b.shape)}") from None


def _column_hint(a: tuple, b: tuple) -> str:
    """A vector of one number per row, (m,) beside (m, n): the lectures' column vector b in
    b + W x, written for a batch whose samples are W x's columns."""
    vector, matrix = (a, b) if len(a) == 1 else (b, a)
    if len(vector) == 1 and len(matrix) == 2 and vector[0] == matrix[0] != matrix[1]:
        return (f"; a vector lines up with the last axis: for one number per row of the "
                f"{matrix} make it a column, v.reshape(-1, 1)")
    return ""


def _python_number(x: numbers.Real) -> int | float:
    """A numpy scalar as the Python number, which numpy treats as weak: float32 stays float32."""
    return int(x) if isinstance(x, numbers.Integral) else float(x)


def _refuse_integer_division_by_zero(dividend: Any, divisor: Any, symbol: str) -> None:
    """Integer division by zero is an error, as in PyTorch (numpy would warn and give 0); a
    float 0 gives inf or NaN, as in PyTorch."""
    n, d = (np.asarray(x.data if isinstance(x, Tensor) else x) for x in (dividend, divisor))
    if n.dtype.kind in "biu" and d.dtype.kind in "biu" and not np.all(d):
        raise ZeroDivisionError(f"integer {symbol}: division by zero (the divisor holds a 0; "
                                f"numpy would give 0, PyTorch raises too)")


def _refuse_integer_out_of_range(number: Any, dtype: np.dtype) -> None:
    """A Python int (or a list of them) that an integer `dtype` cannot hold (300 into uint8) is
    numpy 2's OverflowError on every numpy: numpy 1.x wrapped it around (44) with at most a
    warning."""
    if dtype.kind not in "iu":
        return
    info = np.iinfo(dtype)
    if number.__class__ is int:
        if not info.min <= number <= info.max:
            raise OverflowError(f"Python integer {number} out of bounds for {dtype}")
    elif number.__class__ in (list, tuple):             # t[:2] = [300, 1]
        numbers = np.asarray(number)
        if numbers.dtype.kind in "iu" and numbers.size:
            for bound in (numbers.min(), numbers.max()):
                _refuse_integer_out_of_range(int(bound), dtype)


def _raw_index(index: Any) -> Any:
    """An index as numpy takes it: each Tensor in it as its array (`_raw_item`)."""
    if index.__class__ is tuple:
        # (looked through first: a tuple of ints, `a[i, k]` in a loop, is the usual index, and
        # a tuple is rebuilt only when a Tensor is in it; the generator over every tuple was
        # 0.4 µs of such a[i, k]'s 2.4)
        for i in index:
            if isinstance(i, Tensor):
                return tuple(_raw_item(i) for i in index)
        return index
    if isinstance(index, tuple):        # a tuple's subclass (a namedtuple): rebuilt, as before
        return tuple(_raw_item(i) for i in index)
    return _raw_item(index)


def _raw_item(item: Any) -> Any:
    """A Tensor in an index as its array, but a 0-d integer one as its int: numpy would take a
    0-d array for an array index and give a copy, where PyTorch takes such a tensor (`x[i]` for
    an i of `for i in idx`) as the int and gives a view of the element or row, as numpy does
    for the int."""
    if not isinstance(item, Tensor):
        return item
    data = item.data
    if data.ndim == 0 and data.dtype.kind in "iu":
        return int(data)
    return data


def _integer_index(op: str, index: Any) -> np.ndarray:
    """An index argument (an integer Tensor, array or list) as an int64 ndarray."""
    index = np.asarray(index.data if isinstance(index, Tensor) else index)
    if index.dtype.kind not in "iu" and not (index.size == 0 and index.dtype.kind == "f"):
        raise TypeError(f"{op}: the index must hold integers, got dtype {index.dtype}")
    return index.astype(np.int64, copy=False)


def _check_index_range(op: str, index: np.ndarray, shape: tuple, axis: int, dim: Any) -> None:
    """Every index in 0..n-1, n the length of axis `axis` (given as `dim`) of `shape`, as
    PyTorch asks (numpy would take -1 as the last one)."""
    n = shape[axis]
    if index.size and (index.min() < 0 or index.max() >= n):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{op}: index {bad} is out of range for dim {dim} of length {n} "
                         f"(tensor of shape {shape})")
