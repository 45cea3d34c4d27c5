"""Property tests of autograd.jacobian, hessian and the products: for random input shapes (0-d
to 2-d, batch axes of one included) and a function that broadcasts a random constant against
its input, the Jacobian and the Hessian agree with central finite differences (float64), and
vjp, jvp and hvp with the matrices they avoid building."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, hessian, hvp, jacobian, jvp, vjp

from test_derivatives import TOL, fd_hessian, fd_jacobian

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple)
seeds = st.integers(0, 2**32 - 1)


def _constant_for(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """A constant broadcast against `shape`: some axes kept, some of size one, one more in front."""
    kept = tuple(n if rng.random() < 0.5 else 1 for n in shape)
    return rng.uniform(0.5, 1.5, (2,) + kept)


@settings(max_examples=30, deadline=None)
@given(shapes, seeds)
def test_jacobian_and_products_agree_with_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, shape)
    c = _constant_for(shape, rng)

    def f(t):                                   # shape (2,) + shape: broadcasting inside
        return (t * Tensor(c)).tanh() * t.sum() + t.exp()

    J = jacobian(f, x)
    out_shape = (2,) + shape
    assert J.shape == out_shape + shape
    np.testing.assert_allclose(J, fd_jacobian(f, [x], 0), **TOL)
    u, v = rng.standard_normal(out_shape), rng.standard_normal(shape)
    matrix = J.reshape(int(np.prod(out_shape)), x.size)
    _, uJ = vjp(f, Tensor(x), v=u)
    np.testing.assert_allclose(uJ.data.reshape(-1), u.reshape(-1) @ matrix, rtol=1e-10,
                               atol=1e-12)
    _, Jv = jvp(f, Tensor(x), v=v)
    assert Jv.shape == out_shape
    np.testing.assert_allclose(Jv.data.reshape(-1), matrix @ v.reshape(-1), rtol=1e-10,
                               atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(shapes, seeds)
def test_hessian_and_hvp_agree_with_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, shape)
    c = _constant_for(shape, rng)

    def f(t):
        return ((t * Tensor(c)).sin() * t).sum() + (t * t).sum() ** 2

    H = hessian(f, x)
    assert H.shape == shape + shape
    np.testing.assert_allclose(H, fd_hessian(f, [x], 0, 0), **TOL)
    square = H.reshape(x.size, x.size)
    np.testing.assert_allclose(square, square.T, rtol=1e-12, atol=1e-12)
    v = rng.standard_normal(shape)
    _, Hv = hvp(f, x, v=v)
    np.testing.assert_allclose(Hv.reshape(-1), square @ v.reshape(-1), rtol=1e-10, atol=1e-12)
