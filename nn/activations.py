"""More activation modules, PyTorch's: `ReLU6`, `ELU`, `SELU`, `CELU`, `SiLU`, `Mish`,
`Softplus`, `Softsign`, `Hardtanh`, `Hardsigmoid`, `Hardswish`, `LogSigmoid`, `Tanhshrink`,
`Softmin`, `GLU` and `PReLU` (a learned slope); and the shape and pair modules `Unflatten`,
`CosineSimilarity`, `PairwiseDistance`. (`ReLU`, `LeakyReLU`, `GELU`, `Sigmoid`, `Tanh`,
`Softmax` and `LogSoftmax` are in nn.layers.)

Each calls the function of the same name in nn.functional, for Tensors, with PyTorch's
arguments and defaults, checked when the module is made. (This module imports nothing from
nn.layers, so that nn.layers can name these classes in its table of activations.) `inplace=True` is accepted for
PyTorch code and changes nothing: the result is a new tensor and the input is kept.

>>> import numpy as np
>>> from autograd import Tensor, manual_seed
>>> from nn import Linear, Sequential
>>> manual_seed(0)
>>> model = Sequential(Linear(4, 8), SiLU(), Linear(8, 6), Unflatten(1, (2, 3)))
>>> model(Tensor(np.zeros((5, 4)))).shape
(5, 2, 3)
>>> ELU(alpha=0.5, inplace=True), Softplus(beta=2.0)
(ELU(alpha=0.5, inplace=True), Softplus(beta=2.0, threshold=20.0))
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd import functional as AF
from autograd.devices import check_device
from autograd.tensor import _one_name   # `dim=` for `axis=`, PyTorch's name, as Tensor takes it

from . import functional as F
from .module import Module, Parameter

__all__ = [
    "ReLU6", "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Softsign", "Hardtanh",
    "Hardsigmoid", "Hardswish", "LogSigmoid", "Tanhshrink", "Softmin", "GLU", "PReLU",
    "Unflatten", "CosineSimilarity", "PairwiseDistance",
]


class _InPlace(Module):
    """An activation that takes PyTorch's `inplace` flag (shown in the repr when set)."""

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""

    def _with_inplace(self, settings: str) -> str:
        return settings + (", inplace=True" if self.inplace else "")


class Hardtanh(_InPlace):
    """x clamped to [min_val, max_val] (`F.hardtanh`); slope 1 strictly inside, else 0."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
                 ) -> None:
        super().__init__(inplace)
        self.min_val, self.max_val = F.checked_hardtanh_bounds(type(self).__name__, min_val,
                                                               max_val)

    def forward(self, x: Any) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return self._with_inplace(f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6) (`F.relu6`): a Hardtanh from 0 to 6, as in PyTorch.

    >>> ReLU6()(Tensor([-1.0, 3.0, 8.0])).numpy()
    array([0., 3., 6.], dtype=float32)
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _InPlace.extra_repr(self)


class ELU(_InPlace):
    """x where x > 0, else α (eˣ - 1) (`F.elu`), stable at ±1000."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = AF._real("ELU", "alpha", alpha)

    def forward(self, x: Any) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return self._with_inplace(f"alpha={self.alpha}")


class SELU(_InPlace):
    """s · elu(x, α) with PyTorch's α ≈ 1.6733 and s ≈ 1.0507 (`F.selu`)."""

    def forward(self, x: Any) -> Tensor:
        return F.selu(x)


class CELU(_InPlace):
    """max(0, x) + min(0, α (e^(x/α) - 1)) (`F.celu`); α must not be 0."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = AF.checked_celu_alpha("CELU", alpha)

    def forward(self, x: Any) -> Tensor:
        return F.celu(x, self.alpha)

    def extra_repr(self) -> str:
        return self._with_inplace(f"alpha={self.alpha}")


class SiLU(_InPlace):
    """x · σ(x), also called swish (`F.silu`)."""

    def forward(self, x: Any) -> Tensor:
        return F.silu(x)


class Mish(_InPlace):
    """x · tanh(softplus(x)) (`F.mish`)."""

    def forward(self, x: Any) -> Tensor:
        return F.mish(x)


class Hardsigmoid(_InPlace):
    """relu6(x + 3) / 6 (`F.hardsigmoid`)."""

    def forward(self, x: Any) -> Tensor:
        return F.hardsigmoid(x)


class Hardswish(_InPlace):
    """x · relu6(x + 3) / 6 (`F.hardswish`)."""

    def forward(self, x: Any) -> Tensor:
        return F.hardswish(x)


class Softplus(Module):
    """(1/β) ln(1 + e^(βx)), and x where βx > threshold (`F.softplus`); β must not be 0."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta, self.threshold = F.checked_softplus_options("Softplus", beta, threshold)

    def forward(self, x: Any) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """x / (1 + |x|) (`F.softsign`)."""

    def forward(self, x: Any) -> Tensor:
        return F.softsign(x)


