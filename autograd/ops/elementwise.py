"""Elementwise functions: exp, log, log2, log10, log1p, expm1, xlogy, logit, sqrt, abs, tanh
(and its backward as one op for tensors, tanh_backward), sigmoid, relu, leaky_relu, softplus,
elu (also SELU's and CELU's), hardswish, hardtanh, threshold, hardshrink, smooth_l1 and huber
(of the difference pred - target, before the loss's reduction), sin, cos, maximum, minimum,
clip, where; the two flat ops step and sign that the higher-order rules of relu and abs build
their slopes from; log_or_zero, the ln a in the slope of a ** b with respect to b, and
clamped_log, the binary cross-entropy's log clamped at -100.

Where a function has branches (relu, leaky_relu, the edges of log_or_zero and clamped_log), its
op picks the branch from the data each time it runs, also in a compiled replay
(`autograd.compile`), and its higher-order rule builds the slope from a Step node, so that a
compiled gradient graph recomputes it too: a branch picked in Python while the graph is built
would stay as recorded.

The ops a `Value` can be made of (exp, log, log2, log1p, expm1, sqrt, abs, tanh, sigmoid,
relu, leaky_relu, softplus, sin, cos, step, sign, log_or_zero, clamped_log) take both
payloads in forward and backward: a Python float (computed with `math`, as micrograd does) or
an ndarray (a `Tensor`). The others (log10, elu, hardswish, hardtanh, smooth_l1, huber, maximum,
minimum, clip, where, xlogy, logit) are Tensor ops and take arrays. Rules save what they need
in `ctx` or read it from the output.

>>> from autograd import Value
>>> from autograd.graph import apply
>>> y = apply(Softplus, (Value(0.0),))             # a Value op: math on floats
>>> y.backward()
>>> round(y.data, 6), y.parents[0].grad           # ln 2, and the slope σ(0)
(0.693147, 0.5)
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..graph import CLOSED, Node, Op, apply, raw
from .conv import as_length_major_like
from .numpy1 import in_input_dtype


def _exp_float(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:          # as math.exp (and micrograd), but naming the op and the number
        raise OverflowError(f"exp: e ** {x!r} is too large for a float (the largest is about "
                            f"e ** 709.78; a sigmoid, 1 / (1 + (-z).exp()), is z.sigmoid(), "
                            f"which never overflows)") from None


def _sigmoid_float(x: float) -> float:
    e = math.exp(-abs(x))          # in (0, 1]: cannot overflow
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    """σ(x) as `sigmoid_from_exp`'s numbers, in place on two new arrays (five before: each
    temporary of a (4096, 512) float32 is 8 MB of memory traffic; 4.3 -> 3.5 ms)."""
    if not x.ndim:                  # (numpy's 0-d results are scalars, which have no out=)
        return sigmoid_from_exp(x, np.exp(-np.abs(x)))
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    numerator = np.maximum(e, x >= 0)
    e += 1
    numerator /= e
    return numerator


def sigmoid_from_exp(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """σ(x) from e = e^-|x|, which never overflows (the exponent is <= 0): 1 / (1 + e) for
    x >= 0, e / (1 + e) below. Taking e, not x, lets the binary cross-entropy from logits share
    one exp between σ and softplus. The numerator, 1 or e, is max(e, x >= 0), as e <= 1: the
    same numbers as np.where(x >= 0, 1 / (1 + e), e / (1 + e)) (NaN stays NaN), in two passes
    fewer and without np.where's branch per element (a (64, 256) float32 σ 39 -> 22 µs)."""
    return np.maximum(e, x >= 0) / (1 + e)


