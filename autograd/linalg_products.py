"""Products built from matmul and elementwise ops, differentiable through them (to any
order): `matrix_power`, `multi_dot` (in `autograd.linalg`), `kron` and `cross` (also Tensor
methods and `autograd` functions, as in PyTorch).

>>> from autograd import Tensor
>>> matrix_power(Tensor([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
[[1.0, 3.0], [0.0, 1.0]]
>>> cross(Tensor([1.0, 0.0, 0.0]), Tensor([0.0, 1.0, 0.0])).tolist()
[0.0, 0.0, 1.0]
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .linalg import inv
from .tensor import Tensor, _as_tensor, _promote
from .tensor_functions import concatenate


def matrix_power(A: Any, n: int) -> Tensor:
    """Aⁿ of a square matrix, or of each in a batch (..., m, m): PyTorch's
    `torch.linalg.matrix_power` and `t.matrix_power(n)`. n = 0 gives the identity (a gradient
    of 0), n < 0 the power of A⁻¹ (`inv`: a float A, refused if singular). By repeated
    squaring: about 2 log₂|n| products, each differentiable.

    >>> matrix_power(Tensor([[2.0, 0.0], [0.0, 4.0]]), -1).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    A = _as_tensor(A, "matrix_power")
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"matrix_power: n must be an int, got {n!r}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"matrix_power: A must be a square matrix or a batch of them "
                         f"(..., m, m), got shape {A.shape}")
    n = int(n)
    if n == 0:                              # I, still a function of A (PyTorch's has a grad_fn)
        eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A.data.dtype), A.shape)
        return A.where(np.zeros(A.shape, dtype=bool), eye)
    if n < 0:
        if A.data.dtype.kind != "f":
            raise TypeError(f"matrix_power: a negative n ({n}) needs A⁻¹, so a floating A, got "
                            f"dtype {A.data.dtype} (t.double() or t.float())")
        A, n = inv(A), -n
    result, square = None, A
    while True:                             # the binary digits of n, lowest first
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if not n:
            return result
        square = square @ square


def multi_dot(tensors: Any) -> Tensor:
    """The product of two or more matrices, A @ B @ C @ ..., in the order of multiplications
    that costs least (the matrix-chain order; the result is the same up to rounding):
    PyTorch's `torch.linalg.multi_dot`. The first may be a vector (a row), the last too (a
    column), and the result loses those axes; the others are 2-d. Differentiable (matmul's
    gradients).

    >>> row, column = Tensor([1.0, 2.0]), Tensor([1.0, 1.0])
    >>> multi_dot([row, Tensor([[1.0, 0.0], [0.0, 3.0]]), column]).item()
    7.0
    """
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"multi_dot: takes a list of tensors, got {type(tensors).__name__}")
    if len(tensors) < 2:
        raise ValueError(f"multi_dot: needs at least 2 tensors, got {len(tensors)}")
    mats = [_as_tensor(t, "multi_dot") for t in tensors]
    last = len(mats) - 1
    for i, t in enumerate(mats):
        allowed = (1, 2) if i in (0, last) else (2,)
        if t.ndim not in allowed:
            where = "the first" if i == 0 else "the last" if i == last else "a middle"
            raise ValueError(f"multi_dot: tensor {i} has shape {t.shape}: {where} tensor must "
                             f"be {' or '.join(f'{d}-d' for d in allowed)}"
                             + (" (a vector only at an end)" if i not in (0, last) else ""))
    shapes = [t.shape for t in mats]
    row, column = mats[0].ndim == 1, mats[-1].ndim == 1
    if row:
        mats[0] = mats[0].reshape(1, -1)
    if column:
        mats[-1] = mats[-1].reshape(-1, 1)
    for i in range(last):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise ValueError(f"multi_dot: tensors {i} and {i + 1} of shapes {shapes[i]} and "
                             f"{shapes[i + 1]} cannot be multiplied ({mats[i].shape[1]} "
                             f"columns against {mats[i + 1].shape[0]} rows)")
    sizes = [mats[0].shape[0]] + [t.shape[1] for t in mats]
    out = _chain(mats, _chain_order(sizes), 0, last)
    if row and column:
        return out.reshape(())
    if row:
        return out.reshape(-1)
    return out.reshape(-1) if column else out


def _chain_order(sizes: list) -> list:
    """split[i][j]: where the cheapest product of matrices i..j splits (matrix i is sizes[i] ×
    sizes[i + 1]), by the textbook dynamic programme over chain lengths."""
    count = len(sizes) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1], k)
                for k in range(i, j))
    return split


def _chain(mats: list, split: list, i: int, j: int) -> Tensor:
    if i == j:
        return mats[i]
    k = split[i][j]
    return _chain(mats, split, i, k) @ _chain(mats, split, k + 1, j)


