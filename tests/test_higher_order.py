"""Higher-order gradients: `autograd.grad` (functional, composable) and
`backward(create_graph=True)`, checked in closed form and, op by op, against a finite difference
of the first derivative (a Hessian-vector product H v ≈ (∇f(x + εv) - ∇f(x - εv)) / 2ε)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, Value, cdist, detect_anomaly, grad, no_grad, where
from autograd import functional as F
from autograd.graph import apply, walk
from autograd.ops import ClampedLog, Hardswish, Huber, SmoothL1, Softplus

from conftest import sample, strict, t64
from reference import draw, recorded
from torch_helpers import needs_torch, torch as real_torch


def _sig(x):
    return 1.0 / (1.0 + math.exp(-x))


# ----------------------------------------------------------------------------------------------
# Scalars, in closed form
# ----------------------------------------------------------------------------------------------

def test_cube_first_second_third_derivatives():
    """x³ at 2: f' = 3x² = 12, f'' = 6x = 12, f''' = 6; numbers in give floats out."""
    f = lambda x: x ** 3
    d1, d2, d3 = grad(f), grad(grad(f)), grad(grad(grad(f)))
    assert d1(2.0) == 12.0 and type(d1(2.0)) is float
    assert d2(2.0) == 12.0
    assert d3(2.0) == 6.0


def test_tanh_second_derivative():
    """tanh' = 1 - t², tanh'' = -2t(1 - t²)."""
    x = 0.7
    t = math.tanh(x)
    assert grad(lambda v: v.tanh())(x) == pytest.approx(1 - t * t, rel=1e-14)
    assert grad(grad(lambda v: v.tanh()))(x) == pytest.approx(-2 * t * (1 - t * t), rel=1e-13)


def test_exp_times_tanh_second_derivative():
    """f = eˣ tanh x: f' = eˣ(t + 1 - t²), f'' = eˣ(t + 2(1 - t²) - 2t(1 - t²))."""
    x = 0.3
    e, t = math.exp(x), math.tanh(x)
    f = lambda v: v.exp() * v.tanh()
    assert grad(f)(x) == pytest.approx(e * (t + 1 - t * t), rel=1e-14)
    assert grad(grad(f))(x) == pytest.approx(e * (t + 2 * (1 - t * t) - 2 * t * (1 - t * t)),
                                             rel=1e-13)


def test_sin_and_cos_derivatives_go_round_the_cycle():
    """sin' = cos, sin'' = -sin, sin''' = -cos; cos' = -sin, cos'' = -cos, cos''' = sin: grad
    of grad of grad, for Values and elementwise for a float64 Tensor, at points on both sides
    of 0, pi/2 and pi (where the signs change)."""
    xs = np.array([-4.0, -0.6, 1.3, 2.9, 7.5])
    cycles = {"sin": [np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)],
              "cos": [lambda x: -np.sin(x), lambda x: -np.cos(x), np.sin]}
    for name, cycle in cycles.items():
        on_value = on_tensor = lambda x, name=name: getattr(x, name)()
        for want in cycle:
            on_value = grad(on_value)
            on_tensor = grad(lambda t, f=on_tensor: f(t).sum())   # d/dt_i of the sum: f'(t_i)
            for x in xs:
                assert on_value(float(x)) == pytest.approx(want(x), rel=1e-14, abs=1e-15)
            np.testing.assert_allclose(on_tensor(xs), want(xs), rtol=1e-14, atol=1e-15)


def test_the_lectures_sin_times_square():
    """f(x) = sin(x) x²: f' = cos(x) x² + 2x sin(x), f'' = (2 - x²) sin(x) + 4x cos(x)."""
    x = 1.3
    s, c = math.sin(x), math.cos(x)
    f = lambda v: v.sin() * v ** 2
    assert grad(f)(x) == pytest.approx(c * x * x + 2 * x * s, rel=1e-14)
    assert grad(grad(f))(x) == pytest.approx((2 - x * x) * s + 4 * x * c, rel=1e-13)


def test_sigmoid_of_log_composition():
    """f = σ(log x) = x / (1 + x): f' = 1/(1+x)², f'' = -2/(1+x)³."""
    x = 1.7
    f = lambda v: v.log().sigmoid()
    assert grad(f)(x) == pytest.approx(1 / (1 + x) ** 2, rel=1e-13)
    assert grad(grad(f))(x) == pytest.approx(-2 / (1 + x) ** 3, rel=1e-12)


def test_value_in_value_out():
    """A Value argument gives a Value gradient (recorded, so it can be differentiated again)."""
    x = Value(2.0)
    g = grad(lambda v: v ** 3)(x)
    assert isinstance(g, Value) and g.data == 12.0 and g.requires_grad
    g.backward()
    assert x.grad == 12.0                       # d(3x²)/dx = 6x


def test_argnums_tuple_and_negative():
    """f = x y²: ∂f/∂x = y² = 4, ∂f/∂y = 2xy = 12 at (3, 2); argnums=-1 picks y."""
    f = lambda x, y: x * y ** 2
    assert grad(f, argnums=(0, 1))(3.0, 2.0) == (4.0, 12.0)
    assert grad(f, argnums=1)(3.0, 2.0) == 12.0
    assert grad(f, argnums=-1)(3.0, 2.0) == 12.0
    # second derivatives of ∂f/∂x = y²: ∂²f/∂x² = 0, ∂²f/∂x∂y = 2y = 4
    assert grad(lambda x, y: grad(f, argnums=0)(x, y), argnums=(0, 1))(3.0, 2.0) == (0.0, 4.0)


def test_argnums_with_tensors():
    """Tensor arguments: ∂/∂a Σ a*b = b, ∂/∂b = a; arrays in give arrays out."""
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    ga, gb = grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(a, b)
    assert isinstance(ga, np.ndarray)
    np.testing.assert_array_equal(ga, b)
    np.testing.assert_array_equal(gb, a)


def test_unused_argument_has_zero_gradient():
    """f does not depend on its argument: the gradient is 0 (of the argument's kind)."""
    assert grad(lambda x, y: y * 2.0)(1.0, Value(3.0)) == 0.0
    np.testing.assert_array_equal(grad(lambda x, y: (y * 2.0).sum())(np.ones(3), t64([1.0])),
                                  np.zeros(3))


