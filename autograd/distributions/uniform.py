"""Uniform(low, high): every value in [low, high) equally likely.

>>> from autograd.distributions import Uniform
>>> d = Uniform(0.0, 4.0)
>>> round(d.log_prob(1.0).item(), 6), d.cdf(1.0).item(), d.icdf(0.5).item()
(-1.386294, 0.25, 2.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor, where
from . import constraints
from .base import Distribution, noise, parameters


class Uniform(Distribution):
    """The uniform distribution on [low, high), low < high (numbers or Tensors, broadcast
    together). log_prob is -ln(high - low) inside and -inf outside; `rsample` is
    low + (high - low) · u, u ~ U[0, 1), so gradients reach low and high.

    >>> import autograd
    >>> high = autograd.tensor(2.0, requires_grad=True)
    >>> Uniform(0.0, high).entropy().backward()
    >>> high.grad.item()                  # d ln(high - low) / d high
    0.5
    """

    arg_constraints = {"low": constraints.real, "high": constraints.real}
    has_rsample = True

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        self.low, self.high = parameters("Uniform", low=low, high=high)
        super().__init__(self.low.shape, (), validate_args)

    def _check_parameters(self) -> None:
        super()._check_parameters()
        below = self.low.data < self.high.data
        if not below.all():
            at = tuple(int(i) for i in np.argwhere(~below)[0]) if below.ndim else ()
            low, high = self.low.data[at].item(), self.high.data[at].item()
            place = f" at index {at}" if at else ""
            raise ValueError(f"Uniform: low must be less than high; got low {low!r} and high "
                             f"{high!r}{place} (shape {self.low.shape})")

    @property
    def support(self) -> constraints.Constraint:
        return constraints.interval(self.low.data, self.high.data)

    @property
    def mean(self) -> Tensor:
        return (self.low + self.high) / 2

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / math.sqrt(12)

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = noise("uniform", self._extended_shape(sample_shape), self._dtype())
        return self.low + (self.high - self.low) * u

    def log_prob(self, value: Any) -> Tensor:
        x = self._value("log_prob", value).data
        inside = (self.low.data <= x) & (x < self.high.data)
        return where(inside, -(self.high - self.low).log(), -math.inf)

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()

    def cdf(self, value: Any) -> Tensor:
        x = self._value("cdf", value)
        return ((x - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value: Any) -> Tensor:
        p = self._value("icdf", value, support=constraints.unit_interval)
        return self.low + p * (self.high - self.low)
