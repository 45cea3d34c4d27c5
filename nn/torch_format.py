"""PyTorch's own checkpoint format (`torch.save`'s zip archive), written and read without torch.

`nn.save(state, "model.pt")` (or ".pth") writes this format, so that `torch.load("model.pt")`,
with its default `weights_only=True`, gives the state dict as torch tensors. torch is never
imported: the pickle inside is written here, opcode by opcode, by a small encoder that knows a
fixed set of types.

The archive (torch/serialization.py, `_save` and `_load`): a zip file whose records all sit in
one folder named after the file (`model/` for model.pt), stored uncompressed, each record's
bytes starting at a multiple of 64 (padding in the local header's extra field, as PyTorch's
writer does, so that `torch.load(mmap=True)` maps aligned tensors):

    model/data.pkl      the pickle (protocol 2) of the object; every tensor in it refers to a
                        storage by key through a persistent id
    model/byteorder     "little": the storages' byte order
    model/data/0, ...   each storage's raw bytes, C order
    model/version       "3\\n": the archive format, which torch's reader checks (1 to 10)

PyTorch also writes `.format_version` and `.storage_alignment`: they promise that a storage's
offset can be computed from the sizes of the records before it, laid out exactly as PyTorch's
own zip writer lays them out, which Python's `zipfile` does not; without them torch looks every
offset up in the zip directory, which is always right.

In the pickle a tensor is `torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
stride, requires_grad, OrderedDict())`, its storage the persistent id `("storage",
torch.FloatStorage, "0", "cpu", numel)`; the storage class names the dtype (STORAGES below,
torch/storage.py's `_dtype_to_storage_type_map`). A state dict is a `collections.OrderedDict`.
torch's weights-only reader (torch/_weights_only_unpickler.py) takes only the opcodes the
encoder here writes, and these globals.

>>> import os, tempfile, zipfile
>>> import numpy as np
>>> from nn.torch_format import save
>>> path = os.path.join(tempfile.mkdtemp(), "model.pt")
>>> save({"weight": np.eye(2, dtype=np.float32), "epoch": 3, "note": None}, path)
>>> zipfile.ZipFile(path).namelist()
['model/data.pkl', 'model/byteorder', 'model/data/0', 'model/version']
"""

from __future__ import annotations

import numbers
import os
import struct
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from autograd.files import atomic_open, check_destination
from autograd.graph import Node

from .module import as_array

__all__ = ["save", "dumps", "SUFFIXES", "STORAGES"]

#: the names PyTorch's checkpoints go by: `nn.save` writes this format under them
SUFFIXES = (".pt", ".pth")

#: numpy dtype → PyTorch's storage class, which names a tensor's dtype in the pickle
STORAGES = {
    "float64": "DoubleStorage", "float32": "FloatStorage", "float16": "HalfStorage",
    "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
    "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
}

#: the per-parameter numbers PyTorch's optimizers keep as 0-d float32 tensors (Adam's "step",
#: NAdam's "mu_product"); glassgrad keeps Python numbers, converted when written
TENSOR_SCALARS = ("step", "mu_product")

ALIGNMENT = 64              # where each record's bytes start (PyTorch's writer's alignment)
ARCHIVE_VERSION = b"3\n"    # the archive format torch.save writes for a checkpoint
ZIP64_FROM = 2 ** 30        # records larger than this get zip64 sizes (20 bytes in the header)


class Op:
    """The pickle opcodes written and read here (protocol 2, Python's pickle.py names them)."""
    PROTO, STOP, MARK = b"\x80", b".", b"("
    NONE, NEWTRUE, NEWFALSE = b"N", b"\x88", b"\x89"
    BININT1, BININT2, BININT, LONG1 = b"K", b"M", b"J", b"\x8a"
    BINFLOAT, BINUNICODE = b"G", b"X"
    EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3, TUPLE = b")", b"\x85", b"\x86", b"\x87", b"t"
    EMPTY_LIST, APPEND, APPENDS = b"]", b"a", b"e"
    EMPTY_DICT, SETITEM, SETITEMS = b"}", b"s", b"u"
    GLOBAL, REDUCE, BUILD, BINPERSID = b"c", b"R", b"b", b"Q"
    BINPUT, LONG_BINPUT, BINGET, LONG_BINGET = b"q", b"r", b"h", b"j"


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------

