"""Convolutions with PyTorch's argument names and defaults (NCHW): `conv2d`, `conv3d`, `conv1d`
(conv2d on a height of 1) and the transposed ones, `conv_transpose2d`, `conv_transpose3d`,
`conv_transpose1d`. Their ops, with the gradients right under them, are in
autograd/ops/conv.py (`Conv2d`, `Conv3d`, `ConvTranspose2d`, `ConvTranspose3d`); this module
checks the arguments and picks the op.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np  # (the examples use it)

from ..graph import apply, is_grad_enabled
from ..ops import Conv2d, ConvTranspose2d
from ..ops.conv import Conv3d, ConvCtx, ConvTranspose3d, Geometry
from ..tensor import Tensor
from .arguments import _is_int, _node
from .padding import pad
from .spatial import (
    _channels, _channels_last_hint, _check_fits, _end_padding, _fits_1d, _image_batch,
    _length_first_hint, _sequence_batch, _single, _sizes, _volume_batch,
    _volume_channels_last_hint,
)


def _conv_padding(name: Any, padding: Any, kernel: tuple, stride: tuple,
                  dilation: tuple) -> tuple[tuple, tuple]:
    """(padding on both sides, extra padding on the right and bottom, as `pad` takes it) for an
    int, a pair, or PyTorch's strings: "valid" (none) and "same" (the output as large as the
    input, stride 1; an even kernel needs one more row and column at the end, as PyTorch adds
    them).

    >>> _conv_padding("conv2d", "same", (4, 3), (1, 1), (1, 1))   # one more row at the bottom
    ((1, 1), (0, 0, 0, 1))
    """
    axes = len(kernel)
    if isinstance(padding, str) and padding == "valid":
        return (0,) * axes, ()
    if not (isinstance(padding, str) and padding == "same"):
        if isinstance(padding, str):
            several = "a pair" if axes == 2 else "a triple"
            raise ValueError(f"{name}: padding must be an int >= 0, {several} of them, 'same' or "
                             f"'valid', got {padding!r}")
        return _sizes(name, "padding", padding, 0, axes), ()
    if any(s != 1 for s in stride):
        raise ValueError(f"{name}: padding='same' needs stride 1 (as in PyTorch), got stride "
                         f"{stride}; give the padding as a number")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]        # rows, columns
    extra = _end_padding(tuple(t % 2 for t in total))             # pad's order: w, then h
    return tuple(t // 2 for t in total), (extra if any(extra) else ())


def conv2d(x: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of x (N, C, H, W) with weight
    (O, C/groups, kh, kw) plus bias (O,): im2col and one matmul; output (N, O, Ho, Wo) with
    Ho = (H + 2·padding - dilation·(kh - 1) - 1) // stride + 1. `padding` is an int, a pair
    (h, w), or PyTorch's "valid" (0) or "same" (Ho, Wo = H, W; stride 1).

    Differentiable to any order (the backward is itself made of recorded convolutions when
    `grad(grad(f))` or `create_graph=True` asks for it).

    >>> x = Tensor([[[[0.0, 0.0, 1.0, 1.0]] * 3]])          # (1, 1, 3, 4): dark | light
    >>> edge = Tensor([[[[-1.0, 1.0]]]])                    # x[h, w + 1] - x[h, w]
    >>> conv2d(x, edge).data[0, 0]                          # lights up on the edge only
    array([[0., 1., 0.],
           [0., 1., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    return _conv2d("conv2d", x, weight, bias, stride, padding, dilation, groups)


def _conv_weight(name: Any, x: Tensor, weight: Tensor, groups: Any, kernel_axes: str,
                 smallest: str, channels_hint: Callable) -> Tensor:
    """A convolution's weight (out_channels, in_channels/groups, *kernel) checked against the
    input x (N, C, *sizes) and `groups` (conv1d's and conv2d's shared checks); `channels_hint`
    says what to do with an input whose channels are last."""
    if weight.ndim != 2 + len(kernel_axes.split(", ")):
        raise ValueError(f"{name}: weight must be {x.ndim}-d (out_channels, in_channels/groups, "
                         f"{kernel_axes}), got shape {weight.shape}")
    if 0 in weight.shape:
        raise ValueError(f"{name}: the weight {weight.shape} has a size-0 axis; a convolution "
                         f"needs at least one output channel, one input channel and a kernel "
                         f"of at least {smallest}")
    if not _is_int(groups) or groups < 1 or weight.shape[0] % groups:
        raise ValueError(f"{name}: groups must be a positive int dividing out_channels "
                         f"{weight.shape[0]}, got {groups!r}")
    expected = weight.shape[1] * groups
    if x.shape[1] != expected:
        raise ValueError(f"{name}: input has {_channels(x.shape[1])} (shape {x.shape}), but the "
                         f"weight {weight.shape} with groups={groups} expects {expected}"
                         f"{channels_hint(x.shape, expected)}")
    return weight


def _conv2d(name: Any, x: Any, weight: Tensor, bias: Any, stride: Any, padding: Any,
            dilation: Any, groups: int) -> Tensor:
    """conv2d, with errors that name the caller (`name`: "conv2d", or the `nn.Conv2d` layer,
    whose repr is only formatted when there is an error to report)."""
    x = _image_batch(name, x)
    weight = _conv_weight(name, x, _node(weight, name), groups, "kh, kw", "1×1",
                          _channels_last_hint)
    return _conv(name, x, weight, bias, stride, padding, dilation, groups, Conv2d)


def conv3d(x: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D convolution of volumes x (N, C, D, H, W) (a clip's frames, a CT scan's slices) with
    weight (O, C/groups, kd, kh, kw) plus bias (O,): conv2d with one more axis, each setting an
    int or a triple (d, h, w); output (N, O, Do, Ho, Wo), each size as conv2d's. Differentiable
    to any order.

    >>> x = Tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2))    # two 2x2 slices: 0-3 and 4-7
    >>> conv3d(x, Tensor(np.array([-1.0, 1.0]).reshape(1, 1, 2, 1, 1))).data[0, 0]
    array([[[4., 4.],
            [4., 4.]]])
    """
    return _conv3d("conv3d", x, weight, bias, stride, padding, dilation, groups)


