"""polars DataFrames and Series given where a learner gives them, as tests/test_pandas_inputs.py
gives pandas': Tensor(df), the DataLoader, fit, train_test_split, StandardScaler,
cross_validate, the metrics, a trained model's predict, and `glassgrad train` on a CSV file
polars wrote. The library never imports polars (autograd/tables_polars.py reads its dtypes by
name); these tests do (a [dev] requirement), and each refusal's polars code is run here."""

import datetime as dt
import decimal

import numpy as np
import pytest

import autograd
from autograd import Tensor
from cli_helpers import run
from nn import MLP, Flatten, Linear, Sequential, cross_entropy, evaluate, fit, load_trained, mse_loss, optim
from nn import metrics as M
from nn.data import DataLoader, StandardScaler, TensorDataset, train_test_split
from nn.selection import GridSearch, cross_validate
from nn.trained import TrainedModel

pl = pytest.importorskip("polars", reason="polars is not installed: pip install polars, or "
                                          "pip install -e '.[dev]'")

#: what a polars user must never be told to write
PANDAS_WORDS = ["pd.", "astype", "fillna", "dropna", "notna", "iloc", ".cat.codes",
                "drop(columns=", "dayofyear", "factorize"]


@pytest.fixture
def df():
    """A learner's polars table: numbers of several dtypes and widths, a text column, a null
    and a NaN in float columns, dates, a Boolean, a Float32, an Int64 with a null, an int
    label; shuffled, with `id` telling the rows apart (polars has no index)."""
    rng = np.random.default_rng(0)
    n = 40
    frame = pl.DataFrame({
        "id": np.arange(100, 100 + n),
        "age": rng.integers(18, 80, n),
        "income": rng.normal(50, 10, n).round(2),
        "city": rng.choice(["Paris", "Lyon"], n),
        "score": [None if i % 9 == 4 else float(v) for i, v in enumerate(rng.normal(0, 1, n))],
        "when": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n)],
        "member": rng.random(n) < 0.5,
        "f32": rng.normal(0, 1, n).astype(np.float32),
        "visits": [None if i == 7 else i % 5 for i in range(n)],
        "count": pl.Series(rng.integers(0, 9, n), dtype=pl.UInt8),
    })
    frame = frame.with_columns(
        label=((pl.col("income") > 50) ^ (pl.col("f32") > 0)).cast(pl.Int64))
    return frame.sample(fraction=1.0, shuffle=True, seed=0)


NUMBERS = ["age", "income", "f32", "count", "member"]


def _build(n_features=len(NUMBERS)):
    def build(lr=0.01):
        model = MLP(n_features, [4], 2)
        return model, cross_entropy, optim.Adam(model.parameters(), lr=lr)
    return build


def _no_pandas(message):
    for word in PANDAS_WORDS:
        assert word not in message, (word, message)


# -- Tensor(df): the numbers of every numeric column, any other column named ----------------------
def test_a_frame_of_mixed_numeric_dtypes_is_one_tensor(df):
    # Int64, Float64, Float32, UInt8 and Boolean columns: one array of their common dtype
    t = Tensor(df[NUMBERS])
    expected = np.column_stack([df[c].to_numpy().astype(np.float64) for c in NUMBERS])
    assert t.dtype == np.float32 and t.shape == (len(df), len(NUMBERS))
    np.testing.assert_allclose(t.data, expected.astype(np.float32))
    dummies = df.select("age", "city").to_dummies(columns=["city"])   # Int64 beside UInt8
    assert Tensor(dummies).tolist() == [list(row) for row in dummies.rows()]
    assert Tensor(df[["count", "member"]]).dtype == np.uint8        # UInt8 and Boolean