def softplus_from_exp(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """softplus(x) = ln(1 + e^x) from e = e^-|x|, as ln(1 + e) + max(x, 0): no overflow. (e is
    the same for x and -x.)"""
    return np.log1p(e) + np.maximum(x, 0)


class Exp(Op):
    """e^x;  d/dx = e^x, which is the output"""
    name = "exp"

    @staticmethod
    def forward(ctx, x):
        return _exp_float(x) if x.__class__ is float else np.exp(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * out,)


class Log(Op):
    """ln x;  d/dx = 1/x"""
    name = "log"

    @staticmethod
    def forward(ctx, x):
        return math.log(x) if x.__class__ is float else np.log(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g / x,)


class Log10(Op):
    """log₁₀ x = ln x / ln 10;  d/dx = 1 / (x ln 10)"""
    name = "log10"

    @staticmethod
    def forward(ctx, x):
        return np.log10(x)              # (not log(x) / ln 10: log10(1000) would miss 3 by 1 ulp)

    @staticmethod
    def backward(ctx, g, out, x):
        # (not g / (x ln 10): x ln 10 overflows for float32 x > 1.5e38, and the slope came out
        # 0 with a warning; dividing twice is as accurate, measured: within 1 ulp of it)
        return (g / x / LN_10,)


LN_10 = math.log(10)


class Log2(Op):
    """log₂ x;  d/dx = 1 / (x ln 2)"""
    name = "log2"

    @staticmethod
    def forward(ctx, x):
        return math.log2(x) if x.__class__ is float else np.log2(x)   # (exact at powers of 2)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g / (x * LN_2),)


LN_2 = math.log(2)


class Log1p(Op):
    """ln(1 + x), accurate for tiny x (where 1 + x would round to 1);  d/dx = 1 / (1 + x)"""
    name = "log1p"

    @staticmethod
    def forward(ctx, x):
        return math.log1p(x) if x.__class__ is float else np.log1p(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g / (1 + x),)


class Expm1(Op):
    """e^x - 1, accurate for tiny x;  d/dx = e^x, which is the output + 1"""
    name = "expm1"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            try:
                return math.expm1(x)
            except OverflowError:       # as math.expm1 (and exp), naming the op and the number
                raise OverflowError(f"expm1: e ** {x!r} - 1 is too large for a float (the "
                                    f"largest is about e ** 709.78)") from None
        return np.expm1(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * (out + 1),)


class LogOrZero(Op):
    """ln x, but 0 at x = 0 and NaN below;  d/dx = 1/x for x > 0, else 0"""
    # The ln a in d(a^b)/db = a^b ln a (whose limit as a → 0⁺ is 0). An op rather than a branch
    # in Pow's higher-order rule, so that a gradient graph computes it from the data: compiled,
    # a replay at a > 0 must not keep the 0 or NaN of a recording at a <= 0, nor the reverse.
    # Where it is a constant (0, NaN) it passes no gradient, as a number in its place would.
    name = "log_or_zero"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return math.log(x) if x > 0 else (0.0 if x == 0 else math.nan)
        with np.errstate(divide="ignore", invalid="ignore"):     # NaN below 0, as for floats
            return np.log(np.where(x == 0, 1, x))

    @staticmethod
    def backward(ctx, g, out, x):
        return (_reciprocal_where(g, x, x),)


LOG_FLOOR = -100.0              # PyTorch's clamp of each log in the binary cross-entropy
TINY = math.exp(LOG_FLOOR)      # e^-100: from here down (in float64) ln x <= -100 is clamped


class ClampedLog(Op):
    """max(ln x, -100), PyTorch's clamp (-100 at 0 too; NaN below 0, or an error below 0 and
    for NaN for a float, as binary_cross_entropy refuses such probabilities);
    d/dx = 1/x where x > e^-100, else 0

    The binary cross-entropy of Values takes its logs here, and its slope is the derivative of
    the clamped function this op computes: 0 where the log is clamped. The Tensor loss,
    `fused.BinaryCrossEntropy`, follows PyTorch's gradient instead, (p - t) / max(p(1 - p),
    1e-12), which is not 0 there: the two gradients agree unless p or 1 - p is below ~1e-12."""
    # The binary cross-entropy's log: a saturated probability costs 100, not inf. Clamped, it
    # is a constant and passes no gradient, as the -100 in its place would.
    name = "clamped_log"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            if not x >= 0:  # (a compiled BCE replayed at a probability outside [0, 1] or NaN)
                raise ValueError(f"clamped_log: the log of a probability (binary_cross_entropy) "
                                 f"needs a number >= 0, got {x!r}")
            return math.log(x) if x > TINY else LOG_FLOOR
        with np.errstate(divide="ignore", invalid="ignore"):     # log(0) = -inf, then clamped
            return np.maximum(np.log(x), LOG_FLOOR)

    @staticmethod
    def backward(ctx, g, out, x):
        # (x - e^-100 > 0 exactly where x > e^-100: the difference of two floats is never
        # rounded to 0, nor across it)
        return (_reciprocal_where(g, x, x - TINY),)


def _reciprocal_where(g: Any, x: Any, above: Any) -> Any:
    """g / x where `above` > 0, else 0 (no gradient, for a float): the slope of a log that is a
    constant below some point. For nodes (higher order) the mask is a Step node of `above`, part
    of the gradient graph, and x is divided by 1 where the mask is off (1/0 is never formed)."""
    if isinstance(x, Node):
        on = step_of(above)
        return g * on / (x * on + (1 - on))
    if x.__class__ is float:
        return g / x if above > 0 else None
    on = above > 0
    return np.where(on, g, 0) / np.where(on, x, 1)


def xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x ln y, and 0 where x is 0 and y is not NaN (0 · ln 0 is 0 here, not NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):        # ln 0 = -inf, 0 · -inf
        return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))


@in_input_dtype
class XLogY(Op):
    """x ln y, 0 where x = 0 (unless y is NaN), PyTorch's xlogy: the entropy's p ln p at
    p = 0;  d/dx = ln y (0 where x = 0 and y <= 0, as PyTorch's), d/dy = x / y"""
    # One op, not where(x == 0, 0, x * y.log()): the branch where() does not pick still sends
    # 0 · ln 0 = NaN back to x through the product's rule.
    name, broadcasting = "xlogy", True

    @staticmethod
    def forward(ctx, x, y):
        return xlogy(x, y)

    @staticmethod
    def backward(ctx, g, out, x, y):
        sloped = ~((raw(x) == 0) & (raw(y) <= 0))
        if isinstance(x, Node):         # higher order: g ln y as this op again, y's slope x / y
            return apply(XLogY, (g, y)) * sloped.astype(raw(g).dtype), g * x / y
        with np.errstate(divide="ignore", invalid="ignore"):    # 0 / 0 is NaN, as PyTorch's
            return np.where(sloped, xlogy(g, y), 0.0), g * x / y


