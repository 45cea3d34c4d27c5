"""A user trial: autoencoders as prototyped on a laptop, written the PyTorch way with the imports
changed (`import autograd as torch`, `import nn`, `from nn import functional as F`, `nn.optim`
for `torch.optim`): an MLP autoencoder, a convolutional one (strided Conv2d down,
ConvTranspose2d with output_padding up, Sigmoid), one that upsamples with `nn.Upsample` and
trains on logits, a denoising variant, and the encoder used alone afterwards. The data are small
blurred blobs on an 8x8 grid, made here.

The model code is written once, in `_models(torch, nn, F)`, and built with either library, so
the cross-check runs the very same lines in PyTorch from the same weights."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from nn import functional as F

from torch_helpers import assert_stepped_as_torch, needs_torch, torch


def _blobs(n: int, rng: np.random.Generator, size: int = 8) -> np.ndarray:
    """(n, 1, size, size) float32 images of one Gaussian blob each, values in (0, 1]."""
    yy, xx = np.mgrid[0:size, 0:size]
    cx, cy = rng.uniform(2, size - 2, (2, n))
    r = rng.uniform(1.0, 2.5, n)
    d2 = (xx[None] - cx[:, None, None]) ** 2 + (yy[None] - cy[:, None, None]) ** 2
    return np.exp(-d2 / (2 * r[:, None, None] ** 2)).astype(np.float32)[:, None]


def _models(torch, nn, F):
    """The three autoencoders, in PyTorch's spelling, for `torch` = PyTorch or glassgrad."""

    class MLPAutoencoder(nn.Module):
        def __init__(self, pixels: int = 64, hidden: int = 32, code: int = 8):
            super().__init__()
            self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU(),
                                         nn.Linear(hidden, code))
            self.decoder = nn.Sequential(nn.Linear(code, hidden), nn.ReLU(),
                                         nn.Linear(hidden, pixels), nn.Sigmoid(),
                                         nn.Unflatten(1, (1, 8, 8)))

        def forward(self, x):
            return self.decoder(self.encoder(x))

    class ConvAutoencoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(                                   # 8 -> 4 -> 2
                nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
                nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
            self.decoder = nn.Sequential(                                   # 2 -> 4 -> 8
                nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),
                nn.Sigmoid())

        def forward(self, x):
            return self.decoder(self.encoder(x))

    class UpsamplingAutoencoder(nn.Module):
        """Upsample + Conv2d instead of transposed convolutions; returns logits."""

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(
                nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
                nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.LeakyReLU(0.2))
            self.decoder = nn.Sequential(
                nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(16, 8, 3, padding=1),
                nn.ReLU(), nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                nn.Conv2d(8, 1, 3, padding=1))

        def forward(self, x):
            return self.decoder(self.encoder(x))

    return MLPAutoencoder, ConvAutoencoder, UpsamplingAutoencoder


