"""nn.train: fit, evaluate, History, EarlyStopping, the decision rules."""

import json
import pathlib
import random
import re
import sys
import warnings

import numpy as np
import pytest

from autograd import Tensor, manual_seed
from nn import (
    MLP, BCEWithLogitsLoss, CrossEntropyLoss, EarlyStopping, Linear, LinearRegression,
    LogisticRegression, Module, Parameter, SoftmaxRegression, binary_cross_entropy,
    binary_cross_entropy_with_logits, cross_entropy, evaluate, fit, hinge_loss, mse_loss, scalar,
)
from nn.data import (BatchSampler, DataLoader, Dataset, IterableDataset, SequentialSampler,
                     Subset, TensorDataset, random_split)
from nn.io import load, save
from nn.optim import LBFGS, SGD, Adam
from nn.optim.lr_scheduler import CyclicLR, OneCycleLR, ReduceLROnPlateau, StepLR
from nn.train import History, TrainingDiverged, predict_labels


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-1.5, 0.6, (60, 2)), rng.normal(1.5, 0.6, (60, 2))])
    y = np.repeat([0, 1], 60)
    order = rng.permutation(120)
    return X[order].astype(np.float32), y[order]


def test_fit_trains_a_classifier_and_records_every_epoch(blobs):
    X, y = blobs
    manual_seed(0)
    model = SoftmaxRegression(2, 2)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.5), (X[:90], y[:90]),
                  epochs=5, val_data=(X[90:], y[90:]), metrics=("accuracy", "f1"),
                  batch_size=16, progress=False)
    assert isinstance(history, History) and history.epochs == 5
    assert set(history.history) == {"loss", "accuracy", "f1", "val_loss", "val_accuracy",
                                     "val_f1", "lr"}
    assert all(len(v) == 5 for v in history.history.values())
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] == 1.0
    assert history.best_epoch == 1 + int(np.argmin(history["val_loss"]))
    assert "History(epochs=5, best_epoch=" in repr(history)
    assert f"; epoch 5: loss={history['loss'][-1]:.4g}" in repr(history)    # whose numbers


def test_validation_scores_are_those_of_evaluate(blobs):
    X, y = blobs
    model = LogisticRegression(2)
    history = fit(model, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.3),
                  (X[:90], y[:90]), epochs=3, val_data=(X[90:], y[90:]), progress=False)
    scores = evaluate(model, binary_cross_entropy_with_logits, (X[90:], y[90:]), ["accuracy"])
    assert scores["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)
    assert scores["accuracy"] == history["val_accuracy"][-1]
    logits = model(X[90:]).numpy()
    assert scores["accuracy"] == np.mean((logits > 0) == y[90:])


def test_a_data_loader_and_an_xy_pair_give_the_same_run(blobs):
    X, y = blobs
    runs = []
    for data, options in ((DataLoader(X, y, batch_size=20, shuffle=True, seed=3), {}),
                          ((X, y), {"batch_size": 20, "seed": 3})):
        manual_seed(1)
        model = MLP(2, [4], 2)
        runs.append(fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), data, epochs=3,
                        progress=False, **options)["loss"])
    assert runs[0] == runs[1]


class _Samples(Dataset):
    """A user's own dataset over arrays X, y: sample i is (X[i], y[i])."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def test_a_users_dataset_trains_and_scores_as_its_arrays_do(blobs):
    """fit and evaluate took only arrays and TensorDatasets; a user's Dataset through a
    DataLoader gives the same run, shuffles included, as the arrays it holds."""
    X, y = blobs
    runs = []
    for train, val in ((_Samples(X[:90], y[:90]), _Samples(X[90:], y[90:])),
                       (TensorDataset(X[:90], y[:90]), TensorDataset(X[90:], y[90:]))):
        manual_seed(1)
        model = MLP(2, [4], 2)
        history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1),
                      DataLoader(train, batch_size=20, shuffle=True, seed=3), epochs=3,
                      val_data=DataLoader(val, batch_size=7), progress=False)
        scores = evaluate(model, cross_entropy, DataLoader(val, batch_size=8))
        runs.append((history["loss"], history["val_accuracy"], scores))
    assert runs[0] == runs[1]
    assert runs[0][2]["accuracy"] > 0.9


def test_a_dataset_given_to_fit_is_batched_by_fits_options(blobs):
    """random_split's Subsets (or any Dataset) go to fit and evaluate as they are, batched by
    batch_size, shuffle and seed as an (X, y) pair is (they were refused: "must be a DataLoader
    or an (X, y) pair")."""
    X, y = blobs
    train, val = random_split(_Samples(X, y), [90, 30], generator=np.random.default_rng(0))
    runs = []
    for train_data, val_data in ((train, val), (DataLoader(train, batch_size=20, shuffle=True,
                                                           seed=3), DataLoader(val))):
        manual_seed(1)
        model = MLP(2, [4], 2)
        options = {"batch_size": 20, "seed": 3} if train_data is train else {}
        history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), train_data,
                      epochs=3, val_data=val_data, progress=False, **options)
        runs.append((history["loss"], history["val_accuracy"],
                     evaluate(model, cross_entropy, val)))
    assert runs[0] == runs[1]
    with pytest.raises(TypeError, match=r"fit: train_data must be a DataLoader, a Dataset or "
                                        r"an \(X, y\) pair, got set"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), {1, 2}, progress=False)
    with pytest.raises(ValueError, match=r"^fit: val_data is an empty dataset; there is nothing "
                                         r"to batch$"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), train,
            val_data=Subset(val, []), progress=False)


def test_a_loader_with_a_batch_sampler_trains(blobs):
    X, y = blobs
    batches = BatchSampler(SequentialSampler(range(120)), 20, drop_last=False)
    manual_seed(0)
    model = MLP(2, [4], 2)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1),
                  DataLoader(_Samples(X, y), batch_sampler=batches), epochs=2, progress=False)
    manual_seed(0)
    model = MLP(2, [4], 2)
    assert history["loss"] == fit(model, cross_entropy, SGD(model.parameters(), lr=0.1),
                                  (X, y), batch_size=20, shuffle=False, epochs=2,
                                  progress=False)["loss"]


def test_a_users_dataset_that_is_not_x_y_pairs_is_refused_before_training(blobs):
    X, y = blobs
    data = [{"x": x, "y": label} for x, label in zip(X, y)]
    model = MLP(2, [4], 2)
    with pytest.raises(ValueError, match=r"fit: train_data: fit and evaluate take batches "
                                         r"\(x, y\), or \(x1, \.\.\., xk, y\) for a model of "
                                         r"several inputs, but this DataLoader's batches are a "
                                         r"dict with the keys \['x', 'y'\]"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1),
            DataLoader(data, batch_size=8), progress=False)
    with pytest.raises(ValueError, match=r"evaluate: data is a DataLoader with drop_last=True, "
                                         r"which would leave its last 1 of 120 samples out"):
        evaluate(model, cross_entropy, DataLoader(_Samples(X, y), batch_size=7, drop_last=True))


def test_a_loader_of_single_samples_is_refused_by_fit(blobs):
    X, y = blobs
    model = MLP(2, [4], 2)
    with pytest.raises(ValueError, match=r"fit: train_data is a DataLoader with batch_size=None, "
                                         r"which gives the samples one at a time"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1),
            DataLoader(_Samples(X, y), batch_size=None), progress=False)



def test_a_collate_fn_may_give_the_labels_as_a_list(blobs):
    """`return xs, [label for ...]` from a collate_fn trains as an array of them does (the
    checks before training failed on the list: AttributeError 'list' has no attribute 'ndim')."""
    X, y = blobs
    runs = []
    for labels_of in (list, np.array):
        def collate(batch):
            return Tensor(np.stack([x for x, _ in batch])), labels_of([int(t) for _, t in batch])
        manual_seed(0)
        model = MLP(2, [4], 2)
        loader = DataLoader(_Samples(X, y), batch_size=20, collate_fn=collate)
        history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), loader,
                      val_data=loader, epochs=2, progress=False)
        runs.append((history["loss"], history["val_accuracy"]))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("inputs_of", [lambda xb: {"features": xb}, lambda xb: (xb, 2)],
                         ids=["dict", "tuple with a number"])
def test_nan_in_a_models_several_inputs_is_named_as_the_datas(blobs, inputs_of):
    """x given as a dict or a tuple of the model's inputs: NaN in them was blamed on the
    learning rate (a dict) or made numpy fail (a Tensor next to a number)."""
    X, y = blobs
    X = X.copy()
    X[45, 1] = np.nan

    class Inputs(Module):
        def __init__(self):
            self.linear = Linear(2, 2)

        def forward(self, inputs):
            return self.linear(inputs["features"] if isinstance(inputs, dict) else inputs[0])

    def collate(batch):
        return inputs_of(Tensor(np.stack([x for x, _ in batch]))), np.array([t for _, t in batch])
    model = Inputs()
    with pytest.raises(ValueError, match=r"fit: train_data: batch 3 of epoch 1 holds NaN in "
                                         r"its x \(the loss is not finite\)"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1),
            DataLoader(_Samples(X, y), batch_size=20, collate_fn=collate), progress=False)


def test_a_forward_of_several_inputs_is_told_how_fit_calls_it(blobs):
    """PyTorch's packed-sequence models take forward(self, x, lengths); given only X, fit
    called model(x), which failed in the first step with Python's "missing 1 required
    positional argument"."""
    X, y = blobs

    class TwoInputs(Module):
        def __init__(self):
            self.linear = Linear(2, 2)

        def forward(self, x, lengths):
            return self.linear(x)
    model = TwoInputs()
    with pytest.raises(TypeError, match=r"^fit: train_data gives TwoInputs one input per "
                                        r"sample, but TwoInputs.forward takes 2 \(x, lengths\); "
                                        r"give them together: arrays as \(\(x, lengths\), y\), "
                                        r"or a dataset whose samples are \(x, lengths, y\)$"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), progress=False)
    with pytest.raises(TypeError, match=r"^evaluate: data gives TwoInputs one input per sample"):
        evaluate(model, cross_entropy, (X, y))


