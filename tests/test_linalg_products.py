"""matrix_power, multi_dot, kron and cross: values against numpy's (np.linalg.matrix_power,
np.linalg.multi_dot, np.kron, np.cross), gradients against central finite differences in
float64 (batches, broadcasting, negative powers), and mistakes named."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, grad, gradcheck, linalg
from autograd.linalg_products import _chain_order
from conftest import t64
from linalg_helpers import TIGHT


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 5, 6])
@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2), (1, 1), (0, 2, 2)], ids=str)
def test_matrix_power_is_numpy_s_and_its_gradient_matches_finite_differences(n, shape, rng):
    a = 0.4 * rng.standard_normal(shape) + np.eye(shape[-1])
    out = linalg.matrix_power(Tensor(a), n)
    np.testing.assert_allclose(out.data, np.linalg.matrix_power(a, n), rtol=1e-10, atol=1e-12)
    w = Tensor(rng.standard_normal(shape))
    assert gradcheck(lambda A: (linalg.matrix_power(A, n) * w).sum(), t64(a), **TIGHT)


def test_matrix_power_second_derivatives_and_its_names(rng):
    a = 0.4 * rng.standard_normal((2, 3, 3)) + np.eye(3)
    cost = lambda A: (linalg.matrix_power(A, -2) ** 2).sum()         # noqa: E731
    assert gradcheck(lambda A: grad(cost)(A), t64(a), atol=1e-7, rtol=1e-5)
    A = Tensor(a)
    np.testing.assert_array_equal(A.matrix_power(3).data, linalg.matrix_power(A, 3).data)
    np.testing.assert_array_equal(autograd.matrix_power(A, 3).data, A.matrix_power(3).data)
    ints = Tensor(np.array([[1, 1], [0, 1]]))
    assert linalg.matrix_power(ints, 3).tolist() == [[1, 3], [0, 1]]


def test_matrix_power_0_is_the_identity_with_a_zero_gradient():
    A = t64([[2.0, 1.0], [0.0, np.inf]])
    out = linalg.matrix_power(A, 0)
    assert out.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    out.sum().backward()
    np.testing.assert_array_equal(A.grad, 0.0)


@pytest.mark.parametrize("shapes", [[(3,), (3, 4)], [(2, 3), (3, 4), (4, 5), (5, 1)],
                                    [(3,), (3, 4), (4,)], [(5, 2), (2, 7), (7,)],
                                    [(3,), (3, 0), (0, 2)]], ids=str)
def test_multi_dot_is_numpy_s_and_its_gradient_matches_finite_differences(shapes, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    out = linalg.multi_dot([Tensor(a) for a in arrays])
    np.testing.assert_allclose(out.data, np.linalg.multi_dot(arrays), rtol=1e-12, atol=1e-14)
    w = Tensor(rng.standard_normal(out.shape))
    assert gradcheck(lambda *xs: (linalg.multi_dot(list(xs)) * w).sum(),
                     *[t64(a) for a in arrays], **TIGHT)


def test_multi_dot_multiplies_in_the_cheapest_order():
    """10 × 100, 100 × 5, 5 × 50: (AB)C costs 7,500 multiplications, A(BC) 75,000."""
    assert _chain_order([10, 100, 5, 50])[0][2] == 1            # split after B: (AB)C
    assert _chain_order([50, 5, 100, 10])[0][2] == 0            # split after A: A(BC)


@pytest.mark.parametrize("a_shape, b_shape", [((2, 3), (4,)), ((2,), (3,)), ((), ()),
                                              ((2, 1, 3), (2, 2)), ((1, 2), (3, 4))], ids=str)
def test_kron_is_numpy_s_and_its_gradient_matches_finite_differences(a_shape, b_shape, rng):
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    out = autograd.kron(Tensor(a), Tensor(b))
    np.testing.assert_allclose(out.data, np.kron(a, b), rtol=1e-15)
    np.testing.assert_array_equal(Tensor(a).kron(Tensor(b)).data, out.data)
    w = Tensor(rng.standard_normal(out.shape))
    assert gradcheck(lambda A, B: (autograd.kron(A, B) * w).sum(), t64(a), t64(b), **TIGHT)


@pytest.mark.parametrize("a_shape, b_shape, dim", [((4, 3), (4, 3), -1), ((3, 5), (3, 5), 0),
                                                   ((2, 1, 3), (1, 4, 3), -1),
                                                   ((3, 2), (3, 1), 0), ((0, 3), (0, 3), 1)],
                         ids=str)
def test_cross_is_numpy_s_and_its_gradient_matches_finite_differences(a_shape, b_shape, dim,
                                                                     rng):
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    out = linalg.cross(Tensor(a), Tensor(b), dim=dim)
    np.testing.assert_allclose(out.data, np.cross(a, b, axis=dim), rtol=1e-14, atol=1e-15)
    w = Tensor(rng.standard_normal(out.shape))
    assert gradcheck(lambda A, B: (linalg.cross(A, B, dim=dim) * w).sum(), t64(a), t64(b),
                     **TIGHT)


def test_tensor_cross_defaults_to_the_first_axis_of_length_3_as_pytorch(rng):
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    np.testing.assert_allclose(Tensor(a).cross(Tensor(b)).data, np.cross(a, b, axis=0))
    np.testing.assert_allclose(autograd.cross(Tensor(a), Tensor(b), dim=1).data,
                               np.cross(a, b, axis=1))
    with pytest.raises(ValueError, match=r"^cross: no axis of shape \(2, 4\) has length 3"):
        Tensor(np.ones((2, 4))).cross(Tensor(np.ones((2, 4))))


@pytest.mark.parametrize("call, error, message", [
    (lambda: linalg.matrix_power(Tensor(np.ones((2, 3))), 2), ValueError,
     r"^matrix_power: A must be a square matrix or a batch of them \(\.\.\., m, m\), got shape "
     r"\(2, 3\)"),
    (lambda: linalg.matrix_power(Tensor(np.ones(3)), 2), ValueError,
     r"^matrix_power: A must be a square matrix .* got shape \(3,\)"),
    (lambda: linalg.matrix_power(Tensor(np.eye(2)), 1.5), TypeError,
     r"^matrix_power: n must be an int, got 1\.5"),
    (lambda: linalg.matrix_power(Tensor(np.eye(2)), True), TypeError,
     r"^matrix_power: n must be an int, got True"),
    (lambda: linalg.matrix_power(Tensor(np.eye(2, dtype=np.int64)), -1), TypeError,
     r"^matrix_power: a negative n \(-1\) needs A⁻¹, so a floating A, got dtype int64"),
    (lambda: linalg.matrix_power(Tensor(np.zeros((2, 2))), -1), np.linalg.LinAlgError,
     r"^inv: A \(shape \(2, 2\)\) is singular"),
    (lambda: linalg.multi_dot([Tensor(np.ones(3))]), ValueError,
     r"^multi_dot: needs at least 2 tensors, got 1"),
    (lambda: linalg.multi_dot(Tensor(np.ones((2, 2)))), TypeError,
     r"^multi_dot: takes a list of tensors, got Tensor"),
    (lambda: linalg.multi_dot([Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3)))]), ValueError,
     r"^multi_dot: tensors 0 and 1 of shapes \(2, 3\) and \(4, 3\) cannot be multiplied \(3 "
     r"columns against 4 rows\)"),
    (lambda: linalg.multi_dot([Tensor(np.ones((2, 3))), Tensor(np.ones(3)), Tensor(np.ones(3))]),
     ValueError, r"^multi_dot: tensor 1 has shape \(3,\): a middle tensor must be 2-d"),
    (lambda: linalg.multi_dot([Tensor(np.ones((2, 2, 3))), Tensor(np.ones((3, 3)))]),
     ValueError, r"^multi_dot: tensor 0 has shape \(2, 2, 3\): the first tensor must be 1-d "
                 r"or 2-d"),
    (lambda: linalg.cross(Tensor(np.ones((4, 2))), Tensor(np.ones((4, 2)))), ValueError,
     r"^linalg.cross: a of shape \(4, 2\) and b of shape \(4, 2\) must have length 3 along dim "
     r"-1 \(3-vectors\), got 2 and 2"),
    (lambda: linalg.cross(Tensor(np.ones((4, 3))), Tensor(np.ones(3))), ValueError,
     r"^linalg.cross: a of shape \(4, 3\) and b of shape \(3,\) must have the same number of "
     r"dims"),
    (lambda: linalg.cross(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3)))), ValueError,
     r"^linalg.cross: a of shape \(2, 3\) and b of shape \(4, 3\) cannot be broadcast"),
    (lambda: linalg.cross(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3))), dim=2), ValueError,
     r"^linalg.cross: dim 2 is out of range for shape \(2, 3\)"),
])
def test_mistakes_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
