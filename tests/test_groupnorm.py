"""GroupNorm / group_norm and InstanceNorm1d/2d / instance_norm (group normalisation with one
group per channel): each group normalised with its own mean and biased variance, per-channel
weight and bias, gradients against finite differences (first and second order), the instance
norms' running statistics, PyTorch's state dict and repr, errors that name the layer and the
shapes, and the same numbers as PyTorch (asked live where torch is installed, else as recorded
in tests/reference/groupnorm.npz)."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

import nn
from autograd import Tensor, grad, gradcheck, gradcheck_parameters
from nn import GroupNorm, InstanceNorm1d, InstanceNorm2d
from nn.functional import group_norm, instance_norm, layer_norm

from conftest import strict, t64
from reference import as_array, assert_matches, draw, prefixed, recorded


def numpy_group_norm(x, groups, weight=None, bias=None, eps=1e-5):
    """The definition, on arrays: each sample's channels in `groups` consecutive groups."""
    n, c = x.shape[:2]
    grouped = x.reshape(n, groups, -1)
    y = (grouped - grouped.mean(-1, keepdims=True)) / np.sqrt(grouped.var(-1, keepdims=True)
                                                               + eps)
    shape = (1, c) + (1,) * (x.ndim - 2)
    y = y.reshape(x.shape)
    return y * (1 if weight is None else weight.reshape(shape)) + \
        (0 if bias is None else bias.reshape(shape))


@pytest.mark.parametrize("x_shape, groups", [((3, 6, 5), 2), ((2, 6, 3, 2), 1), ((2, 6, 3, 2), 6),
                                             ((4, 6), 3), ((1, 4, 2), 2)])
def test_each_group_is_normalised_then_each_channel_scaled_and_shifted(rng, x_shape, groups):
    x = rng.normal(3.0, 5.0, size=x_shape)
    weight, bias = rng.normal(size=x_shape[1]), rng.normal(size=x_shape[1])
    y = group_norm(Tensor(x), groups, Tensor(weight), Tensor(bias), eps=1e-3)
    np.testing.assert_allclose(y.data, numpy_group_norm(x, groups, weight, bias, 1e-3),
                               rtol=1e-12, atol=1e-12)
    plain = group_norm(Tensor(x), groups).data.reshape(x_shape[0], groups, -1)
    np.testing.assert_allclose(plain.mean(-1), 0, atol=1e-12)


def test_one_group_is_layer_norm_of_the_whole_sample_and_one_per_channel_instance_norm(rng):
    x = t64(rng.normal(size=(2, 4, 3)))
    np.testing.assert_allclose(GroupNorm(1, 4, affine=False)(x).data,
                               layer_norm(x, (4, 3)).data, rtol=1e-13)
    weight, bias = rng.normal(size=4), rng.normal(size=4)
    np.testing.assert_allclose(group_norm(x, 4, weight, bias).data,
                               instance_norm(x, weight=weight, bias=bias).data, rtol=1e-13)


def test_dtypes_float32_stays_float32_and_integers_become_the_default(rng):
    x = Tensor(rng.normal(size=(2, 4, 3)).astype(np.float32))
    assert GroupNorm(2, 4)(x).dtype == np.float32
    assert InstanceNorm1d(4, affine=True, track_running_stats=True)(x).dtype == np.float32
    assert GroupNorm(2, 4)(Tensor(np.arange(24).reshape(2, 4, 3))).dtype == np.float32


# -- gradients: finite differences in float64 ----------------------------------------------------

GROUP_CASES = {             # x's shape, num_groups
    "groups of two channels": ((3, 4, 5), 2),
    "batch of one": ((1, 6, 2, 2), 3),
    "one group": ((2, 4, 3), 1),
    "a group per channel": ((2, 4, 3), 4),
    "features (N, C)": ((4, 6), 2),
}


@pytest.mark.parametrize("case", GROUP_CASES)
def test_group_norm_gradients_match_finite_differences(rng, case):
    """For x (shifted and scaled), weight and bias (random, not ones and zeros)."""
    x_shape, groups = GROUP_CASES[case]
    channels = x_shape[1]
    assert gradcheck(lambda x, w, b: group_norm(x, groups, w, b, eps=1e-3) ** 2,
                     t64(rng.normal(2.0, 3.0, size=x_shape)), t64(rng.normal(size=channels)),
                     t64(rng.normal(size=channels)))


