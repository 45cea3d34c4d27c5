"""A user trial: a teacher prepares an intro-ML course with glassgrad's own high-level tools.

Each lesson is built only from the README ("Models and training", "The `glassgrad` command") and
the docstrings of `nn.fit`, `evaluate`, `History`, `EarlyStopping`, `nn.metrics`, `nn.selection`,
`nn.models`, `nn.data` and `load_trained`: linear regression on a CSV file with feature scaling
(checked against the least-squares solution), logistic regression with a decision threshold,
precision / recall / F1 and ROC, softmax regression on digits read from an IDX file, an MLP with
validation data and early stopping (bar off and on), learning and validation curves over a
weight decay, a grid search over lr and hidden size with cross-validation, a confusion matrix and
a classification report, the best model saved and loaded back to predict, and `glassgrad train`
/ `glassgrad predict` on the same files. Then the students' mistakes: labels of the wrong dtype
or numbered from 1, y as a column, unscaled features with a large lr, eval mode forgotten, a
test table of another width, a CSV with a column missing or a word among the numbers.

What the trial found and fixed: `fit(..., callbacks=[EarlyStopping(...)])`, Keras'
`validation_data=` and `verbose=` and a misspelt keyword got only Python's "unexpected keyword
argument" (now each says what to write: `early_stopping=EarlyStopping(...)`, `val_data=`,
`progress=`); a divergence on unscaled data (areas in m², prices in the hundred-thousands)
advised only a smaller lr (now it names how large the batch's inputs and targets are and says
to standardise them); `LinearRegression.predict` (and the other regressions') on a table of
another width was refused by the Linear layer inside, in its terms (now by `predict`, naming
both widths); binary cross-entropy on labels 1/2 advised the ±1 fix `(y + 1) / 2` (now `y - 1`);
scikit-learn's `precision_score` and `recall_score` were missing beside `f1_score` and
`accuracy_score` (now aliases); `evaluate(model, loss, X_test, y_test)` said only that data must
be a pair (now: X and y go together, `(X, y)`);
fit's docstring did not say in which mode it leaves the model (training mode, as a PyTorch loop:
a model with dropout must be put in eval mode before `model(X_test)`).

Left as they are: `fit` leaves the model in training mode (PyTorch's behaviour, documented in
fit's docstring; `evaluate` switches to eval mode by itself), so a student who forgets
`model.eval()` gets dropout's noisy outputs with no error, as in PyTorch. The whole file runs in
about 8 s on one core.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import autograd
import nn
from nn import (MLP, EarlyStopping, LinearRegression, LogisticRegression, SoftmaxRegression,
                binary_cross_entropy_with_logits, cross_entropy, evaluate, fit, load_trained,
                mse_loss)
from nn.data import StandardScaler, read_idx, train_test_split, write_idx
from nn.metrics import (classification_report, confusion_matrix, f1_score, precision_score,
                        r2_score, recall_score, roc_auc_score, roc_curve)
from nn.optim import SGD, Adam
from nn.selection import GridSearch, cross_validate, learning_curve, validation_curve
from nn.train import TrainingDiverged

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- the course's data, written by the test -------------------------------------------------------

def houses(n=150, seed=0):
    """Areas in m², rooms, prices: price = 3000·area + 10000·rooms + 50000 + noise."""
    rng = np.random.default_rng(seed)
    area, rooms = rng.uniform(30, 200, n).round(1), rng.integers(1, 6, n)
    price = (3000 * area + 10000 * rooms + 50000 + rng.normal(0, 5000, n)).round()
    return area, rooms, price


@pytest.fixture
def houses_csv(tmp_path):
    area, rooms, price = houses()
    path = tmp_path / "houses.csv"
    path.write_text("area,rooms,price\n" + "".join(
        f"{a},{r},{p:.0f}\n" for a, r, p in zip(area, rooms, price)))
    return path


def two_blobs(n=200, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.2, -1.2)
    return X, y


def digits(n=400, seed=2):
    """8x8 'digits' of 4 classes: a bar in one of four places, noisy, as uint8 images."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n).astype(np.uint8)
    images = rng.integers(0, 60, (n, 8, 8))
    for k in range(4):
        rows = labels == k
        if k < 2:
            images[rows, :, 2 + 3 * k] += 180           # a vertical bar
        else:
            images[rows, 2 + 3 * (k - 2), :] += 180     # a horizontal bar
    return images.astype(np.uint8), labels


