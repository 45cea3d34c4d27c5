"""Dtype rules (PyTorch's): Python floats and lists become the default dtype (float32 unless
changed), numpy arrays keep theirs, ints stay ints, Python numbers do not promote a float32
tensor, and gradients always have their tensor's dtype."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, ones, set_default_dtype, zeros
from autograd import functional as F


def test_python_floats_become_float32():
    """Tensor([1.0]) and Tensor(1.5) are float32 (the default dtype)."""
    assert Tensor([1.0]).dtype == np.float32
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([[1.0, 2], [3, 4]]).dtype == np.float32
    assert autograd.get_default_dtype() == np.float32


def test_numpy_arrays_keep_their_dtype():
    """float64 and float16 arrays, and numpy scalars, are not converted."""
    assert Tensor(np.array([1.0])).dtype == np.float64
    assert Tensor(np.array([1.0], dtype=np.float16)).dtype == np.float16
    assert Tensor(np.float64(1.0)).dtype == np.float64


def test_python_ints_become_int64():
    """Tensor([1, 2]) is int64; an explicit dtype wins."""
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_set_default_dtype_changes_lists(restore_default_dtype):
    """After set_default_dtype(float64), lists and numbers become float64 (restored after)."""
    set_default_dtype(np.float64)
    assert autograd.get_default_dtype() == np.float64
    assert Tensor([1.0]).dtype == np.float64
    assert zeros(2).dtype == np.float64 and ones((2, 2)).dtype == np.float64
    assert (Tensor([1, 2]) * 0.5).dtype == np.float64


def test_set_default_dtype_rejects_non_floats(restore_default_dtype):
    """Only floating dtypes can be the default."""
    with pytest.raises(TypeError):
        set_default_dtype(np.int32)
    assert autograd.get_default_dtype() == restore_default_dtype


def test_float32_tensor_plus_python_number_stays_float32():
    """Python numbers take the tensor's dtype: no silent promotion to float64."""
    x = Tensor([1.0, 2.0])
    for y in (x + 1.5, 1.5 + x, x * 2, x / 3.0, 2.0 - x, x ** 2.0, 2.0 ** x, x.maximum(0.5)):
        assert y.dtype == np.float32


def test_int_tensor_arithmetic():
    """int64 with a Python int stays int64; with a Python float it becomes the default float."""
    i = Tensor([1, 2])
    assert (i + 1).dtype == np.int64
    assert (i * 1.5).dtype == np.float32


@pytest.mark.parametrize("compute", [
    lambda t: t / 255, lambda t: 256 / t, lambda t: t / t, lambda t: t.exp(),
    lambda t: t.log(), lambda t: t.sqrt(), lambda t: t.tanh(), lambda t: t.sigmoid(),
    lambda t: t ** 0.5, lambda t: t.softmax(), lambda t: t.sin(), lambda t: t.cos(),
    lambda t: t.log_softmax(), lambda t: t.logsumexp(),
])
def test_fractions_of_integer_tensors_are_the_default_float_dtype(compute,
                                                                  restore_default_dtype):
    """PyTorch's rule: an op whose result is a fraction makes an integer (or bool) tensor the
    default float dtype; numpy would give float64, or float16 from uint8 (exp(128) = inf)."""
    pixels = Tensor(np.array([[1, 128, 255]], np.uint8))
    with np.errstate(over="ignore"):                 # exp(255) is inf in float32 too
        expected = compute(Tensor(pixels.data.astype(np.float32)))
        got = compute(pixels)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.data, expected.data, rtol=1e-6)
    set_default_dtype(np.float64)
    assert compute(Tensor(np.array([2, 3]))).dtype == np.float64
    assert (pixels ** 2).dtype == np.uint8 and (pixels + 1).dtype == np.uint8  # ints stay
    big = Tensor(np.array([16777217, 16777219]))      # a mean is exact (taken in float64)
    assert big.mean().item() == 16777218.0
    total = pixels.sum()                               # int64, as in PyTorch: numpy's uint64
    assert total.dtype == np.int64 and (total - 1000).item() == 384 - 1000   # would wrap


