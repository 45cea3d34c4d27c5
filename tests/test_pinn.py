"""A student's trial of physics-informed neural networks (PINNs) in PyTorch's spelling, with
`import autograd as torch`, `torch.autograd.grad` and all, unchanged (README: porting):

    1-d Poisson   u'' = -π² sin(πx) on [0, 1], u(0) = u(1) = 0 (solution sin(πx)): Adam, LBFGS
    oscillator    u'' + 2ζω u' + ω² u = 0, u(0) = 1, u'(0) = 0, and the inverse problem: ω a
                  trainable nn.Parameter learned from noisy observations
    2-d           the heat equation u_t = α u_xx and Burgers' u_t + u u_x = ν u_xx on (x, t)
                  given as one (N, 2) tensor, partial derivatives sliced from one gradient
    tricks        Jacobian and Hessian of a small net, input saliency, a gradient penalty,
                  retain_graph, allow_unused, enable_grad inside no_grad, detach in a residual

Every derivative the networks are trained on is checked against central finite differences in
float64 (u'' of the net; the loss's gradient with respect to a weight, through u'': third
order), and against PyTorch from the same weights where it is installed. Also here: tanh's
backward is one op for tensors (`ops.elementwise.TanhGrad`), as PINN graphs are mostly tanh's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
from autograd import Tensor, Value, gradcheck, gradgradcheck
from autograd.graph import Leaf, walk

from torch_helpers import needs_torch
from torch_helpers import torch as real_torch


def mlp(inputs: int, hidden: int = 32) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.Tanh(), nn.Linear(hidden, hidden),
                         nn.Tanh(), nn.Linear(hidden, 1))


def torch_twin(net: nn.Sequential):
    """PyTorch's float64 copy of a float64 `mlp`, from the same weights."""
    layers = [real_torch.nn.Linear(m.in_features, m.out_features) if isinstance(m, nn.Linear)
              else real_torch.nn.Tanh() for m in net]
    twin = real_torch.nn.Sequential(*layers).double()
    twin.load_state_dict({k: real_torch.as_tensor(np.asarray(v.data))
                          for k, v in net.state_dict().items()})
    return twin


# -- 1-d Poisson --------------------------------------------------------------------------------

def poisson(lib, grad, net, x, xb):
    """The PINN's pieces as a student writes them; `lib` is autograd or torch."""
    u = net(x)
    du = grad(u, x, grad_outputs=lib.ones_like(u), create_graph=True)[0]
    d2u = grad(du, x, lib.ones_like(du), create_graph=True)[0]
    residual = d2u + math.pi ** 2 * lib.sin(math.pi * x)
    loss = (residual ** 2).mean() + (net(xb) ** 2).mean()
    return u, du, d2u, loss


def float64_poisson(seed: int = 1):
    torch.manual_seed(seed)
    net = mlp(1).double()
    xs = np.linspace(0.05, 0.95, 12).reshape(-1, 1)
    return net, xs, np.array([[0.0], [1.0]])


def test_the_poisson_pinn_learns_sin_pi_x():
    torch.manual_seed(0)
    net = mlp(1)
    x = torch.linspace(0, 1, 32).reshape(-1, 1).requires_grad_()
    xb = torch.tensor([[0.0], [1.0]])
    optimizer = nn.optim.Adam(net.parameters(), lr=3e-3)

    def closure():
        optimizer.zero_grad()
        loss = poisson(torch, torch.autograd.grad, net, x, xb)[3]
        loss.backward()
        return loss

    first = closure().item()
    for step in range(400):
        optimizer.step(closure)
    lbfgs = nn.optim.LBFGS(net.parameters(), max_iter=50, line_search_fn="strong_wolfe")

    def lbfgs_closure():
        lbfgs.zero_grad()
        loss = poisson(torch, torch.autograd.grad, net, x, xb)[3]
        loss.backward()
        return loss

    lbfgs.step(lbfgs_closure)
    last = poisson(torch, torch.autograd.grad, net, x, xb)[3].item()
    assert last < first / 1e4                   # from ~49 (π⁴/2) to below 5e-3
    grid = torch.linspace(0, 1, 41).reshape(-1, 1)
    with torch.no_grad():
        error = (net(grid) - torch.sin(math.pi * grid)).abs().max().item()
    assert error < 0.02


