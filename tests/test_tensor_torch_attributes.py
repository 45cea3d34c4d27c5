"""PyTorch's small Tensor methods about the tensor itself: dim, ndimension, contiguous and the
memory layout (is_contiguous, data_ptr, element_size), the
new_* creators (this tensor's dtype, new leaves), type_as, int, bool, half."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from autograd import Tensor, no_grad
from torch_helpers import needs_torch, torch


def test_dim_ndimension_and_contiguous():
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.dim() == t.ndimension() == 3 and Tensor(1.0).dim() == 0
    assert t.contiguous() is t


def test_memory_layout_is_numpy_s():
    """is_contiguous, data_ptr and element_size, which a ported script asks (they raised)."""
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.is_contiguous() and not x.T.is_contiguous() and not x[:, ::2].is_contiguous()
    assert x.element_size() == 8 and Tensor(np.zeros(2, np.float32)).element_size() == 4
    assert x[1].data_ptr() - x.data_ptr() == 3 * 8          # a view: in its base's memory
    y = x.T.contiguous()                                    # a row-major copy, in the graph
    assert y.is_contiguous() and y.tolist() == x.T.tolist()
    (y * Tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
    assert y.data_ptr() != x.data_ptr()


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("make", [
    lambda t: t.new_zeros(2, 3), lambda t: t.new_zeros((2, 3)), lambda t: t.new_ones(4),
    lambda t: t.new_full((2,), 3), lambda t: t.new_full((1, 2), 0.5),
    lambda t: t.new_tensor([1, 0, 2]), lambda t: t.new_tensor([[0.5, 1.5]]),
])
def test_new_tensors_take_this_tensor_s_dtype_as_in_pytorch(make, dtype):
    ours = make(Tensor(np.ones(2, dtype)))
    theirs = make(torch.tensor(np.ones(2, dtype)))
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.dtype == theirs.numpy().dtype and ours.is_leaf and not ours.requires_grad


def test_new_tensors_take_a_dtype_and_requires_grad_and_copy_their_data():
    like = Tensor(np.ones(2, np.float32), requires_grad=True) * 2
    w = like.new_zeros(3, dtype=np.float64, requires_grad=True)
    assert w.dtype == np.float64 and w.requires_grad and w.is_leaf
    data = np.array([1.0, 2.0], np.float32)
    copied = like.new_tensor(data)
    data[0] = 5.0
    assert copied.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match=r"zeros: only floating-point tensors can require "
                                        r"grad, got dtype int64"):
        Tensor([1, 2]).new_zeros(2, requires_grad=True)


def test_type_as_int_bool_half():
    x = Tensor([0.0, 1.5, -2.0], requires_grad=True)
    assert x.type_as(Tensor([1])).dtype == np.int64
    assert x.type_as(np.zeros(1, np.float64)).dtype == np.float64
    assert x.int().dtype == np.int32 and x.int().tolist() == [0, 1, -2]
    assert x.bool().tolist() == [False, True, True] and not x.bool().requires_grad
    half = x.half()
    assert half.dtype == np.float16 and half.requires_grad           # a float cast is recorded
    half.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])
    with no_grad():
        assert x.type_as(x) is x


def test_type_with_a_dtype_converts_as_in_pytorch():
    """The Quickstart's accuracy, `(pred.argmax(1) == y).type(torch.float).sum().item()`, met
    an AttributeError ("PyTorch's Tensor.type is t.dtype here ... t.astype(dtype)"): t.type(dtype)
    is PyTorch's conversion, a dtype or an old class name; t.type() alone says to read t.dtype."""
    import autograd as torch
    pred, y = Tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), Tensor([1, 1, 1])
    correct = (pred.argmax(1) == y).type(torch.float)
    assert correct.dtype == np.float32 and correct.sum().item() == 2.0
    x = Tensor([0.5, -1.0], requires_grad=True)
    double = x.type(np.float64)
    assert double.dtype == np.float64 and double.requires_grad       # recorded, as astype
    double.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    assert x.type(torch.float32) is x and x.type("torch.LongTensor").tolist() == [0, -1]
    assert Tensor([1, 0]).type("torch.BoolTensor").tolist() == [True, False]
    with pytest.raises(TypeError, match=r"type\(\): PyTorch's t.type\(\) without a dtype names "
                                        r"the tensor's class .*; here read t.dtype \(float32\)"):
        x.type()
    with pytest.raises(TypeError, match=r"type: dtype must be a dtype .* got 'torch.Float'"):
        x.type("torch.Float")
    with pytest.raises(RuntimeError, match=r"Tensor.type\(torch.cuda.FloatTensor\): there is "
                                           r"no GPU here"):
        x.type("torch.cuda.FloatTensor")


