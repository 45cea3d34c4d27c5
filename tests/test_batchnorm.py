"""BatchNorm1d / BatchNorm2d: batch statistics in training, running ones in evaluation,
PyTorch's update rule (unbiased running variance, momentum, momentum=None), gradients through
the batch statistics against finite differences, buffers in the state dict, and the same
numbers as PyTorch (asked live where torch is installed, else as recorded in
tests/reference/batchnorm.npz)."""

from __future__ import annotations

import copy
import pickle
import types

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck, manual_seed
from nn import (BatchNorm1d, BatchNorm2d, BatchNorm3d, EarlyStopping, InstanceNorm1d, Linear,
                Sequential, fit, load, save)
from nn.functional import batch_norm, cross_entropy, mse_loss
from nn.optim import SGD

from conftest import t64
from reference import as_array, assert_matches, draw, prefixed, recorded
from torch_helpers import needs_torch, torch


def test_training_normalises_each_channel_and_updates_the_running_statistics(rng):
    x = rng.normal(3.0, 2.0, size=(8, 3, 4, 5))
    bn = BatchNorm2d(3, dtype=np.float64)
    y = bn(t64(x)).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-4)       # eps = 1e-5
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)     # unbiased
    np.testing.assert_allclose(bn.running_mean, 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * var, rtol=1e-12)
    assert bn.num_batches_tracked == 1


def test_evaluation_uses_the_running_statistics(rng):
    bn = BatchNorm1d(4, dtype=np.float64)
    bn.weight.data[:] = [1.0, 2.0, 0.5, -1.0]
    bn.bias.data[:] = [0.0, 1.0, -1.0, 0.5]
    bn.running_mean[:] = [1.0, -1.0, 0.0, 2.0]
    bn.running_var[:] = [4.0, 1.0, 0.25, 9.0]
    bn.eval()
    x = rng.normal(size=(5, 4))
    mean, var = bn.running_mean.numpy(), bn.running_var.numpy()
    expected = (x - mean) / np.sqrt(var + 1e-5) * bn.weight.data + bn.bias.data
    np.testing.assert_allclose(bn(t64(x)).data, expected, rtol=1e-12)
    assert bn.num_batches_tracked == 0                     # evaluation changes nothing


def test_momentum_none_is_a_cumulative_average(rng):
    bn = BatchNorm1d(2, momentum=None, dtype=np.float64)
    batches = [rng.normal(size=(6, 2)) for _ in range(3)]
    for x in batches:
        bn(t64(x))
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean(0) for x in batches], axis=0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var,
                               np.mean([x.var(0, ddof=1) for x in batches], axis=0), rtol=1e-12)


def _squared_output(bn):
    """f(x, weight, bias) = bn(x)² with the layer using the weight and bias it is given:
    gradcheck perturbs its own float64 copies of the inputs, so a function that read the
    layer's own parameters instead would check nothing for them."""
    def f(x, weight, bias):
        vars(bn).update(weight=weight, bias=bias)    # plain Tensors, which assignment refuses
        return bn(x) ** 2
    return f


@pytest.mark.parametrize("layer, shape", [(BatchNorm1d, (5, 3)), (BatchNorm1d, (4, 3, 6)),
                                          (BatchNorm2d, (3, 2, 3, 4)), (BatchNorm2d, (1, 2, 2, 3))])
def test_training_gradients_match_finite_differences(rng, layer, shape):
    """Through the batch mean and variance, for x, weight and bias (batch 1 included)."""
    bn = layer(shape[1], dtype=np.float64)
    weight, bias = t64(rng.normal(size=shape[1])), t64(rng.normal(size=shape[1]))
    assert gradcheck(_squared_output(bn), t64(rng.normal(size=shape)), weight, bias)


@pytest.mark.parametrize("layer, shape", [(BatchNorm1d, (4, 2)), (BatchNorm1d, (1, 2, 5)),
                                          (BatchNorm2d, (2, 2, 3, 3)), (BatchNorm2d, (1, 2, 2, 3))])
