"""`DataLoader`: cut a dataset into mini-batches, reshuffled every epoch.

>>> import numpy as np
>>> from nn.data import DataLoader
>>> X = np.arange(10, dtype=np.float32).reshape(5, 2)
>>> y = np.array([0, 1, 0, 1, 1])
>>> loader = DataLoader(X, y, batch_size=2)
>>> len(loader)                          # batches per epoch: 2 + 2 + 1
3
>>> [(xb.shape, yb.tolist()) for xb, yb in loader]
[((2, 2), [0, 1]), ((2, 2), [0, 1]), ((1, 2), [1])]

Batches of X are `Tensor`s (the model's input). Labels come back as they were given: y given as
a Tensor (or a list of Tensors, one per sample) gives constant Tensors, so PyTorch's
`yb.size(0)` works; y given as an ndarray or a list gives ndarrays (`len(yb)`). Either way they
are constants, not graph nodes, and every loss and metric takes both.

>>> from autograd import Tensor
>>> _, yb = next(iter(DataLoader(Tensor(X), Tensor(y), batch_size=2)))
>>> yb.size(0), yb.requires_grad
(2, False)

Every batch owns its numbers, as PyTorch's do: normalising one in place (`xb.data /= 255`,
`yb -= 1`) leaves the dataset as it was, so the next epoch sees the same data.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any, Callable, Iterator

import numpy as np

from autograd import Tensor, default_rng, get_default_dtype
from autograd.random import chosen_generator, set_generator_state
from autograd.tables import is_polars, is_table, table_array

from .collate import _collated, _converted
from .dataset import Dataset, IterableDataset, Subset, _length, _position
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from .workers import check_worker_options, worker_batches


def _unwrapped(data: Any) -> Any:
    """A Tensor's array; a list of Tensors (one per sample) stacked into one array, as PyTorch's
    default collate stacks them; anything else as it is."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, (list, tuple)) and data and all(isinstance(t, Tensor) for t in data):
        return np.stack([t.data for t in data])         # a ValueError if their shapes differ
    return data


def _given_as_tensor(data: Any) -> bool:
    """Whether `data` came as a Tensor, or as a list of Tensors (one per sample): its samples
    and batches are then given back as Tensors."""
    return isinstance(data, Tensor) or (isinstance(data, (list, tuple)) and bool(data)
                                        and all(isinstance(t, Tensor) for t in data))


def _features(where: str, X: Any, ragged_hint: str = "", name: str = "X") -> np.ndarray:
    """X as an ndarray by Tensor's rules: arrays keep their dtype, Python floats get the default
    (a DataFrame's float64 columns too: pandas chose it, not the learner)."""
    if is_table(X):
        arr = _table_numbers(where, name, X)
        return arr.astype(get_default_dtype()) if arr.dtype == np.float64 else arr
    try:
        X = _unwrapped(X)
        if isinstance(X, np.ndarray):
            return X
        arr = np.asarray(X)
    except ValueError as e:                             # ragged nested lists
        raise ValueError(f"{where}: {name} must be rectangular ({e}){ragged_hint}") from None
    return arr.astype(get_default_dtype()) if arr.dtype == np.float64 else arr


def _samples_of(where: str, name: str, values: Any) -> np.ndarray:
    """`values` (the labels y, or a TensorDataset's further array) as an ndarray, its dtype
    kept; errors name it as `name`."""
    if is_table(values):                # text (class names) goes on to the check that says so
        return _table_numbers(where, name, values, text=True)
    try:
        return np.asarray(_unwrapped(values))
    except ValueError as e:
        raise ValueError(f"{where}: {name} must be rectangular ({e})") from None


def _table_numbers(where: str, name: str, table: Any, text: bool = False) -> np.ndarray:
    """A pandas or polars DataFrame's or Series' numbers (autograd/tables.py: a column of text
    or dates is named), NaN and infinity refused naming the columns that hold them and the rows
    by their index labels (a polars table's, which has no index, by their positions): after a
    shuffle or a split, row 3 of the array is not the row labelled 3."""
    arr = table_array(where, table, text=text, of=name)
    if arr.dtype.kind != "f" or np.isfinite(arr).all():
        return arr
    bad = ~np.isfinite(arr.reshape(len(arr), -1))
    what = "NaN" if np.isnan(arr).any() else "infinity"
    rows = np.flatnonzero(bad.any(axis=1))
    columns = ([c for c, b in zip(table.columns, bad.any(axis=0)) if b]
               if hasattr(table, "columns") else [])
    where_ = (f" in column{'s' if len(columns) > 1 else ''} "
              f"{', '.join(map(repr, columns[:5]))}{', ...' if len(columns) > 5 else ''}"
              if columns else "")
    polars = is_polars(table)
    shown = rows[:5] if polars else table.index[rows[:5]]
    labels = ", ".join(map(str, shown)) + (", ..." if len(rows) > 5 else "")
    s = "s" if len(rows) > 1 else ""
    rows_ = f"row{s} at position{s} {labels}" if polars else f"row{s} with index {labels}"
    advice = (_polars_advice if polars else _pandas_advice)(name, table, columns, what)
    raise ValueError(f"{where}: {name} contains {what}{where_} ({len(rows)} {rows_}); {advice}")


def _pandas_advice(name: str, table: Any, columns: list, what: str) -> str:
    """What to do about NaN (`what`) or infinity in pandas' `table`, given as `name` (X or y)
    and held in `columns` (a Series': none)."""
    if name == "y":             # a label or target filled in would be made up: the rows go
        keep = "y.notna()" if what == "NaN" else "np.isfinite(y)"
        return f"drop those rows from X and y alike (keep = {keep}; X, y = X[keep], y[keep])"
    ref = f"df[{columns[0]!r}]" if columns else \
        "s" if table.name is None else f"df[{table.name!r}]"
    advice = f"fill it ({ref}.fillna({ref}.median())) or drop those rows (.dropna()) first"
    if what == "infinity":      # (fillna and dropna see NaN only)
        advice = "make it NaN (.replace([np.inf, -np.inf], np.nan)), then " + advice
    return advice


