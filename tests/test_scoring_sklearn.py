"""A learner from scikit-learn scores glassgrad models: scikit-learn's scoring names, metrics of
probabilities given the probabilities a model of logits stands for (never the logits), their
directions in early stopping and GridSearch, and sample_weight in evaluate, cross_validate and
GridSearch. The expected numbers are computed here by hand (numpy), not by scikit-learn."""

import numpy as np
import pytest

from nn import (BCEWithLogitsLoss, CrossEntropyLoss, EarlyStopping, HingeLoss, Linear,
                LinearRegression, LinearSVM, LogisticRegression, LogSoftmax, MSELoss,
                MultiMarginLoss, NLLLoss, Sequential, SoftmaxRegression, cross_entropy,
                cross_validate, evaluate, fit, mse_loss)
from nn import functional as F
from nn import metrics as M
from nn.data import DataLoader
from nn.optim import SGD
from nn.scoring import METRICS, declare_metric, metric_table
from nn.selection import GridSearch

RNG = np.random.default_rng(7)
X2 = RNG.normal(size=(30, 2)).astype(np.float32)
Y2 = (X2[:, 0] + RNG.normal(size=30) > 0).astype(np.int64)
Y3 = np.argmax(np.c_[X2, -X2.sum(1)] + RNG.normal(size=(30, 3)), axis=1)
W = RNG.uniform(0.0, 2.0, 30)


def _logistic() -> LogisticRegression:
    model = LogisticRegression(2)
    model.weight.data[...], model.bias.data[...] = [[1.5, -0.5]], 0.25
    return model


def _softmax3() -> SoftmaxRegression:
    model = SoftmaxRegression(2, 3)
    model.linear.weight.data[...] = [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]
    model.linear.bias.data[...] = [0.1, -0.2, 0.0]
    return model


def _z(model) -> np.ndarray:
    """The model's outputs, as fit and evaluate compute them (float32), in float64."""
    return np.asarray(model(X2).data, dtype=np.float64)


