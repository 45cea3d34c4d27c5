"""The transforms that act on each number alone (event_dim 0, unless AffineTransform is told
otherwise): exp, affine, sigmoid, tanh, softplus, power and abs. Their log|det J| is the log
of |dy/dx| at each element.

>>> from autograd.distributions.transforms import TanhTransform
>>> t = TanhTransform()
>>> t.log_abs_det_jacobian(Tensor([1000.0]), t(Tensor([1000.0]))).tolist()    # no log(0)
[-1998.6136474609375]
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ...graph import apply
from ...ops.elementwise import Softplus
from ...tensor import Tensor
from .. import constraints
from ..constraints import Constraint
from .base import Transform, as_tensor, same_parameter, sum_rightmost

LOG_2 = math.log(2.0)


def softplus(x: Tensor) -> Tensor:
    """ln(1 + e^x), without overflow at ±1000."""
    return apply(Softplus, (x,))


def _parameter(where: str, name: str, value: Any) -> Any:
    """A transform's parameter: a number kept as a number, a Tensor kept with its graph (so
    a flow's parameters get gradients), an array made a constant Tensor."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        return as_tensor(where, value)
    raise TypeError(f"{where}: {name} must be a number or a Tensor, got {type(value).__name__}")


def _shape(value: Any) -> tuple:
    return tuple(value.shape) if isinstance(value, Tensor) else ()


class ExpTransform(Transform):
    """y = e^x, from the reals to the positive numbers; log|det J| = x.

    >>> ExpTransform().inv(Tensor([1.0])).tolist()
    [0.0]
    """

    codomain = constraints.positive
    bijective = True
    sign = 1

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return as_tensor("ExpTransform", x) + 0.0       # a new node: x itself is the caller's

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpTransform)

    __hash__ = Transform.__hash__


class AffineTransform(Transform):
    """y = loc + scale · x; loc and scale numbers or Tensors (their gradients kept: a flow's
    layers). With `event_dim` = k, events are the last k axes and log|det J| is ln |scale|
    summed over each (scale broadcast to x's shape first: k · ln |s| for one scale s over k
    numbers).

    >>> t = AffineTransform(1.0, Tensor([2.0, -3.0]))
    >>> t(Tensor([1.0, 1.0])).tolist(), t.sign.tolist()
    ([3.0, -2.0], [1.0, -1.0])
    """

    bijective = True

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.loc = _parameter("AffineTransform", "loc", loc)
        self.scale = _parameter("AffineTransform", "scale", scale)
        if not isinstance(event_dim, int) or isinstance(event_dim, bool) or event_dim < 0:
            raise ValueError(f"AffineTransform: event_dim must be an int >= 0, got {event_dim!r}")
        self._event_dim = event_dim

    @property
    def event_dim(self) -> int:
        return self._event_dim

    @property
    def domain(self) -> Constraint:          # type: ignore[override]
        return constraints.real if not self._event_dim else \
            constraints.independent(constraints.real, self._event_dim)

    codomain = domain

    @property
    def sign(self) -> Any:
        if isinstance(self.scale, Tensor):
            return self.scale.sign()
        return 1 if self.scale > 0 else -1 if self.scale < 0 else 0

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = as_tensor("AffineTransform", x)
        shape = np.broadcast_shapes(x.shape, _shape(self.scale))
        if isinstance(self.scale, Tensor):
            log_scale = self.scale.abs().log()
            if log_scale.dtype != x.dtype and x.dtype.kind == "f":
                log_scale = log_scale.astype(np.result_type(log_scale.dtype, x.dtype))
            if log_scale.shape != shape:
                log_scale = log_scale.broadcast_to(shape)
        else:
            log_scale = Tensor(np.full(shape, math.log(abs(self.scale)), dtype=x.dtype))
        return sum_rightmost(log_scale, self._event_dim)

    def forward_shape(self, shape: tuple) -> tuple:
        return tuple(np.broadcast_shapes(tuple(shape), _shape(self.loc), _shape(self.scale)))

    inverse_shape = forward_shape

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, AffineTransform) and self._event_dim == other._event_dim
                and same_parameter(self.loc, other.loc)
                and same_parameter(self.scale, other.scale))

    __hash__ = Transform.__hash__

    def __repr__(self) -> str:
        said = ", ".join(f"{n}={v!r}" if not isinstance(v, Tensor) else f"{n}=shape {v.shape}"
                         for n, v in (("loc", self.loc), ("scale", self.scale)))
        return f"AffineTransform({said}, event_dim={self._event_dim})"