# -- lesson 1: linear regression on a CSV, with feature scaling ------------------------------------

def test_linear_regression_on_a_csv_matches_least_squares(houses_csv):
    autograd.manual_seed(0)
    data = np.loadtxt(houses_csv, delimiter=",", skiprows=1)
    X, y = data[:, :2], data[:, 2]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    x_scaler, y_scaler = StandardScaler().fit(X_train), StandardScaler().fit(y_train)
    Xs, ys = x_scaler.transform(X_train), y_scaler.transform(y_train)
    model = LinearRegression(2, dtype="float64")
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (Xs, ys), epochs=60,
                  batch_size=len(Xs), progress=False)
    assert history["loss"][-1] < history["loss"][0] / 50
    # the lecture's normal equations on the same scaled data
    A = np.c_[Xs, np.ones(len(Xs))]
    w, *_ = np.linalg.lstsq(A, ys, rcond=None)
    np.testing.assert_allclose(model.weight.data[0], w[:2], atol=1e-3)
    np.testing.assert_allclose(model.bias.data, w[2:], atol=1e-3)
    # back in euros: the test houses' prices
    predicted = y_scaler.inverse_transform(model.predict(x_scaler.transform(X_test)))
    assert r2_score(y_test, predicted) > 0.99
    assert evaluate(model, mse_loss, (Xs, ys))["r2"] > 0.99     # R², the regression default


def test_students_regression_mistakes_are_named_where_made(houses_csv):
    autograd.manual_seed(0)
    data = np.loadtxt(houses_csv, delimiter=",", skiprows=1)
    X, y = data[:, :2], data[:, 2]
    model = LinearRegression(2)
    # no scaling, the lr of the scaled lesson: it blows up, and the error says why
    with pytest.raises(TrainingDiverged, match=r"smaller learning rate, or standardise the data:"
                       r" this batch's inputs reach \d.* and its targets \d.*StandardScaler"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (X, y), epochs=3, progress=False)
    assert np.isfinite(model.weight.data).all()           # the weights were put back
    Xs, ys = StandardScaler().fit_transform(X), StandardScaler().fit_transform(y)
    # y as a column, as np.loadtxt(..., usecols=[2], ndmin=2) gives it
    with pytest.raises(ValueError, match=r"fit: mse_loss got .* \(32,\) and targets of shape "
                                         r"\(32, 1\); give y as a vector, y.reshape\(-1\)"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (Xs, ys[:, None]), progress=False)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (Xs, ys), epochs=5, progress=False)
    # predicting from the area alone: refused by predict, naming both widths
    with pytest.raises(ValueError, match=r"LinearRegression.predict: x has 1 features .*made "
                                         r"for 2"):
        model.predict(Xs[:, :1])
    # a missing value (np.genfromtxt gives NaN) is named by row before any step
    broken = houses_csv.with_name("broken.csv")
    lines = houses_csv.read_text().splitlines()
    lines[4] = "," + lines[4].split(",", 1)[1]            # row 3's area left empty
    broken.write_text("\n".join(lines) + "\n")
    table = np.genfromtxt(broken, delimiter=",", skip_header=1)
    with pytest.raises(ValueError, match=r"fit: train_data: X contains NaN.*sample 3"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (table[:, :2], table[:, 2]),
            shuffle=False, progress=False)


