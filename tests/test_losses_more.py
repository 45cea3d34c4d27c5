"""The losses PyTorch has and glassgrad lacked: smooth_l1_loss, huber_loss, gaussian_nll_loss,
poisson_nll_loss, kl_div (with "batchmean"), margin_ranking_loss, soft_margin_loss, and the
margin losses triplet_margin_loss (and _with_distance_loss), cosine_embedding_loss,
hinge_embedding_loss, multi_margin_loss, multilabel_margin_loss, multilabel_soft_margin_loss,
as functions and modules: formulas and reductions against numpy, gradients against finite
differences (batch of one, 0-d or one sample, a learned variance, a learned KL target), the
edges (the clamp of the variance, 0 ln 0, ties and margins hit exactly, zero vectors), ±1000,
errors, declared tasks (fit picks R² for the regression ones, accuracy for multi_margin_loss),
and PyTorch's numbers: asked live where torch is installed, else as recorded in
tests/reference/losses_more.npz."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, manual_seed
from nn import Linear, fit
from nn import functional as F
from nn import losses as L
from nn.optim import SGD
from nn.scoring import default_metrics, loss_task

from conftest import strict, t64
from reference import assert_matches, draw, prefixed, recorded_case

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


def test_a_log_target_of_minus_infinity_costs_nothing_as_a_zero_probability_does():
    """log_target=True with ln p = -inf (a teacher's log_softmax with a masked class) is the
    p = 0 of log_target=False: its term is 0, not e^-inf · (-inf - input) = 0 · -inf = NaN
    (PyTorch's NaN), also where the input is -inf too; the slopes there are 0."""
    a, b, inf = np.log(0.5), np.log(0.25), np.inf
    log_q = np.array([[a, b, b], [a, a, -inf]])                # the last input is -inf too
    log_p = np.array([[0.0, -inf, -inf], [a, a, -inf]])
    for target in (log_p, t64(log_p)):
        i = t64(log_q)
        with strict():
            loss = F.kl_div(i, target, "none", log_target=True)
            loss.backward(np.ones((2, 3)))
        plain = F.kl_div(t64(log_q), [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]], "none")
        np.testing.assert_allclose(loss.data, plain.data, rtol=1e-15)
        np.testing.assert_allclose(loss.data, [[np.log(2), 0, 0], [0, 0, 0]], atol=1e-15)
        assert i.grad.tolist() == [[-1.0, 0.0, 0.0], [-0.5, -0.5, 0.0]]
    # a learned target's slope e^t (t - input + 1): 0 where t = -inf
    np.testing.assert_allclose(target.grad, [[1 + np.log(2), 0, 0], [0.5, 0.5, 0]],
                               rtol=1e-15)
    assert gradcheck(lambda i, t: F.kl_div(i, t, "batchmean", log_target=True),
                     t64(np.log([[0.5, 0.25, 0.25]])), t64(np.log([[0.6, 0.3, 0.1]])))


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
# PyTorch's numbers: asked live where torch is installed, else as recorded in
# tests/reference/losses_more.npz (under "elementwise/")
# ----------------------------------------------------------------------------------------------

def elementwise_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """float64 predictions, targets, variances, counts, distributions (one target 0) and ±1
    labels of shape (4, 5)."""
    pred, target = rng.normal(size=(4, 5)) * 2, rng.normal(size=(4, 5))
    var = rng.uniform(0.05, 2.0, (4, 5))
    counts = rng.poisson(2.0, (4, 5)).astype(float)
    log_q, p = kl_case(rng)
    y = rng.choice([-1.0, 1.0], (4, 5))
    return dict(pred=pred, target=target, var=var, counts=counts, log_q=log_q, p=p, y=y)


def torch_cases(v: dict[str, np.ndarray]) -> list[tuple]:
    """(name, glassgrad, PyTorch, inputs): every loss, its options, "mean" and "none" ("sum"
    is checked against numpy above)."""
    pred, target, var, counts, log_q, p, y = (
        v[name] for name in ("pred", "target", "var", "counts", "log_q", "p", "y"))
    cases = []
    for r in ("mean", "none"):
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
    for r in ("mean", "none", "batchmean"):
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


def _upstream(shape: tuple) -> np.ndarray:
    """The gradient sent into a "none" loss: distinct numbers, so a misrouted one shows."""
    return np.linspace(0.5, 1.5, math.prod(shape)).reshape(shape)


def elementwise_glassgrad(**inputs) -> dict[str, np.ndarray]:
    results = {}
    for name, ours_f, _, args in torch_cases(inputs):
        ours = [t64(a) for a in args]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")            # kl_div's "mean" warns
            out = ours_f(*ours)
        out.backward(_upstream(out.shape))
        results[f"{name}/loss"] = out.data
        results.update({f"{name}/grad{i}": x.grad for i, x in enumerate(ours)})
    return results


def elementwise_torch(torch, **inputs) -> dict[str, np.ndarray]:
    results = {}
    for name, _, torch_f, args in torch_cases(inputs):
        theirs = [torch.tensor(a, requires_grad=True) for a in args]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = torch_f(torch.nn.functional, *theirs)
        out.backward(torch.tensor(_upstream(tuple(out.shape))))
        results[f"{name}/loss"] = out.detach().numpy()
        results.update({f"{name}/grad{i}": x.grad.numpy() for i, x in enumerate(theirs)})
    return results


def _elementwise_match(ours: dict, theirs: dict) -> None:
    """To rounding; but where kl_div's target is 0, PyTorch's slope for it is NaN and ours
    finite (see test_a_zero_target_counts_zero_and_its_slopes_are_finite)."""
    theirs = dict(theirs)
    for key in [key for key in theirs if key.startswith("kl/") and key.endswith("/grad1")]:
        assert np.isnan(theirs[key][0, 0]) and np.isfinite(ours[key][0, 0])
        theirs[key] = theirs[key].copy()
        theirs[key][0, 0] = ours[key][0, 0]
    assert_matches(ours, theirs, rtol=1e-12, atol=1e-15,
                   inputs=tuple(elementwise_inputs(draw())))


def test_the_same_losses_and_gradients_as_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = elementwise_inputs(rng)
    _elementwise_match(elementwise_glassgrad(**inputs),
                       {**inputs, **elementwise_torch(torch, **inputs)})


def test_the_same_losses_and_gradients_as_pytorchs_recorded_numbers():
    theirs = recorded_case("losses_more", "elementwise")
    _elementwise_match(
        elementwise_glassgrad(**{name: theirs[name] for name in elementwise_inputs(draw())}),
        theirs)


@pytest.mark.parametrize("loss", [F.huber_loss, F.smooth_l1_loss])
def test_a_loss_without_a_scalar_form_given_values_names_the_ones_that_take_them(loss):
    from autograd import Value
    with pytest.raises(TypeError, match=r"got a list of Values; this loss takes Tensors\. The "
                                        r"losses that take lists of Values are mse_loss, l1_loss, "
                                        r"hinge_loss, binary_cross_entropy"):
        loss([Value(1.0), Value(2.0)], [1.0, 2.5])


# ==============================================================================================
# The margin losses of embeddings and of several classes: triplet_margin_loss,
# cosine_embedding_loss, hinge_embedding_loss, multi_margin_loss, multilabel_margin_loss,
# multilabel_soft_margin_loss, and their modules
# ==============================================================================================

def numpy_triplet(a, p, n, margin=1.0, norm=2.0, eps=1e-6, swap=False):
    def distance(x, y):
        return np.linalg.norm(x - y + eps, ord=norm, axis=-1)
    to_negative = distance(a, n)
    if swap:
        to_negative = np.minimum(to_negative, distance(p, n))
    return np.maximum(0.0, margin + distance(a, p) - to_negative)


def numpy_cosine_embedding(x1, x2, y, margin=0.0):
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    return np.where(y == 1, 1 - cos, np.maximum(0.0, cos - margin))


def numpy_multi_margin(x, y, p=1, margin=1.0, weight=None):
    """PyTorch's loop: w[y] max(0, margin - x[y] + x[i])^p over i != y, / C."""
    n, c = x.shape
    losses = np.zeros(n)
    for row in range(n):
        for i in range(c):
            z = margin - x[row, y[row]] + x[row, i]
            if i != y[row] and z > 0:
                losses[row] += (1.0 if weight is None else weight[y[row]]) * z ** p
    return losses / c


def numpy_multilabel_margin(x, y):
    """PyTorch's loop: the classes listed before the first -1, each against every class not
    listed."""
    n, c = x.shape
    losses = np.zeros(n)
    for row in range(n):
        listed = []
        for k in y[row]:
            if k < 0:
                break
            listed.append(k)
        for j in listed:
            for i in set(range(c)) - set(listed):
                losses[row] += max(0.0, 1 - x[row, j] + x[row, i])
    return losses / c


def numpy_multilabel_soft_margin(x, t, weight=None):
    log_sigmoid = -np.logaddexp(0.0, -x)
    log_one_minus = -np.logaddexp(0.0, x)
    losses = -(t * log_sigmoid + (1 - t) * log_one_minus)
    return (losses if weight is None else losses * weight).mean(-1)


def assert_off_the_kinks(values, gap=1e-3):
    """Finite differences need every hinge's argument clear of 0."""
    assert np.abs(values).min() > gap


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_losses_follow_their_formulas(reduction, rng):
    a, p, n = rng.normal(size=(3, 5, 4))
    x1, x2 = rng.normal(size=(2, 6, 3))
    pairs = rng.choice([-1, 1], 6)
    distances, signs = rng.uniform(0.0, 2.0, (3, 4)), rng.choice([-1, 1], (3, 4))
    scores, labels = rng.normal(size=(5, 4)), rng.integers(0, 4, 5)
    weight = rng.uniform(0.2, 2.0, 4)
    listed = np.array([[3, 0, -1, 2], [1, 1, 2, -1], [-1, 0, 1, 2], [0, 1, 2, 3], [2, -1, -1, -1]])
    targets = (rng.random((5, 4)) < 0.5).astype(float)
    expected_and_ours = [
        (numpy_triplet(a, p, n, 0.8, 1.5, 1e-6, True),
         F.triplet_margin_loss(t64(a), t64(p), t64(n), 0.8, 1.5, swap=True, reduction=reduction)),
        (numpy_triplet(a, p, n, norm=np.inf),
         F.triplet_margin_loss(t64(a), t64(p), t64(n), p=np.inf, reduction=reduction)),
        (numpy_triplet(a, p, n, 0.8, 2.0, 1e-6, True),
         F.triplet_margin_with_distance_loss(t64(a), t64(p), t64(n), margin=0.8, swap=True,
                                             reduction=reduction)),
        (np.maximum(0.0, 0.5 + np.abs(a - p).sum(-1) - np.abs(a - n).sum(-1)),
         F.triplet_margin_with_distance_loss(
             t64(a), t64(p), t64(n), distance_function=lambda x, y: (x - y).abs().sum(-1),
             margin=0.5, reduction=reduction)),
        (numpy_cosine_embedding(x1, x2, pairs, 0.2),
         F.cosine_embedding_loss(t64(x1), t64(x2), pairs, 0.2, reduction=reduction)),
        (np.where(signs == 1, distances, np.maximum(0.0, 1.5 - distances)),
         F.hinge_embedding_loss(t64(distances), signs, reduction, margin=1.5)),
        (numpy_multi_margin(scores, labels, 2, 0.5, weight),
         F.multi_margin_loss(t64(scores), labels, reduction, p=2, margin=0.5, weight=weight)),
        (numpy_multi_margin(scores, labels),
         F.multi_margin_loss(t64(scores), labels, reduction)),
        (numpy_multilabel_margin(scores, listed),
         F.multilabel_margin_loss(t64(scores), listed, reduction)),
        (numpy_multilabel_soft_margin(scores, targets, weight),
         F.multilabel_soft_margin_loss(t64(scores), targets, reduction, weight=weight)),
    ]
    for expected, ours in expected_and_ours:
        np.testing.assert_allclose(ours.data, reduce(expected, reduction), rtol=1e-13,
                                   atol=1e-15)


def test_one_sample_is_a_batch_of_one(rng):
    """(D,) / (C,) inputs give the loss of the batch of that one row; "none" gives it 0-d."""
    a, p, n = rng.normal(size=(3, 4))
    scores = rng.normal(size=4)
    targets = (rng.random(4) < 0.5).astype(float)
    for one, batch in [
        (F.triplet_margin_loss(t64(a), t64(p), t64(n), reduction="none"),
         F.triplet_margin_loss(t64([a]), t64([p]), t64([n]))),
        (F.cosine_embedding_loss(t64(a), t64(p), -1, reduction="none"),
         F.cosine_embedding_loss(t64([a]), t64([p]), [-1])),
        (F.multi_margin_loss(t64(scores), 2, "none", p=2),
         F.multi_margin_loss(t64([scores]), [2], p=2)),
        (F.multilabel_margin_loss(t64(scores), [1, 3, -1, 0], "none"),
         F.multilabel_margin_loss(t64([scores]), [[1, 3, -1, 0]])),
        (F.multilabel_soft_margin_loss(t64(scores), targets, "none"),
         F.multilabel_soft_margin_loss(t64([scores]), [targets])),
    ]:
        assert one.shape == ()
        np.testing.assert_array_equal(one.data, batch.data)


# margins wide enough that every triplet counts: the loss is then the hinge's argument, which
# `assert_off_the_kinks` sees (a triplet that counts 0 could sit at its kink)
TRIPLET_LOSSES = [
    pytest.param(lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 10.0, reduction=r), "mean",
                 id="triplet"),
    pytest.param(lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 10.0, 1.0, swap=True,
                                                          reduction=r), "sum",
                 id="triplet_l1_swap"),
    pytest.param(lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 10.0, np.inf, reduction=r),
                 "none", id="triplet_inf"),
    pytest.param(lambda a, p, n, r: F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: 1 - F.cosine_similarity(x, y, dim=-1),
        margin=2.5, swap=True, reduction=r), "mean", id="triplet_cosine_distance"),
]


