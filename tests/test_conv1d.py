"""The 1-d family: conv1d, max_pool1d, avg_pool1d, adaptive_avg_pool1d and their layers Conv1d,
MaxPool1d, AvgPool1d, AdaptiveAvgPool1d (the 2-d ops on a height of 1). Forward against direct
loops, gradients against finite differences (float64), shapes, errors that name the 1-d
function or layer and the 1-d shapes, PyTorch's initialisation, reprs and state dicts, and the
same numbers as PyTorch (asked live; skipped, with the reason, where torch is missing)."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, manual_seed
from autograd import functional as F
from nn import (
    AdaptiveAvgPool1d, AvgPool1d, Conv1d, Flatten, Linear, MaxPool1d, ReLU, Sequential,
    cross_entropy,
)
from nn import functional as NF
from nn.optim import Adam

from conftest import sample, t64

try:
    import torch
except ImportError:                 # an optional cross-check: the tests say so and skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check against live torch: pip install torch)")


def conv1d_loops(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """The definition, one output element at a time."""
    n, c, length = x.shape
    o, cg, k = w.shape
    xp = np.zeros((n, c, length + 2 * padding))
    xp[:, :, padding:padding + length] = x
    lo = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    y = np.zeros((n, o, lo))
    for s in range(n):
        for oc in range(o):
            g = oc // (o // groups)
            for i in range(lo):
                total = 0.0 if b is None else b[oc]
                for ci in range(cg):
                    for e in range(k):
                        total += w[oc, ci, e] * xp[s, g * cg + ci, i * stride + e * dilation]
                y[s, oc, i] = total
    return y


# (x shape, weight shape, stride, padding, dilation, groups, bias)
CASES = [
    ((2, 3, 9), (4, 3, 3), 1, 0, 1, 1, True),
    ((1, 2, 10), (3, 2, 4), 2, 1, 1, 1, False),         # batch 1, even kernel, no bias
    ((2, 4, 11), (6, 2, 3), 2, 1, 2, 2, True),          # stride, padding, dilation, groups
    ((1, 3, 7), (3, 1, 2), 1, 1, 3, 3, True),           # depthwise, dilated
    ((3, 1, 5), (2, 1, 5), 1, 0, 1, 1, True),           # the kernel covers the input
    ((2, 2, 6), (3, 2, 1), 3, 0, 1, 1, False),          # 1-wide kernel, stride 3
]
IDS = [f"x{x}-w{w}-s{s}-p{p}-d{d}-g{g}-{'b' if b else 'nob'}" for x, w, s, p, d, g, b in CASES]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups, bias", CASES, ids=IDS)
def test_conv1d_forward_matches_loops(rng, xs, ws, stride, padding, dilation, groups, bias):
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
    b = b if bias else None
    y = F.conv1d(t64(x), t64(w), None if b is None else t64(b), stride, padding, dilation,
                 groups)
    expected = conv1d_loops(x, w, b, stride, padding, dilation, groups)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups, bias", CASES, ids=IDS)
def test_conv1d_gradients_match_finite_differences(rng, xs, ws, stride, padding, dilation,
                                                   groups, bias):
    x, w = t64(rng.normal(size=xs)), t64(rng.normal(size=ws))
    if bias:
        assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups),
                         x, w, t64(rng.normal(size=ws[0])))
    else:
        assert gradcheck(lambda x, w: F.conv1d(x, w, None, stride, padding, dilation, groups),
                         x, w)


# A TCN's chain: conv1d, a smooth activation, F.pad (causal: on the left), conv1d, a residual
# add, the last step read by a head. The convolutions' kernels keep (N, C, L) arrays batch-last
# in memory; F.pad and the gradient of the step read keep whatever layout their input has, so
# the chain is never relaid out. These check the numbers along those paths (each setting, a
# batch of 1, 1 channel, odd lengths) and that the layout is kept.
# (x shape, out channels, kernel, stride, padding, dilation, groups)
CHAINS = [
    ((2, 4, 11), 4, 3, 1, 0, 2, 1),                     # a TCN block's dilated convolution
    ((1, 3, 9), 6, 2, 2, 1, 1, 3),                      # batch 1, stride, padding, groups
    ((3, 1, 7), 1, 3, 1, 2, 3, 1),                      # 1 channel, dilated, padded
    ((2, 2, 5), 4, 1, 3, 0, 1, 2),                      # 1-wide kernel, stride 3, groups
]


def causal_chain(x, w1, w2, stride, padding, dilation, groups):
    """conv1d -> tanh -> F.pad on the left -> conv1d (length kept) -> + residual -> the last
    step, times the first (so the gradient of both reads meets in one tensor)."""
    h = F.conv1d(x, w1, None, stride, padding, dilation, groups).tanh()
    k = w2.shape[2]
    z = F.conv1d(F.pad(h, ((k - 1) * dilation, 0)), w2, None, 1, 0, dilation, groups) + h
    return z[:, :, -1] * z[:, :, 0].tanh()


@pytest.mark.parametrize("xs, o, k, stride, padding, dilation, groups", CHAINS)
def test_a_causal_chain_of_conv1d_against_central_differences(rng, xs, o, k, stride, padding,
                                                               dilation, groups):
    x = t64(rng.normal(size=xs))
    w1 = t64(rng.normal(size=(o, xs[1] // groups, k)))
    w2 = t64(rng.normal(size=(o, o // groups, k)))
    assert gradcheck(lambda x, w1, w2: causal_chain(x, w1, w2, stride, padding, dilation,
                                                    groups), x, w1, w2)


@pytest.mark.parametrize("xs, o, k, stride, padding, dilation, groups", CHAINS[:3])
def test_a_causal_chain_of_conv1d_second_order(rng, xs, o, k, stride, padding, dilation,
                                               groups):
    from second_order_helpers import check_hessian_vector_products
    check_hessian_vector_products(
        lambda x, w1, w2: causal_chain(x, w1, w2, stride, padding, dilation, groups),
        [rng.normal(size=xs), rng.normal(size=(o, xs[1] // groups, k)),
         rng.normal(size=(o, o // groups, k))], rng)


def same_memory_order(a, b):
    """Whether the axes of a and b (same ndim) lie in memory in the same order."""
    return list(np.argsort(a.strides, kind="stable")) == list(np.argsort(b.strides, kind="stable"))


def test_pad_keeps_a_convolutions_layout(rng):
    x = Tensor(rng.normal(size=(4, 3, 10)).astype(np.float32))
    h = F.conv1d(x, Tensor(rng.normal(size=(5, 3, 3)).astype(np.float32)), dilation=2)
    assert h.data.transpose(2, 0, 1).flags.c_contiguous    # (4, 5, 6) stored as (6, 4, 5)
    padded = F.pad(h, (4, 0), value=0.5)
    assert same_memory_order(padded.data, h.data) and padded.shape == (4, 5, 10)
    np.testing.assert_array_equal(padded.data, np.pad(h.data, ((0, 0), (0, 0), (4, 0)),
                                                      constant_values=0.5))
    images = F.conv2d(Tensor(rng.normal(size=(4, 3, 6, 6)).astype(np.float32)),
                      Tensor(rng.normal(size=(5, 3, 3, 3)).astype(np.float32)))
    assert images.data.strides[0] == images.data.itemsize          # batch-last
    assert same_memory_order(F.pad(images, (1, 1, 2, 0)).data, images.data)


def test_the_gradient_of_a_step_keeps_the_tensors_layout(rng):
    x = Tensor(rng.normal(size=(4, 3, 10)).astype(np.float32))
    w = Tensor(rng.normal(size=(5, 3, 3)).astype(np.float32), requires_grad=True)
    h = F.conv1d(x, w, dilation=2)
    h.retain_grad()
    (h[:, :, -1] * 2).sum().backward()
    assert h.grad.strides == h.data.strides             # laid out as h: no relayout before w's
    expected = np.zeros(h.shape, np.float32)
    expected[:, :, -1] = 2
    np.testing.assert_array_equal(h.grad, expected)


# One group runs length-major ((N, C, L) stored as (L, N, C), a product per kernel tap: see
# autograd/ops/conv.py): its forward, both gradients and their own gradients, for each setting.
# (x shape, weight shape, stride, padding, dilation)
LENGTH_MAJOR = [
    ((2, 3, 11), (4, 3, 3), 1, 0, 2),                   # dilated, odd length
    ((1, 1, 7), (1, 1, 2), 2, 1, 1),                    # batch 1, one channel, stride, padding
    ((3, 2, 9), (5, 2, 4), 3, 2, 2),                    # stride 3 with padding and dilation
    ((2, 4, 5), (3, 4, 5), 1, 0, 1),                    # the kernel covers the input
    ((2, 3, 6), (2, 3, 1), 1, 0, 1),                    # 1-wide kernel
    # from 16 channels in (out) on, the forward (input gradient) takes one product per tap
    ((1, 16, 7), (16, 16, 2), 2, 1, 2),                 # (small: 624 numbers to gradcheck)
    ((1, 16, 6), (3, 16, 2), 1, 0, 1),
    ((2, 3, 8), (16, 3, 3), 1, 1, 1),
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", LENGTH_MAJOR)
def test_length_major_conv1d_forward_gradients_and_second_derivatives(rng, xs, ws, stride,
                                                                       padding, dilation):
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
    y = F.conv1d(t64(x), t64(w), t64(b), stride, padding, dilation)
    np.testing.assert_allclose(y.data, conv1d_loops(x, w, b, stride, padding, dilation),
                               rtol=1e-12, atol=1e-12)
    assert y.data.transpose(2, 0, 1).flags.c_contiguous            # (L, N, C) in memory
    conv = lambda x, w: F.conv1d(x, w, None, stride, padding, dilation)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation),
                     t64(x), t64(w), t64(b))
    r = rng.uniform(0.5, 1.5, size=(1, ws[0], 1))
    f = lambda x, w: (conv(x, w) ** 2 * r).sum()
    assert gradcheck(lambda x, w: grad(f, argnums=0)(x, w), t64(x), t64(w))
    assert gradcheck(lambda x, w: grad(f, argnums=1)(x, w), t64(x), t64(w))


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", LENGTH_MAJOR)
def test_length_major_conv_transpose1d_against_conv1ds_adjoint(rng, xs, ws, stride, padding,
                                                               dilation):
    # conv_transpose1d is conv1d's input gradient: <conv(x, w), y> = <x, conv_transpose(y, w)>
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    y = F.conv1d(t64(x), t64(w), None, stride, padding, dilation)
    out = rng.normal(size=y.shape)
    extra = xs[2] - F.conv_transpose1d(t64(out), t64(w), None, stride, padding, 0, 1,
                                       dilation).shape[2]
    back = F.conv_transpose1d(t64(out), t64(w), None, stride, padding, extra, 1, dilation)
    np.testing.assert_allclose((y.data * out).sum(), (x * back.data).sum(), rtol=1e-12)
    f = lambda o, w: F.conv_transpose1d(o, w, None, stride, padding, extra, 1, dilation)
    assert gradcheck(lambda o, w, b: F.conv_transpose1d(o, w, b, stride, padding, extra, 1,
                                                        dilation).tanh(),
                     t64(out), t64(w), t64(rng.normal(size=ws[1])))
    g = lambda o, w: (f(o, w) ** 2).sum()
    assert gradcheck(lambda o, w: grad(g, argnums=0)(o, w), t64(out), t64(w))
    assert gradcheck(lambda o, w: grad(g, argnums=1)(o, w), t64(out), t64(w))


def test_length_major_conv1d_takes_every_layout_and_an_empty_batch(rng):
    x, w = rng.normal(size=(3, 4, 8)), t64(rng.normal(size=(2, 4, 3)))
    expected = conv1d_loops(x, w.data, None, 1, 1, 2)
    for laid_out in (x, x.transpose(1, 2, 0).copy().transpose(2, 0, 1),       # batch-last
                     x.transpose(2, 0, 1).copy().transpose(1, 2, 0)):         # length-major
        np.testing.assert_allclose(F.conv1d(t64(laid_out), w, padding=1, dilation=2).data,
                                   expected, rtol=1e-12, atol=1e-12)
    empty = t64(np.zeros((0, 4, 8)))
    y = F.conv1d(empty, w, padding=1)
    assert y.shape == (0, 2, 8)
    y.sum().backward()
    assert empty.grad.shape == (0, 4, 8) and np.all(w.grad == 0)


def test_max_pool1d_of_a_length_major_conv1d_against_central_differences(rng):
    x, w = t64(rng.normal(size=(2, 3, 12))), t64(rng.normal(size=(4, 3, 3)))
    assert gradcheck(lambda x, w: F.max_pool1d(F.conv1d(x, w, padding=1).tanh(), 2), x, w)
    assert gradcheck(lambda x, w: F.max_pool1d(F.conv1d(x, w), 3, 2, padding=1), x, w)


@pytest.mark.parametrize("k, dilation", [(3, 1), (4, 1), (4, 2), (2, 3)])
def test_conv1d_padding_same_and_valid(rng, k, dilation):
    """"same" pads d·(k - 1) // 2 before and the rest after (as PyTorch): Lo = L."""
    x, w = rng.normal(size=(2, 2, 9)), rng.normal(size=(3, 2, k))
    total = dilation * (k - 1)
    padded = np.pad(x, ((0, 0), (0, 0), (total // 2, total - total // 2)))
    y = F.conv1d(t64(x), t64(w), padding="same", dilation=dilation)
    assert y.shape == (2, 3, 9)
    np.testing.assert_allclose(y.data, conv1d_loops(padded, w, dilation=dilation), atol=1e-12)
    assert gradcheck(lambda x, w: F.conv1d(x, w, padding="same", dilation=dilation),
                     t64(x), t64(w))
    np.testing.assert_array_equal(F.conv1d(t64(x), t64(w), padding="valid").data,
                                  F.conv1d(t64(x), t64(w)).data)


# (x shape, kernel, stride, padding, dilation, ceil_mode)
POOLS = [
    ((2, 3, 8), 2, None, 0, 1, False),
    ((1, 2, 9), 3, 2, 1, 1, False),            # batch 1, padding
    ((2, 2, 10), 3, 2, 1, 2, False),           # dilation (max only)
    ((2, 2, 8), 3, 2, 1, 1, True),             # ceil_mode: a last, partial window
    ((1, 1, 5), 5, 1, 2, 1, False),
]
POOL_IDS = [f"x{x}-k{k}-s{s}-p{p}-d{d}-{'ceil' if c else 'floor'}" for x, k, s, p, d, c in POOLS]


@pytest.mark.parametrize("xs, k, s, p, d, ceil", POOLS, ids=POOL_IDS)
def test_max_pool1d_forward_and_finite_differences(rng, xs, k, s, p, d, ceil):
    x = sample("distinct", xs, rng)               # no ties: the maximum is differentiable
    y = F.max_pool1d(t64(x), k, s, p, d, ceil)
    step = k if s is None else s
    padded = np.pad(x, ((0, 0), (0, 0), (p, p + k * d)), constant_values=-np.inf)
    for i in range(y.shape[2]):
        window = padded[:, :, i * step:i * step + d * (k - 1) + 1:d]
        np.testing.assert_array_equal(y.data[:, :, i], window.max(axis=2))
    assert gradcheck(lambda x: F.max_pool1d(x, k, s, p, d, ceil), t64(x))


@pytest.mark.parametrize("xs, k, s, p, d, ceil", [c for c in POOLS if c[4] == 1],
                         ids=[i for c, i in zip(POOLS, POOL_IDS) if c[4] == 1])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool1d_forward_and_finite_differences(rng, xs, k, s, p, d, ceil,
                                                   count_include_pad):
    x = rng.normal(size=xs)
    y = F.avg_pool1d(t64(x), k, s, p, ceil, count_include_pad)
    expected = F.avg_pool2d(t64(x[:, :, None]), (1, k), None if s is None else (1, s), (0, p),
                            ceil, count_include_pad).data[:, :, 0]
    np.testing.assert_array_equal(y.data, expected)
    assert gradcheck(lambda x: F.avg_pool1d(x, k, s, p, ceil, count_include_pad), t64(x))


def test_avg_pool1d_by_hand():
    x = Tensor([[[1.0, 3.0, 5.0, 7.0]]])
    np.testing.assert_array_equal(F.avg_pool1d(x, 2).data, [[[2.0, 6.0]]])
    np.testing.assert_array_equal(F.avg_pool1d(x, 2, padding=1).data, [[[0.5, 4.0, 3.5]]])
    np.testing.assert_array_equal(F.avg_pool1d(x, 2, padding=1, count_include_pad=False).data,
                                  [[[1.0, 4.0, 7.0]]])


@pytest.mark.parametrize("shape, size", [((2, 3, 7), 3), ((3, 10), 4), ((1, 2, 5), (5,))])
def test_adaptive_avg_pool1d_windows_and_finite_differences(rng, shape, size):
    x = rng.normal(size=shape)
    y = F.adaptive_avg_pool1d(t64(x), size)
    out = size if isinstance(size, int) else size[0]
    assert y.shape == shape[:-1] + (out,)
    length = shape[-1]
    for i in range(out):                          # PyTorch's windows
        start, end = (i * length) // out, -(-((i + 1) * length) // out)
        np.testing.assert_allclose(y.data[..., i], x[..., start:end].mean(axis=-1), atol=1e-12)
    assert gradcheck(lambda x: F.adaptive_avg_pool1d(x, size), t64(x))


def test_functions_are_exported_from_both_modules():
    for name in ("conv1d", "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d"):
        assert getattr(NF, name) is getattr(F, name)
        assert name in F.__all__ and name in NF.__all__


def test_float32_stays_float32(rng):
    x = Tensor(rng.normal(size=(2, 3, 9)).astype(np.float32), requires_grad=True)
    conv = Conv1d(3, 4, 3, padding=1)
    y = AvgPool1d(2)(MaxPool1d(2, 1)(conv(x)))
    y.sum().backward()
    assert y.dtype == x.grad.dtype == conv.weight.grad.dtype == np.float32


# ----------------------------------------------------------------------------------------------
# Errors: the 1-d function or layer, and the 1-d shapes the user gave
# ----------------------------------------------------------------------------------------------

X = Tensor(np.zeros((2, 4, 11)))


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv1d(Tensor(np.zeros((4, 11))), Tensor(np.zeros((6, 4, 3)))),
     r"conv1d: expected a 3-d input \(N, C, L\), got shape \(4, 11\)"),
    (lambda: F.conv1d(X, Tensor(np.zeros((6, 4, 1, 3)))),
     r"conv1d: weight must be 3-d \(out_channels, in_channels/groups, k\), got shape "
     r"\(6, 4, 1, 3\)"),
    (lambda: F.conv1d(X, Tensor(np.zeros((6, 3, 3)))),
     r"conv1d: input has 4 channels \(shape \(2, 4, 11\)\), but the weight \(6, 3, 3\) with "
     r"groups=1 expects 3$"),
    (lambda: F.conv1d(Tensor(np.zeros((2, 11, 4))), Tensor(np.zeros((6, 4, 3)))),
     r"\(2, 11, 4\).*channels-last sequences \(N, L, C\): make them \(N, C, L\) with "
     r"x.transpose\(0, 2, 1\)$"),
    (lambda: F.conv1d(X, Tensor(np.zeros((6, 2, 3))), groups=4),
     r"conv1d: groups must be a positive int dividing out_channels 6, got 4"),
    (lambda: F.conv1d(X, Tensor(np.zeros((6, 4, 0)))), r"conv1d: the weight \(6, 4, 0\) has"),
    (lambda: F.conv1d(X, Tensor(np.zeros((6, 4, 9))), padding=1, dilation=2),
     r"conv1d: the input of shape \(2, 4, 11\) \(L padded: 13\) is shorter than the kernel, "
     r"which spans 17"),
    (lambda: F.conv1d(X, Tensor(np.zeros((6, 4, 3))), stride=2, padding="same"),
     r"conv1d: padding='same' needs stride 1 \(as in PyTorch\), got stride 2;"),
    (lambda: F.conv1d(X, Tensor(np.zeros((6, 4, 3))), padding="full"),
     r"conv1d: padding must be an int >= 0, a 1-element tuple, 'same' or 'valid', got 'full'"),
    (lambda: F.conv1d(X, Tensor(np.zeros((6, 4, 3))), stride=0),
     r"conv1d: stride must be an int or a 1-element tuple .*at least 1, got 0"),
    (lambda: F.conv1d(X, Tensor(np.zeros((6, 4, 3))), Tensor(np.zeros(4))),
     r"conv1d: bias must have shape \(6,\), got \(4,\)"),
    (lambda: F.max_pool1d(X, 12), r"max_pool1d: the input of shape \(2, 4, 11\) \(L padded: "
                                  r"11\) is shorter than the kernel, which spans 12"),
    (lambda: F.max_pool1d(X, 2, padding=2),
     r"max_pool1d: padding 2 must be at most half the kernel 2"),
    (lambda: F.max_pool1d(Tensor(np.zeros((2, 4, 1, 11))), 2),
     r"max_pool1d: expected a 3-d input \(N, C, L\), got shape \(2, 4, 1, 11\)"),
    (lambda: F.max_pool1d(X, (2, 2)), r"max_pool1d: kernel_size must be an int or a 1-element"),
    (lambda: F.avg_pool1d(X, 3, ceil_mode="no"), r"avg_pool1d: ceil_mode must be True or False"),
    (lambda: F.avg_pool1d(X, 12), r"avg_pool1d: the input of shape \(2, 4, 11\)"),
    (lambda: F.adaptive_avg_pool1d(X, (2, 2)),
     r"adaptive_avg_pool1d: output_size must be an int >= 1 or a 1-element tuple, got \(2, 2\)"),
    (lambda: F.adaptive_avg_pool1d(Tensor(np.zeros(5)), 2),
     r"adaptive_avg_pool1d: expected a 2-d \(C, L\) or 3-d \(N, C, L\) input"),
], ids=lambda v: "" if callable(v) else v[:40])
def test_function_errors_name_the_function_and_the_1d_shapes(call, message):
    with pytest.raises((ValueError, TypeError), match=message) as raised:
        call()
    text = str(raised.value)                   # nothing of the 2-d op underneath
    assert not re.search(r"2d|H, W|kh|\(1, \d+\)|1×1", text), text


