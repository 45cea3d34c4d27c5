"""nn.io: checkpoints are atomic, validated, and never execute code."""

import io
import os
import re
import warnings
import zipfile

import numpy as np
import pytest

from autograd import Tensor, Value
from nn.io import FORMAT, FORMAT_KEY, load, save
from nn.layers import MLP, Linear
from nn.models import SoftmaxRegression
from nn.module import Module

from zip_helpers import overlapping_zip


def test_round_trip_restores_every_weight(tmp_path):
    a, b = MLP(3, [4], 2), MLP(3, [4], 2)
    path = tmp_path / "mlp.npz"
    a.save(path)
    assert b.load(path) is b
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.data, q.data) and p.data.dtype == q.data.dtype, name


def test_save_accepts_a_state_dict_and_keeps_order_and_dtypes(tmp_path):
    state = {"b": np.arange(3, dtype=np.int16), "a": np.ones((2, 2), np.float32)}
    save(state, tmp_path / "s.npz")
    loaded = load(tmp_path / "s.npz")
    assert list(loaded) == ["b", "a"]
    assert loaded["b"].dtype == np.int16 and loaded["a"].dtype == np.float32


def test_scalar_models_save_too(tmp_path):
    class Scalar(Module):
        def __init__(self, x):
            self.w = [Value(x), Value(-x)]

    Scalar(1.5).save(tmp_path / "s.npz")
    m = Scalar(0.0).load(tmp_path / "s.npz")
    assert [p.data for p in m.w] == [1.5, -1.5]


def test_save_writes_the_exact_name_and_leaves_no_temporary_file(tmp_path):
    save(Linear(2, 2), tmp_path / "weights.bin")
    assert sorted(os.listdir(tmp_path)) == ["weights.bin"]


def test_saving_to_a_folder_names_the_folder_before_writing(tmp_path):
    with pytest.raises(IsADirectoryError) as err:
        save(Linear(2, 2), tmp_path)
    assert err.value.filename == str(tmp_path)                  # not a temporary file's name
    assert "save: the destination is a folder; give a file name" in str(err.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["model.npz", "model.pt"])
def test_saving_into_a_missing_folder_says_so_by_name(tmp_path, name):
    """After a long training, `save(model, "runs/model.npz")` without `runs/`: the error names
    save and the folder, and says how to make it (the model is still in memory)."""
    with pytest.raises(FileNotFoundError, match=r"save: the folder '.*runs' does not exist; "
                                                r"make it first, os.makedirs\("):
        save(Linear(2, 2), tmp_path / "runs" / name)
    assert os.listdir(tmp_path) == []


def test_a_path_that_is_no_path_is_named_by_save(tmp_path):
    with pytest.raises(TypeError, match="save: expected the path of the file to write \\(a "
                                        "str or a pathlib.Path\\), got NoneType"):
        save(Linear(2, 2), None)
    with pytest.raises(FileNotFoundError, match="save: the path is empty"):
        save(Linear(2, 2), "")
    save(Linear(2, 1), os.fsencode(tmp_path / "bytes.pt"))         # bytes, as open() takes
    assert list(load(tmp_path / "bytes.pt")) == ["weight", "bias"]


def test_a_file_named_just_dot_pt_is_written_as_load_reads_it(tmp_path):
    """save took ".pt" for a name without a suffix (os.path.splitext) and wrote an .npz; load,
    seeing a zip named .pt, refused it as 'an .npz archive of arrays, not a PyTorch file'."""
    save(Linear(2, 1), tmp_path / ".pt")
    assert list(load(tmp_path / ".pt")) == ["weight", "bias"]


def test_a_failed_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save({"w": np.ones(2)}, path)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("nn.io._write_npz", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.zeros(2)}, path)
    assert np.array_equal(load(path)["w"], np.ones(2))
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_a_full_disk_during_save_names_the_file(tmp_path, monkeypatch):
    """`OSError: [Errno 28] No space left on device`, no file named."""
    import errno
    path = tmp_path / "model.npz"
    save({"w": np.ones(2)}, path)

    def full(f, arrays):
        f.write(b"PK\x03\x04 half an archive")
        raise OSError(errno.ENOSPC, "No space left on device")
    with monkeypatch.context() as patch:
        patch.setattr("nn.io._write_npz", full)
        with pytest.raises(OSError) as error:
            save({"w": np.zeros(2)}, path)
    assert error.value.errno == errno.ENOSPC and error.value.filename == str(path)
    assert str(error.value) == f"[Errno 28] No space left on device: {str(path)!r}"
    assert np.array_equal(load(path)["w"], np.ones(2))
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


@pytest.mark.parametrize("state", [
    {"file": np.ones(2), "allow_pickle": np.arange(3)},                  # weights
    {"model": {"w": np.ones(2)}, "allow_pickle": np.arange(3), "file": np.zeros(1)},
], ids=["weights", "training state"])
def test_entries_named_like_np_savez_s_own_arguments_are_saved(tmp_path, state):
    """np.savez(f, **arrays) takes "file" as its own argument (a TypeError) and, in numpy 2,
    "allow_pickle" as its option: that array was left out, the file saved without a word."""
    save(state, tmp_path / "x.npz")
    loaded = load(tmp_path / "x.npz")
    assert list(loaded) == list(state)
    assert np.array_equal(loaded["allow_pickle"], np.arange(3))


