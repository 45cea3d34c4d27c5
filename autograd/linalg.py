"""PyTorch's `torch.linalg`, the part glassgrad has, differentiable (the ops are in
autograd/ops/linalg.py): `solve` (the solution of A X = B), `matrix_exp`, `inv`, `det`, `slogdet`,
`cholesky`, `eigh` and `eigvalsh`, each of a square matrix or a batch of them (..., n, n); `svd`,
`svdvals`, `pinv` and `lstsq`, of any matrix (..., m, n); `solve_triangular` and `cholesky_solve`;
all float32 or float64; `qr` (autograd/linalg_qr.py); the norms `vector_norm` (Tensor.norm),
`matrix_norm` and `norm`, `cond` and `matrix_rank` (autograd/linalg_norms.py); `matrix_power`,
`multi_dot` and `cross` (autograd/linalg_products.py); `lu` (autograd/linalg_lu.py). PyTorch's
Tensor methods t.inverse(), t.det(), t.logdet(), t.slogdet(), t.cholesky(), t.pinverse(),
B.cholesky_solve(L), t.qr() and t.matrix_power(n) call them. For the rest (eig, eigvals, ...)
there is np.linalg on t.data: numbers without a gradient.

>>> from autograd import Tensor, linalg
>>> A = Tensor([[2.0, 0.0], [1.0, 4.0]], requires_grad=True)
>>> x = linalg.solve(A, Tensor([2.0, 9.0]))          # 2 x0 = 2, x0 + 4 x1 = 9
>>> x.tolist()
[1.0, 2.0]
>>> x.sum().backward()                               # dL/dA = -(A⁻ᵀ 1) xᵀ
>>> A.grad.tolist()
[[-0.375, -0.75], [-0.25, -0.5]]

A Gaussian's negative log-likelihood, ½ yᵀK⁻¹y + ½ log det K (+ a constant), by the Cholesky
factor (log det K = 2 Σ log L_ii): its gradient in K is ½ (K⁻¹ − K⁻¹y yᵀK⁻¹).

>>> import numpy as np
>>> K = Tensor([[2.0, 0.5], [0.5, 1.0]], dtype=np.float64, requires_grad=True)
>>> y = Tensor([1.0, -1.0], dtype=np.float64)
>>> nll = 0.5 * (y * linalg.solve(K, y)).sum() + linalg.cholesky(K).diagonal().log().sum()
>>> nll.backward()
>>> K_inv = np.linalg.inv(K.data); a = K_inv @ y.data
>>> np.allclose(K.grad, 0.5 * (K_inv - np.outer(a, a)))
True

docs/linalg.md says what each gradient is where it does not exist, and where glassgrad and
PyTorch differ.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from .graph import apply
from .linalg_errors import LinAlgError
from .ops import (Cholesky, Det, Eigh, Inv, MatrixExp, Pinv, Slogdet, Solve, SolveTriangular,
                  Svd)
from .tensor import Tensor, _as_tensor, _promote

__all__ = ["solve", "matrix_exp", "inv", "det", "slogdet", "cholesky", "cholesky_ex", "eigh",
           "eigvalsh",
           "svd", "svdvals", "solve_triangular", "cholesky_solve", "pinv", "lstsq",
           "vector_norm", "qr", "norm", "matrix_norm", "cond", "matrix_rank", "matrix_power",
           "multi_dot", "cross", "lu", "vecdot", "diagonal", "matmul", "inv_ex", "solve_ex"]


def _square(name: str, what: str, a: Tensor) -> None:
    """Refuse what is not a (batch of) square float matrices."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        shape = a.shape
        # (b, d, b, d): jacobian(flow, x) of a batch x, each sample's (d, d) block on its
        # diagonal; a flow's log-det check wants the per-sample blocks
        hint = ("; this looks like the jacobian of a batch x of shape (b, d): take each "
                "sample's, jacobian(lambda v: f(v[None])[0], x[i]), or, when the samples do "
                "not mix, the diagonal blocks J.diagonal(dim1=0, dim2=2).permute(2, 0, 1), "
                "of shape (b, d, d)"
                if len(shape) == 4 and shape[:2] == shape[2:] else "")
        raise ValueError(f"{name}: {what} must be a square matrix or a batch of them "
                         f"(..., n, n), got shape {shape}{hint}")
    if a.data.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be floating point, got dtype {a.data.dtype} "
                        f"(t.double() or t.float())")


