"""PyTorch's own checkpoint format (`torch.save`'s zip archive), written and read without torch.

`nn.save(state, "model.pt")` (or ".pth") writes this format, so that `torch.load("model.pt")`,
with its default `weights_only=True`, gives the state dict as torch tensors; `nn.load` reads
such files back, also those `torch.save` wrote. torch is never imported, and nothing from the
file is ever run: the pickle inside is written and read here, opcode by opcode, by a small
encoder and a small interpreter that know a fixed set of types.

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

>>> import os, tempfile
>>> import numpy as np
>>> from nn.torch_format import save, load
>>> path = os.path.join(tempfile.mkdtemp(), "model.pt")
>>> save({"weight": np.eye(2, dtype=np.float32), "epoch": 3, "note": None}, path)
>>> load(path)
{'weight': array([[1., 0.],
       [0., 1.]], dtype=float32), 'epoch': 3, 'note': None}
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import struct
import zipfile
from collections import Counter, OrderedDict
from typing import Any, Callable

import numpy as np

from autograd.files import atomic_open, check_destination
from autograd.graph import Node

from .module import as_array

__all__ = ["save", "load", "dumps", "loads", "is_pytorch_file", "is_pytorch_name",
           "archive_problem", "SUFFIXES", "STORAGES"]

#: the names PyTorch's checkpoints go by: `nn.save` writes this format under them
SUFFIXES = (".pt", ".pth")

#: numpy dtype → PyTorch's storage class, which names a tensor's dtype in the pickle
STORAGES = {
    "float64": "DoubleStorage", "float32": "FloatStorage", "float16": "HalfStorage",
    "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
    "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
}
DTYPES = {storage: np.dtype(name) for name, storage in STORAGES.items()}

#: the per-parameter numbers PyTorch's optimizers keep as 0-d tensors (Adam's "step", NAdam's
#: "mu_product"), with the dtype each is written in: glassgrad keeps Python numbers. A count is
#: exact in float32, PyTorch's type; NAdam's product is written in float64, as glassgrad holds
#: it (rounded to float32, a resumed run drifted from an uninterrupted one by ~1e-12)
TENSOR_SCALARS = {"step": np.float32, "mu_product": np.float64}

ALIGNMENT = 64              # where each record's bytes start (PyTorch's writer's alignment)
ARCHIVE_VERSION = b"3\n"    # the archive format torch.save writes for a checkpoint
ZIP64_FROM = 2 ** 30        # records larger than this get zip64 sizes (20 bytes in the header)
DEFLATE_MOST = 1100         # the most bytes deflate unzips from one byte (its limit is ~1032)
MOST_NESTED = 100           # the deepest nesting of lists, tuples and dicts read (a state dict: ~5)
KEYS = (str, int, float, bool, type(None))      # the types of the dict keys read


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


def dataclass_hint(value: Any) -> str:
    """What to write for a dataclass in a checkpoint (nanoGPT's GPTConfig), which save refuses
    as any class of the program: nothing unpickled can run code, so load reads no classes."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return ""
    name = type(value).__name__
    return (f"; store a dataclass's fields instead, dataclasses.asdict(...), and rebuild it "
            f"after load with {name}(**fields)")


class _Encoder:
    """Writes the opcodes of one value after another into `out`."""

    def __init__(self) -> None:
        self.out = bytearray()
        # id(array) → (storage key, its numbers little-endian in C order, the array): the array
        # is kept so that its id cannot pass to another array while writing
        self.storages: dict[tuple, tuple[int, np.ndarray, np.ndarray]] = {}
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
            if len(self.open) >= MOST_NESTED:   # (the containers open are those above it)
                raise ValueError(f"save: the state nests lists, tuples and dicts more than "
                                 f"{MOST_NESTED} deep (under {where.split('/')[0]!r}), deeper "
                                 f"than load reads")
            self.open.add(id(value))
            self.container(value, where)
            self.open.discard(id(value))
        else:
            raise TypeError(f"save: {where or 'the state'!r} is a {type(value).__name__}; a "
                            f"PyTorch checkpoint written by glassgrad holds Modules, optimizers, "
                            f"schedulers, Tensors and arrays, numbers, strings, None, lists, "
                            f"tuples and dicts{dataclass_hint(value)}")

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
        elif set(value) == MULTISTEP_STATE and isinstance(value["milestones"], list):
            value = {**value, "milestones": Counter(value["milestones"])}
        elif set(value) == LAMBDA_STATE and isinstance(value["base_lrs"], list):
            # PyTorch's LambdaLR and MultiplicativeLR load only with their "lr_lambdas" entry,
            # None for a function (whose code a checkpoint does not hold)
            value = {**value, "lr_lambdas": [None] * len(value["base_lrs"])}
        if type(value) is Counter:          # Counter({...}): PyTorch's MultiStepLR milestones,
            self.global_("collections", "Counter")      # which it indexes by epoch (a list
            self.dictionary(dict(value), where)         # there gave wrong lrs)
            self.out += Op.TUPLE1 + Op.REDUCE
            return
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
        # the Tensors of tied weights show one array's numbers (each state-dict entry a view
        # of its own, as detach() gives): the same numbers, laid out alike, are one storage
        same = (array.__array_interface__["data"][0], array.shape, array.strides, array.dtype)
        if same not in self.storages:           # (`array`, kept there, keeps its memory alive)
            data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
            self.storages[same] = (len(self.storages), data, array)
        key = self.storages[same][0]
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


#: the entries of a MultiStepLR's state_dict(), whose milestones PyTorch keeps as a Counter
MULTISTEP_STATE = {"milestones", "gamma", "base_lrs", "last_epoch", "_initial", "_last_lr"}
#: the entries of a LambdaLR's or MultiplicativeLR's state_dict(): the lambdas are not saved
LAMBDA_STATE = {"base_lrs", "last_epoch", "_initial", "_last_lr"}


def _is_optimizer_state(value: dict) -> bool:
    """Whether `value` is an optimizer's `state_dict()`, PyTorch's layout."""
    return (set(value) == {"state", "param_groups"} and isinstance(value["state"], dict)
            and isinstance(value["param_groups"], list))


def _with_tensor_scalars(optimizer_state: dict) -> dict:
    """A copy of an optimizer's state dict whose per-parameter "step" (and NAdam's
    "mu_product") numbers are 0-d arrays: PyTorch's optimizers keep them as tensors
    (torch/optim/adam.py, `_init_group`), and convert a number only on load."""
    state = {}
    for index, entries in optimizer_state["state"].items():
        if isinstance(entries, dict):
            entries = {key: np.array(value, dtype=TENSOR_SCALARS[key])
                       if key in TENSOR_SCALARS and isinstance(value, numbers.Real)
                       and not isinstance(value, (bool, np.bool_)) else value
                       for key, value in entries.items()}
        state[index] = entries
    return {**optimizer_state, "state": state}


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------

class Refused(ValueError):
    """The pickle asks for something the reader does not do, or is damaged; nothing was run."""


def is_pytorch_file(path: str | os.PathLike) -> bool:
    """Whether `path` is a zip archive that `load` should read: one holding a `*/data.pkl`
    record (torch.save's), or any zip archive named `.pt` or `.pth`. False for a file that
    cannot be opened: the caller reports that."""
    try:
        with open(path, "rb") as file:
            if file.read(4) != b"PK\x03\x04":
                return False
            if is_pytorch_name(path):
                return True
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                return any(_is_pickle_record(name) for name in archive.namelist())
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, TypeError, NotImplementedError):
        return False


