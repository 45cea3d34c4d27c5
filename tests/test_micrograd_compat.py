"""micrograd compatibility: micrograd's own two engine tests (test/test_engine.py) with their
expected numbers hard-coded (no torch), a cross-check against the `micrograd` package when it is
installed, and the HIPS autograd anchor d tanh/dx at 1."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, Value, grad

try:
    import micrograd.engine as mg
except ImportError:                                  # optional: the golden values always run
    mg = None


def sanity_expression(V):
    """micrograd's test_sanity_check, for any Value class V."""
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return (x,), y, (z, q, h)


def more_ops_expression(V):
    """micrograd's test_more_ops, for any Value class V."""
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    return (a, b), g, (c, d, e, f)


def test_sanity_check_golden():
    """By hand at x = -4: z = 3x + 2 = -10, q = relu(z) + zx = 40, h = z² = 100,
    y = h + q + qx = -20; dz/dx = 3, dh/dx = 2z·3 = -60, dq/dx = 0 + (3x + z) = -22,
    dy/dx = -60 - 22 + (-22·x + q) = 46."""
    (x,), y, (z, q, h) = sanity_expression(Value)
    y.backward()
    assert (z.data, q.data, h.data, y.data) == (-10.0, 40.0, 100.0, -20.0)
    assert x.grad == 46.0


def test_more_ops_golden():
    """micrograd's (PyTorch-verified) numbers: g = 24.7041, dg/da = 138.8338,
    dg/db = 645.5773 to 4 decimals."""
    (a, b), g, _ = more_ops_expression(Value)
    g.backward()
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773


@pytest.mark.skipif(mg is None, reason="micrograd not installed (optional cross-check; "
                                       "golden values are tested above)")
@pytest.mark.parametrize("expression", [sanity_expression, more_ops_expression])
def test_cross_check_with_micrograd(expression):
    """Forward values bit-identical to micrograd's (every intermediate), leaf gradients equal
    to 1e-12 relative."""
    ours_in, ours_out, ours_mid = expression(Value)
    theirs_in, theirs_out, theirs_mid = expression(mg.Value)
    for o, t in zip(ours_mid + (ours_out,), theirs_mid + (theirs_out,)):
        assert o.data == t.data and math.copysign(1, o.data) == math.copysign(1, t.data)
    ours_out.backward()
    theirs_out.backward()
    for o, t in zip(ours_in, theirs_in):
        assert o.grad == pytest.approx(t.grad, rel=1e-12, abs=0)


def test_hips_tanh_anchor_value():
    """HIPS autograd's README example: d tanh/dx at 1.0 = 0.419974341614026."""
    x = Value(1.0)
    x.tanh().backward()
    assert x.grad == pytest.approx(0.419974341614026, abs=1e-12)
    assert grad(lambda v: v.tanh())(1.0) == pytest.approx(0.419974341614026, abs=1e-12)


def test_hips_tanh_anchor_tensor():
    """The same anchor on a float64 Tensor (0-d and 1-d)."""
    x = Tensor(np.float64(1.0), requires_grad=True)
    x.tanh().backward()
    assert float(x.grad) == pytest.approx(0.419974341614026, abs=1e-12)
    v = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    v.tanh().sum().backward()
    np.testing.assert_allclose(v.grad, 0.419974341614026, rtol=0, atol=1e-12)


def test_micrograd_style_attributes():
    """micrograd code reads .data, .grad and walks ._prev; those exist with micrograd's
    meaning (payload float, gradient float starting at 0, the operands)."""
    a, b = Value(1.0), Value(2.0)
    c = a * b
    assert c._prev == (a, b) and c.grad == 0.0 and c.data == 2.0


def test_relu_of_a_negative_zero_is_micrograds():
    """micrograd's relu is `0 if x < 0 else x`: a -0.0 (0.0 * -1, a product with a zero input)
    passes as it is, and prints as -0.0; NaN passes too. Its slope there is 0."""
    x = Value(0.0)
    y = (x * -1).relu()
    assert y.data == 0.0 and math.copysign(1, y.data) == -1.0
    y.backward()
    assert x.grad == 0.0
    assert math.isnan(Value(math.nan).relu().data) and Value(-2.5).relu().data == 0.0
    assert math.copysign(1, Value(-3.0).relu().data) == 1.0 and Value(1.5).relu().data == 1.5
