"""A user trial: a probabilistic deep learning course's uncertainty notebooks written as in
PyTorch, with glassgrad's names (`import autograd as torch`, `nn`, `nn.functional as F`,
`nn.optim as optim`).

Data made here with fixed seeds: 1-d heteroscedastic regression, y = sin(3x) + noise whose
scale grows with |x|, with no training inputs in (-0.4, 0.4); a 2-d three-class spiral; and
logits that are over-confident by construction. Covered: Bayes by backprop (a `BayesLinear`
of `mu` and `rho` parameters, weights drawn by the reparameterisation trick, the closed-form
KL to a Gaussian prior and the Gaussian NLL by `torch.distributions` (`Normal`,
`kl_divergence`), the ELBO scaled by the number of batches, the predictive mean and
spread of 50 draws); MC dropout (only the dropout modules switched back to training); a deep
ensemble of heteroscedastic MLPs (a mean and a softplus variance, `nn.GaussianNLLLoss`, the
mixture's moments and its held-out NLL); calibration (a 15-bin ECE by masks and by
`torch.bucketize`, a reliability table, temperature scaling by `LBFGS(lr=0.01, max_iter=50)`
and a closure, split conformal prediction sets by `torch.quantile(..., interpolation='higher')`,
predictive entropy). Gradients are checked against central differences in float64, and against
live PyTorch from the same weights and the same noise (drawn with numpy and passed in) where
torch is installed; everything else runs and asserts without it.

Divisors: `t.std(0)` and `t.var(0)` are numpy's here (divide by n), PyTorch's divide by n - 1;
`torch.std(t, 0)` and `t.std(0, unbiased=True)` are PyTorch's. The tests below say which one
each number uses."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
import nn.optim as optim
from autograd import Tensor, gradcheck
from torch_helpers import assert_stepped_as_torch, needs_torch
from torch_helpers import torch as real_torch


# -- data ----------------------------------------------------------------------------------------

def gap_regression(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x in [-1.5, -0.4] ∪ [0.4, 1.5], y = sin(3x) + N(0, (0.05 + 0.2 |x|)²); float32 columns."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-1.5, -0.4, n // 2), rng.uniform(0.4, 1.5, n - n // 2)])
    y = np.sin(3 * x) + rng.standard_normal(n) * (0.05 + 0.2 * np.abs(x))
    return x[:, None].astype(np.float32), y[:, None].astype(np.float32)


def spiral(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three interleaved arms in the plane, with angular noise: (3n, 2) float32 and labels."""
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.1, 1.0, n_per_class), 3)
    k = np.repeat(np.arange(3), n_per_class)
    angle = k * 2 * np.pi / 3 + 4 * r + rng.normal(0, 0.5, 3 * n_per_class)
    xy = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    return xy.astype(np.float32), k.astype(np.int64)


