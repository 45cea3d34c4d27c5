"""`t[index] = value` while recording, as PyTorch records it: a constant given a value in a graph
joins the graph, an op's result becomes index_put(its old numbers, value), a parameter is
refused. Gradients against central differences in float64 (slices, ints, integer arrays, bool
masks, broadcast and 0-d values), second derivatives, the refusals, and backprop ninja's two
idioms (makemore part 4), which were refused before: `dC[ix] += demb[k, j]` and
`dlogits[range(n), Yb] -= 1`. (Checked by hand against torch 2.13: same numbers and gradients,
where PyTorch's own op before the write does not save its output.)"""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn.functional as F
from autograd import Tensor, Value, grad, gradcheck, no_grad
from conftest import t64

MASK = np.array([[True, False, True], [False, False, True], [True, True, False],
                 [False, True, False]])


def zeros64(*shape: int) -> Tensor:
    return Tensor(np.zeros(shape))


def into_a_constant_slice(x, v):
    t = zeros64(4, 3)
    t[1:3] = v[:2] * x[0]
    return t * x


def into_a_result_at_an_int(x, v):
    t = x.tanh()
    t[2] = v[0]
    return t * t


def at_an_integer_array(x, v):
    t = x * 2.0
    t[np.array([3, 0])] = v[:2]
    return t.exp()


def at_two_integer_arrays_with_a_negative_index(x, v):
    t = x.sigmoid()
    t[np.array([-1, 0, 2]), np.array([1, 1, 0])] = v[1] * v[2]
    return t * x


def under_a_bool_mask(x, v):
    t = x.sin()
    t[MASK] = v[0, 0] * 3.0                             # one number broadcast to six places
    return t * x


def broadcast_along_rows_and_columns(x, v):
    t = x * 1.5
    t[:, 1] = v[0, 0]                                   # a 0-d value into a column
    t[0:2] = v[1]                                       # a row into two rows
    t[3] = v[2:3]                                       # (1, 3) into (3,): the 1 is dropped
    return t ** 2


def with_a_step_an_ellipsis_and_a_new_axis(x, v):
    t = x.exp()
    t[::2, None, ...] = v[1:3].reshape(2, 1, 3) * 0.5
    return t.log1p()


def into_zero_d_tensors(x, v):
    s = (x * v).sum()
    t = Tensor(np.zeros(2))
    t[1] = s                                            # a 0-d value
    whole = s * 1.0
    whole[...] = v[0, 0] * s                            # a 0-d result, all of it written
    t[0] = whole
    return t * s


def accumulating_rows(x, v):
    t = zeros64(5, 3)
    for k, ix in enumerate([1, 4, 1, 0]):               # row 1 twice: += reads the first
        t[ix] += v[k] * x[k]
    return t


def shifted_onto_itself(x, v):
    t = x * v
    t[1:] = t[:-1] * 2.0                                # the value is read before the write
    return t


SETITEM_FUNCTIONS = [into_a_constant_slice, into_a_result_at_an_int, at_an_integer_array,
                     at_two_integer_arrays_with_a_negative_index, under_a_bool_mask,
                     broadcast_along_rows_and_columns, with_a_step_an_ellipsis_and_a_new_axis,
                     into_zero_d_tensors, accumulating_rows, shifted_onto_itself]


@pytest.mark.parametrize("f", SETITEM_FUNCTIONS, ids=lambda f: f.__name__)
def test_setitem_gradchecks(f, rng):
    x, v = t64(rng.uniform(-1.5, 1.5, (4, 3))), t64(rng.uniform(-1.5, 1.5, (4, 3)))
    assert f(x, v).op in ("mul", "exp", "pow", "log1p", "index_put")
    assert gradcheck(f, x, v)


