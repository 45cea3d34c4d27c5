"""`autograd.broadcast.unbroadcast`: a gradient summed back to the shape its input had before
broadcasting (the one place where broadcasting is undone)."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor
from autograd.broadcast import unbroadcast


def _reference(grad, shape):
    """Sum over everything broadcasting added, by brute force: the adjoint of np.broadcast_to."""
    out = np.zeros(shape)
    view = np.broadcast_to(np.arange(out.size).reshape(shape), grad.shape)
    np.add.at(out.reshape(-1), view.reshape(-1), grad.reshape(-1))
    return out


@pytest.mark.parametrize("gshape, shape", [
    ((2, 3, 4), (3, 4)),          # leading dims only (the bias case)
    ((5, 3), (3,)),
    ((3, 4), ()),                 # everything summed to a scalar
    ((3, 4), (3, 1)),             # size-1 axis
    ((3, 4), (1, 4)),
    ((2, 3, 4), (3, 1)),          # both: a leading dim and a size-1 axis
    ((2, 3, 4), (1, 1)),
    ((2, 3, 4), (2, 1, 4)),
    ((2, 3, 4), (1,)),
    ((4,), (1,)),
])
def test_sums_broadcast_axes(gshape, shape):
    """Each case equals the brute-force adjoint of broadcasting, with exactly `shape`."""
    g = np.random.default_rng(0).normal(size=gshape)
    out = unbroadcast(g, shape)
    assert np.shape(out) == shape
    np.testing.assert_allclose(out, _reference(g, shape), rtol=1e-13, atol=1e-13)


def test_docstring_example():
    """(2, 3, 4) of ones back to (3, 1): each element collects 2 * 4 = 8."""
    assert unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist() == [[8.0], [8.0], [8.0]]


def test_identity_returns_the_gradient_itself():
    """Same shape: nothing to sum, the very same object comes back (no copy)."""
    g = np.ones((3, 4))
    assert unbroadcast(g, (3, 4)) is g


def test_size_one_axes_that_were_not_broadcast_are_kept():
    """A (3, 1) input whose gradient is (2, 3, 1): only the leading axis is summed."""
    g = np.arange(6.0).reshape(2, 3, 1)
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), [[3.0], [5.0], [7.0]])


@pytest.mark.parametrize("gshape, shape", [
    ((3, 4), (5,)),               # mismatched trailing dim
    ((3, 4), (2, 4)),
    ((4,), (3, 4)),               # the input has more dims than the gradient
    ((3, 4), (4, 3)),
])
def test_incompatible_shapes_raise(gshape, shape):
    """A gradient that cannot come from broadcasting `shape` is a bug: ValueError naming both."""
    with pytest.raises(ValueError) as err:
        unbroadcast(np.ones(gshape), shape, "myop")
    msg = str(err.value)
    assert "myop" in msg and str(gshape) in msg and str(shape) in msg


def test_works_on_tensors():
    """Used by the higher-order pass too: a Tensor gradient comes back a Tensor."""
    g = Tensor(np.ones((2, 3, 4)))
    out = unbroadcast(g, (3, 1))
    assert isinstance(out, Tensor) and out.shape == (3, 1)
    np.testing.assert_array_equal(out.data, np.full((3, 1), 8.0))
