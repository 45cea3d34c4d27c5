"""pandas DataFrames and Series given where a learner gives them: Tensor(df), the DataLoader,
fit, train_test_split, StandardScaler, cross_validate, the metrics, a trained model's predict,
and `glassgrad train` on a CSV file pandas wrote. The library never imports pandas
(autograd/tables.py reads tables by their dtypes); these tests do (a [dev] requirement)."""

import numpy as np
import pandas as pd
import pytest

import autograd
from autograd import Tensor
from cli_helpers import run
from nn import MLP, cross_entropy, evaluate, fit, load_trained, mse_loss, optim
from nn import metrics as M
from nn.data import DataLoader, StandardScaler, TensorDataset, train_test_split
from nn.selection import GridSearch, cross_validate
from nn.trained import TrainedModel

PANDAS_2_1 = tuple(int(part) for part in pd.__version__.split(".")[:2]) >= (2, 1)


@pytest.fixture
def df():
    """A learner's table: numbers of several dtypes, a text column, NaN, dates, a bool, a
    float32 and nullable Int64 columns (one with a missing value), an int label; its index
    starts at 100 and is shuffled."""
    rng = np.random.default_rng(0)
    n = 40
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "income": rng.normal(50, 10, n).round(2),
        "city": rng.choice(["Paris", "Lyon"], n),
        "score": np.where(np.arange(n) % 9 == 4, np.nan, rng.normal(0, 1, n)),
        "when": pd.date_range("2024-01-01", periods=n, freq="D"),
        "member": rng.random(n) < 0.5,
        "f32": rng.normal(0, 1, n).astype(np.float32),
        "visits": pd.array([None if i == 7 else i % 5 for i in range(n)], dtype="Int64"),
        "count": pd.array(rng.integers(0, 9, n), dtype="Int64"),
    }, index=np.arange(100, 100 + n))
    frame["label"] = ((frame.income > 50) ^ (frame.f32 > 0)).astype(np.int64)
    return frame.sample(frac=1, random_state=0)


NUMBERS = ["age", "income", "f32", "count", "member"]


def _build(n_features=len(NUMBERS)):
    def build(lr=0.01):
        model = MLP(n_features, [4], 2)
        return model, cross_entropy, optim.Adam(model.parameters(), lr=lr)
    return build


# -- Tensor(df): the numbers of every numeric column, any text or date column named -------------
def test_a_frame_of_mixed_numeric_dtypes_is_one_tensor(df):
    # int64, Int64 and bool columns: np.asarray makes an array of Python objects, refused
    t = Tensor(df[NUMBERS])
    expected = np.column_stack([df[c].to_numpy(dtype=np.float64) for c in NUMBERS])
    assert t.dtype == np.float32 and t.shape == (len(df), len(NUMBERS))
    np.testing.assert_allclose(t.data, expected.astype(np.float32))
    dummies = pd.get_dummies(df[["age", "city"]])          # int beside bool columns
    assert Tensor(dummies).tolist() == dummies.astype(np.int64).to_numpy().tolist()


def test_series_dtypes_become_the_tensor_dtypes_a_learner_expects(df):
    assert autograd.tensor(df["label"]).dtype == np.int64
    assert autograd.tensor(df["count"]).dtype == np.int64            # nullable Int64, no NA
    assert autograd.tensor(df["member"]).dtype == np.bool_
    assert autograd.tensor(df["f32"]).dtype == np.float32
    assert autograd.tensor(df["income"]).dtype == np.float32         # pandas' float64: default
    assert Tensor(df["income"], dtype=np.float64).dtype == np.float64
    visits = autograd.tensor(df["visits"])                            # Int64 with <NA>: NaN
    assert visits.dtype == np.float32 and np.isnan(visits.data).sum() == 1
    assert np.isnan(visits.data[list(df.index).index(107)])


@pytest.mark.parametrize("column, words", [
    ("city", ["column 'city'", "holds text", "(such as '", "pd.get_dummies", "df.drop"]),
    ("when", ["column 'when'", "holds dates", ".dt.dayofyear"]),
])
def test_a_column_of_no_numbers_is_named_with_what_to_do(df, column, words):
    with pytest.raises(TypeError) as error:
        Tensor(df[["age", column]])
    for word in words:
        assert word in str(error.value)
    with pytest.raises(TypeError, match=f"Series '{column}'"):
        autograd.tensor(df[column])


def test_a_categorical_column_is_named(df):
    with pytest.raises(TypeError, match=r"column 'city' is categorical.*cat\.codes"):
        Tensor(df.assign(city=df["city"].astype("category"))[["age", "city"]])
    numbers = pd.Series([3, 1, 3], dtype="category")                # categories of numbers
    assert autograd.tensor(numbers).tolist() == [3, 1, 3]


