"""Tensor made from Tensors (autograd/tensor.py, `_to_array`): PyTorch's rule, each Tensor among
a list's items is one number; one of several numbers (numpy would stack them: a max pool's
(values, indices) pair became one array of both) or one in a graph (its gradient would be lost
without a word) is refused, naming what was given and what to write."""

import numpy as np
import pytest

from autograd import Tensor, as_tensor, concatenate, no_grad, stack, tensor
from autograd import functional as F


def test_tensors_that_want_a_gradient_are_refused_not_made_a_constant():
    a, b = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^Tensor: got a list of 2 Tensors, of shapes \(\) and "
                                           r"\(\), and one of them, of shape \(\), wants a "
                                           r"gradient: a Tensor made from them would be a "
                                           r"constant.*autograd\.stack\(tensors\).*"
                                           r"autograd\.concatenate\(tensors\).*t\.detach\(\)"):
        Tensor([a, b])
    with pytest.raises(RuntimeError, match=r"^Tensor: got a list with a Tensor among its items, "
                                           r"of shape \(\), and it is the result of mul"):
        Tensor([[a * 3.0]])
    with pytest.raises(RuntimeError, match=r"^Tensor: got a tuple of 2 Tensors"):
        tensor((a, b))
    stacked = stack([a, b * 3.0])           # what the error says to write keeps the graph
    stacked.sum().backward()
    assert (a.grad, b.grad) == (1.0, 3.0)
    assert Tensor([a.detach(), b.detach()]).tolist() == [1.0, 2.0]


def test_a_list_of_tensors_of_several_numbers_is_refused_as_in_pytorch():
    t, u = Tensor([1.0, 2.0]), Tensor([3.0, 4.0], requires_grad=True)
    for make in (Tensor, tensor, as_tensor):
        with pytest.raises(ValueError, match=r"^Tensor: got a tuple of 2 Tensors, of shapes "
                                             r"\(2,\) and \(2,\); a list of Tensors makes one "
                                             r"Tensor only when each holds one number, as in "
                                             r"PyTorch\. To join them write autograd\.stack"):
            make((t, u))
    with pytest.raises(ValueError, match=r"got a list of 2 Tensors, of shapes \(1,\) and \(2,\)"):
        Tensor([Tensor([1.0]), Tensor([1.0, 2.0])])         # numpy's "inhomogeneous shape"
    with pytest.raises(ValueError, match=r"got a list with a Tensor among its items, of shape "
                                         r"\(2,\)"):
        Tensor([t, [5.0, 6.0]])
    assert concatenate([t, u]).shape == (4,) and stack([t, u]).shape == (2, 2)


def test_a_pools_values_and_indices_pair_says_to_unpack_it():
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    with no_grad():                                         # a constant pair: it was stacked
        pair = F.max_pool2d(x, 2, return_indices=True)
    with pytest.raises(ValueError, match=r"^Tensor: got a tuple of 2 Tensors, of shapes "
                                         r"\(1, 1, 2, 2\) and \(1, 1, 2, 2\): it looks like a max "
                                         r"pool's \(values, indices\) pair, from "
                                         r"return_indices=True; unpack it, values, indices = "
                                         r"pool\(x\)"):
        Tensor(pair)


def test_what_was_made_before_is_made_as_before():
    assert Tensor([[1.0, 2.0]]).shape == (1, 2) and Tensor([[1.0, 2.0]]).dtype == np.float32
    array = np.zeros((2, 3))
    assert Tensor(array).data is array
    zero_d = Tensor(Tensor(2.5, requires_grad=True))        # a Tensor's numbers: a constant
    assert zero_d.shape == () and zero_d.item() == 2.5 and not zero_d.requires_grad
    numbers = Tensor([Tensor(1.0), Tensor(2.0)])
    assert numbers.tolist() == [1.0, 2.0] and numbers.dtype == np.float32
    assert not numbers.requires_grad
    assert Tensor([np.ones(2), np.zeros(2)]).shape == (2, 2)     # a list of arrays: stacked
    with pytest.raises(ValueError, match=r"^Tensor: the nested lists must be rectangular"):
        Tensor([[1.0], [1.0, 2.0]])


def test_one_number_tensors_of_any_shape_are_their_numbers_as_in_pytorch():
    # torch.tensor([torch.tensor([1.]), torch.tensor([2.])]) has shape (2,), int tensors keep int64
    assert Tensor([Tensor([1.0]), Tensor([[2.0]])]).shape == (2,)
    assert Tensor([Tensor([1.0]), 2.5]).tolist() == [1.0, 2.5]
    assert Tensor([Tensor(1), Tensor(2)]).dtype == np.int64
