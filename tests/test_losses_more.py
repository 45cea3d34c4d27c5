"""The losses PyTorch has and glassgrad lacked: smooth_l1_loss, huber_loss, gaussian_nll_loss,
poisson_nll_loss, kl_div (with "batchmean"), margin_ranking_loss, soft_margin_loss, as functions
and modules: formulas and reductions against numpy, gradients against finite differences
(batch of one, 0-d, a learned variance, a learned KL target), the edges (the clamp of the
variance, 0 ln 0, a tie in the ranking loss), ±1000, errors, declared tasks (fit picks R² for
the regression ones), and PyTorch's numbers asked live where torch is installed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck
from nn import functional as F
from nn import losses as L
from nn.scoring import default_metrics, loss_task

from conftest import strict, t64

REDUCTIONS = ("mean", "sum", "none")


def reduce(losses, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](losses)


def off_the_kinks(rng, shape, kinks=(1.0, 0.7)):
    """Differences in ±3 whose sizes stay 0.05 from each kink |d| = kink."""
    d = rng.uniform(-3.0, 3.0, shape)
    for kink in kinks:
        d = np.where(np.abs(np.abs(d) - kink) < 0.05, d * 1.2, d)
    return d


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ----------------------------------------------------------------------------------------------
# smooth_l1_loss and huber_loss
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_and_huber_follow_their_piecewise_formulas(reduction, rng):
    pred, target = rng.normal(size=(4, 5)) * 2, rng.normal(size=(4, 5))
    d = np.abs(pred - target)
    smooth = np.where(d < 0.7, 0.5 * d ** 2 / 0.7, d - 0.35)
    huber = np.where(d < 0.7, 0.5 * d ** 2, 0.7 * (d - 0.35))
    np.testing.assert_allclose(F.smooth_l1_loss(t64(pred), target, reduction, beta=0.7).data,
                               reduce(smooth, reduction), rtol=1e-14)
    np.testing.assert_allclose(F.huber_loss(t64(pred), target, reduction, delta=0.7).data,
                               reduce(huber, reduction), rtol=1e-14)
    # the defaults: β = δ = 1, where the two are the same loss
    np.testing.assert_allclose(F.smooth_l1_loss(t64(pred), target, reduction).data,
                               F.huber_loss(t64(pred), target, reduction).data, rtol=1e-15)


def test_smooth_l1_with_beta_zero_is_l1_and_huber_is_delta_times_smooth_l1(rng):
    pred, target = rng.normal(size=6), rng.normal(size=6)
    np.testing.assert_array_equal(F.smooth_l1_loss(t64(pred), target, beta=0.0).data,
                                  F.l1_loss(t64(pred), target).data)
    np.testing.assert_allclose(F.huber_loss(t64(pred), target, delta=2.5).data,
                               2.5 * F.smooth_l1_loss(t64(pred), target, beta=2.5).data,
                               rtol=1e-14)


SMOOTH_L1_AND_HUBER = [
    pytest.param(lambda p, t: F.smooth_l1_loss(p, t, beta=0.7), id="smooth_l1_0.7"),
    pytest.param(lambda p, t: F.smooth_l1_loss(p, t, "sum"), id="smooth_l1_sum"),
    pytest.param(lambda p, t: F.smooth_l1_loss(p, t, "none", beta=0.0), id="smooth_l1_beta0"),
    pytest.param(lambda p, t: F.huber_loss(p, t), id="huber"),
    pytest.param(lambda p, t: F.huber_loss(p, t, "none", delta=0.7), id="huber_0.7_none"),
    pytest.param(lambda p, t: F.huber_loss(p, t, "sum", delta=0.7), id="huber_0.7_sum"),
]


@pytest.mark.parametrize("loss", SMOOTH_L1_AND_HUBER)
@pytest.mark.parametrize("shape", [(), (1,), (1, 5), (3, 4)])
def test_smooth_l1_and_huber_gradients(loss, shape, rng):
    target = rng.normal(size=shape)
    pred = target + off_the_kinks(rng, shape)
    # the target may be learned too (a Tensor that requires grad), as in PyTorch
    assert gradcheck(loss, t64(pred), t64(target))


@pytest.mark.parametrize("loss, far", [(F.smooth_l1_loss, 1.0), (F.huber_loss, 1.0),
                                       (lambda p, t: F.huber_loss(p, t, delta=0.5), 0.5)],
                         ids=["smooth_l1", "huber", "huber_0.5"])
def test_smooth_l1_and_huber_at_huge_and_infinite_differences(loss, far):
    """Linear out there, with slope ±1 (±δ), as PyTorch's. The quadratic side, not picked,
    took d²: it overflowed with a warning at |d| > 1.8e19 in float32, and its slope 0 · 2d
    was NaN at d = ±inf. (At d = 0.25 all three are quadratic: slope 0.25.)"""
    for dtype, big in ((np.float32, 1e20), (np.float64, 1e200), (np.float64, np.inf)):
        x = Tensor(np.array([big, -big, 0.25], dtype), requires_grad=True)
        with strict():
            loss(x, np.zeros(3, dtype)).backward()
        np.testing.assert_allclose(x.grad * 3, [far, -far, 0.25], rtol=1e-6)


@pytest.mark.parametrize("loss", [p for p in SMOOTH_L1_AND_HUBER if p.id != "smooth_l1_beta0"])
@pytest.mark.parametrize("shape", [(), (1,), (1, 5), (3, 4)])
def test_smooth_l1_and_huber_second_derivatives(loss, shape, rng):
    """The slope, recorded as nodes (`grad`), is differentiable again, in pred and in target:
    against finite differences of the slope, away from the kinks. (Not β = 0: the L1 loss,
    whose slope ±1 is flat.)"""
    target = rng.normal(size=shape)
    pred = target + off_the_kinks(rng, shape)
    w = Tensor(rng.uniform(0.5, 1.5, shape))
    slope = grad(lambda p, t: (loss(p, t) * w).sum())
    assert gradcheck(lambda p, t: slope(p, t), t64(pred), t64(target))


def test_smooth_l1_and_huber_second_derivatives_in_closed_form(rng):
    """d²/dd² is 1/β (huber: 1) where |d| < β, 0 beyond: the Hessian of the sum is diagonal."""
    d = off_the_kinks(rng, (40,), kinks=(0.7,))
    inside = np.abs(d) < 0.7
    for loss, curvature in ((lambda p: F.smooth_l1_loss(p, np.zeros(40), "sum", beta=0.7),
                             1 / 0.7),
                            (lambda p: F.huber_loss(p, np.zeros(40), "sum", delta=0.7), 1.0)):
        hessian_diagonal = grad(lambda p: grad(loss)(p).sum())(d)
        np.testing.assert_allclose(hessian_diagonal, np.where(inside, curvature, 0.0),
                                   rtol=1e-15)


def test_smooth_l1_and_huber_slopes_at_the_kinks_are_pytorchs():
    """At |d| = β the slope is ±1 (huber: ±δ), and 0 at d = 0, on both backward paths."""
    for loss, far in ((lambda p: F.smooth_l1_loss(p, np.zeros(3), "sum", beta=0.7), 1.0),
                      (lambda p: F.huber_loss(p, np.zeros(3), "sum", delta=0.7), 0.7)):
        x = t64([-0.7, 0.0, 0.7])
        loss(x).backward()
        np.testing.assert_array_equal(x.grad, [-far, 0.0, far])
        np.testing.assert_array_equal(grad(loss)(np.array([-0.7, 0.0, 0.7])), [-far, 0.0, far])


@pytest.mark.parametrize("dtype, big", [(np.float32, 1e20), (np.float64, 1e200),
                                        (np.float64, np.inf)])
def test_smooth_l1_and_huber_second_derivatives_at_huge_differences(dtype, big):
    """0 out there (the slope is ±1 or ±δ, flat), without a warning or a NaN."""
    x = np.array([big, -big, 0.25], dtype)
    for loss, near in ((lambda p: F.smooth_l1_loss(p, np.zeros(3, dtype), "sum", beta=0.5), 2.0),
                       (lambda p: F.huber_loss(p, np.zeros(3, dtype), "sum", delta=0.5), 1.0)):
        with strict():
            second = grad(lambda p: grad(loss)(p).sum())(x)
        assert second.dtype == dtype
        np.testing.assert_array_equal(second, [0.0, 0.0, near])


def test_smooth_l1_and_huber_are_one_op_before_the_reduction():
    """The elementwise loss of d = pred - target is one node (the reduction another)."""
    pred, target = t64([0.5, 3.0]), np.zeros(2)
    assert F.smooth_l1_loss(pred, target, "none", beta=0.7).op == "smooth_l1"
    assert F.huber_loss(pred, target, "none").op == "huber"
    assert F.huber_loss(pred, target).parents[0].op == "huber"


# ----------------------------------------------------------------------------------------------
# gaussian_nll_loss
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_is_half_log_var_plus_the_scaled_square(reduction, full, rng):
    pred, target, var = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(0.1, 2, (3, 4))
    expected = 0.5 * (np.log(var) + (pred - target) ** 2 / var) + (0.5 * np.log(2 * np.pi)
                                                                   if full else 0.0)
    got = F.gaussian_nll_loss(t64(pred), target, t64(var), full=full, reduction=reduction)
    np.testing.assert_allclose(got.data, reduce(expected, reduction), rtol=1e-14)


def test_gaussian_nll_takes_pytorchs_shapes_of_var(rng):
    """One variance per element, per row (var one axis short, or of size 1 on one axis), or
    one number for all."""
    pred, target = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    per_row = rng.uniform(0.5, 2.0, 3)
    expected = F.gaussian_nll_loss(t64(pred), target, np.repeat(per_row[:, None], 4, 1)).data
    for var in (per_row, per_row[:, None], t64(per_row), t64(per_row[:, None])):
        np.testing.assert_allclose(F.gaussian_nll_loss(t64(pred), target, var).data, expected,
                                   rtol=1e-15)
    per_column = rng.uniform(0.5, 2.0, (1, 4))
    np.testing.assert_allclose(F.gaussian_nll_loss(t64(pred), target, per_column).data,
                               F.gaussian_nll_loss(t64(pred), target,
                                                   np.repeat(per_column, 3, 0)).data, rtol=1e-15)
    np.testing.assert_allclose(F.gaussian_nll_loss(t64(pred), target, 0.5).data,
                               F.gaussian_nll_loss(t64(pred), target, np.full((3, 4), 0.5)).data,
                               rtol=1e-15)


@pytest.mark.parametrize("var_shape", [(3, 4), (3,), (3, 1), (1, 4)])
def test_gaussian_nll_gradients_for_mean_target_and_a_learned_variance(var_shape, rng):
    pred, target = t64(rng.normal(size=(3, 4))), t64(rng.normal(size=(3, 4)))
    var = t64(rng.uniform(0.2, 2.0, var_shape))
    assert gradcheck(lambda p, t, v: F.gaussian_nll_loss(p, t, v, full=True), pred, target, var)
    assert gradcheck(lambda p, v: F.gaussian_nll_loss(p, np.zeros(()), v, reduction="none"),
                     t64(0.3), t64(0.8))                                # 0-d
    assert gradcheck(lambda p, v: F.gaussian_nll_loss(p, np.zeros((1, 2)), v, reduction="sum"),
                     t64([[0.3, -1.0]]), t64([0.8]))                    # a batch of one row


def test_the_variance_clamp_passes_the_gradient_on_as_pytorchs():
    """PyTorch clamps var at eps under no_grad: the loss is computed at eps, and the gradient
    reaches var as if the clamp were not there (so a tiny variance still learns)."""
    eps = 0.5
    var = t64([0.1, 2.0])
    loss = F.gaussian_nll_loss(t64([1.0, 1.0]), np.zeros(2), var, eps=eps, reduction="sum")
    loss.backward()
    v = np.array([eps, 2.0])                                    # the numbers used
    np.testing.assert_allclose(loss.data, np.sum(0.5 * (np.log(v) + 1 / v)), rtol=1e-15)
    np.testing.assert_allclose(var.grad, 0.5 * (1 / v - 1 / v ** 2), rtol=1e-15)


# ----------------------------------------------------------------------------------------------
# poisson_nll_loss
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_from_log_rates_and_from_rates(reduction, full, rng):
    log_rate = rng.normal(size=(3, 4))
    counts = rng.poisson(2.0, size=(3, 4)).astype(float)
    counts[0, :3] = [0.0, 1.0, 2.0]                   # Stirling's term only where counts > 1
    safe = np.where(counts > 1, counts, 1.0)
    stirling = np.where(counts > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe),
                        0.0) if full else 0.0
    rate = np.exp(log_rate)
    np.testing.assert_allclose(
        F.poisson_nll_loss(t64(log_rate), counts, reduction, full=full).data,
        reduce(rate - counts * log_rate + stirling, reduction), rtol=1e-13)
    np.testing.assert_allclose(
        F.poisson_nll_loss(t64(rate), counts, reduction, log_input=False, full=full).data,
        reduce(rate - counts * np.log(rate + 1e-8) + stirling, reduction), rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (1,), (1, 5), (3, 4)])
def test_poisson_nll_gradients(shape, reduction, rng):
    counts = rng.poisson(2.0, size=shape).astype(float)
    assert gradcheck(lambda p: F.poisson_nll_loss(p, counts, reduction, full=True),
                     t64(rng.normal(size=shape)))
    assert gradcheck(lambda p: F.poisson_nll_loss(p, counts, reduction, log_input=False),
                     t64(rng.uniform(0.5, 3.0, shape)))


# ----------------------------------------------------------------------------------------------
# kl_div
# ----------------------------------------------------------------------------------------------

def kl_case(rng, shape=(4, 5)):
    log_q = np.log(softmax(rng.normal(size=shape)))
    p = softmax(rng.normal(size=shape))
    p[0, 0] = 0.0                                      # 0 ln 0 counts 0
    return log_q, p


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
def test_kl_div_with_probabilities_and_with_log_probabilities(reduction, rng):
    log_q, p = kl_case(rng)
    pointwise = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - log_q), 0.0)
    expected = pointwise.sum() / 4 if reduction == "batchmean" else reduce(pointwise, reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                # "mean" warns (tested below)
        np.testing.assert_allclose(F.kl_div(t64(log_q), p, reduction).data, expected,
                                   rtol=1e-14)
        log_p = np.log(p[1:])
        pointwise = p[1:] * (log_p - log_q[1:])
        expected = pointwise.sum() / 3 if reduction == "batchmean" else reduce(pointwise,
                                                                                reduction)
        np.testing.assert_allclose(F.kl_div(t64(log_q[1:]), log_p, reduction,
                                            log_target=True).data, expected, rtol=1e-14)


def test_batchmean_is_the_average_kl_divergence_of_the_samples(rng):
    log_q, p = kl_case(rng)
    per_sample = [np.sum(p[i][p[i] > 0] * np.log(p[i][p[i] > 0] / np.exp(log_q[i][p[i] > 0])))
                  for i in range(4)]
    np.testing.assert_allclose(F.kl_div(t64(log_q), p, "batchmean").data, np.mean(per_sample),
                               rtol=1e-14)
    # a 0-d input has no batch axis: batchmean is the sum, as in PyTorch
    assert F.kl_div(t64(np.log(0.5)), np.array(0.25), "batchmean").item() == pytest.approx(
        0.25 * np.log(0.5), rel=1e-15)


def test_mean_warns_that_it_is_not_the_kl_divergence():
    with pytest.warns(UserWarning, match=r"kl_div: reduction='mean' divides the sum by every "
                                         r"element's count .* reduction='batchmean'"):
        F.kl_div(t64([[-0.5, -1.0]]), [[0.5, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(t64([[-0.5, -1.0]]), [[0.5, 0.5]], "batchmean")


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(), (1, 3), (4, 5)])
def test_kl_div_gradients_for_input_and_a_learned_target(log_target, shape, rng):
    log_q = np.log(softmax(rng.normal(size=shape))) if shape else np.log(0.3)
    p = softmax(rng.normal(size=shape)) if shape else np.array(0.6)
    target = np.log(p) if log_target else p
    assert gradcheck(lambda i, t: F.kl_div(i, t, "batchmean", log_target=log_target),
                     t64(log_q), t64(target))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                # "mean" warns (tested above)
        for reduction in ("none", "sum", "mean"):
            assert gradcheck(lambda i: F.kl_div(i, target, reduction, log_target=log_target),
                             t64(log_q))


def test_a_zero_target_counts_zero_and_its_slopes_are_finite(rng):
    """At p = 0 the input's slope is -p = 0; a learned target's is that of -p · input alone
    (p ln p is taken as 0 there, with slope 0), where PyTorch gives NaN: the true one-sided
    slope of p ln p at 0 is -inf."""
    log_q, p = kl_case(rng)
    i, t = t64(log_q), t64(p)
    with strict():
        loss = F.kl_div(i, t, "none")
        loss.backward(np.ones((4, 5)))
    assert loss.data[0, 0] == 0.0 and i.grad[0, 0] == 0.0
    assert t.grad[0, 0] == -log_q[0, 0] and np.isfinite(t.grad).all()


def test_a_class_masked_with_minus_infinity_that_the_target_gives_zero_costs_nothing():
    """input ln q = -inf where p = 0 (a masked class): p (ln p - ln q) is 0 there, not
    0 · inf = NaN; its slopes are 0 (a learned target's too)."""
    for target in ([[1.0, 0.0]], t64([[1.0, 0.0]])):
        i = t64([[0.0, -np.inf]])
        with strict():
            loss = F.kl_div(i, target, "batchmean")
            loss.backward()
        assert loss.item() == 0.0 and i.grad.tolist() == [[-1.0, 0.0]]
    assert target.grad.tolist() == [[1.0, 0.0]]
    assert F.kl_div(t64([[0.0, -np.inf]]), [[0.5, 0.5]], "sum").item() == np.inf


# ----------------------------------------------------------------------------------------------
# margin_ranking_loss and soft_margin_loss
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_and_soft_margin_formulas(reduction, rng):
    x1, x2 = rng.normal(size=8), rng.normal(size=8)
    y = rng.choice([-1.0, 1.0], 8)
    np.testing.assert_allclose(
        F.margin_ranking_loss(t64(x1), t64(x2), y, 0.3, reduction=reduction).data,
        reduce(np.maximum(0, -y * (x1 - x2) + 0.3), reduction), rtol=1e-15)
    np.testing.assert_allclose(F.soft_margin_loss(t64(x1), y, reduction).data,
                               reduce(np.log1p(np.exp(-y * x1)), reduction), rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (1,), (3, 4)])