def _step(torch, nn, F, model, optimizer, x, kind: str, noise=None):
    """One training step as a prototyper writes it; returns the loss."""
    inputs = x if noise is None else (x + 0.3 * noise).clamp(0, 1)
    out = model(inputs)
    if kind == "bce":
        loss = F.binary_cross_entropy(out, x)
    elif kind == "logits":
        loss = F.binary_cross_entropy_with_logits(out, x)
    else:
        loss = nn.MSELoss()(out, x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


MLP, CONV, UP = _models(autograd, nn, F)


def _train(model, kind: str, steps: int, denoise: bool = False, lr: float = 1e-2):
    rng = np.random.default_rng(1)
    images = autograd.tensor(_blobs(256, rng))
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x = images[autograd.randint(0, 256, (32,))]
        noise = autograd.randn_like(x) if denoise else None
        losses.append(_step(autograd, nn, F, model, optimizer, x, kind, noise).item())
    return images, losses


@pytest.mark.parametrize("build, kind", [(MLP, "bce"), (MLP, "mse"), (CONV, "bce"),
                                         (UP, "logits")],
                         ids=["mlp-bce", "mlp-mse", "conv-transpose-bce", "upsample-logits"])
def test_each_autoencoder_learns_to_reconstruct_the_blobs(build, kind):
    autograd.manual_seed(0)
    model = build()
    images, losses = _train(model, kind, steps=120)
    start, end = np.mean(losses[:5]), np.mean(losses[-10:])
    # the BCE of a perfect reconstruction is the images' own entropy, not 0: measure the error
    with autograd.no_grad():
        out = model(images)
        recon = out.sigmoid() if kind == "logits" else out
    mse = float(((recon - images) ** 2).mean().item())
    assert recon.shape == (256, 1, 8, 8) and recon.dtype == np.float32
    assert end < 0.7 * start, (start, end)
    assert mse < 0.1 * float(images.data.var()), (mse, float(images.data.var()))


def test_the_denoising_autoencoder_removes_most_of_the_noise():
    autograd.manual_seed(0)
    model = CONV()
    images, _ = _train(model, "bce", steps=150, denoise=True)
    noisy = (images + 0.3 * autograd.randn_like(images)).clamp(0, 1)
    assert noisy.min().item() >= 0.0 and noisy.max().item() <= 1.0
    with autograd.no_grad():
        cleaned = model(noisy)
    before = ((noisy - images) ** 2).mean().item()
    after = ((cleaned - images) ** 2).mean().item()
    assert after < 0.35 * before, (before, after)


def test_the_encoder_alone_under_no_grad_gives_the_codes_without_a_graph():
    autograd.manual_seed(0)
    model = CONV()
    images, _ = _train(model, "bce", steps=30)
    model.eval()
    with autograd.no_grad():
        codes = model.encoder(images[:10])
        flat = codes.flatten(1)
    assert codes.shape == (10, 16, 2, 2) and flat.shape == (10, 64)
    assert not codes.requires_grad and codes.op == ""
    with autograd.no_grad():     # the decoder of the codes is the model's own reconstruction
        np.testing.assert_array_equal(model.decoder(codes).data, model(images[:10]).data)
    mlp = MLP()
    with autograd.no_grad():
        assert mlp.encoder(images[:3]).shape == (3, 8)


def test_the_binary_cross_entropies_are_the_formula():
    rng = np.random.default_rng(2)
    x = _blobs(4, rng)
    p = rng.uniform(0.05, 0.95, x.shape).astype(np.float32)
    z = np.log(p / (1 - p))
    want = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    got = F.binary_cross_entropy(autograd.tensor(p), autograd.tensor(x))
    np.testing.assert_allclose(got.item(), want.mean(), rtol=1e-5)
    got = F.binary_cross_entropy_with_logits(autograd.tensor(z), autograd.tensor(x),
                                             reduction="sum")
    np.testing.assert_allclose(got.item(), want.sum(), rtol=1e-5)


@needs_torch
@pytest.mark.parametrize("which, kind, denoise", [(0, "bce", False), (0, "mse", False),
                                                  (1, "bce", False), (2, "logits", False),
                                                  (1, "bce", True)],
                         ids=["mlp-bce", "mlp-mse", "conv-bce", "upsample-logits", "denoise"])
def test_one_step_matches_pytorch_from_the_same_weights(which, kind, denoise):
    import torch.nn as tnn
    import torch.nn.functional as tF
    rng = np.random.default_rng(3)
    x = _blobs(16, rng)
    noise = rng.standard_normal(x.shape).astype(np.float32) if denoise else None
    ours = _models(autograd, nn, F)[which]()
    theirs = _models(torch, tnn, tF)[which]()
    theirs.load_state_dict({k: torch.as_tensor(np.array(v)) for k, v in ours.state_dict().items()})
    loss = _step(autograd, nn, F, ours, nn.optim.Adam(ours.parameters(), lr=1e-3),
                 autograd.tensor(x), kind, None if noise is None else autograd.tensor(noise))
    expected = _step(torch, tnn, tF, theirs, torch.optim.Adam(theirs.parameters(), lr=1e-3),
                     torch.tensor(x), kind, None if noise is None else torch.tensor(noise))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    assert_stepped_as_torch(ours, theirs)
