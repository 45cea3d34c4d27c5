"""Backward semantics of the shared graph core: accumulation, recomputation, reuse,
detaching, skipped inputs, parent order, depth, and memory (no reference cycles)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from autograd import Function, Tensor, Value, relaxed_gc
from autograd import functional as F
from autograd import graph
from autograd.graph import walk

from conftest import t64


# ----------------------------------------------------------------------------------------------
# Repeated backward: leaves accumulate, intermediates are recomputed
# ----------------------------------------------------------------------------------------------

def test_value_repeated_backward_accumulates_leaves_only():
    """a=3, b=a+a, c=b*b: dc/da = 4b = 24, dc/db = 2b = 12. A second backward doubles the
    leaf's gradient exactly and leaves the intermediate's at 12 (recomputed, not doubled)."""
    a = Value(3.0)
    b = a + a
    c = b * b
    c.backward()
    assert (a.grad, b.grad, c.grad) == (24.0, 12.0, 1.0)
    c.backward()
    assert (a.grad, b.grad, c.grad) == (48.0, 12.0, 1.0)


def test_tensor_repeated_backward_accumulates_leaves_only():
    """The same graph on Tensors, with a non-scalar intermediate."""
    a = t64([3.0, -1.0])
    b = a + a
    c = (b * b).sum()
    c.backward(retain_graph=True)           # (without it, the second call warns, as PyTorch
    np.testing.assert_array_equal(a.grad, [24.0, -8.0])     # would raise)
    np.testing.assert_array_equal(b.grad, [12.0, -4.0])
    c.backward()
    np.testing.assert_array_equal(a.grad, [48.0, -16.0])
    np.testing.assert_array_equal(b.grad, [12.0, -4.0])


def test_intermediate_gradient_follows_the_latest_seed():
    """Intermediates hold the gradient of the latest backward: seed 1 then seed 5 gives 5x."""
    x = Value(2.0)
    h = x * x
    y = h * 3.0
    y.backward(1.0)
    y.backward(5.0)
    assert h.grad == 15.0
    assert x.grad == (1.0 + 5.0) * 3.0 * 2 * 2.0


def test_backward_of_a_leaf():
    """backward() on a leaf: its gradient is the seed (accumulating like any leaf)."""
    v = Value(2.0)
    v.backward()
    v.backward(2.0)
    assert v.grad == 3.0
    t = t64([2.0])
    t.backward()
    np.testing.assert_array_equal(t.grad, [1.0])


def test_diamond_value():
    """x feeds two branches that meet again: y = (x²)(x+1) + x²  ->  dy/dx = 3x² + 2x + 2x."""
    x = Value(1.5)
    sq = x * x
    y = sq * (x + 1.0) + sq
    y.backward()
    assert y.data == pytest.approx(1.5 ** 3 + 2 * 1.5 ** 2, rel=1e-15)
    assert x.grad == pytest.approx(3 * 1.5 ** 2 + 4 * 1.5, rel=1e-15)
    assert sq.grad == pytest.approx(1.5 + 1.0 + 1.0, rel=1e-15)


def test_diamond_tensor():
    """Reused intermediate in a Tensor graph, including a broadcast branch."""
    x = t64([[1.0, 2.0], [3.0, -1.0]])
    h = x.tanh()
    y = (h * h.sum(axis=0) + h).sum()
    y.backward()
    hd = np.tanh(x.data)
    # y = Σ_ij h_ij c_j + Σ h with c_j = Σ_i h_ij, i.e. y = Σ_j c_j² + Σ h: dy/dh_ij = 2 c_j + 1
    dh = 2 * hd.sum(axis=0) + 1.0
    np.testing.assert_allclose(h.grad, np.broadcast_to(dh, (2, 2)), rtol=1e-14)
    np.testing.assert_allclose(x.grad, dh * (1 - hd ** 2), rtol=1e-14)


def test_node_used_twice_by_one_op():
    """x * x: both operands are the same node; its gradient gets both contributions."""
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    t = t64([3.0, 4.0])
    (t * t).sum().backward()
    np.testing.assert_array_equal(t.grad, [6.0, 8.0])


def test_leaf_gradients_do_not_alias():
    """Every leaf owns its .grad: changing one in place (as gradient clipping or an optimizer
    might) must not change another leaf's gradient."""
    a, b = t64([1.0, 2.0]), t64([3.0, 4.0])
    (a + b).sum().backward()
    a.grad *= 10.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    c, d = t64([1.0, 2.0]), t64([3.0, 4.0])
    seed = np.ones(2)
    (c - d).backward(seed)
    c.grad *= 10.0
    np.testing.assert_array_equal(d.grad, [-1.0, -1.0])
    np.testing.assert_array_equal(seed, [1.0, 1.0])