def test_conv1d_layer_errors_name_the_layer_and_suggest_the_fix():
    conv = Conv1d(1, 8, 5)
    with pytest.raises(ValueError, match=r"^Conv1d\(1, 8, kernel_size=\(5,\), stride=\(1,\)\): "
                                         r"expected a 3-d input \(N, C, L\), got shape "
                                         r"\(4, 100\); for a batch of 4 one-channel sequences: "
                                         r"x.reshape\(-1, 1, 100\)$"):
        conv(Tensor(np.zeros((4, 100))))
    with pytest.raises(ValueError, match=r"for one sequence of 4 channels add a batch "
                                         r"dimension: x.reshape\(1, 4, 100\), then \[0\] of the result for PyTorch\'s unbatched shape$"):
        Conv1d(4, 8, 5)(Tensor(np.zeros((4, 100))))
    with pytest.raises(ValueError, match=r"^Conv1d\(1, 8.*input has 3 channels \(shape "
                                         r"\(2, 3, 100\)\), expected 1$"):
        conv(Tensor(np.zeros((2, 3, 100))))
    with pytest.raises(ValueError, match=r"^Conv1d\(1, 8.*: the input of shape \(2, 1, 4\) "
                                         r"\(L padded: 4\) is shorter than the kernel"):
        conv(Tensor(np.zeros((2, 1, 4))))
    with pytest.raises(ValueError, match=r"^MaxPool1d\(kernel_size=5.*: the input of shape "
                                         r"\(2, 1, 4\)"):
        MaxPool1d(5)(Tensor(np.zeros((2, 1, 4))))
    with pytest.raises(ValueError, match=r"^AvgPool1d\(kernel_size=\(2,\).*expected a 3-d input "
                                         r"\(N, C, L\), got shape \(2, 1, 4, 4\)$"):
        AvgPool1d(2)(Tensor(np.zeros((2, 1, 4, 4))))
    with pytest.raises(ValueError, match=r"^AdaptiveAvgPool1d\(output_size=2\): expected"):
        AdaptiveAvgPool1d(2)(Tensor(np.zeros((1, 1, 1, 4))))


