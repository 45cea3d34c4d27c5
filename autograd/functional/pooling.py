"""Pooling with PyTorch's argument names and defaults (NCHW): `max_pool2d`, `max_pool3d`,
`avg_pool2d`, `avg_pool3d`, the adaptive ones (`adaptive_avg_pool2d/3d`,
`adaptive_max_pool2d/3d`) and the 1-d family (each the 2-d one on a height of 1). Max pooling
is an op, `MaxPool2d` / `MaxPool3d` in autograd/ops/pool.py; average pooling is a convolution
with a constant kernel (functional/convolution.py), adaptive average pooling products with
averaging matrices, adaptive max pooling a `gather` of each window's maximum. The max pools'
indices (`return_indices=True`) go back in through `max_unpool1d/2d/3d`, an op too
(`MaxUnpool`).
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import numpy as np

from ..graph import apply
from ..ops import MaxPool2d
from ..ops.conv import Geometry
from ..ops.pool import MaxPool3d, MaxUnpool, PoolCtx, UnpoolCtx, window_maxima
from ..tensor import Tensor
from .arguments import _floating, _is_int, _yes_or_no
from .convolution import _conv2d, _conv3d
from .padding import pad
from .spatial import (
    _axis_names, _check_fits, _end_padding, _fits_1d, _image_batch, _sequence_batch, _single,
    _sizes, _volume_batch,
)


def _pool_geometry(name: Any, x: Tensor, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any = 1, ceil_mode: bool = False) -> tuple:
    """The kernel, the geometry, and the rows and columns `ceil_mode` adds at the bottom and
    right (checked: the windows fit the input)."""
    axes = x.ndim - 2
    kernel = _sizes(name, "kernel_size", kernel_size, 1, axes)
    geo = Geometry(kernel if stride is None else _sizes(name, "stride", stride, 1, axes),
                   _sizes(name, "padding", padding, 0, axes),
                   _sizes(name, "dilation", dilation, 1, axes), 1)
    if any(2 * p > k for p, k in zip(geo.padding, kernel)):
        raise ValueError(f"{name}: padding {geo.padding} must be at most half the kernel "
                         f"{kernel}")
    ceil_mode = _yes_or_no(name, "ceil_mode", ceil_mode)
    extra = _ceil_mode_extra(x.shape[2:], kernel, geo) if ceil_mode else (0,) * axes
    extended = tuple(n + e for n, e in zip(x.shape[2:], extra))
    if min(geo.output_size(extended, kernel)) < 1:      # even with ceil_mode's rows, columns
        _check_fits(name, x.shape, kernel, geo)         # (raises, naming the input's shape)
    return kernel, geo, extra


def _ceil_mode_extra(size: tuple, kernel: tuple, geo: Geometry) -> tuple:
    """ceil_mode=True: the output size is rounded up, so the last window may run past the
    padded input; the rows and columns to add at the bottom and right for it. As in PyTorch,
    a last window must start inside the input or its left padding.

    >>> _ceil_mode_extra((5, 4), (2, 2), Geometry((2, 2), (0, 0), (1, 1), 1))  # 3 x 2 windows
    (1, 0)
    """
    extra = []
    for n, k, s, p, d in zip(size, kernel, geo.stride, geo.padding, geo.dilation):
        reach, padded = d * (k - 1) + 1, n + 2 * p
        out = -(-(padded - reach) // s) + 1                       # rounded up
        if (out - 1) * s >= n + p:                                # starts in the right padding
            out -= 1
        extra.append(max(0, (out - 1) * s + reach - padded) if out >= 1 else 0)
    return tuple(extra)


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of each kernel_size window of x (N, C, H, W), moving by `stride` (default:
    the kernel, so windows tile the input); padding counts as -inf. The gradient goes to each
    window's first maximum (PyTorch's rule on ties). `ceil_mode` rounds the output size up
    (a last, partial window), as in PyTorch. Differentiable to any order. With
    return_indices=True also where each maximum is (PyTorch's indices: its place in the
    flattened H·W plane, an int64 Tensor), for `max_unpool2d`.

    >>> x = Tensor([[[[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0]]]], requires_grad=True)
    >>> y = max_pool2d(x, 2); y.data
    array([[[[4., 5.]]]], dtype=float32)
    >>> y.sum().backward(); x.grad[0, 0]
    array([[0., 0., 1., 0.],
           [0., 1., 0., 0.]], dtype=float32)
    >>> max_pool2d(x, 2, return_indices=True)[1].data       # 4 at row 1, column 1: 1·4 + 1
    array([[[[5, 2]]]])
    """
    return _max_pool2d("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def _max_pool2d(name: Any, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                ceil_mode: bool, return_indices: bool = False) -> Any:
    """max_pool2d, its errors naming `name` (the function, or the `nn.MaxPool2d` layer)."""
    return _max_pool(name, _image_batch(name, x), kernel_size, stride, padding, dilation,
                     ceil_mode, MaxPool2d, return_indices)


def max_pool3d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of each kernel_size window (kd, kh, kw) of volumes x (N, C, D, H, W):
    max_pool2d with one more axis (each setting an int or a triple), the same rules (padding
    counts as -inf, the gradient goes to each window's first maximum, `ceil_mode`;
    return_indices=True: places in the flattened D·H·W volume).

    >>> max_pool3d(Tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2)), 2).data
    array([[[[[7.]]]]])
    """
    return _max_pool3d("max_pool3d", x, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def _max_pool3d(name: Any, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                ceil_mode: bool, return_indices: bool = False) -> Any:
    """max_pool3d, its errors naming `name` (the function, or the `nn.MaxPool3d` layer)."""
    return _max_pool(name, _volume_batch(name, x), kernel_size, stride, padding, dilation,
                     ceil_mode, MaxPool3d, return_indices)


def _max_pool(name: Any, x: Tensor, kernel_size: Any, stride: Any, padding: Any,
              dilation: Any, ceil_mode: bool, op: type, return_indices: bool = False) -> Any:
    """max_pool2d's and max_pool3d's pooling of a checked x (N, C, ...), by the `op` node;
    with return_indices, also the place of each maximum in its flattened plane."""
    kernel, geo, extra = _pool_geometry(name, x, kernel_size, stride, padding, dilation,
                                        ceil_mode)
    shape = x.shape
    if any(extra):
        x = pad(x, _end_padding(extra), value=-np.inf)
    ctx = PoolCtx(kernel, geo, geo.output_size(x.shape[2:], kernel), x.shape)
    y = apply(op, (x,), ctx)
    if return_indices is False or not _yes_or_no(name, "return_indices", return_indices):
        return y
    places, inside = window_maxima(ctx, shape[2:])  # the op found each window's maximum
    if not inside:                                  # (dilation can step over the whole input)
        raise ValueError(f"{name}: a window of the input of shape {tuple(shape)} holds "
                         f"padding only (its dilated taps step over the input), so its maximum, "
                         f"-inf, has no index; use less padding or dilation")
    return y, Tensor(places)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each kernel_size window of x (N, C, H, W): a convolution of every channel
    with a constant kernel, so it is differentiable to any order. PyTorch's options: padding
    counts as zeros in the mean unless count_include_pad=False (then each window is divided by
    its number of input pixels); `ceil_mode` rounds the output size up (a last, partial window,
    divided by the cells it covers up to the padding's end); `divisor_override` replaces every
    divisor.

    >>> avg_pool2d(Tensor([[[[1.0, 3.0, 5.0, 7.0]]]]), (1, 2)).data
    array([[[[2., 6.]]]], dtype=float32)
    >>> avg_pool2d(Tensor([[[[1.0, 3.0]]]]), (1, 2), padding=(0, 1)).data    # (0 + 1) / 2
    array([[[[0.5, 1.5]]]], dtype=float32)
    >>> avg_pool2d(Tensor([[[[1.0, 3.0]]]]), (1, 2), padding=(0, 1), count_include_pad=False).data
    array([[[[1., 3.]]]], dtype=float32)
    """
    return _avg_pool("avg_pool2d", _image_batch("avg_pool2d", x), kernel_size, stride, padding,
                     ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each kernel_size window (kd, kh, kw) of volumes x (N, C, D, H, W):
    avg_pool2d with one more axis (each setting an int or a triple), the same options.

    >>> avg_pool3d(Tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2)), (2, 1, 1)).data[0, 0, 0]
    array([[2., 3.],
           [4., 5.]])
    """
    return _avg_pool("avg_pool3d", _volume_batch("avg_pool3d", x), kernel_size, stride, padding,
                     ceil_mode, count_include_pad, divisor_override)


def _avg_pool(name: Any, x: Tensor, kernel_size: Any, stride: Any, padding: Any,
              ceil_mode: bool, count_include_pad: bool, divisor_override: Any) -> Tensor:
    """avg_pool2d's and avg_pool3d's pooling of a checked x (N, C, ...): each channel
    convolved with a constant kernel, divided by each window's count. Errors name `name` (the
    function, or the layer)."""
    _check_divisor(name, divisor_override)
    count_include_pad = _yes_or_no(name, "count_include_pad", count_include_pad)
    kernel, geo, extra = _pool_geometry(name, x, kernel_size, stride, padding,
                                        ceil_mode=ceil_mode)
    if any(extra):
        x = pad(x, _end_padding(extra))
    (n, c), sizes = x.shape[:2], x.shape[2:]
    if divisor_override is not None:
        divisor: Any = divisor_override
    elif count_include_pad and not any(extra):
        divisor = math.prod(kernel)                 # the same for every window
    else:
        divisor = _window_counts(tuple(s - e for s, e in zip(sizes, extra)),
                                 geo.output_size(sizes, kernel), kernel, geo, count_include_pad)
    weight = 1.0 / divisor if np.isscalar(divisor) else 1.0     # scale in the kernel: one op
    # the labels tell a step page's reader why a pooling shows up as a convolution
    share = f"1/{divisor}" if np.isscalar(divisor) and divisor > 1 else f"{weight:.4g}"
    ones = Tensor(np.full((1, 1) + kernel, weight, dtype=x.dtype),
                  label=f"avg_pool weights: {share} each")
    channels = x.reshape(n * c, 1, *sizes)
    channels.label = "each channel alone"
    convolve = _conv2d if len(kernel) == 2 else _conv3d
    y = convolve(name, channels, ones, None, geo.stride, geo.padding, 1, 1)
    y.label = "window means" if np.isscalar(divisor) else "window sums"
    y = y.reshape(n, c, *y.shape[2:])
    if np.isscalar(divisor):
        return y
    return y * Tensor((1.0 / divisor).astype(x.dtype), label="1 / pixels in each window")


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Tensor:
    """The mean of each of output_size (Ho, Wo) windows that cover x (N, C, H, W) or (C, H, W),
    whatever its size: PyTorch's windows, row i spanning floor(i·H/Ho) to ceil((i+1)·H/Ho)
    (they overlap by a row when Ho does not divide H). `output_size` is an int, a pair, or a
    pair with None for "keep that size". `output_size=1` is global average pooling.

    Each output is a weighted sum of its window's pixels, weights 1/window size, so the whole
    pooling is two matrix products, rows (Ho, H) @ x @ columns (W, Wo): differentiable to any
    order, and as fast for uneven windows as for even ones.

    >>> x = Tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])     # (C, H, W) = (1, 2, 3)
    >>> adaptive_avg_pool2d(x, (1, 2)).data                  # windows: columns 0-1 and 1-2
    array([[[3., 4.]]], dtype=float32)
    >>> adaptive_avg_pool2d(x, (None, 1)).data               # keep the rows, average each
    array([[[2.],
            [5.]]], dtype=float32)
    """
    return _adaptive_avg_pool2d("adaptive_avg_pool2d", x, output_size)


def _adaptive_avg_pool2d(name: Any, x: Any, output_size: Any) -> Tensor:
    """`adaptive_avg_pool2d`, its errors naming `name` (the function, or the layer)."""
    x = _floating(name, x)
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise ValueError(f"{name}: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input with "
                         f"non-empty C, H and W, got shape {x.shape}")
    height, width = x.shape[-2:]
    out_height, out_width = _adaptive_size(name, output_size, (height, width))
    rows = _averaging_matrix(height, out_height, x.dtype)
    columns = _averaging_matrix(width, out_width, x.dtype)
    return Tensor(rows) @ x @ Tensor(columns.T)


def _adaptive_size(name: Any, output_size: Any, size: tuple) -> tuple:
    """(Ho, Wo) from an int, a pair of ints, or a pair with None (the input's size there); for
    a volume's `size` (D, H, W), (Do, Ho, Wo) from an int or a triple."""
    if _is_int(output_size):
        sizes: tuple = (output_size,) * len(size)
    elif isinstance(output_size, (tuple, list)):
        sizes = tuple(output_size)
    else:
        sizes = ()
    if len(sizes) != len(size) or not all(v is None or (_is_int(v) and v >= 1) for v in sizes):
        several = "a pair" if len(size) == 2 else "a triple"
        raise ValueError(f"{name}: output_size must be an int >= 1 or {several} of them (None "
                         f"in the {several[2:]} keeps the input's size), got {output_size!r}")
    return tuple(n if v is None else int(v) for n, v in zip(size, sizes))


def adaptive_avg_pool3d(x: Any, output_size: Any) -> Tensor:
    """The mean of each of output_size (Do, Ho, Wo) windows that cover volumes
    x (N, C, D, H, W) or (C, D, H, W), whatever their size: adaptive_avg_pool2d with one more
    axis (PyTorch's windows; `output_size` an int, a triple, or a triple with None for "keep
    that size"). Three matrix products, so differentiable to any order.

    >>> adaptive_avg_pool3d(Tensor(np.arange(8.0).reshape(1, 2, 2, 2)), (1, None, 1)).data
    array([[[[2.5],
             [4.5]]]])
    """
    return _adaptive_avg_pool3d("adaptive_avg_pool3d", x, output_size)


def _adaptive_avg_pool3d(name: Any, x: Any, output_size: Any) -> Tensor:
    """`adaptive_avg_pool3d`, its errors naming `name` (the function, or the layer): the depth
    averaged by one product over the (H·W) planes, then each plane as adaptive_avg_pool2d."""
    x = _adaptive_volume(name, x)
    *lead, depth, height, width = x.shape
    out_depth, out_height, out_width = _adaptive_size(name, output_size, (depth, height, width))
    planes = Tensor(_averaging_matrix(depth, out_depth, x.dtype)) @ \
        x.reshape(*lead, depth, height * width)
    planes = planes.reshape(*lead, out_depth, height, width)
    rows = _averaging_matrix(height, out_height, x.dtype)
    columns = _averaging_matrix(width, out_width, x.dtype)
    return Tensor(rows) @ planes @ Tensor(columns.T)


def _adaptive_volume(name: Any, x: Any) -> Tensor:
    """x as the 3-d adaptive pools take it: (N, C, D, H, W) or one volume (C, D, H, W)."""
    x = _floating(name, x)
    if x.ndim not in (4, 5) or 0 in x.shape[-4:]:
        raise ValueError(f"{name}: expected a 4-d (C, D, H, W) or 5-d (N, C, D, H, W) input "
                         f"with non-empty C, D, H and W, got shape {x.shape}")
    return x


def _averaging_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    """(out, size): row i is 1/len over PyTorch's adaptive window i, floor(i·size/out) to
    ceil((i+1)·size/out), and 0 elsewhere.

    >>> _averaging_matrix(3, 2, np.float64)
    array([[0.5, 0.5, 0. ],
           [0. , 0.5, 0.5]])
    """
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = _adaptive_window(i, size, out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def _check_divisor(name: Any, divisor_override: Any) -> None:
    if divisor_override is not None and (not _is_int(divisor_override) or divisor_override < 1):
        raise ValueError(f"{name}: divisor_override must be an int >= 1 or None, got "
                         f"{divisor_override!r}")


def _window_counts(size: tuple, out_size: tuple, kernel: tuple, geo: Geometry,
                   include_padding: bool) -> np.ndarray:
    """(Ho, Wo): how many cells of each window lie inside the input of `size` (H, W)
    (`include_padding`: inside the padded input) — avg_pool2d's divisors. Rows and columns
    count separately, so each is a product of two numbers.

    >>> _window_counts((3, 3), (2, 2), (2, 2), Geometry((2, 2), (1, 1), (1, 1), 1), False)
    array([[1., 2.],
           [2., 4.]])
    """
    counts = []
    for n, out, k, s, p in zip(size, out_size, kernel, geo.stride, geo.padding):
        starts = np.arange(out) * s - p                # the windows' first cell, input coords
        if include_padding:
            counts.append(np.minimum(starts + k, n + p) - starts)
        else:
            counts.append(np.minimum(starts + k, n) - np.maximum(starts, 0))
    return functools.reduce(np.multiply.outer, counts).astype(float)


def _pool1d_arguments(name: Any, x: Any, kernel_size: Any, stride: Any, padding: Any,
                      dilation: Any = 1, ceil_mode: Any = False) -> tuple:
    """x as (N, C, 1, L) and the 2-d pools' (kernel, stride, padding, dilation) pairs of a 1-d
    pool, checked here so that errors name `name` and the 1-d shapes."""
    x = _sequence_batch(name, x)
    kernel = _single(name, "kernel_size", kernel_size, 1)
    step = kernel if stride is None else _single(name, "stride", stride, 1)
    padding, dilation = _single(name, "padding", padding, 0), _single(name, "dilation", dilation, 1)
    if 2 * padding > kernel:
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel {kernel}")
    extra = 0
    if _yes_or_no(name, "ceil_mode", ceil_mode):
        extra = _ceil_mode_extra((1, x.shape[2]), (1, kernel),
                                 Geometry((1, step), (0, padding), (1, dilation), 1))[1]
    _fits_1d(name, x.shape, x.shape[2] + extra, padding, kernel, dilation)
    return (x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]), (1, kernel), (1, step),
            (0, padding), (1, dilation))