def test_series_dtypes_become_the_tensor_dtypes_a_learner_expects(df):
    assert autograd.tensor(df["label"]).dtype == np.int64
    assert autograd.tensor(df["count"]).dtype == np.uint8
    assert autograd.tensor(df["member"]).dtype == np.bool_
    assert autograd.tensor(df["f32"]).dtype == np.float32
    assert autograd.tensor(df["income"]).dtype == np.float32         # polars' Float64: default
    assert Tensor(df["income"], dtype=np.float64).dtype == np.float64
    visits = autograd.tensor(df["visits"])                            # Int64 with a null: NaN
    assert visits.dtype == np.float32 and np.isnan(visits.data).sum() == 1
    assert np.isnan(visits.data[df["id"].to_list().index(107)])
    flags = autograd.tensor(pl.Series("flag", [True, None, False]))   # np.asarray: objects
    np.testing.assert_array_equal(flags.data, [1.0, np.nan, 0.0])
    prices = pl.Series("price", [decimal.Decimal("1.25"), None, decimal.Decimal("3.50")])
    np.testing.assert_array_equal(Tensor(prices, dtype=np.float64).data, [1.25, np.nan, 3.5])
    assert Tensor(pl.Series("i8", [-3, 4], dtype=pl.Int8)).dtype == np.int8


@pytest.mark.parametrize("column, words, code", [
    ("city", ["column 'city'", "holds text", "(such as '"], "df.to_dummies(columns=['city'])"),
    ("city", ["column 'city'"], "df.drop('city')"),
    ("cat", ["column 'cat' is categorical (Categorical)"], "df['cat'].to_physical()"),
    ("cat", ["column 'cat' is categorical"], "df.to_dummies(columns=['cat'])"),
    ("enum", ["column 'enum' is categorical (Enum)"], "df['enum'].to_physical()"),
    ("when", ["column 'when'", "holds dates (Date)"], "df['when'].dt.ordinal_day()"),
    ("when", ["holds dates"], "(df['when'] - df['when'].min()).dt.total_days()"),
    ("stamp", ["holds dates (Datetime"], "df['stamp'].dt.ordinal_day()"),
    ("wait", ["holds durations (Duration"], "df['wait'].dt.total_seconds()"),
    ("time", ["holds times of day (Time)"], "df['time'].dt.hour()"),
    ("time", ["nanoseconds since midnight"], "df['time'].to_physical()"),
    ("pair", ["holds lists (List(Int64))"], "df['pair'].list.get(1)"),
    ("fixed", ["holds arrays (Array(Int64"], "df['fixed'].arr.to_struct().struct.unnest()"),
    ("point", ["holds structs (Struct("], "df.unnest('point')"),
    pytest.param("big", ["numbers of dtype Int128, which numpy has no dtype for"],
                 "df['big'].cast(pl.Float64)", marks=pytest.mark.skipif(
                     not hasattr(pl, "Int128"), reason="this polars has no Int128")),
    ("empty", ["holds only nulls (dtype Null)"], "df.drop('empty')"),
])
def test_a_column_of_no_numbers_is_named_with_the_polars_code_to_write(df, column, words, code):
    n = len(df)
    df = df.with_columns(
        cat=pl.col("city").cast(pl.Categorical),
        enum=pl.col("city").cast(pl.Enum(["Lyon", "Paris"])),
        stamp=pl.col("when").cast(pl.Datetime), wait=pl.col("when") - pl.col("when").min(),
        time=pl.Series([dt.time(i % 24, 30) for i in range(n)]),
        pair=pl.Series([[i, i + 1] for i in range(n)]),
        point=pl.Series([{"x": i, "y": -i} for i in range(n)]), empty=pl.lit(None),
        **({"big": pl.Series(range(n), dtype=pl.Int128)} if column == "big" else {}))
    df = df.with_columns(fixed=pl.col("pair").cast(pl.Array(pl.Int64, 2)))[["age", column]]
    with pytest.raises(TypeError) as error:
        Tensor(df)
    message = str(error.value)
    for word in words + [code]:
        assert word in message
    _no_pandas(message)
    # the code it gives makes numbers (or the column goes)
    made = Tensor(eval(code, {"df": df, "pl": pl}), dtype=np.float64)
    assert len(made) == n and np.isfinite(made.data).all()
    # a Series is named as one, its code spelled from it
    with pytest.raises(TypeError, match=f"Series '{column}'") as error:
        autograd.tensor(df[column])
    _no_pandas(str(error.value))


