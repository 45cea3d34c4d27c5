"""NegativeBinomial(total_count, probs= | logits=): the number of successes before the
total_count-th failure, each trial a success with probability p: P(k) = C(k + r - 1, k)
p^k (1 - p)^r (r = total_count need not be whole: over-dispersed counts, a Gamma mixture of
Poissons).

>>> from autograd.distributions import NegativeBinomial
>>> d = NegativeBinomial(3.0, probs=0.5)
>>> d.mean.item(), d.variance.item(), round(d.log_prob(2.0).item(), 6)
(3.0, 6.0, -1.673976)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import no_grad
from ..random import default_rng
from ..tensor import Tensor
from . import constraints
from .base import Distribution
from .bernoulli import softplus
from .probs_or_logits import ProbsOrLogits


class NegativeBinomial(ProbsOrLogits, Distribution):
    """Successes before `total_count` (r > 0, or 0: all mass at 0) failures, success probability
    `probs` (in [0, 1)) or log-odds `logits`, not both. log_prob is
    ln Γ(k + r) - ln Γ(r) - ln k! + k ln p + r ln(1 - p), the logs as -softplus of the logits,
    differentiable in r and p; draws are numpy's Poisson of Gamma(r, p / (1 - p)) draws (no
    graph), in the parameters' dtype.

    >>> import autograd
    >>> r = autograd.tensor(2.0, dtype=autograd.float64, requires_grad=True)
    >>> NegativeBinomial(r, probs=0.5).log_prob(1.0).backward()
    >>> round(r.grad.item(), 6)                    # ψ(k + r) - ψ(r) + ln(1 - p)
    -0.193147
    """

    arg_constraints = {"total_count": constraints.nonnegative,
                       "probs": constraints.half_open_unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer
    has_rsample = False

    def __init__(self, total_count: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self.total_count, param = self._keep_probs_or_logits(probs, logits,
                                                             total_count=total_count)
        super().__init__(param.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()               # r p / (1 - p)

    @property
    def mode(self) -> Tensor:
        """floor((r - 1) p / (1 - p)), at least 0."""
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()                # r p / (1 - p)²

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            rng = default_rng()
            r = np.broadcast_to(self.total_count.data, shape).astype(np.float64)
            odds = np.broadcast_to(self.logits.exp().data, shape).astype(np.float64)
            rates = np.where(r > 0, rng.standard_gamma(np.maximum(r, 1e-300)), 0.0) * odds
            return Tensor(rng.poisson(rates).astype(self._dtype()))

    def log_prob(self, value: Any) -> Tensor:
        k = self._value("log_prob", value)
        r, logits = self.total_count, self.logits
        # ln Γ(k + r) - ln Γ(r) is 0 for k = r = 0 (all the mass at 0), inf - inf as it stands
        both_zero = (k.data == 0) & (r.data == 0)
        lifted = r + Tensor(both_zero.astype(r.data.dtype))       # r = 1 there: the same 0
        counting = (k + lifted).lgamma() - lifted.lgamma() - (k + 1).lgamma()
        return counting - k * softplus(-logits) - r * softplus(logits)