def is_pytorch_name(path: str | os.PathLike) -> bool:
    """Whether `path` ends in `.pt` or `.pth` (any case): `nn.save` writes PyTorch's format
    there, and `nn.load` reads any zip archive so named as one. A file named just ".pt" too:
    one rule for both, or save would write what load refuses."""
    return os.fsdecode(path).lower().endswith(SUFFIXES)


def _is_pickle_record(name: str) -> bool:
    folder, _, record = name.partition("/")
    return bool(folder) and record == "data.pkl"


def load(path: str | os.PathLike) -> Any:
    """The object a `.pt` file holds: what `save` wrote, or what `torch.save` wrote of state
    dicts and training states (tensors, numbers, strings, None, lists, tuples and dicts).
    Tensors come back as numpy arrays (on the CPU, whatever device they were saved from).

    The pickle is interpreted here, opcode by opcode: only the opcodes torch.save writes for
    such data are known, and only five kinds of globals (OrderedDict, Counter, the tensor and
    parameter rebuilders, the storage classes); anything else (a class of the saving program,
    `os.system`) is refused with a ValueError before the next opcode, and nothing is ever run
    or imported.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
            raise _unreadable(path, "it is a damaged or truncated zip archive") from None
        with archive:
            problem = archive_problem(archive, size)
            if problem:
                raise _unreadable(path, problem)
            folder = _folder(archive, path)
            byteorder = _byteorder(archive, folder, size, path)

            def storage(key: str, dtype: np.dtype, numel: int) -> np.ndarray:
                return _storage(archive, f"{folder}data/{key}", dtype.newbyteorder(byteorder),
                                numel, size)

            try:
                return loads(_record(archive, folder + "data.pkl", size), storage)
            except Refused as err:
                reason = str(err)
                if any(n.startswith((folder + "code/", folder + "constants.pkl"))
                       for n in archive.namelist()):
                    reason = (f"it is a TorchScript archive (torch.jit.save), which only "
                              f"torch.jit.load reads; {reason}")
                raise _unreadable(path, reason) from None


def archive_problem(archive: zipfile.ZipFile, size: int) -> str | None:
    """What makes a zip archive of `size` bytes unsafe to read, before a record is read, or
    None: a name given to two records (which one is meant? readers differ), or records whose
    sizes add up to more than the file: records that overlap, so that a file of a few hundred
    kilobytes reads as thousands of large records (a zip bomb). Apart, each record also holds
    at most DEFLATE_MOST times its compressed size (`_member`), which bounds the whole read.

    >>> import io
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w") as archive:
    ...     archive.writestr("a", b"1"); archive.writestr("b", b"2")
    >>> archive_problem(zipfile.ZipFile(buffer), len(buffer.getvalue())) is None
    True
    """
    members = archive.infolist()
    counts = Counter(member.filename for member in members)
    twice = sorted(name for name, count in counts.items() if count > 1)
    if twice:
        return (f"it holds the record{'s' if len(twice) > 1 else ''} "
                f"{', '.join(map(repr, twice[:3]))} more than once (which one is meant?)")
    claimed = sum(member.compress_size for member in members)
    if claimed > size:
        return (f"its records claim {claimed:,} bytes in all, more than the file's {size:,}: "
                f"they overlap, which no archiver writes (a zip bomb's trick)")
    return None


def _unreadable(path: str, reason: str) -> ValueError:
    return ValueError(f"load: {path!r} cannot be read as a PyTorch checkpoint: {reason}")


def _folder(archive: zipfile.ZipFile, path: str) -> str:
    """"name/": the folder holding data.pkl, the one folder torch.save writes records in."""
    folders = [name[:-len("data.pkl")] for name in archive.namelist() if _is_pickle_record(name)]
    if len(folders) != 1:
        names = archive.namelist()
        if not folders and names and all(name.endswith(".npy") for name in names):
            reason = ("it is an .npz archive of arrays, not a PyTorch file: rename it to end "
                      "in .npz")
        elif not folders:
            reason = "it is a zip archive without the data.pkl of a PyTorch file"
        else:
            reason = f"it holds {len(folders)} data.pkl records ({', '.join(folders)})"
        raise _unreadable(path, reason)
    return folders[0]


def _byteorder(archive: zipfile.ZipFile, folder: str, size: int, path: str) -> str:
    """"<" or ">": how the storages' numbers are stored (little-endian when not said)."""
    try:
        order = _record(archive, folder + "byteorder", size)
    except KeyError:
        return "<"
    except Refused as err:
        raise _unreadable(path, str(err)) from None
    if order not in (b"little", b"big"):
        raise _unreadable(path, f"its byteorder record says {order[:20]!r}, not little or big")
    return "<" if order == b"little" else ">"


