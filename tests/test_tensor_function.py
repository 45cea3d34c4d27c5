"""`autograd.tensor(data)`, PyTorch's `torch.tensor`: dtypes as PyTorch infers them, always a
copy, a leaf cut from any graph, and its place beside the module autograd/tensor.py (whose name
the function takes in the package). With torch installed, dtypes and values are checked
against it."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, tensor

try:
    import torch
except ImportError:                                   # optional cross-check
    torch = None

DATA = [3, 2.5, True, [0, 5, 13], [[0.5, 1.0], [2.0, -1.0]], [[True, False]], [],
        np.arange(3, dtype=np.int32), np.linspace(0, 1, 4), np.float64(2.0),
        np.ones((2, 0), np.float32)]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_dtypes_follow_pytorchs_rules(data):
    """Python floats take the default dtype (float32), ints int64, bools bool; numpy data
    keeps its dtype."""
    made = tensor(data)
    expected = {int: np.int64, float: np.float32, bool: np.bool_}
    if isinstance(data, (np.ndarray, np.generic)):
        assert made.dtype == data.dtype
    elif isinstance(data, (int, float, bool)):
        assert made.dtype == expected[type(data)] and made.shape == ()
    np.testing.assert_array_equal(made.data, np.asarray(data, dtype=made.dtype))


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional cross-check: pip install torch)")
@pytest.mark.parametrize("data", DATA, ids=repr)
def test_dtype_and_values_match_torch_tensor(data):
    ours, theirs = tensor(data), torch.tensor(data).numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.data, theirs)


def test_it_copies_where_tensor_of_an_array_shares():
    array = np.array([1.0, 2.0])
    copied, shared = tensor(array), Tensor(array)
    array[0] = 7.0
    assert copied.data[0] == 1.0 and shared.data[0] == 7.0
    source = tensor([1.0, 2.0])
    again = tensor(source)
    source.data[1] = -1.0
    assert again.data[1] == 2.0


def test_a_tensor_in_a_graph_gives_a_detached_leaf():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = tensor(x * 3)
    assert not y.requires_grad and y.grad is None
    np.testing.assert_array_equal(y.data, [3.0, 6.0])
    w = tensor(y, requires_grad=True)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [6.0, 12.0])
    assert x.grad is None                     # nothing flowed back through the copy


def test_dtype_device_and_requires_grad():
    made = tensor([1, 2], dtype=np.float64, device="cpu", requires_grad=True)
    assert made.dtype == np.float64 and made.requires_grad
    assert tensor([[1.5]], dtype="float16").dtype == np.float16


@pytest.mark.parametrize("call, error, message", [
    (lambda: tensor([1, 2], requires_grad=True), TypeError,
     r"^tensor: only floating-point tensors can require grad, got dtype int64"),
    (lambda: tensor([1.0], dtype="floot"), TypeError,
     r"^tensor: dtype must be a numpy dtype \(such as np.float32\), got 'floot'"),
    (lambda: tensor([1.0], device="cuda"), RuntimeError, r"^tensor\(\.\.\., device='cuda'\)"),
    (lambda: tensor([[1], [2, 3]]), ValueError, r"rectangular"),
    (lambda: tensor("abc"), TypeError, r"expected numbers"),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_function_takes_the_name_and_the_module_still_imports():
    """`import autograd as torch; torch.tensor(xs)` calls the function; `from autograd.tensor
    import Tensor` still reads the module (imports go through sys.modules)."""
    import sys
    from autograd.tensor import Tensor as FromModule
    assert autograd.tensor is tensor and callable(autograd.tensor)
    assert FromModule is Tensor and sys.modules["autograd.tensor"].Tensor is Tensor


def test_as_tensor_shares_what_it_can_and_converts_the_rest():
    a = np.array([1.0, 2.0])
    shared = autograd.as_tensor(a)
    a[0] = 5.0
    assert shared.data[0] == 5.0 and shared.dtype == np.float64
    converted = autograd.as_tensor(a, dtype=np.float32)
    a[1] = 9.0
    assert converted.dtype == np.float32 and converted.data.tolist() == [5.0, 2.0]
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert autograd.as_tensor(t) is t
    doubled = autograd.as_tensor(t, dtype="float64")
    assert doubled.dtype == np.float64 and doubled.parents == (t,)     # differentiable, as .to
    assert autograd.as_tensor([[1, 2]]).dtype == np.int64
    assert autograd.as_tensor(2.5).dtype == np.float32
    assert autograd.as_tensor(a, device="cpu").data is a
    with pytest.raises(RuntimeError, match=r"as_tensor\(\.\.\., device='cuda'\)"):
        autograd.as_tensor(a, device="cuda")