def _factorable(name: str, A: Any, square: bool = True) -> Tensor:
    """A as a Tensor, refused unless it is a (batch of) square float32/float64 matrices of
    finite numbers (LAPACK's routines, under np.linalg, take no other dtype, and a NaN makes
    them fail with a misleading reason, or not at all); square=False: any (..., m, n)."""
    A = _as_tensor(A, name)
    if square:
        _square(name, "A", A)
    elif A.ndim < 2:
        raise ValueError(f"{name}: A must be a matrix or a batch of them (..., m, n), got "
                         f"shape {A.shape}")
    elif A.data.dtype.kind != "f":
        raise TypeError(f"{name}: A must be floating point, got dtype {A.data.dtype} "
                        f"(t.double() or t.float())")
    if A.data.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name}: A must be float32 or float64 (np.linalg has no "
                        f"{A.data.dtype}), got dtype {A.data.dtype} (t.float() or t.double())")
    if not np.isfinite(A.data).all():
        raise ValueError(f"{name}: A holds NaN or inf")
    return A


def _check_batches_broadcast(name: str, A: Tensor, B: Tensor) -> None:
    """A (..., n, n) and B (..., n, k): their batch axes must broadcast together."""
    try:
        np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise ValueError(f"{name}: the batch shapes of A {A.shape} and B {B.shape} cannot be "
                         f"broadcast together") from None


def _first_failure(a: np.ndarray, works: Callable[[np.ndarray], bool]) -> tuple:
    """The batch index of the first matrix of `a` (..., n, n) for which `works` is False, and
    ' at batch index [i, j]' to say so in a message ('' for a single matrix)."""
    for index in np.ndindex(a.shape[:-2]):
        if not works(a[index]):
            break
    else:                                   # (each alone works: name none)
        return (), ""
    return index, (f" at batch index {list(index)}" if index else "")


def _raises(function: Callable) -> Callable[[np.ndarray], bool]:
    def works(m: np.ndarray) -> bool:
        try:
            function(m)
        except np.linalg.LinAlgError:
            return False
        return True
    return works


def inv(A: Any) -> Tensor:
    """A⁻¹ of a square matrix, or of each in a batch (..., n, n): PyTorch's
    `torch.linalg.inv` and `t.inverse()`. Differentiable to any order (dL/dA = −A⁻ᵀ G A⁻ᵀ).
    A singular matrix is refused, naming its batch index. To apply A⁻¹ to B, solve(A, B) is
    more accurate (and cheaper) than inv(A) @ B.

    >>> inv(Tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    A = _factorable("inv", A)
    try:
        return apply(Inv, (A,))
    except np.linalg.LinAlgError:
        _, where = _first_failure(A.data, _raises(np.linalg.inv))
        raise LinAlgError(f"inv: A (shape {A.shape}) is singular{where}: it has no "
                                    f"inverse") from None


def det(A: Any) -> Tensor:
    """The determinant of a square matrix, or of each in a batch (..., n, n) -> (...):
    PyTorch's `torch.linalg.det` and `t.det()`. The gradient is g det(A) A⁻ᵀ, the cofactor
    matrix times g; a singular A has one too, computed from its singular values (PyTorch's
    is 0 at [[1, 2], [2, 4]], where it is [[4, -2], [-2, 1]]). A gradient to differentiate
    again (create_graph=True) needs an invertible A: at a singular one it is refused. For a
    large matrix whose determinant would overflow or underflow, use slogdet.

    >>> A = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> d = det(A)
    >>> round(d.item(), 5)
    -2.0
    >>> d.backward()
    >>> A.grad.round(5).tolist()            # the cofactors: [[4, -3], [-2, 1]] (float32)
    [[4.0, -3.0], [-2.0, 1.0]]
    """
    return apply(Det, (_factorable("det", A),))


class SlogdetResult(NamedTuple):
    """What `slogdet` gives, as PyTorch's: `sign, logabsdet = slogdet(A)`.

    >>> result = slogdet(Tensor([[2.0, 0.0], [0.0, -1.0]]))          # det = -2
    >>> result.sign.item(), round(result.logabsdet.item(), 6)        # ln 2
    (-1.0, 0.693147)
    """
    sign: Tensor
    logabsdet: Tensor


def slogdet(A: Any) -> SlogdetResult:
    """(sign, log|det A|) of a square matrix, or of each in a batch (..., n, n), each of shape
    (...): PyTorch's `torch.linalg.slogdet` and `t.slogdet()`; det A = sign · exp(logabsdet),
    without the overflow or underflow of det itself. The gradient flows through logabsdet
    (g A⁻ᵀ; to any order); the sign (1, -1, or 0 for a singular A) is a constant. At a
    singular A, logabsdet is -inf and its gradient does not exist: backward refuses it.

    >>> sign, logabsdet = slogdet(Tensor([[0.0, 3.0], [1.0, 0.0]]))   # det = -3
    >>> sign.item(), round(logabsdet.item(), 6)                        # ln 3
    (-1.0, 1.098612)
    """
    packed = apply(Slogdet, (_factorable("slogdet", A),))     # (..., 2): sign, log|det|
    return SlogdetResult(packed[..., 0].detach(), packed[..., 1])


def _logdet(A: Any) -> Tensor:
    """PyTorch's `torch.logdet` and `t.logdet()` (torch.linalg has none): log det A, NaN where
    det A < 0 and -inf where it is 0; the gradient is slogdet's."""
    sign, logabsdet = slogdet(A)
    return logabsdet.where(sign.data >= 0, float("nan"))


