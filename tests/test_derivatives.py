"""autograd.jacobian, hessian, vjp, jvp, hvp, vhp and gradgradcheck: each against central finite
differences in float64 at points away from zero (the Jacobian against a finite-difference
Jacobian, the Hessian against finite differences of backprop's gradient, the products against
the explicit matrices), for 0-d, 1-d, batch-of-one and tuple inputs, with broadcasting inside f,
Values, create_graph, and the errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
import autograd

from autograd import (
    Function, GradcheckError, Tensor, Value, grad, gradcheck, gradgradcheck, hessian, hvp,
    jacobian, jvp, no_grad, vhp, vjp,
)

from conftest import sample, strict

EPS = 1e-6
TOL = dict(rtol=1e-6, atol=1e-8)


def _call(f, arrays):
    """f at float64 arrays (as constant Tensors): its output(s) as arrays."""
    with no_grad():
        out = f(*[Tensor(a) for a in arrays])
    if isinstance(out, (tuple, list)):
        return [np.asarray(o.data, dtype=np.float64) for o in out]
    return np.asarray(out.data, dtype=np.float64)


def fd_jacobian(f, arrays, j, i=None, eps=EPS):
    """d f(arrays)[i] / d arrays[j] by central differences: shape out.shape + in.shape."""
    pick = (lambda r: r) if i is None else (lambda r: r[i])
    x = arrays[j]
    base = pick(_call(f, arrays))
    J = np.zeros(base.shape + x.shape)
    for k in np.ndindex(x.shape):
        moved = [a.copy() for a in arrays]
        moved[j][k] += eps
        plus = pick(_call(f, moved))
        moved[j][k] -= 2 * eps
        minus = pick(_call(f, moved))
        J[(Ellipsis,) + k] = (plus - minus) / (2 * eps)
    return J


def fd_hessian(f, arrays, i, j, eps=EPS):
    """d/d arrays[j] of backprop's gradient with respect to arrays[i], by central differences:
    shape in_i.shape + in_j.shape."""
    def gradient(*ts):
        return Tensor(grad(f, tuple(range(len(ts))))(*[t.data for t in ts])[i])
    return fd_jacobian(gradient, arrays, j, eps=eps)


def rng_point(seed, *shapes, domain="nonzero"):
    rng = np.random.default_rng(seed)
    return [sample(domain, shape, rng) for shape in shapes]


# ----------------------------------------------------------------------------------------------
# jacobian
# ----------------------------------------------------------------------------------------------

W = np.array([[0.7, -1.3, 0.4], [0.2, 0.9, -0.8]])


def vector_function(x):
    """R³ → R²: a matrix product, a broadcast bias and a nonlinearity coupling the elements."""
    return (Tensor(W) @ x).tanh() * x.sum() + Tensor(np.array([0.5, -0.25])) * x[0] ** 2


def test_jacobian_of_a_vector_function_is_the_finite_difference_jacobian():
    (x,) = rng_point(0, (3,))
    J = jacobian(vector_function, Tensor(x))
    assert isinstance(J, Tensor) and J.shape == (2, 3) and not J.requires_grad
    np.testing.assert_allclose(J.data, fd_jacobian(vector_function, [x], 0), **TOL)


def test_jacobian_of_a_zero_dimensional_input_and_output():
    f = lambda t: (t * t).sin() * t
    J = jacobian(f, Tensor(np.float64(0.8)))
    assert J.shape == ()
    np.testing.assert_allclose(J.data, fd_jacobian(f, [np.array(0.8)], 0), **TOL)
    out_vector = lambda t: t * Tensor(np.array([1.0, -2.0, 3.0])) + t.exp()    # () → (3,)
    J = jacobian(out_vector, Tensor(np.float64(-0.6)))
    assert J.shape == (3,)
    np.testing.assert_allclose(J.data, fd_jacobian(out_vector, [np.array(-0.6)], 0), **TOL)
    scalar_of_vector = lambda x: (x * x.exp()).sum()                           # (3,) → ()
    (x,) = rng_point(1, (3,))
    J = jacobian(scalar_of_vector, Tensor(x))
    assert J.shape == (3,)
    np.testing.assert_allclose(J.data, fd_jacobian(scalar_of_vector, [x], 0), **TOL)


def test_jacobian_of_a_batch_of_one_keeps_both_shapes():
    """out.shape + in.shape, with the batch axis of one on both sides: (1, 2, 1, 3)."""
    f = lambda x: (x @ Tensor(W.T)).sigmoid()                  # (1, 3) → (1, 2)
    (x,) = rng_point(2, (1, 3))
    J = jacobian(f, Tensor(x))
    assert J.shape == (1, 2, 1, 3)
    np.testing.assert_allclose(J.data, fd_jacobian(f, [x], 0), **TOL)


def test_jacobian_of_several_inputs_and_outputs_with_broadcasting_inside():
    """A (2, 3) and b (3,), broadcast against each other: a tuple of blocks per output, each of
    shape out_i.shape + in_j.shape, as in PyTorch."""
    def f(a, b):
        return a * b.exp() - b, (a ** 2 / b).sum(axis=0)
    a, b = rng_point(3, (2, 3), (3,))
    J = jacobian(f, (Tensor(a), Tensor(b)))
    assert isinstance(J, tuple) and len(J) == 2 and all(len(row) == 2 for row in J)
    shapes = [[block.shape for block in row] for row in J]
    assert shapes == [[(2, 3, 2, 3), (2, 3, 3)], [(3, 2, 3), (3, 3)]]
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(J[i][j].data, fd_jacobian(f, [a, b], j, i), **TOL)


def test_one_input_in_a_tuple_gives_a_tuple_and_one_output_in_a_tuple_too():
    (x,) = rng_point(4, (3,))
    J = jacobian(vector_function, (Tensor(x),))
    assert isinstance(J, tuple) and len(J) == 1 and J[0].shape == (2, 3)
    J = jacobian(lambda x: (vector_function(x),), Tensor(x))
    assert isinstance(J, tuple) and len(J) == 1 and J[0].shape == (2, 3)


def test_arrays_in_give_arrays_out_and_numbers_give_numbers():
    """As `grad` does: the Newton step needs an ndarray for np.linalg.solve."""
    (x,) = rng_point(5, (3,))
    J = jacobian(vector_function, x)
    assert type(J) is np.ndarray
    np.testing.assert_allclose(J, fd_jacobian(vector_function, [x], 0), **TOL)
    d = jacobian(lambda v: v ** 3 + v.tanh(), 0.7)
    assert type(d) is float and d == pytest.approx(3 * 0.49 + 1 - np.tanh(0.7) ** 2, rel=1e-14)
    assert type(jacobian(lambda v: v * v, [1.0, 2.0])) is np.ndarray   # a list of numbers: array
    assert type(jacobian(lambda v: v * v, np.array([1, 2]))) is np.ndarray   # integers: float64


def test_mixed_inputs_each_block_follows_its_own_input():
    (x,) = rng_point(6, (3,))
    J = jacobian(lambda a, b: a * b, (Tensor(x), x))
    assert isinstance(J[0], Tensor) and type(J[1]) is np.ndarray


def test_jacobian_of_a_function_of_values_micrograd_style():
    """A micrograd learner's network: a list of Values in, a list of Values out; J[i][j] is a
    Value, d out i / d input j, matching finite differences."""
    def layer(a, b, c):
        return [(a * b + c).tanh(), (a - 2 * c).exp() * b]
    point = [0.4, -0.9, 0.3]
    J = jacobian(layer, [Value(p) for p in point])
    assert len(J) == 2 and all(len(row) == 3 for row in J)
    assert all(isinstance(block, Value) for row in J for block in row)

    def numbers(*ps):
        return [o.data for o in layer(*[Value(p) for p in ps])]
    for j in range(3):
        up, down = list(point), list(point)
        up[j] += EPS
        down[j] -= EPS
        for i in range(2):
            fd = (numbers(*up)[i] - numbers(*down)[i]) / (2 * EPS)
            assert J[i][j].data == pytest.approx(fd, rel=1e-7, abs=1e-9)
    numbers_out = jacobian(layer, (0.4, -0.9, 0.3))      # a tuple of numbers: three inputs
    assert type(numbers_out[0][0]) is float
    assert numbers_out[1][2] == pytest.approx(J[1][2].data, rel=1e-15)


def test_an_output_independent_of_an_input_gives_zeros_and_strict_raises():
    f = lambda a, b: a * 2.0 + a.exp()                    # b unused
    a, b = rng_point(7, (2,), (3,))
    J = jacobian(f, (Tensor(a), Tensor(b)))
    np.testing.assert_array_equal(J[1].data, np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match=r"^jacobian: strict=True: the output does not "
                                           r"depend on input 1 \(no gradient reaches it\)"):
        jacobian(f, (Tensor(a), Tensor(b)), strict=True)
    constant = lambda x: Tensor(np.ones(2))               # no graph at all
    np.testing.assert_array_equal(jacobian(constant, a), np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="strict=True"):
        jacobian(constant, a, strict=True)


def test_strict_with_create_graph_refuses_a_constant_jacobian():
    """As PyTorch: with strict=True and create_graph=True, a block that cannot be
    differentiated again (func is linear in that input) is an error."""
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"strict=True with create_graph=True: the derivative "
                                           r"of the output with respect to the input is a "
                                           r"constant"):
        jacobian(lambda x: 3.0 * x, x, create_graph=True, strict=True)
    J = jacobian(lambda x: 3.0 * x, x, create_graph=True)
    np.testing.assert_array_equal(J.data, 3.0 * np.eye(2))


def test_jacobian_works_inside_no_grad_and_leaves_every_grad_alone():
    x = Tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
    x.grad = np.array([7.0, 7.0, 7.0])
    Wt = Tensor(W, requires_grad=True)
    with no_grad():
        J = jacobian(lambda x: (Wt @ x).tanh(), x)
    np.testing.assert_allclose(J.data, fd_jacobian(lambda x: (Tensor(W) @ x).tanh(),
                                                   [x.data.copy()], 0), **TOL)
    np.testing.assert_array_equal(x.grad, [7.0, 7.0, 7.0])
    assert Wt.grad is None and not J.requires_grad


def test_float32_inputs_give_float32_jacobians():
    x = Tensor(np.array([0.5, -1.5], dtype=np.float32))
    J = jacobian(lambda x: x * x, x)
    assert J.dtype == np.float32
    np.testing.assert_allclose(J.data, np.diag([1.0, -3.0]), rtol=1e-6)


def test_vectorize_is_accepted_and_forward_mode_needs_it_as_in_pytorch():
    (x,) = rng_point(8, (3,))
    np.testing.assert_array_equal(jacobian(vector_function, x, vectorize=True),
                                  jacobian(vector_function, x))
    np.testing.assert_array_equal(
        jacobian(vector_function, x, vectorize=True, strategy="forward-mode"),
        jacobian(vector_function, x))
    f = lambda x: (x ** 3).sum()                                       # noqa: E731
    np.testing.assert_array_equal(
        hessian(f, x, vectorize=True, outer_jacobian_strategy="forward-mode"), hessian(f, x))
    with pytest.raises(NotImplementedError, match=r"^jacobian: strategy='forward-mode' needs "
                                                  r"vectorize=True, as in PyTorch"):
        jacobian(vector_function, x, strategy="forward-mode")
    with pytest.raises(ValueError, match=r"^jacobian: strategy must be 'reverse-mode' or "):
        jacobian(vector_function, x, strategy="reverse")
    with pytest.raises(NotImplementedError, match=r"^hessian: outer_jacobian_strategy="):
        hessian(lambda x: x.sum(), x, outer_jacobian_strategy="forward-mode")


# ----------------------------------------------------------------------------------------------
# create_graph: the results are differentiated again
# ----------------------------------------------------------------------------------------------

def scalar_function(x):
    return (x.tanh() * x.exp()).sum() + (x[0] * x[1] * x[2]) ** 2


def test_a_hessian_entry_is_differentiated_again():
    """d H[0, 1] / dx against finite differences of the Hessian entry itself."""
    (x0,) = rng_point(9, (3,))
    x = Tensor(x0.copy(), requires_grad=True)
    H = hessian(scalar_function, x, create_graph=True)
    assert H.requires_grad
    (third,) = grad(H[0, 1], x)

    def entry(p):
        return hessian(scalar_function, p)[0, 1]
    fd = np.array([(entry(x0 + EPS * e) - entry(x0 - EPS * e)) / (2 * EPS) for e in np.eye(3)])
    np.testing.assert_allclose(third.data, fd, rtol=1e-5, atol=1e-7)


def test_create_graph_reaches_the_parameters_func_reads():
    """The Jacobian of a layer with respect to its input, differentiated with respect to the
    layer's weight (a closure): a gradient penalty's pattern."""
    Wt = Tensor(W.copy(), requires_grad=True)
    (x,) = rng_point(10, (3,))

    def penalty(w):
        J = jacobian(lambda v: (w @ v).tanh(), x, create_graph=True)
        return (J * J).sum()
    assert gradcheck(penalty, Wt)
    J = jacobian(lambda v: (Wt @ v).tanh(), x, create_graph=True)
    assert isinstance(J, Tensor) and J.requires_grad     # an array in, but it reads Wt


def test_create_graph_products_are_differentiable():
    (x0, v0) = rng_point(11, (3,), (3,))
    x = Tensor(x0, requires_grad=True)
    _, hv = hvp(scalar_function, x, v=v0, create_graph=True)
    assert gradcheck(lambda x: hvp(scalar_function, x, v=v0, create_graph=True)[1].sum(), x)
    assert hv.requires_grad
    _, jv = jvp(vector_function, x, v=v0, create_graph=True)
    assert gradcheck(lambda x: jvp(vector_function, x, v=v0, create_graph=True)[1], x)
    assert gradcheck(lambda x: vjp(vector_function, x, v=np.array([0.3, -2.0]),
                                   create_graph=True)[1], x)


def test_the_derivative_is_with_respect_to_the_argument_not_other_uses_of_the_tensor():
    """f(a) = a * x with x also the point: d f / d a = x (the closure's x is a constant), as
    PyTorch computes it, with create_graph=True too."""
    x = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    for create_graph in (False, True):
        J = jacobian(lambda a: a * x, x, create_graph=create_graph)
        np.testing.assert_array_equal(J.data, np.diag(x.data))
        J = jacobian(lambda a, b: a * b, (x, x), create_graph=create_graph)
        np.testing.assert_array_equal(J[0].data, np.diag(x.data))


# ----------------------------------------------------------------------------------------------
# hessian
# ----------------------------------------------------------------------------------------------

def test_hessian_of_a_vector_input_is_finite_differences_of_the_gradient():
    (x,) = rng_point(12, (3,))
    H = hessian(scalar_function, Tensor(x))
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H.data, fd_hessian(scalar_function, [x], 0, 0), **TOL)
    np.testing.assert_allclose(H.data, H.data.T, rtol=1e-12, atol=1e-12)


def test_hessian_of_zero_dimensional_and_batch_of_one_inputs():
    f0 = lambda t: t.sin() * t.exp()
    H = hessian(f0, Tensor(np.float64(0.4)))
    assert H.shape == ()
    np.testing.assert_allclose(H.data, fd_hessian(f0, [np.array(0.4)], 0, 0), **TOL)
    f1 = lambda x: ((x @ Tensor(W.T)).tanh() ** 2).sum()   # (1, 3) → ()
    (x,) = rng_point(13, (1, 3))
    H = hessian(f1, Tensor(x))
    assert H.shape == (1, 3, 1, 3)
    np.testing.assert_allclose(H.data, fd_hessian(f1, [x], 0, 0), **TOL)
    one_element = lambda x: (x * x.exp()).sum(axis=1)        # (1, 3) → (1,): one element
    assert hessian(one_element, Tensor(x)).shape == (1, 3, 1, 3)


def test_hessian_of_several_inputs_is_a_tuple_of_tuples():
    def f(a, b):
        return (a.tanh() * b).sum() + (a ** 2).mean() * b.exp().sum()   # b broadcast on rows
    a, b = rng_point(14, (2, 3), (3,))
    H = hessian(f, (Tensor(a), Tensor(b)))
    assert [[block.shape for block in row] for row in H] == \
        [[(2, 3, 2, 3), (2, 3, 3)], [(3, 2, 3), (3, 3)]]
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(H[i][j].data, fd_hessian(f, [a, b], i, j), **TOL)
    np.testing.assert_allclose(H[0][1].data, np.moveaxis(H[1][0].data, 0, -1), rtol=1e-12)


def test_hessian_of_values():
    f = lambda a, b: (a * b).tanh() + a ** 3 / b
    H = hessian(f, (Value(0.7), Value(-1.3)))
    assert all(isinstance(h, Value) for row in H for h in row)
    a, b = 0.7, -1.3

    def gradient(p, q):
        ga, gb = grad(f, (0, 1))(p, q)
        return np.array([ga, gb])
    for j, e in enumerate(np.eye(2)):
        fd = (gradient(*(np.array([a, b]) + EPS * e)) - gradient(*(np.array([a, b]) - EPS * e))
              ) / (2 * EPS)
        for i in range(2):
            assert H[i][j].data == pytest.approx(fd[i], rel=1e-6, abs=1e-9)
    assert hessian(lambda v: v ** 3, 2.0) == 12.0


def test_hessian_of_a_linear_input_is_zero_and_strict_raises():
    f = lambda a, b: (a * a).sum() + (b * 3.0).sum()        # linear in b
    a, b = rng_point(15, (2,), (2,))
    H = hessian(f, (a, b))
    np.testing.assert_array_equal(H[1][1], np.zeros((2, 2)))
    np.testing.assert_array_equal(H[0][1], np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match=r"^hessian: strict=True: the gradient with respect "
                                           r"to input 0 does not depend on input 1"):
        hessian(f, (a, b), strict=True)
    with pytest.raises(RuntimeError, match=r"^hessian: strict=True: func's output does not "
                                           r"depend on input 1"):
        hessian(lambda a, b: (a * a).sum(), (a, b), strict=True)


def test_hessian_needs_a_scalar_function():
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^hessian: func must return a single Value or "
                                         r"one-element Tensor .* got a Tensor of shape \(2,\); "
                                         r"reduce it"):
        hessian(lambda x: x * x, x)
    with pytest.raises(TypeError, match=r"^hessian: func must return a single Value or "
                                        r"one-element Tensor .* got a tuple of 2"):
        hessian(lambda x: (x.sum(), x.sum()), x)
    with pytest.raises(ValueError, match=r"^hvp: func must return a single Value"):
        hvp(lambda x: x * x, x, v=x)


# ----------------------------------------------------------------------------------------------
# vjp, jvp, hvp, vhp: against the explicit matrices
# ----------------------------------------------------------------------------------------------

def test_vjp_is_v_times_the_jacobian():
    x, v = rng_point(16, (3,), (2,))
    out, g = vjp(vector_function, Tensor(x), v=Tensor(v))
    np.testing.assert_allclose(out.data, _call(vector_function, [x]), rtol=1e-15)
    np.testing.assert_allclose(g.data, v @ fd_jacobian(vector_function, [x], 0), **TOL)
    assert not out.requires_grad and not g.requires_grad


def test_jvp_is_the_jacobian_times_v():
    x, v = rng_point(17, (3,), (3,))
    out, jv = jvp(vector_function, Tensor(x), v=Tensor(v))
    assert jv.shape == (2,)
    np.testing.assert_allclose(out.data, _call(vector_function, [x]), rtol=1e-15)
    np.testing.assert_allclose(jv.data, fd_jacobian(vector_function, [x], 0) @ v, **TOL)


def test_products_of_several_inputs_and_outputs():
    def f(a, b):
        return a * b.exp() - b, (a ** 2 / b).sum(axis=0)
    a, b, va, vb, u0, u1 = rng_point(18, (2, 3), (3,), (2, 3), (3,), (2, 3), (3,))
    J = [[fd_jacobian(f, [a, b], j, i) for j in range(2)] for i in range(2)]
    outs, (ga, gb) = vjp(f, (Tensor(a), Tensor(b)), v=(u0, u1))
    assert isinstance(outs, tuple) and len(outs) == 2
    for j, g in enumerate((ga, gb)):
        expect = (np.tensordot(u0, J[0][j], axes=2) + np.tensordot(u1, J[1][j], axes=1))
        np.testing.assert_allclose(g.data, expect, **TOL)
    _, (j0, j1) = jvp(f, (Tensor(a), Tensor(b)), v=(va, vb))
    np.testing.assert_allclose(j0.data, np.tensordot(J[0][0], va, axes=2)
                               + np.tensordot(J[0][1], vb, axes=1), **TOL)
    np.testing.assert_allclose(j1.data, np.tensordot(J[1][0], va, axes=2)
                               + np.tensordot(J[1][1], vb, axes=1), **TOL)


def test_hvp_and_vhp_are_the_hessian_times_v():
    x, v = rng_point(19, (3,), (3,))
    H = fd_hessian(scalar_function, [x], 0, 0)
    for product in (hvp, vhp):
        out, hv = product(scalar_function, Tensor(x), v=Tensor(v))
        np.testing.assert_allclose(out.data, _call(scalar_function, [x]), rtol=1e-15)
        np.testing.assert_allclose(hv.data, H @ v, **TOL)


def test_hvp_of_several_inputs():
    def f(a, b):
        return (a.tanh() * b).sum() + (a ** 2).mean() * b.exp().sum()
    a, b, va, vb = rng_point(20, (2, 3), (3,), (2, 3), (3,))
    _, (ha, hb) = hvp(f, (Tensor(a), Tensor(b)), v=(Tensor(va), Tensor(vb)))
    H = [[fd_hessian(f, [a, b], i, j) for j in range(2)] for i in range(2)]
    np.testing.assert_allclose(ha.data, np.tensordot(H[0][0], va, axes=2)
                               + np.tensordot(H[0][1], vb, axes=1), **TOL)
    np.testing.assert_allclose(hb.data, np.tensordot(H[1][0], va, axes=2)
                               + np.tensordot(H[1][1], vb, axes=1), **TOL)


def test_products_of_values_and_of_a_zero_dimensional_input():
    f = lambda a, b: (a * b).sin()
    out, (ga, gb) = vjp(f, (Value(0.4), Value(1.1)), v=2.0)
    assert isinstance(out, Value) and ga.data == pytest.approx(2 * np.cos(0.44) * 1.1, rel=1e-14)
    _, jv = jvp(f, (Value(0.4), Value(1.1)), v=(1.0, -1.0))
    assert jv.data == pytest.approx(np.cos(0.44) * (1.1 - 0.4), rel=1e-14)
    _, d = jvp(lambda t: t.exp() * t, Tensor(np.float64(0.3)))         # v = 1 when left out
    assert d.data == pytest.approx(np.exp(0.3) * 1.3, rel=1e-14)
    _, d2 = hvp(lambda t: t.exp() * t, 0.3)                          # numbers in: numbers out
    assert type(d2) is float and d2 == pytest.approx(np.exp(0.3) * 2.3, rel=1e-14)


def test_a_product_for_an_unused_input_or_output_is_zero_and_strict_raises():
    a, b = rng_point(21, (2,), (3,))
    _, (ga, gb) = vjp(lambda a, b: a.exp(), (a, b), v=np.ones(2))
    np.testing.assert_array_equal(gb, np.zeros(3))
    with pytest.raises(RuntimeError, match=r"^vjp: strict=True: func's output does not depend "
                                           r"on input 1"):
        vjp(lambda a, b: a.exp(), (a, b), v=np.ones(2), strict=True)
    _, (j0, j1) = jvp(lambda a, b: (a.exp(), Tensor(np.ones(2))), (a, b), v=(a, b))
    np.testing.assert_array_equal(j1, np.zeros(2))
    with pytest.raises(RuntimeError, match=r"^jvp: strict=True"):
        jvp(lambda a, b: (a.exp(), Tensor(np.ones(2))), (a, b), v=(a, b), strict=True)
    _, (ha, hb) = hvp(lambda a, b: (a ** 3).sum() + b.sum(), (a, b), v=(a, b))
    np.testing.assert_array_equal(hb, np.zeros(3))
    with pytest.raises(RuntimeError, match=r"^hvp: strict=True: the gradient of func's output "
                                           r"does not depend on input 1"):
        hvp(lambda a, b: (a ** 3).sum() + b.sum(), (a, b), v=(a, b), strict=True)


# ----------------------------------------------------------------------------------------------
# The errors: each names the function, the shapes and what was expected
# ----------------------------------------------------------------------------------------------

def test_v_of_the_wrong_shape_is_refused_naming_both_shapes():
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^vjp: v has shape \(3,\), but func's output has "
                                         r"shape \(2,\): they must match"):
        vjp(vector_function, x, v=np.ones(3))
    with pytest.raises(ValueError, match=r"^jvp: v has shape \(2,\), but the input has shape "
                                         r"\(3,\): they must match"):
        jvp(vector_function, x, v=Tensor(np.ones(2)))
    with pytest.raises(ValueError, match=r"^hvp: v\[1\] has shape \(3,\), but input 1 has "
                                         r"shape \(2,\)"):
        hvp(lambda a, b: (a * a).sum() + (b * b).sum(), (x, x[:2]), v=(x, x))
    with pytest.raises(ValueError, match=r"^jvp: v must be a tuple of 2, one per input, got a "
                                         r"ndarray"):
        jvp(lambda a, b: a * b, (x, x), v=x)


def test_v_left_out_only_for_one_element():
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^vjp: v can be left out only for a single output of "
                                         r"one element \(it is then 1\); give v of the shape "
                                         r"of: func's output \(2,\)"):
        vjp(lambda x: x * x, x)
    with pytest.raises(ValueError, match=r"^jvp: v can be left out only for a single input"):
        jvp(lambda x: x * x, x)
    out, g = vjp(lambda x: (x * x).sum(), x)                # one element: v = 1
    np.testing.assert_array_equal(g, [2.0, 4.0])


def test_a_function_that_returns_no_node_is_refused():
    with pytest.raises(TypeError, match=r"^jacobian: func must return a Tensor or a Value \(or "
                                        r"a tuple of them\); it is a ndarray of shape \(2,\) "
                                        r"\(a result that is not a node has no graph"):
        jacobian(lambda x: np.sin(x.data), np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"^vjp: .*; output 1 is a float"):
        vjp(lambda x: (x * 2, 3.0), np.array([1.0, 2.0]), v=(np.ones(2), 1.0))
    with pytest.raises(ValueError, match=r"^jacobian: func returned an empty tuple"):
        jacobian(lambda x: (), np.array([1.0]))


def test_integer_tensors_and_non_numbers_are_refused():
    with pytest.raises(TypeError, match=r"^jacobian: the input is a Tensor of dtype int64 "
                                        r"\(shape \(2,\)\); a derivative needs floating point, as "
                                        r"in PyTorch: pass x.double\(\)"):
        jacobian(lambda x: x * 2, Tensor(np.array([1, 2])))
    with pytest.raises(TypeError, match=r"^hessian: input 1 is a Tensor of dtype int64"):
        hessian(lambda a, b: (a * b).sum(), (np.ones(2), Tensor(np.array([1, 2]))))
    with pytest.raises(TypeError, match=r"^jvp: the input is the bool True"):
        jvp(lambda x: x, True)
    with pytest.raises(TypeError, match=r"^vjp: the input is an array of dtype <U1; expected a "
                                        r"Tensor, a Value, a number or an array of numbers"):
        vjp(lambda x: x, ["a"])
    with pytest.raises(ValueError, match=r"^jacobian: inputs is empty"):
        jacobian(lambda: Tensor(1.0), ())


def test_a_result_given_for_the_function_is_refused():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match=r"^jacobian: func is the function to differentiate, "
                                        r"called as func\(\*inputs\); got a Tensor, a result "
                                        r"already computed"):
        jacobian(x * x, x)
    with pytest.raises(TypeError, match=r"^gradgradcheck: func is the function to check"):
        gradgradcheck(x * x, x)


def test_a_value_for_a_tensor_and_the_other_way_round_are_refused():
    with pytest.raises(TypeError, match=r"^vjp: v is for func's output, a Tensor of shape "
                                        r"\(2,\); got a Value"):
        vjp(lambda x: x * x, np.ones(2), v=Value(1.0))
    with pytest.raises(TypeError, match=r"^jvp: v is for the input, a Value, so it must be a "
                                        r"number or a Value; got a ndarray"):
        jvp(lambda x: x * x, Value(1.0), v=np.ones(2))


# ----------------------------------------------------------------------------------------------
# gradgradcheck
# ----------------------------------------------------------------------------------------------

class CubeWithFlatSecondDerivative(Function):
    """x³ whose backward reads x's numbers (x.data) instead of x: its first derivative 3x² g is
    right, so gradcheck passes, but in a higher-order pass 3x² is a constant, so the second
    derivative it gives is 0 instead of 6x g."""
    name = "cube_flat"

    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * (3 * np.asarray(getattr(x, "data", x)) ** 2),)


def test_gradgradcheck_accepts_right_second_derivatives():
    a, b = rng_point(22, (2, 3), (3,))
    A = Tensor(a, requires_grad=True)
    B = Tensor(b, requires_grad=True)
    assert gradgradcheck(lambda a, b: (a * b.exp()).tanh() / b, (A, B))
    assert gradgradcheck(lambda a, b: ((a * b).sum(), a.sigmoid()), (A, B))   # two outputs
    assert gradgradcheck(lambda x, n: x ** n, (A, 3))        # PyTorch's tuple: n passed as is
    assert gradgradcheck(lambda v: v.tanh() * v, Value(0.6))
    assert gradgradcheck(lambda x: (x * x).exp(), a)          # an array: checked
    assert gradgradcheck(lambda a, b: a * b.exp(), (A, B), grad_outputs=Tensor(a))
    np.testing.assert_array_equal(A.data, a)                  # copies were moved, not A
    assert A.grad is None


def test_gradgradcheck_catches_a_wrong_second_derivative_that_gradcheck_misses():
    x = Tensor(np.array([0.5, -1.2, 2.0]), requires_grad=True)
    assert gradcheck(CubeWithFlatSecondDerivative.apply, x)
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(CubeWithFlatSecondDerivative.apply, x)
    message = str(caught.value)
    assert re.match(r"gradgradcheck: the gradient with respect to the input \(backprop's\), "
                    r"differentiated with respect to the input \(shape \(3,\)\), element "
                    r"\(\d,\): backprop gives", message), message
    assert gradgradcheck(CubeWithFlatSecondDerivative.apply, x, raise_exception=False) is False


def test_gradgradcheck_says_its_hints_of_the_gradient_it_checks():
    """gradcheck's hints name its f, here backprop's gradient: "f has 3 outputs" (func had
    one, a sum) and "does f use it through .data" (func uses nothing so; a backward does) sent
    the reader to func."""
    x = Tensor(np.array([0.5, -1.2, 2.0]), requires_grad=True)
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda x: CubeWithFlatSecondDerivative.apply(x).sum(), x)
    message = str(caught.value)
    assert " f has " not in message and "does f use it" not in message, message
    assert "; the gradient has 3 elements, so both are derivatives of J = Σ r ⊙ gradient" \
        in message, message
    assert ("the second derivative is 0 for all of this input: does a backward compute its "
            "slope from numbers (x.data, numpy, an array kept on ctx), which the second pass "
            "takes as constants?") in message, message
    # the class as the code names it (its `name`, "cube_flat", is what graphs show)
    assert message.endswith("check it alone, gradgradcheck(CubeWithFlatSecondDerivative.apply, "
                            "x)"), message


def test_gradgradcheck_checks_the_grad_outputs_too():
    """The gradient is linear in grad_outputs u: a rule that reads g's numbers (g.data) is right
    at first order, but its gradient does not move with u in the graph: caught there."""
    class DoublesGsNumbers(Function):
        name = "doubles_gs_numbers"

        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g, out, x):
            return (2 * np.asarray(getattr(g, "data", g)),)
    x = Tensor(np.array([0.5, -1.2]), requires_grad=True)
    assert gradcheck(DoublesGsNumbers.apply, x)
    u = Tensor(np.array([1.0, -0.5]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"^gradgradcheck: the gradient with respect to the "
                                             r"input \(backprop's\), differentiated with respect "
                                             r"to grad_outputs \(shape \(2,\)\), element "):
        gradgradcheck(DoublesGsNumbers.apply, x, grad_outputs=u)
    with pytest.raises(GradcheckError, match=r"differentiated with respect to grad_outputs "):
        gradgradcheck(DoublesGsNumbers.apply, x)                # drawn grad_outputs: checked


def test_gradgradcheck_usage_errors():
    with pytest.raises(ValueError, match=r"^gradgradcheck: no input requires grad"):
        gradgradcheck(lambda x: x * x, (Tensor(np.ones(2)),))
    with pytest.raises(ValueError, match=r"^gradgradcheck: func's output does not require grad"):
        gradgradcheck(lambda x: Tensor(np.ones(2)), np.ones(2))
    with pytest.raises(ValueError, match=r"^gradgradcheck: grad_outputs has shape \(3,\), but "
                                         r"func's output has shape \(2,\)"):
        gradgradcheck(lambda x: x * x, np.ones(2), grad_outputs=np.ones(3))
    with strict(), pytest.raises(UserWarning, match=r"^gradgradcheck: the input is float32"):
        gradgradcheck(lambda x: x * x, Tensor(np.ones(2, np.float32), requires_grad=True))


# ----------------------------------------------------------------------------------------------
# The README's lecture example: Newton's method on a small logistic regression
# ----------------------------------------------------------------------------------------------

def test_the_readme_newton_example_converges():
    from test_readme import block_starting
    code = block_starting("import numpy as np\nfrom autograd import grad, hessian")
    namespace: dict = {}
    with strict():
        exec(compile(code, "README.md", "exec"), namespace)
    w, loss = namespace["w"], namespace["loss"]
    assert np.abs(grad(loss)(w)).max() < 1e-12
    shown = re.search(r"print\(w\.round\(3\)\)\s+# (\[.*?\])", code).group(1)
    assert str(w.round(3)) == shown


def test_pytorchs_import_path_torch_autograd_functional_ports_to_autograd_functional():
    # `from torch.autograd.functional import jacobian` becomes `from autograd.functional ...`
    from autograd import functional
    x = np.array([0.5, -1.5, 2.0])
    J = functional.jacobian(lambda x: x.tanh() * x, x)
    fd = np.stack([(np.tanh(x + e) * (x + e) - np.tanh(x - e) * (x - e)) / 2e-6
                   for e in np.eye(3) * 1e-6], axis=1)
    np.testing.assert_allclose(J, fd, rtol=1e-7, atol=1e-9)
    for name in ("jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"):
        assert getattr(functional, name) is getattr(autograd, name)
