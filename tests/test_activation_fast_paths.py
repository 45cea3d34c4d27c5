"""The activations made fast in s31 (docs/measurements.md#s31-activations): hardtanh, relu6 and
hardsigmoid (the `Hardtanh` op, a clip with PyTorch's slope), hardswish's backward, softshrink
and prelu, built from ops without np.where; and in s32 threshold and hardshrink (the
`Threshold` and `Hardshrink` ops, each number chosen on its bits). Checked exactly at their
kinks, at ±inf and NaN, on 0-d, batch-1 and broadcast shapes, against finite differences in
float64 and against PyTorch in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, grad
from nn import functional as F

# the kinks of every function below, and points either side of them
KINKS = np.array([-6.5, -6.0, -3.0, -2.0, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0,
                  1.5, 2.0, 3.0, 5.5, 6.0, 7.0, -1.5])
SPECIAL = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0])

# name, glassgrad, torch (T is torch.nn.functional)
CASES = [
    ("relu6", F.relu6, lambda T, x: T.relu6(x)),
    ("hardtanh", F.hardtanh, lambda T, x: T.hardtanh(x)),
    ("hardtanh_bounds", lambda x: F.hardtanh(x, -0.5, 2.0), lambda T, x: T.hardtanh(x, -0.5, 2.0)),
    ("hardtanh_infinite_bound", lambda x: F.hardtanh(x, -np.inf, 2.0),
     lambda T, x: T.hardtanh(x, -np.inf, 2.0)),
    ("hardsigmoid", F.hardsigmoid, lambda T, x: T.hardsigmoid(x)),
    ("hardswish", F.hardswish, lambda T, x: T.hardswish(x)),
    ("softshrink", F.softshrink, lambda T, x: T.softshrink(x)),
    ("softshrink_zero", lambda x: F.softshrink(x, 0.0), lambda T, x: T.softshrink(x, 0.0)),
    ("prelu", lambda x: F.prelu(x, Tensor(np.array([0.25], x.dtype))),
     lambda T, x: T.prelu(x, T.torch.tensor([0.25], dtype=x.dtype))),
    ("prelu_negative_slope", lambda x: F.prelu(x, Tensor(np.array([-1.5], x.dtype))),
     lambda T, x: T.prelu(x, T.torch.tensor([-1.5], dtype=x.dtype))),
    # s32: threshold and hardshrink, ops of their own (they were a where())
    ("threshold", lambda x: F.threshold(x, 0.5, -3.0), lambda T, x: T.threshold(x, 0.5, -3.0)),
    ("threshold_zero", lambda x: F.threshold(x, 0.0, 0.0), lambda T, x: T.threshold(x, 0.0, 0.0)),
    ("threshold_below_zero", lambda x: F.threshold(x, -1.0, 5.0),
     lambda T, x: T.threshold(x, -1.0, 5.0)),
    ("hardshrink", F.hardshrink, lambda T, x: T.hardshrink(x)),
    ("hardshrink_wide", lambda x: F.hardshrink(x, 2.0), lambda T, x: T.hardshrink(x, 2.0)),
    ("hardshrink_negative_lambda", lambda x: F.hardshrink(x, -1.0),
     lambda T, x: T.hardshrink(x, -1.0)),
]
NAMES = [case[0] for case in CASES]


def torch_run(make, x: np.ndarray, g: np.ndarray):
    """(value, gradient) of PyTorch's function at x for the upstream gradient g."""
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    T = torch.nn.functional
    T.torch = torch
    tx = torch.tensor(x, requires_grad=True)
    y = make(T, tx)
    y.backward(torch.tensor(g))
    return y.detach().numpy(), tx.grad.numpy()


def ours(make, x: np.ndarray, g: np.ndarray):
    tx = Tensor(x, requires_grad=True)
    y = make(tx)
    y.backward(g)
    return y.numpy(), tx.grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, make, reference", CASES, ids=NAMES)
