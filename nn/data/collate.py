"""PyTorch's default collate rules: how the samples a DataLoader reads from a dataset become
one batch, entry by entry (`default_collate`), and how one sample is given when it does not
batch them (batch_size=None: `_converted`). A `collate_fn` of your own may build on
`default_collate`, as in PyTorch:

>>> import numpy as np
>>> def pad_ids(samples):                       # ragged token ids padded, the rest as usual
...     width = max(len(s["ids"]) for s in samples)
...     padded = [{**s, "ids": np.pad(s["ids"], (0, width - len(s["ids"])))} for s in samples]
...     return default_collate(padded)
>>> batch = pad_ids([{"ids": np.array([5, 6, 7]), "label": 1}, {"ids": np.array([8]), "label": 0}])
>>> batch["ids"].tolist(), batch["label"].tolist()
([[5, 6, 7], [8, 0, 0]], [1, 0])
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any, Sequence

import numpy as np

from autograd import Tensor, get_default_dtype, stack


def _kind(value: Any) -> str | None:
    """What default_collate makes of a sample's entry: "number" (a Tensor, an array or a number:
    stacked into one Tensor), "text", "mapping", "sequence", or None (it cannot be batched)."""
    if isinstance(value, (Tensor, np.ndarray, np.generic, numbers.Number)) and \
            not isinstance(value, (np.str_, np.bytes_)):
        return "number"
    if isinstance(value, (str, bytes)):
        return "text"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, (tuple, list)):
        return "sequence"
    return None


def _collated(where: str, samples: Sequence, field: str) -> Any:
    """`samples` (the same entry, `field`, of every sample of a batch) batched; errors name
    `where`, the entry and the sample that differs."""
    first, at = samples[0], f" {field}" if field else ""
    kind = _kind(first)
    if kind is None:
        raise TypeError(f"{where}: cannot batch{at} of type {type(first).__name__}; a sample "
                        f"may hold Tensors, arrays, numbers, strings, and tuples, lists or "
                        f"dicts of them (or give the DataLoader a collate_fn)")
    for i, sample in enumerate(samples[1:], start=1):
        if _kind(sample) != kind:
            raise TypeError(f"{where}: sample 0's{at} is a {type(first).__name__} but sample "
                            f"{i}'s is a {type(sample).__name__}; they cannot be batched "
                            f"together")
    if kind == "text":          # as they were gathered: a tuple of them inside a tuple or list
        return samples
    if kind == "mapping":
        keys = list(first)
        for i, sample in enumerate(samples[1:], start=1):
            if set(sample) != set(keys):
                raise ValueError(f"{where}: sample 0's{at} has the keys {sorted(map(str, keys))} "
                                 f"but sample {i}'s has {sorted(map(str, sample))}")
        return {key: _collated(where, [sample[key] for sample in samples], f"{field}[{key!r}]")
                for key in keys}
    if kind == "sequence":
        for i, sample in enumerate(samples[1:], start=1):
            if len(sample) != len(first):
                raise ValueError(f"{where}: sample 0's{at} has {len(first)} entries but sample "
                                 f"{i}'s has {len(sample)}")
        entries = [_collated(where, column, f"{field}[{j}]")
                   for j, column in enumerate(zip(*samples))]
        if isinstance(first, tuple) and hasattr(first, "_fields"):      # a namedtuple
            return type(first)(*entries)
        return entries                      # a list for tuples too, as PyTorch's
    if any(isinstance(sample, Tensor) and sample.requires_grad for sample in samples):
        return _stacked_in_graph(where, samples, at)
    arrays = [np.asarray(sample.data if isinstance(sample, Tensor) else sample)
              for sample in samples]
    _check_same_shape(where, arrays, at)
    # C order, as PyTorch's batches are: numpy's stack keeps the layout the samples share
    # (an image dataset's ToTensor permute: strides and is_contiguous() would differ)
    batch = np.ascontiguousarray(np.stack(arrays))
    if batch.dtype.kind not in "biuf":
        raise TypeError(f"{where}: cannot batch{at} of dtype {batch.dtype}; it must hold "
                        f"numbers")
    if type(first) is float:        # Python floats (not numpy's float64): Tensor's rule
        batch = batch.astype(get_default_dtype())
    return Tensor(batch)


def _stacked_in_graph(where: str, samples: list, at: str) -> Tensor:
    """Samples of which some are Tensors that require grad (a dataset of trainable numbers),
    stacked by the differentiable `stack`, so that the gradient reaches them, as in PyTorch."""
    tensors = [sample if isinstance(sample, Tensor) else Tensor(np.asarray(sample))
               for sample in samples]
    _check_same_shape(where, tensors, at)
    return stack(tensors)


def _check_same_shape(where: str, entries: list, at: str) -> None:
    """Entries (arrays or Tensors) to be stacked into one batch must share sample 0's shape."""
    first = entries[0].shape
    for i, entry in enumerate(entries[1:], start=1):
        shape = entry.shape
        if shape != first:
            hint = ""
            if len(shape) == len(first) > 0 and shape[1:] == first[1:]:   # only lengths differ
                hint = ("; sequences of different lengths: pad them in a collate_fn, with "
                        "nn.utils.rnn.pad_sequence")
            raise ValueError(f"{where}: sample 0's{at} has shape {first} but sample {i}'s has "
                             f"{shape}; samples stacked into one batch must have the same "
                             f"shape{hint}")


def _converted(sample: Any) -> Any:
    """A sample with its arrays as Tensors (a Tensor, a number or a string as it is; tuples,
    lists and dicts entry by entry), as PyTorch's loader gives one with batch_size=None."""
    if isinstance(sample, (np.ndarray, np.generic)) and sample.dtype.kind in "biuf":
        return Tensor(np.array(sample))
    if isinstance(sample, Mapping):
        return {key: _converted(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*map(_converted, sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(map(_converted, sample))
    return sample


def default_collate(batch: Sequence[Any]) -> Any:
    """A list of samples made into one batch, as PyTorch's default collate does: Tensors,
    arrays and numbers are stacked into one constant Tensor with a new first axis (Python
    floats take the default dtype, as in `Tensor(...)`; ints become int64; arrays keep their
    dtype); tuples and lists are batched entry by entry into a list (a namedtuple keeps its
    type), dicts into a dict; strings come back as they were gathered, with PyTorch's types:
    a list of a batch's strings or of a dict's, a tuple of a tuple's or a list's entries.
    Entries that differ in shape or type between samples are an error naming the entry.

    >>> x, y = default_collate([(np.array([1.0, 2.0]), 0), (np.array([3.0, 4.0]), 1)])
    >>> x.shape, y.tolist()
    ((2, 2), [0, 1])
    >>> default_collate([{"id": "a", "n": 1}, {"id": "b", "n": 2}])["id"]
    ['a', 'b']
    >>> default_collate([(np.array([1.0]), "a"), (np.array([2.0]), "b")])[1]
    ('a', 'b')
    """
    samples = batch if isinstance(batch, (list, tuple)) else list(batch)
    if not samples:
        raise ValueError("default_collate: got an empty batch; there is nothing to batch")
    return _collated("default_collate", samples, "")
