"""Functions that derivative rules call and that work on raw payloads and on nodes alike.

In the first-order pass a rule sees floats and ndarrays; in the higher-order pass it sees `Value`s
and `Tensor`s, and whatever it computes must be recorded so that it can be differentiated again.
Operators (`+ * @ ...`) and the ndarray methods that `Tensor` mirrors (`.sum`, `.reshape`,
`.swapaxes`, indexing) already work on both; the few functions below fill the gaps.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from ..graph import Node, apply
from .elementwise import LogOrZero


def exp(x: Any) -> Any:
    if isinstance(x, Node):
        return x.exp()
    return math.exp(x) if isinstance(x, float) else np.exp(x)


# The functions a custom Function's backward needs to serve higher-order gradients too (see
# autograd/function.py): x.cos() exists only on nodes, np.cos only takes payloads.

def sin(x: Any) -> Any:
    """sin x of a number, an array, a Value or a Tensor (recorded for a node).

    >>> from autograd import Value
    >>> sin(0.0), sin(np.array([0.0])), sin(Value(0.0)).data
    (0.0, array([0.]), 0.0)
    """
    if isinstance(x, Node):
        return x.sin()
    return math.sin(x) if isinstance(x, float) else np.sin(x)


def cos(x: Any) -> Any:
    """cos x of a number, an array, a Value or a Tensor (recorded for a node)."""
    if isinstance(x, Node):
        return x.cos()
    return math.cos(x) if isinstance(x, float) else np.cos(x)


def tanh(x: Any) -> Any:
    """tanh x of a number, an array, a Value or a Tensor (recorded for a node)."""
    if isinstance(x, Node):
        return x.tanh()
    return math.tanh(x) if isinstance(x, float) else np.tanh(x)


def log(x: Any) -> Any:
    """ln x of a number, an array, a Value or a Tensor (recorded for a node)."""
    if isinstance(x, Node):
        return x.log()
    return math.log(x) if isinstance(x, float) else np.log(x)


def sqrt(x: Any) -> Any:
    """√x of a number, an array, a Value or a Tensor (recorded for a node)."""
    if isinstance(x, Node):
        return x.sqrt()
    return math.sqrt(x) if isinstance(x, float) else np.sqrt(x)


def power(x: Any, c: Any) -> Any:
    """x ** c for a constant exponent c, on any payload or node.

    Shortcuts, for a float array and a whole c other than -1, 0, 1 and 2 (which numpy computes
    directly): x ** 3 is x·x·x and x ** -2 is 1 / (x·x), as PyTorch computes them (the same bits;
    8-12x faster than a power). For any other whole c, numpy's power sends each negative number
    down a slow scalar path (45x its vectorised path; measured: docs/measurements.md#payload_math),
    so the power is taken of |x| and the sign put back, ±|x| ** c. For a negative number the
    result can differ from numpy's x ** c in the last bit or two (each is within 1 ulp of the
    exact power); positive numbers, zeros, infinities and NaN give numpy's result exactly. And for
    a fractional c, -inf ** c is NaN, as for every negative number (numpy's is 0 or inf).

    >>> power(np.array([-2.0, 3.0]), 3), power(np.array([-2.0, 3.0]), 4.0)
    (array([-8., 27.]), array([16., 81.]))
    >>> power(np.array([-2.0, 0.5]), -2)
    array([0.25, 4.  ])
    """
    if (x.__class__ is np.ndarray and (c.__class__ is int or c.__class__ is float)
            and x.dtype.kind == "f"):
        if not float(c).is_integer() and c != 0.5:     # (numpy's ** 0.5 is sqrt: NaN at -inf)
            # C's pow takes (-inf) ** 2.5 to inf and (-inf) ** -0.5 to 0, where each finite
            # negative base gives NaN: -inf as the lowest float gives NaN too (as in PyTorch's
            # rsqrt and sqrt; its pow keeps C's). One pass over x: ~1 µs for 100 numbers, 4 for
            # 6,400 (the power itself takes 1.5 and 38).
            x = np.maximum(x, np.finfo(x.dtype).min)
        elif c == 3:
            cube = x * x
            cube *= x
            return cube
        elif c == -2:
            square = x * x          # (a number for a 0-d x: no array to write into; its 1
            # is of x's dtype, as numpy 1.x takes 1 / float32 number to float64)
            return np.divide(1, square, out=square) if square.ndim else x.dtype.type(1) / square
        elif not -1 <= c <= 2:
            magnitude = np.abs(x) ** c
            return np.copysign(magnitude, x) if int(c) % 2 else magnitude
    return x ** c


def sum_last(x: Any, axes: int = 1) -> Any:
    """The sum over the last `axes` axes, kept as size-1 axes, on a payload or a node.

    For a float32/float64 array, one product with a vector of ones: numpy's own reduction over
    a short last axis loops row by row, 6x slower for a (32, 32, 64) array (measured:
    docs/measurements.md#payload_math); softmax and layer norm sum along such rows. The sum is
    the same, added in another order.

    >>> sum_last(np.arange(6.0).reshape(2, 3)), sum_last(np.ones((2, 2, 3)), axes=2).shape
    (array([[ 3.],
           [12.]]), (2, 1, 1))
    """
    kept = x.shape[:x.ndim - axes] + (1,) * axes
    n = math.prod(x.shape[x.ndim - axes:])
    if isinstance(x, Node) or x.dtype not in _BLAS_FLOATS or n == 0:
        return x.sum(tuple(range(x.ndim - axes, x.ndim)), keepdims=True)
    return (x.reshape((-1, n)) @ ones_vector(n, x.dtype)).reshape(kept)


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@lru_cache(maxsize=32)
def ones_vector(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of `n` ones, made once per length and dtype: `sum_last` and
    `sum_rows` multiply by one, and np.ones costs 5x the look-up (a softmax or a layer norm
    sums rows two to four times a step).

    >>> ones_vector(3, np.dtype(np.float32))
    array([1., 1., 1.], dtype=float32)
    """
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones


def sum_rows(rows: np.ndarray) -> np.ndarray:
    """The sum of the rows of a 2-d array (a bias's gradient). From 64 float32/float64 rows on,
    one product with a vector of ones, like `sum_last`: numpy's reduction over the rows took
    1.2x as long for (64, 128), 2-5x for (1024, 64) to (1024, 256); below, numpy's own is
    ~0.3 µs faster (docs/measurements.md#payload_math). The same sum, in another order.

    >>> sum_rows(np.arange(6.0).reshape(3, 2))
    array([6., 9.])
    """
    if len(rows) >= 64 and rows.dtype in _BLAS_FLOATS:
        return ones_vector(len(rows), rows.dtype) @ rows
    return rows.sum(axis=0)


def matmul(a: Any, b: Any) -> Any:
    """a @ b, on payloads and nodes alike.

    Two float matrices whose shared axis has length 1 (an outer product: a weight's gradient
    from a batch of one row, a layer with one input or one output) go through np.dot: numpy's
    matmul leaves that case to its own loop instead of BLAS, 6x slower for (128, 1) @ (1, 784)
    and 5x for (100, 1) @ (1, 16) (measured: docs/measurements.md#payload_math). Each entry is
    one product either way, so the result is the same.

    >>> matmul(np.array([[1.0], [2.0]]), np.array([[3.0, 4.0]]))
    array([[3., 4.],
           [6., 8.]])
    """
    if (a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.ndim == 2 == b.ndim
            and a.shape[1] == 1 == b.shape[0] and a.dtype == b.dtype and a.dtype in _BLAS_FLOATS):
        return np.dot(a, b)
    return a @ b


def broadcast_to(x: Any, shape: tuple) -> Any:
    if isinstance(x, Node):
        return x.broadcast_to(shape)
    if x.shape == shape:
        return x
    out = np.empty(shape, dtype=x.dtype)     # a filled copy: ~10x cheaper than np.broadcast_to
    out[...] = x                             # for small arrays, and writable
    return out


def scatter_add(g: Any, index: Any, shape: tuple) -> Any:
    """A zero array of `shape` with `g` added at `index` (repeated indices add up)."""
    if isinstance(g, Node):
        from .shape import ScatterAdd
        return apply(ScatterAdd, (g,), (index, shape))
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        # ints and slices pick each element at most once, so the sum is a plain assignment:
        # 4x (x[5] of a (20, 32, 32) array) to 11x (x[:, :8]) faster than np.add.at
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic(index: Any) -> bool:
    """Whether `index` is numpy's basic indexing (ints, slices, ..., None), where no element
    can be picked twice; arrays, lists and bools are not.

    >>> _is_basic((slice(None), 3, None, Ellipsis)), _is_basic(np.int64(2))
    (True, True)
    >>> _is_basic((0, [1, 1])), _is_basic(np.array([0, 0])), _is_basic(True)
    (False, False, False)
    """
    for part in (index if index.__class__ is tuple else (index,)):
        if not (part is None or part is Ellipsis or part.__class__ is slice
                or (isinstance(part, (int, np.integer)) and part.__class__ is not bool)):
            return False
    return True


def softmax(x: Any, axis: int = -1) -> Any:
    if isinstance(x, Node):
        return x.softmax(axis)
    from .softmax import Softmax            # (softmax.py imports this module)
    return Softmax.forward(axis, x)


def log_softmax(x: Any, axis: int = -1) -> Any:
    if isinstance(x, Node):
        return x.log_softmax(axis)
    from .softmax import LogSoftmax
    return LogSoftmax.forward(axis, x)


def log_or_zero(x: Any) -> Any:
    """ln x, but 0 where x == 0 (NaN below): in d(a^b)/db = a^b ln a the product tends to 0 as
    a → 0⁺. A LogOrZero node for a node (computed from the data whenever a gradient graph is
    replayed), a number or an array for a payload.

    >>> log_or_zero(1.0), log_or_zero(0.0), log_or_zero(np.array([0.0, -1.0]))
    (0.0, 0.0, array([ 0., nan]))
    """
    if isinstance(x, Node):
        return apply(LogOrZero, (x,))
    return LogOrZero.forward(None, x)
