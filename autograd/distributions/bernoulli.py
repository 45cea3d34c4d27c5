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
from .base import Distribution, along_new_axis
from .probs_or_logits import ProbsOrLogits


def softplus(x: Tensor) -> Tensor:
    """ln(1 + e^x), without overflow at ±1000 (the engine's Softplus op)."""
    return apply(Softplus, (x,))


class Bernoulli(ProbsOrLogits, Distribution):
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
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param, = self._keep_probs_or_logits(probs, logits)
        super().__init__(param.shape, (), validate_args)

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

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0 and 1 along a new first axis (see Distribution.enumerate_support).

        >>> Bernoulli(probs=Tensor([0.2, 0.7])).enumerate_support().tolist()
        [[0.0, 0.0], [1.0, 1.0]]
        """
        values = Tensor(np.arange(2, dtype=self._dtype()))
        return along_new_axis(values, self._batch_shape, expand)

    def log_prob(self, value: Any) -> Tensor:
        # x ln σ(l) + (1 - x) ln σ(-l) = x l - softplus(l)
        x = self._value("log_prob", value)
        return x * self.logits - softplus(self.logits)

    def entropy(self) -> Tensor:
        # -(p ln σ(l) + (1 - p) ln σ(-l)) = softplus(l) - p l
        return softplus(self.logits) - self.probs * self.logits