def kron(a: Any, b: Any) -> Tensor:
    """The Kronecker product: block (i, j, ...) of the result is a[i, j, ...] · b, of shape
    a.shape[d] · b.shape[d] along each axis (the one with fewer axes gets leading 1s):
    PyTorch's `torch.kron` and `a.kron(b)`. Differentiable in both (a product of broadcast
    copies: dL/da sums g's blocks against b).

    >>> kron(Tensor([[1.0, 2.0]]), Tensor([[1.0], [10.0]])).tolist()
    [[1.0, 2.0], [10.0, 20.0]]
    """
    a, b = _as_tensor(a, "kron"), _as_tensor(b, "kron")
    ndim = max(a.ndim, b.ndim)
    a_shape = (1,) * (ndim - a.ndim) + a.shape
    b_shape = (1,) * (ndim - b.ndim) + b.shape
    # a with a new axis of 1 after each of its own, b before each: their product, interleaved
    # (a_0, b_0, a_1, b_1, ...), holds a[i, j] b[k, l] at [i, k, j, l]
    spread_a = a.reshape(tuple(x for n in a_shape for x in (n, 1)))
    spread_b = b.reshape(tuple(x for n in b_shape for x in (1, n)))
    return (spread_a * spread_b).reshape(tuple(p * q for p, q in zip(a_shape, b_shape)))


def cross(a: Any, b: Any, *, dim: int = -1) -> Tensor:
    """The cross product a × b of 3-vectors along `dim` (the last axis by default), the other
    axes broadcasting: PyTorch's `torch.linalg.cross`. As PyTorch's, a and b have the same
    number of axes and length 3 along `dim`. Differentiable in both (dL/da = b × g,
    dL/db = g × a).

    >>> cross(Tensor([[0.0, 0.0, 2.0]]), Tensor([1.0, 0.0, 0.0]).reshape(1, 3)).tolist()
    [[0.0, 2.0, 0.0]]
    """
    return _cross("linalg.cross", a, b, dim)


def _cross(name: str, a: Any, b: Any, dim: Any) -> Tensor:
    a, b = _as_tensor(a, name), _as_tensor(b, name)
    if a.data.dtype != b.data.dtype:
        a, b = _promote(a, b)
    if a.ndim != b.ndim:
        raise ValueError(f"{name}: a of shape {a.shape} and b of shape {b.shape} must have "
                         f"the same number of dims (b.unsqueeze(0) gives b a leading axis)")
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    if not -a.ndim <= dim < max(a.ndim, 1):
        raise ValueError(f"{name}: dim {dim} is out of range for shape {a.shape}")
    axis = int(dim) % a.ndim
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        raise ValueError(f"{name}: a of shape {a.shape} and b of shape {b.shape} must have "
                         f"length 3 along dim {dim} (3-vectors), got {a.shape[axis]} and "
                         f"{b.shape[axis]}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{name}: a of shape {a.shape} and b of shape {b.shape} cannot be "
                         f"broadcast together") from None
    # (a_y b_z − a_z b_y, a_z b_x − a_x b_z, a_x b_y − a_y b_x): the components rolled by one
    # and by two
    once, twice = np.array([1, 2, 0]), np.array([2, 0, 1])
    return (a.index_select(axis, once) * b.index_select(axis, twice)
            - a.index_select(axis, twice) * b.index_select(axis, once))


def block_diag(*tensors: Any) -> Tensor:
    """The block-diagonal matrix of the given blocks, zeros elsewhere: PyTorch's
    `torch.block_diag` (a multi-output kernel, a state-space model's noise covariance of
    independent parts). Each block is a matrix, a 1-d tensor (a row) or a 0-d one (1 × 1); the
    dtype is PyTorch's promotion of theirs. Differentiable in each block (its gradient is g's
    block).

    >>> block_diag(Tensor([[1.0, 2.0]]), Tensor(3.0)).tolist()
    [[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]]
    """
    blocks = []
    for i, t in enumerate(tensors):
        t = _as_tensor(t, "block_diag")
        if t.ndim > 2:
            raise ValueError(f"block_diag: each block must have at most 2 dims, got shape "
                             f"{t.shape} at position {i} (for a batch of block-diagonal "
                             f"matrices, build them with torch.zeros and slice assignment)")
        blocks.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1
                      else t)
    dtypes = [b.data.dtype for b in blocks]
    floats = [d for d in dtypes if d.kind == "f"]   # PyTorch's categories: floats win
    dtype = np.result_type(*floats) if floats else np.result_type(*dtypes) if dtypes else \
        np.dtype(np.float32)
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        # the block between zeros (constants) on its left and right, then the rows stacked
        rows.append(concatenate([Tensor(np.zeros((r, left), dtype)), b.astype(dtype),
                                Tensor(np.zeros((r, width - left - c), dtype))], dim=1))
        left += c
    return concatenate(rows, dim=0) if rows else Tensor(np.zeros((1, 0), dtype))  # (PyTorch)


def vecdot(x: Any, y: Any, *, dim: int = -1) -> Tensor:
    """The dot product of x and y along `dim`, the other axes broadcasting: PyTorch's
    `torch.linalg.vecdot` (real tensors). Differentiable in both.

    >>> vecdot(Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([1.0, 1.0])).tolist()
    [3.0, 7.0]
    """
    return (_as_tensor(x, "linalg.vecdot") * _as_tensor(y, "linalg.vecdot")).sum(dim)


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """PyTorch's `torch.linalg.diagonal`: `torch.diagonal` with the last two axes as the
    default matrix axes (a batch's diagonals, shape (..., n)).

    >>> diagonal(Tensor([[[1.0, 2.0], [3.0, 4.0]]])).tolist()
    [[1.0, 4.0]]
    """
    return _as_tensor(A, "linalg.diagonal").diagonal(offset, dim1, dim2)
