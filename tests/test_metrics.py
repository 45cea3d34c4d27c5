"""nn.metrics: hand-computed cases written out below, scikit-learn's edge-case rules (warn, do not
divide by zero), the definitions as hypothesis properties (AUC = fraction of correctly ordered
positive/negative pairs, R² = 1 - SS_res / SS_tot), and clear errors for bad input.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, Value
from nn.metrics import (
    UndefinedMetricWarning, accuracy, average_precision_score, classification_report,
    confusion_matrix, f1_score, mean_absolute_error, mean_squared_error, precision,
    precision_recall_curve, r2_score, recall, roc_auc_score, roc_curve, root_mean_squared_error,
)


@contextlib.contextmanager
def no_warnings():
    """Any warning inside the block fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ----------------------------------------------------------------------------------------------
# The worked 3-class example
#
#   y_true  0 0 1 1 1 2 2 2 2          confusion matrix      precision  recall   F1 = 2TP/(T+P)
#   y_pred  0 1 1 1 0 2 2 0 2          (rows: true class)    TP / col   TP / row
#                                      [[1, 1, 0],  row 2    1/3        1/2      2/5
#                                       [1, 2, 0],  row 3    2/3        2/3      2/3
#                                       [1, 0, 3]]  row 4    3/3        3/4      6/7
#                                     columns: 3, 3, 3
# ----------------------------------------------------------------------------------------------

Y_TRUE = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 0, 2, 2, 0, 2])
PRECISION = [1 / 3, 2 / 3, 1.0]
RECALL = [1 / 2, 2 / 3, 3 / 4]
F1 = [2 / 5, 2 / 3, 6 / 7]
SUPPORT = [2, 3, 4]


def test_accuracy_worked_example():
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(6 / 9)
    assert accuracy([1, 2, 3], [1, 2, 3]) == 1.0
    assert accuracy([1, 2, 3], [3, 1, 2]) == 0.0


def test_confusion_matrix_worked_example():
    """Rows are true classes, columns predicted ones."""
    expected = np.array([[1, 1, 0],
                         [1, 2, 0],
                         [1, 0, 3]])
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, Y_PRED), expected)


def test_confusion_matrix_normalizes_as_scikit_learn_does():
    """normalize="true" / "pred" / "all" (scikit-learn's keyword, which a learner's plotting
    code passes) was a TypeError; a class without samples gives a row of zeros, not NaN."""
    counts = np.array([[1, 1, 0], [1, 2, 0], [1, 0, 3]])
    np.testing.assert_allclose(confusion_matrix(Y_TRUE, Y_PRED, normalize="true"),
                               counts / counts.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(confusion_matrix(Y_TRUE, Y_PRED, normalize="pred"),
                               counts / counts.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(confusion_matrix(Y_TRUE, Y_PRED, normalize="all"), counts / 9)
    np.testing.assert_array_equal(confusion_matrix([0, 0], [0, 0], labels=[0, 1],
                                                   normalize="true"), [[1, 0], [0, 0]])
    with pytest.raises(ValueError, match=r"normalize must be None, 'true', 'pred' or 'all', "
                                         r"got 'rows'"):
        confusion_matrix(Y_TRUE, Y_PRED, normalize="rows")


def test_confusion_matrix_labels_order_subset_and_strings():
    """labels= fixes the row/column order; samples with other labels are left out."""
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, Y_PRED, labels=[2, 0, 1]),
                                  [[3, 1, 0], [0, 1, 1], [0, 1, 2]])
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, Y_PRED, labels=[0, 2]),
                                  [[1, 0], [1, 3]])
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, Y_PRED, labels=[0, 1, 2, 7]),
                                  np.pad([[1, 1, 0], [1, 2, 0], [1, 0, 3]], ((0, 1), (0, 1))))
    names = np.array(["cat", "dog", "pig"])
    np.testing.assert_array_equal(confusion_matrix(names[Y_TRUE], names[Y_PRED]),
                                  [[1, 1, 0], [1, 2, 0], [1, 0, 3]])


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

