"""Second derivatives of the Tensor ops that no other file checks to second order, one row per
op (the row's name is the op, or the function or method that reaches it): Hessian-vector
products by grad of grad and by backward() of a recorded gradient, against central finite
differences of the gradient in float64 (tests/second_order_helpers.py), with a batch-1 or a
broadcast row where the op has batches or broadcasts. The losses, layers and models of `nn`
are in tests/test_second_order_nn.py.

Where the other ops' second derivatives are checked (every class of autograd/ops/):

    arithmetic, exp log sqrt tanh sigmoid relu leaky_relu softplus clamped_log hardswish
    smooth_l1 huber abs clip maximum minimum where xlogy logit sin cos, the trig ops, erf,
    erfc, logaddexp, sum mean max var std, cumprod, logcumsumexp, softmax log_softmax
    logsumexp, matmul, linear, cross_entropy, getitem, concatenate stack, broadcast_to
    transpose, astype                               test_higher_order.py (SECOND_ORDER_TENSOR)
    binary_cross_entropy (+ with logits)            test_higher_order.py, test_losses.py
    elu selu celu and the other activations         test_activations.py
    gelu gelu_tanh normal_cdf                       test_gelu.py
    lgamma digamma polygamma erfinv sinc mvlgamma   test_special.py
    remainder fmod lerp frac atan2 hypot ...        test_tensor_torch_math.py
    prod (with zeros)                               test_tensor_torch_reduce.py
    index_put (t[i] = v)                            test_tensor_setitem_graph.py
    conv2d conv_transpose2d pad; conv3d ...         test_conv.py, test_conv3d.py, test_pad_modes.py
    unfold fold; max_pool*, pool_scatter/gather     test_fold.py, test_pool.py
    max_unpool, unpool_gather                       test_pool_indices.py
    resample (interpolate), resample_adjoint        test_resampling.py
    layer_norm, batch_norm; group/instance, rms     test_layernorm.py, test_batchnorm_op.py,
                                                    test_groupnorm.py, test_rmsnorm.py
    gru_step lstm_*_state; *_sequence               test_recurrent_ops.py,
                                                    test_recurrent_sequence_ops.py
    scaled_dot_product_attention                    test_attention.py
    solve, inv, det, slogdet, cholesky, eigh, svd,  test_linalg*.py (det at a singular matrix:
    qr, pinv, lstsq, matrix_exp, matrix_norm ...    refused, test_linalg_decompositions.py)
    cov corrcoef                                    test_covariance.py
    ctc_loss                                        refused: test_ctc.py (and _nn here)
    tanh_backward (tanh's rule on tensors)          here, and test_pinn.py (third order)
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import autograd
import autograd.linalg as LA
from autograd import Function, Tensor
from autograd.ops.elementwise import tanh_slope_times

from conftest import sample
from second_order_helpers import check_hessian_vector_products, check_row

MASK = np.array([[True, False, True], [False, True, True]])
INDEX = np.array([[0, 2, 2], [1, 1, 0]])


def _eye(n: int, scale: float) -> Tensor:
    return Tensor(np.eye(n) * scale)


# (name, f, input shapes, domain: one for all inputs or one per input)
ROWS = [
    # -- elementwise and the number-folding arithmetic ----------------------------------------
    ("log2", lambda x: x.log2(), [(2, 3)], "pos"),
    ("log10", lambda x: x.log10(), [(2, 3)], "pos"),
    ("log1p", lambda x: x.log1p(), [(2, 3)], "pos"),
    ("expm1", lambda x: x.expm1(), [(2, 3)], "real"),
    ("exp2", lambda x: x.exp2(), [(2, 3)], "real"),
    ("add_const_sub_const", lambda x: ((x + 2.5) * (x - 0.5)) ** 2, [(2, 3)], "real"),
    ("div_const", lambda x: (x / 3.0) ** 3, [(2, 3)], "real"),
    ("const_div", lambda x: 3.0 / x, [(2, 3)], "pos"),
    ("reciprocal_rsqrt", lambda x: x.reciprocal() * x.rsqrt(), [(2, 3)], "pos"),
    ("float_power_square", lambda x: x.float_power(3) * x.square(), [(2, 3)], "real"),
    ("logaddexp2_broadcast", lambda a, b: a.logaddexp2(b), [(2, 1), (3,)], "real"),
    ("copysign_times_x", lambda a, b: a.copysign(b) * a, [(2, 3), (3,)], "nonzero"),
    ("fmax_fmin", lambda a, b: a.fmax(b) * a + a.fmin(b) ** 3, [(2, 3), (2, 3)], "distinct"),
    ("clamp_tensor_bounds", lambda x, low: x.clamp(min=low) * x, [(2, 3), (3,)], "distinct"),
    ("deg2rad_sin", lambda x: x.deg2rad().sin() * 30.0, [(2, 3)], "real"),
    ("nan_to_num", lambda x: x.nan_to_num() ** 3, [(2, 3)], "real"),
    # -- reductions and scans ------------------------------------------------------------------
    ("cumsum", lambda x: x.cumsum(1) * x, [(2, 3)], "real"),
    ("min_axis", lambda x: x.min(axis=1, keepdims=True) * x, [(2, 3)], "distinct"),
    ("amax_amin", lambda x: x.amax(1) ** 3 * x.amin(0).sum(), [(2, 3)], "distinct"),
    ("median", lambda x: x.median() * x, [(5,)], "distinct"),
    ("median_dim", lambda x: x.median(1)[0] ** 3, [(2, 3)], "distinct"),
    ("nanmedian", lambda x: x.nanmedian() * x, [(5,)], "distinct"),
    ("kthvalue", lambda x: x.kthvalue(2)[0] * x, [(6,)], "distinct"),
    ("mode", lambda x: (x * Tensor([1.0, 1, 0, 1, 0, 1])).mode()[0] * x, [(6,)], "distinct"),
    ("quantile_dim", lambda x: x.quantile(0.4, dim=1) ** 3, [(2, 3)], "distinct"),
    ("nansum_nanmean", lambda x: x.nansum() * x.nanmean() * x, [(2, 3)], "real"),
    ("prod_axis", lambda x: x.prod(1), [(2, 3)], "real"),
    ("cummax_cummin", lambda x: x.cummax(0)[0] * x + x.cummin(0)[0] ** 3, [(6,)], "distinct"),
    ("sort", lambda x: x.sort()[0] * x, [(6,)], "distinct"),
    ("topk", lambda x: x.topk(2)[0] ** 3, [(2, 3)], "distinct"),
    ("norm_2_dim", lambda x: x.norm(dim=1), [(2, 3)], "nonzero"),
    ("vector_norm_p3", lambda x: LA.vector_norm(x, 3, dim=1), [(2, 3)], "nonzero"),
    ("vector_norm_p0.5", lambda x: LA.vector_norm(x, 0.5), [(6,)], "nonzero"),
    ("vector_norm_inf", lambda x: LA.vector_norm(x, float("inf")) * x, [(6,)], "distinct"),
    ("norm_batch1", lambda x: x.norm(dim=-1, keepdim=True) * x, [(1, 3)], "nonzero"),
    # -- indexing and shapes -------------------------------------------------------------------
    ("scatter_add", lambda t, s: t.scatter_add(0, np.array([0, 2, 2, 1, 3, 0]), s) * t.sum(),
     [(4,), (6,)], "real"),
    ("scatter", lambda t, s: t.scatter(1, np.array([[2], [0]]), s) ** 3, [(2, 3), (2, 1)],
     "real"),
    ("index_add", lambda t, s: t.index_add(0, np.array([1, 1]), s) * t, [(2, 2), (2, 2)],
     "real"),
    ("index_select", lambda x: x.index_select(1, np.array([2, 2, 0])) ** 3, [(2, 3)], "real"),
    ("gather", lambda x: x.gather(1, INDEX) ** 3, [(2, 3)], "real"),
    ("take_along_dim", lambda x: x.take_along_dim(np.array([[1], [2]]), 1) ** 3, [(2, 3)],
     "real"),
    ("masked_fill", lambda x: x.masked_fill(MASK, 0.5) ** 3, [(2, 3)], "real"),
    ("masked_select", lambda x: x.masked_select(MASK) ** 3, [(2, 3)], "real"),
    ("roll", lambda x: x.roll(2) * x, [(6,)], "real"),
    ("roll_dims", lambda x: x.roll((1, -1), (0, 1)) * x, [(2, 3)], "real"),
    ("flip_tril_triu_rot90", lambda x: x.tril(-1).flip(0).rot90() ** 3 + x.triu() ** 2,
     [(3, 3)], "real"),
    ("repeat_expand", lambda x: x.repeat(1, 3) ** 3 * x.expand(2, 3), [(2, 1)], "real"),
    ("repeat_interleave", lambda x: x.repeat_interleave(2) ** 3, [(4,)], "real"),
    ("chunk_unbind", lambda x: x.chunk(2, 1)[1] ** 3 * x.unbind(1)[0].reshape(2, 1),
     [(2, 4)], "real"),
    ("diagonal_trace", lambda x: x.diagonal() ** 3 * x.trace(), [(3, 3)], "real"),
    ("embedding_lookup", lambda w: autograd.functional.embedding(INDEX, w) ** 3, [(3, 2)],
     "real"),
    # -- products and linear algebra -----------------------------------------------------------
    ("einsum", lambda a, b: autograd.einsum("ij,jk->ik", a, b) ** 2, [(2, 3), (3, 2)], "real"),
    ("einsum_batch_broadcast", lambda a, b: autograd.einsum("bij,jk->bik", a, b).tanh(),
     [(1, 2, 3), (3, 2)], "real"),
    ("kron", lambda a, b: autograd.kron(a, b) ** 2, [(2, 2), (2, 2)], "real"),
    ("cross", lambda a, b: LA.cross(a, b) ** 2, [(2, 3), (1, 3)], "real"),
    ("multi_dot", lambda a, b, c: LA.multi_dot([a, b, c]) ** 2, [(1, 2), (2, 2), (2, 1)],
     "real"),
    ("outer_mv_mm_dot", lambda a, b, m: a.outer(b).mm(m).mv(a) * a.dot(b), [(2,), (2,), (2, 2)],
     "real"),
    ("bmm", lambda a, b: a.bmm(b) ** 2, [(2, 2, 3), (2, 3, 2)], "real"),
    ("matmul_broadcast", lambda a, b: (a @ b).tanh(), [(2, 1, 2, 3), (2, 3, 2)], "real"),
    ("solve_broadcast", lambda a, b: LA.solve(a + _eye(2, 4.0), b) ** 2, [(2, 2, 2), (2, 1)],
     "real"),
    ("solve_triangular", lambda a, b: LA.solve_triangular(a.tril() + _eye(3, 4.0), b,
                                                          upper=False) ** 2,
     [(3, 3), (3, 2)], "real"),
    ("cholesky_solve", lambda b, a: LA.cholesky_solve(b, LA.cholesky(a @ a.T + _eye(3, 1.0))),
     [(3, 1), (3, 3)], "real"),
    ("eigvalsh", lambda a: LA.eigvalsh(a + a.T) ** 2, [(3, 3)], "real"),
    ("svdvals", lambda a: LA.svdvals(a), [(3, 2)], "real"),
    ("cond_fro", lambda a: LA.cond(a + _eye(2, 3.0), "fro"), [(2, 2)], "real"),
    ("logdet_inverse", lambda a: (a @ a.T + _eye(2, 1.0)).logdet() * (a + _eye(2, 3.0)).inverse(),
     [(2, 2)], "real"),
    ("det_batch", lambda a: LA.det(a) * a[:, 0, 0], [(2, 2, 2)], "real"),
    ("matrix_exp_batch1", lambda a: LA.matrix_exp(a * 0.5), [(1, 3, 3)], "real"),
    ("matrix_power_negative", lambda a: LA.matrix_power(a + _eye(2, 3.0), -2), [(2, 2)], "real"),
    ("cdist_p1", lambda a, b: autograd.cdist(a, b, 1) * a[:, :1], [(3, 2), (2, 2)], "distinct"),
    ("cdist_p2", lambda a, b: autograd.cdist(a, b) ** 3, [(3, 2), (2, 2)], "distinct"),
    ("cdist_inf", lambda a, b: autograd.cdist(a, b, float("inf")) * a[:, :1], [(3, 2), (2, 2)],
     "distinct"),
    ("tanh_backward", lambda g, out: tanh_slope_times(g, out) * out, [(3, 2), (3, 2)], "real"),
]


@pytest.mark.parametrize("f, shapes, domain", [pytest.param(f, s, d, id=name)
                                               for name, f, s, d in ROWS])
def test_hessian_vector_products_match_finite_differences(f, shapes, domain, rng):
    check_row(f, shapes, domain, rng)


def test_the_rows_name_each_op_once():
    names = [row[0] for row in ROWS]
    assert len(names) == len(set(names))


class _CubeWithASavedSlope(Function):
    """x³ whose backward multiplies by 3x² kept from forward: right to first order, but the
    second pass takes the slope as a constant (the mistake these rows look for)."""

    def forward(ctx, x):
        ctx.slope = 3 * x * x
        return x ** 3

    def backward(ctx, g, out, x):
        return (g * ctx.slope,)


def test_the_check_catches_a_slope_taken_as_a_constant(rng):
    x = sample("nonzero", (3,), rng)
    cube = lambda t: _CubeWithASavedSlope.apply(t, ctx=SimpleNamespace())     # noqa: E731
    with pytest.raises(AssertionError, match="depends on no input, so H v is 0"):
        check_hessian_vector_products(cube, [x], rng)
    with pytest.raises(AssertionError, match="grad of grad"):       # (a term of it kept)
        check_hessian_vector_products(lambda t: cube(t) + t ** 3, [x], rng)
    check_hessian_vector_products(lambda t: t ** 3, [x], rng)
