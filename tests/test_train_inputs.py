"""nn.train with models of several inputs: fit, evaluate and cross-validation calling
model(xa, xb) for ((X_a, X_b), y), DataLoader(TensorDataset(X_a, X_b, y)) and datasets of
samples (xa, xb, y) or ((xa, xb), y)."""

import numpy as np
import pytest

from autograd import Tensor, manual_seed
from nn import Linear, Module, evaluate, fit, mse_loss
from nn.data import DataLoader, Dataset, TensorDataset
from nn.optim import Adam
from nn.selection import cross_validate, learning_curve


def _difference_data(n=128, seed=0):
    """y = x_a - x_b, summed: no model of one input alone can predict it."""
    rng = np.random.default_rng(seed)
    Xa, Xb = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    return Xa, Xb, (Xa - Xb).sum(axis=1, keepdims=True)


class Difference(Module):
    """A linear map of each input, added: it learns y = x_a - x_b only from both."""

    def __init__(self):
        self.a, self.b = Linear(3, 1), Linear(3, 1)

    def forward(self, xa, xb):
        return self.a(xa) + self.b(xb)


class _Samples(Dataset):
    def __init__(self, Xa, Xb, y, nested):
        self.Xa, self.Xb, self.y, self.nested = Xa, Xb, y, nested

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        if self.nested:
            return (self.Xa[i], self.Xb[i]), self.y[i]
        return self.Xa[i], self.Xb[i], self.y[i]


@pytest.mark.parametrize("form", ["pair", "tensor dataset", "samples (xa, xb, y)",
                                  "samples ((xa, xb), y)"])
def test_a_model_of_two_inputs_learns_from_both(form):
    Xa, Xb, y = _difference_data()
    data = {"pair": ((Xa, Xb), y),
            "tensor dataset": DataLoader(TensorDataset(Xa, Xb, y), batch_size=32, shuffle=True,
                                         seed=0),
            "samples (xa, xb, y)": _Samples(Xa, Xb, y, nested=False),
            "samples ((xa, xb), y)": _Samples(Xa, Xb, y, nested=True)}[form]
    manual_seed(0)
    model = Difference()
    options = {} if form == "tensor dataset" else {"seed": 0}
    history = fit(model, mse_loss, Adam(model.parameters(), lr=0.05), data, epochs=40,
                  progress=False, **options)
    assert history["loss"][-1] < 1e-3 * history["loss"][0]
    assert history["r2"][-1] > 0.999
    Xa_test, Xb_test, y_test = _difference_data(16, seed=1)
    np.testing.assert_allclose(model(Xa_test, Xb_test).numpy(), y_test, atol=0.05)
    scores = evaluate(model, mse_loss, ((Xa_test, Xb_test), y_test))
    assert scores["loss"] < 1e-3


def test_each_input_is_checked_and_named():
    Xa, Xb, y = _difference_data(10)
    model = Difference()
    optimizer = Adam(model.parameters())
    with pytest.raises(ValueError, match=r"^fit: train_data: X\[0\] has 10 samples but X\[1\] "
                                         r"has 9; the inputs must match one to one$"):
        fit(model, mse_loss, optimizer, ((Xa, Xb[:9]), y))
    with pytest.raises(ValueError, match=r"^fit: val_data: X has 10 samples but y has 9 labels"):
        fit(model, mse_loss, optimizer, ((Xa, Xb), y), val_data=((Xa, Xb), y[:9]))
    bad = Xb.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"^evaluate: data: X\[1\] contains NaN \(1 value\(s\) "
                                         r"in sample 4\)"):
        evaluate(model, mse_loss, ((Xa, bad), y))
    with pytest.raises(TypeError, match=r"^fit: train_data: X\[1\] must hold numbers"):
        fit(model, mse_loss, optimizer, ((Xa, Xb.astype(str)), y))
    with pytest.raises(ValueError, match=r"^fit: train_data: X has 2 samples but y has 10 "
                                         r"labels; they must match one to one \(X is a list of "
                                         r"2 arrays, read as its rows; the inputs of a model of "
                                         r"several go in a tuple: \(\(X_a, X_b\), y\)\)$"):
        fit(model, mse_loss, optimizer, ([Xa, Xb], y))


def test_a_tuple_of_plain_rows_is_still_one_x():
    """Only a tuple of arrays is read as several inputs: XOR's rows written as tuples of
    numbers are one X, as before."""
    X, y = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)), [[0.0], [1.0], [1.0], [0.0]]
    model = Linear(2, 1)
    history = fit(model, mse_loss, Adam(model.parameters()), (X, y), progress=False)
    assert history.epochs == 1 and evaluate(model, mse_loss, (X, y))["loss"] > 0


