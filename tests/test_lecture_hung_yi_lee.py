"""Hung-yi Lee's "Introduction of Machine / Deep Learning", as a learner does its steps on
glassgrad: a function with unknown parameters y = b + w x1, a loss L(b, w) (MAE, MSE), gradient
descent by hand, more days as features, model bias, piecewise-linear curves from hard sigmoids,
y = b + cᵀ σ(b + W x), batches / epochs / updates, ReLU, more layers, overfitting. Each step is
done in the styles a learner meets (scalar Values, raw Tensors with a hand-written update, nn
modules with an optimizer and `fit`) and checked against an independent computation: numpy's
formulas, closed-form least squares, central finite differences.

The data are made here: daily views (in thousands) with a weekly cycle, a trend and noise, and
the lecture's features, the views of the past k days. The last part makes the learner's
mistakes and checks what glassgrad says.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, Value, manual_seed, no_grad
from nn import (Flatten, Linear, ReLU, Sequential, Sigmoid, binary_cross_entropy_with_logits,
                evaluate, fit, l1_loss, mse_loss)
from nn.data import lag_features
from nn.optim import SGD
from nn.train import TrainingDiverged

# -- the data: views of a channel, k past days -> today ------------------------------------------

WEEK = np.array([1.0, 0.9, 0.85, 0.8, 0.6, 0.4, 0.7])      # a weekday's share, weekends low


def daily_views(days: int, seed: int = 0) -> np.ndarray:
    """Thousands of views a day: 3k, a slow trend, the weekly cycle, noise."""
    t = np.arange(days)
    noise = np.random.default_rng(seed).normal(0.0, 0.2, days)
    return 3.0 + 0.004 * t + 1.5 * WEEK[t % 7] + noise


def past_days(views: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row i: the k days before day k + i, yesterday first; the target is that day."""
    X = np.stack([views[k - j:len(views) - j] for j in range(1, k + 1)], axis=1)
    return X, views[k:]


def standardised(X: np.ndarray, rows: int) -> np.ndarray:
    """Features scaled by the training rows' mean and spread (gradient descent needs it)."""
    return (X - X[:rows].mean(0)) / X[:rows].std(0)


