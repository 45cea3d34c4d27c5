"""Writes that name a place more than once: index_copy, index_put / t.index_put_ (accumulate=
False), put and scatter / scatter_. PyTorch's docs leave which value stays undefined; its CPU
keeps the last (always under torch.use_deterministic_algorithms(True)), and so does glassgrad.
The gradient follows the value kept: a value overwritten by a later one changes nothing, so it
gets 0, which is what finite differences say (PyTorch gives it the place's gradient anyway).
Checked against PyTorch's forward and its gradient where they agree, and against central
differences in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import autograd
from autograd import Tensor, gradcheck, no_grad
from autograd.tensor_shape import last_writes

from torch_helpers import needs_torch, torch

RNG = np.random.default_rng(33)


def _leaf(shape):
    return Tensor(RNG.uniform(-2.0, 2.0, shape), requires_grad=True)


def _check_fd(f, *inputs):
    """backprop's gradient of sum(f(...) * w), w fixed, against central differences."""
    out = f(*inputs)
    weights = Tensor(RNG.uniform(0.5, 1.5, out.shape))
    assert gradcheck(lambda *xs: (f(*xs) * weights).sum(), *inputs, atol=1e-8, rtol=1e-7)


def _kept_mask(index, n_places):
    """Of each write to index[j], whether it is the last to that place (a Python loop)."""
    last = {}
    for j, place in enumerate(np.asarray(index).reshape(-1).tolist()):
        last[place] = j
    kept = np.zeros(np.asarray(index).size, bool)
    kept[list(last.values())] = True
    return kept


# -- the rule ----------------------------------------------------------------------------------

@given(st.lists(st.integers(0, 6), max_size=40))
def test_last_writes_names_each_places_last_write(positions):
    got = last_writes(np.array(positions, dtype=np.int64), 7)
    want = np.full(7, -1)
    for j, p in enumerate(positions):
        want[p] = j
    np.testing.assert_array_equal(got, want)


# -- index_copy --------------------------------------------------------------------------------

@pytest.mark.parametrize("dim, shape, index, n_source", [
    (0, (3, 2), [2, 0, 2, 2], 4),
    (1, (2, 3), [1, 1, 0, 1], 4),
    (-1, (1, 2, 3), [0, 0], 2),             # batch 1, a negative dim
    (0, (4,), [3, 3, 1], 3),
])
def test_index_copy_keeps_the_last_slice_and_gives_it_alone_the_gradient(dim, shape, index,
                                                                        n_source):
    source_shape = list(shape)
    source_shape[dim] = n_source
    t, source = _leaf(shape), _leaf(tuple(source_shape))
    idx = Tensor(np.array(index))
    out = t.index_copy(dim, idx, source)
    axis = dim % len(shape)
    kept = _kept_mask(index, shape[axis])
    for j, place in enumerate(index):
        if kept[j]:
            np.testing.assert_array_equal(np.take(out.data, place, axis),
                                          np.take(source.data, j, axis))
    g = RNG.uniform(0.5, 1.5, out.shape)
    out.backward(g)
    for j, place in enumerate(index):
        want = np.take(g, place, axis) if kept[j] else 0.0
        np.testing.assert_array_equal(np.take(source.grad, j, axis), want)
    _check_fd(lambda a, b: a.index_copy(dim, idx, b), t, source)


def test_index_copy_of_a_0d_tensor_and_its_function_form():
    t, source = _leaf(()), _leaf(())
    _check_fd(lambda a, b: a.index_copy(0, Tensor(np.array([0])), b), t, source)
    t, source = _leaf((3,)), _leaf((2,))
    out = autograd.index_copy(t, 0, Tensor(np.array([1, 1])), source)
    assert out.data[1] == source.data[1]


def test_index_copy_in_place_keeps_the_last_in_a_graph_and_on_a_constant():
    x, source = _leaf((3, 2)), _leaf((3, 2))
    idx = Tensor(np.array([0, 2, 0]))
    h = x * 1.0
    h.index_copy_(0, idx, source)
    np.testing.assert_array_equal(h.data[0], source.data[2])
    h.sum().backward()
    np.testing.assert_array_equal(source.grad, [[0, 0], [1, 1], [1, 1]])
    np.testing.assert_array_equal(x.grad, [[0, 0], [1, 1], [0, 0]])
    c = Tensor(np.zeros((3, 2)))
    with no_grad():
        c.index_copy_(0, idx, source)
    np.testing.assert_array_equal(c.data[0], source.data[2])


# -- index_put, put ----------------------------------------------------------------------------

def test_index_put_keeps_the_last_value_and_a_broadcast_value_counts_once():
    t = _leaf((3, 2))
    rows, cols = Tensor(np.array([1, 2, 1])), Tensor(np.array([0, 1, 0]))
    values = _leaf((3,))
    out = t.index_put((rows, cols), values)
    assert out.data[1, 0] == values.data[2]
    _check_fd(lambda a, v: a.index_put((rows, cols), v), t, values)
    w = _leaf(())                           # written twice at one place: it is there once
    out = t.index_put((rows,), w)
    out.sum().backward()
    assert w.grad == 4.0                    # rows 1 and 2, two elements each
    _check_fd(lambda a, v: a.index_put((rows,), v), t, w)


