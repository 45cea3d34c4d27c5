"""Activation checkpointing (autograd/utils/checkpoint.py): the gradients are those of the
unchecked call (bit for bit where the ops are the same), the second run draws the same random
numbers, batch norm counts the step once, the peak memory is lower; errors name the mistake."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from autograd.random import get_state, set_state
from autograd.utils.checkpoint import checkpoint, checkpoint_sequential, recomputing


def _grads(model):
    return [None if p.grad is None else p.grad.copy() for p in model.parameters()]


def _step(model, x, run, state=None):
    """Gradients of the parameters and of x (if it wants one) after run(x).square().mean()."""
    model.zero_grad()
    if x.requires_grad:
        x.grad = None
    if state is not None:
        set_state(state)
    y = run(x)
    (y * y).mean().backward()
    return _grads(model) + ([x.grad.copy()] if x.requires_grad else [])


def _same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u is not None and v is not None
        np.testing.assert_array_equal(u, v)


def _mlp(layers=4, width=16):
    autograd.manual_seed(0)
    return nn.Sequential(*[nn.Sequential(nn.Linear(width, width), nn.Tanh())
                           for _ in range(layers)])


# --- the same gradients ---------------------------------------------------------------------

@pytest.mark.parametrize("wants_grad", [True, False])
def test_an_mlp_checkpointed_per_layer_gets_the_same_gradients_bit_for_bit(wants_grad):
    model = _mlp()
    x = autograd.randn(8, 16).requires_grad_(wants_grad)
    plain = _step(model, x, model)

    def per_layer(h):
        for block in model:
            h = checkpoint(block, h)
        return h
    _same(plain, _step(model, x, per_layer))
    _same(plain, _step(model, x, lambda h: checkpoint(model, h)))


def test_the_parameters_get_gradients_when_no_input_wants_one():
    """PyTorch's reentrant mode gives them None here (its non-reentrant mode, and glassgrad,
    the gradients)."""
    model = _mlp(2)
    x = autograd.randn(4, 16)
    y = checkpoint(model, x)
    assert y.requires_grad and y.op == "checkpoint"
    y.sum().backward()
    assert all(p.grad is not None and np.abs(p.grad).sum() > 0 for p in model.parameters())


@pytest.mark.parametrize("segments", range(1, 7))
def test_checkpoint_sequential_with_any_number_of_segments(segments):
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(),
                          nn.Linear(8, 4), nn.Sigmoid())
    x = autograd.randn(5, 6, requires_grad=True)
    plain = _step(model, x, model)
    _same(plain, _step(model, x, lambda h: checkpoint_sequential(model, segments, h)))
    # a list of layers and functions, as PyTorch takes
    steps = list(model)[:-1] + [lambda t: t.sigmoid()]
    _same(plain, _step(model, x, lambda h: checkpoint_sequential(steps, segments, h)))


def test_checkpoint_sequential_checkpoints_all_but_the_last_segment():
    """As PyTorch: 5 functions in 2 segments of 5 // 2 = 2: the first 2 checkpointed, the
    other 3 run as usual."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = checkpoint_sequential([lambda t: t * 2] * 5, 2, x)
    ops = [node.op for node in autograd.graph.walk(y) if not node.is_leaf]
    assert ops == ["checkpoint", "mul", "mul", "mul"]


def test_a_conv_net_gets_the_same_gradients():
    autograd.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8 * 4 * 4, 10))
    x = autograd.randn(4, 3, 8, 8, requires_grad=True)
    plain = _step(model, x, model)
    _same(plain, _step(model, x, lambda h: checkpoint_sequential(model, 3, h)))


def test_dropout_inside_draws_the_same_masks_and_leaves_the_generator_as_without():
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 4))
    x = autograd.randn(8, 16, requires_grad=True)
    state = get_state()
    plain = _step(model, x, model, state)
    after_plain = autograd.default_rng().random()
    checked = _step(model, x, lambda h: checkpoint(model, h), state)
    assert autograd.default_rng().random() == after_plain       # backward drew nothing more
    _same(plain, checked)
    # preserve_rng_state=False: the second run draws other masks, so other gradients
    other = _step(model, x, lambda h: checkpoint(model, h, preserve_rng_state=False), state)
    assert not np.array_equal(plain[0], other[0])