def _conv3d(name: Any, x: Any, weight: Tensor, bias: Any, stride: Any, padding: Any,
            dilation: Any, groups: int) -> Tensor:
    """conv3d, with errors that name the caller (the function, or the `nn.Conv3d` layer)."""
    x = _volume_batch(name, x)
    weight = _conv_weight(name, x, _node(weight, name), groups, "kd, kh, kw", "1×1×1",
                          _volume_channels_last_hint)
    return _conv(name, x, weight, bias, stride, padding, dilation, groups, Conv3d)


def _conv(name: Any, x: Tensor, weight: Tensor, bias: Any, stride: Any, padding: Any,
          dilation: Any, groups: int, op: type) -> Tensor:
    """What conv2d and conv3d share once x and the weight are checked: the settings (one per
    spatial axis), the bias, and the `op` node."""
    axes = x.ndim - 2
    stride = _sizes(name, "stride", stride, 1, axes)
    dilation = _sizes(name, "dilation", dilation, 1, axes)
    padding, extra = _conv_padding(name, padding, weight.shape[2:], stride, dilation)
    if extra:                                   # padding="same" with an even kernel
        x = pad(x, extra)
    geo = Geometry(stride, padding, dilation, int(groups))
    _check_fits(name, x.shape, weight.shape[2:], geo)
    inputs: tuple = (x, weight)
    if bias is not None:
        bias = _node(bias, name)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"{name}: bias must have shape ({weight.shape[0]},), got {bias.shape}")
        inputs = (x, weight, bias)
    recording = is_grad_enabled()            # under no_grad() keep nothing for a backward
    return apply(op, inputs, ConvCtx(geo, tuple(recording and t.requires_grad for t in inputs)))


