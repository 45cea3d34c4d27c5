"""Order statistics and counts, as PyTorch's Tensor methods: median, nanmedian, quantile,
nanquantile, kthvalue, mode, cummax, cummin, nanmean, nansum, count_nonzero, nonzero (argwhere),
unique, unique_consecutive, bincount, and the module functions searchsorted, bucketize, isin
and segment_reduce.

The differentiable ones pick elements: numpy finds where they are (a sort, a count), and the
values are gathered from the tensor at those places, so the gradient goes back to the element
picked (`Gather`), as in PyTorch. Where equal elements tie, which one PyTorch picks is left open
in its documentation; here it is the one a stable sort puts first, except where said.

>>> from autograd import Tensor
>>> x = Tensor([[3.0, 1.0, 2.0], [0.5, 4.0, 8.0]], requires_grad=True)
>>> values, indices = x.median(dim=1)
>>> values.tolist(), indices.tolist()
([2.0, 4.0], [2, 1])
>>> values.sum().backward(); x.grad
array([[0., 0., 1.],
       [0., 1., 0.]], dtype=float32)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .graph import apply
from .ops import Gather, Median
from .tensor import (Tensor, ValuesAndIndices, _all_if_empty, _as_tensor, _axes, _index_tensor,
                     _integer_index, _reduction_axes, _stable_order, where)
from .tensor_reductions import _fraction_dtype

INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _one_dim(x: Tensor, name: str, dim: Any) -> int:
    """The axis `dim` names (PyTorch's dim 0 or -1 of a 0-d tensor: axis 0 of it as 1-d)."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{name}: dim must be one int, got {dim!r}")
    (axis,) = _axes(dim, max(x.ndim, 1), name, x.shape)
    return axis


def _slices_dim(x: Tensor, name: str, dim: Any) -> int | None:
    """The axis whose slices `unique` and `unique_consecutive` compare (None: the elements). A
    0-d tensor has no slices: PyTorch refuses its dim 0, which `_one_dim` would take."""
    if dim is None:
        return None
    if x.ndim == 0:
        raise IndexError(f"{name}: dim={dim!r} of a 0-d tensor (one number), which has no "
                         f"dims; leave dim out")
    return _one_dim(x, name, dim)


def _picked(x: Tensor, dim: int, keepdim: bool, index: np.ndarray) -> ValuesAndIndices:
    """The elements at `index` along axis `dim`, gathered (the gradient goes to them), and the
    index, as PyTorch gives them (an index of size 1 along `dim` loses it unless keepdim)."""
    values = apply(Gather, (x.reshape(x.shape or (1,)),), (dim, index))
    if x.ndim == 0:
        return ValuesAndIndices(values.reshape(()), _index_tensor(index.reshape(())))
    if not keepdim:
        index = index.squeeze(dim)
        values = values.reshape(index.shape)
    return ValuesAndIndices(values, _index_tensor(index))


def _refuse_empty_dim(x: Tensor, name: str, axis: int) -> None:
    if x.ndim and x.shape[axis] == 0:
        raise ValueError(f"{name}: the tensor of shape {x.shape} is empty along dim {axis} (the "
                         f"{name} of no numbers is undefined)")


def _nan_count(data: np.ndarray, axis: int) -> np.ndarray:
    """How many NaN along `axis`, kept as a size-1 axis (NaN is the one number unequal to
    itself, so integers have none)."""
    return (data != data).sum(axis=axis, keepdims=True)


def _at_sorted_position(x: Tensor, name: str, dim: Any, keepdim: bool, position: Any
                        ) -> ValuesAndIndices:
    """The element at `position(n, nans)` of each slice along `dim` sorted ascending (NaN last;
    n the slice's length, nans how many NaN it holds), and where it was."""
    axis = _one_dim(x, name, dim)
    data = x.data.reshape(x.shape or (1,))
    _refuse_empty_dim(x, name, axis)
    order = _stable_order(data, axis, descending=False)
    at = position(data.shape[axis], _nan_count(data, axis))
    return _picked(x, axis, keepdim, np.take_along_axis(order, at, axis))


def _lower_median_position(n: int, nans: np.ndarray, skip_nan: bool) -> np.ndarray:
    """The sorted position of the lower median: (n - 1) // 2; with NaN, the first NaN (median)
    or the lower median of the other numbers (nanmedian; position 0 where all are NaN)."""
    if skip_nan:
        return np.maximum(n - nans - 1, 0) // 2
    return np.where(nans > 0, n - nans, (n - 1) // 2)


def median(x: Tensor, dim: Any = None, keepdim: bool = False, *, skip_nan: bool = False,
           name: str = "median") -> Any:
    """PyTorch's lower median: of n numbers, the one at (n - 1) // 2 when sorted (NaN if any
    is NaN; `nanmedian` leaves NaN out). Without `dim`, of all the elements, a 0-d tensor whose
    gradient is shared evenly among the elements equal to it (or among the NaN), as PyTorch's;
    with `dim`, values and indices along it, the gradient going to the element indexed.

    >>> Tensor([4.0, 1.0, 3.0, 2.0]).median().item()
    2.0
    """
    if dim is not None:
        return _at_sorted_position(x, name, dim, keepdim, lambda n, nans: _lower_median_position(
            n, nans, skip_nan))
    if keepdim:
        raise TypeError(f"{name}: keepdim=True needs a dim (the {name} of all the elements is "
                        f"one number, a 0-d tensor)")
    flat_data = x.data.reshape(-1)
    if flat_data.size == 0 or (skip_nan and np.isnan(flat_data).all()):
        if x.data.dtype.kind != "f":
            raise ValueError(f"{name}: the tensor of shape {x.shape} is empty (the {name} of "
                             f"no integers is undefined)")
        return Tensor(np.array(np.nan, dtype=x.dtype))
    order = _stable_order(flat_data, 0, descending=False)
    at = order[_lower_median_position(flat_data.size, _nan_count(flat_data, 0), skip_nan)]
    flat = x.reshape(-1)
    if x.data.dtype.kind != "f":
        return flat[at]
    if np.isnan(flat_data[at]):             # NaN, its gradient shared among the NaN
        return flat[np.isnan(flat_data)].mean()
    # the elements equal to it, whose largest is the median: Median (Max's rule) shares the
    # gradient evenly among them
    return apply(Median, (flat[flat_data == flat_data[at]],), (None, False))


def kthvalue(x: Tensor, k: int, dim: Any = -1, keepdim: bool = False) -> ValuesAndIndices:
    """The k-th smallest element along `dim` (k from 1) and where it is; NaN counts as the
    largest.

    >>> Tensor([3.0, 1.0, 2.0]).kthvalue(2)
    ValuesAndIndices(values=Tensor(2.), indices=Tensor(2, dtype=int64))
    """
    axis = _one_dim(x, "kthvalue", dim)
    n = x.shape[axis] if x.ndim else 1
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 1 <= k <= n:
        raise ValueError(f"kthvalue: k must be an int from 1 to {n} (the length of dim {dim} of "
                         f"shape {x.shape}), got {k!r}")
    return _at_sorted_position(x, "kthvalue", dim, keepdim,
                               lambda n, nans: np.full(nans.shape, int(k) - 1))


def mode(x: Tensor, dim: Any = -1, keepdim: bool = False) -> ValuesAndIndices:
    """The most frequent element along `dim` (the smallest of those as frequent) and where it
    is last, as PyTorch's; each NaN counts as a number of its own.

    >>> Tensor([2.0, 1.0, 2.0, 1.0, 3.0]).mode()
    ValuesAndIndices(values=Tensor(1.), indices=Tensor(3, dtype=int64))
    """
    axis = _one_dim(x, "mode", dim)
    _refuse_empty_dim(x, "mode", axis)
    data = np.moveaxis(x.data.reshape(x.shape or (1,)), axis, -1)
    rows = data.reshape(-1, data.shape[-1])
    last = np.empty(len(rows), np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True, equal_nan=False)
        most = values[np.argmax(counts)]                # (argmax: the first, the smallest)
        last[r] = len(row) - 1 - np.argmax(row[::-1] == most)
    index = np.moveaxis(last.reshape(data.shape[:-1] + (1,)), -1, axis)
    return _picked(x, axis, keepdim, index)


def running_extreme(x: Tensor, dim: Any, largest: bool) -> ValuesAndIndices:
    """cummax (largest) or cummin: element i is the largest (smallest) of elements 0..i, and
    where it is: the last of equal ones, and from a NaN on, that NaN (the latest), as PyTorch's.

    >>> Tensor([2.0, 1.0, 2.0, 3.0]).cummax(0)
    ValuesAndIndices(values=Tensor([2., 2., 2., 3.]), indices=Tensor([0, 0, 2, 3], dtype=int64))
    """
    name = "cummax" if largest else "cummin"
    axis = _one_dim(x, name, dim)
    data = x.data.reshape(x.shape or (1,))
    running = (np.maximum if largest else np.minimum).accumulate(data, axis)   # (NaN stays)
    # where the element is the running extreme so far; the index is the last such place: from
    # there to the next, the extreme stays that element's value
    reached = data == running
    if data.dtype.kind == "f":
        reached |= np.isnan(data)
    places = np.arange(data.shape[axis]).reshape((-1,) + (1,) * (data.ndim - axis - 1))
    index = np.maximum.accumulate(np.where(reached, places, 0), axis).astype(np.int64)
    return _picked(x, axis, True, index)                # (an index at every position)


def quantile(x: Tensor, q: Any, dim: Any = None, keepdim: bool = False, *,
             interpolation: str = "linear", skip_nan: bool = False,
             name: str = "quantile") -> Tensor:
    """PyTorch's quantile: the number below which a fraction q of the elements lie (along
    `dim`, or of all of them), between the two sorted neighbours at q · (n - 1) as
    `interpolation` says: "linear" (the default), "lower", "higher", "midpoint" or "nearest"
    (half to even). NaN if a slice holds NaN (`nanquantile` leaves NaN out). `q` is a number
    or a 1-d tensor of them in [0, 1]; for the latter, its axis comes first. Differentiable:
    the two neighbours share the gradient as they share the value.

    >>> Tensor([0.0, 1.0, 2.0, 3.0]).quantile(Tensor([0.5, 0.25])).tolist()
    [1.5, 0.75]
    """
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: needs a floating-point tensor, got dtype {x.dtype} (as in "
                        f"PyTorch; t.float() converts it)")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{name}: interpolation must be one of {', '.join(INTERPOLATIONS)}, "
                         f"got {interpolation!r}")
    if isinstance(q, Tensor) and q.dtype != x.dtype:  # (0.9 in float32 is not 0.9 in float64)
        raise TypeError(f"{name}: q is a tensor of dtype {q.dtype}, the input's dtype is "
                        f"{x.dtype}; they must agree, as in PyTorch (q.to({x.dtype}))")
    qs = np.asarray(q.data if isinstance(q, Tensor) else q, dtype=x.dtype)   # (as PyTorch)
    if qs.ndim > 1:
        raise ValueError(f"{name}: q must be a number or a 1-d tensor, got shape {qs.shape}")
    if qs.size and not ((qs >= 0) & (qs <= 1)).all():
        raise ValueError(f"{name}: q must be in [0, 1], got {q!r}")
    if x.data.size == 0:
        raise ValueError(f"{name}: the tensor of shape {x.shape} is empty (the {name} of no "
                         f"numbers is undefined)")
    axis = None if dim is None else _one_dim(x, name, dim)
    # the slices along the last axis, sorted (NaN last)
    rows = x.reshape(-1) if axis is None else x.reshape(x.shape or (1,)).swapaxes(axis, -1)
    order = _stable_order(rows.data, -1, descending=False)
    n, nans = rows.shape[-1], _nan_count(rows.data, -1)
    count = n - nans if skip_nan else np.where(nans > 0, 1, n)  # NaN in it: its last NaN,
    start = 0 if skip_nan else np.where(nans > 0, n - 1, 0)    # where PyTorch sends the slope
    position = qs.reshape(-1) * np.maximum(count - 1, 0).astype(x.dtype)   # (..., len(q))
    below, above = np.floor(position), np.ceil(position)

    def at(sorted_position: np.ndarray) -> Tensor:
        return rows.gather(-1, np.take_along_axis(order, (start + sorted_position).astype(
            np.int64), -1))

    if interpolation in ("lower", "higher", "nearest"):
        values = at({"lower": below, "higher": above, "nearest": np.round(position)
                     }[interpolation])
    else:                   # PyTorch's lerp: NaN from 1 to inf (inf - inf), quietly as there
        weight = position - below if interpolation == "linear" else (above > below) * 0.5
        with np.errstate(invalid="ignore"):
            values = at(below).lerp(at(above), Tensor(weight.astype(x.dtype)))
    values = values.permute(-1, *range(values.ndim - 1))          # q's axis first
    if axis is None:
        values = values.reshape((-1,) + ((1,) * x.ndim if keepdim else ()))
    elif x.ndim:                                    # the slices' axis back in its place
        values = values.reshape(values.shape + (1,)).swapaxes(axis + 1, -1)
        if not keepdim:
            values = values.reshape(values.shape[:axis + 1] + values.shape[axis + 2:])
    return values.reshape(values.shape[1:]) if qs.ndim == 0 else values


def nansum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum with NaN counted as 0 (their gradient is 0), as PyTorch's.

    >>> Tensor([1.0, float("nan"), 3.0]).nansum().item()
    4.0

    The ops that made a NaN still pass NaN back (0 times their slope at NaN is NaN), as in
    PyTorch: `((P - R) ** 2).nansum()` with NaN for R's missing ratings gives P NaN gradients.
    Leave the missing entries out before any op meets them: `((P[known] - R[known]) ** 2).sum()`
    with `known = ~np.isnan(R)` (or `where(known, P - R, 0.0)`, whose NaN half gets no gradient).
    """
    x = x if dtype is None else x.astype(dtype)
    if x.dtype.kind == "f":
        x = where(np.isnan(x.data), 0, x)
    return x.sum(dim=dim, keepdim=keepdim)


def nanmean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean of the numbers that are not NaN (NaN where all are), as PyTorch's.

    >>> Tensor([1.0, float("nan"), 3.0]).nanmean().item()
    2.0
    """
    if dtype is not None:
        x = x.astype(_fraction_dtype("nanmean", dtype))
    if x.dtype.kind != "f":
        raise TypeError(f"nanmean: needs a floating-point tensor, got dtype {x.dtype} (as in "
                        f"PyTorch; t.float() converts it)")
    axes = _reduction_axes(_all_if_empty(dim), x.ndim, "nanmean", x.shape)
    counted = (~np.isnan(x.data)).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):      # 0 / 0: NaN, as PyTorch's
        return nansum(x, dim, keepdim) / counted


