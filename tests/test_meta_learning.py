"""A meta-learning course's code, ported with `import autograd as torch` and `import nn`:
MAML on sine-wave regression (second order, first order, Reptile, Meta-SGD's learned inner
rates; the functional forward `F.linear(x, w, b)` and the module one,
`nn.utils.stateless.functional_call`), and gradients of gradients beyond it: a WGAN-GP
gradient penalty, the hypergradient of a validation loss with respect to the learning rate,
Hessian-vector products by double backprop. Then MAML in functorch's spelling (torch.func's
grad of a functional_call, vmap over the tasks), a hypernetwork whose output runs a module by
functional_call, the hypergradient of ridge regression's strength by implicit
differentiation (torch.linalg.solve with the inner Hessian, a vector-Jacobian product of the
inner gradient), a learned optimizer (a small MLP's updates, unrolled and meta-trained) and a
prototypical network on a toy few-shot task. Each gradient the methods rely on is checked
against central finite differences in float64, and against PyTorch where it is installed; the
training tests check what the methods are for (the meta-learned start adapts better than a
random one; second order is at least as good as first order; hypergradient descent finds the
best λ of a grid; the learned optimizer beats SGD at every rate; the prototypes classify
classes never trained on).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from autograd import gradcheck, gradcheck_parameters

from torch_helpers import needs_torch, torch as real_torch

SHAPES = [(40, 1), (40,), (40, 40), (40,), (1, 40), (1,)]     # the course's 1-40-40-1 MLP


def sine_tasks(rng: np.random.Generator, n: int, k: int = 10, dtype: str = "float32") -> list:
    """`n` tasks y = A sin(x - φ), A in [0.1, 5], φ in [0, π], x in [-5, 5]: (support x, y,
    query x, y), `k` points each."""
    tasks = []
    for _ in range(n):
        amplitude, phase = rng.uniform(0.1, 5.0), rng.uniform(0.0, math.pi)
        x = rng.uniform(-5.0, 5.0, (2 * k, 1))
        y = amplitude * np.sin(x - phase)
        tasks.append(tuple(torch.tensor(a.astype(dtype)) for a in (x[:k], y[:k], x[k:], y[k:])))
    return tasks


def mlp(x, params, F=F):
    """The course's functional forward: the network's weights are arguments."""
    w1, b1, w2, b2, w3, b3 = params
    h = F.relu(F.linear(x, w1, b1))
    h = F.relu(F.linear(h, w2, b2))
    return F.linear(h, w3, b3)


def adapt(params, xs, ys, steps, alpha, create_graph, torch=torch, F=F):
    """The inner loop: `steps` gradient steps on the support set, from `params`."""
    fast = list(params)
    for _ in range(steps):
        loss = F.mse_loss(mlp(xs, fast, F), ys)
        grads = torch.autograd.grad(loss, fast, create_graph=create_graph)
        fast = [p - alpha * g for p, g in zip(fast, grads)]
    return fast


def maml_loss(params, tasks, steps=1, alpha=0.01, create_graph=True, torch=torch, F=F):
    """The outer loss, summed over the meta-batch: each task's query loss after adapting."""
    total = 0
    for xs, ys, xq, yq in tasks:
        fast = adapt(params, xs, ys, steps, alpha, create_graph, torch, F)
        total = total + F.mse_loss(mlp(xq, fast, F), yq)
    return total


def initial_parameters(rng: np.random.Generator, dtype: str = "float64") -> list[np.ndarray]:
    """PyTorch's Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from `rng`."""
    params = []
    for shape in SHAPES:
        fan_in = SHAPES[len(params) - len(params) % 2][1]
        bound = 1 / math.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, shape).astype(dtype))
    return params


class SineNet(nn.Module):
    """1-40-40-1 whose forward runs on given weights, or on its own."""

    def __init__(self):
        self.l1, self.l2, self.l3 = nn.Linear(1, 40), nn.Linear(40, 40), nn.Linear(40, 1)

    def forward(self, x, params=None):
        return mlp(x, list(self.parameters()) if params is None else params)


def meta_train(order: int, meta_steps: int, seed: int = 0, alpha: float = 0.01,
               meta_batch: int = 4, lr: float = 1e-3) -> SineNet:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SineNet()
    meta_opt = nn.optim.Adam(model.parameters(), lr)
    for _ in range(meta_steps):
        meta_opt.zero_grad()
        outer = maml_loss(model.parameters(), sine_tasks(rng, meta_batch), alpha=alpha,
                          create_graph=order == 2)
        (outer / meta_batch).backward()
        meta_opt.step()
    return model


def held_out_loss(params, tasks, steps: int = 5, alpha: float = 0.01) -> float:
    """The mean query loss over `tasks` after `steps` inner steps from `params`."""
    losses = []
    for xs, ys, xq, yq in tasks:
        fast = adapt(params, xs, ys, steps, alpha, create_graph=False)
        with torch.no_grad():
            losses.append(F.mse_loss(mlp(xq, fast), yq).item())
    return float(np.mean(losses))


# -- MAML's outer gradient --------------------------------------------------------------------