def test_save_rejects_what_is_not_numbers(tmp_path):
    with pytest.raises(TypeError, match="'w' is not an array of numbers"):
        save({"w": np.array(["a"])}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"expected a Module, a dict of arrays or a dict of "
                                        r"training state \(or a tensor, or a list of them\), "
                                        r"got set"):
        save({1, 2}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"got method \(the method state_dict itself; call it: "
                                        r"\.state_dict\(\)\)"):
        save(Linear(2, 1).state_dict, tmp_path / "x.npz")


def test_a_pytorch_file_name_gets_pytorch_s_format(tmp_path):
    """torch.save(sd, "model.pt") ported as nn.save(sd, "model.pt") writes torch.save's zip
    format, which torch.load reads (tests/test_torch_format.py); an .npz name stays .npz."""
    for name in ("model.pt", "model.PTH"):
        Linear(2, 1).save(tmp_path / name)
        with zipfile.ZipFile(tmp_path / name) as archive:
            assert archive.namelist()[0] == "model/data.pkl"
        assert list(load(tmp_path / name)) == ["weight", "bias"]
        Linear(2, 1).load(tmp_path / name)
    save(Linear(2, 1), tmp_path / "model.pt.npz")             # an .npz is fine, whatever its stem
    assert sorted(os.listdir(tmp_path)) == ["model.PTH", "model.pt", "model.pt.npz"]
    assert list(np.load(tmp_path / "model.pt.npz")) == ["weight", "bias", FORMAT_KEY]


def test_load_takes_pytorch_s_weights_only_and_refuses_false(tmp_path):
    """torch.load(PATH, weights_only=True) ported as nn.load(PATH, weights_only=True) was a
    TypeError; glassgrad's load is always weights-only."""
    save(Linear(2, 1), tmp_path / "net.npz")
    state = load(tmp_path / "net.npz", weights_only=True)
    assert list(state) == ["weight", "bias"]
    with pytest.raises(ValueError, match=r"load: weights_only=False asks to unpickle arbitrary "
                                         r"objects, which glassgrad never does"):
        load(tmp_path / "net.npz", weights_only=False)


def test_loading_a_whole_model_is_refused_saying_how_to_load_its_weights(tmp_path):
    """PyTorch's Save & Load tutorial, ported: `nn.save(model, "model.pth")`, then
    `model = nn.load("model.pth", weights_only=False)`. The refusal said "leave weights_only
    out", which gave an OrderedDict, and `model.eval()` failed on it. It now says that the
    file holds the weights and how to load them into a model built in code; doing so gives the
    model's outputs back."""
    model = Linear(3, 2)
    save(model, tmp_path / "model.pth")
    with pytest.raises(ValueError, match=re.escape(
            "A whole model (PyTorch's torch.save(model, path)) is never stored: "
            "nn.save(model, path) wrote its weights, its state_dict; build the model in your "
            "code and load them into it, model = MyModel(); "
            "model.load_state_dict(nn.load(path))")):
        load(tmp_path / "model.pth", weights_only=False)
    again = Linear(3, 2)
    again.load_state_dict(load(tmp_path / "model.pth"))
    x = Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(again(x).data, model(x).data)


def test_load_takes_pytorch_s_map_location_cpu_and_refuses_a_gpu(tmp_path):
    save(Linear(2, 1), tmp_path / "net.npz")
    assert list(load(tmp_path / "net.npz", map_location="cpu")) == ["weight", "bias"]
    with pytest.raises(ValueError, match=r"load: map_location='cuda:0': glassgrad's arrays are "
                                         r"numpy's, in the computer's memory; only 'cpu'"):
        load(tmp_path / "net.npz", map_location="cuda:0")


def test_save_with_the_path_first_says_the_order(tmp_path):
    for path in (str(tmp_path / "x.npz"), tmp_path / "x.npz"):
        with pytest.raises(TypeError, match=r"got (str|PosixPath|WindowsPath) \(the object comes "
                                            r"first, then the path, as in torch.save\)"):
            save(path, Linear(2, 1))
    assert not os.listdir(tmp_path)


class Boom:
    """Unpickling this would create a file: the proof that code ran."""
    marker = ""

    def __reduce__(self):
        return (open, (Boom.marker, "w"))


def test_load_of_something_that_is_no_path_names_it():
    """nn.load(model), as if it loaded into the model: not os.fspath's words."""
    with pytest.raises(TypeError, match=r"load: expected the path of a checkpoint, got Linear "
                                        r"\(to read weights into a model: model.load\(path\)\)"):
        load(Linear(2, 1))
    with pytest.raises(TypeError, match="load: expected the path of a checkpoint, got dict$"):
        load({"weight": np.zeros(2)})


