"""A user trial: normalizing flows written the PyTorch way with the imports changed (`import
autograd as torch`, `import nn`). A planar flow with the invertibility fix (u made to satisfy
w·u ≥ -1 through `F.softplus`), a RealNVP of affine couplings under alternating binary masks
(`mask * x + (1 - mask) * (x * torch.exp(s) + t)`, s from `torch.tanh` of an MLP), MADE's
masked linear layer (`self.weight * self.mask`, the mask a buffer) as an affine autoregressive
layer, Glow's invertible linear layer with its `torch.linalg.slogdet`, ActNorm with its
data-dependent start, and a 1-d mixture's log-density by `torch.logsumexp`. The base density is
written by hand, the course's fallback for `torch.distributions` (-0.5 |z|² - log 2π in 2-d).
Training is maximum likelihood with Adam; sampling inverts the flow. The data (two moons, eight
Gaussians, a 1-d mixture) are made here with fixed seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import gradcheck, gradcheck_parameters
from nn import functional as F

from torch_helpers import needs_torch, torch


def two_moons(n: int, rng: np.random.Generator, noise: float = 0.05) -> np.ndarray:
    """(n, 2): two interleaved half circles, centred and scaled to about unit spread."""
    a, b = rng.uniform(0, np.pi, n // 2), rng.uniform(0, np.pi, n - n // 2)
    upper = np.stack([np.cos(a), np.sin(a)], 1)
    lower = np.stack([1 - np.cos(b), 0.5 - np.sin(b)], 1)
    x = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    return (x - [0.5, 0.25]) * 1.5


CENTRES = 2.0 * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], 1)


def eight_gaussians(n: int, rng: np.random.Generator, sd: float = 0.2) -> np.ndarray:
    """(n, 2): a point near one of eight centres on a circle of radius 2."""
    return CENTRES[rng.integers(0, 8, n)] + sd * rng.standard_normal((n, 2))


def mixture_1d(n: int, rng: np.random.Generator) -> np.ndarray:
    k = rng.integers(0, 3, n)
    return np.array([-2.0, 0.5, 3.0])[k] + np.array([0.5, 0.3, 0.8])[k] * rng.standard_normal(n)


def _flows(torch, nn, F):
    """The course's flow classes in PyTorch's spelling, for `torch` = PyTorch or glassgrad."""

    def base_log_prob(z):
        # MultivariateNormal(torch.zeros(2), torch.eye(2)).log_prob(z)
        return -0.5 * (z ** 2).sum(1) - math.log(2 * math.pi)

    class Planar(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.u = nn.Parameter(torch.randn(1, d) * 0.5)
            self.w = nn.Parameter(torch.randn(1, d) * 0.5)
            self.b = nn.Parameter(torch.zeros(1))

        def u_hat(self):            # w·û = -1 + softplus(w·u) > -1: the map stays invertible
            wu = (self.w * self.u).sum()
            return self.u + (F.softplus(wu) - 1 - wu) * self.w / (self.w ** 2).sum()

        def forward(self, z):
            u = self.u_hat()
            h = torch.tanh(z @ self.w.T + self.b)
            psi = (1 - h ** 2) * self.w
            return z + u * h, torch.log(torch.abs(1 + psi @ u.T)).squeeze(-1)

    def mlp(i, hidden, o):
        return nn.Sequential(nn.Linear(i, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                             nn.ReLU(), nn.Linear(hidden, o))

    class Coupling(nn.Module):
        def __init__(self, mask, hidden):
            super().__init__()
            self.register_buffer('mask', mask)
            self.s = mlp(2, hidden, 2)
            self.t = mlp(2, hidden, 2)

        def forward(self, x):                       # data -> latent, log|det|
            xm = self.mask * x
            s = torch.tanh(self.s(xm)) * (1 - self.mask)
            t = self.t(xm) * (1 - self.mask)
            z = self.mask * x + (1 - self.mask) * (x * torch.exp(s) + t)
            return z, s.sum(1)

        def inverse(self, z):
            zm = self.mask * z
            s = torch.tanh(self.s(zm)) * (1 - self.mask)
            t = self.t(zm) * (1 - self.mask)
            return zm + (1 - self.mask) * (z - t) * torch.exp(-s)

    class RealNVP(nn.Module):
        def __init__(self, n=4, hidden=64):
            super().__init__()
            masks = [torch.tensor([1.0, 0.0]) if i % 2 == 0 else torch.tensor([0.0, 1.0])
                     for i in range(n)]
            self.layers = nn.ModuleList([Coupling(m, hidden) for m in masks])

        def forward(self, x):
            logdet = torch.zeros(x.shape[0], dtype=x.dtype)
            for layer in self.layers:
                x, ld = layer(x)
                logdet = logdet + ld
            return x, logdet

        def log_prob(self, x):
            z, logdet = self(x)
            return base_log_prob(z) + logdet

        def inverse(self, z):
            for layer in reversed(self.layers):
                z = layer.inverse(z)
            return z

        def sample(self, n):
            # MultivariateNormal(torch.zeros(2), torch.eye(2)).sample((n,))
            return self.inverse(torch.randn(n, 2))

    class MaskedLinear(nn.Linear):
        def __init__(self, i, o, mask):
            super().__init__(i, o)
            self.register_buffer('mask', mask)

        def forward(self, x):
            return F.linear(x, self.weight * self.mask, self.bias)

    class MADE(nn.Module):
        """An affine autoregressive layer: x_i's shift and log-scale from x_<i."""
        def __init__(self, d, hidden):
            super().__init__()
            deg_in = torch.arange(1, d + 1)
            deg_h = torch.arange(hidden) % max(d - 1, 1) + 1
            m1 = (deg_h.unsqueeze(1) >= deg_in.unsqueeze(0)).float()
            m2 = (deg_h.unsqueeze(1) >= deg_h.unsqueeze(0)).float()
            m3 = (torch.cat([deg_in, deg_in]).unsqueeze(1) > deg_h.unsqueeze(0)).float()
            self.net = nn.Sequential(MaskedLinear(d, hidden, m1), nn.ReLU(),
                                     MaskedLinear(hidden, hidden, m2), nn.ReLU(),
                                     MaskedLinear(hidden, 2 * d, m3))
            self.d = d

        def forward(self, x):                       # x -> z, log|det dz/dx|
            mu, log_sigma = self.net(x).chunk(2, dim=1)
            log_sigma = torch.tanh(log_sigma)
            return (x - mu) * torch.exp(-log_sigma), -log_sigma.sum(1)

        def inverse(self, z):                       # one dimension at a time
            x = torch.zeros_like(z)
            for _ in range(self.d):
                mu, log_sigma = self.net(x).chunk(2, dim=1)
                x = z * torch.exp(torch.tanh(log_sigma)) + mu
            return x

    class Invertible1x1(nn.Module):
        """Glow's 1x1 convolution on (N, C) vectors: z = x Wᵀ, log|det W| for each row."""
        def __init__(self, c):
            super().__init__()
            q, _ = torch.linalg.qr(torch.randn(c, c))
            self.weight = nn.Parameter(q)

        def forward(self, x):
            _, logabsdet = torch.linalg.slogdet(self.weight)
            return x @ self.weight.T, logabsdet.expand(x.shape[0])

    class ActNorm(nn.Module):
        """Glow's per-feature affine map, started from the first batch's mean and spread."""
        def __init__(self, d):
            super().__init__()
            self.loc = nn.Parameter(torch.zeros(1, d))
            self.log_scale = nn.Parameter(torch.zeros(1, d))
            self.register_buffer('initialized', torch.tensor(0, dtype=torch.uint8))

        def forward(self, x):
            if self.initialized.item() == 0:
                with torch.no_grad():
                    self.loc.copy_(-x.mean(0, keepdim=True))
                    # PyTorch's x.std(0, keepdim=True) divides by n - 1; glassgrad's would divide
                    # by n, so it asks for the divisor: unbiased=True is the same in both
                    std = x.std(0, unbiased=True, keepdim=True)
                    self.log_scale.copy_(-torch.log(std + 1e-6))
                    self.initialized.fill_(1)
            z = (x + self.loc) * torch.exp(self.log_scale)
            return z, self.log_scale.sum().expand(x.shape[0])

    class Swap(nn.Module):
        """The permutation between couplings: the two coordinates swapped."""
        def forward(self, x):
            return torch.flip(x, dims=[1]), torch.zeros(x.shape[0], dtype=x.dtype)

        def inverse(self, z):
            return z.flip(dims=[1])

    def mixture_log_prob(x, logits, mu, log_sd):
        # MixtureSameFamily(Categorical(logits=logits), Normal(mu, log_sd.exp())).log_prob(x)
        x = x.unsqueeze(-1)
        comp = -0.5 * ((x - mu) / torch.exp(log_sd)) ** 2 - log_sd - 0.5 * math.log(2 * math.pi)
        return torch.logsumexp(F.log_softmax(logits, dim=-1) + comp, dim=-1)

    return dict(base_log_prob=base_log_prob, Planar=Planar, RealNVP=RealNVP, MADE=MADE,
                Invertible1x1=Invertible1x1, ActNorm=ActNorm, Swap=Swap,
                mixture_log_prob=mixture_log_prob)