def test_a_series_of_text_says_how_to_make_class_labels(df):
    with pytest.raises(TypeError) as error:
        autograd.tensor(df["city"].alias(""))        # a Series of no name: `s`
    message = str(error.value)
    assert message.startswith("Tensor: the Series holds text (such as '")
    code = "s.cast(pl.Categorical).to_physical()"
    assert "s.to_dummies()" in message and code in message
    labels = eval(code, {"s": df["city"], "pl": pl})
    assert sorted(set(autograd.tensor(labels).tolist())) == [0, 1]


def test_a_tensor_from_a_frame_owns_its_numbers(df):
    frame = df[["f32"]]
    before = frame.to_numpy().copy()
    t = Tensor(frame)
    t.data += 1                 # polars' to_numpy may be a read-only view of its memory
    t.add_(1)
    np.testing.assert_array_equal(frame.to_numpy(), before)
    np.testing.assert_array_equal(t.data, (before + 1) + 1)
    assert Tensor(df["f32"]).data.flags.writeable


def test_tensor_times_series_is_the_tensor_s_op_with_its_gradient(df):
    # (series * w is polars' own TypeError: polars has no way to step aside for another type)
    w = Tensor(np.linspace(-1, 1, len(df)), requires_grad=True, dtype=np.float64)
    s = df["income"]
    out = w * s
    assert isinstance(out, Tensor)
    (out + s).sum().backward()
    np.testing.assert_allclose(w.grad, s.to_numpy())


# -- nn.data ---------------------------------------------------------------------------------------
def test_dataset_and_loader_take_a_frame_and_a_series(df):
    X, y = df[NUMBERS], df["label"]
    x0, y0 = TensorDataset(X, y)[0]
    np.testing.assert_allclose(x0, np.array(X.row(0), dtype=np.float32))
    assert y0 == y[0]
    xb, yb = next(iter(DataLoader(X, df["count"], batch_size=5)))
    assert xb.shape == (5, len(NUMBERS)) and yb.dtype == np.uint8


def test_a_null_in_a_frame_is_named_by_column_and_row_position(df):
    with pytest.raises(ValueError) as error:
        DataLoader(df[["age", "score"]], df["label"])
    message = str(error.value)
    positions = [i for i, v in enumerate(df["score"].to_list()) if v is None]
    assert len(positions) == 4
    assert f"X contains NaN in column 'score' (4 rows at positions " \
           f"{', '.join(map(str, positions))})" in message
    assert "df['score'].fill_null(df['score'].median())" in message
    assert ".drop_nulls()" in message and "make it null" not in message
    _no_pandas(message)
    # a NaN (a float, not a null, in polars): made a null first, which fill_null sees
    frame = df[["age", "income"]].with_columns(
        pl.when(pl.col("age") == df["age"][3]).then(float("nan")).otherwise(pl.col("income"))
        .alias("income"))
    with pytest.raises(ValueError) as error:
        DataLoader(frame, df["label"])
    message = str(error.value)
    code = "df.with_columns(pl.col('income').fill_nan(None))"
    assert f"make it null ({code}), then fill it" in message
    fixed = eval(code, {"df": frame, "pl": pl}).drop_nulls()
    assert len(fixed) < len(frame)
    DataLoader(fixed, df["label"][:len(fixed)])


def test_text_in_x_is_named_where_fit_is_called(df):
    model, loss, opt = _build()()
    with pytest.raises(TypeError, match=r"fit: train_data: column 'city' of X holds text .*"
                                        r"df.to_dummies\(columns=\['city'\]\)"):
        fit(model, loss, opt, (df.drop("label"), df["label"]), progress=False)


