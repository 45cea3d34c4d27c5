"""`torch.atleast_1d/2d/3d` after `import autograd as torch` (module functions, as PyTorch's:
reshapes, with its shapes, one tensor for one and a tuple for several or a list), their
gradients (finite differences and PyTorch), and the hint for `torch.quasirandom`."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import autograd as torch_like
from autograd import Tensor, gradcheck

from conftest import t64
from torch_helpers import needs_torch, torch

# input shape -> the shapes atleast_1d, atleast_2d and atleast_3d give (PyTorch's)
SHAPES = {(): [(1,), (1, 1), (1, 1, 1)],
          (5,): [(5,), (1, 5), (1, 5, 1)],
          (2, 3): [(2, 3), (2, 3), (2, 3, 1)],
          (2, 3, 4): [(2, 3, 4), (2, 3, 4), (2, 3, 4)],
          (1, 2, 3, 4): [(1, 2, 3, 4)] * 3,
          (0,): [(0,), (1, 0), (1, 0, 1)]}
FUNCTIONS = ["atleast_1d", "atleast_2d", "atleast_3d"]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_the_shapes_are_pytorchs_and_the_values_kept(shape):
    x = Tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))
    for name, want in zip(FUNCTIONS, SHAPES[shape]):
        y = getattr(torch_like, name)(x)
        assert isinstance(y, Tensor) and y.shape == want, name
        np.testing.assert_array_equal(y.data.reshape(-1), x.data.reshape(-1))
        if x.ndim >= int(name[-2]):
            assert y is x                   # as PyTorch: returned as it is


def test_several_tensors_or_a_list_give_a_tuple():
    a, b = Tensor(1.0), Tensor([1.0, 2.0])
    pair = torch_like.atleast_2d(a, b)
    assert isinstance(pair, tuple) and [t.shape for t in pair] == [(1, 1), (1, 2)]
    listed = torch_like.atleast_3d([a, b])
    assert isinstance(listed, tuple) and [t.shape for t in listed] == [(1, 1, 1), (1, 2, 1)]
    assert [t.shape for t in torch_like.atleast_1d((a,))] == [(1,)]
    assert torch_like.atleast_1d() == ()
    assert torch_like.atleast_1d(2.0).shape == (1,)          # a number is made a tensor
    assert "atleast_3d" in torch_like.atleast_3d.__doc__


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=str)
def test_gradients_flow_through_the_reshape(name, shape):
    rng = np.random.default_rng(1)
    x = t64(rng.normal(size=shape))
    f = getattr(torch_like, name)
    weights = rng.normal(size=f(x).shape)
    assert gradcheck(lambda u: (f(u) * weights).sum(), x)
    a, b = t64(rng.normal(size=shape)), t64(rng.normal(size=(4,)))
    assert gradcheck(lambda u, v: sum((t ** 2).sum() for t in f(u, v)), a, b)


@needs_torch
@pytest.mark.parametrize("name", FUNCTIONS)
def test_values_and_gradients_are_pytorchs(name):
    rng = np.random.default_rng(2)
    for shape in [(), (3,), (2, 3), (2, 1, 3)]:
        data = rng.normal(size=shape)
        ours, theirs = t64(data), torch.tensor(data, requires_grad=True)
        y, want = getattr(torch_like, name)(ours), getattr(torch, name)(theirs)
        assert y.shape == tuple(want.shape)
        np.testing.assert_array_equal(y.data, want.detach().numpy())
        upstream = rng.normal(size=y.shape)
        y.backward(upstream)
        want.backward(torch.tensor(upstream))
        np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_quasirandom_is_told_what_to_write_instead():
    with pytest.raises(AttributeError, match=r"torch\.quasirandom .*no quasi-random engine") \
            as caught:
        torch_like.quasirandom
    message = str(caught.value)
    assert "autograd.rand(n, d)" in message and "scipy.stats.qmc" in message
    assert "autograd.manual_seed" in message and "autograd.tensor(" in message


def test_what_the_quasirandom_hint_says_runs():
    autograd.manual_seed(0)
    assert autograd.rand(8, 3).shape == (8, 3)
    qmc = pytest.importorskip("scipy.stats.qmc", reason="scipy is not installed (the hint's "
                              "second way: pip install scipy)")
    points = autograd.tensor(qmc.Sobol(3, scramble=True, seed=0).random(8),
                             dtype=autograd.float32)
    assert points.shape == (8, 3) and points.dtype == np.float32
    assert ((points.data >= 0) & (points.data < 1)).all()
