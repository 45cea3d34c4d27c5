"""Every differentiable Tensor op, from ONE table.

Each row names an op, a function of Tensors, its numpy reference, the input domain of each
argument (see conftest.SAMPLERS: domains keep away from kinks, ties and poles) and the input
shapes to try. The same rows drive

* the forward check: value, shape and dtype equal numpy's (float64 inputs), and
* the gradient check: `autograd.gradcheck` (central finite differences in float64, output
  weighted by a random vector so that a whole vector-Jacobian product is checked), plus the
  gradient of every input having exactly that input's shape and dtype.

Adding an op means adding one row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import autograd
from autograd import Tensor, concatenate, gradcheck, matmul, stack, where
from autograd import functional as F
from autograd.graph import apply
from autograd.ops import ClampedLog, Hardswish, Huber, SmoothL1, Softplus, fused
from autograd.ops.elementwise import sign_of, step_of
from autograd.ops.payload_math import log_or_zero, power

from conftest import sample, strict, t64


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable                  # on Tensors
    ref: Callable                 # on float64 ndarrays
    domains: tuple                # one domain name per input
    shapes: tuple                 # tuples of input shapes, one tuple per case
    gc: dict = field(default_factory=dict)     # extra gradcheck tolerances, if the op needs them
    rtol: float = 1e-12           # forward tolerance against the numpy reference


def unary(name, fn, ref, domain="real", shapes=None, **kw):
    shapes = UNARY_SHAPES if shapes is None else shapes
    return Op(name, fn, ref, (domain,), tuple((s,) for s in shapes), **kw)


def binary(name, fn, ref, domains=("real", "real"), shapes=None, **kw):
    return Op(name, fn, ref, domains, tuple(BINARY_SHAPES if shapes is None else shapes), **kw)


UNARY_SHAPES = [(), (1,), (5,), (2, 3), (2, 3, 4)]
BINARY_SHAPES = [((), ()), ((1,), (3,)), ((4,), ()), ((3, 1), (4,)), ((2, 3), (2, 3)),
                 ((2, 1, 4), (3, 1))]
CONST = np.array([0.5, -1.25, 2.0])
COND = np.array([[True, False, True, True], [False, False, True, False],
                 [True, True, False, True]])
MASK = np.array([[True, False, True], [False, True, True]])
LABELS = np.array([2, 0, 1, 2])
CAUSAL = np.tril(np.ones((4, 4))) == 0           # attention's mask: True above the diagonal
MATRIX = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.75, -0.5, -2.0], [-1.25, 0.5, 1.0, 3.0]])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _leaky_relu(slope):
    return lambda a: np.where(a > 0, a, slope * a)


def _broadcast(f):
    """f of its input broadcast to (2, 3, 4) (a Tensor or, for the reference, an array): the
    gradient sums back to the input's shape."""
    return lambda a: f(a.broadcast_to((2, 3, 4)) if isinstance(a, Tensor)
                       else np.broadcast_to(a, (2, 3, 4)))


BROADCASTING = [(), (1,), (4,), (3, 1)]


def _hardswish(x):
    return x * np.clip(x + 3, 0, 6) / 6


def _smooth_l1(beta):
    return lambda d: np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)


def _huber(delta):
    return lambda d: np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    return x - _logsumexp(x, axis=axis, keepdims=True)


def _reduce(losses, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](losses)


def _ce_labels_ref(z, reduction):
    return _reduce(-_log_softmax(z, 1)[np.arange(len(z)), LABELS], reduction)


def _ce_probs_ref(z, t, reduction):
    return _reduce(-(t * _log_softmax(z, 1)).sum(axis=1), reduction)