def test_load_never_unpickles(tmp_path):
    Boom.marker = str(tmp_path / "pwned")
    path = tmp_path / "evil.npz"
    with open(path, "wb") as f:
        np.savez(f, w=np.array([Boom()], dtype=object))
    with pytest.raises(ValueError, match="not a glassgrad checkpoint.*its entry 'w' holds "
                                         "Python objects, which glassgrad never loads") as error:
        load(path)
    assert not os.path.exists(Boom.marker)
    assert "allow_pickle" not in str(error.value)      # numpy's advice would run the file's code


def test_truncated_foreign_and_missing_files_give_clear_errors(tmp_path):
    good = tmp_path / "good.npz"
    save({"w": np.arange(1000.0)}, good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:300])
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(good.read_bytes()[:100] + b"x" * 40 + good.read_bytes()[140:])
    for path, reason in ((truncated, "a damaged or truncated .npz"), (text, "not an .npz archive"),
                         (single, "a single array"), (damaged, "entry 'w' is damaged"),
                         (tmp_path, "cannot be read")):
        with pytest.raises(ValueError, match=f"is not a glassgrad checkpoint .*{reason}") as error:
            load(path)
        assert "allow_pickle" not in str(error.value)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load(tmp_path / "absent.npz")


def test_a_file_refused_is_closed_too(tmp_path):
    """numpy left a damaged file open: a ResourceWarning, and on Windows a file that cannot be
    deleted or replaced until the process ends."""
    import gc
    path = tmp_path / "truncated.npz"
    save({"w": np.arange(1000.0)}, path)
    path.write_bytes(path.read_bytes()[:300])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="damaged or truncated"):
            load(path)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_an_empty_or_unreadable_file_says_which(tmp_path, monkeypatch):
    import nn.io
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.npz' is not a glassgrad checkpoint .*: it is "
                                         r"empty \(0 bytes\)"):
        load(tmp_path / "empty.npz")

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(nn.io, "open", refused, raising=False)
    with pytest.raises(ValueError, match=r"locked\.npz' is not a glassgrad checkpoint .*: it "
                                         r"cannot be read \(Permission denied\)"):
        load(tmp_path / "locked.npz")


def test_a_checkpoint_of_another_model_is_refused_by_name_and_shape(tmp_path):
    Linear(3, 2).save(tmp_path / "small.npz")
    with pytest.raises(ValueError,
                       match=r"'weight' has shape \(2, 3\), the model expects \(2, 4\)"):
        Linear(4, 2).load(tmp_path / "small.npz")
    with pytest.raises(KeyError, match="missing"):
        MLP(3, [2], 2).load(tmp_path / "small.npz")


# -- training state: optimizers and schedulers, alone or with the model ---------------------------

def test_an_optimizer_state_dict_saves_and_loads_alone(tmp_path):
    """The issue's case: save(opt.state_dict(), ...) raised "'state' is not an array"."""
    from nn.optim import Adam
    model = Linear(2, 1)
    opt = Adam(model.parameters(), lr=0.01, betas=(0.8, 0.95))
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    opt.step()
    save(opt.state_dict(), tmp_path / "opt.npz")
    loaded = load(tmp_path / "opt.npz")
    expected = opt.state_dict()
    assert loaded["param_groups"] == expected["param_groups"]           # betas stay a tuple
    assert loaded["state"].keys() == expected["state"].keys()           # int keys stay ints
    for index, entries in expected["state"].items():
        assert loaded["state"][index]["step"] == 1
        for key in ("exp_avg", "exp_avg_sq"):
            assert np.array_equal(loaded["state"][index][key], entries[key])
            assert loaded["state"][index][key].dtype == entries[key].dtype
    fresh = Adam(Linear(2, 1).parameters(), lr=0.5)
    fresh.load_state_dict(loaded)
    assert fresh.param_groups[0]["betas"] == (0.8, 0.95)


def test_plain_data_round_trips_with_its_types(tmp_path):
    state = {"epoch": 3, "best": float("inf"), "name": "run-1", "none": None, "flag": True,
             "pair": (1, 2.5), "list": [1, [2, 3]], "by_number": {0: "a", 1: "b"},
             "scalar": np.float32(0.5), "array": np.arange(3)}
    save(state, tmp_path / "s.npz")
    loaded = load(tmp_path / "s.npz")
    assert list(loaded) == list(state)
    for key in ("epoch", "best", "name", "none", "flag", "pair", "list", "by_number"):
        assert loaded[key] == state[key] and type(loaded[key]) is type(state[key]), key
    assert loaded["scalar"] == 0.5 and loaded["scalar"].dtype == np.float32
    assert np.array_equal(loaded["array"], state["array"])


def test_a_training_state_is_stored_by_readable_paths(tmp_path):
    from nn.optim import SGD
    model = Linear(2, 1)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    opt.step()
    save({"model": model, "optimizer": opt}, tmp_path / "run.npz")
    with np.load(tmp_path / "run.npz", allow_pickle=False) as archive:
        names = set(archive.files)
    assert {"model/weight", "model/bias", "optimizer/state/0/momentum_buffer",
            "__structure__"} <= names


