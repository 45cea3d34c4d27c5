"""Building and combining tensors (autograd/arrays.py): meshgrid, cartesian_prod, tensordot, cdist,
take_along_dim, rot90, tril_indices, triu_indices. Expected numbers are PyTorch 2.13's, asked by
hand. (Forward and gradient checks on several shapes are rows of tests/test_tensor_ops.py.)
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd
from autograd import (Tensor, cartesian_prod, cdist, gradcheck, meshgrid, tensordot,
                      tril_indices, triu_indices)

from conftest import t64


def test_meshgrid_ij_and_xy():
    a, b = Tensor([1, 2]), Tensor([3, 4, 5])
    rows, columns = meshgrid(a, b, indexing="ij")
    assert rows.tolist() == [[1, 1, 1], [2, 2, 2]] and columns.tolist() == [[3, 4, 5]] * 2
    xs, ys = meshgrid([a, b], indexing="xy")            # a list, as PyTorch takes too
    assert xs.tolist() == [[1, 2]] * 3 and ys.tolist() == [[3, 3], [4, 4], [5, 5]]
    assert [t.shape for t in meshgrid(a, b, Tensor([6, 7, 8, 9]), indexing="xy")] == [
        (3, 2, 4)] * 3


def test_meshgrid_gradient_sums_over_the_repeats():
    a, b = t64([1.0, 2.0]), t64([3.0, 4.0, 5.0])
    rows, columns = meshgrid(a, b)
    (rows * columns).sum().backward()
    assert a.grad.tolist() == [12.0, 12.0] and b.grad.tolist() == [3.0, 3.0, 3.0]


def test_cartesian_prod_lists_the_grid_as_itertools_product_does():
    a, b, c = Tensor([1, 2]), Tensor([3, 4, 5]), Tensor([6, 7])
    assert cartesian_prod(a, b).tolist() == [[1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5]]
    assert cartesian_prod(a, b, c).tolist() == [list(p) for p in itertools.product(
        [1, 2], [3, 4, 5], [6, 7])]
    assert cartesian_prod(a) is a                          # PyTorch's: the tensor itself
    assert cartesian_prod(a, b).dtype == np.int64
    assert cartesian_prod(Tensor(np.zeros(0, np.float32)), Tensor([1.0, 2.0])).shape == (0, 2)
    x, y = t64([0.5, -1.0], requires_grad=True), t64([2.0, 3.0, -0.5], requires_grad=True)
    assert gradcheck(lambda u, v: cartesian_prod(u, v) ** 2, (x, y))
    (autograd.cartesian_prod(x, y).prod(1)).sum().backward()      # Σ_ij x_i y_j
    assert x.grad.tolist() == [4.5, 4.5] and y.grad.tolist() == [-0.5, -0.5, -0.5]


@pytest.mark.parametrize("call, error, message", [
    (lambda: cartesian_prod(), ValueError,
     r"cartesian_prod: expects one or more 1-d tensors, got shapes \[\]"),
    (lambda: cartesian_prod(Tensor([[1, 2]]), Tensor([1])), ValueError,
     r"cartesian_prod: .* 1-d tensors, got shapes \[\(1, 2\), \(1,\)\]"),
    (lambda: cartesian_prod(Tensor([1, 2]), Tensor([1.0])), TypeError,
     r"cartesian_prod: .* one dtype, got \['int64', 'float32'\]; convert with \.to"),
])
def test_cartesian_prod_errors_name_it(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_tensordot_contracts_as_pytorch():
    a, b = t64(np.arange(24.0).reshape(2, 3, 4)), t64(np.arange(60.0).reshape(4, 3, 5))
    out = tensordot(a, b, dims=([1, 2], [1, 0]))
    np.testing.assert_array_equal(out.data, np.tensordot(a.data, b.data, ([1, 2], [1, 0])))
    out.sum().backward()
    # d/da[i, j, k] of the sum is Σ_n b[k, j, n], for every i
    np.testing.assert_array_equal(a.grad, np.broadcast_to(b.data.sum(2).T, (2, 3, 4)))
    assert tensordot(a, t64(np.ones((4, 5))), 1).shape == (2, 3, 5)
    assert tensordot(Tensor(2.0), Tensor(3.0), 0).item() == 6.0


@pytest.mark.parametrize("dims, message", [
    (1, r"tensordot: the axes \[1\] of shape \(2, 3\) and \[0\] of shape \(4, 5\) do not "
        r"match in size"),
    (3, r"tensordot: dims=3 must be from 0 to 2 for shapes \(2, 3\) and \(4, 5\)"),
    ("a", r"tensordot: dims must be an int or two lists of axes, got 'a'"),
    (([0], [5]), r"tensordot: dims must be an int or two lists of axes, got \(\[0\], \[5\]\)"),
])
def test_tensordot_errors_name_it_and_the_shapes(dims, message):
    with pytest.raises((ValueError, TypeError), match=message):
        tensordot(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5))), dims)


def test_cdist_values_and_slopes_where_two_rows_are_equal_are_pytorchs():
    """At distance 0 the slope is 0 (p = 2) and sign(0) = 0 (p = 1), as PyTorch's."""
    x2 = t64([[0.0, 0.0], [3.0, 4.0]], requires_grad=False)
    x1 = t64([[0.0, 0.0], [1.0, 1.0]])
    distances = cdist(x1, x2)
    np.testing.assert_allclose(distances.data, [[0.0, 5.0], [2 ** 0.5, 13 ** 0.5]], rtol=1e-15)
    distances.sum().backward()
    # row 1: (x1 - x2) / distance to each row of x2, summed (PyTorch: 0.1524, -0.1249)
    expected_row_1 = np.array([1.0, 1.0]) / 2 ** 0.5 + np.array([-2.0, -3.0]) / 13 ** 0.5
    np.testing.assert_allclose(x1.grad, [[-0.6, -0.8], expected_row_1], rtol=1e-15)
    x1 = t64([[0.0, 0.0], [1.0, 1.0]])
    cdist(x1, x2, p=1).sum().backward()
    assert x1.grad.tolist() == [[-1.0, -1.0], [0.0, 0.0]]
    assert cdist(Tensor(np.ones((2, 3, 4))), Tensor(np.ones((1, 5, 4)))).shape == (2, 3, 5)
    assert cdist(x1, x2, p=float("inf")).tolist() == [[0.0, 4.0], [1.0, 3.0]]


