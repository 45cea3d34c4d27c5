"""Resizing feature maps without weights: `interpolate` and its layers `Upsample`,
`UpsamplingNearest2d`, `UpsamplingBilinear2d`; `pixel_shuffle` / `pixel_unshuffle` and their
layers `PixelShuffle`, `PixelUnshuffle`, which trade channels for resolution. PyTorch's names,
arguments and numbers (the decoders of autoencoders, U-Nets and GANs upsample with them, next
to or instead of `ConvTranspose2d`).

>>> import numpy as np
>>> from autograd import Tensor
>>> x = Tensor(np.arange(4.0).reshape(1, 1, 2, 2))
>>> Upsample(scale_factor=2)(x).data[0, 0]                 # each pixel becomes a 2x2 block
array([[0., 0., 1., 1.],
       [0., 0., 1., 1.],
       [2., 2., 3., 3.],
       [2., 2., 3., 3.]])
>>> PixelShuffle(2)(Tensor(np.arange(4.0).reshape(1, 4, 1, 1))).data[0, 0]
array([[0., 1.],
       [2., 3.]])
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.functional.arguments import _floating, _is_int
from autograd.functional.pooling import (
    _adaptive_avg_pool1d, _adaptive_avg_pool2d, _adaptive_avg_pool3d,
)
from autograd.graph import apply
from autograd.ops.resample import (
    Resample, ResampleCtx, cubic_taps, linear_taps, nearest_taps, output_size,
)

from .module import Module

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle", "Upsample", "UpsamplingNearest2d",
           "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle"]

# mode -> the input's rank it needs (None: 3-d, 4-d or 5-d, one, two or three axes resized)
MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 3, "bilinear": 4,
         "bicubic": 4, "trilinear": 5}
INPUT_LAYOUT = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize x (N, C, L), (N, C, H, W) or volumes (N, C, D, H, W) to `size`, or by
    `scale_factor` (output size floor(size · factor)); an int or float for every axis, or one
    per axis. Modes: "nearest" (the pixel at the output's left edge: PyTorch's historic
    choice), "nearest-exact" (the pixel under its centre), "linear" (3-d), "bilinear",
    "bicubic" (4-d; Keys' cubic, may overshoot the input's range), "trilinear" (5-d) and
    "area" (adaptive average pooling).
    The interpolating modes map the images' edges onto each other, or with
    align_corners=True the centres of their corner pixels. With a scale_factor the input
    positions are o / scale_factor, as PyTorch's (but "nearest" on images, as PyTorch's 2-d
    kernel, copies an axis the factor leaves at its size and doubles one it makes twice as
    long); recompute_scale_factor=True uses size / output size instead. Differentiable to any
    order.

    >>> x = Tensor([[[0.0, 1.0]]])                                     # (N, C, L) = (1, 1, 2)
    >>> interpolate(x, size=4, mode="linear").data
    array([[[0.  , 0.25, 0.75, 1.  ]]], dtype=float32)
    >>> interpolate(x, size=4, mode="linear", align_corners=True).data.round(4)
    array([[[0.    , 0.3333, 0.6667, 1.    ]]], dtype=float32)
    """
    return _interpolate("interpolate", input, size, scale_factor, mode, align_corners,
                        recompute_scale_factor, antialias)