def test_grad_errors():
    """grad needs a scalar output and valid argnums."""
    with pytest.raises(ValueError, match="scalar"):
        grad(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(IndexError):
        grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(ValueError, match=r"got float \(a result that is not a node has no graph"):
        grad(lambda x: x.data * 2.0)(1.0)


def test_a_first_argument_that_is_neither_a_function_nor_a_node_is_refused():
    """grad(3.0) must not quietly return a function (its first use would fail far from the
    mistake); the message names both forms."""
    for bad in (3.0, np.ones(2), "f", None):
        with pytest.raises(TypeError, match=r"f is the function to differentiate.*got a "
                                            r".*PyTorch's form, grad\(y, x\).*a Value or Tensor"):
            grad(bad)
    for bad in ("0", 1.0, []):
        with pytest.raises(TypeError, match="argnums must be an argument position"):
            grad(lambda x: x, bad)
    assert grad(lambda x, y: x * y, range(2))(2.0, 3.0) == (3.0, 2.0)
    with pytest.raises(TypeError, match=r"unexpected arguments for the function form"):
        grad(lambda x: x, 0, None)
    with pytest.raises(TypeError, match=r"unexpected arguments for the function form"):
        grad(lambda x: x, allow_unused=True)


def test_mixed_partials_from_numbers():
    """grad(grad(f, 0), 1) with numbers is ∂²f/∂y∂x: the inner derivative depends on the
    outer grad's variable y, so it must reach the outer grad as a node, not as a number."""
    f = lambda x, y: x * x * y * y * y              # ∂²f/∂y∂x = 6xy² = 72 at (3, 2)
    assert grad(grad(f, 0), 1)(3.0, 2.0) == 72.0
    assert grad(grad(f, 1), 0)(3.0, 2.0) == 72.0
    both = grad(lambda x, y: (x * y).tanh(), (0, 1))
    hess_xy = grad(lambda x, y: both(x, y)[0], 1)(0.5, -0.8)
    t = math.tanh(-0.4)
    assert hess_xy == pytest.approx((1 - t * t) + 0.5 * -0.8 * -2 * t * (1 - t * t), rel=1e-13)
    xs = np.array([1.0, 2.0])                       # ∂/∂c Σ ∂(x²c)/∂x = Σ 2x = 6
    inner = lambda c: grad(lambda x: (x * x * c).sum())(xs).sum()
    np.testing.assert_allclose(grad(inner)(np.array(3.0)), 2 * xs.sum())


def test_a_derivative_that_depends_on_a_parameter_stays_a_node():
    """A gradient penalty: d/dx (w x²) = 2wx at a plain number x. It depends on the parameter w,
    so it comes back as a Value and a loss built on it sends its share to w.grad (as a
    float it would silently send nothing)."""
    w = Value(0.5)
    slope = grad(lambda x: w * x * x)(3.0)
    assert isinstance(slope, Value) and slope.data == 3.0
    ((slope - 1.0) ** 2).backward()                     # d/dw (6w - 1)² = 12 (6w - 1)
    assert w.grad == 24.0
    W = Tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    g = grad(lambda x: (W @ x).sum())(np.array([3.0, 4.0]))     # Wᵀ, as a Tensor node
    assert isinstance(g, Tensor)
    (g * g).sum().backward()
    np.testing.assert_array_equal(W.grad, [[2.0, 4.0]])


def test_leaves_made_by_an_inner_grad_are_not_parameters():
    """The leaf an inner grad makes for a constant Tensor is its own scaffolding: the outer
    result, from an array, is still an array (∂/∂y of y Σ 2c = Σ 2c = 6)."""
    c = Tensor(np.array([1.0, 2.0]))
    outer = grad(lambda y: (grad(lambda t: (t * t).sum())(c) * y).sum())(np.array(2.0))
    assert isinstance(outer, np.ndarray) and outer == 6.0


def test_keyword_arguments_are_passed_to_f():
    """grad(f)(x, k=...) calls f(x, k=...); the keyword is a constant, not differentiated."""
    assert grad(lambda x, k=1.0: x * x * k)(3.0, k=2.0) == 12.0


def test_grad_is_independent_of_an_outer_no_grad():
    """grad is a function transform: like torch.func.grad and jax.grad its result must not
    depend on a no_grad() around the call (a silent 0 would be a wrong gradient)."""
    with no_grad():
        assert grad(lambda x: x ** 3)(2.0) == 12.0
        np.testing.assert_array_equal(grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0])),
                                      [2.0, 4.0])


@pytest.mark.parametrize("f, x, op", [(lambda x: x.sqrt(), 0.0, "sqrt"),
                                       (lambda x: x.asin(), 1.0, "asin"),
                                       (lambda x: x.hypot(x * 0), 0.0, "hypot")])
def test_an_infinite_slope_in_the_higher_order_pass_names_the_op(f, x, op):
    """As first-order backward does ('backward of sqrt: the derivative is infinite'): the slope
    built of Values raised from inside, naming only pow, and for sqrt a division a / b that
    the user never wrote."""
    with pytest.raises(ZeroDivisionError, match=rf"^backward of {op} \(create_graph\): the "
                                                rf"derivative is infinite or undefined at this input \(pow: "):
        grad(f)(x)
    v = Value(x)
    with pytest.raises(ZeroDivisionError, match=rf"^backward of {op} \(create_graph\)"):
        f(v).backward(create_graph=True)


# ----------------------------------------------------------------------------------------------
# Tensors
# ----------------------------------------------------------------------------------------------

def test_power_of_a_negative_base_by_a_value_exponent():
    """x ** e with both Values at x < 0: d/dx = e x^(e-1) is real, d/de = x^e ln x is not. The
    higher-order pass gives what the first-order one gives (NaN for e), instead of failing."""
    x, e = Value(-2.0), Value(2.0)
    (x ** e).backward()
    assert x.grad == -4.0 and math.isnan(e.grad)
    assert grad(lambda x: x ** Value(2.0))(-2.0).data == -4.0  # a Value: it depends on e
    x, e = Value(-2.0), Value(2.0)
    (x ** e).backward(create_graph=True)
    assert x.grad.data == -4.0 and math.isnan(e.grad.data)