def conv1d(x: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution of x (N, C, L) with weight (O, C/groups, k) plus bias (O,): conv2d on a
    height of 1, so its gradients are conv2d's. Output (N, O, Lo) with
    Lo = (L + 2·padding - dilation·(k - 1) - 1) // stride + 1; `padding` is an int, a 1-tuple,
    or "valid" / "same" (stride 1). Each setting is one number (a pair is refused).

    >>> conv1d(Tensor([[[1.0, 2.0, 4.0, 7.0]]]), Tensor([[[-1.0, 1.0]]])).data   # differences
    array([[[1., 2., 3.]]], dtype=float32)
    """
    return _conv1d("conv1d", x, weight, bias, stride, padding, dilation, groups)


def _padding_1d(name: Any, padding: Any, stride: int) -> Any:
    """A 1-d convolution's padding: an int (from an int, a 1-tuple or "valid"), or "same"."""
    if not isinstance(padding, str):
        return _single(name, "padding", padding, 0)
    if padding not in ("same", "valid"):
        raise ValueError(f"{name}: padding must be an int >= 0, a 1-element tuple, 'same' or "
                         f"'valid', got {padding!r}")
    if padding == "same" and stride != 1:
        raise ValueError(f"{name}: padding='same' needs stride 1 (as in PyTorch), got stride "
                         f"{stride}; give the padding as a number")
    return 0 if padding == "valid" else padding


def _conv1d(name: Any, x: Any, weight: Tensor, bias: Any, stride: Any, padding: Any,
            dilation: Any, groups: int) -> Tensor:
    """conv1d, its arguments checked here so that errors name the caller (`name`: "conv1d", or
    the `nn.Conv1d` layer) and the 1-d shapes; then conv2d on (N, C, 1, L) and (O, C/g, 1, k)."""
    x = _sequence_batch(name, x)
    weight = _conv_weight(name, x, _node(weight, name), groups, "k", "1", _length_first_hint)
    stride, dilation = _single(name, "stride", stride, 1), _single(name, "dilation", dilation, 1)
    padding = _padding_1d(name, padding, stride)
    if padding != "same":
        _fits_1d(name, x.shape, x.shape[2], padding, weight.shape[2], dilation)
    if bias is not None:
        bias = _node(bias, name)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"{name}: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    y = _conv2d(name, x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]),
                weight.reshape(weight.shape[:2] + (1, weight.shape[2])), bias, (1, stride),
                padding if padding == "same" else (0, padding), (1, dilation), groups)
    return y.reshape(y.shape[0], y.shape[1], y.shape[3])


# -- Transposed convolutions: conv2d's input gradient as a layer (learned upsampling) ----------

