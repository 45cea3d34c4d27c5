"""`Transform`, what every transform shares (PyTorch's `torch.distributions.transforms`): a
differentiable map y = t(x) from its `domain` to its `codomain`, its inverse `t.inv`, and
`log_abs_det_jacobian(x, y)`, the log of |det dy/dx| a change of variables needs, one number
per event (`domain.event_dim` axes summed away).

With `cache_size=1` a transform remembers its last pair (x, y): calling it on that x again,
or its inverse on that y, gives the other back without computing it, so the inverse of a
value the transform drew is exact even where computing it is not (atanh of a tanh that
rounded to 1.0).

>>> from autograd.distributions.transforms import ExpTransform
>>> t = ExpTransform()
>>> x = Tensor([0.0, 2.0], dtype="float64")
>>> t.inv(t(x)).tolist(), t.log_abs_det_jacobian(x, t(x)).tolist()
([0.0, 2.0], [0.0, 2.0])
>>> t = ExpTransform(cache_size=1)
>>> y = t(x)
>>> t.inv(y) is x                     # the pair remembered: no log computed
True
"""

from __future__ import annotations

import copy
import numbers
import weakref
from typing import Any

import numpy as np

from ...pytorch_names import type_name
from ...tensor import Tensor, get_default_dtype
from .. import constraints
from ..constraints import Constraint


def as_tensor(where: str, x: Any) -> Tensor:
    """x as a Tensor: numbers take the default dtype, arrays keep a floating dtype."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic)):         # an array keeps its floating dtype
        return Tensor(x if x.dtype.kind == "f" else np.asarray(x, get_default_dtype()))
    if isinstance(x, (numbers.Real, list, tuple)) and not isinstance(x, bool):
        return Tensor(np.asarray(x, dtype=get_default_dtype()))     # numbers: as torch.tensor
    raise TypeError(f"{where}: expected a Tensor or numbers, got {type_name(x)}")


def sum_rightmost(t: Tensor, n: int) -> Tensor:
    """t summed over its last n axes (t itself for n <= 0)."""
    return t.sum(tuple(range(-n, 0))) if n > 0 else t


def same_parameter(a: Any, b: Any) -> bool:
    """Two parameters of transforms are the same: the same object, or equal numbers."""
    if a is b:
        return True
    a, b = getattr(a, "data", a), getattr(b, "data", b)
    return bool(np.shape(a) == np.shape(b) and np.all(np.asarray(a) == np.asarray(b)))


class Transform:
    """The base class. Subclasses give `_call(x)`, `_inverse(y)` (if invertible),
    `log_abs_det_jacobian(x, y)`, `domain`, `codomain`, `bijective`, `sign` (+1 or -1 for a
    monotone map of numbers), and `forward_shape` / `inverse_shape` if they change shapes.
    Equal transforms (`==`: the same kind and parameters) make TransformedDistributions whose
    KL divergence is their bases'.
    """

    domain: Constraint = constraints.real
    codomain: Constraint = constraints.real
    bijective = False

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1) or isinstance(cache_size, bool):
            raise ValueError(f"{type(self).__name__}: cache_size must be 0 (no cache) or 1 (the "
                             f"last pair x, y kept), got {cache_size!r}")
        self._cache_size = int(cache_size)
        self._cached: tuple | None = None
        self._inverse_ref: Any = None

    # -- what callers use ---------------------------------------------------------------------

    @property
    def event_dim(self) -> int:
        """The number of axes one event has (the domain's, when it equals the codomain's)."""
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError(f"{type(self).__name__}.event_dim: the domain's ({self.domain.event_dim})"
                         f" and the codomain's ({self.codomain.event_dim}) differ; read "
                         f"domain.event_dim or codomain.event_dim")

    @property
    def sign(self) -> Any:
        """+1 where the map of numbers increases, -1 where it decreases."""
        raise NotImplementedError(f"{type(self).__name__}.sign: not a monotone map of numbers")

    @property
    def inv(self) -> Transform:
        """The inverse transform: inv(y) is x with self(x) = y; inv.inv is self."""
        inverse = self._inverse_ref() if self._inverse_ref is not None else None
        if inverse is None:
            inverse = _InverseTransform(self)
            self._inverse_ref = weakref.ref(inverse)       # no cycle: the inverse holds self
        return inverse

    def with_cache(self, cache_size: int = 1) -> Transform:
        """This transform with `cache_size` (itself if it already has it)."""
        if cache_size == self._cache_size:
            return self
        made = copy.copy(self)
        Transform.__init__(made, cache_size)
        return made

    def __call__(self, x: Any) -> Tensor:
        x = as_tensor(type(self).__name__, x)
        if self._cache_size:
            if self._cached is not None and self._cached[0] is x:
                return self._cached[1]
            y = self._call(x)
            self._cached = (x, y)
            return y
        return self._call(x)

    def _inv_call(self, y: Any) -> Tensor:
        y = as_tensor(f"{type(self).__name__}.inv", y)
        if self._cache_size:
            if self._cached is not None and self._cached[1] is y:
                return self._cached[0]
            x = self._inverse(y)
            self._cached = (x, y)
            return x
        return self._inverse(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        """ln |det dy/dx| at x (y = self(x)), one number per event."""
        raise NotImplementedError(
            f"{type(self).__name__}.log_abs_det_jacobian: not defined (the transform is not "
            f"bijective, so a density does not follow it by a change of variables)")

    def forward_shape(self, shape: tuple) -> tuple:
        """The shape of y for x of `shape`."""
        return tuple(shape)

    def inverse_shape(self, shape: tuple) -> tuple:
        """The shape of x for y of `shape`."""
        return tuple(shape)

    # -- what subclasses give -----------------------------------------------------------------

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}: no forward map")

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.inv: this transform has no inverse")

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    """t.inv: t's map run backwards (t's cache shared, so a pair t made is found again)."""

    def __init__(self, transform: Transform) -> None:
        super().__init__(transform._cache_size)
        self._inv = transform

    @property
    def domain(self) -> Constraint:          # type: ignore[override]
        return self._inv.codomain

    @property
    def codomain(self) -> Constraint:        # type: ignore[override]
        return self._inv.domain

    @property
    def bijective(self) -> bool:             # type: ignore[override]
        return self._inv.bijective

    @property
    def sign(self) -> Any:
        return self._inv.sign

    @property
    def inv(self) -> Transform:
        return self._inv

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self._inv.with_cache(cache_size).inv

    def __call__(self, x: Any) -> Tensor:
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        # the inverse's Jacobian is the inverse matrix: the negated log-determinant at (y, x)
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape: tuple) -> tuple:
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape: tuple) -> tuple:
        return self._inv.forward_shape(shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    def __hash__(self) -> int:
        return hash((_InverseTransform, self._inv))

    def __repr__(self) -> str:
        return f"{self._inv!r}.inv"