def test_values_and_slopes_are_pytorchs_at_the_kinks(name, make, reference, dtype):
    """Exactly at the kinks the slope is PyTorch's (hardtanh's is 0 at its edges)."""
    x = KINKS.astype(dtype)
    g = np.linspace(0.5, 2.0, x.size).astype(dtype)
    value, slope = ours(make, x, g)
    want_value, want_slope = torch_run(reference, x, g)
    assert value.dtype == dtype and slope.dtype == dtype
    np.testing.assert_allclose(value, want_value, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(slope, want_slope, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, make, reference", CASES, ids=NAMES)
def test_nan_stays_nan_and_infinities_are_pytorchs(name, make, reference):
    x = SPECIAL.astype(np.float32)
    g = np.ones_like(x)
    with np.errstate(invalid="ignore"):
        value, slope = ours(make, x, g)
    want_value, want_slope = torch_run(reference, x, g)
    np.testing.assert_array_equal(value, want_value)          # NaN where PyTorch's is NaN
    finite = np.isfinite(x)                    # (the slope at ±inf: PyTorch's; at NaN: below)
    np.testing.assert_array_equal(slope[~np.isnan(x)], want_slope[~np.isnan(x)])
    assert np.isfinite(slope[finite]).all()


@pytest.mark.parametrize("name, make, reference", CASES, ids=NAMES)
def test_gradient_matches_finite_differences_away_from_the_kinks(name, make, reference):
    rng = np.random.default_rng(4)
    x = rng.uniform(-8, 8, (3, 4))
    x[np.min(np.abs(x[..., None] - KINKS), axis=-1) < 1e-3] += 0.01    # off the kinks
    g = rng.standard_normal(x.shape)
    _, slope = ours(make, x, g)
    h = 1e-6
    fd = ((make(Tensor(x + h)).numpy() - make(Tensor(x - h)).numpy()) / (2 * h)) * g
    np.testing.assert_allclose(slope, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shape", [(), (1,), (1, 3, 2, 2)], ids=["0-d", "one", "batch-1"])
@pytest.mark.parametrize("name, make, reference", CASES, ids=NAMES)
def test_small_shapes_keep_their_shape_and_dtype(name, make, reference, shape):
    x = np.full(shape, 0.25, np.float32) if shape == () else \
        np.linspace(-7, 7, int(np.prod(shape))).reshape(shape).astype(np.float32)
    g = np.ones(shape, np.float32)
    value, slope = ours(make, x, g)
    want_value, want_slope = torch_run(reference, x, g)
    assert value.shape == shape and slope.shape == shape
    assert value.dtype == np.float32 and slope.dtype == np.float32
    np.testing.assert_allclose(value, want_value, rtol=1e-6)
    np.testing.assert_allclose(slope, want_slope, rtol=1e-6)


@pytest.mark.parametrize("make", [F.relu6, lambda x: F.hardtanh(x, -0.5, 2.0), F.hardsigmoid,
                                  lambda x: F.threshold(x, 0.25, -3.0),
                                  lambda x: F.hardshrink(x, 2.0)],
                         ids=["relu6", "hardtanh", "hardsigmoid", "threshold", "hardshrink"])
def test_second_derivative_is_zero_and_graph_of_the_gradient_follows_the_data(make):
    """The slope is piecewise constant: d²/dx² = 0, and the slope taken as a graph (Step
    nodes of x) is the first-order one."""
    x = Tensor(np.array([-1.0, 0.0, 0.25, 1.9, 2.0, 5.0]), requires_grad=True)
    (dx,) = grad(make(x).sum(), [x], create_graph=True)
    _, slope = ours(make, x.data, np.ones(6))
    np.testing.assert_array_equal(dx.numpy(), slope)
    (ddx,) = grad((dx * x).sum(), [x])          # d/dx (slope · x) = slope + 0
    np.testing.assert_array_equal(ddx, slope)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prelu_per_channel_slopes_and_their_gradient_are_pytorchs(dtype):
    """One slope per channel, broadcast over (N, C, H, W): x's and the slopes' gradients."""
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 4, 5)).astype(dtype)
    x[0, :, 0, :2] = 0.0                                    # at the kink: the slope is a
    a = np.array([0.25, -0.5, 2.0], dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    tx, ta = Tensor(x, requires_grad=True), Tensor(a, requires_grad=True)
    y = F.prelu(tx, ta)
    y.backward(g)
    px, pa = torch.tensor(x, requires_grad=True), torch.tensor(a, requires_grad=True)
    py = torch.nn.functional.prelu(px, pa)
    py.backward(torch.tensor(g))
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.numpy(), py.detach().numpy(), rtol=rtol)
    np.testing.assert_allclose(tx.grad, px.grad.numpy(), rtol=rtol)
    np.testing.assert_allclose(ta.grad, pa.grad.numpy(), rtol=1e-5 if dtype == np.float32
                               else 1e-12)
    assert y.dtype == dtype and ta.grad.dtype == dtype


def test_prelu_slopes_gradient_matches_finite_differences():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 2, 3))
    a = np.array([0.3, -0.7])
    g = rng.standard_normal(x.shape)
    ta = Tensor(a, requires_grad=True)
    F.prelu(Tensor(x), ta).backward(g)
    h, fd = 1e-6, np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        fd[i] = ((F.prelu(Tensor(x), Tensor(a + e)).numpy()
                  - F.prelu(Tensor(x), Tensor(a - e)).numpy()) * g).sum() / (2 * h)
    np.testing.assert_allclose(ta.grad, fd, rtol=1e-7)


