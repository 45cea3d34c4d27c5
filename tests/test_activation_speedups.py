"""The s31 speed-ups of the smooth activations keep their numbers: autograd.ops.blocks.in_blocks
and the ops that run over cache-sized blocks with it (the same numbers as one block, across
block edges, for non-contiguous, 0-d and batch-1 inputs; the slope kept from the forward equals
the one computed again), glu as one op, softplus's saved e^-|x|."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor
from autograd.graph import apply
from autograd.ops import Gelu, GeluTanh
from autograd.ops.blocks import BLOCK, in_blocks
from autograd.ops.gelu import SavedCdf
from nn import functional as F


def test_in_blocks_puts_the_parts_together_in_order_and_skips_outputs_not_asked_for():
    x = np.arange(10.0).reshape(2, 5)[:, ::2]            # (non-contiguous)
    doubled, skipped, cast = in_blocks(lambda p: (p * 2, None, p + 1), (x,),
                                       (np.float64, None, np.float32), block=4)
    np.testing.assert_array_equal(doubled, x * 2)
    assert skipped is None and cast.dtype == np.float32 and cast.shape == (2, 3)
    both = in_blocks(lambda a, b: (a - b,), (x, x.T.T + 1), (np.float64,), block=2)[0]
    np.testing.assert_array_equal(both, -np.ones((2, 3)))
    zero_d = in_blocks(lambda p: (p * 3,), (np.array(2.0),), (np.float64,))[0]
    assert zero_d.shape == () and zero_d == 6.0


@pytest.mark.parametrize("op", [Gelu, GeluTanh])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_blocked_ops_give_the_one_block_numbers_across_block_edges(rng, op, dtype):
    """An array of 2.5 blocks against the same numbers computed in one block each (a block
    is the whole array below BLOCK elements): outputs and slopes bit for bit, the slope kept
    from the forward (ctx) or computed again (no ctx)."""
    x = (rng.normal(0.0, 3.0, BLOCK * 5 // 2) * rng.choice([1.0, 1e-3], BLOCK * 5 // 2))
    x = np.concatenate([x, [0.0, -0.0, np.inf, -np.inf, np.nan, -1000.0, 1000.0]]).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    pieces = [x[i:i + BLOCK // 2] for i in range(0, x.size, BLOCK // 2)]
    for ctx in (SavedCdf(), None):
        t = Tensor(x, requires_grad=True)
        y = apply(op, (t,), ctx)
        y.backward(g)
        want_y, want_g = [], []
        for i, piece in enumerate(pieces):
            p = Tensor(piece, requires_grad=True)
            q = apply(op, (p,), SavedCdf())
            q.backward(g[i * (BLOCK // 2):(i + 1) * (BLOCK // 2)])
            want_y.append(q.data)
            want_g.append(p.grad)
        np.testing.assert_array_equal(y.data, np.concatenate(want_y))
        np.testing.assert_array_equal(t.grad, np.concatenate(want_g))
        assert y.dtype == t.grad.dtype == dtype


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_of_non_contiguous_0d_and_batch_1_inputs(rng, approximate):
    x = rng.normal(0.0, 2.0, (3, BLOCK // 2, 2)).astype(np.float32)
    for view in (x[:, :, 0], x.transpose(2, 1, 0), x[:1], np.array(-0.75, np.float32)):
        t = Tensor(view, requires_grad=True)
        y = F.gelu(t, approximate)
        y.backward(np.ones(np.shape(view), np.float32))
        c = Tensor(np.array(view, order="C"), requires_grad=True)
        z = F.gelu(c, approximate)
        z.backward(np.ones(np.shape(view), np.float32))
        np.testing.assert_array_equal(y.data, z.data)
        np.testing.assert_array_equal(t.grad, c.grad)
        assert y.shape == t.grad.shape == np.shape(view)


# ----------------------------------------------------------------------------------------------
# glu as one op (autograd.ops.glu): the numbers of a · σ(b) built from getitems, bit for bit
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, dim", [((4, 6), -1), ((4, 6), 0), ((2, 8, 3), 1), ((1, 2), 1)])
def test_glu_op_gives_the_composed_numbers(rng, dtype, shape, dim):
    x = rng.normal(0.0, 4.0, shape).astype(dtype)
    x.flat[0] = 1000.0
    g = rng.normal(size=F.glu(Tensor(x), dim).shape).astype(dtype)
    fused, composed = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    y = F.glu(fused, dim)
    y.backward(g)
    n = shape[dim] // 2
    a, b = (composed[(slice(None),) * (dim % len(shape)) + (s,)]
            for s in (slice(0, n), slice(n, None)))
    z = a * b.sigmoid()
    z.backward(g)
    np.testing.assert_array_equal(y.data, z.data)
    np.testing.assert_array_equal(fused.grad, composed.grad)
    assert y.dtype == fused.grad.dtype == dtype


def test_glu_of_a_non_contiguous_input_and_its_second_derivative(rng):
    from autograd import gradcheck, grad
    x = rng.normal(size=(6, 4)).T                       # (4, 6), transposed
    assert gradcheck(lambda t: F.glu(t, 1) * 1.5, Tensor(x, requires_grad=True))
    slope = grad(lambda t: (F.glu(t, 0) ** 2).sum())
    assert gradcheck(lambda t: slope(t) * 1.0, Tensor(x.copy(), requires_grad=True))


# ----------------------------------------------------------------------------------------------
# Softplus keeps e^-|x| for its backward (softplus, logsigmoid, mish)
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_slope_from_the_saved_exp_is_the_one_computed_again(rng, dtype):
    from autograd.ops.elementwise import SavedExp, Softplus
    x = np.concatenate([rng.normal(0.0, 5.0, 1000), [0.0, -0.0, 1000.0, -1000.0, 30.0]])
    x = x.astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    grads = []
    for ctx in (SavedExp(), None):
        t = Tensor(x, requires_grad=True)
        apply(Softplus, (t,), ctx).backward(g)
        grads.append(t.grad)
    np.testing.assert_array_equal(grads[0], grads[1])
    zero_d = Tensor(np.array(-0.5, dtype), requires_grad=True)
    y = F.softplus(zero_d)
    y.backward()
    assert zero_d.grad.shape == () and zero_d.grad.dtype == dtype


def test_softplus_logsigmoid_and_mish_keep_nothing_without_a_gradient():
    from autograd import no_grad
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    with no_grad():
        for f in (F.softplus, F.logsigmoid, F.mish):
            assert f(x).requires_grad is False
    for f in (F.softplus, F.logsigmoid, F.mish):
        assert f(Tensor(np.array([1.0, -2.0]))).requires_grad is False


# ----------------------------------------------------------------------------------------------
# silu as one op (Silu) keeping σ(x) for its backward
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_silu_op_with_and_without_its_saved_sigmoid_and_against_float64(rng, dtype):
    from autograd.ops.elementwise import SavedSigmoid, Silu
    x = np.concatenate([rng.normal(0.0, 5.0, 20_000), [0.0, -0.0, 1000.0, -1000.0, 1e-30]])
    x = x.astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    grads = []
    for ctx in (SavedSigmoid(), None):
        t = Tensor(x, requires_grad=True)
        y = apply(Silu, (t,), ctx)
        y.backward(g)
        grads.append(t.grad)
    np.testing.assert_array_equal(grads[0], grads[1])
    wide = Tensor(x.astype(np.float64), requires_grad=True)
    F.silu(wide).backward(g.astype(np.float64))
    # a few roundings in x's dtype: within 4 ulps of the float64 numbers (and of PyTorch's)
    tol = 4 * np.finfo(dtype).eps
    with np.errstate(over="ignore"):                    # (e^1000: the formula's 1000 / inf)
        exact = x.astype(np.float64) / (1 + np.exp(-x.astype(np.float64)))
    np.testing.assert_allclose(y.data, exact.astype(dtype), rtol=tol, atol=1e-37)
    # the slope σ (1 + x (1 - σ)) has a zero at x ≈ -1.28, where its terms cancel: relative to
    # |g| there (as the composed x * x.sigmoid() was, measured alike)
    off = np.abs(grads[0].astype(np.float64) - wide.grad)
    assert (off <= tol * (np.abs(wide.grad) + np.abs(g))).all()


def test_silu_gradients_and_second_derivative_match_finite_differences(rng):
    from autograd import gradcheck, grad
    x = rng.uniform(0.2, 3.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    assert gradcheck(lambda t: F.silu(t) * 1.5, Tensor(x, requires_grad=True))
    slope = grad(lambda t: F.silu(t).sum())
    assert gradcheck(lambda t: slope(t * 1.0), Tensor(x.copy(), requires_grad=True))
    zero_d = Tensor(np.array(0.5), requires_grad=True)
    F.silu(zero_d).backward()
    assert zero_d.grad.shape == ()