@pytest.mark.parametrize("f", SETITEM_FUNCTIONS, ids=lambda f: f.__name__)
def test_setitem_second_derivatives_match_finite_differences(f, rng):
    """grad∘grad (the rules run on nodes: g[index] and g * kept are recorded) against central
    differences of grad: H_xx u along a direction u, and the mixed d/dv (d/dx · u) per element."""
    x0, v0 = rng.uniform(-1.5, 1.5, (4, 3)), rng.uniform(-1.5, 1.5, (4, 3))
    r, u = rng.uniform(0.5, 1.5, f(t64(x0), t64(v0)).shape), rng.normal(size=(4, 3))

    def scalar(x, v):
        return ((f(x, v) * Tensor(r)) ** 2).sum()       # squared: second derivatives not 0

    d_dx = grad(scalar, argnums=0)

    def along_u(x, v):
        return (d_dx(x, v) * Tensor(u)).sum()

    eps = 1e-6
    np.testing.assert_allclose(grad(along_u, argnums=0)(x0, v0),
                               (d_dx(x0 + eps * u, v0) - d_dx(x0 - eps * u, v0)) / (2 * eps),
                               rtol=1e-5, atol=1e-7)
    mixed = np.zeros((4, 3))
    for k in range(mixed.size):
        step = np.zeros((4, 3))
        step.flat[k] = eps
        mixed.flat[k] = (along_u(x0, v0 + step) - along_u(x0, v0 - step)).item() / (2 * eps)
    np.testing.assert_allclose(grad(along_u, argnums=1)(x0, v0), mixed, rtol=1e-5, atol=1e-7)


# -- the three cases ---------------------------------------------------------------------------

def test_a_constant_given_a_value_in_a_graph_joins_the_graph_in_its_own_array():
    numbers = np.zeros((3, 2))
    t = Tensor(numbers)                                 # shares the array
    w = Tensor([1.0, 2.0], requires_grad=True)
    t[1] = w * 3.0
    assert t.op == "index_put" and t.requires_grad and not t.is_leaf
    old, value = t.parents
    assert old.op == "" and not old.requires_grad and not old.data.any()
    assert value.op == "mul"
    assert t.data is numbers and numbers.tolist() == [[0, 0], [3, 6], [0, 0]]
    (t * Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    assert w.grad.tolist() == [9.0, 12.0]


def test_an_ops_result_becomes_index_put_of_its_old_numbers_and_the_value():
    """t keeps its identity; its history (softmax, whose rule reads its output) moves to a
    node holding a copy of the old numbers, so its gradient is still softmax's."""
    x = t64([[0.5, -1.0, 2.0], [0.0, 1.0, -0.5]])
    v = t64([7.0, 8.0])
    t = x.softmax(axis=1)
    before = t.data.copy()
    names = [t]
    t[:, 0] = v
    assert names[0] is t and t.op == "index_put"
    old, value = t.parents
    assert old.op == "softmax" and old.parents == (x,) and value is v
    np.testing.assert_array_equal(old.data, before)
    np.testing.assert_array_equal(t.data[:, 1:], before[:, 1:])
    assert t.data[:, 0].tolist() == [7.0, 8.0]
    r = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    (t * Tensor(r)).sum().backward()
    assert v.grad.tolist() == [1.0, 4.0]                # g[index]
    g_old = r * [0.0, 1.0, 1.0]                         # g with the written places zeroed
    expected = before * (g_old - (g_old * before).sum(1, keepdims=True))    # softmax's rule
    np.testing.assert_allclose(x.grad, expected)


def test_a_parameter_is_refused_while_recording_and_written_under_no_grad():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    array = w.data
    with pytest.raises(RuntimeError, match=r"t\[...\] = ... on a tensor that requires grad .* "
                                           r"under `with no_grad\(\):`"):
        w[0] = Tensor([5.0], requires_grad=True)[0] * 2
    with no_grad():
        w[0] = 5.0
        w[1:] = w[1:] * 2
    assert w.data is array and w.tolist() == [5.0, 4.0, 6.0] and w.is_leaf


def test_a_constant_given_numbers_only_stays_a_constant():
    t = Tensor(np.zeros(3))
    t[0] = 1.0
    t[1:] = Tensor([2.0, 3.0])
    assert t.is_leaf and not t.requires_grad and t.tolist() == [1.0, 2.0, 3.0]


# -- ops recorded before the write, and after it ------------------------------------------------

def test_an_op_that_used_the_tensor_before_the_write_is_refused_at_backward():
    """Those ops used the old numbers (and add, whose rule reads none, would send its gradient
    through a write it never saw): refused, as PyTorch refuses an op whose saved input was
    modified by an in-place operation. Ops recorded after the write are fine."""
    x = t64([1.0, 2.0, 3.0])
    for before, op in [(lambda t: t * t, "mul"), (lambda t: t + 1.0, "add"),
                       (lambda t: t[0:2], "getitem")]:
        t = x * 2.0
        used = before(t)
        t[1] = 0.0
        with pytest.raises(RuntimeError, match=rf"backward of {op}: its input 0 \(shape "
                                               rf"\(3,\)\) was written by t\[index\] = value "
                                               rf"\(.*\) after this op used it"):
            used.sum().backward()
        x.grad = None
        (t * t).sum().backward()                        # recorded after the write
        assert x.grad.tolist() == [8.0, 0.0, 24.0]
        x.grad = None


def test_a_constant_that_an_op_used_before_it_joined_the_graph_is_refused_too():
    x, t = t64([1.0, 2.0]), Tensor(np.ones(2))
    used = x * t                                        # t a constant then
    t[0] = x[1] * 1.0
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 1 .* written by "
                                           r"t\[index\] = value"):
        used.sum().backward()