def test_nan_in_a_users_dataset_is_named_as_the_datas_not_the_learning_rates(blobs):
    """A dataset of samples is not checked when its loader is made; the NaN loss it caused
    was reported as a divergence ("try a smaller learning rate")."""
    X, y = blobs
    X = X.copy()
    X[45, 1] = np.nan
    model = MLP(2, [4], 2)
    with pytest.raises(ValueError, match=r"fit: train_data: batch 3 of epoch 1 holds NaN in "
                                         r"its x \(the loss is not finite\)"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1),
            DataLoader(_Samples(X, y), batch_size=20), progress=False)
    with pytest.raises(ValueError, match=r"fit: val_data: batch 2 holds NaN in its x"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X[:40], y[:40]),
            val_data=DataLoader(_Samples(X, y), batch_size=40), progress=False)
    with pytest.raises(ValueError, match=r"evaluate: data: batch 5 holds NaN in its x"):
        evaluate(model, cross_entropy, DataLoader(_Samples(X, y), batch_size=10))


def test_regression_metrics(blobs):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -1.0, 2.0]) + 0.5).astype(np.float32)
    model = LinearRegression(3)
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (X, y), epochs=30,
                  metrics=("mse", "mae", "r2"), batch_size=16, progress=False)
    assert history["mse"][-1] == pytest.approx(history["loss"][-1], rel=1e-5)
    assert history["r2"][-1] > 0.99


def test_custom_metric_and_custom_predict(blobs):
    X, y = blobs

    def errors(y_true, y_pred):
        return int((y_true != y_pred).sum())

    model = LogisticRegression(2)
    history = fit(model, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.3),
                  (X, y), epochs=2, metrics=(errors,), predict=lambda z: np.zeros(len(z), int),
                  progress=False)
    assert history["errors"] == [60, 60]                 # "always class 0" misses 60 of 120


def test_decision_rules_follow_the_loss():
    out = np.array([[-0.3], [0.2], [0.0]])
    assert predict_labels(out, None, binary_cross_entropy_with_logits).tolist() == [0, 1, 0]
    assert predict_labels(out, None, BCEWithLogitsLoss()).tolist() == [0, 1, 0]
    assert predict_labels(np.array([0.2, 0.5, 0.9]), None, binary_cross_entropy).tolist() == \
        [0, 0, 1]                                        # (1/2 is class 0, as z = 0 is)
    assert predict_labels(out, None, hinge_loss).tolist() == [-1, 1, -1]
    logits = np.array([[0.1, 2.0], [3.0, -1.0]])
    assert predict_labels(logits, None, CrossEntropyLoss()).tolist() == [1, 0]
    assert predict_labels(logits, None, lambda o, t: 0).tolist() == [1, 0]   # columns: argmax
    assert predict_labels(out, np.array([1, -1, 1]), lambda o, t: 0).tolist() == [-1, 1, -1]
    with pytest.raises(ValueError, match="^predict_labels: cannot tell .* pass predict="):
        predict_labels(out, np.array([0, 1, 0]), lambda o, t: 0)


def test_unreadable_labels_name_the_function_called():
    # evaluate's error said "fit:", the only caller the label rule had once
    def squared(outputs, y):
        return ((outputs.reshape(-1) - y) ** 2).mean()
    X, y = np.ones((4, 2), np.float32), np.array([0, 1, 0, 1])
    model = Linear(2, 1)
    with pytest.raises(ValueError, match="^evaluate: cannot tell how to read class labels"):
        evaluate(model, squared, (X, y), metrics=["accuracy"])
    with pytest.raises(ValueError, match="^fit: cannot tell how to read class labels"):
        fit(model, squared, SGD(model.parameters()), (X, y), metrics=["accuracy"],
            progress=False)


def test_float_labels_for_a_classifier_are_named_by_fit_with_the_right_advice():
    """Labels read as floats (np.loadtxt, a CSV column) reached cross_entropy, whose error named
    neither fit nor the data, gave fit's float32 for the user's float64, and told a user who
    had given a regression target (1.72, 0.36, ...) to convert it with astype(int), which
    cuts every value into a class without a word."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    target = X.sum(axis=1) + 2.5                        # a regression target: not classes
    classes = np.round(np.abs(target)) % 3              # classes, stored as floats
    model = SoftmaxRegression(2, 3)
    for where, call in (
            ("fit", lambda y: fit(model, cross_entropy, SGD(model.parameters()), (X, y),
                                  progress=False)),
            ("evaluate", lambda y: evaluate(model, CrossEntropyLoss(), (X, y))),
            ("fit: val_data", lambda y: fit(model, cross_entropy, SGD(model.parameters()),
                                            (X, classes.astype(int)), val_data=(X, y),
                                            progress=False))):
        with pytest.raises(TypeError, match=rf"^{where}: \w+ takes class labels 0, 1, \.\.\., "
                                            r"C-1, but y holds values such as [\d.]+, not "
                                            r"whole numbers: a regression target\?") as error:
            call(target)
        assert "astype" not in str(error.value)
        with pytest.raises(TypeError, match=rf"^{where}: \w+ takes integer class labels, but y "
                                            r"holds floats \(such as 0\.0, 1\.0\); give "
                                            r"y\.astype\(int\)"):
            call(classes)


def test_early_stopping_stops_and_restores_the_best_weights():
    # training pulls w towards +2 while the validation data wants -2: validation only worsens
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    train, val = (x, 2 * x[:, 0]), (x, -2 * x[:, 0])

    def run(epochs, early_stopping=None):
        model = LinearRegression(1)
        history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), train, epochs=epochs,
                      val_data=val, metrics=(), batch_size=40, shuffle=False,
                      early_stopping=early_stopping, progress=False)
        return model, history

    model, history = run(20, EarlyStopping(patience=2))
    assert history.stopped_early and history.epochs == 3 and history.best_epoch == 1
    after_one_epoch, _ = run(1)
    assert np.array_equal(model.weight.data, after_one_epoch.weight.data)
    _, history = run(20, 2)                            # a patience alone works too
    assert history.epochs == 3
    model = LinearRegression(1)
    with pytest.raises(ValueError, match="monitors 'val_loss' but there is no val_data"):
        fit(model, mse_loss, SGD(model.parameters()), train, early_stopping=2, progress=False)
    _, history = run(20, np.int64(2))                  # a numpy patience (from a grid, say)
    assert history.epochs == 3
    for wrong in ("val_loss", 2.0, True):              # were an AttributeError, or patience 1
        with pytest.raises(TypeError, match=r"fit: early_stopping must be an EarlyStopping or "
                                            r"a patience \(an int >= 0\), or None / False for "
                                            r"none, got "):
            run(20, wrong)
    _, history = run(20, False)                        # none (was patience 0: stopped at once)
    assert history.epochs == 20


@pytest.mark.parametrize("arguments, error, message", [
    ({"patience": "3"}, TypeError, r"patience must be a whole number of epochs, got '3'"),
    ({"patience": 2.5}, TypeError, r"patience must be a whole number of epochs, got 2.5"),
    ({"patience": True}, TypeError, r"patience must be a whole number of epochs, got True"),
    ({"min_delta": "0.1"}, TypeError, r"min_delta must be a number, got '0.1'"),
    ({"min_delta": float("nan")}, TypeError, r"min_delta must be a number, got nan"),
    ({"monitor": None}, TypeError, r"monitor must be the name of a recorded score"),
    ({"restore_best_weights": "no"}, TypeError, r"restore_best_weights must be True or False"),
    ({"patience": -1}, ValueError, r"patience and min_delta must be >= 0"),
], ids=["patience-text", "patience-fraction", "patience-bool", "min_delta-text",
        "min_delta-nan", "monitor-none", "restore-text", "patience-negative"])
def test_early_stopping_refuses_bad_arguments_where_they_are_given(arguments, error, message):
    """A patience of "3" failed with Python's "'<' not supported between instances of 'str'
    and 'int'", 2.5 silently waited 3 epochs, "no" restored the best weights (a true string),
    and monitor=None failed only inside fit."""
    with pytest.raises(error, match=rf"^EarlyStopping: {message}"):
        EarlyStopping(**arguments)


def test_early_stopping_shows_its_settings():
    stopping = EarlyStopping("val_accuracy", patience=np.int64(3))
    assert repr(stopping) == ("EarlyStopping(monitor='val_accuracy', patience=3, min_delta=0, "
                              "mode='auto', restore_best_weights=True)")
    assert type(stopping.patience) is int


def test_schedulers_step_once_per_epoch(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    optimizer = SGD(model.parameters(), lr=1.0)
    history = fit(model, cross_entropy, optimizer, (X, y), epochs=4,
                  scheduler=StepLR(optimizer, step_size=2, gamma=0.5), progress=False)
    assert history["lr"] == [1.0, 1.0, 0.5, 0.5]

    seen = []

    class Spy(ReduceLROnPlateau):
        def step(self, metric):
            seen.append(metric)
            super().step(metric)

    optimizer = SGD(model.parameters(), lr=0.1)
    history = fit(model, cross_entropy, optimizer, (X[:90], y[:90]), epochs=3,
                  val_data=(X[90:], y[90:]), scheduler=Spy(optimizer), progress=False)
    assert seen == history["val_loss"]


def test_one_cycle_and_cyclic_schedules_step_once_per_batch(blobs):
    X, y = blobs                                    # 120 samples in batches of 30: 4 per epoch
    model = SoftmaxRegression(2, 2)
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    schedule = OneCycleLR(optimizer, max_lr=1.0, epochs=3, steps_per_epoch=4)
    alone = SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1, momentum=0.9)
    expected = OneCycleLR(alone, max_lr=1.0, total_steps=12)
    lrs = [expected.get_last_lr()[0]]
    for _ in range(12):
        alone.step()
        expected.step()
        lrs.append(expected.get_last_lr()[0])
    history = fit(model, cross_entropy, optimizer, (X, y), epochs=3, batch_size=30,
                  scheduler=schedule, progress=False)
    assert schedule.last_epoch == 12                # the whole cycle, ending at the final lr
    assert optimizer.param_groups[0]["lr"] == lrs[12]
    assert history["lr"] == [lrs[0], lrs[4], lrs[8]]    # each epoch's lr at its start

    optimizer = SGD(model.parameters(), lr=0.1)
    schedule = CyclicLR(optimizer, base_lr=0.1, max_lr=0.5, step_size_up=2,
                        cycle_momentum=False)
    history = fit(model, cross_entropy, optimizer, (X, y), epochs=2, batch_size=30,
                  scheduler=schedule, progress=False)
    assert schedule.last_epoch == 8
    assert history["lr"] == [pytest.approx(0.1), pytest.approx(0.1)]     # a cycle per epoch


def test_a_one_cycle_schedule_shorter_than_the_run_is_refused_before_training(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    schedule = OneCycleLR(optimizer, max_lr=1.0, epochs=3, steps_per_epoch=1)   # per epoch
    before = model.weight.data.copy()
    with pytest.raises(ValueError, match=r"OneCycleLR is stepped once per batch, and has 3 "
                                         r"steps left .* fit will take 12 .*total_steps=12"):
        fit(model, cross_entropy, optimizer, (X, y), epochs=3, batch_size=30,
            scheduler=schedule, progress=False)
    assert np.array_equal(model.weight.data, before)


@pytest.mark.parametrize("make", [lambda: MLP(2, [8], 2), lambda: scalar.MLP(2, [4, 1])])
def test_clip_grad_norm_clips_every_step_s_gradients(blobs, make):
    X, y = blobs
    loss_fn = cross_entropy if isinstance(make(), MLP) else hinge_loss
    y = y if loss_fn is cross_entropy else 2 * y - 1
    norms = []

    class Spy(SGD):                     # the gradients the optimizer is given, step by step
        def step(self):
            grads = [np.ravel(p.grad) for group in self.param_groups for p in group["params"]]
            norms.append(np.linalg.norm(np.concatenate(grads)))
            super().step()

    def run(clip):
        manual_seed(0)
        random.seed(0)
        model = make()
        norms.clear()
        fit(model, loss_fn, Spy(model.parameters(), lr=1.0), (X[:40] * 10, y[:40]), epochs=2,
            batch_size=10, seed=0, progress=False, clip_grad_norm=clip)
        return list(norms)

    unclipped = run(None)
    assert max(unclipped) > 0.1
    clipped = run(0.1)
    assert len(clipped) == 8 and max(clipped) <= 0.1 + 1e-6
    assert clipped[0] == pytest.approx(min(unclipped[0], 0.1), rel=1e-5)   # same first batch
    model = SoftmaxRegression(2, 2)
    for wrong in (0, -1.0, "1", True):
        with pytest.raises(ValueError, match="fit: clip_grad_norm must be a number > 0"):
            fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), progress=False,
                clip_grad_norm=wrong)


def test_scalar_models_train_with_fit():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(24, 2))
    y = np.where(X[:, 0] + X[:, 1] > 0, 1, -1)
    random.seed(0)
    model = scalar.MLP(2, [4, 1])
    history = fit(model, hinge_loss, SGD(model.parameters(), lr=0.1), (X, y), epochs=15,
                  batch_size=8, progress=False)
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] >= 0.9


def test_progress_bar_is_shown_or_silent(blobs, capsys):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=" in err and "8/8" in err



def test_a_bar_stopped_early_ends_full_and_says_so(capsys):
    # validation only worsens (see below): patience 2 stops after epoch 3 of 20
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    model = LinearRegression(1)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (x, 2 * x[:, 0]), epochs=20,
        val_data=(x, -2 * x[:, 0]), metrics=(), batch_size=40, early_stopping=2, progress=True)
    last = capsys.readouterr().err.strip().split("\r")[-1]
    assert "epoch 3/20, stopped early" in last and "100%" in last and "3/3" in last


def test_a_bar_says_why_fit_stopped(blobs, capsys):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    with pytest.raises(KeyboardInterrupt):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=5,
            metrics=[interrupted_at(2)], progress=True)   # (no val_data: in epoch 3)
    assert "epoch 3/5: stopped by hand" in capsys.readouterr().err.split("\r")[-1]
    model = LinearRegression(2)
    with pytest.raises(TrainingDiverged), np.errstate(all="ignore"):
        fit(model, mse_loss, SGD(model.parameters(), lr=2.0), (X, y.astype(np.float32)),
            epochs=50, batch_size=len(X), metrics=(), progress=True)
    assert ": diverged" in capsys.readouterr().err.split("\r")[-1]


def test_in_a_jupyter_kernel_the_bar_comes_without_warnings():
    """With or without ipywidgets (without, tqdm.auto would warn "IProgress not found")."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    code = ("import numpy as np\nfrom nn import SoftmaxRegression, cross_entropy, fit\n"
            "from nn.optim import SGD\nX = np.eye(2, dtype=np.float32).repeat(4, axis=0)\n"
            "model = SoftmaxRegression(2, 2)\n"
            "fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, [0] * 4 + [1] * 4),"
            " epochs=2)")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    root = str(pathlib.Path(__file__).resolve().parent.parent)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": root}}).execute()
    shown = json.dumps(notebook.cells[0].outputs)
    assert "epoch 2/2" in shown or "application/vnd.jupyter.widget-view+json" in shown
    assert "Warning" not in shown, shown


