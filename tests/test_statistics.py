"""Order statistics and counts (autograd/statistics.py): median nanmedian quantile nanquantile
kthvalue mode cummax cummin nansum nanmean count_nonzero nonzero unique bincount, searchsorted
and bucketize; logcumsumexp (an op in autograd/ops/reduce.py); cdist (autograd/arrays.py).

First their values, indices and gradients against PyTorch's on drawn inputs (with NaN and ties),
asked live where torch is installed, else as recorded in tests/reference/statistics.npz. The
expected numbers after that are PyTorch 2.13's, asked by hand: at ties (which element an index
names, where a gradient goes), at NaN and infinities, and for each interpolation of quantile.
(Forward and gradient checks at ordinary points, incl. 0-d and batch-1, are rows of
tests/test_tensor_ops.py; second derivatives rows of tests/test_higher_order.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor

from conftest import strict, t64
from reference import REGENERATE, as_array, draw, recorded

NAN, INF = math.nan, math.inf


# name -> (the function, of a library (autograd or torch) and a tensor of it, alike for both;
# how to draw its float64 input: "normal", "with_nan" (NaN in some rows), "ties" (small ints))
QS = [0.0, 0.1, 1 / 3, 0.5, 0.9, 1.0]
CASES = {
    "median_with_nan": (lambda lib, x: x.median(1, keepdim=True), "with_nan"),
    "nanmedian_dim": (lambda lib, x: x.nanmedian(1), "with_nan"),
    **{f"quantile_{mode}": (lambda lib, x, mode=mode: x.quantile(
        x.new_tensor(QS), 1, keepdim=True, interpolation=mode), "normal")
       for mode in ("linear", "midpoint", "nearest")},
    "quantile_of_all": (lambda lib, x: x.quantile(0.3), "normal"),
    "quantile_with_nan": (lambda lib, x: x.quantile(x.new_tensor(QS), 1), "with_nan"),
    "nanquantile": (lambda lib, x: x.nanquantile(x.new_tensor(QS), 1), "with_nan"),
    "kthvalue": (lambda lib, x: x.kthvalue(2, 0), "normal"),
    "mode": (lambda lib, x: x.mode(1), "ties"),
    "cummax": (lambda lib, x: x.cummax(1), "ties"),
    "cummin_with_nan": (lambda lib, x: x.cummin(1), "with_nan"),
    "logcumsumexp": (lambda lib, x: (50 * x).logcumsumexp(1), "normal"),
    "nansum": (lambda lib, x: x.nansum(0), "with_nan"),
    "nanmean": (lambda lib, x: x.nanmean(1, keepdim=True), "with_nan"),
    "cdist": (lambda lib, x: lib.cdist(x[:2], x[2:]), "normal"),
    "cdist_by_a_matrix_product": (lambda lib, x: lib.cdist(
        x[:2], x[2:], compute_mode="use_mm_for_euclid_dist"), "normal"),
}


def case_input(rng: np.random.Generator, kind: str) -> np.ndarray:
    if kind == "ties":
        return rng.integers(0, 3, (3, 5)).astype(np.float64)
    x = rng.normal(size=(3, 5))
    if kind == "with_nan":
        x[0, 2] = x[2, 0] = x[2, 3] = NAN
    return x


def case_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each case's input and the gradient sent back to it (drawn for the output's shape)."""
    arrays = {}
    for name, (f, kind) in CASES.items():
        x = case_input(rng, kind)
        out = f(autograd, Tensor(x))
        values = out[0] if isinstance(out, tuple) else out
        arrays[f"{name}/x"], arrays[f"{name}/g"] = x, rng.normal(size=values.shape)
    return arrays


def case_results(lib, new_tensor, inputs: dict) -> dict[str, np.ndarray]:
    """Each case's values, indices (if any) and gradient, computed by `lib`."""
    results = {}
    for name, (f, _) in CASES.items():
        x = new_tensor(inputs[f"{name}/x"])
        out = f(lib, x)
        values = out[0] if isinstance(out, tuple) else out
        values.backward(new_tensor(inputs[f"{name}/g"], requires_grad=False))
        results[f"{name}/values"] = as_array(values)
        if isinstance(out, tuple):
            results[f"{name}/indices"] = as_array(out[1])
        results[f"{name}/grad"] = as_array(x.grad)
    return results


