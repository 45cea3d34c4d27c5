"""`Value`, the scalar facade: every op against `math`, every gradient against finite differences,
and the operand rules (ints, floats and numpy scalars mix in from either side and give Values).

One table drives both checks; adding an op means adding one row.
"""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest

from autograd import Tensor, Value, grad, gradcheck, no_grad
from autograd import functional as F
from autograd.graph import apply
from autograd.ops import ClampedLog, Softplus

from conftest import sample


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


# (name, function of Values, reference on floats, domain of each input)
VALUE_OPS = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, ("real", "real")),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, ("real", "real")),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, ("real", "real")),
    ("div", lambda a, b: a / b, lambda a, b: a / b, ("real", "nonzero")),
    ("pow_value", lambda a, b: a ** b, lambda a, b: a ** b, ("pos", "real")),
    ("pow_int", lambda a: a ** 3, lambda a: a ** 3, ("real",)),
    ("pow_float", lambda a: a ** 2.5, lambda a: a ** 2.5, ("pos",)),
    ("pow_negative", lambda a: a ** -1, lambda a: a ** -1, ("nonzero",)),
    ("pow_constant_value", lambda a: a ** Value(2.0, requires_grad=False), lambda a: a ** 2.0,
     ("real",)),
    ("pow_numpy_int", lambda a: a ** np.int64(3), lambda a: a ** 3, ("real",)),
    ("neg", lambda a: -a, lambda a: -a, ("real",)),
    ("add_int", lambda a: a + 2, lambda a: a + 2, ("real",)),
    ("radd_int", lambda a: 2 + a, lambda a: 2 + a, ("real",)),
    ("radd_float", lambda a: 2.5 + a, lambda a: 2.5 + a, ("real",)),
    ("radd_np_float64", lambda a: np.float64(2.0) + a, lambda a: 2.0 + a, ("real",)),
    ("add_np_float64", lambda a: a + np.float64(2.0), lambda a: a + 2.0, ("real",)),
    ("sub_int", lambda a: a - 1, lambda a: a - 1, ("real",)),
    ("rsub_int", lambda a: 1 - a, lambda a: 1 - a, ("real",)),
    ("rsub_np_int64", lambda a: np.int64(3) - a, lambda a: 3 - a, ("real",)),
    ("sub_np_int64", lambda a: a - np.int64(3), lambda a: a - 3, ("real",)),
    ("mul_float", lambda a: a * 1.5, lambda a: a * 1.5, ("real",)),
    ("rmul_int", lambda a: 3 * a, lambda a: 3 * a, ("real",)),
    ("rmul_np_int64", lambda a: np.int64(-1) * a, lambda a: -a, ("real",)),
    ("rmul_np_float32", lambda a: np.float32(0.5) * a, lambda a: 0.5 * a, ("real",)),
    ("mul_np_int64", lambda a: a * np.int64(-1), lambda a: -a, ("real",)),
    ("div_int", lambda a: a / 4, lambda a: a * 4 ** -1, ("real",)),
    ("div_np_int64", lambda a: a / np.int64(4), lambda a: a * 4 ** -1, ("real",)),
    ("div_np_float64", lambda a: a / np.float64(4.0), lambda a: a * 4.0 ** -1, ("real",)),
    ("rdiv_int", lambda a: 2 / a, lambda a: 2 * a ** -1, ("nonzero",)),
    ("rdiv_np_int64", lambda a: np.int64(2) / a, lambda a: 2 * a ** -1, ("nonzero",)),
    ("rpow_float", lambda a: 2.0 ** a, lambda a: 2.0 ** a, ("real",)),
    ("rpow_np_float64", lambda a: np.float64(2.0) ** a, lambda a: 2.0 ** a, ("real",)),
    ("exp", lambda a: a.exp(), math.exp, ("real",)),
    ("log", lambda a: a.log(), math.log, ("pos",)),
    ("sqrt", lambda a: a.sqrt(), math.sqrt, ("pos",)),
    ("tanh", lambda a: a.tanh(), math.tanh, ("real",)),
    ("sigmoid", lambda a: a.sigmoid(), _sigmoid, ("real",)),
    ("relu", lambda a: a.relu(), lambda a: max(a, 0.0), ("nonzero",)),
    ("abs", lambda a: abs(a), abs, ("nonzero",)),
    ("abs_method", lambda a: a.abs(), abs, ("nonzero",)),
    ("sin", lambda a: a.sin(), math.sin, ("real",)),
    ("cos", lambda a: a.cos(), math.cos, ("real",)),
    ("sin_times_square", lambda a: a.sin() * a ** 2, lambda a: math.sin(a) * a ** 2, ("real",)),
    # the functions beyond micrograd's (ops/trig.py, ops/erf.py): math's numbers
    ("tan", lambda a: a.tan(), math.tan, ("unit",)),
    ("asin", lambda a: a.asin(), math.asin, ("unit",)),
    ("acos", lambda a: a.acos(), math.acos, ("unit",)),
    ("atan", lambda a: a.atan(), math.atan, ("real",)),
    ("atan2", lambda y, x: y.atan2(x), math.atan2, ("nonzero", "nonzero")),
    ("atan2_number", lambda y: y.atan2(-0.7), lambda y: math.atan2(y, -0.7), ("real",)),
    ("hypot", lambda a, b: a.hypot(b), math.hypot, ("nonzero", "real")),
    ("sinh", lambda a: a.sinh(), math.sinh, ("real",)),
    ("cosh", lambda a: a.cosh(), math.cosh, ("real",)),
    ("asinh", lambda a: a.asinh(), math.asinh, ("real",)),
    ("acosh", lambda a: a.acosh(), math.acosh, ("above_one",)),
    ("atanh", lambda a: a.atanh(), math.atanh, ("unit",)),
    ("erf", lambda a: a.erf(), math.erf, ("real",)),
    ("erfc", lambda a: a.erfc(), math.erfc, ("real",)),
    ("log1p", lambda a: a.log1p(), math.log1p, ("unit",)),
    ("expm1", lambda a: a.expm1(), math.expm1, ("real",)),
    # autograd.functional's elementwise math takes Values too
    ("F.exp", F.exp, math.exp, ("real",)),
    ("F.log", F.log, math.log, ("pos",)),
    ("F.sqrt", F.sqrt, math.sqrt, ("pos",)),
    ("F.tanh", F.tanh, math.tanh, ("real",)),
    ("F.sigmoid", F.sigmoid, _sigmoid, ("real",)),
    ("F.relu", F.relu, lambda a: max(a, 0.0), ("nonzero",)),
    ("F.abs", F.abs, abs, ("nonzero",)),
    ("F.sin", F.sin, math.sin, ("real",)),
    ("F.cos", F.cos, math.cos, ("real",)),
    ("F.leaky_relu", lambda a: F.leaky_relu(a, 0.1), lambda a: a if a > 0 else 0.1 * a,
     ("nonzero",)),
    ("F.leaky_relu_steep", lambda a: F.leaky_relu(a, 2.5), lambda a: a if a > 0 else 2.5 * a,
     ("nonzero",)),
    # the ops of the binary cross-entropies of Values
    ("softplus", lambda a: apply(Softplus, (a,)), lambda a: math.log1p(math.exp(a)), ("real",)),
    ("clamped_log", lambda a: apply(ClampedLog, (a,)), math.log, ("pos",)),
]
CASES = [pytest.param(fn, ref, domains, id=name) for name, fn, ref, domains in VALUE_OPS]