def _probs3(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _auc(y: np.ndarray, s: np.ndarray, w: np.ndarray | None = None) -> float:
    """AUC by its definition: over all (positive, negative) pairs, weighted by the product of
    their weights, the share where the positive scores higher, ties counting one half."""
    w = np.ones(len(y)) if w is None else w
    pos, neg = y == 1, y == 0
    pair = w[pos][:, None] * w[neg][None, :]
    wins = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
    return float(np.sum(pair * wins) / np.sum(pair))


# -- metrics of probabilities get probabilities --------------------------------------------------

def test_a_binary_model_of_logits_hands_sigmoid_of_them_to_log_loss_and_auc():
    model, z = _logistic(), _z(_logistic()).ravel()
    p = 1 / (1 + np.exp(-z))
    log_loss = float(np.mean(-np.log(np.where(Y2 == 1, p, 1 - p))))
    names = evaluate(model, BCEWithLogitsLoss(), (X2, Y2.astype(np.float32)),
                     metrics=["log_loss", "neg_log_loss", "roc_auc", "average_precision"])
    functions = evaluate(model, F.binary_cross_entropy_with_logits, (X2, Y2),
                         metrics=[M.log_loss, M.roc_auc_score])
    assert names["log_loss"] == functions["log_loss"] == pytest.approx(log_loss, rel=1e-12)
    assert names["neg_log_loss"] == -names["log_loss"]
    # the log loss of σ(z) is the loss itself, to float32's rounding of the loss
    assert names["log_loss"] == pytest.approx(names["loss"], rel=1e-6)
    assert names["roc_auc"] == functions["roc_auc_score"] == pytest.approx(_auc(Y2, z))
    assert names["average_precision"] == M.average_precision_score(Y2, p)


def test_a_softmax_model_hands_its_probabilities_to_log_loss_auc_and_top_k():
    """They were refused ("one score per sample"), or given raw logits."""
    model = _softmax3()
    probs = _probs3(_z(model))
    log_loss = float(np.mean(-np.log(probs[np.arange(30), Y3])))
    auc = np.mean([_auc((Y3 == c).astype(int), probs[:, c]) for c in range(3)])
    top2 = np.mean([Y3[i] in np.argsort(probs[i])[-2:] for i in range(30)])
    scores = evaluate(model, CrossEntropyLoss(), (X2, Y3),
                      metrics=["log_loss", "roc_auc", "roc_auc_ovr", "top_k_accuracy",
                               M.log_loss, M.roc_auc_score, M.top_k_accuracy_score])
    assert scores["log_loss"] == pytest.approx(log_loss, rel=1e-12)
    assert scores["loss"] == pytest.approx(log_loss, rel=1e-6)        # (float32's rounding)
    assert scores["roc_auc"] == scores["roc_auc_ovr"] == scores["roc_auc_score"] == \
        pytest.approx(auc)
    assert scores["top_k_accuracy"] == scores["top_k_accuracy_score"] == top2
    # log-probabilities (nll_loss's): their softmax is the probabilities they are the log of
    log_probs = Sequential(model.linear, LogSoftmax(dim=1))
    assert evaluate(log_probs, NLLLoss(), (X2, Y3), metrics=["log_loss"])["log_loss"] == \
        pytest.approx(log_loss, rel=1e-6)


def test_log_loss_on_data_lacking_a_class_counts_the_models_classes():
    """A validation fold without class 2: the model's three columns are the classes (log_loss
    said 'y_pred has 3 columns but there are 2 classes found in y_true')."""
    model, keep = _softmax3(), Y3 != 2
    probs = _probs3(_z(model))[keep]
    expected = float(np.mean(-np.log(probs[np.arange(len(probs)), Y3[keep]])))
    scores = evaluate(model, cross_entropy, (X2[keep], Y3[keep]), metrics=["log_loss", M.log_loss])
    assert scores["log_loss"] == pytest.approx(expected, rel=1e-12)


def test_metrics_of_probabilities_are_refused_where_the_outputs_are_none():
    """Before any training, naming the loss: a margin loss's scores, a regression's numbers,
    an undeclared loss's outputs (logits or probabilities?). AUC ranks a margin loss's own
    scores, as scikit-learn's uses an SVM's decision_function."""
    y_pm = np.where(Y2 == 1, 1.0, -1.0).astype(np.float32)
    svm = LinearSVM(2)
    svm.weight.data[...] = [[1.5, -0.5]]
    with pytest.raises(ValueError, match="fit: 'log_loss' scores the model's class "
                                         "probabilities, but HingeLoss gives scores \\(margins\\)"):
        fit(svm, HingeLoss(), SGD(svm.parameters(), lr=0.1), (X2, y_pm), metrics=["log_loss"],
            progress=False)
    assert svm.weight.data.tolist() == [[1.5, -0.5]]            # refused before any step
    margins = X2.astype(np.float64) @ [1.5, -0.5]
    assert evaluate(svm, HingeLoss(), (X2, y_pm), metrics=["roc_auc"])["roc_auc"] == \
        pytest.approx(_auc(Y2, margins))
    with pytest.raises(ValueError, match="'roc_auc' scores class probabilities, but MSELoss is "
                                         "a regression loss"):
        evaluate(LinearRegression(2), MSELoss(), (X2, X2[:, 0]), metrics=["roc_auc"])
    with pytest.raises(ValueError, match="<lambda> declares no task, so its outputs could be "
                                         "logits or probabilities; declare it"):
        evaluate(_softmax3(), lambda z, y: cross_entropy(z, y), (X2, Y3), metrics=[M.log_loss])
    with pytest.raises(ValueError, match="MultiMarginLoss gives scores \\(margins\\)"):
        evaluate(_softmax3(), MultiMarginLoss(), (X2, Y3), metrics=["log_loss"])
    with pytest.raises(ValueError, match="multi_margin_loss gives scores \\(margins\\)"):
        evaluate(_softmax3(), F.multi_margin_loss, (X2, Y3), metrics=[M.log_loss])


def test_auc_of_a_multiclass_margin_loss_is_refused_before_training():
    """multi_margin_loss's outputs are one margin per class, no probabilities: log_loss's
    refusal advised 'roc_auc', which then failed after the first epoch ("needs probabilities
    whose rows sum to 1 (apply softmax to logits first)"). AUC is refused before any step, as
    log_loss is; the metrics that rank any scores still take the margins."""
    model = _softmax3()
    before = model.linear.weight.data.copy()
    for auc in ("roc_auc", "roc_auc_ovr_weighted", M.roc_auc_score):
        with pytest.raises(ValueError, match=r"fit: 'roc_auc\w*' scores the model's class "
                                             r"probabilities, but MultiMarginLoss gives scores "
                                             r"\(margins\) that are no probabilities; score it "
                                             r"with 'accuracy', 'average_precision' or "
                                             r"'top_k_accuracy'"):
            fit(model, MultiMarginLoss(), SGD(model.parameters(), lr=0.1), (X2, Y3),
                metrics=[auc], progress=False)
    np.testing.assert_array_equal(model.linear.weight.data, before)     # no step was taken
    with pytest.raises(ValueError) as refused:
        evaluate(model, F.multi_margin_loss, (X2, Y3), metrics=["log_loss"])
    assert "roc_auc" not in str(refused.value)
    margins = _z(model)
    scores = evaluate(model, MultiMarginLoss(), (X2, Y3),
                      metrics=["average_precision", "top_k_accuracy"])
    assert scores["top_k_accuracy"] == np.mean([Y3[i] in np.argsort(margins[i])[-2:]
                                                for i in range(30)])
    assert scores["average_precision"] == M.average_precision_score(Y3, margins)  # the margins


# -- scikit-learn's names ------------------------------------------------------------------------

def test_scikit_learns_scoring_names_score_with_their_directions():
    lower = {"log_loss", "mse", "rmse", "mae", "mape"}
    assert {n: m.higher_is_better for n, m in METRICS.items()} == \
        {n: n not in lower for n in METRICS}
    y = np.array([1.0, 2.0, 4.0, 8.0], dtype=np.float32)
    pred = np.array([1.5, 2.0, 3.0, 9.0])
    model = LinearRegression(1)
    model.weight.data[...], model.bias.data[...] = 1.0, 0.0
    Flat = type("Flat", (Sequential,), {"forward": lambda self, x: self[0](x).reshape(-1)})
    scores = evaluate(Flat(model), mse_loss, (pred[:, None].astype(np.float32), y),
                      metrics=["mse", "rmse", "mae", "mape", "explained_variance",
                               "neg_mean_squared_error", "neg_root_mean_squared_error",
                               "neg_mean_absolute_error", "neg_mean_absolute_percentage_error"])
    errors = pred - y                       # 0.5, 0, -1, 1
    assert scores["mse"] == pytest.approx(2.25 / 4) == -scores["neg_mean_squared_error"]
    assert scores["rmse"] == pytest.approx(np.sqrt(2.25 / 4)) == \
        -scores["neg_root_mean_squared_error"]
    assert scores["mae"] == pytest.approx(2.5 / 4) == -scores["neg_mean_absolute_error"]
    assert scores["mape"] == pytest.approx((0.5 + 0 + 0.25 + 0.125) / 4) == \
        -scores["neg_mean_absolute_percentage_error"]
    assert scores["explained_variance"] == pytest.approx(1 - np.var(errors) / np.var(y))

    labels = _softmax3().predict(X2)
    classes = evaluate(_softmax3(), cross_entropy, (X2, Y3),
                       metrics=["balanced_accuracy", "matthews_corrcoef", "f1_macro",
                                "precision_weighted", "recall_micro"])
    recalls = [np.mean(labels[Y3 == c] == c) for c in range(3)]
    assert classes["balanced_accuracy"] == pytest.approx(np.mean(recalls))
    assert classes["matthews_corrcoef"] == M.matthews_corrcoef(Y3, labels)
    assert classes["f1_macro"] == M.f1_score(Y3, labels, average="macro")
    assert classes["precision_weighted"] == M.precision(Y3, labels, average="weighted")
    assert classes["recall_micro"] == pytest.approx(np.mean(labels == Y3))


def _build(lr=0.0, n_classes=3):
    model = _softmax3() if n_classes == 3 else _logistic()
    loss = cross_entropy if n_classes == 3 else F.binary_cross_entropy_with_logits
    return model, loss, SGD(model.parameters(), lr=lr)


def test_grid_search_takes_a_scoring_name_or_function_it_was_not_given_as_a_metric():
    """GridSearch(build, grid, scoring="roc_auc"), as scikit-learn's: it said "scoring 'roc_auc'
    is not among the scores ['accuracy', 'loss']" after the first candidate's training."""
    folds = [(np.arange(15), np.arange(15, 30)), (np.arange(15, 30), np.arange(15))]
    for scoring, name in (("roc_auc", "roc_auc"), (M.roc_auc_score, "roc_auc_score")):
        search = GridSearch(_build, {"lr": [0.0]}, cv=folds, scoring=scoring, refit=False,
                            fit_kwargs={"epochs": 1}).fit(X2, Y3)
        probs = _probs3(_z(_softmax3()))
        per_fold = [np.mean([_auc((Y3[v] == c).astype(int), probs[v, c]) for c in range(3)])
                    for _, v in folds]
        assert search.scoring == name
        assert search.best_score == pytest.approx(np.mean(per_fold))


def test_early_stopping_and_grid_search_minimise_log_loss_and_maximise_its_negation():
    # training moves the weights away from the data's labels: the log loss only grows
    y_flipped = 1 - Y2
    model = _logistic()
    history = fit(model, F.binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.5),
                  (X2, y_flipped), epochs=4, val_data=(X2, Y2), metrics=["log_loss"],
                  early_stopping=EarlyStopping("val_log_loss", patience=10,
                                               restore_best_weights=False), progress=False)
    assert history.best_epoch == 1 + int(np.argmin(history["val_log_loss"])) == 1
    found = {}
    for scoring in ("log_loss", "neg_log_loss"):
        search = GridSearch(lambda lr: _build(lr, 2), {"lr": [0.0, 2.0]}, cv=2, refit=False,
                            scoring=scoring, fit_kwargs={"epochs": 3}).fit(X2, y_flipped)
        found[scoring] = search.best_params
    assert found["log_loss"] == found["neg_log_loss"]


