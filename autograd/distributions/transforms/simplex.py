"""Transforms onto the simplex and onto Cholesky factors: StickBreakingTransform (bijective,
K - 1 reals to K probabilities), SoftmaxTransform (not bijective) and LowerCholeskyTransform.

>>> t = StickBreakingTransform()
>>> y = t(Tensor([0.0, 0.0]))
>>> [round(v, 6) for v in y.tolist()], [round(v, 6) + 0.0 for v in t.inv(y).tolist()]
([0.333333, 0.333333, 0.333333], [0.0, 0.0])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...tensor import Tensor
from ...tensor_functions import concatenate as cat
from .. import constraints
from ..base import on_diagonal
from .base import Transform, as_tensor
from .elementwise import softplus


def _log_offsets(k: int, dtype: Any) -> Tensor:
    """ln(k), ln(k - 1), ..., ln 1: subtracted so x = 0 breaks the stick evenly."""
    return Tensor(np.log(np.arange(k, 0, -1, dtype=np.float64)).astype(dtype))


class StickBreakingTransform(Transform):
    """x of K - 1 numbers to a point of the K-simplex: z_i = σ(x_i - ln(K - i)) is the share
    of the stick left that piece i takes, the last piece what is left. Bijective; log|det J|
    (of the first K - 1 coordinates) is Σ ln y_i + ln(1 - z_i), computed from x in log space
    so a piece too small for the dtype does not make it -inf.

    >>> t = StickBreakingTransform()
    >>> t.forward_shape((5, 3)), t.inverse_shape((5, 4))
    ((5, 4), (5, 3))
    """

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def _call(self, x: Tensor) -> Tensor:
        shifted = x - _log_offsets(x.shape[-1], x.dtype)
        z = shifted.sigmoid()
        left = (1 - z).cumprod(-1)                  # the stick left after each piece
        ones = Tensor(np.ones(x.shape[:-1] + (1,), dtype=x.dtype))
        return cat([z, ones], -1) * cat([ones, left], -1)

    def _inverse(self, y: Tensor) -> Tensor:
        pieces = y[..., :-1]
        # the stick left after piece i: 1 - (y_1 + ... + y_i), kept above 0
        left = (1 - pieces.cumsum(-1)).clamp(min=float(np.finfo(y.dtype).tiny))
        return pieces.log() - left.log() + _log_offsets(pieces.shape[-1], y.dtype)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = as_tensor("StickBreakingTransform", x)
        shifted = x - _log_offsets(x.shape[-1], x.dtype)
        log_z, log_rest = -softplus(-shifted), -softplus(shifted)       # ln z, ln(1 - z)
        # ln y_i = ln z_i + Σ_{j<i} ln(1 - z_j); the diagonal of dy/dx is y_i (1 - z_i)
        before = log_rest.cumsum(-1) - log_rest
        return (log_z + before + log_rest).sum(-1)

    def forward_shape(self, shape: tuple) -> tuple:
        if len(shape) < 1:
            raise ValueError("StickBreakingTransform: expected at least one axis, got shape ()")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape: tuple) -> tuple:
        if len(shape) < 1:
            raise ValueError("StickBreakingTransform.inv: expected at least one axis, got "
                             "shape ()")
        return tuple(shape[:-1]) + (shape[-1] - 1,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StickBreakingTransform)

    __hash__ = Transform.__hash__


class SoftmaxTransform(Transform):
    """x to softmax(x) along the last axis. Not bijective (adding a number to every x gives
    the same y), so it has no log|det J|; its inverse gives ln y, one of the x's that map to
    y. `transform_to(simplex)` is this one (`biject_to(simplex)` the stick-breaking one).

    >>> [round(v, 6) for v in SoftmaxTransform()(Tensor([0.0, 0.0])).tolist()]
    [0.5, 0.5]
    """

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x: Tensor) -> Tensor:
        return x.softmax(-1)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SoftmaxTransform)

    __hash__ = Transform.__hash__


class LowerCholeskyTransform(Transform):
    """A square matrix to a lower Cholesky factor: its strictly lower triangle kept, its
    diagonal exponentiated (the upper triangle dropped, so not bijective). What
    `transform_to(lower_cholesky)` gives, to optimise a MultivariateNormal's scale_tril.

    >>> LowerCholeskyTransform()(Tensor([[0.0, 5.0], [2.0, 0.0]])).tolist()
    [[1.0, 0.0], [2.0, 1.0]]
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x: Tensor) -> Tensor:
        return x.tril(-1) + on_diagonal(x.diagonal(0, -2, -1).exp())

    def _inverse(self, y: Tensor) -> Tensor:
        return y.tril(-1) + on_diagonal(y.diagonal(0, -2, -1).log())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LowerCholeskyTransform)

    __hash__ = Transform.__hash__
