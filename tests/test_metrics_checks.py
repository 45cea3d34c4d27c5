"""nn/metrics/checks.py: what every metric accepts (lists, Tensors, Values, text labels) and
refuses, naming itself: bad labels, shapes and lengths, and bad sample weights for every metric
that takes them. Warnings point at the caller's line.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import metrics
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


# ----------------------------------------------------------------------------------------------
# sample_weight: every metric that takes it checks it the same way, naming itself
# ----------------------------------------------------------------------------------------------

LABELS, OTHER = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
SCORE = np.array([0.1, 0.8, 0.4, 0.3])
PROBS = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
CLASSES = np.array([0, 1, 2, 1])
TARGET, GUESS = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 2.0, 2.0, 4.5])

# name → the call without weights (its fn(**kwargs) form)
WEIGHTED = {
    "accuracy": lambda **kw: metrics.accuracy(LABELS, OTHER, **kw),
    "zero_one_loss": lambda **kw: metrics.zero_one_loss(LABELS, OTHER, **kw),
    "confusion_matrix": lambda **kw: metrics.confusion_matrix(LABELS, OTHER, **kw),
    "balanced_accuracy_score": lambda **kw: metrics.balanced_accuracy_score(LABELS, OTHER, **kw),
    "matthews_corrcoef": lambda **kw: metrics.matthews_corrcoef(LABELS, OTHER, **kw),
    "precision": lambda **kw: metrics.precision(LABELS, OTHER, **kw),
    "recall": lambda **kw: metrics.recall(LABELS, OTHER, average="macro", **kw),
    "f1_score": lambda **kw: metrics.f1_score(LABELS, OTHER, average=None, **kw),
    "classification_report": lambda **kw: metrics.classification_report(LABELS, OTHER, **kw),
    "log_loss": lambda **kw: metrics.log_loss(CLASSES, PROBS, **kw),
    "top_k_accuracy_score": lambda **kw: metrics.top_k_accuracy_score(CLASSES, PROBS, **kw),
    "roc_curve": lambda **kw: metrics.roc_curve(LABELS, SCORE, **kw),
    "roc_auc_score": lambda **kw: metrics.roc_auc_score(LABELS, SCORE, **kw),
    "roc_auc_score multiclass": lambda **kw: metrics.roc_auc_score(CLASSES, PROBS, **kw),
    "precision_recall_curve": lambda **kw: metrics.precision_recall_curve(LABELS, SCORE, **kw),
    "average_precision_score": lambda **kw: metrics.average_precision_score(LABELS, SCORE, **kw),
    "average_precision_score multiclass":
        lambda **kw: metrics.average_precision_score(CLASSES, PROBS, **kw),
    "mean_squared_error": lambda **kw: metrics.mean_squared_error(TARGET, GUESS, **kw),
    "root_mean_squared_error": lambda **kw: metrics.root_mean_squared_error(TARGET, GUESS, **kw),
    "mean_absolute_error": lambda **kw: metrics.mean_absolute_error(TARGET, GUESS, **kw),
    "mean_absolute_percentage_error":
        lambda **kw: metrics.mean_absolute_percentage_error(TARGET, GUESS, **kw),
    "r2_score": lambda **kw: metrics.r2_score(TARGET, GUESS, **kw),
    "explained_variance_score": lambda **kw: metrics.explained_variance_score(TARGET, GUESS, **kw),
}

BAD_WEIGHTS = [
    ([1, 1, 1], ValueError, r"sample_weight has 3 weights for 4 samples; expected one weight "
                            r"per sample"),
    ([1, -1, 1, 1], ValueError, r"sample_weight holds negative values such as -1; weights must "
                                r"be >= 0"),
    ([1, np.nan, 1, 1], ValueError, "sample_weight contains NaN or infinity"),
    ([1, np.inf, 1, 1], ValueError, "sample_weight contains NaN or infinity"),
    ([0, 0, 0, 0], ValueError, "sample_weight is all zeros; at least one sample needs a "
                               "positive weight"),
    ([[1], [1], [1], [1]], ValueError, r"sample_weight has shape \(4, 1\); expected a 1-D array "
                                       r"of one weight per sample, shape \(4,\)"),
    (2.0, ValueError, r"sample_weight has shape \(\); expected a 1-D array"),
    (["a", "b", "c", "d"], TypeError, "sample_weight must be numbers, got dtype <U1"),
]


@pytest.mark.parametrize("name", WEIGHTED)
@pytest.mark.parametrize("weights, error, message", BAD_WEIGHTS)
def test_bad_sample_weight_gets_a_clear_error_naming_the_function(name, weights, error, message):
    with pytest.raises(error, match=rf"^{name.split()[0]}: {message}"):
        WEIGHTED[name](sample_weight=weights)


@pytest.mark.parametrize("name", WEIGHTED)
def test_weights_of_one_change_nothing_and_tensors_are_weights(name):
    """sample_weight=ones (as a list, a float array or a Tensor) is the unweighted metric."""
    def same(a, b):
        if isinstance(a, tuple):
            for x, y in zip(a, b):
                np.testing.assert_allclose(x, y, rtol=1e-12)
        elif isinstance(a, str):
            assert a.replace(".0\n", "\n").split() == b.split()     # the support is 4.0, not 4
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12)
    plain = WEIGHTED[name]()
    for ones in ([1, 1, 1, 1], np.ones(4), Tensor(np.ones(4, dtype=np.float32))):
        same(WEIGHTED[name](sample_weight=ones), plain)
