"""LogisticNormal(loc, scale): points of the simplex made by stick-breaking a Gaussian vector,
a TransformedDistribution of Normal(loc, scale) (K - 1 numbers, the last axis) through
StickBreakingTransform (K probabilities).

>>> from autograd.distributions import LogisticNormal
>>> d = LogisticNormal(Tensor([0.0, 0.0]), 1.0)
>>> d.event_shape, d.sample((5,)).shape
((3,), (5, 3))
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import constraints
from .base import parameters
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform


class LogisticNormal(TransformedDistribution):
    """loc and scale (broadcast together; their last axis, K - 1 long, is the event's: a 0-d
    pair is taken as one of length 1, a distribution over 2 probabilities, as PyTorch's).
    log_prob is the Gaussian's at the stick-breaking inverse minus the log|det J|.

    >>> import autograd
    >>> d = LogisticNormal(autograd.zeros(2), 1.0)
    >>> round(d.log_prob(autograd.tensor([0.2, 0.3, 0.5])).item(), 6)
    1.297983
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        loc, scale = parameters("LogisticNormal", loc=loc, scale=scale)
        if loc.ndim == 0:
            loc, scale = loc.reshape((1,)), scale.reshape((1,))
        base = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale
