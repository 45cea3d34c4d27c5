"""Tensor.register_hook (autograd/hooks.py): PyTorch's numbers for a hook on an op's result
and on a leaf (with retain_grad and an accumulated .grad), the handle, errors that leave the
gradients as they were, higher orders, and the fast loop kept while no tensor has a hook."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from autograd import Tensor, gradcheck, graph, grad, hooks
from conftest import t64


def test_an_intermediate_and_a_leaf_hook_give_pytorch_s_gradients():
    """Recorded from torch 2.13: x.grad = [10, 10] before; h = 3x, hook h: g * 100 (h.grad
    keeps the hooked gradient, retain_grad or not), hook x: g + 1 (on this pass's gradient,
    then added to the old .grad)."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = np.array([10.0, 10.0], np.float32)
    h = x * 3
    h.retain_grad()
    h.register_hook(lambda g: g * 100)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()) or g + 1)
    ((h * h).sum() + (x * 5).sum()).backward()
    assert seen == [[1805.0, 3605.0]]
    assert h.grad.tolist() == [600.0, 1200.0] and x.grad.tolist() == [1816.0, 3616.0]


def test_hooks_run_in_order_none_keeps_the_gradient_and_a_handle_removes_one():
    w = t64([1.0, -2.0])
    calls = []
    first = w.register_hook(lambda g: calls.append("first") or g * 2)
    w.register_hook(lambda g: calls.append("second"))           # None: keeps the gradient
    (w * 3).sum().backward()
    assert calls == ["first", "second"] and w.grad.tolist() == [6.0, 6.0]
    first.remove()
    first.remove()                                              # (a second time: nothing)
    w.grad = None
    (w * 3).sum().backward()
    assert calls == ["first", "second", "second"] and w.grad.tolist() == [3.0, 3.0]
    with w.register_hook(lambda g: g * 0):
        w.grad = None
        (w * 3).sum().backward()
        assert w.grad.tolist() == [0.0, 0.0]
    w.grad = None
    (w * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_a_hook_that_changes_the_gradient_in_place_changes_what_goes_on():
    """PyTorch's gradient clipping by hook, `p.register_hook(lambda g: g.clamp_(-c, c))`, and a
    hook that scales `g *= 3` without returning it: the changed numbers are used (they were
    ignored). Recorded from torch 2.13: [2, 2, 2], [24, 48, 72], [0, 0, 0]."""
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.register_hook(lambda g: g.clamp_(-2, 2))
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0] and x.grad.dtype == np.float32

    def triple(g):
        g *= 3
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    h.register_hook(triple)
    seen = []
    h.register_hook(lambda g: seen.append(g.tolist()))     # the next hook sees the change
    (h * h).sum().backward()
    assert seen == [[12.0, 24.0, 36.0]] and h.grad.tolist() == [12.0, 24.0, 36.0]
    assert x.grad.tolist() == [24.0, 48.0, 72.0]
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g.mul_(0))
    (h * h).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_a_hook_writing_into_its_gradient_leaves_other_tensors_gradients_alone():
    """u + v passes one gradient array to both u and v: a hook on u that wrote into it
    (g[0] = 0) changed v's gradient too, so w, which has no hook, got [0, 1] (PyTorch: [1, 1])."""
    def zero_first(g):
        g[0] = 0.0
    x, w = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    u, v = x * 2.0, w * 1.0
    u.register_hook(zero_first)
    (u + v).sum().backward()
    assert u.grad.tolist() == [0.0, 1.0] and x.grad.tolist() == [0.0, 2.0]
    assert v.grad.tolist() == [1.0, 1.0] and w.grad.tolist() == [1.0, 1.0]


def test_a_hook_on_the_root_and_on_a_tensor_outside_the_pass():
    x, other = t64([1.0, 2.0]), t64([5.0])
    other.register_hook(lambda g: pytest.fail("not in this graph: never called"))
    y = (x * x).sum()
    y.register_hook(lambda g: g * 0.5)
    y.backward()
    assert x.grad.tolist() == [1.0, 2.0] and other.grad is None


def test_a_tensor_s_hooks_go_with_it_and_then_backward_takes_the_fast_loop(monkeypatch):
    h = t64([1.0]) * 2
    h.register_hook(lambda g: g)
    assert graph.tensor_hooks
    del h
    gc.collect()
    assert not graph.tensor_hooks
    monkeypatch.setattr(hooks, "backward", lambda *a: pytest.fail("the slow loop ran"))
    x = t64([1.0, 2.0])
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_a_hook_that_refers_to_its_tensor_does_not_keep_it_alive():
    """A training loop that hooks an activation each step with a closure over it: the cycle
    (tensor -> hook -> tensor) is freed, the table empties and backward is fast again."""
    w = t64([1.0, 2.0])
    gone = []
    for _ in range(3):
        h = w * 3
        h.register_hook(lambda g, h=h: g * h.data)
        (h * 1).sum().backward()
        gone.append(weakref.ref(h))
    handle = h.register_hook(lambda g: g)
    del h
    gc.collect()
    assert [ref() for ref in gone] == [None] * 3
    assert not graph.tensor_hooks
    handle.remove()                             # (its tensor gone: nothing to do)


def test_a_hook_stays_with_the_value_it_was_registered_on_when_the_tensor_is_written():
    """As torch 2.13: h = 3w, hook h (g * 10), then h[0] = 2u: the hook sees the gradient of
    h's numbers before the write ([0, 100]: h[0] was overwritten), so u's gradient is 2, not
    20; a hook registered after the write sees the gradient of the new h, and the first
    handle still removes its hook."""
    w, u = t64([1.0, 2.0]), t64([5.0])
    h = w * 3
    seen = []
    before = h.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    h[0] = u[0] * 2
    after = h.register_hook(lambda g: seen.append(g.tolist()))
    (h * t64([1.0, 100.0])).sum().backward()
    assert seen == [[1.0, 100.0], [0.0, 100.0]]
    assert u.grad.tolist() == [2.0] and w.grad.tolist() == [0.0, 3000.0]
    before.remove(), after.remove()
    assert not graph.tensor_hooks


def test_a_bad_hook_is_refused_and_the_gradients_stay_as_they_were():
    with pytest.raises(RuntimeError, match="register_hook: this tensor does not require grad"):
        Tensor([1.0]).register_hook(print)
    w = t64([1.0, 2.0])
    with pytest.raises(TypeError, match="register_hook: the hook must be a function"):
        w.register_hook("print")
    w.grad = np.array([1.0, 1.0])
    handle = w.register_hook(lambda g: g[:1])
    with pytest.raises(ValueError, match=r"register_hook: the hook '<lambda>' returned a "
                                         r"gradient of shape \(1,\), but the tensor's is \(2,\)"):
        (w * 2).sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]
    handle.remove()
    h = w * 2
    h.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        (h * h).sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_hooks_act_at_higher_orders_too(rng):
    """With create_graph (autograd.grad, backward(create_graph=True)) a hook gets the
    gradient's graph, and what it returns is differentiated again."""
    x = t64(rng.uniform(-1, 1, 3))

    def f(x):
        h = x * x
        h.register_hook(lambda g: g * 3)
        return h.sum()

    np.testing.assert_allclose(grad(f)(x).data, 6 * x.data)
    assert gradcheck(lambda x: grad(f)(x), x)
    x.register_hook(lambda g: g.tanh())
    (x.sin().sum()).backward(create_graph=True)
    np.testing.assert_allclose(x.grad.data, np.tanh(np.cos(x.data)))