OPS = [
    # -- arithmetic (broadcasting) ------------------------------------------------------------
    binary("add", lambda a, b: a + b, np.add),
    binary("sub", lambda a, b: a - b, np.subtract),
    binary("mul", lambda a, b: a * b, np.multiply),
    binary("div", lambda a, b: a / b, np.divide, ("real", "nonzero")),
    binary("pow_tensor", lambda a, b: a ** b, np.power, ("pos", "real")),
    binary("remainder", lambda a, b: a % b, np.remainder, ("real", "nonzero")),
    unary("mod_number", lambda a: a % 1.5, lambda a: np.remainder(a, 1.5)),
    unary("rmod_number", lambda a: 5.0 % a, lambda a: np.remainder(5.0, a), "nonzero"),
    unary("add_number", lambda a: a + 2.5, lambda a: a + 2.5),
    unary("radd_number", lambda a: 2.5 + a, lambda a: 2.5 + a),
    unary("rsub_number", lambda a: 1.5 - a, lambda a: 1.5 - a),
    unary("rmul_number", lambda a: 3.0 * a, lambda a: 3.0 * a),
    unary("rdiv_number", lambda a: 2.0 / a, lambda a: 2.0 / a, "nonzero"),
    unary("rpow_number", lambda a: 2.0 ** a, lambda a: np.power(2.0, a)),
    unary("radd_ndarray", lambda a: CONST + a, lambda a: CONST + a,
          shapes=[(3,), (2, 3)]),
    unary("mul_ndarray", lambda a: a * CONST, lambda a: a * CONST, shapes=[(), (2, 3)]),
    unary("pow_3", lambda a: a ** 3, lambda a: a ** 3),
    unary("pow_2.5", lambda a: a ** 2.5, lambda a: a ** 2.5, "pos"),
    unary("pow_-1.5", lambda a: a ** -1.5, lambda a: a ** -1.5, "pos"),
    unary("pow_0.5", lambda a: a ** 0.5, np.sqrt, "pos"),
    unary("pow_method_2", lambda a: a.pow(2), lambda a: a ** 2),
    # an exponent tensor that wants no gradient (PowBase): at a < 0 too, for whole exponents
    unary("pow_constant_tensor_exponent", lambda a: a ** Tensor(CONST), lambda a: a ** CONST,
          "pos", shapes=[(), (1,), (3,), (2, 3)]),
    unary("pow_constant_0d_tensor_exponent", lambda a: a ** Tensor(np.array(2.5)),
          lambda a: a ** 2.5, "pos", shapes=[(), (1, 3)]),
    unary("pow_whole_tensor_exponent_negative_base", lambda a: a ** Tensor(np.array([2.0, 3.0])),
          lambda a: a ** np.array([2.0, 3.0]), "nonzero", shapes=[(), (2,), (1, 2), (3, 2)]),
    binary("pow_method_tensor", lambda a, b: a.pow(b), np.power, ("pos", "real")),
    unary("neg", lambda a: -a, np.negative),
    # -- elementwise functions --------------------------------------------------------------
    unary("exp", lambda a: a.exp(), np.exp),
    unary("log", lambda a: a.log(), np.log, "pos"),
    unary("log10", lambda a: a.log10(), np.log10, "pos"),
    unary("sqrt", lambda a: a.sqrt(), np.sqrt, "pos"),
    unary("abs", lambda a: abs(a), np.abs, "nonzero"),
    unary("tanh", lambda a: a.tanh(), np.tanh),
    unary("sigmoid", lambda a: a.sigmoid(), _sigmoid),
    unary("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), "nonzero"),
    unary("abs_method", lambda a: a.abs(), np.abs, "nonzero", shapes=[(), (2, 3)]),
    unary("sin", lambda a: a.sin(), np.sin),
    unary("cos", lambda a: a.cos(), np.cos),
    binary("sin_times_cos", lambda a, b: a.sin() * b.cos(), lambda a, b: np.sin(a) * np.cos(b)),
    # the trigonometric and hyperbolic functions beyond sin and cos, and erf (tan away from its
    # poles at ±π/2)
    unary("tan", lambda a: a.tan(), np.tan, "unit"),
    unary("asin", lambda a: a.asin(), np.arcsin, "unit"),
    unary("acos", lambda a: a.acos(), np.arccos, "unit"),
    unary("atan", lambda a: a.atan(), np.arctan),
    unary("sinh", lambda a: a.sinh(), np.sinh),
    unary("cosh", lambda a: a.cosh(), np.cosh),
    unary("asinh", lambda a: a.asinh(), np.arcsinh),
    unary("acosh", lambda a: a.acosh(), np.arccosh, "above_one"),
    unary("atanh", lambda a: a.atanh(), np.arctanh, "unit"),
    unary("erf", lambda a: a.erf(), np.vectorize(math.erf, otypes=[float]), rtol=1e-14),
    unary("erfc", lambda a: a.erfc(), np.vectorize(math.erfc, otypes=[float]), rtol=1e-14),
    unary("asin_broadcast", _broadcast(lambda a: a.asin()), _broadcast(np.arcsin), "unit",
          shapes=BROADCASTING),
    unary("erf_broadcast", _broadcast(lambda a: a.erf()),
          _broadcast(np.vectorize(math.erf, otypes=[float])), shapes=BROADCASTING),
    binary("xlogy", lambda a, b: a.xlogy(b), lambda a, b: a * np.log(b), ("real", "pos")),
    unary("logit", lambda a: a.logit(), lambda a: np.log(a / (1 - a)), "probability"),
    unary("exp2", lambda a: a.exp2(), np.exp2),
    binary("atan2", lambda a, b: a.atan2(b), np.arctan2, ("real", "nonzero")),
    binary("hypot", lambda a, b: a.hypot(b), np.hypot, ("real", "nonzero")),
    binary("logaddexp", lambda a, b: a.logaddexp(b), np.logaddexp),
    binary("fmod", lambda a, b: a.fmod(b), np.fmod, ("real", "nonzero")),
    binary("remainder_method", lambda a, b: a.remainder(b), np.remainder, ("real", "nonzero"),
           shapes=[((3, 1), (4,))]),
    unary("fmod_number", lambda a: a.fmod(-1.5), lambda a: np.fmod(a, -1.5)),
    unary("frac", lambda a: a.frac(), lambda a: a - np.trunc(a), "grid_offset"),
    Op("lerp", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a + w * (b - a), ("real",) * 3,
       (((), (), ()), ((1,), (3,), (3,)), ((2, 3), (2, 3), (3,)), ((3, 1), (4,), ()))),
    binary("lerp_number_weight", lambda a, b: a.lerp(b, 0.3), lambda a, b: a + 0.3 * (b - a)),
    binary("lerp_weight_near_end", lambda a, b: a.lerp(b, 0.8), lambda a, b: a + 0.8 * (b - a)),
    # the flat step and sign (slope 0), times x: relu and abs again
    unary("step_times_x", lambda a: step_of(a) * a, lambda a: np.maximum(a, 0), "nonzero"),
    unary("sign_times_x", lambda a: sign_of(a) * a, np.abs, "nonzero"),
    unary("log_or_zero", log_or_zero, np.log, "pos"),       # the ln a in d(a ** b)/db
    unary("F.leaky_relu", lambda a: F.leaky_relu(a, 0.1), _leaky_relu(0.1), "nonzero"),
    unary("F.leaky_relu_steep", lambda a: F.leaky_relu(a, 2.5), _leaky_relu(2.5), "nonzero"),
    unary("F.leaky_relu_negative", lambda a: F.leaky_relu(a, -0.5), _leaky_relu(-0.5),
          "nonzero", shapes=[(), (1,), (2, 3)]),
    unary("F.leaky_relu_0", lambda a: F.leaky_relu(a, 0.0), _leaky_relu(0.0), "nonzero",
          shapes=[(), (1,), (2, 3)]),
    unary("F.leaky_relu_broadcast", _broadcast(lambda a: F.leaky_relu(a, 0.1)),
          _broadcast(_leaky_relu(0.1)), "nonzero", shapes=BROADCASTING),
    # softplus and the clamped log: the ops of the binary cross-entropies of Values
    unary("softplus", lambda a: apply(Softplus, (a,)), lambda a: np.logaddexp(0, a)),
    unary("softplus_wide", lambda a: apply(Softplus, (a * 20,)), lambda a: np.logaddexp(0, a * 20),
          shapes=[(5,), (2, 3)]),
    unary("softplus_broadcast", _broadcast(lambda a: apply(Softplus, (a,))),
          _broadcast(lambda a: np.logaddexp(0, a)), shapes=BROADCASTING),
    unary("clamped_log", lambda a: apply(ClampedLog, (a,)), np.log, "pos"),
    unary("clamped_log_broadcast", _broadcast(lambda a: apply(ClampedLog, (a,))),
          _broadcast(np.log), "pos", shapes=BROADCASTING),
    # hardswish, and the elementwise part of smooth_l1_loss and huber_loss (of d = pred -
    # target): on a grid 0.25 away from every kink (±3 for hardswish of 2x, ±1 or ±0.5 here)
    unary("hardswish", lambda a: apply(Hardswish, (a * 2,)), lambda a: _hardswish(2 * a),
          "grid_offset"),
    unary("hardswish_broadcast", _broadcast(lambda a: apply(Hardswish, (a * 2,))),
          _broadcast(lambda a: _hardswish(2 * a)), "grid_offset", shapes=BROADCASTING),
    unary("smooth_l1", lambda a: apply(SmoothL1, (a,), 1.0), _smooth_l1(1.0), "grid_offset"),
    unary("smooth_l1_narrow", lambda a: apply(SmoothL1, (a,), 0.5), _smooth_l1(0.5),
          "grid_offset"),
    unary("smooth_l1_broadcast", _broadcast(lambda a: apply(SmoothL1, (a,), 0.5)),
          _broadcast(_smooth_l1(0.5)), "grid_offset", shapes=BROADCASTING),
    unary("huber", lambda a: apply(Huber, (a,), 1.0), _huber(1.0), "grid_offset"),
    unary("huber_narrow", lambda a: apply(Huber, (a,), 0.5), _huber(0.5), "grid_offset"),
    unary("huber_broadcast", _broadcast(lambda a: apply(Huber, (a,), 0.5)),
          _broadcast(_huber(0.5)), "grid_offset", shapes=BROADCASTING),
    unary("F.exp", F.exp, np.exp, shapes=[(3,)]),
    unary("F.log", F.log, np.log, "pos", shapes=[(3,)]),
    unary("F.tanh", F.tanh, np.tanh, shapes=[(3,)]),
    unary("F.sigmoid", F.sigmoid, _sigmoid, shapes=[(3,)]),
    unary("F.relu", F.relu, lambda a: np.maximum(a, 0), "nonzero", shapes=[(3,)]),
    unary("F.sqrt", F.sqrt, np.sqrt, "pos", shapes=[(), (3,)]),
    unary("F.abs", F.abs, np.abs, "nonzero", shapes=[(), (3,)]),
    unary("F.sin", F.sin, np.sin, shapes=[(), (1, 3)]),
    unary("F.cos", F.cos, np.cos, shapes=[(), (1, 3)]),
    unary("F.clip", lambda a: F.clip(a, -0.5, 0.8), lambda a: np.clip(a, -0.5, 0.8), "clip",
          shapes=[(), (2, 3)]),
    binary("maximum", lambda a, b: a.maximum(b), np.maximum, ("grid", "grid_offset")),
    binary("minimum", lambda a, b: a.minimum(b), np.minimum, ("grid", "grid_offset")),
    binary("F.maximum", F.maximum, np.maximum, ("grid", "grid_offset"),
           shapes=[((3, 1), (4,))]),
    binary("F.minimum", F.minimum, np.minimum, ("grid", "grid_offset"),
           shapes=[((3, 1), (4,))]),
    unary("maximum_number", lambda a: a.maximum(0.1), lambda a: np.maximum(a, 0.1), "grid"),
    unary("clip", lambda a: a.clip(-0.5, 0.8), lambda a: np.clip(a, -0.5, 0.8), "clip"),
    unary("clip_min", lambda a: a.clip(min=-0.5), lambda a: np.clip(a, -0.5, None), "clip",
          shapes=[(5,), (2, 3)]),
    unary("clip_max", lambda a: a.clip(max=0.8), lambda a: np.clip(a, None, 0.8), "clip",
          shapes=[(5,), (2, 3)]),
    unary("clip_array_min", lambda a: a.clip(np.array([-0.5, 0.0, -1.0])),
          lambda a: np.clip(a, [-0.5, 0.0, -1.0], None), "clip", shapes=[(3,), (2, 3)]),
    unary("clip_list_max", lambda a: a.clip(max=[0.8, 0.0, 0.3]),
          lambda a: np.clip(a, None, [0.8, 0.0, 0.3]), "clip", shapes=[(3,), (2, 3)]),
    # -- reductions ---------------------------------------------------------------------------
    unary("sum", lambda a: a.sum(), np.sum),
    unary("sum_axis0", lambda a: a.sum(axis=0), lambda a: a.sum(axis=0),
          shapes=[(3,), (1, 3), (2, 3), (2, 3, 4)]),
    unary("sum_axis-1_keepdims", lambda a: a.sum(axis=-1, keepdims=True),
          lambda a: a.sum(axis=-1, keepdims=True), shapes=[(2, 3), (2, 3, 4)]),
    unary("sum_axis(0,2)", lambda a: a.sum(axis=(0, 2)), lambda a: a.sum(axis=(0, 2)),
          shapes=[(2, 3, 4)]),
    unary("sum_axis(0,-1)_keepdims", lambda a: a.sum(axis=(0, -1), keepdims=True),
          lambda a: a.sum(axis=(0, 2), keepdims=True), shapes=[(2, 3, 4)]),
    unary("sum_keepdims", lambda a: a.sum(keepdims=True), lambda a: a.sum(keepdims=True),
          shapes=[(1,), (2, 3)]),
    unary("mean", lambda a: a.mean(), np.mean),
    unary("mean_axis1", lambda a: a.mean(axis=1), lambda a: a.mean(axis=1),
          shapes=[(1, 3), (2, 3), (2, 3, 4)]),
    unary("mean_axis-2_keepdims", lambda a: a.mean(axis=-2, keepdims=True),
          lambda a: a.mean(axis=-2, keepdims=True), shapes=[(2, 3), (2, 3, 4)]),
    unary("mean_axis(1,2)", lambda a: a.mean(axis=(1, 2)), lambda a: a.mean(axis=(1, 2)),
          shapes=[(2, 3, 4)]),
    unary("max", lambda a: a.max(), np.max, "distinct"),
    unary("max_axis1", lambda a: a.max(axis=1), lambda a: a.max(axis=1), "distinct",
          shapes=[(1, 3), (2, 3), (2, 3, 4)]),
    unary("max_axis-1_keepdims", lambda a: a.max(axis=-1, keepdims=True),
          lambda a: a.max(axis=-1, keepdims=True), "distinct", shapes=[(5,), (2, 3, 4)]),
    unary("max_axis(0,2)", lambda a: a.max(axis=(0, 2)), lambda a: a.max(axis=(0, 2)),
          "distinct", shapes=[(2, 3, 4)]),
    unary("min", lambda a: a.min(), np.min, "distinct"),
    unary("min_axis0", lambda a: a.min(axis=0), lambda a: a.min(axis=0), "distinct",
          shapes=[(3,), (2, 3)]),
    unary("min_axis-2", lambda a: a.min(axis=-2), lambda a: a.min(axis=-2), "distinct",
          shapes=[(2, 3), (2, 3, 4)]),
    unary("min_axis(0,1)_keepdims", lambda a: a.min(axis=(0, 1), keepdims=True),
          lambda a: a.min(axis=(0, 1), keepdims=True), "distinct", shapes=[(2, 3, 4)]),
    unary("var", lambda a: a.var(), np.var, shapes=[(5,), (2, 3)], rtol=1e-10),
    unary("var_axis0_ddof1", lambda a: a.var(axis=0, ddof=1), lambda a: a.var(axis=0, ddof=1),
          shapes=[(3, 2), (4, 3, 2)], rtol=1e-10),
    unary("var_axis(0,2)_keepdims", lambda a: a.var(axis=(0, 2), keepdims=True),
          lambda a: a.var(axis=(0, 2), keepdims=True), shapes=[(2, 3, 4)], rtol=1e-10),
    unary("std", lambda a: a.std(), np.std, shapes=[(5,), (2, 3)], rtol=1e-10),
    unary("std_axis-1_ddof1", lambda a: a.std(axis=-1, ddof=1),
          lambda a: a.std(axis=-1, ddof=1), shapes=[(2, 3), (2, 3, 4)], rtol=1e-10),
    unary("cumprod_axis0", lambda a: a.cumprod(0), lambda a: np.cumprod(a, axis=0),
          shapes=[(1,), (5,), (1, 3), (3, 2), (2, 3, 4)]),
    unary("cumprod_axis-1", lambda a: a.cumprod(dim=-1),
          lambda a: np.cumprod(a, axis=-1).reshape(a.shape), shapes=[(), (1, 3), (2, 3, 4)]),
    unary("logcumsumexp_axis0", lambda a: a.logcumsumexp(0),
          lambda a: np.log(np.cumsum(np.exp(a), axis=0)), shapes=[(1,), (5,), (3, 2), (2, 3, 4)]),
    unary("logcumsumexp_axis-1", lambda a: a.logcumsumexp(-1),
          lambda a: np.log(np.cumsum(np.exp(a), axis=-1)).reshape(a.shape),
          shapes=[(), (1, 3), (2, 3, 4)]),
    unary("diff_n2_prepend", lambda a: a.diff(n=2, dim=0, prepend=a[:1] * 2),
          lambda a: np.diff(a, n=2, axis=0, prepend=a[:1] * 2), shapes=[(1,), (5,), (3, 2)]),
    # sliding windows (Tensor.unfold): overlapping ones add their gradients up
    unary("unfold_overlapping", lambda a: a.unfold(0, 3, 2),
          lambda a: np.lib.stride_tricks.sliding_window_view(a, 3, axis=0)[::2],
          shapes=[(3,), (7,), (5, 2)]),
    unary("unfold_dim-1", lambda a: a.unfold(-1, 2, 1),
          lambda a: np.lib.stride_tricks.sliding_window_view(a, 2, axis=-1),
          shapes=[(2, 3), (2, 3, 4)]),
    # -- order statistics (autograd/statistics.py): the gradient goes to the element picked ----
    unary("median", lambda a: a.median(), lambda a: np.sort(a, axis=None)[(a.size - 1) // 2],
          "distinct", shapes=[(), (1,), (4,), (2, 3)]),
    unary("median_dim1_keepdim", lambda a: a.median(1, keepdim=True).values,
          lambda a: np.sort(a, 1)[:, (a.shape[1] - 1) // 2][:, None], "distinct",
          shapes=[(1, 1), (2, 4), (3, 5, 2)]),
    unary("nanmedian_dim0", lambda a: a.nanmedian(0).values,
          lambda a: np.sort(a, 0)[(len(a) - 1) // 2], "distinct", shapes=[(3,), (4, 2)]),
    unary("kthvalue_2", lambda a: a.kthvalue(2).values, lambda a: np.sort(a, -1)[..., 1],
          "distinct", shapes=[(2,), (3, 4)]),
    unary("mode_of_distinct_numbers", lambda a: a.mode(0).values, lambda a: a.min(0),
          "distinct", shapes=[(1,), (3, 2)]),
    unary("cummax_dim0", lambda a: a.cummax(0).values,
          lambda a: np.maximum.accumulate(np.atleast_1d(a), 0).reshape(a.shape),
          "distinct", shapes=[(), (1,), (5,), (3, 2)]),
    unary("cummin_dim-1", lambda a: a.cummin(-1).values,
          lambda a: np.minimum.accumulate(a, -1), "distinct", shapes=[(1, 1), (2, 4)]),
    unary("quantile", lambda a: a.quantile(0.3), lambda a: np.quantile(a, 0.3), "distinct",
          shapes=[(), (1,), (5,), (2, 3)]),
    unary("quantile_qs_dim1_keepdim", lambda a: a.quantile(a.new_tensor([0.0, 0.25, 0.9, 1.0]), 1,
                                                           keepdim=True),
          lambda a: np.quantile(a, [0.0, 0.25, 0.9, 1.0], 1, keepdims=True), "distinct",
          shapes=[(1, 1), (2, 5), (2, 3, 4)]),
    unary("quantile_midpoint_dim0", lambda a: a.quantile(0.6, 0, interpolation="midpoint"),
          lambda a: np.quantile(a, 0.6, 0, method="midpoint"), "distinct", shapes=[(4, 3)]),
    unary("nanquantile_dim-1", lambda a: a.nanquantile(0.7, -1),
          lambda a: np.quantile(a, 0.7, -1), "distinct", shapes=[(3, 4)]),
    unary("nansum_dim1", lambda a: a.nansum(1), lambda a: a.sum(1), shapes=[(2, 3), (1, 2, 3)]),
    unary("nanmean", lambda a: a.nanmean(), np.mean, shapes=[(), (5,), (2, 3)]),
    unary("nanmean_dim(0,2)_keepdim", lambda a: a.nanmean((0, 2), keepdim=True),
          lambda a: a.mean((0, 2), keepdims=True), shapes=[(2, 3, 4)]),
    binary("tensordot", lambda a, b: autograd.tensordot(a, b), np.tensordot,
           shapes=[((2, 3, 4), (3, 4, 5)), ((3, 4), (3, 4)), ((1, 1, 1), (1, 1))]),
    binary("tensordot_axes", lambda a, b: autograd.tensordot(a, b, ([0, 2], [2, 0])),
           lambda a, b: np.tensordot(a, b, ([0, 2], [2, 0])), shapes=[((2, 3, 4), (4, 5, 2))]),
    binary("tensordot_0", lambda a, b: autograd.tensordot(a, b, 0),
           lambda a, b: np.tensordot(a, b, 0), shapes=[((2, 3), (4,)), ((), (2,))]),
    binary("cdist", autograd.cdist, lambda a, b: np.sqrt(
               ((a[..., :, None, :] - b[..., None, :, :]) ** 2).sum(-1)),
           ("distinct", "distinct"), shapes=[((1, 1), (1, 1)), ((3, 2), (4, 2)),
                                             ((2, 3, 2), (1, 4, 2))]),
    binary("cdist_by_a_matrix_product", lambda a, b: autograd.cdist(
               a, b, compute_mode="use_mm_for_euclid_dist"), lambda a, b: np.sqrt(
               ((a[..., :, None, :] - b[..., None, :, :]) ** 2).sum(-1)),
           ("distinct", "distinct"), shapes=[((3, 2), (4, 2)), ((30, 2), (2, 1, 2))],
           rtol=1e-10),
    binary("cdist_p1", lambda a, b: autograd.cdist(a, b, 1), lambda a, b: np.abs(
               a[..., :, None, :] - b[..., None, :, :]).sum(-1), ("distinct", "distinct"),
           shapes=[((3, 2), (4, 2))]),
    binary("cdist_p3", lambda a, b: autograd.cdist(a, b, 3), lambda a, b: (np.abs(
               a[..., :, None, :] - b[..., None, :, :]) ** 3).sum(-1) ** (1 / 3),
           ("distinct", "distinct"), shapes=[((3, 2), (4, 2))]),
    # -- shape ----------------------------------------------------------------------------------
    unary("rot90", lambda a: a.rot90(), np.rot90, shapes=[(1, 1), (2, 3), (2, 3, 4)]),
    unary("rot90_-1_dims(2,0)", lambda a: a.rot90(-1, (2, 0)),
          lambda a: np.rot90(a, -1, (2, 0)), shapes=[(2, 3, 4)]),
    unary("rot90_2", lambda a: a.rot90(2), lambda a: np.rot90(a, 2), shapes=[(3, 2)]),
    unary("take_along_dim_broadcast", lambda a: a.take_along_dim(np.array([[[2, 0, 2]]]), 2),
          lambda a: np.take_along_axis(a, np.broadcast_to([[[2, 0, 2]]], a.shape[:2] + (3,)),
                                       2), shapes=[(1, 1, 3), (2, 3, 4)]),
    unary("take_along_dim_flat", lambda a: a.take_along_dim(np.array([0, -1, 0])),
          lambda a: a.reshape(-1)[[0, -1, 0]], shapes=[(1,), (2, 3)]),
    unary("diagonal", lambda a: a.diagonal(), lambda a: np.diagonal(a),
          shapes=[(3, 3), (2, 4), (1, 3), (4, 2, 3)]),
    unary("diagonal_offset_dims", lambda a: a.diagonal(-1, 2, 0),
          lambda a: np.diagonal(a, -1, 2, 0), shapes=[(3, 2, 4), (1, 2, 1)]),
    unary("trace", lambda a: a.trace(), np.trace, shapes=[(3, 3), (2, 4), (1, 1)]),
    unary("diag_of_a_matrix", lambda a: a.diag(1), lambda a: np.diag(a, 1),
          shapes=[(3, 3), (2, 4)]),
    unary("diag_of_a_vector", lambda a: a.diag(), np.diag, shapes=[(1,), (4,)]),
    unary("diag_of_a_vector_below", lambda a: a.diag(-2), lambda a: np.diag(a, -2),
          shapes=[(1,), (3,)]),
    unary("reshape", lambda a: a.reshape(4, 6), lambda a: a.reshape(4, 6), shapes=[(2, 3, 4)]),
    unary("reshape_-1", lambda a: a.reshape(-1), lambda a: a.reshape(-1),
          shapes=[(3,), (2, 3, 4)]),
    unary("reshape_tuple", lambda a: a.reshape((1, 1)), lambda a: a.reshape((1, 1)),
          shapes=[(), (1,)]),
    unary("flatten_1", lambda a: a.flatten(1), lambda a: a.reshape(a.shape[0], -1),
          shapes=[(2, 3, 4)]),
    unary("flatten_0_1", lambda a: a.flatten(0, 1), lambda a: a.reshape(-1, *a.shape[2:]),
          shapes=[(2, 3), (2, 3, 4)]),
    unary("flatten_start_dim_end_dim", lambda a: a.flatten(start_dim=1, end_dim=-2),
          lambda a: a.reshape(a.shape[0], -1, a.shape[-1]), shapes=[(2, 3, 4)]),
    unary("autograd.flatten", lambda a: autograd.flatten(a, 1),
          lambda a: a.reshape(a.shape[0], -1), shapes=[(2, 3), (2, 3, 4)]),
    unary("transpose", lambda a: a.transpose(), lambda a: a.transpose(),
          shapes=[(2, 3), (2, 3, 4)]),
    unary("transpose_axes", lambda a: a.transpose(1, 0, 2), lambda a: a.transpose(1, 0, 2),
          shapes=[(2, 3, 4)]),
    unary("transpose_tuple", lambda a: a.transpose((2, 0, 1)), lambda a: a.transpose(2, 0, 1),
          shapes=[(2, 3, 4)]),
    unary("T", lambda a: a.T, lambda a: a.T, shapes=[(2, 3), (2, 3, 4)]),
    unary("swapaxes", lambda a: a.swapaxes(0, -1), lambda a: a.swapaxes(0, -1),
          shapes=[(2, 3), (2, 3, 4)]),
    unary("transpose_two_axes", lambda a: a.transpose(-2, -1), lambda a: np.swapaxes(a, -2, -1),
          shapes=[(2, 3), (1, 3), (2, 3, 4), (1, 2, 3, 4)]),
    unary("transpose_two_axes_of_a_matrix", lambda a: a.transpose(0, 1), lambda a: a.T,
          shapes=[(2, 3)]),
    unary("tril", lambda a: a.tril(), np.tril, shapes=[(4, 4), (1, 4, 4), (2, 3, 4)]),
    unary("tril_diagonal-1", lambda a: autograd.tril(a, -1), lambda a: np.tril(a, -1),
          shapes=[(3, 4), (2, 4, 3)]),
    unary("triu", lambda a: a.triu(), np.triu, shapes=[(4, 4), (1, 4, 4), (2, 3, 4)]),
    unary("triu_diagonal1", lambda a: autograd.triu(a, 1), lambda a: np.triu(a, 1),
          shapes=[(3, 4), (2, 4, 3)]),
    unary("masked_fill", lambda a: a.masked_fill(COND, 0.5), lambda a: np.where(COND, 0.5, a),
          shapes=[(3, 4), (1, 3, 4), (2, 3, 4), (4,), ()]),
    unary("masked_fill_0d_mask", lambda a: a.masked_fill(np.array(False), 0.5),
          lambda a: a.copy(), shapes=[(), (3,)]),
    Op("masked_fill_tensor_value", lambda a, v: a.masked_fill(Tensor(COND), v),
       lambda a, v: np.where(COND, v, a), ("real", "real"), (((3, 4), ()), ((2, 3, 4), ()))),
    # the causal attention weights: -inf above the diagonal, then softmax along the rows
    unary("masked_fill_-inf_softmax",
          lambda a: a.masked_fill(CAUSAL, float("-inf")).softmax(dim=-1),
          lambda a: _softmax(np.where(CAUSAL, -np.inf, a)),
          shapes=[(4, 4), (1, 4, 4), (2, 4, 4)]),
    unary("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)),
          lambda a: np.broadcast_to(a, (2, 3, 4)), shapes=[(), (1,), (4,), (3, 1), (1, 3, 4)]),
    unary("expand", lambda a: a.expand((2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4)),
          shapes=[(), (3, 1)]),
    unary("expand_minus_one", lambda a: a.expand(2, -1, 4),
          lambda a: np.broadcast_to(a, (2,) + a.shape[:1] + (4,)), shapes=[(3, 1), (1, 1)]),
    unary("getitem_slices", lambda a: a[1:, ::2], lambda a: a[1:, ::2], shapes=[(3, 5)]),
    unary("getitem_int", lambda a: a[1], lambda a: a[1], shapes=[(3,), (3, 4)]),
    unary("getitem_negative", lambda a: a[-1], lambda a: a[-1], shapes=[(3,), (3, 4)]),
    unary("getitem_ellipsis", lambda a: a[..., -2], lambda a: a[..., -2],
          shapes=[(2, 3, 4)]),
    unary("getitem_int_pair", lambda a: a[0, -1], lambda a: a[0, -1], shapes=[(3, 4)]),
    unary("getitem_new_axis_and_steps", lambda a: a[None, ::-2, 1:3],
          lambda a: a[None, ::-2, 1:3], shapes=[(5, 4)]),
    unary("getitem_bool_rows", lambda a: a[np.array([True, False, True])],
          lambda a: a[np.array([True, False, True])], shapes=[(3,), (3, 2)]),
    unary("getitem_int_array_repeated", lambda a: a[np.array([0, 2, 0, 0])],
          lambda a: a[np.array([0, 2, 0, 0])], shapes=[(3,), (4, 2)]),
    unary("getitem_list_repeated", lambda a: a[[1, 1, 0]], lambda a: a[[1, 1, 0]],
          shapes=[(2,), (2, 3)]),
    unary("getitem_two_int_arrays", lambda a: a[np.array([0, 1, 0]), np.array([2, 0, 2])],
          lambda a: a[np.array([0, 1, 0]), np.array([2, 0, 2])], shapes=[(2, 3)]),
    unary("getitem_slice_and_array", lambda a: a[:, np.array([1, 1, 0])],
          lambda a: a[:, np.array([1, 1, 0])], shapes=[(2, 3)]),
    unary("getitem_tensor_index", lambda a: a[Tensor(np.array([2, 2, 0]))],
          lambda a: a[np.array([2, 2, 0])], shapes=[(3,)]),
    unary("getitem_bool_mask", lambda a: a[MASK], lambda a: a[MASK], shapes=[(2, 3)]),
    Op("concatenate_axis0", lambda a, b: concatenate([a, b]),
       lambda a, b: np.concatenate([a, b]), ("real", "real"), (((2, 3), (4, 3)), ((1,), (3,)))),
    Op("concatenate_axis-1", lambda a, b: concatenate([a, b], axis=-1),
       lambda a, b: np.concatenate([a, b], axis=-1), ("real", "real"), (((2, 3), (2, 1)),)),
    Op("concatenate_three", lambda a, b, c: F.concatenate((a, b, c), axis=0),
       lambda a, b, c: np.concatenate([a, b, c]), ("real",) * 3, (((2,), (3,), (1,)),)),
    Op("cat_dim-1", lambda a, b: autograd.cat([a, b], dim=-1),
       lambda a, b: np.concatenate([a, b], axis=-1), ("real", "real"),
       (((2, 3, 4), (2, 3, 1)), ((1, 3), (1, 2)))),
    Op("stack_axis0", lambda a, b: stack([a, b]), lambda a, b: np.stack([a, b]),
       ("real", "real"), (((2, 3), (2, 3)), ((), ()))),
    Op("stack_axis-1", lambda a, b, c: stack([a, b, c], axis=-1),
       lambda a, b, c: np.stack([a, b, c], axis=-1), ("real",) * 3, (((3,), (3,), (3,)),)),
    binary("where", lambda a, b: where(COND, a, b), lambda a, b: np.where(COND, a, b),
           shapes=[((3, 4), (3, 4)), ((3, 1), (4,)), ((), (3, 4))]),
    unary("where_number", lambda a: where(COND, a, 0.5), lambda a: np.where(COND, a, 0.5),
          shapes=[(3, 4), (4,)]),
    unary("where_tensor_condition", lambda a: F.where(Tensor(COND), 0.5, a),
          lambda a: np.where(COND, 0.5, a), shapes=[(3, 4)]),
    # -- softmax family -------------------------------------------------------------------------
    unary("logsumexp", lambda a: a.logsumexp(), _logsumexp, rtol=1e-12),
    unary("logsumexp_axis-1", lambda a: a.logsumexp(axis=-1),
          lambda a: _logsumexp(a, axis=-1), shapes=[(1, 3), (2, 3), (2, 3, 4)]),
    unary("logsumexp_axis(0,1)_keepdims", lambda a: F.logsumexp(a, axis=(0, 1), keepdims=True),
          lambda a: _logsumexp(a, axis=(0, 1), keepdims=True), shapes=[(2, 3, 4)]),
    unary("softmax", lambda a: a.softmax(), _softmax, shapes=[(5,), (1, 3), (2, 3)]),
    unary("F.softmax", F.softmax, _softmax, shapes=[(1, 3), (2, 3)]),
    unary("softmax_axis0", lambda a: F.softmax(a, axis=0), lambda a: _softmax(a, axis=0),
          shapes=[(3, 2), (3, 2, 2)]),
    unary("log_softmax", lambda a: a.log_softmax(), _log_softmax, shapes=[(5,), (1, 3), (2, 3)]),
    unary("F.log_softmax", F.log_softmax, _log_softmax, shapes=[(1, 3), (2, 3)]),
    unary("log_softmax_axis0", lambda a: F.log_softmax(a, axis=0),
          lambda a: _log_softmax(a, axis=0), shapes=[(3, 2)]),
    unary("log_softmax_axis1", lambda a: F.log_softmax(a, axis=1),
          lambda a: _log_softmax(a, axis=1), shapes=[(2, 3, 4), (1, 3, 2)]),
    # the softmax of one number is 1 (its log 0): a 0-d input has no axis to sum along
    unary("softmax_0d", lambda a: a.softmax(), np.ones_like, shapes=[()]),
    unary("log_softmax_0d", lambda a: a.log_softmax(), np.zeros_like, shapes=[()]),
    # -- dtype ------------------------------------------------------------------------------------
    # float32 rounding makes finite differences at eps=1e-6 meaningless: a larger step is exact
    # here (astype is the identity up to rounding)
    unary("astype_float32", lambda a: a.astype(np.float32), lambda a: a.astype(np.float32),
          shapes=[(5,), (2, 3)], gc=dict(eps=1e-3, atol=1e-3, rtol=1e-3), rtol=0),
    # -- linear algebra ---------------------------------------------------------------------------
    binary("matmul", lambda a, b: a @ b, np.matmul, shapes=[
        ((3, 4), (4, 2)),          # 2-d
        ((1, 4), (4, 2)),          # batch 1
        ((4,), (4, 2)),            # 1-d x 2-d
        ((3, 4), (4,)),            # 2-d x 1-d
        ((4,), (4,)),              # 1-d x 1-d (dot product)
        ((2, 3, 4), (4, 5)),       # batched
        ((2, 3, 4), (2, 4, 5)),    # batched x batched
        ((2, 3, 4), (4,)),         # batch x 1-d
        ((3, 4), (2, 4, 5)),       # matrix x batch
        ((4,), (2, 4, 5)),         # 1-d x batch
        ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch dims
    ]),
    binary("matmul_fn", matmul, np.matmul, shapes=[((2, 3), (3, 2))]),
    # an ndarray on the left: Tensor.__rmatmul__ (numpy must hand the product over)
    unary("rmatmul_ndarray", lambda a: MATRIX @ a, lambda a: MATRIX @ a,
          shapes=[(4,), (4, 2), (1, 4, 2), (2, 4, 2)]),
    # weight (out, in) as in PyTorch: batch, batch-1, 1-d and 3-d inputs
    Op("linear", lambda x, W, b: F.linear(x, W, b), lambda x, W, b: x @ W.T + b,
       ("real",) * 3, (((5, 3), (2, 3), (2,)), ((1, 3), (2, 3), (2,)), ((3,), (2, 3), (2,)),
                       ((2, 5, 3), (2, 3), (2,)), ((2, 1, 4, 3), (2, 3), (2,)))),
    Op("linear_no_bias", lambda x, W: F.linear(x, W), lambda x, W: x @ W.T,
       ("real",) * 2, (((5, 3), (2, 3)), ((1, 3), (2, 3)), ((3,), (2, 3)), ((2, 4, 3), (2, 3)))),
    # a frozen weight (or a constant input too): the rule works out only what is wanted
    Op("linear_frozen_weight", lambda x, b: F.linear(x, Tensor(MATRIX), b),
       lambda x, b: x @ MATRIX.T + b, ("real",) * 2,
       (((5, 4), (3,)), ((1, 4), (3,)), ((4,), (3,)), ((2, 1, 4), (3,)))),
    unary("linear_bias_only", lambda b: F.linear(Tensor(MATRIX), Tensor(MATRIX[:2]), b),
          lambda b: MATRIX @ MATRIX[:2].T + b, shapes=[(2,)]),
    # -- PyTorch's method and function forms that no row above reached ---------------------------
    unary("where_method", lambda a: a.where(COND, 0.5), lambda a: np.where(COND, a, 0.5),
          shapes=[(3, 4), (1, 4), ()]),
    binary("where_method_tensor_other", lambda a, b: a.where(COND, b),
           lambda a, b: np.where(COND, a, b), shapes=[((3, 4), (3, 4)), ((3, 1), (4,)),
                                                      ((), (1, 4))]),
    unary("reshape_as", lambda a: a.reshape_as(Tensor(np.zeros((2, 3, 4)))),
          lambda a: a.reshape(2, 3, 4), shapes=[(24,), (1, 24), (4, 6)]),
    unary("reshape_as_0d", lambda a: a.reshape_as(Tensor(np.zeros((1, 1)))),
          lambda a: a.reshape(1, 1), shapes=[(), (1,)]),
    unary("type_as_float32", lambda a: a.type_as(Tensor(np.zeros(1, np.float32))),
          lambda a: a.astype(np.float32), shapes=[(), (1,), (2, 3)],
          gc=dict(eps=1e-3, atol=1e-3, rtol=1e-3), rtol=0),
    unary("to_float32", lambda a: a.to("float32"), lambda a: a.astype(np.float32),
          shapes=[(), (1, 3)], gc=dict(eps=1e-3, atol=1e-3, rtol=1e-3), rtol=0),
    unary("autograd.max", autograd.max, np.max, "distinct", shapes=[(), (1,), (2, 3)]),
    unary("autograd.min_dim1", lambda a: autograd.min(a, 1).values, lambda a: a.min(1),
          "distinct", shapes=[(1, 3), (2, 3)]),
    binary("autograd.max_other", lambda a, b: autograd.max(a, other=b), np.maximum,
           ("grid", "grid_offset"), shapes=[((3, 1), (4,)), ((), (2,)), ((1, 3), (1, 3))]),
    binary("autograd.min_other", lambda a, b: autograd.min(a, other=b), np.minimum,
           ("grid", "grid_offset"), shapes=[((3, 1), (4,)), ((1,), ())]),
    unary("autograd.std", autograd.std, lambda a: np.std(a, ddof=1), shapes=[(5,), (1, 3)],
          rtol=1e-10),
    unary("autograd.var_dim-1_keepdim", lambda a: autograd.var(a, -1, keepdim=True),
          lambda a: np.var(a, -1, ddof=1, keepdims=True), shapes=[(1, 3), (2, 3, 4)],
          rtol=1e-10),
    unary("autograd.std_mean_dim0", lambda a: (lambda s, m: s * 2.0 + m)(*autograd.std_mean(a, 0)),
          lambda a: np.std(a, 0, ddof=1) * 2.0 + np.mean(a, 0), shapes=[(3,), (3, 2), (3, 1, 2)],
          rtol=1e-10),
    unary("autograd.var_mean_correction0",
          lambda a: (lambda v, m: v * 2.0 + m)(*autograd.var_mean(a, -1, correction=0)),
          lambda a: np.var(a, -1) * 2.0 + np.mean(a, -1), shapes=[(1, 3), (2, 3)], rtol=1e-10),
    unary("autograd.polygamma_1", lambda a: autograd.polygamma(1, a),
          lambda a: Tensor(a).polygamma(1).data, "pos", shapes=[(), (1,), (2, 3)]),
    # -- losses -----------------------------------------------------------------------------------
    *[unary(f"cross_entropy_labels_{r}", lambda z, r=r: F.cross_entropy(z, LABELS, r),
            lambda z, r=r: _ce_labels_ref(z, r), shapes=[(4, 3)]) for r in ("mean", "sum", "none")],
    unary("cross_entropy_tensor_labels", lambda z: F.cross_entropy(z, Tensor(LABELS)),
          lambda z: _ce_labels_ref(z, "mean"), shapes=[(4, 3)]),
    *[Op(f"cross_entropy_probs_{r}", lambda z, t, r=r: F.cross_entropy(z, t, reduction=r),
         lambda z, t, r=r: _ce_probs_ref(z, t, r), ("real", "simplex"), (((4, 3), (4, 3)),))
      for r in ("mean", "sum", "none")],
]

CASES = [pytest.param(op, shapes, id=f"{op.name}-{'x'.join(map(str, shapes))}")
         for op in OPS for shapes in op.shapes]


def test_table_has_unique_names():
    """One row per op variant (a copy-pasted row would silently test nothing new)."""
    names = [op.name for op in OPS]
    assert len(names) == len(set(names))


def _inputs(op, shapes, rng):
    return [sample(d, s, rng) for d, s in zip(op.domains, shapes)]


@pytest.mark.parametrize("op, shapes", CASES)
def test_forward_matches_numpy(op, shapes, rng):
    """Value, shape and dtype of the result equal numpy's on float64 inputs."""
    arrays = _inputs(op, shapes, rng)
    out = op.fn(*[t64(a) for a in arrays])
    expected = np.asarray(op.ref(*[a.copy() for a in arrays]))
    assert isinstance(out, Tensor)
    assert out.shape == expected.shape
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out.data, expected, rtol=op.rtol, atol=1e-12)
    assert out.requires_grad and not out.is_leaf


@pytest.mark.parametrize("op, shapes", CASES)
def test_gradient_matches_finite_differences(op, shapes, rng):
    """Backprop equals central finite differences for every input (gradcheck), and each
    input's gradient has exactly the input's shape and dtype."""
    arrays = _inputs(op, shapes, rng)
    xs = [t64(a) for a in arrays]
    out = op.fn(*xs)
    out.backward(rng.uniform(0.5, 1.5, out.shape))
    for x in xs:
        assert x.grad is not None
        assert x.grad.shape == x.shape and x.grad.dtype == np.float64
    assert gradcheck(op.fn, *[t64(a) for a in arrays], **op.gc)


def test_repeated_indices_sum_their_gradients():
    """x[[0, 0, 2, 0]]: element 0 was picked three times, so its gradient is the sum of three."""
    x = t64([1.0, 2.0, 3.0])
    y = x[np.array([0, 0, 2, 0])]
    y.backward(np.array([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(x.grad, [1011.0, 0.0, 100.0])


@pytest.mark.parametrize("table, index_shape, dtype", [
    ((1000, 64), (512,), np.float32), ((27, 10), (32, 3), np.float32), ((6, 2, 5), (9, 7), np.float64),
    ((4, 3), (200,), np.float32)])
def test_rows_picked_by_an_integer_array_get_np_add_at_sums_to_the_bit(table, index_shape, dtype,
                                                                        rng):
    """weight[idx] (an embedding's lookup) scatters its gradient back by flat element indices:
    the same additions in the same order as np.add.at on whole rows, so the same bits, with
    repeated, negative and unsigned indices."""
    index = rng.integers(-table[0], table[0], index_shape)
    g = rng.normal(size=index_shape + table[1:]).astype(dtype)
    expected = np.zeros(table, dtype)
    np.add.at(expected, index, g)
    for picked in (index, (index % table[0]).astype(np.uint32)):
        weight = Tensor(np.zeros(table, dtype), requires_grad=True)
        weight[picked].backward(g)
        assert weight.grad.dtype == dtype
        np.testing.assert_array_equal(weight.grad, expected)


def test_rows_are_scattered_element_by_element_only_where_numpy_adds_those_fast(monkeypatch):
    """np.add.at adds single elements fast from numpy 1.25 (negative indices right from
    1.25.2); on numpy 1.24 (CI tests it too) element by element was slower than whole rows."""
    from autograd.ops import shape
    expected = shape._FLAT_AT_IS_FAST
    assert expected == (np.lib.NumpyVersion(np.__version__) >= "1.25.2")
    by_rows = np.zeros((7, 64))                     # what the row path (scatter_add) gives
    monkeypatch.setattr(shape, "scatter_add", lambda g, index, size: by_rows)
    g, index = np.ones((512, 64)), np.arange(512) % 7
    for fast in (True, False):
        monkeypatch.setattr(shape, "_FLAT_AT_IS_FAST", fast)
        assert (shape.scatter_rows(g, index, (7, 64)) is by_rows) is not fast


def test_rows_picked_by_an_integer_array_differentiate_twice(rng):
    """The scatter is an op too (ScatterAdd, on the flat path from 400 numbers): the gradient
    of w ↦ Σ w[idx]³ is 3 · count · w², and its own gradient matches finite differences."""
    index = rng.integers(0, 5, 60)
    weight, weights_of_grad = rng.normal(size=(5, 8)), rng.normal(size=(5, 8))
    first = autograd.grad(lambda w: (w[index] ** 3).sum())
    counts = np.bincount(index, minlength=5)[:, None]
    np.testing.assert_allclose(first(weight), 3 * counts * weight ** 2, rtol=1e-12)
    assert gradcheck(lambda w: (first(w) * weights_of_grad).sum(), t64(weight))


def test_boolean_mask_gradient_is_scattered():
    """x[mask] sends each gradient back to the masked position; unselected positions get 0."""
    x = t64(np.arange(6.0).reshape(2, 3))
    x[MASK].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 2.0], [0.0, 3.0, 4.0]])


def test_max_ties_split_the_gradient():
    """At a tie the gradient of max is shared evenly (the documented choice), never duplicated."""
    x = t64([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5, 0.0])


def test_relu_and_abs_at_zero_have_zero_gradient():
    """The subgradient chosen at the kink is 0 (PyTorch's choice), for relu and abs."""
    x = t64([0.0, 0.0])
    (x[0:1].relu() + abs(x[1:2])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_step_and_sign_forward_on_both_payloads_and_pass_no_gradient():
    """The slopes of relu and abs as ops: 0 at 0, NaN through sign only (step(NaN) = 0, as
    relu's first-order mask gives), the input's dtype; their rule passes nothing."""
    x = Tensor(np.array([-2.0, 0.0, 3.0, np.nan], dtype=np.float32), requires_grad=True)
    step, sign = step_of(x), sign_of(x)
    np.testing.assert_array_equal(step.data, [0.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(sign.data, [-1.0, 0.0, 1.0, np.nan])
    assert step.dtype == sign.dtype == np.float32 and (step.op, sign.op) == ("step", "sign")
    (step * 2 + sign).sum().backward()
    assert x.grad is None                           # nothing reached it
    values = [autograd.Value(v) for v in (-2.0, 0.0, 3.0)]
    assert [step_of(v).data for v in values] == [0.0, 0.0, 1.0]
    assert [sign_of(v).data for v in values] == [-1.0, 0.0, 1.0]
    assert np.isnan(sign_of(autograd.Value(np.nan)).data)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    """The fused loss's gradient in closed form: (softmax(z) - onehot(labels)) / N."""
    z = t64([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    labels = np.array([1, 2])
    F.cross_entropy(z, labels).backward()
    expected = (_softmax(z.data, 1) - np.eye(3)[labels]) / 2
    np.testing.assert_allclose(z.grad, expected, rtol=1e-12, atol=1e-15)


def test_linear_equals_matmul_plus_bias():
    """The fused linear op is x @ Wᵀ + b: same value and same gradients as the unfused graph."""
    rng = np.random.default_rng(3)
    x, W, b = (rng.normal(size=s) for s in ((4, 3), (2, 3), (2,)))
    fused = [t64(a) for a in (x, W, b)]
    plain = [t64(a) for a in (x, W, b)]
    g = rng.normal(size=(4, 2))
    yf = F.linear(*fused)
    yp = plain[0] @ plain[1].T + plain[2]
    np.testing.assert_allclose(yf.data, yp.data, rtol=1e-14)
    yf.backward(g)
    yp.backward(g)
    for a, b_ in zip(fused, plain):
        np.testing.assert_allclose(a.grad, b_.grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("x_shape", [(4, 3), (1, 3), (3,), (2, 4, 3)],
                         ids=["batch", "batch-1", "1-d", "3-d"])
def test_linear_with_a_column_major_weight_matches_a_row_major_one(x_shape):
    """Any memory order of W (a transposed array passed in): the values and gradients equal those
    for a row-major W (which the table above checks against finite differences)."""
    rng = np.random.default_rng(4)
    x, W, b = (rng.normal(size=s) for s in (x_shape, (2, 3), (2,)))
    row_major = [t64(a) for a in (x, W, b)]
    column_major = [t64(x), Tensor(np.asfortranarray(W), requires_grad=True), t64(b)]
    assert column_major[1].data.flags.f_contiguous and not column_major[1].data.flags.c_contiguous
    g = rng.normal(size=x_shape[:-1] + (2,))
    outputs = [F.linear(*inputs) for inputs in (row_major, column_major)]
    np.testing.assert_allclose(outputs[1].data, outputs[0].data, rtol=1e-14)
    for y in outputs:
        y.backward(g)
    for a, b_ in zip(column_major, row_major):
        np.testing.assert_allclose(a.grad, b_.grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("rows", [1, 16, 64, 65, 200])
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("features", [(7, 5), (97, 90)], ids=["small-W", "large-W"])
def test_linear_output_is_row_major_on_both_forward_paths(rows, with_bias, features):
    """Up to 64 rows and for a weight of more than 8192 numbers the forward runs (W xᵀ)ᵀ, a
    column-major product; the result is still written row-major (and equals x @ Wᵀ + b), so
    later elementwise ops see one layout. Other shapes take x @ Wᵀ."""
    n_in, n_out = features
    rng = np.random.default_rng(rows)
    x, W, b = rng.normal(size=(rows, n_in)), rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)
    y = F.linear(t64(x), t64(W), t64(b) if with_bias else None)
    expected = x @ W.T + (b if with_bias else 0.0)
    assert y.data.flags.c_contiguous and y.shape == (rows, n_out)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, n_out, dtypes", [
    ((200, 3), 128, ("float64",) * 3),          # 25,600 numbers: [x, 1] @ [Wᵀ; b]
    ((130, 1), 128, ("float64",) * 3),          # one input feature
    ((6, 30, 16), 96, ("float64",) * 3),        # batch axes, 16 features
    ((6, 30, 2), 96, ("float64", "float32", "float32")),    # float64 data, float32 weights
    ((100, 3), 16, ("float64",) * 3),           # too small a result: x @ Wᵀ, then + b
    ((200, 17), 128, ("float64",) * 3),         # too many features: likewise
], ids=["rows", "one-feature", "3-d", "mixed-dtypes", "small-result", "17-features"])
def test_linear_with_few_features_adds_the_bias_in_the_product(x_shape, n_out, dtypes,
                                                              monkeypatch):
    """For up to 16 input features and a result of 16,384 numbers or more the forward takes
    x @ Wᵀ + b as [x, 1] @ [Wᵀ; b] (`with_bias_row`): the values equal x @ Wᵀ + b (in the
    dtype numpy's arithmetic gives, row-major, x's axes kept; a batch-first x's strided view
    too), and the gradients match central differences at a non-trivial point."""
    rng = np.random.default_rng(x_shape[-1])
    arrays = [rng.normal(size=s).astype(d) for s, d in
              zip((x_shape, (n_out, x_shape[-1]), (n_out,)), dtypes)]
    x, W, b = (Tensor(a, requires_grad=True) for a in arrays)
    calls, with_bias_row = [], fused.with_bias_row
    monkeypatch.setattr(fused, "with_bias_row", lambda *a: calls.append(a) or with_bias_row(*a))
    y = F.linear(x, W, b)
    assert len(calls) == (x_shape[-1] <= 16 and y.size >= 16384)       # the path taken
    expected = arrays[0] @ arrays[1].T + arrays[2]
    assert y.dtype == expected.dtype and y.data.flags.c_contiguous
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    if x.ndim == 3:                                 # a batch-first view, as an LSTM's input
        swapped = Tensor(np.ascontiguousarray(arrays[0].swapaxes(0, 1))).swapaxes(0, 1)
        np.testing.assert_allclose(F.linear(swapped, W, b).data, expected, rtol=1e-12,
                                   atol=1e-12)
    if dtypes[1] == "float64":                      # (the backward is the usual one)
        weights = t64(rng.normal(size=y.shape))
        assert gradcheck(lambda x_, W_, b_: (F.linear(x_, W_, b_) * weights).sum(),
                         (t64(arrays[0]), t64(arrays[1]), t64(arrays[2])), eps=1e-6,
                         atol=1e-6, rtol=1e-6)


def test_pow_exponent_gradient_at_zero_base():
    """0 ** b = 0 for every b > 0, so d(a ** b)/db at a = 0 is 0 (PyTorch returns 0 there);
    0 · log 0 must not turn into NaN. d/da at a = 0, b = 2 is 0 too."""
    a = t64([0.0, 2.0])
    b = t64([2.0, 3.0])
    (a ** b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.0, 12.0])
    np.testing.assert_allclose(b.grad, [0.0, 8.0 * np.log(2.0)], rtol=1e-15)


def test_power_of_two_tensors_across_the_sign_of_the_base():
    """a ** b with both wanting gradients, bases of both signs and 0, whole exponents (so that
    a ** b is real for a < 0), against central differences: d/da everywhere; d/db where a > 0,
    0 at a = 0 (0 ** b = 0 near b > 0), NaN for a < 0 (a ** b is not real beside a whole b)."""
    a0 = np.array([[1.5, -2.0, 0.0], [0.5, -0.75, 3.0]])
    b0 = np.array([[3.0, 3.0, 2.0], [-2.0, 2.0, 1.0]])
    a, b = t64(a0), t64(b0)
    with strict():
        (a ** b).sum().backward()
    h = 1e-6
    np.testing.assert_allclose(a.grad, ((a0 + h) ** b0 - (a0 - h) ** b0) / (2 * h), rtol=1e-8)
    positive = a0 > 0
    with np.errstate(invalid="ignore"):
        numeric = (a0 ** (b0 + h) - a0 ** (b0 - h)) / (2 * h)
    np.testing.assert_allclose(b.grad[positive], numeric[positive], rtol=1e-8)
    np.testing.assert_array_equal(b.grad[~positive], np.where(a0 < 0, np.nan, 0.0)[~positive])


@pytest.mark.parametrize("base_shape, exponent_shape", [((3, 1), (4,)), ((2, 3), ()),
                                                         ((), (1, 3)), ((1,), (1,))])
def test_power_with_a_constant_base(base_shape, exponent_shape, rng):
    """c ** b for a tensor c that wants no gradient, and numpy's c ** b: only d/db = c^b ln c
    is worked out (finite differences agree, broadcast and 0-d shapes included)."""
    base = rng.uniform(0.5, 2.0, base_shape)
    b = t64(rng.uniform(-1.5, 1.5, exponent_shape))
    assert gradcheck(lambda e: Tensor(base) ** e, b)
    assert gradcheck(lambda e: base ** e, b)                 # numpy's array: Tensor.__rpow__
    assert (Tensor(base) ** b)._fn is autograd.ops.PowExponent


def test_power_with_a_constant_exponent_tensor_needs_no_slope_for_it():
    """x ** e for a constant tensor (or array) e: only d/dx is worked out (d/de = x^e ln x is
    NaN at x < 0); finite differences agree, broadcast included."""
    x = t64([[-1.5, 2.0, 0.7]])
    e = np.array([[2.0], [3.0]])
    for exponent in (Tensor(e), e):
        assert (x ** exponent)._fn is autograd.ops.PowBase
    assert gradcheck(lambda t: t ** Tensor(e), x)
    with strict():
        (x ** Tensor(e)).sum().backward()


def test_power_with_a_constant_zero_base_needs_no_slope_for_it():
    """At a constant base 0 and b < 1, d/da is infinite: nobody asked for it, so no warning;
    d/db is 0 there (0 ** b = 0 for b > 0), as in PyTorch."""
    b = t64([0.5, 0.5, 2.0])
    with strict():
        (t64([0.0, 4.0, 0.0], requires_grad=False) ** b).sum().backward()
    np.testing.assert_allclose(b.grad, [0.0, 2.0 * np.log(4.0), 0.0], rtol=1e-15)


def test_power_zero_has_slope_zero_at_zero():
    """x ** 0 is the constant 1: its slope is 0 everywhere, at x = 0 too, as in PyTorch
    (c · x^(c-1) would be 0 · inf = NaN there). That power is also in the second derivative of
    x ** 1, so grad(grad) of a linear term at 0 is 0."""
    x = t64([0.0, 1.5, -2.0])
    assert gradcheck(lambda t: t ** 0, x)
    assert gradcheck(lambda t: autograd.grad(lambda u: (u ** 1).sum())(t), x)


def test_power_zero_has_slope_zero_at_infinities():
    """The slope of x ** 0 is 0 at ±inf too (0 · x would be 0 · inf = NaN), and so is the second
    derivative of x ** 1 there, as in PyTorch, without warnings."""
    for point in (np.inf, -np.inf):
        x = t64([point, 2.0])
        with strict():
            (x ** 0).sum().backward()
            second = autograd.grad(lambda u: autograd.grad(lambda v: (v ** 1).sum())(u).sum())(
                x.data)
        np.testing.assert_array_equal(x.grad, 0.0)
        np.testing.assert_array_equal(second, 0.0)


def test_an_exponent_tensor_of_zero_has_slope_zero_at_a_zero_base():
    """a ** b at b = 0 is the constant 1 in a: d/da = 0 at a = 0 too, as for a ** 0 and in
    PyTorch (b · a^(b-1) would be 0 · inf = NaN), for a constant exponent tensor, an exponent
    that wants a gradient too (d/db = a^b ln a: 0 at a = 0, ln 2 at a = 2), and Values."""
    a = t64([0.0, 2.0, 0.0])
    with strict():
        (a ** Tensor([0.0, 0.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0, 0.0])
    a, b = t64([0.0, 2.0]), t64([0.0, 0.0])
    with strict():
        (a ** b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0])
    np.testing.assert_allclose(b.grad, [0.0, np.log(2.0)], rtol=1e-15)
    v, w = autograd.Value(0.0), autograd.Value(0.0)
    (v ** w).backward()
    assert (v.grad, w.grad) == (0.0, 0.0)


def test_the_mixed_second_derivative_of_a_power_at_exponent_zero():
    """∂²(a ** b)/∂b∂a = a^(b-1) (1 + b ln a) is 1/a at b = 0: the slope's mask at b = 0 must
    not flatten it (to a^0 = 1)."""
    a = np.array([2.0, 4.0])
    mixed = autograd.grad(lambda b: autograd.grad(lambda u: (u ** b).sum())(a).sum())(
        np.zeros(2))
    np.testing.assert_allclose(mixed, [0.5, 0.25], rtol=1e-15)


@pytest.mark.parametrize("exponent", [3, 4.0, 5, -2, -3.0, 10])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_whole_powers_of_negative_numbers_match_numpy(exponent, dtype, rng):
    """x ** c with a whole c takes the power of |x| and puts the sign back (numpy's own path
    for negative numbers is ~45x slower): each is within 1 ulp of the exact power, so at most
    2 ulp from numpy's result; signed zeros, infinities, NaN and 0-d tensors give numpy's
    result exactly. The slope agrees the same way."""
    data = np.concatenate([rng.normal(size=50) * 3, [0.0, -0.0, np.inf, -np.inf, np.nan]])
    x = Tensor(data.astype(dtype), requires_grad=True)
    with np.errstate(all="ignore"):
        y = x ** exponent
        expected = data.astype(dtype) ** exponent
        y.backward(np.ones_like(data, dtype=dtype))
        slope = exponent * data.astype(dtype) ** (exponent - 1)
    assert y.dtype == dtype and x.grad.dtype == dtype
    for got, want in ((y.data, expected), (x.grad, slope)):
        special = ~np.isfinite(want) | (want == 0)
        np.testing.assert_array_equal(got[special], want[special])
        signed = special & ~np.isnan(want)   # a NaN's sign is not specified (CPUs differ)
        assert np.array_equal(np.signbit(got[signed]), np.signbit(want[signed]))
        np.testing.assert_array_max_ulp(got[~special], want[~special], maxulp=2)
    assert (Tensor(np.array(-2.0, dtype)) ** 3).item() == -8.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cube_and_inverse_square_are_products_as_in_pytorch(dtype, rng):
    """x ** 3 is x·x·x and x ** -2 is 1 / (x·x), bit for bit, as PyTorch computes them (a
    power of |x| differs in the last bit for a third of these numbers); their slopes
    3·x² and -2·x⁻³ agree with finite differences."""
    data = np.concatenate([rng.normal(size=200) * 3, [0.0, -0.0, np.inf, -np.inf, np.nan]])
    x = data.astype(dtype)
    with np.errstate(all="ignore"):
        assert np.array_equal((Tensor(x) ** 3).data, x * x * x, equal_nan=True)
        assert np.array_equal((Tensor(x) ** -2).data, 1 / (x * x), equal_nan=True)
        assert np.array_equal(np.signbit((Tensor(x) ** 3).data), np.signbit(x * x * x))
    for point in (t64(rng.normal(size=(2, 3)) + 2.5), t64(np.array(1.7))):     # (and 0-d)
        assert gradcheck(lambda t: t ** 3, point)
        assert gradcheck(lambda t: t ** -2, point)
    try:
        import torch
    except ImportError:
        return                        # the products above are PyTorch's formulas
    with np.errstate(all="ignore"):
        for c in (3, -2):
            assert np.array_equal((Tensor(x) ** c).data, (torch.from_numpy(x) ** c).numpy(),
                                  equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("exponent", [3, -2])
def test_cube_and_inverse_square_of_a_0d_payload_keep_its_dtype(exponent, dtype):
    """power() on a 0-d array (a number in the rules run on arrays): its x·x is a number, and
    numpy 1.x took 1 / float32 number to float64."""
    result = power(np.array(1.5, dtype), exponent)
    assert np.asarray(result).dtype == dtype
    assert float(result) == pytest.approx(1.5 ** exponent, rel=1e-3)


@pytest.mark.parametrize("shape, axis", [((0, 4), 1), ((3, 0), 0)])
def test_mean_of_an_empty_batch_has_an_empty_gradient(shape, axis):
    """A mean over the non-empty axis of an empty tensor is empty, and so is its gradient (as
    in PyTorch), instead of a ZeroDivisionError from counting the elements per output."""
    x = t64(np.zeros(shape))
    x.mean(axis=axis).sum().backward()
    assert x.grad.shape == shape
    assert gradcheck(lambda t: t.mean(axis=axis), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("shape", [(1,), (16,), (7, 3), (4, 5, 6), (3, 1001)])
def test_sum_and_mean_are_numpys_bit_for_bit(dtype, shape):
    """Sum and Mean call numpy's reduction without its Python wrapper (and Mean divides in the
    tensor's dtype): the numbers, dtypes and shapes are still those of x.sum() and x.mean(),
    over every axis, with and without keepdims, at magnitudes from 1e-3 to 1e3."""
    rng = np.random.default_rng(7)
    data = (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(dtype)
    everything = [tuple(range(len(shape)))] if len(shape) > 1 else []
    for axis in [None, *range(len(shape)), *everything]:
        for keepdims in (False, True):
            for name in ("sum", "mean"):
                got = getattr(Tensor(data), name)(axis=axis, keepdims=keepdims).data
                want = np.asarray(getattr(data, name)(axis=axis, keepdims=keepdims))
                assert got.dtype == want.dtype and got.shape == want.shape
                np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("data", [np.array([True, False, True, True]),
                                  np.arange(200, dtype=np.int8) % 3, np.arange(7)],
                         ids=["bool", "int8", "int64"])
def test_the_mean_op_of_bools_and_integers_is_numpys(data):
    """Tensor.mean floats integers first, but the op itself (autograd.ops.Mean, applied) must
    not divide in their dtype: a bool's count was True (the mean of 4 bools came out 3.0), and
    int8 could not hold a count of 200."""
    got = apply(autograd.ops.Mean, (Tensor(data),), (None, False)).data
    assert got == data.mean() and got.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_mean_of_no_numbers_is_nan_without_a_warning(dtype):
    """A mean over an empty axis is NaN, as in PyTorch, without numpy's 'Mean of empty slice'
    warning; the empty input gets an empty gradient."""
    with strict():
        y = Tensor(np.zeros((3, 0), dtype)).mean(axis=1)
        assert np.isnan(Tensor(np.zeros(0, dtype)).mean().item())
    assert y.shape == (3,) and np.isnan(y.data).all()
    assert y.dtype == (np.float32 if dtype == np.int64 else dtype)     # the default float dtype
    x = t64(np.zeros((2, 0)))
    with strict():
        x.mean(axis=1).sum().backward()
    assert x.grad.shape == (2, 0)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, axis", [((0, 4), 0), ((0, 4), 1), ((3, 0), 1), ((0,), -1)])
def test_softmax_of_an_empty_tensor_is_empty(op, shape, axis):
    """An empty batch (or an empty axis) gives an empty result and gradient, as in PyTorch,
    instead of numpy's 'zero-size array to reduction operation maximum' error."""
    x = t64(np.zeros(shape))
    assert getattr(x, op)(axis).shape == shape
    assert gradcheck(lambda t: getattr(t, op)(axis), x)


@pytest.mark.parametrize("rows", [1, 31, 32, 33])
def test_softmax_rows_on_both_sides_of_the_sum_by_product(rng, rows):
    """Below 32 rows softmax sums each row with numpy's sum, from 32 on as a product with ones:
    both give the float64 softmax (float32 to its rounding), rows that sum to 1, and
    gradients that match finite differences (0-d, a 1-d row and the first axis too)."""
    z = rng.normal(0.0, 3.0, (rows, 5))
    want = np.exp(z - z.max(axis=1, keepdims=True))
    want /= want.sum(axis=1, keepdims=True)
    for dtype, rtol in ((np.float64, 1e-14), (np.float32, 2e-6)):
        y = Tensor(z.astype(dtype)).softmax(-1)
        assert y.dtype == dtype
        np.testing.assert_allclose(y.data, want, rtol=rtol)
        np.testing.assert_allclose(y.data.sum(axis=1), 1.0, rtol=rtol)
    w = t64(rng.normal(size=5), requires_grad=False)
    assert gradcheck(lambda t: t.softmax(-1) * w, t64(z))
    assert gradcheck(lambda t: t.softmax(0), t64(z))
    assert gradcheck(lambda t: t.softmax(-1), t64(z[0]))
    assert gradcheck(lambda t: t.softmax(0), t64(z[0, 0]))


def test_logsumexp_of_no_terms_is_minus_infinity():
    """log Σ over no terms is log 0 = -inf (PyTorch's value), without a warning; the empty
    input gets an empty gradient."""
    x = t64(np.zeros((3, 0)))
    with strict():
        y = x.logsumexp(axis=1)
        y.sum().backward()
    np.testing.assert_array_equal(y.data, [-np.inf] * 3)
    assert x.grad.shape == (3, 0)
    assert gradcheck(lambda t: t.logsumexp(axis=0), t64(np.zeros((0, 2))))


# -- std where every number is equal: the slope of sqrt is infinite there, the deviations 0 ------

def test_std_of_equal_numbers_has_gradient_zero_as_in_pytorch():
    x = t64([[1.5, 1.5, 1.5], [0.3, -1.2, 2.0]])          # one flat row, one not
    with strict():                                       # no divide/invalid warnings
        y = x.std(axis=1)
        y.sum().backward()
    np.testing.assert_allclose(y.data, [0.0, np.std([0.3, -1.2, 2.0])], rtol=1e-12)
    np.testing.assert_array_equal(x.grad[0], [0.0, 0.0, 0.0])
    assert gradcheck(lambda a: a.std(axis=1, ddof=1), t64([[1.5, 1.5, 1.5], [0.3, -1.2, 2.0]]))
    flat = Tensor(np.full(4, 2.0, np.float32), requires_grad=True)
    flat.std().backward()
    assert flat.grad.dtype == np.float32 and not flat.grad.any()


def test_flatten_of_an_empty_batch_keeps_the_merged_size():
    assert Tensor(np.zeros((0, 3, 4, 5))).flatten(1).shape == (0, 60)
    assert Tensor(np.zeros((0, 3))).flatten().shape == (0,)



def test_flatten_takes_pytorch_s_start_and_end_and_refuses_what_does_not_fit():
    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert x.flatten(1, 2).shape == (2, 12, 5) and x.flatten(-3, -2).shape == (2, 12, 5)
    assert x.flatten(2, 2).shape == x.shape and Tensor(7.0).flatten().shape == (1,)
    assert autograd.flatten(x, start_dim=0, end_dim=1).shape == (6, 4, 5)
    assert autograd.flatten(Tensor(np.zeros((0, 3, 4))), 1).shape == (0, 12)
    with pytest.raises(ValueError, match=r"flatten: start axis 2 comes after end axis 1 for a "
                                         r"tensor of shape \(2, 3, 4, 5\)"):
        x.flatten(2, 1)
    with pytest.raises(TypeError, match=r"flatten: got both start_axis=1 and start_dim=2"):
        x.flatten(1, start_dim=2)
    with pytest.raises(ValueError, match=r"flatten: axis 4 is out of range"):
        x.flatten(0, 4)
    with pytest.raises(TypeError, match=r"flatten: expected a Tensor, got ndarray"):
        autograd.flatten(np.zeros((2, 3)), 1)


@pytest.mark.parametrize("batch", [1, 2, 4])
@pytest.mark.parametrize("name", ["max", "min"])
def test_a_positional_max_is_numpy_s_and_refuses_pytorch_s_unpacking(name, batch):
    """PyTorch's `_, predicted = out.max(1)` unpacked the rows of numpy's values: with a batch of
    two, `predicted` was the second row's maximum and the accuracy silently wrong."""
    out = t64(np.random.default_rng(9).normal(size=(batch, 10)))
    values = getattr(out, name)(1)
    np.testing.assert_array_equal(values.data, getattr(out.data, name)(1))
    with pytest.raises(TypeError, match=rf"t.{name}\(d\) with a positional axis is numpy's "
                                        rf"{name}: the values only.* t.{name}\(dim=d\) for "
                                        rf"PyTorch's values and indices"):
        _, predicted = values
    with pytest.raises(TypeError, match=r"cannot be indexed by an int \(\[1\]\)"):
        values[1]                                   # PyTorch's `out.max(1)[1]`: the indices
    assert values[0:1].shape == (1,)                # slices and arrays index as ever
    pair = getattr(out, name)(dim=1)                # PyTorch's form, and numpy's keyword form
    np.testing.assert_array_equal(pair.indices, getattr(out.data, "arg" + name)(1))
    first, *rest = getattr(out, name)(axis=1)
    assert type(first) is Tensor and len(rest) == batch - 1
    assert type(values + 1) is Tensor and type(getattr(out, name)(1, True)) is not Tensor
    assert type(getattr(np, name)(out, 1)) is Tensor    # numpy passes axis= by keyword


@pytest.mark.parametrize("name", ["max", "min"])
def test_a_positional_max_refuses_pytorch_s_fields(name):
    """`out.max(1).indices` (PyTorch's named pair) said only that NumpyMaxValues has no
    attribute 'indices'."""
    values = getattr(t64([[1.0, 4.0], [3.0, 2.0]]), name)(1)
    for field in ("values", "indices"):
        with pytest.raises(AttributeError, match=rf"t.{name}\(d\) with a positional axis is "
                                                 rf"numpy's {name}.* cannot be read as "
                                                 rf"\.{field}\. Write t.{name}\(dim=d\)"):
            getattr(values, field)


def test_a_positional_max_passes_its_gradient_and_is_refused_with_axis_twice():
    x = t64([[1.0, 4.0], [3.0, 2.0]])
    x.max(1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1], [1, 0]])
    with pytest.raises(TypeError, match=r"max: got the axis twice \(1 and axis=0\)"):
        x.max(1, axis=0)
    _, = x.max(1, keepdims=True).flatten()[:1]      # a derived tensor is a plain one


def test_grad_fn_says_where_the_op_and_its_inputs_are():
    loss = (t64([1.0, 2.0]) ** 2).mean()
    with pytest.raises(AttributeError, match=r"grad_fn: .* in .op \('mean' here.*loss.parents"
                                             r"\[0\].op is the op before"):
        loss.grad_fn
    assert not hasattr(loss, "grad_fn") and loss.parents[0].op == "pow"


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_over_a_non_empty_axis_of_an_empty_tensor_is_empty(op):
    """(0, 3) reduced over axis 1 is an empty (0,) result with an empty gradient, as numpy and
    PyTorch give (amax/amin); only a reduction over an empty axis has no answer."""
    x = t64(np.zeros((0, 3)))
    y = getattr(x, op)(axis=1)
    assert y.shape == (0,)
    y.sum().backward()
    assert x.grad.shape == (0, 3)
    with pytest.raises(ValueError, match=f"{op}: the tensor of shape \\(0, 3\\) is empty"):
        getattr(x, op)(axis=0)


# ---- PyTorch's names for the reduction arguments --------------------------------------------

@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "logsumexp"])
@pytest.mark.parametrize("keep", [False, True])
def test_dim_and_keepdim_are_axis_and_keepdims(method, keep):
    x = t64(np.random.default_rng(5).normal(size=(3, 4)))
    ours = getattr(x, method)(dim=1, keepdim=keep)
    ours = ours.values if method in ("max", "min") else ours
    np.testing.assert_array_equal(ours.data, getattr(x, method)(axis=1, keepdims=keep).data)


def test_max_and_min_with_dim_give_values_and_indices_as_pytorch():
    scores = t64([[0.1, 2.0, -1.0], [3.0, 0.5, 0.0]]).requires_grad_()
    values, indices = scores.max(dim=1)             # torch: values [2., 3.], indices [1, 0]
    np.testing.assert_array_equal(values.data, [2.0, 3.0])
    np.testing.assert_array_equal(indices, [1, 0])
    assert values.requires_grad and scores.max(dim=1).indices.dtype.kind == "i"
    low = scores.min(dim=0, keepdim=True)           # torch: values [[0.1, 0.5, -1.]], [[0, 1, 0]]
    np.testing.assert_array_equal(low.values.data, [[0.1, 0.5, -1.0]])
    np.testing.assert_array_equal(low.indices, [[0, 1, 0]])
    values.sum().backward()                         # the gradient goes to the maxima
    np.testing.assert_array_equal(scores.grad, [[0, 1, 0], [1, 0, 0]])
    # a batch of exactly two rows: unpacking is the values and indices, not the two rows
    _, predicted = scores.max(dim=1)
    np.testing.assert_array_equal(predicted, [1, 0])


INDEX_RESULTS = {                   # every Tensor method that gives indices, as PyTorch's
    "argmax": lambda x: x.argmax(dim=1), "argmin": lambda x: x.argmin(dim=1),
    "argmax of all": lambda x: x.argmax(), "argmax keepdim": lambda x: x.argmax(1, keepdim=True),
    "max(dim=)": lambda x: x.max(dim=1).indices, "min(dim=)": lambda x: x.min(dim=1)[1],
    "sort": lambda x: x.sort(dim=1).indices, "argsort": lambda x: x.argsort(dim=1),
    "topk": lambda x: x.topk(2, dim=1)[1],
    "multinomial": lambda x: x.softmax(dim=1).multinomial(1),
}


@pytest.mark.parametrize("name", INDEX_RESULTS)
def test_indices_are_constant_int64_tensors_as_pytorch_gives_them(name):
    """Not ndarrays: PyTorch's `(out.argmax(dim=1) == yb).float().mean()` needs a Tensor. The
    indices are constants (no graph), even of a tensor in one."""
    x = t64(np.random.default_rng(8).normal(size=(4, 3)))
    indices = INDEX_RESULTS[name](x * 2)
    assert type(indices) is Tensor and indices.dtype == np.int64
    assert not indices.requires_grad and indices.is_leaf and not indices.parents


def test_indices_work_as_pytorch_s_and_with_numpy():
    out = Tensor(np.array([[0.1, 2.0, -1.0], [3.0, 0.5, 0.0], [0.0, 0.1, 0.2], [1.0, 0.0, 0.0]]))
    yb = np.array([1, 1, 2, 0])
    pred = out.argmax(dim=1)
    assert (pred == yb).float().mean().item() == 0.75                   # the accuracy line
    assert (pred == Tensor(yb)).sum().item() == 3 and (pred != yb).tolist() == [0, 1, 0, 0]
    assert pred.tolist() == [1, 0, 2, 0] and out.argmax().item() == 3 == int(out.argmax())
    np.testing.assert_array_equal(out[np.arange(4), pred].data, [2.0, 3.0, 0.2, 1.0])
    np.testing.assert_array_equal(out.data[np.arange(4), pred], [2.0, 3.0, 0.2, 1.0])
    assert out[pred].shape == (4, 3) and out.gather(1, pred.unsqueeze(1)).shape == (4, 1)
    assert np.array(["a", "b", "c"])[pred].tolist() == ["b", "a", "c", "a"]
    assert ["a", "b", "c"][out[2].argmax()] == "c"                      # a 0-d index
    with pytest.raises(TypeError, match="only a one-element integer tensor can be used as an "
                                        "index"):
        ["a", "b", "c"][pred]                       # a list takes one index (PyTorch's too)
    assert np.bincount(pred, minlength=3).tolist() == [2, 1, 1]
    assert float(np.mean(pred == yb)) == 0.75
    assert np.unravel_index(out.argmax(), out.shape) == (1, 0)
    _, top = out.topk(1, dim=1)
    assert (top.squeeze(1) == pred).all()
    from nn import metrics
    assert metrics.accuracy(yb, pred) == 0.75
    assert metrics.confusion_matrix(yb, pred).tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]


def test_max_with_dim_gives_a_tie_s_gradient_to_the_index_it_names_as_pytorch():
    """torch.max(dim=) passes the gradient to the element its index names; amax (our max(axis=),
    a reduction) shares it among the equal ones. Ties are common: a row of ReLU zeros."""
    scores = t64([[1.0, 3.0, 3.0], [0.0, 0.0, 0.0]])
    values, indices = scores.max(dim=1)
    (values * t64([1.0, 2.0])).sum().backward()     # torch: [[0, 1, 0], [2, 0, 0]]
    np.testing.assert_array_equal(indices, [1, 0])
    np.testing.assert_array_equal(scores.grad, [[0, 1, 0], [2, 0, 0]])
    low = t64([[2.0, 2.0], [5.0, 2.0]])
    low.min(dim=0, keepdim=True).values.sum().backward()    # torch: [[1, 1], [0, 0]]
    np.testing.assert_array_equal(low.grad, [[1, 1], [0, 0]])
    shared = t64([[1.0, 3.0, 3.0]])
    shared.max(axis=1).sum().backward()             # numpy's max: amax's even share
    np.testing.assert_array_equal(shared.grad, [[0, 0.5, 0.5]])
    with pytest.raises(ValueError, match=r"max: the tensor of shape \(0, 3\) is empty along "
                                         r"axis 0"):
        Tensor(np.zeros((0, 3))).max(dim=0)


def test_floor_division_and_remainder_follow_python_and_pytorch():
    """% takes the divisor's sign (Python's, PyTorch's); // is a constant (rounding passes no
    gradient back); integers stay integers (row and column of a flat index)."""
    x = Tensor(np.array([7.5, -7.5]), requires_grad=True)
    quotient = x // 2
    assert quotient.tolist() == [3.0, -4.0] and not quotient.requires_grad
    assert (x % 2).tolist() == [1.5, 0.5] and (x % -2).tolist() == [-0.5, -1.5]
    flat = Tensor(np.arange(7))
    assert (flat // 3).tolist() == [0, 0, 0, 1, 1, 1, 2] and (flat // 3).dtype == np.int64
    assert (flat % 3).tolist() == [0, 1, 2, 0, 1, 2, 0] and (7 // Tensor([2])).tolist() == [3]
    with strict():                                          # as PyTorch: no warning
        assert np.isnan((Tensor([7.0, -7.0]) % 0.0).data).all()
        assert (Tensor([7.0, -7.0]) // 0.0).tolist() == [np.inf, -np.inf]
    for divide in (lambda: flat % 0, lambda: flat // Tensor([0]), lambda: 5 % Tensor([0, 1])):
        with pytest.raises(ZeroDivisionError, match=r"integer (%|//): division by zero"):
            divide()


def test_remainders_slope_for_the_divisor_is_minus_the_quotient_it_was_taken_with():
    """d(a % b)/db = -(a // b), Python's floor division as numpy's floor_divide does it (and
    PyTorch): floor(a / b) differs where the quotient is infinite or NaN (-3 // inf is -1,
    not -0; inf // 2 is NaN, not inf: PyTorch's slopes are 1 and NaN)."""
    a = Tensor(np.array([-3.0, np.inf, 7.5, 0.3]), requires_grad=True)
    b = Tensor(np.array([np.inf, 2.0, -2.0, 0.1]), requires_grad=True)
    with np.errstate(invalid="ignore"):
        (a % b).backward(np.ones(4))
    np.testing.assert_array_equal(b.grad, [1.0, np.nan, 4.0, -2.0])
    np.testing.assert_array_equal(a.grad, [1.0, 1.0, 1.0, 1.0])


def test_concatenate_and_stack_take_dim_as_torch_cat_and_torch_stack():
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.ones((2, 1)), requires_grad=True)
    joined = concatenate([a, b], dim=1)
    np.testing.assert_array_equal(joined.data, np.concatenate([a.data, b.data], axis=1))
    (joined * np.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(b.grad, [[3.0], [3.0]])
    assert stack([a, a], dim=2).shape == (2, 3, 2) and stack([a, a], dim=-1).shape == (2, 3, 2)
    for join in (concatenate, stack):
        with pytest.raises(TypeError, match=rf"{join.__name__}: got both axis=1 and dim=0"):
            join([a, a], 1, dim=0)


def test_pytorch_var_and_std_work_when_they_say_the_divisor():
    x = t64([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_array_equal(x.var(0, keepdim=True, unbiased=True).data, [[2.0, 8.0]])
    np.testing.assert_array_equal(x.var(dim=0, unbiased=False).data, [1.0, 4.0])
    np.testing.assert_array_equal(x.std(dim=1, correction=1).data, x.data.std(1, ddof=1))
    with pytest.raises(TypeError, match=r"var: got dim=0, unbiased=True, ddof=1; say the divisor "
                                        r"once"):
        x.var(ddof=1, dim=0, unbiased=True)
    with pytest.raises(TypeError, match=r"std: got an unexpected keyword 'unbaised'"):
        x.std(dim=0, unbaised=True)


def test_var_and_std_read_pytorchs_positional_unbiased_and_keepdim():
    """t.var(0, True) is PyTorch's t.var(dim=0, unbiased=True): the bool after the axis says
    the divisor (it was taken as keepdims=True, dividing by n: other numbers, another shape)."""
    x = t64([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_array_equal(x.var(0, True).data, [2.0, 8.0])     # torch.var(x, 0, True)
    np.testing.assert_array_equal(x.var(0, True, True).data, [[2.0, 8.0]])
    np.testing.assert_array_equal(x.std(1, False).data, [0.5, 1.5])
    np.testing.assert_array_equal(x.std(1, False, True).data, [[0.5], [1.5]])
    np.testing.assert_array_equal(x.var(0, keepdims=True).data, [[1.0, 4.0]])   # numpy's
    with pytest.raises(TypeError, match=r"var: after the axis, PyTorch's positional unbiased "
                                        r"\(a bool\) .* got 1"):
        x.var(0, 1)
    with pytest.raises(TypeError, match=r"std: got unbiased=True, correction=0; say the "
                                        r"divisor once"):
        x.std(0, True, correction=0)
    with pytest.raises(TypeError, match=r"var: takes at most the axis, unbiased and keepdim "
                                        r"positionally, got 4"):
        x.var(0, True, False, 1)


def test_max_and_min_of_another_tensor_are_pytorchs_elementwise_maximum_and_minimum():
    """t.max(u) with a tensor is PyTorch's torch.maximum(t, u) (it said 'an axis must be an
    int ... got Tensor([...])'); a tie shares the gradient, as PyTorch's. Reference numbers
    from torch 2.13."""
    for name, out, a_grad, b_grad in [
            ("max", [[3.0, 5.0], [3.0, -1.0]], [[0.0, 2.0], [0.0, 2.0]], [4.0, 2.0]),
            ("min", [[1.0, -1.0], [2.0, -1.0]], [[1.0, 0.0], [3.0, 2.0]], [0.0, 4.0])]:
        a, b = t64([[1.0, 5.0], [2.0, -1.0]]), t64([3.0, -1.0])
        a.requires_grad_(), b.requires_grad_()
        result = getattr(a, name)(b)
        np.testing.assert_array_equal(result.data, out)
        (result * t64([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        np.testing.assert_array_equal(a.grad, a_grad)
        np.testing.assert_array_equal(b.grad, b_grad)
    with pytest.raises(TypeError, match=r"max: got the other tensor and dim=0; "):
        a.max(b, dim=0)


def test_a_positional_axis_with_pytorchs_keepdim_gives_values_and_indices():
    scores = t64([[0.5, 2.0], [3.0, 1.0]])
    values, indices = scores.max(1, keepdim=True)
    assert values.tolist() == [[2.0], [3.0]] and indices.tolist() == [[1], [0]]
    assert scores.min(0, keepdim=True).values.tolist() == [[0.5, 1.0]]
    assert scores.nelement() == 4 == scores.numel()


def test_all_and_any_give_constant_bool_tensors_with_either_names():
    t = t64([[1.0, 2.0], [0.0, 3.0]])
    t.requires_grad_()
    assert (t > 0).all().tolist() is False and (t > 0).any().tolist() is True
    assert (t > 0).all(dim=1).tolist() == [True, False]
    assert t.any(axis=0, keepdims=True).tolist() == [[True, True]]
    assert np.all(t == t).tolist() is True              # numpy's function calls the method
    assert not t.all().requires_grad and t.all().dtype == np.bool_
    with pytest.raises(TypeError, match=r"all: out= is not supported"):
        t.all(out=np.empty(()))


def test_softmax_and_argmax_take_dim():
    x = t64(np.random.default_rng(6).normal(size=(2, 3)))
    np.testing.assert_array_equal(x.softmax(dim=0).data, x.softmax(0).data)
    np.testing.assert_array_equal(x.log_softmax(dim=0).data, x.log_softmax(0).data)
    np.testing.assert_array_equal(x.argmax(dim=1), x.data.argmax(1))
    np.testing.assert_array_equal(x.argmin(dim=1, keepdim=True), x.data.argmin(1, keepdims=True))


@pytest.mark.parametrize("call, message", [
    (lambda x: x.sum(axis=0, dim=1), r"sum: got both axis=0 and dim=1; they are the same"),
    (lambda x: x.mean(keepdims=True, keepdim=True), r"mean: got both keepdims and keepdim"),
    (lambda x: x.max(dim=(0, 1)), r"max: dim must be one int"),
    (lambda x: x.var(dim=1), r"var: got dim=1; this var is numpy's .* t.var\(1, ddof=1\) for "
                            r"PyTorch's"),
    (lambda x: x.std(dim=0, keepdim=True), r"std: got dim=0, keepdim=True; this std is numpy's"),
])
def test_pytorch_names_that_would_be_ambiguous_are_refused(call, message):
    with pytest.raises(TypeError, match=message):
        call(t64(np.random.default_rng(7).normal(size=(2, 3))))


@pytest.mark.parametrize("call, numpy_call, torch_call", [
    (lambda x: x.var(0, keepdim=True), "t.var(0, keepdims=True, ddof=1)",
     "t.var(0, keepdim=True, unbiased=True)"),                      # makemore part 3's BatchNorm
    (lambda x: x.std((0, 1), keepdim=True), "t.std((0, 1), keepdims=True, ddof=1)",
     "t.std((0, 1), keepdim=True, unbiased=True)"),                 # part 5's, over (B, T)
    (lambda x: x.var(dim=1), "t.var(1, ddof=1)", "t.var(1, unbiased=True)"),
    (lambda x: x.std(keepdim=True), "t.std(keepdims=True, ddof=1)",
     "t.std(keepdim=True, unbiased=True)"),
])
def test_var_std_with_pytorchs_keywords_name_the_call_to_write(call, numpy_call, torch_call):
    """x.var(0, keepdim=True), as the lectures write it, is refused (numpy's divisor is n,
    PyTorch's n - 1); the message gives that very call with the divisor said, both ways, and
    each of them runs and divides by n - 1."""
    x = t64(np.random.default_rng(7).normal(size=(4, 3, 2)))
    with pytest.raises(TypeError) as refused:
        call(x)
    message = str(refused.value)
    assert f"{numpy_call} for PyTorch's" in message and f"PyTorch's words, {torch_call}" in message
    said_numpy, said_torch = eval(numpy_call, {"t": x}), eval(torch_call, {"t": x})
    assert said_numpy.shape == said_torch.shape
    np.testing.assert_array_equal(said_numpy.data, said_torch.data)


# ---- PyTorch's names for the shape ops ---------------------------------------------------------

@pytest.mark.parametrize("name, call, shape", [
    ("view", lambda t: t.view(-1), (6,)),
    ("view 3x2", lambda t: t.view(3, 2), (3, 2)),
    ("permute", lambda t: t.permute(1, 0), (3, 2)),
    ("unsqueeze 0", lambda t: t.unsqueeze(0), (1, 2, 3)),
    ("unsqueeze -1", lambda t: t.unsqueeze(-1), (2, 3, 1)),
    ("squeeze back", lambda t: t.unsqueeze(1).squeeze(1), (2, 3)),
    ("squeeze all", lambda t: t.reshape(1, 2, 1, 3).squeeze(), (2, 3)),
    ("clone", lambda t: t.clone(), (2, 3)),
])
def test_pytorch_shape_names_match_numpy_and_pass_gradients(name, call, shape):
    rng = np.random.default_rng(8)
    x = t64(rng.normal(size=(2, 3))).requires_grad_()
    assert call(x).shape == shape
    weights = rng.normal(size=shape)                 # a non-trivial gradient to pass back
    assert gradcheck(lambda t: (call(t) * weights).sum(), x)


def test_numel_size_tolist_and_a_clone_that_owns_its_data():
    x = t64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.numel() == 6 and x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert (x.size, x.size(), x.size(0), x.size(-1)) == (6, (2, 3), 2, 3)    # numpy's, PyTorch's
    assert (x.float().dtype, x.long().dtype, x.float().double().dtype) == (
        np.float32, np.int64, np.float64)
    accuracy = (x[0] == Tensor([1.0, 0.0, 3.0])).float().mean()     # PyTorch's idiom
    assert accuracy.dtype == np.float32 and accuracy.item() == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"size: axis 2 is out of range for a tensor with 2"):
        x.size(2)
    copy = x.clone()
    copy.data[0, 0] = 99.0
    assert x.data[0, 0] == 1.0 and copy.dtype == x.dtype


def test_size_survives_copy_pickle_and_numpy_as_the_int_it_is():
    """t.size is an int that PyTorch code can call; copying or pickling it keeps that, and
    numpy sees a number (np.shape(t.size) read its shape attribute as (2, 3))."""
    import copy
    import pickle
    size = t64(np.zeros((2, 3))).size
    for copied in (copy.copy(size), copy.deepcopy([size])[0], pickle.loads(pickle.dumps(size))):
        assert copied == 6 and copied() == (2, 3) and copied(-1) == 3
    assert np.shape(size) == () and np.ndim(size) == 0 and np.asarray(size).item() == 6
    with pytest.raises(TypeError, match=r"size: dim must be one int \(the axis whose length "
                                        r"to give\), got \(0, 1\)"):
        size((0, 1))


def test_engine_and_layers_read_data_size_where_size_is_a_property_call():
    """Tensor.size builds the callable int (10x numpy's .size): our own code reads .data.size."""
    import nn
    from nn import functional as NF
    from nn.normalization import batch_norm
    from nn.utils import vector_to_parameters
    saved = Tensor.size
    Tensor.size = property(lambda self: pytest.fail("Tensor.size read by the library"))
    try:
        x = t64(np.arange(12.0).reshape(4, 3))
        batch_norm(x, None, None)
        NF.nll_loss(t64(np.log(np.full((2, 3), 1 / 3))), np.array([0, 2]))
        model = nn.Sequential(nn.Embedding(5, 3), nn.LayerNorm(3), nn.LeakyReLU(), nn.Linear(3, 2))
        out = model(np.array([0, 4, 4]))
        (NF.cross_entropy(out, np.array([0, 1, 1])) + NF.mse_loss(out, np.zeros((3, 2)))).backward()
        vector_to_parameters(np.zeros(8), nn.Linear(3, 2).parameters())
        autograd.grad(lambda t: (t * t).sum())(t64([1.0, 2.0]))
    finally:
        Tensor.size = saved


def test_a_cast_to_integers_is_a_constant_as_in_pytorch():
    """x.long() of a float tensor that requires grad: no gradient passes through rounding (it
    passed 1, so x.long().float() * y trained x as if it were not rounded)."""
    x = t64([1.5, -2.5])
    for cast in (x.long(), x.astype(np.int32), x.astype(bool)):
        assert not cast.requires_grad and cast.op == ""
    y = x.float() * 2.0 + x.long().double()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_to_the_cpu_is_the_tensor_itself_and_to_a_dtype_is_the_recorded_cast():
    """PyTorch's t.to(...): nothing to do gives the tensor itself (copy=True a copy in the
    graph); a floating dtype is astype, which passes the gradient back in the tensor's dtype."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    for same in (x.to("cpu"), x.to("cpu:0"), x.to(device="cpu"), x.to(np.float32), x.to(x),
                 x.to("cpu", non_blocking=True), x.to(), x.cpu()):
        assert same is x
    copied = x.to("cpu", copy=True)
    assert copied is not x and copied.op == "astype" and copied.data is not x.data
    casts = (x.to(np.float64), x.to("float64"), x.to(dtype=np.float64), x.to(t64([0.0])),
             x.to("cpu", np.float64), x.to(device="cpu", dtype="float64"),
             x.to("cpu", np.float64, False, True))
    for cast in casts:
        assert cast.dtype == np.float64 and cast.op == "astype"
    (casts[0] * 3.0).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]
    labels = x.to(np.int64)
    assert labels.dtype == np.int64 and not labels.requires_grad     # a constant, as .long()


@pytest.mark.parametrize("call, shown", [
    (lambda t: t.to("cuda"), r"Tensor\.to\('cuda'\)"),
    (lambda t: t.to(device="mps", dtype=np.float64), r"Tensor\.to\('mps'\)"),
    (lambda t: t.to(0), r"Tensor\.to\(0\)"),
    (lambda t: t.cuda(), r"Tensor\.cuda\(\)"),
])
def test_a_gpu_is_refused_naming_the_call(call, shown):
    with pytest.raises(RuntimeError, match=shown + r": there is no GPU here: glassgrad computes "
                                                   r"with numpy on the CPU"):
        call(Tensor([1.0]))


def test_to_refuses_muddled_arguments_naming_them():
    x = Tensor([1.0])
    refusals = [
        ((np.float64,), {"dtype": np.float32}, r"Tensor\.to: got the dtype twice"),
        (("cpu",), {"device": "cpu"}, r"got the device twice"),
        ((x,), {"dtype": np.float64}, r"a tensor to take the dtype from and also device=/dtype="),
        (("cpu", "cpu"), {}, r"got two devices"),
        ((np.complex128,), {}, r"hold bools, integers or floats, not complex128"),
        (("float64", True, True, True), {}, r"too many arguments; .* non_blocking and copy"),
        ((np.float64, True), {"non_blocking": True}, r"got non_blocking twice"),
        ((np.float64,), {"copy": 1}, r"copy must be True or False, got 1"),
        (([1, 2],), {}, r"expected a device \('cpu'\) or a dtype .* got \[1, 2\]"),
    ]
    for args, kwargs, message in refusals:
        with pytest.raises(TypeError, match=message):
            x.to(*args, **kwargs)


def test_to_refuses_the_dtype_names_numpy_and_pytorch_read_differently():
    """x.to("float") was numpy's float64, where PyTorch's float is float32; "int" likewise."""
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"Tensor\.to: 'float' is float64 to numpy but float32 "
                                        r"to PyTorch .*np\.float32 or np\.float64"):
        x.to("float")
    with pytest.raises(TypeError, match=r"'int' is int64 to numpy but int32 to PyTorch"):
        x.to("cpu", "int")
    assert x.to(float).dtype == np.float64 and x.to("double").dtype == np.float64   # as torch


def test_to_takes_torch_devices_and_dtypes_by_name():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    x = Tensor([1.0, 2.0])
    assert x.to(torch.device("cpu")) is x
    assert x.to(torch.float64).dtype == np.float64
    assert x.to(torch.device("cpu"), torch.long).dtype == np.int64
    assert x.to(dtype=torch.float16).dtype == np.float16
    with pytest.raises(RuntimeError, match=r"there is no GPU here"):
        x.to(torch.device("cuda", 0))


def test_squeeze_and_unsqueeze_take_numpy_ints_and_squeeze_several_axes():
    """As numpy and PyTorch (2.0+) do: `squeeze((0, 2))`, and an axis that is a numpy int
    (from `np.argmax`, a shape read from an array)."""
    x = t64(np.zeros((1, 3, 1)))
    assert x.squeeze((0, -1)).shape == (3,) and x.squeeze([2]).shape == (1, 3)
    assert x.unsqueeze(np.int64(1)).shape == (1, 1, 3, 1)
    assert x.squeeze(np.int64(0)).shape == (3, 1)
    with pytest.raises(ValueError, match=r"squeeze: axis 1 of a tensor of shape \(1, 3, 1\) has "
                                         r"size 3, not 1"):
        x.squeeze((0, 1))


@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.squeeze(0), ValueError, r"squeeze: axis 0 of a tensor of shape \(2, 3\) has size 2"),
    (lambda t: Tensor(1.0).squeeze(0), ValueError, r"squeeze: a 0-d tensor has no axis 0"),
    (lambda t: t.unsqueeze(3), ValueError, r"unsqueeze: dim must be an int from -3 to 2 for a "
                                           r"tensor of shape \(2, 3\), got 3"),
    (lambda t: t.unsqueeze(1.0), TypeError, r"unsqueeze: dim must be an int, got 1.0"),
    (lambda t: t.transpose(0, 2), ValueError, r"transpose: axis 2 is out of range"),
    (lambda t: t.transpose(0, 1.0), TypeError, r"transpose: axes must be ints, got \(0, 1.0\)"),
    (lambda t: t.transpose((0, 0)), ValueError, r"transpose: \(0, 0\) is not a permutation"),
    # each of PyTorch's names says what was called, not the method it is made from
    (lambda t: t.permute(0, 0), ValueError, r"permute: \(0, 0\) is not a permutation"),
    (lambda t: t.permute(0, 2), ValueError, r"permute: axis 2 is out of range for a tensor with "
                                            r"2 dims, in \(0, 2\)"),
    (lambda t: t.permute(0), ValueError, r"permute: \(0,\) is not a permutation of the 2 axes"),
    (lambda t: t.permute(), ValueError, r"permute: \(\) is not a permutation of the 2 axes"),
    (lambda t: t.permute((1, 0.0)), TypeError, r"permute: axes must be ints, got \(1, 0.0\)"),
    (lambda t: t.view(5, -1), ValueError, r"view: cannot reshape a tensor of shape \(2, 3\) "
                                          r"\(6 elements\) into \(5, -1\)"),
    (lambda t: t.view((4,)), ValueError, r"view: cannot reshape .* into \(4,\)"),
    (lambda t: t.view(2, 3.0), TypeError, r"view: the shape must be ints \(-1 for one size to "
                                          r"infer\), got \(2, 3.0\)"),
    (lambda t: t.view(2.5), TypeError, r"view: the shape must be ints .*, got 2.5"),
    (lambda t: t.reshape(-1, -1), ValueError, r"reshape: cannot reshape a tensor of shape "
                                              r"\(2, 3\) \(6 elements\) into \(-1, -1\)"),
    (lambda t: t.reshape("6"), TypeError, r"reshape: the shape must be ints .*, got '6'"),
    (lambda t: t.view_as(np.zeros(4)), ValueError, r"view_as: cannot reshape a tensor of shape "
                                                   r"\(2, 3\) \(6 elements\) into \(4,\)"),
    (lambda t: t.reshape_as(np.zeros(4)), ValueError, r"reshape_as: cannot reshape"),
    (lambda t: t.expand(4, 3), ValueError, r"expand: cannot broadcast shape \(2, 3\) to "
                                           r"\(4, 3\)"),
    (lambda t: t.expand(3), ValueError, r"expand: cannot expand shape \(2, 3\) to \(3,\)"),
    (lambda t: t.expand_as(np.zeros((4, 3))), ValueError, r"expand_as: cannot broadcast shape "
                                                          r"\(2, 3\) to \(4, 3\)"),
    (lambda t: t.expand_as(np.zeros(3)), ValueError, r"expand_as: cannot expand shape"),
    (lambda t: t.broadcast_to((4, 3)), ValueError, r"broadcast_to: cannot broadcast shape"),
    (lambda t: t.swapaxes(0, 2), ValueError, r"swapaxes: axis 2 is out of range"),
    (lambda t: t.flatten(0, 2), ValueError, r"flatten: axis 2 is out of range"),
    (lambda t: autograd.flatten(t, 3), ValueError, r"flatten: axis 3 is out of range"),
    (lambda t: t.narrow(2, 0, 1), ValueError, r"narrow: axis 2 is out of range"),
    (lambda t: t.repeat(2), ValueError, r"repeat: needs a size for each of the 2 axes"),
    (lambda t: t.masked_fill(np.ones((2, 3)), 0.0), TypeError,
     r"masked_fill: the mask must be bool, got dtype float64; compare to make one"),
    (lambda t: t.masked_fill(np.ones(2, dtype=bool), 0.0), ValueError,
     r"masked_fill: a mask of shape \(2,\) does not broadcast with the tensor's shape "
     r"\(2, 3\)"),
    (lambda t: t.masked_fill(np.ones(3, dtype=bool), t[0]), ValueError,
     r"masked_fill: value must be a number or a 0-d Tensor, got a Tensor of shape \(3,\)"),
    (lambda t: t.masked_fill(np.ones(3, dtype=bool), "x"), TypeError,
     r"masked_fill: value must be a number or a 0-d Tensor, got str"),
    (lambda t: t.long().masked_fill(np.ones(3, dtype=bool), float("-inf")), ValueError,
     r"masked_fill: fill_value -inf does not fit in int64"),
    (lambda t: t[0].tril(), ValueError,
     r"tril: needs a tensor of at least 2 dims \(a matrix or a batch of them\), got shape "
     r"\(3,\)"),
    (lambda t: autograd.triu(t, 0.5), TypeError, r"triu: diagonal must be an int, got 0.5"),
])
def test_pytorch_shape_names_check_their_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(t64(np.zeros((2, 3))))


def test_cat_and_stack_join_integers_with_floats_in_the_floats_dtype_as_pytorch():
    """autograd.cat([int64, float32]) was float64 (numpy's rule), where torch.cat gives float32
    and glassgrad's own int64 + float32 is float32."""
    ints, floats = Tensor(np.arange(2)), Tensor(np.ones(2, np.float32), requires_grad=True)
    for join, values in ((autograd.cat, [0.0, 1.0, 1.0, 1.0]),
                         (autograd.stack, [[0.0, 1.0], [1.0, 1.0]])):
        joined = join([ints, floats])
        assert joined.dtype == np.float32 and joined.tolist() == values
        joined.sum().backward()
        assert floats.grad.dtype == np.float32 and (floats.grad > 0).all()
        floats.grad = None
    assert autograd.cat([Tensor(np.ones(1, np.float32)), Tensor(np.ones(1))]).dtype == np.float64


def test_transpose_refuses_out_of_range_axes_in_a_permutation_and_takes_a_numpy_int():
    """Taken modulo ndim, (0, 1, 5) and (0, 1, -4) passed as the permutation (0, 1, 2) of a 3-d
    tensor, where numpy raises; a single numpy int axis (1-d) failed inside with 'numpy.int64
    object is not iterable'."""
    x = t64(np.zeros((2, 3, 4)))
    for axes in ((0, 1, 5), (0, 1, -4)):
        with pytest.raises(ValueError, match=rf"transpose: axis {axes[2]} is out of range for a "
                                             rf"tensor with 3 dims"):
            x.transpose(axes)
        with pytest.raises(ValueError, match=rf"permute: axis {axes[2]} is out of range"):
            x.permute(*axes)
    assert t64([1.0, 2.0]).transpose(np.int64(0)).shape == (2,)
    assert x.transpose((np.int64(2), 0, 1)).shape == (4, 2, 3)


def test_a_pytorch_tensor_that_requires_grad_gives_its_numbers():
    class Like:                             # stands in for a torch.Tensor with requires_grad
        def __init__(self, numbers, frozen=False):
            self.numbers, self.frozen = numbers, frozen

        def detach(self):
            return Like(self.numbers, frozen=True)

        def numpy(self):
            return self.numbers

        def __array__(self, dtype=None, copy=None):
            if not self.frozen:
                raise RuntimeError("Can't call numpy() on Tensor that requires grad")
            return np.asarray(self.numbers, dtype=dtype)

    np.testing.assert_array_equal(Tensor(Like(np.array([1.5, 2.5]))).data, [1.5, 2.5])


def test_a_pytorch_tensor_keeps_its_dtype_as_an_ndarray_does():
    class Like:                             # stands in for a torch.Tensor
        def __init__(self, numbers):
            self.numbers = numbers

        def detach(self):
            return self

        def numpy(self):
            return self.numbers

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.numbers, dtype=dtype)

    for dtype in (np.float64, np.float16, np.float32):
        assert Tensor(Like(np.array([0.1, 2.5], dtype=dtype))).dtype == dtype
    assert Tensor(Like(np.array([0.1]))).item() == 0.1          # float64's 0.1, not float32's
    assert Tensor([0.1, 2.5]).dtype == np.float32               # Python floats: the default


def test_log10_is_numpys_to_the_last_bit():
    """Its own op, not ln x / ln 10, which misses log10(1000) = 3 by one ulp in float64."""
    x = np.array([1000.0, 1e-5, 2.0])
    assert (Tensor(x).log10().data == np.log10(x)).all()


def test_log10_slope_of_the_largest_float32_numbers():
    """1 / (x ln 10) is 1.45e-39 at x = 3e38, a float32 (subnormal): as g / (x ln 10) it was
    0, with an overflow warning, x ln 10 being beyond float32."""
    x = Tensor(np.array([3e38, 1.0], np.float32), requires_grad=True)
    with strict():
        x.log10().backward(np.ones(2, np.float32))
    np.testing.assert_allclose(x.grad, 1 / (np.array([3e38, 1.0]) * np.log(10)), rtol=1e-6)


def test_the_repr_of_an_empty_tensor_shows_its_shape():
    # numpy's text for every empty array is [], so (0, 3) and (5, 0) looked like (0,)
    assert repr(Tensor(np.zeros((0, 3), dtype=np.float32))) == "Tensor([], size=(0, 3))"
    assert repr(Tensor(np.zeros((5, 0)), requires_grad=True)) == \
        "Tensor([], size=(5, 0), dtype=float64, requires_grad=True)"
    assert repr(Tensor(np.zeros(0, dtype=np.float32))) == "Tensor([])"
    assert repr(Tensor([[1.0, 2.0]])) == "Tensor([[1., 2.]])"


def test_iterating_gives_the_rows_and_a_0d_tensor_refuses():
    """Python's fallback iteration (t[0], t[1], ... up to an IndexError) gave a 0-d tensor no
    rows: `for v in t0d` silently did nothing and `list(t0d)` was []; PyTorch refuses."""
    rows = list(t64([[1.0, 2.0], [3.0, 4.0]]))
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError, match=r"iteration over a 0-d Tensor"):
        list(t64(3.0))
    with pytest.raises(TypeError, match=r"iteration over a 0-d Tensor"):
        a, = t64(3.0)


@pytest.mark.parametrize("combine", [lambda u: u + 300, lambda u: 300 - u, lambda u: u * -1,
                                     lambda u: u == 300,
                                     lambda u: where(Tensor([True, False]), u, 300)])
def test_a_python_int_beyond_an_integer_dtype_is_refused_on_every_numpy(combine):
    """On numpy 1.x, uint8 [1, 2] + 300 was silently [45, 46] (300 wrapped around to 44) and
    == 300 compared with 44; numpy 2 raises, and now so does glassgrad on both."""
    with pytest.raises(OverflowError, match=r"Python integer -?[0-9]+ out of bounds for uint8"):
        combine(Tensor(np.array([1, 2], np.uint8)))


def test_a_list_of_python_ints_beyond_the_dtype_is_refused_by_setitem_on_every_numpy():
    """u[:2] = [1, 300] into uint8 wrote [1, 44] on numpy 1.x (numpy 2 raises)."""
    u = Tensor(np.array([1, 2, 3], np.uint8))
    with pytest.raises(OverflowError, match=r"Python integer 300 out of bounds for uint8"):
        u[:2] = [1, 300]
    u[:2] = [7, 255]
    assert u.tolist() == [7, 255, 3]


def test_masked_fill_and_tril_compute_no_gradient_for_the_constant_they_make(rng):
    """masked_fill's number and tril's 0 are constants made inside the op: Where's backward
    skips their gradient (as large as the output) and still gives the tensor's, and a 0-d
    Tensor value that wants a gradient gets it."""
    from autograd.ops import Where
    x = t64(rng.normal(size=(2, 3)))
    mask = np.array([[True, False, True], [False, False, True]])
    g = rng.normal(size=(2, 3))
    for out in (x.masked_fill(mask, -np.inf), x.tril()):
        made = 0 if out._b.mask is mask else 1
        grads = Where.backward(out._b, g, out.data, *(p.data for p in out._a))
        assert grads[made] is None and grads[1 - made] is not None
    value = Tensor(np.float64(2.0), requires_grad=True)
    (x.masked_fill(mask, value) * t64(g, requires_grad=False)).sum().backward()
    assert value.grad == pytest.approx(g[mask].sum())
    np.testing.assert_array_equal(x.grad, np.where(mask, 0.0, g))