def test_maml_outer_gradient_with_two_inner_steps_matches_finite_differences():
    """d(query loss after two inner steps)/d(initial parameters), second order, in float64: the
    Hessian terms that first-order MAML leaves out are in it, and central differences agree."""
    rng = np.random.default_rng(0)
    task = sine_tasks(rng, 1, dtype="float64")
    small = [(12, 1), (12,), (12, 12), (12,), (1, 12), (1,)]
    params = [torch.tensor(rng.normal(0, 0.6, s), requires_grad=True) for s in small]
    assert gradcheck(lambda *p: maml_loss(p, task, steps=2, alpha=0.1), *params,
                     atol=1e-7, rtol=1e-5)
    # and it is not the first-order gradient: the second-order terms matter here
    second = torch.autograd.grad(maml_loss(params, task, 2, 0.1), params)
    first = torch.autograd.grad(maml_loss(params, task, 2, 0.1, create_graph=False), params)
    assert max(float(np.abs((a - b).data).max()) for a, b in zip(second, first)) > 1e-3


def test_first_order_maml_is_the_query_gradient_at_the_fast_weights():
    """create_graph=False (or the grads detached) gives the query loss's gradient at the
    adapted weights, applied to the initial ones: first-order MAML, whatever the spelling."""
    rng = np.random.default_rng(1)
    (xs, ys, xq, yq), = sine_tasks(rng, 1, dtype="float64")
    params = [torch.tensor(a, requires_grad=True) for a in initial_parameters(rng)]
    no_graph = torch.autograd.grad(maml_loss(params, [(xs, ys, xq, yq)], 2, 0.05,
                                             create_graph=False), params)
    fast = adapt(params, xs, ys, 2, 0.05, create_graph=False)
    at_fast = [p.detach().requires_grad_() for p in fast]
    expected = torch.autograd.grad(F.mse_loss(mlp(xq, at_fast), yq), at_fast)
    detached = list(params)
    for _ in range(2):
        grads = torch.autograd.grad(F.mse_loss(mlp(xs, detached), ys), detached,
                                    create_graph=True)
        detached = [p - 0.05 * g.detach() for p, g in zip(detached, grads)]
    by_detach = torch.autograd.grad(F.mse_loss(mlp(xq, detached), yq), params)
    for a, b, c in zip(no_graph, expected, by_detach):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c.data, b.data, rtol=1e-12, atol=1e-14)


@needs_torch
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("steps, create_graph", [(1, True), (2, True), (5, True), (2, False)])
def test_maml_outer_loss_and_gradients_are_pytorchs(dtype, tol, steps, create_graph):
    rng = np.random.default_rng(2)
    weights = initial_parameters(rng, dtype)
    tasks = sine_tasks(rng, 4, dtype=dtype)
    ours = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    theirs = [real_torch.tensor(w.copy(), requires_grad=True) for w in weights]
    torch_tasks = [tuple(real_torch.tensor(t.data.copy()) for t in task) for task in tasks]
    loss = maml_loss(ours, tasks, steps, 0.01, create_graph)
    expected = maml_loss(theirs, torch_tasks, steps, 0.01, create_graph, real_torch,
                         real_torch.nn.functional)
    loss.backward()
    expected.backward()
    assert loss.dtype == np.dtype(dtype)
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=tol)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=tol,
                                   atol=tol * float(t.grad.abs().max()))


# -- what meta-learning is for ----------------------------------------------------------------

@pytest.fixture(scope="module")
def trained():
    """Second- and first-order MAML, 300 meta-steps each (meta-batch 4, one inner step; Adam
    at 2e-3 gets there in half the 600 steps at 1e-3, and a second-order term of the wrong
    sign still fails both tests; at 3e-3 the first-order part carries it and it would not)."""
    return {order: meta_train(order, 300, lr=2e-3) for order in (2, 1)}


def test_the_meta_learned_start_adapts_better_than_a_random_one(trained):
    tasks = sine_tasks(np.random.default_rng(123), 50)
    torch.manual_seed(99)
    random_start = held_out_loss(SineNet().parameters(), tasks)
    learned = trained[2]
    after_five = held_out_loss(learned.parameters(), tasks)
    assert after_five < 0.85 * random_start
    # the gain comes from the adaptation: the learned start alone fits no task
    assert after_five < 0.9 * held_out_loss(learned.parameters(), tasks, steps=0)


def test_second_order_maml_matches_or_beats_first_order(trained):
    tasks = sine_tasks(np.random.default_rng(123), 50)
    second, first = (held_out_loss(trained[o].parameters(), tasks) for o in (2, 1))
    assert second <= 1.02 * first


def test_reptile_moves_the_start_towards_the_adapted_weights():
    """Reptile: adapt a copy with plain SGD, then p.data += eps * (fast - p.data), with the fast
    weights' numbers (detached); the result adapts better than the random start it came from."""
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    model = SineNet()
    tasks = sine_tasks(np.random.default_rng(124), 30)
    before = held_out_loss(model.parameters(), tasks)
    for _ in range(300):
        (xs, ys, xq, yq), = sine_tasks(rng, 1)
        x, y = torch.cat([xs, xq]), torch.cat([ys, yq])
        fast = adapt(model.parameters(), x, y, 10, 0.02, create_graph=False)
        for p, f in zip(model.parameters(), fast):
            p.data += 0.1 * (f.detach() - p.data)
    after = held_out_loss(model.parameters(), tasks)
    assert after < 0.7 * before
    assert after < 0.8 * held_out_loss(model.parameters(), tasks, steps=0)