def test_margin_ranking_and_soft_margin_gradients(shape, reduction, rng):
    y = rng.choice([-1.0, 1.0], shape)
    x1 = rng.normal(size=shape)
    x2 = x1 + y * rng.uniform(0.2, 1.0, shape) * rng.choice([-1.0, 1.0], shape) + 0.0
    # margin 0.05: -y (x1 - x2) + m stays at least 0.15 from the kink at 0
    assert gradcheck(lambda a, b: F.margin_ranking_loss(a, b, y, 0.05, reduction=reduction),
                     t64(x1), t64(x2))
    assert gradcheck(lambda a: F.soft_margin_loss(a, y, reduction), t64(x1 * 3))


def test_a_tie_in_the_ranking_loss_still_learns_and_nan_stays():
    """Equal scores with margin 0 sit exactly on the kink: PyTorch's clamp passes the gradient
    there (so two outputs of one initialisation do not stay stuck); NaN stays NaN."""
    x1, x2 = t64([1.0, np.nan]), t64([1.0, 0.0])
    loss = F.margin_ranking_loss(x1, x2, [1, 1], reduction="none")
    loss[0].backward()
    assert loss.data[0] == 0.0 and np.isnan(loss.data[1])
    np.testing.assert_array_equal(x1.grad, [-1.0, 0.0])
    np.testing.assert_array_equal(x2.grad, [1.0, 0.0])