@pytest.mark.parametrize("loss, reduction", TRIPLET_LOSSES)
@pytest.mark.parametrize("shape", [(4,), (1, 4), (3, 4)])
def test_triplet_gradients(loss, reduction, shape, rng):
    a, p, n = (t64(rng.normal(size=shape)) for _ in range(3))
    assert_off_the_kinks(loss(a, p, n, "none").data)
    assert gradcheck(lambda a, p, n: loss(a, p, n, reduction), a, p, n)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(3,), (1, 3), (5, 3)])
def test_cosine_and_hinge_embedding_gradients(reduction, shape, rng):
    x1, x2 = rng.normal(size=(2,) + shape)
    y = np.resize([1, -1], shape[:-1])
    cos = 1 - numpy_cosine_embedding(x1, x2, np.ones(shape[:-1]))
    assert_off_the_kinks(cos - (-0.2))              # cos - margin
    assert gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, y, -0.2, reduction=reduction),
                     t64(x1), t64(x2))
    distances = rng.uniform(0.0, 2.0, shape)
    signs = np.resize([1, -1], shape)
    assert_off_the_kinks(distances - 1.0)
    assert gradcheck(lambda d: F.hinge_embedding_loss(d, signs, reduction), t64(distances))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p, weighted", [(1, False), (2, False), (2, True)])