def test_imbalanced_all_healthy_example():
    """The lectures' example: 98 healthy, 2 sick, a model that says "healthy" to everyone.
    Accuracy looks great, recall shows the model is useless, precision is 0/0."""
    y_true = np.array([0] * 98 + [1] * 2)
    y_pred = np.zeros(100, dtype=int)
    with no_warnings():
        assert accuracy(y_true, y_pred) == 0.98
        assert recall(y_true, y_pred) == 0.0               # 0 of the 2 sick found: defined
        assert f1_score(y_true, y_pred) == 0.0             # 2TP / (2TP + FP + FN) = 0 / 2
    with pytest.warns(UndefinedMetricWarning, match=r"precision.*label 1.*no predicted"):
        assert precision(y_true, y_pred) == 0.0
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), [[98, 0], [2, 0]])


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


def test_warning_points_at_the_callers_line():
    for call in (lambda: precision([0, 1], [0, 0]), lambda: classification_report([0, 1], [0, 0]),
                 lambda: r2_score([1.0], [2.0]), lambda: roc_curve([0, 0], [0.1, 0.2])):
        with pytest.warns(UndefinedMetricWarning) as record:
            call()
        assert record[0].filename == __file__
    with pytest.warns(UndefinedMetricWarning) as record:
        classification_report([0, 1], [0, 0])
    assert len(record) == 1                                # once per report, not once per line


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
# ROC curve and AUC
# ----------------------------------------------------------------------------------------------

def test_roc_curve_worked_example():
    """Scores sorted: 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-). Lowering the threshold through them
    walks (0, 0) → (0, ½) → (½, ½) → (½, 1) → (1, 1); the first threshold is +inf."""
    fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_array_equal(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.8, 0.4, 0.35, 0.1])


def test_roc_curve_drops_points_on_straight_segments():
    """Scores 0.9 0.8 0.7 (+) then 0.6 0.5 (-): the points at 0.8 (on the vertical segment) and
    0.6 (on the horizontal one) are dropped; the curve is unchanged."""
    fpr, tpr, thresholds = roc_curve([1, 1, 1, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.5])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.9, 0.7, 0.5])
    np.testing.assert_array_equal(fpr, [0, 0, 0, 1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 1, 1])


def test_roc_curve_ties_move_together_and_pos_label():
    """Two samples share 0.5 (one +, one -): lowering past 0.5 adds both at once."""
    fpr, tpr, thresholds = roc_curve(["a", "b", "b", "a"], [0.5, 0.5, 0.9, 0.1], pos_label="b")
    np.testing.assert_array_equal(thresholds, [np.inf, 0.9, 0.5, 0.1])
    np.testing.assert_array_equal(fpr, [0, 0, 0.5, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 1, 1])
    assert roc_auc_score(["a", "b", "b", "a"], [0.5, 0.5, 0.9, 0.1]) == pytest.approx(7 / 8)


def test_roc_curve_of_labels_other_than_0_1_needs_pos_label():
    # labels 1/2: roc_auc_score scores the larger label, 2, as positive (AUC 1.0 here); the curve
    # used to take pos_label=1 silently, the other class, whose area is 1 - AUC = 0.0
    y, s = [1, 2, 2, 1], [0.1, 0.8, 0.4, 0.3]
    with pytest.raises(ValueError, match=r"roc_curve: y_true holds the labels \[1, 2\]; say which "
                                         r"is the positive class with pos_label="):
        roc_curve(y, s)
    # class 2 positive: the scores in descending order are pos, pos, neg, neg
    fpr, tpr, thresholds = roc_curve(y, s, pos_label=2)
    np.testing.assert_array_equal(fpr, [0, 0, 0, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 1, 1])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.8, 0.4, 0.1])
    area = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)         # the trapezoids
    assert area == roc_auc_score(y, s) == 1.0
    # 0/1, -1/1 and booleans keep 1 (True) as the positive class
    for labels in ([0, 1, 1, 0], [-1, 1, 1, -1], [False, True, True, False]):
        np.testing.assert_array_equal(roc_curve(labels, s)[1], [0, 0.5, 1, 1])