def _polars_advice(name: str, table: Any, columns: list, what: str) -> str:
    """_pandas_advice in polars' words, where a missing value is a null (table_array made it
    NaN) and NaN is a float apart, which fill_null and drop_nulls leave alone."""
    series = [table[c] for c in columns] if columns else [table]
    nan = what == "NaN" and any(s.dtype.is_float() and s.is_nan().any() for s in series)
    if name == "y":             # a label or target filled in would be made up: the rows go
        keep = "y.is_not_null()" if what == "NaN" and not nan else "y.is_finite()"
        return (f"drop those rows from X and y alike (keep = {keep}; X, y = X.filter(keep), "
                f"y.filter(keep))")
    ref = f"df[{columns[0]!r}]" if columns else "s" if table.name == "" else f"df[{table.name!r}]"
    advice = f"fill it ({ref}.fill_null({ref}.median())) or drop those rows (.drop_nulls()) first"
    if nan or what == "infinity":       # made nulls first, which those two see
        null = "fill_nan(None)" if nan else "replace([np.inf, -np.inf], None)"
        made = f"df.with_columns(pl.col({columns[0]!r}).{null})" if columns else f"{ref}.{null}"
        advice = f"make it null ({made}), then " + advice
    return advice


def _finite(where: str, name: str, arr: np.ndarray) -> None:
    """NaN or infinity in the data is refused here, where it enters, naming the first sample."""
    if arr.dtype.kind != "f":
        return
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.reshape(len(arr), -1).any(axis=1))
        what = "NaN" if np.isnan(arr).any() else "infinity"
        samples = (f"sample {rows[0]}" if len(rows) == 1 else f"{len(rows)} samples: "
                   + ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else ""))
        raise ValueError(f"{where}: {name} contains {what} ({int(bad.sum())} value(s) in "
                         f"{samples}); remove or fill those samples first")


def got_dtype(name: str, dtype: np.dtype) -> str:
    """How an error names the dtype of `name`, an array that should hold numbers: as numpy
    does, except for an array of named columns (a structured array, which
    `np.genfromtxt(path, delimiter=",", names=True)` gives for a CSV with a header row), whose
    dtype lists every column's format and offset but not what to write instead.

    >>> got_dtype("X", np.dtype("<U3"))
    'got dtype <U3'
    >>> print(got_dtype("y", np.dtype([("price", float)])))
    got a table of named columns ('price',), as np.genfromtxt(..., names=True) gives; take
    the column itself: y['price']
    """
    columns = dtype.names
    if not columns:
        return f"got dtype {dtype}"
    shown = (repr(columns) if len(columns) <= 6 else
             "(" + ", ".join(map(repr, columns[:6])) + f", ... {len(columns)} in all)")
    fix = (f"take the column itself: {name}[{columns[0]!r}]" if len(columns) == 1 else
           f"make it one array: np.column_stack([{name}[c] for c in {name}.dtype.names])")
    return (f"got a table of named columns {shown}, as np.genfromtxt(..., names=True) gives; "
            f"{fix}")


def generator(where: str, seed: Any) -> np.random.Generator:
    """The generator `seed` asks for: an int >= 0 seeds a new one, a numpy Generator is used as
    it is, None means the shared `autograd.default_rng()`. A bad seed is an error naming `where`.

    >>> generator("DataLoader", -1)
    Traceback (most recent call last):
    ValueError: DataLoader: seed must be an int >= 0 or a numpy Generator, got -1
    """
    if seed is None:
        return default_rng()
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as err:          # numpy's words do not say who was seeded
        raise type(err)(f"{where}: seed must be an int >= 0 or a numpy Generator, got "
                        f"{seed!r}") from None


def seed_or_random_state(where: str, seed: Any, random_state: Any) -> Any:
    """The seed given as `seed=` or under scikit-learn's name `random_state=` (code ported from
    scikit-learn's `train_test_split(..., random_state=42)` runs as it is); both is an error.

    >>> seed_or_random_state("train_test_split", None, 42)
    42
    >>> seed_or_random_state("train_test_split", 1, 42)
    Traceback (most recent call last):
    TypeError: train_test_split: give seed=1 or random_state=42 (scikit-learn's name), not both
    """
    if random_state is None:
        return seed
    if seed is not None:
        raise TypeError(f"{where}: give seed={seed!r} or random_state={random_state!r} "
                        f"(scikit-learn's name), not both")
    return random_state


def _not_a_number(X: np.ndarray) -> str:
    """For an array of Python objects (numpy's dtype object, made from lists that mix numbers
    with None or text): which element is no number, and what to do about it.

    >>> _not_a_number(np.array([[1.0, None], [2.0, 3.0]], dtype=object))
    ' (None at [0, 1]: a missing value; fill it in or remove the row)'
    """
    for count, index in enumerate(np.ndindex(X.shape)):
        if count == 100_000:                # (a Python loop: enough to find a stray None)
            return ""
        item = X[index]
        if isinstance(item, numbers.Real):
            continue
        at = list(index)
        if item is None:
            return f" (None at {at}: a missing value; fill it in or remove the row)"
        return (f" ({type(item).__name__} {item!r:.30} at {at}: every element must be a "
                f"number; convert or remove it)")
    return " (each a number: convert them with X.astype(float))"


def checked_arrays(where: str, X: Any, y: Any = None, ragged_hint: str = "", *,
                   name: str = "X") -> tuple[np.ndarray, np.ndarray | None]:
    """X and y as ndarrays, checked where they enter: numbers, a sample axis, not empty, one
    label per sample, no NaN or infinity. Errors start with `where` (e.g. "fit: train_data")
    and call X `name`; `ragged_hint` ends the error for an X that is not rectangular.

    >>> checked_arrays("fit: train_data", [[0.0, 1.0], [None, 2.0]])
    Traceback (most recent call last):
    TypeError: fit: train_data: X must hold numbers, got dtype object (None at [1, 0]: ...
    """
    X = _features(where, X, ragged_hint, name)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} must hold numbers, {got_dtype(name, X.dtype)}"
                        f"{_not_a_number(X) if X.dtype.kind == 'O' else ''}")
    if X.ndim == 0:
        raise ValueError(f"{where}: {name} must have a sample axis, got a 0-d array")
    if len(X) == 0:
        raise ValueError(f"{where}: {name} is empty (shape {X.shape}); there is nothing to batch")
    _finite(where, name, X)
    if y is not None:
        y = _checked_along(where, "y", _samples_of(where, "y", y), len(X), name)
    return X, y