def test_integers_divided_by_a_float_tensor_take_its_dtype():
    """PyTorch's: int64 / float64 (even 0-d) is float64 and int64 / float16 float16, either way
    round; only a Python number leaves the default float dtype (the division was made in
    float32 first: 1 / 3.0 lost its last digits)."""
    i, f = Tensor([1, 2]), Tensor(np.array(3.0))
    assert (i / f).dtype == (f / i).dtype == np.float64
    assert (i / f).data[0] == 1 / 3 and (f / i).data[1] == 1.5
    half = Tensor(np.array([2.0], np.float16))
    assert (i / half).dtype == (half / i).dtype == np.float16
    assert (i / 3).dtype == (3 / i).dtype == np.float32


@pytest.mark.parametrize("reduce", [lambda t: t.mean(), lambda t: t.mean(axis=0),
                                    lambda t: t.var(), lambda t: t.std(ddof=1),
                                    lambda t: t.var(0, keepdim=True, unbiased=True)])
def test_means_and_variances_of_integers_are_the_default_float_dtype(reduce):
    """As every fraction of an integer tensor (numpy's float64 before), computed in float64 so
    that large integers do not round: 2**24 + 1 is not a float32."""
    counts = Tensor(np.array([[16777217, 3], [16777219, 5]]))
    got = reduce(counts)
    assert got.dtype == np.float32
    expected = reduce(Tensor(counts.data.astype(np.float64)))
    np.testing.assert_allclose(got.data, expected.data.astype(np.float32), rtol=0)
    assert Tensor([True, False, True, True]).mean().item() == 0.75
    assert counts.mean(dtype=np.float64).dtype == np.float64      # a dtype given: that one


def test_mixed_tensor_dtypes_promote_like_numpy():
    """float32 with float64 tensors gives float64 (numpy's promotion)."""
    assert (Tensor([1.0]) + Tensor(np.array([1.0]))).dtype == np.float64


def test_an_integer_tensor_cast_for_a_float_one_keeps_its_label():
    """The cast copy stands in the graph for the integer tensor: drawings name it as given."""
    counts = Tensor(np.arange(3), label="counts")
    w = Tensor([0.5, 1.0, 2.0], requires_grad=True, label="w")
    assert [x.label for x in (counts * w).parents] == ["counts", "w"]
    assert [x.label for x in (w + counts).parents] == ["w", "counts"]


@pytest.mark.parametrize("product", [
    lambda f, i: f @ i, lambda f, i: i.T @ f.T, lambda f, i: f.mm(i),
    lambda f, i: f[None].bmm(i[None]), lambda f, i: autograd.matmul(f, i.data),
    lambda f, i: f @ i.data.tolist(), lambda f, i: f[0].dot(i[0]),
])
@pytest.mark.parametrize("int_dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("float_dtype", [np.float32, np.float64])
def test_products_of_integer_and_float_tensors_take_the_floats_dtype(product, int_dtype,
                                                                     float_dtype):
    """As `*` and `+` do (`_promote`): numpy's float32 @ int64 or int32 is float64."""
    f = Tensor(np.array([[0.5, 1.5]], float_dtype), requires_grad=True)
    i = Tensor(np.array([[1, 0], [1, 1]]).astype(int_dtype))
    out = product(f, i)
    assert out.dtype == float_dtype == (f * i).dtype
    out.sum().backward()
    assert f.grad.dtype == float_dtype


def test_linear_of_integer_input_takes_the_weights_float_dtype(restore_default_dtype):
    """As `*` would; it took the default dtype, so a float32 layer made before
    set_default_dtype(float64) gave float64 for int64 input."""
    from autograd import functional as F
    weight = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    set_default_dtype(np.float64)
    assert F.linear(Tensor(np.ones((4, 3), np.int64)), weight).dtype == np.float32


def test_a_0d_float_tensor_does_not_widen_a_float_tensor_with_dimensions():
    """PyTorch's rule: a float64 scalar tensor times a float32 batch is float32 (numpy's would be
    float64); the scalar's gradient comes back float64 through the cast. Two tensors with
    dimensions, or two 0-d ones, keep numpy's promotion."""
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    s = Tensor(np.float64(0.5), requires_grad=True)
    for y in (x * s, s * x, x + s, s - x, x / s):
        assert y.dtype == np.float32
    (x * s).sum().backward()
    assert s.grad.dtype == np.float64 and s.grad.item() == 3.0
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [0.5, 0.5]
    assert (Tensor(np.float32(1.0)) + Tensor(np.float64(1.0))).dtype == np.float64


def test_gradients_have_their_tensors_dtype():
    """A float32 leaf gets a float32 gradient even through float64 ops; float64 stays float64."""
    a = Tensor([1.0, 2.0], requires_grad=True)                     # float32
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)           # float64
    y = (a * b).sum()
    assert y.dtype == np.float64
    y.backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])


