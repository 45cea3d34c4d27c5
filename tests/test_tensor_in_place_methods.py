"""PyTorch's in-place Tensor methods (zero_, fill_, add_, sub_, mul_, div_, clamp_,
masked_fill_, uniform_, normal_) under the rules of `+=`: a parameter is written in its own
array under no_grad() and refused while recording; a constant takes new numbers (a user's array
stays as it was), but a view (x[0], x.T, x.detach()) writes through into the numbers it shows,
as in PyTorch; on a result in a graph the write is recorded, the same object, as PyTorch's
(tests/test_in_place_in_graph.py checks it: it was refused, but for masked_fill_ and
fill_diagonal_, recorded as `t[mask] = value` is). Each returns the tensor itself."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd
from autograd import Tensor, no_grad, zeros

WRITES = [  # (call, what it leaves in [1, -2, 3] as float32)
    (lambda t: t.zero_(), [0.0, 0.0, 0.0]),
    (lambda t: t.fill_(2.5), [2.5, 2.5, 2.5]),
    (lambda t: t.fill_(Tensor(7.0)), [7.0, 7.0, 7.0]),
    (lambda t: t.add_(1.0), [2.0, -1.0, 4.0]),
    (lambda t: t.add_(Tensor([1.0, 1.0, 2.0]), alpha=-2), [-1.0, -4.0, -1.0]),
    (lambda t: t.sub_(np.array([1.0, 1.0, 1.0]), alpha=0.5), [0.5, -2.5, 2.5]),
    (lambda t: t.mul_(Tensor([2.0])), [2.0, -4.0, 6.0]),
    (lambda t: t.div_(4), [0.25, -0.5, 0.75]),
    (lambda t: t.clamp_(-1.0, 2.0), [1.0, -1.0, 2.0]),
    (lambda t: t.clamp_(min=0.0), [1.0, 0.0, 3.0]),
    (lambda t: t.clip_(max=0.5), [0.5, -2.0, 0.5]),            # PyTorch's other name
]
MASKED = [  # recorded on a result in a graph, as t[mask] = value is
    (lambda t: t.masked_fill_(np.array([True, False, True]), 0.5), [0.5, -2.0, 0.5]),
    (lambda t: t.masked_fill_(t.data < 0, Tensor(9.0)), [1.0, 9.0, 3.0]),
]
METHODS = WRITES + MASKED


@pytest.mark.parametrize("call, expected", METHODS)
def test_a_constant_takes_new_numbers_and_the_users_array_stays(call, expected):
    users = np.array([1.0, -2.0, 3.0], np.float32)
    t = Tensor(users)
    assert call(t) is t
    np.testing.assert_array_equal(t.data, expected)
    assert t.dtype == np.float32 and t.data is not users
    np.testing.assert_array_equal(users, [1.0, -2.0, 3.0])


@pytest.mark.parametrize("call, expected", METHODS)
def test_a_parameter_is_written_in_place_under_no_grad_only(call, expected):
    w = Tensor(np.array([1.0, -2.0, 3.0], np.float32), requires_grad=True)
    data = w.data
    with pytest.raises(RuntimeError, match=r"_ on a tensor that requires grad would change it "
                                           r"behind the graph's back: write it under `with "
                                           r"no_grad\(\):`"):
        call(w)
    np.testing.assert_array_equal(w.data, [1.0, -2.0, 3.0])
    with no_grad():
        assert call(w) is w
    assert w.data is data and w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.data, expected)


@pytest.mark.parametrize("call, expected", WRITES)
def test_a_result_in_a_graph_is_written_and_recorded(call, expected):
    """It was refused ("would not record the change"): recorded now, as PyTorch records it
    (tests/test_in_place_in_graph.py: gradients, the rules)."""
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    for h in (x * 1.0, (x * 1.0).clone()):
        assert call(h) is h and h.requires_grad and not h.is_leaf
        np.testing.assert_array_equal(h.data, expected)


@pytest.mark.parametrize("call, _", METHODS)
def test_a_result_updated_under_no_grad_is_refused_as_not_a_leaf(call, _):
    """Under no_grad() the usual cause is weights made as `randn(..., requires_grad=True) / n`:
    the error says so, and how to make a leaf, not "write t = t - x" (a constant there)."""
    h = Tensor([1.0, -2.0, 3.0], requires_grad=True) * 1.0
    with no_grad(), pytest.raises(RuntimeError, match=r"_: this tensor \(shape \(3,\)\) is the "
                                                      r"result of mul, not a leaf, so updating it "
                                                      r"under no_grad\(\) cannot train it.*"
                                                      r"\.requires_grad_\(\)"):
        call(h)
    np.testing.assert_array_equal(h.data, [1.0, -2.0, 3.0])


def test_the_refusals_say_what_to_write_instead():
    """A view of a result in a graph (h[0]) is refused, naming the out-of-place form."""
    h = Tensor([[1.0]], requires_grad=True) * 2.0
    for call, instead in [(lambda t: t.add_(1), "t = t + x"),
                          (lambda t: t.add_(1, alpha=3), "t = t + alpha * x"),
                          (lambda t: t.div_(2), "t = t / x"),
                          (lambda t: t.clamp_(0, 1), "t = t.clamp(...)"),
                          (lambda t: t.clip_(0, 1), "t = t.clip(...)")]:
        with pytest.raises(RuntimeError, match=re.escape(f"write {instead} for a new tensor")):
            call(h[0])


def test_a_graph_that_used_a_parameter_refuses_backward_after_it_changed():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with no_grad():
        w.mul_(0.5)
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 0 \(shape \(2,\)\) was "
                                           r"changed in place"):
        loss.backward()


def test_a_constant_given_an_operand_in_a_graph_joins_it_as_with_plus_equals():
    """buffer.add_(w) is buffer += w: the constant becomes buffer + w, the same object, and
    passes w its gradient (it was refused); later calls record on it again, as in PyTorch."""
    buffer, w = Tensor([0.0, 0.0]), Tensor([1.0, 2.0], requires_grad=True)
    assert buffer.add_(w) is buffer and buffer.op == "add"
    buffer.mul_(3).sub_(w, alpha=0.5).div_(2).add_([1.0, 1.0], alpha=2)
    buffer.sum().backward()
    np.testing.assert_allclose(buffer.data, [3.25, 4.5])
    np.testing.assert_allclose(w.grad, [1.25, 1.25])
    with no_grad():
        untouched = Tensor([0.0, 0.0]).add_(w)
    assert untouched.op == "" and untouched.tolist() == [1.0, 2.0]


def test_dtype_and_shape_are_kept_as_in_pytorch():
    ints = Tensor([1, 2, 3])
    assert ints.fill_(2.7).tolist() == [2, 2, 2]                # cut to an int, as PyTorch
    with pytest.raises(TypeError, match=r"div_: cannot update the tensor \(shape \(3,\), dtype "
                                        r"int64\) in place.*\(t = t / x makes a new tensor\)"):
        ints.div_(2)
    with pytest.raises(ValueError, match=r"add_: cannot update the tensor \(shape \(3,\).*data "
                                         r"of shape \(2, 3\)"):
        Tensor([1.0, 2.0, 3.0]).add_(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"fill_: fill_value 300 does not fit in uint8"):
        Tensor(np.zeros(2, np.uint8)).fill_(300)
    assert Tensor([-3.0]).div_(2, rounding_mode="floor").tolist() == [-2.0]   # (once refused)
    assert ints.div_(2, rounding_mode="trunc").tolist() == [1, 1, 1] and ints.dtype == np.int64


@pytest.mark.parametrize("name, args, check", [
    ("uniform_", (-0.1, 0.1), lambda d: (d >= -0.1).all() and (d <= 0.1).all()),
    ("uniform_", (), lambda d: (d >= 0).all() and (d <= 1).all()),
    ("normal_", (3.0, 0.01), lambda d: abs(d.mean() - 3.0) < 0.01),
    ("normal_", (), lambda d: abs(d.std() - 1.0) < 0.1),
])
def test_random_fills_draw_from_the_shared_generator(name, args, check):
    autograd.manual_seed(0)
    first = getattr(zeros(400), name)(*args)
    assert check(first.data) and first.dtype == np.float32
    autograd.manual_seed(0)
    again = getattr(zeros(400), name)(*args)
    np.testing.assert_array_equal(again.data, first.data)       # the seed replays it
    mine = getattr(zeros(400), name)(*args, generator=autograd.Generator().manual_seed(1))
    assert not np.array_equal(mine.data, first.data)


def test_random_fills_refuse_integers_and_bad_arguments():
    with pytest.raises(TypeError, match=r"uniform_: draws fractions, and this tensor's dtype "
                                        r"is int64"):
        Tensor([1, 2]).uniform_()
    with pytest.raises(ValueError, match=r"uniform_: needs finite bounds with a <= b, got "
                                         r"a=1, b=0"):
        zeros(2).uniform_(1, 0)
    with pytest.raises(ValueError, match=r"normal_: std must be >= 0, got -1"):
        zeros(2).normal_(0, -1)
    with pytest.raises(TypeError, match=r"normal_: generator must be a numpy Generator"):
        zeros(2).normal_(generator=0)


def test_a_view_an_op_made_is_written_through_as_in_pytorch():
    """with no_grad(): W[0].zero_() changes W (PyTorch's views); so do pieces of split, .T and
    reshape. A read-only broadcast view takes new numbers instead, leaving its base alone."""
    w = Tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    with no_grad():
        assert w[0].fill_(1.0).tolist() == [1.0, 1.0, 1.0]
        w.T[2].add_(5.0)
        w.split(1, dim=1)[0].uniform_(7.0, 7.0)
        w.reshape(-1)[4].mul_(-1.0)
    np.testing.assert_array_equal(w.data, [[7.0, 1.0, 6.0], [7.0, -0.0, 5.0]])
    x = Tensor(np.ones(2))
    wide = x.expand(3, 2)
    assert wide.zero_().tolist() == [[0.0, 0.0]] * 3
    np.testing.assert_array_equal(x.data, [1.0, 1.0])


# -- bernoulli_, exponential_, random_: PyTorch's other in-place samplers -----------------------

def test_bernoulli_fills_with_1_at_the_probability_p_in_any_dtype():
    autograd.manual_seed(0)
    coins = zeros(100_000).bernoulli_(0.3)
    assert coins.dtype == np.float32 and set(np.unique(coins.data)) == {0.0, 1.0}
    assert abs(coins.data.mean() - 0.3) < 0.007                 # 5 standard errors
    per_column = zeros(100_000, 3).bernoulli_(Tensor([0.0, 0.5, 1.0]))   # broadcast p
    np.testing.assert_allclose(per_column.data.mean(axis=0), [0.0, 0.5, 1.0], atol=0.008)
    assert Tensor(np.zeros(4, np.int64)).bernoulli_(1.0).tolist() == [1, 1, 1, 1]
    assert Tensor(np.ones(2, bool)).bernoulli_(0.0).tolist() == [False, False]
    w = Tensor(np.zeros((2, 2), np.float32))
    w[0].bernoulli_(1.0)                                        # a view writes through
    assert w.tolist() == [[1.0, 1.0], [0.0, 0.0]]


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "uint64", "int8", "bool"])
def test_a_0d_integer_buffer_is_filled_and_zeroed_in_its_own_dtype(dtype):
    # ActNorm's `initialized` flag, torch.tensor(0, dtype=torch.uint8), set by fill_(1): the
    # 0-d unsigned ones were refused ("cannot update ... uint8 in place with int64 data")
    flag = autograd.tensor(0, dtype=dtype)
    assert flag.fill_(1) is flag and flag.item() == 1 and flag.dtype == np.dtype(dtype)
    assert flag.zero_().item() == 0 and flag.dtype == np.dtype(dtype)
    if dtype != "bool":
        assert flag.random_(3, 4).item() == 3 and flag.dtype == np.dtype(dtype)
    if dtype.startswith("uint"):                # what does not fit is still refused
        with pytest.raises(ValueError, match=rf"fill_: fill_value -1 does not fit in {dtype}"):
            flag.fill_(-1)


def test_exponential_fills_with_mean_one_over_the_rate():
    autograd.manual_seed(0)
    waits = zeros(100_000).exponential_(4.0)                    # rate 4: mean and std 1/4
    assert waits.data.min() >= 0
    assert abs(waits.data.mean() - 0.25) < 0.004 and abs(waits.data.std() - 0.25) < 0.004
    assert abs(zeros(100_000).exponential_(lambd=0.5).data.mean() - 2.0) < 0.03


def test_random_fills_with_integers_from_from_to_to_left_out():
    autograd.manual_seed(0)
    dice = Tensor(np.zeros(60_000, np.int64)).random_(1, 7)
    counts = np.bincount(dice.data, minlength=8)
    assert counts[0] == counts[7] == 0
    np.testing.assert_allclose(counts[1:7] / 60_000, [1 / 6] * 6, atol=0.008)
    assert set(np.unique(zeros(1000).random_(3).data)) == {0.0, 1.0, 2.0}
    assert set(np.unique(Tensor(np.zeros(100, np.int64)).random_(to=2).data)) == {0, 1}
    assert set(np.unique(zeros(1000).random_(-3, 0).data)) == {-3.0, -2.0, -1.0}
    # no bounds: the dtype's range (from 0), for floats the integers they hold exactly
    assert set(np.unique(Tensor(np.zeros(20_000, np.uint8)).random_().data)) == set(range(256))
    assert set(np.unique(Tensor(np.zeros(100, bool)).random_().data)) == {False, True}
    floats = zeros(20_000).random_().data
    assert (floats == np.round(floats)).all() and 0 <= floats.min() and floats.max() <= 2 ** 24
    assert floats.max() > 2 ** 23                               # (the whole range is used)


@pytest.mark.parametrize("call, error, message", [
    (lambda: zeros(2).bernoulli_(1.5), ValueError, r"bernoulli_: probabilities must be in "
     r"\[0, 1\], got 1.5"),
    (lambda: zeros(2).bernoulli_(np.nan), ValueError, r"bernoulli_: probabilities must be in "),
    (lambda: zeros(2, 3).bernoulli_(Tensor([0.5, 0.2])), ValueError, r"bernoulli_: the "
     r"probabilities' shape \(2,\) does not broadcast to this tensor's shape \(2, 3\)"),
    (lambda: zeros(2).bernoulli_("a"), TypeError, r"bernoulli_: p must be a probability"),
    (lambda: zeros(2).exponential_(0.0), ValueError, r"exponential_: lambd \(the rate\) must be "
     r"a number > 0, got 0.0"),
    (lambda: zeros(2).exponential_(np.nan), ValueError, r"exponential_: lambd .* got nan"),
    (lambda: Tensor([1, 2]).exponential_(), TypeError, r"exponential_: draws fractions, and "
     r"this tensor's dtype is int64"),
    (lambda: zeros(2).random_(5, 3), ValueError, r"random_: needs from < to \(to is left out\), "
     r"got from=5, to=3"),
    (lambda: zeros(2).random_(0.5, 3), TypeError, r"random_: from and to must be ints, got "
     r"from=0.5, to=3"),
    (lambda: zeros(2).random_(1, 2, 3), TypeError, r"random_: takes random_\(to\) or "
     r"random_\(from, to\), got \(1, 2, 3\)"),
    (lambda: Tensor(np.zeros(2, np.uint8)).random_(0, 300), ValueError, r"random_: from=0 to "
     r"to - 1=299 does not fit in uint8 \(from 0 to 255\)"),
    (lambda: Tensor(np.zeros(2, bool)).random_(0, 3), ValueError, r"random_: .* does not fit "
     r"in bool"),
    (lambda: Tensor([1.0], requires_grad=True).bernoulli_(), RuntimeError, r"bernoulli_ on a "
     r"tensor that requires grad"),
])
def test_the_other_samplers_name_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_uniform_refuses_bounds_beyond_the_dtype_and_a_wide_normal_is_inf_without_warning():
    # uniform_(-1e5, 1e5) in float16 gave inf among its draws, with numpy's overflow warning
    import warnings
    with pytest.raises(ValueError, match=r"uniform_: a=-100000.0 or b=100000.0 is beyond "
                                         r"float16's range \(±6.55e\+04\)"):
        zeros(3, dtype=np.float16).uniform_(-1e5, 1e5)
    with pytest.raises(ValueError, match=r"uniform_: .* is beyond float32's range"):
        zeros(3).uniform_(0.0, 1e39)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wide = zeros(1000, dtype=np.float16).normal_(0.0, 1e6)     # PyTorch's inf too
    assert np.isinf(wide.data).any()


OPERATORS = [  # (update, what it leaves in [1, -2, 3] as float32)
    (lambda t: t.__iadd__(1.0), [2.0, -1.0, 4.0]),
    (lambda t: t.__isub__(Tensor(1.0)), [0.0, -3.0, 2.0]),
    (lambda t: t.__imul__(2.0), [2.0, -4.0, 6.0]),
    (lambda t: t.__itruediv__(4.0), [0.25, -0.5, 0.75]),
]
IN_PLACE = METHODS + OPERATORS + [
    (lambda t: t.copy_([5.0, 6.0, 7.0]), [5.0, 6.0, 7.0]),
    (lambda t: t.index_add_(0, np.array([2, 2]), Tensor([1.0, 1.0])), [1.0, -2.0, 5.0]),
    (lambda t: t.scatter_add_(0, np.array([0]), Tensor([4.0])), [5.0, -2.0, 3.0]),
    (lambda t: t.uniform_(9.0, 9.0), [9.0, 9.0, 9.0]),
    (lambda t: t.normal_(4.0, 0.0), [4.0, 4.0, 4.0]),
]


@pytest.mark.parametrize("requires_grad", [True, False])
@pytest.mark.parametrize("call, expected", IN_PLACE)
def test_a_change_through_detach_reaches_the_tensor_as_in_pytorch(call, expected,
                                                                   requires_grad):
    """x.detach() shares x's numbers: x.detach().zero_() zeroes x (it left x as it was)."""
    x = Tensor([1.0, -2.0, 3.0], requires_grad=requires_grad)
    detached = x.detach()
    assert call(detached) is detached
    np.testing.assert_array_equal(x.data, expected)
    np.testing.assert_array_equal(detached.data, expected)
    assert detached.requires_grad is False and x.requires_grad is requires_grad


VIEWS = [  # (a view of a Tensor, the same view of an ndarray)
    (lambda x: x[0], lambda a: a[0]), (lambda x: x[:, 1:], lambda a: a[:, 1:]),
    (lambda x: x.T, lambda a: a.T), (lambda x: x.reshape(6), lambda a: a.reshape(6)),
    (lambda x: x.detach(), lambda a: a),
]


@pytest.mark.parametrize("view, same_view", VIEWS)
@pytest.mark.parametrize("call, expected", OPERATORS)
def test_an_operator_on_a_view_writes_through_as_in_pytorch(view, same_view, call, expected):
    """`v = x.T; v += 1` changes x (PyTorch's views; the in-place methods already did), where
    v took new numbers and x was left as it was."""
    start = np.array([[1.0, -2.0, 3.0], [1.0, -2.0, 3.0]], np.float32)
    changed = start.copy()
    same_view(changed)[...] = call(Tensor(same_view(start).copy())).data
    assert not np.array_equal(changed, start)
    x = Tensor(start.copy())
    v = view(x)
    assert call(v) is v
    np.testing.assert_array_equal(x.data, changed)
    with no_grad():                             # a parameter's view, as in an optimizer's step
        w = Tensor(start.copy(), requires_grad=True)
        call(view(w))
    np.testing.assert_array_equal(w.data, changed)


def test_rows_normalised_in_a_loop_change_the_matrix():
    """`for row in P: row /= row.sum()` (each row a view) normalises P, as in PyTorch; P was
    left as it was."""
    P = Tensor([[1.0, 3.0], [2.0, 2.0]])
    for row in P:
        row /= row.sum()
    np.testing.assert_array_equal(P.data, [[0.25, 0.75], [0.5, 0.5]])


def test_an_element_of_a_vector_is_a_view_that_in_place_changes_write_through():
    """`b[0].fill_(1)` on a 1-d b (a bias under no_grad) left b as it was: numpy gives one
    element as a number, a copy, so b[0] is now a 0-d view as a row is."""
    b = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with no_grad():
        b[0].fill_(5.0)
        b[2].mul_(-1.0)
        last = b[-1]
        last += 10.0
    np.testing.assert_array_equal(b.data, [5.0, 2.0, 7.0])
    assert b[1].shape == () and b[1].item() == 2.0


def test_a_graph_that_used_a_tensor_refuses_backward_after_a_change_through_detach():
    """w.detach().add_(1) after the forward pass changed the w the graph used (the gradient
    was that of the old numbers, silently); now backward refuses, as PyTorch's does."""
    for change in (lambda w: w.detach().add_(1.0), lambda w: w.detach().__iadd__(1.0),
                   lambda w: w[0].zero_()):
        w = Tensor([1.0, 2.0], requires_grad=True)
        loss = (w * w).sum()
        with no_grad():
            change(w)
        with pytest.raises(RuntimeError, match=r"backward of mul: its input 0 \(shape \(2,\)\) "
                                               r"was changed in place"):
            loss.backward()
        assert w.grad is None


def test_a_read_only_view_takes_new_numbers_with_an_operator_too():
    x = Tensor(np.ones(2))
    wide = x.expand(3, 2)
    wide += 1.0
    assert wide.tolist() == [[2.0, 2.0]] * 3
    np.testing.assert_array_equal(x.data, [1.0, 1.0])


def test_masked_fill_in_place_keeps_the_shape_and_checks_the_mask():
    """masked_fill_ was missing (an AttributeError pointing to masked_fill)."""
    t = Tensor(np.zeros((2, 3)))
    t.masked_fill_(np.array([True, False, True]), 1.0)             # broadcast along rows
    assert t.tolist() == [[1.0, 0.0, 1.0]] * 2
    with pytest.raises(ValueError, match=r"masked_fill_: a mask of shape \(4, 1, 1\) would "
                                         r"grow the tensor's shape \(2, 3\) to \(4, 2, 3\)"):
        t.masked_fill_(np.ones((4, 1, 1), bool), 0.0)
    with pytest.raises(TypeError, match=r"the mask must be bool"):
        t.masked_fill_(np.ones(3), 0.0)
    assert t.tolist() == [[1.0, 0.0, 1.0]] * 2


def _infonce(z: Tensor, fill) -> Tensor:
    """SimCLR's loss on 2n rows (row i's positive is row i ± n), its diagonal filled by `fill`."""
    n = z.shape[0] // 2
    norm = z / (z * z).sum(1, keepdims=True).sqrt()
    sim = norm @ norm.T / 0.5
    sim = fill(sim)
    return autograd.functional.cross_entropy(sim, np.r_[np.arange(n, 2 * n), np.arange(n)])


@pytest.mark.parametrize("fill", [
    lambda sim: sim.fill_diagonal_(float("-inf")),
    lambda sim: sim.masked_fill_(autograd.eye(sim.shape[0], dtype=bool), float("-inf")),
], ids=["fill_diagonal_", "masked_fill_"])
def test_a_similarity_matrix_s_diagonal_filled_in_place_is_recorded(fill):
    """InfoNCE's `sim.fill_diagonal_(float('-inf'))` (there was no fill_diagonal_) and
    `sim.masked_fill_(mask, -inf)` (refused on an op's result) on a result in a graph: the same
    object becomes index_put, no gradient reaches the diagonal, and the loss and gradient are
    those of `sim.masked_fill(mask, -inf)`, checked by finite differences in float64."""
    z = Tensor(np.random.default_rng(0).normal(size=(6, 3)), requires_grad=True)
    sim = z @ z.T
    assert fill(sim) is sim and sim.op == "index_put"
    assert np.isneginf(np.diag(sim.data)).all()
    eye = autograd.eye(6, dtype=bool)
    loss, expected = _infonce(z, fill), _infonce(z, lambda s: s.masked_fill(eye, -np.inf))
    loss.backward()
    ours = z.grad.copy()
    z.grad = None
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-15)
    np.testing.assert_allclose(ours, z.grad, rtol=1e-13, atol=1e-15)
    assert autograd.gradcheck(lambda x: _infonce(x, fill), z)


