"""Samplers: the order in which a `DataLoader` visits a dataset's indices (`sampler=`), and how
it groups them into batches (`batch_sampler=`), as in PyTorch's `torch.utils.data`.

A sampler is anything that yields indices when iterated; these are the usual ones. Those that
draw at random use `generator=` (a numpy Generator, such as
`autograd.Generator().manual_seed(0)`) or, without one, the shared `autograd.default_rng()`
at the start of each epoch, so `autograd.manual_seed` makes a run reproducible. The numbers
are glassgrad's, not PyTorch's.

>>> import numpy as np
>>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
[[0, 1], [2, 3], [4]]
>>> sampler = WeightedRandomSampler([0.0, 1.0, 0.0], num_samples=3)   # only index 1 can come
>>> list(sampler)
[1, 1, 1]
"""

from __future__ import annotations

import numbers
from typing import Any, Iterator, Sequence

import numpy as np

from autograd import Tensor, default_rng
from autograd.functional import _yes_or_no
from autograd.random import chosen_generator

from .dataset import _as_list, _length


def _rng(where: str, generator: Any) -> np.random.Generator | None:
    """The sampler's own generator, or None: it then draws from the shared one each epoch
    (looked up then, since `manual_seed` replaces it)."""
    return None if generator is None else chosen_generator(where, generator)


def _count(where: str, name: str, value: Any) -> int:
    """A number of samples: an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{where}: {name} must be an int >= 1, got {value!r}")
    return int(value)


class Sampler:
    """The base of a sampler: subclass it and write `__iter__` (yield indices) and, for
    `len(loader)`, `__len__`.

    >>> class Evens(Sampler):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         return iter(range(0, self.n, 2))
    >>> list(Evens(5))
    [0, 2, 4]
    """

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__, which yields "
                                  f"indices")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1: the order of a DataLoader without shuffle.

    >>> list(SequentialSampler(["a", "b", "c"]))
    [0, 1, 2]
    """

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """The indices of `data_source` in a new random order every epoch (what `shuffle=True`
    uses). `replacement=True` draws `num_samples` indices independently (default
    `len(data_source)`); without replacement, a `num_samples` above the length gives one
    permutation after another, as in PyTorch.

    >>> sampler = RandomSampler(range(5), generator=np.random.default_rng(0))
    >>> first, second = list(sampler), list(sampler)           # two epochs
    >>> sorted(first) == sorted(second) == [0, 1, 2, 3, 4], first != second
    (True, True)
    """

    def __init__(self, data_source: Any, replacement: bool = False,
                 num_samples: int | None = None, generator: Any = None) -> None:
        self.data_source = data_source
        self.replacement = _yes_or_no("RandomSampler", "replacement", replacement)
        self._num_samples = None if num_samples is None else \
            _count("RandomSampler", "num_samples", num_samples)
        if _length("RandomSampler", data_source) == 0:
            raise ValueError("RandomSampler: data_source is empty; there is nothing to sample")
        self.generator = _rng("RandomSampler", generator)

    @property
    def num_samples(self) -> int:
        """Indices per epoch (the dataset's length unless given: it may change after)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        rng, n, count = self.generator or default_rng(), len(self.data_source), self.num_samples
        if self.replacement:
            return iter(rng.integers(0, n, size=count).tolist())
        rounds = -(-count // n)
        return iter(np.concatenate([rng.permutation(n) for _ in range(rounds)])[:count].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given `indices`, in a new random order every epoch (a random subset of a dataset,
    such as a validation part, without making a `Subset`).

    >>> sorted(SubsetRandomSampler([3, 7, 9], generator=np.random.default_rng(0)))
    [3, 7, 9]
    """

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = _as_list(indices)
        self.generator = _rng("SubsetRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        order = (self.generator or default_rng()).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices in 0..len(weights) - 1, index i drawn with probability
    weights[i] / sum(weights) (the weights need not add up to 1): oversampling rare classes.
    With replacement (the default) an index may come several times; without, at most once,
    so `num_samples` cannot exceed the number of positive weights.

    >>> WeightedRandomSampler([1.0, -2.0], num_samples=2)
    Traceback (most recent call last):
    ValueError: WeightedRandomSampler: weights must be finite and >= 0, got -2.0 at index 1
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        where = "WeightedRandomSampler"
        raw = weights.data if isinstance(weights, Tensor) else weights
        try:
            weights = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{where}: weights must be a 1-d sequence of numbers, got "
                            f"{type(raw).__name__}") from None
        if weights.ndim != 1 or len(weights) == 0:
            raise ValueError(f"{where}: weights must be a non-empty 1-d sequence, got shape "
                             f"{weights.shape}")
        bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
        if len(bad):
            raise ValueError(f"{where}: weights must be finite and >= 0, got "
                             f"{weights[bad[0]]} at index {bad[0]}")
        if not weights.sum() > 0:
            raise ValueError(f"{where}: weights are all zero; at least one must be positive")
        self.weights = weights
        self.num_samples = _count(where, "num_samples", num_samples)
        self.replacement = _yes_or_no(where, "replacement", replacement)
        positive = int(np.count_nonzero(weights))
        if not self.replacement and self.num_samples > positive:
            raise ValueError(f"{where}: num_samples={self.num_samples} without replacement, but "
                             f"only {positive} weights are positive (each index can come once)")
        self.generator = _rng(where, generator)

    def __iter__(self) -> Iterator[int]:
        rng = self.generator or default_rng()
        drawn = rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                           p=self.weights / self.weights.sum())
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of `sampler` into lists of `batch_size`; the last one is shorter
    unless `drop_last=True` leaves it out. A DataLoader takes one as `batch_sampler=`.

    >>> batches = BatchSampler(range(5), batch_size=2, drop_last=True)
    >>> list(batches), len(batches)
    ([[0, 1], [2, 3]], 2)
    """

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        self.sampler = sampler
        self.batch_size = _count("BatchSampler", "batch_size", batch_size)
        self.drop_last = _yes_or_no("BatchSampler", "drop_last", drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        full, rest = divmod(len(self.sampler), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)
