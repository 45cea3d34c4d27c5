"""The activation functions PyTorch has and glassgrad lacked (nn.functional: relu6, elu, selu,
celu, silu, mish, softplus, softsign, hardtanh, hardsigmoid, hardswish, logsigmoid, tanhshrink,
threshold, hardshrink, softshrink, softmin, glu, prelu) and the Elu op behind elu, selu and
celu: values and slopes against closed forms, gradients and second derivatives against finite
differences, PyTorch's slopes at the kinks, stability at ±1000, dtypes, errors, and PyTorch's
numbers asked live where torch is installed. (The modules are
tests/test_activation_modules.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, Value, grad, gradcheck
from autograd import functional as AF
import nn
from nn import functional as F

from conftest import strict, t64

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def mish_slope(x):
    t = np.tanh(np.log1p(np.exp(x)))
    return t + x * sigmoid(x) * (1 - t * t)


# name, glassgrad, value (numpy, float64), slope (numpy), PyTorch (torch.nn.functional, x)
ELEMENTWISE = [
    ("relu6", F.relu6, lambda x: np.clip(x, 0, 6), lambda x: 1.0 * ((x > 0) & (x < 6)),
     lambda T, x: T.relu6(x)),
    ("elu", lambda x: F.elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1)),
     lambda x: np.where(x > 0, 1.0, 0.7 * np.exp(x)), lambda T, x: T.elu(x, 0.7)),
    ("selu", F.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)),
     lambda x: SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(x)), lambda T, x: T.selu(x)),
    ("celu", lambda x: F.celu(x, 0.3),
     lambda x: np.maximum(x, 0) + np.minimum(0, 0.3 * (np.exp(x / 0.3) - 1)),
     lambda x: np.where(x > 0, 1.0, np.exp(x / 0.3)), lambda T, x: T.celu(x, 0.3)),
    ("silu", F.silu, lambda x: x / (1 + np.exp(-x)),
     lambda x: sigmoid(x) * (1 + x * (1 - sigmoid(x))), lambda T, x: T.silu(x)),
    ("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), mish_slope,
     lambda T, x: T.mish(x)),
    ("softplus", F.softplus, lambda x: np.logaddexp(0, x), sigmoid, lambda T, x: T.softplus(x)),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
     lambda x: np.where(2 * x > 3, 1.0, sigmoid(2 * x)),
     lambda T, x: T.softplus(x, beta=2.0, threshold=3.0)),
    ("softplus_negative_beta", lambda x: F.softplus(x, beta=-0.5, threshold=1.0),
     lambda x: np.where(-0.5 * x > 1, x, np.log1p(np.exp(-0.5 * x)) / -0.5),
     lambda x: np.where(-0.5 * x > 1, 1.0, sigmoid(-0.5 * x)),
     lambda T, x: T.softplus(x, beta=-0.5, threshold=1.0)),
    ("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2,
     lambda T, x: T.softsign(x)),
    ("hardtanh", lambda x: F.hardtanh(x, -2.0, 0.5), lambda x: np.clip(x, -2, 0.5),
     lambda x: 1.0 * ((x > -2) & (x < 0.5)), lambda T, x: T.hardtanh(x, -2.0, 0.5)),
    ("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1),
     lambda x: np.where(np.abs(x) < 3, 1 / 6, 0.0), lambda T, x: T.hardsigmoid(x)),
    ("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6,
     lambda x: np.where(x < -3, 0.0, np.where(x > 3, 1.0, (2 * x + 3) / 6)),
     lambda T, x: T.hardswish(x)),
    ("logsigmoid", F.logsigmoid, lambda x: -np.logaddexp(0, -x), lambda x: 1 / (1 + np.exp(x)),
     lambda T, x: T.logsigmoid(x)),
    ("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x), lambda x: np.tanh(x) ** 2,
     lambda T, x: T.tanhshrink(x)),
    ("threshold", lambda x: F.threshold(x, 0.5, -2.0), lambda x: np.where(x > 0.5, x, -2.0),
     lambda x: 1.0 * (x > 0.5), lambda T, x: T.threshold(x, 0.5, -2.0)),
    ("hardshrink", F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
     lambda x: 1.0 * (np.abs(x) > 0.5), lambda T, x: T.hardshrink(x)),
    ("softshrink", lambda x: F.softshrink(x, 1.0),
     lambda x: np.where(np.abs(x) > 1.0, x - np.sign(x), 0.0),
     lambda x: 1.0 * (np.abs(x) > 1.0), lambda T, x: T.softshrink(x, 1.0)),
]
ROWS = [pytest.param(*row[1:], id=row[0]) for row in ELEMENTWISE]
FUNCTIONS = [pytest.param(row[1], id=row[0]) for row in ELEMENTWISE]

# where the functions above have a kink, or a jump (softplus_beta's switch to the line at 1.5,
# softplus_negative_beta's at -2)
KINKS = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 3.0, 6.0)


def smooth_points(rng, shape, spread=7.0):
    """Uniform in ±spread, at least 0.05 from every kink: finite differences see one piece."""
    x = rng.uniform(-spread, spread, shape)
    for kink in KINKS:
        x = np.where(np.abs(x - kink) < 0.05, x + 0.1, x)
    return x


# ----------------------------------------------------------------------------------------------
# Values, slopes and gradients
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("f, value, slope, _", ROWS)
def test_values_and_slopes_match_their_closed_forms(f, value, slope, _, rng):
    x = smooth_points(rng, (200,))
    t = t64(x)
    y = f(t)
    y.backward(np.ones_like(x))
    np.testing.assert_allclose(y.data, value(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.grad, slope(x), rtol=1e-12, atol=1e-15)
    # `grad` takes the other path, which records the slope as nodes (to differentiate again)
    np.testing.assert_allclose(grad(lambda u: f(u).sum())(x), slope(x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("f", FUNCTIONS)
@pytest.mark.parametrize("shape", [(), (1,), (1, 5), (3, 4)])
def test_gradients_match_finite_differences(f, shape, rng):
    assert gradcheck(lambda t: f(t) * 1.5, t64(smooth_points(rng, shape, 4.0)))


@pytest.mark.parametrize("f", FUNCTIONS)
def test_gradients_through_a_broadcast(f, rng):
    """(3, 1) + (1, 4): the activation gets a broadcast sum; the offsets are small enough
    that every point stays clear of the kinks."""
    p, q = smooth_points(rng, (3, 1), 4.0), rng.uniform(-0.01, 0.01, (1, 4))
    assert gradcheck(lambda a, b: f(a + b), t64(p), t64(q))


@pytest.mark.parametrize("f", FUNCTIONS)
def test_second_derivatives_match_finite_differences_of_the_slope(f, rng):
    """grad(f) is differentiable again: its gradient (the second derivative, which the Elu op
    builds from nodes) matches finite differences of the slope."""
    x = smooth_points(rng, (2, 3), 4.0)
    w = rng.uniform(0.5, 1.5, (2, 3))
    slope = grad(lambda u: (f(u) * Tensor(w)).sum())
    assert gradcheck(lambda t: slope(t), t64(x))


def test_elu_keeps_its_digits_next_to_zero():
    """e^x - 1 as accurate as expm1 (exp(x) - 1 in float32 would be off by 6e-4 relatively at
    -1e-4): to 2 ulps in float64 (numpy's expm1 is 1-2 ulps from the C library's, depending
    on the CPU's vector instructions) and 4 in float32, from -1e-30 to -100."""
    x = -np.logspace(-30, 2, 2001)
    exact = np.array([math.expm1(v) for v in x])
    np.testing.assert_allclose(F.elu(t64(x)).data, exact, rtol=4.5e-16, atol=0)
    np.testing.assert_allclose(F.celu(t64(x), 2.0).data,
                               [2 * math.expm1(v / 2) for v in x], rtol=4.5e-16, atol=0)
    np.testing.assert_allclose(F.elu(Tensor(x.astype(np.float32))).data, exact, rtol=4.8e-7,
                               atol=0)


# ----------------------------------------------------------------------------------------------
# The slope at each kink is PyTorch's (as torch 2.x gives it in float64)
# ----------------------------------------------------------------------------------------------

KINK_SLOPES = [
    ("relu6", F.relu6, [0.0, 6.0], [0.0, 0.0]),
    ("hardtanh", F.hardtanh, [-1.0, 1.0], [0.0, 0.0]),
    ("hardsigmoid", F.hardsigmoid, [-3.0, 3.0], [0.0, 0.0]),
    ("hardswish", F.hardswish, [-3.0, 3.0], [0.0, 1.0]),
    ("elu", lambda x: F.elu(x, 2.0), [0.0], [2.0]),                 # the left side's α e^0
    ("selu", F.selu, [0.0], [SELU_SCALE * SELU_ALPHA]),
    ("celu", lambda x: F.celu(x, 0.5), [0.0], [1.0]),
    # βx = threshold exactly is still the curve; past it the line
    ("softplus", lambda x: F.softplus(x, 2.0, 5.0), [2.5, 2.6], [1 / (1 + math.exp(-5.0)), 1.0]),
    ("prelu", lambda x: F.prelu(x, Tensor([0.25], dtype=np.float64)), [0.0], [0.25]),
    # PyTorch's: the value itself, and every edge of the band, takes the slope 0
    ("threshold", lambda x: F.threshold(x, 0.5, -2.0), [0.5, np.nextafter(0.5, 1)], [0.0, 1.0]),
    ("hardshrink", F.hardshrink, [-0.5, 0.5, np.nan], [0.0, 0.0, 1.0]),
    ("softshrink", F.softshrink, [-0.5, 0.5, np.inf, np.nan], [0.0, 0.0, 1.0, 1.0]),
]


@pytest.mark.parametrize("f, points, slopes", [pytest.param(*row[1:], id=row[0])
                                               for row in KINK_SLOPES])
def test_slopes_at_the_kinks_are_pytorchs(f, points, slopes):
    x = t64(points)
    f(x).backward(np.ones(len(points)))
    np.testing.assert_allclose(x.grad, slopes, rtol=1e-15)


# ----------------------------------------------------------------------------------------------
# Stability, dtypes, NaN
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("f, value, slope, _", ROWS)
def test_finite_at_1000_without_warnings_to_the_second_derivative(f, value, slope, _):
    """No overflow anywhere at ±1000 (eˣ would be inf): values, slopes and second derivatives
    are finite and are the limits, in float32 and float64."""
    points = np.array([-1000.0, 1000.0])
    with np.errstate(over="ignore", invalid="ignore"):          # the references overflow
        expected_value, expected_slope = value(points), slope(points)
    for dtype in (np.float32, np.float64):
        with strict():
            x = Tensor(points.astype(dtype), requires_grad=True)
            y = f(x)
            y.backward(np.ones(2, dtype))
            second = grad(lambda t: grad(lambda u: f(u).sum())(t).sum())(points.astype(dtype))
        assert y.dtype == x.grad.dtype == dtype
        np.testing.assert_allclose(y.data, expected_value, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(x.grad, expected_slope, rtol=1e-6, atol=1e-6)
        assert np.isfinite(second).all() and np.abs(second).max() < 1e-5


def test_hardswish_slopes_at_the_infinities_are_pytorchs():
    """1 at inf and 0 at -inf (hardswish(-inf) is -inf · 0 = NaN, as PyTorch's): as
    x · hardsigmoid(x) the product rule's x · slope was inf · 0 = NaN at both."""
    for dtype in (np.float32, np.float64):
        x = Tensor(np.array([np.inf, -np.inf, 1e30, -1e30], dtype), requires_grad=True)
        with strict(), np.errstate(invalid="ignore"):   # (-inf · 0 in the forward)
            y = F.hardswish(x)
            y.backward(np.ones(4, dtype))
        assert y.data[0] == np.inf and np.isnan(y.data[1]) and y.data[2] == dtype(1e30)
        np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0, 0.0])