@pytest.mark.parametrize("write, name", [
    (lambda t: t.masked_fill_(t.detach() > 2.0, 0.0), "masked_fill_"),
    (lambda t: t.fill_diagonal_(0.0), "fill_diagonal_")])
def test_an_op_that_used_a_result_before_a_recorded_fill_names_the_fill(write, name):
    """A view (or any op) of `sim` taken before `sim.masked_fill_(...)` cannot backpropagate
    through the fill it never saw: the error said 'written by t[index] = value', a line the
    user never wrote; it names the fills that are recorded as one."""
    x = Tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    sim = x * 2.0
    row = sim[0]
    write(sim)
    with pytest.raises(RuntimeError, match=rf"backward of getitem: its input 0 \(shape "
                                           rf"\(2, 2\)\) was written by t\[index\] = value "
                                           rf"\(or .*{name}.* recorded as one\) after this op"):
        row.sum().backward()


def test_a_recorded_fill_of_read_only_numbers_is_refused_naming_the_fill():
    """expand's and unfold's results in a graph share memory: the fills refuse them, as
    PyTorch does, in their own name (it was "t[...] = value", a line the user never wrote)."""
    x = Tensor(np.arange(3.0), requires_grad=True)
    with pytest.raises(ValueError, match=r"^masked_fill_: this tensor's numbers \(shape "
                                         r"\(2, 3\)\) are read-only: a result of expand"):
        x.expand(2, 3).masked_fill_(np.array([True, False, True]), 0.0)
    with pytest.raises(ValueError, match=r"^fill_diagonal_: this tensor's numbers \(shape "
                                         r"\(2, 2\)\) are read-only"):
        x.unfold(0, 2, 1).fill_diagonal_(0.0)
    assert x.tolist() == [0.0, 1.0, 2.0]


