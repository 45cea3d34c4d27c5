"""A user trial: score-based and energy-based models written the PyTorch way with the imports
changed (`import autograd as torch`, `import nn`). Denoising score matching at several noise
levels with annealed Langevin sampling; an energy network E(x) whose score is
`-torch.autograd.grad(E(x).sum(), x, create_graph=True)[0]`, trained by sliced score matching
(the Hessian's trace by Hutchinson's estimator, a double backward) and by contrastive
divergence with Langevin dynamics (`x - step * grad + sqrt(2 step) * noise`, detached and
`requires_grad_()` again each step) and a replay buffer kept by `torch.cat`. The data are made
here: two moons and a correlated Gaussian."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import gradcheck, gradcheck_parameters

from torch_helpers import needs_torch, torch


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """numpy's BLAS on one thread while these small models train (see test_diffusion.py)."""
    before = autograd.get_num_threads()
    autograd.set_num_threads(1)
    yield
    autograd.set_num_threads(before)


def _moons(n: int, rng: np.random.Generator) -> np.ndarray:
    t = rng.uniform(0, math.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return (np.stack([x, y], 1) + 0.05 * rng.standard_normal((n, 2))).astype(np.float32)


def _near_data(x: np.ndarray, data: np.ndarray, within: float = 0.15) -> float:
    d = np.sqrt(((x[:, None] - data[None]) ** 2).sum(-1)).min(1)
    return float((d < within).mean())


def _distance(x: np.ndarray, data: np.ndarray) -> float:
    return float(np.sqrt(((x[:, None] - data[None]) ** 2).sum(-1)).min(1).mean())


def _uniform(n: int) -> autograd.Tensor:
    return autograd.rand(n, 2) * autograd.tensor([4.0, 2.5]) - autograd.tensor([1.5, 1.0])


def _course(torch, nn):
    """The notebook's code in PyTorch's spelling, for `torch` = PyTorch or glassgrad."""

    class Energy(nn.Module):
        def __init__(self, hidden=64):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                     nn.SiLU(), nn.Linear(hidden, 1))

        def forward(self, x):
            return self.net(x).squeeze(-1)

    class NoiseConditionalScore(nn.Module):
        def __init__(self, hidden=64):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(3, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                     nn.SiLU(), nn.Linear(hidden, 2))

        def forward(self, x, sigma):            # s(x, σ) ≈ ∇ log p_σ(x), scaled by 1/σ
            return self.net(torch.cat([x, sigma.log()], dim=-1)) / sigma

    def score(energy, x):
        return -torch.autograd.grad(energy(x).sum(), x, create_graph=True)[0]

    def sliced_score_matching(energy, x, v):
        """E[vᵀ ∇ₓs(x) v + ½ |s(x)|²]: Hutchinson's estimate of the trace by the probes v."""
        x = x.requires_grad_()
        s = score(energy, x)
        sv = (s * v).sum()
        jv = torch.autograd.grad(sv, x, create_graph=True)[0]
        return ((jv * v).sum(-1) + 0.5 * (s ** 2).sum(-1)).mean()

    def exact_score_matching(energy, x):
        """The same with the Jacobian's trace summed exactly, one backward per dimension."""
        x = x.requires_grad_()
        s = score(energy, x)
        trace = sum(torch.autograd.grad(s[:, i].sum(), x, create_graph=True)[0][:, i]
                    for i in range(x.shape[1]))
        return (trace + 0.5 * (s ** 2).sum(-1)).mean()

    def dsm_loss(model, x, sigmas, idx, noise):
        sigma = sigmas[idx].view(-1, 1)
        target = -noise / sigma
        return 0.5 * (((model(x + sigma * noise, sigma) - target) ** 2).sum(-1)
                      * sigma.squeeze(-1) ** 2).mean()

    def langevin(energy, x, steps, step_size, noises=None, temperature=1.0):
        for k in range(steps):
            x.requires_grad_()
            grad = torch.autograd.grad(energy(x).sum(), x)[0]
            noise = torch.randn_like(x) if noises is None else noises[k]
            x = x - step_size * grad + math.sqrt(2 * step_size * temperature) * noise
            x = x.detach()
        return x

    return dict(Energy=Energy, NoiseConditionalScore=NoiseConditionalScore, score=score,
                sliced_score_matching=sliced_score_matching,
                exact_score_matching=exact_score_matching, dsm_loss=dsm_loss, langevin=langevin)


