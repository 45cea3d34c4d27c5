"""The padding layers, each one call of `pad` (autograd.functional) with a fixed mode and
widths: `ZeroPad1d`/`2d`/`3d`, `ConstantPad1d`/`2d`/`3d` (a given value),
`ReflectionPad1d`/`2d`/`3d` (mirrored, the edge not repeated),
`ReplicationPad1d`/`2d`/`3d` (the edge repeated) and `CircularPad1d`/`2d`/`3d`
(wrapped around). PyTorch's names, arguments, reprs and numbers.

`padding` is one int for every side, or PyTorch's tuple: (left, right) for the 1d layers,
(left, right, top, bottom) for the 2d ones, (left, right, top, bottom, front, back) for the 3d
ones. The 1d layers pad the last axis of (C, L) or (N, C, L), the 2d layers the last two of
(C, H, W) or (N, C, H, W), the 3d layers the last three of (C, D, H, W) or (N, C, D, H, W); the
zero and constant ones take any input with at least that many axes, and a negative width crops.

>>> import numpy as np
>>> from autograd import Tensor
>>> ReflectionPad1d(2)(Tensor([[[1.0, 2.0, 3.0]]])).data
array([[[3., 2., 1., 2., 3., 2., 1.]]], dtype=float32)
>>> ZeroPad2d((1, 0, 0, 1))
ZeroPad2d((1, 0, 0, 1))
"""

from __future__ import annotations

import numbers
from typing import Any

from autograd import Tensor
from autograd.functional.arguments import _tensor
from autograd.functional.padding import pad

from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
           "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d",
           "CircularPad2d", "ZeroPad3d", "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d",
           "CircularPad3d"]


class _Pad(Module):
    """`pad(x, self.padding, mode)` for inputs with one (unbatched) or two more axes than the
    `axes` padded."""
    mode = "constant"
    axes = 1

    def __init__(self, padding: int | tuple[int, ...]) -> None:
        self.padding = _widths(type(self).__name__, padding, self.axes)

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x, type(self).__name__)
        if x.ndim not in (self.axes + 1, self.axes + 2):
            sizes = ("L", "H, W", "D, H, W")[self.axes - 1]
            layouts = f"(C, {sizes}) or (N, C, {sizes})"
            raise ValueError(f"{self!r}: expected a {self.axes + 1}-d or {self.axes + 2}-d "
                             f"input {layouts}, got shape {x.shape}")
        return self._pad(x)

    def _pad(self, x: Tensor) -> Tensor:
        try:
            return pad(x, self.padding, self.mode)
        except ValueError as error:         # name the layer, not only the function
            raise ValueError(f"{self!r}: {str(error).removeprefix('pad: ')}") from None

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_Pad):
    """The last axis widened by `value` on each side (`padding`: an int, or (left, right));
    a negative width crops.

    >>> ConstantPad1d((1, 2), 3.5)(Tensor([[1.0]])).data
    array([[3.5, 1. , 3.5, 3.5]], dtype=float32)
    """

    def __init__(self, padding: int | tuple[int, int], value: float) -> None:
        super().__init__(padding)
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"{type(self).__name__}: value must be a number, got {value!r}")
        self.value = value

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x, type(self).__name__)
        if x.ndim < self.axes:
            raise ValueError(f"{self!r}: expected an input with at least {self.axes} "
                             f"{'axes' if self.axes > 1 else 'axis'} to pad, got shape "
                             f"{x.shape}")
        try:
            return pad(x, self.padding, "constant", self.value)
        except ValueError as error:         # name the layer, not only the function
            raise ValueError(f"{self!r}: {str(error).removeprefix('pad: ')}") from None

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    """The last two axes widened by `value` (`padding`: an int, or (left, right, top,
    bottom)); a negative width crops.

    >>> ConstantPad2d((1, 0, 0, 1), 9.0)(Tensor([[[1.0, 2.0], [3.0, 4.0]]])).data[0]
    array([[9., 1., 2.],
           [9., 3., 4.],
           [9., 9., 9.]], dtype=float32)
    """
    axes = 2


