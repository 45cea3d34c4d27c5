"""A user trial: GANs as prototyped on a laptop, written the PyTorch way with the imports changed.
A generator and a discriminator with LeakyReLU(0.2) on a 2-d mixture of 8 Gaussians, two Adam
optimizers with betas=(0.5, 0.999), `nn.BCEWithLogitsLoss()` with smoothed labels (0.9),
`fake.detach()` for the discriminator's step, the generator's step through a discriminator
whose parameters are switched off with `requires_grad_(False)`; a WGAN-GP (the gradient penalty
by `grad(outputs=..., inputs=..., grad_outputs=..., create_graph=True, retain_graph=True)` —
`torch.autograd.grad` as written — then `.norm(2, dim=1)`), weight
clipping, spectral norm, a tiny DCGAN on 8x8 blobs with DCGAN's `weights_init`, and a trained
generator's checkpoint loaded by PyTorch.

The networks are written once, in `_nets(nn)`, and built with either library for the
cross-checks against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import grad, gradcheck_parameters, gradgradcheck

from torch_helpers import needs_torch, torch

NOISE = 8


def _modes() -> np.ndarray:
    """The 8 centres, on a circle of radius 2."""
    angles = np.arange(8) * (2 * math.pi / 8)
    return 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _real(n: int) -> autograd.Tensor:
    """n points of the mixture (std 0.05 around each centre), float32."""
    modes = autograd.tensor(_modes(), dtype=autograd.float32)
    return modes[autograd.randint(0, 8, (n,))] + 0.05 * autograd.randn(n, 2)


def _nets(nn):
    def generator():
        return nn.Sequential(nn.Linear(NOISE, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64),
                             nn.LeakyReLU(0.2), nn.Linear(64, 2))

    def discriminator():
        return nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2, inplace=True),
                             nn.Linear(64, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
    return generator, discriminator


Generator, Discriminator = _nets(nn)


def _distance_to_modes(G) -> float:
    """The mean distance of 512 samples to their nearest mode."""
    G.eval()
    with autograd.no_grad():
        samples = G(autograd.randn(512, NOISE))
        distance = autograd.cdist(samples, autograd.tensor(_modes(), dtype=autograd.float32))
    G.train()
    return distance.min(dim=1).values.mean().item()


def _gan_step(torch, G, D, opt_g, opt_d, criterion, real, z, freeze=True):
    """The two updates of one GAN step, in PyTorch's spelling; returns both losses."""
    n = real.shape[0]
    D.train()
    fake = G(z)
    opt_d.zero_grad()
    loss_d = (criterion(D(real), torch.ones(n, 1) * 0.9)          # smoothed real labels
              + criterion(D(fake.detach()), torch.zeros(n, 1)))
    loss_d.backward()
    opt_d.step()
    if freeze:
        for p in D.parameters():
            p.requires_grad_(False)
    opt_g.zero_grad()
    loss_g = criterion(D(fake), torch.ones(n, 1))
    loss_g.backward()
    opt_g.step()
    if freeze:
        for p in D.parameters():
            p.requires_grad_(True)
    return loss_d, loss_g


def _penalty(torch, grad, D, real, fake, alpha):
    """WGAN-GP's gradient penalty at points between real and fake samples."""
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    d_interp = D(interp)
    gradients = grad(outputs=d_interp, inputs=interp, grad_outputs=torch.ones_like(d_interp),
                     create_graph=True, retain_graph=True)[0]
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean(), interp


def _critic_step(torch, grad, G, D, opt_d, real, z, alpha, lam=10.0):
    fake = G(z).detach()
    opt_d.zero_grad()
    penalty, _ = _penalty(torch, grad, D, real, fake, alpha)
    loss_d = D(fake).mean() - D(real).mean() + lam * penalty
    loss_d.backward()
    opt_d.step()
    return loss_d


def _wgan_gp_step(torch, grad, G, D, opt_g, opt_d, real, z, alpha, z2, lam=10.0):
    loss_d = _critic_step(torch, grad, G, D, opt_d, real, z, alpha, lam)
    opt_g.zero_grad()
    loss_g = -D(G(z2)).mean()
    loss_g.backward()
    opt_g.step()
    return loss_d, loss_g


def _adam(model, lr=2e-3, betas=(0.5, 0.999)):
    return nn.optim.Adam(model.parameters(), lr=lr, betas=betas)