def torch_results(torch, inputs: dict) -> dict[str, np.ndarray]:
    return case_results(torch, lambda a, requires_grad=True: torch.tensor(
        a, dtype=torch.float64, requires_grad=requires_grad), inputs)


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/statistics.npz: the inputs and PyTorch's results."""
    inputs = case_inputs(draw())
    return {**inputs, **torch_results(torch, inputs)}


def _agree(ours: dict, theirs: dict) -> None:
    for key, value in ours.items():
        expected = theirs[key]
        assert value.shape == expected.shape, key
        if key.endswith("/indices"):
            np.testing.assert_array_equal(value, expected, err_msg=key)
        else:
            np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-14, err_msg=key)


def test_values_indices_and_gradients_are_pytorchs(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = case_inputs(rng)
    _agree(case_results(autograd, t64, inputs), torch_results(torch, inputs))


def test_values_indices_and_gradients_are_pytorchs_recorded_numbers():
    theirs = recorded("statistics")
    inputs = {key: value for key, value in theirs.items() if key.endswith(("/x", "/g"))}
    assert list(inputs) == [f"{name}/{part}" for name in CASES for part in "xg"], (
        f"the cases changed: {REGENERATE}")
    _agree(case_results(autograd, t64, inputs), theirs)


def values_and_grad(f, data, upstream=None):
    """f's value at float64 `data` and the gradient of (value · upstream).sum()."""
    x = t64(data)
    out = f(x)
    out.backward(np.ones(out.shape) if upstream is None else np.asarray(upstream, float))
    return out.data, x.grad


# -- median, nanmedian, kthvalue, mode: the element picked, and its gradient -------------------

def test_median_of_all_elements_shares_the_gradient_among_ties_as_pytorch():
    value, grad = values_and_grad(lambda x: x.median(), [2.0, 2.0, 1.0, 2.0])
    assert value == 2.0
    np.testing.assert_allclose(grad, [1 / 3, 1 / 3, 0.0, 1 / 3], rtol=1e-15)


def test_median_along_a_dim_is_the_lower_median_with_its_index():
    x = t64([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 1.0, 1.0]])
    values, indices = x.median(dim=1)
    assert values.tolist() == [2.0, 1.0] and indices.tolist() == [3, 3]
    values.sum().backward()
    assert x.grad.tolist() == [[0, 0, 0, 1], [0, 0, 0, 1]]
    assert x.median(1, keepdim=True).values.shape == (2, 1)


def test_median_is_nan_where_a_nan_is_and_nanmedian_leaves_them_out():
    x = Tensor([1.0, NAN, 0.0, NAN, 2.0])
    assert math.isnan(x.median().item()) and x.nanmedian().item() == 1.0
    values, indices = x.median(0)
    assert math.isnan(values.item()) and indices.item() == 1      # the first NaN
    assert x.nanmedian(0).values.item() == 1.0 and x.nanmedian(0).indices.item() == 0
    assert math.isnan(Tensor([NAN, NAN]).nanmedian().item())
    _, grad = values_and_grad(lambda t: t.median(), [1.0, NAN, 3.0])
    assert grad.tolist() == [0.0, 1.0, 0.0]                        # to the NaN, as PyTorch
    _, grad = values_and_grad(lambda t: t.median(), [1.0, NAN, 3.0, NAN])
    assert grad.tolist() == [0.0, 0.5, 0.0, 0.5]                   # shared among them
    _, grad = values_and_grad(lambda t: t.nanmedian(), [2.0, NAN, 2.0, 1.0])
    assert grad.tolist() == [0.5, 0.0, 0.5, 0.0]


