"""Sequences of different lengths in one batch, as `torch.nn.utils.rnn` has them.

`pad_sequence` stacks sequences of shapes (L_i, *) into one (T, B, *) Tensor, T the longest
length, the shorter ones filled with `padding_value`. A recurrent layer run on that batch
would read the padding as steps; a `PackedSequence` tells it where each sequence ends.

A PackedSequence holds only the real steps, time-major: the first step of every sequence,
then the second step of every sequence that has one, and so on, the sequences taken longest
first. `batch_sizes[t]` counts the sequences that have a step t; `sorted_indices` is the order
the sequences are taken in (None when they came sorted, `enforce_sorted=True`), and
`unsorted_indices` its inverse. `pack_padded_sequence` makes one from a padded batch and its
lengths, `pack_sequence` from a list of sequences, and `pad_packed_sequence` gives the padded
batch and the lengths back. Every step is gathered by indexing, so gradients flow through all
of them. `RNN`, `GRU` and `LSTM` take a PackedSequence and return one (see nn.recurrent).

>>> from autograd import Tensor
>>> a, b = Tensor([1.0, 2.0, 3.0]), Tensor([4.0])
>>> pad_sequence([a, b], batch_first=True)
Tensor([[1., 2., 3.],
        [4., 0., 0.]])
>>> packed = pack_sequence([b, a], enforce_sorted=False)
>>> packed.data, packed.batch_sizes                # a's first step, b's, then a's 2nd and 3rd
(Tensor([1., 4., 2., 3.]), Tensor([2, 1, 1], dtype=int64))
>>> padded, lengths = pad_packed_sequence(packed, batch_first=True)
>>> padded, lengths                                # back in the order they were given
(Tensor([[4., 0., 0.],
        [1., 2., 3.]]), Tensor([1, 3], dtype=int64))
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from autograd import Tensor, concatenate, full
from autograd.functional.arguments import _tensor

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]


class PackedSequence(NamedTuple):
    """The real steps of a batch of sequences, time-major (see the module's docstring):
    `data` (total steps, *), `batch_sizes` (int64, one count per time step),
    `sorted_indices` and `unsorted_indices` (int64, or None when the batch came sorted by
    decreasing length). Made by `pack_padded_sequence` or `pack_sequence`; build a new one
    around other data with `packed._replace(data=...)`."""
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    # PyTorch's conversions, on the data (the counts and indices stay int64)
    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The data as `data.to(...)` gives it (a dtype; 'cpu' changes nothing)."""
        return self._replace(data=self.data.to(*args, **kwargs))

    def float(self) -> PackedSequence:
        return self._replace(data=self.data.float())

    def double(self) -> PackedSequence:
        return self._replace(data=self.data.double())

    def cpu(self) -> PackedSequence:
        return self

    @property
    def is_cuda(self) -> bool:
        return False

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        # numpy would read the four fields as ragged rows; a layer given a PackedSequence
        # where it wants a Tensor (a Linear on an LSTM's packed output) ends up here
        raise TypeError("a PackedSequence is not a Tensor: only RNN, GRU and LSTM take one; "
                        "give other layers its steps, packed.data, or the padded batch from "
                        "pad_packed_sequence(packed)")


def invert_permutation(permutation: Any) -> Tensor | None:
    """The permutation that undoes `permutation` (None gives None).

    >>> invert_permutation(Tensor(np.array([2, 0, 1])))
    Tensor([1, 2, 0], dtype=int64)
    """
    if permutation is None:
        return None
    order = _integers(permutation)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return Tensor(inverse)


def _integers(x: Any) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Tensor) else x).astype(np.int64)


def _checked_lengths(where: str, lengths: Any, batch: int, steps: int,
                     layout_hint: str = "") -> np.ndarray:
    """`lengths` as a 1-d int64 array of one length in 1..steps per sequence, or an error
    naming `where` and the lengths (and `layout_hint` where there are not as many lengths as
    sequences: the input's batch and time axes taken the other way round?)."""
    raw = lengths.data if isinstance(lengths, Tensor) else lengths
    array = np.asarray(raw)
    if array.dtype.kind not in "iu":
        # torch truncates float lengths silently (2.5 packs 2 steps): refused here
        raise TypeError(f"{where}: lengths must be integers, got {array.dtype} "
                        f"{array.tolist()!r} (lengths.long() or lengths.astype(int))")
    if array.ndim != 1:
        raise ValueError(f"{where}: lengths must be 1-d, one length per sequence, got shape "
                         f"{array.shape}")
    if len(array) != batch:
        raise ValueError(f"{where}: {len(array)} lengths for a batch of {batch} sequences "
                         f"(lengths {array.tolist()}){layout_hint}")
    if (array < 1).any():
        raise ValueError(f"{where}: every length must be at least 1, got lengths "
                         f"{array.tolist()} (a sequence with no steps cannot be packed)")
    if (array > steps).any():
        raise ValueError(f"{where}: lengths {array.tolist()} run past the input's {steps} "
                         f"time steps")
    return array.astype(np.int64)


