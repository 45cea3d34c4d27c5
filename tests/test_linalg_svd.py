"""autograd.linalg's svd and svdvals: values, gradients against central finite differences in
float64 (first and second order), PyTorch's values and gradients (when torch is installed),
batches, float32, and the gradients that do not exist, refused.

A pair of singular vectors is defined up to a common sign, so the losses use (wᵀu)² per
column, or U² and Vh² elementwise, which do not depend on it."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, linalg
from conftest import t64
from linalg_helpers import TIGHT, assert_recorded_gradient_is_the_first_order_one, swap
from torch_helpers import needs_torch, same_as_torch, torch

# tall, wide, square, a batch (3, 2, 4, 3), a batch of one, and 1 × 1
SHAPES = [(1, 1), (3, 2), (2, 4), (3, 2, 4, 3), (1, 4, 4)]


def _weights(rng: np.random.Generator, shape: tuple) -> Tensor:
    return Tensor(rng.standard_normal(shape))


def _svd_cost(rng: np.random.Generator, shape: tuple, full: bool = False):
    """S, U and Vh all in the loss: Σ w_i s_i + Σ_j (aᵀu_j)² + Σ_j (bᵀv_j)² (with
    full_matrices=True, of the first min(m, n) vectors: the others have no gradient)."""
    m, n = shape[-2:]
    k, batch = min(m, n), shape[:-2]
    w, a, b = _weights(rng, batch + (k,)), _weights(rng, batch + (m,)), _weights(rng, batch + (n,))

    def cost(A):
        U, S, Vh = linalg.svd(A, full_matrices=full)
        U, Vh = U[..., :k], Vh[..., :k, :]
        return ((S * w).sum() + ((U * a[..., :, None]).sum(-2) ** 2).sum()
                + ((Vh * b[..., None, :]).sum(-1) ** 2).sum()).tanh()
    return cost


def _svdvals_cost(rng: np.random.Generator, shape: tuple):
    w = _weights(rng, shape[:-2] + (min(shape[-2:]),))
    return lambda A: (linalg.svdvals(A) * w).sum().tanh()


# -- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_values_satisfy_their_definitions(shape, rng):
    m, n = shape[-2:]
    k = min(m, n)
    A = rng.standard_normal(shape)
    U, S, Vh = (x.data for x in linalg.svd(Tensor(A), full_matrices=False))
    assert U.shape == shape[:-2] + (m, k) and S.shape == shape[:-2] + (k,)
    assert Vh.shape == shape[:-2] + (k, n)
    assert (np.diff(S, axis=-1) <= 0).all() and (S >= 0).all()       # descending, ≥ 0
    np.testing.assert_allclose((U * S[..., None, :]) @ Vh, A, atol=1e-13)
    np.testing.assert_allclose(swap(U) @ U, np.broadcast_to(np.eye(k), S.shape + (k,)),
                               atol=1e-13)
    np.testing.assert_allclose(Vh @ swap(Vh), np.broadcast_to(np.eye(k), S.shape + (k,)),
                               atol=1e-13)
    np.testing.assert_allclose(S, np.linalg.svd(A, compute_uv=False), rtol=1e-13)
    np.testing.assert_array_equal(linalg.svdvals(Tensor(A)).data, S)

    Uf, Sf, Vhf = (x.data for x in linalg.svd(Tensor(A)))          # full_matrices=True
    assert Uf.shape == shape[:-2] + (m, m) and Vhf.shape == shape[:-2] + (n, n)
    np.testing.assert_allclose(swap(Uf) @ Uf, np.broadcast_to(np.eye(m), Uf.shape), atol=1e-13)
    np.testing.assert_allclose(Vhf @ swap(Vhf), np.broadcast_to(np.eye(n), Vhf.shape),
                               atol=1e-13)
    np.testing.assert_allclose((Uf[..., :k] * Sf[..., None, :]) @ Vhf[..., :k, :], A,
                               atol=1e-13)


# -- gradients: finite differences (never skipped) ------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["svd", "svd_full", "svdvals"])
def test_first_derivatives_match_finite_differences(name, shape, rng):
    A = rng.standard_normal(shape)
    cost = (_svdvals_cost(rng, shape) if name == "svdvals"
            else _svd_cost(rng, shape, full=name == "svd_full"))
    assert gradcheck(cost, t64(A), **TIGHT)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["svd", "svdvals"])
def test_second_derivatives_match_finite_differences(name, shape, rng):
    """The gradient, recorded (create_graph), differentiated again: the rule runs on nodes;
    and that gradient is the first-order one."""
    A = rng.standard_normal(shape)
    cost = _svdvals_cost(rng, shape) if name == "svdvals" else _svd_cost(rng, shape)
    assert gradcheck(lambda A: grad(cost)(A), t64(A), atol=1e-7, rtol=1e-5)
    assert_recorded_gradient_is_the_first_order_one(cost, A)


def test_svdvals_has_a_gradient_at_repeated_and_zero_singular_values(rng):
    """The nuclear norm Σ s_i at 2Q (Q orthogonal: every singular value 2) has the gradient
    U Vh = Q, whichever vectors came out; and S alone at a rank-deficient matrix has one."""
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    A = t64(2 * Q)
    linalg.svdvals(A).sum().backward()
    np.testing.assert_allclose(A.grad, Q, atol=1e-14)
    assert gradcheck(lambda A: linalg.svdvals(A).sum(), t64(2 * Q), **TIGHT)
    low = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))          # rank 2 of 3
    w = Tensor([1.0, -0.5, 0.0])                # (s_3 = 0 is |·|-like: no slope of its own)
    assert gradcheck(lambda A: (linalg.svdvals(A) * w).sum(), t64(low), **TIGHT)


def test_singular_vectors_of_distinct_singular_values_have_a_gradient_beside_a_tie(rng):
    """As eigh's: only the vectors of the tied pair are undefined; the top one beside a
    repeated smaller singular value has its gradient (checked against finite differences)."""
    Q1, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    Q2, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    A = (Q1[:, :3] * [3.0, 1.0, 1.0]) @ Q2.T
    a = _weights(rng, (4,))
    assert gradcheck(lambda A: (a @ linalg.svd(A, full_matrices=False).U[:, 0]) ** 2, t64(A),
                     **TIGHT)


# -- gradients that do not exist are refused ------------------------------------------------

def test_the_vectors_of_a_repeated_singular_value_are_refused_naming_the_batch_index():
    A = t64(np.stack([np.diag([3.0, 2.0, 1.0]), np.diag([3.0, 2.0, 2.0])]))
    with pytest.raises(np.linalg.LinAlgError, match=r"^svd: A\[1\] has a repeated singular "
                       r"value \(2: singular values 1 and 2, equal to rounding\) and the loss uses its singular "
                       r"vectors"):
        (linalg.svd(A).U ** 3).sum().backward()
    # S's gradient U Vh exists there, but differentiating it again uses every vector
    first = grad(lambda A: linalg.svdvals(A).sum())(A)
    np.testing.assert_allclose(first.data, np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-15)
    with pytest.raises(np.linalg.LinAlgError, match=r"^svd: A\[1\] has a repeated singular"):
        (first * Tensor(np.arange(18.0).reshape(2, 3, 3))).sum().backward()


def test_singular_values_equal_to_rounding_are_a_tie(rng):
    """2Q (Q orthogonal) has the singular value 2 four times; LAPACK's came out up to 7e-16
    apart, and the vectors' gradient was 1/gap: 2.5e16, not a refusal."""
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))
    A = t64(2 * Q)
    with pytest.raises(np.linalg.LinAlgError, match=r"^svd: A has a repeated singular value "
                                                    r"\(2: singular values 0 and"):
        ((linalg.svd(A).U[:, 0] * Tensor([1.0, 2.0, 3.0, 4.0])).sum() ** 2).backward()


