"""A user trial: a variational autoencoder written the PyTorch way with the imports changed. The
encoder gives `mu` and `logvar` (two heads, or one head cut by `torch.chunk` / `h.split`), the
reparameterisation `mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)`, the KL term
`-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())`, the reconstruction
`F.binary_cross_entropy(recon, x, reduction='sum')`, new samples decoded from
`torch.randn(n, latent)` under no_grad, and interpolation in latent space with `torch.lerp` and
`torch.linspace`. The data are 8x8 images of one horizontal or vertical stroke, made here."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from autograd import gradcheck
from nn import functional as F

from torch_helpers import assert_stepped_as_torch, needs_torch, torch

LATENT = 2


def _strokes(n: int, rng: np.random.Generator, size: int = 8) -> np.ndarray:
    """(n, size * size) float32 images of one full-length stroke: a row or a column."""
    images = np.zeros((n, size, size), np.float32)
    at = rng.integers(1, size - 1, n)
    across = rng.random(n) < 0.5
    images[across, at[across], 1:size - 1] = 1.0
    images[~across, 1:size - 1, at[~across]] = 1.0
    return images.reshape(n, -1)


def _vae(torch, nn, F):
    """The VAE class in PyTorch's spelling, for `torch` = PyTorch or glassgrad."""

    class VAE(nn.Module):
        def __init__(self, pixels: int = 64, hidden: int = 64, latent: int = LATENT,
                     one_head: bool = False):
            super().__init__()
            self.one_head = one_head
            self.fc1 = nn.Linear(pixels, hidden)
            if one_head:
                self.head = nn.Linear(hidden, 2 * latent)
            else:
                self.fc_mu = nn.Linear(hidden, latent)
                self.fc_logvar = nn.Linear(hidden, latent)
            self.fc3 = nn.Linear(latent, hidden)
            self.fc4 = nn.Linear(hidden, pixels)

        def encode(self, x):
            h = F.relu(self.fc1(x))
            if self.one_head:
                return torch.chunk(self.head(h), 2, dim=1)
            return self.fc_mu(h), self.fc_logvar(h)

        def reparameterize(self, mu, logvar, eps=None):
            std = torch.exp(0.5 * logvar)
            eps = torch.randn_like(std) if eps is None else eps
            return mu + eps * std

        def decode(self, z):
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

        def forward(self, x, eps=None):
            mu, logvar = self.encode(x.view(-1, 64))
            z = self.reparameterize(mu, logvar, eps)
            return self.decode(z), mu, logvar

    return VAE