def test_median_of_integers_is_an_integer_and_of_one_number_itself():
    assert Tensor([3, 1, 2, 5]).median().item() == 2
    assert Tensor([3, 1, 2, 5]).median().dtype == np.int64
    assert Tensor(3.0).median().item() == 3.0
    assert Tensor(3.0).median(0).indices.item() == 0
    assert math.isnan(Tensor(np.zeros(0)).median().item())


def test_kthvalue_and_mode_pick_the_index_pytorch_does():
    x = Tensor([2.0, 1.0, 2.0, 1.0, 3.0])
    assert (x.kthvalue(2).values.item(), x.kthvalue(2).indices.item()) == (1.0, 3)
    assert (x.kthvalue(5).values.item(), x.kthvalue(5).indices.item()) == (3.0, 4)
    # mode: the most frequent, the smallest of equally frequent ones, where it is last
    assert (x.mode().values.item(), x.mode().indices.item()) == (1.0, 3)
    y = Tensor([1, 1, 2, 2, 1])
    assert (y.mode().values.item(), y.mode().indices.item()) == (1, 4)
    _, grad = values_and_grad(lambda t: t.mode(0).values, [2.0, 1.0, 2.0, 1.0, 3.0])
    assert grad.tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]


def test_mode_counts_each_nan_on_its_own_as_pytorch():
    values, indices = Tensor([1.0, NAN, 3.0, NAN]).mode(0)
    assert (values.item(), indices.item()) == (1.0, 0)


def test_kthvalue_counts_nan_as_the_largest():
    x = Tensor([1.0, NAN, 0.0, NAN, 2.0])
    values, indices = x.kthvalue(4)
    assert math.isnan(values.item()) and indices.item() == 1


def test_mode_along_a_dim_of_a_matrix():
    x = Tensor([[3, 3, 1], [0, 2, 2], [5, 4, 6]])
    values, indices = x.mode(1)
    assert values.tolist() == [3, 2, 4] and indices.tolist() == [1, 2, 1]


# -- cummax, cummin ----------------------------------------------------------------------------

def test_cummax_and_cummin_index_the_last_of_equal_elements_as_pytorch():
    x = Tensor([2.0, 1.0, 2.0, 1.0, 3.0])
    assert x.cummax(0).values.tolist() == [2, 2, 2, 2, 3]
    assert x.cummax(0).indices.tolist() == [0, 0, 2, 2, 4]
    assert x.cummin(0).values.tolist() == [2, 1, 1, 1, 1]
    assert x.cummin(0).indices.tolist() == [0, 1, 1, 3, 3]


def test_cummax_keeps_the_latest_nan_from_the_first_on():
    x = Tensor([1.0, NAN, 0.0, NAN, 2.0])
    for result in (x.cummax(0), x.cummin(0)):
        assert np.isnan(result.values.data[1:]).all() and result.values.data[0] == 1.0
        assert result.indices.tolist() == [0, 1, 1, 3, 3]


def test_cummax_sends_each_gradient_to_the_element_indexed():
    _, grad = values_and_grad(lambda t: t.cummax(0).values, [1.0, 2.0, 2.0, 0.0],
                              [1.0, 10.0, 100.0, 1000.0])
    assert grad.tolist() == [1.0, 10.0, 1100.0, 0.0]


def test_cummax_along_dim_1_and_of_empty_and_integer_tensors():
    x = Tensor([[1, 3, 2], [4, 0, 5]])
    assert x.cummax(1).values.tolist() == [[1, 3, 3], [4, 4, 5]]
    assert x.cummin(-1).indices.tolist() == [[0, 0, 0], [0, 1, 1]]
    assert x.cummax(1).values.dtype == np.int64
    assert Tensor(np.zeros((0, 3))).cummax(0).indices.shape == (0, 3)


# -- quantile, nanquantile ---------------------------------------------------------------------