@in_input_dtype
class Logit(Op):
    """logit(x) = ln(x / (1 - x)), the inverse of σ, of x clamped to [ε, 1 - ε] if ε (ctx) is
    given;  d/dx = 1 / (x (1 - x)), but 0 where ε clamps x and NaN outside [0, 1] (PyTorch's)"""
    name = "logit"

    @staticmethod
    def forward(eps, x):
        if eps is not None:
            x = np.clip(x, eps, 1 - eps)
        return np.log(x / (1 - x))

    @staticmethod
    def backward(eps, g, out, x):
        low, high, outside = (0, 1, np.nan) if eps is None else (eps, 1 - eps, 0.0)
        inside = (raw(x) >= low) & (raw(x) <= high)
        if eps is not None:
            # the slope taken at the clamped x: where it is not used, an x of 0 or 1 would
            # divide by 0 (with numpy's warning) for nothing
            x = x.clip(low, high) if isinstance(x, Node) else np.clip(x, low, high)
        slope = g / (x * (1 - x))
        if isinstance(x, Node):
            return (slope * np.where(inside, 1.0, outside).astype(raw(g).dtype),)
        return (np.where(inside, slope, outside),)


class Sqrt(Op):
    """sqrt(x);  d/dx = 1 / (2 sqrt(x))"""
    name = "sqrt"

    @staticmethod
    def forward(ctx, x):
        return math.sqrt(x) if x.__class__ is float else np.sqrt(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g / (2 * out),)


class Abs(Op):
    """|x|;  d/dx = sign(x) (0 at 0), which the caller saves as ctx"""
    name = "abs"

    @staticmethod
    def forward(sign, x):
        return abs(x) if x.__class__ is float else np.abs(x)

    @staticmethod
    def backward(sign, g, out, x):
        if isinstance(x, Node):         # higher order: the slope is a node computed from x, so
            sign = sign_of(x)           # that a replay with new data recomputes it (compile)
        return (g * sign,)


class Tanh(Op):
    """tanh(x);  d/dx = 1 - tanh(x)^2"""
    name = "tanh"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            # The lecture's (e^2x - 1) / (e^2x + 1), so that its numbers come out bit for bit
            # (math.tanh differs in the last bit about half the time: 0.7071067811865477 at the
            # lecture's neuron); but only where that formula is accurate: below |x| = 0.25
            # e^2x - 1 cancels (64 ulps off at 0.005), and beyond 20 both give ±1.
            if 0.25 <= abs(x) <= 20.0:
                e = math.exp(2 * x)
                return (e - 1) / (e + 1)
            return math.tanh(x)
        return np.tanh(x)

    @staticmethod
    def backward(ctx, g, out, x):
        if out.__class__ is float or out.data.__class__ is float:
            return (g * (1 - out * out),)   # a Value: micrograd's rule, node for node
        return (tanh_slope_times(g, out),)


def tanh_slope_times(g: Any, out: Any) -> Any:
    """g (1 - out²), tanh's gradient for its output `out`: a TanhGrad node for nodes (tensors
    in a higher-order pass: g and out both nodes), an array for arrays.

    >>> from autograd import Tensor
    >>> y = Tensor([0.5, 2.0], dtype="float64", requires_grad=True).tanh()
    >>> tanh_slope_times(Tensor([1.0, 1.0]), y).op
    'tanh_backward'
    >>> np.allclose(tanh_slope_times(np.ones(2), y.data), 1 - np.tanh([0.5, 2.0]) ** 2)
    True
    """
    if isinstance(out, Node):
        return apply(TanhGrad, (g, out))
    return TanhGrad.forward(None, g, out)


class TanhGrad(Op):
    """g (1 - out²), tanh's gradient for its output out;  d/dg = 1 - out², d/dout = -2 g out

    One node where g * (1 - out * out) made three: a PINN differentiates its network two or
    three times over, and each pass records every tanh's backward (measured: a PINN training
    step 1.3x to 1.8x as fast; docs/measurements.md#elementwise). d/dg is this op again.
    """
    name = "tanh_backward"

    @staticmethod
    def forward(ctx, g, out):
        return g * (1 - out * out)

    @staticmethod
    def backward(ctx, h, result, g, out):
        return tanh_slope_times(h, out), -2 * (h * g * out)


@in_input_dtype
class Sigmoid(Op):
    """σ(x) = 1 / (1 + e^-x), evaluated without overflow;  d/dx = σ(x) (1 - σ(x))"""
    name = "sigmoid"

    @staticmethod
    def forward(ctx, x):
        return _sigmoid_float(x) if x.__class__ is float else _sigmoid_array(x)

    @staticmethod
    def backward(ctx, g, out, x):
        if out.__class__ is np.ndarray and out.ndim and g.__class__ is np.ndarray \
                and g.shape == out.shape and g.dtype == out.dtype:
            # the same products, in place on one new array
            slope = np.subtract(1, out)
            slope *= out
            slope *= g
            return (slope,)
        return (g * (out * (1 - out)),)


class SavedSigmoid:
    """Silu's ctx: σ(x) as its forward computed it, for the backward (None: keep nothing)."""
    __slots__ = ("sigmoid",)

    def __init__(self) -> None:
        self.sigmoid = None


