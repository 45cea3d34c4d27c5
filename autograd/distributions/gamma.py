"""Gamma(concentration, rate) and Chi2(df): positive numbers, density
rate^a x^(a-1) e^(-rate x) / Γ(a), with a reparameterised draw (implicit reparameterisation:
autograd/ops/incomplete_gamma.py), so gradients reach the concentration as well as the rate.

>>> from autograd.distributions import Gamma
>>> d = Gamma(2.0, 4.0)
>>> d.mean.item(), d.mode.item(), round(d.log_prob(0.5).item(), 6)
(0.5, 0.25, 0.079442)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import apply
from ..ops.incomplete_gamma import Gammainc, StandardGammaDraw
from ..random import default_rng
from ..tensor import Tensor
from . import constraints
from .base import Distribution, parameters


def standard_gamma(concentration: Tensor, shape: tuple) -> Tensor:
    """Draws of Gamma(a, 1) of `shape` (a broadcast to it), from numpy's gamma sampler, as a
    function of a: a fixed draw z moves with a as the quantile of the same probability, dz/da
    = -(∂P/∂a)(a, z) / p(z; a) (P the Gamma(a, 1) CDF, p its density). A draw below the dtype's
    smallest normal number is raised to it, as PyTorch does (small a puts much of its mass
    there), so ln z stays finite."""
    a = concentration if concentration.shape == shape else concentration.broadcast_to(shape)
    z = default_rng().standard_gamma(a.data.astype(np.float64))
    z = np.maximum(z, float(np.finfo(a.data.dtype).tiny))
    return apply(StandardGammaDraw, (a,), z)


class Gamma(Distribution):
    """The gamma distribution with shape a = `concentration` > 0 and `rate` > 0 (mean a / rate).
    `rsample` is z / rate, z a Gamma(a, 1) draw that is a differentiable function of a (the
    implicit reparameterisation trick: see `standard_gamma`), so both parameters get
    gradients; `cdf` is the regularised incomplete gamma P(a, rate · x), differentiable in a
    too. Draws are numpy's, so their numbers differ from PyTorch's.

    >>> import autograd
    >>> a = autograd.tensor(3.0, dtype=autograd.float64, requires_grad=True)
    >>> autograd.manual_seed(0)
    >>> Gamma(a, 1.0).rsample((20000,)).mean().backward()
    >>> round(a.grad.item(), 2)                   # d/da E[z] = d/da a = 1
    1.0
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = parameters(
            type(self).__name__, concentration=concentration, rate=rate)
        super().__init__(self.concentration.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        """(a - 1) / rate, and 0 for a <= 1 (where the density peaks at 0)."""
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        z = standard_gamma(self.concentration, shape) / self.rate
        # z / rate can fall below the smallest normal number again: PyTorch's floor, again
        return z.clamp(min=float(np.finfo(z.data.dtype).tiny))

    def log_prob(self, value: Any) -> Tensor:
        x = self._value("log_prob", value)
        a, rate = self.concentration, self.rate
        return a.xlogy(rate) + (a - 1).xlogy(x) - rate * x - a.lgamma()

    def entropy(self) -> Tensor:
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1 - a) * a.digamma()

    def cdf(self, value: Any) -> Tensor:
        x = self._value("cdf", value)
        return apply(Gammainc, _same_shape(self.concentration, self.rate * x), False)


def _same_shape(a: Tensor, x: Tensor) -> tuple:
    """a and x broadcast to one shape (Gammainc broadcasts too; this keeps it simple)."""
    shape = np.broadcast_shapes(a.shape, x.shape)
    return tuple(t if t.shape == shape else t.broadcast_to(shape) for t in (a, x))


class Chi2(Gamma):
    """The chi-squared distribution with `df` > 0 degrees of freedom: Gamma(df / 2, 1 / 2), the
    law of a sum of df squared standard normals (df need not be whole).

    >>> from autograd.distributions import Chi2
    >>> d = Chi2(4.0)
    >>> d.mean.item(), d.variance.item(), d.df.item()
    (4.0, 8.0, 4.0)
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df: Any, validate_args: bool | None = None) -> None:
        self.df, = parameters("Chi2", df=df)
        Distribution.__init__(self, self.df.shape, (), validate_args)
        self.concentration = self.df * 0.5
        self.rate = Tensor(np.full(self.df.shape, 0.5, dtype=self.df.data.dtype))