def test_power_of_a_negative_base_by_a_constant_tensor_exponent():
    """x ** e with a constant Tensor e and x < 0: the higher-order pass, like the first-order
    one, leaves out the slope for e (x^e ln x, NaN here): no warning, no false anomaly."""
    x, e = t64([-1.5, 2.0]), Tensor(np.array([2.0, 3.0]))
    with strict(), detect_anomaly():
        (x ** e).sum().backward(create_graph=True)
        first = x.grad
        x.grad = None
        first.sum().backward()
    np.testing.assert_allclose(first.data, [-3.0, 12.0], rtol=1e-15)
    np.testing.assert_allclose(x.grad, [2.0, 12.0], rtol=1e-15)      # e (e - 1) x^(e - 2)


def test_power_with_a_constant_base_twice():
    """d²/db² c^b = c^b (ln c)²; the base wants no gradient, at 0 too."""
    c = Value(3.0, requires_grad=False)
    assert grad(grad(lambda b: c ** b))(0.5) == pytest.approx(3 ** 0.5 * math.log(3) ** 2,
                                                              rel=1e-14)
    zero = Value(0.0, requires_grad=False)
    assert grad(grad(lambda b: zero ** b))(0.5) == 0.0


def test_the_log_in_the_slope_of_a_power_is_a_node_computed_from_the_base():
    """∂(a ** b)/∂b = a^b ln a, with ln a read as 0 at a = 0 (the product's limit) and NaN below
    0. In a gradient graph that log is an op (log_or_zero) computed from a, not a number fixed
    when the graph was built, for Values and for Tensors, and a negative base does not warn
    (nor does it in the first-order pass). Differentiated again: a^b (ln a)² and
    (b ln a + 1) a^(b-1), 0 at a = 0, NaN below."""
    points = np.array([2.0, 0.0, -2.0])
    log = np.where(points < 0, np.nan, np.log(np.where(points > 0, points, 1)))
    want = [points ** 3 * log, points ** 3 * log ** 2, (3 * log + 1) * points ** 2]
    for i, a in enumerate([t64(points), *map(Value, points)]):
        b = t64([3.0] * 3) if isinstance(a, Tensor) else Value(3.0)
        total = (lambda y: y.sum()) if isinstance(a, Tensor) else (lambda y: y)
        with strict():
            total(a ** b).backward(create_graph=True)
            slope = b.grad
            assert "log_or_zero" in {node.op for node in walk(slope)}
            a.grad = b.grad = None if isinstance(a, Tensor) else 0.0
            total(slope).backward()
        at = slice(None) if isinstance(a, Tensor) else i - 1
        for got, expected in zip([slope.data, b.grad, a.grad], want):
            np.testing.assert_allclose(got, expected[at], rtol=1e-15)


def test_the_slopes_of_relu_and_abs_are_nodes_computed_from_the_input():
    """In a gradient graph, relu's slope is a step of its output and abs's the sign of its
    input, ops of the graph (as PyTorch records them), not numbers fixed when it was built:
    the gradient depends on x, and its own derivative through them is 0 (none reaches x)."""
    f = lambda x: x.relu() * 3 + abs(x) * 2
    for x in (t64([1.5, -0.5]), Value(-0.5)):
        (f(x).sum() if isinstance(x, Tensor) else f(x)).backward(create_graph=True)
        first = x.grad
        assert first.requires_grad
        assert {"step", "sign"} <= {node.op for node in walk(first)}
        np.testing.assert_array_equal(first.data, [5.0, -2.0] if isinstance(x, Tensor) else -2.0)
    np.testing.assert_array_equal(grad(lambda x: grad(lambda t: f(t).sum())(x).sum())(
        np.array([1.5, -0.5])), [0.0, 0.0])
    assert grad(grad(f))(-0.5) == 0.0


def test_the_slopes_of_leaky_relu_and_clamped_log_are_nodes_computed_from_the_input():
    """leaky_relu's slope (1 or c) and clamped_log's (1/p, or 0 where p <= e^-100 is clamped)
    are built from step nodes of the input in a gradient graph, for Values and Tensors, so they
    follow the data when it is replayed (compile). Differentiated again: 0 through the steps,
    -1/p² where the log is not clamped. No warnings, also at p = 1e-50."""
    leaky = lambda x: F.leaky_relu(x, 0.1) * 3
    clamped = lambda p: apply(ClampedLog, (p,))
    for f, points, slopes, second in ((leaky, [1.5, -0.5], [3.0, 3 * 0.1], [0.0, 0.0]),
                                      (clamped, [0.5, 1e-50], [2.0, 0.0], [-4.0, 0.0])):
        for x in (t64(points), *map(Value, points)):
            at = slice(None) if isinstance(x, Tensor) else points.index(x.data)
            with strict():
                (f(x).sum() if isinstance(x, Tensor) else f(x)).backward(create_graph=True)
                first = x.grad
                assert "step" in {node.op for node in walk(first)}
                np.testing.assert_array_equal(first.data, slopes[at])
                x.grad = None if isinstance(x, Tensor) else 0.0
                (first.sum() if isinstance(x, Tensor) else first).backward()
            # (nothing reaches a Tensor through the steps alone: its .grad stays None)
            np.testing.assert_array_equal(0.0 if x.grad is None else x.grad, second[at])


def test_tensor_sum_of_cubes():
    """∇ Σx³ = 3x², and ∇ Σ(3x²) = 6x (second derivative through grad of a sum)."""
    x = np.array([1.0, -2.0, 0.5])
    f = lambda t: (t ** 3).sum()
    np.testing.assert_allclose(grad(f)(x), 3 * x ** 2, rtol=1e-15)
    np.testing.assert_allclose(grad(lambda t: grad(f)(t).sum())(x), 6 * x, rtol=1e-15)


def test_backward_create_graph_value():
    """y = x³; backward(create_graph=True) makes x.grad a Value 3x² that can be differentiated."""
    x = Value(2.0)
    (x ** 3).backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.data == 12.0 and g.requires_grad
    x.grad = 0.0
    g.backward()
    assert x.grad == 12.0                       # 6x


def test_a_fresh_value_leaf_gets_the_gradient_node_itself_not_zero_plus_it():
    x = Value(2.0)
    y = x ** 3
    y.backward(create_graph=True)
    assert x.grad.op != "add" and x.grad.data == 12.0        # 3x² itself, no "+ 0" on top
    y.backward(create_graph=True)                           # a second pass does add
    assert x.grad.op == "add" and x.grad.data == 24.0
    y.retain_grad()                                         # PyTorch's: nothing to do here
    assert y.grad.data == 1.0