class _Terminal:
    """A stand-in for stderr that says it is (or is not) a terminal."""

    def __init__(self, tty):
        self.tty, self.text = tty, []

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text.append(text)

    def flush(self):
        pass


@pytest.mark.parametrize("tty", [False, True])
def test_by_default_the_bar_shows_only_on_a_terminal(blobs, monkeypatch, tty):
    """A log redirected to a file gets no bar (it would add a line per update)."""
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    stderr = _Terminal(tty)
    monkeypatch.setattr(sys, "stderr", stderr)
    fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=2)
    assert ("epoch 2/2" in "".join(stderr.text)) == tty


def test_evaluate_restores_training_mode_and_records_no_graph(blobs):
    X, y = blobs
    model = MLP(2, [4], 2)
    evaluate(model, cross_entropy, (X, y))
    assert model.training
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("task", ["classifier", "regression"])
def test_evaluate_scores_nan_outputs_as_nan_not_as_class_0(blobs, task):
    X, y = blobs
    if task == "classifier":    # NaN rows' arg-max is class 0: "accuracy 0.5" on these blobs
        model, loss_fn, targets = SoftmaxRegression(2, 2), cross_entropy, y
    else:                       # r2_score refused them, naming itself, not evaluate
        model, loss_fn, targets = LinearRegression(2), mse_loss, X.sum(axis=1)
    model.weight.data[...] = np.nan                 # weights a diverging run left behind
    with pytest.warns(RuntimeWarning, match=r"evaluate: the model's outputs are NaN or "
                                            r"infinite for 120 of 120 samples"):
        scores = evaluate(model, loss_fn, (X, targets))
    assert len(scores) == 2 and all(np.isnan(value) for value in scores.values())


def test_an_error_from_val_data_says_it_came_from_val_data(blobs):
    X, y = blobs                # labels 1..2: cross_entropy's error alone does not say whose
    model = SoftmaxRegression(2, 2)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)") as caught:
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
            val_data=(X, y + 1), progress=False)
    assert ("fit: raised while scoring val_data after epoch 1 (train_data had trained without "
            "it)") in caught.value.__notes__


def test_val_data_the_model_refuses_is_named_in_the_message(blobs):
    """val_data of the wrong width: the error was Linear's alone ("input of shape (5, 3) ..."),
    the val_data only in a note, which str(error), a log's or a notebook's line, leaves out."""
    X, y = blobs
    model = LinearRegression(2)
    with pytest.raises(ValueError) as caught:
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
            val_data=(np.ones((5, 3)), np.ones(5)), progress=False)
    assert re.match(r"fit: val_data: Linear\(in_features=2, out_features=1, bias=True\): "
                    r"input of shape \(5, 3\) does not fit", str(caught.value))


def test_val_data_targets_the_loss_refuses_are_named_fit_s_not_evaluate_s(blobs):
    """A flat val_data y for a model of one output column: the message read "fit: val_data:
    evaluate: mse_loss got ...", naming evaluate, which the learner never called."""
    from nn import MLP
    X, y = blobs
    model = MLP(2, [4], 1)
    with pytest.raises(ValueError) as caught:
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (X, y.reshape(-1, 1)), epochs=1,
            val_data=(X, y), progress=False)
    assert str(caught.value).startswith("fit: val_data: mse_loss got the model's outputs of "
                                        "shape (")
    assert "evaluate" not in str(caught.value)


def test_fit_s_notes_reach_an_error_without_add_note_as_on_python_3_10():
    """Python 3.10's exceptions have no add_note, and fit's notes (val_data's error, the
    weights put back) were dropped there: they go into __notes__, where Jupyter shows them."""
    from nn.train import _add_note

    class WithoutAddNote(ValueError):
        @property
        def add_note(self):
            raise AttributeError("add_note")        # as on Python 3.10

    error = WithoutAddNote("labels must be in [0, 2)")
    assert not hasattr(error, "add_note")
    _add_note(error, "fit: raised while scoring val_data")
    _add_note(error, "fit: the model's weights are back")
    assert error.__notes__ == ["fit: raised while scoring val_data",
                               "fit: the model's weights are back"]


def test_bad_arguments_are_named(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        fit(model, cross_entropy, opt, (X, y), epochs=0, progress=False)
    with pytest.raises(ValueError, match="unknown metric 'acc'"):
        fit(model, cross_entropy, opt, (X, y), metrics=("acc",), progress=False)
    with pytest.raises(TypeError, match="train_data must be a DataLoader, a Dataset or an "
                                        "\\(X, y\\) pair"):
        fit(model, cross_entropy, opt, X, progress=False)


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_a_multiclass_loss_refuses_one_score_per_sample(blobs, dtype):
    # LogisticRegression's (N,) logits with cross_entropy: float labels were read as one
    # sample's probabilities and trained, then accuracy failed on a 0-d prediction
    X, y = blobs
    model = LogisticRegression(2)
    with pytest.raises(ValueError, match=r"^fit: cross_entropy got the model's outputs of shape "
                                         r"\(32,\), one score per sample; it takes \(N, C\), "
                                         r"one column per class: .*SoftmaxRegression.*or for "
                                         r"two classes and one logit use "
                                         r"binary_cross_entropy_with_logits$"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y.astype(dtype)),
            progress=False)
    with pytest.raises(ValueError, match=r"^evaluate: cross_entropy got .* shape \(120,\)"):
        evaluate(model, cross_entropy, (X, y.astype(dtype)), batch_size=256)