class ZeroPad1d(ConstantPad1d):
    """The last axis widened by zeros (`padding`: an int, or (left, right)); a negative width
    crops.

    >>> ZeroPad1d((2, -1))(Tensor([[1.0, 2.0, 3.0]])).data      # two zeros left, one cropped right
    array([[0., 0., 1., 2.]], dtype=float32)
    """

    def __init__(self, padding: int | tuple[int, int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """The last two axes widened by zeros (`padding`: an int, or (left, right, top, bottom));
    a negative width crops.

    >>> ZeroPad2d(1)(Tensor([[[5.0]]])).data[0]
    array([[0., 0., 0.],
           [0., 5., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    axes = 2


class ConstantPad3d(ConstantPad1d):
    """The last three axes widened by `value` (`padding`: an int, or (left, right, top,
    bottom, front, back)); a negative width crops.

    >>> import numpy as np
    >>> cube = ConstantPad3d(1, 0.5)(Tensor(np.ones((1, 1, 1, 1))))
    >>> cube.shape, float(cube.data.sum())                     # the 1, and 26 halves around it
    ((1, 3, 3, 3), 14.0)
    """
    axes = 3


class ZeroPad3d(ZeroPad1d):
    """The last three axes widened by zeros (`padding`: an int, or (left, right, top, bottom,
    front, back)); a negative width crops.

    >>> import numpy as np
    >>> x = ZeroPad3d((0, 0, 0, 0, 1, 1))(Tensor(np.ones((1, 1, 2, 2))))   # one front, one back
    >>> x.data[0].sum(axis=(1, 2))                              # the sum of each depth slice
    array([0., 4., 0.])
    """
    axes = 3


class ReflectionPad1d(_Pad):
    """The last axis of (C, L) or (N, C, L) mirrored at its ends, the edge not repeated:
    [1, 2, 3] padded by 2 is [3, 2, 1, 2, 3, 2, 1]; each width below the axis's length.

    >>> ReflectionPad1d((1, 2))(Tensor([[1.0, 2.0, 3.0]])).data
    array([[2., 1., 2., 3., 2., 1.]], dtype=float32)
    """
    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """The last two axes of (C, H, W) or (N, C, H, W) mirrored at their ends, the edge not
    repeated; each width below its axis's length.

    >>> ReflectionPad2d((1, 0, 1, 0))(Tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])).data[0]
    array([[5., 4., 5., 6.],
           [2., 1., 2., 3.],
           [5., 4., 5., 6.]], dtype=float32)
    """
    axes = 2


class ReplicationPad1d(_Pad):
    """The last axis of (C, L) or (N, C, L) widened by copies of its end values.

    >>> ReplicationPad1d((2, 1))(Tensor([[1.0, 2.0, 3.0]])).data
    array([[1., 1., 1., 2., 3., 3.]], dtype=float32)
    """
    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """The last two axes of (C, H, W) or (N, C, H, W) widened by copies of their edges.

    >>> ReplicationPad2d(1)(Tensor([[[1.0, 2.0], [3.0, 4.0]]])).data[0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]], dtype=float32)
    """
    axes = 2


class CircularPad1d(_Pad):
    """The last axis of (C, L) or (N, C, L) wrapped around: the left pad is the axis's end,
    the right pad its start; each width at most the axis's length.

    >>> CircularPad1d((2, 1))(Tensor([[1.0, 2.0, 3.0]])).data
    array([[2., 3., 1., 2., 3., 1.]], dtype=float32)
    """
    mode = "circular"


class CircularPad2d(CircularPad1d):
    """The last two axes of (C, H, W) or (N, C, H, W) wrapped around (a torus); each width at
    most its axis's length.

    >>> CircularPad2d((1, 0, 1, 0))(Tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])).data[0]
    array([[6., 4., 5., 6.],
           [3., 1., 2., 3.],
           [6., 4., 5., 6.]], dtype=float32)
    """
    axes = 2


class ReflectionPad3d(ReflectionPad1d):
    """The last three axes of (C, D, H, W) or (N, C, D, H, W) mirrored at their ends, the edge
    not repeated; each width below its axis's length.

    >>> import numpy as np
    >>> depth = Tensor(np.arange(2.0).reshape(1, 2, 1, 1))      # D = 2: the values 0, 1
    >>> ReflectionPad3d((0, 0, 0, 0, 1, 1))(depth).data.ravel()
    array([1., 0., 1., 0.])
    """
    axes = 3


class ReplicationPad3d(ReplicationPad1d):
    """The last three axes of (C, D, H, W) or (N, C, D, H, W) widened by copies of their
    edges.

    >>> import numpy as np
    >>> depth = Tensor(np.arange(2.0).reshape(1, 2, 1, 1))      # D = 2: the values 0, 1
    >>> ReplicationPad3d((0, 0, 0, 0, 1, 2))(depth).data.ravel()
    array([0., 0., 1., 1., 1.])
    """
    axes = 3


class CircularPad3d(CircularPad1d):
    """The last three axes of (C, D, H, W) or (N, C, D, H, W) wrapped around; each width at most
    its axis's length.

    >>> import numpy as np
    >>> CircularPad3d((1, 0, 0, 0, 0, 1))(Tensor(np.arange(4.0).reshape(1, 2, 1, 2))).data[0]
    array([[[1., 0., 1.]],
    <BLANKLINE>
           [[3., 2., 3.]],
    <BLANKLINE>
           [[1., 0., 1.]]])
    """
    axes = 3


def _widths(name: str, padding: Any, axes: int) -> tuple[int, ...]:
    """`padding` as PyTorch's tuple of 2 · axes ints: one int is every side."""
    def is_int(p: Any) -> bool:
        return isinstance(p, numbers.Integral) and not isinstance(p, bool)

    if is_int(padding):
        return (int(padding),) * (2 * axes)
    if isinstance(padding, (tuple, list)) and len(padding) == 2 * axes and all(
            is_int(p) for p in padding):
        return tuple(int(p) for p in padding)
    sides = ("(left, right)", "(left, right, top, bottom)",
             "(left, right, top, bottom, front, back)")[axes - 1]
    raise TypeError(f"{name}: padding must be an int or a tuple of {2 * axes} ints {sides}, "
                    f"got {padding!r}")