@in_input_dtype
class Silu(Op):
    """silu(x) = x σ(x);  d/dx = σ(x) (1 + x (1 - σ(x)))  (σ kept from the forward when ctx is
    a `SavedSigmoid`)"""
    # One op, where x * x.sigmoid() made two and its backward five passes more (the product's
    # two gradients, σ's slope, their sum): measured on (4096, 512) float32, see
    # docs/measurements.md, s31 transcendental. Tensors only.
    name = "silu"

    @staticmethod
    def forward(ctx, x):
        sigmoid = _sigmoid_array(x)
        if ctx is not None:
            ctx.sigmoid = sigmoid
        return x * sigmoid

    @staticmethod
    def backward(ctx, g, out, x):
        if isinstance(x, Node):         # higher order: the slope as nodes of x
            sigmoid = x.sigmoid()
            return (g * (sigmoid * (1 + x * (1 - sigmoid))),)
        sigmoid = _sigmoid_array(x) if ctx is None or ctx.sigmoid is None else ctx.sigmoid
        slope = np.asarray(np.subtract(1, sigmoid))
        slope *= x
        slope += 1
        slope *= sigmoid
        return (g * slope,)


@in_input_dtype                 # (numpy 1.x: np.maximum of a 0-d float32 and 0 is float64)
class Relu(Op):
    """max(x, 0);  d/dx = 1 where the output is positive, else 0"""
    name, symbol = "relu", "ReLU"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            # micrograd's `0 if x < 0 else x`: NaN stays NaN (as np.maximum keeps it) and
            # -0.0 stays -0.0, bit for bit micrograd's
            return 0.0 if x < 0 else x
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, g, out, x):
        if out.__class__ is float:          # a scalar ReLU that is off passes no gradient at
            # all (Value.relu marks it CLOSED when made: backward does not visit its input)
            return (g if out > 0 and ctx is not CLOSED else None,)
        # (a C-ordered g meeting a length-major conv1d's output is relaid out first: cheaper
        # than the mixed multiply, and the gradient goes on in the layout the convolution reads)
        if g.__class__ is np.ndarray and g.ndim > 2:    # (an MLP's 2-d ones skip the call)
            g = as_length_major_like(g, out)
        return (g * step_of(out),)


@in_input_dtype
class LeakyRelu(Op):
    """leaky_relu(x) = x if x > 0 else c x, for the slope c (ctx);  d/dx = 1 if x > 0 else c"""
    # The slope at 0 is c (PyTorch's choice). In gradient graphs the slope is
    # step(x) + c (1 - step(x)): exactly 1 or c, from a Step node of x.
    name = "leaky_relu"

    @staticmethod
    def forward(c, x):
        if x.__class__ is float:
            return x if x > 0 else x * c
        if np.ndim(c) == 0 and c != 0 and math.isfinite(c):
            # x or c x, whichever is larger for c < 1 (smaller for c > 1): the same numbers
            # as picking by the sign of x, 4x as fast as np.where's branch per element.
            # (Not for c = 0: at x = inf, c x is NaN; nor for c = NaN or ±inf: c x would be
            # NaN where x > 0, or 0 · inf, and maximum/minimum would pick it.)
            return (np.maximum if c < 1 else np.minimum)(x, x * c)
        with np.errstate(invalid="ignore"):     # c = 0 at x = inf: the c x not picked is NaN
            return np.where(x > 0, x, x * c)    # (and a compiled replay: a slope per node)

    @staticmethod
    def backward(c, g, out, x):
        if x.__class__ is float:
            return (g if x > 0 else g * c,)
        if isinstance(x, Node):
            on = step_of(x)
            return (g * (on + (1 - on) * c),)
        if np.ndim(c) == 0 and 0 <= c < 1 and np.ndim(x) > 0:
            # the slope as numbers, max(step(x), c): exactly 1 or c, so g · slope is np.where's
            # g or g · c bit for bit, 7x as fast for a conv layer's (64, 32, 14, 14) (np.where
            # branches per element; this is three vector passes, in x's own memory order)
            slope = (x > 0).astype(g.dtype)
            np.maximum(slope, c, out=slope)
            slope *= g
            return (slope,)
        return (np.where(x > 0, g, g * c),)


class SavedExp:
    """Softplus's ctx: e^-|x| as its forward computed it, for the backward's σ(x) (the exp was
    half of the backward: softplus, logsigmoid and mish pass it; None keeps nothing)."""
    __slots__ = ("e",)

    def __init__(self) -> None:
        self.e = None


@in_input_dtype
class Softplus(Op):
    """softplus(x) = ln(1 + e^x), as ln(1 + e^-|x|) + max(x, 0) (no overflow);  d/dx = σ(x)
    (σ from the forward's e^-|x| when ctx is a `SavedExp`)"""
    # The binary cross-entropy from logits of Values is t softplus(-x) + (1 - t) softplus(x):
    # one op, where two overflow-free formulas picked by the sign of x would be frozen into a
    # compiled graph.
    name = "softplus"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return math.log1p(math.exp(-abs(x))) + max(x, 0.0)
        e = np.exp(-np.abs(x))
        if ctx is not None:
            ctx.e = e
        return softplus_from_exp(x, e)

    @staticmethod
    def backward(ctx, g, out, x):
        if isinstance(x, Node):
            return (g * x.sigmoid(),)
        if x.__class__ is float:
            return (g * _sigmoid_float(x),)
        if ctx is None or ctx.e is None:
            return (g * _sigmoid_array(x),)
        # σ(x) = max(e, [x >= 0]) / (1 + e), `sigmoid_from_exp`'s numbers, in place
        slope = np.asarray(np.maximum(ctx.e, x >= 0))
        slope /= 1 + ctx.e
        return (g * slope,)


