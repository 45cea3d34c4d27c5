"""max_pool2d, avg_pool2d, adaptive_avg_pool2d and adaptive_max_pool2d/1d: forward against
loops, the gradient (first maximum on ties, as PyTorch), finite differences in float64, second
derivatives, errors, and the same numbers as PyTorch (asked live where torch is installed, else
as recorded in tests/reference/pool.npz)."""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

from autograd import Tensor, gradcheck, grad
from autograd import functional as F
import nn

from conftest import sample, t64
from reference import as_array, assert_matches, record_cases, recorded_case


def pool_loops(x, kernel, stride, padding, dilation=(1, 1), reduce=np.max, fill=-np.inf):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    xp = np.full((n, c, h + 2 * ph, w + 2 * pw), fill)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                        j * sw:j * sw + dw * (kw - 1) + 1:dw]
            y[:, :, i, j] = reduce(window, axis=(2, 3))
    return y


# (x shape, kernel, stride, padding, dilation)
CASES = [
    ((2, 3, 4, 4), 2, None, 0, 1),                    # tiles the input
    ((1, 2, 7, 5), 3, 2, 1, 1),                       # overlapping, padded, odd sizes, batch 1
    ((2, 1, 6, 7), (2, 3), (1, 2), (1, 0), 1),        # rectangular everything
    ((1, 2, 7, 7), 2, 1, 0, 2),                       # dilated
    ((2, 2, 5, 5), 2, None, 0, 1),                    # the last row and column are dropped
]
IDS = [f"x{x}-k{k}-s{s}-p{p}-d{d}" for x, k, s, p, d in CASES]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@pytest.mark.parametrize("xs, k, s, p, d", CASES, ids=IDS)
def test_max_pool_forward_and_gradient(rng, xs, k, s, p, d):
    x = sample("distinct", xs, rng)                  # no ties: finite differences are exact
    y = F.max_pool2d(t64(x), k, s, p, d)
    expected = pool_loops(x, _pair(k), _pair(k if s is None else s), _pair(p), _pair(d))
    np.testing.assert_array_equal(y.data, expected)
    assert gradcheck(lambda x: F.max_pool2d(x, k, s, p, d), t64(x))


@pytest.mark.parametrize("xs, k, s, p, d", [c for c in CASES if c[4] == 1],
                         ids=[i for i, c in zip(IDS, CASES) if c[4] == 1])
def test_avg_pool_forward_and_gradient(rng, xs, k, s, p, d):
    x = rng.normal(size=xs)
    y = F.avg_pool2d(t64(x), k, s, p)
    expected = pool_loops(x, _pair(k), _pair(k if s is None else s), _pair(p), reduce=np.mean,
                          fill=0.0)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-15)
    assert gradcheck(lambda x: F.avg_pool2d(x, k, s, p), t64(x))


def test_max_pool_ties_send_the_whole_gradient_to_the_first_maximum():
    """PyTorch's rule: in row-major order within the window, the first maximum gets it all."""
    x = t64([[[[0.0, 0.0, 1.0, 3.0],
               [0.0, 0.0, 3.0, 3.0]]]])
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 0, 0, 1], [0, 0, 0, 0]])
    x = t64([[[[5.0, 5.0, 5.0]]]])                    # overlapping windows share a maximum
    F.max_pool2d(x, (1, 2), stride=1).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 1, 0]])


def test_max_pool_sends_the_gradient_of_a_nan_window_to_its_last_nan():
    """PyTorch's running maximum takes every NaN it meets (numbers recorded from PyTorch 2.13)."""
    nan = np.nan
    x = t64([[[[1.0, nan], [nan, 3.0]]]])
    y = F.max_pool2d(x, 2)
    y.sum().backward()
    assert np.isnan(y.data).all()
    np.testing.assert_array_equal(x.grad[0, 0], [[0, 0], [1, 0]])


