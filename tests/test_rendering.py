"""A user trial: differentiable rendering and optimising images, written the PyTorch way with the
imports changed (`import autograd as torch`, `import nn`, `import nn.optim as optim`).

A tiny NeRF on a 2-D scene of two discs seen by a fan of rays: positional encoding (sin and cos
of powers of two), an MLP giving density and colour, volume rendering (alpha compositing, the
transmittance an exclusive `torch.cumprod`), stratified samples (`torch.linspace`, `torch.rand`)
and hierarchical sampling (inverse CDF by `torch.searchsorted(..., right=True)` and `gather`).
A SIREN fitting an image (sine layers with their special init; the image's gradient and
Laplacian by `torch.autograd.grad(create_graph=True)`). Neural style transfer as PyTorch's
tutorial writes it (Gram matrices, content and style losses as modules, `optim.LBFGS` over the
pixels with a closure that clamps them), with a total-variation term. A soft rasteriser of 2-D
circles, composited front to back. Image registration: an affine `F.affine_grid` +
`F.grid_sample` fitted by Adam. The scenes and images are made here; the feature extractor of
the style transfer is a small conv net with fixed random weights (no VGG download).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
import nn.optim as optim
from autograd import gradcheck
from nn import functional as F

from torch_helpers import needs_torch, torch


def _course(torch, nn, F, optim):
    """The programs in PyTorch's spelling, for `torch` = PyTorch or glassgrad."""

    # -- NeRF ----------------------------------------------------------------------------------

    def posenc(x, L):
        """[x, sin(2^k π x), cos(2^k π x)] for k < L, per coordinate."""
        freqs = 2.0 ** torch.arange(L, dtype=x.dtype) * math.pi
        xf = x[..., None] * freqs                                     # (..., D, L)
        return torch.cat([x, torch.sin(xf).flatten(-2), torch.cos(xf).flatten(-2)], dim=-1)

    def render(sigma, rgb, t, eps=1e-10):
        """Alpha compositing along each ray: sigma (..., S), rgb (..., S, 3), depths t (..., S)."""
        delta = t[..., 1:] - t[..., :-1]
        delta = torch.cat([delta, torch.full_like(delta[..., :1], 1e10)], dim=-1)
        alpha = 1 - torch.exp(-sigma * delta)
        T = torch.cumprod(torch.cat([torch.ones_like(alpha[..., :1]), 1 - alpha + eps], -1),
                          -1)[..., :-1]
        w = alpha * T
        return (w[..., None] * rgb).sum(-2), w, w.sum(-1)

    def stratified(near, far, n, rays, perturb=True, dtype=torch.float32):
        """n depths per ray, one uniformly in each of n equal bins (their middles without
        perturb)."""
        edges = torch.linspace(near, far, n + 1, dtype=dtype)
        lo, hi = edges[:-1], edges[1:]
        u = torch.rand(rays, n, dtype=dtype) if perturb else torch.full((rays, n), 0.5,
                                                                         dtype=dtype)
        return lo + (hi - lo) * u

    def sample_pdf(bins, weights, n, det=False):
        """n depths per ray drawn from the piecewise-constant density of `weights` over the
        intervals between `bins` (..., K + 1), by inverting its CDF."""
        weights = weights + 1e-5
        pdf = weights / torch.sum(weights, -1, keepdim=True)
        cdf = torch.cumsum(pdf, -1)
        cdf = torch.cat([torch.zeros_like(cdf[..., :1]), cdf], -1)
        if det:
            u = torch.linspace(0.0, 1.0, n, dtype=cdf.dtype)
            u = u.expand(list(cdf.shape[:-1]) + [n]).contiguous()
        else:
            u = torch.rand(list(cdf.shape[:-1]) + [n], dtype=cdf.dtype)
        inds = torch.searchsorted(cdf, u, right=True)
        below = torch.max(torch.zeros_like(inds - 1), inds - 1)
        above = torch.min((cdf.shape[-1] - 1) * torch.ones_like(inds), inds)
        inds_g = torch.stack([below, above], -1)
        matched = [inds_g.shape[0], inds_g.shape[1], cdf.shape[-1]]
        cdf_g = torch.gather(cdf.unsqueeze(1).expand(matched), 2, inds_g)
        bins_g = torch.gather(bins.unsqueeze(1).expand(matched), 2, inds_g)
        denom = cdf_g[..., 1] - cdf_g[..., 0]
        denom = torch.where(denom < 1e-5, torch.ones_like(denom), denom)
        frac = (u - cdf_g[..., 0]) / denom
        return bins_g[..., 0] + frac * (bins_g[..., 1] - bins_g[..., 0])

    class NeRF(nn.Module):
        def __init__(self, L=6, width=64):
            super().__init__()
            self.L = L
            self.net = nn.Sequential(nn.Linear(2 + 4 * L, width), nn.ReLU(),
                                     nn.Linear(width, width), nn.ReLU())
            self.sigma = nn.Linear(width, 1)
            self.rgb = nn.Sequential(nn.Linear(width, 3), nn.Sigmoid())

        def forward(self, x):
            h = self.net(posenc(x, self.L))
            return F.softplus(self.sigma(h)).squeeze(-1), self.rgb(h)

    def scene(points):
        """The truth: a red disc and a blue one, soft-edged, density up to 20."""
        c1 = torch.tensor([0.3, 0.2], dtype=points.dtype)
        c2 = torch.tensor([-0.2, -0.3], dtype=points.dtype)
        s1 = 20.0 * torch.sigmoid((0.35 - ((points - c1) ** 2).sum(-1).sqrt()) * 30)
        s2 = 20.0 * torch.sigmoid((0.25 - ((points - c2) ** 2).sum(-1).sqrt()) * 30)
        red = torch.tensor([1.0, 0.2, 0.1], dtype=points.dtype)
        blue = torch.tensor([0.1, 0.3, 1.0], dtype=points.dtype)
        rgb = (s1[..., None] * red + s2[..., None] * blue) / (s1 + s2 + 1e-6)[..., None]
        return s1 + s2, rgb

    def fan(n, dtype=torch.float32):
        """n rays from (-2, 0), fanned over ±0.5 rad around the +x axis."""
        angles = torch.linspace(-0.5, 0.5, n, dtype=dtype)
        directions = torch.stack([torch.cos(angles), torch.sin(angles)], dim=-1)
        return torch.tensor([-2.0, 0.0], dtype=dtype).expand(n, 2), directions

    def nerf_loss(model, origins, directions, target, t, fine_samples, det=False):
        """The coarse render's and the fine render's (coarse + importance samples) MSE."""
        points = origins[:, None] + t[..., None] * directions[:, None]
        image, w, _ = render(*model(points), t)
        mids = 0.5 * (t[..., 1:] + t[..., :-1])
        t_fine = sample_pdf(mids, w[..., 1:-1].detach(), fine_samples, det=det)
        t_all, _ = torch.sort(torch.cat([t, t_fine.detach()], -1), -1)
        points = origins[:, None] + t_all[..., None] * directions[:, None]
        fine, _, _ = render(*model(points), t_all)
        return F.mse_loss(image, target) + F.mse_loss(fine, target), fine

    # -- SIREN ---------------------------------------------------------------------------------

    class SineLayer(nn.Module):
        def __init__(self, in_features, out_features, is_first=False, omega_0=30.0):
            super().__init__()
            self.omega_0, self.is_first, self.in_features = omega_0, is_first, in_features
            self.linear = nn.Linear(in_features, out_features)
            with torch.no_grad():
                bound = (1 / in_features if is_first
                         else math.sqrt(6 / in_features) / omega_0)
                self.linear.weight.uniform_(-bound, bound)

        def forward(self, x):
            return torch.sin(self.omega_0 * self.linear(x))

    class Siren(nn.Module):
        def __init__(self, hidden=64, layers=3, omega_0=30.0):
            super().__init__()
            net = [SineLayer(2, hidden, is_first=True, omega_0=omega_0)]
            net += [SineLayer(hidden, hidden, omega_0=omega_0) for _ in range(layers - 1)]
            final = nn.Linear(hidden, 1)
            with torch.no_grad():
                bound = math.sqrt(6 / hidden) / omega_0
                final.weight.uniform_(-bound, bound)
            self.net = nn.Sequential(*net, final)

        def forward(self, coords):
            coords = coords.clone().detach().requires_grad_(True)
            return self.net(coords), coords

    def get_mgrid(side, dtype=torch.float32):
        axis = torch.linspace(-1, 1, steps=side, dtype=dtype)
        return torch.stack(torch.meshgrid(axis, axis, indexing="ij"), dim=-1).reshape(-1, 2)

    def gradient(y, x):
        return torch.autograd.grad(y, [x], grad_outputs=torch.ones_like(y),
                                   create_graph=True)[0]

    def laplace(y, x):
        grad = gradient(y, x)
        div = 0.0
        for i in range(grad.shape[-1]):
            div = div + torch.autograd.grad(grad[..., i], x, torch.ones_like(grad[..., i]),
                                            create_graph=True)[0][..., i:i + 1]
        return div

    # -- style transfer (PyTorch's tutorial, on a small random conv net) ---------------------

    def gram_matrix(input):
        a, b, c, d = input.size()
        features = input.view(a * b, c * d)
        G = torch.mm(features, features.t())
        return G / (a * b * c * d)

    class ContentLoss(nn.Module):
        def __init__(self, target):
            super().__init__()
            self.target = target.detach()

        def forward(self, input):
            self.loss = F.mse_loss(input, self.target)
            return input

    class StyleLoss(nn.Module):
        def __init__(self, target_feature):
            super().__init__()
            self.target = gram_matrix(target_feature).detach()

        def forward(self, input):
            self.loss = F.mse_loss(gram_matrix(input), self.target)
            return input

    class Normalization(nn.Module):
        def __init__(self, mean, std):
            super().__init__()
            self.mean = mean.clone().detach().view(-1, 1, 1)
            self.std = std.clone().detach().view(-1, 1, 1)

        def forward(self, img):
            return (img - self.mean) / self.std

    def tv_loss(img):
        return (torch.sum(torch.abs(img[:, :, :, :-1] - img[:, :, :, 1:]))
                + torch.sum(torch.abs(img[:, :, :-1, :] - img[:, :, 1:, :])))

    def feature_net(weights, dtype=torch.float32):
        cnn = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU()).to(dtype)
        cnn.load_state_dict({k: torch.tensor(v, dtype=dtype) for k, v in weights.items()})
        return cnn.eval()

    def style_model(cnn, style_img, content_img, dtype=torch.float32):
        normalization = Normalization(torch.tensor([0.485, 0.456, 0.406], dtype=dtype),
                                      torch.tensor([0.229, 0.224, 0.225], dtype=dtype))
        content_losses, style_losses = [], []
        model = nn.Sequential(normalization)
        i = 0
        for layer in cnn.children():
            if isinstance(layer, nn.Conv2d):
                i += 1
                name = f"conv_{i}"
            elif isinstance(layer, nn.ReLU):
                name, layer = f"relu_{i}", nn.ReLU(inplace=False)
            else:
                name = f"pool_{i}"
            model.add_module(name, layer)
            if name == "conv_2":
                content_loss = ContentLoss(model(content_img).detach())
                model.add_module(f"content_loss_{i}", content_loss)
                content_losses.append(content_loss)
            if name.startswith("conv_"):
                style_loss = StyleLoss(model(style_img).detach())
                model.add_module(f"style_loss_{i}", style_loss)
                style_losses.append(style_loss)
        # the layers after the last loss are not needed
        for i in range(len(model) - 1, -1, -1):
            if isinstance(model[i], (ContentLoss, StyleLoss)):
                break
        return model[:(i + 1)], style_losses, content_losses

    def run_style_transfer(cnn, content_img, style_img, evaluations, dtype=torch.float32,
                           style_weight=1e4, tv_weight=1e-3, **lbfgs):
        model, style_losses, content_losses = style_model(cnn, style_img, content_img, dtype)
        model.eval()
        model.requires_grad_(False)
        input_img = content_img.clone()
        input_img.requires_grad_(True)
        optimizer = optim.LBFGS([input_img], **lbfgs)
        history = []
        while len(history) <= evaluations:
            def closure():
                with torch.no_grad():
                    input_img.clamp_(0, 1)
                optimizer.zero_grad()
                model(input_img)
                style_score = style_weight * sum(sl.loss for sl in style_losses)
                content_score = sum(cl.loss for cl in content_losses)
                loss = style_score + content_score + tv_weight * tv_loss(input_img)
                loss.backward()
                history.append((style_score.item(), content_score.item(), loss.item()))
                return loss
            optimizer.step(closure)
        with torch.no_grad():
            input_img.clamp_(0, 1)
        return input_img, np.array(history)

    # -- a soft rasteriser of circles ----------------------------------------------------------

    def pixel_centres(side, dtype=torch.float32):
        axis = (torch.arange(side, dtype=dtype) + 0.5) / side
        gy, gx = torch.meshgrid(axis, axis, indexing="ij")
        return torch.stack([gx, gy], -1)                              # (H, W, 2): x, y

    def rasterise(pix, centers, radii, colors, sigma=0.02, background=1.0):
        """Circles K as soft discs (coverage sigmoid((r - distance) / sigma)), composited
        front (k = 0) to back over a background: an image (3, H, W)."""
        d = torch.linalg.norm(pix[None] - centers[:, None, None, :], dim=-1)    # (K, H, W)
        coverage = torch.sigmoid((radii[:, None, None] - d) / sigma)
        trans = torch.cumprod(torch.cat([torch.ones_like(coverage[:1]), 1 - coverage[:-1]],
                                        0), 0)
        w = coverage * trans
        image = (w[..., None] * colors[:, None, None, :]).sum(0) \
            + (1 - w.sum(0))[..., None] * background
        return image.permute(2, 0, 1)

    # -- image registration --------------------------------------------------------------------

    def warp(image, theta, mode="bilinear"):
        grid = F.affine_grid(theta, image.shape, align_corners=False)
        return F.grid_sample(image, grid, mode=mode, padding_mode="border",
                             align_corners=False)

    return dict(locals())