def test_roc_curve_without_positives_warns_nan():
    with pytest.warns(UndefinedMetricWarning, match="no positive samples"):
        fpr, tpr, _ = roc_curve([0, 0, 0], [0.2, 0.5, 0.1])
    assert np.all(np.isnan(tpr)) and fpr[-1] == 1.0


def _pairwise_auc(y: np.ndarray, s: np.ndarray) -> float:
    """AUC by its definition: over all (positive, negative) pairs, the fraction where the
    positive scores higher, ties counting one half."""
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def test_roc_auc_worked_examples():
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75   # 3 of 4 pairs
    assert roc_auc_score([0, 1], [0.2, 0.9]) == 1.0
    assert roc_auc_score([0, 1], [0.9, 0.2]) == 0.0
    assert roc_auc_score([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5     # all ties
    assert roc_auc_score([-1, 1, -1, 1], [0.1, 0.4, 0.35, 0.8]) == 1.0  # larger label positive
    with no_warnings():
        assert roc_auc_score(np.array([0, 1] * 3), np.array([1000.0, -1000.0] * 3)) == 0.0


binary_labels_and_scores = st.integers(2, 40).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < n),
    st.lists(st.integers(-3, 3), min_size=n, max_size=n)))     # few values: plenty of ties


@settings(max_examples=60)
@given(binary_labels_and_scores)
def test_roc_auc_is_the_fraction_of_correctly_ordered_pairs(data):
    y, s = np.array(data[0]), np.array(data[1], dtype=float) / 2
    assert roc_auc_score(y, s) == pytest.approx(_pairwise_auc(y, s), abs=1e-12)
    # a strictly increasing transform of the scores keeps the order, so the AUC
    assert roc_auc_score(y, np.exp(s) * 3 - 1) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


@settings(max_examples=40)
@given(binary_labels_and_scores)
def test_roc_curve_points_are_the_rates_at_their_thresholds(data):
    """Each point is (FPR, TPR) of predicting positive when score >= threshold; the curve runs
    from (0, 0) to (1, 1), never going back, and the thresholds strictly decrease."""
    y, s = np.array(data[0]), np.array(data[1], dtype=float)
    fpr, tpr, thresholds = roc_curve(y, s)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1) and thresholds[0] == np.inf
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.all(np.diff(thresholds) < 0)
    for f, t, threshold in zip(fpr, tpr, thresholds):
        assert f == np.mean(s[y == 0] >= threshold) and t == np.mean(s[y == 1] >= threshold)


def test_roc_auc_multiclass_one_vs_rest_worked_example():
    """Per class, pairs (class member, other) ordered correctly by that class's column:
    class 0: 7 of 8; class 1: 4.5 of 8 (one tie at 0.2); class 2: 8 of 8 → macro 13/16."""
    y = np.array([0, 0, 1, 1, 2, 2])
    probs = np.array([[0.6, 0.3, 0.1],
                      [0.3, 0.4, 0.3],
                      [0.2, 0.5, 0.3],
                      [0.5, 0.2, 0.3],
                      [0.1, 0.3, 0.6],
                      [0.2, 0.2, 0.6]])
    assert roc_auc_score(y, probs) == pytest.approx(13 / 16)
    per_class = [_pairwise_auc((y == c).astype(int), probs[:, c]) for c in range(3)]
    assert per_class == pytest.approx([7 / 8, 9 / 16, 1.0])
    # weighted by class size: make class 2 four times as large
    y_big, probs_big = np.r_[y, 2, 2, 2, 2, 2, 2], np.r_[probs, [[0.2, 0.2, 0.6]] * 6]
    per_class = [_pairwise_auc((y_big == c).astype(int), probs_big[:, c]) for c in range(3)]
    assert roc_auc_score(y_big, probs_big, average="weighted") == \
        pytest.approx(np.average(per_class, weights=[2, 2, 8]))


