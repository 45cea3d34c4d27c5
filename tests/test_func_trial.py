"""A user trial: a researcher working through a "torch.func" course (JAX-like function
transforms in PyTorch), written as such a person writes it after `import autograd as torch`,
`import nn`, `import nn.functional as F` (`fn = torch.func`). Each program is one function of
those names, so the same lines run on PyTorch where it is installed, from the same weights, and
must give the same numbers (float64: to ~1e-12).

1. `functional_call(model, params, (x,))` with `dict(model.named_parameters())`, a loss written
   as a function of the params dict: `grad`, `grad_and_value`, `argnums`, `has_aux`.
2. Per-sample gradients, `vmap(grad(loss), in_dims=(None, 0, 0))`, against a loop over the
   samples, and DP-SGD by hand (per-sample clipping, summed, Gaussian noise, averaged, an SGD
   step), which still learns.
3. `jacrev` / `jacfwd` / `hessian` of small functions and of a model (w.r.t. its input and its
   params dict), `vjp` / `jvp` / `linearize`, hvp two ways (jvp of grad, vjp of grad), and the
   Hessian's top eigenvalue by power iteration against `np.linalg.eigvalsh`.
4. The empirical neural tangent kernel two ways (jacrev + einsum; vmap of vjp/jvp products).
5. Model ensembling: `stack_module_state` + `vmap` over `functional_call` of a base model on
   the meta device, against the loop over the models.
6. The older `torch.autograd.functional` (jacobian, hessian, vhp, hvp, create_graph, PyTorch's
   vectorized forward-mode strategy) and `torch.autograd.grad` with `grad_outputs` and
   `is_grads_batched`.

What the trial found missing, and what was done:
- `torch.func.linearize` was an AttributeError with a hint: added (func runs once, the graph of
  the double-vjp trick's first pass is kept, each `jvp_fn(v)` is one backward pass);
- `copy.deepcopy(model).to("meta")`, the ensembling tutorial's base model, said "there is no
  GPU here": `Module.to("meta")` now keeps the shapes and drops the numbers (zero-strided
  views), and a module refuses to run on a meta tensor, naming it and `functional_call`
  (`nn/meta_device.py`);
- `autograd.functional.jacobian(..., vectorize=True, strategy="forward-mode")` and `hessian(...,
  outer_jacobian_strategy="forward-mode")` (PyTorch's advice for speed) were refused: taken now,
  same numbers by reverse passes; without `vectorize=True` it is PyTorch's own refusal.
"""

from __future__ import annotations

import copy
import types

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

OURS = types.SimpleNamespace(torch=torch, nn=nn, F=F, fn=torch.func)
RNG = np.random.default_rng(34)


def theirs() -> types.SimpleNamespace:
    import torch.nn.functional as tF
    return types.SimpleNamespace(torch=real_torch, nn=real_torch.nn, F=tF, fn=real_torch.func)


def mlp(ns, sizes=(3, 8, 2), weights=None, act="Tanh"):
    """A float64 MLP of ns's engine; `weights` (name -> array) puts the same numbers in both."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [ns.nn.Linear(a, b)] + ([getattr(ns.nn, act)()] if i < len(sizes) - 2 else [])
    model = ns.nn.Sequential(*layers).double()
    if weights is not None:
        with ns.torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(ns.torch.tensor(weights[name]))
    return model


def draw_weights(sizes=(3, 8, 2), scale=0.6, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    model = mlp(OURS, sizes)
    return {n: rng.normal(size=p.shape) * scale for n, p in model.named_parameters()}


def numbers(tree) -> dict | list | np.ndarray:
    """A tree of either engine's tensors as numpy arrays (for comparing the two)."""
    if isinstance(tree, dict):
        return {k: numbers(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return [numbers(v) for v in tree]
    return np.asarray(tree.detach().numpy(), dtype=np.float64)


def assert_same(a, b, rtol=1e-11, atol=1e-12, name="") -> None:
    """Two trees of either engine's tensors hold the same numbers (nested dicts: a Hessian)."""
    if isinstance(a, dict):
        assert list(a) == list(b), (name, list(a), list(b))
        for k in a:
            assert_same(a[k], b[k], rtol, atol, f"{name}[{k}]")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), name
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, rtol, atol, f"{name}[{i}]")
    else:
        a, b = numbers(a), numbers(b)
        assert a.shape == b.shape, (name, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=name)


