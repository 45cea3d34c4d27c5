"""nn/metrics/regression.py: MSE, RMSE, MAE, MAPE, R², explained variance. Hand-computed cases
(weighted too), the formulas as hypothesis properties, R² at any scale, integer weights as
repeated rows, scikit-learn's results for constant targets and zero true values.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_helpers import no_warnings, repeated, weights

from autograd import Tensor
from nn.metrics import (
    UndefinedMetricWarning, explained_variance_score, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, r2_score, root_mean_squared_error,
)


def test_regression_worked_example():
    """errors 0.5, -0.5, 0, -1: MSE = (0.25 + 0.25 + 0 + 1) / 4, MAE = 2 / 4;
    mean(y) = 2.875, SS_tot = 29.1875, SS_res = 1.5."""
    y_true, y_pred = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
    assert mean_squared_error(y_true, y_pred) == 0.375
    assert mean_absolute_error(y_true, y_pred) == 0.5
    assert root_mean_squared_error(y_true, y_pred) == np.sqrt(0.375)
    # several outputs: each output's RMSE (3 and 1), then their mean
    assert root_mean_squared_error(np.zeros((2, 2)), [[3.0, 1.0], [-3.0, 1.0]]) == 2.0
    assert r2_score(y_true, y_pred) == pytest.approx(1 - 1.5 / 29.1875)
    assert r2_score(y_true, np.full(4, 2.875)) == pytest.approx(0.0)   # predicting the mean
    assert r2_score(y_true, y_true) == 1.0


@settings(max_examples=40)
@given(st.integers(2, 30).flatmap(lambda n: st.tuples(
    st.lists(st.floats(-100, 100), min_size=n, max_size=n),
    st.lists(st.floats(-100, 100), min_size=n, max_size=n))))
def test_r2_and_errors_match_their_formulas(data):
    y, p = np.array(data[0]), np.array(data[1])
    assert mean_squared_error(y, p) == pytest.approx(np.mean((y - p) ** 2))
    assert mean_absolute_error(y, p) == pytest.approx(np.mean(np.abs(y - p)))
    ss_tot = np.sum((y - y.mean()) ** 2)
    if ss_tot > 1e-9:
        assert r2_score(y, p) == pytest.approx(1 - np.sum((y - p) ** 2) / ss_tot, abs=1e-9)


@pytest.mark.parametrize("scale", [1e-200, 1e-170, 1e200, 1e300])
def test_r2_is_the_same_at_any_scale(scale):
    """R² of y and p is that of (s y, s p): squares of 1e-200 must not underflow to 0 (SS_res
    = 0 would read as a perfect fit: 1.0), nor squares of 1e200 overflow (inf / inf = NaN)."""
    y, p = np.array([1.0, -1.0, 0.0, 0.5]), np.array([0.0, 0.0, 0.0, 0.5])
    with np.errstate(all="raise"):
        assert r2_score(y * scale, p * scale) == pytest.approx(1 - 2 / 2.1875, rel=1e-14)


def test_r2_constant_target_and_too_few_samples():
    """SS_tot = 0: scikit-learn's rule is 1.0 for exact predictions, else 0.0 (no 0/0)."""
    with no_warnings():
        assert r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == 1.0
        assert r2_score([2.0, 2.0, 2.0], [2.0, 1.0, 2.0]) == 0.0
    with pytest.warns(UndefinedMetricWarning, match="fewer than two samples"):
        assert np.isnan(r2_score([1.0], [1.5]))


def test_regression_several_outputs_and_column_shapes():
    """(n, k) targets: the mean of the k scores. (n,) against (n, 1) is one output, never
    broadcast to (n, n) (the classic bug of subtracting them directly)."""
    y = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    p = np.array([[1.0, 12.0], [2.0, 18.0], [4.0, 30.0]])
    assert r2_score(y, p) == pytest.approx(np.mean([1 - 1 / 2, 1 - 8 / 200]))
    assert mean_squared_error(y, p) == pytest.approx(np.mean([0, 4, 0, 4, 1, 0]))
    y1, p1 = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    assert mean_squared_error(y1, p1[:, None]) == mean_squared_error(y1, p1) == \
        pytest.approx(1.25 / 3)
    assert r2_score(Tensor(y1[:, None]), p1) == r2_score(y1, p1)




