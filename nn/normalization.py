"""Batch normalisation: `BatchNorm1d` (N, C) or (N, C, L) and `BatchNorm2d` (N, C, H, W);
layer normalisation: `LayerNorm` (each sample over its last axes, the same in training and
evaluation; see `layer_norm`) and `RMSNorm` (the same without the mean, see `rms_norm`).

In training each channel is normalised with the batch's own mean and (biased) variance, then
scaled and shifted by the learned `weight` (γ) and `bias` (β):

    y = γ · (x - mean) / √(var + eps) + β

and the running estimates are updated (PyTorch's semantics, with the *unbiased* variance):

    running_mean ← (1 - momentum) · running_mean + momentum · mean
    running_var  ← (1 - momentum) · running_var  + momentum · var · n / (n - 1)

(momentum=None: a plain average over all batches seen). In evaluation (`model.eval()`) the
running estimates replace the batch's. `running_mean`, `running_var` and `num_batches_tracked`
are buffers, constant Tensors as in PyTorch: saved in `state_dict()` under PyTorch's names,
never trained (the layer writes the new estimates into their arrays); a state without
`num_batches_tracked` (older PyTorch's) loads, the counter keeping its value, as in PyTorch.

In training the normalisation is one op (`autograd.ops.normalize.BatchNorm`), whose rule gives
the gradients of x (through the batch statistics too), weight and bias at once, and can be
differentiated again (any order); in evaluation it is built from ordinary ops.

>>> import numpy as np
>>> from autograd import Tensor
>>> bn = BatchNorm1d(2)
>>> y = bn(Tensor([[1.0, 10.0], [3.0, 30.0]]))
>>> y.data.round(4)                                  # each column: mean 0, variance 1
array([[-1., -1.],
       [ 1.,  1.]], dtype=float32)
>>> bn.running_mean, bn.running_var                  # 0.9 · (0, 1) + 0.1 · ((2, 20), (2, 200))
(Tensor([0.2, 2. ]), Tensor([ 1.1, 20.9]))
>>> bn.num_batches_tracked.item(), bn.running_mean.size(0)     # constant Tensors, as PyTorch's
(1, 2)
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd.devices import check_device
from autograd.functional.arguments import _floating
from autograd.functional.spatial import _channels_last_hint, _volume_channels_last_hint
from autograd.graph import apply
from autograd.warn import warn
from autograd.utils.checkpoint import recomputing
from autograd.ops.normalize import (BatchNorm as BatchNormOp, BatchNormCtx,
                                    LayerNorm as LayerNormOp, LayerNormCtx)

from . import init
from .conv import not_a_volume_batch, not_an_image_batch
from .module import Module, Parameter, as_array

__all__ = ["batch_norm", "BatchNorm1d", "BatchNorm2d", "layer_norm", "LayerNorm", "rms_norm",
           "RMSNorm", "group_norm", "GroupNorm", "instance_norm", "InstanceNorm1d",
           "InstanceNorm2d", "BatchNorm3d", "InstanceNorm3d"]


def batch_norm(x: Any, running_mean: Tensor | np.ndarray | None,
               running_var: Tensor | np.ndarray | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False,
               momentum: float | None = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) of x; see the module's docstring for the formulas.

    In training (or without running statistics) the batch's statistics are used, and the
    running ones, when given (constant Tensors, as a BatchNorm layer's buffers, or numpy
    arrays), are updated in place. Otherwise the running ones are used.

    >>> batch_norm(Tensor([[2.0, 4.0]]), np.array([1.0, 2.0]), np.array([1.0, 4.0]), eps=0.0)
    Tensor([[1., 1.]])
    >>> mean, var = np.zeros(2), np.ones(2)
    >>> y = batch_norm(Tensor([[1.0, 3.0], [3.0, 5.0]]), mean, var, training=True, momentum=0.5)
    >>> mean, var            # in place: 0.5 · (0, 0) + 0.5 · (2, 4); 0.5 · 1 + 0.5 · 2 (unbiased)
    (array([1., 2.]), array([1.5, 1.5]))
    """
    x = _floating("batch_norm", x)
    running_mean, running_var = _check_batch_norm_arguments(
        x, running_mean, running_var, weight, bias, momentum if training else 0.0)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)           # broadcasts over all but channels
    if training or running_mean is None:
        count = x.data.size // x.shape[1]
        if count < 2:
            raise ValueError(f"batch_norm: training needs more than one value per channel to "
                             f"estimate a variance, got input of shape {x.shape}")
        affine = [_floating_like(x, value) for value in (weight, bias) if value is not None]
        inputs = (x, *affine)
        ctx = BatchNormCtx(axes, shape, float(eps), weight is not None, bias is not None,
                           tuple(t.requires_grad for t in inputs))
        y = apply(BatchNormOp, inputs, ctx)         # one op: see autograd/ops/normalize.py
        # (a checkpoint's second run of this call leaves them: updated once per step)
        if running_mean is not None and not recomputing():
            _update(running_mean, ctx.mean.reshape(-1), momentum)
            _update(running_var, ctx.var.reshape(-1) * (count / (count - 1)), momentum)
        return y
    scale = (1.0 / np.sqrt(running_var + eps)).astype(x.dtype)
    y = (x - Tensor(running_mean.astype(x.dtype).reshape(shape))) * Tensor(scale.reshape(shape))
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _check_batch_norm_arguments(x: Tensor, running_mean: Any, running_var: Any, weight: Any,
                                bias: Any, momentum: Any, name: str = "batch_norm"
                                ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Shapes and types checked before anything is computed, so that a mistake never leaves
    the running statistics half updated (`name`: the function called, batch_norm or
    instance_norm). Returns the running statistics' arrays (a Tensor's own: written in place,
    the Tensor shows the new numbers)."""
    if x.ndim < 2:
        raise ValueError(f"{name}: input must be at least 2-d (N, C, ...), got shape "
                         f"{x.shape}")
    channels = (x.shape[1],)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{name}: give both running_mean and running_var, or neither")
    arrays = []
    for buffer, value in (("running_mean", running_mean), ("running_var", running_var)):
        if isinstance(value, Tensor):
            if value.requires_grad:
                raise ValueError(f"{name}: {buffer} requires grad, but it is a running "
                                 f"estimate, updated in place and never trained (pass a "
                                 f"constant Tensor, as BatchNorm's buffers are)")
            value = value.data
        if value is not None and not (isinstance(value, np.ndarray)
                                      and value.dtype.kind == "f" and value.shape == channels):
            raise ValueError(f"{name}: {buffer} must be a float Tensor or numpy array of shape "
                             f"{channels} (one per channel of the input {x.shape}; it is "
                             f"updated in place), got {type(value).__name__} of shape "
                             f"{np.shape(value)}")
        arrays.append(value)
    _check_per_channel(name, x.shape, weight, bias)
    if running_mean is not None and not (isinstance(momentum, (int, float, np.floating))
                                         and 0 <= momentum <= 1):    # (used in training only)
        raise ValueError(f"{name}: momentum must be a number in [0, 1], got {momentum!r}"
                         + (" (the BatchNorm layers turn momentum=None into 1 / batches seen)"
                            if name == "batch_norm" else ""))
    return arrays[0], arrays[1]


def _check_per_channel(name: str, x_shape: tuple, weight: Any, bias: Any) -> None:
    """weight and bias (either may be None) must hold one number per channel (axis 1) of x."""
    channels = x_shape[1:2]
    for which, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(np.shape(value.data if isinstance(value, Tensor)
                                                else value)) != channels:
            raise ValueError(f"{name}: {which} must have shape {channels} (one per "
                             f"channel of the input {x_shape}), got shape {np.shape(value)}")


def _update(running: np.ndarray, batch: np.ndarray, factor: float) -> None:
    """running ← (1 - factor) · running + factor · batch, in place."""
    running *= 1 - factor
    running += factor * batch


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share (they differ only in the input shapes accepted),
    and the instance norms' settings, parameters and buffers: PyTorch's `weight` and `bias` (no
    bias with bias=False, neither with affine=False), `running_mean`, `running_var` and
    `num_batches_tracked` (None with track_running_stats=False)."""

    dims: tuple = ()
    _optional_state = ("num_batches_tracked",)      # see Module.load_state_dict

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = None, *, device: Any = None, bias: bool = True) -> None:
        name = type(self).__name__
        check_device(name, device)
        if not isinstance(num_features, (int, np.integer)) or isinstance(num_features, bool) \
                or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive integer, "
                             f"got {num_features!r}")
        # (a number is checked to be one first: the string "0.1" would fail in `<=` instead)
        if not (_is_real(eps) and eps > 0):
            raise ValueError(f"{name}: eps must be a number > 0, got {eps!r}")
        if momentum is not None and not (_is_real(momentum) and 0 <= momentum <= 1):
            raise ValueError(f"{name}: momentum must be a number in [0, 1] or None, got "
                             f"{momentum!r}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        self.weight = Parameter(np.ones(num_features), dtype) if affine else None
        self.bias = Parameter(np.zeros(num_features), dtype) if affine and bias else None
        if track_running_stats:
            # constant Tensors, as PyTorch's (bn.running_mean.clone(), .size(0),
            # bn.num_batches_tracked.item()); the layer updates their arrays in place
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self) -> None:
        """The running estimates back to mean 0, variance 1, no batches seen (in place)."""
        if self.track_running_stats:
            as_array(self.running_mean)[...], as_array(self.running_var)[...] = 0.0, 1.0
            as_array(self.num_batches_tracked)[...] = 0

    def reset_parameters(self) -> None:
        """The running estimates reset, weight back to ones and bias to zeros, as when made."""
        self.reset_running_stats()
        _reset_affine(self.weight, self.bias)

    def forward(self, x: Any) -> Tensor:
        x = _floating(type(self).__name__, x)
        if x.ndim not in self.dims or x.shape[1] != self.num_features:
            other = _other_family_hint(self.dims, x.shape, self.num_features)
            if other:                               # the channels fit, the layer does not
                wanted = " or ".join(f"{d}-d" for d in self.dims)
                raise ValueError(f"{self!r}: expected a {wanted} input, got shape "
                                 f"{x.shape}{other}")
            if self.dims == (4,) and x.ndim in (2, 3):  # images: say which reshape fits
                raise not_an_image_batch(self, x.shape, self.num_features)
            if self.dims == (5,) and x.ndim in (4, 5):  # volumes, or channels last
                raise not_a_volume_batch(self, x.shape, self.num_features)
            wanted = " or ".join(f"{d}-d" for d in self.dims)
            raise ValueError(f"{self!r}: expected a {wanted} input with {self.num_features} "
                             f"channels on axis 1, got shape {x.shape}"
                             f"{_channels_last_hint(x.shape, self.num_features)}"
                             f"{_sequence_channels_last_hint(x.shape, self.num_features)}")
        use_batch = self.training or not self.track_running_stats
        if use_batch and x.data.size // x.shape[1] < 2:      # before any running statistic changes
            # model.eval() helps only a layer that keeps running statistics for evaluation
            when, one_sample = (("training", "call model.eval() first")
                                if self.track_running_stats else
                                ("without running statistics (track_running_stats=False), "
                                 "it always",
                                 "make the layer with track_running_stats=True"))
            raise ValueError(
                f"{self!r}: {when} normalises with the batch's statistics and needs more "
                f"than one value per channel, got input of shape {x.shape}. A last batch of one "
                f"sample: drop it with fit(..., drop_last=True) or DataLoader(X, y, batch_size, "
                f"shuffle=True, drop_last=True), or pick a batch_size that leaves none; to run "
                f"one sample, {one_sample}")
        momentum = self.momentum
        if self.training and self.track_running_stats:
            count = as_array(self.num_batches_tracked)   # (an array assigned stays one)
            if not recomputing():                    # (a checkpoint's second run: counted)
                count += 1                           # in place: a state_dict's entry follows
            if momentum is None:                     # a cumulative average of all batches
                momentum = 1.0 / float(count)
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