def _drop_height(y: Tensor) -> Tensor:
    return y.reshape(y.shape[0], y.shape[1], y.shape[3])


def max_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of each kernel_size window of x (N, C, L): max_pool2d on a height of 1
    (padding counts as -inf; the gradient goes to each window's first maximum;
    return_indices=True: also each maximum's place along L).

    >>> max_pool1d(Tensor([[[1.0, 5.0, 2.0, 0.0, 3.0]]]), 2).data      # the last 3 is left out
    array([[[5., 2.]]], dtype=float32)
    """
    return _max_pool1d("max_pool1d", x, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def _max_pool1d(name: Any, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                ceil_mode: bool, return_indices: bool = False) -> Any:
    x, kernel, stride, padding, dilation = _pool1d_arguments(name, x, kernel_size, stride,
                                                             padding, dilation, ceil_mode)
    pooled = _max_pool(name, x, kernel, stride, padding, dilation, ceil_mode, MaxPool2d,
                       return_indices)
    if isinstance(pooled, tuple):                  # (output, indices): a plane of height 1
        return _drop_height(pooled[0]), _drop_height(pooled[1])
    return _drop_height(pooled)


def avg_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean of each kernel_size window of x (N, C, L): avg_pool2d on a height of 1, with
    PyTorch's options (padding counts as zeros unless count_include_pad=False).

    >>> avg_pool1d(Tensor([[[1.0, 3.0, 5.0]]]), 2, padding=1).data       # (0 + 1) / 2, ...
    array([[[0.5, 4. ]]], dtype=float32)
    """
    return _avg_pool1d("avg_pool1d", x, kernel_size, stride, padding, ceil_mode,
                       count_include_pad)


def _avg_pool1d(name: Any, x: Any, kernel_size: Any, stride: Any, padding: Any,
                ceil_mode: bool, count_include_pad: bool) -> Tensor:
    count_include_pad = _yes_or_no(name, "count_include_pad", count_include_pad)
    x, kernel, stride, padding, _ = _pool1d_arguments(name, x, kernel_size, stride, padding,
                                                      ceil_mode=ceil_mode)
    return _drop_height(avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad))