def test_a_tensor_from_a_frame_owns_its_numbers(df):
    frame = df[["f32"]].copy()
    before = frame.to_numpy().copy()
    t = Tensor(frame)
    t.data += 1                 # pandas may hand out a read-only view, or its own array
    t.add_(1)
    np.testing.assert_array_equal(frame.to_numpy(), before)
    np.testing.assert_array_equal(t.data, (before + 1) + 1)


@pytest.mark.skipif(not PANDAS_2_1, reason="pandas steps aside for a Tensor from 2.1 on")
def test_series_times_tensor_is_the_tensor_s_op_with_its_gradient(df):
    w = Tensor(np.linspace(-1, 1, len(df)), requires_grad=True, dtype=np.float64)
    s = df["income"]
    out = s * w                               # was a Series, or an error for w in a graph
    assert isinstance(out, Tensor)
    (out + s).sum().backward()
    np.testing.assert_allclose(w.grad, s.to_numpy())
    assert isinstance(df[["age", "f32"]] + Tensor(np.zeros((len(df), 2))), Tensor)
    assert isinstance(s > Tensor(np.zeros(len(df))), Tensor)


# -- nn.data ---------------------------------------------------------------------------------------
def test_dataset_and_loader_take_a_frame_and_a_series(df):
    X, y = df[NUMBERS], df["label"]
    x0, y0 = TensorDataset(X, y)[0]
    np.testing.assert_allclose(x0, X.iloc[0].to_numpy(dtype=np.float32))
    assert y0 == y.iloc[0]
    xb, yb = next(iter(DataLoader(X, df["count"], batch_size=5)))
    assert xb.shape == (5, len(NUMBERS)) and yb.dtype == np.int64


def test_nan_in_a_frame_is_named_by_column_and_index_label(df):
    with pytest.raises(ValueError) as error:
        DataLoader(df[["age", "score"]], df["label"])
    message = str(error.value)
    assert "column 'score'" in message
    # the rows by their labels, as the learner finds them (df.loc[104]), not by position
    assert "104" in message and "fillna" in message and "dropna" in message
    assert df.index.get_loc(104) != 104


def test_text_in_x_is_named_where_fit_is_called(df):
    model, loss, opt = _build()()
    with pytest.raises(TypeError, match=r"fit: train_data: column 'city' of X holds text"):
        fit(model, loss, opt, (df.drop(columns=["label"]), df["label"]), progress=False)


def test_train_test_split_gives_frames_back_with_their_index(df):
    X, y = df[NUMBERS], df["label"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=10, stratify=y, seed=0)
    assert isinstance(X_train, pd.DataFrame) and isinstance(y_test, pd.Series)
    assert list(X_train.columns) == NUMBERS and len(X_test) == len(y_test) == 10
    assert list(X_test.index) == list(y_test.index)          # the rows keep their pairing
    assert set(X_train.index) | set(X_test.index) == set(df.index)
    assert (y_test == df.loc[y_test.index, "label"]).all()
    # and every entry point takes the parts
    model, loss, opt = _build()()
    fit(model, loss, opt, (X_train, y_train), epochs=1, progress=False)
    assert set(evaluate(model, loss, (X_test, y_test))) == {"loss", "accuracy"}


def test_the_scaler_reads_a_frame_by_its_columns(df):
    X = df[NUMBERS]
    scaler = StandardScaler().fit(X)                   # an Int64 and a bool column among them
    assert scaler.columns == NUMBERS
    np.testing.assert_allclose(scaler.transform(X).mean(axis=0), 0, atol=1e-12)
    with pytest.raises(ValueError, match="another order"):
        scaler.transform(X[NUMBERS[::-1]])             # each column scaled by another's numbers
    with pytest.raises(ValueError, match="no column 'member'"):
        scaler.transform(X.drop(columns=["member"]).assign(other=1))
    scaler.transform(X.to_numpy(dtype=float))          # an array: by position, as fitted
    with pytest.raises(ValueError, match="column 'score'.*index"):
        StandardScaler().fit(df[["age", "score"]])


# -- fitting, scoring, searching -------------------------------------------------------------------
def test_cross_validate_and_grid_search_take_a_mixed_frame(df):
    X, y = df[NUMBERS], df["label"].astype("Int64")
    autograd.manual_seed(0)
    scores = cross_validate(_build(), X, y, cv=3, fit_kwargs={"epochs": 1})
    assert np.isfinite(scores["mean"]["loss"])
    search = GridSearch(_build(), {"lr": [0.01, 0.1]}, cv=3, fit_kwargs={"epochs": 1}).fit(X, y)
    assert search.best_params["lr"] in (0.01, 0.1)
    with pytest.raises(TypeError, match="cross_validate: column 'when' of X holds dates"):
        cross_validate(_build(), df[["age", "when"]], y, cv=3)