@pytest.mark.parametrize("shape", [(4,), (1, 4), (5, 4)])
def test_multi_margin_gradients(reduction, p, weighted, shape, rng):
    scores = rng.normal(size=shape)
    labels = rng.integers(0, 4, shape[:-1])
    weight = rng.uniform(0.2, 2.0, 4) if weighted else None
    rows, rows_labels = scores.reshape(-1, 4), labels.reshape(-1)
    assert_off_the_kinks(0.8 - rows[np.arange(len(rows)), rows_labels][:, None] + rows)
    assert gradcheck(lambda x: F.multi_margin_loss(x, labels, reduction, p=p, margin=0.8,
                                                   weight=weight), t64(scores))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, "classes", "rows"])
def test_multilabel_gradients(reduction, weight, rng):
    scores = rng.normal(size=(4, 5))
    listed = np.array([[3, 0, -1, 2, 2], [1, 1, 2, -1, 0], [-1, 0, 1, 2, 3], [4, 0, 1, 2, 3]])
    for row, classes in enumerate(([3, 0], [1, 2], [], [4, 0, 1, 2, 3])):
        others = [i for i in range(5) if i not in classes]
        if classes and others:
            assert_off_the_kinks(1 - scores[row, classes][:, None] + scores[row, others])
    assert gradcheck(lambda x: F.multilabel_margin_loss(x, listed, reduction), t64(scores))
    targets = rng.random((4, 5))                       # soft targets too
    w = {None: None, "classes": rng.uniform(0.2, 2.0, 5), "rows": rng.uniform(0.2, 2.0, (4, 1))}
    assert gradcheck(lambda x: F.multilabel_soft_margin_loss(x, targets, reduction,
                                                              weight=w[weight]), t64(scores))


def test_a_listed_class_twice_counts_twice_as_in_pytorch():
    x = t64([[0.0, 0.5, 0.25]])
    twice = F.multilabel_margin_loss(x, [[0, 0, -1]], "sum")
    once = F.multilabel_margin_loss(x, [[0, -1, -1]], "sum")
    assert twice.item() == 2 * once.item() == 2 * (1.5 + 1.25) / 3
    twice.backward()
    np.testing.assert_allclose(x.grad, [[-4 / 3, 2 / 3, 2 / 3]])


def test_multi_hot_rows_are_refused_with_the_loss_that_takes_them():
    """0/1 rows (1 where a sample has the class), the target of multilabel_soft_margin_loss,
    were read as class indices: [1, 0, 1, 1] as class 1, then class 0 three times, a number
    (PyTorch's too) with no meaning that trained on."""
    x = t64([[0.1, 0.2, 0.4, 0.8], [0.3, -0.2, 0.5, 0.0]])
    multi_hot = np.array([[1, 0, 1, 1], [0, 1, 0, 0]])
    with pytest.raises(ValueError, match=r"^multilabel_margin_loss: the target holds only 0s "
                                         r"and 1s and no -1, like multi-hot rows .* For 0/1 "
                                         r"rows use multilabel_soft_margin_loss\(input, "
                                         r"target\), or list the classes: "):
        F.multilabel_margin_loss(x, multi_hot)
    # the hint's conversion gives the listed classes, and their loss
    listed = np.array([np.r_[np.flatnonzero(row), [-1] * (4 - row.sum())] for row in multi_hot])
    assert listed.tolist() == [[0, 2, 3, -1], [1, -1, -1, -1]]
    assert np.isfinite(F.multilabel_margin_loss(x, listed).item())
    # lists of classes 0 and 1 with -1, or two classes, are PyTorch's and still pass
    assert np.isfinite(F.multilabel_margin_loss(x, [[1, 0, -1, 0], [0, -1, 1, 1]]).item())
    assert np.isfinite(F.multilabel_margin_loss(x[:, :2], [[1, 0], [0, 0]]).item())