def adaptive_avg_pool1d(x: Any, output_size: Any) -> Tensor:
    """The mean of each of output_size windows that cover x (N, C, L) or (C, L), whatever its
    length, with PyTorch's windows: adaptive_avg_pool2d on a height of 1.

    >>> adaptive_avg_pool1d(Tensor([[1.0, 2.0, 3.0]]), 2).data          # windows 0-1 and 1-2
    array([[1.5, 2.5]], dtype=float32)
    """
    return _adaptive_avg_pool1d("adaptive_avg_pool1d", x, output_size)


def _adaptive_avg_pool1d(name: Any, x: Any, output_size: Any) -> Tensor:
    x = _floating(name, x)
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise ValueError(f"{name}: expected a 2-d (C, L) or 3-d (N, C, L) input with non-empty "
                         f"C and L, got shape {x.shape}")
    size, (*lead, length) = _adaptive_size_1d(name, output_size), x.shape
    averaging = Tensor(_averaging_matrix(length, size, x.dtype))           # (Lo, L)
    if x.ndim == 3 and x.data.transpose(2, 0, 1).flags.c_contiguous:
        # a length-major conv1d's output ((N, C, L) stored (L, N, C): ops/conv.py): its rows
        # (L, N·C) are a view, so the means are one product whose result, and gradient, keep
        # that layout (x @ averagingᵀ copied x into C order, and its gradient came back C-ordered
        # to meet the length-major ReLU before it: 268 -> 50 µs for (64, 32, 48), s30)
        rows = x.permute(2, 0, 1).reshape(length, -1)
        return (averaging @ rows).reshape(size, *lead).permute(1, 2, 0)
    return x @ averaging.T


