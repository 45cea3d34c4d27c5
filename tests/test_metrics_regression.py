"""nn/metrics/regression.py: MSE, RMSE, MAE, R². Hand-computed cases, the formulas as
hypothesis properties, R² at any scale.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_helpers import no_warnings

from autograd import Tensor
from nn.metrics import (
    UndefinedMetricWarning, mean_absolute_error, mean_squared_error, r2_score,
    root_mean_squared_error,
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