def test_batch_norm_inside_updates_its_running_statistics_once():
    """As without checkpointing (PyTorch 2.13 updates them twice, in both of its modes: in the
    forward call and in the recomputation; see the module's docstring)."""
    def make():
        autograd.manual_seed(2)
        return nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    plain_model, checked_model = make(), make()
    x = autograd.randn(10, 5, requires_grad=True)
    plain = _step(plain_model, x, plain_model)
    checked = _step(checked_model, x, lambda h: checkpoint(checked_model, h))
    _same(plain, checked)
    bn, checked_bn = plain_model[1], checked_model[1]
    assert checked_bn.num_batches_tracked.item() == 1
    np.testing.assert_array_equal(bn.running_mean.data, checked_bn.running_mean.data)
    np.testing.assert_array_equal(bn.running_var.data, checked_bn.running_var.data)
    assert not recomputing()


def test_pytorch_updates_batch_norm_twice_under_checkpoint():
    """What the difference above is measured against (skipped without PyTorch)."""
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    bn = torch.nn.BatchNorm1d(3)
    torch_checkpoint(bn, torch.randn(8, 3, requires_grad=True), use_reentrant=False).sum().backward()
    assert bn.num_batches_tracked.item() == 2


def test_several_outputs_kwargs_and_outputs_that_are_not_tensors():
    w = Tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    s = Tensor([0.5, -2.0, 1.5, 3.0], requires_grad=True)
    x = Tensor(np.linspace(0.1, 1.2, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)

    def f(x, scale, note="n"):
        h = (x @ w).tanh()
        return {"a": h * scale, "pair": (h.sum(1), note), "index": (x @ w).argmax(1),
                "x": x, "half": (h * 2).astype(np.float64)}

    def loss(out):
        return (out["a"] ** 2).sum() + out["pair"][0].exp().sum() + out["half"].sum()

    loss(f(x, s)).backward()
    expected = [t.grad.copy() for t in (w, s, x)]
    for t in (w, s, x):
        t.grad = None
    out = checkpoint(f, x, scale=s, note="kept")
    assert out["pair"][1] == "kept" and out["x"] is x            # as f returned them
    assert not out["index"].requires_grad and out["index"].dtype.kind == "i"
    assert out["half"].dtype == np.float64 and out["a"].dtype == np.float32
    loss(out).backward()
    for t, g in zip((w, s, x), expected):
        np.testing.assert_allclose(t.grad, g, rtol=1e-6, atol=1e-7)


def test_an_unused_output_and_a_tensor_from_outside_the_function():
    """A skip connection computed before the call (a U-Net's): its gradient goes on through
    its own graph; an output the loss leaves out gets none."""
    w = Tensor(np.linspace(-1, 1, 9).reshape(3, 3), requires_grad=True)
    x = Tensor(np.linspace(0.2, 1.0, 6).reshape(2, 3), requires_grad=True)

    def run(check):
        w.grad = x.grad = None
        skip = (x * 3).sin()
        f = lambda h: ((h @ w).tanh() + skip, h * 0)              # noqa: E731
        main, unused = checkpoint(f, x) if check else f(x)
        (main * main).sum().backward()
        return w.grad.copy(), x.grad.copy()
    plain, checked = run(False), run(True)
    for a, b in zip(plain, checked):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_nested_checkpoints():
    model = _mlp(4)
    x = autograd.randn(3, 16, requires_grad=True)
    plain = _step(model, x, model)

    def inner(h):
        return checkpoint(model[1], model[0](h))

    def outer(h):
        h = checkpoint(inner, h)
        return checkpoint(lambda t: model[3](checkpoint(model[2], t)), h)
    _same(plain, _step(model, x, lambda h: checkpoint(outer, h)))


def test_against_pytorch():
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    ours = _mlp(3, 8)
    theirs = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Tanh())
                                   for _ in range(3)])
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.data.copy()))
    x = np.linspace(-1, 1, 32, dtype=np.float32).reshape(4, 8)
    xt = torch.tensor(x, requires_grad=True)
    h = xt
    for block in theirs:
        h = torch_checkpoint(block, h, use_reentrant=False)
    (h * h).mean().backward()
    x_ours = Tensor(x, requires_grad=True)
    h = x_ours
    for block in ours:
        h = checkpoint(block, h)
    (h * h).mean().backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(x_ours.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-7)


