"""A user trial: the likelihood-based weeks of a deep generative models course, written the
PyTorch way with the imports changed (`import autograd as torch`, `import nn`,
`from nn import functional as F`). RealNVP couplings under alternating masks with the base
density a `torch.distributions.MultivariateNormal`, checked for invertibility and for its
log-det against `torch.autograd.functional.jacobian`'s slogdet in float64; a planar flow; a
`TransformedDistribution` of `ComposeTransform([AffineTransform, SigmoidTransform])`; MADE
(masked `nn.Linear`, the mask a buffer, random orderings) and a PixelCNN (an `nn.Conv2d`
subclass whose forward is `F.conv2d(x, self.weight * self.mask, ...)`, masks A and B) on
binarized 8x8 images with `BCEWithLogits`, sampled pixel by pixel with `torch.bernoulli`, and
their causality checked by gradients; a WaveNet block (dilated causal `Conv1d`, gated
tanh * sigmoid, residual and skip sums); an IWAE bound by `torch.logsumexp` and bits per dim.
The same class code runs on PyTorch where it is installed: same weights, same numbers.

What the trial found, and what was done:
- Everything the weeks use was there and agreed with PyTorch 2.13 in float64 (losses to 1e-10,
  gradients to 1e-9): MultivariateNormal, Independent, TransformedDistribution with Affine,
  Sigmoid (and .inv) and Compose transforms and a user's Transform subclass, masked Linear and
  Conv2d subclasses with buffers, dilated Conv1d, torch.bernoulli / multinomial, logsumexp,
  autograd.functional.jacobian and torch.func.vmap(jacrev), weight_norm. Training times of
  these small models were PyTorch's on one thread (a RealNVP, MADE, PixelCNN, WaveNet step).
- `p.data.clone()` (PixelCNN's `register_buffer("mask", self.weight.data.clone())`): the note
  said `a.copy()`, an array whose `fill_(1)` fails next; it now says
  `self.weight.detach().clone()` first (a Tensor, as PyTorch's).
- `slogdet(jacobian(flow, x_batch))`, of shape (b, d, b, d): the error now names the mistake
  and the two ways out (each sample's jacobian, or the diagonal blocks).
- `torch.bernoulli(logits)` in a sampling loop: the error asks whether they are logits.
- Left: `p.grad.numpy()` at top level (`.grad` is an ndarray here; no glassgrad code sees that
  error to note it); `self.mask.data.copy_(m)` (MADE's spelling) gets the existing note.
- Slow: torch.autograd.grad / jacobian with respect to an input computed every parameter's
  gradient in each pass too (ops' `needs` are fixed when the node is made): a PixelCNN's 64x64
  input jacobian took 38 ms, 21 ms with frozen weights. `Op.narrow` now narrows Linear,
  MatMul, Einsum and the convolutions to what leads to the inputs: 22 ms (PyTorch 11-13 ms,
  7 ms with vectorize=True, which glassgrad accepts without vectorizing: left)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from nn import functional as F

from torch_helpers import needs_torch, torch as real_torch


def two_moons(n: int, rng: np.random.Generator, noise: float = 0.06) -> np.ndarray:
    """(n, 2): two interleaved half circles, centred to about unit spread."""
    a, b = rng.uniform(0, np.pi, n // 2), rng.uniform(0, np.pi, n - n // 2)
    upper = np.stack([np.cos(a), np.sin(a)], 1)
    lower = np.stack([1 - np.cos(b), 0.5 - np.sin(b)], 1)
    return (np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2)) - [0.5, 0.25])


def binary_images(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 1, 8, 8) 0/1 images: a horizontal or a vertical bar at a random place, a little
    salt noise; a structured distribution an autoregressive model can learn quickly."""
    x = np.zeros((n, 1, 8, 8))
    for i in range(n):
        k = rng.integers(1, 7)
        if rng.random() < 0.5:
            x[i, 0, k - 1:k + 1, :] = 1.0
        else:
            x[i, 0, :, k - 1:k + 1] = 1.0
    flip = rng.random(x.shape) < 0.02
    return np.where(flip, 1.0 - x, x)


