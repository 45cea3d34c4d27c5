"""In-place arithmetic on Tensors (`+=`, `-=`, `*=`, `/=`): a leaf that wants a gradient is
updated in place under no_grad() (an optimizer step) and refused outside it (PyTorch's rule);
every other tensor gets a new one, so a user's array or a dataset never changes behind their back."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, no_grad
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


def test_other_tensors_get_a_new_tensor_and_the_users_arrays_stay():
    images = np.arange(12, dtype=np.float32).reshape(6, 2)
    for _ in range(2):
        for batch, _labels in DataLoader(images, np.arange(6), batch_size=3):
            batch /= 10                             # a view of `images` until now
    np.testing.assert_array_equal(images, np.arange(12).reshape(6, 2))
    array = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    t = Tensor(array)
    t -= t.mean(axis=0)
    np.testing.assert_array_equal(array, [[1.0, 2.0], [3.0, 4.0]])
    pixels = Tensor(np.full(2, 200, np.uint8))
    pixels /= 255                                   # a float tensor now, as t = t / 255
    assert pixels.dtype == np.float32
    c, w = Tensor([3.0, 4.0]), Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * c).sum()
    c += 10                                         # the graph keeps the old c
    loss.backward()
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])