# ----------------------------------------------------------------------------------------------
# sample_weight
# ----------------------------------------------------------------------------------------------

Y, P, W = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0], [1, 1, 2, 0]


def test_weighted_worked_example():
    """errors 0.5, -0.5, 0, -1 weighted 1, 1, 2, 0 (the last left out): MSE (0.25 + 0.25) / 4,
    MAE (0.5 + 0.5) / 4. R²: the weighted mean of y is (3 - 0.5 + 4) / 4 = 1.625, SS_tot =
    1.375² + 2.125² + 2 · 0.375² = 6.6875, SS_res = 0.5."""
    assert mean_squared_error(Y, P, sample_weight=W) == 0.125
    assert root_mean_squared_error(Y, P, sample_weight=W) == np.sqrt(0.125)
    assert mean_absolute_error(Y, P, sample_weight=W) == 0.25
    assert r2_score(Y, P, sample_weight=W) == pytest.approx(1 - 0.5 / 6.6875)
    assert r2_score(Y, P, sample_weight=[2.5] * 4) == pytest.approx(r2_score(Y, P))
    # two outputs weighted 1, 3, 2: squared errors (1, 0, 1) → 3/6 and (0, 4, 1) → 14/6
    y2 = [[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]]
    p2 = [[0.0, 2.0], [3.0, 2.0], [1.0, 1.0]]
    assert mean_squared_error(y2, p2, sample_weight=[1, 3, 2]) == pytest.approx((3 + 14) / 12)
    assert root_mean_squared_error(y2, p2, sample_weight=[1, 3, 2]) == \
        pytest.approx((np.sqrt(3 / 6) + np.sqrt(14 / 6)) / 2)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_weighted_r2_is_the_same_at_any_scale_of_the_weights(scale):
    with np.errstate(all="raise"):
        assert r2_score(Y, P, sample_weight=np.array(W) * scale) == \
            pytest.approx(1 - 0.5 / 6.6875, rel=1e-14)


def test_r2_counts_rows_for_its_two_sample_rule():
    """scikit-learn's rule: fewer than two rows is NaN whatever the weights, so one row of
    weight 3 is not three copies of it here (the one place where weights are not repeats)."""
    with pytest.warns(UndefinedMetricWarning, match="fewer than two samples"):
        assert np.isnan(r2_score([2.0], [1.0], sample_weight=[3]))
    with no_warnings():             # two rows, one of weight 0: a constant y_true, missed
        assert r2_score([2.0, 3.0], [2.0, 1.0], sample_weight=[1, 0]) == 1.0
        assert r2_score([2.0, 3.0], [1.0, 1.0], sample_weight=[1, 0]) == 0.0


regression_data = st.integers(1, 20).flatmap(lambda n: st.tuples(
    st.lists(st.floats(-50, 50).filter(lambda v: abs(v) > 1e-3), min_size=n, max_size=n),
    st.lists(st.floats(-50, 50), min_size=n, max_size=n), weights(n)))


@settings(max_examples=60)
@given(regression_data)
def test_integer_weights_are_repeated_rows(data):
    y, p, w = np.array(data[0]), np.array(data[1]), np.array(data[2])
    y_rep, p_rep = repeated(w, y, p)
    for metric in (mean_squared_error, root_mean_squared_error, mean_absolute_error,
                   mean_absolute_percentage_error, explained_variance_score, r2_score):
        if metric is r2_score and (len(y) < 2 or len(y_rep) < 2):
            continue                 # the rule of two rows counts rows (see above)
        assert metric(y, p, sample_weight=w) == \
            pytest.approx(metric(y_rep, p_rep), rel=1e-9, abs=1e-9), metric.__name__


# ----------------------------------------------------------------------------------------------
# mean_absolute_percentage_error and explained_variance_score
# ----------------------------------------------------------------------------------------------

