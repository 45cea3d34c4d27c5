"""Checkpoints: weights, and whole training states, to and from `.npz` files (or PyTorch's
`.pt` files), safely.

`save` writes to a temporary file beside the target and renames it, so a crash never leaves a
half-written checkpoint; `load` reads with pickle disabled, so a file from anywhere can only ever
yield numbers, arrays and plain text, never run code.

A model's weights (a Module, or a dict of name → array) are stored one array per name. To
resume training later, save everything that changes in one file: a dict whose values may be
Modules, optimizers and schedulers (their `state_dict()` is taken) or plain data (numbers,
strings, None, lists, tuples, dicts, arrays); a `DataLoader` and `autograd.random.get_state()`
add where the shuffling and dropout stand. Arrays are stored under their path
("optimizer/state/0/momentum_buffer"); the rest is stored as JSON text under "__structure__", and
`load` rebuilds the same nested dict, types included (see the example below).

The arrays are stored in PyTorch's layout (a `Linear` weight is (out_features, in_features)), so
a checkpoint's `state_dict` loads into the same network built with `torch.nn`, and back. Each file
carries a format mark, one extra entry `__glassgrad_format__` = 2 that `load` hides; a file
without it is format 1: glassgrad 0.1's, whose `Linear` weights were stored (in, out), or
another program's (`np.savez(f, **model.state_dict())`), in today's layout. `model.load(path)`
tells them apart by the shapes of the weights that are not square, converts a 0.1 file and
warns (a file of square weights only is loaded as stored, with a note); `load(path)` returns
the arrays as stored and warns that they may be transposed.

A path ending in `.pt` or `.pth` gets PyTorch's own format instead (`torch.save`'s zip archive,
nn/torch_format.py), which `torch.load` reads without glassgrad; `load` reads such files too,
also those torch.save wrote, interpreting their pickle itself (it never unpickles).

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
<All keys matched successfully>
>>> optimizer.load_state_dict(checkpoint["optimizer"])
>>> scheduler.load_state_dict(checkpoint["scheduler"])
>>> checkpoint["epoch"], sorted(checkpoint["optimizer"])
(3, ['param_groups', 'state'])
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import tokenize
import zipfile
import zlib
from collections import Counter, OrderedDict
from typing import Any

import numpy as np

from autograd.files import atomic_open, check_destination
from autograd.graph import Node
from autograd.warn import warn

from . import torch_format
from .torch_format import MOST_NESTED
from .layers import Linear
from .module import Module, as_array, uncalled_method

__all__ = ["save", "load", "load_into", "LoadedWeights", "FORMAT_KEY", "FORMAT"]

FORMAT_KEY = "__glassgrad_format__"     # not a possible parameter name: no module has it
FORMAT = 2                              # 2: PyTorch's layout. Unmarked files are 1: glassgrad 0.1
STRUCTURE = "__structure__"             # the entry holding the JSON of a nested checkpoint
RESERVED = (FORMAT_KEY, STRUCTURE)


def save(obj: Any, f: str | os.PathLike) -> None:
    """Write a Module's weights, a dict of name → array (or Tensor, or anything with `.numpy()`,
    such as PyTorch's state_dict), or a nested training state (a dict of Modules, optimizers,
    schedulers and plain data), or a tensor or a list of them as `torch.save(x, path)` takes
    (`load` gives them back as numpy arrays), to `path`, atomically: as `.npz` with the format
    mark, or, when `path` ends in `.pt` or `.pth`, in PyTorch's format (`torch.save`'s), which
    `torch.load(path)` reads with its default `weights_only=True`, giving torch tensors. There
    an optimizer's "step" is stored as PyTorch keeps it, a 0-d float32 tensor, and a value
    torch.load could not read is refused, naming where it is.

    >>> import os, tempfile
    >>> from nn import Linear, load, save
    >>> from nn.optim import Adam
    >>> model = Linear(2, 1)
    >>> path = os.path.join(tempfile.mkdtemp(), "run.pt")
    >>> save({"model": model, "optimizer": Adam(model.parameters()), "epoch": 3}, path)
    >>> checkpoint = load(path)         # with PyTorch: torch.load(path)
    >>> list(checkpoint["model"]), checkpoint["epoch"]
    (['weight', 'bias'], 3)
    >>> save({"w": {1, 2}}, path)
    Traceback (most recent call last):
    TypeError: save: 'w' is a set; a PyTorch checkpoint written by glassgrad holds ...

    The file's parameter is named `f`, as torch.save's: `save(obj=sd, f=path)` works.
    """
    path = f
    state = _state_of(obj)
    if not isinstance(state, (dict, list, tuple)) and not _is_array_like(state):
        swapped = (" (the object comes first, then the path, as in torch.save)"
                   if isinstance(obj, (str, os.PathLike)) else uncalled_method(obj))
        raise TypeError(f"save: expected a Module, a dict of arrays or a dict of training state "
                        f"(or a tensor, or a list of them), got {type(obj).__name__}{swapped}")
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"save: expected the path of the file to write (a str or a "
                        f"pathlib.Path), got {type(path).__name__}{_open_file_hint(path)}")
    path = os.fsdecode(path)
    if torch_format.is_pytorch_name(path):
        return torch_format.save(state, path)           # PyTorch's own format (torch.load)
    if isinstance(state, dict) and state and all(_is_array_like(v) for v in state.values()):
        arrays = _flat_arrays(state)                    # weights: one array per name
    else:                   # (a tensor alone, as torch.save(x, path), is stored as "tensor")
        arrays = {}
        tree = _encode(state, "tensor" if _is_array_like(state) else "", arrays)
        arrays[STRUCTURE] = np.array(json.dumps(tree))
    arrays[FORMAT_KEY] = np.array(FORMAT)
    check_destination("save", path)
    with atomic_open(path) as f:
        _write_npz(f, arrays)


def _open_file_hint(given: Any) -> str:
    """For an open file given where a path goes (PyTorch's `with open(p, "wb") as f:
    torch.save(x, f)`): what to write instead; "" for anything else."""
    if not (callable(getattr(given, "write", None)) or callable(getattr(given, "read", None))):
        return ""
    name = getattr(given, "name", None)
    name = repr(name) if isinstance(name, str) else "path"
    return (f" (an open file: glassgrad opens the file itself, to write it atomically and to "
            f"read it with pickle disabled; give its name instead, nn.save(x, {name}) and "
            f"nn.load({name}), without the `with open(...)`)")


def _write_npz(file: Any, arrays: dict[str, np.ndarray]) -> None:
    """The arrays as the members `<name>.npy` of an uncompressed zip archive, byte for byte as
    `np.savez` writes them, never pickled. Not through `np.savez(file, **arrays)`: its keyword
    arguments would take a name of its own, "file" (a TypeError) or, in numpy 2,
    "allow_pickle" (the array taken as that option and left out of a file that then loads
    without it)."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _is_array_like(value: Any) -> bool:
    return isinstance(value, (np.ndarray, Node)) or callable(getattr(value, "numpy", None))


def _state_of(obj: Any) -> Any:
    """A Module's, optimizer's or scheduler's `state_dict()`; anything else as it is."""
    if isinstance(obj, Module) or (not isinstance(obj, (dict, type)) and
                                   callable(getattr(obj, "state_dict", None))):
        return obj.state_dict()
    return obj


def _flat_arrays(state: dict) -> dict[str, np.ndarray]:
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"save: names must be non-empty strings, got {name!r}")
        if name in RESERVED:
            raise ValueError(f"save: {name!r} is reserved for the file's own bookkeeping")
        arrays[name] = _numbers(name, value)
    return arrays


def _numbers(where: str, value: Any) -> np.ndarray:
    array = as_array(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"save: {where!r} is not an array of numbers (dtype {array.dtype})")
    return array


def _encode(value: Any, where: str, arrays: dict[str, np.ndarray], depth: int = 0) -> Any:
    """`value` (inside `depth` lists, tuples and dicts) as JSON-able data; arrays go into
    `arrays` under `where` and leave a reference."""
    value = _state_of(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    # a PyTorch tensor too (anything with .numpy()): torch.load's checkpoints nest them
    if isinstance(value, np.generic) or _is_array_like(value):
        if where in arrays or not where:
            raise ValueError(f"save: two entries are both stored as {where!r}; use distinct keys")
        arrays[where] = _numbers(where, value)
        return {"__scalar__" if isinstance(value, np.generic) else "__array__": where}
    here = (lambda key: f"{where}/{key}" if where else str(key))
    if isinstance(value, (list, tuple, dict)) and depth >= MOST_NESTED:
        raise ValueError(f"save: the state nests lists, tuples and dicts more than {MOST_NESTED} "
                         f"deep (under {where.split('/')[0]!r}), deeper than load reads")
    inner = depth + 1
    if isinstance(value, (list, tuple)):
        items = [_encode(item, here(i), arrays, inner) for i, item in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") and "/" not in k for k in value):
            return {k: _encode(v, here(k), arrays, inner) for k, v in value.items()}
        for k in value:                     # ints (an optimizer's parameter numbers), ...
            if not isinstance(k, (bool, int, float, str)) or isinstance(k, str) and "/" in k:
                raise TypeError(f"save: {where or 'the state'!r} has a key {k!r}; keys must be "
                                f"numbers or strings without '/'")
        return {"__dict__": [[k, _encode(v, here(k), arrays, inner)] for k, v in value.items()]}
    raise TypeError(f"save: {where or 'the state'!r} is a {type(value).__name__}; a checkpoint "
                    f"holds Modules, optimizers, schedulers, arrays, numbers, strings, None, "
                    f"lists, tuples and dicts{torch_format.dataclass_hint(value)}")


def load(f: str | os.PathLike, *, weights_only: bool = True,
         map_location: Any = None) -> Any:
    """Read a checkpoint written by `save`: name → array for weights (in the saved order), or
    the nested training state as it was saved. Never unpickles: `weights_only=True`, which
    PyTorch code passes to `torch.load`, is what glassgrad always does (False is refused).
    `map_location="cpu"` (PyTorch's) is accepted too: numpy arrays live on the CPU. The file's
    parameter is named `f`, as torch.load's: `load(f=path)` works.

    A PyTorch file (a zip archive holding `<name>/data.pkl`, or any zip named `.pt`/`.pth`)
    is read by nn/torch_format.py: save's own and torch.save's files of state dicts and
    training states, tensors as numpy arrays. Its pickle is interpreted opcode by opcode, with
    OrderedDict, the tensor rebuilders and the storage classes as its only globals; a file that
    names any other (a class, `os.system`) is refused with a ValueError, and nothing runs.

    A file without the format mark (glassgrad 0.1, or another program) is returned as stored,
    with a warning when it holds 2-d weights: they may be (in, out), the transpose of today's.
    A file `save` could not have written is refused with a ValueError saying why, before its
    arrays are read: Python objects, text or complex numbers, an entry twice, a header that
    declares more bytes than the file holds, a structure that is not save's. NaN and infinity
    load as they are (a run that diverged saves them; `load_trained` refuses them).

    >>> import os, tempfile
    >>> from nn import Linear, load, save
    >>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
    >>> save(Linear(2, 1).state_dict(), path)
    >>> list(load(path, weights_only=True))
    ['weight', 'bias']
    """
    path = f
    if weights_only is not True:
        # (PyTorch's tutorials load a whole model so: torch.load(path, weights_only=False))
        raise ValueError(f"load: weights_only={weights_only!r} asks to unpickle arbitrary "
                         f"objects, which glassgrad never does: its files hold arrays and plain "
                         f"data only, always read with pickle disabled. A whole model (PyTorch's "
                         f"torch.save(model, path)) is never stored: nn.save(model, path) wrote "
                         f"its weights, its state_dict; build the model in your code and load "
                         f"them into it, model = MyModel(); model.load_state_dict(nn.load(path)). "
                         f"For the rest nn.save writes, leave weights_only out")
    if map_location is not None and str(map_location) != "cpu":
        raise ValueError(f"load: map_location={map_location!r}: glassgrad's arrays are numpy's, "
                         f"in the computer's memory; only 'cpu' (or leaving it out) fits")
    if torch_format.is_pytorch_file(path):             # torch.save's format (or save's .pt)
        return _as_weights(torch_format.load(path))
    arrays, version = _read(path)
    if STRUCTURE in arrays:
        return _nested(arrays, path)
    if version < FORMAT and any(a.ndim == 2 and n.endswith("weight") for n, a in arrays.items()):
        warn(f"load: {os.fspath(path)!r} has no glassgrad format mark: if glassgrad 0.1 "
             f"wrote it, its Linear weights are (in, out), the transpose of today's "
             f"(out, in); `model.load(path)` converts them where their shapes show "
             f"it")
    return _as_weights(arrays)


class LoadedWeights(OrderedDict):
    """What `load` gives for a file of weights: name → array, an OrderedDict as PyTorch's state
    dict is, whose missing attributes say that the file holds no model. PyTorch's whole-model
    habit, `model = torch.load(path); model.eval()`, would otherwise end in "'OrderedDict'
    object has no attribute 'eval'", saying nothing of what to write.

    >>> LoadedWeights(weight=np.zeros(2)).eval()
    Traceback (most recent call last):
    AttributeError: nn.load(path) gave the weights saved there, a state dict ... no attribute 'eval': ...
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):           # copy's, pickle's and numpy's probes: as a dict's
            raise AttributeError(name)
        raise AttributeError(
            f"nn.load(path) gave the weights saved there, a state dict (name -> array), which "
            f"has no attribute {name!r}: glassgrad never stores a whole model (as PyTorch's "
            f"torch.save(model, path) pickles one; nn.save(model, path) wrote its state_dict). "
            f"Build the model in your code and load the weights into it: model = MyModel(...); "
            f"model.load_state_dict(nn.load(path))")


def _as_weights(state: Any) -> Any:
    """`state` as LoadedWeights when it is a state dict (a dict of arrays), else as it is."""
    if type(state) in (dict, OrderedDict) and state and \
            all(isinstance(v, np.ndarray) for v in state.values()):
        weights = LoadedWeights(state)
        weights.__dict__.update(getattr(state, "__dict__", {}))    # torch's _metadata, kept
        return weights
    return state


def load_into(model: Module, path: str | os.PathLike) -> None:
    """`model.load(path)`: read the checkpoint (a training state's "model" entry, if it is one),
    convert a glassgrad 0.1 file's `Linear` weights from (in, out) to (out, in) (with a warning
    naming them; see `_from_format_1` for how such a file is told), and load it, checked.

    >>> import tempfile
    >>> from nn import Linear, save
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
    >>> trained, fresh = Linear(2, 1), Linear(2, 1)
    >>> save(trained, path); load_into(fresh, path)
    >>> bool((fresh.weight.data == trained.weight.data).all())
    True
    """
    if torch_format.is_pytorch_file(path):             # a training state's "model", or weights
        state, version = torch_format.load(path), FORMAT
        if not isinstance(state, dict):
            raise ValueError(f"load: {os.fspath(path)!r} holds a {type(state).__name__}, not a "
                             f"state dict")
        state = state["model"] if isinstance(state.get("model"), dict) else state
    else:
        state, version = _read(path)
    if STRUCTURE in state:
        checkpoint = _nested(state, path)
        _refuse_trained(checkpoint, model, path)
        if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("model"), dict):
            raise ValueError(f"load: {os.fspath(path)!r} is a training state without a 'model' "
                             f"entry; read it with nn.load(path) and load the part you need")
        state = checkpoint["model"]
    _refuse_trained(state, model, path)
    if version < FORMAT:
        state, converted, square = _from_format_1(state, model)
        if converted:
            warn(f"load: {os.fspath(path)!r} is a glassgrad 0.1 checkpoint (no format "
                 f"mark); transposed its Linear weights {converted} from (in, out) to "
                 f"(out, in). Save the model again to update the file")
        if square:
            warn(f"load: {os.fspath(path)!r} has no glassgrad format mark and its "
                 f"Linear weights {square} are square, so their shapes do not tell "
                 f"their layout: loaded as stored, (out, in) (as np.savez of a "
                 f"state_dict writes them). Only if glassgrad 0.1 wrote the file are "
                 f"they (in, out); then use model.load_state_dict({{k: v.T if k in "
                 f"{square} else v for k, v in nn.load(path).items()}}) instead. "
                 f"model.save(path) marks the file, and this note goes")
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError, TypeError) as err:   # the same error, naming the file too
        raise type(err)(f"load: {os.fspath(path)!r}: {err.args[0]}") from None


def _refuse_trained(state: Any, model: Module, path: str | os.PathLike) -> None:
    """A model saved by `glassgrad train` holds the inputs' standardisation beside the weights:
    loaded into a bare model, its predictions on raw inputs would be silently wrong."""
    if isinstance(state, dict) and "input_mean" in state and "input_std" in state and \
            "input_mean" not in model.state_dict():
        raise ValueError(f"load: {os.fspath(path)!r} was written by `glassgrad train` (it holds "
                         f"the inputs' standardisation too); open it with "
                         f"nn.load_trained({os.fspath(path)!r}), which rebuilds that model")


def _from_format_1(state: OrderedDict, model: Module
                   ) -> tuple[OrderedDict, list[str], list[str]]:
    """(state, transposed, square) for a file without the format mark: the state with the
    Linear weights of a glassgrad 0.1 file, stored (in, out), transposed; their names; and the
    names of the Linear weights whose layout could not be told.

    Only a weight that is not square shows the layout. The file is glassgrad 0.1's when such
    weights fit the model transposed and none fits as stored: then every weight stored (in, out)
    is transposed, square ones too. Otherwise the file is taken as stored (PyTorch's layout, as
    `np.savez(f, **model.state_dict())` writes it). When every Linear weight is square, nothing
    tells: the file is taken as stored, and their names come back as `square`.
    """
    weights = [(f"{prefix}.weight" if prefix else "weight", layer)
               for prefix, layer in model.named_modules() if isinstance(layer, Linear)]
    weights = [(name, layer) for name, layer in weights if name in state]
    telling = [(np.shape(state[name]), layer) for name, layer in weights
               if layer.in_features != layer.out_features]
    if not telling:
        return state, [], [name for name, _ in weights]
    as_stored = any(shape == (layer.out_features, layer.in_features) for shape, layer in telling)
    transposed = any(shape == (layer.in_features, layer.out_features) for shape, layer in telling)
    if as_stored or not transposed:
        return state, [], []
    converted = OrderedDict(state)
    names = []
    for name, layer in weights:
        if np.shape(state[name]) == (layer.in_features, layer.out_features):
            converted[name] = state[name].T
            names.append(name)
    return converted, names, []


def _read(path: str | os.PathLike) -> tuple[OrderedDict[str, np.ndarray], int]:
    """(name → array, format) from an `.npz` file; format 1 when the file has no mark.

    The reasons a file is refused are glassgrad's own: numpy's would suggest `allow_pickle`,
    which runs code from the file.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        into = " (to read weights into a model: model.load(path))" \
            if isinstance(path, Module) else ""
        raise TypeError(f"load: expected the path of a checkpoint, got "
                        f"{type(path).__name__}{into}{_open_file_hint(path)}")
    path = os.fspath(path)
    try:
        file = open(path, "rb")         # ours to close, whatever numpy makes of its bytes
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no checkpoint at {path!r}") from None
    except OSError as err:              # a folder, permission denied
        raise _not_a_checkpoint(path, f"it cannot be read ({err.strerror})") from None
    with file:
        try:
            state = _arrays(file, path)
        except OSError as error:        # the disk failing to read (a damaged file is a ValueError)
            if error.filename is not None or error.errno is None:
                raise
            raise type(error)(error.errno, error.strerror, path) from None
    mark = state.pop(FORMAT_KEY, None)
    if mark is None:
        return state, 1
    if mark.shape != () or mark.dtype.kind not in "iu" or not 1 <= int(mark) <= FORMAT:
        raise ValueError(f"load: {path!r} has format mark {mark.tolist()!r}; this glassgrad reads "
                         f"formats 1 to {FORMAT} (a newer glassgrad may have written it)")
    return state, int(mark)


def _arrays(file: Any, path: str) -> OrderedDict[str, np.ndarray]:
    """Every array of the open `.npz` file, by name."""
    size = os.fstat(file.fileno()).st_size
    if size == 0:
        raise _not_a_checkpoint(path, "it is empty (0 bytes)")
    try:
        archive = np.load(file, allow_pickle=False)
    except Exception as error:
        if not _damage(error):
            raise
        file.seek(0)
        start = file.read(PEEK)
        if start[:2] != b"PK":      # numpy's refusal of what it found no archive in
            raise _not_a_checkpoint(path, _not_a_zip(start, len(start) == size, path)) \
                from None
        kind = "PyTorch" if torch_format.is_pytorch_name(path) else ".npz"
        raise _not_a_checkpoint(path, f"it is a damaged or truncated {kind} (zip) file") \
            from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise _not_a_checkpoint(path, "it holds a single array, not an archive of named arrays")
    state = OrderedDict()
    with archive:
        for name in _checked_members(archive.zip, path, size):
            try:
                state[name] = archive[name]
            except Exception as error:          # (not a MemoryError: a real array too large)
                if not _damage(error):
                    raise
                raise _not_a_checkpoint(path, f"its entry {name!r} is damaged or truncated") \
                    from None
    return state


#: how zipfile and numpy fail on a damaged or truncated archive, as seen by flipping and
#: overwriting the bytes of checkpoints and by headers made by hand: a BadZipFile (a signature,
#: a size, a checksum), zlib.error and EOFError (deflated bytes), ValueError (numpy's .npy
#: header; a name that is not UTF-8), RuntimeError (zipfile's NotImplementedError for a
#: "version needed", a method or a flag it does not know, and its refusal of an "encrypted"
#: entry), TypeError and tokenize.TokenError (a header numpy parses as a Python literal:
#: `{[1]: 2}`, a brace never closed); an OSError only for the seek to a negative offset (EINVAL)
DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, RuntimeError, TypeError,
          tokenize.TokenError)


def _damage(error: Exception) -> bool:
    """Whether `error`, raised by zipfile or numpy reading an archive, comes from the file's
    bytes; a MemoryError, a disk that fails to read and a bug pass through as they are. A
    negative offset in the file makes the seek to it fail with EINVAL."""
    return isinstance(error, DAMAGE) or isinstance(error, OSError) and \
        error.errno == errno.EINVAL


#: the most bytes deflate can unzip from one byte (its limit is about 1032)
DEFLATE_MOST = 1100
_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0}


def _checked_members(archive: zipfile.ZipFile, path: str, size: int) -> list[str]:
    """The names of the arrays in `archive`, each member checked before it is read: an .npy
    file, named once, whose header declares as many bytes as the member holds, and those bytes
    really in the file. numpy would set aside the memory for the shape a header declares before
    reading a byte, so a file of a few bytes could ask for terabytes."""
    members = archive.infolist()
    wrong = [count for count in _declared_entries(archive) if count != len(members)]
    if wrong:
        raise _not_a_checkpoint(path, f"its directory declares {wrong[0]} entries but "
                                      f"{len(members)} could be read: it is a damaged or "
                                      f"truncated .npz (zip) file")
    if not all(member.filename.endswith(".npy") for member in members):
        # (PyTorch's archives, holding <name>/data.pkl, never come here: load reads them with
        # torch_format before trying numpy's format)
        raise _not_a_checkpoint(path, "it is a zip archive of other files, not of .npy arrays")
    names = [member.filename[:-len(".npy")] for member in members]
    twice = sorted(name for name, count in Counter(names).items() if count > 1)
    if twice:
        raise _not_a_checkpoint(path, f"it holds the entr{'ies' if len(twice) > 1 else 'y'} "
                                      f"{', '.join(map(repr, twice[:3]))} more than once (which "
                                      f"one is meant?)")
    overlap = torch_format.archive_problem(archive, size)      # (names are told apart above)
    if overlap:
        raise _not_a_checkpoint(path, overlap)
    for name, member in zip(names, members):
        problem = _member_problem(archive, member, size)
        if problem:
            raise _not_a_checkpoint(path, f"its entry {name!r} {problem}")
    return names


def _declared_entries(archive: zipfile.ZipFile) -> tuple[int, ...]:
    """How many entries the archive's end record declares (it says it twice: on this disk, in
    all), or () if this Python's zipfile has no reader of that record (a private function,
    there since Python 2.6). zipfile reads entries until the directory's size in bytes is used
    up, and never counts them: a damaged length in one entry swallows those after it, silently
    (a format mark lost, a training state read as a flat dict)."""
    end_record = getattr(zipfile, "_EndRecData", None)
    record = end_record(archive.fp) if end_record else None    # one short read at the end
    if not record:
        return ()                       # (zipfile opened the archive with this record)
    return record[3], record[4]         # zipfile's _ECD_ENTRIES_THIS_DISK, _ECD_ENTRIES_TOTAL


def _member_problem(archive: zipfile.ZipFile, member: zipfile.ZipInfo, size: int) -> str | None:
    """What is wrong with one .npy member of an archive of `size` bytes, or None."""
    damaged = "is damaged or truncated"
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return "is compressed with a method numpy's .npz files never use"
    if member.compress_size > size or (member.compress_type == zipfile.ZIP_STORED and
                                       member.file_size != member.compress_size):
        return damaged
    if member.file_size > DEFLATE_MOST * max(member.compress_size, 1):
        return damaged                          # more than deflate can unzip: a lying size
    try:
        with archive.open(member) as npy:
            read_header = _NPY_HEADERS.get(np.lib.format.read_magic(npy))
            if read_header is None:
                return "is written in an .npy version this glassgrad does not read"
            shape, _, dtype = read_header(npy)
            header_size = npy.tell()
    except Exception as error:
        if not _damage(error):
            raise
        return damaged
    if dtype.hasobject:
        return "holds Python objects, which glassgrad never loads (no pickle)"
    if dtype.kind not in "biuf" and not (member.filename == STRUCTURE + ".npy" and
                                         dtype.kind == "U"):
        return f"holds {dtype} data; a checkpoint holds real numbers (bool, int or float)"
    declared = math.prod(shape) * dtype.itemsize      # Python ints: no overflow
    if header_size + declared != member.file_size:
        return (f"declares shape {shape} of {dtype} ({declared:,} bytes) but holds "
                f"{member.file_size - header_size:,} bytes")
    return None


#: how much of a file that is no archive is read to tell what it is: all of a small one (a
#: pickle of protocol 0 or 1 is told in at most ~0.15 s)
PEEK = 1 << 16


def _not_a_zip(start: bytes, whole: bool, path: str) -> str:
    """Why the file at `path` numpy could not open is refused, from its first bytes (`whole`:
    all of it): a pickle (the format of `torch.save(..., _use_new_zipfile_serialization=False)`
    and of Python's own objects) is named, as glassgrad never reads one."""
    if _is_pickle(start, whole):
        return ("it is a Python pickle (an older PyTorch writes them with torch.save), which "
                "glassgrad never loads: it can run code; with PyTorch installed, convert it "
                "once with nn.save(torch.load(path, weights_only=True), 'model.npz') (without "
                "weights_only=True, a PyTorch before 2.6 runs the file's code)")
    if start.startswith(b"\x93NUMPY"):        # np.save's, of Python objects or damaged
        return "it holds a single .npy array, not an archive of named arrays"
    if torch_format.is_pytorch_name(path):     # (a web page saved under the model's name)
        return "it is not a zip archive (text, or another format)"
    return "it is not an .npz archive (text, or another format)"


def _is_pickle(start: bytes, whole: bool) -> bool:
    """Whether a file beginning with `start` (`whole`: all of it) is a Python pickle. Since
    protocol 2 a pickle begins with the PROTO opcode, 0x80. Protocols 0 and 1 (Python 2's
    default; `pickle.dumps(obj, 0)`) begin with any opcode, "c", "(", "}"..., as text may: a
    whole file of at most PEEK bytes is decoded by pickletools (which never runs it) and must be
    one pickle ending at its last byte, stack and memo consistent ("12.11" begins like one).
    A longer file is not told: any text whose odd lines begin with "c" decodes as a pickle's
    opcodes for as long as it goes, and decoding megabytes takes seconds."""
    if start[:1] == b"\x80":
        return True
    if not whole:
        return False
    import pickletools      # here: ~320 objects alive otherwise, for a rare error message
    try:
        for opcode, _, position in pickletools.genops(start):
            if opcode.name == "STOP":
                break
        if position != len(start) - 1:
            return False
        pickletools.dis(start, out=io.StringIO())
    except (ValueError, IndexError):        # no opcode, an argument cut short, a stack wrong
        return False
    return True


def _not_a_checkpoint(path: str, reason: str) -> ValueError:
    """The refusal of the file at `path`, saying what its name promised: PyTorch's format for
    a name ending in .pt or .pth (an .npz archive there is not what the user is after)."""
    if torch_format.is_pytorch_name(path):
        return ValueError(f"load: {path!r} is not a PyTorch checkpoint (torch.save's zip "
                          f"archive, as its name says): {reason}")
    return ValueError(f"load: {path!r} is not a glassgrad checkpoint (a valid .npz archive of "
                      f"number arrays): {reason}")


def _nested(arrays: dict[str, np.ndarray], path: str | os.PathLike) -> Any:
    """The nested training state that `save` wrote as JSON plus arrays: a dict, every array
    used once, nothing else in the file (a hand-made or damaged file is refused, not read in
    part)."""
    arrays = dict(arrays)
    try:
        text = arrays.pop(STRUCTURE)
        tree = json.loads(str(text[()]), object_pairs_hook=unique_keys)
        if not isinstance(tree, (dict, list)):
            raise ValueError(f"its top level is of type {type(tree).__name__}, not the dict "
                             f"or list save writes")
        used: set[str] = set()
        state = _decode(tree, arrays, used)
        unused = [name for name in arrays if name not in used]
        if unused:
            raise ValueError(f"it leaves out the arrays {unused}")
        return state
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as err:
        reason = err.args[0] if err.args else err
        raise ValueError(f"load: {os.fspath(path)!r} has a damaged {STRUCTURE!r} entry: "
                         f"{reason}") from None
    except RecursionError:                  # json's parser, on brackets thousands deep
        raise ValueError(f"load: {os.fspath(path)!r} has a damaged {STRUCTURE!r} entry: it is "
                         f"nested too deeply") from None


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict (json's `object_pairs_hook`); a key given twice is an error, as
    json would keep the last one silently.

    >>> json.loads('{"lr": 0.1, "lr": 0.5}', object_pairs_hook=unique_keys)
    Traceback (most recent call last):
    ValueError: the key 'lr' appears more than once; keep one
    """
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        several = len(repeated) > 1
        raise ValueError(f"the key{'s' if several else ''} {', '.join(map(repr, repeated))} "
                         f"appear{'' if several else 's'} more than once; keep one")
    return dict(pairs)


#: how `_encode` marks what JSON has no type for: {"__array__": name} and so on
MARKS = ("__array__", "__scalar__", "__tuple__", "__dict__")


def _decode(tree: Any, arrays: dict[str, np.ndarray], used: set[str], depth: int = 0) -> Any:
    """The value `_encode` turned into `tree` (inside `depth` lists, tuples and dicts); the
    arrays it refers to are added to `used`."""
    if isinstance(tree, list):
        inner = _deeper(depth)
        return [_decode(item, arrays, used, inner) for item in tree]
    if not isinstance(tree, dict):
        return tree
    if not any(key.startswith("__") for key in tree):      # a plain dict (see _encode)
        inner = _deeper(depth)
        return {key: _decode(value, arrays, used, inner) for key, value in tree.items()}
    if len(tree) != 1 or next(iter(tree)) not in MARKS:
        raise ValueError(f"{sorted(tree)} are not the keys of a dict, nor one of the marks "
                         f"{', '.join(MARKS)}")
    (mark, value), = tree.items()
    if mark == "__tuple__":
        return tuple(_decode(value, arrays, used, depth))        # (its list is the tuple)
    if mark == "__dict__":
        inner = _deeper(depth)
        items = {key: _decode(item, arrays, used, inner) for key, item in value}
        if len(items) != len(value):
            raise ValueError(f"a dict gives a key more than once: {[k for k, _ in value]}")
        return items
    if value not in arrays:
        raise ValueError(f"it refers to an array {value!r} that the file does not hold")
    array = arrays[value]
    used.add(value)
    if mark == "__array__":
        return array
    if array.ndim != 0:
        raise ValueError(f"{value!r} is stored as one number, but has shape {array.shape}")
    return array[()]


def _deeper(depth: int) -> int:
    """The depth of the items of a container inside `depth` others. Beyond MOST_NESTED levels
    (as torch_format reads) it is refused here, and by `_encode` on saving: Python's recursion
    limit stops the walk at a depth that changes with the Python version (3.12 calls a
    comprehension without a frame of its own) and with the caller's stack."""
    if depth >= MOST_NESTED:
        raise ValueError(f"it nests lists, tuples and dicts more than {MOST_NESTED} deep")
    return depth + 1