def least_squares(X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The closed-form minimiser of the MSE of b + X w: (b, w)."""
    A = np.hstack([np.ones((len(X), 1)), X])
    solution = np.linalg.lstsq(A, y, rcond=None)[0]
    return solution[0], solution[1:]


VIEWS = daily_views(400)


def test_the_lectures_features_are_lag_features_days():
    """nn.data.lag_features(days=k) is the lecture's x_j = views j days ago."""
    X, y = lag_features(VIEWS, days=7)
    mine_X, mine_y = past_days(VIEWS, 7)
    np.testing.assert_allclose(X, mine_X, rtol=1e-6)
    np.testing.assert_allclose(y, mine_y, rtol=1e-6)


# -- 1, 2: y = b + w x1 and its loss L(b, w), MAE and MSE, with Values ---------------------------

X1, Y1 = past_days(VIEWS[:60], 1)
x1 = X1[:, 0]


def value_loss(b: Value, w: Value, kind: str) -> Value:
    total = Value(0.0)
    for x, y in zip(x1, Y1):
        e = b + w * x - y
        total = total + (abs(e) if kind == "mae" else e ** 2)
    return total / len(x1)


@pytest.mark.parametrize("kind", ["mae", "mse"])
def test_loss_of_b_and_w_and_its_gradient_with_values(kind):
    b, w = Value(0.5), Value(1.0)                  # the lecture's L(0.5k, 1)
    L = value_loss(b, w, kind)
    L.backward()
    e = 0.5 + x1 - Y1
    if kind == "mae":
        assert L.data == pytest.approx(np.mean(np.abs(e)), rel=1e-12)
        db, dw = np.mean(np.sign(e)), np.mean(np.sign(e) * x1)
    else:
        assert L.data == pytest.approx(np.mean(e ** 2), rel=1e-12)
        db, dw = np.mean(2 * e), np.mean(2 * e * x1)
    assert (b.grad, w.grad) == pytest.approx((db, dw), rel=1e-10)
    # and central differences of numpy's loss, independent of both
    def numpy_loss(bb, ww):
        e = bb + ww * x1 - Y1
        return np.mean(np.abs(e)) if kind == "mae" else np.mean(e ** 2)
    h = 1e-6
    assert b.grad == pytest.approx((numpy_loss(0.5 + h, 1.0) - numpy_loss(0.5 - h, 1.0)) / (2 * h),
                                   rel=1e-6)
    assert w.grad == pytest.approx((numpy_loss(0.5, 1.0 + h) - numpy_loss(0.5, 1.0 - h)) / (2 * h),
                                   rel=1e-6)


def test_the_error_surface_is_lowest_at_least_squares():
    """The lecture's contour plot of L(b, w): computed on a grid with Tensors' broadcasting
    (numpy's loop gives the same table); no grid point is below the closed-form minimum, and
    the best is just above it."""
    bs, ws = np.linspace(-1, 4, 101), np.linspace(0, 1.5, 151)
    B, W = Tensor(bs.reshape(-1, 1, 1)), Tensor(ws.reshape(1, -1, 1))
    L = ((B + W * Tensor(x1) - Tensor(Y1)) ** 2).mean(axis=-1)
    assert L.shape == (101, 151)
    table = np.array([[np.mean((b + w * x1 - Y1) ** 2) for w in ws] for b in bs])
    np.testing.assert_allclose(L.data, table, rtol=1e-12)
    b_star, (w_star,) = least_squares(X1, Y1)
    best = np.mean((b_star + w_star * x1 - Y1) ** 2)
    assert best <= L.data.min() <= best * 1.01


# -- 3: gradient descent by hand ----------------------------------------------------------------

def test_gradient_descent_by_hand_with_values_takes_the_lectures_steps():
    """w¹ ← w⁰ − η ∂L/∂w, b¹ ← b⁰ − η ∂L/∂b: the iterates equal numpy's, step for step."""
    b, w, eta = Value(0.5), Value(1.0), 0.01
    nb, nw = 0.5, 1.0
    for _ in range(20):
        b.grad = w.grad = 0.0
        value_loss(b, w, "mse").backward()
        b.data -= eta * b.grad
        w.data -= eta * w.grad
        e = nb + nw * x1 - Y1
        nb, nw = nb - eta * np.mean(2 * e), nw - eta * np.mean(2 * e * x1)
    assert (b.data, w.data) == pytest.approx((nb, nw), rel=1e-12)


TRAIN = 300


@pytest.mark.parametrize("k, eta", [(1, 0.5), (7, 0.1), (28, 0.035)])
def test_more_days_raw_tensors_reach_least_squares(k, eta):
    """y = b + Σⱼ wⱼ xⱼ over the past k days, a hand-written loop on Tensors (float64), reaches
    the closed-form solution (η below 2 / the loss's largest curvature, which grows with k: the
    days are correlated; at 0.1 the 28-day model diverges)."""
    X, y = past_days(VIEWS, k)
    Xs = standardised(X, TRAIN)[:TRAIN]
    xt, yt = Tensor(Xs), Tensor(y[:TRAIN].reshape(-1, 1))
    W = Tensor(np.zeros((k, 1)), requires_grad=True)
    b = Tensor(np.zeros(1), requires_grad=True)
    for _ in range(3000):
        loss = ((xt @ W + b - yt) ** 2).mean()
        W.grad = b.grad = None
        loss.backward()
        with no_grad():
            W -= eta * W.grad
            b -= eta * b.grad
    b_star, w_star = least_squares(Xs, y[:TRAIN])
    np.testing.assert_allclose(W.data[:, 0], w_star, atol=1e-6)
    assert b.data[0] == pytest.approx(b_star, abs=1e-8)


def test_training_loss_falls_with_more_days_and_the_weekly_lag_counts():
    losses = {}
    for k in (1, 7, 28):
        X, y = past_days(VIEWS, k)
        b, w = least_squares(X[:TRAIN], y[:TRAIN])
        losses[k] = np.mean((b + X[:TRAIN] @ w - y[:TRAIN]) ** 2)
        if k == 7:      # a week ago is the same weekday: its weight is large, as in the lecture
            assert w[6] > 0.25
    assert losses[1] > losses[7] > losses[28]


def test_more_days_with_nn_linear_and_fit_reach_least_squares():
    manual_seed(0)
    X, y = past_days(VIEWS, 7)
    Xs = standardised(X, TRAIN)[:TRAIN]
    model = Linear(7, 1).double()
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (Xs, y[:TRAIN, None]),
                  epochs=1500, batch_size=TRAIN, shuffle=False, progress=False)
    b_star, w_star = least_squares(Xs, y[:TRAIN])
    np.testing.assert_allclose(model.weight.data[0], w_star, atol=1e-6)
    assert model.bias.data[0] == pytest.approx(b_star, abs=1e-8)
    # the last epoch's loss is taken before its step: the optimum's loss to rounding
    best = np.mean((b_star + Xs @ w_star - y[:TRAIN]) ** 2)
    assert history["loss"][-1] == pytest.approx(best, rel=1e-9)
    # the lecture's L': the loss on days not seen in training (evaluate, MAE too)
    Xt = standardised(X, TRAIN)[TRAIN:]
    scores = evaluate(model, l1_loss, (Xt, y[TRAIN:, None]))
    assert scores["loss"] == pytest.approx(np.mean(np.abs(b_star + Xt @ w_star - y[TRAIN:])),
                                           rel=1e-5)


