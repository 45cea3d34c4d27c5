"""Checkpoints: weights, and whole training states, to and from `.npz` files, safely.

`save` writes to a temporary file beside the target and renames it, so a crash never leaves a
half-written checkpoint; `load` reads with pickle disabled, so a file from anywhere can only ever
yield numbers, arrays and plain text, never run code.

A model's weights (a Module, or a dict of name → array) are stored one array per name, as
before. To resume training later, save everything that changes in one file: a dict whose
values may be Modules, optimizers and schedulers (their `state_dict()` is taken) or plain data
(numbers, strings, None, lists, tuples, dicts, arrays); a `DataLoader` and
`autograd.random.get_state()` add where the shuffling and dropout stand. Arrays are stored under
their path
("optimizer/state/0/momentum_buffer"); the rest is stored as JSON text under "__structure__", and
`load` rebuilds the same nested dict, types included:

>>> import os, tempfile
>>> from nn import Linear, save, load
>>> from nn.optim import SGD
>>> from nn.optim.lr_scheduler import StepLR
>>> model = Linear(2, 1)
>>> optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> scheduler = StepLR(optimizer, step_size=10)
>>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
>>> save({"model": model, "optimizer": optimizer, "scheduler": scheduler, "epoch": 3}, path)
>>> checkpoint = load(path)
>>> model.load_state_dict(checkpoint["model"])
>>> optimizer.load_state_dict(checkpoint["optimizer"])
>>> scheduler.load_state_dict(checkpoint["scheduler"])
>>> checkpoint["epoch"], sorted(checkpoint["optimizer"])
(3, ['param_groups', 'state'])
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from autograd.files import atomic_open
from autograd.graph import Node

from .module import Module

__all__ = ["save", "load"]

STRUCTURE = "__structure__"         # the archive entry holding the JSON of a nested checkpoint


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write a Module's weights, a dict of name → array, or a nested training state (a dict of
    Modules, optimizers, schedulers and plain data) to `path` as `.npz`, atomically."""
    state = _state_of(obj)
    if not isinstance(state, dict):
        raise TypeError(f"save: expected a Module, a dict of arrays or a dict of training state, "
                        f"got {type(obj).__name__}")
    if all(isinstance(v, (np.ndarray, Node)) for v in state.values()) and state:
        arrays = _flat_arrays(state)                    # weights: one array per name
    else:
        arrays = {}
        tree = _encode(state, "", arrays)
        arrays[STRUCTURE] = np.array(json.dumps(tree))
    with atomic_open(path) as f:        # a file object: numpy adds no ".npz" to the name
        np.savez(f, **arrays)


def _state_of(obj: Any) -> Any:
    """A Module's, optimizer's or scheduler's `state_dict()`; anything else as it is."""
    if isinstance(obj, Module) or (not isinstance(obj, (dict, type)) and
                                   callable(getattr(obj, "state_dict", None))):
        return obj.state_dict()
    return obj


def _flat_arrays(state: dict) -> dict[str, np.ndarray]:
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str) or not name or name == STRUCTURE:
            raise TypeError(f"save: names must be non-empty strings other than {STRUCTURE!r}, "
                            f"got {name!r}")
        arrays[name] = _numbers(name, value)
    return arrays


def _numbers(where: str, value: Any) -> np.ndarray:
    array = np.asarray(value.data if isinstance(value, Node) else value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"save: {where!r} is not an array of numbers (dtype {array.dtype})")
    return array


def _encode(value: Any, where: str, arrays: dict[str, np.ndarray]) -> Any:
    """`value` as JSON-able data; arrays go into `arrays` under `where` and leave a reference."""
    value = _state_of(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.ndarray, Node, np.generic)):
        if where in arrays or not where:
            raise ValueError(f"save: two entries are both stored as {where!r}; use distinct keys")
        arrays[where] = _numbers(where, value)
        return {"__scalar__" if isinstance(value, np.generic) else "__array__": where}
    here = (lambda key: f"{where}/{key}" if where else str(key))
    if isinstance(value, (list, tuple)):
        items = [_encode(item, here(i), arrays) for i, item in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") and "/" not in k for k in value):
            return {k: _encode(v, here(k), arrays) for k, v in value.items()}
        for k in value:                     # ints (an optimizer's parameter numbers), ...
            if not isinstance(k, (bool, int, float, str)) or isinstance(k, str) and "/" in k:
                raise TypeError(f"save: {where or 'the state'!r} has a key {k!r}; keys must be "
                                f"numbers or strings without '/'")
        return {"__dict__": [[k, _encode(v, here(k), arrays)] for k, v in value.items()]}
    raise TypeError(f"save: {where or 'the state'!r} is a {type(value).__name__}; a checkpoint "
                    f"holds Modules, optimizers, schedulers, arrays, numbers, strings, None, "
                    f"lists, tuples and dicts")


def load(path: str | os.PathLike) -> Any:
    """Read a checkpoint written by `save`: name → array for weights (in the saved order), or
    the nested training state as it was saved. Never unpickles."""
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an archive of named arrays")
        with archive:
            arrays = OrderedDict((name, archive[name]) for name in archive.files)
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no checkpoint at {path!r}") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise ValueError(f"load: {path!r} is not a glassgrad checkpoint (.npz of number arrays): "
                         f"{err}") from None
    if STRUCTURE not in arrays:
        return arrays
    try:
        return _decode(json.loads(str(arrays.pop(STRUCTURE)[()])), arrays)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"load: {path!r} has a damaged {STRUCTURE!r} entry: {err}") from None


def _decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(tree, list):
        return [_decode(item, arrays) for item in tree]
    if not isinstance(tree, dict):
        return tree
    if "__array__" in tree:
        return arrays[tree["__array__"]]
    if "__scalar__" in tree:
        return arrays[tree["__scalar__"]][()]
    if "__tuple__" in tree:
        return tuple(_decode(item, arrays) for item in tree["__tuple__"])
    if "__dict__" in tree:
        return {key: _decode(value, arrays) for key, value in tree["__dict__"]}
    return {key: _decode(value, arrays) for key, value in tree.items()}