def test_mean_absolute_percentage_error():
    """|error| / |y|: 10/100, 10/50, 0/4 → 0.1; a fraction, not percent. Weighted 1, 2, 1:
    (0.5 + 2 · 0.5 + 0) / 4. A true 0 divides by float64's eps (scikit-learn's): 1 / 2⁻⁵² · 1."""
    assert mean_absolute_percentage_error([100.0, 50.0, 4.0], [110.0, 40.0, 4.0]) == \
        pytest.approx(0.1)
    assert mean_absolute_percentage_error([1.0, 2.0, 4.0], [1.5, 1.0, 4.0],
                                          sample_weight=[1, 2, 1]) == 0.375
    with no_warnings():
        assert mean_absolute_percentage_error([0.0, 2.0], [1.0, 1.0]) == (2.0 ** 52 + 0.5) / 2
        assert mean_absolute_percentage_error([3.0, -2.0], [3.0, -2.0]) == 0.0
    assert mean_absolute_percentage_error([[1.0, 10.0]], [[2.0, 10.0]]) == 0.5   # (1 + 0) / 2
    assert mean_absolute_percentage_error.higher_is_better is False


def test_explained_variance():
    """1 - Var(errors) / Var(y). An offset of 1 everywhere: Var(errors) = 0, so 1.0 (R² of the
    same: 1 - 3/2). Weighted 1, 1, 2, y 1 2 3, p 1 2 2: errors 0 0 1 (weighted mean 1/2,
    variance 1/4); y's weighted mean 9/4, variance 11/16 → 1 - 4/11."""
    assert explained_variance_score([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == 1.0
    assert r2_score([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == pytest.approx(-0.5)
    assert explained_variance_score([1.0, 2.0, 3.0], [1.0, 2.0, 2.0],
                                    sample_weight=[1, 1, 2]) == pytest.approx(7 / 11)
    # errors averaging 0: the same as R²
    y, p = [3.0, -0.5, 2.0, 7.0], [3.5, -1.0, 2.0, 7.0]
    assert explained_variance_score(y, p) == pytest.approx(r2_score(y, p))
    # several outputs: the plain mean; a constant y_true: 1.0 for constant errors, else 0.0
    with no_warnings():
        assert explained_variance_score([2.0, 2.0], [3.0, 3.0]) == 1.0
        assert explained_variance_score([2.0, 2.0], [2.0, 1.0]) == 0.0
        assert explained_variance_score([5.0], [1.0]) == 1.0        # one sample (sklearn's)
        assert explained_variance_score([[1.0, 2.0], [3.0, 2.0]], [[2.0, 2.0], [4.0, 1.0]]) == 0.5
    assert explained_variance_score.higher_is_better is True


@settings(max_examples=40)
@given(st.integers(2, 30).flatmap(lambda n: st.tuples(
    st.lists(st.floats(-100, 100), min_size=n, max_size=n),
    st.lists(st.floats(-100, 100), min_size=n, max_size=n))))
def test_explained_variance_and_mape_match_their_formulas(data):
    y, p = np.array(data[0]), np.array(data[1])
    if np.var(y) > 1e-9:
        assert explained_variance_score(y, p) == pytest.approx(1 - np.var(y - p) / np.var(y),
                                                               abs=1e-9)
    if np.all(np.abs(y) > 1e-3):
        assert mean_absolute_percentage_error(y, p) == pytest.approx(np.mean(np.abs((y - p) / y)))


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_explained_variance_is_the_same_at_any_scale(scale):
    y, p = np.array([1.0, -1.0, 0.0, 0.5]), np.array([0.0, 0.0, 0.0, 0.5])
    with np.errstate(all="raise"):
        assert explained_variance_score(y * scale, p * scale) == \
            pytest.approx(explained_variance_score(y, p), rel=1e-14)


@pytest.mark.parametrize("metric", [mean_absolute_percentage_error, explained_variance_score])
def test_new_regression_metrics_refuse_bad_input(metric):
    name = metric.__name__
    with pytest.raises(ValueError, match=rf"{name}: y_true and y_pred have shapes \(3, 1\) and "
                                         rf"\(3, 2\)"):
        metric(np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=f"{name}: y_pred contains NaN"):
        metric([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ValueError, match=f"{name}: y_true is empty"):
        metric([], [])
    assert metric(Tensor([1.0, 2.0, 4.0]), [1.0, 2.0, 4.0]) == (0.0 if "error" in name else 1.0)
