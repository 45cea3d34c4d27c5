"""A success probability given as probs= or as logits= (log-odds), the other computed from it
when first read: what Bernoulli, Binomial, Geometric, NegativeBinomial and
LogitRelaxedBernoulli share (Categorical's pair, over K categories, is its own).

>>> from autograd.distributions import Bernoulli
>>> d = Bernoulli(logits=Tensor([0.0]))
>>> "probs" in d.__dict__
False
>>> d.probs.tolist(), "probs" in d.__dict__           # computed on first read, then kept
([0.5], True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .base import lazy, one_of, parameters


def clamped_logit(p: Tensor) -> Tensor:
    """ln p - ln(1 - p), p clamped to [eps, 1 - eps] first (PyTorch's choice: a probability of
    0 or 1 gives a large finite logit, so log_prob stays finite and differentiable)."""
    eps = float(np.finfo(p.data.dtype).eps)
    p = p.clamp(eps, 1 - eps)
    return p.log() - (-p).log1p()


class ProbsOrLogits:
    """A mixin for a distribution of one success probability p: `_keep_probs_or_logits` stores
    the one of probs and logits given; the other is computed when first read (probs = σ(l),
    logits = ln p - ln(1 - p) with p clamped to [eps, 1 - eps]) and kept, in the graph
    (see base.lazy), so gradients reach the parameter given."""

    def _keep_probs_or_logits(self, probs: Any, logits: Any, **others: Any) -> list[Tensor]:
        """Exactly one of probs and logits must be given: it is kept (as a Tensor broadcast
        with `others`, in one floating dtype) and returned last, after `others` made alike."""
        where = type(self).__name__
        name, given = one_of(where, probs, logits)
        *made, param = parameters(where, **others, **{name: given})
        self.__dict__[name] = param
        return made + [param]

    @lazy
    def probs(self) -> Tensor:
        """The probability of a success, a 1 (from the logits: their sigmoid)."""
        return self.logits.sigmoid()

    @lazy
    def logits(self) -> Tensor:
        """The log-odds ln p - ln(1 - p) (from probs: clamped to [eps, 1 - eps] first, as
        PyTorch's, so a probability of 0 or 1 gives a large finite logit)."""
        return clamped_logit(self.probs)