def _adaptive_size_1d(name: Any, output_size: Any) -> int:
    if isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = output_size[0]
    if not _is_int(output_size) or output_size < 1:
        raise ValueError(f"{name}: output_size must be an int >= 1 or a 1-element tuple, got "
                         f"{output_size!r}")
    return int(output_size)


def adaptive_max_pool2d(x: Any, output_size: Any, return_indices: bool = False) -> Any:
    """The maximum of each of output_size (Ho, Wo) windows that cover x (N, C, H, W) or
    (C, H, W), whatever its size, with adaptive_avg_pool2d's windows (PyTorch's). With
    return_indices=True also where each maximum is, as an index into the flattened H·W plane
    (an int64 Tensor, PyTorch's). The gradient goes to each window's first maximum (a window
    holding NaN: its last NaN), as in PyTorch.

    >>> x = Tensor([[[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]])     # (C, H, W) = (1, 2, 3)
    >>> y, where = adaptive_max_pool2d(x, (1, 2), return_indices=True)
    >>> y.data, where.data                                    # windows: columns 0-1 and 1-2
    (array([[[5., 6.]]], dtype=float32), array([[[1, 5]]]))
    """
    y, index = _adaptive_max_pool2d("adaptive_max_pool2d", x, output_size)
    return (y, Tensor(index)) if return_indices else y