def count_nonzero(x: Tensor, dim: Any = None) -> Tensor:
    """How many elements are not zero (along `dim`: an int or a tuple), as an int64 tensor.

    >>> Tensor([[0.0, 1.0], [2.0, 3.0]]).count_nonzero(dim=0).tolist()
    [1, 2]
    """
    axes = _reduction_axes(_all_if_empty(dim), x.ndim, "count_nonzero", x.shape)
    # np.asarray: numpy 2.2 and older count over every axis into a plain Python int
    return Tensor(np.asarray(np.count_nonzero(x.data, axis=axes), dtype=np.int64))


def nonzero(x: Tensor, *, as_tuple: bool = False) -> Any:
    """Where the elements that are not zero are: an int64 (count, ndim) tensor of their
    indices, row by row (PyTorch's `nonzero` and `argwhere`), or with as_tuple=True one 1-d
    tensor per axis, which indexes them (`x[x.nonzero(as_tuple=True)]`). NaN is not zero.

    >>> Tensor([[0.0, 1.0], [2.0, 0.0]]).nonzero().tolist()
    [[0, 1], [1, 0]]
    """
    data = x.data.reshape(x.shape or (1,))          # (a 0-d tensor: PyTorch's (1, 0) or (0, 0))
    places = np.argwhere(data)[:, :x.ndim]
    if as_tuple:
        return tuple(_index_tensor(axis) for axis in places.T) if x.ndim else (
            _index_tensor(places.reshape(-1)),)
    return _index_tensor(places)