CLASSIFICATION = ["accuracy", "accuracy_score", "zero_one_loss", "confusion_matrix",
                  "balanced_accuracy_score", "matthews_corrcoef", "precision", "recall",
                  "f1_score", "classification_report"]
SCORES = ["log_loss", "roc_auc_score", "average_precision_score"]
REGRESSION = ["mean_squared_error", "root_mean_squared_error", "mean_absolute_error",
              "mean_absolute_percentage_error", "r2_score", "explained_variance_score"]


@pytest.mark.parametrize("name", CLASSIFICATION + SCORES + REGRESSION)
def test_metrics_read_series_by_position_never_by_index(name):
    # y_true a Series with a shuffled index, y_pred an array or a Series with another index:
    # pandas would align the two on their labels in arithmetic
    rng = np.random.default_rng(1)
    n = 30
    index = rng.permutation(n) + 100
    if name in REGRESSION:
        truth, guess = rng.normal(size=n) + 3, rng.normal(size=n) + 3
    else:
        truth = rng.integers(0, 2, n)
        guess = rng.random(n) if name in SCORES else rng.integers(0, 2, n)
    metric = getattr(M, name)
    expected = metric(truth, guess)
    weights = rng.random(n) + 0.5
    for a, b in ((pd.Series(truth, index=index), guess),
                 (pd.Series(truth, index=index), pd.Series(guess)),
                 (truth, pd.Series(guess, index=index))):
        assert str(metric(a, b)) == str(expected)
        weighted = metric(a, b, sample_weight=pd.Series(weights, index=index[::-1]))
        assert str(weighted) == str(metric(truth, guess, sample_weight=weights))


def test_metrics_take_nullable_and_categorical_labels():
    truth = pd.Series([0, 1, 1, 0], dtype="Int64")
    assert M.accuracy(truth, np.array([0, 1, 0, 0])) == 0.75
    with pytest.raises(ValueError, match="NaN"):
        M.accuracy(pd.Series([0, None, 1, 0], dtype="Int64"), np.array([0, 1, 0, 0]))
    words = pd.Series(["no", "yes", "yes", "no"]).astype("category")
    assert M.accuracy(words, np.array(["no", "yes", "no", "no"])) == 0.75


