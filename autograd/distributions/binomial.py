"""Binomial(total_count, probs= | logits=): the number of successes in total_count independent
trials, each a success with probability p.

>>> from autograd.distributions import Binomial
>>> d = Binomial(10, probs=0.3)
>>> d.mean.item(), round(d.log_prob(3.0).item(), 6)
(3.0, -1.321151)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import no_grad
from ..random import default_rng
from ..tensor import Tensor, where
from . import constraints
from .base import Distribution, along_new_axis
from .bernoulli import softplus
from .probs_or_logits import ProbsOrLogits


def log_binomial_coefficient(n: Tensor, k: Tensor) -> Tensor:
    """ln C(n, k) = ln n! - ln k! - ln (n - k)! (lgamma)."""
    return (n + 1).lgamma() - (k + 1).lgamma() - (n - k + 1).lgamma()


class Binomial(ProbsOrLogits, Distribution):
    """The number of successes in `total_count` (a whole number >= 0, or a Tensor of them)
    trials of success probability `probs` (in [0, 1]) or log-odds `logits`, not both.
    log_prob is ln C(n, k) + k l - n softplus(l) in the logits l (finite at l = ±1000; given
    probs, the logits are ln p - ln(1 - p) with p clamped to [eps, 1 - eps], as Bernoulli's),
    differentiable in the probabilities. `entropy` sums -P(k) ln P(k) over k = 0, ...,
    max(total_count). Draws are numpy's counts, in the parameters' dtype, without a graph.

    >>> import autograd
    >>> logits = autograd.tensor(0.0, requires_grad=True)
    >>> Binomial(4, logits=logits).log_prob(3.0).backward()
    >>> logits.grad.item()                    # k - n σ(l)
    1.0
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_rsample = False
    has_enumerate_support = True

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self.total_count, param = self._keep_probs_or_logits(probs, logits,
                                                             total_count=total_count)
        super().__init__(param.shape, (), validate_args)

    @property
    def param_shape(self) -> tuple:
        return self._batch_shape

    @property
    def support(self) -> constraints.Constraint:
        return constraints.counts_up_to(self.total_count.data)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        """floor((n + 1) p), at most n."""
        n = self.total_count
        return ((n + 1) * self.probs).floor().minimum(n)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            n = np.broadcast_to(self.total_count.data, shape).astype(np.int64)
            p = np.broadcast_to(self.probs.data, shape).astype(np.float64)
            return Tensor(default_rng().binomial(n, p).astype(self._dtype()))

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0, 1, ..., total_count along a new first axis (see Distribution.enumerate_support),
        for one total_count across the batch (as in PyTorch).

        >>> Binomial(2, probs=Tensor([0.2, 0.7])).enumerate_support().tolist()
        [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
        """
        n = self.total_count.data
        if n.size and n.min() != n.max():
            raise NotImplementedError(
                f"Binomial.enumerate_support: total_count differs across the batch (from "
                f"{n.min().item():g} to {n.max().item():g}); the support is enumerated only "
                f"for one total_count, as in PyTorch")
        top = int(n.max()) if n.size else 0
        values = Tensor(np.arange(top + 1, dtype=self._dtype()))
        return along_new_axis(values, self._batch_shape, expand)

    def log_prob(self, value: Any) -> Tensor:
        k = self._value("log_prob", value)
        n, logits = self.total_count, self.logits
        return log_binomial_coefficient(n, k) + k * logits - n * softplus(logits)

    def entropy(self) -> Tensor:
        top = int(self.total_count.data.max()) if self.total_count.data.size else 0
        k = Tensor(np.arange(top + 1, dtype=self._dtype()).reshape(
            (-1,) + (1,) * len(self._batch_shape)))
        n = self.total_count
        # k beyond n has no mass: its term is computed at k = n (finite, so no NaN comes back
        # through the branch not taken) and replaced by the lowest float (0 · it is 0)
        inside = k.data <= n.data
        kept = Tensor(np.minimum(k.data, n.data))
        log_p = log_binomial_coefficient(n, kept) + kept * self.logits - n * softplus(self.logits)
        log_p = where(inside, log_p, float(np.finfo(self._dtype()).min))
        return -(log_p.exp() * log_p).sum(0)
