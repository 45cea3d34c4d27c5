"""PyTorch's `torch.distributions` for what courses use: probability distributions whose
log_prob, entropy, KL divergences and reparameterised draws are made of Tensor ops, so
gradients reach their parameters (`import autograd as torch`, then
`torch.distributions.Normal(mu, sigma).log_prob(x)`). Draws come from glassgrad's generator
(numpy's; `autograd.manual_seed` seeds it), so their numbers differ from PyTorch's.

One file per family: `base.py` (`Distribution`: shapes, draws, `expand`, the checks),
`probs_or_logits.py` (the probs/logits pair of the coin families), `constraints.py`, `normal.py`,
`bernoulli.py`, `categorical.py` (and `one_hot_categorical.py`), `uniform.py`,
`exponential.py`, `laplace.py`, `beta.py`, `gamma.py` (`Gamma`, `Chi2`), `dirichlet.py`,
`studentt.py`, the counts `poisson.py`, `binomial.py`, `geometric.py`,
`negative_binomial.py`, `multinomial.py`, `multivariate_normal.py`, `independent.py`,
`mixture.py` (`MixtureSameFamily`), `kl.py` (`kl_divergence`, `register_kl`; the gamma
family's and the counts' pairs in `kl_gamma.py`). Gamma, Chi2, Dirichlet, Beta and StudentT
draw with gradients by implicit reparameterisation (autograd/ops/incomplete_gamma.py).

Transforms and what is built on them: the package `transforms` (Exp, Affine, Sigmoid, Tanh,
Softplus, Power, Abs, Compose, Independent, Reshape, StickBreaking, Softmax, LowerCholesky;
also importable from here), `constraint_registry.py` (`biject_to`, `transform_to`),
`transformed_distribution.py` (`TransformedDistribution`), `log_normal.py`, `gumbel.py`,
`half_normal.py` (`HalfNormal`, `HalfCauchy`), `cauchy.py`, `logistic_normal.py`,
`relaxed_bernoulli.py` (`RelaxedBernoulli`, `LogitRelaxedBernoulli`),
`relaxed_categorical.py` (`RelaxedOneHotCategorical`, `ExpRelaxedCategorical`: the
Gumbel-softmax), `lowrank_multivariate_normal.py`.

>>> import autograd as torch
>>> p, q = torch.distributions.Normal(0.0, 1.0), torch.distributions.Normal(1.0, 1.0)
>>> torch.distributions.kl_divergence(p, q).item()
0.5
"""

from __future__ import annotations

from . import constraints, kl, transforms
from .base import Distribution
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .dirichlet import Dirichlet
from .exponential import Exponential
from .gamma import Chi2, Gamma
from .geometric import Geometric
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .mixture import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .poisson import Poisson
from .studentt import StudentT
from .uniform import Uniform
# transforms and the distributions built on them
from .cauchy import Cauchy
from .constraint_registry import biject_to, transform_to
from .gumbel import Gumbel
from .half_normal import HalfCauchy, HalfNormal
from .log_normal import LogNormal
from .logistic_normal import LogisticNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from .relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform,
                         IndependentTransform, LowerCholeskyTransform, PowerTransform,
                         ReshapeTransform, SigmoidTransform, SoftmaxTransform,
                         SoftplusTransform, StickBreakingTransform, TanhTransform, Transform,
                         identity_transform)

__all__ = ["Distribution", "Normal", "Bernoulli", "Categorical", "OneHotCategorical", "Uniform",
           "Beta", "Exponential", "Laplace", "Gamma", "Chi2", "Dirichlet", "StudentT",
           "Poisson", "Binomial", "Geometric", "NegativeBinomial", "Multinomial",
           "MultivariateNormal", "Independent", "MixtureSameFamily", "kl_divergence",
           "register_kl", "constraints", "kl",
           # transforms and the distributions built on them
           "TransformedDistribution", "LogNormal", "Gumbel", "HalfNormal", "HalfCauchy",
           "Cauchy", "LogisticNormal", "RelaxedBernoulli", "LogitRelaxedBernoulli",
           "RelaxedOneHotCategorical", "ExpRelaxedCategorical", "LowRankMultivariateNormal",
           "biject_to", "transform_to", "transforms", "Transform", "AbsTransform",
           "AffineTransform", "ComposeTransform", "ExpTransform", "IndependentTransform",
           "LowerCholeskyTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform",
           "SoftmaxTransform", "SoftplusTransform", "StickBreakingTransform", "TanhTransform",
           "identity_transform"]


def __getattr__(name: str) -> object:
    # a name of torch.distributions that is not built here (Wishart, VonMises, ...)
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    families = [n for n in __all__ if n[0].isupper() and not n.endswith("Transform")]
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r}: PyTorch's torch.distributions.{name} "
        f"is not built in glassgrad; it has {', '.join(families)}, kl_divergence (with "
        f"register_kl), constraints, biject_to, transform_to and transforms (the Transform "
        f"classes: {', '.join(n for n in __all__ if n.endswith('Transform') and n != 'Transform')})")