def test_a_two_class_loss_given_a_score_per_class_says_which_loss_takes_them(blobs):
    # SoftmaxRegression(2, 2) with binary_cross_entropy_with_logits: the loss's own advice,
    # "reshape one of them", cannot fix (N, 2) against (N,)
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    with pytest.raises(ValueError, match=r"^fit: binary_cross_entropy_with_logits got the "
                                         r"model's outputs of shape \(32, 2\), a score per "
                                         r"class, and labels of shape \(32,\); it takes one "
                                         r"score per sample .* or keep the model and use "
                                         r"cross_entropy$"):
        fit(model, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.1), (X, y),
            progress=False)


def test_a_list_of_samples_is_told_to_go_through_a_dataloader(blobs):
    # a learner's [(x, y), ...] (what a DataLoader batches) given to fit as it is
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    samples = list(zip(X, y))
    with pytest.raises(TypeError, match=r"fit: train_data must be a DataLoader, a Dataset or "
                                        r"an \(X, y\) pair, got list of 120 samples; batch "
                                        r"them with DataLoader\(samples, batch_size=32, "
                                        r"shuffle=True\)$"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), samples, progress=False)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1),
                  DataLoader(samples, batch_size=32, shuffle=True), progress=False)
    assert history.steps == 4


@pytest.mark.parametrize("option, error, message", [
    ({"batch_size": 0}, ValueError, "batch_size must be at least 1, got 0"),
    ({"batch_size": 2.5}, TypeError, "batch_size must be an int, got 2.5"),
    ({"batch_size": True}, TypeError, "batch_size must be an int, got True"),
    ({"shuffle": "no"}, TypeError, "shuffle must be True or False, got 'no'"),
    ({"drop_last": "yes"}, TypeError, "drop_last must be True or False, got 'yes'"),
    ({"seed": -1}, ValueError, "seed must be an int >= 0 or a numpy Generator, got -1"),
    ({"seed": "a"}, TypeError, "seed must be an int >= 0 or a numpy Generator, got 'a'"),
    ({"drop_last": True, "batch_size": 500}, ValueError,
     "drop_last=True with batch_size=500 and only 120 samples leaves no batch at all"),
])
def test_fit_s_batching_arguments_are_named_as_fit_s(blobs, option, error, message):
    """fit(..., batch_size=0) said "DataLoader: batch_size must be at least 1": the user wrote
    no DataLoader; the arguments are fit's."""
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    with pytest.raises(error, match=f"^fit: {re.escape(message)}$"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), progress=False,
            **option)


def test_evaluate_s_batch_size_is_named_as_evaluate_s(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    with pytest.raises(ValueError, match=r"^evaluate: batch_size must be at least 1, got 0$"):
        evaluate(model, cross_entropy, (X, y), batch_size=0)
    with pytest.raises(TypeError, match=r"^evaluate: batch_size must be an int, got '8'$"):
        evaluate(model, cross_entropy, (X, y), batch_size="8")


def test_fit_and_evaluate_take_labels_given_as_tensors(blobs):
    """A DataLoader gives Tensor labels back as Tensors: fit, its validation and evaluate read
    them as they read ndarrays, with the same numbers."""
    X, y = blobs
    runs = []
    for wrap in (np.asarray, Tensor):
        manual_seed(0)
        model = MLP(2, [4], 2)
        train = DataLoader(TensorDataset(Tensor(X[:90]), wrap(y[:90])), batch_size=16,
                           shuffle=True, seed=0)
        history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), train, epochs=3,
                      val_data=DataLoader(X[90:], wrap(y[90:])), metrics=("accuracy", "f1"),
                      progress=False)
        scores = evaluate(model, cross_entropy, (Tensor(X[90:]), wrap(y[90:])))
        runs.append((dict(history.items()), scores))
    assert runs[0] == runs[1]
    assert runs[1][0]["val_accuracy"][-1] > 0.9


def test_a_diverging_loss_stops_with_a_hint(blobs):
    X, y = blobs
    model = LinearRegression(2)
    with pytest.raises(FloatingPointError, match="try a smaller learning rate"):
        with np.errstate(all="ignore"):
            fit(model, mse_loss, SGD(model.parameters(), lr=1e6), (X * 100, y * 1e3), epochs=50,
                metrics=(), progress=False)


def test_history_counts_the_updates_one_per_batch(blobs):
    X, y = blobs                                # 10 updates an epoch for 1,000 in batches of 100
    X, y = np.resize(X, (1000, 2)), np.resize(y, 1000)
    model = SoftmaxRegression(2, 2)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=3,
                  batch_size=100, progress=False)
    assert history.steps == 30
    X, y = np.resize(X, (1050, 2)), np.resize(y, 1050)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
                  batch_size=100, progress=False)
    assert history.steps == 2 * 11                  # the last, shorter batch is an update too


def test_history_plot(blobs):
    matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is optional")
    matplotlib.use("Agg")
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.1), (X[:90], y[:90]),
                  epochs=3, val_data=(X[90:], y[90:]), progress=False)
    axes = history.plot()
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    assert len(axes[0].lines) == 3                     # train, validation, best epoch
    labels = [text.get_text() for text in axes[0].get_legend().get_texts()]
    assert labels == ["loss", "val_loss", f"best epoch ({history.best_epoch})"]


def test_history_plot_of_no_epoch_says_so():
    """fit stopped by Ctrl-C in its first epoch hands over an empty history; plotting it raised
    matplotlib's "Number of columns must be a positive integer, not 0"."""
    matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is optional")
    matplotlib.use("Agg")
    with pytest.raises(ValueError, match="History.plot: no epoch has been recorded yet"):
        History().plot()


@pytest.mark.parametrize("epochs", [3, 10, 37])
def test_history_plot_ticks_whole_epochs(blobs, epochs):
    """matplotlib's default ticks put epochs 2.5 and 7.5 on a 10-epoch axis."""
    matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is optional")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=epochs,
                  progress=False)
    for ax in history.plot():
        ax.figure.canvas.draw()
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks
    plt.close("all")



def test_history_reads_like_a_dict_of_curves(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.1), (X, y), epochs=2,
                  progress=False)
    assert list(history) == list(history.keys()) == ["loss", "accuracy", "lr"]
    assert dict(history) == {name: history[name] for name in ("loss", "accuracy", "lr")}
    assert {k: v[-1] for k, v in history.items()} == history.last()

# -- data is checked where it enters ---------------------------------------------------------------

def test_bad_data_is_refused_naming_the_argument(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    opt = SGD(model.parameters(), lr=0.1)
    weights = [p.data.copy() for p in model.parameters()]
    X_nan = X.copy()
    X_nan[7, 1] = np.nan
    with pytest.raises(ValueError, match="fit: train_data: X contains NaN .*sample 7"):
        fit(model, cross_entropy, opt, (X_nan, y), progress=False)
    with pytest.raises(ValueError, match="fit: val_data: X contains NaN"):
        fit(model, cross_entropy, opt, (X, y), val_data=(X_nan, y), progress=False)
    with pytest.raises(ValueError, match="evaluate: data: X contains NaN"):
        evaluate(model, cross_entropy, (X_nan, y))
    with pytest.raises(ValueError, match="fit: train_data: X has 120 samples but y has 119"):
        fit(model, cross_entropy, opt, (X, y[:-1]), progress=False)
    with pytest.raises(ValueError, match="fit: train_data: X is empty"):
        fit(model, cross_entropy, opt, (X[:0], y[:0]), progress=False)
    assert all(np.array_equal(w, p.data) for w, p in zip(weights, model.parameters()))


def test_one_hot_rows_train_and_score_like_their_labels(blobs):
    X, y = blobs
    runs = []
    for targets in (y, np.eye(2, dtype=np.float32)[y]):
        manual_seed(0)
        model = SoftmaxRegression(2, 2)
        runs.append(fit(model, cross_entropy, SGD(model.parameters(), lr=0.5), (X, targets),
                        epochs=2, shuffle=False, progress=False).history)
    assert runs[0]["accuracy"] == runs[1]["accuracy"]
    assert np.allclose(runs[0]["loss"], runs[1]["loss"])


def test_targets_that_do_not_fit_the_loss_are_named(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"fit: train_data: y has shape \(120, 2\), but its rows "
                                         r"are not one-hot or probabilities"):
        fit(model, cross_entropy, opt, (X, np.stack([y, y], axis=1) * 3.0), progress=False)
    three = np.arange(120) % 3
    with pytest.raises(ValueError, match=r"fit: train_data: y holds 3 classes \[0, 1, 2\], but "
                                         r"binary_cross_entropy_with_logits is a two-class loss"):
        binary = LogisticRegression(2)
        fit(binary, binary_cross_entropy_with_logits, SGD(binary.parameters()), (X, three),
            progress=False)
    from nn import nll_loss
    with pytest.raises(ValueError, match=r"like one-hot rows.*labels.argmax\(1\)"):
        nll_loss(np.zeros((3, 2)), np.eye(2, dtype=np.int64)[[0, 1, 1]])


def test_probabilities_fed_to_a_loss_that_takes_logits_warn(blobs):
    X, y = blobs
    model = MLP(2, [4], 2, output_activation="softmax")
    with pytest.warns(UserWarning, match="cross_entropy: its input comes from softmax"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), progress=False)
    model = MLP(2, [4], 1, output_activation="sigmoid")
    with pytest.warns(UserWarning, match="binary_cross_entropy_with_logits: its input comes from "
                                         "sigmoid"):
        fit(model, lambda z, t: binary_cross_entropy_with_logits(z.reshape(-1), t),
            SGD(model.parameters(), lr=0.1), (X, y), metrics=(), progress=False)
    from nn import nll_loss
    model = MLP(2, [4], 2, output_activation="softmax")
    with pytest.raises(ValueError, match=r"nll_loss: log_probs must be log-probabilities.*"
                                         r"probabilities \(softmax's output\?\)"):
        fit(model, nll_loss, SGD(model.parameters(), lr=0.1), (X, y), progress=False)