def _member(archive: zipfile.ZipFile, name: str, size: int) -> zipfile.ZipInfo:
    """The record `name`, checked before a byte of it is read: its sizes must be possible in
    an archive of `size` bytes (a few damaged bytes must not make us set aside terabytes).
    A KeyError if the archive has no such record."""
    member = archive.getinfo(name)
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise Refused(f"its record {name!r} is compressed with a method PyTorch never uses")
    if member.compress_size > size or member.file_size > DEFLATE_MOST * max(
            member.compress_size, 1) or (member.compress_type == zipfile.ZIP_STORED and
                                         member.file_size != member.compress_size):
        raise Refused(f"its record {name!r} is damaged or truncated")
    return member


def _read_into(archive: zipfile.ZipFile, member: zipfile.ZipInfo, buffer: bytearray) -> None:
    try:
        with archive.open(member) as record:
            view, done = memoryview(buffer), 0
            while done < len(buffer):
                count = record.readinto(view[done:])
                if not count:
                    break
                done += count
    except MemoryError:
        raise
    except Exception:                   # zipfile and zlib fail in many ways on damaged bytes
        raise Refused(f"its record {member.filename!r} is damaged or truncated") from None
    if done != len(buffer):
        raise Refused(f"its record {member.filename!r} is damaged or truncated")