# -- sample_weight -------------------------------------------------------------------------------

def test_evaluate_weights_every_metric_and_the_loss():
    """The loss was the plain mean with sample_weight given, where fit's val_data=(X, y, w)
    records the weighted one: the same model and data gave two different losses."""
    model = _softmax3()
    probs = _probs3(_z(model))
    labels = probs.argmax(1)
    weighted = evaluate(model, cross_entropy, (X2, Y3), sample_weight=W,
                        metrics=["accuracy", "log_loss", "roc_auc", "f1"])
    assert weighted["loss"] == pytest.approx(weighted["log_loss"], rel=1e-6)   # float32 loss
    assert weighted["loss"] != pytest.approx(evaluate(model, cross_entropy, (X2, Y3))["loss"])
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.0), (X2, Y3), epochs=1,
                  val_data=(X2, Y3, W), progress=False)
    assert history["val_loss"][-1] == pytest.approx(weighted["loss"], rel=1e-6)
    with pytest.raises(TypeError, match=r"evaluate: sample_weight needs each sample's loss, "
                                        r"and your loss \(a lambda\) takes no reduction="):
        evaluate(model, lambda z, y: cross_entropy(z, y), (X2, Y3), sample_weight=W)
    assert weighted["accuracy"] == pytest.approx(np.sum(W * (labels == Y3)) / np.sum(W))
    assert weighted["log_loss"] == pytest.approx(
        np.sum(W * -np.log(probs[np.arange(30), Y3])) / np.sum(W), rel=1e-12)
    assert weighted["roc_auc"] == pytest.approx(
        np.mean([_auc((Y3 == c).astype(int), probs[:, c], W) for c in range(3)]))
    assert weighted["f1"] == M.f1_score(Y3, labels, average="macro", sample_weight=W)
    # several two-class targets per sample: each target has its sample's weight
    Y = (X2 > 0).astype(np.float32)
    layer = Linear(2, 2)
    z = np.asarray(layer(X2).data, dtype=np.float64)
    right = (z > 0) == (Y == 1)
    assert evaluate(layer, BCEWithLogitsLoss(), (X2, Y), metrics=["accuracy"],
                    sample_weight=W)["accuracy"] == pytest.approx(
        np.sum(W[:, None] * right) / (2 * np.sum(W)))


