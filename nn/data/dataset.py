"""A user's own dataset, and datasets made of others: `Dataset`, `Subset`, `ConcatDataset`,
`random_split`, and the streams `IterableDataset` and `ChainDataset`, as in PyTorch's
`torch.utils.data`.

A dataset is anything with `len(dataset)` and `dataset[i]` for i in range(len(dataset)); a
`DataLoader` batches any such object. Subclassing `Dataset` is optional; it adds `+`, which
chains two datasets.

>>> import numpy as np
>>> class Squares(Dataset):
...     def __len__(self):
...         return 5
...     def __getitem__(self, i):
...         return np.float32(i), i * i
>>> train, test = random_split(Squares(), [4, 1], generator=np.random.default_rng(0))
>>> len(train), len(test), len(train + test)
(4, 1, 5)
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from autograd import Tensor
from autograd.random import chosen_generator
from autograd.warn import warn


def _length(where: str, dataset: Any) -> int:
    """`len(dataset)` of a dataset with len() and dataset[i], or an error naming `where` for
    an object without them (a stream among them)."""
    if isinstance(dataset, IterableDataset):
        raise TypeError(f"{where}: {type(dataset).__name__} is a stream (an IterableDataset), "
                        f"which has no dataset[i] to pick samples by; give it to a DataLoader "
                        f"as it is, chain streams with ChainDataset (or a + b), or make a "
                        f"Dataset of list(stream)")
    try:
        return len(dataset)
    except TypeError:
        raise TypeError(f"{where}: a dataset needs len() and dataset[i], got "
                        f"{type(dataset).__name__}, which has no len()") from None


def _position(where: str, index: Any, length: int) -> int:
    """`index` as a position in 0..length-1 (negative ones count from the end, as for a list);
    anything else is an error naming `where`, the index and the length."""
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise TypeError(f"{where}: index must be an int, got {index!r}")
    if not -length <= index < length:
        raise IndexError(f"{where}: index {index} is out of range for {length} samples")
    return int(index) % length


def _as_list(indices: Any) -> Any:
    """Indices given as an array or a Tensor (autograd.randperm(n)[:k], say) as a list of
    Python ints, which any dataset's [i] takes; other sequences as they are."""
    if isinstance(indices, Tensor):
        indices = indices.data
    return indices.tolist() if isinstance(indices, np.ndarray) else indices