def _adaptive_max_pool2d(name: Any, x: Any, output_size: Any) -> tuple[Tensor, np.ndarray]:
    """`adaptive_max_pool2d` and its indices, its errors naming `name` (the function, or the
    layer). The maxima are found in numpy, one window at a time (there are Ho · Wo, of uneven
    sizes); the result is one `gather` of them, whose gradient scatters g back onto them."""
    x = _floating(name, x)
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise ValueError(f"{name}: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input with "
                         f"non-empty C, H and W, got shape {x.shape}")
    return _adaptive_max_pool(name, x, output_size, 2)


def _adaptive_max_pool(name: Any, x: Tensor, output_size: Any, axes: int
                       ) -> tuple[Tensor, np.ndarray]:
    """The adaptive max pooling of x's last `axes` axes, and where each maximum is (an index
    into those axes flattened): each window's first maximum found in numpy, then one `gather`
    of them all (its gradient scatters g back onto them)."""
    lead, sizes = x.shape[:-axes], x.shape[-axes:]
    out = _adaptive_size(name, output_size, sizes)
    index = np.empty((*lead, *out), dtype=np.int64)
    windows = [[slice(*_adaptive_window(i, n, o)) for i in range(o)] for n, o in zip(sizes, out)]
    steps = [math.prod(sizes[axis + 1:]) for axis in range(axes)]   # of each axis, flattened
    for position, bounds in zip(itertools.product(*map(range, out)), itertools.product(*windows)):
        cells = math.prod(b.stop - b.start for b in bounds)   # (not -1: an empty batch has none)
        k = _first_maximum(x.data[(Ellipsis,) + bounds].reshape(*lead, cells))    # row-major
        flat = 0
        for window, step in zip(bounds[:0:-1], steps[:0:-1]):     # the last axis first
            k, offset = np.divmod(k, window.stop - window.start)
            flat = flat + (window.start + offset) * step
        index[(Ellipsis,) + position] = flat + (bounds[0].start + k) * steps[0]
    flat = x.reshape(*lead, math.prod(sizes)).gather(-1, index.reshape(*lead, math.prod(out)))
    return flat.reshape(index.shape), index