def _floats(domains, rng):
    return [float(sample(d, (), rng)) for d in domains]


@pytest.mark.parametrize("fn, ref, domains", CASES)
def test_forward_matches_math(fn, ref, domains, rng):
    """The result is a Value holding a Python float equal to the float computation."""
    xs = _floats(domains, rng)
    out = fn(*[Value(x) for x in xs])
    assert type(out) is Value
    assert type(out.data) is float
    assert out.data == pytest.approx(ref(*xs), rel=1e-15, abs=1e-300)


SYMMETRIC = {"real", "nonzero"}     # domains that hold -x with each x


@pytest.mark.parametrize("fn, ref, domains", CASES)
def test_gradient_matches_finite_differences(fn, ref, domains, rng):
    """Backprop equals central finite differences for every input, on both sides of 0 where
    the domain allows: relu's and abs's slopes differ there (and one drawn number has one
    sign: a wrong sign rule for abs would pass at x > 0 alone)."""
    xs = _floats(domains, rng)
    for sign in (1.0, -1.0):
        point = [sign * x if d in SYMMETRIC else x for x, d in zip(xs, domains)]
        assert gradcheck(fn, *[Value(x) for x in point])


def test_micrograd_docstring_example():
    """The module's example, by hand: c = ab + b³ at a=-4, b=2: c=0, dc/da=b=2, dc/db=a+3b²=8."""
    a, b = Value(-4.0), Value(2.0)
    c = a * b + b ** 3
    c.backward()
    assert (c.data, a.grad, b.grad) == (0.0, 2.0, 8.0)


