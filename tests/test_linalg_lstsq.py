"""autograd.linalg's pinv and lstsq: values, gradients against central finite differences in
float64 (first and second order), PyTorch's values and gradients (when torch is installed),
batches, and the mistakes they refuse.

A⁺ jumps where the rank changes, so its finite differences are taken where the rank is full,
or, at a rank-deficient matrix, along directions that keep the rank (A = X Yᵀ, X and Y free)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, grad, gradcheck, linalg
from conftest import t64
from linalg_helpers import TIGHT, assert_recorded_gradient_is_the_first_order_one, swap
from torch_helpers import needs_torch, same_as_torch, torch

# pinv: tall, wide, square, a batch, a batch of one; lstsq: m ≥ n
PINV_SHAPES = [(1, 1), (3, 2), (2, 4), (3, 2, 4, 3), (1, 4, 4)]
LSTSQ_SHAPES = [((1, 1), (1, 1)), ((3, 2), (3, 2)), ((4, 4), (4, 1)),
                ((3, 2, 5, 3), (3, 2, 5, 2)), ((1, 4, 2), (4, 3))]


def _pinv_cost(rng, shape):
    w = Tensor(rng.standard_normal(shape[:-2] + shape[:-3:-1]))
    return lambda A: (linalg.pinv(A) * w).sum().tanh()


def _lstsq_cost(rng, a_shape, b_shape):
    w = Tensor(rng.standard_normal(np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
                                   + (a_shape[-1], b_shape[-1])))
    return lambda A, B: (linalg.lstsq(A, B).solution * w).sum().tanh()


# -- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", PINV_SHAPES, ids=str)
def test_pinv_satisfies_the_four_moore_penrose_conditions(shape, rng):
    A = rng.standard_normal(shape)
    X = linalg.pinv(Tensor(A)).data
    np.testing.assert_allclose(A @ X @ A, A, atol=1e-12)
    np.testing.assert_allclose(X @ A @ X, X, atol=1e-12)
    np.testing.assert_allclose(A @ X, swap(A @ X), atol=1e-12)
    np.testing.assert_allclose(X @ A, swap(X @ A), atol=1e-12)
    np.testing.assert_allclose(X, np.linalg.pinv(A), atol=1e-12)


def test_pinv_s_cutoff_drops_the_small_singular_values():
    A = np.diag([1.0, 1e-3, 1e-17])
    np.testing.assert_allclose(linalg.pinv(Tensor(A)).data, np.diag([1.0, 1e3, 0.0]))
    np.testing.assert_allclose(linalg.pinv(Tensor(A), rtol=1e-2).data, np.diag([1.0, 0, 0]))
    np.testing.assert_allclose(linalg.pinv(Tensor(A), atol=0.5).data, np.diag([1.0, 0, 0]))
    np.testing.assert_array_equal(Tensor(A).pinverse(rcond=1e-2).data,
                                  linalg.pinv(Tensor(A), rtol=1e-2).data)
    np.testing.assert_array_equal(autograd.pinverse(Tensor(A)).data, Tensor(A).pinverse().data)


@pytest.mark.parametrize("shapes", LSTSQ_SHAPES, ids=str)
def test_lstsq_s_solution_is_numpy_s(shapes, rng):
    a_shape, b_shape = shapes
    A, B = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    result = linalg.lstsq(Tensor(A), Tensor(B))
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    A_, B_ = np.broadcast_to(A, batch + a_shape[-2:]), np.broadcast_to(B, batch + b_shape[-2:])
    for index in np.ndindex(batch):
        np.testing.assert_allclose(result.solution.data[index],
                                   np.linalg.lstsq(A_[index], B_[index], rcond=None)[0],
                                   rtol=1e-10, atol=1e-12)
    assert result.rank.tolist() == np.full(a_shape[:-2], a_shape[-1]).tolist()
    if len(b_shape) == 2:                           # b (m,): x (n,), as PyTorch's
        vector = linalg.lstsq(Tensor(A), Tensor(B[:, 0])).solution
        np.testing.assert_allclose(vector.data, result.solution.data[..., 0], rtol=1e-12)


# -- gradients: finite differences (never skipped) ------------------------------------------

@pytest.mark.parametrize("shape", PINV_SHAPES, ids=str)
def test_pinv_s_derivatives_match_finite_differences(shape, rng):
    A = rng.standard_normal(shape)
    cost = _pinv_cost(rng, shape)
    assert gradcheck(cost, t64(A), **TIGHT)
    assert gradcheck(lambda A: grad(cost)(A), t64(A), atol=1e-7, rtol=1e-5)
    assert_recorded_gradient_is_the_first_order_one(cost, A)


@pytest.mark.parametrize("shapes", LSTSQ_SHAPES, ids=str)
def test_lstsq_s_derivatives_match_finite_differences(shapes, rng):
    a_shape, b_shape = shapes
    A, B = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    cost = _lstsq_cost(rng, a_shape, b_shape)
    assert gradcheck(cost, t64(A), t64(B), **TIGHT)
    in_a = lambda A: cost(A, Tensor(B))                 # noqa: E731
    assert gradcheck(lambda A: grad(in_a)(A), t64(A), atol=1e-7, rtol=1e-5)
    first = t64(A)
    in_a(first).backward()
    np.testing.assert_allclose(grad(in_a)(t64(A)).data, first.grad, rtol=1e-12, atol=1e-14)


def test_pinv_has_a_gradient_at_repeated_singular_values_and_at_a_lower_rank(rng):
    """A gradient through svd's vectors would be refused at 2Q (every singular value 2); A⁺'s
    is not. At a rank-2 matrix 4 × 3, along rank-keeping directions X Yᵀ, it is the slope."""
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    cost = _pinv_cost(rng, (3, 3))
    assert gradcheck(cost, t64(2 * Q), **TIGHT)
    w = Tensor(rng.standard_normal((3, 4)))
    assert gradcheck(lambda X, Y: (linalg.pinv(X @ Y.T) * w).sum(),
                     t64(rng.standard_normal((4, 2))), t64(rng.standard_normal((3, 2))), **TIGHT)


# -- PyTorch's values and gradients (only this comparison needs torch) ----------------------

@needs_torch
@pytest.mark.parametrize("shape", PINV_SHAPES, ids=str)
def test_pinv_is_pytorch_s(shape, rng):
    same_as_torch(linalg.pinv, rng.standard_normal(shape), rng=rng, torch_f=torch.linalg.pinv,
                  rtol=1e-9)


@needs_torch
def test_pinv_at_a_lower_rank_and_pinverse_are_pytorch_s(rng):
    low = rng.standard_normal((2, 4, 2)) @ rng.standard_normal((2, 2, 3))
    same_as_torch(linalg.pinv, low, rng=rng, torch_f=torch.linalg.pinv, rtol=1e-8)
    same_as_torch(lambda A: A.pinverse(rcond=1e-3), low, rng=rng, rtol=1e-8)


@needs_torch
@pytest.mark.parametrize("shapes", LSTSQ_SHAPES[:4], ids=str)
def test_lstsq_s_solution_is_pytorch_s(shapes, rng):
    """(PyTorch 2.13 does not broadcast A (1, 4, 2) against B (4, 3): left out.)"""
    a_shape, b_shape = shapes
    same_as_torch(lambda A, B: linalg.lstsq(A, B).solution, rng.standard_normal(a_shape),
                  rng.standard_normal(b_shape), rng=rng,
                  torch_f=lambda A, B: torch.linalg.lstsq(A, B).solution, rtol=1e-9)


# -- mistakes -------------------------------------------------------------------------------

def test_a_rank_deficient_a_is_refused_naming_its_batch_index():
    A = np.stack([np.eye(3, 2), [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]])
    with pytest.raises(np.linalg.LinAlgError, match=r"^lstsq: A \(shape \(2, 3, 2\)\) is "
                       r"rank-deficient at batch index \[1\]: its smallest singular value .* "
                       r"pinv\(A\) @ B"):
        linalg.lstsq(Tensor(A), Tensor(np.ones((3, 1))))


@pytest.mark.parametrize("call, error, message", [
    (lambda: linalg.lstsq(Tensor(np.ones((2, 3))), Tensor(np.ones(2))), ValueError,
     r"^lstsq: A of shape \(2, 3\) has fewer rows than columns"),
    (lambda: linalg.lstsq(Tensor(np.eye(3, 2)), Tensor(np.ones(2))), ValueError,
     r"^lstsq: A of shape \(3, 2\) needs B of shape \(..., 3, k\) or \(3,\), got \(2,\)"),
    (lambda: linalg.lstsq(Tensor(np.eye(3, 2)), Tensor(np.ones(3)), rcond=1e-3), ValueError,
     r"^lstsq: rcond and driver"),
    (lambda: linalg.pinv(Tensor(np.eye(2)), hermitian=True), ValueError,
     r"^pinv: hermitian=True is not supported"),
    (lambda: linalg.pinv(Tensor(np.eye(2)), rtol=-1.0), ValueError, r"^pinv: rtol must be >= 0"),
    (lambda: linalg.pinv(Tensor(np.ones(3))), ValueError, r"^pinv: A must be a matrix"),
    (lambda: linalg.pinv(Tensor([[np.nan]])), ValueError, r"^pinv: A holds NaN or inf")],
    ids=["wide", "B-rows", "rcond", "hermitian", "negative-rtol", "1-d", "nan"])
def test_mistakes_are_refused_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()
