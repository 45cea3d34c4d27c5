"""autograd.linalg's solve_triangular and cholesky_solve: values, gradients against central
finite differences in float64 (first and second order, in A or L and in B), PyTorch's values
and gradients (when torch is installed), batches with broadcasting, and the mistakes they
refuse.

A triangular solve reads one triangle of A (without the diagonal when unitriangular): the
finite differences perturb every entry of A, and those it does not read have slope 0."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, linalg
from conftest import t64
from linalg_helpers import TIGHT, assert_recorded_gradient_is_the_first_order_one, swap
from torch_helpers import needs_torch, same_as_torch, torch

# (A's shape, B's shape): n = 1, 2, 4, a batch (3, 2), and a batch of one beside an unbatched B
SHAPES = [((1, 1), (1, 1)), ((2, 2), (2, 3)), ((4, 4), (4, 2)), ((3, 2, 4, 4), (3, 2, 4, 2)),
          ((1, 4, 4), (4, 3))]
# (upper, left, unitriangular)
KINDS = [(False, True, False), (True, True, False), (False, False, False), (True, True, True),
         (False, False, True)]


def _triangular(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """A random matrix (or batch) whose triangles are well away from singular: junk in the
    triangle that is not read is part of the test."""
    return rng.standard_normal(shape) * 0.5 + 3 * np.eye(shape[-1])


def _b_shape(b_shape: tuple, left: bool) -> tuple:
    return b_shape if left else b_shape[:-2] + b_shape[:-3:-1]


def _solve_cost(w, upper, left, unit):
    return lambda A, B: (linalg.solve_triangular(A, B, upper=upper, left=left,
                                                 unitriangular=unit) * w).sum().tanh()


def _cholesky_solve_cost(w, upper):
    return lambda L, B: (linalg.cholesky_solve(B, L, upper=upper) * w).sum().tanh()


def _out_shape(a_shape, b_shape):
    return np.broadcast_shapes(a_shape[:-2], b_shape[:-2]) + b_shape[-2:]


# -- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("upper, left, unit", KINDS)
def test_the_solution_solves_the_triangular_system(shapes, upper, left, unit, rng):
    a_shape, b_shape = shapes
    A, B = _triangular(rng, a_shape), rng.standard_normal(_b_shape(b_shape, left))
    X = linalg.solve_triangular(Tensor(A), Tensor(B), upper=upper, left=left,
                                unitriangular=unit).data
    T = np.triu(A) if upper else np.tril(A)
    if unit:
        T = T - np.diagonal(T, 0, -2, -1)[..., None] * np.eye(a_shape[-1]) + np.eye(a_shape[-1])
    np.testing.assert_allclose(T @ X if left else X @ T, np.broadcast_to(B, X.shape),
                               atol=1e-13)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_solves_a_x_equals_b(upper, rng):
    X = rng.standard_normal((2, 4, 4))
    S = X @ swap(X) + 4 * np.eye(4)
    L = linalg.cholesky(Tensor(S), upper=upper)
    B = rng.standard_normal((2, 4, 3))
    np.testing.assert_allclose(linalg.cholesky_solve(Tensor(B), L, upper=upper).data,
                               np.linalg.solve(S, B), rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(Tensor(B).cholesky_solve(L, upper=upper).data,
                                  linalg.cholesky_solve(Tensor(B), L, upper=upper).data)


def test_a_batch_of_one_and_an_unbatched_matrix_b_solve_the_matrix_on_numpy_1_24_too():
    """numpy before 2.0 took a b of one axis fewer than A as a batch of vectors: solve of A
    (1, 2, 2) and B (2, 2) gave B's rows solved as vectors, a wrong answer (and A (1, 3, 3)
    with B (3, 2) raised from inside numpy)."""
    A, B = np.array([[[2.0, 0.0], [0.0, 4.0]]]), np.array([[2.0, 4.0], [6.0, 8.0]])
    for X in (linalg.solve(Tensor(A), Tensor(B)),
              linalg.solve_triangular(Tensor(A), Tensor(B), upper=True)):
        assert X.shape == (1, 2, 2)
        np.testing.assert_array_equal(X.data, [[[1.0, 2.0], [1.5, 2.0]]])
    assert linalg.solve(Tensor(np.eye(3)[None]), Tensor(np.ones((3, 2)))).shape == (1, 3, 2)


# -- gradients: finite differences (never skipped) ------------------------------------------

def _cost_and_inputs(name, shapes, rng):
    a_shape, b_shape = shapes
    if name == "cholesky_solve" or name == "cholesky_solve_upper":
        upper = name.endswith("upper")
        L = _triangular(rng, a_shape)
        w = Tensor(rng.standard_normal(_out_shape(a_shape, b_shape)))
        return _cholesky_solve_cost(w, upper), L, rng.standard_normal(b_shape)
    upper, left, unit = KINDS[int(name[-1])]
    B = rng.standard_normal(_b_shape(b_shape, left))
    w = Tensor(rng.standard_normal(_out_shape(a_shape, B.shape)))
    return _solve_cost(w, upper, left, unit), _triangular(rng, a_shape), B


NAMES = [f"solve_triangular{i}" for i in range(len(KINDS))] + ["cholesky_solve",
                                                                "cholesky_solve_upper"]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_first_derivatives_match_finite_differences(name, shapes, rng):
    cost, A, B = _cost_and_inputs(name, shapes, rng)
    assert gradcheck(cost, t64(A), t64(B), **TIGHT)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_second_derivatives_match_finite_differences(name, shapes, rng):
    """The gradient in A (and in B), recorded, differentiated again; and that recorded
    gradient is the first-order one."""
    cost, A, B = _cost_and_inputs(name, shapes, rng)
    in_a = lambda A: cost(A, Tensor(B))                 # noqa: E731
    in_b = lambda B: cost(Tensor(A), B)                 # noqa: E731
    assert gradcheck(lambda A: grad(in_a)(A), t64(A), **TIGHT)
    assert gradcheck(lambda B: grad(in_b)(B), t64(B), **TIGHT)
    assert_recorded_gradient_is_the_first_order_one(in_a, A)


# the blocked substitution (ops/linalg.py's solve_triangle) cuts a triangle above
# TRIANGLE_BLOCK rows in two; with the block at 2, small matrices go through every level
@pytest.fixture
def small_blocks(monkeypatch):
    from autograd.ops import linalg as ops_linalg
    monkeypatch.setattr(ops_linalg, "TRIANGLE_BLOCK", 2)


@pytest.mark.parametrize("shapes", [((7, 7), (7, 3)), ((2, 9, 9), (9, 1)), ((1, 5, 5), (3, 5, 2))],
                         ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_the_blocked_substitution_matches_finite_differences(name, shapes, rng, small_blocks):
    cost, A, B = _cost_and_inputs(name, shapes, rng)
    assert gradcheck(cost, t64(A), t64(B), **TIGHT)
    in_a = lambda A: cost(A, Tensor(B))                 # noqa: E731
    assert gradcheck(lambda A: grad(in_a)(A), t64(A), **TIGHT)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_a_large_triangle_is_solved_by_blocks_to_lapack_s_accuracy(upper, unit, rng):
    """n = 300 (five levels of blocks) and n = 65 (one cut), one column and many: the residual
    of the triangle read is at rounding level, as LAPACK's LU of the whole triangle gives."""
    from autograd.ops.linalg import solve_triangle, triangle
    for n, k in ((300, 1), (300, 40), (65, 65)):
        A = rng.standard_normal((n, n)) * 0.3 / np.sqrt(n) + np.eye(n)
        B = rng.standard_normal((2, n, k))
        X = solve_triangle(A, B, upper, unit)
        T = triangle(A, upper, unit)
        assert X.shape == (2, n, k)
        np.testing.assert_allclose(T @ X, B, atol=1e-12)
        np.testing.assert_allclose(X, np.linalg.solve(T, B), rtol=0, atol=1e-12)