def test_evaluation_gradients_match_finite_differences(rng, layer, shape):
    """Through the running statistics, for x, weight and bias (batch 1 included). The weight
    and bias are random, not their initial ones and zeros, where a rule that ignored them would
    pass."""
    bn = layer(2, dtype=np.float64).eval()
    bn.running_mean[:], bn.running_var[:] = [0.5, -1.0], [2.0, 0.5]
    weight, bias = t64(rng.normal(size=2)), t64(rng.normal(size=2))
    assert gradcheck(_squared_output(bn), t64(rng.normal(size=shape)), weight, bias)


def test_channels_whose_squares_overflow_are_normalised_all_the_same(rng):
    """(x - mean)² overflows beyond ~1.8e19 in float32 though the normalised x is a plain
    number: the channel came out all zeros. The running variance is the batch's as far as it
    is a float: (±2.2e19)² overflows, their variance 2.4e38 does not."""
    with np.errstate(over="ignore"):                    # (numpy warns of the first overflow)
        bn = BatchNorm1d(1)
        assert bn(Tensor(np.array([[1e20], [-1e20]], np.float32))).tolist() == [[1.0], [-1.0]]
        bn = BatchNorm1d(2)
        x = np.array([[2.2e19, 1.0], [-2.2e19, 2.0], [0.0, 4.0], [0.0, 5.0]], np.float32)
        y = bn(Tensor(x)).data
        assert gradcheck(lambda t: batch_norm(t * 1e160, None, None, training=True),
                         t64(rng.normal(size=(5, 2))))
    np.testing.assert_allclose(y[:, 0], [2 ** 0.5, -(2 ** 0.5), 0, 0], rtol=1e-6)
    np.testing.assert_allclose(y[:, 1], np.array([-2, -1, 1, 2]) / np.sqrt(2.5 + 1e-5),
                               rtol=1e-6)
    np.testing.assert_allclose(bn.running_var, [0.9 + 0.1 * 2.2e19 ** 2 * 2 / 3,
                                                0.9 + 0.1 * 10 / 3], rtol=1e-6)


def test_options_affine_and_track_running_stats():
    bn = BatchNorm2d(3, affine=False, track_running_stats=False)
    assert bn.parameters() == [] and dict(bn.state_dict()) == {}
    x = Tensor(np.arange(24.0).reshape(2, 3, 2, 2))
    np.testing.assert_allclose(bn.eval()(x).data, bn.train()(x).data)   # always the batch's


def test_bias_false_and_the_repr_are_pytorch_2s():
    """PyTorch 2's BatchNorm takes bias=False (a weight, no bias) and shows it in its repr."""
    bn = BatchNorm2d(3, bias=False)
    assert list(bn.state_dict()) == ["weight", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert repr(bn) == ("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=False, "
                        "track_running_stats=True)")
    x = Tensor(np.arange(24.0).reshape(2, 3, 2, 2))
    np.testing.assert_allclose(bn(x).data.mean(axis=(0, 2, 3)), 0, atol=1e-6)


def test_state_dict_has_pytorchs_names_and_round_trips(rng):
    bn = BatchNorm2d(3)
    for _ in range(2):
        bn(Tensor(rng.normal(size=(4, 3, 2, 2))))
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var",
                           "num_batches_tracked"]
    assert state["num_batches_tracked"].dtype == np.int64 and state["num_batches_tracked"] == 2
    fresh = BatchNorm2d(3)
    fresh.load_state_dict(state)
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, state[name])
    with pytest.raises(ValueError, match="'running_var' has shape"):
        fresh.load_state_dict({**state, "running_var": np.ones(4)})