def _reset_affine(weight: Parameter | None, bias: Parameter | None) -> None:
    """A norm's weight back to ones and bias to zeros, in place (those it has)."""
    if weight is not None:
        init.ones_(weight)
    if bias is not None:
        init.zeros_(bias)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


_FAMILIES = {2: ("BatchNorm1d", "features (N, C) and sequences (N, C, L)", (2, 3)),
             3: ("BatchNorm1d", "features (N, C) and sequences (N, C, L)", (2, 3)),
             4: ("BatchNorm2d", "images (N, C, H, W)", (4,)),
             5: ("BatchNorm3d", "volumes (N, C, D, H, W)", (5,))}


def _other_family_hint(dims: tuple, shape: tuple, channels: int) -> str:
    """For an input with the layer's channels on axis 1 but the rank of another BatchNorm
    (BatchNorm2d after a Linear, BatchNorm1d after a Conv2d): the layer that takes it.

    >>> _other_family_hint((4,), (32, 64), 64)
    '; features (N, C) and sequences (N, C, L) take BatchNorm1d(64)'
    """
    if len(shape) not in _FAMILIES or len(shape) in dims or shape[1] != channels:
        return ""
    name, inputs, _ = _FAMILIES[len(shape)]
    return f"; {inputs} take {name}({channels})"


