"""Custom Functions as tutorials teach them and as PyTorch code ports them: PyTorch's extending
tutorial's ops in glassgrad's form, arguments that are not tensors (an optional bias of None, a
flag, an int), a ctx that keeps what forward found, and the mistakes of a first custom op,
each caught where it is made. Gradients against central differences in float64."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from autograd import (Function, GradcheckError, Tensor, Value, grad, gradcheck, gradgradcheck,
                      hessian, no_grad)

from conftest import t64


def central_differences(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d sum(f(x)) / dx by central differences, f on float64 arrays."""
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        out[k] = (np.sum(f(up)) - np.sum(f(down))) / (2 * eps)
    return out


class Linear(Function):
    """PyTorch's tutorial LinearFunction, x Wᵀ + b, whose bias may be None."""

    def forward(ctx, x, w, b):
        y = x @ w.T
        return y if b is None else y + b

    def backward(ctx, g, out, x, w, b):
        return g @ w, g.T @ x, None if b is None else g.sum(axis=0)


def test_an_optional_input_of_none_reaches_forward_and_backward_as_none():
    """LinearFunction.apply(x, w, None), the tutorial's call without a bias, failed with
    "got None where numbers belong: a function that ends without `return` gives None"."""
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(4, 3)), rng.normal(size=(2, 3))
    tx, tw = t64(x), t64(w)
    y = Linear.apply(tx, tw, None)
    assert y.parents == (tx, tw)
    y.sum().backward()
    np.testing.assert_allclose(tx.grad, central_differences(lambda v: v @ w.T, x), atol=1e-8)
    np.testing.assert_allclose(tw.grad, central_differences(lambda v: x @ v.T, w), atol=1e-8)
    assert gradcheck(Linear.apply, (t64(x), t64(w), None))
    assert gradcheck(Linear.apply, (t64(x), t64(w), t64([0.5, -1.0])))
    assert gradgradcheck(Linear.apply, (t64(x), t64(w), None))


class Scale(Function):
    """x · n if flag, else x: a Function of a Tensor, an int and a bool."""

    def forward(ctx, x, n, flag):
        return x * n if flag else x * 1.0

    def backward(ctx, g, out, x, n, flag):
        return (g * n if flag else g * 1.0), None, None


def test_an_int_and_a_flag_are_passed_as_they_are_and_keep_float32():
    """An int among the inputs became an int64 array: float32 times it was float64 on numpy 2
    and float32 on numpy 1.x (0-d arrays cast by value there). Passed as it is, as in PyTorch,
    x * 3 stays float32 on both; a bool is a bool, a string a string."""
    seen = []

    class Sees(Function):
        def forward(ctx, x, n, flag, mode):
            seen.append((n, flag, mode))
            return x * n

        def backward(ctx, g, out, x, n, flag, mode):
            return g * n, None, None, None

    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Sees.apply(x, 3, True, "sum")
    assert seen == [(3, True, "sum")] and all(type(s) is not np.ndarray for s in seen[0])
    assert y.dtype == np.float32 and y.parents == (x,)
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]
    assert Scale.apply(x, 3, False).data.tolist() == [1.0, 2.0]
    v = Value(2.0)
    Scale.apply(v, 3, True).backward()
    assert v.grad == 3.0
    assert gradcheck(Scale.apply, (t64([0.3, -1.2]), 3, True))


def test_a_float_and_an_array_still_join_as_constants_of_the_tensors_dtype():
    """What is unchanged: a float beside float64 tensors is float64's, an array a constant."""
    x = t64([1.0, 3.0])
    assert Scale.apply(x, 0.1, True).data.tolist() == [0.1, 0.30000000000000004]
    assert len(Scale.apply(x, np.array([2.0, 3.0]), True).parents) == 2


class Largest(Function):
    """max x, with the position forward found kept on its ctx."""

    def forward(ctx, x):
        ctx.at = int(np.argmax(x))
        return x[ctx.at]

    def backward(ctx, g, out, x):
        grad = np.zeros_like(x)
        grad[ctx.at] = g
        return (grad,)


def test_one_ctx_written_by_two_calls_is_refused_at_the_second():
    """A ctx that forward writes into, given to two calls (a layer keeping one for all its
    calls): the first call's backward read the second's position, silently: a's gradient was
    [1, 0, 0], not [0, 1, 0]."""
    shared = SimpleNamespace()
    a, b = t64([3.0, 5.0, 4.0]), t64([9.0, 1.0, 0.0])
    ya = Largest.apply(a, ctx=shared)
    with pytest.raises(ValueError, match=r"Largest\.apply: the ctx given \(a SimpleNamespace\) "
                                         r"was given to an earlier Largest\.apply too.*\(at\).*"
                                         r"a fresh ctx per call"):
        Largest.apply(b, ctx=shared)
    with no_grad(), pytest.raises(ValueError, match=r"Largest\.apply: the ctx given"):
        Largest.apply(b, ctx=shared)            # (an evaluation between forward and backward)
    ya.backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.0]


