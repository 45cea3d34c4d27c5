"""The small ops that teaching code loops over (`a[i, k]` of a matmul by three loops, `x * y`
on 0-d tensors, `c[i, j] += ...`): the shortcuts on their paths give what the general path
gives. `_raw_index` (autograd/tensor_operands.py) hands a tuple with no Tensor in it to numpy
as it is, where it rebuilt every tuple; a Tensor the user makes sets `_a` to None, which
`graph.constant_kind` and the view checks read as they read it unset. Indexing is checked
against numpy's (values, dtypes, shapes, errors), PyTorch's (views and copies, gradients) and
the tuple the old path built.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor, graph
from autograd.tensor_operands import _raw_index

SHAPES = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


def _items(rng_ints: st.SearchStrategy) -> st.SearchStrategy:
    """One item of an index: an int (negative and out of range too), a numpy integer, a
    bool, a 0-d integer Tensor, a slice, None or Ellipsis."""
    return st.one_of(
        rng_ints,
        rng_ints.map(np.int64), rng_ints.map(np.int32),
        st.booleans(),
        rng_ints.map(lambda i: Tensor(np.array(i, dtype=np.int64))),
        st.builds(slice, st.none() | st.integers(-5, 5), st.none() | st.integers(-5, 5),
                  st.none() | st.sampled_from([1, 2, -1])),
        st.none(), st.just(Ellipsis))


INDEXES = st.one_of(st.lists(_items(st.integers(-6, 5)), max_size=4).map(tuple),
                    _items(st.integers(-6, 5)))


def _as_numpy_takes_it(item):
    """One item of an index as numpy is given it: a Tensor as its array, a 0-d integer one as
    its int (PyTorch's reading: the element, a view; numpy would copy for a 0-d array)."""
    if not isinstance(item, Tensor):
        return item
    if item.data.ndim == 0 and item.data.dtype.kind in "iu":
        return int(item.data)
    return item.data


def _numpy_index(index):
    """The index as numpy takes it: the tuple the general path builds."""
    if isinstance(index, tuple):
        return tuple(_as_numpy_takes_it(i) for i in index)
    return _as_numpy_takes_it(index)


def _outcome(f):
    try:
        return f(), None
    except (IndexError, TypeError, ValueError) as error:
        return None, type(error)


@settings(max_examples=300)         # (cheap examples: more of the item kinds' mixes)
@given(SHAPES, INDEXES)
def test_raw_index_gives_the_items_the_rebuilt_tuple_gave(shape, index):
    raw = _raw_index(index)
    expected = _numpy_index(index)
    if isinstance(index, tuple):
        assert raw.__class__ is tuple and len(raw) == len(expected)
        assert all(a is b or (a.__class__ is b.__class__ is int and a == b)
                   for a, b in zip(raw, expected))
        if not any(isinstance(i, Tensor) for i in index):
            assert raw is index             # nothing to take out: the tuple itself
    else:
        assert raw is expected or (raw.__class__ is expected.__class__ is int and raw == expected)


@settings(max_examples=300)
@given(SHAPES, INDEXES)
def test_getitem_gives_numpy_s_values_dtype_shape_and_errors(shape, index):
    data = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    t = Tensor(data.copy())
    want, refused = _outcome(lambda: data[_numpy_index(index)])
    got, got_refused = _outcome(lambda: t[index])
    assert got_refused is refused
    if refused is None:
        assert isinstance(got.data, np.ndarray)         # a 0-d result is an array, not a number
        assert got.shape == np.shape(want) and got.dtype == data.dtype
        np.testing.assert_array_equal(got.data, want)
        assert not got.requires_grad
    else:
        with pytest.raises(refused, match="getitem"):
            t[index]


@given(SHAPES, st.data())
def test_an_element_by_ints_is_a_view_that_follows_its_base(shape, draw):
    """`a[i, k]` for ints (plain, negative, numpy's): a 0-d view of a's number, as PyTorch's,
    so a change of either shows in the other; a new tensor in no graph."""
    index = tuple(draw.draw(st.integers(-n, n - 1)) for n in shape)
    kinds = draw.draw(st.lists(st.sampled_from([int, np.int64, np.intp]), min_size=len(shape),
                               max_size=len(shape)))
    index = tuple(kind(i) for kind, i in zip(kinds, index))
    a = Tensor(np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape))
    v = a[index]
    assert v.shape == () and v.dtype == np.float64 and v.item() == a.data[index]
    assert np.shares_memory(v.data, a.data)
    v += 100.0                          # the write reaches a (PyTorch's view does the same)
    assert a.data[index] == v.item()
    a[index] = -1.0
    assert v.item() == -1.0
    assert graph.constant_kind((v,)) is graph.COMPUTED