def test_construction_converts_to_float():
    """ints, bools and numpy scalars become Python floats; a new Value wants a gradient."""
    for x in (3, np.int64(3), np.float32(3.0), np.float64(3.0), 3.0):
        v = Value(x)
        assert type(v.data) is float and v.data == 3.0
        assert v.grad == 0.0 and v.requires_grad and v.is_leaf
    assert Value(2.0, label="w").label == "w"


def test_numbers_are_folded_into_the_op():
    """A number mixed into + - * is part of the op (kept in ctx), not a node: the only parent
    is the Value, and it gets the right gradient, from either side."""
    a = Value(2.0)
    for y, slope in ((a * 3, 3.0), (3 * a, 3.0), (a + 3, 1.0), (3 + a, 1.0), (a - 3, 1.0)):
        assert y.parents == (a,)
        a.grad = 0.0
        y.backward()
        assert a.grad == slope
    assert (a * 3)._ctx == 3.0 and (a - 3)._ctx == -3.0


def test_number_minus_value_keeps_the_number_as_a_constant_parent():
    """3 - a: the number is a constant parent (no gradient), a gets -1."""
    a = Value(2.0)
    y = 3 - a
    const = y.parents[0]
    assert y.parents[1] is a and not const.requires_grad and const.data == 3.0
    y.backward()
    assert a.grad == -1.0 and const.grad == 0.0


def test_constant_value_exponent_is_a_parent_without_gradient():
    """a ** Value(c, requires_grad=False): the exponent is an input of the op (as x is in w * x:
    `autograd.compile` reads its new data), and gets no gradient."""
    a, c = Value(3.0), Value(2.0, requires_grad=False)
    y = a ** c
    assert y.parents == (a, c) and y._op == "**"
    y.backward()
    assert a.grad == 6.0 and c.grad == 0.0


def test_numpy_exponent_is_the_python_number():
    """a ** np.float32(0.5) is a ** 0.5: the gradient is a Python float at full precision, and
    an integer exponent keeps micrograd's op string."""
    a = Value(2.0)
    (a ** np.float32(0.5)).backward()
    assert type(a.grad) is float and a.grad == 0.5 * 2.0 ** -0.5
    b = Value(2.0)
    y = b ** np.int64(3)
    y.backward()
    assert type(b.grad) is float and b.grad == 12.0 and y._op == "**3"


def test_value_exponent_gets_log_gradient():
    """d(a^b)/db = a^b ln a, d(a^b)/da = b a^(b-1), checked in closed form."""
    a, b = Value(2.0), Value(3.0)
    (a ** b).backward()
    assert a.grad == pytest.approx(3 * 2.0 ** 2, rel=1e-15)
    assert b.grad == pytest.approx(8.0 * math.log(2.0), rel=1e-15)


def test_builtin_sum_of_values():
    """sum() starts from int 0: 0 + Value must work (micrograd's nets rely on it)."""
    vs = [Value(float(i)) for i in range(1, 5)]
    s = sum(v * v for v in vs)
    s.backward()
    assert s.data == 30.0
    assert [v.grad for v in vs] == [2.0, 4.0, 6.0, 8.0]


def test_conversions_and_repr():
    """.data, .item() and repr show the payload."""
    v = Value(1.5)
    assert v.data == 1.5 and v.item() == 1.5
    assert repr(v) == "Value(data=1.5, grad=0.0)"


def test_format_spec_formats_the_number():
    """f"{loss:.4f}" in a training loop prints the number; without a spec, the repr."""
    v = Value(0.123456)
    assert f"{v:.3f}" == "0.123" and f"{v}" == repr(v)
    assert f"{Tensor([[0.5]]):.2f}" == "0.50"
    with pytest.raises(TypeError, match="needs a one-element tensor, got shape \\(2,\\)"):
        f"{Tensor([1.0, 2.0]):.2f}"


def test_a_value_is_not_silently_turned_into_a_float():
    """As in micrograd, math.exp(v) and float(v) refuse a Value: with a float conversion,
    v * math.exp(v) would take exp out of the graph and give a wrong gradient without a word."""
    v = Value(1.0)
    for convert in (math.exp, math.cos, float):
        with pytest.raises(TypeError):
            convert(v)
    y = v * v.exp()                                 # written with the op, it is differentiated
    y.backward()
    assert v.grad == pytest.approx(2 * math.e, rel=1e-15)


def test_unsupported_operand_gives_type_error():
    """A string is not a number: Python's TypeError, not a silent conversion."""
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        "a" * Value(1.0)


def test_relu_and_abs_at_zero():
    """Kinks: relu(0) = 0 and abs(0) = 0 with gradient 0."""
    x = Value(0.0)
    y = x.relu() + x.abs()
    y.backward()
    assert y.data == 0.0 and x.grad == 0.0


