"""Property tests (hypothesis) for the convolutions and pools (`nn.conv`'s layers and their
functions in `autograd.functional`) over random small settings: stride, padding, dilation,
groups, output_padding, kernel sizes, ceil_mode, count_include_pad, batches of one and more.

Properties: the output shape is PyTorch's documented formula; gradients match central finite
differences in float64; a conv with a one-hot kernel shifts its input; conv_transpose is conv's
adjoint (<conv(x, w), y> = <x, conv_transpose(y, w)>); avg pooling is the mean of each window
(naive loops); adaptive pooling to the input's own size is the identity.

Settings come from the "glassgrad" profile in conftest (deterministic, no example database);
each test asks for a small number of examples on tiny shapes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd.functional as AF
import nn
from autograd import gradcheck

from conftest import t64

EXAMPLES = 20


def conv_size(n: int, k: int, s: int, p: int, d: int) -> int:
    """PyTorch's documented output size of a convolution along one axis."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def transposed_size(n: int, k: int, s: int, p: int, o: int, d: int) -> int:
    """PyTorch's documented output size of a transposed convolution along one axis."""
    return (n - 1) * s - 2 * p + d * (k - 1) + o + 1


def pool_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's documented output size of a max/avg pool along one axis: rounded up with
    ceil_mode, but the last window must start inside the input or its left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


@st.composite
def conv_settings(draw, axes: int) -> dict:
    """A convolution that fits its input: per axis (size, kernel, stride, padding, dilation),
    and batch, groups, channels."""
    groups = draw(st.integers(1, 2))
    setting = {"n": draw(st.integers(1, 2)), "groups": groups,
               "c": groups * draw(st.integers(1, 2)), "o": groups * draw(st.integers(1, 2)),
               "size": [], "kernel": [], "stride": [], "padding": [], "dilation": []}
    for _ in range(axes):
        k, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        p = draw(st.integers(0, 2))
        reach = d * (k - 1) + 1
        setting["size"].append(draw(st.integers(max(1, reach - 2 * p), reach + 3)))
        setting["kernel"].append(k)
        setting["stride"].append(draw(st.integers(1, 3)))
        setting["padding"].append(p)
        setting["dilation"].append(d)
    return setting


def _options(setting: dict, axes: int) -> dict:
    one = (lambda v: v[0]) if axes == 1 else tuple
    return {"stride": one(setting["stride"]), "padding": one(setting["padding"]),
            "dilation": one(setting["dilation"]), "groups": setting["groups"]}


CONV = {1: AF.conv1d, 2: AF.conv2d}
CONV_TRANSPOSE = {1: AF.conv_transpose1d, 2: AF.conv_transpose2d}


