"""MultivariateNormal(loc, covariance_matrix= | scale_tril= | precision_matrix=): the Gaussian
over vectors of length n (event_shape (n,)).

>>> from autograd.distributions import MultivariateNormal
>>> d = MultivariateNormal(Tensor([0.0, 0.0]), scale_tril=Tensor([[1.0, 0.0], [0.5, 2.0]]))
>>> d.covariance_matrix.tolist()
[[1.0, 0.5], [0.5, 4.25]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import linalg
from ..tensor import Tensor, get_default_dtype
from . import constraints
from .base import Distribution, lazy, noise

LOG_2PI = math.log(2 * math.pi)


def half_log_det(scale_tril: Tensor) -> Tensor:
    """ln √det Σ = Σ ln L_ii, for Σ = L Lᵀ."""
    return scale_tril.diagonal(0, -2, -1).log().sum(-1)


def mahalanobis(scale_tril: Tensor, diff: Tensor) -> Tensor:
    """diffᵀ Σ⁻¹ diff over the last axis, as |L⁻¹ diff|² (one batched triangular solve)."""
    m = linalg.solve_triangular(scale_tril, diff.unsqueeze(-1), upper=False)
    return (m ** 2).sum((-2, -1))


class MultivariateNormal(Distribution):
    """N(loc, Σ) with Σ given as one of `covariance_matrix`, `scale_tril` (its lower Cholesky
    factor L, Σ = L Lᵀ) or `precision_matrix` (Σ⁻¹). loc (..., n) and the matrix (..., n, n)
    broadcast their batch axes. Everything is computed from L: log_prob by a triangular
    solve, entropy from L's diagonal, `rsample` as loc + L ε (ε ~ N(0, I)), so gradients reach
    loc and the matrix given (through cholesky, for a covariance or precision matrix).

    >>> import autograd
    >>> d = MultivariateNormal(autograd.zeros(2), covariance_matrix=autograd.eye(2))
    >>> round(d.log_prob(autograd.tensor([1.0, 0.0])).item(), 6), d.event_shape
    (-2.337877, (2,))
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Any, covariance_matrix: Any = None, precision_matrix: Any = None,
                 scale_tril: Any = None, validate_args: bool | None = None) -> None:
        given = {name: m for name, m in (("covariance_matrix", covariance_matrix),
                                         ("precision_matrix", precision_matrix),
                                         ("scale_tril", scale_tril)) if m is not None}
        if len(given) != 1:
            raise ValueError(f"MultivariateNormal: give exactly one of covariance_matrix=, "
                             f"precision_matrix= or scale_tril=, got "
                             f"{', '.join(given) or 'none'}")
        (name, matrix), = given.items()
        loc, matrix = _vector_and_matrix(loc, name, matrix)
        batch = np.broadcast_shapes(loc.shape[:-1], matrix.shape[:-2])
        n = loc.shape[-1]
        self.loc = loc if loc.shape[:-1] == batch else loc.broadcast_to(batch + (n,))
        if matrix.shape[:-2] != batch:
            matrix = matrix.broadcast_to(batch + (n, n))
        self.__dict__[name] = matrix
        super().__init__(batch, (n,), validate_args)

    @lazy
    def scale_tril(self) -> Tensor:
        """L, lower triangular with a positive diagonal, Σ = L Lᵀ."""
        if "covariance_matrix" in self.__dict__:
            return linalg.cholesky(self.covariance_matrix)
        return linalg.cholesky(linalg.inv(self.precision_matrix))

    @lazy
    def covariance_matrix(self) -> Tensor:
        """Σ = L Lᵀ."""
        return self.scale_tril @ self.scale_tril.mT

    @lazy
    def precision_matrix(self) -> Tensor:
        """Σ⁻¹ = L⁻ᵀ L⁻¹."""
        n = self._event_shape[0]
        eye = Tensor(np.eye(n, dtype=self._dtype()))
        inverse = linalg.solve_triangular(self.scale_tril, eye, upper=False)
        return inverse.mT @ inverse

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The diagonal of Σ: the squared rows of L summed."""
        return (self.scale_tril ** 2).sum(-1)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        eps = noise("normal", self._extended_shape(sample_shape), self._dtype())
        return self.loc + (self.scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value: Any) -> Tensor:
        diff = self._value("log_prob", value) - self.loc
        n = self._event_shape[0]
        return -0.5 * (n * LOG_2PI + mahalanobis(self.scale_tril, diff)) \
            - half_log_det(self.scale_tril)

    def entropy(self) -> Tensor:
        n = self._event_shape[0]
        return 0.5 * n * (1 + LOG_2PI) + half_log_det(self.scale_tril)

    def __repr__(self) -> str:
        name = next(k for k in ("covariance_matrix", "precision_matrix", "scale_tril")
                    if k in self.__dict__ and isinstance(self.__dict__[k], Tensor))
        return (f"MultivariateNormal(loc: shape {self.loc.shape}, {name}: shape "
                f"{self.__dict__[name].shape})")


def _vector_and_matrix(loc: Any, name: str, matrix: Any) -> tuple[Tensor, Tensor]:
    """loc and the matrix as Tensors of one floating dtype, checked: (..., n) and (..., n, n)."""
    for what, value in (("loc", loc), (name, matrix)):
        if not isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(f"MultivariateNormal: {what} must be a Tensor (or an array), got "
                            f"{type(value).__name__}")
    loc = loc if isinstance(loc, Tensor) else Tensor(loc)
    matrix = matrix if isinstance(matrix, Tensor) else Tensor(matrix)
    if loc.ndim < 1:
        raise ValueError("MultivariateNormal: loc must be a vector (..., n), got a 0-d tensor")
    if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
        raise ValueError(f"MultivariateNormal: {name} must be square matrices (..., n, n), got "
                         f"shape {matrix.shape}")
    if matrix.shape[-1] != loc.shape[-1]:
        raise ValueError(f"MultivariateNormal: loc of shape {loc.shape} (n = {loc.shape[-1]}) "
                         f"and {name} of shape {matrix.shape} (n = {matrix.shape[-1]}) differ "
                         f"in n")
    try:
        np.broadcast_shapes(loc.shape[:-1], matrix.shape[:-2])
    except ValueError:
        raise ValueError(f"MultivariateNormal: the batch axes of loc {loc.shape} and {name} "
                         f"{matrix.shape} do not broadcast together") from None
    # one floating dtype (numbers as parameters would have it): float64 if either is
    floating = [t.data.dtype for t in (loc, matrix) if t.data.dtype.kind == "f"]
    dtype = np.result_type(*floating) if floating else get_default_dtype()
    loc, matrix = parameters_of_dtype(loc, dtype), parameters_of_dtype(matrix, dtype)
    return loc, matrix


def parameters_of_dtype(t: Tensor, dtype: np.dtype) -> Tensor:
    return t if t.data.dtype == dtype else t.astype(dtype)