def test_a_pandas_table_with_a_text_column_is_refused_by_name(houses_csv):
    pd = pytest.importorskip("pandas", reason="needs pandas: pip install pandas")
    frame = pd.read_csv(houses_csv)
    frame["town"] = np.where(frame["rooms"] > 2, "north", "south")
    model = LinearRegression(3)
    with pytest.raises(TypeError, match=r"town.*get_dummies"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1),
            (frame[["area", "rooms", "town"]], frame["price"]), progress=False)
    with pytest.raises(KeyError, match="bedrooms"):     # pandas' own, where the name is typed
        frame[["area", "bedrooms"]]


# -- lesson 2: logistic regression, a threshold, precision / recall / F1, ROC ----------------------

def test_logistic_regression_threshold_trades_recall_for_precision():
    autograd.manual_seed(0)
    X, y = two_blobs()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0, stratify=y)
    model = LogisticRegression(2)
    history = fit(model, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.5),
                  (X_train, y_train.astype(np.float32)), epochs=30, progress=False,
                  val_data=(X_test, y_test.astype(np.float32)),
                  metrics=["accuracy", "precision", "recall", "f1", "roc_auc"])
    assert history["val_accuracy"][-1] > 0.9 and history["val_roc_auc"][-1] > 0.95
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test),) and ((proba > 0) & (proba < 1)).all()
    np.testing.assert_array_equal(model.predict(X_test), (proba > 0.5).astype(int))
    strict = model.predict(X_test, threshold=0.9)
    lenient = model.predict(X_test, threshold=0.1)
    assert precision_score(y_test, strict) >= precision_score(y_test, lenient)
    assert recall_score(y_test, strict) <= recall_score(y_test, lenient)
    p, r = precision_score(y_test, lenient), recall_score(y_test, lenient)
    assert f1_score(y_test, lenient) == pytest.approx(2 * p * r / (p + r))
    # the ROC curve: every threshold's rates, by hand
    fpr, tpr, thresholds = roc_curve(y_test, proba)
    for f, t, cut in zip(fpr[1:], tpr[1:], thresholds[1:]):
        called = proba >= cut
        assert t == pytest.approx(called[y_test == 1].mean())
        assert f == pytest.approx(called[y_test == 0].mean())
    # AUC: the chance that a positive outscores a negative
    pos, neg = proba[y_test == 1], proba[y_test == 0]
    assert roc_auc_score(y_test, proba) == pytest.approx((pos[:, None] > neg).mean())
    assert history["val_roc_auc"][-1] == pytest.approx(roc_auc_score(y_test, proba), abs=1e-6)


def test_students_classification_label_mistakes():
    X, y = two_blobs(64)
    model = LogisticRegression(2)
    opt = SGD(model.parameters(), lr=0.5)
    bce = binary_cross_entropy_with_logits
    with pytest.raises(ValueError, match=r"labels 1 and 2\? use y - 1"):
        fit(model, bce, opt, (X, y + 1), progress=False)
    with pytest.raises(ValueError, match=r"give y as a vector, y.reshape\(-1\)"):
        fit(model, bce, opt, (X, y[:, None].astype(float)), progress=False)
    with pytest.raises(ValueError, match=r"cross_entropy got the model's outputs of shape "
                                         r"\(32,\), one score per sample.*SoftmaxRegression"):
        fit(model, cross_entropy, opt, (X, y), progress=False)
    fit(model, bce, opt, (X, y), progress=False)            # integer 0/1 labels are fine
    with pytest.raises(TypeError, match=r"evaluate: .*X and y go together.*"
                                        r"evaluate\(model, loss_fn, \(X, y\)\)"):
        evaluate(model, bce, X, y)                          # scikit-learn's score(X, y)
    with pytest.raises(ValueError, match=r"threshold must be a probability"):
        model.predict(X, threshold=50)
    soft = SoftmaxRegression(2, 3)
    opt = SGD(soft.parameters(), lr=0.5)
    with pytest.raises(TypeError, match=r"cross_entropy takes integer class labels.*"
                                        r"y.astype\(int\)"):
        fit(soft, cross_entropy, opt, (X, y.astype(float)), progress=False)
    with pytest.raises(ValueError, match=r"labels numbered from 1\? pass y - 1"):
        fit(soft, cross_entropy, opt, (X, np.arange(64) % 3 + 1), progress=False)   # 1, 2, 3


