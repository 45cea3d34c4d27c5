"""PyTorch's promotion of integer and bool tensors, the same on numpy 1.x and 2 (whose rules
differ from PyTorch's and from each other): a Python number or numpy scalar, and a 0-d tensor,
do not widen a tensor with dimensions of their category (bool < integer < float). On numpy 2,
uint8 + np.int64(2) was int64 (NEP 50), on numpy 1.24 uint8 (value-based casting); a 0-d
int64 beside int32 the same. The expected dtypes are PyTorch 2's, checked with torch."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import autograd
from autograd import Tensor


def t(values, dtype) -> Tensor:
    return Tensor(np.array(values, dtype=dtype))


U8 = t([1, 2, 3], np.uint8)
I32 = t([1, 2, 3], np.int32)
BOOLS = t([True, False, True], np.bool_)
I64_0D = t(2, np.int64)

# (what a user writes, the dtype PyTorch gives, its numbers)
CASES = [
    (lambda: U8 + np.int64(2), np.uint8, [3, 4, 5]),
    (lambda: np.int64(2) + U8, np.uint8, [3, 4, 5]),
    (lambda: U8 - np.int32(1), np.uint8, [0, 1, 2]),
    (lambda: I32 + I64_0D, np.int32, [3, 4, 5]),
    (lambda: I64_0D * I32, np.int32, [2, 4, 6]),
    (lambda: U8.maximum(np.int64(2)), np.uint8, [2, 2, 3]),
    (lambda: I32.minimum(I64_0D), np.int32, [1, 2, 2]),
    (lambda: autograd.where(BOOLS, U8, np.int64(7)), np.uint8, [1, 7, 3]),
    (lambda: autograd.where(BOOLS, I32, I64_0D), np.int32, [1, 2, 3]),
    (lambda: U8.fmod(np.int64(2)), np.uint8, [1, 0, 1]),
    (lambda: U8 % np.int64(2), np.uint8, [1, 0, 1]),
    (lambda: I32 % I64_0D, np.int32, [1, 0, 1]),
    (lambda: U8 // np.int64(2), np.uint8, [0, 1, 1]),
    (lambda: I32 // I64_0D, np.int32, [0, 1, 1]),
    (lambda: U8 & np.int64(1), np.uint8, [1, 0, 1]),
    (lambda: U8 | I64_0D, np.uint8, [3, 2, 3]),
    (lambda: I32 ^ I64_0D, np.int32, [3, 0, 1]),
    (lambda: U8 ** I64_0D, np.uint8, [1, 4, 9]),
    (lambda: t(1, np.uint8) + np.int64(2), np.uint8, 3),      # a number beside a 0-d tensor
    # a higher category wins: bools beside a 0-d int64 are int64, as with a Python int
    (lambda: BOOLS + I64_0D, np.int64, [3, 2, 3]),
    (lambda: BOOLS & I64_0D, np.int64, [0, 0, 0]),
    (lambda: BOOLS + np.int64(1), np.int64, [2, 1, 2]),
    (lambda: BOOLS ** I64_0D, np.int64, [1, 0, 1]),
    (lambda: BOOLS | np.bool_(False), np.bool_, [True, False, True]),
    # a numpy float scalar is a Python float: the default dtype beside integers (np.float16's
    # own dtype was kept before), the tensor's own beside floats
    (lambda: I32 + np.float16(2.5), np.float32, [3.5, 4.5, 5.5]),
    (lambda: I32 * np.float32(0.5), np.float32, [0.5, 1.0, 1.5]),
    (lambda: t([1.0], np.float16) + np.float32(2.5), np.float16, [3.5]),
    (lambda: t(1.0, np.float16) + np.float32(2.5), np.float16, 3.5),
    # two tensors with dimensions, or two 0-d ones, promote as numpy does
    (lambda: t(1, np.uint8) + I64_0D, np.int64, 3),
    (lambda: U8 + t([1, 1, 1], np.int8), np.int16, [2, 3, 4]),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_numbers_and_0d_tensors_do_not_widen_integer_tensors(case):
    compute, dtype, numbers = CASES[case]
    out = compute()
    assert out.dtype == dtype
    assert out.tolist() == numbers


IN_PLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "%=": operator.imod,
            "//=": operator.ifloordiv, "&=": operator.iand, "add_": Tensor.add_}


@pytest.mark.parametrize("symbol, numbers", [("+=", [3, 4, 5]), ("-=", [255, 0, 1]),
                                             ("*=", [2, 4, 6]), ("%=", [1, 0, 1]),
                                             ("//=", [0, 1, 1]), ("&=", [0, 2, 2]),
                                             ("add_", [3, 4, 5])])
@pytest.mark.parametrize("value", [np.int64(2), Tensor(np.int64(2))], ids=["numpy", "0-d"])
def test_in_place_updates_of_uint8_by_a_numpy_int_or_0d_int64_stay_uint8(symbol, numbers,
                                                                          value):
    """numpy 2 refused them ("cannot update the tensor ... in place with int64 data"); 1 - 2
    wraps round in uint8, as in PyTorch."""
    x = t([1, 2, 3], np.uint8)
    assert IN_PLACE[symbol](x, value) is x
    assert x.dtype == np.uint8 and x.tolist() == numbers


def test_in_place_add_with_alpha_on_uint8_stays_uint8():
    """np.multiply(2, 3) is an np.int64 scalar, which numpy 2 refused to add in place."""
    x = t([1, 2, 3], np.uint8)
    assert x.add_(2, alpha=3).tolist() == [7, 8, 9] and x.dtype == np.uint8


@pytest.mark.parametrize("compute", [
    lambda: U8 + t(300, np.int64), lambda: U8 + np.int64(300), lambda: U8 * t(-1, np.int8),
    lambda: autograd.where(BOOLS, U8, t(256, np.int64)), lambda: U8 | t(-1, np.int64),
])
def test_a_0d_integer_its_tensor_cannot_hold_is_refused(compute):
    """PyTorch would wrap 300 round to 44 in uint8; numpy 2 gave int64 [301, ...], numpy 1.24
    uint16. Refused as a Python int 300 is (`u8 + 300`), naming the op and the dtypes."""
    with pytest.raises(OverflowError, match=r"^[a-z&|]+: -?[0-9]+ \(a 0-d int(8|64) tensor or "
                                            r"numpy scalar\) beside a tensor of dtype uint8 "
                                            r"with dimensions: the result is uint8"):
        compute()


def test_comparisons_with_a_numpy_int_beyond_the_dtype_stay_exact():
    """A numpy int the tensor cannot hold stays a 0-d tensor, which comparisons take as it
    is (a Python int there is numpy 2's OverflowError, as before)."""
    assert (U8 < np.int64(300)).tolist() == [True, True, True]
    assert (U8 == np.int64(258)).tolist() == [False, False, False]


def test_a_float64_0d_tensor_keeps_its_gradient_through_the_integer_rule():
    """Unchanged by the integer rules: int32 with a 0-d float64 is float64 (PyTorch's), and the
    0-d float's gradient is the sum of the integers."""
    s = Tensor(np.float64(0.5), requires_grad=True)
    out = I32 * s
    assert out.dtype == np.float64
    out.sum().backward()
    assert s.grad.dtype == np.float64 and s.grad.item() == 6.0


@pytest.mark.parametrize("exponent", [2, np.int64(2), 0])
def test_bools_to_an_integer_power_are_int64(exponent):
    """PyTorch's bool ** 2 is int64; numpy's int8."""
    out = BOOLS ** exponent
    assert out.dtype == np.int64
    assert out.tolist() == ([1, 0, 1] if exponent else [1, 1, 1])
    assert BOOLS.pow(exponent).dtype == np.int64


@pytest.mark.parametrize("x, values, dtype, numbers", [
    (t([True, False], np.bool_), t([True, True], np.bool_), np.bool_, [True, True]),
    (t([True, False], np.bool_), t([False, False], np.bool_), np.bool_, [True, False]),
    (t([0, 2, -3], np.int64), t([5, 5, 5], np.int64), np.int64, [5, 1, 0]),
    (t([0, 2], np.uint8), t([5, 5], np.uint8), np.uint8, [5, 1]),
    (t([0.0, 2.0], np.float16), t([0.5, 0.5], np.float16), np.float16, [0.5, 1.0]),
    (t([0.0, -2.0], np.float32), 0.5, np.float32, [0.5, 0.0]),
])
def test_heaviside_keeps_the_dtype_of_its_operands(x, values, dtype, numbers):
    """PyTorch's: two bools give bools, two int64 int64 (numpy's heaviside gave float16 for
    bools and uint8, float64 for int64)."""
    out = x.heaviside(values)
    assert out.dtype == dtype and out.tolist() == numbers


@pytest.mark.parametrize("x, other, dtype", [
    (t([1.0], np.float16), t([2.0], np.float32), np.float32),
    (t([1.0], np.float32), t([2.0], np.float16), np.float32),
    (t([1.0], np.float32), t([2.0], np.float64), np.float64),
    (t([1.0], np.float32), t(2.0, np.float64), np.float32),
    (t(1.0, np.float16), t([2.0], np.float32), np.float32),
    (t([1], np.int64), t([2.0], np.float32), np.float32),
])
def test_nextafter_takes_the_promoted_dtype(x, other, dtype):
    """PyTorch's: float16 towards float32 is float32's next float (x's dtype was kept, and
    an int64 x gave float64)."""
    out = x.nextafter(other)
    assert out.dtype == dtype
    assert out.item() == np.nextafter(np.asarray(1.0, dtype), np.asarray(2.0, dtype))


def test_nextafter_of_integers_is_refused():
    with pytest.raises(TypeError, match=r"^nextafter: needs floating tensors \(the next float\), "
                                        r"got dtypes int64 and int32"):
        t([1], np.int64).nextafter(t([2], np.int32))


@pytest.mark.parametrize("compute, dtype, number", [
    (lambda: t(10, np.uint8) ** 3, np.uint8, 232),            # 1000 wraps round, as in PyTorch
    (lambda: t(10, np.int8) ** 3, np.int8, -24),
    (lambda: t(5, np.int32) ** 3, np.int32, 125),
    (lambda: 2 ** t(10, np.int16), np.int16, 1024),
    (lambda: 2 ** t(10, np.uint8), np.uint8, 0),
    (lambda: t(10, np.int32).clamp(0, 5), np.int32, 5),
    (lambda: t(-7, np.int8).relu(), np.int8, 0),
])
def test_a_0d_integer_tensor_keeps_its_dtype_with_a_python_int(compute, dtype, number):
    """As a 0-d float32 keeps float32 (ops/numpy1.py): numpy 1.x made a 0-d integer array
    with a Python int int64 (10 ** 3 in uint8 was int64 1000 there, uint8 232 on numpy 2 and in
    PyTorch)."""
    out = compute()
    assert out.dtype == dtype and out.item() == number