def test_soft_margin_is_stable_at_1000():
    for dtype in (np.float32, np.float64):
        with strict():
            x = Tensor(np.array([1000.0, -1000.0, 1000.0], dtype), requires_grad=True)
            loss = F.soft_margin_loss(x, [1, 1, -1], "none")
            loss.backward(np.ones(3, dtype))
        np.testing.assert_array_equal(loss.data, [0.0, 1000.0, 1000.0])
        np.testing.assert_array_equal(x.grad, [0.0, -1.0, 1.0])


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------

X = t64(np.zeros((2, 3)))


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.smooth_l1_loss(X, np.zeros((2, 3)), beta=-1), ValueError,
     r"smooth_l1_loss: beta must be >= 0 \(where the loss turns from quadratic to linear\), "
     r"got -1.0"),
    (lambda: F.huber_loss(X, np.zeros((2, 3)), delta=0), ValueError,
     "huber_loss: delta must be > 0"),
    (lambda: F.huber_loss(X, np.zeros((3, 2))), ValueError,
     r"huber_loss: prediction has shape \(2, 3\) but target has shape \(3, 2\)"),
    (lambda: F.smooth_l1_loss(X, np.zeros((2, 3)), 1.0), TypeError,
     "smooth_l1_loss: reduction must be 'mean', 'sum' or 'none'"),
    (lambda: F.gaussian_nll_loss(X, np.zeros((2, 3)), -1.0), ValueError,
     "gaussian_nll_loss: var must be >= 0, got -1.0"),
    (lambda: F.gaussian_nll_loss(X, np.zeros((2, 3)), np.array([[1.0, -0.5, 1.0]])), ValueError,
     "gaussian_nll_loss: var must be >= 0, got values down to -0.5"),
    (lambda: F.gaussian_nll_loss(X, np.zeros((2, 3)), np.ones((2, 2))), ValueError,
     r"gaussian_nll_loss: var has shape \(2, 2\); for pred of shape \(2, 3\) it must have that "
     r"shape, or \(2,\) \(one variance per row\), or that shape with one axis of size 1"),
    (lambda: F.gaussian_nll_loss(X, np.zeros((2, 3)), np.ones((1, 1))), ValueError,
     "gaussian_nll_loss: var has shape"),
    (lambda: F.poisson_nll_loss(X, Tensor(np.ones((2, 3)), requires_grad=True)), ValueError,
     r"poisson_nll_loss: the target requires grad, but this loss treats it as a constant"),
    (lambda: F.poisson_nll_loss(X, np.ones((2, 3)), False), TypeError,
     "poisson_nll_loss: reduction must be"),
    (lambda: F.kl_div(t64([[0.2, 0.8]]), [[0.5, 0.5]], "batchmean"), ValueError,
     r"kl_div: input must be log-probabilities \(<= 0\), got values up to 0.8, "
     r"probabilities\?; pass log_softmax\(logits\)"),
    (lambda: F.kl_div(t64([[-0.2, -0.8]]), [[-0.5, 0.5]], "sum"), ValueError,
     r"kl_div: target must be probabilities \(>= 0\), got values down to -0.5; for "
     r"log-probabilities pass log_target=True"),
    (lambda: F.kl_div(t64([[-0.2, -0.8]]), [[0.25, 0.75]], "sum", log_target=True), ValueError,
     "kl_div: target must be log-probabilities .* or pass log_target=False"),
    (lambda: F.kl_div(t64([[-0.2, -0.8]]), [[0.5, 0.5]], "avg"), ValueError,
     r"kl_div: reduction must be one of \('mean', 'batchmean', 'sum', 'none'\), got 'avg'"),
    (lambda: F.kl_div(t64(np.zeros((0, 2))), np.zeros((0, 2)), "batchmean"), ValueError,
     r"kl_div: the batch is empty"),
    (lambda: F.margin_ranking_loss(X, X, np.zeros((2, 3))), ValueError,
     r"margin_ranking_loss: labels must be -1 or \+1, got values \{0.0\} \(for 0/1 labels use "
     r"2 \* y - 1\)"),
    (lambda: F.margin_ranking_loss(X, t64(np.zeros(3)), np.ones((2, 3))), ValueError,
     r"margin_ranking_loss: input1 has shape \(2, 3\) but input2 has shape \(3,\)"),
    (lambda: F.soft_margin_loss(X, np.ones((2, 3)) * 2), ValueError,
     "soft_margin_loss: labels must be -1 or"),
])
def test_bad_arguments_are_refused_saying_what_is_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------------------------
# Modules and declared tasks
# ----------------------------------------------------------------------------------------------