def test_evaluate_refuses_weights_it_cannot_match_to_samples_or_metrics():
    model = _softmax3()
    with pytest.raises(ValueError, match="evaluate: sample_weight has 5 weights for 30 samples"):
        evaluate(model, cross_entropy, (X2, Y3), sample_weight=W[:5])
    with pytest.raises(ValueError, match="a DataLoader may shuffle or sample them"):
        evaluate(model, cross_entropy, DataLoader(X2, Y3), sample_weight=W)

    @declare_metric(higher_is_better=False)
    def errors(y_true, y_pred):
        return int(np.sum(y_true != y_pred))
    with pytest.raises(ValueError, match="the metric 'errors' takes no sample_weight="):
        evaluate(model, cross_entropy, (X2, Y3), metrics=[errors], sample_weight=W)


def test_cross_validate_and_grid_search_weight_each_folds_scores():
    folds = [(np.arange(15), np.arange(15, 30)), (np.arange(15, 30), np.arange(15))]
    labels = _softmax3().predict(X2)
    expected = [np.sum(W[v] * (labels[v] == Y3[v])) / np.sum(W[v]) for _, v in folds]
    scores = cross_validate(_build, X2, Y3, cv=folds, fit_kwargs={"epochs": 1},
                            sample_weight=W, return_train_score=True)
    assert [f["accuracy"] for f in scores["folds"]] == pytest.approx(expected)
    assert [f["accuracy"] for f in scores["train"]["folds"]] == pytest.approx(expected[::-1])
    search = GridSearch(_build, {"lr": [0.0]}, cv=folds, refit=False,
                        fit_kwargs={"epochs": 1}).fit(X2, Y3, sample_weight=W)
    assert search.best_score == pytest.approx(np.mean(expected))