def test_backward_create_graph_tensor():
    """The same on a Tensor: x.grad = 3x² is a Tensor node; its sum differentiates to 6x."""
    x = t64([1.0, 2.0, -1.5])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Tensor) and g.requires_grad
    np.testing.assert_allclose(g.data, 3 * x.data ** 2, rtol=1e-15)
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data, rtol=1e-15)


def test_hessian_vector_product_of_quadratic_form():
    """f = ½ xᵀ A x has Hessian ½ (A + Aᵀ); for symmetric A, H v = A v (and for any A the
    symmetrised product), exactly up to rounding."""
    rng = np.random.default_rng(0)
    M = rng.normal(size=(4, 4))
    x0, v = rng.normal(size=4), rng.normal(size=4)
    for A in (M + M.T, M):
        At = Tensor(A)
        f = lambda x: 0.5 * (x @ (At @ x))
        hv = grad(lambda x: (grad(f)(x) * Tensor(v)).sum())(x0)
        np.testing.assert_allclose(hv, 0.5 * (A + A.T) @ v, rtol=1e-12, atol=1e-12)
    A = M + M.T
    np.testing.assert_allclose(grad(lambda x: 0.5 * (x @ (Tensor(A) @ x)))(x0), A @ x0,
                               rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# Every op's second derivative against a finite difference of its first derivative
# ----------------------------------------------------------------------------------------------

COND6 = np.array([True, False, True, True, False, True])

# (name, f(x) -> array-valued Tensor of a 1-d input x, input size, domain)
SECOND_ORDER_TENSOR = [
    ("exp", lambda x: x.exp(), 6, "real"),
    ("log", lambda x: x.log(), 6, "pos"),
    ("sqrt", lambda x: x.sqrt(), 6, "pos"),
    ("tanh", lambda x: x.tanh(), 6, "real"),
    ("sigmoid", lambda x: x.sigmoid(), 6, "real"),
    ("gelu", lambda x: F.gelu(x * 2.0), 6, "real"),
    ("gelu_tanh", lambda x: F.gelu(x * 2.0, approximate="tanh"), 6, "real"),
    ("sin", lambda x: x.sin(), 6, "real"),
    ("cos", lambda x: x.cos(), 6, "real"),
    ("sin_cos_broadcast", lambda x: x[:3].reshape(3, 1).sin() * x[3:].cos(), 6, "real"),
    ("tan", lambda x: x.tan(), 6, "unit"),
    ("asin", lambda x: x.asin(), 6, "unit"),
    ("acos", lambda x: x.acos(), 6, "unit"),
    ("atan", lambda x: x.atan(), 6, "real"),
    ("sinh", lambda x: x.sinh(), 6, "real"),
    ("cosh", lambda x: x.cosh(), 6, "real"),
    ("asinh", lambda x: x.asinh(), 6, "real"),
    ("acosh", lambda x: x.acosh(), 6, "above_one"),
    ("atanh", lambda x: x.atanh(), 6, "unit"),
    ("erf", lambda x: x.erf(), 6, "real"),
    ("erfc", lambda x: x.erfc(), 6, "real"),
    ("atan2_broadcast", lambda x: x[:3].reshape(3, 1).atan2(x[3:]), 6, "nonzero"),
    ("hypot_broadcast", lambda x: x[:3].reshape(3, 1).hypot(x[3:]), 6, "nonzero"),
    ("logaddexp_broadcast", lambda x: x[:3].reshape(3, 1).logaddexp(x[3:]), 6, "real"),
    ("fmod_times_x", lambda x: x[:3].fmod(x[3:]) * x[:3], 6, "nonzero"),
    ("lerp", lambda x: x[:2].lerp(x[2:4], x[4:]), 6, "real"),
    ("xlogy", lambda x: x[:3].xlogy(x[3:]), 6, "pos"),
    ("logit", lambda x: x.logit(), 6, "probability"),
    ("logit_eps", lambda x: x.logit(eps=0.01), 6, "probability"),
    ("cumprod", lambda x: x.reshape(2, 3).cumprod(1), 6, "real"),
    ("cumprod_with_a_zero", lambda x: (x * Tensor(np.array([1.0, 0, 1, 1, 0, 1]))).cumprod(0),
     6, "real"),
    ("diag_trace", lambda x: x.reshape(3, 3).diag(1) * x.reshape(3, 3).trace(), 9, "real"),
    ("logcumsumexp", lambda x: x.reshape(2, 3).logcumsumexp(1), 6, "real"),
    ("logcumsumexp_times_x", lambda x: x.logcumsumexp(0) * x, 6, "real"),
    ("quantile_times_x", lambda x: x.quantile(0.3) * x, 6, "distinct"),
    ("cdist_p3", lambda x: cdist(x.reshape(3, 2), x[:4].reshape(2, 2) + 0.5, 3), 6,
     "distinct"),
    ("pow_const_3", lambda x: x ** 3, 6, "real"),
    ("pow_const_-1.5", lambda x: x ** -1.5, 6, "pos"),
    ("pow_tensor", lambda x: x[:3] ** x[3:], 6, "pos"),
    ("rpow", lambda x: 2.0 ** x, 6, "real"),
    ("mul", lambda x: x[:3] * x[3:], 6, "real"),
    ("div", lambda x: x[:3] / x[3:], 6, "pos"),
    ("mul_div_composite", lambda x: (x * x.tanh()) / (1.0 + x * x), 6, "real"),
    ("neg_sub", lambda x: 1.0 - (-x) * x, 6, "real"),
    ("relu_times_x", lambda x: x.relu() * x, 6, "nonzero"),
    ("leaky_relu_times_x", lambda x: F.leaky_relu(x, 0.1) * x, 6, "nonzero"),
    ("softplus", lambda x: apply(Softplus, (x * 3.0,)), 6, "real"),
    ("clamped_log", lambda x: apply(ClampedLog, (x,)), 6, "pos"),
    # on a grid 0.25 away from the kinks (±3 for hardswish of 2x, ±0.5 for the losses' ops)
    ("hardswish", lambda x: apply(Hardswish, (x * 2.0,)) * x, 6, "grid_offset"),
    ("smooth_l1", lambda x: apply(SmoothL1, (x,), 0.5) * x, 6, "grid_offset"),
    ("huber", lambda x: apply(Huber, (x,), 0.5) * x, 6, "grid_offset"),
    ("abs_times_x", lambda x: abs(x) * x, 6, "nonzero"),
    ("clip_times_x", lambda x: x.clip(-0.5, 0.8) * x, 6, "clip"),
    ("maximum_times_x", lambda x: x[:3].maximum(x[3:]) * x[:3], 6, "distinct"),
    ("minimum_times_x", lambda x: x[:3].minimum(x[3:]) * x[3:], 6, "distinct"),
    ("where", lambda x: where(COND6, x * x, x.exp()), 6, "real"),
    ("sum_mean", lambda x: x.reshape(2, 3).sum(axis=0) * x.reshape(2, 3).mean(axis=1,
                                                                              keepdims=True),
     6, "real"),
    ("max_times_x", lambda x: x.reshape(2, 3).max(axis=1, keepdims=True) * x.reshape(2, 3), 6,
     "distinct"),
    ("var", lambda x: x.reshape(2, 3).var(axis=1, ddof=1), 6, "real"),
    ("std", lambda x: x.std(), 6, "real"),
    ("softmax", lambda x: x.reshape(2, 3).softmax(), 6, "real"),
    ("log_softmax", lambda x: x.reshape(2, 3).log_softmax(axis=0), 6, "real"),
    ("softmax_0d", lambda x: (x[1].softmax() + x[0].log_softmax()) * x, 3, "real"),
    ("logsumexp", lambda x: x.reshape(2, 3).logsumexp(axis=1), 6, "real"),
    ("logsumexp_keepdims", lambda x: x.reshape(2, 3).logsumexp(keepdims=True) * x, 6, "real"),
    ("matmul", lambda x: x[:6].reshape(2, 3) @ x[6:].reshape(3, 2), 12, "real"),
    ("matmul_1d_batched", lambda x: x[:3] @ x[3:].reshape(2, 3, 2), 15, "real"),
    ("matmul_dot", lambda x: x[:3] @ x[3:], 6, "real"),
    ("linear", lambda x: F.linear(x[:6].reshape(2, 3), x[6:12].reshape(2, 3), x[12:]), 14,
     "real"),
    ("linear_no_bias_1d", lambda x: F.linear(x[:3], x[3:9].reshape(2, 3)), 9, "real"),
    ("cross_entropy_labels", lambda x: F.cross_entropy(x.reshape(2, 3), np.array([2, 0])), 6,
     "real"),
    ("cross_entropy_labels_none",
     lambda x: F.cross_entropy(x.reshape(2, 3), np.array([1, 0]), reduction="none"), 6, "real"),
    ("cross_entropy_probs",
     lambda x: F.cross_entropy(x[:6].reshape(2, 3), x[6:].reshape(2, 3).softmax(), "sum"),
     12, "real"),
    ("getitem_repeated", lambda x: x[np.array([0, 0, 2])] ** 3, 3, "real"),
    ("concatenate_stack", lambda x: F.concatenate([x * x, F.stack([x.exp(), x], axis=1)
                                                    .reshape(-1)]), 4, "real"),
    ("broadcast_transpose", lambda x: (x[:3].reshape(3, 1) * x[3:]).T.tanh(), 7, "real"),
    ("astype_roundtrip", lambda x: (x.astype(np.float64) * x).exp(), 4, "real"),
]


@pytest.mark.parametrize("f, n, domain", [pytest.param(f, n, d, id=name)
                                          for name, f, n, d in SECOND_ORDER_TENSOR])
def test_tensor_second_derivative_matches_finite_difference(f, n, domain, rng):
    """H v from grad∘grad equals the central difference of grad along v."""
    x0 = sample(domain, (n,), rng)
    v = rng.normal(size=n)
    w = None

    def scalar(x):
        nonlocal w
        out = f(x)
        if w is None:
            w = np.random.default_rng(1).uniform(0.5, 1.5, out.shape)
        return (out * Tensor(w)).sum()

    first = grad(scalar)
    hv = grad(lambda x: (first(x) * Tensor(v)).sum())(x0)
    eps = 1e-5
    numeric = (first(x0 + eps * v) - first(x0 - eps * v)) / (2 * eps)
    assert isinstance(hv, np.ndarray) and hv.shape == (n,)
    np.testing.assert_allclose(hv, numeric, rtol=1e-5, atol=1e-6)


SECOND_ORDER_VALUE = [
    ("exp", lambda x: x.exp(), "real"),
    ("log", lambda x: x.log(), "pos"),
    ("sqrt", lambda x: x.sqrt(), "pos"),
    ("tanh", lambda x: x.tanh(), "real"),
    ("sigmoid", lambda x: x.sigmoid(), "real"),
    ("sin", lambda x: x.sin(), "real"),
    ("cos", lambda x: x.cos(), "real"),
    ("sin_times_square", lambda x: x.sin() * x * x, "real"),
    ("pow_const", lambda x: x ** 3.5, "pos"),
    ("pow_value", lambda x: x ** (x * 0.5), "pos"),
    ("rpow", lambda x: 3.0 ** x, "real"),
    ("mul_div", lambda x: (x * x.exp()) / (x * x + 1.0), "real"),
    ("div_by_value", lambda x: 1.0 / x, "nonzero"),
    ("sub_neg", lambda x: 2.0 - (-x) * x * x, "real"),
    ("relu_abs", lambda x: x.relu() * x + abs(x) * x, "nonzero"),
    ("leaky_relu_times_x", lambda x: F.leaky_relu(x, 0.1) * x, "nonzero"),
    ("softplus", lambda x: apply(Softplus, (x * 3.0,)), "real"),
    ("clamped_log", lambda x: apply(ClampedLog, (x,)), "pos"),
    ("binary_cross_entropy", lambda x: F.binary_cross_entropy([x.sigmoid()], [0.3]), "real"),
    ("binary_cross_entropy_with_logits",
     lambda x: F.binary_cross_entropy_with_logits([x * 2.0], [0.3], pos_weight=2.0), "real"),
]


@pytest.mark.parametrize("f, domain", [pytest.param(f, d, id=name)
                                       for name, f, d in SECOND_ORDER_VALUE])
def test_value_second_derivative_matches_finite_difference(f, domain, rng):
    """grad(grad(f)) equals the central difference of grad(f), for each Value op, on both
    sides of 0 where the domain allows (relu and abs differ there)."""
    drawn = float(sample(domain, (), rng))
    eps = 1e-5
    for x in (drawn, -drawn) if domain in ("real", "nonzero") else (drawn,):
        numeric = (grad(f)(x + eps) - grad(f)(x - eps)) / (2 * eps)
        assert grad(grad(f))(x) == pytest.approx(numeric, rel=1e-6, abs=1e-7)


def test_create_graph_is_accepted_and_changes_nothing():
    """PyTorch's habit grad(..., create_graph=True) was a bare TypeError; the result is
    differentiable again whatever it says."""
    cube = lambda x: x ** 3
    assert grad(cube, create_graph=True)(2.0) == 12.0
    assert grad(grad(cube, create_graph=False))(2.0) == 12.0


# ----------------------------------------------------------------------------------------------
# PyTorch's form: grad(outputs, inputs, grad_outputs, create_graph=..., allow_unused=...)
# ----------------------------------------------------------------------------------------------

def test_pytorch_form_returns_a_tuple_and_differentiates_again_with_create_graph():
    x = Value(3.0)
    (d1,) = grad(x ** 3, x)                         # 3x² = 27, a constant
    assert d1.data == 27.0 and not d1.requires_grad
    (d1,) = grad(x ** 3, x, create_graph=True)
    assert d1.requires_grad
    assert grad(d1, [x])[0].data == 18.0            # 6x
    t = t64([1.0, -2.0])
    (g,) = grad(outputs=(t ** 3).sum(), inputs=t, retain_graph=True, only_inputs=True)
    np.testing.assert_array_equal(g.data, [3.0, 12.0])
    assert not g.requires_grad and g.dtype == np.float64
    (d1,) = grad(x ** 3, [x], None, None, True)     # PyTorch's positions: create_graph 5th
    assert d1.requires_grad
    with pytest.raises(TypeError, match=r"grad\(outputs, inputs\): PyTorch's form needs the "
                                        r"inputs"):
        grad(x ** 3)


def test_pytorch_form_takes_any_iterable_of_inputs():
    """MAML's `grad(loss, params.values(), create_graph=True)` over a dict of named
    parameters, or a generator of inputs, as PyTorch takes them; a dict itself (whose keys iteration
    would give) is refused with what to pass."""
    a, b = t64([1.0, 2.0]), t64([3.0])
    params = {"a": a, "b": b}
    loss = (a * a).sum() * b.sum()
    by_values = grad(loss, params.values())
    by_generator = grad(loss, (p for p in params.values()))
    by_list = grad(loss, [a, b])
    for got in (by_values, by_generator):
        assert len(got) == 2
        for g, want in zip(got, by_list):
            np.testing.assert_array_equal(g.data, want.data)
    with pytest.raises(TypeError, match=r"inputs is a dict, whose keys would be read; pass its "
                                        r"tensors: params\.values\(\)"):
        grad(loss, params)


def test_pytorch_form_changes_no_grad_a_models_parameters_keep_theirs():
    """A gradient penalty mid-step: the parameters' .grad from an earlier backward, the input's
    None, and an intermediate's .grad (read by a learner, drawn by draw_graph) all stay."""
    import nn
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    x = t64(np.linspace(-1.0, 1.0, 6).reshape(2, 3))
    hidden = model[1](model[0](x))
    out = model[2](hidden)
    out.sum().backward()
    before = {name: p.grad.copy() for name, p in model.named_parameters()}
    x_grad, hidden_grad = x.grad.copy(), hidden.grad.copy()
    (g,) = grad(out, x, grad_outputs=Tensor(np.ones((2, 1))), create_graph=True)
    penalty = ((g.norm(dim=1) - 1.0) ** 2).mean()
    with pytest.raises(RuntimeError, match="input 3 was not used"):   # the last bias
        grad(penalty, list(model.parameters()))
    grads = grad(penalty, list(model.parameters()), allow_unused=True)
    assert grads[3] is None and all(not gw.requires_grad for gw in grads[:3])
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, before[name], err_msg=name)
    np.testing.assert_array_equal(x.grad, x_grad)
    np.testing.assert_array_equal(hidden.grad, hidden_grad)
    v, w = Value(2.0), Value(-1.0)
    h = v * w
    y = h * h
    y.backward()
    grad(y, [h, v])
    assert (v.grad, w.grad, h.grad, y.grad) == (4.0, -8.0, -4.0, 1.0)