@in_input_dtype
class Elu(Op):
    """elu(x) = s x if x > 0 else s α (e^(k x) - 1), for (α, s, k) in ctx;
    d/dx = s if x > 0 else s α k e^(k x)"""
    # One op for PyTorch's ELU (s = k = 1), SELU (its fixed α and s) and CELU (k = 1/α). One op,
    # not where(x > 0, x, α (exp(x) - 1)): e^(kx) - 1 keeps its digits near 0, where exp(x) - 1
    # cancels (float32 elu(-1e-4) would be off by 6e-4 relatively), and the exponential is only
    # ever taken of min(x, 0), so x = 1000 overflows nowhere (a where over exp(x) would also
    # send inf · 0 = NaN back through the branch it did not pick). The slope at 0 is the left
    # one, s α k, as PyTorch's. Both sides are added, not picked (np.where is slow here): the
    # negative side is 0 where x > 0 and the positive side 0 where x <= 0.
    name = "elu"

    @staticmethod
    def forward(ctx, x):
        alpha, scale, k = ctx
        # the exponent is k min(x, 0): min(kx, 0) for k > 0, but for CELU with α < 0 (k < 0)
        # it is kx >= 0 where x < 0 (e^(kx) grows there, and may overflow, as it is)
        negative = (expm1_below_zero(x if k == 1 else x * k) if k > 0
                    else np.expm1(np.minimum(x, 0) * k))
        positive = np.maximum(x, 0)
        return (positive if scale == 1 else positive * scale) + (
            negative if scale * alpha == 1 else negative * (scale * alpha))

    @staticmethod
    def backward(ctx, g, out, x):
        alpha, scale, k = ctx
        if isinstance(x, Node):         # higher order: the slope as nodes of x, to differentiate
            on = step_of(x)
            left = ((x.clip(None, 0) * k).exp()) * (scale * alpha * k)
            return (g * (on * scale + (1 - on) * left),)
        # e^(kx) again rather than k (out + s α) from the output: that cancels where e^(kx) is
        # small, and the slope there would lose its digits
        left = np.exp(np.minimum(x, 0) * k) * (scale * alpha * k)
        if k < 0:           # (CELU with α < 0: left may overflow to inf where x < 0, and
            return (g * np.where(x > 0, scale, left),)      # 0 · (s - inf) would be NaN)
        if not (left.ndim and np.shape(g) == left.shape and g.dtype == left.dtype):
            return (g * (left + (x > 0) * (scale - left)),)  # (s to an ulp where x > 0)
        # the same numbers in place on two new arrays (six before)
        slope = np.subtract(scale, left)
        slope *= x > 0
        slope += left
        slope *= g
        return (slope,)


def expm1_below_zero(z: np.ndarray) -> np.ndarray:
    """e^min(z, 0) - 1 to a few ulps (measured: 1 in float64, 4 in float32), 3-4x as fast as
    np.expm1, which numpy does not vectorise. u = e^m comes rounded, u = e^(m + δ), so
    e^m - 1 = u e^-δ - 1 ≈ (u - 1) - u δ, where u - 1 is exact and δ = ln u - m (Kahan's
    correction). m is floored at ln(eps / 4), below which e^m - 1 is -1 to the last bit, so
    that ln u stays finite.

    >>> z = np.array([-1e-9, -0.5, -50.0, 2.0])
    >>> bool((expm1_below_zero(z) == np.expm1(np.minimum(z, 0))).all())
    True
    """
    m = np.clip(z, math.log(np.finfo(z.dtype).eps / 4), 0)
    u = np.exp(m)
    return (u - 1) - u * (np.log(u) - m)