def _course(torch, nn, F):
    """The course's model classes in PyTorch's spelling, for `torch` = PyTorch or glassgrad."""

    class Coupling(nn.Module):
        """Affine coupling: the masked part passes, the rest is scaled and shifted."""

        def __init__(self, mask, hidden=32):
            super().__init__()
            self.register_buffer("mask", mask)
            d = mask.shape[0]
            self.net = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(),
                                     nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, 2 * d))

        def forward(self, x):                      # x -> z, log|det dz/dx|
            xm = x * self.mask
            s, t = self.net(xm).chunk(2, dim=1)
            s = torch.tanh(s) * (1 - self.mask)
            t = t * (1 - self.mask)
            z = xm + (1 - self.mask) * (x * torch.exp(s) + t)
            return z, s.sum(dim=1)

        def inverse(self, z):
            zm = z * self.mask
            s, t = self.net(zm).chunk(2, dim=1)
            s = torch.tanh(s) * (1 - self.mask)
            t = t * (1 - self.mask)
            return zm + (1 - self.mask) * ((z - t) * torch.exp(-s))

    class RealNVP(nn.Module):
        def __init__(self, d=2, n_layers=6):
            super().__init__()
            masks = [torch.tensor([float((i + j) % 2) for j in range(d)]) for i in range(n_layers)]
            self.layers = nn.ModuleList([Coupling(m) for m in masks])
            self.base = torch.distributions.MultivariateNormal(torch.zeros(d), torch.eye(d))

        def forward(self, x):
            log_det = torch.zeros(x.shape[0], dtype=x.dtype)
            for layer in self.layers:
                x, ld = layer(x)
                log_det = log_det + ld
            return x, log_det

        def log_prob(self, x):
            z, log_det = self(x)
            return self.base.log_prob(z) + log_det

        def inverse(self, z):
            for layer in reversed(self.layers):
                z = layer.inverse(z)
            return z

        def sample(self, n):
            return self.inverse(self.base.sample((n,)))

    class Planar(nn.Module):
        def __init__(self, d=2):
            super().__init__()
            self.w = nn.Parameter(torch.randn(d) * 0.7)
            self.u = nn.Parameter(torch.randn(d) * 0.7)
            self.b = nn.Parameter(torch.zeros(1))

        def forward(self, z):
            wu = (self.w * self.u).sum()
            # invertibility: u_hat with w.u_hat >= -1
            u_hat = self.u + (-1 + F.softplus(wu) - wu) * self.w / (self.w ** 2).sum()
            a = z @ self.w + self.b
            f = z + u_hat * torch.tanh(a).unsqueeze(1)
            psi = (1 - torch.tanh(a) ** 2).unsqueeze(1) * self.w
            return f, torch.log(torch.abs(1 + psi @ u_hat) + 1e-12)

    class MaskedLinear(nn.Linear):
        def __init__(self, n_in, n_out):
            super().__init__(n_in, n_out)
            self.register_buffer("mask", torch.ones(n_out, n_in))

        def set_mask(self, mask):
            # (PyTorch's MADE writes self.mask.data.copy_(mask); .data is the numpy array
            # here, and the error's note says to copy_ into the buffer itself)
            self.mask.copy_(mask)

        def forward(self, x):
            return F.linear(x, self.weight * self.mask, self.bias)

    class MADE(nn.Module):
        def __init__(self, d, hidden, order):
            super().__init__()
            self.l1, self.l2 = MaskedLinear(d, hidden), MaskedLinear(hidden, hidden)
            self.out = MaskedLinear(hidden, d)
            self.set_order(order, d, hidden)

        def set_order(self, order, d, hidden):
            g = torch.Generator().manual_seed(0)
            m0 = order
            m1 = torch.randint(0, d - 1, (hidden,), generator=g)
            m2 = torch.randint(0, d - 1, (hidden,), generator=g)
            self.l1.set_mask((m1[:, None] >= m0[None, :]).float())
            self.l2.set_mask((m2[:, None] >= m1[None, :]).float())
            self.out.set_mask((m0[:, None] > m2[None, :]).float())

        def forward(self, x):
            h = F.relu(self.l1(x))
            h = F.relu(self.l2(h))
            return self.out(h)

    class MaskedConv2d(nn.Conv2d):
        def __init__(self, mask_type, *args, **kwargs):
            super().__init__(*args, **kwargs)
            assert mask_type in ("A", "B")
            _, _, kh, kw = self.weight.shape
            mask = torch.ones_like(self.weight)
            mask[:, :, kh // 2, kw // 2 + (mask_type == "B"):] = 0
            mask[:, :, kh // 2 + 1:] = 0
            self.register_buffer("mask", mask)

        def forward(self, x):
            return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)

    class MaskedConv2dInPlace(nn.Conv2d):
        """The other common spelling: the mask a copy of the weight, applied to the weight's
        numbers in place before each forward (glassgrad's note on `self.weight.data.clone()`
        said to write `self.weight.detach().clone()`)."""

        def __init__(self, mask_type, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.register_buffer("mask", self.weight.detach().clone())
            _, _, kh, kw = self.weight.size()
            self.mask.fill_(1)
            self.mask[:, :, kh // 2, kw // 2 + (mask_type == "B"):] = 0
            self.mask[:, :, kh // 2 + 1:] = 0

        def forward(self, x):
            self.weight.data *= self.mask
            return super().forward(x)

    class PixelCNN(nn.Module):
        def __init__(self, channels=16):
            super().__init__()
            self.net = nn.Sequential(
                MaskedConv2d("A", 1, channels, 5, padding=2), nn.ReLU(),
                MaskedConv2d("B", channels, channels, 3, padding=1), nn.ReLU(),
                MaskedConv2d("B", channels, channels, 3, padding=1), nn.ReLU(),
                nn.Conv2d(channels, 1, 1))

        def forward(self, x):
            return self.net(x)

        @torch.no_grad()
        def sample(self, n, size=8):
            x = torch.zeros(n, 1, size, size)
            for i in range(size):
                for j in range(size):
                    probs = torch.sigmoid(self(x)[:, :, i, j])
                    x[:, :, i, j] = torch.bernoulli(probs)
            return x

    class CausalConv1d(nn.Conv1d):
        def __init__(self, c_in, c_out, kernel_size, dilation):
            super().__init__(c_in, c_out, kernel_size, dilation=dilation)
            self.left = (kernel_size - 1) * dilation

        def forward(self, x):
            return super().forward(F.pad(x, (self.left, 0)))

    class WaveNetBlock(nn.Module):
        def __init__(self, channels, skip, dilation):
            super().__init__()
            self.filt = CausalConv1d(channels, channels, 2, dilation)
            self.gate = CausalConv1d(channels, channels, 2, dilation)
            self.res = nn.Conv1d(channels, channels, 1)
            self.skip = nn.Conv1d(channels, skip, 1)

        def forward(self, x):
            h = torch.tanh(self.filt(x)) * torch.sigmoid(self.gate(x))
            return x + self.res(h), self.skip(h)

    class WaveNet(nn.Module):
        def __init__(self, channels=8, skip=8, dilations=(1, 2, 4, 8)):
            super().__init__()
            self.inp = CausalConv1d(1, channels, 2, 1)
            self.blocks = nn.ModuleList([WaveNetBlock(channels, skip, d) for d in dilations])
            self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(skip, 1, 1))

        def forward(self, x):                     # predicts x[t + 1] from x[: t + 1]
            h = self.inp(x)
            skips = 0
            for block in self.blocks:
                h, s = block(h)
                skips = skips + s
            return self.head(skips)

    class VAE(nn.Module):
        def __init__(self, d=64, hidden=64, latent=4):
            super().__init__()
            self.enc = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
            self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, d))

        def iwae_bound(self, x, k, eps):
            """log (1/k) sum_i p(x, z_i) / q(z_i | x) with z_i = mu + sigma * eps_i."""
            mu, log_var = self.enc(x).chunk(2, dim=-1)
            std = torch.exp(0.5 * log_var)
            z = mu + std * eps                                        # (k, batch, latent)
            logits = self.dec(z)
            log_px_z = -F.binary_cross_entropy_with_logits(
                logits, x.expand_as(logits), reduction="none").sum(-1)
            prior = torch.distributions.Normal(torch.zeros_like(z), torch.ones_like(z))
            log_pz = prior.log_prob(z).sum(-1)
            log_qz = torch.distributions.Normal(mu, std).log_prob(z).sum(-1)
            log_w = log_px_z + log_pz - log_qz
            return torch.logsumexp(log_w, dim=0) - math.log(k)

    return dict(RealNVP=RealNVP, Planar=Planar, MADE=MADE, MaskedConv2d=MaskedConv2d,
                MaskedConv2dInPlace=MaskedConv2dInPlace,
                PixelCNN=PixelCNN, WaveNet=WaveNet, VAE=VAE)


ours = _course(autograd, nn, F)


def bits_per_dim(nll_nats, dims):
    return nll_nats / (dims * math.log(2))


def test_realnvp_learns_two_moons_inverts_and_its_log_det_is_the_jacobians():
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    data = autograd.tensor(two_moons(512, rng), dtype=autograd.float32)
    held_out = autograd.tensor(two_moons(256, rng), dtype=autograd.float32)
    flow = ours["RealNVP"]()
    opt = nn.optim.Adam(flow.parameters(), lr=5e-3)
    start = -flow.log_prob(held_out).mean().item()
    for step in range(300):
        batch = data[autograd.randint(0, 512, (128,))]
        loss = -flow.log_prob(batch).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    end = -flow.log_prob(held_out).mean().item()
    # the standard normal's NLL of these points is about 2.3 nats; the flow must do far better
    assert start > 2.0 and end < 1.4, (start, end)
    with autograd.no_grad():
        samples = flow.sample(2000).numpy()
    # the samples avoid the hole inside the upper moon (around (0, 0.1)) like the data
    near_hole = (np.hypot(samples[:, 0], samples[:, 1] - 0.05) < 0.2).mean()
    assert near_hole < 0.03, near_hole

    flow64 = flow.double()
    x = autograd.tensor(two_moons(6, rng))
    z, log_det = flow64(x)
    assert np.abs(flow64.inverse(z).numpy() - x.numpy()).max() < 1e-12
    for i in range(x.shape[0]):
        jac = autograd.autograd.functional.jacobian(lambda v: flow64(v[None])[0][0], x[i])
        sign, logabs = autograd.linalg.slogdet(jac)
        assert sign.item() == 1.0
        assert abs(logabs.item() - log_det[i].item()) < 1e-12


def test_planar_flow_log_det_is_the_jacobians_and_a_transformed_distribution_is_pytorchs():
    autograd.manual_seed(1)
    flow = ours["Planar"]().double()
    z = autograd.randn(5, 2, dtype=autograd.float64) * 1.5
    f, log_det = flow(z)
    for i in range(5):
        jac = autograd.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], z[i])
        # 1e-9, not 1e-12: the forward adds 1e-12 inside its log
        assert abs(autograd.linalg.slogdet(jac)[1].item() - log_det[i].item()) < 1e-9
    # w.u_hat >= -1 keeps det J = 1 + u_hat . psi > 0 everywhere
    assert (autograd.linalg.det(autograd.autograd.functional.jacobian(
        lambda v: flow(v[None])[0][0], z[0])) > 0).item()

    D = autograd.distributions
    loc = autograd.tensor([0.3, -0.2], dtype=autograd.float64, requires_grad=True)
    scale = autograd.tensor([1.5, 0.7], dtype=autograd.float64, requires_grad=True)
    unit = D.TransformedDistribution(
        D.Normal(autograd.zeros(2, dtype=autograd.float64),
                 autograd.ones(2, dtype=autograd.float64)),
        D.ComposeTransform([D.AffineTransform(loc, scale), D.SigmoidTransform()]))
    y = autograd.tensor([[0.2, 0.9], [0.5, 0.01]], dtype=autograd.float64)
    lp = unit.log_prob(y)
    lp.sum().backward()
    # by hand: x = logit(y), log p = N(x; loc, scale) - log(y (1 - y))
    x = np.log(y.numpy() / (1 - y.numpy()))
    hand = (-0.5 * ((x - loc.detach().numpy()) / scale.detach().numpy()) ** 2
            - np.log(scale.detach().numpy()) - 0.5 * math.log(2 * math.pi)
            - np.log(y.numpy() * (1 - y.numpy())))
    assert np.allclose(lp.detach().numpy(), hand, rtol=1e-12, atol=1e-12)
    s = unit.sample((1000,))
    assert s.shape == (1000, 2) and 0 < s.min().item() and s.max().item() < 1
    if real_torch is not None:
        tl = real_torch.tensor(loc.detach().numpy(), requires_grad=True)
        ts = real_torch.tensor(scale.detach().numpy(), requires_grad=True)
        TD = real_torch.distributions
        theirs = TD.TransformedDistribution(
            TD.Normal(real_torch.zeros(2, dtype=real_torch.float64),
                      real_torch.ones(2, dtype=real_torch.float64)),
            TD.ComposeTransform([TD.AffineTransform(tl, ts), TD.SigmoidTransform()]))
        tlp = theirs.log_prob(real_torch.tensor(y.numpy()))
        tlp.sum().backward()
        assert np.allclose(lp.detach().numpy(), tlp.detach().numpy(), rtol=1e-12)
        assert np.allclose(loc.grad, tl.grad.numpy(), rtol=1e-12)
        assert np.allclose(scale.grad, ts.grad.numpy(), rtol=1e-12)


