"""Scores of predicted numbers: `mean_squared_error`, `root_mean_squared_error`,
`mean_absolute_error`, `r2_score`. Targets are (n,) or (n, outputs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.warn import warn as warn_user

from .checks import UndefinedMetricWarning, _as_array, _finite


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