class Dataset:
    """The base of a dataset: subclass it and write `__len__` and `__getitem__(i)`, which
    returns sample i (a tuple such as `(x, y)`, a dict, an array, ...). `a + b` is
    `ConcatDataset([a, b])`.

    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, i):
    ...         return i, i * i
    >>> data = Squares()
    >>> len(data), data[2], len(data + data)
    (3, (2, 4), 6)
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index), "
                                  f"which returns one sample")

    def __add__(self, other: Any) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples, PyTorch's `IterableDataset`: subclass it and write `__iter__`,
    which yields the samples one by one (lines read from a file, examples made on the fly), so
    that nothing needs all of them in memory or an index. A `DataLoader` reads it in its own
    order, `batch_size` samples at a time, each batch made by `collate_fn` (by default
    `default_collate`); shuffle, sampler and batch_sampler, which need indices, are refused.
    `len()` is optional: with a `__len__`, `len(loader)` counts the batches. `a + b` chains two
    streams (`ChainDataset`).

    >>> class Countdown(IterableDataset):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         for i in range(self.n, 0, -1):
    ...             yield np.float64(i), i % 2
    >>> from nn.data import DataLoader
    >>> [xb.tolist() for xb, yb in DataLoader(Countdown(5), batch_size=2)]
    [[5.0, 4.0], [3.0, 2.0], [1.0]]
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__, which yields "
                                  f"the samples one by one")

    def __add__(self, other: Any) -> ChainDataset:
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several streams one after another (PyTorch's `ChainDataset`): each is read to its end
    before the next begins; `len()` adds up their lengths, when every one has one.

    >>> list(ChainDataset([range(2), range(3)]))
    [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            yield from dataset

    def __len__(self) -> int:
        try:
            return sum(len(dataset) for dataset in self.datasets)
        except TypeError:
            raise TypeError("ChainDataset: len() needs every chained dataset to have "
                            "one") from None


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: `subset[i]` is
    `dataset[indices[i]]`.

    >>> Subset(["a", "b", "c"], [2, 0])[1]
    'a'
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        n = _length("Subset", dataset)
        self.dataset = dataset
        self.indices = [_position("Subset: indices", i, n) for i in _as_list(indices)]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[_position("Subset", index, len(self.indices))]]

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {len(self.dataset)} samples)"


class ConcatDataset(Dataset):
    """Several datasets one after another: `len()` is the sum of their lengths, and index
    `len(first)` is the second's sample 0. `cumulative_sizes` holds the running totals.

    >>> data = ConcatDataset([[10, 11, 12], [20, 21]])
    >>> len(data), data[3], data[-1], data.cumulative_sizes
    (5, 20, 21, [3, 5])
    """

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: needs at least one dataset, got none")
        self.cumulative_sizes = np.cumsum(
            [_length("ConcatDataset", dataset) for dataset in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        index = _position("ConcatDataset", index, len(self))
        which = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]

    def __repr__(self) -> str:
        sizes = np.diff([0] + self.cumulative_sizes).tolist()
        return f"ConcatDataset({len(self)} samples: {' + '.join(map(str, sizes))})"


def _split_counts(lengths: Sequence[Any], n: int) -> list[int]:
    """The parts' sizes: counts that add up to n, or fractions that add up to 1. Fractions
    are rounded down and the samples left over go one each to the first parts, as PyTorch
    does (so the split is the same as PyTorch's)."""
    lengths = list(lengths)
    if not lengths or any(isinstance(length, bool) or not isinstance(length, numbers.Real)
                          for length in lengths):
        raise TypeError(f"random_split: lengths must be counts (ints) or fractions (floats), "
                        f"got {lengths!r}")
    if all(isinstance(length, numbers.Integral) for length in lengths):
        counts = [int(length) for length in lengths]
        if min(counts) < 0 or sum(counts) != n:
            raise ValueError(f"random_split: lengths {counts} must be counts >= 0 adding up to "
                             f"the dataset's {n} samples (they add up to {sum(counts)})")
        return counts
    if not all(0 <= length <= 1 for length in lengths) or not math.isclose(sum(lengths), 1):
        raise ValueError(f"random_split: lengths as fractions must each be in [0, 1] and add "
                         f"up to 1, got {lengths} (sum {sum(lengths):g})")
    counts = [math.floor(n * fraction) for fraction in lengths]
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    if 0 in counts:             # as PyTorch, a warning: an empty part is allowed, if unusual
        warn(f"random_split: the fractions {lengths} of {n} samples give parts of {counts} "
             f"samples; part {counts.index(0)} is empty")
    return counts


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split `dataset` at random into non-overlapping `Subset`s of the given `lengths`: counts
    adding up to `len(dataset)`, or fractions adding up to 1 (rounded down, the samples left
    over going one each to the first parts, as in PyTorch: 0.5, 0.5 of 11 gives 6 and 5). The
    order comes from `generator` (a numpy Generator, such as
    `autograd.Generator().manual_seed(42)`) or the shared `autograd.default_rng()`.

    >>> [len(part) for part in random_split(range(11), [0.5, 0.5])]
    [6, 5]
    """
    n = _length("random_split", dataset)
    counts = _split_counts(lengths, n)
    order = chosen_generator("random_split", generator).permutation(n).tolist()
    ends = np.cumsum(counts).tolist()
    return [Subset(dataset, order[end - count:end]) for count, end in zip(counts, ends)]