def test_u_second_derivative_is_the_finite_difference_one():
    net, xs, _ = float64_poisson()
    x = torch.tensor(xs, requires_grad=True)
    u = net(x)
    (du,) = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)
    (d2u,) = torch.autograd.grad(du, x, torch.ones_like(du), create_graph=True)
    h = 1e-4
    with torch.no_grad():
        at = lambda shift: net(torch.tensor(xs + shift)).numpy()    # noqa: E731
        fd1 = (at(h) - at(-h)) / (2 * h)
        fd2 = (at(h) - 2 * at(0.0) + at(-h)) / h ** 2
    np.testing.assert_allclose(du.numpy(), fd1, atol=1e-7)
    np.testing.assert_allclose(d2u.numpy(), fd2, atol=1e-5)
    assert np.abs(d2u.numpy()).max() > 0.05    # (not a trivially flat net)


def test_the_pinn_loss_gradient_through_u_second_derivative_is_the_finite_difference_one():
    """dL/dW for L built from u'': a third derivative of the net, checked where it lives."""
    net, xs, xb = float64_poisson()

    def loss():
        return poisson(torch, torch.autograd.grad, net, torch.tensor(xs, requires_grad=True),
                       torch.tensor(xb))[3]

    loss().backward()
    for layer, (i, j) in ((net[0], (3, 0)), (net[2], (5, 7)), (net[4], (0, 11))):
        w, eps = layer.weight.data, 1e-6
        w[i, j] += eps
        plus = loss().item()
        w[i, j] -= 2 * eps
        minus = loss().item()
        w[i, j] += eps
        np.testing.assert_allclose(layer.weight.grad[i, j], (plus - minus) / (2 * eps),
                                   rtol=1e-6, atol=1e-9)


@needs_torch
def test_poisson_u_derivatives_loss_and_gradients_are_pytorchs():
    net, xs, xb = float64_poisson()
    twin = torch_twin(net)
    x = torch.tensor(xs, requires_grad=True)
    tx = real_torch.tensor(xs, requires_grad=True)
    ours = poisson(torch, torch.autograd.grad, net, x, torch.tensor(xb))
    theirs = poisson(real_torch, real_torch.autograd.grad, twin, tx, real_torch.tensor(xb))
    for a, b in zip(ours, theirs):              # u, u', u'', the loss
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-13)
    ours[3].backward()
    theirs[3].backward()
    for (name, p), q in zip(net.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=name)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-13)


# -- the damped oscillator and its inverse problem ---------------------------------------------

ZETA, OMEGA = 0.2, 3.0


def oscillator(t: np.ndarray) -> np.ndarray:
    damped = OMEGA * math.sqrt(1 - ZETA ** 2)
    return np.exp(-ZETA * OMEGA * t) * (np.cos(damped * t)
                                        + ZETA * OMEGA / damped * np.sin(damped * t))


class OscillatorPINN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = mlp(1, 24)
        self.omega = nn.Parameter(torch.tensor(1.0))

    def forward(self, t):
        return self.body(t)


def oscillator_loss(lib, grad, net, omega, t, t0, t_obs, u_obs):
    u = net(t)
    du = grad(u, t, lib.ones_like(u), create_graph=True)[0]
    d2u = grad(du, t, lib.ones_like(du), create_graph=True)[0]
    residual = d2u + 2 * ZETA * omega * du + omega ** 2 * u
    u0 = net(t0)
    du0 = grad(u0, t0, lib.ones_like(u0), create_graph=True)[0]
    data = ((net(t_obs) - u_obs) ** 2).mean()
    return 0.01 * (residual ** 2).mean() + ((u0 - 1) ** 2).sum() + (du0 ** 2).sum() + data


def test_the_inverse_problem_learns_omega_from_noisy_observations():
    torch.manual_seed(0)
    model = OscillatorPINN()
    t = torch.linspace(0, 2, 40).reshape(-1, 1).requires_grad_()
    t0 = torch.zeros(1, 1, requires_grad=True)
    t_obs = np.linspace(0, 2, 20, dtype=np.float32).reshape(-1, 1)
    noise = 0.01 * np.random.default_rng(0).standard_normal(t_obs.shape)
    u_obs = torch.tensor(oscillator(t_obs) + noise, dtype=torch.float32)
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(300):
        optimizer.zero_grad()
        loss = oscillator_loss(torch, torch.autograd.grad, model, model.omega, t, t0,
                               torch.tensor(t_obs), u_obs)
        loss.backward()
        optimizer.step()
    assert abs(model.omega.item() - OMEGA) < 0.5 < abs(1.0 - OMEGA)    # from 1.0 toward 3.0
    assert loss.item() < 0.01


