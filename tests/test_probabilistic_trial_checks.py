"""The probabilistic ML trial, part two (part one: test_probabilistic_trial.py): RL-style
policies (SAC's tanh-squashed Gaussian, a Beta policy for bounded actions, a Categorical with
invalid actions masked) and the checks a student makes of `torch.distributions`: Monte Carlo
against closed-form KL, probabilities summing to 1, sample moments against `.mean` and
`.variance`, cdf(icdf(u)) = u, PyTorch's shapes, and errors that name the distribution. The
numbers the trial relies on are compared with live PyTorch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as torch
import nn

try:
    import torch as real_torch
except ImportError:
    real_torch = None

needs_torch = pytest.mark.skipif(real_torch is None, reason="optional cross-check against "
                                 "PyTorch: pip install torch")
dist = torch.distributions
T = dist.transforms


class SquashedPolicy(nn.Module):
    """SAC's actor: a Gaussian over u, the action tanh(u)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 32), nn.ReLU())
        self.mu, self.log_std = nn.Linear(32, 2), nn.Linear(32, 2)

    def forward(self, obs):
        h = self.body(obs)
        base = dist.Normal(self.mu(h), self.log_std(h).clamp(-5, 2).exp())
        pi = dist.TransformedDistribution(base, [T.TanhTransform(cache_size=1)])
        action = pi.rsample()
        return pi, base, action, pi.log_prob(action).sum(-1)