def _interpolate(name: str, x: Any, size: Any, scale_factor: Any, mode: str,
                 align_corners: Any, recompute_scale_factor: Any, antialias: Any) -> Tensor:
    """`interpolate`, its errors naming `name` (the function, or the layer)."""
    _check_options(name, size, scale_factor, mode, align_corners, recompute_scale_factor,
                   antialias)
    x = _floating(name, x)
    rank = MODES[mode]
    ranks = (rank,) if rank else (3, 4, 5)
    if x.ndim not in ranks:
        layouts = " or ".join(f"{r}-d {INPUT_LAYOUT[r]}" for r in ranks)
        raise ValueError(f"{name}: mode {mode!r} takes a {layouts} input, got shape "
                         f"{x.shape}{_rank_hint(x.shape, rank)}")
    if 0 in x.shape[2:]:
        raise ValueError(f"{name}: cannot resize an empty input, shape {x.shape}")
    sizes = x.shape[2:]
    if size is not None:
        outs, factors = _per_axis(name, "size", size, len(sizes)), [None] * len(sizes)
    else:
        factors = _per_axis(name, "scale_factor", scale_factor, len(sizes))
        outs = [output_size(n, f) for n, f in zip(sizes, factors)]
        if min(outs) < 1:
            raise ValueError(f"{name}: scale_factor {scale_factor} makes the spatial size "
                             f"{tuple(sizes)} into {tuple(outs)}; every output size must be >= 1")
        if recompute_scale_factor or mode == "area":
            factors = [None] * len(sizes)           # the positions follow size / output size
    if mode == "area":
        pool = {3: _adaptive_avg_pool1d, 4: _adaptive_avg_pool2d, 5: _adaptive_avg_pool3d}
        return pool[x.ndim](name, x, outs[0] if x.ndim == 3 else tuple(outs))
    # positions and weights in float64 for float64, else float32 as PyTorch (in float16,
    # positions past 2048 would not even be whole numbers)
    dtype = np.float64 if x.dtype == np.float64 else np.float32
    for axis in reversed(range(2, x.ndim)):         # W, then H (then D): PyTorch's order
        n, out, factor = sizes[axis - 2], outs[axis - 2], factors[axis - 2]
        if mode == "nearest" and x.ndim == 4 and out in (n, 2 * n):
            # PyTorch's 2-d kernel (not its 1-d one) takes these sizes as a copy and a
            # doubling, whatever the factor: scale 1.3 on 2 rows reads rows 0, 1 (not 0, 0)
            taps = nearest_taps(n, out, None, False, dtype)
        elif mode in ("nearest", "nearest-exact"):
            taps = nearest_taps(n, out, factor, mode == "nearest-exact", dtype)
        elif mode == "bicubic":
            taps = cubic_taps(n, out, factor, bool(align_corners), dtype)
        else:
            taps = linear_taps(n, out, factor, bool(align_corners), dtype)
        x = apply(Resample, (x,), ResampleCtx(axis, taps))
    return x


def _check_options(name: str, size: Any, scale_factor: Any, mode: Any, align_corners: Any,
                   recompute_scale_factor: Any, antialias: Any) -> None:
    """The checks that need no input (a layer makes them when it is built)."""
    if not (isinstance(mode, str) and mode in MODES):
        raise ValueError(f"{name}: mode must be one of {', '.join(map(repr, MODES))}, got "
                         f"{mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: give exactly one of size and scale_factor, got "
                         f"{'both' if size is not None else 'neither'}")
    if align_corners is not None:
        if mode in ("nearest", "nearest-exact", "area"):
            raise ValueError(f"{name}: align_corners is for the interpolating modes "
                             f"(linear, bilinear, bicubic, trilinear), not mode {mode!r}; "
                             f"leave it None")
        if not isinstance(align_corners, bool):
            raise TypeError(f"{name}: align_corners must be True, False or None, got "
                            f"{align_corners!r}")
    if recompute_scale_factor not in (None, True, False):
        raise TypeError(f"{name}: recompute_scale_factor must be True, False or None, got "
                        f"{recompute_scale_factor!r}")
    if recompute_scale_factor and size is not None:
        raise ValueError(f"{name}: recompute_scale_factor=True needs a scale_factor: with a "
                         f"size there is no factor to recompute")
    if antialias is not False:
        raise ValueError(f"{name}: antialias=True (blurring before downsampling) is not "
                         f"supported; got antialias={antialias!r}")
    if size is not None:
        _per_axis(name, "size", size, None)
    else:
        _per_axis(name, "scale_factor", scale_factor, None)


