"""interpolate / Upsample / UpsamplingNearest2d / UpsamplingBilinear2d and pixel_shuffle /
pixel_unshuffle / PixelShuffle / PixelUnshuffle: values worked out by hand, gradients against
finite differences (first and second order), PyTorch's output sizes, reprs and errors that
name the function or layer and the shapes, and the same numbers as PyTorch (asked live where
torch is installed, else as recorded in tests/reference/resampling.npz)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, grad, gradcheck
from nn import PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from nn.functional import interpolate, pixel_shuffle, pixel_unshuffle

from conftest import t64
from reference import assert_matches, draw, prefixed, recorded


def test_nearest_repeats_pixels_and_bilinear_blends_them():
    x = Tensor([[[[0.0, 4.0], [8.0, 12.0]]]])
    np.testing.assert_array_equal(interpolate(x, scale_factor=(1, 2)).data[0, 0],
                                  [[0, 0, 4, 4], [8, 8, 12, 12]])
    # align_corners=False: output pixel centres at 0.25 and 0.75 of an input pixel's width
    np.testing.assert_allclose(interpolate(x, size=(1, 4), mode="bilinear").data[0, 0],
                               [[4, 5, 7, 8]])
    np.testing.assert_allclose(UpsamplingBilinear2d(size=(2, 3))(x).data[0, 0],
                               [[0, 2, 4], [8, 10, 12]])


def test_nearest_takes_the_left_pixel_and_nearest_exact_the_one_under_the_centre():
    x = Tensor([[[0.0, 1.0, 2.0]]])
    assert interpolate(x, size=2).data.tolist() == [[[0.0, 1.0]]]        # floor(o · 1.5)
    assert interpolate(x, size=2, mode="nearest-exact").data.tolist() == [[[0.0, 2.0]]]


def test_bicubic_overshoots_at_a_step_and_keeps_a_constant():
    step = Tensor(np.repeat([[0.0, 0.0, 1.0, 1.0]], 2, axis=0)[None, None])
    y = interpolate(step, scale_factor=2, mode="bicubic").data
    assert y.min() < 0 and y.max() > 1                   # Keys' kernel rings at edges
    flat = interpolate(Tensor(np.full((1, 1, 3, 2), 7.0)), size=(5, 4), mode="bicubic")
    np.testing.assert_allclose(flat.data, 7.0, rtol=1e-6)


@pytest.mark.parametrize("size, factor, expected", [(7, 0.5, 3), (5, 1.5, 7), (3, 1 / 3, 1),
                                                    (10, 2.99, 29)])
def test_the_output_size_is_the_scaled_size_rounded_down(size, factor, expected):
    assert interpolate(Tensor(np.zeros((1, 1, size))), scale_factor=factor).shape == \
        (1, 1, expected)


def test_a_scale_factor_sets_the_positions_unless_recomputed():
    """5 · 1.5 rounds down to 7 outputs: positions o / 1.5 as given, or o · 5/7 recomputed."""
    x = Tensor(np.arange(5.0)[None, None])
    given = interpolate(x, scale_factor=1.5, mode="linear").data[0, 0]
    recomputed = interpolate(x, scale_factor=1.5, mode="linear",
                             recompute_scale_factor=True).data[0, 0]
    np.testing.assert_allclose(given, np.clip((np.arange(7) + 0.5) / 1.5 - 0.5, 0, 4))
    np.testing.assert_allclose(recomputed, np.clip((np.arange(7) + 0.5) * 5 / 7 - 0.5, 0, 4))


def test_inf_stays_where_nearest_puts_it():
    """One pixel's inf reaches only the outputs that read it (no 0 · inf elsewhere)."""
    x = Tensor([[[1.0, np.inf, 2.0]]])
    assert interpolate(x, size=6).data.tolist() == [[[1.0, 1.0, np.inf, np.inf, 2.0, 2.0]]]


