"""Lookups in a table of embeddings: `embedding` (the rows that integer indices pick; its op,
`Embedding`, in autograd/ops/shape.py, adds up the gradients of rows picked more than once),
`embedding_bag` (the picked rows reduced bag by bag), PyTorch's `max_norm` rescaling
(`embedding_renorm_`) and the checks of indices, offsets and options.
"""

from __future__ import annotations

import numbers
import weakref
from typing import Any

import numpy as np

from ..graph import apply, no_grad
from ..ops.shape import Embedding
from ..tensor import Tensor
from .arguments import _is_int, _shape_of, integer_array


def embedding(indices: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of `weight` (num_embeddings, embedding_dim) that integer `indices` of any shape
    pick: a result of shape indices.shape + (embedding_dim,), as PyTorch's
    `torch.nn.functional.embedding`. Rows picked more than once add up their gradients; row
    `padding_idx` (when given) gets no gradient. Indices must be in [0, num_embeddings).
    With `max_norm`, the picked rows whose `norm_type`-norm is larger are first scaled in
    place to that norm (`embedding_renorm_`), as PyTorch does. `sparse=True` keeps the
    gradient dense (the same numbers) and notes the rows the lookup reached, which
    `nn.optim.SparseAdam` updates alone (`sparse_rows`); `scale_grad_by_freq=True` is refused.

    >>> table = Tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> embedding([[2, 1], [2, 2]], table).shape
    (2, 2, 2)
    >>> embedding([2, 1, 2], table).sum().backward(); table.grad        # row 2 picked twice
    array([[0., 0.],
           [1., 1.],
           [2., 2.]], dtype=float32)
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"embedding: weight must be a Tensor (num_embeddings, embedding_dim), "
                        f"got {_shape_of(weight)} of type {type(weight).__name__}; to train "
                        f"it, make it Tensor(weight, requires_grad=True)")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a 2-d Tensor (num_embeddings, "
                         f"embedding_dim), got {_shape_of(weight)}")
    rows = weight.shape[0]
    check_embedding_options("embedding", max_norm, scale_grad_by_freq, sparse)
    index = embedding_indices("embedding", indices, rows)
    if padding_idx is not None:
        padding_idx = padding_index("embedding", padding_idx, rows)
    if max_norm is not None:
        embedding_renorm_(weight, index, max_norm, norm_type)
    looked_up = apply(Embedding, (weight,), (index, padding_idx))
    if sparse:
        _note_sparse_rows(looked_up, weight, index, padding_idx)
    return looked_up


BAG_MODES = ("sum", "mean", "max")