def test_roc_auc_as_a_metric_of_fit_and_evaluate_ranks_the_scores_not_the_labels():
    # given to evaluate, it was handed the predicted 0/1 labels: a two-step curve's area
    from nn import LogisticRegression, SoftmaxRegression, binary_cross_entropy_with_logits
    from nn import cross_entropy, evaluate
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2)).astype(np.float32)
    y = (X[:, 0] + rng.normal(size=80) > 0).astype(np.int64)
    model = LogisticRegression(2)
    model.weight.data[...] = [[1.0, 0.3]]
    scores = evaluate(model, binary_cross_entropy_with_logits, (X, y), metrics=[roc_auc_score])
    expected = _pairwise_auc(y, X @ np.array([1.0, 0.3]))
    assert scores["roc_auc_score"] == pytest.approx(expected, rel=1e-12)
    assert expected > roc_auc_score(y, model.predict(X)) + 0.05
    with pytest.raises(ValueError, match=r"metric 'roc_auc_score' takes the model's outputs, one "
                                         r"score per sample, but they have shape \(80, 2\) .*"
                                         r"roc_auc_score\(y, probabilities\)"):
        evaluate(SoftmaxRegression(2, 2), cross_entropy, (X, y), metrics=[roc_auc_score])


def test_roc_auc_errors():
    with pytest.raises(ValueError, match=r"only one class \(1\) is present"):   # not np.int64(1)
        roc_auc_score([1, 1, 1], [0.2, 0.4, 0.9])
    with pytest.raises(ValueError, match=r"probs\[:, 1\]"):
        roc_auc_score([0, 1, 1], np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="sum to 1"):
        roc_auc_score([0, 1, 2], np.ones((3, 3)))
    with pytest.raises(ValueError, match="3 columns but y_true has 2 classes"):
        roc_auc_score([0, 1, 1], np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        roc_auc_score([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="'macro' or 'weighted'"):
        roc_auc_score([0, 1, 2], np.eye(3), average="micro")
    with pytest.raises(ValueError, match="roc_auc_score: average must be 'macro' or 'weighted', "
                                         "got 'mean'"):
        roc_auc_score([0, 1], [0.2, 0.9], average="mean")      # binary: was silently ignored
    with pytest.raises(ValueError, match="NaN"):
        roc_auc_score([0, 1], [0.5, np.nan])
    with pytest.raises(ValueError, match="different numbers of samples"):
        roc_curve([0, 1], [0.5, 0.2, 0.1])
    with pytest.raises(ValueError, match="y_true == c"):
        roc_curve([0, 1, 2], [0.5, 0.2, 0.1])
    with pytest.raises(ValueError, match="pos_label=1 is not one of"):
        roc_curve(["a", "b"], [0.5, 0.2], pos_label=1)
    with pytest.raises(ValueError, match=r"labels \['a', 'b'\]; say which is the positive"):
        roc_curve(["a", "b"], [0.5, 0.2])


# ----------------------------------------------------------------------------------------------
# Precision-recall curve and average precision
# ----------------------------------------------------------------------------------------------

def test_precision_recall_curve_worked_example():
    """y 0 0 1 1, scores .1 .4 .35 .8. Predicting positive when score >= t:
    t = .1: all 4, 2 right (P 1/2, R 1); t = .35: 3, 2 right (P 2/3, R 1);
    t = .4: .4 and .8, one right (P 1/2, R 1/2); t = .8: one, right (P 1, R 1/2);
    then the end point (P 1, R 0). AP = Σ (R_i - R_i+1) P_i = 1/2 · 2/3 + 1/2 · 1 = 5/6."""
    y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    p, r, thresholds = precision_recall_curve(y, s)
    np.testing.assert_allclose(p, [1 / 2, 2 / 3, 1 / 2, 1, 1])
    np.testing.assert_array_equal(r, [1, 1, 0.5, 0.5, 0])
    np.testing.assert_array_equal(thresholds, [0.1, 0.35, 0.4, 0.8])
    assert average_precision_score(y, s) == pytest.approx(5 / 6)
    # ties move together: .5 .5 .5 .8 has two thresholds, (P 1/2, R 1) and (P 1, R 1/2)
    p, r, thresholds = precision_recall_curve(y, [0.5, 0.5, 0.5, 0.8])
    np.testing.assert_array_equal(p, [0.5, 1, 1])
    np.testing.assert_array_equal(r, [1, 0.5, 0])
    assert average_precision_score(y, [0.5, 0.5, 0.5, 0.8]) == 0.75    # 1/2 · 1 + 1/2 · 1/2
    assert average_precision_score([-1, -1, 1, 1], s) == pytest.approx(5 / 6)
    assert average_precision_score(["a", "a", "b", "b"], s, pos_label="b") == pytest.approx(5 / 6)


def _average_precision_by_ranks(y: np.ndarray, s: np.ndarray) -> float:
    """AP by its definition: the mean over the positives of the precision of predicting
    positive when score >= that positive's score (ties counted together)."""
    return float(np.mean([np.sum(y[s >= t]) / np.sum(s >= t) for t in s[y == 1]]))


@settings(max_examples=60)
@given(binary_labels_and_scores)
def test_average_precision_is_the_mean_precision_at_the_positives(data):
    y, s = np.array(data[0]), np.array(data[1], dtype=float)
    assert average_precision_score(y, s) == pytest.approx(_average_precision_by_ranks(y, s),
                                                          abs=1e-12)
    p, r, thresholds = precision_recall_curve(y, s)
    assert np.all(np.diff(thresholds) > 0) and (p[-1], r[-1]) == (1, 0)
    for precision_at, recall_at, t in zip(p, r, thresholds):
        assert precision_at == np.mean(y[s >= t]) and recall_at == np.mean(s[y == 1] >= t)


def test_average_precision_multiclass_and_edge_cases():
    """One vs rest per column, as for AUC; any scores (logits too), no rows-sum-to-1 rule."""
    y = np.array([0, 0, 1, 1, 2, 2])
    logits = np.array([[2.0, 0.0, 1.0], [0.0, 1.0, 0.5], [0.0, 2.0, 0.0],
                       [1.0, 0.0, 0.0], [0.0, 0.0, 3.0], [0.5, 0.0, 2.0]])
    per_class = [_average_precision_by_ranks((y == c).astype(int), logits[:, c])
                 for c in range(3)]
    assert average_precision_score(y, logits) == pytest.approx(np.mean(per_class))
    y_big, logits_big = np.r_[y, 2, 2], np.r_[logits, [[0.5, 0.0, 2.0]] * 2]
    per_class_big = [_average_precision_by_ranks((y_big == c).astype(int), logits_big[:, c])
                     for c in range(3)]
    assert average_precision_score(y_big, logits_big, average="weighted") == \
        pytest.approx(np.average(per_class_big, weights=[2, 2, 4]))
    # no positives: recall 1 everywhere and AP 0.0 (scikit-learn's numbers), with a warning
    with pytest.warns(UndefinedMetricWarning, match="no positive samples"):
        assert average_precision_score([0, 0, 0], [0.2, 0.5, 0.1]) == 0.0
    with pytest.raises(ValueError, match=r"labels \[1, 2\]; say which is the positive class"):
        average_precision_score([1, 2, 2], [0.1, 0.4, 0.35])
    with pytest.raises(ValueError, match=r"probs\[:, 1\]"):
        average_precision_score([0, 1, 1], np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="'macro' or 'weighted', got 'micro'"):
        average_precision_score([0, 1], [0.2, 0.9], average="micro")
    with pytest.raises(ValueError, match="NaN"):
        precision_recall_curve([0, 1], [0.5, np.nan])
    assert average_precision_score.higher_is_better and average_precision_score.on == "outputs"


# ----------------------------------------------------------------------------------------------
# Regression
# ----------------------------------------------------------------------------------------------

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
# Inputs: lists, Tensors, Values; bad input is refused where it is given
# ----------------------------------------------------------------------------------------------

def test_accepts_tensors_and_lists_of_values():
    """A Tensor of (float) labels and the scalar MLP's list of Values both work."""
    assert accuracy(Tensor([0.0, 1.0, 1.0]), [Value(0.0), Value(1.0), Value(0.0)]) == \
        pytest.approx(2 / 3)
    assert mean_absolute_error([Value(1.0), Value(2.0)], Tensor([1.5, 2.5])) == 0.5
    assert roc_auc_score(Tensor([0, 1]), [Value(-0.3), Value(0.7)]) == 1.0
    np.testing.assert_array_equal(confusion_matrix(Tensor([[0], [1]]), [0, 0]), [[1, 0], [1, 0]])
    # a model's output, still in its graph (numpy itself refuses such a tensor)
    w = Tensor([1.0, -1.0], requires_grad=True)
    assert mean_squared_error([1.0, -1.0], w * 2) == 1.0 and r2_score([1.0, -1.0], w) == 1.0
    assert roc_auc_score([0, 1], w * -1) == 1.0
    # text labels in an object array (what pandas gives) meet plain text labels
    animals = np.array(["cat", "dog", "dog"], dtype=object)
    assert recall(animals, np.array(["cat", "dog", "cat"]), pos_label="dog") == 0.5
    assert roc_auc_score(animals, [0.2, 0.9, 0.4]) == 1.0


@settings(max_examples=40)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 3), min_size=n, max_size=n),
    st.lists(st.integers(0, 3), min_size=n, max_size=n))))