def save(state: Any, path: str | os.PathLike) -> None:
    """Write `state` (a state dict, a training state, ...) to `path` in torch.save's format,
    atomically. Modules, optimizers and schedulers in it are replaced by their `state_dict()`,
    Tensors and arrays become torch tensors, numpy numbers Python numbers; a value of any other
    type is refused with a TypeError naming where it is."""
    pickled, arrays = dumps(state)
    check_destination("save", path)
    name = os.path.splitext(os.path.basename(os.fspath(path)))[0] or "archive"
    with atomic_open(path) as file:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
            _add(archive, file, f"{name}/data.pkl", pickled)
            _add(archive, file, f"{name}/byteorder", b"little")
            for key, array in enumerate(arrays):
                _add(archive, file, f"{name}/data/{key}", array.reshape(-1).view(np.uint8))
            _add(archive, file, f"{name}/version", ARCHIVE_VERSION)


def _add(archive: zipfile.ZipFile, file: Any, name: str, data: bytes | np.ndarray) -> None:
    """One record, stored, its bytes starting at a multiple of ALIGNMENT in `file`: the local
    header's extra field is padded with an entry of id "FB" (PyTorch's choice; readers skip
    extra entries they do not know)."""
    size = len(data)
    zip64 = size > ZIP64_FROM
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type, info.file_size = zipfile.ZIP_STORED, size
    # the local header: 30 bytes, the name, the extra field (+ 20 bytes of zip64 sizes)
    start = file.tell() + 30 + len(name.encode("utf-8")) + 4 + (20 if zip64 else 0)
    padding = -start % ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
    with archive.open(info, "w", force_zip64=zip64) as record:
        record.write(data)


def dumps(state: Any) -> tuple[bytes, list[np.ndarray]]:
    """The pickle of `state` as torch.save writes it, and the arrays its storages 0, 1, ...
    hold (C order, little-endian). The same array object met twice is stored once, so tied
    weights stay tied.

    >>> pickled, arrays = dumps({"bias": np.zeros(2, np.float32)})
    >>> pickled[:2], b"FloatStorage" in pickled, arrays
    (b'\\x80\\x02', True, [array([0., 0.], dtype=float32)])
    """
    encoder = _Encoder()
    encoder.out += Op.PROTO + b"\x02"
    try:
        encoder.value(state, "")
    except RecursionError:
        raise ValueError("save: the state is nested too deeply to be written") from None
    encoder.out += Op.STOP
    return bytes(encoder.out), [data for _, data, _ in encoder.storages.values()]


