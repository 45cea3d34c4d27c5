"""Metrics of scores that rank the samples, at every threshold at once: `roc_curve`,
`roc_auc_score`, `precision_recall_curve`, `average_precision_score`.

With `sample_weight`, a sample adds its weight instead of 1 to the counts of true and false
positives, and a sample of weight 0 is left out, its score too (no threshold of its own), as in
scikit-learn; so an integer weight w is the sample repeated w times."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd.warn import warn as warn_user

from .checks import (UndefinedMetricWarning, _as_array, _class_labels, _column, _encode, _equals,
                     _finite, _is_text, _same_length, _sample_weight)


# ----------------------------------------------------------------------------------------------
# ROC curve and the area under it
# ----------------------------------------------------------------------------------------------

def _score_column(fn: str, y_score: Any) -> np.ndarray:
    scores = _column(fn, "y_score", y_score,
                     hint=" of scores for the positive class (for two-class probabilities of "
                          "shape (n, 2) pass probs[:, 1])")
    _finite(fn, "y_score", scores)
    return scores.astype(np.float64)


def _roc_points(is_positive: np.ndarray, scores: np.ndarray, w: np.ndarray | None = None):
    """False and true positive counts (sums of weights) at each distinct score used as a
    threshold (descending). Samples of weight 0 must have been left out."""
    order = np.argsort(scores, kind="stable")[::-1]
    scores, is_positive = scores[order], is_positive[order]
    # a threshold sits at the last sample of each run of equal scores: ties move together
    last_of_run = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    if w is None:
        tps = np.cumsum(is_positive)[last_of_run]
        fps = last_of_run + 1 - tps
    else:
        w = w[order]
        tps = np.cumsum(np.where(is_positive, w, 0))[last_of_run]
        fps = np.cumsum(np.where(is_positive, 0, w))[last_of_run]
    return fps, tps, scores[last_of_run]


def _weighted_only(is_positive: np.ndarray, scores: np.ndarray, w: np.ndarray | None):
    """The samples of positive weight (all of them without weights)."""
    if w is None:
        return is_positive, scores, None
    kept = w > 0
    return is_positive[kept], scores[kept], w[kept]


def roc_curve(y_true: Any, y_score: Any, pos_label: Any = None, *, sample_weight: Any = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False positive rates, true positive rates and the thresholds that give them.

    `pos_label` is the positive class; left out, it is 1 for labels 0/1 (or -1/1, or booleans),
    and other labels (1/2, "cat"/"dog") must name it, as in scikit-learn: reading 1 of 1/2 as
    positive would give the curve of the other class than `roc_auc_score`'s (the larger label).

    Predicting "positive" when score >= thresholds[i] gives the rates fpr[i], tpr[i]. The first
    threshold is +inf (nothing predicted positive: the point (0, 0)); thresholds decrease to the
    smallest score (everything positive: (1, 1)). Points on a straight segment between two others
    are dropped, as in scikit-learn (drop_intermediate=True): the curve and its area are the same.
    `sample_weight`: rates of weight instead of counts; a sample of weight 0 is left out.

    >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr
    array([0. , 0. , 0.5, 0.5, 1. ])
    >>> tpr
    array([0. , 0.5, 0.5, 1. , 1. ])
    >>> thresholds
    array([ inf, 0.8 , 0.4 , 0.35, 0.1 ])
    >>> roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], sample_weight=[1, 0, 2, 1])[1]
    array([0.        , 0.33333333, 1.        , 1.        ])
    """
    fn = "roc_curve"
    is_positive, scores, w = _binary_scores(fn, "a ROC curve", y_true, y_score, pos_label,
                                            sample_weight)
    fps, tps, thresholds = _roc_points(is_positive, scores, w)
    if len(fps) > 2:
        # keep a point only where the curve bends (second difference non-zero) and the ends
        bends = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
        fps, tps, thresholds = fps[bends], tps[bends], thresholds[bends]
    fps, tps, thresholds = np.r_[0, fps], np.r_[0, tps], np.r_[np.inf, thresholds]
    return (_rate(fn, fps, "negative", "false"), _rate(fn, tps, "positive", "true"), thresholds)