def test_hardswish_second_derivative_beyond_a_float_and_its_slope_at_nan():
    """The slope recorded as nodes (`grad`) is 0 and 1 at ±inf too, and its derivative 0 there,
    without warnings (x is clipped before the middle piece's (x + 1.5) / 3). A NaN input gets
    a NaN slope on both backward paths."""
    for dtype in (np.float32, np.float64):
        x = np.array([np.inf, -np.inf, 1e30, -1e30, 1.0], dtype)
        with strict():
            slope = grad(lambda u: F.hardswish(u[:1]).sum() + F.hardswish(u[2:]).sum())
            second = grad(lambda u: slope(u).sum())(x)
            first = grad(lambda u: F.hardswish(u).sum())(x[[0, 2, 3, 4]])
        np.testing.assert_array_equal(first, np.array([1.0, 1.0, 0.0, 5 / 6], dtype))
        np.testing.assert_array_equal(second, np.array([0.0, 0.0, 0.0, 0.0, 1 / 3], dtype))
        with np.errstate(invalid="ignore"):         # (-inf · 0 in the forward, as PyTorch's)
            assert grad(lambda u: F.hardswish(u).sum())(np.array([-np.inf], dtype)) == 0
        t = Tensor(np.array([np.nan, 1.0], dtype), requires_grad=True)
        F.hardswish(t).backward(np.ones(2, dtype))
        assert np.isnan(t.grad[0]) and np.isnan(grad(lambda u: F.hardswish(u).sum())(t.data)[0])


