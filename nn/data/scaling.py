"""Feature scaling: `StandardScaler` gives every column mean 0 and standard deviation 1.

Gradient descent takes one step size for all the weights; when one feature is in the
hundred-thousands (a house's price) and another near 1 (its number of floors), no step suits
both, and the descent zig-zags. Standardising each column, x := (x - mean) / std, puts them on
one footing. The mean and std come from the training rows only, and the same numbers are then
used on the validation and test rows (and on every row the model ever predicts for): statistics
that had seen the test rows would leak them into training.

>>> import numpy as np
>>> from nn.data import StandardScaler
>>> X_train = np.array([[1.0, 100.0, 5.0], [2.0, 300.0, 5.0], [3.0, 500.0, 5.0]])
>>> scaler = StandardScaler().fit(X_train)
>>> scaler.mean.tolist(), scaler.std.round(3).tolist()      # the constant column keeps std 1
([2.0, 300.0, 5.0], [0.816, 163.299, 1.0])
>>> scaler.transform(X_train).round(3)
array([[-1.225, -1.225,  0.   ],
       [ 0.   ,  0.   ,  0.   ],
       [ 1.225,  1.225,  0.   ]])
>>> scaler.transform(np.array([[2.0, 300.0, 7.0]]))         # a new row: the training numbers
array([[0., 0., 2.]])

A regression target is a 1-d array; `inverse_transform` turns the model's outputs (one per row,
as (n,) or (n, 1)) back into its units:

>>> prices = StandardScaler().fit(np.array([100_000.0, 200_000.0, 300_000.0]))
>>> prices.inverse_transform(np.array([[-1.0], [0.5]])).round().tolist()
[[118350.0], [240825.0]]
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd.tables import is_table

from .loader import _table_numbers, got_dtype

__all__ = ["StandardScaler"]


class StandardScaler:
    """Standardise columns: `transform(X)` is `(X - mean) / std`, with the mean and standard
    deviation of each column of the rows given to `fit` (the training rows only).

    - `std` is the population standard deviation (divided by n, as numpy's `X.std(axis=0)` and
      scikit-learn's StandardScaler compute it); both statistics are float64, computed in
      float64 even for float32 data (whose sum may overflow float32).
    - A constant column (every training value the same) has std 1: it is centred to 0 and left
      unscaled, since there is no spread to divide by. So has a column whose spread is only
      rounding error (std at most n · 2.2e-16 · |mean| for n rows, as for 0.3 next to
      0.1 * 3 = 0.30000000000000004): dividing by that std would turn a test value of 0.4
      into 4e15.
    - `X` is 2-d (rows, columns), or 1-d for a single quantity such as a regression target: then
      `mean` and `std` are single numbers, and `transform` and `inverse_transform` take (n,) or
      (n, 1) arrays (the outputs of a model with one output unit).
    - numpy arrays (or lists) give numpy arrays, Tensors give Tensors (part of the graph, so
      gradients flow through); float data keeps its dtype, integers become floats (float64 for
      numpy, the default dtype for Tensors).
    - `state_dict()` / `load_state_dict()` hold the two arrays, so `nn.save(scaler, path)` and
      `nn.save({"model": model, "scaler": scaler}, path)` keep it beside the weights, no pickle.

    scikit-learn calls `std` `scale_` and `mean` `mean_`; `glassgrad train` saves these same two
    arrays in its model file as `input_mean` and `input_std`.

    A pandas or polars DataFrame is read by its columns (one of text or dates is refused by name);
    `columns` keeps their names (scikit-learn's `feature_names_in_`), and `transform` of a
    DataFrame whose columns differ from them, or come in another order, is refused: its columns
    would be scaled by the statistics of others, silently (not kept by `state_dict`).

    >>> scaler = StandardScaler().fit(np.array([[1.0], [3.0]]))        # mean 2, std 1
    >>> scaler.mean.tolist(), scaler.std.tolist(), scaler.transform(np.array([[5.0]])).tolist()
    ([2.0], [1.0], [[3.0]])
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None       # float64: one per column, or 0-d for 1-d data
        self.std: np.ndarray | None = None
        self.columns: list | None = None          # a DataFrame's column names, from fit

    def fit(self, X: Any) -> StandardScaler:
        """Learn each column's mean and standard deviation from the training rows `X`; returns
        the scaler, so `StandardScaler().fit(X_train)` reads as one step."""
        data = _numbers("StandardScaler.fit", X)
        if data.ndim not in (1, 2):
            hint = "; flatten images first: X.reshape(len(X), -1)" if data.ndim > 2 else ""
            raise ValueError(f"StandardScaler.fit: X must be 2-d (rows, columns) or 1-d (one "
                             f"value per row, such as regression targets), got shape "
                             f"{data.shape}{hint}")
        if data.size == 0:
            raise ValueError(f"StandardScaler.fit: X is empty (shape {data.shape}); it needs at "
                             f"least one row and one column")
        _check_finite("StandardScaler.fit", data)
        if data.dtype.kind != "f":
            data = data.astype(np.float64)
        # numpy's float64 overflow (values near 1e308) is reported by _check_statistics instead
        with np.errstate(over="ignore", invalid="ignore"):
            mean = data.mean(axis=0, dtype=np.float64)
            std = data.std(axis=0, dtype=np.float64)
        _check_statistics(mean, std, data)
        lowest = data.min(axis=0)
        # a constant column: its one value is its mean (the float64 sum of 0.1 three times,
        # divided by 3, is 0.10000000000000002, whose std would come out as 1.4e-17, not 0);
        # a spread no larger than the rounding error of summing n values is no spread either
        rounding = len(data) * np.finfo(np.float64).eps * np.abs(mean)
        constant = (data.max(axis=0) == lowest) | (std <= rounding)
        self.mean = np.where(constant, lowest, mean).astype(np.float64)
        self.std = np.where(constant, 1.0, std)
        self.columns = list(X.columns) if is_table(X) and hasattr(X, "columns") else None
        return self

    def transform(self, X: Any) -> Any:
        """`(X - mean) / std`, column by column, with the statistics of the training rows."""
        data, dtype = self._fitting_input("transform", X)
        self._check_columns(X)
        return (data - self.mean.astype(dtype)) / self.std.astype(dtype)

    def _check_columns(self, X: Any) -> None:
        """A DataFrame to transform has the fitted DataFrame's columns, in their order."""
        if self.columns is None or not (is_table(X) and hasattr(X, "columns")):
            return
        given = list(X.columns)
        if given == self.columns:
            return
        if sorted(map(str, given)) == sorted(map(str, self.columns)):
            problem = "the same columns in another order"
        else:
            absent = [c for c in self.columns if c not in given]
            extra = [c for c in given if c not in self.columns]
            problem = "; ".join(part for part in (
                f"no column {', '.join(map(repr, absent))}" if absent else "",
                f"a column {', '.join(map(repr, extra))} it was not fitted on" if extra else "")
                if part)
        fitted = ", ".join(map(repr, self.columns[:8])) + (", ..." if len(self.columns) > 8
                                                           else "")
        raise ValueError(f"StandardScaler.transform: X's columns are not those of the "
                         f"DataFrame the scaler was fitted on ({fitted}): {problem}, so columns "
                         f"would be scaled by others' statistics; select them as fitted: "
                         f"X[scaler.columns]")

    def fit_transform(self, X: Any) -> Any:
        """`fit(X)`, then `transform(X)`: the training rows, standardised."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> Any:
        """`X * std + mean`: standardised values back in the units of the training data (a
        regression model's outputs, when the scaler was fitted on its targets)."""
        data, dtype = self._fitting_input("inverse_transform", X)
        return data * self.std.astype(dtype) + self.mean.astype(dtype)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The statistics as plain float64 arrays: {"mean": ..., "std": ...}."""
        self._require_fitted("state_dict")
        return {"mean": self.mean.copy(), "std": self.std.copy()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Take the statistics of `state_dict()` (from `nn.load`, say), checked: two finite
        arrays of one shape, the stds above 0."""
        where = "StandardScaler.load_state_dict"
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"mean", "std"}:
            got = sorted(state_dict) if isinstance(state_dict, Mapping) else \
                type(state_dict).__name__
            raise ValueError(f"{where}: expected a dict with the keys 'mean' and 'std' (a "
                             f"StandardScaler's state_dict()), got {got}")
        mean, std = (_numbers(f"{where}: {key!r}", state_dict[key]) for key in ("mean", "std"))
        if mean.shape != std.shape or mean.ndim > 1 or mean.size == 0:
            raise ValueError(f"{where}: 'mean' and 'std' must have one value per column (one "
                             f"shape, 1-d, or 0-d for 1-d data), got shapes {mean.shape} and "
                             f"{std.shape}")
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise ValueError(f"{where}: 'mean' must be finite and 'std' finite and above 0 (1 "
                             f"for a constant column), got mean {mean} and std {std}")
        self.mean, self.std = mean.astype(np.float64), std.astype(np.float64)

    def __repr__(self) -> str:
        if self.mean is None:
            return "StandardScaler(not fitted)"
        what = "1-d values" if self.mean.ndim == 0 else f"{self.mean.size} columns"
        return f"StandardScaler({what}, mean={_short(self.mean)}, std={_short(self.std)})"

    def _require_fitted(self, method: str) -> None:
        if self.mean is None:
            raise RuntimeError(f"StandardScaler.{method}: the scaler is not fitted yet; call "
                               f"fit(X_train) first (or fit_transform), then transform the "
                               f"other rows with the same statistics")

    def _fitting_input(self, method: str, X: Any) -> tuple[Any, np.dtype]:
        """`X` checked against the fitted statistics, and the float dtype to compute in: the
        numpy array (or the Tensor, kept for its graph) and its floating dtype."""
        self._require_fitted(method)
        where = f"StandardScaler.{method}"
        data = _numbers(where, X)
        if self.mean.ndim == 0:
            if not (data.ndim == 1 or (data.ndim == 2 and data.shape[1] == 1)):
                raise ValueError(f"{where}: the scaler was fitted on 1-d values (one per row, "
                                 f"such as regression targets); expected shape (n,) or (n, 1), "
                                 f"got {data.shape}")
        elif data.ndim != 2 or data.shape[1] != self.mean.size:
            got = f"{data.shape[1]} columns" if data.ndim == 2 else f"shape {data.shape}"
            raise ValueError(f"{where}: X has {got}, but the scaler was fitted on "
                             f"{self.mean.size} columns; expected rows of shape (n, "
                             f"{self.mean.size}), the training data's columns in their order")
        _check_finite(where, data)
        tensor = isinstance(X, Tensor)
        dtype = data.dtype if data.dtype.kind == "f" else \
            (get_default_dtype() if tensor else np.dtype(np.float64))
        if not tensor:
            return data.astype(dtype, copy=False), dtype
        return (X if X.dtype == dtype else X.astype(dtype)), dtype


def _numbers(where: str, X: Any) -> np.ndarray:
    """The numbers of `X` (an array, a Tensor, nested lists) as a numpy array, or a TypeError
    when they are not numbers."""
    if is_table(X):             # by its columns: a text column or NaN named (loader.py)
        return _table_numbers(where, "X", X)
    try:
        data = X.data if isinstance(X, Tensor) else np.asarray(X)
    except ValueError as err:                 # ragged nested lists
        raise ValueError(f"{where}: X must be rectangular ({err})") from None
    if data.dtype.kind not in "biuf":
        hint = "; convert text columns to numbers first" if data.dtype.kind in "USO" else ""
        raise TypeError(f"{where}: X must hold numbers, {got_dtype('X', data.dtype)}{hint}")
    return data


def _check_finite(where: str, data: np.ndarray) -> None:
    """NaN or infinity is refused where it enters, naming the first column that holds it and
    the row: its mean would be NaN, and every transformed value in the column with it."""
    if data.dtype.kind != "f":
        return
    bad = ~np.isfinite(data)
    if not bad.any():
        return
    count = int(bad.sum())
    more = f"; {count} non-finite values in all" if count > 1 else ""
    if data.ndim == 2:
        column = int(np.argmax(bad.any(axis=0)))
        row = int(np.argmax(bad[:, column]))
        place = f"column {column} holds {data[row, column]} (row {row}{more})"
    else:                                                   # 1-d: one value per row
        row = int(np.argmax(bad))
        place = f"X holds {data[row]} (row {row}{more})"
    raise ValueError(f"{where}: {place}; remove or fill those rows first")


def _check_statistics(mean: np.ndarray, std: np.ndarray, data: np.ndarray) -> None:
    """Values so large (near 1e308) that their float64 mean or spread overflows are refused,
    naming the column: every transformed value would be 0 or NaN."""
    bad = ~(np.isfinite(mean) & np.isfinite(std))
    if bad.any():
        column = int(np.argmax(bad)) if bad.ndim else None
        values = data[:, column] if column is not None else data
        place = f"column {column}" if column is not None else "X"
        raise ValueError(f"StandardScaler.fit: {place} has values as large as "
                         f"{np.abs(values).max():.3g}, whose mean or standard deviation "
                         f"overflows float64; divide it by a power of ten first")


def _short(array: np.ndarray) -> str:
    """A statistic for the repr: "2.5" for 1-d data, else "[1, 0.5, ..., 3]" (at most six
    numbers, four significant digits)."""
    if array.ndim == 0:
        return f"{array:.4g}"
    numbers = [f"{v:.4g}" for v in array]
    if len(numbers) > 6:
        numbers = numbers[:3] + ["..."] + numbers[-3:]
    return f"[{', '.join(numbers)}]"