def _first_dependence(model, x, i):
    """The input positions that output i's gradient reaches (flattened)."""
    x = x.detach().clone().requires_grad_(True)
    out = model(x).reshape(x.shape[0], -1)
    out[0, i].backward()
    return np.nonzero(np.abs(x.grad.reshape(x.shape[0], -1)[0]) > 0)[0]


def test_made_with_a_random_order_is_autoregressive_and_learns_binary_images():
    autograd.manual_seed(2)
    d = 64
    order = autograd.randperm(d)
    made = ours["MADE"](d, 128, order)
    x = autograd.rand(3, d)
    o = order.numpy()
    for i in range(0, d, 7):
        seen = _first_dependence(made, x, i)
        assert np.all(o[seen] < o[i]), (i, seen)
    # the first in the order sees nothing; the last may see everything before it
    assert _first_dependence(made, x, int(np.argmin(o))).size == 0

    rng = np.random.default_rng(2)
    data = autograd.tensor(binary_images(512, rng).reshape(512, d), dtype=autograd.float32)
    test = autograd.tensor(binary_images(256, rng).reshape(256, d), dtype=autograd.float32)
    criterion = nn.BCEWithLogitsLoss(reduction="none")
    opt = nn.optim.Adam(made.parameters(), lr=3e-3)
    for epoch in range(25):
        for batch in data.split(64):
            loss = criterion(made(batch), batch).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with autograd.no_grad():
        nll = criterion(made(test), test).sum(1).mean().item()
    bpd = bits_per_dim(nll, d)
    # independent pixels at the data's pixel frequency cost about 0.8 bits per dim
    assert bpd < 0.45, bpd