def test_hardswish_is_one_op():
    assert F.hardswish(t64([-4.0, 1.0, 4.0])).op == "hardswish"


@pytest.mark.parametrize("f", FUNCTIONS)
def test_dtypes_integers_and_nan(f):
    for dtype in (np.float32, np.float64):
        assert f(Tensor(np.array([-1.0, 2.0], dtype))).dtype == dtype
    assert f(Tensor(np.array([-1, 2]))).dtype == np.float32        # integers: the default
    assert f([-1.0, 2.0]).shape == (2,)                            # an array becomes a Tensor
    assert np.isnan(f(Tensor([np.nan])).data).all()                # NaN stays NaN


def test_celu_with_a_negative_alpha_is_its_formula(rng):
    """α < 0 makes e^(x/α) grow for x < 0: min(0, α (e^(x/α) - 1)) is still the negative side
    (it was once e^min(x/α, 0) - 1, which is 0 there and gave celu(-1, α=-1) = 0 for -1.718).
    Where e^(x/α) overflows, the value is -inf and the slope inf (not NaN), as PyTorch's."""
    x = smooth_points(rng, (200,), 3.0)
    for alpha in (-1.0, -0.7, -2.5):
        t = t64(x)
        y = F.celu(t, alpha)
        y.backward(np.ones_like(x))
        np.testing.assert_allclose(
            y.data, np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(x / alpha)), rtol=1e-13)
        np.testing.assert_allclose(t.grad, np.where(x > 0, 1.0, np.exp(x / alpha)), rtol=1e-13)
        assert gradcheck(lambda u: F.celu(u, alpha), t64(x[:12]))
        slope = grad(lambda u: F.celu(u, alpha).sum())
        assert gradcheck(lambda u: slope(u), t64(x[:12]))
    np.testing.assert_allclose(F.celu(Tensor([-1.0, 1.0]), alpha=-1.0).data, [-1.7182817, 1.0])
    np.testing.assert_allclose(nn.CELU(-1.0)(Tensor([-1.0, 1.0])).data, [-1.7182817, 1.0])
    t = t64([-1000.0, 0.0, 1000.0])
    with np.errstate(over="ignore"):                    # e^1000 does overflow
        y = F.celu(t, -1.0)
        y.backward(np.ones(3))
    assert y.data.tolist() == [-math.inf, 0.0, 1000.0] and t.grad.tolist() == [math.inf, 1, 1]


