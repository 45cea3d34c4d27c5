"""Tensor comparisons are elementwise (numpy's and PyTorch's meaning) and hashing is by identity,
so Tensors stay usable as dict keys and set members."""

import numpy as np
import pytest

from autograd import Tensor
from nn import Linear, Parameter
from nn.optim import SGD


def test_eq_and_ne_are_elementwise_bool_tensors_without_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    eq, ne = x == 2.0, x != 2.0
    assert isinstance(eq, Tensor) and eq.dtype == np.bool_ and not eq.requires_grad
    assert eq.data.tolist() == [False, True, False]
    assert ne.data.tolist() == [True, False, True]


def test_accuracy_written_with_eq_counts_matches():
    pred, y = Tensor([0, 1, 2, 2]), Tensor([0, 1, 1, 2])
    assert float((pred == y).data.mean()) == 0.75


def test_eq_broadcasts_and_mixes_with_arrays_on_either_side():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert (t == np.array([1.0, 4.0])).data.tolist() == [[True, False], [False, True]]
    assert (np.array([1.0, 4.0]) == t).data.tolist() == [[True, False], [False, True]]


def test_eq_with_shapes_that_do_not_broadcast_names_them():
    with pytest.raises(ValueError, match=r"==: shapes \(2,\) and \(3,\)"):
        Tensor([1.0, 2.0]) == Tensor([1.0, 2.0, 3.0])


def test_eq_with_something_that_is_not_numbers_is_false():
    t = Tensor([1.0])
    assert (t == None) is False            # noqa: E711  (the comparison is the point)
    assert (t != "text") is True


def test_conditions_combine_with_and_or_xor_not_as_bool_tensors():
    """`((ids >= 0) & (ids < n)).all()` as in PyTorch: constants, arrays on either side."""
    x = Tensor([-1.0, 0.5, 2.0], requires_grad=True)
    inside = (x > 0) & (x < 1)
    assert inside.dtype == np.bool_ and not inside.requires_grad
    assert inside.tolist() == [False, True, False] and (~inside).tolist() == [True, False, True]
    assert ((x < 0) | (x > 1)).tolist() == [True, False, True]
    assert ((x > 0) ^ np.array([True, True, False])).tolist() == [True, False, True]
    assert (np.array([True, False, True]) & (x > 0)).tolist() == [False, False, True]
    assert ((x > 0) & True).tolist() == [False, True, True]
    assert (Tensor([6, 3]) & 5).tolist() == [4, 1] and (~Tensor([0])).tolist() == [-1]


def test_and_or_not_of_floats_are_refused_naming_the_dtypes():
    x = Tensor([0.5, 2.0])
    with pytest.raises(TypeError, match=r"&: needs bool or integer tensors, got dtypes float32 "
                                        r"and bool; to combine conditions, compare first"):
        x & (x > 1)
    with pytest.raises(TypeError, match=r"\|: needs bool or integer tensors, got dtypes bool "
                                        r"and float32"):
        (x > 1) | 1.5
    with pytest.raises(TypeError, match=r"~: needs a bool or integer tensor, got dtype float32"):
        ~x
    with pytest.raises(ValueError, match=r"&: shapes \(2,\) and \(3,\) cannot be broadcast"):
        (x > 1) & Tensor([True, False, True])


def test_tensors_are_dict_keys_and_set_members_by_identity():
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert len({a, b, a}) == 2


def test_optimizer_state_and_parameter_dedup_work_with_equal_valued_parameters():
    """Two parameters with the same values stay two parameters (dedup is by identity)."""
    layer = Linear(2, 2)
    layer.bias = Parameter(np.zeros(2, dtype=np.float32))
    layer.other = Parameter(np.zeros(2, dtype=np.float32))
    assert len(layer.parameters()) == 3
    opt = SGD(layer.parameters(), lr=0.1, momentum=0.9)
    for p in layer.parameters():
        p.grad = np.ones_like(p.data)
    opt.step()
    assert len(opt.state) == 3
    assert len(opt.state_dict()["state"]) == 3