def test_fill_diagonal_follows_pytorch_s_shapes_and_refuses_the_rest():
    tall = autograd.zeros(7, 3)
    assert tall.fill_diagonal_(1.0) is tall
    assert np.flatnonzero(tall.data).tolist() == [0, 4, 8]
    wrapped = autograd.zeros(7, 3).fill_diagonal_(2, wrap=True)     # again from row 4 on
    assert [tuple(p) for p in np.argwhere(wrapped.data)] == [(0, 0), (1, 1), (2, 2), (4, 0),
                                                             (5, 1), (6, 2)]
    cube = autograd.zeros(2, 2, 2).fill_diagonal_(Tensor(5.0))
    assert cube.data[0, 0, 0] == cube.data[1, 1, 1] == 5 and cube.data.sum() == 10
    with pytest.raises(ValueError, match=r"fill_diagonal_: needs a matrix, or axes all of one "
                                         r"length, got shape \(2, 3, 3\)"):
        autograd.zeros(2, 3, 3).fill_diagonal_(0.0)
    with pytest.raises(ValueError, match=r"fill_diagonal_: needs a matrix"):
        autograd.zeros(3).fill_diagonal_(0.0)
    with pytest.raises(TypeError, match=r"fill_diagonal_: fill_value must be a number"):
        autograd.zeros(2, 2).fill_diagonal_("0")
    # a bool matrix takes a bool, as PyTorch's (a mask's `fill_diagonal_(False)` was refused
    # as "not a number")
    for false in (False, np.False_):
        mask = autograd.ones(3, 3, dtype=bool).fill_diagonal_(false)
        assert mask.dtype == np.bool_ and mask.tolist() == (~np.eye(3, dtype=bool)).tolist()
    assert autograd.zeros(2, 2).fill_diagonal_(True).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"fill_diagonal_ on a tensor that requires grad"):
        w.fill_diagonal_(0.0)
    with no_grad():
        w.fill_diagonal_(0.0)                   # (an update of a parameter: under no_grad)
    assert w.tolist() == [[0.0, 1.0], [1.0, 0.0]] and w.is_leaf
    h = w * 1.0
    with no_grad(), pytest.raises(RuntimeError, match=r"fill_diagonal_: this tensor .* is the "
                                                      r"result of mul, not a leaf"):
        h.fill_diagonal_(0.0)


