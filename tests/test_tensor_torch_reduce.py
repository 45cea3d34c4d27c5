"""PyTorch's reductions and orderings on Tensor: amax, amin, prod, cumsum, norm, sort, argsort,
topk. Gradchecked in float64 at points away from kinks and ties, and compared with live
PyTorch, values and gradients, where the rule has a choice to make: ties (amax), zeros (prod,
norm), NaN (sort)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from conftest import sample, t64
from torch_helpers import needs_torch, same_as_torch, torch

AXES = [((), None), ((4,), 0), ((3, 4), 1), ((3, 4), -2), ((1, 4), 0), ((2, 3, 4), (0, 2))]


def _extreme(name, dim, keepdim):
    if dim is None:
        return lambda t: getattr(t, name)()
    return lambda t: getattr(t, name)(dim, keepdim)


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("shape, dim", AXES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_and_amin_gradcheck(name, shape, dim, keepdim, rng):
    assert gradcheck(_extreme(name, dim, keepdim), t64(sample("distinct", shape, rng)))


@needs_torch
@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("shape, dim", AXES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_and_amin_match_pytorch(name, shape, dim, keepdim, rng):
    same_as_torch(_extreme(name, dim, keepdim), sample("distinct", shape, rng), rng=rng)


TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 2.0]])


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_shares_the_gradient_among_ties(name):
    """(This was asserted inside the PyTorch test only, so skipped where torch is missing.)"""
    ours = t64(TIES * (1 if name == "amax" else -1))
    getattr(ours, name)(dim=1).sum().backward()
    np.testing.assert_array_equal(ours.grad, [[0.0, 0.5, 0.5, 0.0], [0.25] * 4])


@needs_torch
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_shares_the_gradient_among_ties_as_pytorch(name, rng):
    same_as_torch(lambda t: getattr(t, name)(dim=1), TIES * (1 if name == "amax" else -1),
                  rng=rng)


# -- prod ------------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("x", [
    [2.0, 0.0, 3.0, 5.0],                      # one zero: it gets the product of the others
    [2.0, 0.0, 3.0, 0.0],                      # two zeros: every slope is 0
    [0.0],
    [[0.0, 2.0, 0.0], [1.5, -2.0, 0.5]],       # rows with two zeros and with none
])
@pytest.mark.parametrize("dim", [None, -1])
def test_prod_gradient_with_zeros_is_pytorch_s(x, dim, rng):
    f = (lambda t: t.prod()) if dim is None else (lambda t: t.prod(dim))
    same_as_torch(f, np.array(x), rng=rng)


def test_prod_gradient_with_one_zero_is_the_product_of_the_rest():
    x = t64([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0]])
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])


PRODS = [((), None, False), ((5,), 0, False), ((3, 4), 1, True), ((3, 4), -2, False),
         ((1, 4), 0, False), ((2, 3, 4), 1, True)]


def _prod(dim, keepdim):
    return (lambda t: t.prod()) if dim is None else (lambda t: t.prod(dim, keepdim))


@pytest.mark.parametrize("shape, dim, keepdim", PRODS)
def test_prod_gradchecks_also_with_a_zero(shape, dim, keepdim, rng):
    x = sample("nonzero", shape, rng)
    assert gradcheck(_prod(dim, keepdim), t64(x))
    x[(0,) * len(shape)] = 0.0                  # with a zero: still smooth, still checked
    assert gradcheck(_prod(dim, keepdim), t64(x))


@needs_torch
@pytest.mark.parametrize("shape, dim, keepdim", PRODS)
def test_prod_matches_pytorch(shape, dim, keepdim, rng):
    same_as_torch(_prod(dim, keepdim), sample("nonzero", shape, rng), rng=rng)


def test_prod_over_several_axes_gradchecks_and_integers_multiply_in_int64(rng):
    assert gradcheck(lambda t: t.prod((0, 2)), t64(sample("nonzero", (2, 3, 4), rng)))
    for data in ([2, 3, 4], np.array([2, 200], np.uint8), [True, True]):
        out = Tensor(data).prod()
        assert out.dtype == np.int64 and out.item() == np.prod(np.asarray(data, np.int64))


@pytest.mark.parametrize("x", [[2.0, 3.0, -1.5], [2.0, 0.0, -1.5], [0.0, 3.0, 0.0],
                               [[0.5, 0.0], [2.0, 3.0]]])
def test_prod_differentiates_twice_with_and_without_zeros(x, rng):
    """Higher order (autograd.grad, create_graph): out / x where no element is 0, else each
    "product of the others" as a product again; both checked against finite differences."""
    first = autograd.grad(lambda t: (t.prod(-1) * 1.5).sum())
    x = np.array(x)
    expected = 1.5 * np.array([[np.prod(np.delete(row, i)) for i in range(row.size)]
                               for row in x.reshape(-1, x.shape[-1])]).reshape(x.shape)
    np.testing.assert_allclose(first(x), expected, rtol=1e-12)
    weights = rng.normal(size=x.shape)
    assert gradcheck(lambda t: (first(t) * weights).sum(), t64(x))


# -- cumsum ----------------------------------------------------------------------------------

CUMSUMS = [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((1, 4), 0), ((2, 3, 4), 1), ((), 0)]


@pytest.mark.parametrize("shape, dim", CUMSUMS)
def test_cumsum_gradchecks(shape, dim, rng):
    assert gradcheck(lambda t: t.cumsum(dim), t64(sample("real", shape, rng)))


@needs_torch
@pytest.mark.parametrize("shape, dim", CUMSUMS)
def test_cumsum_matches_pytorch(shape, dim, rng):
    same_as_torch(lambda t: t.cumsum(dim), sample("real", shape, rng), rng=rng)


def test_cumsum_gradient_is_the_reverse_running_sum_and_twice_differentiable(rng):
    x = t64([1.0, 2.0, 3.0])
    x.cumsum(0).backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad, [111.0, 110.0, 100.0])
    first = autograd.grad(lambda t: (t.cumsum(1) ** 3).sum())
    weights = rng.normal(size=(2, 3))
    assert gradcheck(lambda t: (first(t) * weights).sum(), t64(sample("real", (2, 3), rng)))


def test_cumsum_of_integers_and_bools_sums_in_int64_as_pytorch():
    for data in ([1, 2, 3], np.array([200, 100], np.uint8), [True, True, False]):
        out = Tensor(data).cumsum(0)
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.data, np.cumsum(np.asarray(data, np.int64)))


# -- norm ------------------------------------------------------------------------------------

NORM_PS = ["fro", 2, 1, 3, 0.5, -1, math.inf, -math.inf, 0]


NORM_SHAPES = [((), None, False), ((5,), None, False), ((3, 4), 1, False), ((3, 4), -2, True),
               ((1, 4), 1, False), ((2, 3, 4), (0, 2), False), ((3, 4), None, True)]


def _norm_input(p, shape, rng):
    return sample("distinct" if p in (math.inf, -math.inf) else "nonzero", shape, rng)


@pytest.mark.parametrize("p", [p for p in NORM_PS if p != 0])     # (0 counts: no slope)
@pytest.mark.parametrize("shape, dim, keepdim", NORM_SHAPES)
def test_norm_gradchecks(p, shape, dim, keepdim, rng):
    assert gradcheck(lambda t: t.norm(p, dim, keepdim), t64(_norm_input(p, shape, rng)))


@needs_torch
@pytest.mark.parametrize("p", NORM_PS)
@pytest.mark.parametrize("shape, dim, keepdim", NORM_SHAPES)
def test_norm_matches_pytorch(p, shape, dim, keepdim, rng):
    same_as_torch(lambda t: t.norm(p, dim, keepdim), _norm_input(p, shape, rng), rng=rng)


@needs_torch
@pytest.mark.parametrize("p", NORM_PS)
def test_norm_gradient_at_zeros_is_pytorch_s(p, rng):
    """A row of zeros (norm 0) and zeros among other numbers: the slope there is 0, as in
    PyTorch (no NaN from 0 / 0 or 0 ** negative); for ±inf, ties share it."""
    x = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0], [0.0, 1.0, 0.0], [2.0, -2.0, 1.0]])
    same_as_torch(lambda t: t.norm(p, dim=1), x, rng=rng)


@pytest.mark.parametrize("p", [p for p in NORM_PS if p != 0])     # (0 counts: no slope)
def test_norm_gradient_at_zeros_is_zero_there_and_the_central_difference(p):
    """Without torch: the slope at a zero is 0 (no NaN from 0 / 0 or 0 ** negative), and
    every slope at these points, rows of zeros, zeros among other numbers and a tie of
    ±2 for p = ±inf, is what central differences give (|x| is even about 0, and a tie of two
    shares the slope half and half)."""
    x = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0], [0.0, 1.0, 0.0], [2.0, -2.0, 1.0]])
    ours = t64(x)
    ours.norm(p, dim=1).sum().backward()
    assert np.isfinite(ours.grad).all() and (ours.grad[x == 0] == 0).all()
    assert gradcheck(lambda t: t.norm(p, dim=1), t64(x))


def test_norm_2_of_zeros_has_gradient_zero_and_twice_differentiates(rng):
    x = t64(np.zeros((2, 3)))
    x.norm().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))
    first = autograd.grad(lambda t: t.norm(dim=1).sum() + t.norm(3, dim=0).sum())
    weights = rng.normal(size=(2, 3))
    assert gradcheck(lambda t: (first(t) * weights).sum(), t64(sample("nonzero", (2, 3), rng)))


def test_norm_refuses_what_it_does_not_compute():
    with pytest.raises(ValueError, match=r"norm: p='nuc' is not supported.*needs an SVD: "
                                         r"autograd.linalg.matrix_norm\(t, 'nuc'\)"):
        Tensor(np.ones((2, 2))).norm("nuc")
    with pytest.raises(TypeError, match=r"norm: p must be a number or 'fro', got True"):
        Tensor(np.ones(2)).norm(True)
    assert Tensor([3, 4]).norm().item() == 5.0                   # integers: as floats


# -- sort, argsort, topk -------------------------------------------------------------------

SORTS = [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((1, 4), -1), ((2, 3, 4), 1)]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("shape, dim", SORTS)
def test_sort_orders_as_numpy_and_its_values_gradcheck(shape, dim, descending, rng):
    x = sample("distinct", shape, rng)
    values, indices = Tensor(x).sort(dim, descending)
    expected = np.sort(x, axis=dim)
    np.testing.assert_array_equal(values.data, np.flip(expected, dim) if descending
                                  else expected)
    np.testing.assert_array_equal(np.take_along_axis(x, indices, dim), values.data)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(Tensor(x).argsort(dim, descending), indices)
    assert gradcheck(lambda t: t.sort(dim, descending).values, t64(x))


@needs_torch
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("shape, dim", SORTS)
def test_sort_matches_pytorch(shape, dim, descending, rng):
    x = sample("distinct", shape, rng)
    indices = Tensor(x).sort(dim, descending).indices
    np.testing.assert_array_equal(indices, torch.tensor(x).sort(dim, descending).indices)
    same_as_torch(lambda t: t.sort(dim, descending)[0], x, rng=rng)


@needs_torch
@pytest.mark.parametrize("descending", [False, True])
def test_sort_keeps_ties_in_order_and_puts_nan_as_pytorch(descending):
    """Equal elements keep their order (PyTorch's stable=True) and NaN sorts as the largest."""
    x = np.array([1.0, np.nan, 3.0, 1.0, 2.0, 3.0])
    values, indices = Tensor(x).sort(descending=descending)
    theirs = torch.tensor(x).sort(descending=descending, stable=True)
    np.testing.assert_array_equal(values.data, theirs.values.numpy())
    np.testing.assert_array_equal(indices, theirs.indices.numpy())


TOPKS = [(2, -1, True), (1, 0, False), (4, 1, True), (0, 1, True), (3, 0, True)]


@pytest.mark.parametrize("k, dim, largest", TOPKS)
def test_topk_takes_the_first_k_of_the_sort_and_its_values_gradcheck(k, dim, largest, rng):
    x = sample("distinct", (3, 4), rng)
    values, indices = Tensor(x).topk(k, dim, largest)
    ordered = Tensor(x).sort(dim, descending=largest)
    np.testing.assert_array_equal(indices, np.take(ordered.indices, range(k), axis=dim))
    np.testing.assert_array_equal(values.data, np.take_along_axis(x, indices, dim))
    if k:
        assert gradcheck(lambda t: t.topk(k, dim, largest).values, t64(x))


@needs_torch
@pytest.mark.parametrize("k, dim, largest", TOPKS)
def test_topk_matches_pytorch(k, dim, largest, rng):
    x = sample("distinct", (3, 4), rng)
    indices = Tensor(x).topk(k, dim, largest).indices
    np.testing.assert_array_equal(indices, torch.tensor(x).topk(k, dim, largest).indices)
    same_as_torch(lambda t: t.topk(k, dim, largest)[0], x, rng=rng)


def test_sort_and_topk_of_a_0d_tensor_and_their_errors():
    values, indices = Tensor(2.0).sort()
    assert values.item() == 2.0 and indices.shape == () and indices == 0
    assert Tensor(2.0).topk(1).values.item() == 2.0
    with pytest.raises(ValueError, match=r"topk: k must be an int from 0 to 4 \(the length of "
                                         r"dim -1 of shape \(3, 4\)\), got 5"):
        Tensor(np.zeros((3, 4))).topk(5)
    with pytest.raises(TypeError, match=r"sort: dim must be one int, got \(0, 1\)"):
        Tensor(np.zeros((3, 4))).sort((0, 1))


# every reduction-like method takes numpy's axis=/keepdims= and PyTorch's dim=/keepdim= (the
# var/std pair says its divisor too: see their own tests); those with an axis list each method
_REDUCTIONS = ["sum", "mean", "max", "min", "amax", "amin", "prod", "norm", "logsumexp",
               "argmax", "argmin", "all", "any"]
_ALONG_AN_AXIS = ["cumsum", "softmax", "log_softmax"]         # (nothing to keep)


@pytest.mark.parametrize("name", _REDUCTIONS)
@pytest.mark.parametrize("keep", [False, True])
def test_every_reduction_takes_axis_keepdims_and_dim_keepdim_alike(name, keep, rng):
    x = Tensor(sample("distinct", (2, 3, 4), rng))
    x = x > 0 if name in ("all", "any") else x
    numpy_way = getattr(x, name)(axis=1, keepdims=keep)
    torch_way = getattr(x, name)(dim=1, keepdim=keep)
    torch_way = torch_way.values if isinstance(torch_way, tuple) else torch_way   # max(dim=)
    assert numpy_way.shape == torch_way.shape == ((2, 1, 4) if keep else (2, 4))
    np.testing.assert_array_equal(numpy_way.data, torch_way.data)
    with pytest.raises(TypeError, match=rf"^{name}: got both axis=1 and dim=2"):
        getattr(x, name)(axis=1, dim=2)


@pytest.mark.parametrize("name", _ALONG_AN_AXIS)
def test_every_op_along_an_axis_takes_axis_and_dim_alike(name, rng):
    x = Tensor(sample("distinct", (2, 3, 4), rng))
    np.testing.assert_array_equal(getattr(x, name)(axis=1).data, getattr(x, name)(dim=1).data)
    np.testing.assert_array_equal(getattr(x, name)(axis=1).data, getattr(x, name)(1).data)


# PyTorch reduces a 0-d tensor along dim 0 or -1 (its one number is the whole "axis"); numpy
# has no axis there, and these were refused ("axis 0 is out of range for a tensor with 0 dims")
_OF_ONE_NUMBER = {"sum": 2.5, "mean": 2.5, "amax": 2.5, "amin": 2.5, "prod": 2.5, "norm": 2.5,
                  "logsumexp": 2.5, "var": 0.0}


@pytest.mark.parametrize("name", sorted(_OF_ONE_NUMBER))
@pytest.mark.parametrize("dim", [0, -1, (0,)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_a_0d_tensor_reduces_along_dim_0_or_minus_1_as_in_pytorch(name, dim, keepdim):
    if name == "prod" and dim == (0,):
        dim = 0                                         # (PyTorch's prod takes one int)
    extra = {"correction": 0} if name == "var" else {}
    f = lambda t: getattr(t, name)(dim=dim, keepdim=keepdim, **extra)  # noqa: E731
    out = f(Tensor(2.5))
    assert out.shape == () and out.item() == pytest.approx(_OF_ONE_NUMBER[name])
    if name != "var":                                   # (var of one number: slope 0)
        assert gradcheck(f, t64(np.array(-1.5 if name == "norm" else 0.7)))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_of_a_0d_tensor_along_dim_0_give_it_and_index_0(name):
    x = Tensor(np.array(3.0), requires_grad=True)
    values, indices = getattr(x, name)(dim=-1)
    assert values.shape == indices.shape == () and values.item() == 3.0 and indices.item() == 0
    values.backward()
    assert x.grad == 1.0
    assert (Tensor(True).all(0).item(), Tensor(0.0).any(-1).item()) == (True, False)


def test_a_0d_tensor_refuses_any_other_axis():
    with pytest.raises(ValueError, match=r"sum: axis 1 is out of range for a 0-d tensor \(dim 0 "
                                         r"or -1 reduce its one number"):
        Tensor(2.0).sum(dim=1)
    with pytest.raises(ValueError, match=r"max: axis -2 is out of range for a 0-d tensor"):
        Tensor(2.0).max(dim=-2)


@needs_torch
@pytest.mark.parametrize("name", sorted(_OF_ONE_NUMBER))
def test_a_0d_tensor_reduces_as_pytorch(name, rng):
    extra = {"correction": 0} if name == "var" else {}
    same_as_torch(lambda t: getattr(t, name)(dim=-1, keepdim=True, **extra), np.array(0.7),
                  rng=rng)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std"])
@pytest.mark.parametrize("empty", [(), []])
def test_pytorch_s_empty_dim_reduces_every_axis_and_numpy_s_empty_axis_none(name, empty, rng):
    # PyTorch: t.sum(dim=()) is t.sum(); it gave t back (numpy's axis=()), silently unreduced
    extra = {"correction": 1} if name in ("var", "std") else {}
    whole = {"ddof": 1} if name in ("var", "std") else {}
    x = t64(sample("distinct", (2, 3), rng))
    f = lambda t: getattr(t, name)(dim=empty, **extra)  # noqa: E731
    np.testing.assert_allclose(f(x).data, getattr(x, name)(**whole).data, rtol=1e-15)
    assert getattr(x, name)(dim=empty, keepdim=True, **extra).shape == (1, 1)
    assert gradcheck(f, x)
    if name in ("sum", "mean"):
        np.testing.assert_array_equal(getattr(x, name)(axis=empty).data, x.data)
