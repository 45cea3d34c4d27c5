"""PyTorch's matrix norms and what is built on them, in `autograd.linalg`: `norm`,
`matrix_norm` (ord 'fro', 'nuc', 1, -1, 2, -2, inf, -inf), `cond`, and `matrix_rank` (an
integer count, no gradient). The norms are compositions: 'fro' the vector 2-norm of the
entries, 1 and inf the largest column and row sums of |A| (amax: an exact tie shares the
gradient), 'nuc' the sum of the singular values and ±2 the largest or smallest (`svdvals`,
whose gradient U diag(g) Vᵀ exists everywhere), so their gradients are those ops'.

>>> from autograd import Tensor
>>> A = Tensor([[1.0, -2.0], [3.0, 4.0]])
>>> [round(matrix_norm(A, ord).item(), 4) for ord in ("fro", 1, float("inf"))]
[5.4772, 6.0, 7.0]
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .linalg import _factorable, _raises, _square, inv, svdvals, vector_norm
from .pytorch_names import numpy_dtype
from .tensor import Tensor, _as_tensor

MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _ord_name(ord: Any) -> str:
    return {math.inf: "inf", -math.inf: "-inf"}.get(ord, repr(ord))


def _matrix_ord(name: str, ord: Any) -> Any:
    """`ord` as one of MATRIX_ORDS (2.0 as 2), or refused."""
    if isinstance(ord, str):
        if ord in ("fro", "nuc"):
            return ord
    elif isinstance(ord, numbers.Real) and not isinstance(ord, bool) and ord in MATRIX_ORDS:
        return ord if math.isinf(ord) else int(ord)
    raise ValueError(f"{name}: ord={ord!r} is not a matrix norm; ord is 'fro', 'nuc', 1, -1, "
                     f"2, -2, inf or -inf")


def _two_axes(name: str, A: Tensor, dim: Any) -> tuple:
    """The two distinct axes `dim` names, each >= 0."""
    if (not isinstance(dim, (tuple, list)) or len(dim) != 2
            or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool)
                       for d in dim)):
        raise ValueError(f"{name}: dim must be a pair of ints (the matrices' two axes, "
                         f"(-2, -1) by default), got {dim!r}")
    axes = []
    for d in dim:
        if not -A.ndim <= d < A.ndim:
            raise ValueError(f"{name}: dim {tuple(dim)} is out of range for A of shape "
                             f"{A.shape} ({A.ndim} dims)")
        axes.append(int(d) % A.ndim)
    if axes[0] == axes[1]:
        raise ValueError(f"{name}: dim {tuple(dim)} names one axis twice; a matrix norm needs "
                         f"two different axes")
    return tuple(axes)


def _floating(name: str, A: Any, dtype: Any) -> Tensor:
    A = _as_tensor(A, name)
    if dtype is not None:
        dtype = numpy_dtype(name, dtype)
        if dtype.kind != "f":
            raise TypeError(f"{name}: dtype must be a floating dtype, got {dtype}")
        A = A.astype(dtype)
    if A.data.dtype.kind != "f":
        raise TypeError(f"{name}: A must be floating point, got dtype {A.data.dtype} "
                        f"(t.double() or t.float(), or dtype=)")
    return A


def matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """The matrix norm of A (its axes `dim`), or of each matrix in a batch: PyTorch's
    `torch.linalg.matrix_norm`. ord 'fro' (√Σ a², the default), 'nuc' (Σ s_i), 2 and -2 (the
    largest and smallest singular value), 1 and -1 (the largest and smallest Σ_i |a_ij| of a
    column), inf and -inf (of a row). keepdim=True keeps the two axes with length 1.
    Differentiable, as the ops it is made of: the singular values' gradient U diag(g) Vᵀ for
    'nuc' and ±2 (at a repeated top singular value, that of the vectors LAPACK gave; an exact
    tie shares it, as PyTorch's amax), |a|'s (0 at a = 0) and amax's for 1 and inf.

    >>> matrix_norm(Tensor([[3.0, 0.0], [0.0, -4.0]]), "nuc").item()
    7.0
    """
    A = _floating("matrix_norm", A, dtype)
    if A.ndim < 2:
        raise ValueError(f"matrix_norm: A must have at least 2 dims (a matrix, or a batch of "
                         f"them), got shape {A.shape}; a vector's norm is vector_norm")
    ord = _matrix_ord("matrix_norm", ord)
    rows, cols = _two_axes("matrix_norm", A, dim)
    kept = tuple(1 if i in (rows, cols) else n for i, n in enumerate(A.shape))
    if ord == "fro":
        return A.norm(2, dim=(rows, cols), keepdim=keepdim)
    if ord in ("nuc", 2, -2):
        A = _factorable("matrix_norm", A, square=False)
        others = [i for i in range(A.ndim) if i not in (rows, cols)]
        s = svdvals(A.permute(*others, rows, cols))
        if ord == "nuc":
            out = s.sum(-1)
        else:
            out = _extreme(s, -1, largest=ord == 2, what=f"ord={ord}", shape=A.shape)
    else:                       # 1: over each column (down the rows), inf: along each row
        across, then = (rows, cols) if abs(ord) == 1 else (cols, rows)
        sums = A.abs().sum(dim=across, keepdim=True)
        out = _extreme(sums, then, largest=ord > 0, what=f"ord={_ord_name(ord)}",
                       shape=A.shape, keepdim=True)
    return out.reshape(kept) if keepdim else out.reshape(
        tuple(n for i, n in enumerate(A.shape) if i not in (rows, cols)))


def _extreme(x: Tensor, axis: int, largest: bool, what: str, shape: tuple,
             keepdim: bool = False) -> Tensor:
    """The largest (smallest) along `axis`: amax, so that an exact tie shares the gradient.
    Of no numbers: 0 for the largest (a norm is >= 0, as PyTorch gives), refused for the
    smallest."""
    if x.shape[axis] == 0:
        if largest:
            return Tensor(np.zeros(tuple(1 if i == axis % x.ndim else n
                                         for i, n in enumerate(x.shape)) if keepdim
                                   else x.shape[:axis % x.ndim] + x.shape[axis % x.ndim + 1:],
                                   dtype=x.data.dtype))
        raise ValueError(f"matrix_norm: {what} of A of shape {shape} is the smallest of no "
                         f"numbers (the matrices are empty), which is not defined")
    return x.amax(dim=axis, keepdim=keepdim) if largest else x.amin(dim=axis, keepdim=keepdim)


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """PyTorch's `torch.linalg.norm`: a vector norm (`vector_norm`) or a matrix norm
    (`matrix_norm`), chosen as PyTorch does: dim an int (or one axis) -> a vector norm over
    it; dim a pair -> a matrix norm over those axes; dim None -> with ord None, the 2-norm of
    all the entries, else a vector norm of a 1-d A or a matrix norm of a 2-d A. ord None
    means 2 for a vector and 'fro' for a matrix.

    >>> A = Tensor([[1.0, -2.0], [3.0, 4.0]])
    >>> round(norm(A).item(), 4), norm(A, 1).item(), norm(A, 1, dim=1).tolist()
    (5.4772, 6.0, [3.0, 7.0])
    """
    A = _as_tensor(A, "norm")
    if isinstance(dim, numbers.Integral) and not isinstance(dim, bool):
        dim = (dim,)
    if dim is None and ord is not None:
        if A.ndim not in (1, 2):
            raise ValueError(f"norm: with ord={ord!r} and no dim, A must be 1-d (a vector "
                             f"norm) or 2-d (a matrix norm), got shape {A.shape}; name the "
                             f"axes with dim=")
        dim = tuple(range(A.ndim))
    if dim is not None and (not isinstance(dim, (tuple, list)) or len(dim) not in (1, 2)):
        raise ValueError(f"norm: dim must be an int (a vector norm) or a pair of ints (a matrix "
                         f"norm), got {dim!r}")
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        over = "all the entries" if dim is None else f"dim {dim[0]}"
        raise ValueError(f"norm: ord={ord!r} is a matrix norm, which needs two axes: "
                         f"dim=(-2, -1), or a 2-d A; over {over} it is a vector norm (ord a "
                         f"number)")
    return vector_norm(A, 2 if ord is None else ord, None if dim is None else dim[0], keepdim,
                       dtype=dtype)


def cond(A: Any, p: Any = None) -> Tensor:
    """The condition number of a matrix, or of each in a batch: PyTorch's `torch.linalg.cond`.
    p None or 2: s_max / s_min of any (..., m, n) (for m ≠ n: of the pseudo-inverse); -2:
    s_min / s_max; 'fro', 'nuc', 1, -1, inf, -inf: ‖A‖_p ‖A⁻¹‖_p of a square A, inf where A is
    singular (as PyTorch's; that entry's gradient is 0). Differentiable as the norms and
    `inv` are; at a singular A, s_max / s_min is inf and its gradient inf or NaN.

    >>> cond(Tensor([[2.0, 0.0], [0.0, 0.5]])).item()
    4.0
    >>> cond(Tensor([[1.0, 2.0], [2.0, 4.0]]), 1).item()        # singular
    inf
    """
    if p is not None:
        p = _matrix_ord("cond", p) if p in MATRIX_ORDS else p
    if p not in (None,) + MATRIX_ORDS:
        raise ValueError(f"cond: p={p!r} is not supported; p is None (2), 'fro', 'nuc', 1, "
                         f"-1, 2, -2, inf or -inf")
    A = _factorable("cond", A, square=False)
    if p not in (None, 2, -2) and A.shape[-1] != A.shape[-2]:
        _square(f"cond (p={_ord_name(p)})", "A", A)
    if A.data.size == 0:                    # as PyTorch: 0 for empty matrices
        return Tensor(np.zeros(A.shape[:-2], dtype=A.data.dtype))
    if p in (None, 2, -2):
        s = svdvals(A)
        largest, smallest = s[..., 0], s[..., -1]
        with np.errstate(divide="ignore", invalid="ignore"):    # a singular A: inf, as PyTorch
            return smallest / largest if p == -2 else largest / smallest
    singular = np.zeros(A.shape[:-2], dtype=bool)
    try:
        np.linalg.inv(A.data)
    except np.linalg.LinAlgError:
        works = _raises(np.linalg.inv)
        singular = np.array([not works(A.data[i]) for i in np.ndindex(A.shape[:-2])],
                            dtype=bool).reshape(A.shape[:-2])
    if singular.any():                      # computed at I instead, then set to inf
        A = A.where(~singular[..., None, None], np.eye(A.shape[-1], dtype=A.data.dtype))
    out = matrix_norm(A, p) * matrix_norm(inv(A), p)
    return out.where(~singular, math.inf) if singular.any() else out


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, atol: Any = None,
                rtol: Any = None) -> Tensor:
    """The rank of a matrix, or of each in a batch (..., m, n) -> (...), an int64 Tensor (a
    count: no gradient): PyTorch's `torch.linalg.matrix_rank`, the number of singular values
    above max(atol, rtol · s_max). rtol defaults to max(m, n) · eps of the dtype when atol is
    not given (or is 0), else to 0; `tol` (PyTorch's old argument) is atol with rtol 0. atol
    and rtol are numbers or tensors that broadcast to the batch shape. hermitian=True takes
    A as symmetric (its lower triangle is read) and uses |eigenvalues| instead.

    >>> matrix_rank(Tensor([[1.0, 2.0], [2.0, 4.0]])).item()
    1
    """
    if tol is not None:
        if atol is not None or rtol is not None:
            raise ValueError("matrix_rank: tol (PyTorch's old argument, atol with rtol 0) "
                             "cannot be given with atol or rtol")
        atol, rtol = tol, 0.0
    A = _factorable("matrix_rank", A, square=bool(hermitian))
    m, n = A.shape[-2:]
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(A.data))
    else:
        s = np.linalg.svd(A.data, compute_uv=False)
    tolerances = []
    for what, value in (("atol", atol), ("rtol", rtol)):
        if value is None:
            tolerances.append(None)
            continue
        value = np.asarray(value.data if isinstance(value, Tensor) else value)
        if value.dtype.kind not in "biuf" or not (value >= 0).all():
            raise ValueError(f"matrix_rank: {what} must be >= 0 (a number or a tensor), got "
                             f"{value.tolist()!r}")
        try:
            tolerances.append(np.broadcast_to(value, A.shape[:-2]).astype(s.dtype))
        except ValueError:
            raise ValueError(f"matrix_rank: {what} of shape {value.shape} does not broadcast to "
                             f"A's batch shape {A.shape[:-2]} (A is {A.shape})") from None
    atol, rtol = tolerances
    if rtol is None:                        # (an atol > 0 sets it to 0, matrix by matrix)
        default = max(m, n) * np.finfo(s.dtype).eps
        rtol = default if atol is None else np.where(atol > 0, 0.0, default)
    largest = s.max(-1, initial=0.0)
    cutoff = np.maximum(0.0 if atol is None else atol, rtol * largest)
    return Tensor(np.count_nonzero(s > np.asarray(cutoff)[..., None], axis=-1).astype(np.int64)
                  .reshape(A.shape[:-2]))
