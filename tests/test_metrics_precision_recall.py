"""nn/metrics/precision_recall.py: precision, recall, F1 (per class and every average) and
classification_report. Hand-computed cases from the worked example of metrics_helpers (with
weights too), scikit-learn's zero_division rules, integer weights as repeated rows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from metrics_helpers import (F1, PRECISION, RECALL, W, Y_PRED, Y_TRUE, labels_and_weights,
                             no_warnings, repeated)

from nn.metrics import UndefinedMetricWarning, classification_report, f1_score, precision, recall


def test_per_class_scores_worked_example():
    np.testing.assert_allclose(precision(Y_TRUE, Y_PRED, average=None), PRECISION)
    np.testing.assert_allclose(recall(Y_TRUE, Y_PRED, average=None), RECALL)
    np.testing.assert_allclose(f1_score(Y_TRUE, Y_PRED, average=None), F1)
    # labels= picks and orders the classes
    np.testing.assert_allclose(recall(Y_TRUE, Y_PRED, average=None, labels=[2, 0]),
                               [3 / 4, 1 / 2])


def test_averages_worked_example():
    """macro: plain mean; weighted: by support (2, 3, 4); micro: pooled counts = accuracy."""
    with no_warnings():
        assert precision(Y_TRUE, Y_PRED, average="macro") == pytest.approx(2 / 3)
        assert recall(Y_TRUE, Y_PRED, average="macro") == pytest.approx(23 / 36)
        assert f1_score(Y_TRUE, Y_PRED, average="macro") == pytest.approx(202 / 315)
        assert precision(Y_TRUE, Y_PRED, average="weighted") == pytest.approx(20 / 27)
        assert recall(Y_TRUE, Y_PRED, average="weighted") == pytest.approx(6 / 9)
        assert f1_score(Y_TRUE, Y_PRED, average="weighted") == pytest.approx(218 / 315)
        for score in (precision, recall, f1_score):
            assert score(Y_TRUE, Y_PRED, average="micro") == pytest.approx(6 / 9)
    assert isinstance(precision(Y_TRUE, Y_PRED, average="macro"), float)


def test_binary_scores_and_pos_label():
    """TP=1, FP=2, FN=1 for class 1; for class 0 (pos_label=0): TP=0, FP=1, FN=2."""
    y_true, y_pred = [1, 1, 0, 0], [1, 0, 1, 1]
    assert precision(y_true, y_pred) == pytest.approx(1 / 3)
    assert recall(y_true, y_pred) == pytest.approx(1 / 2)
    assert f1_score(y_true, y_pred) == pytest.approx(2 / 5)
    assert precision(y_true, y_pred, pos_label=0) == 0.0
    assert recall(y_true, y_pred, pos_label=0) == 0.0
    animals = np.array(["cat", "dog"])
    assert recall(animals[y_true], animals[y_pred], pos_label="dog") == pytest.approx(1 / 2)
    # thresholded probabilities (booleans) against integer labels
    assert recall(y_true, np.array([0.9, 0.2, 0.7, 0.6]) > 0.5) == pytest.approx(1 / 2)


def test_classification_report_worked_example():
    """scikit-learn's layout; the numbers are the worked example's (23/36 = 0.639,
    202/315 = 0.641, 20/27 = 0.741, 218/315 = 0.692)."""
    expected = (
        "              precision    recall  f1-score   support\n"
        "\n"
        "           0       0.33      0.50      0.40         2\n"
        "           1       0.67      0.67      0.67         3\n"
        "           2       1.00      0.75      0.86         4\n"
        "\n"
        "    accuracy                           0.67         9\n"
        "   macro avg       0.67      0.64      0.64         9\n"
        "weighted avg       0.74      0.67      0.69         9\n")
    assert classification_report(Y_TRUE, Y_PRED) == expected


def test_classification_report_names_digits_and_label_subset():
    """With a label left out there is no accuracy line but a micro average over the labels kept:
    label 0: TP 1 of 1 predicted, 1 true; label 2: TP 1 of 2 predicted, 2 true → micro 2/3."""
    report = classification_report([0, 1, 2, 2], [0, 2, 2, 1], labels=[0, 2],
                                   target_names=["zero", "two"], digits=3)
    assert report == (
        "              precision    recall  f1-score   support\n"
        "\n"
        "        zero      1.000     1.000     1.000         1\n"
        "         two      0.500     0.500     0.500         2\n"
        "\n"
        "   micro avg      0.667     0.667     0.667         3\n"
        "   macro avg      0.750     0.750     0.750         3\n"
        "weighted avg      0.667     0.667     0.667         3\n")
    long_name = classification_report([0, 1], [0, 1], target_names=["a", "a much longer name"])
    assert long_name.splitlines()[2] == " " * 17 + "a       1.00      1.00      1.00         1"


# ----------------------------------------------------------------------------------------------
# Edge cases: warn and set 0.0 instead of dividing by zero (scikit-learn's rules)
# ----------------------------------------------------------------------------------------------

def test_no_positive_labels_recall_warns():
    with pytest.warns(UndefinedMetricWarning, match=r"recall.*no true samples"):
        assert recall([0, 0, 0], [0, 1, 0]) == 0.0
    with no_warnings():
        assert precision([0, 0, 0], [0, 1, 0]) == 0.0      # 0 of 1 predicted positive: defined


def test_f1_warns_only_for_a_label_that_is_nowhere():
    with pytest.warns(UndefinedMetricWarning, match="f1_score.*label 1.*neither"):
        assert f1_score([0, 0], [0, 0]) == 0.0
    with pytest.warns(UndefinedMetricWarning, match="labels 3, 4"):
        scores = f1_score([0, 1], [0, 1], average=None, labels=[0, 3, 4])
    np.testing.assert_array_equal(scores, [1.0, 0.0, 0.0])


def test_zero_division_choices_are_silent():
    """0.0 / 1.0 / NaN replace 0/0 without a warning; NaN scores are left out of averages."""
    y_true, y_pred = [0, 1, 2], [0, 0, 0]                  # labels 1, 2 never predicted
    with no_warnings():
        assert precision([0, 1], [0, 0], zero_division=0.0) == 0.0
        assert precision([0, 1], [0, 0], zero_division=1.0) == 1.0
        assert np.isnan(precision([0, 1], [0, 0], zero_division=np.nan))
        np.testing.assert_array_equal(
            precision(y_true, y_pred, average=None, zero_division=1.0), [1 / 3, 1.0, 1.0])
        assert precision(y_true, y_pred, average="macro", zero_division=np.nan) == \
            pytest.approx(1 / 3)
        assert precision(y_true, y_pred, average="macro", zero_division=1.0) == \
            pytest.approx((1 / 3 + 2) / 3)
    with pytest.raises(ValueError, match="zero_division"):
        precision([0, 1], [0, 1], zero_division=0.5)


def test_pos_label_ignored_outside_binary_warns():
    with pytest.warns(UserWarning, match="pos_label=2 is ignored"):
        precision(Y_TRUE, Y_PRED, average="macro", pos_label=2)




# ----------------------------------------------------------------------------------------------
# sample_weight
# ----------------------------------------------------------------------------------------------

def test_weighted_scores_worked_example():
    """Weighted counts (W): rows 3, 5, 4, columns 6, 4, 2, diagonal 1, 2, 2. Precision
    1/6, 2/4, 2/2; recall 1/3, 2/5, 2/4; F1 = 2TP / (row + column) = 2/9, 4/9, 4/6."""
    with no_warnings():
        np.testing.assert_allclose(precision(Y_TRUE, Y_PRED, average=None, sample_weight=W),
                                   [1 / 6, 1 / 2, 1])
        np.testing.assert_allclose(recall(Y_TRUE, Y_PRED, average=None, sample_weight=W),
                                   [1 / 3, 2 / 5, 1 / 2])
        np.testing.assert_allclose(f1_score(Y_TRUE, Y_PRED, average=None, sample_weight=W),
                                   [2 / 9, 4 / 9, 2 / 3])
        assert precision(Y_TRUE, Y_PRED, average="macro", sample_weight=W) == pytest.approx(5 / 9)
        # "weighted" weighs each class by its total weight 3, 5, 4 (not its count 2, 3, 4)
        assert precision(Y_TRUE, Y_PRED, average="weighted", sample_weight=W) == \
            pytest.approx((3 / 6 + 5 / 2 + 4) / 12)
        for score in (precision, recall, f1_score):          # micro: the weighted accuracy
            assert score(Y_TRUE, Y_PRED, average="micro", sample_weight=W) == \
                pytest.approx(5 / 12)
        # binary, class 1 of [1 1 0 0] / [1 0 1 1] weighted [3, 1, 1, 0]: TP 3, FP 1, FN 1
        assert precision([1, 1, 0, 0], [1, 0, 1, 1], sample_weight=[3, 1, 1, 0]) == 0.75
        assert recall([1, 1, 0, 0], [1, 0, 1, 1], sample_weight=[3, 1, 1, 0]) == 0.75
        assert f1_score([1, 1, 0, 0], [1, 0, 1, 1], sample_weight=[3, 1, 1, 0]) == 0.75


def test_weight_zero_counts_as_absent_for_zero_division():
    """Class 1 is predicted only by a sample of weight 0: no predicted weight, precision 0/0."""
    with pytest.warns(UndefinedMetricWarning, match="precision.*no predicted samples"):
        assert precision([0, 1], [0, 1], sample_weight=[1, 0]) == 0.0
    with no_warnings():
        assert precision([0, 1], [0, 1], sample_weight=[1, 0], zero_division=1.0) == 1.0


def test_classification_report_weighted():
    """The numbers of test_weighted_scores_worked_example; the support is each class's weight,
    a float (scikit-learn's report prints 3.0 for whole weights too). Macro recall 37/90,
    F1 (2/9 + 4/9 + 6/9) / 3 = 4/9; weighted recall 5/12, F1 (3·2/9 + 5·4/9 + 4·2/3) / 12."""
    expected = (
        "              precision    recall  f1-score   support\n"
        "\n"
        "           0       0.17      0.33      0.22       3.0\n"
        "           1       0.50      0.40      0.44       5.0\n"
        "           2       1.00      0.50      0.67       4.0\n"
        "\n"
        "    accuracy                           0.42      12.0\n"
        "   macro avg       0.56      0.41      0.44      12.0\n"
        "weighted avg       0.58      0.42      0.46      12.0\n")
    assert classification_report(Y_TRUE, Y_PRED, sample_weight=W) == expected
    halves = classification_report([0, 1], [0, 1], sample_weight=[0.5, 2.0])
    assert halves.splitlines()[2].endswith("      0.5")
    assert halves.splitlines()[-1].endswith("      2.5")


@settings(max_examples=50)
@given(labels_and_weights(3))
def test_integer_weights_are_repeated_rows(data):
    """labels= fixed, so that a class whose samples all weigh 0 is not left out of one call's
    averages only; zero_division=0.0 for the 0/0 classes either way."""
    y, p, w = (np.array(a) for a in data)
    y_rep, p_rep = repeated(w, y, p)
    for score in (precision, recall, f1_score):
        for average in (None, "micro", "macro", "weighted"):
            np.testing.assert_allclose(
                score(y, p, average=average, labels=[0, 1, 2], zero_division=0.0,
                      sample_weight=w),
                score(y_rep, p_rep, average=average, labels=[0, 1, 2], zero_division=0.0),
                atol=1e-12)
        yb, pb, yb_rep, pb_rep = y % 2, p % 2, y_rep % 2, p_rep % 2
        assert score(yb, pb, zero_division=0.0, sample_weight=w) == \
            pytest.approx(score(yb_rep, pb_rep, zero_division=0.0), abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        weighted = classification_report(y, p, labels=[0, 1, 2], sample_weight=w)
        plain = classification_report(y_rep, p_rep, labels=[0, 1, 2])
    # the same scores; the support column only differs in its writing (3.0 against 3)
    assert [line[:-10] for line in weighted.splitlines()] == \
        [line[:-10] for line in plain.splitlines()]
