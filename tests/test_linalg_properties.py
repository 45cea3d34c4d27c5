"""Property tests of autograd.linalg: for random batch shapes and sizes, the values agree with
numpy's and the gradients with central finite differences (float64, well-conditioned
matrices: 0.3 X + n I for the general ops, X Xᵀ + n I for the symmetric ones)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, gradcheck, linalg

batches = st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple)
sizes = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


def _general(rng: np.random.Generator, batch: tuple, n: int) -> np.ndarray:
    return 0.3 * rng.standard_normal(batch + (n, n)) + n * np.eye(n)     # (far from singular)


def _symmetric(rng: np.random.Generator, batch: tuple, n: int) -> np.ndarray:
    x = rng.standard_normal(batch + (n, n))
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


@settings(max_examples=40, deadline=None)
@given(batches, sizes, seeds)
def test_inv_det_slogdet_agree_with_numpy_and_finite_differences(batch, n, seed):
    rng = np.random.default_rng(seed)
    a = _general(rng, batch, n)
    A = Tensor(a, requires_grad=True)
    np.testing.assert_allclose(linalg.inv(A).data, np.linalg.inv(a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(linalg.det(A).data, np.linalg.det(a), rtol=1e-10)
    sign, logabsdet = linalg.slogdet(A)
    np.testing.assert_allclose(sign.data * np.exp(logabsdet.data), np.linalg.det(a), rtol=1e-10)
    w = rng.standard_normal(batch + (n, n))
    assert gradcheck(lambda A: (linalg.inv(A) * Tensor(w)).sum(), A, atol=1e-6)
    assert gradcheck(lambda A: linalg.det(A).sum(), A, atol=1e-6)
    assert gradcheck(lambda A: linalg.slogdet(A).logabsdet.sum(), A, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(batches, sizes, seeds)
def test_cholesky_and_eigvalsh_agree_with_numpy_and_finite_differences(batch, n, seed):
    rng = np.random.default_rng(seed)
    s = _symmetric(rng, batch, n)
    x = rng.standard_normal(batch + (n, n))
    L = linalg.cholesky(Tensor(s))
    np.testing.assert_allclose(L.data, np.linalg.cholesky(s), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(linalg.eigvalsh(Tensor(s)).data, np.linalg.eigvalsh(s),
                               rtol=1e-10, atol=1e-10)
    # perturbed symmetrically: f(X) = g(X + Xᵀ + s), so each pair (i, j), (j, i) moves together
    # (X small beside s's eigenvalues, all >= n: the sum stays positive definite)
    X = Tensor(0.05 * x, requires_grad=True)
    sym = lambda X: X + X.mT + Tensor(s)                             # noqa: E731
    assert gradcheck(lambda X: (linalg.cholesky(sym(X)) ** 2).sum(), X, atol=1e-6)
    assert gradcheck(lambda X: (linalg.eigvalsh(sym(X)) ** 3).sum(), X, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(batches, sizes, st.integers(1, 3), seeds)
def test_solve_and_svdvals_agree_with_numpy_and_finite_differences(batch, n, k, seed):
    rng = np.random.default_rng(seed)
    a, b = _general(rng, batch, n), rng.standard_normal(batch + (n, k))
    A, B = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    np.testing.assert_allclose(linalg.solve(A, B).data, np.linalg.solve(a, b), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(linalg.svdvals(A).data, np.linalg.svd(a, compute_uv=False),
                               rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda A, B: (linalg.solve(A, B) ** 2).sum(), A, B, atol=1e-6)
    assert gradcheck(lambda A: linalg.svdvals(A).sum(), A, atol=1e-6)