def test_index_put_in_place_and_put_keep_the_last():
    x, values = _leaf((4,)), _leaf((3,))
    idx = Tensor(np.array([3, 0, 3]))
    h = x * 1.0
    h.index_put_((idx,), values)
    assert h.data[3] == values.data[2]
    h.sum().backward()
    np.testing.assert_array_equal(values.grad, [0, 1, 1])
    _check_fd(lambda a, v: a.put(Tensor(np.array([-1, 0, 3])), v), x, values)
    out = x.put(Tensor(np.array([-1, 0, 3])), values)
    assert out.data[3] == values.data[2]


# -- scatter -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_keeps_the_last_along_dim_and_gives_it_alone_the_gradient(dim):
    t, src = _leaf((3, 4)), _leaf((3, 4))
    index = RNG.integers(0, 3 if dim == 0 else 4, (3, 4))
    out = t.scatter(dim, index, src)
    g = RNG.uniform(0.5, 1.5, out.shape)
    out.backward(g)
    for other in range(4 if dim == 0 else 3):
        line = index[:, other] if dim == 0 else index[other]
        kept = _kept_mask(line, 3)
        for j, place in enumerate(line):
            at = (place, other) if dim == 0 else (other, place)
            from_ = (j, other) if dim == 0 else (other, j)
            if kept[j]:
                assert out.data[at] == src.data[from_]
            assert src.grad[from_] == (g[at] if kept[j] else 0.0)
    _check_fd(lambda a, b: a.scatter(dim, index, b), t, src)


def test_scatter_in_place_with_a_repeat_in_a_graph_and_on_a_constant():
    """t[places] = src refuses a repeat in a graph (which value would get the gradient?);
    scatter_ keeps the last, as scatter does."""
    x, src = _leaf((2, 3)), _leaf((2, 3))
    index = np.array([[1, 0, 1], [1, 1, 0]])
    h = x * 1.0
    h.scatter_(0, index, src)
    np.testing.assert_array_equal(h.data, x.scatter(0, index, src).data)
    h.sum().backward()
    np.testing.assert_array_equal(src.grad, [[0, 1, 1], [1, 1, 1]])
    c = Tensor(np.zeros((2, 3)))
    c.scatter_(0, index, src.detach())
    np.testing.assert_array_equal(c.data, [[0, src.data[0, 1], src.data[1, 2]],
                                           [src.data[1, 0], src.data[1, 1], src.data[0, 2]]])


# -- against PyTorch ---------------------------------------------------------------------------

def _both(f, *arrays):
    """f on float64 glassgrad and PyTorch tensors, backward with one upstream gradient:
    (ours out, theirs out, our grads, their grads)."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = f(Tensor, ours), f(torch.tensor, theirs)
    g = RNG.uniform(0.5, 1.5, out.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    return out.data, expected.detach().numpy(), [x.grad for x in ours], [
        x.grad.numpy() for x in theirs]


CASES = {
    "index_copy": (lambda T, a: a[0].index_copy(0, T(np.array([2, 0, 2, 2])), a[1]),
                   [(3, 2), (4, 2)], [2, 0, 2, 2]),
    "index_copy dim 1": (lambda T, a: a[0].index_copy(1, T(np.array([1, 1, 0])), a[1]),
                         [(2, 3), (2, 3)], None),
    "index_put": (lambda T, a: a[0].index_put((T(np.array([1, 0, 1])),), a[1]),
                  [(2, 3), (3, 3)], [1, 0, 1]),
    "put": (lambda T, a: a[0].put(T(np.array([4, 0, 4, 1])), a[1]), [(2, 3), (4,)],
            [4, 0, 4, 1]),
    "scatter": (lambda T, a: a[0].scatter(0, T(np.array([[1, 0, 1], [1, 1, 0]])), a[1]),
                [(2, 3), (2, 3)], None),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_the_kept_values_gradients_are_pytorchs(name):
    """Small writes, where PyTorch's CPU keeps the last (large ones it splits among threads,
    and then the value kept varies): the same results, and the same gradients except for the
    overwritten values, which get 0 here."""
    f, shapes, index = CASES[name]          # (index: the places of source's slices 0, 1, ...)
    arrays = [RNG.uniform(-2.0, 2.0, s) for s in shapes]
    out, expected, ours, theirs = _both(f, *arrays)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(ours[0], theirs[0])
    differs = ours[1] != theirs[1]          # the values overwritten: 0 in ours alone
    assert differs.any() and np.all(ours[1][differs] == 0)
    if index is not None:                   # exactly the slices written again later
        kept = _kept_mask(index, max(index) + 1)
        assert differs[~kept].all() and not differs[kept].any()


@needs_torch
def test_pytorchs_deterministic_mode_keeps_the_last_of_many_writes():
    """Our rule is the one PyTorch promises under use_deterministic_algorithms, also for a
    write it would otherwise split among threads."""
    index = RNG.integers(0, 50, 200_000)
    source = RNG.uniform(-1.0, 1.0, index.size)
    was = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        theirs = torch.zeros(50, dtype=torch.float64).index_copy(
            0, torch.tensor(index), torch.tensor(source)).numpy()
    finally:
        torch.use_deterministic_algorithms(was)
    ours = Tensor(np.zeros(50)).index_copy(0, Tensor(index), Tensor(source))
    np.testing.assert_array_equal(ours.data, theirs)