def test_train_test_split_gives_polars_frames_of_the_chosen_rows(df):
    X, y = df[["id"] + NUMBERS], df["label"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=10, stratify=y, seed=0)
    assert isinstance(X_train, pl.DataFrame) and isinstance(y_test, pl.Series)
    assert X_train.columns == ["id"] + NUMBERS and len(X_test) == len(y_test) == 10
    assert set(X_train["id"]) | set(X_test["id"]) == set(df["id"])
    label_of = dict(zip(df["id"], df["label"]))               # the rows keep their pairing
    assert [label_of[i] for i in X_test["id"]] == y_test.to_list()
    # as the arrays' split would choose them
    parts = train_test_split(X.to_numpy(), y.to_numpy(), test_size=10, stratify=y.to_numpy(),
                             seed=0)
    np.testing.assert_array_equal(X_test.to_numpy(), parts[1])
    # and every entry point takes the parts
    model, loss, opt = _build()()
    fit(model, loss, opt, (X_train[NUMBERS], y_train), epochs=1, progress=False)
    assert set(evaluate(model, loss, (X_test[NUMBERS], y_test))) == {"loss", "accuracy"}


def test_the_scaler_reads_a_frame_by_its_columns(df):
    X = df[NUMBERS]
    scaler = StandardScaler().fit(X)                   # a UInt8 and a Boolean among them
    assert scaler.columns == NUMBERS
    np.testing.assert_allclose(scaler.transform(X).mean(axis=0), 0, atol=1e-12)
    with pytest.raises(ValueError, match="another order"):
        scaler.transform(X[NUMBERS[::-1]])             # each column scaled by another's numbers
    with pytest.raises(ValueError, match="no column 'member'"):
        scaler.transform(X.drop("member").with_columns(other=pl.lit(1)))
    scaler.transform(X[scaler.columns])                # what the error says to write
    scaler.transform(X.to_numpy().astype(float))       # an array: by position, as fitted
    with pytest.raises(ValueError, match=r"column 'score'.*at positions"):
        StandardScaler().fit(df[["age", "score"]])


# -- fitting, scoring, searching -------------------------------------------------------------------
def test_fit_on_a_frame_trains_the_weights_of_the_same_numbers_in_an_array(df):
    X, y = df[NUMBERS], df["label"]
    array = np.column_stack([X[c].to_numpy().astype(np.float64) for c in NUMBERS])
    weights = []
    for data in ((X, y), (array, y.to_numpy())):
        autograd.manual_seed(0)
        model, loss, opt = _build()()
        fit(model, loss, opt, data, epochs=3, batch_size=8, progress=False)
        weights.append([p.data.copy() for p in model.parameters()])
    for ours, theirs in zip(*weights):
        np.testing.assert_array_equal(ours, theirs)            # bit for bit


def test_cross_validate_and_grid_search_take_a_mixed_frame(df):
    X, y = df[NUMBERS], df["label"]
    autograd.manual_seed(0)
    scores = cross_validate(_build(), X, y, cv=3, fit_kwargs={"epochs": 1})
    assert np.isfinite(scores["mean"]["loss"])
    search = GridSearch(_build(), {"lr": [0.01, 0.1]}, cv=3, fit_kwargs={"epochs": 1}).fit(X, y)
    assert search.best_params["lr"] in (0.01, 0.1)
    with pytest.raises(TypeError, match=r"cross_validate: column 'when' of X holds dates "
                                        r"\(Date\).*dt.ordinal_day\(\)"):
        cross_validate(_build(), df[["age", "when"]], y, cv=3)


CLASSIFICATION = ["accuracy", "accuracy_score", "zero_one_loss", "confusion_matrix",
                  "balanced_accuracy_score", "matthews_corrcoef", "precision", "recall",
                  "f1_score", "classification_report"]
SCORES = ["log_loss", "roc_auc_score", "average_precision_score"]
REGRESSION = ["mean_squared_error", "root_mean_squared_error", "mean_absolute_error",
              "mean_absolute_percentage_error", "r2_score", "explained_variance_score"]


