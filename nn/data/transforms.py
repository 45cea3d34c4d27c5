"""Image transforms in torchvision's spelling, for datasets whose samples are images:
`Compose`, `ToTensor`, `Normalize`, `Resize`, `CenterCrop`, `RandomCrop`,
`RandomHorizontalFlip`, `RandomVerticalFlip`, `Lambda`.

A transform is a callable from one image to the next. Images are channels first, (C, H, W),
or a batch (N, C, H, W), as Tensors; `ToTensor` makes one from a numpy image of the usual
(H, W, C) layout (or (H, W) grey), scaling 0-255 integers to [0, 1]. The random ones draw from
`autograd.default_rng()`, so `autograd.manual_seed` repeats them. None records a graph: data
preparation comes before the model.

>>> import numpy as np
>>> import autograd
>>> from nn.data import transforms as T
>>> prepare = T.Compose([T.ToTensor(), T.Normalize(mean=[0.5], std=[0.5])])
>>> image = np.array([[0, 255], [51, 204]], np.uint8)           # a 2 × 2 grey image
>>> prepare(image)
Tensor([[[-1. ,  1. ],
         [-0.6,  0.6]]])
>>> autograd.manual_seed(0)
>>> T.RandomHorizontalFlip(p=1.0)(prepare(image)).shape
(1, 2, 2)
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

import numpy as np

from autograd import Tensor, get_default_dtype, no_grad
from autograd.random import default_rng

__all__ = ["Compose", "ToTensor", "Normalize", "Resize", "CenterCrop", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "Lambda"]


class Compose:
    """The transforms one after another: `Compose([ToTensor(), Normalize(m, s)])(image)`."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        transforms = list(transforms)
        for i, t in enumerate(transforms):
            if isinstance(t, type):     # T.ToTensor, not T.ToTensor(): it would be called
                raise TypeError(f"Compose: transform {i} is the class {t.__name__}, not a "
                                f"transform: write it with parentheses, {t.__name__}(...)")
            if not callable(t):
                raise TypeError(f"Compose: transform {i} is a {type(t).__name__}, not a "
                                f"callable")
        self.transforms = transforms

    def __call__(self, image: Any) -> Any:
        for t in self.transforms:
            image = t(image)
        return image

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class ToTensor:
    """A numpy image (H, W, C) or (H, W) as a float Tensor (C, H, W), channels first: integers
    0-255 (uint8) divided by 255 into [0, 1]; floats kept as they are, in the default dtype.
    A Tensor is taken to be channels first already and only made float."""

    def __call__(self, image: Any) -> Tensor:
        if isinstance(image, Tensor):
            array = image.data
        else:
            array = np.asarray(image)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"ToTensor: expected an image of numbers, got dtype "
                                f"{array.dtype} (a PIL image: np.asarray(image) first)")
            if array.ndim == 2:
                array = array[None]                     # grey: one channel
            elif array.ndim == 3:
                array = np.moveaxis(array, -1, 0)       # (H, W, C) -> (C, H, W)
            else:
                raise ValueError(f"ToTensor: expected an image (H, W, C) or (H, W), got shape "
                                 f"{array.shape} (a batch: apply it to each image)")
        dtype = get_default_dtype()
        scaled = array / np.array(255, dtype) if array.dtype == np.uint8 else array
        return Tensor(np.ascontiguousarray(scaled, dtype=dtype))

    def __repr__(self) -> str:
        return "ToTensor()"


def _image(where: str, image: Any) -> Tensor:
    """`image` as a Tensor (C, H, W) or (N, C, H, W), or an error saying what to do."""
    if not isinstance(image, Tensor):
        if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[-1] in (1, 3, 4) \
                and image.shape[0] not in (1, 3, 4):
            raise TypeError(f"{where}: got a numpy image of shape {image.shape} (H, W, C): put "
                            f"ToTensor() first in the Compose, which makes it (C, H, W)")
        image = Tensor(np.asarray(image))
    if image.ndim < 2:
        raise ValueError(f"{where}: expected an image (C, H, W) or a batch (N, C, H, W), got "
                         f"shape {image.shape}")
    return image


class Normalize:
    """(image - mean) / std per channel, for an image (C, H, W) or a batch (N, C, H, W):
    `mean` and `std` one number per channel (or one for all).

    >>> Normalize(mean=[1.0, 2.0], std=[2.0, 4.0])(Tensor(np.full((2, 1, 1), 3.0))).tolist()
    [[[1.0]], [[0.25]]]
    """

    def __init__(self, mean: Any, std: Any, inplace: bool = False) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, np.float64))
        self.std = np.atleast_1d(np.asarray(std, np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError(f"Normalize: mean and std are one number per channel, got shapes "
                             f"{self.mean.shape} and {self.std.shape}")
        if (self.std == 0).any():
            raise ValueError(f"Normalize: std has a zero ({self.std.tolist()}): that channel "
                             f"would be divided by 0")
        self.inplace = inplace

    def __call__(self, image: Any) -> Tensor:
        image = _image("Normalize", image)
        channels = image.shape[-3] if image.ndim >= 3 else 1
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, channels):
                raise ValueError(f"Normalize: {len(values)} {name} values for an image of "
                                 f"{channels} channels (shape {image.shape}): give one per "
                                 f"channel")
        shape = (-1, 1, 1) if image.ndim >= 3 else (1, 1)
        dtype = image.dtype if image.dtype.kind == "f" else get_default_dtype()
        mean, std = (v.astype(dtype).reshape(shape) for v in (self.mean, self.std))
        with no_grad():
            if self.inplace and image.dtype.kind == "f":
                image.data -= mean
                image.data /= std
                return image
            return Tensor((image.data - mean) / std)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


def _pair(where: str, size: Any) -> tuple[int, int]:
    """An output size: one int (a square) or (height, width), each a positive int."""
    pair = (size, size) if isinstance(size, numbers.Integral) else tuple(size)
    if len(pair) != 2 or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool)
                                 and n > 0 for n in pair):
        raise ValueError(f"{where}: size must be a positive int or (height, width), got "
                         f"{size!r}")
    return int(pair[0]), int(pair[1])