def test_max_pool_sends_the_gradient_of_a_minus_inf_window_to_its_first_pixel_not_the_padding():
    """All -inf under a padded window: PyTorch picks the first pixel inside the input, so no
    gradient is lost in the padding (numbers recorded from PyTorch 2.13)."""
    x = t64([[[[-np.inf, -np.inf, 5.0], [-np.inf, -np.inf, 5.0]]]])
    F.max_pool2d(x, 2, stride=1, padding=1).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[4, 0, 4], [2, 0, 2]])


def test_max_pool_padding_never_wins():
    x = t64(-np.ones((1, 1, 3, 3)) * 7)
    y = F.max_pool2d(x, 3, stride=1, padding=1)
    assert (y.data == -7).all()


@pytest.mark.parametrize("shape", [(2, 2, 5, 6), (1, 1, 5, 6)], ids=str)
def test_pool_second_derivatives(shape, rng):
    """Pooling is piecewise linear: grad(f) of f = Σ r·pool(x)² is 2 r·pool(x) routed back,
    and its derivative is checked against finite differences of that gradient (a batch and
    a batch of one)."""
    x = t64(sample("distinct", shape, rng))
    for pool in (lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: F.avg_pool2d(x, 2, 1, 1)):
        r = Tensor(rng.uniform(0.5, 1.5, pool(x).shape))
        f = lambda x: (pool(x) ** 2 * r).sum()
        assert gradcheck(lambda x: grad(f)(x), x)
        assert gradcheck(lambda x: grad(lambda x: (grad(f)(x) ** 2).sum())(x), x)


