"""pandas' and polars' DataFrames and Series as numpy arrays, the one place where tables become
numbers (Tensor(df), the DataLoader, fit, the scaler and the metrics all come here). Neither
library is imported: a table is anything with `to_numpy` and a `dtype` (a Series) or `dtypes`
(a DataFrame), read by its columns' dtypes; a polars one (known by its type's module) is read
by tables_polars.py, by the same rules, and its refusals say what to write in polars.

numpy's own reading, `np.asarray(df)`, is what goes wrong: a table whose columns differ in type
(an int column beside a bool one, as `pd.get_dummies` gives, or a nullable Int64) becomes an
array of Python objects that no op takes, and a text or date column is reported as "dtype
object" without its name. Here numeric columns (bool, int, float, the nullable Int64 / Float64 /
boolean, categories of numbers) make one array of their common dtype, a missing value in a
nullable column becoming NaN (as in a float column); any other column is refused, by name,
with what to write instead. The array is always new: changing a Tensor made from a DataFrame
in place leaves the DataFrame as it was (pandas' arrays may be read-only views).

>>> class Column:                   # (a stand-in for a pandas Series)
...     dtype, name = np.dtype("<U5"), "city"
...     def to_numpy(self, dtype=None, copy=False): return np.array(["Paris", "Lyon"])
>>> table_array("Tensor", Column())
Traceback (most recent call last):
TypeError: Tensor: the Series 'city' holds text (such as 'Paris'), not numbers: encode it ...
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def is_table(data: Any) -> bool:
    """Whether `data` is a pandas or polars DataFrame or Series (or anything shaped like one),
    or a polars LazyFrame (which table_array refuses, saying to collect it)."""
    return (not isinstance(data, np.ndarray) and hasattr(data, "to_numpy")
            and (hasattr(data, "dtypes") or hasattr(data, "dtype"))) or _is_lazy_frame(data)


def _is_lazy_frame(data: Any) -> bool:
    """Whether `data` is a polars LazyFrame: a query whose rows are not computed yet."""
    return type(data).__name__ == "LazyFrame" and is_polars(data)


def is_polars(data: Any) -> bool:
    """Whether `data` is a polars DataFrame or Series (it has no index: its rows are read, and
    taken, by position, and its errors speak polars)."""
    return type(data).__module__.partition(".")[0] == "polars"


def _columns(data: Any) -> list[tuple[Any, Any, Any]]:
    """(name, dtype, column) for each column of a DataFrame, or the Series itself."""
    if hasattr(data, "columns") and hasattr(data, "items"):
        return [(name, column.dtype, column) for name, column in data.items()]
    return [(getattr(data, "name", None), data.dtype, data)]


def _numpy_dtype(dtype: Any) -> np.dtype | None:
    """The numpy dtype of a numeric column's values (nullable ones give theirs, Int64's int64),
    or None for a column that holds something else."""
    if isinstance(dtype, np.dtype):
        return dtype if dtype.kind in "biuf" else None
    categories = getattr(dtype, "categories", None)
    if categories is not None:                               # a category: of numbers?
        return _numpy_dtype(categories.dtype)
    if getattr(dtype, "kind", None) not in tuple("biuf"):
        return None
    # the nullable Int64, Float64 and boolean call their values' dtype numpy_dtype, and
    # Sparse[...] (pd.get_dummies(sparse=True)'s) its subtype
    for attribute in ("numpy_dtype", "subtype"):
        values_dtype = getattr(dtype, attribute, None)
        if isinstance(values_dtype, np.dtype):
            return values_dtype
    return None


def _named(data: Any, name: Any, of: str) -> str:
    """How an error names the column: "column 'city'" ("... of X" for the X of a call)."""
    if hasattr(data, "columns"):
        return f"column {name!r}" + (f" of {of}" if of else "")
    series = "the Series" + ("" if name is None else f" {name!r}")
    return f"{of} ({series[4:]})" if of else series


def _refusal(where: str, data: Any, name: Any, dtype: Any, column: Any, of: str) -> TypeError:
    """What to write instead of a column that holds no numbers."""
    what = _named(data, name, of)
    frame = hasattr(data, "columns")
    ref = "s" if name is None else f"df[{name!r}]"         # (a Series is most often df's)
    drop = f" or drop it (df.drop(columns=[{name!r}]))" if frame else ""
    kind = getattr(dtype, "kind", "O")
    if kind == "M":
        return TypeError(f"{where}: {what} holds dates ({dtype}), not numbers: turn them into "
                         f"numbers first, e.g. {ref}.dt.dayofyear or ({ref} - {ref}.min())"
                         f".dt.days{drop}")
    if kind == "m":
        return TypeError(f"{where}: {what} holds durations ({dtype}), not numbers: turn them "
                         f"into numbers first, e.g. {ref}.dt.total_seconds(){drop}")
    encode = (f"pd.get_dummies(df, columns=[{name!r}], dtype=float)" if frame
              else f"pd.get_dummies({ref}, dtype=float), or for class labels "
                   f"pd.factorize({ref})[0]")
    if getattr(dtype, "categories", None) is not None:
        return TypeError(f"{where}: {what} is categorical, not numbers: encode it ({encode}), "
                         f"or take its codes ({ref}.cat.codes){drop}")
    odd = [v for v in _values(column) if not _is_number(v)]   # the values that are no numbers
    text = [v for v in odd if isinstance(v, str)]
    if text or (not odd and kind in "OSU"):               # (an empty column of text: its dtype)
        such = f" (such as {text[0]!r:.30})" if text else ""
        return TypeError(f"{where}: {what} holds text{such}, not numbers: encode it "
                         f"({encode}){drop}")
    if not odd:                         # numbers all, in a dtype of a kind not read here
        return TypeError(f"{where}: {what} holds numbers of dtype {dtype}, which is not read "
                         f"as numbers: convert it ({ref}.astype(float)){drop}")
    if all(v is None for v in odd):     # numbers and Python's None (an object column)
        return TypeError(f"{where}: {what} holds None (a missing value) among its numbers: "
                         f"make it a float column, where a missing value is NaN "
                         f"({ref}.astype(float)), then fill them or drop their rows"
                         + (f"; or drop the column (df.drop(columns=[{name!r}]))" if frame
                            else ""))
    other = next(v for v in odd if v is not None)
    return TypeError(f"{where}: {what} holds {type(other).__name__} values (such as "
                     f"{other!r:.30}), not numbers: convert it ({ref}.astype(float)){drop}")


def table_array(where: str, data: Any, text: bool = False, of: str = "") -> np.ndarray:
    """A DataFrame's or Series' numbers as a new ndarray of their common dtype; a column of
    anything else is a TypeError that names it (as a column `of` the argument so named, "X")
    and says what to do, starting with `where`. `text=True` lets columns of text (class names,
    for the metrics) through as numpy reads them."""
    if _is_lazy_frame(data):
        raise TypeError(f"{where}: {of or 'the data'} is a polars LazyFrame, a query whose "
                        f"rows are not computed yet: collect it first (lf.collect())")
    if is_polars(data):
        from .tables_polars import polars_array     # (here: it takes _named from this file)
        return polars_array(where, data, text, of)
    columns = _columns(data)
    dtypes = []
    for name, dtype, column in columns:
        numpy_dtype = _numpy_dtype(dtype)
        if numpy_dtype is None and dtype == np.dtype(object):   # Python numbers, perhaps
            numpy_dtype = _object_numbers(column)
        if numpy_dtype is None:
            if text and (getattr(dtype, "kind", "O") in "OSU" or
                         getattr(dtype, "categories", None) is not None):
                return np.array(data.to_numpy(), copy=True)
            raise _refusal(where, data, name, dtype, column, of)
        dtypes.append(numpy_dtype)
    if not columns:                                       # a DataFrame of no columns
        return np.array(data.to_numpy(), copy=True)
    common = np.result_type(*dtypes)
    missing = any(not isinstance(dtype, np.dtype) and bool(column.isna().any())
                  for _, dtype, column in columns)
    if missing:                                    # a nullable column's NA: NaN, as a float's
        common = np.result_type(common, np.float64)
        array = data.to_numpy(dtype=common, na_value=np.nan)
    else:
        array = data.to_numpy(dtype=common)
    # its own numbers, in C order (a DataFrame's array is often a transposed view of its own)
    return np.array(array, copy=True, order="C")


def _object_numbers(column: Any) -> np.dtype | None:
    """The dtype numpy gives a column of Python objects that are all numbers (bool, int,
    float), or None when any is not one (text, None, a date)."""
    values = _values(column)
    if not all(_is_number(v) for v in values):
        return None
    return np.asarray(values).dtype if values else np.dtype(np.float64)


def _values(column: Any) -> list:
    """A column's values as Python objects, as pandas holds them in an object column."""
    return np.asarray(column.to_numpy(), dtype=object).ravel().tolist()


def _is_number(value: Any) -> bool:
    """Whether `value` is a real number: bool, int, float, or numpy's (np.bool_ is no
    numbers.Real, yet a row of a frame with a bool column, df.iloc[0], holds such values)."""
    return isinstance(value, (numbers.Real, np.bool_))
