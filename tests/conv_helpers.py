"""What the convolution path tests share: conv2d's output and its three gradients (x, weight,
bias) against live PyTorch from the same numbers, float32 or float64 (the tests that use it are
marked `needs_torch`, from torch_helpers: skipped, with the reason, where torch is missing)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd import functional as F

from torch_helpers import torch


def assert_conv2d_matches_pytorch(rng: np.random.Generator, xs: tuple, ws: tuple, dtype: Any,
                                  **settings: Any) -> None:
    """F.conv2d(x, w, b, **settings) and torch's on the same random x (xs), w (ws) and b, then
    backward from one random upstream gradient: values and gradients agree (float32 to 1e-4,
    float64 to 1e-10) and keep the dtype."""
    arrays = [rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])]
    ours = [Tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    y = F.conv2d(*ours, **settings)
    expected = torch.nn.functional.conv2d(*theirs, **settings)
    upstream = rng.normal(size=y.shape).astype(dtype)
    y.backward(upstream)
    expected.backward(torch.tensor(upstream))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, expected.detach().numpy(), **tol)
    for a, b in zip(ours, theirs):
        assert a.grad.dtype == dtype
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **tol)