def test_the_gan_moves_its_samples_toward_the_eight_modes():
    autograd.manual_seed(0)
    G, D = Generator(), Discriminator()
    opt_g, opt_d = _adam(G), _adam(D)
    criterion = nn.BCEWithLogitsLoss()
    start = _distance_to_modes(G)
    for _ in range(300):
        loss_d, loss_g = _gan_step(autograd, G, D, opt_g, opt_d, criterion, _real(64),
                                   autograd.randn(64, NOISE))
    end = _distance_to_modes(G)
    assert end < 0.5 * start, (start, end)
    assert np.isfinite([loss_d.item(), loss_g.item()]).all()
    assert all(p.requires_grad for p in D.parameters())      # switched back on


def test_the_generator_step_leaves_the_discriminator_alone():
    autograd.manual_seed(1)
    G, D = Generator(), Discriminator()
    opt_g, opt_d = _adam(G), _adam(D)
    criterion = nn.BCEWithLogitsLoss()
    real, z = _real(16), autograd.randn(16, NOISE)
    fake = G(z)
    opt_d.zero_grad()
    loss_d = criterion(D(real), autograd.full((16, 1), 0.9)) + criterion(
        D(fake.detach()), autograd.zeros(16, 1))
    loss_d.backward()
    assert all(p.grad is None for p in G.parameters())      # detach: G gets nothing from D's step
    opt_d.step()
    d_params = [p.data.copy() for p in D.parameters()]
    d_grads = [p.grad.copy() for p in D.parameters()]
    g_params = [p.data.copy() for p in G.parameters()]
    for p in D.parameters():
        p.requires_grad_(False)
    opt_g.zero_grad()
    criterion(D(fake), autograd.ones(16, 1)).backward()
    opt_g.step()
    for p, before, g in zip(D.parameters(), d_params, d_grads):
        np.testing.assert_array_equal(p.data, before)        # opt_d untouched
        np.testing.assert_array_equal(p.grad, g)             # frozen: no gradient added
    assert all((p.data != before).any() for p, before in zip(G.parameters(), g_params))
    for p in D.parameters():
        p.requires_grad_(True)
    opt_g.zero_grad()        # not frozen: D's gradients add up, its parameters still stay
    criterion(D(G(z)), autograd.ones(16, 1)).backward()
    opt_g.step()
    assert any((p.grad != g).any() for p, g in zip(D.parameters(), d_grads))
    for p, before in zip(D.parameters(), d_params):
        np.testing.assert_array_equal(p.data, before)


def test_smoothed_labels_in_bce_with_logits_are_the_formula():
    z = autograd.tensor([[1.5], [-0.3], [0.2]], dtype=autograd.float64)
    target = autograd.ones(3, 1, dtype=autograd.float64) * 0.9
    p = 1 / (1 + np.exp(-z.data))
    want = -(0.9 * np.log(p) + 0.1 * np.log(1 - p)).mean()
    np.testing.assert_allclose(nn.BCEWithLogitsLoss()(z, target).item(), want, rtol=1e-12)


def _float64_critic(seed):
    """A small critic of the same make (finite differences move every weight twice)."""
    autograd.manual_seed(seed)
    D = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.LeakyReLU(0.2),
                      nn.Linear(8, 1)).double()
    rng = np.random.default_rng(seed)
    real = autograd.tensor(rng.normal(size=(6, 2)))
    fake = autograd.tensor(rng.normal(size=(6, 2)))
    alpha = autograd.tensor(rng.random((6, 1)))
    return D, real, fake, alpha


def test_the_gradient_penalty_gradient_matches_finite_differences():
    """The penalty's gradient with respect to the critic's weights is a second derivative
    through Linear and LeakyReLU: float64 central differences of the penalty agree."""
    D, real, fake, alpha = _float64_critic(2)
    penalty, _ = _penalty(autograd, grad, D, real, fake, alpha)
    assert penalty.requires_grad and penalty.item() > 0
    assert gradcheck_parameters(lambda: _penalty(autograd, grad, D, real, fake, alpha)[0],
                                D.named_parameters(), eps=1e-6)
    # the critic's input gradient, differentiated again with respect to the input
    x = autograd.tensor(np.random.default_rng(3).normal(size=(4, 2))).requires_grad_()
    assert gradgradcheck(lambda x: D(x).sum(), x)


def test_the_penalty_is_flat_in_the_interpolated_points():
    """A LeakyReLU critic is piecewise linear, so its input gradient, and the penalty, do not
    change as the points move (away from the kinks): the penalty's gradient with respect to
    the points is zero, as finite differences and PyTorch say; it was an error ("input 0 was
    not used to compute the outputs")."""
    D, real, fake, alpha = _float64_critic(4)
    penalty, interp = _penalty(autograd, grad, D, real, fake, alpha)
    (d_interp,) = grad(penalty, interp)
    np.testing.assert_array_equal(d_interp.data, 0.0)
    base = interp.detach()
    for i, j in [(0, 0), (3, 1), (5, 0)]:
        step = np.zeros(base.shape)
        step[i, j] = 1e-6
        moved = [_penalty(autograd, grad, D, base + s * step, base, 1.0)[0].item()
                 for s in (1, -1)]
        assert abs(moved[0] - moved[1]) / 2e-6 < 1e-6


