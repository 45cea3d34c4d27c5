"""Normal(loc, scale): the Gaussian with mean loc and standard deviation scale.

>>> from autograd.distributions import Normal
>>> d = Normal(0.0, 2.0)
>>> round(d.log_prob(1.0).item(), 6), round(d.cdf(0.0).item(), 6)
(-1.737086, 0.5)
"""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Tensor
from . import constraints
from .base import Distribution, noise, parameters

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
SQRT_2 = math.sqrt(2)


class Normal(Distribution):
    """The normal distribution N(loc, scale²), loc and scale numbers or Tensors (broadcast
    together). `rsample` is loc + scale · ε with ε ~ N(0, 1): gradients reach loc and scale.

    >>> import autograd
    >>> loc = autograd.tensor([0.0, 1.0], requires_grad=True)
    >>> d = Normal(loc, 0.5)
    >>> d.log_prob(autograd.tensor([0.0, 0.0])).sum().backward()
    >>> loc.grad.tolist()                 # (x - loc) / scale²
    [0.0, -4.0]
    >>> round(d.entropy()[0].item(), 6)   # ½ + ½ ln 2π + ln scale
    0.725791
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = parameters("Normal", loc=loc, scale=scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        eps = noise("normal", self._extended_shape(sample_shape), self._dtype())
        return self.loc + self.scale * eps

    def log_prob(self, value: Any) -> Tensor:
        z = (self._value("log_prob", value) - self.loc) / self.scale
        return -0.5 * z ** 2 - self.scale.log() - LOG_SQRT_2PI

    def entropy(self) -> Tensor:
        return 0.5 + LOG_SQRT_2PI + self.scale.log()

    def cdf(self, value: Any) -> Tensor:
        z = (self._value("cdf", value) - self.loc) / (self.scale * SQRT_2)
        return 0.5 * (1 + z.erf())

    def icdf(self, value: Any) -> Tensor:
        p = self._value("icdf", value, support=constraints.unit_interval)
        return self.loc + self.scale * (2 * p - 1).erfinv() * SQRT_2