def _crop(where: str, image: Tensor, top: int, left: int, size: tuple) -> Tensor:
    height, width = image.shape[-2:]
    if size[0] > height or size[1] > width:
        raise ValueError(f"{where}: a {size[0]} × {size[1]} crop of an image {height} × "
                         f"{width} (shape {image.shape}); pass padding= (RandomCrop) or resize "
                         f"first")
    with no_grad():
        return Tensor(np.ascontiguousarray(
            image.data[..., top:top + size[0], left:left + size[1]]))


class CenterCrop:
    """The middle `size` × `size` (or (height, width)) of the image."""

    def __init__(self, size: Any) -> None:
        self.size = _pair("CenterCrop", size)

    def __call__(self, image: Any) -> Tensor:
        image = _image("CenterCrop", image)
        height, width = image.shape[-2:]
        top = int(round((height - self.size[0]) / 2))
        left = int(round((width - self.size[1]) / 2))
        return _crop("CenterCrop", image, max(top, 0), max(left, 0), self.size)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class RandomCrop:
    """A `size` crop at a random place, after `padding` (an int, or (left/right, top/bottom))
    pixels of `fill` around the image: the CIFAR augmentation RandomCrop(32, padding=4).

    >>> import autograd
    >>> autograd.manual_seed(0)
    >>> RandomCrop(2, padding=1)(Tensor(np.ones((1, 2, 2)))).shape
    (1, 2, 2)
    """

    def __init__(self, size: Any, padding: Any = None, fill: float = 0.0) -> None:
        self.size = _pair("RandomCrop", size)
        if padding is None:
            padding = 0
        pad = (padding, padding) if isinstance(padding, numbers.Integral) else tuple(padding)
        if len(pad) != 2 or not all(isinstance(p, numbers.Integral) and p >= 0 for p in pad):
            raise ValueError(f"RandomCrop: padding must be an int >= 0 or (left/right, "
                             f"top/bottom), got {padding!r}")
        self.padding, self.fill = (int(pad[0]), int(pad[1])), fill

    def __call__(self, image: Any) -> Tensor:
        image = _image("RandomCrop", image)
        across, down = self.padding
        if across or down:
            widths = [(0, 0)] * (image.ndim - 2) + [(down, down), (across, across)]
            image = Tensor(np.pad(image.data, widths, constant_values=self.fill))
        height, width = image.shape[-2:]
        rng = default_rng()
        top = int(rng.integers(0, max(height - self.size[0], 0) + 1))
        left = int(rng.integers(0, max(width - self.size[1], 0) + 1))
        return _crop("RandomCrop", image, top, left, self.size)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class _RandomFlip:
    axis = -1

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p is a probability in [0, 1], got {p!r}")
        self.p = p

    def __call__(self, image: Any) -> Tensor:
        image = _image(type(self).__name__, image)
        if default_rng().random() >= self.p:
            return image
        with no_grad():
            return Tensor(np.ascontiguousarray(np.flip(image.data, axis=self.axis)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """The image mirrored left to right with probability `p`."""
    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """The image turned upside down with probability `p`."""
    axis = -2


class Resize:
    """The image resized to `size` (an int: a square; or (height, width)) by bilinear
    interpolation (`nn.functional.interpolate`, no antialiasing: shrink by at most ~2× at a
    time to keep thin lines)."""

    def __init__(self, size: Any) -> None:
        self.size = _pair("Resize", size)

    def __call__(self, image: Any) -> Tensor:
        from nn.functional import interpolate   # (nn.functional imports nn.data's siblings)
        image = _image("Resize", image)
        batched = image.ndim == 4
        x = image if batched else image.reshape((1,) * (4 - image.ndim) + image.shape)
        if x.dtype.kind != "f":
            x = x.astype(get_default_dtype())
        with no_grad():
            out = interpolate(x, size=self.size, mode="bilinear", align_corners=False)
        return out if batched else out.reshape(image.shape[:-2] + self.size)

    def __repr__(self) -> str:
        return f"Resize(size={self.size})"


class Lambda:
    """A function of your own as a transform: `Lambda(lambda x: x.clamp(0, 1))`."""

    def __init__(self, function: Callable) -> None:
        if not callable(function):
            raise TypeError(f"Lambda: expected a function, got {type(function).__name__}")
        self.function = function

    def __call__(self, image: Any) -> Any:
        return self.function(image)

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.function, '__name__', 'function')})"