def test_relu_and_abs_keep_a_nan():
    """A diverged number stays visible: relu(NaN) is NaN, as in micrograd and Tensor.relu, and
    passes no gradient; abs(NaN) is NaN and its slope too (NumPy's sign)."""
    nan = float("nan")
    x = Value(nan)
    r = x.relu()
    r.backward()
    assert math.isnan(r.data) and x.grad == 0.0
    assert math.isnan(Tensor(np.array([nan])).relu().data[0])
    y = Value(nan)
    a = y.abs()
    a.backward()
    assert math.isnan(a.data) and math.isnan(y.grad)
    assert Value(-2.0).relu().data == 0.0 and Value(2.5).relu().data == 2.5


def test_float_ops_give_bit_identical_results():
    """Forward values are exactly the float computation (a / b is a * b**-1, as in micrograd)."""
    a, b = 0.1, 0.3
    assert (Value(a) + Value(b)).data == a + b
    assert (Value(a) * Value(b)).data == a * b
    assert (Value(a) / Value(b)).data == a * b ** -1
    assert (Value(a) - Value(b)).data == a - b


def test_sin_and_cos_are_maths_numbers_with_micrograds_op_strings():
    """Forward bit for bit as `math` computes it (micrograd's way), `_op` 'sin' and 'cos', the
    input as the only parent, and a NaN stays NaN."""
    for x in (-4.0, -0.6, 1.3, 2.9, 7.5, 1e6):
        s, c = Value(x).sin(), Value(x).cos()
        assert (s.data, c.data) == (math.sin(x), math.cos(x))
        assert (s._op, c._op) == ("sin", "cos")
    x = Value(0.5)
    assert x.sin()._prev == (x,) and x.cos().parents == (x,)
    assert math.isnan(Value(float("nan")).sin().data)


def test_number_to_a_value_power_is_one_node_with_the_base_folded_in():
    """c ** x keeps c as the op's constant: x is the only parent, its slope is c^x ln c, and a
    zero base, whose own slope would be infinite, needs none (0 ** x = 0 for x > 0)."""
    x = Value(0.7)
    y = 2.5 ** x
    assert y.parents == (x,) and y._ctx == 2.5 and y._op == "**"
    y.backward()
    assert x.grad == pytest.approx(2.5 ** 0.7 * math.log(2.5), rel=1e-15)
    e = Value(0.5)
    z = 0 ** e
    z.backward()
    assert (z.data, e.grad) == (0.0, 0.0)


def test_a_value_base_stays_an_input_even_without_a_gradient():
    """x ** w with x a Value that wants no gradient: x is still an input (compile reads it at
    every replay), not a number folded into the op."""
    from autograd import compile
    x, w = Value(2.0, requires_grad=False), Value(0.5)
    y = x ** w
    assert y.parents == (x, w)
    replay = compile(y)
    x.data = 3.0
    assert replay.forward() == pytest.approx(3.0 ** 0.5, rel=1e-15)


