"""Beta(concentration1, concentration0): a probability, density ∝ x^(a-1) (1-x)^(b-1).

>>> from autograd.distributions import Beta
>>> d = Beta(2.0, 2.0)
>>> d.mean.item(), round(d.log_prob(0.5).item(), 6)
(0.5, 0.405465)
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from ..tensor_functions import stack
from . import constraints
from .base import Distribution, parameters
from .dirichlet import Dirichlet, clamp_probabilities
from .gamma import standard_gamma


def log_beta(a: Tensor, b: Tensor) -> Tensor:
    """ln B(a, b) = ln Γ(a) + ln Γ(b) - ln Γ(a + b)."""
    return a.lgamma() + b.lgamma() - (a + b).lgamma()


class Beta(Distribution):
    """The beta distribution on [0, 1] with concentrations a = `concentration1` (the weight of
    1) and b = `concentration0` (of 0), both > 0. log_prob, entropy, mean and variance are
    differentiable in a and b (lgamma and digamma). `rsample` is Ga / (Ga + Gb), Ga and Gb
    Gamma(a, 1) and Gamma(b, 1) draws each a differentiable function of its concentration
    (implicit reparameterisation, as Dirichlet's), so gradients reach a and b; draws are
    clamped into [tiny, 1 - eps] as PyTorch's are, so log_prob of a draw is finite.

    >>> import autograd
    >>> a = autograd.tensor(2.0, dtype=autograd.float64, requires_grad=True)
    >>> Beta(a, 3.0).log_prob(0.25).backward()
    >>> round(a.grad.item(), 6)           # ln x - digamma(a) + digamma(a + b)
    -0.302961
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = parameters(
            "Beta", concentration1=concentration1, concentration0=concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def variance(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a * b / (total ** 2 * (total + 1))

    @property
    def mode(self) -> Tensor:
        """(a - 1) / (a + b - 2) where both exceed 1; else Dirichlet's rule: where both are
        below 1 (no mode: the density is unbounded at 0 and at 1), 1 if a >= b and 0 if b > a,
        glassgrad's choice (PyTorch 2.13 gives 1 there whatever a and b: see Dirichlet.mode)."""
        stacked = stack([self.concentration1, self.concentration0], -1)
        return Dirichlet(stacked, validate_args=False).mode[..., 0]

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        ones = standard_gamma(self.concentration1, shape)
        zeros = standard_gamma(self.concentration0, shape)
        return clamp_probabilities(ones / (ones + zeros))

    def log_prob(self, value: Any) -> Tensor:
        x = self._value("log_prob", value)
        a, b = self.concentration1, self.concentration0
        return (a - 1).xlogy(x) + (b - 1).xlogy(1 - x) - log_beta(a, b)

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return (log_beta(a, b) - (a - 1) * a.digamma() - (b - 1) * b.digamma()
                + (a + b - 2) * (a + b).digamma())
