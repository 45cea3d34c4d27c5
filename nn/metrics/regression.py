"""Scores of predicted numbers: `mean_squared_error`, `root_mean_squared_error`,
`mean_absolute_error`, `mean_absolute_percentage_error`, `r2_score`, `explained_variance_score`.

Targets are (n,) or (n, outputs); several outputs are scored one by one and the scores averaged
plainly (scikit-learn's "uniform_average"). `sample_weight` weights the samples (the rows) in
each output's mean, as `np.average(..., weights=sample_weight)` does."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.warn import warn as warn_user

from .checks import UndefinedMetricWarning, _as_array, _finite, _sample_weight, _weighted_mean


def _targets(fn: str, y_true: Any, y_pred: Any, sample_weight: Any = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Float64 arrays of shape (n, outputs) and the checked weights; a 1-D target is one
    output, so (n,) and (n, 1) match (and never broadcast to (n, n))."""
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
    return y_true, y_pred, _sample_weight(fn, sample_weight, len(y_true))


def mean_squared_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The mean of (y_true - y_pred)², Σ w_i (y_i - ŷ_i)² / Σ w_i (each w_i = 1 without
    `sample_weight`); several outputs: each output's mean, then their plain mean.

    >>> mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.375
    >>> mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0],
    ...                    sample_weight=[1, 1, 2, 0])                   # (0.25 + 0.25) / 4
    0.125
    """
    y_true, y_pred, w = _targets("mean_squared_error", y_true, y_pred, sample_weight)
    return _mean_over_outputs((y_true - y_pred) ** 2, w)


mean_squared_error.higher_is_better = False  # type: ignore[attr-defined]


def root_mean_squared_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The square root of the mean squared error, √(Σ w_i (y_i - ŷ_i)² / Σ w_i), in the units
    of y. Several outputs, (n, k): each output's RMSE, then their plain mean (scikit-learn's
    "uniform_average"), which is not the root of `mean_squared_error` over all of them.

    >>> root_mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])   # √0.375
    0.6123724356957945
    >>> root_mean_squared_error([[0.0, 0.0], [0.0, 0.0]], [[3.0, 1.0], [3.0, 1.0]])  # (3 + 1) / 2
    2.0
    """
    y_true, y_pred, w = _targets("root_mean_squared_error", y_true, y_pred, sample_weight)
    return float(np.mean(np.sqrt(_weighted_mean((y_true - y_pred) ** 2, w, axis=0))))


root_mean_squared_error.higher_is_better = False  # type: ignore[attr-defined]


def mean_absolute_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The mean of |y_true - y_pred|, over samples and outputs (weighted as in
    `mean_squared_error`).

    >>> mean_absolute_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.5
    """
    y_true, y_pred, w = _targets("mean_absolute_error", y_true, y_pred, sample_weight)
    return _mean_over_outputs(np.abs(y_true - y_pred), w)


mean_absolute_error.higher_is_better = False  # type: ignore[attr-defined]


def _mean_over_outputs(errors: np.ndarray, w: np.ndarray | None) -> float:
    """The mean of per-sample errors (n, outputs): each output's mean over the samples,
    weighted by w, then the plain mean of the outputs. Without weights, the outputs having
    the same number of samples, that is the mean of all the numbers at once, summed so."""
    if w is None:
        return float(np.mean(errors))
    return float(np.mean(_weighted_mean(errors, w, axis=0)))


def mean_absolute_percentage_error(y_true: Any, y_pred: Any, *,
                                   sample_weight: Any = None) -> float:
    """The mean of |y_true - y_pred| / |y_true|: the error relative to the true value, as a
    fraction (0.25 is 25 %, not 25; scikit-learn's convention). Lower is better.

    Where y_true is 0 the division is by 2.2e-16 (float64's eps) instead, as in scikit-learn: no
    warning, no infinity, but a result of the order of 1e15 that says "a true value was 0".
    Relative error suits positive quantities far from 0 (prices, counts), not centred data.

    >>> mean_absolute_percentage_error([100.0, 50.0, 4.0], [110.0, 40.0, 4.0])  # (.1 + .2 + 0)/3
    0.10000000000000002
    """
    fn = "mean_absolute_percentage_error"
    y_true, y_pred, w = _targets(fn, y_true, y_pred, sample_weight)
    relative = np.abs(y_pred - y_true) / np.maximum(np.abs(y_true), np.finfo(np.float64).eps)
    return float(np.mean(_weighted_mean(relative, w, axis=0)))


mean_absolute_percentage_error.higher_is_better = False  # type: ignore[attr-defined]


def r2_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Coefficient of determination, 1 - SS_res / SS_tot with SS_res = Σ w_i (y_i - ŷ_i)² and
    SS_tot = Σ w_i (y_i - ȳ)²: the fraction of the variance of y_true the predictions explain.
    1.0 is perfect, 0.0 is as good as always predicting the mean ȳ, and it can be negative.

    Several outputs, (n, k), follow scikit-learn's default ("uniform_average"): each output
    (column) gets its own score, and the result is their plain mean. An output whose y_true is
    constant (SS_tot = 0) scores 1.0 if its predictions are exact, else 0.0. An output that is
    nearly constant (an image's corner pixel, lit in one image of 300) has a tiny SS_tot, so a
    small error there scores far below 0 and can drag the mean down to -1000 while every other
    output scores near 1: `fit` records no R² by default for several outputs. Fewer than two
    samples (rows, whatever their weights, as scikit-learn counts): NaN with an
    UndefinedMetricWarning. `sample_weight` weights each sample's square in both sums, and
    the mean of y_true that SS_tot is taken around.

    >>> r2_score([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.9486081370449679
    >>> r2_score([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]],     # (1 - 0.5 / 2 + 0.0) / 2: the
    ...          [[1.0, 5.0], [2.5, 5.0], [2.5, 4.0]])     # constant column, missed, scores 0
    0.375
    """
    fn = "r2_score"
    y_true, y_pred, w = _targets(fn, y_true, y_pred, sample_weight)
    if len(y_true) < 2:
        warn_user(f"{fn}: R² is not defined for fewer than two samples (got "
                  f"{len(y_true)}); returning NaN", UndefinedMetricWarning)
        return float("nan")
    # R² does not change when y_true and y_pred are scaled together, so each output is scaled
    # by powers of two (exact) until its numbers, then its deviations, are about 1 in size:
    # otherwise squares of 1e-200 underflow to 0 (SS_res = 0 reads as a perfect fit) and
    # squares of 1e200 overflow to inf (inf / inf is NaN). Nor does it change when the weights
    # are scaled, so they are too.
    y_true, y_pred = _scaled_to_one((y_true, y_pred))
    w = None if w is None else _scaled_to_one((w[:, None].astype(np.float64),))[0]
    mean = _weighted_mean(y_true, None if w is None else w[:, 0], axis=0)
    residuals, deviations = _scaled_to_one((y_true - y_pred, y_true - mean))

    def sum_of_squares(d: np.ndarray) -> np.ndarray:          # Σ w_i d_i² per output
        return np.sum(d ** 2 if w is None else w * d ** 2, axis=0)
    return float(np.mean(_explained(sum_of_squares(residuals), sum_of_squares(deviations))))


r2_score.higher_is_better = True  # type: ignore[attr-defined]


def _explained(unexplained: np.ndarray, total: np.ndarray) -> np.ndarray:
    """1 - unexplained / total per output; where total is 0 (a constant y_true), 1.0 if nothing
    is unexplained (exact predictions), else 0.0 (scikit-learn's force_finite)."""
    scores = np.where(unexplained == 0, 1.0, 0.0)
    defined = total > 0
    scores[defined] = 1.0 - unexplained[defined] / total[defined]
    return scores


def explained_variance_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """1 - Var(y_true - y_pred) / Var(y_true): the share of y_true's variance the predictions
    account for, *up to a constant offset*. It equals `r2_score` when the errors average 0; a
    model that is off by the same amount everywhere still scores 1.0 here, not in R², so report
    R² unless you mean that. An output with constant y_true scores 1.0 when the errors are
    constant too, else 0.0 (scikit-learn's force_finite); several outputs: the plain mean.

    >>> explained_variance_score([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])   # all 1 too high; R²: -0.5
    1.0
    >>> explained_variance_score([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.9571734475374732
    """
    fn = "explained_variance_score"
    y_true, y_pred, w = _targets(fn, y_true, y_pred, sample_weight)
    y_true, y_pred = _scaled_to_one((y_true, y_pred))          # as in r2_score
    errors = y_true - y_pred
    errors, deviations = _scaled_to_one((errors - _weighted_mean(errors, w, axis=0),
                                         y_true - _weighted_mean(y_true, w, axis=0)))
    return float(np.mean(_explained(_weighted_mean(errors ** 2, w, axis=0),
                                    _weighted_mean(deviations ** 2, w, axis=0))))


explained_variance_score.higher_is_better = True  # type: ignore[attr-defined]


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