class _Recorder(Module):
    """Keeps every batch's inputs (and, through its loss, targets) as they reach the model."""

    def __init__(self, features=3):
        self.a, self.b = Linear(features, 1), Linear(features, 1)
        self.seen, self.targets = [], []

    def forward(self, xa, xb):
        self.seen.append((xa, xb))
        return self.a(xa) + self.b(xb.float())

    def loss(self, outputs, y):
        self.targets.append(y)
        return mse_loss(outputs, y)


def test_both_inputs_take_the_models_dtype_and_come_as_tensors():
    """float64 data train a float32 model in float32, for every input as for X; integer
    inputs (token ids) stay as they are."""
    Xa, Xb, y = _difference_data(8)
    model = _Recorder()
    fit(model, model.loss, Adam(model.parameters()), ((Xa, Xb), y), batch_size=4,
        progress=False)
    evaluate(model, model.loss, ((Xa, Xb.astype(np.int64)), y))
    assert all(isinstance(x, Tensor) for pair in model.seen for x in pair)
    assert [(xa.dtype, xb.dtype) for xa, xb in model.seen] == \
        [(np.float32, np.float32)] * 2 + [(np.float32, np.int64)]
    assert all(y.dtype == np.float32 for y in model.targets)


@pytest.mark.parametrize("form", ["pair", "tensor dataset", "samples ((xa, xb), y)"])
def test_shuffling_keeps_each_samples_inputs_and_label_together(form):
    n = 40
    Xa = np.arange(n, dtype=np.float32).reshape(n, 1)
    Xb, y = 1000 + Xa, -Xa                  # sample i: (i, 1000 + i), label -i
    data = {"pair": ((Xa, Xb), y),
            "tensor dataset": DataLoader(TensorDataset(Xa, Xb, y), batch_size=8, shuffle=True,
                                         seed=0),
            "samples ((xa, xb), y)": _Samples(Xa, Xb, y, nested=True)}[form]
    model = _Recorder(features=1)
    options = {} if form == "tensor dataset" else {"batch_size": 8, "seed": 0}
    fit(model, model.loss, Adam(model.parameters()), data, epochs=2, progress=False, **options)
    order = np.concatenate([xa.numpy()[:, 0] for xa, _ in model.seen])
    assert sorted(order) == sorted(list(range(n)) * 2)
    assert list(order[:n]) != list(range(n))                # shuffled
    for (xa, xb), yb in zip(model.seen, model.targets):
        np.testing.assert_array_equal(xb.numpy(), 1000 + xa.numpy())
        np.testing.assert_array_equal(np.asarray(yb), -xa.numpy())


def test_a_forward_that_takes_its_inputs_as_one_tuple_gets_them_so():
    """`forward(self, inputs)` with `xa, xb = inputs` was the way before fit spread them; a
    tuple given as one x, ((xa, xb), y), still reaches it as one."""
    Xa, Xb, y = _difference_data()

    class Unpacks(Difference):
        def forward(self, inputs):
            xa, xb = inputs
            return self.a(xa) + self.b(xb)
    manual_seed(0)
    model = Unpacks()
    history = fit(model, mse_loss, Adam(model.parameters(), lr=0.05),
                  _Samples(Xa, Xb, y, nested=True), epochs=30, progress=False, seed=0)
    assert history["r2"][-1] > 0.99


def test_more_or_fewer_inputs_than_forward_takes_are_refused_before_training():
    Xa, Xb, y = _difference_data(8)
    model = Difference()
    with pytest.raises(TypeError, match=r"^fit: train_data gives Difference 3 inputs per "
                                        r"sample, but Difference.forward takes 2 \(xa, xb\)$"):
        fit(model, mse_loss, Adam(model.parameters()), ((Xa, Xb, Xb), y))
    with pytest.raises(TypeError, match=r"^evaluate: data gives Difference one input per "
                                        r"sample, but Difference.forward takes 2 \(xa, xb\); "
                                        r"give them together: arrays as \(\(xa, xb\), y\)"):
        evaluate(model, mse_loss, (Xa, y))
    with pytest.raises(TypeError, match=r"^fit: val_data gives Difference one input per"):
        fit(model, mse_loss, Adam(model.parameters()), ((Xa, Xb), y), val_data=(Xa, y))


