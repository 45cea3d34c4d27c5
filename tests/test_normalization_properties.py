"""Property tests (hypothesis) for the normalisations of `nn.normalization` over random small
shapes: `group_norm` / `GroupNorm`, `instance_norm` / `InstanceNorm1d` / `InstanceNorm2d`
(batched and unbatched, running statistics), `layer_norm` / `LayerNorm`, `rms_norm` / `RMSNorm`.

Properties: each equals its formula computed in numpy (statistics of the right axes, biased
variance, weight and bias per channel or per normalised element); the layers equal their
functions; instance norm is group norm with one group per channel, and its running statistics
move by momentum towards the batch's average of the instances' means and unbiased variances;
gradients match central finite differences in float64.

Settings come from the "glassgrad" profile in conftest (deterministic, no example database).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import gradcheck
from nn.functional import group_norm, instance_norm, layer_norm, rms_norm

from conftest import t64

EXAMPLES = 20
SPATIAL = st.lists(st.integers(1, 3), min_size=0, max_size=2)


def _normalised(x: np.ndarray, axes: tuple, eps: float) -> np.ndarray:
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def _per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    return v.reshape((1, -1) + (1,) * (ndim - 2))


@settings(max_examples=EXAMPLES)
@given(n=st.integers(1, 2), groups=st.integers(1, 3), per_group=st.integers(1, 2),
       spatial=SPATIAL, eps=st.sampled_from([1e-5, 0.1]), seed=st.integers(0, 2 ** 16))
def test_group_norm_is_its_formula_the_layer_and_differentiates(n, groups, per_group,
                                                                 spatial, eps, seed):
    rng = np.random.default_rng(seed)
    channels = groups * per_group
    x = rng.normal(2.0, 3.0, size=(n, channels, *spatial))
    weight, bias = rng.normal(size=channels), rng.normal(size=channels)
    if x.size // groups == 1:               # one value per group in all: refused (PyTorch too)
        with pytest.raises(ValueError, match="one value per group"):
            group_norm(t64(x), groups, t64(weight), t64(bias), eps)
        return
    grouped = x.reshape(n, groups, -1)
    expected = _normalised(grouped, (2,), eps).reshape(x.shape)
    expected = expected * _per_channel(weight, x.ndim) + _per_channel(bias, x.ndim)
    y = group_norm(t64(x), groups, t64(weight), t64(bias), eps)
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-12)
    layer = nn.GroupNorm(groups, channels, eps=eps, dtype=np.float64)
    layer.weight.data[...], layer.bias.data[...] = weight, bias
    np.testing.assert_allclose(layer(t64(x)).data, y.data, rtol=1e-13, atol=1e-13)
    assert gradcheck(lambda x, w, b: group_norm(x, groups, w, b, eps), t64(x), t64(weight),
                     t64(bias))


@settings(max_examples=EXAMPLES)
@given(n=st.integers(1, 2), channels=st.integers(1, 3), axes=st.sampled_from([1, 2]),
       sizes=st.lists(st.integers(1, 3), min_size=2, max_size=2), batched=st.booleans(),
       momentum=st.sampled_from([0.1, 0.5]), seed=st.integers(0, 2 ** 16))
def test_instance_norm_is_group_norm_per_channel_with_pytorch_running_statistics(
        n, channels, axes, sizes, batched, momentum, seed):
    """The function (batched) and the layers (batched or one unbatched sample, affine,
    tracking running statistics) normalise each channel of each sample over its own values;
    the running statistics move by momentum towards the batch's average of the instances'
    means and unbiased variances; gradients match finite differences."""
    rng = np.random.default_rng(seed)
    sizes = sizes[:axes]
    if math.prod(sizes) < 2:
        sizes[-1] += 1                              # one value per instance: refused (tested
    shape = (n, channels, *sizes)                   # elsewhere)
    x = rng.normal(1.0, 2.0, size=shape)
    weight, bias = rng.normal(size=channels), rng.normal(size=channels)
    spread = tuple(range(2, x.ndim))
    expected = _normalised(x, spread, 1e-5) * _per_channel(weight, x.ndim) \
        + _per_channel(bias, x.ndim)
    mean, var = np.zeros(channels), np.ones(channels)
    y = instance_norm(t64(x), mean, var, t64(weight), t64(bias), momentum=momentum)
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.data, group_norm(t64(x), channels, t64(weight),
                                                  t64(bias)).data, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(mean, momentum * x.mean(spread).mean(0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(var, (1 - momentum) + momentum * x.var(spread, ddof=1).mean(0),
                               rtol=1e-12)
    layer = (nn.InstanceNorm1d if axes == 1 else nn.InstanceNorm2d)(
        channels, affine=True, track_running_stats=True, momentum=momentum, dtype=np.float64)
    layer.weight.data[...], layer.bias.data[...] = weight, bias
    sample = x if batched else x[0]
    out = layer(t64(sample)).data
    np.testing.assert_allclose(out, expected if batched else expected[0], rtol=1e-10,
                               atol=1e-12)
    seen = x if batched else x[:1]
    np.testing.assert_allclose(layer.running_mean, momentum * seen.mean(spread).mean(0),
                               rtol=1e-12, atol=1e-15)
    assert gradcheck(lambda x, w, b: instance_norm(x, weight=w, bias=b), t64(x), t64(weight),
                     t64(bias))


@settings(max_examples=EXAMPLES)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=4), data=st.data(),
       affine=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_layer_norm_is_its_formula_the_layer_and_differentiates(shape, data, affine, seed):
    """Over the last len(normalized_shape) axes, each sample's own mean and biased variance;
    weight and bias of normalized_shape; LayerNorm the same; finite differences agree."""
    rng = np.random.default_rng(seed)
    trailing = data.draw(st.integers(1, len(shape)))
    normalized = tuple(shape[-trailing:])
    x = rng.normal(-1.0, 2.0, size=shape)
    weight, bias = (rng.normal(size=normalized), rng.normal(size=normalized)) if affine \
        else (None, None)
    axes = tuple(range(-trailing, 0))
    expected = _normalised(x, axes, 1e-5)
    if affine:
        expected = expected * weight + bias
    wrap = (lambda v: None if v is None else t64(v))
    y = layer_norm(t64(x), normalized, wrap(weight), wrap(bias))
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-12)
    layer = nn.LayerNorm(normalized, elementwise_affine=affine, dtype=np.float64)
    if affine:
        layer.weight.data[...], layer.bias.data[...] = weight, bias
    np.testing.assert_allclose(layer(t64(x)).data, y.data, rtol=1e-13, atol=1e-13)
    if math.prod(normalized) > 1:       # (one value normalises to 0, a constant: no slope)
        inputs = (t64(x), wrap(weight), wrap(bias)) if affine else (t64(x),)
        assert gradcheck(lambda x, *wb: layer_norm(x, normalized, *wb), *inputs)


@settings(max_examples=EXAMPLES)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=4), data=st.data(),
       eps=st.sampled_from([None, 0.0, 0.3]), seed=st.integers(0, 2 ** 16))
def test_rms_norm_is_its_formula_the_layer_and_differentiates(shape, data, eps, seed):
    """x / √(mean(x²) + eps) · weight over the last axes (eps=None: float64's machine
    epsilon); RMSNorm the same; finite differences agree."""
    rng = np.random.default_rng(seed)
    trailing = data.draw(st.integers(1, len(shape)))
    normalized = tuple(shape[-trailing:])
    x = rng.normal(size=shape) + rng.choice([-1.0, 1.0], size=shape)    # away from all-zero
    weight = rng.normal(size=normalized)
    axes = tuple(range(-trailing, 0))
    floor = np.finfo(np.float64).eps if eps is None else eps
    expected = x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + floor) * weight
    y = rms_norm(t64(x), normalized, t64(weight), eps)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    layer = nn.RMSNorm(normalized, eps=eps, dtype=np.float64)
    layer.weight.data[...] = weight
    np.testing.assert_allclose(layer(t64(x)).data, y.data, rtol=1e-13)
    assert gradcheck(lambda x, w: rms_norm(x, normalized, w, eps), t64(x), t64(weight))
