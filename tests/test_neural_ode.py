"""A user trial: neural ODEs written the PyTorch way with the imports changed (`import autograd
as torch`, `import nn`). Fixed-step Euler and RK4 written by hand over a `torch.linspace` time
grid, the trajectory a `torch.stack`; an ODE function as an `nn.Module` `f(t, z)`; a spiral's
trajectory fitted by backpropagating through the solver; and a continuous normalizing flow,
whose state is augmented with the log-density by `torch.cat`, with the exact trace of df/dz (one
`torch.autograd.grad(..., create_graph=True)` per dimension) or Hutchinson's estimate
(`torch.autograd.grad((f * eps).sum(), z, create_graph=True)`). The base density is written by
hand, the course's fallback for `torch.distributions`."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import gradcheck_parameters

from torch_helpers import needs_torch, torch


def _odes(torch, nn):
    """The course's solvers and models in PyTorch's spelling, for `torch` = PyTorch or
    glassgrad."""

    def base_log_prob(z):
        # MultivariateNormal(torch.zeros(2), torch.eye(2)).log_prob(z)
        return -0.5 * (z ** 2).sum(1) - math.log(2 * math.pi)

    class ODEFunc(nn.Module):
        def __init__(self, d=2, hidden=50, time=False):
            super().__init__()
            self.time = time
            self.net = nn.Sequential(nn.Linear(d + int(time), hidden), nn.Tanh(),
                                     nn.Linear(hidden, d))

        def forward(self, t, z):
            if self.time:                           # t as one more input column
                z = torch.cat([z, torch.ones_like(z[:, :1]) * t], dim=1)
            return self.net(z)

    def euler(f, z0, ts):
        z, zs = z0, [z0]
        for i in range(len(ts) - 1):
            z = z + (ts[i + 1] - ts[i]) * f(ts[i], z)
            zs.append(z)
        return torch.stack(zs)

    def rk4(f, z0, ts):
        z, zs = z0, [z0]
        for i in range(len(ts) - 1):
            t, dt = ts[i], ts[i + 1] - ts[i]
            k1 = f(t, z)
            k2 = f(t + dt / 2, z + dt / 2 * k1)
            k3 = f(t + dt / 2, z + dt / 2 * k2)
            k4 = f(t + dt, z + dt * k3)
            z = z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            zs.append(z)
        return torch.stack(zs)

    def exact_trace(fz, z):
        trace = torch.zeros(z.shape[0], dtype=z.dtype)
        for i in range(z.shape[1]):
            trace = trace + torch.autograd.grad(fz[:, i].sum(), z, create_graph=True)[0][:, i]
        return trace

    def hutchinson_trace(fz, z, eps):
        vjp = torch.autograd.grad((fz * eps).sum(), z, create_graph=True)[0]
        return (vjp * eps).sum(1)

    class CNF(nn.Module):
        """The augmented state [z, Δlog p]: dz/dt = f(t, z), d(Δlog p)/dt = -tr(∂f/∂z)."""
        def __init__(self, hidden=16, exact=True):
            super().__init__()
            self.f = ODEFunc(2, hidden, time=True)
            self.exact = exact
            self.eps = None                         # Hutchinson's noise, fixed per solve

        def forward(self, t, state):
            with torch.enable_grad():
                z = state[:, :2]
                if not z.requires_grad:
                    z = z.requires_grad_()
                fz = self.f(t, z)
                trace = exact_trace(fz, z) if self.exact else hutchinson_trace(fz, z, self.eps)
            return torch.cat([fz, -trace.unsqueeze(1)], dim=1)

        def log_prob(self, x, steps=4):
            """Data at t = 1 back to the base at t = 0: log p(x) = log p0(z0) - Δ."""
            state = torch.cat([x, torch.zeros(x.shape[0], 1, dtype=x.dtype)], dim=1)
            end = rk4(self, state, torch.linspace(1, 0, steps + 1, dtype=x.dtype))[-1]
            return base_log_prob(end[:, :2]) - end[:, 2]

        def sample(self, z0, steps=4):
            state = torch.cat([z0, torch.zeros(z0.shape[0], 1, dtype=z0.dtype)], dim=1)
            return rk4(self, state, torch.linspace(0, 1, steps + 1, dtype=z0.dtype))[-1][:, :2]

    return dict(base_log_prob=base_log_prob, ODEFunc=ODEFunc, euler=euler, rk4=rk4,
                exact_trace=exact_trace, hutchinson_trace=hutchinson_trace, CNF=CNF)


OURS = _odes(autograd, nn)
euler, rk4 = OURS["euler"], OURS["rk4"]

SPIRAL = np.array([[-0.1, 2.0], [-2.0, -0.1]])     # dz/dt = z A: an inward spiral


def _double(make, *args):
    autograd.set_default_dtype(np.float64)
    try:
        return make(*args)
    finally:
        autograd.set_default_dtype(np.float32)


def test_rk4_and_euler_solve_a_linear_ode_to_their_orders():
    A = autograd.tensor(SPIRAL)
    f = lambda t, z: z @ A                          # noqa: E731
    z0 = autograd.tensor([[2.0, 0.0], [0.5, -1.0]], dtype=np.float64)
    exact = z0.numpy() @ autograd.linalg.matrix_exp(autograd.tensor(2.0 * SPIRAL)).numpy()
    errors = {}
    for name, solver in (("euler", euler), ("rk4", rk4)):
        for n in (40, 80):
            ts = autograd.linspace(0, 2, n + 1, dtype=np.float64)
            trajectory = solver(f, z0, ts)
            assert trajectory.shape == (n + 1, 2, 2)
            np.testing.assert_array_equal(trajectory[0].numpy(), z0.numpy())
            errors[name, n] = np.abs(trajectory[-1].numpy() - exact).max()
    assert 1.8 < errors["euler", 40] / errors["euler", 80] < 2.2         # first order
    assert 14 < errors["rk4", 40] / errors["rk4", 80] < 18               # fourth order
    assert errors["rk4", 80] < 1e-6


def test_a_neural_ode_fits_a_spiral_by_backpropagating_through_rk4():
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    A = autograd.tensor(SPIRAL, dtype=np.float32)
    t = autograd.linspace(0, 5, 101)
    with autograd.no_grad():
        true_z = rk4(lambda t, z: autograd.mm(z, A), autograd.tensor([[2.0, 0.0]]), t)
    func = OURS["ODEFunc"](2, 50)
    opt = nn.optim.Adam(func.parameters(), lr=1e-2)
    losses = []
    for _ in range(150):                            # batches of 10-step pieces of the spiral
        s = autograd.tensor(rng.choice(101 - 10, 16, replace=False))
        batch_z = autograd.stack([true_z[s + i].squeeze(1) for i in range(10)])
        pred = rk4(func, batch_z[0], t[:10])
        loss = (pred - batch_z).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with autograd.no_grad():
        whole = rk4(func, autograd.tensor([[2.0, 0.0]]), t)
    assert np.mean(losses[-10:]) < 0.1 * np.mean(losses[:5]), losses[::30]
    # the whole trajectory, 100 steps from the start alone, stays on the spiral
    assert (whole - true_z).abs().mean().item() < 0.1 * (true_z - true_z[0]).abs().mean().item()


def test_the_rk4_rollout_loss_gradient_is_the_finite_differences_in_float64():
    autograd.manual_seed(1)
    func = _double(OURS["ODEFunc"], 2, 6, True)
    rng = np.random.default_rng(1)
    z0, target = autograd.tensor(rng.standard_normal((3, 2))), autograd.tensor(
        rng.standard_normal((6, 3, 2)))
    ts = autograd.linspace(0, 1, 6, dtype=np.float64)
    for solver in (euler, rk4):
        assert gradcheck_parameters(lambda: ((solver(func, z0, ts) - target) ** 2).mean(),
                                    func.named_parameters(), atol=1e-9, rtol=1e-6)


def test_the_exact_trace_is_the_jacobians_and_hutchinsons_estimate_averages_to_it():
    autograd.manual_seed(2)
    func = _double(OURS["ODEFunc"], 2, 8)
    x = np.random.default_rng(2).standard_normal((3, 2))
    z = autograd.tensor(x, requires_grad=True)
    fz = func(0.0, z)
    exact = OURS["exact_trace"](fz, z)
    J = autograd.autograd.functional.jacobian(lambda v: func(0.0, v), autograd.tensor(x))
    np.testing.assert_allclose(exact.numpy(), np.einsum("iaia->i", J.numpy()), rtol=1e-12)
    # Rademacher noise: E[εᵀ J ε] = tr J; 4,000 draws of each row at once
    many = autograd.tensor(np.repeat(x, 4000, axis=0), requires_grad=True)
    eps = autograd.randint_like(many, 0, 2) * 2 - 1
    estimate = OURS["hutchinson_trace"](func(0.0, many), many, eps).numpy().reshape(3, 4000)
    offdiag = np.abs(J.numpy()[np.arange(3), 0, np.arange(3), 1]
                     + J.numpy()[np.arange(3), 1, np.arange(3), 0])
    # each draw is tr J ± (J01 + J10): the mean is within 5 standard errors
    np.testing.assert_array_less(np.abs(estimate.mean(1) - exact.numpy()),
                                 5 * offdiag / math.sqrt(4000) + 1e-12)


def test_a_cnfs_exact_log_density_integrates_to_one_and_its_gradient_is_the_differences():
    autograd.manual_seed(3)
    cnf = _double(OURS["CNF"], 8)
    with autograd.no_grad():                        # a flow that moves mass: larger weights
        for p in cnf.parameters():
            p.mul_(2.0)
    grid = np.linspace(-7, 7, 71)
    points = np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2)
    with autograd.no_grad():                        # the dynamics turn recording back on
        density = cnf.log_prob(autograd.tensor(points)).exp().numpy()
    assert abs(density.sum() * (grid[1] - grid[0]) ** 2 - 1) < 2e-3
    base = np.exp(OURS["base_log_prob"](autograd.tensor(points)).numpy())
    assert np.abs(density - base).max() > 0.02      # and the flow did change the density
    x = autograd.tensor(np.random.default_rng(3).standard_normal((3, 2)))
    assert gradcheck_parameters(lambda: cnf.log_prob(x, steps=2).mean(),
                                cnf.named_parameters(), atol=1e-9, rtol=1e-6)


def test_sampling_a_cnf_under_no_grad_and_mapping_back_recovers_the_base_points():
    autograd.manual_seed(4)
    cnf = _double(OURS["CNF"], 8)
    z0 = autograd.tensor(np.random.default_rng(4).standard_normal((5, 2)))
    with autograd.no_grad():
        x = cnf.sample(z0, steps=20)
        state = autograd.cat([x, autograd.zeros(5, 1, dtype=np.float64)], dim=1)
        back = rk4(cnf, state, autograd.linspace(1, 0, 21, dtype=np.float64))[-1]
    assert not x.requires_grad and not back.requires_grad
    np.testing.assert_allclose(back[:, :2].numpy(), z0.numpy(), atol=1e-6)


def test_a_cnf_with_hutchinsons_trace_learns_two_gaussians():
    autograd.manual_seed(5)
    rng = np.random.default_rng(5)
    data = rng.standard_normal((512, 2)) * 0.4 + np.where(rng.random((512, 1)) < 0.5, 1.5, -1.5)
    cnf = OURS["CNF"](16, exact=False)
    opt = nn.optim.Adam(cnf.parameters(), lr=2e-2)
    X = autograd.tensor(data.astype(np.float32))
    losses = []
    for step in range(40):
        xb = X[autograd.randint(0, 512, (128,))]
        cnf.eps = autograd.randint_like(xb, 0, 2) * 2 - 1
        loss = -cnf.log_prob(xb, steps=3).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < np.mean(losses[:3]) - 1.0, losses[::8]


def _copy_into_torch(ours, theirs) -> None:
    theirs.load_state_dict({k: torch.as_tensor(np.array(v)) for k, v in ours.state_dict().items()})


def _same_gradients(ours, theirs) -> None:
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, named[name].grad.numpy(), rtol=1e-9, atol=1e-13,
                                   err_msg=name)


@needs_torch
@pytest.mark.parametrize("solver", ["euler", "rk4"])
def test_the_solvers_match_pytorch_from_the_same_weights(solver):
    import torch.nn as tnn
    theirs_odes = _odes(torch, tnn)
    autograd.manual_seed(6)
    ours = _double(OURS["ODEFunc"], 2, 20, True)
    theirs = theirs_odes["ODEFunc"](2, 20, True).double()
    _copy_into_torch(ours, theirs)
    z0 = np.random.default_rng(6).standard_normal((16, 2))
    a = OURS[solver](ours, autograd.tensor(z0), autograd.linspace(0, 1, 11, dtype=np.float64))
    b = theirs_odes[solver](theirs, torch.tensor(z0), torch.linspace(0, 1, 11,
                                                                      dtype=torch.float64))
    np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14)
    (a ** 2).mean().backward()
    (b ** 2).mean().backward()
    _same_gradients(ours, theirs)


@needs_torch
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "hutchinson"])
def test_the_cnf_log_density_and_its_gradients_match_pytorch(exact):
    import torch.nn as tnn
    theirs_odes = _odes(torch, tnn)
    autograd.manual_seed(7)
    ours = _double(OURS["CNF"], 16, exact)
    theirs = theirs_odes["CNF"](16, exact).double()
    _copy_into_torch(ours, theirs)
    rng = np.random.default_rng(7)
    x, eps = rng.standard_normal((16, 2)), np.sign(rng.standard_normal((16, 2)))
    ours.eps, theirs.eps = autograd.tensor(eps), torch.tensor(eps)
    a, b = ours.log_prob(autograd.tensor(x)), theirs.log_prob(torch.tensor(x))
    np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)
    a.mean().backward()
    b.mean().backward()
    _same_gradients(ours, theirs)
