"""fit(..., sample_weight=w): each sample's loss counts w_i times, Σ w_i l_i / Σ w_i per batch
(nn/sample_weights.py). The weights follow their rows through shuffling; integer weights equal
repeated rows; all-ones weights equal no weights; val_data=(X, y, w) weighs the validation
scores; bad weights and losses that cannot weigh their samples are refused before any step."""

from __future__ import annotations

import functools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, manual_seed
from nn import (MLP, Embedding, Linear, Module, binary_cross_entropy_with_logits, cross_entropy,
                fit, mse_loss)
from nn import losses as L
from nn import sample_weights
from nn.data import DataLoader, TensorDataset, random_split
from nn.metrics import accuracy_score
from nn.optim import SGD, Adam
from nn.scalar import MLP as ScalarMLP
from nn.selection import cross_validate, learning_curve


# -- data and models: classification and regression --------------------------------------------

def _data(task: str, n: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    if task == "classification":
        return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    return X, (X @ np.array([1.0, -2.0, 0.5]) + 0.3).reshape(-1, 1)


def _model(task: str, seed: int = 0) -> MLP:
    manual_seed(seed)
    return MLP(3, [5], 2 if task == "classification" else 1).double()


def _loss(task: str):
    return cross_entropy if task == "classification" else mse_loss


TASKS = ("classification", "regression")


def _params(model: Module) -> list[np.ndarray]:
    return [p.data.copy() for p in model.parameters()]


def _largest_difference(a: Module, b: Module) -> float:
    return max(float(np.abs(p.data - q.data).max()) for p, q in zip(a.parameters(),
                                                                     b.parameters()))


class CountingSGD(SGD):
    """SGD that counts its steps: an error raised 'before the first step' leaves it at 0."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.taken = 0

    def step(self, closure=None):
        self.taken += 1
        return super().step(closure)


# -- the gradient of one weighted step -----------------------------------------------------------

@pytest.mark.parametrize("task", TASKS)
def test_one_weighted_step_follows_the_finite_difference_gradient(task):
    """One full-batch SGD step with lr=1 moves the parameters by minus the gradient of
    Σ w_i l_i / Σ w_i; that gradient, from the step, matches central differences of the
    weighted loss computed here by hand, in float64 at a non-trivial point."""
    X, y = _data(task)
    w = np.random.default_rng(1).uniform(0.1, 3.0, size=len(X))
    model = _model(task)
    before = _params(model)
    fit(model, _loss(task), SGD(model.parameters(), lr=1.0), (X, y), epochs=1,
        batch_size=len(X), shuffle=False, progress=False, sample_weight=w)
    stepped = [b - p.data for b, p in zip(before, model.parameters())]     # = the gradient

    for p, b in zip(model.parameters(), before):
        p.data[...] = b                                 # back to the point of the step

    def weighted_loss() -> float:
        per_sample = _loss(task)(model(Tensor(X)), y, reduction="none").data
        per_sample = per_sample.reshape(len(X), -1).mean(axis=1)
        return float(np.sum(w * per_sample) / np.sum(w))

    eps = 1e-6
    for p, grad in zip(model.parameters(), stepped):
        numeric = np.zeros_like(p.data)
        for index in np.ndindex(p.data.shape):
            kept = p.data[index]
            p.data[index] = kept + eps
            up = weighted_loss()
            p.data[index] = kept - eps
            down = weighted_loss()
            p.data[index] = kept
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    assert np.abs(np.concatenate([g.ravel() for g in stepped])).max() > 1e-3   # (not trivial)


# -- integer weights are repeated rows -----------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(weights=st.lists(st.integers(0, 3), min_size=6, max_size=6),
       task=st.sampled_from(TASKS), seed=st.integers(0, 2 ** 16))
def test_integer_weights_train_as_the_rows_repeated(weights, task, seed):
    """One batch of all the data, SGD, the same initial weights: fit with w equals fit on
    np.repeat(rows, w) to float rounding. (With mini-batches the repeated data has more rows,
    so its batches hold other samples and there are more steps per epoch: no equality.)"""
    w = np.array(weights)
    if not w.any():
        w[seed % len(w)] = 1
    X, y = _data(task, n=len(w), seed=seed)
    repeated = np.repeat(np.arange(len(w)), w)
    weighted, plain = _model(task, seed), _model(task, seed)
    fit(weighted, _loss(task), SGD(weighted.parameters(), lr=0.2), (X, y), epochs=3,
        batch_size=len(X), progress=False, seed=seed, sample_weight=w)
    fit(plain, _loss(task), SGD(plain.parameters(), lr=0.2), (X[repeated], y[repeated]),
        epochs=3, batch_size=len(repeated), progress=False, seed=seed)
    assert _largest_difference(weighted, plain) < 1e-12


class Tagger(Module):
    """A classifier of positions: tokens (N, T) -> scores (N, C, T)."""

    def __init__(self):
        self.embed, self.out = Embedding(5, 4), Linear(4, 3)

    def forward(self, tokens):
        return self.out(self.embed(tokens)).transpose(1, 2)


def _sequences(n: int = 10):
    rng = np.random.default_rng(3)
    X, Y = rng.integers(0, 5, size=(n, 6)), rng.integers(0, 3, size=(n, 6))
    Y[:, 3:][rng.random((n, 3)) < 0.6] = -100           # padding of different lengths
    return X, Y


def test_positions_count_with_their_samples_weight_ignored_ones_not_at_all():
    """cross_entropy over (N, C, T) with labels (N, T): each position counts its sample's
    weight, the ignore_index positions nothing, so integer weights still equal repeated rows
    and the recorded loss is Σ_i w_i Σ_t l_it / Σ_i w_i n_i."""
    X, Y = _sequences()
    w = np.array([2, 0, 1, 3, 1, 1, 0, 2, 1, 1])
    repeated = np.repeat(np.arange(len(w)), w)
    manual_seed(0)
    weighted = Tagger().double()
    manual_seed(0)
    plain = Tagger().double()
    first = _params(weighted)
    history = fit(weighted, cross_entropy, SGD(weighted.parameters(), lr=0.5), (X, Y),
                  epochs=2, batch_size=len(X), progress=False, sample_weight=w)
    fit(plain, cross_entropy, SGD(plain.parameters(), lr=0.5), (X[repeated], Y[repeated]),
        epochs=2, batch_size=len(repeated), progress=False)
    assert _largest_difference(weighted, plain) < 1e-12

    for p, b in zip(weighted.parameters(), first):      # the first epoch's loss, by hand
        p.data[...] = b
    per_position = cross_entropy(weighted(Tensor(X)), Y, reduction="none").data
    kept = Y != -100
    expected = (w[:, None] * per_position).sum() / (w[:, None] * kept).sum()
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_class_weights_of_the_loss_and_sample_weights_together():
    """CrossEntropyLoss(weight=...) divides its mean by Σ weight[y]; with sample weights by
    Σ w_i weight[y_i], so integer weights are still repeated rows."""
    X, y = _data("classification", n=12)
    w = np.array([1, 2, 0, 1, 3, 1, 1, 0, 2, 1, 1, 1])
    repeated = np.repeat(np.arange(len(w)), w)
    loss = L.CrossEntropyLoss([1.0, 4.0], label_smoothing=0.1)
    weighted, plain = _model("classification"), _model("classification")
    fit(weighted, loss, SGD(weighted.parameters(), lr=0.3), (X, y), epochs=3,
        batch_size=len(X), progress=False, sample_weight=w)
    fit(plain, loss, SGD(plain.parameters(), lr=0.3), (X[repeated], y[repeated]), epochs=3,
        batch_size=len(repeated), progress=False)
    assert _largest_difference(weighted, plain) < 1e-12
    assert loss.reduction == "mean"                 # the user's module is left as it was


@pytest.mark.parametrize("loss, task", [
    (binary_cross_entropy_with_logits, "two_class"), (L.BCEWithLogitsLoss(pos_weight=[2.0]),
                                                      "two_class"),
    (L.MSELoss(reduction="sum"), "regression"), (L.HuberLoss(delta=0.5), "regression"),
    (functools.partial(cross_entropy, weight=[1.0, 3.0]), "classification"),
    (L.MultiMarginLoss(), "classification")],
    ids=["bce_logits", "BCEWithLogitsLoss", "MSELoss_sum", "HuberLoss", "partial_ce",
         "MultiMarginLoss"])
def test_other_losses_weigh_as_repeated_rows(loss, task):
    X, y = _data("regression" if task == "two_class" else task, n=10)
    if task == "two_class":
        y, task = (X[:, :1] > 0).astype(np.float64), "regression"     # (one output)
    w = np.array([1, 2, 0, 1, 3, 1, 1, 2, 1, 1])
    repeated = np.repeat(np.arange(len(w)), w)
    weighted, plain = _model(task), _model(task)
    fit(weighted, loss, SGD(weighted.parameters(), lr=0.05), (X, y), epochs=2,
        batch_size=len(X), progress=False, sample_weight=w)
    fit(plain, loss, SGD(plain.parameters(), lr=0.05), (X[repeated], y[repeated]), epochs=2,
        batch_size=len(repeated), progress=False)
    assert _largest_difference(weighted, plain) < 1e-10


def test_a_scalar_model_weighs_its_samples_too():
    X, y = _data("regression", n=6)
    y = y[:, 0]
    w = np.array([1, 0, 2, 1, 3, 1])
    repeated = np.repeat(np.arange(len(w)), w)
    models = []
    for data, weights in (((X, y), w), ((X[repeated], y[repeated]), None)):
        random.seed(0)
        model = ScalarMLP(3, [3, 1])
        fit(model, mse_loss, SGD(model.parameters(), lr=0.05), data, epochs=2,
            batch_size=len(data[0]), progress=False, sample_weight=weights)
        models.append(model)
    assert max(abs(p.data - q.data) for p, q in zip(*(m.parameters() for m in models))) < 1e-12


# -- the weights follow their samples ------------------------------------------------------------

def test_shuffled_batches_keep_each_weight_with_its_sample(monkeypatch):
    """y_i = i, w_i = 10 i + 1: every batch the weighted loss sees pairs them so, though the
    rows come shuffled, in batches of 4, over several epochs."""
    n = 23
    X = np.random.default_rng(0).normal(size=(n, 3))
    y = np.arange(n, dtype=np.float64).reshape(-1, 1)
    w = 10.0 * np.arange(n) + 1.0
    seen = []
    call = sample_weights.WeightedLoss.__call__

    def recording(self, outputs, targets, weights):
        seen.append((np.asarray(targets).ravel().copy(), np.asarray(weights).copy()))
        return call(self, outputs, targets, weights)

    monkeypatch.setattr(sample_weights.WeightedLoss, "__call__", recording)
    model = _model("regression")
    fit(model, mse_loss, SGD(model.parameters(), lr=1e-4), (X, y), epochs=3, batch_size=4,
        progress=False, seed=5, sample_weight=w)
    assert len(seen) == 3 * 6
    for targets, weights in seen:
        np.testing.assert_array_equal(weights, 10.0 * targets + 1.0)
    order = np.concatenate([targets for targets, _ in seen[:6]])
    assert sorted(order) == list(range(n)) and list(order) != list(range(n))   # shuffled


def test_shuffled_training_leaves_out_the_rows_of_weight_zero():
    """Outliers (y = 50) of weight 0, shuffled in mini-batches: the line fits the other
    rows; if a weight strayed to another row, the outliers would pull it away."""
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(60, 1))
    y = 2.0 * X + 1.0
    outliers = rng.random(60) < 0.25
    y[outliers] = 50.0
    manual_seed(0)
    model = MLP(1, [], 1).double()
    fit(model, mse_loss, SGD(model.parameters(), lr=0.2), (X, y), epochs=150, batch_size=8,
        progress=False, seed=0, sample_weight=(~outliers).astype(float))
    np.testing.assert_allclose(model[0].weight.data, [[2.0]], atol=1e-6)
    np.testing.assert_allclose(model[0].bias.data, [1.0], atol=1e-6)


def test_several_inputs_carry_their_weights():
    class Sum(Module):
        def __init__(self):
            self.a, self.b = Linear(2, 1), Linear(1, 1)

        def forward(self, xa, xb):
            return self.a(xa) + self.b(xb)

    rng = np.random.default_rng(0)
    Xa, Xb = rng.normal(size=(9, 2)), rng.normal(size=(9, 1))
    y = Xa[:, :1] - Xb
    w = np.array([1, 0, 2, 1, 1, 3, 1, 0, 1])
    repeated = np.repeat(np.arange(9), w)
    models = []
    for data, weights in ((((Xa, Xb), y), w), (((Xa[repeated], Xb[repeated]), y[repeated]),
                                                 None)):
        manual_seed(0)
        model = Sum().double()
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), data, epochs=2,
            batch_size=len(data[1]), progress=False, sample_weight=weights)
        models.append(model)
    assert _largest_difference(*models) < 1e-12


# -- all-ones weights are no weights -------------------------------------------------------------

@pytest.mark.parametrize("optimizer", [SGD, Adam])
@pytest.mark.parametrize("task", TASKS)
def test_all_ones_weights_train_bit_for_bit_as_no_weights(task, optimizer):
    """Shuffled mini-batches, float32 (the default model): the same parameters and the same
    history, bit for bit, for a loss of one number per sample (cross_entropy) or per target
    (mse_loss): its "none" losses summed and divided by n are its own mean. (Per-position
    cross_entropy with ignored positions agrees to rounding only: the fused loss sums the
    kept positions in another order.)"""
    X, y = _data(task, n=50)
    X, y = X.astype(np.float32), y if task == "classification" else y.astype(np.float32)
    runs = []
    for weights in (None, np.ones(len(X))):
        manual_seed(0)
        model = MLP(3, [8], 2 if task == "classification" else 1)
        history = fit(model, _loss(task), optimizer(model.parameters(), lr=0.05), (X, y),
                      epochs=3, batch_size=16, seed=3, progress=False, sample_weight=weights,
                      val_data=(X, y) if weights is None else (X, y, weights))
        runs.append((model, history))
    (plain, plain_history), (ones, ones_history) = runs
    assert all(np.array_equal(p.data, q.data) for p, q in zip(plain.parameters(),
                                                              ones.parameters()))
    for name in plain_history.keys():
        assert plain_history[name] == ones_history[name], name


def test_weights_of_any_scale_train_alike():
    """Σ w l / Σ w: w and 1000 w give the same steps (to rounding)."""
    X, y = _data("regression")
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    models = []
    for scale in (1.0, 1000.0):
        model = _model("regression")
        fit(model, mse_loss, SGD(model.parameters(), lr=0.05), (X, y), epochs=2,
            batch_size=8, seed=0, progress=False, sample_weight=scale * w)
        models.append(model)
    assert _largest_difference(*models) < 1e-12


# -- what the history records --------------------------------------------------------------------

@pytest.mark.parametrize("task", TASKS)
def test_history_and_validation_scores_are_weighted(task):
    X, y = _data(task, n=30)
    Xv, yv = _data(task, n=20, seed=9)
    w = np.random.default_rng(4).uniform(0.0, 3.0, len(X))
    wv = np.random.default_rng(5).integers(0, 4, len(Xv)).astype(float)
    wv[0] = 2.0
    model = _model(task)
    start = _params(model)
    metric = "accuracy" if task == "classification" else "mse"
    history = fit(model, _loss(task), SGD(model.parameters(), lr=0.1), (X, y), epochs=1,
                  batch_size=7, shuffle=False, progress=False, sample_weight=w,
                  val_data=(Xv, yv, wv), metrics=[metric])

    def per_sample(data_x, data_y):
        losses = _loss(task)(model(Tensor(data_x)), data_y, reduction="none").data
        return losses.reshape(len(data_x), -1).mean(axis=1)

    # validation: scored after the epoch, with the final weights, in batches of 7
    assert history["val_loss"][0] == pytest.approx(np.average(per_sample(Xv, yv), weights=wv),
                                                   rel=1e-12)
    outputs = model(Tensor(Xv)).data
    if task == "classification":
        expected = accuracy_score(yv, outputs.argmax(1), sample_weight=wv)
    else:
        expected = np.average((outputs - yv)[:, 0] ** 2, weights=wv)
    assert history["val_" + metric][0] == pytest.approx(expected, rel=1e-12)

    # training: each batch's loss before its step, weighed by the batch's total weight
    for p, b in zip(model.parameters(), start):
        p.data[...] = b
    total = 0.0
    optimizer = SGD(model.parameters(), lr=0.1)
    for first in range(0, len(X), 7):
        rows = slice(first, first + 7)
        losses = _loss(task)(model(Tensor(X[rows])), y[rows], reduction="none")
        weights = w[rows].reshape((-1,) + (1,) * (losses.ndim - 1))
        total += float((losses.data * weights).sum())
        optimizer.zero_grad()
        ((losses * weights).sum() / float(np.sum(weights * np.ones(losses.shape)))).backward()
        optimizer.step()
    assert history["loss"][0] == pytest.approx(total / w.sum(), rel=1e-10)


def test_validation_weights_alone_weigh_only_the_validation_scores():
    X, y = _data("classification", n=20)
    wv = np.zeros(len(X))
    wv[:5] = 1.0
    model = _model("classification")
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y),
                  progress=False, val_data=(X, y, wv), metrics=["accuracy", "log_loss"])
    assert history["val_loss"][0] == pytest.approx(history["val_log_loss"][0], rel=1e-9)
    outputs = model(Tensor(X[:5])).data
    assert history["val_accuracy"][0] == accuracy_score(y[:5], outputs.argmax(1))


def test_a_batch_whose_samples_all_weigh_zero_steps_on_a_zero_gradient():
    X, y = _data("regression", n=8)
    w = np.array([0, 0, 0, 0, 1, 2, 1, 1.0])
    model = _model("regression")
    optimizer = CountingSGD(model.parameters(), lr=0.1)
    before = _params(model)
    history = fit(model, mse_loss, optimizer, (X, y), epochs=1, batch_size=4, shuffle=False,
                  progress=False, sample_weight=w)
    assert optimizer.taken == 2 and np.isfinite(history["loss"][0])
    # only the second batch moved the weights: the same as training on it alone
    alone = _model("regression")
    fit(alone, mse_loss, SGD(alone.parameters(), lr=0.1), (X[4:], y[4:]), epochs=1,
        batch_size=4, progress=False, sample_weight=w[4:])
    assert _largest_difference(model, alone) < 1e-15
    assert any(not np.array_equal(b, p.data) for b, p in zip(before, model.parameters()))


# -- refused, before the first step --------------------------------------------------------------

def _refused(error, match, *, loss=cross_entropy, data=None, task="classification", **kwargs):
    X, y = _data(task, n=10)
    model = _model(task)
    optimizer = CountingSGD(model.parameters(), lr=0.1)
    with pytest.raises(error, match=match):
        fit(model, loss, optimizer, (X, y) if data is None else data, progress=False, **kwargs)
    assert optimizer.taken == 0


@pytest.mark.parametrize("weights, error, match", [
    (np.ones(9), ValueError, r"^fit: sample_weight has 9 weights for 10 samples"),
    (np.r_[-1.0, np.ones(9)], ValueError, r"^fit: sample_weight holds negative values"),
    (np.r_[np.nan, np.ones(9)], ValueError, r"^fit: sample_weight contains NaN or infinity"),
    (np.r_[np.inf, np.ones(9)], ValueError, r"^fit: sample_weight contains NaN or infinity"),
    (np.zeros(10), ValueError, r"^fit: sample_weight is all zeros"),
    (np.ones((10, 1)), ValueError, r"^fit: sample_weight has shape \(10, 1\); expected a 1-D"),
    (np.array(["1"] * 10), TypeError, r"^fit: sample_weight must be numbers"),
], ids=["length", "negative", "nan", "inf", "all_zero", "2d", "text"])
def test_bad_weights_are_refused_before_the_first_step(weights, error, match):
    _refused(error, match, sample_weight=weights)


def test_a_dataloader_with_weights_is_refused():
    X, y = _data("classification", n=10)
    _refused(ValueError, r"^fit: sample_weight needs train_data as arrays \(X, y\).*"
                         r"TensorDataset\(X, y, w\)",
             data=DataLoader(X, y, batch_size=4, shuffle=True), sample_weight=np.ones(10))


def test_a_dataset_of_samples_with_weights_is_refused_but_a_tensordataset_trains():
    X, y = _data("classification", n=10)
    part, _ = random_split(TensorDataset(X, y), [6, 4])
    _refused(ValueError, r"^fit: sample_weight needs .* dataset of samples \(Subset\)",
             data=part, sample_weight=np.ones(6))
    model = _model("classification")
    fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), TensorDataset(X, y),
        progress=False, sample_weight=np.arange(10.0))


def test_a_loss_without_reduction_is_refused_with_what_to_write():
    _refused(TypeError, r"^fit: sample_weight needs each sample's loss, and your loss \(a "
                        r"lambda\) takes no reduction=.*def my_loss\(outputs, y, "
                        r"reduction='mean'\)", loss=lambda z, t: cross_entropy(z, t),
             sample_weight=np.ones(10))

    def penalised(z, t):
        return cross_entropy(z, t) * 2.0
    _refused(TypeError, r"^fit: sample_weight needs each sample's loss, and penalised takes no "
                        r"reduction=", loss=penalised, sample_weight=np.ones(10))
    # a functools.wraps wrapper is judged by its own parameters, not the loss it wraps
    wrapped = functools.wraps(cross_entropy)(lambda z, t: cross_entropy(z, t))
    _refused(TypeError, r"takes no reduction=", loss=wrapped, sample_weight=np.ones(10))
    _refused(TypeError, r"takes no reduction=", loss=lambda z, t: cross_entropy(z, t),
             val_data=(_data("classification", n=10)[0], _data("classification", n=10)[1],
                       np.ones(10)))


def test_a_loss_of_reduction_none_or_giving_no_loss_per_sample_is_refused():
    _refused(ValueError, r"^fit: sample_weight .* CrossEntropyLoss has reduction='none'",
             loss=L.CrossEntropyLoss(reduction="none"), sample_weight=np.ones(10))

    def averaged(z, t, reduction="mean"):         # ignores its reduction
        return cross_entropy(z, t)
    _refused(ValueError, r"^fit: sample_weight weighs one loss per sample, but averaged\(outputs, "
                         r"y, reduction='none'\) gave Tensor of shape \(\)",
             loss=averaged, sample_weight=np.ones(10))


def test_a_hand_written_loss_with_reduction_trains_weighted():
    def squared(pred, target, reduction="mean"):
        errors = (pred - target) ** 2
        return errors if reduction == "none" else errors.mean()
    X, y = _data("regression", n=8)
    w = np.array([1, 2, 0, 1, 1, 3, 1, 1])
    repeated = np.repeat(np.arange(8), w)
    weighted, plain = _model("regression"), _model("regression")
    fit(weighted, squared, SGD(weighted.parameters(), lr=0.05), (X, y), batch_size=8,
        progress=False, sample_weight=w)
    fit(plain, squared, SGD(plain.parameters(), lr=0.05), (X[repeated], y[repeated]),
        batch_size=len(repeated), progress=False)
    assert _largest_difference(weighted, plain) < 1e-12


def test_a_hand_written_loss_that_broadcasts_is_still_caught_with_weights():
    def squared(pred, target, reduction="mean"):
        errors = (pred - target) ** 2
        return errors if reduction == "none" else errors.mean()
    X, y = _data("regression", n=8)
    _refused(ValueError, r"broadcast them together", loss=squared, data=(X, y[:, 0]),
             task="regression", sample_weight=np.ones(8))


def test_bad_validation_weights_are_refused_before_the_first_step():
    X, y = _data("classification", n=10)
    _refused(ValueError, r"^fit: val_data \(X, y, w\): w has 3 weights for 10 samples",
             val_data=(X, y, np.ones(3)))
    _refused(ValueError, r"^fit: val_data \(X, y, w\): w holds negative values",
             val_data=(X, y, -np.ones(10)))


def test_a_metric_without_sample_weight_is_refused_when_weighted():
    def errors(y_true, y_pred):
        return float(np.sum(y_true != y_pred))
    _refused(ValueError, r"^fit: sample_weight is given, but the metric 'errors' takes no "
                         r"sample_weight=", metrics=[errors], sample_weight=np.ones(10))


def test_train_data_given_as_x_y_w_says_to_pass_the_weights_by_name():
    X, y = _data("classification", n=10)
    _refused(TypeError, r"give the weights by name: .*sample_weight=w", data=(X, y, np.ones(10)))


def test_model_selection_refuses_to_pass_the_weights_on_to_every_fit():
    X, y = _data("classification", n=20)

    def build():
        model = _model("classification")
        return model, cross_entropy, SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"^cross_validate: fit's sample_weight cannot be "
                                         r"passed on.*cross_validate\(\.\.\., sample_weight=w\) "
                                         r"weighs the scores"):
        cross_validate(build, X, y, cv=2, fit_kwargs={"sample_weight": np.ones(20)})
    with pytest.raises(TypeError, match=r"^learning_curve: fit's sample_weight cannot be "
                                        r"passed on"):
        learning_curve(build, X, y, [0.5, 1.0], sample_weight=np.ones(20))


def test_a_loss_module_of_your_own_is_read_by_its_forward():
    class Plain(Module):
        def forward(self, z, t):
            return cross_entropy(z, t)

    class Reducing(Module):
        def forward(self, z, t, reduction="mean"):
            return cross_entropy(z, t, reduction=reduction)
    Plain.task = Reducing.task = "multiclass"
    _refused(TypeError, r"^fit: sample_weight needs each sample's loss, and Plain takes no "
                        r"reduction=", loss=Plain(), sample_weight=np.ones(10))
    X, y = _data("classification", n=10)
    w = np.array([1, 2, 0, 1, 3, 1, 1, 2, 1, 1])
    repeated = np.repeat(np.arange(len(w)), w)
    weighted, plain = _model("classification"), _model("classification")
    fit(weighted, Reducing(), SGD(weighted.parameters(), lr=0.1), (X, y), batch_size=10,
        progress=False, sample_weight=w)
    fit(plain, Reducing(), SGD(plain.parameters(), lr=0.1), (X[repeated], y[repeated]),
        batch_size=len(repeated), progress=False)
    assert _largest_difference(weighted, plain) < 1e-12


def test_validation_weights_with_a_loss_without_reduction_name_them():
    X, y = _data("classification", n=10)
    _refused(TypeError, r"^fit: the w of val_data=\(X, y, w\) needs each sample's loss",
             loss=lambda z, t: cross_entropy(z, t), val_data=(X, y, np.ones(10)))