def test_the_modules_are_their_functions_with_their_options(rng):
    pred, target = t64(rng.normal(size=(3, 4))), rng.normal(size=(3, 4))
    var = rng.uniform(0.5, 1.5, (3, 4))
    counts = rng.poisson(2.0, (3, 4)).astype(float)
    log_q, p = kl_case(rng, (3, 4))
    y = rng.choice([-1.0, 1.0], (3, 4))
    pairs = [
        (L.SmoothL1Loss(beta=0.5)(pred, target), F.smooth_l1_loss(pred, target, beta=0.5)),
        (L.HuberLoss(reduction="sum", delta=2.0)(pred, target),
         F.huber_loss(pred, target, "sum", delta=2.0)),
        (L.GaussianNLLLoss(full=True, eps=0.1)(pred, target, var),
         F.gaussian_nll_loss(pred, target, var, full=True, eps=0.1)),
        (L.PoissonNLLLoss(False, True, reduction="none")(pred.abs(), counts),
         F.poisson_nll_loss(pred.abs(), counts, "none", log_input=False, full=True)),
        (L.KLDivLoss(reduction="batchmean")(t64(log_q), p), F.kl_div(t64(log_q), p, "batchmean")),
        (L.KLDivLoss(reduction="sum", log_target=True)(t64(log_q[1:]), np.log(p[1:])),
         F.kl_div(t64(log_q[1:]), np.log(p[1:]), "sum", log_target=True)),
        (L.MarginRankingLoss(0.2)(pred, pred * 0.5, y), F.margin_ranking_loss(pred, pred * 0.5,
                                                                             y, 0.2)),
        (L.SoftMarginLoss(reduction="sum")(pred, y), F.soft_margin_loss(pred, y, "sum")),
    ]
    for ours, expected in pairs:
        np.testing.assert_array_equal(ours.data, expected.data)