def test_reptile_with_the_fast_weights_still_in_the_graph_says_to_detach():
    model = SineNet()
    (xs, ys, _, _), = sine_tasks(np.random.default_rng(4), 1)
    fast = adapt(model.parameters(), xs, ys, 1, 0.01, create_graph=False)
    p = model.l1.weight
    with pytest.raises(RuntimeError, match=r"Reptile's p\.data \+= eps \* \(fast - p\.data\).*"
                                           r"write fast\.detach\(\)"):
        p.data += 0.1 * (fast[0] - p.data)


def test_meta_sgd_learns_per_parameter_inner_rates():
    """Meta-SGD: the inner rates are parameters (one per weight) that the outer loss trains;
    their gradient matches central differences, and training them lowers the outer loss."""
    rng = np.random.default_rng(5)
    tasks = sine_tasks(rng, 2, dtype="float64")
    small = [(8, 1), (8,), (8, 8), (8,), (1, 8), (1,)]
    params = [torch.tensor(rng.normal(0, 0.6, s)) for s in small]

    def outer(*alphas):
        total = 0
        for xs, ys, xq, yq in tasks:
            grads = torch.autograd.grad(F.mse_loss(mlp(xs, params), ys), params,
                                        create_graph=True)
            fast = [p - a * g for p, a, g in zip(params, alphas, grads)]
            total = total + F.mse_loss(mlp(xq, fast), yq)
        return total

    for p in params:
        p.requires_grad_()
    alphas = nn.ParameterList([nn.Parameter(torch.full(s, 0.05, dtype=torch.float64))
                               for s in small])
    assert gradcheck(outer, *alphas, atol=1e-8, rtol=1e-6)
    opt = nn.optim.Adam(alphas.parameters(), 1e-2)
    start = outer(*alphas).item()
    for _ in range(20):
        opt.zero_grad()
        outer(*alphas).backward()
        opt.step()
    assert outer(*alphas).item() < 0.9 * start
    assert float(np.std(np.concatenate([a.data.ravel() for a in alphas]))) > 0   # per weight


def test_maml_with_the_module_and_functional_call():
    """The module spelling: {name: parameter}, grads over params.values(), a dict of fast
    weights run by nn.utils.stateless.functional_call; the same outer gradient as the
    functional forward's."""
    torch.manual_seed(6)
    model = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(),
                          nn.Linear(40, 1)).double()
    tasks = sine_tasks(np.random.default_rng(6), 2, dtype="float64")
    params = {n: p for n, p in model.named_parameters()}
    total = 0
    for xs, ys, xq, yq in tasks:
        loss = F.mse_loss(nn.utils.stateless.functional_call(model, params, (xs,)), ys)
        grads = torch.autograd.grad(loss, params.values(), create_graph=True)
        fast = {n: p - 0.01 * g for (n, p), g in zip(params.items(), grads)}
        total = total + F.mse_loss(nn.utils.stateless.functional_call(model, fast, xq), yq)
    by_module = torch.autograd.grad(total, params.values())
    by_function = torch.autograd.grad(maml_loss(list(params.values()), tasks), params.values())
    for a, b in zip(by_module, by_function):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-14)
    assert all(p is model.get_parameter(n) for n, p in params.items())    # put back


# -- gradients of gradients beyond MAML ---------------------------------------------------------