def unique(x: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: Any = None) -> Any:
    """The distinct elements, sorted (the distinct slices along `dim`), as PyTorch's: with
    `return_inverse`, where each element is among them, and with `return_counts`, how often
    each occurs. Constants (no gradient). NaN are all distinct, as in PyTorch.

    >>> values, inverse, counts = Tensor([3, 1, 3, 2]).unique(return_inverse=True,
    ...                                                       return_counts=True)
    >>> values.tolist(), inverse.tolist(), counts.tolist()
    ([1, 2, 3], [2, 0, 2, 1], [1, 1, 2])
    """
    axis = _slices_dim(x, "unique", dim)
    values, inverse, counts = np.unique(x.data, return_inverse=True, return_counts=True,
                                        axis=axis, equal_nan=False)
    inverse = inverse.reshape(x.shape if axis is None else -1)
    results = (Tensor(values),) + ((_index_tensor(inverse),) if return_inverse else ()) + (
        (_index_tensor(counts),) if return_counts else ())
    return results[0] if len(results) == 1 else results


def unique_consecutive(x: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: Any = None) -> Any:
    """Each run of equal neighbours as one element (of slices along `dim`), in order, as
    PyTorch's: with `return_inverse`, which run each element is in, and with `return_counts`,
    the runs' lengths (a sorted batch vector's nodes per graph). Constants; NaN are distinct.

    >>> runs, counts = Tensor([0, 0, 1, 1, 1, 0]).unique_consecutive(return_counts=True)
    >>> runs.tolist(), counts.tolist()
    ([0, 1, 0], [2, 3, 1])
    """
    axis = _slices_dim(x, "unique_consecutive", dim)
    data = x.data.reshape(-1) if axis is None else np.moveaxis(x.data, axis, 0)
    rows = data.reshape(len(data), int(np.prod(data.shape[1:])))
    starts = np.ones(len(data), dtype=bool)     # where a run begins: not equal to the one before
    starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    first = np.flatnonzero(starts)
    values = data[first] if axis is None else np.moveaxis(data[first], 0, axis)
    inverse = np.cumsum(starts) - 1
    counts = np.diff(np.append(first, len(data)))
    results = (Tensor(values),) + (
        (_index_tensor(inverse.reshape(x.shape if axis is None else -1)),) if return_inverse
        else ()) + ((_index_tensor(counts),) if return_counts else ())
    return results[0] if len(results) == 1 else results