def _binary_scores(fn: str, what: str, y_true: Any, y_score: Any, pos_label: Any,
                   sample_weight: Any = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(is_positive, scores, weights) of a two-class curve's input, checked, samples of weight
    0 left out; `what` names the curve."""
    y_true = _class_labels(fn, "y_true", y_true)
    scores = _score_column(fn, y_score)
    _same_length(fn, ("y_true", "y_score"), y_true, scores)
    w = _sample_weight(fn, sample_weight, len(y_true))
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
    return _weighted_only(is_positive, scores, w)


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


def _binary_auc(is_positive: np.ndarray, scores: np.ndarray,
                w: np.ndarray | None = None) -> float:
    """Trapezoid area under the ROC curve: the chance that a random positive outscores a random
    negative, ties counting one half (pairs weighted by the product of their weights)."""
    fps, tps, _ = _roc_points(*_weighted_only(is_positive, scores, w))
    fpr, tpr = np.r_[0, fps] / fps[-1], np.r_[0, tps] / tps[-1]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def roc_auc_score(y_true: Any, y_score: Any, *, average: str = "macro",
                  sample_weight: Any = None) -> float:
    """Area under the ROC curve, P(s⁺ > s⁻) + ½ P(s⁺ = s⁻) for the scores of a random positive
    and a random negative: 1.0 ranks every positive above every negative, 0.5 is chance.

    Binary: `y_score` is one score per sample for the positive class, which is the larger of the
    two labels (scikit-learn's rule). Multiclass: `y_score` is an (n, classes) array of
    probabilities (rows sum to 1; softmax your logits) with one column per sorted label; each
    class is scored against the rest and the AUCs are averaged ("macro": plainly, "weighted": by
    class size; binary input has one AUC, so either gives it). Only one class in y_true:
    ValueError, as AUC needs both kinds of sample. In `fit` and `evaluate`
    (`metrics=[roc_auc_score]`) it scores the model's class probabilities (σ or softmax of
    its logits; a two-class margin loss's own scores), not its predicted labels.
    `sample_weight` weights the curve (see `roc_curve`) and the class sizes of "weighted"; a
    class whose samples all weigh 0 is an error, as a class that is not there.

    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])     # 3 of 4 pairs ordered correctly
    0.75
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], sample_weight=[1, 0, 1, 1])
    1.0
    """
    fn = "roc_auc_score"
    if average not in ("macro", "weighted"):   # for binary input too: a typo is not ignored
        raise ValueError(f"{fn}: average must be 'macro' or 'weighted', got {average!r}")
    y_true = _class_labels(fn, "y_true", y_true)
    scores = _as_array(y_score)
    w = _sample_weight(fn, sample_weight, len(y_true))
    classes = np.unique(y_true)
    if len(classes) < 2:
        raise ValueError(f"{fn}: only one class ({classes[0].item()!r}) is present in y_true; "
                         f"ROC AUC is not defined then (it compares positives with negatives)")
    if w is not None:
        weight_of = np.bincount(_encode(y_true, classes), weights=w, minlength=len(classes))
        if np.any(weight_of == 0):
            raise ValueError(f"{fn}: every sample of class {classes[weight_of == 0][0].item()!r}"
                             f" has weight 0, so the class counts as absent; ROC AUC needs "
                             f"samples of every class (positives and negatives)")
    if scores.ndim == 2 and scores.shape[1] > 1:
        return _one_vs_rest(fn, y_true, scores, classes, average, _binary_auc, w,
                            probabilities=True)
    if len(classes) > 2:
        raise ValueError(f"{fn}: y_true has {len(classes)} classes but y_score has shape "
                         f"{scores.shape}; for multiclass AUC pass probabilities of shape "
                         f"({len(y_true)}, {len(classes)})")
    scores = _score_column(fn, scores)
    _same_length(fn, ("y_true", "y_score"), y_true, scores)
    return _binary_auc(y_true == classes[1], scores, w)


# fit, evaluate and GridSearch give it the scores it ranks, the model's class probabilities
# (nn.scoring): given the predicted 0/1 labels it would be the area of a two-step curve,
# another and smaller number
roc_auc_score.higher_is_better = True  # type: ignore[attr-defined]
roc_auc_score.on = "scores"    # type: ignore[attr-defined]


def _one_vs_rest(fn: str, y_true: np.ndarray, probs: np.ndarray, classes: np.ndarray,
                 average: str, binary_score: Callable[..., float], w: np.ndarray | None,
                 probabilities: bool = False) -> float:
    """Each class (column k of `probs`) scored against the rest, then averaged: "macro"
    plainly, "weighted" by each class's number of true samples (total weight). `probabilities`:
    rows must sum to 1 (multiclass AUC's rule, scikit-learn's)."""
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
    scores = np.array([binary_score(_equals(y_true, c), probs[:, k], w)
                       for k, c in enumerate(classes)])
    weights = None if average == "macro" else np.bincount(_encode(y_true, classes), weights=w)
    return float(np.average(scores, weights=weights))


# ----------------------------------------------------------------------------------------------
# The precision-recall curve and average precision
# ----------------------------------------------------------------------------------------------

def precision_recall_curve(y_true: Any, y_score: Any, pos_label: Any = None, *,
                           sample_weight: Any = None
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall of predicting "positive" when score >= each threshold.

    `thresholds` are the distinct scores, increasing; precision[i] and recall[i] are those at
    thresholds[i], and a last point (precision 1, recall 0: nothing predicted positive) ends
    the arrays, so they have one entry more (scikit-learn's layout). Tied scores move
    together. `pos_label` as in `roc_curve`. No positive samples: recall is 1 everywhere (as
    in scikit-learn), with an UndefinedMetricWarning. `sample_weight`: as in `roc_curve`.

    >>> p, r, thresholds = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> p
    array([0.5       , 0.66666667, 0.5       , 1.        , 1.        ])
    >>> r
    array([1. , 1. , 0.5, 0.5, 0. ])
    >>> thresholds
    array([0.1 , 0.35, 0.4 , 0.8 ])
    """
    fn = "precision_recall_curve"
    return _precision_recall_points(fn, *_binary_scores(fn, "a precision-recall curve", y_true,
                                                        y_score, pos_label, sample_weight))