@pytest.mark.parametrize("case", ["groups of two channels", "batch of one"])
def test_group_norm_second_derivatives_match_finite_differences(rng, case):
    """The first derivatives of a loss that is not linear in the output, differentiated
    again (the layer is layer_norm's op, which any order goes through)."""
    x_shape, groups = GROUP_CASES[case]
    r = rng.normal(size=x_shape)
    directions = [rng.normal(size=x_shape), rng.normal(size=x_shape[1]),
                  rng.normal(size=x_shape[1])]

    def loss(x, w, b):
        return (r * group_norm(x, groups, w, b).tanh()).sum()

    def directional(x, w, b):
        firsts = grad(loss, argnums=(0, 1, 2))(x, w, b)
        return sum((v * d).sum() for v, d in zip(directions, firsts))
    assert gradcheck(directional, t64(rng.normal(1.0, 2.0, size=x_shape)),
                     t64(rng.normal(size=x_shape[1])), t64(rng.normal(size=x_shape[1])))


@pytest.mark.parametrize("layer, x_shape", [(InstanceNorm1d, (3, 2, 5)), (InstanceNorm1d, (2, 5)),
                                            (InstanceNorm2d, (1, 2, 3, 2)),
                                            (InstanceNorm2d, (2, 3, 2))])
@pytest.mark.parametrize("training", [True, False])
def test_instance_norm_gradients_match_finite_differences(rng, layer, x_shape, training):
    """In training (each instance's own statistics) and in evaluation with running statistics,
    batched and single samples; the parameters random and the running statistics not 0 and 1."""
    norm = layer(2, affine=True, track_running_stats=True, dtype=np.float64)
    norm.running_mean[:], norm.running_var[:] = rng.normal(size=2), rng.uniform(0.5, 2, 2)
    norm.train(training)
    before = norm.running_mean.clone()

    def f(x, weight, bias):
        vars(norm).update(weight=weight, bias=bias)     # plain Tensors, which assignment refuses
        return norm(x) ** 2
    assert gradcheck(f, t64(rng.normal(2.0, 3.0, size=x_shape)), t64(rng.normal(size=2)),
                     t64(rng.normal(size=2)))
    assert (norm.running_mean != before).all() == training


@pytest.mark.parametrize("x_shape", [(3, 4, 5), (1, 4, 2, 3)], ids=str)
def test_the_layers_own_parameters_gradcheck(rng, x_shape):
    """The module, not only group_norm: its weight and bias where they live, and its input
    (a batch, a batch of one), against finite differences."""
    layer = GroupNorm(2, 4, eps=1e-3, dtype=np.float64)
    layer.weight.data[:] = rng.uniform(0.5, 1.5, 4)
    layer.bias.data[:] = rng.normal(size=4)
    x, r = t64(rng.normal(1.0, 2.0, size=x_shape)), Tensor(rng.normal(size=x_shape))
    assert gradcheck_parameters(lambda: (layer(x) ** 2 * r).sum(), layer.named_parameters())
    assert gradcheck(lambda t: layer(t) ** 2, x)


# -- the instance norms' running statistics and settings ----------------------------------------

def test_running_statistics_average_the_instances_means_and_unbiased_variances(rng):
    norm = InstanceNorm2d(3, momentum=0.2, affine=True, track_running_stats=True,
                          dtype=np.float64)
    weight, bias = rng.normal(size=3), rng.normal(size=3)
    norm.load_state_dict({**norm.state_dict(), "weight": weight, "bias": bias})
    x = rng.normal(2.0, 3.0, size=(4, 3, 2, 5))
    norm(Tensor(x))
    np.testing.assert_allclose(norm.running_mean, 0.2 * x.mean((2, 3)).mean(0), rtol=1e-12)
    np.testing.assert_allclose(norm.running_var, 0.8 + 0.2 * x.var((2, 3), ddof=1).mean(0),
                               rtol=1e-12)
    assert norm.num_batches_tracked == 0                # PyTorch's instance norms never count
    per_channel = (slice(None), None, None)
    mean, var = norm.running_mean.numpy(), norm.running_var.numpy()
    expected = ((x - mean[per_channel]) / np.sqrt(var[per_channel] + 1e-5)
                * weight[per_channel] + bias[per_channel])
    np.testing.assert_allclose(norm.eval()(Tensor(x)).data, expected, rtol=1e-12)


