"""kl_divergence(p, q) = E_p[ln p(x) - ln q(x)] in closed form, for the pairs of families that
have one here (PyTorch's `torch.distributions.kl.kl_divergence`); `register_kl` adds a pair.

>>> from autograd.distributions import Bernoulli, Normal, kl_divergence
>>> kl_divergence(Normal(0.0, 1.0), Normal(0.0, 1.0)).item()
0.0
>>> kl_divergence(Normal(0.0, 1.0), Bernoulli(probs=0.5))
Traceback (most recent call last):
NotImplementedError: kl_divergence: no closed form for Normal to Bernoulli here; ...
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .. import linalg
from ..tensor import Tensor, where
from .base import EULER_GAMMA, Distribution, on_diagonal
from .bernoulli import Bernoulli, softplus
from .categorical import Categorical
from .cauchy import Cauchy
from .gumbel import Gumbel
from .half_normal import HalfNormal
from .independent import Independent, sum_last
from .laplace import Laplace
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal, half_log_det, mahalanobis
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform

_FORMULAS: dict[tuple[type, type], Callable] = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """A decorator that makes `f(p, q)` the KL divergence of a `type_p` p to a `type_q` q
    (subclasses too, the most specific pair winning).

    >>> class Coin(Bernoulli): pass
    >>> @register_kl(Coin, Coin)
    ... def _kl_coins(p, q): return kl_divergence(Bernoulli(p.probs), Bernoulli(q.probs))
    >>> kl_divergence(Coin(probs=0.5), Coin(probs=0.5)).item()
    0.0
    """
    for kind in (type_p, type_q):
        if not (isinstance(kind, type) and issubclass(kind, Distribution)):
            raise TypeError(f"register_kl: expected Distribution subclasses, got {kind!r}")

    def register(f: Callable) -> Callable:
        _FORMULAS[type_p, type_q] = f
        return f
    return register


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p ‖ q) for each distribution of the (broadcast) batch: Normal, Categorical,
    OneHotCategorical, Bernoulli, Laplace, Uniform, MultivariateNormal and Independent pairs of
    the same family (and, from
    kl_gamma.py, Gamma, Beta, Dirichlet, Exponential, Poisson, Binomial, Geometric pairs and
    Exponential-Gamma); inf where p puts
    mass where q has none. Made of Tensor ops: gradients reach both p's and q's parameters.

    >>> from autograd.distributions import Categorical
    >>> p = Categorical(probs=Tensor([0.5, 0.5]))
    >>> round(kl_divergence(p, Categorical(probs=Tensor([0.9, 0.1]))).item(), 6)
    0.510826
    """
    matches = [(tp, tq) for tp, tq in _FORMULAS if isinstance(p, tp) and isinstance(q, tq)]
    if not matches:
        pairs = ", ".join(f"{a.__name__}-{b.__name__}" for a, b in _FORMULAS)
        raise NotImplementedError(
            f"kl_divergence: no closed form for {type(p).__name__} to {type(q).__name__} here; "
            f"the pairs are {pairs} (register_kl(P, Q) adds one; otherwise estimate it by "
            f"sampling: (p.log_prob(x) - q.log_prob(x)).mean(0) for x = p.rsample((n,)))")
    # the most specific pair: the one whose classes come first in p's and q's MROs
    mro_p, mro_q = type(p).__mro__, type(q).__mro__
    best = min(matches, key=lambda pair: (mro_p.index(pair[0]), mro_q.index(pair[1])))
    return _FORMULAS[best](p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    # ln(σq / σp) + (σp² + (μp - μq)²) / (2 σq²) - ½, as ½ (r + t - 1 - ln r), r = (σp/σq)²
    ratio = (p.scale / q.scale) ** 2
    shift = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (ratio + shift - 1 - ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    # p ln(p / q) + (1 - p) ln((1 - p) / (1 - q)), the logs as softplus of the logits:
    # ln p = -softplus(-l), ln(1 - p) = -softplus(l)
    ones = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    zeros = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    pp, qp = p.probs.data, q.probs.data
    ones = where(pp == 0, 0.0, where(qp == 0, math.inf, ones))
    zeros = where(pp == 1, 0.0, where(qp == 1, math.inf, zeros))
    return ones + zeros


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    terms = p.probs * (p.logits - q.logits)
    shape = np.broadcast_shapes(p.probs.shape, q.probs.shape)
    terms = where(np.broadcast_to(q.probs.data == 0, shape), math.inf, terms)
    terms = where(np.broadcast_to(p.probs.data == 0, shape), 0.0, terms)
    return terms.sum(-1)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: the two MultivariateNormals must have the same "
                         f"event_shape, got {p.event_shape} and {q.event_shape}")
    n = p.event_shape[0]
    # ½ [tr(Σq⁻¹ Σp) + (μq - μp)ᵀ Σq⁻¹ (μq - μp) - n] + ln √det Σq - ln √det Σp
    inner = linalg.solve_triangular(q.scale_tril, p.scale_tril, upper=False)
    trace = (inner ** 2).sum((-2, -1))
    return (0.5 * (trace + mahalanobis(q.scale_tril, q.loc - p.loc) - n)
            + half_log_det(q.scale_tril) - half_log_det(p.scale_tril))


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            f"kl_divergence: Independent distributions over {p.reinterpreted_batch_ndims} and "
            f"{q.reinterpreted_batch_ndims} reinterpreted axes have no formula here (as in "
            f"PyTorch): give both the same reinterpreted_batch_ndims")
    return sum_last(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


# -- Laplace, Uniform and OneHotCategorical pairs ---------------------------------------------

@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_one_hot_one_hot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    # the same categories, written one-hot
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Tensor:
    # E_p|x - μq| = d + bp e^{-d / bp} with d = |μp - μq|, so the KL is
    # ln(bq / bp) - 1 + (d + bp e^{-d / bp}) / bq
    ratio = p.scale / q.scale
    gap = (p.loc - q.loc).abs()
    return -ratio.log() - 1 + gap / q.scale + ratio * (-gap / p.scale).exp()


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    # ln(width q / width p) when p's interval lies inside q's, else inf (p has mass q lacks)
    kl = ((q.high - q.low) / (p.high - p.low)).log()
    outside = np.broadcast_to((q.low.data > p.low.data) | (q.high.data < p.high.data), kl.shape)
    return where(outside, math.inf, kl)


# -- transforms and the families built on them --------------------------------------------------

@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p: TransformedDistribution,
                                q: TransformedDistribution) -> Tensor:
    # a bijection changes neither density ratio nor expectation: the bases' KL (LogNormal,
    # LogisticNormal, ...), when both push their bases through equal transforms
    if p.transforms != q.transforms:
        raise NotImplementedError(
            f"kl_divergence: {type(p).__name__} and {type(q).__name__} transform their bases "
            f"by different transforms ({p.transforms} and {q.transforms}); the KL divergence "
            f"of TransformedDistributions is known here only for equal transforms")
    if p.event_shape != q.event_shape:
        raise NotImplementedError(f"kl_divergence: the event shapes differ, {p.event_shape} "
                                  f"and {q.event_shape}")
    extra = len(p.event_shape) - len(p.base_dist.event_shape)
    return sum_last(kl_divergence(p.base_dist, q.base_dist), max(extra, 0))


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Tensor:
    # both fold a Normal at 0 onto x >= 0: the densities' ratio is the Normals'
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    # E_p[ln p] = -ln βp - 1 - γ; E_p[(x - μq) / βq] = (μp - μq + βp γ) / βq and, x = μp + βp G,
    # E_p[e^{-(x - μq) / βq}] = e^{(μq - μp) / βq} Γ(1 + βp / βq)
    ratio = p.scale / q.scale
    shift = (p.loc - q.loc) / q.scale
    return (-ratio.log() - 1 - EULER_GAMMA + shift + ratio * EULER_GAMMA
            + ((1 + ratio).lgamma() - shift).exp())


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Cauchy, q: Cauchy) -> Tensor:
    # ln [((σp + σq)² + (μp - μq)²) / (4 σp σq)]
    return (((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2).log()
            - (4 * p.scale * q.scale).log())


def _gaussian_kl(p: Distribution, q: Distribution, trace: Tensor, log_det_p: Tensor,
                 log_det_q: Tensor, mahalanobis_q: Tensor) -> Tensor:
    """½ [tr(Σq⁻¹ Σp) + (μq - μp)ᵀ Σq⁻¹ (μq - μp) - n + ln det Σq - ln det Σp]."""
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: {type(p).__name__} and {type(q).__name__} must have "
                         f"the same event_shape, got {p.event_shape} and {q.event_shape}")
    n = p.event_shape[0]
    return 0.5 * (trace + mahalanobis_q - n + log_det_q - log_det_p)


