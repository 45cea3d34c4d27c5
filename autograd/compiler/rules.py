"""The vectorised rules: each kind of node with the op whose forward and backward it runs.

The compiled graph runs the eager engine's own rules (`autograd.ops`), handed arrays of a whole
group of nodes instead of one float: `Mul.backward(ctx, g, out, a, b)` returns `(g * b, g * a)`
for floats and for arrays alike. Only the n-ary sum is new (fused chains of additions, see
`record`); its rule is in `replay`. And relu's forward is a Value's, `ValueRelu`
(-0.0 stays -0.0).

    ctx  where the op's constant comes from at replay:
         NONE      the op has none
         CONSTANT  the last input (the numbers folded into the ops, one per node)
         SIGN      recomputed from the current input: Abs saved sign(x) when it was recorded,
                   which would be stale once the data change

`NO_SLOPE` names the inputs to which a kind's rule sends no gradient (it returns None there):
the exponent of `pow_base` (a data Value, as in `w ** x`), the constant base of `pow_exponent`,
the input of the flat `step` and `sign` (the slopes of relu and abs in gradient graphs).
Backward leaves them out, and skips a kind that has no other.
"""

from __future__ import annotations

import numpy as np

from ..ops.arithmetic import (ConstPow, Mul, MulConst, Neg, Pow, PowBase, PowConst, PowExponent,
                              Sub)
from ..ops.elementwise import (Abs, ClampedLog, Cos, Exp, Expm1, LeakyRelu, Log, Log1p, LogOrZero,
                               Relu, Sigmoid, Sign, Sin, Softplus, Sqrt, Step, Tanh)
from ..ops.erf import Erf, Erfc
from ..ops.trig import Acos, Acosh, Asin, Asinh, Atan, Atan2, Atanh, Cosh, Hypot, Sinh, Tan

NONE, CONSTANT, SIGN = "none", "constant", "sign"


class ValueRelu(Relu):
    """Relu as a Value computes it (micrograd's `0 if x < 0 else x`), on a group's array: -0.0
    stays -0.0, where Relu's np.maximum(x, 0) gives 0.0, and atan2 tells the two apart
    (atan2(-0.0, relu(-0.0)) is -π eagerly, atan2(-0.0, 0.0) is -0.0). NaN stays NaN."""

    @staticmethod
    def forward(ctx, x):
        return np.where(x < 0, 0.0, x)


#: Value's functions beyond micrograd's (x.tan(), y.atan2(x), ...): each is a kind named after
#: its op, with no constant
MATH_OPS = (Tan, Asin, Acos, Atan, Atan2, Hypot, Sinh, Cosh, Asinh, Acosh, Atanh, Erf, Erfc,
            Log1p, Expm1)

#: kind -> (op class, where its ctx comes from)
RULES: dict[str, tuple[type, str]] = {
    "mul": (Mul, NONE), "mul_const": (MulConst, CONSTANT), "neg": (Neg, NONE),
    "sub": (Sub, NONE), "pow": (Pow, NONE), "pow_base": (PowBase, NONE),
    "pow_exponent": (PowExponent, NONE), "pow_const": (PowConst, CONSTANT),
    "const_pow": (ConstPow, CONSTANT), "exp": (Exp, NONE), "log": (Log, NONE),
    "sqrt": (Sqrt, NONE), "tanh": (Tanh, NONE), "sigmoid": (Sigmoid, NONE),
    "relu": (ValueRelu, NONE),
    "abs": (Abs, SIGN), "sin": (Sin, NONE), "cos": (Cos, NONE), "step": (Step, NONE),
    "sign": (Sign, NONE), "log_or_zero": (LogOrZero, NONE), "leaky_relu": (LeakyRelu, CONSTANT),
    "softplus": (Softplus, NONE), "clamped_log": (ClampedLog, NONE),
    **{op.name: (op, NONE) for op in MATH_OPS},
}

#: kind -> positions of the inputs that its rule gives no gradient
NO_SLOPE: dict[str, tuple[int, ...]] = {"pow_base": (1,), "pow_exponent": (0,), "step": (0,),
                                        "sign": (0,)}

#: how the plan writes each kind (for `CompiledGraph.explain`)
FORMULAS: dict[str, str] = {
    "sum": "t0 + t1 + ... (in order)", "mul": "a * b", "mul_const": "x * c", "neg": "-x",
    "sub": "a - b", "pow": "a ** b", "pow_base": "a ** b (an exponent with no slope)",
    "pow_exponent": "a ** b (a constant base)",
    "pow_const": "x ** c", "const_pow": "c ** x",
    "exp": "exp(x)", "log": "log(x)", "sqrt": "sqrt(x)", "tanh": "tanh(x)",
    "sigmoid": "sigmoid(x)", "relu": "relu(x)", "abs": "|x|", "sin": "sin(x)", "cos": "cos(x)",
    "step": "1 if x > 0 else 0 (slope 0)", "sign": "sign(x) (slope 0)",
    "log_or_zero": "ln x, 0 at x = 0, NaN below", "leaky_relu": "x if x > 0 else c * x",
    "softplus": "log1p(exp(-|x|)) + max(x, 0)", "clamped_log": "max(log(x), -100)",
    **{op.name: f"{op.name}(x)" for op in MATH_OPS}, "atan2": "atan2(y, x)",
    "hypot": "hypot(x, y)",
}