def test_a_state_without_num_batches_tracked_loads_as_in_pytorch(rng, tmp_path):
    """PyTorch's checkpoints before 0.4.1 (and hand-made states) have no counter: PyTorch loads
    them strictly, keeping the layer's counter; glassgrad said "missing", even with strict=False.
    """
    from nn import Linear, Sequential, save
    trained = Sequential(Linear(3, 4), BatchNorm1d(4))
    trained(Tensor(rng.normal(size=(8, 3))))
    state = {name: value for name, value in trained.state_dict().items()
             if name != "1.num_batches_tracked"}
    fresh = Sequential(Linear(3, 4), BatchNorm1d(4))
    fresh[1].num_batches_tracked[...] = 5
    assert repr(fresh.load_state_dict(state)) == "<All keys matched successfully>"
    np.testing.assert_array_equal(fresh[1].running_mean, trained[1].running_mean)
    assert fresh[1].num_batches_tracked == 5                 # kept, as PyTorch keeps it
    result = fresh.load_state_dict({k: v for k, v in state.items() if k != "1.running_var"},
                                   strict=False)
    assert result.missing_keys == ["1.running_var"] and result.unexpected_keys == []
    with pytest.raises(KeyError, match=r"missing \['1.running_var'\]"):
        fresh.load_state_dict({k: v for k, v in state.items() if k != "1.running_var"})
    save(state, tmp_path / "old.npz")
    Sequential(Linear(3, 4), BatchNorm1d(4)).load(tmp_path / "old.npz")


def test_a_batch_norm_of_the_other_family_names_the_one_that_fits():
    """BatchNorm2d after a Linear (features (N, C)), or BatchNorm1d after a Conv2d (images):
    the channels are right, the layer is not."""
    with pytest.raises(ValueError, match=r"^BatchNorm2d\(64, .*got shape \(32, 64\); features "
                                         r"\(N, C\) and sequences \(N, C, L\) take "
                                         r"BatchNorm1d\(64\)$"):
        BatchNorm2d(64)(Tensor(np.zeros((32, 64))))
    with pytest.raises(ValueError, match=r"^BatchNorm2d\(8, .*got shape \(4, 8, 10\); .* take "
                                         r"BatchNorm1d\(8\)$"):
        BatchNorm2d(8)(Tensor(np.zeros((4, 8, 10))))
    with pytest.raises(ValueError, match=r"^BatchNorm1d\(16, .*got shape \(8, 16, 7, 7\); "
                                         r"images \(N, C, H, W\) take BatchNorm2d\(16\)$"):
        BatchNorm1d(16)(Tensor(np.zeros((8, 16, 7, 7))))
    with pytest.raises(ValueError, match=r"^BatchNorm1d\(2, .*; volumes \(N, C, D, H, W\) "
                                         r"take BatchNorm3d\(2\)$"):
        BatchNorm1d(2)(Tensor(np.zeros((3, 2, 4, 4, 4))))


def test_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*expected a 4-d input with 3 channels"
                                         r".*got shape \(2, 4, 5, 5\)"):
        BatchNorm2d(3)(Tensor(np.zeros((2, 4, 5, 5))))
    with pytest.raises(ValueError, match="more than one value per channel"):
        BatchNorm1d(3)(Tensor(np.zeros((1, 3))))
    without_running_stats = BatchNorm1d(3, track_running_stats=False).eval()
    with pytest.raises(ValueError) as info:         # it is in eval mode: not "call model.eval()"
        without_running_stats(Tensor(np.zeros((1, 3))))
    assert "(track_running_stats=False), it always normalises" in str(info.value)
    assert str(info.value).endswith("make the layer with track_running_stats=True")
    with pytest.raises(ValueError, match="BatchNorm1d: num_features must be a positive "
                                         "integer, got True"):
        BatchNorm1d(True)