class LogSigmoid(Module):
    """ln σ(x) = -softplus(-x), stable (`F.logsigmoid`)."""

    def forward(self, x: Any) -> Tensor:
        return F.logsigmoid(x)


class Tanhshrink(Module):
    """x - tanh(x) (`F.tanhshrink`)."""

    def forward(self, x: Any) -> Tensor:
        return F.tanhshrink(x)


class Softmin(Module):
    """softmax(-x) along `axis` (`dim`, PyTorch's name; the last axis by default, as Softmax's
    here) (`F.softmin`)."""

    def __init__(self, axis: int = -1, *, dim: int | None = None) -> None:
        self.axis = _one_name("Softmin", "axis", axis, -1, "dim", dim)

    def forward(self, x: Any) -> Tensor:
        return F.softmin(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class GLU(Module):
    """a · σ(b), for the two halves a, b of the input along `dim` (`F.glu`).

    >>> GLU()(Tensor(np.zeros((2, 6)))).shape
    (2, 3)
    """

    def __init__(self, dim: int = -1) -> None:
        self.dim = _int("GLU", "dim", dim)

    def forward(self, x: Any) -> Tensor:
        return F.glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """x where x > 0, else a · x, with the slope a learned (`F.prelu`): one slope shared by all
    channels (num_parameters=1), or one per channel (num_parameters=C, channel axis 1, as in
    PyTorch), all starting at `init`. The `state_dict()` is PyTorch's: one entry, `weight`
    (num_parameters,). (PyTorch advises no weight decay on it: decay pulls the slope to 0,
    making it a ReLU.)

    >>> act = PReLU(3)
    >>> act, act.weight
    (PReLU(num_parameters=3), Parameter([0.25, 0.25, 0.25], requires_grad=True))
    >>> act(Tensor(-np.ones((2, 3, 4)))).shape
    (2, 3, 4)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        check_device("PReLU", device)
        num_parameters = _int("PReLU", "num_parameters", num_parameters)
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be >= 1 (1, or the number of "
                             f"channels), got {num_parameters}")
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full(num_parameters, AF._real("PReLU", "init", init)),
                                get_default_dtype() if dtype is None else dtype)

    def forward(self, x: Any) -> Tensor:
        try:
            return F.prelu(x, self.weight)
        except ValueError as error:         # name the layer, not only the function
            if not str(error).startswith("prelu: "):
                raise
            raise ValueError(f"{self!r}: {str(error).removeprefix('prelu: ')}") from None

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Unflatten(Module):
    """Axis `dim` of the input split into the axes `unflattened_size` (one may be -1, inferred):
    the inverse of `Flatten`, e.g. (N, 784) rows back to (N, 1, 28, 28) images.

    >>> Unflatten(1, (1, 28, 28))(Tensor(np.zeros((5, 784)))).shape
    (5, 1, 28, 28)
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        self.dim = _int("Unflatten", "dim", dim)
        if isinstance(unflattened_size, (numbers.Integral, str)) or not isinstance(
                unflattened_size, Sequence):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of ints, "
                            f"got {unflattened_size!r}")
        sizes = tuple(_int("Unflatten", "unflattened_size", n) for n in unflattened_size)
        if not sizes or sizes.count(-1) > 1 or any(n < -1 for n in sizes):
            raise ValueError(f"Unflatten: unflattened_size must be sizes >= 0 with at most one "
                             f"-1 (inferred), got {sizes}")
        self.unflattened_size = sizes

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{self!r}: dim {self.dim} is out of range for an input of shape "
                             f"{x.shape}")
        axis = self.dim % x.ndim
        n, known = x.shape[axis], math.prod(s for s in self.unflattened_size if s != -1)
        sizes = tuple(n // known if s == -1 and known else s for s in self.unflattened_size)
        if math.prod(sizes) != n:
            raise ValueError(f"{self!r}: axis {self.dim} of the input, of shape {x.shape}, has "
                             f"{n} elements, which do not split into {self.unflattened_size}")
        return x.reshape(x.shape[:axis] + sizes + x.shape[axis + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class CosineSimilarity(Module):
    """x1 · x2 / (max(‖x1‖, eps) max(‖x2‖, eps)) along `dim` (`F.cosine_similarity`)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        self.dim, self.eps = _int("CosineSimilarity", "dim", dim), AF._real(
            "CosineSimilarity", "eps", eps)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"


class PairwiseDistance(Module):
    """‖x1 - x2 + eps‖_p along the last axis (`F.pairwise_distance`)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        self.p, self.eps = F._norm_order("PairwiseDistance", p), AF._real(
            "PairwiseDistance", "eps", eps)
        self.keepdim = bool(keepdim)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.pairwise_distance(x1, x2, self.p, self.eps, self.keepdim)

    def extra_repr(self) -> str:
        return f"p={self.p}, eps={self.eps}, keepdim={self.keepdim}"


def _int(name: str, what: str, value: Any) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name}: {what} must be an int, got {value!r}")
    return int(value)