@needs_torch
def test_the_inverse_problems_loss_and_omega_gradient_are_pytorchs():
    torch.manual_seed(2)
    body = mlp(1, 8).double()
    twin = torch_twin(body)
    omega = torch.tensor(1.3, dtype=torch.float64, requires_grad=True)
    t_omega = real_torch.tensor(1.3, dtype=real_torch.float64, requires_grad=True)
    ts, t_obs = np.linspace(0, 2, 9).reshape(-1, 1), np.linspace(0.1, 1.9, 5).reshape(-1, 1)
    u_obs = oscillator(t_obs)
    ours = oscillator_loss(torch, torch.autograd.grad, body, omega,
                           torch.tensor(ts, requires_grad=True),
                           torch.zeros(1, 1, dtype=torch.float64, requires_grad=True),
                           torch.tensor(t_obs), torch.tensor(u_obs))
    theirs = oscillator_loss(real_torch, real_torch.autograd.grad, twin, t_omega,
                             real_torch.tensor(ts, requires_grad=True),
                             real_torch.zeros(1, 1, dtype=real_torch.float64,
                                              requires_grad=True),
                             real_torch.tensor(t_obs), real_torch.tensor(u_obs))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(omega.grad, t_omega.grad.item(), rtol=1e-10)
    for p, q in zip(body.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-13)


# -- 2-d: heat and Burgers on (x, t) as one (N, 2) tensor ---------------------------------------

ALPHA, NU = 0.1, 0.01 / math.pi


def partials(lib, grad, net, xt):
    """u, u_x, u_t, u_xx of the net at the rows (x, t) of xt."""
    u = net(xt)
    grads = grad(u, xt, lib.ones_like(u), create_graph=True)[0]
    u_x, u_t = grads[:, 0:1], grads[:, 1:2]
    u_xx = grad(u_x, xt, lib.ones_like(u_x), create_graph=True)[0][:, 0:1]
    return u, u_x, u_t, u_xx


def burgers_loss(lib, grad, net, xt):
    u, u_x, u_t, u_xx = partials(lib, grad, net, xt)
    return ((u_t + u * u_x - NU * u_xx) ** 2).mean()


def test_the_heat_equation_pinn_learns_its_solution():
    torch.manual_seed(0)
    net = mlp(2, 24)
    optimizer = nn.optim.Adam(net.parameters(), lr=3e-3)
    x_init = torch.rand(32, 1)
    t_side = torch.rand(32, 1)
    sides = torch.cat([torch.cat([torch.zeros_like(t_side), t_side], dim=1),
                       torch.cat([torch.ones_like(t_side), t_side], dim=1)])
    start = torch.cat([x_init, torch.zeros_like(x_init)], dim=1)
    for step in range(400):
        xt = torch.rand(64, 2, requires_grad=True)
        u, u_x, u_t, u_xx = partials(torch, torch.autograd.grad, net, xt)
        residual = ((u_t - ALPHA * u_xx) ** 2).mean()
        loss = (residual + ((net(start) - torch.sin(math.pi * x_init)) ** 2).mean()
                + (net(sides) ** 2).mean())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step == 0:
            first = residual.item() + loss.item()
    assert loss.item() < first / 50
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 11), np.linspace(0, 1, 11)), -1).reshape(-1, 2)
    exact = np.sin(np.pi * grid[:, 0]) * np.exp(-ALPHA * np.pi ** 2 * grid[:, 1])
    with torch.no_grad():
        predicted = net(torch.tensor(grid, dtype=torch.float32)).numpy()[:, 0]
    assert np.abs(predicted - exact).max() < 0.1


