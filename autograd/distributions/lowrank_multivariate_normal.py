"""LowRankMultivariateNormal(loc, cov_factor, cov_diag): the Gaussian over vectors of length n
whose covariance is W Wᵀ + diag(D), W (n × r) of low rank r: log_prob, entropy and draws cost
O(n r²), never an n × n factorisation (the Woodbury identity and the r × r capacitance
matrix C = I + Wᵀ D⁻¹ W).

>>> from autograd.distributions import LowRankMultivariateNormal
>>> d = LowRankMultivariateNormal(Tensor([0.0, 0.0]), Tensor([[1.0], [1.0]]), Tensor([1.0, 1.0]))
>>> d.covariance_matrix.tolist()
[[2.0, 1.0], [1.0, 2.0]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import linalg
from ..tensor import Tensor, get_default_dtype
from . import constraints
from .base import Distribution, lazy, noise, on_diagonal

LOG_2PI = math.log(2 * math.pi)


class LowRankMultivariateNormal(Distribution):
    """N(loc, W Wᵀ + diag(D)): loc (..., n), cov_factor W (..., n, r), cov_diag D (..., n)
    positive; their batch axes broadcast. With L the Cholesky factor of the capacitance
    C = I_r + Wᵀ D⁻¹ W: ln det Σ = 2 Σ ln L_ii + Σ ln D_i and
    xᵀ Σ⁻¹ x = xᵀ D⁻¹ x - |L⁻¹ Wᵀ D⁻¹ x|². `rsample` is loc + W ε₁ + √D ε₂, so gradients
    reach all three parameters.

    >>> import autograd
    >>> d = LowRankMultivariateNormal(autograd.zeros(3), autograd.zeros(3, 1), autograd.ones(3))
    >>> round(d.log_prob(autograd.zeros(3)).item(), 6), round(d.entropy().item(), 6)
    (-2.756816, 4.256815)
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Any, cov_factor: Any, cov_diag: Any,
                 validate_args: bool | None = None) -> None:
        loc, cov_factor, cov_diag = _parameters(loc, cov_factor, cov_diag)
        n, r = cov_factor.shape[-2:]
        batch = np.broadcast_shapes(loc.shape[:-1], cov_factor.shape[:-2], cov_diag.shape[:-1])
        self.loc = loc if loc.shape[:-1] == batch else loc.broadcast_to(batch + (n,))
        self.cov_factor = cov_factor if cov_factor.shape[:-2] == batch else \
            cov_factor.broadcast_to(batch + (n, r))
        self.cov_diag = cov_diag if cov_diag.shape[:-1] == batch else \
            cov_diag.broadcast_to(batch + (n,))
        super().__init__(batch, (n,), validate_args)

    @lazy
    def _capacitance_tril(self) -> Tensor:
        """The Cholesky factor of C = I_r + Wᵀ D⁻¹ W (r × r)."""
        r = self.cov_factor.shape[-1]
        scaled = self.cov_factor.mT / self.cov_diag.unsqueeze(-2)          # Wᵀ D⁻¹
        eye = Tensor(np.eye(r, dtype=self._dtype()))
        return linalg.cholesky(scaled @ self.cov_factor + eye)

    def _log_det(self) -> Tensor:
        """ln det Σ, by the matrix determinant lemma: ln det C + ln det D."""
        return 2 * self._capacitance_tril.diagonal(0, -2, -1).log().sum(-1) \
            + self.cov_diag.log().sum(-1)

    def _mahalanobis(self, diff: Tensor) -> Tensor:
        """diffᵀ Σ⁻¹ diff over the last axis, by the Woodbury identity."""
        scaled = diff / self.cov_diag
        projected = (self.cov_factor.mT @ scaled.unsqueeze(-1))               # Wᵀ D⁻¹ x
        m = linalg.solve_triangular(self._capacitance_tril, projected, upper=False)
        return (diff * scaled).sum(-1) - (m ** 2).sum((-2, -1))

    @lazy
    def covariance_matrix(self) -> Tensor:
        """W Wᵀ + diag(D) (n × n: made only when read)."""
        return self.cov_factor @ self.cov_factor.mT + on_diagonal(self.cov_diag)

    @lazy
    def _woodbury_factor(self) -> Tensor:
        """A = L⁻¹ Wᵀ D⁻¹ (r × n), so Σ⁻¹ = D⁻¹ - Aᵀ A (the Woodbury identity)."""
        return linalg.solve_triangular(self._capacitance_tril,
                                       self.cov_factor.mT / self.cov_diag.unsqueeze(-2),
                                       upper=False)

    @lazy
    def precision_matrix(self) -> Tensor:
        """Σ⁻¹ = D⁻¹ - D⁻¹ W C⁻¹ Wᵀ D⁻¹ (Woodbury)."""
        a = self._woodbury_factor
        return on_diagonal(self.cov_diag.reciprocal()) - a.mT @ a

    @lazy
    def scale_tril(self) -> Tensor:
        """The Cholesky factor of the covariance matrix (n × n: made only when read)."""
        return linalg.cholesky(self.covariance_matrix)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self.cov_factor ** 2).sum(-1) + self.cov_diag

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        r = self.cov_factor.shape[-1]
        eps_w = noise("normal", shape[:-1] + (r,), self._dtype())
        eps_d = noise("normal", shape, self._dtype())
        return self.loc + (self.cov_factor @ eps_w.unsqueeze(-1)).squeeze(-1) \
            + self.cov_diag.sqrt() * eps_d

    def log_prob(self, value: Any) -> Tensor:
        diff = self._value("log_prob", value) - self.loc
        n = self._event_shape[0]
        return -0.5 * (n * LOG_2PI + self._mahalanobis(diff) + self._log_det())

    def entropy(self) -> Tensor:
        n = self._event_shape[0]
        return 0.5 * (n * (1 + LOG_2PI) + self._log_det())

    def __repr__(self) -> str:
        return (f"LowRankMultivariateNormal(loc: shape {self.loc.shape}, cov_factor: shape "
                f"{self.cov_factor.shape}, cov_diag: shape {self.cov_diag.shape})")


