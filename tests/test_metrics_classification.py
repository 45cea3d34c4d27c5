"""nn/metrics/classification.py: accuracy and confusion_matrix, hand-computed (the worked
example of metrics_helpers) and as hypothesis properties.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_helpers import Y_PRED, Y_TRUE, no_warnings

from nn.metrics import (
    UndefinedMetricWarning, accuracy, confusion_matrix, f1_score, precision, recall,
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
