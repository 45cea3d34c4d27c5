"""The padding layers (nn.padding): each is numpy's np.pad of the same mode on the last one or
two axes, batched and unbatched, with gradients against finite differences (incl. a batch of
one), PyTorch's reprs, and errors that name the layer and the shape."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from nn import (
    CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d, ReflectionPad2d,
    ReplicationPad1d, ReplicationPad2d, ZeroPad1d, ZeroPad2d,
)

from conftest import t64

# layer, numpy's np.pad keywords, the repr PyTorch shows for the same layer
LAYERS = [
    (ZeroPad1d((1, 2)), dict(mode="constant"), "ZeroPad1d((1, 2))"),
    (ZeroPad2d(1), dict(mode="constant"), "ZeroPad2d((1, 1, 1, 1))"),
    (ConstantPad1d(2, -1.5), dict(mode="constant", constant_values=-1.5),
     "ConstantPad1d(padding=(2, 2), value=-1.5)"),
    (ConstantPad2d((0, 1, 2, 3), 3.5), dict(mode="constant", constant_values=3.5),
     "ConstantPad2d(padding=(0, 1, 2, 3), value=3.5)"),
    (ReflectionPad1d((2, 1)), dict(mode="reflect"), "ReflectionPad1d((2, 1))"),
    (ReflectionPad2d((1, 2, 2, 0)), dict(mode="reflect"), "ReflectionPad2d((1, 2, 2, 0))"),
    (ReplicationPad1d(3), dict(mode="edge"), "ReplicationPad1d((3, 3))"),
    (ReplicationPad2d((1, 0, 2, 3)), dict(mode="edge"), "ReplicationPad2d((1, 0, 2, 3))"),
    (CircularPad1d((3, 1)), dict(mode="wrap"), "CircularPad1d((3, 1))"),
    (CircularPad2d((1, 2, 3, 0)), dict(mode="wrap"), "CircularPad2d((1, 2, 3, 0))"),
]
ROWS = [pytest.param(layer, numpy, shown, id=shown) for layer, numpy, shown in LAYERS]


def numpy_pad(x: np.ndarray, padding: tuple, numpy: dict) -> np.ndarray:
    """np.pad with PyTorch's padding tuple: (left, right) of the last axis first."""
    pairs = [(0, 0)] * x.ndim
    for k in range(len(padding) // 2):
        pairs[x.ndim - 1 - k] = (padding[2 * k], padding[2 * k + 1])
    return np.pad(x, pairs, **numpy)


def shapes(layer) -> list[tuple]:
    """Batched and unbatched inputs, each padded axis at least 4 long (reflect needs > 3)."""
    return [(2, 3, 4), (3, 5)] if layer.axes == 1 else [(2, 3, 4, 5), (3, 4, 5)]


@pytest.mark.parametrize("layer, numpy, shown", ROWS)
def test_each_layer_is_np_pad_of_its_mode_and_shows_as_pytorch(layer, numpy, shown, rng):
    for shape in shapes(layer):
        x = rng.normal(size=shape)
        np.testing.assert_array_equal(layer(t64(x)).data, numpy_pad(x, layer.padding, numpy))
    assert repr(layer) == shown
    assert layer.parameters() == [] and list(layer.state_dict()) == []


@pytest.mark.parametrize("layer, numpy, shown", ROWS)
def test_gradients_match_finite_differences_incl_a_batch_of_one(layer, numpy, shown, rng):
    shape = (1,) + shapes(layer)[0][1:]
    assert gradcheck(lambda t: layer(t) * 1.5, t64(rng.normal(size=shape)))


def test_a_negative_width_crops_in_the_zero_and_constant_layers():
    x = Tensor(np.arange(6.0).reshape(1, 6))
    assert ZeroPad1d((-2, 1))(x).tolist() == [[2.0, 3.0, 4.0, 5.0, 0.0]]
    assert ConstantPad2d((0, 0, -1, 0), 9.0)(Tensor(np.ones((2, 3)))).shape == (1, 3)


def test_the_reprs_are_pytorchs():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    for _, _, shown in LAYERS:
        assert repr(eval("torch.nn." + shown)) == shown


@pytest.mark.parametrize("call, error, message", [
    (lambda: ReflectionPad1d(1)(Tensor(np.zeros(4))), ValueError,
     r"ReflectionPad1d\(\(1, 1\)\): expected a 2-d or 3-d input \(C, L\) or \(N, C, L\), got "
     r"shape \(4,\)"),
    (lambda: CircularPad2d(1)(Tensor(np.zeros((1, 1, 1, 4, 4)))), ValueError,
     r"CircularPad2d\(\(1, 1, 1, 1\)\): expected a 3-d or 4-d input .* got shape "
     r"\(1, 1, 1, 4, 4\)"),
    (lambda: ReflectionPad1d(3)(Tensor(np.zeros((1, 1, 3)))), ValueError,
     r"ReflectionPad1d\(\(3, 3\)\): mode='reflect' needs each width below the size of its "
     r"axis, got \(3, 3\) for an axis of 3 in shape \(1, 1, 3\)"),
    (lambda: ZeroPad2d(1)(Tensor(np.zeros(4))), ValueError,
     r"ZeroPad2d\(\(1, 1, 1, 1\)\): expected an input with at least 2 axes to pad, got shape "
     r"\(4,\)"),
    (lambda: ZeroPad1d((1, 2, 3)), TypeError,
     r"ZeroPad1d: padding must be an int or a tuple of 2 ints \(left, right\), got \(1, 2, 3\)"),
    (lambda: ReplicationPad2d(1.5), TypeError, r"ReplicationPad2d: padding must be an int or a "
                                               r"tuple of 4 ints \(left, right, top, bottom\)"),
    (lambda: ConstantPad1d(1, "0"), TypeError, "ConstantPad1d: value must be a number, got '0'"),
])
def test_mistakes_are_refused_naming_the_layer_and_the_shape(call, error, message):
    with pytest.raises(error, match=message):
        call()