#: segment_reduce's value for an empty segment (PyTorch's), by reduction
_EMPTY_SEGMENT = {"sum": 0.0, "mean": math.nan, "max": -math.inf, "min": math.inf}


def segment_reduce(data: Any, reduce: str, *, lengths: Any = None, indices: Any = None,
                   offsets: Any = None, axis: int = 0, unsafe: bool = False,
                   initial: Any = None) -> Tensor:
    """PyTorch's `torch.segment_reduce`: `data`'s consecutive runs along dim 0, `lengths[i]`
    rows each (or from `offsets[i]` to `offsets[i + 1]`), each reduced to one row by reduce=
    "sum", "mean", "max" or "min" (an empty segment: 0, NaN, -inf, inf). Made of index_add and
    index_reduce, whose gradients it has (tied extremes share theirs). Graphs batched one
    after another, a global pooling by their node counts:

    >>> import autograd
    >>> autograd.segment_reduce(Tensor([1.0, 2.0, 6.0]), "mean", lengths=Tensor([2, 1]))
    Tensor([1.5, 6. ])
    """
    op = "segment_reduce"
    if reduce not in _EMPTY_SEGMENT:
        raise ValueError(f"{op}: reduce must be 'sum', 'mean', 'max' or 'min', got {reduce!r}"
                         + (" ('prod' is not supported here)" if reduce == "prod" else ""))
    if indices is not None or initial is not None:
        raise ValueError(f"{op}: indices= and initial= are not supported here; give lengths= "
                         f"or offsets=, and combine an initial value with the result yourself "
                         f"(result + initial, result.clamp(min=initial), ...)")
    if axis != 0:
        raise ValueError(f"{op}: axis must be 0 (the one dim of 1-d lengths), got {axis!r}")
    data = _as_tensor(data, op)
    if (lengths is None) == (offsets is None):
        raise TypeError(f"{op}: give lengths= or offsets= (1-d integers), one of them")
    if lengths is None:
        edges = _integer_index(op, offsets)
        counts = np.diff(edges) if edges.ndim == 1 and edges.size else edges
        starts_at_0 = edges.ndim == 1 and edges.size and edges[0] == 0
    else:
        counts, starts_at_0 = _integer_index(op, lengths), True
    rows = data.shape[0] if data.ndim else 0
    if data.ndim == 0 or counts.ndim != 1 or not starts_at_0 or (counts < 0).any() or (
            counts.sum() != rows):
        given = (f"lengths {counts.tolist()}" if lengths is not None
                 else f"offsets {edges.tolist()}")
        raise ValueError(f"{op}: the segments must cover data's dim 0 (data of shape "
                         f"{data.shape}) in order: lengths >= 0 adding up to {rows}, or "
                         f"offsets from 0 to {rows}; got {given}")
    if reduce != "sum" and data.dtype.kind != "f":
        raise TypeError(f"{op}: reduce={reduce!r} needs floating data, got {data.dtype} "
                        f"(data.float() first)")
    segment = np.repeat(np.arange(counts.size), counts)
    out = Tensor(np.full((counts.size,) + data.shape[1:], _EMPTY_SEGMENT[reduce], data.dtype))
    if reduce == "sum":
        return out.index_add(0, segment, data)
    return out.index_reduce(0, segment, data, {"mean": "mean", "max": "amax",
                                                "min": "amin"}[reduce], include_self=False)


