"""`t.detach_()`: t becomes a leaf with no history. After its backward (truncated
backpropagation through time) that is all; an op that used t before the detach_ cannot carry
its gradient on through t, and a backward through it says so rather than stopping there."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor

from torch_helpers import needs_torch, torch


def test_detach_after_the_backward_is_truncated_backpropagation():
    x = Tensor([1.0, -2.0], requires_grad=True)
    h = x.tanh()
    (h * 3.0).sum().backward()
    first = x.grad.copy()
    assert h.detach_() is h and h.is_leaf and not h.requires_grad
    (h * 5.0).sum()                                      # the next chunk: a constant start
    np.testing.assert_allclose(first, 3.0 * (1 - np.tanh(x.data) ** 2), rtol=1e-6)
    y = (h * x).sum()                                    # and x through its own use only
    x.grad = None
    y.backward()
    np.testing.assert_array_equal(x.grad, h.data)


@pytest.mark.parametrize("use", [lambda h: h * 3.0, lambda h: h.exp(), lambda h: h + h,
                                 lambda h: h[0:1] * 2.0])
def test_a_backward_through_an_op_that_used_t_before_the_detach_is_refused(use):
    x = Tensor([0.5, 1.5], requires_grad=True)
    h = x * 2.0
    y = use(h).sum()
    h.detach_()
    with pytest.raises(RuntimeError, match=r"detached in place \(t.detach_\(\)\) after this op "
                                           r"used it.*call detach_\(\) after the backward"):
        y.backward()
    assert x.grad is None


def test_a_parameter_detached_in_place_just_stops_requiring_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = (w * 2.0).sum()
    w.detach_()
    y.backward()                                         # PyTorch: no gradient for w either
    assert w.grad is None and not w.requires_grad


@needs_torch
def test_truncated_backpropagation_matches_pytorch():
    rng = np.random.default_rng(0)
    w0, xs = rng.normal(size=(3, 3)), rng.normal(size=(4, 2, 3))
    grads = []
    for lib in ("ours", "torch"):
        make = (lambda a, g=False: Tensor(a, requires_grad=g)) if lib == "ours" else (
            lambda a, g=False: torch.tensor(a, requires_grad=g))
        W = make(w0, True)
        h = make(np.zeros((2, 3)))
        for chunk in (xs[:2], xs[2:]):
            for x in chunk:
                h = (make(x) + h @ W).tanh()
            (h ** 2).sum().backward()
            h.detach_()
        grads.append(np.asarray(W.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize("cell", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("batched", [True, False])
def test_a_recurrent_layers_state_is_detached_in_place_between_batches(cell, batched):
    """d2l's sequential partitioning: `state.detach_()` (each of an LSTM's pair) before the
    next batch. h_n holds numbers of its own, as PyTorch's does (a view could not be detached
    in place), and the next batch's gradients do not reach the previous batch."""
    import nn
    layer = getattr(nn, cell)(3, 4)
    rng = np.random.default_rng(1)
    state = None
    for _ in range(3):
        x = Tensor(rng.normal(size=(5, 2, 3) if batched else (5, 3)).astype(np.float32))
        if state is not None:
            for s in (state if isinstance(state, tuple) else (state,)):
                s.detach_()
        out, state = layer(x, state)
        layer.zero_grad()
        out.sum().backward()
    assert not any(s.is_leaf for s in (state if isinstance(state, tuple) else (state,)))
    assert layer.weight_hh_l0.grad is not None
