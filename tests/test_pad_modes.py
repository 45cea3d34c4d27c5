"""F.pad's modes, PyTorch's signature pad(x, pad, mode="constant", value=None): "reflect"
(mirrored without the edge), "replicate" (the edge repeated) and "circular" (wrapped around),
against numpy's np.pad ("reflect", "edge", "wrap"), finite differences in float64 (first and
second order), PyTorch asked live where torch is installed, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck
from nn import functional as F

from conftest import t64

NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap", "constant": "constant"}

# (shape, pad): PyTorch's order, the last axis first; the widths stay below the axes' sizes
CASES = [((2, 3, 5), (2, 1)), ((2, 3, 4, 5), (1, 2, 3, 0)), ((1, 2, 4, 4), (3, 3, 3, 3)),
         ((2, 4), (0, 3)), ((3, 2, 3, 4, 5), (1, 1, 2, 0, 0, 2)), ((5,), (4, 4)), ((2, 1), (0, 0))]


def _numpy_pad(x, pad, mode):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return np.pad(x, widths, mode=NUMPY_MODE[mode])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@pytest.mark.parametrize("shape, pad", CASES)
def test_modes_match_numpy_and_finite_differences(mode, shape, pad):
    rng = np.random.default_rng(0)
    x = t64(rng.normal(size=shape))
    y = F.pad(x, pad, mode)
    np.testing.assert_array_equal(y.data, _numpy_pad(x.data, pad, mode))
    weights = rng.normal(size=y.shape)          # each output counted differently
    assert gradcheck(lambda u: F.pad(u, pad, mode=mode) * weights, x)
    assert gradcheck(lambda u: grad(lambda v: (F.pad(v, pad, mode) ** 3).sum())(u), x)


def test_an_edge_read_twice_gets_both_gradients():
    """replicate copies x[0] to every left border cell: its gradient is their sum."""
    x = t64([1.0, 2.0, 3.0])
    F.pad(x, (2, 1), mode="replicate").backward(np.array([1.0, 10.0, 100.0, 0.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(x.grad, [111.0, 0.0, 1000.0])
    x = t64([1.0, 2.0, 3.0])
    F.pad(x, (2, 1), mode="reflect").backward(np.array([1.0, 10.0, 100.0, 0.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(x.grad, [100.0, 1010.0, 1.0])     # [3 2 | 1 2 3 | 2]


def test_dtype_and_value_keyword_as_before():
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert F.pad(x, (1, 1), "reflect").dtype == np.float32
    np.testing.assert_array_equal(F.pad(x, (1, 0), value=7.0).data[:, 0], [7.0, 7.0])
    np.testing.assert_array_equal(F.pad(x, (1, 0), "constant", 7.0).data[:, 0], [7.0, 7.0])
    np.testing.assert_array_equal(F.pad(x, (1, 0), "constant", None).data[:, 0], [0.0, 0.0])


def test_the_modes_match_pytorch():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    rng = np.random.default_rng(1)
    # PyTorch pads 1, 2 or 3 trailing axes of inputs with one or two more axes in these modes
    for shape, pad in (((2, 3, 5), (2, 1)), ((2, 3, 4, 5), (1, 2, 3, 0)), ((3, 4, 5), (1, 2, 3, 0)),
                       ((1, 2, 3, 4, 5), (1, 1, 2, 0, 0, 2))):
        x = rng.normal(size=shape)
        g = rng.normal(size=_numpy_pad(x, pad, "constant").shape)
        for mode in ("reflect", "replicate", "circular"):
            mine = t64(x)
            out = F.pad(mine, pad, mode)
            out.backward(g)
            theirs = torch.tensor(x, requires_grad=True)
            expected = torch.nn.functional.pad(theirs, pad, mode)
            expected.backward(torch.tensor(g))
            np.testing.assert_array_equal(out.data, expected.detach().numpy())
            np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-14, atol=1e-14)


def test_errors_name_the_mode_and_the_sizes():
    x = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"pad: mode must be 'constant', 'reflect', 'replicate' "
                                         r"or 'circular', got 'edge'"):
        F.pad(x, (1, 1), "edge")
    with pytest.raises(TypeError, match=r"pad: mode must be .* got 0.5 \(the value to pad with "
                                        r"is a keyword: value=0.5\)"):
        F.pad(x, (1, 1), 0.5)
    with pytest.raises(ValueError, match=r"pad: mode='reflect' needs each width below the size "
                                         r"of its axis, got \(1, 4\) for an axis of 4 in shape "
                                         r"\(2, 3, 4\)"):
        F.pad(x, (1, 4), "reflect")
    with pytest.raises(ValueError, match=r"pad: mode='circular' needs each width at most the "
                                         r"size of its axis, got \(0, 4\) for an axis of 3"):
        F.pad(x, (0, 0, 0, 4), "circular")
    with pytest.raises(ValueError, match=r"pad: mode='replicate' needs a non-empty axis to "
                                         r"copy, got \(1, 0\) for an axis of 0"):
        F.pad(Tensor(np.zeros((2, 0))), (1, 0), "replicate")
    with pytest.raises(ValueError, match=r"pad: mode='reflect' takes no value \(it copies the "
                                         r"input's own numbers\), got value=1.0"):
        F.pad(x, (1, 1), "reflect", 1.0)
    F.pad(x, (1, 1), "reflect", 0.0)                   # PyTorch lets value=0 through


@pytest.mark.parametrize("shape, pad", [((2, 6), (-1, 2)), ((2, 6), (2, -1)), ((5,), (-3, 0)),
                                        ((1, 3, 4, 5), (-2, -2, 1, -3)), ((5,), (2, -5)),
                                        ((1, 5), (-5, 0))])
def test_a_negative_constant_width_crops_that_side_as_pytorch(shape, pad):
    """PyTorch's rule: the negative widths crop first, then the others pad."""
    rng = np.random.default_rng(1)
    x = t64(rng.normal(size=shape))
    crop = [slice(None)] * len(shape)
    for k in range(len(pad) // 2):
        before, after = pad[2 * k], pad[2 * k + 1]
        crop[len(shape) - 1 - k] = slice(max(-before, 0), shape[-1 - k] - max(-after, 0))
    y = F.pad(x, pad, value=0.5)
    np.testing.assert_array_equal(y.data, _numpy_pad_value(x.data[tuple(crop)], pad, 0.5))
    weights = rng.normal(size=y.shape)
    assert gradcheck(lambda u: F.pad(u, pad, value=0.5) * weights, x)


def _numpy_pad_value(x, pad, value):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (max(pad[2 * k], 0), max(pad[2 * k + 1], 0))
    return np.pad(x, widths, constant_values=value)


def test_negative_widths_that_crop_too_much_or_in_other_modes_are_errors():
    x = t64(np.arange(5.0))
    with pytest.raises(ValueError, match=r"pad: widths \(3, -6\) crop more than the 5 elements "
                                         r"of axis 0 of shape \(5,\)"):
        F.pad(x, (3, -6))
    with pytest.raises(ValueError, match=r"pad: negative widths \(which crop\) only in "
                                         r"mode='constant', got \(-1, 2\) with mode='reflect'"):
        F.pad(x, (-1, 2), mode="reflect")
    with pytest.raises(ValueError, match=r"pad: expected an even number of ints"):
        F.pad(x, (1, 1.5))


def test_the_constant_value_must_be_one_number_the_dtype_holds():
    x32 = Tensor(np.arange(3, dtype=np.float32))
    with pytest.raises(ValueError, match=r"pad: value=1e\+300 is beyond the range of the "
                                         r"input's dtype float32"):
        F.pad(x32, (1, 1), value=1e300)             # was inf, with numpy's overflow warning
    with pytest.raises(TypeError, match=r"pad: value must be a number, got 'a'"):
        F.pad(x32, (1, 1), value="a")
    with pytest.raises(TypeError, match=r"pad: value must be a number, got \[1.0\]"):
        F.pad(x32, (1, 1), value=[1.0])
    np.testing.assert_array_equal(F.pad(x32, (1, 0), value=-np.inf).data, [-np.inf, 0, 1, 2])
    np.testing.assert_array_equal(F.pad(x32, (0, 1), value=Tensor(4.0)).data, [0, 1, 2, 4])
    np.testing.assert_array_equal(F.pad(t64([1.0]), (1, 0), value=1e300).data, [1e300, 1.0])
