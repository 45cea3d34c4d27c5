"""A user trial: denoising diffusion (DDPM) written the PyTorch way with the imports changed
(`import autograd as torch`, `import nn`). A linear and a cosine beta schedule
(`torch.linspace`, `torch.cumprod(1 - betas, dim=0)`), forward noising indexed by a batch of
int64 timesteps (`alphas_cumprod[t].view(-1, 1)`, `.gather(-1, t).reshape(...)`), an MLP noise
predictor with sinusoidal time embeddings and `nn.SiLU`, trained with `F.mse_loss`,
`clip_grad_norm_`, AdamW and a warm-up `LambdaLR`; an EMA of the weights (`mul_().add_()`,
`lerp_`, `nn.optim.swa_utils.AveragedModel`); ancestral and DDIM sampling under `no_grad` /
`inference_mode`; a tiny conv denoiser with `GroupNorm`, the time embedding broadcast by
`[:, :, None, None]` and classifier-free guidance. The data are made here: 8 gaussians on a
circle and 8x8 images of a bright left or right half."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import autograd
import nn
from autograd import gradcheck, gradcheck_parameters
from nn import functional as F

from torch_helpers import needs_torch, torch

CENTERS = 2.0 * np.array([(math.cos(a), math.sin(a)) for a in np.arange(8) * math.pi / 4])


def _eight_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
    return (CENTERS[rng.integers(0, 8, n)] + 0.05 * rng.standard_normal((n, 2))).astype(
        np.float32)


def _near_a_mode(x: np.ndarray) -> float:
    """The share of points within 0.3 of one of the 8 centres."""
    d = np.linalg.norm(x[:, None] - CENTERS[None], axis=-1).min(axis=1)
    return float((d < 0.3).mean())


def _course(torch, nn, F):
    """The notebook's code in PyTorch's spelling, for `torch` = PyTorch or glassgrad."""

    def linear_schedule(T, dtype=torch.float32):
        return torch.linspace(1e-4, 0.02, T, dtype=dtype)

    def cosine_schedule(T, s=0.008):
        steps = torch.arange(T + 1, dtype=torch.float64) / T
        f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
        alpha_bar = f / f[0]
        return torch.clip(1 - alpha_bar[1:] / alpha_bar[:-1], 0, 0.999)

    def timestep_embedding(t, dim, dtype=torch.float32):
        half = dim // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=dtype) / half)
        args = t[:, None] * freqs[None]         # int64 steps: dtype; float64 times: float64
        return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)

    class MLPDenoiser(nn.Module):
        def __init__(self, hidden=128, temb=32):
            super().__init__()
            self.temb = temb
            self.t_mlp = nn.Sequential(nn.Linear(temb, hidden), nn.SiLU(),
                                       nn.Linear(hidden, hidden))
            self.inp = nn.Linear(2, hidden)
            self.net = nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                     nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 2))

        def forward(self, x, t):
            h = self.inp(x) + self.t_mlp(timestep_embedding(t, self.temb, x.dtype))
            return self.net(h)

    class Block(nn.Module):
        def __init__(self, cin, cout, d, groups):
            super().__init__()
            self.conv1, self.norm1 = nn.Conv2d(cin, cout, 3, padding=1), nn.GroupNorm(groups, cout)
            self.conv2, self.norm2 = nn.Conv2d(cout, cout, 3, padding=1), nn.GroupNorm(groups, cout)
            self.temb = nn.Linear(d, cout)
            self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

        def forward(self, x, e):
            h = F.silu(self.norm1(self.conv1(x)))
            h = h + self.temb(e)[:, :, None, None]
            h = F.silu(self.norm2(self.conv2(h)))
            return h + self.skip(x)

    class ConvDenoiser(nn.Module):
        """A two-level U-Net in miniature, conditioned on t and a class (the last one: none)."""

        def __init__(self, ch=32, d=64, num_classes=10, groups=4):
            super().__init__()
            self.d = d
            self.t_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
            self.label = nn.Embedding(num_classes + 1, d)
            self.b1 = Block(1, ch, d, groups)
            self.down = nn.Conv2d(ch, ch, 4, stride=2, padding=1)
            self.b2 = Block(ch, ch, d, groups)
            self.up = nn.ConvTranspose2d(ch, ch, 4, stride=2, padding=1)
            self.b3 = Block(2 * ch, ch, d, groups)
            self.out = nn.Conv2d(ch, 1, 1)

        def forward(self, x, t, y):
            e = self.t_mlp(timestep_embedding(t, self.d, x.dtype)) + self.label(y)
            h1 = self.b1(x, e)
            h2 = self.b2(self.down(h1), e)
            return self.out(self.b3(torch.cat([self.up(h2), h1], dim=1), e))

    class Diffusion:
        def __init__(self, betas):
            self.T = len(betas)
            self.betas = betas
            self.alphas = 1 - betas
            self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
            self.alphas_cumprod_prev = torch.cat([torch.ones(1, dtype=betas.dtype),
                                                  self.alphas_cumprod[:-1]])
            self.posterior_variance = (betas * (1 - self.alphas_cumprod_prev)
                                       / (1 - self.alphas_cumprod))

        def q_sample(self, x0, t, noise):
            a = self.alphas_cumprod.gather(-1, t).reshape(-1, *((1,) * (x0.dim() - 1)))
            return a.sqrt() * x0 + (1 - a).sqrt() * noise

        def loss(self, model, x0, t, noise, *cond):
            return F.mse_loss(model(self.q_sample(x0, t, noise), t, *cond), noise)

        @torch.no_grad()
        def sample(self, model, shape, eps_fn=None):
            eps_fn = eps_fn or model
            x = torch.randn(*shape)
            for i in reversed(range(self.T)):
                t = torch.full((shape[0],), i, dtype=torch.long)
                eps = eps_fn(x, t)
                mean = (x - self.betas[i] / torch.sqrt(1 - self.alphas_cumprod[i]) * eps) \
                    / torch.sqrt(self.alphas[i])
                x = mean + torch.sqrt(self.posterior_variance[i]) * torch.randn_like(x) \
                    if i > 0 else mean
            return x

        @torch.inference_mode()
        def ddim(self, model, x, steps):
            ts = list(range(0, self.T, self.T // steps))[::-1]
            for k, i in enumerate(ts):
                eps = model(x, torch.full((x.shape[0],), i, dtype=torch.long))
                a = self.alphas_cumprod[i]
                a_prev = self.alphas_cumprod[ts[k + 1]] if k + 1 < len(ts) else torch.tensor(1.0)
                x0 = (x - torch.sqrt(1 - a) * eps) / torch.sqrt(a)
                x = torch.sqrt(a_prev) * x0 + torch.sqrt(1 - a_prev) * eps
            return x

    def train_step(model, diffusion, optimizer, scheduler, x0, t, noise, *cond):
        loss = diffusion.loss(model, x0, t, noise, *cond)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        return loss

    return dict(linear_schedule=linear_schedule, cosine_schedule=cosine_schedule,
                timestep_embedding=timestep_embedding, MLPDenoiser=MLPDenoiser,
                ConvDenoiser=ConvDenoiser, Diffusion=Diffusion, train_step=train_step)


OURS = _course(autograd, nn, F)


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """numpy's BLAS on one thread while these small models train, as the course's notebooks
    set it: on a busy 2-core machine a second thread that spins while it waits made the 8
    gaussians' training 10x slower (0.8 s -> 9 s for 60 steps). The numbers do not depend
    on it beyond the last bits."""
    before = autograd.get_num_threads()
    autograd.set_num_threads(1)
    yield
    autograd.set_num_threads(before)


def _warmup(optimizer, steps=20):
    return nn.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / steps))


# -- schedules and the forward process --------------------------------------------------------

def test_the_schedules_give_the_closed_form_alpha_bars():
    T = 50
    betas = OURS["linear_schedule"](T, autograd.float64)
    alpha_bar = autograd.cumprod(1 - betas, dim=0).numpy()
    np.testing.assert_allclose(alpha_bar, np.cumprod(1 - np.linspace(1e-4, 0.02, T)), rtol=1e-13)
    cosine = OURS["cosine_schedule"](T)
    assert cosine.dtype == np.float64 and cosine.shape == (T,)
    f = np.cos((np.arange(T + 1) / T + 0.008) / 1.008 * math.pi / 2) ** 2
    # clipped at 0.999 only at the very end: before it, the product is f(t) / f(0)
    np.testing.assert_allclose(autograd.cumprod(1 - cosine, dim=0).numpy()[:-1],
                               (f / f[0])[1:-1], rtol=1e-12)
    assert cosine.numpy()[-1] == 0.999 and (np.diff(cosine.numpy()) > 0).all()


def test_the_noised_batch_indexes_alpha_bar_by_int64_timesteps_both_ways():
    autograd.manual_seed(0)
    diffusion = OURS["Diffusion"](OURS["linear_schedule"](100, autograd.float64))
    x0 = autograd.randn(6, 1, 2, 2, dtype=autograd.float64)
    t = autograd.randint(0, 100, (6,))
    assert t.dtype == np.int64
    noise = autograd.randn_like(x0)
    by_view = diffusion.alphas_cumprod[t].view(-1, 1, 1, 1)
    xt = diffusion.q_sample(x0, t, noise)                       # by gather().reshape()
    np.testing.assert_allclose(xt.numpy(), (by_view.sqrt() * x0 + (1 - by_view).sqrt() * noise)
                               .numpy(), rtol=1e-15)
    a = np.cumprod(1 - np.linspace(1e-4, 0.02, 100))[t.numpy()][:, None, None, None]
    np.testing.assert_allclose(xt.numpy(), np.sqrt(a) * x0.numpy() + np.sqrt(1 - a)
                               * noise.numpy(), rtol=1e-13)
    # the noised data keep unit variance: alpha_bar + (1 - alpha_bar) = 1
    big = diffusion.q_sample(autograd.randn(20000, 2, dtype=autograd.float64),
                             autograd.full((20000,), 60, dtype=autograd.long),
                             autograd.randn(20000, 2, dtype=autograd.float64))
    assert abs(big.numpy().var() - 1) < 0.03


def test_the_time_embedding_is_sin_and_cos_of_geometric_frequencies_and_differentiates():
    t = autograd.tensor([0, 1, 7, 99])
    emb = OURS["timestep_embedding"](t, 16).numpy()
    freqs = np.exp(-math.log(10000) * np.arange(8) / 8)
    want = np.concatenate([np.sin(t.numpy()[:, None] * freqs), np.cos(t.numpy()[:, None]
                                                                      * freqs)], axis=1)
    assert emb.dtype == np.float32 and emb.shape == (4, 16)
    np.testing.assert_allclose(emb, want, atol=1e-4)      # float32 arguments up to 99
    # continuous time (score models, DDIM with fractional steps): the slope against t
    t_cont = autograd.tensor([0.3, 2.5, 11.0], dtype=autograd.float64, requires_grad=True)
    assert gradcheck(lambda s: OURS["timestep_embedding"](s, 12), (t_cont,))


@needs_torch
def test_schedules_and_embedding_are_pytorchs_numbers():
    theirs = _course(torch, torch.nn, torch.nn.functional)
    for T in (10, 1000):
        np.testing.assert_allclose(OURS["cosine_schedule"](T).numpy(),
                                   theirs["cosine_schedule"](T).numpy(), rtol=1e-12)
        np.testing.assert_allclose(OURS["linear_schedule"](T).numpy(),
                                   theirs["linear_schedule"](T).numpy(), rtol=1e-6)
    ts = np.array([0, 3, 500, 999])
    # float32: an argument near 1000 carries its frequency's rounding (numpy's and PyTorch's
    # float32 exp differ in the last bit) times 1000; float64 agrees to rounding
    np.testing.assert_allclose(OURS["timestep_embedding"](autograd.tensor(ts), 64).numpy(),
                               theirs["timestep_embedding"](torch.tensor(ts), 64).numpy(),
                               atol=1e-4)
    np.testing.assert_allclose(
        OURS["timestep_embedding"](autograd.tensor(ts), 64, autograd.float64).numpy(),
        theirs["timestep_embedding"](torch.tensor(ts), 64, torch.float64).numpy(), atol=1e-12)


# -- the MLP denoiser on 8 gaussians -----------------------------------------------------------

def _train_mlp(steps=1200, T=100, hidden=64):
    # 1200 steps: with seeds 0, 1 and 2 the samples then land near a mode 0.98-0.99 of the time
    # (DDIM's 10 steps 0.91-0.94), every mode gets 97 or more of 1000; 1000 steps fell short
    autograd.manual_seed(0)
    data = autograd.tensor(_eight_gaussians(4000, np.random.default_rng(0)))
    # the course's betas, 1e-4 .. 0.02, over only 100 steps: alpha_bar ends at 0.36, so the
    # sampler's N(0, 1) start is a little off the process's end, as in most small demos
    diffusion = OURS["Diffusion"](OURS["linear_schedule"](T))
    model = OURS["MLPDenoiser"](hidden=hidden)
    ema_by_hand, ema_by_lerp = copy.deepcopy(model), copy.deepcopy(model)
    ema = nn.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=nn.optim.swa_utils.get_ema_multi_avg_fn(0.98))
    ema.update_parameters(model)                   # the first update copies the weights
    optimizer = nn.optim.AdamW(model.parameters(), lr=1e-2)
    # warm-up over 20 steps, then a linear decay
    scheduler = nn.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / 20) * max(0.02, 1 - s / steps))
    losses = []
    for _ in range(steps):
        x0 = data[autograd.randint(0, len(data), (256,))]
        t = autograd.randint(0, T, (256,))
        loss = OURS["train_step"](model, diffusion, optimizer, scheduler, x0, t,
                                  autograd.randn_like(x0))
        losses.append(loss.item())
        with autograd.no_grad():
            for hand, lerped, p in zip(ema_by_hand.parameters(), ema_by_lerp.parameters(),
                                       model.parameters()):
                hand.mul_(0.98).add_(p, alpha=1 - 0.98)
                lerped.lerp_(p, 1 - 0.98)
        ema.update_parameters(model)
    return diffusion, model, (ema_by_hand, ema_by_lerp, ema), np.array(losses)


@pytest.fixture(scope="module")
def trained_mlp():
    return _train_mlp()


def test_ddpm_on_eight_gaussians_samples_the_modes(trained_mlp):
    diffusion, model, (ema_by_hand, ema_by_lerp, ema), losses = trained_mlp
    assert losses[-100:].mean() < 0.6 * losses[:20].mean(), losses[[0, -1]]
    autograd.manual_seed(1)
    baseline = _near_a_mode(2.0 * autograd.randn(1000, 2).numpy())
    assert baseline < 0.1
    for net in (model, ema):
        samples = diffusion.sample(net, (1000, 2)).numpy()
        assert _near_a_mode(samples) > 0.95, _near_a_mode(samples)
        # every mode is visited: no collapse onto a few of them
        modes = np.linalg.norm(samples[:, None] - CENTERS[None], axis=-1).argmin(1)
        assert np.bincount(modes, minlength=8).min() > 70      # 125 each, ideally
    ddim = diffusion.ddim(ema, autograd.randn(1000, 2), steps=10).numpy()
    assert _near_a_mode(ddim) > 0.85, _near_a_mode(ddim)      # 10 deterministic steps


def test_ddim_is_deterministic_given_its_start(trained_mlp):
    diffusion, _, (_, _, ema), _ = trained_mlp
    x = autograd.randn(50, 2)
    np.testing.assert_array_equal(diffusion.ddim(ema, x, 10).numpy(),
                                  diffusion.ddim(ema, x.clone(), 10).numpy())


def test_the_three_emas_agree(trained_mlp):
    """mul_(d).add_(p, alpha=1 - d), lerp_(p, 1 - d) and AveragedModel's EMA, all started from
    the same weights, keep the same average (to float32 rounding)."""
    _, model, (by_hand, by_lerp, ema), _ = trained_mlp
    assert int(ema.n_averaged.item()) == 1201
    for (name, hand), lerped, averaged, p in zip(by_hand.named_parameters(),
                                                 by_lerp.parameters(), ema.module.parameters(),
                                                 model.parameters()):
        np.testing.assert_allclose(lerped.data, hand.data, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(averaged.data, hand.data, atol=1e-5, err_msg=name)
    lag = [np.abs(a.data - p.data).max() for a, p in zip(ema.parameters(), model.parameters())]
    assert max(lag) > 1e-3                                      # the average lags behind
    assert set(ema.state_dict()) == {"n_averaged"} | {f"module.{k}" for k in
                                                       model.state_dict()}


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_an_mlp_training_step_is_pytorchs(dtype):
    """One step (noising, forward, MSE, backward, clipping, AdamW, warm-up) from the same
    weights and draws: the loss, every gradient and every new weight are PyTorch's."""
    theirs = _course(torch, torch.nn, torch.nn.functional)
    autograd.manual_seed(0)
    ours_model = OURS["MLPDenoiser"](hidden=32).to(dtype)
    torch_model = theirs["MLPDenoiser"](hidden=32).to(getattr(torch, dtype))
    torch_model.load_state_dict({k: torch.as_tensor(np.array(v.numpy()))
                                 for k, v in ours_model.state_dict().items()})
    rng = np.random.default_rng(3)
    x0, noise = rng.normal(size=(64, 2)).astype(dtype), rng.normal(size=(64, 2)).astype(dtype)
    t = rng.integers(0, 100, 64)
    losses, grads = [], []
    for lib, course, model, opt_mod in ((autograd, OURS, ours_model, nn.optim),
                                        (torch, theirs, torch_model, torch.optim)):
        diffusion = course["Diffusion"](course["linear_schedule"](100, getattr(lib, dtype)))
        optimizer = opt_mod.AdamW(model.parameters(), lr=1e-2)
        scheduler = opt_mod.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 5))
        for _ in range(2):
            loss = course["train_step"](model, diffusion, optimizer, scheduler, lib.tensor(x0),
                                        lib.tensor(t), lib.tensor(noise))
            losses.append(loss.item())
        grads.append({k: np.asarray(p.grad) for k, p in model.named_parameters()})
    tol = 1e-10 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(losses[:2], losses[2:], rtol=tol)
    torch_params = dict(torch_model.named_parameters())
    for name, p in ours_model.named_parameters():
        np.testing.assert_allclose(grads[0][name], grads[1][name], rtol=tol * 10,
                                   atol=tol * np.abs(grads[1][name]).max(), err_msg=name)
        np.testing.assert_allclose(p.data, torch_params[name].detach().numpy(),
                                   atol=10 * tol, err_msg=name)


