"""polars' DataFrame and Series as numpy arrays: tables.py's rules, in polars' words.

polars is never imported: its dtypes are read by their class names (Int64, Float32, Boolean,
String, Datetime, ...). Numeric and Boolean columns (any width; Decimal as float64) make one
array of their common dtype, a null among them becoming NaN (polars keeps its nulls apart from
float NaN; a numpy array has only NaN). Any other column is refused by name, with the polars
code to write instead: never pandas' (`pd.get_dummies`, `.astype(float)`) to a polars user.
numpy's own reading goes wrong in other ways than for pandas: `np.asarray` of a Boolean column
with a null is an array of Python objects, of a Date column an array of dates.

>>> class String:                   # (stand-ins for polars' dtype and a Series of text)
...     pass
>>> class Column:
...     name, dtype = "city", String()
...     def drop_nulls(self): return self
...     def head(self, n): return self
...     def to_list(self): return ["Paris"]
>>> polars_array("Tensor", Column())
Traceback (most recent call last):
TypeError: Tensor: the Series 'city' holds text (such as 'Paris'), not numbers: encode it ...
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tables import _named

#: the numpy dtype each numeric polars dtype's values take (a Decimal's: float64, as pandas
#: reads one); any dtype not here holds no numbers numpy reads
_NUMPY_DTYPES = {name: np.dtype(name.lower()) for name in (
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
    "Float16", "Float32", "Float64")}
_NUMPY_DTYPES.update(Boolean=np.dtype(bool), Decimal=np.dtype(np.float64))

#: the dtypes of words, which the metrics take as class names (text=True)
_TEXT = ("String", "Categorical", "Enum")


def polars_array(where: str, data: Any, text: bool = False, of: str = "") -> np.ndarray:
    """tables.table_array for a polars DataFrame or Series: its numbers as a new C-ordered
    ndarray of their common dtype, nulls as NaN; a column of anything else is a TypeError
    naming it, starting with `where`."""
    frame = hasattr(data, "columns")
    columns = data.get_columns() if frame else [data]
    dtypes = []
    for column in columns:
        kind = _kind(column.dtype)
        if kind in _NUMPY_DTYPES:
            dtypes.append(_NUMPY_DTYPES[kind])
        elif text and kind in _TEXT:
            return np.array(data.to_numpy(), copy=True)
        else:
            name = column.name if frame or column.name != "" else None   # (a Series' default)
            raise _refusal(where, _named(data, name, of), frame, name, column)
    if not columns:                                       # a DataFrame of no columns
        return np.array(data.to_numpy(), copy=True)
    common = np.result_type(*dtypes)
    if any(column.null_count() for column in columns):    # a null: NaN, as a float's
        common = np.result_type(common, np.float64)
    array = np.empty((len(data), len(columns)), dtype=common)
    for j, column in enumerate(columns):
        if column.null_count():     # (a Boolean column's to_numpy with a null: Python objects)
            nulls = column.is_null().to_numpy()
            array[nulls, j] = np.nan
            array[~nulls, j] = column.drop_nulls().to_numpy()
        else:
            array[:, j] = column.to_numpy()
    return array if frame else array[:, 0]


def _kind(dtype: Any) -> str:
    """A polars dtype's name without its parameters: "Datetime" for Datetime('us'). (polars
    1.x gives some dtypes as the class itself, pl.Time, others as an instance, pl.Int64().)"""
    return dtype.__name__ if isinstance(dtype, type) else type(dtype).__name__


def _refusal(where: str, what: str, frame: bool, name: Any, column: Any) -> TypeError:
    """What to write instead of a column that holds no numbers, in polars' words."""
    dtype = column.dtype
    kind = _kind(dtype)
    ref = "s" if name is None else f"df[{name!r}]"         # (a Series is most often df's)
    drop = f" or drop it (df.drop({name!r}))" if frame else ""
    only_drop = f": drop it (df.drop({name!r}))" if frame else ""
    start = f"{where}: {what} holds"
    if kind in _TEXT:
        dummies = f"df.to_dummies(columns=[{name!r}])" if frame else f"{ref}.to_dummies()"
        if kind != "String":
            return TypeError(f"{where}: {what} is categorical ({kind}), not numbers: encode it "
                             f"({dummies}), or take its codes ({ref}.to_physical()){drop}")
        first = column.drop_nulls().head(1).to_list()
        such = f" (such as {first[0]!r:.30})" if first else ""
        labels = "" if frame else \
            f", or for class labels {ref}.cast(pl.Categorical).to_physical()"
        return TypeError(f"{start} text{such}, not numbers: encode it ({dummies}{labels})"
                         f"{drop}")
    if kind in ("Date", "Datetime"):
        return TypeError(f"{start} dates ({dtype}), not numbers: turn them into numbers "
                         f"first, e.g. {ref}.dt.ordinal_day() or ({ref} - {ref}.min())"
                         f".dt.total_days(){drop}")
    if kind == "Time":
        return TypeError(f"{start} times of day ({dtype}), not numbers: turn them into "
                         f"numbers first, e.g. {ref}.dt.hour() or {ref}.to_physical() "
                         f"(nanoseconds since midnight){drop}")
    if kind == "Duration":
        return TypeError(f"{start} durations ({dtype}), not numbers: turn them into numbers "
                         f"first, e.g. {ref}.dt.total_seconds(){drop}")
    if kind == "List":
        return TypeError(f"{start} lists ({dtype}), not numbers: make their items columns "
                         f"first ({ref}.list.get(0), {ref}.list.get(1), ...){drop}")
    if kind == "Array":
        return TypeError(f"{start} arrays ({dtype}), not numbers: make their items columns "
                         f"first ({ref}.arr.to_struct().struct.unnest()){drop}")
    if kind == "Struct":
        fields = f"df.unnest({name!r})" if frame else f"{ref}.struct.unnest()"
        return TypeError(f"{start} structs ({dtype}), not numbers: make their fields columns "
                         f"first ({fields}){drop}")
    if kind == "Null":
        return TypeError(f"{start} only nulls (dtype Null), no numbers{only_drop}")
    if kind == "Object":                # (polars cannot cast an Object column)
        named = "" if name is None else f"{name!r}, "
        return TypeError(f"{start} Python objects (dtype Object), not numbers: build it from "
                         f"numbers with a numeric dtype (pl.Series({named}values, "
                         f"dtype=pl.Float64)){drop}")
    if dtype.is_numeric():              # numbers numpy has no dtype for: Int128
        return TypeError(f"{start} numbers of dtype {dtype}, which numpy has no dtype for: "
                         f"convert it ({ref}.cast(pl.Float64)){drop}")
    return TypeError(f"{start} values of dtype {dtype}, not numbers{only_drop}")
