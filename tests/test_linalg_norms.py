"""autograd.linalg's norm, matrix_norm, cond and matrix_rank: values against numpy's
np.linalg.norm / cond / matrix_rank, PyTorch's choice between a vector and a matrix norm,
gradients against central finite differences in float64 (batches, other axes, keepdim), the
gradient at a tie, and mistakes named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, linalg
from conftest import t64
from linalg_helpers import TIGHT

ORDS = ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf]


@pytest.mark.parametrize("ord", ORDS, ids=str)
@pytest.mark.parametrize("shape, dim", [((3, 4), (-2, -1)), ((2, 3, 3), (-2, -1)),
                                        ((4, 2), (1, 0)), ((3, 2, 4), (0, 2)),
                                        ((3, 2, 4), (2, 0))], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm_is_numpy_s_and_its_gradient_matches_finite_differences(ord, shape, dim,
                                                                              keepdim, rng):
    a = rng.standard_normal(shape)
    out = linalg.matrix_norm(Tensor(a), ord, dim, keepdim)
    np.testing.assert_allclose(out.data, np.linalg.norm(a, ord, dim, keepdim), rtol=1e-12)
    w = Tensor(rng.standard_normal(out.shape))
    assert gradcheck(lambda A: (linalg.matrix_norm(A, ord, dim, keepdim) * w).sum(), t64(a),
                     **TIGHT)


@pytest.mark.parametrize("ord", ["fro", "nuc", 2], ids=str)
def test_matrix_norm_s_second_derivatives_match_finite_differences(ord, rng):
    a = rng.standard_normal((2, 3, 2))
    cost = lambda A: (linalg.matrix_norm(A, ord) ** 2).sum()          # noqa: E731
    assert gradcheck(lambda A: grad(cost)(A), t64(a), atol=1e-7, rtol=1e-5)


def test_an_exact_tie_shares_the_gradient_as_pytorch_s_amax():
    """The identity's columns all sum to 1: ‖I‖₁'s gradient is I/2 (PyTorch's too); its two
    equal singular values share ‖I‖₂'s the same way."""
    A = t64(np.eye(2))
    linalg.matrix_norm(A, 1).backward()
    np.testing.assert_allclose(A.grad, 0.5 * np.eye(2))
    A = t64(np.eye(2))
    linalg.matrix_norm(A, 2).backward()
    np.testing.assert_allclose(A.grad, 0.5 * np.eye(2), atol=1e-15)


def test_empty_matrices_have_norm_0_and_the_smallest_of_none_is_refused():
    assert linalg.matrix_norm(Tensor(np.zeros((0, 0)))).item() == 0.0
    for ord in ("nuc", 2, 1, math.inf):
        assert linalg.matrix_norm(Tensor(np.zeros((2, 0, 3))), ord).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"^matrix_norm: ord=-2 of A of shape \(0, 0\) is the "
                                         r"smallest of no numbers"):
        linalg.matrix_norm(Tensor(np.zeros((0, 0))), -2)


@pytest.mark.parametrize("ord, dim, shape, like", [
    (None, None, (2, 3, 4), lambda a: np.linalg.norm(a.reshape(-1))),
    (None, 1, (3, 4), lambda a: np.linalg.norm(a, axis=1)),
    (1, -1, (3, 4), lambda a: np.abs(a).sum(-1)),
    (None, (0, 1), (3, 4), lambda a: np.linalg.norm(a, "fro")),
    ("nuc", None, (3, 4), lambda a: np.linalg.norm(a, "nuc")),
    (1, None, (3, 4), lambda a: np.linalg.norm(a, 1)),                  # a matrix: column sums
    (1, None, (4,), lambda a: np.abs(a).sum()),                         # a vector
    (math.inf, (1, 0), (3, 4), lambda a: np.linalg.norm(a.T, math.inf)),
], ids=str)
def test_norm_chooses_a_vector_or_a_matrix_norm_as_pytorch(ord, dim, shape, like, rng):
    a = rng.standard_normal(shape)
    np.testing.assert_allclose(linalg.norm(Tensor(a), ord, dim).data, like(a), rtol=1e-12)
    assert gradcheck(lambda A: linalg.norm(A, ord, dim).sum(), t64(a), **TIGHT)
    assert linalg.norm(Tensor(a), ord, dim, keepdim=True).ndim == len(shape)


@pytest.mark.parametrize("p", [None, "fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf], ids=str)
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (1, 1)], ids=str)
def test_cond_is_numpy_s_and_its_gradient_matches_finite_differences(p, shape, rng):
    a = rng.standard_normal(shape) + 2 * np.eye(shape[-1])
    np.testing.assert_allclose(linalg.cond(Tensor(a), p).data, np.linalg.cond(a, p), rtol=1e-10)
    assert gradcheck(lambda A: linalg.cond(A, p).sum(), t64(a), **TIGHT)