def test_pixelcnn_masks_are_causal_it_learns_bars_and_samples_pixel_by_pixel():
    autograd.manual_seed(3)
    mask_a = ours["MaskedConv2d"]("A", 1, 1, 5, padding=2).mask[0, 0].numpy()
    mask_b = ours["MaskedConv2d"]("B", 1, 1, 5, padding=2).mask[0, 0].numpy()
    assert mask_a.sum() == 12 and mask_b.sum() == 13 and mask_b[2, 2] == 1 and mask_a[2, 2] == 0
    in_place = ours["MaskedConv2dInPlace"]("A", 1, 3, 5, padding=2)
    assert np.array_equal(in_place.mask[:, 0].numpy(), np.broadcast_to(mask_a, (3, 5, 5)))
    x = autograd.rand(1, 1, 8, 8)
    assert np.all(_first_dependence(in_place, x, 27) < 27)

    model = ours["PixelCNN"](channels=16)
    x = autograd.rand(2, 1, 8, 8)
    for i in (0, 9, 27, 36, 63):
        seen = _first_dependence(model, x, i)
        assert np.all(seen < i), (i, seen)
    assert _first_dependence(model, x, 0).size == 0
    assert _first_dependence(model, x, 63).size > 20          # receptive field grows: 5 + 2 + 2

    rng = np.random.default_rng(3)
    data = autograd.tensor(binary_images(256, rng), dtype=autograd.float32)
    test = autograd.tensor(binary_images(128, rng), dtype=autograd.float32)
    opt = nn.optim.Adam(model.parameters(), lr=5e-3)
    for epoch in range(6):
        for batch in data.split(32):
            loss = F.binary_cross_entropy_with_logits(model(batch), batch, reduction="sum") / 32
            opt.zero_grad()
            loss.backward()
            opt.step()
    with autograd.no_grad():
        nll = F.binary_cross_entropy_with_logits(model(test), test, reduction="sum").item() / 128
    assert bits_per_dim(nll, 64) < 0.5, bits_per_dim(nll, 64)
    samples = model.sample(16).numpy()[:, 0]
    assert set(np.unique(samples)) <= {0.0, 1.0}
    # a learned sample is mostly a bar: some full row or column of ones (the noise is 2%)
    full_lines = [(s.sum(1) >= 7).any() or (s.sum(0) >= 7).any() for s in samples]
    assert np.mean(full_lines) > 0.3, np.mean(full_lines)         # untrained: about 0


