"""nn.torch_format: `nn.save(state, "model.pt")` writes torch.save's zip format, which
`torch.load` (weights_only=True) reads, and `nn.load` reads such files, its own and torch's,
without running anything. The encoder and the interpreter are checked without torch; with
torch installed, torch reads our files and we read torch's."""

from __future__ import annotations

import collections
import io
import math
import os
import re
import struct
import subprocess
import sys
import warnings
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

from autograd import Tensor, manual_seed
from nn import LSTM, BatchNorm2d, Conv2d, Linear, Sequential, load, save
from nn.optim import SGD, Adam, AdamW, NAdam
from nn.optim.lr_scheduler import LambdaLR, MultiplicativeLR, MultiStepLR, StepLR
from nn.torch_format import ALIGNMENT, STORAGES, Refused, dumps, loads

from zip_helpers import overlapping_zip

try:
    import torch
except ImportError:                 # an optional cross-check: the tests say so and skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check against torch.save / torch.load: pip install torch)")

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8,
          np.bool_]


def arrays_of_every_kind() -> dict[str, np.ndarray]:
    """One array per dtype, a 0-d one, empty ones and non-contiguous ones."""
    rng = np.random.default_rng(0)
    out = {f"a_{np.dtype(d).name}": (rng.normal(size=(3, 4)) * 50).astype(d) for d in DTYPES}
    base = rng.normal(size=(4, 6))
    out.update({
        "zero_d": np.array(2.5, np.float32), "zero_d_int": np.array(7, np.int64),
        "empty": np.zeros((0, 3), np.float32), "empty_1d": np.zeros(0, np.int64),
        "strided": base[:, ::2], "transposed": base.T, "fortran": np.asfortranarray(base),
        "negative_step": base[::-1, 1:5], "big_endian": base.astype(">f8"),
    })
    return out


