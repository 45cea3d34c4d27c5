"""conv2d's and conv3d's input gradient at stride 1 with no more output than input channels is a
convolution of g with the flipped kernel (`flipped_kernel`) instead of Wᵀ g and col2im: that path
is taken where it should be, gives col2im's numbers, and its gradients (first and second order,
through the ConvInputGrad op too) match finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import gradcheck, grad
from autograd import functional as F
from autograd.graph import apply
from autograd.ops import conv as conv_ops
from autograd.ops.conv import ConvCtx, ConvInputGrad, Geometry

from conftest import t64

# (x shape, weight shape, padding, dilation, groups): stride 1, O ≤ C
FLIPPED_CASES = [
    ((2, 3, 6, 5), (3, 3, 3, 3), 1, 1, 1),              # a U-Net's 3x3 "same" layer, odd size
    ((1, 1, 5, 7), (1, 1, 3, 2), 0, 1, 1),              # batch 1, one channel, rectangular
    ((2, 4, 6, 6), (2, 4, 3, 3), 2, 1, 1),              # fewer outputs; padding k - 1
    ((2, 2, 7, 6), (2, 2, 3, 3), (2, 1), (1, 2), 1),    # dilation 2 along w, per-axis padding
    ((2, 4, 5, 6), (4, 2, 3, 3), 1, 1, 2),              # groups 2
    ((1, 3, 6, 5), (3, 1, 3, 2), (1, 0), (2, 1), 3),    # depthwise
    ((3, 2, 4, 4), (1, 2, 4, 4), 0, 1, 1),              # the kernel covers the input
    ((1, 4, 5, 5), (2, 4, 1, 1), 0, 1, 1),              # 1x1
    ((2, 1, 1, 9), (1, 1, 1, 3), (0, 1), 1, 1),         # a height of 1 (padding along it: not
]                                                       # conv1d's length-major case)
IDS = [f"x{x}-w{w}-p{p}-d{d}-g{g}" for x, w, p, d, g in FLIPPED_CASES]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _no_col2im(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("col2im called: the flipped-kernel path was not taken")
    monkeypatch.setattr(conv_ops, "col2im", refuse)


@pytest.mark.parametrize("xs, ws, padding, dilation, groups", FLIPPED_CASES, ids=IDS)
def test_flipped_kernel_input_gradient_equals_col2ims(rng, monkeypatch, xs, ws, padding,
                                                      dilation, groups):
    geo = Geometry((1, 1), _pair(padding), _pair(dilation), groups)
    w = rng.normal(size=ws)
    g = rng.normal(size=(xs[0], ws[0]) + geo.output_size(xs[2:], ws[2:]))
    by_col2im = conv_ops.col2im(
        conv_ops._products(conv_ops._grouped(w, groups).transpose(0, 2, 1),
                           conv_ops._rows_by_group(g, groups)), xs, ws[2:], geo)
    _no_col2im(monkeypatch)
    flipped = conv_ops.conv_input_grad_forward(g, w, geo, xs)
    assert flipped.shape == xs
    np.testing.assert_allclose(flipped, by_col2im, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xs, ws, padding, dilation, groups", FLIPPED_CASES, ids=IDS)
def test_flipped_kernel_path_matches_finite_differences(rng, monkeypatch, xs, ws, padding,
                                                        dilation, groups):
    _no_col2im(monkeypatch)
    x, w, b = t64(rng.normal(size=xs)), t64(rng.normal(size=ws)), t64(rng.normal(size=ws[0]))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, 1, padding, dilation, groups), x, w, b)


@pytest.mark.parametrize("xs, ws, padding, dilation, groups", FLIPPED_CASES[:6], ids=IDS[:6])
def test_flipped_kernel_path_second_derivatives(rng, xs, ws, padding, dilation, groups):
    """Σ r·conv(x, w)² differentiated twice: the ConvInputGrad nodes of its gradient run the
    flipped-kernel path forward and are differentiated in turn."""
    r = rng.uniform(0.5, 1.5, size=(1,) + ws[:1] + (1, 1))
    f = lambda x, w: (F.conv2d(x, w, None, 1, padding, dilation, groups) ** 2 * r).sum()
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    assert gradcheck(lambda x, w: grad(f, argnums=0)(x, w), x, w)
    assert gradcheck(lambda x, w: grad(f, argnums=1)(x, w), x, w)


def test_the_input_gradient_op_on_the_flipped_path_is_differentiable(rng, monkeypatch):
    _no_col2im(monkeypatch)
    geo = Geometry((1, 1), (1, 0), (1, 2), 2)
    x_shape, w = (2, 4, 6, 7), t64(rng.normal(size=(4, 2, 3, 2)))
    g = t64(rng.normal(size=(2, 4) + geo.output_size(x_shape[2:], (3, 2))))
    input_grad = lambda g, w: apply(ConvInputGrad, (g, w), ConvCtx(geo, (True, True), x_shape))
    assert gradcheck(input_grad, g, w)


def test_conv3d_and_stride_1_conv_transpose2d_take_the_flipped_path(rng, monkeypatch):
    _no_col2im(monkeypatch)
    x, w = t64(rng.normal(size=(2, 3, 4, 5, 3))), t64(rng.normal(size=(2, 3, 3, 2, 2)))
    assert gradcheck(lambda x, w: F.conv3d(x, w, padding=(1, 0, 1)), x, w)
    # conv_transpose2d's forward is an input gradient: weight (C_in, C_out, kh, kw), C_in ≤ C_out
    x, w = t64(rng.normal(size=(2, 2, 4, 5))), t64(rng.normal(size=(2, 3, 3, 2)))
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, padding=(1, 0)), x, w)


@pytest.mark.parametrize("stride, padding, ws", [(2, 1, (2, 3, 3, 3)), (1, 3, (2, 3, 3, 3)),
                                                 (1, 1, (6, 3, 3, 3))],
                         ids=["stride-2", "padding-over-k-1", "more-outputs"])
def test_the_other_cases_keep_col2im(rng, monkeypatch, stride, padding, ws):
    called = []
    original = conv_ops.col2im
    monkeypatch.setattr(conv_ops, "col2im", lambda *a: called.append(1) or original(*a))
    x, w = t64(rng.normal(size=(2, 3, 6, 5))), t64(rng.normal(size=ws))
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=stride, padding=padding), x, w)
    assert called
