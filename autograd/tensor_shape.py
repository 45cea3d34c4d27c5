"""Tensor's shape and indexing methods, mixed into `Tensor` (autograd/tensor.py): reshape and
view, flatten, transpose and permute, squeeze and unsqueeze, broadcast_to and expand, flip,
roll and repeat, narrow, split and chunk, unfold (sliding windows), gather, index_select,
masked_select, scatter and the scatter adds, and reading `t[index]` (writing it is in
autograd/tensor_in_place.py).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from . import graph
from .broadcast import broadcasts_to
from .graph import apply
from .ops import (AsType, BroadcastTo, Gather, GetItem, IndexPut, Reshape, Roll, ScatterAdd,
                  ScatterReduce, Transpose, Windows)
from .ops.shape import along_axis
from .tensor_axes import _axes, _ints_or_one, _one_name, _shape_args
from .tensor_operands import _as_tensor, _check_index_range, _integer_index, _raw_index

if TYPE_CHECKING:
    from .tensor import Tensor
# `Tensor`, a global here as in tensor.py, is put into this module by autograd/tensor.py once
# the class exists (tensor.py imports this module to make it, so it cannot be imported back)


class ShapeMethods:
    """Tensor's methods that change shapes or pick elements (see the module's docstring)."""

    __slots__ = ()

    def reshape(self, *shape: Any) -> Tensor:
        return self._reshaped("reshape", shape)

    def _reshaped(self, name: str, shape: tuple) -> Tensor:
        """reshape or view (`name`) to `shape`: sizes >= 0, or -1 once for the size to infer."""
        try:
            shape = _shape_args(shape)
            if min(shape, default=0) < -1:          # numpy would take -2 as -1
                raise ValueError("a size below -1")
            return apply(Reshape, (self,), shape)
        except (ValueError, TypeError) as error:
            raise _reshape_error(name, self, shape, error) from None

    def flatten(self, start_axis: int = 0, end_axis: int = -1, *, start_dim: int | None = None,
                end_dim: int | None = None) -> Tensor:
        """Merge the axes from `start_axis` to `end_axis` (both included, the last by default)
        into one: `flatten(1)` keeps the batch axis, `flatten(0, 1)` merges the first two.
        PyTorch's names `start_dim` and `end_dim` work too.

        >>> x = Tensor(np.zeros((2, 3, 4, 5)))
        >>> x.flatten(1).shape, x.flatten(0, 1).shape, x.flatten(start_dim=1, end_dim=2).shape
        ((2, 60), (6, 4, 5), (2, 12, 5))
        """
        if start_dim is not None or end_dim is not None:        # PyTorch's names
            start_axis = _one_name("flatten", "start_axis", start_axis, 0, "start_dim", start_dim)
            end_axis = _one_name("flatten", "end_axis", end_axis, -1, "end_dim", end_dim)
        ndim = max(self.ndim, 1)                        # a 0-d tensor flattens to shape (1,)
        (start,), (end,) = (_axes(start_axis, ndim, "flatten", self.shape),
                            _axes(end_axis, ndim, "flatten", self.shape))
        if start > end:
            raise ValueError(f"flatten: start axis {start_axis} comes after end axis {end_axis} "
                             f"for a tensor of shape {self.shape}")
        shape = self.shape or (1,)
        merged = math.prod(shape[start:end + 1])        # (not -1: an empty batch has no size
        return self.reshape(shape[:start] + (merged,) + shape[end + 1:])  # to infer it from)

    def transpose(self, *axes: Any) -> Tensor:
        """The axes reordered: reversed with no argument (numpy's, as `.T`); in the order of a
        permutation of them all (`x.transpose(2, 0, 1)` or `x.transpose((2, 0, 1))`, numpy's);
        and, given two axes, those two swapped, as PyTorch's `transpose(dim0, dim1)` does
        (attention's `k.transpose(-2, -1)`). So a matrix's `transpose(0, 1)` is its transpose
        here and in PyTorch, where numpy would leave it unchanged (its tuple `(0, 1)` still
        does).

        >>> Tensor(np.zeros((2, 3, 4))).transpose(-2, -1).shape
        (2, 4, 3)
        """
        if len(axes) == 2 and (axes[0].__class__ is int and axes[1].__class__ is int or all(
                isinstance(a, numbers.Integral) for a in axes)):
            return self._swapped(*axes, "transpose")    # PyTorch's transpose(dim0, dim1)
        if not axes:
            axes = tuple(range(self.ndim - 1, -1, -1))
        return self._permuted(axes, "transpose")

    def _permuted(self, axes: tuple, name: str) -> Tensor:
        """The axes in the order of `axes` (every axis once, or one tuple of them); errors
        name `name`, the method called (transpose, permute)."""
        if len(axes) == 1 and not isinstance(axes[0], numbers.Integral):    # a tuple or list
            axes = tuple(axes[0])
        ndim = self.data.ndim
        # the usual call, a permutation of ints, without the checks below (they cost 4 µs of
        # a 5 µs permute: generators of isinstance against numbers.Integral); anything else,
        # good or bad, takes them
        if len(axes) == ndim and all(a.__class__ is int for a in axes):
            order = tuple(a + ndim if a < 0 else a for a in axes)
            if sorted(order) == list(range(ndim)):
                return apply(Transpose, (self,), order)
        if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes):
            raise TypeError(f"{name}: axes must be ints, got {axes}")
        outside = [a for a in axes if not -self.ndim <= a < self.ndim]
        if outside:         # (taken modulo ndim, (0, 1, 5) would pass as (0, 1, 2))
            raise ValueError(f"{name}: axis {outside[0]} is out of range for a tensor with "
                             f"{self.ndim} dims, in {axes} (shape {self.shape})")
        if sorted(a % self.ndim for a in axes) != list(range(self.ndim)):
            raise ValueError(f"{name}: {axes} is not a permutation of the {self.ndim} axes")
        return apply(Transpose, (self,), tuple(a % self.ndim for a in axes))

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return self._swapped(axis1, axis2, "swapaxes")

    def _swapped(self, axis1: int, axis2: int, op: str) -> Tensor:
        ndim = self.data.ndim
        if axis1.__class__ is int and axis2.__class__ is int and -ndim <= axis1 < ndim and \
                -ndim <= axis2 < ndim:      # the usual call: no checks to make (2 µs of 5)
            first, second = axis1 % ndim, axis2 % ndim
        else:                               # (a numpy int is one too; the errors are _axes')
            (first,), (second,) = (_axes((axis1,), ndim, op, self.shape),
                                  _axes((axis2,), ndim, op, self.shape))
        axes = list(range(ndim))
        axes[first], axes[second] = second, first
        return apply(Transpose, (self,), tuple(axes))

    # PyTorch's names for the same shape ops (a PyTorch script's `x.view(-1)`, `x.unsqueeze(1)`)

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's name for `reshape` (here it never needs contiguous data).

        >>> Tensor(np.zeros((2, 3, 4))).view(2, -1).shape
        (2, 12)
        >>> Tensor(np.zeros((2, 3, 4))).view(5, -1)
        Traceback (most recent call last):
        ValueError: view: cannot reshape a tensor of shape (2, 3, 4) (24 elements) into (5, -1)
        """
        return self._reshaped("view", shape)

    def permute(self, *axes: Any) -> Tensor:
        """PyTorch's name for `transpose` with every axis given: `x.permute(0, 2, 3, 1)`.

        >>> Tensor(np.zeros((2, 3, 4))).permute(2, 0, 1).shape
        (4, 2, 3)
        >>> Tensor(np.zeros((2, 3, 4))).permute(0, 2)
        Traceback (most recent call last):
        ValueError: permute: (0, 2) is not a permutation of the 3 axes
        """
        return self._permuted(axes, "permute")          # always a permutation, even of two

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of size 1 at position `dim` (numpy's `expand_dims`): (3,) → (1, 3) at 0.

        >>> Tensor([1.0, 2.0, 3.0]).unsqueeze(1).shape
        (3, 1)
        """
        ndim = self.data.ndim
        if dim.__class__ is not int:            # a numpy integer is one too; a bool is not
            if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
                raise TypeError(f"unsqueeze: dim must be an int, got {dim!r}")
            dim = int(dim)
        if not -ndim - 1 <= dim <= ndim:
            raise ValueError(f"unsqueeze: dim must be an int from {-ndim - 1} to {ndim} for a "
                             f"tensor of shape {self.shape}, got {dim!r}")
        at = dim % (ndim + 1)
        return self.reshape(self.shape[:at] + (1,) + self.shape[at:])

    def squeeze(self, dim: Any = None) -> Tensor:
        """Without the axes of size 1: all of them, the one at `dim`, or those of a tuple `dim`.
        Unlike PyTorch, which leaves a tensor unchanged when axis `dim` is not of size 1, that
        is an error, as in numpy.

        >>> Tensor([[1.0], [2.0]]).squeeze().shape, Tensor([[1.0, 2.0]]).squeeze(0).shape
        ((2,), (2,))
        >>> Tensor(np.zeros((1, 3, 1))).squeeze((0, -1)).shape
        (3,)
        """
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        if self.data.ndim == 0:
            raise ValueError(f"squeeze: a 0-d tensor has no axis {dim}")
        axes = _axes(dim, self.data.ndim, "squeeze", self.shape)
        for at in axes:
            if self.shape[at] != 1:
                named = dim if isinstance(dim, numbers.Integral) else at    # as it was given
                raise ValueError(f"squeeze: axis {named} of a tensor of shape {self.shape} has "
                                 f"size {self.shape[at]}, not 1")
        return self.reshape(tuple(n for a, n in enumerate(self.shape) if a not in axes))

    def numel(self) -> int:
        """How many numbers the tensor holds (PyTorch's name for `.size`)."""
        return self.data.size

    nelement = numel                    # PyTorch's other name: sum(p.nelement() for p in ...)

    def tolist(self) -> Any:
        """The numbers as (nested) Python lists, as `ndarray.tolist`."""
        return self.data.tolist()

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (gradients pass through), as PyTorch's:
        changing the copy in place leaves this tensor alone."""
        return apply(AsType, (self,), self.data.dtype)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return self._broadcast(tuple(shape), "broadcast_to")

    def _broadcast(self, shape: tuple, name: str) -> Tensor:
        """`broadcast_to(shape)`, its error naming `name`, the method called (expand, ...)."""
        if not broadcasts_to(self.shape, shape):
            raise ValueError(f"{name}: cannot broadcast shape {self.shape} to {shape}")
        return apply(BroadcastTo, (self,), shape)

    def expand(self, *sizes: Any) -> Tensor:
        """PyTorch's `x.expand(*sizes)`: `broadcast_to`, where -1 keeps an axis's own size
        (makemore's `start.expand(1, B, -1)`); new axes come in front, as in broadcasting.

        >>> Tensor(np.zeros((1, 1, 4))).expand(1, 3, -1).shape
        (1, 3, 4)
        """
        return self._expanded(tuple(_shape_args(sizes)), "expand")

    def _expanded(self, sizes: tuple, name: str) -> Tensor:
        new = len(sizes) - self.ndim
        if new < 0 or any(size == -1 for size in sizes[:new]):
            raise ValueError(f"{name}: cannot expand shape {self.shape} to {sizes} (the sizes "
                             f"number at least its {self.ndim} axes, and -1, keeping an axis's "
                             f"size, is only for those)")
        shape = sizes[:new] + tuple(own if size == -1 else size
                                    for own, size in zip(self.shape, sizes[new:]))
        return self._broadcast(shape, name)

    def expand_as(self, other: Any) -> Tensor:
        """`expand` to `other`'s shape (PyTorch's `expand_as`)."""
        return self._expanded(_as_tensor(other).shape, "expand_as")

    def view_as(self, other: Any) -> Tensor:
        """`reshape` to `other`'s shape (PyTorch's `view_as`)."""
        return self._reshaped_as("view_as", other)

    def reshape_as(self, other: Any) -> Tensor:
        """`reshape` to `other`'s shape (PyTorch's `reshape_as`)."""
        return self._reshaped_as("reshape_as", other)

    def _reshaped_as(self, name: str, other: Any) -> Tensor:
        shape = _as_tensor(other).shape
        try:
            return apply(Reshape, (self,), shape)
        except ValueError as error:
            raise _reshape_error(name, self, (shape,), error) from None

    def t(self) -> Tensor:
        """PyTorch's `t.t()`: a matrix transposed; a vector or a number as it is (a copy in the
        graph); more dims are refused (`transpose(d0, d1)` or `mT` say which to swap)."""
        if self.data.ndim > 2:
            raise ValueError(f"t: expects a tensor of at most 2 dims, got shape {self.shape}; "
                             f"write t.transpose(d0, d1) or t.mT (the last two swapped)")
        return self.T if self.data.ndim == 2 else self.reshape(self.shape)

    def flip(self, *axes: Any, dims: Any = None) -> Tensor:
        """The elements in reverse order along `dims` (an int or a tuple): `x.flip(0)`,
        `x.flip((0, 1))`, `x.flip(0, 1)` and PyTorch's keyword `x.flip(dims=[3])` alike. The
        gradient is flipped back. A copy, as in PyTorch: writing into it leaves this tensor
        alone.

        >>> Tensor([[1, 2], [3, 4]]).flip(1).tolist(), Tensor([[1, 2]]).flip(dims=[1]).tolist()
        ([[2, 1], [4, 3]], [[2, 1]])
        """
        if dims is not None:
            if axes:
                raise TypeError(f"flip: the axes given twice, as {axes!r} and as dims={dims!r}")
            axes = (dims,)
        if not axes:
            raise TypeError("flip: which axes? x.flip(dims=[3]) (or x.flip(3)) reverses axis 3")
        axes = _axes(axes[0] if len(axes) == 1 else axes, self.data.ndim, "flip", self.shape)
        reverse = slice(None, None, -1)
        # (the slicing alone gives a view, through which a write would change this tensor)
        return self[tuple(reverse if a in axes else slice(None) for a in range(self.ndim))].clone()

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """The elements shifted along `dims` by `shifts`, those pushed off the end coming back
        at the start (np.roll); with no `dims`, the tensor is rolled as one flat row. `shifts`
        and `dims` may be tuples of one length.

        >>> Tensor([1, 2, 3, 4]).roll(1).tolist(), Tensor([[1, 2], [3, 4]]).roll(1, 0).tolist()
        ([4, 1, 2, 3], [[3, 4], [1, 2]])
        """
        shift_list = _ints_or_one("roll", "shifts", shifts)
        shift_list = tuple(int(s) for s in shift_list)
        if dims is None:
            if len(shift_list) != 1:
                raise ValueError(f"roll: {len(shift_list)} shifts need as many dims, got none "
                                 f"(with no dims the tensor rolls as one row, by one shift)")
            return apply(Roll, (self,), (shift_list, None))
        dim_list = _ints_or_one("roll", "dims", dims)
        if len(dim_list) != len(shift_list):
            raise ValueError(f"roll: shifts {shifts!r} and dims {dims!r} must be of one length")
        axes = tuple(_axes(d, self.data.ndim, "roll", self.shape)[0] for d in dim_list)
        return apply(Roll, (self,), (shift_list, axes))

    def repeat(self, *sizes: Any) -> Tensor:
        """PyTorch's `repeat`: the tensor tiled `sizes[i]` times along axis i (np.tile's
        rule); more sizes than axes put new axes in front. The copies' gradients add up.
        (It is not numpy's `repeat`, which repeats each element: that is `repeat_interleave`.)

        >>> Tensor([1, 2]).repeat(2, 2).tolist()
        [[1, 2, 1, 2], [1, 2, 1, 2]]
        """
        if not sizes:
            raise TypeError("repeat: give how many copies to make along each axis "
                            "(t.repeat(2, 1) stacks a matrix's rows twice)")
        sizes = tuple(_shape_args(sizes))
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 0
                   for n in sizes):
            raise ValueError(f"repeat: the sizes must be ints >= 0, got {sizes}")
        if len(sizes) < self.data.ndim:
            raise ValueError(f"repeat: needs a size for each of the {self.data.ndim} axes of "
                             f"shape {self.shape} (and more for new axes in front), got {sizes}")
        shape = (1,) * (len(sizes) - self.data.ndim) + self.shape
        # each axis of length n becomes (copies, n): copies broadcast from 1, then merged
        single = tuple(m for n in shape for m in (1, n))
        tiled = tuple(m for r, n in zip(sizes, shape) for m in (int(r), n))
        tiles = (self.reshape(single).broadcast_to(tiled)
                 .reshape(tuple(int(r) * n for r, n in zip(sizes, shape))))
        # a copy, as in PyTorch (with sizes of 1 the reshapes alone give a read-only view)
        return tiles.clone() if np.may_share_memory(tiles.data, self.data) else tiles

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """Elements `start` to `start + length` (not included) along `dim` (a slice; a
        negative start counts from the end).

        >>> Tensor([[1, 2, 3], [4, 5, 6]]).narrow(1, 1, 2).tolist()
        [[2, 3], [5, 6]]
        """
        axis = self._one_axis("narrow", dim)
        n = self.shape[axis]
        for name, value in (("start", start), ("length", length)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise TypeError(f"narrow: {name} must be an int, got {value!r}")
        begin = start + n if start < 0 else start
        if not 0 <= begin <= n or length < 0 or begin + length > n:
            raise ValueError(f"narrow: start {start} and length {length} do not fit in dim "
                             f"{dim} of length {n} (shape {self.shape})")
        return self._slice(axis, begin, begin + length)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple:
        """Pieces along `dim` (a tuple of tensors, slices of this one): of `split_size` each
        (the last one shorter if it does not divide the length), or of the sizes in a list.
        Each piece's gradient goes back to its place.

        >>> [p.tolist() for p in Tensor([1, 2, 3, 4, 5]).split(2)]
        [[1, 2], [3, 4], [5]]
        >>> [p.shape for p in Tensor(np.zeros((2, 5))).split([1, 4], dim=1)]
        [(2, 1), (2, 4)]
        """
        axis = self._one_axis("split", dim)
        n = self.shape[axis]
        size = split_size_or_sections
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            if size < 0 or (size == 0 and n):
                raise ValueError(f"split: split_size must be a positive int, got {size}")
            sizes = [size] * (n // size) + ([n % size] if n % size else []) if n else [0]
        else:
            sizes = list(_ints_or_one("split", "split_size_or_sections", size))
            if any(k < 0 for k in sizes) or sum(sizes) != n:
                raise ValueError(f"split: the sizes {size} must be ints >= 0 that add up to "
                                 f"{n}, the length of dim {dim} (shape {self.shape})")
        starts = np.cumsum([0] + sizes)
        return tuple(self._slice(axis, int(a), int(b)) for a, b in zip(starts, starts[1:]))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """About `chunks` equal pieces along `dim`: PyTorch's rule, pieces of
        ceil(length / chunks) (so there may be fewer than `chunks`; see `split`).

        >>> [p.tolist() for p in Tensor([1, 2, 3, 4, 5, 6]).chunk(4)]
        [[1, 2], [3, 4], [5, 6]]
        """
        if not isinstance(chunks, numbers.Integral) or isinstance(chunks, bool) or chunks < 1:
            raise ValueError(f"chunk: chunks must be an int >= 1, got {chunks!r}")
        axis = self._one_axis("chunk", dim)
        n = self.shape[axis]
        if n == 0:
            return tuple(self._slice(axis, 0, 0) for _ in range(chunks))
        return self.split(-(-n // chunks), axis)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along `dim`, without it: a (3, 4) tensor unbinds to three of shape (4,).

        >>> [r.tolist() for r in Tensor([[1, 2], [3, 4]]).unbind(1)]
        [[1, 3], [2, 4]]
        """
        axis = self._one_axis("unbind", dim)
        lead = (slice(None),) * axis
        return tuple(self[lead + (i,)] for i in range(self.shape[axis]))

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """PyTorch's `unfold`: the windows of `size` elements that start every `step` along
        `dimension` (a time series' sliding windows), as a read-only view. That axis becomes
        the count of windows, (length - size) // step + 1, and a last axis of length `size`
        is added; elements that several windows share get the sum of their gradients. (Not
        `nn.functional.unfold`, which takes an image's patches.)

        >>> Tensor([0, 1, 2, 3, 4, 5]).unfold(0, 3, 2).tolist()
        [[0, 1, 2], [2, 3, 4]]
        >>> Tensor(np.zeros((100, 3))).unfold(0, 24, 1).shape       # (time, channels)
        (77, 3, 24)
        """
        axis = self._one_axis("unfold", dimension)
        for name, value in (("size", size), ("step", step)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise TypeError(f"unfold: {name} must be an int, got {value!r}")
        n = self.shape[axis]
        if not 0 <= size <= n:
            raise ValueError(f"unfold: size {size} does not fit in dim {dimension} of length {n} "
                             f"(shape {self.shape}): windows of 0 to {n} elements")
        if step < 1:
            raise ValueError(f"unfold: step must be an int >= 1, got {step}")
        return apply(Windows, (self,), (axis, int(size), int(step)))

    def _one_axis(self, name: str, dim: Any) -> int:
        if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
            raise TypeError(f"{name}: dim must be one int, got {dim!r}")
        if self.data.ndim == 0:
            raise ValueError(f"{name}: a 0-d tensor has no dim {dim}")
        (axis,) = _axes(dim, self.data.ndim, name, self.shape)
        return axis

    def _slice(self, axis: int, start: int, stop: int) -> Tensor:
        return self[(slice(None),) * axis + (slice(start, stop),)]

    def gather(self, dim: int, index: Any) -> Tensor:
        """PyTorch's `gather`: along `dim`, the elements that `index` (integers, as many dims
        as this tensor) names; elsewhere those at the index's own position. The result has
        the index's shape, which may be shorter than the tensor along the other dims. The
        gradient is added back where the elements came from (a repeated index adds up).

        >>> x = Tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], requires_grad=True)
        >>> picked = x.gather(1, np.array([[1], [0]]))        # each row's label
        >>> picked.tolist()
        [[0.699999988079071], [0.5]]
        >>> picked.sum().backward(); x.grad
        array([[0., 1., 0.],
               [1., 0., 0.]], dtype=float32)
        """
        index = _integer_index("gather", index)
        if self.data.ndim == 0:
            if index.ndim != 0:
                raise ValueError(f"gather: a 0-d tensor takes a 0-d index, got shape "
                                 f"{index.shape}")
            return self.reshape(1).gather(0, index.reshape(1)).reshape(())
        if self.data.ndim == 1 and index.ndim == 0:     # PyTorch counts a 0-d index as 1-d
            return self.gather(dim, index.reshape(1)).reshape(())
        axis = self._one_axis("gather", dim)
        if index.ndim != self.data.ndim:
            raise ValueError(f"gather: the index needs as many dims as the tensor ("
                             f"{self.data.ndim}, shape {self.shape}), got shape {index.shape}")
        if any(m > n for a, (m, n) in enumerate(zip(index.shape, self.shape)) if a != axis):
            raise ValueError(f"gather: an index of shape {index.shape} is longer than the "
                             f"tensor's shape {self.shape} outside dim {dim}")
        _check_index_range("gather", index, self.shape, axis, dim)
        x = self
        if any(m != n for a, (m, n) in enumerate(zip(index.shape, self.shape)) if a != axis):
            x = self[tuple(slice(None) if a == axis else slice(0, m)
                           for a, m in enumerate(index.shape))]
        return apply(Gather, (x,), (axis, index))

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        """`gather` with the indices broadcast against the tensor (all elements, flattened,
        with dim=None): see `autograd.arrays.take_along_dim`."""
        from .arrays import take_along_dim
        return take_along_dim(self, indices, dim)

    def rot90(self, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
        """The tensor turned by k quarter turns in the plane of `dims`."""
        from .arrays import rot90
        return rot90(self, k, dims)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The slices at `index` (1-d integers, or one number) along `dim`, in that order
        (repeats allowed: their gradients add up).

        >>> Tensor([[1, 2, 3], [4, 5, 6]]).index_select(1, np.array([2, 0, 2])).tolist()
        [[3, 1, 3], [6, 4, 6]]
        """
        index = _integer_index("index_select", index)
        if index.ndim > 1:
            raise ValueError(f"index_select: the index must be 1-d (or 0-d), got shape "
                             f"{index.shape}")
        if self.data.ndim == 0:
            return self.reshape(1).index_select(0, index).reshape(())
        axis = self._one_axis("index_select", dim)
        _check_index_range("index_select", index, self.shape, axis, dim)
        return self[(slice(None),) * axis + (index.reshape(-1),)]

    def masked_select(self, mask: Any) -> Tensor:
        """The elements where the bool `mask` (broadcast with t) is True, as a 1-d tensor in
        row-major order (PyTorch's `masked_select`, numpy's t[mask]); the gradient goes back
        to those places, 0 elsewhere.

        >>> x = Tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
        >>> x.masked_select(x > 0).sum().backward(); x.grad
        array([[1., 0.],
               [1., 0.]], dtype=float32)
        """
        mask, shape = broadcast_mask("masked_select", mask, self.shape)
        x = self if self.shape == shape else self.broadcast_to(shape)
        return x[mask]

    def repeat_interleave(self, repeats: Any = None, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        """Each slice along `dim` `repeats` times in a row (PyTorch's `repeat_interleave`,
        numpy's `np.repeat`); `repeats` is an int or one count per slice (a 1-d integer
        tensor), and without `dim` the tensor is flattened first. The copies' gradients add
        up. With no `repeats`, the tensor holds the counts: 0 repeats[0] times, 1 repeats[1]
        times, ... (PyTorch's `torch.repeat_interleave(repeats)`).

        >>> x = Tensor([[1, 2], [3, 4]])
        >>> x.repeat_interleave(2).tolist(), x.repeat_interleave(Tensor([1, 2]), dim=0).tolist()
        ([1, 1, 2, 2, 3, 3, 4, 4], [[1, 2], [3, 4], [3, 4]])
        >>> Tensor([1, 0, 2]).repeat_interleave().tolist()
        [0, 2, 2]
        """
        if repeats is None:
            if dim is not None or self.data.ndim != 1:
                raise ValueError(f"repeat_interleave: with no repeats the tensor is the counts "
                                 f"(1-d, no dim), got shape {self.shape} and dim={dim!r}")
            counts, x, axis = self, Tensor(np.arange(self.shape[0])), 0
        else:
            counts = repeats
            x, axis = ((self.reshape(-1), 0) if dim is None
                       else (self, self._one_axis("repeat_interleave", dim)))
        n = x.shape[axis]
        counts = _integer_index("repeat_interleave", counts)
        if counts.ndim > 1 or counts.size not in (1, n):
            raise ValueError(f"repeat_interleave: repeats must be one int or one per slice "
                             f"({n} along dim {0 if dim is None else dim}), got shape "
                             f"{counts.shape}")
        if counts.size and counts.min() < 0:
            raise ValueError(f"repeat_interleave: repeats must be >= 0, got {counts.min()}")
        index = np.repeat(np.arange(n), counts.reshape(-1))
        if output_size is not None and output_size != index.size:
            raise ValueError(f"repeat_interleave: output_size={output_size!r}, but the repeats "
                             f"add up to {index.size}")
        return x.index_select(axis, index)

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        """PyTorch's `index_add`: t with alpha * (slice i of `source` along `dim`) added to
        the slice index[i] of t; a repeated index adds up (t[index] = values would keep one).
        d/dt = g, d/dsource = alpha * g.index_select(dim, index).

        >>> t = Tensor([0.0, 0.0, 0.0])
        >>> t.index_add(0, np.array([0, 0, 2]), Tensor([1.0, 1.0, 1.0]))
        Tensor([2., 0., 1.])
        >>> t.index_add(0, np.array([2]), Tensor([5.0]), alpha=0.5)
        Tensor([0. , 0. , 2.5])
        """
        return self + self._index_added("index_add", dim, index, source, alpha)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """PyTorch's `scatter_add`: t with each element of `src` added at the place that
        `index` (integers, as many dims as t) names along `dim`, at its own position along
        the other dims (for dim 0: t[index[i, j], j] += src[i, j]); a repeated index adds up.
        Only src's first index.shape elements are used. d/dt = g, d/dsrc = g.gather(dim,
        index) (padded with zeros to src's shape).

        >>> t = Tensor([[0.0, 0.0, 0.0]])
        >>> t.scatter_add(1, np.array([[0, 0, 2]]), Tensor([[1.0, 2.0, 3.0]]))
        Tensor([[3., 0., 3.]])
        """
        return self + self._scatter_added("scatter_add", dim, index, src)

    def scatter_reduce(self, dim: int, index: Any, src: Any, reduce: str, *,
                       include_self: bool = True) -> Tensor:
        """PyTorch's `scatter_reduce`: each element of `src` reduced into the place of t that
        `index` names along `dim` (as scatter_add places it), by reduce="sum", "mean",
        "amax" or "amin"; t's own element takes part unless include_self=False (a place no
        element reaches keeps t's). Differentiable as PyTorch's: "amax"/"amin" split the
        gradient evenly among the elements equal to the result. A graph attention's stable
        softmax shifts each node's scores by their largest:

        >>> scores, dst = Tensor([1.0, 3.0, 2.0]), np.array([0, 0, 1])
        >>> Tensor([0.0, 0.0, 0.0]).scatter_reduce(0, dst, scores, "amax", include_self=False)
        Tensor([3., 2., 0.])
        """
        if reduce not in ("sum", "mean", "amax", "amin"):
            hint = (" (reduce='prod' is not supported here: exp of a scatter_add of logs, for "
                    "positive numbers)" if reduce == "prod" else "")
            raise ValueError(f"scatter_reduce: reduce must be 'sum', 'mean', 'amax' or 'amin', "
                             f"got {reduce!r}{hint}")
        if reduce == "mean" and self.data.dtype.kind != "f":
            raise TypeError(f"scatter_reduce: reduce='mean' needs a floating tensor, got "
                            f"{self.data.dtype} (t.float() first)")
        src, places = self._scatter_operands("scatter_reduce", dim, index, src, None, None)
        if self.data.ndim == 0:             # a 0-d tensor: as a 1-d one of one element
            flat = _integer_index("scatter_reduce", index).reshape(-1)
            return self.reshape(1).scatter_reduce(0, flat, src.reshape(-1), reduce,
                                                  include_self=include_self).reshape(())
        counted = np.ones(self.shape, bool)
        if not include_self:
            counted[places] = False
        return apply(ScatterReduce, (self, src), (reduce, places, counted))

    def scatter_reduce_(self, dim: int, index: Any, src: Any, reduce: str, *,
                        include_self: bool = True) -> Tensor:
        """`scatter_reduce` in place (as `scatter_`: a constant or an op's result takes a
        value in a graph, recorded; a parameter only under no_grad()); returns the tensor."""
        if self._fn is graph.Leaf and graph.grad_mode.enabled:
            self._check_writable("scatter_reduce_", "")     # a parameter: refused, named
        try:
            self[...] = self.scatter_reduce(dim, index, src, reduce, include_self=include_self)
        except (ValueError, TypeError, IndexError) as error:    # (named as called)
            message = str(error)
            for own in ("scatter_reduce:", "setitem:"):
                message = message.replace(own, "scatter_reduce_:", 1)
            raise type(error)(message) from None
        return self

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None,
                reduce: str | None = None) -> Tensor:
        """PyTorch's `scatter`: t with each element of `src` written at the place that `index`
        (integers, as many dims as t) names along `dim`, at its own position along the other
        dims (for dim 0: out[index[i, j], j] = src[i, j]). `src` may be a number (or give
        `value=`), written at every place named. Where an index names a place twice, one of
        the values is kept: the last, as on PyTorch's CPU (see `last_writes`). d/dt = g, 0
        where written; d/dsrc = g.gather(dim, index), but 0 for a value overwritten by a later
        one (PyTorch gives it g there too, though it changes nothing). reduce='add' adds instead
        (`scatter_add`), reduce='multiply' multiplies (numbers only: no gradient, as in
        PyTorch).

        >>> t = Tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> t.scatter(1, np.array([[2], [0]]), Tensor([[5.0], [7.0]])).tolist()
        [[0.0, 0.0, 5.0], [7.0, 0.0, 0.0]]
        >>> t.scatter(0, np.array([[1, 0, 1]]), 1.0).tolist()
        [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
        """
        src, places = self._scatter_operands("scatter", dim, index, src, value, reduce)
        if reduce == "add":
            return self.scatter_add(dim, index, src)
        if reduce == "multiply":
            if self._wants_graph() or src._wants_graph():
                raise RuntimeError("scatter: reduce='multiply' has no gradient (nor in "
                                   "PyTorch); for numbers only, use it under no_grad() or on "
                                   "t.detach()")
            out = self.data.copy()
            np.multiply.at(out, places, src.data)
            return Tensor(out)
        if self.data.ndim == 0:
            flat = _integer_index("scatter", index).reshape(-1)
            return self.reshape(1).scatter(dim, flat, src.reshape(-1)).reshape(())
        kept = np.ones(self.shape, bool)
        kept[places] = False
        if self.data.size - np.count_nonzero(kept) != src.data.size:    # a place named twice
            return self._put_at("scatter", _flat_positions(places, self.shape), src, False)
        return apply(IndexPut, (self, src), (places, kept))

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None,
                 reduce: str | None = None) -> Tensor:
        """`scatter` in place (as `t[places] = src`: an op's result or a constant takes a
        value in a graph, recorded; a parameter only under no_grad()); returns the tensor.

        >>> Tensor([0.0, 0.0, 0.0]).scatter_(0, np.array([2, 0]), Tensor([5.0, 7.0]))
        Tensor([7., 0., 5.])
        """
        src, places = self._scatter_operands("scatter_", dim, index, src, value, reduce)
        if reduce == "add":
            return self.scatter_add_(dim, index, src)
        if self.data.ndim == 0:             # a 0-d tensor: every index is 0, the place itself
            places, src = (), src.reshape(-1)[-1] if src.data.size else None
            if src is None:
                return self
        if reduce == "multiply":
            instead = "t = t.scatter(dim, index, src, reduce='multiply') under no_grad()"
            self._refuse_graph_operand("scatter_", src, instead)
            factors = np.ones(self.shape, self.data.dtype)
            np.multiply.at(factors, places, src.data)
            return self._arithmetic_(np.multiply, "scatter_", factors, 1, instead)
        if self._fn is graph.Leaf and graph.grad_mode.enabled:
            self._check_writable("scatter_", "")        # a parameter: refused, naming scatter_
        if places:
            written = np.zeros(self.shape, bool)
            written[places] = True
            if np.count_nonzero(written) != src.data.size:
                # a place named twice: its last value stays (see `last_writes`), which
                # t[places] = src does not promise (and refuses in a graph)
                self[...] = self.scatter(dim, index, src)
                return self
        try:
            self[places] = src
        except (ValueError, TypeError) as error:        # (setitem's errors, named as called)
            raise type(error)(str(error).replace("setitem:", "scatter_:", 1)) from None
        return self

    def _wants_graph(self) -> bool:
        return self._fn is not None and graph.grad_mode.enabled

    def _scatter_operands(self, name: str, dim: int, index: Any, src: Any, value: Any,
                          reduce: Any) -> tuple[Tensor, tuple]:
        """scatter's src (a Tensor of this dtype, cut to the index's shape; a number made one)
        and the places it goes to (numpy's index), once the arguments are checked."""
        if reduce not in (None, "add", "multiply"):
            raise ValueError(f"{name}: reduce must be 'add' or 'multiply' (or left out), got "
                             f"{reduce!r}")
        if (src is None) == (value is None):
            raise TypeError(f"{name}: give src (a tensor or a number) or value= (a number), "
                            f"once")
        if src is None or not isinstance(src, (Tensor, np.ndarray, list, tuple)):
            number = value if src is None else src
            if not isinstance(number, (numbers.Real, np.generic)) or isinstance(number, str):
                raise TypeError(f"{name}: src must be a Tensor or a number, got "
                                f"{type(number).__name__}")
            shape = np.shape(_integer_index(name, index))
            from .creation import _filled       # (creation builds on Tensor: imported here)
            src = Tensor(_filled(name, shape, number, self.data.dtype))
        index = _integer_index(name, index)
        src = self._source(name, src)
        if self.data.ndim == 1:
            # PyTorch counts a 0-d index or src as 1-d (one element), so the one-hot label of
            # its tutorials, zeros(10).scatter_(0, tensor(y), value=1), works
            index = index.reshape(1) if index.ndim == 0 else index
            src = src.reshape(1) if src.data.ndim == 0 else src
        if self.data.ndim == 0:
            self.reshape(1)._scatter_operands(name, dim, index.reshape(-1), src.reshape(-1),
                                              None, reduce)      # (checks only)
            return src, ()
        axis = self._one_axis(name, dim)
        if index.ndim != self.data.ndim or src.data.ndim != self.data.ndim:
            raise ValueError(f"{name}: the index and src need as many dims as the tensor "
                             f"(shape {self.shape}), got shapes {index.shape} and {src.shape}")
        if any(m > n for m, n in zip(index.shape, src.shape)) or any(
                m > n for a, (m, n) in enumerate(zip(index.shape, self.shape)) if a != axis):
            raise ValueError(f"{name}: an index of shape {index.shape} must be no longer than "
                             f"src {src.shape} along every dim, and than the tensor "
                             f"{self.shape} outside dim {dim}")
        _check_index_range(name, index, self.shape, axis, dim)
        if src.shape != index.shape:        # (only the first index.shape elements are used)
            src = src[tuple(slice(0, m) for m in index.shape)]
        return src, along_axis(index, axis)

    # in place: the rules of add_ (a parameter only under no_grad(), a view written through)
    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        """`index_add` in place (see `add_`); returns the tensor itself.

        >>> Tensor([0.0, 0.0, 0.0]).index_add_(0, np.array([0, 0]), Tensor([1.0, 1.0]))
        Tensor([2., 0., 0.])
        """
        instead = "t = t.index_add(dim, index, source)"
        added = self._index_added("index_add_", dim, index, source, alpha)
        return self._arithmetic_(np.add, "index_add_", added, 1, instead)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """`scatter_add` in place (see `add_`); returns the tensor itself."""
        instead = "t = t.scatter_add(dim, index, src)"
        added = self._scatter_added("scatter_add_", dim, index, src)
        return self._arithmetic_(np.add, "scatter_add_", added, 1, instead)

    def _source(self, name: str, source: Any) -> Tensor:
        """index_add's `source`, scatter_add's `src`: a Tensor of this dtype (numbers and
        arrays are made so; a Tensor of another dtype is refused, as PyTorch does)."""
        if not isinstance(source, Tensor):
            return Tensor(np.asarray(source, dtype=self.data.dtype))
        if source.data.dtype != self.data.dtype:
            raise TypeError(f"{name}: the source is {source.data.dtype} and the tensor "
                            f"{self.data.dtype}; they must have one dtype, as in PyTorch "
                            f"(source.to(t.dtype))")
        return source

    def _index_added(self, name: str, dim: int, index: Any, source: Any, alpha: Any) -> Tensor:
        """zeros like t, with alpha * source's slices added at `index` along `dim`."""
        index = _integer_index(name, index)
        if index.ndim > 1:
            raise ValueError(f"{name}: the index must be 1-d, got shape {index.shape}")
        index = index.reshape(-1)
        source = self._source(name, source)
        x = self if self.data.ndim else self.reshape(1)
        axis = x._one_axis(name, dim)
        want = x.shape[:axis] + (index.size,) + x.shape[axis + 1:]
        if source.shape != want and not (self.data.ndim == 0 and source.data.size == 1):
            raise ValueError(f"{name}: with an index of {index.size} along dim {dim}, source "
                             f"must have shape {want} (the tensor's {self.shape} there), got "
                             f"{source.shape}")
        _check_index_range(name, index, x.shape, axis, dim)
        if self.data.ndim == 0:
            source = source.reshape(want)
        # along dim 0 the index array itself, not the tuple (index,): scatter_rows then adds
        # element by element, 5x faster than np.add.at on rows (message passing's sum)
        places = index if axis == 0 else (slice(None),) * axis + (index,)
        added = apply(ScatterAdd, (source,), (places, x.shape))
        if self.data.ndim == 0:
            added = added.reshape(())
        return added if alpha == 1 else added * alpha

    def _scatter_added(self, name: str, dim: int, index: Any, src: Any) -> Tensor:
        """zeros like t, with src's elements added where `index` sends them along `dim`."""
        src, places = self._scatter_operands(name, dim, index, src, None, None)
        if self.data.ndim == 0:             # a 0-d tensor: as a 1-d one of one element
            return self.reshape(1)._scatter_added(name, dim, _integer_index(name, index)
                                                  .reshape(-1), src.reshape(-1)).reshape(())
        return apply(ScatterAdd, (src,), (places, self.shape))

    # -- t[index] (writing into it is in autograd/tensor_in_place.py) --------------------------

    def __getitem__(self, index: Any) -> Tensor:
        index = _raw_index(index)
        try:
            return apply(GetItem, (self,), index)
        except IndexError as e:
            hint = (": a 0-d tensor holds one number, t.item() (a loss: loss.item(), not "
                    "loss[0] or loss.data[0])" if self.data.ndim == 0 else "")
            raise IndexError(f"getitem: {e} (tensor of shape {self.shape}){hint}") from None
        except ValueError as e:                     # a slice's step of 0
            raise ValueError(f"getitem: {e} (tensor of shape {self.shape})") from None


def last_writes(positions: np.ndarray, size: int) -> np.ndarray:
    """For each of `size` places, which of the writes to the flat `positions` (in order) lands
    there last: its index in `positions`, or -1 where none lands. Of a place named twice the
    last write stays, as on PyTorch's CPU (always under torch.use_deterministic_algorithms;
    its docs leave it undefined): index_copy, index_put, put and scatter keep that one, and
    give the values that are overwritten no gradient, since they change nothing. (numpy's
    `a[positions] = v` does not promise which of a repeat stays: repeats go by np.unique.)

    >>> last_writes(np.array([2, 0, 2]), 4)
    array([ 1, -1,  2, -1])
    """
    last = np.full(size, -1)
    last[positions] = np.arange(positions.size)
    if np.count_nonzero(last >= 0) != positions.size:      # a place named more than once
        places, first = np.unique(positions[::-1], return_index=True)
        last[places] = positions.size - 1 - first
    return last


def broadcast_mask(op: str, mask: Any, shape: tuple) -> tuple[np.ndarray, tuple]:
    """A bool mask (an array, a list or a Tensor) broadcast with a tensor's `shape`: (the mask
    at the shape both broadcast to, that shape); a clear error for any other mask."""
    mask = np.asarray(mask.data if isinstance(mask, graph.Node) else mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"{op}: the mask must be bool, got dtype {mask.dtype} (a comparison "
                        f"gives one: t > 0)")
    try:
        both = np.broadcast_shapes(shape, mask.shape)
    except ValueError:
        raise ValueError(f"{op}: the mask of shape {mask.shape} does not broadcast with the "
                         f"tensor's shape {shape}") from None
    return np.broadcast_to(mask, both), both


def _flat_positions(places: tuple, shape: tuple) -> np.ndarray:
    """The flat positions, in a tensor of `shape`, of numpy's integer-array index `places`."""
    return np.ravel_multi_index(np.broadcast_arrays(*places), shape)


def _reshape_error(name: str, x: Tensor, shape: tuple, error: Exception) -> Exception:
    """The error of `x.reshape(*shape)` (or view, view_as, ...: `name`, the method called) that
    numpy refused with `error`: sizes that are not ints, or that do not fit x's elements."""
    try:
        shape = _shape_args(shape)
        ints = all(hasattr(n, "__index__") for n in shape)     # np.int64, a 0-d int Tensor too
    except TypeError:                                   # x.view(2.5): not even a sequence
        ints = False
    if not ints:
        return TypeError(f"{name}: the shape must be ints (-1 for one size to infer), got "
                         f"{shape if len(shape) != 1 else shape[0]!r}")
    if isinstance(error, TypeError):                    # not the shape's fault: as it was
        return error
    if min(shape, default=0) < -1:
        return ValueError(f"{name}: invalid size {min(shape)} in the shape {shape}: a size is "
                          f"an int >= 0, or -1 (once) for the size to infer")
    return ValueError(f"{name}: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                      f"into {shape}")
