"""grid_sample and affine_grid (a spatial transformer's warp): what they do to images worked out
by hand (the identity, a 90-degree rotation, a one-pixel shift), gradients of the input, the grid
and theta against central finite differences (first and second order), a small spatial
transformer that learns to undo shifts, the errors, and the same numbers and gradients as
PyTorch for every mode x padding_mode x align_corners (asked live where torch is installed)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, gradcheck, gradgradcheck

try:
    import torch as real_torch
except ImportError:                             # optional: the cross-checks skip without it
    real_torch = None

needs_torch = pytest.mark.skipif(real_torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check against live torch: pip install torch)")

MODES_2D = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")


def identity(n: int = 1, dims: int = 2) -> np.ndarray:
    return np.tile(np.eye(dims, dims + 1), (n, 1, 1))


def to_grid(pixels: np.ndarray, sizes: tuple, align_corners: bool) -> np.ndarray:
    """Pixel positions (..., D) as x first (W), then y (H) (, z) -> normalised grid values."""
    out = np.empty_like(pixels)
    for d, size in enumerate(reversed(sizes)):
        if align_corners:
            out[..., d] = pixels[..., d] / max(size - 1, 1) * 2 - 1     # (one pixel: all at 0)
        else:
            out[..., d] = (2 * pixels[..., d] + 1) / size - 1
    return out


def smooth_points(rng, shape: tuple, sizes: tuple, align_corners: bool) -> np.ndarray:
    """Grid values whose pixel positions lie in [-1.7, size + 0.7] with fractional parts in
    [0.15, 0.35] or [0.65, 0.85]: away from whole pixels (bilinear's and border's kinks) and
    halves (nearest's steps, reflection's folds), so finite differences see a smooth op."""
    whole = np.stack([rng.integers(-2, size + 1, shape) for size in reversed(sizes)], -1)
    frac = rng.uniform(0.15, 0.35, whole.shape) + 0.5 * rng.integers(0, 2, whole.shape)
    return to_grid(whole + frac, sizes, align_corners)


# ----------------------------------------------------------------------------------------------
# What the warps do to images (no PyTorch needed)
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", MODES_2D)
def test_the_identity_theta_reproduces_the_input(align_corners, mode):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 7))
    grid = F.affine_grid(Tensor(identity(2)), (2, 3, 5, 7), align_corners=align_corners)
    y = F.grid_sample(Tensor(x), grid, mode=mode, align_corners=align_corners)
    np.testing.assert_allclose(y.data, x, atol=1e-12)


def test_the_identity_reproduces_a_volume():
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 4, 5))
    for align_corners in (False, True):
        grid = F.affine_grid(Tensor(identity(1, 3)), x.shape, align_corners=align_corners)
        assert grid.shape == (1, 3, 4, 5, 3)
        for mode in ("bilinear", "nearest"):
            y = F.grid_sample(Tensor(x), grid, mode=mode, align_corners=align_corners)
            np.testing.assert_allclose(y.data, x, atol=1e-12)


@pytest.mark.parametrize("align_corners", [False, True])
def test_a_quarter_turn_theta_rotates_an_asymmetric_image(align_corners):
    """Output pixel (x, y) reads the input at (-y, x): output[i, j] = input[j, W - 1 - i], the
    image turned a quarter anticlockwise as drawn (rows down), np.rot90's k=1."""
    image = np.arange(16.0).reshape(1, 1, 4, 4) ** 1.5           # no symmetry at all
    theta = Tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]], dtype="float64")
    grid = F.affine_grid(theta, (1, 1, 4, 4), align_corners=align_corners)
    y = F.grid_sample(Tensor(image), grid, align_corners=align_corners)
    np.testing.assert_allclose(y.data[0, 0], np.rot90(image[0, 0], k=1), atol=1e-12)


