"""nn.functional's cosine_similarity, pairwise_distance and normalize (PyTorch's formulas,
defaults and broadcasting): values against numpy, gradients against finite differences (batch
of one, broadcast, 1-d, 3-d), zero vectors (finite gradients), errors, and PyTorch's numbers
asked live where torch is installed. (Their modules: tests/test_layers.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from nn import functional as F

from conftest import strict, t64

NORMS = [1.0, 2.0, 3.0, 0.5, math.inf]


def p_norm(x, p, axis, keepdims=False):
    if p == math.inf:
        return np.abs(x).max(axis=axis, keepdims=keepdims)
    return (np.abs(x) ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)


def distinct(rng, shape):
    """Normal draws whose absolute values are distinct within each row (the ∞-norm picks one
    element; a tie would split its gradient, which finite differences do not see)."""
    x = rng.normal(size=shape)
    return x + np.sign(x) * np.arange(x.size).reshape(shape) * 1e-2


# ----------------------------------------------------------------------------------------------
# cosine_similarity
# ----------------------------------------------------------------------------------------------

def test_cosine_similarity_is_the_normalised_dot_product_along_dim(rng):
    a, b = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 5, 3))
    for dim in (0, 1, 2, -1):
        expected = (a * b).sum(dim) / (np.linalg.norm(a, axis=dim) * np.linalg.norm(b, axis=dim))
        np.testing.assert_allclose(F.cosine_similarity(t64(a), t64(b), dim).data, expected,
                                   rtol=1e-13)
    assert F.cosine_similarity(t64(a), t64(b)).shape == (4, 3)         # PyTorch's dim=1


@pytest.mark.parametrize("shapes, dim", [
    (((4, 3), (4, 3)), 1), (((1, 3), (1, 3)), 1), (((4, 3), (1, 3)), 1), (((4, 3), (3,)), 1),
    (((4, 3), (4, 1)), 0), (((3,), (3,)), 0), (((2, 4, 3), (2, 4, 3)), -1),
])
def test_cosine_similarity_gradients(shapes, dim, rng):
    a, b = (t64(rng.normal(size=shape)) for shape in shapes)
    assert gradcheck(lambda p, q: F.cosine_similarity(p, q, dim), a, b)


def test_cosine_similarity_of_a_zero_vector_is_zero_with_finite_gradients():
    """Each norm is floored at eps on its own (PyTorch's current formula), so 0 / eps."""
    a, b = t64([[0.0, 0.0], [3.0, 4.0]]), t64([[1.0, 2.0], [4.0, 3.0]])
    with strict():
        y = F.cosine_similarity(a, b)
        y.sum().backward()
    np.testing.assert_allclose(y.data, [0.0, 24 / 25], rtol=1e-15)
    assert np.isfinite(a.grad).all() and np.isfinite(b.grad).all()
    # below eps a norm is eps: x · y / (eps ‖y‖)
    small = F.cosine_similarity(t64([[1e-9, 0.0]]), t64([[2.0, 0.0]]), eps=1e-6)
    np.testing.assert_allclose(small.data, [1e-9 * 2 / (1e-6 * 2)], rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# pairwise_distance
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", NORMS)
def test_pairwise_distance_is_the_p_norm_of_the_difference_plus_eps(p, rng):
    a, b = distinct(rng, (4, 5)), rng.normal(size=(4, 5))
    np.testing.assert_allclose(F.pairwise_distance(t64(a), t64(b), p).data,
                               p_norm(a - b + 1e-6, p, -1), rtol=1e-13)
    np.testing.assert_allclose(F.pairwise_distance(t64(a), t64(b), p, eps=0.5, keepdim=True).data,
                               p_norm(a - b + 0.5, p, -1, keepdims=True), rtol=1e-13)


@pytest.mark.parametrize("p", NORMS)
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((1, 5), (1, 5)), ((4, 5), (5,)),
                                    ((5,), (5,)), ((2, 3, 5), (3, 5))])
def test_pairwise_distance_gradients(p, shapes, rng):
    a, b = t64(distinct(rng, shapes[0])), t64(rng.normal(size=shapes[1]) * 0.1)
    assert gradcheck(lambda x, y: F.pairwise_distance(x, y, p), a, b)


def test_equal_rows_are_eps_apart_and_a_zero_distance_has_slope_zero():
    a = t64([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(F.pairwise_distance(a, a.data).data, [math.sqrt(2) * 1e-6] * 2,
                               rtol=1e-12)
    for p in (2.0, 3.0):                        # eps=0: the root of 0, PyTorch's slope 0
        a.grad = None
        with strict():
            y = F.pairwise_distance(a, np.array([[1.0, 2.0], [0.0, 0.0]]), p, eps=0.0)
            y.sum().backward()
        assert y.data[0] == 0.0 and np.isfinite(a.grad).all()
        np.testing.assert_array_equal(a.grad[0], [0.0, 0.0])


# ----------------------------------------------------------------------------------------------
# normalize
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", NORMS)
def test_normalize_divides_by_the_norm_along_dim(p, rng):
    x = distinct(rng, (3, 4, 2))
    for dim in (0, 1, -1):
        y = F.normalize(t64(x), p, dim).data
        np.testing.assert_allclose(y, x / p_norm(x, p, dim, keepdims=True), rtol=1e-13)
        np.testing.assert_allclose(p_norm(y, p, dim), 1.0, rtol=1e-13)


@pytest.mark.parametrize("p", NORMS)
@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((1, 4), 1), ((4,), 0), ((2, 3, 2), 1)])
def test_normalize_gradients(p, shape, dim, rng):
    assert gradcheck(lambda t: F.normalize(t, p, dim), t64(distinct(rng, shape)))