def conv_transpose2d(x: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed 2-D convolution of x (N, C, H, W) with weight (C, O/groups, kh, kw) plus bias
    (O,), PyTorch's arguments in PyTorch's order: each input pixel adds its value times the
    kernel onto the output, its window `stride` apart from its neighbours' (the learned
    upsampling of decoders). It is the gradient of conv2d with respect to its input, for a
    conv2d with the same weight and settings; so it maps conv2d's output size back to its
    input size:

        Ho = (H - 1)·stride - 2·padding + dilation·(kh - 1) + output_padding + 1

    `padding` is cut from both sides of the output; `output_padding` (smaller than the stride
    or the dilation) adds rows and columns at the bottom and right, to pick among the input
    sizes that a strided conv2d maps onto the same H. Differentiable to any order.

    >>> x = Tensor([[[[1.0, 2.0], [3.0, 4.0]]]])           # (1, 1, 2, 2)
    >>> ones = Tensor([[[[1.0, 1.0], [1.0, 1.0]]]])
    >>> conv_transpose2d(x, ones, stride=2).data[0, 0]    # each pixel becomes a 2x2 block
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]], dtype=float32)
    """
    return _conv_transpose2d("conv_transpose2d", x, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def _conv_transpose_weight(name: Any, x: Tensor, weight: Tensor, groups: Any,
                           kernel_axes: str, channels_hint: Callable) -> Tensor:
    """A transposed convolution's weight (in_channels, out_channels/groups, *kernel) checked
    against the input x (N, C, *sizes) and `groups`."""
    if weight.ndim != 2 + len(kernel_axes.split(", ")):
        raise ValueError(f"{name}: weight must be {x.ndim}-d (in_channels, out_channels/groups, "
                         f"{kernel_axes}), got shape {weight.shape}")
    if 0 in weight.shape:
        raise ValueError(f"{name}: the weight {weight.shape} has a size-0 axis; a transposed "
                         f"convolution needs at least one input channel, one output channel "
                         f"and a kernel of at least 1 in each axis")
    if not _is_int(groups) or groups < 1 or weight.shape[0] % groups:
        raise ValueError(f"{name}: groups must be a positive int dividing in_channels "
                         f"{weight.shape[0]} (the weight's first axis), got {groups!r}")
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"{name}: input has {_channels(x.shape[1])} (shape {x.shape}), but the "
                         f"weight {weight.shape} (in_channels, out_channels/groups, "
                         f"{kernel_axes}) expects {weight.shape[0]}"
                         f"{channels_hint(x.shape, weight.shape[0])}")
    return weight


def _check_output_padding(name: Any, output_padding: tuple, stride: tuple,
                          dilation: tuple) -> None:
    """PyTorch's rule: each output_padding below that axis's stride or its dilation (more would
    only add rows that no input pixel reaches)."""
    if any(o >= max(s, d) for o, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{name}: output_padding {_as_given(output_padding)} must be smaller "
                         f"than the stride {_as_given(stride)} or the dilation "
                         f"{_as_given(dilation)}")


def _as_given(sizes: tuple) -> Any:
    """Sizes as an error shows them: one number for a 1-d op (whose arguments are numbers)."""
    return sizes[0] if len(sizes) == 1 else sizes


def transposed_output_size(size: tuple, kernel: tuple, stride: tuple, padding: tuple,
                           output_padding: tuple, dilation: tuple) -> tuple:
    """A transposed convolution's output sizes (Ho, ...) for an input's sizes (H, ...).

    >>> transposed_output_size((14, 14), (4, 4), (2, 2), (1, 1), (0, 0), (1, 1))   # doubles
    (28, 28)
    """
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, k, s, p, o, d in
                 zip(size, kernel, stride, padding, output_padding, dilation))


def _transposed_fits(name: Any, x_shape: tuple, kernel: tuple, stride: tuple, padding: tuple,
                     output_padding: tuple, dilation: tuple) -> tuple:
    """The output sizes, or an error when the padding cuts away all of the output."""
    out = transposed_output_size(x_shape[2:], kernel, stride, padding, output_padding, dilation)
    if min(out) < 1:
        uncut = tuple(n + 2 * p for n, p in zip(out, padding))
        raise ValueError(f"{name}: padding {_as_given(padding)} leaves no output for the input "
                         f"of shape {x_shape}: the output is {_as_given(uncut)} before the "
                         f"padding is cut from both of its sides")
    return out


def _conv_transpose2d(name: Any, x: Any, weight: Tensor, bias: Any, stride: Any, padding: Any,
                      output_padding: Any, groups: Any, dilation: Any) -> Tensor:
    """conv_transpose2d, with errors that name the caller (`name`: "conv_transpose2d", or the
    `nn.ConvTranspose2d` layer)."""
    x = _image_batch(name, x)
    weight = _conv_transpose_weight(name, x, _node(weight, name), groups, "kh, kw",
                                    _channels_last_hint)
    return _conv_transpose(name, x, weight, bias, stride, padding, output_padding, groups,
                           dilation, ConvTranspose2d)


def conv_transpose3d(x: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed 3-D convolution of volumes x (N, C, D, H, W) with weight
    (C, O/groups, kd, kh, kw) plus bias (O,): conv_transpose2d with one more axis (each setting
    an int or a triple), the gradient of conv3d with respect to its input. Output
    (N, O, Do, Ho, Wo), each size as conv_transpose2d's.

    >>> x = Tensor(np.ones((1, 1, 1, 1, 2)))
    >>> conv_transpose3d(x, Tensor(np.ones((1, 1, 2, 1, 1))), stride=(1, 1, 2)).shape
    (1, 1, 2, 1, 3)
    """
    return _conv_transpose3d("conv_transpose3d", x, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def _conv_transpose3d(name: Any, x: Any, weight: Tensor, bias: Any, stride: Any, padding: Any,
                      output_padding: Any, groups: Any, dilation: Any) -> Tensor:
    """conv_transpose3d, with errors that name the caller (or the `nn.ConvTranspose3d` layer)."""
    x = _volume_batch(name, x)
    weight = _conv_transpose_weight(name, x, _node(weight, name), groups, "kd, kh, kw",
                                    _volume_channels_last_hint)
    return _conv_transpose(name, x, weight, bias, stride, padding, output_padding, groups,
                           dilation, ConvTranspose3d)


def _conv_transpose(name: Any, x: Tensor, weight: Tensor, bias: Any, stride: Any, padding: Any,
                    output_padding: Any, groups: Any, dilation: Any, op: type) -> Tensor:
    """What conv_transpose2d and conv_transpose3d share once x and the weight are checked."""
    axes = x.ndim - 2
    stride = _sizes(name, "stride", stride, 1, axes)
    dilation = _sizes(name, "dilation", dilation, 1, axes)
    padding = _sizes(name, "padding", padding, 0, axes)
    output_padding = _sizes(name, "output_padding", output_padding, 0, axes)
    _check_output_padding(name, output_padding, stride, dilation)
    out = _transposed_fits(name, x.shape, weight.shape[2:], stride, padding, output_padding,
                           dilation)
    out_channels = weight.shape[1] * groups
    inputs: tuple = (x, weight)
    if bias is not None:
        bias = _node(bias, name)
        if bias.shape != (out_channels,):
            raise ValueError(f"{name}: bias must have shape ({out_channels},) (out_channels), "
                             f"got {bias.shape}")
        inputs = (x, weight, bias)
    if any(o >= s for o, s in zip(output_padding, stride)):
        # (a dilation larger than the stride allows it) rows past what conv2d maps back onto x:
        # the whole output, unpadded, then `padding` cut from the top and left, and from the
        # bottom and right the padding less output_padding (more: zero rows no pixel reaches)
        y = _conv_transpose(name, x, weight, None, stride, 0, 0, groups, dilation, op)
        y = pad(y, tuple(w for p, o in zip(reversed(padding), reversed(output_padding))
                         for w in (-p, o - p)))
        return y if bias is None else y + bias.reshape((1, -1) + (1,) * axes)
    geo = Geometry(stride, padding, dilation, int(groups))
    recording = is_grad_enabled()            # under no_grad() keep nothing for a backward
    return apply(op, inputs,
                 ConvCtx(geo, tuple(recording and t.requires_grad for t in inputs),
                         (x.shape[0], out_channels) + out))


def conv_transpose1d(x: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed 1-D convolution of x (N, C, L) with weight (C, O/groups, k) plus bias (O,):
    conv_transpose2d on a height of 1. Output (N, O, Lo) with
    Lo = (L - 1)·stride - 2·padding + dilation·(k - 1) + output_padding + 1. Each setting is
    one number (or a 1-tuple).

    >>> x, tent = Tensor([[[1.0, 3.0, 5.0]]]), Tensor([[[0.5, 1.0, 0.5]]])
    >>> conv_transpose1d(x, tent, stride=2, padding=1).data    # linear interpolation
    array([[[1., 2., 3., 4., 5.]]], dtype=float32)
    """
    return _conv_transpose1d("conv_transpose1d", x, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def _conv_transpose1d(name: Any, x: Any, weight: Tensor, bias: Any, stride: Any, padding: Any,
                      output_padding: Any, groups: Any, dilation: Any) -> Tensor:
    """conv_transpose1d, its arguments checked here so that errors name the caller and the 1-d
    shapes; then conv_transpose2d on (N, C, 1, L) and (C, O/g, 1, k)."""
    x = _sequence_batch(name, x)
    weight = _conv_transpose_weight(name, x, _node(weight, name), groups, "k",
                                    _length_first_hint)
    stride, dilation = _single(name, "stride", stride, 1), _single(name, "dilation", dilation, 1)
    padding = _single(name, "padding", padding, 0)
    output_padding = _single(name, "output_padding", output_padding, 0)
    _check_output_padding(name, (output_padding,), (stride,), (dilation,))
    _transposed_fits(name, x.shape, weight.shape[2:], (stride,), (padding,), (output_padding,),
                     (dilation,))
    y = _conv_transpose2d(name, x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]),
                          weight.reshape(weight.shape[:2] + (1, weight.shape[2])), bias,
                          (1, stride), (0, padding), (0, output_padding), groups,
                          (1, dilation))
    return y.reshape(y.shape[0], y.shape[1], y.shape[3])