def test_a_shift_by_one_pixel():
    """theta's translation 2/W moves where each output reads one pixel right: the image moves
    one pixel left; the last column reads outside, 0 with zeros padding, the edge with border."""
    image = np.arange(12.0).reshape(1, 1, 3, 4)
    theta = Tensor([[[1.0, 0.0, 2 / 4], [0.0, 1.0, 0.0]]], dtype="float64")
    grid = F.affine_grid(theta, (1, 1, 3, 4), align_corners=False)
    zeros = F.grid_sample(Tensor(image), grid, align_corners=False).data[0, 0]
    border = F.grid_sample(Tensor(image), grid, padding_mode="border").data[0, 0]
    np.testing.assert_allclose(zeros[:, :3], image[0, 0, :, 1:], atol=1e-12)
    np.testing.assert_allclose(zeros[:, 3], 0, atol=1e-12)
    np.testing.assert_allclose(border[:, 3], image[0, 0, :, 3], atol=1e-12)
    # reflection at align_corners=False mirrors about the image's edge: the last column again
    reflected = F.grid_sample(Tensor(image), grid, padding_mode="reflection").data[0, 0]
    np.testing.assert_allclose(reflected[:, 3], image[0, 0, :, 3], atol=1e-12)


def test_bilinear_blends_the_four_neighbours_and_nearest_picks_one():
    x = Tensor([[[[0.0, 10.0], [20.0, 30.0]]]], dtype="float64")
    # pixel position (0.25, 0.5) with corners aligned: x = 0.25 · 2 - 1, y = 0.5 · 2 - 1
    point = Tensor([[[[-0.5, 0.0]]]], dtype="float64")
    blended = F.grid_sample(x, point, align_corners=True).item()
    assert blended == pytest.approx(0.5 * (2.5 + 22.5))
    near = F.grid_sample(x, Tensor([[[[-0.6, 0.6]]]], dtype="float64"), mode="nearest",
                         align_corners=True).item()
    assert near == 20.0                                 # (0.2, 0.8) rounds to column 0, row 1


def test_points_outside_read_the_padding():
    x = Tensor(np.arange(1.0, 7.0).reshape(1, 1, 2, 3))
    far = Tensor([[[[-3.0, -3.0], [3.0, 3.0]]]], dtype="float64")
    assert F.grid_sample(x, far).data.ravel().tolist() == [0.0, 0.0]
    assert F.grid_sample(x, far, padding_mode="border").data.ravel().tolist() == [1.0, 6.0]


def test_float32_stays_float32_and_float64_float64():
    for dtype in (np.float32, np.float64):
        x = Tensor(np.ones((1, 2, 3, 3), dtype), requires_grad=True)
        theta = Tensor(identity().astype(dtype), requires_grad=True)
        y = F.grid_sample(x, F.affine_grid(theta, x.shape), mode="bilinear")
        y.sum().backward()
        assert y.dtype == x.grad.dtype == theta.grad.dtype == dtype


