"""autograd.ops.erf: erf and erfc of float64 arrays against Python's math.erf and math.erfc, on a
dense grid of [-30, 30] and at tiny |x|; special values; no warnings at any input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd.ops.erf import erf, erfc

from conftest import strict

# a dense grid through all three ranges of the approximation and both tails, and tiny |x|
TINY = np.logspace(-300, -5, 400)
GRID = np.concatenate([np.linspace(-30.0, 30.0, 120_001), TINY, -TINY, [5e-324, -1e-310]])


def _relative_error(ours: np.ndarray, exact: np.ndarray) -> np.ndarray:
    return np.abs(ours - exact) / np.abs(exact)


def test_erf_matches_math_erf_to_a_few_ulps():
    exact = np.array([math.erf(x) for x in GRID])
    nonzero = exact != 0
    with strict():
        ours = erf(GRID)
    assert _relative_error(ours[nonzero], exact[nonzero]).max() < 2e-15
    np.testing.assert_array_equal(ours[~nonzero], 0.0)


def test_erfc_matches_math_erfc_into_the_far_tail():
    """Relative error below 1e-14 wherever erfc is a normal float (up to x ≈ 26.5), where
    1 - erf would have lost every digit; beyond, subnormal and then 0, as math.erfc."""
    exact = np.array([math.erfc(x) for x in GRID])
    normal = exact >= np.finfo(np.float64).tiny
    with strict():
        ours = erfc(GRID)
    assert _relative_error(ours[normal], exact[normal]).max() < 1e-14
    np.testing.assert_allclose(ours[~normal], exact[~normal], rtol=0, atol=1e-320)


def test_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e308, -1e308, 1e-300])
    with strict():
        e, c = erf(x), erfc(x)
    np.testing.assert_array_equal(e, [1.0, -1.0, np.nan, 0.0, -0.0, 1.0, -1.0,
                                      2 / math.sqrt(math.pi) * 1e-300])
    assert math.copysign(1, e[4]) == -1                   # erf(-0) = -0: erf is odd
    np.testing.assert_array_equal(c, [0.0, 2.0, np.nan, 1.0, 1.0, 0.0, 2.0, 1.0])


def test_erf_is_odd_and_erfc_its_complement():
    x = np.linspace(0.0, 7.0, 1401)
    np.testing.assert_array_equal(erf(-x), -erf(x))
    np.testing.assert_allclose(erfc(-x), 2 - erfc(x), rtol=3e-16, atol=0)  # rounding: 1 ulp
    np.testing.assert_allclose(erf(x) + erfc(x), 1.0, rtol=3e-16, atol=0)   # 1 ulp


@pytest.mark.parametrize("shape", [(), (1,), (2, 3)])
def test_shapes_are_kept_and_the_input_is_not_changed(shape):
    x = np.full(shape, -0.75, dtype=np.float32)
    e, c = erf(x), erfc(x)
    assert e.shape == c.shape == shape and e.dtype == c.dtype == np.float64
    np.testing.assert_allclose(e, math.erf(-0.75), rtol=1e-15)
    np.testing.assert_allclose(c, math.erfc(-0.75), rtol=1e-15)
    assert (x == -0.75).all()
