"""Geometric(probs= | logits=): the number of failures before the first success, each trial a
success with probability p: P(k) = (1 - p)^k p, k = 0, 1, 2, ...

>>> from autograd.distributions import Geometric
>>> d = Geometric(probs=0.25)
>>> d.mean.item(), round(d.log_prob(2.0).item(), 6)
(3.0, -1.961658)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import no_grad
from ..random import default_rng
from ..tensor import Tensor, where
from . import constraints
from .base import Distribution
from .bernoulli import softplus
from .probs_or_logits import ProbsOrLogits


class Geometric(ProbsOrLogits, Distribution):
    """Failures before the first success, success probability `probs` (in (0, 1]) or log-odds
    `logits`, not both. log_prob is k ln(1 - p) + ln p (0 at p = 1, k = 0), from the logits
    (given them) as -k softplus(l) - softplus(-l), so logits of ±1000 are fine;
    entropy (softplus(l) - p l) / p. Draws are numpy's, less one (numpy counts the trials), in
    the parameters' dtype, without a graph.

    >>> import autograd
    >>> p = autograd.tensor(0.5, requires_grad=True)
    >>> Geometric(p).log_prob(1.0).backward()
    >>> p.grad.item()                         # 1 / p - k / (1 - p)
    0.0
    """

    arg_constraints = {"probs": constraints.positive_unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer
    has_rsample = False

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param, = self._keep_probs_or_logits(probs, logits)
        super().__init__(param.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs.reciprocal() - 1

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros_like(self.probs.data))

    @property
    def variance(self) -> Tensor:
        return (self.probs.reciprocal() - 1) / self.probs

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            p = np.broadcast_to(self.probs.data, shape).astype(np.float64)
            return Tensor((default_rng().geometric(p) - 1).astype(self._dtype()))

    def log_prob(self, value: Any) -> Tensor:
        k = self._value("log_prob", value)
        if "probs" in self._given:
            # k ln(1 - p) + ln p from p itself (exact at p = 1, where the clamped logits are
            # not): p taken as 0 in the first term where p = 1 and k = 0, whose 0 · ln 0 is 0
            p = self.probs
            shape = np.broadcast_shapes(k.shape, p.shape)
            certain = np.broadcast_to((p.data == 1) & (k.data == 0), shape)
            p_kept = where(certain, 0.0, p if p.shape == shape else p.broadcast_to(shape))
            with np.errstate(divide="ignore"):      # k > 0 at p = 1: -inf, no mass there
                return k * (-p_kept).log1p() + p.log()
        # ln(1 - p) = -softplus(l), ln p = -softplus(-l)
        return -(k * softplus(self.logits)) - softplus(-self.logits)

    def entropy(self) -> Tensor:
        return (softplus(self.logits) - self.probs * self.logits) / self.probs