def test_the_slopes_where_a_margin_is_hit_exactly_are_pytorchs():
    """PyTorch clamps the embedding losses with clamp_min, whose slope at 0 is the line's, and
    skips a class term that is exactly 0 (z > 0) in the multiclass ones: slope 0."""
    # triplet: d(a, p) = 1, d(a, n) = 2, margin 1: the loss is exactly 0
    a, p, n = t64([[0.0, 0.0]]), t64([[1.0, 0.0]]), t64([[2.0, 0.0]])
    F.triplet_margin_loss(a, p, n, eps=0.0).backward()
    assert (a.grad.tolist(), p.grad.tolist(), n.grad.tolist()) == \
        ([[0.0, 0.0]], [[1.0, 0.0]], [[-1.0, 0.0]])
    # cosine, unlike pairs at right angles with margin 0: cos - margin = 0
    x1, x2 = t64([[1.0, 0.0], [2.0, 0.0]]), t64([[0.0, 1.0], [0.0, 3.0]])
    F.cosine_embedding_loss(x1, x2, [-1, -1], reduction="sum").backward()
    np.testing.assert_allclose(x1.grad, [[0.0, 1.0], [0.0, 0.5]])
    np.testing.assert_allclose(x2.grad, [[1.0, 0.0], [1 / 3, 0.0]])
    # hinge embedding: a distance of exactly the margin, unlike
    d = t64([1.0, 2.0])
    F.hinge_embedding_loss(d, [-1, -1], "sum").backward()
    assert d.grad.tolist() == [-1.0, 0.0]
    # multi margin: class 1 exactly the margin below the true class 0
    for power in (1, 2):
        x = t64([[1.0, 0.0, 0.5]])
        F.multi_margin_loss(x, [0], p=power).backward()
        assert x.grad.tolist() == [[-1 / 3 if power == 1 else -1 / 3, 0.0, 1 / 3]]
    # multilabel margin: the same, for the listed class 0
    x = t64([[1.0, 0.0, 0.5]])
    F.multilabel_margin_loss(x, [[0, -1, -1]]).backward()
    np.testing.assert_allclose(x.grad, [[-1 / 3, 0.0, 1 / 3]])


def test_zero_vectors_follow_pytorchs_eps():
    """A zero vector's cosine is 0 (ε = 1e-12 under the roots, PyTorch's), not NaN, and its
    slope is PyTorch's large finite one: x2 / √(ε (‖x2‖² + ε)) ≈ x2 / (1e-6 ‖x2‖)."""
    zero, other = t64([[0.0, 0.0]]), t64([[3.0, 4.0]])
    with strict():
        loss = F.cosine_embedding_loss(zero, other, [1])
        loss.backward()
    assert loss.item() == 1.0
    np.testing.assert_allclose(zero.grad, [[-0.6e6, -0.8e6]], rtol=1e-9)
    assert other.grad.tolist() == [[0.0, 0.0]]
    both = t64([[0.0, 0.0]])
    with strict():
        loss = F.cosine_embedding_loss(both, t64([[0.0, 0.0]]), [-1])
        loss.backward()
    assert loss.item() == 0.0 and both.grad.tolist() == [[0.0, 0.0]]
    # equal rows: eps keeps the triplet distance off 0, where the norm has no slope
    a = t64([[1.0, 2.0]])
    with strict():
        F.triplet_margin_loss(a, t64([[1.0, 2.0]]), t64([[1.5, 2.0]])).backward()
    assert np.isfinite(a.grad).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_margin_losses_at_1000(dtype):
    big = np.array([[1000.0, -1000.0, 1000.0], [-1000.0, 1000.0, 0.0]], dtype)
    cases = [
        lambda x: F.triplet_margin_loss(x, -x, x * 0.5),
        lambda x: F.cosine_embedding_loss(x, x[::-1], [1, -1]),
        lambda x: F.hinge_embedding_loss(x, [[1, -1, 1], [-1, 1, -1]]),
        lambda x: F.multi_margin_loss(x, [1, 2], p=2),
        lambda x: F.multilabel_margin_loss(x, [[0, 2, -1], [1, -1, -1]]),
        lambda x: F.multilabel_soft_margin_loss(x, [[1, 0, 0], [1, 0, 1]]),
    ]
    for loss in cases:
        x = Tensor(big.copy(), requires_grad=True)
        with strict():
            out = loss(x)
            out.backward()
        assert out.dtype == dtype and np.isfinite(out.data) and np.isfinite(x.grad).all()
    x = Tensor(big.copy(), requires_grad=True)
    F.multilabel_soft_margin_loss(x, [[1, 0, 0], [1, 0, 1]], "none").backward(np.ones(2, dtype))
    np.testing.assert_allclose(x.grad, [[0, 0, 1 / 3], [-1 / 3, 1 / 3, -1 / 6]])   # σ(x) - t
    np.testing.assert_allclose(F.multilabel_soft_margin_loss(Tensor(big), [[1, 0, 0],
                               [1, 0, 1]], "none").data, [1000 / 3, (2000 + np.log(2)) / 3],
                               rtol=1e-6)