def test_a_wgan_gp_moves_its_samples_toward_the_modes():
    autograd.manual_seed(5)
    G, D = Generator(), Discriminator()
    opt_g, opt_d = _adam(G, 1e-3, (0.5, 0.9)), _adam(D, 1e-3, (0.5, 0.9))
    start = _distance_to_modes(G)
    for step in range(150):
        for _ in range(4):                  # the critic trains more often than the generator
            _critic_step(autograd, grad, G, D, opt_d, _real(64), autograd.randn(64, NOISE),
                         autograd.rand(64, 1), lam=0.1)
        _wgan_gp_step(autograd, grad, G, D, opt_g, opt_d, _real(64), autograd.randn(64, NOISE),
                      autograd.rand(64, 1), autograd.randn(64, NOISE), lam=0.1)
    end = _distance_to_modes(G)
    assert end < 0.6 * start, (start, end)


def test_weight_clipping_keeps_the_critic_in_its_box():
    """WGAN's `p.data.clamp_(-0.01, 0.01)` is written `p.clamp_(-0.01, 0.01)` under no_grad()
    here (`.data` is the numpy array, which has no clamp_; numpy's own form works too)."""
    autograd.manual_seed(6)
    G, D = Generator(), Discriminator()
    opt_d = nn.optim.RMSprop(D.parameters(), lr=5e-3)
    for step in range(5):
        opt_d.zero_grad()
        loss = -(D(_real(32)).mean() - D(G(autograd.randn(32, NOISE)).detach()).mean())
        loss.backward()
        opt_d.step()
        with autograd.no_grad():
            for p in D.parameters():
                p.clamp_(-0.01, 0.01)
        assert max(p.abs().max().item() for p in D.parameters()) <= 0.01
    weight = D[0].weight
    weight.data *= 100
    np.clip(weight.data, -0.01, 0.01, out=weight.data)
    assert weight.abs().max().item() == pytest.approx(0.01)


def test_spectral_norm_scales_the_critic_weights_to_norm_one():
    autograd.manual_seed(7)
    SN = nn.utils.spectral_norm
    D = nn.Sequential(SN(nn.Linear(2, 64)), nn.LeakyReLU(0.2), SN(nn.Linear(64, 64)),
                      nn.LeakyReLU(0.2), SN(nn.Linear(64, 1)))
    D.train()
    for _ in range(30):                     # each forward in training runs a power iteration
        out = D(_real(16))
    out.mean().backward()
    assert D[0].weight_orig.grad is not None
    for layer in (D[0], D[2]):
        # the power iteration's estimate of the largest singular value approaches it from below
        sigma = np.linalg.svd(layer.weight.data, compute_uv=False)[0]
        assert 1.0 - 1e-5 <= sigma < 1.05
    assert "0.weight_orig" in D.state_dict() and "2.weight_u" in D.state_dict()


def _image_nets(nn):
    class ImageGenerator(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(                                    # 1 -> 4 -> 8
                nn.ConvTranspose2d(16, 32, 4, 1, 0, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),
                nn.ConvTranspose2d(32, 1, 4, 2, 1, bias=False), nn.Tanh())

        def forward(self, z):
            return self.net(z)

    def image_discriminator():
        return nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
                             nn.Conv2d(16, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32),
                             nn.LeakyReLU(0.2, True), nn.Conv2d(32, 1, 2, 1, 0, bias=False),
                             nn.Flatten())

    def weights_init(m):                    # DCGAN's, as written for PyTorch
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)
    return ImageGenerator, image_discriminator, weights_init


def _image_blobs(n, rng):
    yy, xx = np.mgrid[0:8, 0:8]
    cx, cy = rng.uniform(2, 6, (2, n))
    d2 = (xx[None] - cx[:, None, None]) ** 2 + (yy[None] - cy[:, None, None]) ** 2
    return (2 * np.exp(-d2 / 4.5) - 1).astype(np.float32)[:, None]     # in [-1, 1]