def test_cond_of_a_non_square_matrix_and_of_a_singular_one(rng):
    a = rng.standard_normal((2, 4, 3))
    np.testing.assert_allclose(linalg.cond(Tensor(a)).data, np.linalg.cond(a), rtol=1e-12)
    assert gradcheck(lambda A: linalg.cond(A, -2).sum(), t64(a), **TIGHT)
    # a singular matrix: inf for the norms of A⁻¹ (as PyTorch); the others keep their gradient
    A = t64(np.stack([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [0.0, 1.0]]]))
    out = linalg.cond(A, "fro")
    assert out.data[0] == math.inf
    np.testing.assert_allclose(out.data[1], np.linalg.cond(A.data[1], "fro"))
    out[1].backward()
    np.testing.assert_array_equal(A.grad[0], 0.0)
    assert linalg.cond(Tensor(np.zeros((2, 0, 0))), 1).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("a", [np.ones((3, 3)), np.diag([3.0, 1.0, 1e-20]),
                               np.random.default_rng(0).standard_normal((2, 3, 4)),
                               np.zeros((2, 0, 3))], ids=["ones", "tiny", "batch", "empty"])
def test_matrix_rank_is_numpy_s(a):
    rank = linalg.matrix_rank(Tensor(a))
    assert rank.dtype == np.int64 and not rank.requires_grad
    np.testing.assert_array_equal(rank.data, np.linalg.matrix_rank(a) if a.size else [0, 0])


def test_matrix_rank_s_tolerances_are_pytorch_s():
    a = Tensor(np.diag([3.0, 1.0, 0.1]))
    assert linalg.matrix_rank(a, atol=0.5).item() == 2          # rtol then 0
    assert linalg.matrix_rank(a, rtol=0.2).item() == 2          # cutoff 0.6
    assert linalg.matrix_rank(a, atol=0.05, rtol=0.2).item() == 2
    assert linalg.matrix_rank(a, 0.5).item() == 2               # tol: atol, rtol 0
    batch = Tensor(np.stack([np.diag([3.0, 1.0, 0.1])] * 2))
    assert linalg.matrix_rank(batch, atol=Tensor([0.05, 2.0])).tolist() == [3, 1]
    symmetric = Tensor([[2.0, 1.0], [1.0, -3.0]])
    assert linalg.matrix_rank(symmetric, hermitian=True).item() == 2
    # only the lower triangle is read: [[1, 1], [1, 1]], of rank 1
    assert linalg.matrix_rank(Tensor([[1.0, 5.0], [1.0, 1.0]]), hermitian=True).item() == 1
    with pytest.raises(ValueError, match=r"^matrix_rank: tol .* cannot be given with atol"):
        linalg.matrix_rank(a, 0.5, atol=0.1)
    with pytest.raises(ValueError, match=r"^matrix_rank: atol of shape \(3,\) does not "
                                         r"broadcast to A's batch shape \(2,\)"):
        linalg.matrix_rank(batch, atol=np.ones(3))
    with pytest.raises(ValueError, match=r"^matrix_rank: rtol must be >= 0"):
        linalg.matrix_rank(a, rtol=-1.0)


@pytest.mark.parametrize("call, error, message", [
    (lambda: linalg.matrix_norm(Tensor(np.ones(3))), ValueError,
     r"^matrix_norm: A must have at least 2 dims .* got shape \(3,\); a vector's norm is "
     r"vector_norm"),
    (lambda: linalg.matrix_norm(Tensor(np.ones((2, 2), dtype=np.int64))), TypeError,
     r"^matrix_norm: A must be floating point, got dtype int64"),
    (lambda: linalg.matrix_norm(Tensor(np.ones((2, 2))), 3), ValueError,
     r"^matrix_norm: ord=3 is not a matrix norm; ord is 'fro', 'nuc', 1, -1, 2, -2, inf or "
     r"-inf"),
    (lambda: linalg.matrix_norm(Tensor(np.ones((2, 2))), dim=(0, -2)), ValueError,
     r"^matrix_norm: dim \(0, -2\) names one axis twice"),
    (lambda: linalg.matrix_norm(Tensor(np.ones((2, 2))), dim=(0, 2)), ValueError,
     r"^matrix_norm: dim \(0, 2\) is out of range for A of shape \(2, 2\)"),
    (lambda: linalg.matrix_norm(Tensor(np.ones((2, 2))), dim=1), ValueError,
     r"^matrix_norm: dim must be a pair of ints"),
    (lambda: linalg.norm(Tensor(np.ones((2, 3, 4))), 2), ValueError,
     r"^norm: with ord=2 and no dim, A must be 1-d \(a vector norm\) or 2-d \(a matrix "
     r"norm\), got shape \(2, 3, 4\)"),
    (lambda: linalg.norm(Tensor(np.ones((3, 4))), "nuc", dim=1), ValueError,
     r"^norm: ord='nuc' is a matrix norm, which needs two axes"),
    (lambda: linalg.norm(Tensor(np.ones((3, 4))), dim=(0, 1, 2)), ValueError,
     r"^norm: dim must be an int \(a vector norm\) or a pair of ints"),
    (lambda: linalg.cond(Tensor(np.ones((2, 3))), "fro"), ValueError,
     r"^cond \(p='fro'\): A must be a square matrix or a batch of them \(\.\.\., n, n\), got "
     r"shape \(2, 3\)"),
    (lambda: linalg.cond(Tensor(np.eye(2)), 3), ValueError, r"^cond: p=3 is not supported"),
    (lambda: linalg.cond(Tensor(np.eye(2, dtype=np.int64))), TypeError,
     r"^cond: A must be floating point"),
    (lambda: linalg.matrix_rank(Tensor(np.ones(3))), ValueError,
     r"^matrix_rank: A must be a matrix or a batch of them"),
    (lambda: linalg.matrix_rank(Tensor(np.ones((2, 3))), hermitian=True), ValueError,
     r"^matrix_rank: A must be a square matrix"),
])
def test_mistakes_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