def _sequence_channels_last_hint(shape: tuple, channels: int) -> str:
    """For a 3-d input with the channels last (N, L, C), as makemore's WaveNet makes them:
    PyTorch's BatchNorm1d, and so this one, wants (N, C, L); say how to get there."""
    if len(shape) != 3 or shape[2] != channels or shape[1] == channels:
        return ""
    return ("; it looks like a sequence with channels last (N, L, C): BatchNorm1d normalises "
            "(N, C, L), as PyTorch's does, so call it on x.swapaxes(1, 2) and swap the result "
            "back (each channel is then normalised over N and L, as a reduction over dims "
            "(0, 1) of (N, L, C) would)")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of features (N, C) or of sequences (N, C, L), per channel C.

    >>> BatchNorm1d(2)(Tensor([[[1.0, 3.0], [10.0, 30.0]]])).data.round(4)   # (N, C, L) = (1, 2, 2)
    array([[[-1.,  1.],
            [-1.,  1.]]], dtype=float32)
    """
    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images (N, C, H, W), per channel over N, H and W.

    >>> images = Tensor([[[[1.0, 3.0]]], [[[3.0, 1.0]]]])        # (N, C, H, W) = (2, 1, 1, 2)
    >>> BatchNorm2d(1)(images).data.ravel().round(4)             # one mean 2 and variance 1
    array([-1.,  1.,  1., -1.], dtype=float32)
    """
    dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of volumes (N, C, D, H, W), per channel over N, D, H and W.

    >>> BatchNorm3d(2)(Tensor(np.arange(16.0).reshape(2, 2, 2, 2, 1))).shape
    (2, 2, 2, 2, 1)
    """
    dims = (5,)


# ----------------------------------------------------------------------------------------------
# Layer normalisation
# ----------------------------------------------------------------------------------------------

def layer_norm(x: Any, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample of x over its last len(normalized_shape) axes, which must have
    that shape, with the sample's own mean and biased variance (PyTorch's
    `torch.nn.functional.layer_norm`):

        y = (x - mean) / √(var + eps) · weight + bias       (weight, bias: normalized_shape)

    One op (`autograd.ops.normalize`), whose rule gives the gradients of x, weight and bias
    at once, and is written so that it can be differentiated again (any order).

    >>> layer_norm(Tensor([[1.0, 3.0], [10.0, 30.0]]), 2).data.round(4)     # each row alone
    array([[-1.,  1.],
           [-1.,  1.]], dtype=float32)
    """
    x = _floating("layer_norm", x)
    shape = _normalized_shape("layer_norm", normalized_shape)
    _check_trailing_shape("layer_norm", x.shape, shape)
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(np.shape(value.data if isinstance(value, Tensor)
                                                else value)) != shape:
            raise ValueError(f"layer_norm: {name} must have normalized_shape {shape}, got "
                             f"shape {np.shape(value)}")
    affine = [_floating_like(x, value) for value in (weight, bias) if value is not None]
    inputs = (x, *affine)
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    ctx = LayerNormCtx(axes, float(eps), weight is not None, bias is not None,
                       tuple(t.requires_grad for t in inputs))
    return apply(LayerNormOp, inputs, ctx)