def test_cholesky_s_gradient_through_the_blocked_substitution(rng, small_blocks):
    M = rng.standard_normal((9, 9))
    A = t64(M @ M.T + 9 * np.eye(9))
    w = Tensor(rng.standard_normal((9, 9)))
    # (the factor reads one triangle and its gradient is symmetric: perturb A and Aᵀ together)
    factor = lambda A: linalg.cholesky(0.5 * (A + A.mT))        # noqa: E731
    assert gradcheck(lambda A: (factor(A) * w).sum().tanh(), A, **TIGHT)


def test_the_gradient_in_a_is_on_the_triangle_read(rng):
    A, B = t64(_triangular(rng, (4, 4))), Tensor(rng.standard_normal((4, 2)))
    linalg.solve_triangular(A, B, upper=True, unitriangular=True).sum().backward()
    assert (np.tril(A.grad) == 0).all() and np.triu(A.grad, 1).any()


# -- PyTorch's values and gradients (only this comparison needs torch) ----------------------

@needs_torch
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("upper, left, unit", KINDS)
def test_solve_triangular_is_pytorch_s(shapes, upper, left, unit, rng):
    a_shape, b_shape = shapes
    A, B = _triangular(rng, a_shape), rng.standard_normal(_b_shape(b_shape, left))
    kind = dict(upper=upper, left=left, unitriangular=unit)
    same_as_torch(lambda A, B: linalg.solve_triangular(A, B, **kind), A, B, rng=rng,
                  torch_f=lambda A, B: torch.linalg.solve_triangular(A, B, **kind), rtol=1e-10)