# -- lesson 3: softmax regression on digits from an IDX file ---------------------------------------

def test_softmax_regression_on_idx_digits_with_a_report(tmp_path):
    autograd.manual_seed(0)
    images, labels = digits()
    write_idx(str(tmp_path / "bars-images-idx3-ubyte"), images)
    write_idx(str(tmp_path / "bars-labels-idx1-ubyte"), labels)
    images = read_idx(str(tmp_path / "bars-images-idx3-ubyte"))
    labels = read_idx(str(tmp_path / "bars-labels-idx1-ubyte"))
    assert images.shape == (400, 8, 8) and labels.dtype == np.uint8
    X = images.reshape(len(images), -1) / 255.0
    X_train, X_test, y_train, y_test = train_test_split(X, labels, test_size=100, seed=0)
    model = SoftmaxRegression(64, 4)
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.05), (X_train, y_train),
                  epochs=15, progress=False, val_data=(X_test, y_test))
    assert history["val_accuracy"][-1] > 0.95                 # uint8 labels need no cast
    proba = model.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    predicted = model.predict(X_test)
    matrix = confusion_matrix(y_test, predicted)
    assert matrix.shape == (4, 4) and matrix.sum() == 100
    assert np.trace(matrix) / 100 == pytest.approx(history["val_accuracy"][-1])
    report = classification_report(y_test, predicted,
                                   target_names=["left", "right", "top", "middle"])
    assert report.split()[:4] == ["precision", "recall", "f1-score", "support"]
    assert "middle" in report and "macro avg" in report
    # glassgrad train reads the same IDX file, its labels found beside it
    out = tmp_path / "bars.npz"
    done = glassgrad("train", "--data", str(tmp_path / "bars-images-idx3-ubyte"), "--hidden", "",
                     "--epochs", "15", "--lr", "0.05", "--seed", "0", "--no-progress",
                     "--out", str(out))
    assert done.returncode == 0, done.stderr
    accuracy = float(done.stdout.split("validation accuracy")[1].split()[0].rstrip(",%"))
    assert accuracy > (95 if accuracy > 1 else 0.95)
    assert load_trained(out).predict(images[:50].reshape(50, -1)).tolist() == \
        labels[:50].tolist()


# -- lesson 4: an MLP with validation data, early stopping, eval mode ------------------------------

def test_mlp_with_early_stopping_and_eval_mode(capsys):
    autograd.manual_seed(0)
    X, y = two_blobs(240, seed=3)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, seed=0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 2))
    optimizer = Adam(model.parameters(), lr=0.02)
    # Keras' spelling: refused, saying what to write
    with pytest.raises(TypeError, match=r"fit\(\) got unexpected keyword arguments: "
                       r"'validation_data': write val_data=\(X_val, y_val\); 'callbacks': write "
                       r"early_stopping=EarlyStopping\(.*patience=3.*fit takes no callbacks"):
        fit(model, cross_entropy, optimizer, (X_train, y_train), epochs=50,
            validation_data=(X_val, y_val), callbacks=[EarlyStopping(patience=3)])
    with pytest.raises(TypeError, match=r"'validation_data': write val_data="):
        fit(model, cross_entropy, optimizer, (X_train, y_train), validation_data=(X_val, y_val))
    with pytest.raises(TypeError, match=r"'verbose': write progress=False"):
        fit(model, cross_entropy, optimizer, (X_train, y_train), verbose=0)
    with pytest.raises(TypeError, match=r"'val_date': write val_data="):
        fit(model, cross_entropy, optimizer, (X_train, y_train), val_date=(X_val, y_val))
    history = fit(model, cross_entropy, optimizer, (X_train, y_train), epochs=60,
                  val_data=(X_val, y_val), progress=False,
                  early_stopping=EarlyStopping(monitor="val_loss", patience=3))
    assert history.epochs < 60                        # stopped early
    assert history.restored_epoch == history.best_epoch == \
        1 + int(np.argmin(history["val_loss"]))
    assert capsys.readouterr().err == ""              # progress=False: nothing on stderr
    # the model fit leaves is in training mode: dropout still drops
    assert model.training
    assert not np.array_equal(model(X_val).data, model(X_val).data)
    model.eval()
    outputs = model(X_val).data
    np.testing.assert_array_equal(outputs, model(X_val).data)
    scores = evaluate(model, cross_entropy, (X_val, y_val))
    assert scores["accuracy"] == pytest.approx((outputs.argmax(1) == y_val).mean())
    assert scores["loss"] == pytest.approx(history.scores()["val_loss"], rel=1e-5)
    # the bar forced on writes to stderr
    fit(model, cross_entropy, optimizer, (X_train, y_train), epochs=2, progress=True)
    assert "2/2" in capsys.readouterr().err