OURS = _course(autograd, nn, F, optim)


def _theirs():
    return _course(torch, torch.nn, torch.nn.functional, torch.optim)


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """numpy's BLAS on one thread while these small models train (as tests/test_diffusion.py
    does): on a busy 2-core machine a second BLAS thread that spins while it waits made a
    NeRF's steps 8x slower (300 steps of 64 rays: 116 s, 60 of them on one thread 2.7 s)."""
    before = autograd.get_num_threads()
    autograd.set_num_threads(1)
    yield
    autograd.set_num_threads(before)


def _t64(array, requires_grad=False):
    return autograd.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def _copy_weights(ours, twin):
    twin.load_state_dict({k: torch.as_tensor(np.array(v.numpy()))
                          for k, v in ours.state_dict().items()})


# -- NeRF: encoding, compositing, sampling -----------------------------------------------------

def test_positional_encoding_is_sin_and_cos_of_powers_of_two_and_differentiates():
    x = np.array([[0.1, -0.7], [0.5, 0.25], [-1.0, 0.9]])
    enc = OURS["posenc"](autograd.tensor(x), 3).numpy()
    arguments = x[..., None] * (2.0 ** np.arange(3) * np.pi)              # (3, 2, 3)
    want = np.concatenate([x, np.sin(arguments).reshape(3, 6), np.cos(arguments).reshape(3, 6)],
                          axis=-1)
    assert enc.shape == (3, 2 + 4 * 3)
    np.testing.assert_allclose(enc, want, rtol=1e-13, atol=1e-15)
    for shape in [(4, 2), (2,), (1, 2), (2, 3, 2)]:         # one point, batch 1, batch axes
        point = _t64(np.random.default_rng(len(shape)).uniform(-1, 1, shape), True)
        assert gradcheck(lambda p: OURS["posenc"](p, 4), (point,))


