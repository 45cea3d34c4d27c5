"""2-D convolutions by image rows (`rows_forward`, `rows_weight_grad` in autograd/ops/conv.py: one
group, no dilation along the height; the input relaid out as (Hp, C, s, Wp / s, N), no columns
copied), and the flipped-kernel input gradient that then runs for more output than input
channels too: the paths are taken where they should be and not elsewhere, give the tiled
products' numbers, their gradients (first and second order) match finite differences in float64,
and the numbers match live PyTorch in float32 and float64 (skipped where torch is missing)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Tensor, gradcheck, grad
from autograd import functional as F
from autograd.ops import conv as conv_ops
from autograd.ops.conv import Geometry

from conftest import t64
from conv_helpers import assert_conv2d_matches_pytorch
from torch_helpers import needs_torch

# (x shape, weight shape, stride, padding, dilation): one group
CASES = [
    ((2, 4, 7, 6), (5, 4, 3, 3), 1, 1, 1),                  # "same" 3x3, odd sizes
    ((1, 5, 6, 9), (3, 5, 2, 3), 1, (0, 2), (1, 2)),        # batch 1, per-axis, dilated along w
    ((2, 4, 9, 7), (4, 4, 3, 3), (2, 1), (1, 0), 1),        # stride 2 along h only
    ((3, 6, 5, 5), (2, 6, 3, 3), 1, 3, 1),                  # padding over k - 1
    ((2, 4, 1, 8), (3, 4, 3, 3), 1, 1, 1),                  # a height of 1, padded
    ((2, 8, 5, 6), (16, 8, 3, 3), 1, 1, 1),                 # more outputs: dx by rows too
    ((1, 1, 6, 7), (4, 1, 3, 3), 1, 1, 1),                  # one channel: dw by rows only
    ((2, 4, 8, 8), (5, 4, 4, 4), 2, 1, 1),                  # a DCGAN's 4x4 stride 2
    ((2, 4, 7, 9), (3, 4, 3, 3), (1, 2), 1, 1),             # stride 2 along w, odd width
    ((1, 5, 6, 13), (2, 5, 2, 3), (1, 3), (0, 2), (1, 2)),  # stride 3, dilated along w
]
IDS = [f"x{x}-w{w}-s{s}-p{p}-d{d}" for x, w, s, p, d in CASES]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _geometry(stride, padding, dilation, groups=1):
    return Geometry(_pair(stride), _pair(padding), _pair(dilation), groups)


def _three_kernels(x, w, g, geo):
    return (conv_ops.conv_forward(x, w, geo),
            conv_ops.conv_input_grad_forward(g, w, geo, x.shape),
            conv_ops.conv_weight_grad_forward(x, g, geo, w.shape))


def _spy(monkeypatch, name, calls):
    original = getattr(conv_ops, name)
    monkeypatch.setattr(conv_ops, name, lambda *a: calls.append(name) or original(*a))


@pytest.mark.parametrize("layout", ["c-ordered", "batch-last"])
@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_rows_give_the_tiled_products_numbers(rng, monkeypatch, xs, ws, stride, padding,
                                              dilation, layout):
    geo = _geometry(stride, padding, dilation)
    assert conv_ops.runs_by_rows(xs[1], ws[2:], geo)
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    g = rng.normal(size=(xs[0], ws[0]) + geo.output_size(xs[2:], ws[2:]))
    if layout == "batch-last":
        x, g = conv_ops.as_batch_last(x), conv_ops.as_batch_last(g)
    with monkeypatch.context() as m:
        m.setattr(conv_ops, "runs_by_rows", lambda *a: False)
        expected = _three_kernels(x, w, g, geo)
    calls = []
    for name in ("rows_forward", "rows_weight_grad", "col2im"):
        _spy(monkeypatch, name, calls)
    for a, b in zip(_three_kernels(x, w, g, geo), expected):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # the forward by rows from ROWS_LEAST_CHANNELS input channels; the input gradient as the
    # flipped kernel's convolution (by rows from as many of g's channels) at stride 1 with
    # padding up to d·(k - 1) and, for more outputs than inputs, that many input channels
    least = conv_ops.ROWS_LEAST_CHANNELS
    flips = geo.stride == (1, 1) and all(p <= d * (k - 1) for p, d, k in
                                         zip(geo.padding, geo.dilation, ws[2:]))
    flips = flips and (ws[0] <= xs[1] or xs[1] >= least)
    assert calls.count("rows_weight_grad") == 1
    assert calls.count("rows_forward") == (xs[1] >= least) + (flips and ws[0] >= least)
    assert ("col2im" in calls) == (not flips)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_rows_gradients_match_finite_differences(rng, xs, ws, stride, padding, dilation):
    x, w, b = t64(rng.normal(size=xs)), t64(rng.normal(size=ws)), t64(rng.normal(size=ws[0]))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation), x, w, b)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES[:3] + CASES[5:6],
                         ids=IDS[:3] + IDS[5:6])
def test_rows_second_derivatives(rng, xs, ws, stride, padding, dilation):
    """Σ r·conv(x, w)² differentiated twice: the gradient's ConvInputGrad and ConvWeightGrad
    nodes run the rows kernels forward and are differentiated in turn."""
    r = rng.uniform(0.5, 1.5, size=(1,) + ws[:1] + (1, 1))
    f = lambda x, w: (F.conv2d(x, w, None, stride, padding, dilation) ** 2 * r).sum()
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    assert gradcheck(lambda x, w: grad(f, argnums=0)(x, w), x, w)
    assert gradcheck(lambda x, w: grad(f, argnums=1)(x, w), x, w)


def test_float32_stays_float32_and_transposed_convolutions(rng, monkeypatch):
    calls = []
    _spy(monkeypatch, "rows_forward", calls)
    x = Tensor(rng.normal(size=(2, 6, 5, 7)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.normal(size=(4, 6, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    y.backward(np.ones(y.shape, np.float32))
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float32 and calls
    # a stride-1 transposed convolution's backward is a convolution of g (by rows)
    x, w = t64(rng.normal(size=(2, 5, 4, 5))), t64(rng.normal(size=(5, 4, 3, 2)))
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, padding=(1, 0)), x, w)


@pytest.mark.parametrize("stride, dilation, groups, ws", [
    (1, (2, 1), 1, (3, 4, 3, 3)), ((2, 1), (2, 2), 1, (3, 4, 2, 3)), (1, 1, 2, (4, 2, 3, 3))],
    ids=["dilated-along-h", "strided-and-dilated", "groups-2"])
def test_the_other_cases_keep_the_columns(rng, monkeypatch, stride, dilation, groups, ws):
    geo = _geometry(stride, 1, dilation, groups)
    assert not conv_ops.runs_by_rows(4, ws[2:], geo)
    calls = []
    for name in ("rows_forward", "rows_weight_grad"):
        _spy(monkeypatch, name, calls)
    x, w = t64(rng.normal(size=(2, 4, 7, 6))), t64(rng.normal(size=ws))
    assert gradcheck(lambda x, w: F.conv2d(x, w, None, stride, 1, dilation, groups), x, w)
    assert not calls


def test_conv3d_keeps_the_columns(rng, monkeypatch):
    assert not conv_ops.runs_by_rows(4, (3, 3, 3), _geometry((1, 1, 1), 1, 1))
    calls = []
    _spy(monkeypatch, "rows_forward", calls)
    x, w = t64(rng.normal(size=(1, 4, 3, 4, 3))), t64(rng.normal(size=(2, 4, 3, 3, 2)))
    assert gradcheck(lambda x, w: F.conv3d(x, w, padding=1), x, w)
    assert not calls


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_rows_match_pytorch(rng, xs, ws, stride, padding, dilation, dtype):
    assert_conv2d_matches_pytorch(rng, xs, ws, dtype, stride=_pair(stride), padding=_pair(padding),
                                  dilation=_pair(dilation))


# The rows forward's products in pieces of columns (CHUNK_COLUMNS; real layers have 17-32 output
# channels and Wo·N > 192 columns a row): made to split these small cases into pieces of 2-6
# columns, so that every case runs split, with any stride, padding and dilation along the width
# columns (and the weight gradient's pieces of Wo·N, WEIGHT_CHUNK_COLUMNS, likewise)
@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(conv_ops, "CHUNK_COLUMNS", 6)
    monkeypatch.setattr(conv_ops, "CHUNK_ROWS", (1, 64))
    monkeypatch.setattr(conv_ops, "CHUNK_LEAST", 2)
    monkeypatch.setattr(conv_ops, "WEIGHT_CHUNK_COLUMNS", 6)
    monkeypatch.setattr(conv_ops, "WEIGHT_CHUNK_LEAST", 2)


def test_chunk_width_only_splits_what_it_should():
    assert conv_ops._chunk_width(32, 896) == 128 and conv_ops._chunk_width(17, 960) == 192
    assert conv_ops._chunk_width(64, 896) == 896 and conv_ops._chunk_width(16, 896) == 896
    assert conv_ops._chunk_width(32, 192) == 192            # whole: no wider than a piece
    assert conv_ops._chunk_width(32, 7 * 37) == 7 * 37       # its pieces would be 7 wide


@pytest.mark.parametrize("layout", ["c-ordered", "batch-last"])
@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_rows_in_pieces_give_the_whole_products_numbers(rng, monkeypatch, small_chunks, xs, ws,
                                                       stride, padding, dilation, layout):
    geo = _geometry(stride, padding, dilation)
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    g = rng.normal(size=(xs[0], ws[0]) + geo.output_size(xs[2:], ws[2:]))
    if layout == "batch-last":
        x, g = conv_ops.as_batch_last(x), conv_ops.as_batch_last(g)
    widths = []
    original = conv_ops._chunk_width
    monkeypatch.setattr(conv_ops, "_chunk_width", lambda *a: widths.append(original(*a))
                        or widths[-1])
    split = _three_kernels(x, w, g, geo)
    with monkeypatch.context() as m:
        m.setattr(conv_ops, "CHUNK_COLUMNS", 10 ** 9)
        m.setattr(conv_ops, "WEIGHT_CHUNK_COLUMNS", 10 ** 9)
        whole = _three_kernels(x, w, g, geo)
    for a, b in zip(split, whole):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    columns = geo.output_size(xs[2:], ws[2:])[1] * xs[0]
    if xs[1] >= conv_ops.ROWS_LEAST_CHANNELS and columns > 6:
        assert widths and widths[0] < columns                   # the forward ran in pieces


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CASES, ids=IDS)
def test_rows_in_pieces_match_finite_differences(rng, small_chunks, xs, ws, stride, padding,
                                                 dilation):
    x, w, b = t64(rng.normal(size=xs)), t64(rng.normal(size=ws)), t64(rng.normal(size=ws[0]))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation), x, w, b)
    f = lambda x, w: (F.conv2d(x, w, None, stride, padding, dilation) ** 2).sum()
    assert gradcheck(lambda x, w: grad(f, argnums=0)(x, w), x, w)


@needs_torch
@pytest.mark.parametrize("xs, ws, stride, padding, dilation", [
    ((16, 16, 14, 14), (32, 16, 5, 5), 1, 2, 1),            # LeNet's second layer, batch 16
    ((3, 8, 5, 300), (24, 8, 3, 3), (1, 2), 1, 1),          # 24 outputs, stride 2 along w
    ((1, 4, 5, 200), (20, 4, 3, 3), 1, 1, (1, 3)),          # batch 1, wide, dilated along w
], ids=["lenet", "stride-w", "batch1-dilated"])
def test_rows_in_pieces_at_real_sizes_match_pytorch(rng, xs, ws, stride, padding, dilation):
    geo = _geometry(stride, padding, dilation)
    ho, wo = geo.output_size(xs[2:], ws[2:])
    assert conv_ops._chunk_width(ws[0], wo * xs[0]) < wo * xs[0]     # these run in pieces
    for dtype in (np.float32, np.float64):
        assert_conv2d_matches_pytorch(rng, xs, ws, dtype, stride=_pair(stride),
                                      padding=_pair(padding), dilation=_pair(dilation))


# The weight gradient's products in pieces of Wo·N (WEIGHT_CHUNK_COLUMNS, for kh·C up to
# WEIGHT_CHUNK_ROWS): the pieces are taken where they should be, and give the whole products'
# numbers (above, with `small_chunks`) and PyTorch's at real sizes
def _weight_grad_widths(monkeypatch, xs, ws, geo):
    """The widths rows_weight_grad cut Wo·N into for x (xs) and w (ws) (none: whole)."""
    widths = []
    original = conv_ops._divisor_width
    monkeypatch.setattr(conv_ops, "_divisor_width", lambda *a: widths.append(original(*a))
                        or widths[-1])
    x = np.zeros(xs, np.float32)
    g = np.zeros((xs[0], ws[0]) + geo.output_size(xs[2:], ws[2:]), np.float32)
    conv_ops.rows_weight_grad(x, g, geo, ws)
    return widths


def test_weight_grad_pieces_only_where_they_should_be(monkeypatch):
    same = _geometry(1, 3, 1)
    # a CIFAR net's first layer: kh·C = 21, Wo·N = 32 · 64 in pieces of 512
    assert _weight_grad_widths(monkeypatch, (64, 3, 32, 32), (32, 3, 7, 7), same) == [512]
    monkeypatch.undo()
    # kh·C = 3 · 16 = 48 > WEIGHT_CHUNK_ROWS: whole
    assert _weight_grad_widths(monkeypatch, (64, 16, 32, 32), (16, 16, 3, 3),
                               _geometry(1, 1, 1)) == []
    monkeypatch.undo()
    # Wo·N = 448 is no wider than a piece; 7 · 97 has no divisor from 128 to 512: whole
    assert _weight_grad_widths(monkeypatch, (14, 3, 32, 32), (32, 3, 7, 7), same) == [448]
    monkeypatch.undo()
    assert _weight_grad_widths(monkeypatch, (97, 1, 7, 7), (8, 1, 7, 7), same) == [679]


@needs_torch
@pytest.mark.parametrize("xs, ws, stride, padding, dilation", [
    ((20, 3, 32, 32), (32, 3, 7, 7), 1, 3, 1),              # a CIFAR net's first layer
    ((1, 1, 9, 1400), (8, 1, 3, 3), (1, 2), 1, 1),          # batch 1, C = 1, stride 2 along w
    ((5, 3, 11, 136), (24, 3, 5, 5), (2, 1), (0, 2), (1, 3)),   # odd height, dilated along w
], ids=["cifar", "batch1-c1-stride-w", "odd-dilated"])
def test_weight_grad_in_pieces_at_real_sizes_matches_pytorch(rng, monkeypatch, xs, ws, stride,
                                                             padding, dilation):
    geo = _geometry(stride, padding, dilation)
    widths = _weight_grad_widths(monkeypatch, xs, ws, geo)
    assert widths and widths[0] < geo.output_size(xs[2:], ws[2:])[1] * xs[0]   # in pieces
    monkeypatch.undo()
    assert_conv2d_matches_pytorch(rng, xs, ws, np.float64, stride=_pair(stride),
                                  padding=_pair(padding), dilation=_pair(dilation))
    # float32: the weight gradient sums N·Ho·Wo products (20,480 for the CIFAR layer), whose
    # rounding differs from PyTorch's order by up to ~1e-3 on entries of ~1; so against float64
    # relative to the gradient's scale
    x, g = rng.normal(size=xs), rng.normal(size=(xs[0], ws[0]) + geo.output_size(xs[2:], ws[2:]))
    exact = conv_ops.conv_weight_grad_forward(x, g, geo, ws)
    single = conv_ops.conv_weight_grad_forward(x.astype(np.float32), g.astype(np.float32), geo, ws)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, exact, rtol=0, atol=1e-5 * np.abs(exact).max())


def test_a_first_layer_on_data_computes_no_input_gradient(rng, monkeypatch):
    """x is data (no gradient asked): the backward runs the weight gradient only."""
    calls = []
    for name in ("conv_input_grad_forward", "conv_weight_grad_forward"):
        _spy(monkeypatch, name, calls)
    x = Tensor(rng.normal(size=(2, 3, 8, 8)))
    w = t64(rng.normal(size=(4, 3, 7, 7)))
    F.conv2d(x, w, None, 1, 3).sum().backward()
    assert calls == ["conv_weight_grad_forward"] and x.grad is None and w.grad is not None


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 4), o=st.integers(1, 5), h=st.integers(1, 7),
       wd=st.integers(1, 9), kh=st.integers(1, 3), kw=st.integers(1, 3), sw=st.integers(1, 3),
       sh=st.integers(1, 2), ph=st.integers(0, 2), pw=st.integers(0, 2), dw=st.integers(1, 2),
       width=st.integers(1, 7), seed=st.integers(0, 2 ** 16))
def test_weight_grad_in_any_pieces_is_the_columns_one(n, c, o, h, wd, kh, kw, sw, sh, ph, pw,
                                                      dw, width, seed):
    """Any shape, stride, padding and dilation along the width, cut into pieces of any width
    that divides Wo·N: the weight gradient is the im2col tiles' (float64)."""
    geo = Geometry((sh, sw), (ph, pw), (1, dw), 1)
    ho, wo = geo.output_size((h, wd), (kh, kw))
    assume(ho >= 1 and wo >= 1)
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, c, h, wd))
    g = r.normal(size=(n, o, ho, wo))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(conv_ops, "WEIGHT_CHUNK_COLUMNS", width)
        m.setattr(conv_ops, "WEIGHT_CHUNK_LEAST", 1)
        m.setattr(conv_ops, "WEIGHT_CHUNK_ROWS", 10 ** 9)
        pieces = conv_ops.rows_weight_grad(x, g, geo, (o, c, kh, kw))
        m.setattr(conv_ops, "runs_by_rows", lambda *a: False)
        columns = conv_ops.conv_weight_grad_forward(x, g, geo, (o, c, kh, kw))
    np.testing.assert_allclose(pieces, columns, rtol=1e-12, atol=1e-12)
