"""GELU: `autograd.functional.gelu` (= nn.functional.gelu), its op (autograd.ops.gelu) and
`nn.GELU`: exact and tanh-approximated values, first, second and third derivatives, stability at
±1000, errors, and PyTorch's numbers (asked live where torch is installed, else as recorded in
tests/reference/gelu.npz)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, grad, gradcheck
from autograd import functional as AF
from nn import functional as F

from conftest import strict, t64
from reference import as_array, draw, recorded

MODES = ("none", "tanh")


def exact_gelu(x: float) -> float:
    """x Φ(x) from Python's math.erfc (accurate in the left tail too)."""
    return x * 0.5 * math.erfc(-x / math.sqrt(2))


def exact_slope(x: float) -> float:
    """Φ(x) + x φ(x)."""
    return 0.5 * math.erfc(-x / math.sqrt(2)) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def tanh_gelu(x: float) -> float:
    return 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


# ----------------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------------

def test_exact_gelu_and_its_slope_match_closed_forms_in_float64():
    xs = np.concatenate([np.linspace(-12.0, 12.0, 4801), [-37.0, -1e-300, 1e-300, 30.0]])
    x = t64(xs)
    y = F.gelu(x)
    y.backward(np.ones_like(xs))
    # 1e-13: in the left tail each side rounds x/√2 its own way, and erfc(z) turns that 1e-16
    # into 2z² · 1e-16 (3e-14 at x = -12)
    np.testing.assert_allclose(y.data, [exact_gelu(v) for v in xs], rtol=1e-13, atol=0)
    np.testing.assert_allclose(x.grad, [exact_slope(v) for v in xs], rtol=1e-13, atol=1e-300)


def test_tanh_gelu_matches_its_formula_where_one_plus_tanh_does_not_cancel():
    xs = np.linspace(-3.0, 12.0, 1501)
    np.testing.assert_allclose(F.gelu(t64(xs), approximate="tanh").data,
                               [tanh_gelu(v) for v in xs], rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("approximate", MODES)
def test_saturation_at_1000_gives_the_exact_limits_without_warnings(approximate):
    """gelu(-1000) = -0.0 and gelu(1000) = 1000, slopes 0 and 1; the same at ±inf (PyTorch
    gives NaN at -inf: -inf · 0), for float32 and float64, and for the higher-order pass."""
    for dtype in (np.float32, np.float64):
        with strict():
            x = Tensor(np.array([-1000.0, 1000.0, -np.inf, np.inf], dtype), requires_grad=True)
            y = F.gelu(x, approximate)
            y.backward(np.ones(4, dtype))
            second = grad(lambda t: grad(lambda u: F.gelu(u, approximate).sum())(t).sum())(
                np.array([-1000.0, 1000.0], dtype))
        np.testing.assert_array_equal(y.data, [-0.0, 1000.0, -0.0, np.inf])
        assert np.signbit(y.data[0]) and y.dtype == x.grad.dtype == dtype
        np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 1.0])
        np.testing.assert_array_equal(second, [0.0, 0.0])


def test_left_tail_keeps_its_digits_where_one_plus_erf_would_cancel():
    """gelu(-10) = -10 Φ(-10) ≈ -7.6e-23 (PyTorch's 1 + erf(-10/√2) rounds to 0)."""
    for approximate, expected in (("none", exact_gelu(-10.0)),
                                  ("tanh", -10 / (1 + math.exp(2 * math.sqrt(2 / math.pi)
                                                               * (10 + 0.044715e3))))):
        got = F.gelu(t64([-10.0]), approximate).item()
        assert got == pytest.approx(expected, rel=1e-13) and got < 0


def test_dtypes_nan_and_integers():
    for dtype in (np.float16, np.float32, np.float64):
        assert F.gelu(Tensor(np.ones(2, dtype))).dtype == dtype
    assert F.gelu(Tensor(np.array([-1, 2]))).dtype == np.float32       # ints: the default
    assert np.isnan(F.gelu(Tensor([np.nan])).item())
    assert F.gelu([0.0, 1.0]).shape == (2,)                           # arrays become Tensors