def several_inputs(X: Any, y: Any) -> bool:
    """Whether X, in `((X_a, X_b), y)`, holds a model's several inputs: a tuple of arrays
    (ndarrays or Tensors), each with one sample per label. A tuple of rows is one X: plain
    ones, ((0, 0), (0, 1), ...), or arrays, one per label, as `X, y = zip(*samples)` gives
    them (as many inputs as labels, each of that many samples, counts as inputs).

    >>> X_a, X_b, y = np.zeros((4, 2)), np.zeros(4), np.zeros(4)
    >>> several_inputs((X_a, X_b), y), several_inputs(((0, 0), (0, 1)), y[:2])
    (True, False)
    >>> rows, labels = zip(*[(np.array([0.0, 1.0, 2.0]), 0), (np.array([3.0, 4.0, 5.0]), 1)])
    >>> several_inputs(rows, labels)
    False
    """
    if not (isinstance(X, tuple) and any(isinstance(x, (np.ndarray, Tensor)) for x in X)):
        return False
    try:
        n_labels = len(y)
    except TypeError:                   # (a 0-d y: checked_inputs says what is wrong)
        return True
    return len(X) != n_labels or all(np.shape(x)[:1] == (n_labels,) for x in X)


def checked_inputs(where: str, inputs: tuple, y: Any
                   ) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """A model's several inputs, X = (X_a, X_b, ...), and the labels y: each input checked as
    `checked_arrays` checks X (its errors name it X[0], X[1], ...), all of them with the same
    number of samples, and one label per sample.

    >>> checked_inputs("fit: train_data", (np.zeros((3, 2)), np.zeros(2)), np.zeros(3))
    Traceback (most recent call last):
    ValueError: fit: train_data: X[0] has 3 samples but X[1] has 2; the inputs must match ...
    """
    if not inputs:
        raise ValueError(f"{where}: X is an empty tuple; give the model's inputs in it, "
                         f"((X_a, X_b), y)")
    arrays = tuple(checked_arrays(where, x, name=f"X[{i}]")[0] for i, x in enumerate(inputs))
    for i, array in enumerate(arrays[1:], start=1):
        if len(array) != len(arrays[0]):
            raise ValueError(f"{where}: X[0] has {len(arrays[0])} samples but X[{i}] has "
                             f"{len(array)}; the inputs must match one to one")
    y = _checked_along(where, "y", _samples_of(where, "y", y), len(arrays[0]))
    return arrays, y


def _checked_along(where: str, name: str, values: np.ndarray, n_samples: int,
                   along: str = "X") -> np.ndarray:
    """`values`, which go with the `n_samples` samples of X (called `along`) one to one (the
    labels y, or a TensorDataset's further array), checked: one entry per sample, numbers, no
    NaN or infinity."""
    if values.ndim == 0 or len(values) != n_samples:
        got = "a 0-d array" if values.ndim == 0 else \
            f"{len(values)} {'labels' if name == 'y' else 'samples'}"
        raise ValueError(f"{where}: {along} has {n_samples} samples but {name} has {got}; "
                         f"they must match one to one")
    if values.dtype.kind not in "biuf":
        hint = ("; for class names, number them first: classes, y = np.unique(y, "
                "return_inverse=True)" if name == "y" and values.dtype.kind in "USO" else "")
        kind = " (class indices or targets)" if name == "y" else ""
        raise TypeError(f"{where}: {name} must hold numbers{kind}, "
                        f"{got_dtype(name, values.dtype)}{hint}")
    _finite(where, name, values)
    return values


def checked_dataset(where: str, arrays: tuple) -> tuple[np.ndarray, ...]:
    """Any number (at least one) of arrays of samples, as a TensorDataset takes them, each
    as an ndarray, checked: the first as X, the others as y (numbers, no NaN or infinity), and
    all with the same number of samples (an error names their lengths).

    >>> checked_dataset("TensorDataset", (np.zeros((3, 2)), np.zeros(3), np.zeros(2)))
    Traceback (most recent call last):
    ValueError: TensorDataset: every array must hold the same number of samples ..., got 3, 3, 2
    """
    if not arrays:
        raise TypeError(f"{where}: needs at least one array (samples along the first axis), "
                        f"got none")
    first = _features(where, arrays[0])
    if first.ndim > 0 and len(first) == 0:     # named as given, not as "X"
        raise ValueError(f"{where}: the first array is empty (shape {first.shape}); there is "
                         f"nothing to batch")
    arrays = (first, *arrays[1:])
    if len(arrays) <= 2:                    # X, or X and y: the errors name them so
        X, y = checked_arrays(where, *arrays)
        return (X,) if y is None else (X, y)
    X = checked_arrays(where, arrays[0])[0]
    others = [_samples_of(where, f"arrays[{i}]", array)
              for i, array in enumerate(arrays[1:], start=1)]
    lengths = [len(X)] + [len(array) if array.ndim else "a 0-d array" for array in others]
    if any(length != len(X) for length in lengths):
        raise ValueError(f"{where}: every array must hold the same number of samples (along "
                         f"its first axis), got {', '.join(map(str, lengths))}")
    return (X, *(_checked_along(where, f"arrays[{i}]", array, len(X))
                 for i, array in enumerate(others, start=1)))


def _shown(values: Any, most: int = 8) -> str:
    """A value for an error message, a long list cut short."""
    if isinstance(values, list) and len(values) > most:
        return "[" + ", ".join(map(repr, values[:most])) + ", ...]"
    if isinstance(values, (np.ndarray, Tensor)):
        return f"an array of shape {values.shape}"
    return repr(values)


def _own_generator(seed: Any, given: Any) -> np.random.Generator | None:
    """A DataLoader's own generator, from `seed=` or from PyTorch's `generator=` (not both);
    None when it shuffles with the shared one."""
    if given is None:
        return None if seed is None else generator("DataLoader", seed)
    if seed is not None:
        raise TypeError(f"DataLoader: got seed={seed!r} and a generator; pass one of them")
    return chosen_generator("DataLoader", given)


