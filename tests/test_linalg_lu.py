"""`autograd.linalg.lu`, PyTorch's `torch.linalg.lu`: A = P L U with partial pivoting, batched,
differentiable to any order (checked against finite differences in float64 and against live
PyTorch), and the start of Glow's LU-parametrised 1x1 convolution. Before it, `torch.linalg.lu`
said to use "np.linalg on t.data", which has no LU."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck, gradgradcheck, linalg

from torch_helpers import needs_torch, torch


def _check_factors(A: np.ndarray, P: Tensor, L: Tensor, U: Tensor) -> None:
    n = A.shape[-1]
    np.testing.assert_allclose(P.data @ L.data @ U.data, A, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.triu(L.data, 1), 0)
    np.testing.assert_array_equal(np.diagonal(L.data, axis1=-2, axis2=-1), 1)
    np.testing.assert_array_equal(np.tril(U.data, -1), 0)
    assert (np.abs(L.data) <= 1 + 1e-12).all()          # partial pivoting: |multipliers| ≤ 1
    np.testing.assert_array_equal(P.data.sum(-1), 1)    # a permutation matrix
    np.testing.assert_array_equal(P.data.sum(-2), 1)
    assert not P.requires_grad and P.shape == A.shape and L.shape == U.shape == A.shape
    assert P.dtype == L.dtype == U.dtype == A.dtype and U.shape[-1] == n


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (5, 5), (2, 4, 4), (2, 3, 3, 3)])
def test_lu_factors_a_batch_with_pivoting(shape):
    A = np.random.default_rng(0).standard_normal(shape)
    P, L, U = linalg.lu(Tensor(A))
    _check_factors(A, P, L, U)
    sign, logabsdet = np.linalg.slogdet(A)              # det A = det P · Π diag U
    np.testing.assert_allclose(np.log(np.abs(np.diagonal(U.data, axis1=-2, axis2=-1))).sum(-1),
                               logabsdet, rtol=1e-12)


def test_lu_pivots_where_a_zero_would_stop_plain_elimination():
    A = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [4.0, 0.0, 3.0]])
    P, L, U = linalg.lu(Tensor(A))
    _check_factors(A, P, L, U)
    np.testing.assert_array_equal(U.data[0], A[2])     # the largest first entry leads


@pytest.mark.parametrize("which", ["L", "U", "both"])
def test_lu_gradients_are_the_finite_differences_to_second_order(which):
    A = np.random.default_rng(1).standard_normal((2, 3, 3)) + 2 * np.eye(3)
    weights = np.random.default_rng(2).standard_normal((2, 3, 3))

    def f(a):
        _, L, U = linalg.lu(a)
        picked = {"L": L, "U": U, "both": L @ U.tanh()}[which]
        return (picked * weights).sum()

    assert gradcheck(f, A)
    assert gradgradcheck(f, A)


def test_glows_lu_parametrised_layer_starts_from_lu_and_its_log_det_is_slogdet():
    autograd.manual_seed(0)
    W0, _ = linalg.qr(autograd.randn(4, 4, dtype=np.float64))
    P, L, U = linalg.lu(W0)
    lower = (L - autograd.eye(4, dtype=np.float64)).requires_grad_()   # the trained parts
    upper = U.triu(1).detach().requires_grad_()
    log_s = U.diagonal().abs().log().detach().requires_grad_()
    sign_s = U.diagonal().sign().detach()
    eye = autograd.eye(4, dtype=np.float64)
    W = P @ (lower.tril(-1) + eye) @ (upper.triu(1) + autograd.diag(sign_s * log_s.exp()))
    np.testing.assert_allclose(W.data, W0.data, atol=1e-12)
    np.testing.assert_allclose(log_s.sum().item(), linalg.slogdet(W)[1].item(), atol=1e-12)
    linalg.slogdet(W)[1].backward()
    np.testing.assert_allclose(log_s.grad, 1.0, atol=1e-12)     # d log|det W| / d log s_i
    np.testing.assert_allclose(lower.grad, 0.0, atol=1e-12)     # triangular parts: no change
    np.testing.assert_allclose(upper.grad, 0.0, atol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: linalg.lu(Tensor(np.array([[1.0, 2.0], [2.0, 4.0]]))), np.linalg.LinAlgError,
     r"lu: A is singular \(column 1 has no nonzero pivot\); glassgrad's lu takes invertible"),
    (lambda: linalg.lu(Tensor(np.stack([np.eye(2), np.zeros((2, 2))]))), np.linalg.LinAlgError,
     r"lu: A at batch index \[1\] is singular \(column 0"),
    (lambda: linalg.lu(Tensor(np.eye(2)), pivot=False), ValueError,
     r"lu: pivot=False is not supported"),
    (lambda: linalg.lu(Tensor(np.ones((2, 3)))), ValueError, r"lu: A must be a square matrix"),
    (lambda: linalg.lu_factor, AttributeError,
     r"no attribute 'lu_factor': lu\(A\) gives P, L, U instead of the packed factors"),
    (lambda: linalg.lu_solve, AttributeError, r"no attribute 'lu_solve': solve\(A, B\) solves"),
])
def test_lu_refuses_what_it_does_not_factor_and_names_the_other_forms(call, error, message):
    with pytest.raises(error, match=message):
        call()


@needs_torch
@pytest.mark.parametrize("shape", [(4, 4), (3, 3, 3)])
def test_lu_matches_pytorch_values_and_gradients(shape):
    rng = np.random.default_rng(3)
    A, G_L, G_U = (rng.standard_normal(shape) for _ in range(3))
    ours = Tensor(A, requires_grad=True)
    theirs = torch.tensor(A, requires_grad=True)
    P, L, U = linalg.lu(ours)
    tP, tL, tU = torch.linalg.lu(theirs)
    np.testing.assert_array_equal(P.data, tP.numpy())
    np.testing.assert_allclose(L.data, tL.detach().numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(U.data, tU.detach().numpy(), rtol=1e-10, atol=1e-13)
    ((L * Tensor(G_L)).sum() + (U * Tensor(G_U)).sum()).backward()
    ((tL * torch.tensor(G_L)).sum() + (tU * torch.tensor(G_U)).sum()).backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
