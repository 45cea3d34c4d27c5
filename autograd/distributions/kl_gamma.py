"""kl_divergence's closed forms for the gamma family and the counts (registered with
`register_kl` when kl.py imports this file): Gamma-Gamma, Beta-Beta, Dirichlet-Dirichlet,
Exponential-Exponential, Exponential-Gamma, Poisson-Poisson, Binomial-Binomial and
Geometric-Geometric. Each is made of Tensor ops, so gradients reach both sides' parameters.

>>> from autograd.distributions import Gamma, kl_divergence
>>> round(kl_divergence(Gamma(2.0, 1.0), Gamma(2.0, 2.0)).item(), 6)     # 2 ln ½ + 2
0.613706
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, where
from ..tensor_functions import stack
from .base import EULER_GAMMA
from .beta import Beta
from .bernoulli import softplus
from .binomial import Binomial
from .dirichlet import Dirichlet
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .kl import register_kl
from .poisson import Poisson


def _dirichlet_kl(a: Tensor, b: Tensor) -> Tensor:
    """KL(Dir(a) ‖ Dir(b)) along the last axis: ln Γ(Σa) - ln Γ(Σb) - Σ (ln Γ(a) - ln Γ(b))
    + Σ (a - b)(ψ(a) - ψ(Σa))."""
    total = a.sum(-1, keepdim=True)
    return ((a.sum(-1).lgamma() - b.sum(-1).lgamma()) - (a.lgamma() - b.lgamma()).sum(-1)
            + ((a - b) * (a.digamma() - total.digamma())).sum(-1))


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    # E_p[ln p - ln q] with E ln x = ψ(a) - ln r and E x = a / r
    ap, rp, aq, rq = p.concentration, p.rate, q.concentration, q.rate
    return (aq * (rp / rq).log() + aq.lgamma() - ap.lgamma() + (ap - aq) * ap.digamma()
            + (rq - rp) * ap / rp)


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    return _dirichlet_kl(_pair(p), _pair(q))


def _pair(d: Beta) -> Tensor:
    return stack([d.concentration1, d.concentration0], -1)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: the two Dirichlets must have the same event_shape, "
                         f"got {p.event_shape} and {q.event_shape}")
    return _dirichlet_kl(p.concentration, q.concentration)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Tensor:
    ratio = q.rate / p.rate
    return ratio - ratio.log() - 1


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p: Exponential, q: Gamma) -> Tensor:
    # -H(p) - E_p[ln q], p = Gamma(1, r): E ln x = -γ - ln r, E x = 1 / r
    r, a, b = p.rate, q.concentration, q.rate
    return (r.log() - 1 - a * b.log() + a.lgamma() + (a - 1) * (EULER_GAMMA + r.log())
            + b / r)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Tensor:
    # λp ln(λp / λq) - λp + λq: λq where λp = 0, inf where λq = 0 < λp. xlogy gives that inf
    # already; the where is for the gradient there: 0 for λp (the KL is inf for every λp > 0
    # when λq = 0), where xlogy's would be inf
    lp, lq = p.rate, q.rate
    shape = np.broadcast_shapes(lp.shape, lq.shape)
    with np.errstate(divide="ignore"):
        terms = lp.xlogy(lp) - lp.xlogy(lq) - lp + lq
    cut = np.broadcast_to((lq.data == 0) & (lp.data > 0), shape)
    return where(cut, math.inf, terms)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> Tensor:
    n, m = p.total_count.data, q.total_count.data
    if (n < m).any():
        raise NotImplementedError(
            "kl_divergence: Binomial to Binomial with a smaller total_count on p's side has no "
            "closed form here (as in PyTorch); it does with equal total_counts (and is inf "
            "where p's exceeds q's)")
    # n [p ln(p/q) + (1 - p) ln((1 - p)/(1 - q))], the logs as -softplus of the logits
    ones = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    zeros = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    kl = p.total_count * (ones + zeros)
    shape = np.broadcast_shapes(kl.shape, np.shape(m))
    return where(np.broadcast_to(n > m, shape), math.inf, kl)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> Tensor:
    # -H(p) - E_p[ln q] = -H(p) - (1/p - 1) ln(1 - q) - ln q, ln(1 - q) = -softplus(l_q)
    return (-p.entropy() + (p.probs.reciprocal() - 1) * softplus(q.logits)
            + softplus(-q.logits))