@needs_torch
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_is_pytorch_s_in_b_and_in_the_triangle_of_l(upper, rng):
    """PyTorch's gradient in L has numbers in the triangle it does not read as well (they move
    nothing); on the triangle it reads it is glassgrad's."""
    X = rng.standard_normal((2, 4, 4))
    L = np.linalg.cholesky(X @ swap(X) + 4 * np.eye(4))
    L = swap(L) if upper else L
    B = rng.standard_normal((2, 4, 3))
    same_as_torch(lambda B: linalg.cholesky_solve(B, Tensor(L), upper=upper), B, rng=rng,
                  torch_f=lambda B: torch.cholesky_solve(B, torch.tensor(L), upper=upper),
                  rtol=1e-10)
    ours, theirs = t64(L), torch.tensor(L, requires_grad=True)
    g = rng.standard_normal(B.shape)
    linalg.cholesky_solve(Tensor(B), ours, upper=upper).backward(g)
    torch.cholesky_solve(torch.tensor(B), theirs, upper=upper).backward(torch.tensor(g))
    triangle = np.triu if upper else np.tril
    np.testing.assert_allclose(ours.grad, triangle(theirs.grad.numpy()), rtol=1e-10,
                               atol=1e-12)
    assert (ours.grad == triangle(ours.grad)).all()


# -- mistakes -------------------------------------------------------------------------------

def test_a_zero_on_the_diagonal_is_refused_naming_its_batch_index_and_row():
    A = np.stack([np.eye(3), np.diag([1.0, 0.0, 2.0])])
    with pytest.raises(np.linalg.LinAlgError, match=r"^solve_triangular: A \(shape \(2, 3, 3\)\)"
                       r" is singular at batch index \[1\]: its diagonal holds 0 in row 1"):
        linalg.solve_triangular(Tensor(A), Tensor(np.ones((3, 1))), upper=False)
    # with unitriangular=True the diagonal is not read
    X = linalg.solve_triangular(Tensor(A), Tensor(np.ones((3, 1))), upper=False,
                                unitriangular=True)
    np.testing.assert_array_equal(X.data, np.ones((2, 3, 1)))
    with pytest.raises(np.linalg.LinAlgError, match=r"^cholesky_solve: A \(shape \(2, 2\)\) is "
                                                    r"singular: its diagonal holds 0 in row 0"):
        linalg.cholesky_solve(Tensor(np.ones((2, 1))), Tensor(np.diag([0.0, 1.0])))


@pytest.mark.parametrize("call, error, message", [
    (lambda: linalg.solve_triangular(Tensor(np.eye(2)), Tensor(np.ones(2)), upper=True),
     ValueError, r"^solve_triangular: A of shape \(2, 2\) needs B of shape \(..., 2, k\), got "
                 r"\(2,\) \(a vector b is b.unsqueeze\(-1\)\)"),
    (lambda: linalg.solve_triangular(Tensor(np.eye(2)), Tensor(np.ones((2, 3))), upper=True,
                                     left=False),
     ValueError, r"needs B of shape \(..., k, 2\) \(left=False\), got \(2, 3\)"),
    (lambda: linalg.solve_triangular(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 1))),
                                     upper=True),
     ValueError, r"^solve_triangular: A must be a square matrix"),
    (lambda: linalg.solve_triangular(Tensor(np.eye(2)), Tensor(np.ones((2, 1))), True),
     TypeError, "positional"),
    (lambda: linalg.solve_triangular(Tensor(np.ones((2, 2, 2))), Tensor(np.ones((3, 2, 1))),
                                     upper=True),
     ValueError, r"^solve_triangular: the batch shapes of A \(2, 2, 2\) and B \(3, 2, 1\)"),
    (lambda: linalg.solve_triangular(Tensor([[1.0, 0.0], [np.nan, 1.0]]),
                                     Tensor(np.ones((2, 1))), upper=False),
     ValueError, "^solve_triangular: A holds NaN or inf")],
    ids=["vector-B", "left-False-B", "non-square", "upper-positional", "batch", "nan"])
def test_mistakes_are_refused_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- PyTorch's names ------------------------------------------------------------------------

def test_pytorch_s_names_reach_them_and_the_old_apis_are_pointed_at_the_new():
    import autograd
    L = linalg.cholesky(Tensor([[4.0, 2.0], [2.0, 5.0]]))
    B = Tensor([[6.0], [7.0]])
    assert autograd.cholesky_solve(B, L).tolist() == B.cholesky_solve(L).tolist() == [[1.0],
                                                                                      [1.0]]
    assert autograd.linalg.solve_triangular is linalg.solve_triangular
    # the old APIs (once hints), PyTorch's Tensor methods: (X, a copy of A) and (U, S, V)
    X, A = B.triangular_solve(L, upper=False)
    np.testing.assert_allclose(X.data, linalg.solve_triangular(L, B, upper=False).data)
    assert A.tolist() == L.tolist()
    U, S, V = B.svd()
    np.testing.assert_allclose(((U * S) @ V.mT).data, B.data, rtol=1e-6)