def test_align_corners_none_is_false_without_a_warning():
    x = Tensor(np.random.default_rng(2).standard_normal((1, 1, 3, 4)))
    theta = Tensor([[[0.8, 0.1, 0.2], [-0.1, 0.9, 0.0]]], dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid = F.affine_grid(theta, (1, 1, 3, 4))
        y = F.grid_sample(x, grid)
    expected = F.grid_sample(x, F.affine_grid(theta, (1, 1, 3, 4), False), align_corners=False)
    np.testing.assert_array_equal(y.data, expected.data)


def test_nan_in_the_grid_reads_as_pytorch_reads_it():
    """NaN: 0 for nearest with zeros padding, pixel 0 with border/reflection, NaN otherwise."""
    x = Tensor(np.arange(12.0).reshape(1, 1, 3, 4))
    grid = Tensor([[[[np.nan, 0.0]]]], dtype="float64")
    assert np.isnan(F.grid_sample(x, grid).item())
    assert F.grid_sample(x, grid, mode="nearest").item() == 0.0
    assert F.grid_sample(x, grid, padding_mode="border").item() == 4.0      # row 1, column 0
    assert np.isnan(F.grid_sample(x, grid, mode="bicubic", padding_mode="border").item())


# ----------------------------------------------------------------------------------------------
# Gradients: finite differences in float64, first and second order
# ----------------------------------------------------------------------------------------------

CASES_2D = list(itertools.product(MODES_2D, PADDINGS, (False, True)))
CASES_3D = list(itertools.product(("bilinear", "nearest"), PADDINGS, (False, True)))


@pytest.mark.parametrize("mode, padding, align_corners", CASES_2D)
def test_image_gradients_match_finite_differences(mode, padding, align_corners):
    rng = np.random.default_rng(CASES_2D.index((mode, padding, align_corners)))
    x = Tensor(rng.standard_normal((2, 2, 3, 4)), requires_grad=True)
    grid = Tensor(smooth_points(rng, (2, 3, 2), (3, 4), align_corners), requires_grad=True)
    f = lambda x, grid: F.grid_sample(x, grid, mode, padding, align_corners)  # noqa: E731
    assert gradcheck(f, x, grid)
    assert gradgradcheck(f, (x, grid))


@pytest.mark.parametrize("mode, padding, align_corners", CASES_3D)
def test_volume_gradients_match_finite_differences(mode, padding, align_corners):
    rng = np.random.default_rng(100 + CASES_3D.index((mode, padding, align_corners)))
    x = Tensor(rng.standard_normal((1, 2, 2, 3, 4)), requires_grad=True)
    grid = Tensor(smooth_points(rng, (1, 2, 2, 2), (2, 3, 4), align_corners), requires_grad=True)
    f = lambda x, grid: F.grid_sample(x, grid, mode, padding, align_corners)  # noqa: E731
    assert gradcheck(f, x, grid)
    assert gradgradcheck(f, (x, grid))


@pytest.mark.parametrize("mode, padding, align_corners", CASES_2D)
def test_one_image_of_many_channels_with_points_outside_matches_finite_differences(
        mode, padding, align_corners):
    """Batch 1, 5 channels (the first-order rule reads x as (C, N·S + 1) planes), a 5 x 6
    grid of points around and far outside a 4 x 5 image."""
    rng = np.random.default_rng(200 + CASES_2D.index((mode, padding, align_corners)))
    x = Tensor(rng.standard_normal((1, 5, 4, 5)), requires_grad=True)
    grid = smooth_points(rng, (1, 5, 6), (4, 5), align_corners)
    grid[0, 0, :2] = to_grid(np.array([[-3.2, 1.3], [7.7, 5.2]]), (4, 5), align_corners)
    grid = Tensor(grid, requires_grad=True)
    f = lambda x, grid: F.grid_sample(x, grid, mode, padding, align_corners)  # noqa: E731
    assert gradcheck(f, x, grid)


@pytest.mark.parametrize("mode, padding, align_corners", CASES_3D)
def test_a_batch_of_volumes_matches_finite_differences(mode, padding, align_corners):
    rng = np.random.default_rng(300 + CASES_3D.index((mode, padding, align_corners)))
    x = Tensor(rng.standard_normal((3, 3, 2, 3, 4)), requires_grad=True)
    grid = Tensor(smooth_points(rng, (3, 2, 1, 3), (2, 3, 4), align_corners), requires_grad=True)
    f = lambda x, grid: F.grid_sample(x, grid, mode, padding, align_corners)  # noqa: E731
    assert gradcheck(f, x, grid)


@pytest.mark.parametrize("mode", MODES_2D)
def test_both_scatters_of_the_input_gradient_agree(mode, monkeypatch):
    """np.add.at (numpy >= 1.25.2) and bincount (older numpy) give the same dx."""
    from autograd.ops import grid_sample as op
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 5, 4))
    grid = rng.uniform(-1.3, 1.3, (2, 6, 5, 2))
    up = rng.standard_normal((2, 3, 6, 5))
    grads = []
    for fast in (True, False):
        monkeypatch.setattr(op, "_ADD_AT_IS_FAST", fast)
        tx = Tensor(x, requires_grad=True)
        F.grid_sample(tx, Tensor(grid), mode, "zeros").backward(up)
        grads.append(tx.grad)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)