def test_momentum_none_leaves_the_running_statistics_as_pytorch_does(rng):
    """PyTorch's InstanceNorm passes momentum=None on as 0, not as BatchNorm's cumulative
    average: the running statistics stay at 0 and 1."""
    norm = InstanceNorm1d(2, momentum=None, track_running_stats=True)
    norm(Tensor(rng.normal(size=(3, 2, 4))))
    assert norm.running_mean.tolist() == [0, 0] and norm.running_var.tolist() == [1, 1]


def test_an_empty_batch_leaves_the_running_statistics_as_they_are(rng):
    """N = 0: an empty output, and no statistics to average in; the mean of none was NaN, which
    then stayed in the running statistics and made every evaluation NaN (PyTorch's do that)."""
    norm = InstanceNorm2d(2, track_running_stats=True)
    norm(Tensor(rng.normal(size=(3, 2, 2, 2))))
    before = norm.running_mean.clone(), norm.running_var.clone()
    with strict():
        assert norm(Tensor(np.zeros((0, 2, 2, 2)))).shape == (0, 2, 2, 2)
    np.testing.assert_array_equal(norm.running_mean, before[0])
    np.testing.assert_array_equal(norm.running_var, before[1])


def test_instance_norm_of_no_channels_is_empty():
    """(N, 0, L) gives (N, 0, L), as PyTorch's; it was a ZeroDivisionError (0 groups)."""
    assert instance_norm(Tensor(np.zeros((2, 0, 3)))).shape == (2, 0, 3)


def test_without_running_statistics_training_and_evaluation_agree(rng):
    norm, x = InstanceNorm1d(3), Tensor(rng.normal(size=(2, 3, 4)))
    np.testing.assert_array_equal(norm(x).data, norm.eval()(x).data)


def test_a_single_sample_is_normalised_as_a_batch_of_one(rng):
    for layer, x in ((InstanceNorm1d(2, affine=True), rng.normal(size=(2, 4))),
                     (InstanceNorm2d(3, affine=True), rng.normal(size=(3, 2, 4)))):
        np.testing.assert_array_equal(layer(Tensor(x)).data,
                                      layer(Tensor(x[None])).data[0])


def test_parameters_state_dict_and_repr_are_pytorchs():
    assert list(GroupNorm(2, 4).state_dict()) == ["weight", "bias"]
    assert GroupNorm(2, 4).weight.shape == (4,) and GroupNorm(2, 4).weight.dtype == np.float32
    assert list(GroupNorm(2, 4, bias=False).state_dict()) == ["weight"]
    assert GroupNorm(2, 4, affine=False).parameters() == []
    assert repr(GroupNorm(3, 6, eps=1e-3, bias=False)) == \
        "GroupNorm(3, 6, eps=0.001, affine=True, bias=False)"
    assert InstanceNorm1d(3).state_dict() == {} and InstanceNorm1d(3).parameters() == []
    norm = InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(norm.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                       "num_batches_tracked"]
    assert repr(InstanceNorm1d(3)) == ("InstanceNorm1d(3, eps=1e-05, momentum=0.1, "
                                       "affine=False, bias=False, track_running_stats=False)")
    assert repr(norm) == ("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                          "track_running_stats=True)")