# == 1. functional_call and grad of a loss of the params dict ================================

X3, Y2 = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 2))
W382 = draw_weights()


def grad_of_params(ns):
    torch, F, fn = ns.torch, ns.F, ns.fn
    model = mlp(ns, weights=W382)
    params = {k: v.detach() for k, v in model.named_parameters()}
    x, y = torch.tensor(X3), torch.tensor(Y2)

    def loss_fn(params, x, y):
        return F.mse_loss(fn.functional_call(model, params, (x,)), y)

    def loss_aux(params, x, y):
        out = fn.functional_call(model, params, (x,))
        return F.mse_loss(out, y), out.abs().mean()

    g = fn.grad(loss_fn)(params, x, y)
    g2, value = fn.grad_and_value(loss_fn)(params, x, y)
    g_params, g_x = fn.grad(loss_fn, argnums=(0, 1))(params, x, y)
    g3, aux = fn.grad(loss_aux, has_aux=True)(params, x, y)
    model.zero_grad()
    loss_fn(dict(model.named_parameters()), x, y).backward()      # the usual way
    usual = {k: p.grad for k, p in model.named_parameters()}
    return dict(g=g, g2=g2, value=value, g_params=g_params, g_x=g_x, g3=g3, aux=aux,
                usual={k: torch.as_tensor(v) for k, v in usual.items()})