def embedding_bag(input: Any, weight: Tensor, offsets: Any = None,
                  max_norm: float | None = None, norm_type: float = 2.0,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Any = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """PyTorch's `torch.nn.functional.embedding_bag`: the rows of `weight` that integer `input`
    picks, reduced bag by bag ("sum", "mean" or "max" of each embedding dimension), without
    the (bags, length, dim) array in between that `embedding(...).sum(1)` would make for bags
    of different lengths.

    The bags: a 2-d `input` (B, N) is B bags of N indices (offsets must be None); a 1-d
    `input` is cut at `offsets`, the start of each bag (offsets[0] = 0, non-decreasing), the
    last bag running to the end, or, with `include_last_offset=True`, offsets holds B + 1
    boundaries and bag i is input[offsets[i]:offsets[i + 1]] (the last offset is then the
    input's length, as PyTorch documents it). An index equal to `padding_idx` is left out of
    its bag (not counted in a mean); an empty bag gives zeros. In "sum" mode
    `per_sample_weights` (input's shape) weighs each index, with a gradient of its own. In
    "max" mode the gradient goes to the first index that holds a bag's maximum, as in
    PyTorch. `max_norm` rescales the looked-up rows first, as `embedding` does. Result:
    (B, embedding_dim).

    >>> table = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    >>> embedding_bag([0, 1, 2, 2], table, offsets=[0, 1], mode="sum").data
    array([[ 1.,  2.],
           [13., 16.]], dtype=float32)
    >>> embedding_bag([[0, 2], [1, 1]], table, mode="mean").data
    array([[3., 4.],
           [3., 4.]], dtype=float32)
    """
    name = "embedding_bag"
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise TypeError(f"{name}: weight must be a 2-d Tensor (num_embeddings, embedding_dim), "
                        f"got {_shape_of(weight)}")
    if mode not in BAG_MODES:
        raise ValueError(f"{name}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    check_embedding_options(name, max_norm, scale_grad_by_freq, sparse)
    rows, dim = weight.shape
    index = embedding_indices(name, input, rows)
    starts, ends = _bag_bounds(name, index, offsets, include_last_offset)
    bag_of = np.repeat(np.arange(len(starts)), ends - starts)   # each index's bag
    index = index.reshape(-1)
    weights = _per_sample_weights(name, per_sample_weights, mode, input, weight)
    if max_norm is not None:
        embedding_renorm_(weight, index, max_norm, norm_type)
    kept = slice(None) if padding_idx is None else \
        index != padding_index(name, padding_idx, rows)
    index, bag_of = index[kept], bag_of[kept]
    counts = np.bincount(bag_of, minlength=len(starts))
    if mode == "max":
        bags = _bag_max(weight, index, bag_of, counts)
    else:
        picked = embedding(index, weight)
        if weights is not None:
            picked = picked * weights[kept].reshape(-1, 1)
        bags = Tensor(np.zeros((len(starts), dim), weight.dtype)).index_add(0, bag_of, picked)
        if mode == "mean":
            bags = bags / np.maximum(counts, 1).reshape(-1, 1).astype(weight.dtype)
    if sparse:          # the kept indices, not max mode's padded lookup
        _note_sparse_rows(bags, weight, index, None)
    return bags


def _bag_bounds(name: str, index: np.ndarray, offsets: Any,
                include_last_offset: bool) -> tuple[np.ndarray, np.ndarray]:
    """embedding_bag's bags as [start, end) positions in the flattened input."""
    if index.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{name}: a 2-d input {index.shape} is {index.shape[0]} bags of "
                             f"{index.shape[1]} indices; offsets must be None (they cut a 1-d "
                             f"input into bags)")
        starts = np.arange(index.shape[0]) * index.shape[1]
        return starts, starts + index.shape[1]
    if index.ndim != 1:
        raise ValueError(f"{name}: input must be 1-d (with offsets) or 2-d (bags, length), got "
                         f"shape {index.shape}")
    if offsets is None:
        raise ValueError(f"{name}: a 1-d input needs offsets, the position where each bag "
                         f"starts (e.g. [0, 3] for bags input[0:3] and input[3:]); or pass a "
                         f"2-d input (bags, length)")
    bounds = integer_array(name, "offsets", offsets).astype(np.int64)
    if bounds.ndim != 1:
        raise ValueError(f"{name}: offsets must be 1-d, got shape {bounds.shape}")
    if include_last_offset:
        starts, ends = bounds[:-1], bounds[1:]
    else:
        starts, ends = bounds, np.append(bounds[1:], len(index))
    if bounds.size and bounds[0] != 0:
        raise ValueError(f"{name}: offsets[0] must be 0 (the first bag starts the input), got "
                         f"{bounds[0]}")
    if (np.diff(bounds) < 0).any() or (bounds.size and bounds[-1] > len(index)):
        raise ValueError(f"{name}: offsets must be non-decreasing positions in 0..{len(index)} "
                         f"(the input's length), got {bounds.tolist()}")
    if include_last_offset and (not bounds.size or bounds[-1] != len(index)):
        # PyTorch's documented form (CSR's); otherwise its own float32 and float64 kernels
        # disagree about the indices after the last boundary
        raise ValueError(f"{name}: with include_last_offset=True the last offset is the end of "
                         f"the last bag, the input's length {len(index)}, got "
                         f"{bounds.tolist()}")
    return starts, ends


def _per_sample_weights(name: str, weights: Any, mode: str, input: Any,
                        weight: Tensor) -> Tensor | None:
    """embedding_bag's per_sample_weights, flattened to one per index of the bags: a Tensor
    of the weight's dtype (numbers and arrays become constants), only in "sum" mode."""
    if weights is None:
        return None
    if mode != "sum":
        raise ValueError(f"{name}: per_sample_weights weigh the indices of a sum; they are "
                         f"only taken with mode='sum', got mode={mode!r}")
    weights = weights if isinstance(weights, Tensor) else \
        Tensor(np.asarray(weights, dtype=weight.dtype))
    given = np.shape(input.data if isinstance(input, Tensor) else input)
    if weights.shape != given:
        raise ValueError(f"{name}: per_sample_weights must have the input's shape {given}, got "
                         f"{weights.shape}")
    if weights.dtype != weight.dtype:
        raise TypeError(f"{name}: per_sample_weights are {weights.dtype} and the weight is "
                        f"{weight.dtype}; they must be the same dtype, as in PyTorch")
    return weights.reshape(-1)


def _bag_max(weight: Tensor, index: np.ndarray, bag_of: np.ndarray,
             counts: np.ndarray) -> Tensor:
    """Each bag's largest value per dimension: the bags' rows laid out as (bags, longest, dim),
    the missing places -inf, then max over the bag (its gradient to the first maximum); an
    empty bag gives 0."""
    place = np.arange(index.size) - (np.cumsum(counts) - counts)[bag_of]    # place in its bag
    padded = np.zeros((len(counts), max(counts.max(initial=0), 1)), np.int64)
    present = np.zeros(padded.shape, bool)
    padded[bag_of, place], present[bag_of, place] = index, True
    laid_out = embedding(padded, weight).masked_fill(~present[:, :, None], -np.inf)
    largest, _ = laid_out.max(dim=1)
    return largest.masked_fill((counts == 0)[:, None], 0.0)


def check_embedding_options(name: str, max_norm: Any, scale_grad_by_freq: bool,
                            sparse: bool) -> None:
    """PyTorch's embedding options: max_norm a positive number, sparse True or False,
    scale_grad_by_freq refused."""
    if not isinstance(sparse, (bool, np.bool_)):
        raise TypeError(f"{name}: sparse must be True or False, got {sparse!r}")
    if scale_grad_by_freq:
        raise ValueError(f"{name}: scale_grad_by_freq=True (dividing each row's gradient by "
                         f"how often the batch picks it) is not supported: pass False")
    if max_norm is not None and not (isinstance(max_norm, numbers.Real)
                                     and not isinstance(max_norm, bool) and max_norm > 0):
        raise ValueError(f"{name}: max_norm must be a positive number or None, got "
                         f"{max_norm!r}")


#: for each weight looked up with sparse=True (by id, with a weak reference to it: a Tensor's
#: == is elementwise, so it cannot be a WeakKeyDictionary's key), the rows that a backward
#: pass reached through those lookups since `sparse_rows` last took them: what a PyTorch
#: sparse gradient's indices would be. A dropped table takes its entry with it.
_SPARSE_ROWS: dict[int, tuple[weakref.ref, list[np.ndarray]]] = {}


def _note_sparse_rows(looked_up: Tensor, weight: Tensor, index: np.ndarray,
                      padding_idx: int | None) -> None:
    """Have backward note, in _SPARSE_ROWS, the rows of `weight` that `index` picked (not
    padding_idx's, as PyTorch's sparse gradient leaves it out) once a gradient reaches
    `looked_up`: a hook, so a forward pass without backward notes nothing."""
    if not looked_up.requires_grad:
        return
    # the unique rows are found once, when an optimizer takes them (np.unique per lookup
    # was a tenth of a SparseAdam step); only the padding row is left out here
    rows = index.reshape(-1) if padding_idx is None else index[index != padding_idx]
    key = id(weight)

    def note(grad: Any) -> None:
        entry = _SPARSE_ROWS.get(key)
        if entry is None or entry[0]() is not weight:
            entry = _SPARSE_ROWS[key] = (weakref.ref(weight, lambda _: _SPARSE_ROWS.pop(key,
                                                                                    None)), [])
        entry[1].append(rows)
        if len(entry[1]) > 64:      # a table trained by Adam, whose steps never take them:
            entry[1][:] = [np.unique(np.concatenate(entry[1]))]     # keep the union only
    looked_up.register_hook(note)


def sparse_rows(weight: Any, take: bool = True) -> np.ndarray | bool | None:
    """The sorted rows of `weight` that backward reached through lookups with `sparse=True`
    since they were last taken (PyTorch's sparse gradient's indices), or None if there were
    none; `take=False` only tells whether there are any (True, or None), leaving them.

    >>> table = Tensor(np.ones((5, 2)), requires_grad=True)
    >>> embedding([3, 1, 3], table, sparse=True).sum().backward()
    >>> sparse_rows(table, take=False), sparse_rows(table), sparse_rows(table)
    (True, array([1, 3]), None)
    """
    entry = _SPARSE_ROWS.get(id(weight))
    if entry is None or entry[0]() is not weight:
        return None
    if not take:
        return True
    del _SPARSE_ROWS[id(weight)]
    noted = entry[1][0] if len(entry[1]) == 1 else np.concatenate(entry[1])
    if len(noted) * 16 < weight.shape[0]:       # a few rows of a large table: sort them
        return np.unique(noted)
    seen = np.zeros(weight.shape[0], bool)      # else a mask over the table is cheaper
    seen[noted] = True
    return np.flatnonzero(seen)


def embedding_renorm_(weight: Tensor, index: np.ndarray, max_norm: float,
                      norm_type: float) -> None:
    """Scale in place each row of `weight` that `index` picks and whose `norm_type`-norm
    exceeds `max_norm` by max_norm / (norm + 1e-7), as PyTorch's `embedding_renorm_`: no
    gradient, and a parameter is written as an optimizer step writes it. The lookup's own
    backward does not read the weight, so a graph that only looked rows up still
    backpropagates; one that used the weight otherwise is refused, as in PyTorch.

    >>> table = Tensor([[3.0, 4.0], [0.3, 0.4]], requires_grad=True)
    >>> embedding_renorm_(table, np.array([0, 1, 0]), 1.0, 2.0); table.data.round(6)
    array([[0.6, 0.8],
           [0.3, 0.4]], dtype=float32)
    """
    rows = np.unique(index)
    picked = weight.data[rows]
    norms = np.linalg.norm(picked, ord=norm_type, axis=1)
    over = norms > max_norm
    if not over.any():
        return
    with no_grad():
        weight._check_writable("embedding with max_norm", "max_norm rescales the weight's "
                               "rows in place: pass a leaf (a Parameter) as the weight")
    scale = max_norm / (norms[over] + 1e-7)
    weight.data[rows[over]] = picked[over] * scale[:, None].astype(picked.dtype)
    weight._changed_in_place()


def embedding_indices(name: str, indices: Any, rows: int) -> np.ndarray:
    """`indices` as an integer array checked to lie in [0, rows), else an error naming `name`
    (the function or the layer), the offending index and the table's size."""
    index = integer_array(name, "indices", indices)
    if index.size:
        low, high = index.min(), index.max()
        if low < 0:
            raise IndexError(f"{name}: indices must be >= 0, got {low} (a negative index does "
                             f"not count from the end here, as in PyTorch)")
        if high >= rows:
            if index.ndim == 1 and np.array_equal(index, np.arange(index.size)):
                # arange(T): a position table asked for a context longer than it has rows,
                # as a GPT's generate() does once the text outgrows block_size
                need = (f"positions 0 to {high} are a context of {high + 1}, longer than the "
                        f"table's {rows}: crop the context to its last {rows} "
                        f"(idx[:, -block_size:]) or make the table longer")
            else:
                need = f"a vocabulary of {high + 1} needs num_embeddings >= {high + 1}"
            raise IndexError(f"{name}: index {high} is out of range for a table of {rows} rows "
                             f"(num_embeddings={rows}): indices must be in [0, {rows}); {need}")
    return index


def padding_index(name: str, padding_idx: Any, rows: int) -> int:
    """`padding_idx` as a row in [0, rows); a negative one counts from the end, as in PyTorch."""
    if not _is_int(padding_idx):
        raise TypeError(f"{name}: padding_idx must be an int or None, got {padding_idx!r}")
    if not -rows <= padding_idx < rows:
        raise ValueError(f"{name}: padding_idx must be in [-{rows}, {rows}) (a row of the "
                         f"table, num_embeddings={rows}), got {padding_idx}")
    return int(padding_idx) % rows