@pytest.mark.parametrize("name", CLASSIFICATION + SCORES + REGRESSION)
def test_metrics_read_series_as_their_arrays(name):
    rng = np.random.default_rng(1)
    n = 30
    if name in REGRESSION:
        truth, guess = rng.normal(size=n) + 3, rng.normal(size=n) + 3
    else:
        truth = rng.integers(0, 2, n)
        guess = rng.random(n) if name in SCORES else rng.integers(0, 2, n)
    metric = getattr(M, name)
    expected = metric(truth, guess)
    weights = rng.random(n) + 0.5
    for a, b in ((pl.Series("y", truth), guess), (pl.Series("y", truth), pl.Series(guess)),
                 (truth, pl.Series("p", guess))):
        assert str(metric(a, b)) == str(expected)
        weighted = metric(a, b, sample_weight=pl.Series("w", weights))
        assert str(weighted) == str(metric(truth, guess, sample_weight=weights))


def test_metrics_take_integer_text_and_categorical_labels():
    truth = pl.Series("y", [0, 1, 1, 0], dtype=pl.UInt32)
    assert M.accuracy(truth, np.array([0, 1, 0, 0])) == 0.75
    with pytest.raises(ValueError, match="NaN"):
        M.accuracy(pl.Series("y", [0, None, 1, 0]), np.array([0, 1, 0, 0]))
    words = pl.Series("y", ["no", "yes", "yes", "no"])
    assert M.accuracy(words, np.array(["no", "yes", "no", "no"])) == 0.75
    assert M.accuracy(words.cast(pl.Categorical), words) == 1.0


# -- a trained model -------------------------------------------------------------------------------
def _trained():
    return TrainedModel(MLP(3, [4], 2), input_mean=np.array([50.0, 50.0, 0.0]),
                        input_std=np.array([15.0, 10.0, 1.0]), task="classify",
                        target="label", features=["age", "income", "f32"], classes=["0", "1"],
                        hidden=[4])