S = t64(np.zeros((2, 3)))


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.triplet_margin_loss(S, S, S, 0.0), ValueError,
     r"triplet_margin_loss: margin must be > 0, got 0.0"),
    (lambda: F.triplet_margin_loss(S, S, S, p=0), ValueError,
     r"triplet_margin_loss: p must be > 0"),
    (lambda: F.triplet_margin_loss(S, S[0], S), ValueError,
     r"triplet_margin_loss: the inputs' shapes differ \(anchor \(2, 3\), positive \(3,\), "
     r"negative \(2, 3\)\); they must match"),
    (lambda: F.triplet_margin_loss(S, S, S, "sum"), TypeError,
     "triplet_margin_loss: margin must be a number, got 'sum'"),
    (lambda: F.triplet_margin_loss(t64(1.0), t64(1.0), t64(1.0)), ValueError,
     r"triplet_margin_loss: the inputs are 0-d; they must be embeddings \(N, D\) or \(D,\)"),
    (lambda: F.triplet_margin_with_distance_loss(S, S, S, distance_function=3), TypeError,
     "triplet_margin_with_distance_loss: distance_function must be a function of two Tensors, "
     "got int"),
    (lambda: F.triplet_margin_with_distance_loss(S, S, S, distance_function=lambda x, y: x - y),
     ValueError, r"triplet_margin_with_distance_loss: the distance of inputs of shape \(2, 3\) "
     r"must be one number per row, shape \(2,\), got shape \(2, 3\)"),
    (lambda: F.triplet_margin_with_distance_loss(
        S, S, S, distance_function=lambda x, y: (x - y).abs().sum()), ValueError,
     r"triplet_margin_with_distance_loss: .* shape \(2,\), got shape \(\)"),
    (lambda: F.triplet_margin_with_distance_loss(S, S, S, margin=-0.5), ValueError,
     r"triplet_margin_with_distance_loss: margin must be > 0"),
    (lambda: F.cosine_embedding_loss(S, S, [1, 0]), ValueError,
     r"cosine_embedding_loss: labels must be -1 or \+1, got values \{0, 1\}"),
    (lambda: F.cosine_embedding_loss(S, S, [1, -1, 1]), ValueError,
     r"cosine_embedding_loss: target of shape \(3,\) for inputs of shape \(2, 3\); it needs "
     r"one label ±1 per pair, shape \(2,\)"),
    (lambda: F.cosine_embedding_loss(S[0], S[0], [1]), ValueError,
     r"cosine_embedding_loss: target of shape \(1,\) for inputs of shape \(3,\); it needs one "
     r"label ±1 per pair, shape \(\)"),
    (lambda: F.cosine_embedding_loss(S, S[:, :2], [1, 1]), ValueError,
     r"cosine_embedding_loss: the inputs' shapes differ \(input1 \(2, 3\), input2 \(2, 2\)\)"),
    (lambda: F.cosine_embedding_loss(S, S, [1, 1], 2.0), ValueError,
     r"cosine_embedding_loss: margin must be in \[-1, 1\] \(a cosine\), got 2.0"),
    (lambda: F.cosine_embedding_loss(S[None], S[None], [[1, 1]]), ValueError,
     r"cosine_embedding_loss: the inputs must be rows \(N, D\) or one pair \(D,\), got shape "
     r"\(1, 2, 3\)"),
    (lambda: F.hinge_embedding_loss(S, np.zeros((2, 3))), ValueError,
     r"hinge_embedding_loss: labels must be -1 or \+1, got values \{0.0\}"),
    (lambda: F.hinge_embedding_loss(S, np.ones(3)), ValueError,
     r"hinge_embedding_loss: prediction has shape \(2, 3\) but target has shape \(3,\)"),
    (lambda: F.hinge_embedding_loss(S, np.ones((2, 3)), 2.0), TypeError,
     "hinge_embedding_loss: reduction must be 'mean', 'sum' or 'none', got a float .*keywords"),
    (lambda: F.multi_margin_loss(S, [0, 1], p=3), ValueError,
     r"multi_margin_loss: p must be 1 \(hinge\) or 2 \(squared hinge\), got 3"),
    (lambda: F.multi_margin_loss(S, [0, 3]), ValueError,
     r"multi_margin_loss: labels must be in \[0, 3\), got values in \[0, 3\]"),
    (lambda: F.multi_margin_loss(S, [0.0, 1.0]), TypeError,
     "multi_margin_loss: class labels must be integers, got dtype float64"),
    (lambda: F.multi_margin_loss(S, [[0, 1, 0], [1, 0, 0]]), ValueError,
     r"multi_margin_loss: the labels have shape \(2, 3\), like one-hot rows"),
    (lambda: F.multi_margin_loss(S, [0, 1], weight=[1.0, 2.0]), ValueError,
     r"multi_margin_loss: weight must hold one number per class, shape \(3,\), got shape "
     r"\(2,\)"),
    (lambda: F.multi_margin_loss(S[0], [1]), ValueError,
     r"multi_margin_loss: the target of input of shape \(C,\) = \(3,\) \(one sample\) must be "
     r"one class index, shape \(\)"),
    (lambda: F.multi_margin_loss(S[None], [[0, 1]]), ValueError,
     r"multi_margin_loss: input must be scores \(N, C\), or one sample's \(C,\), got shape "
     r"\(1, 2, 3\)"),
    (lambda: F.multi_margin_loss(t64(np.zeros((0, 3))), np.zeros(0, int)), ValueError,
     r"multi_margin_loss: the mean of no elements is undefined"),
    (lambda: F.multilabel_margin_loss(S, [[0, -1, -1], [3, -1, -1]]), ValueError,
     r"multilabel_margin_loss: target must hold class indices in \[0, 3\) and -1 \(after a "
     r"sample's classes\), got values in \[-1, 3\]"),
    (lambda: F.multilabel_margin_loss(S, [[0, -1, -1], [1, -1, -2]]), ValueError,
     r"multilabel_margin_loss: target must hold class indices in \[0, 3\) and -1"),
    (lambda: F.multilabel_margin_loss(S, [0, 1]), ValueError,
     r"multilabel_margin_loss: target of shape \(2,\) for input of shape \(2, 3\); they must "
     r"match \(each row lists a sample's classes, then -1\)"),
    (lambda: F.multilabel_margin_loss(S, np.zeros((2, 3))), TypeError,
     r"multilabel_margin_loss: target must be integers, got floats"),
    (lambda: F.multilabel_margin_loss(S[0], [0, -1]), ValueError,
     r"multilabel_margin_loss: target of shape \(2,\) for input of shape \(3,\)"),
    (lambda: F.multilabel_soft_margin_loss(S, [[0, 1, 2], [0, 0, 0]]), ValueError,
     r"multilabel_soft_margin_loss: target must be in \[0, 1\]"),
    (lambda: F.multilabel_soft_margin_loss(S, np.ones(3)), ValueError,
     r"multilabel_soft_margin_loss: input has shape \(2, 3\) but target has shape \(3,\)"),
    (lambda: F.multilabel_soft_margin_loss(S, np.ones((2, 3)), weight=[1.0, 2.0]), ValueError,
     r"multilabel_soft_margin_loss: weight of shape \(2,\) does not broadcast to the input's "
     r"shape \(2, 3\)"),
    (lambda: F.multilabel_soft_margin_loss(t64(0.0), 1.0), ValueError,
     r"multilabel_soft_margin_loss: input must be logits \(N, C\) or \(C,\) with C >= 1"),
])
def test_margin_loss_errors_name_the_loss_and_say_what_is_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_sigmoid_before_the_multilabel_soft_margin_loss_warns():
    with pytest.warns(UserWarning, match="multilabel_soft_margin_loss: its input comes from "
                                         "sigmoid"):
        F.multilabel_soft_margin_loss(t64([[0.5, -1.0]]).sigmoid(), [[1, 0]])


