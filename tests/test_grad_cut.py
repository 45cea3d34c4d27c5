"""`grad(outputs, inputs)` with respect to tensors computed from others (a neural ODE's state,
an attention map, a layer's activation): the pass runs between the outputs and the inputs only,
as PyTorch's does, so its cost does not grow with what the inputs were computed from. Proved
by an op behind the input whose backward raises: it must never be called."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Function, Tensor, Value, grad

from conftest import t64


class NoBackward(Function):
    """x, unchanged, with a backward that says it was called."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g, out, x):
        raise AssertionError("the pass went behind the input")


def behind(x: Tensor, steps: int = 3) -> Tensor:
    """A history for x: a chain of ops, then one whose backward must not run."""
    h = NoBackward.apply(x)
    for _ in range(steps):
        h = (h * 1.5).tanh()
    return h


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_with_respect_to_an_intermediate_does_not_go_behind_it(create_graph, rng):
    w = t64(rng.normal(size=(3, 3)))
    h = behind(t64(rng.normal(size=(4, 3))))
    y = ((h @ w).sin() * h).sum()
    (g,) = grad(y, h, create_graph=create_graph)
    h0 = h.detach()
    expected = (np.cos(h0.data @ w.data) * h0.data) @ w.data.T + np.sin(h0.data @ w.data)
    np.testing.assert_allclose(g.data, expected, rtol=1e-12)
    assert g.requires_grad is create_graph
    if create_graph:                # differentiated again: as for the same graph on a leaf
        (gg,) = grad(g.sum(), h)
        leaf = t64(h.data)
        (g_leaf,) = grad(((leaf @ w).sin() * leaf).sum(), leaf, create_graph=True)
        (gg_leaf,) = grad(g_leaf.sum(), leaf)
        np.testing.assert_allclose(gg.data, gg_leaf.data, rtol=1e-12)


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_input_at_the_end_of_a_chain_stops_the_chain(create_graph, rng):
    """y = tanh(tanh(... h)): the first-order pass walks such a chain without sorting it."""
    h = behind(t64(rng.normal(size=5)))
    y = h
    for _ in range(4):
        y = (y * 0.7).tanh()
    (g,) = grad(y.sum(), h, create_graph=create_graph)
    eps, h0 = 1e-6, h.data.copy()

    def f(v):
        for _ in range(4):
            v = np.tanh(v * 0.7)
        return v.sum()
    numeric = [(f(h0 + eps * e) - f(h0 - eps * e)) / (2 * eps) for e in np.eye(5)]
    np.testing.assert_allclose(g.data, numeric, rtol=1e-7)


def test_an_input_behind_another_gets_the_gradient_through_it(rng):
    """grad(y, [h, x]) with h computed from x: x's gradient comes through h too, so the pass
    must go behind h (and does: it matches finite differences)."""
    x = t64(rng.normal(size=4))
    h = (x * 2.0).tanh()
    y = (h * x).sum() + (h ** 2).sum()
    gh, gx = grad(y, [h, x])
    np.testing.assert_allclose(gh.data, x.data + 2 * h.data, rtol=1e-12)
    eps = 1e-6
    f = lambda v: float((np.tanh(2 * v) * v).sum() + (np.tanh(2 * v) ** 2).sum())
    numeric = [(f(x.data + eps * e) - f(x.data - eps * e)) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(gx.data, numeric, rtol=1e-7)


def test_two_inputs_side_by_side_both_stop_the_pass(rng):
    a, b = behind(t64(rng.normal(size=3))), behind(t64(rng.normal(size=3)))
    ga, gb = grad((a * b).sum(), [a, b])
    np.testing.assert_allclose(ga.data, b.data)
    np.testing.assert_allclose(gb.data, a.data)


@pytest.mark.parametrize("create_graph", [False, True])
def test_the_inputs_and_the_graph_are_left_as_they_were(create_graph, rng):
    """The pass takes a cut input for a leaf: afterwards it is an op's result again, its .grad
    is what it was, an unused input's too, and backward through the same graph still works."""
    x = t64(rng.normal(size=3))
    h = (x * 3.0).sin()
    unused = (x * 2.0).exp()
    y = (h ** 2).sum()
    before = h.grad, unused.grad
    (g, none) = grad(y, [h, unused], allow_unused=True, create_graph=create_graph)
    assert none is None
    assert (h.grad, unused.grad) == before and not h.is_leaf and h.op == "sin"
    np.testing.assert_allclose(g.data, 2 * h.data)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * np.sin(3 * x.data) * np.cos(3 * x.data) * 3)


def test_a_hook_on_the_input_still_runs(rng):
    """With a Tensor hook set, the pass goes through the hooked node as before: the hook sees
    the gradient and what it returns is the input's gradient, and is passed on behind it."""
    x = t64(rng.normal(size=3))
    h = x * 2.0
    seen = []
    h.register_hook(lambda g: (seen.append(g.data.copy()), g * 10)[1])
    (g,) = grad((h * h).sum(), h)
    np.testing.assert_allclose(seen[0], 2 * h.data)
    np.testing.assert_allclose(g.data, 20 * h.data)
    (gx,) = grad((h * h).sum(), x)
    np.testing.assert_allclose(gx.data, 40 * h.data)
    assert len(seen) == 2


def test_values_too():
    a = Value(0.3)
    b = (a * 2.0).tanh()
    c = b * b + b
    (gb,) = grad(c, [b])
    assert gb.data == pytest.approx(2 * b.data + 1, rel=1e-15)
    (ga,) = grad(c, [a])
    assert ga.data == pytest.approx((2 * b.data + 1) * 2 * (1 - b.data ** 2), rel=1e-15)


def test_the_gradient_of_an_output_with_respect_to_itself_is_its_seed(rng):
    h = (t64(rng.normal(size=2)) * 2.0).exp()
    (g,) = grad(h, h, grad_outputs=Tensor(np.array([2.0, 3.0])))
    np.testing.assert_array_equal(g.data, [2.0, 3.0])