@pytest.mark.parametrize("interpolation, expected", [
    ("linear", [0.0, 0.3, 1.5, 0.5, 2.7, 3.0]),
    ("lower", [0.0, 0.0, 1.0, 0.0, 2.0, 3.0]),
    ("higher", [0.0, 1.0, 2.0, 1.0, 3.0, 3.0]),
    ("midpoint", [0.0, 0.5, 1.5, 0.5, 2.5, 3.0]),
    ("nearest", [0.0, 0.0, 2.0, 0.0, 3.0, 3.0]),
])
def test_quantile_interpolations_are_pytorchs(interpolation, expected):
    x = t64([0.0, 1.0, 2.0, 3.0], requires_grad=False)
    q = [0.0, 0.1, 0.5, 1 / 6, 0.9, 1.0]
    np.testing.assert_allclose(x.quantile(q, interpolation=interpolation).data, expected,
                               rtol=1e-15)


def test_nearest_rounds_half_to_even_as_pytorch():
    x = Tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    assert x.quantile([0.125, 0.375, 0.625, 0.875], interpolation="nearest").tolist() == [
        0.0, 2.0, 2.0, 4.0]


def test_quantile_at_infinities_is_pytorchs():
    """linear and midpoint interpolate as PyTorch's lerp (NaN between 1 and inf at 0.5, with
    no warning), the others pick one element."""
    expected = {"linear": NAN, "lower": 1.0, "higher": INF, "midpoint": NAN, "nearest": 1.0}
    for interpolation, value in expected.items():
        with strict():
            got = Tensor([1.0, INF]).quantile(0.5, interpolation=interpolation).item()
        assert got == value or (math.isnan(got) and math.isnan(value)), interpolation
    assert Tensor([1.0, 2.0, INF]).quantile(0.5).item() == 2.0