@pytest.mark.parametrize("arguments, message", [
    (dict(running_mean=np.zeros(4), running_var=np.ones(4), training=True),
     r"running_mean must be a float Tensor or numpy array of shape \(3,\).*got ndarray of shape \(4,\)"),
    (dict(running_mean=[0.0] * 3, running_var=[1.0] * 3), r"running_mean .*got list of shape \(3,\)"),
    (dict(running_mean=np.zeros(3), running_var=None), "give both running_mean and running_var"),
    (dict(running_mean=np.zeros(3), running_var=np.ones(3), training=True, momentum=None),
     r"momentum must be a number in \[0, 1\], got None"),
    (dict(running_mean=None, running_var=None, weight=Tensor(np.ones(4))),
     r"weight must have shape \(3,\) .*got shape \(4,\)"),
])
def test_the_function_checks_its_arguments_before_it_changes_anything(arguments, message):
    """nn.functional.batch_norm: a mistake is reported, and no running statistic is half
    updated (numpy's broadcast error came after `running_mean *= 1 - momentum`)."""
    before = {name: np.copy(value) for name, value in arguments.items()
              if isinstance(value, np.ndarray)}
    with pytest.raises(ValueError, match=f"^batch_norm: {message}"):
        batch_norm(Tensor(np.arange(12.0).reshape(4, 3)), **arguments)
    for name, value in before.items():
        np.testing.assert_array_equal(arguments[name], value)


def test_evaluation_with_momentum_none_reads_the_running_statistics():
    bn = BatchNorm1d(3, momentum=None).eval()
    np.testing.assert_allclose(bn(Tensor(np.ones((2, 3)))).data, 1 / np.sqrt(1 + 1e-5),
                               rtol=1e-6)


def test_a_batch_of_one_in_training_names_the_layer_and_changes_nothing():
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*got input of shape \(1, 3\).*"
                                         r"drop_last=True.*model.eval\(\)"):
        bn(Tensor(np.ones((1, 3))))
    assert bn.num_batches_tracked == 0
    np.testing.assert_array_equal(bn.running_mean, 0)
    bn.eval()
    assert bn(Tensor(np.ones((1, 3)))).shape == (1, 3)      # evaluation: one sample is fine
    with pytest.raises(ValueError, match="momentum must be a number in"):
        BatchNorm1d(3, momentum=2.0)


@pytest.mark.parametrize("options, message", [
    (dict(momentum="0.1"), r"^BatchNorm2d: momentum must be a number in \[0, 1\] or None, "
                           r"got '0.1'$"),
    (dict(eps="1e-5"), r"^BatchNorm2d: eps must be a number > 0, got '1e-5'$"),
    (dict(eps=True), r"^BatchNorm2d: eps must be a number > 0, got True$"),
])
def test_a_momentum_or_eps_that_is_not_a_number_is_named(options, message):
    # (they were TypeErrors from inside a comparison: '<=' not supported between 'int' and 'str')
    with pytest.raises(ValueError, match=message):
        BatchNorm2d(3, **options)


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

def batchnorm_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Three training batches x, a gradient g for each output, and an affine weight and bias
    (random: the initial ones and zeros would let a rule that ignored them pass)."""
    x = np.stack([rng.normal(size=(6, 3, 4, 4)) for _ in range(3)])
    return dict(x=x, g=rng.normal(size=x.shape), weight=rng.normal(size=3),
                bias=rng.normal(size=3))


def batchnorm_glassgrad(x, g, weight, bias) -> dict[str, np.ndarray]:
    """BatchNorm2d(3, momentum=0.3) trained on the three batches: each output and input
    gradient, the parameters' summed gradients, the state dict, then one evaluation output."""
    bn = BatchNorm2d(3, momentum=0.3, dtype=np.float64)
    bn.weight.data[:], bn.bias.data[:] = weight, bias
    results = {}
    for step, (batch, grad) in enumerate(zip(x, g)):
        ours = t64(batch)
        y = bn(ours)
        y.backward(grad)
        results.update({f"y{step}": y.data, f"x{step}.grad": ours.grad})
    results.update({"weight.grad": bn.weight.grad, "bias.grad": bn.bias.grad})
    results.update(prefixed("state", bn.state_dict()))
    results["eval"] = bn.eval()(t64(x[0])).data
    return results


