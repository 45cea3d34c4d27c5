"""Gumbel(loc, scale): the distribution of the maximum of many draws, cdf
exp(-exp(-(x - loc) / scale)); a TransformedDistribution of a uniform draw u through
x = loc - scale · ln(-ln u).

>>> from autograd.distributions import Gumbel
>>> d = Gumbel(0.0, 1.0)
>>> round(d.cdf(0.0).item(), 6), round(d.log_prob(0.0).item(), 6)
(0.367879, -1.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .base import EULER_GAMMA, parameters
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from .uniform import Uniform


class Gumbel(TransformedDistribution):
    """The Gumbel distribution of location `loc` and scale `scale` > 0. Its base is
    U(tiny, 1 - eps) of the dtype (so ln(-ln u) stays finite); log_prob is written out,
    z - e^z - ln scale with z = (loc - x) / scale. `rsample` passes gradients to loc and
    scale.

    >>> import autograd
    >>> loc = autograd.tensor(1.0, requires_grad=True)
    >>> Gumbel(loc, 2.0).mean.backward()
    >>> loc.grad.item(), round(Gumbel(0.0, 1.0).mean.item(), 6)
    (1.0, 0.577216)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = parameters("Gumbel", loc=loc, scale=scale)
        info = np.finfo(self.loc.dtype)
        low = Tensor(np.full(self.loc.shape, info.tiny, dtype=self.loc.dtype))
        high = Tensor(np.full(self.loc.shape, 1 - info.eps, dtype=self.loc.dtype))
        base = Uniform(low, high, validate_args=validate_args)
        # u -> -ln u (exponential) -> ln of it -> loc - scale · that
        steps = [ExpTransform().inv, AffineTransform(0.0, -1.0), ExpTransform().inv,
                 AffineTransform(self.loc, -self.scale)]
        super().__init__(base, steps, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * EULER_GAMMA

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale * (math.pi / math.sqrt(6))

    @property
    def variance(self) -> Tensor:
        return self.stddev ** 2

    def log_prob(self, value: Any) -> Tensor:
        z = (self.loc - self._value("log_prob", value)) / self.scale
        return z - z.exp() - self.scale.log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + EULER_GAMMA)