def _floating_like(x: Tensor, value: Any) -> Tensor:
    """A weight or bias as a Tensor; an integer one takes x's dtype (as in `x * weight`)."""
    value = value if isinstance(value, Tensor) else Tensor(value)
    return value if value.dtype.kind == "f" else Tensor(value.data.astype(x.dtype))


def _normalized_shape(name: str, normalized_shape: Any) -> tuple[int, ...]:
    """An int or a sequence of positive ints, as a tuple (PyTorch's `normalized_shape`)."""
    sizes = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) \
        else tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else None
    if not sizes or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool)
                            and n > 0 for n in sizes):
        raise ValueError(f"{name}: normalized_shape must be a positive int or a non-empty "
                         f"tuple of them (the sizes of the last axes to normalise over), got "
                         f"{normalized_shape!r}")
    return tuple(int(n) for n in sizes)


def _check_trailing_shape(name: str, x_shape: tuple, shape: tuple) -> None:
    """x's last axes must be `shape`; the usual mistake is features on another axis."""
    if x_shape[len(x_shape) - len(shape):] == shape and len(x_shape) >= len(shape):
        return
    hint = ""
    if len(shape) == 1 and shape[0] in x_shape:
        axis = x_shape.index(shape[0])
        hint = (f"; the size {shape[0]} is axis {axis}: layer normalisation works on the last "
                f"axes, so move it last")
        if axis == 1 and len(x_shape) == 4:
            hint += " (images (N, C, H, W) over their channels: x.transpose(0, 2, 3, 1))"
    wanted = (f"whose last axis has size {shape[0]}" if len(shape) == 1 else
              f"whose last {len(shape)} axes have shape {shape}")
    raise ValueError(f"{name}: expected an input {wanted} (normalized_shape), got shape "
                     f"{x_shape}{hint}")