@pytest.mark.parametrize("call, message", [
    (lambda: GroupNorm(3, 4), r"GroupNorm: num_channels \(4\) must be divisible by num_groups "
                              r"\(3\)"),
    (lambda: GroupNorm(0, 4), "GroupNorm: num_groups must be a positive integer, got 0"),
    (lambda: GroupNorm(2, 4, eps=-1), "GroupNorm: eps must be a number > 0"),
    (lambda: GroupNorm(2, 4)(np.zeros((2, 6, 3))),
     r"GroupNorm\(2, 4, .*\): expected an input \(N, C, ...\) with 4 channels on axis 1, got "
     r"shape \(2, 6, 3\)$"),
    (lambda: GroupNorm(2, 4)(np.zeros((8, 5, 5, 4))),
     r"got shape \(8, 5, 5, 4\); it looks like channels-last images .* x.transpose\(0, 3, 1, 2\)"),
    (lambda: GroupNorm(2, 4)(np.zeros((2, 7, 4))),
     r"got shape \(2, 7, 4\); it looks like a sequence with channels last"),
    (lambda: GroupNorm(2, 4)(np.zeros(4)), r"with 4 channels on axis 1, got shape \(4,\)"),
    (lambda: GroupNorm(2, 4, affine=False)(np.zeros((2, 5, 3))), r"got shape \(2, 5, 3\)"),
    (lambda: GroupNorm(2, 2)(np.zeros((1, 2))),
     r"GroupNorm\(2, 2, .*\): the input of shape \(1, 2\) with num_groups=2 leaves one value "
     r"per group"),
    (lambda: group_norm(np.zeros((2, 5, 3)), 2),
     r"group_norm: the input's 5 channels \(axis 1 of shape \(2, 5, 3\)\) do not split into "
     r"num_groups=2 groups"),
    (lambda: group_norm(np.zeros((2, 4, 3)), 2, weight=np.ones(3)),
     r"group_norm: weight must have shape \(4,\) \(one per channel of the input \(2, 4, 3\)\), "
     r"got shape \(3,\)"),
    (lambda: group_norm(np.zeros((2, 4, 3)), 2.0), "group_norm: num_groups must be a positive "
                                                   "integer, got 2.0"),
    (lambda: InstanceNorm1d(3)(np.zeros((2, 3, 4, 5))),
     r"InstanceNorm1d\(3, .*\): expected a 3-d input \(N, C, L\), or one sample \(C, L\), got "
     r"shape \(2, 3, 4, 5\)"),
    (lambda: InstanceNorm2d(3)(np.zeros((4, 5))), r"expected a 4-d input \(N, C, H, W\), or "
                                                  r"one sample \(C, H, W\)"),
    (lambda: InstanceNorm1d(3, affine=True)(np.zeros((2, 4, 5))),
     r"InstanceNorm1d\(3, .*\): expected 3 channels on axis 1 of \(N, C, L\), got shape "
     r"\(2, 4, 5\)"),
    (lambda: InstanceNorm1d(3, track_running_stats=True)(np.zeros((4, 3))),
     r"expected 3 channels on axis 0 of \(C, L\), got shape \(4, 3\); features \(N, C\) or a "
     r"sequence with its channels last \(L, C\)\?"),
    (lambda: InstanceNorm2d(3, affine=True)(np.zeros((2, 5, 6, 3))),
     r"got shape \(2, 5, 6, 3\); it looks like channels-last images"),
    (lambda: InstanceNorm1d(3)(np.zeros((2, 3, 1))),
     r"InstanceNorm1d\(3, .*\): normalises each channel over its own values and needs more "
     r"than one per channel, got input of shape \(2, 3, 1\)"),
    (lambda: instance_norm(np.zeros((2, 3))), r"instance_norm: each channel of each sample needs "
                                              r"more than one value"),
    (lambda: instance_norm(np.zeros((2, 3, 4)), np.zeros(3)),
     "instance_norm: give both running_mean and running_var, or neither"),
    (lambda: instance_norm(np.zeros((2, 3, 4)), np.zeros(4), np.ones(4)),
     r"instance_norm: running_mean must be a float Tensor or numpy array of shape \(3,\)"),
    (lambda: instance_norm(np.zeros((2, 3, 4)), use_input_stats=False),
     "instance_norm: use_input_stats=False normalises with the running statistics"),
])
def test_errors_name_the_layer_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_mistake_leaves_the_running_statistics_untouched():
    norm = InstanceNorm1d(3, affine=True, track_running_stats=True)
    with pytest.raises(ValueError):
        instance_norm(Tensor(np.ones((2, 3, 4))), norm.running_mean, norm.running_var,
                      weight=np.ones(2))
    assert norm.running_mean.tolist() == [0, 0, 0]


def test_a_channel_count_no_parameter_needs_is_a_warning_as_in_pytorch(rng):
    """Without weights or running statistics PyTorch's InstanceNorm only warns (and its
    GroupNorm says nothing): the input's channels are normalised all the same."""
    x = rng.normal(size=(2, 4, 5))
    for layer, expected in ((InstanceNorm1d(3), instance_norm(Tensor(x))),
                            (GroupNorm(2, 6, affine=False), group_norm(Tensor(x), 2))):
        with pytest.warns(UserWarning, match=r"channels on axis 1.* got shape \(2, 4, 5\); "
                                             r"normalising its 4 channels"):
            y = layer(Tensor(x))
        np.testing.assert_array_equal(y.data, expected.data)


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