def adaptive_max_pool3d(x: Any, output_size: Any, return_indices: bool = False) -> Any:
    """The maximum of each of output_size (Do, Ho, Wo) windows that cover volumes
    x (N, C, D, H, W) or (C, D, H, W): adaptive_max_pool2d with one more axis; with
    return_indices=True also where each maximum is, an index into the flattened D·H·W volume
    (an int64 Tensor, PyTorch's).

    >>> y, where = adaptive_max_pool3d(Tensor(np.arange(8.0).reshape(1, 2, 2, 2)), 1, True)
    >>> y.data, where.data
    (array([[[[7.]]]]), array([[[[7]]]]))
    """
    y, index = _adaptive_max_pool3d("adaptive_max_pool3d", x, output_size)
    return (y, Tensor(index)) if return_indices else y


def _adaptive_max_pool3d(name: Any, x: Any, output_size: Any) -> tuple[Tensor, np.ndarray]:
    return _adaptive_max_pool(name, _adaptive_volume(name, x), output_size, 3)


def _first_maximum(values: np.ndarray) -> np.ndarray:
    """Along the last axis: the index of the first maximum, or of the last NaN where there is
    one (PyTorch's running maximum takes every NaN it meets; np.argmax would stop at the
    first)."""
    nan = np.isnan(values)
    last_nan = values.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    return np.where(nan.any(axis=-1), last_nan, np.argmax(values, axis=-1))