def _flag(where: str, name: str, value: Any) -> bool:
    """A yes/no option: True, False, numpy's bools, 0 or 1, or None (no); anything else, such
    as the string "False" (which bool() calls true), is refused.

    >>> _flag("DataLoader", "shuffle", "False")
    Traceback (most recent call last):
    TypeError: DataLoader: shuffle must be True or False, got 'False'
    """
    if value is None or isinstance(value, (bool, np.bool_)) or \
            (isinstance(value, numbers.Integral) and value in (0, 1)):
        return bool(value)
    raise TypeError(f"{where}: {name} must be True or False, got {value!r}")


def batching(where: str, n_samples: int, batch_size: Any, shuffle: Any = False,
             drop_last: Any = False) -> tuple[int, bool, bool]:
    """`batch_size`, `shuffle` and `drop_last` checked for `n_samples` samples, with errors
    naming `where`: the DataLoader, or the function that makes one from its own arguments
    (fit, evaluate), so that the error names the call the user wrote.

    >>> batching("fit", 10, 0)
    Traceback (most recent call last):
    ValueError: fit: batch_size must be at least 1, got 0
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"{where}: batch_size must be an int, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"{where}: batch_size must be at least 1, got {batch_size}")
    shuffle, drop_last = _flag(where, "shuffle", shuffle), _flag(where, "drop_last", drop_last)
    if drop_last and batch_size > n_samples:
        raise ValueError(f"{where}: drop_last=True with batch_size={batch_size} and only "
                         f"{n_samples} samples leaves no batch at all")
    return int(batch_size), shuffle, drop_last


def _own_rows(array: np.ndarray, rows: slice | np.ndarray) -> np.ndarray:
    """`array[rows]` as a new array, so that changing a batch in place (`xb.data /= 255`)
    never changes the dataset. Gathering rows by index (shuffled) copies already; a slice
    would be a view into the dataset, so it is copied, once, into one contiguous block.

    >>> X = np.zeros((4, 2))
    >>> np.shares_memory(_own_rows(X, slice(0, 2)), X)
    False
    """
    batch = array[rows]
    return batch.copy() if isinstance(rows, slice) else batch


def _rows_source(dataset: Any) -> Any:
    """The dataset under a Subset of a Subset ... (the dataset itself if it is none)."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return dataset


def _rows_of_subset(dataset: Any, indices: list) -> np.ndarray | None:
    """For a Subset (of Subsets ...) of a TensorDataset, the rows of its arrays that `indices`
    pick, so that a batch is gathered at once: it is what default_collate would make of the
    samples one by one (Tensors of the rows), some ten times sooner. None for other datasets."""
    if not isinstance(dataset, Subset) or not isinstance(_rows_source(dataset), TensorDataset):
        return None
    while isinstance(dataset, Subset):
        indices = [dataset.indices[_position("Subset", i, len(dataset.indices))]
                   for i in indices]
        dataset = dataset.dataset
    return np.asarray(indices, dtype=np.intp)


def _is_dataset(data: Any, collate_fn: Any = None) -> bool:
    """Whether `data` is a dataset of samples to collate (a `Dataset`, a list of tuples, dicts
    or strings, any list given with a `collate_fn`, any object with len() and [i]) rather than
    arrays of samples (X, or a TensorDataset)."""
    if isinstance(data, TensorDataset):
        return False
    if isinstance(data, Dataset):
        return True
    if isinstance(data, (list, tuple)):     # (x, y) pairs, dicts or texts, not rows of numbers
        # a collate_fn gets the items themselves, as PyTorch gives them (ragged token lists to
        # pad, sentences to tokenise), not rows of an array made of them
        return bool(data) and (collate_fn is not None or all(
            isinstance(sample, (tuple, Mapping, str, bytes)) for sample in data))
    return (not isinstance(data, (np.ndarray, Tensor, range, str, bytes))
            and not hasattr(data, "__array__")     # array-likes (a pandas DataFrame): X
            and hasattr(data, "__getitem__") and hasattr(data, "__len__"))