def _record(archive: zipfile.ZipFile, name: str, size: int) -> bytes:
    member = _member(archive, name, size)
    buffer = bytearray(member.file_size)
    _read_into(archive, member, buffer)
    return bytes(buffer)


def _storage(archive: zipfile.ZipFile, name: str, dtype: np.dtype, numel: int,
             size: int) -> np.ndarray:
    """The storage `name` as a writable 1-d array of `numel` numbers of `dtype` (byte order
    included), converted to this computer's byte order."""
    try:
        member = _member(archive, name, size)
    except KeyError:
        raise Refused(f"its pickle refers to the storage {name!r}, which the file does not "
                      f"hold") from None
    if member.file_size != numel * dtype.itemsize:
        raise Refused(f"its storage {name!r} holds {member.file_size:,} bytes, but the pickle "
                      f"says {numel:,} numbers of {dtype.name} ({numel * dtype.itemsize:,} "
                      f"bytes)")
    buffer = bytearray(member.file_size)
    _read_into(archive, member, buffer)
    if dtype.kind == "b" and buffer.translate(None, b"\x00\x01"):
        raise Refused(f"its bool storage {name!r} holds bytes other than 0 and 1")
    array = np.frombuffer(buffer, dtype=dtype)
    native = np.dtype(dtype.name)
    return array.view(native) if dtype.isnative else array.astype(native)


def loads(pickled: bytes, storage: Callable[[str, np.dtype, int], np.ndarray] | list) -> Any:
    """The object `pickled` (torch.save's pickle) describes; `storage(key, dtype, numel)` gives
    the 1-d array of a storage (or `storage` is the list `dumps` returned). A Refused error
    (a ValueError) for anything else, before it would happen.

    >>> loads(*dumps({"w": np.arange(3), "lr": 0.5}))
    {'w': array([0, 1, 2]), 'lr': 0.5}
    >>> loads(b"\\x80\\x02cos\\nsystem\\nX\\x04\\x00\\x00\\x00echoR.", [])
    Traceback (most recent call last):
    nn.torch_format.Refused: its pickle names the global 'os.system' (at byte 2), which glassgrad never loads: ...
    """
    if isinstance(storage, list):
        arrays = storage

        def storage(key: str, dtype: np.dtype, numel: int) -> np.ndarray:
            array = arrays[int(key)]
            if array.dtype != dtype or array.size != numel:
                raise Refused(f"its storage {key!r} does not match the pickle")
            return array.reshape(-1)

    result = _Interpreter(pickled, storage).run()
    problem = _nesting_problem(result)
    if problem:
        raise Refused(f"its pickle {problem}")
    return result