def test_quantile_gradient_is_shared_by_the_two_neighbours():
    _, grad = values_and_grad(lambda t: t.quantile(0.4), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(grad, [0.0, 0.8, 0.2, 0.0], rtol=1e-14)
    _, grad = values_and_grad(lambda t: t.quantile(0.75), [2.0, 1.0, 2.0])       # ties
    np.testing.assert_allclose(grad, [0.5, 0.0, 0.5], rtol=1e-15)
    _, grad = values_and_grad(lambda t: t.quantile(0.5, interpolation="lower"),
                              [2.0, 2.0, 2.0, 1.0])
    assert grad.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_quantile_is_nan_where_a_nan_is_and_nanquantile_leaves_them_out():
    x = [1.0, NAN, 3.0]
    value, grad = values_and_grad(lambda t: t.quantile(0.75), x)
    assert math.isnan(value) and grad.tolist() == [0.0, 1.0, 0.0]
    value, grad = values_and_grad(lambda t: t.nanquantile(0.75), x)
    assert value == 2.5
    np.testing.assert_allclose(grad, [0.25, 0.0, 0.75], rtol=1e-15)
    assert math.isnan(Tensor([NAN, NAN]).nanquantile(0.5).item())
    rows = Tensor([[1.0, NAN, 3.0], [4.0, 5.0, 6.0]])
    assert rows.nanquantile(0.5, dim=1).tolist() == [2.0, 5.0]
    assert np.isnan(rows.quantile(0.5, dim=1).data[0]) and rows.quantile(0.5, 1).data[1] == 5


def test_quantile_shapes_are_pytorchs():
    x = Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    q = Tensor([0.5, 1.0])
    assert x.quantile(q, dim=1, keepdim=True).shape == (2, 2, 1)
    assert x.quantile(q, dim=1).shape == (2, 2)
    assert x.quantile(q, keepdim=True).shape == (2, 1, 1)
    assert x.quantile(0.5).shape == () and x.quantile(Tensor(0.5), dim=0).shape == (3,)
    assert Tensor(2.0).quantile(q, dim=0, keepdim=True).shape == (2,)
    assert x.quantile(q, dim=0).tolist() == [[1.5, 2.5, 3.5], [3.0, 4.0, 5.0]]


@pytest.mark.parametrize("call, error, message", [
    (lambda: Tensor([1.0, 2.0]).quantile(1.5), ValueError, r"quantile: q must be in \[0, 1\]"),
    (lambda: Tensor([1.0]).quantile(NAN), ValueError, r"quantile: q must be in \[0, 1\]"),
    (lambda: Tensor([1, 2]).quantile(0.5), TypeError,
     r"quantile: needs a floating-point tensor, got dtype int64"),
    (lambda: Tensor(np.zeros(0)).nanquantile(0.5), ValueError,
     r"nanquantile: the tensor of shape \(0,\) is empty"),
    (lambda: Tensor([1.0]).quantile(0.5, interpolation="cubic"), ValueError,
     r"quantile: interpolation must be one of linear, lower, higher, midpoint, nearest"),
    (lambda: Tensor([1.0]).quantile(Tensor([[0.5]])), ValueError,
     r"quantile: q must be a number or a 1-d tensor, got shape \(1, 1\)"),
    (lambda: t64([1.0]).quantile(Tensor([0.9])), TypeError,
     r"quantile: q is a tensor of dtype float32, the input's dtype is float64; they must "
     r"agree"),
    (lambda: Tensor([1.0]).median(dim=2), ValueError, r"median: axis 2 is out of range"),
    (lambda: Tensor([1.0]).median(keepdim=True), TypeError, r"median: keepdim=True needs a dim"),
    (lambda: Tensor(np.zeros((2, 0))).median(1), ValueError,
     r"median: the tensor of shape \(2, 0\) is empty along dim 1"),
    (lambda: Tensor(np.zeros(0, np.int64)).median(), ValueError,
     r"median: the tensor of shape \(0,\) is empty"),
    (lambda: Tensor([1.0, 2.0]).kthvalue(3), ValueError,
     r"kthvalue: k must be an int from 1 to 2 \(the length of dim -1 of shape \(2,\)\), got 3"),
    (lambda: Tensor(np.zeros((2, 0))).mode(), ValueError,
     r"mode: the tensor of shape \(2, 0\) is empty along dim 1"),
    (lambda: Tensor([1.0]).cummax("0"), TypeError, r"cummax: dim must be one int, got '0'"),
    (lambda: Tensor([1, 2]).nanmean(), TypeError,
     r"nanmean: needs a floating-point tensor, got dtype int64"),
])
def test_mistakes_get_an_error_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- nansum, nanmean, count_nonzero ------------------------------------------------------------

def test_nansum_and_nanmean_skip_nan_and_send_it_no_gradient():
    value, grad = values_and_grad(lambda t: t.nansum(), [1.0, NAN, 3.0])
    assert value == 4.0 and grad.tolist() == [1.0, 0.0, 1.0]
    value, grad = values_and_grad(lambda t: t.nanmean(), [1.0, NAN, 3.0])
    assert value == 2.0 and grad.tolist() == [0.5, 0.0, 0.5]
    x = Tensor([[1.0, NAN], [3.0, 4.0]])
    assert x.nansum(0).tolist() == [4.0, 4.0] and x.nanmean(1, keepdim=True).tolist() == [
        [1.0], [3.5]]
    assert x.nanmean(dtype=np.float64).dtype == np.float64


def test_nanmean_of_only_nan_is_nan_without_a_warning_and_nansum_zero():
    with strict():
        assert math.isnan(Tensor([NAN]).nanmean().item())
        assert Tensor([NAN]).nansum().item() == 0.0
    assert Tensor([1, 2]).nansum().item() == 3 and Tensor([True, True]).nansum().item() == 2


def test_count_nonzero():
    x = Tensor([[0.0, 1.0], [2.0, 0.0]])
    assert x.count_nonzero().item() == 2 and x.count_nonzero().dtype == np.int64
    assert x.count_nonzero(0).tolist() == [1, 1] and x.count_nonzero((0, 1)).item() == 2


def test_an_empty_dim_tuple_means_every_axis_as_in_pytorch():
    x = Tensor([[0.0, 1.0], [2.0, NAN]])
    assert x.count_nonzero(dim=()).item() == 3
    assert x.nanmean(dim=()).item() == 1.0 and x.nansum(dim=()).item() == 3.0


def test_nonzero_and_argwhere_are_pytorchs():
    x = Tensor([[0.0, 1.0], [2.0, 0.0]])
    assert x.nonzero().tolist() == x.argwhere().tolist() == [[0, 1], [1, 0]]
    assert x.nonzero().dtype == np.int64
    rows, columns = x.nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1] and columns.tolist() == [1, 0]
    assert x[x.nonzero(as_tuple=True)].tolist() == [1.0, 2.0]
    assert Tensor(3.0).nonzero().shape == (1, 0) and Tensor(0.0).argwhere().shape == (0, 0)
    assert autograd.nonzero(Tensor([NAN, 0.0])).tolist() == [[0]]       # NaN is not zero