def _composite_by_hand(sigma, rgb, t):
    """Each sample's weight alpha_i · Π_{j<i} (1 - alpha_j), written as a loop."""
    delta = np.append(np.diff(t), 1e10)
    alpha = 1 - np.exp(-sigma * delta)
    weights, transmittance = [], 1.0
    for a in alpha:
        weights.append(a * transmittance)
        transmittance *= 1 - a + 1e-10
    weights = np.array(weights)
    return weights @ rgb, weights


def test_volume_rendering_is_alpha_compositing():
    rng = np.random.default_rng(0)
    sigma, rgb = rng.uniform(0, 3, (4, 9)), rng.uniform(0, 1, (4, 9, 3))
    t = np.sort(rng.uniform(0.5, 3.5, (4, 9)), -1)
    image, w, acc = OURS["render"](_t64(sigma), _t64(rgb), _t64(t))
    for ray in range(4):
        colour, weights = _composite_by_hand(sigma[ray], rgb[ray], t[ray])
        np.testing.assert_allclose(w.numpy()[ray], weights, rtol=1e-12)
        np.testing.assert_allclose(image.numpy()[ray], colour, rtol=1e-12)
    # the last sample stands for everything behind: the weights sum to 1 (up to the 1e-10s)
    np.testing.assert_allclose(acc.numpy(), 1.0, atol=1e-8)
    # an empty ray renders black, and its accumulated opacity is 0
    empty, _, empty_acc = OURS["render"](_t64(np.zeros((1, 9))), _t64(rgb[:1]), _t64(t[:1]))
    assert np.abs(empty.numpy()).max() == 0 and empty_acc.item() == 0