def test_one_op_serves_elu_selu_and_celu():
    x = t64([-1.0, 2.0])
    assert F.elu(x).op == F.selu(x).op == F.celu(x).op == "elu"
    assert F.elu is AF.elu and F.selu is AF.selu and F.celu is AF.celu


# ----------------------------------------------------------------------------------------------
# softmin, glu, prelu
# ----------------------------------------------------------------------------------------------

def test_softmin_is_softmax_of_the_negation_along_dim(rng):
    x = rng.normal(size=(3, 4))
    for axis in (0, 1, -1):
        expected = np.exp(-x) / np.exp(-x).sum(axis=axis, keepdims=True)
        np.testing.assert_allclose(F.softmin(t64(x), dim=axis).data, expected, rtol=1e-14)
        np.testing.assert_allclose(F.softmin(t64(x), axis).data, expected, rtol=1e-14)
    assert gradcheck(lambda t: F.softmin(t, dim=0), t64(x))
    assert gradcheck(lambda t: F.softmin(t), t64(rng.normal(size=(1,))))
    with strict():
        np.testing.assert_array_equal(F.softmin(Tensor([1000.0, -1000.0])).data, [0.0, 1.0])


def test_glu_gates_the_first_half_by_the_sigmoid_of_the_second(rng):
    x = rng.normal(size=(2, 6, 4))
    for dim, (a, b) in ((1, (x[:, :3], x[:, 3:])), (-1, (x[..., :2], x[..., 2:])),
                        (0, (x[:1], x[1:]))):
        np.testing.assert_allclose(F.glu(t64(x), dim).data, a * sigmoid(b), rtol=1e-14)
        assert gradcheck(lambda t: F.glu(t, dim), t64(x))
    assert gradcheck(lambda t: F.glu(t), t64(rng.normal(size=(2,))))      # batch of one pair