def test_a_diverging_fit_puts_back_the_weights_from_before_the_bad_step(blobs):
    X, y = blobs
    before_each_step = []

    class Recording(SGD):
        def step(self, closure=None):
            before_each_step.append([p.data.copy() for p in model.parameters()])
            return super().step(closure)

    model = LinearRegression(2)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError) as err:
        fit(model, mse_loss, Recording(model.parameters(), lr=1e6), (X * 100, y * 1e3),
            epochs=50, metrics=(), progress=False)
    assert "the weights are back as they were before the step that did it" in str(err.value)
    now = [p.data for p in model.parameters()]
    assert all(np.isfinite(w).all() for w in now)
    assert all(np.array_equal(a, b) for a, b in zip(now, before_each_step[-1]))


def test_a_loss_that_is_nan_at_the_start_changes_nothing(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    weights = [p.data.copy() for p in model.parameters()]
    with pytest.raises(FloatingPointError, match="at the start .*before any step"):
        fit(model, lambda out, t: cross_entropy(out, t) * np.float32(np.nan),
            SGD(model.parameters(), lr=0.1), (X, y), progress=False)
    assert all(np.array_equal(w, p.data) for w, p in zip(weights, model.parameters()))


def test_a_diverging_fit_says_where_in_the_error_s_fields(blobs):
    """A program (the glassgrad command) reads the epoch from the error, not from its text."""
    X, y = blobs
    model = LinearRegression(2)
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged) as err:
        fit(model, mse_loss, SGD(model.parameters(), lr=1e6), (X * 100, y * 1e3), epochs=50,
            metrics=(), progress=False)
    error = err.value
    assert isinstance(error, FloatingPointError) and error.stepped
    assert not np.isfinite(error.loss)
    assert f"became {error.loss} at epoch {error.epoch}, batch {error.batch};" in str(error)
    with pytest.raises(TrainingDiverged) as err:
        fit(model, lambda out, t: mse_loss(out, t) * np.float32(np.nan),
            SGD(model.parameters(), lr=0.1), (X, y), progress=False)
    assert (err.value.epoch, err.value.batch, err.value.stepped) == (1, 1, False)


def test_early_stopping_patience_counts_the_epochs_without_improvement():
    # lr=0: the loss never changes, so epoch 1 is the best and every later epoch fails to improve
    X = np.linspace(-1, 1, 20, dtype=np.float32)[:, None]
    model = LinearRegression(1)
    for patience in (0, 1, 3):
        history = fit(model, mse_loss, SGD(model.parameters(), lr=0.0), (X, X[:, 0]), epochs=50,
                      val_data=(X, X[:, 0]), metrics=(), progress=False,
                      early_stopping=EarlyStopping(patience=patience))
        assert history.best_epoch == 1 and history.epochs == 1 + max(patience, 1)   # as Keras


def test_early_stopping_with_patience_0_lets_an_improving_run_go_on():
    X = np.linspace(-1, 1, 20, dtype=np.float32)[:, None]
    model = LinearRegression(1)
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.05), (X, 2 * X[:, 0]),
                  epochs=10, val_data=(X, 2 * X[:, 0]), metrics=(), progress=False,
                  early_stopping=EarlyStopping(patience=0))
    assert history.epochs == 10 and not history.stopped_early


@pytest.mark.parametrize("arguments, message", [
    (lambda m: (m, cross_entropy, None), "fit: optimizer must be an optimizer of nn.optim.*got "
                                         "NoneType"),
    (lambda m: (m, None, SGD(m.parameters())), "fit: loss_fn must be a loss.*got NoneType"),
    (lambda m: (cross_entropy, m, SGD(m.parameters())), "fit: model must be an nn.Module.*got "
                                                        "function"),
    (lambda m: (m, CrossEntropyLoss, SGD(m.parameters())),
     r"fit: loss_fn is the class CrossEntropyLoss; pass an instance, CrossEntropyLoss\(\)"),
])
def test_fit_checks_its_model_loss_and_optimizer_first(blobs, arguments, message):
    with pytest.raises(TypeError, match=message):
        fit(*arguments(MLP(2, [4], 2)), blobs, progress=False)


def test_evaluate_checks_its_model_and_loss_first(blobs):
    """evaluate(loss_fn, model, data), the two swapped, or a loss class: named, not an
    AttributeError from inside the loop."""
    model = MLP(2, [4], 2)
    with pytest.raises(TypeError, match="evaluate: model must be an nn.Module.*got function"):
        evaluate(cross_entropy, model, blobs)
    with pytest.raises(TypeError, match="evaluate: loss_fn is the class CrossEntropyLoss"):
        evaluate(model, CrossEntropyLoss, blobs)


def test_fit_without_labels_says_to_pass_them(blobs):
    X, _ = blobs
    model = MLP(2, [4], 2)
    with pytest.raises(TypeError, match=r"fit: train_data is \(X, None\).*pass \(X, y\)"):
        fit(model, cross_entropy, SGD(model.parameters()), (X, None), progress=False)
    with pytest.raises(TypeError, match=r"fit: val_data is \(X, None\)"):
        fit(model, cross_entropy, SGD(model.parameters()), blobs, val_data=(X, None),
            progress=False)


def test_probabilities_warn_through_indexing_and_transposes_too():
    import warnings
    from autograd import Tensor
    from nn import Linear, Sequential, Sigmoid, Softmax
    x = Tensor(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    probs = Sequential(Linear(3, 1), Sigmoid())(x)
    for picked in (probs[:, 0], probs[[0, 1, 2, 3], 0], probs.T[0]):
        with pytest.warns(UserWarning, match="binary_cross_entropy_with_logits: its input comes "
                                             "from sigmoid"):
            binary_cross_entropy_with_logits(picked, np.array([0.0, 1.0, 1.0, 0.0]))
    with pytest.warns(UserWarning, match="cross_entropy: its input comes from softmax"):
        cross_entropy(Sequential(Linear(3, 4), Softmax())(x)[:, :2], np.array([0, 1, 1, 0]))
    with warnings.catch_warnings():                 # logits, indexed: no warning
        warnings.simplefilter("error")
        binary_cross_entropy_with_logits(Linear(3, 2)(x)[:, 0], np.array([0.0, 1.0, 1.0, 0.0]))
        binary_cross_entropy_with_logits((Linear(3, 1)(x).sigmoid() * 4 - 2)[:, 0],
                                         np.array([0.0, 1.0, 1.0, 0.0]))


def test_validation_outputs_that_overflow_are_divergence_too():
    """The weights can stay finite while the outputs overflow (a huge learning rate on a
    regression): fit says it diverged, not a metric's complaint about infinite predictions."""
    manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = X @ np.array([2.0, 1.0], np.float32)
    model = LinearRegression(2)
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged, match="validation loss") as err:
        fit(model, mse_loss, SGD(model.parameters(), lr=1e6), (X, y), epochs=5, batch_size=40,
            val_data=(X, y), metrics=["r2"], progress=False)   # one step, then validation
    assert err.value.stepped and err.value.epoch >= 1


def test_epochs_may_be_a_numpy_integer_but_not_a_bool(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    opt = SGD(model.parameters(), lr=0.1)
    assert fit(model, cross_entropy, opt, (X, y), epochs=np.int64(2), progress=False).epochs == 2
    with pytest.raises(ValueError, match="epochs must be a positive integer, got True"):
        fit(model, cross_entropy, opt, (X, y), epochs=True, progress=False)


@pytest.mark.parametrize("as_given", [np.asarray, list, Tensor])
def test_x_and_y_given_apart_as_in_keras_say_to_pass_them_together(blobs, as_given):
    X, y = blobs                    # y became epochs: "epochs must be ..., got array([1, 0, ..."
    model = SoftmaxRegression(2, 2)
    with pytest.raises(TypeError, match=r"^fit: epochs, its fifth argument, got \w+ of shape "
                                        r"\(120,\); X and y go together, as one argument: "
                                        r"fit\(model, loss_fn, optimizer, \(X, y\)"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), X, as_given(y))


def interrupted_at(epoch):
    """A metric that raises KeyboardInterrupt (Ctrl-C) when scoring the given epoch's training
    batches (it runs twice an epoch: on them, then on the validation data)."""
    calls = []

    def stopping(y_true, y_pred):
        calls.append(1)
        if len(calls) == 2 * epoch - 1:
            raise KeyboardInterrupt
        return 0.0
    stopping.higher_is_better = True
    return stopping


def test_ctrl_c_keeps_the_finished_epochs_and_the_best_weights():
    # validation only worsens (see above): epoch 1 is the best, Ctrl-C comes in epoch 4
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    train, val = (x, 2 * x[:, 0]), (x, -2 * x[:, 0])
    model = LinearRegression(1)
    with pytest.raises(KeyboardInterrupt) as stop:
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), train, epochs=20, val_data=val,
            metrics=[interrupted_at(4)], batch_size=40, shuffle=False,
            early_stopping=EarlyStopping(patience=10), progress=False)
    history = stop.value.history
    assert history.epochs == 3 and history.best_epoch == history.restored_epoch == 1
    after_one_epoch = LinearRegression(1)
    fit(after_one_epoch, mse_loss, SGD(after_one_epoch.parameters(), lr=0.1), train, epochs=1,
        batch_size=40, shuffle=False, metrics=(), progress=False)
    assert np.array_equal(model.weight.data, after_one_epoch.weight.data)
    assert model.training


def test_early_stopping_puts_back_the_best_epoch_s_weights_not_the_last():
    """The best weights are a copy taken at the best epoch: state_dict() shares the parameters'
    numbers, so keeping it would 'restore' the last epoch's weights."""
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    train, val = (x, 2 * x[:, 0]), (x, -2 * x[:, 0])        # validation only worsens
    model = LinearRegression(1)
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), train, epochs=20,
                  val_data=val, batch_size=40, shuffle=False,
                  early_stopping=EarlyStopping(patience=2), progress=False)
    assert history.stopped_early and history.epochs == 3
    assert history.best_epoch == history.restored_epoch == 1
    after_one_epoch = LinearRegression(1)
    fit(after_one_epoch, mse_loss, SGD(after_one_epoch.parameters(), lr=0.1), train, epochs=1,
        batch_size=40, shuffle=False, metrics=(), progress=False)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), after_one_epoch.state_dict()[name].numpy())


