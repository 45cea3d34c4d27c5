"""In-place arithmetic on Tensors (`+=`, `-=`, `*=`, `/=`): a leaf that wants a gradient is
updated in place under no_grad() (an optimizer step) and refused outside it (PyTorch's rule); a
constant changes itself, so every name for it sees the change, but takes new numbers, so a
user's array or a dataset never changes behind their back (except an array shared on purpose
by t.numpy(), from_numpy or as_tensor, PyTorch's numpy bridge; a view, x[0] or x.detach(), writes
through into x's numbers, as in PyTorch, and the views an op made of a constant follow its
changes, numbers and history); a result in a graph gets a new one."""

from __future__ import annotations

import copy
import operator
import re
import weakref

import numpy as np
import pytest

from autograd import Tensor, gradcheck, no_grad
from autograd import functional as F
from conftest import sample, t64
from nn.data import DataLoader


def test_an_sgd_step_under_no_grad_updates_the_parameter_itself():
    w = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = Tensor([2.0, 1.0])
    ((w @ x) ** 2).sum().backward()
    same, data, before, grad = w, w.data, w.data.copy(), w.grad.copy()
    with no_grad():
        w -= 0.1 * w.grad
        w *= 2.0
        w += Tensor(np.ones((2, 2), np.float32))      # a Tensor operand
        w /= 4.0
        w += np.float32(1.0)                           # broadcast
    assert w is same and w.data is data and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.data, ((before - 0.1 * grad) * 2 + 1) / 4 + 1, rtol=1e-6)


def test_a_leaf_that_wants_a_gradient_is_not_changed_while_recording():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"-= on a tensor that requires grad.*no_grad"):
        w -= 0.1
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_a_parameter_keeps_its_shape_and_dtype():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad(), pytest.raises(ValueError, match=r"\*=: cannot update the parameter \(shape "
                                                     r"\(2,\), dtype float32\).*shape \(3, 2\)"):
        w *= np.ones((3, 2))
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_a_recorded_result_gets_a_new_node_and_keeps_its_graph():
    w = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = w * w
    first = h
    h += 1.0                                        # h is now h + 1; the product is untouched
    assert h is not first and h.op == "add"
    np.testing.assert_array_equal(first.data, [1.0, 4.0, 9.0])
    h.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, -4.0, 6.0])


@pytest.mark.parametrize("update", ["-=", "+=", "*=", "/="])
def test_a_result_updated_under_no_grad_is_refused_as_it_would_stop_training(update):
    """The tutorial's mistake: `randn(..., requires_grad=True) / n` is div's result, not a
    leaf; under no_grad() `weights -= ...` rebound it to a constant that never trained again
    (the next step failed on its .grad, None). The error names the op and says how to fix it."""
    import autograd
    weights = autograd.randn(6, 3, requires_grad=True) / 2.0
    (weights * weights).sum().backward()
    before = weights
    with no_grad(), pytest.raises(RuntimeError, match=re.escape(
            f"{update}: this tensor (shape (6, 3)) is the result of div, not a leaf, so updating "
            f"it under no_grad() cannot train it: `t -= x` would replace it with a constant that "
            f"gets no gradient. To train it, make the result a leaf, e.g. `(autograd.randn(6, 3) "
            f"/ n).requires_grad_()`, not `autograd.randn(6, 3, requires_grad=True) / n`")):
        exec(f"weights {update} weights.grad * 0.1")
    assert weights is before and weights.op == "div"
    fixed = (autograd.randn(6, 3) / 2.0).requires_grad_()       # what the message says
    (fixed * fixed).sum().backward()
    with no_grad():
        fixed -= fixed.grad * 0.1
    assert fixed.is_leaf and fixed.requires_grad


