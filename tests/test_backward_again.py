"""A second backward() from a result: PyTorch raises ("Trying to backward through the graph a
second time") unless the backward before it from that result passed retain_graph=True;
glassgrad keeps graphs, so it runs and adds the gradients again, and warns where PyTorch would
raise. retain_graph=True on one result's backward allows that result's next backward only: it
says nothing about any other graph, nor about the backward after the next."""

from __future__ import annotations

import gc
import sys
import warnings

import numpy as np
import pytest

from autograd import Tensor

from torch_helpers import needs_torch, torch

AGAIN = r"backward\(\) again from a result"


def _quiet(f, *args, **kwargs):
    """f(...) with every warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*args, **kwargs)


def _loss(w: Tensor) -> Tensor:
    return (w * w).exp().sum()


def test_a_retained_graph_is_walked_again_quietly_and_only_once():
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = _loss(w)
    y.backward(retain_graph=True)
    _quiet(y.backward)                      # meant: the one after retain_graph=True
    with pytest.warns(UserWarning, match=AGAIN):
        y.backward()                        # PyTorch raises here: the graph was freed
    with pytest.warns(UserWarning, match=AGAIN):
        y.backward(retain_graph=True)       # (PyTorch too, the graph being freed)
    _quiet(y.backward)                      # but glassgrad ran it, retained: quiet once more
    one = 2 * w.data * np.exp(w.data ** 2)
    np.testing.assert_allclose(w.grad, 5 * one, rtol=1e-12)


def test_retain_graph_on_one_result_leaves_another_graph_warned():
    """The warning used to be silenced for the rest of the process by any retain_graph=True."""
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    kept, other = _loss(w), (w * 3).sum()
    kept.backward(retain_graph=True)
    _quiet(kept.backward)
    other.backward()
    with pytest.warns(UserWarning, match=AGAIN):
        other.backward()
    fresh = _loss(w)                        # a new result: its first backward is quiet
    _quiet(fresh.backward)
    with pytest.warns(UserWarning, match=AGAIN):
        fresh.backward()


def test_create_graph_keeps_the_graph_as_retain_graph_does():
    """PyTorch's retain_graph defaults to create_graph."""
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = _loss(w)
    y.backward(create_graph=True)
    _quiet(y.backward)
    with pytest.warns(UserWarning, match=AGAIN):
        y.backward()


def test_a_hook_that_replaces_the_result_gradient_does_not_confuse_the_check():
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = _loss(w)
    y.register_hook(lambda g: g * 2)
    y.backward(retain_graph=True)
    _quiet(y.backward)
    with pytest.warns(UserWarning, match=AGAIN):
        y.backward()


@needs_torch
@pytest.mark.parametrize("calls", [[False, False], [True, False, False], [False, True],
                                   [True, True, True, False, True], [True, True, False, False]])
def test_warned_at_the_call_where_pytorch_raises(calls):
    """A sequence of backward() calls from one result (retain_graph of each), on both, up to
    the one PyTorch refuses: glassgrad is quiet before it and warns at it, and the gradients
    of the calls PyTorch ran agree."""
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    v = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    y, z = _loss(w), _loss(v)
    for i, retain in enumerate(calls):
        try:
            z.backward(retain_graph=retain)
        except RuntimeError as error:
            assert "second time" in str(error) and i == len(calls) - 1
            with pytest.warns(UserWarning, match=AGAIN):
                y.backward(retain_graph=retain)
            return
        _quiet(y.backward, retain_graph=retain)
        np.testing.assert_allclose(w.grad, v.grad.numpy(), rtol=1e-12)
    raise AssertionError(f"PyTorch ran every call of {calls}")


def test_a_non_scalar_result_and_its_entry_going_with_it():
    """The note is kept by id, not in a WeakKeyDictionary, which would compare two Tensors
    with ==, elementwise (a (5, 4) result's repeat raised so); it goes with the result."""
    retained = sys.modules["autograd.tensor"]._retained     # (autograd.tensor is a function)
    x = Tensor(np.eye(4, 5), requires_grad=True)
    out = ((x + 1) ** 2).T
    before = len(retained)
    out.backward(np.ones(out.shape), retain_graph=True)
    _quiet(out.backward, np.ones(out.shape))
    np.testing.assert_array_equal(x.grad, 2 * 2 * (np.eye(4, 5) + 1))
    assert len(retained) == before + 1
    del out
    gc.collect()
    assert len(retained) == before