def test_an_error_inside_fit_carries_the_finished_epochs(blobs):
    X, y = blobs
    model = LinearRegression(2)
    with pytest.raises(TrainingDiverged) as error, np.errstate(all="ignore"):
        fit(model, mse_loss, SGD(model.parameters(), lr=2.0), (X, y.astype(np.float32)),
            epochs=50, batch_size=len(X), metrics=(), progress=False)  # ~17 epochs
    assert error.value.epoch > 1 and error.value.history.epochs == error.value.epoch - 1


def test_a_wrong_loss_that_blows_the_weights_up_leaves_the_model_as_fit_found_it():
    """binary_cross_entropy on a fresh LogisticRegression's logits: the first batch's outputs
    are exactly 0 (they pass the [0, 1] check), its step takes the weights to ~1e11, and the
    second batch's outputs are refused. The model must not keep those weights."""
    from nn.data import make_moons
    X, y = make_moons(200, noise=0.1, seed=0)
    model = LogisticRegression(2)
    start = {name: value.clone() for name, value in model.state_dict().items()}
    with pytest.raises(ValueError, match=r"binary_cross_entropy: probs must be in \[0, 1\].*"
                                         r"binary_cross_entropy_with_logits") as error:
        fit(model, binary_cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=3,
            progress=False)
    assert error.value.history.epochs == 0
    assert model.state_dict().keys() == start.keys()
    assert all(np.array_equal(model.state_dict()[name], start[name]) for name in start)
    assert error.value.__notes__ == [
        "fit: the model's weights are back as they were when fit started (no epoch "
        "finished); the optimizer's state is not (make a new optimizer to start afresh)"]
    # the right loss then trains the same model
    history = fit(model, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.1),
                  (X, y), epochs=3, progress=False)
    assert history["accuracy"][-1] > 0.75


def test_an_error_in_a_later_epoch_puts_back_the_last_finished_epoch_s_weights(blobs):
    """A metric that fails in epoch 3: the weights (and BatchNorm's running statistics) are
    those the metric saw at the end of epoch 2, the epochs error.history holds."""
    from nn import BatchNorm1d, Sequential
    X, y = blobs
    manual_seed(0)
    model = Sequential(Linear(2, 4), BatchNorm1d(4), Linear(4, 2))
    seen = []

    def failing(y_true, y_pred):
        if len(seen) == 2:
            raise RuntimeError("metric failed")
        seen.append({name: value.clone() for name, value in model.state_dict().items()})
        return 0.0
    with pytest.raises(RuntimeError, match="metric failed") as error:
        fit(model, cross_entropy, Adam(model.parameters(), lr=0.05), (X, y), epochs=5,
            metrics=[failing], progress=False)
    assert error.value.history.epochs == 2
    state = model.state_dict()
    assert all(np.array_equal(state[name], seen[1][name]) for name in state)
    assert not all(np.array_equal(state[name], seen[0][name]) for name in state)
    assert "back as they were at the end of epoch 2, the last finished" in \
        error.value.__notes__[0]


def test_ctrl_c_in_the_first_epoch_leaves_an_empty_history_that_prints(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    with pytest.raises(KeyboardInterrupt) as stop:
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y),
            metrics=[interrupted_at(1)], progress=False)
    assert stop.value.history.epochs == 0 and repr(stop.value.history) == "History(epochs=0)"


def test_a_scheduler_of_another_optimizer_or_not_a_scheduler_is_refused(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    forgotten = SGD(model.parameters(), lr=0.1)
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler .StepLR. was made for another optimizer"):
        fit(model, cross_entropy, optimizer, (X, y), scheduler=StepLR(forgotten, 1),
            progress=False)
    with pytest.raises(TypeError, match="scheduler must be a learning-rate scheduler"):
        fit(model, cross_entropy, optimizer, (X, y), scheduler="cosine", progress=False)


def test_an_optimizer_of_another_model_is_refused(blobs):
    X, y = blobs
    earlier, model = SoftmaxRegression(2, 2), SoftmaxRegression(2, 2)
    with pytest.raises(ValueError, match="the optimizer holds none of the model's parameters"):
        fit(model, cross_entropy, SGD(earlier.parameters(), lr=0.1), (X, y), progress=False)


def test_a_dataloader_of_one_array_or_more_inputs_than_the_model_takes_is_refused():
    from nn import Linear, mse_loss
    from nn.optim import SGD
    X, y = np.ones((8, 2), np.float32), np.zeros((8, 1), np.float32)
    model = Linear(2, 1)
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"^fit: train_data gives Linear 2 inputs per sample, "
                                        r"but Linear.forward takes 1 \(x\)$"):
        fit(model, mse_loss, optimizer, DataLoader(TensorDataset(X, X, y)), progress=False)
    with pytest.raises(ValueError, match=r"evaluate: data is a DataLoader without labels y"):
        evaluate(model, mse_loss, DataLoader(TensorDataset(X)))
    history = fit(model, mse_loss, optimizer, DataLoader(TensorDataset(X, y)), progress=False)
    assert len(history["loss"]) == 1


def test_batching_options_next_to_a_dataloader_are_refused_not_ignored():
    from nn import Linear, mse_loss
    from nn.data import DataLoader, TensorDataset
    from nn.optim import SGD
    X, y = np.ones((8, 2), np.float32), np.zeros((8, 1), np.float32)
    model = Linear(2, 1)
    loader = DataLoader(X, y, batch_size=4)
    for option in ({"batch_size": 2}, {"shuffle": False}, {"seed": 0}):
        with pytest.raises(ValueError, match=rf"fit: {next(iter(option))} would be ignored: "
                                             r"train_data is a DataLoader"):
            fit(model, mse_loss, SGD(model.parameters(), lr=0.1), loader, **option)
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), loader, epochs=2)
    assert len(history["loss"]) == 2
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (X, y), batch_size=2, shuffle=False)


def test_shuffle_given_as_numpy_false_or_0_does_not_shuffle():
    from nn import Linear
    X = np.arange(16.0, dtype=np.float32).reshape(8, 2) / 8
    y = X.sum(axis=1, keepdims=True)
    start = Linear(2, 1).state_dict()

    def trained(shuffle, seed):
        model = Linear(2, 1)
        model.load_state_dict(start)
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (X, y), batch_size=2,
            shuffle=shuffle, seed=seed, progress=False)
        return model.weight.data.copy()

    in_order = trained(False, 0)
    for shuffle in (np.False_, 0):
        assert np.array_equal(trained(shuffle, 0), in_order)
        assert np.array_equal(trained(shuffle, 1), in_order)


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_model_that_changes_its_batch_in_place_leaves_the_training_data_alone(shuffle):
    """fit's batches of an (X, y) pair were views when unshuffled: a forward pass that
    centred its input in place changed X, and every epoch trained on other numbers."""
    from nn import Linear

    class CentresInPlace(Linear):
        def forward(self, x):
            x.data -= x.data.mean(axis=0)
            return super().forward(x)

    X = np.arange(16.0, dtype=np.float32).reshape(8, 2)
    y = X.sum(axis=1, keepdims=True)
    X_before, y_before = X.copy(), y.copy()
    model = CentresInPlace(2, 1)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.01), (X, y), epochs=2, batch_size=4,
        shuffle=shuffle, seed=0, val_data=(X, y), progress=False)
    assert np.array_equal(X, X_before) and np.array_equal(y, y_before)


def test_a_column_of_outputs_with_flat_targets_says_to_give_y_as_a_column():
    """Inside fit the loss's own advice (reshape the prediction) cannot be followed."""
    from nn import MLP, evaluate, fit, mse_loss
    from nn.optim import SGD
    model = MLP(3, [4], 1)
    X = np.random.default_rng(0).random((20, 3)).astype(np.float32)
    y = X.sum(axis=1)
    message = r"mse_loss got the model's outputs of shape \(20, 1\) and targets of shape \(20,\); " \
              r"give y as a column, y.reshape\(-1, 1\)"
    with pytest.raises(ValueError, match="fit: " + message):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (X, y), epochs=1, progress=False)
    with pytest.raises(ValueError, match="evaluate: " + message):
        evaluate(model, mse_loss, (X, y))
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (X, y.reshape(-1, 1)), epochs=1,
        progress=False)


def test_a_dataset_of_samples_with_targets_of_the_wrong_shape_says_where_to_fix_it():
    """A Dataset whose __getitem__ returns (x, a float) for a model of one output: the advice
    was "give y as a column, y.reshape(-1, 1)", but there is no y to reshape, only the samples;
    a random_split part of it too. (A TensorDataset's y is an array, and keeps that advice.)"""
    from nn import MLP, evaluate, fit, mse_loss
    from nn.data import Dataset, TensorDataset, random_split
    from nn.optim import SGD
    X = np.random.default_rng(0).random((20, 3)).astype(np.float32)

    class Rows(Dataset):
        def __init__(self, column: bool):
            self.column = column

        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            total = X[i].sum()
            return X[i], (np.array([total]) if self.column else total)

    model = MLP(3, [4], 1)
    flat = (r"mse_loss got the model's outputs of shape \(\d+, 1\) and targets of shape "
            r"\(\d+,\); make each sample's target an array of one number: return "
            r"np.array\(\[y\]\) from the dataset's __getitem__")
    for data in (Rows(False), random_split(Rows(False), [15, 5])[0]):
        with pytest.raises(ValueError, match="^fit: " + flat):
            fit(model, mse_loss, SGD(model.parameters(), lr=0.1), data, progress=False)
        with pytest.raises(ValueError, match="^evaluate: " + flat):
            evaluate(model, mse_loss, data)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), Rows(True), progress=False)
    with pytest.raises(ValueError, match=r"give y as a column, y.reshape\(-1, 1\)"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1),
            random_split(TensorDataset(X, X.sum(axis=1)), [15, 5])[0], progress=False)
    flat_model = LinearRegression(3)
    with pytest.raises(ValueError, match=r"^fit: .*make each sample's target a number, not an "
                                         r"array of one: return y\[0\] from the dataset's "
                                         r"__getitem__"):
        fit(flat_model, mse_loss, SGD(flat_model.parameters(), lr=0.1), Rows(True),
            progress=False)