def test_a_trained_model_reads_a_frame_s_features_by_name(df):
    trained = _trained()
    expected = trained(df[["age", "income", "f32"]].to_numpy()).numpy()
    # the columns in another order, with the target, text and dates beside them
    shuffled = df[["label", "f32", "city", "income", "when", "age"]]
    np.testing.assert_allclose(trained(shuffled).numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(trained.predict(shuffled), expected.argmax(axis=1))
    assert trained.predict(shuffled[0]).tolist() == [expected[0].argmax()]   # a row: df[0]
    with pytest.raises(ValueError, match="no column 'income'"):
        trained.predict(df.drop("income"))


def test_fit_casts_a_frame_to_the_model_s_dtype(df):
    X, y = df[["age", "income", "f32"]], df["income"]
    model = MLP(3, [4], 1, dtype=np.float64)
    fit(model, mse_loss, optim.SGD(model.parameters(), lr=1e-6), (X, y.to_frame()), epochs=1,
        progress=False)
    assert model(Tensor(X, dtype=np.float64)).dtype == np.float64
    assert MLP(3, [4], 1)(X).dtype == np.float32       # polars' Float64: the default dtype


def test_a_series_target_of_the_wrong_shape_is_framed_as_told(df):
    model = MLP(3, [4], 1)
    with pytest.raises(ValueError, match=r"y.to_frame\(\)"):
        fit(model, mse_loss, optim.SGD(model.parameters(), lr=1e-6),
            (df[["age", "income", "f32"]], df["income"]), progress=False)
    fit(model, mse_loss, optim.SGD(model.parameters(), lr=1e-6),       # polars has it too
        (df[["age", "income", "f32"]], df["income"].to_frame()), epochs=1, progress=False)
    flat = Sequential(Linear(3, 1), Flatten(0))     # one output per sample, as (N,)
    with pytest.raises(ValueError, match=r"y.to_series\(\) in polars"):
        fit(flat, mse_loss, optim.SGD(flat.parameters(), lr=1e-6),
            (df[["age", "income", "f32"]], df[["income"]]), progress=False)
    fit(flat, mse_loss, optim.SGD(flat.parameters(), lr=1e-6),
        (df[["age", "income", "f32"]], df[["income"]].to_series()), epochs=1, progress=False)


def test_missing_labels_are_dropped_with_their_rows_as_told(df):
    X, y = df[NUMBERS], df["visits"]                         # Int64 with one null
    model, loss, opt = _build()()
    with pytest.raises(ValueError) as error:
        fit(model, loss, opt, (X, y), progress=False)
    message = str(error.value)
    position = df["id"].to_list().index(107)
    assert f"y contains NaN (1 row at position {position})" in message
    code = "keep = y.is_not_null(); X, y = X.filter(keep), y.filter(keep)"
    assert code in message and "fill" not in message and "median" not in message
    scope = {"X": X, "y": y}
    exec(code, scope)
    assert len(scope["X"]) == len(scope["y"]) == len(df) - 1
    model = MLP(len(NUMBERS), [4], 5)                        # (visits: 0 to 4)
    fit(model, loss, optim.SGD(model.parameters(), lr=1e-3), (scope["X"], scope["y"]),
        epochs=1, progress=False)
    # infinity: neither fill_null nor drop_nulls sees it
    frame = df[["age", "income"]].with_columns(
        pl.when(pl.col("age") == df["age"][3]).then(float("inf")).otherwise(pl.col("income"))
        .alias("income"))
    with pytest.raises(ValueError) as error:
        DataLoader(frame, df["label"])
    message = str(error.value)
    code = "df.with_columns(pl.col('income').replace([np.inf, -np.inf], None))"
    assert "X contains infinity in column 'income'" in message
    assert f"make it null ({code}), then fill it" in message
    assert eval(code, {"df": frame, "pl": pl, "np": np})["income"].null_count() >= 1


# -- glassgrad train / predict on a file polars wrote (the CLI reads it itself) -----------------
def test_glassgrad_train_on_a_csv_polars_wrote(df, tmp_path, capsys):
    path = tmp_path / "data.csv"
    # polars' layout: no index column, Booleans as true/false, text with a comma quoted
    df.drop("score", "visits", "when", "id").with_columns(
        city=pl.col("city") + ", FR").write_csv(path)
    out = tmp_path / "model.npz"
    code, text, err = run(["train", "--csv", str(path), "--target", "label", "--ignore", "city",
                           "--hidden", "4", "--epochs", "2", "--out", str(out)], capsys)
    assert code == 0, err
    model = load_trained(out)
    assert model.features == ["age", "income", "member", "f32", "count"]
    assert model.predict(df).shape == (len(df),)             # the frame itself, by name
    # an empty cell where polars wrote a null is a missing value: filled in with the median, and said
    df[["age", "score", "label"]].write_csv(path)
    code, text, err = run(["train", "--csv", str(path), "--target", "label", "--epochs", "1",
                           "--no-progress", "--out", str(out)], capsys)
    assert code == 0, err
    assert "filled in 4 missing values: 'score' 4 (its median" in text


def test_a_lazy_frame_is_told_to_be_collected_wherever_it_goes():
    """A LazyFrame (a query, df.lazy() or pl.scan_csv) was read as one object: "got data of
    dtype object", or a numpy error from deep inside."""
    lazy = pl.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6]}).lazy()
    model = MLP(2, [3], 1)
    collect = r"is a polars LazyFrame, a query whose rows are not computed yet: collect it " \
              r"first \(lf\.collect\(\)\)"
    with pytest.raises(TypeError, match=rf"^Tensor: the data {collect}"):
        Tensor(lazy)
    with pytest.raises(TypeError, match=rf"^DataLoader: X {collect}"):
        DataLoader(lazy, np.zeros(3))
    with pytest.raises(TypeError, match=rf"^fit: train_data: X {collect}"):
        fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), (lazy, np.zeros(3)),
            progress=False)
    with pytest.raises(TypeError, match=rf"^StandardScaler\.fit: X {collect}"):
        StandardScaler().fit(lazy)
    np.testing.assert_array_equal(Tensor(lazy.collect()).data, [[1, 4], [2, 5], [3, 6]])
