"""F.pad's reflect, replicate and circular modes as one op (PadCopy) whose gradient adds the
border strips back by slices (PadFold, no np.add.at; each op the other's gradient): one op in
the graph, the fold the exact adjoint of the copy, finite differences (first and second order)
for 1-, 2- and 3-d padding with widths 0, 1, the largest each mode allows (size - 1 for
reflect, size for circular, beyond the size for replicate) and asymmetric ones, batch 1,
float32 and float64, and PyTorch's values and gradients."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck
from autograd.ops.pad_modes import pad_copy, pad_fold
from nn import functional as F

from conftest import t64
from torch_helpers import needs_torch, torch

NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}

# mode -> [(shape, pad)]: PyTorch's order (the last axis first), shapes PyTorch pads in that
# mode (one or two axes before the padded ones), batch 1 among them
CASES = {
    "reflect": [((1, 2, 7), (0, 1)), ((1, 2, 7), (1, 0)), ((2, 7), (6, 6)), ((1, 3, 7), (6, 2)),
                ((1, 1, 4, 5), (4, 0, 3, 3)), ((2, 1, 4, 5), (1, 1, 0, 3)),
                ((1, 2, 3, 4, 5), (4, 1, 3, 0, 2, 2)), ((1, 1, 2, 3, 4), (0, 0, 1, 0, 0, 1)),
                ((1, 2, 6), (0, 0))],
    "replicate": [((1, 2, 7), (0, 1)), ((1, 2, 3), (9, 2)), ((2, 3), (1, 4)),
                  ((1, 1, 4, 5), (6, 1, 0, 7)), ((2, 1, 3, 2), (1, 1, 1, 1)),
                  ((1, 2, 3, 4, 5), (4, 1, 3, 0, 2, 5)), ((1, 1, 2, 1, 3), (0, 2, 1, 0, 0, 1))],
    "circular": [((1, 2, 7), (0, 1)), ((1, 2, 7), (7, 7)), ((2, 5), (5, 1)),
                 ((1, 1, 4, 5), (5, 0, 4, 4)), ((2, 1, 4, 5), (1, 1, 0, 3)),
                 ((1, 2, 3, 4, 5), (5, 1, 4, 0, 3, 3)), ((1, 1, 2, 3, 4), (0, 0, 1, 0, 0, 2))],
}
ALL = [(mode, shape, pad) for mode, cases in CASES.items() for shape, pad in cases]
IDS = [f"{mode}-{shape}-{pad}" for mode, shape, pad in ALL]


def _numpy_pad(x: np.ndarray, pad: tuple, mode: str) -> np.ndarray:
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return np.pad(x, widths, mode=NUMPY_MODE[mode])


def _ctx(x_ndim: int, pad: tuple, mode: str) -> tuple:
    widths = [(0, 0)] * x_ndim
    for k in range(len(pad) // 2):
        widths[x_ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return mode, tuple(widths)


@pytest.mark.parametrize("mode, shape, pad", ALL, ids=IDS)
def test_one_op_whose_gradient_is_its_exact_adjoint(mode, shape, pad):
    """The copy's values are np.pad's; the fold is its adjoint: <copy(x), g> = <x, fold(g)>,
    and fold(g) adds each border element onto the one it copies, to the last bit (integers)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    y = F.pad(t64(x), pad, mode)
    np.testing.assert_array_equal(y.data, _numpy_pad(x, pad, mode))
    if any(pad):
        assert y._op == "pad"                   # one op, not one indexing per padded axis
    ctx = _ctx(len(shape), pad, mode)
    g = rng.integers(-50, 50, size=y.shape).astype(np.float64)
    folded = pad_fold(ctx, g)
    assert folded.shape == shape
    assert np.sum(pad_copy(ctx, x) * g) == pytest.approx(np.sum(x * folded), rel=1e-13)
    # the same sum as a scatter of every position onto its source, in integers
    sources = np.arange(x.size).reshape(shape)
    expected = np.zeros(x.size)
    np.add.at(expected, _numpy_pad(sources, pad, mode).reshape(-1), g.reshape(-1))
    np.testing.assert_array_equal(folded.reshape(-1), expected)


@pytest.mark.parametrize("mode, shape, pad", ALL, ids=IDS)
def test_finite_differences_first_and_second_order(mode, shape, pad):
    rng = np.random.default_rng(1)
    x = t64(rng.normal(size=shape))
    weights = rng.normal(size=_numpy_pad(x.data, pad, mode).shape)   # each copy its own weight
    assert gradcheck(lambda u: F.pad(u, pad, mode) * weights, x)
    # second order: the gradient's graph is PadFold's, whose own gradient is PadCopy
    assert gradcheck(lambda u: grad(lambda v: ((F.pad(v, pad, mode) ** 3) * weights).sum())(u),
                     x)


@pytest.mark.parametrize("mode", CASES)
def test_float32_stays_float32_and_matches_float64(mode):
    rng = np.random.default_rng(2)
    for shape, pad in CASES[mode]:
        x = rng.normal(size=shape)
        ours = Tensor(x.astype(np.float32), requires_grad=True)
        y = F.pad(ours, pad, mode)
        g = rng.normal(size=y.shape)
        y.backward(g.astype(np.float32))
        assert y.dtype == np.float32 and ours.grad.dtype == np.float32
        wide = t64(x)
        F.pad(wide, pad, mode).backward(g)
        np.testing.assert_array_equal(y.data, _numpy_pad(x.astype(np.float32), pad, mode))
        np.testing.assert_allclose(ours.grad, wide.grad, rtol=1e-5, atol=1e-5)


def test_the_gradient_graph_is_pad_fold_and_its_gradient_pad():
    x = t64(np.arange(5.0))
    slope = grad(lambda u: (F.pad(u, (2, 3), "reflect") ** 2).sum())
    # d/dx_i sum((copies)²) = 2 x_i · (number of copies of x_i)
    # [2 1 | 0 1 2 3 4 | 3 2 1]
    np.testing.assert_array_equal(slope(x).data, 2 * np.arange(5.0) * [1, 3, 3, 2, 1])


@needs_torch
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-14), (np.float32, 1e-6)])
@pytest.mark.parametrize("mode, shape, pad", ALL, ids=IDS)
def test_values_and_gradients_are_pytorchs(mode, shape, pad, dtype, rtol):
    rng = np.random.default_rng(3)
    x = rng.normal(size=shape).astype(dtype)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, want = F.pad(ours, pad, mode), torch.nn.functional.pad(theirs, pad, mode)
    np.testing.assert_array_equal(y.data, want.detach().numpy())
    g = rng.normal(size=y.shape).astype(dtype)
    y.backward(g)
    want.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=rtol, atol=rtol)