# -- trials: an autoencoder, a y column, divergence, early stopping on the wrong score ----------

def _autoencoder_data(n=60, d=12):
    """Pixels in [0, 1] with a column always 0 and one lit in a single image, as MNIST's edges."""
    X = np.random.default_rng(0).random((n, d)).astype(np.float32)
    X[:, 0] = 0.0
    X[:, 1] = 0.0
    X[5, 1] = 1.0
    return X


def test_an_autoencoder_with_bce_trains_and_records_only_the_loss():
    """(N, D) targets for a two-class loss: no accuracy by default (the pixels are not labels);
    before, the labels' reshape to (N,) failed after the epoch and the epoch was lost."""
    X = _autoencoder_data()
    manual_seed(0)
    from nn import Sequential, Sigmoid
    model = Sequential(Linear(12, 4), Sigmoid(), Linear(4, 12), Sigmoid())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    history = fit(model, binary_cross_entropy, Adam(model.parameters(), lr=0.01), (X, X),
                  epochs=2, val_data=(X, X), progress=False)
    assert set(history.keys()) == {"loss", "val_loss", "lr"}
    assert not all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    assert set(evaluate(model, binary_cross_entropy, (X, X))) == {"loss"}


def test_accuracy_of_targets_that_are_not_labels_is_refused_before_training():
    X = _autoencoder_data()
    from nn import Sequential, Sigmoid
    model = Sequential(Linear(12, 12), Sigmoid())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=r"fit: 'accuracy' compares class labels, but y holds "
                                         r"values such as 0\.\d+ that are not labels"):
        fit(model, binary_cross_entropy, SGD(model.parameters(), lr=0.1), (X, X),
            metrics="accuracy", progress=False)
    with pytest.raises(ValueError, match=r"fit: val_data: 'f1' compares class labels"):
        fit(model, binary_cross_entropy, SGD(model.parameters(), lr=0.1), (X, X > 0.5),
            val_data=(X, X), metrics="f1", progress=False)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_several_binary_labels_per_sample_are_scored_one_by_one():
    """A multi-label classifier asked for accuracy and F1: those of all N·D labels."""
    X = _autoencoder_data()
    Y = (X > 0.5).astype(np.float32)
    manual_seed(0)
    model = Linear(12, 12)
    fit(model, binary_cross_entropy_with_logits, Adam(model.parameters(), lr=0.05), (X, Y),
        epochs=3, metrics=("accuracy", "f1"), progress=False)
    scores = evaluate(model, binary_cross_entropy_with_logits, (X, Y), metrics=("accuracy", "f1"))
    labels = (model(Tensor(X)).numpy() > 0).astype(np.float32)
    assert scores["accuracy"] == pytest.approx(np.mean(labels == Y))
    tp = np.sum((labels == 1) & (Y == 1))
    assert scores["f1"] == pytest.approx(2 * tp / (labels.sum() + Y.sum()))


def test_an_autoencoder_with_mse_records_only_the_loss_and_r2_on_request_is_sklearns():
    """R² of (N, D) targets is scikit-learn's mean over the D outputs; the column lit in one
    image scores far below 0 whatever the rest does, so fit does not show it by default."""
    X = _autoencoder_data()
    manual_seed(0)
    model = Linear(12, 12)
    history = fit(model, mse_loss, Adam(model.parameters(), lr=0.01), (X, X), epochs=2,
                  progress=False)
    assert set(history.keys()) == {"loss", "lr"}
    scores = evaluate(model, mse_loss, (X, X), metrics=("r2", "mse"))
    P = model(Tensor(X)).numpy().astype(np.float64)
    Y = X.astype(np.float64)
    ss_res, ss_tot = ((Y - P) ** 2).sum(0), ((Y - Y.mean(0)) ** 2).sum(0)
    per_output = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), 0.0)
    assert scores["r2"] == pytest.approx(per_output.mean())
    assert scores["mse"] == pytest.approx(np.mean((Y - P) ** 2), rel=1e-5)


@pytest.mark.parametrize("make, loss", [
    (lambda: LinearRegression(2), mse_loss),
    (lambda: LogisticRegression(2), binary_cross_entropy_with_logits),
    (lambda: scalar.MLP(2, [1]), mse_loss),       # its loss raised a TypeError: "got ndarray"
])
def test_a_y_column_for_one_output_per_sample_says_to_give_y_as_a_vector(make, loss):
    """pandas' df[["price"]] is a column; the loss's advice about pred cannot be followed."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.float32)
    model = make()
    message = (rf"{loss.__name__} got the model's outputs of shape \(32,\) and targets of shape "
               r"\(32, 1\); give y as a vector, y.reshape\(-1\)")
    with pytest.raises(ValueError, match="^fit: " + message):
        fit(model, loss, SGD(model.parameters(), lr=0.1), (X, y), progress=False)
    with pytest.raises(ValueError, match="^evaluate: " + message):
        evaluate(model, loss, (X, y), batch_size=32)
    fit(model, loss, SGD(model.parameters(), lr=0.1), (X, y.reshape(-1)), progress=False)


def test_divergence_says_so_without_numpys_warnings_from_inside():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2)).astype(np.float32)
    y = (X @ np.array([2.0, -1.0], dtype=np.float32))[:, None]
    manual_seed(0)
    model = MLP(2, [16], 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TrainingDiverged):
            fit(model, mse_loss, SGD(model.parameters(), lr=10.0), (X, y), epochs=20,
                progress=False)
    assert [str(w.message) for w in caught] == []
    assert all(np.isfinite(p.data).all() for p in model.parameters())
    assert np.geterr()["over"] == "warn"                        # as it was before fit


def test_fit_keeps_the_users_own_warnings_and_numpy_settings():
    """Only numpy's over / invalid warnings are off, and only where they are at "warn"."""
    X = np.ones((8, 1), np.float32)
    seen = []

    def loss(out, y):
        seen.append((np.geterr()["over"], np.geterr()["divide"]))
        warnings.warn("my loss says hello", UserWarning)
        return mse_loss(out, y)
    loss.task = "regression"
    model = Linear(1, 1)
    with pytest.warns(UserWarning, match="my loss says hello"):
        fit(model, loss, SGD(model.parameters(), lr=0.1), (X, X), progress=False)
    assert seen[0] == ("ignore", "warn")
    seen.clear()
    with np.errstate(over="raise"), pytest.warns(UserWarning):
        fit(model, loss, SGD(model.parameters(), lr=0.1), (X, X), progress=False)
    assert seen[0] == ("raise", "warn")


def test_early_stopping_on_a_training_score_with_val_data_warns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)

    def run(monitor, val):
        model = MLP(2, [4], 2)
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
            val_data=(X, y) if val else None, progress=False,
            early_stopping=EarlyStopping(monitor=monitor, patience=5))
    with pytest.warns(UserWarning) as caught:
        run("accuracy", val=True)
    assert [str(w.message) for w in caught] == [
        "EarlyStopping monitors training 'accuracy' although val_data is given; for the "
        "held-out score write monitor='val_accuracy'"]
    assert caught[0].filename == __file__                       # the line that calls fit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run("val_accuracy", val=True)
        run("accuracy", val=False)


# -- fit with an optimizer that takes a closure (LBFGS) ----------------------------------------

def _lbfgs_by_hand(model, loss_fn, optimizer, loader, epochs):
    """The loop a PyTorch user writes for L-BFGS: each batch's mean loss before its step."""
    losses = []
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            def closure():
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                return loss
            total += float(optimizer.step(closure).data) * len(yb)
        losses.append(total / len(loader.dataset))
    return losses


@pytest.mark.parametrize("make, options, batch_size, y_shape", [
    (lambda: LogisticRegression(2), dict(line_search_fn="strong_wolfe"), 120, (-1,)),  # full
    (lambda: MLP(2, [6], 1), dict(max_iter=4, history_size=5), 30, (-1, 1)),       # mini-batch
])
def test_fit_trains_with_lbfgs_as_a_hand_written_closure_loop(blobs, make, options, batch_size,
                                                              y_shape):
    X, y = blobs
    y = y.astype(np.float32).reshape(y_shape)

    def run(train):
        manual_seed(0)
        model = make()
        optimizer = LBFGS(model.parameters(), **options)
        loader = DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=0)
        return model, train(model, optimizer, loader)

    fitted, history = run(lambda model, optimizer, loader: fit(
        model, binary_cross_entropy_with_logits, optimizer, loader, epochs=3, progress=False))
    by_hand, losses = run(lambda model, optimizer, loader: _lbfgs_by_hand(
        model, binary_cross_entropy_with_logits, optimizer, loader, 3))
    assert history["loss"] == losses
    assert history.steps == 3 * (120 // batch_size)
    assert all(np.array_equal(a.data, b.data)
               for a, b in zip(fitted.parameters(), by_hand.parameters()))
    assert history["loss"][-1] < 0.1 * history["loss"][0] and history["accuracy"][-1] == 1.0


def test_fit_with_lbfgs_clips_every_evaluation_s_gradients(blobs):
    """The line search evaluates the loss several times per step; each gradient it reads must
    be clipped, as the closure clips it."""
    X, y = blobs
    norms, steps = [], []

    class Spy(LBFGS):
        def step(self, closure):
            def spied():
                loss = closure()
                norms.append(np.linalg.norm(np.concatenate(
                    [np.ravel(p.grad) for p in self.param_groups[0]["params"]])))
                return loss
            steps.append(1)
            return super().step(spied)

    manual_seed(0)
    model = MLP(2, [6], 2)
    fit(model, cross_entropy, Spy(model.parameters(), line_search_fn="strong_wolfe"),
        (X * 10, y), epochs=2, batch_size=60, progress=False, clip_grad_norm=0.1)
    assert len(norms) > len(steps) == 4
    assert max(norms) <= 0.1 + 1e-6


def test_fit_with_lbfgs_puts_back_the_weights_from_before_the_bad_step(blobs):
    X, y = blobs
    before_each_step = []

    class Recording(LBFGS):
        def step(self, closure):
            before_each_step.append([p.data.copy() for p in model.parameters()])
            return super().step(closure)

    model = LinearRegression(2)
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged) as err:
        fit(model, mse_loss, Recording(model.parameters(), lr=1e6), (X * 100, y * 1e3),
            epochs=5, metrics=(), progress=False)
    assert (err.value.epoch, err.value.batch, err.value.stepped) == (1, 2, True)
    # batch 2's step found the loss NaN at its first evaluation: the step before did that
    assert all(np.array_equal(p.data, w)
               for p, w in zip(model.parameters(), before_each_step[-2]))
    # on mini-batches, a smaller lr is not what L-BFGS needs (at 0.01 it diverged too)
    assert ("; Recording is meant for the whole data at once, not 4 batches an epoch: pass "
            "batch_size=len(X), and make it with line_search_fn='strong_wolfe' (the "
            "optimizer's state is not put back" in str(err.value))
    model = LinearRegression(2)
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged, match="; try a smaller "
                                                                          "learning rate"):
        fit(model, mse_loss, LBFGS(model.parameters(), lr=1e6), (X * 100, y * 1e3),
            epochs=5, batch_size=120, metrics=(), progress=False)