# -- unique, bincount, searchsorted, bucketize: constants --------------------------------------

def test_unique_with_inverse_and_counts():
    values, inverse, counts = Tensor([[3, 1], [3, 2]]).unique(return_inverse=True,
                                                              return_counts=True)
    assert values.tolist() == [1, 2, 3] and counts.tolist() == [1, 1, 2]
    assert inverse.tolist() == [[2, 0], [2, 1]]                  # the input's shape
    assert Tensor([3, 1, 3]).unique().tolist() == [1, 3]
    assert Tensor([3.0]).unique().dtype == np.float32 and Tensor(3.0).unique().shape == (1,)


def test_unique_along_a_dim_and_of_nan():
    values, inverse, counts = Tensor([[1, 2], [1, 2], [0, 5]]).unique(
        dim=0, return_inverse=True, return_counts=True)
    assert values.tolist() == [[0, 5], [1, 2]]
    assert inverse.tolist() == [1, 1, 0] and counts.tolist() == [1, 2]
    values, counts = Tensor([NAN, 1.0, NAN]).unique(return_counts=True)   # NaN are distinct
    assert values.data[0] == 1.0 and np.isnan(values.data[1:]).all()
    assert counts.tolist() == [1, 1, 1]


def test_bincount_counts_and_sums_weights_in_pytorchs_dtypes():
    assert Tensor([0, 2, 2]).bincount().tolist() == [1, 0, 2]
    assert Tensor([0, 2, 2]).bincount().dtype == np.int64
    summed = Tensor([0, 2, 2]).bincount(Tensor([1.0, 2.0, 3.0]), minlength=5)
    assert summed.tolist() == [1.0, 0.0, 5.0, 0.0, 0.0] and summed.dtype == np.float32
    assert Tensor([0, 1]).bincount(Tensor([1, 2])).dtype == np.float64
    assert Tensor(np.zeros(0, np.int64)).bincount().tolist() == []
    assert Tensor([1]).bincount(minlength=4).tolist() == [0, 1, 0, 0]