def batchnorm_torch(torch, x, g, weight, bias) -> dict[str, np.ndarray]:
    """The same as `batchnorm_glassgrad`, computed by PyTorch."""
    bn = torch.nn.BatchNorm2d(3, momentum=0.3).double()
    with torch.no_grad():
        bn.weight[:], bn.bias[:] = torch.tensor(weight), torch.tensor(bias)
    results = {}
    for step, (batch, grad) in enumerate(zip(x, g)):
        theirs = torch.tensor(batch, requires_grad=True)
        y = bn(theirs)
        y.backward(torch.tensor(grad))
        results.update({f"y{step}": as_array(y), f"x{step}.grad": as_array(theirs.grad)})
    results.update({"weight.grad": as_array(bn.weight.grad), "bias.grad": as_array(bn.bias.grad)})
    results.update(prefixed("state", bn.state_dict()))
    bn.eval()
    results["eval"] = as_array(bn(torch.tensor(x[0])))
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/batchnorm.npz: the inputs and PyTorch's results."""
    inputs = batchnorm_inputs(draw())
    return {**inputs, **batchnorm_torch(torch, **inputs)}


def test_matches_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = batchnorm_inputs(rng)
    assert_matches(batchnorm_glassgrad(**inputs), batchnorm_torch(torch, **inputs),
                   rtol=1e-10, atol=1e-12)


def test_matches_pytorchs_recorded_numbers():
    theirs = recorded("batchnorm")
    inputs = ("x", "g", "weight", "bias")
    assert_matches(batchnorm_glassgrad(*(theirs[name] for name in inputs)), theirs,
                   rtol=1e-10, atol=1e-12, inputs=inputs)


# -- the buffers are constant Tensors, as PyTorch's -------------------------------------------

def _trained_batch_norm(rng, layer=BatchNorm1d, shape=(6, 3), steps=2):
    bn = layer(shape[1], dtype=np.float64)
    for _ in range(steps):
        bn(t64(rng.normal(1.0, 2.0, size=shape)))
    return bn


@pytest.mark.parametrize("layer, shape", [(BatchNorm1d, (6, 3)), (BatchNorm2d, (4, 3, 2, 2)),
                                          (BatchNorm3d, (2, 3, 2, 2, 2)),
                                          (InstanceNorm1d, (2, 3, 4))])
def test_the_buffers_are_constant_tensors_as_pytorchs(rng, layer, shape):
    """A port reads them as PyTorch's: model.bn.running_mean.clone(), .size(0), .numpy(),
    num_batches_tracked.item() (they were ndarrays: 'numpy.ndarray' object has no attribute
    'clone', 'int' object is not callable for .size(0))."""
    bn = layer(3, dtype=np.float64, track_running_stats=True)
    for _ in range(2):
        bn(t64(rng.normal(1.0, 2.0, size=shape)))
    for name, buffer in bn.named_buffers():
        assert type(buffer) is Tensor and not buffer.requires_grad, name
    snapshot = bn.running_mean.clone()
    assert snapshot.size(0) == bn.running_var.size(0) == 3 and snapshot.dtype == np.float64
    assert isinstance(bn.running_var.numpy(), np.ndarray)
    count = bn.num_batches_tracked.item()
    assert count == (0 if layer is InstanceNorm1d else 2) and type(count) is int
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    bn(t64(rng.normal(size=shape)))
    assert not np.array_equal(snapshot.numpy(), bn.running_mean.numpy())   # a copy: it stays
    assert [type(b) for b in bn.buffers()] == [Tensor] * 3


def test_the_state_dict_follows_the_buffers_and_loads_into_the_same_tensors(rng):
    """state_dict() shares the buffers' numbers (as PyTorch's): it follows the training; and
    load_state_dict writes into the buffers themselves, so whoever holds them sees the load."""
    bn = _trained_batch_norm(rng)
    state = bn.state_dict()
    assert [type(v) for v in state.values()] == [Tensor] * 5
    bn(t64(rng.normal(size=(6, 3))))
    np.testing.assert_array_equal(state["running_mean"].numpy(), bn.running_mean.numpy())
    assert state["num_batches_tracked"].item() == 3
    held = bn.running_mean, bn.running_var, bn.num_batches_tracked
    other = _trained_batch_norm(rng, steps=5)
    assert str(bn.load_state_dict(other.state_dict())) == "<All keys matched successfully>"
    assert all(a is b for a, b in zip((bn.running_mean, bn.running_var,
                                       bn.num_batches_tracked), held))
    np.testing.assert_array_equal(bn.running_var.numpy(), other.running_var.numpy())
    assert bn.num_batches_tracked.item() == 5
    bn.load_state_dict({**other.state_dict(), "num_batches_tracked": np.array(9)})
    assert bn.num_batches_tracked.item() == 9 and bn.num_batches_tracked is held[2]
    bn.num_batches_tracked += 1                         # a port's own count (.add_(1) too)
    assert bn.num_batches_tracked.item() == 10 and type(bn.num_batches_tracked.data) is np.ndarray
    bn.reset_running_stats()                            # in place, too
    assert bn.running_mean is held[0] and bn.running_mean.tolist() == [0, 0, 0]
    assert bn.running_var.tolist() == [1, 1, 1] and bn.num_batches_tracked.item() == 0


