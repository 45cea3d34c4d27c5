"""nn.scoring: losses declare their task and how outputs become labels; metrics declare their
direction; fit, evaluate, cross_validate and GridSearch follow what they declare."""

import functools
import warnings

import numpy as np
import pytest

from autograd import functional as AF
from autograd import manual_seed
from nn import (
    MLP, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, EarlyStopping, HingeLoss, L1Loss,
    LinearRegression, LogisticRegression, MSELoss, NLLLoss, SoftmaxRegression, cross_entropy,
    cross_validate, evaluate, fit, losses, mse_loss,
)
from nn import functional as F
from nn.data import make_blobs
from nn.metrics import UndefinedMetricWarning, accuracy, f1_score, precision, recall
from nn.optim import SGD
from nn.optim.lr_scheduler import ReduceLROnPlateau
from nn.scoring import declare_loss, declare_metric, default_metrics, loss_task
from nn.selection import GridSearch


@pytest.fixture
def regression():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -1.0, 2.0]) + 0.5 + 0.1 * rng.normal(size=90)).astype(np.float32)
    return X, y


@pytest.fixture
def blobs():
    X, y = make_blobs(120, centers=[(-1.5, -1.5), (1.5, 1.5)], cluster_std=0.6, seed=0)
    return X.astype(np.float32), y


class Linear1(LinearRegression):
    """A regression model whose outputs have the targets' shape (N,)."""
    def forward(self, x):
        return super().forward(x).reshape(-1)


# -- regression is a first-class task ------------------------------------------------------------

def test_fit_trains_a_regression_model_with_its_default_metric(regression):
    X, y = regression
    model = LinearRegression(3)
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.05), (X, y), epochs=50,
                  progress=False)
    assert history.epochs == 50 and set(history.history) == {"loss", "r2", "lr"}
    assert history["r2"][-1] > 0.99


def test_evaluate_and_cross_validate_pick_regression_metrics(regression):
    X, y = regression
    model = LinearRegression(3)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.05), (X, y), epochs=20, progress=False)
    assert set(evaluate(model, mse_loss, (X, y))) == {"loss", "r2"}

    def build():
        m = LinearRegression(3)
        return m, MSELoss(), SGD(m.parameters(), lr=0.05)
    cv = cross_validate(build, X, y, cv=3, fit_kwargs={"epochs": 20})
    assert set(cv["mean"]) == {"loss", "r2"} and cv["mean"]["r2"] > 0.9
    assert cv["higher_is_better"] == {"loss": False, "r2": True}


def test_regression_metrics_score_an_image_per_sample_as_its_outputs():
    """An autoencoder's (N, 1, H, W) targets: 'mse', 'mae' and 'r2' score each image's pixels
    as that sample's outputs, as for (N, H·W) (they failed after the first epoch: "y_true has
    shape (N, 1, H, W); expected (n,) or (n, outputs)")."""
    from nn import Conv2d
    from nn.metrics import mean_absolute_error, mean_squared_error, r2_score
    images = np.random.default_rng(2).random((12, 1, 4, 4)).astype(np.float32)
    manual_seed(2)
    model = Conv2d(1, 1, 3, padding=1)
    scores = evaluate(model, mse_loss, (images, images), metrics=["mse", "mae", "r2"])
    outputs, flat = model(images).data.reshape(12, 16), images.reshape(12, 16)
    assert scores == pytest.approx({"loss": mean_squared_error(flat, outputs),
                                    "mse": mean_squared_error(flat, outputs),
                                    "mae": mean_absolute_error(flat, outputs),
                                    "r2": r2_score(flat, outputs)})
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (images, images),
                  metrics=["mse"], progress=False)
    assert history["mse"][-1] == pytest.approx(history["loss"][-1])