def _items(value: Any) -> list | tuple:
    """What a list, tuple or dict the pickle built holds (a dict's keys are numbers or text,
    a state dict's _metadata counts as one of its values); () for anything else."""
    if type(value) in (dict, OrderedDict):
        metadata = getattr(value, "_metadata", None)
        return [*value.values(), *([] if metadata is None else [metadata])]
    return value if type(value) in (list, tuple) else ()


def _nesting_problem(result: Any) -> str | None:
    """Why `result` is not a tree of lists, tuples and dicts at most MOST_NESTED deep, or
    None. Through its memo a pickle can make a list that holds itself, and a few megabytes can
    nest a million lists: printing, comparing or saving such a thing fails far from the file,
    or crashes Python. Walked without recursion; a part shared by several is walked once."""
    if type(result) not in (dict, OrderedDict, list, tuple):
        return None
    heights: dict[int, int] = {}        # id → how many levels a container walked already has
    path = [[result, iter(_items(result)), 1]]      # (container, items left, height so far)
    on_path = {id(result)}
    while path:
        frame = path[-1]
        for item in frame[1]:
            if type(item) not in (dict, OrderedDict, list, tuple):
                continue
            if id(item) in on_path:
                return "builds a list or dict that holds itself (a cycle)"
            height = heights.get(id(item))
            if height is None or len(path) + height > MOST_NESTED:
                if height is not None or len(path) == MOST_NESTED:
                    return f"nests lists, tuples and dicts more than {MOST_NESTED} deep"
                path.append([item, iter(_items(item)), 1])
                on_path.add(id(item))
                break
            frame[2] = max(frame[2], height + 1)
        else:                           # every item walked: the container is done
            path.pop()
            on_path.discard(id(frame[0]))
            heights[id(frame[0])] = frame[2]
            if path:
                path[-1][2] = max(path[-1][2], frame[2] + 1)
    return None


class _Storage:
    """A storage the pickle loaded by persistent id: its numbers, as a 1-d array."""

    def __init__(self, key: str, array: np.ndarray) -> None:
        self.key, self.array = key, array


class _StorageClass:
    """What the global torch.FloatStorage (and the others) stands for: a dtype."""

    def __init__(self, name: str) -> None:
        self.name, self.dtype = name, DTYPES[name]


class _Function:
    """A global the pickle may call (REDUCE): one of the reader's own functions."""

    def __init__(self, name: str, function: Callable[..., Any]) -> None:
        self.name, self.function = name, function

    def __call__(self, args: tuple) -> Any:
        return self.function(*args)


def _ordered_dict(*args: Any) -> OrderedDict:
    if args:
        raise Refused("its pickle builds an OrderedDict from arguments, which torch.save never "
                      "writes")
    return OrderedDict()