def periodic_bits(n: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 1, length) 0/1 sequences: the pattern 1,1,0,1,0,0 from a random phase, 3% flipped."""
    pattern = np.array([1, 1, 0, 1, 0, 0], dtype=float)
    phase = rng.integers(0, 6, n)
    x = pattern[(np.arange(length)[None, :] + phase[:, None]) % 6][:, None, :]
    return np.where(rng.random(x.shape) < 0.03, 1 - x, x)


def test_wavenet_is_causal_its_receptive_field_is_seventeen_and_it_learns_a_pattern():
    autograd.manual_seed(4)
    net = ours["WaveNet"]()
    x = autograd.randn(1, 1, 40)
    seen = _first_dependence(net, x, 30)
    # the input conv (2 taps) and dilations 1, 2, 4, 8: inputs 14..30, never the future
    assert seen.min() == 30 - 16 and seen.max() == 30, seen

    rng = np.random.default_rng(4)
    data = autograd.tensor(periodic_bits(64, 48, rng), dtype=autograd.float32)
    opt = nn.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for step in range(60):
        logits = net(data)[:, :, :-1]
        # the first 16 predictions see the zero padding; score the rest
        loss = F.binary_cross_entropy_with_logits(logits[..., 16:], data[:, :, 17:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    # a period-6 pattern with 3% flips: the best is about H(0.03) = 0.135 nats per step
    assert losses[0] > 0.6 and min(losses[-5:]) < 0.25, (losses[0], losses[-5:])


def test_iwae_bound_tightens_with_more_samples_and_is_in_bits_per_dim():
    autograd.manual_seed(5)
    rng = np.random.default_rng(5)
    data = autograd.tensor(binary_images(256, rng).reshape(256, 64), dtype=autograd.float32)
    vae = ours["VAE"]()
    opt = nn.optim.Adam(vae.parameters(), lr=3e-3)
    k = 5
    for epoch in range(15):
        for batch in data.split(64):
            eps = autograd.randn(k, batch.shape[0], 4)
            loss = -vae.iwae_bound(batch, k, eps).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    x = data[:64]
    with autograd.no_grad():
        bounds = {kk: np.mean([vae.iwae_bound(x, kk, autograd.randn(kk, 64, 4)).mean().item()
                               for _ in range(4)]) for kk in (1, 10, 200)}
    # L_1 (the ELBO) <= L_10 <= L_200 <= log p(x)
    assert bounds[1] < bounds[10] < bounds[200], bounds
    bpd = bits_per_dim(-bounds[200], 64)
    assert bpd < 0.6, bpd


def _losses(lib, F_, models, data):
    """Each model's training loss on fixed data, written once for either library."""
    images, flat, moons, seqs, eps = data
    return {
        "RealNVP": lambda m: -m.log_prob(moons).mean(),
        "MADE": lambda m: F_.binary_cross_entropy_with_logits(m(flat), flat, reduction="sum"),
        "PixelCNN": lambda m: F_.binary_cross_entropy_with_logits(m(images), images),
        "WaveNet": lambda m: F_.binary_cross_entropy_with_logits(m(seqs)[..., :-1],
                                                                 seqs[..., 1:]),
        "VAE": lambda m: -m.iwae_bound(flat, 7, eps).mean(),
    }