def test_x_index_plus_equals_with_an_int_index_into_a_constant_and_into_a_result():
    """`x[0] += v` with an int index: x[0] is a view of x's numbers, which the write changes.
    Add's rule reads no numbers (as PyTorch's saves none), so it is not refused; the view an
    op made (x a result) keeps the numbers it had, as its history, getitem of old, says."""
    w = t64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    v = t64([1.0, 1.0, 1.0])
    buffer = Tensor(np.zeros((2, 3)))
    buffer[1] += v * w[0]                               # a constant: buffer[1] a plain view
    buffer[1] -= v
    assert buffer.tolist() == [[0.0, 0.0, 0.0], [0.0, 1.0, 2.0]]
    t = w * 1.0
    t[0] += v
    t[0] -= v * 3.0
    assert t.tolist() == [[-1.0, 0.0, 1.0], [4.0, 5.0, 6.0]]
    (t * t + buffer * 10.0).sum().backward()
    np.testing.assert_array_equal(v.grad, 2 * t.data[0] * (1 - 3) + 10.0 * (w.data[0] - 1))
    np.testing.assert_array_equal(w.grad, 2 * t.data + [[10.0] * 3, [0.0] * 3])


def test_the_view_that_x_index_times_equals_read_keeps_its_numbers():
    """x[0] *= v: mul's rule reads x[0] (for v's gradient), a view of the numbers the write
    changes; that view is given old's numbers, as its history (getitem of old) says."""
    x, v = t64([[1.0, 2.0], [3.0, 4.0]]), t64([2.0, 5.0])
    t = x * 1.0
    row = t[0]
    t[0] = row * v
    assert t.tolist() == [[2.0, 10.0], [3.0, 4.0]] and row.tolist() == [1.0, 2.0]
    assert row.parents[0].op == "mul" and row.parents[0] is t.parents[0]
    (t * t).sum().backward()
    assert v.grad.tolist() == [2 * 2.0 * 1.0, 2 * 10.0 * 2.0]
    assert x.grad.tolist() == [[2 * 2.0 * 2.0, 2 * 10.0 * 5.0], [6.0, 8.0]]
    assert gradcheck(lambda x, v: _times_row(x, v), x, v)


def _times_row(x, v):
    t = x.exp()
    t[0] *= v
    t[1, :] *= t[0]
    return t


# -- refusals and errors -------------------------------------------------------------------------

def test_an_integer_array_naming_a_place_twice_is_refused_while_recording():
    x = t64([1.0, 2.0, 3.0, 4.0])
    t = Tensor(np.zeros(4))
    with pytest.raises(ValueError, match=r"setitem: the index names some places of the tensor "
                                         r"\(shape \(4,\)\) more than once; .* "
                                         r"t.index_add\(dim, index, values\) or "
                                         r"t.scatter_add\(dim, index, src\)"):
        t[np.array([1, 1])] = x[:2]
    assert t.is_leaf and not t.data.any()
    with no_grad():
        t[np.array([1, 1])] = x[:2]                     # numbers only: the last one stays
    assert t.tolist() == [0.0, 2.0, 0.0, 0.0]
    t[np.array([0, 0])] = 5.0                           # a constant, numbers only: as numpy
    assert t.tolist() == [5.0, 2.0, 0.0, 0.0]