# -- model bias: piecewise linear curves = constant + sum of hard sigmoids ----------------------

def test_a_hard_sigmoid_is_two_relus_and_a_curve_is_a_sum_of_them():
    x = Tensor(np.linspace(-3, 3, 61), requires_grad=True)
    hard = x.relu() - (x - 1).relu()                        # 0, then a ramp, then 1
    np.testing.assert_array_equal(hard.data, np.clip(x.data, 0, 1))
    # a piecewise linear curve through (−3, 1), (−1, 2), (1, 0), (3, 1.5): constant + Σ cᵢ hᵢ
    knots, heights = np.array([-3.0, -1.0, 1.0, 3.0]), np.array([1.0, 2.0, 0.0, 1.5])
    curve = heights[0]
    for i in range(3):          # each piece: a hard sigmoid from knot i to i+1, of its rise
        width = knots[i + 1] - knots[i]
        ramp = ((x - knots[i]) / width).relu() - ((x - knots[i]) / width - 1).relu()
        curve = curve + (heights[i + 1] - heights[i]) * ramp
    np.testing.assert_allclose(curve.data, np.interp(x.data, knots, heights), atol=1e-6)
    curve.sum().backward()      # the slope of each piece, summed over the points in it
    slopes = np.diff(heights) / np.diff(knots)
    inside = np.clip(np.searchsorted(knots, x.data, side="right") - 1, 0, 2)
    expected = np.where(np.isin(x.data, knots), np.nan, slopes[inside])     # kinks: left out
    kinkless = ~np.isnan(expected)
    np.testing.assert_allclose(x.grad[kinkless], expected[kinkless], atol=1e-6)


def test_c_sigmoid_b_plus_w_x_approaches_a_hard_sigmoid_as_w_grows():
    """c·sigmoid(b + w x): w the slope, b the shift, c the height (the lecture's three plots)."""
    x = np.linspace(-2, 3, 101)
    far = np.abs(x - 0.5) > 0.3                 # away from the step at x = 0.5
    for w, err in ((10.0, 0.1), (100.0, 1e-6)):
        y = (Tensor(x) * w - 0.5 * w).sigmoid() * 2.0
        np.testing.assert_allclose(y.data[far], 2.0 * (x[far] > 0.5), atol=err)