# -- the conv denoiser: GroupNorm, broadcast time embedding, classifier-free guidance ----------

def _halves(n: int, rng: np.random.Generator):
    """8x8 images in [-1, 1]: class 0 has its left half bright, class 1 its right half."""
    y = rng.integers(0, 2, n)
    x = -np.ones((n, 1, 8, 8), np.float32)
    x[y == 0, :, :, :4] = 1.0
    x[y == 1, :, :, 4:] = 1.0
    return x + 0.05 * rng.standard_normal(x.shape).astype(np.float32), y


def test_the_conv_denoisers_gradients_are_the_finite_differences():
    """GroupNorm, the time embedding added by broadcasting, the label embedding, the down- and
    up-sampling and the skip connection, in float64 at a small size."""
    autograd.manual_seed(0)
    model = OURS["ConvDenoiser"](ch=4, d=8, num_classes=2, groups=2).double()
    rng = np.random.default_rng(0)
    x = autograd.tensor(rng.normal(size=(2, 1, 4, 4)), requires_grad=True)
    t, y = autograd.tensor([3, 17]), autograd.tensor([0, 2])
    noise = autograd.tensor(rng.normal(size=(2, 1, 4, 4)))
    assert gradcheck(lambda xx: model(xx, t, y), (x,), eps=1e-6, atol=1e-6)
    picked = [(n, p) for n, p in model.named_parameters()
              if n.startswith(("b1.norm1", "b2.norm2", "b1.temb", "label", "b3.conv1.bias"))]
    assert gradcheck_parameters(lambda: F.mse_loss(model(x, t, y), noise), picked, atol=1e-7)


