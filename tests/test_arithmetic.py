"""autograd/ops/arithmetic.py through the Tensor operators: a Python number with a floating
tensor is folded into the op (AddConst, SubConst, MulConst, DivConst, ConstSub, ConstDiv),
with the numbers of the two-tensor ops (Add, Sub, Mul, Div) bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, detect_anomaly, grad, gradcheck, no_grad
from autograd.ops import (Add, AddConst, ConstDiv, ConstSub, Div, DivConst, Mul, MulConst, Sub,
                          SubConst)

# each operator with a number, the op it makes, and the same expression on a 0-d constant
# Tensor of x's dtype: the two-tensor op (what every one of them was before being folded)
OPERATORS = {
    "x * c": (lambda x, c: x * c, MulConst, lambda x, k: x * k),
    "c * x": (lambda x, c: c * x, MulConst, lambda x, k: k * x),
    "x + c": (lambda x, c: x + c, AddConst, lambda x, k: x + k),
    "c + x": (lambda x, c: c + x, AddConst, lambda x, k: k + x),
    "x - c": (lambda x, c: x - c, SubConst, lambda x, k: x - k),
    "c - x": (lambda x, c: c - x, ConstSub, lambda x, k: k - x),
    "x / c": (lambda x, c: x / c, DivConst, lambda x, k: x / k),
    "c / x": (lambda x, c: c / x, ConstDiv, lambda x, k: k / x),
}
TWO_TENSOR_OPS = {"x * c": Mul, "c * x": Mul, "x + c": Add, "c + x": Add, "x - c": Sub,
                  "c - x": Sub, "x / c": Div, "c / x": Div}


@pytest.mark.parametrize("name", OPERATORS)
def test_a_number_with_a_floating_tensor_is_kept_in_the_op_not_made_a_tensor(name):
    make, op, _ = OPERATORS[name]
    for dtype in (np.float16, np.float32, np.float64):
        x = Tensor(np.array([1.5, -2.0], dtype=dtype), requires_grad=True)
        y = make(x, 0.5)
        assert y._fn is op and y.parents == (x,)            # one input: no constant Tensor
        assert y._ctx == 0.5 and y._ctx.dtype == dtype       # the number in x's dtype
        assert y.dtype == dtype


@pytest.mark.parametrize("name", OPERATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (2, 1, 5)])
def test_the_numbers_are_the_two_tensor_ops_bit_for_bit(name, dtype, shape):
    """Forward and gradient, including signed zeros, infinities, NaN, subnormals and numbers
    beyond float32 (1e39 becomes inf there, as the constant Tensor did): x / 3 stays a true
    division (x * (1/3) differs in the last bit), x - 0 of -0.0 stays -0.0 (x + (-0) is 0.0)."""
    make, _, with_tensor = OPERATORS[name]
    rng = np.random.default_rng(3)
    data = (rng.standard_normal(shape) * 3).astype(dtype)
    if data.size > 1:
        data.reshape(-1)[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3e38, 1 / 3]
    seed = rng.standard_normal(shape).astype(dtype)
    numbers = [0.5, 2, 3, -1, 0, 0.0, -0.0, 0.1, 1 / 3, 1e39, -1e39, 1e-50, float("inf"),
               float("-inf"), float("nan"), 2 ** 63, np.float64(0.3), dtype(0.3)]
    with np.errstate(all="ignore"):
        for c in numbers:
            x, x_before = Tensor(data, requires_grad=True), Tensor(data, requires_grad=True)
            y = make(x, c)
            before = with_tensor(x_before, Tensor(np.asarray(c, dtype=dtype)))
            assert before._fn is TWO_TENSOR_OPS[name]
            assert y._fn is not before._fn
            assert type(y.data) is type(before.data) and y.dtype == before.dtype
            assert y.data.tobytes() == before.data.tobytes(), c
            y.backward(seed)
            before.backward(seed)
            assert x.grad.dtype == x_before.grad.dtype
            assert x.grad.tobytes() == x_before.grad.tobytes(), c


@pytest.mark.parametrize("name", OPERATORS)
def test_a_zero_dim_float32_tensor_stays_float32(name):
    """numpy 1.x makes a 0-d float32 array times a Python float float64 (value-based casting);
    the number is kept as a float32, so the result is float32 under numpy 1.x and 2 alike."""
    make = OPERATORS[name][0]
    x = Tensor(np.float32(0.7), requires_grad=True)
    y = make(x, 0.1)
    y.backward()
    assert y.dtype == np.float32 and y.shape == () and x.grad.dtype == np.float32


@pytest.mark.parametrize("name", OPERATORS)
@pytest.mark.parametrize("shape", [(), (1,), (1, 3), (2, 1, 3)])
def test_gradients_match_central_differences(name, shape):
    make = OPERATORS[name][0]
    rng = np.random.default_rng(7)
    x = Tensor(rng.uniform(0.4, 2.0, shape) * rng.choice([-1, 1], shape), dtype=np.float64,
               requires_grad=True)
    for c in (0.37, -2, 3.5):
        assert gradcheck(lambda t: make(t, c), x)
        # broadcast by a tensor afterwards (a new axis, and x's axes of length 1 stretched):
        # the gradient is summed back to x's shape
        other = Tensor(rng.standard_normal((4,) + tuple(n if n > 1 else 2 for n in shape)))
        assert gradcheck(lambda t: make(t, c) * other, x)


@pytest.mark.parametrize("name", OPERATORS)
def test_second_derivatives_match_central_differences(name):
    """The first derivative is itself a graph (the ops' rules run on nodes) whose own
    derivative is checked: through grad(...) and through backward(create_graph=True)."""
    make = OPERATORS[name][0]
    x = Tensor([[0.8, -1.3, 1.7]], dtype=np.float64, requires_grad=True)
    first = grad(lambda t: (make(t, 1.5) ** 3).sum())
    assert gradcheck(first, x)
    assert gradcheck(lambda t: grad(lambda u: (make(u, -0.4) * u).sum())(t), x)
    y = (make(x, 1.5) ** 3).sum()
    y.backward(create_graph=True)
    slope = x.grad
    x.grad = None
    slope.sum().backward()
    eps, h = 1e-6, np.zeros_like(x.data)
    numeric = np.empty_like(x.data)
    for i in range(x.data.size):
        h.flat[:] = 0.0
        h.flat[i] = eps
        up = first(Tensor(x.data + h)).sum()
        down = first(Tensor(x.data - h)).sum()
        numeric.flat[i] = (up.item() - down.item()) / (2 * eps)
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-5, atol=1e-7)


def test_known_values_of_the_derivatives():
    x = Tensor([2.0, -4.0], dtype=np.float64, requires_grad=True)
    y = (3 / x).sum()                                       # d/dx = -3/x², d²/dx² = 6/x³
    y.backward(create_graph=True)
    np.testing.assert_allclose(x.grad.data, [-0.75, -0.1875])
    slope = x.grad
    x.grad = None
    slope.sum().backward()
    np.testing.assert_allclose(x.grad, [0.75, -0.09375])
    x.grad = None
    ((x / 4) + (1 - x) * 3 + (x - 2) * 0.5).sum().backward()
    np.testing.assert_allclose(x.grad, [0.25 - 3 + 0.5] * 2)


def test_integer_and_bool_tensors_arrays_and_numpy_scalars_keep_the_constant_tensor():
    """Only a floating tensor's dtype is known to hold the result; the others promote."""
    i = Tensor([1, 2, 3])
    assert (i + 1)._fn is None and (i + 1).dtype == np.int64
    assert (i * 0.5).dtype == np.float32 and (i * 0.5).tolist() == [0.5, 1.0, 1.5]
    assert (Tensor([True, False]) * 2).dtype == np.int64
    assert (i / 2).dtype == np.float32 and (i / 2).tolist() == [0.5, 1.0, 1.5]
    x = Tensor([1.0, 2.0], requires_grad=True)
    for other in (np.float16(2.0), np.array(2.0), np.array([2.0]), np.int64(2), True):
        assert (x * other)._fn is Mul and len((x * other).parents) == 2
    # a float64 scalar is a Python float; a numpy scalar of x's own dtype is x's number too
    assert (x * np.float64(2.0))._fn is MulConst and (x * np.float32(2.0))._fn is MulConst
    y = Tensor([1.0], dtype=np.float64) * np.float32(0.1)
    assert y.dtype == np.float64 and y._fn is None and y.item() == float(np.float32(0.1))


def test_reciprocal_is_one_over_x_with_one_input():
    x = Tensor([0.5, -4.0], requires_grad=True)
    y = x.reciprocal()
    assert y._fn is ConstDiv and y.parents == (x,) and y.tolist() == [2.0, -0.25]
    y.sum().backward()
    assert x.grad.tolist() == [-4.0, -0.0625]
    assert Tensor([2, 4]).reciprocal().tolist() == [0.5, 0.25]


def test_a_product_by_a_number_needs_not_its_inputs_numbers_in_backward():
    """w * 2's gradient is 2 whatever w holds (PyTorch keeps no w for it either), so w
    changed in place after it is no reason to refuse; 3 / w's rule reads w: that refuses."""
    w = Tensor(np.ones(3), requires_grad=True)
    y = w * 2 + (1 - w) + w / 4
    with no_grad():
        w[0] = 5.0
    y.sum().backward()
    assert w.grad.tolist() == [1.25, 1.25, 1.25]
    z = 3 / w
    with no_grad():
        w[1] = 5.0
    with pytest.raises(RuntimeError, match=r"backward of div: its input 0 .* changed in place"):
        z.sum().backward()


def test_detect_anomaly_passes_an_infinite_number_given_and_names_the_op_that_makes_one():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        assert (x * float("inf")).tolist() == [float("inf")] * 2      # given: passed on
        with pytest.raises(FloatingPointError, match=r"div .* produced an infinite output"):
            x / 0.0
        with pytest.raises(FloatingPointError, match=r"sub .* produced a NaN output"):
            (x * float("inf")) - float("inf")


def test_a_number_too_large_for_a_float_is_refused_as_before():
    with pytest.raises(OverflowError, match="int too large to convert to float"):
        Tensor([1.0]) * 10 ** 400