def _counter(counts: Any = None) -> dict:
    """collections.Counter({...}), as PyTorch's MultiStepLR keeps its milestones: a plain dict
    here (the scheduler's load_state_dict takes {epoch: count})."""
    if type(counts) is not dict:
        raise Refused("its pickle builds a Counter from something that is not a dict")
    return counts


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                    backward_hooks: Any, metadata: Any = None) -> np.ndarray:
    """torch._utils._rebuild_tensor_v2: the tensor's numbers, checked to lie in its storage.
    The whole storage in C order is returned as it is (tensors that share it stay shared, as
    tied weights are in PyTorch); a part of it is copied."""
    if not isinstance(storage, _Storage):
        raise Refused("its pickle rebuilds a tensor from something that is not a storage")
    ints = (lambda xs: isinstance(xs, tuple) and all(
        type(x) is int and 0 <= x < 2 ** 62 for x in xs))
    if type(offset) is not int or offset < 0 or not ints(size) or not ints(stride) or \
            len(size) != len(stride) or not isinstance(requires_grad, bool):
        raise Refused(f"its pickle rebuilds a tensor with offset {offset!r:.40}, size "
                      f"{size!r:.60} and stride {stride!r:.60}")
    if metadata:
        raise Refused(f"its pickle rebuilds a tensor with metadata {metadata!r:.60}, which "
                      f"glassgrad does not read")
    array = storage.array
    numel = math.prod(size)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if numel else offset - 1
    if last >= array.size:
        raise Refused(f"its tensor of size {size} at offset {offset} with stride {stride} "
                      f"reaches past the end of storage {storage.key!r} ({array.size} numbers)")
    if numel > array.size:          # (a tiny file must not ask for a huge copy)
        raise Refused(f"its tensor of size {size} has more numbers than its storage "
                      f"{storage.key!r} ({array.size}): an expanded tensor, which glassgrad "
                      f"does not read (save tensor.contiguous())")
    if offset == 0 and numel == array.size and stride == _contiguous_strides(size):
        return array.reshape(size)
    view = np.lib.stride_tricks.as_strided(array[offset:], shape=size,
                                           strides=[s * array.itemsize for s in stride])
    return view.copy()


def _rebuild_parameter(data: Any, requires_grad: Any, backward_hooks: Any) -> np.ndarray:
    """torch._utils._rebuild_parameter: a saved nn.Parameter is its numbers here."""
    if not isinstance(data, np.ndarray):
        raise Refused("its pickle rebuilds a parameter from something that is not a tensor")
    return data


#: the only globals a pickle may name, as "module.name"; each maps to the reader's own object
GLOBALS: dict[str, Any] = {
    "collections.OrderedDict": _Function("OrderedDict", _ordered_dict),
    "collections.Counter": _Function("Counter", _counter),
    "torch._utils._rebuild_tensor_v2": _Function("_rebuild_tensor_v2", _rebuild_tensor),
    "torch._utils._rebuild_parameter": _Function("_rebuild_parameter", _rebuild_parameter),
    **{f"torch.{storage}": _StorageClass(storage) for storage in STORAGES.values()},
}