class LayerNorm(Module):
    """Layer normalisation (PyTorch's `nn.LayerNorm`): each sample normalised over its last
    axes, of shape `normalized_shape`, by its own mean and biased variance, then scaled by
    `weight` (ones) and shifted by `bias` (zeros), both of shape normalized_shape (no `bias`
    with bias=False, neither with elementwise_affine=False). No running statistics: training
    and evaluation compute the same thing, and a batch of one is fine.

    >>> norm = LayerNorm(3)
    >>> norm(Tensor([[1.0, 2.0, 3.0]])).data.round(4)
    array([[-1.2247,  0.    ,  1.2247]], dtype=float32)
    >>> list(norm.state_dict()), norm
    (['weight', 'bias'], LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True))
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = None, *,
                 device: Any = None) -> None:
        check_device("LayerNorm", device)
        self.normalized_shape = _normalized_shape("LayerNorm", normalized_shape)
        if not (isinstance(eps, numbers.Real) and eps > 0):
            raise ValueError(f"LayerNorm: eps must be > 0, got {eps!r}")
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        affine = self.elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape), dtype) if affine else None
        self.bias = (Parameter(np.zeros(self.normalized_shape), dtype) if affine and bias
                     else None)

    def forward(self, x: Any) -> Tensor:
        x = _floating(type(self).__name__, x)
        try:
            _check_trailing_shape("layer_norm", x.shape, self.normalized_shape)
        except ValueError as error:         # name the layer, not only the function
            raise ValueError(f"{self!r}: {str(error).removeprefix('layer_norm: ')}") from None
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def reset_parameters(self) -> None:
        """weight back to ones and bias to zeros, in place, as when made."""
        _reset_affine(self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine="
                f"{self.elementwise_affine}, bias={self.bias is not None}")


# ----------------------------------------------------------------------------------------------
# Root-mean-square normalisation
# ----------------------------------------------------------------------------------------------

def rms_norm(x: Any, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Divide each sample of x by its root mean square over its last len(normalized_shape)
    axes, which must have that shape (PyTorch's `torch.nn.functional.rms_norm`; no mean is
    subtracted, no bias added):

        y = x / √(mean(x²) + eps) · weight                  (weight: normalized_shape)

    eps=None (PyTorch's default) is the machine epsilon of x's dtype. Built from ordinary ops,
    so its gradients of every order come from theirs.

    >>> rms_norm(Tensor([[3.0, 4.0]]), 2, eps=0.0).data.round(4)     # √((9 + 16) / 2)
    array([[0.8485, 1.1314]], dtype=float32)
    """
    x = _floating("rms_norm", x)
    shape = _normalized_shape("rms_norm", normalized_shape)
    _check_trailing_shape("rms_norm", x.shape, shape)
    eps = _rms_eps("rms_norm", eps, x.dtype)
    if weight is not None and tuple(np.shape(weight)) != shape:
        raise ValueError(f"rms_norm: weight must have normalized_shape {shape}, got shape "
                         f"{tuple(np.shape(weight))}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y = x * ((x * x).mean(axis=axes, keepdims=True) + eps) ** -0.5
    return y if weight is None else y * _floating_like(x, weight)


def _rms_eps(name: str, eps: Any, dtype: np.dtype) -> float:
    """eps as a float >= 0; None is the machine epsilon of `dtype` (PyTorch's default)."""
    if eps is None:
        return float(np.finfo(dtype).eps)
    if not (_is_real(eps) and eps >= 0):
        raise ValueError(f"{name}: eps must be a number >= 0 or None (the dtype's machine "
                         f"epsilon), got {eps!r}")
    return float(eps)


class RMSNorm(Module):
    """Root-mean-square normalisation (PyTorch's `nn.RMSNorm`, as in LLaMA): each sample
    divided by its root mean square over its last axes, of shape `normalized_shape`, then
    scaled by `weight` (ones, of that shape; none with elementwise_affine=False). eps=None is
    the machine epsilon of the input's dtype (see `rms_norm`). No running statistics.

    >>> norm = RMSNorm(2)
    >>> norm(Tensor([[3.0, 4.0]])).data.round(4)
    array([[0.8485, 1.1314]], dtype=float32)
    >>> list(norm.state_dict()), norm
    (['weight'], RMSNorm((2,), eps=None, elementwise_affine=True))
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None
                 ) -> None:
        check_device("RMSNorm", device)
        self.normalized_shape = _normalized_shape("RMSNorm", normalized_shape)
        self.eps = None if eps is None else _rms_eps("RMSNorm", eps, np.float64)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        self.weight = (Parameter(np.ones(self.normalized_shape), dtype)
                       if self.elementwise_affine else None)

    def forward(self, x: Any) -> Tensor:
        x = _floating(type(self).__name__, x)
        try:
            _check_trailing_shape("rms_norm", x.shape, self.normalized_shape)
        except ValueError as error:         # name the layer, not only the function
            raise ValueError(f"{self!r}: {str(error).removeprefix('rms_norm: ')}") from None
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def reset_parameters(self) -> None:
        """weight back to ones, in place, as when made."""
        _reset_affine(self.weight, None)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


# ----------------------------------------------------------------------------------------------
# Group and instance normalisation
# ----------------------------------------------------------------------------------------------

def group_norm(x: Any, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Split the channels (axis 1) of each sample of x (N, C, ...) into num_groups groups of
    consecutive channels and normalise each group over its channels and the remaining axes,
    with the group's own mean and biased variance; then scale and shift each channel
    (PyTorch's `torch.nn.functional.group_norm`):

        y = (x - mean) / √(var + eps) · weight + bias       (weight, bias: one per channel)

    The group statistics are layer normalisation of x reshaped to (N, G, C/G · ...): the same
    op (`autograd.ops.normalize`), so the gradients, of any order, come from its rule.

    >>> group_norm(Tensor([[1.0, 3.0, 10.0, 30.0]]), 2).data.round(4)    # (1, 3) and (10, 30)
    array([[-1.,  1., -1.,  1.]], dtype=float32)
    """
    x = _floating("group_norm", x)
    if x.ndim < 2:
        raise ValueError(f"group_norm: input must be at least 2-d (N, C, ...), got shape "
                         f"{x.shape}")
    groups = _positive_int("group_norm", "num_groups", num_groups)
    if x.shape[1] % groups:
        raise ValueError(f"group_norm: the input's {x.shape[1]} channels (axis 1 of shape "
                         f"{x.shape}) do not split into num_groups={groups} groups of equal "
                         f"size")
    _check_per_channel("group_norm", x.shape, weight, bias)
    if x.data.size // groups == 1:                  # PyTorch refuses this case too
        raise ValueError(f"group_norm: the input of shape {x.shape} with num_groups={groups} "
                         f"leaves one value per group, which normalises to 0 whatever it is; "
                         f"use fewer groups or give more values per channel")
    return _normalised_groups(x, groups, weight, bias, eps)


def _normalised_groups(x: Tensor, groups: int, weight: Any, bias: Any, eps: float) -> Tensor:
    """group_norm of arguments already checked."""
    n, channels = x.shape[:2]
    per_group = channels // groups * math.prod(x.shape[2:])
    grouped = x.reshape(n, groups, per_group)
    y = layer_norm(grouped, per_group, eps=eps) if per_group else grouped   # (no values: none)
    y = y.reshape(x.shape)
    shape = (1, channels) + (1,) * (x.ndim - 2)     # broadcasts over all but the channels
    if weight is not None:
        y = y * _floating_like(x, weight).reshape(shape)
    if bias is not None:
        y = y + _floating_like(x, bias).reshape(shape)
    return y


def instance_norm(x: Any, running_mean: Tensor | np.ndarray | None = None,
                  running_var: Tensor | np.ndarray | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of x (N, C, L) or (N, C, H, W) over its own
    values (L, or H and W) with their mean and biased variance, then scale and shift each
    channel (PyTorch's `torch.nn.functional.instance_norm`; group_norm with one group per
    channel):

        y = (x - mean) / √(var + eps) · weight + bias       (weight, bias: one per channel)

    Running statistics, when given, are updated in place with the batch's average of the
    instances' means and *unbiased* variances, as PyTorch's are:

        running ← (1 - momentum) · running + momentum · (average over the batch)

    An empty batch (N = 0) leaves them as they are (PyTorch's turn into NaN). With
    use_input_stats=False the running statistics replace the instances' own (as `batch_norm`
    in evaluation).

    >>> instance_norm(Tensor([[[1.0, 3.0], [10.0, 30.0]]])).data.round(4)
    array([[[-1.,  1.],
            [-1.,  1.]]], dtype=float32)
    """
    x = _floating("instance_norm", x)
    running_mean, running_var = _check_batch_norm_arguments(
        x, running_mean, running_var, weight, bias, momentum if use_input_stats else 0.0,
        "instance_norm")
    if not use_input_stats:
        if running_mean is None:
            raise ValueError("instance_norm: use_input_stats=False normalises with the "
                             "running statistics: give running_mean and running_var")
        return batch_norm(x, running_mean, running_var, weight, bias, False, eps=eps)
    if math.prod(x.shape[2:]) < 2:
        raise ValueError(f"instance_norm: each channel of each sample needs more than one "
                         f"value to normalise (over L, or H and W), got input of shape "
                         f"{x.shape}")
    # (an empty batch has no statistics: the mean of none would make them NaN for good; a
    # checkpoint's second run of this call leaves them: updated once per step)
    if running_mean is not None and x.shape[0] and not recomputing():
        spread = tuple(range(2, x.ndim))
        _update(running_mean, x.data.mean(spread).mean(0), momentum)
        _update(running_var, x.data.var(spread, ddof=1).mean(0), momentum)
    return _normalised_groups(x, max(x.shape[1], 1), weight, bias, eps)   # (C = 0: empty)


def _positive_int(name: str, what: str, value: Any) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}: {what} must be a positive integer, got {value!r}")
    return int(value)


def _channel_hint(shape: tuple, channels: int, axis: int) -> str:
    """For an input with the expected channels last rather than on `axis`: how to move them."""
    if len(shape) == 5:
        return _volume_channels_last_hint(shape, channels)
    if len(shape) == 4 and axis == 0:               # one volume (C, D, H, W)
        if shape[-1] != channels or shape[0] == channels:
            return ""
        return ("; it looks like a volume with channels last (D, H, W, C): make it "
                "(C, D, H, W) with x.transpose(3, 0, 1, 2)")
    if len(shape) == 4:
        return _channels_last_hint(shape, channels)
    if len(shape) - axis != 2 or shape[-1] != channels or shape[axis] == channels:
        return ""
    return ("; it looks like a sequence with channels last (L, C): swap its last two axes "
            "(x.swapaxes(-1, -2)) to put the channels first, as PyTorch's layers want them")


class GroupNorm(Module):
    """Group normalisation (PyTorch's `nn.GroupNorm`): the channels of each sample (N, C, ...)
    split into num_groups groups of consecutive channels, each group normalised over its
    channels and the remaining axes by its own mean and biased variance (see `group_norm`);
    then each channel scaled by `weight` (ones) and shifted by `bias` (zeros), of shape
    (num_channels,) (no `bias` with bias=False, neither with affine=False). No batch or running
    statistics: training and evaluation compute the same thing, and a batch of one is fine.
    GroupNorm(1, C) normalises each sample as a whole, GroupNorm(C, C) each channel alone (as
    InstanceNorm with affine=True).

    >>> norm = GroupNorm(2, 4)
    >>> norm(Tensor([[1.0, 3.0, 10.0, 30.0]])).data.round(4)
    array([[-1.,  1., -1.,  1.]], dtype=float32)
    >>> list(norm.state_dict()), norm
    (['weight', 'bias'], GroupNorm(2, 4, eps=1e-05, affine=True, bias=True))
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype: Any = None, *, device: Any = None,
                 bias: bool = True) -> None:
        check_device("GroupNorm", device)
        groups = _positive_int("GroupNorm", "num_groups", num_groups)
        channels = _positive_int("GroupNorm", "num_channels", num_channels)
        if channels % groups:
            raise ValueError(f"GroupNorm: num_channels ({channels}) must be divisible by "
                             f"num_groups ({groups})")
        if not (_is_real(eps) and eps > 0):
            raise ValueError(f"GroupNorm: eps must be a number > 0, got {eps!r}")
        self.num_groups, self.num_channels = groups, channels
        self.eps, self.affine = float(eps), bool(affine)
        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        self.weight = Parameter(np.ones(channels), dtype) if affine else None
        self.bias = Parameter(np.zeros(channels), dtype) if affine and bias else None

    def forward(self, x: Any) -> Tensor:
        x = _floating(type(self).__name__, x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            message = (f"{self!r}: expected an input (N, C, ...) with {self.num_channels} "
                       f"channels on axis 1, got shape {x.shape}"
                       f"{_channel_hint(x.shape, self.num_channels, 1)}")
            if x.ndim < 2 or self.affine or x.shape[1] % self.num_groups:
                raise ValueError(message)
            # as PyTorch: without weights num_channels is not needed, so the input's count goes
            warn(f"{message}; normalising its {x.shape[1]} channels in {self.num_groups} groups "
                 f"(PyTorch does so without a word)")
        try:
            return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)
        except ValueError as error:         # name the layer, not only the function
            raise ValueError(f"{self!r}: {str(error).removeprefix('group_norm: ')}") from None

    def reset_parameters(self) -> None:
        """weight back to ones and bias to zeros, in place, as when made."""
        _reset_affine(self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(_BatchNorm):
    """What InstanceNorm1d and InstanceNorm2d share: each channel of each sample normalised
    over its own values (see `instance_norm`), in training and in evaluation alike, unless
    track_running_stats=True: then training also updates running estimates (the batch's
    average of the instances' means and unbiased variances), which evaluation uses instead.
    PyTorch's defaults: no `weight` or `bias` (affine=False), no running statistics. As in
    PyTorch, momentum=None means momentum 0 here (the running statistics stay as they are, and
    `num_batches_tracked` stays 0), not BatchNorm's cumulative average."""

    layout = sample = ""    # of a batch, "(N, C, L)", and of a single sample, "(C, L)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False,
                 dtype: Any = None, *, device: Any = None, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype,
                         device=device, bias=bias)

    def forward(self, x: Any) -> Tensor:
        x = _floating(type(self).__name__, x)
        single, batched = self.dims
        if x.ndim not in self.dims:
            raise ValueError(f"{self!r}: expected a {batched}-d input {self.layout}, or one "
                             f"sample {self.sample}, got shape {x.shape}")
        axis = x.ndim - single                       # of the channels: 0 for a single sample
        if x.shape[axis] != self.num_features:
            if x.ndim == 2 and x.shape[1] == self.num_features:
                hint = (f"; features (N, C) or a sequence with its channels last (L, C)? "
                        f"{type(self).__name__} normalises each channel over a length L: "
                        f"give it sequences {self.layout}, or one {self.sample}")
            else:
                hint = _channel_hint(x.shape, self.num_features, axis)
            message = (f"{self!r}: expected {self.num_features} channels on axis {axis} of "
                       f"{self.layout if axis else self.sample}, got shape {x.shape}{hint}")
            if self.affine or self.track_running_stats:
                raise ValueError(message)
            warn(f"{message}; normalising its {x.shape[axis]} channels (PyTorch does too: "
                 f"without weights or running statistics num_features is not needed)")
        use_input_stats = self.training or not self.track_running_stats
        if use_input_stats and math.prod(x.shape[axis + 1:]) < 2:
            raise ValueError(f"{self!r}: normalises each channel over its own values and needs "
                             f"more than one per channel, got input of shape {x.shape}")
        batch = x if axis else x.reshape((1,) + x.shape)
        y = instance_norm(batch, self.running_mean, self.running_var, self.weight, self.bias,
                          use_input_stats, 0.0 if self.momentum is None else self.momentum,
                          self.eps)
        return y if axis else y.reshape(x.shape)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of sequences (N, C, L), or of one (C, L): each channel of each
    sample over its length L.

    >>> InstanceNorm1d(2)(Tensor([[[1.0, 3.0], [10.0, 30.0]]])).data.round(4)
    array([[[-1.,  1.],
            [-1.,  1.]]], dtype=float32)
    """
    dims, layout, sample = (2, 3), "(N, C, L)", "(C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of images (N, C, H, W), or of one (C, H, W): each channel of each
    image over its H and W.

    >>> images = Tensor([[[[1.0, 3.0]]], [[[10.0, 30.0]]]])      # (N, C, H, W) = (2, 1, 1, 2)
    >>> InstanceNorm2d(1)(images).data.ravel().round(4)          # each image by itself
    array([-1.,  1., -1.,  1.], dtype=float32)
    """
    dims, layout, sample = (3, 4), "(N, C, H, W)", "(C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of volumes (N, C, D, H, W), or of one (C, D, H, W): each channel
    of each volume over its D, H and W.

    >>> InstanceNorm3d(1)(Tensor([[[[[1.0]], [[3.0]]]]])).data.ravel().round(4)   # D = 2
    array([-1.,  1.], dtype=float32)
    """
    dims, layout, sample = (4, 5), "(N, C, D, H, W)", "(C, D, H, W)"
