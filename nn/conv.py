"""Convolutional layers: `Conv2d`, `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d` (NCHW), and
the 1-d family `Conv1d`, `MaxPool1d`, `AvgPool1d`, `AdaptiveAvgPool1d` (NCL) on top of them;
the transposed convolutions `ConvTranspose2d`, `ConvTranspose1d` (PyTorch's names and layout).

>>> import numpy as np
>>> from autograd import Tensor, manual_seed
>>> from nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
>>> manual_seed(0)
>>> cnn = Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(8 * 14 * 14, 10))
>>> cnn(Tensor(np.zeros((5, 1, 28, 28)))).shape
(5, 10)
>>> cnn[0].weight.shape                  # (out_channels, in_channels / groups, kh, kw)
(8, 1, 3, 3)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd import functional as AF
from autograd.devices import check_device
from autograd.functional.arguments import _floating, _is_int, _yes_or_no
from autograd.functional.convolution import (
    _check_output_padding, _conv1d, _conv2d, _conv3d, _conv_padding, _conv_transpose1d,
    _conv_transpose2d, _conv_transpose3d, _padding_1d, transposed_output_size,
)
from autograd.functional.pooling import (
    _adaptive_avg_pool1d, _adaptive_avg_pool2d, _adaptive_avg_pool3d, _adaptive_max_pool1d,
    _adaptive_max_pool2d, _adaptive_max_pool3d, _adaptive_size, _adaptive_size_1d, _avg_pool,
    _avg_pool1d, _check_divisor, _max_pool1d, _max_pool2d, _max_pool3d, _max_unpool,
    _unpool_settings,
)
from autograd.functional.spatial import (
    _axis_names, _channels, _channels_last_hint, _image_batch, _image_hint, _length_first_hint,
    _sequence_hint, _single, _sizes, _volume_batch, _volume_channels_last_hint, _volume_hint,
)

from . import init
from .module import Module, Parameter

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Conv1d",
           "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "ConvTranspose2d",
           "ConvTranspose1d", "Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d",
           "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
           "not_an_image_batch", "not_a_sequence_batch", "not_a_volume_batch"]


def _check_conv_layer(name: str, in_channels: Any, out_channels: Any, groups: Any,
                      padding_mode: str, device: Any) -> None:
    """The arguments every convolution layer (Conv1d, Conv2d) checks alike, errors naming it."""
    check_device(name, device)
    if not (isinstance(padding_mode, str) and padding_mode in PADDING_MODES):
        raise ValueError(f"{name}: padding_mode must be 'zeros', 'reflect', 'replicate' or "
                         f"'circular', got {padding_mode!r}")
    for what, n in (("in_channels", in_channels), ("out_channels", out_channels),
                    ("groups", groups)):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{name}: {what} must be a positive integer, got {n!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: in_channels {in_channels} and out_channels {out_channels} "
                         f"must both be divisible by groups {groups}")


# PyTorch's padding modes: zeros, or the borders copied from the input (see `F.pad`)
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _padded_by_mode(layer: Module, x: Any, widths: tuple) -> Tensor:
    """x padded by `widths` (pad's order: last axis first) in the layer's padding_mode, for a
    convolution that then pads nothing; an error names the layer."""
    try:
        return AF.pad(x, widths, layer.padding_mode)
    except ValueError as error:             # reflect and circular need a large enough input
        raise ValueError(f"{layer!r}: {str(error).removeprefix('pad: ')}") from None


def _conv_parameters(shape: tuple, bias: bool, dtype: Any, rng: Any,
                     out_channels: int | None = None) -> tuple:
    """A convolution's weight of `shape` (out, in/groups, *kernel) and bias (or None),
    initialised as PyTorch's: both U(±1/√fan_in), fan_in = in/groups · kernel size (the weight
    by kaiming_uniform_ with a = √5). A transposed convolution's weight is (in, out/groups,
    *kernel): its bias has `out_channels` entries, and PyTorch's fan_in is out/groups · kernel
    size, from the weight's shape as for the others."""
    dtype = get_default_dtype() if dtype is None else dtype
    weight = Parameter(np.zeros(shape), dtype)
    size = shape[0] if out_channels is None else out_channels
    bias = Parameter(np.zeros(size), dtype) if bias else None
    _draw_conv_parameters(weight, bias, rng)
    return weight, bias


def _draw_conv_parameters(weight: Parameter, bias: Parameter | None, rng: Any) -> None:
    """`_conv_parameters`' draws, in place: what every convolution's `reset_parameters` does."""
    init.kaiming_uniform_(weight, a=math.sqrt(5), rng=rng)
    if bias is not None:
        bound = 1.0 / math.sqrt(math.prod(weight.shape[1:]))
        init.uniform_(bias, -bound, bound, rng=rng)


class _ConvReset:
    """`reset_parameters` for the convolution layers (a mixin: their other code differs)."""

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """Redraw weight and bias in place as the constructor does (both U(±1/√fan_in)): from
        `rng`, or the shared generator."""
        _draw_conv_parameters(self.weight, self.bias, rng)