def test_pow_exponent_gradient_at_zero_base():
    """0 ** b = 0 for every b > 0: d(a ** b)/db at a = 0 is 0, not NaN (as in PyTorch)."""
    a, b = Value(0.0), Value(2.0)
    (a ** b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_power_with_a_constant_base():
    """A base that wants no gradient gets no slope worked out: at 0 ** 0.5, d/da would be
    infinite (a ZeroDivisionError in floats), yet only d/db = 0^b ln 0 -> 0 is asked for."""
    a, b = Value(0.0, requires_grad=False), Value(0.5)
    (a ** b).backward()
    assert b.grad == 0.0 and a.grad == 0.0
    assert gradcheck(lambda e: Value(3.0, requires_grad=False) ** e, Value(-0.7))
    assert (a ** b)._op == "**"                      # micrograd's name, whichever rule runs


def test_power_zero_has_slope_zero_at_zero():
    """x ** 0 is the constant 1: slope 0 at x = 0 too (PyTorch's value), not a ZeroDivisionError
    from 0 · 0.0 ** -1; the same power is in the second derivative of x ** 1."""
    assert gradcheck(lambda v: v ** 0, Value(0.0))
    assert gradcheck(lambda v: grad(lambda u: u ** 1)(v), Value(0.0))


def test_a_division_by_zero_says_it_is_one():
    for divide in (lambda: Value(1.0) / Value(0.0), lambda: Value(1.0) / 0,
                   lambda: 1 / Value(0.0)):
        with pytest.raises(ZeroDivisionError, match=r"pow: 0\.0 \*\* -1 divides by zero \(a / b "
                                                    r"is computed as a \* b \*\* -1: a division by "
                                                    r"zero ends here too\)"):
            divide()
    with pytest.raises(ZeroDivisionError, match=r"pow: 0\.0 \*\* -2 divides by zero$"):
        Value(0.0) ** -2


# -- overflow, in-place updates, .data by hand, comparisons ---------------------------------------

def test_exp_beyond_the_largest_float_raises_as_math_exp_does():
    """micrograd's math.exp raises too; an inf would become NaN in the lecture's tanh."""
    with pytest.raises(OverflowError, match=r"exp: e \*\* 800\.0 is too large for a float"):
        Value(800.0).exp()
    n = Value(400.0)
    with pytest.raises(OverflowError, match=r"e \*\* 800\.0"):
        (2 * n).exp()
    assert Value(709.0).exp().data == math.exp(709.0)


def _tanh_exactly(x: float) -> float:
    """tanh x to 50 digits with decimal (its exp is correctly rounded), rounded to a float."""
    from decimal import Decimal, localcontext
    if abs(x) < 1e-9:
        return x                        # tanh x = x - x³/3 + ...: x, to a float's precision
    with localcontext() as context:
        context.prec = 50
        e = (2 * Decimal(x)).exp()
        return float((e - 1) / (e + 1))


def test_tanh_is_the_lectures_formula_where_that_is_accurate():
    """From |x| = 0.25 to 20 tanh is the lecture's (e^2x - 1) / (e^2x + 1), bit for bit, so that
    its numbers come out (at the lecture's neuron math.tanh was 1 ulp off: 0.7071067811865477);
    nearer 0, where e^2x - 1 cancels (64 ulps off at 0.005), and beyond, math.tanh. Everywhere
    within 2 ulps of tanh, as math.tanh is."""
    def lecture(x):
        return (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    rng = np.random.default_rng(0)
    for x in np.concatenate([rng.uniform(0.25, 20, 300), rng.uniform(-20, -0.25, 300)]):
        assert Value(float(x)).tanh().data == lecture(float(x)), x
    assert Value(0.8813735870195432).tanh().data == 0.7071067811865476
    near_zero = [5e-3, -0.2, 1e-8, -1e-300, 0.2499]
    beyond = [20.5, -40.0, 400.0, -1000.0, math.inf]
    for x in [*near_zero, *beyond, *rng.uniform(-25, 25, 300)]:
        x = float(x)
        exact = _tanh_exactly(x) if math.isfinite(x) else 1.0
        assert abs(Value(x).tanh().data - exact) <= 2 * math.ulp(exact), x
    assert math.copysign(1, Value(-0.0).tanh().data) == -1 and Value(1e-8).tanh().data == \
        math.tanh(1e-8)


@pytest.mark.parametrize("x", [-1000.0, -30.0, -1e-3, 0.0, 2.5, 1000.0])
def test_sigmoid_is_stable_and_matches_its_formula(x):
    expected = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
    assert Value(x).sigmoid().data == expected


def test_a_parameter_update_written_in_place_is_refused_while_recording():
    """`p -= lr * p.grad` would rebind p to a new node and train nothing."""
    p = Value(1.0)
    (p * p).backward()
    for update in ("p -= 0.1 * p.grad", "p += 0.1", "p *= 0.9", "p /= 2", "p **= 2"):
        with pytest.raises(RuntimeError, match=r"on a Value that wants a gradient \(a parameter\) "
                                               r"would make a new node"):
            exec(update, {"p": p})
    assert p.data == 1.0 and p.is_leaf


def test_under_no_grad_an_in_place_operator_updates_the_parameter_itself():
    p = Value(1.0)
    same = p
    (p * 3).backward()
    with no_grad():
        p -= 0.1 * p.grad
        p *= 2
        p /= Value(4.0)
        p += 1
    assert p is same and p.is_leaf and p.requires_grad
    assert p.data == ((1.0 - 0.1 * 3.0) * 2) / 4.0 + 1


def test_under_no_grad_a_power_in_place_changes_the_parameter_itself():
    """`p **= 2` had no in-place form: it rebound p to a new constant and the parameter (still
    in the model's list) kept its number, without a word."""
    p = Value(3.0)
    parameters = [p]
    with no_grad():
        p **= 2
    assert p is parameters[0] and p.data == 9.0 and p.is_leaf and p.requires_grad


def test_in_place_operators_on_expressions_and_constants_build_new_nodes():
    """As in micrograd: a sum started from a leaf, an op node, or a constant."""
    w, x = Value(2.0), Value(3.0)
    total = Value(0.0)
    start = total
    total += w * x                          # a Value operand: the usual accumulation
    assert total is not start and total.op == "add" and start.data == 0.0
    y = w * x
    y += 1.0                                # an op node: a new node
    assert y.data == 7.0 and y.parents[0].op == "mul" and y._op == "+"
    c = Value(5.0, requires_grad=False)
    d = c
    c -= 1.0
    assert c is not d and c.data == 4.0 and d.data == 5.0
    y.backward()
    assert (w.grad, x.grad) == (3.0, 2.0)


@pytest.mark.parametrize("other", ["value", "number"])
@pytest.mark.parametrize("symbol", ["+=", "-=", "*=", "/=", "**="])
def test_in_place_operators_on_an_expression_gradcheck(symbol, other):
    """y = exp(a) * 1.5, then y op= b (a Value, or the number 0.7): the new node's gradients
    match finite differences."""
    update = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
              "/=": operator.itruediv, "**=": operator.ipow}[symbol]

    def f(a, b):
        y = a.exp() * 1.5
        return update(y, b if other == "value" else 0.7) * (b + 2.0)
    assert gradcheck(f, Value(-0.6), Value(1.3))


@pytest.mark.parametrize("use", [lambda p: (p * 2).tanh(), lambda p: (p * 2).relu(),
                                 lambda p: (p * 2).backward(), lambda p: p.exp()])
def test_a_value_assigned_to_data_is_named_at_the_next_op(use):
    p = Value(1.0)
    p.data += -0.1 * p                      # a student's `.grad` forgotten
    with pytest.raises(TypeError, match=r"\.data is a Value, not a number: \.data must hold a "
                                        r"float \(was `p\.data -= lr \* p` written for "
                                        r"`p\.data -= lr \* p\.grad`\? Or is lr a Value\? "
                                        r"An update takes numbers: lr\.data\)"):
        use(p)


def test_a_zero_dimensional_array_is_a_number():
    """np.array(3.0) (a 0-d Tensor's .data, too) holds one number: it was refused with "this
    operand has shape ()", as if it were an array of many."""
    three = np.array(3.0)
    v = Value(2.0)
    y = v * three + (three - v) / three + v ** np.array(2) + v.atan2(three)
    y.backward()
    expected = 2.0 * 3.0 + (3.0 - 2.0) / 3.0 + 2.0 ** 2 + math.atan2(2.0, 3.0)
    assert y.data == pytest.approx(expected, rel=1e-15)
    assert v.grad == pytest.approx(3.0 - 1 / 3.0 + 4.0 + 3.0 / 13.0, rel=1e-15)
    assert Value(three).data == 3.0 and (v ** np.array(2))._op == "**2"
    with pytest.raises(TypeError, match=r"Value \* array: a Value holds one number and this "
                                        r"operand has shape \(1,\)"):
        v * np.array([3.0])


def test_an_array_assigned_to_data_is_named_at_the_next_op():
    p = Value(1.0)
    p.data = np.array([1.0, 2.0])
    with pytest.raises(TypeError, match=r"exp: this Value's \.data is a ndarray, not a number"):
        p.exp()


def test_comparing_values_says_to_compare_their_numbers():
    loss = Value(0.5)
    with pytest.raises(TypeError, match=r"Value < \.\.\.: a Value is a node of a graph, not a "
                                        r"number; compare its number: value\.data < 0\.01"):
        loss < 0.01
    for compare in (lambda: loss >= Value(1.0), lambda: 0.01 > loss, lambda: loss <= 2):
        with pytest.raises(TypeError, match="compare its number"):
            compare()
    assert loss == loss and loss != Value(0.5) and len({loss, Value(0.5)}) == 2   # identity


def test_a_power_written_with_a_caret_says_to_write_two_stars():
    """v ^ 2 (a power as on paper) was Python's "unsupported operand type(s) for ^"; now it
    says ^ is xor and what to write, on either side, as the float Tensor's error does."""
    v = Value(3.0)
    with pytest.raises(TypeError, match=r"^v \^ 2: \^ is Python's bitwise xor, not a power; a "
                                        r"power is v \*\* 2$"):
        v ^ 2
    with pytest.raises(TypeError, match=r"^2\.0 \^ v: .* a power is 2\.0 \*\* v$"):
        2.0 ^ v
    with pytest.raises(TypeError, match=r"a power is v \*\* 3\.0$"):
        v ^ Value(3.0)
    with pytest.raises(TypeError, match=r"\^: needs bool or integer tensors, .*a power is "
                                        r"x \*\* 2 \(\^ is xor\)"):
        Tensor([2.0]) ^ 2


def test_a_parameter_update_by_a_constant_value_is_refused_like_one_by_a_number():
    """lr = Value(0.1, requires_grad=False): lr * p.grad is a constant, as a number would be;
    `p -= ...` while recording would leave the parameter as it was, so it is refused."""
    p = Value(1.0)
    (p * 3).backward()
    lr = Value(0.1, requires_grad=False)
    with pytest.raises(RuntimeError, match=r"-= of a number on a Value that wants a gradient"):
        p -= lr * p.grad
    with no_grad():
        p -= lr * p.grad
    assert p.is_leaf and abs(p.data - 0.7) < 1e-12


@pytest.mark.parametrize("convert", [float, int, round, math.exp, math.tanh])
def test_a_number_conversion_of_a_value_says_to_use_its_methods_or_data(convert):
    with pytest.raises(TypeError, match=r"a Value is a node of a graph, and as a Python number it "
                                        r"would leave the graph .*v\.exp\(\).*v\.data"):
        convert(Value(0.5))


def test_max_of_values_says_how_to_pick_a_node_by_its_number():
    values = [Value(1.0), Value(3.0), Value(2.0)]
    with pytest.raises(TypeError, match=r"max\(values, key=lambda v: v\.data\) picks a node by "
                                        r"its number; in a formula, max\(x, 0\) is x\.relu\(\)"):
        max(values)
    assert max(values, key=lambda v: v.data) is values[1]


def test_backward_takes_a_value_as_its_gradient():
    """As Tensor.backward takes a Tensor (PyTorch's grad_outputs): its number for a plain pass;
    with create_graph=True the seed itself, so the gradients depend on it (d(s · 2a)/ds = 2a).
    It was a TypeError, 'expected a real number'."""
    a = Value(2.0)
    (a * a).backward(Value(3.0))
    assert a.grad == 12.0
    a, s = Value(2.0), Value(3.0)
    (a * a).backward(s, create_graph=True)
    assert a.grad.data == 12.0
    a.grad.backward()
    assert s.grad == 4.0


# -- the functions beyond micrograd's: tan ... atanh, atan2, hypot, erf, erfc, log1p, expm1 -------

ONE_INPUT = {"tan": 0.7, "asin": -0.6, "acos": 0.45, "atan": -1.7, "sinh": 1.3, "cosh": -0.8,
             "asinh": -2.2, "acosh": 1.9, "atanh": 0.55, "erf": -0.9, "erfc": 1.4,
             "log1p": -0.35, "expm1": 0.6}


@pytest.mark.parametrize("name, x", ONE_INPUT.items())
def test_new_functions_have_their_op_names_and_second_derivatives(name, x):
    """micrograd's `_op` is the function's name (drawings label the node with it), the only
    parent is the input, and the slope's own slope matches finite differences (create_graph:
    the rule is built from ops that can be differentiated again)."""
    v = Value(x)
    y = getattr(v, name)()
    assert y._op == name and y._prev == (v,)
    assert gradcheck(lambda u: grad(lambda w: getattr(w, name)())(u), Value(x))


def test_atan2_and_hypot_second_derivatives_and_mixed_partials():
    for f in (lambda y, x: y.atan2(x), lambda a, b: a.hypot(b)):
        for argnum in (0, 1):
            assert gradcheck(lambda a, b: grad(f, argnum)(a, b), Value(0.7), Value(-1.3))


@pytest.mark.parametrize("name, x", ONE_INPUT.items())
def test_new_functions_agree_with_the_tensor_ops(name, x):
    """The Value op and the Tensor op are one class: the same numbers, each from its own
    library (math on a float, numpy or Cody's erf on an array), to a few ulps."""
    v, t = Value(x), Tensor([x], requires_grad=True, dtype=np.float64)
    y, u = getattr(v, name)(), getattr(t, name)()
    y.backward()
    u.sum().backward()
    assert y.data == pytest.approx(u.item(), rel=1e-15)
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-15)
    assert type(y.data) is float and type(v.grad) is float      # not numpy's float64