def test_a_constant_changes_itself_and_the_users_arrays_stay():
    images = np.arange(12, dtype=np.float32).reshape(6, 2)
    for _ in range(2):
        for batch, _labels in DataLoader(images, np.arange(6), batch_size=3):
            same = batch
            batch /= 10
            assert batch is same
            np.testing.assert_array_equal(batch.data, same.data)
    np.testing.assert_array_equal(images, np.arange(12).reshape(6, 2))
    array = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    t = Tensor(array)                                # shares `array`
    alias = t
    t -= t.mean(axis=0)
    assert t is alias
    np.testing.assert_array_equal(alias.data, [[-1.0, -1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(array, [[1.0, 2.0], [3.0, 4.0]])


def test_the_numpy_bridge_shares_in_place_changes_both_ways_as_in_pytorch():
    """PyTorch's Tensors tutorial: `n = t.numpy(); t.add_(1)` shows in n. A constant's in-place
    change took new numbers, so n kept the old ones. Arrays shared on purpose (t.numpy(),
    from_numpy, as_tensor) are written into; one given to Tensor(array) still never changes."""
    import autograd
    t = autograd.ones(5)
    n = t.numpy()
    t.add_(1)
    assert n.tolist() == [2.0] * 5 and t.numpy() is n
    t *= 3
    t.clamp_(max=5.0)
    assert n.tolist() == [5.0] * 5
    n = np.ones(3)
    t = autograd.from_numpy(n)
    np.add(n, 1, out=n)
    assert t.tolist() == [2.0] * 3                  # (this way round, it always worked)
    t.sub_(0.5)
    t.zero_()
    assert n.tolist() == [0.0] * 3 and t.data is n
    m = np.arange(3.0)
    autograd.as_tensor(m).fill_(7.0)
    assert m.tolist() == [7.0] * 3
    # an op that used the shared numbers before the change refuses backward, as in PyTorch
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = autograd.from_numpy(np.ones(3, np.float32))
    y = (c * w).sum()
    c += 1
    with pytest.raises(RuntimeError, match="changed in place after this op used it"):
        y.backward()
    kept = np.ones(2)
    t = Tensor(kept)
    t += 1
    assert kept.tolist() == [1.0, 1.0] and t.tolist() == [2.0, 2.0]
    frozen = np.ones(2)
    frozen.flags.writeable = False                  # read-only: new numbers, as before
    t = autograd.from_numpy(frozen)
    t += 1
    assert frozen.tolist() == [1.0, 1.0] and t.tolist() == [2.0, 2.0]


def test_sharing_an_array_with_numpy_marks_that_tensor_not_every_tensor_over_the_array():
    """The bridge was noted on the array: once any tensor over X was bridged (from_numpy(X) in
    a Dataset, Tensor(X).numpy() for a plot), every other Tensor(X), made before or after, wrote
    its in-place changes into the data set X."""
    import autograd
    X = np.zeros((2, 2), np.float32)
    before = Tensor(X)
    autograd.from_numpy(X)
    Tensor(X).numpy()
    after = Tensor(X)
    after -= 1.0
    before.add_(2.0)
    assert X.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert after.tolist() == [[-1.0, -1.0]] * 2 and before.tolist() == [[2.0, 2.0]] * 2
    t = autograd.zeros(2)
    t.numpy()
    copied = copy.deepcopy(t)                   # a copy's numbers: no numpy code holds them
    copied += 1.0
    assert t.tolist() == [0.0, 0.0]


def test_the_numpy_bridge_shares_through_detach_and_views_as_in_pytorch():
    """`n = t.detach().numpy()` (the spelling for a tensor that may be in a graph) and
    `n = t[0].numpy()` share t's memory, so t's in-place change shows in n, as in PyTorch; it
    kept the old numbers, since only the view was bridged and t took new ones."""
    import autograd
    t = autograd.zeros(3)
    n = t.detach().numpy()
    row = t[:2].numpy()
    t.add_(1.0)
    assert n.tolist() == [1.0] * 3 and row.tolist() == [1.0] * 2


def test_a_momentum_buffer_in_a_list_is_updated_as_in_pytorch():
    """`for v in buffers: v *= 0.9; v += g`: the list holds the tensors that change (before,
    `v *= 0.9` rebound the loop's name to a new tensor and the buffers stayed zero)."""
    w = Tensor([1.0, -2.0], requires_grad=True)
    buffers = [Tensor(np.zeros(2, np.float32))]
    for _ in range(3):
        w.grad = None
        (w * w).sum().backward()
        for v in buffers:
            v *= 0.9
            v += Tensor(w.grad)
            w.data -= 0.1 * v.data
    # by hand: v1 = 2, -4 ... the classical momentum recursion on f = Σ w²
    v, x = np.zeros(2), np.array([1.0, -2.0])
    for _ in range(3):
        v = 0.9 * v + 2 * x
        x = x - 0.1 * v
    np.testing.assert_allclose(buffers[0].data, v, rtol=1e-6)
    np.testing.assert_allclose(w.data, x, rtol=1e-6)


@pytest.mark.parametrize("start, change, message", [
    (lambda: Tensor(np.full(2, 200, np.uint8)), lambda t: t.__itruediv__(255),
     r"^/=: cannot update the tensor \(shape \(2,\), dtype uint8\) in place .* \(t = t / x "
     r"makes a new tensor\)"),
    (lambda: Tensor([1, 2]), lambda t: t.__imul__(0.5), r"^\*=: cannot update the tensor"),
    (lambda: Tensor([1.0, 2.0]), lambda t: t.__iadd__(np.ones((2, 2))),
     r"^\+=: cannot update the tensor \(shape \(2,\), dtype float32\) in place with float64 "
     r"data of shape \(2, 2\)"),
])
def test_a_constant_keeps_its_shape_and_dtype_as_in_pytorch(start, change, message):
    """PyTorch refuses these too (an integer tensor cannot hold the fraction)."""
    t = start()
    before = t.data.copy()
    with pytest.raises((TypeError, ValueError), match=message):
        change(t)
    np.testing.assert_array_equal(t.data, before)


def test_a_constant_that_takes_in_a_tensor_wanting_a_gradient_passes_it_on():
    """c += w, w a parameter: c is a new tensor in the graph (PyTorch records the change in
    place); taking w's numbers alone would lose its gradient."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    c += w * 2
    assert c.requires_grad
    c.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0])
    with no_grad():                             # no graph is recorded: the numbers, in place
        same = c = Tensor([3.0, 4.0])
        c += w
    assert c is same and not c.requires_grad
    np.testing.assert_array_equal(c.data, [4.0, 6.0])


def test_a_constant_changed_after_a_graph_used_it_is_refused_at_backward():
    c, w = Tensor([3.0, 4.0]), Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * c).sum()
    c += 10
    with pytest.raises(RuntimeError, match=_changed_message("mul", (2,))):
        loss.backward()
    loss = (w * c).sum()                            # computed again: the new numbers
    loss.backward()
    np.testing.assert_array_equal(w.grad, [13.0, 14.0])


def test_add_and_sub_read_no_numbers_so_a_change_after_them_is_not_refused():
    """Their rules send g and -g whatever the inputs were (PyTorch saves nothing for them
    either), so their gradients are right after a change; `x[0] += v` relies on it (the write
    changes x[0], which add used)."""
    c, w = Tensor([3.0, 4.0]), Tensor([1.0, 2.0], requires_grad=True)
    loss = (w + c).sum() - (c - w).sum()
    c += 10
    with no_grad():
        w -= 1.0
    loss.backward()
    assert w.grad.tolist() == [2.0, 2.0]


# -- a change after the op used the tensor: backward refuses (it would read the new values) --------

def _layer(seed=0):
    rng = np.random.default_rng(seed)
    w = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    x = Tensor(rng.normal(size=(5, 4)), requires_grad=True)
    return w, x


def _changed_message(op, shape):
    return rf"backward of {op}: its input \d \(shape {re.escape(str(shape))}\) was changed in place"


@pytest.mark.parametrize("change", ["-=", "copy_", "SGD", "Adam", "init"])
def test_changing_an_input_between_forward_and_backward_is_refused(change):
    from nn import init
    from nn.optim import SGD, Adam
    w, x = _layer()
    F.linear(x, w).sum().backward()                        # gradients for the optimizers to use
    loss = (F.linear(x, w).tanh() ** 2).sum()
    with no_grad():
        if change == "-=":
            w -= 0.1 * w.grad
        elif change == "copy_":
            w.copy_(w.data * 2)
        elif change == "init":
            init.normal_(w)
        else:
            (SGD if change == "SGD" else Adam)([w], lr=0.1).step()
    w.grad = x.grad = None
    with pytest.raises(RuntimeError, match=_changed_message("linear", (3, 4))):
        loss.backward()
    assert w.grad is None and x.grad is None          # nothing accumulated before the refusal


def _through_a_view_of_w(w, x):
    with no_grad():
        w[0, :2].zero_()


def _through_w_detached(w, x):
    w.detach()[0, 0] = 5.0


def _into_the_array_under_a_view_of_x(w, x):
    x[1] = 0.0                              # x (a constant) is the base of the x.T used below


@pytest.mark.parametrize("write", [_through_a_view_of_w, _through_w_detached,
                                   _into_the_array_under_a_view_of_x])
def test_a_write_into_shared_numbers_after_the_forward_pass_is_refused(write):
    """A view (w[0], x.T, w.detach()) is another tensor over the same numbers: a write through
    it, or into the base under it, changes what the recorded ops read, and backward refuses
    (PyTorch's views share one version counter) instead of giving the new values' gradients."""
    w, x = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.arange(6.0).reshape(3, 2))
    loss = (w * x.T * w).sum()
    write(w, x)
    with pytest.raises(RuntimeError, match=r"backward of mul: .* a write into a tensor sharing "
                                           r"its numbers"):
        loss.backward()
    assert w.grad is None
    loss = (w * x.T * w).sum()                # computed again after the write: the new numbers
    loss.backward()
    np.testing.assert_array_equal(w.grad, 2 * w.data * x.data.T)


def test_a_write_into_an_outputs_numbers_through_a_view_is_refused_at_its_backward():
    """exp's rule reads its result: y.detach()[0] = 100 changed it, and backward gave 100 as
    the slope at 0 (PyTorch refuses, as here)."""
    w = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    y = w.exp()
    y.detach()[0] = 100.0
    with pytest.raises(RuntimeError, match=r"backward of exp: its result \(shape \(2,\)\) was "
                                           r"changed in place after it was computed"):
        y.backward(np.ones(2))
    assert w.grad is None
    y = w.exp()
    y.detach().clone()[0] = 100.0                   # a copy: y is untouched
    y.backward(np.ones(2))
    np.testing.assert_allclose(w.grad, np.exp([0.0, 1.0]), rtol=1e-15)


def test_a_write_into_shared_numbers_before_the_forward_pass_or_elsewhere_is_fine():
    w = Tensor(np.ones(3), requires_grad=True)
    w.detach()[0] = 2.0
    other = Tensor(np.zeros(4))
    loss = (w * w).sum()
    other[1:3] = 5.0                         # not in this graph
    loss.backward()
    np.testing.assert_array_equal(w.grad, [4.0, 2.0, 2.0])


def test_the_refusal_comes_before_any_gradient_is_added():
    w, x = _layer()
    loss = (x * 3.0).sum() + (F.linear(x, w) ** 2).sum() + (x * 2.0).sum()
    with no_grad():
        w += 1.0
    with pytest.raises(RuntimeError, match=_changed_message("linear", (3, 4))):
        loss.backward()
    assert x.grad is None and w.grad is None


def test_a_change_in_the_middle_of_the_forward_pass_is_refused_too():
    w, x = _layer()
    h = x @ w.T                                       # w.T's data is a view of w's
    with no_grad():
        w -= 1.0
    loss = (h.tanh() * 3.0).sum()                     # recorded after the change: fine itself
    # matmul read w.T, whose numbers are w's: the first op backward meets that saw the change
    with pytest.raises(RuntimeError, match=_changed_message("matmul", (4, 3))):
        loss.backward()


def test_changes_that_no_recorded_op_sees_are_fine():
    w, x = _layer()
    other = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        w -= 0.5                                      # before the forward pass: it sees the new w
    loss = (F.linear(x, w).tanh() ** 2).sum()
    with no_grad():
        other += 1.0                                  # not in this graph
    loss.backward()
    expected_x = (2 * np.tanh(x.data @ w.data.T) * (1 - np.tanh(x.data @ w.data.T) ** 2)) @ w.data
    np.testing.assert_allclose(x.grad, expected_x, rtol=1e-12)


def test_after_a_refusal_the_next_step_computes_the_right_gradients():
    from nn.optim import SGD
    w, x = _layer()
    opt = SGD([w], lr=0.1)
    loss = (F.linear(x, w) ** 2).sum()
    loss.backward()
    opt.step()
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()                               # a second backward after the step
    opt.zero_grad()
    x.grad = None
    (F.linear(x, w) ** 2).sum().backward()                 # the forward pass again: no error
    np.testing.assert_allclose(w.grad, 2 * (x.data @ w.data.T).T @ x.data, rtol=1e-12)


def test_higher_order_gradients_refuse_a_changed_input():
    from autograd import grad
    w, x = _layer()
    loss = (F.linear(x, w) ** 3).sum()
    with no_grad():
        w *= 0.5
    with pytest.raises(RuntimeError, match=_changed_message("linear", (3, 4))):
        loss.backward(create_graph=True)

    def changes_its_input_midway(w):
        h = F.linear(x, w)
        with no_grad():
            w *= 0.5
        return (h ** 3).sum()
    with pytest.raises(RuntimeError, match=_changed_message("linear", (3, 4))):
        grad(changes_its_input_midway)(w)


_SHARED_MESSAGE = r"was changed in place"


def _write_a_view_of_the_parameter(w, c):
    with no_grad():
        w[0].zero_()                                  # W[0] is a view of w's numbers


def _write_the_parameter_through_its_transpose(w, c):
    with no_grad():
        w.T.fill_(1.0)


def _write_a_view_of_the_constant(w, c):
    c[0:2].add_(5.0)


def _write_the_array_a_used_view_was_taken_from(w, c):
    c[0] = 100.0                                      # the graph used c.reshape(2, 2)


@pytest.mark.parametrize("change", [_write_a_view_of_the_parameter,
                                    _write_the_parameter_through_its_transpose,
                                    _write_a_view_of_the_constant,
                                    _write_the_array_a_used_view_was_taken_from])
def test_a_change_through_shared_numbers_is_refused_at_backward(change):
    # a view shares its numbers with the tensor it was taken from: writing either changes what
    # the other's ops read at backward, though only the one written noted it (the gradients
    # were silently those of the new numbers: w.grad of (w * w * c).sum() after w[0].zero_())
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    c = Tensor([1.0, -2.0, 3.0, 0.5])
    loss = (w * w * c.reshape(2, 2)).sum()
    change(w, c)
    with pytest.raises(RuntimeError, match=_SHARED_MESSAGE):
        loss.backward()
    assert w.grad is None
    loss = (w * w * c.reshape(2, 2)).sum()            # computed again: the new numbers
    loss.backward()
    np.testing.assert_array_equal(w.grad, 2 * w.data * c.data.reshape(2, 2))


def test_a_change_through_shared_numbers_is_refused_in_higher_order_gradients_too():
    from autograd import grad

    def changes_a_view_midway(w):
        h = w * w
        with no_grad():
            w[0].mul_(0.5)
        return (h * w).sum()
    with pytest.raises(RuntimeError, match=_SHARED_MESSAGE):
        grad(changes_a_view_midway)(Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True))


def test_numbers_shared_with_a_tensor_no_graph_used_are_fine():
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    other = Tensor([[5.0, 6.0]], requires_grad=True)
    loss = (w * w).sum()
    with no_grad():
        other[0].mul_(2.0)                            # not this graph's numbers
    loss.backward()
    np.testing.assert_array_equal(w.grad, 2 * w.data)


def test_values_keep_micrograds_reading_of_data_at_backward_time():
    # A Value's update replaces its float; like micrograd's closures, backward reads .data then
    from autograd import Value
    from nn.optim import SGD
    w = Value(3.0)
    loss = w * w
    loss.backward()
    SGD([w], lr=0.5).step()                           # w: 3 - 0.5 * 6 = 0
    w.grad = 0.0
    loss.backward()
    assert w.data == 0.0 and w.grad == 0.0            # 2 * w at the new value, not 6


def test_copy_into_a_recorded_result_is_recorded_and_keeps_an_earlier_change_seen():
    # it was refused, lest it reset the result's own stamp and hide an earlier change to its
    # inputs: recorded now, as PyTorch's, the result's history kept under the write
    w, x = _layer()
    h = F.linear(x, w)
    with no_grad():
        w.mul_(2.0)
    assert h.copy_(np.zeros(h.shape)) is h and h.requires_grad
    with pytest.raises(RuntimeError, match=_changed_message("linear", (3, 4))):
        h.sum().backward()
    with no_grad():
        h2 = F.linear(x, w)
    h2.copy_(np.zeros(h2.shape))                      # a constant result: no graph reads it
    assert not h2.data.any()


def test_copy_into_a_parameter_needs_no_grad_as_in_pytorch():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"copy_ on a tensor that requires grad .* under "
                                           r"`with no_grad\(\):`"):
        w.copy_([3.0, 4.0])
    with no_grad():
        w.copy_([3.0, 4.0])
    np.testing.assert_array_equal(w.data, [3.0, 4.0])


def test_a_zero_d_leafs_grad_is_an_ndarray_whatever_op_fed_it():
    """`.grad` is an ndarray of the leaf's shape: numpy gives a scalar for 0-d arithmetic
    (a * 3), which would make `a.grad[...] = 0` and `a.grad.fill(0)` fail."""
    for make in (lambda a: a * 3, lambda a: (a * Tensor(np.ones(3, np.float32))).sum()):
        a = Tensor(2.0, requires_grad=True)
        make(a).backward()
        assert type(a.grad) is np.ndarray and a.grad.shape == () and a.grad.dtype == np.float32
        a.grad[...] = 0                     # its own, writeable array


def test_item_assignment_writes_a_constant_tensor_in_place():
    counts = Tensor(np.zeros((3, 3), dtype=np.int64))
    counts[0, 1] += 1                                   # makemore's bigram counting
    counts[np.array([2, 2]), np.array([0, 1])] = 7
    counts[1] = Tensor([4, 5, 6])
    assert counts.tolist() == [[0, 1, 0], [4, 5, 6], [7, 7, 0]]
    with pytest.raises(IndexError, match=r"setitem: .* \(tensor of shape \(3, 3\)\)"):
        counts[5, 0] = 1


def test_item_assignment_on_a_parameter_needs_no_grad_and_on_a_result_is_recorded():
    w = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"requires grad .* under `with no_grad\(\):`"):
        w[0] = 5.0
    y = w * w
    y[0] = 0.0                                          # recorded, as in PyTorch
    assert y.op == "index_put" and y.tolist() == [0.0, 1.0, 1.0]
    with no_grad(), pytest.raises(RuntimeError, match=r"the result of index_put, not a leaf"):
        y[1] = 0.0
    with no_grad():
        w[0] = 5.0
    assert w.data.tolist() == [5.0, 1.0, 1.0]
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 0"):
        y.sum().backward()                              # y was recorded with the old numbers


def test_item_assignment_of_a_value_that_wants_a_gradient_is_recorded():
    """buf[0] = w * 2 once copied the numbers and lost w's gradient: now buf joins the graph
    (PyTorch records the write too); under no_grad() only the numbers go in."""
    w, buf = Tensor([1.0, 2.0], requires_grad=True), Tensor(np.zeros(3))
    buf[0] = w[0] * 2
    buf[1:] += w                                        # setitem gets buf[1:] + w
    assert buf.tolist() == [2.0, 1.0, 2.0] and buf.op == "index_put"
    (buf * Tensor([1.0, 10.0, 100.0])).sum().backward()
    assert w.grad.tolist() == [2.0 + 10.0, 100.0]
    constant = Tensor(np.zeros(3))
    with no_grad():
        constant[1:] = w * 2
    assert constant.tolist() == [0.0, 2.0, 4.0] and not constant.requires_grad


@pytest.mark.parametrize("write", [lambda t: t.__setitem__(0, 1.0),
                                   lambda t: t.copy_(np.ones(t.shape))])
def test_a_write_into_read_only_numbers_says_why_and_what_to_do(write):
    """expand's and broadcast_to's numbers are read-only (one number in memory stands for
    many elements); numpy's own error named neither the op nor the way out."""
    x = Tensor(np.arange(3.0))
    fixed = np.arange(3.0)
    fixed.flags.writeable = False
    for t in (x.expand(2, 3), x.broadcast_to((2, 3)), Tensor(fixed)):
        with pytest.raises(ValueError, match=rf"(t\[...\] = value|copy_): this tensor's "
                                             rf"numbers \(shape {re.escape(str(t.shape))}\) "
                                             rf"are read-only: .* t.clone\(\)"):
            write(t)
    np.testing.assert_array_equal(x.data, [0.0, 1.0, 2.0])


@pytest.mark.parametrize("index, value, error, message", [
    (np.s_[:, 0], np.array([[5.0], [6.0]]), ValueError,
     r"picks a part of shape \(2,\), and a value of shape \(2, 1\) does not broadcast"),
    (np.array([[True, False, True], [False, False, True]]), [1.0, 2.0], ValueError,
     r"picks a part of shape \(3,\), and a value of shape \(2,\) does not broadcast"),
    (np.s_[::0], 1.0, ValueError, r"setitem: slice step cannot be zero \(tensor of shape"),
    (0, "abc", ValueError, r"setitem: cannot write 'abc' into a tensor of dtype float64"),
    (0, None, TypeError, r"setitem: t\[index\] = None .* must be numbers"),
])
def test_item_assignment_errors_name_setitem_the_shapes_and_the_value(index, value, error,
                                                                       message):
    """numpy's own errors named no op (a (2, 1) value into a (2,) part), and None became NaN."""
    t = Tensor(np.zeros((2, 3)))
    with pytest.raises(error, match=message):
        t[index] = value
    assert t.tolist() == [[0.0] * 3] * 2
    t[np.s_[:, 0]] = np.array([[5.0, 6.0]])             # leading axes of 1 are dropped (numpy)
    assert t.tolist() == [[5.0, 0.0, 0.0], [6.0, 0.0, 0.0]]


def test_a_number_out_of_the_dtypes_range_is_an_error_naming_the_write():
    """u[0] = 300 into uint8 and u += 300 raised numpy's bare "Python integer 300 out of bounds
    for uint8"; x[0] = 1e300 into float32 stored inf with numpy's RuntimeWarning (PyTorch
    refuses both); each now names the write and the number."""
    u = Tensor(np.array([1, 2, 3], np.uint8))
    with pytest.raises(OverflowError, match=r"setitem: cannot write 300 into a tensor of dtype "
                                            r"uint8 \(Python integer 300 out of bounds"):
        u[0] = 300
    with pytest.raises(OverflowError, match=r"\+=: cannot update the tensor \(dtype uint8\) "
                                            r"in place with 300"):
        u += 300
    with pytest.raises(OverflowError, match=r"add_: cannot update the tensor \(dtype uint8\) "
                                            r"in place with -300"):
        u.add_(-300)
    x = Tensor(np.array([1.0, 2.0], np.float32))
    with pytest.raises(ValueError, match=r"setitem: -1e\+300 is beyond float32's range "
                                         r"\(±3.403e\+38\)"):
        x[1:] = -1e300
    assert u.tolist() == [1, 2, 3] and x.tolist() == [1.0, 2.0]
    x[0] = float("inf")                                 # inf itself is a number float32 holds
    x[1] = 3.4e38
    assert x.tolist() == [float("inf"), np.float32(3.4e38)]


def test_copy_broadcasts_the_source_as_in_pytorch():
    """t.copy_(Tensor(0.0)) and a row copied into every row of a matrix were refused as of
    another shape; a source that does not broadcast still is."""
    t = Tensor(np.ones((2, 3)))
    assert t.copy_(Tensor(0.5)).tolist() == [[0.5] * 3] * 2
    t.copy_(np.array([1.0, 2.0, 3.0]))
    assert t.tolist() == [[1.0, 2.0, 3.0]] * 2
    with pytest.raises(ValueError, match=r"copy_: expected data of shape \(2, 3\) \(or one "
                                         r"that broadcasts to it, as in PyTorch\), got \(2,\)"):
        t.copy_(np.zeros(2))
    with pytest.raises(ValueError, match=r"got \(1, 2, 3\)"):       # it would grow t
        t.copy_(np.zeros((1, 2, 3)))


def test_indexing_with_a_step_of_zero_names_getitem():
    with pytest.raises(ValueError, match=r"getitem: slice step cannot be zero \(tensor of "
                                         r"shape \(3,\)\)"):
        Tensor([1.0, 2.0, 3.0])[::0]


OTHER_OPERATORS = [  # (update, start, what it leaves)
    (lambda t: t.__ipow__(2), [1.0, -2.0, 3.0], [1.0, 4.0, 9.0]),
    (lambda t: t.__ifloordiv__(2.0), [1.0, -3.0, 5.0], [0.0, -2.0, 2.0]),
    (lambda t: t.__imod__(2.0), [1.0, -3.0, 5.0], [1.0, 1.0, 1.0]),
    (lambda t: t.__iand__(Tensor([True, False, True])), [True, True, False], [True, False, False]),
    (lambda t: t.__ior__(np.array([False, True, False])), [True, False, False],
     [True, True, False]),
    (lambda t: t.__ixor__(True), [True, False, True], [False, True, False]),
    (lambda t: t.__ior__(4), [1, 2, 3], [5, 6, 7]),
]


@pytest.mark.parametrize("update, start, expected", OTHER_OPERATORS)
def test_the_other_in_place_operators_change_the_tensor_itself(update, start, expected):
    """`**= //= %= &= |= ^=` made a new tensor (Python's fallback t = t ** 2): a view's base
    (`for row in x: row **= 2`), another name for the tensor, and a parameter stepped under
    no_grad() were left as they were. Now they follow `+=`'s rules, as in PyTorch."""
    x = Tensor(np.array([start, start]))
    same = x
    for row in x:
        update(row)
    assert same is x and x.tolist() == [expected, expected]
    if isinstance(start[0], float):
        w = Tensor(np.array(start), requires_grad=True)
        array = w.data
        with no_grad():
            assert update(w) is w
        assert w.data is array and w.tolist() == expected and w.requires_grad


def test_the_other_in_place_operators_record_a_result_and_refuse_a_parameter():
    w = Tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\*\*= on a tensor that requires grad .* write "
                                           r"t = t \*\* x for a new tensor"):
        w **= 2
    h = w * 3.0
    h **= 2                                               # a new node, as t = t ** 2
    h.sum().backward()
    np.testing.assert_allclose(w.grad, 18.0 * w.data)
    with pytest.raises(TypeError, match=r"&: needs bool or integer tensors"):
        t = Tensor([1.0, 2.0])
        t &= 1                                            # the operator's own error
    u = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"\*\*=: cannot update the tensor \(shape \(2,\), dtype "
                                        r"int64\) in place with float64 data"):
        u **= 0.5
    with pytest.raises(ZeroDivisionError, match=r"integer //: division by zero"):
        u //= 0
    assert u.tolist() == [1, 2]


IN_PLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
            "/=": operator.itruediv, "**=": operator.ipow}
IN_PLACE_SHAPES = [((2, 3), (3,)), ((2, 3), ()), ((), ()), ((1, 3), (1,)), ((1, 3), (1, 3))]


@pytest.mark.parametrize("shapes", IN_PLACE_SHAPES, ids=str)
@pytest.mark.parametrize("symbol", IN_PLACE)
def test_each_in_place_operator_on_a_result_gradchecks(symbol, shapes, rng):
    """h = exp(x) * 1.5 (positive, for **=), then h op= y: both inputs' gradients match
    finite differences, y broadcast into h's shape, 0-d and batch-1 too."""
    update = IN_PLACE[symbol]

    def f(x, y):
        h = x.exp() * 1.5
        return update(h, y)
    assert gradcheck(f, t64(sample("real", shapes[0], rng)),
                     t64(sample("nonzero", shapes[1], rng)))


@pytest.mark.parametrize("shapes", IN_PLACE_SHAPES, ids=str)
@pytest.mark.parametrize("symbol", IN_PLACE)
def test_each_in_place_operator_on_a_constant_with_a_graph_value_gradchecks(symbol, shapes,
                                                                            rng):
    """c op= w on a constant c (positive, for **=): c itself is recorded, and w's gradient
    through it, also through a view taken before, matches finite differences."""
    update, start = IN_PLACE[symbol], sample("pos", shapes[0], rng)

    def f(w):
        c = Tensor(start.copy())
        first = c.reshape(-1)[:1]                   # a view from before the write
        same = update(c, w)
        assert same is c
        return (c * 2.0).sum() + first.sum() * 0.5
    assert gradcheck(f, t64(sample("nonzero", shapes[1], rng)))


# -- a constant's views follow it, as PyTorch's do ---------------------------------------------
# The gradients below were checked against torch 2.13 (float64, the same programs); each is
# also simple enough to derive by hand, as the comments do.

def _f64(values, requires_grad=False):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


@pytest.mark.parametrize("view, weights, written, expected, grad", [
    (lambda x: x[0, :], [5.0, 7.0], (0, 0), [6.0, 0.0], 15.0),        # d/dw (5 * 3w) = 15
    (lambda x: x[1], [5.0, 7.0], (1, 0), [6.0, 0.0], 15.0),           # an int index
    (lambda x: x.T, [[1.0, 2.0], [3.0, 4.0]], (0, 1), [[0.0, 0.0], [6.0, 0.0]], 9.0),
    (lambda x: x.reshape(4), [1.0, 2.0, 3.0, 4.0], (1, 1), [0.0, 0.0, 0.0, 6.0], 12.0),
])
def test_a_graph_value_written_into_a_constant_reaches_its_earlier_views(
        view, weights, written, expected, grad):
    """x[i] = 3w on a constant x: a view taken before (x[0], x.T) showed the new numbers but
    stayed a constant, so w silently got no gradient through it (PyTorch's views follow their
    base's history). Now the view is its op of x again, and passes w its gradient."""
    x, w = _f64(np.zeros((2, 2))), _f64([2.0], requires_grad=True)
    v = view(x)
    x[written] = w[0] * 3.0
    assert v.tolist() == expected and v.requires_grad
    (v * _f64(weights)).sum().backward()
    assert w.grad.tolist() == [grad]


@pytest.mark.parametrize("write, expected, grad_through_x, grad_through_v", [
    (lambda v, w: v.__setitem__(0, w[0] * 3.0), [6.0, 0.5, 1.0], [3.0, 0.0], [15.0, 0.0]),
    (lambda v, w: v.copy_(w * 3.0), [6.0, 12.0, 1.0], [3.0, 6.0], [15.0, 21.0]),
    (lambda v, w: v.fill_(w[0] * 3.0), [6.0, 6.0, 1.0], [9.0, 0.0], [36.0, 0.0]),
    (lambda v, w: v.__iadd__(w), [2.5, 4.5, 1.0], [1.0, 2.0], [5.0, 7.0]),
    (lambda v, w: v.__imul__(w), [1.0, 2.0, 1.0], [0.5, 1.0], [2.5, 3.5]),
])
def test_a_graph_value_written_into_a_view_of_a_constant_is_recorded_on_the_constant(
        write, expected, grad_through_x, grad_through_v):
    """v = x[:2] of a constant x: v[0] = 3w, v.copy_(3w) and v.fill_(3w) were refused ("a view
    of another tensor's numbers"), and v += w, v *= w silently made v a new tensor, leaving x
    as it was. As in PyTorch, the write goes into x, recorded: x passes w its gradient (here
    through the weights [1, 2, 3]), and v, x[:2] again, too (through [5, 7])."""
    x, w = _f64([0.5, 0.5, 1.0]), _f64([2.0, 4.0], requires_grad=True)
    v = x[:2]
    write(v, w)
    assert x.tolist() == expected and v.tolist() == expected[:2]
    (x * _f64([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.tolist() == grad_through_x
    w.grad = None
    (v * _f64([5.0, 7.0])).sum().backward()
    assert w.grad.tolist() == grad_through_v


def test_a_view_of_a_constant_times_a_graph_value_matches_finite_differences():
    def write(w):
        x = _f64(np.ones((3, 4)))
        row, column = x[1], x[:, 2]
        row *= w.tanh()                         # x's row 1, through the view
        x[0] = row * 2.0                        # then row's new numbers, into x itself
        return (column * column.exp()).sum() + (x ** 2).sum()
    from autograd import gradcheck
    assert gradcheck(write, _f64(np.random.default_rng(0).normal(size=4), requires_grad=True))


def test_a_constants_in_place_operator_with_a_graph_value_changes_the_constant_itself():
    """x += 3w on a constant x: x was rebound to a new tensor, so a view taken before (and any
    other name for x) kept the old numbers and passed w no gradient. Now x itself changes, as in
    PyTorch: it is add(its old numbers, 3w), and its views show that."""
    array = np.zeros(3)
    x, w = Tensor(array), _f64([1.0, 2.0, 3.0], requires_grad=True)
    same, v = x, x[:2]
    x += w * 3.0
    assert x is same and x.op == "add" and x.tolist() == [3.0, 6.0, 9.0]
    assert v.tolist() == [3.0, 6.0] and not array.any()     # (the user's array stays)
    (v * _f64([5.0, 7.0])).sum().backward()
    assert w.grad.tolist() == [15.0, 21.0, 0.0]
    c = Tensor(np.zeros(2, dtype=np.float32))
    c += _f64([0.5, 1.5], requires_grad=True)                # float32 += float64: float32
    assert c.data.dtype == np.float32 and c.requires_grad
    c = Tensor(np.zeros(2, dtype=np.float32))
    with pytest.raises(ValueError, match=r"\+=: cannot update the tensor \(shape \(2,\), dtype "
                                         r"float32\) in place with the tensor of shape \(2, 2\)"):
        c += _f64(np.ones((2, 2)), requires_grad=True)     # (it was a new (2, 2) tensor)
    assert c.tolist() == [0.0, 0.0] and not c.requires_grad
    counts = Tensor(np.array([5, 7]))
    with pytest.raises(TypeError, match=r"\+=: cannot update the tensor \(shape \(2,\), dtype "
                                        r"int64\) .* dtype float64 it would become"):
        counts += _f64([0.5, 1.5], requires_grad=True)     # (it was a new float64 tensor)
    assert counts.tolist() == [5, 7]


def test_a_constants_views_show_its_new_numbers():
    """x += 1 on a constant x takes new numbers (the user's array stays as it was); views
    taken before (x[0], x.T) kept showing the old ones, where PyTorch's show the new."""
    array = np.zeros((2, 2))
    x = Tensor(array)
    row, flipped = x[0], x.T
    x += 1
    x *= Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert row.tolist() == [1.0, 2.0] and flipped.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    row += 10                                               # and they still write into x
    assert x.tolist() == [[11.0, 12.0], [3.0, 4.0]] and not array.any()


def test_an_op_that_used_a_constants_view_before_a_graph_write_is_refused_at_backward():
    """y = v + p used v = x[:2] as a constant; after x[0] = w, v stands for a write y never
    saw, and add's rule reads no numbers, so nothing else would stop w's gradient going
    through y: refused (computing y again after the write is right)."""
    x, w, p = _f64([0.0, 0.0, 0.0]), _f64([2.0], requires_grad=True), _f64([1.0, 1.0], True)
    v = x[:2]
    y = (v + p).sum()
    x[0] = w[0] * 3.0
    with pytest.raises(RuntimeError, match=r"backward of add: its input 0 \(shape \(2,\)\) was "
                                           r"written in place .* after this op used it"):
        y.backward()
    (v + p).sum().backward()
    assert w.grad.tolist() == [3.0] and p.grad.tolist() == [1.0, 1.0]


def test_a_constants_slice_updated_in_place_is_one_write():
    """x[:2] += w is Python's v = x[:2]; v += w; x[:2] = v: the last write puts v's numbers on
    themselves, and is not recorded a second time."""
    x, w = _f64([0.0, 0.0, 0.0]), _f64([1.0, 2.0], requires_grad=True)
    x[:2] += w
    assert x.tolist() == [1.0, 2.0, 0.0] and x.op == "index_put"
    assert x.parents[0].is_leaf                                # (old numbers: one write)
    (x * _f64([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.tolist() == [1.0, 2.0]


def test_a_constant_that_joined_a_graph_keeps_changing_in_place():
    """Once x (a constant with views) has joined a graph by x += w or v[i] = w, a second in-place
    operator rebound x to a new tensor, as for any op's result, and its views silently kept the
    old numbers (PyTorch changes x again: v = x[1:] is 12 below, w.grad [0, 35])."""
    x, w = _f64([1.0, 1.0]), _f64([2.0, 3.0], requires_grad=True)
    v, same = x[1:], x
    x += w
    x *= w                                          # x = (1 + w) w: [6, 12]
    assert x is same and x.tolist() == [6.0, 12.0] and v.tolist() == [12.0]
    (v * 5.0).sum().backward()                      # 5 d/dw1 (1 + w1) w1 = 5 (1 + 2 w1) = 35
    assert w.grad.tolist() == [0.0, 35.0]
    x, w = _f64([1.0, 1.0, 1.0]), _f64([2.0], requires_grad=True)
    v = x[:2]
    v[1] = w[0] * 3.0
    x *= w[0]                                       # x = [w, 3 w², w]
    assert v.tolist() == [2.0, 12.0]
    (v * _f64([5.0, 7.0])).sum().backward()         # 5 + 7 * 6 w = 89
    assert w.grad.tolist() == [89.0]


def test_views_taken_after_a_constant_joined_a_graph_follow_it():
    """v = x[:2] taken after the constant x joined a graph (x += w) kept the old numbers when x
    changed again (x *= w), and passed w no gradient for that change; PyTorch's v follows x
    (numbers and gradients below are PyTorch 2.13's, derived by hand in the comments)."""
    x, w = _f64([1.0, 2.0, 3.0]), _f64([10.0, 20.0, 30.0], requires_grad=True)
    x += w
    v = x[:2]
    x *= w                                          # x = (x0 + w) w: [110, 440, 990]
    assert v.tolist() == [110.0, 440.0]
    (v * _f64([5.0, 7.0])).sum().backward()         # 5 (1 + 2 w0), 7 (2 + 2 w1)
    assert w.grad.tolist() == [105.0, 294.0, 0.0]
    x, w = _f64([1.0, 2.0, 3.0]), _f64([10.0, 20.0, 30.0], requires_grad=True)
    x += w
    v = x[1:]
    v *= w[1:]                                      # into x, through the view
    assert x.tolist() == [11.0, 440.0, 990.0] and v.tolist() == [440.0, 990.0]
    (x * _f64([2.0, 3.0, 5.0])).sum().backward()    # 2, 3 (2 + 2 w1), 5 (3 + 2 w2)
    assert w.grad.tolist() == [2.0, 126.0, 315.0]
    x, u = _f64([1.0, 2.0, 3.0]), _f64([2.0], requires_grad=True)
    x += w
    v = x[:2]
    v[0] = u[0] * u[0]                              # was refused (a view of x's numbers)
    assert x.tolist() == [4.0, 22.0, 33.0] and v.tolist() == [4.0, 22.0]
    w.grad = None
    (x * _f64([2.0, 3.0, 5.0])).sum().backward()    # w0 is written over; 2 * 2u
    assert w.grad.tolist() == [0.0, 3.0, 5.0] and u.grad.tolist() == [8.0]
    x, u = _f64([1.0, 2.0, 3.0]), _f64([5.0], requires_grad=True)
    x[0] = u[0]                                     # (joined by a write at an index)
    v = x[:2]
    x[1] = u[0] * 3.0                               # v = [u, 3u]; was refused at backward
    assert v.tolist() == [5.0, 15.0]
    (v * _f64([5.0, 7.0])).sum().backward()         # 5 + 7 * 3
    assert u.grad.tolist() == [26.0]
    x, w = _f64([1.0, 2.0, 3.0, 4.0]), _f64([10.0, 20.0, 30.0, 40.0], requires_grad=True)
    x += w
    row = x.reshape(2, 2)[1]                        # a view of a view
    x += 1
    assert row.tolist() == [34.0, 45.0]


def test_a_constants_detach_shares_its_numbers_across_its_changes():
    """d = x.detach() of a constant x kept the old numbers when x += 1 gave x new ones (PyTorch:
    d shares x's numbers, [2, 3, 4]); and after x joins a graph, d still has no history."""
    x = _f64([1.0, 2.0, 3.0])
    d = x.detach()
    x += 1
    assert d.tolist() == [2.0, 3.0, 4.0]
    d += 1                                          # (and a write into d reaches x, as before)
    assert x.tolist() == [3.0, 4.0, 5.0]
    x, w = _f64([1.0, 2.0]), _f64([10.0, 20.0], requires_grad=True)
    d = x.detach()
    x += w
    assert d.tolist() == [11.0, 22.0] and not d.requires_grad
    (x * 3.0).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
    d, first = x.detach(), x[:1].detach()           # (taken after x joined the graph)
    x *= 2.0
    assert d.tolist() == [22.0, 44.0] and first.tolist() == [22.0] and not d.requires_grad


def test_views_of_tensors_in_a_graph_are_noted_only_while_a_written_one_lives():
    """The views ops make in a graph are noted only of a tensor written in place that stays the
    same object (a constant that joined the graph): once it is gone, none is."""
    from autograd import graph
    before = len(graph.written_in_place)
    x, w = _f64([1.0, 2.0]), _f64([10.0, 20.0], requires_grad=True)
    x += w
    assert len(graph.written_in_place) == before + 1
    h = w * 2.0
    assert not hasattr(h[:1], "_view_of") and hasattr(x[:1], "_view_of")
    del x
    assert len(graph.written_in_place) == before


def test_a_loop_that_slices_a_constant_dataset_keeps_one_view_remembered():
    """The views of a constant are remembered weakly: batches X[i:i + 32] taken step after step
    leave only the live one in X's list, and a view's record of its base goes with it."""
    X = Tensor(np.arange(400.0).reshape(200, 2))
    for i in range(1000):
        xb = X[i % 100: i % 100 + 32]
        (xb * 2).sum()
    assert len(X._views) == 1 and next(iter(X._views))() is xb and xb._view_of[0] is X
    assert xb.tolist()[0] == X.tolist()[99]
    base = weakref.ref(X)
    del X, xb
    assert base() is None               # (nothing but the live view held X)