def _parameters(loc: Any, cov_factor: Any, cov_diag: Any) -> tuple[Tensor, Tensor, Tensor]:
    """The three as Tensors of one floating dtype, their shapes checked."""
    where = "LowRankMultivariateNormal"
    given = {"loc": loc, "cov_factor": cov_factor, "cov_diag": cov_diag}
    made = {}
    for name, value in given.items():
        if not isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(f"{where}: {name} must be a Tensor (or an array), got "
                            f"{type(value).__name__}")
        made[name] = value if isinstance(value, Tensor) else Tensor(value)
    loc, w, d = made["loc"], made["cov_factor"], made["cov_diag"]
    if loc.ndim < 1 or d.ndim < 1 or w.ndim < 2:
        raise ValueError(f"{where}: loc (..., n), cov_factor (..., n, r) and cov_diag (..., n) "
                         f"expected, got shapes {loc.shape}, {w.shape} and {d.shape}")
    if not loc.shape[-1] == w.shape[-2] == d.shape[-1]:
        raise ValueError(f"{where}: loc {loc.shape}, cov_factor {w.shape} and cov_diag "
                         f"{d.shape} must agree in n (loc's last axis, cov_factor's "
                         f"second-to-last, cov_diag's last)")
    try:
        np.broadcast_shapes(loc.shape[:-1], w.shape[:-2], d.shape[:-1])
    except ValueError:
        raise ValueError(f"{where}: the batch axes of loc {loc.shape}, cov_factor {w.shape} "
                         f"and cov_diag {d.shape} do not broadcast together") from None
    floating = [t.data.dtype for t in (loc, w, d) if t.data.dtype.kind == "f"]
    dtype = np.result_type(*floating) if floating else get_default_dtype()
    return tuple(t if t.data.dtype == dtype else t.astype(dtype) for t in (loc, w, d))