def test_dtypes_float32_stays_float32_and_integers_become_the_default():
    x = Tensor(np.zeros((1, 1, 2, 2), np.float32))
    assert interpolate(x, scale_factor=2, mode="bicubic").dtype == np.float32
    assert interpolate(Tensor(np.arange(4).reshape(1, 1, 4)), size=2).dtype == np.float32


def test_pixel_shuffle_moves_each_group_of_channels_into_a_block_and_unshuffle_undoes_it(rng):
    x = Tensor(np.arange(8.0).reshape(1, 8, 1, 1))
    np.testing.assert_array_equal(pixel_shuffle(x, 2).data[0],
                                  [[[0, 1], [2, 3]], [[4, 5], [6, 7]]])
    y = t64(rng.normal(size=(2, 3, 2, 9, 6)))            # a leading axis more, as PyTorch
    np.testing.assert_array_equal(pixel_shuffle(pixel_unshuffle(y, 3), 3).data, y.data)
    assert PixelUnshuffle(3)(y).shape == (2, 3, 18, 3, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_whole_factors_copy_and_sum_runs_with_the_general_rules_numbers(rng, mode, dtype):
    """Nearest at a whole factor (2x upsampling) copies each pixel r times and sums its r
    gradients: np.repeat and strided adds, 10-30x faster than the general gather and scatter,
    with their numbers bit for bit; a factor that is not whole keeps the general rule."""
    from autograd.ops import resample as R
    for size, out, factor in ((5, 10, 2.0), (4, 12, 3.0), (3, 3, 1.0), (4, 10, 2.5)):
        taps = R.nearest_taps(size, out, factor, mode == "nearest-exact", dtype)
        assert taps.repeats == (out // size if factor.is_integer() else 0)
        general = taps._replace(repeats=0)
        for axis in range(3):
            x_shape = [2, 3, 4]
            x_shape[axis] = size
            x = rng.normal(size=x_shape).astype(dtype)
            g_shape = list(x_shape)
            g_shape[axis] = out
            g = rng.normal(size=g_shape).astype(dtype)
            for fast, slow in ((R.resample_forward, x), (R.adjoint_forward, g)):
                got = fast(R.ResampleCtx(axis, taps), slow)
                want = fast(R.ResampleCtx(axis, general), slow)
                assert got.dtype == want.dtype and np.array_equal(got, want)
                assert got is not slow


# -- gradients: finite differences in float64 ----------------------------------------------------

GRADIENT_CASES = {          # x's shape, interpolate's arguments
    "nearest, non-square, batch of one": ((1, 2, 3, 4), dict(size=(5, 3))),
    "nearest, whole factors": ((2, 1, 3, 2), dict(scale_factor=(2, 3))),
    "nearest-exact, whole factors, volumes": ((1, 2, 2, 1, 3), dict(scale_factor=(3, 1, 2),
                                                                    mode="nearest-exact")),
    "nearest-exact by factors": ((2, 1, 3, 2), dict(scale_factor=(1.7, 2.5),
                                                    mode="nearest-exact")),
    "linear": ((2, 3, 4), dict(scale_factor=1.6, mode="linear")),
    "linear, corners aligned, shrinking": ((1, 2, 7), dict(size=3, mode="linear",
                                                           align_corners=True)),
    "bilinear": ((1, 2, 3, 4), dict(size=(5, 3), mode="bilinear")),
    "bilinear, corners aligned": ((2, 1, 3, 2), dict(scale_factor=2, mode="bilinear",
                                                     align_corners=True)),
    "bicubic": ((1, 1, 4, 3), dict(size=(3, 7), mode="bicubic")),
    "bicubic, corners aligned": ((1, 2, 3, 3), dict(scale_factor=1.5, mode="bicubic",
                                                    align_corners=True)),
    "area": ((1, 2, 5, 4), dict(size=(2, 3), mode="area")),
    "nearest, volumes": ((2, 1, 2, 3, 2), dict(scale_factor=(1.5, 0.7, 2))),
    "trilinear": ((1, 2, 2, 3, 2), dict(size=(3, 2, 4), mode="trilinear")),
    "trilinear, corners aligned": ((1, 1, 3, 2, 2), dict(scale_factor=(0.7, 2, 1.5),
                                                         mode="trilinear", align_corners=True)),
    "area, volumes": ((1, 2, 4, 3, 5), dict(size=(3, 2, 2), mode="area")),
}


@pytest.mark.parametrize("case", GRADIENT_CASES)
def test_interpolate_gradients_match_finite_differences(rng, case):
    x_shape, options = GRADIENT_CASES[case]
    assert gradcheck(lambda x: interpolate(x, **options), t64(rng.normal(size=x_shape)))


@pytest.mark.parametrize("case", ["bilinear", "bicubic", "nearest, non-square, batch of one",
                                  "nearest, whole factors"])
def test_interpolate_second_derivatives_match_finite_differences(rng, case):
    """The gradient of a loss that is not linear in the output, differentiated again (through
    the resampling's adjoint)."""
    x_shape, options = GRADIENT_CASES[case]
    r, direction = rng.normal(size=x_shape), rng.normal(size=x_shape)
    r = rng.normal(size=interpolate(Tensor(np.zeros(x_shape)), **options).shape)

    def directional(x):
        first = grad(lambda t: (r * interpolate(t, **options).tanh()).sum())(x)
        return (first * direction).sum()
    assert gradcheck(directional, t64(rng.normal(size=x_shape)))


def test_pixel_shuffle_gradients_match_finite_differences(rng):
    assert gradcheck(lambda x: pixel_shuffle(x, 2), t64(rng.normal(size=(1, 8, 2, 3))))
    assert gradcheck(lambda x: pixel_unshuffle(x, 2), t64(rng.normal(size=(2, 1, 4, 2))))


# -- layers: options, repr, errors ---------------------------------------------------------------

def test_the_layers_print_as_pytorchs():
    assert repr(Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(Upsample(size=(3, 4), mode="bilinear")) == "Upsample(size=(3, 4), mode='bilinear')"
    assert repr(Upsample(scale_factor=(2, 3))) == \
        "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"
    assert repr(UpsamplingNearest2d(scale_factor=2)) == \
        "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"
    assert repr(UpsamplingBilinear2d(size=4)) == "UpsamplingBilinear2d(size=4, mode='bilinear')"
    assert repr(PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"
    assert list(nn.Sequential(Upsample(scale_factor=2), PixelShuffle(2)).parameters()) == []


@pytest.mark.parametrize("call, message", [
    (lambda: interpolate(np.zeros((1, 1, 4))), "give exactly one of size and scale_factor, got neither"),
    (lambda: interpolate(np.zeros((1, 1, 4)), size=2, scale_factor=2), "got both"),
    (lambda: interpolate(np.zeros((1, 1, 4)), size=2, align_corners=True),
     "align_corners is for the interpolating modes .* not mode 'nearest'"),
    (lambda: interpolate(np.zeros((1, 1, 4, 4)), size=2, mode="linear"),
     r"mode 'linear' takes a 3-d \(N, C, L\) input, got shape \(1, 1, 4, 4\); for images use "
     r"mode 'bilinear'"),
    (lambda: interpolate(np.zeros((3, 4, 4)), size=2, mode="bilinear"),
     r"mode 'bilinear' takes a 4-d .* got shape \(3, 4, 4\); for one image of 3 channels: "
     r"x.reshape\(1, 3, 4, 4\)"),
    (lambda: interpolate(np.zeros((4, 4)), size=2), r"got shape \(4, 4\); for one one-channel "
                                                     r"image: x.reshape\(1, 1, 4, 4\)"),
    (lambda: interpolate(np.zeros((1, 1, 4, 4)), size=(2, 3, 4)),
     r"size \(2, 3, 4\) has 3 entries, but the input has 2 spatial axes"),
    (lambda: interpolate(np.zeros((1, 1, 4, 4)), scale_factor=0.2),
     r"scale_factor 0.2 makes the spatial size \(4, 4\) into \(0, 0\)"),
    (lambda: interpolate(np.zeros((1, 1, 4)), scale_factor=-1), "a number > 0"),
    (lambda: interpolate(np.zeros((1, 1, 4)), size=2.5), "an int >= 1"),
    (lambda: interpolate(np.zeros((1, 1, 4)), size=2, mode="trilinear"),
     r"mode 'trilinear' takes a 5-d \(N, C, D, H, W\) input, got shape \(1, 1, 4\)"),
    (lambda: interpolate(np.zeros((3, 4, 4, 4)), size=2, mode="trilinear"),
     r"got shape \(3, 4, 4, 4\); for one volume of 3 channels: x.reshape\(1, 3, 4, 4, 4\)"),
    (lambda: interpolate(np.zeros((1, 1, 4, 4, 4)), size=2, mode="bilinear"),
     r"mode 'bilinear' takes a 4-d .* for volumes use mode 'trilinear'"),
    (lambda: interpolate(np.zeros((1, 1, 4)), size=2, recompute_scale_factor=True),
     "recompute_scale_factor=True needs a scale_factor"),
    (lambda: interpolate(np.zeros((1, 1, 4, 4)), size=2, mode="bilinear", antialias=True),
     "antialias=True .* is not supported"),
    (lambda: pixel_shuffle(np.zeros((1, 6, 2, 2)), 2),
     r"pixel_shuffle: the input's 6 channels \(shape \(1, 6, 2, 2\)\) are not divisible by "
     r"upscale_factor² = 4"),
    (lambda: pixel_unshuffle(np.zeros((1, 1, 4, 5)), 2),
     r"pixel_unshuffle: the input's height 4 and width 5 .* divisible by downscale_factor 2"),
    (lambda: pixel_shuffle(np.zeros((4, 2)), 2), r"at least 3 axes, got shape \(4, 2\)"),
    (lambda: PixelShuffle(0), "PixelShuffle: upscale_factor must be an int >= 1, got 0"),
    (lambda: Upsample(scale_factor=2, mode="nearest", align_corners=False),
     "Upsample: align_corners is for the interpolating modes"),
    (lambda: Upsample(), "Upsample: give exactly one of size and scale_factor"),
])
def test_mistakes_are_explained(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_a_layer_names_itself_when_the_input_is_wrong():
    with pytest.raises(ValueError, match=r"^UpsamplingBilinear2d\(scale_factor=2.0, "
                                         r"mode='bilinear'\): mode 'bilinear' takes a 4-d"):
        UpsamplingBilinear2d(scale_factor=2)(Tensor(np.zeros((2, 3, 4))))


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

# a few small arrays: the recorded files share a size budget (tests/test_references.py)
CASES = {          # x's shape, interpolate's arguments (None: pixel_shuffle by 2), y's shape
    "nearest": ((1, 2, 3, 4), dict(size=(5, 7)), (1, 2, 5, 7)),
    "nearest by a factor": ((2, 1, 3, 5), dict(scale_factor=(1.7, 0.6)), (2, 1, 5, 3)),
    "nearest 1-d by a third": ((1, 1, 7), dict(scale_factor=1 / 3), (1, 1, 2)),
    "nearest-exact": ((1, 1, 4, 3), dict(scale_factor=(2.5, 1.4), mode="nearest-exact"),
                      (1, 1, 10, 4)),
    "linear": ((2, 1, 4), dict(size=7, mode="linear"), (2, 1, 7)),
    "linear recomputed": ((1, 2, 5), dict(scale_factor=1.5, mode="linear",
                                          recompute_scale_factor=True), (1, 2, 7)),
    "linear, corners aligned": ((1, 1, 6), dict(size=4, mode="linear", align_corners=True),
                                (1, 1, 4)),
    "bilinear": ((1, 2, 3, 4), dict(size=(5, 3), mode="bilinear"), (1, 2, 5, 3)),
    "bilinear by a factor": ((1, 1, 4, 3), dict(scale_factor=(0.6, 2.3), mode="bilinear"),
                             (1, 1, 2, 6)),
    "bilinear, corners aligned": ((2, 1, 3, 2), dict(scale_factor=2, mode="bilinear",
                                                     align_corners=True), (2, 1, 6, 4)),
    "bicubic": ((1, 1, 4, 3), dict(scale_factor=(1.5, 2.0), mode="bicubic"), (1, 1, 6, 6)),
    "bicubic, corners aligned": ((1, 1, 3, 4), dict(size=(6, 2), mode="bicubic",
                                                    align_corners=True), (1, 1, 6, 2)),
    "area": ((1, 2, 5, 4), dict(size=(2, 3), mode="area"), (1, 2, 2, 3)),
    "pixel_shuffle": ((1, 8, 2, 3), None, (1, 2, 4, 6)),
    "nearest, volumes": ((1, 1, 2, 3, 2), dict(scale_factor=(1.7, 0.6, 2)), (1, 1, 3, 1, 4)),
    "trilinear": ((1, 1, 2, 3, 2), dict(size=(3, 2, 4), mode="trilinear"), (1, 1, 3, 2, 4)),
    "trilinear by a factor": ((1, 1, 3, 2, 2), dict(scale_factor=(0.7, 2, 1.5),
                                                    mode="trilinear"), (1, 1, 2, 4, 3)),
    "trilinear, corners aligned": ((1, 1, 2, 2, 3), dict(size=(3, 3, 2), mode="trilinear",
                                                         align_corners=True), (1, 1, 3, 3, 2)),
}


def resampling_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per case: x, and a gradient g for the output."""
    arrays = {}
    for case, (x_shape, _, y_shape) in CASES.items():
        arrays.update(prefixed(case, dict(x=rng.normal(size=x_shape), g=rng.normal(size=y_shape))))
    return arrays


def _run(lib, tensor, case, arrays):
    """y and x's gradient for g of a case, in the library `lib` (PyTorch's output size
    checked on the way)."""
    _, options, y_shape = CASES[case]
    x = tensor(arrays[f"{case}/x"])
    y = lib.pixel_shuffle(x, 2) if options is None else lib.interpolate(x, **options)
    assert tuple(y.shape) == y_shape, case
    y.backward(tensor(arrays[f"{case}/g"], requires_grad=False))
    return {"y": y, "x.grad": x.grad}


def resampling_glassgrad(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: value for case in CASES
            for key, value in prefixed(case, _run(nn.functional, t64, case, arrays)).items()}


def resampling_torch(torch, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same as `resampling_glassgrad`, computed by PyTorch."""
    def tensor(a, requires_grad=True):
        return torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad)
    return {key: value for case in CASES for key, value in
            prefixed(case, _run(torch.nn.functional, tensor, case, arrays)).items()}


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/resampling.npz: the inputs and PyTorch's results."""
    inputs = resampling_inputs(draw())
    return {**inputs, **resampling_torch(torch, inputs)}


def test_matches_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = resampling_inputs(rng)
    assert_matches(resampling_glassgrad(inputs), resampling_torch(torch, inputs),
                   rtol=1e-12, atol=1e-13)


def test_matches_pytorchs_recorded_numbers():
    theirs = recorded("resampling")
    inputs = tuple(f"{case}/{name}" for case in CASES for name in ("x", "g"))
    assert_matches(resampling_glassgrad(theirs), theirs, rtol=1e-12, atol=1e-13, inputs=inputs)


@pytest.mark.parametrize("dtype, last", [(np.float64, [8, 9, 9]), (np.float32, [8, 8, 9])])
def test_nearest_rounds_its_positions_as_pytorch_does(dtype, last):
    """Position o / factor is computed in the input's dtype and rounded to float32 before the
    floor: at 18 / 2.0000001 = 8.99999955 float64 then lands on 9.0, float32 stays below 9."""
    x = Tensor(np.arange(10, dtype=dtype)[None, None])
    assert interpolate(x, scale_factor=2.0000001).data[0, 0, -3:].tolist() == last


def test_upsampling_nearest_2d_refuses_one_image_that_would_pass_for_sequences():
    """PyTorch's layer resizes a (C, H, W) image as C sequences of length W: H stays."""
    with pytest.raises(ValueError, match=r"UpsamplingNearest2d\(scale_factor=2.0, "
                                         r"mode='nearest'\): expected a 4-d input \(N, C, H, W\), "
                                         r"got shape \(3, 4, 5\); for one image of 3 channels"):
        UpsamplingNearest2d(scale_factor=2)(Tensor(np.zeros((3, 4, 5))))
    assert repr(Upsample(size=[3, 4])) == "Upsample(size=[3, 4], mode='nearest')"


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_float16_reads_the_same_pixels_as_float32(rng, mode):
    """Positions are computed in float32 for float16 too: in float16 o = 2049 is not a number
    it can hold, and far-off pixels were read."""
    x = rng.normal(size=(1, 1, 3000))
    y16 = interpolate(Tensor(x.astype(np.float16)), size=7001, mode=mode).data
    y32 = interpolate(Tensor(x.astype(np.float32)), size=7001, mode=mode).data
    assert y16.dtype == np.float16
    np.testing.assert_allclose(y16, y32, atol=2e-2)


def test_a_factor_that_rounds_back_to_the_same_size_is_handled_as_pytorch_does():
    """3 · 1.2 rounds down to 3: PyTorch's linear modes then copy, nearest and bicubic still
    read at o / 1.2."""
    x = Tensor(np.array([[[0.0, 1.0, 2.0]]]))
    assert interpolate(x, scale_factor=1.2, mode="linear").data.tolist() == [[[0.0, 1.0, 2.0]]]
    assert interpolate(x, scale_factor=1.2).data.tolist() == [[[0.0, 0.0, 1.0]]]
    bicubic = interpolate(x.reshape(1, 1, 3, 1), scale_factor=(1.2, 1), mode="bicubic")
    np.testing.assert_allclose(bicubic.data.ravel(), [-0.0525, 0.6680, 1.6694], atol=1e-4)


def test_nearest_on_images_copies_or_doubles_an_axis_whatever_the_factor_as_pytorch():
    """PyTorch's 2-d nearest kernel (not its 1-d one) reads output o from o when the factor
    rounds the size to itself, and from o // 2 when to twice itself: scale_factor 1.3 on 2 rows
    keeps both rows (o / 1.3 would read row 0 twice), 2.3 on 3 columns doubles each column
    (o / 2.3 would read 0, 0, 0, 1, 1, 2). Numbers from PyTorch 2.13."""
    x = Tensor(np.arange(6.0).reshape(1, 1, 2, 3))
    assert interpolate(x, scale_factor=(1.3, 2.3)).data[0, 0].tolist() == [
        [0.0, 0.0, 1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0, 5.0, 5.0]]
    assert UpsamplingNearest2d(scale_factor=(2.9, 1.8))(x).data[0, 0, :, 0].tolist() == [
        0.0, 0.0, 0.0, 3.0, 3.0]                     # 5 rows, not 4: the factor's positions
    assert interpolate(x[0], scale_factor=2.3).data[0, 0].tolist() == [   # 1-d: the factor's
        0.0, 0.0, 0.0, 1.0, 1.0, 2.0]


def test_the_one_image_hint_counts_one_channel_in_the_singular():
    with pytest.raises(ValueError, match=r"for one image of 1 channel: x\.reshape\(1, 1, 4, 4\)"):
        interpolate(Tensor(np.zeros((1, 4, 4))), scale_factor=2, mode="bilinear")