def _precision_recall_points(fn: str, is_positive: np.ndarray, scores: np.ndarray,
                             w: np.ndarray | None = None
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fps, tps, thresholds = _roc_points(is_positive, scores, w)
    precision_at = tps / (tps + fps)          # every threshold predicts some weight
    if tps[-1] == 0:
        warn_user(f"{fn}: there are no positive samples in y_true, so recall is undefined; "
                  f"it is set to 1 at every threshold", UndefinedMetricWarning)
        recall_at = np.ones(len(tps))
    else:
        recall_at = tps / tps[-1]
    return (np.r_[precision_at[::-1], 1.0], np.r_[recall_at[::-1], 0.0], thresholds[::-1])


def _binary_average_precision(is_positive: np.ndarray, scores: np.ndarray,
                              w: np.ndarray | None = None) -> float:
    """Σ (R_i - R_{i-1}) P_i over the thresholds: each step of recall weighted by the precision
    there, with no interpolation between the points."""
    precision_at, recall_at, _ = _precision_recall_points(
        "average_precision_score", *_weighted_only(is_positive, scores, w))
    return float(-np.sum(np.diff(recall_at) * precision_at[:-1]))


def average_precision_score(y_true: Any, y_score: Any, *, average: str = "macro",
                            pos_label: Any = None, sample_weight: Any = None) -> float:
    """The area under the precision-recall curve as a sum of steps: Σ (R_i - R_{i-1}) P_i, the
    precision at each threshold weighted by how much recall it adds. 1.0 ranks every positive
    above every negative; a random ranking scores about the share of positives.

    Binary: `y_score` is one score per sample; `pos_label` as in `roc_curve` (1 for labels
    0/1 or -1/1, else name it; scikit-learn's takes 1 whatever the labels). Multiclass:
    `y_score` is an (n, classes) array of scores, one column per sorted label (probabilities or
    logits: only their order counts), each class scored against the rest and averaged
    ("macro": plainly, "weighted": by class size). No positive samples: 0.0 with an
    UndefinedMetricWarning, as in scikit-learn. `sample_weight`: as in `roc_curve`, and the
    class sizes of "weighted". Declared like `roc_auc_score`, so `fit` and `evaluate` give it
    the model's class probabilities.

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
        w = _sample_weight(fn, sample_weight, len(y_true))
        return _one_vs_rest(fn, y_true, scores, np.unique(y_true), average,
                            _binary_average_precision, w)
    return _binary_average_precision(*_binary_scores(
        fn, "average precision (of one score per sample)", y_true, scores, pos_label,
        sample_weight))


average_precision_score.higher_is_better = True  # type: ignore[attr-defined]
average_precision_score.on = "scores"    # type: ignore[attr-defined]
