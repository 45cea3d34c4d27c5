"""autograd/functional/arguments.py: the shared converter `_node` (and nn's losses' `_tensor`)
given a tuple or list of Tensors where one tensor is expected names the function, and says to
unpack a max pool's (values, indices) pair; arrays, lists of numbers and Tensors pass as before."""

import numpy as np
import pytest

from autograd import Tensor, no_grad
from autograd import functional as F
from nn import functional as NF


def _pool_pair():
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    with no_grad():
        return F.max_pool2d(x, 2, return_indices=True)


@pytest.mark.parametrize("call, name", [
    (lambda pair: F.relu(pair), "relu"),
    (lambda pair: F.softmax(pair, 1), "softmax"),
    (lambda pair: F.conv2d(pair, Tensor(np.ones((1, 1, 1, 1)))), "conv2d"),
    (lambda pair: NF.mse_loss(pair, np.zeros((1, 1, 2, 2))), "mse_loss"),
    (lambda pair: NF.cross_entropy(pair, np.zeros(1, np.int64)), "cross_entropy"),
])
def test_a_pools_pair_given_for_one_tensor_names_the_function_and_says_to_unpack(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: takes one Tensor \(or numbers\), got a tuple "
                                         rf"of 2 Tensors, of shapes \(1, 1, 2, 2\) and \(1, 1, 2, "
                                         rf"2\): it looks like a max pool's \(values, indices\) "
                                         rf"pair.*unpack it"):
        call(_pool_pair())


def test_two_tensors_given_for_one_were_stacked_into_a_batch_of_two():
    x = Tensor(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"^linear: takes one Tensor \(or numbers\), got a tuple "
                                         r"of 2 Tensors, of shapes \(2, 4\) and \(2, 4\); .*"
                                         r"autograd\.stack\(tensors\)"):
        F.linear((x, x), Tensor(np.ones((3, 4))))     # was a (2, 2, 3) result


def test_tensors_in_a_graph_among_a_lists_items_name_the_function():
    w = Tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^exp: takes one Tensor \(or numbers\), got a list "
                                           r"of 2 Tensors, of shapes \(\) and \(\), and one of "
                                           r"them, of shape \(\), wants a gradient"):
        F.exp([w, Tensor(1.0)])


def test_arrays_lists_and_tensors_convert_as_before():
    assert F.relu(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]
    assert F.relu([[-1.0, 2.0]]).shape == (1, 2)
    assert F.relu([Tensor(-1.0), Tensor(3.0)]).tolist() == [0.0, 3.0]
    x = Tensor([1.0])
    assert F._node(x, "relu") is x