def test_bad_approximate_and_a_value_are_refused_saying_what_is_expected():
    for bad in ("exact", "Tanh", None, True):
        with pytest.raises(ValueError, match=r"gelu: approximate must be one of \('none', "
                                             r"'tanh'\) .*, got " + repr(bad).replace("(", r"\(")):
            F.gelu(Tensor([1.0]), approximate=bad)
        with pytest.raises(ValueError, match="GELU: approximate must be one of"):
            nn.GELU(bad)
    with pytest.raises(TypeError, match="gelu: expects a Tensor"):
        F.gelu(Value(1.0))


# ----------------------------------------------------------------------------------------------
# Gradients
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("approximate", MODES)
@pytest.mark.parametrize("shape", [(), (1,), (1, 5), (3, 4)])
def test_gradients_match_finite_differences(rng, approximate, shape):
    x = rng.uniform(0.2, 3.0, shape) * rng.choice([-1.0, 1.0], shape)
    assert gradcheck(lambda t: F.gelu(t, approximate) * 1.5, t64(x))


@pytest.mark.parametrize("approximate", MODES)
def test_gradients_through_a_broadcast(rng, approximate):
    a, b = t64(rng.normal(size=(3, 1))), t64(rng.normal(size=(4,)))
    assert gradcheck(lambda p, q: F.gelu(p * 2.0 + q, approximate), a, b)


@pytest.mark.parametrize("approximate", MODES)
@pytest.mark.parametrize("shapes", [((),), ((1,),), ((1, 5),), ((3, 1), (4,))], ids=str)
def test_the_recorded_slope_gradchecks(rng, approximate, shapes):
    """The slope of gelu as a graph (create_graph; the exact one's Φ is a NormalCdf node):
    its own derivative matches finite differences, on 0-d, batch-1 and broadcast inputs."""
    slope = grad(lambda t: F.gelu(t, approximate).sum())
    xs = [t64(rng.uniform(0.2, 3.0, s) * rng.choice([-1.0, 1.0], s)) for s in shapes]
    assert gradcheck(lambda *ts: slope(sum(ts[1:], ts[0]) * 1.5), *xs)


