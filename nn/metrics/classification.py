"""Scores of predicted class labels read from the counts of right and wrong: `accuracy`,
`confusion_matrix`. Precision, recall and F1 are in precision_recall.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import _encode, _label_pair, _labels


def accuracy(y_true: Any, y_pred: Any) -> float:
    """The fraction of predictions that equal the true label.

    >>> accuracy([0, 1, 2, 2], [0, 2, 2, 2])
    0.75
    """
    y_true, y_pred = _label_pair("accuracy", y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: Any, y_pred: Any, labels: Any = None, *,
                     normalize: str | None = None) -> np.ndarray:
    """Counts C[i, j] of samples whose true label is labels[i] and predicted label is labels[j].

    Rows are true classes, columns predicted ones (scikit-learn's layout); the diagonal holds
    the correct predictions. `labels` (default: every label seen, sorted) fixes the order;
    samples whose labels are not in it are left out. For labels 0/1 that is [[TN, FP],
    [FN, TP]]; the lectures' table (predictions in rows, the positive class first) is
    `confusion_matrix(y_true, y_pred, labels=[1, 0]).T`, [[TP, FP], [FN, TN]].

    >>> confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 2]])

    `normalize` gives fractions, as scikit-learn's does: "true" of each true class (rows sum to
    1; the diagonal is each class's recall), "pred" of each predicted class (columns; the
    diagonal is precision), "all" of every sample. A row or column without samples stays 0.

    >>> confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1], normalize="true")
    array([[1. , 0. , 0. ],
           [0. , 0.5, 0.5],
           [0. , 0. , 1. ]])
    """
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"confusion_matrix: normalize must be None, 'true', 'pred' or 'all', "
                         f"got {normalize!r}")
    counts = _counts(y_true, y_pred, labels)
    if normalize is None:
        return counts
    totals = {"true": counts.sum(axis=1, keepdims=True),
              "pred": counts.sum(axis=0, keepdims=True), "all": counts.sum()}[normalize]
    return counts / np.maximum(totals, 1)


def _counts(y_true: Any, y_pred: Any, labels: Any) -> np.ndarray:
    """The confusion matrix's counts (see confusion_matrix)."""
    y_true, y_pred = _label_pair("confusion_matrix", y_true, y_pred)
    given = labels is not None
    labels = _labels("confusion_matrix", y_true, y_pred, labels)
    true_idx, pred_idx = _encode(y_true, labels), _encode(y_pred, labels)
    if given and not np.any(true_idx >= 0):
        raise ValueError(f"confusion_matrix: none of labels {labels.tolist()} occurs in y_true")
    keep = (true_idx >= 0) & (pred_idx >= 0)
    n = len(labels)
    # each (true, predicted) pair is one cell number true * n + predicted: one bincount fills all
    counts = np.bincount(true_idx[keep] * n + pred_idx[keep], minlength=n * n)
    return counts.reshape(n, n)