@needs_torch
def test_the_conv_denoiser_is_pytorchs_forward_and_backward():
    theirs = _course(torch, torch.nn, torch.nn.functional)
    autograd.manual_seed(0)
    ours = OURS["ConvDenoiser"](ch=8, d=16, num_classes=3, groups=4).double()
    twin = theirs["ConvDenoiser"](ch=8, d=16, num_classes=3, groups=4).double()
    twin.load_state_dict({k: torch.as_tensor(np.array(v.numpy()))
                          for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(1)
    x, noise = rng.normal(size=(4, 1, 8, 8)), rng.normal(size=(4, 1, 8, 8))
    # continuous times (float64): the embedding's sines in float64 on both sides (at float32
    # numpy's and PyTorch's sin differ in the last bit)
    t, y = np.array([0.0, 5.0, 50.5, 199.0]), np.array([0, 1, 2, 3])
    out = ours(autograd.tensor(x), autograd.tensor(t), autograd.tensor(y))
    ref = twin(torch.tensor(x), torch.tensor(t), torch.tensor(y))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-12)
    F.mse_loss(out, autograd.tensor(noise)).backward()
    torch.nn.functional.mse_loss(ref, torch.tensor(noise)).backward()
    reference = dict(twin.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)


def test_classifier_free_guidance_draws_the_class_asked_for():
    T = 40
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    images, labels = _halves(512, rng)
    images, labels = autograd.tensor(images), autograd.tensor(labels)
    diffusion = OURS["Diffusion"](OURS["linear_schedule"](T) * (1000 / T))
    null = 2
    model = OURS["ConvDenoiser"](ch=8, d=16, num_classes=2, groups=4)
    optimizer = nn.optim.AdamW(model.parameters(), lr=3e-3)
    scheduler = _warmup(optimizer)
    dropped = 0
    # 60 steps: seeds 0, 1 and 2 (of the data and the model) then hit 0.93, 0.88 and 0.80 of
    # the classes unguided, all of them guided, and draw both classes unconditionally
    for _ in range(60):
        idx = autograd.randint(0, 512, (32,))
        x0, y = images[idx], labels[idx]
        y = autograd.where(autograd.rand(y.shape[0]) < 0.1, null, y)     # label dropout
        dropped += int((y == null).sum())
        t = autograd.randint(0, T, (32,))
        OURS["train_step"](model, diffusion, optimizer, scheduler, x0, t,
                           autograd.randn_like(x0), y)
    assert 0.07 < dropped / (60 * 32) < 0.13                   # 0.1 +- 4.4 standard errors

    def guided(y, w):
        def eps(x, t):
            e_c, e_u = model(x, t, y), model(x, t, autograd.full_like(y, null))
            return (1 + w) * e_c - w * e_u
        return eps

    x = autograd.randn(4, 1, 8, 8)
    t = autograd.full((4,), 10, dtype=autograd.long)
    y = autograd.tensor([0, 1, 0, 1])
    with autograd.no_grad():                      # w = 0 is the conditional model itself
        np.testing.assert_allclose(guided(y, 0.0)(x, t).numpy(), model(x, t, y).numpy(),
                                   rtol=1e-6, atol=1e-6)
    y = autograd.tensor([0] * 20 + [1] * 20)
    hits = {}
    for w in (0.0, 3.0):
        samples = diffusion.sample(model, (40, 1, 8, 8), eps_fn=guided(y, w)).numpy()
        left_minus_right = samples[..., :4].mean((1, 2, 3)) - samples[..., 4:].mean((1, 2, 3))
        hits[w] = ((left_minus_right < 0).astype(int) == y.numpy()).mean()
    # the conditional model mostly draws the class asked for; guidance makes it surer
    assert hits[0.0] >= 0.7 and hits[3.0] >= 0.9 and hits[3.0] >= hits[0.0], hits
    # unconditional samples are images of either class
    uncond = diffusion.sample(model, (40, 1, 8, 8),
                              eps_fn=lambda x, t: model(x, t, autograd.full((40,), null,
                                                                            dtype=autograd.long)))
    side = uncond[..., :4].mean((1, 2, 3)) - uncond[..., 4:].mean((1, 2, 3))
    assert (side > 0).sum().item() >= 3 and (side < 0).sum().item() >= 3


# -- what changed for this trial: lerp_ and AveragedModel --------------------------------------

def test_lerp_in_place_moves_a_tensor_towards_another():
    t = autograd.tensor([0.0, 10.0, -4.0])
    same = t.lerp_(autograd.tensor([10.0, 20.0, 4.0]), 0.25)
    assert same is t and t.tolist() == [2.5, 12.5, -2.0]
    t.lerp_(np.array([2.5, 12.5, 2.0]), autograd.tensor([1.0, 0.0, 0.5]))   # a weight tensor
    assert t.tolist() == [2.5, 12.5, 0.0]
    p = nn.Parameter(autograd.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="no_grad"):
        p.lerp_(autograd.zeros(2), 0.5)                   # a parameter, while recording
    with autograd.no_grad():
        p.lerp_(autograd.zeros(2), 0.5)
    assert p.tolist() == [0.5, 1.0]
    h = p * 2
    h.lerp_(p, 0.5)                     # an op's result in a graph: recorded, as in PyTorch
    h.sum().backward()                  # h = p * 2 + 0.5 (p - p * 2) = 1.5 p
    assert h.tolist() == [0.75, 1.5] and p.grad.tolist() == [1.5, 1.5]
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(\) do not broadcast to "
                                         r"the tensor's shape \(2,\)"):
        autograd.zeros(2).lerp_(autograd.zeros(3), 0.5)
    with pytest.raises(TypeError, match="needs a floating one"):
        autograd.zeros(2, dtype=autograd.long).lerp_(autograd.ones(2), 0.5)