def test_grid_search_minimises_mse():
    """The issue's case: mse is lower-is-better, so the clearly better lr 0.05 wins."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    y = (X @ np.array([2.0, -1.0, 0.5]) + 1.0).astype(np.float32)

    def build(lr):
        model = LinearRegression(3)
        return model, mse_loss, SGD(model.parameters(), lr=lr)

    search = GridSearch(build, {"lr": [0.0005, 0.05]}, cv=3, metrics=("mse",), scoring="mse",
                        fit_kwargs={"epochs": 20, "batch_size": 16}).fit(X, y)
    assert search.best_params == {"lr": 0.05}
    assert search.best_score == min(r["mean"]["mse"] for r in search.results)


def test_grid_search_on_regression_defaults_to_r2_maximised(regression):
    X, y = regression

    def build(lr):
        model = LinearRegression(3)
        return model, mse_loss, SGD(model.parameters(), lr=lr)

    search = GridSearch(build, {"lr": [0.0005, 0.05]}, cv=3,
                        fit_kwargs={"epochs": 10, "batch_size": 16}, refit=False).fit(X, y)
    assert search.scoring == "r2" and search.best_params == {"lr": 0.05}


# -- what losses declare -------------------------------------------------------------------------

@pytest.mark.parametrize("function, module", [
    (F.mse_loss, MSELoss()), (F.l1_loss, L1Loss()), (F.binary_cross_entropy, BCELoss()),
    (F.binary_cross_entropy_with_logits, BCEWithLogitsLoss()),
    (F.cross_entropy, CrossEntropyLoss()), (F.nll_loss, NLLLoss()), (F.hinge_loss, HingeLoss()),
])
def test_every_loss_function_and_module_declare_the_same_task(function, module):
    assert loss_task(function) == loss_task(module) and loss_task(function) is not None


def test_the_engine_and_nn_share_one_binary_cross_entropy_with_logits():
    assert F.binary_cross_entropy_with_logits is AF.binary_cross_entropy_with_logits
    assert loss_task(AF.binary_cross_entropy_with_logits).task == "binary"


def test_outputs_become_labels_by_the_declared_rule():
    out = np.array([[-0.3], [0.2], [0.0]])
    assert loss_task(F.binary_cross_entropy_with_logits).to_labels(out).tolist() == [0, 1, 0]
    assert loss_task(F.binary_cross_entropy).to_labels(np.array([0.2, 0.5, 0.9])).tolist() == \
        [0, 0, 1]                                        # (1/2 is class 0, as z = 0 is)
    assert loss_task(HingeLoss()).to_labels(out).tolist() == [-1, 1, -1]
    assert loss_task(F.nll_loss).to_labels(np.array([[-2.0, -0.1]])).tolist() == [1]
    assert loss_task(F.mse_loss).to_labels is None


def test_wrapped_and_user_defined_losses_work_when_they_declare(blobs):
    X, y = blobs

    @functools.wraps(F.binary_cross_entropy_with_logits)
    def wrapped(z, t):                              # functools.wraps copies the declaration
        return F.binary_cross_entropy_with_logits(z.reshape(-1), t)

    @declare_loss("binary", to_labels="logit")
    def mine(z, t):
        return F.binary_cross_entropy_with_logits(z.reshape(-1), t)

    def by_attribute(z, t):
        return F.binary_cross_entropy_with_logits(z.reshape(-1), t)
    by_attribute.task, by_attribute.to_labels = "binary", "logit"

    for loss in (wrapped, mine, by_attribute,
                 functools.partial(F.binary_cross_entropy_with_logits, reduction="mean")):
        manual_seed(0)
        model = LogisticRegression(2)
        history = fit(model, loss, SGD(model.parameters(), lr=0.3), (X, y), epochs=3,
                      progress=False)
        assert history["accuracy"][-1] > 0.9, loss


def test_a_loss_module_class_declares_by_class_attributes(blobs):
    X, y = blobs

    class Mine(losses.CrossEntropyLoss.__mro__[1]):     # a plain _Loss subclass
        task = "multiclass"

        def forward(self, logits, labels):
            return cross_entropy(logits, labels)

    model = SoftmaxRegression(2, 2)
    history = fit(model, Mine(), SGD(model.parameters(), lr=0.5), (X, y), epochs=2,
                  progress=False)
    assert "accuracy" in history


def test_an_undeclared_loss_records_only_the_loss(regression):
    X, y = regression
    model = Linear1(3)
    history = fit(model, lambda out, t: ((out - t) ** 2).mean(), SGD(model.parameters(), lr=0.05),
                  (X, y), epochs=2, progress=False)
    assert set(history.history) == {"loss", "lr"}
    assert default_metrics(lambda out, t: 0) == ()


def test_accuracy_for_a_regression_loss_is_refused_before_training(regression):
    X, y = regression
    model = LinearRegression(3)
    weights = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match="fit: mse_loss is a regression loss.*'mse', 'mae' or "
                                         "'r2'"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.05), (X, y), metrics=("accuracy",),
            progress=False)
    assert all(np.array_equal(w, p.data) for w, p in zip(weights, model.parameters()))
    with pytest.raises(ValueError, match="evaluate: MSELoss is a regression loss"):
        evaluate(model, MSELoss(), (X, y), ["accuracy"])


def test_a_regression_metric_for_a_classifier_is_refused_before_training(blobs):
    X, y = blobs
    model = MLP(2, [4], 2)
    with pytest.raises(ValueError, match="fit: 'r2' is a regression metric.*shape \\(N, C\\) "
                                         "for cross_entropy"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), metrics=["r2"],
            progress=False)
    # an undeclared loss is only found out when scoring, still by name and shapes
    with pytest.raises(ValueError, match="metric 'mse' is a regression metric.*outputs have "
                                         "shape \\(120, 2\\).*y has shape \\(120,\\)"):
        evaluate(model, lambda out, t: cross_entropy(out, t), (X, y), ["mse"])


@pytest.mark.parametrize("kwargs, message", [
    (dict(task="ranking"), "task must be one of"),
    (dict(task="binary"), "a binary loss must say how its outputs become labels"),
    (dict(task="regression", to_labels="argmax"), "a regression loss has no class labels"),
    (dict(task="multiclass", to_labels="top"), "to_labels must be one of"),
])
def test_bad_declarations_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        declare_loss(**kwargs)


# -- metrics know their direction ----------------------------------------------------------------

def test_early_stopping_on_accuracy_maximises_it(blobs):
    X, y = blobs
    manual_seed(0)
    model = MLP(2, [4], 2)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.2), (X[:80], y[:80]),
                  epochs=15, val_data=(X[80:], y[80:]),
                  early_stopping=EarlyStopping("val_accuracy", patience=20), progress=False)
    accuracy = history["val_accuracy"]
    assert history.best_epoch == 1 + int(np.argmax(accuracy))


def test_a_user_metric_declares_its_direction(blobs):
    X, y = blobs

    @declare_metric(higher_is_better=False)
    def errors(y_true, y_pred):
        return int((y_true != y_pred).sum())

    manual_seed(0)
    model = SoftmaxRegression(2, 2)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (X[:80], y[:80]),
                  epochs=6, val_data=(X[80:], y[80:]), metrics=(errors,),
                  early_stopping=EarlyStopping("val_errors", patience=10,
                                               restore_best_weights=False), progress=False)
    assert history.best_epoch == 1 + int(np.argmin(history["val_errors"]))


def test_every_score_in_nn_metrics_says_its_direction(blobs):
    """fit(metrics=[nn.metrics.accuracy]) can early-stop on it, as on the name "accuracy"."""
    from nn import metrics
    scores = {name: getattr(metrics, name) for name in metrics.__all__
              if name not in ("UndefinedMetricWarning", "confusion_matrix", "classification_report",
                              "roc_curve", "precision_recall_curve")}
    lower = {"zero_one_loss", "log_loss", "mean_squared_error", "root_mean_squared_error",
             "mean_absolute_error", "mean_absolute_percentage_error"}
    assert {name: score.higher_is_better for name, score in scores.items()} == \
        {name: name not in lower for name in scores}

    X, y = blobs
    manual_seed(0)
    model = SoftmaxRegression(2, 2)
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (X[:80], y[:80]),
                  epochs=4, val_data=(X[80:], y[80:]), metrics=[accuracy, f1_score],
                  early_stopping=EarlyStopping("val_accuracy", patience=10,
                                               restore_best_weights=False), progress=False)
    assert history.best_epoch == 1 + int(np.argmax(history["val_accuracy"]))


def test_ranking_by_an_undeclared_metric_asks_for_a_direction(blobs):
    X, y = blobs

    def errors(y_true, y_pred):
        return int((y_true != y_pred).sum())

    model = SoftmaxRegression(2, 2)
    with pytest.raises(ValueError, match="does not say whether higher or lower is better"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (X[:80], y[:80]),
            val_data=(X[80:], y[80:]), metrics=(errors,),
            early_stopping=EarlyStopping("val_errors"), progress=False)

    def build(lr):
        m = SoftmaxRegression(2, 2)
        return m, cross_entropy, SGD(m.parameters(), lr=lr)
    with pytest.raises(ValueError, match="GridSearch: cannot rank by 'errors'"):
        GridSearch(build, {"lr": [0.1]}, cv=2, metrics=(errors,),
                   fit_kwargs={"epochs": 1}).fit(X, y)


def test_reduce_lr_on_plateau_must_go_the_monitored_scores_way(blobs):
    X, y = blobs
    model = SoftmaxRegression(2, 2)
    optimizer = SGD(model.parameters(), lr=0.1)
    stop = EarlyStopping("val_accuracy", patience=5)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau\(mode='min'\).*make it with "
                                         r"mode='max'"):
        fit(model, cross_entropy, optimizer, (X[:80], y[:80]), val_data=(X[80:], y[80:]),
            early_stopping=stop, scheduler=ReduceLROnPlateau(optimizer), progress=False)
    history = fit(model, cross_entropy, optimizer, (X[:80], y[:80]), epochs=2,
                  val_data=(X[80:], y[80:]), early_stopping=stop,
                  scheduler=ReduceLROnPlateau(optimizer, mode="max"), progress=False)
    assert history.epochs == 2


def test_history_after_early_stopping_reports_the_restored_epoch():
    # training pulls w towards +2 while the validation data wants -2: validation only worsens
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    model = Linear1(1)
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (x, 2 * x[:, 0]),
                  epochs=20, val_data=(x, -2 * x[:, 0]), batch_size=40, shuffle=False,
                  early_stopping=EarlyStopping(patience=2), progress=False)
    assert history.stopped_early and history.restored_epoch == history.best_epoch == 1
    assert history.scores() == history.at(1) != history.last()
    now = evaluate(model, mse_loss, (x, -2 * x[:, 0]))
    assert now["loss"] == pytest.approx(history.scores()["val_loss"], rel=1e-6)
    assert repr(history).startswith("History(epochs=3, best_epoch=1 (restored epoch 1); epoch 1: "
                                   "loss=")
    assert f"val_loss={history.at(1)['val_loss']:.4g}" in repr(history)


def test_a_three_class_model_is_macro_averaged_even_on_two_of_its_classes():
    # a validation set holding classes 1 and 2 only: the binary score of class 1 would be
    # another number under the same name (or an error when the predictions use class 0 too)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2)).astype(np.float32)
    y = rng.integers(1, 3, 30)
    model = SoftmaxRegression(2, 3)
    model.linear.weight.data[...] = rng.normal(size=(3, 2))
    predicted = model.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)     # class 0: never true
        scores = evaluate(model, cross_entropy, (X, y), metrics=["precision", "recall", "f1"])
        assert scores["precision"] == pytest.approx(precision(y, predicted, average="macro"))
        assert scores["recall"] == pytest.approx(recall(y, predicted, average="macro"))
        assert scores["f1"] == pytest.approx(f1_score(y, predicted, average="macro"))


def test_one_metric_may_be_given_alone(blobs):
    X, y = blobs
    model = LogisticRegression(2)
    optimizer = SGD(model.parameters(), lr=0.1)
    history = fit(model, F.binary_cross_entropy_with_logits, optimizer, (X, y),
                  metrics="f1", progress=False)
    assert set(history.history) == {"loss", "f1", "lr"}
    assert set(evaluate(model, F.binary_cross_entropy_with_logits, (X, y),
                        metrics=accuracy)) == {"loss", "accuracy"}


def test_probabilities_and_logits_give_the_same_labels_at_one_half():
    """σ(0) = 1/2: the zero model's outputs are class 0 whether read as logits or probabilities
    (and LogisticRegression.predict agrees), so accuracy does not depend on the loss chosen."""
    from nn import LogisticRegression
    from nn.scoring import LABEL_RULES
    z = np.array([-1.0, 0.0, 1e-9, 2.0])
    p = 1 / (1 + np.exp(-z))
    assert LABEL_RULES["logit"](z).tolist() == LABEL_RULES["probability"](p).tolist() == [0, 0, 1, 1]
    assert LogisticRegression(3).predict(np.ones((2, 3))).tolist() == [0, 0]


def test_a_partial_of_a_metric_is_named_and_declared_as_the_metric():
    # what the 0/0 warning of precision advises inside fit: functools.partial(precision,
    # zero_division=0.0); its scores are named "precision", as the function's are
    import functools
    from nn.metrics import precision
    from nn.scoring import declare_metric, metric_table
    plain = metric_table([precision], "multiclass")["precision"]
    chosen = metric_table([functools.partial(precision, zero_division=0.0)], "multiclass")
    assert list(chosen) == ["precision"]
    assert chosen["precision"][2:] == plain[2:]           # direction, on labels
    # a partial declared by itself keeps its own declaration (and the function's name)
    ranked = declare_metric(higher_is_better=False)(functools.partial(precision, average="macro"))
    assert metric_table([ranked], "multiclass")["precision"].higher_is_better is False
