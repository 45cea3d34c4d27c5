"""Tensors handed to numpy: a tensor with no history converts (sharing its data); one in a graph
is refused, as in PyTorch, since its numbers would leave the graph and the parameters behind it
would silently get no gradient."""

import math

import numpy as np
import pytest

from autograd import Tensor, no_grad


def test_a_tensor_without_history_converts_and_shares_its_data():
    t = Tensor([1.0, 2.0, 3.0])
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(np.concatenate([t, t]), [1, 2, 3, 1, 2, 3])
    assert np.dot(t, t) == 14.0


def test_detached_and_no_grad_results_convert():
    w = Tensor([1.0, -2.0], requires_grad=True)
    with no_grad():
        y = w * 3.0
    np.testing.assert_array_equal(np.asarray(y), [3.0, -6.0])
    np.testing.assert_array_equal(np.asarray(w.detach()), [1.0, -2.0])
    np.testing.assert_array_equal(np.asarray((w * 2.0).detach()), [2.0, -4.0])
    assert w.numpy() is w.data                        # asked for by name: the numbers


@pytest.mark.parametrize("convert", [np.asarray, np.array, lambda t: np.concatenate([t, t]),
                                     lambda t: np.dot(t, t), lambda t: np.where(True, t, 0.0)])
def test_a_tensor_that_wants_a_gradient_is_refused(convert):
    w = Tensor([1.0, -2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"numpy was given a Tensor of shape \(2,\) that wants "
                                           r"a gradient.*t\.detach\(\)\.numpy\(\)"):
        convert(w)


def test_a_recorded_result_is_refused_naming_its_op():
    w = Tensor([[1.0, -2.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(1, 2\) that is the result of mul"):
        np.asarray(w * 2.0)


def test_arithmetic_with_arrays_stays_in_the_graph():
    w = Tensor([1.0, -2.0], requires_grad=True)
    y = np.array([2.0, 3.0]) * w + np.array([1.0, 1.0])
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 3.0])


def test_every_operator_with_the_array_first_is_the_tensors_own_op():
    w = Tensor([1.0, 2.0], requires_grad=True)
    a = np.array([4.0, 1.0], dtype=np.float32)
    for result, expected in [(a - w, [3, -1]), (a / w, [4, 0.5]), (a ** w, [4, 1]),
                             (a @ w, 6), (a // w, [4, 0]), (a % w, [0, 1])]:
        assert isinstance(result, Tensor)
        np.testing.assert_allclose(result.data, expected)
    assert (a < w).tolist() == [False, True] and (a == w).tolist() == [False, False]
    assert (np.array([True, False]) & Tensor([True, True])).tolist() == [True, False]
    assert (np.float32(2) * w).dtype == np.float32        # a numpy scalar, as before


@pytest.mark.parametrize("update", [
    lambda a, t: a.__iadd__(t), lambda a, t: a.__isub__(t), lambda a, t: a.__imul__(t)])
def test_an_array_updated_in_place_by_a_tensor_without_history_takes_its_numbers(update):
    """makemore's learning-rate search, `lr = lrs[i]; p.data += -lr * p.grad`, and backprop
    ninja's `p.data += -lr * dW` with a gradient derived by hand as a Tensor (numpy raised
    "operand 'Tensor' does not support ufuncs")."""
    p = Tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    lr = (10 ** Tensor([-1.0, 0.0]))[0]                       # a 0-d Tensor
    array = p.data
    update(p.data, -lr * p.grad)
    assert p.data is array and p.data.dtype == np.float32
    np.testing.assert_allclose(p.data, update(np.array([1.0, 2.0]), -0.1 * np.array([2.0, 4.0])))
    with no_grad():
        dW = Tensor([1.0, 1.0], requires_grad=True) * 2       # no history under no_grad
    p.data -= dW
    assert p.data is array


def test_an_array_updated_in_place_by_a_tensor_in_a_graph_is_refused():
    w = Tensor([1.0, -2.0], requires_grad=True)
    a = np.zeros(2, dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"array \+= Tensor: the Tensor of shape \(2,\) is "
                                           r"the result of mul.*t\.detach\(\) or compute it "
                                           r"under no_grad\(\)"):
        a += w * 2
    with pytest.raises(RuntimeError, match=r"array -= Tensor: .* wants a gradient.*detach\(\)$"):
        a -= w
    assert (a == 0).all()


@pytest.mark.parametrize("call", [lambda t: np.exp(t), lambda t: np.maximum(np.ones(2), t),
                                  lambda t: np.add.reduce(t), lambda t: np.add(1, t, dtype=int),
                                  lambda t: np.add(np.ones(2), np.ones(2), out=t)])
def test_other_ufuncs_take_no_tensor_and_say_what_to_use(call):
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"numpy's .* (takes no Tensor: use the Tensor ops"
                                        r"|cannot write into a Tensor)"):
        call(t)


@pytest.mark.parametrize("reduce, method, kwargs", [
    (np.sum, "sum", {}), (np.sum, "sum", {"axis": 0}), (np.mean, "mean", {"axis": 1}),
    (np.max, "max", {}), (np.amin, "min", {"axis": 0, "keepdims": True}),
    (np.var, "var", {"ddof": 1}), (np.std, "std", {"axis": 1})])
def test_numpy_reductions_are_the_tensor_methods_and_record_the_graph(reduce, method, kwargs):
    """np.sum(t) calls t.sum(axis=..., dtype=None, out=None): the same Tensor, same gradient."""
    data = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, -1.5]])
    w, v = Tensor(data, requires_grad=True), Tensor(data, requires_grad=True)
    y, expected = reduce(w, **kwargs), getattr(v, method)(**kwargs)
    assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, expected.data)
    y.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(w.grad, v.grad)


