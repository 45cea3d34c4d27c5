"""1x1 convolutions at stride 1 without padding run as one product of the input's rows
(`runs_pointwise` in autograd/ops/conv.py: no columns copied, no col2im): the path is taken where
it should be and not elsewhere, gives the tiled products' numbers, its gradients (first and
second order) match finite differences in float64, and its numbers match live PyTorch in
float32 and float64 (skipped where torch is missing)."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import gradcheck, grad
from autograd import functional as F
from autograd.ops import conv as conv_ops
from autograd.ops.conv import Geometry

from conftest import t64
from conv_helpers import assert_conv2d_matches_pytorch
from torch_helpers import needs_torch

# (x shape, weight shape (O, C/G, 1, 1), groups)
CASES = [
    ((2, 3, 5, 4), (4, 3, 1, 1), 1),                        # more outputs, odd sizes
    ((1, 6, 3, 5), (2, 6, 1, 1), 1),                        # batch 1, fewer outputs
    ((2, 4, 3, 3), (6, 2, 1, 1), 2),                        # groups 2
    ((3, 2, 1, 1), (5, 2, 1, 1), 1),                        # one pixel
]
IDS = [f"x{x}-w{w}-g{g}" for x, w, g in CASES]


def _no_tiles(monkeypatch):
    """Make the column tiles and col2im fail: only the pointwise products may run."""
    def refuse(*args, **kwargs):
        raise AssertionError("columns or col2im ran: the pointwise path was not taken")
    monkeypatch.setattr(conv_ops, "column_tiles", refuse)
    monkeypatch.setattr(conv_ops, "col2im", refuse)


def _three_kernels(x, w, g, geo):
    return (conv_ops.conv_forward(x, w, geo),
            conv_ops.conv_input_grad_forward(g, w, geo, x.shape),
            conv_ops.conv_weight_grad_forward(x, g, geo, w.shape))


@pytest.mark.parametrize("layout", ["c-ordered", "batch-last"])
@pytest.mark.parametrize("xs, ws, groups", CASES, ids=IDS)
def test_the_kernels_give_the_tiled_products_numbers(rng, monkeypatch, xs, ws, groups, layout):
    geo = Geometry((1, 1), (0, 0), (1, 1), groups)
    assert conv_ops.runs_pointwise(ws[2:], geo)
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    g = rng.normal(size=(xs[0], ws[0]) + xs[2:])
    if layout == "batch-last":
        x, g = conv_ops.as_batch_last(x), conv_ops.as_batch_last(g)
    with monkeypatch.context() as m:
        m.setattr(conv_ops, "runs_pointwise", lambda *a: False)
        expected = _three_kernels(x, w, g, geo)
    _no_tiles(monkeypatch)
    for a, b in zip(_three_kernels(x, w, g, geo), expected):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xs, ws, groups", CASES, ids=IDS)
def test_pointwise_gradients_match_finite_differences(rng, monkeypatch, xs, ws, groups):
    _no_tiles(monkeypatch)
    x, w, b = t64(rng.normal(size=xs)), t64(rng.normal(size=ws)), t64(rng.normal(size=ws[0]))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, groups=groups), x, w, b)


@pytest.mark.parametrize("xs, ws, groups", CASES[:3], ids=IDS[:3])
def test_pointwise_second_derivatives(rng, monkeypatch, xs, ws, groups):
    """Σ r·conv(x, w)² differentiated twice: the gradient's ConvInputGrad and ConvWeightGrad
    nodes run the pointwise kernels forward and are differentiated in turn."""
    _no_tiles(monkeypatch)
    r = rng.uniform(0.5, 1.5, size=(1,) + ws[:1] + (1, 1))
    f = lambda x, w: (F.conv2d(x, w, groups=groups) ** 2 * r).sum()
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    assert gradcheck(lambda x, w: grad(f, argnums=0)(x, w), x, w)
    assert gradcheck(lambda x, w: grad(f, argnums=1)(x, w), x, w)


def test_conv3d_and_conv_transpose2d_1x1(rng, monkeypatch):
    _no_tiles(monkeypatch)
    x, w = t64(rng.normal(size=(2, 3, 3, 2, 4))), t64(rng.normal(size=(2, 3, 1, 1, 1)))
    assert gradcheck(lambda x, w: F.conv3d(x, w), x, w)
    x, w = t64(rng.normal(size=(2, 3, 4, 3))), t64(rng.normal(size=(3, 2, 1, 1)))
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w), x, w)


@pytest.mark.parametrize("stride, padding, dilation", [(2, 0, 1), (1, 1, 1), ((1, 2), 0, 1)],
                         ids=["stride-2", "padding-1", "stride-1x2"])
def test_strided_or_padded_1x1_keeps_the_tiles(rng, monkeypatch, stride, padding, dilation):
    geo = Geometry(tuple(np.broadcast_to(stride, 2)), (padding,) * 2, (dilation,) * 2, 1)
    assert not conv_ops.runs_pointwise((1, 1), geo)
    called = []
    original = conv_ops.column_tiles
    monkeypatch.setattr(conv_ops, "column_tiles", lambda *a: called.append(1) or original(*a))
    x, w = t64(rng.normal(size=(2, 3, 5, 4))), t64(rng.normal(size=(2, 3, 1, 1)))
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=stride, padding=padding), x, w)
    assert called


def test_a_depthwise_1x1_layer_stays_depthwise(rng, monkeypatch):
    """groups = C with a 1x1 kernel: the depthwise kernels, not stacked products of K = 1."""
    called = []
    original = conv_ops.depthwise_input_grad
    monkeypatch.setattr(conv_ops, "_products", lambda *a: called.append("products"))
    monkeypatch.setattr(conv_ops, "depthwise_input_grad",
                        lambda *a: called.append("depthwise") or original(*a))
    x, w = t64(rng.normal(size=(2, 3, 4, 4))), t64(rng.normal(size=(6, 1, 1, 1)))
    assert gradcheck(lambda x, w: F.conv2d(x, w, groups=3), x, w)
    assert "products" not in called


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, ws, groups", CASES, ids=IDS)
def test_pointwise_matches_pytorch(rng, xs, ws, groups, dtype):
    assert_conv2d_matches_pytorch(rng, xs, ws, dtype, groups=groups)