def overconfident_logits(n: int, seed: int, k: int = 5, scale: float = 3.0):
    """Labels drawn from softmax(z), logits scale · z: calibrated at T = scale exactly."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.2, (n, k))
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    labels = (rng.uniform(size=(n, 1)) > p.cumsum(1)).sum(1)
    return (scale * z).astype(np.float32), labels.astype(np.int64)


# -- Bayes by backprop ---------------------------------------------------------------------------

def gaussian_kl(mu, sigma, prior_sigma: float = 1.0):
    """KL(N(mu, sigma²) || N(0, prior_sigma²)), summed: torch.distributions' closed form,
    log(s2/s1) + (s1² + mu²)/(2 s2²) - 1/2 (the prior in mu's dtype: a float32 0.3 would
    leave a float64 KL of q to itself 1e-15 above 0)."""
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.full_like(mu, prior_sigma))
    return torch.distributions.kl_divergence(torch.distributions.Normal(mu, sigma), prior).sum()


class BayesLinear(nn.Module):
    """A linear layer whose weights are N(mu, softplus(rho)²), drawn afresh at each call."""

    def __init__(self, n_in: int, n_out: int, prior_sigma: float = 1.0) -> None:
        super().__init__()
        self.w_mu = nn.Parameter(torch.zeros(n_out, n_in))
        self.w_rho = nn.Parameter(torch.zeros(n_out, n_in))
        self.b_mu = nn.Parameter(torch.zeros(n_out))
        self.b_rho = nn.Parameter(torch.zeros(n_out))
        self.prior_sigma = prior_sigma
        with torch.no_grad():
            self.w_mu.uniform_(-0.2, 0.2)
            self.b_mu.uniform_(-0.2, 0.2)
            self.w_rho.uniform_(-5, -4)
            self.b_rho.uniform_(-5, -4)
        self.kl = None

    def forward(self, x, noise=None):
        """`noise`: (weight noise, bias noise) to use instead of fresh draws (PyTorch twins)."""
        w_eps, b_eps = noise if noise is not None else (torch.randn_like(self.w_mu),
                                                        torch.randn_like(self.b_mu))
        w_sigma, b_sigma = F.softplus(self.w_rho), F.softplus(self.b_rho)
        w = self.w_mu + w_sigma * w_eps
        b = self.b_mu + b_sigma * b_eps
        self.kl = (gaussian_kl(self.w_mu, w_sigma, self.prior_sigma)
                   + gaussian_kl(self.b_mu, b_sigma, self.prior_sigma))
        return F.linear(x, w, b)


class BayesNet(nn.Module):
    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.layers = nn.ModuleList([BayesLinear(1, hidden), BayesLinear(hidden, hidden),
                                     BayesLinear(hidden, 1)])

    def forward(self, x, noise=None):
        for i, layer in enumerate(self.layers):
            x = layer(x, None if noise is None else noise[i])
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x

    def kl(self):
        return sum(m.kl for m in self.modules() if isinstance(m, BayesLinear))


def elbo_loss(model, xb, yb, num_batches: int, noise_sigma: float, noise=None):
    """The negative ELBO of one mini-batch: its Gaussian NLL plus KL / num_batches."""
    pred = model(xb, noise)
    nll = -torch.distributions.Normal(pred, noise_sigma).log_prob(yb).sum()
    return nll + model.kl() / num_batches


def test_reparameterised_weights_gradients_by_central_differences():
    rng = np.random.default_rng(0)
    eps, x = rng.standard_normal((4, 3)), Tensor(rng.standard_normal((6, 3)))
    mu = Tensor(rng.uniform(-0.2, 0.2, (4, 3)), requires_grad=True)
    rho = Tensor(rng.uniform(-5, 1, (4, 3)), requires_grad=True)
    # a fixed noise draw makes the sampled layer a plain function of mu and rho
    assert gradcheck(lambda m, r: F.linear(x, m + F.softplus(r) * Tensor(eps)).tanh().sum(),
                     mu, rho)
    out = F.linear(x, mu + F.softplus(rho) * Tensor(eps)).sum()
    out.backward()
    column = x.data.sum(0)                  # d out / d w = the inputs' sum, for every row
    np.testing.assert_allclose(mu.grad, np.broadcast_to(column, (4, 3)), rtol=1e-12)
    sigmoid = 1 / (1 + np.exp(-rho.data))
    np.testing.assert_allclose(rho.grad, column * sigmoid * eps, rtol=1e-12)


def test_closed_form_kl_by_central_differences_and_its_zero():
    rng = np.random.default_rng(1)
    mu = Tensor(rng.uniform(-1, 1, (3, 4)), requires_grad=True)
    rho = Tensor(rng.uniform(-3, 2, (3, 4)), requires_grad=True)
    for prior in (1.0, 0.3):
        assert gradcheck(lambda m, r: gaussian_kl(m, F.softplus(r), prior), mu, rho)
    # zero exactly where q is the prior, positive elsewhere
    same = gaussian_kl(torch.zeros(5, dtype=torch.float64), torch.full((5,), 0.3,
                                                                      dtype=torch.float64), 0.3)
    assert abs(same.item()) < 1e-15
    assert gaussian_kl(mu, F.softplus(rho)).item() > 0


def test_softplus_far_out_by_central_differences():
    x = Tensor(np.array([-1000.0, -30.0, -1.0, 0.0, 19.9, 20.1, 30.0, 1000.0]),
               requires_grad=True)
    y = F.softplus(x)
    assert np.all(np.isfinite(y.data))
    np.testing.assert_allclose(y.data[[0, -1]], [0.0, 1000.0], rtol=0, atol=0)
    y.sum().backward()
    # PyTorch's threshold: above 20 softplus is x itself, its slope exactly 1
    slope = np.where(x.data > 20, 1.0, 1 / (1 + np.exp(-np.clip(x.data, -700, 20))))
    np.testing.assert_allclose(x.grad, slope, rtol=1e-12, atol=1e-300)
    assert gradcheck(lambda t: F.softplus(t).sum(), x)
    assert gradcheck(lambda t: F.softplus(t, beta=2.0, threshold=10.0).sum(), x)


def test_gaussian_nll_loss_small_variance():
    rng = np.random.default_rng(2)
    pred = Tensor(rng.standard_normal(5), requires_grad=True)
    target = Tensor(rng.standard_normal(5))
    var = Tensor(np.full(5, 1e-3), requires_grad=True)
    assert gradcheck(lambda p, v: F.gaussian_nll_loss(p, target, v, full=True), pred, var,
                     eps=1e-8, rtol=1e-5)
    # below eps the value is the one at eps, and the gradient is the one at eps (PyTorch clamps
    # under no_grad): a variance that collapsed still learns, where central differences say 0
    tiny = Tensor(np.full(5, 1e-9), requires_grad=True)
    at_eps = Tensor(np.full(5, 1e-6), requires_grad=True)
    loss_tiny = F.gaussian_nll_loss(pred, target, tiny)
    loss_eps = F.gaussian_nll_loss(pred, target, at_eps)
    assert loss_tiny.item() == loss_eps.item()
    loss_tiny.backward()
    loss_eps.backward()
    np.testing.assert_allclose(tiny.grad, at_eps.grad, rtol=1e-12)
    assert np.all(tiny.grad < 0)


def test_temperature_gradient_through_cross_entropy_by_central_differences():
    logits, labels = overconfident_logits(40, seed=3)
    logits = Tensor(logits.astype(np.float64))
    for t0 in (0.5, 1.0, 3.0):
        T = Tensor(np.array([t0]), requires_grad=True)
        assert gradcheck(lambda t: F.cross_entropy(logits / t, labels), T, rtol=1e-6)
    # over-confident logits: the loss falls as T grows from 1
    T = Tensor(np.array([1.0]), requires_grad=True)
    F.cross_entropy(logits / T, labels).backward()
    assert T.grad[0] < 0


def fit_bayes_net(steps: int = 1200, hidden: int = 32, seed: int = 0) -> BayesNet:
    x, y = gap_regression(120, seed=seed)
    X, Y = torch.tensor(x), torch.tensor(y)
    torch.manual_seed(seed)
    model = BayesNet(hidden)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    num_batches = 3
    shuffle = np.random.default_rng(seed)
    for epoch in range(steps // num_batches):
        for part in np.array_split(shuffle.permutation(len(x)), num_batches):
            opt.zero_grad()
            loss = elbo_loss(model, X[part], Y[part], num_batches, noise_sigma=0.15)
            loss.backward()
            opt.step()
    return model


def test_bayes_by_backprop_is_less_sure_in_the_gap():
    model = fit_bayes_net()
    xs = torch.linspace(-1.4, 1.4, 57).unsqueeze(1)
    with torch.no_grad():
        samples = torch.stack([model(xs) for _ in range(50)])
    assert samples.shape == (50, 57, 1) and not samples.requires_grad
    mean, spread = samples.mean(0), samples.std(0)     # numpy's std: divides by 50
    x = xs.numpy()[:, 0]
    gap, on_data = np.abs(x) < 0.25, (np.abs(x) > 0.6) & (np.abs(x) < 1.1)
    s = spread.numpy()[:, 0]
    assert s[gap].mean() > 1.3 * s[on_data].mean()
    # the mean follows sin(3x) where there were data
    err = np.abs(mean.numpy()[:, 0] - np.sin(3 * x))[on_data]
    assert err.mean() < 0.25
    # the divisor: numpy's n here, PyTorch's n - 1 by torch.std or by saying so
    unbiased = samples.std(0, unbiased=True).numpy()
    np.testing.assert_allclose(torch.std(samples, 0).numpy(), unbiased, rtol=1e-6)
    np.testing.assert_allclose(spread.numpy() * math.sqrt(50 / 49), unbiased, rtol=1e-5)


@needs_torch
def test_bayes_net_elbo_and_gradients_are_pytorchs_from_the_same_noise():
    torch.manual_seed(0)
    ours = BayesNet(8).double()
    rng = np.random.default_rng(4)
    noise = [(rng.standard_normal(m.w_mu.shape), rng.standard_normal(m.b_mu.shape))
             for m in ours.layers]
    x, y = gap_regression(16, seed=5)
    loss = elbo_loss(ours, Tensor(x.astype(np.float64)), Tensor(y.astype(np.float64)), 4, 0.15,
                     [(Tensor(a), Tensor(b)) for a, b in noise])
    loss.backward()

    tt, tF = real_torch, real_torch.nn.functional
    params = {k: tt.tensor(v.detach().numpy(), requires_grad=True)
              for k, v in ours.state_dict().items()}
    h = tt.tensor(x.astype(np.float64))
    kl = 0
    for i, (a, b) in enumerate(noise):
        mu, rho = params[f"layers.{i}.w_mu"], params[f"layers.{i}.w_rho"]
        bmu, brho = params[f"layers.{i}.b_mu"], params[f"layers.{i}.b_rho"]
        h = tF.linear(h, mu + tF.softplus(rho) * tt.tensor(a),
                      bmu + tF.softplus(brho) * tt.tensor(b))
        if i < 2:
            h = tF.relu(h)
        prior = tt.distributions.Normal(0.0, 1.0)
        for m, r in ((mu, rho), (bmu, brho)):
            kl = kl + tt.distributions.kl_divergence(
                tt.distributions.Normal(m, tF.softplus(r)), prior).sum()
    nll = -tt.distributions.Normal(h, 0.15).log_prob(tt.tensor(y.astype(np.float64))).sum()
    theirs = nll + kl / 4
    theirs.backward()
    assert loss.item() == pytest.approx(theirs.item(), rel=1e-12)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, params[name].grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


# -- MC dropout and deep ensembles ---------------------------------------------------------------

def test_mc_dropout_switches_only_the_dropout_modules():
    x, y = gap_regression(200, seed=6)
    X, Y = torch.tensor(x), torch.tensor(y)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 64),
                          nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 1))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        opt.zero_grad()
        loss = F.mse_loss(model(X), Y)
        loss.backward()
        opt.step()
    model.eval()
    xs = torch.linspace(-1.4, 1.4, 29).unsqueeze(1)
    with torch.no_grad():
        deterministic = model(xs)
        for m in model.modules():
            if isinstance(m, nn.Dropout):
                m.train()
        draws = torch.stack([model(xs) for _ in range(100)])
    assert [m.training for m in model] == [False, False, True, False, False, True, False]
    assert draws.std(0).min().item() > 0                         # each draw drops other units
    # inverted dropout: the draws' mean is near the deterministic network's
    assert np.abs(draws.mean(0).numpy() - deterministic.numpy()).mean() < 0.1
    model.train()
    assert all(m.training for m in model.modules())


class Heteroscedastic(nn.Module):
    """A mean and a variance per input: softplus keeps the variance positive."""

    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden),
                                  nn.Tanh())
        self.mean, self.raw_var = nn.Linear(hidden, 1), nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.body(x)
        return self.mean(h), F.softplus(self.raw_var(h)) + 1e-6


def test_deep_ensemble_of_heteroscedastic_nets():
    x, y = gap_regression(200, seed=7)
    xv, yv = gap_regression(400, seed=8)
    X, Y, Xv, Yv = map(torch.tensor, (x, y, xv, yv))
    criterion = nn.GaussianNLLLoss()
    members = []
    for i in range(5):
        torch.manual_seed(i)
        m = Heteroscedastic()
        opt = optim.Adam(m.parameters(), lr=1e-2)
        for _ in range(250):
            opt.zero_grad()
            mu, var = m(X)
            loss = criterion(mu, Y, var)
            loss.backward()
            opt.step()
        members.append(m)
    # different seeds, different nets
    assert not np.allclose(members[0].mean.weight.data, members[1].mean.weight.data)
    with torch.no_grad():
        means, variances = map(torch.stack, zip(*[m(Xv) for m in members]))   # (5, n, 1)
        mix_mean = means.mean(0)
        mix_var = (variances + means ** 2).mean(0) - mix_mean ** 2
        # the mixture's variance is the mean aleatoric variance plus the members'
        # disagreement, with divisor M (numpy's var(0): PyTorch's means.var(0) divides by M - 1)
        np.testing.assert_allclose(mix_var.numpy(), (variances.mean(0) + means.var(0)).numpy(),
                                   rtol=1e-4, atol=1e-6)
        single = [F.gaussian_nll_loss(means[i], Yv, variances[i], full=True).item()
                  for i in range(5)]
        # the mixture's own density: log of the members' mean density
        log_p = -0.5 * ((Yv - means) ** 2 / variances + variances.log() + math.log(2 * math.pi))
        mixture_nll = -(torch.logsumexp(log_p, dim=0) - math.log(5)).mean().item()
        gauss_nll = F.gaussian_nll_loss(mix_mean, Yv, mix_var, full=True).item()
    # Jensen: log of a mean density is at least the mean of the log densities, point by point
    assert mixture_nll <= np.mean(single) + 1e-6
    assert gauss_nll < max(single)
    # the noise grows with |x|: the learned aleatoric variance does too
    xs = torch.tensor([[-1.3], [-0.6], [0.6], [1.3]])
    with torch.no_grad():
        aleatoric = torch.stack([m(xs)[1] for m in members]).mean(0).numpy()[:, 0]
    assert aleatoric[0] > aleatoric[1] and aleatoric[3] > aleatoric[2]


@needs_torch
def test_a_heteroscedastic_step_is_pytorchs():
    torch.manual_seed(0)
    ours = Heteroscedastic(8)
    tt = real_torch

    class Theirs(tt.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = tt.nn.Sequential(tt.nn.Linear(1, 8), tt.nn.Tanh(), tt.nn.Linear(8, 8),
                                         tt.nn.Tanh())
            self.mean, self.raw_var = tt.nn.Linear(8, 1), tt.nn.Linear(8, 1)

        def forward(self, x):
            h = self.body(x)
            return self.mean(h), tt.nn.functional.softplus(self.raw_var(h)) + 1e-6

    theirs = Theirs()
    theirs.load_state_dict({k: tt.as_tensor(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    x, y = gap_regression(32, seed=9)
    for model, lib, loss_class, o in (
            (ours, torch, nn.GaussianNLLLoss, optim.Adam(ours.parameters(), lr=1e-2)),
            (theirs, tt, tt.nn.GaussianNLLLoss, tt.optim.Adam(theirs.parameters(), lr=1e-2))):
        o.zero_grad()
        mu, var = model(lib.tensor(x))
        loss = loss_class(full=True)(mu, lib.tensor(y), var)
        loss.backward()
        o.step()
    assert_stepped_as_torch(ours, theirs)


# -- calibration ---------------------------------------------------------------------------------

def ece_by_masks(probs, labels, n_bins: int = 15):
    """Expected calibration error and the reliability table (lo, hi, count, accuracy,
    confidence) of the bins (lo, hi] that hold predictions."""
    conf, pred = probs.max(dim=1)
    correct = (pred == labels).float()
    edges = torch.linspace(0, 1, n_bins + 1)
    ece, table = torch.zeros(1), []
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        share = in_bin.float().mean()
        if share.item() > 0:
            acc, avg_conf = correct[in_bin].mean(), conf[in_bin].mean()
            ece += (avg_conf - acc).abs() * share
            table.append((lo.item(), hi.item(), int(in_bin.sum().item()), acc.item(),
                          avg_conf.item()))
    return ece.item(), table


def ece_by_bucketize(probs, labels, n_bins: int = 15) -> float:
    conf, pred = probs.max(dim=1)
    correct = (pred == labels).float()
    edges = torch.linspace(0, 1, n_bins + 1)
    bins = torch.bucketize(conf, edges[1:-1])           # (lo, hi]: right=False
    count = torch.bincount(bins, minlength=n_bins).float()
    acc = torch.zeros(n_bins).scatter_add(0, bins, correct)
    confidence = torch.zeros(n_bins).scatter_add(0, bins, conf)
    return ((acc - confidence).abs().sum() / len(labels)).item() if count.sum() > 0 else 0.0


def fit_temperature(logits, labels, start: float = 1.0):
    T = nn.Parameter(torch.ones(1) * start)
    opt = optim.LBFGS([T], lr=0.01, max_iter=50)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(logits / T, labels)
        loss.backward()
        return loss

    opt.step(closure)
    return T


def test_temperature_scaling_lowers_the_ece_of_an_overconfident_model():
    val_logits, val_labels = overconfident_logits(2000, seed=10)
    test_logits, test_labels = overconfident_logits(3000, seed=11)
    val_logits, test_logits = torch.tensor(val_logits), torch.tensor(test_logits)
    val_labels, test_labels = torch.tensor(val_labels), torch.tensor(test_labels)
    before, table = ece_by_masks(F.softmax(test_logits, dim=1), test_labels)
    assert before == pytest.approx(ece_by_bucketize(F.softmax(test_logits, dim=1),
                                                    test_labels), abs=1e-5)
    # the table: every prediction in one bin, and histc counts the same bins
    assert sum(row[2] for row in table) == 3000
    counts = torch.histc(F.softmax(test_logits, dim=1).max(dim=1).values, bins=15, min=0,
                         max=1).numpy()
    assert sorted(int(c) for c in counts if c) == sorted(row[2] for row in table)
    # over-confident: accuracy below confidence in the well-filled bins
    assert all(acc < conf for _, _, n, acc, conf in table if n >= 100)
    T = fit_temperature(val_logits, val_labels)
    assert T.item() > 1.15                # 50 steps of lr 0.01 go a part of the way to 3
    with torch.no_grad():
        after, _ = ece_by_masks(F.softmax(test_logits / T, dim=1), test_labels)
    assert after < 0.9 * before
    # more steps reach the temperature that made the labels, and a calibrated model
    for _ in range(30):
        T = fit_temperature(val_logits, val_labels, start=T.item())
    assert T.item() == pytest.approx(3.0, rel=0.1)
    with torch.no_grad():
        calibrated, _ = ece_by_masks(F.softmax(test_logits / T, dim=1), test_labels)
    assert calibrated < 0.03 and calibrated < 0.2 * after


@needs_torch
def test_temperature_fit_is_pytorchs_lbfgs():
    logits, labels = overconfident_logits(500, seed=12)
    tt = real_torch
    z64, y = logits.astype(np.float64), labels
    T_ours = nn.Parameter(torch.ones(1, dtype=torch.float64))
    T_theirs = tt.nn.Parameter(tt.ones(1, dtype=tt.float64))
    for T, lib, O, Fn in ((T_ours, torch, optim, F),
                          (T_theirs, tt, tt.optim, tt.nn.functional)):
        opt = O.LBFGS([T], lr=0.01, max_iter=50)
        logits_t, labels_t = lib.tensor(z64), lib.tensor(y)

        def closure(opt=opt, T=T, Fn=Fn, logits_t=logits_t, labels_t=labels_t):
            opt.zero_grad()
            loss = Fn.cross_entropy(logits_t / T, labels_t)
            loss.backward()
            return loss

        opt.step(closure)
    assert T_ours.item() == pytest.approx(T_theirs.item(), rel=1e-12)


def test_split_conformal_sets_reach_their_coverage():
    cal_logits, cal_labels = overconfident_logits(1000, seed=13)
    test_logits, test_labels = overconfident_logits(4000, seed=14)
    cal_p = F.softmax(torch.tensor(cal_logits) / 3.0, dim=1)
    test_p = F.softmax(torch.tensor(test_logits) / 3.0, dim=1)
    cal_labels, test_labels = torch.tensor(cal_labels), torch.tensor(test_labels)
    n = len(cal_labels)
    scores = 1 - cal_p[torch.arange(n), cal_labels]
    for alpha in (0.05, 0.1, 0.2):
        level = math.ceil((n + 1) * (1 - alpha)) / n
        qhat = torch.quantile(scores, level, interpolation="higher")
        # numpy's quantile with method="higher" (the same position rule: a little above the
        # ceil((n + 1)(1 - alpha))-th smallest score, a little conservative)
        assert qhat.item() == np.quantile(scores.numpy(), level, method="higher")
        assert qhat.item() >= np.sort(scores.numpy())[math.ceil((n + 1) * (1 - alpha)) - 1]
        if real_torch is not None:
            assert qhat.item() == real_torch.quantile(real_torch.tensor(scores.numpy()), level,
                                                      interpolation="higher").item()
        sets = test_p >= 1 - qhat
        coverage = sets[torch.arange(len(test_labels)), test_labels].float().mean().item()
        assert coverage >= 1 - alpha - 0.02 and coverage <= 1 - alpha + 0.04
        assert sets.sum(1).float().mean().item() < 5
    # a larger alpha, smaller sets
    small = test_p >= 1 - torch.quantile(scores, 0.5, interpolation="higher")
    assert small.sum(1).float().mean().item() < sets.sum(1).float().mean().item() + 1e-9


def test_spiral_classifier_entropy_is_higher_where_it_errs():
    x, y = spiral(100, seed=15)
    xt, yt = spiral(100, seed=16)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 3))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    X, Y = torch.tensor(x), torch.tensor(y)
    for _ in range(200):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        p = F.softmax(model(torch.tensor(xt)), dim=1)
    entropy = -(p * p.clamp_min(1e-12).log()).sum(1)
    wrong = p.argmax(1).numpy() != yt
    assert 0 < wrong.sum() < 0.25 * len(yt)
    assert entropy.numpy()[wrong].mean() > 2 * entropy.numpy()[~wrong].mean()
    assert np.all(entropy.numpy() <= math.log(3) + 1e-6)
    # a one-hot row: the clamp keeps 0 · log 0 at 0 and its gradient finite
    q = Tensor(np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]), requires_grad=True)
    h = -(q * q.clamp_min(1e-12).log()).sum(1)
    assert h.data[0] == 0
    h.sum().backward()
    assert np.all(np.isfinite(q.grad))
    assert gradcheck(lambda t: -(t * t.clamp_min(1e-12).log()).sum(), Tensor(
        np.array([[0.2, 0.3, 0.5]]), requires_grad=True))


# -- PyTorch's names in this course --------------------------------------------------------------

def test_distributions_normals_kl_and_entropy_by_quadrature():
    d = torch.distributions
    m1, s1 = torch.tensor([0.3, -1.0]), torch.tensor([0.5, 2.0])
    m2, s2 = torch.tensor([0.0, 0.5]), torch.tensor([1.0, 1.5])
    q, p = d.Normal(m1, s1), d.Normal(m2, s2)
    kl, entropy = d.kl_divergence(q, p), q.entropy()
    assert kl.shape == entropy.shape == (2,) and kl.dtype == np.float32
    # by the definitions: KL = E_q[log q - log p], H = -E_q[log q], by quadrature
    grid = np.linspace(-30, 30, 200001)[:, None]
    log_q = (-((grid - m1.numpy()) / s1.numpy()) ** 2 / 2 - np.log(s1.numpy())
             - math.log(2 * math.pi) / 2)
    log_p = (-((grid - m2.numpy()) / s2.numpy()) ** 2 / 2 - np.log(s2.numpy())
             - math.log(2 * math.pi) / 2)
    dx = grid[1, 0] - grid[0, 0]
    np.testing.assert_allclose(kl.numpy(), (np.exp(log_q) * (log_q - log_p)).sum(0) * dx,
                               rtol=1e-5)
    np.testing.assert_allclose(entropy.numpy(), -(np.exp(log_q) * log_q).sum(0) * dx, rtol=1e-5)
    # log_prob is log q itself, at points of the grid
    x = torch.tensor(grid[[90000, 100000, 110000], 0].astype(np.float32))
    np.testing.assert_allclose(q.log_prob(x.unsqueeze(1)).numpy(),
                               log_q[[90000, 100000, 110000]], rtol=1e-5)
    if real_torch is not None:
        rd = real_torch.distributions
        rq = rd.Normal(real_torch.tensor(m1.numpy()), real_torch.tensor(s1.numpy()))
        rp = rd.Normal(real_torch.tensor(m2.numpy()), real_torch.tensor(s2.numpy()))
        np.testing.assert_allclose(kl.numpy(), rd.kl_divergence(rq, rp).numpy(), rtol=1e-6)
        np.testing.assert_allclose(entropy.numpy(), rq.entropy().numpy(), rtol=1e-6)


def test_pytorchs_constants_and_finfo():
    assert torch.pi == math.pi and torch.e == math.e
    assert torch.inf == math.inf and math.isnan(torch.nan)
    assert torch.finfo(torch.float32).eps == np.finfo(np.float32).eps
    assert torch.finfo(torch.float64).tiny > 0 and torch.iinfo(torch.long).max == 2 ** 63 - 1
    var = torch.tensor([0.5, 2.0])
    np.testing.assert_allclose((0.5 * torch.log(2 * torch.pi * var)).numpy(),
                               0.5 * np.log(2 * np.pi * np.array([0.5, 2.0])), rtol=1e-6)
    namespace: dict = {}
    exec("from autograd import *", namespace)
    assert "e" not in namespace and "pi" not in namespace        # never hides a user's e


def test_a_shape_given_to_tensor_says_to_write_empty():
    # Bayes-by-backprop code's nn.Parameter(torch.Tensor(out, in).uniform_(-0.2, 0.2))
    for sizes in ((64, 1), (1, 64), (3, 0), (16, 3, 5, 5)):
        shape = ", ".join(map(str, sizes))
        with pytest.raises(TypeError, match=rf"autograd\.empty\({shape}\)"):
            torch.Tensor(*sizes)
    w = nn.Parameter(torch.empty(64, 1).uniform_(-0.2, 0.2))
    assert w.shape == (64, 1) and w.dtype == np.float32 and np.abs(w.data).max() <= 0.2
    # numbers with requires_grad and dtype given positionally still work
    assert torch.Tensor(3, 1, np.float32).requires_grad
    assert torch.Tensor([1.0, 2.0], True).requires_grad