OURS = _course(autograd, nn)


# -- the score of an energy and Hutchinson's trace ---------------------------------------------

def test_the_score_of_a_quadratic_energy_and_hutchinsons_trace():
    A = np.array([[2.0, 0.6], [0.6, 1.0]])
    At = autograd.tensor(A)

    def energy(x):
        return 0.5 * ((x @ At) * x).sum(-1)
    x = autograd.tensor(np.random.default_rng(0).normal(size=(5, 2)), requires_grad=True)
    s = OURS["score"](energy, x)
    np.testing.assert_allclose(s.numpy(), -x.numpy() @ A, rtol=1e-13)
    # the exact loss: -tr(A) + ½|Ax|², averaged
    exact = OURS["exact_score_matching"](energy, x.detach())
    np.testing.assert_allclose(exact.item(), -np.trace(A) + 0.5 * np.mean(
        ((x.numpy() @ A) ** 2).sum(-1)), rtol=1e-13)
    # Hutchinson's probes: vᵀ(-A)v averages to -tr(A) (Gaussian or Rademacher v)
    autograd.manual_seed(0)
    xs = autograd.zeros(20000, 2, dtype=autograd.float64)
    for v in (autograd.randn_like(xs), autograd.randint_like(xs, 2) * 2 - 1):
        ssm = OURS["sliced_score_matching"](energy, xs.clone(), v)
        assert abs(ssm.item() + np.trace(A)) < 0.1, ssm.item()     # 4 standard errors
    rademacher = OURS["sliced_score_matching"](energy, xs[:1].clone(), autograd.ones(1, 2,
                                               dtype=autograd.float64))
    assert rademacher.item() == pytest.approx(-A.sum())