def test_partial_derivatives_and_burgers_gradient_are_the_finite_difference_ones():
    torch.manual_seed(3)
    net = mlp(2, 16).double()
    points = np.random.default_rng(0).uniform(0, 1, (10, 2))
    u, u_x, u_t, u_xx = partials(torch, torch.autograd.grad, net,
                                 torch.tensor(points, requires_grad=True))
    h = 1e-4
    with torch.no_grad():
        at = lambda dx, dt: net(torch.tensor(points + [dx, dt])).numpy()     # noqa: E731
        np.testing.assert_allclose(u_x.numpy(), (at(h, 0) - at(-h, 0)) / (2 * h), atol=1e-7)
        np.testing.assert_allclose(u_t.numpy(), (at(0, h) - at(0, -h)) / (2 * h), atol=1e-7)
        np.testing.assert_allclose(u_xx.numpy(), (at(h, 0) - 2 * at(0, 0) + at(-h, 0)) / h ** 2,
                                   atol=1e-5)

    def loss():
        return burgers_loss(torch, torch.autograd.grad, net,
                            torch.tensor(points, requires_grad=True))

    loss().backward()
    w, (i, j), eps = net[2].weight.data, (4, 9), 1e-6
    w[i, j] += eps
    plus = loss().item()
    w[i, j] -= 2 * eps
    minus = loss().item()
    w[i, j] += eps
    np.testing.assert_allclose(net[2].weight.grad[i, j], (plus - minus) / (2 * eps), rtol=1e-6)


@needs_torch
def test_the_burgers_partials_loss_and_gradients_are_pytorchs():
    torch.manual_seed(4)
    net = mlp(2, 16).double()
    twin = torch_twin(net)
    points = np.random.default_rng(1).uniform(-1, 1, (10, 2))
    ours = partials(torch, torch.autograd.grad, net, torch.tensor(points, requires_grad=True))
    theirs = partials(real_torch, real_torch.autograd.grad, twin,
                      real_torch.tensor(points, requires_grad=True))
    for a, b in zip(ours, theirs):              # u, u_x, u_t, u_xx
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-11, atol=1e-13)
    loss = burgers_loss(torch, torch.autograd.grad, net, torch.tensor(points, requires_grad=True))
    twin_loss = burgers_loss(real_torch, real_torch.autograd.grad, twin,
                             real_torch.tensor(points, requires_grad=True))
    np.testing.assert_allclose(loss.item(), twin_loss.item(), rtol=1e-12)
    loss.backward()
    twin_loss.backward()
    for p, q in zip(net.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-13)


# -- other derivative tricks --------------------------------------------------------------------

def small_net(seed: int = 5) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 1)).double()


def test_jacobian_and_hessian_of_a_small_net_are_the_finite_difference_ones():
    net = small_net()
    x0 = np.array([0.3, -0.7])
    J = torch.jacobian(net, torch.tensor(x0))
    H = torch.hessian(lambda z: net(z).sum(), torch.tensor(x0))
    assert J.shape == (1, 2) and H.shape == (2, 2)
    h, steps = 1e-5, np.eye(2) * 1e-5
    with torch.no_grad():
        f = lambda z: net(torch.tensor(z)).numpy()      # noqa: E731
        np.testing.assert_allclose(J.numpy()[0], [(f(x0 + s) - f(x0 - s))[0] / (2 * h)
                                                  for s in steps], atol=1e-8)
    g = lambda z: torch.jacobian(net, torch.tensor(z)).numpy()[0]       # noqa: E731
    np.testing.assert_allclose(H.numpy(), [(g(x0 + s) - g(x0 - s)) / (2 * h) for s in steps],
                               atol=1e-7)
    np.testing.assert_allclose(H.numpy(), H.numpy().T, atol=1e-14)


