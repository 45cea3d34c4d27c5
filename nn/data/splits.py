"""Hold data out: train/test and train/validation/test splits, optionally stratified.

>>> import numpy as np
>>> from nn.data import train_test_split
>>> X, y = np.arange(20).reshape(10, 2), np.array([0] * 5 + [1] * 5)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, seed=0)
>>> X_train.shape, X_test.shape, sorted(y_test.tolist())    # one of each class held out
((8, 2), (2, 2), [0, 1])

Rows keep their pairing (X_train[i] belongs with y_train[i]). Tensors come back as Tensors,
pandas DataFrames and Series as DataFrames and Series of the chosen rows, their index labels
kept (as scikit-learn gives them: `X_test.head()`, and `y_test.index` names the rows), polars
ones as polars ones of the chosen rows (which have no index to keep), anything else as
ndarrays. `shuffle=False` keeps the order and holds out the LAST samples: the honest split for
a time series, where the model must not peek at the future.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

from autograd import Tensor
from autograd.tables import is_polars, is_table, table_array

from .loader import _flag, generator, seed_or_random_state


def _length(fn: str, X: Any, y: Any) -> int:
    try:
        n_x, n_y = len(X), len(y)
    except TypeError:
        raise TypeError(f"{fn}: X and y must be sequences of samples (arrays, Tensors or "
                        f"lists), got {type(X).__name__} and {type(y).__name__}") from None
    if n_x != n_y:
        raise ValueError(f"{fn}: X has {n_x} samples but y has {n_y}; they must match one to one")
    return n_x


def _take(data: Any, rows: np.ndarray) -> Any:
    if isinstance(data, Tensor):
        return Tensor(data.data[rows])
    if is_table(data) and hasattr(data, "iloc"):      # by position: data[rows] would pick
        return data.iloc[rows]                         # a DataFrame's columns, or index labels
    if is_polars(data):                                # (polars has no index: rows are its
        return data[rows]                              # positions, as an array of ints picks)
    return np.asarray(data)[rows]


def _count(fn: str, name: str, size: Any, n: int) -> int:
    """A part's size as a sample count: an int is a count, a float a fraction (rounded up)."""
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a fraction or a count, got {size!r}")
    if isinstance(size, numbers.Integral):
        count = int(size)
        if count < 1:
            raise ValueError(f"{fn}: {name} must be positive (a float in (0, 1) or an int "
                             f"≥ 1), got {size}")
    elif 0.0 < size < 1.0:
        # round first: 0.07 * 100 is 7.000000000000001 in binary floating point, which ceil
        # would make 8 samples, not 7
        count = math.ceil(round(size * n, 9))
    else:
        raise ValueError(f"{fn}: {name} as a fraction must be in (0, 1), got {size}")
    if not 1 <= count <= n - 1:
        raise ValueError(f"{fn}: {name}={size} of {n} samples gives {count} held out, which "
                         f"leaves one part empty (each part needs at least one sample)")
    return count


def _stratify_labels(fn: str, stratify: Any, shuffle: bool, n: int, parts: int
                     ) -> np.ndarray | None:
    if stratify is None:
        return None
    if not shuffle:
        raise ValueError(f"{fn}: stratify needs shuffle=True (an unshuffled split holds out "
                         f"the last samples, whatever their class)")
    labels = table_array(fn, stratify, text=True, of="stratify") if is_table(stratify) else \
        np.asarray(stratify.data if isinstance(stratify, Tensor) else stratify)
    if labels.shape != (n,):
        raise ValueError(f"{fn}: stratify must be one label per sample, shape ({n},), "
                         f"got shape {labels.shape}")
    classes, counts = np.unique(labels, return_counts=True)
    if counts.min() < parts:
        smallest = int(np.argmin(counts))
        raise ValueError(f"{fn}: class {classes[smallest].item()!r} has only {counts[smallest]} "
                         f"sample(s); stratifying into {parts} parts needs at least {parts} "
                         f"per class")
    return labels


