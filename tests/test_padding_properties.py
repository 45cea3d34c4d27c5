"""Property tests (hypothesis) for padding: `pad` (autograd.functional, all four modes) and the
layers of `nn.padding`, over random small shapes and widths.

Properties: each mode gives numpy's `np.pad` (constant: "constant" with the value, a negative
width cropping that side first; reflect: "reflect"; replicate: "edge"; circular: "wrap"), on
the last axes in PyTorch's order (left, right, then top, bottom, ...); each layer is `pad`
with its mode, batched or unbatched; gradients (each element's copies added up) match central
finite differences in float64.

Settings come from the "glassgrad" profile in conftest (deterministic, no example database).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import gradcheck
from autograd.functional import pad

from conftest import t64

NUMPY_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap"}
LAYERS = {("constant", 1): nn.ConstantPad1d, ("constant", 2): nn.ConstantPad2d,
          ("reflect", 1): nn.ReflectionPad1d, ("reflect", 2): nn.ReflectionPad2d,
          ("replicate", 1): nn.ReplicationPad1d, ("replicate", 2): nn.ReplicationPad2d,
          ("circular", 1): nn.CircularPad1d, ("circular", 2): nn.CircularPad2d}


@st.composite
def paddings(draw) -> tuple:
    """(shape, mode, widths in pad's order): widths the mode allows (reflect: below the axis's
    size, circular: at most its size, constant: a negative one crops at most the axis)."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    mode = draw(st.sampled_from(sorted(NUMPY_MODE)))
    axes = draw(st.integers(1, len(shape)))
    widths = []
    for n in reversed(shape[-axes:]):                   # the last axis first
        if mode == "constant":
            before = draw(st.integers(-n, 3))
            pair = (before, draw(st.integers(-(n + min(before, 0)), 3)))
        else:
            most = {"reflect": n - 1, "replicate": 3, "circular": n}[mode]
            pair = (draw(st.integers(0, most)), draw(st.integers(0, most)))
        widths.extend(pair)
    return tuple(shape), mode, tuple(widths)


def _numpy_pad(x: np.ndarray, mode: str, widths: tuple, value: float) -> np.ndarray:
    pairs = [(0, 0)] * x.ndim
    for k in range(len(widths) // 2):
        pairs[x.ndim - 1 - k] = widths[2 * k], widths[2 * k + 1]
    # a negative width crops that side first, then the rest is padded
    x = x[tuple(slice(max(-a, 0), n - max(-b, 0)) for (a, b), n in zip(pairs, x.shape))]
    pairs = [(max(a, 0), max(b, 0)) for a, b in pairs]
    if mode == "constant":
        return np.pad(x, pairs, constant_values=value)
    return np.pad(x, pairs, NUMPY_MODE[mode])


@settings(max_examples=25)
@given(case=paddings(), value=st.sampled_from([0.0, -1.5]), seed=st.integers(0, 2 ** 16))
def test_pad_is_numpy_s_pad_and_differentiates(case, value, seed):
    shape, mode, widths = case
    x = np.random.default_rng(seed).normal(size=shape)
    kept = value if mode == "constant" else None
    y = pad(t64(x), widths, mode, kept)
    np.testing.assert_array_equal(y.data, _numpy_pad(x, mode, widths, value))
    if y.data.size:
        assert gradcheck(lambda x: pad(x, widths, mode, kept), t64(x))


@settings(max_examples=25)
@given(mode=st.sampled_from(sorted(NUMPY_MODE)), axes=st.sampled_from([1, 2]),
       batched=st.booleans(), sizes=st.lists(st.integers(2, 4), min_size=2, max_size=2),
       data=st.data(), seed=st.integers(0, 2 ** 16))
def test_padding_layers_are_pad_with_their_mode_batched_or_not(mode, axes, batched, sizes,
                                                                data, seed):
    shape = ((2,) if batched else ()) + (2, *sizes[:axes])
    most = {"constant": 2, "reflect": 1, "replicate": 2, "circular": 2}[mode]
    widths = tuple(data.draw(st.integers(0, most)) for _ in range(2 * axes))
    x = np.random.default_rng(seed).normal(size=shape)
    layer = LAYERS[mode, axes](widths, 0.75) if mode == "constant" else LAYERS[mode, axes](widths)
    expected = pad(t64(x), widths, mode, 0.75 if mode == "constant" else None)
    np.testing.assert_array_equal(layer(t64(x)).data, expected.data)
    np.testing.assert_array_equal(expected.data, _numpy_pad(x, mode, widths, 0.75))
