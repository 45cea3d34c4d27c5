"""Custom ops through `autograd.Function`: the same form as the built-in ops, for Value and
Tensor, with None gradients, gradcheck, higher order, and clear errors for broken backwards."""

from __future__ import annotations

import re

import numpy as np
import pytest

from autograd import Function, Tensor, Value, grad, gradcheck

from conftest import t64


class ScaledProduct(Function):
    """a * b * k for a constant k = ctx; written with operators, so it serves higher order."""

    def forward(k, a, b):
        return a * b * k

    def backward(k, g, out, a, b):
        return g * b * k, g * a * k


class FirstOnly(Function):
    """a * b, where b is treated as a constant: its gradient is None."""

    def forward(ctx, a, b):
        return a * b

    def backward(ctx, g, out, a, b):
        return g * b, None


class Cube(Function):
    """x³; d/dx = 3x²"""

    def forward(ctx, x):
        return x ** 3

    def backward(ctx, g, out, x):
        return (g * 3 * x * x,)


def test_name_defaults_to_class_name():
    """A Function's op name is its class name unless it sets one."""
    assert Cube.name == "Cube"
    y = Cube.apply(Value(2.0))
    assert y.op == "Cube"


def test_two_inputs_with_ctx_value():
    """Value inputs: forward gets floats, ctx is passed through, gradients are right."""
    a, b = Value(2.0), Value(-3.0)
    y = ScaledProduct.apply(a, b, ctx=0.5)
    assert type(y) is Value and y.data == -3.0 and y.parents == (a, b)
    y.backward()
    assert (a.grad, b.grad) == (-1.5, 1.0)


def test_two_inputs_with_ctx_tensor():
    """The same Function on Tensor inputs: forward gets arrays, gradients are right."""
    a, b = t64([1.0, 2.0]), t64([3.0, 4.0])
    y = ScaledProduct.apply(a, b, ctx=2.0)
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [6.0, 8.0])
    np.testing.assert_array_equal(b.grad, [2.0, 4.0])


def test_none_gradient_value():
    """A None gradient leaves that input without a contribution (Value: grad stays 0)."""
    a, b = Value(2.0), Value(5.0)
    FirstOnly.apply(a, b).backward()
    assert (a.grad, b.grad) == (5.0, 0.0)


def test_none_gradient_tensor():
    """A None gradient for a Tensor leaf: its .grad stays None."""
    a, b = t64([2.0]), t64([5.0])
    FirstOnly.apply(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [5.0])
    assert b.grad is None


def test_none_gradient_into_an_intermediate_tensor():
    """A None gradient for an input computed by other ops: backward must simply not send
    anything down that path (the upstream leaf gets no gradient from it), not crash."""
    x, z = t64([1.0, 2.0]), t64([3.0, 4.0])
    y = x * 2.0
    FirstOnly.apply(z, y).sum().backward()
    np.testing.assert_array_equal(z.grad, [2.0, 4.0])
    assert x.grad is None or np.array_equal(x.grad, [0.0, 0.0])