def cholesky(A: Any, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of a symmetric positive definite matrix, or of each in a batch
    (..., n, n): L lower triangular, with positive diagonal, and L Lᵀ = A. PyTorch's
    `torch.linalg.cholesky` (and `t.cholesky()`); upper=True gives U = Lᵀ, Uᵀ U = A.
    Only the lower triangle of A is read (the upper one with upper=True), as PyTorch's; the
    gradient takes A as symmetric, so it is symmetric (as PyTorch's). A matrix that is not
    positive definite is refused, naming its batch index. Differentiable to any order.

    >>> L = cholesky(Tensor([[4.0, 2.0], [2.0, 5.0]]))
    >>> L.tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    A = _factorable("cholesky", A)
    try:                                    # Uᵀ U = A from A's upper triangle: Aᵀ's lower
        return apply(Cholesky, (A.mT,)).mT if upper else apply(Cholesky, (A,))
    except np.linalg.LinAlgError:
        read = A.data.swapaxes(-1, -2) if upper else A.data
        index, where = _first_failure(read, _raises(np.linalg.cholesky))
        order = _failing_order(read[index])
        raise LinAlgError(
            f"cholesky: A (shape {A.shape}) is not positive definite{where}: its leading "
            f"{order} × {order} minor is not (A must be symmetric positive definite; only its "
            f"{'upper' if upper else 'lower'} triangle is read){_jitter_hint(read[index])}"
        ) from None


def _jitter_hint(m: np.ndarray) -> str:
    """What to do about a matrix that cholesky refused, from its eigenvalues: one that is
    positive semidefinite to rounding (a kernel matrix of close inputs, a covariance of more
    variables than samples) takes jitter on its diagonal; one with a clearly negative
    eigenvalue is not a covariance at all, and jitter would hide that."""
    eigenvalues = np.linalg.eigvalsh(m.astype(np.float64))      # reads the lower triangle
    low, high = eigenvalues[0], max(abs(eigenvalues[-1]), np.finfo(m.dtype).tiny)
    rounding = m.shape[-1] * np.finfo(m.dtype).eps * high       # a factorization's error
    if low >= -10 * rounding:
        return (f". Its smallest eigenvalue is {low:.3g} (largest {high:.3g}): positive "
                f"semidefinite to rounding in {m.dtype}, as a kernel matrix of close inputs "
                f"is. Add jitter to the diagonal, A + eps * I with eps about "
                f"{max(10 * abs(low), 100 * high * np.finfo(m.dtype).eps):.0e} (growing it "
                f"tenfold until the factor exists); "
                f"cholesky_ex(A) gives `info` instead of raising, for that loop")
    return (f". Its smallest eigenvalue is {low:.3g} (largest {high:.3g}): not a covariance "
            f"matrix (check how A is built: symmetric, the noise variance added, positive)")


class CholeskyExResult(NamedTuple):
    """What `cholesky_ex` gives, as PyTorch's: `L, info = cholesky_ex(A)`."""
    L: Tensor
    info: Tensor


def cholesky_ex(A: Any, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """PyTorch's `torch.linalg.cholesky_ex`: `cholesky`'s factor L and, instead of an error, an
    int32 `info` per matrix (shape A.shape[:-2]): 0 where A is positive definite, else the
    order k of its first leading k × k minor that is not (check_errors=True raises as
    `cholesky` does). Where info > 0, L is NaN (PyTorch's holds a partial factor: read
    neither) and passes no gradient; elsewhere it is `cholesky`'s, differentiable. The loop
    that adds jitter until the factor exists:

    >>> K = Tensor([[1.0, 1.0], [1.0, 1.0]], dtype="float64")       # singular
    >>> L, info = cholesky_ex(K)
    >>> info.item()
    2
    >>> L, info = cholesky_ex(K + 1e-6 * Tensor(np.eye(2)))
    >>> info.item(), round(L[1, 1].item(), 6)
    (0, 0.001414)
    """
    A = _factorable("cholesky_ex", A)
    if check_errors:
        info = Tensor(np.zeros(A.shape[:-2], np.int32))
        return CholeskyExResult(cholesky(A, upper=upper), info)
    read = A.data.swapaxes(-1, -2) if upper else A.data
    info = np.zeros(A.shape[:-2], np.int32)
    try:
        np.linalg.cholesky(read)
    except np.linalg.LinAlgError:           # which matrices, and the order of their first minor
        for index in np.ndindex(info.shape):
            info[index] = _failing_order(read[index])
    if not info.any():
        return CholeskyExResult(cholesky(A, upper=upper), Tensor(info))
    failed = (info > 0)[..., None, None]    # the identity in their place, NaN in the result
    eye = np.eye(A.shape[-1], dtype=A.data.dtype)
    L = cholesky(A.where(~failed, Tensor(eye)), upper=upper)
    return CholeskyExResult(L.where(~failed, float("nan")), Tensor(info))


def _failing_order(m: np.ndarray) -> int:
    """0 if the matrix m (its lower triangle) is positive definite, else the order k of its
    first leading k × k minor that is not (bisection: a minor of a positive definite one is)."""
    works = _raises(np.linalg.cholesky)
    if works(m):
        return 0
    low, high = 0, m.shape[-1]              # the minor of order low works, of order high not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if works(m[:middle, :middle]) else (low, middle)
    return high


class EighResult(NamedTuple):
    """What `eigh` gives, as PyTorch's: `eigenvalues, eigenvectors = eigh(A)`.

    >>> eigh(Tensor([[2.0, 0.0], [0.0, 1.0]])).eigenvalues.tolist()
    [1.0, 2.0]
    """
    eigenvalues: Tensor
    eigenvectors: Tensor


def _uplo(name: str, UPLO: str) -> str:
    if UPLO not in ("L", "U"):
        raise ValueError(f"{name}: UPLO must be 'L' (read the lower triangle) or 'U' (the "
                         f"upper), got {UPLO!r}")
    return UPLO


def eigh(A: Any, UPLO: str = "L") -> EighResult:
    """The eigenvalues (ascending, shape (..., n)) and orthonormal eigenvectors (the columns,
    (..., n, n)) of a symmetric matrix, or of each in a batch: A = V diag(λ) Vᵀ. PyTorch's
    `torch.linalg.eigh`. Only the lower triangle is read (UPLO='U': the upper one); the
    gradient takes A as symmetric, so it is symmetric (as PyTorch's). An eigenvector's sign
    is arbitrary, so a loss should not depend on it (v vᵀ, (wᵀv)² do not). The eigenvectors'
    gradient grows as 1/(λ_j − λ_i) when two eigenvalues come close; the eigenvectors of an
    eigenvalue that is repeated (equal to rounding, n ε max|λ|) have no gradient, so backward
    refuses a loss that uses them (the eigenvalues' gradient, V diag(g) Vᵀ, always exists, and
    so does the other eigenvectors': PCA's top ones beside constant features' repeated 0).
    Differentiable to any order.

    >>> values, vectors = eigh(Tensor([[2.0, 1.0], [1.0, 2.0]]))
    >>> values.tolist()
    [1.0, 3.0]
    >>> np.abs(vectors.data * np.sqrt(2)).round(6).tolist()     # (±1, ±1) / √2 (float32)
    [[1.0, 1.0], [1.0, 1.0]]
    """
    A = _factorable("eigh", A)
    packed = apply(Eigh, (A,), _uplo("eigh", UPLO))    # (..., n + 1, n): λ, then V
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


def eigvalsh(A: Any, UPLO: str = "L") -> Tensor:
    """The eigenvalues of a symmetric matrix, or of each in a batch (..., n, n), ascending:
    PyTorch's `torch.linalg.eigvalsh`; the gradient is V diag(g) Vᵀ (the eigenvectors are
    computed for it). Only the lower triangle is read (UPLO='U': the upper one).

    >>> eigvalsh(Tensor([[2.0, 1.0], [1.0, 2.0]])).tolist()
    [1.0, 3.0]
    """
    A = _factorable("eigvalsh", A)
    return apply(Eigh, (A,), _uplo("eigvalsh", UPLO))[..., 0, :]


class SvdResult(NamedTuple):
    """What `svd` gives, as PyTorch's: `U, S, Vh = svd(A)`.

    >>> svd(Tensor([[0.0, 2.0], [1.0, 0.0]])).S.tolist()
    [2.0, 1.0]
    """
    U: Tensor
    S: Tensor
    Vh: Tensor


def svd(A: Any, full_matrices: bool = True) -> SvdResult:
    """The singular value decomposition A = U diag(S) Vh of a matrix, or of each in a batch
    (..., m, n): PyTorch's `torch.linalg.svd`. S (..., k), k = min(m, n), is descending and
    ≥ 0; U (..., m, k) and Vh (..., k, n) have orthonormal columns and rows (full_matrices=True,
    the default as in PyTorch: U is m × m and Vh n × n, completed by any orthonormal basis).
    A pair of singular vectors is defined up to a common sign (u, v or −u, −v: LAPACK's
    choice, numpy's and PyTorch's may differ), so a loss should not depend on it (u vᵀ,
    (wᵀu)² do not). The gradient (to any order) is that of the reduced SVD: the columns that
    full_matrices=True adds have none, and backward refuses a loss that uses them. The
    singular vectors of a singular value that is repeated exactly (or, for m ≠ n, the
    singular vector on the longer side of a singular value 0) are not defined, and neither is
    their gradient: backward refuses a loss that uses them, naming the batch index and the
    value; S alone (svdvals) always has a gradient, U diag(g) Vh. Close singular values give
    large gradients of the vectors (1/(s_j² − s_i²)).

    >>> U, S, Vh = svd(Tensor([[3.0, 0.0], [0.0, -2.0], [0.0, 0.0]]), full_matrices=False)
    >>> S.tolist(), U.shape, Vh.shape
    ([3.0, 2.0], (3, 2), (2, 2))
    >>> np.allclose((U * S) @ Vh, [[3.0, 0.0], [0.0, -2.0], [0.0, 0.0]])
    True
    """
    A = _factorable("svd", A, square=False)
    m, n = A.shape[-2:]
    k = min(m, n)
    full = bool(full_matrices)
    packed = apply(Svd, (A,), full)     # (..., m + 1 + n, p): U, then S, then V
    return SvdResult(packed[..., :m, :m if full else k], packed[..., m, :k],
                     packed[..., m + 1:, :n if full else k].mT)


def svdvals(A: Any) -> Tensor:
    """The singular values of a matrix, or of each in a batch (..., m, n) -> (..., min(m, n)),
    descending: PyTorch's `torch.linalg.svdvals`. The gradient, U diag(g) Vh, exists
    everywhere (also at repeated or zero singular values; the vectors are computed for it).

    >>> svdvals(Tensor([[0.0, 2.0], [1.0, 0.0]])).tolist()
    [2.0, 1.0]
    """
    A = _factorable("svdvals", A, square=False)
    m, n = A.shape[-2:]
    return apply(Svd, (A,), False)[..., m, :min(m, n)]


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
    Differentiable in A and B (to any order). A singular A is refused, naming its batch index,
    as are NaN and inf in A (LAPACK would give a finite answer for an inf).

    >>> solve(Tensor([[1.0, 1.0], [1.0, -1.0]]), Tensor([3.0, 1.0])).tolist()    # x+y = 3, x-y = 1
    [2.0, 1.0]
    """
    A, B = _as_tensor(A, "solve"), _as_tensor(B, "solve")
    if A.data.dtype != B.data.dtype:
        A, B = _promote(A, B)
    A = _factorable("solve", A)
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
    _check_batches_broadcast("solve", A, B)
    try:
        X = apply(Solve, (A, B))
    except np.linalg.LinAlgError:
        _, where = _first_failure(A.data, _raises(np.linalg.inv))
        raise LinAlgError(f"solve: A (shape {A.shape}) is singular{where}: A X = B "
                                    f"has no unique solution") from None
    return X.squeeze(-1) if vectors else X


def solve_triangular(A: Any, B: Any, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B for a triangular A (..., n, n) and B (..., n, k), batch axes broadcast:
    PyTorch's `torch.linalg.solve_triangular`. Only A's upper triangle (upper=True) or lower
    one is read, and with unitriangular=True not its diagonal either (taken as ones); the
    gradient in A is on the entries read (the others are 0). left=False solves X A = B, B
    (..., k, n). A 0 on the diagonal is refused, naming its batch index. Differentiable in A
    and B, to any order.

    >>> L = Tensor([[2.0, 0.0], [1.0, 4.0]])
    >>> solve_triangular(L, Tensor([[2.0], [9.0]]), upper=False).tolist()
    [[1.0], [2.0]]
    """
    return _solve_triangular("solve_triangular", A, B, upper, left, unitriangular)


def _solve_triangular(name: str, A: Any, B: Any, upper: bool, left: bool,
                      unitriangular: bool) -> Tensor:
    A, B = _as_tensor(A, name), _as_tensor(B, name)
    if A.data.dtype != B.data.dtype:
        A, B = _promote(A, B)
    A = _factorable(name, A)
    if B.data.dtype.kind != "f":
        raise TypeError(f"{name}: B must be floating point, got dtype {B.data.dtype}")
    n = A.shape[-1]
    side = -2 if left else -1
    if B.ndim < 2 or B.shape[side] != n:
        want = f"(..., {n}, k)" if left else f"(..., k, {n})"
        raise ValueError(f"{name}: A of shape {A.shape} needs B of shape {want}"
                         f"{' (left=False)' if not left else ''}, got {B.shape} (a vector b "
                         f"is b.unsqueeze(-1))")
    _check_batches_broadcast(name, A, B)
    if not unitriangular:
        zero = np.diagonal(A.data, 0, -2, -1) == 0
        if zero.any():
            index, row = np.argwhere(zero.reshape((-1, n)))[0]
            where = (f" at batch index {[int(i) for i in np.unravel_index(index, A.shape[:-2])]}"
                     if A.ndim > 2 else "")
            raise LinAlgError(
                f"{name}: A (shape {A.shape}) is singular{where}: its diagonal holds 0 in row "
                f"{row}, so the triangular system has no unique solution")
    if not left:                            # X A = B  <=>  Aᵀ Xᵀ = Bᵀ, Aᵀ the other triangle
        return apply(SolveTriangular, (A.mT, B.mT), (not upper, bool(unitriangular))).mT
    return apply(SolveTriangular, (A, B), (bool(upper), bool(unitriangular)))


def cholesky_solve(B: Any, L: Any, upper: bool = False) -> Tensor:
    """X with A X = B, given A's Cholesky factor L (A = L Lᵀ; upper=True: U with A = Uᵀ U):
    PyTorch's `torch.cholesky_solve(B, L)` and `B.cholesky_solve(L)`; two triangular solves,
    differentiable through them (to any order). Only L's lower triangle (upper=True: upper)
    is read, and its gradient is there; PyTorch's has numbers in the other triangle too, which
    moves nothing (they are not part of L).

    >>> L = cholesky(Tensor([[4.0, 2.0], [2.0, 5.0]]))
    >>> cholesky_solve(Tensor([[6.0], [7.0]]), L).tolist()          # A x = b: x = (1, 1)
    [[1.0], [1.0]]
    """
    L = _as_tensor(L, "cholesky_solve")
    if upper:                               # Uᵀ Y = B, then U X = Y
        first, second = L.mT if L.ndim >= 2 else L, L
    else:                                   # L Y = B, then Lᵀ X = Y
        first, second = L, L.mT if L.ndim >= 2 else L
    Y = _solve_triangular("cholesky_solve", first, B, False, True, False)
    return _solve_triangular("cholesky_solve", second, Y, True, True, False)


def pinv(A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """The (Moore-Penrose) pseudo-inverse A⁺ (..., n, m) of a matrix, or of each in a batch
    (..., m, n): PyTorch's `torch.linalg.pinv`, from the SVD, with the singular values at or
    below max(atol, rtol · s_max) taken as 0; rtol defaults, as PyTorch's, to max(m, n) · eps
    of the dtype when atol is not given, else to 0. `t.pinverse(rcond)` is pinv(t, rtol=rcond).
    The gradient (to any order) is the pseudo-inverse's where its rank does not change:
    −A⁺ᵀ G A⁺ᵀ + (I − A A⁺) Gᵀ A⁺ A⁺ᵀ + A⁺ᵀ A⁺ Gᵀ (I − A⁺ A), also at repeated singular values
    (unlike a gradient through svd's vectors). A⁺ jumps where a singular value crosses the
    cutoff: there is no gradient across that, and near it the gradient is large (1/s²).

    >>> pinv(Tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]]
    """
    A = _factorable("pinv", A, square=False)
    if hermitian:
        raise ValueError("pinv: hermitian=True is not supported (PyTorch's reads one triangle "
                         "and uses eigh); the default, from the SVD, serves a symmetric A too")
    if atol is None and rtol is None:
        rtol = max(A.shape[-2:]) * float(np.finfo(A.data.dtype).eps)
    tolerances = []
    for what, value in (("atol", atol), ("rtol", rtol)):
        if isinstance(value, Tensor):
            raise TypeError(f"pinv: {what} must be a number here, got a Tensor")
        value = 0.0 if value is None else float(value)
        if not value >= 0:
            raise ValueError(f"pinv: {what} must be >= 0, got {value}")
        tolerances.append(value)
    return apply(Pinv, (A,), tuple(tolerances))


class LstsqResult(NamedTuple):
    """What `lstsq` gives, PyTorch's fields (its default driver's: residuals and
    singular_values empty, rank computed): `X = lstsq(A, B).solution`.

    >>> result = lstsq(Tensor([[1.0], [1.0], [1.0]]), Tensor([[1.0], [2.0], [6.0]]))   # a constant
    >>> round(result.solution.item(), 5), result.rank.item()                     # the mean, 3
    (3.0, 1)
    """
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def lstsq(A: Any, B: Any, rcond: Any = None, *, driver: Any = None) -> LstsqResult:
    """The least-squares solution X of A X ≈ B, minimising ‖A X − B‖ (each column of B), for
    A (..., m, n) of full column rank (m ≥ n), B (..., m, k) or (m,): PyTorch's
    `torch.linalg.lstsq`, `.solution` differentiable in A and B (to any order). Computed as
    A⁺ B from the SVD (`pinv`), whose error grows with cond(A), not with cond(A)² as the
    normal equations' AᵀA X = AᵀB do. A rank-deficient A is refused (its smallest singular
    value at or below max(m, n) · eps · s_max), naming its batch index: there the
    minimum-norm solution is pinv(A) @ B, whose gradient does not exist across a change of
    rank. rcond and driver are PyTorch's LAPACK options: only None is taken.

    >>> A = Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> np.round(lstsq(A, Tensor([1.0, 2.0, 0.0])).solution.data, 6).tolist()
    [0.0, 1.0]
    """
    if rcond is not None or driver is not None:
        raise ValueError(f"lstsq: rcond and driver (LAPACK's options) are not taken here, got "
                         f"rcond={rcond!r}, driver={driver!r}: A must have full column rank")
    A, B = _as_tensor(A, "lstsq"), _as_tensor(B, "lstsq")
    if A.data.dtype != B.data.dtype:
        A, B = _promote(A, B)
    A = _factorable("lstsq", A, square=False)
    m, n = A.shape[-2:]
    if m < n:
        raise ValueError(f"lstsq: A of shape {A.shape} has fewer rows than columns, so not "
                         f"full column rank; the minimum-norm solution is pinv(A) @ B")
    vector = B.ndim == 1
    if vector:
        B = B.unsqueeze(-1)
    if B.ndim < 2 or B.shape[-2] != m:
        raise ValueError(f"lstsq: A of shape {A.shape} needs B of shape (..., {m}, k) or "
                         f"({m},), got {B.shape[:-1] if vector else B.shape}")
    _check_batches_broadcast("lstsq", A, B)
    s = np.linalg.svd(A.data, compute_uv=False)
    if n:
        tolerance = max(m, n) * np.finfo(A.data.dtype).eps * s[..., 0]
        deficient = s[..., -1] <= tolerance
        if deficient.any():
            index = tuple(np.argwhere(deficient.reshape(A.shape[:-2]))[0]) if A.ndim > 2 else ()
            where = f" at batch index {[int(i) for i in index]}" if index else ""
            raise LinAlgError(
                f"lstsq: A (shape {A.shape}) is rank-deficient{where}: its smallest singular "
                f"value {s[index][-1]:g} is at or below max(m, n) · eps · s_max = "
                f"{tolerance[index]:g}; the minimum-norm solution is pinv(A) @ B")
    X = apply(Pinv, (A,), (0.0, 0.0)) @ B
    empty = Tensor(np.zeros(0, dtype=A.data.dtype))
    return LstsqResult(X.squeeze(-1) if vector else X, empty,
                       Tensor(np.full(A.shape[:-2], n, dtype=np.int64)), empty)


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """PyTorch's `torch.linalg.vector_norm`: the `ord`-norm of x's elements as one vector
    (over `dim` if given), `x.norm(ord, dim, keepdim)` here.

    >>> vector_norm(Tensor([[3.0, 4.0], [6.0, 8.0]]), dim=1).tolist()
    [5.0, 10.0]
    >>> vector_norm(Tensor([3.0, -4.0]), ord=1).item()
    7.0
    """
    return _as_tensor(x, "vector_norm").norm(ord, dim, keepdim, dtype=dtype)


#: torch.linalg's functions of the LU factors, which np.linalg has no counterpart of either
_LU_FORMS = {"lu_factor": "lu(A) gives P, L, U instead of the packed factors and pivots",
             "lu_factor_ex": "lu(A) gives P, L, U instead of the packed factors and pivots",
             "lu_solve": "solve(A, B) solves A X = B (differentiable), without the factors"}


def __getattr__(name: str) -> Any:
    if name in _LU_FORMS:
        raise AttributeError(f"module 'autograd.linalg' has no attribute {name!r}: "
                             f"{_LU_FORMS[name]}")
    raise AttributeError(
        f"module 'autograd.linalg' has no attribute {name!r}; glassgrad has "
        f"{', '.join(__all__)}; for the others (eig, eigvals, ...) use np.linalg on "
        f"t.data (numbers, no gradient)")


# (last: these modules build on the functions above, imported from here)
from .linalg_norms import cond, matrix_norm, matrix_rank, norm  # noqa: E402
from .linalg_products import cross, diagonal, matrix_power, multi_dot, vecdot  # noqa: E402
from .tensor_functions import matmul  # noqa: E402,F401  (torch.linalg.matmul is torch.matmul)
from .linalg_lu import lu  # noqa: E402
from .linalg_ex import inv_ex, solve_ex  # noqa: E402
from .linalg_qr import qr  # noqa: E402