# -- lesson 5: learning and validation curves over a weight decay ----------------------------------

def polynomial(x, degree=8):
    return np.stack([x ** k for k in range(1, degree + 1)], axis=1)


def test_learning_and_validation_curves_for_weight_decay():
    autograd.manual_seed(0)
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, 80)
    y = np.sin(3 * x) + rng.normal(0, 0.2, 80)
    X = StandardScaler().fit_transform(polynomial(x))

    def build(weight_decay=0.0):
        model = LinearRegression(X.shape[1], dtype="float64")
        return model, mse_loss, SGD([{"params": [model.weight], "weight_decay": weight_decay},
                                     {"params": [model.bias]}], lr=0.05)

    fit_kwargs = {"epochs": 60, "batch_size": 20, "progress": False}
    curve = validation_curve(build, X, y, "weight_decay", [0.0, 0.1, 3.0], cv=4,
                             fit_kwargs=fit_kwargs)
    train_loss, val_loss = curve["train"]["loss"], curve["val"]["loss"]
    assert curve["param_range"] == [0.0, 0.1, 3.0]
    assert train_loss[0] < train_loss[1] < train_loss[2]     # more decay, worse fit: bias
    assert val_loss[2] > val_loss[0]                         # too much decay underfits
    assert curve["higher_is_better"]["r2"] and not curve["higher_is_better"]["loss"]
    learning = learning_curve(build, X[:60], y[:60], [5, 20, 60], (X[60:], y[60:]),
                              fit_kwargs, params={"weight_decay": 0.0})
    gaps = np.array(learning["val"]["loss"]) - np.array(learning["train"]["loss"])
    assert learning["train_sizes"] == [5, 20, 60]
    assert gaps[0] > gaps[-1]                                # more data, smaller gap


# -- lesson 6: grid search, cross-validation, saving the best model --------------------------------

def test_grid_search_cross_validation_and_the_saved_best_model(tmp_path):
    autograd.manual_seed(0)
    X, y = two_blobs(160, seed=5)
    X = np.c_[X, X[:, 0] * X[:, 1]]

    def build(lr, hidden):
        model = MLP(3, [hidden], 2)
        return model, cross_entropy, Adam(model.parameters(), lr=lr)

    fit_kwargs = {"epochs": 8, "batch_size": 32, "progress": False}
    search = GridSearch(build, {"lr": [0.0005, 0.05], "hidden": [4, 16]}, cv=3,
                        fit_kwargs=fit_kwargs).fit(X, y)
    assert search.scoring == "accuracy" and search.best_params["lr"] == 0.05
    assert "hidden" in search.table()
    scores = cross_validate(build, X, y, cv=3, fit_kwargs=fit_kwargs, params=search.best_params,
                            return_train_score=True)
    assert len(scores["folds"]) == 3 and scores["mean"]["accuracy"] > 0.85
    assert scores["train"]["mean"]["accuracy"] > 0.85
    # keep the best, then load it into a fresh model of the same shape
    best = search.best_model
    best.eval()
    path = tmp_path / "best.npz"
    best.save(path)
    again = MLP(3, [search.best_params["hidden"]], 2).load(path)
    again.eval()
    np.testing.assert_array_equal(again(X).data, best(X).data)
    nn.save({"model": best, "params": search.best_params}, tmp_path / "run.npz")
    checkpoint = nn.load(tmp_path / "run.npz")
    assert checkpoint["params"] == search.best_params
    with pytest.raises(ValueError):                        # the other hidden size: refused
        MLP(3, [4 if search.best_params["hidden"] == 16 else 16], 2).load(path)