def test_fill_diagonal_matches_pytorch_s():
    torch = pytest.importorskip("torch", reason="a cross-check with PyTorch (pip install torch)")
    for shape, wrap in [((7, 3), False), ((7, 3), True), ((3, 5), True), ((3, 3, 3), False)]:
        ours = autograd.zeros(*shape).fill_diagonal_(1.5, wrap=wrap)
        theirs = torch.zeros(*shape).fill_diagonal_(1.5, wrap=wrap)
        np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("shape, wrap", [((3, 3), False), ((7, 3), False), ((7, 3), True),
                                         ((3, 7), True), ((3, 3, 3), False)])
def test_fill_diagonal_writes_pytorchs_diagonal(shape, wrap):
    """fill_diagonal_ was missing (a bare AttributeError), the line a nearest-neighbour search
    writes to keep each word out of its own neighbours: sim.fill_diagonal_(-inf); the places
    are PyTorch's, wrap=True restarting a tall matrix's diagonal one row below each square."""
    t = Tensor(np.zeros(shape, np.float32))
    assert t.fill_diagonal_(-np.inf, wrap=wrap) is t
    expected = {((3, 3), False): [(0, 0), (1, 1), (2, 2)],
                ((7, 3), False): [(0, 0), (1, 1), (2, 2)],
                ((7, 3), True): [(0, 0), (1, 1), (2, 2), (4, 0), (5, 1), (6, 2)],
                ((3, 7), True): [(0, 0), (1, 1), (2, 2)],
                ((3, 3, 3), False): [(0, 0, 0), (1, 1, 1), (2, 2, 2)]}[shape, wrap]
    assert sorted(map(tuple, np.argwhere(np.isinf(t.data)).tolist())) == expected
    assert t.dtype == np.float32 and np.count_nonzero(t.data) == len(expected)