@pytest.mark.parametrize("state, message", [
    ({"f": open}, "'f' is a builtin_function_or_method"),
    ({"d": {(1, 2): 3}}, "has a key \\(1, 2\\)"),
    ({"t": ["x", np.array(["a"])]}, "'t/1' is not an array of numbers"),
])
def test_what_a_checkpoint_cannot_hold_is_named(tmp_path, state, message):
    with pytest.raises(TypeError, match=message):
        save(state, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_model_load_reads_the_model_of_a_training_state(tmp_path):
    from nn.optim import SGD
    model = Linear(2, 1)
    save({"model": model, "optimizer": SGD(model.parameters(), lr=0.1)}, tmp_path / "run.npz")
    fresh = Linear(2, 1).load(tmp_path / "run.npz")
    assert np.array_equal(fresh.weight.data, model.weight.data)
    save({"epoch": 3}, tmp_path / "plain.npz")
    with pytest.raises(ValueError, match="without a 'model' entry"):
        Linear(2, 1).load(tmp_path / "plain.npz")


def test_a_damaged_structure_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, __structure__=np.array('{"w": {"__array__": "missing"}}'))
    with pytest.raises(ValueError, match="damaged '__structure__' entry"):
        load(path)


# -- the format mark and glassgrad 0.1's (in, out) checkpoints ------------------------------------

def _v01_checkpoint(model, path):
    """What glassgrad 0.1 wrote for `model`: np.savez of the state, Linear weights (in, out), and
    no format mark."""
    state = {name: (array.T if name.endswith("weight") else array)
             for name, array in model.state_dict().items()}
    with open(path, "wb") as f:
        np.savez(f, **state)


