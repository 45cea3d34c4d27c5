"""Depthwise convolutions (groups = C, one input channel per group, m ≤ 8 outputs per channel)
run by blocks of channels (`depthwise_forward`, `depthwise_input_grad`, `depthwise_weight_grad`
in autograd/ops/conv.py): the path is taken where it should be and not elsewhere, gives the
product path's numbers (in one block and in blocks of one or two channels), and its gradients
(first and second order) match finite differences in float64; conv1d, conv3d and
conv_transpose2d with such groups too; the same numbers as live PyTorch in float32 and float64
(skipped where torch is missing)."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, gradcheck, grad
from autograd import functional as F
from autograd.ops import conv as conv_ops
from autograd.ops.conv import Geometry

from conftest import t64
from conv_helpers import assert_conv2d_matches_pytorch
from torch_helpers import needs_torch

# (x shape, weight shape (C·m, 1, kh, kw), stride, padding, dilation): groups = C
CASES = [
    ((2, 3, 7, 6), (3, 1, 3, 3), 1, 1, 1),                  # "same" 3x3, odd sizes
    ((1, 4, 9, 8), (4, 1, 3, 2), 2, 0, 1),                  # batch 1, stride 2, no padding
    ((2, 3, 8, 9), (3, 1, 5, 5), 2, 2, 1),                  # 5x5 stride 2
    ((2, 2, 9, 7), (2, 1, 3, 3), 1, 2, 2),                  # dilation 2, padding 2
    ((2, 3, 6, 7), (6, 1, 3, 3), 1, 1, 1),                  # channel multiplier 2
    ((1, 2, 9, 8), (4, 1, 3, 3), (2, 1), (1, 3), (1, 2)),   # multiplier 2, per-axis settings
    ((3, 2, 5, 5), (2, 1, 3, 3), 3, 3, 1),                  # padding over k - 1, stride 3
    ((1, 3, 7, 5), (12, 1, 3, 3), 2, 1, 1),                 # multiplier 4, batch 1, stride 2
    ((2, 2, 5, 6), (6, 1, 2, 3), 1, (0, 1), (2, 1)),        # multiplier 3, dilated in h
    ((1, 3, 6, 9), (3, 1, 2, 3), 1, (0, 2), (2, 1)),        # stride 1, batch 1, per-axis
    ((2, 3, 9, 8), (3, 1, 3, 3), 2, 2, 2),                  # stride 2, dilated: no phases
    ((1, 2, 7, 10), (2, 1, 2, 5), (1, 3), (1, 2), 1),       # phases along the width only
    ((2, 2, 5, 4), (2, 1, 3, 3), 1, 3, 1),                  # stride 1, padding over k - 1
]
IDS = [f"x{x}-w{w}-s{s}-p{p}-d{d}" for x, w, s, p, d in CASES]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _geometry(xs, stride, padding, dilation):
    return Geometry(_pair(stride), _pair(padding), _pair(dilation), xs[1])


def _no_products(monkeypatch):
    """Make the per-group products and col2im fail: only the depthwise kernels may run."""
    def refuse(*args, **kwargs):
        raise AssertionError("a per-group product ran: the depthwise path was not taken")
    monkeypatch.setattr(conv_ops, "column_tiles", refuse)
    monkeypatch.setattr(conv_ops, "col2im", refuse)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_the_three_kernels_give_the_grouped_products_numbers(rng, monkeypatch, xs, ws, stride,
                                                             padding, dilation):
    geo = _geometry(xs, stride, padding, dilation)
    assert conv_ops.runs_depthwise(xs[1], ws, geo)
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    g = rng.normal(size=(xs[0], ws[0]) + geo.output_size(xs[2:], ws[2:]))
    with monkeypatch.context() as m:
        m.setattr(conv_ops, "runs_depthwise", lambda *a: False)
        expected = (conv_ops.conv_forward(x, w, geo),
                    conv_ops.conv_input_grad_forward(g, w, geo, xs),
                    conv_ops.conv_weight_grad_forward(x, g, geo, ws))
    _no_products(monkeypatch)
    got = (conv_ops.conv_forward(x, w, geo), conv_ops.conv_input_grad_forward(g, w, geo, xs),
           conv_ops.conv_weight_grad_forward(x, g, geo, ws))
    for a, b in zip(got, expected):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _in_small_blocks(monkeypatch, per_block):
    """Blocks of `per_block` channels (the last one shorter where they do not divide C), so that
    the block loops and the padded buffer a block refills run more than once."""
    monkeypatch.setattr(conv_ops, "_channel_block", lambda c, per_channel: min(c, per_block))


@pytest.mark.parametrize("per_block", [1, 2], ids=["one-channel", "two-channels"])
@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_blocks_of_channels_give_the_same_numbers(rng, monkeypatch, xs, ws, stride, padding,
                                                  dilation, per_block):
    geo = _geometry(xs, stride, padding, dilation)
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    g = rng.normal(size=(xs[0], ws[0]) + geo.output_size(xs[2:], ws[2:]))
    whole = (conv_ops.conv_forward(x, w, geo), conv_ops.conv_input_grad_forward(g, w, geo, xs),
             conv_ops.conv_weight_grad_forward(x, g, geo, ws))
    _no_products(monkeypatch)
    _in_small_blocks(monkeypatch, per_block)
    got = (conv_ops.conv_forward(x, w, geo), conv_ops.conv_input_grad_forward(g, w, geo, xs),
           conv_ops.conv_weight_grad_forward(x, g, geo, ws))
    for a, b in zip(got, whole):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
    xt, wt = t64(x), t64(w)
    assert gradcheck(lambda x, w: F.conv2d(x, w, None, stride, padding, dilation, xs[1]), xt, wt)


def test_the_default_block_splits_a_large_layer(rng, monkeypatch):
    """A MobileNetV2-sized layer does not fit one block: several blocks, the last one shorter."""
    blocks = []
    original = conv_ops._channel_block
    monkeypatch.setattr(conv_ops, "_channel_block", lambda *a: blocks.append(original(*a)) or
                        blocks[-1])
    x = rng.normal(size=(32, 99, 16, 16)).astype(np.float32)
    w = rng.normal(size=(99, 1, 3, 3)).astype(np.float32)
    for stride in (1, 2):                   # the rows' kernel and the columns' one
        conv_ops.conv_forward(x, w, Geometry((stride, stride), (1, 1), (1, 1), 99))
    assert len(blocks) == 2 and all(1 < b < 99 and 99 % b for b in blocks)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_the_input_gradient_takes_phases_where_it_should(rng, monkeypatch, xs, ws, stride,
                                                         padding, dilation):
    """One output per channel, no dilation, stride > 1 (or padding beyond d·(k - 1)): dx by
    phases (stride-1 convolutions of g), never strided adds; else the flipped kernel or blocks."""
    geo = _geometry(xs, stride, padding, dilation)
    calls = []
    original = conv_ops._depthwise_input_grad_by_phases
    monkeypatch.setattr(conv_ops, "_depthwise_input_grad_by_phases",
                        lambda *a: calls.append(1) or original(*a))
    g = rng.normal(size=(xs[0], ws[0]) + geo.output_size(xs[2:], ws[2:]))
    conv_ops.conv_input_grad_forward(g, rng.normal(size=ws), geo, xs)
    flipped = geo.stride == (1, 1) and all(p <= d * (k - 1) for p, d, k in
                                           zip(geo.padding, geo.dilation, ws[2:]))
    assert bool(calls) == (ws[0] == xs[1] and geo.dilation == (1, 1) and not flipped)


def test_float32_stays_float32(rng, monkeypatch):
    _no_products(monkeypatch)
    x = Tensor(rng.normal(size=(2, 4, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.normal(size=(8, 1, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, stride=2, padding=1, groups=4)
    y.backward(np.ones(y.shape, np.float32))
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float32


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_depthwise_gradients_match_finite_differences(rng, monkeypatch, xs, ws, stride, padding,
                                                      dilation, bias):
    _no_products(monkeypatch)
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    b = t64(rng.normal(size=ws[0])) if bias else None
    assert gradcheck(lambda x, w, *b: F.conv2d(x, w, *(b or [None]), stride, padding, dilation,
                                               xs[1]), x, w, *([b] if bias else []))


@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), (3, 2)], ids=["k3", "k4", "k3-d2"])
def test_padding_same_is_depthwise_too(rng, monkeypatch, kernel, dilation):
    """padding="same" (an even kernel pads one more row and column at the end first)."""
    _no_products(monkeypatch)
    x, w = t64(rng.normal(size=(2, 3, 7, 6))), t64(rng.normal(size=(6, 1, kernel, kernel)))
    y = F.conv2d(x, w, padding="same", dilation=dilation, groups=3)
    assert y.shape == (2, 6, 7, 6)
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding="same", dilation=dilation, groups=3),
                     x, w)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_depthwise_second_derivatives(rng, xs, ws, stride, padding, dilation):
    """Σ r·conv(x, w)², differentiated twice: its gradient's ConvInputGrad / ConvWeightGrad
    nodes run the depthwise kernels forward and are differentiated in turn."""
    r = rng.uniform(0.5, 1.5, size=(1,) + ws[:1] + (1, 1))
    f = lambda x, w: (F.conv2d(x, w, None, stride, padding, dilation, xs[1]) ** 2 * r).sum()
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    assert gradcheck(lambda x, w: grad(f, argnums=0)(x, w), x, w)
    assert gradcheck(lambda x, w: grad(f, argnums=1)(x, w), x, w)


def test_conv1d_conv3d_and_conv_transpose2d_with_groups_c(rng, monkeypatch):
    _no_products(monkeypatch)
    x, w = t64(rng.normal(size=(2, 3, 11))), t64(rng.normal(size=(6, 1, 3)))
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1, dilation=2, groups=3), x, w)
    x, w = t64(rng.normal(size=(1, 2, 4, 5, 3))), t64(rng.normal(size=(2, 1, 3, 2, 2)))
    assert gradcheck(lambda x, w: F.conv3d(x, w, stride=(1, 2, 1), padding=(1, 0, 1), groups=2),
                     x, w)
    # conv_transpose2d's forward is a conv2d's input gradient: weight (C_in, C_out/G, kh, kw),
    # here C_out = G = 2 and C_in = 4 (the forward convolution's multiplier 2)
    x, w = t64(rng.normal(size=(2, 4, 4, 5))), t64(rng.normal(size=(4, 1, 3, 3)))
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, groups=2), x, w)


@pytest.mark.parametrize("ws, groups", [((32, 1, 3, 3), 2), ((3, 2, 3, 3), 3), ((4, 1, 3, 3), 1)],
                         ids=["multiplier-16", "two-per-group", "one-channel"])
def test_the_other_grouped_cases_keep_the_products(rng, ws, groups):
    xs = (2, groups * ws[1], 5, 5)
    assert not conv_ops.runs_depthwise(xs[1], ws, Geometry((1, 1), (1, 1), (1, 1), groups))
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding=1, groups=groups), x, w)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_depthwise_matches_pytorch(rng, xs, ws, stride, padding, dilation, dtype):
    assert_conv2d_matches_pytorch(rng, xs, ws, dtype, stride=_pair(stride), padding=_pair(padding),
                                  dilation=_pair(dilation), groups=xs[1])
