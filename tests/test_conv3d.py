"""The 3-d (volumetric) family: conv3d, conv_transpose3d, max_pool3d, avg_pool3d and the
adaptive 3-d pools, their layers, BatchNorm3d, InstanceNorm3d and the 3-d padding layers.
Gradients against finite differences (float64) over strides, paddings, dilations, groups and
batch 1; the same numbers as PyTorch (asked live where torch is installed, else as recorded in
tests/reference/conv3d.npz); PyTorch's parameter names, shapes and initialisation; errors
that name the layer and the shapes."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import nn
from autograd import Tensor, grad, gradcheck
from autograd import functional as F

from conftest import t64
from reference import as_array, assert_matches, record_cases, recorded_case


# ----------------------------------------------------------------------------------------------
# conv3d and conv_transpose3d: finite differences
# ----------------------------------------------------------------------------------------------

# (x shape, weight shape, stride, padding, dilation, groups)
CONV_CASES = [
    ((2, 2, 3, 4, 3), (3, 2, 2, 3, 2), 1, 0, 1, 1),
    ((1, 2, 5, 4, 6), (2, 2, 3, 2, 3), (2, 1, 2), (1, 0, 2), 1, 1),   # batch 1, per-axis
    ((2, 1, 4, 3, 5), (2, 1, 2, 2, 2), 1, 1, (2, 1, 2), 1),           # dilated
    ((1, 4, 4, 3, 4), (4, 2, 2, 2, 2), 2, 1, 1, 2),                   # groups, stride 2
    ((1, 3, 3, 4, 3), (3, 1, 3, 1, 2), 1, "same", (1, 1, 2), 3),       # depthwise, "same"
]
CONV_IDS = ["plain", "batch-1-per-axis", "dilated", "groups-stride", "depthwise-same"]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CONV_CASES, ids=CONV_IDS)
def test_conv3d_gradients_match_finite_differences(rng, xs, ws, stride, padding, dilation,
                                                   groups):
    x, w, b = t64(rng.normal(size=xs)), t64(rng.normal(size=ws)), t64(rng.normal(size=ws[0]))
    assert gradcheck(lambda x, w, b: F.conv3d(x, w, b, stride, padding, dilation, groups),
                     x, w, b)


def test_conv3d_second_derivatives(rng):
    """The gradient (ConvInputGrad / ConvWeightGrad nodes over volumes) differentiates again."""
    xs, ws, stride, padding, dilation, groups = CONV_CASES[3]
    f = lambda x, w: (F.conv3d(x, w, None, stride, padding, dilation, groups) ** 2).sum()
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    assert gradcheck(lambda x, w: grad(f, argnums=0)(x, w), x, w)
    assert gradcheck(lambda x, w: grad(f, argnums=1)(x, w), x, w)


# (x shape, weight shape (C, O/groups, kd, kh, kw), stride, padding, output_padding, dilation,
# groups)
T_CASES = [
    ((2, 2, 2, 3, 2), (2, 3, 2, 2, 3), 1, 0, 0, 1, 1),
    ((1, 2, 3, 2, 3), (2, 2, 3, 2, 3), (2, 1, 2), (1, 0, 1), (1, 0, 1), 1, 1),
    ((1, 4, 2, 2, 3), (4, 1, 2, 3, 2), 2, 1, 1, (1, 2, 1), 2),
    ((1, 2, 2, 3, 2), (2, 2, 2, 2, 2), 1, 1, 2, 3, 1),      # output_padding past the stride
]
T_IDS = ["plain", "batch-1-output-padding", "groups-dilated", "output-padding-by-dilation"]


@pytest.mark.parametrize("case", T_CASES, ids=T_IDS)
def test_conv_transpose3d_gradients_match_finite_differences(rng, case):
    xs, ws, stride, padding, output_padding, dilation, groups = case
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    b = t64(rng.normal(size=ws[1] * groups))
    assert gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, stride, padding, output_padding,
                                                        groups, dilation), x, w, b)


def test_conv_transpose3d_is_conv3ds_input_gradient(rng):
    """<conv3d(x, w), y> = <x, conv_transpose3d(y, w)>: the adjoint, for any x and y."""
    x, w = rng.normal(size=(2, 4, 5, 4, 6)), rng.normal(size=(6, 2, 3, 2, 3))
    y = F.conv3d(Tensor(x), Tensor(w), stride=(2, 1, 2), padding=1, dilation=(1, 2, 1), groups=2)
    g = rng.normal(size=y.shape)
    back = F.conv_transpose3d(Tensor(g), Tensor(w), stride=(2, 1, 2), padding=1,
                              output_padding=(0, 0, 1), dilation=(1, 2, 1), groups=2)
    assert back.shape == x.shape
    np.testing.assert_allclose((y.data * g).sum(), (x * back.data).sum(), rtol=1e-10)


def test_tiled_conv3d_matches_the_whole_layer_at_once(rng, monkeypatch):
    """Tiles of a volume's output (parts of a row, whole rows, whole planes) give the numbers
    of one tile covering everything."""
    from autograd.ops import conv as conv_ops
    x, w = t64(rng.normal(size=(2, 4, 5, 6, 7))), t64(rng.normal(size=(6, 2, 3, 2, 3)))
    whole = F.conv3d(x, w, stride=(1, 2, 1), padding=1, groups=2)
    g = rng.normal(size=whole.shape)
    whole_grads = grad(lambda x, w: (F.conv3d(x, w, stride=(1, 2, 1), padding=1, groups=2)
                                     * Tensor(g)).sum(), argnums=(0, 1))(x, w)
    per_position = (4 * 18 + 6) * 2 * 8
    for positions in (1, 3, 7 * 2, 7 * 4 * 2):     # part of a row, a row, rows, planes
        monkeypatch.setattr(conv_ops, "TILE_BYTES", positions * per_position)
        tiled = F.conv3d(x, w, stride=(1, 2, 1), padding=1, groups=2)
        np.testing.assert_allclose(tiled.data, whole.data, rtol=1e-12, atol=1e-12)
        grads = grad(lambda x, w: (F.conv3d(x, w, stride=(1, 2, 1), padding=1, groups=2)
                                   * Tensor(g)).sum(), argnums=(0, 1))(x, w)
        for ours, theirs in zip(grads, whole_grads):
            np.testing.assert_allclose(ours.data, theirs.data, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# The 3-d pools: finite differences
# ----------------------------------------------------------------------------------------------

POOL_CASES = [
    ("max", dict(kernel_size=2)),
    ("max", dict(kernel_size=(3, 2, 3), stride=(2, 1, 2), padding=(1, 1, 0), dilation=(1, 2, 1),
                 ceil_mode=True)),
    ("avg", dict(kernel_size=2)),
    ("avg", dict(kernel_size=(3, 2, 3), stride=(2, 1, 2), padding=(1, 1, 0), ceil_mode=True,
                 count_include_pad=False)),
    ("avg", dict(kernel_size=3, stride=2, padding=1, divisor_override=5)),
    ("adaptive_avg", dict(output_size=(3, None, 2))),
    ("adaptive_max", dict(output_size=(2, 3, 4))),
]
POOL_IDS = ["max", "max-strided-dilated-ceil", "avg", "avg-ceil-exclude-pad", "avg-divisor",
            "adaptive-avg", "adaptive-max"]
POOLS = {"max": F.max_pool3d, "avg": F.avg_pool3d, "adaptive_avg": F.adaptive_avg_pool3d,
         "adaptive_max": F.adaptive_max_pool3d}


@pytest.mark.parametrize("kind, options", POOL_CASES, ids=POOL_IDS)
@pytest.mark.parametrize("shape", [(2, 2, 5, 4, 6), (1, 1, 4, 5, 5)], ids=["batch", "batch-1"])
def test_pool3d_gradients_match_finite_differences(rng, kind, options, shape):
    x = t64(rng.normal(size=shape))          # distinct values: no ties for the maxima
    assert gradcheck(lambda x: POOLS[kind](x, **options), x)


def test_adaptive_pools_take_one_volume(rng):
    """(C, D, H, W), as PyTorch's adaptive pools take it: the batched result's first row."""
    x = rng.normal(size=(2, 3, 5, 4, 6))
    for pool in (nn.AdaptiveAvgPool3d((2, 3, None)), nn.AdaptiveMaxPool3d(2)):
        np.testing.assert_array_equal(pool(Tensor(x[0])).data, pool(Tensor(x)).data[0])


# ----------------------------------------------------------------------------------------------
# PyTorch's numbers: values and gradients for input, weight and bias
# ----------------------------------------------------------------------------------------------

def conv3d_inputs(rng, case):
    xs, ws = case[:2]
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
    y_shape = F.conv3d(Tensor(x), Tensor(w), None, *case[2:]).shape
    return dict(x=x, w=w, b=b, g=rng.normal(size=y_shape))


def conv3d_glassgrad(case, x, w, b, g):
    leaves = dict(x=t64(x), w=t64(w), b=t64(b))
    y = F.conv3d(*leaves.values(), *case[2:])
    y.backward(Tensor(g))
    return {"y": y.data, **{f"{k}.grad": t.grad for k, t in leaves.items()}}


def conv3d_torch(torch, case, x, w, b, g):
    leaves = {k: torch.tensor(a, requires_grad=True) for k, a in dict(x=x, w=w, b=b).items()}
    y = torch.nn.functional.conv3d(*leaves.values(), *case[2:])
    y.backward(torch.tensor(g))
    return {"y": as_array(y), **{f"{k}.grad": as_array(t.grad) for k, t in leaves.items()}}


def conv_transpose3d_inputs(rng, case):
    xs, ws, *_, groups = case
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[1] * groups)
    y_shape = conv_transpose3d_glassgrad(case, x, w, b, None)["y"].shape
    return dict(x=x, w=w, b=b, g=rng.normal(size=y_shape))


def conv_transpose3d_glassgrad(case, x, w, b, g):
    stride, padding, output_padding, dilation, groups = case[2:]
    leaves = dict(x=t64(x), w=t64(w), b=t64(b))
    y = F.conv_transpose3d(*leaves.values(), stride, padding, output_padding, groups, dilation)
    if g is None:
        return {"y": y.data}
    y.backward(Tensor(g))
    return {"y": y.data, **{f"{k}.grad": t.grad for k, t in leaves.items()}}


def conv_transpose3d_torch(torch, case, x, w, b, g):
    stride, padding, output_padding, dilation, groups = case[2:]
    leaves = {k: torch.tensor(a, requires_grad=True) for k, a in dict(x=x, w=w, b=b).items()}
    y = torch.nn.functional.conv_transpose3d(*leaves.values(), stride=stride, padding=padding,
                                             output_padding=output_padding, groups=groups,
                                             dilation=dilation)
    y.backward(torch.tensor(g))
    return {"y": as_array(y), **{f"{k}.grad": as_array(t.grad) for k, t in leaves.items()}}


def pool3d_inputs(rng, case):
    kind, options = case
    x = rng.normal(size=(2, 1, 5, 4, 4))
    return dict(x=x, g=rng.normal(size=POOLS[kind](Tensor(x), **options).shape))


def pool3d_glassgrad(case, x, g):
    kind, options = case
    leaf = t64(x)
    y = POOLS[kind](leaf, **options)
    y.backward(Tensor(g))
    return {"y": y.data, "x.grad": leaf.grad}


def pool3d_torch(torch, case, x, g):
    kind, options = case
    leaf = torch.tensor(x, requires_grad=True)
    y = getattr(torch.nn.functional, f"{kind}_pool3d")(leaf, **options)
    y.backward(torch.tensor(g))
    return {"y": as_array(y), "x.grad": as_array(leaf.grad)}


# layers without weights of their own to draw: the 3-d norms (weight and bias set from the
# inputs) in training and evaluation, and the 3-d padding layers, on a batch and on one volume
LAYER_CASES = [
    ("BatchNorm3d", (2,), {}, (2, 2, 3, 2, 3)),
    ("BatchNorm3d", (2,), dict(momentum=None), (1, 2, 2, 3, 2)),
    ("InstanceNorm3d", (2,), dict(affine=True, track_running_stats=True), (2, 2, 3, 2, 3)),
    ("InstanceNorm3d", (2,), {}, (2, 3, 2, 3)),
    ("ReflectionPad3d", ((1, 2, 0, 1, 2, 1),), {}, (1, 2, 3, 2, 3)),
    ("ReplicationPad3d", ((2, 1, 0, 1, 1, 0),), {}, (2, 3, 2, 3)),
    ("CircularPad3d", ((2, 0, 1, 1, 0, 3),), {}, (1, 1, 3, 2, 3)),
    ("ConstantPad3d", ((1, -1, 2, 0, 0, 1), 2.5), {}, (2, 3, 2, 3)),
    ("ZeroPad3d", (1,), {}, (1, 1, 2, 2, 3)),
]
LAYER_IDS = ["batchnorm", "batchnorm-cumulative-batch-1", "instancenorm-affine-running",
             "instancenorm-one-volume", "reflection", "replication-one-volume", "circular",
             "constant-cropping-one-volume", "zero"]


def layer3d_inputs(rng, case):
    name, args, options, shape = case
    x = rng.normal(size=shape)
    layer = getattr(nn, name)(*args, **options)
    weights = {k: rng.uniform(0.5, 1.5, np.shape(v)) for k, v in layer.state_dict().items()
               if k in ("weight", "bias")}
    return dict(x=x, g=rng.normal(size=layer(Tensor(x)).shape), **weights)


def layer3d_glassgrad(case, x, g, **weights):
    name, args, options, _ = case
    layer = getattr(nn, name)(*args, dtype=np.float64, **options) if weights or "Norm" in name \
        else getattr(nn, name)(*args, **options)
    for k, v in weights.items():
        getattr(layer, k).data[...] = v
    results, leaf = {}, t64(x)
    y = layer(leaf)
    y.backward(Tensor(g))
    results.update({"y": y.data, "x.grad": leaf.grad,
                    **{f"{k}.grad": getattr(layer, k).grad for k in weights}})
    if "Norm" in name:
        if layer.track_running_stats:
            results.update(running_mean=layer.running_mean.clone().numpy(),
                           running_var=layer.running_var.clone().numpy())
        layer.eval()
        results["eval.y"] = layer(t64(x)).data
    return results


def layer3d_torch(torch, case, x, g, **weights):
    name, args, options, _ = case
    layer = getattr(torch.nn, name)(*args, **options).double()
    with torch.no_grad():
        for k, v in weights.items():
            getattr(layer, k).copy_(torch.tensor(v))
    leaf = torch.tensor(x, requires_grad=True)
    y = layer(leaf)
    y.backward(torch.tensor(g))
    results = {"y": as_array(y), "x.grad": as_array(leaf.grad),
               **{f"{k}.grad": as_array(getattr(layer, k).grad) for k in weights}}
    if "Norm" in name:
        if layer.track_running_stats:
            results.update(running_mean=as_array(layer.running_mean),
                           running_var=as_array(layer.running_var))
        layer.eval()
        results["eval.y"] = as_array(layer(torch.tensor(x)))
    return results


# the convolutions recorded (the files stay small; `test_matches_pytorch_live` runs them all)
CONV_RECORDED, T_RECORDED = (1, 3, 4), (1, 2)


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/conv3d.npz: each case's inputs and PyTorch's results, under its id."""
    def ids(prefix, names):
        return [f"{prefix}-{name}" for name in names]
    return {
        **record_cases(ids("conv3d", [CONV_IDS[i] for i in CONV_RECORDED]),
                       [CONV_CASES[i] for i in CONV_RECORDED], conv3d_inputs,
                       functools.partial(conv3d_torch, torch)),
        **record_cases(ids("conv_transpose3d", [T_IDS[i] for i in T_RECORDED]),
                       [T_CASES[i] for i in T_RECORDED], conv_transpose3d_inputs,
                       functools.partial(conv_transpose3d_torch, torch)),
        **record_cases(ids("pool3d", POOL_IDS), POOL_CASES, pool3d_inputs,
                       functools.partial(pool3d_torch, torch)),
        **record_cases(ids("layer3d", LAYER_IDS), LAYER_CASES, layer3d_inputs,
                       functools.partial(layer3d_torch, torch)),
    }


