"""Every op of `Value`, compiled vs eager, forward and backward, also after new data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value, compile
from autograd import functional as F
from compile_helpers import check_against_eager, close, compiled_pass

# name, expression of (a, b), data at recording, data at replay (chosen to cross kinks: the
# replay must recompute ReLU's mask and Abs's sign from the new numbers)
OPS = [
    ("add", lambda a, b: a + b, (1.5, -0.7), (-2.0, 0.3)),
    ("add_const", lambda a, b: a + 3 + b, (1.5, -0.7), (-2.0, 0.3)),
    ("radd", lambda a, b: 3 + a, (1.5, -0.7), (-2.0, 0.3)),
    ("sub", lambda a, b: a - b, (1.5, -0.7), (-2.0, 0.3)),
    ("sub_const", lambda a, b: a - 3, (1.5, -0.7), (-2.0, 0.3)),
    ("rsub", lambda a, b: 3 - a * b, (1.5, -0.7), (-2.0, 0.3)),
    ("mul", lambda a, b: a * b, (1.5, -0.7), (-2.0, 0.3)),
    ("mul_const", lambda a, b: a * 3, (1.5, -0.7), (-2.0, 0.3)),
    ("rmul", lambda a, b: 3 * a, (1.5, -0.7), (-2.0, 0.3)),
    ("neg", lambda a, b: -a * b, (1.5, -0.7), (-2.0, 0.3)),
    ("div", lambda a, b: a / b, (1.5, -0.7), (-2.0, 0.3)),
    ("div_const", lambda a, b: a / 3, (1.5, -0.7), (-2.0, 0.3)),
    ("rdiv", lambda a, b: 3 / a, (1.5, -0.7), (-2.0, 0.3)),
    ("pow_int", lambda a, b: a ** 3, (1.5, -0.7), (-2.0, 0.3)),
    ("pow_half", lambda a, b: a ** 0.5, (1.5, 0.7), (2.0, 0.3)),
    ("pow_negative", lambda a, b: b ** -2, (1.5, -0.7), (-2.0, 0.3)),
    ("pow_zero_at_zero", lambda a, b: a ** 0 + b ** 2, (0.0, -0.7), (0.0, 0.3)),   # slope 0
    ("pow_value", lambda a, b: a ** b, (1.5, -0.7), (2.0, 0.3)),
    ("pow_constant_value", lambda a, b: a ** Value(2.5, requires_grad=False), (1.5, 0.7),
     (2.0, 0.3)),
    ("pow_constant_base", lambda a, b: Value(2.0, requires_grad=False) ** b * a, (1.5, -0.7),
     (-2.0, 0.3)),
    ("pow_constant_zero_base", lambda a, b: Value(0.0, requires_grad=False) ** (b * b + 0.5) + a,
     (1.5, -0.7), (-2.0, 0.3)),                     # d/d(base) would be infinite: not needed
    ("rpow", lambda a, b: 2 ** a, (1.5, -0.7), (-2.0, 0.3)),
    ("exp", lambda a, b: a.exp(), (1.5, -0.7), (-2.0, 0.3)),
    ("log", lambda a, b: a.log(), (1.5, 0.7), (0.2, 0.3)),
    ("sqrt", lambda a, b: a.sqrt(), (1.5, 0.7), (0.2, 0.3)),
    ("tanh", lambda a, b: a.tanh(), (1.5, -0.7), (-2.0, 0.3)),
    ("sigmoid", lambda a, b: (a * 40).sigmoid(), (1.5, -0.7), (-2.0, 0.3)),
    ("relu", lambda a, b: a.relu() * b, (1.5, -0.7), (-2.0, 0.3)),
    ("abs", lambda a, b: abs(a) * b, (1.5, -0.7), (-2.0, 0.3)),
    ("abs_method", lambda a, b: a.abs(), (1.5, -0.7), (-2.0, 0.3)),
    ("sin", lambda a, b: a.sin() * b, (1.5, -0.7), (-2.0, 3.3)),
    ("cos", lambda a, b: a.cos() * b, (1.5, -0.7), (-2.0, 3.3)),
    ("sin_of_cos", lambda a, b: (a * b).cos().sin() * a ** 2, (1.3, -0.7), (4.1, 0.3)),
    ("constant_value", lambda a, b: Value(2.0, requires_grad=False) * a - b,
     (1.5, -0.7), (-2.0, 0.3)),
    # Value's functions beyond micrograd's (their Tensor ops' array rules run the replay)
    ("tan", lambda a, b: a.tan() * b, (0.5, -0.7), (-1.2, 0.3)),
    ("asin_acos", lambda a, b: a.asin() * b.acos(), (0.5, -0.7), (-0.2, 0.3)),
    ("atan", lambda a, b: (a * b).atan(), (1.5, -0.7), (-2.0, 0.3)),
    ("atan2", lambda a, b: a.atan2(b), (1.5, -0.7), (-2.0, 0.3)),      # crosses the branch cut
    ("atan2_number", lambda a, b: b.atan2(-1.0) * a, (1.5, -0.7), (-2.0, 0.3)),
    ("hypot", lambda a, b: a.hypot(b), (1.5, -0.7), (-2.0, 0.3)),
    ("sinh_cosh", lambda a, b: a.sinh() + b.cosh(), (1.5, -0.7), (-2.0, 0.3)),
    ("asinh_acosh_atanh", lambda a, b: a.asinh() + (b * b + 1.5).acosh() + (b * 0.5).atanh(),
     (1.5, -0.7), (-2.0, 0.3)),
    ("erf_erfc", lambda a, b: a.erf() * b.erfc(), (1.5, -0.7), (-2.0, 0.3)),
    ("log1p_expm1", lambda a, b: a.log1p() + (a * b).expm1(), (1.5, -0.7), (-0.5, 0.3)),
    # what autograd.functional makes of Values (more below: compiled at every side of a branch)
    ("leaky_relu", lambda a, b: F.leaky_relu(a, 0.1) * b, (1.5, -0.7), (-2.0, 0.3)),
    ("binary_cross_entropy", lambda a, b: F.binary_cross_entropy([(a * b).sigmoid()], [0.25]),
     (1.5, -0.7), (-2.0, 0.3)),
    ("binary_cross_entropy_with_logits",
     lambda a, b: F.binary_cross_entropy_with_logits([a * b], [0.25], pos_weight=2.0),
     (1.5, -0.7), (-2.0, 0.3)),
]


@pytest.mark.parametrize("name, expression, recorded, replayed", OPS, ids=[o[0] for o in OPS])
def test_each_op_matches_eager_at_the_recorded_and_at_new_data(name, expression, recorded,
                                                                replayed):
    a, b = Value(recorded[0]), Value(recorded[1])
    check_against_eager(lambda: expression(a, b), [a, b], replayed)


@pytest.mark.parametrize("name, expression, recorded, replayed", OPS, ids=[o[0] for o in OPS])
def test_each_op_matches_finite_differences_of_the_replay(name, expression, recorded, replayed):
    """The compiled gradient against central differences of the compiled forward itself."""
    a, b = Value(recorded[0]), Value(recorded[1])
    graph = compile(expression(a, b))
    for p, x in zip((a, b), replayed):
        p.data = x
    _, grads = compiled_pass(graph, [a, b])
    h = 1e-6
    for p, grad in zip((a, b), grads):
        x = p.data
        p.data = x + h
        up = graph.forward()
        p.data = x - h
        down = graph.forward()
        p.data = x
        assert abs((up - down) / (2 * h) - grad) <= 1e-6 * max(1.0, abs(grad))


def test_atan2_and_hypot_replayed_at_tiny_numbers_have_their_slopes():
    """The replay runs the array rules: atan2's squares underflowed there (slopes 0, for
    -2e169 and -4e169) and hypot's g / hypot overflowed (slopes inf, for 0.6 and -0.8), as
    in eager mode."""
    a, b = Value(1.5), Value(-0.7)
    check_against_eager(lambda: a.atan2(b) + a.hypot(b) * 1e-160, [a, b],
                                (2e-170, -1e-170))
    assert (a.grad, b.grad) == pytest.approx((-2e169, -4e169), rel=1e-12)
    graph = compile(a.hypot(b))
    a.data, b.data = 3e-310, -4e-310
    compiled_pass(graph, [a, b])
    assert (a.grad, b.grad) == pytest.approx((0.6, -0.8), rel=1e-6)


def test_relu_of_a_negative_zero_is_a_negative_zero_as_in_eager():
    """A Value's relu keeps -0.0 (micrograd's `0 if x < 0 else x`); the replay's np.maximum
    gave 0.0, and atan2 tells them apart: -π eagerly, -0.0 replayed (a wrong angle)."""
    a, b = Value(-0.0), Value(0.5)
    check_against_eager(lambda: a.atan2(a.relu()) * b, [a, b], (-0.0, 2.0))
    graph = compile(a.atan2(a.relu()) * b)
    assert graph.forward() == -math.pi * 2.0


def test_relu_at_exactly_zero_passes_no_gradient_as_in_eager():
    a, b = Value(0.0), Value(2.0)
    check_against_eager(lambda: (a * b).relu() + a, [a, b], (0.0, -1.0))
    graph = compile((a * b).relu())
    compiled_pass(graph, [a, b])
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_abs_at_zero_has_slope_zero_and_follows_the_new_sign():
    a = Value(0.0)
    graph = check_against_eager(lambda: abs(a) * 3, [a], (-2.0,))
    assert compiled_pass(graph, [a]) == (6.0, [-3.0])      # the sign of the new data


def test_diamonds_and_repeated_uses_add_their_contributions():
    a, b = Value(1.3), Value(-0.4)

    def build():
        c = a * b
        d = c + c * a               # c used twice, a three times
        return d * d + (a * a).tanh() - c

    check_against_eager(build, [a, b], (-0.6, 0.9))


def test_nodes_built_by_hand_as_in_the_micrograd_lecture_compile():
    """`Value(data, _children, _op)` makes the same ops as the operators do."""
    a, b = Value(2.0), Value(-3.0)

    def build():
        product = Value(a.data * b.data, (a, b), "*")
        total = Value(product.data + a.data, (product, a), "+")
        return Value(total.data ** 2, (total,), "**2").tanh()

    check_against_eager(build, [a, b], (0.5, 0.25))


def _ulps(got: float, want: float) -> float:
    return abs(got - want) / math.ulp(want)


def test_sin_and_cos_replay_within_a_few_ulps_of_math():
    """The replay computes sin and cos with numpy: as `math` does, bit for bit, with numpy 2.4
    here; numpy 1.24 (the oldest supported) differs by up to 3 ulps (measured: its vectorised
    float64 sin and cos). The slopes (cos and -sin) likewise."""
    a = Value(0.1)
    sin, cos = compile(a.sin()), compile(a.cos())
    for x in np.random.default_rng(3).uniform(-10.0, 10.0, 200):
        a.data = float(x)
        for graph, value, slope in ((sin, math.sin(x), math.cos(x)),
                                    (cos, math.cos(x), -math.sin(x))):
            a.grad = 0.0
            assert _ulps(graph.forward(), value) <= 4, (x, graph.forward(), value)
            graph.backward()
            assert _ulps(a.grad, slope) <= 4, (x, a.grad, slope)
    assert "sin(x)" in sin.explain() and "cos(x)" in cos.explain()


def test_erf_and_erfc_replay_within_a_few_ulps_of_math():
    """The replay computes erf and erfc with Cody's approximations (ops/erf.py), eager mode
    with `math`'s: at most 5 ulps apart (measured on 20,000 points of [-6, 6])."""
    a = Value(0.1)
    erf, erfc = compile(a.erf()), compile(a.erfc())
    for x in np.random.default_rng(3).uniform(-6.0, 6.0, 200):
        a.data = float(x)
        assert _ulps(erf.forward(), math.erf(x)) <= 5, x
        assert _ulps(erfc.forward(), math.erfc(x)) <= 5, x
        assert erf._eager is None and erfc._eager is None      # the vectorised replay ran