def test_sac_squashed_gaussian_policy():
    torch.manual_seed(0)
    obs = torch.tensor(np.random.default_rng(7).normal(size=(16, 5)).astype(np.float32))
    policy = SquashedPolicy()
    pi, base, action, log_p = policy(obs)
    # the change of variables by hand: ln N(u) - Σ ln(1 - tanh(u)²), u = atanh(a)
    u = T.TanhTransform().inv(action)
    by_hand = (base.log_prob(u) - (1 - action ** 2).log()).sum(-1)
    np.testing.assert_allclose(log_p.detach().numpy(), by_hand.detach().numpy(), rtol=1e-4,
                               atol=2e-4)
    # the cached pre-image gives the same log_prob as recomputing it from the action
    with torch.no_grad():
        again = pi.log_prob(action.detach().clone()).sum(-1)
    np.testing.assert_allclose(again.numpy(), log_p.detach().numpy(), atol=1e-4)
    # actions are in (-1, 1); entropy has no closed form, -log_prob of draws estimates it
    assert np.all(np.abs(action.detach().numpy()) < 1)
    with pytest.raises(NotImplementedError, match="TransformedDistribution.entropy"):
        pi.entropy()
    # a fake critic that wants a = 0.5, with SAC's entropy bonus: the policy learns it
    opt = nn.optim.Adam(policy.parameters(), lr=1e-3)
    for _ in range(200):
        _, _, action, log_p = policy(obs)
        loss = (0.1 * log_p + ((action - 0.5) ** 2).sum(-1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert np.all(np.abs(action.detach().numpy().mean(0) - 0.5) < 0.2)
    assert (-log_p).mean().item() < 0.5                  # narrower than at the start


def test_beta_policy_rsample_gradient_for_bounded_actions():
    """An action in [-2, 2] as 4x - 2, x ~ Beta(a, b): d/da and d/db of E[action²] by
    reparameterised draws against the exact E[(4x - 2)²] differentiated by central differences."""
    torch.manual_seed(0)
    conc = torch.tensor([2.0, 3.0], dtype=torch.float64, requires_grad=True)
    x = dist.Beta(conc[0], conc[1]).rsample((100_000,))
    ((4 * x - 2) ** 2).mean().backward()

    def exact(a, b):
        mean = a / (a + b)
        second = mean * (a + 1) / (a + b + 1)
        return 16 * second - 16 * mean + 4
    fd = [(exact(2 + 1e-6, 3) - exact(2 - 1e-6, 3)) / 2e-6,
          (exact(2, 3 + 1e-6) - exact(2, 3 - 1e-6)) / 2e-6]
    np.testing.assert_allclose(conc.grad, fd, rtol=0.05, atol=5e-3)
    # the same policy as an affine TransformedDistribution of the Beta: log_prob at an action
    beta = dist.Beta(torch.tensor(2.0), torch.tensor(3.0))
    policy = dist.TransformedDistribution(beta, [T.AffineTransform(-2.0, 4.0)])
    assert policy.log_prob(torch.tensor(0.5)).item() == pytest.approx(
        beta.log_prob(torch.tensor(0.625)).item() - np.log(4.0), abs=1e-6)


@pytest.mark.parametrize("masking", ["times -1e9", "masked_fill -inf"])
def test_categorical_with_invalid_actions_masked(masking):
    torch.manual_seed(0)
    logits = torch.tensor([[1.0, 2.0, 0.5, -1.0], [0.0, 0.0, 0.0, 0.0]], requires_grad=True)
    valid = torch.tensor([[1, 0, 1, 1], [0, 0, 1, 0]], dtype=torch.bool)
    if masking == "times -1e9":
        masked = logits + (~valid).float() * -1e9
    else:
        masked = logits.masked_fill(~valid, float("-inf"))
    policy = dist.Categorical(logits=masked)
    draws = policy.sample((2000,))
    assert np.take_along_axis(valid.numpy(), draws.numpy().T, 1).all()
    probs = policy.probs.detach().numpy()
    np.testing.assert_allclose(probs[1], [0, 0, 1, 0])
    expected = np.exp([1.0, 0.5, -1.0]) / np.exp([1.0, 0.5, -1.0]).sum()
    np.testing.assert_allclose(probs[0, [0, 2, 3]], expected, rtol=1e-6)
    entropy = policy.entropy()
    assert entropy.numpy()[1] == 0 and entropy.numpy()[0] == pytest.approx(
        -(expected * np.log(expected)).sum(), rel=1e-6)
    log_p = policy.log_prob(torch.tensor([0, 2]))
    (entropy.sum() + log_p.sum()).backward()
    grad = logits.grad
    assert np.all(np.isfinite(grad)) and np.all(grad[~valid.numpy()] == 0)
    assert np.all(grad[1] == 0)                       # one valid action: nothing to learn


def _mc_kl(p, q, n: int = 200_000) -> float:
    x = p.sample((n,))
    return (p.log_prob(x) - q.log_prob(x)).mean(0).numpy()


def test_monte_carlo_kl_against_the_closed_forms():
    torch.manual_seed(0)
    f64 = lambda *a: [torch.tensor(np.asarray(v, np.float64)) for v in a]   # noqa: E731
    pairs = [
        (dist.Normal(*f64([0.3, -1.0], [1.2, 0.5])), dist.Normal(*f64([0.0, 0.5], [0.8, 2.0]))),
        (dist.Laplace(*f64([0.3, -1.0], [1.2, 0.5])), dist.Laplace(*f64([0.0, 0.5], [0.8, 2.0]))),
        (dist.Gamma(*f64([2.0, 0.7], [1.5, 3.0])), dist.Gamma(*f64([1.2, 2.5], [0.8, 2.0]))),
        (dist.Beta(*f64([2.0, 0.7], [1.5, 3.0])), dist.Beta(*f64([1.2, 2.5], [0.8, 2.0]))),
        (dist.LogNormal(*f64([0.3, -1.0], [0.6, 0.5])),
         dist.LogNormal(*f64([0.0, 0.5], [0.8, 1.0]))),
        (dist.Gumbel(*f64([0.3, -1.0], [1.2, 0.5])), dist.Gumbel(*f64([0.0, 0.5], [0.8, 2.0]))),
        (dist.Uniform(*f64([0.1, -1.0], [0.6, 0.5])),
         dist.Uniform(*f64([0.0, -2.0], [1.0, 2.0]))),
        (dist.Poisson(*f64([1.3, 4.0])), dist.Poisson(*f64([0.7, 2.0]))),
        (dist.Dirichlet(*f64([[0.5, 2.0, 1.5]])), dist.Dirichlet(*f64([[1.0, 1.0, 3.0]]))),
        (dist.OneHotCategorical(*f64([[0.2, 0.3, 0.5]])),
         dist.OneHotCategorical(*f64([[0.6, 0.1, 0.3]]))),
        (dist.Independent(dist.Normal(*f64([0.3, -1.0], [1.2, 0.5])), 1),
         dist.Independent(dist.Normal(*f64([0.0, 0.5], [0.8, 2.0])), 1)),
    ]
    for p, q in pairs:
        closed = dist.kl_divergence(p, q).numpy()
        np.testing.assert_allclose(_mc_kl(p, q), closed, rtol=0.03, atol=0.01,
                                   err_msg=type(p).__name__)


def test_probabilities_sum_to_one():
    lam, n = torch.tensor([0.3, 12.0]), torch.tensor([10.0, 10.0])
    for d, support in [(dist.Poisson(lam), np.arange(200.0)),
                       (dist.Binomial(n, torch.tensor([0.3, 0.9])), np.arange(11.0)),
                       (dist.Geometric(torch.tensor([0.3, 0.9])), np.arange(400.0)),
                       (dist.NegativeBinomial(torch.tensor([2.5, 10.0]),
                                              torch.tensor([0.3, 0.8])), np.arange(2000.0))]:
        total = d.log_prob(support[:, None]).exp().sum(0).numpy()
        np.testing.assert_allclose(total, 1.0, rtol=1e-5, err_msg=type(d).__name__)
    grid = np.linspace(-40, 40, 400_001)
    for d in [dist.StudentT(torch.tensor(3.0), torch.tensor(0.5), torch.tensor(1.5)),
              dist.Gumbel(torch.tensor(0.5), torch.tensor(1.5)),
              dist.LogNormal(torch.tensor(0.0), torch.tensor(0.5)),
              dist.Gamma(torch.tensor(2.0), torch.tensor(1.5)),
              dist.HalfNormal(torch.tensor(1.3))]:
        x = grid[d.support.check(grid)]
        density = d.log_prob(torch.tensor(x)).exp().numpy()
        area = ((density[1:] + density[:-1]) / 2 * np.diff(x)).sum()
        # StudentT(3)'s tails beyond ±40 hold about 1.6e-4
        assert area == pytest.approx(1.0, abs=3e-4), type(d).__name__


def test_sample_moments_match_mean_and_variance():
    torch.manual_seed(0)
    families = [
        dist.Gamma(torch.tensor([0.5, 3.0]), torch.tensor([2.0, 0.5])),
        dist.Chi2(torch.tensor([1.0, 4.0])),
        dist.Beta(torch.tensor([0.5, 3.0]), torch.tensor([2.0, 0.5])),
        dist.StudentT(torch.tensor([5.0, 10.0]), torch.tensor([1.0, -1.0]),
                      torch.tensor([2.0, 0.5])),
        dist.Poisson(torch.tensor([0.3, 12.0])),
        dist.Binomial(torch.tensor([10.0, 3.0]), torch.tensor([0.3, 0.9])),
        dist.Geometric(torch.tensor([0.3, 0.9])),
        dist.NegativeBinomial(torch.tensor([2.5, 10.0]), torch.tensor([0.3, 0.8])),
        dist.Multinomial(6, torch.tensor([0.2, 0.3, 0.5])),
        dist.Dirichlet(torch.tensor([0.5, 2.0, 1.5])),
        dist.LogNormal(torch.tensor([0.0, 1.0]), torch.tensor([0.5, 0.2])),
        dist.Gumbel(torch.tensor([0.0, 1.0]), torch.tensor([0.5, 2.0])),
        dist.HalfNormal(torch.tensor([0.5, 2.0])),
        dist.LowRankMultivariateNormal(torch.tensor([0.0, 1.0]), torch.tensor([[1.0], [0.5]]),
                                       torch.tensor([1.0, 0.5])),
    ]
    n = 100_000
    for d in families:
        x = d.sample((n,))
        assert x.shape == (n,) + d.batch_shape + d.event_shape
        mean, variance = d.mean.numpy(), d.variance.numpy()
        # x.var(0) would divide by n (numpy's); PyTorch's divides by n - 1: say which
        sample_var = x.var(0, unbiased=True).numpy()
        z = np.abs(x.mean(0).numpy() - mean) / np.sqrt(variance / n)
        assert z.max() < 5, type(d).__name__
        np.testing.assert_allclose(sample_var, variance, rtol=0.06, err_msg=type(d).__name__)


def test_cdf_of_icdf_is_the_identity():
    u = torch.tensor(np.linspace(0.001, 0.999, 99))
    one = torch.tensor(1.0, dtype=torch.float64)
    for d in [dist.Normal(0.5 * one, 2.0), dist.Gumbel(0.5 * one, 2.0),
              dist.LogNormal(0.5 * one, 2.0), dist.HalfNormal(2 * one), dist.HalfCauchy(2 * one),
              dist.Cauchy(0.5 * one, 2.0), dist.Exponential(2.5 * one),
              dist.Laplace(0.5 * one, 2.0), dist.Uniform(0.5 * one, 2.0)]:
        np.testing.assert_allclose(d.cdf(d.icdf(u)).numpy(), u.numpy(), atol=1e-12,
                                   err_msg=type(d).__name__)


def test_shapes_are_pytorchs():
    normal = dist.Normal(torch.zeros(3, 2), torch.ones(3, 2))
    assert (normal.batch_shape, normal.event_shape, normal.sample((5,)).shape) == \
        ((3, 2), (), (5, 3, 2))
    independent = dist.Independent(normal, 1)
    assert (independent.batch_shape, independent.event_shape) == ((3,), (2,))
    assert independent.log_prob(torch.zeros(3, 2)).shape == (3,)
    for d in [dist.Dirichlet(torch.ones(4, 3)), dist.Multinomial(5, torch.ones(4, 3)),
              dist.LogisticNormal(torch.zeros(4, 2), torch.ones(4, 2)),
              dist.RelaxedOneHotCategorical(torch.tensor(0.5), logits=torch.zeros(4, 3)),
              dist.LowRankMultivariateNormal(torch.zeros(4, 3), torch.ones(4, 3, 2),
                                             torch.ones(4, 3))]:
        assert (d.batch_shape, d.event_shape) == ((4,), (3,)), type(d).__name__
        assert d.sample((2,)).shape == (2, 4, 3), type(d).__name__
    squashed = dist.TransformedDistribution(dist.Normal(torch.zeros(4, 2), 1.0),
                                            [T.TanhTransform()])
    assert squashed.batch_shape == (4, 2) and squashed.rsample((3,)).shape == (3, 4, 2)
    assert dist.Gamma(torch.ones(2), 1.0).sample((3, 4)).shape == (3, 4, 2)
    assert dist.Poisson(torch.ones(2)).sample().dtype == np.float32
    assert dist.Categorical(logits=torch.ones(2)).sample().dtype == np.int64


@pytest.mark.parametrize("make, message", [
    (lambda: dist.Gamma(torch.tensor([1.0, -2.0]), 1.0),
     r"^Gamma: concentration must be positive \(> 0\); got -2\.0 at index \(1,\)"),
    (lambda: dist.Gamma(torch.tensor(2.0), 1.0).log_prob(torch.tensor([-1.0, 1.0])),
     r"^Gamma\.log_prob: value must be non-negative"),
    (lambda: dist.Poisson(torch.tensor([1.0])).log_prob(torch.tensor([1.5])),
     r"^Poisson\.log_prob: value must be a non-negative integer"),
    (lambda: dist.Binomial(5, torch.tensor(0.5)).log_prob(torch.tensor(6.0)),
     r"^Binomial\.log_prob: value must be an integer in \[0, 5\]"),
    (lambda: dist.Dirichlet(torch.ones(3)).log_prob(torch.tensor([0.5, 0.6, 0.1])),
     r"^Dirichlet\.log_prob: value must be probabilities"),
    (lambda: dist.Beta(torch.tensor(2.0), torch.tensor(2.0)).log_prob(torch.tensor(1.5)),
     r"^Beta\.log_prob: value must be in \[0, 1\]"),
    (lambda: dist.StudentT(torch.tensor(0.0)), r"^StudentT: df must be positive"),
    (lambda: dist.LogNormal(torch.tensor(0.0), 1.0).log_prob(torch.tensor(-1.0)),
     r"^LogNormal\.log_prob: value must be positive"),
    (lambda: dist.Multinomial(5, torch.ones(3)).log_prob(torch.tensor([1.0, 1.0, 1.0])),
     r"^Multinomial\.log_prob: value must be non-negative integers summing to 5"),
    (lambda: dist.NegativeBinomial(torch.tensor(-1.0), torch.tensor(0.5)),
     r"^NegativeBinomial: total_count must be non-negative"),
    (lambda: dist.RelaxedOneHotCategorical(torch.tensor(-0.5), logits=torch.zeros(3)),
     r"^RelaxedOneHotCategorical: temperature must be positive"),
    (lambda: dist.RelaxedBernoulli(torch.tensor(0.5), probs=torch.tensor(1.5)),
     r"^RelaxedBernoulli: probs must be in \[0, 1\]"),
    (lambda: dist.TransformedDistribution(dist.Normal(torch.zeros(1), 1.0), [T.TanhTransform()])
     .log_prob(torch.tensor([1.5])), r"^TransformedDistribution\.log_prob: value must be in "),
    (lambda: dist.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2, 1),
                                            torch.tensor([1.0, -1.0])),
     r"^LowRankMultivariateNormal: cov_diag must be positive"),
])
def test_errors_name_the_distribution(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_trials_numbers_are_pytorchs(dtype):
    """log_prob, entropy, mean, variance, cdf/icdf, KL and their gradients for the families
    the trial uses, the same parameters in both libraries."""
    TD = real_torch.distributions
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-8, atol=1e-10)
    cases = [
        ("Gamma", ([0.5, 3.0], [2.0, 0.1]), [0.2, 40.0]),
        ("Beta", ([0.5, 3.0], [2.0, 0.7]), [0.2, 0.9]),
        ("Dirichlet", ([[0.5, 3.0, 1.2]],), [[0.2, 0.5, 0.3]]),
        ("StudentT", ([1.5, 7.0], [0.0, 1.0], [1.0, 2.0]), [0.2, 3.0]),
        ("Poisson", ([0.5, 7.0],), [0.0, 3.0]),
        ("LogNormal", ([0.5, -1.0], [0.7, 2.0]), [0.2, 3.0]),
        ("HalfCauchy", ([0.7, 2.0],), [0.2, 3.0]),
        ("Gumbel", ([0.5, -1.0], [0.7, 2.0]), [0.2, 3.0]),
        ("Laplace", ([0.5, -1.0], [0.7, 2.0]), [0.2, 3.0]),
    ]
    for name, params, value in cases:
        ours = [torch.tensor(np.asarray(p, dtype), requires_grad=True) for p in params]
        theirs = [real_torch.tensor(np.asarray(p, dtype), requires_grad=True) for p in params]
        a, b = getattr(dist, name)(*ours), getattr(TD, name)(*theirs)
        qa = getattr(dist, name)(*[torch.tensor(np.asarray(p, dtype) * 1.3) for p in params])
        qb = getattr(TD, name)(*[real_torch.tensor(np.asarray(p, dtype) * 1.3) for p in params])
        v = np.asarray(value, dtype)
        got, expected = [a.log_prob(torch.tensor(v))], [b.log_prob(real_torch.tensor(v))]
        if name != "Poisson":                                     # an infinite series in both
            got.append(a.entropy())
            expected.append(b.entropy())
        if name not in ("StudentT", "HalfCauchy"):                # no closed-form KL in either
            got.append(dist.kl_divergence(a, qa))
            expected.append(TD.kl_divergence(b, qb))
        if name not in ("StudentT", "HalfCauchy"):                # infinite moments
            got += [a.mean, a.variance]
            expected += [b.mean, b.variance]
        if name in ("LogNormal", "HalfCauchy", "Gumbel", "Laplace"):
            u = np.asarray([0.1, 0.7], dtype)
            got += [a.cdf(torch.tensor(v)), a.icdf(torch.tensor(u))]
            expected += [b.cdf(real_torch.tensor(v)), b.icdf(real_torch.tensor(u))]
        total_a, total_b = 0, 0
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), err_msg=name,
                                       **tol)
            total_a, total_b = total_a + g.sum(), total_b + e.sum()
        total_a.backward()
        total_b.backward()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), err_msg=f"{name} gradient",
                                       **tol)