@needs_torch
def test_type_takes_torch_s_dtypes_and_tensor_classes():
    x = Tensor([1, 0])
    assert x.type(torch.float64).dtype == np.float64 and x.type(torch.FloatTensor).dtype == np.float32
    assert x.type(torch.float32).tolist() == torch.tensor([1, 0]).type(torch.float32).tolist()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="notes on exceptions are Python 3.11+")
def test_the_note_on_numpy_s_attribute_error_says_what_the_tensor_has():
    """The note on `p.data.requires_grad` or `p.grad.exp_()` said "call t.requires_grad(...)
    on the Tensor itself" (an attribute, not a method) and "call t.exp_(...)" (which a Tensor
    has not either): an attribute is read, and a name PyTorch spells otherwise here gets the
    Tensor's own hint."""
    from autograd.pytorch_names import note_numpy_attribute

    def note(name):
        try:
            getattr(np.zeros(2), name)
        except AttributeError as error:
            note_numpy_attribute(error)
            return error.__notes__[0]
    assert note("requires_grad").endswith("read t.requires_grad on the Tensor itself")
    assert note("backward").endswith("call t.backward(...) on the Tensor itself, or numpy on "
                                     "the array")
    assert "a Tensor here has no resize_ either (PyTorch's Tensor.resize_ is t.reshape" \
           in note("resize_")
    assert "call t." not in note("share_memory_")
    assert note("exp_").endswith("call t.exp_(...) on the Tensor itself, or numpy on the array")
    # FGSM's x.grad.sign(): it said "call t.sign(...) on the Tensor itself", which is x, whose
    # sign is not the gradient's; numpy's function of the name is meant
    assert note("sign").endswith("np.sign(a) on the array (x.grad.sign() is np.sign(x.grad)), "
                                 "or t.sign(...) on a Tensor")
    # style transfer's img.data.clamp_(0, 1): t.clamp_ on the image is refused outside no_grad()
    assert "np.clip(img.data, 0, 1, out=img.data)" in note("clamp_")
    assert note("clamp").endswith("np.clip(a, lo, hi) (a new array), or t.clamp(lo, hi) on a "
                                  "Tensor")
    # a weight EMA by hand, ema_p.data.mul_(decay).add_(p.data, alpha=1 - decay) (s34)
    assert "ema_p.mul_(decay).add_(p.detach(), alpha=1 - decay)" in note("mul_")
    assert "ema_p.data *= decay" in note("mul_") and "ema_p.lerp_(" in note("lerp_")
    assert "p.add_(p.grad, alpha=-lr)" in note("add_") and "p.data -= lr * p.grad" in note("add_")
    # a target network's Polyak step, and hand-written SGD's p.data.sub_(lr * p.grad) (s34 rl)
    assert "a target network's Polyak step" in note("mul_")
    assert "p.data -= lr * p.grad" in note("sub_") and "a /= x" in note("div_")
    # PixelCNN's register_buffer("mask", self.weight.data.clone()), then self.mask.fill_(1):
    # the Tensor copy, whose fill_ works, not only the array's copy (s34 flows)
    assert "register_buffer('mask', self.weight.detach().clone())" in note("clone")
    assert note("clone").endswith("or a.copy() for an array")
    # only where numpy's function of one array is the method: np.where(x.grad) gives indices,
    # np.split(x.grad, 2) two halves (PyTorch's split(2) pieces of 2), np.maximum two arrays
    for name in ("where", "split", "maximum", "roll"):
        assert note(name).endswith(f"call t.{name}(...) on the Tensor itself, or numpy on the "
                                   f"array"), name



@pytest.mark.skipif(sys.version_info < (3, 11), reason="notes on exceptions are Python 3.11+")
def test_pytorchs_grad_data_is_a_memoryview_and_the_note_says_so():
    """CS231n's `X.grad.data.abs()`: an array's `.data` is numpy's memoryview, whose error
    named neither; leaving `no_grad()` the note says `p.grad.data` is `p.grad` here. A name a
    Tensor has not either gets no note."""
    x = Tensor([1.0, -2.0], requires_grad=True)
    (x * x).sum().backward()
    with pytest.raises(AttributeError, match="'memoryview' object has no attribute 'abs'") as e:
        with no_grad():
            x.grad.data.abs()
    assert e.value.__notes__ == ["glassgrad: a memoryview, numpy's .data of an array, has no "
                                 "abs; p.grad and p.data are numpy arrays here, not Tensors as "
                                 "in PyTorch, so p.grad.data is p.grad: np.abs(a) (w.data *= "
                                 "np.abs(w.data) >= 5 keeps the large weights)"]
    with pytest.raises(AttributeError) as e:
        with no_grad():
            x.grad.data.no_such_method()
    assert not getattr(e.value, "__notes__", [])