# -- lesson 7: the glassgrad command on the same CSV files -----------------------------------------

def glassgrad(*args, stdin=None):
    env = {**os.environ, "PYTHONPATH": ROOT, "GLASSGRAD_TRACEBACK": ""}
    return subprocess.run([sys.executable, "-m", "nn.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, input=stdin, timeout=120)


def test_glassgrad_train_and_predict_on_the_csv(houses_csv, tmp_path):
    out = tmp_path / "houses.npz"
    done = glassgrad("train", "--data", str(houses_csv), "--target", "price", "--hidden", "",
                     "--epochs", "40", "--seed", "0", "--no-progress", "--out", str(out))
    assert done.returncode == 0, done.stderr
    r2 = float(done.stdout.split("R²")[1].split()[0])
    assert r2 > 0.98
    new = tmp_path / "new.csv"
    new.write_text("rooms,area\n3,100.0\n1,50.0\n")        # any column order
    done = glassgrad("predict", "--model", str(out), "--data", str(new))
    assert done.returncode == 0, done.stderr
    rows = [line.split(",") for line in done.stdout.split()]
    assert rows[0] == ["rooms", "area", "predicted_price"]
    truth = [3000 * 100 + 30000 + 50000, 3000 * 50 + 10000 + 50000]
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], truth, rtol=0.03)
    # the same model in Python
    model = load_trained(out)
    np.testing.assert_allclose(model.predict(np.array([[100.0, 3], [50.0, 1]])), truth,
                               rtol=0.03)
    with pytest.raises(ValueError, match=r"expected 2 features per row \(area, rooms\), got 1"):
        model.predict(np.array([[100.0]]))


@pytest.mark.parametrize("content, args, message", [
    ("area\n100.0\n", ("predict",), r"no column 'rooms' \(the model was trained on it\)"),
    ("area,rooms,price\n100.0,3,380000\nbig,2,200000\n" + "50.0,1,210000\n" * 8, ("train",),
     r"line 3, column 'area': 'big' is not a number"),
    (None, ("train", "--target", "cost"), r"no column 'cost' \(the target\)"),
    (None, ("train", "--lr", "-1"), r"--lr: must be above 0"),
], ids=["missing-column", "word-among-numbers", "no-such-target", "negative-lr"])
def test_glassgrad_bad_inputs_exit_2_with_one_line(houses_csv, tmp_path, content, args,
                                                   message):
    model = tmp_path / "m.npz"
    if args[0] == "predict":
        assert glassgrad("train", "--data", str(houses_csv), "--target", "price", "--hidden", "",
                         "--epochs", "2", "--no-progress", "--out", str(model)).returncode == 0
    data = houses_csv
    if content is not None:
        data = tmp_path / "bad.csv"
        data.write_text(content)
    command = [args[0], "--data", str(data)]
    command += ["--model", str(model)] if args[0] == "predict" else ["--out", str(model)]
    if args[0] == "train":
        command += ["--no-progress", *args[1:]]
        command += [] if "--target" in args else ["--target", "price"]
    done = glassgrad(*command)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"glassgrad {args[0]}: error:")
    assert re.search(message, lines[0]), lines[0]