class _Encoder:
    """Writes the opcodes of one value after another into `out`."""

    def __init__(self) -> None:
        self.out = bytearray()
        # id(array) → (storage key, its numbers little-endian in C order, the array): the array
        # is kept so that its id cannot pass to another array while writing
        self.storages: dict[int, tuple[int, np.ndarray, np.ndarray]] = {}
        self.open: set[int] = set()        # the containers being written (a cycle is refused)

    def value(self, value: Any, where: str) -> None:
        if not isinstance(value, (dict, type)) and callable(getattr(value, "state_dict", None)):
            value = value.state_dict()      # a Module, an optimizer, a scheduler, a DataLoader
        if value is None:
            self.out += Op.NONE
        elif isinstance(value, (bool, np.bool_)):
            self.out += Op.NEWTRUE if value else Op.NEWFALSE
        elif isinstance(value, (int, np.integer)):
            self.integer(int(value), where)
        elif isinstance(value, (float, np.floating)) and not isinstance(value, np.longdouble):
            self.out += Op.BINFLOAT + struct.pack(">d", float(value))
        elif isinstance(value, str):
            self.text(value)
        elif isinstance(value, (np.ndarray, Node)) or callable(getattr(value, "numpy", None)):
            self.tensor(value, where)
        elif isinstance(value, (dict, list, tuple)):
            if id(value) in self.open:
                raise ValueError(f"save: {where or 'the state'!r} is a list or dict that holds "
                                 f"it (a cycle); a checkpoint is a tree of values")
            self.open.add(id(value))
            self.container(value, where)
            self.open.discard(id(value))
        else:
            raise TypeError(f"save: {where or 'the state'!r} is a {type(value).__name__}; a "
                            f"PyTorch checkpoint written by glassgrad holds Modules, optimizers, "
                            f"schedulers, Tensors and arrays, numbers, strings, None, lists, "
                            f"tuples and dicts")

    def integer(self, n: int, where: str) -> None:
        if 0 <= n < 0x100:
            self.out += Op.BININT1 + bytes([n])
        elif 0 <= n < 0x10000:
            self.out += Op.BININT2 + struct.pack("<H", n)
        elif -0x80000000 <= n < 0x80000000:
            self.out += Op.BININT + struct.pack("<i", n)
        else:                               # two's complement, little-endian, 255 bytes at most
            size = (n.bit_length() + 8) // 8
            if size > 255:
                raise ValueError(f"save: {where or 'the state'!r} is an int of "
                                 f"{n.bit_length()} bits; torch.load reads ints of up to "
                                 f"2039 bits")
            self.out += Op.LONG1 + bytes([size]) + n.to_bytes(size, "little", signed=True)

    def text(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self.out += Op.BINUNICODE + struct.pack("<I", len(data)) + data

    def global_(self, module: str, name: str) -> None:
        self.out += Op.GLOBAL + f"{module}\n{name}\n".encode("ascii")

    def items(self, values: list | tuple, where: str) -> None:
        """The values one after another, each under its path ("where/0", ...)."""
        for i, item in enumerate(values):
            self.value(item, f"{where}/{i}" if where else str(i))

    def container(self, value: dict | list | tuple, where: str) -> None:
        if isinstance(value, tuple):
            if len(value) <= 3:
                self.items(value, where)
                self.out += (Op.EMPTY_TUPLE, Op.TUPLE1, Op.TUPLE2, Op.TUPLE3)[len(value)]
            else:
                self.out += Op.MARK
                self.items(value, where)
                self.out += Op.TUPLE
        elif isinstance(value, list):
            self.out += Op.EMPTY_LIST
            if value:
                self.out += Op.MARK
                self.items(value, where)
                self.out += Op.APPENDS
        else:
            self.dictionary(value, where)

    def dictionary(self, value: dict, where: str) -> None:
        if _is_optimizer_state(value):
            value = _with_tensor_scalars(value)
        ordered = isinstance(value, OrderedDict)
        if ordered:                         # OrderedDict(), then its items
            self.global_("collections", "OrderedDict")
            self.out += Op.EMPTY_TUPLE + Op.REDUCE
        else:
            self.out += Op.EMPTY_DICT
        if value:
            self.out += Op.MARK
            for key, item in value.items():
                if not isinstance(key, (str, int, float, np.integer, np.floating, np.bool_)) \
                        and key is not None:
                    raise TypeError(f"save: {where or 'the state'!r} has a key {key!r:.60} of "
                                    f"type {type(key).__name__}; keys must be strings, numbers, "
                                    f"True, False or None")
                self.value(key, where)
                self.value(item, f"{where}/{key}" if where else str(key))
            self.out += Op.SETITEMS
        metadata = getattr(value, "_metadata", None) if ordered else None
        if metadata is not None:            # what torch's state_dict() records: layer versions
            self.out += Op.EMPTY_DICT
            self.text("_metadata")
            self.value(metadata, f"{where}/_metadata" if where else "_metadata")
            self.out += Op.SETITEM + Op.BUILD

    def tensor(self, value: Any, where: str) -> None:
        array = as_array(value)
        storage = STORAGES.get(array.dtype.name)
        if storage is None:
            raise TypeError(f"save: {where or 'the state'!r} is an array of {array.dtype}; a "
                            f"PyTorch checkpoint written by glassgrad holds "
                            f"{', '.join(STORAGES)}")
        if id(array) not in self.storages:       # (the Tensors of tied weights share an array)
            data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
            self.storages[id(array)] = (len(self.storages), data, array)
        key = self.storages[id(array)][0]
        # _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks)
        self.global_("torch._utils", "_rebuild_tensor_v2")
        self.out += Op.MARK
        self.out += Op.MARK                 # the storage, by persistent id
        self.text("storage")
        self.global_("torch", storage)
        self.text(str(key))
        self.text("cpu")
        self.integer(array.size, where)
        self.out += Op.TUPLE + Op.BINPERSID
        self.integer(0, where)
        self.container(tuple(array.shape), where)
        self.container(_contiguous_strides(array.shape), where)
        self.out += Op.NEWFALSE
        self.global_("collections", "OrderedDict")
        self.out += Op.EMPTY_TUPLE + Op.REDUCE
        self.out += Op.TUPLE + Op.REDUCE


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The strides, in elements, of a C-ordered tensor of `shape`, as PyTorch computes them (an
    axis of length 0 counts as 1)."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _is_optimizer_state(value: dict) -> bool:
    """Whether `value` is an optimizer's `state_dict()`, PyTorch's layout."""
    return (set(value) == {"state", "param_groups"} and isinstance(value["state"], dict)
            and isinstance(value["param_groups"], list))


def _with_tensor_scalars(optimizer_state: dict) -> dict:
    """A copy of an optimizer's state dict whose per-parameter "step" (and NAdam's
    "mu_product") numbers are 0-d float32 arrays: PyTorch's optimizers keep them as such
    tensors (torch/optim/adam.py, `_init_group`), and convert a number only on load."""
    state = {}
    for index, entries in optimizer_state["state"].items():
        if isinstance(entries, dict):
            entries = {key: np.array(value, dtype=np.float32)
                       if key in TENSOR_SCALARS and isinstance(value, numbers.Real)
                       and not isinstance(value, (bool, np.bool_)) else value
                       for key, value in entries.items()}
        state[index] = entries
    return {**optimizer_state, "state": state}