def test_a_reduction_casts_to_dtype_and_refuses_out():
    t = Tensor([1.0, 2.0], requires_grad=True)
    total = np.sum(t, dtype=np.float64)
    assert total.dtype == np.float64 and t.mean(dtype=np.float64).dtype == np.float64
    total.backward()
    assert t.grad.dtype == np.float32
    with pytest.raises(TypeError, match=r"sum: out= is not supported .*t\.sum\(\.\.\.\)"):
        np.sum(t, out=np.zeros(()))


def test_float_and_int_of_a_one_element_tensor_without_history():
    """float(t) is the number of a tensor with no history; a list of 0-d tensors converts."""
    assert float(Tensor([[2.5]])) == 2.5 and int(Tensor(-2.7)) == -2
    np.testing.assert_array_equal(np.asarray([Tensor(1.0), Tensor(2.0)]), [1.0, 2.0])
    for convert in (float, int):
        with pytest.raises(TypeError, match=r"needs a one-element tensor, got shape \(2,\)"):
            convert(Tensor([1.0, 2.0]))


def test_a_one_element_integer_tensor_is_an_index():
    """`data[i:i + 8] for i in randint(...)`: the GPT lecture slices with the tensors it
    iterates."""
    data, starts = Tensor(np.arange(10)), Tensor([3, 0])
    assert [data[i:i + 2].tolist() for i in starts] == [[3, 4], [0, 1]]
    assert ["a", "b", "c"][Tensor(np.int64(2))] == "c" and list(range(Tensor([2]))) == [0, 1]
    for bad in (Tensor(1.0), Tensor([1, 2])):
        with pytest.raises(TypeError, match=r"only a one-element integer tensor can be used as "
                                            r"an index, got dtype (float32|int64) and shape"):
            data[bad:]


@pytest.mark.parametrize("convert", [float, int, math.exp])
def test_a_number_from_a_tensor_in_a_graph_is_refused_as_for_a_value(convert):
    """math.exp(w) would silently pass no gradient: refused, pointing to .item()."""
    w = Tensor(0.5, requires_grad=True)
    with pytest.raises(TypeError, match=r"this tensor wants a gradient.*t\.item\(\)"):
        convert(w)
    with pytest.raises(TypeError, match=r"is the result of mul"):
        convert(w * 2)
    assert (w * 2).item() == 1.0


def test_dlpack_hands_over_the_numbers_of_a_tensor_with_no_history_without_a_copy():
    """np.from_dlpack (and torch.as_tensor) read a constant tensor's array itself; a tensor in
    a graph is refused, as np.asarray refuses it."""
    t = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    view = np.from_dlpack(t)
    assert np.shares_memory(view, t.data) and view.dtype == np.float32
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="wants a gradient"):
        np.from_dlpack(w)


def test_torch_as_tensor_shares_a_constant_tensors_numbers():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch)")
    t = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    shared = torch.as_tensor(t)
    shared[0, 0] = 7.0
    assert t.data[0, 0] == 7.0


def test_a_tensor_put_into_data_is_named_where_it_surfaces():
    """PyTorch's `emb.weight.data = torch.from_numpy(vectors)` (loading word vectors) put a
    Tensor into the numpy slot: lookups and steps went on, but state_dict() then said "view:
    cannot reshape a tensor of shape (10, 4) ... into ()" and w.norm(dim=1) "numpy's sqrt takes
    no Tensor", neither naming .data. Both now say what to write; any op's forward that fails
    on it (graph.apply) names the op and the input: a convolution said "'Tensor' object has
    no attribute 'strides'" (tests/test_attributions.py)."""
    w = Tensor(np.zeros((10, 4), np.float32), requires_grad=True)
    w.data = Tensor(np.ones((10, 4), np.float32))
    instead = r"PyTorch's w.data = t is w.data = t.numpy\(\), or with no_grad\(\): w.copy_\(t\)"
    with pytest.raises(TypeError, match=r"^detach: this tensor's .data holds a Tensor, not "
                                        r"numbers \(a Tensor's .data is its numpy array here, "
                                        r"and " + instead):
        w.detach()
    with pytest.raises(TypeError, match=r"^norm: input 0's .data holds a Tensor, not numbers "
                                        r"\(a Tensor's .data is its numpy array here, and "
                                        + instead):
        w.norm(dim=1)
    w.data = w.data.numpy()                 # what the message says: the parameter works again
    assert w.detach().numpy().sum() == 40.0