@pytest.mark.parametrize("name", ["atan2", "hypot"])
def test_two_input_functions_agree_with_the_tensor_ops(name):
    for a, b in [(0.7, -1.3), (-2.0, 0.5), (1e-3, 4.0)]:
        va, vb = Value(a), Value(b)
        ta, tb = (Tensor([z], requires_grad=True, dtype=np.float64) for z in (a, b))
        y, u = getattr(va, name)(vb), getattr(ta, name)(tb)
        y.backward()
        u.sum().backward()
        assert y.data == pytest.approx(u.item(), rel=1e-15)
        assert (va.grad, vb.grad) == pytest.approx((ta.grad.item(), tb.grad.item()), rel=1e-15)


def test_atan2_at_the_origin_has_slopes_zero_as_pytorch():
    y, x = Value(0.0), Value(0.0)
    angle = y.atan2(x)
    angle.backward()
    assert (angle.data, y.grad, x.grad) == (0.0, 0.0, 0.0)


def _central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("scale", [1e-170, 1e200])
def test_atan2_slopes_near_the_origin_and_far_from_it_are_not_0(scale):
    """x / (x² + y²): the squares underflow to 0 below ~1e-154 (the point was taken for the
    origin: slopes 0, where they are ~1e169) and overflow beyond ~1e154 (0 for ~1e-201)."""
    y, x = Value(1.0 * scale), Value(2.0 * scale)
    y.atan2(x).backward()
    h = 1e-6 * scale
    assert y.grad == pytest.approx(_central_difference(lambda t: math.atan2(t, x.data), y.data,
                                                       h), rel=1e-8)
    assert x.grad == pytest.approx(_central_difference(lambda t: math.atan2(y.data, t), x.data,
                                                       h), rel=1e-8)
    assert (y.grad, x.grad) == pytest.approx((0.4 / scale, -0.2 / scale), rel=1e-15)