def test_failed_backward_leaves_the_graph_usable():
    """A backward that raises midway resets its bookkeeping: a later backward over the same
    nodes runs normally (not 'another backward pass is still running')."""

    class WrongShape(Function):
        def forward(ctx, x):
            return x.sum()

        def backward(ctx, g, out, x):
            return (np.ones(3),)                 # x has shape (2,)

    x = t64([1.0, 2.0])
    y = x * 2.0
    with pytest.raises(ValueError):
        WrongShape.apply(y).backward()
    assert x.grad is None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_detach():
    """detach() gives the same number as a constant: no history, and gradient stops there."""
    x = Value(3.0)
    y = x * x
    d = y.detach()
    assert d.data == 9.0 and not d.requires_grad and d.parents == ()
    (d * x).backward()
    assert x.grad == 9.0                        # only the direct path; nothing through d

    t = t64([1.0, 2.0])
    s = t * t
    ds = s.detach()
    assert not ds.requires_grad and ds.parents == ()
    np.testing.assert_array_equal(ds.data, [1.0, 4.0])
    (ds * t).sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 4.0])


# ----------------------------------------------------------------------------------------------
# Inputs that do not require grad
# ----------------------------------------------------------------------------------------------

def test_tensor_without_requires_grad_gets_no_grad():
    """A constant Tensor input's .grad stays None."""
    w = t64([1.0, 2.0])
    c = Tensor(np.array([3.0, 4.0]))
    (w * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


def test_value_without_requires_grad_is_untouched():
    """A constant Value's .grad is left exactly as it was (here a sentinel)."""
    w = Value(2.0)
    c = Value(5.0, requires_grad=False)
    c.grad = 123.0
    (w * c).backward()
    assert c.grad == 123.0 and w.grad == 5.0


def test_constant_subgraph_is_neither_recorded_nor_visited():
    """Ops on constants are not recorded, so backward never runs their rules."""
    calls = []

    class Spy(Function):
        def forward(ctx, x):
            return x * 2.0

        def backward(ctx, g, out, x):
            calls.append(1)
            return (g * 2.0,)

    c = Tensor(np.array([1.0, 2.0]))
    k = Spy.apply(c)
    assert not k.requires_grad and k.parents == ()
    x = t64([1.0, 1.0])
    (x * k).sum().backward()
    assert calls == []
    (Spy.apply(x)).sum().backward()             # the spy does report when it is used
    assert calls == [1]


def test_matmul_and_linear_skip_the_data_gradient():
    """X @ W with a constant data matrix X: the rule computes no G Wᵀ (returns None for X)."""
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(4, 3)))
    W, b = t64(rng.normal(size=(3, 2))), t64(rng.normal(size=2))
    W_out_in = t64(W.data.T.copy())                  # linear takes PyTorch's (out, in) layout
    g = np.ones((4, 2))
    for y, inputs in ((X @ W, (X, W)), (F.linear(X, W_out_in, b), (X, W_out_in, b))):
        grads = y._fn.backward(y._ctx, g, y.data, *[t.data for t in inputs])
        assert grads[0] is None
        assert all(gr is not None for gr in grads[1:])


# ----------------------------------------------------------------------------------------------
# Structure
# ----------------------------------------------------------------------------------------------

def test_parents_are_tuples_in_argument_order():
    """Parents are exactly the op's inputs, in order, as a tuple (deterministic traversal)."""
    a, b = Value(1.0), Value(2.0)
    assert (a - b).parents == (a, b)
    assert (b - a).parents == (b, a)
    r = 3.0 - a
    assert type(r.parents) is tuple and r.parents[1] is a and r.parents[0].data == 3.0
    x, y, z = t64([1.0]), t64([2.0]), t64([3.0])
    assert (y / x).parents == (y, x)
    cat = F.concatenate([z, x, y])
    assert type(cat.parents) is tuple and cat.parents == (z, x, y)
    assert a.parents == () and a.is_leaf and a.op == ""
    assert (a * b).op == "mul" and not (a * b).is_leaf


def test_prev_alias_for_micrograd_tools():
    """micrograd's drawing code walks `_prev`: it is the parents tuple."""
    a, b = Value(1.0), Value(2.0)
    c = a + b
    assert c._prev == (a, b)


def test_walk_visits_every_node_once_parents_first():
    """graph.walk: each node once (shared ones too), every node after all of its parents."""
    x = Value(2.0)
    h = x * x
    y = h + h.tanh()
    order = list(walk(y))
    assert len(order) == len({id(n) for n in order})
    assert order[-1] is y and x in order and h in order
    pos = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert pos[id(p)] < pos[id(node)]


def test_million_node_chain_has_no_recursion_limit():
    """y = y*1.0001 + 0.0001 a million times (2,000,000 recorded ops): backward is iterative,
    and dy/dx = 1.0001**1_000_000 (≈ 2.67e43) comes out right."""
    n = 1_000_000
    x = Value(1.0)
    scale, shift = Value(1.0001, requires_grad=False), Value(0.0001, requires_grad=False)
    y = x
    with relaxed_gc():
        for _ in range(n):
            y = y * scale + shift
        y.backward()
        assert x.grad == pytest.approx(1.0001 ** n, rel=1e-9)
        del y                                   # freeing the chain must not recurse either


