"""Cauchy(loc, scale): the heavy-tailed distribution with density
1 / (π scale (1 + ((x - loc) / scale)²)); no mean, no variance.

>>> from autograd.distributions import Cauchy
>>> d = Cauchy(0.0, 1.0)
>>> d.cdf(1.0).item(), round(d.log_prob(0.0).item(), 6)
(0.75, -1.14473)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .base import Distribution, noise, parameters

LOG_PI = math.log(math.pi)


class Cauchy(Distribution):
    """The Cauchy distribution centred at `loc` with half-width `scale` > 0 (numbers or
    Tensors, broadcast together). `rsample` is loc + scale · tan(π (u - ½)), u ~ U[0, 1): the
    icdf of a uniform draw, so gradients reach loc and scale. mean is NaN and variance inf,
    as PyTorch's.

    >>> import autograd
    >>> scale = autograd.tensor(2.0, requires_grad=True)
    >>> Cauchy(0.0, scale).entropy().backward()
    >>> scale.grad.item()                 # d ln(4π scale) / d scale
    0.5
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = parameters("Cauchy", loc=loc, scale=scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self._batch_shape, np.nan, dtype=self._dtype()))

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return Tensor(np.full(self._batch_shape, np.inf, dtype=self._dtype()))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = noise("uniform", self._extended_shape(sample_shape), self._dtype())
        return self.loc + self.scale * (math.pi * (u - 0.5)).tan()

    def log_prob(self, value: Any) -> Tensor:
        z = (self._value("log_prob", value) - self.loc) / self.scale
        return -LOG_PI - self.scale.log() - (z ** 2).log1p()

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()

    def cdf(self, value: Any) -> Tensor:
        z = (self._value("cdf", value) - self.loc) / self.scale
        return z.atan() / math.pi + 0.5

    def icdf(self, value: Any) -> Tensor:
        p = self._value("icdf", value, support=constraints.unit_interval)
        return self.loc + self.scale * (math.pi * (p - 0.5)).tan()
