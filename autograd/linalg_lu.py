"""PyTorch's `torch.linalg.lu`, differentiable: A = P L U with partial pivoting, of a square
invertible matrix or a batch of them. Glow's LU-parametrised 1x1 convolution starts from it
(P kept fixed, L's strict lower triangle, U's strict upper one and log|diag U| trained).
Exported by `autograd.linalg`.

The row order is chosen on the numbers (the largest entry left in each column, as LAPACK's
getrf picks it); the elimination then runs again as Tensor ops on the rows in that order, so
the gradient, to any order, is that of the ops, with no rule of its own to get wrong.

>>> import numpy as np
>>> from autograd import Tensor
>>> P, L, U = lu(Tensor([[1.0, 2.0], [3.0, 4.0]]))
>>> P.tolist(), L.tolist(), U.tolist()
([[0.0, 1.0], [1.0, 0.0]], [[1.0, 0.0], [0.3333333432674408, 1.0]], [[3.0, 4.0], [0.0, 0.6666666269302368]])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .linalg import _factorable
from .linalg_errors import LinAlgError
from .tensor import Tensor
from .tensor_functions import stack


class LuResult(NamedTuple):
    """What `lu` gives, as PyTorch's: `P, L, U = lu(A)`."""
    P: Tensor
    L: Tensor
    U: Tensor


def _row_order(a: np.ndarray) -> np.ndarray:
    """(..., n) for a (..., n, n): the order of A's rows that partial pivoting takes (Gaussian
    elimination on a copy, each column's pivot the largest in magnitude left, the first of
    ties). A zero pivot means A is singular: refused, naming the batch index."""
    n = a.shape[-1]
    s = a.reshape(-1, n, n).copy()
    order = np.tile(np.arange(n), (len(s), 1))
    every = np.arange(len(s))
    for k in range(n):
        p = k + np.abs(s[:, k:, k]).argmax(1)
        s[every, k], s[every, p] = s[every, p], s[every, k]          # (fancy indexing: copies)
        order[every, k], order[every, p] = order[every, p], order[every, k]
        pivots = s[:, k, k]
        if (pivots == 0).any():
            flat = int(np.flatnonzero(pivots == 0)[0])
            where = (f" at batch index {[int(i) for i in np.unravel_index(flat, a.shape[:-2])]}"
                     if a.ndim > 2 else "")
            error = LinAlgError(
                f"lu: A{where} is singular (column {k} has no nonzero pivot); glassgrad's lu "
                f"takes invertible matrices, where U⁻¹ and so the gradient exist")
            error.column = k                # (for inv_ex's and solve_ex's info)
            raise error
        s[:, k + 1:, k:] -= (s[:, k + 1:, k] / pivots[:, None])[:, :, None] * s[:, None, k, k:]
    return order.reshape(a.shape[:-1])


def lu(A: Any, *, pivot: bool = True) -> LuResult:
    """P, L, U with A = P L U, of a square matrix or of each in a batch (..., n, n): PyTorch's
    `torch.linalg.lu`. P is a permutation matrix (a constant), L unit lower triangular, U
    upper triangular. Differentiable to any order (the elimination's own ops). Only square
    invertible A, with pivoting (PyTorch's CPU refuses pivot=False too); a singular one is
    refused, naming its batch index.

    >>> import numpy as np
    >>> A = np.array([[0.5, 2.0, -1.0], [3.0, 1.0, 0.0], [1.0, -2.0, 4.0]])
    >>> P, L, U = lu(Tensor(A))
    >>> np.allclose(P.data @ L.data @ U.data, A), np.allclose(np.diag(L.data), 1.0)
    (True, True)
    """
    if pivot is not True:
        raise ValueError("lu: pivot=False is not supported (PyTorch's CPU refuses it too): "
                         "leave pivot out")
    A = _factorable("lu", A)
    n = A.shape[-1]
    order = _row_order(A.data)
    rows = A.take_along_dim(Tensor(order[..., :, None]), dim=-2)     # (P^T A), the pivots' rows
    below = np.arange(n)[:, None] > np.arange(n)                     # strictly below the diagonal
    S, u_rows, l_cols = rows, [], []
    for k in range(n):
        u = S[..., k, :]
        l = (S[..., :, k] / u[..., k:k + 1]).where(below[:, k], 0.0)   # multipliers below k
        S = S - l.unsqueeze(-1) * u.unsqueeze(-2)
        u_rows.append(u)
        l_cols.append(l)
    U = stack(u_rows, dim=-2).triu()        # (what left of the diagonal is eliminated rounding)
    L = stack(l_cols, dim=-1) + Tensor(np.eye(n, dtype=A.data.dtype))
    P = np.zeros(A.shape, A.data.dtype)
    np.put_along_axis(P, order[..., None, :], 1.0, axis=-2)         # P[order[i], i] = 1
    return LuResult(Tensor(P), L, U)
