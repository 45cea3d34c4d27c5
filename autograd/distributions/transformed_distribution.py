"""TransformedDistribution(base, transforms): the distribution of y = t_n(...t_1(x)) for x
drawn from `base`. Draws go through the transforms; log_prob is the change of variables,
ln p_base(x) - Σ ln |det J_t| with x found by the inverses, summed over each event.

>>> from autograd.distributions import Normal, TransformedDistribution
>>> from autograd.distributions.transforms import ExpTransform
>>> d = TransformedDistribution(Normal(0.0, 1.0), [ExpTransform()])      # a log-normal
>>> round(d.log_prob(1.0).item(), 6), d.batch_shape, d.event_shape
(-0.918939, (), ())
"""

from __future__ import annotations

from typing import Any

from ..graph import no_grad
from ..tensor import Tensor
from . import constraints
from .base import Distribution, sample_size
from .independent import Independent
from .transforms import ComposeTransform, Transform
from .transforms.base import sum_rightmost


class TransformedDistribution(Distribution):
    """`base_distribution` pushed through `transforms` (one Transform or a list, applied in
    order). The shapes are PyTorch's: the transforms' shapes applied to the base's
    batch + event shape, and events as wide as the base's or the transforms' need (a
    transform over vectors on a batch of numbers makes the last batch axis an event axis,
    the base made Independent over it). `rsample` exists when the base's does; cdf and icdf
    when every transform is monotone (a decreasing one flips the cdf).

    >>> import autograd
    >>> from autograd.distributions import Normal
    >>> from autograd.distributions.transforms import AffineTransform, TanhTransform
    >>> mu = autograd.tensor([0.3], requires_grad=True)
    >>> policy = TransformedDistribution(Normal(mu, 1.0), [TanhTransform(cache_size=1)])
    >>> action = policy.rsample()
    >>> policy.log_prob(action).sum().backward()     # tanh's inverse not computed: cached
    >>> mu.grad.shape
    (1,)
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, transforms: Any,
                 validate_args: bool | None = None) -> None:
        if isinstance(transforms, Transform):
            transforms = [transforms]
        elif not isinstance(transforms, (list, tuple)) or \
                not all(isinstance(t, Transform) for t in transforms):
            raise TypeError(f"TransformedDistribution: transforms must be a Transform or a list "
                            f"of Transforms, got {transforms!r}")
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"TransformedDistribution: base_distribution must be a "
                            f"Distribution, got {type(base_distribution).__name__}")
        self.transforms = list(transforms)
        whole = ComposeTransform(self.transforms)
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        base_event_dim = len(base_distribution.event_shape)
        domain_event_dim = whole.domain.event_dim
        if len(base_shape) < domain_event_dim:
            raise ValueError(f"TransformedDistribution: the transforms act on events of "
                             f"{domain_event_dim} axes, but the base's draws have shape "
                             f"{base_shape}")
        shape = whole.forward_shape(base_shape)
        # a transform whose parameters broadcast the draws: more (leading) batch axes
        wider = whole.inverse_shape(shape)
        self._extra = tuple(wider[:len(wider) - len(base_shape)])
        if tuple(wider[len(self._extra):]) != tuple(base_shape):
            raise NotImplementedError(
                f"TransformedDistribution: the transforms broadcast the base's draws of shape "
                f"{base_shape} to {wider}; only new leading axes are supported here (give the "
                f"base parameters of the broadcast shape)")
        if domain_event_dim > base_event_dim:
            base_distribution = Independent(base_distribution, domain_event_dim - base_event_dim)
        self.base_dist = base_distribution
        event_dim = whole.codomain.event_dim + max(base_event_dim - domain_event_dim, 0)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args)

    @property
    def has_rsample(self) -> bool:           # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def support(self) -> constraints.Constraint:      # type: ignore[override]
        if not self.transforms:
            return self.base_dist.support
        codomain = self.transforms[-1].codomain
        extra = len(self._event_shape) - codomain.event_dim
        return constraints.independent(codomain, extra) if extra > 0 else codomain

    def _dtype(self) -> Any:
        return self.base_dist._dtype()

    def expand(self, batch_shape: Any) -> TransformedDistribution:
        new = super().expand(batch_shape)
        new._extra = ()             # the base's batch is the whole of it now (see below)
        return new

    expand.__doc__ = Distribution.expand.__doc__

    def _inner_batch_shape(self, inner: Distribution, batch_shape: tuple) -> tuple:
        # the base's draws are what the transforms' inverses make of draws of the new shape
        shape = batch_shape + self._event_shape
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        return tuple(shape[:len(shape) - len(inner.event_shape)])

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            x = self.base_dist.sample(self._base_sample_shape(sample_shape))
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        x = self.base_dist.rsample(self._base_sample_shape(sample_shape))
        for t in self.transforms:
            x = t(x)
        return x

    def _base_sample_shape(self, sample_shape: Any) -> tuple:
        return sample_size(type(self).__name__, sample_shape) + self._extra

    def log_prob(self, value: Any) -> Tensor:
        y = self._value("log_prob", value)
        event_dim = len(self._event_shape)
        total: Any = 0.0
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            total = total - sum_rightmost(t.log_abs_det_jacobian(x, y),
                                          event_dim - t.domain.event_dim)
            y = x
        return total + sum_rightmost(self.base_dist.log_prob(y),
                                     event_dim - len(self.base_dist.event_shape))

    def _monotone(self, value: Tensor) -> Tensor:
        """A cdf of the base made the transformed one's: 1 - F where the transforms decrease."""
        sign: Any = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value: Any) -> Tensor:
        x = self._value("cdf", value)
        for t in reversed(self.transforms):
            x = t.inv(x)
        return self._monotone(self.base_dist.cdf(x))

    def icdf(self, value: Any) -> Tensor:
        p = self._value("icdf", value, support=constraints.unit_interval)
        x = self.base_dist.icdf(self._monotone(p))
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        if self.arg_constraints:          # a family built on transforms: its parameters
            shown = []
            for name in self.arg_constraints:
                p = getattr(self, name, None)
                if isinstance(p, Tensor):
                    shown.append(f"{name}: {p.data.item()!r}" if p.data.size == 1
                                 else f"{name}: shape {p.shape}")
            return f"{type(self).__name__}({', '.join(shown)})"
        return (f"{type(self).__name__}({self.base_dist!r}, "
                f"[{', '.join(repr(t) for t in self.transforms)}])")

