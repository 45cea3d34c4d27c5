"""What the linalg tests share: the finite-difference tolerance, the matrix transpose of an
array or a Tensor, and the check that a recorded (create_graph) gradient is the first-order one."""

from __future__ import annotations

import numpy as np

from autograd import grad
from conftest import t64

# float64 finite differences: central, eps = 1e-6, so truncation ~1e-12 and rounding ~1e-10
TIGHT = dict(atol=1e-8, rtol=1e-6)


def swap(x):
    """The last two axes swapped, of an array or a Tensor (ndarray.mT needs numpy 2; CI also
    runs 1.24)."""
    return x.swapaxes(-1, -2)


def assert_recorded_gradient_is_the_first_order_one(cost, A) -> None:
    """grad(cost) at A, recorded to be differentiated again, equals backward's gradient."""
    first = t64(A)
    cost(first).backward()
    recorded = grad(cost)(t64(A))
    assert recorded.requires_grad
    np.testing.assert_allclose(recorded.data, first.grad, rtol=1e-12, atol=1e-14)