class Conv2d(_ConvReset, Module):
    """A 2-D convolution layer: `out_channels` filters of size kernel_size slid over the input.

    weight (out_channels, in_channels/groups, kh, kw) and bias (out_channels,) as in PyTorch, so
    state dicts carry over. Initialised like PyTorch: weight by kaiming_uniform_ with a = √5 and
    bias uniform in ±1/√fan_in (both are U(±1/√fan_in), fan_in = in_channels/groups · kh · kw).
    Input (N, C, H, W), output (N, out_channels, Ho, Wo); see `autograd.functional.conv2d`.
    PyTorch's arguments in PyTorch's order; its padding modes ("zeros", or "reflect",
    "replicate", "circular": the border copied from the image, see `autograd.functional.pad`);
    of its devices, only the CPU (`device="cpu"` or None).

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> blur = Conv2d(1, 1, 3, padding=1, bias=False)
    >>> blur.weight.data[...] = 1 / 9                  # the mean of each 3x3 window
    >>> white = Tensor(np.ones((1, 1, 3, 3)))
    >>> (blur(white).data[0, 0] * 9).round().tolist()   # zeros around it: darker edges
    [[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
    >>> blur.padding_mode = "replicate"                 # the edge pixels repeated instead
    >>> (blur(white).data[0, 0] * 9).round().tolist()
    [[9.0, 9.0, 9.0], [9.0, 9.0, 9.0], [9.0, 9.0, 9.0]]
    """

    axes = 2            # the spatial axes (H, W); 3 for Conv3d, which inherits the rest

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", dtype: Any = None,
                 rng: np.random.Generator | None = None, *, device: Any = None) -> None:
        name = type(self).__name__
        _check_conv_layer(name, in_channels, out_channels, groups, padding_mode, device)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _sizes(name, "kernel_size", kernel_size, 1, self.axes)
        self.stride = _sizes(name, "stride", stride, 1, self.axes)
        self.dilation = _sizes(name, "dilation", dilation, 1, self.axes)
        self.padding, self._extra_padding = _conv_padding(name, padding, self.kernel_size,
                                                          self.stride, self.dilation)
        self._same = padding == "same"         # for the repr: the padding as given
        self.padding_mode = padding_mode
        self.weight, self.bias = _conv_parameters(
            (out_channels, in_channels // groups) + self.kernel_size, bias, dtype, rng)

    def forward(self, x: Any) -> Tensor:
        if isinstance(x, (Tensor, np.ndarray)) and \
                (x.ndim != self.axes + 2 or x.shape[1] != self.in_channels):
            wrong = not_an_image_batch if self.axes == 2 else not_a_volume_batch
            raise wrong(self, x.shape, self.in_channels)
        padding = self.padding
        if self.padding_mode != "zeros":        # the whole border by pad, then none in conv2d
            ends = (self._extra_padding or (0,) * (2 * self.axes))[1::2]     # last axis first
            widths = tuple(w for p, end in zip(reversed(self.padding), ends) for w in (p, p + end))
            x, padding = _padded_by_mode(self, x, widths), 0
        elif self._extra_padding:               # padding="same" with an even kernel
            x = AF.pad(x, self._extra_padding)
        convolve = _conv2d if self.axes == 2 else _conv3d
        return convolve(self, x, self.weight, self.bias, self.stride, padding,
                        self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in (("padding", (0,) * self.axes), ("dilation", (1,) * self.axes)):
            if name == "padding" and self._same:
                text += ", padding='same'"
            elif getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text + ("" if self.padding_mode == "zeros" else
                       f", padding_mode={self.padding_mode}")


class Conv3d(Conv2d):
    """A 3-D convolution layer for volumes (N, C, D, H, W) (video clips, CT and MRI scans):
    `Conv2d` with one more axis, each setting an int or a triple (d, h, w); see
    `autograd.functional.conv3d`. weight (out_channels, in_channels/groups, kd, kh, kw) and
    bias (out_channels,) as in PyTorch, so state dicts carry over both ways; initialised as
    PyTorch (both U(±1/√fan_in), fan_in = in_channels/groups · kd · kh · kw); PyTorch's
    padding modes and "same"/"valid". An unbatched volume (C, D, H, W) is refused with the
    reshape that fits, as `Conv2d` refuses an unbatched image.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> conv = Conv3d(2, 4, (3, 3, 3), stride=(1, 2, 2), padding=1)
    >>> conv, conv.weight.shape, conv(Tensor(np.zeros((1, 2, 8, 16, 16)))).shape
    (Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 2, 2), padding=(1, 1, 1)), (4, 2, 3, 3, 3),
     (1, 4, 8, 8, 8))
    """

    axes = 3


class MaxPool2d(Module):
    """The maximum of each kernel_size window (stride defaults to the kernel: windows tile).
    The gradient goes to each window's first maximum, as in PyTorch. `ceil_mode` rounds the
    output size up (a last, partial window); with `return_indices` it returns (output,
    indices), PyTorch's, for `MaxUnpool2d`. The repr is PyTorch's (return_indices is not in it):

    >>> MaxPool2d(2, dilation=(1, 2), return_indices=True)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=(1, 2), ceil_mode=False)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        _check_pool_arguments("MaxPool2d", kernel_size, stride, padding, dilation)
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride     # as PyTorch stores it
        self.return_indices = _yes_or_no("MaxPool2d", "return_indices", return_indices)
        self.ceil_mode = _yes_or_no("MaxPool2d", "ceil_mode", ceil_mode)

    def forward(self, x: Any) -> Any:
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != 4:
            raise not_an_image_batch(self, x.shape)
        return _max_pool2d(self, x, self.kernel_size, self.stride, self.padding, self.dilation,
                           self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each kernel_size window, with PyTorch's options (see
    `autograd.functional.avg_pool2d`): by default padding counts as zeros in the mean.

    >>> from autograd import Tensor
    >>> AvgPool2d(2)(Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).data[0, 0]   # 2×2 windows
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    >>> ones = Tensor(np.ones((1, 1, 2, 2)))           # each window: one 1 and three pads
    >>> AvgPool2d(2, padding=1)(ones).data.ravel()
    array([0.25, 0.25, 0.25, 0.25])
    >>> AvgPool2d(2, padding=1, count_include_pad=False)(ones).data.ravel()
    array([1., 1., 1., 1.])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        _check_pool_arguments("AvgPool2d", kernel_size, stride, padding, 1)
        _check_divisor("AvgPool2d", divisor_override)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode = _yes_or_no("AvgPool2d", "ceil_mode", ceil_mode)
        self.count_include_pad = _yes_or_no("AvgPool2d", "count_include_pad", count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Any) -> Tensor:
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != 4:
            raise not_an_image_batch(self, x.shape)
        return _avg_pool(self, _image_batch(self, x), self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        options = [(name, getattr(self, name), default) for name, default in (
            ("ceil_mode", False), ("count_include_pad", True), ("divisor_override", None))]
        return _pool_repr(self) + "".join(f", {name}={value}" for name, value, default
                                          in options if value != default)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output_size (Ho, Wo) whatever the input's H and W, with
    PyTorch's windows (see `autograd.functional.adaptive_avg_pool2d`): an int, a pair, or a
    pair with None (keep that size). `AdaptiveAvgPool2d(1)` is global average pooling, the
    usual bridge from the last convolution to a classifier.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> AdaptiveAvgPool2d((2, None))(Tensor(np.zeros((8, 16, 7, 5)))).shape
    (8, 16, 2, 5)
    """

    def __init__(self, output_size: Any) -> None:
        _adaptive_size("AdaptiveAvgPool2d", output_size, (1, 1))     # bad sizes fail here
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        return _adaptive_avg_pool2d(repr(self), x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output_size (Ho, Wo) whatever the input's H and W, with
    PyTorch's windows (see `autograd.functional.adaptive_max_pool2d`): an int, a pair, or a
    pair with None (keep that size). With return_indices=True it returns (output, indices),
    the indices into each flattened H·W plane, as PyTorch's.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> AdaptiveMaxPool2d((2, None))(Tensor(np.zeros((8, 16, 7, 5)))).shape
    (8, 16, 2, 5)
    """

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        _adaptive_size("AdaptiveMaxPool2d", output_size, (1, 1))     # bad sizes fail here
        self.output_size = output_size
        self.return_indices = _yes_or_no("AdaptiveMaxPool2d", "return_indices", return_indices)

    def forward(self, x: Any) -> Any:
        y, index = _adaptive_max_pool2d(repr(self), x, self.output_size)
        return (y, Tensor(index)) if self.return_indices else y

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class MaxPool3d(Module):
    """The maximum of each kernel_size window (kd, kh, kw) of volumes (N, C, D, H, W), stride
    defaulting to the kernel; `MaxPool2d` with one more axis (see
    `autograd.functional.max_pool3d`); `return_indices=True`: (output, indices), for
    `MaxUnpool3d`.

    >>> MaxPool3d((1, 2, 2))
    MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=0, dilation=1, ceil_mode=False)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        _check_pool_arguments("MaxPool3d", kernel_size, stride, padding, dilation, 3)
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride     # as PyTorch stores it
        self.return_indices = _yes_or_no("MaxPool3d", "return_indices", return_indices)
        self.ceil_mode = _yes_or_no("MaxPool3d", "ceil_mode", ceil_mode)

    def forward(self, x: Any) -> Any:
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != 5:
            raise not_a_volume_batch(self, x.shape)
        return _max_pool3d(self, x, self.kernel_size, self.stride, self.padding, self.dilation,
                           self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool3d(Module):
    """The mean of each kernel_size window (kd, kh, kw) of volumes (N, C, D, H, W), with
    PyTorch's options; `AvgPool2d` with one more axis (see `autograd.functional.avg_pool3d`).

    >>> AvgPool3d(2, stride=(1, 2, 2), count_include_pad=False)
    AvgPool3d(kernel_size=2, stride=(1, 2, 2), padding=0)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        _check_pool_arguments("AvgPool3d", kernel_size, stride, padding, 1, 3)
        _check_divisor("AvgPool3d", divisor_override)
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride     # as PyTorch stores it
        self.ceil_mode = _yes_or_no("AvgPool3d", "ceil_mode", ceil_mode)
        self.count_include_pad = _yes_or_no("AvgPool3d", "count_include_pad", count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Any) -> Tensor:
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != 5:
            raise not_a_volume_batch(self, x.shape)
        return _avg_pool(self, _volume_batch(self, x), self.kernel_size, self.stride,
                         self.padding, self.ceil_mode, self.count_include_pad,
                         self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool3d(Module):
    """Average pooling of volumes (N, C, D, H, W) or (C, D, H, W) to a fixed output_size
    (Do, Ho, Wo), whatever their size, with PyTorch's windows: an int, a triple, or a triple
    with None (keep that size). See `autograd.functional.adaptive_avg_pool3d`.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> AdaptiveAvgPool3d((1, None, 2))(Tensor(np.zeros((8, 16, 5, 7, 9)))).shape
    (8, 16, 1, 7, 2)
    """

    def __init__(self, output_size: Any) -> None:
        _adaptive_size("AdaptiveAvgPool3d", output_size, (1, 1, 1))  # bad sizes fail here
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        return _adaptive_avg_pool3d(repr(self), x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool3d(Module):
    """Max pooling of volumes (N, C, D, H, W) or (C, D, H, W) to a fixed output_size
    (Do, Ho, Wo), with PyTorch's windows; with return_indices=True (output, indices into each
    flattened D·H·W volume), as PyTorch's. See `autograd.functional.adaptive_max_pool3d`.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> AdaptiveMaxPool3d(2)(Tensor(np.zeros((3, 5, 7, 9)))).shape
    (3, 2, 2, 2)
    """

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        _adaptive_size("AdaptiveMaxPool3d", output_size, (1, 1, 1))  # bad sizes fail here
        self.output_size = output_size
        self.return_indices = _yes_or_no("AdaptiveMaxPool3d", "return_indices", return_indices)

    def forward(self, x: Any) -> Any:
        y, index = _adaptive_max_pool3d(repr(self), x, self.output_size)
        return (y, Tensor(index)) if self.return_indices else y

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


def not_a_volume_batch(layer: Module, shape: tuple, channels: int | None = None) -> ValueError:
    """The error for an input that is not a batch of volumes (N, C, D, H, W) with the layer's
    `channels` (None: any). A 4-d input gets the reshape that fits the layer.

    >>> print(not_a_volume_batch(Conv3d(3, 8, 3), (3, 16, 32, 32), channels=3))
    Conv3d(3, 8, kernel_size=(3, 3, 3), stride=(1, 1, 1)): expected a 5-d input (N, C, D, H, W), got shape (3, 16, 32, 32); for one volume of 3 channels add a batch dimension: x.reshape(1, 3, 16, 32, 32), then [0] of the result for PyTorch's unbatched shape
    """
    if len(shape) == 5:
        return ValueError(f"{layer!r}: input has {_channels(shape[1])} (shape {shape}), expected "
                          f"{channels}{_volume_channels_last_hint(shape, channels)}")
    return ValueError(f"{layer!r}: expected a 5-d input (N, C, D, H, W), got shape "
                      f"{shape}{_volume_hint(shape, channels)}")


def _pool_repr(layer: Module) -> str:
    return (f"kernel_size={layer.kernel_size}, stride={layer.stride or layer.kernel_size}, "
            f"padding={layer.padding}")


def not_an_image_batch(layer: Module, shape: tuple, channels: int | None = None) -> ValueError:
    """The error for an input that is not a batch (N, C, H, W) with the layer's `channels`
    (None: any). A 3-d input gets the reshape that fits the layer.

    >>> print(not_an_image_batch(Conv2d(1, 8, 5), (4, 28, 28), channels=1))
    Conv2d(1, 8, kernel_size=(5, 5), stride=(1, 1)): expected a 4-d input (N, C, H, W), got shape (4, 28, 28); for a batch of 4 one-channel images: x.reshape(-1, 1, 28, 28)
    """
    if len(shape) == 4:
        return ValueError(f"{layer!r}: input has {_channels(shape[1])} (shape {shape}), expected "
                          f"{channels}{_channels_last_hint(shape, channels)}")
    return ValueError(f"{layer!r}: expected a 4-d input (N, C, H, W), got shape "
                      f"{shape}{_image_hint(shape, channels)}")


def _check_pool_arguments(name: str, kernel_size: Any, stride: Any, padding: Any,
                          dilation: Any, axes: int = 2) -> None:
    """Bad sizes fail when the layer is made, not at its first batch."""
    kernel = _sizes(name, "kernel_size", kernel_size, 1, axes)
    if stride is not None:
        _sizes(name, "stride", stride, 1, axes)
    _sizes(name, "dilation", dilation, 1, axes)
    if any(2 * p > k for p, k in zip(_sizes(name, "padding", padding, 0, axes), kernel)):
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel {kernel}")


# ----------------------------------------------------------------------------------------------
# The 1-d family: the functions in autograd.functional (conv2d and the 2-d pools on a height
# of 1), with PyTorch's arguments, parameter shapes, initialisation and reprs
# ----------------------------------------------------------------------------------------------

class Conv1d(_ConvReset, Module):
    """A 1-D convolution layer: `out_channels` filters of length kernel_size slid along the
    input (N, C, L), output (N, out_channels, Lo); see `autograd.functional.conv1d`.

    weight (out_channels, in_channels/groups, k) and bias (out_channels,) as in PyTorch, so
    state dicts carry over both ways; initialised as PyTorch (and `Conv2d`): both U(±1/√fan_in),
    fan_in = in_channels/groups · k. Each setting is an int or a 1-tuple; `padding` may also be
    "same" or "valid". PyTorch's padding modes ("zeros", "reflect", "replicate", "circular");
    of the devices only the CPU.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> conv = Conv1d(4, 6, 3, stride=2, padding=1)
    >>> conv, conv.weight.shape, conv(Tensor(np.zeros((8, 4, 50)))).shape
    (Conv1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,)), (6, 4, 3), (8, 6, 25))
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", dtype: Any = None,
                 rng: np.random.Generator | None = None, *, device: Any = None) -> None:
        _check_conv_layer("Conv1d", in_channels, out_channels, groups, padding_mode, device)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = (_single("Conv1d", "kernel_size", kernel_size, 1),)
        self.stride = (_single("Conv1d", "stride", stride, 1),)
        self.dilation = (_single("Conv1d", "dilation", dilation, 1),)
        self._padding = _padding_1d("Conv1d", padding, self.stride[0])     # an int or "same"
        self.padding = "same" if self._padding == "same" else (self._padding,)
        self.padding_mode = padding_mode
        self.weight, self.bias = _conv_parameters(
            (out_channels, in_channels // groups) + self.kernel_size, bias, dtype, rng)

    def forward(self, x: Any) -> Tensor:
        if isinstance(x, (Tensor, np.ndarray)) and (x.ndim != 3 or x.shape[1] != self.in_channels):
            raise not_a_sequence_batch(self, x.shape, self.in_channels)
        padding = self._padding
        if self.padding_mode != "zeros":        # the whole border by pad, then none in conv1d
            if padding == "same":               # an odd total: the extra one at the end
                total = self.dilation[0] * (self.kernel_size[0] - 1)
                widths = (total // 2, total - total // 2)
            else:
                widths = (padding, padding)
            x, padding = _padded_by_mode(self, x, widths), 0
        return _conv1d(self, x, self.weight, self.bias, self.stride, padding,
                       self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding == "same":
            text += ", padding='same'"
        elif self.padding != (0,):
            text += f", padding={self.padding}"
        if self.dilation != (1,):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text + ("" if self.padding_mode == "zeros" else
                       f", padding_mode={self.padding_mode}")


class MaxPool1d(Module):
    """The maximum of each kernel_size window of (N, C, L) (stride defaults to the kernel);
    see `autograd.functional.max_pool1d`. `return_indices=True`: (output, indices), for
    `MaxUnpool1d`.

    >>> MaxPool1d(3, stride=2, padding=1)
    MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        _check_pool1d_arguments("MaxPool1d", kernel_size, stride, padding, dilation)
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride     # as PyTorch stores it
        self.return_indices = _yes_or_no("MaxPool1d", "return_indices", return_indices)
        self.ceil_mode = _yes_or_no("MaxPool1d", "ceil_mode", ceil_mode)

    def forward(self, x: Any) -> Any:
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != 3:
            raise not_a_sequence_batch(self, x.shape)
        return _max_pool1d(self, x, self.kernel_size, self.stride, self.padding, self.dilation,
                           self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    """The mean of each kernel_size window of (N, C, L), with PyTorch's options; see
    `autograd.functional.avg_pool1d`. Sizes are kept as 1-tuples, and the repr shows them
    only, as PyTorch's does.

    >>> AvgPool1d(3, stride=2, padding=1, count_include_pad=False)
    AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        _check_pool1d_arguments("AvgPool1d", kernel_size, stride, padding, 1)
        self.kernel_size = (_single("AvgPool1d", "kernel_size", kernel_size, 1),)
        self.stride = self.kernel_size if stride is None else \
            (_single("AvgPool1d", "stride", stride, 1),)
        self.padding = (_single("AvgPool1d", "padding", padding, 0),)
        self.ceil_mode = _yes_or_no("AvgPool1d", "ceil_mode", ceil_mode)
        self.count_include_pad = _yes_or_no("AvgPool1d", "count_include_pad", count_include_pad)

    def forward(self, x: Any) -> Tensor:
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != 3:
            raise not_a_sequence_batch(self, x.shape)
        return _avg_pool1d(self, x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                           self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(Module):
    """Average pooling of (N, C, L) or (C, L) to output_size values per channel, whatever L,
    with PyTorch's windows; see `autograd.functional.adaptive_avg_pool1d`.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> AdaptiveAvgPool1d(4)(Tensor(np.zeros((8, 16, 37)))).shape
    (8, 16, 4)
    """

    def __init__(self, output_size: Any) -> None:
        _adaptive_size_1d("AdaptiveAvgPool1d", output_size)        # bad sizes fail here
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        return _adaptive_avg_pool1d(self, x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Max pooling of (N, C, L) or (C, L) to output_size values per channel, whatever L, with
    PyTorch's windows; with return_indices=True (output, indices along L). See
    `autograd.functional.adaptive_max_pool1d`.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> AdaptiveMaxPool1d(4)(Tensor(np.zeros((8, 16, 37)))).shape
    (8, 16, 4)
    """

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        _adaptive_size_1d("AdaptiveMaxPool1d", output_size)        # bad sizes fail here
        self.output_size = output_size
        self.return_indices = _yes_or_no("AdaptiveMaxPool1d", "return_indices", return_indices)

    def forward(self, x: Any) -> Any:
        y, index = _adaptive_max_pool1d(repr(self), x, self.output_size)
        return (y, Tensor(index)) if self.return_indices else y

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


def not_a_sequence_batch(layer: Module, shape: tuple, channels: int | None = None) -> ValueError:
    """The error for an input that is not a batch (N, C, L) with the layer's `channels` (None:
    any). A 2-d input gets the reshape that fits the layer.

    >>> print(not_a_sequence_batch(Conv1d(1, 8, 5), (4, 100), channels=1))
    Conv1d(1, 8, kernel_size=(5,), stride=(1,)): expected a 3-d input (N, C, L), got shape (4, 100); for a batch of 4 one-channel sequences: x.reshape(-1, 1, 100)
    """
    if len(shape) == 3:
        return ValueError(f"{layer!r}: input has {_channels(shape[1])} (shape {shape}), expected "
                          f"{channels}{_length_first_hint(shape, channels)}")
    return ValueError(f"{layer!r}: expected a 3-d input (N, C, L), got shape "
                      f"{shape}{_sequence_hint(shape, channels)}")


def _check_pool1d_arguments(name: str, kernel_size: Any, stride: Any, padding: Any,
                            dilation: Any) -> None:
    """Bad sizes fail when the layer is made, not at its first batch."""
    kernel = _single(name, "kernel_size", kernel_size, 1)
    if stride is not None:
        _single(name, "stride", stride, 1)
    _single(name, "dilation", dilation, 1)
    if 2 * _single(name, "padding", padding, 0) > kernel:
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel {kernel}")


# ----------------------------------------------------------------------------------------------
# Transposed convolutions: the learned upsampling of decoders (autograd.functional's
# conv_transpose2d and conv_transpose1d), with PyTorch's arguments, layout and initialisation
# ----------------------------------------------------------------------------------------------

def _check_transposed_layer(name: str, in_channels: Any, out_channels: Any, groups: Any,
                            padding_mode: Any, device: Any) -> None:
    """A convolution layer's checks, and PyTorch's one padding mode for transposed ones."""
    if not (isinstance(padding_mode, str) and padding_mode == "zeros"):
        raise ValueError(f"{name}: padding_mode must be 'zeros' (a transposed convolution's "
                         f"padding cuts the output, there is no border to copy), got "
                         f"{padding_mode!r}")
    _check_conv_layer(name, in_channels, out_channels, groups, padding_mode, device)


def _output_padding_for(layer: Module, x_shape: tuple, output_size: Any) -> tuple:
    """The output_padding that gives the layer's output the sizes `output_size` (the last
    axes', or the whole shape (N, C, ...)), or an error listing the sizes the layer can give
    for an input of shape `x_shape` (output_padding 0 to stride - 1, as in PyTorch)."""
    axes = len(layer.kernel_size)
    sizes = (output_size,) if _is_int(output_size) and axes == 1 else output_size
    if isinstance(sizes, (tuple, list)) and len(sizes) == axes + 2:
        sizes = tuple(sizes)[2:]
    if not (isinstance(sizes, (tuple, list)) and len(sizes) == axes and
            all(_is_int(n) for n in sizes)):
        names = _axis_names(axes)
        raise ValueError(f"{layer!r}: output_size must be the output's sizes ({names}) or its "
                         f"whole shape (N, C, {names}), got {output_size!r}")
    smallest = transposed_output_size(x_shape[2:], layer.kernel_size, layer.stride,
                                      layer.padding, (0,) * axes, layer.dilation)
    largest = tuple(n + s - 1 for n, s in zip(smallest, layer.stride))
    if not all(a <= n <= b for a, n, b in zip(smallest, sizes, largest)):
        raise ValueError(f"{layer!r}: output_size {tuple(sizes)} cannot come out of an input of "
                         f"shape {tuple(x_shape)}: the sizes it can give are {smallest} to "
                         f"{largest}")
    return tuple(int(n - a) for n, a in zip(sizes, smallest))


class _ConvTransposeNd(_ConvReset, Module):
    """What ConvTranspose2d and ConvTranspose1d share (they differ in the number of axes of the
    kernel, `axes`, and in the function they call): PyTorch's arguments in PyTorch's order, the
    weight (in_channels, out_channels/groups, *kernel) and bias (out_channels,), initialised as
    PyTorch's, `forward(x, output_size)` and the repr."""

    axes = 0            # 3: (N, C, D, H, W) inputs, 2: (N, C, H, W), 1: (N, C, L)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", dtype: Any = None,
                 rng: np.random.Generator | None = None, *, device: Any = None) -> None:
        name = type(self).__name__
        _check_transposed_layer(name, in_channels, out_channels, groups, padding_mode, device)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups

        def sizes(what: str, value: Any, least: int) -> tuple:      # one per axis
            return ((_single(name, what, value, least),) if self.axes == 1 else
                    _sizes(name, what, value, least, self.axes))

        self.kernel_size = sizes("kernel_size", kernel_size, 1)
        self.stride = sizes("stride", stride, 1)
        self.padding = sizes("padding", padding, 0)
        self.output_padding = sizes("output_padding", output_padding, 0)
        self.dilation = sizes("dilation", dilation, 1)
        _check_output_padding(name, self.output_padding, self.stride, self.dilation)
        self.padding_mode = padding_mode
        self.weight, self.bias = _conv_parameters(
            (in_channels, out_channels // groups) + self.kernel_size, bias, dtype, rng,
            out_channels)

    def forward(self, x: Any, output_size: Any = None) -> Tensor:
        if isinstance(x, (Tensor, np.ndarray)) and \
                (x.ndim != self.axes + 2 or x.shape[1] != self.in_channels):
            wrong = {1: not_a_sequence_batch, 2: not_an_image_batch, 3: not_a_volume_batch}
            raise wrong[self.axes](self, x.shape, self.in_channels)
        output_padding = self.output_padding
        if output_size is not None:
            x = _floating(type(self).__name__, x)
            output_padding = _output_padding_for(self, x.shape, output_size)
        transposed = {1: _conv_transpose1d, 2: _conv_transpose2d, 3: _conv_transpose3d}[self.axes]
        return transposed(self, x, self.weight, self.bias, self.stride, self.padding,
                          output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        """PyTorch's: the settings that differ from the defaults, in PyTorch's order."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in (("padding", 0), ("dilation", 1), ("output_padding", 0)):
            if getattr(self, name) != (default,) * self.axes:
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + (", bias=False" if self.bias is None else "")


class ConvTranspose2d(_ConvTransposeNd):
    """A 2-D transposed convolution layer ("deconvolution"): each input pixel adds its value
    times a kernel onto a window of the output, the windows `stride` apart, so with stride 2 the
    output is about twice as large: the learned upsampling of decoders, U-Nets and GANs. It is
    the gradient, with respect to its input, of a `Conv2d(out_channels, in_channels, ...)` with
    the same settings; see `autograd.functional.conv_transpose2d` for the output size.

    weight (in_channels, out_channels/groups, kh, kw) (in before out: PyTorch's layout for the
    transposed layers) and bias (out_channels,), so state dicts carry over both ways.
    Initialised as PyTorch: both U(±1/√fan_in), fan_in computed from the weight as for
    `Conv2d` (out_channels/groups · kh · kw). PyTorch's arguments in PyTorch's order; its one
    padding mode, "zeros"; of the devices only the CPU. `forward(x, output_size)` picks one of
    the sizes a strided `Conv2d` maps onto x's (output_padding for that call), as PyTorch's.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> up = ConvTranspose2d(16, 8, 4, stride=2, padding=1)     # doubles H and W
    >>> up, up.weight.shape, up(Tensor(np.zeros((2, 16, 7, 7)))).shape
    (ConvTranspose2d(16, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1)), (16, 8, 4, 4),
     (2, 8, 14, 14))
    >>> down = Conv2d(8, 16, 3, stride=2, padding=1)              # 13 and 14 both give 7
    >>> back = ConvTranspose2d(16, 8, 3, stride=2, padding=1)
    >>> x = Tensor(np.zeros((1, 8, 14, 14)))
    >>> back(down(x)).shape, back(down(x), output_size=x.shape).shape
    ((1, 8, 13, 13), (1, 8, 14, 14))
    """

    axes = 2


class ConvTranspose1d(_ConvTransposeNd):
    """A 1-D transposed convolution layer: `ConvTranspose2d` along one axis, input (N, C, L),
    output (N, out_channels, Lo); see `autograd.functional.conv_transpose1d`. weight
    (in_channels, out_channels/groups, k) and bias (out_channels,) as in PyTorch, initialised
    as PyTorch; each setting an int or a 1-tuple. `forward(x, output_size)` as
    `ConvTranspose2d`'s (Lo, or the whole shape (N, C, Lo)).

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> up = ConvTranspose1d(4, 2, 3, stride=2, padding=1, output_padding=1)
    >>> up, up.weight.shape, up(Tensor(np.zeros((8, 4, 25)))).shape
    (ConvTranspose1d(4, 2, kernel_size=(3,), stride=(2,), padding=(1,), output_padding=(1,)),
     (4, 2, 3), (8, 2, 50))
    """

    axes = 1


class ConvTranspose3d(_ConvTransposeNd):
    """A 3-D transposed convolution layer, for volumes (N, C, D, H, W): `ConvTranspose2d` with
    one more axis (the learned upsampling of 3-D U-Nets and video decoders), each setting an int
    or a triple; see `autograd.functional.conv_transpose3d`. weight
    (in_channels, out_channels/groups, kd, kh, kw) and bias (out_channels,) as in PyTorch,
    initialised as PyTorch. `forward(x, output_size)` as `ConvTranspose2d`'s ((Do, Ho, Wo), or
    the whole shape).

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> up = ConvTranspose3d(8, 4, 2, stride=2)                   # doubles D, H and W
    >>> up, up.weight.shape, up(Tensor(np.zeros((1, 8, 3, 4, 5)))).shape
    (ConvTranspose3d(8, 4, kernel_size=(2, 2, 2), stride=(2, 2, 2)), (8, 4, 2, 2, 2),
     (1, 4, 6, 8, 10))
    """

    axes = 3


# ----------------------------------------------------------------------------------------------
# Max unpooling: the max pools' indices put to use (SegNet-like decoders); no parameters
# ----------------------------------------------------------------------------------------------

class _MaxUnpoolNd(Module):
    """`MaxUnpool1d`/`2d`/`3d`: `autograd.functional.max_unpool2d` and its kin as a layer,
    with PyTorch's settings (kept as tuples, stride defaulting to the kernel) and repr."""

    axes = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        self.kernel_size, self.stride, self.padding = _unpool_settings(
            type(self).__name__, kernel_size, stride, padding, self.axes)

    def forward(self, x: Any, indices: Any = None, output_size: Any = None) -> Tensor:
        if indices is None:             # a Sequential passes the pool's pair on as one value
            pair = isinstance(x, tuple) and len(x) == 2
            raise TypeError(
                f"{self!r}: needs the pooled values and their indices, unpool(values, indices), "
                f"from MaxPool{self.axes}d(..., return_indices=True)"
                + ("; it got the pool's (values, indices) pair as one argument: unpack it, "
                   "unpool(*pooled), in a forward of your own (a Sequential passes one value on)"
                   if pair else ""))
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != self.axes + 2:
            raise (not_a_sequence_batch, not_an_image_batch, not_a_volume_batch)[self.axes - 1](
                self, x.shape)
        return _max_unpool(self, x, indices, self.kernel_size, self.stride, self.padding,
                           output_size, self.axes)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpoolNd):
    """MaxPool2d undone as far as it can be: `forward(x, indices, output_size=None)` puts each
    value of x back at its place, the indices of `MaxPool2d(..., return_indices=True)`, in
    planes of zeros (see `autograd.functional.max_unpool2d`); `output_size` (the pooled input's
    shape) when the pooling left cells out. A SegNet decoder's upsampling.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> pool, unpool = MaxPool2d(2, return_indices=True), MaxUnpool2d(2)
    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> unpool(*pool(x)).data[0, 0]
    array([[ 0.,  0.,  0.,  0.],
           [ 0.,  5.,  0.,  7.],
           [ 0.,  0.,  0.,  0.],
           [ 0., 13.,  0., 15.]])
    >>> unpool
    MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    """


class MaxUnpool1d(_MaxUnpoolNd):
    """MaxPool1d undone: each value of x (N, C, L) back at its place along the length; see
    `MaxUnpool2d`.

    >>> MaxUnpool1d(3, stride=2, padding=1)
    MaxUnpool1d(kernel_size=(3,), stride=(2,), padding=(1,))
    """

    axes = 1


class MaxUnpool3d(_MaxUnpoolNd):
    """MaxPool3d undone: each value of volumes x (N, C, D, H, W) back at its place; see
    `MaxUnpool2d`.

    >>> MaxUnpool3d((1, 2, 2))
    MaxUnpool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=(0, 0, 0))
    """

    axes = 3