@pytest.mark.parametrize("make, message", [
    (lambda: Conv1d(3, 4, 3, groups=2), "Conv1d: in_channels 3 and out_channels 4 must both "
                                        "be divisible by groups 2"),
    (lambda: Conv1d(0, 4, 3), "Conv1d: in_channels must be a positive integer, got 0"),
    (lambda: Conv1d(1, 4, (3, 3)), r"Conv1d: kernel_size must be an int or a 1-element tuple "
                                   r".*got \(3, 3\)"),
    (lambda: Conv1d(1, 4, 3.0), r"Conv1d: kernel_size must be an int or a 1-element tuple"),
    (lambda: Conv1d(1, 4, 3, stride=2, padding="same"),
     r"Conv1d: padding='same' needs stride 1 \(as in PyTorch\), got stride 2;"),
    (lambda: Conv1d(1, 4, 3, padding="full"), r"Conv1d: padding must be .*got 'full'"),
    (lambda: Conv1d(1, 4, 3, padding_mode="wrap"), "Conv1d: padding_mode must be 'zeros', "
                                                    "'reflect', 'replicate' or 'circular'"),
    (lambda: MaxPool1d(2, padding=2), "MaxPool1d: padding 2 must be at most half the kernel 2"),
    (lambda: MaxPool1d(2, return_indices=1), "MaxPool1d: return_indices must be True or False"),
    (lambda: AvgPool1d(0), "AvgPool1d: kernel_size must be"),
    (lambda: AvgPool1d(2, count_include_pad="no"), "AvgPool1d: count_include_pad must be True"),
    (lambda: AdaptiveAvgPool1d(0), "AdaptiveAvgPool1d: output_size must be an int >= 1"),
])
def test_layer_arguments_fail_when_the_layer_is_made(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


# ----------------------------------------------------------------------------------------------
# Layers: shapes, PyTorch's layout, initialisation and reprs
# ----------------------------------------------------------------------------------------------

def test_conv1d_layer_shapes_layout_and_initialisation():
    manual_seed(0)
    conv = Conv1d(6, 8, 5, stride=2, padding=2, dilation=1, groups=2)
    assert conv.weight.shape == (8, 3, 5) and conv.bias.shape == (8,)
    assert conv(Tensor(np.zeros((2, 6, 21)))).shape == (2, 8, 11)
    bound = 1 / math.sqrt(3 * 5)                          # PyTorch: U(±1/√fan_in) for both
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.9 * bound   # and really spread over that range
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert Conv1d(1, 2, 3, bias=False).bias is None
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation) == ((5,), (2,), (2,),
                                                                            (1,))
    assert Conv1d(1, 2, 3, 1, 0, 1, 1, True, "zeros").padding == (0,)     # PyTorch's order