def _adaptive_window(i: int, size: int, out: int) -> tuple[int, int]:
    """PyTorch's adaptive window i of `out` over `size` cells: floor(i·size/out) to
    ceil((i+1)·size/out), end excluded."""
    return (i * size) // out, -(-((i + 1) * size) // out)


def adaptive_max_pool1d(x: Any, output_size: Any, return_indices: bool = False) -> Any:
    """The maximum of each of output_size windows that cover x (N, C, L) or (C, L), whatever
    its length (adaptive_max_pool2d on a height of 1); return_indices=True also gives where
    each maximum is along L (an int64 Tensor).

    >>> adaptive_max_pool1d(Tensor([[1.0, 3.0, 2.0]]), 2, return_indices=True)[1].data
    array([[1, 1]])
    """
    y, index = _adaptive_max_pool1d("adaptive_max_pool1d", x, output_size)
    return (y, Tensor(index)) if return_indices else y


def _adaptive_max_pool1d(name: Any, x: Any, output_size: Any) -> tuple[Tensor, np.ndarray]:
    x = _floating(name, x)
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise ValueError(f"{name}: expected a 2-d (C, L) or 3-d (N, C, L) input with non-empty "
                         f"C and L, got shape {x.shape}")
    size = _adaptive_size_1d(name, output_size)
    y, index = _adaptive_max_pool2d(name, x.reshape(x.shape[:-1] + (1, x.shape[-1])), (1, size))
    return y.reshape(x.shape[:-1] + (size,)), index.reshape(x.shape[:-1] + (size,))