def test_a_tiny_dcgan_on_8x8_blobs_with_dcgans_weights_init():
    ImageGenerator, image_discriminator, weights_init = _image_nets(nn)
    autograd.manual_seed(8)
    G, D = ImageGenerator(), image_discriminator()
    G.apply(weights_init)
    D.apply(weights_init)
    w = G.net[0].weight.data                # normal_(m.weight.data, ...) wrote into the model
    assert abs(float(w.std()) - 0.02) < 0.003 and G.net[1].bias.data.tolist() == [0.0] * 32
    images = autograd.tensor(_image_blobs(256, np.random.default_rng(8)))
    opt_g, opt_d = _adam(G, 2e-3), _adam(D, 2e-3)
    criterion = nn.BCEWithLogitsLoss()
    fixed = autograd.randn(64, 16, 1, 1)
    mean_image = images.mean(dim=0)

    def distance_of_the_mean_sample():
        G.eval()
        with autograd.no_grad():
            samples = G(fixed)
        G.train()
        assert samples.shape == (64, 1, 8, 8) and samples.abs().max().item() <= 1.0
        return ((samples.mean(dim=0) - mean_image) ** 2).mean().item()

    start = distance_of_the_mean_sample()
    for _ in range(40):
        _gan_step(autograd, G, D, opt_g, opt_d, criterion,
                  images[autograd.randint(0, 256, (32,))], autograd.randn(32, 16, 1, 1))
    end = distance_of_the_mean_sample()
    assert end < 0.6 * start, (start, end)


def test_a_trained_generators_checkpoint_gives_the_same_samples(tmp_path):
    autograd.manual_seed(9)
    G, D = Generator(), Discriminator()
    opt_g, opt_d = _adam(G), _adam(D)
    for _ in range(20):
        _gan_step(autograd, G, D, opt_g, opt_d, nn.BCEWithLogitsLoss(), _real(32),
                  autograd.randn(32, NOISE))
    nn.save(G.state_dict(), tmp_path / "generator.pt")
    z = autograd.randn(16, NOISE)
    G.eval()
    with autograd.no_grad():
        samples = G(z)
    again = Generator()
    again.load_state_dict(nn.load(tmp_path / "generator.pt"))
    with autograd.no_grad():
        np.testing.assert_array_equal(again(z).data, samples.data)
    if torch is not None:                   # and in PyTorch itself, from the same noise
        import torch.nn as tnn
        theirs = _nets(tnn)[0]()
        theirs.load_state_dict(torch.load(tmp_path / "generator.pt"))
        theirs.eval()
        with torch.no_grad():
            expected = theirs(torch.from_numpy(z.numpy())).numpy()
        np.testing.assert_allclose(samples.data, expected, rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("kind", ["gan", "wgan-gp", "dcgan"])
def test_one_step_matches_pytorch_from_the_same_weights(kind):
    import torch.nn as tnn
    rng = np.random.default_rng(10)
    if kind == "dcgan":
        ours = [build() for build in _image_nets(nn)[:2]]
        theirs = [build() for build in _image_nets(tnn)[:2]]
        batch = {"real": _image_blobs(16, rng),
                 "z": rng.standard_normal((16, 16, 1, 1)).astype(np.float32)}
    else:
        ours = [build() for build in _nets(nn)]
        theirs = [build() for build in _nets(tnn)]
        batch = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in
                 (("real", (32, 2)), ("z", (32, NOISE)), ("z2", (32, NOISE)))}
        batch["alpha"] = rng.random((32, 1)).astype(np.float32)
    for a, b in zip(ours, theirs):
        b.load_state_dict({k: torch.as_tensor(np.array(v)) for k, v in a.state_dict().items()})
    betas = (0.5, 0.9) if kind == "wgan-gp" else (0.5, 0.999)
    losses = []
    for lib, (G, D), adam, make, lib_grad, criterion in (
            (autograd, ours, nn.optim.Adam, autograd.tensor, grad, nn.BCEWithLogitsLoss()),
            (torch, theirs, torch.optim.Adam, torch.tensor, torch.autograd.grad,
             tnn.BCEWithLogitsLoss())):
        opt_g = adam(G.parameters(), lr=2e-4, betas=betas)
        opt_d = adam(D.parameters(), lr=2e-4, betas=betas)
        b = {k: make(v) for k, v in batch.items()}
        if kind == "wgan-gp":
            out = _wgan_gp_step(lib, lib_grad, G, D, opt_g, opt_d, b["real"], b["z"],
                                b["alpha"], b["z2"])
        else:
            out = _gan_step(lib, G, D, opt_g, opt_d, criterion, b["real"], b["z"])
        losses.append([loss.item() for loss in out])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    for a, b in zip(ours, theirs):
        torch_params = dict(b.named_parameters())
        for name, p in a.named_parameters():
            t = torch_params[name]
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-4,
                                       atol=1e-5 * float(t.grad.abs().max()), err_msg=name)
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=0, atol=1e-6,
                                       err_msg=name)