def test_several_outputs_add_up_weighted_by_their_grad_outputs():
    x = t64([0.5, -1.5])
    y, z = x * x, x.exp().sum()
    gy = Tensor(np.array([3.0, -2.0]))
    (g,) = grad([y, z], [x], grad_outputs=[gy, None])
    np.testing.assert_allclose(g.data, 2 * x.data * gy.data + np.exp(x.data), rtol=1e-15)
    with pytest.raises(ValueError, match=r"1 grad_outputs for 2 outputs"):
        grad([y, z], x, grad_outputs=[gy])


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_input_given_twice_gets_its_gradient_twice_not_doubled(create_graph):
    """grad(y, [x, x]) is (dy/dx, dy/dx), as in PyTorch; the first-order pass on arrays read
    x.grad once per entry and added it up: 2 dy/dx in both (a leaf or a computed input)."""
    x = t64([0.5, -1.5])
    h = x * 3.0
    for given in (x, h):
        y = (h * h).sum()
        expected = 18 * x.data if given is x else 2 * h.data
        for g in grad(y, [given, given], create_graph=create_graph):
            np.testing.assert_allclose(g.data, expected, rtol=1e-15)


def test_grad_outputs_are_needed_for_a_non_scalar_output_and_must_match_its_shape():
    x = t64([1.0, 2.0, 3.0])
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"output 0 has shape \(3,\); a non-scalar output "
                                           r"needs its grad_output"):
        grad(y, x)
    with pytest.raises(RuntimeError, match=r"grad_outputs\[0\] has shape \(2,\), but output 0 "
                                           r"has shape \(3,\)"):
        grad(y, x, grad_outputs=np.ones(2))
    np.testing.assert_array_equal(grad(y, x, np.array([1.0, 0.0, -1.0]))[0].data, [2, 0, -2])