@pytest.mark.parametrize("rays", [(3,), (1,), ()])        # rays, one ray in a batch, a lone ray
def test_volume_rendering_gradients_are_finite_differences(rays):
    rng = np.random.default_rng(len(rays))
    sigma = _t64(rng.uniform(0.1, 2.0, rays + (6,)), True)
    rgb = _t64(rng.uniform(0, 1, rays + (6, 3)), True)
    t = _t64(np.sort(rng.uniform(0.5, 3.5, rays + (6,)), -1))

    def rendered(s, c):
        image, w, acc = OURS["render"](s, c, t)
        return image.sum() + (w * autograd.arange(6, dtype=autograd.float64)).sum() + acc.sum()
    assert gradcheck(rendered, (sigma, rgb))


def _opaque_alphas():
    """Opacities with exact 1s (fully opaque samples, 1 - alpha = 0 in the transmittance's
    product): one, two, first, last, all."""
    return np.array([[0.3, 1.0, 0.5, 0.2, 0.6],
                     [0.2, 1.0, 0.4, 1.0, 0.7],
                     [1.0, 0.5, 0.5, 0.5, 0.5],
                     [0.4, 0.3, 0.2, 0.1, 1.0],
                     [1.0, 1.0, 1.0, 1.0, 1.0]])


def _weights_of_alphas(lib, alpha):
    T = lib.cumprod(lib.cat([lib.ones_like(alpha[..., :1]), 1 - alpha], -1), -1)[..., :-1]
    return alpha * T


def test_transmittance_gradients_at_opaque_samples_are_finite_differences():
    """The exclusive cumprod of 1 - alpha with exact zeros in it (no epsilon): the product is
    multilinear, so its central differences are exact there too, and the gradient must not be
    the 0/0 of a running sum divided by the factor."""
    alpha = _t64(_opaque_alphas(), True)
    assert gradcheck(lambda a: _weights_of_alphas(autograd, a), (alpha,))
    upstream = np.random.default_rng(0).normal(size=(5, 5))
    w = _weights_of_alphas(autograd, alpha)
    (g,) = autograd.grad(w, alpha, _t64(upstream))
    assert np.isfinite(g.numpy()).all()
    # the first row by hand: w_j = alpha_j Π_{k<j} (1 - alpha_k); alpha_1 = 1 makes every
    # later weight 0, so alpha_2.. get no gradient, and alpha_1 gets (1 - alpha_0) times w_1's
    # upstream less, for each later w_j, its upstream times alpha_j Π_{1<k<j} (1 - alpha_k)
    a = _opaque_alphas()[0]
    later = upstream[0, 2] * a[2] + upstream[0, 3] * (1 - a[2]) * a[3] \
        + upstream[0, 4] * (1 - a[2]) * (1 - a[3]) * a[4]
    np.testing.assert_allclose(g.numpy()[0, 1], (1 - a[0]) * (upstream[0, 1] - later),
                               rtol=1e-13)
    np.testing.assert_array_equal(g.numpy()[0, 2:], 0.0)


@needs_torch
def test_transmittance_gradients_at_opaque_samples_are_pytorchs_to_second_order():
    rng = np.random.default_rng(1)
    upstream, direction = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    firsts, seconds = [], []
    for lib in (autograd, torch):
        alpha = lib.tensor(_opaque_alphas(), requires_grad=True)
        w = _weights_of_alphas(lib, alpha)
        (g,) = lib.autograd.grad(w, alpha, lib.tensor(upstream), create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(direction)).sum(), alpha)
        firsts.append(np.asarray(g.detach().numpy()))
        seconds.append(np.asarray(h.numpy()))
    np.testing.assert_allclose(firsts[0], firsts[1], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(seconds[0], seconds[1], rtol=1e-13, atol=1e-15)
    assert np.abs(seconds[1]).max() > 0.1                     # not a test of zeros only


def test_stratified_samples_fall_one_in_each_bin():
    autograd.manual_seed(0)
    t = OURS["stratified"](0.5, 3.5, 6, 500).numpy()
    edges = np.linspace(0.5, 3.5, 7)
    assert t.shape == (500, 6) and t.dtype == np.float32
    assert ((t >= edges[:-1]) & (t <= edges[1:])).all()
    # uniform within its bin: the mean position in the bin is 1/2 (± 4 standard errors)
    within = (t - edges[:-1]) / 0.5
    assert abs(within.mean() - 0.5) < 4 * math.sqrt(1 / 12 / within.size)
    middles = OURS["stratified"](0.5, 3.5, 6, 2, perturb=False).numpy()
    np.testing.assert_allclose(middles, np.tile((edges[:-1] + edges[1:]) / 2, (2, 1)),
                               rtol=1e-6)


def test_hierarchical_sampling_inverts_the_cdf_of_the_weights():
    rng = np.random.default_rng(0)
    bins = np.sort(rng.uniform(0, 4, (3, 8)), -1)
    weights = rng.uniform(0, 1, (3, 7))
    weights[0, 2:5] = 0.0                                     # an empty stretch of ray 0
    det = OURS["sample_pdf"](_t64(bins), _t64(weights), 11, det=True).numpy()
    for ray in range(3):                  # the inverse of the piecewise-linear CDF, by numpy
        w = weights[ray] + 1e-5
        cdf = np.concatenate([[0.0], np.cumsum(w / w.sum())])
        np.testing.assert_allclose(det[ray], np.interp(np.linspace(0, 1, 11), cdf, bins[ray]),
                                   rtol=1e-12, atol=1e-12)
    # random draws follow the weights: each interval gets its share (± 5 standard errors)
    autograd.manual_seed(0)
    drawn = OURS["sample_pdf"](_t64(bins), _t64(weights), 20000).numpy()
    assert (drawn >= bins[:, :1]).all() and (drawn <= bins[:, -1:]).all()
    for ray in range(3):
        share = np.histogram(drawn[ray], bins[ray])[0] / 20000
        p = (weights[ray] + 1e-5) / (weights[ray] + 1e-5).sum()
        np.testing.assert_array_less(np.abs(share - p), 5 * np.sqrt(p * (1 - p) / 20000) + 1e-9)
    assert (np.histogram(drawn[0], bins[0])[0][2:5] < 20).all()   # ~0 in the empty stretch


def test_hierarchical_samples_move_with_the_bins():
    """The drawn depths are differentiable in the bins (gather, then the interpolation)."""
    rng = np.random.default_rng(2)
    bins = _t64(np.sort(rng.uniform(0, 4, (2, 6)), -1), True)
    weights = _t64(rng.uniform(0.1, 1, (2, 5)))
    assert gradcheck(lambda b: OURS["sample_pdf"](b, weights, 7, det=True), (bins,))


@needs_torch
def test_hierarchical_sampling_is_pytorchs():
    rng = np.random.default_rng(3)
    bins = np.sort(rng.uniform(0, 4, (64, 33)), -1)
    weights = rng.uniform(0, 1, (64, 32)) * (rng.uniform(size=(64, 32)) < 0.5)
    # (the last interval weighed: u = 1 then lands at the far end whichever side of 1 the
    # CDF's last sum rounds to; PyTorch's cumsum adds in another order than numpy's, and
    # NeRF's `denom < 1e-5` rule makes a nearly empty last interval jump between its ends)
    weights[:, -1] = rng.uniform(0.1, 1, 64)
    ours = OURS["sample_pdf"](_t64(bins), _t64(weights), 48, det=True).numpy()
    theirs = _theirs()["sample_pdf"](torch.tensor(bins), torch.tensor(weights), 48, det=True)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-12)
    cdf = np.cumsum(rng.uniform(size=(64, 33)), -1).astype(np.float32)
    u = (rng.uniform(size=(64, 20)) * cdf[:, -1:]).astype(np.float32)
    u[:, :3] = cdf[:, 4:7]                                    # exactly on elements: ties
    for right in (False, True):
        np.testing.assert_array_equal(
            autograd.searchsorted(autograd.tensor(cdf), autograd.tensor(u), right=right).numpy(),
            torch.searchsorted(torch.tensor(cdf), torch.tensor(u), right=right).numpy())