def test_astype_gradient_is_cast_back():
    """x.astype(float64) of a float32 leaf: the gradient comes back float32; astype to the same
    dtype is the tensor itself (no node)."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.parents == (x,)
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert x.astype(np.float32) is x


def test_float32_end_to_end_stays_float32():
    """A float32 network: every intermediate and every gradient is float32."""
    from autograd import functional as F
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)).astype(np.float32))
    W = Tensor(rng.normal(size=(2, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    h = F.linear(x, W, b).tanh()
    loss = F.cross_entropy(h, np.array([0, 1, 1, 0])) + (h * 0.5).mean() + h.var()
    assert loss.dtype == np.float32
    loss.backward()
    assert W.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_creation_helpers():
    """zeros/ones use the default dtype, accept a shape tuple or ints, and an explicit dtype."""
    assert zeros(2, 3).shape == (2, 3) and zeros((2, 3)).dtype == np.float32
    assert ones(3, dtype=np.float64).dtype == np.float64
    z = zeros(2, requires_grad=True)
    assert z.requires_grad and z.grad is None


def test_value_is_always_a_python_float():
    """Value payloads and gradients are Python floats whatever numbers went in."""
    v = autograd.Value(np.float32(1.5))
    y = v * np.float32(2.0) + np.int64(1)
    y.backward()
    assert type(y.data) is float and type(v.grad) is float


def test_numpy_scalars_do_not_turn_float32_into_float64():
    # numpy scalars count as strong types in numpy's promotion; ours takes them as numbers
    from autograd import where
    x = Tensor([1.0, 2.0], requires_grad=True)
    results = {"x ** np.float64(2)": x ** np.float64(2), "np.float64(2) ** x": np.float64(2) ** x,
               "x ** np.int64(2)": x ** np.int64(2),
               "clip": x.clip(np.float64(1.5), np.float64(3.0)),
               "where(c, np.float64(0), x)": where(x.data > 1, np.float64(0.0), x),
               "where(c, x, np.float64(0))": where(x.data > 1, x, np.float64(0.0))}
    assert {name: r.dtype for name, r in results.items()} == {name: np.float32 for name in results}
    np.testing.assert_array_equal(results["where(c, np.float64(0), x)"].data, [1.0, 0.0])
    results["where(c, np.float64(0), x)"].sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0])


def test_bool_tensors_with_python_numbers_follow_pytorch():
    mask = Tensor([True, False, True])
    assert (mask + 1).dtype == np.int64 and (mask + 1).data.tolist() == [2, 1, 2]
    assert (2 * mask).dtype == np.int64
    assert (mask * 0.5).dtype == np.float32
    assert (mask + True).dtype == np.bool_


def test_an_integer_tensor_cannot_be_made_to_require_grad_by_assignment():
    """`t.requires_grad = True` refuses an integer tensor, as `Tensor(..., requires_grad=True)`
    and `t.requires_grad_()` do: integers have no gradient (PyTorch raises here too)."""
    t = Tensor(np.arange(3))
    with pytest.raises(TypeError, match="floating"):
        t.requires_grad = True


def _torch_dtype(name: str) -> object:
    """A stand-in for torch.<name> (torch is optional): an object of a class `dtype` from the
    module `torch`, printed as torch prints its dtypes."""
    cls = type("dtype", (), {"__module__": "torch", "__repr__": lambda self: f"torch.{name}"})
    return cls()


@pytest.mark.parametrize("make", [
    lambda d: Tensor([1.0, 2.0], dtype=d), lambda d: autograd.tensor([1.0], dtype=d),
    lambda d: autograd.zeros(2, dtype=d), lambda d: autograd.full((2,), 3, dtype=d),
    lambda d: autograd.arange(3, dtype=d), lambda d: autograd.randn(2, dtype=d),
    lambda d: Tensor([1.0]).astype(d), lambda d: Tensor([1.0]).to(d),
    lambda d: Tensor([1.0]).sum(dtype=d), lambda d: Tensor([1.0]).new_zeros(2, dtype=d),
    lambda d: __import__("nn").Linear(2, 2, dtype=d).weight,
])
def test_every_dtype_argument_reads_dtypes_as_to_does(make):
    """dtype= (Tensor, creation functions, layers, reductions) and astype read a dtype as
    .to(dtype) does: a torch dtype by its name (numpy's "Cannot interpret 'torch.float64'",
    or "must be a numpy dtype", before), and "float", float32 to PyTorch but float64 to
    numpy, refused (Tensor([1.0], dtype="float") was silently float64, beside
    autograd.float, float32)."""
    assert make(_torch_dtype("float64")).dtype == np.float64
    assert make("float64").dtype == make(autograd.float64).dtype == np.float64
    with pytest.raises(TypeError, match=r"'float' is float64 to numpy but float32 to PyTorch"):
        make("float")
    with pytest.raises(TypeError, match=r"numpy has no torch\.bfloat16"):
        make(_torch_dtype("bfloat16"))


def test_set_default_dtype_reads_dtypes_as_to_does(restore_default_dtype):
    set_default_dtype(_torch_dtype("float64"))
    assert autograd.get_default_dtype() == np.float64
    with pytest.raises(TypeError, match=r"'float' is float64 to numpy"):
        set_default_dtype("float")


@pytest.mark.parametrize("compute", [
    lambda x: x ** 0.5, lambda x: x ** 3, lambda x: x.rsqrt(), lambda x: 2.0 ** x,
    lambda x: x.exp2(), lambda x: x.clamp(0.1, 0.9), lambda x: x.clamp(min=0.1),
    lambda x: x.xlogy(2.0), lambda x: x.logit(1e-3), lambda x: x.sigmoid(), lambda x: x.sinc(),
    lambda x: x.reshape(1).norm(p=3),
    lambda x: __import__("nn").functional.leaky_relu(x, 0.1),
    lambda x: __import__("nn").functional.elu(x), lambda x: __import__("nn").functional.silu(x),
    lambda x: __import__("nn").functional.softplus(x, beta=2.0),
    lambda x: __import__("nn").functional.hardswish(x),
    lambda x: __import__("nn").functional.huber_loss(x, Tensor(np.array(0.2, x.dtype)), delta=0.5),
    lambda x: __import__("nn").functional.smooth_l1_loss(x, Tensor(np.array(0.2, x.dtype)), beta=0.5),
    # (these were float64 on numpy 1.x too, until ops/numpy1.py's @in_input_dtype took them)
    lambda x: x.relu(), lambda x: x.logsumexp(),
    lambda x: __import__("nn").functional.hinge_loss(x, Tensor(np.array(1.0, x.dtype))),
    lambda x: F.binary_cross_entropy(x, Tensor(np.array(0.3, x.dtype))),
    lambda x: F.binary_cross_entropy(x, Tensor(np.array(1.0, x.dtype)), weight=2.0),
    lambda x: F.binary_cross_entropy_with_logits(x, Tensor(np.array(0.3, x.dtype))),
    lambda x: F.binary_cross_entropy_with_logits(x, Tensor(np.array(1.0, x.dtype)),
                                                 pos_weight=Tensor(np.array(3.0, x.dtype))),
    lambda x: __import__("nn").BCEWithLogitsLoss()(x, Tensor(np.array(0.0, x.dtype))),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_ops_on_0d_tensors_keep_their_dtype_on_every_numpy(compute, dtype):
    """numpy 1.x made a 0-d float32 with a Python number float64 (a loss is 0-d: `loss ** 0.5`
    and `loss.clamp(...)` were float64 there, float32 on numpy 2 and in PyTorch); the numbers
    and the gradient are those of the op in float64, to the dtype's precision."""
    x = Tensor(np.array(0.6, dtype), requires_grad=True)
    y = compute(x)
    assert y.dtype == dtype
    y.backward()
    assert x.grad.dtype == dtype
    x64 = Tensor(np.array(0.6), requires_grad=True)
    y64 = compute(x64)
    y64.backward()
    tol = 1e-6 if dtype == np.float32 else 2e-3
    np.testing.assert_allclose(y.data, y64.data, rtol=tol)
    np.testing.assert_allclose(x.grad, x64.grad, rtol=tol * 10)
    h = 1e-6                                          # x64's gradient: central differences
    numeric = (compute(Tensor(np.array(0.6 + h))).item()
               - compute(Tensor(np.array(0.6 - h))).item()) / (2 * h)
    np.testing.assert_allclose(x64.grad, numeric, rtol=1e-6)


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "logaddexp2", "xlogy",
                                  "copysign"])
