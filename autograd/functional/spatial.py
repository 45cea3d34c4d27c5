"""What convolution and pooling share: their settings per spatial axis (kernel_size, stride,
padding, dilation: an int or one per axis) checked, their inputs (N, C, L), (N, C, H, W) and
(N, C, D, H, W) checked, the hints for the likely mix-ups (a missing channel or batch axis,
channels last), and the error for a kernel larger than the padded input.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .arguments import _floating, _is_int


def _pair(name: str, what: str, value: Any, least: int) -> tuple[int, int]:
    """An int or a pair of ints, checked to be >= least, as (h, w)."""
    return _sizes(name, what, value, least, 2)


def _sizes(name: str, what: str, value: Any, least: int, axes: int) -> tuple:
    """An int (the same for every axis) or one int per axis, each checked to be >= least.

    >>> _sizes("conv3d", "stride", 2, 1, 3), _sizes("conv3d", "stride", [1, 2, 2], 1, 3)
    ((2, 2, 2), (1, 2, 2))
    """
    if value.__class__ is int and value >= least:      # the usual case, settled at once
        return (value,) * axes
    if _is_int(value):
        sizes: tuple = (value,) * axes
    elif isinstance(value, (tuple, list, np.ndarray)):
        sizes = tuple(value)
    else:                           # (a float or a string is not iterable, or iterates wrongly)
        sizes = ()
    if len(sizes) != axes or not all(_is_int(v) for v in sizes) or min(sizes) < least:
        several = {2: "a pair", 3: "a triple"}.get(axes, f"{axes}")
        raise ValueError(f"{name}: {what} must be an int >= {least} or {several} of them, "
                         f"got {value!r}")
    return tuple(int(v) for v in sizes)


def _channels(count: int) -> str:
    """"1 channel", "4 channels": for the errors that count an input's channels."""
    return f"{count} channel{'' if count == 1 else 's'}"


def _axis_names(axes: int) -> str:
    """The spatial axes' names in shapes and errors: "L", "H, W" or "D, H, W"."""
    return ("L", "H, W", "D, H, W")[axes - 1]


def _end_padding(extra: tuple) -> tuple:
    """`pad`'s widths (last axis first) for `extra[i]` cells at the end of spatial axis i.

    >>> _end_padding((1, 0))                  # one more row at the bottom
    (0, 0, 0, 1)
    """
    return tuple(w for e in reversed(extra) for w in (0, e))


def _image_batch(name: Any, x: Any) -> Tensor:
    x = _floating(name, x)
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 4-d input (N, C, H, W), got shape "
                         f"{x.shape}{_image_hint(x.shape)}")
    return x


def _image_hint(shape: tuple, channels: int | None = None) -> str:
    """For a 3-d input, the reshape that fits a layer taking `channels` (None: any): (4, 28, 28)
    is most likely four one-channel images whose channel axis was forgotten, unless 4 channels
    are what the layer takes. For a 2-d input, rows that are flattened square images.

    >>> _image_hint((64, 784), channels=1)
    '; each row of 784 numbers fits one flattened 1×28×28 image: x.reshape(-1, 1, 28, 28)'
    """
    if len(shape) == 2:
        return _flat_image_hint(shape[1], channels)
    return _missing_axis_hint(shape, channels, "image", ("H", "W"))