def test_the_gradient_graph_of_sin_is_cos_and_follows_new_data():
    """backward(create_graph=True) of sin(x) x² builds cos(x) (and sin(x)) as nodes: compiled,
    that gradient graph gives f' and f'' at new points as eager mode does."""
    f = lambda x: x.sin() * x ** 2
    x = Value(1.3)
    f(x).backward(create_graph=True)
    graph = compile(x.grad)
    assert {"sin", "cos"} <= {step.kind for step in graph.steps}
    for point in (1.3, -4.0, 2.9, 7.5):
        x.data = point
        first, second = compiled_pass(graph, [x])
        want_first, want_second = eager_derivatives(f, point)
        assert close(first, want_first) and close(second[0], want_second[0])
        assert second[0] == pytest.approx((2 - point ** 2) * math.sin(point)
                                          + 4 * point * math.cos(point), rel=1e-12)


def test_a_constant_base_is_replayed_without_its_slope():
    """c ** x with a constant base c = 0: the base's slope (infinite for x < 1) is not worked
    out, so the replay stays vectorised instead of handing the pass to eager mode."""
    x = Value(0.5)
    graph = compile(Value(0.0, requires_grad=False) ** x + x)
    compiled_pass(graph, [x])
    assert x.grad == 1.0 and graph._eager is None
    assert "pow_exponent" in graph.explain()