def test_the_margin_modules_are_their_functions(rng):
    a, p, n = (t64(rng.normal(size=(3, 4))) for _ in range(3))
    scores, labels = t64(rng.normal(size=(3, 4))), rng.integers(0, 4, 3)
    signs = rng.choice([-1, 1], 3)
    listed = np.array([[1, -1, 0, 0], [2, 3, -1, 0], [0, 1, 2, 3]])
    targets, weight = (rng.random((3, 4)) < 0.5).astype(float), rng.uniform(0.5, 2.0, 4)
    pairs = [
        (L.TripletMarginLoss(0.5, 1.0, 1e-3, True, reduction="none")(a, p, n),
         F.triplet_margin_loss(a, p, n, 0.5, 1.0, 1e-3, True, reduction="none")),
        (L.TripletMarginWithDistanceLoss(swap=True)(a, p, n),
         F.triplet_margin_loss(a, p, n, swap=True)),
        (L.CosineEmbeddingLoss(0.25, reduction="sum")(a, p, signs),
         F.cosine_embedding_loss(a, p, signs, 0.25, reduction="sum")),
        (L.HingeEmbeddingLoss(0.5)(scores.abs(), np.sign(a.data)),
         F.hinge_embedding_loss(scores.abs(), np.sign(a.data), margin=0.5)),
        (L.MultiMarginLoss(2, 0.5, weight)(scores, labels),
         F.multi_margin_loss(scores, labels, p=2, margin=0.5, weight=weight)),
        (L.MultiLabelMarginLoss(reduction="none")(scores, listed),
         F.multilabel_margin_loss(scores, listed, "none")),
        (L.MultiLabelSoftMarginLoss(weight, reduction="sum")(scores, targets),
         F.multilabel_soft_margin_loss(scores, targets, "sum", weight=weight)),
    ]
    for ours, expected in pairs:
        np.testing.assert_array_equal(ours.data, expected.data)


def test_margin_module_reprs_options_and_state():
    assert repr(L.TripletMarginLoss()) == \
        "TripletMarginLoss(reduction='mean', margin=1.0, p=2.0, eps=1e-06, swap=False)"
    assert repr(L.TripletMarginWithDistanceLoss(margin=0.5)) == (
        "TripletMarginWithDistanceLoss(reduction='mean', distance_function=pairwise_distance, "
        "margin=0.5, swap=False)")
    assert repr(L.CosineEmbeddingLoss(0.5)) == "CosineEmbeddingLoss(reduction='mean', margin=0.5)"
    assert repr(L.HingeEmbeddingLoss(reduction="sum")) == \
        "HingeEmbeddingLoss(reduction='sum', margin=1.0)"
    assert repr(L.MultiMarginLoss()) == "MultiMarginLoss(reduction='mean', p=1, margin=1.0)"
    assert repr(L.MultiLabelMarginLoss()) == "MultiLabelMarginLoss(reduction='mean')"
    assert repr(L.MultiLabelSoftMarginLoss([1.0, 2.0])) == \
        "MultiLabelSoftMarginLoss(reduction='mean', weight=[1.0, 2.0])"
    # the weights are buffers, in the state_dict under PyTorch's name
    assert list(L.MultiMarginLoss(weight=[1.0, 2.0]).state_dict()) == ["weight"]
    assert list(L.MultiLabelSoftMarginLoss([1.0, 2.0]).state_dict()) == ["weight"]
    assert list(L.MultiMarginLoss().state_dict()) == []
    for make, error, message in [
        (lambda: L.TripletMarginLoss(margin=-1.0), ValueError,
         "TripletMarginLoss: margin must be > 0, got -1.0"),
        (lambda: L.TripletMarginLoss(p=-2), ValueError, "TripletMarginLoss: p must be > 0"),
        (lambda: L.TripletMarginLoss(reduction="avg"), ValueError,
         "TripletMarginLoss: reduction must be"),
        (lambda: L.TripletMarginWithDistanceLoss(distance_function="cosine"), TypeError,
         "TripletMarginWithDistanceLoss: distance_function must be a function of two Tensors, "
         "got str"),
        (lambda: L.TripletMarginWithDistanceLoss(margin=0), ValueError,
         "TripletMarginWithDistanceLoss: margin must be > 0, got 0.0"),
        (lambda: L.CosineEmbeddingLoss(1.5), ValueError,
         r"CosineEmbeddingLoss: margin must be in \[-1, 1\]"),
        (lambda: L.HingeEmbeddingLoss("sum"), TypeError,
         "HingeEmbeddingLoss: margin must be a number, got 'sum'"),
        (lambda: L.MultiMarginLoss(3), ValueError, "MultiMarginLoss: p must be 1"),
        (lambda: L.MultiMarginLoss(weight=[-1.0, 1.0]), ValueError,
         r"MultiMarginLoss: weight must be finite and >= 0"),
        (lambda: L.MultiLabelSoftMarginLoss("sum"), TypeError,
         "MultiLabelSoftMarginLoss: the first argument is weight, got 'sum'"),
    ]:
        with pytest.raises(error, match=message):
            make()


def test_margin_losses_declare_their_tasks():
    for loss in (F.multi_margin_loss, L.MultiMarginLoss()):
        declared = loss_task(loss)
        assert declared.task == "multiclass" and default_metrics(loss) == ("accuracy",)
        assert declared.to_labels(np.array([[0.1, 2.0, -1.0]])).tolist() == [1]
    for loss in (F.multilabel_soft_margin_loss, L.MultiLabelSoftMarginLoss()):
        declared = loss_task(loss)
        assert declared.task == "binary"
        assert declared.to_labels(np.array([[0.5, -2.0]])).tolist() == [[1, 0]]
    # embeddings, distances and lists of classes are not what the metrics read
    for loss in (F.triplet_margin_loss, F.triplet_margin_with_distance_loss,
                 F.cosine_embedding_loss, F.hinge_embedding_loss, F.multilabel_margin_loss,
                 L.TripletMarginLoss(), L.TripletMarginWithDistanceLoss(),
                 L.CosineEmbeddingLoss(), L.HingeEmbeddingLoss(), L.MultiLabelMarginLoss()):
        assert loss_task(loss) is None