class _Interpreter:
    """Runs the opcodes of a pickle on a stack, as pickle's Unpickler does, but knows only the
    opcodes below, pushes the reader's own objects for the globals in GLOBALS and calls
    nothing else. Each opcode's effect is one method."""

    def __init__(self, data: bytes, storage: Callable[[str, np.dtype, int], np.ndarray]):
        self.data, self.at, self.storage = data, 0, storage
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.storages: dict[str, _Storage] = {}
        self.done = False

    def run(self) -> Any:
        if not self.data.startswith(Op.PROTO):
            raise Refused("its data.pkl is not a pickle")
        while not self.done:
            self.start = self.at
            op = self.read(1)
            handler = self.HANDLERS.get(op)
            if handler is None:
                raise Refused(f"its pickle has the opcode {op!r} at byte {self.start}, which "
                              f"glassgrad's reader does not know (it reads the protocol 2 "
                              f"pickles torch.save writes)")
            try:
                handler(self)
            except Refused:
                raise
            except (IndexError, KeyError, TypeError, ValueError, struct.error):
                raise Refused(f"its pickle is damaged (the opcode {op!r} at byte "
                              f"{self.start} finds no value it can use)") from None
            except RecursionError:          # (the repr of a value nested a million deep)
                raise Refused(f"its pickle nests lists, tuples and dicts more than "
                              f"{MOST_NESTED} deep") from None
        if self.at != len(self.data):
            raise Refused("its pickle is damaged (there are bytes after its STOP)")
        if self.stack or self.marks:
            raise Refused("its pickle is damaged (its STOP leaves values unused)")
        return self.result

    # -- reading the bytes after an opcode --

    def read(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise Refused("its pickle is truncated")
        chunk = self.data[self.at:self.at + n]
        self.at += n
        return chunk

    def line(self) -> str:
        end = self.data.find(b"\n", self.at)
        if end < 0:
            raise Refused("its pickle is truncated")
        text = self.data[self.at:end].decode("utf-8")
        self.at = end + 1
        return text

    def pop_mark(self) -> list[Any]:
        """The values pushed since the last MARK, removed from the stack."""
        mark = self.marks.pop()
        items = self.stack[mark:]
        del self.stack[mark:]
        return items

    # -- one method per opcode --

    def proto(self) -> None:
        version = self.read(1)[0]
        if self.at != 2 or not 2 <= version <= 5:
            raise Refused(f"its pickle declares protocol {version} at byte {self.at - 2}")

    def stop(self) -> None:
        self.result = self.stack.pop()
        self.done = True

    def mark(self) -> None:
        self.marks.append(len(self.stack))

    def push(value: Any) -> Callable[[_Interpreter], None]:     # (a helper for the table)
        return lambda self: self.stack.append(value)

    def binint1(self) -> None:
        self.stack.append(self.read(1)[0])

    def binint2(self) -> None:
        self.stack.append(struct.unpack("<H", self.read(2))[0])

    def binint(self) -> None:
        self.stack.append(struct.unpack("<i", self.read(4))[0])

    def long1(self) -> None:
        n = self.read(1)[0]
        self.stack.append(int.from_bytes(self.read(n), "little", signed=True))

    def binfloat(self) -> None:
        self.stack.append(struct.unpack(">d", self.read(8))[0])

    def binunicode(self) -> None:
        n = struct.unpack("<I", self.read(4))[0]
        self.stack.append(self.read(n).decode("utf-8", "surrogatepass"))

    def tuple_n(n: int) -> Callable[[_Interpreter], None]:       # TUPLE1, TUPLE2, TUPLE3
        def handler(self: _Interpreter) -> None:
            if len(self.stack) - n < (self.marks[-1] if self.marks else 0):
                raise IndexError                # (the items may not reach below a MARK)
            items = tuple(self.stack[len(self.stack) - n:])
            del self.stack[len(self.stack) - n:]
            self.stack.append(items)
        return handler

    def tuple_mark(self) -> None:
        self.stack.append(tuple(self.pop_mark()))

    def append(self) -> None:
        item = self.stack.pop()
        self.list_on_top().append(item)

    def appends(self) -> None:
        items = self.pop_mark()
        self.list_on_top().extend(items)

    def list_on_top(self) -> list:
        if type(self.stack[-1]) is not list:
            raise Refused(f"its pickle appends to a {type(self.stack[-1]).__name__}")
        return self.stack[-1]

    def setitem(self) -> None:
        value, key = self.stack.pop(), self.stack.pop()
        self.dict_on_top()[self.key(key)] = value

    def setitems(self) -> None:
        items = self.pop_mark()
        if len(items) % 2:
            raise IndexError
        target = self.dict_on_top()
        for i in range(0, len(items), 2):
            target[self.key(items[i])] = items[i + 1]

    def key(self, key: Any) -> Any:
        """A dict key, which must be text or a number: hashing a tuple nested a million deep
        would crash Python, and a state dict's keys are names and parameter numbers."""
        if type(key) not in KEYS:
            raise Refused(f"its pickle uses a {type(key).__name__} as a dict key; glassgrad "
                          f"reads keys that are strings, numbers, True, False or None")
        return key

    def dict_on_top(self) -> dict:
        if type(self.stack[-1]) not in (dict, OrderedDict):
            raise Refused(f"its pickle sets an item of a {type(self.stack[-1]).__name__}")
        return self.stack[-1]

    def global_(self) -> None:
        name = f"{self.line()}.{self.line()}"
        if name.startswith(("torch.nn.", "torch.optim.")):
            raise Refused(f"its pickle names the class {name!r} (at byte {self.start}): it is "
                          f"a whole PyTorch object, saved by torch.save(model), which only "
                          f"torch.load(weights_only=False) runs; glassgrad reads state dicts "
                          f"(in PyTorch: torch.save(model.state_dict(), path))")
        if name not in GLOBALS and name.startswith("torch."):
            raise Refused(f"its pickle names the global {name!r} (at byte {self.start}): a kind "
                          f"of tensor or object glassgrad does not read (it reads dense tensors "
                          f"of {', '.join(STORAGES)}; convert others, with .float() or .long(), "
                          f"before torch.save)")
        if name not in GLOBALS:
            raise Refused(f"its pickle names the global {name!r} (at byte {self.start}), which "
                          f"glassgrad never loads: "
                          f"it reads tensors, numbers, strings, None, lists, tuples and dicts "
                          f"(and nothing from a file is ever run)")
        self.stack.append(GLOBALS[name])

    def reduce(self) -> None:
        args, function = self.stack.pop(), self.stack.pop()
        if not isinstance(function, _Function) or type(args) is not tuple:
            raise Refused(f"its pickle calls a {type(function).__name__}, which is not a "
                          f"function it may call")
        self.stack.append(function(args))

    def build(self) -> None:
        state, target = self.stack.pop(), self.stack[-1]
        if type(target) is not OrderedDict or type(state) is not dict or \
                set(state) != {"_metadata"}:
            raise Refused(f"its pickle sets the attributes of a {type(target).__name__}; "
                          f"glassgrad reads only a state dict's _metadata")
        target._metadata = state["_metadata"]

    def binpersid(self) -> None:
        pid = self.stack.pop()
        if type(pid) is not tuple or len(pid) != 5 or pid[0] != "storage" or \
                not isinstance(pid[1], _StorageClass) or type(pid[2]) is not str or \
                type(pid[3]) is not str or type(pid[4]) is not int or pid[4] < 0:
            raise Refused(f"its pickle loads {pid!r:.80} by persistent id; only storages are "
                          f"loaded so")
        _, kind, key, _, numel = pid
        known = self.storages.get(key)
        if known is None:
            known = self.storages[key] = _Storage(key, self.storage(key, kind.dtype, numel))
        elif known.array.dtype != kind.dtype or known.array.size != numel:
            raise Refused(f"its pickle reads the storage {key!r} as two different types")
        self.stack.append(known)

    def binput(self) -> None:
        self.memo[self.read(1)[0]] = self.stack[-1]

    def long_binput(self) -> None:
        self.memo[struct.unpack("<I", self.read(4))[0]] = self.stack[-1]

    def binget(self) -> None:
        self.stack.append(self.memo[self.read(1)[0]])

    def long_binget(self) -> None:
        self.stack.append(self.memo[struct.unpack("<I", self.read(4))[0]])

    HANDLERS: dict[bytes, Callable[[_Interpreter], None]] = {
        Op.PROTO: proto, Op.STOP: stop, Op.MARK: mark,
        Op.NONE: push(None), Op.NEWTRUE: push(True), Op.NEWFALSE: push(False),
        Op.BININT1: binint1, Op.BININT2: binint2, Op.BININT: binint, Op.LONG1: long1,
        Op.BINFLOAT: binfloat, Op.BINUNICODE: binunicode,
        Op.EMPTY_TUPLE: push(()), Op.TUPLE1: tuple_n(1), Op.TUPLE2: tuple_n(2),
        Op.TUPLE3: tuple_n(3), Op.TUPLE: tuple_mark,
        Op.EMPTY_LIST: lambda self: self.stack.append([]), Op.APPEND: append,
        Op.APPENDS: appends,
        Op.EMPTY_DICT: lambda self: self.stack.append({}), Op.SETITEM: setitem,
        Op.SETITEMS: setitems,
        Op.GLOBAL: global_, Op.REDUCE: reduce, Op.BUILD: build, Op.BINPERSID: binpersid,
        Op.BINPUT: binput, Op.LONG_BINPUT: long_binput, Op.BINGET: binget,
        Op.LONG_BINGET: long_binget,
    }
    del push, tuple_n