# -- y = b + cᵀ σ(b + W x): the same model in the three styles, and its gradient ---------------

RNG = np.random.default_rng(1)
W0, B0, C0, BB0 = RNG.normal(size=(4, 3)), RNG.normal(size=4), RNG.normal(size=4), 0.3
XS, YS = past_days(VIEWS[:40], 3)
XS, YS = standardised(XS, len(XS))[:10], YS[:10]


def numpy_sigmoid_model_loss(W, b, c, bb):
    return np.mean((bb + (1 / (1 + np.exp(-(XS @ W.T + b)))) @ c - YS) ** 2)


def finite_differences(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def test_sigmoid_model_in_three_styles_agrees_with_numpy_and_finite_differences():
    # scalar Values: r_i = b_i + Σⱼ w_ij x_j, a_i = σ(r_i), y = b + Σᵢ c_i a_i
    Wv = [[Value(W0[i, j]) for j in range(3)] for i in range(4)]
    bv, cv, bbv = [Value(v) for v in B0], [Value(v) for v in C0], Value(BB0)
    L = Value(0.0)
    for row, target in zip(XS, YS):
        r = [bv[i] + sum((Wv[i][j] * row[j] for j in range(3)), Value(0.0)) for i in range(4)]
        y = bbv + sum((cv[i] * r[i].sigmoid() for i in range(4)), Value(0.0))
        L = L + (y - target) ** 2
    L = L / len(YS)
    L.backward()
    gW_values = np.array([[w.grad for w in row] for row in Wv])
    # raw Tensors, the matrix form: r = X Wᵀ + b, a = σ(r), y = bb + a c
    W, b = Tensor(W0, requires_grad=True), Tensor(B0, requires_grad=True)
    c, bb = Tensor(C0.reshape(-1, 1), requires_grad=True), Tensor([BB0], dtype="float64",
                                                                   requires_grad=True)
    Lt = ((bb + (Tensor(XS) @ W.T + b).sigmoid() @ c - Tensor(YS.reshape(-1, 1))) ** 2).mean()
    Lt.backward()
    # nn modules holding the same numbers
    model = Sequential(Linear(3, 4), Sigmoid(), Linear(4, 1)).double()
    with no_grad():
        model[0].weight.copy_(Tensor(W0))
        model[0].bias.copy_(Tensor(B0))
        model[2].weight.copy_(Tensor(C0.reshape(1, -1)))
        model[2].bias.copy_(Tensor([BB0], dtype="float64"))
    Lm = mse_loss(model(Tensor(XS)), YS.reshape(-1, 1))
    Lm.backward()

    expected = numpy_sigmoid_model_loss(W0, B0, C0, BB0)
    assert (L.data, Lt.item(), Lm.item()) == pytest.approx((expected,) * 3, rel=1e-12)
    fd_W = finite_differences(lambda W_: numpy_sigmoid_model_loss(W_, B0, C0, BB0), W0)
    fd_c = finite_differences(lambda c_: numpy_sigmoid_model_loss(W0, B0, c_, BB0), C0)
    for grad in (gW_values, W.grad, model[0].weight.grad):
        np.testing.assert_allclose(grad, fd_W, rtol=1e-6, atol=1e-8)
    for grad in (np.array([v.grad for v in cv]), c.grad[:, 0], model[2].weight.grad[0]):
        np.testing.assert_allclose(grad, fd_c, rtol=1e-6, atol=1e-8)
    # θ¹ ← θ⁰ − η g, "in one line": the optimizer's step is the hand-written one
    SGD(model.parameters(), lr=0.1).step()
    np.testing.assert_allclose(model[0].weight.data, W0 - 0.1 * fd_W, atol=1e-8)


def test_relu_model_and_two_layers_match_their_formulas():
    """y = b + Σᵢ cᵢ max(0, bᵢ + Σⱼ wᵢⱼ xⱼ), then a' = σ(b' + W' a) stacked: nn's models compute
    the lecture's formulas, and their gradients are numpy's by finite differences."""
    manual_seed(0)
    model = Sequential(Linear(3, 5), ReLU(), Linear(5, 4), Sigmoid(), Linear(4, 1)).double()
    (W1, b1), (W2, b2), (W3, b3) = ((layer.weight.data.copy(), layer.bias.data.copy())
                                    for layer in (model[0], model[2], model[4]))

    def numpy_loss(W1_):
        a = np.maximum(0.0, XS @ W1_.T + b1)
        a2 = 1 / (1 + np.exp(-(a @ W2.T + b2)))
        return np.mean((a2 @ W3.T + b3 - YS.reshape(-1, 1)) ** 2)
    loss = mse_loss(model(Tensor(XS)), YS.reshape(-1, 1))
    loss.backward()
    assert loss.item() == pytest.approx(numpy_loss(W1), rel=1e-12)
    assert np.min(np.abs(XS @ W1.T + b1)) > 1e-3        # no ReLU at its kink
    np.testing.assert_allclose(model[0].weight.grad, finite_differences(numpy_loss, W1),
                               rtol=1e-5, atol=1e-8)


# -- batches, epochs and updates -----------------------------------------------------------------

@pytest.mark.parametrize("n, batch, updates", [(10_000, 10, 1_000), (1_000, 100, 10),
                                               (1_005, 100, 11)])
def test_updates_in_one_epoch(n, batch, updates):
    """The lecture's examples: 1 epoch = every batch seen once, one update per batch."""
    manual_seed(0)
    model = Linear(1, 1)
    X = np.linspace(0, 1, n).reshape(-1, 1)
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.01), (X, 2 * X),
                  epochs=2, batch_size=batch, progress=False, metrics=[])
    assert history.steps == 2 * updates


