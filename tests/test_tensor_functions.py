"""autograd/tensor_functions.py: where's one-argument form and the Tensor.where method, as
PyTorch's (the two-tensor form's gradients are checked with the other ops in test_tensor_ops)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, where
from conftest import t64


def test_where_with_the_condition_alone_gives_the_places():
    """torch.where(condition) is condition.nonzero(as_tuple=True); it raised a TypeError about
    two missing arguments."""
    x = Tensor([[0.0, 3.0], [-1.0, 0.0]])
    rows, cols = where(x != 0)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0] and rows.dtype == np.int64
    assert x[where(x != 0)].tolist() == [3.0, -1.0]
    assert [axis.tolist() for axis in autograd.where(Tensor([0, 2, 5]))] == [[1, 2]]
    with pytest.raises(TypeError, match="where: takes the condition alone .* got one tensor"):
        where(x > 0, x)


def test_the_where_method_picks_this_tensor_where_the_condition_holds():
    x = t64([1.0, -2.0, 3.0])
    y = x.where(x > 0, t64([10.0, 20.0, 30.0], False))
    y.backward(np.array([1.0, 2.0, 3.0]))
    assert y.tolist() == [1.0, 20.0, 3.0] and x.grad.tolist() == [1.0, 0.0, 3.0]
