"""MixtureSameFamily(mixture_distribution, component_distribution): a mixture of K components
of one family, weighted by a Categorical over them (a Gaussian mixture model).

>>> from autograd.distributions import Categorical, MixtureSameFamily, Normal
>>> gmm = MixtureSameFamily(Categorical(probs=Tensor([0.5, 0.5])),
...                         Normal(Tensor([-1.0, 1.0]), 1.0))
>>> gmm.batch_shape, gmm.mean.item(), gmm.variance.item()
((), 0.0, 2.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import no_grad
from ..tensor import Tensor
from .base import Distribution
from .categorical import Categorical


class MixtureSameFamily(Distribution):
    """The mixture p(x) = Σ_k π_k p_k(x): `mixture_distribution` a Categorical over K (its
    batch_shape B), `component_distribution` any distribution with batch_shape B + (K,) (the
    components, the last batch axis). log_prob is the logsumexp over k of ln π_k + ln p_k(x),
    so gradients reach the weights and the components' parameters; draws pick a component,
    then take its draw (no rsample, as in PyTorch).

    >>> import autograd
    >>> from autograd.distributions import Independent, Normal
    >>> comp = Independent(Normal(autograd.zeros(3, 2), autograd.ones(3, 2)), 1)
    >>> gmm = MixtureSameFamily(Categorical(logits=autograd.zeros(3)), comp)
    >>> gmm.event_shape, gmm.sample((4,)).shape
    ((2,), (4, 2))
    """

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical, component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(f"MixtureSameFamily: mixture_distribution must be a Categorical "
                             f"(the weights of the components), got "
                             f"{type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError(f"MixtureSameFamily: component_distribution must be a "
                             f"Distribution, got {type(component_distribution).__name__}")
        mix_batch, comp_batch = mixture_distribution.batch_shape, \
            component_distribution.batch_shape
        k = mixture_distribution.param_shape[-1]
        if not comp_batch or comp_batch[-1] != k or comp_batch[:-1] != mix_batch:
            raise ValueError(f"MixtureSameFamily: component_distribution's batch_shape must be "
                             f"the mixture's batch_shape {mix_batch} plus its {k} components, "
                             f"{mix_batch + (k,)}; got {comp_batch}")
        self.mixture_distribution = mixture_distribution
        self.component_distribution = component_distribution
        super().__init__(mix_batch, component_distribution.event_shape, validate_args)

    def _weights(self, log: bool = False) -> Tensor:
        """The mixture's (log-)probabilities with an axis of 1 per event axis: B + (K,) + 1s."""
        w = self.mixture_distribution.logits if log else self.mixture_distribution.probs
        return w.reshape(w.shape + (1,) * len(self._event_shape))

    def _each(self, x: Tensor) -> Tensor:
        """x with an axis for the components before its event axes."""
        return x.unsqueeze(-1 - len(self._event_shape))

    @property
    def support(self) -> Any:
        return self.component_distribution.support

    @property
    def mean(self) -> Tensor:
        axis = -1 - len(self._event_shape)
        return (self._weights() * self.component_distribution.mean).sum(axis)

    @property
    def variance(self) -> Tensor:
        # the total variance: the components' mean variance plus the variance of their means
        axis = -1 - len(self._event_shape)
        w, comp = self._weights(), self.component_distribution
        spread = (comp.mean - self._each(self.mean)) ** 2
        return (w * comp.variance).sum(axis) + (w * spread).sum(axis)

    def log_prob(self, value: Any) -> Tensor:
        x = self._value("log_prob", value)
        per_component = self.component_distribution.log_prob(self._each(x))
        return (per_component + self.mixture_distribution.logits).logsumexp(dim=-1)

    def cdf(self, value: Any) -> Tensor:
        x = self._value("cdf", value)
        per_component = self.component_distribution.cdf(self._each(x))
        return (per_component * self.mixture_distribution.probs).sum(-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            which = self.mixture_distribution.sample(sample_shape).data     # S + B
            draws = self.component_distribution.sample(sample_shape).data   # S + B + (K,) + E
            event = len(self._event_shape)
            index = which.reshape(which.shape + (1,) * (1 + event))
            index = np.broadcast_to(index, which.shape + (1,) + self._event_shape)
            picked = np.take_along_axis(draws, index, axis=-1 - event)
            return Tensor(picked.squeeze(-1 - event))

    def _dtype(self) -> Any:
        return self.component_distribution._dtype()

    def __repr__(self) -> str:
        return (f"MixtureSameFamily({self.mixture_distribution!r}, "
                f"{self.component_distribution!r})")