def _fits(lengths: Any, batch: int, steps: int) -> bool:
    """Whether `lengths` would fit a batch of `batch` sequences of up to `steps` steps (to
    tell, when they do not fit the input as read, that they fit its axes swapped)."""
    array = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    return array.ndim == 1 and len(array) == batch and array.dtype.kind in "iu" \
        and bool((array >= 1).all() and (array <= steps).all())


def _positions(batch_sizes: np.ndarray, order: np.ndarray | None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each packed row belongs, (step, sequence), the sequence counted in the batch's
    own order, and each sequence's length in that order, for the counts `batch_sizes` and the
    order the sequences were taken in (None: as they come)."""
    batch = int(batch_sizes[0])
    order = np.arange(batch) if order is None else order
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    sequences = order[np.concatenate([np.arange(n) for n in batch_sizes])]
    lengths = np.empty(batch, np.int64)
    lengths[order] = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)
    return steps, sequences, lengths


def _layout(where: str, packed: PackedSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_positions` of a PackedSequence, or an error naming `where` if its fields disagree
    (one built by hand)."""
    batch_sizes = _integers(packed.batch_sizes)
    if batch_sizes.ndim != 1 or not len(batch_sizes) or (batch_sizes < 1).any() \
            or (np.diff(batch_sizes) > 0).any():
        raise ValueError(f"{where}: the PackedSequence's batch_sizes must be positive counts "
                         f"in non-increasing order, got {batch_sizes.tolist()}")
    rows = int(batch_sizes.sum())
    if packed.data.ndim < 1 or packed.data.shape[0] != rows:
        raise ValueError(f"{where}: the PackedSequence's data of shape {packed.data.shape} "
                         f"should have {rows} rows, the sum of batch_sizes "
                         f"{batch_sizes.tolist()}")
    order = None if packed.sorted_indices is None else _integers(packed.sorted_indices)
    if order is not None and sorted(order.tolist()) != list(range(batch_sizes[0])):
        raise ValueError(f"{where}: the PackedSequence's sorted_indices {order.tolist()} are "
                         f"not an order of its {batch_sizes[0]} sequences")
    return _positions(batch_sizes, order)


def pad_sequence(sequences: Sequence[Any], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """The sequences (L_i, *) stacked into one Tensor (T, B, *) ((B, T, *) with batch_first),
    T the longest L_i, each filled up to T with `padding_value`: after its steps
    (padding_side='right') or before them ('left'). Differentiable in every sequence.

    >>> pad_sequence([Tensor([1.0, 2.0]), Tensor([3.0])], padding_value=-1.0)
    Tensor([[ 1.,  3.],
            [ 2., -1.]])
    >>> pad_sequence([Tensor([1.0, 2.0]), Tensor([3.0])], True, padding_side="left")
    Tensor([[1., 2.],
            [0., 3.]])
    """
    where = "pad_sequence"
    if padding_side not in ("right", "left"):
        raise ValueError(f"{where}: padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError(f"{where}: got no sequences")
    tensors = [_tensor(s, where) for s in sequences]
    for i, s in enumerate(tensors):
        if s.ndim == 0:
            raise ValueError(f"{where}: sequence {i} is a single number (shape ()); a sequence "
                             f"has a length: (length, *)")
        if s.shape[1:] != tensors[0].shape[1:]:
            raise ValueError(f"{where}: sequence {i} has shape {s.shape}, but sequence 0 has "
                             f"{tensors[0].shape}: every sequence must be (length, "
                             f"{', '.join(map(str, tensors[0].shape[1:])) or '…'}), only the "
                             f"lengths may differ")
    lengths = np.array([s.shape[0] for s in tensors])
    longest, total = int(lengths.max()), int(lengths.sum())
    joined = concatenate(tensors)
    padding = full((1, *joined.shape[1:]), padding_value, dtype=joined.dtype)
    # rows[t, b]: the row of [all steps end to end; padding] at step t of sequence b
    rows = np.full((longest, len(tensors)), total)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for b, (start, length) in enumerate(zip(starts, lengths)):
        first = 0 if padding_side == "right" else longest - length
        rows[first:first + length, b] = np.arange(start, start + length)
    padded = concatenate([joined, padding])[rows]
    return padded.swapaxes(0, 1) if batch_first else padded


def pack_padded_sequence(input: Any, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """The real steps of a padded batch (T, B, *) ((B, T, *) with batch_first), sequence b
    being its first lengths[b] steps, as a PackedSequence. With enforce_sorted=True the
    lengths must be in decreasing order (sorted_indices is then None); with False any order
    is taken and the batch's order recorded, longest first, equal lengths in batch order.
    (PyTorch's sort is not stable: in batches of more than 16 it may take equal lengths in
    another order, so sorted_indices and the rows of one step in `data` differ from its,
    while everything unpacked, and what a recurrent layer returns, is the same.)
    Differentiable in `input`.

    >>> x = Tensor([[1.0, 2.0, 0.0], [3.0, 0.0, 0.0]])      # batch_first, lengths 2 and 1
    >>> pack_padded_sequence(x, [2, 1], batch_first=True).data
    Tensor([1., 3., 2.])
    """
    where = "pack_padded_sequence"
    input = _tensor(input, where)
    if input.ndim < 2:
        raise ValueError(f"{where}: input must be (T, B, *) (or (B, T, *) with batch_first), "
                         f"got shape {input.shape}")
    batch, steps = (input.shape[0], input.shape[1]) if batch_first \
        else (input.shape[1], input.shape[0])
    layout = "(B, T, *) (batch_first=True)" if batch_first else "(T, B, *)"
    other = "batch_first=False for (T, B, *)" if batch_first else \
        "batch_first=True for batch-first (B, T, *)"
    lengths = _checked_lengths(where, lengths, batch, steps,
                               f"; the input {input.shape} is read as {layout}: if its batch "
                               f"and time axes are the other way round, pass {other}"
                               if _fits(lengths, steps, batch) else "")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise ValueError(f"{where}: lengths {lengths.tolist()} are not in decreasing "
                             f"order, which enforce_sorted=True requires; pass "
                             f"enforce_sorted=False to take them in any order")
        order = None
    else:
        order = np.argsort(-lengths, kind="stable")     # longest first, ties in batch order
    in_order = lengths if order is None else lengths[order]
    batch_sizes = (in_order[None, :] > np.arange(in_order[0])[:, None]).sum(axis=1)
    at_step, sequence, _ = _positions(batch_sizes, order)
    data = input[sequence, at_step] if batch_first else input[at_step, sequence]
    return PackedSequence(data, Tensor(batch_sizes), None if order is None else Tensor(order),
                          invert_permutation(order))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """(padded, lengths): the packed steps laid out again as a padded batch (T, B, *)
    ((B, T, *) with batch_first) in the order the sequences were packed from, T the longest
    length or `total_length`, and each sequence's length (int64). Differentiable in
    `sequence.data`.

    >>> packed = pack_padded_sequence(Tensor([[1.0, 2.0], [3.0, 0.0]]), [2, 1],
    ...                               batch_first=True)
    >>> pad_packed_sequence(packed, batch_first=True, total_length=3)[0]
    Tensor([[1., 2., 0.],
            [3., 0., 0.]])
    """
    where = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{where}: expects a PackedSequence (from pack_padded_sequence or "
                        f"pack_sequence), got {type(sequence).__name__}")
    data = _tensor(sequence.data, where)
    at_step, at_sequence, lengths = _layout(where, sequence._replace(data=data))
    steps = int(lengths.max())
    if total_length is not None:
        if isinstance(total_length, bool) or not isinstance(total_length, (int, np.integer)):
            raise TypeError(f"{where}: total_length must be an integer, got {total_length!r}")
        if total_length < steps:
            raise ValueError(f"{where}: total_length={total_length} is shorter than the "
                             f"longest sequence ({steps} steps)")
        steps = int(total_length)
    padding = full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    rows = np.full((steps, len(lengths)), data.shape[0])    # the padding row, where no step
    rows[at_step, at_sequence] = np.arange(data.shape[0])
    padded = concatenate([data, padding])[rows]
    return (padded.swapaxes(0, 1) if batch_first else padded), Tensor(lengths)


def pack_sequence(sequences: Sequence[Any], enforce_sorted: bool = True) -> PackedSequence:
    """The sequences (L_i, *) as one PackedSequence: `pad_sequence`, then
    `pack_padded_sequence` with their lengths (in decreasing order unless
    enforce_sorted=False).

    >>> pack_sequence([Tensor([1.0, 2.0]), Tensor([3.0])]).batch_sizes
    Tensor([2, 1], dtype=int64)
    """
    sequences = list(sequences)
    padded = pad_sequence(sequences)                    # (which checks their shapes)
    return pack_padded_sequence(padded, [len(s) for s in sequences],
                                enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Any, lengths: Any,
                   batch_first: bool = False) -> list[Tensor]:
    """The inverse of `pad_sequence`: the list of sequences, sequence b the first lengths[b]
    steps of the padded batch (T, B, *) ((B, T, *) with batch_first).

    >>> [s.shape for s in unpad_sequence(Tensor(np.zeros((3, 2, 4))), [3, 1])]
    [(3, 4), (1, 4)]
    """
    where = "unpad_sequence"
    padded = _tensor(padded_sequences, where)
    if padded.ndim < 2:
        raise ValueError(f"{where}: padded_sequences must be (T, B, *) (or (B, T, *) with "
                         f"batch_first), got shape {padded.shape}")
    if not batch_first:
        padded = padded.swapaxes(0, 1)
    lengths = _checked_lengths(where, lengths, padded.shape[0], padded.shape[1])
    return [padded[b, :length] for b, length in enumerate(lengths)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of `pack_sequence`: the list of sequences, in the order they were packed
    from.

    >>> [s.shape for s in unpack_sequence(pack_sequence([Tensor(np.ones(1)),
    ...                                                  Tensor(np.ones(2))], False))]
    [(1,), (2,)]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