RECORDED = (
    [(f"conv3d-{CONV_IDS[i]}", CONV_CASES[i], conv3d_glassgrad, ("x", "w", "b", "g"))
     for i in CONV_RECORDED] +
    [(f"conv_transpose3d-{T_IDS[i]}", T_CASES[i], conv_transpose3d_glassgrad,
      ("x", "w", "b", "g")) for i in T_RECORDED] +
    [(f"pool3d-{i}", c, pool3d_glassgrad, ("x", "g")) for i, c in zip(POOL_IDS, POOL_CASES)] +
    [(f"layer3d-{i}", c, layer3d_glassgrad, None) for i, c in zip(LAYER_IDS, LAYER_CASES)])


@pytest.mark.parametrize("case_id, case, ours, inputs", RECORDED, ids=[r[0] for r in RECORDED])
def test_matches_pytorchs_recorded_numbers(case_id, case, ours, inputs):
    theirs = recorded_case("conv3d", case_id)
    if inputs is None:                       # a layer's: x, g and the weights it has
        inputs = tuple(k for k in ("x", "g", "weight", "bias") if k in theirs)
        arguments = {k: theirs[k] for k in inputs}
        results = ours(case, **arguments)
    else:
        results = ours(case, *(theirs[name] for name in inputs))
    assert_matches(results, theirs, rtol=1e-10, atol=1e-10, inputs=inputs)


