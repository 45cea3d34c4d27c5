"""StudentT(df, loc=0, scale=1): Student's t with df degrees of freedom, shifted and scaled; its
tails are heavier than the normal's (df = 1 is Cauchy's), approaching it as df grows.

>>> from autograd.distributions import StudentT
>>> d = StudentT(3.0)
>>> round(d.log_prob(0.0).item(), 6), d.variance.item()
(-1.000889, 3.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor, where
from . import constraints
from .base import Distribution, noise, parameters
from .gamma import standard_gamma

HALF_LOG_PI = 0.5 * math.log(math.pi)


class StudentT(Distribution):
    """Student's t with `df` > 0 degrees of freedom, location `loc` and `scale` > 0. `rsample`
    is loc + scale · ε / √(V / df), ε ~ N(0, 1) and V ~ Chi2(df) a differentiable function of df
    (Gamma's implicit reparameterisation), so gradients reach all three parameters. The mean is
    loc for df > 1 and NaN otherwise; the variance scale² df / (df - 2) for df > 2, inf for
    1 < df <= 2 and NaN for df <= 1 (PyTorch's).

    >>> import autograd
    >>> df = autograd.tensor(4.0, dtype=autograd.float64, requires_grad=True)
    >>> StudentT(df).log_prob(1.0).backward()
    >>> round(df.grad.item(), 6)
    0.028614
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0,
                 validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = parameters("StudentT", df=df, loc=loc, scale=scale)
        super().__init__(self.df.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return where(self.df.data > 1, self.loc, np.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df.data
        with np.errstate(divide="ignore", invalid="ignore"):    # (the branches not taken)
            finite = self.scale ** 2 * self.df / (self.df - 2)
        return where(df > 2, finite, np.where(df > 1, np.inf, np.nan).astype(df.dtype))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = noise("normal", shape, self._dtype())
        chi2 = standard_gamma(self.df * 0.5, shape) * 2
        return self.loc + self.scale * eps * (chi2 / self.df).rsqrt()

    def log_prob(self, value: Any) -> Tensor:
        y = (self._value("log_prob", value) - self.loc) / self.scale
        df = self.df
        half = df * 0.5
        norm = (self.scale.log() + 0.5 * df.log() + HALF_LOG_PI + half.lgamma()
                - (half + 0.5).lgamma())
        return -(half + 0.5) * (y ** 2 / df).log1p() - norm

    def entropy(self) -> Tensor:
        half = self.df * 0.5
        log_beta = half.lgamma() + HALF_LOG_PI - (half + 0.5).lgamma()   # ln B(df/2, 1/2)
        return (self.scale.log() + (half + 0.5) * ((half + 0.5).digamma() - half.digamma())
                + 0.5 * self.df.log() + log_beta)