def max_unpool2d(x: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    """max_pool2d undone as far as it can be: each value of x (N, C, H, W) put back at its
    place, `indices` (max_pool2d's, with return_indices=True), in planes of zeros. The planes'
    size is (H - 1)·stride - 2·padding + kernel_size (and the same for W), or `output_size`,
    (Ho, Wo) or (N, C, Ho, Wo), within a stride of it: pass the pooled input's shape when the
    pooling left cells out. Values with the same index: the last one stays (and only it gets a
    gradient). Differentiable to any order: its gradient reads g back at the places.

    >>> x = Tensor([[[[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0]]]])
    >>> y, where = max_pool2d(x, 2, return_indices=True)
    >>> max_unpool2d(y, where, 2).data
    array([[[[0., 0., 5., 0.],
             [0., 4., 0., 0.]]]], dtype=float32)
    """
    return _max_unpool("max_unpool2d", x, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool1d(x: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    """max_pool1d undone: each value of x (N, C, L) put back at its place along a length of
    (L - 1)·stride - 2·padding + kernel_size (or `output_size`), zeros elsewhere; see
    `max_unpool2d`.

    >>> y, where = max_pool1d(Tensor([[[1.0, 5.0, 2.0, 0.0, 3.0]]]), 2, return_indices=True)
    >>> max_unpool1d(y, where, 2, output_size=(5,)).data
    array([[[0., 5., 2., 0., 0.]]], dtype=float32)
    """
    return _max_unpool("max_unpool1d", x, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool3d(x: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    """max_pool3d undone: each value of volumes x (N, C, D, H, W) put back at its place in
    the flattened D·H·W volume, zeros elsewhere; see `max_unpool2d`.

    >>> x = Tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2))
    >>> max_unpool3d(*max_pool3d(x, 2, return_indices=True), 2).data.ravel()
    array([0., 0., 0., 0., 0., 0., 0., 7.])
    """
    return _max_unpool("max_unpool3d", x, indices, kernel_size, stride, padding, output_size, 3)


def _unpool_settings(name: Any, kernel_size: Any, stride: Any, padding: Any, axes: int) -> tuple:
    """max_unpool's kernel, stride (default: the kernel) and padding, one int per axis."""
    def sizes(what: str, value: Any, least: int) -> tuple:
        if axes == 1:
            return (_single(name, what, value, least),)
        return _sizes(name, what, value, least, axes)
    kernel = sizes("kernel_size", kernel_size, 1)
    return kernel, kernel if stride is None else sizes("stride", stride, 1), \
        sizes("padding", padding, 0)


def _max_unpool(name: Any, x: Any, indices: Any, kernel_size: Any, stride: Any, padding: Any,
                output_size: Any, axes: int) -> Tensor:
    """max_unpool1d/2d/3d, its errors naming `name` (the function, or the layer)."""
    x = (_sequence_batch, _image_batch, _volume_batch)[axes - 1](name, x)
    kernel, stride, padding = _unpool_settings(name, kernel_size, stride, padding, axes)
    index = indices.data if isinstance(indices, Tensor) else indices
    if not isinstance(index, np.ndarray) or index.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be an integer Tensor (max_pool{axes}d's, with "
                        f"return_indices=True), got {_described(indices)}")
    if index.shape != x.shape:
        raise ValueError(f"{name}: indices of shape {index.shape} must have the input's shape "
                         f"{x.shape} (one place for each value)")
    sizes = _unpool_size(name, x.shape, kernel, stride, padding, output_size)
    plane = math.prod(sizes)
    if index.size and (index.min() < 0 or index.max() >= plane):
        bad = index.min() if index.min() < 0 else index.max()
        raise ValueError(f"{name}: index {bad} is out of range for output planes "
                         f"({_axis_names(axes)}) of size {sizes}, places 0 to {plane - 1}; "
                         f"if the pooling left cells out, pass its input's shape as output_size")
    return apply(MaxUnpool, (x,), UnpoolCtx(x.shape, x.shape[:2] + sizes, index))


def _described(value: Any) -> str:
    """A value as an error shows it: an array by its dtype, anything else by its type."""
    return f"dtype {value.dtype}" if hasattr(value, "dtype") else type(value).__name__


def _unpool_size(name: Any, shape: tuple, kernel: tuple, stride: tuple, padding: tuple,
                 output_size: Any) -> tuple:
    """The unpooled planes' sizes: max_pool's output size rule inverted, or `output_size`
    ((sizes) or (N, C, sizes)) if each is within a stride of that (PyTorch's rule).

    >>> _unpool_size("max_unpool2d", (1, 1, 2, 2), (2, 2), (2, 2), (0, 0), (1, 1, 5, 4))
    (5, 4)
    """
    axes = len(kernel)
    default = tuple((n - 1) * s - 2 * p + k for n, k, s, p in
                    zip(shape[2:], kernel, stride, padding))
    if output_size is None:
        return default
    given = tuple(output_size) if isinstance(output_size, (tuple, list)) else ()
    if len(given) == axes + 2:
        given = given[2:]
    if len(given) != axes or not all(_is_int(v) for v in given):
        raise ValueError(f"{name}: output_size must be the ints ({_axis_names(axes)}) or "
                         f"(N, C, {_axis_names(axes)}), got {output_size!r}")
    if any(not d - s < v < d + s for v, d, s in zip(given, default, stride)):
        low = tuple(d - s + 1 for d, s in zip(default, stride))
        high = tuple(d + s - 1 for d, s in zip(default, stride))
        raise ValueError(f"{name}: output_size {tuple(given)} cannot come from this pooling: "
                         f"with kernel_size {kernel}, stride {stride} and padding {padding}, "
                         f"an input of shape {shape} unpools to {default}; each size must be "
                         f"from {low} to {high} (within a stride)")
    return tuple(int(v) for v in given)