def test_module_reprs_and_checked_options():
    assert repr(L.SmoothL1Loss()) == "SmoothL1Loss(reduction='mean', beta=1.0)"
    assert repr(L.HuberLoss(reduction="sum")) == "HuberLoss(reduction='sum', delta=1.0)"
    assert repr(L.GaussianNLLLoss()) == "GaussianNLLLoss(reduction='mean', full=False, eps=1e-06)"
    assert repr(L.PoissonNLLLoss()) == \
        "PoissonNLLLoss(reduction='mean', log_input=True, full=False, eps=1e-08)"
    assert repr(L.KLDivLoss()) == "KLDivLoss(reduction='mean', log_target=False)"
    assert repr(L.MarginRankingLoss(0.5)) == "MarginRankingLoss(reduction='mean', margin=0.5)"
    assert repr(L.SoftMarginLoss()) == "SoftMarginLoss(reduction='mean')"
    for make, message in [(lambda: L.SmoothL1Loss(beta=-0.1), "SmoothL1Loss: beta must be >= 0"),
                          (lambda: L.HuberLoss(delta=0.0), "HuberLoss: delta must be > 0"),
                          (lambda: L.KLDivLoss(reduction="avg"), "KLDivLoss: reduction must be"),
                          (lambda: L.MarginRankingLoss(reduction="avg"),
                           "MarginRankingLoss: reduction must be"),
                          (lambda: L.GaussianNLLLoss(eps="a"), "GaussianNLLLoss: eps must be")]:
        with pytest.raises((ValueError, TypeError), match=message):
            make()