# ----------------------------------------------------------------------------------------------
# Gradient graphs (create_graph=True): the slopes of relu and abs are step and sign nodes
# ----------------------------------------------------------------------------------------------

# f, the points at which its gradient graph is recorded, and points on both sides of its kinks
# (x * x = 1, x * x * x = 1: the kink itself too, where eager mode's slope is 0)
KINKED = [
    ("relu", lambda x: (x * x - 1).relu(), (2.0, 0.5), (2.0, 1.5, 1.0, 0.5, -0.5, -1.5, -2.0)),
    ("abs", lambda x: abs(x * x * x - 1), (2.0, 0.5), (2.0, 1.5, 1.0, 0.5, -0.5, -1.5)),
]


def eager_derivatives(f, *point: float) -> tuple[float, list[float]]:
    """(∂f/∂x₀, [∂²f/∂x₀∂xᵢ for each i]) from eager passes, the first with create_graph."""
    xs = [Value(p) for p in point]
    f(*xs).backward(create_graph=True)
    first = xs[0].grad
    for x in xs:
        x.grad = 0.0
    first.backward()
    return first.data, [x.grad for x in xs]


@pytest.mark.parametrize("name, f, recorded, replayed", KINKED, ids=[k[0] for k in KINKED])
def test_gradient_graphs_follow_relu_and_abs_across_their_kinks(name, f, recorded, replayed):
    """The compiled d/dx (forward) and d²/dx² (backward) agree with eager mode's at every point,
    on either side of the kink from where the graph was recorded."""
    for start in recorded:
        x = Value(start)
        f(x).backward(create_graph=True)
        graph = compile(x.grad)
        for point in replayed:
            x.data = point
            first, second = compiled_pass(graph, [x])
            want_first, want_second = eager_derivatives(f, point)
            assert close(first, want_first) and close(second[0], want_second[0]), \
                (start, point, first, second, want_first, want_second)