def test_each_update_follows_its_own_batchs_loss():
    """θ¹ = θ⁰ − η ∇L¹(θ⁰), θ² = θ¹ − η ∇L²(θ¹): fit with batches in order, against numpy."""
    manual_seed(0)
    model = Linear(2, 1).double()
    X = np.random.default_rng(2).normal(size=(30, 2))
    y = X @ np.array([[1.5], [-0.5]]) + 0.25
    w, b = model.weight.data[0].copy(), model.bias.data[0]
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (X, y), epochs=1, batch_size=10,
        shuffle=False, progress=False, metrics=[])
    for start in range(0, 30, 10):
        xb, yb = X[start:start + 10], y[start:start + 10, 0]
        e = xb @ w + b - yb
        w, b = w - 0.1 * 2 * e @ xb / 10, b - 0.1 * 2 * e.mean()
    np.testing.assert_allclose(model.weight.data[0], w, rtol=1e-12)
    assert model.bias.data[0] == pytest.approx(b, rel=1e-12)


# -- overfitting: better on training data, worse on unseen data ---------------------------------

def test_more_features_than_the_days_allow_fit_the_training_days_and_fail_on_new_ones():
    """56 past days as features and 60 days to learn from: the model is better on the training
    days and much worse on the unseen ones than the 7-day model (the lecture's 4 layers). The
    iterates of the Tensor loop are numpy's, step for step."""
    X, y = past_days(VIEWS, 56)
    train, test = slice(0, 60), slice(60, 300)
    losses = {}
    for k, eta in ((7, 0.2), (56, 0.035)):
        mean, spread = X[train, :k].mean(0), X[train, :k].std(0)
        Xs, Xt = (X[train, :k] - mean) / spread, (X[test, :k] - mean) / spread
        W = Tensor(np.zeros((k, 1)), requires_grad=True)
        b = Tensor(np.zeros(1), requires_grad=True)
        A, theta = np.hstack([np.ones((60, 1)), Xs]), np.zeros(k + 1)
        for _ in range(2000):
            loss = ((Tensor(Xs) @ W + b - Tensor(y[train, None])) ** 2).mean()
            W.grad = b.grad = None
            loss.backward()
            with no_grad():
                W -= eta * W.grad
                b -= eta * b.grad
            theta -= eta * 2 * A.T @ (A @ theta - y[train]) / 60
        np.testing.assert_allclose(np.concatenate([b.data, W.data[:, 0]]), theta, rtol=1e-7,
                                   atol=1e-9)
        losses[k] = (np.mean((A @ theta - y[train]) ** 2),
                     np.mean((theta[0] + Xt @ theta[1:] - y[test]) ** 2))
    assert losses[56][0] < losses[7][0] / 10            # better on training data,
    assert losses[56][1] > 2 * losses[7][1]             # worse on unseen data