# -- NeRF: training ----------------------------------------------------------------------------

def _nerf_target(rays, dtype=autograd.float32):
    origins, directions = OURS["fan"](rays, dtype)
    with autograd.no_grad():
        t = OURS["stratified"](0.5, 3.5, 256, rays, perturb=False, dtype=dtype)
        sigma, rgb = OURS["scene"](origins[:, None] + t[..., None] * directions[:, None])
        image, _, acc = OURS["render"](sigma, rgb, t)
    return origins, directions, image, acc


def test_a_tiny_nerf_learns_the_scene():
    autograd.manual_seed(0)
    origins, directions, target, acc = _nerf_target(32)
    # the fan sees the discs in its middle and the empty background at its ends
    assert acc.numpy()[[0, -1]].max() < 0.01 and acc.numpy()[10:22].min() > 0.99
    model = OURS["NeRF"](L=6, width=48)
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    losses = []
    # 120 steps: seeds 0, 1 and 2 go from 0.33-0.37 to 2.6e-3, 1.4e-3 and 1.2e-3 (the mean of
    # the last 10 steps)
    for _ in range(120):
        t = OURS["stratified"](0.5, 3.5, 24, 32)
        loss, fine = OURS["nerf_loss"](model, origins, directions, target, t, 16)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 0.2 and np.mean(losses[-10:]) < 5e-3, (losses[0], losses[-10:])
    # the fine render on its own (coarse + importance samples) shows the discs' colours and
    # the black background: every ray's channels within 0.15 (seeds 0-2: 0.07-0.09). (One
    # camera constrains only colours along its rays, not where along them the density sits:
    # the depth is not checked.)
    np.testing.assert_allclose(fine.detach().numpy(), target.numpy(), atol=0.15)