def test_double_deepcopy_and_checkpoints_keep_the_buffers_tensors(rng, tmp_path):
    bn = _trained_batch_norm(rng)
    bn.float()
    assert type(bn.running_mean) is Tensor and bn.running_mean.dtype == np.float32
    assert bn.num_batches_tracked.dtype == np.int64           # a count stays an integer
    bn.double()
    assert bn.running_var.dtype == np.float64
    twin = copy.deepcopy(bn)
    assert type(twin.running_mean) is Tensor and twin.running_mean is not bn.running_mean
    twin(t64(rng.normal(size=(6, 3))))
    assert twin.num_batches_tracked.item() == 3 and bn.num_batches_tracked.item() == 2
    save(bn, tmp_path / "bn.npz")
    fresh = BatchNorm1d(3, dtype=np.float64)
    fresh.load(tmp_path / "bn.npz")
    assert fresh.num_batches_tracked.item() == 2 and type(fresh.running_mean) is Tensor
    np.testing.assert_array_equal(fresh.running_mean.numpy(), bn.running_mean.numpy())
    loaded = load(tmp_path / "bn.npz")
    assert loaded["num_batches_tracked"].dtype == np.int64


def test_a_model_pickles_after_its_state_dict_was_taken(rng):
    """state_dict() shares a buffer Tensor's numbers (a view, remembered weakly by the
    buffer): pickling the model afterwards (fit takes state_dicts; joblib, multiprocessing)
    failed with 'cannot pickle weakref.ReferenceType', which it did not when buffers were
    arrays."""
    bn = _trained_batch_norm(rng)
    state = bn.state_dict()
    twin = pickle.loads(pickle.dumps(bn))
    np.testing.assert_array_equal(twin.running_mean.numpy(), bn.running_mean.numpy())
    assert twin.num_batches_tracked.item() == bn.num_batches_tracked.item() == 2
    twin.running_mean.add_(1.0)                         # the copy's numbers are its own
    np.testing.assert_array_equal(state["running_mean"].numpy(), bn.running_mean.numpy())


def test_an_array_assigned_to_a_buffer_is_still_updated(rng):
    """A buffer keeps the kind assigned (Module.register_buffer): older code's
    bn.running_mean = np.zeros(3) gives an array, which training updates as before."""
    bn = BatchNorm1d(3, dtype=np.float64, momentum=None)
    bn.running_mean, bn.num_batches_tracked = np.zeros(3), np.array(4)
    x = rng.normal(size=(6, 3))
    bn(t64(x))
    assert type(bn.running_mean) is np.ndarray and int(bn.num_batches_tracked) == 5
    np.testing.assert_allclose(bn.running_mean, x.mean(0) / 5, rtol=1e-12)
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0, 0, 0] and int(bn.num_batches_tracked) == 0


def test_the_function_takes_the_running_statistics_as_tensors(rng):
    """PyTorch's F.batch_norm(x, self.running_mean, self.running_var, ...) with a port's
    Tensor buffers: updated in place (they had to be numpy arrays)."""
    x = rng.normal(size=(5, 3))
    mean, var = Tensor(np.zeros(3)), Tensor(np.ones(3))
    batch_norm(t64(x), mean, var, training=True, momentum=0.5)
    np.testing.assert_allclose(mean.numpy(), 0.5 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-12)
    y = batch_norm(t64(x), mean, var)
    np.testing.assert_allclose(y.data, (x - mean.numpy()) / np.sqrt(var.numpy() + 1e-5),
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"^batch_norm: running_var requires grad, but it is "
                                         r"a running estimate"):
        batch_norm(t64(x), mean, Tensor(np.ones(3), requires_grad=True), training=True)