def test_second_and_third_derivatives_of_the_exact_gelu_in_closed_form():
    """gelu'' = φ(x)(2 - x²), gelu''' = φ(x)(x³ - 4x): the slope is recorded (Φ as an op whose
    own slope is built from exp), so it can be differentiated again, and again."""
    xs = np.array([-4.5, -1.3, -0.2, 0.0, 0.7, 2.0, 6.0])
    pdf = np.exp(-xs ** 2 / 2) / math.sqrt(2 * math.pi)
    first = grad(lambda t: F.gelu(t).sum())
    second = grad(lambda t: first(t).sum())
    third = grad(lambda t: second(t).sum())
    np.testing.assert_allclose(first(xs), [exact_slope(v) for v in xs], rtol=1e-14)
    np.testing.assert_allclose(second(xs), pdf * (2 - xs ** 2), rtol=1e-13, atol=1e-17)
    np.testing.assert_allclose(third(xs), pdf * (xs ** 3 - 4 * xs), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("approximate", MODES)
def test_backward_create_graph_twice_matches_finite_differences(rng, approximate):
    """The third derivative against a central difference of the second."""
    xs, eps = rng.uniform(-3.0, 3.0, 6), 1e-5
    second = grad(lambda t: grad(lambda u: F.gelu(u, approximate).sum())(t).sum())
    third = grad(lambda t: second(t).sum())(xs)
    np.testing.assert_allclose(third, (second(xs + eps) - second(xs - eps)) / (2 * eps),
                               rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------------------------
# The module, and where GELU can be named
# ----------------------------------------------------------------------------------------------

def test_module_repr_forward_and_names():
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    x = t64([-1.0, 0.5])
    np.testing.assert_array_equal(nn.GELU("tanh")(x).data, F.gelu(x, approximate="tanh").data)
    assert F.gelu is AF.gelu is nn.gelu and "GELU" in nn.__all__ and "gelu" in F.__all__
    assert isinstance(nn.MLP(2, [4], 1, activation="gelu")[1], nn.GELU)
    assert list(nn.GELU().state_dict()) == []
    assert F.gelu(x).op == "gelu" and F.gelu(x, "tanh").op == "gelu_tanh"   # as drawn


# ----------------------------------------------------------------------------------------------
# The same numbers as PyTorch: asked live where torch is installed, else as recorded
# ----------------------------------------------------------------------------------------------

# float32 to its precision (PyTorch's float32 gelu cancels 1 + erf: gelu(-5) is 17 % off, an
# absolute 2.4e-7), float64 to rounding (its 1 + erf loses ~1e-16 absolute in the left tail)
TOLERANCE = {np.dtype(np.float32): dict(rtol=1e-6, atol=1e-6),
             np.dtype(np.float64): dict(rtol=1e-12, atol=1e-14)}


def gelu_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Fixed points through both tails and 0, and normal draws of spread 3, in both dtypes."""
    fixed = [-8.0, -5.0, -3.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 3.0, 5.0, 8.0]
    x = np.concatenate([fixed, rng.normal(0.0, 3.0, 19)])
    return {"x64": x, "x32": x.astype(np.float32)}


def gelu_glassgrad(x32, x64) -> dict[str, np.ndarray]:
    """For each mode and dtype: gelu, its slope and its second derivative, elementwise."""
    results = {}
    for approximate in MODES:
        for x in (x32, x64):
            first = grad(lambda t: F.gelu(t, approximate).sum())
            results.update({f"{approximate}/{x.dtype}/y": F.gelu(x, approximate).data,
                            f"{approximate}/{x.dtype}/slope": first(x),
                            f"{approximate}/{x.dtype}/second": grad(
                                lambda t: first(t).sum())(x)})
    return results


def gelu_torch(torch, x32, x64) -> dict[str, np.ndarray]:
    """The same as `gelu_glassgrad`, computed by PyTorch."""
    results = {}
    for approximate in MODES:
        for x in (x32, x64):
            theirs = torch.tensor(x, requires_grad=True)
            y = torch.nn.functional.gelu(theirs, approximate=approximate)
            slope, = torch.autograd.grad(y.sum(), theirs, create_graph=True)
            second, = torch.autograd.grad(slope.sum(), theirs)
            results.update({f"{approximate}/{x.dtype}/y": as_array(y),
                            f"{approximate}/{x.dtype}/slope": as_array(slope),
                            f"{approximate}/{x.dtype}/second": as_array(second)})
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/gelu.npz: the inputs and PyTorch's results."""
    inputs = gelu_inputs(draw())
    return {**inputs, **gelu_torch(torch, **inputs)}


def _close(ours: dict, theirs: dict) -> None:
    assert set(theirs) - {"x32", "x64"} == set(ours), (sorted(theirs), sorted(ours))
    for name, value in ours.items():
        assert value.dtype == theirs[name].dtype, name
        np.testing.assert_allclose(value, theirs[name], err_msg=name, **TOLERANCE[value.dtype])


def test_gelu_matches_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = gelu_inputs(rng)
    _close(gelu_glassgrad(**inputs), {**inputs, **gelu_torch(torch, **inputs)})


def test_gelu_matches_pytorchs_recorded_numbers():
    theirs = recorded("gelu")
    _close(gelu_glassgrad(theirs["x32"], theirs["x64"]), theirs)


# ----------------------------------------------------------------------------------------------
# The first-order backward's shortcuts (s29): Φ kept from the exact forward, one exp for the
# tanh form's slope
# ----------------------------------------------------------------------------------------------

def tanh_slope(x: float) -> float:
    """σ(2u) + 2x σ(2u) σ(-2u) u', from math's exp (σ(z) = 1 / (1 + e^-z), stable by sign)."""
    two_u = 2 * math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    e = math.exp(-abs(two_u))
    s, s_minus = (1 / (1 + e), e / (1 + e)) if two_u >= 0 else (e / (1 + e), 1 / (1 + e))
    return s + 2 * x * s * s_minus * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)


def test_tanh_gelu_slope_matches_its_formula_in_float64():
    """Also next to the slope's zero (x ≈ -0.75, where its two terms cancel) and in both tails."""
    xs = np.concatenate([np.linspace(-12.0, 12.0, 4801), np.linspace(-0.76, -0.74, 201)])
    x = t64(xs)
    F.gelu(x, approximate="tanh").backward(np.ones_like(xs))
    np.testing.assert_allclose(x.grad, [tanh_slope(v) for v in xs], rtol=1e-13, atol=1e-15)


def test_exact_gelu_op_without_its_saved_cdf_gives_the_same_gradient(rng):
    """F.gelu keeps Φ(x) from the forward for backward; the op applied on its own (no ctx, as
    autograd.ops.Gelu can be) computes Φ again: the same numbers, bit for bit."""
    from autograd.graph import apply
    from autograd.ops import Gelu
    xs = rng.normal(0.0, 3.0, (4, 5))
    for dtype in (np.float32, np.float64):
        grads = []
        for make in (lambda t: F.gelu(t), lambda t: apply(Gelu, (t,))):
            x = Tensor(xs.astype(dtype), requires_grad=True)
            make(x).backward(np.full((4, 5), 0.7, dtype))
            grads.append(x.grad)
        np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("approximate", MODES)
def test_float32_gradients_are_the_float64_ones_rounded(rng, approximate):
    """The tanh form is computed in float64 and rounded once: float32's slope is float64's to an
    ulp, 0-d too; the exact one in float32 arithmetic (s33): to 3e-7 absolute, as PyTorch's."""
    tolerance = dict(rtol=1.2e-7, atol=1e-30) if approximate == "tanh" else dict(rtol=1e-6,
                                                                                   atol=3e-7)
    for shape in [(), (1,), (6, 7)]:
        xs = rng.normal(0.0, 3.0, shape).astype(np.float32)
        got, want = (Tensor(xs.astype(d), requires_grad=True) for d in (np.float32, np.float64))
        for x in (got, want):
            F.gelu(x, approximate).sum().backward()
        assert got.grad.dtype == np.float32 and got.grad.shape == shape
        np.testing.assert_allclose(got.grad, want.grad.astype(np.float32), **tolerance)


def test_float32_tanh_gelu_gradient_is_rounded_once_with_any_upstream_gradient(rng):
    """g · slope in float64, rounded once: the float64 gradient rounded, bit for bit (it was
    g · (slope rounded), two roundings: 28 % of these 1 ulp off), kept slope or not."""
    from autograd.graph import apply
    from autograd.ops import GeluTanh
    x = np.concatenate([rng.normal(0.0, 3.0, 100_000), [0.0, -0.0, 1000.0, -1000.0]])
    x = x.astype(np.float32)
    g = rng.normal(size=x.shape).astype(np.float32)
    want = Tensor(x.astype(np.float64), requires_grad=True)
    F.gelu(want, "tanh").backward(g.astype(np.float64))
    for make in (lambda t: F.gelu(t, "tanh"), lambda t: apply(GeluTanh, (t,))):
        got = Tensor(x, requires_grad=True)
        make(got).backward(g)
        np.testing.assert_array_equal(got.grad, want.grad.astype(np.float32))


# ----------------------------------------------------------------------------------------------
# float32 and float16 inputs of the exact GELU (s33): in float32 arithmetic, Φ(-a) = φ(a) M(a)
# with a rational fit of Mills' ratio; within a few float32 ulps of the exact values where
# PyTorch's are too, and far closer than PyTorch's in the left tail (its 1 + erf cancels)
# ----------------------------------------------------------------------------------------------

def rounded_float64_gelu(x: np.ndarray, g: np.ndarray) -> tuple:
    """gelu(x) and g · gelu'(x) from x and g in float64, each rounded once to x's dtype."""
    t = Tensor(x.astype(np.float64), requires_grad=True)
    F.gelu(t).backward(g.astype(np.float64))
    return F.gelu(t).data.astype(x.dtype), t.grad.astype(x.dtype)


def low_precision_gelu(x: np.ndarray, g: np.ndarray) -> tuple:
    t = Tensor(x, requires_grad=True)
    y = F.gelu(t)
    y.backward(g)
    assert y.dtype == t.grad.dtype == x.dtype
    return y.data, t.grad


def ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in units in the last place of `want` (of its dtype); 0 where both are the
    same number, NaN (of either sign bit: a NaN's sign means nothing, and numpy 1.24 set it in
    one full suite's run and not alone) or zero of the same sign, inf where the signs of two
    zeros differ."""
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):           # (inf's spacing)
        off = np.abs(got64 - want64) / np.spacing(np.abs(want)).astype(np.float64)
    same = (got64 == want64) | (np.isnan(got64) & np.isnan(want64))
    off[same] = 0.0
    off[same & (got64 == 0) & (np.signbit(got) != np.signbit(want))] = np.inf
    return off


def float32_points(rng: np.random.Generator) -> np.ndarray:
    """A grid of [-20, 20] (step 4e-5), 10^6 uniform draws, every float32 within 0.0102 of the
    slope's zero (-0.7518, where its two terms cancel) and special values."""
    root = np.float32(-0.7517915246935645)
    below, above = (np.float32(root - 0.0102), np.float32(root + 0.0102))
    next_to_root = np.arange(below.view(np.int32), above.view(np.int32) - 1, -1,
                             dtype=np.int32).view(np.float32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-38, -1e-38, 1e-20,
                        -1e-20, 3.4e38, -3.4e38, -13.9, -14.1, -14.5, -1000.0, 1000.0], np.float32)
    assert len(next_to_root) > 300_000
    return np.concatenate([np.arange(-20.0, 20.0, 4e-5), rng.uniform(-20.0, 20.0, 10 ** 6),
                           next_to_root, special]).astype(np.float32)


# the float32 rounding of the exponent -x²/2 alone is x² · 3e-8 relative in φ: the left tail's
# bound grows with it (measured: 99 ulps at x = -13, 21 at -5; 7 up to -2; 5.3 above 0)
def gelu_bound(x: np.ndarray) -> np.ndarray:
    """The allowed error of float32's x Φ(x), in ulps of the exact value."""
    return np.where(x >= -2.0, 8.0, 8.0 + 1.0 * x.astype(np.float64) ** 2)


def test_float32_gelu_and_slope_are_within_a_few_ulps_of_the_exact_values(rng):
    """2.3 x 10^6 points (`float32_points`), with g 1 and random, against the float64 path's
    numbers (erfc, 1e-16): x Φ(x) within 8 ulps from -2 on (the measured worst: 7.0), and
    8 + x² ulps in the left tail down to float32's smallest normal number (the exponent's
    rounding: 99 at x = -13), and to 2^-140 absolute below it (subnormal: φ(a) goes subnormal
    before its product with a M(a); measured 7.3e-44); the gradient within 3e-7
    |g| absolute (PyTorch's: 2.6e-7; measured 1.9e-7), and relatively to 6e-8 (8 + x²) in the
    left tail below -2 (no cancellation there); specials exact, without warnings."""
    x = float32_points(rng)
    x64 = x.astype(np.float64)
    for g in (np.ones_like(x), rng.uniform(-2.0, 2.0, x.shape).astype(np.float32)):
        with strict():
            got, got_grad = low_precision_gelu(x, g)
        t = Tensor(x64, requires_grad=True)
        want = F.gelu(t)
        want.backward(g.astype(np.float64))
        want, want_grad = want.data, t.grad
        normal = np.abs(want) >= np.finfo(np.float32).tiny
        with np.errstate(invalid="ignore"):         # (inf - inf)
            off = np.abs(got - want) / np.spacing(np.abs(want).astype(np.float32))
        worst = (off - gelu_bound(x))[normal & np.isfinite(want)]
        assert worst.max() <= 0, x[normal & np.isfinite(want)][worst.argmax()]
        tiny = ~normal & ~np.isnan(x)
        assert np.abs(got[tiny] - want[tiny]).max() <= 2.0 ** -140
        finite = np.isfinite(x)
        error = np.abs(got_grad.astype(np.float64) - want_grad)[finite]
        assert (error <= 3e-7 * np.abs(g[finite]) + 2.0 ** -149).all()
        left = finite & (x < -2.0) & (np.abs(want_grad) >= np.finfo(np.float32).tiny)
        relative = np.abs(got_grad[left] / want_grad[left] - 1)
        assert (relative <= 6e-8 * gelu_bound(x[left])).all()
        special = ~finite | (np.abs(x) >= 1000)
        np.testing.assert_array_equal(got[special], want[special].astype(np.float32))
        signed = special & ~np.isnan(x)      # a NaN's sign is not specified (CPUs differ)
        np.testing.assert_array_equal(np.signbit(got[signed]), np.signbit(want[signed]))
        np.testing.assert_array_equal(got_grad[special], want_grad[special].astype(np.float32))


def test_float32_gelu_is_pytorchs_to_a_few_ulps_plus_its_own_cancellation(rng):
    """Against PyTorch 2.13's float32 gelu and slope on the same points: |ours - theirs| within
    8 of their ulps plus 8 |x| 2^-24 (their 1 + erf(x/√2) is only good to an absolute ~2^-22:
    17 % off at x = -5; measured 5.7 |x| 2^-24 at -2.99), and the slopes to 5e-7 absolute
    (theirs is 2.6e-7 off; measured 3.6e-7)."""
    torch = pytest.importorskip("torch", reason="needs PyTorch: pip install torch")
    x = float32_points(rng)
    x = x[np.isfinite(x) & (np.abs(x) < 1e30)]      # (theirs: NaN at ±inf, inf at 3.4e38)
    got, got_grad = low_precision_gelu(x, np.ones_like(x))
    theirs = torch.from_numpy(x).requires_grad_()
    y = torch.nn.functional.gelu(theirs)
    y.sum().backward()
    y, slope = y.detach().numpy(), theirs.grad.numpy()
    bound = 8 * np.spacing(np.abs(y)).astype(np.float64) + 8 * np.abs(x) * 2.0 ** -24
    assert (np.abs(got.astype(np.float64) - y) <= bound).all()
    assert np.abs(got_grad.astype(np.float64) - slope).max() <= 5e-7


def test_float16_gelu_and_slope_are_within_one_ulp_of_the_float64_ones_rounded():
    """Every finite float16 (float32 arithmetic, rounded once; measured: all within 1 ulp), and
    ±inf and NaN. (A zero slope's sign is not kept: between -14.42 and -14.5 its float32 terms
    underflow to +0.0 where float64's is -1e-44.)"""
    x = np.arange(2 ** 16, dtype=np.uint16).view(np.float16)
    x = np.concatenate([x[np.isfinite(x)], np.array([np.inf, -np.inf, np.nan], np.float16)])
    g = np.ones_like(x)
    with strict():
        got = low_precision_gelu(x, g)
    (y, slope), (want_y, want_slope) = got, rounded_float64_gelu(x, g)
    assert ulps(y, want_y).max() <= 1.0
    assert ulps(slope + np.float16(0), want_slope + np.float16(0)).max() <= 1.0     # (-0.0 -> 0)


def test_float32_mills_ratio_fit_is_within_its_bound():
    """M(a) = Φ(-a) / φ(a), as the float32 path's rational fit of degree 3/4 (in float64),
    against erfc on 10^6 points of [0, 14.5] (beyond, x Φ(x) and the slope underflow float32):
    relative error below 1.04e-7 max(1, a²/4) (the fit's own measure, 1.03e-7); positive and
    below a^-1 + 1 up to the cap, so that Φ(-a) keeps its sign and stays finite."""
    from autograd.ops.erf import _monic_polyval, _polyval, erfc
    from autograd.ops.gelu import MILLS32_P, MILLS32_Q
    a = np.linspace(0.0, 14.5, 10 ** 6)
    pdf = np.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    fit = _polyval(MILLS32_P, a) / _monic_polyval(MILLS32_Q, a)
    relative = np.abs(fit * pdf / (0.5 * erfc(a / math.sqrt(2))) - 1)
    assert (relative <= 1.04e-7 * np.maximum(1.0, a * a / 4)).all()
    assert relative.max() > 1e-7                    # (the bound is near the fit's: not vacuous)
    assert (fit > 0).all() and (fit < 1 / np.maximum(a, 1e-300) + 1).all()


def test_float32_backward_without_the_forwards_slope_and_a_0d_input(rng):
    """The op applied without ctx computes the slope again (the same numbers); a 0-d float32 and
    a non-contiguous one give their shapes back."""
    from autograd.graph import apply
    from autograd.ops import Gelu
    x = rng.normal(0.0, 2.0, (6, 8)).astype(np.float32)[:, ::2]
    g = rng.normal(size=x.shape).astype(np.float32)
    grads = []
    for make in (lambda t: F.gelu(t), lambda t: apply(Gelu, (t,))):
        t = Tensor(x, requires_grad=True)
        make(t).backward(g)
        grads.append(t.grad)
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0].shape == (6, 4)
    zero_d = Tensor(np.float32(-0.5), requires_grad=True)
    y = F.gelu(zero_d)
    y.backward()
    assert y.shape == zero_d.grad.shape == () and y.dtype == zero_d.grad.dtype == np.float32
    assert y.item() == pytest.approx(exact_gelu(-0.5), rel=3e-7)
    assert float(zero_d.grad) == pytest.approx(exact_slope(-0.5), abs=3e-7)