def test_a_ctx_reused_once_its_first_result_is_gone_or_only_read_is_accepted():
    """Not refused: a ctx reused after the first call's graph is gone, one given to a call
    that records nothing (no_grad), and a ctx of settings that forward only reads."""
    shared = SimpleNamespace()
    Largest.apply(t64([3.0, 5.0]), ctx=shared).backward()      # (its result is dropped)
    b = t64([9.0, 1.0])
    Largest.apply(b, ctx=shared).backward()
    assert b.grad.tolist() == [1.0, 0.0]

    class Times(Function):
        def forward(ctx, x):
            return x * ctx.k

        def backward(ctx, g, out, x):
            return (g * ctx.k,)

    settings = SimpleNamespace(k=3.0)
    xs = [t64([1.0]), t64([2.0])]
    ys = [Times.apply(x, ctx=settings) for x in xs]
    (ys[0] + ys[1]).backward()
    assert [x.grad.tolist() for x in xs] == [[3.0], [3.0]]


class Identity(Function):
    """A gradient reversal layer (DANN): x forward, -λ g backward; forward returns its input."""

    def forward(ctx, x):
        return x

    def backward(ctx, g, out, x):
        return (-ctx * g,)


def test_a_forward_returning_its_input_gives_a_result_of_its_own():
    """Returned as it is, the result shared the input's read-only array: writing into it was
    refused as if it were 'a result of expand or broadcast_to', and it would follow the input's
    in-place updates. It is now a copy."""
    x = t64([1.0, 2.0])
    y = Identity.apply(x, ctx=0.5)
    assert not np.shares_memory(y.data, x.data)
    (y * y).sum().backward()                                    # d/dx = -λ 2x
    assert x.grad.tolist() == [-1.0, -2.0]
    z = Identity.apply(x, ctx=0.5) * 1.0
    z.data[0] = 7.0                                             # (a result's own array)
    assert x.data.tolist() == [1.0, 2.0]

    class Transpose(Function):
        def forward(ctx, x):
            return x.T

        def backward(ctx, g, out, x):
            return (g.T,)

    m = t64([[1.0, 2.0], [3.0, 4.0]])
    t = Transpose.apply(m)
    assert t.data.flags.writeable and not np.shares_memory(t.data, m.data)
    assert gradcheck(Transpose.apply, t64([[0.3, -1.2, 2.0], [0.5, 0.7, -0.1]]))


def test_gradients_that_are_not_numbers_are_refused_naming_the_input():
    """A relu whose backward returns the mask x > 0 (g forgotten) had it cast to 1.0 and 0.0,
    and an object array holding None became NaN: both silently."""

    def returning(make):
        class Relu(Function):
            def forward(ctx, x):
                return np.maximum(x, 0.0)

            def backward(ctx, g, out, x):
                return (make(g, x),)
        return Relu

    with pytest.raises(TypeError, match=r"Relu\.backward: gradient 0 is a boolean array; input "
                                        r"0 is a Tensor of shape \(2,\).*g \* \(x > 0\)"):
        returning(lambda g, x: x > 0).apply(t64([1.0, -1.0])).sum().backward()
    with pytest.raises(TypeError, match=r"Relu\.backward: gradient 0 is an array of dtype object;"
                                        r" input 0 is a Tensor of shape \(2,\)"):
        returning(lambda g, x: np.array([g[0], None])).apply(t64([1.0, -1.0])).sum().backward()
    with pytest.raises(TypeError, match=r"Relu\.backward: gradient 0 is a bool; input 0 is a "
                                        r"Value"):
        returning(lambda g, x: x > 0).apply(Value(1.0)).backward()
    x = t64([1.0, -1.0])                        # an integer gradient is a number: cast, as before
    returning(lambda g, x: np.ones(x.shape, dtype=np.int64)).apply(x).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [1.0, 1.0]


def test_forward_called_directly_on_tensors_says_to_use_apply_before_numpy_refuses_them():
    """Relu.forward(None, x), the class used as a function: numpy refused the Tensor inside,
    "numpy's maximum takes no Tensor", which named neither the Function nor apply."""

    class Relu(Function):
        def forward(ctx, x):
            return np.maximum(x, 0.0)

        def backward(ctx, g, out, x):
            return (g * (x > 0),)

    with pytest.raises(TypeError, match=r"Relu\.forward: was called with a Tensor \(input 0\); "
                                        r"run the op as Relu\.apply\(\.\.\.\)"):
        Relu.forward(None, t64([1.0, -1.0]))
    assert Relu.forward(None, np.array([1.0, -1.0])).tolist() == [1.0, 0.0]     # arrays: as is