def test_none_gradient_into_an_intermediate_higher_order():
    """The same through grad() (the higher-order pass), for Value and Tensor."""
    g = grad(lambda x, z: FirstOnly.apply(z, x * 2.0), argnums=(0, 1))(1.5, 3.0)
    assert g == (0.0, 3.0)
    gt = grad(lambda x, z: FirstOnly.apply(z, x * 2.0).sum(), argnums=(0, 1))(
        np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.testing.assert_array_equal(gt[0], [0.0, 0.0])
    np.testing.assert_array_equal(gt[1], [2.0, 4.0])


def test_numbers_as_inputs_are_constants():
    """Plain numbers among the inputs become constants of the same kind."""
    a = Value(2.0)
    y = ScaledProduct.apply(a, 4.0, ctx=1.0)
    assert y.data == 8.0 and not y.parents[1].requires_grad
    y.backward()
    assert a.grad == 4.0


def test_gradcheck_passes_for_a_correct_function():
    """gradcheck accepts a correct custom op, on Values and on Tensors."""
    assert gradcheck(lambda a, b: ScaledProduct.apply(a, b, ctx=1.5), Value(0.7), Value(-1.2))
    assert gradcheck(lambda a, b: ScaledProduct.apply(a, b, ctx=1.5),
                     t64([[0.7, 1.0]]), t64([[-1.2, 0.3]]))
    assert gradcheck(lambda x: Cube.apply(x), t64([0.5, -1.5, 2.0]))


def test_higher_order_through_a_custom_function():
    """backward written with operators is differentiable again: Cube'' = 6x, Cube''' = 6."""
    assert grad(lambda x: Cube.apply(x))(2.0) == 12.0
    assert grad(grad(lambda x: Cube.apply(x)))(2.0) == 12.0
    assert grad(grad(grad(lambda x: Cube.apply(x))))(2.0) == 6.0
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(grad(lambda t: grad(lambda u: Cube.apply(u).sum())(t).sum())(x),
                               6 * x)


def test_wrong_number_of_gradients_raises():
    """backward must return one gradient per input: ValueError naming the op and both counts."""

    class TooFew(Function):
        def forward(ctx, a, b):
            return a + b

        def backward(ctx, g, out, a, b):
            return (g,)

    y = TooFew.apply(Value(1.0), Value(2.0))
    with pytest.raises(ValueError, match=r"TooFew.*1 gradients for 2 inputs"):
        y.backward()


def test_wrong_shape_gradient_raises_naming_the_op():
    """A gradient that does not fit its input's shape is caught at once, with the op named."""

    class BadShape(Function):
        def forward(ctx, x):
            return x * 2.0

        def backward(ctx, g, out, x):
            return (g.sum(),)                    # () instead of (3,)

    y = BadShape.apply(t64([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="BadShape") as err:
        y.sum().backward()
    assert "(3,)" in str(err.value)


def test_apply_rejects_bad_inputs():
    """apply needs a node, cannot mix Value and Tensor, and a Value forward must give a number."""

    class ToArray(Function):
        def forward(ctx, x):
            return np.array([x, x])

        def backward(ctx, g, out, x):
            return (g,)

    with pytest.raises(TypeError):
        Cube.apply(2.0)
    with pytest.raises(TypeError, match="mix"):
        ScaledProduct.apply(Value(1.0), t64([1.0]))
    with pytest.raises(TypeError, match="number"):
        ToArray.apply(Value(1.0))


def test_a_missing_forward_or_backward_is_named():
    """A Function without backward fails on backward (not before: forward-only use works),
    saying which method is missing and its signature; likewise without forward."""

    class Doubled(Function):
        def forward(ctx, x):
            return 2 * x

    y = Doubled.apply(Value(1.5))
    assert y.data == 3.0
    with pytest.raises(NotImplementedError, match=r"Doubled: this Function has no backward; "
                                                  r"define backward\(ctx, g, out, \*inputs\)"):
        y.backward()

    class Slope(Function):
        def backward(ctx, g, out, x):
            return (g,)

    with pytest.raises(NotImplementedError, match=r"Slope: this Function has no forward"):
        Slope.apply(Tensor([1.0], requires_grad=True))


def test_calling_the_class_says_to_use_apply():
    """Cube(x) or Cube()(x) (PyTorch's legacy form) is refused, pointing at Cube.apply."""
    with pytest.raises(TypeError, match=r"Cube: .*use Cube\.apply"):
        Cube(Value(2.0))
    with pytest.raises(TypeError, match=r"Cube\.apply"):
        Cube()


def test_methods_that_cannot_be_static_are_refused_at_definition():
    """A classmethod, a `self` parameter, a forward without ctx and PyTorch's
    backward(ctx, grad_output) are refused when the class is defined, saying the signature."""
    with pytest.raises(TypeError, match=r"Twice\.forward: must be a static method.*classmethod"):
        class Twice(Function):
            @classmethod
            def forward(cls, ctx, x):
                return 2 * x

    with pytest.raises(TypeError, match=r"Half\.backward: is static and takes no self"):
        class Half(Function):
            def backward(self, ctx, g, out, x):
                return (g / 2,)

    with pytest.raises(TypeError, match=r"NoCtx\.forward: takes \(x\); define forward\(ctx"):
        class NoCtx(Function):
            def forward(x):
                return x

    with pytest.raises(TypeError, match=r"Ported\.backward: takes \(ctx, grad_output\); define "
                                        r"backward\(ctx, g, out, \*inputs\).*save_for_backward"):
        class Ported(Function):
            @staticmethod
            def backward(ctx, grad_output):
                return grad_output

    class Star(Function):                       # *args takes any number: accepted
        def forward(*args):
            return args[1] * 2.0

        def backward(*args):
            return (args[1] * 2.0,)

    x = Value(1.5)
    Star.apply(x).backward()
    assert x.grad == 2.0


def test_forward_returns_one_raw_result():
    """Two outputs (a tuple) or a node instead of a number/array are refused, naming the op;
    with Tensor inputs a tuple would otherwise be stacked into one array without a word."""

    class Pair(Function):
        def forward(ctx, x):
            return x * 2.0, x * 3.0

    class OnNodes(Function):
        def forward(ctx, x):
            return Tensor(x) * 2.0

    with pytest.raises(TypeError, match=r"Pair\.forward: returned a tuple; a Function has one"):
        Pair.apply(t64([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"Pair\.forward: returned a tuple"):
        Pair.apply(Value(1.0))
    with pytest.raises(TypeError, match=r"OnNodes\.forward: returned a Tensor"):
        OnNodes.apply(t64([1.0]))


def test_two_outputs_as_a_list_are_refused_too():
    """[a, b] from forward (two outputs, as a list) was stacked into one Tensor of shape
    (2, n) without a word; the mistake surfaced only in backward, as a gradient's shape."""

    class PairList(Function):
        def forward(ctx, x):
            return [x * 2.0, x * 3.0]

        def backward(ctx, g, out, x):
            return (g,)

    with pytest.raises(TypeError, match=r"PairList\.forward: returned a list; a Function has one"):
        PairList.apply(t64([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"PairList\.forward: returned a list"):
        PairList.apply(Value(1.0))


@pytest.mark.parametrize("x", [Value(1.0), t64([1.0, 2.0])], ids=["Value", "Tensor"])
def test_a_tensor_method_in_forward_says_it_gets_raw_numbers(x):
    """forward always gets floats or numpy arrays: x.exp() there is numpy's or float's
    AttributeError, which now says what forward is given and what to write."""

    class MethodExpForward(Function):
        def forward(ctx, x):
            return x.exp()

        def backward(ctx, g, out, x):
            return (g * out,)

    with pytest.raises(AttributeError, match=r"MethodExpForward\.forward: '(float|numpy\.ndarray)' "
                                             r"object has no attribute 'exp' \(forward is called "
                                             r"with the raw inputs.*np\.exp\(x\)"):
        MethodExpForward.apply(x)


@pytest.mark.parametrize("x", [Value(1.0), t64([1.0, 2.0])], ids=["Value", "Tensor"])
def test_a_forward_without_return_is_named(x):
    """A forgotten `return`: on Tensors the None became an object array and the error said only
    "Tensor: expected numbers ..., got data of dtype object", naming neither the Function nor
    the cause."""

    class NoReturn(Function):
        def forward(ctx, x):
            x * 2.0

        def backward(ctx, g, out, x):
            return (g * 2.0,)

    with pytest.raises(TypeError, match=r"NoReturn\.forward: returned None \(is its `return` "
                                        r"missing\?\)"):
        NoReturn.apply(x)


@pytest.mark.parametrize("x", [Value(1.0), t64([1.0, 2.0])], ids=["Value", "Tensor"])
def test_a_backward_without_return_is_named(x):
    """A forgotten `return` in backward was read as "no gradient for the one input": x.grad
    stayed 0 (None for a Tensor), silently. A deliberate none is written (None,)."""

    class NoReturn(Function):
        def forward(ctx, x):
            return x * 2.0

        def backward(ctx, g, out, x):
            g * 2.0

    class NoGradient(Function):
        def forward(ctx, x):
            return x * 2.0

        def backward(ctx, g, out, x):
            return (None,)

    total = lambda y: y if isinstance(y, Value) else y.sum()
    with pytest.raises(TypeError, match=r"NoReturn\.backward: returned None \(is its `return` "
                                        r"missing\?\)"):
        total(NoReturn.apply(x)).backward()
    with pytest.raises(TypeError, match=r"NoReturn\.backward: returned None"):
        grad(lambda u: total(NoReturn.apply(u)))(x)
    total(NoGradient.apply(x)).backward()
    assert not np.any(x.grad)


def test_pytorch_s_backward_is_told_the_signature_to_write_with_its_own_names():
    """The tutorial's LegendrePolynomial3 (backward(ctx, grad_output) reading ctx.saved_tensors)
    was told "define backward(ctx, g, out, *inputs)": the learner had to work out where forward's
    input goes. The error now writes the line, with the learner's names, and says what to drop."""
    with pytest.raises(TypeError, match=re.escape(
            "Legendre.backward: takes (ctx, grad_output); define backward(ctx, g, out, "
            "*inputs): glassgrad passes the output and forward's inputs after the gradient, so "
            "here write def backward(ctx, grad_output, out, input) and use those names, without "
            "ctx.saved_tensors; leave ctx.save_for_backward out of forward")):
        class Legendre(Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

    class LegendreFixed(Function):              # as the error says: it runs, and gradchecks
        @staticmethod
        def forward(ctx, input):
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output, out, input):
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    assert gradcheck(LegendreFixed.apply, Tensor(np.array([-0.7, 0.2, 0.9]), requires_grad=True))
    with pytest.raises(TypeError, match=re.escape("write def backward(ctx, g, out, x, *rest)")):
        class Several(Function):
            def forward(ctx, x, *rest):
                return x

            def backward(ctx, g):
                return g


class SavesInForward(Function):
    """PyTorch's habit: ctx.save_for_backward in forward."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, g, out, x):
        return g * 2 * x


class ReadsInBackward(Function):
    """PyTorch's habit: ctx.saved_tensors in backward."""

    def forward(ctx, x):
        return x * x

    def backward(ctx, g, out, x):
        x, = ctx.saved_tensors
        return g * 2 * x


def test_pytorch_s_ctx_storage_says_what_glassgrad_passes_instead():
    """PyTorch's ctx.save_for_backward(x) / ctx.saved_tensors met a ctx of None and said only
    "'NoneType' object has no attribute 'save_for_backward'"."""

    class StoresOnCtx(Function):
        def forward(ctx, x):
            ctx.scale = 2.0
            return x * 2.0

        def backward(ctx, g, out, x):
            return g * 2.0

    message = (r"{}: ctx is None, the constant given as {}.apply\(..., ctx=...\) \(none was\), "
               r"so it has {}: glassgrad has no ctx to store things on. backward\(ctx, g, "
               r"out, \*inputs\) receives the output and the inputs")
    with pytest.raises(AttributeError, match=message.format(
            r"SavesInForward\.forward", "SavesInForward", "no .save_for_backward")):
        SavesInForward.apply(t64([1.0, 2.0]))
    y = ReadsInBackward.apply(t64([1.0, 2.0])).sum()
    with pytest.raises(AttributeError, match=message.format(
            r"ReadsInBackward\.backward", "ReadsInBackward", "no .saved_tensors")):
        y.backward()
    with pytest.raises(AttributeError, match=message.format(
            r"StoresOnCtx\.forward", "StoresOnCtx", "no attributes to set")):
        StoresOnCtx.apply(Value(1.0))

    class Typo(Function):                   # an attribute error of the user's own stays as it is
        def forward(ctx, x):
            return x.nonexistent

        def backward(ctx, g, out, x):
            return g

    with pytest.raises(AttributeError, match=r"'numpy.ndarray' object has no attribute "
                                             r"'nonexistent'$"):
        Typo.apply(t64([1.0]))


def test_pytorch_s_ctx_storage_on_a_ctx_of_one_s_own_says_what_glassgrad_passes_instead():
    """The docstring says to pass ctx=types.SimpleNamespace() to keep things; a PyTorch habit,
    ctx.save_for_backward(x) or ctx.saved_tensors on it, then said only "'types.SimpleNamespace'
    object has no attribute 'save_for_backward'"."""
    from types import SimpleNamespace

    message = (r"{}: ctx is the object given as {}.apply\(..., ctx=...\) \(here of type "
               r"SimpleNamespace\), not PyTorch's ctx, so it has no .{}: backward\(ctx, g, out, "
               r"\*inputs\) receives the output and the inputs")
    with pytest.raises(AttributeError, match=message.format(
            r"SavesInForward\.forward", "SavesInForward", "save_for_backward")):
        SavesInForward.apply(t64([1.0, 2.0]), ctx=SimpleNamespace())
    y = ReadsInBackward.apply(t64([1.0, 2.0]), ctx=SimpleNamespace()).sum()
    with pytest.raises(AttributeError, match=message.format(
            r"ReadsInBackward\.backward", "ReadsInBackward", "saved_tensors")):
        y.backward()


def test_calling_forward_itself_on_tensors_says_to_use_apply():
    """Cube.forward(ctx, x) with a Tensor x said forward "returned a Tensor; a Function has one
    output, computed on the raw inputs", which blamed the forward, not the call."""

    class Cube(Function):
        def forward(ctx, x):
            return x ** 3

        def backward(ctx, g, out, x):
            return (g * 3 * x * x,)

    with pytest.raises(TypeError, match=r"Cube\.forward: was called with a Tensor \(input 0\); "
                                        r"run the op as Cube\.apply\(\.\.\.\)"):
        Cube.forward(None, t64([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"was called with a Value \(input 0\)"):
        Cube.forward(None, Value(2.0))


def test_setting_on_a_ctx_of_none_is_explained_in_python_3_13_s_words_too():
    """Python 3.13 words `ctx.scale = 2.0` on None as "... has no attribute 'scale' and no
    __dict__ for setting new attributes" and names 'scale' (3.10-3.12 give no name): it was
    passed on unexplained there. Raised here by hand, as 3.13 raises it, on any Python."""

    class StoresOnCtx(Function):
        def forward(ctx, x):
            raise AttributeError("'NoneType' object has no attribute 'scale' and no __dict__ "
                                 "for setting new attributes", name="scale", obj=None)

        def backward(ctx, g, out, x):
            return g

    with pytest.raises(AttributeError, match=r"^StoresOnCtx\.forward: ctx is None, the constant "
                                             r"given as .* so it has no attributes to set: "):
        StoresOnCtx.apply(Value(1.0))


def test_an_attribute_error_not_on_ctx_is_not_blamed_on_ctx():
    """Only PyTorch's ctx names (and an attribute set on None, `ctx.x = ...`) are explained:
    the user's own None, or an AttributeError raised by hand, was reported as "ctx is None"."""
    settings = None

    class ReadsItsOwnNone(Function):
        def forward(ctx, x):
            return x * settings.scale

        def backward(ctx, g, out, x):
            return g

    class RaisesByHand(Function):
        def forward(ctx, x):
            raise AttributeError("no such mode")

        def backward(ctx, g, out, x):
            return g

    with pytest.raises(AttributeError, match=r"^'NoneType' object has no attribute 'scale'$"):
        ReadsItsOwnNone.apply(t64([1.0]))
    with pytest.raises(AttributeError, match=r"^no such mode$"):
        RaisesByHand.apply(t64([1.0]))


def test_an_integer_output_wants_no_gradient():
    """An integer or boolean result is a constant (as in PyTorch): only floats carry gradients."""

    class Positive(Function):
        def forward(ctx, x):
            return x > 0

    y = Positive.apply(t64([1.0, -2.0]))
    assert y.dtype == bool and not y.requires_grad


def test_gradients_of_the_wrong_kind_are_refused_naming_the_input():
    """A Value's gradient is a number, a Tensor's an array: an array for a Value would become
    its .grad, a list or a string fails later without the op's name."""

    def constant_gradient(value):
        class Returns(Function):
            def forward(ctx, x):
                return x * 2.0

            def backward(ctx, g, out, x):
                return (value,)
        return Returns

    with pytest.raises(TypeError, match=r"Returns\.backward: gradient 0 is of type ndarray; "
                                        r"input 0 is a Value, so its gradient must be a number"):
        constant_gradient(np.array([2.0])).apply(Value(1.0)).backward()
    with pytest.raises(TypeError, match=r"gradient 0 is of type list; input 0 is a Tensor of "
                                        r"shape \(2,\), so its gradient must be an array"):
        constant_gradient([2.0, 2.0]).apply(t64([1.0, 1.0])).sum().backward()
    with pytest.raises(TypeError, match=r"gradient 0 is of type Tensor; input 0 is a Value"):
        grad(lambda x: constant_gradient(t64([2.0])).apply(x))(1.0)
    x = Value(1.0)                              # a numpy number is a number: .grad stays a float
    constant_gradient(np.float32(2.0)).apply(x).backward()
    assert type(x.grad) is float and x.grad == 2.0
    t = t64(3.0)                                # a number for a 0-d Tensor: an array
    constant_gradient(2.0).apply(t).backward()
    assert isinstance(t.grad, np.ndarray) and t.grad == 2.0


def test_a_numpy_backward_in_a_higher_order_pass_says_why_it_fails():
    """A backward written with numpy works first order; the higher-order pass calls it with
    Tensors, which numpy refuses: the error names the op and says to use operators."""

    class NpExp(Function):
        def forward(ctx, x):
            return np.exp(x)

        def backward(ctx, g, out, x):
            return (g * np.exp(x),)

    x = t64([0.0])
    NpExp.apply(x).sum().backward()
    assert x.grad[0] == 1.0
    with pytest.raises(TypeError, match=r"NpExp\.backward: .*higher-order.*operators"):
        grad(lambda t: NpExp.apply(t).sum())(np.array([0.0]))
    # grad() of a first derivative says why it too takes that pass, and what does not
    with pytest.raises(TypeError, match=r"autograd\.grad and backward\(create_graph=True\) "
                                        r"always build, even for a first derivative.*"
                                        r"y\.backward\(\) alone"):
        grad(lambda t: NpExp.apply(t).sum())(np.array([0.0]))


def test_a_backward_that_returns_arrays_serves_create_graph_as_constants():
    """In the higher-order pass a rule may return a raw array (a slope that does not depend on
    the input): it becomes a constant node of the input's dtype (`Tensor._constant_like`)."""
    class Double(Function):
        def forward(ctx, x):
            return 2 * x

        def backward(ctx, g, out, x):
            return (np.full(x.shape, 2.0),)

    x = Tensor(np.array([1.0, 3.0]), requires_grad=True)
    Double.apply(x).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.dtype == np.float64
    assert x.grad.data.tolist() == [2.0, 2.0] and not x.grad.requires_grad


def test_a_float_among_tensor_inputs_takes_their_dtype():
    """0.1 given to apply beside a float64 tensor is float64's 0.1 (made float32 by default,
    it was 0.10000000149: wrong in the ninth digit); an int is passed as it is (an axis)."""
    class Scale(Function):
        def forward(ctx, x, s):
            return x * s

        def backward(ctx, g, out, x, s):
            return g * s, None

    x = t64([1.0, 3.0])
    assert Scale.apply(x, 0.1).data.tolist() == [0.1, 0.30000000000000004]
    assert Scale.apply(x, [0.1, 0.2]).data.tolist() == [0.1, 0.6000000000000001]
    assert Scale.apply(Tensor([1.0]), 0.1).dtype == np.float32
    assert Scale.apply(x, 2).parents == (x,)


class ReluInPlace(Function):
    """A learner's relu that zeroes its input's negatives in place."""

    def forward(ctx, x):
        x[x < 0] = 0
        return x

    def backward(ctx, g, out, x):
        return (g * (x > 0),)


class TripleInPlace(Function):
    """3x, whose backward scales the gradient it was given in place."""

    def forward(ctx, x):
        return x * 3

    def backward(ctx, g, out, x):
        g *= 3
        return (g,)


def test_forward_cannot_change_its_input_in_place():
    """The input is a leaf's own data: changing it would change the leaf (it did, silently)."""
    x = t64([-1.0, 2.0])
    with pytest.raises(ValueError, match=r"ReluInPlace.forward: tried to change one of its "
                                         r"inputs in place .*np.where"):
        ReluInPlace.apply(x)
    assert x.data.tolist() == [-1.0, 2.0]


def test_backward_cannot_change_the_gradient_it_was_given():
    """g is the output's own .grad: scaling it in place made y.grad 3 instead of 1."""
    x = t64([1.0, 2.0])
    y = TripleInPlace.apply(x)
    with pytest.raises(ValueError, match=r"TripleInPlace.backward: tried to change one of g, "
                                         r"out or its inputs in place"):
        (y * 1.0).backward(np.ones(2))
    assert y.grad is None or y.grad.tolist() == [1.0, 1.0]


def test_a_backward_returning_its_g_gives_leaves_their_own_gradient():
    """A straight-through backward returns g itself, now read-only: the leaf gets a copy it
    can change (an optimizer's in-place update)."""
    class StraightThroughClip(Function):
        def forward(ctx, x):
            return np.clip(x, -1.0, 1.0)

        def backward(ctx, g, out, x):
            return (g,)

    x = t64([-3.0, 0.5])
    StraightThroughClip.apply(x).backward(np.array([2.0, 3.0]))
    x.grad *= 0.5
    assert x.grad.tolist() == [1.0, 1.5]


def test_a_tensor_method_in_a_first_order_backward_says_why_it_fails():
    """The mirror image: x.exp() serves the higher-order pass, but the first-order pass calls
    backward with numpy arrays, which have no .exp(): the error says so and what works."""

    class MethodExp(Function):
        def forward(ctx, x):
            return np.exp(x)

        def backward(ctx, g, out, x):
            return (g * x.exp(),)

    x = t64([0.0, 1.0])
    with pytest.raises(AttributeError, match=r"MethodExp\.backward: 'numpy\.ndarray' object has "
                                             r"no attribute 'exp' \(for a first-order gradient "
                                             r"it is called with numpy arrays.*payload_math"):
        MethodExp.apply(x).sum().backward()


def test_a_gradient_of_the_wrong_shape_names_its_input():
    class Times(Function):
        def forward(ctx, a, b):
            return a * b

        def backward(ctx, g, out, a, b):
            return (g * b, g * a)               # b's gradient not summed back to (3,)

    a, b = t64(np.ones((2, 3))), t64(np.ones(3))
    with pytest.raises(ValueError, match=r"Times\.backward: gradient 1 has shape \(2, 3\), but "
                                         r"input 1 has shape \(3,\): .*g\.sum\(axis=0\)"):
        Times.apply(a, b).sum().backward()


def test_a_complex_gradient_is_refused():
    class Twice(Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, g, out, x):
            return ((g * 2).astype(np.complex128),)

    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"Twice\.backward: a complex gradient \(dtype "
                                        r"complex128\) for an input of dtype float32"):
        Twice.apply(x).sum().backward()


def test_a_setting_given_as_a_keyword_is_pointed_to_ctx():
    class Largest(Function):
        def forward(ctx, x):
            return x.max()

        def backward(ctx, g, out, x):
            return (g * (x == out),)

    with pytest.raises(TypeError, match=r"Largest\.apply: got the keyword axis; .*settings in "
                                        r"ctx.*SimpleNamespace\(axis=\.\.\.\)"):
        Largest.apply(Tensor([1.0, 2.0]), axis=0)
