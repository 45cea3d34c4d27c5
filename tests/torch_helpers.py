"""PyTorch as a live reference for the Tensor methods that share its names: the same function
runs on glassgrad's float64 tensors and on PyTorch's, and values and gradients must agree.
Tests that use it are skipped, with the reason, where torch is not installed."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

from autograd import Tensor

try:
    import torch
except ImportError:                 # an optional cross-check: the tests say so and skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check against live torch: pip install torch)")


def same_as_torch(f: Callable, *arrays: np.ndarray, rng: np.random.Generator,
                  torch_f: Callable | None = None, rtol: float = 1e-12) -> Any:
    """f on float64 glassgrad tensors and (or `torch_f`) on float64 torch tensors: the values,
    and each input's gradient for one random upstream gradient, are equal (an input that gets
    no gradient on one side must get none, or zeros, on the other). Returns our output."""
    ours = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out, expected = f(*ours), (torch_f or f)(*theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=1e-12)
    assert out.shape == tuple(expected.shape) and out.dtype == np.float64
    if expected.requires_grad:
        upstream = rng.uniform(0.5, 1.5, out.shape)
        out.backward(upstream)
        expected.backward(torch.tensor(upstream))
        for x, t in zip(ours, theirs):
            want = np.zeros(x.shape) if t.grad is None else t.grad.numpy()
            got = np.zeros(x.shape) if x.grad is None else x.grad
            np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-12)
    return out


def assert_stepped_as_torch(ours: Any, theirs: Any) -> None:
    """After one optimizer step of the same model in both engines from the same weights: each
    parameter's gradient and new value agree with PyTorch's, matched by name (float32: the
    gradient to 1e-4 relative, or 1e-6 of its largest entry; the value to 1e-6)."""
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        t = torch_params[name]
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-4,
                                   atol=1e-6 * float(t.grad.abs().max()), err_msg=name)
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=0, atol=1e-6, err_msg=name)


def like(x: Any, data: Any, dtype: Any = None) -> Any:
    """`data` as a tensor of x's engine, glassgrad's or PyTorch's (an index, a mask, a constant
    beside x), for a test function that runs on both."""
    data = np.asarray(data, dtype=dtype)
    if torch is not None and isinstance(x, torch.Tensor):
        return torch.tensor(data)
    return Tensor(data)