def same(a, b) -> None:
    """Equal values of equal types, arrays of equal dtype and shape, all the way down."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, np.ndarray):
        assert a.dtype == np.dtype(b.dtype.name) and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def plain_values() -> dict:
    ints = [0, 1, 255, 256, 65535, 65536, -1, -255, 2**31 - 1, -2**31, 2**31, -2**31 - 1,
            2**63, -2**63 - 1, 2**128 + 3, -2**200]
    return {
        "ints": ints, "floats": [0.0, -0.0, 0.1, -1e300, 5e-324, math.inf, -math.inf, math.nan],
        "flags": (True, False), "nothing": None, "text": ["", "é ✓ 日本", "a" * 70_000],
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4, "five")],
        "nested": {"list": [[], [[1]], {"x": []}], "dict": {}, "od": OrderedDict(b=1, a=2)},
        "keys": {0: "int", -3: "neg", 2.5: "float", True: "bool", None: "none", "k" * 5000: 1},
        **{f"key {i}": i for i in range(300)},          # many keys, long keys
    }


# ------------------------------------------------------------------------------------------
# The encoder and the interpreter (no torch)
# ------------------------------------------------------------------------------------------

def test_every_supported_type_round_trips_through_the_pickle():
    state = {**plain_values(), **arrays_of_every_kind()}
    back = loads(*dumps(state))
    same(back, {**state, "big_endian": state["big_endian"].astype(np.float64)})
    assert back["nested"]["od"].__class__ is OrderedDict


def test_every_supported_type_round_trips_through_a_file(tmp_path):
    state = {**plain_values(), **arrays_of_every_kind()}
    save(state, tmp_path / "all.pt")
    back = load(tmp_path / "all.pt")
    same(back, {**state, "big_endian": state["big_endian"].astype(np.float64)})
    for name, array in back.items():
        if isinstance(array, np.ndarray):
            assert array.dtype.isnative and array.flags.writeable, name


def test_numpy_numbers_become_python_numbers_and_tensors_arrays(tmp_path):
    state = {"f": np.float32(0.5), "i": np.int64(-3), "b": np.bool_(True),
             "t": Tensor(np.arange(3.0)), "sd": Linear(2, 1).state_dict()}
    back = loads(*dumps(state))
    assert (back["f"], back["i"], back["b"]) == (0.5, -3, True)
    assert [type(back[k]) for k in "fib"] == [float, int, bool]
    np.testing.assert_array_equal(back["t"], np.arange(3.0))
    assert isinstance(back["sd"], OrderedDict) and list(back["sd"]) == ["weight", "bias"]


def test_the_same_array_is_stored_once_and_comes_back_shared():
    """Tied weights: two state-dict entries over one array, one storage (as torch.save)."""
    shared = np.arange(6.0).reshape(2, 3)
    pickled, arrays = dumps({"a": shared, "b": shared, "c": shared.copy()})
    assert len(arrays) == 2
    back = loads(pickled, arrays)
    assert np.shares_memory(back["a"], back["b"]) and not np.shares_memory(back["a"], back["c"])


def test_tied_weights_of_a_state_dict_are_stored_once():
    """A state dict gives each entry its own view of a parameter's numbers (in-place changes
    of an entry reach the model), so a tied weight's two entries are two arrays over the same
    memory: still one storage, as torch.save writes it."""
    from nn import Linear, Sequential
    layer = Linear(3, 3)
    state = Sequential(layer, layer).state_dict()
    pickled, arrays = dumps(state)
    assert len(state) == 4 and len(arrays) == 2
    back = loads(pickled, arrays)
    assert np.shares_memory(back["0.weight"], back["1.weight"])
    assert not np.shares_memory(back["0.weight"], back["0.bias"])


def test_a_state_dict_s_metadata_is_kept():
    sd = OrderedDict(w=np.ones(2))
    sd._metadata = OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])
    back = loads(*dumps(sd))
    assert back._metadata == sd._metadata


def test_the_pickle_uses_only_the_opcodes_and_globals_torch_s_weights_only_reader_takes():
    pickled, _ = dumps({**plain_values(), **arrays_of_every_kind()})
    allowed = set(b"\x80.(N\x88\x89KMJ\x8aGX)\x85\x86\x87t]ae}sucRbQqrhj")
    at, globals_ = 2, set()
    # walk the opcodes (their arguments' lengths) as a disassembler would
    sizes = {b"K": 1, b"M": 2, b"J": 4, b"G": 8}
    while pickled[at:at + 1] != b".":
        op = pickled[at:at + 1]
        assert op[0] in allowed, op
        at += 1
        if op in sizes:
            at += sizes[op]
        elif op == b"X":
            at += 4 + struct.unpack("<I", pickled[at:at + 4])[0]
        elif op == b"\x8a":
            at += 1 + pickled[at]
        elif op == b"c":
            module, name, _ = pickled[at:].split(b"\n", 2)
            globals_.add(f"{module.decode()}.{name.decode()}")
            at += len(module) + len(name) + 2
    assert globals_ == {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                        *(f"torch.{s}" for s in STORAGES.values())}


@pytest.mark.parametrize("value, where, kind", [
    ({"w": {1, 2}}, "'w' is a set", TypeError),
    ({"opt": {"fn": print}}, "'opt/fn' is a builtin_function_or_method", TypeError),
    ({"a": [1, object()]}, "'a/1' is a object", TypeError),
    ({"c": np.ones(2, np.complex64)}, "'c' is an array of complex64", TypeError),
    ({"u": np.ones(2, np.uint16)}, "'u' is an array of uint16", TypeError),
    ({"s": np.array(["x"])}, "'s' is an array of <U1", TypeError),
    ({"o": np.array([None])}, "'o' is an array of object", TypeError),
    ({"b": b"bytes"}, "'b' is a bytes", TypeError),
    ({"n": 2 ** 3000}, "'n' is an int of 3001 bits", ValueError),
    ({("a", "b"): 1}, "'the state' has a key ('a', 'b') of type tuple", TypeError),
])
def test_what_torch_load_could_not_read_is_refused_naming_where_it_is(tmp_path, value, where,
                                                                        kind):
    with pytest.raises(kind, match=re.escape(f"save: {where}")):
        save(value, tmp_path / "x.pt")
    assert os.listdir(tmp_path) == []


def test_a_state_that_contains_itself_is_refused(tmp_path):
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match=r"save: 'x/0' is a list or dict that holds it "
                                         r"\(a cycle\)"):
        save({"x": loop}, tmp_path / "x.pt")


# ------------------------------------------------------------------------------------------
# The archive
# ------------------------------------------------------------------------------------------

def test_the_archive_is_torch_save_s_layout(tmp_path):
    path = tmp_path / "model.pth"
    Linear(3, 2).save(path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        assert [m.filename for m in members] == ["model/data.pkl", "model/byteorder",
                                                 "model/data/0", "model/data/1", "model/version"]
        assert archive.read("model/byteorder") == b"little"
        assert archive.read("model/version") == b"3\n"
        assert archive.read("model/data.pkl").startswith(b"\x80\x02")
    for m in members:
        assert m.compress_type == zipfile.ZIP_STORED
        name_length, extra_length = struct.unpack("<HH", raw[m.header_offset + 26:
                                                             m.header_offset + 30])
        assert (m.header_offset + 30 + name_length + extra_length) % ALIGNMENT == 0, m.filename


def test_a_large_record_gets_zip64_sizes_and_stays_aligned(tmp_path, monkeypatch):
    monkeypatch.setattr("nn.torch_format.ZIP64_FROM", 10)
    save({"w": np.arange(100.0)}, tmp_path / "big.pt")
    raw = (tmp_path / "big.pt").read_bytes()
    with zipfile.ZipFile(tmp_path / "big.pt") as archive:
        member = archive.getinfo("big/data/0")
        assert archive.read(member) == np.arange(100.0).tobytes()
    name_length, extra_length = struct.unpack("<HH", raw[member.header_offset + 26:
                                                         member.header_offset + 30])
    assert (member.header_offset + 30 + name_length + extra_length) % ALIGNMENT == 0
    assert b"\x01\x00\x10\x00" in raw[member.header_offset:member.header_offset + 30 +
                                      name_length + extra_length]   # the zip64 entry


def test_a_module_and_a_training_state_round_trip_through_pt(tmp_path):
    manual_seed(0)
    model = Sequential(Linear(3, 4), Linear(4, 2))
    optimizer = Adam(model.parameters(), lr=0.01)
    scheduler = StepLR(optimizer, step_size=2)
    x = Tensor(np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32))
    for _ in range(2):
        optimizer.zero_grad()
        (model(x) ** 2).mean().backward()
        optimizer.step()
        scheduler.step()
    save({"model": model, "optimizer": optimizer, "scheduler": scheduler, "epoch": 2},
         tmp_path / "run.pt")
    checkpoint = load(tmp_path / "run.pt")
    assert checkpoint["optimizer"]["state"][0]["step"].dtype == np.float32   # PyTorch's type
    twin = Sequential(Linear(3, 4), Linear(4, 2))
    twin.load(tmp_path / "run.pt")                      # model.load takes the "model" entry
    twin_optimizer = Adam(twin.parameters(), lr=0.5)
    twin_optimizer.load_state_dict(checkpoint["optimizer"])
    StepLR(twin_optimizer, step_size=5).load_state_dict(checkpoint["scheduler"])
    assert twin_optimizer.state_dict()["state"][0]["step"] == 2
    for m, o in ((model, optimizer), (twin, twin_optimizer)):      # one more step each
        o.zero_grad()
        (m(x) ** 2).mean().backward()
        o.step()
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_nadams_momentum_product_round_trips_exactly_through_pt(tmp_path):
    """It was written as float32 (PyTorch's type for it), so a run resumed from the file
    drifted from the uninterrupted one by ~1e-12; a step count stays float32, where it is
    exact."""
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    optimizer = NAdam([w], lr=0.1)
    for _ in range(3):
        w.grad = np.array([1.0, -2.0])
        optimizer.step()
    save({"optimizer": optimizer}, tmp_path / "run.pt")
    state = load(tmp_path / "run.pt")["optimizer"]["state"][0]
    assert state["mu_product"].dtype == np.float64 and state["step"].dtype == np.float32
    assert float(state["mu_product"]) == optimizer.state[w]["mu_product"]


def test_multisteplr_milestones_are_written_as_pytorch_s_counter(tmp_path):
    """PyTorch's MultiStepLR keeps its milestones as a Counter and reads
    milestones[last_epoch] as the number of decays at that epoch: given our sorted list, it
    read the list by position (lrs 0.25, 0.0078 where 0.5, 0.25 were due, then an IndexError).
    A .pt file now holds collections.Counter, and glassgrad reads it (and PyTorch's) back."""
    import pickle
    optimizer = SGD([Tensor(np.zeros(2, np.float32), requires_grad=True)], lr=1.0)
    scheduler = MultiStepLR(optimizer, [1, 2, 2, 5], gamma=0.5)
    save({"scheduler": scheduler}, tmp_path / "run.pt")
    with zipfile.ZipFile(tmp_path / "run.pt") as archive:
        pickled = archive.read(next(n for n in archive.namelist() if n.endswith("data.pkl")))

    class CounterOnly(pickle.Unpickler):            # what torch.load's unpickler builds
        def find_class(self, module, name):
            assert (module, name) == ("collections", "Counter")
            return collections.Counter
    milestones = CounterOnly(io.BytesIO(pickled)).load()["scheduler"]["milestones"]
    assert milestones == collections.Counter({1: 1, 2: 2, 5: 1})
    assert (milestones[2], milestones[3]) == (2, 0)         # as PyTorch's get_lr reads it
    resumed = MultiStepLR(optimizer, [9, 9, 9, 9], gamma=0.5)
    resumed.load_state_dict(load(tmp_path / "run.pt")["scheduler"])
    assert resumed.milestones == [1, 2, 2, 5]


def test_a_lambdalr_state_has_the_lr_lambdas_entry_pytorch_loads_with(tmp_path):
    """PyTorch's LambdaLR and MultiplicativeLR pop "lr_lambdas" on loading (None for a
    function): without it torch.load's state raised KeyError there. Read back here, the
    entry is left out again."""
    optimizer = SGD([Tensor(np.zeros(2, np.float32), requires_grad=True)], lr=1.0)
    for make in (LambdaLR, MultiplicativeLR):
        scheduler = make(optimizer, lambda epoch: 0.5)
        save({"scheduler": scheduler}, tmp_path / "run.pt")
        state = load(tmp_path / "run.pt")["scheduler"]
        assert state["lr_lambdas"] == [None]
        make(optimizer, lambda epoch: 0.5).load_state_dict(state)


@needs_torch
@pytest.mark.parametrize("make", ["LambdaLR", "MultiplicativeLR"])
def test_a_lambdalr_state_resumes_in_torch_with_the_same_lrs(tmp_path, make):
    """What the lr_lambdas entry is for: torch's load_state_dict (which raised KeyError
    without it) takes the state, and the schedule goes on where ours was."""
    optimizer = SGD([Tensor(np.zeros(2, np.float32), requires_grad=True)], lr=1.0)
    scheduler = {"LambdaLR": LambdaLR, "MultiplicativeLR": MultiplicativeLR}[make](
        optimizer, lambda epoch: 0.9)
    for _ in range(3):
        optimizer.step(), scheduler.step()
    save({"optimizer": optimizer, "scheduler": scheduler}, tmp_path / "run.pt")
    checkpoint = torch.load(tmp_path / "run.pt")
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    their_scheduler = getattr(torch.optim.lr_scheduler, make)(theirs, lambda epoch: 0.9)
    theirs.load_state_dict(checkpoint["optimizer"])
    their_scheduler.load_state_dict(checkpoint["scheduler"])
    for _ in range(3):
        optimizer.step(), scheduler.step(), theirs.step(), their_scheduler.step()
        assert theirs.param_groups[0]["lr"] == pytest.approx(optimizer.param_groups[0]["lr"],
                                                             rel=1e-12)


@needs_torch
def test_a_multisteplr_state_resumes_in_torch_with_the_same_lrs(tmp_path):
    optimizer = SGD([Tensor(np.zeros(2, np.float32), requires_grad=True)], lr=1.0)
    scheduler = MultiStepLR(optimizer, [1, 2, 5], gamma=0.5)
    save({"optimizer": optimizer, "scheduler": scheduler}, tmp_path / "run.pt")
    checkpoint = torch.load(tmp_path / "run.pt")
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    their_scheduler = torch.optim.lr_scheduler.MultiStepLR(theirs, [3], gamma=0.5)
    theirs.load_state_dict(checkpoint["optimizer"])
    their_scheduler.load_state_dict(checkpoint["scheduler"])
    for _ in range(6):
        optimizer.step(), scheduler.step(), theirs.step(), their_scheduler.step()
        assert theirs.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]


# ------------------------------------------------------------------------------------------
# Damaged and hostile files: clear errors, nothing run
# ------------------------------------------------------------------------------------------

def pt_file(path, pickled: bytes, storages=(), folder="x", extra=()) -> str:
    """A torch.save-like archive holding `pickled` and raw `storages`."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{folder}/data.pkl", pickled)
        for key, data in enumerate(storages):
            archive.writestr(f"{folder}/data/{key}", data)
        for name, data in extra:
            archive.writestr(f"{folder}/{name}", data)
        archive.writestr(f"{folder}/version", "3\n")
    return str(path)


def test_a_pickle_naming_os_system_is_refused_before_anything_runs(tmp_path):
    marker = tmp_path / "pwned"
    hostile = (b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(f"touch {marker}")) +
               f"touch {marker}".encode() + b"\x85R.")
    path = pt_file(tmp_path / "evil.pt", hostile)
    with pytest.raises(ValueError, match=r"evil\.pt' cannot be read as a PyTorch checkpoint: "
                                         r"its pickle names the global 'os\.system' \(at byte "
                                         r"2\), which glassgrad never loads"):
        load(path)
    with pytest.raises(ValueError, match=r"names the global 'os\.system'"):
        Linear(1, 1).load(path)
    assert not marker.exists()


class Anything:
    """A class of the saving program: pickle names it by a global, which is never loaded."""


def test_a_pickle_of_python_s_own_making_is_refused_by_its_global(tmp_path):
    import pickle
    path = pt_file(tmp_path / "obj.pt", pickle.dumps({"w": Anything()}, protocol=2))
    with pytest.raises(ValueError, match=r"names the global '.*Anything'"):
        load(path)
    path = pt_file(tmp_path / "p4.pt", pickle.dumps({"w": 1}, protocol=4))
    with pytest.raises(ValueError, match=r"opcode b'\\x95' at byte 2, which glassgrad's reader "
                                         r"does not know"):
        load(path)


@pytest.mark.parametrize("pickled, reason", [
    (b"\x80\x02c__builtin__\neval\n)R.", r"names the global '__builtin__\.eval'"),
    (b"\x80\x02X\x01\x00\x00\x00a)R.", r"calls a str, which is not a function"),
    (b"\x80\x02}}b.", r"sets the attributes of a dict"),
    (b"\x80\x02(X\x04\x00\x00\x00evilK\x01tQ.", r"loads \('evil', 1\) by persistent id"),
    (b"\x80\x02K\x01K\x02a.", r"appends to a int"),
    (b"\x80\x02]K\x01", r"truncated"),
    (b"\x80\x02h\x05.", r"damaged"),
    (b"\x80\x02K\x01K\x02.", r"damaged \(its STOP leaves values unused\)"),
    (b"\x80\x02K\x01.K", r"damaged \(there are bytes after its STOP\)"),
    (b"\x80\x02a.", r"damaged"),
    (b"\x80\x02]\x95.", r"opcode b'\\x95'"),
    (b"not a pickle", r"not a pickle"),
    # through the memo: a list or a dict (or a state dict's _metadata) that holds itself
    (b"\x80\x02]q\x00h\x00a.", r"builds a list or dict that holds itself \(a cycle\)"),
    (b"\x80\x02}q\x00X\x01\x00\x00\x00ah\x00s.", r"holds itself \(a cycle\)"),
    (b"\x80\x02ccollections\nOrderedDict\n)Rq\x00}X\t\x00\x00\x00_metadatah\x00sb.",
     r"holds itself \(a cycle\)"),
    # lists nested 101 deep (a million fit in a few megabytes; printing them fails)
    (b"\x80\x02" + b"]" * 101 + b"a" * 100 + b".", r"nests lists, tuples and dicts more than "
                                                    r"100 deep"),
    # a tuple as a key: hashing one nested a million deep crashed Python
    (b"\x80\x02}K\x01\x85K\x02s.", r"uses a tuple as a dict key; glassgrad reads keys that "
                                     r"are strings, numbers"),
    # torch.save(model): the Module's class, not a state dict
    (b"\x80\x02ctorch.nn.modules.linear\nLinear\n.", r"names the class 'torch\.nn\.modules\."
                                                     r"linear\.Linear' \(at byte 2\): it is a "
                                                     r"whole PyTorch object, saved by "
                                                     r"torch\.save\(model\).*model\.state_dict"),
])
def test_a_damaged_or_hostile_pickle_is_refused_with_its_reason(tmp_path, pickled, reason):
    with pytest.raises(ValueError, match=r"cannot be read as a PyTorch checkpoint: .*" + reason):
        load(pt_file(tmp_path / "bad.pt", pickled))


def test_nesting_up_to_100_deep_and_shared_parts_read():
    deep = loads(b"\x80\x02" + b"]" * 100 + b"a" * 99 + b".", [])
    for _ in range(99):
        deep = deep[0]
    assert deep == []
    # each level a pair of the one below, 30 levels: 2 ** 30 paths, each part walked once
    shared = loads(b"\x80\x02]q\x00" + b"h\x00\x86q\x00" * 30 + b".", [])
    assert len(shared) == 2 and shared[0] is shared[1]


def tensor_pickle(size=(2,), stride=(1,), offset=0, numel=2, storage=b"FloatStorage") -> bytes:
    """The pickle of {'w': a tensor} as torch.save writes it, with the given geometry."""
    ints = (lambda xs: b"(" + b"".join(b"K" + bytes([x]) for x in xs) + b"t")
    return (b"\x80\x02}(X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00"
            b"\x00storagectorch\n" + storage + b"\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK" +
            bytes([numel]) + b"tQK" + bytes([offset]) + ints(size) + ints(stride) +
            b"\x89ccollections\nOrderedDict\n)RtRu.")


def test_the_hand_made_tensor_pickle_reads(tmp_path):
    path = pt_file(tmp_path / "ok.pt", tensor_pickle(), [np.arange(2, dtype="<f4").tobytes()])
    np.testing.assert_array_equal(load(path)["w"], [0, 1])


def test_a_big_endian_file_reads_in_this_computer_s_order(tmp_path):
    path = pt_file(tmp_path / "big.pt", tensor_pickle(), [np.array([1.5, -2], ">f4").tobytes()],
                   extra=[("byteorder", "big")])
    w = load(path)["w"]
    assert w.dtype == np.float32 and w.dtype.isnative and w.tolist() == [1.5, -2.0]
    bad = pt_file(tmp_path / "odd.pt", tensor_pickle(), [bytes(8)], extra=[("byteorder", "mixed")])
    with pytest.raises(ValueError, match=r"byteorder record says b'mixed', not little or big"):
        load(bad)


def test_glassgrad_never_imports_torch(tmp_path):
    code = ("import sys, numpy as np; from nn import Linear, save, load; "
            f"save(Linear(2, 1), {str(tmp_path / 'm.pt')!r}); load({str(tmp_path / 'm.pt')!r}); "
            "Linear(2, 1).load(" f"{str(tmp_path / 'm.pt')!r}); print('torch' in sys.modules)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": root}, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("pickled, storages, reason", [
    (tensor_pickle(size=(3,)), [bytes(8)], r"reaches past the end of storage '0'"),
    (tensor_pickle(offset=1), [bytes(8)], r"reaches past the end"),
    (tensor_pickle(size=(4,), stride=(0,)), [bytes(8)], r"more numbers than its storage '0' "
                                                        r"\(2\): an expanded tensor"),
    (tensor_pickle(size=(2, 2), stride=(0, 5)), [bytes(8)], r"reaches past the end"),
    (tensor_pickle(numel=3), [bytes(8)], r"storage 'x/data/0' holds 8 bytes, but the pickle "
                                         r"says 3 numbers of float32"),
    (tensor_pickle(), [], r"refers to the storage 'x/data/0', which the file does not hold"),
    (tensor_pickle(storage=b"BFloat16Storage"), [bytes(4)], r"global 'torch.BFloat16Storage' "
                                                           r"\(at byte 57\): a kind of tensor "
                                                           r"or object glassgrad does not read"),
    (tensor_pickle(storage=b"BoolStorage"), [b"\x01\x07"], r"bytes other than 0 and 1"),
])
def test_a_tensor_that_does_not_fit_its_storage_is_refused(tmp_path, pickled, storages, reason):
    with pytest.raises(ValueError, match=r"cannot be read as a PyTorch checkpoint: .*" + reason):
        load(pt_file(tmp_path / "bad.pt", pickled, storages))


def test_a_record_stored_twice_is_refused(tmp_path):
    """torch reads the last of two records of one name; which one is meant?"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # zipfile warns of a name written twice
        path = pt_file(tmp_path / "twice.pt", tensor_pickle(), [bytes(8)],
                       extra=[("data/0", np.ones(2, "<f4").tobytes())])
    with pytest.raises(ValueError, match=r"twice\.pt' cannot be read as a PyTorch checkpoint: "
                                         r"it holds the record 'x/data/0' more than once"):
        load(path)


def test_records_that_overlap_are_refused_before_they_are_read(tmp_path):
    """A zip bomb: 200 storages, each a valid record, all overlapping in a file of ~25 kB,
    would read as ~2 MB (and grow as the square of the file's size)."""
    count = 200
    pickled = b"\x80\x02](" + b"".join(
        b"ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nByteStorage\n"
        + encoded(str(key)) + b"X\x03\x00\x00\x00cpuJ" + struct.pack("<i", size) + b"tQK\x00(J"
        + struct.pack("<i", size) + b"t(K\x01t\x89ccollections\nOrderedDict\n)RtR"
        for key, size in enumerate(range(count * 32 + 10000, 10000, -32))) + b"e."
    path = tmp_path / "bomb.pt"
    file_size, claimed = overlapping_zip(path, [f"x/data/{key}" for key in range(count)],
                                         bytes(10000), first=(("x/data.pkl", pickled),))
    assert claimed > 50 * file_size
    with pytest.raises(ValueError, match=r"bomb\.pt' cannot be read as a PyTorch checkpoint: "
                                         r"its records claim [\d,]+ bytes in all, more than the "
                                         r"file's [\d,]+: they overlap"):
        load(path)


def encoded(text: str) -> bytes:
    """BINUNICODE: a string in a pickle."""
    return b"X" + struct.pack("<I", len(text.encode())) + text.encode()


def test_every_truncation_of_a_pt_file_is_a_clear_error(tmp_path):
    good = tmp_path / "good.pt"
    save({"w": np.arange(6.0), "n": [1, "two"]}, good)
    raw = good.read_bytes()
    for cut in range(0, len(raw), 7):
        bad = tmp_path / "cut.pt"
        bad.write_bytes(raw[:cut])
        with pytest.raises(ValueError, match=r"cut\.pt'"):
            load(bad)


def test_flipped_bytes_give_a_value_or_a_clear_error_never_another_exception(tmp_path):
    good = tmp_path / "good.pt"
    save({"w": np.arange(6.0), "n": [1, "two", (3.5, None)]}, good)
    with zipfile.ZipFile(good) as archive:
        pickled = archive.read("good/data.pkl")
        storage = archive.read("good/data/0")
    rng = np.random.default_rng(0)
    for _ in range(300):
        damaged = bytearray(pickled)
        damaged[rng.integers(2, len(damaged))] = rng.integers(256)
        try:
            load(pt_file(tmp_path / "flip.pt", bytes(damaged), [storage]))
        except ValueError as err:
            assert "flip.pt' cannot be read as a PyTorch checkpoint" in str(err)


def test_files_that_are_not_pytorch_s_zip_say_what_they_are(tmp_path):
    import pickle
    legacy = tmp_path / "legacy.pt"                 # torch.save(_use_new_zipfile_serialization=False)
    legacy.write_bytes(pickle.dumps({"w": 1}, protocol=2))
    with pytest.raises(ValueError, match=r"it is a Python pickle"):
        load(legacy)
    npz = tmp_path / "renamed.pt"
    with open(npz, "wb") as f:
        np.savez(f, w=np.ones(2))
    with pytest.raises(ValueError, match=r"an \.npz archive of arrays, not a PyTorch file"):
        load(npz)
    script = pt_file(tmp_path / "script.pt", b"\x80\x02c__torch__\nNet\n.",
                     extra=[("code/__torch__.py", "")])
    with pytest.raises(ValueError, match=r"TorchScript archive .*torch\.jit\.load"):
        load(script)


# ------------------------------------------------------------------------------------------
# With torch: torch reads our files, we read torch's
# ------------------------------------------------------------------------------------------

@needs_torch
def test_torch_load_reads_every_dtype_shape_and_layout(tmp_path):
    state = arrays_of_every_kind()
    save({**state, "plain": plain_values()}, tmp_path / "all.pt")
    loaded = torch.load(tmp_path / "all.pt")                # weights_only=True by default
    for name, array in state.items():
        tensor = loaded[name]
        assert isinstance(tensor, torch.Tensor) and tuple(tensor.shape) == array.shape, name
        assert tensor.numpy().dtype == np.dtype(array.dtype.name), name
        np.testing.assert_array_equal(tensor.numpy(), array)
    same(loaded["plain"], plain_values())
    mapped = torch.load(tmp_path / "all.pt", mmap=True)
    np.testing.assert_array_equal(mapped["a_float64"].numpy(), state["a_float64"])


@needs_torch
def test_torch_load_needs_no_glassgrad(tmp_path):
    """The file names only torch's and collections' globals: torch.load reads it in a process
    where glassgrad cannot be imported."""
    model = Sequential(Linear(3, 2))
    optimizer = Adam(model.parameters())
    save({"model": model, "optimizer": optimizer, "epoch": 1}, tmp_path / "run.pt")
    code = ("import sys; sys.modules['nn'] = sys.modules['autograd'] = None; import torch; "
            f"ck = torch.load({str(tmp_path / 'run.pt')!r}); "
            "print(sorted(ck), type(ck['model']['0.weight']).__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "['epoch', 'model', 'optimizer'] Tensor"


@needs_torch
def test_torch_load_reads_records_with_zip64_sizes(tmp_path, monkeypatch):
    monkeypatch.setattr("nn.torch_format.ZIP64_FROM", 10)
    save({"w": np.arange(100.0), "i": np.arange(3, dtype=np.int32)}, tmp_path / "big.pt")
    for mmap in (False, True):
        loaded = torch.load(tmp_path / "big.pt", mmap=mmap)
        np.testing.assert_array_equal(loaded["w"].numpy(), np.arange(100.0))
        np.testing.assert_array_equal(loaded["i"].numpy(), np.arange(3))


@needs_torch
def test_torch_computes_no_offsets_from_our_layout(tmp_path, monkeypatch):
    """Without a .format_version record torch looks every storage up in the zip directory:
    with its debug asserts and offset computation switched on, our files still load."""
    from torch.utils.serialization import config
    save({"a": np.arange(5, dtype=np.float32), "b": np.arange(7.0)}, tmp_path / "o.pt")
    monkeypatch.setenv("TORCH_SERIALIZATION_DEBUG", "1")
    monkeypatch.setattr(config.load, "calculate_storage_offsets", True)
    for mmap in (False, True):
        loaded = torch.load(tmp_path / "o.pt", mmap=mmap)
        np.testing.assert_array_equal(loaded["b"].numpy(), np.arange(7.0))


def twins():
    """(glassgrad layer, its torch twin, an input) for each layer kind."""
    rng = np.random.default_rng(3)
    manual_seed(3)
    bn = BatchNorm2d(3)
    bn(Tensor(rng.normal(size=(4, 3, 5, 5)).astype(np.float32)))    # running stats, count 1
    bn.eval()
    return [
        (Linear(4, 3), torch.nn.Linear(4, 3), rng.normal(size=(2, 4))),
        (Conv2d(2, 3, 3, padding=1), torch.nn.Conv2d(2, 3, 3, padding=1),
         rng.normal(size=(2, 2, 5, 5))),
        (bn, torch.nn.BatchNorm2d(3).eval(), rng.normal(size=(2, 3, 5, 5))),
        (LSTM(4, 3, num_layers=2, batch_first=True),
         torch.nn.LSTM(4, 3, num_layers=2, batch_first=True), rng.normal(size=(2, 5, 4))),
    ]


def output(y):
    return y[0] if isinstance(y, tuple) else y


@needs_torch
def test_state_dicts_load_into_the_torch_twin_with_equal_outputs(tmp_path):
    for ours, theirs, x in twins():
        path = tmp_path / f"{type(ours).__name__}.pt"
        ours.save(path)
        result = theirs.load_state_dict(torch.load(path))
        assert not result.missing_keys and not result.unexpected_keys
        if isinstance(ours, BatchNorm2d):
            count = theirs.num_batches_tracked
            assert count.dtype == torch.int64 and count.shape == () and int(count) == 1
        x = x.astype(np.float32)
        with torch.no_grad():
            want = output(theirs(torch.from_numpy(x))).numpy()
        np.testing.assert_allclose(output(ours(Tensor(x))).data, want, rtol=1e-5, atol=1e-6)


@needs_torch
def test_torch_s_files_load_into_glassgrad_with_equal_outputs(tmp_path):
    for ours, theirs, x in twins():
        path = tmp_path / f"torch_{type(ours).__name__}.pt"
        torch.save(theirs.state_dict(), path)
        state = load(path)
        assert getattr(state, "_metadata", None) is not None
        ours.load_state_dict(state)
        x = x.astype(np.float32)
        with torch.no_grad():
            want = output(theirs(torch.from_numpy(x))).numpy()
        np.testing.assert_allclose(output(ours(Tensor(x))).data, want, rtol=1e-5, atol=1e-6)
        save(state, path)                           # and back, _metadata included
        assert list(torch.load(path)._metadata) == list(theirs.state_dict()._metadata)


@needs_torch
def test_a_torch_training_state_reads_as_torch_wrote_it(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    tied = torch.nn.Sequential(net, torch.nn.Linear(2, 3))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    net(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    weight = net.weight.detach()
    checkpoint = {"model": net.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 4,
                  "tied": [weight, weight], "row": weight[1], "T": weight.t(),
                  "half": torch.ones(2, dtype=torch.float16), "big": 2 ** 70, "nested": tied
                  .state_dict()}
    torch.save(checkpoint, tmp_path / "torch.pt")
    ours = load(tmp_path / "torch.pt")
    assert ours["epoch"] == 4 and ours["big"] == 2 ** 70
    step = ours["optimizer"]["state"][0]["step"]
    assert step.dtype == np.float32 and step.shape == () and step == 1
    assert ours["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert ours["tied"][0] is ours["tied"][1]
    np.testing.assert_array_equal(ours["row"], weight[1].numpy())
    np.testing.assert_array_equal(ours["T"], weight.t().numpy())
    assert ours["half"].dtype == np.float16
    save(ours, tmp_path / "again.pt")               # and back to torch, unchanged
    again = torch.load(tmp_path / "again.pt")
    torch.testing.assert_close(again["optimizer"]["state"][0]["exp_avg"],
                               optimizer.state_dict()["state"][0]["exp_avg"])


def step_both(model, optimizer, twin, twin_optimizer, x):
    for m, o, t in ((model, optimizer, Tensor(x)), (twin, twin_optimizer, torch.from_numpy(x))):
        o.zero_grad()
        (m(t) ** 2).mean().backward()
        o.step()


@needs_torch
@pytest.mark.parametrize("make, make_torch", [
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
     lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9, weight_decay=0.01)),
    (lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.99), amsgrad=True),
     lambda ps: torch.optim.Adam(ps, amsgrad=True)),
    (lambda ps: AdamW(ps, lr=0.01, weight_decay=0.1),
     lambda ps: torch.optim.AdamW(ps)),
])
def test_an_optimizer_state_loads_into_torch_and_the_next_step_matches(tmp_path, make,
                                                                      make_torch):
    manual_seed(1)
    model = Sequential(Linear(3, 4), Linear(4, 2))
    optimizer = make(model.parameters())
    scheduler = StepLR(optimizer, step_size=3)
    x = np.random.default_rng(2).normal(size=(5, 3)).astype(np.float32)
    for _ in range(3):
        optimizer.zero_grad()
        (model(Tensor(x)) ** 2).mean().backward()
        optimizer.step()
    save({"model": model, "optimizer": optimizer, "scheduler": scheduler, "epoch": 3},
         tmp_path / "run.pt")
    checkpoint = torch.load(tmp_path / "run.pt")
    assert checkpoint["epoch"] == 3 and checkpoint["scheduler"]["step_size"] == 3
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    twin.load_state_dict(checkpoint["model"])
    twin_optimizer = make_torch(twin.parameters())
    twin_optimizer.load_state_dict(checkpoint["optimizer"])
    state = twin_optimizer.state_dict()["state"][0]
    if "step" in state:                             # PyTorch's type, as its own files have it
        assert isinstance(state["step"], torch.Tensor) and state["step"].dtype == torch.float32
        assert float(state["step"]) == 3
    step_both(model, optimizer, twin, twin_optimizer, x)
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)