@pytest.mark.parametrize("p", NORMS)
def test_a_zero_slice_stays_zero_with_finite_gradients(p):
    x = t64([[0.0, 0.0], [3.0, -4.0]])
    with strict():
        y = F.normalize(x, p)
        (y * Tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(y.data[0], [0.0, 0.0])
    # the floored norm is a constant eps: the slope is 1 / eps
    np.testing.assert_allclose(x.grad[0], [1e12, 2e12], rtol=1e-12)


def test_a_norm_below_order_one_gives_a_zero_element_slope_zero_in_the_norm():
    """|x|^p for p < 1 has an infinite slope at 0; PyTorch takes the norm's slope there as 0,
    so x0 / ‖x‖ changes with x0 at rate 1 / ‖x‖ alone."""
    x = t64([0.0, 1.0, 4.0])                       # ‖x‖_½ = (0 + 1 + 2)² = 9
    with strict():
        y = F.normalize(x, 0.5, dim=0)
        (y * Tensor([2.0, 0.0, 0.0])).sum().backward()
    np.testing.assert_allclose(y.data, [0.0, 1 / 9, 4 / 9], rtol=1e-15)
    np.testing.assert_allclose(x.grad, [2 / 9, 0.0, 0.0], rtol=1e-15)


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: F.cosine_similarity(t64(np.ones(3)), t64(np.ones(3))), ValueError,
     "cosine_similarity: axis 1 is out of range for a tensor with 1 dim"),
    (lambda: F.cosine_similarity(t64(np.ones((2, 3))), t64(np.ones((2, 4)))), ValueError,
     r"cosine_similarity: x1 of shape \(2, 3\) and x2 of shape \(2, 4\) cannot be broadcast"),
    (lambda: F.pairwise_distance(t64(np.ones((2, 3))), t64(np.ones((3, 2)))), ValueError,
     "pairwise_distance: x1 of shape"),
    (lambda: F.pairwise_distance(t64(np.ones(3)), t64(np.ones(3)), p=0), ValueError,
     r"pairwise_distance: p must be > 0 \(2 for Euclidean, 1 for Manhattan, math.inf for the "
     r"largest difference\), got 0.0"),
    (lambda: F.normalize(t64(np.ones(3)), p=-1), ValueError, "normalize: p must be > 0"),
    (lambda: F.normalize(t64(np.ones(3))), ValueError,
     "normalize: axis 1 is out of range for a tensor with 1 dim"),
    (lambda: F.normalize(t64(np.ones(3)), p="fro"), TypeError,
     "normalize: p must be a number, got 'fro'"),
])
def test_bad_arguments_are_refused_saying_what_is_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------------------------
# PyTorch's numbers, asked live (where torch is installed)
# ----------------------------------------------------------------------------------------------

def test_the_same_values_and_gradients_as_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    TF = torch.nn.functional
    a, b = distinct(rng, (4, 5)), rng.normal(size=(4, 5))
    a[0] = 0.0                                         # a zero row: PyTorch's slope there too
    cases = [(lambda x, y: F.cosine_similarity(x, y), lambda x, y: TF.cosine_similarity(x, y)),
             (lambda x, y: F.cosine_similarity(x, y[:1], 0),
              lambda x, y: TF.cosine_similarity(x, y[:1], 0))]
    for p in NORMS:
        cases += [(lambda x, y, p=p: F.pairwise_distance(x, y, p, keepdim=True),
                   lambda x, y, p=p: TF.pairwise_distance(x, y, p, keepdim=True)),
                  (lambda x, y, p=p: F.normalize(x, p, 0) * y,
                   lambda x, y, p=p: TF.normalize(x, p, 0) * y),
                  (lambda x, y, p=p: F.normalize(x, p) * y, lambda x, y, p=p: TF.normalize(x, p) * y)]
    for ours_f, torch_f in cases:
        x, y = t64(a), t64(b)
        out = ours_f(x, y)
        upstream = rng.normal(size=out.shape)
        out.backward(upstream)
        tx, ty = (torch.tensor(v, requires_grad=True) for v in (a, b))
        theirs = torch_f(tx, ty)
        theirs.backward(torch.tensor(upstream))
        np.testing.assert_allclose(out.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-11, atol=1e-12)