def test_grad_of_a_loss_of_the_params_dict_is_backwards_gradient():
    r = grad_of_params(OURS)
    assert list(r["g"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for key in ("g", "g2", "g_params", "g3"):
        assert_same(r[key], r["usual"], rtol=1e-13, atol=1e-15)
    assert r["g_x"].shape == (6, 3) and r["value"].shape == () and r["aux"].shape == ()
    assert not r["g"]["0.weight"].requires_grad         # a constant: nothing held requires grad


@needs_torch
def test_grad_of_a_loss_of_the_params_dict_is_torchs():
    ours, want = grad_of_params(OURS), grad_of_params(theirs())
    for key in ours:
        assert_same(ours[key], want[key])


# == 2. per-sample gradients and DP-SGD ======================================================

def two_moons(n: int, seed: int):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.stack([np.cos(t) - label, (1 - 2 * label) * np.sin(t) + 0.5 * label], 1)
    return x + rng.normal(scale=0.1, size=x.shape), label.astype(np.int64)


MOONS_X, MOONS_Y = two_moons(200, 1)
W_MOONS = draw_weights((2, 16, 2), scale=0.8, seed=3)


def per_sample_gradients(ns, n=16):
    torch, F, fn = ns.torch, ns.F, ns.fn
    model = mlp(ns, (2, 16, 2), W_MOONS, act="ReLU")
    params = {k: v.detach() for k, v in model.named_parameters()}
    x, y = torch.tensor(MOONS_X[:n]), torch.tensor(MOONS_Y[:n])

    def loss_one(params, xi, yi):           # one sample: a batch of one inside
        out = fn.functional_call(model, params, (xi.unsqueeze(0),))
        return F.cross_entropy(out, yi.unsqueeze(0))

    batched = fn.vmap(fn.grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
    loop = {k: [] for k in params}
    for i in range(n):
        model.zero_grad()
        F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        for k, p in model.named_parameters():
            loop[k].append(torch.as_tensor(p.grad).clone())
    return batched, {k: torch.stack(v) for k, v in loop.items()}


def test_per_sample_gradients_by_vmap_of_grad_are_the_loops():
    batched, loop = per_sample_gradients(OURS)
    assert batched["0.weight"].shape == (16, 16, 2)
    assert_same(batched, loop, rtol=1e-13, atol=1e-15)
    rows = np.abs(batched["2.bias"].numpy()).sum(1)
    assert (rows > 1e-6).all()                          # each sample its own gradient


@needs_torch
def test_per_sample_gradients_are_torchs():
    assert_same(per_sample_gradients(OURS)[0], per_sample_gradients(theirs())[0])


def dp_sgd(ns, steps, noise, clip=1.0, sigma=0.6, lr=1.0, batch=32):
    """DP-SGD by hand: per-sample gradients clipped to norm `clip`, summed, N(0, σ²C²) noise
    added (`noise[step]`: drawn outside, so both engines get the same), averaged, a step."""
    torch, F, fn = ns.torch, ns.F, ns.fn
    model = mlp(ns, (2, 16, 2), W_MOONS, act="ReLU")
    params = {k: v.detach() for k, v in model.named_parameters()}
    X, Y = torch.tensor(MOONS_X), torch.tensor(MOONS_Y)
    rng = np.random.default_rng(5)

    def loss_one(params, xi, yi):
        return F.cross_entropy(fn.functional_call(model, params, (xi.unsqueeze(0),)),
                               yi.unsqueeze(0))

    per_sample = fn.vmap(fn.grad(loss_one), in_dims=(None, 0, 0))
    largest, was_clipped = 0.0, 0
    for step in range(steps):
        idx = torch.tensor(rng.choice(len(MOONS_X), batch, replace=False))
        grads = per_sample(params, X[idx], Y[idx])
        norms = torch.sqrt(sum((g.flatten(1) ** 2).sum(1) for g in grads.values()))
        factor = (clip / (norms + 1e-6)).clamp(max=1.0)
        clipped = {k: g * factor.view(-1, *([1] * (g.dim() - 1))) for k, g in grads.items()}
        after = torch.sqrt(sum((g.flatten(1) ** 2).sum(1) for g in clipped.values()))
        largest = max(largest, after.max().item())
        was_clipped += int((norms > clip).sum().item())
        params = {k: params[k] - lr * (g.sum(0) + sigma * clip * torch.tensor(noise[step][k]))
                  / batch for k, g in clipped.items()}
    with torch.no_grad():
        logits = fn.functional_call(model, params, (X,))
        accuracy = (logits.argmax(1) == Y).double().mean().item()
        loss = F.cross_entropy(logits, Y).item()
    return params, accuracy, loss, largest, was_clipped


def dp_noise(steps, seed=7):
    rng = np.random.default_rng(seed)
    shapes = {n: w.shape for n, w in W_MOONS.items()}
    return [{n: rng.normal(size=s) for n, s in shapes.items()} for _ in range(steps)]


def test_dp_sgd_by_hand_still_learns():
    start = dp_sgd(OURS, 0, [])
    params, accuracy, loss, largest, was_clipped = dp_sgd(OURS, 80, dp_noise(80))
    assert largest <= 1.0 + 1e-9 and was_clipped > 100  # samples clipped to C (many were over)
    assert loss < 0.8 * start[2] and accuracy >= 0.8, (start[1:3], accuracy, loss)


@needs_torch
def test_dp_sgd_steps_are_torchs():
    noise = dp_noise(5)
    ours, want = dp_sgd(OURS, 5, noise), dp_sgd(theirs(), 5, noise)
    assert_same(ours[0], want[0], rtol=1e-10, atol=1e-12)
    assert ours[1] == want[1] and abs(ours[2] - want[2]) < 1e-10


# == 3. Jacobians, Hessians, products ========================================================

Z4 = RNG.normal(size=4)
V4, V3 = RNG.normal(size=4), RNG.normal(size=3)


def small_functions(ns):
    torch, fn = ns.torch, ns.fn
    z = torch.tensor(Z4)

    def f(z):
        return torch.stack([z.sin().sum() * z[0], (z ** 2).prod(), z.exp().mean()])

    def g(z):
        return (z.sin() * z).sum() + (z ** 4).sum() + z[0] * z[1] * z[2]

    r = dict(jacrev=fn.jacrev(f)(z), jacfwd=fn.jacfwd(f)(z), hessian=fn.hessian(g)(z),
             hess_rev=fn.jacrev(fn.jacrev(g))(z))
    out, vjp_fn = fn.vjp(f, z)
    r["vjp"] = vjp_fn(torch.tensor(V3))[0]
    r["jvp"] = fn.jvp(f, (z,), (torch.tensor(V4),))[1]
    out2, jvp_fn = fn.linearize(f, z)
    r["linearize"] = jvp_fn(torch.tensor(V4))
    r["hvp_fwd_rev"] = fn.jvp(fn.grad(g), (z,), (torch.tensor(V4),))[1]     # jvp of grad
    _, vjp_of_grad = fn.vjp(fn.grad(g), z)
    r["hvp_rev_rev"] = vjp_of_grad(torch.tensor(V4))[0]                      # vjp of grad
    return r


def finite_jacobian(f, z, eps=1e-6):
    return np.stack([(f(z + eps * e) - f(z - eps * e)) / (2 * eps) for e in np.eye(len(z))], -1)


def test_jacobians_hessians_and_products_of_small_functions():
    r = small_functions(OURS)

    def f(z):
        return np.array([np.sin(z).sum() * z[0], (z ** 2).prod(), np.exp(z).mean()])

    def g_grad(z):
        return (np.sin(z) + z * np.cos(z) + 4 * z ** 3
                + np.array([z[1] * z[2], z[0] * z[2], z[0] * z[1], 0.0]))

    J, H = finite_jacobian(f, Z4), finite_jacobian(g_grad, Z4)
    np.testing.assert_allclose(r["jacrev"].numpy(), J, rtol=1e-7, atol=1e-8)
    assert_same(r["jacfwd"], r["jacrev"], rtol=1e-15, atol=0)
    np.testing.assert_allclose(r["hessian"].numpy(), H, rtol=1e-7, atol=1e-7)
    assert_same(r["hess_rev"], r["hessian"], rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(r["vjp"].numpy(), V3 @ J, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(r["jvp"].numpy(), J @ V4, rtol=1e-7, atol=1e-8)
    assert_same(r["linearize"], r["jvp"], rtol=1e-14, atol=1e-15)
    for key in ("hvp_fwd_rev", "hvp_rev_rev"):
        np.testing.assert_allclose(r[key].numpy(), H @ V4, rtol=1e-7, atol=1e-7)


@needs_torch
def test_jacobians_hessians_and_products_are_torchs():
    ours, want = small_functions(OURS), small_functions(theirs())
    for key in ours:
        assert_same(ours[key], want[key], rtol=1e-12, atol=1e-13)


def model_derivatives(ns):
    torch, F, fn = ns.torch, ns.F, ns.fn
    model = mlp(ns, weights=W382)
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = torch.tensor(X3)

    def net(params, xi):
        return fn.functional_call(model, params, (xi,))

    r = dict(
        d_input=fn.jacrev(net, argnums=1)(params, x[0]),                  # (2, 3)
        d_input_fwd=fn.jacfwd(lambda xi: model(xi))(x[0]),
        per_sample_d_input=fn.vmap(fn.jacrev(net, argnums=1), in_dims=(None, 0))(params, x),
        input_hessian=fn.hessian(lambda xi: model(xi).pow(2).sum())(x[0]),
        d_params=fn.jacrev(net)(params, x[0]),                             # a dict
    )
    small = {k: v for k, v in params.items() if k.startswith("2.")}

    def head_loss(p):
        return F.mse_loss(fn.functional_call(model, p, (x,)), torch.tensor(Y2))
    r["params_hessian"] = fn.hessian(head_loss)(small)                     # a dict of dicts
    out, jvp_fn = fn.linearize(lambda p: net(p, x), params)
    r["linearized"] = jvp_fn({k: torch.ones_like(v) for k, v in params.items()})
    return r


def test_derivatives_of_a_model_by_its_input_and_its_params():
    r = model_derivatives(OURS)
    assert r["d_input"].shape == (2, 3) and r["per_sample_d_input"].shape == (6, 2, 3)
    assert_same(r["d_input_fwd"], r["d_input"], rtol=1e-15, atol=0)
    assert_same(r["per_sample_d_input"][0], r["d_input"], rtol=1e-15, atol=0)
    assert r["d_params"]["0.weight"].shape == (2, 8, 3)
    assert r["params_hessian"]["2.weight"]["2.bias"].shape == (2, 8, 2)
    model = mlp(OURS, weights=W382)

    def numpy_net(xi):
        with torch.no_grad():
            return model(torch.tensor(xi)).numpy()
    np.testing.assert_allclose(r["d_input"].numpy(), finite_jacobian(numpy_net, X3[0]),
                               rtol=1e-7, atol=1e-9)
    # the loss is a mean of 12 squares, 6 of them moved by each output bias: ∂²/∂b² = 2·6/12
    np.testing.assert_allclose(r["params_hessian"]["2.bias"]["2.bias"].numpy(),
                               np.eye(2) * 2 * 6 / 12, rtol=1e-13)


@needs_torch
def test_derivatives_of_a_model_are_torchs():
    ours, want = model_derivatives(OURS), model_derivatives(theirs())
    for key in ours:
        assert_same(ours[key], want[key], rtol=1e-11, atol=1e-13)


def power_iteration(ns, iterations=60, hvp_by="jvp"):
    """The loss Hessian's largest-magnitude eigenvalue by power iteration on hvp (jvp of grad,
    or vjp of grad), over the parameters laid end to end, and the full Hessian for checking."""
    torch, F, fn = ns.torch, ns.F, ns.fn
    model = mlp(ns, (3, 4, 1), draw_weights((3, 4, 1), seed=4))
    names = [n for n, _ in model.named_parameters()]
    shapes = [tuple(p.shape) for _, p in model.named_parameters()]
    sizes = [int(np.prod(s)) for s in shapes]
    theta = torch.cat([p.detach().flatten() for p in model.parameters()])
    x, y = torch.tensor(X3), torch.tensor(Y2[:, :1])

    def loss(theta):
        params = {n: t.reshape(s) for n, t, s in zip(names, theta.split(sizes), shapes)}
        return F.mse_loss(fn.functional_call(model, params, (x,)), y)

    def hvp(v):
        if hvp_by == "jvp":
            return fn.jvp(fn.grad(loss), (theta,), (v,))[1]
        return fn.vjp(fn.grad(loss), theta)[1](v)[0]
    v = torch.tensor(np.random.default_rng(0).normal(size=sum(sizes)))
    v = v / v.norm()
    for _ in range(iterations):
        hv = hvp(v)
        eigenvalue = (v * hv).sum().item()
        v = hv / hv.norm()
    return eigenvalue, fn.hessian(loss)(theta)


def test_hessian_eigenvalue_by_power_iteration_is_eigvalshs():
    eigenvalue, H = power_iteration(OURS)
    assert abs(power_iteration(OURS, 20, "vjp")[0] - eigenvalue) < 1e-6 * abs(eigenvalue)
    H = H.numpy()
    assert H.shape == (21, 21)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    spectrum = np.linalg.eigvalsh(H)
    top = spectrum[np.argmax(np.abs(spectrum))]
    second = np.sort(np.abs(spectrum))[-2]
    assert abs(top) > 1.5 * second                      # the iteration has a gap to converge by
    assert abs(eigenvalue - top) < 1e-8 * abs(top), (eigenvalue, top)


@needs_torch
def test_hessian_and_power_iteration_are_torchs():
    # (torch 2.13's jvp of grad fails here, "ZeroTensors are immutable", inside functorch's
    # forward-over-reverse through split + functional_call: its side takes vjp of grad)
    (ours, H), (want, Ht) = power_iteration(OURS), power_iteration(theirs(), hvp_by="vjp")
    assert abs(ours - want) < 1e-10 * abs(want)
    assert_same(H, Ht, rtol=1e-11, atol=1e-13)


# == 4. the empirical neural tangent kernel ==================================================

X_A, X_B = RNG.normal(size=(4, 3)), RNG.normal(size=(5, 3))
W_NTK = draw_weights((3, 16, 2), seed=8)


def ntk(ns):
    torch, fn = ns.torch, ns.fn
    model = mlp(ns, (3, 16, 2), W_NTK)
    params = {k: v.detach() for k, v in model.named_parameters()}

    def single(params, x):
        return fn.functional_call(model, params, (x.unsqueeze(0),)).squeeze(0)

    def by_jacobians(x1, x2):
        j1 = fn.vmap(fn.jacrev(single), (None, 0))(params, x1)
        j2 = fn.vmap(fn.jacrev(single), (None, 0))(params, x2)
        blocks = [torch.einsum("Naf,Mbf->NMab", a.flatten(2), b.flatten(2))
                  for a, b in zip(j1.values(), j2.values())]
        return torch.stack(blocks).sum(0)

    def by_products(x1, x2):
        def one_pair(x1, x2):
            out, vjp_fn = fn.vjp(lambda p: single(p, x1), params)

            def column(vec):                # J(x2) J(x1)ᵀ vec
                return fn.jvp(lambda p: single(p, x2), (params,), vjp_fn(vec))[1]
            basis = torch.eye(out.numel(), dtype=out.dtype).view(out.numel(), -1)
            return fn.vmap(column)(basis)
        return fn.vmap(fn.vmap(one_pair, (None, 0)), (0, None))(x1, x2)

    x1, x2 = torch.tensor(X_A), torch.tensor(X_B)
    return by_jacobians(x1, x2), by_products(x1, x2), by_jacobians(x1, x1)


def test_empirical_ntk_two_ways_agree():
    jac, vps, gram = ntk(OURS)
    assert jac.shape == vps.shape == (4, 5, 2, 2)
    assert_same(jac, vps, rtol=1e-12, atol=1e-13)
    K = gram.numpy().transpose(0, 2, 1, 3).reshape(8, 8)      # (x, a) by (x', b)
    np.testing.assert_allclose(K, K.T, atol=1e-12)
    assert np.linalg.eigvalsh(K).min() > -1e-10                # a Gram matrix


@needs_torch
def test_empirical_ntk_is_torchs():
    for a, b in zip(ntk(OURS), ntk(theirs())):
        assert_same(a, b, rtol=1e-11, atol=1e-12)


# == 5. model ensembling =====================================================================

ENSEMBLE = [draw_weights((3, 8, 2), seed=s) for s in range(4)]
MINIBATCHES = RNG.normal(size=(4, 5, 3))


def ensemble(ns):
    torch, fn = ns.torch, ns.fn
    models = [mlp(ns, weights=w) for w in ENSEMBLE]
    params, buffers = fn.stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")

    def fmodel(params, buffers, x):
        return fn.functional_call(base, (params, buffers), (x,))

    x, xs = torch.tensor(X3), torch.tensor(MINIBATCHES)
    same_batch = fn.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
    own_batches = fn.vmap(fmodel)(params, buffers, xs)
    loops = (torch.stack([m(x) for m in models]),
             torch.stack([m(xb) for m, xb in zip(models, xs)]))
    own_batches.pow(2).mean().backward()            # the ensemble trains as one
    return same_batch, own_batches, loops, params


def test_ensemble_by_stack_module_state_is_the_loop_over_models():
    same_batch, own_batches, loops, params = ensemble(OURS)
    assert same_batch.shape == (4, 6, 2) and own_batches.shape == (4, 5, 2)
    assert_same(same_batch, loops[0], rtol=1e-14, atol=1e-15)
    assert_same(own_batches, loops[1], rtol=1e-14, atol=1e-15)
    assert params["0.weight"].grad.shape == (4, 8, 3)
    assert np.abs(params["0.weight"].grad).min(axis=(1, 2)).max() > 0   # each model its own


@needs_torch
def test_ensemble_is_torchs():
    ours, want = ensemble(OURS), ensemble(theirs())
    for a, b in zip(ours[:2], want[:2]):
        assert_same(a, b)
    assert_same({k: torch.as_tensor(p.grad) for k, p in ours[3].items()},
                {k: p.grad for k, p in want[3].items()})


def test_a_meta_base_runs_only_through_functional_call():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    base = copy.deepcopy(model).to("meta")
    assert base[0].weight.shape == (4, 3) and base[0].weight.dtype == np.float32
    assert base[0].weight.data.strides == (0, 0)             # no numbers held
    assert model[0].weight.data.strides != (0, 0)            # the original keeps its own
    x = torch.randn(5, 3)
    with pytest.raises(RuntimeError, match=r"^Linear: weight is on the meta device .*"
                                           r"functional_call\(model, \(params, buffers\)"):
        base(x)
    params, buffers = dict(model.named_parameters()), dict(model.named_buffers())
    with pytest.raises(RuntimeError, match=r"^BatchNorm1d: running_mean is on the meta device"):
        torch.func.functional_call(base, params, (x,))          # the buffers left out
    out = torch.func.functional_call(base, (params, buffers), (x,))
    model.load_state_dict({k: v.clone() for k, v in model.state_dict().items()})
    np.testing.assert_array_equal(out.data, model(x).data)
    assert nn.Linear(2, 2).to("meta", torch.float64).weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="there is no GPU here"):
        nn.Linear(2, 2).to("cuda")


# == 6. the older API: torch.autograd.functional, torch.autograd.grad ========================

def older_api(ns):
    torch = ns.torch
    AF = torch.autograd.functional
    z = torch.tensor(Z4[:3], requires_grad=True)
    v = torch.tensor(V3)

    def f(z):
        return (z ** 3).sum() + z.prod() + z.sin().mul(z).sum()

    r = dict(jacobian=AF.jacobian(lambda z: z.sin() * z.sum(), z),
             jacobian_fwd=AF.jacobian(lambda z: z.sin() * z.sum(), z, vectorize=True,
                                      strategy="forward-mode"),
             pair=AF.jacobian(lambda a, b: (a * b).cumsum(0), (z, v)),
             hessian=AF.hessian(f, z),
             hessian_fwd=AF.hessian(f, z, vectorize=True, outer_jacobian_strategy="forward-mode"),
             vhp=AF.vhp(f, z, v), hvp=AF.hvp(f, z, v), vjp=AF.vjp(lambda z: z.exp(), z, v),
             jvp=AF.jvp(lambda z: z.exp(), z, v))
    H = AF.hessian(f, z, create_graph=True)         # differentiated again: third derivatives
    H.trace().backward()
    r["third"] = torch.as_tensor(z.grad).clone()
    # torch.autograd.grad: grad_outputs, and a batch of them
    y = z.sin() * z.sum()
    (r["weighted"],) = torch.autograd.grad(y, z, grad_outputs=v, retain_graph=True)
    (r["batched"],) = torch.autograd.grad(y, z, torch.eye(3, dtype=torch.float64),
                                          retain_graph=True, is_grads_batched=True)
    unused = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    a, b = torch.autograd.grad(y, (z, unused), torch.eye(3, dtype=torch.float64),
                               allow_unused=True, materialize_grads=True, is_grads_batched=True,
                               retain_graph=True)
    r["unused"] = b
    (g,) = torch.autograd.grad(y.sum(), z, create_graph=True)
    (r["second"],) = torch.autograd.grad(g.pow(2).sum(), z)
    return r


def test_older_functional_api_agrees_with_the_transforms():
    r = older_api(OURS)
    assert_same(r["jacobian_fwd"], r["jacobian"], rtol=0, atol=0)
    assert_same(r["hessian_fwd"], r["hessian"], rtol=0, atol=0)
    assert_same(r["batched"], r["jacobian"], rtol=1e-15, atol=0)      # the rows, batched
    assert_same(r["hvp"][1], r["vhp"][1], rtol=1e-14, atol=1e-15)     # symmetric H
    np.testing.assert_allclose(r["hvp"][1].numpy(), r["hessian"].numpy() @ V3, rtol=1e-13)
    np.testing.assert_allclose(r["weighted"].numpy(), V3 @ r["jacobian"].numpy(), rtol=1e-13)
    assert r["unused"].shape == (3, 2) and not r["unused"].numpy().any()
    z = Z4[:3]      # tr H of Σz³ + Πz + Σ z sin z: ∂/∂z of Σ (6z + 2 cos z - z sin z)
    np.testing.assert_allclose(r["third"].numpy(), 6 - 3 * np.sin(z) - z * np.cos(z),
                               rtol=1e-12)
    with pytest.raises(NotImplementedError, match=r"forward-mode' needs vectorize=True"):
        torch.autograd.functional.jacobian(lambda z: z, torch.ones(2), strategy="forward-mode")


@needs_torch
def test_older_functional_api_is_torchs():
    ours, want = older_api(OURS), older_api(theirs())
    # torch 2.13 materializes an unused input's batched gradient without the batch axis
    # (zeros_like(input), shape (2,)); ours keeps the axis every batched gradient has, (3, 2)
    assert tuple(want.pop("unused").shape) == (2,) and ours.pop("unused").shape == (3, 2)
    for key in ours:
        assert_same(ours[key], want[key], rtol=1e-12, atol=1e-14)