# -- the learner's mistakes ----------------------------------------------------------------------

XM, YM = standardised(past_days(VIEWS, 7)[0], TRAIN)[:64], past_days(VIEWS, 7)[1][:64]


def test_builtin_losses_refuse_a_column_against_a_vector():
    """(N, 1) − (N,) would broadcast to (N, N): PyTorch's mse_loss warns, glassgrad's refuses."""
    pred = Linear(7, 1).double()(Tensor(XM))
    for loss in (mse_loss, l1_loss):
        with pytest.raises(ValueError, match=r"prediction has shape \(64, 1\) but target has "
                                             r"shape \(64,\).*reshape"):
            loss(pred, YM)


def test_a_hand_written_loss_broadcasts_as_numpy_does():
    """Tensor arithmetic keeps numpy's (and PyTorch's) broadcasting: the learner's
    ((pred - y) ** 2).mean() with y (N,) is the mean over an (N, N) table."""
    pred = Tensor(np.arange(3.0).reshape(-1, 1))
    y = np.array([0.0, 1.0, 5.0])
    assert (pred - Tensor(y)).shape == (3, 3)
    assert ((pred - Tensor(y)) ** 2).mean().item() == pytest.approx(
        np.mean((pred.data - y) ** 2))


def hand_mse(p, t):
    return ((p - t) ** 2).mean()


def test_fit_refuses_a_hand_written_loss_that_broadcasts_a_column_against_a_vector():
    """Before, fit trained on the mean of the (N, N) table without a word (a worse model)."""
    manual_seed(0)
    model = Linear(7, 1)
    with pytest.raises(ValueError, match=r"fit: hand_mse got the model's outputs of shape "
                                         r"\(64, 1\) and targets of shape \(64,\) and broadcast "
                                         r"them.*\(64, 64\).*give y as a column, "
                                         r"y.reshape\(-1, 1\)"):
        fit(model, hand_mse, SGD(model.parameters(), lr=0.05), (XM, YM), epochs=1,
            batch_size=64, progress=False)
    model_of_vectors = Sequential(Linear(7, 1), Flatten(0))        # outputs (N,)
    with pytest.raises(ValueError, match=r"outputs of shape \(64,\) and targets of shape "
                                         r"\(64, 1\).*give y as a vector, y.reshape\(-1\)"):
        fit(model_of_vectors, hand_mse, SGD(model_of_vectors.parameters(), lr=0.05),
            (XM, YM[:, None]), batch_size=64, progress=False)
    with pytest.raises(ValueError, match=r"evaluate: hand_mse got.*broadcast"):
        evaluate(model, hand_mse, (XM, YM))
    # Kai Chen's classification: a sigmoid output, a cross-entropy by hand, 0/1 labels (N,)
    classifier = Sequential(Linear(7, 1), Sigmoid())
    labels = (YM > np.median(YM)).astype(np.int64)
    with pytest.raises(ValueError, match=r"fit: <lambda> got.*\(64, 1\).*\(64,\).*broadcast"):
        fit(classifier, lambda p, t: -(t * p.log() + (1 - t) * (1 - p).log()).mean(),
            SGD(classifier.parameters(), lr=0.1), (XM, labels), batch_size=64, progress=False)


