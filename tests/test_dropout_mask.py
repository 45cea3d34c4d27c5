"""How dropout draws its mask (s33): for a float32 input and a numpy Generator of 64-bit
numbers, 32 random bits an element compared with ⌈p · 2³²⌉ (half the generator's work of the
float64 draws, and a keep probability within 2⁻³² of 1 − p); otherwise float64 draws, u ≥ p,
as before, the generator's stream included."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from nn import functional as F

SHAPE = (3, 5, 7)                       # an odd number of elements: half a 64-bit number left


def bits_mask(rng, shape, p):
    """The mask as the docstring defines it, written again: each 64-bit number of the generator
    gives two elements its halves, in the machine's byte order (the low half first on x86)."""
    n = math.prod(shape)
    raw = rng.bit_generator.random_raw((n + 1) // 2)
    halves = [raw & 0xFFFFFFFF, raw >> 32]
    k = np.stack(halves if np.little_endian else halves[::-1], axis=1).ravel()
    return (k[:n] >= math.ceil(p * 2 ** 32)).reshape(shape)


def float64_mask(rng, shape, p):
    return rng.random(shape) >= p


def kept(y):
    return np.asarray(y.data) != 0


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9, 2.0 ** -20, 1 - 2.0 ** -20])
def test_a_float32_input_keeps_where_32_random_bits_reach_the_threshold(p):
    x = Tensor(np.ones(SHAPE, np.float32))
    seed = 11
    y = F.dropout(x, p, rng=np.random.default_rng(seed))
    expected_rng = np.random.default_rng(seed)
    np.testing.assert_array_equal(kept(y), bits_mask(expected_rng, SHAPE, p))
    # the generator moved by 53 numbers (106 halves for 105 elements), the same for the layer
    rng = np.random.default_rng(seed)
    nn.Dropout(p, rng=rng).train()(x)
    assert rng.random() == expected_rng.random()
    np.testing.assert_array_equal(y.data[kept(y)], np.float32(1) / np.float32(1 - p))


@pytest.mark.parametrize("case", ["float64", "float16", "small p", "large p", "MT19937",
                                  "RandomState"])
def test_other_inputs_and_generators_draw_float64_as_before(case):
    dtype = {"float64": np.float64, "float16": np.float16}.get(case, np.float32)
    p = {"small p": 2.0 ** -21, "large p": 1 - 2.0 ** -21}.get(case, 0.3)

    def generator():
        if case == "MT19937":
            return np.random.Generator(np.random.MT19937(5))
        if case == "RandomState":                   # only random(shape)
            return np.random.RandomState(5)
        return np.random.default_rng(5)
    x = Tensor(np.ones((200, 50), dtype))
    rng, expected_rng = generator(), generator()
    y = F.dropout(x, p, rng=rng)
    np.testing.assert_array_equal(kept(y), float64_mask(expected_rng, x.shape, p))
    assert rng.random() == expected_rng.random()            # the same stream afterwards


def test_the_shared_generator_is_used_and_a_seed_repeats_the_mask():
    x = Tensor(np.ones(SHAPE, np.float32))
    autograd.manual_seed(3)
    first = kept(F.dropout(x, 0.25))
    autograd.manual_seed(3)
    np.testing.assert_array_equal(kept(F.dropout(x, 0.25)), first)
    autograd.manual_seed(3)
    np.testing.assert_array_equal(first, bits_mask(autograd.default_rng(), SHAPE, 0.25))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_the_keep_probability_is_one_minus_p(p):
    """4M elements: the share kept within 5 standard deviations (1e-3 of it at most) of 1 − p;
    the threshold's rounding moves it by less than 2⁻³², far below what this can see, and
    float32 draws compared with float32(p) would have moved it by up to 2⁻²⁴."""
    x = Tensor(np.ones((2000, 2000), np.float32))
    share = kept(F.dropout(x, p, rng=np.random.default_rng(2))).mean()
    assert abs(share - (1 - p)) < 5 * math.sqrt(p * (1 - p) / x.size)
    assert abs(math.ceil(p * 2 ** 32) / 2 ** 32 - p) < 2.0 ** -32


def test_channel_dropout_draws_the_same_way():
    """dropout2d's one draw a channel."""
    x = Tensor(np.ones((2, 6, 3, 3), np.float32))
    y = F.dropout2d(x, 0.5, rng=np.random.default_rng(4))
    expected = bits_mask(np.random.default_rng(4), (2, 6, 1, 1), 0.5)
    np.testing.assert_array_equal(kept(y)[:, :, :1, :1], expected)
    assert (kept(y) == kept(y)[:, :, :1, :1]).all()         # whole channels