def test_integers_beside_a_float_tensor_take_its_dtype_in_binary_functions(name):
    """As in `/` (PyTorch's: int32.atan2(float16) is float16, int64.hypot(a 0-d float64)
    float64): the integer tensor was made the default float dtype first, so a float16 operand
    gave float32 and a 0-d float64 one was narrowed to float32. The gradient reaches the float
    operand in its dtype, with the float64 numbers."""
    ints = Tensor(np.array([1, 2, 3], np.int32))
    for dtype, other in [(np.float16, np.array([2.0, 0.5, 1.5], np.float16)),
                         (np.float64, np.array(1.5))]:
        y = Tensor(other, requires_grad=True)
        out = getattr(ints, name)(y)
        assert out.dtype == dtype, (dtype, out.dtype)
        out.sum().backward()
        assert y.grad.dtype == dtype
    y = Tensor(np.array(1.5), requires_grad=True)           # float64: central differences
    getattr(ints, name)(y).sum().backward()
    h = 1e-6
    numeric = (getattr(ints, name)(Tensor(np.array(1.5 + h))).sum().item()
               - getattr(ints, name)(Tensor(np.array(1.5 - h))).sum().item()) / (2 * h)
    np.testing.assert_allclose(y.grad, numeric, rtol=1e-6, atol=1e-9)
    assert getattr(ints, name)(2.0).dtype == np.float32                # a number: the default