def bincount(x: Tensor, weights: Any = None, minlength: int = 0) -> Tensor:
    """How often each of 0, 1, ..., max(x) occurs in `x` (1-d, integers from 0), at least
    `minlength` counts; with `weights`, their sums instead (in their dtype if floating, else
    float64, as PyTorch's). A constant.

    >>> Tensor([0, 2, 2]).bincount().tolist()
    [1, 0, 2]
    """
    if x.ndim != 1 or x.dtype.kind not in "iu" or (x.data.size and x.data.min() < 0):
        raise ValueError(f"bincount: needs a 1-d tensor of integers from 0, got shape "
                         f"{x.shape} dtype {x.dtype}" + (
                             f" holding {x.data.min()}" if x.data.size and x.dtype.kind in "iu"
                             else ""))
    if not isinstance(minlength, numbers.Integral) or minlength < 0:
        raise ValueError(f"bincount: minlength must be an int >= 0, got {minlength!r}")
    if weights is None:
        return _index_tensor(np.bincount(x.data, minlength=int(minlength)))
    w = np.asarray(weights.data if isinstance(weights, Tensor) else weights)
    if w.shape != x.shape:
        raise ValueError(f"bincount: weights must have the input's shape {x.shape}, got "
                         f"{w.shape}")
    dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return Tensor(np.bincount(x.data, weights=w, minlength=int(minlength)).astype(dtype))


