"""RelaxedOneHotCategorical(temperature, probs= | logits=): the Gumbel-softmax (Concrete)
relaxation of a one-hot draw, softmax((logits + g) / temperature) with g Gumbel noise, points
of the simplex with a reparameterised draw; the exp of an ExpRelaxedCategorical.

>>> from autograd.distributions import RelaxedOneHotCategorical
>>> d = RelaxedOneHotCategorical(0.5, logits=Tensor([[0.0, 1.0, 2.0]]))
>>> d.batch_shape, d.event_shape, d.rsample((4,)).shape
((1,), (3,), (4, 1, 3))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .base import Distribution, one_of, parameters, shown_as, validating
from .categorical import Categorical, OfCategorical
from .relaxed_bernoulli import OfRelaxedBase, clamped_uniform
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform


class ExpRelaxedCategorical(OfCategorical, Distribution):
    """The log of a RelaxedOneHotCategorical: log_softmax((logits + g) / temperature), g
    standard Gumbel, over vectors of K (the parameter's last axis). log_prob is the Concrete
    density of the log-probabilities (Maddison et al.): ln (K - 1)! + (K - 1) ln t +
    Σ (logits - t x) - K logsumexp(logits - t x).

    >>> d = ExpRelaxedCategorical(1.0, logits=Tensor([0.0, 0.0]))
    >>> d.event_shape
    (2,)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True
    _unbatched = ("temperature",)        # (a number, or shaped to broadcast with the logits)

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        where = type(self).__name__
        name, given = one_of(where, probs, logits)
        self._categorical = Categorical(**{name: given}, validate_args=validate_args)
        dtype = self._categorical._dtype()
        t, = parameters(where, temperature=temperature)
        self.temperature = t if t.dtype == dtype else t.astype(dtype)
        if validating(validate_args) and not (self.temperature.data > 0).all():
            raise ValueError(f"{where}: temperature must be positive (> 0); got "
                             f"{np.asarray(self.temperature.data).min().item()!r}")
        batch = self._categorical.batch_shape
        super().__init__(batch, (self._categorical.param_shape[-1],), validate_args)

    def _check_parameters(self) -> None:
        """(the Categorical checked probs or logits)"""

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = clamped_uniform(self._extended_shape(sample_shape), self._dtype())
        gumbels = -(-u.log()).log()
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value: Any) -> Tensor:
        k = self._event_shape[0]
        t = self.temperature
        score = self.logits - self._value("log_prob", value) * t
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + math.lgamma(k) + (k - 1) * t.log()


class RelaxedOneHotCategorical(OfRelaxedBase, TransformedDistribution):
    """exp of ExpRelaxedCategorical(temperature, probs= | logits=): points of the simplex
    that approach one-hot vectors as the temperature falls; `rsample` is the Gumbel-softmax
    trick, gradients reaching the logits and the temperature (the straight-through variant
    is `y_hard - y.detach() + y` on top of it).

    >>> import autograd
    >>> logits = autograd.tensor([0.0, 1.0, 2.0], requires_grad=True)
    >>> y = RelaxedOneHotCategorical(0.5, logits=logits).rsample()
    >>> round(y.sum().item(), 5)
    1.0
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        with shown_as(type(self).__name__, "ExpRelaxedCategorical", "Categorical"):
            base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)
