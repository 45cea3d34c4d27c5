"""Numerical stability at ±1000: softmax, log_softmax, logsumexp, sigmoid, cross-entropy,
leaky_relu, softplus and the clamped log give finite, correct values and gradients, without
overflow, invalid-value or divide warnings.

Underflow to 0 (e.g. e^-2000) is the correct result and is allowed; every test runs with
warnings turned into errors and numpy's overflow/invalid/divide set to raise.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd import Tensor, Value, grad, gradcheck
from autograd import functional as F
from autograd.graph import apply
from autograd.ops import ClampedLog, Softplus
from conftest import strict, t64


# Tolerances of the saturation tests: float64 near its rounding; float32 loose, because these
# tests are about overflow (finite, right to 4 digits); float32 accuracy has its own test below.
RTOL = {np.float32: 1e-4, np.float64: 1e-11}

BIG = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax(dtype):
    """Exactly one-hot (or evenly split) rows; gradient finite (and ~0: saturated)."""
    with strict():
        z = Tensor(BIG.astype(dtype), requires_grad=True)
        p = z.softmax(axis=1)
        (p * Tensor(np.arange(9.0).reshape(3, 3).astype(dtype))).sum().backward()
    expected = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(p.data, expected, rtol=RTOL[dtype], atol=1e-30)
    assert np.isfinite(z.grad).all()
    np.testing.assert_allclose(z.grad[0], 0.0, atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax(dtype):
    """log_softmax is x - max - log Σ: -2000 where softmax underflows, never -inf."""
    with strict():
        z = Tensor(BIG.astype(dtype), requires_grad=True)
        lp = F.log_softmax(z, axis=1)
        lp.sum().backward()
    r = RTOL[dtype]
    np.testing.assert_allclose(lp.data[0], [0.0, -1000.0, -2000.0], rtol=r, atol=r)
    np.testing.assert_allclose(lp.data[1], [-math.log(3)] * 3, rtol=r)
    np.testing.assert_allclose(lp.data[2], [-math.log(2), -math.log(2), -1000 - math.log(2)],
                               rtol=r)
    assert np.isfinite(z.grad).all()
    # d/dz Σ_j log_softmax_j = 1 - C softmax: row 0 -> [1 - 3, 1, 1]
    np.testing.assert_allclose(z.grad[0], [-2.0, 1.0, 1.0], rtol=r)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp(dtype):
    """logsumexp(±1000 rows) = max + log(count of maxima); gradient is the softmax."""
    with strict():
        z = Tensor(BIG.astype(dtype), requires_grad=True)
        lse = z.logsumexp(axis=1)
        lse.sum().backward()
        whole = F.logsumexp(Tensor(BIG.astype(dtype)))
    r = RTOL[dtype]
    np.testing.assert_allclose(lse.data, [1000.0, -1000.0 + math.log(3), 1000.0 + math.log(2)],
                               rtol=r)
    np.testing.assert_allclose(z.grad, [[1, 0, 0], [1 / 3] * 3, [0.5, 0.5, 0]], rtol=r,
                               atol=1e-30)
    assert whole.data == pytest.approx(1000.0 + math.log(3), rel=r)


@pytest.mark.parametrize("dtype, big", [(np.float32, 1e4), (np.float32, 1e7),
                                        (np.float32, 3e7), (np.float64, 1e16)])
def test_logsumexp_gradient_of_large_equal_entries_is_the_softmax(dtype, big):
    """The slopes of logsumexp([b, b, b - 1]) are its softmax, summing to 1. exp(x - out) took
    out = b + log Σ rounded to b's ulp: at 1e7 in float32 each slope was e^-1 and not 1/2."""
    x = Tensor(np.array([[big, big, big - 1]], dtype), requires_grad=True)
    with strict():
        x.logsumexp(axis=1).backward(np.ones(1, dtype))
        second = grad(lambda t: grad(lambda u: u.logsumexp().sum())(t)[0, 0])(x.data)
    e = np.exp(x.data[0].astype(np.float64) - big)       # (b - 1 is b in float32 at 3e7)
    p = e / e.sum()
    np.testing.assert_allclose(x.grad, [p], rtol=RTOL[dtype] / 10)
    np.testing.assert_allclose(second, [p * (np.eye(3)[0] - p[0])], rtol=RTOL[dtype] / 10,
                               atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_tensor(dtype):
    """σ(1000) = 1, σ(-1000) = 0 (no exp overflow); derivative 0 at both, 0.25 at 0."""
    with strict():
        x = Tensor(np.array([1000.0, -1000.0, 0.0], dtype=dtype), requires_grad=True)
        s = x.sigmoid()
        s.sum().backward()
    np.testing.assert_array_equal(s.data, [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_tensor_is_the_branch_formula_bit_for_bit(dtype):
    """1 / (1 + e) for x >= 0, e / (1 + e) below (e = e^-|x|): the left tail keeps its relative
    digits (σ(-700) = e^-700 / (1 + e^-700) in float64), NaN stays NaN, a 0-d keeps its dtype;
    forward and first-order backward raise no warning anywhere, ±inf included."""
    xs = np.concatenate([np.linspace(-750.0, 750.0, 30001), [-np.inf, np.inf, -0.0, 1e-300]])
    with strict():
        x = Tensor(xs.astype(dtype), requires_grad=True)
        s = x.sigmoid()
        s.sum().backward()
        e = np.exp(-np.abs(x.data))
        expected = np.where(x.data >= 0, 1 / (1 + e), e / (1 + e))
    np.testing.assert_array_equal(s.data, expected)
    assert s.dtype == x.grad.dtype == dtype and np.isfinite(x.grad).all()
    assert Tensor(np.array(-2.0, dtype)).sigmoid().dtype == dtype
    assert np.isnan(Tensor(np.array([np.nan], dtype)).sigmoid().data).all()


def test_sigmoid_value():
    """The scalar sigmoid at ±1000 without OverflowError; tanh saturates too."""
    with strict():
        for x, expected in ((1000.0, 1.0), (-1000.0, 0.0), (-745.0, math.exp(-745.0))):
            v = Value(x)
            s = v.sigmoid()
            s.backward()
            assert s.data == pytest.approx(expected, rel=1e-12, abs=0)
            assert math.isfinite(v.grad)
        t = Value(-1000.0).tanh()
        assert t.data == -1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_labels(dtype):
    """Loss from logits: a confident right answer costs 0, a confident wrong one 2000 (not inf);
    gradient (softmax - onehot)/N stays finite."""
    logits = np.array([[1000.0, -1000.0], [1000.0, -1000.0], [-1000.0, -1000.0]], dtype=dtype)
    with strict():
        z = Tensor(logits, requires_grad=True)
        losses = F.cross_entropy(z, np.array([0, 1, 1]), reduction="none")
        loss = F.cross_entropy(z, np.array([0, 1, 1]))
        loss.backward()
    r = RTOL[dtype]
    np.testing.assert_allclose(losses.data, [0.0, 2000.0, math.log(2)], rtol=r, atol=r)
    assert loss.item() == pytest.approx((2000.0 + math.log(2)) / 3, rel=r)
    np.testing.assert_allclose(z.grad, [[0, 0], [1 / 3, -1 / 3], [1 / 6, -1 / 6]], rtol=r,
                               atol=1e-30)


def test_cross_entropy_probability_targets():
    """Soft targets at ±1000: loss Σ -t log p is finite (t·(-2000) where p underflows)."""
    with strict():
        z = Tensor(np.array([[1000.0, -1000.0]]), requires_grad=True)
        loss = F.cross_entropy(z, np.array([[0.75, 0.25]]), reduction="sum")
        loss.backward()
    assert loss.item() == pytest.approx(0.25 * 2000.0, rel=1e-12)
    np.testing.assert_allclose(z.grad, [[0.25, -0.25]], rtol=1e-12)


def test_second_order_softmax_at_large_inputs():
    """The higher-order pass uses the same stable rules: no warnings at ±1000."""
    from autograd import grad
    with strict():
        h = grad(lambda z: grad(lambda u: (u.log_softmax() * Tensor([1.0, 2.0, 3.0])).sum())(z)
                 .sum())(np.array([1000.0, 0.0, -1000.0]))
    assert np.isfinite(h).all()


def test_float32_accuracy_at_large_logits():
    """In float32, rows of equal large logits must keep float32 accuracy (a few ulps, rtol
    1e-6): log_softmax([-1000]*3) = -log 3 and the cross-entropy of [-1000, -1000] = log 2,
    as PyTorch gives. Computing (x - max) - log Σ exp(x - max) gets this right; x - logsumexp(x)
    cancels two numbers near 1000 and keeps only ~4 digits."""
    row = np.full((1, 3), -1000.0, dtype=np.float32)
    with strict():
        lp = Tensor(row).log_softmax()
        ce = F.cross_entropy(Tensor(row[:, :2]), np.array([0]))
    np.testing.assert_allclose(lp.data, -math.log(3), rtol=1e-6)
    assert ce.item() == pytest.approx(math.log(2), rel=1e-6)


def _three_orders(f, x):
    """f(x), df/dx and d²f/dx² (summed over a Tensor's elements), under strict()."""
    total = (lambda y: y.sum()) if isinstance(x, Tensor) else (lambda y: y)
    with strict():
        y = f(x)
        total(y).backward(create_graph=True)
        first = x.grad
        x.grad = None if isinstance(x, Tensor) else 0.0
        total(first).backward()
    second = 0.0 if x.grad is None else x.grad      # (None: only flat steps lead back to x)
    return y.data, first.data, second


# f, its inputs, and its values, slopes and second derivatives there
EXTREMES = [
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), [-1000.0, 1000.0, 0.0],
     [-100.0, 1000.0, 0.0], [0.1, 1.0, 0.1], [0.0, 0.0, 0.0]),
    ("softplus", lambda x: apply(Softplus, (x,)), [-1000.0, 1000.0, 0.0],
     [0.0, 1000.0, math.log(2)], [0.0, 1.0, 0.5], [0.0, 0.0, 0.25]),
    ("clamped_log", lambda p: apply(ClampedLog, (p,)), [0.0, 1e-50, 1.0],
     [-100.0, -100.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, -1.0]),
]


@pytest.mark.parametrize("f, points, values, slopes, seconds",
                         [pytest.param(*case[1:], id=case[0]) for case in EXTREMES])
@pytest.mark.parametrize("kind", [np.float32, np.float64, Value])
def test_leaky_relu_softplus_and_the_clamped_log_at_their_extremes(f, points, values, slopes,
                                                                   seconds, kind):
    """leaky_relu and softplus at ±1000, the binary cross-entropy's clamped log at 0, 1e-50 (a
    clamped -100, slope 0) and 1: no warnings at any order, for Tensors and Values."""
    if kind is Value:
        got = np.array([_three_orders(f, Value(x)) for x in points]).T
    else:
        got = _three_orders(f, Tensor(np.array(points, dtype=kind), requires_grad=True))
    for result, want in zip(got, (values, slopes, seconds)):
        np.testing.assert_allclose(result, want, rtol=RTOL.get(kind, 1e-15))


def test_the_binary_cross_entropies_of_values_at_their_extremes():
    """A saturated probability costs 100 (PyTorch's clamp), slope 0 or -1; a logit of ∓1000
    costs 1000 or 0, slope -1 or 0 (σ(x) - 1): no overflow, no warnings, at any order."""
    for p, loss, slope in ((0.0, 100.0, 0.0), (1e-50, 100.0, 0.0), (1.0, 0.0, -1.0)):
        got = _three_orders(lambda v: F.binary_cross_entropy([v], [1.0]), Value(p))
        assert got[:2] == (loss, slope)
    for x, loss, slope in ((-1000.0, 1000.0, -1.0), (1000.0, 0.0, 0.0)):
        got = _three_orders(lambda v: F.binary_cross_entropy_with_logits([v], [1.0]), Value(x))
        assert got == (loss, slope, 0.0)


@pytest.mark.parametrize("slope", [0.0, 0.01, 2.0, -0.5])
def test_leaky_relu_at_infinities_gives_pytorchs_numbers_without_warnings(slope):
    """x if x > 0 else c x: at +inf that is inf whatever c (the c x not taken, 0 · inf, is NaN
    and must not warn); at -inf it is c · -inf, as PyTorch computes it."""
    x = Tensor(np.array([np.inf, -np.inf, 1.0, -1.0]), requires_grad=True)
    with strict():
        y = F.leaky_relu(x, slope)
        y.backward(np.ones(4))
    with np.errstate(invalid="ignore"):
        expected = np.array([np.inf, -np.inf * slope, 1.0, -slope])
    np.testing.assert_array_equal(y.data, expected)
    np.testing.assert_array_equal(x.grad, [1.0, slope, 1.0, slope])


def test_logsumexp_and_log_softmax_of_float32_rows_spanning_its_whole_range_are_silent():
    x = Tensor(np.array([[3e38, -3e38, 0.0]], dtype=np.float32))
    with strict():
        assert x.logsumexp(axis=1).tolist() == [np.float32(3e38)]
        assert x.log_softmax(axis=1).data.tolist() == [[0.0, -np.inf, np.float32(-3e38)]]


def test_softmax_of_extreme_and_fully_masked_rows_is_silent():
    """As log_softmax and logsumexp: a float32 row spanning its whole range gives its exact
    probabilities, and a row of all -inf (fully masked) PyTorch's NaN, without numpy warnings.
    (cross_entropy gives the same numbers, and numpy's warning for the NaN loss: see fused.py.)"""
    x = Tensor(np.array([[3e38, -3e38, 0.0], [-np.inf, -np.inf, -np.inf]], dtype=np.float32))
    with strict():
        p = x.softmax(axis=1).data
    with np.errstate(invalid="ignore", over="ignore"):
        losses = F.cross_entropy(x, np.array([0, 1]), reduction="none").data
    np.testing.assert_array_equal(p[0], [1.0, 0.0, 0.0])
    assert np.isnan(p[1]).all()
    assert losses[0] == 0.0 and np.isnan(losses[1])



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_slopes_of_a_fully_masked_row_are_nan_without_warnings(dtype):
    """As PyTorch: a row of all -inf has logsumexp -inf and slopes NaN (0 / 0, for every element
    alike); numpy's warning about the 0 / 0 is no news to the caller (softmax is quiet too)."""
    x = Tensor(np.array([[0.0, 1.0], [-np.inf, -np.inf]], dtype=dtype), requires_grad=True)
    with strict():
        y = x.logsumexp(dim=1)
        y.backward(np.ones(2, dtype))
        first = grad(lambda t: t.logsumexp(dim=1).sum())(Tensor(x.data))   # (create_graph)
    assert y.data[1] == -np.inf and np.isnan(x.grad[1]).all() and np.isnan(first.data[1]).all()
    np.testing.assert_allclose(x.grad[0], [1 / (1 + math.e), 1 / (1 + 1 / math.e)], rtol=1e-6)

# Norms, std/var and the cosine where the squares under- or overflow though the answer is a
# plain float: 1e-200 ** 2 is 0 in float64, and in float32 1e-30 ** 2 is 0 and 1e20 ** 2 inf.
# The truth is float64 arithmetic on numbers scaled to 1 (exact for powers of the scale).
EXTREMES = [(np.float64, 1e-200), (np.float64, 1e200), (np.float32, 1e-30), (np.float32, 1e20)]
ROWS = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, 0.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("dtype, scale", EXTREMES)
@pytest.mark.parametrize("p", [2, 3])
def test_norm_of_tiny_and_huge_vectors_is_the_scaled_norm_with_its_gradient(dtype, scale, p):
    x = Tensor((ROWS * scale).astype(dtype), requires_grad=True)
    with strict():
        norm = x.norm(p, dim=1)
        norm.sum().backward()
    unit = (np.abs(ROWS) ** p).sum(axis=1) ** (1 / p)              # the norms of ROWS
    np.testing.assert_allclose(norm.data, unit * scale, rtol=RTOL[dtype])
    slope = np.sign(ROWS) * (np.abs(ROWS) / np.maximum(unit, 1)[:, None]) ** (p - 1)
    np.testing.assert_allclose(x.grad, slope, rtol=RTOL[dtype], atol=1e-7)   # 0 at zeros
    whole = Tensor((ROWS * scale).astype(dtype)).norm()              # all elements, p = 2
    np.testing.assert_allclose(whole.item(), math.sqrt((ROWS ** 2).sum()) * scale,
                               rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype, scale", [(np.float64, 1e200), (np.float32, 1e20)])
def test_normalize_and_pairwise_distance_of_huge_vectors(dtype, scale):
    import nn.functional as NF
    x = Tensor((ROWS[:2] * scale).astype(dtype), requires_grad=True)
    with strict():
        unit = NF.normalize(x)
        distance = NF.pairwise_distance(x, Tensor(np.zeros((2, 3), dtype)), eps=0.0)
    np.testing.assert_allclose(unit.data, ROWS[:2] / np.linalg.norm(ROWS[:2], axis=1,
                                                                    keepdims=True),
                               rtol=RTOL[dtype])
    np.testing.assert_allclose(distance.data, np.linalg.norm(ROWS[:2], axis=1) * scale,
                               rtol=RTOL[dtype])


@pytest.mark.parametrize("p", [2, 3, math.inf])
def test_normalize_of_vectors_whose_norm_is_beyond_a_float(p, rng):
    """float32 ‖(3e38, 3e38)‖ is inf, and x / inf was 0: the unit vector is (0.7071, 0.7071).
    Such slices are divided by their largest |x| first; the others keep their numbers, and a
    slice below eps its floor."""
    import nn.functional as NF
    x = Tensor(np.array([[3e38, 3e38, 0.0], [3e38, -1e38, 2e38], [3.0, 4.0, 0.0],
                         [1e-13, 0.0, 0.0]], np.float32), requires_grad=True)
    with strict():
        unit = NF.normalize(x, p)
        unit.backward(np.ones((4, 3), np.float32))
    rows = np.array([[3.0, 3.0, 0.0], [3.0, -1.0, 2.0], [3.0, 4.0, 0.0], [1.0, 0.0, 0.0]])
    norms = np.linalg.norm(rows, p, axis=1, keepdims=True)
    np.testing.assert_allclose(unit.data[:3], rows[:3] / norms[:3], rtol=1e-6)
    np.testing.assert_allclose(unit.data[3], [0.1, 0.0, 0.0], rtol=1e-6)        # 1e-13 / eps
    small = t64(rows[:2])                                  # the same at scale 1, in float64
    NF.normalize(small, p).backward(np.ones((2, 3)))
    np.testing.assert_allclose(x.grad[:2] * 1e38, small.grad, rtol=1e-5, atol=1e-6)
    u = rng.uniform(0.5, 1.5, (3, 4)) * np.sign(rng.normal(size=(3, 4)))        # float64 too
    assert gradcheck(lambda t: NF.normalize(t * 1e308, p), t64(u))


SPREAD = np.array([1.0, -1.0, 0.5])        # mean 1/6; PyTorch: std 0.8498 (n), var 0.7222


@pytest.mark.parametrize("scale", [1e20, 2e19, 1e-30])
@pytest.mark.parametrize("ddof", [0, 1])
def test_float32_std_of_huge_and_tiny_numbers_is_finite_with_its_gradient(scale, ddof):
    """PyTorch's numbers: std 8.498e19 at 1e20 and 8.498e-31 at 1e-30 (n divisor), where the
    squares overflow to inf (std inf, slope 0) or underflow to 0 (std 0, slope 0)."""
    d = SPREAD - SPREAD.mean()
    std = math.sqrt((d ** 2).sum() / (3 - ddof))
    x = Tensor((SPREAD * scale).astype(np.float32), requires_grad=True)
    with strict():
        y = x.std(ddof=ddof)
        y.backward()
    np.testing.assert_allclose(y.item(), std * scale, rtol=1e-5)
    np.testing.assert_allclose(x.grad, d / (3 - ddof) / std, rtol=1e-5)


def test_float32_var_whose_squares_overflow_but_which_is_a_float():
    """(2e19)² overflows float32; the variance 2.89e38 (PyTorch's) does not."""
    d = SPREAD - SPREAD.mean()
    x = Tensor((SPREAD * 2e19).astype(np.float32), requires_grad=True)
    with strict():
        y = x.var()
        y.backward()
    np.testing.assert_allclose(y.item(), (d ** 2).mean() * 4e38, rtol=1e-5)
    np.testing.assert_allclose(x.grad, 2 * d / 3 * 2e19, rtol=1e-5)


@pytest.mark.parametrize("ddof", [0, 1])
def test_float32_var_beyond_a_float_still_has_its_slopes(ddof):
    """The variance of [3e38, -3e38, 1e38] is beyond float32 (inf), its slopes 2 (x - mean) /
    (n - ddof) are not (PyTorch gives them): they were NaN, as (d / √dof)²'s slope 2 d / √dof
    overflowed before the / √dof."""
    x = Tensor(np.array([3e38, -3e38, 1e38], np.float32), requires_grad=True)
    with np.errstate(over="ignore"):                    # (the variance does overflow)
        y = x.var(ddof=ddof)
        y.backward()
    d = np.array([3.0, -3.0, 1.0]) - 1 / 3
    assert y.item() == math.inf
    np.testing.assert_allclose(x.grad, 2 * d / (3 - ddof) * 1e38, rtol=1e-6)


def test_float32_cosine_similarity_of_huge_vectors():
    """x · y is 3e40 here, beyond float32: NaN with NaN gradients and overflow warnings before;
    the cosine is 8/9."""
    import nn.functional as NF
    a, b = np.array([[2.0, -2.0, 1.0]]), np.array([[1.0, -2.0, 2.0]])
    x, y = (Tensor((v * 5e19).astype(np.float32), requires_grad=True) for v in (a, b))
    with strict():
        c = NF.cosine_similarity(x, y)
        c.sum().backward()
    np.testing.assert_allclose(c.data, [8 / 9], rtol=1e-6)
    x64, y64 = t64(a), t64(b)                       # the same at scale 1, in float64
    NF.cosine_similarity(x64, y64).sum().backward()
    np.testing.assert_allclose(x.grad * 5e19, x64.grad, rtol=1e-5)
    np.testing.assert_allclose(y.grad * 5e19, y64.grad, rtol=1e-5)


@pytest.mark.parametrize("dtype, scale", [(np.float32, 5e19), (np.float64, 1e160)])
def test_cosine_embedding_loss_of_huge_vectors(dtype, scale):
    """‖x‖² overflowed (float32 past |x| ~1.8e19): the loss was NaN with NaN gradients and
    overflow warnings, where PyTorch's formula gives 1 - 8/9 and cos 45° - 0.5."""
    import nn.functional as NF
    a = np.array([[2.0, -2.0, 1.0], [1.0, 0.0, 0.0]])
    b = np.array([[1.0, -2.0, 2.0], [1.0, 1.0, 0.0]])
    x, y = (Tensor((v * scale).astype(dtype), requires_grad=True) for v in (a, b))
    with strict():
        loss = NF.cosine_embedding_loss(x, y, [1, -1], 0.5, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [1 / 9, math.sqrt(0.5) - 0.5], rtol=1e-6)
    x64, y64 = t64(a), t64(b)                       # the same at scale 1, in float64
    NF.cosine_embedding_loss(x64, y64, [1, -1], 0.5, reduction="sum").backward()
    np.testing.assert_allclose(x.grad * scale, x64.grad, rtol=1e-5, atol=1e-6)   # (ε: ~1e-12)
    np.testing.assert_allclose(y.grad * scale, y64.grad, rtol=1e-5, atol=1e-6)
    assert gradcheck(lambda u, v: NF.cosine_embedding_loss(u * 1e200, v, [1, -1], 0.5),
                     t64(a + 0.1), t64(b - 0.2))


@pytest.mark.parametrize("dtype, big", [(np.float16, 1000.0), (np.float32, 1e30),
                                        (np.float32, 3e38), (np.float64, 1e200)])
def test_slopes_of_erf_erfc_and_atan_at_huge_inputs_are_silent_zeros(dtype, big):
    """Their slopes, 2/√π e^(-x²) and 1/(1 + x²), are 0 there (below the smallest float), but x²
    overflowed on the way, with numpy's warning: erf and erfc in float16 from ±256, so at the
    ±1000 of this file; float32 past ±1.8e19; float64 past ±1.3e154."""
    for method in ["erf", "erfc", "atan"]:
        x = Tensor(np.array([big, -big], dtype), requires_grad=True)
        with strict():
            getattr(x, method)().sum().backward()
        assert (x.grad == 0).all() and x.grad.dtype == dtype, method
        # the slopes as they were elsewhere, to first and second order
        u = t64([-2.0, 0.3, 1.5])
        assert gradcheck(lambda t: getattr(t, method)(), u)
        assert gradcheck(lambda t: grad(lambda v: getattr(v, method)().sum())(t).sum(), u)



@pytest.mark.parametrize("dtype, x", [(np.float32, 1e30), (np.float32, 3e38), (np.float64, 1e200)])
def test_asinh_and_acosh_slopes_at_huge_inputs_are_1_over_x_without_a_warning(dtype, x):
    # x² overflowed on the way: a slope of 0 (and numpy's overflow warning) where it is 1/x
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("asinh", "acosh"):
            t = Tensor(np.array([x, -x] if method == "asinh" else [x], dtype), requires_grad=True)
            getattr(t, method)().sum().backward()
            np.testing.assert_allclose(t.grad, 1 / x, rtol=1e-6)
            assert t.grad.dtype == dtype