def _assert_no_cyclic_garbage(build):
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        build()
        assert gc.collect() == 0, "dropping the graph left reference cycles behind"
    finally:
        if was_enabled:
            gc.enable()


def test_value_graph_has_no_reference_cycles():
    """Built, backpropagated and dropped with the cycle collector off: nothing is left for it."""
    def build():
        x, w = Value(0.5), Value(-1.5)
        y = x
        for _ in range(50):
            y = (y * w + x).tanh() + y.sigmoid() - (y * y + 1.0).log() / 2.0
        y.backward()
        assert x.grad != 0.0
    _assert_no_cyclic_garbage(build)


def test_tensor_graph_has_no_reference_cycles():
    """The same for a Tensor graph with matmul, broadcasting, indexing and a fused loss."""
    def build():
        rng = np.random.default_rng(0)
        X = Tensor(rng.normal(size=(8, 4)))
        W, b = t64(rng.normal(size=(4, 3))), t64(np.zeros(3))
        h = (X @ W + b).relu()
        z = F.linear(h, t64(rng.normal(size=(3, 3))))
        loss = F.cross_entropy(z[::2], np.array([0, 1, 2, 0])) + z.softmax().max()
        loss.backward()
        assert W.grad is not None
    _assert_no_cyclic_garbage(build)


def test_a_cycle_would_be_detected():
    """The cycle check above can fail: a graph node kept in a self-referencing list is garbage
    only the collector finds."""
    gc.collect()
    gc.disable()
    try:
        def build():
            box = [Value(1.0) * 2.0]
            box.append(box)
        build()
        assert gc.collect() > 0
    finally:
        gc.enable()


def test_backward_that_raises_leaves_no_stale_state():
    """A rule that raises halfway through backward must not poison the next backward: every
    consumer count is cleared, however deep, and the retry gives the right gradients."""
    from autograd import Function

    class FailOnce(Function):
        failed = False

        def forward(ctx, x):
            return x * 1.0

        def backward(ctx, g, out, x):
            if not FailOnce.failed:
                FailOnce.failed = True
                raise RuntimeError("boom")
            return (g,)

    x = Value(2.0)
    a = x * 3.0                      # x is reached through two paths below the failing op
    b = a * a
    y = FailOnce.apply(b) + a        # the `+ a` path is processed before FailOnce raises
    with pytest.raises(RuntimeError, match="boom"):
        y.backward()
    marks = (graph.PENDING, graph.VISITING)
    assert not any(n.grad is mark for n in (x, a, b, y) for mark in marks)
    x.grad = 0.0
    y.backward()
    assert x.grad == 18 * 2.0 + 3.0                    # d/dx (9x² + 3x) = 18x + 3 = 39


def test_retain_graph_is_accepted_and_the_graph_is_kept_anyway():
    x = Value(3.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward(retain_graph=False)
    assert x.grad == 12.0
    t = Tensor([1.0, 2.0], requires_grad=True)
    (t * t).sum().backward(retain_graph=True)
    np.testing.assert_array_equal(t.grad, [2.0, 4.0])


def test_requires_grad_underscore_on_a_value_returns_it():
    v = Value(1.0, requires_grad=False)
    assert v.requires_grad_() is v and v.requires_grad
    assert not v.requires_grad_(False).requires_grad
    with pytest.raises(RuntimeError, match="only leaves"):
        (Value(1.0) * 2).requires_grad_(False)


def test_requires_grad_underscore_on_a_computed_result_is_a_no_op():
    """(x * 2).requires_grad_() was refused as a change of a non-leaf; it requires grad already,
    and PyTorch leaves it so (a physics notebook's y = f(x).requires_grad_())."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).requires_grad_()
    assert y.requires_grad and not y.is_leaf
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad, [8.0, 16.0])


@pytest.mark.parametrize("make", [
    lambda flag: Tensor([1.0], requires_grad=flag),
    lambda flag: Value(1.0, requires_grad=flag),
    lambda flag: Tensor([1.0]).requires_grad_(flag),
    lambda flag: setattr(Value(1.0), "requires_grad", flag),
], ids=["Tensor", "Value", "requires_grad_", "setattr"])
def test_requires_grad_refuses_a_string(make):
    """requires_grad="False" is a true string: it made a leaf that wants a gradient, silently
    (PyTorch refuses it too)."""
    with pytest.raises(TypeError, match="requires_grad must be True or False, got 'False'"):
        make("False")


def test_requires_grad_takes_numpy_bools_and_0_or_1():
    assert Tensor([1.0], requires_grad=np.bool_(True)).requires_grad
    assert not Value(1.0, requires_grad=0).requires_grad
    assert Tensor([1.0]).requires_grad_(1).requires_grad
