"""autograd.special.entr (-x ln x) and xlog1py (x ln(1 + y)): values and both slopes against
PyTorch, including its choices at x = 0 and off the domain; first and second derivatives against
central differences, broadcast, 0-d and batch-1."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, special

from special_helpers import check_derivatives
from torch_helpers import needs_torch, torch


def test_values_at_the_edges():
    x = Tensor([0.0, -0.0, 0.5, -1.0, np.inf, np.nan], dtype=np.float64)
    out = special.entr(x).data
    assert out[:2].tolist() == [0.0, 0.0] and out[2] == pytest.approx(0.5 * np.log(2))
    assert out[3] == -np.inf and out[4] == -np.inf and np.isnan(out[5])
    y = special.xlog1py(Tensor([0.0, 0.0, 2.0, 1e-3], dtype=np.float64),
                        Tensor([-1.0, np.nan, 1e-20, 0.5], dtype=np.float64)).data
    assert y[0] == 0.0 and np.isnan(y[1]) and y[2] == 2e-20
    assert y[3] == pytest.approx(1e-3 * np.log(1.5), rel=1e-15)


@needs_torch
def test_values_and_slopes_against_pytorch():
    x = np.array([0.0, 0.0, 0.0, 2.0, 0.3, -0.5, 1e-300, 7.0])
    y = np.array([-1.0, -2.0, 0.5, -1.0, 1e-18, 3.0, 0.2, -0.9])
    for dtype in (np.float64, np.float32):
        tx = torch.tensor(x.astype(dtype), requires_grad=True)
        ty = torch.tensor(y.astype(dtype), requires_grad=True)
        want = torch.special.xlog1py(tx, ty)
        gx, gy = torch.autograd.grad(want, (tx, ty), torch.ones_like(want))
        ox, oy = Tensor(x.astype(dtype), requires_grad=True), Tensor(y.astype(dtype),
                                                                     requires_grad=True)
        got = special.xlog1py(ox, oy)
        got.backward(np.ones(8, dtype))
        assert got.dtype == dtype
        np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-6 if dtype ==
                                   np.float32 else 1e-15)
        np.testing.assert_allclose(ox.grad, gx.numpy(), rtol=1e-6)
        np.testing.assert_allclose(oy.grad, gy.numpy(), rtol=1e-6)
        tx = torch.tensor(x.astype(dtype), requires_grad=True)
        want = torch.special.entr(tx)
        (g,) = torch.autograd.grad(want, tx, torch.ones_like(want))
        ox = Tensor(x.astype(dtype), requires_grad=True)
        got = special.entr(ox)
        got.backward(np.ones(8, dtype))
        np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(ox.grad, g.numpy(), rtol=1e-6)


def test_first_and_second_derivatives():
    check_derivatives(special.entr, np.array([1e-3, 0.2, 0.9, 3.0, 50.0]))
    y = Tensor(np.array([[0.5], [-0.3]]), dtype=np.float64)               # (2, 1) with (4,)
    check_derivatives(lambda u: special.xlog1py(u, y).sum(0), np.array([-1.0, 0.4, 2.0, 9.0]))
    x = Tensor(np.array([[0.5], [-0.3]]), dtype=np.float64)
    check_derivatives(lambda u: special.xlog1py(x, u).sum(0), np.array([-0.5, 0.4, 2.0, 9.0]))
    for shape in [(), (1,)]:
        a = Tensor(np.full(shape, 0.7), requires_grad=True)
        b = Tensor(np.full(shape, 0.2), requires_grad=True)
        special.xlog1py(a, b).sum().backward()
        assert a.grad.shape == b.grad.shape == shape
        assert float(np.sum(b.grad)) == pytest.approx(0.7 / 1.2, rel=1e-15)


def test_numbers_take_the_tensor_dtype():
    assert special.xlog1py(2.0, Tensor([1.0], dtype=np.float64)).dtype == np.float64
    assert special.xlog1py(Tensor([1.0], dtype=np.float32), 2).dtype == np.float32
    assert special.entr(Tensor([1, 2])).dtype == np.float32                 # int: the default
