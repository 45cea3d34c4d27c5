"""Products over an axis of length 1 (outer products), which `payload_math.matmul` hands to
np.dot instead of numpy's matmul: a linear layer's weight gradient from a batch of one row, a
layer with one input or one output feature, and `a @ b` of a column by a row. Values and
gradients must be those of the plain `@`, first and second order."""

from __future__ import annotations

import numpy as np
import pytest

import nn.functional as F
from autograd import Tensor, grad, gradcheck
from autograd.ops.payload_math import matmul

# (rows of x, input features, output features): one row, one input, one output, and both
LINEAR_SHAPES = [(1, 7, 5), (6, 1, 4), (5, 3, 1), (1, 1, 3), (1, 4, 1)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, p", [(1, 1), (1, 9), (9, 1), (128, 784)])
def test_matmul_of_a_column_and_a_row_is_numpy_s_product_exactly(m, p, dtype, rng):
    a, b = rng.standard_normal((m, 1)).astype(dtype), rng.standard_normal((1, p)).astype(dtype)
    out = matmul(a, b)
    assert out.dtype == dtype and out.flags.c_contiguous
    np.testing.assert_array_equal(out, a @ b)
    np.testing.assert_array_equal(matmul(b.T, a.T), b.T @ a.T)       # transposed views too


def test_matmul_leaves_other_cases_to_numpy(rng):
    a, b = rng.standard_normal((3, 1)), rng.standard_normal((1, 2)).astype(np.float32)
    np.testing.assert_array_equal(matmul(a, b), a @ b)                # mixed dtypes
    with pytest.raises(ValueError):
        matmul(rng.standard_normal((3, 1)), rng.standard_normal((2, 4)))  # numpy's own error


@pytest.mark.parametrize("rows, n_in, n_out", LINEAR_SHAPES)
def test_linear_at_outer_product_shapes_gradchecks(rows, n_in, n_out, rng):
    x = Tensor(rng.standard_normal((rows, n_in)), requires_grad=True)
    W = Tensor(rng.standard_normal((n_out, n_in)), requires_grad=True)
    b = Tensor(rng.standard_normal(n_out), requires_grad=True)
    up = rng.standard_normal((rows, n_out))          # a non-uniform upstream gradient

    def cost(x, W, b):
        return (F.linear(x, W, b).tanh() * Tensor(up)).sum()

    assert gradcheck(cost, x, W, b)
    assert gradcheck(lambda W: grad(cost, 1)(x, W, b), W)      # second order, through dW


@pytest.mark.parametrize("rows, n_in, n_out", LINEAR_SHAPES)
def test_linear_at_outer_product_shapes_is_the_plain_product(rows, n_in, n_out, rng):
    x = Tensor(rng.standard_normal((rows, n_in)).astype(np.float32), requires_grad=True)
    W = Tensor(rng.standard_normal((n_out, n_in)).astype(np.float32), requires_grad=True)
    g = rng.standard_normal((rows, n_out)).astype(np.float32)
    y = F.linear(x, W)
    np.testing.assert_array_equal(y.numpy(), x.numpy() @ W.numpy().T)
    (y * Tensor(g)).sum().backward()
    np.testing.assert_array_equal(np.asarray(W.grad), g.T @ x.numpy())
    np.testing.assert_array_equal(np.asarray(x.grad), g @ W.numpy())


@pytest.mark.parametrize("a_shape, b_shape", [((5, 1), (1, 4)), ((1, 6), (6, 3)),
                                              ((4, 6), (6, 1)), ((1,), (1, 3))])
def test_matmul_at_outer_product_shapes_gradchecks(a_shape, b_shape, rng):
    a = Tensor(rng.standard_normal(a_shape), requires_grad=True)
    b = Tensor(rng.standard_normal(b_shape), requires_grad=True)
    up = Tensor(rng.standard_normal((a @ b).shape))

    def cost(a, b):
        return ((a @ b).sin() * up).sum()

    assert gradcheck(cost, a, b)
    assert gradcheck(lambda a: grad(cost, 0)(a, b), a)