@needs_torch
def test_the_elbo_at_one_draw_and_its_gradient_are_pytorchs():
    """ln p(y, w) - ln q(w) of the Poisson regression at one fixed draw (w, τ) in float64,
    and its gradient in the guide's parameters, written once and run on both libraries."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 4)) * 0.5, rng.poisson(2.0, size=40).astype(np.float64)
    w, tau = rng.normal(size=4) * 0.5, 0.8
    point = [rng.normal(size=4) * 0.3, rng.normal(size=4) * 0.3 - 1, 0.7, -0.3, -0.8]

    def log_weight(lib, params, xs, ys, ws, taus):
        D = lib.distributions
        loc, log_scale, b, tau_loc, tau_log_scale = params
        q_tau = D.TransformedDistribution(D.Normal(tau_loc, tau_log_scale.exp()),
                                          [D.transforms.ExpTransform()])
        q_w = D.Independent(D.Normal(loc, log_scale.exp()), 1)
        p_w = D.Independent(D.Normal(lib.zeros(4, dtype=lib.float64), taus.expand(4)), 1)
        log_lik = D.Poisson((xs @ ws + b).exp()).log_prob(ys).sum()
        return (log_lik + p_w.log_prob(ws) + D.HalfCauchy(lib.tensor(1.0, dtype=lib.float64))
                .log_prob(taus) - q_w.log_prob(ws) - q_tau.log_prob(taus))

    results = []
    for lib in (torch, real_torch):
        params = [lib.tensor(np.asarray(p, np.float64), requires_grad=True) for p in point]
        out = log_weight(lib, params, lib.tensor(x), lib.tensor(y), lib.tensor(w),
                         lib.tensor(np.float64(tau)))
        out.backward()
        results.append([out.item()] + [np.asarray(p.grad) for p in params])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