def test_second_derivatives_of_a_compiled_gradient_graph_match_finite_differences():
    """∂/∂x and ∂/∂w of the compiled ∂f/∂x against central differences (float64) of eager
    ∂f/∂x, at points away from the kinks and on the other side of them from the recording."""
    def f(x, w):
        return (w * x - 0.3).relu() * x.tanh() + abs(x - w) * (w * x) + (x * x).relu() * w

    x, w = Value(1.2), Value(0.8)                    # w x > 0.3, x > w
    f(x, w).backward(create_graph=True)
    graph = compile(x.grad)
    h = 1e-6
    for point in [(1.2, 0.8), (-0.9, 0.6), (0.4, 1.3), (-1.1, -0.7)]:
        x.data, w.data = point
        first, second = compiled_pass(graph, [x, w])
        assert first == pytest.approx(eager_derivatives(f, *point)[0], rel=1e-12)
        for i in range(2):
            up, down = list(point), list(point)
            up[i] += h
            down[i] -= h
            numeric = (eager_derivatives(f, *up)[0] - eager_derivatives(f, *down)[0]) / (2 * h)
            assert second[i] == pytest.approx(numeric, rel=1e-6, abs=1e-7), (point, i)


def test_a_gradient_graph_handed_to_eager_mode_rebuilds_its_steps_and_signs():
    """x * x overflows at x = -1e200, so the pass is handed to the eager engine, which builds
    relu's step and abs's sign again: both are 1 there, and d/dx = 2x + 2x stays finite."""
    x = Value(2.0)
    f = lambda x: (x * x - 1).relu() + abs(x * x - 1)
    f(x).backward(create_graph=True)
    graph = compile(x.grad)
    x.data = -1e200
    first, second = compiled_pass(graph, [x])
    assert graph._eager is not None
    assert (first, second) == eager_derivatives(f, -1e200) == (-4e200, [4.0])


# a ** b with both Values: d/db = a^b ln a is NaN for a < 0 (no real log) and 0 at a = 0 (its
# limit), as eager mode decides from the data; whole exponents keep a ** b real for a < 0
POWER_POINTS = [(2.0, 3.0), (0.5, 2.0), (0.0, 3.0), (0.0, 2.0), (-2.0, 3.0), (-1.5, 2.0)]


def _power_pass(point: tuple[float, float], which: int) -> tuple[float, list[float]]:
    """Eager a ** b (which = 0), or its gradient graph ∂/∂a (1) or ∂/∂b (2): value, gradients."""
    a, b = Value(point[0]), Value(point[1])
    out = a ** b
    if which:
        out.backward(create_graph=True)
        out = (a.grad, b.grad)[which - 1]
        a.grad = b.grad = 0.0
    out.backward()
    return out.data, [a.grad, b.grad]


def _same(got: float, want: float) -> bool:
    return (math.isnan(got) and math.isnan(want)) or close(got, want)