def test_an_attribute_forward_did_not_keep_is_named_with_what_ctx_holds():
    """backward reading ctx.result that forward never set said only "'types.SimpleNamespace'
    object has no attribute 'result'"."""

    class Exp(Function):
        def forward(ctx, x):
            ctx.y = np.exp(x)
            return ctx.y

        def backward(ctx, g, out, x):
            return (g * ctx.result,)

    y = Exp.apply(t64([0.5]), ctx=SimpleNamespace())
    with pytest.raises(AttributeError, match=r"Exp\.backward: ctx has no \.result \(it holds "
                                             r"y\): set it in forward, ctx\.result = \.\.\."):
        y.backward()


def test_numpy_given_a_tensor_in_a_higher_order_backward_names_the_function():
    """np.where(x > 0, g, 0) in backward: first order works; in a Hessian's second pass numpy
    got Tensors and said only "numpy was given a Tensor ... that wants a gradient"."""

    class WhereRelu(Function):
        def forward(ctx, x):
            return np.maximum(x, 0.0)

        def backward(ctx, g, out, x):
            return (np.where(x > 0, g, 0.0),)

    assert gradcheck(WhereRelu.apply, t64([0.5, -1.2]))
    with pytest.raises(RuntimeError, match=r"^WhereRelu\.backward: numpy was given a Tensor.*"
                                           r"for a higher-order gradient"):
        hessian(lambda t: (WhereRelu.apply(t) ** 2).sum(), np.array([0.5, -1.2]))


class SecondWrong(Function):
    """sin x with a right first derivative and a wrong second: the higher-order pass gets
    g cos(x₀) x / x₀, equal to g cos x at x₀ but of slope g cos(x₀) / x₀, not -g sin x₀."""

    def forward(ctx, x):
        return np.sin(x)

    def backward(ctx, g, out, x):
        x0 = x.data if isinstance(x, Tensor) else x
        return (g * np.cos(x0) * x / x0,)


def test_gradgradcheck_catches_a_wrong_second_derivative_and_points_to_itself():
    """Its message suggested "check it alone, gradcheck(SecondWrong.apply, x)", which passes
    (the first derivative is right): it names gradgradcheck."""
    x = t64([0.3, -1.2, 2.0])
    assert gradcheck(SecondWrong.apply, x)
    with pytest.raises(GradcheckError) as error:
        gradgradcheck(SecondWrong.apply, x)
    message = str(error.value)
    assert "check it alone, gradgradcheck(SecondWrong.apply, x)" in message


def test_a_wrong_shape_beside_an_input_passed_as_it_is_names_the_input_as_called():
    """apply(x, None, w): the graph holds x and w only, and its own check named w's gradient
    "gradient 1 ... input 1", the None's place in the call."""

    class BiasFirst(Function):
        def forward(ctx, x, b, w):
            return x @ w.T

        def backward(ctx, g, out, x, b, w):
            return g @ w, None, g                   # w's gradient should be g.T @ x

    x, w = t64(np.ones((4, 3))), t64(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"BiasFirst\.backward: gradient 2 has shape \(4, 2\), "
                                         r"but input 2 has shape \(2, 3\)"):
        BiasFirst.apply(x, None, w).sum().backward()


def test_a_backward_that_changes_its_ctx_is_refused_and_the_ctx_kept():
    """PyTorch's habit of freeing what backward used, `del ctx.y`: glassgrad keeps graphs, so
    a second backward of the same call failed with "no attribute 'y'"; one that rescales a
    value on ctx gave 3, then 6 (gradcheck, which runs backward once, passed)."""

    class Frees(Function):
        def forward(ctx, x):
            ctx.y = np.exp(x)
            return ctx.y

        def backward(ctx, g, out, x):
            y = ctx.y
            del ctx.y
            return (g * y,)

    x = t64([0.5])
    y = Frees.apply(x, ctx=SimpleNamespace())
    with pytest.raises(ValueError, match=r"Frees\.backward: changed its ctx \(y\); glassgrad "
                                         r"keeps graphs, so backward can run again"):
        y.backward()
    assert y.parents[0] is x and np.isclose(y._ctx.y, np.exp(0.5)).all()     # put back

    class Doubles(Function):
        def forward(ctx, x):
            return x * ctx.k

        def backward(ctx, g, out, x):
            ctx.k = ctx.k * 2
            return (g * ctx.k / 2,)

    settings = SimpleNamespace(k=3.0)
    with pytest.raises(ValueError, match=r"Doubles\.backward: changed its ctx \(k\)"):
        Doubles.apply(t64([1.0]), ctx=settings).backward()
    assert settings.k == 3.0