class TensorDataset(Dataset):
    """Samples held as arrays along their first axis, as PyTorch's `TensorDataset`: `len()` is
    the number of samples and `dataset[i]` is sample i, a tuple with one entry per array:
    `(x, y)` for `TensorDataset(X, y)`, `(x,)` for `TensorDataset(X)`, and as many as there are
    arrays, all of the same length (word2vec's `TensorDataset(center, context, negatives)`).
    `DataLoader(TensorDataset(X, y), batch_size=64)` batches them as `DataLoader(X, y, ...)`
    does, and every loader has one as `loader.dataset` (`len(loader.dataset)` counts the samples).

    The first array is checked as `DataLoader` checks X, the others as it checks y (see
    there). `self.arrays` holds them as ndarrays; a sample comes back as each was given: an
    ndarray (or a list) as ndarrays, a Tensor as constant Tensors (copies: changing one leaves
    the dataset as it was).

    >>> data = TensorDataset(np.arange(6.0).reshape(3, 2), np.array([0, 1, 0]))
    >>> x, y = data[1]
    >>> len(data), x, int(y)
    (3, array([2., 3.]), 1)
    """

    def __init__(self, *arrays: Any) -> None:
        self.arrays = checked_dataset("TensorDataset", arrays)
        self._tensors = tuple(_given_as_tensor(array) for array in arrays)

    @classmethod
    def _of_checked(cls, arrays: tuple[np.ndarray, ...], tensors: tuple[bool, ...]
                    ) -> TensorDataset:
        """The dataset over arrays that were checked already (a DataLoader's X and y);
        `tensors` says which of them were given as Tensors."""
        dataset = cls.__new__(cls)
        dataset.arrays, dataset._tensors = arrays, tensors
        return dataset

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The arrays as constant Tensors sharing their numbers (PyTorch's `dataset.tensors`)."""
        return tuple(Tensor(array) for array in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[np.ndarray | Tensor, ...]:
        if isinstance(index, numbers.Integral) and not -len(self) <= index < len(self):
            raise IndexError(f"TensorDataset: index {index} is out of range for {len(self)} "
                             f"samples (0 to {len(self) - 1}, or -{len(self)} to -1)")
        return tuple(Tensor(np.array(array[index])) if tensor else array[index]
                     for array, tensor in zip(self.arrays, self._tensors))

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return f"TensorDataset({len(self)} samples: {shapes})"


def _data_given(where: str, X: Any, dataset: Any) -> Any:
    """The data, given first (X, or a dataset) or as PyTorch's keyword `dataset=`: one of them.

    >>> _data_given("DataLoader", None, [1, 2])
    [1, 2]
    >>> _data_given("DataLoader", None, None)
    Traceback (most recent call last):
    TypeError: DataLoader: no data given: pass a dataset (or X and y) first, or dataset=...
    """
    if dataset is None:
        if X is None:
            raise TypeError(f"{where}: no data given: pass a dataset (or X and y) first, or "
                            f"dataset=...")
        return X
    if X is not None:
        raise TypeError(f"{where}: got the data twice, as the first argument and as dataset=; "
                        f"give one")
    return dataset


class _DefaultBatchSize(int):
    """32, the default batch size, told apart from a batch_size=32 the caller wrote."""


_DEFAULT_BATCH_SIZE = _DefaultBatchSize(32)


class DataLoader:
    """Iterate over `(X batch as a Tensor, y batch)`, or X batches alone if y is None. The y
    batches are constant Tensors when y was given as a Tensor, else ndarrays.

    X and y may be ndarrays, Tensors or nested lists of numbers, with samples along the first
    axis; NaN or infinity in either is an error naming the first bad sample.
    `shuffle=True` draws a new order every epoch from `seed` (an int or a numpy Generator: the
    same seed gives the same sequence of epochs) or, without a seed, from the shared generator
    `autograd.default_rng()`, so `autograd.manual_seed` makes the run reproducible (a seed
    without shuffle=True does nothing, and is refused, as KFold refuses it). PyTorch's
    `generator=` works too: a numpy Generator, such as `autograd.Generator().manual_seed(0)`
    (glassgrad's numbers, not PyTorch's), used as it is, so the caller's generator moves on.
    `drop_last=True` skips the last, smaller batch (batch statistics stay comparable).
    `loader.dataset` is the data as a `TensorDataset`, so `len(loader.dataset)` is the number
    of samples.

    >>> loader = DataLoader(np.zeros((10, 3)), batch_size=4, shuffle=True, seed=0)
    >>> [xb.shape for xb in loader]
    [(4, 3), (4, 3), (2, 3)]

    A number in second place is PyTorch's batch_size (and a bool in third its shuffle):
    `DataLoader(dataset, 64, shuffle=True)` is `DataLoader(dataset, batch_size=64, ...)`.

    PyTorch's form, `DataLoader(TensorDataset(...), ...)`, batches as PyTorch's default collate
    does: every batch is a tuple with one entry per array of the dataset (PyTorch's is a list;
    both unpack and index alike), even for one array, so `for (xb,) in loader` and
    `xb = batch[0]` work. The first array's batches are Tensors, the others' come back as they
    were given (Tensors or ndarrays), as y's do.

    >>> from nn.data import TensorDataset
    >>> batch = next(iter(DataLoader(TensorDataset(np.zeros((10, 3))), batch_size=4)))
    >>> len(batch), batch[0].shape
    (1, (4, 3))

    Any other dataset of samples, a user's `Dataset` subclass, any object with `len()` and
    `dataset[i]`, or a list of `(x, y)` tuples, of dicts or of strings, is read sample by sample and
    each batch made by `collate_fn(list_of_samples)`, by default `default_collate` (PyTorch's rules:
    see there). Given a `collate_fn`, any list is such a dataset: the function gets its items as
    they are, as in PyTorch (lists of token ids of different lengths to pad, sentences to tokenise):
    Python numbers stay Python numbers, not cast to float32 (so `np.stack(batch)` of float lists is
    float64: cast it for a float32 model). Such samples are not checked for NaN when the loader is
    made (that would read them all). The default batch_size is 32 (PyTorch's is 1);
    `batch_size=None` gives the samples one at a time, unbatched, their arrays as Tensors, as in
    PyTorch.

    >>> pairs = [(np.array([0.5, 1.0]), 0), (np.array([2.0, 3.0]), 1)]
    >>> xb, yb = next(iter(DataLoader(pairs, batch_size=2)))
    >>> xb.shape, yb.tolist()
    ((2, 2), [0, 1])

    A stream, an `IterableDataset`, is read in its own order, `batch_size` samples at a time,
    each batch made by `collate_fn` (or `default_collate`); `drop_last` and `batch_size=None`
    work as for a dataset of samples, and `shuffle`, `sampler` and `batch_sampler`, which
    need indices, are refused, as in PyTorch (and `seed`, which shuffles; `generator=` seeds
    the worker processes only). `len(loader)` needs the stream's own `len()`.

    `sampler=` gives the order of the indices (any iterable of them, such as
    `WeightedRandomSampler`; not with shuffle), `batch_sampler=` the batches of indices (then
    none of batch_size, shuffle, sampler, drop_last). `pin_memory` is accepted and changes
    nothing (there is no GPU to copy to).

    `num_workers=N` makes the batches in N worker processes while this one trains, as
    PyTorch's does: worth it when reading a sample takes time (files read, decoded,
    augmented). The batches are the same, in the same order, shuffled alike: this process
    keeps the sampler and its generator. Also `prefetch_factor` (batches asked of each worker
    ahead, default 2), `persistent_workers` (keep them from epoch to epoch), `timeout`
    (seconds to wait for a batch), `worker_init_fn(worker_id)` and `multiprocessing_context`
    ('fork', the default on Linux; 'spawn' and 'forkserver' need the dataset importable);
    `get_worker_info()` in a worker, what is seeded there, streams, errors: see
    nn/data/workers.py. For arrays in memory (`DataLoader(X, y)`, a TensorDataset) workers
    only cost: gathering a batch of rows takes microseconds here, and a worker must also be
    started (milliseconds, every epoch unless persistent) and send each batch through a pipe
    (about 3-6 ms per MB measured on a 2-core machine, benchmarks/data_workers.py), so
    leave num_workers at 0 for them. A batch from a worker holds constant Tensors: samples
    that require grad are stacked into the graph only with num_workers=0.

    PyTorch's keyword for the data works too: `DataLoader(dataset=train_data, batch_size=32)`.
    """

    def __init__(self, X: Any = None, y: Any = None, batch_size: int = _DEFAULT_BATCH_SIZE,
                 shuffle: bool = False,
                 drop_last: bool = False, seed: int | np.random.Generator | None = None, *,
                 dataset: Any = None,
                 generator: np.random.Generator | None = None, sampler: Any = None,
                 batch_sampler: Any = None, collate_fn: Callable[[list], Any] | None = None,
                 num_workers: int = 0, pin_memory: bool = False,
                 persistent_workers: bool = False, prefetch_factor: int | None = None,
                 timeout: float = 0, worker_init_fn: Callable[[int], Any] | None = None,
                 multiprocessing_context: Any = None) -> None:
        X = _data_given("DataLoader", X, dataset)
        # PyTorch's DataLoader takes one dataset of samples; this one takes X and y too.
        # Batches of a TensorDataset are tuples, whatever its number of arrays, as in PyTorch;
        # DataLoader(X) gives bare X batches and DataLoader(X, y) (xb, yb) pairs.
        if isinstance(y, numbers.Integral) and not isinstance(y, bool):
            # PyTorch's DataLoader(dataset, 64, True): batch_size and shuffle come second and
            # third (a number is never labels)
            if isinstance(batch_size, bool):
                batch_size, shuffle = _DEFAULT_BATCH_SIZE, batch_size or shuffle
            if batch_size is not _DEFAULT_BATCH_SIZE:   # given, even as 32
                raise TypeError(f"DataLoader: got batch_size twice, {y!r} (the second "
                                f"argument, PyTorch's place for it) and {batch_size!r}")
            y, batch_size = None, y
        if isinstance(batch_size, (np.ndarray, Tensor, list, tuple)):  # DataLoader(X_a, X_b, y)
            raise TypeError(f"DataLoader: batch_size, the third argument, must be an int, got "
                            f"{type(batch_size).__name__}; DataLoader takes X and y: for "
                            f"more arrays per sample (a model's several inputs and y) pass "
                            f"DataLoader(TensorDataset(X_a, X_b, y), batch_size=...)")
        check_worker_options(num_workers, persistent_workers, prefetch_factor, timeout,
                             worker_init_fn, multiprocessing_context)
        _flag("DataLoader", "pin_memory", pin_memory)   # (no pinned memory: there is no GPU)
        self.num_workers, self.pin_memory = int(num_workers), pin_memory
        self.persistent_workers = bool(persistent_workers)
        self.prefetch_factor, self.timeout = prefetch_factor, timeout
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self._seed_source = None    # a stream's generator=, which seeds its workers (see there)
        if isinstance(X, IterableDataset):
            self._hold_stream(X, y, batch_size, shuffle, drop_last, seed, sampler,
                              batch_sampler, collate_fn)
            if generator is not None:   # no order to draw: it seeds the workers only
                self._seed_source = chosen_generator("DataLoader", generator)
            return
        n_samples = self._hold(X, y, collate_fn)
        if batch_sampler is not None and (batch_size is not _DEFAULT_BATCH_SIZE or shuffle
                                          or sampler is not None or drop_last):
            raise ValueError("DataLoader: batch_sampler gives the batches; it cannot be "
                             "combined with batch_size, shuffle, sampler or drop_last")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler gives the order; it cannot be combined with "
                             "shuffle=True (shuffle in the sampler, such as RandomSampler)")
        if sampler is not None and hasattr(sampler, "__len__"):
            n_samples = len(sampler)            # the indices an epoch visits
        if batch_size is None:                  # PyTorch's samples one at a time, unbatched
            if _flag("DataLoader", "drop_last", drop_last) or batch_sampler is not None:
                raise ValueError("DataLoader: batch_size=None gives the samples one at a time; "
                                 "it cannot be combined with drop_last or batch_sampler")
            _, shuffle, drop_last = batching("DataLoader", n_samples, 1, shuffle, False)
        else:
            batch_size, shuffle, drop_last = batching("DataLoader", n_samples, batch_size,
                                                      shuffle, drop_last)
        # batch_size=None alone: samples one at a time; next to a batch_sampler, which gives
        # the batches, batch_size is None as in PyTorch
        self._unbatched = batch_size is None and batch_sampler is None
        self.batch_size = None if batch_sampler is not None else batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        if seed is not None and not shuffle:    # as KFold: a seed that does nothing is a slip
            shown = "a Generator" if isinstance(seed, np.random.Generator) else repr(seed)
            raise ValueError(f"DataLoader: seed={shown} has no effect with shuffle=False; pass "
                             f"shuffle=True, or leave seed=None")
        self._rng = _own_generator(seed, generator)
        for name, given, example in (("sampler", sampler, "RandomSampler(dataset)"),
                                     ("batch_sampler", batch_sampler,
                                      "BatchSampler(sampler, 32, drop_last=False)")):
            if given is not None and not hasattr(given, "__iter__"):
                raise TypeError(f"DataLoader: {name} must give indices when iterated (such as "
                                f"{example}), got {type(given).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be a function of the list of samples, "
                            f"got {type(collate_fn).__name__}")
        self.collate_fn = collate_fn
        self._given_sampler = sampler is not None
        self._given_batch_sampler = batch_sampler is not None
        # the order of the indices, as PyTorch's loader has it (`len(loader.sampler)` counts
        # the samples an epoch visits)
        self.sampler = sampler if sampler is not None else (
            RandomSampler(self.dataset, generator=self._rng) if shuffle
            else SequentialSampler(self.dataset))
        # arrays without a sampler or collate_fn are cut into batches directly (the fast path,
        # which draws the same order RandomSampler would); everything else goes index by index
        # through a batch sampler
        self._direct = not self._samples and not self._unbatched and \
            sampler is None and batch_sampler is None and collate_fn is None
        if batch_sampler is None and not self._unbatched and not self._direct:
            batch_sampler = BatchSampler(self.sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler

    _stream = False         # an IterableDataset's loader says True

    def _hold_stream(self, stream: IterableDataset, y: Any, batch_size: Any, shuffle: Any,
                     drop_last: Any, seed: Any, sampler: Any, batch_sampler: Any,
                     collate_fn: Any) -> None:
        """Keep a stream and the options that apply to it: the order is the stream's own, so
        the options that pick samples by index are refused, as in PyTorch."""
        if y is not None:
            raise TypeError(f"DataLoader: got a stream and y={_shown(y)}; the stream's "
                            f"samples hold the labels already (pass batch_size=... and the "
                            f"other options by name)")
        for name, value in (("shuffle", _flag("DataLoader", "shuffle", shuffle)),
                            ("sampler", sampler), ("batch_sampler", batch_sampler),
                            ("seed", seed)):
            if value is not None and value is not False:
                raise ValueError(f"DataLoader: {type(stream).__name__} is a stream (an "
                                 f"IterableDataset), read in its own order; {name}= picks or "
                                 f"orders samples by index, which a stream has not: shuffle "
                                 f"inside its __iter__ (with your own generator), or make it "
                                 f"a Dataset with __len__ and __getitem__")
        if batch_size is not None:
            batch_size, _, _ = batching("DataLoader", 1, batch_size)    # its type and size
            drop_last = _flag("DataLoader", "drop_last", drop_last)
        elif _flag("DataLoader", "drop_last", drop_last):
            raise ValueError("DataLoader: batch_size=None gives the samples one at a time; it "
                             "cannot be combined with drop_last")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be a function of the list of samples, "
                            f"got {type(collate_fn).__name__}")
        self.dataset, self.X, self.y = stream, None, None
        self._stream, self._samples, self._tuples = True, True, True
        self._unbatched, self._direct = batch_size is None, False
        self.batch_size, self.shuffle, self.drop_last = batch_size, False, bool(drop_last)
        self.collate_fn, self._rng = collate_fn, None
        self.sampler = self.batch_sampler = None
        self._given_sampler = self._given_batch_sampler = False

    def _stream_batches(self) -> Iterator[Any]:
        """The stream's samples, `batch_size` at a time, collated (or one by one, unbatched)."""
        if self._unbatched:
            for sample in self.dataset:
                yield self.collate_fn(sample) if self.collate_fn is not None else \
                    _converted(sample)
            return
        samples: list = []
        read = 0
        for sample in self.dataset:
            samples.append(sample)
            if len(samples) == self.batch_size:
                yield self._collated_stream(samples, read)
                read, samples = read + len(samples), []
        if samples and not self.drop_last:
            yield self._collated_stream(samples, read)

    def _collated_stream(self, samples: list, first: int) -> Any:
        """One batch of a stream, made by collate_fn or default_collate (whose errors say
        which samples of the stream they are)."""
        if self.collate_fn is not None:
            return self.collate_fn(samples)
        try:
            return _collated("DataLoader", samples, "")
        except (TypeError, ValueError) as error:
            raise type(error)(f"{error} (the batch of the stream's samples {first} to "
                              f"{first + len(samples) - 1})") from None

    def _stream_length(self) -> int:
        """Batches per epoch of a stream that knows its length."""
        try:
            n = len(self.dataset)
        except TypeError:
            raise TypeError(f"DataLoader: len() of a loader over a stream needs the stream's "
                            f"own length, and {type(self.dataset).__name__} has no __len__; "
                            f"define one, or count the batches as they come") from None
        if self._unbatched:
            return n
        full, rest = divmod(n, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def _hold(self, X: Any, y: Any, collate_fn: Any = None) -> int:
        """Keep the data and return its number of samples: a dataset of samples as it is
        (`self.dataset`, collated batch by batch; `self.X` and `self.y` None), or arrays X and
        y, or a TensorDataset, as a TensorDataset whose arrays are `self.X` and `self.y`."""
        # rows given as tuples next to y are rows of X: DataLoader([(1.0, 2.0), ...], y)
        samples = _is_dataset(X, collate_fn) and not (isinstance(X, (list, tuple))
                                                     and y is not None)
        self._tuples, self._samples = isinstance(X, TensorDataset) or samples, samples
        self.X = self.y = None
        if samples:                             # a dataset of samples, collated batch by batch
            if y is not None:
                raise TypeError(f"DataLoader: got a dataset and y={_shown(y)}; the dataset's "
                                f"samples hold the labels already (pass batch_size=... and "
                                f"the other options by name)")
            self.dataset = X
            n_samples = _length("DataLoader", X)
            if n_samples == 0:
                raise ValueError("DataLoader: the dataset is empty; there is nothing to batch")
            return n_samples
        if isinstance(X, TensorDataset):
            if y is not None:
                raise TypeError("DataLoader: got a TensorDataset and y; the dataset holds the "
                                "labels already: DataLoader(dataset, batch_size=...)")
            self.dataset = X                            # its arrays were checked when made
        else:
            if not (hasattr(X, "__len__") or hasattr(X, "__array__")) and hasattr(X, "__iter__"):
                raise TypeError(f"DataLoader: got a {type(X).__name__}, which can only be "
                                f"iterated; a dataset needs len() and dataset[i] (a stream is "
                                f"a subclass of nn.data.IterableDataset, whose __iter__ yields "
                                f"the samples afresh every epoch; a generator is used up after "
                                f"one): pass list(...) of it, arrays X and y, or an "
                                f"IterableDataset")
            tensors = (_given_as_tensor(X), _given_as_tensor(y))
            pairs = ("; for samples of several parts, give each as a tuple, (x, y), or pass "
                     "X and y as two arguments: DataLoader(X, y, batch_size=...)")
            X, y = checked_arrays("DataLoader", X, y, ragged_hint=pairs if y is None else "")
            arrays = (X,) if y is None else (X, y)
            self.dataset = TensorDataset._of_checked(arrays, tensors[:len(arrays)])
        arrays = self.dataset.arrays
        self.X, self.y = arrays[0], arrays[1] if len(arrays) == 2 else None
        return len(self.X)

    def _generators(self) -> dict[str, np.random.Generator]:
        """The generators whose state decides the next epochs: the loader's own ("rng", from
        `seed` or `generator`) and that of a sampler given to it ("sampler_rng": a
        `RandomSampler(data, generator=g)`, also inside a given batch_sampler)."""
        found = {} if self._rng is None else {"rng": self._rng}
        given = self.batch_sampler if self._given_batch_sampler else \
            self.sampler if self._given_sampler else None
        while given is not None:
            rng = getattr(given, "generator", None)
            if isinstance(rng, np.random.Generator) and rng is not self._rng:
                found["sampler_rng"] = rng
                break
            given = getattr(given, "sampler", None)
        return found

    def state_dict(self) -> dict[str, Any]:
        """Where the shuffling stands: the state of the loader's own generator (from `seed` or
        `generator`) and of a given sampler's, so that a resumed run draws the same next
        epochs. A loader without either shuffles with the shared generator: save
        `autograd.random.get_state()` instead (empty dict here)."""
        return {key: rng.bit_generator.state for key, rng in self._generators().items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict()` saved."""
        generators = self._generators()
        expected = set(generators)
        if not isinstance(state, dict) or set(state) != expected:
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"DataLoader.load_state_dict: expected the keys {sorted(expected)} "
                             f"(a DataLoader {'with' if expected else 'without'} a seed or "
                             f"generator), got {got}")
        for key, rng in generators.items():
            set_generator_state("DataLoader.load_state_dict", rng, state[key])

    def __len__(self) -> int:
        """Batches per epoch."""
        if self._stream:
            return self._stream_length()
        if self._unbatched:
            return len(self.sampler)
        if not self._direct:
            return len(self.batch_sampler)
        full, rest = divmod(len(self.X), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[Any]:
        """One epoch's batches: made here, or, with num_workers >= 1, by worker processes
        (nn/data/workers.py), while this process keeps the sampler and the order."""
        if self.num_workers:
            return worker_batches(self)
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        """One epoch's batches, made in this process (num_workers=0)."""
        if self._stream:
            yield from self._stream_batches()
            return
        if self._unbatched:
            for index in self.sampler:
                yield self._sample_of(index)
            return
        if not self._direct:
            for indices in self.batch_sampler:
                yield self._batch_of(list(indices))
            return
        for rows in self._direct_rows():
            yield self._direct_batch(rows)

    def _direct_rows(self) -> Iterator[slice | np.ndarray]:
        """The rows of each batch of arrays without a sampler (the fast path): slices, or
        the rows of one permutation drawn at the start of the epoch."""
        n, size = len(self.X), self.batch_size
        stop = n - n % size if self.drop_last else n
        order = None
        if self.shuffle:
            order = (self._rng if self._rng is not None else default_rng()).permutation(n)
        for start in range(0, stop, size):
            # shuffled rows are gathered one batch at a time, so there is never a shuffled copy
            # of the whole dataset in memory
            yield slice(start, start + size) if order is None else order[start:start + size]

    def _direct_batch(self, rows: slice | np.ndarray) -> Any:
        """The batch of arrays at `rows`: a tuple, or X's batch alone for DataLoader(X)."""
        batch = self._batch(rows)
        return batch if self._tuples or len(batch) > 1 else batch[0]

    def _batch(self, rows: slice | np.ndarray) -> tuple[Tensor | np.ndarray, ...]:
        """The rows of every array: the first (X) as a Tensor, the others as they were given."""
        return tuple(Tensor(_own_rows(array, rows)) if i == 0 or tensor else _own_rows(array, rows)
                     for i, (array, tensor) in enumerate(zip(self.dataset.arrays,
                                                             self.dataset._tensors)))

    def _sample_of(self, index: Any) -> Any:
        """Sample `index` alone (batch_size=None): through collate_fn if given, else with its
        arrays as Tensors and the rest as it is (PyTorch's default_convert)."""
        sample = self.dataset[index]
        if not self._tuples and len(self.dataset.arrays) == 1:
            sample = sample[0]                              # DataLoader(X): x, not (x,)
        return self.collate_fn(sample) if self.collate_fn is not None else _converted(sample)

    def _batch_of(self, indices: list) -> Any:
        """The batch of the samples at `indices`: collated (by collate_fn or default_collate),
        or, for arrays without a collate_fn, their rows gathered at once."""
        if not indices:
            raise ValueError("DataLoader: the batch sampler gave an empty batch of indices")
        if self.collate_fn is None and not self._samples:
            rows = np.asarray(indices)
            try:
                if rows.dtype.kind not in "iu":     # 0.5 would be cut to row 0
                    raise TypeError
                batch = self._batch(rows)
            except (IndexError, ValueError, TypeError):
                raise IndexError(f"DataLoader: the sampler gave the indices {_shown(indices)}, "
                                 f"but the dataset has {len(self.X)} samples (indices must be "
                                 f"ints in 0..{len(self.X) - 1})") from None
            return batch if self._tuples or len(batch) > 1 else batch[0]
        if self.collate_fn is None:
            rows = _rows_of_subset(self.dataset, indices)
            if rows is not None:                # random_split's parts of a TensorDataset
                return [Tensor(array[rows]) for array in _rows_source(self.dataset).arrays]
        samples = self._samples_at(indices)
        if not self._tuples and len(self.dataset.arrays) == 1:
            samples = [sample[0] for sample in samples]       # DataLoader(X): x, not (x,)
        if self.collate_fn is not None:
            return self.collate_fn(samples)
        try:
            return _collated("DataLoader", samples, "")
        except (TypeError, ValueError) as error:    # which samples: the dataset's indices
            raise type(error)(f"{error} (the batch of dataset indices "
                              f"{_shown(indices)})") from None

    def _samples_at(self, indices: list) -> list:
        """The samples at `indices`: `dataset.__getitems__(indices)` when the dataset has one
        (a batch read at once, as PyTorch's loader reads it), else dataset[i] one by one."""
        read_all = getattr(self.dataset, "__getitems__", None)
        if read_all is not None:
            return list(read_all(indices))
        return [self.dataset[i] for i in indices]

    def __repr__(self) -> str:
        if self._stream:
            return (f"DataLoader(stream {type(self.dataset).__name__}, "
                    f"batch_size={self.batch_size}, drop_last={self.drop_last})")
        if self._samples:
            return (f"DataLoader({len(self.dataset)} samples of {type(self.dataset).__name__}, "
                    f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                    f"drop_last={self.drop_last})")
        count = len(self.dataset.arrays)
        what = {1: "", 2: ", with labels"}.get(count, f", {count} arrays each")
        return (f"DataLoader({len(self.X)} samples{what}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}: {len(self)} "
                f"batch{'' if len(self) == 1 else 'es'})")