def test_fit_takes_hand_written_losses_that_reshape_themselves():
    """No refusal where the loss puts the shapes together itself: the right numbers."""
    for loss in (lambda p, t: mse_loss(p.reshape(-1), t),
                 lambda p, t: ((p[:, 0] - t) ** 2).mean(),
                 hand_mse):
        manual_seed(0)
        model = Linear(7, 1).double()
        y = YM[:, None] if loss is hand_mse else YM
        history = fit(model, loss, SGD(model.parameters(), lr=0.05), (XM, y), epochs=3,
                      batch_size=64, shuffle=False, progress=False, metrics=[])
        manual_seed(0)
        same = Linear(7, 1).double()
        right = fit(same, mse_loss, SGD(same.parameters(), lr=0.05), (XM, YM[:, None]),
                    epochs=3, batch_size=64, shuffle=False, progress=False, metrics=[])
        assert history["loss"] == pytest.approx(right["loss"], rel=1e-12)
    manual_seed(0)          # README's declared loss: one logit per sample, labels (N,)
    model = Linear(7, 1).double()
    labels = (YM > np.median(YM)).astype(np.int64)
    history = fit(model, lambda z, t: binary_cross_entropy_with_logits(z.reshape(-1), t),
                  SGD(model.parameters(), lr=0.1), (XM, labels), epochs=2, batch_size=64,
                  progress=False, metrics=[])
    z = XM @ model.weight.data[0] + model.bias.data[0]     # after both steps: the loss falls
    assert np.mean(np.logaddexp(0, z) - labels * z) < history["loss"][0]


def test_forgotten_zero_grad_adds_up_gradients_and_updating_p_is_refused():
    p = Tensor(np.zeros((7, 1)), requires_grad=True)
    grads = []
    for _ in range(3):
        ((Tensor(XM) @ p - YM[:, None]) ** 2).mean().backward()
        grads.append(p.grad.copy())
    np.testing.assert_allclose(grads[2], 3 * grads[0])      # PyTorch's accumulation
    with pytest.raises(RuntimeError, match=r"-= on a tensor that requires grad.*no_grad"):
        p -= 0.1 * p.grad
    w = Value(1.0)
    (w * 2.0).backward()
    with pytest.raises(RuntimeError, match=r"p.data -= \.\.\."):
        w -= 0.1 * w.grad


def test_an_update_that_forgets_grad_names_it():
    """`p.data -= lr * p`: before, the error suggested t.detach(), which would run silently
    as a decay of the weights."""
    model = Linear(7, 1)
    mse_loss(model(Tensor(XM.astype(np.float32))), YM[:, None]).backward()
    for p in model.parameters():
        with pytest.raises(RuntimeError, match=r"array -= Tensor: .* computed from the "
                                               r"parameter.*was \.grad forgotten\? The step is "
                                               r"p\.data -= lr \* p\.grad"):
            p.data -= 0.1 * p
        with pytest.raises(RuntimeError, match=r"was \.grad forgotten"):
            p.data += -0.1 * (p * 1.0)
    other = Tensor(np.ones((1, 7), np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"is the result of mul.*t\.detach\(\)"):
        model.weight.data -= 0.1 * other        # not computed from the parameter: as before


def test_a_1d_x_in_matmul_is_named_with_the_column_it_should_be():
    x = Tensor(XM[:, 0])                                   # (N,) where (N, 1) is meant
    with pytest.raises(ValueError, match=r"matmul: shapes \(64,\) and \(1, 5\) are not aligned "
                                         r"\(64 != 1\); a 1-d left operand is one sample of 64 "
                                         r"features.*x.reshape\(-1, 1\)"):
        x @ Tensor(np.ones((1, 5)))
    with pytest.raises(ValueError, match=r"Linear.*a 1-d input is one sample.*reshape\(-1, 1\)"):
        Linear(1, 1)(Tensor(XM[:, 0].astype(np.float32)))


def test_w_x_written_for_a_batch_of_rows_is_named_with_the_transpose():
    W, X = Tensor(np.ones((4, 7))), Tensor(XM)             # the lecture's r = W x, X (N, 7)
    with pytest.raises(ValueError, match=r"\(4, 7\) and \(64, 7\) are not aligned.*both have 7 "
                                         r"columns.*a @ b.T"):
        W @ X


def test_a_column_bias_written_as_a_vector_is_named():
    """r = b + W x with the samples as columns: b (4,) must be a column against (4, N)."""
    W, X = Tensor(np.ones((4, 7))), Tensor(XM)
    with pytest.raises(ValueError, match=r"add: shapes \(4,\) and \(4, 64\) cannot be broadcast "
                                         r"together; a vector lines up with the last axis.*"
                                         r"v.reshape\(-1, 1\)"):
        Tensor(np.zeros(4)) + W @ X.T
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(4,\) cannot be broadcast "
                                         r"together$"):
        Tensor(np.zeros(3)) + Tensor(np.zeros(4))          # no hint where none applies