# --- float64 finite differences, higher order, autograd.grad, a second backward ---------------

def test_finite_differences_in_float64():
    w = Tensor(np.array([[0.3, -1.2], [0.8, 0.5]]), requires_grad=True)

    def f(x, y):
        return checkpoint(lambda a, b: ((a @ w).tanh() * b).exp(), x, b=y).sum()

    x = np.array([[0.4, -0.7], [1.1, 0.2]])
    y = np.array([0.9, -0.3])
    assert autograd.gradcheck(f, x, y)
    x, y = Tensor(x), Tensor(y)
    assert autograd.gradcheck_parameters(lambda: f(x, y), [w])


def test_second_order_through_a_checkpoint():
    x = Tensor(np.array([0.3, -0.8, 1.1]), requires_grad=True)
    w = Tensor(np.array([0.5, 1.5, -0.4]), requires_grad=True)
    f = lambda t: (t * w).tanh() * t                                # noqa: E731
    for run in (f, lambda t: checkpoint(f, t)):
        (g,) = autograd.grad(run(x).sum(), x, create_graph=True)
        gw, gx = autograd.grad((g * g).sum(), [w, x])
        if run is f:
            expected = (g.data.copy(), gw.data.copy(), gx.data.copy())
    for a, b in zip(expected, (g.data, gw.data, gx.data)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # backward(create_graph=True), then backward of the gradient
    x.grad = w.grad = None
    checkpoint(f, x).sum().backward(create_graph=True)
    gx = x.grad
    x.grad = w.grad = None
    (gx * gx).sum().backward()
    np.testing.assert_allclose(w.grad, expected[1], rtol=1e-12)


def test_autograd_grad_through_a_checkpoint_leaves_grad_alone():
    model = _mlp(2, 4)
    x = autograd.randn(3, 4)
    params = list(model.parameters())
    expected = autograd.grad(model(x).sum(), params)
    got = autograd.grad(checkpoint(model, x).sum(), params)
    assert all(p.grad is None for p in params)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_second_backward_with_retain_graph():
    model = _mlp(2, 4)
    x = autograd.randn(3, 4, requires_grad=True)
    loss = checkpoint(model, x).sum()
    loss.backward(retain_graph=True)
    once = _grads(model)
    loss.backward()
    for a, b in zip(once, _grads(model)):
        np.testing.assert_allclose(b, 2 * a, rtol=1e-6)


def test_inside_no_grad_it_is_just_the_call():
    model = _mlp(2, 4)
    with autograd.no_grad():
        y = checkpoint(model, autograd.randn(3, 4, requires_grad=True))
    assert not y.requires_grad


def test_no_warning_whether_use_reentrant_is_given_or_not():
    model = _mlp(2, 4)
    x = autograd.randn(3, 4, requires_grad=True)
    plain = _step(model, x, model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for reentrant in (None, True, False):
            _same(plain, _step(model, x, lambda h: checkpoint(model, h,
                                                              use_reentrant=reentrant)))


def test_pytorchs_names():
    import autograd as torch
    assert torch.utils.checkpoint.checkpoint is checkpoint
    with pytest.raises(AttributeError, match=r"torch\.utils\.data is nn\.data \(DataLoader"):
        torch.utils.data


# --- memory -----------------------------------------------------------------------------------

def test_the_peak_memory_is_lower():
    """8 blocks of two layers whose activations (2048 x 128 float32: 1 MiB each, four per block)
    outweigh the weights (64 KiB each). Without checkpointing the step holds every activation and
    its gradient (backward keeps each node's .grad: ~64 MiB); with each block checkpointed, the
    blocks' inputs and their gradients and one block's graph (~26 MiB)."""
    autograd.manual_seed(0)
    blocks = [nn.Sequential(nn.Linear(128, 128), nn.Tanh(), nn.Linear(128, 128), nn.Tanh())
              for _ in range(8)]
    x = autograd.randn(2048, 128)

    def peak(check):
        h = x
        tracemalloc.start()
        try:
            for block in blocks:
                h = checkpoint(block, h) if check else block(h)
            (h * h).mean().backward()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    peak(False)                             # (the parameters' .grad made once, before)
    plain, checked = peak(False), peak(True)
    assert checked < 0.6 * plain, (checked / 2**20, plain / 2**20)


# --- errors -----------------------------------------------------------------------------------

def test_errors_name_the_mistake():
    model = _mlp(2, 4)
    x = autograd.randn(3, 4, requires_grad=True)
    with pytest.raises(TypeError, match=r"checkpoint: the first argument is the function to "
                                        r"run, got a Tensor .*not checkpoint\(layer\(x\)\)"):
        checkpoint(model(x), x)
    with pytest.raises(ValueError, match=r"segments must be between 1 and the number of "
                                         r"functions \(2\), got 0"):
        checkpoint_sequential(model, 0, x)
    with pytest.raises(ValueError, match=r"\(2\), got 3"):
        checkpoint_sequential(model, 3, x)
    with pytest.raises(TypeError, match=r"segments must be an int, got float 2.0"):
        checkpoint_sequential(model, 2.0, x)
    with pytest.raises(TypeError, match=r"functions must be an nn\.Sequential or a list of "
                                        r"layers or functions, got a function"):
        checkpoint_sequential(lambda t: t, 1, x)
    with pytest.raises(TypeError, match=r"functions\[1\] is a int, not a layer or function"):
        checkpoint_sequential([model, 3], 1, x)
    with pytest.raises(ValueError, match=r"no functions to run"):
        checkpoint_sequential([], 1, x)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['scale'\]"):
        checkpoint_sequential(model, 1, x, scale=2)
    with pytest.raises(ValueError, match=r"determinism_check must be 'default' or 'none'"):
        checkpoint(model, x, determinism_check="strict")
    with pytest.raises(NotImplementedError, match=r"context_fn \(selective checkpointing\)"):
        checkpoint(model, x, context_fn=lambda: None)


def test_a_second_run_that_differs_is_refused():
    w = Tensor([1.0, 2.0], requires_grad=True)
    v = Tensor([3.0, 4.0], requires_grad=True)
    calls = []

    def f(x):
        calls.append(1)
        return x * (w if len(calls) == 1 else v)
    y = checkpoint(f, Tensor([1.0, 1.0]), debug=True)
    with pytest.raises(RuntimeError, match=r"did not repeat the first run: it now computes "
                                           r"from 1 Tensor\(s\) .*ops of the first run: \['mul'\]"):
        y.sum().backward()
    calls.clear()
    y = checkpoint(lambda x: f(x)[: len(calls)], Tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"its results were \[\(\(1,\), dtype\('float32'\)\)\] "
                                           r"\(shape, dtype\) and are now \[\(\(2,\)"):
        y.sum().backward()


def test_an_argument_changed_in_place_before_backward_is_refused():
    model = _mlp(2, 4)
    x = autograd.randn(3, 4)
    y = checkpoint(model, x)
    with autograd.no_grad():
        x += 1
    with pytest.raises(RuntimeError, match=r"backward of checkpoint: its argument of shape "
                                           r"\(3, 4\) .*was changed in place"):
        y.sum().backward()
