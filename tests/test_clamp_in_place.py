"""clamp_ and clip_ of two Python numbers take a short way (s33: 14 → 4 µs for a (16, 16)
parameter under no_grad, WGAN's weight clipping at every step): numpy's clip ufunc, without
np.clip's Python and without `_bounds`' conversions. Its numbers are np.clip's (and PyTorch's),
to the sign of a zero; every other form of bounds takes the long way, with its checks."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, no_grad

VALUES = [-3.0, -1.0, -0.0, 0.0, 0.25, 1.0, 2.5, np.nan, np.inf, -np.inf, 1e-45]
BOUNDS = [(-1, 1), (-1.0, 1.0), (0.0, 1.0), (-1.0, -0.0), (0.0, 0.0), (-0.0, 0.0), (1, 1),
          (-2**15, 2.5)]


@pytest.mark.parametrize("method", ["clamp_", "clip_"])
@pytest.mark.parametrize("low, high", BOUNDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_two_numbers_give_np_clips_numbers_and_signs(method, low, high, dtype):
    data = np.array(VALUES, dtype)
    expected = np.clip(data, low, high)
    w = Tensor(data.copy(), requires_grad=True)
    before = w.data
    with no_grad():
        assert getattr(w, method)(low, high) is w
    assert w.data is before and w.dtype == dtype            # in place
    np.testing.assert_array_equal(w.data, expected)
    signed = ~np.isnan(expected)        # a NaN's sign is not specified (CPUs differ)
    np.testing.assert_array_equal(np.signbit(w.data[signed]), np.signbit(expected[signed]))
    c = Tensor(data.copy())                                 # a constant, outside no_grad
    getattr(c, method)(low, high)
    np.testing.assert_array_equal(c.data, expected)


def test_integer_tensors_clamp_between_integers_and_refuse_fractions():
    t = Tensor(np.array([-5, 0, 7], np.int64))
    t.clamp_(-2, 3)
    assert t.data.tolist() == [-2, 0, 3] and t.dtype == np.int64
    with pytest.raises(TypeError, match=r"clamp_: cannot update the tensor \(shape \(3,\), "
                                        r"dtype int64\) in place"):
        t.clamp_(-1.5, 2.5)


def test_the_long_way_still_checks_and_converts():
    t = Tensor(np.array([-3.0, 0.5, 3.0]))
    with pytest.raises(ValueError, match=r"clamp_: min 2 is greater than max 1"):
        t.clamp_(2, 1)
    with pytest.raises(ValueError, match=r"clip_: give at least one of min and max"):
        t.clip_()
    t.clamp_(np.float64(-1.0), np.float32(1.0))            # numpy numbers: converted
    assert t.data.tolist() == [-1.0, 0.5, 1.0]
    t.clamp_(Tensor(0.0), None)                             # a 0-d tensor, one bound
    assert t.data.tolist() == [0.0, 0.5, 1.0]
    t.clamp_(np.array([0.1, 0.0, 0.0]), 0.75)               # an array of bounds
    assert t.data.tolist() == [0.1, 0.5, 0.75]
    t.clamp_(float("nan"), 1.0)                             # NaN bound: NaN, as np.clip gives
    assert np.isnan(t.data).all()
    with pytest.raises(RuntimeError, match=r"clamp_ on a tensor that requires grad"):
        Tensor([1.0], requires_grad=True).clamp_(0, 1)      # a parameter outside no_grad


def test_bool_bounds_are_numbers_as_before():
    t = Tensor(np.array([-3.0, 0.5, 3.0]))
    t.clamp_(False, True)
    assert t.data.tolist() == [0.0, 0.5, 1.0]
