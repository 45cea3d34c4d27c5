"""A user trial: differentiable simulation and energies, written as a PyTorch physics notebook
writes them, with glassgrad's names (`import autograd as torch`, `nn.optim as optim`).

A projectile with quadratic drag integrated by explicit Euler and RK4 in a Python loop: its
final state's sensitivities to the launch angle and speed against central differences, and
the launch optimised through the whole loop until the shot lands on the target. Jacobians of a
Lotka-Volterra and a Lorenz right-hand side against their formulas, and of 100 RK4 steps of
the Lorenz flow against central differences (`vectorize=True` is accepted). Leapfrog keeps a
harmonic oscillator's energy where explicit Euler does not; an implicit Euler step through
`torch.linalg.solve`, `norm`, `det` and `eigh` (dλᵢ/dA = vᵢvᵢᵀ) differentiate correctly; a norm
taken at exactly zero has slope 0, as PyTorch's. A Lennard-Jones cluster's forces,
-torch.autograd.grad(E, x)[0] (with distances by broadcasting, by `.norm(dim=-1)` over the
masked diagonal and by `torch.cdist`), equal the analytic ones; L-BFGS takes two and three
atoms to the known minima (r = 2^(1/6) σ, E = -ε per pair), gradient descent and L-BFGS
lower a 13-atom cluster's energy, and velocity Verlet under `torch.no_grad()` with forces from
autograd keeps the total energy. All in float64; PyTorch runs the same code where installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn.optim as optim
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

G, DRAG = 9.81, 0.05


@pytest.fixture(autouse=True)
def float64():
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(torch.float32)


# -- the projectile, written once for either library ----------------------------------------

def rhs(lib, s):
    speed = lib.sqrt(s[2] ** 2 + s[3] ** 2)
    return lib.stack([s[2], s[3], -DRAG * speed * s[2], -G - DRAG * speed * s[3]])


def launch(lib, angle, speed):
    return lib.stack([lib.zeros(()), lib.zeros(()), speed * lib.cos(angle), speed * lib.sin(angle)])


def euler(lib, s, dt, n):
    for _ in range(n):
        s = s + dt * rhs(lib, s)
    return s


def rk4(lib, s, dt, n, f=None):
    f = f or (lambda z: rhs(lib, z))
    for _ in range(n):
        k1 = f(s)
        k2 = f(s + 0.5 * dt * k1)
        k3 = f(s + 0.5 * dt * k2)
        k4 = f(s + dt * k3)
        s = s + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return s


def flight(lib, params, integrator=rk4, n=100, duration=2.0):
    return integrator(lib, launch(lib, params[0], params[1]), duration / n, n)


def central_jacobian(f, p0: np.ndarray, h: float = 1e-6) -> np.ndarray:
    columns = []
    for j in range(p0.size):
        e = np.zeros_like(p0)
        e[j] = h
        columns.append((f(p0 + e) - f(p0 - e)) / (2 * h))
    return np.stack(columns, axis=-1)


@pytest.mark.parametrize("integrator", [euler, rk4])
def test_final_state_sensitivities_match_central_differences(integrator):
    p = torch.tensor([0.6, 20.0], requires_grad=True)
    final = flight(torch, p, integrator)
    rows = [torch.autograd.grad(final[i], p, retain_graph=True)[0].numpy() for i in range(4)]
    fd = central_jacobian(lambda q: flight(torch, torch.tensor(q), integrator).numpy(),
                          np.array([0.6, 20.0]))
    np.testing.assert_allclose(np.stack(rows), fd, rtol=1e-6, atol=1e-8)
    # the same through jacobian of the whole integrator, and backward() into .grad
    J = torch.autograd.functional.jacobian(lambda q: flight(torch, q, integrator),
                                           torch.tensor([0.6, 20.0]))
    np.testing.assert_allclose(J.numpy(), np.stack(rows), rtol=1e-12)
    final[0].backward()
    np.testing.assert_allclose(p.grad, rows[0], rtol=1e-12)


def test_rk4_converges_and_the_shot_is_aimed_through_the_loop():
    coarse = flight(torch, torch.tensor([0.6, 20.0]), rk4, n=50).numpy()
    with torch.no_grad():                                   # (no graph: numbers only)
        fine = flight(torch, torch.tensor([0.6, 20.0]), rk4, n=200).numpy()
        rough = flight(torch, torch.tensor([0.6, 20.0]), euler, n=200).numpy()
    assert abs(coarse - fine).max() < 1e-5 < abs(rough - fine).max()    # 4th against 1st order
    target = torch.tensor([30.0, 0.0])
    p = torch.tensor([0.5, 15.0], requires_grad=True)
    opt = optim.LBFGS([p], line_search_fn="strong_wolfe", max_iter=50)

    def closure():
        opt.zero_grad()
        miss = ((flight(torch, p, n=40)[:2] - target) ** 2).sum()
        miss.backward()
        return miss
    opt.step(closure)
    landed = flight(torch, p.detach(), n=40).numpy()
    assert np.hypot(landed[0] - 30.0, landed[1]) < 1e-4
    # Adam on two 0-d leaves heads the same way (its steps are about lr in each: the speed
    # needs ~25 m/s more, so lr=1 in 60 steps)
    angle, speed = torch.tensor(0.5, requires_grad=True), torch.tensor(15.0, requires_grad=True)
    adam = optim.Adam([angle, speed], lr=1.0)
    misses = []
    for _ in range(60):
        adam.zero_grad()
        miss = ((flight(torch, (angle, speed), n=20)[:2] - target) ** 2).sum()
        miss.backward()
        adam.step()
        misses.append(miss.item())
    assert misses[-1] < 1e-2 * misses[0]


def lotka_volterra(lib, z):
    a, b, c, d = 1.1, 0.4, 0.4, 0.1
    return lib.stack([a * z[0] - b * z[0] * z[1], d * z[0] * z[1] - c * z[1]])


def lorenz(lib, z):
    sigma, rho, beta = 10.0, 28.0, 8.0 / 3.0
    return lib.stack([sigma * (z[1] - z[0]), z[0] * (rho - z[2]) - z[1], z[0] * z[1] - beta * z[2]])


def test_jacobians_of_vector_fields_and_of_the_flow():
    z = np.array([1.0, 2.0, 3.0])
    expected = np.array([[-10.0, 10.0, 0.0], [28.0 - z[2], -1.0, -z[0]],
                         [z[1], z[0], -8.0 / 3.0]])
    for vectorize in (False, True):
        J = torch.autograd.functional.jacobian(lambda q: lorenz(torch, q), torch.tensor(z),
                                               vectorize=vectorize)
        np.testing.assert_allclose(J.numpy(), expected, rtol=1e-15)
    x, y = 10.0, 5.0
    J = torch.autograd.functional.jacobian(lambda q: lotka_volterra(torch, q),
                                           torch.tensor([x, y]))
    np.testing.assert_allclose(J.numpy(), [[1.1 - 0.4 * y, -0.4 * x], [0.1 * y, 0.1 * x - 0.4]],
                               rtol=1e-14)

    def flow(q):
        return rk4(torch, q, 0.01, 100, lambda s: lorenz(torch, s))
    J = torch.autograd.functional.jacobian(flow, torch.tensor(z))
    fd = central_jacobian(lambda q: flow(torch.tensor(q)).numpy(), z)
    np.testing.assert_allclose(J.numpy(), fd, rtol=1e-6, atol=1e-8)
    # the flow contracts volume at the rate -(σ + 1 + β): det J = e^(-(σ+1+β) t), t = 1
    # (RK4 with dt = 0.01 keeps it to 1e-4)
    assert torch.linalg.det(J).item() == pytest.approx(math.exp(-(11 + 8 / 3)), rel=1e-3)


def test_leapfrog_keeps_a_harmonic_oscillators_energy():
    def run(x0, symplectic, dt=0.05, n=1000):
        x, v = x0, torch.tensor(0.0)
        for _ in range(n):
            if symplectic:
                v = v - 0.5 * dt * x
                x = x + dt * v
                v = v - 0.5 * dt * x
            else:
                x, v = x + dt * v, v - dt * x
        return 0.5 * v ** 2 + 0.5 * x ** 2
    x0 = torch.tensor(1.0, requires_grad=True)
    energy = run(x0, symplectic=True)
    assert abs(energy.item() - 0.5) < 1e-3                 # bounded error, no drift
    assert run(torch.tensor(1.0), symplectic=False).item() > 5.0     # Euler's grows e^(t dt)
    energy.backward()                                       # dE/dx0 = x0 for an exact flow
    assert x0.grad.item() == pytest.approx(1.0, abs=2e-3)
    fd = (run(torch.tensor(1.0 + 1e-6), True).item()
          - run(torch.tensor(1.0 - 1e-6), True).item()) / 2e-6
    assert x0.grad.item() == pytest.approx(fd, rel=1e-7)


def test_implicit_euler_through_solve_norm_and_det():
    A0 = np.array([[-50.0, 1.0], [0.5, -0.2]])              # stiff: explicit Euler blows up
    dt, steps = 0.1, 20

    def run(A):
        z = torch.tensor([1.0, 1.0])
        for _ in range(steps):
            z = torch.linalg.solve(torch.eye(2) - dt * A, z)
        return torch.linalg.norm(z)
    A = torch.tensor(A0, requires_grad=True)
    run(A).backward()
    fd = central_jacobian(lambda a: np.array(run(torch.tensor(a.reshape(2, 2))).item()),
                          A0.reshape(-1)).reshape(2, 2)
    np.testing.assert_allclose(A.grad, fd, rtol=1e-6, atol=1e-9)
    M = torch.tensor([[2.0, 1.0], [0.5, 3.0]], requires_grad=True)
    torch.linalg.det(M).backward()                           # d det/dM = det · M⁻ᵀ
    np.testing.assert_allclose(M.grad, [[3.0, -0.5], [-1.0, 2.0]], rtol=1e-14)


def test_eigenvalue_gradients_are_v_vT():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((4, 4))
    A = torch.tensor(M + M.T, requires_grad=True)
    w, V = torch.linalg.eigh(A)
    for i in range(4):
        (g,) = torch.autograd.grad(w[i], A, retain_graph=True)
        v = V[:, i].detach().numpy()
        np.testing.assert_allclose(g.numpy(), np.outer(v, v), atol=1e-13)
    (g,) = torch.autograd.grad(torch.linalg.eigvalsh(A).sum(), A)     # Σλ = trace A
    np.testing.assert_allclose(g.numpy(), np.eye(4), atol=1e-13)


def test_a_norm_at_exactly_zero_has_slope_zero():
    """PyTorch's choice (a subgradient): linalg.norm, vector_norm, t.norm(dim=) and cdist give
    0 at the origin; sqrt of a sum of squares gives NaN in both libraries (0 · ∞)."""
    for norm in (lambda x: torch.linalg.norm(x), lambda x: torch.linalg.vector_norm(x),
                 lambda x: x.norm(), lambda x: x.norm(dim=-1).sum()):
        x = torch.zeros(2, 3, requires_grad=True)
        norm(x).backward()
        np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))
    x = torch.zeros(3, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        torch.sqrt((x ** 2).sum()).backward()
    assert np.isnan(x.grad).all()
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]], requires_grad=True)
    torch.cdist(x, x).sum().backward()                       # the diagonal's zeros add nothing
    np.testing.assert_allclose(x.grad, 2 / math.sqrt(2) * np.array([[-1.0, -1.0], [1.0, 1.0]]))


# -- Lennard-Jones ---------------------------------------------------------------------------

def energy_broadcast(lib, x):
    n = x.shape[0]
    eye = lib.eye(n, dtype=lib.bool)
    r2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    r2 = lib.where(eye, lib.ones_like(r2), r2)            # no 0 on the diagonal, before 1/r
    inv6 = (1.0 / r2) ** 3
    return 0.5 * lib.where(eye, lib.zeros_like(r2), 4 * (inv6 ** 2 - inv6)).sum()


def energy_norm(lib, x):
    n = x.shape[0]
    r = (x[:, None] - x[None]).norm(dim=-1)             # 0 on the diagonal: slope 0 there
    upper = lib.triu_indices(n, n, offset=1)
    s6 = (1.0 / r[upper[0], upper[1]]) ** 6
    return (4 * (s6 ** 2 - s6)).sum()


def energy_cdist(lib, x):
    r = lib.cdist(x, x)[~lib.eye(x.shape[0], dtype=lib.bool)]
    s6 = (1.0 / r) ** 6
    return 0.5 * (4 * (s6 ** 2 - s6)).sum()


def analytic_forces(X: np.ndarray) -> np.ndarray:
    """F_i = Σ_j 24 ε (2 σ¹²/r¹⁴ - σ⁶/r⁸) (x_i - x_j)."""
    d = X[:, None] - X[None]
    r2 = (d ** 2).sum(-1)
    np.fill_diagonal(r2, 1.0)
    inv6 = r2 ** -3
    coefficient = 24 * (2 * inv6 ** 2 - inv6) / r2
    np.fill_diagonal(coefficient, 0.0)
    return (coefficient[:, :, None] * d).sum(1)


def cluster(n: int = 13, seed: int = 3) -> np.ndarray:
    grid = np.stack(np.meshgrid(*[np.arange(3)] * 3, indexing="ij"), -1).reshape(-1, 3)[:n]
    return grid * 1.2 + 0.05 * np.random.default_rng(seed).standard_normal((n, 3))


@pytest.mark.parametrize("energy", [energy_broadcast, energy_norm, energy_cdist])
def test_forces_are_the_analytic_ones(energy):
    X = cluster()
    x = torch.tensor(X, requires_grad=True)
    E = energy(torch, x)
    forces = -torch.autograd.grad(E, x)[0]
    np.testing.assert_allclose(forces.numpy(), analytic_forces(X), rtol=1e-12, atol=1e-11)
    assert x.grad is None                                # grad() fills in no .grad
    assert E.item() == pytest.approx(energy_broadcast(torch, torch.tensor(X)).item(), rel=1e-13)


@pytest.mark.parametrize("start, pairs", [
    ([[0.0, 0.0, 0.0], [1.5, 0.1, 0.0]], 1),
    ([[0.0, 0.0, 0.0], [1.3, 0.0, 0.0], [0.5, 1.0, 0.1]], 3),
])
def test_lbfgs_finds_the_known_minima(start, pairs):
    x = torch.tensor(start, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=200)

    def closure():
        opt.zero_grad()
        E = energy_norm(torch, x)
        E.backward()
        return E
    opt.step(closure)
    assert energy_norm(torch, x).item() == pytest.approx(-pairs, abs=1e-8)
    r = torch.cdist(x, x).detach().numpy()[np.triu_indices(len(start), 1)]
    np.testing.assert_allclose(r, 2 ** (1 / 6), rtol=1e-5)


def test_a_cluster_relaxes_and_velocity_verlet_keeps_its_energy():
    x = torch.tensor(cluster(), requires_grad=True)
    start = energy_broadcast(torch, x).item()
    sgd = optim.SGD([x], lr=1e-3)
    for _ in range(100):
        sgd.zero_grad()
        energy_broadcast(torch, x).backward()
        sgd.step()
    relaxed = energy_broadcast(torch, x).item()
    lbfgs = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=300, tolerance_grad=1e-8,
                        tolerance_change=1e-15, history_size=20)

    def closure():
        lbfgs.zero_grad()
        E = energy_broadcast(torch, x)
        E.backward()
        return E
    lbfgs.step(closure)
    final = energy_broadcast(torch, x).item()
    assert final < relaxed < start
    assert abs(analytic_forces(x.detach().numpy())).max() < 1e-6       # a stationary point

    def force(positions):
        positions = positions.detach().requires_grad_()
        with torch.enable_grad():
            E = energy_broadcast(torch, positions)
            return -torch.autograd.grad(E, positions)[0], E.item()
    pos, vel, dt = torch.tensor(cluster()), torch.zeros(13, 3), 1e-3
    f, potential = force(pos)
    totals = [potential]
    with torch.no_grad():
        for _ in range(100):
            vel = vel + 0.5 * dt * f
            pos = pos + dt * vel
            f, potential = force(pos)
            vel = vel + 0.5 * dt * f
            totals.append(potential + 0.5 * (vel ** 2).sum().item())
        assert not pos.requires_grad and not vel.requires_grad
    kinetic = totals[-1] - potential
    assert kinetic > 0.1                                  # it moved
    assert abs(totals[-1] - totals[0]) < 1e-3 * kinetic


@needs_torch
def test_pytorch_runs_the_same_code_to_the_same_numbers():
    real_torch.set_default_dtype(real_torch.float64)
    try:
        p = [0.6, 20.0]
        ours, theirs = torch.tensor(p, requires_grad=True), real_torch.tensor(p, requires_grad=True)
        flight(torch, ours)[0].backward()
        flight(real_torch, theirs)[0].backward()
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)
        X = cluster()
        for energy in (energy_broadcast, energy_norm, energy_cdist):
            xa = torch.tensor(X, requires_grad=True)
            xt = real_torch.tensor(X, requires_grad=True)
            fa = torch.autograd.grad(energy(torch, xa), xa)[0].numpy()
            ft = real_torch.autograd.grad(energy(real_torch, xt), xt)[0].numpy()
            np.testing.assert_allclose(fa, ft, rtol=1e-12, atol=1e-11)
        zero = real_torch.zeros(3, requires_grad=True)        # PyTorch's slope at 0 is ours
        real_torch.linalg.norm(zero).backward()
        assert (zero.grad == 0).all()
        z = [1.0, 2.0, 3.0]
        Jt = real_torch.autograd.functional.jacobian(
            lambda q: rk4(real_torch, q, 0.01, 100, lambda s: lorenz(real_torch, s)),
            real_torch.tensor(z)).numpy()
        Ja = torch.autograd.functional.jacobian(
            lambda q: rk4(torch, q, 0.01, 100, lambda s: lorenz(torch, s)), torch.tensor(z)).numpy()
        np.testing.assert_allclose(Ja, Jt, rtol=1e-10, atol=1e-12)
    finally:
        real_torch.set_default_dtype(real_torch.float32)
