"""RelaxedBernoulli(temperature, probs= | logits=): the Concrete (binary Gumbel-softmax)
relaxation of a coin, values in (0, 1) that approach 0 and 1 as the temperature falls, with a
reparameterised draw; the sigmoid of a LogitRelaxedBernoulli.

>>> from autograd.distributions import RelaxedBernoulli
>>> d = RelaxedBernoulli(0.5, probs=Tensor([0.2, 0.9]))
>>> d.rsample((4,)).shape, d.support.expected
((4, 2), 'in [0, 1]')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .base import Distribution, noise, shown_as
from .bernoulli import softplus
from .probs_or_logits import ProbsOrLogits
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform


def clamped_uniform(shape: tuple, dtype: Any) -> Tensor:
    """Uniform draws kept in [eps, 1 - eps] of the dtype, so their logs are finite."""
    eps = float(np.finfo(dtype).eps)
    return noise("uniform", shape, dtype).clamp(eps, 1 - eps)


class LogitRelaxedBernoulli(ProbsOrLogits, Distribution):
    """The logit of a RelaxedBernoulli: (logits + ln u - ln(1 - u)) / temperature, u uniform
    (logistic noise added to the logits). Give probs or logits, not both; the temperature is
    a number or a positive Tensor (broadcast with them).

    >>> d = LogitRelaxedBernoulli(1.0, logits=0.0)
    >>> round(d.log_prob(0.0).item(), 6)          # ln σ'(0) = ln ¼
    -1.386294
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self.temperature, param = self._keep_probs_or_logits(probs, logits,
                                                             temperature=temperature)
        super().__init__(param.shape, (), validate_args)
        if self._validate_args and not (self.temperature.data > 0).all():
            raise ValueError(f"{type(self).__name__}: temperature must be positive (> 0); got "
                             f"{self.temperature.data.min().item()!r}")

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = clamped_uniform(self._extended_shape(sample_shape), self._dtype())
        return (self.logits + u.log() - (-u).log1p()) / self.temperature

    def log_prob(self, value: Any) -> Tensor:
        # the logistic density of t·x - logits, times t: ln t + d - 2 softplus(d), d the
        # logits minus t·x (softplus: no overflow for a large d)
        diff = self.logits - self._value("log_prob", value) * self.temperature
        return self.temperature.log() + diff - 2 * softplus(diff)


class OfRelaxedBase:
    """A mixin for a relaxed distribution pushed through a transform (RelaxedBernoulli,
    RelaxedOneHotCategorical): its temperature, probs and logits are its base's."""

    base_dist: Any

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits


class RelaxedBernoulli(OfRelaxedBase, TransformedDistribution):
    """The sigmoid of LogitRelaxedBernoulli(temperature, probs= | logits=): values in (0, 1)
    (clamped to [tiny, 1 - eps] of the dtype), `rsample` differentiable in the logits and
    the temperature.

    >>> import autograd
    >>> logits = autograd.tensor([0.3], requires_grad=True)
    >>> RelaxedBernoulli(0.5, logits=logits).rsample().sum().backward()
    >>> logits.grad.shape
    (1,)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        with shown_as(type(self).__name__, "LogitRelaxedBernoulli"):
            base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)