@needs_torch
def test_a_nerf_step_is_pytorchs():
    """Two Adam steps from the same weights, deterministic samples (bin middles, the CDF's
    quantiles): the loss, every gradient and every new weight are PyTorch's, in float64."""
    theirs = _theirs()
    autograd.manual_seed(0)
    ours_model = OURS["NeRF"](L=4, width=16).double()
    twin = theirs["NeRF"](L=4, width=16).double()
    _copy_weights(ours_model, twin)
    origins, directions, target, _ = _nerf_target(8, autograd.float64)
    losses = []
    for lib, course, model, opt_module in ((autograd, OURS, ours_model, optim),
                                           (torch, theirs, twin, torch.optim)):
        optimizer = opt_module.Adam(model.parameters(), lr=1e-2)
        t = course["stratified"](0.5, 3.5, 12, 8, perturb=False, dtype=lib.float64)
        for _ in range(2):
            loss, _ = course["nerf_loss"](model, lib.tensor(origins.numpy()),
                                          lib.tensor(directions.numpy()),
                                          lib.tensor(target.numpy()), t, 8, det=True)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    np.testing.assert_allclose(losses[:2], losses[2:], rtol=1e-10)
    reference = dict(twin.named_parameters())
    for name, p in ours_model.named_parameters():
        np.testing.assert_allclose(p.grad, reference[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)
        np.testing.assert_allclose(p.data, reference[name].detach().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


# -- SIREN -------------------------------------------------------------------------------------

def test_sirens_init_keeps_every_layers_activations_arcsine_distributed():
    """The init's point (Sitzmann et al. 2020): with weights U(±√(6/n)/ω₀) after a first layer
    U(±1/n), every sine layer's output is distributed as sin of a wide normal, the arcsine
    law on [-1, 1] with standard deviation 1/√2, however deep the net; the init bounds hold."""
    autograd.manual_seed(0)
    model = OURS["Siren"](hidden=256, layers=5)
    x = OURS["get_mgrid"](64)
    for i, layer in enumerate(model.net[:-1]):
        bound = 1 / 2 if i == 0 else math.sqrt(6 / 256) / 30
        w = layer.linear.weight.numpy()
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
        x = layer(x)
        if i > 0:
            values = x.detach().numpy()
            assert abs(values.std() - 1 / math.sqrt(2)) < 0.03, (i, values.std())
            # the arcsine law puts 1/3 of its mass within ±1/2
            assert abs((np.abs(values) < 0.5).mean() - 1 / 3) < 0.03


def test_the_coordinate_grid_by_meshgrid_is_cartesian_prods():
    axis = autograd.linspace(-1, 1, steps=5)
    grid = OURS["get_mgrid"](5)
    assert grid.shape == (25, 2) and grid.numpy()[1].tolist() == [-1.0, -0.5]
    np.testing.assert_array_equal(grid.numpy(), autograd.cartesian_prod(axis, axis).numpy())


def _picture(side):
    coords = OURS["get_mgrid"](side)
    x, y = coords[:, 0], coords[:, 1]
    return coords, (autograd.sin(6 * x) * autograd.cos(4 * y)
                    + 0.5 * (x ** 2 + y ** 2 < 0.3).float()).unsqueeze(-1)


def test_a_siren_fits_an_image_a_relu_net_of_its_size_does_not():
    autograd.manual_seed(0)
    coords, image = _picture(24)
    siren = OURS["Siren"](hidden=48, layers=3)
    relu = nn.Sequential(nn.Linear(2, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU(),
                         nn.Linear(48, 48), nn.ReLU(), nn.Linear(48, 1))
    final = {}
    for name, model, forward in (("siren", siren, lambda c: siren(c)[0]),
                                 ("relu", relu, relu)):
        optimizer = optim.Adam(lr=1e-3, params=model.parameters())
        for _ in range(150):
            loss = ((forward(coords) - image) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        final[name] = loss.item()
    psnr = 10 * math.log10(1 / final["siren"])
    # seeds 0-2: the SIREN reaches 55-72 dB in 150 steps, the ReLU net 13-15 dB
    assert psnr > 40 and final["relu"] > 100 * final["siren"], final


def test_a_sirens_gradient_and_laplacian_are_its_finite_differences():
    autograd.manual_seed(0)
    model = OURS["Siren"](hidden=16, layers=2).double()
    coords = _t64(np.random.default_rng(0).uniform(-1, 1, (5, 2)))
    out, c = model(coords)
    grad, lap = OURS["gradient"](out, c), OURS["laplace"](out, c)
    assert grad.shape == (5, 2) and lap.shape == (5, 1)

    def value(points):
        with autograd.no_grad():
            return model(_t64(points))[0].numpy()[:, 0]

    def grad_at(points):
        o, cc = model(_t64(points))
        return OURS["gradient"](o, cc).detach().numpy()
    h, x = 1e-6, coords.numpy()
    steps = np.eye(2)
    numeric = np.stack([(value(x + h * e) - value(x - h * e)) / (2 * h) for e in steps], -1)
    np.testing.assert_allclose(grad.detach().numpy(), numeric, rtol=1e-6, atol=1e-6)
    # the Laplacian: the divergence of the gradient, by differences of the gradient
    numeric = sum((grad_at(x + h * e)[:, i] - grad_at(x - h * e)[:, i]) / (2 * h)
                  for i, e in enumerate(steps))
    np.testing.assert_allclose(lap.detach().numpy()[:, 0], numeric, rtol=1e-5, atol=1e-4)
    assert np.abs(numeric).max() > 10                        # ω₀ = 30: a curved function


@needs_torch
def test_a_gradient_supervised_siren_step_is_pytorchs():
    """Fitting the image's gradient (the Poisson task): the loss on `gradient(out, coords)`,
    backward through the create_graph result into the weights; the Laplacian too."""
    theirs = _theirs()
    autograd.manual_seed(0)
    ours = OURS["Siren"](hidden=16, layers=2).double()
    twin = theirs["Siren"](hidden=16, layers=2).double()
    _copy_weights(ours, twin)
    rng = np.random.default_rng(1)
    coords, target = rng.uniform(-1, 1, (20, 2)), rng.normal(size=(20, 2))
    results = []
    for lib, course, model in ((autograd, OURS, ours), (torch, theirs, twin)):
        out, c = model(lib.tensor(coords))
        loss = ((course["gradient"](out, c) - lib.tensor(target)) ** 2).mean()
        loss.backward()
        lap = course["laplace"](*model(lib.tensor(coords)))
        results.append((loss.item(), {n: None if p.grad is None else np.asarray(p.grad)
                                      for n, p in model.named_parameters()},
                        lap.detach().numpy()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-12)
    for name, g in results[0][1].items():
        if name == "net.2.bias":        # the output's offset does not change its gradient
            assert g is None and results[1][1][name] is None
        else:
            np.testing.assert_allclose(g, results[1][1][name], rtol=1e-9, atol=1e-12,
                                       err_msg=name)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-10, atol=1e-10)


# -- neural style transfer ---------------------------------------------------------------------

def _images(side=16, dtype=np.float32):
    yy, xx = np.mgrid[0:side, 0:side] / side
    content = np.stack([np.sin(6 * xx) * 0.5 + 0.5, yy, (xx + yy) / 2])[None]
    style = np.stack([(np.sin(20 * xx) > 0) * 1.0, (np.sin(20 * yy) > 0) * 1.0,
                      0.5 * np.ones_like(xx)])[None]
    return content.astype(dtype), style.astype(dtype)


def _feature_weights():
    rng = np.random.default_rng(0)
    shapes = {"0.weight": (8, 3, 3, 3), "0.bias": (8,), "2.weight": (8, 8, 3, 3),
              "2.bias": (8,), "5.weight": (16, 8, 3, 3), "5.bias": (16,)}
    return {k: 0.3 * rng.normal(size=s) for k, s in shapes.items()}


def test_gram_matrix_and_total_variation_and_their_gradients():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(1, 4, 3, 5))
    G = OURS["gram_matrix"](_t64(features)).numpy()
    flat = features.reshape(4, 15)
    np.testing.assert_allclose(G, flat @ flat.T / 60, rtol=1e-13)
    image = rng.uniform(size=(1, 3, 4, 5))
    tv = OURS["tv_loss"](_t64(image)).item()
    assert tv == pytest.approx(np.abs(np.diff(image, axis=3)).sum()
                               + np.abs(np.diff(image, axis=2)).sum(), rel=1e-13)
    # neighbours differ (random pixels): no kink of |.| in reach of the differences
    assert gradcheck(OURS["gram_matrix"], (_t64(features, True),))
    assert gradcheck(OURS["tv_loss"], (_t64(image, True),))
    assert gradcheck(OURS["tv_loss"], (_t64(rng.uniform(size=(2, 1, 3, 3)), True),))
    # a flat image has no variation, and |.|'s slope at 0 is 0 (PyTorch's): no gradient
    flat_image = _t64(np.full((1, 3, 4, 4), 0.5), True)
    OURS["tv_loss"](flat_image).backward()
    assert np.abs(flat_image.grad).max() == 0


def test_style_transfer_with_lbfgs_takes_the_style_and_keeps_the_pixels_in_range():
    content, style = (autograd.tensor(a) for a in _images())
    cnn = OURS["feature_net"](_feature_weights())
    for p in cnn.parameters():
        p.requires_grad_(False)
    image, history = OURS["run_style_transfer"](cnn, content, style, 60)
    style_score, content_score, _ = history.T
    # the tutorial's default L-BFGS (lr 1, no line search) wanders (its 4 steps of 20
    # evaluations), but the style loss it ends with is a small part of where it started:
    # 2.2e5 -> at most 4.7e3 over the last 20 evaluations (2.2e4 in float64, where rounding
    # sends the wandering elsewhere); the content term stays small beside it (at most 40)
    assert len(history) == 80
    assert style_score[0] > 2e5 and style_score[-20:].min() < 0.4 * style_score[0]
    assert content_score.max() < 0.05 * style_score[0]
    assert image.data.min() >= 0 and image.data.max() <= 1 and image.dtype == np.float32
    assert not np.allclose(image.data, content.data, atol=0.05)        # it did change


@needs_torch
@pytest.mark.parametrize("lbfgs, evaluations, agree", [
    # plain L-BFGS with lr 1 on this problem is chaotic: the first 40 evaluations agree to
    # 1e-9, then rounding differences grow until the paths part (as between two machines)
    ({}, 40, 40),
    # the strong-Wolfe line search settles: the whole run is the same to the last digits
    (dict(line_search_fn="strong_wolfe", history_size=10, max_iter=25), 100, None),
])
def test_style_transfer_follows_pytorchs_lbfgs(lbfgs, evaluations, agree):
    """The tutorial's loop, the image clamped in the closure, in float64 from the same images
    and features: every evaluation's losses are PyTorch's, evaluation by evaluation."""
    theirs = _theirs()
    runs = []
    for lib, course in ((autograd, OURS), (torch, theirs)):
        content, style = (lib.tensor(a) for a in _images(dtype=np.float64))
        cnn = course["feature_net"](_feature_weights(), lib.float64)
        for p in cnn.parameters():
            p.requires_grad_(False)
        image, history = course["run_style_transfer"](cnn, content, style, evaluations,
                                                      lib.float64, **lbfgs)
        runs.append((image.detach().numpy(), history))
    (ours_image, ours_history), (their_image, their_history) = runs
    assert len(ours_history) == len(their_history)
    np.testing.assert_allclose(ours_history[:agree], their_history[:agree], rtol=1e-9)
    if agree is None:
        np.testing.assert_allclose(ours_image, their_image, rtol=1e-9, atol=1e-9)
        assert ours_history[-1, 2] < 0.02 * ours_history[0, 2]     # 2.2e5 -> 3.8e3


# -- a soft rasteriser -------------------------------------------------------------------------

TRUE_CENTERS = np.array([[0.3, 0.35], [0.65, 0.6], [0.5, 0.25]])
TRUE_RADII = np.array([0.15, 0.2, 0.1])
TRUE_COLORS = np.array([[0.9, 0.1, 0.1], [0.1, 0.2, 0.9], [0.1, 0.8, 0.2]])


def test_the_soft_rasteriser_tends_to_the_hard_one_and_differentiates():
    pix = OURS["pixel_centres"](48, autograd.float64)
    soft = OURS["rasterise"](pix, _t64(TRUE_CENTERS), _t64(TRUE_RADII), _t64(TRUE_COLORS),
                             sigma=1e-4).numpy()
    # by hand: each pixel takes the colour of the first circle that covers it, else white
    p = pix.numpy()
    hard = np.ones((48, 48, 3))
    for c, r, col in list(zip(TRUE_CENTERS, TRUE_RADII, TRUE_COLORS))[::-1]:
        hard[np.linalg.norm(p - c, axis=-1) < r] = col
    assert np.abs(soft - hard.transpose(2, 0, 1)).mean() < 1e-3
    # a wide edge: gradients reach the centres, radii and colours, and are the differences
    small = OURS["pixel_centres"](6, autograd.float64)
    rng = np.random.default_rng(0)
    args = (_t64(TRUE_CENTERS + rng.normal(0, 0.02, (3, 2)), True), _t64(TRUE_RADII, True),
            _t64(TRUE_COLORS, True))
    assert gradcheck(lambda c, r, col: OURS["rasterise"](small, c, r, col, sigma=0.05), args)


def _fit_circles(centers, steps):
    pix = OURS["pixel_centres"](32)
    target = OURS["rasterise"](pix, autograd.tensor(TRUE_CENTERS, dtype=autograd.float32),
                               autograd.tensor(TRUE_RADII, dtype=autograd.float32),
                               autograd.tensor(TRUE_COLORS, dtype=autograd.float32))
    c = autograd.tensor(centers, dtype=autograd.float32, requires_grad=True)
    r_raw = autograd.full((3,), -2.0, requires_grad=True)           # softplus: r = 0.127
    colour_logits = autograd.zeros(3, 3, requires_grad=True)
    optimizer = optim.Adam([c, r_raw, colour_logits], lr=0.02)
    for _ in range(steps):
        image = OURS["rasterise"](pix, c, F.softplus(r_raw), autograd.sigmoid(colour_logits))
        loss = F.mse_loss(image, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item(), c.detach().numpy(), F.softplus(r_raw).detach().numpy(), \
        autograd.sigmoid(colour_logits).detach().numpy()


def test_the_soft_rasteriser_recovers_three_circles():
    start = TRUE_CENTERS + np.array([[0.06, -0.05], [-0.05, -0.06], [0.05, 0.06]])
    loss, centers, radii, colors = _fit_circles(start, steps=300)
    # no seed enters: from these starts 300 Adam steps reach a loss of 2.9e-5, the centres
    # within 1e-4, the radii within 1.3e-3, the colours (slower, through a sigmoid) 0.023
    assert loss < 1e-4, loss
    np.testing.assert_allclose(centers, TRUE_CENTERS, atol=0.002)
    np.testing.assert_allclose(radii, TRUE_RADII, atol=0.005)
    np.testing.assert_allclose(colors, TRUE_COLORS, atol=0.05)


@needs_torch
def test_the_soft_rasterisers_loss_and_gradients_are_pytorchs():
    theirs = _theirs()
    rng = np.random.default_rng(4)
    centers = TRUE_CENTERS + rng.normal(0, 0.05, (3, 2))
    radii, colors = TRUE_RADII * 0.8, rng.uniform(size=(3, 3))
    grads = []
    for lib, course in ((autograd, OURS), (torch, theirs)):
        args = [lib.tensor(a, dtype=lib.float64, requires_grad=True)
                for a in (centers, radii, colors)]
        target = course["rasterise"](course["pixel_centres"](16, lib.float64),
                                     *(lib.tensor(a, dtype=lib.float64)
                                       for a in (TRUE_CENTERS, TRUE_RADII, TRUE_COLORS)))
        image = course["rasterise"](course["pixel_centres"](16, lib.float64), *args)
        loss = ((image - target) ** 2).mean()
        loss.backward()
        grads.append([loss.item()] + [np.asarray(a.grad) for a in args])
    assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-12)
    for ours, twin in zip(grads[0][1:], grads[1][1:]):
        np.testing.assert_allclose(ours, twin, rtol=1e-10, atol=1e-14)


# -- image registration ------------------------------------------------------------------------

def _blobs(side=32):
    yy, xx = np.mgrid[0:side, 0:side] / (side - 1) * 2 - 1
    return (np.exp(-((xx - 0.2) ** 2 + (yy + 0.1) ** 2 / 0.3) / 0.1)
            + 0.7 * np.exp(-((xx + 0.4) ** 2 + (yy - 0.4) ** 2) / 0.05))[None, None]


def _true_theta(dtype=np.float32):
    a = 0.2
    return np.array([[[1.1 * math.cos(a), -math.sin(a), 0.1],
                      [math.sin(a), 0.9 * math.cos(a), -0.15]]], dtype=dtype)


def test_registration_recovers_the_affine_transform():
    fixed = autograd.tensor(_blobs().astype(np.float32))
    moving = OURS["warp"](fixed, autograd.tensor(_true_theta())).detach()
    theta = autograd.eye(2, 3).unsqueeze(0).clone().requires_grad_(True)
    optimizer = optim.Adam([theta], lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(optimizer, 100, 0.3)
    for _ in range(250):
        loss = F.mse_loss(OURS["warp"](moving, theta), fixed)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    # moving = fixed ∘ A, so warping it by A⁻¹ gives back fixed (up to what the border hid)
    inverse = np.linalg.inv(np.vstack([_true_theta()[0], [0, 0, 1]]))[:2]
    np.testing.assert_allclose(theta.detach().numpy()[0], inverse, atol=0.01)
    assert loss.item() < 2e-3


def test_registrations_gradient_in_theta_is_finite_differences():
    fixed = _t64(_blobs(12))
    moving = OURS["warp"](fixed, _t64(_true_theta(np.float64))).detach()
    theta = _t64(np.eye(2, 3)[None] + np.random.default_rng(0).normal(0, 0.05, (1, 2, 3)), True)
    for mode in ("bilinear", "bicubic"):
        assert gradcheck(lambda th: F.mse_loss(OURS["warp"](moving, th, mode), fixed), (theta,),
                         atol=1e-7)


@needs_torch
def test_registrations_loss_and_gradient_are_pytorchs():
    theirs = _theirs()
    theta0 = np.eye(2, 3)[None] + np.random.default_rng(1).normal(0, 0.05, (1, 2, 3))
    out = []
    for lib, course in ((autograd, OURS), (torch, theirs)):
        fixed = lib.tensor(_blobs(20))
        moving = course["warp"](fixed, lib.tensor(_true_theta(np.float64))).detach()
        theta = lib.tensor(theta0, requires_grad=True)
        loss = lib.nn.functional.mse_loss(course["warp"](moving, theta), fixed) \
            if lib is torch else F.mse_loss(OURS["warp"](moving, theta), fixed)
        loss.backward()
        out.append((loss.item(), np.asarray(theta.grad)))
    assert out[0][0] == pytest.approx(out[1][0], rel=1e-12)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-9, atol=1e-14)
