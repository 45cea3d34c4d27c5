"""nn.data.StandardScaler (nn/data/scaling.py): feature scaling by the training rows' mean and
standard deviation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nn
from autograd import Tensor
from nn.data import StandardScaler


def test_fit_learns_the_float64_mean_and_population_std_of_each_column():
    X = np.random.default_rng(0).normal(50, 3, (40, 3)).astype(np.float32)
    scaler = StandardScaler().fit(X)
    assert scaler.mean.dtype == scaler.std.dtype == np.float64
    assert np.array_equal(scaler.mean, X.mean(axis=0, dtype=np.float64))
    assert np.array_equal(scaler.std, X.std(axis=0, dtype=np.float64))     # divided by n
    assert scaler.std[0] != X.astype(np.float64).std(axis=0, ddof=1)[0]


def test_new_rows_are_transformed_with_the_training_statistics():
    scaler = StandardScaler().fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    assert scaler.transform(np.array([[1.0, 20.0], [5.0, 0.0]])).tolist() == [[0.0, 0.0],
                                                                               [4.0, -2.0]]
    assert StandardScaler().fit_transform([[0.0], [2.0]]).tolist() == [[-1.0], [1.0]]


@pytest.mark.parametrize("value", [0.1, 7.0, -3e5])
def test_a_constant_column_is_centred_exactly_and_left_unscaled(value):
    """0.1 three times has a float64 mean of 0.10000000000000002, whose std would be 1.4e-17:
    the column would be blown up to about -1 instead of centred to 0."""
    X = np.column_stack([np.full(3, value), [1.0, 2.0, 3.0]])
    scaler = StandardScaler().fit(X)
    assert scaler.mean[0] == value and scaler.std[0] == 1.0
    assert scaler.transform(X)[:, 0].tolist() == [0.0] * 3
    assert scaler.transform(np.array([[value + 1.0, 2.0]]))[0, 0] == pytest.approx(1.0)


def test_a_column_that_varies_only_by_rounding_counts_as_constant():
    """0.1 * 3 is 0.30000000000000004: beside two 0.3s its std is 2.6e-17, and dividing by it
    made the column ±1.2 noise and a test value of 0.4 about 4e15. A spread of one float32
    step (1 and 1.0000001) is real data and stays standardised."""
    X = np.array([[0.1 * 3, 1.0], [0.3, 2.0], [0.3, 3.0]])
    scaler = StandardScaler().fit(X)
    assert scaler.std[0] == 1.0
    assert np.abs(scaler.transform(X)[:, 0]).max() < 1e-15
    assert scaler.transform(np.array([[0.4, 2.0]]))[0, 0] == pytest.approx(0.1)
    ulp = np.array([1.0, np.nextafter(np.float32(1), np.float32(2)), 1.0], dtype=np.float32)
    np.testing.assert_allclose(StandardScaler().fit_transform(ulp).std(), 1.0, rtol=1e-6)


def test_regression_targets_are_1d_and_outputs_come_back_as_n_or_n_by_1():
    scaler = StandardScaler().fit(np.array([100.0, 200.0, 300.0, 400.0]))
    assert scaler.mean.shape == scaler.std.shape == ()
    assert scaler.transform(np.array([250.0])).tolist() == [0.0]
    outputs = np.array([[0.0], [1.0]], np.float32)               # a model with one output unit
    back = scaler.inverse_transform(outputs)
    assert back.shape == (2, 1) and back.dtype == np.float32
    assert back[:, 0].tolist() == pytest.approx([250.0, 250.0 + 125.0 ** 0.5 * 10], rel=1e-6)


@pytest.mark.parametrize("given_dtype, expected", [
    (np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64),
    (np.bool_, np.float64)])
def test_numpy_in_numpy_out_keeping_a_float_dtype(given_dtype, expected):
    X = np.array([[0, 1], [1, 1], [1, 0]]).astype(given_dtype)
    scaler = StandardScaler().fit(X)
    for out in (scaler.transform(X), scaler.inverse_transform(X)):
        assert type(out) is np.ndarray and out.dtype == expected


def test_tensors_in_tensors_out_keeping_the_graph():
    X = Tensor(np.array([[1.0, 5.0], [3.0, 5.0]], np.float32), requires_grad=True)
    scaler = StandardScaler().fit(X)
    out = scaler.transform(X)
    assert isinstance(out, Tensor) and out.dtype == np.float32
    assert out.data.tolist() == [[-1.0, 0.0], [1.0, 0.0]]
    out.sum().backward()                              # d/dx (x - mean) / std = 1 / std
    assert X.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    back = scaler.inverse_transform(Tensor(np.zeros((1, 2), np.float64)))
    assert isinstance(back, Tensor) and back.dtype == np.float64
    assert scaler.transform(Tensor(np.array([[3, 5]]))).dtype == np.float32   # the default


@pytest.mark.parametrize("as_checkpoint", [False, True])
def test_the_statistics_save_and_load_with_nn_save_and_no_pickle(tmp_path, as_checkpoint):
    X = np.random.default_rng(1).normal(size=(10, 3))
    for data in (X, X[:, 0]):                         # columns, and 1-d targets
        scaler = StandardScaler().fit(data)
        path = tmp_path / "scaler.npz"
        nn.save({"scaler": scaler, "epoch": 3} if as_checkpoint else scaler, path)
        state = nn.load(path)["scaler"] if as_checkpoint else nn.load(path)
        again = StandardScaler()
        again.load_state_dict(state)
        assert np.array_equal(again.transform(data), scaler.transform(data))
        assert again.mean.shape == scaler.mean.shape
    assert set(scaler.state_dict()) == {"mean", "std"}


@pytest.mark.parametrize("state, message", [
    ({"mean": np.zeros(2)}, "expected a dict with the keys 'mean' and 'std'.*got \\['mean'\\]"),
    ([1, 2], "expected a dict .*got list"),
    ({"mean": np.zeros(2), "std": np.ones(3)}, "got shapes \\(2,\\) and \\(3,\\)"),
    ({"mean": np.zeros((1, 2)), "std": np.ones((1, 2))}, "one value per column"),
    ({"mean": np.zeros(2), "std": np.array([1.0, 0.0])}, "'std' finite and above 0"),
    ({"mean": np.array([np.nan, 0.0]), "std": np.ones(2)}, "'mean' must be finite"),
])
def test_load_state_dict_refuses_what_no_fit_gives(state, message):
    with pytest.raises(ValueError, match=f"StandardScaler.load_state_dict: .*{message}"):
        StandardScaler().load_state_dict(state)


def test_repr_says_whether_fitted_and_shows_the_statistics():
    assert repr(StandardScaler()) == "StandardScaler(not fitted)"
    assert repr(StandardScaler().fit([[1.0, 2.0], [3.0, 5.0]])) == \
        "StandardScaler(2 columns, mean=[2, 3.5], std=[1, 1.5])"
    assert repr(StandardScaler().fit([1.0, 2.0, 3.0])) == \
        "StandardScaler(1-d values, mean=2, std=0.8165)"
    assert "..." in repr(StandardScaler().fit(np.eye(10)))


def test_using_it_before_fit_is_an_error_naming_the_method():
    for method in ("transform", "inverse_transform"):
        with pytest.raises(RuntimeError, match=f"StandardScaler.{method}: the scaler is not "
                                               f"fitted yet; call fit\\(X_train\\) first"):
            getattr(StandardScaler(), method)(np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="StandardScaler.state_dict: .*not fitted"):
        StandardScaler().state_dict()


@pytest.mark.parametrize("X, message", [
    (np.zeros((4, 3)), "X has 3 columns, but the scaler was fitted on 2 columns"),
    (np.zeros(2), r"X has shape \(2,\), but the scaler was fitted on 2 columns"),
    (np.array([[1.0, np.nan]]), "column 1 holds nan \\(row 0\\)"),
])
def test_transform_refuses_rows_unlike_the_training_rows(X, message):
    scaler = StandardScaler().fit(np.array([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match=f"StandardScaler.transform: {message}"):
        scaler.transform(X)


def test_a_scaler_of_1d_values_refuses_several_columns():
    scaler = StandardScaler().fit(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"fitted on 1-d values .*expected shape \(n,\) or "
                                         r"\(n, 1\), got \(3, 2\)"):
        scaler.inverse_transform(np.zeros((3, 2)))


@pytest.mark.parametrize("X, error, message", [
    ([[1.0, 2.0], [3.0, np.inf], [np.nan, 0.0]], ValueError,
     r"column 0 holds nan \(row 2; 2 non-finite values in all\); remove or fill those rows"),
    ([1.0, -np.inf], ValueError, r"X holds -inf \(row 1\)"),
    ([["a", "b"]], TypeError, "X must hold numbers, got dtype <U1; convert text columns"),
    (np.array([None, 1.0]), TypeError, "X must hold numbers, got dtype object"),
    (np.zeros((0, 3)), ValueError, r"X is empty \(shape \(0, 3\)\)"),
    (np.zeros((5, 0)), ValueError, r"X is empty \(shape \(5, 0\)\)"),
    (np.zeros((2, 3, 4)), ValueError, r"X must be 2-d \(rows, columns\) or 1-d .*got shape \(2, 3, 4\); "
                                      r"flatten images first"),
    ([[1.0, 2.0], [3.0]], ValueError, "X must be rectangular"),
    ([[1e308], [-1e308]], ValueError, "column 0 has values as large as 1e\\+308, whose mean "
                                      "or standard deviation overflows float64"),
])
def test_fit_refuses_data_it_cannot_standardise(X, error, message):
    with pytest.raises(error, match=f"StandardScaler.fit: {message}"):
        StandardScaler().fit(X)


def test_fit_names_a_table_of_named_columns():
    """np.genfromtxt(..., names=True)'s array of named columns was refused by its dtype alone
    ({'names': [...], 'formats': [...], 'offsets': [...], 'itemsize': 16})."""
    table = np.zeros(3, dtype=[("rooms", np.float64), ("age", np.float64)])
    with pytest.raises(TypeError, match=r"^StandardScaler.fit: X must hold numbers, got a table "
                                        r"of named columns \('rooms', 'age'\), as "
                                        r"np.genfromtxt\(..., names=True\) gives; make it one "
                                        r"array: np.column_stack\(\[X\[c\] for c in "
                                        r"X.dtype.names\]\)$"):
        StandardScaler().fit(table)


columns = st.tuples(st.integers(2, 20), st.integers(1, 4)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=st.floats(-1e6, 1e6)))


@settings(max_examples=200, deadline=None)
@given(columns)
def test_transform_gives_mean_0_std_1_and_inverse_transform_undoes_it(X):
    scaler = StandardScaler().fit(X)
    T = scaler.transform(X)
    size = 1.0 + np.abs(X).max()
    assert np.allclose(scaler.inverse_transform(T), X, rtol=1e-12, atol=1e-10 * size)
    constant = X.max(axis=0) == X.min(axis=0)
    assert (T[:, constant] == 0).all()
    # a spread below a millionth of the values' size is lost in their rounding: not checked
    spread = ~constant & (X.std(axis=0) > 1e-6 * size)
    assert np.allclose(T[:, spread].mean(axis=0), 0.0, atol=1e-6)
    assert np.allclose(T[:, spread].std(axis=0), 1.0, atol=1e-6)