def test_cdist_by_a_matrix_product_as_pytorch_from_26_rows_is_0_with_slope_0_at_equal_rows():
    """PyTorch computes p = 2 as |a|² - 2 a·b + |b|² from 26 rows on a side (memory: no
    (P, R, M) array of differences); equal rows still give 0 and slope 0 there (not 1/0)."""
    x = t64(np.tile([[1.0, 2.0, 3.0]], (30, 1)))
    distances = cdist(x, x)
    assert (distances.data == 0).all()
    distances[0, 1].backward()
    assert (x.grad == 0).all()
    rows = np.random.default_rng(0).normal(size=(30, 3))
    np.testing.assert_allclose(cdist(Tensor(rows), Tensor(rows[:4] + 1.0)).data, cdist(
        Tensor(rows), Tensor(rows[:4] + 1.0), compute_mode="donot_use_mm_for_euclid_dist").data,
        rtol=1e-13)
    with pytest.raises(ValueError, match=r"cdist: compute_mode must be one of "
                                         r"use_mm_for_euclid_dist_if_necessary, .*got 'mm'"):
        cdist(x, x, compute_mode="mm")


@pytest.mark.parametrize("x1, x2, p, message", [
    ((1,), (1,), 2, r"cdist: expects x1 \(\.\.\., P, M\) and x2 \(\.\.\., R, M\) with the same "
                    r"M, got shapes \(1,\) and \(1,\)"),
    ((2, 3), (2, 4), 2, r"got shapes \(2, 3\) and \(2, 4\)"),
    ((2, 3), (2, 3), -1, r"cdist: p must be a number >= 0, got -1"),
    ((2, 2, 3), (3, 2, 3), 2, r"cdist: the batch axes of shapes \(2, 2, 3\) and \(3, 2, 3\) "
                              r"cannot be broadcast together"),
])
def test_cdist_errors_name_it_and_the_shapes(x1, x2, p, message):
    with pytest.raises(ValueError, match=message):
        cdist(Tensor(np.ones(x1)), Tensor(np.ones(x2)), p)