def test_views_and_copies_are_pytorch_s():
    torch = pytest.importorskip("torch", reason="needs PyTorch: pip install torch")
    rng = np.random.default_rng(3)
    base = rng.standard_normal((3, 4))
    for index, view in [((1, 2), True), ((-1, -4), True), ((np.int64(2), 0), True),
                        ((1, slice(None)), True), ((None, 1, Ellipsis), True),
                        ((Tensor(np.array(2)), 1), True), (([0, 2], 1), False),
                        ((True, 1), False)]:         # (a bool: a mask, copied)
        ours, theirs = Tensor(base.copy()), torch.tensor(base.copy())
        torch_index = tuple(torch.tensor(i.data) if isinstance(i, Tensor) else i
                            for i in index)
        u, w = ours[index], theirs[torch_index]
        np.testing.assert_array_equal(u.data, w.numpy())
        assert u.shape == tuple(w.shape)
        u += 1.0
        w += 1.0
        np.testing.assert_array_equal(ours.data, theirs.numpy())     # written through or not
        assert bool((ours.data != base).any()) is view


def test_out_of_range_and_too_many_indices_are_refused_as_pytorch_refuses_them():
    torch = pytest.importorskip("torch", reason="needs PyTorch: pip install torch")
    a, t = Tensor(np.zeros((2, 3))), torch.zeros(2, 3)
    for index in [(2, 0), (0, -4), (0, 1, 0), (np.int64(5), 0)]:
        with pytest.raises(IndexError, match=r"getitem: .*\(tensor of shape \(2, 3\)\)"):
            a[index]
        with pytest.raises(IndexError):
            t[index]
    with pytest.raises(IndexError, match="loss.item"):          # a 0-d tensor's hint
        Tensor(1.0)[0]


@given(st.data())
def test_gradients_through_elements_by_ints_are_pytorch_s(draw):
    torch = pytest.importorskip("torch", reason="needs PyTorch: pip install torch")
    rng = np.random.default_rng(draw.draw(st.integers(0, 2 ** 16)))
    a_np, b_np = rng.standard_normal((2, 5)), rng.standard_normal((5, 3))
    picks = draw.draw(st.lists(st.tuples(st.integers(-2, 1), st.integers(-5, 4),
                                         st.integers(-3, 2)), min_size=1, max_size=6))

    def run(lib_a, lib_b):
        total = 0.0
        for i, k, j in picks:
            total = total + lib_a[i, k] * lib_b[k, j]
        return total

    a, b = Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True)
    ta, tb = (torch.tensor(x, requires_grad=True) for x in (a_np, b_np))
    out, expected = run(a, b), run(ta, tb)
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-12)
    out.backward()
    expected.backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-12, atol=0)
    assert a.grad.dtype == np.float64 and b.grad.dtype == np.float64


def test_matmul_by_three_loops_is_the_product_with_a_learners_constants():
    """The lesson's loop (c[i, j] += a[i, k] * b[k, j] on constants): c's numbers, and a and b
    unchanged (each a[i, k] is a view of a: the `+=` goes into c's element only)."""
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((2, 7)).astype(np.float32)
    b_np = rng.standard_normal((7, 3)).astype(np.float32)
    a, b, c = Tensor(a_np.copy()), Tensor(b_np.copy()), autograd.zeros(2, 3)
    for i in range(2):
        for j in range(3):
            for k in range(7):
                c[i, j] += a[i, k] * b[k, j]
    np.testing.assert_allclose(c.data, a_np @ b_np, rtol=1e-5, atol=1e-6)
    assert c.dtype == np.float32 and not c.requires_grad
    np.testing.assert_array_equal(a.data, a_np)
    np.testing.assert_array_equal(b.data, b_np)


def test_a_tensor_the_user_makes_is_read_as_an_unset_origin_was():
    """`_a` None on a new Tensor: constant_kind still calls what ops make of it COMPUTED (not
    NUMBER), x.detach() of it and its views are still told apart, and detach_ still clears
    it."""
    x = Tensor([1.0, 2.0])
    assert x._a is None and x.is_leaf and x.parents == ()
    assert graph.constant_kind((x,)) is graph.COMPUTED
    assert (x * 2)._a is graph.COMPUTED
    assert not x._shows_anothers_numbers()
    assert x.detach()._shows_anothers_numbers() and x[0]._shows_anothers_numbers()
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * 3
    y.detach_()
    assert y.is_leaf and getattr(y, "_a", None) is graph.CUT     # (an unset origin, elsewhere)


def test_the_in_place_messages_still_name_what_went_wrong():
    """`_in_place` makes its messages' words only when it raises: they are the same."""
    c = Tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"\+=: cannot update the tensor \(shape \(2, 3\), "
                                         r"dtype float32\) .* \(t = t \+ x makes a new"):
        c += np.ones((4, 2, 3))
    n = Tensor(np.zeros(2, np.uint8))
    with pytest.raises(OverflowError, match=r"\+=: cannot update the tensor \(dtype uint8\)"):
        n += 300
    w = Tensor([1.0], requires_grad=True)
    with autograd.no_grad(), pytest.raises(TypeError, match="cannot update the parameter"):
        w += np.array(["a"])
