"""Gradients through an expanded distribution (Distribution.expand broadcasts the parameters
in the graph): log_prob's and rsample's (with the noise fixed by a seed) against central
differences in float64, for families of each kind (parameters kept as they are, a lazy
parameter, a distribution made of others, transforms)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd import distributions as D
from distributions_helpers import check_gradients

RNG = np.random.default_rng(11)
X = RNG.normal(size=(4, 2, 3))                      # values for a batch expanded to (2, 3)
VECTORS = RNG.normal(size=(4, 2, 3, 2))             # and for one over vectors of 2
SHARES = RNG.dirichlet(np.ones(4), (2, 3))          # and for one over the 4-simplex


def drawn(make):
    """rsample of the expanded distribution, the noise the same at every call."""
    def f(*params):
        autograd.manual_seed(5)
        return make(*params).rsample((4,))
    return f


@pytest.mark.parametrize("f, arrays", [
    (lambda loc, scale: D.Normal(loc, scale).expand((2, 3)).log_prob(Tensor(X)),
     [RNG.normal(size=3), RNG.uniform(0.5, 2, 3)]),
    (drawn(lambda loc, scale: D.Normal(loc, scale).expand((2, 3))),
     [RNG.normal(size=(1, 3)), RNG.uniform(0.5, 2, 3)]),
    (lambda logits: D.Bernoulli(logits=logits).expand((2, 3)).log_prob(Tensor(X > 0)),
     [RNG.normal(size=3)]),
    (lambda probs: D.Binomial(5, probs=probs).expand((2, 3)).log_prob(
        Tensor(np.abs(X[0]).round())), [RNG.uniform(0.2, 0.8, 3)]),
    (lambda logits: D.Categorical(logits=logits).expand((2, 3)).log_prob(
        Tensor(np.arange(6).reshape(2, 3) % 4)), [RNG.normal(size=(3, 4))]),
    (lambda a: D.Dirichlet(a).expand((2, 3)).log_prob(Tensor(SHARES)),
     [RNG.uniform(0.5, 3, (3, 4))]),
    (lambda loc, scale: D.Gamma(scale, loc.exp()).expand((2, 3)).log_prob(Tensor(X ** 2 + 0.1)),
     [RNG.normal(size=3), RNG.uniform(0.5, 2, 3)]),
    (lambda loc, tril: D.MultivariateNormal(loc, scale_tril=tril.tril()).expand((2, 3)).log_prob(
        Tensor(VECTORS)), [RNG.normal(size=(3, 2)), np.array([[1.5, 0.0], [0.3, 0.8]])]),
    (drawn(lambda loc, tril: D.MultivariateNormal(loc, scale_tril=tril.tril()).expand((2, 3))),
     [RNG.normal(size=(3, 2)), np.array([[1.5, 0.0], [0.3, 0.8]])]),
    (drawn(lambda loc, w, d: D.LowRankMultivariateNormal(loc, w, d).expand((2, 3))),
     [RNG.normal(size=2), RNG.normal(size=(2, 1)), RNG.uniform(0.5, 2, 2)]),
    (lambda loc: D.Independent(D.Normal(loc, 1.0), 1).expand((2,)).log_prob(Tensor(X)),
     [RNG.normal(size=3)]),
    (lambda logits, means: D.MixtureSameFamily(
        D.Categorical(logits=logits), D.Normal(means, 1.0)).expand((2, 3)).log_prob(
        Tensor(X[0])), [RNG.normal(size=4), RNG.normal(size=4)]),
    (drawn(lambda loc, scale: D.Gumbel(loc, scale).expand((2, 3))),
     [RNG.normal(size=3), RNG.uniform(0.5, 2, 3)]),
    (lambda loc, scale: D.LogNormal(loc, scale).expand((2, 3)).log_prob(Tensor(np.exp(X))),
     [RNG.normal(size=3), RNG.uniform(0.5, 2, 3)]),
    (drawn(lambda t, logits: D.RelaxedOneHotCategorical(t, logits=logits).expand((2, 3))),
     [np.array(0.7), RNG.normal(size=(3, 4))]),
])
def test_gradients_through_expand_match_central_differences(f, arrays):
    check_gradients(f, *arrays)


def test_a_gradient_through_expand_sums_over_the_new_axes():
    loc = Tensor(np.array([0.5, -0.5]), requires_grad=True)
    D.Normal(loc, 1.0).expand((3, 2)).log_prob(Tensor(np.zeros((3, 2)))).sum().backward()
    np.testing.assert_allclose(loc.grad, 3 * -loc.data)       # (x - loc) / 1, three times
