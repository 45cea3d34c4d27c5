"""LogNormal(loc, scale): e^X for X ~ Normal(loc, scale), a TransformedDistribution of the
Normal through ExpTransform.

>>> from autograd.distributions import LogNormal
>>> d = LogNormal(0.0, 1.0)
>>> round(d.log_prob(1.0).item(), 6), round(d.mean.item(), 6)
(-0.918939, 1.648721)
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform


class LogNormal(TransformedDistribution):
    """The positive numbers whose log is N(loc, scale²). log_prob is the Normal's at ln x
    minus ln x; `rsample` is e^(loc + scale · ε), so gradients reach loc and scale.

    >>> import autograd
    >>> loc = autograd.tensor(0.5, requires_grad=True)
    >>> LogNormal(loc, 1.0).entropy().backward()      # the Normal's entropy + loc
    >>> loc.grad.item()
    1.0
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        base = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale ** 2 / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale ** 2).exp()

    @property
    def variance(self) -> Tensor:
        s2 = self.scale ** 2
        return s2.expm1() * (2 * self.loc + s2).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc
