"""PyTorch's `torch.distributions` for what courses use: probability distributions whose
log_prob, entropy, KL divergences and reparameterised draws are made of Tensor ops, so
gradients reach their parameters (`import autograd as torch`, then
`torch.distributions.Normal(mu, sigma).log_prob(x)`). Draws come from glassgrad's generator
(numpy's; `autograd.manual_seed` seeds it), so their numbers differ from PyTorch's.

One file per family: `base.py` (`Distribution`), `constraints.py`, `normal.py`,
`bernoulli.py`, `categorical.py` (and `one_hot_categorical.py`), `uniform.py`,
`exponential.py`, `laplace.py`, `beta.py`, `multivariate_normal.py`, `independent.py`,
`mixture.py` (`MixtureSameFamily`), `kl.py` (`kl_divergence`, `register_kl`).

>>> import autograd as torch
>>> p, q = torch.distributions.Normal(0.0, 1.0), torch.distributions.Normal(1.0, 1.0)
>>> torch.distributions.kl_divergence(p, q).item()
0.5
"""

from __future__ import annotations

from . import constraints, kl
from .base import Distribution
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .exponential import Exponential
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .mixture import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = ["Distribution", "Normal", "Bernoulli", "Categorical", "OneHotCategorical", "Uniform",
           "Beta", "Exponential", "Laplace", "MultivariateNormal", "Independent",
           "MixtureSameFamily", "kl_divergence", "register_kl", "constraints", "kl"]


def __getattr__(name: str) -> object:
    # a name of torch.distributions that is not built here (Gamma, Dirichlet, transforms, ...)
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r}: PyTorch's torch.distributions.{name} "
        f"is not built in glassgrad; it has {', '.join(n for n in __all__ if n[0].isupper())}, "
        f"kl_divergence (with register_kl) and constraints")
