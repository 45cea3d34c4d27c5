"""Exponential(rate): waiting times, density rate · e^(-rate · x) for x >= 0.

>>> from autograd.distributions import Exponential
>>> d = Exponential(2.0)
>>> d.mean.item(), round(d.log_prob(1.0).item(), 6)
(0.5, -1.306853)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .base import Distribution, noise, parameters


class Exponential(Distribution):
    """The exponential distribution of rate `rate` > 0 (mean 1 / rate). `rsample` is E / rate
    with E ~ Exponential(1), so gradients reach the rate.

    >>> import autograd
    >>> rate = autograd.tensor(4.0, requires_grad=True)
    >>> Exponential(rate).log_prob(0.5).backward()
    >>> rate.grad.item()                  # 1 / rate - x
    -0.25
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        self.rate, = parameters("Exponential", rate=rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros_like(self.rate.data))

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate ** -2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        e = noise("exponential", self._extended_shape(sample_shape), self._dtype())
        return e / self.rate

    def log_prob(self, value: Any) -> Tensor:
        return self.rate.log() - self.rate * self._value("log_prob", value)

    def entropy(self) -> Tensor:
        return 1 - self.rate.log()

    def cdf(self, value: Any) -> Tensor:
        return -(-self.rate * self._value("cdf", value)).expm1()

    def icdf(self, value: Any) -> Tensor:
        p = self._value("icdf", value, support=constraints.unit_interval)
        return -(-p).log1p() / self.rate
