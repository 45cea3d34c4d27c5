"""autograd.ops.erf: erf and erfc of float64 arrays against Python's math.erf and math.erfc, on a
dense grid of [-30, 30] and at tiny |x|; special values; no warnings at any input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor
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


# ----------------------------------------------------------------------------------------------
# The ops (Tensor.erf, Tensor.erfc) of float32 and float16 tensors (s31): erfc from a Mills'
# ratio fit of 5.9e-9, each result rounded once, within one ulp of the float64 functions' rounded
# ----------------------------------------------------------------------------------------------

def _ulps(got: np.ndarray, want64: np.ndarray) -> np.ndarray:
    """|got - want| in ulps of want64 rounded to got's dtype; 0 where both are the same number
    (NaN too), inf where they are zeros of different signs."""
    want = want64.astype(got.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        off = np.abs(got.astype(np.float64) - want.astype(np.float64)) / np.spacing(
            np.abs(want)).astype(np.float64)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    off[same] = 0.0
    off[same & (got == 0) & (np.signbit(got) != np.signbit(want))] = np.inf
    return off


SPECIAL32 = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-38, -1e-38, 1e-20,
                      -1e-20, 3.4e38, -3.4e38, 0.46875, -0.46875, 4.0, -4.0, 10.05, 10.1, 10.2,
                      -1000.0, 1000.0], np.float32)


def test_float32_erf_and_erfc_are_within_one_ulp_of_the_float64_ones_rounded(rng):
    """A grid of [-12, 12] with step 2e-5 (both range edges, the tail down to float32's
    smallest number at ≈ 10.1), 10^6 uniform draws and special values, no warnings. Measured:
    0.13 % of erf's and 1.8 % of erfc's results one ulp off (0.60 ulp from the exact value at
    most), none further."""
    x = np.concatenate([np.arange(-12.0, 12.0, 2e-5), rng.uniform(-11.0, 11.0, 10 ** 6),
                        SPECIAL32]).astype(np.float32)
    for method, exact in (("erf", erf), ("erfc", erfc)):
        with strict():
            got = getattr(Tensor(x), method)()
        assert got.dtype == np.float32
        off = _ulps(got.data, exact(x.astype(np.float64)))
        assert off.max() <= 1.0, (method, x[off.argmax()])


def test_float16_erf_and_erfc_are_the_float64_ones_rounded():
    """Every finite float16, and ±inf and NaN (measured: all equal)."""
    x = np.arange(2 ** 16, dtype=np.uint16).view(np.float16)
    x = np.concatenate([x[np.isfinite(x)], np.array([np.inf, -np.inf, np.nan], np.float16)])
    for method, exact in (("erf", erf), ("erfc", erfc)):
        with strict():
            got = getattr(Tensor(x), method)().data
        assert got.dtype == np.float16
        assert _ulps(got, exact(x.astype(np.float64))).max() == 0.0


def test_float32_special_values_and_shapes():
    x = Tensor(np.array([[-np.inf, -0.0], [np.inf, np.nan]], np.float32))
    e, c = x.erf().data, x.erfc().data
    np.testing.assert_array_equal(e, [[-1.0, -0.0], [1.0, np.nan]])
    np.testing.assert_array_equal(c, [[2.0, 1.0], [0.0, np.nan]])
    assert np.signbit(e[0, 1])
    for shape in [(), (1,), (1, 3), (40_000,)]:
        t = Tensor(np.full(shape, 0.5, np.float32))
        assert t.erf().shape == t.erfc().shape == shape
        np.testing.assert_array_equal(t.erf().data, np.float32(math.erf(0.5)))


def test_mills_ratio_fit_for_float32_is_within_6e_9():
    """√(2/π) M(a) = erfc(a/√2) e^(a²/2) as the float32 path's rational fit, against the
    float64 erfc on 10^6 points of [0, 14.5]; positive up to the cap."""
    from autograd.ops.erf import ERFC32_P, MILLS32_Q, _polyval
    a = np.linspace(0.0, 14.5, 10 ** 6)
    fit = _polyval(ERFC32_P, a) / _polyval(MILLS32_Q, a)
    exact = erfc(a / math.sqrt(2)) * np.exp(a * a / 2)
    assert np.abs(fit / exact - 1).max() < 6e-9
    far = np.linspace(14.5, 60.0, 1000)
    assert (_polyval(ERFC32_P, far) > 0).all() and (_polyval(MILLS32_Q, far) > 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_ops_match_pytorch(rng, dtype):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    x = np.concatenate([rng.normal(0.0, 3.0, 5000), SPECIAL32.astype(np.float64)]).astype(dtype)
    for method in ("erf", "erfc"):
        ours = getattr(Tensor(x), method)().data
        theirs = getattr(torch, method)(torch.from_numpy(x)).numpy()
        # PyTorch's float32 erfc is off by up to ~3e-7 relatively, and 0 at 10.05, where
        # erfc ≈ 1.6e-45 is float32's smallest number (ours); both are NaN at NaN
        np.testing.assert_allclose(ours, theirs, rtol=4e-7 if dtype == np.float32 else 1e-14,
                                   atol=2e-45 if dtype == np.float32 else 0)
