"""PyTorch's `torch.linalg.inv_ex` and `solve_ex`: `inv`'s and `solve`'s results with an int32
`info` per matrix instead of an error for a singular one (the check a robust loop makes, as
`cholesky_ex`'s for a jitter loop). Differentiable where info = 0, as `inv` and `solve` are.

>>> from autograd import Tensor
>>> inverse, info = inv_ex(Tensor([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]]]))
>>> info.tolist(), inverse[0].tolist()
([0, 2], [[0.5, 0.0], [0.0, 0.25]])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .linalg import LinAlgError, _factorable, _raises, inv, solve
from .linalg_lu import _row_order
from .tensor import Tensor, _as_tensor


class InvExResult(NamedTuple):
    """What `inv_ex` gives, as PyTorch's: `inverse, info = inv_ex(A)`."""
    inverse: Tensor
    info: Tensor


class SolveExResult(NamedTuple):
    """What `solve_ex` gives, as PyTorch's: `result, info = solve_ex(A, B)`."""
    result: Tensor
    info: Tensor


def _info(A: Tensor) -> np.ndarray:
    """LAPACK getrf's info per matrix: 0 where A is invertible, else the (1-based) column of
    the first zero pivot of its LU factorization with partial pivoting."""
    a = A.data
    info = np.zeros(a.shape[:-2], np.int32)
    if _raises(np.linalg.inv)(a):           # (one batched call: the common case)
        return info
    invertible = _raises(np.linalg.inv)
    for index in np.ndindex(info.shape):
        if not invertible(a[index]):
            try:
                _row_order(a[index])
                info[index] = a.shape[-1]   # (LAPACK's rounding met an exact 0 ours did not)
            except LinAlgError as error:
                info[index] = error.column + 1
    return info


def _singular_as_identity(A: Tensor, info: np.ndarray) -> tuple[Tensor, np.ndarray]:
    """A with the identity in place of the singular matrices (so the op runs on the others),
    and where they were, (..., 1, 1)."""
    failed = (info > 0)[..., None, None]
    return A.where(~failed, Tensor(np.eye(A.shape[-1], dtype=A.data.dtype))), failed


def inv_ex(A: Any, *, check_errors: bool = False) -> InvExResult:
    """PyTorch's `torch.linalg.inv_ex`: `inv(A)` and `info` (int32, shape A.shape[:-2]): 0
    where A is invertible, else the column of the first zero pivot of its LU factorization
    (LAPACK's, 1-based). Where info > 0 the inverse is NaN (PyTorch's holds whatever LAPACK
    left: read neither) and passes no gradient; check_errors=True raises as `inv` does.

    >>> inverse, info = inv_ex(Tensor([[1.0, 1.0], [1.0, 1.0]]))
    >>> info.item(), bool(inverse.isnan().all())
    (2, True)
    """
    A = _factorable("inv_ex", A)
    if check_errors:
        return InvExResult(inv(A), Tensor(np.zeros(A.shape[:-2], np.int32)))
    info = _info(A)
    if not info.any():
        return InvExResult(inv(A), Tensor(info))
    safe, failed = _singular_as_identity(A, info)
    return InvExResult(inv(safe).where(~failed, float("nan")), Tensor(info))


def solve_ex(A: Any, B: Any, *, left: bool = True, check_errors: bool = False) -> SolveExResult:
    """PyTorch's `torch.linalg.solve_ex`: `solve(A, B, left=left)` and `info` per matrix of A,
    as `inv_ex`'s. Where info > 0 the solution is NaN and passes no gradient;
    check_errors=True raises as `solve` does.

    >>> x, info = solve_ex(Tensor([[2.0, 0.0], [0.0, 0.0]]), Tensor([1.0, 1.0]))
    >>> info.item(), x.tolist()
    (2, [nan, nan])
    """
    A, B = _factorable("solve_ex", A), _as_tensor(B, "solve_ex")
    if check_errors:
        return SolveExResult(solve(A, B, left=left), Tensor(np.zeros(A.shape[:-2], np.int32)))
    info = _info(A)
    if not info.any():
        return SolveExResult(solve(A, B, left=left), Tensor(info))
    safe, failed = _singular_as_identity(A, info)
    X = solve(safe, B, left=left)
    # a vector right-hand side (solve's rule) drops the column axis: the mask follows it
    vectors = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    mask = failed[..., 0] if vectors and left else failed
    return SolveExResult(X.where(~mask, float("nan")), Tensor(info))
