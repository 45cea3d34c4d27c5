"""softmax's two forms (autograd/ops/softmax.py): exp(x) / Σ exp(x) as it is where nothing can
overflow (`_unshifted_softmax`), the max subtracted elsewhere. Each case says which form it
takes, so that a case meant for one form cannot pass on the other; both against PyTorch and
float64, gradients against finite differences, no warnings where PyTorch gives NaN."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from autograd.ops.softmax import SMALLEST_SUM, Softmax, _unshifted_softmax


def _causal(shape: tuple, dtype=np.float32, scale: float = 3.0, seed: int = 0) -> np.ndarray:
    """N(0, scale²) scores with -inf above the diagonal of the last two axes (a causal mask)."""
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)
    x[..., np.triu(np.ones(shape[-2:], bool), 1)] = -np.inf
    return x


def _normal(shape: tuple, dtype=np.float32, scale: float = 3.0, shift: float = 0.0,
            seed: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)


def _row_of(value: float, x: np.ndarray, row: int = 0) -> np.ndarray:
    x = x.copy()
    x[row] = value
    return x


# (name, input, axis, whether the unshifted form takes it)
CASES = [
    ("attention scores f32", _causal((4, 8, 8)), -1, True),
    ("plain f32", _normal((5, 7)), -1, True),
    ("along axis 0", _normal((6, 3, 4)), 0, True),
    ("along axis 1", _causal((3, 5, 5)), 1, True),
    ("batch of one", _normal((1, 9)), -1, True),
    ("one class", _normal((4, 1)), -1, True),
    ("f64 up to 500", _normal((4, 6), np.float64, 100.0, 400.0), -1, True),
    ("rows near -20 (sums above e^-20)", _normal((3, 5), shift=-15.0, scale=1.0), -1, True),
    ("a number above 60", _normal((3, 4)) + np.float32(58.0), -1, False),
    ("PyTorch's ±1000", np.array([[1000.0, 0.0, -1000.0], [3.0, 1.0, 2.0]], np.float32), -1,
     False),
    ("rows far below 0", _normal((3, 5), shift=-40.0, scale=1.0), -1, False),
    ("a row of all -inf", _row_of(-np.inf, _causal((3, 4))[0]), -1, False),
    ("+inf", _row_of(np.inf, _normal((3, 4)).T).T, -1, False),
    ("NaN", _row_of(np.nan, _normal((3, 4))), -1, False),
    ("float16", _normal((3, 4), np.float16, 1.0), -1, False),
    ("0-d", np.array(1.5, np.float32), 0, False),
    ("empty", np.zeros((0, 3), np.float32), -1, False),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("name, x, axis, unshifted", CASES, ids=IDS)
def test_each_case_takes_the_form_it_is_meant_for(name, x, axis, unshifted):
    assert (_unshifted_softmax(x, axis) is not None) == unshifted


@pytest.mark.parametrize("name, x, axis, unshifted", CASES, ids=IDS)
def test_both_forms_give_pytorchs_numbers_and_nans_quietly(name, x, axis, unshifted):
    torch = pytest.importorskip("torch", reason="needs PyTorch: pip install torch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no overflow, invalid or divide warnings
        y = Softmax.forward(axis, x)
    expected = torch.softmax(torch.from_numpy(x), axis).numpy()
    assert y.shape == expected.shape and y.dtype == expected.dtype
    rtol = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-14}[x.dtype.type]
    np.testing.assert_allclose(y, expected, rtol=rtol, atol=1e-30)   # (NaN where torch's)


UNSHIFTED_F32 = [c for c in CASES if c[3] and c[1].dtype == np.float32]


@pytest.mark.parametrize("name, x, axis, unshifted", UNSHIFTED_F32,
                         ids=[c[0] for c in UNSHIFTED_F32])
def test_the_unshifted_form_is_within_three_float32_eps_of_float64(name, x, axis, unshifted):
    """x taken as it is (no x - max rounded): measured 2.9 eps at worst, against 8-10 for the
    shifted form and PyTorch's on attention-sized float32 scores."""
    exact = Softmax.forward(axis, x.astype(np.float64))
    y = _unshifted_softmax(x, axis)
    shown = exact > 0
    error = np.abs(y[shown] - exact[shown]) / exact[shown]
    assert error.max() <= 3 * np.finfo(np.float32).eps


def test_rows_are_normalised_and_masked_places_are_zero():
    x = _causal((2, 16, 16))
    y = _unshifted_softmax(x, -1)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-6)
    assert (y[np.isneginf(x)] == 0).all() and (y[~np.isneginf(x)] > 0).all()


def test_a_row_summing_below_the_smallest_sum_falls_back():
    """Every row's Σ exp(x) must reach e^-20 (its largest term then keeps float32's digits)."""
    x = np.full((2, 4), -19.0, np.float32)
    assert _unshifted_softmax(x, -1) is not None        # 4 e^-19 > e^-20
    x[1] = -22.0
    assert np.exp(-22.0) * 4 < SMALLEST_SUM and _unshifted_softmax(x, -1) is None
    np.testing.assert_allclose(Softmax.forward(-1, x), 0.25, rtol=1e-6)


@pytest.mark.parametrize("shape, axis", [((3, 5), -1), ((2, 3, 4), 1), ((1, 6), -1),
                                         ((4,), 0), ((), 0)])
def test_gradient_matches_finite_differences_on_both_forms(shape, axis):
    for shift in (0.0, 700.0):                # unshifted (float64 up to 600), then shifted
        x = _normal(shape, np.float64, 2.0, shift)
        assert (_unshifted_softmax(x, axis) is not None) == (shift == 0.0 and len(shape) > 0)
        weights = Tensor(_normal(shape, np.float64, 1.0, seed=5))
        assert gradcheck(lambda t: (t.softmax(axis) * weights).sum(),
                         Tensor(x, requires_grad=True))


def test_gradient_of_masked_scores_matches_finite_differences():
    x = _causal((2, 5, 5), np.float64)
    assert _unshifted_softmax(x, -1) is not None
    weights = Tensor(_normal((2, 5, 5), np.float64, 1.0, seed=6))
    t = Tensor(x, requires_grad=True)
    (t.softmax(-1) * weights).sum().backward()
    assert (t.grad[np.isneginf(x)] == 0).all()
    finite = ~np.isneginf(x)
    h = 1e-6
    for index in zip(*np.nonzero(finite)):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        slope = ((Softmax.forward(-1, up) * weights.data).sum()
                 - (Softmax.forward(-1, down) * weights.data).sum()) / (2 * h)
        assert abs(slope - t.grad[index]) <= 1e-7 + 1e-6 * abs(slope)