# -- a trained model -------------------------------------------------------------------------------
def test_a_trained_model_reads_a_frame_s_features_by_name(df):
    features = ["age", "income", "f32"]
    trained = TrainedModel(MLP(3, [4], 2), input_mean=np.array([50.0, 50.0, 0.0]),
                           input_std=np.array([15.0, 10.0, 1.0]), task="classify",
                           target="label", features=features, classes=["0", "1"], hidden=[4])
    expected = trained(df[features].to_numpy()).numpy()
    # the columns in another order, with the target, text and dates beside them
    shuffled = df[["label", "f32", "city", "income", "when", "age"]]
    np.testing.assert_allclose(trained(shuffled).numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(trained.predict(shuffled), expected.argmax(axis=1))
    with pytest.raises(ValueError, match="no column 'income'"):
        trained.predict(df.drop(columns=["income"]))


def test_fit_casts_a_frame_to_the_model_s_dtype(df):
    X, y = df[["age", "income", "f32"]], df["income"]
    model = MLP(3, [4], 1, dtype=np.float64)
    fit(model, mse_loss, optim.SGD(model.parameters(), lr=1e-6), (X, y.to_frame()), epochs=1,
        progress=False)
    assert model(Tensor(X, dtype=np.float64)).dtype == np.float64
    assert MLP(3, [4], 1)(X).dtype == np.float32       # pandas' float64: the default dtype


# -- glassgrad train / predict on a file pandas wrote --------------------------------------------
def test_glassgrad_train_on_a_csv_pandas_wrote(df, tmp_path, capsys):
    path = tmp_path / "data.csv"
    # df.to_csv's own layout: the index as an unnamed first column, bools as True/False, text
    # with a comma quoted
    df.drop(columns=["score", "visits", "when"]).assign(
        city=df["city"] + ", FR").to_csv(path)
    out = tmp_path / "model.npz"
    code, text, err = run(["train", "--csv", str(path), "--target", "label", "--ignore", "city",
                           "--hidden", "4", "--epochs", "2", "--out", str(out)], capsys)
    assert code == 0, err
    assert "from 5 features, ignoring 'city', not the unnamed first column (a row index) (" \
        in text                                             # not the index, and said so
    model = load_trained(out)
    assert model.features == ["age", "income", "member", "f32", "count"]
    predictions = model.predict(df)
    assert predictions.shape == (len(df),)
    code, text, err = run(["predict", "--model", str(out), "--csv", str(path)], capsys)
    assert code == 0, err
    assert text.splitlines()[0].startswith(",age,income,city,member")
    # an empty cell where pandas wrote NaN is a missing value: filled in with the median, and said
    df[["age", "score", "label"]].to_csv(path)
    code, text, err = run(["train", "--csv", str(path), "--target", "label", "--epochs", "1",
                           "--no-progress", "--out", str(out)], capsys)
    assert code == 0, err
    assert "filled in 4 missing values: 'score' 4 (its median" in text


# -- a row, numbers with None, sparse columns: read as numbers, or named as they are -------------
def test_a_row_of_a_frame_with_a_bool_column_is_its_numbers(df):
    # df.iloc[0] of mixed columns is an object Series of numpy scalars, np.True_ among them
    # (no numbers.Real): it was refused as "bool values, not numbers"
    row = df[NUMBERS].iloc[0]
    assert row.dtype == object
    np.testing.assert_allclose(Tensor(row, dtype=np.float64).data,
                               df[NUMBERS].iloc[[0]].to_numpy(dtype=np.float64)[0])
    assert Tensor(pd.Series([1.5, np.True_], dtype=object)).tolist() == [1.5, 1.0]


def test_a_trained_model_reads_a_row_s_features_by_name(df):
    # a row (one sample) whose columns come in another order was read by position, silently
    features = ["age", "income", "f32"]
    trained = TrainedModel(MLP(3, [4], 2), input_mean=np.array([50.0, 50.0, 0.0]),
                           input_std=np.array([15.0, 10.0, 1.0]), task="classify",
                           target="label", features=features, classes=["0", "1"], hidden=[4])
    expected = trained(df[features].to_numpy()[:1]).numpy()[0]
    row = df[["f32", "age", "income"]].iloc[0]                 # floats only: no refusal
    np.testing.assert_allclose(trained(row).numpy(), expected, rtol=1e-6)
    assert trained.predict(row) == expected.argmax()
    assert trained.predict(df.iloc[0]) == expected.argmax()    # with text, dates, the label


def test_a_column_of_numbers_and_none_is_not_called_text():
    with pytest.raises(TypeError, match=r"column 'x' holds None \(a missing value\) among its "
                                        r"numbers: make it a float column.*astype\(float\)"):
        Tensor(pd.DataFrame({"x": pd.Series([1, None, 2], dtype=object)}))
    with pytest.raises(TypeError, match=r"holds text \(such as 'a'\)"):   # None before text
        Tensor(pd.Series([None, "a"], name="x"))


def test_sparse_columns_of_get_dummies_are_numbers():
    frame = pd.DataFrame({"city": ["Paris", "Lyon", "Paris"], "age": [30, 40, 50]})
    sparse = pd.get_dummies(frame, sparse=True)           # was refused as "holds text"
    np.testing.assert_array_equal(Tensor(sparse).data, pd.get_dummies(frame).to_numpy(float))


def test_missing_labels_are_dropped_with_their_rows_not_filled(df):
    # a label filled with the labels' median would be made up; and y.dropna() alone would
    # leave X a row longer
    X, y = df[NUMBERS], df["visits"]                         # Int64 with one <NA>
    model, loss, opt = _build()()
    with pytest.raises(ValueError) as error:
        fit(model, loss, opt, (X, y), progress=False)
    message = str(error.value)
    assert "y contains NaN (1 row with index 107)" in message
    assert "keep = y.notna(); X, y = X[keep], y[keep]" in message
    assert "fillna" not in message and "median" not in message
    # infinity: fillna and dropna do not see it
    with pytest.raises(ValueError, match=r"X contains infinity in column 'income'.*"
                                         r"replace\(\[np.inf, -np.inf\], np.nan\)\), then fill"):
        DataLoader(df[["age", "income"]].replace({df["income"].iloc[3]: np.inf}), df["label"])


def test_a_series_target_of_the_wrong_shape_is_told_to_frame(df):
    # y.reshape(-1, 1), the advice for an array, is an AttributeError on a Series
    model = MLP(3, [4], 1)
    with pytest.raises(ValueError, match=r"y.reshape\(-1, 1\) \(a pandas or polars Series: "
                                         r"y.to_frame\(\)\)"):
        fit(model, mse_loss, optim.SGD(model.parameters(), lr=1e-6),
            (df[["age", "income", "f32"]], df["income"]), progress=False)
