"""HalfNormal(scale) and HalfCauchy(scale): |X| for X ~ Normal(0, scale) or Cauchy(0, scale),
TransformedDistributions through AbsTransform; the density is twice the base's on x >= 0.

>>> from autograd.distributions import HalfNormal
>>> d = HalfNormal(1.0)
>>> round(d.log_prob(0.0).item(), 6), round(d.cdf(1.0).item(), 6)
(-0.225791, 0.682689)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor, where
from . import constraints
from .cauchy import Cauchy
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform

LOG_2 = math.log(2.0)


class _Folded(TransformedDistribution):
    """|X| for a base symmetric about 0: log_prob the base's + ln 2 (-inf below 0), cdf
    2 F(x) - 1, icdf F⁻¹((p + 1) / 2), entropy the base's - ln 2."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self._batch_shape, dtype=self._dtype()))

    def log_prob(self, value: Any) -> Tensor:
        x = self._value("log_prob", value)
        inside = self.base_dist.log_prob(x) + LOG_2
        return where(np.broadcast_to(x.data >= 0, inside.shape), inside, -math.inf)

    def cdf(self, value: Any) -> Tensor:
        return 2 * self.base_dist.cdf(self._value("cdf", value)) - 1

    def icdf(self, value: Any) -> Tensor:
        p = self._value("icdf", value, support=constraints.unit_interval)
        return self.base_dist.icdf((p + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - LOG_2


class HalfNormal(_Folded):
    """|X| for X ~ N(0, scale²): mean scale √(2/π), variance scale² (1 - 2/π).

    >>> import autograd
    >>> scale = autograd.tensor(2.0, requires_grad=True)
    >>> HalfNormal(scale).log_prob(1.0).backward()
    >>> scale.grad.item()                 # x² / scale³ - 1 / scale
    -0.375
    """

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        base = Normal(0.0, scale, validate_args=validate_args)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2 * (1 - 2 / math.pi)


class HalfCauchy(_Folded):
    """|X| for X ~ Cauchy(0, scale): mean and variance infinite.

    >>> round(HalfCauchy(1.0).cdf(1.0).item(), 6)
    0.5
    """

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        base = Cauchy(0.0, scale, validate_args=validate_args)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self._batch_shape, np.inf, dtype=self._dtype()))

    @property
    def variance(self) -> Tensor:
        return self.mean
