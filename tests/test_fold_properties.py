"""Property tests (hypothesis) for `nn.fold`: `unfold` / `Unfold` and `fold` / `Fold` over random
small settings (kernel, dilation, padding, stride; a batch or one image).

Properties: the number of windows L is the product of conv's output sizes; each column is the
zero-padded window read by loops (channel, then kernel row, then kernel column); fold of
unfold(ones) counts, for each pixel, the windows that cover it; fold is unfold's adjoint
(<unfold(x), c> = <x, fold(c)>); one image gives the batch's first item; the layers equal the
functions; gradients match central finite differences in float64.

Settings come from the "glassgrad" profile in conftest (deterministic, no example database).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import gradcheck
from nn.functional import fold, unfold

from conftest import t64


@st.composite
def fold_settings(draw) -> dict:
    """Per axis (size, kernel, dilation, padding, stride) holding at least one window; a batch
    of 0 to 2 images."""
    setting = {"n": draw(st.integers(0, 2)), "c": draw(st.integers(1, 2)),
               "size": [], "kernel": [], "dilation": [], "padding": [], "stride": []}
    for _ in range(2):
        k, d, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 2))
        reach = d * (k - 1) + 1
        setting["size"].append(draw(st.integers(max(1, reach - 2 * p), reach + 3)))
        setting["kernel"].append(k)
        setting["dilation"].append(d)
        setting["padding"].append(p)
        setting["stride"].append(draw(st.integers(1, 3)))
    return setting


def _options(s: dict) -> dict:
    return {name: tuple(s[name]) for name in ("kernel", "dilation", "padding", "stride")}


def _blocks(s: dict) -> list[int]:
    return [(n + 2 * p - d * (k - 1) - 1) // st_ + 1 for n, k, d, p, st_ in zip(
        s["size"], s["kernel"], s["dilation"], s["padding"], s["stride"])]


def _call(function, x, s: dict, *size):
    o = _options(s)
    return function(x, *size, kernel_size=o["kernel"], dilation=o["dilation"],
                    padding=o["padding"], stride=o["stride"])


@settings(max_examples=25)
@given(s=fold_settings(), seed=st.integers(0, 2 ** 16))
def test_unfold_reads_every_window_and_fold_is_its_adjoint(s, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(s["n"], s["c"], *s["size"]))
    cols = _call(unfold, t64(x), s)
    (bh, bw), (kh, kw) = _blocks(s), s["kernel"]
    assert cols.shape == (s["n"], s["c"] * kh * kw, bh * bw)
    (ph, pw), (dh, dw), (sh, sw) = s["padding"], s["dilation"], s["stride"]
    padded = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    expected = np.empty(cols.shape)
    for c in range(s["c"]):
        for i in range(kh):
            for j in range(kw):
                for a in range(bh):
                    for b in range(bw):
                        expected[:, (c * kh + i) * kw + j, a * bw + b] = \
                            padded[:, c, a * sh + i * dh, b * sw + j * dw]
    np.testing.assert_array_equal(cols.data, expected)
    v = rng.normal(size=cols.shape)
    back = _call(fold, t64(v), s, tuple(s["size"]))
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols.data * v), np.sum(x * back.data), rtol=1e-10,
                               atol=1e-10)
    if s["n"] == 0:                     # an empty batch: empty columns, an empty gradient
        x = t64(x)
        _call(unfold, x, s).sum().backward()
        assert x.grad.shape == x.shape
        return
    layer = nn.Unfold(tuple(s["kernel"]), tuple(s["dilation"]), tuple(s["padding"]),
                      tuple(s["stride"]))
    np.testing.assert_array_equal(layer(t64(x[0])).data, cols.data[0])     # one image
    folder = nn.Fold(tuple(s["size"]), tuple(s["kernel"]), tuple(s["dilation"]),
                     tuple(s["padding"]), tuple(s["stride"]))
    np.testing.assert_array_equal(folder(t64(v[0])).data, back.data[0])
    assert gradcheck(lambda x: _call(unfold, x, s), t64(x))
    assert gradcheck(lambda v: _call(fold, v, s, tuple(s["size"])), t64(v))


@settings(max_examples=25)
@given(s=fold_settings())
def test_fold_of_unfold_of_ones_counts_the_windows_over_each_pixel(s):
    ones = np.ones((s["n"], s["c"], *s["size"]))
    counts = _call(fold, _call(unfold, t64(ones), s), s, tuple(s["size"])).data
    expected = np.zeros(s["size"])
    (ph, pw), (dh, dw), (sh, sw) = s["padding"], s["dilation"], s["stride"]
    for a in range(_blocks(s)[0]):
        for b in range(_blocks(s)[1]):
            for i in range(s["kernel"][0]):
                for j in range(s["kernel"][1]):
                    row, column = a * sh + i * dh - ph, b * sw + j * dw - pw
                    if 0 <= row < s["size"][0] and 0 <= column < s["size"][1]:
                        expected[row, column] += 1
    np.testing.assert_array_equal(counts, np.broadcast_to(expected, counts.shape))