def test_pythons_max_of_0_and_a_tensor_points_at_relu():
    """The lecture's c max(0, b + w x) written with Python's max."""
    with pytest.raises(ValueError, match=r"ambiguous.*max\(0, t\).*t.relu\(\)"):
        max(0, Tensor(XM))


def test_a_learning_rate_too_big_diverges_and_fit_says_so():
    manual_seed(0)
    model = Linear(7, 1)
    with pytest.raises(TrainingDiverged, match=r"the loss became inf.*smaller learning rate"):
        fit(model, mse_loss, SGD(model.parameters(), lr=5.0), (XM, YM[:, None]), epochs=100,
            batch_size=64, progress=False)
    b, w = Value(0.5), Value(1.0)
    with pytest.raises(OverflowError,
                       match=r"pow: .* \*\* 2 is too large for a float.*smaller learning rate"):
        for _ in range(200):
            b.grad = w.grad = 0.0
            value_loss(b, w, "mse").backward()
            b.data -= 1.0 * b.grad
            w.data -= 1.0 * w.grad


def test_integer_views_train_as_floats():
    """Views are counts: integer data meet float weights as floats (PyTorch's promotion)."""
    X = np.round(XM * 100).astype(np.int64)
    model = Linear(7, 1)
    out = model(Tensor(X))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, model(Tensor(X.astype(np.float32))).data)
    with pytest.raises(TypeError, match=r"only floating-point tensors can require grad"):
        Tensor([[1, 2]], requires_grad=True)


def test_sigmoid_at_large_inputs():
    """σ at ±1000 is 0 or 1 with slope 0, never NaN or an overflow."""
    z = Tensor(np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0]), requires_grad=True)
    s = z.sigmoid()
    s.sum().backward()
    expected = np.array([0.0, math.exp(-100) / (1 + math.exp(-100)), 0.5, 1.0, 1.0])
    np.testing.assert_allclose(s.data, expected, rtol=1e-12)
    np.testing.assert_allclose(z.grad, expected * (1 - expected), rtol=1e-12, atol=1e-300)
    z32 = Tensor(np.array([-100.0, 100.0], np.float32)).sigmoid()
    assert np.isfinite(z32.data).all() and z32.data[1] == 1.0
    assert Value(-1000.0).sigmoid().data == 0.0


def test_a_values_hand_written_sigmoid_that_overflows_points_at_sigmoid():
    """1 / (1 + e^(−z)) of a Value overflows as math.exp does; the error says sigmoid() won't."""
    v = Value(-1000.0)
    with pytest.raises(OverflowError, match=r"exp: e \*\* 1000.0 is too large.*z.sigmoid\(\)"):
        1 / (1 + (-v).exp())
