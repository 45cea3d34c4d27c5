"""nn.torch_format: `nn.save(state, "model.pt")` writes torch.save's zip format, which
`torch.load` (weights_only=True) reads. The encoder and the archive are checked without torch;
with torch installed, torch reads our files."""

from __future__ import annotations

import math
import os
import re
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

from autograd import Tensor, manual_seed
from nn import LSTM, BatchNorm2d, Conv2d, Linear, Sequential, save
from nn.optim import SGD, Adam, AdamW
from nn.optim.lr_scheduler import StepLR
from nn.torch_format import ALIGNMENT, STORAGES, dumps

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
# The encoder and the archive (no torch)
# ------------------------------------------------------------------------------------------

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