@in_input_dtype
class Hardswish(Op):
    """hardswish(x) = x · min(max(x + 3, 0), 6) / 6;  d/dx = 0 for x <= -3, (2x + 3) / 6
    between, 1 for x >= 3"""
    # One op, not x · hardsigmoid(x): the product rule's x · slope is inf · 0 = NaN at ±inf,
    # where the slopes are 0 and 1 (PyTorch's, as at the kinks: 0 at -3, 1 at 3). The forward is
    # that product all the same, so the value at -inf is -inf · 0 = NaN, as PyTorch's.
    name = "hardswish"

    @staticmethod
    def forward(ctx, x):
        # x · (min(max(x + 3, 0), 6) / 6), in one buffer of our own (asarray: a 0-d x's sum
        # is a numpy scalar, which has no `out=`)
        y = np.asarray(x + 3)
        np.clip(y, 0, 6, out=y)
        y /= 6
        y *= x
        return y

    @staticmethod
    def backward(ctx, g, out, x):
        if isinstance(x, Node):         # higher order: the slope as nodes of x (masks by Step),
            above = 1 - step_of(3 - x)                      # 1 from 3 on
            inside = step_of(x + 3) - above                 # 1 strictly between -3 and 3
            # (x clipped, so that inf · 0 makes no NaN where the middle piece is not picked)
            return (g * (inside * ((x.clip(-3, 3) + 1.5) / 3) + above),)
        # (x + 1.5) / 3 = (2x + 3) / 6 to 1 ulp, also next to its zero at -1.5, times the mask
        # |x| < 3, plus 1 from 3 on: np.where(|x| >= 3, x >= 3, (x + 1.5) / 3)'s numbers, 6x as
        # fast (np.where branches per element). x is clipped to [-3, 3] first, so that ±inf
        # makes no inf · 0 = NaN where the middle piece is masked off; NaN stays NaN.
        slope = np.asarray(np.clip(x, -3, 3))
        slope += 1.5
        slope /= 3
        slope *= np.abs(x) < 3
        slope += x >= 3
        if g.__class__ is np.ndarray and g.shape == slope.shape and g.dtype == slope.dtype:
            slope *= g
            return (slope,)
        return (g * slope,)


@in_input_dtype
class SmoothL1(Op):
    """smooth_l1(x) = 0.5 x² / β if |x| < β else |x| - 0.5 β, for β > 0 in ctx;
    d/dx = clip(x, -β, β) / β"""
    # x is the difference pred - target; the loss's reduction is a Mean or Sum after this op.
    # The square is taken of |x| capped at β (x itself where it is picked): uncapped, it would
    # overflow (a warning) at |x| > 1.8e19 in float32, and at ±inf its slope would be NaN.
    name = "smooth_l1"

    @staticmethod
    def forward(beta, x):
        size = np.abs(x)
        near = np.minimum(size, beta)
        return np.where(size < beta, near * near * (0.5 / beta), size - 0.5 * beta)

    @staticmethod
    def backward(beta, g, out, x):
        slope = x.clip(-beta, beta) if isinstance(x, Node) else np.clip(x, -beta, beta)
        return (g * (slope if beta == 1 else slope / beta),)      # (±1 exactly beyond β)


@in_input_dtype
class Huber(Op):
    """huber(x) = 0.5 x² if |x| < δ else δ (|x| - 0.5 δ), for δ > 0 in ctx;
    d/dx = clip(x, -δ, δ)"""
    # δ · smooth_l1 with β = δ, in PyTorch's formulas (so the numbers differ by a rounding);
    # capped as SmoothL1's square
    name = "huber"

    @staticmethod
    def forward(delta, x):
        size = np.abs(x)
        near = np.minimum(size, delta)
        return np.where(size < delta, near * near * 0.5, (size - 0.5 * delta) * delta)

    @staticmethod
    def backward(delta, g, out, x):
        return (g * (x.clip(-delta, delta) if isinstance(x, Node)
                     else np.clip(x, -delta, delta)),)


class Step(Op):
    """step(x) = 1 where x > 0, else 0 (relu's slope, from relu's output);  d/dx = 0 (flat)"""
    # Flat: its derivative is 0 wherever it exists, so its rule passes no gradient at all (and,
    # made with ctx CLOSED, first-order backward does not even visit its input). Higher-order
    # rules use it so that the mask is a node of the gradient graph, computed from the data.
    name = "step"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return 1.0 if x > 0 else 0.0
        return (x > 0).astype(x.dtype)

    @staticmethod
    def backward(ctx, g, out, x):
        return (None,)


class Sign(Op):
    """sign(x) = -1, 0 or 1 (abs's slope, NaN stays NaN);  d/dx = 0 (flat, as Step)"""
    name = "sign"

    @staticmethod
    def forward(ctx, x):
        if x.__class__ is float:
            return 1.0 if x > 0 else (-1.0 if x < 0 else x * 0.0)
        return np.sign(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (None,)


class Sin(Op):
    """sin(x);  d/dx = cos(x)"""
    name = "sin"

    @staticmethod
    def forward(ctx, x):
        return math.sin(x) if x.__class__ is float else np.sin(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * cos_of(x),)


class Cos(Op):
    """cos(x);  d/dx = -sin(x)"""
    name = "cos"

    @staticmethod
    def forward(ctx, x):
        return math.cos(x) if x.__class__ is float else np.cos(x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (-(g * sin_of(x)),)


def sin_of(x: Any) -> Any:
    """sin(x), the slope of cos: a Sin node for a node (higher-order rules: the slope stays part
    of the graph, to be differentiated again), a number or an array for a payload.

    >>> from autograd import Value
    >>> sin_of(Value(0.5)).op, sin_of(0.5) == math.sin(0.5)
    ('sin', True)
    """
    return apply(Sin, (x,)) if isinstance(x, Node) else Sin.forward(None, x)


def cos_of(x: Any) -> Any:
    """cos(x), the slope of sin: a Cos node for a node, a number or an array for a payload."""
    return apply(Cos, (x,)) if isinstance(x, Node) else Cos.forward(None, x)


def step_of(x: Any) -> Any:
    """The mask x > 0: a Step node for a node (higher-order rules: the mask stays part of the
    graph, computed from its input), a bool array for an array (first order, as cheap as it gets).

    >>> from autograd import Value
    >>> step_of(Value(2.0)).data, step_of(Value(-2.0)).op, step_of(np.array([1.0, -1.0]))
    (1.0, 'step', array([ True, False]))
    """
    if isinstance(x, Node):
        return apply(Step, (x,), CLOSED)
    return x > 0


def sign_of(x: Any) -> Any:
    """sign(x) as a Sign node: abs's slope in higher-order rules (first order saves the sign),
    and the mask that `slope_exponent` makes for an exponent that is a node."""
    return apply(Sign, (x,), CLOSED)


class Maximum(Op):
    """elementwise max(a, b);  the gradient goes to the larger input, split evenly on ties"""
    name, broadcasting = "maximum", True

    @staticmethod
    def forward(ctx, a, b):
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g, out, a, b):
        a, b = raw(a), raw(b)
        to_a = ((a > b) + 0.5 * (a == b)).astype(raw(g).dtype)
        return g * to_a, g * (1 - to_a)


class Minimum(Op):
    """elementwise min(a, b);  the gradient goes to the smaller input, split evenly on ties"""
    name, broadcasting = "minimum", True

    @staticmethod
    def forward(ctx, a, b):
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g, out, a, b):
        a, b = raw(a), raw(b)
        to_a = ((a < b) + 0.5 * (a == b)).astype(raw(g).dtype)
        return g * to_a, g * (1 - to_a)