@needs_torch
def test_jacobian_hessian_saliency_and_gradient_penalty_are_pytorchs():
    from torch.autograd.functional import hessian, jacobian
    net = small_net()
    twin = torch_twin(net)
    x0 = np.array([0.3, -0.7])
    batch = np.random.default_rng(2).uniform(-1, 1, (4, 2))
    np.testing.assert_allclose(torch.jacobian(net, torch.tensor(batch)).numpy(),
                               jacobian(twin, real_torch.tensor(batch)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        torch.hessian(lambda z: net(z).sum(), torch.tensor(x0)).numpy(),
        hessian(lambda z: twin(z).sum(), real_torch.tensor(x0)).numpy(), rtol=1e-12)

    def saliency_and_penalty(lib, grad, model, F):
        x = lib.tensor(batch, requires_grad=True)
        loss = F.mse_loss(model(x), lib.ones(4, 1, dtype=lib.float64))
        loss.backward()                         # input saliency: x.grad
        xp = lib.tensor(batch, requires_grad=True)
        out = model(xp)
        g = grad(outputs=out, inputs=xp, grad_outputs=lib.ones_like(out), create_graph=True,
                 retain_graph=True)[0]
        model.zero_grad()
        penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
        penalty.backward()
        return x.grad, penalty, [p.grad for p in model.parameters()]

    ours = saliency_and_penalty(torch, torch.autograd.grad, net, nn.functional)
    theirs = saliency_and_penalty(real_torch, real_torch.autograd.grad, twin,
                                  real_torch.nn.functional)
    np.testing.assert_allclose(ours[0], theirs[0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[1].item(), theirs[1].item(), rtol=1e-12)
    for a, b in zip(ours[2], theirs[2]):      # (the last bias: no gradient, None in both)
        assert (a is None) == (b is None)
        if b is not None:
            np.testing.assert_allclose(a, b.numpy(), rtol=1e-10, atol=1e-14)


def test_retain_graph_allow_unused_enable_grad_and_detach_as_in_pytorch():
    net = small_net()
    out = net(torch.tensor([[0.2, 0.4], [-0.3, 0.9]])).sum()
    out.backward(retain_graph=True)
    once = net[0].weight.grad.copy()
    out.backward()                              # a second backward adds, as PyTorch's does
    np.testing.assert_allclose(net[0].weight.grad, 2 * once)

    a, b = torch.tensor(1.5, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    ga, gb = torch.autograd.grad(a * a, [a, b], allow_unused=True)
    assert ga.item() == 3.0 and gb is None
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        torch.autograd.grad(a * a, [a, b])

    with torch.no_grad():
        x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        with torch.enable_grad():
            y = (x ** 3).sum()
        z = x * 2
    assert y.requires_grad and not z.requires_grad
    y.backward()
    np.testing.assert_allclose(x.grad, [3.0, 12.0])

    # a residual with part of it held fixed: d/dx of u · stop(u) - 1 is u'(x) · u(x)
    x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    u = x ** 2
    (u * u.detach() - 1).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.numpy() * x.numpy() ** 2)


# -- tanh's backward, one op -------------------------------------------------------------------

def test_tanh_gradient_graph_is_one_node_per_tanh():
    """A higher-order pass records tanh's backward as one TanhGrad node (it recorded
    g * (1 - out * out): three nodes, three arrays, for every tanh and every pass)."""
    x = Tensor([[0.3], [-1.1]], requires_grad=True)
    y = x.tanh()
    (g,) = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=True)
    assert g.op == "tanh_backward" and g.parents[1] is y
    net = mlp(1, 8)
    x = torch.rand(5, 1, requires_grad=True)
    u = net(x)
    (du,) = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)
    (d2u,) = torch.autograd.grad(du, x, torch.ones_like(du), create_graph=True)
    ops = [node.op for node in walk(d2u) if node._fn not in (None, Leaf)]
    assert ops.count("tanh_backward") == 4 and "sub" not in ops
    assert len(ops) == 28                       # 40 with tanh's backward as three ops


def test_tanh_backward_op_against_finite_differences(rng):
    from autograd.ops.elementwise import tanh_slope_times
    g = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    out = Tensor(rng.uniform(-0.9, 0.9, (3, 2)), requires_grad=True)
    assert gradcheck(tanh_slope_times, g, out)
    assert gradgradcheck(tanh_slope_times, (g, out))
    x = Tensor(rng.uniform(-2, 2, (4,)), requires_grad=True)
    assert gradgradcheck(lambda t: t.tanh(), x)
    # third derivative of tanh: d³/dx³ tanh = -2 (1 - t²)(1 - 3t²), t = tanh x
    (d1,) = torch.autograd.grad(x.tanh().sum(), x, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = torch.autograd.grad(d2.sum(), x)
    t = np.tanh(x.numpy())
    np.testing.assert_allclose(d3.numpy(), -2 * (1 - t * t) * (1 - 3 * t * t), rtol=1e-12)


def test_a_values_tanh_keeps_micrograds_gradient_graph():
    """Value's rule stays g * (1 - out * out): the scalar compiler lowers those ops, and a
    micrograd graph's gradient is drawn node by node."""
    x = Value(0.7)
    y = x.tanh()
    y.backward(create_graph=True)
    assert x.grad.op == "mul"
    np.testing.assert_allclose(x.grad.data, 1 - math.tanh(0.7) ** 2, rtol=1e-15)
