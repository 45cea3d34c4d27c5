"""autograd.func, PyTorch's torch.func: grad and grad_and_value over trees of Tensors (with
argnums and has_aux), vjp, jvp, jacrev, jacfwd, hessian, vmap (in_dims, out_dims, nesting,
randomness), functional_call and stack_module_state. Derivatives against float64 central
differences, to second order; every transform against torch.func where PyTorch is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from autograd import func, gradcheck

from torch_helpers import needs_torch, torch as real_torch

RNG = np.random.default_rng(0)
X, W, V = RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=3)


def energy(w, x):
    """A scalar of both arguments, not polynomial: tanh of a product, and a cube."""
    return ((x @ w).tanh() ** 2).sum() + (w ** 3).sum() * x.mean()


def tensors(*arrays, requires_grad=False):
    return [torch.tensor(a, requires_grad=requires_grad) for a in arrays]


# -- grad and grad_and_value --------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (1,), (4,), (1, 3)])
def test_grad_is_the_gradient_and_can_be_differentiated_again(shape):
    """grad(f)(x) against central differences of f, and grad(f) itself against differences
    of it (second order), for 0-d, batch-1 and broadcast shapes."""
    rng = np.random.default_rng(1)
    x0, c = rng.normal(size=shape), rng.normal(size=(2,) + shape)

    def f(x):
        return ((x * torch.tensor(c)).sin() * x.exp()).sum()     # x broadcast against c

    x = torch.tensor(x0)
    g = func.grad(f)(x)
    assert g.shape == shape and not g.requires_grad            # constants in: a constant out
    step = 1e-6
    for i in np.ndindex(*shape):
        e = np.zeros(shape)
        e[i] = step
        fd = (f(torch.tensor(x0 + e)).item() - f(torch.tensor(x0 - e)).item()) / (2 * step)
        np.testing.assert_allclose(g.data[i], fd, rtol=1e-7, atol=1e-9)
    assert gradcheck(func.grad(f), torch.tensor(x0, requires_grad=True))


def test_grad_of_a_dict_argnums_and_has_aux():
    w, x = tensors(W, X)
    g = func.grad(lambda p, x: energy(p["w"], x) + (p["b"] ** 2).sum())(
        {"w": w, "b": torch.tensor([1.0, -2.0], dtype=torch.float64)}, x)
    assert list(g) == ["w", "b"] and g["b"].tolist() == [2.0, -4.0]
    gw, gx = func.grad(energy, argnums=(0, 1))(w, x)
    np.testing.assert_allclose(g["w"].data, gw.data, rtol=1e-15)
    assert gx.shape == (3, 4)
    assert gradcheck(lambda x: energy(w, x), x.detach().requires_grad_()) and gradcheck(
        lambda x: (func.grad(energy, argnums=1)(w, x) ** 2).sum(), x.detach().requires_grad_())
    (g_aux, aux) = func.grad(lambda w: (energy(w, x), w.sum()), has_aux=True)(w)
    np.testing.assert_array_equal(g_aux.data, gw.data)
    np.testing.assert_allclose(aux.item(), W.sum())
    (g2, (value, aux2)) = func.grad_and_value(lambda w: (energy(w, x), w.max()),
                                              has_aux=True)(w)
    np.testing.assert_allclose(value.item(), energy(w, x).item(), rtol=1e-15)
    assert aux2.item() == W.max() and not value.requires_grad
    value_only = func.grad_and_value(energy)(w, x)[1]
    np.testing.assert_allclose(value_only.item(), value.item(), rtol=1e-15)


def test_grad_reaches_what_the_caller_holds():
    """MAML's need: a gradient computed from a tensor that requires grad (passed in, or read
    by f) is recorded, so that an outer backward goes through it; the derivative is still with
    respect to the argument alone, not to other uses of the same tensor."""
    w = torch.tensor(W, requires_grad=True)
    c = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    g = func.grad(lambda v: (c * v ** 2).sum())(w)              # 2 c w
    assert g.requires_grad
    g.sum().backward()                                          # d/dw: 2c, d/dc: 2 Σ w
    np.testing.assert_allclose(w.grad, np.full(4, 4.0))
    np.testing.assert_allclose(c.grad, 2 * W.sum())
    # f also reads w itself: d/dv (v · w) at v = w is w (w is a constant for this derivative)
    np.testing.assert_allclose(func.grad(lambda v: (v * w).sum())(w).data, W)
    # an argument f does not use gets zeros, as in torch.func
    assert func.grad(lambda a, b: a.sum(), argnums=1)(w, torch.ones(2)).tolist() == [0, 0]


def test_grad_errors_say_what_is_expected():
    w = torch.tensor(W)
    with pytest.raises(ValueError, match=r"grad: f must return a one-element Tensor "
                                         r"\(a scalar: its gradient is defined\), got a Tensor "
                                         r"of shape \(4,\); reduce it"):
        func.grad(lambda w: w * 2)(w)
    with pytest.raises(TypeError, match=r"argument 0 is a float; torch\.func differentiates "
                                        r"with respect to Tensors .*autograd\.grad\(f\)\(x\)"):
        func.grad(lambda w: w * 2)(3.0)
    with pytest.raises(TypeError, match=r"argument 0, tensor 1 of its tree is a str"):
        func.grad(lambda p: p[0].sum())([w, "b"])
    with pytest.raises(ValueError, match=r"argnums 2 is out of range for 2 positional"):
        func.grad(energy, argnums=2)(w, torch.tensor(X))
    # the same argument twice (-2 is 0 here) would get two gradients, the first one zeros
    for twice in ((0, 0), (0, -2)):
        with pytest.raises(ValueError, match=r"grad: argnums .* names argument 0 "
                                             r"twice; give each position once"):
            func.grad(energy, argnums=twice)(w, torch.tensor(X))
    with pytest.raises(TypeError, match=r"has_aux=True, so f must return a pair \(output, "
                                        r"aux\), got a Tensor"):
        func.grad(lambda w: w.sum(), has_aux=True)(w)
    with pytest.raises(TypeError, match="a derivative needs floating point"):
        func.grad(lambda w: w.sum())(torch.tensor([1, 2]))


# -- vjp, jvp, jacrev, jacfwd, hessian ----------------------------------------------------------

def test_jacobians_and_hessians_are_autograds_and_finite_differences():
    w, x = tensors(W, X)
    jac = func.jacrev(lambda w: (x @ w).sin())(w)
    np.testing.assert_allclose(jac.data, torch.jacobian(lambda w: (x @ w).sin(), w).data,
                               rtol=1e-15)
    np.testing.assert_allclose(func.jacfwd(lambda w: (x @ w).sin())(w).data, jac.data)
    h = func.hessian(energy)(w, x)
    np.testing.assert_allclose(h.data, torch.hessian(lambda w: energy(w, x), w).data,
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h.data, h.data.T, atol=1e-14)
    # the Hessian's entries, by differences of the gradient
    step, g = 1e-6, func.grad(energy)
    for i in range(4):
        e = np.zeros(4)
        e[i] = step
        row = (g(torch.tensor(W + e), x).data - g(torch.tensor(W - e), x).data) / (2 * step)
        np.testing.assert_allclose(h.data[i], row, rtol=1e-6, atol=1e-8)
    # trees in and out: a dict of arguments, a tuple of outputs, a tuple of argnums
    tree = func.jacrev(lambda p: (p["a"] * p["b"], p["a"].sum()))(
        {"a": torch.tensor([1.0, 2.0]), "b": torch.tensor([3.0, 5.0])})
    assert tree[0]["a"].tolist() == [[3, 0], [0, 5]] and tree[1]["b"].tolist() == [0, 0]
    both = func.hessian(energy, argnums=(0, 1))(w, x)
    assert [[b.shape for b in row] for row in both] == [[(4, 4), (4, 3, 4)],
                                                        [(3, 4, 4), (3, 4, 3, 4)]]
    np.testing.assert_allclose(both[0][0].data, h.data, rtol=1e-15)


def test_vjp_and_jvp_are_the_jacobians_products():
    w, x = tensors(W, X)
    f = lambda w, x: (x @ w).tanh() * x.sum(1)                  # noqa: E731
    out, vjp_fn = func.vjp(f, w, x)
    gw, gx = vjp_fn(torch.tensor(V))
    jw, jx = torch.jacobian(f, (w, x))
    np.testing.assert_allclose(gw.data, V @ jw.data, rtol=1e-13)
    np.testing.assert_allclose(gx.data, np.tensordot(V, jx.data, 1), rtol=1e-13)
    np.testing.assert_allclose(vjp_fn(torch.tensor(2 * V))[0].data, 2 * gw.data, rtol=1e-14)
    np.testing.assert_allclose(out.data, f(w, x).data)
    tangent = RNG.normal(size=4)
    out2, jv = func.jvp(lambda w: f(w, x), (w,), (torch.tensor(tangent),))
    np.testing.assert_allclose(jv.data, jw.data @ tangent, rtol=1e-13)
    _, _, aux = func.vjp(lambda w: (w * 2, w.sum()), w, has_aux=True)
    np.testing.assert_allclose(aux.item(), W.sum())
    with pytest.raises(ValueError, match=r"vjp_fn takes cotangents shaped as func's output "
                                         r"\(\[\(3,\)\]\)"):
        vjp_fn(torch.ones(4))
    with pytest.raises(ValueError, match=r"tangents must have the primals' structure"):
        func.jvp(lambda w: w, (w,), (torch.ones(3),))



def test_vjp_and_jvp_are_differentiable_in_the_cotangents_and_tangents():
    """vᵀJ is linear in v and J·u in u: with v or u wanting a gradient (the double-vjp trick
    written by hand, grad of vjp_fn), their results are recorded, as PyTorch's are, even when
    nothing the caller holds requires grad at the primals. They came back as constants: the
    gradient through them was zeros."""
    w, x = tensors(W, X)
    f = lambda w: (x @ w).tanh()                                # noqa: E731
    jw = torch.jacobian(f, w).data                              # (3, 4)
    _, vjp_fn = func.vjp(f, w)
    # d/dv Σ (vᵀJ) = J 1, and J·u by the vjp of vjp_fn (the double-vjp trick)
    ones = torch.ones(3, dtype=torch.float64)
    np.testing.assert_allclose(func.grad(lambda v: vjp_fn(v)[0].sum())(ones).data, jw.sum(1),
                               rtol=1e-13)
    u = np.random.default_rng(5).normal(size=4)       # (the file's RNG left as it was)
    _, back = func.vjp(lambda v: vjp_fn(v)[0], ones)
    np.testing.assert_allclose(back(torch.tensor(u))[0].data, jw @ u, rtol=1e-13)
    v = torch.tensor(V, requires_grad=True)
    vjp_fn(v)[0].sum().backward()
    np.testing.assert_allclose(v.grad, jw.sum(1), rtol=1e-13)
    tangent = torch.tensor(u, requires_grad=True)
    _, jv = func.jvp(f, (w,), (tangent,))
    jv.sum().backward()                                         # d/du Σ J·u = Jᵀ 1
    np.testing.assert_allclose(tangent.grad, jw.sum(0), rtol=1e-13)


# -- vmap ---------------------------------------------------------------------------------------

def test_vmap_maps_over_the_dims_given_and_stacks_along_out_dims():
    a, b = torch.tensor(RNG.normal(size=(5, 3))), torch.tensor(RNG.normal(size=(3, 5)))
    dot = lambda u, v: (u * v).sum()                            # noqa: E731
    np.testing.assert_allclose(func.vmap(dot, in_dims=(0, 1))(a, b).data,
                               (a.data * b.data.T).sum(1), rtol=1e-15)
    np.testing.assert_allclose(func.vmap(dot, in_dims=(0, None))(a, b[:, 0]).data,
                               a.data @ b.data[:, 0], rtol=1e-15)
    outer = func.vmap(func.vmap(lambda u, v: u * v, (None, 0)), (0, None))(a[:, 0], b[0])
    np.testing.assert_allclose(outer.data, np.outer(a.data[:, 0], b.data[0]), rtol=1e-15)
    pair = func.vmap(lambda u: (u * 2, {"s": u.sum()}), in_dims=-1, out_dims=(1, 0))(b)
    np.testing.assert_allclose(pair[0].data, 2 * b.data)                  # mapped over dim -1
    np.testing.assert_allclose(pair[1]["s"].data, b.data.sum(0))
    tree = func.vmap(lambda p, k: p["x"] * k, in_dims=({"x": 1},))(
        {"x": b}, k=torch.tensor(3.0, dtype=torch.float64))              # kwargs: whole
    np.testing.assert_allclose(tree.data, 3 * b.data.T)
    np.testing.assert_allclose(torch.vmap(dot)(a, b.T).data, (a.data * b.data.T).sum(1))


def test_gradients_flow_through_vmap():
    a = torch.tensor(RNG.normal(size=(4, 3)), requires_grad=True)
    w = torch.tensor(RNG.normal(size=3), requires_grad=True)
    assert gradcheck(lambda a, w: func.vmap(lambda r: (r * w).tanh().sum() * r[0],
                                            in_dims=0)(a), (a, w))


def test_vmap_randomness():
    draw = lambda x: x + torch.randn(2, dtype=torch.float64)    # noqa: E731
    x = torch.zeros(3, 2, dtype=torch.float64)
    with pytest.raises(RuntimeError, match=r"vmap: func drew random numbers \(dropout, randn, "
                                           r"\.\.\.\) with randomness='error': pass "
                                           r"randomness='different'"):
        func.vmap(draw)(x)
    torch.manual_seed(0)
    same = func.vmap(draw, randomness="same")(x).data
    torch.manual_seed(0)
    one = torch.randn(2, dtype=torch.float64).data
    after = torch.randn(1).item()
    np.testing.assert_array_equal(same, np.stack([one] * 3))
    torch.manual_seed(0)
    different = func.vmap(draw, randomness="different")(x).data
    assert len({tuple(r) for r in different}) == 3
    torch.manual_seed(0)
    func.vmap(draw, randomness="same")(x)
    assert torch.randn(1).item() == after                       # the state moved on once


def test_vmap_errors_say_what_is_expected():
    a = torch.ones(3, 2)
    with pytest.raises(ValueError, match=r"the mapped dims have different sizes, \[2, 3\]"):
        func.vmap(lambda u, v: u)(a, torch.ones(2))
    with pytest.raises(ValueError, match=r"in_dims has 1 entries for 2 positional"):
        func.vmap(lambda u, v: u, in_dims=(0,))(a, a)
    with pytest.raises(ValueError, match=r"no argument is mapped over"):
        func.vmap(lambda u: u, in_dims=None)(a)
    with pytest.raises(ValueError, match=r"argument 0 has shape \(3, 2\), which has no dim 2"):
        func.vmap(lambda u: u, in_dims=2)(a)
    with pytest.raises(ValueError, match=r"argument 1 is a float mapped over dim 0; only "
                                         r"Tensors have a batch axis: give None"):
        func.vmap(lambda u, s: u * s)(a, 2.0)
    with pytest.raises(TypeError, match=r"func must return a Tensor .*got a float"):
        func.vmap(lambda u: u.sum().item())(a)
    with pytest.raises(ValueError, match=r"randomness must be 'error', 'different' or "
                                         r"'same', got 'sometimes'"):
        func.vmap(lambda u: u, randomness="sometimes")


# -- modules ------------------------------------------------------------------------------------

def test_an_ensemble_by_stack_module_state_and_vmap_of_functional_call():
    torch.manual_seed(1)
    models = [nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
              for _ in range(4)]
    params, buffers = func.stack_module_state(models)
    assert params["0.weight"].shape == (4, 5, 3) and params["0.weight"].is_leaf
    base = models[0]
    x = torch.tensor(RNG.normal(size=(6, 3)))

    def run(p, b, x):
        return func.functional_call(base, (p, b), (x,))

    out = func.vmap(run, in_dims=(0, 0, None))(params, buffers, x)
    for k, m in enumerate(models):
        np.testing.assert_allclose(out.data[k], m(x).data, rtol=1e-15)
    out.pow(2).sum().backward()
    models[2](x).pow(2).sum().backward()
    np.testing.assert_allclose(params["2.bias"].grad[2], models[2][2].bias.grad, rtol=1e-13)
    with pytest.raises(ValueError, match="the models have different parameter or buffer names"):
        func.stack_module_state([nn.Linear(3, 2), nn.Sequential(nn.Linear(3, 2))])
    with pytest.raises(ValueError, match=r"stack_module_state: parameter 'weight' has the "
                                         r"shapes \[\(2, 3\), \(2, 4\)\] in the models"):
        func.stack_module_state([nn.Linear(3, 2), nn.Linear(4, 2)])


def test_per_example_gradients_by_vmap_of_grad_are_the_losses_rows():
    torch.manual_seed(2)
    model = nn.Linear(3, 4).double()
    x, y = torch.tensor(RNG.normal(size=(5, 3))), torch.tensor(np.array([0, 3, 1, 1, 2]))
    params = {n: p.detach() for n, p in model.named_parameters()}

    def loss(p, x, t):
        return F.cross_entropy(func.functional_call(model, p, (x[None],)), t[None])

    rows = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    for i in range(5):
        model.zero_grad()
        F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        np.testing.assert_allclose(rows["weight"].data[i], model.weight.grad, rtol=1e-13)
        np.testing.assert_allclose(rows["bias"].data[i], model.bias.grad, rtol=1e-13)


@pytest.mark.parametrize("name, says", [
    ("functionalize", "not needed"),
    ("replace_all_batch_norm_modules_", "track_running_stats=False")])
def test_torch_funcs_other_names_say_what_to_write(name, says):
    with pytest.raises(AttributeError, match=rf"PyTorch's torch\.func\.{name} is .*{says}"):
        getattr(torch.func, name)
    with pytest.raises(AttributeError, match=r"has no attribute 'nothing'$"):
        torch.func.nothing


def test_torch_func_after_import_autograd_as_torch():
    assert torch.func is func and torch.vmap is func.vmap
    from autograd.func import functional_call, vmap
    assert vmap is func.vmap and functional_call is torch.func.functional_call


# -- PyTorch's own numbers ----------------------------------------------------------------------

@needs_torch
def test_every_transform_is_torch_funcs():
    tf = real_torch.func
    w, x = tensors(W, X)
    tw, tx = real_torch.tensor(W), real_torch.tensor(X)
    tv, tangent = real_torch.tensor(V), RNG.normal(size=4)
    f = lambda w, x: (x @ w).tanh() * x.sum(1)                  # noqa: E731

    def same(a, b):
        np.testing.assert_allclose(np.asarray(a.data), b.detach().numpy(), rtol=1e-12,
                                   atol=1e-14)

    same(func.grad(energy)(w, x), tf.grad(energy)(tw, tx))
    for a, b in zip(func.grad(energy, (0, 1))(w, x), tf.grad(energy, (0, 1))(tw, tx)):
        same(a, b)
    same(func.jacrev(f, 1)(w, x), tf.jacrev(f, 1)(tw, tx))
    same(func.jacfwd(f)(w, x), tf.jacfwd(f)(tw, tx))
    same(func.hessian(energy)(w, x), tf.hessian(energy)(tw, tx))
    for a, b in zip(func.vjp(f, w, x)[1](torch.tensor(V)), tf.vjp(f, tw, tx)[1](tv)):
        same(a, b)
    same(func.jvp(lambda w: f(w, x), (w,), (torch.tensor(tangent),))[1],
         tf.jvp(lambda w: f(w, tx), (tw,), (real_torch.tensor(tangent),))[1])
    same(func.vmap(func.grad(energy), in_dims=(None, 0))(w, torch.tensor(X[:, None])),
         tf.vmap(tf.grad(energy), in_dims=(None, 0))(tw, tx[:, None]))
    # second order through grad, as MAML takes it: the gradient of a function of a gradient
    outer = torch.tensor(W, requires_grad=True)
    t_outer = real_torch.tensor(W, requires_grad=True)
    (func.grad(energy)(outer, x) ** 2).sum().backward()
    (tf.grad(energy)(t_outer, tx) ** 2).sum().backward()
    np.testing.assert_allclose(outer.grad, t_outer.grad.numpy(), rtol=1e-12)