def test_fit_trains_a_classifier_on_the_multiclass_hinge_loss():
    manual_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 60)
    X = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])[y] + rng.normal(size=(60, 2)) * 0.3
    model = Linear(2, 3)
    history = fit(model, L.MultiMarginLoss(), SGD(model.parameters(), lr=0.5), (X, y),
                  epochs=20, batch_size=60, progress=False, seed=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    assert history.history["accuracy"][-1] == 1.0           # three blobs, read by arg-max


# ----------------------------------------------------------------------------------------------
# PyTorch's numbers for the margin losses: asked live where torch is installed, else as
# recorded in tests/reference/losses_more.npz (under "margin/")
# ----------------------------------------------------------------------------------------------

def margin_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """float64 embeddings, scores and targets, with PyTorch's edge cases in them: zero vectors,
    an anchor equal to its positive (swap's tie), margins hit exactly (numbers on a grid of
    quarters, so the sums are exact), a class listed twice, a target row that lists none."""
    x1, x2 = rng.normal(size=(2, 5, 3))
    x1[1], x2[3] = 0.0, 0.0
    return {
        "a": rng.normal(size=(4, 3)), "p": rng.normal(size=(4, 3)), "n": rng.normal(size=(4, 3)),
        "tie_a": np.array([[0.0, 0.0]]), "tie_p": np.array([[1.0, 0.0]]),
        "tie_n": np.array([[2.0, 0.0]]),
        "x1": x1, "x2": x2, "pairs": np.array([1, -1, 1, -1, -1]),
        "right_1": np.array([[1.0, 0.0], [2.0, 0.0]]),
        "right_2": np.array([[0.0, 1.0], [0.0, 3.0]]),
        "distances": np.array([[0.5, 1.0, 2.0], [0.25, 1.5, 0.75]]),
        "signs": np.array([[1, -1, -1], [-1, 1, -1]]),
        "scores": rng.normal(size=(4, 5)), "labels": np.array([0, 3, 4, 3]),
        "weight": rng.uniform(0.2, 2.0, 5),
        "quarters": rng.integers(-6, 6, (4, 5)) / 4.0,
        "listed": np.array([[3, 0, -1, 1, 2], [2, 2, 1, -1, -1], [-1, 0, 0, 0, 0],
                            [0, 1, 2, 3, 4]]),
        "targets": np.array([[1.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0, 1.0],
                             [0.25, 0.5, 0.0, 1.0, 0.75], [1.0, 1.0, 1.0, 1.0, 1.0]]),
        "row_weight": rng.uniform(0.5, 1.5, (4, 1)),
        "logits_1000": np.array([[1000.0, -1000.0, 1000.0, -1000.0, 0.0],
                                 [-1000.0, 1000.0, -1000.0, 1000.0, 0.0],
                                 [1000.0, 1000.0, 1000.0, -1000.0, -1000.0],
                                 [0.0, 0.0, 1000.0, -1000.0, 1000.0]]),
    }


def margin_cases() -> list[tuple]:
    """(case, the inputs differentiated, glassgrad's loss, PyTorch's) for "mean" and "none"
    ("sum" is checked against numpy above); each loss reads its inputs by name from `v`."""
    cases = []
    for r in ("mean", "none"):
        cases += [
            (f"triplet/{r}", ("a", "p", "n"),
             lambda v, r=r: F.triplet_margin_loss(v["a"], v["p"], v["n"], 0.7, reduction=r),
             lambda T, v, r=r: T.triplet_margin_loss(v["a"], v["p"], v["n"], 0.7, reduction=r)),
            (f"triplet_l1_swap/{r}", ("a", "p", "n"),
             lambda v, r=r: F.triplet_margin_loss(v["a"], v["p"], v["n"], 1.5, 1.0, swap=True,
                                                  reduction=r),
             lambda T, v, r=r: T.triplet_margin_loss(v["a"], v["p"], v["n"], 1.5, 1.0,
                                                     swap=True, reduction=r)),
            (f"triplet_swap_tie/{r}", ("a", "n"),       # positive = anchor: d(a, n) = d(p, n)
             lambda v, r=r: F.triplet_margin_loss(v["a"], v["a"], v["n"], swap=True, reduction=r),
             lambda T, v, r=r: T.triplet_margin_loss(v["a"], v["a"], v["n"], swap=True,
                                                     reduction=r)),
            (f"triplet_at_margin/{r}", ("tie_a", "tie_p", "tie_n"),
             lambda v, r=r: F.triplet_margin_loss(v["tie_a"], v["tie_p"], v["tie_n"], eps=0.0,
                                                  reduction=r),
             lambda T, v, r=r: T.triplet_margin_loss(v["tie_a"], v["tie_p"], v["tie_n"],
                                                     eps=0.0, reduction=r)),
            (f"triplet_one/{r}", ("a", "p", "n"),
             lambda v, r=r: F.triplet_margin_loss(v["a"][0], v["p"][0], v["n"][0], 2.0,
                                                  reduction=r),
             lambda T, v, r=r: T.triplet_margin_loss(v["a"][0], v["p"][0], v["n"][0], 2.0,
                                                     reduction=r)),
            (f"triplet_cosine_distance_swap/{r}", ("a", "p", "n"),
             lambda v, r=r: F.triplet_margin_with_distance_loss(
                 v["a"], v["p"], v["n"], margin=0.5, swap=True, reduction=r,
                 distance_function=lambda x, y: 1 - F.cosine_similarity(x, y, dim=-1)),
             lambda T, v, r=r: T.triplet_margin_with_distance_loss(
                 v["a"], v["p"], v["n"], margin=0.5, swap=True, reduction=r,
                 distance_function=lambda x, y: 1 - T.cosine_similarity(x, y, dim=-1))),
            (f"cosine/{r}", ("x1", "x2"),
             lambda v, r=r: F.cosine_embedding_loss(v["x1"], v["x2"], v["pairs"], 0.2,
                                                    reduction=r),
             lambda T, v, r=r: T.cosine_embedding_loss(v["x1"], v["x2"], v["pairs"], 0.2,
                                                       reduction=r)),
            (f"cosine_one/{r}", ("x1", "x2"),
             lambda v, r=r: F.cosine_embedding_loss(v["x1"][0], v["x2"][0], v["pairs"][2],
                                                    reduction=r),
             lambda T, v, r=r: T.cosine_embedding_loss(v["x1"][0], v["x2"][0], v["pairs"][2],
                                                       reduction=r)),
            (f"cosine_at_margin/{r}", ("right_1", "right_2"),
             lambda v, r=r: F.cosine_embedding_loss(v["right_1"], v["right_2"], -v["pairs"][:2],
                                                    reduction=r),
             lambda T, v, r=r: T.cosine_embedding_loss(v["right_1"], v["right_2"],
                                                       -v["pairs"][:2], reduction=r)),
            (f"hinge_embedding/{r}", ("distances",),
             lambda v, r=r: F.hinge_embedding_loss(v["distances"], v["signs"], r),
             lambda T, v, r=r: T.hinge_embedding_loss(v["distances"], v["signs"], reduction=r)),
            (f"hinge_embedding_0.6/{r}", ("distances",),
             lambda v, r=r: F.hinge_embedding_loss(v["distances"], v["signs"], r, margin=0.6),
             lambda T, v, r=r: T.hinge_embedding_loss(v["distances"], v["signs"], 0.6,
                                                      reduction=r)),
            (f"multi_margin/{r}", ("scores",),
             lambda v, r=r: F.multi_margin_loss(v["scores"], v["labels"], r),
             lambda T, v, r=r: T.multi_margin_loss(v["scores"], v["labels"], reduction=r)),
            (f"multi_margin_2_weight/{r}", ("scores",),
             lambda v, r=r: F.multi_margin_loss(v["scores"], v["labels"], r, p=2, margin=0.5,
                                                weight=v["weight"]),
             lambda T, v, r=r: T.multi_margin_loss(v["scores"], v["labels"], 2, 0.5, v["weight"],
                                                   reduction=r)),
            (f"multi_margin_at_margin/{r}", ("quarters",),
             lambda v, r=r: F.multi_margin_loss(v["quarters"], v["labels"], r, p=2, margin=0.5),
             lambda T, v, r=r: T.multi_margin_loss(v["quarters"], v["labels"], 2, 0.5,
                                                   reduction=r)),
            (f"multi_margin_one/{r}", ("scores",),
             lambda v, r=r: F.multi_margin_loss(v["scores"][1], v["labels"][1], r,
                                                weight=v["weight"]),
             lambda T, v, r=r: T.multi_margin_loss(v["scores"][1], v["labels"][1],
                                                   weight=v["weight"], reduction=r)),
            (f"multilabel_margin/{r}", ("scores",),
             lambda v, r=r: F.multilabel_margin_loss(v["scores"], v["listed"], r),
             lambda T, v, r=r: T.multilabel_margin_loss(v["scores"], v["listed"], reduction=r)),
            (f"multilabel_margin_at_margin/{r}", ("quarters",),
             lambda v, r=r: F.multilabel_margin_loss(v["quarters"], v["listed"], r),
             lambda T, v, r=r: T.multilabel_margin_loss(v["quarters"], v["listed"], reduction=r)),
            (f"multilabel_margin_one/{r}", ("scores",),
             lambda v, r=r: F.multilabel_margin_loss(v["scores"][0], v["listed"][0], r),
             lambda T, v, r=r: T.multilabel_margin_loss(v["scores"][0], v["listed"][0],
                                                        reduction=r)),
            (f"multilabel_soft/{r}", ("scores",),
             lambda v, r=r: F.multilabel_soft_margin_loss(v["scores"], v["targets"], r),
             lambda T, v, r=r: T.multilabel_soft_margin_loss(v["scores"], v["targets"],
                                                             reduction=r)),
            (f"multilabel_soft_weight/{r}", ("scores",),
             lambda v, r=r: F.multilabel_soft_margin_loss(v["scores"], v["targets"], r,
                                                          weight=v["weight"]),
             lambda T, v, r=r: T.multilabel_soft_margin_loss(v["scores"], v["targets"],
                                                             v["weight"], reduction=r)),
            (f"multilabel_soft_row_weight/{r}", ("logits_1000",),
             lambda v, r=r: F.multilabel_soft_margin_loss(v["logits_1000"], v["targets"], r,
                                                          weight=v["row_weight"]),
             lambda T, v, r=r: T.multilabel_soft_margin_loss(v["logits_1000"], v["targets"],
                                                             v["row_weight"], reduction=r)),
        ]
    return cases


def margin_glassgrad(**inputs) -> dict[str, np.ndarray]:
    results = {}
    for case, differentiated, ours, _ in margin_cases():
        v = {name: t64(x) if name in differentiated else x for name, x in inputs.items()}
        with strict():
            loss = ours(v)
            loss.backward(_upstream(loss.shape))
        results[f"{case}/loss"] = loss.data
        results.update({f"{case}/{name}.grad": v[name].grad for name in differentiated})
    return results


def margin_torch(torch, **inputs) -> dict[str, np.ndarray]:
    results = {}
    for case, differentiated, _, theirs in margin_cases():
        v = {name: torch.tensor(x, requires_grad=name in differentiated)
             for name, x in inputs.items()}
        loss = theirs(torch.nn.functional, v)
        loss.backward(torch.tensor(_upstream(tuple(loss.shape))))
        results[f"{case}/loss"] = loss.detach().numpy()
        results.update({f"{case}/{name}.grad": v[name].grad.numpy() for name in differentiated})
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/losses_more.npz: the inputs and PyTorch's results, of the elementwise
    losses and of the margin losses."""
    elementwise, margin = elementwise_inputs(draw()), margin_inputs(draw())
    return {**prefixed("elementwise", {**elementwise, **elementwise_torch(torch, **elementwise)}),
            **prefixed("margin", {**margin, **margin_torch(torch, **margin)})}


def _same_as_pytorch(ours: dict, theirs: dict) -> None:
    """float64 both ways, to rounding (the gradients of the cosine of parallel rows, zero in
    exact arithmetic, are ~1e-15 of rounding in both)."""
    assert_matches(ours, theirs, rtol=1e-12, atol=1e-13, inputs=tuple(margin_inputs(draw())))


def test_the_margin_losses_match_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = margin_inputs(rng)
    _same_as_pytorch(margin_glassgrad(**inputs), {**inputs, **margin_torch(torch, **inputs)})


def test_the_margin_losses_match_pytorchs_recorded_numbers():
    theirs = recorded_case("losses_more", "margin")
    _same_as_pytorch(margin_glassgrad(**{name: theirs[name] for name in margin_inputs(draw())}),
                     theirs)
