"""Multinomial(total_count, probs= | logits=): how many of total_count independent draws fall in
each of K categories (event_shape (K,)).

>>> from autograd.distributions import Multinomial
>>> d = Multinomial(4, probs=Tensor([0.25, 0.75]))
>>> d.mean.tolist(), round(d.log_prob(Tensor([1.0, 3.0])).item(), 6)
([1.0, 3.0], -0.863046)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..graph import no_grad
from ..random import default_rng
from ..tensor import Tensor
from . import constraints
from .base import Distribution, sample_size
from .binomial import Binomial
from .categorical import Categorical, OfCategorical


class Multinomial(OfCategorical, Distribution):
    """Counts of `total_count` draws (an int, as in PyTorch) among K categories of weights
    `probs` (normalised along the last axis) or `logits` (log_softmax), not both. log_prob is
    ln n! - Σ ln x_k! + Σ x_k ln p_k (a count of 0 adds 0, even where p_k = 0); mean n p,
    variance n p (1 - p). Draws are numpy's, in the parameters' dtype, without a graph.

    >>> import autograd
    >>> z = autograd.tensor([0.0, 0.0, 0.0], requires_grad=True)
    >>> Multinomial(3, logits=z).log_prob(autograd.tensor([3.0, 0.0, 0.0])).backward()
    >>> [round(g, 6) for g in z.grad.tolist()]          # x - n p
    [2.0, -1.0, -1.0]
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_rsample = False

    def __init__(self, total_count: int = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if not isinstance(total_count, (numbers.Integral, np.integer)) \
                or isinstance(total_count, bool) or total_count < 0:
            raise ValueError(f"Multinomial: total_count must be an int >= 0 (one number for "
                             f"the whole batch, as in PyTorch), got {total_count!r}")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         False)
        self._validate_args = self._categorical._validate_args

    @property
    def support(self) -> constraints.Constraint:
        return constraints.multinomial(self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs) * self.total_count

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = sample_size("Multinomial", sample_shape) + self._batch_shape
        with no_grad():
            p = self.probs.data.astype(np.float64)
            p = p / p.sum(-1, keepdims=True)              # (numpy wants sums of 1 in float64)
            p = np.broadcast_to(p, shape + self._event_shape)
            counts = default_rng().multinomial(self.total_count, p)
            return Tensor(counts.astype(self._dtype()))

    def entropy(self) -> Tensor:
        """-E[ln P(x)] = n H(p) - ln n! + Σ_k E[ln x_k!], each count x_k Binomial(n, p_k), its
        expectation summed over x_k = 1, ..., n (PyTorch's; differentiable in the
        probabilities).

        >>> round(Multinomial(2, probs=Tensor([0.5, 0.5])).entropy().item(), 6)    # ln 4 - ½ ln 2
        1.039721
        """
        n = self.total_count
        counts = Tensor(np.arange(1, n + 1, dtype=self._dtype()).reshape(
            (-1,) + (1,) * (len(self._batch_shape) + 1)))
        each = Binomial(n, probs=self.probs, validate_args=False)
        expected = (each.log_prob(counts).exp() * (counts + 1).lgamma()).sum(0).sum(-1)
        return n * self._categorical.entropy() - math.lgamma(n + 1) + expected

    def log_prob(self, value: Any) -> Tensor:
        x = self._value("log_prob", value)
        # x ln p with ln p = -inf where p = 0: the clamped logits (finite) times x = 0 is 0
        log_p = self.logits.clamp(min=float(np.finfo(self.logits.data.dtype).min))
        # ln n! as lgamma(n + 1): one number, whatever n (a sum of n logs is an array of n)
        return ((x * log_p).sum(-1) + math.lgamma(self.total_count + 1)
                - (x + 1).lgamma().sum(-1))

    def __repr__(self) -> str:
        return repr(self._categorical).replace("Categorical(", "Multinomial(", 1)