@settings(max_examples=EXAMPLES)
@given(axes=st.sampled_from([1, 2]), data=st.data(), seed=st.integers(0, 2 ** 16))
def test_conv_output_shape_is_the_formula_and_gradients_match_finite_differences(axes, data,
                                                                                 seed):
    s = data.draw(conv_settings(axes))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(s["n"], s["c"], *s["size"]))
    w = rng.normal(size=(s["o"], s["c"] // s["groups"], *s["kernel"]))
    b = rng.normal(size=s["o"])
    options = _options(s, axes)
    y = CONV[axes](t64(x), t64(w), t64(b), **options)
    assert y.shape == (s["n"], s["o"]) + tuple(
        conv_size(*a) for a in zip(s["size"], s["kernel"], s["stride"], s["padding"],
                                   s["dilation"]))
    assert gradcheck(lambda x, w, b: CONV[axes](x, w, b, **options), t64(x), t64(w), t64(b))


@settings(max_examples=EXAMPLES)
@given(axes=st.sampled_from([1, 2]), data=st.data(), seed=st.integers(0, 2 ** 16))
def test_padding_same_keeps_the_size_as_the_zero_padded_valid_conv(axes, data, seed):
    """padding="same" (stride 1): the output has the input's size and equals the unpadded
    conv of x zero-padded by d·(k - 1) // 2 before and the rest after (PyTorch's split, the
    odd one at the end); finite differences agree."""
    s = data.draw(conv_settings(axes))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(s["n"], s["c"], *s["size"]))
    w = rng.normal(size=(s["o"], s["c"] // s["groups"], *s["kernel"]))
    b = rng.normal(size=s["o"])
    dilation = s["dilation"][0] if axes == 1 else tuple(s["dilation"])
    options = {"padding": "same", "dilation": dilation, "groups": s["groups"]}
    y = CONV[axes](t64(x), t64(w), t64(b), **options)
    assert y.shape == (s["n"], s["o"], *s["size"])
    total = [d * (k - 1) for k, d in zip(s["kernel"], s["dilation"])]
    padded = np.pad(x, [(0, 0), (0, 0)] + [(t // 2, t - t // 2) for t in total])
    valid = CONV[axes](t64(padded), t64(w), t64(b), dilation=dilation, groups=s["groups"])
    np.testing.assert_allclose(y.data, valid.data, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w, b: CONV[axes](x, w, b, **options), t64(x), t64(w), t64(b))


@settings(max_examples=EXAMPLES)
@given(axes=st.sampled_from([1, 2]), data=st.data(), seed=st.integers(0, 2 ** 16))
def test_a_conv_with_a_one_hot_kernel_shifts_its_input(axes, data, seed):
    """Weight 1 at one tap (output channel o, input channel i of o's group, kernel cell t),
    0 elsewhere: output channel o is input channel (group of o)·C/g + i, zero-padded, read at
    position out·stride + t·dilation; every other output channel is 0."""
    s = data.draw(conv_settings(axes))
    per_group_in, per_group_out = s["c"] // s["groups"], s["o"] // s["groups"]
    o = data.draw(st.integers(0, s["o"] - 1))
    i = data.draw(st.integers(0, per_group_in - 1))
    tap = tuple(data.draw(st.integers(0, k - 1)) for k in s["kernel"])
    x = np.random.default_rng(seed).normal(size=(s["n"], s["c"], *s["size"]))
    w = np.zeros((s["o"], per_group_in, *s["kernel"]))
    w[(o, i) + tap] = 1.0
    y = CONV[axes](t64(x), t64(w), **_options(s, axes)).data
    source = (o // per_group_out) * per_group_in + i
    padded = np.pad(x[:, source], [(0, 0)] + [(p, p) for p in s["padding"]])
    index = tuple(np.arange(out) * st_ + t * d for out, st_, t, d in
                  zip(y.shape[2:], s["stride"], tap, s["dilation"]))
    expected = padded[(slice(None),) + np.ix_(*index)]
    np.testing.assert_array_equal(y[:, o], expected)
    np.testing.assert_array_equal(np.delete(y, o, axis=1), 0.0)


@settings(max_examples=EXAMPLES)
@given(axes=st.sampled_from([1, 2]), data=st.data(), seed=st.integers(0, 2 ** 16))
def test_conv_transpose_is_the_adjoint_of_conv_and_its_shape_the_formula(axes, data, seed):
    """For conv's settings, conv_transpose with the output_padding that gives back x's size is
    conv's adjoint; its gradients match finite differences (with a bias too)."""
    s = data.draw(conv_settings(axes))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(s["n"], s["c"], *s["size"]))
    w = rng.normal(size=(s["o"], s["c"] // s["groups"], *s["kernel"]))
    options = _options(s, axes)
    y = CONV[axes](t64(x), t64(w), **options)
    output_padding = [n - transposed_size(m, k, st_, p, 0, d) for n, m, k, st_, p, d in zip(
        s["size"], y.shape[2:], s["kernel"], s["stride"], s["padding"], s["dilation"])]
    assert all(0 <= op < st_ for op, st_ in zip(output_padding, s["stride"]))
    options["output_padding"] = output_padding[0] if axes == 1 else tuple(output_padding)
    v = rng.normal(size=y.shape)
    back = CONV_TRANSPOSE[axes](t64(v), t64(w), **options)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(y.data * v), np.sum(x * back.data), rtol=1e-10,
                               atol=1e-10)
    # the transposed convolution on its own, output_padding up to max(stride, dilation) - 1
    wt = rng.normal(size=(s["c"], s["o"] // s["groups"], *s["kernel"]))
    bt = rng.normal(size=s["o"])
    output_padding = [data.draw(st.integers(0, max(st_, d) - 1))
                      for st_, d in zip(s["stride"], s["dilation"])]
    options["output_padding"] = output_padding[0] if axes == 1 else tuple(output_padding)
    sizes = tuple(transposed_size(*a) for a in zip(s["size"], s["kernel"], s["stride"],
                                                   s["padding"], output_padding, s["dilation"]))
    if min(sizes) < 1:                       # the padding cuts away all of the output
        with pytest.raises(ValueError, match="leaves no output"):
            CONV_TRANSPOSE[axes](t64(x), t64(wt), t64(bt), **options)
        return
    out = CONV_TRANSPOSE[axes](t64(x), t64(wt), t64(bt), **options)
    assert out.shape == (s["n"], s["o"]) + sizes
    assert gradcheck(lambda x, w, b: CONV_TRANSPOSE[axes](x, w, b, **options),
                     t64(x), t64(wt), t64(bt))


# ----------------------------------------------------------------------------------------------
# Pools
# ----------------------------------------------------------------------------------------------

@st.composite
def pool_settings(draw, axes: int, dilation: bool) -> dict:
    """A pool that fits its input: per axis (size, kernel, stride, padding <= kernel / 2,
    dilation), ceil_mode, count_include_pad."""
    setting = {"n": draw(st.integers(1, 2)), "c": draw(st.integers(1, 2)),
               "ceil_mode": draw(st.booleans()), "count_include_pad": draw(st.booleans()),
               "size": [], "kernel": [], "stride": [], "padding": [], "dilation": []}
    for _ in range(axes):
        k = draw(st.integers(1, 3))
        d = draw(st.integers(1, 2)) if dilation else 1
        p = draw(st.integers(0, k // 2))
        reach = d * (k - 1) + 1
        setting["size"].append(draw(st.integers(max(1, reach - 2 * p), reach + 4)))
        setting["kernel"].append(k)
        setting["stride"].append(draw(st.integers(1, 3)))
        setting["padding"].append(p)
        setting["dilation"].append(d)
    return setting


def _windows(setting: dict, out_shape: tuple):
    """For every output position: the input cells of its window, each as (index per axis,
    inside the input?, inside the padded input?)."""
    for position in np.ndindex(*out_shape):
        cells = []
        for tap in np.ndindex(*setting["kernel"]):
            index = tuple(o * s - p + t * d for o, s, p, t, d in zip(
                position, setting["stride"], setting["padding"], tap, setting["dilation"]))
            inside = all(0 <= i < n for i, n in zip(index, setting["size"]))
            padded = all(-p <= i < n + p for i, n, p in zip(index, setting["size"],
                                                            setting["padding"]))
            cells.append((index, inside, padded))
        yield position, cells


def _pool_options(setting: dict, axes: int, kind: str) -> dict:
    one = (lambda v: v[0]) if axes == 1 else tuple
    options = {"kernel_size": one(setting["kernel"]), "stride": one(setting["stride"]),
               "padding": one(setting["padding"]), "ceil_mode": setting["ceil_mode"]}
    if kind == "max":
        options["dilation"] = one(setting["dilation"])
    else:
        options["count_include_pad"] = setting["count_include_pad"]
    return options


POOL = {("max", 1): AF.max_pool1d, ("max", 2): AF.max_pool2d,
        ("avg", 1): AF.avg_pool1d, ("avg", 2): AF.avg_pool2d}


@settings(max_examples=25)
@given(kind=st.sampled_from(["max", "avg"]), axes=st.sampled_from([1, 2]), data=st.data(),
       seed=st.integers(0, 2 ** 16))
def test_pools_shape_values_and_gradients(kind, axes, data, seed):
    """The output shape is PyTorch's formula (ceil_mode included); each output is the max, or
    the mean (divided by the window's cells in the padded input, or with
    count_include_pad=False in the input), of its window, by loops; gradients match finite
    differences (distinct values, so that no window's maximum is a tie)."""
    s = data.draw(pool_settings(axes, dilation=kind == "max"))
    rng = np.random.default_rng(seed)
    shape = (s["n"], s["c"], *s["size"])
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)
    options = _pool_options(s, axes, kind)
    y = POOL[kind, axes](t64(x), **options)
    out_shape = tuple(pool_size(*a, s["ceil_mode"]) for a in zip(
        s["size"], s["kernel"], s["stride"], s["padding"], s["dilation"]))
    assert y.shape == (s["n"], s["c"]) + out_shape
    expected = np.empty(y.shape)
    for position, cells in _windows(s, out_shape):
        values = [x[(..., *index)] for index, inside, _ in cells if inside]
        if kind == "max":
            expected[(..., *position)] = np.max(values, axis=0)
        else:
            counted = sum(inside if not s["count_include_pad"] else padded
                          for _, inside, padded in cells)
            expected[(..., *position)] = np.sum(values, axis=0) / counted
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x: POOL[kind, axes](x, **options), t64(x))


ADAPTIVE = {("max", 1): AF.adaptive_max_pool1d, ("max", 2): AF.adaptive_max_pool2d,
            ("avg", 1): AF.adaptive_avg_pool1d, ("avg", 2): AF.adaptive_avg_pool2d}


@settings(max_examples=25)
@given(kind=st.sampled_from(["max", "avg"]), axes=st.sampled_from([1, 2]),
       batched=st.booleans(), sizes=st.lists(st.integers(1, 5), min_size=2, max_size=2),
       outs=st.lists(st.integers(1, 4), min_size=2, max_size=2), seed=st.integers(0, 2 ** 16))
def test_adaptive_pools_windows_identity_and_gradients(kind, axes, batched, sizes, outs, seed):
    """Batched or one unbatched sample: output i averages (or takes the max of) the cells
    floor(i·n/out) to ceil((i + 1)·n/out); pooling to the input's own size is the identity;
    gradients match finite differences."""
    rng = np.random.default_rng(seed)
    sizes, outs = sizes[:axes], outs[:axes]
    shape = ((2,) if batched else ()) + (2, *sizes)
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)
    pool = ADAPTIVE[kind, axes]
    output_size = outs[0] if axes == 1 else tuple(outs)
    y = pool(t64(x), output_size)
    assert y.shape == shape[:-axes] + tuple(outs)
    expected = np.empty(y.shape)
    reduce = np.max if kind == "max" else np.mean
    for position in np.ndindex(*outs):
        window = tuple(slice(i * n // out, -(-(i + 1) * n // out))
                       for i, n, out in zip(position, sizes, outs))
        expected[(..., *position)] = reduce(x[(..., *window)], axis=tuple(range(-axes, 0)))
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    same = pool(t64(x), sizes[0] if axes == 1 else tuple(sizes))
    np.testing.assert_array_equal(same.data, x)
    assert gradcheck(lambda x: pool(x, output_size), t64(x))


@settings(max_examples=15)
@given(data=st.data(), mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
       seed=st.integers(0, 2 ** 16))
def test_conv2d_layer_with_a_padding_mode_is_pad_then_an_unpadded_conv(data, mode, seed):
    """nn.Conv2d(padding_mode=m) = conv2d(pad(x, m), weight, bias), stride and dilation kept;
    the layer's gradients (input, weight, bias) match finite differences."""
    s = data.draw(conv_settings(2))
    reach = [d * (k - 1) + 1 for k, d in zip(s["kernel"], s["dilation"])]
    s["size"] = [data.draw(st.integers(r, r + 2)) for r in reach]      # fits unpadded
    # reflect needs each width below the axis's size (the others at most the size)
    ph, pw = (data.draw(st.integers(0, min(2, n - (mode == "reflect")))) for n in s["size"])
    layer = nn.Conv2d(s["c"], s["o"], tuple(s["kernel"]), tuple(s["stride"]), (ph, pw),
                      tuple(s["dilation"]), s["groups"], padding_mode=mode, dtype=np.float64,
                      rng=np.random.default_rng(seed))
    x = np.random.default_rng(seed + 1).normal(size=(s["n"], s["c"], *s["size"]))
    padded = AF.pad(t64(x), (pw, pw, ph, ph), "constant" if mode == "zeros" else mode)
    expected = AF.conv2d(padded, layer.weight, layer.bias, tuple(s["stride"]), 0,
                         tuple(s["dilation"]), s["groups"])
    y = layer(t64(x))
    np.testing.assert_allclose(y.data, expected.data, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w, b: AF.conv2d(AF.pad(x, (pw, pw, ph, ph),
                                                      "constant" if mode == "zeros" else mode),
                                               w, b, tuple(s["stride"]), 0,
                                               tuple(s["dilation"]), s["groups"]),
                     t64(x), t64(layer.weight.data), t64(layer.bias.data))


@settings(max_examples=EXAMPLES)
@given(axes=st.sampled_from([1, 2]), data=st.data())
def test_an_empty_batch_gives_the_formula_s_empty_shape_and_an_empty_gradient(axes, data):
    """N = 0 through every convolution and pool: outputs of the formulas' shapes with N = 0,
    gradients of the input's shape (as PyTorch)."""
    s = data.draw(conv_settings(axes))
    p = data.draw(pool_settings(axes, dilation=True))
    x = t64(np.zeros((0, s["c"], *s["size"])))
    w = t64(np.ones((s["o"], s["c"] // s["groups"], *s["kernel"])))
    wt = t64(np.ones((s["c"], s["o"] // s["groups"], *s["kernel"])))
    sizes = zip(s["size"], s["kernel"], s["stride"], s["padding"], s["dilation"])
    options = _options(s, axes)
    outputs = {"conv": (CONV[axes](x, w, **options),
                        (0, s["o"]) + tuple(conv_size(*a) for a in sizes))}
    sizes = tuple(transposed_size(n, k, st_, p_, 0, d) for n, k, st_, p_, d in zip(
        s["size"], s["kernel"], s["stride"], s["padding"], s["dilation"]))
    if min(sizes) >= 1:
        outputs["conv_transpose"] = CONV_TRANSPOSE[axes](x, wt, **options), (0, s["o"]) + sizes
    y = t64(np.zeros((0, p["c"], *p["size"])))
    for kind in ("max", "avg"):
        dilation = p["dilation"] if kind == "max" else [1] * axes      # (avg has none)
        outputs[kind] = POOL[kind, axes](y, **_pool_options(p, axes, kind)), (0, p["c"]) + \
            tuple(pool_size(*a, p["ceil_mode"]) for a in zip(p["size"], p["kernel"],
                                                             p["stride"], p["padding"], dilation))
        outputs["adaptive " + kind] = ADAPTIVE[kind, axes](y, 2 if axes == 1 else (2, 1)), \
            (0, p["c"]) + ((2,) if axes == 1 else (2, 1))
    for name, (out, shape) in outputs.items():
        assert out.shape == shape, name
        out.sum().backward()
    assert x.grad.shape == x.shape and y.grad.shape == y.shape