def gradient_penalty(critic, real, fake, eps, torch=torch):
    """WGAN-GP: E[(‖∇ₓ D(x̂)‖₂ - 1)²] at x̂ between real and fake samples."""
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(x_hat)
    g, = torch.autograd.grad(outputs=out, inputs=x_hat, grad_outputs=torch.ones_like(out),
                             create_graph=True, retain_graph=True)
    return ((g.view(g.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()


def critic_of(w1, b1, w2, b2, F=F):
    return lambda x: F.linear(F.linear(x, w1, b1).tanh(), w2, b2)


def gp_data(rng):
    return rng.normal(size=(8, 2)), rng.normal(size=(8, 2)) + 1.0, rng.uniform(size=(8, 1))


def test_gradient_penalty_gradient_matches_finite_differences():
    rng = np.random.default_rng(7)
    weights = [torch.tensor(rng.normal(0, 0.7, s), requires_grad=True)
               for s in [(16, 2), (16,), (1, 16), (1,)]]
    real, fake, eps = (torch.tensor(a) for a in gp_data(rng))
    assert gradcheck(lambda *w: gradient_penalty(critic_of(*w), real, fake, eps), *weights,
                     atol=1e-8, rtol=1e-6)


def test_gradient_penalty_of_a_linear_critic_is_its_norm_minus_one_squared():
    """D(x) = w·x + b has ∇ₓD = w everywhere: the penalty is (‖w‖ - 1)², its gradient
    2(‖w‖ - 1) w / ‖w‖, and the parameters' .grad is left alone (torch.autograd.grad)."""
    w = torch.tensor([[3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    real, fake, eps = (torch.tensor(a) for a in gp_data(np.random.default_rng(8)))
    penalty = gradient_penalty(lambda x: F.linear(x, w, b), real, fake, eps)
    assert w.grad is None
    np.testing.assert_allclose(penalty.item(), 16.0, rtol=1e-14)
    penalty.backward()
    np.testing.assert_allclose(w.grad, [[2 * 4 * 3 / 5, 2 * 4 * 4 / 5]], rtol=1e-14)
    assert b.grad is None                   # ∇ₓD does not depend on b: no gradient, as in PyTorch
    assert torch.autograd.grad(gradient_penalty(lambda x: F.linear(x, w, b), real, fake, eps),
                               [w, b], allow_unused=True)[1] is None


def hypergradient_setup(rng):
    true_w = np.array([[1.0], [-2.0], [0.5]])
    X, Xv = rng.normal(size=(20, 3)), rng.normal(size=(10, 3))
    return X, X @ true_w + 0.1 * rng.normal(size=(20, 1)), Xv, Xv @ true_w


def validation_after_sgd(lr, X, y, Xv, yv, steps=4, torch=torch):
    """Unrolled SGD on a linear model from w = 0, the learning rate a tensor in the graph."""
    w = torch.zeros(3, 1, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        g, = torch.autograd.grad(((X @ w - y) ** 2).mean(), w, create_graph=True)
        w = w - lr * g
    return ((Xv @ w - yv) ** 2).mean()


def test_hypergradient_with_respect_to_the_learning_rate():
    X, y, Xv, yv = (torch.tensor(a) for a in hypergradient_setup(np.random.default_rng(9)))
    lr = torch.tensor(0.05, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda lr: validation_after_sgd(lr, X, y, Xv, yv), lr, atol=1e-9,
                     rtol=1e-7)
    # a small rate undershoots: raising it lowers the validation loss; hypergradient descent
    # on lr does so
    hyper, = torch.autograd.grad(validation_after_sgd(lr, X, y, Xv, yv), lr)
    assert hyper.item() < 0
    start = validation_after_sgd(lr, X, y, Xv, yv).item()
    for _ in range(10):
        validation_after_sgd(lr, X, y, Xv, yv).backward()
        with torch.no_grad():
            lr -= 0.002 * lr.grad
        lr.grad = None
    assert validation_after_sgd(lr, X, y, Xv, yv).item() < 0.5 * start


def hvp_setup(rng):
    weights = [rng.normal(0, 0.7, s) for s in [(6, 2), (6,), (1, 6), (1,)]]
    x, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    v = [rng.normal(size=w.shape) for w in weights]
    return weights, x, y, v


def test_hessian_vector_products_by_double_backprop_match_hvp_and_hessian():
    weights, x, y, v = hvp_setup(np.random.default_rng(10))
    sizes = [w.size for w in weights]
    x, y = torch.tensor(x), torch.tensor(y)

    def loss(*p):
        return F.mse_loss(critic_of(*p)(x), y)

    def loss_of_vector(theta):
        parts = theta.split(sizes)
        return loss(*(t.reshape(w.shape) for t, w in zip(parts, weights)))

    params = [torch.tensor(w, requires_grad=True) for w in weights]
    grads = torch.autograd.grad(loss(*params), params, create_graph=True)
    g_dot_v = sum((g * torch.tensor(vi)).sum() for g, vi in zip(grads, v))
    hv = np.concatenate([h.data.ravel() for h in torch.autograd.grad(g_dot_v, params)])
    theta = torch.tensor(np.concatenate([w.ravel() for w in weights]))
    v_flat = np.concatenate([vi.ravel() for vi in v])
    _, hv_functional = torch.autograd.functional.hvp(loss_of_vector, theta,
                                                     torch.tensor(v_flat))
    hessian = torch.autograd.functional.hessian(loss_of_vector, theta).data
    np.testing.assert_allclose(hv, hv_functional.data, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hv, hessian @ v_flat, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-14)
    # and against central differences of the gradient along v
    step = 1e-6
    plus, minus = (theta.data + step * v_flat, theta.data - step * v_flat)
    gp, gm = (torch.autograd.grad(loss_of_vector(t), t)[0].data
              for t in (torch.tensor(plus, requires_grad=True),
                        torch.tensor(minus, requires_grad=True)))
    np.testing.assert_allclose(hv, (gp - gm) / (2 * step), rtol=1e-5, atol=1e-7)


def test_grad_allow_unused_and_materialize_grads():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    unused = torch.tensor([3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        torch.autograd.grad((a * 2).sum(), [a, unused])
    ga, none = torch.autograd.grad((a * 2).sum(), [a, unused], allow_unused=True)
    assert none is None and ga.tolist() == [2.0, 2.0]
    _, zeros = torch.autograd.grad((a * 2).sum(), [a, unused], allow_unused=True,
                                   materialize_grads=True)
    assert zeros.tolist() == [0.0]


@needs_torch
def test_gradient_penalty_hypergradient_and_hvp_are_pytorchs():
    tF = real_torch.nn.functional
    rng = np.random.default_rng(11)
    weights = [rng.normal(0, 0.7, s) for s in [(16, 2), (16,), (1, 16), (1,)]]
    data = gp_data(rng)
    ours = [torch.tensor(w, requires_grad=True) for w in weights]
    theirs = [real_torch.tensor(w, requires_grad=True) for w in weights]
    real, fake, eps = (torch.tensor(a) for a in data)
    t_real, t_fake, t_eps = (real_torch.tensor(a) for a in data)
    critic, t_critic = critic_of(*ours), critic_of(*theirs, F=tF)
    penalty = (critic(fake).mean() - critic(real).mean()
               + 10 * gradient_penalty(critic, real, fake, eps))
    expected = (t_critic(t_fake).mean() - t_critic(t_real).mean()
                + 10 * gradient_penalty(t_critic, t_real, t_fake, t_eps, torch=real_torch))
    penalty.backward()
    expected.backward()
    np.testing.assert_allclose(penalty.item(), expected.item(), rtol=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-10, atol=1e-14)

    arrays = hypergradient_setup(np.random.default_rng(12))
    lr = torch.tensor(0.05, dtype=torch.float64, requires_grad=True)
    t_lr = real_torch.tensor(0.05, dtype=real_torch.float64, requires_grad=True)
    ours = torch.autograd.grad(validation_after_sgd(lr, *(torch.tensor(a) for a in arrays)),
                               lr)[0]
    theirs = real_torch.autograd.grad(validation_after_sgd(
        t_lr, *(real_torch.tensor(a) for a in arrays), torch=real_torch), t_lr)[0]
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)

    weights, x, y, v = hvp_setup(np.random.default_rng(13))
    hvs = []
    for lib, functional in ((torch, F), (real_torch, tF)):
        p = [lib.tensor(w, requires_grad=True) for w in weights]
        loss = functional.mse_loss(critic_of(*p, F=functional)(lib.tensor(x)), lib.tensor(y))
        grads = lib.autograd.grad(loss, p, create_graph=True)
        g_dot_v = sum((g * lib.tensor(vi)).sum() for g, vi in zip(grads, v))
        hvs.append([np.asarray(h.detach()) for h in lib.autograd.grad(g_dot_v, p)])
    for a, b in zip(*hvs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# -- MAML with torch.func: grad, vmap over the tasks, functional_call ---------------------------

def func_maml_loss(model, params, tasks, alpha=0.01, torch=torch, F=F):
    """functorch's MAML example: grad of the support loss with respect to a dict of
    parameters, one step, the query loss; vmap over the meta-batch, the tasks stacked."""
    func = torch.func

    def loss(p, x, y):
        return F.mse_loss(func.functional_call(model, p, (x,)), y)

    def task_loss(p, xs, ys, xq, yq):
        g = func.grad(loss)(p, xs, ys)
        return loss({n: p[n] - alpha * g[n] for n in p}, xq, yq)

    stacked = [torch.stack([t[i] for t in tasks]) for i in range(4)]
    return func.vmap(task_loss, in_dims=(None, 0, 0, 0, 0))(params, *stacked).sum()


def test_maml_by_torch_func_is_the_hand_written_maml():
    """The same outer loss and gradient as the loop over tasks with torch.autograd.grad."""
    torch.manual_seed(12)
    model = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(),
                          nn.Linear(40, 1)).double()
    tasks = sine_tasks(np.random.default_rng(12), 3, dtype="float64")
    params = dict(model.named_parameters())
    loss = func_maml_loss(model, params, tasks)
    by_func = torch.autograd.grad(loss, list(params.values()))
    expected = maml_loss(list(params.values()), tasks)
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-13)
    for a, b in zip(by_func, torch.autograd.grad(expected, list(params.values()))):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-11, atol=1e-14)
    # and by central differences, on a smaller net
    small = nn.Sequential(nn.Linear(1, 6), nn.Tanh(), nn.Linear(6, 1)).double()
    names = [n for n, _ in small.named_parameters()]
    assert gradcheck(lambda *p: func_maml_loss(small, dict(zip(names, p)), tasks, alpha=0.1),
                     *[p.detach().requires_grad_() for p in small.parameters()],
                     atol=1e-8, rtol=1e-6)


def loaded_from(theirs, ours):
    """PyTorch's module `theirs` with the numbers of glassgrad's `ours`."""
    theirs.load_state_dict({k: real_torch.tensor(v.data.copy())
                            for k, v in ours.state_dict().items()})
    return theirs


def relu_mlp_twins(seed: int, sizes: tuple[int, int, int]):
    """The same float64 in-hidden-out ReLU MLP in glassgrad and in PyTorch."""
    torch.manual_seed(seed)
    ours, theirs = (lib.Sequential(lib.Linear(*sizes[:2]), lib.ReLU(),
                                   lib.Linear(*sizes[1:])).double()
                    for lib in (nn, real_torch.nn))
    return ours, loaded_from(theirs, ours)


@needs_torch
def test_maml_by_torch_func_is_pytorchs():
    model, theirs = relu_mlp_twins(13, (1, 40, 1))
    tasks = sine_tasks(np.random.default_rng(13), 4, dtype="float64")
    torch_tasks = [tuple(real_torch.tensor(t.data.copy()) for t in task) for task in tasks]
    loss = func_maml_loss(model, dict(model.named_parameters()), tasks)
    expected = func_maml_loss(theirs, dict(theirs.named_parameters()), torch_tasks,
                              torch=real_torch, F=real_torch.nn.functional)
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    for p, t in zip(model.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-10, atol=1e-13)


# -- a hypernetwork whose output runs a module by functional_call -------------------------------

def functional_hypernet(n_tasks: int, H: int = 5, lib=nn):
    """A task embedding -> the weights of `target` (a 1-H-1 tanh Sequential), as a dict of its
    parameter names, which torch.func.functional_call runs the target on."""

    class FunctionalHyperNet(lib.Module):
        def __init__(self):
            super().__init__()
            self.target = lib.Sequential(lib.Linear(1, H), lib.Tanh(), lib.Linear(H, 1))
            self.shapes = {n: tuple(p.shape) for n, p in self.target.named_parameters()}
            self.embed = lib.Embedding(n_tasks, 3)
            self.body = lib.Linear(3, sum(math.prod(s) for s in self.shapes.values()))

        def forward(self, task, x, func):
            flat, weights, start = self.body(self.embed(task)), {}, 0
            for name, shape in self.shapes.items():
                weights[name] = flat[start:start + math.prod(shape)].view(*shape)
                start += math.prod(shape)
            return func.functional_call(self.target, weights, (x,))

    return FunctionalHyperNet()


def hyper_loss(model, data, func=torch.func, F=F, torch=torch):
    return sum(F.mse_loss(model(torch.tensor(t), x, func), y) for t, (x, y) in enumerate(data))


def test_a_hypernetworks_weights_run_by_functional_call():
    """The gradient reaches the generator and the embedding through the dict of weights (the
    target's own parameters get none: they are not used); float64 central differences."""
    torch.manual_seed(14)
    model = functional_hypernet(3).double()
    (xs, ys, _, _), (x2, y2, _, _), (x3, y3, _, _) = sine_tasks(np.random.default_rng(14), 3,
                                                                 dtype="float64")
    data = [(xs, ys), (x2, y2), (x3, y3)]
    hyper_loss(model, data).backward()
    assert all(p.grad is None for p in model.target.parameters())
    trained = [(n, p) for n, p in model.named_parameters() if not n.startswith("target.")]
    assert gradcheck_parameters(lambda: hyper_loss(model, data), trained, atol=1e-8,
                                rtol=1e-6)


@needs_torch
def test_a_hypernetwork_by_functional_call_is_pytorchs():
    torch.manual_seed(15)
    model = functional_hypernet(3).double()
    theirs = loaded_from(functional_hypernet(3, lib=real_torch.nn).double(), model)
    tasks = sine_tasks(np.random.default_rng(15), 3, dtype="float64")
    data = [(xs, ys) for xs, ys, _, _ in tasks]
    loss = hyper_loss(model, data)
    expected = hyper_loss(theirs, [tuple(real_torch.tensor(a.data) for a in d) for d in data],
                          real_torch.func, real_torch.nn.functional, real_torch)
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    theirs_named = dict(theirs.named_parameters())
    for n, p in model.named_parameters():
        if not n.startswith("target."):
            np.testing.assert_allclose(p.grad, theirs_named[n].grad.numpy(), rtol=1e-10,
                                       atol=1e-13, err_msg=n)


# -- implicit differentiation: the hypergradient of ridge regression's strength -----------------

def ridge_data(rng):
    """30 noisy training rows of 8 features (3 of them irrelevant), 40 validation rows."""
    true_w = np.array([[1.5], [-2.0], [0.7], [0.0], [0.0], [0.0], [1.0], [-0.5]])
    X, Xv = rng.normal(size=(30, 8)), rng.normal(size=(40, 8))
    return X, X @ true_w + 1.5 * rng.normal(size=(30, 1)), Xv, Xv @ true_w


def inner_objective(w, lam, X, y):
    """Ridge regression's training objective, ‖Xw - y‖² + λ‖w‖²."""
    return ((X @ w - y) ** 2).sum() + lam * (w ** 2).sum()


def ridge_solution(lam, X, y, torch=torch):
    """The inner problem's minimiser, (XᵀX + λI)⁻¹Xᵀy, differentiable in λ."""
    return torch.linalg.solve(X.T @ X + lam * torch.eye(X.shape[1], dtype=X.dtype), X.T @ y)


def implicit_hypergradient(log_lam, X, y, Xv, yv, torch=torch):
    """dL_val/d log λ at the inner optimum w*, by the implicit function theorem, without
    differentiating through the solver: ∇_w g(w*, λ) = 0 gives
    dw*/dλ = -H⁻¹ ∂²g/∂w∂λ, so dL_val/dλ = -(H⁻¹ ∇_w L_val)ᵀ ∂²g/∂w∂λ: one solve with the
    inner Hessian H, one vector-Jacobian product of the inner gradient."""
    lam = log_lam.exp()
    with torch.no_grad():
        w_star = ridge_solution(lam, X, y, torch)
    w_star.requires_grad_(True)
    inner_grad, = torch.autograd.grad(inner_objective(w_star, lam, X, y), w_star,
                                      create_graph=True)
    H = torch.autograd.functional.hessian(lambda w: inner_objective(w, lam.detach(), X, y),
                                          w_star.detach()).reshape(X.shape[1], X.shape[1])
    val_grad, = torch.autograd.grad(((Xv @ w_star - yv) ** 2).mean(), w_star)
    v = torch.linalg.solve(H, val_grad)
    hyper, = torch.autograd.grad(inner_grad, log_lam, grad_outputs=-v, retain_graph=True)
    return hyper


def validation_loss(log_lam, X, y, Xv, yv, torch=torch):
    return ((Xv @ ridge_solution(log_lam.exp(), X, y, torch) - yv) ** 2).mean()


def test_the_implicit_hypergradient_is_the_unrolled_one_and_central_differences():
    X, y, Xv, yv = (torch.tensor(a) for a in ridge_data(np.random.default_rng(16)))
    for start in (-2.0, 0.5, 3.0):
        log_lam = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        implicit = implicit_hypergradient(log_lam, X, y, Xv, yv)
        through_solve, = torch.autograd.grad(validation_loss(log_lam, X, y, Xv, yv), log_lam)
        np.testing.assert_allclose(implicit.item(), through_solve.item(), rtol=1e-9)
        assert gradcheck(lambda t: validation_loss(t, X, y, Xv, yv), log_lam, atol=1e-10,
                         rtol=1e-7)
        assert log_lam.grad is None                     # torch.autograd.grad leaves .grad


def test_hypergradient_descent_finds_the_best_regularisation():
    """Gradient descent on log λ with the implicit hypergradient, from λ = e⁻³, ends where a
    fine grid of λ has its smallest validation loss (within 1e-4 of the best grid point)."""
    X, y, Xv, yv = (torch.tensor(a) for a in ridge_data(np.random.default_rng(17)))
    log_lam = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
    opt = nn.optim.Adam([log_lam], lr=0.2)
    start = validation_loss(log_lam, X, y, Xv, yv).item()
    for _ in range(100):
        opt.zero_grad()
        log_lam.grad = implicit_hypergradient(log_lam, X, y, Xv, yv)
        opt.step()
    grid = np.linspace(-3, 6, 901)
    with torch.no_grad():
        on_grid = [validation_loss(torch.tensor(t), X, y, Xv, yv).item() for t in grid]
    best = grid[int(np.argmin(on_grid))]
    assert 0.5 < best < 5.5                             # inside the range: a real optimum
    assert abs(log_lam.item() - best) < 0.05
    assert validation_loss(log_lam, X, y, Xv, yv).item() < min(on_grid) * (1 + 1e-4)
    assert start > 1.1 * min(on_grid)                   # (where it started was worse)


@needs_torch
def test_the_implicit_hypergradient_is_pytorchs():
    arrays = ridge_data(np.random.default_rng(18))
    ours = implicit_hypergradient(torch.tensor(0.7, dtype=torch.float64, requires_grad=True),
                                  *(torch.tensor(a) for a in arrays))
    theirs = implicit_hypergradient(
        real_torch.tensor(0.7, dtype=real_torch.float64, requires_grad=True),
        *(real_torch.tensor(a) for a in arrays), torch=real_torch)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)


# -- a learned optimizer: a small MLP's updates, unrolled and meta-trained ----------------------

def learned_optimizer(lib=nn, hidden: int = 16):
    """Per coordinate, (gradient, parameter) -> the update, by a 2-16-1 tanh MLP (scaled by
    0.1, so that its first updates are small): the same MLP for every coordinate."""

    class LearnedOptimizer(lib.Module):
        def __init__(self):
            super().__init__()
            self.net = lib.Sequential(lib.Linear(2, hidden), lib.Tanh(), lib.Linear(hidden, 1))

        def forward(self, grad, param):
            return 0.1 * self.net(lib_of(grad).stack([grad, param], dim=-1)).squeeze(-1)

    return LearnedOptimizer()


def lib_of(t):
    return torch if isinstance(t, torch.Tensor) else real_torch


def least_squares_tasks(rng, n, dtype="float32"):
    """`n` problems min_w mean((A w - b)²), A (10, 5) with columns of scales 0.3-1.5."""
    A = rng.normal(size=(n, 10, 5)) * rng.uniform(0.3, 1.5, (n, 1, 5))
    return A.astype(dtype), rng.normal(size=(n, 10)).astype(dtype)


def task_losses(A, b, w):
    return (((A @ w.unsqueeze(-1)).squeeze(-1) - b) ** 2).mean(-1)


def unrolled(update, A, b, steps=10, second_order=True, torch=torch):
    """The meta-loss: the mean task loss along `steps` updates from w = 0, differentiated
    through the updates (and, second order, through the gradients they are given)."""
    w = torch.zeros(A.shape[0], A.shape[2], dtype=A.dtype, requires_grad=True)
    total = 0
    for _ in range(steps):
        g, = torch.autograd.grad(task_losses(A, b, w).sum(), w, create_graph=second_order)
        w = w + update(g, w)
        total = total + task_losses(A, b, w).mean()
    return total / steps


def final_loss(update, A, b, steps=10) -> float:
    """The mean task loss after `steps` updates, without recording the updates."""
    w = torch.zeros(A.shape[0], A.shape[2], dtype=A.dtype)
    for _ in range(steps):
        w.requires_grad_(True)
        g, = torch.autograd.grad(task_losses(A, b, w).sum(), w)
        with torch.no_grad():
            w = w + update(g, w)
    return task_losses(A, b, w).mean().item()


def test_the_meta_gradient_through_the_unrolled_updates_matches_finite_differences():
    torch.manual_seed(19)
    opt_net = learned_optimizer().double()
    A, b = (torch.tensor(a) for a in least_squares_tasks(np.random.default_rng(19), 3,
                                                         "float64"))
    assert gradcheck_parameters(lambda: unrolled(opt_net, A, b, steps=4),
                                opt_net.named_parameters(), atol=1e-8, rtol=1e-6)
    # the gradients' own dependence on the optimizer's earlier updates is in it
    params = list(opt_net.parameters())
    full = torch.autograd.grad(unrolled(opt_net, A, b, steps=4), params)
    first = torch.autograd.grad(unrolled(opt_net, A, b, steps=4, second_order=False), params)
    assert max(float(np.abs((a - c).data).max()) for a, c in zip(full, first)) > 1e-3


def test_the_meta_trained_optimizer_beats_sgd_at_every_learning_rate():
    """150 meta-steps (8 tasks each, Adam) on the unrolled loss; on 200 new tasks, after ten
    updates, it leaves a lower loss than plain SGD at any rate of a grid (SGD diverges past
    0.16 on the steepest tasks), and far lower than it did untrained."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    opt_net = learned_optimizer()
    meta_opt = nn.optim.Adam(opt_net.parameters(), lr=1e-2)
    A, b = (torch.tensor(a) for a in least_squares_tasks(np.random.default_rng(100), 200))
    untrained = final_loss(opt_net, A, b)
    for _ in range(150):
        meta_opt.zero_grad()
        unrolled(opt_net, *(torch.tensor(a) for a in least_squares_tasks(rng, 8))).backward()
        meta_opt.step()
    learned = final_loss(opt_net, A, b)
    sgd = {lr: final_loss(lambda g, w: -lr * g, A, b) for lr in (0.05, 0.1, 0.12, 0.14, 0.16)}
    assert learned < 0.96 * min(sgd.values()), (learned, sgd)
    assert learned < 0.7 * untrained


@needs_torch
def test_the_unrolled_meta_loss_and_its_gradient_are_pytorchs():
    torch.manual_seed(20)
    ours = learned_optimizer().double()
    theirs = loaded_from(learned_optimizer(real_torch.nn).double(), ours)
    arrays = least_squares_tasks(np.random.default_rng(20), 4, "float64")
    loss = unrolled(ours, *(torch.tensor(a) for a in arrays), steps=5)
    expected = unrolled(theirs, *(real_torch.tensor(a) for a in arrays), steps=5,
                        torch=real_torch)
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    for p, t in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-9, atol=1e-13)


# -- a prototypical network on a toy few-shot task ----------------------------------------------

WORLD = np.random.default_rng(1000)
MIXING = WORLD.normal(size=(4, 8))
TRAIN_CLASSES, TEST_CLASSES = WORLD.normal(size=(30, 4)), WORLD.normal(size=(30, 4))


def episode(rng, centres, n_way=5, k_shot=5, queries=5, dtype="float32"):
    """An n-way k-shot episode: (support, query) of shape (n_way, k, 16); each class a point
    of a 4-d latent space, seen through tanh(z M) next to 8 features of pure noise (std 2),
    which dominate distances in the raw features."""
    picked = centres[rng.choice(len(centres), n_way, replace=False)]
    z = picked[:, None, :] + 0.3 * rng.normal(size=(n_way, k_shot + queries, 4))
    noise = 2.0 * rng.normal(size=(n_way, k_shot + queries, 8))
    x = np.concatenate([np.tanh(z @ MIXING), noise], axis=-1).astype(dtype)
    return x[:, :k_shot], x[:, k_shot:]


def prototype_logits(encoder, support, query, torch=torch):
    """Negative squared distances from each query's embedding to each class's prototype, the
    mean embedding of its support."""
    n_way, k_shot, features = support.shape
    prototypes = encoder(support.reshape(-1, features)).reshape(n_way, k_shot, -1).mean(dim=1)
    return -torch.cdist(encoder(query.reshape(-1, features)), prototypes) ** 2


def episode_labels(support, query, torch=torch):
    return torch.arange(support.shape[0]).repeat_interleave(query.shape[1])


def few_shot_accuracy(encoder, centres, seed=5, episodes=100) -> float:
    rng, hits = np.random.default_rng(seed), []
    with torch.no_grad():
        for _ in range(episodes):
            support, query = (torch.tensor(a) for a in episode(rng, centres))
            guess = prototype_logits(encoder, support, query).argmax(dim=1)
            hits.append((guess == episode_labels(support, query)).float().mean().item())
    return float(np.mean(hits))


def test_a_prototypical_network_classifies_classes_it_never_saw():
    """300 episodes on the training classes; on 5-way episodes of 30 other classes it is
    right above 85 % of the time, where prototypes of the raw features (the noise features
    dominate) manage about 43 % and the untrained encoder about 32 % (chance: 20 %)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
    raw = few_shot_accuracy(lambda x: x, TEST_CLASSES)
    untrained = few_shot_accuracy(encoder, TEST_CLASSES)
    opt = nn.optim.Adam(encoder.parameters(), lr=3e-3)
    for _ in range(300):
        support, query = (torch.tensor(a) for a in episode(rng, TRAIN_CLASSES))
        loss = F.cross_entropy(prototype_logits(encoder, support, query),
                               episode_labels(support, query))
        opt.zero_grad()
        loss.backward()
        opt.step()
    trained = few_shot_accuracy(encoder, TEST_CLASSES)
    assert raw < 0.55 and untrained < 0.45
    assert trained > 0.85


def test_the_episode_loss_gradient_matches_finite_differences():
    torch.manual_seed(21)
    encoder = nn.Sequential(nn.Linear(16, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    support, query = (torch.tensor(a) for a in episode(np.random.default_rng(21),
                                                       TRAIN_CLASSES, 3, 2, 2, "float64"))
    labels = episode_labels(support, query)
    assert gradcheck_parameters(
        lambda: F.cross_entropy(prototype_logits(encoder, support, query), labels),
        encoder.named_parameters(), atol=1e-8, rtol=1e-6)


@needs_torch
def test_the_episode_loss_and_gradients_are_pytorchs():
    ours, theirs = relu_mlp_twins(22, (16, 32, 8))
    arrays = episode(np.random.default_rng(22), TRAIN_CLASSES, dtype="float64")
    support, query = (torch.tensor(a) for a in arrays)
    t_support, t_query = (real_torch.tensor(a) for a in arrays)
    loss = F.cross_entropy(prototype_logits(ours, support, query),
                           episode_labels(support, query))
    expected = real_torch.nn.functional.cross_entropy(
        prototype_logits(theirs, t_support, t_query, real_torch),
        episode_labels(t_support, t_query, real_torch))
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    for p, t in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12)