def test_declared_tasks_regression_losses_get_r2():
    for loss in (F.smooth_l1_loss, F.huber_loss, F.gaussian_nll_loss, F.poisson_nll_loss,
                 L.SmoothL1Loss(), L.HuberLoss(), L.GaussianNLLLoss(), L.PoissonNLLLoss()):
        assert loss_task(loss).task == "regression" and default_metrics(loss) == ("r2",)
    for loss in (F.soft_margin_loss, L.SoftMarginLoss()):
        declared = loss_task(loss)
        assert declared.task == "binary" and declared.to_labels(np.array([0.5, -2.0])).tolist() \
            == [1, -1]
    # distributions and pairs are not labels: no task, so fit reports the loss alone
    for loss in (F.kl_div, F.margin_ranking_loss, L.KLDivLoss(), L.MarginRankingLoss()):
        assert loss_task(loss) is None and default_metrics(loss) == ()


# ----------------------------------------------------------------------------------------------
# PyTorch's numbers, asked live (where torch is installed)
# ----------------------------------------------------------------------------------------------

def torch_cases(rng):
    """(name, glassgrad, PyTorch, inputs): every loss, each reduction, the options."""
    pred, target = rng.normal(size=(4, 5)) * 2, rng.normal(size=(4, 5))
    var = rng.uniform(0.05, 2.0, (4, 5))
    counts = rng.poisson(2.0, (4, 5)).astype(float)
    log_q, p = kl_case(rng)
    y = rng.choice([-1.0, 1.0], (4, 5))
    cases = []
    for r in REDUCTIONS:
        cases += [
            (f"smooth_l1/{r}", lambda a, b, r=r: F.smooth_l1_loss(a, b, r, beta=0.7),
             lambda T, a, b, r=r: T.smooth_l1_loss(a, b, reduction=r, beta=0.7), (pred, target)),
            (f"smooth_l1_0/{r}", lambda a, b, r=r: F.smooth_l1_loss(a, b, r, beta=0.0),
             lambda T, a, b, r=r: T.smooth_l1_loss(a, b, reduction=r, beta=0.0), (pred, target)),
            (f"huber/{r}", lambda a, b, r=r: F.huber_loss(a, b, r, delta=0.7),
             lambda T, a, b, r=r: T.huber_loss(a, b, reduction=r, delta=0.7), (pred, target)),
            (f"gaussian/{r}", lambda a, b, v, r=r: F.gaussian_nll_loss(a, b, v, full=True, eps=0.1,
                                                                       reduction=r),
             lambda T, a, b, v, r=r: T.gaussian_nll_loss(a, b, v, full=True, eps=0.1,
                                                         reduction=r), (pred, target, var)),
            (f"gaussian_row/{r}", lambda a, b, v, r=r: F.gaussian_nll_loss(a, b, v, reduction=r),
             lambda T, a, b, v, r=r: T.gaussian_nll_loss(a, b, v, reduction=r),
             (pred, target, var[:, 0])),
            (f"poisson/{r}", lambda a, r=r: F.poisson_nll_loss(a, counts, r, full=True),
             lambda T, a, r=r: T.poisson_nll_loss(a, T_tensor(counts), full=True, reduction=r),
             (pred / 2,)),
            (f"poisson_rate/{r}", lambda a, r=r: F.poisson_nll_loss(a, counts, r, log_input=False),
             lambda T, a, r=r: T.poisson_nll_loss(a, T_tensor(counts), log_input=False,
                                                  reduction=r), (np.abs(pred),)),
            (f"margin_ranking/{r}", lambda a, b, r=r: F.margin_ranking_loss(a, b, y, 0.3,
                                                                            reduction=r),
             lambda T, a, b, r=r: T.margin_ranking_loss(a, b, T_tensor(y), 0.3, reduction=r),
             (pred, target)),
            (f"soft_margin/{r}", lambda a, r=r: F.soft_margin_loss(a, y, r),
             lambda T, a, r=r: T.soft_margin_loss(a, T_tensor(y), reduction=r), (pred,)),
        ]
    for r in REDUCTIONS + ("batchmean",):
        cases += [
            (f"kl/{r}", lambda a, b, r=r: F.kl_div(a, b, r),
             lambda T, a, b, r=r: T.kl_div(a, b, reduction=r), (log_q, p)),
            (f"kl_log/{r}", lambda a, b, r=r: F.kl_div(a, b, r, log_target=True),
             lambda T, a, b, r=r: T.kl_div(a, b, reduction=r, log_target=True),
             (log_q[1:], np.log(p[1:]))),
        ]
    return cases