def test_take_along_dim_broadcasts_flattens_and_takes_negative_indices_as_pytorch():
    x = Tensor([[10, 30, 20], [60, 40, 50]])
    assert x.take_along_dim(Tensor([[0], [2]]), dim=1).tolist() == [[10], [50]]
    assert x.take_along_dim(Tensor([[0, 1]]), dim=1).tolist() == [[10, 30], [60, 40]]
    assert x.take_along_dim(Tensor([5, 0])).tolist() == [50, 10]
    assert x.take_along_dim(Tensor([[-1]]), 1).tolist() == [[20], [50]]
    assert autograd.take_along_dim(x, Tensor([[1, 0, 1]]), 0).tolist() == [[60, 30, 50]]
    y = t64([[1.0, 2.0], [3.0, 4.0]])
    y.take_along_dim(np.array([[1, 1]]), 1).sum().backward()       # broadcast over rows
    assert y.grad.tolist() == [[0.0, 2.0], [0.0, 2.0]]


@pytest.mark.parametrize("indices, dim, error, message", [
    ([[2]], 1, IndexError, r"take_along_dim: index 2 is out of range for dim 1 of length 2"),
    ([[-3]], 1, IndexError, r"take_along_dim: index -3 is out of range"),
    ([4], None, IndexError, r"take_along_dim: index 4 is out of range for dim None of length 4"),
    ([[0.0]], 1, TypeError, r"take_along_dim: the index must hold integers, got dtype float"),
    ([0], 1, ValueError, r"take_along_dim: the indices need as many dims as the tensor"),
    ([[0], [0], [0]], 1, ValueError, r"take_along_dim: the indices of shape \(3, 1\) do not "
                                     r"broadcast with the tensor's shape \(2, 2\) outside dim 1"),
])
def test_take_along_dim_errors_name_it(indices, dim, error, message):
    with pytest.raises(error, match=message):
        Tensor([[1, 2], [3, 4]]).take_along_dim(Tensor(indices), dim)


def test_rot90_turns_as_pytorch():
    x = Tensor([[1, 2], [3, 4]])
    assert x.rot90().tolist() == [[2, 4], [1, 3]]
    assert x.rot90(-1).tolist() == [[3, 1], [4, 2]] == x.rot90(3).tolist()
    assert x.rot90(2).tolist() == [[4, 3], [2, 1]] and x.rot90(4).tolist() == x.tolist()
    assert x.rot90(1, (1, 0)).tolist() == x.rot90(-1).tolist()
    assert autograd.rot90(Tensor(np.zeros((2, 3, 4))), 1, (0, 2)).shape == (4, 3, 2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: Tensor([1.0]).rot90(), ValueError,
     r"rot90: needs two dims of a tensor of at least 2 dims, got dims=\(0, 1\) for shape \(1,\)"),
    (lambda: Tensor(np.ones((2, 2))).rot90(1, (0, 0)), ValueError,
     r"rot90: dims must be two different axes, got \(0, 0\)"),
    (lambda: Tensor(np.ones((2, 2))).rot90(1.0), TypeError, r"rot90: k must be an int"),
    (lambda: Tensor(np.ones((2, 2))).rot90(1, (0, 2)), ValueError, r"rot90: axis 2 is out"),
])
def test_rot90_errors_name_it(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("row, col, offset, lower, upper", [
    (3, 4, 1, [[0, 0, 1, 1, 1, 2, 2, 2, 2], [0, 1, 0, 1, 2, 0, 1, 2, 3]],
     [[0, 0, 0, 1, 1, 2], [1, 2, 3, 2, 3, 3]]),
    (3, 3, -1, [[1, 2, 2], [0, 0, 1]], [[0, 0, 0, 1, 1, 1, 2, 2], [0, 1, 2, 0, 1, 2, 1, 2]]),
    (0, 0, 0, [[], []], [[], []]),
])
def test_triangle_indices_are_pytorchs(row, col, offset, lower, upper):
    assert tril_indices(row, col, offset).tolist() == lower
    assert triu_indices(row, col, offset).tolist() == upper
    assert tril_indices(row, col, offset).dtype == np.int64
    assert tril_indices(row, col).shape[0] == 2


def test_triangle_indices_refuse_negative_or_fractional_sizes():
    with pytest.raises(ValueError, match=r"tril_indices: row and col must be >= 0, got -1 and 2"):
        tril_indices(-1, 2)
    with pytest.raises(TypeError, match=r"triu_indices: row must be an int, got 2.0"):
        triu_indices(2.0, 2)