def test_matches_pytorch_live(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    for case in CONV_CASES:
        inputs = conv3d_inputs(rng, case)
        assert_matches(conv3d_glassgrad(case, **inputs), conv3d_torch(torch, case, **inputs),
                       rtol=1e-10, atol=1e-10)
    for case in T_CASES:
        inputs = conv_transpose3d_inputs(rng, case)
        assert_matches(conv_transpose3d_glassgrad(case, **inputs),
                       conv_transpose3d_torch(torch, case, **inputs), rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------------------------
# Layers: PyTorch's parameters, initialisation, reprs; errors that name the layer and shapes
# ----------------------------------------------------------------------------------------------

def test_conv3d_layer_parameters_initialisation_and_repr():
    conv = nn.Conv3d(4, 6, (3, 2, 3), stride=(1, 2, 2), padding=1, groups=2,
                     rng=np.random.default_rng(0))
    assert {k: np.shape(v) for k, v in conv.state_dict().items()} == \
        {"weight": (6, 2, 3, 2, 3), "bias": (6,)}             # PyTorch's names and shapes
    bound = 1 / math.sqrt(2 * 3 * 2 * 3)                     # U(±1/√fan_in), as PyTorch
    assert 0.95 * bound < np.abs(conv.weight.data).max() <= bound    # (216 draws fill it)
    assert np.abs(conv.bias.data).max() <= bound
    assert repr(conv) == ("Conv3d(4, 6, kernel_size=(3, 2, 3), stride=(1, 2, 2), "
                          "padding=(1, 1, 1), groups=2)")
    up = nn.ConvTranspose3d(4, 6, 2, stride=2, groups=2, bias=False,
                            rng=np.random.default_rng(0))
    assert {k: np.shape(v) for k, v in up.state_dict().items()} == {"weight": (4, 3, 2, 2, 2)}
    assert 0.9 / math.sqrt(3 * 8) < np.abs(up.weight.data).max() <= 1 / math.sqrt(3 * 8)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv3d_layer_gradients_match_finite_differences(rng, mode):
    conv = nn.Conv3d(2, 3, (2, 3, 2), padding="same", padding_mode=mode, dtype=np.float64)
    x = t64(rng.normal(size=(1, 2, 3, 4, 3)))
    assert conv(x).shape == (1, 3, 3, 4, 3)
    assert gradcheck(lambda x, w, b: F.conv3d(F.pad(x, (0, 1, 1, 1, 0, 1),
                                                    "constant" if mode == "zeros" else mode),
                                              w, b), x, t64(conv.weight.data), t64(conv.bias.data))
    np.testing.assert_allclose(conv(x).data, F.conv3d(
        F.pad(x, (0, 1, 1, 1, 0, 1), "constant" if mode == "zeros" else mode),
        conv.weight, conv.bias).data, rtol=1e-12)


def test_conv_transpose3d_layer_output_size():
    down = nn.Conv3d(2, 4, 3, stride=2, padding=1)
    up = nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1)
    x = Tensor(np.zeros((1, 2, 6, 7, 8)))
    assert up(down(x)).shape == (1, 2, 5, 7, 7)
    assert up(down(x), output_size=x.shape).shape == x.shape
    with pytest.raises(ValueError, match=r"ConvTranspose3d\(.*output_size \(9, 7, 8\) cannot "
                                         r"come out of an input .* \(5, 7, 7\) to \(6, 8, 8\)"):
        up(down(x), output_size=(9, 7, 8))


def test_batchnorm3d_and_instancenorm3d_state_and_repr():
    bn = nn.BatchNorm3d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert repr(bn) == ("BatchNorm3d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")
    assert list(nn.InstanceNorm3d(4).state_dict()) == []


@pytest.mark.parametrize("layer, shape, message", [
    (nn.Conv3d(3, 8, 3), (3, 16, 32, 32),
     r"Conv3d\(3, 8, .*\): expected a 5-d input \(N, C, D, H, W\), got shape \(3, 16, 32, 32\); "
     r"for one volume of 3 channels add a batch dimension: x.reshape\(1, 3, 16, 32, 32\)"),
    (nn.Conv3d(1, 8, 3), (4, 16, 32, 32),
     r"for a batch of 4 one-channel volumes: x.reshape\(-1, 1, 16, 32, 32\)"),
    (nn.Conv3d(3, 8, 3), (2, 16, 32, 32, 3),
     r"input has 16 channels .* channels-last volumes .* x.transpose\(0, 4, 1, 2, 3\)"),
    (nn.Conv3d(2, 4, (3, 5, 5)), (1, 2, 2, 9, 9),
     r"Conv3d\(2, 4, .*\): the input of shape \(1, 2, 2, 9, 9\) \(D, H, W padded: "
     r"\(2, 9, 9\)\) is smaller than the kernel, which spans \(3, 5, 5\)"),
    (nn.ConvTranspose3d(2, 4, 3), (2, 5, 5, 5),
     r"ConvTranspose3d\(2, 4, .*\): expected a 5-d input \(N, C, D, H, W\)"),
    (nn.MaxPool3d(2), (3, 4, 4, 4), r"MaxPool3d\(.*\): expected a 5-d input \(N, C, D, H, W\)"),
    (nn.AvgPool3d(2), (1, 3, 4, 4), r"AvgPool3d\(.*\): expected a 5-d input"),
    (nn.AdaptiveAvgPool3d(2), (3, 4, 4),
     r"AdaptiveAvgPool3d\(output_size=2\): expected a 4-d \(C, D, H, W\) or 5-d"),
    (nn.BatchNorm3d(3), (3, 4, 4, 4), r"BatchNorm3d\(3, .*\): expected a 5-d input"),
    (nn.InstanceNorm3d(3, affine=True), (2, 3, 4, 4),
     r"InstanceNorm3d\(3, .*\): expected 3 channels on axis 0 of \(C, D, H, W\)"),
    (nn.InstanceNorm3d(3, affine=True), (2, 4, 4, 4, 3),
     r"expected 3 channels on axis 1 .* channels-last volumes .* x.transpose\(0, 4, 1, 2, 3\)"),
    (nn.InstanceNorm3d(3, affine=True), (4, 4, 4, 3),
     r"expected 3 channels on axis 0 .* with channels last \(D, H, W, C\): make it "
     r"\(C, D, H, W\) with x.transpose\(3, 0, 1, 2\)"),
    (nn.ReflectionPad3d(1), (4, 4, 4),
     r"ReflectionPad3d\(.*\): expected a 4-d or 5-d input \(C, D, H, W\) or \(N, C, D, H, W\)"),
])
def test_errors_name_the_layer_and_the_shapes(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(Tensor(np.zeros(shape)))


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv3d(2, 4, (3, 3)), r"Conv3d: kernel_size must be an int >= 1 or a triple"),
    (lambda: nn.Conv3d(2, 4, 3, stride=2, padding="same"), r"Conv3d: padding='same' needs"),
    (lambda: nn.MaxPool3d(2, padding=2), r"MaxPool3d: padding 2 must be at most half"),
    (lambda: nn.AvgPool3d((2, 2, 2), stride=(1, 1)), r"AvgPool3d: stride must be"),
    (lambda: nn.AdaptiveMaxPool3d((2, 2)), r"AdaptiveMaxPool3d: output_size must be an int >= 1 "
                                           r"or a triple"),
    (lambda: nn.ConvTranspose3d(2, 4, 3, stride=2, output_padding=2),
     r"ConvTranspose3d: output_padding \(2, 2, 2\) must be smaller than the stride"),
    (lambda: nn.ZeroPad3d((1, 2)), r"ZeroPad3d: padding must be an int or a tuple of 6 ints"),
])
def test_bad_settings_fail_when_the_layer_is_made(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_pool_layers_name_themselves_when_the_volume_is_too_small():
    """(The 2-d pool layers too: their errors named the function, max_pool2d, before.)"""
    with pytest.raises(ValueError, match=r"^MaxPool3d\(kernel_size=4, .*\): the input of shape "
                                         r"\(1, 1, 2, 8, 8\) \(D, H, W padded: \(2, 8, 8\)\) is "
                                         r"smaller than the kernel, which spans \(4, 4, 4\)"):
        nn.MaxPool3d(4)(Tensor(np.zeros((1, 1, 2, 8, 8))))
    with pytest.raises(ValueError, match=r"^AvgPool3d\(kernel_size=\(3, 1, 1\), .*\): the input"):
        nn.AvgPool3d((3, 1, 1))(Tensor(np.zeros((1, 1, 2, 8, 8))))
    with pytest.raises(ValueError, match=r"^MaxPool2d\(kernel_size=4, .*\): the input of shape "
                                         r"\(1, 1, 2, 8\) \(H, W padded: \(2, 8\)\)"):
        nn.MaxPool2d(4)(Tensor(np.zeros((1, 1, 2, 8))))
    with pytest.raises(ValueError, match=r"^AvgPool2d\(kernel_size=3, .*\): the input"):
        nn.AvgPool2d(3)(Tensor(np.zeros((1, 1, 2, 8))))


def test_functions_check_their_arguments():
    x = Tensor(np.zeros((1, 2, 4, 4, 4)))
    with pytest.raises(ValueError, match=r"conv3d: weight must be 5-d \(out_channels, "
                                         r"in_channels/groups, kd, kh, kw\)"):
        F.conv3d(x, Tensor(np.zeros((3, 2, 3, 3))))
    with pytest.raises(ValueError, match=r"conv3d: input has 2 channels .* expects 4"):
        F.conv3d(x, Tensor(np.zeros((3, 4, 1, 1, 1))))
    with pytest.raises(ValueError, match=r"max_pool3d: expected a 5-d input \(N, C, D, H, W\), "
                                         r"got shape \(2, 4, 4, 4\)"):
        F.max_pool3d(Tensor(np.zeros((2, 4, 4, 4))), 2)
    with pytest.raises(ValueError, match=r"avg_pool3d: stride must be an int >= 1 or a triple"):
        F.avg_pool3d(x, 2, stride=(1, 2))