def test_the_step_pages_of_prelu_and_softshrink_name_their_pieces():
    """prelu and softshrink are now made of relu, clip, * and + (prelu), and - and clip
    (softshrink): their steps are the pages of those ops, with the bounds that ran."""
    from autograd.viz.steps import record_backprop
    x = Tensor(np.array([[-2.0, 0.5], [3.0, 0.25]]), requires_grad=True, label="x")
    a = Tensor(np.array([0.25]), requires_grad=True, label="a")
    steps = record_backprop(F.prelu(x, a).sum())
    assert {"ReLU", "clip", "*", "+"} <= {step.op for step in steps}
    clip = next(step for step in steps if step.op == "clip")
    assert "clip(x, low, high) with low = −∞, high = 0" in clip.lines()[0], clip.lines()
    steps = record_backprop(F.softshrink(x, 0.5).sum())
    clip = next(step for step in steps if step.op == "clip")
    assert "with low = -0.5, high = 0.5" in clip.lines()[0], clip.lines()


# -- s32: threshold and hardshrink, bit for bit ---------------------------------------------------

# ties, signed zeros, infinities, NaN, a subnormal, float32's 0.1 (a tie only in float32)
EDGES = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 0.5, -0.5, 0.1, np.float32(0.1), -1.0,
                  1e-45, -3.0, 3.0, 1e30, -1e30, 20.0, 2.0, -2.0])
THRESHOLDS = [(0.1, 20.0), (0.5, -3.0), (0.0, 0.0), (-1.0, 5.0), (-1.0, -0.0), (0.0, np.inf),
              (np.inf, 1.0), (-np.inf, 1.0), (0.5, np.nan)]


def _bits(a):
    return np.ascontiguousarray(a).view(f"u{a.dtype.itemsize}")