@pytest.mark.filterwarnings("error")
def test_hypot_slopes_where_hypot_is_subnormal_are_at_most_1():
    """a / hypot(a, b) is in [-1, 1]; g / hypot came first and overflowed to inf for a
    hypot below ~1e-308, and inf · a was inf."""
    a, b = Value(3e-310), Value(4e-310)
    a.hypot(b).backward()
    assert (a.grad, b.grad) == pytest.approx((0.6, 0.8), rel=1e-6)   # (subnormal digits)


@pytest.mark.parametrize("make, error, message", [
    (lambda: Value(2.0).asin(), ValueError, r"asin: needs an input in \[-1, 1\], got 2\.0"),
    (lambda: Value(-1.5).acos(), ValueError, r"acos: needs an input in \[-1, 1\], got -1\.5"),
    (lambda: Value(0.5).acosh(), ValueError, r"acosh: needs an input >= 1, got 0\.5"),
    (lambda: Value(1.0).atanh(), ValueError, r"atanh: needs an input in \(-1, 1\), got 1\.0"),
    (lambda: Value(math.inf).tan(), ValueError, r"tan: needs a finite input, got inf"),
    (lambda: Value(-1.0).log1p(), ValueError, r"log1p: needs an input > -1, got -1\.0"),
    (lambda: Value(1000.0).cosh(), OverflowError, r"cosh: cosh\(1000\.0\) is too large"),
    (lambda: Value(-800.0).sinh(), OverflowError, r"sinh: sinh\(-800\.0\) is too large"),
    (lambda: Value(800.0).expm1(), OverflowError, r"expm1: e \*\* 800\.0 - 1 is too large"),
])
def test_outside_the_domain_the_error_names_the_op_and_the_number(make, error, message):
    """Where Python's math raises ("math domain error", "math range error", as micrograd's
    float math would), the error says which op, which number and what it needs."""
    with pytest.raises(error, match=message):
        make()


