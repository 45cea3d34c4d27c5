"""conv2d, conv1d, pad and the transposed conv_transpose2d, conv_transpose1d: forward against
direct loops, gradients against finite differences (float64) over strides, paddings,
output paddings, dilations, groups, odd sizes and batch 1, and second derivatives through
grad(grad(f)); the same numbers as PyTorch (asked live where torch is installed, else as
recorded in tests/reference/conv.npz)."""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

from autograd import Tensor, gradcheck, grad, no_grad
from autograd import functional as F
from autograd.graph import apply
from autograd.ops.conv import ConvCtx, ConvInputGrad, ConvWeightGrad, Geometry

from conftest import t64
from reference import as_array, assert_matches, record_cases, recorded_case


def conv2d_loops(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """The definition, one output element at a time."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, ho, wo))
    per_group = o // groups
    for s in range(n):
        for k in range(o):
            g = k // per_group
            for i in range(ho):
                for j in range(wo):
                    total = 0.0 if b is None else b[k]
                    for ci in range(cg):
                        for a in range(kh):
                            for e in range(kw):
                                total += w[k, ci, a, e] * xp[s, g * cg + ci, i * sh + a * dh,
                                                             j * sw + e * dw]
                    y[s, k, i, j] = total
    return y


# (x shape, weight shape, stride, padding, dilation, groups)
CASES = [
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0, 1, 1),
    ((1, 1, 7, 6), (2, 1, 3, 2), 1, 1, 1, 1),            # batch 1, rectangular kernel
    ((2, 2, 7, 7), (3, 2, 3, 3), 2, 1, 1, 1),            # stride 2, odd size
    ((1, 2, 8, 9), (2, 2, 2, 3), (2, 3), (1, 0), 1, 1),  # per-axis stride and padding
    ((2, 2, 7, 7), (2, 2, 3, 3), 1, 2, 2, 1),            # dilation 2
    ((2, 4, 5, 6), (6, 2, 3, 3), 1, 1, 1, 2),            # groups 2
    ((1, 3, 6, 5), (3, 1, 3, 3), 2, 1, (1, 2), 3),       # depthwise, dilated in w
    ((3, 1, 4, 4), (1, 1, 4, 4), 1, 0, 1, 1),            # the kernel covers the input
    ((1, 2, 5, 5), (3, 2, 1, 1), 1, 0, 1, 1),            # 1x1 convolution
]
IDS = [f"x{x}-w{w}-s{s}-p{p}-d{d}-g{g}" for x, w, s, p, d, g in CASES]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CASES, ids=IDS)
def test_conv2d_forward_matches_loops(rng, xs, ws, stride, padding, dilation, groups):
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
    y = F.conv2d(t64(x), t64(w), t64(b), stride, padding, dilation, groups)
    expected = conv2d_loops(x, w, b, _pair(stride), _pair(padding), _pair(dilation), groups)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CASES, ids=IDS)
def test_conv2d_gradients_match_finite_differences(rng, xs, ws, stride, padding, dilation,
                                                   groups):
    x, w, b = t64(rng.normal(size=xs)), t64(rng.normal(size=ws)), t64(rng.normal(size=ws[0]))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
                     x, w, b)


@pytest.mark.parametrize("wanted", ["wb", "xb", "b"], ids=["constant-x", "frozen-w", "bias-only"])
@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CASES[1:7:2],
                         ids=IDS[1:7:2])
def test_conv2d_gradients_of_only_the_inputs_that_want_them(rng, wanted, xs, ws, stride, padding,
                                                            dilation, groups):
    """A constant input (a network's first layer), a frozen weight, or both: the rule works out
    only the gradients wanted (ctx.needs), and those match finite differences."""
    arrays = {"x": rng.normal(size=xs), "w": rng.normal(size=ws), "b": rng.normal(size=ws[0])}
    x, w, b = (t64(arrays[name], requires_grad=name in wanted) for name in "xwb")
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
                     x, w, b)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CASES[:7], ids=IDS[:7])
def test_conv2d_second_derivatives(rng, xs, ws, stride, padding, dilation, groups):
    """f = Σ r·conv(x, w)²: its gradient (made of ConvInputGrad / ConvWeightGrad nodes) is
    differentiated again and checked against finite differences of the gradient."""
    r = rng.uniform(0.5, 1.5, size=(1,) + ws[:1] + (1, 1))
    f = lambda x, w: (F.conv2d(x, w, None, stride, padding, dilation, groups) ** 2 * r).sum()
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    assert gradcheck(lambda x, w: grad(f, argnums=0)(x, w), x, w)
    assert gradcheck(lambda x, w: grad(f, argnums=1)(x, w), x, w)


def test_the_gradient_ops_are_differentiable_themselves(rng):
    """Third order and beyond rest on these two: each one's rules, checked directly."""
    geo = Geometry((2, 1), (1, 1), (1, 2), 2)
    x_shape, w = (2, 4, 6, 7), t64(rng.normal(size=(6, 2, 3, 2)))
    g = t64(rng.normal(size=(2, 6) + geo.output_size(x_shape[2:], (3, 2))))
    x = t64(rng.normal(size=x_shape))
    input_grad = lambda g, w: apply(ConvInputGrad, (g, w), ConvCtx(geo, (True, True),
                                                                             x_shape))
    weight_grad = lambda x, g: apply(ConvWeightGrad, (x, g), ConvCtx(geo, (True, True),
                                                                              w.shape))
    assert gradcheck(input_grad, g, w)
    assert gradcheck(weight_grad, x, g)


def test_third_derivative_of_a_cubed_convolution(rng):
    """d³/dx³ of Σ conv(x, w)³ along direction v is 6 Σ conv(v, w)³ (conv is linear in x)."""
    x, w, v = rng.normal(size=(1, 2, 4, 4)), t64(rng.normal(size=(2, 2, 2, 2))), \
        rng.normal(size=(1, 2, 4, 4))
    vt = t64(v, requires_grad=False)
    f = lambda x: (F.conv2d(x, w, padding=1) ** 3).sum()
    d1 = lambda x: (grad(f)(x) * vt).sum()
    d2 = lambda x: (grad(d1)(x) * vt).sum()
    d3 = (grad(d2)(t64(x)) * vt).sum().item()
    expected = 6 * (F.conv2d(vt, w, padding=1).data ** 3).sum()
    assert d3 == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("ws, dilation", [((3, 2, 3, 3), 1), ((3, 2, 4, 3), 1),
                                           ((3, 2, 2, 4), (2, 1)), ((3, 2, 4, 4), 2)])
def test_padding_same_and_valid_as_in_pytorchs_functional_conv2d(rng, ws, dilation):
    """"same" pads (d·(k - 1)) // 2 before and the rest after (the odd one at the bottom and
    right, as PyTorch), so the output has the input's size; "valid" pads nothing."""
    x, w, b = rng.normal(size=(2, 2, 9, 8)), rng.normal(size=ws), rng.normal(size=ws[0])
    dh, dw = _pair(dilation)
    total_h, total_w = dh * (ws[2] - 1), dw * (ws[3] - 1)
    padded = np.pad(x, ((0, 0), (0, 0), (total_h // 2, total_h - total_h // 2),
                        (total_w // 2, total_w - total_w // 2)))
    y = F.conv2d(t64(x), t64(w), t64(b), padding="same", dilation=dilation)
    np.testing.assert_allclose(y.data, conv2d_loops(padded, w, b, dilation=(dh, dw)),
                               rtol=1e-12, atol=1e-12)
    assert y.shape[2:] == x.shape[2:]
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding="same", dilation=dilation),
                     t64(x), t64(w))
    valid = F.conv2d(t64(x), t64(w), t64(b), padding="valid", dilation=dilation)
    np.testing.assert_array_equal(valid.data, F.conv2d(t64(x), t64(w), t64(b),
                                                       dilation=dilation).data)


def test_conv1d_takes_padding_same_and_one_element_tuples(rng):
    x, w = t64(rng.normal(size=(2, 2, 9))), t64(rng.normal(size=(3, 2, 4)))
    assert F.conv1d(x, w, padding="same").shape == (2, 3, 9)
    np.testing.assert_array_equal(F.conv1d(x, w, stride=(2,), padding=(1,), dilation=(2,)).data,
                                  F.conv1d(x, w, stride=2, padding=1, dilation=2).data)


@pytest.mark.parametrize("setting", [{"stride": (2, 1)}, {"dilation": (2, 1)},
                                     {"padding": (1, 2)}, {"stride": 1.5}])
def test_conv1d_refuses_a_pair_or_a_fraction(rng, setting):
    """A pair would reach conv2d as (height, length) and its first number fall on the height
    of 1: stride=(2, 1) silently gave stride 1. PyTorch refuses it too."""
    x, w = t64(rng.normal(size=(2, 2, 9))), t64(rng.normal(size=(3, 2, 4)))
    (what, value), = setting.items()
    with pytest.raises(ValueError, match=rf"conv1d: {what} must be an int or a 1-element "
                                         rf"tuple .*got {re.escape(repr(value))}"):
        F.conv1d(x, w, **setting)


def test_no_gradient_work_for_inputs_that_do_not_need_it(rng):
    """The input layer's x gets no gradient (and none is computed); the weight still does."""
    x, w = t64(rng.normal(size=(2, 1, 5, 5)), requires_grad=False), t64(rng.normal(size=(3, 1,
                                                                                         3, 3)))
    y = F.conv2d(x, w)
    assert y._ctx.needs == (False, True)
    y.sum().backward()
    assert x.grad is None and w.grad.shape == w.shape


@pytest.mark.parametrize("groups", [1, 2])
def test_an_empty_batch_gives_an_empty_output_and_a_zero_weight_gradient(rng, groups):
    """N = 0 (an empty last batch): output (0, O, Ho, Wo) and a zero weight gradient, as in
    PyTorch, instead of im2col's 'cannot reshape array of size 0' error."""
    x, w = t64(np.zeros((0, 4, 5, 5))), t64(rng.normal(size=(6, 4 // groups, 3, 3)))
    assert F.conv2d(x, w, groups=groups, stride=2, padding=1).shape == (0, 6, 3, 3)
    assert gradcheck(lambda x, w: F.conv2d(x, w, groups=groups, stride=2, padding=1), x, w)


def test_float32_stays_float32(rng):
    x = Tensor(rng.normal(size=(2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float32


# ----------------------------------------------------------------------------------------------
# conv1d and pad
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("batch", [2, 1], ids=["batch", "batch-1"])
def test_conv1d_matches_loops_and_finite_differences(rng, batch):
    x, w, b = rng.normal(size=(batch, 4, 9)), rng.normal(size=(6, 2, 3)), rng.normal(size=6)
    y = F.conv1d(t64(x), t64(w), t64(b), stride=2, padding=1, dilation=2, groups=2)
    expected = conv2d_loops(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (1, 2), 2)[:, :, 0]
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2,
                                              groups=2), t64(x), t64(w), t64(b))
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1), t64(x[:, :2]), t64(w))


def test_pad_forward_gradient_and_second_derivative(rng):
    x = t64(rng.normal(size=(2, 3, 4)))
    y = F.pad(x, (1, 2, 0, 3), value=0.5)
    assert y.shape == (2, 6, 7)
    np.testing.assert_array_equal(y.data, np.pad(x.data, ((0, 0), (0, 3), (1, 2)),
                                                 constant_values=0.5))
    assert gradcheck(lambda x: F.pad(x, (1, 2, 0, 3)) ** 2, x)
    assert gradcheck(lambda x: grad(lambda x: (F.pad(x, (2, 1)) ** 3).sum())(x), x)


@pytest.mark.parametrize("conv, xs, ws", [
    (lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2), (3, 4, 7, 5), (4, 2, 3, 3)),
    (lambda x, w: F.conv1d(x, w, dilation=2), (2, 3, 9), (4, 3, 3)),
    (lambda x, w: F.conv1d(x, w), (1, 1, 5), (2, 1, 2)),                # batch 1, 1 channel
    (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), (2, 3, 4, 3), (3, 2, 3, 3)),
], ids=["conv2d", "conv1d", "conv1d-batch-1", "conv_transpose2d"])
def test_gradients_through_a_flattening_head(rng, conv, xs, ws):
    # the head's gradient reaches the convolution C-ordered (the kernels' outputs are batch-last
    # in memory), which its backward lays out once for both of its products
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    features = conv(x, w).reshape(xs[0], -1).shape[1]
    head = t64(rng.normal(size=(features, 3)), requires_grad=False)
    assert gradcheck(lambda x, w: conv(x, w).reshape(xs[0], -1).tanh() @ head, x, w)


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------

def test_errors_name_the_op_and_the_shapes():
    x, w = Tensor(np.zeros((2, 3, 5, 5))), Tensor(np.zeros((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"conv2d: input has 3 channels .* expects 6"):
        F.conv2d(x, Tensor(np.zeros((4, 6, 3, 3))))
    with pytest.raises(ValueError, match=r"for a batch of 3 one-channel images: x.reshape\(-1, 1, "
                                         r"5, 5\); for one image of 3 channels add a batch "
                                         r"dimension: x.reshape\(1, 3, 5, 5\)"):
        F.conv2d(Tensor(np.zeros((3, 5, 5))), w)
    with pytest.raises(ValueError, match=r"smaller than the kernel, which spans \(5, 5\)"):
        F.conv2d(Tensor(np.zeros((1, 3, 4, 4))), Tensor(np.zeros((4, 3, 3, 3))), dilation=2)
    with pytest.raises(ValueError, match="groups must be a positive int dividing"):
        F.conv2d(x, w, groups=3)
    with pytest.raises(ValueError, match="bias must have shape"):
        F.conv2d(x, w, Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match=r"conv2d: padding must be an int >= 0 or a pair of "
                                         r"them, got 1.5"):
        F.conv2d(x, w, padding=1.5)
    with pytest.raises(ValueError, match=r"'same' or 'valid', got 'full'"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(ValueError, match=r"padding='same' needs stride 1"):
        F.conv2d(x, w, padding="same", stride=2)
    with pytest.raises(ValueError, match="groups must be a positive int dividing out_channels "
                                         "4, got True"):
        F.conv2d(x, w, groups=True)
    with pytest.raises(ValueError, match=r"input has 5 channels \(shape \(2, 5, 5, 3\)\).*"
                                         r"channels-last images \(N, H, W, C\): make them "
                                         r"\(N, C, H, W\) with x.transpose\(0, 3, 1, 2\)"):
        F.conv2d(Tensor(np.zeros((2, 5, 5, 3))), w)
    for empty in ((0, 3, 3, 3), (4, 0, 3, 3), (4, 3, 0, 3)):
        with pytest.raises(ValueError, match=rf"conv2d: the weight \({empty[0]}, .*has a size-0 "
                                             r"axis"):
            F.conv2d(x, Tensor(np.zeros(empty)))
    with pytest.raises(ValueError, match="pad: expected an even number"):
        F.pad(Tensor(np.zeros(3)), (1, 2, 3))


# ----------------------------------------------------------------------------------------------
# The same numbers as PyTorch: asked live where torch is installed, else as recorded
# ----------------------------------------------------------------------------------------------

def conv2d_inputs(rng: np.random.Generator, case: tuple) -> dict[str, np.ndarray]:
    """x, w, b and an output gradient g for one of CASES."""
    xs, ws, *options = case
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
    g = rng.normal(size=F.conv2d(Tensor(x), Tensor(w), None, *options).shape)
    return dict(x=x, w=w, b=b, g=g)


def conv2d_glassgrad(case: tuple, x, w, b, g) -> dict[str, np.ndarray]:
    """The output y and the gradients of x, w and b when g flows back into y."""
    leaves = dict(x=t64(x), w=t64(w), b=t64(b))
    y = F.conv2d(*leaves.values(), *case[2:])
    y.backward(g)
    return {"y": y.data, **{f"{name}.grad": t.grad for name, t in leaves.items()}}


def conv2d_torch(torch, case: tuple, x, w, b, g) -> dict[str, np.ndarray]:
    """The same as `conv2d_glassgrad`, computed by PyTorch."""
    stride, padding, dilation, groups = case[2:]
    leaves = {name: torch.tensor(a, requires_grad=True)
              for name, a in dict(x=x, w=w, b=b).items()}
    y = torch.nn.functional.conv2d(*leaves.values(), stride=stride, padding=padding,
                                   dilation=dilation, groups=groups)
    y.backward(torch.tensor(g))
    return {"y": as_array(y), **{f"{name}.grad": as_array(t.grad) for name, t in leaves.items()}}


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/conv.npz: each case's inputs and PyTorch's results, under its id (and
    the recorded transposed convolutions')."""
    return {**record_cases(IDS, CASES, conv2d_inputs, functools.partial(conv2d_torch, torch)),
            **record_cases(list(T_RECORDED), [T_CASES[i] for i in T_RECORDED.values()],
                           conv_transpose2d_inputs,
                           functools.partial(conv_transpose2d_torch, torch))}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv2d_matches_pytorch(rng, case):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = conv2d_inputs(rng, case)
    assert_matches(conv2d_glassgrad(case, **inputs), conv2d_torch(torch, case, **inputs),
                   rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case_id, case", list(zip(IDS, CASES)), ids=IDS)
def test_conv2d_matches_pytorchs_recorded_numbers(case_id, case):
    theirs = recorded_case("conv", case_id)
    inputs = ("x", "w", "b", "g")
    assert_matches(conv2d_glassgrad(case, *(theirs[name] for name in inputs)), theirs,
                   rtol=1e-10, atol=1e-10, inputs=inputs)


# ----------------------------------------------------------------------------------------------
# Cache-sized tiles: any tile size gives the same numbers as the whole layer at once
# ----------------------------------------------------------------------------------------------

# x (2, 4, 9, 9) and w (6, 2, 3, 2) with groups 2, stride (2, 1), padding (1, 2), dilation
# (1, 2): Ho, Wo = 5, 11. One output position takes 4·3·2 rows of columns · 2 images · 8 bytes
# = 384 bytes, and with its 6 output channels (the convolution's tiles count them too) 480.
# Tiles of these many positions:
TILE_CASES = {
    "one position": 1,                 # 55 tiles
    "three positions": 3,              # parts of rows: 3, 3, 3 and a last 2 in each row
    "two rows": 22,                    # whole rows: 2, 2 and a last 1
    "everything": 10 ** 6,             # one tile
}
@pytest.mark.parametrize("positions", TILE_CASES.values(), ids=TILE_CASES.keys())
def test_column_tiles_cover_the_columns_once(rng, monkeypatch, positions):
    from autograd.ops import conv as conv_ops
    monkeypatch.setattr(conv_ops, "TILE_BYTES", positions * 384)
    geo = Geometry((2, 1), (1, 2), (1, 2), 2)
    x = rng.normal(size=(2, 4, 9, 9))
    whole = conv_ops.im2col(x, (3, 2), geo).reshape(2, 12, 5, 11, 2)     # (G, K/G, Ho, Wo, N)
    seen = np.zeros((5, 11), dtype=int)
    for region, cols in conv_ops.column_tiles(x, (3, 2), geo, 0):
        np.testing.assert_array_equal(cols.reshape(2, 12, -1),
                                      whole[(slice(None), slice(None)) + region].reshape(2, 12, -1))
        seen[region] += 1
    np.testing.assert_array_equal(seen, 1)


@pytest.mark.parametrize("positions", TILE_CASES.values(), ids=TILE_CASES.keys())
def test_tiled_convolution_matches_loops_and_finite_differences(rng, monkeypatch, positions):
    from autograd.ops import conv as conv_ops
    monkeypatch.setattr(conv_ops, "TILE_BYTES", positions * 480)
    x, w, b = rng.normal(size=(2, 4, 9, 9)), rng.normal(size=(6, 2, 3, 2)), rng.normal(size=6)
    options = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    y = F.conv2d(t64(x), t64(w), t64(b), **options)
    np.testing.assert_allclose(y.data, conv2d_loops(x, w, b, (2, 1), (1, 2), (1, 2), 2),
                               rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **options), t64(x), t64(w), t64(b))


# ----------------------------------------------------------------------------------------------
# Transposed convolutions: conv2d's input gradient as a layer
# ----------------------------------------------------------------------------------------------

def conv_transpose2d_loops(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                           dilation=(1, 1), groups=1):
    """The definition: every input pixel adds x · w onto the output, at stride · its position
    plus dilation · the kernel tap; then `padding` is cut from the top and left, and the output
    is Ho = (H - 1)·s - 2p + d·(k - 1) + output_padding + 1 long from there."""
    n, c, h, wd = x.shape
    _, per_group, kh, kw = w.shape
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = stride, padding, output_padding, dilation
    ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1
    wo = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1
    full = np.zeros((n, per_group * groups, ph + ho + dh * kh + sh * h,
                     pw + wo + dw * kw + sw * wd))       # (large enough for every tap)
    cg = c // groups
    for g in range(groups):
        xs, ws = x[:, g * cg:(g + 1) * cg], w[g * cg:(g + 1) * cg]
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for e in range(kw):
                        full[:, g * per_group:(g + 1) * per_group, i * sh + a * dh,
                             j * sw + e * dw] += xs[:, :, i, j] @ ws[:, :, a, e]
    y = full[:, :, ph:ph + ho, pw:pw + wo]
    return y if b is None else y + b.reshape(1, -1, 1, 1)


# (x shape, weight shape (in, out/groups, kh, kw), stride, padding, output_padding, dilation,
# groups)
T_CASES = [
    ((2, 3, 4, 5), (3, 2, 3, 3), 1, 0, 0, 1, 1),
    ((1, 2, 3, 4), (2, 3, 3, 2), 2, 1, 1, 1, 1),                 # batch 1, stride 2, both paddings
    ((2, 4, 3, 3), (4, 3, 3, 3), (2, 3), (1, 0), (1, 2), 1, 2),  # per axis, groups 2
    ((1, 4, 2, 2), (4, 1, 2, 3), (2, 1), (1, 0), (1, 0), (1, 2), 2),   # all at once, small
    ((1, 1, 2, 2), (1, 2, 2, 2), 1, 1, 1, 2, 1),     # output_padding >= stride (dilation 2)
    ((2, 2, 3, 3), (2, 2, 2, 3), (1, 2), 2, (1, 0), (3, 2), 1),  # ... in one axis of two
    ((1, 2, 5, 4), (2, 2, 3, 3), 2, 2, 0, (2, 1), 1),            # padding 2, dilated in h
    ((2, 3, 3, 3), (3, 1, 3, 3), 3, 1, 2, 1, 3),                 # depthwise, stride 3
    ((1, 1, 1, 1), (1, 1, 1, 1), 1, 0, 0, 1, 1),                 # one pixel, 1x1 kernel
    # windows that tile the output (col2im as one copy: ops.conv.tiles_exactly)
    ((2, 3, 3, 4), (3, 2, 2, 2), 2, 0, 0, 1, 1),                 # a U-Net's 2x2 stride 2
    ((1, 4, 3, 5), (4, 1, 2, 3), (2, 3), 0, 0, 1, 2),            # per axis, groups 2, batch 1
    ((3, 2, 1, 1), (2, 3, 3, 3), 1, 0, 0, 1, 1),                 # 1x1 noise to 3x3 (DCGAN)
    ((2, 1, 1, 1), (1, 2, 4, 2), 3, 0, 0, (1, 2), 1),            # ... stride 3, dilated 1x1
    ((1, 1, 2, 3), (1, 1, 3, 1), (3, 1), 0, 0, 1, 1),            # one channel, odd sizes
    ((2, 2, 3, 3), (2, 2, 2, 2), 2, 0, 1, 1, 1),                 # output_padding: no tiling
]
T_IDS = [f"x{x}-w{w}-s{s}-p{p}-op{o}-d{d}-g{g}" for x, w, s, p, o, d, g in T_CASES]


def transposed_inputs(rng, case):
    xs, ws, *_, groups = case
    return (rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[1] * groups))


@pytest.mark.parametrize("case", T_CASES, ids=T_IDS)
def test_conv_transpose2d_forward_matches_loops(rng, case):
    x, w, b = transposed_inputs(rng, case)
    stride, padding, output_padding, dilation, groups = case[2:]
    y = F.conv_transpose2d(t64(x), t64(w), t64(b), stride, padding, output_padding, groups,
                           dilation)
    expected = conv_transpose2d_loops(x, w, b, _pair(stride), _pair(padding),
                                      _pair(output_padding), _pair(dilation), groups)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", T_CASES, ids=T_IDS)
def test_conv_transpose2d_gradients_match_finite_differences(rng, case):
    x, w, b = (t64(a) for a in transposed_inputs(rng, case))
    stride, padding, output_padding, dilation, groups = case[2:]
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding,
                                                        output_padding, groups, dilation),
                     x, w, b)


@pytest.mark.parametrize("wanted", ["wb", "xb", "b"], ids=["constant-x", "frozen-w", "bias-only"])
@pytest.mark.parametrize("case", T_CASES[2:5], ids=T_IDS[2:5])
def test_conv_transpose2d_gradients_of_only_the_inputs_that_want_them(rng, wanted, case):
    arrays = dict(zip("xwb", transposed_inputs(rng, case)))
    x, w, b = (t64(arrays[name], requires_grad=name in wanted) for name in "xwb")
    stride, padding, output_padding, dilation, groups = case[2:]
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding,
                                                        output_padding, groups, dilation),
                     x, w, b)


@pytest.mark.parametrize("case", T_CASES[1:6] + T_CASES[9:14], ids=T_IDS[1:6] + T_IDS[9:14])
def test_conv_transpose2d_second_derivatives(rng, case):
    """f = Σ r·conv_transpose2d(x, w)²: its gradient (made of Conv2d and ConvWeightGrad
    nodes) is differentiated again and checked against finite differences of the gradient;
    also where the windows tile the output (T_CASES[9:14], col2im's one copy)."""
    stride, padding, output_padding, dilation, groups = case[2:]
    x, w, _ = transposed_inputs(rng, case)
    r = rng.uniform(0.5, 1.5, size=(1, case[1][1] * groups, 1, 1))
    f = lambda x, w: (F.conv_transpose2d(x, w, None, stride, padding, output_padding, groups,
                                         dilation) ** 2 * r).sum()
    assert gradcheck(lambda x, w: grad(f, argnums=0)(x, w), t64(x), t64(w))
    assert gradcheck(lambda x, w: grad(f, argnums=1)(x, w), t64(x), t64(w))


@pytest.mark.parametrize("axes", [1, 3])
def test_conv_transposes_whose_windows_tile_the_output_match_finite_differences(rng, axes):
    """1-d and 3-d: stride = kernel (and a 1-pixel input), values against the adjoint of conv."""
    kernel = (3,) if axes == 1 else (2, 1, 3)
    cases = [((2, 3) + (4,) * axes, kernel), ((3, 2) + (1,) * axes, kernel)]
    function = F.conv_transpose1d if axes == 1 else F.conv_transpose3d
    conv = F.conv1d if axes == 1 else F.conv3d
    for x_shape, k in cases:
        x = t64(rng.normal(size=x_shape))
        w, b = t64(rng.normal(size=(x_shape[1], 2) + k)), t64(rng.normal(size=2))
        stride = k[0] if axes == 1 else k
        y = function(x, w, None, stride)
        assert y.shape[2:] == tuple(n * s for n, s in zip(x_shape[2:], k))
        probe = t64(rng.normal(size=y.shape))
        assert (y * probe).sum().item() == pytest.approx(
            (x * conv(probe, w, None, stride)).sum().item(), rel=1e-12)
        assert gradcheck(lambda x, w, b: function(x, w, b, stride), x, w, b)


def test_conv_transpose2d_is_conv2ds_input_gradient(rng):
    """<conv_transpose2d(x, w), y> = <x, conv2d(y, w)> for every y the size of the output: the
    two are each other's adjoints (transposes), with the same weight and settings."""
    x, w = t64(rng.normal(size=(2, 4, 3, 4))), t64(rng.normal(size=(4, 3, 3, 2)))
    settings = dict(stride=(2, 3), padding=(1, 1), dilation=(1, 2), groups=2)
    up = F.conv_transpose2d(x, w, output_padding=(1, 2), **settings)
    y = t64(rng.normal(size=up.shape))
    assert (up * y).sum().item() == pytest.approx((x * F.conv2d(y, w, **settings)).sum().item(),
                                                  rel=1e-12)


def test_conv_transpose2d_float32_empty_batch_and_no_grad(rng):
    x = Tensor(rng.normal(size=(2, 4, 3, 3)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    y.sum().backward()
    assert y.shape == (2, 3, 6, 6)
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float32
    empty = F.conv_transpose2d(Tensor(np.zeros((0, 4, 3, 3), np.float32)), w, stride=2)
    assert empty.shape == (0, 3, 7, 7)
    with no_grad():
        assert not F.conv_transpose2d(x, w).requires_grad


@pytest.mark.parametrize("batch", [2, 1], ids=["batch", "batch-1"])
def test_conv_transpose1d_matches_loops_and_finite_differences(rng, batch):
    x, w, b = rng.normal(size=(batch, 4, 5)), rng.normal(size=(4, 3, 3)), rng.normal(size=6)
    y = F.conv_transpose1d(t64(x), t64(w), t64(b), stride=2, padding=1, output_padding=1,
                           groups=2, dilation=2)
    expected = conv_transpose2d_loops(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (0, 1),
                                      (1, 2), 2)[:, :, 0]
    assert y.shape == (batch, 6, 12)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 2, 2),
                     t64(x), t64(w), t64(b))
    assert gradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=(3,), output_padding=(1,)),
                     t64(x[:, :2]), t64(w[:2]))


def test_conv_transpose2d_docstring_gives_the_drawing_each_inputs_rule():
    """The backprop drawing reads the rule from the op's docstring (up to the first ';')."""
    from autograd.ops import ConvTranspose2d
    from autograd.viz.rules import rule_per_input, rule_text
    assert rule_text(ConvTranspose2d)[0] == "y"
    assert rule_per_input(ConvTranspose2d) == {"x": "dx = conv(g, w)",
                                               "w": "dw = conv_weight_grad(g, x)",
                                               "b": "db = Σ_{n,h,w} g"}


def test_conv_transpose_functions_are_exported_from_both_modules():
    import nn.functional as NF
    for name in ("conv_transpose2d", "conv_transpose1d"):
        assert getattr(NF, name) is getattr(F, name)
        assert name in F.__all__ and name in NF.__all__


def test_conv_transpose_errors_name_the_function_and_the_shapes():
    x, w = Tensor(np.zeros((2, 4, 5, 5))), Tensor(np.zeros((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"conv_transpose2d: output_padding \(2, 2\) must be "
                                         r"smaller than the stride \(2, 2\) or the dilation "
                                         r"\(1, 1\)"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"output_padding \(0, 1\) must be smaller"):
        F.conv_transpose2d(x, w, output_padding=(0, 1))
    with pytest.raises(ValueError, match=r"conv_transpose2d: input has 3 channels \(shape "
                                         r"\(2, 3, 5, 5\)\), but the weight \(4, 3, 3, 3\) "
                                         r"\(in_channels, out_channels/groups, kh, kw\) "
                                         r"expects 4"):
        F.conv_transpose2d(Tensor(np.zeros((2, 3, 5, 5))), w)
    with pytest.raises(ValueError, match=r"groups must be a positive int dividing in_channels "
                                         r"4 \(the weight's first axis\), got 3"):
        F.conv_transpose2d(x, w, groups=3)
    with pytest.raises(ValueError, match=r"conv_transpose2d: expected a 4-d input \(N, C, H, "
                                         r"W\), got shape \(4, 5, 5\)"):
        F.conv_transpose2d(Tensor(np.zeros((4, 5, 5))), w)
    with pytest.raises(ValueError, match=r"weight must be 4-d \(in_channels, "
                                         r"out_channels/groups, kh, kw\), got shape \(4, 3\)"):
        F.conv_transpose2d(x, Tensor(np.zeros((4, 3))))
    with pytest.raises(ValueError, match=r"bias must have shape \(6,\) \(out_channels\), got "
                                         r"\(3,\)"):
        F.conv_transpose2d(x, w, Tensor(np.zeros(3)), groups=2)
    with pytest.raises(ValueError, match=r"conv_transpose2d: padding \(2, 2\) leaves no output "
                                         r"for the input of shape \(1, 4, 1, 1\): the output "
                                         r"is \(3, 3\) before the padding is cut"):
        F.conv_transpose2d(Tensor(np.zeros((1, 4, 1, 1))), w, padding=2)
    with pytest.raises(ValueError, match=r"padding must be an int >= 0 or a pair of them, got "
                                         r"'same'"):
        F.conv_transpose2d(x, w, padding="same")
    with pytest.raises(ValueError, match=r"the weight \(4, 0, 3, 3\) has a size-0 axis"):
        F.conv_transpose2d(x, Tensor(np.zeros((4, 0, 3, 3))))
    x1, w1 = Tensor(np.zeros((2, 4, 5))), Tensor(np.zeros((4, 3, 3)))
    with pytest.raises(ValueError, match=r"conv_transpose1d: output_padding 2 must be smaller "
                                         r"than the stride 2 or the dilation 1"):
        F.conv_transpose1d(x1, w1, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"conv_transpose1d: stride must be an int or a "
                                         r"1-element tuple"):
        F.conv_transpose1d(x1, w1, stride=(2, 1))
    with pytest.raises(ValueError, match=r"conv_transpose1d: input has 5 channels .*channels-last "
                                         r"sequences"):
        F.conv_transpose1d(Tensor(np.zeros((2, 5, 4))), w1)
    with pytest.raises(ValueError, match=r"conv_transpose1d: padding 1 leaves no output for "
                                         r"the input of shape \(2, 4, 1\): the output is 1 "):
        F.conv_transpose1d(Tensor(np.zeros((2, 4, 1))), Tensor(np.zeros((4, 3, 1))), padding=1)


# -- the same numbers as PyTorch (two small cases recorded: the references have a size budget)

# (short ids: each name is stored twice per array)
T_RECORDED = {"t-all": 3, "t-op-past-stride": 4}    # every setting at once; output_padding >= s


def conv_transpose2d_inputs(rng: np.random.Generator, case: tuple) -> dict[str, np.ndarray]:
    """x, w, b and an output gradient g for one of T_CASES."""
    x, w, b = transposed_inputs(rng, case)
    stride, padding, output_padding, dilation, groups = case[2:]
    y = F.conv_transpose2d(Tensor(x), Tensor(w), None, stride, padding, output_padding, groups,
                           dilation)
    return dict(x=x, w=w, b=b, g=rng.normal(size=y.shape))


def conv_transpose2d_glassgrad(case: tuple, x, w, b, g) -> dict[str, np.ndarray]:
    stride, padding, output_padding, dilation, groups = case[2:]
    leaves = dict(x=t64(x), w=t64(w), b=t64(b))
    y = F.conv_transpose2d(*leaves.values(), stride, padding, output_padding, groups, dilation)
    y.backward(g)
    return {"y": y.data, **{f"{name}.grad": t.grad for name, t in leaves.items()}}


def conv_transpose2d_torch(torch, case: tuple, x, w, b, g) -> dict[str, np.ndarray]:
    stride, padding, output_padding, dilation, groups = case[2:]
    leaves = {name: torch.tensor(a, requires_grad=True)
              for name, a in dict(x=x, w=w, b=b).items()}
    y = torch.nn.functional.conv_transpose2d(*leaves.values(), stride=stride, padding=padding,
                                             output_padding=output_padding, groups=groups,
                                             dilation=dilation)
    y.backward(torch.tensor(g))
    return {"y": as_array(y), **{f"{name}.grad": as_array(t.grad) for name, t in leaves.items()}}


@pytest.mark.parametrize("case", T_CASES, ids=T_IDS)
def test_conv_transpose2d_matches_pytorch(rng, case):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = conv_transpose2d_inputs(rng, case)
    assert_matches(conv_transpose2d_glassgrad(case, **inputs),
                   conv_transpose2d_torch(torch, case, **inputs), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case_id, index", T_RECORDED.items(), ids=T_RECORDED.keys())
def test_conv_transpose2d_matches_pytorchs_recorded_numbers(case_id, index):
    theirs = recorded_case("conv", case_id)
    inputs = ("x", "w", "b", "g")
    assert_matches(conv_transpose2d_glassgrad(T_CASES[index], *(theirs[name] for name in inputs)),
                   theirs, rtol=1e-10, atol=1e-10, inputs=inputs)