def test_conv1d_initialisation_statistics():
    """Many weights: uniform on ±1/√fan_in, so mean 0 and variance bound² / 3."""
    manual_seed(1)
    conv = Conv1d(64, 128, 7, dtype=np.float64)
    bound = 1 / math.sqrt(64 * 7)
    w = conv.weight.data
    assert w.min() >= -bound and w.max() <= bound
    assert abs(w.mean()) < 0.02 * bound
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.03)
    assert np.abs(conv.bias.data).max() <= bound


def test_reprs_are_pytorchs():
    assert repr(Conv1d(4, 6, 3)) == "Conv1d(4, 6, kernel_size=(3,), stride=(1,))"
    assert repr(Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)) == (
        "Conv1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), groups=2, "
        "bias=False)")
    assert repr(Conv1d(4, 6, (3,), padding=(1,))) == \
        "Conv1d(4, 6, kernel_size=(3,), stride=(1,), padding=(1,))"
    assert repr(Conv1d(4, 6, 4, padding="same")) == \
        "Conv1d(4, 6, kernel_size=(4,), stride=(1,), padding='same')"
    assert repr(MaxPool1d(3, 2, 1)) == \
        "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)"
    assert repr(MaxPool1d(2)) == \
        "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(AvgPool1d(3, 2, 1, True, False)) == \
        "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"
    assert repr(AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    assert repr(AdaptiveAvgPool1d(3)) == "AdaptiveAvgPool1d(output_size=3)"


@needs_torch
def test_reprs_match_live_pytorch():
    for ours, theirs in [
        (Conv1d(4, 6, 3), torch.nn.Conv1d(4, 6, 3)),
        (Conv1d(4, 6, 3, 2, 1, 2, 2, False), torch.nn.Conv1d(4, 6, 3, 2, 1, 2, 2, False)),
        (MaxPool1d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool1d(3, 2, 1, ceil_mode=True)),
        (AvgPool1d(3, 2, 1, True, False), torch.nn.AvgPool1d(3, 2, 1, True, False)),
        (AdaptiveAvgPool1d(5), torch.nn.AdaptiveAvgPool1d(5)),
    ]:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("batch", [2, 1], ids=["batch", "batch-1"])
def test_conv1d_layer_gradients_match_finite_differences(rng, batch):
    """Through the layer (its settings reach the op), for the input, weight and bias."""
    conv = Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, dtype=np.float64)
    x, weight, bias = (t64(rng.normal(size=s)) for s in ((batch, 4, 9), (6, 2, 3), (6,)))

    def f(x, weight, bias):
        vars(conv).update(weight=weight, bias=bias)     # plain Tensors, which assignment refuses
        return conv(x)

    np.testing.assert_array_equal(f(x, weight, bias).data,
                                  F.conv1d(x, weight, bias, 2, 1, 2, 2).data)
    assert gradcheck(f, x, weight, bias)


