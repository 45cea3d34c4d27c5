"""autograd.linalg.qr: values against numpy's, gradients against central finite differences in
float64 (first and second order) for tall, square and wide matrices, batches and empty ones,
and the gradients that do not exist, refused.

Q's column i and R's row i change sign together with LAPACK's choice, so the losses weigh
Q and R elementwise against fixed weights: that is a fixed function near the point (the signs
do not flip under a small change), which is what finite differences see."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, linalg
from conftest import t64
from linalg_helpers import TIGHT, assert_recorded_gradient_is_the_first_order_one, swap

# tall, square, wide, a batch of tall, a batch of wide, a batch of one, 1 × 1
SHAPES = [(4, 3), (3, 3), (3, 5), (2, 4, 3), (2, 3, 5), (1, 2, 2), (1, 1)]


def _qr_cost(rng: np.random.Generator, shape: tuple, mode: str = "reduced"):
    """Σ w_Q ∘ Q (of the first k columns: with mode='complete' and m > n the others have no
    gradient) + Σ w_R ∘ R, through tanh."""
    m, n = shape[-2:]
    k = min(m, n)
    w_q = Tensor(rng.standard_normal(shape[:-2] + (m, k)))
    w_r = Tensor(rng.standard_normal(shape[:-2] + ((m if mode == "complete" else k), n)))

    def cost(A):
        Q, R = linalg.qr(A, mode)
        return ((Q[..., :k] * w_q).sum() + (R * w_r).sum()).tanh()
    return cost


@pytest.mark.parametrize("shape", SHAPES + [(0, 3), (3, 0), (2, 0, 0)], ids=str)
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_values_are_numpy_s_and_satisfy_their_definitions(shape, mode, rng):
    A = rng.standard_normal(shape)
    m, n = shape[-2:]
    Q, R = linalg.qr(Tensor(A), mode)
    if mode == "r":
        assert Q.shape == (0,)
        np.testing.assert_allclose(R.data, np.linalg.qr(A)[1], atol=1e-14)
        return
    q, r = np.linalg.qr(A, mode=mode)
    np.testing.assert_array_equal(Q.data, q)
    np.testing.assert_array_equal(R.data, r)
    p = q.shape[-1]
    np.testing.assert_allclose(Q.data @ R.data, A, atol=1e-13)
    identities = np.broadcast_to(np.eye(p), Q.shape[:-2] + (p, p))
    np.testing.assert_allclose(swap(Q.data) @ Q.data, identities, atol=1e-13)
    np.testing.assert_array_equal(np.tril(R.data, -1), 0.0)
    assert Q.shape == shape[:-2] + (m, min(m, n) if mode == "reduced" else m)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_first_derivatives_match_finite_differences(shape, mode, rng):
    A = rng.standard_normal(shape)
    assert gradcheck(_qr_cost(rng, shape, mode), t64(A), **TIGHT)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_second_derivatives_match_finite_differences(shape, rng):
    A = rng.standard_normal(shape)
    cost = _qr_cost(rng, shape)
    assert gradcheck(lambda A: grad(cost)(A), t64(A), atol=1e-7, rtol=1e-5)
    assert_recorded_gradient_is_the_first_order_one(cost, A)


def test_the_gradient_of_r_s_diagonal_is_the_gram_schmidt_one():
    """‖a₁‖² + dist(a₂, span a₁)² = R₀₀² + R₁₁²: its gradient in a₂ is 2 × a₂'s part
    orthogonal to a₁, in a₁ 2a₁ minus what moves a₂'s projection."""
    a1, a2 = np.array([1.0, 0.0, 1.0]), np.array([2.0, 1.0, 0.0])
    A = t64(np.stack([a1, a2], 1))
    (linalg.qr(A).R.diagonal() ** 2).sum().backward()
    residual = a2 - (a1 @ a2) / (a1 @ a1) * a1
    np.testing.assert_allclose(A.grad[:, 1], 2 * residual, atol=1e-14)
    assert gradcheck(lambda A: (linalg.qr(A).R.diagonal() ** 2).sum(), A, **TIGHT)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (2, 0, 0), (0, 2, 2)], ids=str)
def test_empty_matrices_have_a_zero_gradient_of_their_shape(shape):
    A = t64(np.zeros(shape))
    Q, R = linalg.qr(A)
    (Q.sum() + R.sum()).backward()
    assert A.grad.shape == shape


def test_tensor_qr_and_torch_qr_are_the_old_api():
    """PyTorch's t.qr(some=True): some=False is the complete decomposition."""
    import autograd as torch
    A = Tensor(np.arange(12.0).reshape(4, 3) + np.eye(4, 3))
    Q, R = A.qr()
    np.testing.assert_array_equal(Q.data, linalg.qr(A).Q.data)
    assert A.qr(some=False).Q.shape == (4, 4) and torch.qr(A, some=False).R.shape == (4, 3)
    assert torch.linalg.qr is linalg.qr


# -- gradients that do not exist are refused ------------------------------------------------

def test_the_columns_complete_mode_adds_are_refused_and_the_first_n_differentiated(rng):
    A = t64(rng.standard_normal((2, 4, 2)))
    Q, R = linalg.qr(A, mode="complete")
    with pytest.raises(np.linalg.LinAlgError, match=r"^qr: the loss of A\[0\] \(shape \(2, 4, "
                       r"2\)\) uses the columns of Q past n = 2 that mode='complete' adds"):
        (Q ** 3).sum().backward()
    reduced = t64(A.data)
    (linalg.qr(reduced).Q ** 3).sum().backward()
    A.grad = None
    Q, R = linalg.qr(A, mode="complete")
    ((Q[..., :2] ** 3).sum() + R[..., 2:, :].sum()).backward()      # (R's rows past n: 0)
    np.testing.assert_allclose(A.grad, reduced.grad, atol=1e-14)


def test_mode_r_has_no_gradient_as_in_pytorch():
    A = t64(np.eye(3, 2))
    with pytest.raises(ValueError, match=r"^qr: mode='r' computes R alone.*use qr\(A\)"):
        linalg.qr(A, mode="r").R.sum().backward()


def test_a_rank_deficient_matrix_is_refused_naming_the_batch_index():
    A = t64(np.stack([np.eye(3, 2), [[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]]]))
    with pytest.raises(np.linalg.LinAlgError, match=r"^qr: A\[1\] \(shape \(2, 3, 2\)\) does "
                       r"not have columns of full rank \(R's diagonal entry 1 is"):
        linalg.qr(A).Q.sum().backward()
    wide = t64([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0]])      # its first 2 columns: rank 1
    with pytest.raises(np.linalg.LinAlgError, match=r"^qr: A \(shape \(2, 3\)\) does not have "
                       r"first 2 columns of full rank"):
        linalg.qr(wide).R.sum().backward()


@pytest.mark.parametrize("call, error, message", [
    (lambda: linalg.qr(Tensor(np.ones(3))), ValueError,
     r"^qr: A must be a matrix or a batch of them \(\.\.\., m, n\), got shape \(3,\)"),
    (lambda: linalg.qr(Tensor(np.ones((2, 2), dtype=np.int64))), TypeError,
     r"^qr: A must be floating point, got dtype int64"),
    (lambda: linalg.qr(Tensor(np.ones((2, 2))), mode="full"), ValueError,
     r"^qr: mode must be 'reduced' \(the default\), 'complete' or 'r', got 'full'"),
    (lambda: linalg.qr(Tensor([[1.0, np.nan]])), ValueError, r"^qr: A holds NaN or inf"),
])
def test_mistakes_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