def _per_axis(name: str, what: str, value: Any, axes: int | None) -> list:
    """`size` (ints >= 1) or `scale_factor` (finite numbers > 0) as one per spatial axis, from
    a number for all of them or a sequence of `axes` of them (`axes=None`: any length)."""
    values = list(value) if isinstance(value, (tuple, list)) else [value]
    if what == "size":
        good = all(_is_int(v) and v >= 1 for v in values)
        expected = "an int >= 1"
    else:
        good = all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                   and math.isfinite(v) and v > 0 for v in values)
        expected = "a number > 0"
    if not values or not good:
        raise ValueError(f"{name}: {what} must be {expected} or a sequence of them, got {value!r}")
    if axes is None:
        return values
    if not isinstance(value, (tuple, list)):
        values = values * axes                      # one number for every axis
    elif len(values) != axes:
        raise ValueError(f"{name}: {what} {value!r} has {len(values)} entries, but the input "
                         f"has {axes} spatial {'axis' if axes == 1 else 'axes'}")
    return [int(v) if what == "size" else float(v) for v in values]


def _rank_hint(shape: tuple, rank: int | None) -> str:
    """How to reach the layout the mode takes from the usual slips."""
    if len(shape) == 2 and rank != 3:
        return f"; for one one-channel image: x.reshape(1, 1, {shape[0]}, {shape[1]})"
    if len(shape) == 3 and rank == 4:
        channels = f"{shape[0]} channel" + ("s" if shape[0] != 1 else "")
        return f"; for one image of {channels}: x.reshape(1, {', '.join(map(str, shape))})"
    if len(shape) == 4 and rank == 3:
        return "; for images use mode 'bilinear'"
    if len(shape) == 4 and rank == 5:
        return (f"; for one volume of {shape[0]} channels: "
                f"x.reshape(1, {', '.join(map(str, shape))})")
    if len(shape) == 5:
        return "; for volumes use mode 'trilinear'"
    return ""


# ----------------------------------------------------------------------------------------------
# Pixel shuffle: channels to resolution and back
# ----------------------------------------------------------------------------------------------

def pixel_shuffle(input: Any, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) -> (*, C, H·r, W·r): each group of r² channels becomes an r x r block of
    pixels (r = upscale_factor), channel c·r² + i·r + j going to offset (i, j) of the block.
    A convolution to C·r² channels then a pixel shuffle upsamples without the checkerboard of
    transposed convolutions (ESPCN, "sub-pixel convolution"). A reshape and a permutation.

    >>> from autograd import zeros
    >>> pixel_shuffle(zeros((5, 8, 3, 4)), 2).shape
    (5, 2, 6, 8)
    """
    return _pixel_shuffle("pixel_shuffle", input, upscale_factor)


def _pixel_shuffle(name: str, x: Any, r: Any) -> Tensor:
    r = _factor(name, "upscale_factor", r)
    x = _floating(name, x)
    if x.ndim < 3:
        raise ValueError(f"{name}: expected an input (*, C·r², H, W) of at least 3 axes, got "
                         f"shape {x.shape}")
    *batch, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(f"{name}: the input's {c} channels (shape {x.shape}) are not divisible "
                         f"by upscale_factor² = {r * r}")
    lead = len(batch)
    blocks = x.reshape(*batch, c // (r * r), r, r, h, w)
    order = tuple(range(lead)) + tuple(lead + k for k in (0, 3, 1, 4, 2))     # C, H, i, W, j
    return blocks.permute(*order).reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Any, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) -> (*, C·r², H, W): the inverse of `pixel_shuffle`, each r x r block of
    pixels becoming r² channels.

    >>> from autograd import zeros
    >>> pixel_unshuffle(zeros((5, 2, 6, 8)), 2).shape
    (5, 8, 3, 4)
    """
    return _pixel_unshuffle("pixel_unshuffle", input, downscale_factor)