@pytest.mark.parametrize("layer, function", [
    (MaxPool1d(3, stride=2, padding=1), lambda x: F.max_pool1d(x, 3, 2, 1)),
    (MaxPool1d(2, ceil_mode=True, dilation=2), lambda x: F.max_pool1d(x, 2, None, 0, 2, True)),
    (AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     lambda x: F.avg_pool1d(x, 3, 2, 1, True, False)),
    (AdaptiveAvgPool1d(3), lambda x: F.adaptive_avg_pool1d(x, 3)),
], ids=["max", "max-ceil-dilated", "avg-ceil-no-padding", "adaptive"])
@pytest.mark.parametrize("batch", [2, 1], ids=["batch", "batch-1"])
def test_pool_layers_are_the_functions_with_their_arguments(rng, layer, function, batch):
    x = t64(sample("distinct", (batch, 2, 9), rng))
    np.testing.assert_array_equal(layer(x).data, function(x).data)
    assert gradcheck(layer, x)


def test_a_1d_cnn_learns(rng):
    manual_seed(0)
    model = Sequential(Conv1d(1, 4, 3, padding="same"), ReLU(), MaxPool1d(2),
                       AdaptiveAvgPool1d(2), Flatten(), Linear(8, 2))
    x = rng.normal(size=(16, 1, 12))
    y = (x[:, 0, :6].sum(axis=1) > x[:, 0, 6:].sum(axis=1)).astype(int)
    optimizer = Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        loss = cross_entropy(model(Tensor(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# ----------------------------------------------------------------------------------------------
# PyTorch, live
# ----------------------------------------------------------------------------------------------

def same_as_torch(ours_f, theirs_f, arrays, rng):
    """Values and every input's gradient for one random upstream gradient, float64."""
    ours = [t64(a) for a in arrays]
    theirs = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out, expected = ours_f(*ours), theirs_f(*theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.uniform(0.5, 1.5, out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups, bias", CASES, ids=IDS)
def test_conv1d_matches_pytorch(rng, xs, ws, stride, padding, dilation, groups, bias):
    arrays = [rng.normal(size=xs), rng.normal(size=ws)] + ([rng.normal(size=ws[0])] if bias
                                                            else [])
    settings = (stride, padding, dilation, groups)
    same_as_torch(lambda x, w, *b: F.conv1d(x, w, *(b or [None]), *settings),
                  lambda x, w, *b: torch.nn.functional.conv1d(x, w, *(b or [None]), *settings),
                  arrays, rng)


@needs_torch
@pytest.mark.parametrize("k, dilation", [(3, 1), (4, 1), (4, 2)])
def test_conv1d_padding_same_matches_pytorch(rng, k, dilation):
    arrays = [rng.normal(size=(2, 2, 9)), rng.normal(size=(3, 2, k))]
    with warnings.catch_warnings():         # torch's note on a padded copy for an even kernel
        warnings.simplefilter("ignore")
        same_as_torch(lambda x, w: F.conv1d(x, w, padding="same", dilation=dilation),
                      lambda x, w: torch.nn.functional.conv1d(x, w, padding="same",
                                                              dilation=dilation),
                      arrays, rng)


@needs_torch
@pytest.mark.parametrize("xs, k, s, p, d, ceil", POOLS, ids=POOL_IDS)
def test_pools_match_pytorch(rng, xs, k, s, p, d, ceil):
    x = [sample("distinct", xs, rng)]
    same_as_torch(lambda x: F.max_pool1d(x, k, s, p, d, ceil),
                  lambda x: torch.nn.functional.max_pool1d(x, k, s, p, d, ceil), x, rng)
    if d == 1:
        for include in (True, False):
            same_as_torch(lambda x: F.avg_pool1d(x, k, s, p, ceil, include),
                          lambda x: torch.nn.functional.avg_pool1d(x, k, s, p, ceil, include),
                          x, rng)


@needs_torch
@pytest.mark.parametrize("shape, size", [((2, 3, 7), 3), ((3, 10), 4), ((1, 2, 5), 5)])
def test_adaptive_avg_pool1d_matches_pytorch(rng, shape, size):
    same_as_torch(lambda x: F.adaptive_avg_pool1d(x, size),
                  lambda x: torch.nn.functional.adaptive_avg_pool1d(x, size),
                  [rng.normal(size=shape)], rng)


@needs_torch
def test_state_dicts_move_both_ways_with_pytorch(rng):
    """A glassgrad Conv1d's state dict loads strict into torch.nn.Conv1d and back, nothing
    renamed or reshaped; the outputs agree both times."""
    x = rng.normal(size=(3, 4, 13)).astype(np.float32)
    ours = Conv1d(4, 6, 3, stride=2, padding=1, groups=2)
    theirs = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2)
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict()) == ["weight", "bias"]
    assert {k: tuple(np.shape(v)) for k, v in state.items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in state.items()})
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)

    back = Conv1d(4, 6, 3, stride=2, padding=1, groups=2)
    with torch.no_grad():
        theirs.weight.mul_(2.0)                           # something new to carry back
    back.load_state_dict(theirs.state_dict())             # PyTorch's tensors, as they are
    np.testing.assert_allclose(back(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


@needs_torch
def test_pytorch_initialisation_has_the_same_range():
    """Same bounds as torch.nn.Conv1d's default initialisation (U(±1/√fan_in))."""
    ours, theirs = Conv1d(6, 63, 5, groups=3), torch.nn.Conv1d(6, 63, 5, groups=3)
    for name in ("weight", "bias"):
        a, b = np.abs(getattr(ours, name).data).max(), getattr(theirs, name).abs().max().item()
        assert a == pytest.approx(b, rel=0.1)


# -- a length-major conv1d's output meeting the ops after it (s30) ----------------------------

def _length_major(a):
    """a (N, C, L) with the memory of a length-major conv1d's output, (L, N, C)."""
    return np.ascontiguousarray(a.transpose(2, 0, 1)).transpose(1, 2, 0)


def _batch_last(a):
    """a (N, C, L) with the memory of a batch-last convolution's output, (C, L, N)."""
    return np.ascontiguousarray(a.transpose(1, 2, 0)).transpose(2, 0, 1)


ARRAY_LAYOUTS = {"C-contiguous": np.ascontiguousarray, "length-major": _length_major,
                 "batch-last": _batch_last}


@pytest.mark.parametrize("x_layout", ARRAY_LAYOUTS)
@pytest.mark.parametrize("g_layout", ARRAY_LAYOUTS)
@pytest.mark.parametrize("shape, size", [((3, 4, 9), 1), ((2, 3, 7), 3), ((1, 2, 5), 2),
                                         ((3, 1, 6), 4), ((2, 3, 4), 4)])
def test_adaptive_avg_pool1d_in_every_layout_against_central_differences(rng, x_layout,
                                                                         g_layout, shape, size):
    """Where x is length-major its means are one product over its (L, N·C) rows, the result and
    the gradient in that layout; every input and upstream layout gives the same numbers."""
    x = ARRAY_LAYOUTS[x_layout](rng.normal(size=shape))
    expected = F.adaptive_avg_pool1d(t64(np.ascontiguousarray(x)), size).data
    y = F.adaptive_avg_pool1d(t64(x), size)
    np.testing.assert_allclose(y.data, expected, rtol=1e-13, atol=1e-13)
    if x_layout == "length-major" and size > 1 and shape[0] * shape[1] > 1:
        assert same_memory_order(y.data, x)                       # stays (Lo, N, C) in memory
    g = ARRAY_LAYOUTS[g_layout](rng.normal(size=y.shape))
    assert gradcheck(lambda x: F.adaptive_avg_pool1d(x, size) * Tensor(g), t64(x))
    r = t64(rng.uniform(0.5, 1.5, size=y.shape), requires_grad=False)
    f = lambda x: (F.adaptive_avg_pool1d(x, size) ** 3 * r).sum()
    assert gradcheck(lambda x: grad(f)(x), t64(x))               # second order


@pytest.mark.parametrize("size", [1, 5])
def test_adaptive_avg_pool1d_of_a_conv1d_hands_back_a_length_major_gradient(rng, size):
    x = Tensor(rng.normal(size=(4, 3, 12)).astype(np.float32))
    w = Tensor(rng.normal(size=(5, 3, 3)).astype(np.float32), requires_grad=True)
    h = F.conv1d(x, w)
    h.retain_grad()
    pooled = F.adaptive_avg_pool1d(h, size)
    (pooled.reshape(4, -1) @ Tensor(rng.normal(size=(5 * size, 2)).astype(np.float32))).sum() \
        .backward()
    assert same_memory_order(h.grad, h.data)            # no relayout before the conv's products
    xs, ws = t64(rng.normal(size=(2, 3, 10))), t64(rng.normal(size=(4, 3, 3)))
    assert gradcheck(lambda x, w: F.adaptive_avg_pool1d(F.conv1d(x, w).tanh(), size)
                     .reshape(2, -1).tanh(), xs, ws)


@pytest.mark.parametrize("g_layout", ARRAY_LAYOUTS)
@pytest.mark.parametrize("shape", [(4, 3, 7), (1, 5, 6), (3, 1, 5)])
def test_relu_of_a_length_major_array_takes_every_gradient_layout(rng, g_layout, shape):
    """A C-ordered (or batch-last) g meeting a length-major ReLU output is relaid out as that
    output (one copy, then one multiply in a single layout); the same numbers either way."""
    x = Tensor(_length_major(rng.normal(size=shape)), requires_grad=True)
    y = F.relu(x)
    g = ARRAY_LAYOUTS[g_layout](rng.normal(size=shape))
    y.backward(g)
    np.testing.assert_array_equal(x.grad, g * (x.data > 0))
    if shape[0] > 1 and shape[1] > 1:       # (an axis of 1 has no place in the memory order)
        from autograd.ops.elementwise import Relu
        dx, = Relu.backward(None, g, y.data, x.data)
        assert same_memory_order(dx, x.data)
    flat = lambda x, w, v: F.relu(F.conv1d(x, w, padding=1)).reshape(shape[0], -1) @ v
    w = t64(rng.normal(size=(4, shape[1], 3)))
    v = t64(rng.normal(size=(4 * shape[2], 2)))
    assert gradcheck(flat, t64(rng.normal(size=shape)), w, v)


def test_a_pooling_or_batch_norm_head_on_conv1d_against_central_differences(rng):
    """The losses of the isolated measurements (docs/measurements.md#conv, s30): a conv1d, then
    ReLU, max pooling or batch norm, and the loss right after (a C-ordered gradient)."""
    x, w = t64(rng.normal(size=(3, 2, 11))), t64(rng.normal(size=(4, 2, 3)))
    gamma, beta = t64(rng.normal(size=4)), t64(rng.normal(size=4))
    assert gradcheck(lambda x, w: (F.relu(F.max_pool1d(F.conv1d(x, w), 2)) ** 2).sum(), x, w)
    assert gradcheck(lambda x, w, gamma, beta: (F.relu(NF.batch_norm(
        F.conv1d(x, w), None, None, gamma, beta, training=True)) ** 2).sum(),
        x, w, gamma, beta)