@pytest.mark.parametrize("create_graph", [False, True])
def test_batched_grad_outputs_give_the_jacobians_rows(create_graph):
    """is_grads_batched=True: the rows of an identity give the Jacobian, of both inputs; with
    create_graph=True it is differentiated again (against central differences); an unused
    input gets None."""
    from autograd import gradcheck, jacobian
    rng = np.random.default_rng(3)
    x, w, unused = t64(rng.normal(size=3)), t64(rng.normal(size=(2, 3))), t64([1.0])
    y = (w @ x.sin()).tanh() * x[0]                     # shape (2,)
    jx, jw, none = grad(y, [x, w, unused], np.eye(2), create_graph=create_graph,
                        allow_unused=True, is_grads_batched=True)
    expected = jacobian(lambda x, w: (w @ x.sin()).tanh() * x[0], (x.detach(), w.detach()))
    np.testing.assert_allclose(jx.data, expected[0].data, rtol=1e-14)
    np.testing.assert_allclose(jw.data, expected[1].data, rtol=1e-14)
    assert none is None and jx.requires_grad == create_graph
    if create_graph:
        assert gradcheck(lambda x: grad((x.exp() * x).sum() * x, x, Tensor(np.eye(3)),
                                        create_graph=True, is_grads_batched=True)[0],
                         t64(rng.normal(size=3)))
    with pytest.raises(ValueError, match=r"is_grads_batched=True: grad_outputs\[0\] has shape "
                                         r"\(2,\), but output 0 has shape \(2,\): expected "
                                         r"\(batch, \*\(2,\)\)"):
        grad(y, x, np.ones(2), is_grads_batched=True)
    # an empty batch (it gave None even with materialize_grads=True, which promises zeros)
    with pytest.raises(ValueError, match=r"is_grads_batched=True: the grad_outputs hold a "
                                         r"batch of 0 rows; give at least one row"):
        grad(y, x, np.ones((0, 2)), is_grads_batched=True, materialize_grads=True)