def test_the_long_side_s_vector_of_a_zero_singular_value_is_refused():
    """A 3 × 2 matrix of rank 1: its second left singular vector is any unit vector of a
    plane; the right one (a null vector of A) is defined up to its sign."""
    A = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    a = Tensor([1.0, 2.0, 3.0])
    with pytest.raises(np.linalg.LinAlgError, match=r"^svd: A \(shape \(3, 2\)\) has the "
                       r"singular value 0 \(singular value 1\) and the loss uses its left"):
        ((a @ linalg.svd(t64(A), full_matrices=False).U[:, 1]) ** 2).backward()
    B = t64(A)
    ((Tensor([1.0, 2.0]) @ linalg.svd(B, full_matrices=False).Vh[1]) ** 2).backward()
    assert np.isfinite(B.grad).all()


def test_the_columns_full_matrices_adds_have_no_gradient():
    """PyTorch ignores their gradient (gives 0); glassgrad refuses, naming what to use."""
    A = t64(np.arange(6.0).reshape(3, 2) + np.eye(3, 2))
    with pytest.raises(np.linalg.LinAlgError, match=r"^svd: the loss uses the columns of U or "
                       r"rows of Vh past min\(m, n\) = 2 .* full_matrices=False"):
        (linalg.svd(A).U[:, 2] ** 2 * Tensor([1.0, 2.0, 3.0])).sum().backward()