def test_confusion_matrix_counts_every_sample_once(data):
    y, p = np.array(data[0]), np.array(data[1])
    cm = confusion_matrix(y, p)
    assert cm.sum() == len(y)
    assert np.trace(cm) / len(y) == pytest.approx(accuracy(y, p))
    labels = np.unique(np.r_[y, p])
    np.testing.assert_array_equal(cm.sum(axis=1), [np.sum(y == c) for c in labels])
    # F1 is the harmonic mean of precision and recall wherever both are defined
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        prec = precision(y, p, average=None)
        rec = recall(y, p, average=None)
        f1 = f1_score(y, p, average=None)
    both = (cm.sum(axis=0) > 0) & (cm.sum(axis=1) > 0) & (prec + rec > 0)
    np.testing.assert_allclose(f1[both], (2 * prec * rec / np.where(both, prec + rec, 1))[both])


@pytest.mark.parametrize("call, error, message", [
    (lambda: accuracy([0, 1, 1], [0, 1]), ValueError,
     r"accuracy: y_true and y_pred have different numbers of samples \(shapes \(3,\) and \(2,\)"),
    (lambda: accuracy([], []), ValueError, "accuracy: y_true is empty"),
    (lambda: accuracy([0, 1], np.full((2, 3), 1 / 3)), ValueError,
     r"accuracy: y_pred has shape \(2, 3\).*argmax\(1\)"),
    (lambda: accuracy([0, 1], [0.2, 0.9]), ValueError, r"non-integer values such as 0.2.*> 0.5"),
    (lambda: accuracy([0, np.nan], [0, 1]), ValueError, "NaN"),
    (lambda: accuracy(["a", "b"], [0, 1]), TypeError, "different types"),
    (lambda: precision([0, 1, 2], [0, 1, 1]), ValueError, "multiclass.*average='binary'"),
    (lambda: precision([0, 2], [0, 2]), ValueError, r"pos_label=1 is not one of .* \[0, 2\]"),
    (lambda: recall([0, 1], [0, 1], average="samples"), ValueError, "average must be one of"),
    (lambda: confusion_matrix([0, 1], [0, 1], labels=[5]), ValueError, "none of labels"),
    (lambda: confusion_matrix([0, 1], [0, 1], labels=[0, 0]), ValueError, "repeated"),
    (lambda: classification_report([0, 1], [0, 1], target_names=["a"]), ValueError,
     "1 target_names for 2 labels"),
    (lambda: mean_squared_error(np.zeros(3), np.zeros((3, 2))), ValueError,
     r"mean_squared_error: y_true and y_pred have shapes \(3, 1\) and \(3, 2\)"),
    (lambda: mean_absolute_error([], []), ValueError, "mean_absolute_error: y_true is empty"),
    (lambda: r2_score([1.0, np.inf], [1.0, 2.0]), ValueError, "r2_score: y_true contains NaN"),
    (lambda: r2_score(np.zeros((2, 2, 2)), np.zeros((2, 2, 2))), ValueError, r"\(n, outputs\)"),
    (lambda: mean_squared_error(["a"], ["b"]), TypeError, "must be numbers"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