def test_prelu_learns_one_slope_or_one_per_channel(rng):
    x = smooth_points(rng, (2, 3, 4), 3.0)
    for weight in (np.array([0.2]), np.array([0.1, -0.5, 2.0]), np.array(0.3)):
        a = weight.reshape((-1, 1) if weight.size > 1 else ())
        np.testing.assert_allclose(F.prelu(t64(x), t64(weight)).data,
                                   np.where(x > 0, x, a * x), rtol=1e-15)
        assert gradcheck(lambda t, w: F.prelu(t, w), t64(x), t64(weight))
    # broadcast-free shapes: a 0-d input, a batch of one, (N, C)
    assert gradcheck(F.prelu, t64(-1.5), t64([0.25]))
    assert F.prelu(t64(-2.0), t64([0.25])).shape == ()
    assert gradcheck(F.prelu, t64(smooth_points(rng, (1, 3), 3.0)), t64([0.1, 0.2, 0.3]))
    # a constant weight (an array) is taken as it is, in the input's dtype
    assert F.prelu(Tensor([-2.0]), [0.5]).tolist() == [-1.0]


# ----------------------------------------------------------------------------------------------
# Errors: where the mistake is made, saying what was expected
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("f", FUNCTIONS)
def test_a_value_is_refused(f):
    with pytest.raises(TypeError, match="expects a Tensor"):
        f(Value(1.0))


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.hardtanh(x, 1.0, -1.0), ValueError, "hardtanh: min_val 1.0 is greater than "
                                                     "max_val -1.0"),
    (lambda x: F.hardtanh(x, "a"), TypeError, "hardtanh: min_val must be a number, got 'a'"),
    (lambda x: F.elu(x, None), TypeError, "elu: alpha must be a number, got None"),
    (lambda x: F.celu(x, 0.0), ValueError, r"celu: alpha must not be 0"),
    (lambda x: F.softplus(x, beta=0), ValueError, r"softplus: beta must not be 0"),
    (lambda x: F.softplus(x, threshold=True), TypeError, "softplus: threshold must be a number"),
    (lambda x: F.glu(x), ValueError, r"glu: the halved axis must have an even length, but axis "
                                     r"-1 of shape \(2, 3\) has 3"),
    (lambda x: F.glu(x[0, 0]), ValueError, "glu: needs an axis to halve, got a 0-d tensor"),
    (lambda x: F.glu(x, 2), ValueError, "glu: axis 2 is out of range for a tensor with 2 dims"),
    (lambda x: F.softmin(x, 2), ValueError, "softmin: axis 2 is out of range"),
    (lambda x: F.softshrink(x, -0.5), ValueError, r"softshrink: lambd must be >= 0 .* got -0.5"),
    (lambda x: F.threshold(x, 0.5, None), TypeError, "threshold: value must be a number"),
    (lambda x: F.hardshrink(x, "a"), TypeError, "hardshrink: lambd must be a number, got 'a'"),
    (lambda x: F.softmin(x, 0, dim=1), TypeError, "softmin: got both axis=0 and dim=1"),
    (lambda x: F.prelu(x, Tensor([0.1, 0.2])), ValueError,
     r"prelu: 2 slopes for an input of shape \(2, 3\), whose channel axis \(axis 1\) has 3"),
    (lambda x: F.prelu(x[0], Tensor([0.1, 0.2, 0.3])), ValueError,
     r"prelu: 3 slopes for an input of shape \(3,\), whose channel axis \(axis 1\) has 1"),
    (lambda x: F.prelu(x, Tensor(np.ones((1, 3)))), ValueError,
     r"prelu: weight must have one slope or one per channel .* got shape \(1, 3\)"),
])
def test_bad_arguments_are_refused_saying_what_is_expected(call, error, message):
    with pytest.raises(error, match=message):
        call(t64(np.zeros((2, 3))))


