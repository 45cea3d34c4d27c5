"""Bernoulli(probs= | logits=): 1 with probability p, 0 otherwise.

>>> from autograd.distributions import Bernoulli
>>> d = Bernoulli(logits=Tensor([1000.0, -1000.0]))        # no overflow, no log(0)
>>> d.log_prob(Tensor([1.0, 1.0])).tolist()
[0.0, -1000.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import apply, no_grad
from ..ops.elementwise import Softplus
from ..random import default_rng
from ..tensor import Tensor
from . import constraints
from .base import Distribution, lazy, one_of, parameters


def softplus(x: Tensor) -> Tensor:
    """ln(1 + e^x), without overflow at ±1000 (the engine's Softplus op)."""
    return apply(Softplus, (x,))


def clamped_logit(p: Tensor) -> Tensor:
    """ln p - ln(1 - p), p clamped to [eps, 1 - eps] first (PyTorch's choice: a probability of
    0 or 1 gives a large finite logit, so log_prob stays finite and differentiable)."""
    eps = float(np.finfo(p.data.dtype).eps)
    p = p.clamp(eps, 1 - eps)
    return p.log() - (-p).log1p()


class Bernoulli(Distribution):
    """1 with probability `probs`, 0 otherwise; give `probs` (in [0, 1]) or `logits` (log-odds),
    not both. log_prob and entropy are computed from the logits as -softplus forms, so
    logits of ±1000 are fine; given probs, the logits are ln p - ln(1 - p) with p clamped to
    [eps, 1 - eps], as in PyTorch. Draws are 0.0 and 1.0 in the parameters' dtype.

    >>> import autograd
    >>> logits = autograd.tensor([0.0, 2.0], requires_grad=True)
    >>> Bernoulli(logits=logits).log_prob(autograd.tensor([1.0, 0.0])).sum().backward()
    >>> [round(g, 6) for g in logits.grad.tolist()]       # x - sigmoid(logits)
    [0.5, -0.880797]
    >>> Bernoulli(probs=0.25).variance.item()
    0.1875
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_rsample = False

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        name, given = one_of("Bernoulli", probs, logits)
        param, = parameters("Bernoulli", **{name: given})
        self.__dict__[name] = param
        super().__init__(param.shape, (), validate_args)

    @lazy
    def probs(self) -> Tensor:
        """The probability of a 1 (from the logits: their sigmoid)."""
        return self.logits.sigmoid()

    @lazy
    def logits(self) -> Tensor:
        """The log-odds ln p - ln(1 - p) (from probs: clamped, see the class)."""
        return clamped_logit(self.probs)

    @property
    def param_shape(self) -> tuple:
        return self._batch_shape

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            p = np.broadcast_to(self.probs.data, shape)
            return Tensor((default_rng().random(shape) < p).astype(p.dtype))

    def log_prob(self, value: Any) -> Tensor:
        # x ln σ(l) + (1 - x) ln σ(-l) = x l - softplus(l)
        x = self._value("log_prob", value)
        return x * self.logits - softplus(self.logits)

    def entropy(self) -> Tensor:
        # -(p ln σ(l) + (1 - p) ln σ(-l)) = softplus(l) - p l
        return softplus(self.logits) - self.probs * self.logits
