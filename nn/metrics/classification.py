"""Scores of predicted class labels read from the counts of right and wrong: `accuracy` (and its
scikit-learn spelling `accuracy_score`), `zero_one_loss`, `confusion_matrix`,
`balanced_accuracy_score`, `matthews_corrcoef`. Precision, recall and F1 are in
precision_recall.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.warn import warn as warn_user

from .checks import (UndefinedMetricWarning, _encode, _label_pair, _labels, _sample_weight,
                     _weighted_count, _weighted_mean)


def _correct(fn: str, y_true: Any, y_pred: Any, sample_weight: Any
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """(y_true == y_pred per sample, the checked weights)."""
    y_true, y_pred = _label_pair(fn, y_true, y_pred)
    return y_true == y_pred, _sample_weight(fn, sample_weight, len(y_true))


def accuracy(y_true: Any, y_pred: Any, *, normalize: bool = True,
             sample_weight: Any = None) -> float:
    """The fraction of predictions that equal the true label, Σ w_i [ŷ_i = y_i] / Σ w_i (each
    w_i = 1 without `sample_weight`); `normalize=False` gives the numerator, their number (or
    weight). `accuracy_score` is the same function under scikit-learn's name.

    >>> accuracy([0, 1, 2, 2], [0, 2, 2, 2])
    0.75
    >>> accuracy([0, 1, 2, 2], [0, 2, 2, 2], sample_weight=[1, 2, 1, 0])   # (1 + 1) / 4
    0.5
    >>> accuracy([0, 1, 2, 2], [0, 2, 2, 2], normalize=False)
    3.0
    """
    right, w = _correct("accuracy", y_true, y_pred, sample_weight)
    if not normalize:
        return _weighted_count(right, w)
    return float(_weighted_mean(right, w))


accuracy.higher_is_better = True  # type: ignore[attr-defined]
accuracy_score = accuracy                        # scikit-learn's name for it


def zero_one_loss(y_true: Any, y_pred: Any, *, normalize: bool = True,
                  sample_weight: Any = None) -> float:
    """The fraction of predictions that are wrong, Σ w_i [ŷ_i ≠ y_i] / Σ w_i = 1 - accuracy;
    `normalize=False` gives the numerator, their number (or weight). Lower is better.

    >>> zero_one_loss([0, 1, 2, 2], [0, 2, 2, 2])
    0.25
    >>> zero_one_loss([0, 1, 2, 2], [0, 2, 2, 2], normalize=False, sample_weight=[1, 2, 1, 0])
    2.0
    """
    right, w = _correct("zero_one_loss", y_true, y_pred, sample_weight)
    if not normalize:
        return _weighted_count(~right, w)
    return float(1.0 - _weighted_mean(right, w))


zero_one_loss.higher_is_better = False  # type: ignore[attr-defined]


def confusion_matrix(y_true: Any, y_pred: Any, labels: Any = None, *,
                     sample_weight: Any = None, normalize: str | None = None) -> np.ndarray:
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

    `sample_weight` adds each sample's weight to its cell instead of 1: integer weights give
    integer counts, others float ones (as in scikit-learn).

    >>> confusion_matrix([0, 1, 1], [0, 0, 1], sample_weight=[1.0, 2.5, 1.0])
    array([[1. , 0. ],
           [2.5, 1. ]])

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
    counts, _ = _counts("confusion_matrix", y_true, y_pred, labels, sample_weight)
    if normalize is None:
        return counts
    totals = {"true": counts.sum(axis=1, keepdims=True),
              "pred": counts.sum(axis=0, keepdims=True), "all": counts.sum()}[normalize]
    # a class without samples (a total of 0) keeps its zeros; weighted totals may be below 1
    return counts / np.where(totals == 0, 1, totals)


def _counts(fn: str, y_true: Any, y_pred: Any, labels: Any, sample_weight: Any
            ) -> tuple[np.ndarray, np.ndarray]:
    """The confusion matrix's counts (see confusion_matrix), weighted when weights are given,
    and the labels of its rows and columns."""
    y_true, y_pred = _label_pair(fn, y_true, y_pred)
    w = _sample_weight(fn, sample_weight, len(y_true))
    given = labels is not None
    labels = _labels(fn, y_true, y_pred, labels)
    true_idx, pred_idx = _encode(y_true, labels), _encode(y_pred, labels)
    if given and not np.any(true_idx >= 0):
        raise ValueError(f"{fn}: none of labels {labels.tolist()} occurs in y_true")
    keep = (true_idx >= 0) & (pred_idx >= 0)
    n = len(labels)
    # each (true, predicted) pair is one cell number true * n + predicted: one bincount fills all
    cells = true_idx[keep] * n + pred_idx[keep]
    if w is None:
        return np.bincount(cells, minlength=n * n).reshape(n, n), labels
    counts = np.bincount(cells, weights=w[keep], minlength=n * n).reshape(n, n)
    # integer weights sum exactly in float64 (below 2**53) and give integer counts, as sklearn's
    return (np.rint(counts).astype(np.int64) if w.dtype.kind == "i" else counts), labels


def balanced_accuracy_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                            adjusted: bool = False) -> float:
    """The mean of the recalls of the k classes in y_true, (1/k) Σ_c TP_c / (TP_c + FN_c): each
    class counts alike, however many samples it has, so always predicting the majority class
    scores 1/k, not its share.

    A class that is only predicted, never true, has recall 0/0: it is left out of the mean with
    an UndefinedMetricWarning (scikit-learn leaves it out too, with a UserWarning).
    `adjusted=True` rescales for chance: (score - 1/k) / (1 - 1/k) for k classes, so guessing
    scores 0 and perfect predictions 1 (one class in y_true: chance is already perfect and the
    rescaling divides by 0, so -inf, or NaN for a perfect score, as in scikit-learn, with an
    UndefinedMetricWarning).

    >>> y_true = [0] * 8 + [1] * 2
    >>> balanced_accuracy_score(y_true, [0] * 10)            # (8/8 + 0/2) / 2; accuracy: 0.8
    0.5
    >>> balanced_accuracy_score(y_true, [0] * 9 + [1], adjusted=True)     # (1 + 1/2) / 2 → 0.5
    0.5
    """
    fn = "balanced_accuracy_score"
    counts, labels = _counts(fn, y_true, y_pred, None, sample_weight)
    counts = counts.astype(np.float64)
    true_sum = counts.sum(axis=1)
    seen = true_sum > 0
    if not np.all(seen):
        missing = ", ".join(map(str, labels[~seen].tolist()))
        # with weights, a class may be in y_true and still weigh nothing there
        several = np.sum(~seen) > 1
        which = (f"y_pred contains classes not in y_true ({missing})" if sample_weight is None
                 else f"{'classes' if several else 'class'} {missing} "
                      f"{'have' if several else 'has'} no weight in y_true (not there, or all "
                      f"{'their' if several else 'its'} samples have sample_weight 0)")
        warn_user(f"{fn}: {which}; their recall is undefined (0/0) and left out of the mean",
                  UndefinedMetricWarning)
    score = float(np.mean(np.diag(counts)[seen] / true_sum[seen]))
    if not adjusted:
        return score
    k = int(seen.sum())
    if k == 1:      # chance is 1/1: (score - 1) / 0, as scikit-learn divides (-inf, or 0/0)
        result = float("nan") if score == 1 else float("-inf")
        warn_user(f"{fn}: adjusted=True with one class in y_true divides by 1 - 1/1 = 0; "
                  f"returning {result}", UndefinedMetricWarning)
        return result
    return (score - 1 / k) / (1 - 1 / k)


balanced_accuracy_score.higher_is_better = True  # type: ignore[attr-defined]


def matthews_corrcoef(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The Matthews correlation coefficient: the correlation between the true and the predicted
    classes, from -1 (always wrong) through 0 (no better than chance) to 1 (always right).
    Unlike accuracy it stays low for a model that ignores a rare class. For two classes:
    (TP·TN - FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)); for more, scikit-learn's multiclass
    form from the confusion matrix C (s samples, c correct, t and p its row and column sums):
    (c·s - t·p) / √((s² - p·p)(s² - t·t)).

    When y_true or y_pred holds a single class the denominator is 0 (0/0): 0.0, as in
    scikit-learn, with an UndefinedMetricWarning (scikit-learn is silent).

    >>> matthews_corrcoef([1, 1, 0, 0], [1, 0, 1, 1])   # TP 1, TN 0, FP 2, FN 1: -2 / √(3·2·2·1)
    -0.5773502691896258
    """
    fn = "matthews_corrcoef"
    counts = _counts(fn, y_true, y_pred, None, sample_weight)[0].astype(np.float64)
    # as fractions of all samples (s = 1) the coefficient is the same, and large counts or
    # weights cannot overflow s²
    counts /= counts.sum()
    t, p = counts.sum(axis=1), counts.sum(axis=0)
    # one class in either makes a factor of the denominator 0: tested on the counts, as
    # 1 - p·p computed in floating point need not come out exactly 0
    if np.count_nonzero(t) < 2 or np.count_nonzero(p) < 2:
        which = "y_true" if np.count_nonzero(t) < 2 else "y_pred"
        warn_user(f"{fn}: {which} holds a single class, so the coefficient is 0/0; it is set "
                  f"to 0.0", UndefinedMetricWarning)
        return 0.0
    score = (np.trace(counts) - t @ p) / np.sqrt((1 - p @ p) * (1 - t @ t))
    return float(np.clip(score, -1.0, 1.0))        # rounding may step just past ±1


matthews_corrcoef.higher_is_better = True  # type: ignore[attr-defined]