def _hold_out(n: int, n_out: int, labels: np.ndarray | None, shuffle: bool,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(kept positions, held-out positions) of n samples, n_out of them held out.

    Stratified, each class gives its share n_class * n_out / n, rounded to a neighbouring
    integer (the largest remainders round up, so that the counts add up to n_out exactly).
    """
    if not shuffle:
        return np.arange(n - n_out), np.arange(n - n_out, n)
    if labels is None:
        order = rng.permutation(n)
        return order[n_out:], order[:n_out]
    _, class_of, counts = np.unique(labels, return_inverse=True, return_counts=True)
    out, remainder = np.divmod(counts * n_out, n)              # exact integer arithmetic
    out[np.argsort(-remainder, kind="stable")[:n_out - out.sum()]] += 1
    # positions grouped by class, in random order inside each class; each group gives its first
    # out[class] positions
    order = rng.permutation(n)
    order = order[np.argsort(class_of[order], kind="stable")]
    rank_in_class = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    held = rank_in_class < np.repeat(out, counts)
    return rng.permutation(order[~held]), rng.permutation(order[held])


def train_test_split(X: Any, y: Any, test_size: float | int = 0.25, *, stratify: Any = None,
                     shuffle: bool = True, seed: int | np.random.Generator | None = None,
                     random_state: int | np.random.Generator | None = None
                     ) -> tuple[Any, Any, Any, Any]:
    """Split into X_train, X_test, y_train, y_test (scikit-learn's order).

    `test_size` is a fraction (rounded up to whole samples, as in scikit-learn; but 0.07 of 100
    samples is 7 here, where scikit-learn rounds the float product 7.000000000000001 up to 8)
    or a count. `stratify=y` keeps each class's share in both parts (to within one sample).
    Randomness comes from `seed` (an int or a numpy Generator) or, without one, from
    `autograd.default_rng()`; `random_state=` is scikit-learn's name for `seed`.

    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     np.arange(5), np.arange(5) * 10, test_size=2, shuffle=False)
    >>> X_train, y_test
    (array([0, 1, 2]), array([30, 40]))
    """
    fn = "train_test_split"
    seed = seed_or_random_state(fn, seed, random_state)
    n = _length(fn, X, y)
    shuffle = _flag(fn, "shuffle", shuffle)
    n_test = _count(fn, "test_size", test_size, n)
    labels = _stratify_labels(fn, stratify, shuffle, n, parts=2)
    train, test = _hold_out(n, n_test, labels, shuffle, generator(fn, seed))
    return _take(X, train), _take(X, test), _take(y, train), _take(y, test)


def _part_counts(fn: str, sizes: Sequence[float | int], n: int) -> tuple[int, int, int]:
    """(n_train, n_val, n_test) from three fractions summing to 1 or three counts summing to n."""
    sizes = tuple(sizes)
    if len(sizes) != 3 or any(isinstance(s, bool) or not isinstance(s, numbers.Real)
                              for s in sizes):
        raise TypeError(f"{fn}: sizes must be three numbers (train, val, test), got {sizes!r}")
    if all(isinstance(s, numbers.Integral) for s in sizes):
        counts = tuple(int(s) for s in sizes)
        if sum(counts) != n:
            raise ValueError(f"{fn}: sizes {counts} add up to {sum(counts)}, but there are "
                             f"{n} samples")
    else:
        if not all(0.0 < s < 1.0 for s in sizes) or not math.isclose(sum(sizes), 1.0,
                                                                      abs_tol=1e-6):
            raise ValueError(f"{fn}: sizes as fractions must each be in (0, 1) and add up to 1, "
                             f"got {sizes} (sum {sum(sizes):g})")
        n_val, n_test = (math.ceil(round(s * n, 9)) for s in sizes[1:])
        counts = (n - n_val - n_test, n_val, n_test)
    if min(counts) < 1:
        raise ValueError(f"{fn}: sizes {sizes} of {n} samples give parts of {counts} samples; "
                         f"each part needs at least one")
    return counts


def train_val_test_split(X: Any, y: Any, sizes: Sequence[float | int] = (0.8, 0.1, 0.1), *,
                         stratify: Any = None, shuffle: bool = True,
                         seed: int | np.random.Generator | None = None) -> tuple[Any, ...]:
    """Split into X_train, X_val, X_test, y_train, y_val, y_test (the lectures' 8-1-1 by default).

    `sizes` are three fractions summing to 1 (validation and test round up to whole samples) or
    three counts. Select models on the validation part; touch the test part once, at the end.
    Stratified, each class's share is kept to within one sample in the test part and two in
    the validation part (it is cut from what the test part left).

    >>> parts = train_val_test_split(np.arange(10), np.arange(10), seed=0)
    >>> [len(p) for p in parts]
    [8, 1, 1, 8, 1, 1]
    """
    fn = "train_val_test_split"
    n = _length(fn, X, y)
    shuffle = _flag(fn, "shuffle", shuffle)
    _, n_val, n_test = _part_counts(fn, sizes, n)
    labels = _stratify_labels(fn, stratify, shuffle, n, parts=3)
    rng = generator(fn, seed)
    rest, test = _hold_out(n, n_test, labels, shuffle, rng)
    keep, val = _hold_out(len(rest), n_val, None if labels is None else labels[rest], shuffle,
                          rng)
    train, val = rest[keep], rest[val]
    return (_take(X, train), _take(X, val), _take(X, test),
            _take(y, train), _take(y, val), _take(y, test))