def test_an_integer_tensor_cannot_take_a_value_in_a_graph():
    """PyTorch writes the numbers and drops the gradient without a word."""
    counts, w = Tensor(np.zeros(3, np.int64)), t64([1.5])
    with pytest.raises(TypeError, match=r"setitem: the value is the result of mul, and a "
                                        r"tensor of dtype int64 cannot take it .* t.float\(\)"):
        counts[0] = w[0] * 2
    assert counts.tolist() == [0, 0, 0]


def test_a_view_of_another_tensors_numbers_is_refused_while_recording():
    """Writing into x[0] would change x's numbers, and x would not know of the value (PyTorch
    rewrites x's history too, which glassgrad does only for a constant x): refused, saying to
    copy."""
    w = t64([[1.0, 2.0], [3.0, 4.0]])
    x = w * 2.0
    for view in (x[0], x.T, x.reshape(4), w[0]):
        with pytest.raises(RuntimeError, match=r"setitem: this tensor \(shape .*\) is a view of "
                                               r"another tensor's numbers .* t.clone\(\)"):
            view[0] = 9.0
    assert x.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    given = Tensor(np.zeros(6)[1:])                     # a numpy view given to Tensor: whose
    with pytest.raises(RuntimeError, match=r"is a view of another tensor's numbers"):
        given[0] = w[0, 0] * 5.0                        # numbers it shows is not known
    base = Tensor(np.zeros((2, 2)))                     # a constant's view writes into it,
    base[0][1] = w[0, 0] * 1.0                          # recorded (see test_tensor_in_place)
    assert base.op == "index_put" and base.tolist() == [[0.0, 1.0], [0.0, 0.0]]
    table = autograd.arange(6.0).view(2, 3)
    table[0, 1] = w[0, 0] * 5.0
    assert table.op == "reshape"                        # (the view of arange's, again)
    assert table.tolist() == [[0.0, 5.0, 2.0], [3.0, 4.0, 5.0]]
    table = table.clone()
    table[0, 1] = w[0, 0] * 5.0
    assert table.op == "index_put" and table.tolist() == [[0.0, 5.0, 2.0], [3.0, 4.0, 5.0]]
    copy = x[0].clone()
    copy[0] = 9.0                                       # the copy: recorded
    assert copy.op == "index_put" and x.tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_a_failed_write_leaves_the_tensor_as_it_was():
    x = t64([1.0, 2.0, 3.0])
    t = x * 2.0
    for index, value, error, message in [
            (5, 1.0, IndexError, r"setitem: index 5 is out of bounds .* \(tensor of shape "
                                 r"\(3,\)\)"),
            (np.s_[0:2], x, ValueError, r"setitem: t\[index\] = value on a tensor of shape "
                                        r"\(3,\): the index picks a part of shape \(2,\), and a "
                                        r"value of shape \(3,\) does not broadcast"),
            (0, "abc", ValueError, r"setitem: cannot write 'abc' into a tensor of dtype "
                                   r"float64")]:
        with pytest.raises(error, match=message):
            t[index] = value
        assert t.op == "mul" and t.parents[0] is x and t.tolist() == [2.0, 4.0, 6.0]
    t.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_a_value_of_the_scalar_engine_in_a_graph_is_refused():
    t = Tensor(np.zeros(2))
    with pytest.raises(TypeError, match=r"setitem: cannot combine a Tensor with a Value"):
        t[0] = Value(2.0) * 3
    t[0] = Value(2.0, requires_grad=False)              # a constant Value: its number
    assert t.tolist() == [2.0, 0.0]


def test_a_read_only_result_is_refused_while_recording():
    x = t64([1.0, 2.0])
    t = x.expand(3, 2)
    with pytest.raises(ValueError, match=r"t\[...\] = value: this tensor's numbers \(shape "
                                         r"\(3, 2\)\) are read-only"):
        t[0] = 1.0


# -- backprop ninja (makemore part 4), as the lecture writes it -----------------------------------