@pytest.mark.parametrize("call, message", [
    (lambda: Tensor([1.0]).bincount(), r"bincount: needs a 1-d tensor of integers from 0, got "
                                       r"shape \(1,\) dtype float32"),
    (lambda: Tensor([-1, 2]).bincount(), r"bincount: .* holding -1"),
    (lambda: Tensor([[1]]).bincount(), r"bincount: .* got shape \(1, 1\)"),
    (lambda: Tensor([1, 2]).bincount(Tensor([1.0])),
     r"bincount: weights must have the input's shape \(2,\), got \(1,\)"),
    (lambda: Tensor([1]).bincount(minlength=-1), r"bincount: minlength must be an int >= 0"),
])
def test_bincount_refuses_what_it_cannot_count(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_searchsorted_and_bucketize_are_pytorchs():
    sequence, values = Tensor([1, 3, 5, 7]), Tensor([3, 6, 9])
    assert autograd.searchsorted(sequence, values).tolist() == [1, 3, 4]
    assert autograd.searchsorted(sequence, values, right=True).tolist() == [2, 3, 4]
    assert autograd.searchsorted(sequence, values, side="right").tolist() == [2, 3, 4]
    assert autograd.bucketize(values, sequence).tolist() == [1, 3, 4]
    assert autograd.bucketize(values, sequence, right=True).tolist() == [2, 3, 4]
    rows = autograd.searchsorted(Tensor([[1, 3, 5, 7], [2, 4, 6, 8]]), Tensor([[3, 6], [1, 9]]))
    assert rows.tolist() == [[1, 3], [0, 4]] and rows.dtype == np.int64
    assert autograd.searchsorted(sequence, 4).item() == 2
    assert autograd.searchsorted(sequence, values, out_int32=True).dtype == np.int32
    unsorted = Tensor([5, 1, 7, 3])
    assert autograd.searchsorted(unsorted, values, sorter=unsorted.argsort()).tolist() == [
        1, 3, 4]


@pytest.mark.parametrize("call, message", [
    (lambda: autograd.searchsorted(Tensor(1.0), Tensor([1.0])),
     r"searchsorted: sorted_sequence must have at least 1 dim"),
    (lambda: autograd.searchsorted(Tensor([[1.0, 2.0]]), Tensor([1.0])),
     r"searchsorted: a sorted_sequence of shape \(1, 2\) is searched row by row"),
    (lambda: autograd.searchsorted(Tensor([1.0]), 1.0, side="middle"),
     r"searchsorted: side must be 'left' or 'right'"),
    (lambda: autograd.searchsorted(Tensor([1.0]), 1.0, side="left", right=True),
     r"searchsorted: side must be 'left' or 'right' and agree with right=True"),
    (lambda: autograd.bucketize(Tensor([1.0]), Tensor([[1.0]])),
     r"bucketize: boundaries must be 1-d, got shape \(1, 1\)"),
])
def test_searchsorted_and_bucketize_errors_name_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _row_by_row(sequence: np.ndarray, values: np.ndarray, side: str) -> np.ndarray:
    rows = sequence.reshape(math.prod(sequence.shape[:-1]), sequence.shape[-1])
    wanted = values.reshape(len(rows), values.shape[-1])
    return np.array([np.searchsorted(row, w, side=side) for row, w in zip(rows, wanted)]
                    ).reshape(values.shape)


@pytest.mark.parametrize("kind", ["ints", "ties", "mixed dtypes", "infinities", "nan"])
def test_searchsorted_of_rows_is_numpys_search_of_each_row(kind):
    """All rows searched at once (one binary search over all of them) give what numpy's search
    of each row gives: every length of row 1..9 (odd and even halvings), values before, between,
    on and after the elements, both sides, batch axes; NaN as numpy orders it (last)."""
    rng = np.random.default_rng(len(kind))
    for n in range(1, 10):
        lead = (2, 3) if n % 2 else (4,)
        sequence = np.sort(rng.integers(-3, 4, lead + (n,)), -1)
        values = rng.integers(-5, 6, lead + (7,))
        if kind == "ties":
            sequence = np.sort(rng.choice([0.0, 1.0], lead + (n,)), -1)
            values = rng.choice([-0.0, 0.0, 0.5, 1.0, 2.0], lead + (7,))
        elif kind == "mixed dtypes":        # float32 rows, float64 values between them
            sequence, values = sequence.astype(np.float32), values + 0.5 * rng.integers(0, 2,
                                                                                       (7,))
        elif kind == "infinities":
            sequence = np.sort(rng.choice([-INF, -1.0, 1.0, INF], lead + (n,)), -1)
            values = rng.choice([-INF, -2.0, -1.0, 0.0, INF], lead + (7,))
        elif kind == "nan":
            values = values.astype(float)
            values[..., 0] = NAN
            sequence = sequence.astype(float)
            sequence[0, ..., -1] = NAN
        for side in ("left", "right"):
            found = autograd.searchsorted(Tensor(sequence), Tensor(values), side=side)
            assert found.dtype == np.int64 and found.shape == values.shape
            np.testing.assert_array_equal(found.data, _row_by_row(sequence, values, side),
                                          err_msg=f"{kind}, n={n}, side={side}")


def test_searchsorted_of_empty_rows_and_of_no_rows():
    assert autograd.searchsorted(Tensor(np.zeros((2, 0))), Tensor(np.ones((2, 3)))).tolist() \
        == [[0, 0, 0], [0, 0, 0]]                   # PyTorch's: each goes first in no row
    assert autograd.searchsorted(Tensor(np.zeros((0, 4))), Tensor(np.ones((0, 3)))).shape \
        == (0, 3)
    assert autograd.searchsorted(Tensor(np.zeros((2, 4))), Tensor(np.ones((2, 0)))).shape \
        == (2, 0)


# -- logcumsumexp ------------------------------------------------------------------------------

def test_logcumsumexp_neither_overflows_nor_underflows():
    """A 1000 beside a -1000: exp would overflow and underflow; PyTorch's numbers and slopes."""
    with strict():
        value, grad = values_and_grad(lambda t: t.logcumsumexp(0),
                                      [-1000.0, 0.0, 1000.0, -INF, 3.0],
                                      [1.0, -2.0, 3.0, 0.5, -1.0])
    assert value.tolist() == [-1000.0, 0.0, 1000.0, 1000.0, 1000.0]
    np.testing.assert_allclose(grad, [1.0, -2.0, 2.5, 0.0, 0.0], atol=1e-300)


def test_logcumsumexp_at_infinities_is_pytorchs():
    """A slope at a leading -inf is NaN in PyTorch (-inf - -inf), unwarned here too."""
    expected = {(-INF, 0.0): ([-INF, 0.0], [NAN, 2.0]), (0.0, -INF): ([0.0, 0.0], [3.0, 0.0]),
                (INF, 1.0): ([INF, INF], [NAN, 0.0])}
    for data, (value, grad) in expected.items():
        with strict():
            got_value, got_grad = values_and_grad(lambda t: t.logcumsumexp(0), data,
                                                  [1.0, 2.0])
        np.testing.assert_array_equal(got_value, value)
        np.testing.assert_allclose(got_grad, grad, rtol=1e-15)


def test_logcumsumexp_of_integers_is_a_float_and_of_one_number_itself():
    assert Tensor([1, 2]).logcumsumexp(0).dtype == np.float32
    assert Tensor(2.0).logcumsumexp(0).item() == 2.0
    assert Tensor(np.zeros((0, 2))).logcumsumexp(0).shape == (0, 2)


# -- PyTorch's names ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["median", "nanmedian", "quantile", "nanquantile", "kthvalue",
                                  "mode", "cummax", "cummin", "logcumsumexp", "nansum",
                                  "nanmean", "count_nonzero", "nonzero", "argwhere", "unique",
                                  "bincount"])
