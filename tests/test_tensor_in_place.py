"""In-place arithmetic on Tensors (`+=`, `-=`, `*=`, `/=`): an update in place where no graph can
need the old value, a new node where one can, and an error for a leaf that wants a gradient
outside no_grad() (PyTorch's rule)."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, no_grad


def test_an_sgd_step_under_no_grad_updates_the_parameter_itself():
    w = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = Tensor([2.0, 1.0])
    ((w @ x) ** 2).sum().backward()
    same, before, grad = w, w.data.copy(), w.grad.copy()
    with no_grad():
        w -= 0.1 * w.grad
        w *= 2.0
        w += Tensor(np.ones((2, 2), np.float32))      # a Tensor operand, broadcast or not
        w /= 4.0
    assert w is same and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.data, ((before - 0.1 * grad) * 2 + 1) / 4, rtol=1e-6)


def test_a_leaf_that_wants_a_gradient_is_not_changed_while_recording():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"-= on a tensor that requires grad.*no_grad"):
        w -= 0.1
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


def test_a_constant_updated_with_a_tensor_that_wants_a_gradient_records_it():
    total = Tensor(np.zeros(2, np.float32))
    w = Tensor([1.0, 2.0], requires_grad=True)
    total += w * 3.0
    assert total.requires_grad
    total.sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])


def test_a_constant_is_updated_in_place_like_an_array():
    counts = Tensor(np.array([1, 2]))
    data = counts.data
    counts += 1
    assert counts.data is data and counts.data.tolist() == [2, 3]
    with pytest.raises(TypeError, match=r"\+=: cannot update a tensor of shape \(2,\) and "
                                        r"dtype int64 in place"):
        counts += 0.5
    with pytest.raises(ValueError, match=r"\*=: cannot update a tensor of shape \(2,\).*"
                                         r"shape \(3, 2\)"):
        Tensor([1.0, 2.0]).__imul__(np.ones((3, 2)))
    assert counts.data.tolist() == [2, 3]