# ----------------------------------------------------------------------------------------------
# PyTorch's numbers, asked live (where torch is installed)
# ----------------------------------------------------------------------------------------------

# PyTorch computes two float64 slopes with a float32 constant: hardsigmoid's 1/6 (off by 3e-8
# relatively) and CELU's 1/α in e^(x/α) (off by 3e-8 · |x/α|: 7e-7 at x = -7, α = 0.3);
# glassgrad's are exact (the closed-form test above checks them to 1e-12)
TORCH_SLOPE_RTOL = {"hardsigmoid": 1e-7, "celu": 2e-6}


@pytest.mark.parametrize("name, f, torch_f", [pytest.param(row[0], row[1], row[4], id=row[0])
                                              for row in ELEMENTWISE])
def test_values_and_slopes_match_pytorch(name, f, torch_f, rng):
    """At drawn points, at every kink and at ±1000, in float64 and float32: the same values
    and slopes as PyTorch's."""
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    points = np.concatenate([rng.normal(0.0, 3.0, 40), KINKS, [-1000.0, -30.0, 30.0, 1000.0]])
    for dtype, rtol, atol in ((np.float64, 1e-13, 1e-15), (np.float32, 2e-6, 1e-6)):
        x = points.astype(dtype)
        ours = Tensor(x.copy(), requires_grad=True)
        y = f(ours)
        y.backward(np.ones_like(x))
        theirs = torch.tensor(x, requires_grad=True)
        z = torch_f(torch.nn.functional, theirs)
        z.sum().backward()
        np.testing.assert_allclose(y.data, z.detach().numpy(), rtol=rtol, atol=atol)
        slope_rtol = max(rtol, TORCH_SLOPE_RTOL.get(name, 0.0))
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=slope_rtol, atol=atol)


def test_softmin_glu_and_prelu_match_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    TF = torch.nn.functional
    x, g = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3))
    weight = np.array([0.1, -0.3, 0.25, 2.0])
    cases = [(lambda t, w: F.softmin(t, dim=1), lambda t, w: TF.softmin(t, dim=1)),
             (lambda t, w: F.glu(t, 1) * 1.0, lambda t, w: TF.glu(t, 1)),
             (F.prelu, TF.prelu),
             (lambda t, w: F.prelu(t, w[:1]), lambda t, w: TF.prelu(t, w[:1]))]
    for ours_f, torch_f in cases:
        t, w = t64(x), t64(weight)
        y = ours_f(t, w)
        y.backward(g[tuple(slice(n) for n in y.shape)])
        tt, tw = (torch.tensor(a, requires_grad=True) for a in (x, weight))
        z = torch_f(tt, tw)
        z.backward(torch.tensor(g[tuple(slice(n) for n in z.shape)]))
        np.testing.assert_allclose(y.data, z.detach().numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-13, atol=1e-15)
        if w.grad is not None or tw.grad is not None:
            np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-13, atol=1e-15)
