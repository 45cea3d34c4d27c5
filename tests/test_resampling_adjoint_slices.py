"""The resize's adjoint (interpolate's backward) adds its taps through slices where the
outputs and inputs step evenly (`evenly_spaced`) and by fancy indexing where they do not; in
the gradient's memory order. Both paths, batch-last and C-ordered gradients: the same numbers
as the adjoint written as a dense matrix, and finite differences (float64) to second order."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import grad, gradcheck
from autograd.ops import resample as resample_ops
from nn.functional import interpolate

from conftest import t64


def batch_last(a):
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def dense_adjoint(ctx, g):
    """Σ_o M[o, i] g[o] along ctx.axis, M the resize's (out, size) matrix."""
    m = np.zeros((len(ctx.taps.index[0]), ctx.taps.size))
    for index, weight in zip(ctx.taps.index, ctx.taps.weight):
        np.add.at(m, (np.arange(len(index)), index), weight)
    return np.moveaxis(np.tensordot(g, m, axes=([ctx.axis], [0])), -1, ctx.axis)


# (input size, output size, scale factor, align_corners): whole factors (slices: a middle piece
# and clamped edges) and uneven ones (many pieces: fancy indexing)
SIZES = [(8, 16, 2.0, False), (5, 15, 3.0, False), (6, 12, None, True), (5, 11, None, False),
         (7, 3, None, False), (1, 4, None, False)]


@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("size, out, factor, corners", SIZES)
@pytest.mark.parametrize("layout", ["C", "batch-last"])
def test_the_adjoint_equals_the_dense_matrix(rng, mode, size, out, factor, corners, layout):
    taps_of = resample_ops.linear_taps if mode == "linear" else resample_ops.cubic_taps
    taps = taps_of(size, out, factor, corners, np.float64)
    for axis in (2, 3):
        shape = [2, 3, 4, 5]
        shape[axis] = out
        g = rng.normal(size=shape)
        g = batch_last(g) if layout == "batch-last" else g
        ctx = resample_ops.ResampleCtx(axis, taps)
        dx = resample_ops.adjoint_forward(ctx, g)
        np.testing.assert_allclose(dx, dense_adjoint(ctx, g), rtol=1e-12, atol=1e-12)
        if layout == "batch-last":
            assert dx.strides[0] == dx.itemsize       # kept the gradient's layout


def test_evenly_spaced_splits_a_whole_factor_into_pieces_and_gives_up_on_uneven_ones():
    outputs, inputs = np.array([0, 3, 5, 7, 9, 10]), np.array([0, 1, 2, 3, 4, 7])
    pieces = resample_ops.evenly_spaced(outputs, inputs)
    assert pieces == [(slice(0, 4, 3), slice(0, 2, 1)), (slice(5, 10, 2), slice(2, 5, 1)),
                      (slice(10, 11, 1), slice(7, 8, 1))]
    uneven = np.array([0, 2, 5, 7, 10, 12, 15, 18])
    (whole,) = resample_ops.evenly_spaced(uneven, np.arange(8))
    assert whole[0] is uneven


@pytest.mark.parametrize("mode, factor, corners", [("bilinear", 2, False), ("bilinear", 3, True),
                                                   ("bicubic", 2, False),
                                                   ("bilinear", 2.2, False)])
@pytest.mark.parametrize("layout", ["C", "batch-last"])
def test_interpolate_gradients_through_both_paths_match_finite_differences(rng, mode, factor,
                                                                           corners, layout):
    a = rng.normal(size=(2, 2, 3, 4))
    x = t64(batch_last(a) if layout == "batch-last" else a)
    r = t64(rng.uniform(0.5, 1.5, size=(1, 2, 1, 1)), requires_grad=False)
    f = lambda x: (interpolate(x, scale_factor=factor, mode=mode, align_corners=corners) ** 2
                   * r).sum()
    assert gradcheck(lambda x: interpolate(x, scale_factor=factor, mode=mode,
                                           align_corners=corners) * r, x)
    assert gradcheck(lambda x: grad(f)(x), x)
