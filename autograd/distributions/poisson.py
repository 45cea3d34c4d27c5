"""Poisson(rate): counts 0, 1, 2, ... of events at `rate` per unit, P(k) = rate^k e^-rate / k!
(Poisson regression's likelihood).

>>> from autograd.distributions import Poisson
>>> d = Poisson(2.0)
>>> round(d.log_prob(3.0).item(), 6), d.mode.item()
(-1.712318, 2.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import no_grad
from ..random import default_rng
from ..tensor import Tensor
from . import constraints
from .base import Distribution, parameters


class Poisson(Distribution):
    """The Poisson distribution of mean `rate` >= 0 (a rate of 0 puts all its mass on 0).
    log_prob is k ln rate - rate - ln k! (lgamma; xlogy, so k = 0 at rate 0 gives 0),
    differentiable in the rate; draws are numpy's counts, in the rate's dtype, without a graph
    (no rsample: a count has no reparameterisation).

    >>> import autograd
    >>> rate = autograd.tensor([1.0, 4.0], requires_grad=True)
    >>> Poisson(rate).log_prob(autograd.tensor([2.0, 2.0])).sum().backward()
    >>> rate.grad.tolist()                    # k / rate - 1
    [1.0, -0.5]
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer
    has_rsample = False

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        self.rate, = parameters("Poisson", rate=rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            rate = np.broadcast_to(self.rate.data, shape).astype(np.float64)
            return Tensor(default_rng().poisson(rate).astype(self._dtype()))

    def log_prob(self, value: Any) -> Tensor:
        k = self._value("log_prob", value)
        return k.xlogy(self.rate) - self.rate - (k + 1).lgamma()