class SigmoidTransform(Transform):
    """y = 1 / (1 + e^-x), into the unit interval; log|det J| = -softplus(-x) - softplus(x).
    y is clamped to [tiny, 1 - eps] of its dtype (as PyTorch's), so the inverse, the logit,
    stays finite for |x| past the dtype's reach.

    >>> SigmoidTransform().inv(Tensor([0.5])).tolist()
    [0.0]
    """

    codomain = constraints.unit_interval
    bijective = True
    sign = 1

    def _call(self, x: Tensor) -> Tensor:
        info = np.finfo(x.dtype)
        return x.sigmoid().clamp(float(info.tiny), 1.0 - float(info.eps))

    def _inverse(self, y: Tensor) -> Tensor:
        info = np.finfo(y.dtype)
        y = y.clamp(float(info.tiny), 1.0 - float(info.eps))
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        # dy/dx = σ(x) σ(-x): logs -softplus(-x) and -softplus(x), never log(0)
        x = as_tensor("SigmoidTransform", x)
        return -softplus(-x) - softplus(x)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SigmoidTransform)

    __hash__ = Transform.__hash__


class TanhTransform(Transform):
    """y = tanh x, into (-1, 1). log|det J| = ln(1 - tanh² x) written as
    2 (ln 2 - x - softplus(-2x)), finite at x = ±1000 where 1 - tanh² x rounds to 0. The
    inverse, atanh, is infinite at a y that rounded to ±1: give `cache_size=1` so the inverse
    of a value this transform made is the x it came from (a tanh-squashed policy's actions).

    >>> round(TanhTransform().inv(Tensor([0.5])).item(), 6)
    0.549306
    """

    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = 1

    def _call(self, x: Tensor) -> Tensor:
        return x.tanh()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.atanh()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        # 1 - tanh² x = 4 e^{-2x} / (1 + e^{-2x})²: its log 2 ln 2 - 2x - 2 ln(1 + e^{-2x})
        x = as_tensor("TanhTransform", x)
        return 2.0 * (LOG_2 - x - softplus(-2.0 * x))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TanhTransform)

    __hash__ = Transform.__hash__


class SoftplusTransform(Transform):
    """y = ln(1 + e^x), onto the positive numbers; inverse y + ln(1 - e^-y);
    log|det J| = ln σ(x) = -softplus(-x).

    >>> round(SoftplusTransform()(Tensor([0.0])).item(), 6)
    0.693147
    """

    codomain = constraints.positive
    bijective = True
    sign = 1

    def _call(self, x: Tensor) -> Tensor:
        return softplus(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return y + (-(-y).expm1()).log()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return -softplus(-as_tensor("SoftplusTransform", x))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SoftplusTransform)

    __hash__ = Transform.__hash__


class PowerTransform(Transform):
    """y = x^exponent on the positive numbers (exponent a number or a Tensor, nonzero);
    log|det J| = ln |exponent · y / x|.

    >>> PowerTransform(2.0)(Tensor([3.0])).tolist()
    [9.0]
    """

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent: Any, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.exponent = _parameter("PowerTransform", "exponent", exponent)

    @property
    def sign(self) -> Any:
        if isinstance(self.exponent, Tensor):
            return self.exponent.sign()
        return 1 if self.exponent > 0 else -1

    def _call(self, x: Tensor) -> Tensor:
        return x ** self.exponent

    def _inverse(self, y: Tensor) -> Tensor:
        return y ** (1.0 / self.exponent)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x, y = as_tensor("PowerTransform", x), as_tensor("PowerTransform", y)
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape: tuple) -> tuple:
        return tuple(np.broadcast_shapes(tuple(shape), _shape(self.exponent)))

    inverse_shape = forward_shape

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PowerTransform) and same_parameter(self.exponent,
                                                                    other.exponent)

    __hash__ = Transform.__hash__

    def __repr__(self) -> str:
        e = self.exponent
        return f"PowerTransform(exponent={e if not isinstance(e, Tensor) else e.shape})"


class AbsTransform(Transform):
    """y = |x|. Not bijective: its `inv` gives the non-negative x (y itself), and it has no
    log|det J| (HalfNormal adds ln 2 for the two branches instead).

    >>> AbsTransform()(Tensor([-2.0, 3.0])).tolist()
    [2.0, 3.0]
    """

    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return x.abs()

    def _inverse(self, y: Tensor) -> Tensor:
        return y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AbsTransform)

    __hash__ = Transform.__hash__