def _flat_image_hint(size: int, channels: int | None) -> str:
    """The reshape for rows of `size` numbers that are flattened square images of `channels`
    channels (None: one, else three), as MNIST comes from `load_mnist` (784 = 28 · 28). The
    batch size is left as -1: in `fit` the shape in the error is a batch's, not the data's."""
    for c in (1, 3) if channels is None else (channels,):
        side = math.isqrt(size // c)
        if side > 1 and c * side * side == size:
            return (f"; each row of {size} numbers fits one flattened {c}×{side}×{side} "
                    f"image: x.reshape(-1, {c}, {side}, {side})")
    return ""


def _missing_axis_hint(shape: tuple, channels: int | None, kind: str, sizes: tuple) -> str:
    """The reshape for an input one axis short of (N, C, *sizes): a batch whose channel axis
    was forgotten, or one example without its batch axis (which of them the layer's `channels`
    tells, when given). The batch's reshape leaves its size as -1, which also fits the whole
    data set when the shape is a batch's (in `fit`)."""
    if len(shape) != 1 + len(sizes):
        return ""
    n, rest = shape[0], ", ".join(map(str, shape[1:]))
    batch = f"; for a batch of {n} one-channel {kind}s: x.reshape(-1, 1, {rest})"
    one = (f"; for one {kind} of {n} channel{'' if n == 1 else 's'} add a batch dimension: "
           f"x.reshape(1, {n}, {rest}), then [0] of the result for PyTorch's unbatched "
           f"shape")
    if channels is None and n == 1:             # both readings are the same reshape
        return (f"; for one one-channel {kind} add its batch and channel axes: "
                f"x.reshape(1, 1, {rest})")
    if channels is None:
        return batch + one
    if channels == n:
        return one
    if channels == 1:
        return batch
    return f"; the layer takes {kind}s of {channels} channels, (N, {channels}, {', '.join(sizes)})"


def _volume_batch(name: str, x: Any, channels: int | None = None) -> Tensor:
    x = _floating(name, x)
    if x.ndim != 5:
        raise ValueError(f"{name}: expected a 5-d input (N, C, D, H, W), got shape "
                         f"{x.shape}{_volume_hint(x.shape, channels)}")
    return x


def _volume_hint(shape: tuple, channels: int | None = None) -> str:
    """For a 4-d input, the reshape that fits a layer taking `channels` (None: any)."""
    return _missing_axis_hint(shape, channels, "volume", ("D", "H", "W"))


def _volume_channels_last_hint(shape: tuple, channels: int) -> str:
    """For (N, D, H, W, C) (channels last), the transpose to PyTorch's (N, C, D, H, W)."""
    if len(shape) != 5 or shape[4] != channels or shape[1] == channels:
        return ""
    return ("; it looks like channels-last volumes (N, D, H, W, C): make them (N, C, D, H, W) "
            "with x.transpose(0, 4, 1, 2, 3)")


def _channels_last_hint(shape: tuple, channels: int) -> str:
    """For a 4-d input whose last axis, not axis 1, has the expected channels: the transpose
    from channels-last (N, H, W, C) (PIL, matplotlib, TensorFlow) to PyTorch's (N, C, H, W)."""
    if len(shape) != 4 or shape[3] != channels or shape[1] == channels:
        return ""
    return ("; it looks like channels-last images (N, H, W, C): make them (N, C, H, W) with "
            "x.transpose(0, 3, 1, 2)")


def _check_fits(name: Any, x_shape: tuple, kernel: tuple, geo: Any) -> tuple:
    """The output size, or an error when the (dilated) kernel is larger than the padded input."""
    out = geo.output_size(x_shape[2:], kernel)
    if min(out) < 1:
        padded = tuple(n + 2 * p for n, p in zip(x_shape[2:], geo.padding))
        reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, geo.dilation))
        raise ValueError(f"{name}: the input of shape {x_shape} ({_axis_names(len(kernel))} "
                         f"padded: {padded}) is "
                         f"smaller than the kernel, which spans {reach}")
    return out


def _single(name: Any, what: str, value: Any, least: int) -> int:
    """An int or a 1-element tuple, checked to be >= least. A pair is refused: on a height of
    1 its first number would fall on the height (stride=(2, 1) would silently be stride 1)."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not _is_int(value) or value < least:
        raise ValueError(f"{name}: {what} must be an int or a 1-element tuple (one number for "
                         f"the length), at least {least}, got {value!r}")
    return int(value)


def _sequence_hint(shape: tuple, channels: int | None = None) -> str:
    """For a 2-d input, the reshape that fits a layer taking `channels` (None: any)."""
    return _missing_axis_hint(shape, channels, "sequence", ("L",))


def _length_first_hint(shape: tuple, channels: int) -> str:
    """For (N, L, C) (channels last), the transpose to PyTorch's (N, C, L)."""
    if len(shape) != 3 or shape[2] != channels or shape[1] == channels:
        return ""
    return ("; it looks like channels-last sequences (N, L, C): make them (N, C, L) with "
            "x.transpose(0, 2, 1)")


def _sequence_batch(name: Any, x: Any, channels: int | None = None) -> Tensor:
    x = _floating(name, x)
    if x.ndim != 3:
        raise ValueError(f"{name}: expected a 3-d input (N, C, L), got shape "
                         f"{x.shape}{_sequence_hint(x.shape, channels)}")
    return x


def _fits_1d(name: Any, shape: tuple, length: int, padding: int, kernel: int,
             dilation: int) -> None:
    """An error, in the 1-d shapes, when the (dilated) kernel is longer than the padded input
    of `length` (with ceil_mode's extra cells, for a pool)."""
    reach = dilation * (kernel - 1) + 1
    if reach > length + 2 * padding:
        raise ValueError(f"{name}: the input of shape {shape} (L padded: {length + 2 * padding})"
                         f" is shorter than the kernel, which spans {reach}")