# -- inputs, dtypes, empties ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["svd", "svdvals"])
@pytest.mark.parametrize("bad, error, message", [
    (np.ones(3), ValueError, r"must be a matrix or a batch of them .* got shape \(3,\)"),
    (np.eye(2, dtype=np.int64), TypeError, "must be floating point, got dtype int64"),
    (np.eye(2, dtype=np.float16), TypeError, "must be float32 or float64 .* float16"),
    (np.array([[1.0, np.inf]]), ValueError, "A holds NaN or inf")],
    ids=["1-d", "integer", "float16", "inf"])
def test_what_is_not_a_float_matrix_is_refused_naming_the_function(name, bad, error, message):
    with pytest.raises(error, match=f"^{name}: .*{message}"):
        getattr(linalg, name)(Tensor(bad))


@pytest.mark.parametrize("shape", [(0, 3, 2), (2, 0, 3), (3, 0)], ids=str)
def test_an_empty_batch_or_matrix_gives_empty_results_and_gradients(shape):
    A = t64(np.zeros(shape))
    U, S, Vh = linalg.svd(A, full_matrices=False)
    (U.sum() + S.sum() + Vh.sum()).backward()
    assert A.grad.shape == shape and not A.grad.any()


def test_float32_gives_float32_values_and_gradients_close_to_float64_s(rng):
    A = rng.standard_normal((2, 4, 3)).astype(np.float32)
    A32, A64 = Tensor(A, requires_grad=True), t64(A)
    for X in (A32, A64):
        U, S, Vh = linalg.svd(X, full_matrices=False)
        ((U ** 2).sum(-2) @ Tensor(np.arange(1.0, 4.0, dtype=X.dtype))
         + S.sum(-1) + (Vh ** 2)[..., 0].sum(-1)).sum().backward()
    assert A32.grad.dtype == np.float32
    np.testing.assert_allclose(A32.grad, A64.grad, rtol=1e-3, atol=1e-4)


# -- PyTorch's values and gradients (only this comparison needs torch) ----------------------

def _torch_pair(name: str):
    """(ours, PyTorch's), each giving one tensor; the vectors squared (their signs are each
    library's choice), and of full_matrices=True the first min(m, n) only."""
    def vectors(svd, which, full):
        def f(A):
            U, S, Vh = svd(A, full_matrices=full)
            k = S.shape[-1]
            return U[..., :k] ** 2 if which == "U" else Vh[..., :k, :] ** 2
        return f
    ours = {"svdvals": linalg.svdvals, "S": lambda A: linalg.svd(A).S,
            "U": vectors(linalg.svd, "U", False), "Vh": vectors(linalg.svd, "Vh", False),
            "U_full": vectors(linalg.svd, "U", True), "Vh_full": vectors(linalg.svd, "Vh", True)}
    if torch is None:
        return ours[name], None
    theirs = {"svdvals": torch.linalg.svdvals, "S": lambda A: torch.linalg.svd(A).S,
              "U": vectors(torch.linalg.svd, "U", False),
              "Vh": vectors(torch.linalg.svd, "Vh", False),
              "U_full": vectors(torch.linalg.svd, "U", True),
              "Vh_full": vectors(torch.linalg.svd, "Vh", True)}
    return ours[name], theirs[name]


@needs_torch
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["svdvals", "S", "U", "Vh", "U_full", "Vh_full"])
def test_values_and_gradients_are_pytorch_s(name, shape, rng):
    ours, theirs = _torch_pair(name)
    same_as_torch(ours, rng.standard_normal(shape), rng=rng, torch_f=theirs, rtol=1e-9)
