"""Property tests of qr, matrix_norm, cond, matrix_power, kron, cross and cov: for random batch
shapes and sizes (empty ones too), the shapes are PyTorch's, the values numpy's, and the
gradients agree with central finite differences (float64, well-conditioned matrices)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, cov, gradcheck, kron, linalg

batches = st.lists(st.integers(0, 3), min_size=0, max_size=2).map(tuple)
sizes = st.integers(0, 4)
seeds = st.integers(0, 2**32 - 1)
ords = st.sampled_from(["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])


@settings(max_examples=40, deadline=None)
@given(batches, sizes, sizes, seeds)
def test_qr_shapes_values_and_gradient(batch, m, n, seed):
    rng = np.random.default_rng(seed)
    k = min(m, n)
    a = rng.standard_normal(batch + (m, n)) + np.eye(m, n)
    Q, R = linalg.qr(Tensor(a))
    assert Q.shape == batch + (m, k) and R.shape == batch + (k, n)
    np.testing.assert_allclose(Q.data @ R.data, a, atol=1e-12)
    Qc, Rc = linalg.qr(Tensor(a), mode="complete")
    assert Qc.shape == batch + (m, m) and Rc.shape == batch + (m, n)
    w = Tensor(rng.standard_normal(batch + (k, n)))
    # (well away from rank deficiency only where R's diagonal is: skip the rare close call)
    if k and a.size and np.abs(np.diagonal(R.data, 0, -2, -1)).min() < 0.1:
        return
    assert gradcheck(lambda A: ((linalg.qr(A).R * w).sum() + (linalg.qr(A).Q ** 3).sum()),
                     Tensor(a, requires_grad=True), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(batches, st.integers(1, 4), st.integers(1, 4), ords, st.booleans(), seeds)
def test_matrix_norm_shapes_values_and_gradient(batch, m, n, ord, keepdim, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batch + (m, n))
    out = linalg.matrix_norm(Tensor(a), ord, keepdim=keepdim)
    assert out.shape == (batch + (1, 1) if keepdim else batch)
    if a.size:
        np.testing.assert_allclose(out.data, np.linalg.norm(a, ord, (-2, -1), keepdim),
                                   rtol=1e-10)
        s = np.linalg.svd(a, compute_uv=False)
        if ord in (2, -2, "nuc") and (np.diff(s, axis=-1) > -1e-3).any():
            return                          # (near a tie of singular values: a kink)
        assert gradcheck(lambda A: linalg.matrix_norm(A, ord).sum(),
                         Tensor(a, requires_grad=True), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(batches, st.integers(0, 4), st.integers(-3, 4), seeds)
def test_matrix_power_and_cond_shapes_values_and_gradient(batch, n, power, seed):
    rng = np.random.default_rng(seed)
    a = 0.3 * rng.standard_normal(batch + (n, n)) + np.eye(n)
    out = linalg.matrix_power(Tensor(a), power)
    assert out.shape == a.shape
    np.testing.assert_allclose(out.data, np.linalg.matrix_power(a, power), rtol=1e-9,
                               atol=1e-12)
    assert linalg.cond(Tensor(a)).shape == batch
    assert gradcheck(lambda A: (linalg.matrix_power(A, power) ** 2).sum(),
                     Tensor(a, requires_grad=True), atol=1e-6)


shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)


@settings(max_examples=40, deadline=None)
@given(shapes, shapes, seeds)
def test_kron_shapes_values_and_gradient(a_shape, b_shape, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    out = kron(Tensor(a), Tensor(b))
    np.testing.assert_allclose(out.data, np.kron(a, b))
    assert gradcheck(lambda A, B: (kron(A, B) ** 2).sum(), Tensor(a, requires_grad=True),
                     Tensor(b, requires_grad=True), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([1, 2]), min_size=0, max_size=2).map(tuple),
       st.lists(st.sampled_from([1, 2]), min_size=0, max_size=2).map(tuple), seeds)
def test_cross_broadcasts_as_numpy(a_batch, b_batch, seed):
    rng = np.random.default_rng(seed)
    width = max(len(a_batch), len(b_batch))
    a_batch = (1,) * (width - len(a_batch)) + a_batch           # (the same number of dims)
    b_batch = (1,) * (width - len(b_batch)) + b_batch
    if any(p != q and 1 not in (p, q) for p, q in zip(a_batch, b_batch)):
        return
    a, b = rng.standard_normal(a_batch + (3,)), rng.standard_normal(b_batch + (3,))
    out = linalg.cross(Tensor(a), Tensor(b))
    np.testing.assert_allclose(out.data, np.cross(a, b), atol=1e-14)
    assert gradcheck(lambda A, B: (linalg.cross(A, B) ** 2).sum(),
                     Tensor(a, requires_grad=True), Tensor(b, requires_grad=True), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(2, 6), seeds)
def test_cov_shapes_values_and_gradient(variables, observations, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((variables, observations))
    out = cov(Tensor(x))
    assert out.shape == (() if variables == 1 else (variables, variables))
    np.testing.assert_allclose(out.data, np.cov(x), rtol=1e-10, atol=1e-14)
    assert gradcheck(lambda X: (cov(X) ** 2).sum(), Tensor(x, requires_grad=True), atol=1e-6)