def test_nearest_gives_the_grid_a_zero_gradient():
    x = Tensor(np.random.default_rng(3).standard_normal((1, 1, 3, 3)), requires_grad=True)
    grid = Tensor(np.full((1, 2, 2, 2), 0.3), requires_grad=True)
    F.grid_sample(x, grid, mode="nearest").sum().backward()
    assert grid.grad.shape == grid.shape and not grid.grad.any()
    assert x.grad.sum() == 4.0                          # each output passes its 1 back


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_theta_gets_its_gradient_through_affine_grid(mode, align_corners):
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((2, 2, 5, 6)))
    theta = Tensor(identity(2) + rng.normal(0, 0.2, (2, 2, 3)), requires_grad=True)
    f = lambda theta: F.grid_sample(  # noqa: E731
        x, F.affine_grid(theta, (2, 2, 4, 5), align_corners), mode, "border", align_corners)
    assert gradcheck(f, theta)
    assert gradgradcheck(f, theta)


def test_theta_of_a_volume_gets_its_gradient():
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((1, 1, 3, 4, 4)))
    theta = Tensor(identity(1, 3) + rng.normal(0, 0.2, (1, 3, 4)), requires_grad=True)
    f = lambda theta: F.grid_sample(x, F.affine_grid(theta, (1, 1, 2, 3, 3)))  # noqa: E731
    assert gradcheck(f, theta)


# ----------------------------------------------------------------------------------------------
# A spatial transformer learns to undo shifts
# ----------------------------------------------------------------------------------------------

def shifted_squares(n: int, rng, size: int = 12) -> tuple:
    """n images of one soft-edged 4 x 5 block moved by whole pixels in [-2, 2] each way from the
    centre; the centred image; the shifts (dx, dy)."""
    axis = np.arange(size) - (size - 1) / 2
    def block(cx, cy):
        wx = np.clip(2.5 - np.abs(axis - cx), 0, 1)     # 4 pixels wide, a soft pixel each side
        wy = np.clip(3.0 - np.abs(axis - cy), 0, 1)     # 5 tall
        return np.outer(wy, wx)
    shifts = rng.integers(-2, 3, (n, 2)).astype(float)
    images = np.stack([block(sx, sy) for sx, sy in shifts])[:, None].astype(np.float32)
    return images, block(0.0, 0.0).astype(np.float32), shifts


def test_a_spatial_transformer_learns_to_undo_the_shift():
    """The localisation net reads the image and predicts a translation; the loss is the warped
    image's distance to the centred block. After training it predicts theta's translation
    2 · shift / size for shifts it never saw in that combination, and the warp centres them."""
    rng = np.random.default_rng(0)
    images, centred, _ = shifted_squares(64, rng)
    size = images.shape[-1]
    localise = nn.Linear(size * size, 2)
    localise.weight.data[...] = 0.0                     # start at the identity warp
    localise.bias.data[...] = 0.0
    optimizer = nn.optim.Adam(localise.parameters(), lr=0.01)
    into_theta = np.zeros((2, 6), np.float32)           # (tx, ty) -> theta's last column
    into_theta[0, 2] = into_theta[1, 5] = 1.0
    base = identity(1).astype(np.float32)

    def warp(x):
        shift = localise(x.reshape(len(x.data), -1))               # (N, 2)
        theta = (shift @ Tensor(into_theta)).reshape(-1, 2, 3) + base
        return F.grid_sample(x, F.affine_grid(theta, x.shape)), shift

    target = Tensor(np.broadcast_to(centred, images.shape).copy())
    first = None
    for _ in range(150):
        warped, _ = warp(Tensor(images))
        loss = F.mse_loss(warped, target)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    test_images, _, test_shifts = shifted_squares(32, np.random.default_rng(1))
    warped, shift = warp(Tensor(test_images))
    assert loss.item() < 0.1 * first
    np.testing.assert_allclose(shift.data, 2 * test_shifts / size, atol=0.06)
    centred_error = np.abs(warped.data - centred).mean()
    assert centred_error < 0.1 * np.abs(test_images - centred).mean()