# a few small arrays: the recorded files share a size budget (tests/test_references.py)
CASES = {"group": (lambda lib: lib.GroupNorm(3, 6, eps=1e-3), (2, 6, 2)),
         "instance": (lambda lib: lib.InstanceNorm2d(2, affine=True, track_running_stats=True),
                      (2, 2, 3, 2))}


def groupnorm_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per case: x (shifted and scaled), a gradient g for the output, and the weight and bias
    as the rows of `affine`."""
    arrays = {}
    for case, (_, x_shape) in CASES.items():
        arrays.update(prefixed(case, dict(x=rng.normal(2.0, 3.0, size=x_shape),
                                          g=rng.normal(size=x_shape),
                                          affine=rng.normal(size=(2, x_shape[1])))))
    return arrays


def _results(case_arrays, lib, make, run):
    """The layer (float64) with the recorded weight and bias, run on x in training, then g sent
    back: y, the gradients (x's, and weight's and bias's as the rows of `affine.grad`) and the
    running statistics as rows, where the layer keeps them."""
    x, g, affine = (case_arrays[name] for name in ("x", "g", "affine"))
    layer, y, x_grad = run(make(lib), x, g, affine)
    results = {"y": y, "x.grad": x_grad,
               "affine.grad": np.stack([as_array(layer.weight.grad), as_array(layer.bias.grad)])}
    if getattr(layer, "running_mean", None) is not None:
        results["running"] = np.stack([as_array(layer.running_mean),
                                       as_array(layer.running_var)])
    return results


def groupnorm_glassgrad(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    def run(layer, x, g, affine):
        layer = layer.double()
        layer.weight.data[:], layer.bias.data[:] = affine
        ours = t64(x)
        y = layer(ours)
        y.backward(g)
        return layer, y.data, ours.grad
    results = {}
    for case, (make, _) in CASES.items():
        results.update(prefixed(case, _results({k: arrays[f"{case}/{k}"] for k in
                                                ("x", "g", "affine")}, nn, make, run)))
    return results


def groupnorm_torch(torch, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same as `groupnorm_glassgrad`, computed by PyTorch."""
    def run(layer, x, g, affine):
        layer = layer.double()
        with torch.no_grad():
            layer.weight[:], layer.bias[:] = torch.tensor(affine)
        theirs = torch.tensor(x, requires_grad=True)
        y = layer(theirs)
        y.backward(torch.tensor(g))
        return layer, as_array(y), as_array(theirs.grad)
    results = {}
    for case, (make, _) in CASES.items():
        results.update(prefixed(case, _results({k: arrays[f"{case}/{k}"] for k in
                                                ("x", "g", "affine")}, torch.nn, make, run)))
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/groupnorm.npz: the inputs and PyTorch's results."""
    inputs = groupnorm_inputs(draw())
    return {**inputs, **groupnorm_torch(torch, inputs)}


def test_matches_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = groupnorm_inputs(rng)
    assert_matches(groupnorm_glassgrad(inputs), groupnorm_torch(torch, inputs),
                   rtol=1e-10, atol=1e-12)


def test_matches_pytorchs_recorded_numbers():
    theirs = recorded("groupnorm")
    inputs = tuple(f"{case}/{name}" for case in CASES for name in ("x", "g", "affine"))
    assert_matches(groupnorm_glassgrad(theirs), theirs, rtol=1e-10, atol=1e-12, inputs=inputs)


def test_checkpoints_load_into_pytorch_strictly_and_back(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    ours = nn.Sequential(GroupNorm(2, 4), InstanceNorm1d(4, affine=True,
                                                         track_running_stats=True))
    ours(Tensor(rng.normal(size=(3, 4, 5))))             # running statistics that are not 0, 1
    theirs = torch.nn.Sequential(torch.nn.GroupNorm(2, 4), torch.nn.InstanceNorm1d(
        4, affine=True, track_running_stats=True))
    path = os.path.join(tempfile.mkdtemp(), "norms.pt")
    nn.save(ours.state_dict(), path)
    theirs.load_state_dict(torch.load(path))            # strict: names, shapes and dtypes
    np.testing.assert_array_equal(as_array(theirs[1].running_var), ours[1].running_var)
    with torch.no_grad():
        theirs[0].weight.normal_()
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours[0].weight.data, as_array(theirs[0].weight))
    assert repr(ours) == repr(theirs)
