"""PyTorch's `torch.linalg`, the part glassgrad has: `solve` (the solution of A X = B) and
`matrix_exp`, both differentiable (their ops are in autograd/ops/linalg.py), and
`vector_norm` (Tensor.norm). For the decompositions (inv, eigh, svd, det, ...) there is
np.linalg on t.data: numbers without a gradient.

>>> from autograd import Tensor, linalg
>>> A = Tensor([[2.0, 0.0], [1.0, 4.0]], requires_grad=True)
>>> x = linalg.solve(A, Tensor([2.0, 9.0]))          # 2 x0 = 2, x0 + 4 x1 = 9
>>> x.tolist()
[1.0, 2.0]
>>> x.sum().backward()                               # dL/dA = -(A⁻ᵀ 1) xᵀ
>>> A.grad.tolist()
[[-0.375, -0.75], [-0.25, -0.5]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import apply
from .ops import MatrixExp, Solve
from .tensor import Tensor, _as_tensor, _promote

__all__ = ["solve", "matrix_exp", "vector_norm"]


def _square(name: str, what: str, a: Tensor) -> None:
    """Refuse what is not a (batch of) square float matrices."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name}: {what} must be a square matrix or a batch of them "
                         f"(..., n, n), got shape {a.shape}")
    if a.data.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be floating point, got dtype {a.data.dtype} "
                        f"(t.double() or t.float())")


def matrix_exp(A: Any) -> Tensor:
    """exp(A) = I + A + A²/2! + ... of a square matrix (or of each in a batch (..., n, n),
    all in one numpy pass), PyTorch's `torch.linalg.matrix_exp` and `t.matrix_exp()`;
    differentiable to any order. float32 is computed in float64 and rounded once.

    >>> import math
    >>> R = matrix_exp(Tensor([[0.0, -math.pi / 2], [math.pi / 2, 0.0]]))  # a quarter turn
    >>> np.round(R.data, 6).tolist() == [[0.0, -1.0], [1.0, 0.0]]
    True
    """
    A = _as_tensor(A, "matrix_exp")
    _square("matrix_exp", "A", A)
    if not np.isfinite(A.data).all():
        raise ValueError("matrix_exp: A holds NaN or inf")
    return apply(MatrixExp, (A,))


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:
    """X with A X = B (X = A⁻¹ B, without forming A⁻¹), PyTorch's `torch.linalg.solve`: A is
    a square matrix (..., n, n), B a matrix (..., n, k) or a vector (n,), or a batch of
    vectors (..., n) of A's batch shape; batch axes broadcast. left=False solves X A = B.
    Differentiable in A and B (to any order). A singular A is refused."""
    A, B = _as_tensor(A, "solve"), _as_tensor(B, "solve")
    if A.data.dtype != B.data.dtype:
        A, B = _promote(A, B)
    _square("solve", "A", A)
    if B.data.dtype.kind != "f":
        raise TypeError(f"solve: B must be floating point, got dtype {B.data.dtype}")
    if not left:                            # X A = B  <=>  Aᵀ Xᵀ = Bᵀ
        if B.ndim < 2:
            raise ValueError(f"solve: with left=False, B must be a matrix (..., k, n), got "
                             f"shape {B.shape}")
        return solve(A.mT, B.mT).mT
    vectors = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if vectors:
        B = B.unsqueeze(-1)
    n = A.shape[-1]
    if B.ndim < 2 or B.shape[-2] != n:
        raise ValueError(f"solve: A of shape {A.shape} needs B of shape (..., {n}, k) or "
                         f"({n},), got {B.shape if not vectors else B.shape[:-1]}")
    try:
        np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise ValueError(f"solve: the batch shapes of A {A.shape} and B {B.shape} cannot be "
                         f"broadcast together") from None
    try:
        X = apply(Solve, (A, B))
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(f"solve: A (shape {A.shape}) is singular: A X = B has "
                                    f"no unique solution") from None
    return X.squeeze(-1) if vectors else X


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """PyTorch's `torch.linalg.vector_norm`: the `ord`-norm of x's elements as one vector
    (over `dim` if given), `x.norm(ord, dim, keepdim)` here."""
    return _as_tensor(x, "vector_norm").norm(ord, dim, keepdim, dtype=dtype)


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"module 'autograd.linalg' has no attribute {name!r}; glassgrad has solve, matrix_exp "
        f"and vector_norm (torch.linalg.norm of a vector, or the Frobenius norm, is "
        f"x.norm()); for the decompositions (inv, eigh, svd, det, ...) use np.linalg on "
        f"t.data (numbers, no gradient)")