def searchsorted(sorted_sequence: Any, values: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Any = None) -> Tensor:
    """Where each of `values` would go in `sorted_sequence` to keep it sorted: the index of
    the first element >= it (> it with right=True or side="right"). A sequence of more than
    one dim is searched row by row, its rows matching `values`' leading dims. A constant.

    >>> import autograd
    >>> autograd.searchsorted(Tensor([1, 3, 5, 7]), Tensor([3, 6, 9])).tolist()
    [1, 3, 4]
    """
    if side not in (None, "left", "right") or (side == "left" and right):
        raise ValueError(f"searchsorted: side must be 'left' or 'right' and agree with right="
                         f"{right!r}, got side={side!r}")
    side = side or ("right" if right else "left")
    sequence = _as_tensor(sorted_sequence, "searchsorted").data
    found = np.asarray(values.data if isinstance(values, Tensor) else values)
    if sequence.ndim == 0:
        raise ValueError("searchsorted: sorted_sequence must have at least 1 dim, got a 0-d "
                         "tensor")
    if sorter is not None:
        sequence = np.take_along_axis(sequence, _integer_index("searchsorted", sorter), -1)
    if sequence.ndim == 1:
        where_ = np.searchsorted(sequence, found, side=side)
    else:
        if found.shape[:-1] != sequence.shape[:-1]:
            raise ValueError(f"searchsorted: a sorted_sequence of shape {sequence.shape} is "
                             f"searched row by row: values need the leading dims "
                             f"{sequence.shape[:-1]}, got shape {found.shape}")
        # (the row count given: -1 is ambiguous for an empty row, shape (3, 0))
        rows = sequence.reshape(math.prod(sequence.shape[:-1]), sequence.shape[-1])
        where_ = _search_rows(rows, found.reshape(len(rows), found.shape[-1]), side).reshape(
            found.shape)
    return Tensor(np.asarray(where_, dtype=np.int32 if out_int32 else np.int64))