class Sin(Function):
    """sin x, twice differentiable: cos from payload_math takes arrays and Tensors alike."""

    def forward(ctx, x):
        return np.sin(x)

    def backward(ctx, g, out, x):
        from autograd.ops.payload_math import cos
        return (g * cos(x),)


def test_a_twice_differentiable_op_writes_its_slope_with_payload_math():
    """x.cos() exists on nodes only and np.cos takes arrays only: the docstring's
    payload_math had exp alone, so a sin whose backward serves both passes could not be
    written without testing the input's type."""
    x = np.array([0.3, -1.2, 2.0])
    t = t64(x)
    Sin.apply(t).sum().backward()
    np.testing.assert_allclose(t.grad, central_differences(np.sin, x), atol=1e-8)
    assert gradgradcheck(Sin.apply, t64(x))
    np.testing.assert_allclose(hessian(lambda u: Sin.apply(u).sum(), x), np.diag(-np.sin(x)),
                               atol=1e-12)
    assert math.isclose(grad(grad(Sin.apply))(0.7), -math.sin(0.7))   # Values: math's cos
    from autograd.ops import payload_math
    for name in ("sin", "cos", "tanh", "log", "sqrt"):
        f = getattr(payload_math, name)
        assert math.isclose(f(0.7), getattr(math, name)(0.7))
        np.testing.assert_allclose(f(np.array([0.7])), getattr(np, name)(np.array([0.7])))
        assert math.isclose(f(Value(0.7)).data, getattr(math, name)(0.7))


def test_a_list_of_tensors_as_one_input_says_each_is_an_input_of_its_own():
    """Cat.apply([a, b]) said "needs at least one Value or Tensor input" (and beside another
    Tensor, numpy's "numpy was given a Tensor"): the list is no input the engine can reach."""

    class Cat(Function):
        def forward(ctx, *xs):
            return np.concatenate(xs)

        def backward(ctx, g, out, *xs):
            ends = np.cumsum([len(x) for x in xs])
            return tuple(np.split(g, ends[:-1]))

    a, b = t64([1.0, 2.0]), t64([3.0])
    with pytest.raises(TypeError, match=r"Cat\.apply: input 0 is a list holding Tensors; each "
                                        r"Value or Tensor is an input of its own.*"
                                        r"Cat\.apply\(\*xs\)"):
        Cat.apply([a, b])
    with pytest.raises(TypeError, match=r"Cat\.apply: input 1 is a tuple holding Tensors"):
        Cat.apply(a, (a, b))
    (Cat.apply(a, b) * t64([1.0, 2.0, 3.0], requires_grad=False)).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0] and b.grad.tolist() == [3.0]


def test_pytorch_s_ctx_methods_that_keep_nothing_say_what_glassgrad_does_instead():
    """ctx.needs_input_grad and ctx.mark_non_differentiable were explained as storage ("what
    PyTorch's ctx.save_for_backward keeps"), which is not what they are for."""

    class Needs(Function):
        def forward(ctx, x):
            return x * 2.0

        def backward(ctx, g, out, x):
            return (g * 2.0 if ctx.needs_input_grad[0] else None,)

    class Marks(Function):
        def forward(ctx, x):
            ctx.mark_non_differentiable(x)
            return np.argsort(x)

        def backward(ctx, g, out, x):
            return (None,)

    with pytest.raises(AttributeError, match=r"instead of ctx\.needs_input_grad: return every "
                                             r"input's gradient; those of inputs that want none "
                                             r"are dropped"):
        Needs.apply(t64([1.0])).backward()
    with pytest.raises(AttributeError, match=r"instead of ctx\.mark_non_differentiable: an "
                                             r"integer or boolean result carries no gradient"):
        Marks.apply(t64([2.0, 1.0]), ctx=SimpleNamespace())


def test_pytorch_2_s_setup_context_is_refused_at_definition():
    """PyTorch 2's form, forward(x, w) with setup_context(ctx, inputs, output): apply failed
    with Python's "MulPT2.forward() takes 2 positional arguments but 3 were given"."""
    with pytest.raises(TypeError, match=r"MulPT2: glassgrad calls no setup_context; define "
                                        r"forward\(ctx, \*inputs\)"):
        class MulPT2(Function):
            def forward(x, w):
                return x * w

            def setup_context(ctx, inputs, output):
                ctx.inputs = inputs

            def backward(ctx, g, out, x, w):
                return g * w, g * x