def test_a_fold_whose_scored_samples_all_weigh_zero_is_refused_before_training():
    """It trained the fold, then said "evaluate: sample_weight is all zeros" (a call the user
    never made)."""
    folds = [(np.arange(15), np.arange(15, 30)), (np.arange(15, 30), np.arange(15))]
    w = np.where(np.arange(30) < 15, 1.0, 0.0)
    built = []

    def build():
        built.append(1)
        return _build()
    with pytest.raises(ValueError, match=r"cross_validate: the held-out samples of fold 0 all "
                                         r"have sample_weight 0, so its weighted scores would "
                                         r"be 0/0"):
        cross_validate(build, X2, Y3, cv=folds, sample_weight=w, fit_kwargs={"epochs": 1})
    with pytest.raises(ValueError, match=r"the training samples of fold 0 all have "
                                         r"sample_weight 0"):
        cross_validate(build, X2, Y3, cv=folds, sample_weight=1.0 - w, fit_kwargs={"epochs": 1},
                       return_train_score=True)
    with pytest.raises(ValueError, match=r"held-out samples of fold 0 all have sample_weight 0"):
        GridSearch(lambda lr: build(), {"lr": [0.0]}, cv=folds,
                   fit_kwargs={"epochs": 1}).fit(X2, Y3, sample_weight=w)
    assert built == []                                          # refused before any model


def test_grid_search_names_itself_when_its_folds_refuse_the_weights():
    """GridSearch.fit(X, y, sample_weight=w) said "cross_validate: ..." of its folds' weights
    and of a metric that takes none: a function the user never called."""
    folds = [(np.arange(15), np.arange(15, 30)), (np.arange(15, 30), np.arange(15))]
    w = np.where(np.arange(30) < 15, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"^GridSearch.fit: the held-out samples of fold 0 all "
                                         r"have sample_weight 0"):
        GridSearch(lambda lr: _build(), {"lr": [0.0]}, cv=folds,
                   fit_kwargs={"epochs": 1}).fit(X2, Y3, sample_weight=w)

    @declare_metric(higher_is_better=False)
    def errors(y_true, y_pred):
        return int(np.sum(y_true != y_pred))
    with pytest.raises(ValueError, match=r"^GridSearch.fit: sample_weight is given, but the "
                                         r"metric 'errors' takes no sample_weight="):
        GridSearch(lambda lr: _build(), {"lr": [0.0]}, cv=2, metrics=[errors],
                   fit_kwargs={"epochs": 1}).fit(X2, Y3, sample_weight=np.ones(30))


def test_scikit_learns_params_sample_weight_is_pointed_to_sample_weight():
    """cross_validate(..., params={"sample_weight": w}) is scikit-learn's spelling; here params
    are build_model's, and Python said only "build() got an unexpected keyword argument"."""
    with pytest.raises(TypeError, match=r"params= are build_model's arguments, and it takes no "
                                        r"sample_weight .* cross_validate\(\.\.\., "
                                        r"sample_weight=w\)"):
        cross_validate(_build, X2, Y3, cv=2, params={"sample_weight": W})

    @declare_metric(higher_is_better=False)
    def errors(y_true, y_pred):
        return int(np.sum(y_true != y_pred))
    built = []
    with pytest.raises(ValueError, match="cross_validate: sample_weight is given, but the metric "
                                         "'errors' takes no sample_weight="):
        cross_validate(lambda: built.append(1) or _build(), X2, Y3, cv=2, metrics=[errors],
                       sample_weight=W, fit_kwargs={"epochs": 1})
    assert len(built) == 1                                  # refused before the first fit


@pytest.mark.parametrize("typed, meant", [("roc-auc", "roc_auc"), ("Accuracy", "accuracy"),
                                          ("f1-macro", "f1_macro"), ("logloss", "log_loss")])
def test_a_misspelt_metric_name_is_answered_with_the_name_meant(typed, meant):
    with pytest.raises(ValueError, match=rf"unknown metric '{typed}' \(did you mean '{meant}'\?\)"):
        metric_table([typed], where="evaluate")
