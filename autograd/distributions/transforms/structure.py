"""The transforms made of others or that move axes: ComposeTransform (one after another),
IndependentTransform (more axes to one event) and ReshapeTransform (events reshaped).

>>> from autograd.distributions.transforms import AffineTransform, ExpTransform
>>> t = ComposeTransform([AffineTransform(0.0, 2.0), ExpTransform()])     # y = e^{2x}
>>> x = Tensor([0.5])
>>> round(t(x).item(), 6), round(t.log_abs_det_jacobian(x, t(x)).item(), 6)  # ln 2 + 2x
(2.718282, 1.693147)
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from ...tensor import Tensor
from .. import constraints
from ..constraints import Constraint
from .base import Transform, as_tensor, sum_rightmost


class ComposeTransform(Transform):
    """`parts` applied in order (the first to x). Its events are as wide as any part needs:
    a part over vectors after elementwise parts makes the whole act on vectors, and
    log|det J| sums each part's over the axes the whole's events have beyond the part's.
    `ComposeTransform([])` is the identity; `cache_size=1` gives every part a cache.

    >>> from autograd.distributions.transforms import ExpTransform
    >>> ComposeTransform([ExpTransform(), ExpTransform().inv]).inv(Tensor([2.0])).tolist()
    [2.0]
    """

    def __init__(self, parts: list, cache_size: int = 0) -> None:
        parts = list(parts)
        for part in parts:
            if not isinstance(part, Transform):
                raise TypeError(f"ComposeTransform: every part must be a Transform, got "
                                f"{type(part).__name__}")
        super().__init__(cache_size)
        self.parts = [part.with_cache(cache_size) for part in parts] if cache_size else parts

    @property
    def domain(self) -> Constraint:          # type: ignore[override]
        if not self.parts:
            return constraints.real
        # walk back from the last codomain: each part's event axes in terms of x's
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            event_dim += part.domain.event_dim - part.codomain.event_dim
            event_dim = max(event_dim, part.domain.event_dim)
        first = self.parts[0].domain
        extra = event_dim - first.event_dim
        return constraints.independent(first, extra) if extra > 0 else first

    @property
    def codomain(self) -> Constraint:        # type: ignore[override]
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim += part.codomain.event_dim - part.domain.event_dim
            event_dim = max(event_dim, part.codomain.event_dim)
        last = self.parts[-1].codomain
        extra = event_dim - last.event_dim
        return constraints.independent(last, extra) if extra > 0 else last

    @property
    def bijective(self) -> bool:             # type: ignore[override]
        return all(part.bijective for part in self.parts)

    @property
    def sign(self) -> Any:
        sign: Any = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    @property
    def inv(self) -> Transform:
        inverse = self._inverse_ref() if self._inverse_ref is not None else None
        if inverse is None:
            inverse = ComposeTransform([part.inv for part in reversed(self.parts)])
            self._inverse_ref = weakref.ref(inverse)
            inverse._inverse_ref = weakref.ref(self)
        return inverse

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if cache_size == self._cache_size else ComposeTransform(self.parts,
                                                                              cache_size)

    def __call__(self, x: Any) -> Tensor:
        x = as_tensor("ComposeTransform", x)
        for part in self.parts:
            x = part(x)
        return x

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = as_tensor("ComposeTransform", x)
        if not self.parts:
            return Tensor(np.zeros(x.shape, dtype=x.dtype))
        # each part at its own input (recomputed, or found in the part's cache)
        inputs = [x]
        for part in self.parts[:-1]:
            inputs.append(part(inputs[-1]))
        outputs = inputs[1:] + [as_tensor("ComposeTransform", y)]
        total: Any = None
        event_dim = self.domain.event_dim
        for part, a, b in zip(self.parts, inputs, outputs):
            term = sum_rightmost(part.log_abs_det_jacobian(a, b),
                                 event_dim - part.domain.event_dim)
            total = term if total is None else total + term
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return total

    def forward_shape(self, shape: tuple) -> tuple:
        for part in self.parts:
            shape = part.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape: tuple) -> tuple:
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return tuple(shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    def __hash__(self) -> int:
        return hash((ComposeTransform,) + tuple(self.parts))

    def __repr__(self) -> str:
        return f"ComposeTransform([{', '.join(repr(p) for p in self.parts)}])"


#: the transform that changes nothing (what biject_to(real) gives)
identity_transform = ComposeTransform([])


class IndependentTransform(Transform):
    """`base_transform` with its events widened by `reinterpreted_batch_ndims` axes:
    log|det J| summed over them.

    >>> from autograd.distributions.transforms import ExpTransform
    >>> t = IndependentTransform(ExpTransform(), 1)
    >>> x = Tensor([[1.0, 2.0]])
    >>> t.log_abs_det_jacobian(x, t(x)).tolist()
    [3.0]
    """

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int,
                 cache_size: int = 0) -> None:
        if not isinstance(base_transform, Transform):
            raise TypeError(f"IndependentTransform: base_transform must be a Transform, got "
                            f"{type(base_transform).__name__}")
        n = reinterpreted_batch_ndims
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"IndependentTransform: reinterpreted_batch_ndims must be an int "
                             f">= 0, got {n!r}")
        super().__init__(cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = n

    @property
    def domain(self) -> Constraint:          # type: ignore[override]
        return constraints.independent(self.base_transform.domain,
                                       self.reinterpreted_batch_ndims)

    @property
    def codomain(self) -> Constraint:        # type: ignore[override]
        return constraints.independent(self.base_transform.codomain,
                                       self.reinterpreted_batch_ndims)

    @property
    def bijective(self) -> bool:             # type: ignore[override]
        return self.base_transform.bijective

    @property
    def sign(self) -> Any:
        return self.base_transform.sign

    def _check(self, where: str, t: Tensor, event_dim: int) -> Tensor:
        if t.ndim < event_dim:
            raise ValueError(f"IndependentTransform{where}: the input of shape {t.shape} has "
                             f"fewer axes than the {event_dim} of one event")
        return t

    def _call(self, x: Tensor) -> Tensor:
        return self.base_transform(self._check("", x, self.domain.event_dim))

    def _inverse(self, y: Tensor) -> Tensor:
        return self.base_transform.inv(self._check(".inv", y, self.codomain.event_dim))

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y),
                             self.reinterpreted_batch_ndims)

    def forward_shape(self, shape: tuple) -> tuple:
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape: tuple) -> tuple:
        return self.base_transform.inverse_shape(shape)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, IndependentTransform)
                and self.reinterpreted_batch_ndims == other.reinterpreted_batch_ndims
                and self.base_transform == other.base_transform)

    def __hash__(self) -> int:
        return hash((IndependentTransform, self.base_transform, self.reinterpreted_batch_ndims))

    def __repr__(self) -> str:
        return f"IndependentTransform({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class ReshapeTransform(Transform):
    """Events of `in_shape` reshaped to `out_shape` (the same number of elements); the axes
    in front, the batch, are kept. log|det J| is 0 (a reshape only moves numbers).

    >>> ReshapeTransform((4,), (2, 2))(Tensor([[1.0, 2.0, 3.0, 4.0]])).shape
    (1, 2, 2)
    """

    bijective = True

    def __init__(self, in_shape: Any, out_shape: Any, cache_size: int = 0) -> None:
        self.in_shape = tuple(int(n) for n in in_shape)
        self.out_shape = tuple(int(n) for n in out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError(f"ReshapeTransform: in_shape {self.in_shape} and out_shape "
                             f"{self.out_shape} hold different numbers of elements")
        super().__init__(cache_size)

    @property
    def domain(self) -> Constraint:          # type: ignore[override]
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self) -> Constraint:        # type: ignore[override]
        return constraints.independent(constraints.real, len(self.out_shape))

    @staticmethod
    def _batch(where: str, shape: tuple, event: tuple) -> tuple:
        cut = len(shape) - len(event)
        if cut < 0 or tuple(shape[cut:]) != event:
            raise ValueError(f"ReshapeTransform{where}: shape {tuple(shape)} does not end in "
                             f"the event shape {event}")
        return tuple(shape[:cut])

    def _call(self, x: Tensor) -> Tensor:
        return x.reshape(self._batch("", x.shape, self.in_shape) + self.out_shape)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.reshape(self._batch(".inv", y.shape, self.out_shape) + self.in_shape)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = as_tensor("ReshapeTransform", x)
        return Tensor(np.zeros(self._batch("", x.shape, self.in_shape), dtype=x.dtype))

    def forward_shape(self, shape: tuple) -> tuple:
        return self._batch(".forward_shape", shape, self.in_shape) + self.out_shape

    def inverse_shape(self, shape: tuple) -> tuple:
        return self._batch(".inverse_shape", shape, self.out_shape) + self.in_shape

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ReshapeTransform) and self.in_shape == other.in_shape
                and self.out_shape == other.out_shape)

    def __hash__(self) -> int:
        return hash((ReshapeTransform, self.in_shape, self.out_shape))

    def __repr__(self) -> str:
        return f"ReshapeTransform({self.in_shape}, {self.out_shape})"