def test_the_methods_replace_the_hints_and_are_module_functions_too(name):
    assert callable(getattr(Tensor, name))
    assert callable(getattr(autograd, name))


def test_module_functions_take_pytorchs_arguments():
    x = Tensor([[3.0, 1.0, 2.0], [0.5, 4.0, 8.0]])
    assert autograd.median(x, 1).values.tolist() == [2.0, 4.0]
    assert autograd.quantile(x, 0.5, dim=1, keepdim=True).shape == (2, 1)
    assert autograd.cummax(x, dim=1).indices.tolist() == [[0, 0, 0], [0, 1, 2]]
    assert autograd.unique(Tensor([2, 1, 2]), return_counts=True)[1].tolist() == [1, 2]
    assert autograd.bincount(Tensor([1, 1])).tolist() == [0, 2]


def test_isin_is_pytorch_s():
    """torch.isin: elements' shape, True where the element is among the test elements."""
    x = Tensor([[1, 2], [3, 4]])
    assert autograd.isin(x, Tensor([4, 1, 9])).tolist() == [[True, False], [False, True]]
    assert autograd.isin(x, [2]).dtype == np.bool_
    assert autograd.isin(3, x).tolist() is True
    assert autograd.isin(x, Tensor([2, 3]), invert=True).tolist() == [[True, False],
                                                                      [False, True]]
    with pytest.raises(TypeError, match="isin: elements or test_elements must be a Tensor"):
        autograd.isin([1, 2], [2])
