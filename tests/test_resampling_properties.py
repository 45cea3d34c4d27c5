"""Property tests (hypothesis) for `nn.resampling` over random small shapes and factors:
`pixel_shuffle` / `pixel_unshuffle` (and their layers) and `interpolate` / `Upsample`.

Properties: pixel_shuffle moves channel c·r² + i·r + j to offset (i, j) of each r x r block,
and pixel_unshuffle undoes it (both ways round, with 0 to 2 leading axes); interpolate's output
size is `size` or floor(size · scale_factor); resizing to the input's own size is the identity
in every mode; a constant stays constant; "nearest" reads floor(o · scale) and "linear" with
align_corners=True puts a ramp's values at o · (n - 1) / (out - 1), PyTorch's documented
positions; "area" is adaptive average pooling; gradients match central finite differences in
float64.

Settings come from the "glassgrad" profile in conftest (deterministic, no example database).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import gradcheck
from autograd.functional import adaptive_avg_pool1d, adaptive_avg_pool2d
from nn.functional import interpolate, pixel_shuffle, pixel_unshuffle

from conftest import t64

EXAMPLES = 25


@settings(max_examples=EXAMPLES)
@given(lead=st.lists(st.integers(1, 2), min_size=0, max_size=2), c=st.integers(1, 2),
       r=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(1, 3),
       seed=st.integers(0, 2 ** 16))
def test_pixel_shuffle_places_each_channel_and_pixel_unshuffle_undoes_it(lead, c, r, h, w, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(*lead, c * r * r, h, w))
    y = pixel_shuffle(t64(x), r)
    assert y.shape == (*lead, c, h * r, w * r)
    for i in range(r):
        for j in range(r):
            np.testing.assert_array_equal(y.data[..., i::r, j::r],
                                          x[..., [k * r * r + i * r + j for k in range(c)], :, :])
    np.testing.assert_array_equal(pixel_unshuffle(y, r).data, x)
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(nn.PixelShuffle(r)(t64(x))).data, x)
    image = rng.normal(size=(*lead, c, h * r, w * r))
    np.testing.assert_array_equal(pixel_shuffle(pixel_unshuffle(t64(image), r), r).data, image)
    assert gradcheck(lambda x: pixel_shuffle(x, r), t64(x))
    assert gradcheck(lambda x: pixel_unshuffle(x, r), t64(image))


MODES = {1: ["nearest", "nearest-exact", "linear", "area"],
         2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"]}


@st.composite
def resizes(draw) -> dict:
    """An input shape (N, C, *sizes), a mode that takes it, align_corners where it applies,
    and either a size or a scale factor (maybe recomputed) per axis."""
    axes = draw(st.sampled_from([1, 2]))
    mode = draw(st.sampled_from(MODES[axes]))
    sizes = [draw(st.integers(1, 4)) for _ in range(axes)]
    resize = {"mode": mode}
    if mode in ("linear", "bilinear", "bicubic"):
        resize["align_corners"] = draw(st.sampled_from([None, False, True]))
    if draw(st.booleans()):
        outs = [draw(st.integers(1, 6)) for _ in range(axes)]
        resize["size"] = outs[0] if axes == 1 and draw(st.booleans()) else outs
    else:
        factors = [draw(st.sampled_from([0.5, 0.75, 1.0, 1.3, 1.5, 2.0, 2.3, 3.0]))
                   for _ in range(axes)]
        if min(math.floor(n * f) for n, f in zip(sizes, factors)) < 1:
            factors = [max(f, 1.0) for f in factors]
        resize["scale_factor"] = factors[0] if axes == 1 else factors
        if mode != "area" and draw(st.booleans()):
            resize["recompute_scale_factor"] = True
    return {"shape": (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *sizes),
            "resize": resize}


def _outs(case: dict) -> list[int]:
    sizes, resize = case["shape"][2:], case["resize"]
    if "size" in resize:
        size = resize["size"]
        return [size] * len(sizes) if isinstance(size, int) else list(size)
    factors = resize["scale_factor"]
    factors = [factors] * len(sizes) if isinstance(factors, float) else factors
    return [math.floor(n * f) for n, f in zip(sizes, factors)]


@settings(max_examples=EXAMPLES)
@given(case=resizes(), seed=st.integers(0, 2 ** 16))
def test_interpolate_size_constants_layer_and_gradients(case, seed):
    """The output size is `size` or floor(n · factor); a constant image stays that constant
    (every mode's weights add up to 1); Upsample is the function; finite differences agree."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=case["shape"])
    y = interpolate(t64(x), **case["resize"])
    outs = _outs(case)
    assert y.shape == case["shape"][:2] + tuple(outs)
    constant = interpolate(t64(np.full(case["shape"], 2.5)), **case["resize"]).data
    np.testing.assert_allclose(constant, 2.5, rtol=1e-12)
    np.testing.assert_array_equal(nn.Upsample(**case["resize"])(t64(x)).data, y.data)
    if case["resize"]["mode"] == "area":
        pool = adaptive_avg_pool1d if len(outs) == 1 else adaptive_avg_pool2d
        np.testing.assert_allclose(y.data, pool(t64(x), outs[0] if len(outs) == 1
                                                else tuple(outs)).data, rtol=1e-13)
    assert gradcheck(lambda x: interpolate(x, **case["resize"]), t64(x))


@settings(max_examples=EXAMPLES)
@given(case=resizes(), seed=st.integers(0, 2 ** 16))
def test_resizing_to_the_input_s_own_size_is_the_identity(case, seed):
    x = np.random.default_rng(seed).normal(size=case["shape"])
    resize = {k: v for k, v in case["resize"].items()
              if k in ("mode", "align_corners")} | {"size": list(case["shape"][2:])}
    np.testing.assert_allclose(interpolate(t64(x), **resize).data, x, rtol=1e-13, atol=1e-15)


FACTORS = (0.5, 0.7, 1.3, 1.5, 1.8, 2.3, 2.5, 3.0, 3.3)


@settings(max_examples=10)
@given(n=st.integers(1, 5), out=st.integers(1, 9), seed=st.integers(0, 2 ** 16))
def test_nearest_and_linear_read_pytorch_s_documented_positions(n, out, seed):
    """"nearest" output o reads floor(o · scale), scale n / out for a size and 1/factor for a
    scale_factor (every factor of FACTORS); except, on images (PyTorch's 2-d kernel), where a
    factor makes the size n or 2n: then o or o // 2. "linear" with align_corners=True turns
    the ramp 0 .. n - 1 into o · (n - 1) / (out - 1)."""
    rng = np.random.default_rng(seed)
    for image in (False, True):
        x = rng.normal(size=(1, 2, n) + ((1,) if image else ()))
        resized = [(out, n / out, interpolate(t64(x), size=(out, 1) if image else out).data)]
        for factor in FACTORS:
            size = math.floor(n * factor)
            if size >= 1:
                scale = n / size if image and size in (n, 2 * n) else 1 / factor
                resized.append((size, scale, interpolate(
                    t64(x), scale_factor=(factor, 1.0) if image else factor).data))
        for size, scale, y in resized:
            index = np.minimum(np.floor(np.float32(np.arange(size) * scale)).astype(int), n - 1)
            np.testing.assert_array_equal(y, x[:, :, index], err_msg=f"{size}, {scale}")
    ramp = t64(np.arange(float(n)).reshape(1, 1, n))
    line = interpolate(ramp, size=out, mode="linear", align_corners=True).data.ravel()
    expected = np.arange(out) * (n - 1) / (out - 1) if out > 1 else [0.0]
    np.testing.assert_allclose(line, expected, rtol=1e-12, atol=1e-12)