def test_early_stopping_restores_a_two_input_models_best_weights():
    Xa, Xb, y = _difference_data()
    Xa_val, Xb_val, y_val = _difference_data(32, seed=1)
    manual_seed(0)
    model = Difference()
    history = fit(model, mse_loss, Adam(model.parameters(), lr=0.3), ((Xa, Xb), y),
                  val_data=((Xa_val, Xb_val), y_val), epochs=30, early_stopping=2,
                  progress=False, seed=0)
    assert history.restored_epoch == history.best_epoch
    scores = evaluate(model, mse_loss, ((Xa_val, Xb_val), y_val))
    assert scores["loss"] == pytest.approx(history.scores()["val_loss"], rel=1e-5)
    assert scores["r2"] == pytest.approx(history.scores()["val_r2"], rel=1e-5)


def test_cross_validation_folds_every_input_by_the_same_rows():
    Xa, Xb, y = _difference_data(60)

    def build():
        model = Difference()
        return model, mse_loss, Adam(model.parameters(), lr=0.05)
    manual_seed(0)
    scores = cross_validate(build, (Xa, Xb), y, cv=3, fit_kwargs={"epochs": 40, "seed": 0})
    assert len(scores["folds"]) == 3 and scores["mean"]["r2"] > 0.99
    with pytest.raises(ValueError, match=r"^cross_validate: X\[0\] has 60 samples but X\[1\] "
                                         r"has 59"):
        cross_validate(build, (Xa, Xb[:59]), y, cv=3)


def test_grid_search_and_learning_curve_take_several_inputs():
    from nn.selection import GridSearch, learning_curve
    Xa, Xb, y = _difference_data(60)

    def build(lr=0.05):
        model = Difference()
        return model, mse_loss, Adam(model.parameters(), lr=lr)
    manual_seed(0)
    search = GridSearch(build, {"lr": [1e-4, 0.05]}, cv=2,
                        fit_kwargs={"epochs": 80, "seed": 0}).fit((Xa, Xb), y)
    assert search.best_params == {"lr": 0.05} and search.best_score > 0.99
    Xa_test, Xb_test, y_test = _difference_data(8, seed=1)
    np.testing.assert_allclose(search.best_model(Xa_test, Xb_test).numpy(), y_test, atol=0.1)
    curve = learning_curve(build, (Xa, Xb), y, [20, 60], ((Xa_test, Xb_test), y_test),
                           {"epochs": 30, "seed": 0})
    assert curve["train_sizes"] == [20, 60] and curve["val"]["r2"][-1] > 0.99


def test_a_two_input_classifier_is_scored_by_its_metrics_and_predict():
    """The metrics and `predict=` (outputs to labels) read the outputs as for one input."""
    from nn import cross_entropy
    Xa, Xb, _ = _difference_data(200)
    y = (Xa.sum(axis=1) > Xb.sum(axis=1)).astype(np.int64)

    class Compare(Difference):
        def __init__(self):
            self.a, self.b = Linear(3, 2), Linear(3, 2)
    manual_seed(0)
    model = Compare()
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.05), ((Xa, Xb), y),
                  epochs=20, metrics=["accuracy", "f1"], predict=lambda out: out.argmax(1),
                  progress=False, seed=0)
    assert history["accuracy"][-1] > 0.95 and history["f1"][-1] > 0.95
    assert evaluate(model, cross_entropy, ((Xa, Xb), y))["accuracy"] > 0.95


def test_a_tuple_of_rows_from_zip_is_one_x_as_before():
    """`X, y = zip(*samples)` makes X a tuple of arrays, one row per label: one X (as
    np.asarray reads it), not a model's 12 inputs of 2 samples each."""
    rng = np.random.default_rng(0)
    samples = [(rng.normal(size=2), rng.normal(size=1)) for _ in range(12)]
    X, y = zip(*samples)
    model = Linear(2, 1)
    fit(model, mse_loss, Adam(model.parameters(), lr=0.01), (X, y), epochs=2, progress=False,
        seed=0, val_data=(X, y))
    expected = evaluate(model, mse_loss, (np.array(X), np.array(y)))
    assert evaluate(model, mse_loss, (X, y)) == expected

    def build():
        model = Linear(2, 1)
        return model, mse_loss, Adam(model.parameters(), lr=0.01)

    manual_seed(0)
    scores = cross_validate(build, X, y, cv=3, fit_kwargs={"epochs": 1})
    manual_seed(0)
    assert scores == cross_validate(build, np.array(X), np.array(y), cv=3,
                                    fit_kwargs={"epochs": 1})
    curve = learning_curve(build, X, y, train_sizes=[6, 12], val_data=(X, y),
                           fit_kwargs={"epochs": 1})
    assert curve["train_sizes"] == [6, 12] and len(curve["val"]["loss"]) == 2