# -- s32: lerp_ computed into the tensor's own numbers -----------------------------------------

@pytest.mark.parametrize("dtype, end_dtype", [(np.float32, np.float32), (np.float64, np.float64),
                                              (np.float32, np.float64)])
@pytest.mark.parametrize("weight", [0.001, 0.3, 0.5, 0.9, 1.0, -0.25, 1.5])
def test_lerp_in_place_gives_the_formulas_numbers_bit_for_bit(dtype, end_dtype, weight):
    """A parameter's lerp_ under no_grad() (an EMA's call) is computed in its own array: the
    numbers are the formula's, as before, from either end, for an end of another dtype too;
    0-d, batch-1 and broadcast ends; a weight tensor takes the other path."""
    from nn import Parameter
    rng = np.random.default_rng(3)
    for shape, end_shape in [((4, 3), (4, 3)), ((), ()), ((1, 5), (1, 5)), ((4, 3), (3,))]:
        start = rng.standard_normal(shape).astype(dtype)
        end = rng.standard_normal(end_shape).astype(end_dtype)
        diff = end - start
        want = (start + weight * diff if abs(weight) < 0.5 else end - diff * (1 - weight))
        p = Parameter(start.copy())
        numbers = p.data
        with no_grad():
            assert p.lerp_(Tensor(end), weight) is p
        assert p.data is numbers and p.dtype == dtype
        np.testing.assert_array_equal(p.data, np.asarray(want).astype(dtype))
        c = Tensor(start.copy())
        c.lerp_(end, Tensor(np.full(shape, weight, dtype)))       # a weight tensor: 1 - w is
        np.testing.assert_allclose(c.data, want, rtol=2e-6, atol=1e-6)   # rounded in dtype


def test_lerp_in_place_of_a_view_writes_through_and_refuses_what_does_not_fit():
    x = Tensor(np.zeros((2, 3)))
    x[0].lerp_(Tensor(np.ones(3)), 0.25)            # a view an op made: into x's numbers
    assert x.tolist() == [[0.25, 0.25, 0.25], [0.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match=r"lerp_: end and weight of shapes \(2, 3\) and \(\) "
                                         r"do not broadcast to the tensor's shape \(3,\)"):
        x[1].lerp_(Tensor(np.ones((2, 3))), 0.5)
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(2,\) do not broadcast"):
        x[1].lerp_(Tensor(np.ones(3)), np.ones(2))
