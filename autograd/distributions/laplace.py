"""Laplace(loc, scale): the double exponential, density e^(-|x - loc| / scale) / (2 scale).

>>> from autograd.distributions import Laplace
>>> d = Laplace(0.0, 1.0)
>>> d.cdf(0.0).item(), d.variance.item()
(0.5, 2.0)
"""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Tensor
from . import constraints
from .base import Distribution, noise, parameters


class Laplace(Distribution):
    """The Laplace distribution with median `loc` and scale `scale` > 0 (numbers or Tensors,
    broadcast together). `rsample` is loc + scale · s · E, E ~ Exponential(1) and s a fair
    random sign, so gradients reach loc and scale.

    >>> import autograd
    >>> scale = autograd.tensor(2.0, requires_grad=True)
    >>> Laplace(0.0, scale).log_prob(3.0).backward()
    >>> scale.grad.item()                 # -1 / scale + |x - loc| / scale²
    0.25
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = parameters("Laplace", loc=loc, scale=scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape, dtype = self._extended_shape(sample_shape), self._dtype()
        e = noise("exponential", shape, dtype)
        sign = (noise("uniform", shape, dtype).data < 0.5) * 2.0 - 1.0
        return self.loc + self.scale * (e * Tensor(sign.astype(dtype)))

    def log_prob(self, value: Any) -> Tensor:
        x = self._value("log_prob", value)
        return -(2 * self.scale).log() - (x - self.loc).abs() / self.scale

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()

    def cdf(self, value: Any) -> Tensor:
        d = self._value("cdf", value) - self.loc
        return 0.5 - 0.5 * d.sign() * (-d.abs() / self.scale).expm1()

    def icdf(self, value: Any) -> Tensor:
        p = self._value("icdf", value, support=constraints.unit_interval) - 0.5
        return self.loc - self.scale * p.sign() * (-2 * p.abs()).log1p()
