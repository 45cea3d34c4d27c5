"""Checkpoints: weights to and from `.npz` files, safely.

`save` writes to a temporary file beside the target and renames it, so a crash never leaves a
half-written checkpoint; `load` reads with pickle disabled, so a file from anywhere can only ever
yield arrays of numbers, never run code.

The arrays are stored in PyTorch's layout (a `Linear` weight is (out_features, in_features)), so
a checkpoint's `state_dict` loads into the same network built with `torch.nn`, and back. Each file
carries a format mark, one extra entry `__glassgrad_format__` = 2 that `load` hides; a file
without it is format 1, glassgrad 0.1, whose `Linear` weights were stored (in, out).
`model.load(path)` converts such a file (it knows which arrays are `Linear` weights) and warns;
`load(path)` returns its arrays as stored and warns that they may be transposed.

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
import warnings
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from autograd.files import atomic_open
from autograd.graph import Node

from .layers import Linear
from .module import Module, as_array

__all__ = ["save", "load", "load_into", "FORMAT_KEY", "FORMAT"]

FORMAT_KEY = "__glassgrad_format__"     # not a possible parameter name: no module has it
FORMAT = 2                              # 2: PyTorch's layout. Unmarked files are 1: glassgrad 0.1


def save(module_or_state: Any, path: str | os.PathLike) -> None:
    """Write a module's `state_dict()` (or a dict of name → array, Tensor or anything with
    `.numpy()`, such as PyTorch's state_dict) to `path` as `.npz`, with the format mark."""
    state = (module_or_state.state_dict() if isinstance(module_or_state, Module)
             else module_or_state)
    if not isinstance(state, dict):
        raise TypeError(f"save: expected a Module or a dict of arrays, got "
                        f"{type(module_or_state).__name__}")
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"save: names must be non-empty strings, got {name!r}")
        if name == FORMAT_KEY:
            raise ValueError(f"save: {FORMAT_KEY!r} is reserved for the file's format mark")
        array = as_array(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save: {name!r} is not an array of numbers (dtype {array.dtype})")
        arrays[name] = array
    arrays[FORMAT_KEY] = np.array(FORMAT)
    with atomic_open(path) as f:        # a file object: numpy adds no ".npz" to the name
        np.savez(f, **arrays)


def load(path: str | os.PathLike) -> OrderedDict[str, np.ndarray]:
    """Read a checkpoint written by `save`: name → array, in the saved order. Never unpickles.

    A file without the format mark (glassgrad 0.1, or another program) is returned as stored,
    with a warning when it holds 2-d weights: they may be (in, out), the transpose of today's.
    """
    state, version = _read(path)
    if version < FORMAT and any(a.ndim == 2 and n.endswith("weight") for n, a in state.items()):
        warnings.warn(f"load: {os.fspath(path)!r} has no glassgrad format mark: if glassgrad 0.1 "
                      f"wrote it, its Linear weights are (in, out), the transpose of today's "
                      f"(out, in); `model.load(path)` converts them", stacklevel=2)
    return state


def load_into(model: Module, path: str | os.PathLike) -> None:
    """`model.load(path)`: read the checkpoint, convert a glassgrad 0.1 file's `Linear` weights
    from (in, out) to (out, in) (with a warning naming them), and load it, checked."""
    state, version = _read(path)
    if version < FORMAT:
        state, converted = _from_format_1(state, model)
        if converted:
            warnings.warn(f"load: {os.fspath(path)!r} is a glassgrad 0.1 checkpoint (no format "
                          f"mark); transposed its Linear weights {converted} from (in, out) to "
                          f"(out, in). Save the model again to update the file", stacklevel=3)
    model.load_state_dict(state)


def _from_format_1(state: OrderedDict, model: Module) -> tuple[OrderedDict, list[str]]:
    """The state with every Linear weight stored (in, out) transposed, and their names.

    A file with no mark is taken as glassgrad 0.1's (in, out) layout, unless a weight that is not
    square already has the (out, in) shape: then the file is in PyTorch's layout (written by
    another program) and is left as it is. A square weight cannot tell: the missing mark decides.
    """
    weights = [(f"{prefix}.weight" if prefix else "weight", layer)
               for prefix, layer in model.named_modules() if isinstance(layer, Linear)]
    weights = [(name, layer) for name, layer in weights if name in state]
    for name, layer in weights:
        if layer.in_features != layer.out_features and \
                state[name].shape == (layer.out_features, layer.in_features):
            return state, []
    converted = OrderedDict(state)
    names = []
    for name, layer in weights:
        if state[name].shape == (layer.in_features, layer.out_features):
            converted[name] = state[name].T
            names.append(name)
    return converted, names


def _read(path: str | os.PathLike) -> tuple[OrderedDict[str, np.ndarray], int]:
    """(name → array, format) from an `.npz` file; format 1 when the file has no mark."""
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an archive of named arrays")
        with archive:
            state = OrderedDict((name, archive[name]) for name in archive.files)
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no checkpoint at {path!r}") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise ValueError(f"load: {path!r} is not a glassgrad checkpoint (.npz of number arrays): "
                         f"{err}") from None
    mark = state.pop(FORMAT_KEY, None)
    if mark is None:
        return state, 1
    if mark.shape != () or mark.dtype.kind not in "iu" or not 1 <= int(mark) <= FORMAT:
        raise ValueError(f"load: {path!r} has format mark {mark.tolist()!r}; this glassgrad reads formats "
                         f"1 to {FORMAT} (a newer glassgrad may have written it)")
    return state, int(mark)