def test_an_infinite_slope_at_the_edge_of_the_domain_is_an_error_in_backward():
    """asin at 1 is π/2, but its slope 1 / √(1 - x²) is infinite there: backward says so (as
    for sqrt at 0), rather than passing inf on."""
    x = Value(1.0)
    y = x.asin()
    assert y.data == math.pi / 2
    with pytest.raises(ZeroDivisionError, match="backward of asin: the derivative is infinite"):
        y.backward()


def test_a_second_operand_that_is_not_a_number_is_named():
    with pytest.raises(TypeError, match=r"atan2: expected a real number .* got str"):
        Value(1.0).atan2("x")
    with pytest.raises(TypeError, match=r"hypot: expected a real number .* got ndarray"):
        Value(1.0).hypot(np.ones(3))


def test_the_new_functions_can_be_built_by_hand_with_their_names():
    """micrograd's way, Value(data, children, op): the new names are known ops too."""
    a, b = Value(0.4), Value(-1.2)
    t = Value(math.tan(0.4), (a,), "tan")
    angle = Value(math.atan2(0.4, -1.2), (a, b), "atan2")
    (t + angle).backward()
    assert (t._op, angle._op) == ("tan", "atan2")
    assert a.grad == pytest.approx(1 + math.tan(0.4) ** 2 + -1.2 / (0.16 + 1.44), rel=1e-15)
    assert b.grad == pytest.approx(-0.4 / (0.16 + 1.44), rel=1e-15)


def test_an_int_too_large_for_a_float_is_named_by_value():
    with pytest.raises(OverflowError, match=r"^Value: 1000.*too large for a float"):
        Value(10 ** 400)