@pytest.mark.parametrize("call", [
    lambda x, d: x.mean(dtype=d), lambda x, d: x.mean(0, dtype=d), lambda x, d: x.var(dtype=d),
    lambda x, d: x.std(dtype=d), lambda x, d: x.nanmean(dtype=d), lambda x, d: x.norm(dtype=d),
    lambda x, d: x.softmax(0, dtype=d), lambda x, d: x.log_softmax(dim=1, dtype=d),
    lambda x, d: F.softmax(x, dim=0, dtype=d), lambda x, d: F.log_softmax(x, 1, dtype=d),
    lambda x, d: autograd.mean(x, dtype=d),
])
@pytest.mark.parametrize("dtype", [np.int64, "int32", bool, _torch_dtype("int64")])
@pytest.mark.parametrize("data", [[[1.0, 2.0], [3.0, 5.0]], [[1, 2], [3, 5]]])
def test_a_fraction_asked_for_in_an_integer_dtype_is_refused(call, dtype, data):
    """PyTorch refuses mean(dtype=torch.int64), softmax(dtype=torch.int64), ...; the result
    came silently in a float dtype. A floating dtype is still taken."""
    x = Tensor(data)
    with pytest.raises(TypeError, match=r"^[a-z_]+: dtype must be a floating dtype, got "
                                        r"(int64|int32|bool): the result holds fractions"):
        call(x, dtype)
    assert call(x, np.float64).dtype == np.float64


def test_module_type_casts_floating_parameters_and_buffers():
    """PyTorch's model.type(dtype) was missing (an AttributeError): `to(dtype)`, also given
    PyTorch's tensor type names; integer buffers keep their dtype, integer dtypes and CUDA
    types are refused."""
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert model.type(np.float64) is model
    assert model[0].weight.dtype == model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    for dst_type, dtype in [("torch.HalfTensor", np.float16), (_torch_dtype("float32"), np.float32),
                            ("float64", np.float64)]:
        assert model.type(dst_type)[0].bias.dtype == dtype
    with pytest.raises(TypeError, match=r"^Sequential.type: .*floating point dtypes, got int64"):
        model.type(np.int64)
    with pytest.raises(TypeError, match=r"^Sequential.type: torch.LongTensor holds no floating "
                                        r"dtype; give one of torch.FloatTensor"):
        model.type("torch.LongTensor")
    with pytest.raises(RuntimeError, match=r"^Sequential.type\(torch.cuda.FloatTensor\): there "
                                           r"is no GPU here"):
        model.type("torch.cuda.FloatTensor")
    assert model[0].weight.dtype == np.float64          # (a refusal changes nothing)