@needs_torch
def test_batched_grad_outputs_are_pytorchs():
    rng = np.random.default_rng(4)
    x0, seeds = rng.normal(size=(2, 3)), rng.normal(size=(5, 2, 3))
    x, tx = t64(x0), real_torch.tensor(x0, requires_grad=True)
    ours, = grad((x.sin() * x.sum()).exp(), x, seeds, is_grads_batched=True)
    theirs, = real_torch.autograd.grad((tx.sin() * tx.sum()).exp(), tx,
                                       real_torch.tensor(seeds), is_grads_batched=True)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-13)


def test_an_unused_input_is_an_error_or_none_or_zeros():
    x, unused = t64([1.0, 2.0]), t64([5.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match=r"input 1 was not used to compute the outputs.*"
                                           r"allow_unused=True"):
        grad(y, [x, unused])
    gx, gu = grad(y, [x, unused], allow_unused=True)
    assert gu is None and gx is not None
    gx, gu = grad(y, [x, unused], materialize_grads=True)
    np.testing.assert_array_equal(gu.data, [0.0])
    with pytest.raises(ValueError, match=r"materialize_grads=True .* needs allow_unused=True"):
        grad(y, [x, unused], allow_unused=False, materialize_grads=True)
    a, b = Value(1.0), Value(2.0)
    assert grad(a * 3.0, [a, b], allow_unused=True)[1] is None


def test_an_input_reached_only_through_flat_slopes_gets_zeros_as_in_pytorch():
    """The input gradient of a ReLU / LeakyReLU network depends on the input only through the
    slopes' masks (flat): differentiating it again with respect to the input (a gradient
    penalty's Hessian term) was "input 0 was not used to compute the outputs", where PyTorch
    gives zeros; an input not in the graph at all is still the error."""
    x = t64([[0.5, -1.0, 2.0]])
    for slope in (lambda t: t.relu(), lambda t: F.leaky_relu(t, 0.2), lambda t: t.abs()):
        (g,) = grad((slope(x) * 3.0).sum(), x, create_graph=True)
        (g2,) = grad(g.pow(2).sum(), x)
        assert g2.shape == (1, 3) and g2.dtype == np.float64 and not g2.requires_grad
        np.testing.assert_array_equal(g2.data, 0.0)
        gx, gu = grad(g.pow(2).sum(), [x, t64([1.0])], allow_unused=True)
        np.testing.assert_array_equal(gx.data, 0.0)
        assert gu is None
    off = Value(-1.5)
    assert grad(off.relu(), off)[0].data == 0.0         # a scalar ReLU that is off
    with pytest.raises(RuntimeError, match="input 1 was not used"):
        grad(g.pow(2).sum(), [x, t64([1.0])])

def test_inputs_and_outputs_that_do_not_require_grad_are_refused():
    x = t64([1.0, 2.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match=r"input 1 does not require grad"):
        grad(y, [x, Tensor([1.0])])
    with no_grad():
        constant = (x * x).sum()
    with pytest.raises(RuntimeError, match=r"output 0 does not require grad"):
        grad(constant, x)
    with pytest.raises(TypeError, match=r"inputs must be Values or Tensors .* got a float at "
                                        r"position 1"):
        grad(y, [x, 1.0])


def test_an_input_changed_in_place_since_the_forward_pass_is_refused():
    x = t64([1.0, 2.0])
    y = (x * x).sum()
    with no_grad():
        x += 1.0
    with pytest.raises(RuntimeError, match=r"changed in place"):
        grad(y, x)


def test_pytorch_forms_second_derivatives_match_finite_differences(rng):
    """H v of f = Σ sin(x) x³, from the create_graph gradient differentiated again with
    grad_outputs v, equals the central difference of the first gradient along v."""
    def first(x0, create_graph=False):
        x = t64(x0)
        return x, grad((x.sin() * x ** 3).sum(), x, create_graph=create_graph)[0]

    x0, v = rng.uniform(-2.0, 2.0, 4), rng.normal(size=4)
    x, g = first(x0, create_graph=True)
    (hv,) = grad(g, x, grad_outputs=v)
    eps = 1e-5
    numeric = (first(x0 + eps * v)[1].data - first(x0 - eps * v)[1].data) / (2 * eps)
    np.testing.assert_allclose(hv.data, numeric, rtol=1e-6, atol=1e-8)


def test_pytorch_forms_hessian_vector_product_in_closed_form(rng):
    """f = ½ xᵀAx: ∇f = ½(A + Aᵀ)x, Hv = ½(A + Aᵀ)v."""
    a, v = rng.normal(size=(3, 3)), rng.normal(size=3)
    x = t64(rng.normal(size=3))
    f = 0.5 * (x * (Tensor(a) @ x)).sum()
    (g,) = grad(f, x, create_graph=True)
    (hv,) = grad(g, x, grad_outputs=Tensor(v))
    np.testing.assert_allclose(hv.data, 0.5 * (a + a.T) @ v, rtol=1e-13)


# PyTorch's numbers (tests/reference/higher_order.npz): a WGAN-GP gradient penalty on a small
# MLP, second derivatives, a Value-style scalar example and grad_outputs on a vector output

def _mlp_layout():
    return {"0.weight": (4, 3), "0.bias": (4,), "2.weight": (1, 4), "2.bias": (1,)}


def _drawn_inputs():
    rng = draw()
    state = {name: rng.uniform(-1.0, 1.0, shape) for name, shape in _mlp_layout().items()}
    return {"x": rng.normal(size=(5, 3)), **{f"state/{k}": v for k, v in state.items()},
            "s": rng.uniform(-2.0, 2.0, 4), "v": rng.normal(size=4),
            "a": rng.uniform(0.5, 1.5), "b": rng.uniform(-1.5, -0.5),
            "go": rng.normal(size=4)}


def _the_cases(lib, tensor, scalar, mlp):
    """The same computations in either library: `tensor(array)` makes a float64 leaf that
    requires grad, `scalar(number)` a scalar one (a Value here), `mlp(state)` the model; `lib`
    is torch.autograd.grad or glassgrad's `grad`."""
    inputs = _drawn_inputs()
    results = {}
    model = mlp({k[6:]: v for k, v in inputs.items() if k.startswith("state/")})
    x = tensor(inputs["x"])
    out = model(x)
    (gx,) = lib(out, x, grad_outputs=tensor(np.ones((5, 1)), False), create_graph=True)
    penalty = ((gx.norm(dim=1) - 1.0) ** 2).mean()
    results["gp/gx"], results["gp/penalty"] = gx, penalty
    # (the last bias does not move the slope: unused, as PyTorch says without allow_unused)
    for name, gp in zip(_mlp_layout(), lib(penalty, list(model.parameters()),
                                           materialize_grads=True)):
        results[f"gp/d_{name}"] = gp
    s, v = tensor(inputs["s"]), tensor(inputs["v"], False)
    (g,) = lib((s.sin() * s ** 3).sum(), s, create_graph=True)
    (d2,) = lib(g.sum(), s, create_graph=True)
    (hv,) = lib((g * v).sum(), s)
    results["second/g"], results["second/d2"], results["second/hv"] = g, d2, hv
    a, b = scalar(inputs["a"]), scalar(inputs["b"])
    y = a * b + (a * b).tanh() * a
    da, db = lib(y, [a, b], create_graph=True)
    (dab,) = lib(db, a)
    results["scalar/da"], results["scalar/db"], results["scalar/dab"] = da, db, dab
    w = tensor(inputs["s"])
    vec = w.exp() * w
    (gw,) = lib(vec, w, grad_outputs=tensor(inputs["go"], False))
    results["vector/gw"] = gw
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    def mlp(state):
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                    torch.nn.Linear(4, 1)).double()
        model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        return model

    def tensor(array, requires_grad=True):
        return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)

    results = _the_cases(torch.autograd.grad, tensor, tensor, mlp)
    return {**{f"inputs/{key}": np.array(value) for key, value in _drawn_inputs().items()},
            **{key: np.array(value.detach().numpy()) for key, value in results.items()}}


