"""autograd.distributions.TransformedDistribution and the families built on transforms
(LogNormal, Gumbel, HalfNormal, HalfCauchy, Cauchy, LogisticNormal): PyTorch's numbers and
shapes in float32 and float64 with broadcast, 0-d and batch-1 parameters; gradients of
log_prob, cdf, icdf, rsample (fixed noise) and KL by central differences; draws' statistics
from 20,000 seeded draws; KL pairs; a tanh-squashed Normal policy at actions near ±1."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd import distributions as D
from autograd.distributions import transforms as T
from distributions_helpers import (DTYPES, assert_draws_match, assert_same,
                                   check_gradients, ours, theirs)
from torch_helpers import needs_torch, torch

RNG = np.random.default_rng(0)
#: name, parameters, values for log_prob and cdf, the moments PyTorch has
FAMILIES = [
    ("LogNormal", dict(loc=RNG.normal(size=(3, 1)), scale=RNG.uniform(0.3, 1.5, 4)),
     RNG.uniform(0.1, 5, (2, 3, 4)), ("mean", "variance", "stddev", "mode", "entropy")),
    ("LogNormal", dict(loc=np.array(0.4), scale=np.array(0.7)), RNG.uniform(0.1, 5, 5),
     ("mean", "variance", "entropy")),
    ("Gumbel", dict(loc=RNG.normal(size=(2, 3)), scale=RNG.uniform(0.5, 2, 3)),
     RNG.normal(0, 2, (2, 3)), ("mean", "variance", "stddev", "mode", "entropy")),
    ("Gumbel", dict(loc=np.array([0.5]), scale=np.array([1.5])), RNG.normal(0, 2, (4, 1)),
     ("mean", "variance", "entropy")),
    ("HalfNormal", dict(scale=RNG.uniform(0.5, 2, (2, 3))), RNG.uniform(0, 3, (2, 3)),
     ("mean", "variance", "mode", "entropy")),
    ("HalfNormal", dict(scale=np.array(1.3)), RNG.uniform(0, 3, 4), ("mean", "entropy")),
    ("HalfCauchy", dict(scale=RNG.uniform(0.5, 2, 3)), RNG.uniform(0, 5, (2, 3)),
     ("mean", "variance", "mode", "entropy")),
    ("Cauchy", dict(loc=RNG.normal(size=(3, 1)), scale=RNG.uniform(0.5, 2, 2)),
     RNG.normal(0, 3, (3, 2)), ("mean", "variance", "mode", "entropy")),
    ("Cauchy", dict(loc=np.array(0.2), scale=np.array(0.9)), RNG.normal(0, 3, 6),
     ("entropy",)),
    ("LogisticNormal", dict(loc=RNG.normal(size=(2, 3)), scale=RNG.uniform(0.5, 2, 3)),
     RNG.dirichlet(np.ones(4), (5, 2)), ()),
    ("LogisticNormal", dict(loc=np.array(0.3), scale=np.array(1.2)),
     RNG.dirichlet(np.ones(2), 3), ()),
]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, params, values, moments", FAMILIES,
                         ids=[f"{f[0]}-{i}" for i, f in enumerate(FAMILIES)])
def test_numbers_and_shapes_are_pytorchs(name, params, values, moments, dtype):
    a, b = ours(name, dtype, **params), theirs(name, dtype, **params)
    assert (a.batch_shape, a.event_shape) == (tuple(b.batch_shape), tuple(b.event_shape))
    for m in moments:
        got = getattr(a, m)() if m == "entropy" else getattr(a, m)
        expected = getattr(b, m)() if m == "entropy" else getattr(b, m)
        assert_same(got, expected, dtype, m)
    x = np.asarray(values, dtype)
    assert_same(a.log_prob(Tensor(x)), b.log_prob(torch.tensor(x)), dtype, "log_prob")
    if name != "LogisticNormal":
        assert_same(a.cdf(Tensor(x)), b.cdf(torch.tensor(x)), dtype, "cdf")
        p = np.asarray(RNG.uniform(0.02, 0.98, a.batch_shape or (3,)), dtype)
        assert_same(a.icdf(Tensor(p)), b.icdf(torch.tensor(p)), dtype, "icdf")
    assert a.sample((7,)).shape == (7,) + a.batch_shape + a.event_shape
    assert a.sample().dtype == dtype and a.has_rsample


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_transformed_distributions_of_several_transforms_are_pytorchs(dtype):
    rng = np.random.default_rng(1)
    loc, scale = rng.normal(size=(2, 3)), rng.uniform(0.5, 1.5, (2, 3))
    shift = rng.normal(size=3)

    def both(make):
        a = make(D, T, lambda v: Tensor(np.asarray(v, dtype)))
        b = make(torch.distributions, torch.distributions.transforms,
                 lambda v: torch.tensor(np.asarray(v, dtype)))
        assert (a.batch_shape, a.event_shape) == (tuple(b.batch_shape), tuple(b.event_shape))
        return a, b
    # decreasing: exp then a negative scale (cdf flipped)
    a, b = both(lambda d, t, c: d.TransformedDistribution(
        d.Normal(c(loc), c(scale)), [t.ExpTransform(), t.AffineTransform(c(shift), -2.0)]))
    x = np.asarray(rng.uniform(-5, 0, (4, 2, 3)) + shift, dtype)
    assert_same(a.log_prob(Tensor(x)), b.log_prob(torch.tensor(x)), dtype, "log_prob")
    assert_same(a.cdf(Tensor(x)), b.cdf(torch.tensor(x)), dtype, "cdf")
    p = np.asarray(rng.uniform(0.05, 0.95, (2, 3)), dtype)
    assert_same(a.icdf(Tensor(p)), b.icdf(torch.tensor(p)), dtype, "icdf")
    # a batch of numbers made vectors: the last batch axis becomes the event's
    a, b = both(lambda d, t, c: d.TransformedDistribution(
        d.Normal(c(loc), c(scale)), [t.AffineTransform(0.5, 1.5), t.StickBreakingTransform()]))
    assert a.batch_shape == (2,) and a.event_shape == (4,)
    y = np.asarray(rng.dirichlet(np.ones(4), (5, 2)), dtype)
    assert_same(a.log_prob(Tensor(y)), b.log_prob(torch.tensor(y)), dtype, "log_prob")
    # events of the base reshaped
    a, b = both(lambda d, t, c: d.TransformedDistribution(
        d.Independent(d.Normal(c(loc), c(scale)), 1), [t.ReshapeTransform((3,), (3, 1)),
                                                       t.ExpTransform()]))
    assert a.event_shape == (3, 1)
    z = np.asarray(rng.uniform(0.2, 3, (2, 3, 1)), dtype)
    assert_same(a.log_prob(Tensor(z)), b.log_prob(torch.tensor(z)), dtype, "log_prob")
    # a transform whose parameters add a batch axis in front
    a, b = both(lambda d, t, c: d.TransformedDistribution(
        d.Normal(c(loc[0]), c(scale[0])), [t.AffineTransform(c(loc), 2.0)]))
    assert a.batch_shape == (2, 3) and a.sample((5,)).shape == (5, 2, 3)
    w = np.asarray(rng.normal(size=(4, 2, 3)), dtype)
    assert_same(a.log_prob(Tensor(w)), b.log_prob(torch.tensor(w)), dtype, "log_prob")


def test_gradients_by_central_differences():
    rng = np.random.default_rng(2)
    m, s = rng.normal(size=3), rng.uniform(0.5, 1.5, 3)
    pos, real, p = rng.uniform(0.3, 3, (2, 3)), rng.normal(size=(2, 3)), rng.uniform(0.1, 0.9, 3)
    for family in (D.LogNormal, D.Gumbel, D.Cauchy):
        x = pos if family is D.LogNormal else real
        check_gradients(lambda a, b, v: family(a, b).log_prob(v).sum(), m, s, x)
        check_gradients(lambda a, b, v: family(a, b).cdf(v).sum(), m, s, x)
        check_gradients(lambda a, b, q: family(a, b).icdf(q).sum(), m, s, p)
        check_gradients(lambda a, b: family(a, b).entropy().sum(), m, s)
    for family in (D.HalfNormal, D.HalfCauchy):
        check_gradients(lambda b, v: family(b).log_prob(v).sum(), s, pos)
        check_gradients(lambda b, v: family(b).cdf(v).sum(), s, pos)
        check_gradients(lambda b, q: family(b).icdf(q).sum(), s, p)
    y = rng.dirichlet(np.ones(4), 2)
    # (unchecked: the differences step off the simplex; the inverse reads the first K - 1)
    check_gradients(lambda a, b, v: D.LogisticNormal(a, b, validate_args=False).log_prob(v)
                    .sum(), m, s, y)
    check_gradients(lambda a, b: D.LogNormal(a, b).mean.sum() + D.LogNormal(a, b).variance.sum(),
                    m, s)


@pytest.mark.parametrize("family", ["LogNormal", "Gumbel", "Cauchy", "HalfNormal",
                                    "HalfCauchy", "LogisticNormal"])
def test_rsample_passes_gradients_through_fixed_noise(family):
    rng = np.random.default_rng(3)
    m, s = rng.normal(size=3), rng.uniform(0.5, 1.5, 3)

    def drawn(*params):
        autograd.manual_seed(11)
        return (getattr(D, family)(*params).rsample((4,)) ** 2).sum()
    if family.startswith("Half"):
        check_gradients(drawn, s)
    else:
        check_gradients(drawn, m, s)


def test_draws_statistics():
    autograd.manual_seed(0)
    n = 20000
    loc, scale = Tensor(np.array([-0.5, 0.3])), Tensor(np.array([0.4, 0.8]))
    d = D.LogNormal(loc, scale)
    assert_draws_match(d.sample((n,)).numpy(), d.mean.numpy(), d.variance.numpy())
    d = D.Gumbel(loc, scale)
    assert_draws_match(d.sample((n,)).numpy(), d.mean.numpy(), d.variance.numpy())
    d = D.HalfNormal(scale)
    assert_draws_match(d.sample((n,)).numpy(), d.mean.numpy(), d.variance.numpy())
    # no moments: the fraction of draws below a quantile, a Bernoulli(q)
    for d in (D.Cauchy(loc, scale), D.HalfCauchy(scale)):
        x = d.sample((n,)).numpy()
        for q in (0.25, 0.5, 0.9):
            below = (x <= d.icdf(Tensor(np.full(2, q))).numpy()).astype(float)
            assert_draws_match(below, [q, q], [q * (1 - q)] * 2)
    # stick-breaking: the first piece's logit + ln(K - 1) is the first Normal
    d = D.LogisticNormal(Tensor(np.array([0.5, -1.0, 0.2])), Tensor(np.array([0.7, 1.0, 1.3])))
    y = d.sample((n,)).numpy()
    first = np.log(y[:, 0]) - np.log1p(-y[:, 0]) + np.log(3)
    assert_draws_match(first, 0.5, 0.49)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)
    with pytest.raises(AssertionError):
        assert_draws_match(first, 0.55, 0.49)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_pairs_are_pytorchs(dtype):
    rng = np.random.default_rng(4)
    pairs = [("LogNormal", dict(loc=rng.normal(size=(2, 3)), scale=rng.uniform(0.3, 2, (2, 3))),
              dict(loc=rng.normal(size=3), scale=rng.uniform(0.3, 2, 3))),
             ("HalfNormal", dict(scale=rng.uniform(0.3, 2, 3)), dict(scale=np.array(1.1))),
             ("Gumbel", dict(loc=rng.normal(size=3), scale=rng.uniform(0.5, 2, 3)),
              dict(loc=rng.normal(size=3), scale=rng.uniform(0.5, 2, 3))),
             ("LogisticNormal", dict(loc=rng.normal(size=(2, 3)), scale=rng.uniform(0.5, 2, 3)),
              dict(loc=rng.normal(size=3), scale=rng.uniform(0.5, 2, 3)))]
    for name, p, q in pairs:
        got = D.kl_divergence(ours(name, dtype, **p), ours(name, dtype, **q))
        expected = torch.distributions.kl_divergence(theirs(name, dtype, **p),
                                                     theirs(name, dtype, **q))
        assert_same(got, expected, dtype, name)
    # Cauchy: PyTorch 2.13 has no pair; the closed form against a quadrature
    p, q = D.Cauchy(Tensor(np.array(0.3)), Tensor(np.array(0.8))), \
        D.Cauchy(Tensor(np.array(-1.0)), Tensor(np.array(2.0)))
    x = np.tan(np.linspace(-math.pi / 2, math.pi / 2, 400001)[1:-1])
    lp, lq = p.log_prob(Tensor(x)).numpy(), q.log_prob(Tensor(x)).numpy()
    trapezoid = getattr(np, "trapezoid", None) or np.trapz          # numpy 2 or 1.24
    integral = trapezoid(np.exp(lp) * (lp - lq), x)
    assert D.kl_divergence(p, q).item() == pytest.approx(integral, rel=1e-4)


def test_kl_gradients_and_what_has_no_formula():
    rng = np.random.default_rng(5)
    a, b, c, e = (rng.normal(size=3), rng.uniform(0.5, 2, 3), rng.normal(size=3),
                  rng.uniform(0.5, 2, 3))
    for family in (D.LogNormal, D.Gumbel, D.Cauchy):
        check_gradients(lambda w, x, y, z: D.kl_divergence(family(w, x), family(y, z)).sum(),
                        a, b, c, e)
    check_gradients(lambda x, z: D.kl_divergence(D.HalfNormal(x), D.HalfNormal(z)).sum(), b, e)
    p = D.TransformedDistribution(D.Normal(0.0, 1.0), [T.ExpTransform()])
    q = D.TransformedDistribution(D.Normal(0.0, 1.0), [T.SoftplusTransform()])
    with pytest.raises(NotImplementedError, match=r"kl_divergence: TransformedDistribution and "
                                                  r"TransformedDistribution transform their "
                                                  r"bases by different transforms"):
        D.kl_divergence(p, q)
    assert D.kl_divergence(p, D.LogNormal(0.0, 1.0)).item() == 0.0


def test_tanh_squashed_policy_at_actions_near_the_bounds():
    # SAC's policy: a = tanh(u), u ~ N(mu, sigma); log π(a) = log N(u) - Σ log(1 - tanh² u)
    mu = Tensor(np.array([0.0, 3.0, 9.0, -12.0], np.float32), requires_grad=True)
    log_std = Tensor(np.array([0.0, -1.0, -2.0, -3.0], np.float32), requires_grad=True)
    autograd.manual_seed(1)
    base = D.Normal(mu, log_std.exp())
    policy = D.TransformedDistribution(base, [T.TanhTransform(cache_size=1)])
    action = policy.rsample()
    assert np.abs(action.numpy()[2:]).max() == 1.0          # rounded onto the bounds
    log_pi = policy.log_prob(action)
    assert np.all(np.isfinite(log_pi.numpy()))
    u = policy.transforms[0].inv(action)                     # the cached pre-image
    expected = base.log_prob(u).numpy() - 2 * (math.log(2) - u.numpy()
                                               - np.logaddexp(0, -2 * u.numpy()))
    np.testing.assert_allclose(log_pi.numpy(), expected, rtol=1e-6)
    log_pi.sum().backward()
    assert np.all(np.isfinite(mu.grad)) and np.all(np.isfinite(log_std.grad))
    # float64 actions within 1e-9 of ±1, no cache: the inverse computed, PyTorch's numbers
    a = np.array([1 - 1e-9, -(1 - 1e-9), 0.999, 0.0])
    d = D.TransformedDistribution(D.Normal(Tensor(np.zeros(4)), Tensor(np.full(4, 2.0))),
                                  T.TanhTransform())
    got = d.log_prob(Tensor(a)).numpy()
    if torch is not None:
        t = torch.distributions.TransformedDistribution(
            torch.distributions.Normal(torch.zeros(4, dtype=torch.float64), 2.0),
            torch.distributions.transforms.TanhTransform())
        np.testing.assert_allclose(got, t.log_prob(torch.tensor(a)).numpy(), rtol=1e-9)
    # gradients through rsample and log_prob together (the SAC actor's loss), fixed noise

    def actor_loss(m, s):
        autograd.manual_seed(2)
        pi = D.TransformedDistribution(D.Normal(m, s), [T.TanhTransform(cache_size=1)])
        act = pi.rsample((3,))
        return (pi.log_prob(act) - act ** 2).sum()
    check_gradients(actor_loss, np.array([0.5, 2.5, 6.0]), np.array([0.3, 0.5, 0.2]))


def test_errors_and_repr():
    with pytest.raises(ValueError, match=r"^LogNormal: scale must be positive|^Normal: scale"):
        D.LogNormal(0.0, -1.0)
    with pytest.raises(ValueError, match=r"TransformedDistribution\.log_prob: value must be "
                                         r"positive"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), T.ExpTransform()).log_prob(-1.0)
    with pytest.raises(ValueError, match=r"^LogNormal\.log_prob: value must be positive"):
        D.LogNormal(0.0, 1.0).log_prob(Tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match=r"TransformedDistribution: transforms must be a "
                                        r"Transform or a list of Transforms"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), np.exp)
    with pytest.raises(ValueError, match=r"TransformedDistribution: the transforms act on "
                                         r"events of 1 axes, but the base's draws have shape "
                                         r"\(\)"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), T.StickBreakingTransform())
    assert repr(D.LogNormal(0.0, 1.0)) == "LogNormal(loc: 0.0, scale: 1.0)"
    assert repr(D.TransformedDistribution(D.Normal(0.0, 1.0), T.ExpTransform())) == \
        "TransformedDistribution(Normal(loc: 0.0, scale: 1.0), [ExpTransform()])"
    assert D.HalfNormal(1.0, validate_args=False).log_prob(-0.5).item() == -math.inf