def _trace_woodbury(q: LowRankMultivariateNormal, p_variance: Tensor,
                    p_roots: list[Tensor]) -> Tensor:
    """tr(Σq⁻¹ Σp) with Σq⁻¹ = Dq⁻¹ - Aᵀ A and Σp = Σ_k R_k R_kᵀ (its square roots given):
    Σ_i (Σp)_ii / Dq_i - Σ_k |A R_k|²."""
    a = q._woodbury_factor
    total = (p_variance / q.cov_diag).sum(-1)
    for root in p_roots:
        total = total - ((a @ root) ** 2).sum((-2, -1))
    return total


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p: LowRankMultivariateNormal, q: LowRankMultivariateNormal) -> Tensor:
    # Σp = Wp Wpᵀ + diag(Dp): its square roots Wp and √Dp on the diagonal
    roots = [p.cov_factor, on_diagonal(p.cov_diag.sqrt())]
    trace = _trace_woodbury(q, p.variance, roots)
    return _gaussian_kl(p, q, trace, p._log_det(), q._log_det(), q._mahalanobis(q.loc - p.loc))


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p: MultivariateNormal, q: LowRankMultivariateNormal) -> Tensor:
    trace = _trace_woodbury(q, p.variance, [p.scale_tril])
    return _gaussian_kl(p, q, trace, 2 * half_log_det(p.scale_tril), q._log_det(),
                        q._mahalanobis(q.loc - p.loc))


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p: LowRankMultivariateNormal, q: MultivariateNormal) -> Tensor:
    # tr(Σq⁻¹ Σp) = |Lq⁻¹ Wp|² + Σ_j Dp_j |Lq⁻¹ e_j|²
    lq = q.scale_tril
    on_w = linalg.solve_triangular(lq, p.cov_factor, upper=False)
    on_d = linalg.solve_triangular(lq, on_diagonal(p.cov_diag.sqrt()), upper=False)
    trace = (on_w ** 2).sum((-2, -1)) + (on_d ** 2).sum((-2, -1))
    return _gaussian_kl(p, q, trace, p._log_det(), 2 * half_log_det(lq),
                        mahalanobis(lq, q.loc - p.loc))


# -- the gamma family's and the counts' pairs (kl_gamma.py registers them when imported) ------
# (imported last: kl_gamma takes register_kl from here; the name is not kept)
from . import kl_gamma  # noqa: E402
del kl_gamma
