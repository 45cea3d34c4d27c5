"""Dirichlet(concentration): probability vectors (event_shape (K,), K the last axis of the
concentration), density ∝ Π x_k^(a_k - 1) on the simplex; draws reparameterised through
normalised Gamma draws.

>>> from autograd.distributions import Dirichlet
>>> d = Dirichlet(Tensor([1.0, 1.0, 2.0]))
>>> d.mean.tolist(), d.event_shape
([0.25, 0.25, 0.5], (3,))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, where
from . import constraints
from .base import Distribution, parameters
from .gamma import standard_gamma


def clamp_probabilities(x: Tensor) -> Tensor:
    """x clamped into [tiny, 1 - eps] of its dtype (PyTorch's floor and ceiling for Dirichlet and
    Beta draws), so ln x and ln(1 - x) of a draw are finite."""
    info = np.finfo(x.data.dtype)
    return x.clamp(float(info.tiny), 1 - float(info.eps))


class Dirichlet(Distribution):
    """The Dirichlet distribution over probability vectors of length K with concentrations
    a_1, ..., a_K > 0 (the last axis of `concentration`; the others are the batch). `rsample`
    draws K independent Gamma(a_k, 1) (each a differentiable function of a_k: see
    gamma.standard_gamma) and divides them by their sum, so gradients reach the
    concentrations (per draw they differ from PyTorch's, which differentiates the normalised
    vector's law directly; their expectations are the same). log_prob, entropy, mean, mode and
    variance are made of lgamma and digamma.

    >>> import autograd
    >>> a = autograd.tensor([2.0, 3.0], dtype=autograd.float64, requires_grad=True)
    >>> Dirichlet(a).log_prob(autograd.tensor([0.25, 0.75], dtype=autograd.float64)).backward()
    >>> [round(v, 6) for v in a.grad.tolist()]       # ln x_k - ψ(a_k) + ψ(Σ a)
    [-0.302961, 0.295651]
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Any, validate_args: bool | None = None) -> None:
        self.concentration, = parameters("Dirichlet", concentration=concentration)
        if self.concentration.ndim == 0:
            raise ValueError("Dirichlet: concentration must have at least one axis (the K "
                             "categories, last), got a 0-d tensor")
        super().__init__(self.concentration.shape[:-1], self.concentration.shape[-1:],
                         validate_args)

    @property
    def _total(self) -> Tensor:
        return self.concentration.sum(-1, keepdim=True)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self._total

    @property
    def mode(self) -> Tensor:
        """(a_k - 1) / (Σ a - K) where every a_k > 1; elsewhere the a_k - 1 clamped at 0 and
        normalised, as PyTorch's. Where every a_k < 1 the density is unbounded at every
        vertex, so there is no mode: glassgrad's choice is the vertex of the largest a_k (the
        first on a tie), the one the density grows fastest toward (as t^(Σ_{j≠k} a_j - K + 1),
        that exponent the most negative) and whose mean share a_k / Σ a is the largest.
        PyTorch 2.13 gives the first vertex there whatever the a_k (its argmax reads the row
        of 0 / 0, NaN, that it replaces), so the two differ; Beta's mode follows this rule.

        >>> Dirichlet(Tensor([[0.2, 0.5, 0.3], [2.0, 3.0, 0.5]])).mode.tolist()
        [[0.0, 1.0, 0.0], [0.3333333432674408, 0.6666666865348816, 0.0]]
        """
        a = self.concentration
        lifted = (a - 1).clamp(min=0)
        with np.errstate(invalid="ignore"):     # 0 / 0 where no a_k > 1: NaN, or replaced
            mode = lifted / lifted.sum(-1, keepdim=True)
        data = a.data
        all_below = np.broadcast_to((data < 1).all(-1, keepdims=True), data.shape)
        vertex = (np.arange(data.shape[-1]) == data.argmax(-1)[..., None]).astype(data.dtype)
        return where(all_below, Tensor(vertex), mode)

    @property
    def variance(self) -> Tensor:
        a, total = self.concentration, self._total
        return a * (total - a) / (total ** 2 * (total + 1))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        z = standard_gamma(self.concentration, self._extended_shape(sample_shape))
        return clamp_probabilities(z / z.sum(-1, keepdim=True))

    def log_prob(self, value: Any) -> Tensor:
        x = self._value("log_prob", value)
        a = self.concentration
        return ((a - 1).xlogy(x).sum(-1) + a.sum(-1).lgamma() - a.lgamma().sum(-1))

    def entropy(self) -> Tensor:
        a = self.concentration
        total, k = a.sum(-1), a.shape[-1]
        return (a.lgamma().sum(-1) - total.lgamma() - (k - total) * total.digamma()
                - ((a - 1) * a.digamma()).sum(-1))
