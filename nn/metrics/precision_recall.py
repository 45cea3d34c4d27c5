"""Precision, recall and F1 per class and averaged (binary, micro, macro, weighted), and
`classification_report`, their table; 0/0 follows scikit-learn's zero_division rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.warn import warn as warn_user

from .checks import (UndefinedMetricWarning, _encode, _equals, _label_pair, _labels,
                     _sample_weight)

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


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
                         labels: Any, zero_division: Any, warn_for: tuple[str, ...],
                         sample_weight: Any = None):
    """(precision, recall, f1, support): floats when averaged, per-label arrays for average=None.
    With `sample_weight` every count is a sum of weights (support too)."""
    y_true, y_pred = _label_pair(fn, y_true, y_pred)
    w = _sample_weight(fn, sample_weight, len(y_true))
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

    def count(idx, where):      # how many samples (or how much weight) each label has
        return np.bincount(idx[where], weights=None if w is None else w[where], minlength=n)

    true_sum = count(true_idx, true_idx >= 0)
    pred_sum = count(pred_idx, pred_idx >= 0)
    tp = count(true_idx, (true_idx == pred_idx) & (true_idx >= 0))
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


def precision(y_true: Any, y_pred: Any, *, labels: Any = None, pos_label: Any = 1,
              average: str | None = "binary", sample_weight: Any = None,
              zero_division: Any = "warn") -> float | np.ndarray:
    """Of the samples predicted as a class, the fraction that really are: TP / (TP + FP).

    average: "binary" scores only `pos_label`; "macro" is the plain mean over classes, "weighted"
    the mean weighted by each class's number of true samples, "micro" pools the counts of all
    classes first (equal to accuracy when every class is counted); None gives one score per label
    (in `labels` order, default sorted). No predicted samples: 0.0 and an UndefinedMetricWarning.
    `sample_weight`: each sample counts as its weight in TP, FP and FN (and in "weighted"'s
    class sizes); a weight of 2 is the sample twice.

    >>> precision([1, 1, 0, 0], [1, 0, 1, 1])
    0.3333333333333333
    >>> precision([0, 1, 2, 2], [0, 2, 2, 1], average=None)
    array([1. , 0. , 0.5])
    >>> precision([1, 1, 0, 0], [1, 0, 1, 1], sample_weight=[3, 1, 1, 0])   # 3 / (3 + 1)
    0.75
    """
    return _precision_recall_f1("precision", y_true, y_pred, average, pos_label, labels,
                                zero_division, ("precision",), sample_weight)[0]


precision.higher_is_better = True  # type: ignore[attr-defined]


def recall(y_true: Any, y_pred: Any, *, labels: Any = None, pos_label: Any = 1,
           average: str | None = "binary", sample_weight: Any = None,
           zero_division: Any = "warn") -> float | np.ndarray:
    """Of the samples of a class, the fraction predicted as it: TP / (TP + FN).

    Same arguments as `precision`. No true samples of the class: 0.0 and an UndefinedMetricWarning.

    >>> recall([1, 1, 0, 0], [1, 0, 1, 1])
    0.5
    """
    return _precision_recall_f1("recall", y_true, y_pred, average, pos_label, labels,
                                zero_division, ("recall",), sample_weight)[1]


recall.higher_is_better = True  # type: ignore[attr-defined]


precision_score, recall_score = precision, recall    # scikit-learn's names for them


def f1_score(y_true: Any, y_pred: Any, *, labels: Any = None, pos_label: Any = 1,
             average: str | None = "binary", sample_weight: Any = None,
             zero_division: Any = "warn") -> float | np.ndarray:
    """The harmonic mean of precision and recall: 2PR / (P + R) = 2TP / (2TP + FP + FN).

    Same arguments as `precision`. It is 0/0 only for a label that is neither true nor predicted.

    >>> f1_score([1, 1, 0, 0], [1, 0, 1, 1])          # P = 1/3, R = 1/2
    0.4
    """
    return _precision_recall_f1("f1_score", y_true, y_pred, average, pos_label, labels,
                                zero_division, ("f1",), sample_weight)[2]


f1_score.higher_is_better = True  # type: ignore[attr-defined]


def classification_report(y_true: Any, y_pred: Any, *, labels: Any = None,
                          target_names: Any = None, sample_weight: Any = None, digits: int = 2,
                          zero_division: Any = "warn") -> str:
    """A text table of precision, recall, F1 and support per class, then the averages.

    The layout is scikit-learn's: an "accuracy" line (micro average) when every label is
    reported, then "macro avg" and "weighted avg". `target_names` are printed instead of labels.
    With `sample_weight` the scores are weighted and the support is each class's total weight,
    printed as a float (scikit-learn prints it so, whole weights too).

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
    _sample_weight(fn, sample_weight, len(y_true))        # bad weights: before the names
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
                                            ("precision", "recall", "f1"), sample_weight)

    def scores(average):          # silent: the per-label scores above already warned
        return _precision_recall_f1(fn, y_true, y_pred, average, 1, labels, zero_division, (),
                                    sample_weight)

    # the support column is text: counts as ints, and with weights (whole or not) floats as
    # Python writes them, 3.0 or 2.5, as scikit-learn's report does
    support = support.astype(np.float64) if sample_weight is not None else support
    total = str(support.sum().item())
    width = max(max(len(name) for name in names), len("weighted avg"), digits)

    def line(name, *cells):       # a name column, then four right-aligned columns of 9
        text = [f"{cell:>9.{digits}f}" if isinstance(cell, float) else f"{cell:>9}"
                for cell in cells]
        return f"{name:>{width}} " + "".join(" " + cell for cell in text) + "\n"

    lines = [line("", "precision", "recall", "f1-score", "support"), "\n"]
    lines += [line(*cells) for cells in zip(names, p.tolist(), r.tolist(), f.tolist(),
                                             map(str, support.tolist()))]
    lines.append("\n")
    # micro precision = recall = F1 = accuracy, but only when no label is left out
    if np.all(np.isin(present, labels)):
        lines.append(line("accuracy", "", "", scores("micro")[2], total))
    else:
        lines.append(line("micro avg", *scores("micro")[:3], total))
    for average in ("macro", "weighted"):
        lines.append(line(f"{average} avg", *scores(average)[:3], total))
    return "".join(lines)
