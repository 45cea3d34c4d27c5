"""Independent(base, reinterpreted_batch_ndims): the last batch axes of `base` taken as axes of
one event, so log_prob and entropy sum over them (a diagonal Gaussian over vectors from a
batch of Normals).

>>> from autograd.distributions import Independent, Normal
>>> d = Independent(Normal(Tensor([[0.0, 1.0, 2.0]]), 1.0), 1)
>>> d.batch_shape, d.event_shape
((1,), (3,))
"""

from __future__ import annotations

from typing import Any

import numbers

from ..tensor import Tensor
from .base import Distribution


def sum_last(t: Tensor, n: int) -> Tensor:
    """t summed over its last n axes (t itself for n = 0)."""
    return t.sum(tuple(range(-n, 0))) if n else t


class Independent(Distribution):
    """`base`'s last `reinterpreted_batch_ndims` batch axes made event axes: batch_shape loses
    them, event_shape gains them in front, and log_prob and entropy are the base's summed over
    them; draws, mean and variance are the base's.

    >>> import autograd
    >>> from autograd.distributions import Normal
    >>> base = Normal(autograd.zeros(2), 1.0)
    >>> x = autograd.tensor([0.5, -1.0])
    >>> Independent(base, 1).log_prob(x).item() == base.log_prob(x).sum().item()
    True
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"Independent: base_distribution must be a Distribution, got "
                            f"{type(base_distribution).__name__}")
        n, batch = reinterpreted_batch_ndims, base_distribution.batch_shape
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or not 0 <= n <= len(batch):
            raise ValueError(f"Independent: reinterpreted_batch_ndims must be an int from 0 to "
                             f"the base's {len(batch)} batch axes (batch_shape {batch}), got "
                             f"{n!r}")
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, int(n)
        cut = len(batch) - self.reinterpreted_batch_ndims
        super().__init__(batch[:cut], batch[cut:] + base_distribution.event_shape,
                         validate_args)

    @property
    def has_rsample(self) -> bool:
        return self.base_dist.has_rsample

    @property
    def support(self) -> Any:
        return self.base_dist.support

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value: Any) -> Tensor:
        return sum_last(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        return sum_last(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def _dtype(self) -> Any:
        return self.base_dist._dtype()

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
