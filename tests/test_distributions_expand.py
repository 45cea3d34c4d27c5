"""Distribution.expand for every family: PyTorch's batch_shape, event_shape and numbers
(log_prob, mean, variance, entropy) after expanding, in float32 and float64, draws of the new
shape, validate_args kept, and an error naming the shapes when they do not broadcast."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor
from autograd import distributions as D
from distributions_helpers import DTYPES, TOL
from torch_helpers import needs_torch, torch

RNG = np.random.default_rng(7)
P3 = RNG.uniform(0.1, 0.9, 3)
POS3 = RNG.uniform(0.5, 2.0, 3)
REAL3 = RNG.normal(size=3)
ROWS = RNG.dirichlet(np.ones(4), 3)                 # 3 rows of 4 probabilities
TRIL = np.tril(RNG.normal(size=(3, 2, 2)), -1) + np.eye(2) * RNG.uniform(1, 2, (3, 2, 1))
VECTORS = RNG.normal(size=(3, 2))                   # a batch of 3 locations in 2-d
MEANS = RNG.normal(size=(3, 4))                     # 4 components' means, for 3 mixtures


def _t(lib, a, dtype):
    return Tensor(np.asarray(a, dtype)) if lib is D else torch.tensor(np.array(a, dtype))


#: name: (build(lib, dtype, t) with t making an array a tensor of lib, values of shape
#: (2, 3) + event_shape inside the support); every family's batch_shape is (3,)
FAMILIES = {
    "Normal": (lambda L, t: L.Normal(t(REAL3), t(POS3)), RNG.normal(size=(2, 3))),
    "Bernoulli": (lambda L, t: L.Bernoulli(probs=t(P3)), RNG.integers(0, 2, (2, 3))),
    "Categorical": (lambda L, t: L.Categorical(probs=t(ROWS)), RNG.integers(0, 4, (2, 3))),
    "OneHotCategorical": (lambda L, t: L.OneHotCategorical(logits=t(np.log(ROWS))),
                          np.eye(4)[RNG.integers(0, 4, (2, 3))]),
    "Uniform": (lambda L, t: L.Uniform(t(-POS3), t(POS3)), RNG.uniform(-0.4, 0.4, (2, 3))),
    "Beta": (lambda L, t: L.Beta(t(POS3), t(POS3[::-1])), RNG.uniform(0.1, 0.9, (2, 3))),
    "Exponential": (lambda L, t: L.Exponential(t(POS3)), RNG.uniform(0.1, 3, (2, 3))),
    "Laplace": (lambda L, t: L.Laplace(t(REAL3), t(POS3)), RNG.normal(size=(2, 3))),
    "Gamma": (lambda L, t: L.Gamma(t(POS3), t(POS3[::-1])), RNG.uniform(0.1, 3, (2, 3))),
    "Chi2": (lambda L, t: L.Chi2(t(POS3 + 1)), RNG.uniform(0.1, 3, (2, 3))),
    "Dirichlet": (lambda L, t: L.Dirichlet(t(ROWS * 5)), RNG.dirichlet(np.ones(4), (2, 3))),
    "StudentT": (lambda L, t: L.StudentT(t(POS3 + 2), t(REAL3), t(POS3)),
                 RNG.normal(size=(2, 3))),
    "Poisson": (lambda L, t: L.Poisson(t(POS3)), RNG.integers(0, 5, (2, 3))),
    "Binomial": (lambda L, t: L.Binomial(t([4.0, 4.0, 4.0]), probs=t(P3)),
                 RNG.integers(0, 5, (2, 3))),
    "Geometric": (lambda L, t: L.Geometric(logits=t(REAL3)), RNG.integers(0, 5, (2, 3))),
    "NegativeBinomial": (lambda L, t: L.NegativeBinomial(t(POS3), probs=t(P3)),
                         RNG.integers(0, 5, (2, 3))),
    "Multinomial": (lambda L, t: L.Multinomial(5, probs=t(ROWS)),
                    RNG.multinomial(5, [0.25] * 4, (2, 3))),
    "MultivariateNormal": (lambda L, t: L.MultivariateNormal(t(VECTORS),
                                                             scale_tril=t(TRIL)),
                           RNG.normal(size=(2, 3, 2))),
    "LowRankMultivariateNormal": (lambda L, t: L.LowRankMultivariateNormal(
        t(np.zeros((3, 2))), t(np.ones((3, 2, 1))), t(np.ones((3, 2)) * POS3[:, None])),
        RNG.normal(size=(2, 3, 2))),
    "Independent": (lambda L, t: L.Independent(L.Normal(t(VECTORS), 1.0), 1),
                    RNG.normal(size=(2, 3, 2))),
    "MixtureSameFamily": (lambda L, t: L.MixtureSameFamily(
        L.Categorical(probs=t(ROWS)), L.Normal(t(MEANS), t(np.ones((3, 4))))),
        RNG.normal(size=(2, 3))),
    "TransformedDistribution": (lambda L, t: L.TransformedDistribution(
        L.Normal(t(np.zeros(())), t(np.ones(()))),
        [L.transforms.AffineTransform(t(REAL3), t(POS3))]), RNG.normal(size=(2, 3))),
    "LogNormal": (lambda L, t: L.LogNormal(t(REAL3), t(POS3)), RNG.uniform(0.1, 3, (2, 3))),
    "Gumbel": (lambda L, t: L.Gumbel(t(REAL3), t(POS3)), RNG.normal(size=(2, 3))),
    "HalfNormal": (lambda L, t: L.HalfNormal(t(POS3)), RNG.uniform(0.1, 3, (2, 3))),
    "HalfCauchy": (lambda L, t: L.HalfCauchy(t(POS3)), RNG.uniform(0.1, 3, (2, 3))),
    "Cauchy": (lambda L, t: L.Cauchy(t(REAL3), t(POS3)), RNG.normal(size=(2, 3))),
    "LogisticNormal": (lambda L, t: L.LogisticNormal(t(VECTORS), t(np.ones(2))),
                       RNG.dirichlet(np.ones(3), (2, 3))),
    "RelaxedBernoulli": (lambda L, t: L.RelaxedBernoulli(t(0.7), probs=t(P3)),
                         RNG.uniform(0.1, 0.9, (2, 3))),
    "LogitRelaxedBernoulli": (lambda L, t: _relaxed(L).LogitRelaxedBernoulli(
        t(0.7), logits=t(REAL3)), RNG.normal(size=(2, 3))),
    "RelaxedOneHotCategorical": (lambda L, t: L.RelaxedOneHotCategorical(
        t(0.6), probs=t(ROWS)), RNG.dirichlet(np.ones(4), (2, 3))),
    "ExpRelaxedCategorical": (lambda L, t: _relaxed(L).ExpRelaxedCategorical(
        t(0.6), logits=t(np.log(ROWS))), np.log(RNG.dirichlet(np.ones(4), (2, 3)))),
}


def _relaxed(lib):
    """Where each library keeps LogitRelaxedBernoulli and ExpRelaxedCategorical."""
    if lib is D:
        return D
    return type("both", (), {"LogitRelaxedBernoulli":
                             torch.distributions.relaxed_bernoulli.LogitRelaxedBernoulli,
                             "ExpRelaxedCategorical":
                             torch.distributions.relaxed_categorical.ExpRelaxedCategorical})


def test_every_family_is_in_the_table():
    families = {n for n in D.__all__ if n[0].isupper() and not n.endswith("Transform")
                and n != "Distribution"}
    assert families == set(FAMILIES)


def _same(got, expected, dtype, what):
    expected = expected.detach().numpy()
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    np.testing.assert_allclose(got.numpy(), expected, err_msg=what, **TOL[dtype])


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FAMILIES)
def test_expand_gives_pytorchs_shapes_and_numbers(name, dtype):
    build, values = FAMILIES[name]
    a = build(D, lambda x: _t(D, x, dtype)).expand((2, 3))
    b = build(torch.distributions, lambda x: _t(torch, x, dtype)).expand((2, 3))
    assert (a.batch_shape, a.event_shape) == (tuple(b.batch_shape), tuple(b.event_shape))
    x = np.asarray(values, dtype if "Categorical" != name else np.int64)
    _same(a.log_prob(Tensor(x)), b.log_prob(torch.tensor(x)), dtype, "log_prob")
    whole = build(torch.distributions, lambda x: _t(torch, x, dtype))
    for method in ("mean", "variance", "entropy"):
        try:
            expected = getattr(b if name != "Multinomial" else whole, method)
            expected = expected() if callable(expected) else expected
        except NotImplementedError:
            continue
        # (PyTorch 2.13's expanded Multinomial has no entropy: its _binomial is not made)
        expected = expected.expand(a.batch_shape + a.event_shape * (method != "entropy"))
        got = getattr(a, method)
        # (PyTorch takes Multinomial's ln n! in float32, whatever the dtype: its tolerance)
        loose = np.float32 if (name, method) == ("Multinomial", "entropy") else dtype
        _same(got() if callable(got) else got, expected, loose, method)
    draws = a.sample((5,))
    assert draws.shape == (5, 2, 3) + a.event_shape


@pytest.mark.parametrize("name", FAMILIES)
def test_expand_keeps_validate_args_and_does_not_touch_the_original(name):
    build, values = FAMILIES[name]
    d = build(D, lambda x: Tensor(np.asarray(x, np.float64)))
    wide = d.expand([4, 1, 3])
    assert wide.batch_shape == (4, 1, 3) and wide.event_shape == d.event_shape
    assert d.batch_shape == (3,) and type(wide) is type(d)
    assert wide._validate_args is d._validate_args is True
    assert wide.log_prob(Tensor(np.asarray(values[0]))).shape == (4, 1, 3)
    assert d.expand((3,)).batch_shape == (3,)
    unchecked = build(D, lambda x: Tensor(np.asarray(x, np.float64)))
    unchecked._validate_args = False
    assert unchecked.expand((2, 3))._validate_args is False


@pytest.mark.parametrize("shape", [(4,), (3, 2), (2, 0)])
def test_expand_to_a_shape_the_batch_does_not_broadcast_to_says_both(shape):
    with pytest.raises(ValueError, match=rf"^Normal.expand: batch_shape \(3,\) does not "
                                         rf"broadcast to \({shape[0]}, ?"):
        D.Normal(Tensor(REAL3), 1.0).expand(shape)
    with pytest.raises(ValueError, match=r"batch_shape must not hold negative sizes"):
        D.Normal(Tensor(REAL3), 1.0).expand((2, -1))
    with pytest.raises(TypeError, match=r"^Normal.expand: batch_shape must be a tuple of ints"):
        D.Normal(Tensor(REAL3), 1.0).expand("3")


def test_a_pyro_style_expand_then_independent():
    """Pyro's `Normal(mu, sigma).expand([n]).to_event(1)` is Independent(..., 1) here."""
    d = D.Independent(D.Normal(0.0, 1.0).expand([5]), 1)
    assert (d.batch_shape, d.event_shape) == ((), (5,))
    assert not hasattr(d, "to_event")
    assert abs(d.log_prob(Tensor(np.zeros(5, np.float32))).item()
               - 5 * D.Normal(0.0, 1.0).log_prob(0.0).item()) < 1e-5