# ----------------------------------------------------------------------------------------------
# Errors name the function, the shapes and what was expected
# ----------------------------------------------------------------------------------------------

def test_affine_grid_errors():
    theta = Tensor(identity(2))
    with pytest.raises(ValueError, match=r"affine_grid: for a size of 4 axes \(2, 1, 3, 3\) "
                                         r"theta must be \(N, 2, 3\), got shape \(2, 3, 4\)"):
        F.affine_grid(Tensor(identity(2, 3)), (2, 1, 3, 3))
    with pytest.raises(ValueError, match=r"add a batch axis: theta.reshape\(1, 2, 3\)"):
        F.affine_grid(Tensor(np.eye(2, 3)), (1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"theta holds 2 matrices .* asks for a batch of 3"):
        F.affine_grid(theta, (3, 1, 4, 4))
    with pytest.raises(ValueError, match=r"size must be the output's \(N, C, H, W\)"):
        F.affine_grid(theta, (2, 4, 4))
    with pytest.raises(TypeError, match=r"theta must be a floating Tensor .* got dtype int64"):
        F.affine_grid(Tensor(np.zeros((1, 2, 3), np.int64)), (1, 1, 2, 2))
    with pytest.raises(TypeError, match=r"align_corners must be True, False or None"):
        F.affine_grid(theta, (2, 1, 2, 2), align_corners="yes")


def test_grid_sample_errors():
    x = Tensor(np.zeros((2, 3, 4, 5), np.float32))
    grid = Tensor(np.zeros((2, 6, 7, 2), np.float32))
    with pytest.raises(ValueError, match=r"grid_sample: for an input of shape \(2, 3, 4, 5\) "
                                         r"\(N, C, H, W\) the grid must be \(N, H_out, W_out, 2\), "
                                         r"got shape \(2, 6, 7, 3\)"):
        F.grid_sample(x, Tensor(np.zeros((2, 6, 7, 3), np.float32)))
    with pytest.raises(ValueError, match=r"\(N, D_out, H_out, W_out, 3\), got shape"):
        F.grid_sample(Tensor(np.zeros((2, 3, 4, 5, 6), np.float32)), grid)
    with pytest.raises(ValueError, match=r"the grid's batch 1 .* differs from the input's 2"):
        F.grid_sample(x, grid[:1])
    with pytest.raises(ValueError, match=r"mode must be one of 'bilinear', 'nearest', 'bicubic', "
                                         r"got 'linear'"):
        F.grid_sample(x, grid, mode="linear")
    with pytest.raises(ValueError, match=r"'bilinear' is trilinear"):
        F.grid_sample(x, grid, mode="trilinear")
    with pytest.raises(ValueError, match=r"padding_mode must be one of 'zeros', 'border', "
                                         r"'reflection', got 'reflect'"):
        F.grid_sample(x, grid, padding_mode="reflect")
    with pytest.raises(TypeError, match=r"grid_sample: input must be floating point, got dtype "
                                        r"int64 .* \.float\(\) \(a label mask: "
                                        r"mode='nearest', then \.long\(\) the result\)"):
        F.grid_sample(Tensor(np.zeros((2, 3, 4, 5), np.int64)), grid)
    with pytest.raises(TypeError, match=r"grid_sample: grid must be floating point"):
        F.grid_sample(x, Tensor(np.zeros((2, 6, 7, 2), np.int64)))
    with pytest.raises(TypeError, match=r"input and grid must have one dtype, got float32 and "
                                        r"float64"):
        F.grid_sample(x, Tensor(np.zeros((2, 6, 7, 2))))
    with pytest.raises(ValueError, match=r"mode 'bicubic' takes 4-d images, not volumes"):
        F.grid_sample(Tensor(np.zeros((1, 1, 2, 2, 2))), Tensor(np.zeros((1, 1, 1, 1, 3))),
                      mode="bicubic")
    with pytest.raises(ValueError, match=r"input must be 4-d \(N, C, H, W\) or 5-d"):
        F.grid_sample(Tensor(np.zeros((3, 4, 5), np.float32)), grid)


def test_empty_batches_and_grids_give_empty_results_and_gradients():
    for x_shape, grid_shape, out in [((2, 3, 4, 5), (2, 0, 3, 2), (2, 3, 0, 3)),
                                     ((0, 3, 4, 5), (0, 2, 3, 2), (0, 3, 2, 3))]:
        x = Tensor(np.ones(x_shape), requires_grad=True)
        grid = Tensor(np.zeros(grid_shape), requires_grad=True)
        y = F.grid_sample(x, grid)
        y.sum().backward()
        assert y.shape == out and x.grad.shape == x_shape and grid.grad.shape == grid_shape
        assert not x.grad.any()


def test_a_grid_of_plain_numbers_takes_the_inputs_precision():
    x = Tensor(np.ones((1, 1, 2, 2), np.float32))
    assert F.grid_sample(x, np.zeros((1, 1, 1, 2))).dtype == np.float32


# ----------------------------------------------------------------------------------------------
# The same numbers and gradients as PyTorch
# ----------------------------------------------------------------------------------------------

def edge_and_random_points(rng, shape: tuple, sizes: tuple, align_corners: bool) -> np.ndarray:
    """Random points reaching outside [-1, 1], and as many exactly on pixel edges and centres
    (whole and half pixel positions), ±1 and beyond."""
    random = rng.uniform(-1.6, 1.6, shape + (len(sizes),))
    halves = np.stack([rng.integers(-4, 2 * size + 3, shape) / 2 - 0.5 * (not align_corners)
                       for size in reversed(sizes)], -1)
    exact = to_grid(halves, sizes, align_corners)
    exact.reshape(-1, len(sizes))[:4] = [[-1.0] * len(sizes), [1.0] * len(sizes),
                                          [-1.5] * len(sizes), [1.25] * len(sizes)]
    return np.concatenate([random, exact], axis=1)


def torch_pair(x, grid, up, mode, padding, align_corners):
    tx = real_torch.tensor(x, requires_grad=True)
    tg = real_torch.tensor(grid, requires_grad=True)
    y = real_torch.nn.functional.grid_sample(tx, tg, mode, padding, align_corners)
    (y * real_torch.tensor(up)).sum().backward()
    return y.detach().numpy(), tx.grad.numpy(), tg.grad.numpy()


def ours(x, grid, up, mode, padding, align_corners):
    tx, tg = Tensor(x, requires_grad=True), Tensor(grid, requires_grad=True)
    y = F.grid_sample(tx, tg, mode, padding, align_corners)
    (y * Tensor(up)).sum().backward()
    return y.data, tx.grad, tg.grad


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, padding, align_corners", CASES_2D)
def test_images_match_pytorch(mode, padding, align_corners, dtype):
    rng = np.random.default_rng(6)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for shape, out in [((1, 1, 3, 5), (4, 6)), ((2, 3, 4, 4), (3, 2)), ((1, 2, 1, 4), (2, 3))]:
        grid = edge_and_random_points(rng, (shape[0],) + out, shape[2:], align_corners)
        x = rng.standard_normal(shape).astype(dtype)
        up = rng.standard_normal(shape[:2] + grid.shape[1:3]).astype(dtype)
        mine = ours(x, grid.astype(dtype), up, mode, padding, align_corners)
        theirs = torch_pair(x, grid.astype(dtype), up, mode, padding, align_corners)
        for name, a, b in zip(("output", "input's gradient", "grid's gradient"), mine, theirs):
            np.testing.assert_allclose(a, b, **tol, err_msg=name)
            assert a.dtype == dtype


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, padding, align_corners", CASES_3D)
def test_volumes_match_pytorch(mode, padding, align_corners, dtype):
    rng = np.random.default_rng(7)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    shape = (2, 2, 3, 4, 5)
    grid = edge_and_random_points(rng, (2, 3, 2, 2), shape[2:], align_corners)
    x = rng.standard_normal(shape).astype(dtype)
    up = rng.standard_normal(shape[:2] + grid.shape[1:4]).astype(dtype)
    mine = ours(x, grid.astype(dtype), up, mode, padding, align_corners)
    theirs = torch_pair(x, grid.astype(dtype), up, mode, padding, align_corners)
    for name, a, b in zip(("output", "input's gradient", "grid's gradient"), mine, theirs):
        np.testing.assert_allclose(a, b, **tol, err_msg=name)


@needs_torch
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 1, 1, 1), (2, 2, 3, 4, 5),
                                  (1, 1, 1, 2, 1)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_pytorch(size, align_corners):
    rng = np.random.default_rng(8)
    dims = len(size) - 2
    theta = rng.standard_normal((size[0], dims, dims + 1))
    up = rng.standard_normal((size[0],) + size[2:] + (dims,))
    mine = Tensor(theta, requires_grad=True)
    grid = F.affine_grid(mine, size, align_corners)
    (grid * Tensor(up)).sum().backward()
    theirs = real_torch.tensor(theta, requires_grad=True)
    with warnings.catch_warnings():                    # (its unit-size warning)
        warnings.simplefilter("ignore")
        expected = real_torch.nn.functional.affine_grid(theirs, size, align_corners)
    (expected * real_torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(grid.data, expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), atol=1e-12)


