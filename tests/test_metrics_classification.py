"""nn/metrics/classification.py: accuracy (accuracy_score), zero_one_loss, confusion_matrix,
balanced_accuracy_score, matthews_corrcoef. Hand-computed cases (the worked example of
metrics_helpers, weighted too), scikit-learn's 0/0 results, integer weights as repeated rows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_helpers import W, W_COUNTS, Y_PRED, Y_TRUE, labels_and_weights, no_warnings, repeated

from nn.metrics import (
    UndefinedMetricWarning, accuracy, accuracy_score, balanced_accuracy_score, confusion_matrix,
    f1_score, matthews_corrcoef, precision, recall, zero_one_loss,
)


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




# ----------------------------------------------------------------------------------------------
# sample_weight
# ----------------------------------------------------------------------------------------------

def test_accuracy_and_zero_one_loss_weighted_worked_example():
    """Right predictions weigh 5 of 12 (see W in metrics_helpers)."""
    assert accuracy_score is accuracy                      # scikit-learn's name, same function
    assert accuracy(Y_TRUE, Y_PRED, sample_weight=W) == pytest.approx(5 / 12)
    assert accuracy(Y_TRUE, Y_PRED, normalize=False) == 6.0
    assert accuracy(Y_TRUE, Y_PRED, normalize=False, sample_weight=W) == 5.0
    assert zero_one_loss(Y_TRUE, Y_PRED) == pytest.approx(3 / 9)
    assert zero_one_loss(Y_TRUE, Y_PRED, sample_weight=W) == pytest.approx(7 / 12)
    assert zero_one_loss(Y_TRUE, Y_PRED, normalize=False) == 3.0
    assert zero_one_loss(Y_TRUE, Y_PRED, normalize=False, sample_weight=W * 0.5) == 3.5
    assert zero_one_loss([0, 1], [0, 1]) == 0.0 and zero_one_loss.higher_is_better is False


def test_confusion_matrix_weighted():
    """Each sample adds its weight to its cell: integer weights give integer counts, others
    floats (scikit-learn's dtypes); normalize divides by the weighted totals, also when they
    are below 1 (a total of 0.75 is not read as "no samples")."""
    counts = confusion_matrix(Y_TRUE, Y_PRED, sample_weight=W)
    np.testing.assert_array_equal(counts, W_COUNTS)
    assert counts.dtype == np.int64
    halves = confusion_matrix(Y_TRUE, Y_PRED, sample_weight=np.full(9, 0.5))
    assert halves.dtype == np.float64
    np.testing.assert_array_equal(halves, [[0.5, 0.5, 0], [0.5, 1, 0], [0.5, 0, 1.5]])
    np.testing.assert_allclose(confusion_matrix(Y_TRUE, Y_PRED, sample_weight=W, normalize="true"),
                               [[1 / 3, 2 / 3, 0], [3 / 5, 2 / 5, 0], [1 / 2, 0, 1 / 2]])
    unweighted = confusion_matrix(Y_TRUE, Y_PRED, normalize="pred")
    np.testing.assert_allclose(
        confusion_matrix(Y_TRUE, Y_PRED, sample_weight=np.full(9, 0.25), normalize="pred"),
        unweighted)
    np.testing.assert_array_equal(            # booleans are weights 0 and 1
        confusion_matrix([0, 1, 1], [0, 0, 1], sample_weight=np.array([True, False, True])),
        [[1, 0], [0, 1]])


@settings(max_examples=50)
@given(labels_and_weights(3))
def test_integer_weights_are_repeated_rows(data):
    y, p, w = (np.array(a) for a in data)
    y_rep, p_rep = repeated(w, y, p)
    assert accuracy(y, p, sample_weight=w) == pytest.approx(accuracy(y_rep, p_rep), abs=1e-12)
    assert accuracy(y, p, normalize=False, sample_weight=w) == accuracy(y_rep, p_rep,
                                                                        normalize=False)
    assert zero_one_loss(y, p, sample_weight=w) == pytest.approx(zero_one_loss(y_rep, p_rep),
                                                                 abs=1e-12)
    assert zero_one_loss(y, p, normalize=False, sample_weight=w) == \
        zero_one_loss(y_rep, p_rep, normalize=False)
    np.testing.assert_array_equal(confusion_matrix(y, p, labels=[0, 1, 2], sample_weight=w),
                                  confusion_matrix(y_rep, p_rep, labels=[0, 1, 2]))
    with warnings.catch_warnings():       # a class of weight 0 warns only in the weighted call
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        if len(np.unique(y_rep)) > 1:
            assert balanced_accuracy_score(y, p, sample_weight=w, adjusted=True) == \
                pytest.approx(balanced_accuracy_score(y_rep, p_rep, adjusted=True), abs=1e-12)
        assert balanced_accuracy_score(y, p, sample_weight=w) == \
            pytest.approx(balanced_accuracy_score(y_rep, p_rep), abs=1e-12)
        assert matthews_corrcoef(y, p, sample_weight=w) == \
            pytest.approx(matthews_corrcoef(y_rep, p_rep), abs=1e-12)


# ----------------------------------------------------------------------------------------------
# balanced_accuracy_score
# ----------------------------------------------------------------------------------------------

def test_balanced_accuracy_worked_example():
    """The mean of the recalls 1/2, 2/3, 3/4 = 23/36; adjusted for 3 classes:
    (23/36 - 1/3) / (1 - 1/3) = 11/24. Weighted (W): recalls 1/3, 2/5, 2/4 → 37/90."""
    with no_warnings():
        assert balanced_accuracy_score(Y_TRUE, Y_PRED) == pytest.approx(23 / 36)
        assert balanced_accuracy_score(Y_TRUE, Y_PRED, adjusted=True) == pytest.approx(11 / 24)
        assert balanced_accuracy_score(Y_TRUE, Y_PRED, sample_weight=W) == pytest.approx(37 / 90)
        assert balanced_accuracy_score(Y_TRUE, Y_TRUE) == 1.0
        assert balanced_accuracy_score(Y_TRUE, Y_TRUE, adjusted=True) == 1.0
        # the majority class for everyone: accuracy 0.8, balanced accuracy 1/2, adjusted 0
        y = np.array([0] * 8 + [1] * 2)
        assert balanced_accuracy_score(y, np.zeros(10, int)) == 0.5
        assert balanced_accuracy_score(y, np.zeros(10, int), adjusted=True) == 0.0
    assert balanced_accuracy_score.higher_is_better is True


def test_balanced_accuracy_names_a_class_of_weight_zero_as_such():
    """A class whose true samples all weigh 0 is left out as an absent one is, but the warning
    said "y_pred contains classes not in y_true (1)" of a class that is in y_true (and of one
    that y_pred does not hold)."""
    with pytest.warns(UndefinedMetricWarning, match=r"balanced_accuracy_score: class 1 has no "
                                                    r"weight in y_true \(not there, or all its "
                                                    r"samples have sample_weight 0\)"):
        assert balanced_accuracy_score([0, 1, 0], [0, 0, 0], sample_weight=[1, 0, 1]) == 1.0
    with pytest.warns(UndefinedMetricWarning, match=r"classes 1, 2 have no weight in y_true"):
        assert balanced_accuracy_score([0, 1, 2], [0, 1, 2], sample_weight=[2, 0, 0]) == 1.0


def test_balanced_accuracy_classes_missing_from_y_true():
    """A class only predicted has recall 0/0: left out of the mean, with a warning (scikit-learn:
    the same number, a UserWarning). One class in y_true and adjusted=True divides by
    1 - 1/1 = 0: -inf, or NaN (0/0) for a perfect score, as scikit-learn's."""
    with pytest.warns(UndefinedMetricWarning, match=r"balanced_accuracy_score: y_pred contains "
                                                    r"classes not in y_true \(2\)"):
        assert balanced_accuracy_score([0, 0, 1], [0, 2, 1]) == 0.75
    with pytest.warns(UndefinedMetricWarning, match=r"classes not in y_true \(0\)"):
        assert balanced_accuracy_score([1, 1, 1], [1, 0, 1]) == pytest.approx(2 / 3)
    with no_warnings():
        assert balanced_accuracy_score([1, 1], [1, 1]) == 1.0
    with pytest.warns(UndefinedMetricWarning, match="divides by 1 - 1/1 = 0; returning nan"):
        assert np.isnan(balanced_accuracy_score([1, 1], [1, 1], adjusted=True))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert balanced_accuracy_score([1, 1], [1, 0], adjusted=True) == -np.inf
    assert "returning -inf" in str(record[-1].message)


# ----------------------------------------------------------------------------------------------
# matthews_corrcoef
# ----------------------------------------------------------------------------------------------

def test_matthews_corrcoef_worked_examples():
    """Binary [1 1 0 0] against [1 0 1 1]: TP 1, FN 1, FP 2, TN 0:
    (1·0 - 2·1) / √((1+2)(1+1)(0+2)(0+1)) = -2/√12. Weighted [2, 1, 1, 1]: TP 2, FN 1, FP 2,
    TN 0: -2/√(4·3·2·1). The 3-class worked example: s = 9, c = 6, t = (2, 3, 4), p = (3, 3, 3):
    (6·9 - 27) / √((81 - 27)(81 - 29)) = 27/√2808."""
    with no_warnings():
        assert matthews_corrcoef([1, 1, 0, 0], [1, 0, 1, 1]) == pytest.approx(-2 / np.sqrt(12))
        assert matthews_corrcoef([1, 1, 0, 0], [1, 0, 1, 1], sample_weight=[2, 1, 1, 1]) == \
            pytest.approx(-2 / np.sqrt(24))
        assert matthews_corrcoef(Y_TRUE, Y_PRED) == pytest.approx(27 / np.sqrt(2808))
        assert matthews_corrcoef(Y_TRUE, Y_TRUE) == 1.0
        assert matthews_corrcoef([0, 1, 0, 1], [1, 0, 1, 0]) == -1.0
        assert matthews_corrcoef(["a", "b", "b"], ["a", "b", "b"]) == 1.0
        # it is a correlation: swapping truth and prediction changes nothing
        assert matthews_corrcoef(Y_PRED, Y_TRUE) == pytest.approx(27 / np.sqrt(2808))
    assert matthews_corrcoef.higher_is_better is True


def test_matthews_corrcoef_of_a_single_class_is_zero_with_a_warning():
    """One class in y_pred (or y_true) makes the denominator 0: 0.0, scikit-learn's result
    (scikit-learn says nothing; here an UndefinedMetricWarning, as for precision's 0/0)."""
    with pytest.warns(UndefinedMetricWarning, match="matthews_corrcoef: y_pred holds a single "
                                                    "class, so the coefficient is 0/0"):
        assert matthews_corrcoef([0, 1, 1], [1, 1, 1]) == 0.0
    with pytest.warns(UndefinedMetricWarning, match="y_true holds a single class"):
        assert matthews_corrcoef([1, 1, 1], [1, 0, 1]) == 0.0
    with pytest.warns(UndefinedMetricWarning):
        assert matthews_corrcoef([1, 1], [1, 1]) == 0.0
    with pytest.warns(UndefinedMetricWarning):     # the other class weighs 0: absent
        assert matthews_corrcoef([0, 1, 1], [0, 1, 1], sample_weight=[0, 1, 1]) == 0.0


def test_label_metrics_in_evaluate():
    """The new label metrics work as metrics of evaluate (and rank the right way)."""
    from nn import LogisticRegression, binary_cross_entropy_with_logits, evaluate
    from nn.scoring import metric_table
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2)).astype(np.float32)
    y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(np.int64)
    model = LogisticRegression(2)
    model.weight.data[...] = [[1.0, 0.2]]
    chosen = [matthews_corrcoef, balanced_accuracy_score, zero_one_loss]
    scores = evaluate(model, binary_cross_entropy_with_logits, (X, y), metrics=chosen)
    labels = model.predict(X)
    for metric in chosen:
        assert scores[metric.__name__] == pytest.approx(metric(y, labels))
    table = metric_table(chosen, "binary")
    assert [table[m.__name__].higher_is_better for m in chosen] == [True, True, False]


@pytest.mark.parametrize("call, message", [
    (lambda: balanced_accuracy_score([0, 1], [0, 1, 1]), "balanced_accuracy_score: y_true and "
                                                          "y_pred have different numbers"),
    (lambda: matthews_corrcoef([0, 1], [0.5, 1]), "matthews_corrcoef: y_pred holds non-integer"),
    (lambda: zero_one_loss([], []), "zero_one_loss: y_true is empty"),
    (lambda: balanced_accuracy_score([0, 1], np.eye(2)), r"argmax\(1\)"),
])
def test_new_label_metrics_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