def _torch_slope_at(torch, f, x, g):
    tx = torch.tensor(x, requires_grad=True)
    f(tx).backward(torch.tensor(g))
    return tx.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_threshold_and_hardshrink_are_pytorchs_bit_for_bit(dtype):
    """Every value's bits (-0.0 kept where x is kept, the band's 0 +0.0, v = -0.0 as given,
    the number v = inf or NaN), and every slope, PyTorch's: 0 where x ≤ t (the tie too) or
    |x| ≤ λ, exactly 0 even where the arriving gradient is inf or NaN, g elsewhere."""
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    T = torch.nn.functional
    with np.errstate(over="ignore"):            # (1e30 is inf in float16)
        x = EDGES.astype(dtype)
    g = np.linspace(1.0, 3.0, x.size).astype(dtype)
    g[[2, 9]] = np.inf                          # at -inf and -1: where the slope is 0 or 1
    g[3] = np.nan
    cases = [(lambda t, a=a, b=b: F.threshold(t, a, b), lambda t, a=a, b=b: T.threshold(t, a, b))
             for a, b in THRESHOLDS]
    cases += [(lambda t, a=a: F.hardshrink(t, a), lambda t, a=a: T.hardshrink(t, a))
              for a in (0.5, 0.0, 2.0, -1.0, np.inf)]
    for ours, theirs in cases:
        tx = Tensor(x, requires_grad=True)
        y = ours(tx)
        y.backward(g)
        want = theirs(torch.tensor(x)).numpy()
        assert y.dtype == dtype and tx.grad.dtype == dtype
        np.testing.assert_array_equal(_bits(y.numpy()), _bits(want))
        # (PyTorch's float64 hardshrink gives NaN's slope as 0 in its vectorised loop and 1 in
        # its scalar one, the formula's: each element checked alone takes the scalar loop)
        slope = np.concatenate([_torch_slope_at(torch, theirs, x[i:i + 1], g[i:i + 1])
                                for i in range(x.size)])
        np.testing.assert_array_equal(tx.grad, slope)


def test_nan_keeps_the_slope_1_in_both_passes():
    """PyTorch's x ≤ t ? 0 : g leaves NaN's slope 1 (and a NaN λ shrinks nothing); the
    gradient taken as a graph (create_graph=True) says the same."""
    x = Tensor(np.array([np.nan, 0.25, -3.0, 1.0]), requires_grad=True)
    for make, slope in [(lambda t: F.threshold(t, 0.25, -3.0), [1.0, 0.0, 0.0, 1.0]),
                        (lambda t: F.hardshrink(t, 0.25), [1.0, 0.0, 1.0, 1.0]),
                        (lambda t: F.hardshrink(t, float("nan")), [1.0, 1.0, 1.0, 1.0])]:
        _, first = ours(make, x.data, np.ones(4))
        (dx,) = grad(make(x).sum(), [x], create_graph=True)
        np.testing.assert_array_equal(first, slope)
        np.testing.assert_array_equal(dx.numpy(), slope)


@pytest.mark.parametrize("make", [lambda x: F.threshold(x, 0.3, -2.0),
                                  lambda x: F.hardshrink(x, 0.7)],
                         ids=["threshold", "hardshrink"])
def test_broadcast_strided_and_batch_1_inputs_match_finite_differences(make):
    """An input that is a broadcast (read-only, stride 0) or transposed view, of batch 1, and
    an arriving gradient that is a broadcast (a sum's): the same numbers as a fresh array."""
    rng = np.random.default_rng(9)
    row = rng.uniform(-2, 2, (1, 4))
    row[np.abs(np.abs(row) - 0.3) < 1e-3] += 0.01
    row[np.abs(np.abs(row) - 0.7) < 1e-3] += 0.01
    for x in (np.broadcast_to(row, (3, 4)), rng.uniform(-2, 2, (4, 1, 3)).transpose(2, 1, 0)):
        tx = Tensor(x, requires_grad=True)
        make(tx).sum().backward()
        fresh = Tensor(np.array(x), requires_grad=True)
        make(fresh).backward(np.ones(x.shape))
        np.testing.assert_array_equal(make(Tensor(x)).numpy(), make(Tensor(np.array(x))).numpy())
        np.testing.assert_array_equal(tx.grad, fresh.grad)
        h = 1e-6
        fd = (make(Tensor(x + h)).numpy() - make(Tensor(x - h)).numpy()) / (2 * h)
        np.testing.assert_allclose(tx.grad, fd, rtol=1e-7, atol=1e-9)