@needs_torch
def test_non_finite_grids_match_pytorch():
    x = np.arange(12.0, dtype=np.float32).reshape(1, 1, 3, 4)
    grid = np.array([[[[np.nan, 0.0], [0.2, np.nan], [np.inf, 0.1], [-np.inf, 0.0]]]],
                    np.float32)
    for mode, padding, align_corners in CASES_2D:
        mine = F.grid_sample(Tensor(x), Tensor(grid), mode, padding, align_corners).data
        theirs = real_torch.nn.functional.grid_sample(real_torch.tensor(x), real_torch.tensor(grid),
                                                      mode, padding, align_corners).numpy()
        np.testing.assert_array_equal(mine, theirs, err_msg=f"{mode} {padding} {align_corners}")


@needs_torch
def test_points_outside_do_not_read_an_infinite_edge():
    """With zeros padding a point outside reads 0, not 0 · (the edge pixel): inf and NaN on the
    image's edge stay out of it, as in PyTorch."""
    x = np.zeros((1, 1, 2, 3), np.float32)
    x[0, 0, :, 0], x[0, 0, 1, 2] = np.inf, np.nan
    grid = np.array([[[[-1.8, 0.0], [1.9, 1.5], [0.0, 0.0]]]], np.float32)
    for mode in MODES_2D:
        with np.errstate(invalid="ignore"):
            mine = F.grid_sample(Tensor(x), Tensor(grid), mode).data
        theirs = real_torch.nn.functional.grid_sample(real_torch.tensor(x), real_torch.tensor(grid),
                                                      mode, align_corners=False).numpy()
        np.testing.assert_array_equal(mine, theirs, err_msg=mode)
    assert F.grid_sample(Tensor(x), Tensor(grid[:, :, :2])).data.tolist() == [[[[0.0, 0.0]]]]