def test_lerp_in_place_of_a_constant_towards_a_value_in_a_graph_passes_its_gradient():
    w = autograd.tensor([0.5, -1.5, 2.0], dtype=autograd.float64, requires_grad=True)
    c = autograd.tensor([1.0, 1.0, 1.0], dtype=autograd.float64)
    c.lerp_(w.exp(), 0.3)
    (c ** 2).sum().backward()

    def f(v):
        return (autograd.ones(3, dtype=autograd.float64).lerp(v.exp(), 0.3) ** 2).sum()
    assert gradcheck(f, (w.detach().requires_grad_(),))
    autograd.grad(f(w), w)
    np.testing.assert_allclose(w.grad, 2 * (0.7 + 0.3 * np.exp(w.numpy())) * 0.3
                               * np.exp(w.numpy()), rtol=1e-13)


def test_averaged_model_keeps_the_running_mean_or_the_ema_and_copies_buffers():
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    swa = nn.optim.swa_utils.AveragedModel(model)
    ema = nn.optim.swa_utils.AveragedModel(model, avg_fn=nn.optim.swa_utils.get_ema_avg_fn(0.5))
    seen = []
    for k in range(3):
        with autograd.no_grad():
            model[0].weight.add_(1.0)
        model(autograd.randn(8, 2))                       # running statistics move
        seen.append(model[0].weight.numpy().copy())
        swa.update_parameters(model)
        ema.update_parameters(model)
    np.testing.assert_allclose(swa.module[0].weight.numpy(), np.mean(seen, 0), rtol=1e-6)
    np.testing.assert_allclose(ema.module[0].weight.numpy(),
                               0.25 * seen[0] + 0.25 * seen[1] + 0.5 * seen[2], rtol=1e-6)
    np.testing.assert_array_equal(swa.module[1].running_mean.numpy(),
                                  model[1].running_mean.numpy())
    assert int(swa.n_averaged.item()) == 3
    x = autograd.randn(4, 2)
    swa.eval()
    assert swa(x).shape == (4, 3)
    with pytest.raises(AttributeError, match="not built here"):
        nn.optim.swa_utils.update_bn


@needs_torch
def test_averaged_models_ema_is_pytorchs():
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    autograd.manual_seed(0)
    ours = nn.Linear(3, 2).double()
    twin = torch.nn.Linear(3, 2).double()
    twin.load_state_dict({k: torch.as_tensor(np.array(v.numpy()))
                          for k, v in ours.state_dict().items()})
    a = nn.optim.swa_utils.AveragedModel(
        ours, multi_avg_fn=nn.optim.swa_utils.get_ema_multi_avg_fn(0.9))
    b = AveragedModel(twin, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    rng = np.random.default_rng(0)
    for _ in range(4):
        step = rng.normal(size=(2, 3))
        with autograd.no_grad():
            ours.weight.add_(autograd.tensor(step))
        with torch.no_grad():
            twin.weight.add_(torch.tensor(step))
        a.update_parameters(ours)
        b.update_parameters(twin)
    np.testing.assert_allclose(a.module.weight.numpy(), b.module.weight.detach().numpy(),
                               rtol=1e-13)
    assert list(a.state_dict()) == list(b.state_dict())
    assert int(a.n_averaged.item()) == int(b.n_averaged.item()) == 4