def test_pool_errors():
    x = Tensor(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"max_pool2d: the input of shape \(1, 1, 3, 3\).*"
                                         r"smaller than the kernel"):
        F.max_pool2d(x, 4)
    with pytest.raises(ValueError, match="at most half the kernel"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: expected a 4-d input"):
        F.avg_pool2d(Tensor(np.zeros((3, 3))), 2)
    with pytest.raises(ValueError, match="kernel_size must be an int >= 1"):
        F.max_pool2d(x, 0)


def test_the_2d_pooling_layers_name_themselves_in_errors():
    """A CNN with a pooling layer too many: the error names the layer, as the 1-d ones and the
    convolutions do, not the function it calls."""
    x = Tensor(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"^MaxPool2d\(kernel_size=3, stride=3, padding=0, "
                                         r"dilation=1, ceil_mode=False\): the input of shape "
                                         r"\(1, 1, 2, 2\) .* smaller than the kernel"):
        nn.MaxPool2d(3)(x)
    with pytest.raises(ValueError, match=r"^AvgPool2d\(kernel_size=3, .* smaller than the kernel"):
        nn.AvgPool2d(3)(x)


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

def pool_inputs(rng: np.random.Generator, case: tuple) -> dict[str, np.ndarray]:
    """x with many ties (small integers) and a gradient g for max_pool2d's output."""
    xs, k, s, p, d = case
    x = rng.integers(0, 3, size=xs).astype(np.float64)
    return dict(x=x, g=rng.normal(size=F.max_pool2d(t64(x), k, s, p, d).shape))


def pools_glassgrad(case: tuple, x, g) -> dict[str, np.ndarray]:
    """max_pool2d's output and x's gradient when g flows back; avg_pool2d's output (PyTorch's
    has no dilation)."""
    xs, k, s, p, d = case
    ours = t64(x)
    y = F.max_pool2d(ours, k, s, p, d)
    y.backward(g)
    results = {"max": y.data, "x.grad": ours.grad}
    if d == 1:
        results["avg"] = F.avg_pool2d(t64(x), k, s, p).data
    return results


def pools_torch(torch, case: tuple, x, g) -> dict[str, np.ndarray]:
    """The same as `pools_glassgrad`, computed by PyTorch."""
    xs, k, s, p, d = case
    theirs = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.max_pool2d(theirs, k, s, p, d)
    y.backward(torch.tensor(g))
    results = {"max": as_array(y), "x.grad": as_array(theirs.grad)}
    if d == 1:
        results["avg"] = as_array(torch.nn.functional.avg_pool2d(torch.tensor(x), k, s, p))
    return results


# PyTorch's options: (x shape, kernel, stride, padding, ceil_mode, count_include_pad,
# divisor_override); ceil_mode's last windows run past the input (and its padding)
OPTION_CASES = [
    ((1, 2, 5, 5), 2, 2, 1, False, False, None),      # divide by the pixels inside the input
    ((2, 1, 5, 7), 3, 2, 1, True, True, None),        # a last partial window, padding counted
    ((1, 1, 6, 5), (3, 2), (2, 3), (1, 0), True, False, None),
    ((1, 1, 3, 3), 4, None, 0, True, True, None),     # kernel > input: one window with ceil
    ((1, 2, 5, 5), 3, 2, 1, False, True, 2),          # divisor_override
]
OPTION_IDS = [f"options-x{x}-k{k}-s{s}-p{p}-ceil{c}-pad{i}-div{d}"
              for x, k, s, p, c, i, d in OPTION_CASES]


def option_inputs(rng: np.random.Generator, case: tuple) -> dict[str, np.ndarray]:
    """x with ties and -inf (max pooling's rare windows), and gradients for both outputs."""
    x = rng.integers(0, 3, size=case[0]).astype(np.float64)
    x.flat[0] = -np.inf
    shape = F.max_pool2d(t64(x), *case[1:4], ceil_mode=case[4]).shape
    return dict(x=x, g_max=rng.normal(size=shape), g_avg=rng.normal(size=shape))


def options_glassgrad(case: tuple, x, g_max, g_avg) -> dict[str, np.ndarray]:
    xs, k, s, p, ceil_mode, count_include_pad, divisor_override = case
    maxed, averaged = t64(x), t64(np.nan_to_num(x, neginf=-1.0))
    y_max = F.max_pool2d(maxed, k, s, p, ceil_mode=ceil_mode)
    y_avg = F.avg_pool2d(averaged, k, s, p, ceil_mode, count_include_pad, divisor_override)
    y_max.backward(g_max)
    y_avg.backward(g_avg)
    return {"max": y_max.data, "max.x.grad": maxed.grad, "avg": y_avg.data,
            "avg.x.grad": averaged.grad}


def options_torch(torch, case: tuple, x, g_max, g_avg) -> dict[str, np.ndarray]:
    """The same as `options_glassgrad`, computed by PyTorch."""
    xs, k, s, p, ceil_mode, count_include_pad, divisor_override = case
    maxed = torch.tensor(x, requires_grad=True)
    averaged = torch.tensor(np.nan_to_num(x, neginf=-1.0), requires_grad=True)
    y_max = torch.nn.functional.max_pool2d(maxed, k, s, p, ceil_mode=ceil_mode)
    y_avg = torch.nn.functional.avg_pool2d(averaged, k, s, p, ceil_mode, count_include_pad,
                                           divisor_override)
    y_max.backward(torch.tensor(g_max))
    y_avg.backward(torch.tensor(g_avg))
    return {"max": as_array(y_max), "max.x.grad": as_array(maxed.grad), "avg": as_array(y_avg),
            "avg.x.grad": as_array(averaged.grad)}


# adaptive_avg_pool2d: (x shape, output_size); the windows are PyTorch's floor/ceil rule
ADAPTIVE_CASES = [
    ((2, 3, 7, 5), (3, 2)),             # uneven: neighbouring windows share a row or column
    ((2, 2, 8, 6), (4, 3)),             # even: the windows tile the input
    ((1, 2, 5, 5), 1),                  # batch 1, global average pooling
    ((3, 6, 4), (None, 3)),             # (C, H, W), the height kept
    ((1, 1, 3, 2), (5, 4)),             # larger than the input: windows repeat pixels
]
ADAPTIVE_IDS = [f"adaptive-x{x}-out{o}" for x, o in ADAPTIVE_CASES]


def adaptive_loops(x, output_size):
    """Each output the mean of rows floor(i·H/Ho) to ceil((i+1)·H/Ho), columns alike."""
    height, width = x.shape[-2:]
    sizes = (output_size, output_size) if isinstance(output_size, int) else output_size
    out_h, out_w = (n if o is None else o for o, n in zip(sizes, (height, width)))
    y = np.zeros(x.shape[:-2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * height // out_h, -(-(i + 1) * height // out_h))
            columns = slice(j * width // out_w, -(-(j + 1) * width // out_w))
            y[..., i, j] = x[..., rows, columns].mean(axis=(-2, -1))
    return y


@pytest.mark.parametrize("xs, output_size", ADAPTIVE_CASES, ids=ADAPTIVE_IDS)
def test_adaptive_avg_pool_forward_and_gradient(rng, xs, output_size):
    x = sample("real", xs, rng)
    y = F.adaptive_avg_pool2d(t64(x), output_size)
    np.testing.assert_allclose(y.data, adaptive_loops(x, output_size), rtol=1e-14, atol=1e-15)
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, output_size), t64(x))
    layer = nn.AdaptiveAvgPool2d(output_size)
    np.testing.assert_array_equal(layer(t64(x)).data, y.data)


def test_adaptive_avg_pool_second_derivative_and_dtype(rng):
    x = t64(sample("real", (1, 2, 5, 7), rng))
    f = lambda x: (F.adaptive_avg_pool2d(x, (2, 3)) ** 2).sum()
    assert gradcheck(lambda x: grad(f)(x), x)
    assert F.adaptive_avg_pool2d(Tensor(np.ones((1, 1, 3, 3), np.float32)), 2).dtype == np.float32


def test_adaptive_avg_pool_errors():
    x = Tensor(np.zeros((1, 1, 4, 4)))
    for bad in (0, (2, 0), (2, 2, 2), 1.5, "2", None, (None, 1.0)):
        message = rf"adaptive_avg_pool2d: output_size must be an int >= 1 or a pair of them .*" \
                  rf"got {re.escape(repr(bad))}"
        with pytest.raises(ValueError, match=message):
            F.adaptive_avg_pool2d(x, bad)
    for shape in ((4, 4), (1, 1, 1, 4, 4), (1, 0, 4, 4), (1, 1, 0, 4)):
        with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: expected a 3-d \(C, H, W\) or "
                                             rf"4-d .*got shape {re.escape(str(shape))}"):
            F.adaptive_avg_pool2d(Tensor(np.zeros(shape)), 2)
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d: output_size must be an int >= 1"):
        nn.AdaptiveAvgPool2d((3, -1))
    with pytest.raises(ValueError, match=r"^AdaptiveAvgPool2d\(output_size=\(2, None\)\): "
                                         r"expected a 3-d"):
        nn.AdaptiveAvgPool2d((2, None))(Tensor(np.zeros((4, 4))))


def adaptive_inputs(rng: np.random.Generator, case: tuple) -> dict[str, np.ndarray]:
    xs, output_size = case
    x = rng.normal(size=xs)
    return dict(x=x, g=rng.normal(size=adaptive_loops(x, output_size).shape))


def adaptive_glassgrad(case: tuple, x, g) -> dict[str, np.ndarray]:
    ours = t64(x)
    y = F.adaptive_avg_pool2d(ours, case[1])
    y.backward(g)
    return {"y": y.data, "x.grad": ours.grad}


def adaptive_torch(torch, case: tuple, x, g) -> dict[str, np.ndarray]:
    """The same as `adaptive_glassgrad`, computed by PyTorch."""
    theirs = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.adaptive_avg_pool2d(theirs, case[1])
    y.backward(torch.tensor(g))
    return {"y": as_array(y), "x.grad": as_array(theirs.grad)}


@pytest.mark.parametrize("case", ADAPTIVE_CASES, ids=ADAPTIVE_IDS)
def test_adaptive_avg_pool_matches_pytorch(rng, case):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = adaptive_inputs(rng, case)
    assert_matches(adaptive_glassgrad(case, **inputs), adaptive_torch(torch, case, **inputs),
                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case_id, case", list(zip(ADAPTIVE_IDS, ADAPTIVE_CASES)),
                         ids=ADAPTIVE_IDS)
def test_adaptive_avg_pool_matches_pytorchs_recorded_numbers(case_id, case):
    theirs = recorded_case("pool", case_id)
    assert_matches(adaptive_glassgrad(case, theirs["x"], theirs["g"]), theirs, rtol=1e-12,
                   atol=1e-15, inputs=("x", "g"))


# -- adaptive_max_pool2d / adaptive_max_pool1d: the same windows, their maxima ---------------------

# (x shape, output_size); x holds small integers: many ties
ADAPTIVE_MAX_CASES = [
    ((2, 3, 7, 5), (3, 2)),             # uneven: neighbouring windows share a row or column
    ((1, 2, 5, 5), 1),                  # batch 1, global max pooling
    ((3, 6, 4), (None, 3)),             # (C, H, W), the height kept
]
ADAPTIVE_MAX_IDS = [f"adaptive-max-x{x}-out{o}" for x, o in ADAPTIVE_MAX_CASES]


def adaptive_max_loops(x, output_size):
    """Each output the maximum of adaptive_loops' window, and where its first maximum is in
    the flattened H·W plane."""
    height, width = x.shape[-2:]
    sizes = (output_size, output_size) if isinstance(output_size, int) else output_size
    out_h, out_w = (n if o is None else o for o, n in zip(sizes, (height, width)))
    y, where = np.zeros(x.shape[:-2] + (out_h, out_w)), np.zeros(x.shape[:-2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * height // out_h, j * width // out_w
            rows = slice(top, -(-(i + 1) * height // out_h))
            columns = slice(left, -(-(j + 1) * width // out_w))
            window = x[..., rows, columns]
            y[..., i, j] = window.max(axis=(-2, -1))
            k = window.reshape(window.shape[:-2] + (-1,)).argmax(axis=-1)
            where[..., i, j] = (top + k // window.shape[-1]) * width + left + k % window.shape[-1]
    return y, where


@pytest.mark.parametrize("xs, output_size", ADAPTIVE_MAX_CASES, ids=ADAPTIVE_MAX_IDS)
def test_adaptive_max_pool_forward_indices_and_gradient(rng, xs, output_size):
    x = rng.integers(0, 3, size=xs).astype(np.float64)
    y, where = F.adaptive_max_pool2d(t64(x), output_size, return_indices=True)
    expected, expected_where = adaptive_max_loops(x, output_size)
    np.testing.assert_array_equal(y.data, expected)
    np.testing.assert_array_equal(where.data, expected_where)
    assert where.dtype == np.int64 and not where.requires_grad
    assert gradcheck(lambda x: F.adaptive_max_pool2d(x, output_size), t64(sample("real", xs, rng)))
    layer = nn.AdaptiveMaxPool2d(output_size, return_indices=True)
    np.testing.assert_array_equal(layer(t64(x))[1].data, where.data)


def test_adaptive_max_pool_of_an_empty_batch_is_empty():
    """N = 0 gives (0, C, Ho, Wo) and int64 indices of that shape, as PyTorch's (numpy could
    not infer a window's size from an empty array)."""
    x = Tensor(np.zeros((0, 2, 5, 4)), requires_grad=True)
    y, where = F.adaptive_max_pool2d(x, (2, 3), return_indices=True)
    assert y.shape == where.shape == (0, 2, 2, 3) and where.dtype == np.int64
    y.sum().backward()
    assert x.grad.shape == (0, 2, 5, 4)
    assert F.adaptive_max_pool1d(np.zeros((0, 2, 5)), 2).shape == (0, 2, 2)


def test_adaptive_max_pool1d_is_the_2d_one_on_a_height_of_one(rng):
    x = rng.normal(size=(2, 3, 11))
    y, where = F.adaptive_max_pool1d(t64(x), 4, return_indices=True)
    y2, where2 = F.adaptive_max_pool2d(t64(x[:, :, None, :]), (1, 4), return_indices=True)
    np.testing.assert_array_equal(y.data, y2.data[:, :, 0])
    np.testing.assert_array_equal(where.data, where2.data[:, :, 0])
    assert gradcheck(lambda x: nn.AdaptiveMaxPool1d(4)(x), t64(x[:1]))
    assert nn.AdaptiveMaxPool1d(4)(t64(x[0])).shape == (3, 4)           # (C, L)


def test_adaptive_max_pool_nan_windows_pick_their_last_nan_and_second_derivatives(rng):
    x = t64([[[1.0, np.nan, 3.0, np.nan, 0.0, 2.0]]])
    y, where = F.adaptive_max_pool1d(x, 2, return_indices=True)       # windows 0-2, 3-5
    assert np.isnan(y.data[0, 0, 0]) and where.tolist() == [[[1, 3]]]   # PyTorch's
    x = t64(sample("real", (1, 2, 5, 4), rng))
    f = lambda x: (F.adaptive_max_pool2d(x, (2, 3)) ** 2).sum()
    assert gradcheck(lambda x: grad(f)(x), x)


def test_adaptive_max_pool_errors_and_reprs():
    with pytest.raises(ValueError, match=r"adaptive_max_pool2d: output_size must be an int >= 1"):
        F.adaptive_max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), (2, 0))
    with pytest.raises(ValueError, match=r"^AdaptiveMaxPool2d\(output_size=\(2, None\)\): "
                                         r"expected a 3-d \(C, H, W\) or 4-d .*got shape \(4, 4\)"):
        nn.AdaptiveMaxPool2d((2, None))(Tensor(np.zeros((4, 4))))
    with pytest.raises(ValueError, match=r"^AdaptiveMaxPool1d\(output_size=3\): expected a 2-d "
                                         r"\(C, L\) or 3-d .*got shape \(5,\)"):
        nn.AdaptiveMaxPool1d(3)(Tensor(np.zeros(5)))
    with pytest.raises(TypeError, match="AdaptiveMaxPool1d: return_indices must be True or False"):
        nn.AdaptiveMaxPool1d(3, return_indices="yes")
    # PyTorch's reprs
    assert repr(nn.AdaptiveMaxPool2d((2, None), return_indices=True)) == \
        "AdaptiveMaxPool2d(output_size=(2, None))"
    assert repr(nn.AdaptiveMaxPool1d(3)) == "AdaptiveMaxPool1d(output_size=3)"


def adaptive_max_inputs(rng: np.random.Generator, case: tuple) -> dict[str, np.ndarray]:
    xs, output_size = case
    x = rng.integers(0, 3, size=xs).astype(np.float64)
    return dict(x=x, g=rng.normal(size=adaptive_max_loops(x, output_size)[0].shape))


def adaptive_max_glassgrad(case: tuple, x, g) -> dict[str, np.ndarray]:
    ours = t64(x)
    y, where = F.adaptive_max_pool2d(ours, case[1], return_indices=True)
    y.backward(g)
    return {"y": y.data, "indices": where.data, "x.grad": ours.grad}


def adaptive_max_torch(torch, case: tuple, x, g) -> dict[str, np.ndarray]:
    """The same as `adaptive_max_glassgrad`, computed by PyTorch."""
    theirs = torch.tensor(x, requires_grad=True)
    y, where = torch.nn.functional.adaptive_max_pool2d(theirs, case[1], return_indices=True)
    y.backward(torch.tensor(g))
    return {"y": as_array(y), "indices": as_array(where), "x.grad": as_array(theirs.grad)}


@pytest.mark.parametrize("case", ADAPTIVE_MAX_CASES, ids=ADAPTIVE_MAX_IDS)
def test_adaptive_max_pool_matches_pytorch_including_ties(rng, case):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = adaptive_max_inputs(rng, case)
    assert_matches(adaptive_max_glassgrad(case, **inputs),
                   adaptive_max_torch(torch, case, **inputs), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case_id, case", list(zip(ADAPTIVE_MAX_IDS, ADAPTIVE_MAX_CASES)),
                         ids=ADAPTIVE_MAX_IDS)
def test_adaptive_max_pool_matches_pytorchs_recorded_numbers(case_id, case):
    theirs = recorded_case("pool", case_id)
    assert_matches(adaptive_max_glassgrad(case, theirs["x"], theirs["g"]), theirs, rtol=1e-12,
                   atol=1e-15, inputs=("x", "g"))


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/pool.npz: each case's inputs and PyTorch's results, under its id."""
    return {**record_cases(IDS, CASES, pool_inputs, functools.partial(pools_torch, torch)),
            **record_cases(OPTION_IDS, OPTION_CASES, option_inputs,
                           functools.partial(options_torch, torch)),
            **record_cases(ADAPTIVE_IDS, ADAPTIVE_CASES, adaptive_inputs,
                           functools.partial(adaptive_torch, torch)),
            **record_cases(ADAPTIVE_MAX_IDS, ADAPTIVE_MAX_CASES, adaptive_max_inputs,
                           functools.partial(adaptive_max_torch, torch))}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_pools_match_pytorch_including_ties(rng, case):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = pool_inputs(rng, case)
    assert_matches(pools_glassgrad(case, **inputs), pools_torch(torch, case, **inputs),
                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case_id, case", list(zip(IDS, CASES)), ids=IDS)
def test_pools_match_pytorchs_recorded_numbers_including_ties(case_id, case):
    theirs = recorded_case("pool", case_id)
    assert_matches(pools_glassgrad(case, theirs["x"], theirs["g"]), theirs, rtol=1e-12,
                   atol=1e-15, inputs=("x", "g"))


@pytest.mark.parametrize("case", OPTION_CASES, ids=OPTION_IDS)
def test_pool_options_match_pytorch(rng, case):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = option_inputs(rng, case)
    assert_matches(options_glassgrad(case, **inputs), options_torch(torch, case, **inputs),
                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case_id, case", list(zip(OPTION_IDS, OPTION_CASES)), ids=OPTION_IDS)
def test_pool_options_match_pytorchs_recorded_numbers(case_id, case):
    """ceil_mode, count_include_pad and divisor_override: outputs and gradients."""
    theirs = recorded_case("pool", case_id)
    assert_matches(options_glassgrad(case, theirs["x"], theirs["g_max"], theirs["g_avg"]),
                   theirs, rtol=1e-12, atol=1e-15, inputs=("x", "g_max", "g_avg"))


def test_pool_options_differentiate_twice(rng):
    """The divisors are constants and the partial windows padding: any order still works."""
    x = t64(sample("distinct", (1, 2, 5, 6), rng))
    pools = (lambda x: F.max_pool2d(x, 2, 2, 1, ceil_mode=True),
             lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False))
    for pool in pools:
        r = Tensor(rng.uniform(0.5, 1.5, pool(x).shape))
        f = lambda x: (pool(x) ** 2 * r).sum()
        assert gradcheck(pool, x)
        assert gradcheck(lambda x: grad(f)(x), x)


def test_pool_option_errors():
    x = Tensor(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="avg_pool2d: divisor_override must be an int >= 1 or "
                                         "None, got 0"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match=r"max_pool2d: the input of shape \(1, 1, 4, 4\).*"
                                         r"smaller than the kernel"):
        F.max_pool2d(x, 7, stride=1, ceil_mode=True)
    # ceil_mode adds a column for the width, but the height is too small for any window: an
    # empty max_pool2d output, avg_pool2d's error named conv2d and a shape with that column
    for pool in (F.max_pool2d, F.avg_pool2d):
        with pytest.raises(ValueError, match=rf"{pool.__name__}: the input of shape "
                                             rf"\(1, 1, 1, 4\) .*smaller than the kernel"):
            pool(Tensor(np.zeros((1, 1, 1, 4))), 3, 2, ceil_mode=True)
    # yes-or-no options refuse strings ("False" would count as true)
    for call, option in ((lambda: F.max_pool2d(x, 2, ceil_mode="False"), "ceil_mode"),
                         (lambda: F.avg_pool2d(x, 2, ceil_mode="no"), "ceil_mode"),
                         (lambda: F.avg_pool2d(x, 2, count_include_pad="False"),
                          "count_include_pad")):
        with pytest.raises(TypeError, match=rf"{option} must be True or False"):
            call()
    for make in (lambda: nn.MaxPool2d(2, ceil_mode="False"),
                 lambda: nn.AvgPool2d(2, count_include_pad="False")):
        with pytest.raises(TypeError, match=r"Pool2d: \w+ must be True or False, got 'False'"):
            make()


def _first_max_scatter(x, g, kernel, stride):
    """max pooling's gradient by loops (no padding or dilation): g onto each window's first
    maximum in row-major order."""
    dx = np.zeros_like(x)
    (kh, kw), (sh, sw) = kernel, stride
    for n, c, i, j in np.ndindex(*g.shape):
        window = x[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
        a, b = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, i * sh + a, j * sw + b] += g[n, c, i, j]
    return dx


@pytest.mark.parametrize("layout", ["c-ordered", "batch-last"])
@pytest.mark.parametrize("xs, k, s, tiles", [
    ((3, 2, 6, 8), 2, 2, True),                       # 2x2 stride 2 on even sizes: every cell
    ((2, 2, 3, 5), (3, 5), 1, True),                  # one window the size of the image
    ((1, 3, 6, 6), (2, 3), (2, 3), True),             # rectangular, batch 1
    ((2, 2, 5, 7), 2, 2, False),                      # the last row and column in no window
], ids=["2x2", "whole-image", "rectangular", "odd-sizes"])
def test_max_pool_backward_writes_every_cell_once(rng, xs, k, s, tiles, layout):
    """Where the windows cover the input once each the backward writes into an uninitialised
    array (no zeros first): every cell must get its value, ties included (a ReLU's zeros); where
    they do not, the cells outside every window stay zero."""
    from autograd.ops.conv import Geometry, as_batch_last, tiles_exactly
    kernel, stride = _pair(k), _pair(s)
    out = tuple((n - kk) // ss + 1 for n, kk, ss in zip(xs[2:], kernel, stride))
    assert tiles_exactly(xs[2:], kernel, out, Geometry(stride, (0, 0), (1, 1), 1)) == tiles
    x = np.maximum(rng.normal(size=xs), 0.0)        # after a ReLU: many all-zero windows
    if layout == "batch-last":
        x = as_batch_last(x)
    g = rng.normal(size=xs[:2] + out)
    for _ in range(2):                               # (a second call reuses freed memory)
        xt = t64(x)
        F.max_pool2d(xt, kernel, stride).backward(g)
        np.testing.assert_array_equal(xt.grad, _first_max_scatter(np.asarray(x), g, kernel,
                                                                  stride))
    assert gradcheck(lambda t: F.max_pool2d(t, kernel, stride), t64(sample("distinct", xs, rng)))