def test_the_format_mark_is_written_and_hidden(tmp_path):
    save(Linear(3, 2), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as raw:
        assert int(raw[FORMAT_KEY]) == FORMAT == 2
    assert list(load(tmp_path / "m.npz")) == ["weight", "bias"]
    with pytest.raises(ValueError, match="reserved"):
        save({FORMAT_KEY: np.ones(1)}, tmp_path / "x.npz")


def test_a_glassgrad_0_1_checkpoint_is_converted_with_a_warning(tmp_path):
    """Square weights too: the missing mark, not the shape, says the layout is (in, out)."""
    old = MLP(3, [4, 4], 2)                       # weights 4x3, 4x4 (square) and 2x4
    _v01_checkpoint(old, tmp_path / "old.npz")
    with pytest.warns(UserWarning, match=r"glassgrad 0\.1 checkpoint .* transposed its Linear "
                                         r"weights \['0\.weight', '2\.weight', '4\.weight'\]"):
        new = MLP(3, [4, 4], 2).load(tmp_path / "old.npz")
    x = Tensor(np.random.default_rng(0).normal(size=(5, 3)))
    assert np.array_equal(new(x).numpy(), old(x).numpy())
    new.save(tmp_path / "old.npz")                # saved again: marked, loads without a word
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MLP(3, [4, 4], 2).load(tmp_path / "old.npz")


def test_a_glassgrad_0_1_checkpoint_of_a_regression_model_converts(tmp_path):
    old, fresh = SoftmaxRegression(5, 3), SoftmaxRegression(5, 3)
    old.weight.data[...] = np.arange(old.weight.size).reshape(old.weight.shape)
    _v01_checkpoint(old, tmp_path / "old.npz")
    with pytest.warns(UserWarning, match=r"transposed its Linear weights \['linear.weight'\]"):
        fresh.load(tmp_path / "old.npz")
    assert np.array_equal(fresh.weight.data, old.weight.data)


def test_an_unmarked_file_of_square_weights_loads_as_stored_with_a_note(tmp_path):
    """np.savez of a state_dict (which its docstring offers) of a model whose Linear layers are
    all square was taken for glassgrad 0.1's and transposed: a different model, loaded with a
    warning that said so as if it were right."""
    from nn.layers import Sequential, Tanh
    source = Sequential(Linear(8, 8), Tanh(), Linear(8, 8))
    with open(tmp_path / "square.npz", "wb") as f:
        np.savez(f, **source.state_dict())
    with pytest.warns(UserWarning) as caught:
        target = Sequential(Linear(8, 8), Tanh(), Linear(8, 8)).load(tmp_path / "square.npz")
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        assert np.array_equal(a, b), name
    message, = [str(w.message) for w in caught]
    assert "transposed" not in message
    assert ("Linear weights ['0.weight', '2.weight'] are square, so their shapes do not tell "
            "their layout: loaded as stored, (out, in)") in message
    assert "Only if glassgrad 0.1 wrote the file" in message and "v.T if k in" in message


def test_an_unmarked_file_already_in_pytorchs_layout_is_left_alone(tmp_path):
    """np.savez of a PyTorch-layout state: a non-square (out, in) weight shows the layout."""
    source = MLP(3, [4, 4], 2)
    with open(tmp_path / "other.npz", "wb") as f:
        np.savez(f, **source.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        target = MLP(3, [4, 4], 2).load(tmp_path / "other.npz")
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        assert np.array_equal(a, b), name


def test_plain_load_of_an_unmarked_file_warns_and_returns_what_is_stored(tmp_path):
    _v01_checkpoint(Linear(3, 2), tmp_path / "old.npz")
    with pytest.warns(UserWarning, match=r"no glassgrad format mark.*\(in, out\).*model\.load"):
        state = load(tmp_path / "old.npz")
    assert state["weight"].shape == (3, 2)
    with pytest.raises(ValueError, match=r"\(3, 2\), the model expects \(2, 3\) \(its transpose: "
                                         r"Linear weights are \(out_features, in_features\)"):
        Linear(3, 2).load_state_dict(state)


def test_a_newer_format_is_refused(tmp_path):
    with open(tmp_path / "new.npz", "wb") as f:
        np.savez(f, weight=np.ones((2, 3)), **{FORMAT_KEY: np.array(FORMAT + 1)})
    with pytest.raises(ValueError, match=r"format mark 3; this glassgrad reads formats 1 to 2"):
        load(tmp_path / "new.npz")


def test_a_pytorch_file_or_another_zip_is_refused_by_name(tmp_path):
    import pickle
    Boom.marker = str(tmp_path / "pwned")
    torch_like = tmp_path / "model.pt"          # torch.save's layout: a zip holding a pickle
    with zipfile.ZipFile(torch_like, "w") as archive:
        archive.writestr("model/data.pkl", pickle.dumps(Boom(), protocol=2))
        archive.writestr("model/version", "3\n")
    other = tmp_path / "notes.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    # builtins.open is io.open up to Python 3.11, _io.open from 3.12: the pickle names that
    for path, reason in ((torch_like, r"cannot be read as a PyTorch checkpoint: its pickle "
                                      rf"names the global '{open.__module__}\.open'"),
                         (other, "is not a glassgrad checkpoint .*a zip archive of other files, "
                                 "not of .npy arrays")):
        with pytest.raises(ValueError, match=reason):
            load(path)
        with pytest.raises(ValueError, match=reason):
            MLP(2, [3], 1).load(path)
    assert not os.path.exists(Boom.marker)


class _TorchLikeTensor:
    """Stands in for a torch.Tensor: numbers behind `.numpy()`, after `.detach()`."""

    def __init__(self, numbers):
        self.numbers = np.asarray(numbers)

    def detach(self):
        return self

    def numpy(self):
        return self.numbers


def test_a_nested_checkpoint_of_pytorch_tensors_saves(tmp_path):
    """torch.load of a training checkpoint ({"model": state_dict, "optimizer": ..., "epoch"})
    nests tensors in dicts: nn.save(torch.load(p), "run.npz") converts it, as the README says."""
    checkpoint = {"model": {"weight": _TorchLikeTensor(np.ones((2, 3), np.float32))},
                  "optimizer": {"state": {0: {"step": _TorchLikeTensor(np.float32(4.0))}}},
                  "epoch": 7}
    save(checkpoint, tmp_path / "run.npz")
    loaded = load(tmp_path / "run.npz")
    assert loaded["epoch"] == 7
    assert np.array_equal(loaded["model"]["weight"], np.ones((2, 3), np.float32))
    assert loaded["optimizer"]["state"][0]["step"] == 4.0


# -- hostile or damaged archives: refused before anything is read or allocated -------------------

def npy_member(array=None, header=None, data=b""):
    """The bytes of an .npy file: `array`'s, or `header` (shape, fortran_order, descr) then
    `data`, whatever the header says."""
    out = io.BytesIO()
    if header is None:
        np.lib.format.write_array(out, array, allow_pickle=False)
        return out.getvalue()
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue() + data


def zipped(path, members, compression=zipfile.ZIP_STORED):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # zipfile warns of a name written twice
        with zipfile.ZipFile(path, "w", compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def test_a_huge_declared_shape_is_refused_before_numpy_sets_memory_aside(tmp_path, monkeypatch):
    """numpy allocates the shape an .npy header declares before reading it: a file of 200 bytes
    asked for 8 TB (a MemoryError reported as "damaged"), or got gigabytes it never filled."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (10 ** 12,)}
    path = zipped(tmp_path / "bomb.npz", [("w.npy", npy_member(header=header, data=b"\0" * 64))])
    monkeypatch.setattr(np.lib.format, "read_array", stop_reading)
    with pytest.raises(ValueError, match=r"bomb\.npz' is not a glassgrad checkpoint .*its entry "
                                         r"'w' declares shape \(1000000000000,\) of float64 "
                                         r"\(8,000,000,000,000 bytes\) but holds 64 bytes"):
        load(path)


class ReadTooSoon(BaseException):
    """Not an Exception: load's `except Exception` for damaged entries must not catch it."""


def stop_reading(*args, **kwargs):
    raise ReadTooSoon("the array was read before its header was checked")


def test_an_unzipped_size_deflate_cannot_give_is_refused_unread(tmp_path, monkeypatch):
    """A zip's directory may declare gigabytes for a member of a few bytes: numpy would set them
    aside before finding out."""
    declared = 400_000_000
    header = {"descr": "<u1", "fortran_order": False, "shape": (declared,)}
    path = zipped(tmp_path / "liar.npz", [("w.npy", npy_member(header=header, data=b"\0" * 100))],
                  zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    member = zipfile.ZipFile(path).getinfo("w.npy")
    honest = member.file_size.to_bytes(4, "little")
    lie = (member.file_size - 100 + declared).to_bytes(4, "little")
    data[:] = data.replace(honest, lie)                 # in the local header and the directory
    path.write_bytes(bytes(data))
    monkeypatch.setattr(np.lib.format, "read_array", stop_reading)
    with pytest.raises(ValueError, match=r"liar\.npz' is not a glassgrad checkpoint .*its entry "
                                         r"'w' is damaged or truncated"):
        load(path)


@pytest.mark.parametrize("dtype", ["complex128", "<U5", "S3", "datetime64[s]", [("a", "<f4")]])
def test_arrays_of_what_save_never_writes_are_refused_by_load(tmp_path, dtype):
    """save refuses them; load handed them on, to fail (or not) far from the file."""
    path = zipped(tmp_path / "odd.npz", [("w.npy", npy_member(np.zeros(2, dtype=dtype)))])
    with pytest.raises(ValueError, match=r"odd\.npz' is not a glassgrad checkpoint .*its entry "
                                         r"'w' holds .* data; a checkpoint holds real numbers"):
        load(path)


def test_an_entry_stored_twice_is_refused(tmp_path):
    """zipfile reads the last of two members of one name, silently."""
    path = zipped(tmp_path / "twice.npz", [("w.npy", npy_member(np.ones(2))),
                                           ("w.npy", npy_member(np.zeros(2)))])
    with pytest.raises(ValueError, match=r"twice\.npz' is not a glassgrad checkpoint .*it holds "
                                         r"the entry 'w' more than once"):
        load(path)


def test_entries_that_overlap_are_refused_before_they_are_read(tmp_path, monkeypatch):
    """A zip bomb: 200 .npy entries, each valid, overlapping in a file of ~30 kB, read as
    ~2 MB of arrays (growing as the square of the file's size)."""
    def npy_header(size):
        return npy_member(header={"descr": "|u1", "fortran_order": False, "shape": (size,)})

    path = tmp_path / "bomb.npz"
    file_size, claimed = overlapping_zip(path, [f"w{i}.npy" for i in range(200)],
                                         bytes(10000), head=npy_header)
    assert claimed > 50 * file_size
    monkeypatch.setattr(np.lib.format, "read_array", stop_reading)
    with pytest.raises(ValueError, match=r"bomb\.npz' is not a glassgrad checkpoint .*its records "
                                         r"claim [\d,]+ bytes in all, more than the file's "
                                         r"[\d,]+: they overlap"):
        load(path)


def directory_entries(raw):
    """Where each central-directory record of a zip archive's bytes starts."""
    return [i for i in range(len(raw)) if raw[i:i + 4] == b"PK\x01\x02"]


@pytest.mark.parametrize("field, offset, mask", [
    ("version needed to extract", 6, 0xFF),     # NotImplementedError: zip file version 21.0
    ("version needed to extract", 6, 0x80),     # NotImplementedError: zip file version 17.3
    ("flags: encrypted", 8, 0x01),              # RuntimeError: password required
    ("flags: strong encryption", 8, 0x40),      # NotImplementedError
    ("flags: compressed patched data", 8, 0x20),  # NotImplementedError
])
def test_a_flipped_bit_in_the_directory_is_a_damaged_file_naming_it(tmp_path, field, offset,
                                                                     mask):
    """zipfile's NotImplementedError and RuntimeError came out raw, without the file's name
    (and `glassgrad predict` called them "unexpected")."""
    model = MLP(3, [4], 2)
    model.save(tmp_path / "good.npz")
    raw = bytearray((tmp_path / "good.npz").read_bytes())
    for entry in directory_entries(raw)[:2]:
        bad = bytearray(raw)
        bad[entry + offset] ^= mask
        path = tmp_path / "flipped.npz"
        path.write_bytes(bytes(bad))
        for read in (load, MLP(3, [4], 2).load):
            with pytest.raises(ValueError, match=r"flipped\.npz' is not a glassgrad checkpoint "
                                                 r".*(damaged or truncated)"):
                read(path)


def test_a_directory_entry_that_swallows_the_next_ones_is_a_damaged_file(tmp_path):
    """A flipped byte in an entry's comment length made zipfile read the entries after it as
    that comment: `load` returned a part of the weights, a training state came back as a flat
    dict, and a file whose format mark was lost had its square weights transposed."""
    from nn.optim import SGD
    model = MLP(4, [4], 4)                          # square weights: the mark decides
    save(model, tmp_path / "weights.npz")
    save({"model": model, "optimizer": SGD(model.parameters(), lr=0.1), "epoch": 3},
         tmp_path / "run.npz")
    for name in ("weights.npz", "run.npz"):
        raw = (tmp_path / name).read_bytes()
        entries = directory_entries(raw)
        for entry in entries[:-1]:                  # (the last one's comment is the end record)
            bad = bytearray(raw)
            bad[entry + 33] ^= 0xFF                 # its comment runs to the end of the file
            (tmp_path / "bad.npz").write_bytes(bytes(bad))
            for read in (load, MLP(4, [4], 4).load):
                with pytest.raises(ValueError, match=rf"bad\.npz' is not a glassgrad checkpoint "
                                                     rf".*its directory declares "
                                                     rf"{len(entries)} entries but \d+ could be "
                                                     rf"read: it is a damaged"):
                    read(tmp_path / "bad.npz")
        end = raw.rindex(b"PK\x05\x06")
        for field in (8, 10):                       # the count on this disk, in all
            bad = bytearray(raw)
            bad[end + field] ^= 0x01
            (tmp_path / "bad.npz").write_bytes(bytes(bad))
            with pytest.raises(ValueError, match="its directory declares"):
                load(tmp_path / "bad.npz")


def test_a_header_numpy_fails_on_with_a_type_error_is_a_damaged_entry(tmp_path):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), [1]: 2}"
    header += " " * (63 - 10 - len(header)) + "\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 16
    path = zipped(tmp_path / "odd.npz", [("w.npy", npy)])
    with pytest.raises(ValueError, match=r"odd\.npz' is not a glassgrad checkpoint .*its entry "
                                         r"'w' is damaged or truncated"):
        load(path)


def test_what_is_not_the_file_s_fault_is_not_called_damage(tmp_path, monkeypatch):
    """A MemoryError (a real array too large for this computer) passes through; a disk that
    fails to read is an OSError of its own kind, naming the file."""
    save({"w": np.ones(3)}, tmp_path / "good.npz")

    def no_memory(*args, **kwargs):
        raise MemoryError("out of memory")
    with monkeypatch.context() as patch:
        patch.setattr(np.lib.format, "read_array", no_memory)
        with pytest.raises(MemoryError):
            load(tmp_path / "good.npz")

    def unreadable(*args, **kwargs):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(np, "load", unreadable)
    with pytest.raises(OSError) as error:
        load(tmp_path / "good.npz")
    assert not isinstance(error.value, ValueError) and error.value.errno == 5
    assert error.value.filename == str(tmp_path / "good.npz")


def test_an_old_pytorch_file_or_another_pickle_is_named(tmp_path):
    import pickle
    Boom.marker = str(tmp_path / "pwned")
    path = tmp_path / "old.pt"
    path.write_bytes(pickle.dumps({"w": Boom()}, protocol=2))
    with pytest.raises(ValueError, match=r"old\.pt' is not a PyTorch checkpoint .*it is a "
                                         r"Python pickle .*never loads") as refused:
        load(path)
    assert not os.path.exists(Boom.marker)
    # the way out it names must not run the code either: torch.load(path) does, before 2.6
    assert "nn.save(torch.load(path, weights_only=True), 'model.npz')" in str(refused.value)


@pytest.mark.parametrize("content, reason", [
    (b"<!DOCTYPE html><html><body>Not Found</body></html>",
     "it is not a zip archive \\(text, or another format\\)"),
    (b"PK\x03", "it is a damaged or truncated PyTorch \\(zip\\) file"),
    (b"", "it is empty"),
])
def test_a_pt_file_that_is_no_zip_is_refused_as_a_pytorch_file(tmp_path, content, reason):
    """A web page saved as model.pt, a download cut short: the refusal spoke of "a glassgrad
    checkpoint (a valid .npz archive ...)" and "not an .npz archive", which the user never
    had in mind."""
    path = tmp_path / "model.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"model\.pt' is not a PyTorch checkpoint \(torch.save's "
                                         rf"zip archive, as its name says\): {reason}") as error:
        load(path)
    assert ".npz" not in str(error.value)


@pytest.mark.parametrize("protocol", [0, 1])
def test_a_pickle_of_protocol_0_or_1_is_named_too(tmp_path, protocol):
    """They begin with any opcode ("c", "(", "}"), not 0x80: they were called "not an .npz
    archive (text, or another format)"."""
    import pickle
    Boom.marker = str(tmp_path / "pwned")
    for name, obj in (("small", Boom()), ("state", {"weight": Boom()}),
                      ("array", {"w": np.arange(500.0), "x": Boom()})):
        path = tmp_path / f"{name}.pkl"
        path.write_bytes(pickle.dumps(obj, protocol=protocol))
        with pytest.raises(ValueError, match=rf"{name}\.pkl' is not a glassgrad checkpoint .*it "
                                             rf"is a Python pickle"):
            load(path)
    assert not os.path.exists(Boom.marker)


@pytest.mark.parametrize("text", [b"12.11\n", b"hello.", b"weight,bias\n1,2\n", b"N.x",
                                  b"col1,col2\n1,2\n" * 10_000])
def test_text_that_begins_like_a_pickle_is_not_called_one(tmp_path, text):
    (tmp_path / "notes.npz").write_bytes(text)
    with pytest.raises(ValueError, match=r"it is not an \.npz archive \(text, or another "
                                         r"format\)"):
        load(tmp_path / "notes.npz")


def test_a_single_npy_of_python_objects_is_named_as_one(tmp_path):
    Boom.marker = str(tmp_path / "pwned")
    np.save(tmp_path / "objects.npy", np.array([Boom()], dtype=object))
    with pytest.raises(ValueError, match=r"objects\.npy' is not a glassgrad checkpoint .*it holds "
                                         r"a single \.npy array, not an archive of named arrays"):
        load(tmp_path / "objects.npy")
    assert not os.path.exists(Boom.marker)


def structured(path, structure, **arrays):
    with open(path, "wb") as f:
        np.savez(f, __structure__=np.array(structure), **arrays)
    return path


@pytest.mark.parametrize("structure, arrays, reason", [
    ("[" * 100_000 + "]" * 100_000, {}, "it is nested too deeply"),             # RecursionError
    # 101 levels, beyond what load reads (Python 3.12+ read 900 where 3.11 met its recursion
    # limit): dicts, lists, tuples ({"__tuple__": [...]}) and dicts with other keys
    ('{"a": ' * 101 + "1" + "}" * 101, {}, "it nests lists, tuples and dicts more than 100 deep"),
    ('{"a": ' + "[" * 100 + "]" * 100 + "}", {}, "it nests lists, tuples and dicts more than 100"),
    ('{"a": ' + '{"__tuple__": [' * 100 + "]}" * 100 + "}", {}, "it nests lists, tuples and "
                                                                 "dicts more than 100"),
    ('{"a": ' + '{"__dict__": [[1, ' * 100 + "0" + "]]}" * 100 + "}", {}, "it nests lists, "
                                                                          "tuples and dicts"),
    ('{"epoch": 1, "epoch": 2}', {}, "the key 'epoch' appears more than once"),
    ('{"__dict__": [[1, 1], [1, 2]]}', {}, "a dict gives a key more than once"),
    ("2", {}, "its top level is of type int, not the dict or list save writes"),
    ('{"epoch": 1}', {"w": np.ones(2)}, r"it leaves out the arrays \['w'\]"),
    ('{"s": {"__scalar__": "w"}}', {"w": np.ones(2)}, r"'w' is stored as one number, but has "
                                                      r"shape \(2,\)"),
    ('{"x": {"__array__": "w", "y": 1}}', {"w": np.ones(2)}, r"\['__array__', 'y'\] are not"),
    ('{"x": {"__array__": "v"}}', {"w": np.ones(2)}, "it refers to an array 'v' that the file"),
])
def test_a_structure_save_could_not_have_written_is_refused(tmp_path, structure, arrays,
                                                              reason):
    """They were read in part (a key twice, unused arrays), as something else, or raised a
    RecursionError from a file of a few hundred bytes."""
    path = structured(tmp_path / "odd.npz", structure, **arrays)
    with pytest.raises(ValueError, match=rf"odd\.npz' has a damaged '__structure__' entry: "
                                         rf"{reason}"):
        load(path)


@pytest.mark.parametrize("suffix", [".npz", ".pt"])
def test_a_state_nested_100_deep_round_trips_and_101_is_refused_by_save(tmp_path, suffix):
    """load reads lists, tuples and dicts 100 deep. save wrote .npz files up to ~450 levels on
    Python 3.11 (a RecursionError beyond) and any depth on 3.12+, which load refused or read
    depending on the Python version; .pt files of 101 to ~450 levels, which load refused."""
    def nested(depth, make):
        state = np.ones(2)
        for level in range(depth - 1):
            state = make(state, level)
        return {"run": state}
    for make in (lambda inner, level: {"a": inner}, lambda inner, level: [inner],
                 lambda inner, level: (inner, level), lambda inner, level: {level: inner}):
        save(nested(100, make), tmp_path / f"deep{suffix}")
        back, levels = load(tmp_path / f"deep{suffix}"), 0
        while isinstance(back, (dict, list, tuple)):
            back, levels = (next(iter(back.values())) if isinstance(back, dict) else back[0],
                            levels + 1)
        assert levels == 100 and np.array_equal(back, np.ones(2))
        with pytest.raises(ValueError, match=r"^save: the state nests lists, tuples and dicts "
                                             r"more than 100 deep \(under 'run'\)"):
            save(nested(101, make), tmp_path / f"deeper{suffix}")
        assert not os.path.exists(tmp_path / f"deeper{suffix}")


def test_model_load_names_the_file_that_does_not_fit(tmp_path):
    """load_state_dict's errors said what did not fit, not which file it came from."""
    from nn.module import StateDictKeyError, StateDictShapeError
    Linear(3, 2).save(tmp_path / "small.npz")
    with pytest.raises(StateDictShapeError, match=r"load: '.*small\.npz': load_state_dict: "
                                                  r"Linear state does not fit"):
        Linear(4, 2).load(tmp_path / "small.npz")
    with pytest.raises(StateDictKeyError, match=r"load: '.*small\.npz': load_state_dict: MLP "
                                                r"state does not match: missing"):
        MLP(3, [2], 2).load(tmp_path / "small.npz")