@in_input_dtype
class Clip(Op):
    """clip(x, low, high);  d/dx = 1 inside [low, high], 0 outside"""
    name = "clip"

    @staticmethod
    def forward(bounds, x):
        y = np.clip(x, *bounds)
        if y.dtype != x.dtype and not any(isinstance(b, np.ndarray) for b in bounds):
            # numpy 1.x's value-based casting makes a float32 x clipped at a Python number
            # near float32's limits (np.finfo(np.float32).min) float64; numpy 2 and PyTorch
            # keep x's dtype for a number (an array bound still promotes)
            y = y.astype(x.dtype)
        return y

    @staticmethod
    def backward(bounds, g, out, x):
        low, high = bounds
        x = raw(x)
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        return (g * inside,)


@in_input_dtype
class Hardtanh(Op):
    """hardtanh(x) = clip(x, low, high), for (low, high) in ctx;  d/dx = 1 if low < x < high
    else 0"""
    # PyTorch's hardtanh, relu6 (0, 6) and the clamp inside hardsigmoid: the slope is 0 at the
    # edges, where Clip's is 1. One op, where a where(low < x < high, x, clip(x)) spent 20 ms
    # of a (32, 128, 32, 32) float32 relu6's 21 in np.where's branch per element; the clip
    # alone is 1 ms, and the mask is made in backward only. NaN stays NaN (its slope is 0).
    name = "hardtanh"

    @staticmethod
    def forward(bounds, x):
        y = np.clip(x, *bounds)
        # (numpy 1.x: bounds near float32's limits made a float32 x float64, as in Clip)
        return y if y.dtype == x.dtype else y.astype(x.dtype)

    @staticmethod
    def backward(bounds, g, out, x):
        low, high = bounds
        if isinstance(x, Node):         # higher order: the mask as Step nodes of x (a compiled
            # replay recomputes it); x - low > 0 exactly where x > low, also at ±inf bounds
            return (g * (step_of(x - low) * step_of(high - x)),)
        inside = np.greater(x, low)
        inside &= x < high
        return (g * inside,)


class Threshold(Op):
    """threshold(x) = v if x ≤ t else x, for (t, v) in ctx;  d/dx = 0 if x ≤ t else 1"""
    # PyTorch's threshold (nn.Threshold), bit for bit: at the tie x = t the number v and the
    # slope 0; NaN is kept, and so is its slope 1, as PyTorch's x ≤ t leaves them. Each number
    # is chosen on its bits (`_put_number`): np.where's branch per element took 20 of 22 ms on
    # 4M floats.
    name = "threshold"

    @staticmethod
    def forward(ctx, x):
        limit, value = ctx
        result, taken = _with_bits(x)
        if result is None:                  # (no integer of its size: a long double)
            return np.where(x <= _in_dtype(limit, x), _in_dtype(value, x), x)
        np.less_equal(x, _in_dtype(limit, x), out=taken)
        _put_number(taken, x, value)
        return result

    @staticmethod
    def backward(ctx, g, out, x):
        limit, _ = ctx
        if isinstance(x, Node):             # higher order: the slope as a Step node of x (a
            return (g * (1 - _at_most(x, limit)),)     # compiled replay recomputes it)
        return (_zero_where(g, x, limit, np.less_equal),)


class Hardshrink(Op):
    """hardshrink(x) = 0 if |x| ≤ λ else x, for λ in ctx;  d/dx = 0 if |x| ≤ λ else 1"""
    # PyTorch's hardshrink: the band's edges -λ and λ are in it (0, slope 0), its 0 is +0.0,
    # NaN stays NaN with the slope 1, and a λ below 0 leaves x as it is. Chosen on the bits,
    # as Threshold.
    name = "hardshrink"

    @staticmethod
    def forward(lambd, x):
        result, taken = _with_bits(x)
        if result is None:
            return np.where(np.abs(x) <= _in_dtype(lambd, x), x.dtype.type(0), x)
        _in_band(x, lambd, taken)
        _put_number(taken, x, 0.0)
        return result

    @staticmethod
    def backward(lambd, g, out, x):
        if isinstance(x, Node):
            return (g * (1 - _at_most(x.abs(), lambd)),)
        return (_zero_where(g, x, lambd, _in_band),)