def test_the_sliced_losss_double_backward_is_the_finite_differences():
    """d loss / dθ goes through the score's own backward (create_graph) twice over: checked,
    every parameter's every number, against central differences in float64."""
    autograd.manual_seed(0)
    energy = OURS["Energy"](hidden=5).double()
    rng = np.random.default_rng(1)
    x, v = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    assert gradcheck_parameters(
        lambda: OURS["sliced_score_matching"](energy, autograd.tensor(x), autograd.tensor(v)),
        energy.named_parameters(), eps=1e-5, atol=1e-8)
    assert gradcheck_parameters(
        lambda: OURS["exact_score_matching"](energy, autograd.tensor(x)),
        energy.named_parameters(), eps=1e-5, atol=1e-8)
    # and against x: the loss's third derivative of E
    assert gradcheck(lambda xx: OURS["sliced_score_matching"](energy, xx, autograd.tensor(v)),
                     (autograd.tensor(x, requires_grad=True),))


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_score_matching_losses_and_gradients_are_pytorchs(dtype):
    theirs = _course(torch, torch.nn)
    autograd.manual_seed(0)
    ours = OURS["Energy"](hidden=16).to(dtype)
    twin = theirs["Energy"](hidden=16).to(getattr(torch, dtype))
    twin.load_state_dict({k: torch.as_tensor(np.array(v.numpy()))
                          for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(2)
    x, v = rng.normal(size=(32, 2)).astype(dtype), rng.normal(size=(32, 2)).astype(dtype)
    tol = 1e-10 if dtype == "float64" else 2e-5
    for name in ("sliced_score_matching", "exact_score_matching"):
        args = (v,) if name.startswith("sliced") else ()
        ours.zero_grad()
        twin.zero_grad()
        a = OURS[name](ours, autograd.tensor(x), *map(autograd.tensor, args))
        b = theirs[name](twin, torch.tensor(x), *map(torch.tensor, args))
        a.backward()
        b.backward()
        np.testing.assert_allclose(a.item(), b.item(), rtol=tol)
        reference = dict(twin.named_parameters())
        for key, p in ours.named_parameters():
            if reference[key].grad is None:     # the output's bias: the score does not see it
                assert key == "net.4.bias" and (p.grad is None or not p.grad.any()), key
                continue
            g = reference[key].grad.numpy()
            np.testing.assert_allclose(p.grad, g, rtol=tol * 10, atol=tol * np.abs(g).max(),
                                       err_msg=f"{name}: {key}")


@needs_torch
def test_a_langevin_chain_is_pytorchs_given_the_same_noise():
    theirs = _course(torch, torch.nn)
    autograd.manual_seed(0)
    ours = OURS["Energy"](hidden=16).double()
    twin = theirs["Energy"](hidden=16).double()
    twin.load_state_dict({k: torch.as_tensor(np.array(v.numpy()))
                          for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(3)
    x0, noises = rng.normal(size=(10, 2)), rng.normal(size=(20, 10, 2))
    a = OURS["langevin"](ours, autograd.tensor(x0), 20, 0.01, list(map(autograd.tensor, noises)))
    b = theirs["langevin"](twin, torch.tensor(x0), 20, 0.01, list(map(torch.tensor, noises)))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-13)
    assert not a.requires_grad and a.is_leaf


def test_the_langevin_step_in_its_other_spellings():
    """PyTorch's `x.detach_()` is refused here, saying what to write; the step written
    under no_grad() in place on a leaf gives the same chain as `x = x.detach()`."""
    autograd.manual_seed(0)
    energy = OURS["Energy"](hidden=8).double()
    x0 = autograd.randn(5, 2, dtype=autograd.float64)
    noises = [autograd.randn(5, 2, dtype=autograd.float64) for _ in range(5)]
    want = OURS["langevin"](energy, x0.clone(), 5, 0.05, noises)
    x = x0.clone().requires_grad_()
    for noise in noises:
        grad, = autograd.autograd.grad(energy(x).sum(), x)
        with autograd.no_grad():
            x -= 0.05 * grad
            x += math.sqrt(2 * 0.05) * noise
    np.testing.assert_allclose(x.numpy(), want.numpy(), rtol=1e-13)
    y = x0.clone().requires_grad_()
    y = y - 0.05 * autograd.autograd.grad(energy(y).sum(), y)[0]
    assert y.detach_() is y and not y.requires_grad       # PyTorch's in-place detach


# -- training: denoising score matching, sliced score matching, contrastive divergence ----------

def test_denoising_score_matching_learns_each_noise_levels_gaussian_score():
    """Data N(m, S): at noise level σ the noised data are N(m, S + σ²I), whose score is
    -(S + σ²I)⁻¹(x - m); the network learns it at every level."""
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    m, S = np.array([1.0, -0.5]), np.array([[0.5, 0.3], [0.3, 0.4]])
    data = autograd.tensor(rng.multivariate_normal(m, S, 4000).astype(np.float32))
    sigmas = autograd.exp(autograd.linspace(math.log(1.0), math.log(0.1), 5))
    model = OURS["NoiseConditionalScore"](hidden=64)
    optimizer = nn.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(1500):
        x = data[autograd.randint(0, len(data), (256,))]
        idx = autograd.randint(0, len(sigmas), (256,))
        loss = OURS["dsm_loss"](model, x, sigmas, idx, autograd.randn_like(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for sigma in sigmas.tolist():
        cov = S + sigma ** 2 * np.eye(2)
        x = rng.multivariate_normal(m, cov, 500).astype(np.float32)
        want = -np.linalg.solve(cov, (x - m).T).T
        with autograd.no_grad():
            got = model(autograd.tensor(x), autograd.full((500, 1), sigma)).numpy()
        # relative error of the score field, weighted as the data weigh it
        error = np.sqrt(((got - want) ** 2).sum(-1).mean() / (want ** 2).sum(-1).mean())
        assert error < 0.25, (sigma, error)


@pytest.fixture(scope="module")
def moons():
    return _moons(2000, np.random.default_rng(0))


def test_annealed_langevin_on_a_dsm_model_draws_the_moons(moons):
    autograd.manual_seed(0)
    data = autograd.tensor(moons)
    sigmas = autograd.exp(autograd.linspace(math.log(1.0), math.log(0.05), 6))
    model = OURS["NoiseConditionalScore"](hidden=64)
    optimizer = nn.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(800):
        x = data[autograd.randint(0, len(data), (256,))]
        idx = autograd.randint(0, len(sigmas), (256,))
        loss = OURS["dsm_loss"](model, x, sigmas, idx, autograd.randn_like(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with autograd.no_grad():
        x = _uniform(400)
        for sigma in sigmas.tolist():               # NCSN's step: ε σ² / σ_L²
            step = 2.5e-4 * sigma ** 2 / sigmas[-1].item() ** 2
            for _ in range(30):
                x = x + step * model(x, autograd.full((400, 1), sigma)) \
                    + math.sqrt(2 * step) * autograd.randn_like(x)
    baseline = _near_data(_uniform(400).numpy(), moons)
    assert baseline < 0.45
    assert _near_data(x.numpy(), moons) > 0.75, _near_data(x.numpy(), moons)


def test_an_energy_trained_by_sliced_score_matching_samples_the_moons(moons):
    autograd.manual_seed(0)
    data = autograd.tensor(moons)
    energy = OURS["Energy"](hidden=64)
    optimizer = nn.optim.Adam(energy.parameters(), lr=2e-3)
    for _ in range(300):
        x = data[autograd.randint(0, len(data), (128,))] + 0.1 * autograd.randn(128, 2)
        loss = OURS["sliced_score_matching"](energy, x, autograd.randn_like(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    x = OURS["langevin"](energy, _uniform(400), 150, 0.005)
    assert _near_data(x.numpy(), moons) > 0.6, _near_data(x.numpy(), moons)
    with autograd.no_grad():          # lower energy on the data than off it
        assert energy(data[:400]).mean().item() < energy(_uniform(400)).mean().item() - 1.0


def test_contrastive_divergence_with_a_replay_buffer(moons):
    autograd.manual_seed(0)
    data = autograd.tensor(moons)
    energy = OURS["Energy"](hidden=64)
    optimizer = nn.optim.Adam(energy.parameters(), lr=1e-3, betas=(0.0, 0.999))
    buffer = _uniform(500)
    # 250 steps: with seeds 0, 1 and 2 the buffer's distance to the data is then 0.43-0.49 of
    # the uniform points' (400 steps: 0.52-0.56; 150: up to 0.61)
    for _ in range(250):
        positive = data[autograd.randint(0, len(data), (64,))]
        start = autograd.cat([_uniform(6), buffer[autograd.randint(0, len(buffer), (58,))]],
                             dim=0)
        # short chains at a low temperature (the noise's scale 0.05), as JEM's and IGEBM's
        negative = OURS["langevin"](energy, start, 10, 0.05, temperature=0.05 ** 2)
        buffer = autograd.cat([negative, buffer], dim=0)[:500]
        e_pos, e_neg = energy(positive), energy(negative)
        loss = e_pos.mean() - e_neg.mean() + 0.1 * (e_pos ** 2 + e_neg ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert buffer.shape == (500, 2) and not buffer.requires_grad
    with autograd.no_grad():
        assert energy(data[:500]).mean().item() < energy(_uniform(500)).mean().item()
    # the buffer's samples have moved onto the data: their mean distance to the nearest data
    # point is well below that of the uniform points they started from
    assert _distance(buffer[:300].numpy(), moons) < 0.65 * _distance(_uniform(300).numpy(),
                                                                      moons)
