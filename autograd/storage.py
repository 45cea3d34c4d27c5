"""PyTorch's storages: `t.storage()` and `t.untyped_storage()`, the one-dimensional memory that
a tensor and its views (`t[1]`, `t.t()`, `t.view(...)`) share, read and written by index.

Here that memory is the numpy array that owns the tensor's numbers (`t.data.base`, followed to
its end), seen flat in memory order: `storage()` element by element in the tensor's dtype,
`untyped_storage()` byte by byte, as PyTorch's. A storage follows its tensor: an in-place op
that gives the tensor new numbers (`t.zero_()`) is seen by a storage taken before. Writing into
a storage changes every tensor over that memory, outside any graph (as `t.data[...] = v` does,
and as in PyTorch); a graph that saved those numbers refuses its backward afterwards.

>>> from autograd import tensor
>>> points = tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
>>> points.storage().tolist()
[4.0, 1.0, 5.0, 3.0, 2.0, 1.0]
>>> points.t().storage().data_ptr() == points.storage().data_ptr()     # a view: one memory
True
>>> points.storage()[0] = 2.0
>>> points[0].tolist()
[2.0, 1.0]
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

__all__ = ["Storage", "is_storage"]


class Storage:
    """The memory under a tensor, flat, indexed in elements of `dtype` (or bytes, for
    `t.untyped_storage()`): `s[i]` a Python number, `s[i] = v` writes it, `s[a:b]` a Storage of
    that stretch, `len(s)`, `s.tolist()`, `s.data_ptr()`, `s.nbytes()`. Made by the tensor's
    methods, not directly."""

    __slots__ = ("_tensor", "_bytes", "_range")

    def __init__(self, tensor: Any, as_bytes: bool = False, part: slice = slice(None)) -> None:
        self._tensor, self._bytes, self._range = tensor, as_bytes, part

    def _flat(self) -> np.ndarray:
        """The owner's memory, flat, read anew each time: an in-place op may have given the
        tensor a new array since the storage was taken."""
        from .tensor_in_place import _memory_owner
        owner = _memory_owner(self._tensor.data)
        if not isinstance(owner, np.ndarray) or not (owner.flags.c_contiguous
                                                     or owner.flags.f_contiguous):
            raise ValueError(f"storage: the tensor's numbers are not one block of memory (an "
                             f"array of strides {getattr(owner, 'strides', None)} owns them); "
                             f"t.contiguous().storage() is a copy's")
        flat = owner.reshape(-1, order="A")             # memory order: a view, never a copy
        return (flat.view(np.uint8) if self._bytes else flat)[self._range]

    @property
    def dtype(self) -> np.dtype:
        """The element type: the tensor's dtype, or uint8 (bytes) for an untyped storage."""
        return np.dtype(np.uint8) if self._bytes else self._tensor.data.dtype

    @property
    def device(self) -> Any:
        """Where the memory is: the CPU, the only device here."""
        from .cpu import device
        return device("cpu")

    def __len__(self) -> int:
        return self._flat().size

    def size(self) -> int:
        """PyTorch's `s.size()`: the number of elements (bytes, untyped)."""
        return len(self)

    def element_size(self) -> int:
        """The bytes one element takes."""
        return self.dtype.itemsize

    def nbytes(self) -> int:
        """The bytes the storage spans."""
        return self._flat().nbytes

    def data_ptr(self) -> int:
        """The memory's address: equal for a tensor and its views (PyTorch's way to ask
        whether two tensors share memory, `a.untyped_storage().data_ptr() == ...`)."""
        return self._flat().__array_interface__["data"][0]

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError(f"storage: a slice with step {step}; a storage is taken in "
                                 f"one stretch (s[a:b]), a strided view of it is a tensor's "
                                 f"(t.view(-1)[a:b:{step}])")
            outer = self._range.indices(len(self._flat_whole()))[0]
            return Storage(self._tensor, self._bytes, slice(outer + start, outer + stop))
        return self._flat()[self._element(index)].item()

    def __setitem__(self, index: Any, value: Any) -> None:
        from .graph import write_clock
        from .tensor_in_place import _note_memory_write
        flat = self._flat()
        where = index if isinstance(index, slice) else self._element(index)
        try:
            flat[where] = np.asarray(value) if isinstance(index, slice) else value
        except (ValueError, TypeError) as error:    # numpy's words name no storage
            kind = "bytes (uint8)" if self._bytes else f"{flat.dtype} numbers"
            raise type(error)(f"storage: cannot write {value!r} into a storage of {kind}: "
                              f"{error}") from None
        # a graph that saved these numbers refuses its backward, where PyTorch's (which
        # counts no storage write) would give the gradient at the new numbers
        write_clock.count += 1
        _note_memory_write(flat)

    def _flat_whole(self) -> np.ndarray:
        return Storage(self._tensor, self._bytes)._flat()

    def _element(self, index: Any) -> int:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"storage: an index is an int (or a slice), got "
                            f"{type(index).__name__}")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"storage: index {index} is out of range for a storage of size {n}")
        return int(index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.tolist())

    def tolist(self) -> list:
        """The elements as Python numbers, in memory order."""
        return self._flat().tolist()

    def __repr__(self) -> str:
        kind = "untyped " * self._bytes
        return f"Storage({self.tolist()!r}, {kind}dtype={self.dtype}, size={len(self)})"


def is_storage(obj: Any) -> bool:
    """PyTorch's `torch.is_storage(obj)`: whether obj is a storage (`t.storage()`).

    >>> from autograd import tensor
    >>> is_storage(tensor([1.0]).storage()), is_storage([1.0])
    (True, False)
    """
    return isinstance(obj, Storage)