def _search_rows(rows: np.ndarray, wanted: np.ndarray, side: str) -> np.ndarray:
    """np.searchsorted of each row of `wanted` (R, m) in the same row of `rows` (R, n): one
    binary search for all of them at once. Every search halves the same length n, so each of
    its ceil(log2 n) rounds is one gather, one comparison and one add over all R·m values
    (NeRF's hierarchical sampling: 1024 rays' 128 draws in 65 bins took 8.1 ms row by row,
    3.9 ms so; benchmarks/rendering.py). NaN, which numpy's search orders last, is left to
    numpy, row by row."""
    n = rows.shape[-1]
    if n == 0 or wanted.size == 0:                  # (each goes first in an empty row)
        return np.zeros(wanted.shape, np.intp)
    if (rows.dtype.kind in "fc" and np.isnan(rows).any()) or (
            wanted.dtype.kind in "fc" and np.isnan(wanted).any()):
        return np.stack([np.searchsorted(row, w, side=side) for row, w in zip(rows, wanted)])
    flat = rows.reshape(-1)
    starts = np.arange(0, rows.size, n)[:, None]
    # base: where in `flat` the answer's row part starts; the first `length` elements from
    # there hold it, and each round keeps the half the probe says
    base = np.repeat(starts, wanted.shape[1], axis=1)
    before = np.less if side == "left" else np.less_equal      # row element goes before w
    beyond = np.empty(wanted.shape, bool)
    length = n
    while length > 1:
        half = length // 2
        before(np.take(flat, base + half), wanted, out=beyond)
        base += half * beyond
        length -= half
    before(np.take(flat, base), wanted, out=beyond)
    return base - starts + beyond


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False
              ) -> Tensor:
    """The bucket of each element of `input` among the sorted 1-d `boundaries`: i such that
    boundaries[i - 1] < x <= boundaries[i] (<= x < with right=True), as PyTorch's. A constant.

    >>> import autograd
    >>> autograd.bucketize(Tensor([3, 6, 9]), Tensor([1, 3, 5, 7])).tolist()
    [1, 3, 4]
    """
    edges = _as_tensor(boundaries, "bucketize")
    if edges.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-d, got shape {edges.shape}")
    return searchsorted(edges, input, out_int32=out_int32, right=right)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """PyTorch's `torch.isin`: a bool tensor of `elements`' shape, True where the element is
    among `test_elements` (False with invert=True); either may be a number. A constant.

    >>> isin(Tensor([[1, 2], [3, 4]]), Tensor([2, 3])).tolist()
    [[False, True], [True, False]]
    >>> isin(Tensor([1, 2, 3]), 2, invert=True).tolist()
    [True, False, True]
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin: elements or test_elements must be a Tensor (the other may be "
                        f"a number), got {type(elements).__name__} and "
                        f"{type(test_elements).__name__}")
    values = [x.data if isinstance(x, Tensor) else np.asarray(x) for x in (elements,
                                                                            test_elements)]
    for name, value in zip(("elements", "test_elements"), values):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"isin: {name} must be numbers, got dtype {value.dtype}")
    return Tensor(np.isin(values[0], values[1], assume_unique=assume_unique, invert=invert))
