"""nn/metrics/checks.py: what every metric accepts (lists, Tensors, Values, text labels) and
refuses, naming itself: bad labels, shapes and lengths. Warnings point at the caller's line.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value
from nn.metrics import (
    UndefinedMetricWarning, accuracy, classification_report, confusion_matrix, mean_absolute_error,
    mean_squared_error, precision, r2_score, recall, roc_auc_score, roc_curve,
)


def test_warning_points_at_the_callers_line():
    for call in (lambda: precision([0, 1], [0, 0]), lambda: classification_report([0, 1], [0, 0]),
                 lambda: r2_score([1.0], [2.0]), lambda: roc_curve([0, 0], [0.1, 0.2])):
        with pytest.warns(UndefinedMetricWarning) as record:
            call()
        assert record[0].filename == __file__
    with pytest.warns(UndefinedMetricWarning) as record:
        classification_report([0, 1], [0, 0])
    assert len(record) == 1                                # once per report, not once per line


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
