"""Scores for predictions: how good is a model, beyond its loss?

Classification: `accuracy`, `confusion_matrix`, `precision`, `recall`, `f1_score`,
`classification_report`; ranking: `roc_curve`, `roc_auc_score`, `precision_recall_curve`,
`average_precision_score`; regression: `mean_squared_error`, `root_mean_squared_error`,
`mean_absolute_error`, `r2_score`.

Numpy arrays, lists or Tensors go in; Python floats (or numpy arrays) come out. The contracts are
scikit-learn's, so results can be compared with it line by line: classification metrics take class
*labels*, not probabilities (use ``probs.argmax(1)``, or ``probs > 0.5`` for one sigmoid output),
and a score that would be 0/0 (precision when nothing was predicted positive) is set to 0.0 with an
`UndefinedMetricWarning` instead of dividing by zero.

>>> import numpy as np
>>> y_true = np.array([0] * 98 + [1] * 2)        # 98 healthy patients, 2 sick ones
>>> y_pred = np.zeros(100, dtype=int)            # a "model" that calls everyone healthy
>>> accuracy(y_true, y_pred), recall(y_true, y_pred)
(0.98, 0.0)
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd.graph import Node
from autograd.warn import warn as warn_user

__all__ = [
    "UndefinedMetricWarning", "accuracy", "confusion_matrix", "precision", "recall", "f1_score",
    "classification_report", "roc_curve", "roc_auc_score", "precision_recall_curve",
    "average_precision_score", "mean_squared_error", "root_mean_squared_error",
    "mean_absolute_error", "r2_score",
]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


class UndefinedMetricWarning(UserWarning):
    """A score was 0/0 (e.g. precision with no positive predictions) and was set to a value."""


# ----------------------------------------------------------------------------------------------
# Input checks: every public function names itself in its errors
# ----------------------------------------------------------------------------------------------

def _as_array(y: Any) -> np.ndarray:
    """An ndarray from an array, list, Tensor, or list of Values (the scalar MLP's outputs)."""
    if isinstance(y, Node):                 # a model's output, perhaps in a graph (which
        y = y.data                          # numpy refuses): a metric reads only the numbers
    elif isinstance(y, (list, tuple)) and y and isinstance(y[0], Node):
        y = [item.data for item in y]
    arr = np.asarray(y)
    if arr.dtype == object and arr.size and isinstance(arr.flat[0], Node):
        arr = np.array([item.data for item in arr.flat]).reshape(arr.shape)
    return arr


def _column(fn: str, name: str, y: Any, hint: str = "") -> np.ndarray:
    """`y` as a non-empty 1-D array; an (n, 1) column is flattened."""
    arr = _as_array(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{fn}: {name} has shape {arr.shape}; expected a 1-D array{hint}")
    if arr.size == 0:
        raise ValueError(f"{fn}: {name} is empty; need at least one sample")
    return arr


def _same_length(fn: str, names: tuple[str, str], a: np.ndarray, b: np.ndarray) -> None:
    if len(a) != len(b):
        raise ValueError(f"{fn}: {names[0]} and {names[1]} have different numbers of samples "
                         f"(shapes {a.shape} and {b.shape})")


def _finite(fn: str, name: str, arr: np.ndarray) -> None:
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{fn}: {name} contains NaN or infinity")


def _class_labels(fn: str, name: str, y: Any) -> np.ndarray:
    """A 1-D array of class labels; probabilities, scores and logits are refused with a hint."""
    arr = _column(fn, name, y, hint=" of class labels (for class probabilities or logits of "
                                     "shape (n, classes) pass probs.argmax(1))")
    _finite(fn, name, arr)
    if arr.dtype.kind == "f" and np.any(arr != np.round(arr)):
        example = arr[arr != np.round(arr)][0]
        raise ValueError(f"{fn}: {name} holds non-integer values such as {example}; expected "
                         f"class labels (threshold probabilities first: probs > 0.5, or "
                         f"probs.argmax(1))")
    return arr


def _is_text(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "US"


def _text_meets_number(arr: np.ndarray, other: np.ndarray) -> bool:
    """True when one holds text and the other numbers: then no element can be equal (and numpy
    1.x would answer `==` with one False instead of an array)."""
    return object not in (arr.dtype, other.dtype) and _is_text(arr) != _is_text(other)


def _equals(y: np.ndarray, label: Any) -> np.ndarray:
    """y == label, elementwise."""
    label = np.asarray(label)
    return np.zeros(len(y), dtype=bool) if _text_meets_number(y, label) else y == label


def _label_pair(fn: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _class_labels(fn, "y_true", y_true), _class_labels(fn, "y_pred", y_pred)
    _same_length(fn, ("y_true", "y_pred"), y_true, y_pred)
    if _text_meets_number(y_true, y_pred):          # sorting "cat" against 3 has no meaning
        raise TypeError(f"{fn}: y_true and y_pred hold labels of different types "
                        f"({y_true.dtype} and {y_pred.dtype}); use the same kind of label in both")
    return y_true, y_pred


def _encode(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The position of each value in `labels`, or -1 where it is not one of them."""
    if _text_meets_number(values, labels):
        return np.full(len(values), -1)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    pos = np.minimum(np.searchsorted(sorted_labels, values), len(labels) - 1)
    return np.where(sorted_labels[pos] == values, order[pos], -1)


def _labels(fn: str, y_true: np.ndarray, y_pred: np.ndarray, labels: Any) -> np.ndarray:
    """The given labels (checked), or every label that occurs in y_true or y_pred, sorted."""
    if labels is None:
        return np.unique(np.concatenate([y_true, y_pred]))
    labels = _as_array(labels).reshape(-1)
    if labels.size == 0:
        raise ValueError(f"{fn}: labels is empty; give at least one label (or labels=None)")
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"{fn}: labels contains repeated values: {labels.tolist()}")
    return labels


# ----------------------------------------------------------------------------------------------
# Classification
# ----------------------------------------------------------------------------------------------

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


def _zero_division_value(fn: str, zero_division: Any) -> float:
    if isinstance(zero_division, str) and zero_division == "warn":
        return 0.0
    if isinstance(zero_division, (int, float)) and (zero_division in (0, 1)
                                                    or np.isnan(zero_division)):
        return float(zero_division)
    raise ValueError(f'{fn}: zero_division must be "warn", 0.0, 1.0 or np.nan, '
                     f"got {zero_division!r}")


def _divide(fn: str, score: str, numerator: np.ndarray, denominator: np.ndarray,
            labels: np.ndarray, reason: str, zero_division: Any, warn: bool) -> np.ndarray:
    """numerator / denominator per label; 0/0 becomes the zero_division value (and warns)."""
    undefined = denominator == 0
    result = numerator / np.where(undefined, 1, denominator)
    if np.any(undefined):
        result[undefined] = _zero_division_value(fn, zero_division)
        if warn and zero_division == "warn":
            where = ("" if labels is None else
                     f" for label{'s' if undefined.sum() > 1 else ''} "
                     f"{', '.join(map(str, labels[undefined].tolist()))}")
            what = "" if fn.startswith(score) else f" {score} is"
            warn_user(f"{fn}:{what} ill-defined{where} ({reason}) and set to 0.0; "
                      f"pass zero_division=0.0 to accept that silently (as one of fit's "
                      f"metrics: functools.partial({fn}, zero_division=0.0))",
                      UndefinedMetricWarning)
    return result


def _precision_recall_f1(fn: str, y_true: Any, y_pred: Any, average: str | None, pos_label: Any,
                         labels: Any, zero_division: Any, warn_for: tuple[str, ...]):
    """(precision, recall, f1, support): floats when averaged, per-label arrays for average=None."""
    y_true, y_pred = _label_pair(fn, y_true, y_pred)
    if average not in _AVERAGES:
        raise ValueError(f"{fn}: average must be one of {_AVERAGES}, got {average!r}")
    _zero_division_value(fn, zero_division)
    if average == "binary":
        present = np.unique(np.concatenate([y_true, y_pred]))
        if len(present) > 2:
            raise ValueError(
                f"{fn}: the labels are multiclass ({present.tolist()}) but average='binary'; "
                f"choose average='macro', 'micro', 'weighted' or None (one score per class)")
        if not np.any(_equals(present, pos_label)) and len(present) == 2:
            raise ValueError(f"{fn}: pos_label={pos_label!r} is not one of the labels "
                             f"{present.tolist()}; pass pos_label= the positive class")
        labels = np.array([pos_label])
    else:
        if pos_label not in (None, 1):
            warn_user(f"{fn}: pos_label={pos_label!r} is ignored with average={average!r}; "
                      f"to score one class pass labels=[{pos_label!r}]", UserWarning)
        labels = _labels(fn, y_true, y_pred, labels)

    true_idx, pred_idx = _encode(y_true, labels), _encode(y_pred, labels)
    n = len(labels)
    true_sum = np.bincount(true_idx[true_idx >= 0], minlength=n)
    pred_sum = np.bincount(pred_idx[pred_idx >= 0], minlength=n)
    hits = true_idx[(true_idx == pred_idx) & (true_idx >= 0)]
    tp = np.bincount(hits, minlength=n)
    named = labels
    if average == "micro":      # pool the counts of all classes, then divide once
        tp, pred_sum, true_sum = (c.sum(keepdims=True) for c in (tp, pred_sum, true_sum))
        named = None

    def divide(score, num, den, reason):
        return _divide(fn, score, num.astype(np.float64), den, named, reason, zero_division,
                       warn=score in warn_for)

    p = divide("precision", tp, pred_sum, "no predicted samples")
    r = divide("recall", tp, true_sum, "no true samples")
    # F1 = 2PR / (P + R) = 2TP / (2TP + FP + FN): only 0/0 when the class is nowhere at all
    f = divide("f1", 2 * tp, true_sum + pred_sum, "neither true nor predicted samples")
    if average is None:
        return p, r, f, true_sum
    weights = true_sum if average == "weighted" else None
    return _nan_average(p, weights), _nan_average(r, weights), _nan_average(f, weights), None


def _nan_average(scores: np.ndarray, weights: np.ndarray | None) -> float:
    """The (weighted) mean of the scores that are not NaN (zero_division=np.nan marks undefined)."""
    defined = ~np.isnan(scores)
    if not np.any(defined):
        return float("nan")
    weights = None if weights is None or weights[defined].sum() == 0 else weights[defined]
    return float(np.average(scores[defined], weights=weights))


def precision(y_true: Any, y_pred: Any, *, average: str | None = "binary", pos_label: Any = 1,
              labels: Any = None, zero_division: Any = "warn") -> float | np.ndarray:
    """Of the samples predicted as a class, the fraction that really are: TP / (TP + FP).

    average: "binary" scores only `pos_label`; "macro" is the plain mean over classes, "weighted"
    the mean weighted by each class's number of true samples, "micro" pools the counts of all
    classes first (equal to accuracy when every class is counted); None gives one score per label
    (in `labels` order, default sorted). No predicted samples: 0.0 and an UndefinedMetricWarning.

    >>> precision([1, 1, 0, 0], [1, 0, 1, 1])
    0.3333333333333333
    >>> precision([0, 1, 2, 2], [0, 2, 2, 1], average=None)
    array([1. , 0. , 0.5])
    """
    return _precision_recall_f1("precision", y_true, y_pred, average, pos_label, labels,
                                zero_division, ("precision",))[0]


def recall(y_true: Any, y_pred: Any, *, average: str | None = "binary", pos_label: Any = 1,
           labels: Any = None, zero_division: Any = "warn") -> float | np.ndarray:
    """Of the samples of a class, the fraction predicted as it: TP / (TP + FN).

    Same arguments as `precision`. No true samples of the class: 0.0 and an UndefinedMetricWarning.

    >>> recall([1, 1, 0, 0], [1, 0, 1, 1])
    0.5
    """
    return _precision_recall_f1("recall", y_true, y_pred, average, pos_label, labels,
                                zero_division, ("recall",))[1]


def f1_score(y_true: Any, y_pred: Any, *, average: str | None = "binary", pos_label: Any = 1,
             labels: Any = None, zero_division: Any = "warn") -> float | np.ndarray:
    """The harmonic mean of precision and recall: 2PR / (P + R) = 2TP / (2TP + FP + FN).

    Same arguments as `precision`. It is 0/0 only for a label that is neither true nor predicted.

    >>> f1_score([1, 1, 0, 0], [1, 0, 1, 1])          # P = 1/3, R = 1/2
    0.4
    """
    return _precision_recall_f1("f1_score", y_true, y_pred, average, pos_label, labels,
                                zero_division, ("f1",))[2]


def classification_report(y_true: Any, y_pred: Any, *, labels: Any = None,
                          target_names: Any = None, digits: int = 2,
                          zero_division: Any = "warn") -> str:
    """A text table of precision, recall, F1 and support per class, then the averages.

    The layout is scikit-learn's: an "accuracy" line (micro average) when every label is
    reported, then "macro avg" and "weighted avg". `target_names` are printed instead of labels.

    >>> print(classification_report([0, 1, 2, 2, 2], [0, 0, 2, 2, 1],
    ...                             target_names=["cat", "dog", "pig"]))
                  precision    recall  f1-score   support
    <BLANKLINE>
             cat       0.50      1.00      0.67         1
             dog       0.00      0.00      0.00         1
             pig       1.00      0.67      0.80         3
    <BLANKLINE>
        accuracy                           0.60         5
       macro avg       0.50      0.56      0.49         5
    weighted avg       0.70      0.60      0.61         5
    <BLANKLINE>
    """
    fn = "classification_report"
    y_true, y_pred = _label_pair(fn, y_true, y_pred)
    present = np.unique(np.concatenate([y_true, y_pred]))
    labels = _labels(fn, y_true, y_pred, labels)
    names = [str(label) for label in labels.tolist()] if target_names is None else \
        [str(name) for name in target_names]
    if len(names) != len(labels):
        raise ValueError(f"{fn}: {len(names)} target_names for {len(labels)} labels "
                         f"{labels.tolist()}; give one name per label (or pass labels=)")
    if not isinstance(digits, (int, np.integer)) or digits < 0:
        raise ValueError(f"{fn}: digits must be a non-negative integer, got {digits!r}")

    p, r, f, support = _precision_recall_f1(fn, y_true, y_pred, None, 1, labels, zero_division,
                                            ("precision", "recall", "f1"))

    def scores(average):          # silent: the per-label scores above already warned
        return _precision_recall_f1(fn, y_true, y_pred, average, 1, labels, zero_division, ())

    total = int(support.sum())
    width = max(max(len(name) for name in names), len("weighted avg"), digits)

    def line(name, *cells):       # a name column, then four right-aligned columns of 9
        text = [f"{cell:>9.{digits}f}" if isinstance(cell, float) else f"{cell:>9}"
                for cell in cells]
        return f"{name:>{width}} " + "".join(" " + cell for cell in text) + "\n"

    lines = [line("", "precision", "recall", "f1-score", "support"), "\n"]
    lines += [line(*cells) for cells in zip(names, p.tolist(), r.tolist(), f.tolist(),
                                             support.tolist())]
    lines.append("\n")
    # micro precision = recall = F1 = accuracy, but only when no label is left out
    if np.all(np.isin(present, labels)):
        lines.append(line("accuracy", "", "", scores("micro")[2], total))
    else:
        lines.append(line("micro avg", *scores("micro")[:3], total))
    for average in ("macro", "weighted"):
        lines.append(line(f"{average} avg", *scores(average)[:3], total))
    return "".join(lines)


# ----------------------------------------------------------------------------------------------
# Ranking: ROC curve and the area under it
# ----------------------------------------------------------------------------------------------

def _score_column(fn: str, y_score: Any) -> np.ndarray:
    scores = _column(fn, "y_score", y_score,
                     hint=" of scores for the positive class (for two-class probabilities of "
                          "shape (n, 2) pass probs[:, 1])")
    _finite(fn, "y_score", scores)
    return scores.astype(np.float64)


def _roc_points(is_positive: np.ndarray, scores: np.ndarray):
    """False and true positive counts at each distinct score used as a threshold (descending)."""
    order = np.argsort(scores, kind="stable")[::-1]
    scores, is_positive = scores[order], is_positive[order]
    # a threshold sits at the last sample of each run of equal scores: ties move together
    last_of_run = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(is_positive)[last_of_run]
    fps = last_of_run + 1 - tps
    return fps, tps, scores[last_of_run]


def roc_curve(y_true: Any, y_score: Any, pos_label: Any = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False positive rates, true positive rates and the thresholds that give them.

    `pos_label` is the positive class; left out, it is 1 for labels 0/1 (or -1/1, or booleans),
    and other labels (1/2, "cat"/"dog") must name it, as in scikit-learn: reading 1 of 1/2 as
    positive would give the curve of the other class than `roc_auc_score`'s (the larger label).

    Predicting "positive" when score >= thresholds[i] gives the rates fpr[i], tpr[i]. The first
    threshold is +inf (nothing predicted positive: the point (0, 0)); thresholds decrease to the
    smallest score (everything positive: (1, 1)). Points on a straight segment between two others
    are dropped, as in scikit-learn (drop_intermediate=True): the curve and its area are the same.

    >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr
    array([0. , 0. , 0.5, 0.5, 1. ])
    >>> tpr
    array([0. , 0.5, 0.5, 1. , 1. ])
    >>> thresholds
    array([ inf, 0.8 , 0.4 , 0.35, 0.1 ])
    """
    fn = "roc_curve"
    is_positive, scores = _binary_scores(fn, "a ROC curve", y_true, y_score, pos_label)
    fps, tps, thresholds = _roc_points(is_positive, scores)
    if len(fps) > 2:
        # keep a point only where the curve bends (second difference non-zero) and the ends
        bends = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
        fps, tps, thresholds = fps[bends], tps[bends], thresholds[bends]
    fps, tps, thresholds = np.r_[0, fps], np.r_[0, tps], np.r_[np.inf, thresholds]
    return (_rate(fn, fps, "negative", "false"), _rate(fn, tps, "positive", "true"), thresholds)


def _binary_scores(fn: str, what: str, y_true: Any, y_score: Any, pos_label: Any
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(is_positive, scores) of a two-class curve's input, checked; `what` names the curve."""
    y_true = _class_labels(fn, "y_true", y_true)
    scores = _score_column(fn, y_score)
    _same_length(fn, ("y_true", "y_score"), y_true, scores)
    classes = np.unique(y_true)
    if len(classes) > 2:
        raise ValueError(f"{fn}: y_true has {len(classes)} classes {classes.tolist()}; {what} "
                         f"needs two (for one class against the rest pass y_true == c)")
    if pos_label is None:
        pos_label = _default_pos_label(fn, classes)
    is_positive = _equals(y_true, pos_label)
    if len(classes) == 2 and not np.any(is_positive):
        raise ValueError(f"{fn}: pos_label={pos_label!r} is not one of the labels "
                         f"{classes.tolist()}; pass pos_label= the positive class")
    return is_positive, scores


def _default_pos_label(fn: str, classes: np.ndarray) -> int:
    """1, when the labels are 0/1 or -1/1 (or a part of them); for any other labels which one
    is positive is the user's to say."""
    if not _is_text(classes) and (np.all(np.isin(classes, (0, 1))) or
                                  np.all(np.isin(classes, (-1, 1)))):
        return 1
    raise ValueError(f"{fn}: y_true holds the labels {classes.tolist()}; say which is the "
                     f"positive class with pos_label= (left out, it is 1, for labels 0/1 or "
                     f"-1/1 only)")


def _rate(fn: str, counts: np.ndarray, kind: str, rate: str) -> np.ndarray:
    if counts[-1] == 0:
        warn_user(f"{fn}: there are no {kind} samples in y_true, so the {rate} positive "
                  f"rate is undefined (NaN)", UndefinedMetricWarning)
        return np.full(counts.shape, np.nan)
    return counts / counts[-1]


def _binary_auc(is_positive: np.ndarray, scores: np.ndarray) -> float:
    """Trapezoid area under the ROC curve: the chance that a random positive outscores a random
    negative, ties counting one half."""
    fps, tps, _ = _roc_points(is_positive, scores)
    fpr, tpr = np.r_[0, fps] / fps[-1], np.r_[0, tps] / tps[-1]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def roc_auc_score(y_true: Any, y_score: Any, *, average: str = "macro") -> float:
    """Area under the ROC curve: 1.0 ranks every positive above every negative, 0.5 is chance.

    Binary: `y_score` is one score per sample for the positive class, which is the larger of the
    two labels (scikit-learn's rule). Multiclass: `y_score` is an (n, classes) array of
    probabilities (rows sum to 1; softmax your logits) with one column per sorted label; each
    class is scored against the rest and the AUCs are averaged ("macro": plainly, "weighted": by
    class size; binary input has one AUC, so either gives it). Only one class in y_true:
    ValueError, as AUC needs both kinds of sample. In `fit` and `evaluate`
    (`metrics=[roc_auc_score]`) it scores a two-class model's outputs (logits rank as their
    probabilities do), not its predicted labels.

    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])     # 3 of 4 pairs ordered correctly
    0.75
    """
    fn = "roc_auc_score"
    if average not in ("macro", "weighted"):   # for binary input too: a typo is not ignored
        raise ValueError(f"{fn}: average must be 'macro' or 'weighted', got {average!r}")
    y_true = _class_labels(fn, "y_true", y_true)
    scores = _as_array(y_score)
    classes = np.unique(y_true)
    if len(classes) < 2:
        raise ValueError(f"{fn}: only one class ({classes[0].item()!r}) is present in y_true; "
                         f"ROC AUC is not defined then (it compares positives with negatives)")
    if scores.ndim == 2 and scores.shape[1] > 1:
        return _one_vs_rest(fn, y_true, scores, classes, average, _binary_auc,
                            probabilities=True)
    if len(classes) > 2:
        raise ValueError(f"{fn}: y_true has {len(classes)} classes but y_score has shape "
                         f"{scores.shape}; for multiclass AUC pass probabilities of shape "
                         f"({len(y_true)}, {len(classes)})")
    scores = _score_column(fn, scores)
    _same_length(fn, ("y_true", "y_score"), y_true, scores)
    return _binary_auc(y_true == classes[1], scores)


# fit, evaluate and GridSearch give it the model's outputs, the scores it ranks: given the
# predicted 0/1 labels it would be the area of a two-step curve, another and smaller number
roc_auc_score.higher_is_better = True          # type: ignore[attr-defined]
roc_auc_score.on = "outputs"                   # type: ignore[attr-defined]


def _one_vs_rest(fn: str, y_true: np.ndarray, probs: np.ndarray, classes: np.ndarray,
                 average: str, binary_score: Callable[[np.ndarray, np.ndarray], float],
                 probabilities: bool = False) -> float:
    """Each class (column k of `probs`) scored against the rest, then averaged: "macro"
    plainly, "weighted" by each class's number of true samples. `probabilities`: rows must
    sum to 1 (multiclass AUC's rule, scikit-learn's)."""
    if probs.shape[1] == 2:
        raise ValueError(f"{fn}: y_score has shape {probs.shape}; for two classes pass the "
                         f"positive class's column, probs[:, 1]")
    _same_length(fn, ("y_true", "y_score"), y_true, probs)
    _finite(fn, "y_score", probs)
    if probs.shape[1] != len(classes):
        raise ValueError(f"{fn}: y_score has {probs.shape[1]} columns but y_true has "
                         f"{len(classes)} classes {classes.tolist()}; need one column per class")
    if probabilities and not np.allclose(probs.sum(axis=1), 1.0):
        raise ValueError(f"{fn}: multiclass AUC needs probabilities whose rows sum to 1 "
                         f"(apply softmax to logits first)")
    probs = probs.astype(np.float64)
    scores = np.array([binary_score(_equals(y_true, c), probs[:, k])
                       for k, c in enumerate(classes)])
    weights = None if average == "macro" else np.bincount(_encode(y_true, classes))
    return float(np.average(scores, weights=weights))


# ----------------------------------------------------------------------------------------------
# Ranking: the precision-recall curve and average precision
# ----------------------------------------------------------------------------------------------

def precision_recall_curve(y_true: Any, y_score: Any, pos_label: Any = None
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall of predicting "positive" when score >= each threshold.

    `thresholds` are the distinct scores, increasing; precision[i] and recall[i] are those at
    thresholds[i], and a last point (precision 1, recall 0: nothing predicted positive) ends
    the arrays, so they have one entry more (scikit-learn's layout). Tied scores move
    together. `pos_label` as in `roc_curve`. No positive samples: recall is 1 everywhere (as
    in scikit-learn), with an UndefinedMetricWarning.

    >>> p, r, thresholds = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> p
    array([0.5       , 0.66666667, 0.5       , 1.        , 1.        ])
    >>> r
    array([1. , 1. , 0.5, 0.5, 0. ])
    >>> thresholds
    array([0.1 , 0.35, 0.4 , 0.8 ])
    """
    fn = "precision_recall_curve"
    is_positive, scores = _binary_scores(fn, "a precision-recall curve", y_true, y_score,
                                         pos_label)
    return _precision_recall_points(fn, is_positive, scores)


def _precision_recall_points(fn: str, is_positive: np.ndarray, scores: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fps, tps, thresholds = _roc_points(is_positive, scores)
    precision_at = tps / (tps + fps)          # every threshold predicts at least one sample
    if tps[-1] == 0:
        warn_user(f"{fn}: there are no positive samples in y_true, so recall is undefined; "
                  f"it is set to 1 at every threshold", UndefinedMetricWarning)
        recall_at = np.ones(len(tps))
    else:
        recall_at = tps / tps[-1]
    return (np.r_[precision_at[::-1], 1.0], np.r_[recall_at[::-1], 0.0], thresholds[::-1])


def _binary_average_precision(is_positive: np.ndarray, scores: np.ndarray,
                              fn: str = "average_precision_score") -> float:
    """Σ (R_i - R_{i-1}) P_i over the thresholds: each step of recall weighted by the precision
    there, with no interpolation between the points."""
    precision_at, recall_at, _ = _precision_recall_points(fn, is_positive, scores)
    return float(-np.sum(np.diff(recall_at) * precision_at[:-1]))


def average_precision_score(y_true: Any, y_score: Any, *, pos_label: Any = None,
                            average: str = "macro") -> float:
    """The area under the precision-recall curve as a sum of steps: Σ (R_i - R_{i-1}) P_i, the
    precision at each threshold weighted by how much recall it adds. 1.0 ranks every positive
    above every negative; a random ranking scores about the share of positives.

    Binary: `y_score` is one score per sample; `pos_label` as in `roc_curve` (1 for labels
    0/1 or -1/1, else name it; scikit-learn's takes 1 whatever the labels). Multiclass: `y_score` is an (n, classes) array of scores, one
    column per sorted label (probabilities or logits: only their order counts), each class
    scored against the rest and averaged ("macro": plainly, "weighted": by class size). No
    positive samples: 0.0 with an UndefinedMetricWarning, as in scikit-learn. Declared like
    `roc_auc_score`, so `fit` and `evaluate` give it the model's outputs.

    >>> average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])   # (1/2)·1 + (1/2)·(2/3)
    0.8333333333333333
    """
    fn = "average_precision_score"
    if average not in ("macro", "weighted"):
        raise ValueError(f"{fn}: average must be 'macro' or 'weighted', got {average!r}")
    scores = _as_array(y_score)
    if scores.ndim == 2 and scores.shape[1] > 1:
        if pos_label is not None:
            raise ValueError(f"{fn}: pos_label={pos_label!r} has no meaning for multiclass "
                             f"scores of shape {scores.shape}: every class is scored in turn")
        y_true = _class_labels(fn, "y_true", y_true)
        return _one_vs_rest(fn, y_true, scores, np.unique(y_true), average,
                            _binary_average_precision)
    is_positive, scores = _binary_scores(fn, "average precision (of one score per sample)",
                                         y_true, scores, pos_label)
    return _binary_average_precision(is_positive, scores)


average_precision_score.higher_is_better = True     # type: ignore[attr-defined]
average_precision_score.on = "outputs"              # type: ignore[attr-defined]


# ----------------------------------------------------------------------------------------------
# Regression
# ----------------------------------------------------------------------------------------------

def _targets(fn: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Float64 arrays of shape (n, outputs); a 1-D target is one output, so (n,) and (n, 1)
    match (and never broadcast to (n, n))."""
    arrays = []
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        arr = _as_array(y)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(f"{fn}: {name} has shape {arr.shape}; expected (n,) or (n, outputs)")
        if arr.shape[0] == 0:
            raise ValueError(f"{fn}: {name} is empty; need at least one sample")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{fn}: {name} must be numbers, got dtype {arr.dtype}")
        _finite(fn, name, arr)
        arrays.append(arr.astype(np.float64))
    y_true, y_pred = arrays
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{fn}: y_true and y_pred have shapes {np.shape(y_true)} and "
                         f"{np.shape(y_pred)} (as (n, outputs)); they must match")
    return y_true, y_pred


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """The mean of (y_true - y_pred)², over samples and outputs.

    >>> mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.375
    """
    y_true, y_pred = _targets("mean_squared_error", y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def root_mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """The square root of the mean squared error, in the units of y. Several outputs, (n, k):
    each output's RMSE, then their plain mean (scikit-learn's "uniform_average"), which is
    not the root of `mean_squared_error` over all of them.

    >>> root_mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])   # √0.375
    0.6123724356957945
    >>> root_mean_squared_error([[0.0, 0.0], [0.0, 0.0]], [[3.0, 1.0], [3.0, 1.0]])  # (3 + 1) / 2
    2.0
    """
    y_true, y_pred = _targets("root_mean_squared_error", y_true, y_pred)
    return float(np.mean(np.sqrt(np.mean((y_true - y_pred) ** 2, axis=0))))


root_mean_squared_error.higher_is_better = False    # type: ignore[attr-defined]


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """The mean of |y_true - y_pred|, over samples and outputs.

    >>> mean_absolute_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.5
    """
    y_true, y_pred = _targets("mean_absolute_error", y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def r2_score(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination, 1 - SS_res / SS_tot: the fraction of the variance of y_true
    the predictions explain. 1.0 is perfect, 0.0 is as good as always predicting the mean, and it
    can be negative.

    Several outputs, (n, k), follow scikit-learn's default ("uniform_average"): each output
    (column) gets its own score, and the result is their plain mean. An output whose y_true is
    constant (SS_tot = 0) scores 1.0 if its predictions are exact, else 0.0. An output that is
    nearly constant (an image's corner pixel, lit in one image of 300) has a tiny SS_tot, so a
    small error there scores far below 0 and can drag the mean down to -1000 while every other
    output scores near 1: `fit` records no R² by default for several outputs. Fewer than two
    samples: NaN with an UndefinedMetricWarning.

    >>> r2_score([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.9486081370449679
    >>> r2_score([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]],     # (1 - 0.5 / 2 + 0.0) / 2: the
    ...          [[1.0, 5.0], [2.5, 5.0], [2.5, 4.0]])     # constant column, missed, scores 0
    0.375
    """
    fn = "r2_score"
    y_true, y_pred = _targets(fn, y_true, y_pred)
    if len(y_true) < 2:
        warn_user(f"{fn}: R² is not defined for fewer than two samples (got "
                  f"{len(y_true)}); returning NaN", UndefinedMetricWarning)
        return float("nan")
    # R² does not change when y_true and y_pred are scaled together, so each output is scaled
    # by powers of two (exact) until its numbers, then its deviations, are about 1 in size:
    # otherwise squares of 1e-200 underflow to 0 (SS_res = 0 reads as a perfect fit) and
    # squares of 1e200 overflow to inf (inf / inf is NaN)
    y_true, y_pred = _scaled_to_one((y_true, y_pred))
    residuals, deviations = _scaled_to_one((y_true - y_pred, y_true - y_true.mean(axis=0)))
    ss_res = np.sum(residuals ** 2, axis=0)
    ss_tot = np.sum(deviations ** 2, axis=0)
    # one score per output: the formula where SS_tot > 0; else 1.0 (exact) or 0.0 (not exact)
    scores = np.where(ss_res == 0, 1.0, 0.0)
    defined = ss_tot > 0
    scores[defined] = 1.0 - ss_res[defined] / ss_tot[defined]
    return float(np.mean(scores))


def _scaled_to_one(columns: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The (n, outputs) arrays, each output (column) of all of them multiplied by one power of
    two, so that the largest magnitude in it is in [0.5, 1); an output of zeros is left as it is.
    Multiplying by a power of two is exact (away from subnormals).

    >>> y, p = _scaled_to_one((np.array([[3.0], [-1.0]]), np.array([[0.0], [6.0]])))  # / 8
    >>> y.ravel(), p.ravel()
    (array([ 0.375, -0.125]), array([0.  , 0.75]))
    """
    largest = np.max([np.abs(c).max(axis=0) for c in columns], axis=0)
    _, exponent = np.frexp(largest)                      # largest = m · 2^exponent, m in [0.5, 1)
    return tuple(np.ldexp(c, -exponent) for c in columns)
