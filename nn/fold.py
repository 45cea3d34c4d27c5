"""Sliding windows as columns and back: `unfold` (im2col) and `fold` (col2im), with their
layers `Unfold` and `Fold`, PyTorch's names, arguments and layout. A convolution is an unfold,
one matrix product and a reshape; fold adds overlapping windows back up, so fold(unfold(x))
counts each pixel once per window that covers it.

>>> import numpy as np
>>> from autograd import Tensor
>>> x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3))
>>> unfold(x, kernel_size=2).data[0]             # (C·kh·kw, L): the four 2x2 windows
array([[0., 1., 3., 4.],
       [1., 2., 4., 5.],
       [3., 4., 6., 7.],
       [4., 5., 7., 8.]])
>>> fold(unfold(x, 2), output_size=3, kernel_size=2).data[0, 0]     # x times its windows
array([[ 0.,  2.,  2.],
       [ 6., 16., 10.],
       [ 6., 14.,  8.]])
"""

from __future__ import annotations

from typing import Any

from autograd import Tensor
from autograd.functional.arguments import _floating
from autograd.functional.spatial import _pair
from autograd.graph import apply
from autograd.ops.conv import Fold as FoldOp, FoldCtx, Geometry, Unfold as UnfoldOp

from .module import Module

__all__ = ["unfold", "fold", "Unfold", "Fold"]


def unfold(input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Every kernel_size window of x (N, C, H, W) (or one image (C, H, W)) as a column:
    (N, C·kh·kw, L), L the number of windows, in row-major order; rows ordered channel, then
    kernel row, then kernel column. `dilation`, `padding` (zeros) and `stride` as in conv2d.
    Differentiable to any order (its gradient is `fold`).
    """
    return _unfold("unfold", input, kernel_size, dilation, padding, stride)


def _unfold(name: str, x: Any, kernel_size: Any, dilation: Any, padding: Any,
            stride: Any) -> Tensor:
    kernel, geo = _geometry(name, kernel_size, dilation, padding, stride)
    x = _floating(name, x)
    if x.ndim not in (3, 4):
        raise ValueError(f"{name}: expected a 4-d input (N, C, H, W) or one image (C, H, W), "
                         f"got shape {x.shape}")
    one = x.ndim == 3
    images = x.reshape(1, *x.shape) if one else x
    blocks = geo.output_size(images.shape[2:], kernel)
    if min(blocks) < 1:
        raise ValueError(f"{name}: the input's height and width {images.shape[2:]} (padded by "
                         f"{geo.padding} on each side) hold no {kernel} window of dilation "
                         f"{geo.dilation}; shape {x.shape}")
    cols = apply(UnfoldOp, (images,), FoldCtx(kernel, geo, images.shape))
    return cols.reshape(*cols.shape[1:]) if one else cols


def fold(input: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """The inverse layout of `unfold`: columns (N, C·kh·kw, L) (or (C·kh·kw, L)) put back as
    windows of an image (N, C, H, W) of output_size (H, W), entries landing on the same pixel
    added up. L must be the number of windows that fit that image. Differentiable to any
    order (its gradient is `unfold`).
    """
    return _fold("fold", input, output_size, kernel_size, dilation, padding, stride)


def _fold(name: str, cols: Any, output_size: Any, kernel_size: Any, dilation: Any,
          padding: Any, stride: Any) -> Tensor:
    size = _pair(name, "output_size", output_size, 1)
    kernel, geo = _geometry(name, kernel_size, dilation, padding, stride)
    cols = _floating(name, cols)
    if cols.ndim not in (2, 3):
        raise ValueError(f"{name}: expected columns (N, C·kh·kw, L) or (C·kh·kw, L), got shape "
                         f"{cols.shape}")
    one = cols.ndim == 2
    batch = cols.reshape(1, *cols.shape) if one else cols
    n, rows, length = batch.shape
    taps = kernel[0] * kernel[1]
    if rows % taps:
        raise ValueError(f"{name}: the columns' {rows} rows (shape {cols.shape}) are not a "
                         f"multiple of kernel_size {kernel}'s {taps} taps")
    blocks = geo.output_size(size, kernel)
    if min(blocks) < 1 or blocks[0] * blocks[1] != length:
        raise ValueError(f"{name}: output_size {size} with kernel_size {kernel}, dilation "
                         f"{geo.dilation}, padding {geo.padding}, stride {geo.stride} holds "
                         f"{max(blocks[0], 0)} x {max(blocks[1], 0)} windows, but the columns "
                         f"(shape {cols.shape}) hold {length}")
    image = apply(FoldOp, (batch,), FoldCtx(kernel, geo, (n, rows // taps) + size))
    return image.reshape(*image.shape[1:]) if one else image


def _geometry(name: str, kernel_size: Any, dilation: Any, padding: Any,
              stride: Any) -> tuple[tuple, Geometry]:
    return _pair(name, "kernel_size", kernel_size, 1), Geometry(
        _pair(name, "stride", stride, 1), _pair(name, "padding", padding, 0),
        _pair(name, "dilation", dilation, 1), 1)


class Unfold(Module):
    """`unfold` as a layer: (N, C, H, W) -> (N, C·kh·kw, L), every window a column.

    >>> Unfold(kernel_size=(2, 3), stride=2)
    Unfold(kernel_size=(2, 3), dilation=1, padding=0, stride=2)
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        _geometry("Unfold", kernel_size, dilation, padding, stride)       # bad sizes fail here
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, x: Any) -> Tensor:
        return _unfold(repr(self), x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """`fold` as a layer: columns (N, C·kh·kw, L) -> (N, C, H, W) of output_size, overlapping
    windows added up.

    >>> Fold(output_size=(4, 5), kernel_size=2)
    Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        _pair("Fold", "output_size", output_size, 1)                      # bad sizes fail here
        _geometry("Fold", kernel_size, dilation, padding, stride)
        self.output_size, self.kernel_size, self.dilation = output_size, kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, cols: Any) -> Tensor:
        return _fold(repr(self), cols, self.output_size, self.kernel_size, self.dilation,
                     self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