def test_exercise_2_dlogits_is_softmax_minus_onehot_over_n(rng):
    n = 8
    logits = Tensor(rng.normal(size=(n, 5)).astype(np.float32), requires_grad=True)
    Yb = Tensor(rng.integers(0, 5, n))
    loss = F.cross_entropy(logits, Yb)
    loss.backward()
    dlogits = F.softmax(logits, 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    probs = np.exp(logits.data) / np.exp(logits.data).sum(1, keepdims=True)
    onehot = np.eye(5)[Yb.data]
    np.testing.assert_allclose(dlogits.data, (probs - onehot) / n, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dlogits.data, logits.grad, rtol=1e-5, atol=1e-8)  # cmp()
    assert dlogits.requires_grad and dlogits.op == "div"


def test_exercise_1_dC_accumulates_the_rows_of_demb(rng):
    n, block, embd = 6, 3, 4
    C = Tensor(rng.normal(size=(7, embd)).astype(np.float32), requires_grad=True)
    W = Tensor(rng.normal(size=(block * embd, 5)).astype(np.float32), requires_grad=True)
    Xb = Tensor(rng.integers(0, 7, (n, block)))
    emb = C[Xb]
    loss = (emb.view(n, -1) @ W).tanh().sum()
    loss.backward()
    dembcat = (1 - (emb.view(n, -1) @ W).tanh() ** 2) @ W.T     # in the graph (W wants one)
    demb = dembcat.view(emb.shape)
    dC = autograd.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    expected = np.zeros((7, embd))
    np.add.at(expected, Xb.data, demb.data.astype(np.float64))
    np.testing.assert_allclose(dC.data, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dC.data, C.grad, rtol=1e-5, atol=1e-6)      # cmp('C', dC, C)
    assert dC.op == "index_put" and dC.dtype == np.float32
    W.grad = None
    dC.sum().backward()                                 # dC is in the graph: through demb
    W.grad, by_demb = None, W.grad
    demb.sum().backward()
    np.testing.assert_allclose(by_demb, W.grad, rtol=1e-5)


def copied_into_a_constant(x, v):
    t = zeros64(4, 3)
    assert t.copy_(v * x[0]) is t                   # v's row broadcast to every row
    return t * x


def filled_into_a_constant(x, v):
    t = zeros64(4, 3)
    t.fill_((v * x[1]).sum())
    return (t * x).tanh()


@pytest.mark.parametrize("write", [copied_into_a_constant, filled_into_a_constant])
def test_copy_and_fill_of_a_value_in_a_graph_are_recorded_as_in_pytorch(write, rng):
    """t.copy_(w * 2) and t.fill_(loss) into a constant took the numbers alone, silently: no
    gradient reached w (PyTorch records both); they are recorded as t[...] = value is."""
    x, v = t64(rng.normal(size=(4, 3))), t64(rng.normal(size=3))
    out = write(x, v)
    assert out.requires_grad
    assert gradcheck(write, x, v)
    with no_grad():                                  # no graph: the numbers only, as before
        t = zeros64(2)
        t.copy_(v[:2] * 2.0)
        assert not t.requires_grad and t.tolist() == (v.data[:2] * 2.0).tolist()


def times_a_row_of_a_constant(x, v):
    t = Tensor(np.ones((2, 3)))
    t[0] *= v                                       # t[0], a constant, is a view of t
    t[1] += t[0] * x[0]
    return t * x


def test_x_index_times_equals_on_a_constant_keeps_the_views_numbers_for_the_gradient(rng):
    """t[0] *= v on a constant t: mul read t[0], a constant view of the numbers the write
    changes; backward refused it as changed in place (PyTorch computes it). That view, like
    an op's, keeps its old numbers in a copy."""
    x, v = t64(rng.normal(size=(2, 3))), t64(rng.normal(size=3))
    times_a_row_of_a_constant(x, v).sum().backward()
    np.testing.assert_allclose(v.grad, x.data[0] + x.data[0] * x.data[1], rtol=1e-14)
    assert gradcheck(times_a_row_of_a_constant, x, v)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_a_value_written_into_x_detach_is_recorded_and_shows_in_x(requires_grad):
    """x.detach() stands for x's numbers (a view of them since in-place changes reach x), and
    a value in a graph written into it is recorded, not refused as a view's, as in PyTorch."""
    x = Tensor(np.zeros(3), requires_grad=requires_grad)
    w = t64([1.0, 2.0])
    detached = x.detach()
    detached[:2] = w * 2.0
    detached.sum().backward()
    assert detached.op == "index_put" and x.tolist() == [2.0, 4.0, 0.0]
    assert w.grad.tolist() == [2.0, 2.0] and x.grad is None