def _pixel_unshuffle(name: str, x: Any, r: Any) -> Tensor:
    r = _factor(name, "downscale_factor", r)
    x = _floating(name, x)
    if x.ndim < 3:
        raise ValueError(f"{name}: expected an input (*, C, H·r, W·r) of at least 3 axes, got "
                         f"shape {x.shape}")
    *batch, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(f"{name}: the input's height {h} and width {w} (shape {x.shape}) must "
                         f"both be divisible by downscale_factor {r}")
    lead = len(batch)
    blocks = x.reshape(*batch, c, h // r, r, w // r, r)
    order = tuple(range(lead)) + tuple(lead + k for k in (0, 2, 4, 1, 3))     # C, i, j, H, W
    return blocks.permute(*order).reshape(*batch, c * r * r, h // r, w // r)


def _factor(name: str, what: str, r: Any) -> int:
    if not (_is_int(r) and r >= 1):
        raise ValueError(f"{name}: {what} must be an int >= 1, got {r!r}")
    return int(r)


# ----------------------------------------------------------------------------------------------
# The layers
# ----------------------------------------------------------------------------------------------

class Upsample(Module):
    """`interpolate` as a layer: resize (N, C, L) or (N, C, H, W) to `size` or by
    `scale_factor`, with `mode` "nearest" (the default), "nearest-exact", "linear",
    "bilinear", "bicubic" or "area". No parameters.

    >>> Upsample(scale_factor=2, mode="bilinear")
    Upsample(scale_factor=2.0, mode='bilinear')
    >>> from autograd import zeros
    >>> Upsample(size=(14, 14))(zeros((3, 8, 7, 7))).shape
    (3, 8, 14, 14)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        _check_options(type(self).__name__, size, scale_factor, mode, align_corners,
                       recompute_scale_factor, False)        # bad options fail here
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = None if scale_factor is None else float(scale_factor)
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x: Any) -> Tensor:
        return _interpolate(repr(self), x, self.size, self.scale_factor, self.mode,
                            self.align_corners, self.recompute_scale_factor, False)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """`Upsample` of images (N, C, H, W) with mode "nearest".

    >>> from autograd import zeros
    >>> UpsamplingNearest2d(scale_factor=2)(zeros((1, 3, 4, 5))).shape
    (1, 3, 8, 10)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")

    def forward(self, x: Any) -> Tensor:
        return super().forward(_images(repr(self), x))


class UpsamplingBilinear2d(Upsample):
    """`Upsample` of images (N, C, H, W) with mode "bilinear" and align_corners=True (the
    corner pixels stay where they are), as PyTorch's layer of this name.

    >>> UpsamplingBilinear2d(size=(3, 3))(Tensor([[[[0.0, 2.0], [4.0, 6.0]]]])).data[0, 0]
    array([[0., 1., 2.],
           [2., 3., 4.],
           [4., 5., 6.]], dtype=float32)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


def _images(name: str, x: Any) -> Tensor:
    """x, checked to be images (N, C, H, W): mode "nearest" also resizes (N, C, L), and one
    image (C, H, W) would pass for that, its width alone resized."""
    x = _floating(name, x)
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 4-d input (N, C, H, W), got shape "
                         f"{x.shape}{_rank_hint(x.shape, 4)}")
    return x


class PixelShuffle(Module):
    """`pixel_shuffle` as a layer: (*, C·r², H, W) -> (*, C, H·r, W·r), r = upscale_factor.

    >>> PixelShuffle(3)
    PixelShuffle(upscale_factor=3)
    """

    def __init__(self, upscale_factor: int) -> None:
        self.upscale_factor = _factor("PixelShuffle", "upscale_factor", upscale_factor)

    def forward(self, x: Any) -> Tensor:
        return _pixel_shuffle(repr(self), x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """`pixel_unshuffle` as a layer: (*, C, H·r, W·r) -> (*, C·r², H, W), r = downscale_factor.

    >>> from autograd import zeros
    >>> PixelUnshuffle(2)(zeros((1, 3, 4, 6))).shape
    (1, 12, 2, 3)
    """

    def __init__(self, downscale_factor: int) -> None:
        self.downscale_factor = _factor("PixelUnshuffle", "downscale_factor", downscale_factor)

    def forward(self, x: Any) -> Tensor:
        return _pixel_unshuffle(repr(self), x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