def test_fit_with_lbfgs_resumes_from_a_checkpoint(blobs, tmp_path):
    X, y = blobs

    def start():
        manual_seed(0)
        model = MLP(2, [6], 2)
        optimizer = LBFGS(model.parameters(), max_iter=5)
        return model, optimizer, StepLR(optimizer, step_size=1, gamma=0.5), \
            DataLoader(X, y, batch_size=40, shuffle=True, seed=1)

    model, optimizer, scheduler, loader = start()
    whole = fit(model, cross_entropy, optimizer, loader, epochs=4, scheduler=scheduler,
                progress=False)
    model, optimizer, scheduler, loader = start()
    first = fit(model, cross_entropy, optimizer, loader, epochs=2, scheduler=scheduler,
                progress=False)
    save({"model": model, "optimizer": optimizer, "scheduler": scheduler, "data": loader},
         tmp_path / "run.npz")
    model, optimizer, scheduler, loader = start()
    checkpoint = load(tmp_path / "run.npz")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    loader.load_state_dict(checkpoint["data"])
    rest = fit(model, cross_entropy, optimizer, loader, epochs=2, scheduler=scheduler,
               progress=False)
    assert first["loss"] + rest["loss"] == whole["loss"]
    assert first["lr"] + rest["lr"] == whole["lr"] == [1.0, 0.5, 0.25, 0.125]


def test_fit_with_lbfgs_stops_early_and_trains_scalar_models(blobs):
    X, y = blobs
    manual_seed(0)
    model = SoftmaxRegression(2, 2)
    history = fit(model, cross_entropy, LBFGS(model.parameters()), (X[:90], y[:90]),
                  epochs=30, val_data=(X[90:], y[90:]), early_stopping=2, progress=False)
    assert history.stopped_early and history.restored_epoch == history.best_epoch
    random.seed(0)
    scalar_model = scalar.MLP(2, [4, 1])
    history = fit(scalar_model, hinge_loss, LBFGS(scalar_model.parameters(),
                                                  line_search_fn="strong_wolfe"),
                  (X[:24], 2 * y[:24] - 1), epochs=3, batch_size=24, progress=False)
    assert history["loss"][-1] < history["loss"][0] and history["accuracy"][-1] == 1.0


def test_fit_gives_a_closure_to_an_optimizer_of_yours_that_needs_one(blobs):
    """`step_needs_closure` is how fit tells: an optimizer written as PyTorch's LBFGS is."""
    X, y = blobs
    losses = []

    class Evaluating(SGD):
        step_needs_closure = True

        def step(self, closure):
            losses.append(float(closure().data))       # the loss, then the gradient's step
            return super().step()

    model = SoftmaxRegression(2, 2)
    history = fit(model, cross_entropy, Evaluating(model.parameters(), lr=0.1), (X, y),
                  batch_size=120, epochs=2, progress=False)
    assert history["loss"] == losses


class _Moons(IterableDataset):
    """A stream of labelled points made afresh each epoch; `length` gives it a len()."""

    def __init__(self, length: bool) -> None:
        self.length = length

    def __iter__(self):
        rng = np.random.default_rng(0)
        for _ in range(64):
            x = rng.normal(size=2)
            yield x, int(x[0] + x[1] > 0)

    def __len__(self) -> int:
        if not self.length:
            raise TypeError("no len()")
        return 64


def test_fit_and_evaluate_train_on_a_stream_that_knows_its_length():
    manual_seed(0)
    model = Linear(2, 2, dtype=np.float64)
    loader = DataLoader(_Moons(length=True), batch_size=16)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.5), loader, epochs=5,
                  progress=False)
    assert history.steps == 20
    assert evaluate(model, cross_entropy, loader)["accuracy"] > 0.9


def test_fit_refuses_a_stream_without_a_length_saying_why():
    model = Linear(2, 2)
    with pytest.raises(TypeError, match="fit: train_data is a DataLoader over a stream without "
                                        "len\\(\\).*give _Moons a __len__"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.5),
            DataLoader(_Moons(length=False), batch_size=16), progress=False)


# -- the dtype of the data: that of the model's parameters ---------------------------------------

class _SeesDtypes(Module):
    """`inner`, recording the dtype of every input it is given."""
    def __init__(self, inner):
        self.inner = inner
        self.seen = []

    def forward(self, x):
        self.seen.append(x.dtype)
        return self.inner(x)


def _regression_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))                  # float64, as numpy, pandas and / 255.0 give
    y = X @ np.array([[0.5], [-1.0], [2.0]]) + 0.1 * rng.normal(size=(50, 1))
    return X, y


def _trained(X, y, **options):
    manual_seed(0)
    model = _SeesDtypes(MLP(3, [8], 1))
    history = fit(model, mse_loss, Adam(model.parameters(), lr=0.01), (X, y), epochs=3, seed=0,
                  progress=False, batch_size=16, **options)
    return model, history


def test_fit_gives_a_float32_model_float64_data_as_float32():
    X, y = _regression_data()
    model, history = _trained(X, y, val_data=(X[:10], y[:10]))
    # before: every layer computed in float64 (numpy's promotion), gradients cast at the weights
    assert set(model.seen) == {np.dtype(np.float32)}
    assert all(p.dtype == np.float32 for p in model.parameters())
    cast, cast_history = _trained(X.astype(np.float32), y.astype(np.float32),
                                  val_data=(X[:10].astype(np.float32), y[:10].astype(np.float32)))
    for name, value in cast.state_dict().items():       # the same numbers, bit for bit
        np.testing.assert_array_equal(model.state_dict()[name].data, value.data)
    for name in ("loss", "val_loss", "val_r2"):
        assert history[name] == cast_history[name]


def test_evaluate_and_a_dataloader_give_the_parameters_dtype_too():
    X, y = _regression_data()
    manual_seed(0)
    model = _SeesDtypes(MLP(3, [8], 1))
    scores = evaluate(model, mse_loss, DataLoader(Tensor(X), y, batch_size=16))
    assert set(model.seen) == {np.dtype(np.float32)}
    assert scores == evaluate(model, mse_loss, (X.astype(np.float32), y.astype(np.float32)),
                              batch_size=16)


def test_fit_keeps_a_float64_model_float64():
    X, y = _regression_data()
    manual_seed(0)
    model = _SeesDtypes(MLP(3, [8], 1, dtype=np.float64))
    fit(model, mse_loss, SGD(model.parameters(), lr=0.01), (X.astype(np.float32), y),
        epochs=1, progress=False)
    assert set(model.seen) == {np.dtype(np.float64)}    # float32 data made float64, as it is
    assert all(p.dtype == np.float64 for p in model.parameters())


def test_fit_leaves_integer_inputs_such_as_token_ids_as_they_are():
    from nn import Embedding, Sequential
    tokens = np.random.default_rng(0).integers(0, 10, size=(40, 1))
    manual_seed(0)
    model = _SeesDtypes(Sequential(Embedding(10, 4), Linear(4, 3)))
    fit(model, lambda out, y: cross_entropy(out.reshape(-1, 3), y), SGD(model.parameters(),
        lr=0.1), (tokens, tokens[:, 0] % 3), epochs=1, progress=False, metrics=())
    assert set(model.seen) == {np.dtype(np.int64)}


def test_fit_leaves_the_data_of_a_model_of_several_dtypes_as_they_are():
    X, y = _regression_data()
    model = _SeesDtypes(MLP(3, [8], 1))
    model.inner[0].weight = Parameter(model.inner[0].weight.data.astype(np.float64))
    fit(model, mse_loss, SGD(model.parameters(), lr=0.01), (X, y), epochs=1, progress=False)
    assert set(model.seen) == {np.dtype(np.float64)}


def test_fit_refuses_data_too_large_for_the_parameters_dtype():
    X, y = _regression_data()
    X[7, 1] = 1e39                      # float32 would hold inf: a silent NaN loss, or worse
    model = MLP(3, [8], 1)
    with pytest.raises(ValueError, match=r"fit: train_data: X holds numbers up to 1e\+39, "
                                         r"beyond float32's largest.*double\(\)"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.01), (X, y), progress=False)
    with pytest.raises(ValueError, match=r"fit: train_data: batch 1 of epoch 1: x holds numbers "
                                         r"up to 1e\+39, beyond float32's largest"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.01),
            DataLoader(X, y, batch_size=16), progress=False)
    with pytest.raises(ValueError, match=r"evaluate: data: batch 1's x holds numbers up to "):
        evaluate(model, mse_loss, DataLoader(X, y, batch_size=16))
    with pytest.raises(ValueError, match=r"evaluate: data: X holds numbers up to "):
        evaluate(model, mse_loss, (X, y))


def test_val_data_float_labels_are_refused_before_the_first_epoch():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    calls = []
    model = Linear(4, 3)
    model.register_forward_hook(lambda module, args, out: calls.append(1))
    with pytest.raises(TypeError, match=r"^fit: val_data: cross_entropy takes class labels 0, "
                                        r"1, \.\.\., C-1, but y holds values such as 0\.5"):
        fit(model, cross_entropy, SGD(model.parameters(), 0.1), (X, y),
            val_data=(X[:4], np.array([0.5, 1.0, 2.0, 0.0])), progress=False)
    assert calls == []                      # no epoch was trained