def T_tensor(array):
    import torch
    return torch.tensor(array)


def test_the_same_losses_and_gradients_as_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    for name, ours_f, torch_f, inputs in torch_cases(rng):
        ours = [t64(a) for a in inputs]
        theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")            # both warn about kl_div's "mean"
            out = ours_f(*ours)
            expected = torch_f(torch.nn.functional, *theirs)
        upstream = rng.normal(size=out.shape)
        out.backward(upstream)
        expected.backward(torch.tensor(upstream))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-13, atol=1e-15,
                                   err_msg=name)
        for mine, its in zip(ours, theirs):
            expected_grad = its.grad.numpy()
            if name.startswith("kl/") and its is theirs[1]:
                # the zero target: PyTorch's slope is NaN, ours finite (see the test above)
                assert np.isnan(expected_grad[0, 0])
                expected_grad[0, 0] = mine.grad[0, 0]
            np.testing.assert_allclose(mine.grad, expected_grad, rtol=1e-12, atol=1e-15,
                                       err_msg=name)


@pytest.mark.parametrize("loss", [F.huber_loss, F.smooth_l1_loss])
def test_a_loss_without_a_scalar_form_given_values_names_the_ones_that_take_them(loss):
    from autograd import Value
    with pytest.raises(TypeError, match=r"got a list of Values; this loss takes Tensors\. The "
                                        r"losses that take lists of Values are mse_loss, l1_loss, "
                                        r"hinge_loss, binary_cross_entropy"):
        loss([Value(1.0), Value(2.0)], [1.0, 2.5])
