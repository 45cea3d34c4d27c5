"""nn/metrics/ranking.py: ROC curve and AUC, precision-recall curve and average precision.
Hand-computed cases, the definitions as hypothesis properties (AUC = fraction of correctly
ordered positive/negative pairs, AP = mean precision at the positives), integer weights as
repeated rows, clear errors for bad input.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_helpers import no_warnings, repeated, weights

from nn.metrics import (
    UndefinedMetricWarning, average_precision_score, precision_recall_curve, roc_auc_score,
    roc_curve,
)


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
    # a two-class softmax model: class 1's probability, which ranks as z1 - z0 does (it was
    # refused, "compute it after training")
    softmax_model = SoftmaxRegression(2, 2)
    softmax_model.linear.weight.data[...] = [[0.0, 0.0], [1.0, 0.3]]
    scores = evaluate(softmax_model, cross_entropy, (X, y), metrics=[roc_auc_score])
    assert scores["roc_auc_score"] == pytest.approx(expected, rel=1e-12)


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
    assert average_precision_score.higher_is_better and average_precision_score.on == "scores"




# ----------------------------------------------------------------------------------------------
# sample_weight
# ----------------------------------------------------------------------------------------------

Y4, S4 = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]


def _weighted_pairwise_auc(y: np.ndarray, s: np.ndarray, w: np.ndarray) -> float:
    """AUC by its definition with weights: each (positive, negative) pair counts the product of
    their weights; the fraction of that weight ordered correctly, ties one half."""
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    pair = w[y == 1][:, None] * w[y == 0][None, :]
    return float(np.sum(pair * ((pos > neg) + 0.5 * (pos == neg))) / np.sum(pair))


def test_roc_weighted_worked_example():
    """Weights 1, 0, 2, 1: the negative at 0.4 weighs 0 and leaves with its threshold. Scores
    down: 0.8 (+1), 0.35 (+2), 0.1 (-1): TP 1, 3, 3 of 3; FP 0, 0, 1 of 1.
    Weights 1, 2, 2, 1 for the AUC: pairs (0.35, 0.1) 2·1 right, (0.35, 0.4) 2·2 wrong,
    (0.8, 0.1) 1·1 right, (0.8, 0.4) 1·2 right: 5 of 9."""
    fpr, tpr, thresholds = roc_curve(Y4, S4, sample_weight=[1, 0, 2, 1])
    np.testing.assert_array_equal(fpr, [0, 0, 0, 1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 1, 1])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.8, 0.35, 0.1])
    assert roc_auc_score(Y4, S4, sample_weight=[1, 2, 2, 1]) == pytest.approx(5 / 9)
    assert roc_auc_score(Y4, S4, sample_weight=[1, 0, 1, 1]) == 1.0
    assert roc_auc_score(Y4, S4, sample_weight=[0.5] * 4) == roc_auc_score(Y4, S4)


def test_precision_recall_weighted_worked_example():
    """Weights 1, 2, 2, 1 (positives .35 ×2, .8 ×1; negatives .1 ×1, .4 ×2). Predicting
    positive from t = .1: TP 3, FP 3 (P 1/2, R 1); t = .35: TP 3, FP 2 (P 3/5, R 1); t = .4:
    TP 1, FP 2 (P 1/3, R 1/3); t = .8: TP 1, FP 0 (P 1, R 1/3). AP = 1/3 · 1 + 2/3 · 3/5."""
    p, r, thresholds = precision_recall_curve(Y4, S4, sample_weight=[1, 2, 2, 1])
    np.testing.assert_allclose(p, [1 / 2, 3 / 5, 1 / 3, 1, 1])
    np.testing.assert_allclose(r, [1, 1, 1 / 3, 1 / 3, 0])
    np.testing.assert_array_equal(thresholds, [0.1, 0.35, 0.4, 0.8])
    assert average_precision_score(Y4, S4, sample_weight=[1, 2, 2, 1]) == pytest.approx(11 / 15)


def test_multiclass_weighted():
    """One vs rest with weights: each class's weighted AUC (the pair definition), averaged
    plainly or by each class's total weight."""
    y = np.array([0, 0, 1, 1, 2, 2])
    probs = np.array([[0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [0.2, 0.5, 0.3],
                      [0.5, 0.2, 0.3], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6]])
    w = np.array([1.0, 3.0, 1.0, 2.0, 0.5, 1.0])
    per_class = [_weighted_pairwise_auc((y == c).astype(int), probs[:, c], w) for c in range(3)]
    assert roc_auc_score(y, probs, sample_weight=w) == pytest.approx(np.mean(per_class))
    assert roc_auc_score(y, probs, average="weighted", sample_weight=w) == \
        pytest.approx(np.average(per_class, weights=[4.0, 3.0, 1.5]))
    # average precision of each column, weighted: as its repeated rows (whole weights)
    w_int = np.array([1, 3, 1, 2, 1, 2])
    y_rep, probs_rep = repeated(w_int, y, probs)
    assert average_precision_score(y, probs, sample_weight=w_int, average="weighted") == \
        pytest.approx(average_precision_score(y_rep, probs_rep, average="weighted"))


def test_weights_that_leave_out_a_class():
    """Every sample of a class weighing 0 is that class missing: AUC refuses (as for one
    class); the curves warn as when no positive sample is there."""
    with pytest.raises(ValueError, match=r"roc_auc_score: every sample of class 1 has weight 0"):
        roc_auc_score(Y4, S4, sample_weight=[1, 2, 0, 0])
    with pytest.raises(ValueError, match="every sample of class 2 has weight 0"):
        roc_auc_score([0, 1, 2], np.eye(3) * 0.4 + 0.2, sample_weight=[1, 1, 0])
    with pytest.warns(UndefinedMetricWarning, match="no positive samples"):
        assert np.isnan(roc_curve(Y4, S4, sample_weight=[1, 2, 0, 0])[1]).all()
    with pytest.warns(UndefinedMetricWarning, match="no positive samples"):
        assert average_precision_score(Y4, S4, sample_weight=[1, 2, 0, 0]) == 0.0


def _binary_with_weights(n):
    labels = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    return st.tuples(labels, st.lists(st.integers(-3, 3), min_size=n, max_size=n), weights(n))


@settings(max_examples=60)
@given(st.integers(2, 30).flatmap(_binary_with_weights))
def test_integer_weights_are_repeated_rows(data):
    """The curves themselves (every point and threshold) and their areas; the pair definition
    of AUC with weights too."""
    y, s, w = np.array(data[0]), np.array(data[1], dtype=float) / 2, np.array(data[2])
    y_rep, s_rep = repeated(w, y, s)
    if not 0 < y_rep.sum() < len(y_rep):          # both classes must keep some weight
        return
    with no_warnings():
        for curve in (roc_curve, precision_recall_curve):
            for weighted, plain in zip(curve(y, s, sample_weight=w), curve(y_rep, s_rep)):
                np.testing.assert_allclose(weighted, plain, rtol=1e-12)
        auc = roc_auc_score(y, s, sample_weight=w)
        assert auc == pytest.approx(roc_auc_score(y_rep, s_rep), abs=1e-12)
        assert auc == pytest.approx(_weighted_pairwise_auc(y, s, w), abs=1e-12)
        assert average_precision_score(y, s, sample_weight=w) == \
            pytest.approx(average_precision_score(y_rep, s_rep), abs=1e-12)
