"""Checkpoints: weights to and from `.npz` files, safely.

`save` writes to a temporary file beside the target and renames it, so a crash never leaves a
half-written checkpoint; `load` reads with pickle disabled, so a file from anywhere can only ever
yield arrays of numbers, never run code.

>>> import os, tempfile
>>> from nn import Linear, save, load
>>> model = Linear(2, 1)
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> save(model, path)
>>> sorted(load(path))
['bias', 'weight']
"""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from autograd.files import atomic_open
from autograd.graph import Node

from .module import Module

__all__ = ["save", "load"]


def save(module_or_state: Any, path: str | os.PathLike) -> None:
    """Write a module's `state_dict()` (or a dict of name → array) to `path` as `.npz`."""
    state = (module_or_state.state_dict() if isinstance(module_or_state, Module)
             else module_or_state)
    if not isinstance(state, dict):
        raise TypeError(f"save: expected a Module or a dict of arrays, got "
                        f"{type(module_or_state).__name__}")
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"save: names must be non-empty strings, got {name!r}")
        array = np.asarray(value.data if isinstance(value, Node) else value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save: {name!r} is not an array of numbers (dtype {array.dtype})")
        arrays[name] = array
    with atomic_open(path) as f:        # a file object: numpy adds no ".npz" to the name
        np.savez(f, **arrays)


def load(path: str | os.PathLike) -> OrderedDict[str, np.ndarray]:
    """Read a checkpoint written by `save`: name → array, in the saved order. Never unpickles."""
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an archive of named arrays")
        with archive:
            return OrderedDict((name, archive[name]) for name in archive.files)
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no checkpoint at {path!r}") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise ValueError(f"load: {path!r} is not a glassgrad checkpoint (.npz of number arrays): "
                         f"{err}") from None
