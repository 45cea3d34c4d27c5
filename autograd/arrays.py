"""Building and combining tensors, as PyTorch's functions: meshgrid, cartesian_prod, tensordot,
cdist, pdist, take_along_dim, rot90, tril_indices, triu_indices and unravel_index. Each is made
of existing differentiable ops (reshape, expand, permute, matmul, norm, gather, flip, stack), so
each has its gradient already (the index functions give integers, without one).

>>> import autograd
>>> rows, columns = autograd.meshgrid(autograd.tensor([0, 1]), autograd.tensor([5, 6, 7]))
>>> rows.tolist(), columns.tolist()
([[0, 0, 0], [1, 1, 1]], [[5, 6, 7], [5, 6, 7]])
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

from .tensor import Tensor, _as_tensor, _axes, _integer_index, _one_int, stack, where


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Grids from 1-d tensors: the i-th output holds the i-th tensor along its own axis,
    repeated along the others. indexing="xy" swaps the first two axes (x along columns), as
    numpy's and PyTorch's."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])                   # meshgrid([x, y]) as meshgrid(x, y)
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = tuple(_as_tensor(t, "meshgrid") for t in tensors)
    if not tensors or any(t.ndim > 1 for t in tensors):
        raise ValueError(f"meshgrid: expects one or more 1-d tensors, got shapes "
                         f"{[t.shape for t in tensors]}")
    axes = list(range(len(tensors)))                  # the axis each tensor runs along
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0
    shape = [tensors[i].numel() for i in axes]       # (a swap is its own inverse)
    return tuple(t.reshape([-1 if a == axis else 1 for a in range(len(shape))]).expand(*shape)
                 for t, axis in zip(tensors, axes))


def cartesian_prod(*tensors: Any) -> Tensor:
    """PyTorch's `torch.cartesian_prod`: every combination of the elements of 1-d tensors, one
    a row, in itertools.product's order (a grid of coordinates as a list of points, which a
    SIREN or NeRF is fed); one tensor comes back as it is. Differentiable (meshgrid, stack).

    >>> cartesian_prod(Tensor([1, 2]), Tensor([3, 4, 5])).tolist()
    [[1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5]]
    """
    tensors = tuple(_as_tensor(t, "cartesian_prod") for t in tensors)
    if not tensors or any(t.ndim != 1 for t in tensors):
        raise ValueError(f"cartesian_prod: expects one or more 1-d tensors, got shapes "
                         f"{[t.shape for t in tensors]}")
    if len({t.dtype for t in tensors}) > 1:         # (PyTorch's rule: no promotion here)
        raise TypeError(f"cartesian_prod: the tensors must have one dtype, got "
                        f"{[str(t.dtype) for t in tensors]}; convert with .to(dtype)")
    if len(tensors) == 1:
        return tensors[0]
    return stack([grid.reshape(-1) for grid in meshgrid(*tensors)], dim=1)


def tensordot(a: Any, b: Any, dims: Any = 2) -> Tensor:
    """The sum of products over `dims` axes: the last `dims` of a with the first `dims` of b,
    or the axes two lists name ([a's], [b's]); the other axes of a, then of b, remain.

    >>> import autograd
    >>> tensordot(autograd.ones(2, 3, 4), autograd.ones(3, 4, 5)).shape
    (2, 5)
    """
    a, b = _as_tensor(a, "tensordot"), _as_tensor(b, "tensordot")
    if isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: dims={dims} must be from 0 to {min(a.ndim, b.ndim)} "
                             f"for shapes {a.shape} and {b.shape}")
        a_axes, b_axes = tuple(range(a.ndim - dims, a.ndim)), tuple(range(dims))
    else:
        try:
            a_dims, b_dims = dims
            a_axes = tuple(_axes(d, a.ndim, "tensordot", a.shape)[0] for d in _list(a_dims))
            b_axes = tuple(_axes(d, b.ndim, "tensordot", b.shape)[0] for d in _list(b_dims))
        except (TypeError, ValueError) as error:
            raise type(error)(f"tensordot: dims must be an int or two lists of axes, got "
                              f"{dims!r} for shapes {a.shape} and {b.shape} ({error})") from None
    contracted = [(a.shape[i], b.shape[j]) for i, j in zip(a_axes, b_axes)]
    if len(a_axes) != len(b_axes) or any(m != n for m, n in contracted):
        raise ValueError(f"tensordot: the axes {list(a_axes)} of shape {a.shape} and "
                         f"{list(b_axes)} of shape {b.shape} do not match in size")
    a_kept = [i for i in range(a.ndim) if i not in a_axes]
    b_kept = [j for j in range(b.ndim) if j not in b_axes]
    size = math.prod(a.shape[i] for i in a_axes)
    # as one matrix product: a's kept axes x the contracted ones, times those x b's kept ones
    left = a.permute(*a_kept, *a_axes).reshape(-1, size) if a.ndim else a.reshape(1, 1)
    right = b.permute(*b_axes, *b_kept).reshape(size, -1) if b.ndim else b.reshape(1, 1)
    return (left @ right).reshape([a.shape[i] for i in a_kept] + [b.shape[j] for j in b_kept])


def _list(dims: Any) -> list:
    """An int or a sequence of ints (a Tensor too) as a list."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    return [dims] if isinstance(dims, numbers.Integral) else list(dims)


COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                 "donot_use_mm_for_euclid_dist")


def cdist(x1: Any, x2: Any, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M),
    as a (..., P, R) tensor (batch axes broadcast). Differentiable, with slope 0 where two rows
    are equal, as PyTorch's. For p = 2 with more than 25 rows on a side, as PyTorch by default,
    from |a|² - 2 a·b + |b|² (a matrix product: a (P, R, M) array of differences would not fit
    for 10,000 MNIST digits), whose last digits differ from the differences' form.

    >>> import autograd
    >>> cdist(autograd.tensor([[0.0, 0.0]]), autograd.tensor([[3.0, 4.0], [0.0, 1.0]])).tolist()
    [[5.0, 1.0]]
    """
    x1, x2 = _as_tensor(x1, "cdist"), _as_tensor(x2, "cdist")
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: expects x1 (..., P, M) and x2 (..., R, M) with the same M, "
                         f"got shapes {x1.shape} and {x2.shape}")
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not p >= 0:
        raise ValueError(f"cdist: p must be a number >= 0, got {p!r}")
    if compute_mode not in COMPUTE_MODES:
        raise ValueError(f"cdist: compute_mode must be one of {', '.join(COMPUTE_MODES)}, got "
                         f"{compute_mode!r}")
    try:
        np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    except ValueError:
        raise ValueError(f"cdist: the batch axes of shapes {x1.shape} and {x2.shape} cannot be "
                         f"broadcast together") from None
    if p == 2 and compute_mode != COMPUTE_MODES[2] and (
            compute_mode == COMPUTE_MODES[1] or max(x1.shape[-2], x2.shape[-2]) > 25):
        squared = ((x1 * x1).sum(-1, keepdim=True) - 2 * (x1 @ x2.mT)
                   + (x2 * x2).sum(-1).unsqueeze(-2))
        apart = squared.data > 0            # (rounding can make it a little below 0)
        # the square root only where it is above 0: elsewhere 0, and slope 0, not 1/0
        return where(apart, where(apart, squared, 1.0).sqrt(), 0.0)
    differences = x1.unsqueeze(-2) - x2.unsqueeze(-3)          # (..., P, R, M)
    return differences.norm(p, dim=-1)


def pdist(input: Any, p: float = 2.0) -> Tensor:
    """PyTorch's `torch.pdist` (and `nn.functional.pdist`): the p-norm distance between each
    pair of rows i < j of input (N, M), as a vector of N (N - 1) / 2 in the order of
    `triu_indices(N, N, 1)`, the upper triangle of `cdist(input, input)` read row by row (a
    kernel's median heuristic: `pdist(X).median()`). From the differences, as PyTorch's;
    slope 0 where two rows are equal.

    >>> import autograd
    >>> x = autograd.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]], dtype=autograd.float64)
    >>> pdist(x).tolist()
    [5.0, 1.0, 4.242640687119285]
    """
    x = _as_tensor(input, "pdist")
    if x.ndim != 2:
        raise ValueError(f"pdist: expects input of shape (N, M), got {x.shape} (for batches, "
                         f"cdist(x, x) and its upper triangle)")
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not p >= 0:
        raise ValueError(f"pdist: p must be a number >= 0, got {p!r}")
    rows, columns = np.triu_indices(x.shape[0], 1)
    return (x[rows] - x[columns]).norm(p, dim=-1)


def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Tensor:
    """The elements `indices` names along `dim`, the two broadcast against each other along
    the other axes (`gather` with broadcasting); with dim=None, of the flattened tensor.

    >>> import autograd
    >>> x = autograd.tensor([[10, 30, 20], [60, 40, 50]])
    >>> x.take_along_dim(autograd.tensor([[0], [2]]), dim=1).tolist()
    [[10], [50]]
    """
    x = _as_tensor(input, "take_along_dim")
    index = _integer_index("take_along_dim", indices)
    if dim is None:
        return x.reshape(-1).gather(0, _wrapped(index, x.numel(), None, x.shape).reshape(-1))
    (axis,) = _axes(_one_int("take_along_dim", "dim", dim), max(x.ndim, 1), "take_along_dim",
                    x.shape)
    index = _wrapped(index, x.shape[axis] if x.ndim else 1, dim, x.shape)
    if index.ndim != x.ndim:
        raise ValueError(f"take_along_dim: the indices need as many dims as the tensor "
                         f"({x.ndim}, shape {x.shape}), got shape {index.shape}")
    try:
        shape = np.broadcast_shapes(*(tuple(1 if a == axis else n for a, n in enumerate(s))
                                      for s in (x.shape, index.shape)))
    except ValueError:
        raise ValueError(f"take_along_dim: the indices of shape {index.shape} do not broadcast "
                         f"with the tensor's shape {x.shape} outside dim {dim}") from None
    x_shape = tuple(x.shape[axis] if a == axis else n for a, n in enumerate(shape))
    index_shape = tuple(index.shape[axis] if a == axis else n for a, n in enumerate(shape))
    if x.shape != x_shape:
        x = x.expand(*x_shape)
    return x.gather(axis, np.broadcast_to(index, index_shape))


def _wrapped(index: np.ndarray, n: int, dim: Any, shape: tuple) -> np.ndarray:
    """take_along_dim's indices from -n to n - 1 as 0 to n - 1 (PyTorch's take negative ones
    from the end, where its gather refuses them)."""
    if index.size and (index.min() < -n or index.max() >= n):
        bad = index.min() if index.min() < -n else index.max()
        raise IndexError(f"take_along_dim: index {bad} is out of range for dim {dim} of length "
                         f"{n} (tensor of shape {shape})")
    return index % n if n else index


def rot90(input: Any, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """The tensor turned by k quarter turns in the plane of `dims`, from the first axis
    towards the second (k < 0 the other way), as PyTorch's.

    >>> import autograd
    >>> autograd.tensor([[1, 2], [3, 4]]).rot90().tolist()
    [[2, 4], [1, 3]]
    """
    x = _as_tensor(input, "rot90")
    k = _one_int("rot90", "k", k)
    if len(dims) != 2 or x.ndim < 2:
        raise ValueError(f"rot90: needs two dims of a tensor of at least 2 dims, got dims="
                         f"{dims!r} for shape {x.shape}")
    first, second = (_axes(d, x.ndim, "rot90", x.shape)[0] for d in dims)
    if first == second:
        raise ValueError(f"rot90: dims must be two different axes, got {dims!r}")
    turns = k % 4
    if turns == 0:
        return x.clone()
    if turns == 2:
        return x.flip(first, second)
    return x.flip(second if turns == 1 else first).swapaxes(first, second)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = np.int64) -> Tensor:
    """The (row, column) indices of the lower triangle of a row x col matrix (on and below the
    diagonal `offset` above the main one), a 2 x N tensor, row by row as PyTorch's.

    >>> tril_indices(3, 3).tolist()
    [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    """
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = np.int64) -> Tensor:
    """The (row, column) indices of the upper triangle (on and above the diagonal `offset`),
    a 2 x N tensor: see `tril_indices`.

    >>> triu_indices(2, 3, 1).tolist()
    [[0, 0, 1], [1, 2, 2]]
    """
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype)


def unravel_index(indices: Any, shape: Any) -> tuple[Tensor, ...]:
    """PyTorch's `torch.unravel_index`: flat indices into a tensor of `shape` as one int64
    tensor of coordinates per axis, each of the indices' shape (a heatmap's `topk` over its
    flattened pixels back to rows and columns, as `i // W` and `i % W`). Negative indices count
    from the end, as PyTorch's; an index outside -numel .. numel - 1 is an error (PyTorch's
    wraps it around silently). No gradient: the results are integers.

    >>> rows, cols = unravel_index(Tensor([5, 17, -1]), (4, 6))
    >>> rows.tolist(), cols.tolist()
    ([0, 2, 3], [5, 5, 5])
    """
    index = _as_tensor(indices, "unravel_index")
    if index.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: indices must be integers, got dtype {index.dtype} "
                        f"(shape {index.shape}); flat positions from topk or argmax are int64, "
                        f"or convert with .long()")
    sizes = (shape,) if isinstance(shape, numbers.Integral) else shape
    if not isinstance(sizes, (tuple, list)) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"unravel_index: shape must be an int or a sequence of ints, got "
                        f"{shape!r}")
    sizes = tuple(int(n) for n in sizes)
    if any(n < 0 for n in sizes):
        raise ValueError(f"unravel_index: shape cannot have negative sizes, got {sizes}")
    flat = index.data.astype(np.int64)
    total = math.prod(sizes)
    if flat.size and (flat.min() < -total or flat.max() >= total):
        bad = int(flat.min()) if flat.min() < -total else int(flat.max())
        valid = f"indices -{total} .. {total - 1}" if total else "no valid index"
        raise IndexError(f"unravel_index: index {bad} is out of range for shape {sizes} "
                         f"({total} elements: {valid})")
    if not sizes:
        return ()
    return tuple(Tensor(np.asarray(axis, dtype=np.int64))
                 for axis in np.unravel_index(flat % max(total, 1), sizes))


def _triangle_indices(name: str, indices: Any, row: Any, col: Any, offset: Any, dtype: Any
                      ) -> Tensor:
    row, col, offset = (_one_int(name, n, v) for n, v in (("row", row), ("col", col),
                                                          ("offset", offset)))
    if row < 0 or col < 0:
        raise ValueError(f"{name}: row and col must be >= 0, got {row} and {col}")
    return Tensor(np.stack(indices(row, offset, col)).astype(dtype).reshape(2, -1))