@pytest.mark.parametrize("recorded", POWER_POINTS, ids=str)
def test_a_power_of_two_values_follows_the_sign_of_its_base(recorded):
    """a ** b and its gradient graphs ∂/∂a and ∂/∂b, each compiled at one point and replayed at
    all: eager mode's numbers everywhere, whichever branch (ln a, 0 or NaN) the recording met.
    The ln a in ∂/∂b is an op of the gradient graph (log_or_zero), not a number of the record."""
    a, b = Value(recorded[0]), Value(recorded[1])
    graphs = [compile(a ** b)]
    (a ** b).backward(create_graph=True)
    graphs += [compile(a.grad), compile(b.grad)]
    for point in POWER_POINTS:
        a.data, b.data = point
        for which, graph in enumerate(graphs):
            (value, grads), (want_value, want_grads) = (compiled_pass(graph, [a, b]),
                                                        _power_pass(point, which))
            assert all(map(_same, [value, *grads], [want_value, *want_grads])), \
                (which, point, value, grads, want_value, want_grads)
    assert "log_or_zero" in graphs[2].explain()


# ----------------------------------------------------------------------------------------------
# Branches picked from the data by autograd.functional's ops: leaky_relu's slope, the clamp of
# the binary cross-entropy's logs at -100, the two stable forms of softplus (cross-entropy from
# logits)
# ----------------------------------------------------------------------------------------------

# f, and points on both sides of its branch (extremes too): each is recorded, and replayed at all
BRANCHED = [
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1) * x, (2.0, -2.0, 0.0, 1000.0, -1000.0)),
    ("leaky_relu_steep", lambda x: F.leaky_relu(x * 3, 2.5), (2.0, -2.0, 0.0, -1000.0)),
    ("binary_cross_entropy", lambda p: F.binary_cross_entropy([p], [0.75]),
     (0.5, 1e-50, 0.0, 1.0, 0.999)),                # log p clamped at 1e-50 and 0, log(1 - p) at 1
    ("binary_cross_entropy_with_logits",
     lambda x: F.binary_cross_entropy_with_logits([x], [1.0]), (2.0, -2.0, -800.0, 800.0, 0.0)),
    ("binary_cross_entropy_with_logits_weighted",
     lambda x: F.binary_cross_entropy_with_logits([x * 0.5], [0.25], pos_weight=3.0),
     (2.0, -1000.0, 1000.0)),
]


def _eager_pass(f, point: float, gradient_graph: bool) -> tuple[float, float]:
    """f(x) (or, with gradient_graph, its df/dx made with create_graph) and its d/dx, eagerly."""
    x = Value(point)
    out = f(x)
    if gradient_graph:
        out.backward(create_graph=True)
        out, x.grad = x.grad, 0.0
    out.backward()
    return out.data, x.grad


@pytest.mark.parametrize("name, f, points", BRANCHED, ids=[b[0] for b in BRANCHED])
def test_a_branch_picked_from_the_data_follows_new_data(name, f, points):
    """f and its gradient graph df/dx, compiled at each point and replayed at all: eager mode's
    value and slope everywhere, whichever side of the branch the recording was on. (Picked in
    Python while the graph was built, the branch would stay as recorded: leaky_relu(-2) gave
    -2.0 after a recording at 2, the cross-entropy from logits inf at -800.)"""
    for start in points:
        x = Value(start)
        out = f(x)
        out.backward(create_graph=True)
        graphs = [compile(out), compile(x.grad)]
        for point in points:
            x.data = point
            for of_gradient, graph in enumerate(graphs):
                value, (slope,) = compiled_pass(graph, [x])
                want_value, want_slope = _eager_pass(f, point, bool(of_gradient))
                assert close(value, want_value) and close(slope, want_slope), \
                    (start, point, of_gradient, value, slope, want_value, want_slope)


def test_a_replay_outside_a_functions_domain_raises_the_eager_error():
    """numpy's asin(2) is NaN with a warning: the replay hands that pass to eager mode, whose
    error names the op and the number, as an eager graph built at the new data would."""
    a = Value(0.5)
    graph = compile(a.asin() * 2)
    a.data = 2.0
    with pytest.raises(ValueError, match=r"asin: needs an input in \[-1, 1\], got 2\.0"):
        graph.forward()


def test_the_gradient_graph_of_sinh_is_cosh_and_follows_new_data():
    f = lambda x: x.sinh() * x.atan()
    x = Value(0.8)
    f(x).backward(create_graph=True)
    graph = compile(x.grad)
    assert {"sinh", "cosh"} <= {step.kind for step in graph.steps}
    for point in (0.8, -1.7, 2.5):
        x.data = point
        first, second = compiled_pass(graph, [x])
        want_first, want_second = eager_derivatives(f, point)
        assert close(first, want_first) and close(second[0], want_second[0])