def test_pytorch_form_matches_pytorchs_recorded_numbers():
    import nn

    def mlp(state):
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
        model.load_state_dict(state)
        return model

    ours = _the_cases(grad, lambda array, requires_grad=True: t64(array, requires_grad), Value,
                      mlp)
    theirs = recorded("higher_order")
    for key, value in _drawn_inputs().items():      # the cases' inputs are the recorded ones
        np.testing.assert_array_equal(value, theirs[f"inputs/{key}"], err_msg=key)
    assert list(ours) == [key for key in theirs if not key.startswith("inputs/")]
    assert isinstance(ours["scalar/dab"], Value)
    for key, value in ours.items():
        np.testing.assert_allclose(value.data, theirs[key], rtol=1e-12, atol=1e-14, err_msg=key)


def test_grad_of_an_input_skips_the_weights_gradients_and_puts_every_ctx_back(monkeypatch):
    """grad(y, x) of a convolution, linear, matmul and einsum on weights that require grad:
    the ops' `narrow` tells them only x wants a gradient (PyTorch's grad computes no weight
    gradient either), the numbers are a full backward's, the weights' .grad stays None, and
    every node keeps its own ctx after (s34 flows: a PixelCNN's input Jacobian 39 -> 24 ms)."""
    import autograd.ops.conv as conv_ops
    from autograd import einsum
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    lin = Tensor(rng.standard_normal((4, 3 * 4 * 4)), requires_grad=True)
    m = Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    e = Tensor(rng.standard_normal((5, 2)), requires_grad=True)

    def model(x):
        h = F.conv2d(x, w, padding=1).tanh().reshape(x.shape[0], -1)
        h = F.linear(h, lin).sin()
        return einsum("nk,kj->nj", h @ m, e) * x.sum()       # x also reaches the end directly

    x = Tensor(rng.standard_normal((2, 2, 4, 4)), requires_grad=True)
    y = model(x)
    ctxs = [(node, node._ctx) for node in walk(y)]
    calls = []
    real = conv_ops.conv_weight_grad
    monkeypatch.setattr(conv_ops, "conv_weight_grad", lambda *a: calls.append(1) or real(*a))
    seed = Tensor(rng.standard_normal(y.shape))
    (gx,) = grad(y, x, grad_outputs=seed)
    assert calls == [] and w.grad is None and lin.grad is None and e.grad is None
    assert all(node._ctx is ctx for node, ctx in ctxs)
    (gw,) = grad(y, w, grad_outputs=seed)                     # now the weight's is wanted
    assert calls and w.grad is None
    y.backward(seed)
    assert np.allclose(gx.data, x.grad, rtol=1e-12) and np.allclose(gw.data, w.grad, rtol=1e-12)
    # x by finite differences, in one direction
    d = rng.standard_normal(x.shape)
    with no_grad():
        slope = ((model(Tensor(x.data + 1e-6 * d)) - model(Tensor(x.data - 1e-6 * d))).data
                 * seed.data).sum() / 2e-6
    assert abs(slope - (gx.data * d).sum()) < 1e-6 * max(1.0, abs(slope))