def _loss(torch, F, recon, x, mu, logvar):
    """The negative ELBO summed over the batch: reconstruction + KL, and the two parts."""
    bce = F.binary_cross_entropy(recon, x.view(-1, 64), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld, bce, kld


VAE = _vae(autograd, nn, F)


def _train(model, steps: int = 200):
    images = autograd.tensor(_strokes(256, np.random.default_rng(0)))
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    history = []
    model.train()
    for _ in range(steps):
        x = images[autograd.randperm(256)[:64]]
        recon, mu, logvar = model(x)
        loss, bce, kld = _loss(autograd, F, recon, x, mu, logvar)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append((loss.item() / 64, bce.item() / 64, kld.item() / 64))
    return images, np.array(history)


@pytest.mark.parametrize("one_head", [False, True], ids=["two-heads", "chunk"])
def test_the_vae_learns_its_elbo_falls_and_its_kl_opens_up(one_head):
    autograd.manual_seed(0)
    model = VAE(one_head=one_head)
    images, history = _train(model)
    loss, bce, kld = history.T
    assert (kld >= 0).all()                             # a KL divergence is never negative
    assert np.mean(loss[-10:]) < 0.25 * np.mean(loss[:5]), loss[[0, -1]]
    assert np.mean(bce[-10:]) < 0.15 * np.mean(bce[:5])
    # the posterior moves off the prior as the codes start to carry the strokes
    assert kld[0] < 0.1 and np.mean(kld[-10:]) > 1.0
    model.eval()
    with autograd.no_grad():
        recon, mu, logvar = model(images, eps=autograd.zeros(256, LATENT))
        total, _, _ = _loss(autograd, F, recon, images, mu, logvar)
    assert total.item() / 256 < 0.3 * np.mean(loss[:5])


def test_the_kl_term_is_the_closed_form_and_its_gradient_the_finite_differences():
    rng = np.random.default_rng(1)
    mu, logvar = rng.normal(size=(5, LATENT)), rng.normal(scale=0.5, size=(5, LATENT))
    want = 0.5 * np.sum(mu ** 2 + np.exp(logvar) - 1 - logvar)
    kld = -0.5 * autograd.sum(1 + autograd.tensor(logvar) - autograd.tensor(mu).pow(2)
                              - autograd.tensor(logvar).exp())
    np.testing.assert_allclose(kld.item(), want, rtol=1e-12)
    zero = -0.5 * autograd.sum(1 + autograd.zeros(3, 2) - autograd.zeros(3, 2).pow(2)
                               - autograd.zeros(3, 2).exp())
    assert zero.item() == 0.0                           # the prior itself: no divergence
    gradcheck(lambda m, lv: -0.5 * autograd.sum(1 + lv - m.pow(2) - lv.exp()), mu, logvar)


def test_the_reparameterisation_passes_gradients_to_mu_and_logvar():
    autograd.manual_seed(2)
    mu = autograd.tensor(np.array([[0.3, -1.2]])).requires_grad_()
    logvar = autograd.tensor(np.array([[0.4, -0.6]])).requires_grad_()
    eps = autograd.randn_like(mu)
    z = mu + autograd.exp(0.5 * logvar) * eps
    dmu, dlogvar = autograd.grad(z.sum(), [mu, logvar])
    np.testing.assert_allclose(dmu.data, 1.0)
    np.testing.assert_allclose(dlogvar.data, 0.5 * np.exp(0.5 * logvar.data) * eps.data)
    gradcheck(lambda m, lv: m + (0.5 * lv).exp() * eps.data, mu.data, logvar.data)


def test_one_head_cut_by_chunk_or_split_gives_the_same_mu_and_logvar():
    autograd.manual_seed(3)
    model = VAE(one_head=True)
    x = autograd.tensor(_strokes(4, np.random.default_rng(3)))
    h = model.head(F.relu(model.fc1(x)))
    by_chunk = autograd.chunk(h, 2, dim=1)
    for pieces in (h.split(LATENT, dim=1), h.split([LATENT, LATENT], dim=1), h.chunk(2, 1)):
        for a, b in zip(pieces, by_chunk):
            assert a.shape == (4, LATENT)
            np.testing.assert_array_equal(a.data, b.data)
    mu, logvar = by_chunk
    (mu.sum() + 2 * logvar.sum()).backward()
    np.testing.assert_allclose(model.head.bias.grad, [4, 4, 8, 8])     # 4 rows each


def test_sampling_and_interpolating_in_latent_space_under_no_grad():
    autograd.manual_seed(4)
    model = VAE()
    images, _ = _train(model, steps=60)
    model.eval()
    with autograd.no_grad():
        samples = model.decode(autograd.randn(16, LATENT))
        grid = samples.view(16, 1, 8, 8)
        mu, _ = model.encode(images[:2])
        ts = autograd.linspace(0, 1, 5)
        path = autograd.stack([autograd.lerp(mu[0], mu[1], float(t)) for t in ts])
        by_weights = autograd.lerp(mu[0:1], mu[1:2], ts.unsqueeze(1))
        by_formula = (1 - ts[:, None]) * mu[0] + ts[:, None] * mu[1]
        frames = model.decode(path)
    assert grid.shape == (16, 1, 8, 8) and not samples.requires_grad and samples.op == ""
    assert samples.min().item() > 0 and samples.max().item() < 1
    np.testing.assert_allclose(by_weights.data, path.data, atol=1e-7)
    np.testing.assert_allclose(by_formula.data, path.data, atol=1e-6)
    np.testing.assert_array_equal(path.data[0], mu.data[0])
    np.testing.assert_allclose(path.data[-1], mu.data[1], atol=1e-7)
    assert frames.shape == (5, 64)
    with autograd.no_grad():
        ends = model.decode(mu)
    np.testing.assert_allclose(frames.data[[0, -1]], ends.data, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("one_head", [False, True], ids=["two-heads", "chunk"])
def test_one_step_matches_pytorch_from_the_same_weights_and_noise(one_head):
    import torch.nn as tnn
    import torch.nn.functional as tF
    rng = np.random.default_rng(5)
    x = _strokes(32, rng)
    eps = rng.standard_normal((32, LATENT)).astype(np.float32)
    ours, theirs = VAE(one_head=one_head), _vae(torch, tnn, tF)(one_head=one_head)
    theirs.load_state_dict({k: torch.as_tensor(np.array(v)) for k, v in ours.state_dict().items()})
    results = []
    for lib, Fn, model, opt, make in (
            (autograd, F, ours, nn.optim.Adam(ours.parameters(), lr=1e-3), autograd.tensor),
            (torch, tF, theirs, torch.optim.Adam(theirs.parameters(), lr=1e-3), torch.tensor)):
        recon, mu, logvar = model(make(x), make(eps))
        loss, bce, kld = _loss(lib, Fn, recon, make(x), mu, logvar)
        opt.zero_grad()
        loss.backward()
        opt.step()
        results.append((loss.item(), bce.item(), kld.item()))
    # (float32: the KL term, 0.37, is what is left of a sum of terms near 1 that cancel, so
    # one float32 rounding of mu or logvar by another BLAS kernel moves it ~1e-6 relatively,
    # as on s32's host, where it read 0.37123173 against PyTorch's 0.37123215)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=2e-6)
    assert_stepped_as_torch(ours, theirs)