@needs_torch
@pytest.mark.parametrize("name", ["RealNVP", "MADE", "PixelCNN", "WaveNet", "VAE"])
def test_each_model_matches_pytorch_from_the_same_weights(name):
    tnn, tF = real_torch.nn, real_torch.nn.functional
    theirs_classes = _course(real_torch, tnn, tF)
    rng = np.random.default_rng(6)
    arrays = (binary_images(3, rng), binary_images(5, rng).reshape(5, 64), two_moons(9, rng),
              periodic_bits(2, 30, rng), rng.standard_normal((7, 5, 4)))
    args = {"MADE": (64, 32, np.random.default_rng(7).permutation(64))}.get(name, ())
    old = real_torch.get_default_dtype()
    autograd.set_default_dtype(autograd.float64)
    real_torch.set_default_dtype(real_torch.float64)
    try:
        autograd.manual_seed(6)
        ours_model = ours[name](*[autograd.tensor(a) if isinstance(a, np.ndarray) else a
                                  for a in args])
        their_model = theirs_classes[name](*[real_torch.tensor(a) if isinstance(a, np.ndarray)
                                            else a for a in args])
        their_model.load_state_dict({k: real_torch.tensor(np.array(v))
                                     for k, v in ours_model.state_dict().items()})
        ours_loss = _losses(autograd, F, ours_model, [autograd.tensor(a) for a in arrays])[name](
            ours_model)
        their_loss = _losses(real_torch, tF, their_model,
                             [real_torch.tensor(a) for a in arrays])[name](their_model)
    finally:
        autograd.set_default_dtype(autograd.float32)
        real_torch.set_default_dtype(old)
    ours_loss.backward()
    their_loss.backward()
    assert abs(ours_loss.item() - their_loss.item()) <= 1e-10 * abs(their_loss.item())
    theirs_params = dict(their_model.named_parameters())
    for key, p in ours_model.named_parameters():
        expected = theirs_params[key].grad
        if expected is None:            # WaveNet's last residual conv feeds nothing
            assert p.grad is None, key
            continue
        assert np.allclose(p.grad, expected.numpy(), rtol=1e-9, atol=1e-12), key