def test_fit_puts_back_the_best_epoch_s_buffers_into_the_same_tensors():
    """The best weights fit restores include the running statistics and the count."""
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    train, val = (x, 2 * x[:, 0]), (x, -2 * x[:, 0])        # validation only worsens
    manual_seed(0)          # (from some starts the first epoch's steps improve val_loss too)
    model = Sequential(Linear(1, 4), BatchNorm1d(4), Linear(4, 1))
    after_one_epoch = copy.deepcopy(model)
    held = model[1].running_mean

    def run(m, epochs, early_stopping=None):
        squeeze = lambda y, target: mse_loss(y.reshape(-1), target)     # noqa: E731
        return fit(m, squeeze, SGD(m.parameters(), lr=0.1), train, epochs=epochs,
                   val_data=val, metrics=(), batch_size=20, shuffle=False,
                   early_stopping=early_stopping, progress=False)
    history = run(model, 20, EarlyStopping(patience=2))
    assert history.stopped_early and history.best_epoch == history.restored_epoch == 1
    run(after_one_epoch, 1)
    assert model[1].running_mean is held and model[1].num_batches_tracked.item() == 2
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), after_one_epoch.state_dict()[name].numpy())


@needs_torch
def test_a_cnn_and_an_mlp_keep_pytorchs_buffers_through_training(rng):
    """Three SGD steps of a small CNN with BatchNorm2d and an MLP with BatchNorm1d (one with
    momentum=None) in float64: every buffer equals PyTorch's, and reads as PyTorch's does."""
    def cnn(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3, padding=1), lib.nn.BatchNorm2d(3),
                                 lib.nn.ReLU(), lib.nn.Flatten(), lib.nn.Linear(3 * 5 * 5, 4))

    def mlp(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.BatchNorm1d(6, momentum=None),
                                 lib.nn.Tanh(), lib.nn.Linear(6, 4))
    glassgrad = types.SimpleNamespace(nn=nn)
    for make, x_shape in ((cnn, (8, 2, 5, 5)), (mlp, (8, 4))):
        ours, theirs = make(glassgrad).double(), make(torch).double()
        theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                                for k, v in ours.state_dict().items()})
        our_step = SGD(ours.parameters(), lr=0.1, momentum=0.9)
        their_step = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            x, y = rng.normal(1.0, 2.0, size=x_shape), rng.integers(0, 4, size=8)
            for model, step, loss in ((ours, our_step, cross_entropy(ours(t64(x)), y)),
                                      (theirs, their_step, torch.nn.functional.cross_entropy(
                                          theirs(torch.from_numpy(x)), torch.from_numpy(y)))):
                step.zero_grad()
                loss.backward()
                step.step()
        expected = theirs.state_dict()
        for name, value in ours.state_dict().items():
            np.testing.assert_allclose(value.numpy(), expected[name].numpy(), rtol=1e-10,
                                       atol=1e-12, err_msg=name)
            assert value.dtype == expected[name].numpy().dtype, name
        bn, their_bn = ours[1], theirs[1]
        assert bn.running_mean.clone().size(0) == their_bn.running_mean.clone().size(0)
        np.testing.assert_allclose(bn.running_var.numpy(), their_bn.running_var.numpy(),
                                   rtol=1e-10)
        assert bn.num_batches_tracked.item() == their_bn.num_batches_tracked.item() == 3
        ours.eval(), theirs.eval()
        x = rng.normal(size=x_shape)
        with torch.no_grad():
            np.testing.assert_allclose(ours(t64(x)).data, theirs(torch.from_numpy(x)).numpy(),
                                       rtol=1e-10, atol=1e-12)
