"""Metrics of per-class probabilities or scores, not of predicted labels: `log_loss` (how much
probability the model gave the true class) and `top_k_accuracy_score` (is the true class among
its k highest scores)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.warn import warn as warn_user

from .checks import (UndefinedMetricWarning, _as_array, _class_labels, _encode, _finite,
                     _given_labels, _same_length, _sample_weight, _weighted_count,
                     _weighted_mean)


def _score_rows(fn: str, name: str, y_score: Any) -> np.ndarray:
    """Scores as an (n,) column (one per sample, an (n, 1) one flattened) or an (n, classes)
    array, checked to be finite numbers."""
    scores = _as_array(y_score)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim not in (1, 2):
        raise ValueError(f"{fn}: {name} has shape {scores.shape}; expected (n,) for two classes "
                         f"or (n, classes)")
    if scores.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be numbers, got dtype {scores.dtype}")
    if len(scores) == 0:
        raise ValueError(f"{fn}: {name} is empty; need at least one sample")
    _finite(fn, name, scores)
    return scores


def _classes(fn: str, y_true: np.ndarray, labels: Any, scores: np.ndarray, name: str
             ) -> np.ndarray:
    """The classes the columns of `scores` (called `name`) stand for: labels= (sorted), or
    those of y_true; every label of y_true must be one of them, and there must be one per
    column (two for one score per sample)."""
    columns = 2 if scores.ndim == 1 else scores.shape[1]
    if labels is None:
        classes = np.unique(y_true)
    else:
        classes = _given_labels(fn, labels, sorted_for=name)
        unknown = np.unique(y_true[_encode(y_true, classes) < 0])
        if len(unknown):
            raise ValueError(f"{fn}: y_true holds labels {unknown.tolist()} that are not in "
                             f"labels {classes.tolist()}")
    found = "labels" if labels is not None else "classes found in y_true"
    if len(classes) < 2:
        raise ValueError(f"{fn}: there is one class only ({found}: {classes.tolist()}); pass "
                         f"labels= all the classes, one per column of {name}")
    if len(classes) != columns:
        has = (f"one score per sample, shape {scores.shape}, which is for two classes,"
               if scores.ndim == 1 else f"{columns} columns")
        raise ValueError(f"{fn}: {name} has {has} but there are {len(classes)} {found}, "
                         f"{classes.tolist()}; need one column per class, in sorted order "
                         f"(if y_true lacks some classes, pass labels= all of them)")
    return classes


def log_loss(y_true: Any, y_pred: Any, *, normalize: bool = True, sample_weight: Any = None,
             labels: Any = None) -> float:
    """The mean of -log(probability given to the true class), -Σ w_i log p_i[y_i] / Σ w_i:
    cross-entropy, the loss of logistic and softmax regression, as a score of predicted
    probabilities. Lower is better;
    1.0 on the true class everywhere scores 0, and always saying 1/k of k classes scores log k.

    `y_pred` is probabilities, not logits: (n, classes), a column per label in sorted order
    (a model's `predict_proba`; softmax logits first), or for two classes (n,), the
    probability of the larger label. Values outside [0, 1] are an error; rows that do not sum
    to 1 give a UserWarning and are used as they are (scikit-learn's rules). A probability of
    exactly 0 for the true class would cost infinity: every probability is first clipped to
    [eps, 1 - eps] with eps the machine epsilon of y_pred's dtype (2.2e-16 for float64,
    1.2e-7 for float32), as scikit-learn does since eps= was removed, so one certain mistake
    costs -log(eps) ≈ 36.04 (float64) or 15.94 (float32), not inf.

    `labels` lists every class when y_true lacks some (sorted, one per column); y_true with
    one class needs it. `normalize=False` gives the sum instead of the mean; `sample_weight`
    weights each sample's term. As a metric of `fit` or `evaluate` it is given the
    probabilities the model's outputs stand for (σ of logits, softmax of a row: see
    `nn.scoring`), and labels= the model's classes.

    >>> log_loss([0, 1, 1], [0.2, 0.7, 0.4])           # -(log .8 + log .7 + log .4) / 3
    0.49870307570903244
    >>> log_loss(["ham", "spam"], [[0.9, 0.1], [0.25, 0.75]])   # -(log .9 + log .75) / 2
    0.1965212940548036
    """
    fn = "log_loss"
    y_true = _class_labels(fn, "y_true", y_true)
    probs = _score_rows(fn, "y_pred", y_pred)
    _same_length(fn, ("y_true", "y_pred"), y_true, probs)
    w = _sample_weight(fn, sample_weight, len(y_true))
    eps = np.finfo(probs.dtype if probs.dtype.kind == "f" else np.float64).eps
    probs = probs.astype(np.float64)
    for bad, word, value in ((probs < 0, "below 0", probs.min()),
                             (probs > 1, "above 1", probs.max())):
        if np.any(bad):
            raise ValueError(f"{fn}: y_pred holds values {word} such as {value}; it takes "
                             f"probabilities (apply sigmoid or softmax to logits first)")
    classes = _classes(fn, y_true, labels, probs, "y_pred")
    if probs.ndim == 1:
        probs = np.stack([1 - probs, probs], axis=1)
    sums = probs.sum(axis=1)
    off = ~np.isclose(sums, 1.0, rtol=np.sqrt(eps), atol=0)
    if np.any(off):
        warn_user(f"{fn}: the rows of y_pred do not sum to 1 (row {np.argmax(off)} sums to "
                  f"{sums[off][0]:.6g}); pass probabilities, e.g. the softmax of the logits",
                  UserWarning)
    true_prob = np.clip(probs[np.arange(len(probs)), _encode(y_true, classes)], eps, 1 - eps)
    losses = -np.log(true_prob)
    if not normalize:
        return float(np.sum(losses) if w is None else np.sum(w * losses))
    return float(_weighted_mean(losses, w))


log_loss.higher_is_better = False  # type: ignore[attr-defined]
log_loss.on = "probabilities"  # type: ignore[attr-defined]


def top_k_accuracy_score(y_true: Any, y_score: Any, *, k: int = 2, normalize: bool = True,
                         sample_weight: Any = None, labels: Any = None) -> float:
    """The fraction of samples whose true class is among the `k` classes with the highest
    scores, Σ w_i [y_i ∈ top-k of s_i] / Σ w_i (probabilities or logits: only their order
    counts); k=1 is accuracy of the arg-max. `normalize=False` gives the numerator.

    `y_score` is (n, classes), one column per label in sorted order (`labels` lists them when
    y_true lacks some). Equal scores are ranked as scikit-learn ranks them: the later column
    first. For two classes y_score may be (n,), the larger label's score: with k=1 a sample is
    predicted positive above 0.5 when every score is in [0, 1], else above 0. When k covers
    every class the score is 1.0, with an UndefinedMetricWarning, as in scikit-learn.

    >>> scores = [[0.5, 0.2, 0.3], [0.3, 0.4, 0.3], [0.2, 0.4, 0.4], [0.7, 0.2, 0.1]]
    >>> top_k_accuracy_score([0, 1, 2, 2], scores, k=2)        # the last one's 2 comes third
    0.75
    >>> top_k_accuracy_score([0, 1, 2, 2], scores, k=1)        # row 2: the tie goes to column 2
    0.75
    """
    fn = "top_k_accuracy_score"
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{fn}: k must be a whole number >= 1, got {k!r}")
    y_true = _class_labels(fn, "y_true", y_true)
    scores = _score_rows(fn, "y_score", y_score)
    _same_length(fn, ("y_true", "y_score"), y_true, scores)
    w = _sample_weight(fn, sample_weight, len(y_true))
    classes = _classes(fn, y_true, labels, scores, "y_score")
    columns = len(classes)
    true_idx = _encode(y_true, classes)
    if k >= columns:
        warn_user(f"{fn}: k={k} covers all {columns} classes, so every sample counts as right "
                  f"and the score (1.0) says nothing; choose k < {columns}",
                  UndefinedMetricWarning)
        hits = np.ones(len(y_true), dtype=bool)
    elif scores.ndim == 1:                   # k = 1 of two classes: a threshold on the score
        threshold = 0.5 if np.all((scores >= 0) & (scores <= 1)) else 0.0
        hits = (scores > threshold) == (true_idx == 1)
    else:
        # a stable sort, reversed: of equal scores the later column ranks higher (sklearn's)
        top = np.argsort(scores, axis=1, kind="stable")[:, ::-1][:, :k]
        hits = np.any(top == true_idx[:, None], axis=1)
    if not normalize:
        return _weighted_count(hits, w)
    return float(_weighted_mean(hits, w))


top_k_accuracy_score.higher_is_better = True  # type: ignore[attr-defined]
top_k_accuracy_score.on = "scores"   # type: ignore[attr-defined]