def test_the_mistakes_of_these_weeks_get_errors_that_say_what_to_write():
    autograd.manual_seed(8)
    flow = ours["RealNVP"]().double()
    x = autograd.tensor(two_moons(4, np.random.default_rng(8)))
    # jacobian of the whole batch: (4, 2, 4, 2), which slogdet cannot take
    jac = autograd.autograd.functional.jacobian(lambda v: flow(v)[0], x)
    with pytest.raises(ValueError, match=r"slogdet: A must be a square matrix .* got shape "
                       r"\(4, 2, 4, 2\); this looks like the jacobian of a batch") as err:
        autograd.linalg.slogdet(jac)
    assert "J.diagonal(dim1=0, dim2=2).permute(2, 0, 1)" in str(err.value)
    # the way it names works: the samples of a coupling flow do not mix
    blocks = jac.diagonal(dim1=0, dim2=2).permute(2, 0, 1)
    assert np.allclose(autograd.linalg.slogdet(blocks)[1].numpy(), flow(x)[1].numpy(),
                       rtol=0, atol=1e-12)
    # a sampling loop that hands torch.bernoulli the network's logits
    with pytest.raises(ValueError, match=r"bernoulli: probabilities must be in \[0, 1\], got "
                       r"-0\.5; if these are logits, take torch\.sigmoid\(logits\) first"):
        autograd.bernoulli(autograd.tensor([-0.5, 2.0]))
    with pytest.raises(ValueError, match=r"bernoulli_: probabilities .* got 1\.5; if these"):
        autograd.zeros(2).bernoulli_(autograd.tensor([0.2, 1.5]))
    with pytest.raises(ValueError, match=r"got nan$"):
        autograd.bernoulli(autograd.tensor([float("nan")]))
    # PixelCNN's register_buffer("mask", self.weight.data.clone()): .data is numpy's here
    with pytest.raises(AttributeError) as err:
        ours["MaskedConv2d"]("A", 1, 1, 3).weight.data.clone()
    from autograd.pytorch_names import note_numpy_attribute
    note_numpy_attribute(err.value)
    assert "self.weight.detach().clone()" in err.value.__notes__[0]