#: the integer type of each size of float: numbers chosen by their bits (`_put_number`)
_BITS = {2: np.dtype(np.int16), 4: np.dtype(np.int32), 8: np.dtype(np.int64)}


def _with_bits(x: np.ndarray) -> tuple[Any, Any]:
    """A new array of x's shape and dtype, and its memory seen as integers of the same size;
    (None, None) for a dtype that has no such integer (a long double)."""
    bits = _BITS.get(x.dtype.itemsize)
    if bits is None:
        return None, None
    result = np.empty_like(x)
    return result, result.view(bits)


def _in_dtype(number: float, x: np.ndarray) -> Any:
    """`number` in x's dtype, as PyTorch compares a tensor with a number (numpy 1.x compared
    with 1e300 in float64; in float32 it is inf)."""
    with np.errstate(over="ignore"):
        return x.dtype.type(number)


def _put_number(taken: np.ndarray, x: np.ndarray, number: float) -> None:
    """Turn `taken`, integers of x's element size holding 1 where `number` (in x's dtype)
    goes and 0 where x's element stays, into the bits of those numbers: x ^ ((x ^ n) & -1),
    so each element is exactly x's or the number, NaN, ±inf and -0.0 alike, with no branch
    per element (np.where's costs ~5 ns an element when the choice is scattered).

    >>> x = np.array([-1.0, 0.5, np.nan, np.inf])
    >>> taken = (x <= 0.5).astype(np.int64); _put_number(taken, x, 20.0)
    >>> taken.view(np.float64)
    array([20., 20., nan, inf])
    """
    xb = x.view(taken.dtype)
    fill = _in_dtype(number, x).view(taken.dtype)
    if fill == 0:                           # +0.0: x & (taken - 1), two passes fewer
        taken -= 1
        taken &= xb
        return
    np.negative(taken, out=taken)           # every bit set where the number goes
    taken &= np.bitwise_xor(xb, fill)
    taken ^= xb


def _in_band(x: np.ndarray, lambd: float, out: np.ndarray) -> np.ndarray:
    """|x| ≤ λ (-λ ≤ x ≤ λ; never for NaN or a λ below 0), written into `out` as 0 and 1; its
    memory first holds |x| (`out` is the result's: no array of |x| of its own)."""
    size = out.view(x.dtype) if out.dtype.itemsize == x.dtype.itemsize else None
    size = np.abs(x, out=size)
    return np.less_equal(size, _in_dtype(lambd, x), out=out)


def _zero_where(g: np.ndarray, x: np.ndarray, limit: float, test: Any) -> np.ndarray:
    """g, with 0 where test(x, limit) holds, PyTorch's `test ? 0 : g`: exactly 0 also where
    g is infinite or NaN, where g · mask would give NaN."""
    g = np.asarray(g)
    result, taken = _with_bits(g)
    if result is None:
        return np.where(test(x, limit, np.empty(x.shape, bool)), g.dtype.type(0), g)
    test(x, _in_dtype(limit, x), taken)
    _put_number(taken, g, 0.0)
    return result


def _at_most(x: Node, limit: float) -> Node:
    """1 where x ≤ limit, else 0 (NaN: 0), as a Step node of x: x ≤ limit exactly where
    limit⁺ - x > 0, limit⁺ the next number of x's dtype above limit (none lies between, and
    two different numbers never differ by 0). (At limit = +inf, x = +inf gives 0.)"""
    above = np.nextafter(_in_dtype(limit, x.data), x.data.dtype.type(np.inf))
    return step_of(above - x)


class Condition(NamedTuple):
    """A `Where`'s condition (its ctx) with the words the step pages say it in: "-1 < a < 1"
    for hardtanh, where a and b are the two branches (a page writes the graph's names there).
    A plain bool array is a condition too, which the pages call "the condition".
    `constant`: the branch (0: a, 1: b) that is a constant the library made itself
    (masked_fill's number, tril's 0), whose gradient nothing can ask for: backward skips it."""
    mask: np.ndarray
    words: str
    constant: int | None = None


def _mask(condition: Any) -> np.ndarray:
    return condition.mask if condition.__class__ is Condition else condition


class Where(Op):
    """where(condition, a, b);  the gradient goes to a where the condition holds, else to b"""
    name, broadcasting = "where", True

    @staticmethod
    def forward(condition, a, b):
        return np.where(_mask(condition), a, b)

    @staticmethod
    def backward(condition, g, out, a, b):
        # (a made constant's gradient, as large as g, is not computed: attention's masked_fill
        # made one the size of its weights in every backward, to be thrown away)
        skip = condition.constant if condition.__class__ is Condition else None
        condition = _mask(condition)
        return (None if skip == 0 else g * condition), (None if skip == 1 else g * ~condition)
