"""Tensors handed to numpy: a tensor with no history converts (sharing its data); one in a graph
is refused, as in PyTorch, since its numbers would leave the graph and the parameters behind it
would silently get no gradient."""

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