OURS = _flows(autograd, nn, F)
base_log_prob = OURS["base_log_prob"]


def _fit(model, log_prob, data: np.ndarray, steps: int, lr: float = 3e-3, batch: int = 128):
    """Maximum likelihood with Adam on random batches; the losses."""
    X = autograd.tensor(data)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = -log_prob(X[autograd.randint(0, len(data), (batch,))]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _jacobians(f, x: np.ndarray) -> np.ndarray:
    """(n, d, d): each row's Jacobian of the row-wise map f."""
    J = autograd.autograd.functional.jacobian(f, autograd.tensor(x))     # (n, d, n, d)
    n = len(x)
    return J.data[np.arange(n), :, np.arange(n), :]


def test_realnvp_learns_two_moons_beats_the_base_density_on_held_out_points_and_samples():
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    train, held_out = two_moons(1000, rng), autograd.tensor(two_moons(500, rng))
    flow = OURS["RealNVP"](4, 32)
    losses = _fit(flow, flow.log_prob, train, steps=250)
    with autograd.no_grad():
        ours, base = flow.log_prob(held_out).mean().item(), base_log_prob(held_out).mean().item()
        samples = flow.sample(500).numpy()
        z, _ = flow(held_out)
        back = flow.inverse(z)
    assert np.mean(losses[-20:]) < np.mean(losses[:5]) - 0.7, losses[::50]
    assert ours > base + 0.8, (ours, base)                      # a real density, not the base
    np.testing.assert_allclose(back.numpy(), held_out.numpy(), atol=1e-5)
    # the samples, made by inverting the flow, lie on the moons: near a data point far more
    # often than the base's own draws do
    def near(points):
        d = np.sqrt(((points[:, None, :] - train[None, :, :]) ** 2).sum(-1)).min(1)
        return np.mean(d < 0.15)
    assert near(samples) > near(rng.standard_normal((500, 2))) + 0.25


def test_realnvp_log_likelihood_gradient_is_the_finite_differences_in_float64():
    autograd.manual_seed(1)
    flow = OURS["RealNVP"](2, 4).double()
    x = autograd.tensor(np.random.default_rng(1).standard_normal((6, 2)))
    assert gradcheck_parameters(lambda: flow.log_prob(x).mean(), flow.named_parameters(),
                                atol=1e-8, rtol=1e-6)


def test_realnvp_log_det_is_the_log_abs_det_of_its_jacobian():
    autograd.manual_seed(2)
    autograd.set_default_dtype(np.float64)
    try:
        flow = OURS["RealNVP"](4, 8)
    finally:
        autograd.set_default_dtype(np.float32)
    x = np.random.default_rng(2).standard_normal((5, 2))
    _, logdet = flow(autograd.tensor(x))
    J = _jacobians(lambda v: flow(v)[0], x)
    np.testing.assert_allclose(logdet.numpy(), np.linalg.slogdet(J)[1], atol=1e-12)


def test_planar_flow_stays_invertible_and_its_log_det_is_the_jacobians():
    autograd.manual_seed(3)
    rng = np.random.default_rng(3)
    planar = OURS["Planar"](2).double()
    with autograd.no_grad():                        # a u that breaks invertibility: w·u < -1
        planar.w.copy_(autograd.tensor([[1.0, 0.5]]))
        planar.u.copy_(autograd.tensor([[-3.0, -1.0]]))
    u_hat = planar.u_hat()
    assert (planar.w * u_hat).sum().item() > -1 > (planar.w * planar.u).sum().item()
    x = rng.standard_normal((6, 2))
    _, logdet = planar(autograd.tensor(x))
    J = _jacobians(lambda v: planar(v)[0], x)
    sign, logabs = np.linalg.slogdet(J)
    assert (sign > 0).all()                         # orientation kept at every point
    np.testing.assert_allclose(logdet.numpy(), logabs, atol=1e-12)
    # the log-det's gradient, in the parameters and in the point, against finite differences
    assert gradcheck_parameters(lambda: planar(autograd.tensor(x))[1].sum(),
                                planar.named_parameters(), atol=1e-8, rtol=1e-6)
    gradcheck(lambda v: planar(v)[1], x)


def test_planar_flow_fitted_by_reverse_kl_to_the_eight_gaussians_density():
    # the target's log-density by hand, a mixture by logsumexp:
    # MixtureSameFamily(Categorical(logits=torch.zeros(8)),
    #                   Independent(Normal(centres, 0.5 * torch.ones(8, 2)), 1)).log_prob(z)
    centres = autograd.tensor(CENTRES)
    def target_log_prob(z):
        sq = ((z.unsqueeze(1) - centres) ** 2).sum(-1) / 0.5 ** 2
        return (autograd.logsumexp(-0.5 * sq, dim=1) - math.log(8)
                - 2 * math.log(0.5) - math.log(2 * math.pi))
    autograd.manual_seed(4)
    flows = nn.ModuleList([OURS["Planar"](2) for _ in range(16)]).double()
    opt = nn.optim.Adam(flows.parameters(), lr=1e-2)
    eps = autograd.tensor(np.random.default_rng(4).standard_normal((4, 256, 2)))
    kls = []
    for step in range(150):
        z = eps[step % 4] * 2.0                     # q0 = N(0, 2² I)
        log_q = base_log_prob(z / 2.0) - 2 * math.log(2.0)
        for f in flows:
            z, logdet = f(z)
            log_q = log_q - logdet
        kl = (log_q - target_log_prob(z)).mean()    # reverse KL, up to the target's constant
        opt.zero_grad()
        kl.backward()
        opt.step()
        kls.append(kl.item())
    assert np.mean(kls[-10:]) < np.mean(kls[:4]) - 3.0, kls[::25]


def test_made_is_autoregressive_its_log_det_the_jacobians_and_it_inverts():
    autograd.manual_seed(5)
    made = OURS["MADE"](3, 12).double()
    x = np.random.default_rng(5).standard_normal((4, 3))
    z, logdet = made(autograd.tensor(x))
    J = _jacobians(lambda v: made(v)[0], x)
    np.testing.assert_array_equal(np.triu(J, 1), 0)    # z_i reads only x_≤i: triangular
    np.testing.assert_allclose(logdet.numpy(), np.linalg.slogdet(J)[1], atol=1e-12)
    np.testing.assert_allclose(made.inverse(z).numpy(), x, atol=1e-12)
    assert [name for name, _ in made.named_buffers()] == ["net.0.mask", "net.2.mask",
                                                          "net.4.mask"]
    assert not any(name.endswith("mask") for name, _ in made.named_parameters())
    made(autograd.tensor(x))[1].sum().backward()
    # the masked-out weights get no gradient: the mask multiplies it to zero
    assert (made.net[0].weight.grad[made.net[0].mask.numpy() == 0] == 0).all()


def test_a_masked_autoregressive_flow_with_actnorm_learns_the_eight_gaussians():
    autograd.manual_seed(6)
    rng = np.random.default_rng(6)
    train, held_out = eight_gaussians(1000, rng), autograd.tensor(eight_gaussians(500, rng))
    layers = nn.ModuleList([OURS["ActNorm"](2), OURS["MADE"](2, 32), OURS["Swap"](),
                            OURS["MADE"](2, 32), OURS["Swap"](), OURS["MADE"](2, 32)])

    def log_prob(x):
        total = 0
        for layer in layers:
            x, logdet = layer(x)
            total = total + logdet
        return base_log_prob(x) + total

    losses = _fit(layers, log_prob, train, steps=200, lr=5e-3)
    actnorm = layers[0]
    assert actnorm.initialized.item() == 1 and actnorm.initialized.dtype == np.uint8
    with autograd.no_grad():
        ours, base = log_prob(held_out).mean().item(), base_log_prob(held_out).mean().item()
    assert ours > base + 0.7, (ours, base, losses[::40])


def test_glows_linear_layer_log_det_is_the_batch_of_slogdets():
    autograd.manual_seed(7)
    rng = np.random.default_rng(7)
    layer = OURS["Invertible1x1"](3).double()
    x = rng.standard_normal((4, 3))
    z, logdet = layer(autograd.tensor(x))
    np.testing.assert_allclose(logdet.numpy(), 0.0, atol=1e-6)  # a float32 rotation at first
    np.testing.assert_allclose(z.numpy(), x @ layer.weight.numpy().T, atol=1e-15)
    W = rng.standard_normal((5, 3, 3))
    sign, logabs = autograd.linalg.slogdet(autograd.tensor(W))
    want_sign, want_logabs = np.linalg.slogdet(W)
    np.testing.assert_array_equal(sign.numpy(), want_sign)
    np.testing.assert_allclose(logabs.numpy(), want_logabs, rtol=1e-13)
    assert autograd.linalg.slogdet(autograd.tensor(W)).logabsdet.shape == (5,)
    # d log|det W| / dW = W⁻ᵀ, and finite differences agree
    Wt = autograd.tensor(W, requires_grad=True)
    autograd.linalg.slogdet(Wt)[1].sum().backward()
    np.testing.assert_allclose(Wt.grad, np.linalg.inv(W).transpose(0, 2, 1), rtol=1e-12)
    gradcheck(lambda w: autograd.linalg.slogdet(w)[1], W)


def test_a_mixtures_log_density_by_logsumexp_integrates_to_one_and_beats_one_gaussian():
    mixture_log_prob = OURS["mixture_log_prob"]
    rng = np.random.default_rng(8)
    train, held_out = mixture_1d(2000, rng), autograd.tensor(mixture_1d(1000, rng))
    logits = autograd.zeros(3, dtype=np.float64, requires_grad=True)
    mu = autograd.tensor([-1.0, 0.0, 1.0], dtype=np.float64, requires_grad=True)
    log_sd = autograd.zeros(3, dtype=np.float64, requires_grad=True)
    opt = nn.optim.Adam([logits, mu, log_sd], lr=0.05)
    X = autograd.tensor(train)
    for _ in range(300):
        loss = -mixture_log_prob(X, logits, mu, log_sd).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    # one Gaussian by its closed form, Normal(m, s).log_prob(x) written out
    m, s = train.mean(), train.std()
    one = np.mean(-0.5 * ((held_out.numpy() - m) / s) ** 2 - math.log(s)
                  - 0.5 * math.log(2 * math.pi))
    with autograd.no_grad():
        ours = mixture_log_prob(held_out, logits, mu, log_sd).mean().item()
        grid = np.linspace(-12, 12, 4001)
        density = mixture_log_prob(autograd.tensor(grid), logits, mu, log_sd).exp().numpy()
    assert ours > one + 0.25, (ours, one)
    assert abs(density.sum() * (grid[1] - grid[0]) - 1) < 1e-6     # a density: mass one
    np.testing.assert_allclose(np.sort(mu.numpy()), [-2.0, 0.5, 3.0], atol=0.15)
    # by hand, with the weights' softmax outside the log, the same numbers
    x = autograd.tensor(np.linspace(-3, 3, 7))
    w = F.softmax(logits, dim=-1)
    by_hand = (w * (-0.5 * ((x.unsqueeze(-1) - mu) / log_sd.exp()) ** 2 - log_sd).exp()).sum(-1)
    np.testing.assert_allclose(mixture_log_prob(x, logits, mu, log_sd).numpy(),
                               by_hand.log().numpy() - 0.5 * math.log(2 * math.pi), rtol=1e-12)
    gradcheck(lambda a, b, c: mixture_log_prob(x, a, b, c), logits.numpy(), mu.numpy(),
              log_sd.numpy())


def _copy_into_torch(ours, theirs) -> None:
    theirs.load_state_dict({k: torch.as_tensor(np.array(v)) for k, v in ours.state_dict().items()})


def _same_gradients(ours, theirs) -> None:
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, named[name].grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


@needs_torch
@pytest.mark.parametrize("kind", ["RealNVP", "Planar", "MADE", "Invertible1x1"])
def test_each_flow_matches_pytorch_from_the_same_weights(kind):
    import torch.nn as tnn
    import torch.nn.functional as tF
    theirs_classes = _flows(torch, tnn, tF)
    args = {"RealNVP": (4, 16), "Planar": (2,), "MADE": (3, 12), "Invertible1x1": (3,)}[kind]
    autograd.manual_seed(9)
    ours = OURS[kind](*args).double()
    theirs = theirs_classes[kind](*args).double()
    _copy_into_torch(ours, theirs)
    x = np.random.default_rng(9).standard_normal((32, 3 if kind in ("MADE", "Invertible1x1")
                                                  else 2))
    (z, logdet), (tz, tlogdet) = ours(autograd.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(z.numpy(), tz.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(logdet.numpy(), tlogdet.detach().numpy(), rtol=1e-12, atol=1e-14)
    ((z ** 2).sum() + logdet.sum()).backward()
    ((tz ** 2).sum() + tlogdet.sum()).backward()
    _same_gradients(ours, theirs)
    if kind in ("RealNVP", "MADE"):
        back, tback = ours.inverse(z.detach()), theirs.inverse(tz.detach())
        np.testing.assert_allclose(back.numpy(), tback.detach().numpy(), atol=1e-12)


@needs_torch
def test_realnvp_training_steps_match_pytorch_and_the_mixture_matches_torch_distributions():
    import torch.nn as tnn
    import torch.nn.functional as tF
    theirs_classes = _flows(torch, tnn, tF)
    autograd.manual_seed(10)
    ours = OURS["RealNVP"](4, 16).double()
    theirs = theirs_classes["RealNVP"](4, 16).double()
    _copy_into_torch(ours, theirs)
    data = two_moons(64, np.random.default_rng(10))
    opts = nn.optim.Adam(ours.parameters(), lr=1e-2), torch.optim.Adam(theirs.parameters(), lr=1e-2)
    for _ in range(3):
        for model, opt, x in ((ours, opts[0], autograd.tensor(data)),
                              (theirs, opts[1], torch.tensor(data))):
            loss = -model.log_prob(x).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.numpy(), named[name].detach().numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)
    # the hand-written mixture against PyTorch's own distributions
    rng = np.random.default_rng(11)
    logits, mu, log_sd, x = (rng.standard_normal(3), rng.standard_normal(3),
                             0.3 * rng.standard_normal(3), rng.standard_normal(20))
    D = torch.distributions
    want = D.MixtureSameFamily(D.Categorical(logits=torch.tensor(logits)),
                               D.Normal(torch.tensor(mu), torch.tensor(log_sd).exp()))
    got = OURS["mixture_log_prob"](*(autograd.tensor(a) for a in (x, logits, mu, log_sd)))
    np.testing.assert_allclose(got.numpy(), want.log_prob(torch.tensor(x)).numpy(), rtol=1e-12)
    z = rng.standard_normal((10, 2))
    base = D.MultivariateNormal(torch.zeros(2, dtype=torch.float64),
                                torch.eye(2, dtype=torch.float64))
    np.testing.assert_allclose(base_log_prob(autograd.tensor(z)).numpy(),
                               base.log_prob(torch.tensor(z)).numpy(), rtol=1e-14)
