"""What cannot be compiled is refused clearly; non-finite numbers behave as in eager mode."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Function, Tensor, Value, compile
from autograd import functional as F


class Cube(Function):
    """x³;  d/dx = 3x²"""

    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, g, out, x):
        return (g * 3 * x * x,)


def test_a_tensor_output_is_refused():
    with pytest.raises(TypeError, match="scalar Value.*Tensor"):
        compile(Tensor(np.ones(3), requires_grad=True).sum())


def test_a_custom_function_is_refused_by_name():
    x = Value(2.0)
    with pytest.raises(TypeError, match="'Cube'.*no vectorised rule"):
        compile(Cube.apply(x) + x)


def test_a_list_of_losses_is_refused_with_the_sum_suggested():
    w = Value(2.0)
    with pytest.raises(TypeError, match=r"^compile: expects one scalar Value, got a list of 2 "
                                        r"Values; .*compile\(sum\(losses\)\)"):
        compile([w * 2, w * 3])


@pytest.mark.parametrize("call", [lambda g, x: g(), lambda g, x: g(x),
                                  lambda g, x: g.forward(x), lambda g, x: g.forward([3.0])],
                         ids=["g()", "g(x)", "g.forward(x)", "g.forward(batch)"])
def test_calling_the_graph_or_passing_inputs_to_forward_says_where_inputs_go(call):
    w, x = Value(2.0), Value(1.0, requires_grad=False)
    graph = compile(w * x)
    with pytest.raises(TypeError, match=r"takes no arguments.*\.data"):
        call(graph, x)


def test_a_constant_output_is_refused():
    with pytest.raises(ValueError, match="does not require grad"):
        compile(Value(2.0, requires_grad=False) * 3)


def test_a_leaf_that_no_longer_holds_a_number_is_named():
    a, b = Value(1.0), Value(2.0, label="b")
    graph = compile(a * b)
    b.data = [1.0, 2.0]
    with pytest.raises(TypeError, match=r"leaves\[\d\] \(b\) holds list"):
        graph.forward()


def test_a_parameter_updated_with_itself_is_named_with_eager_modes_hint():
    """The slip p.data -= lr * p (for lr * p.grad) makes .data a Value."""
    w, x = Value(2.0), Value(3.0, requires_grad=False)
    graph = compile(w * x)
    w.data -= 0.1 * w
    hint = r"\(was `p.data -= lr \* p` written for `p.data -= lr \* p.grad`\?"
    with pytest.raises(TypeError, match=r"^compile: the graph's leaves\[0\] \(unlabelled\) "
                                        r"holds Value .*" + hint):
        graph.forward()
    with pytest.raises(TypeError, match=r"^compile: .*" + hint):
        compile(w * x)


@pytest.mark.parametrize("bad", ["1.5", None], ids=["text", "None"])
def test_a_leaf_holding_text_or_none_is_named_not_read_as_a_number(bad):
    """numpy would parse '1.5' and read None as NaN; eager arithmetic refuses both."""
    a, b = Value(1.0), Value(2.0, label="b")
    graph = compile(a * b)
    b.data = bad
    with pytest.raises(TypeError, match=rf"leaves\[\d\] \(b\) holds {type(bad).__name__}"):
        graph.forward()


@pytest.mark.parametrize("number", [3, True, np.float32(0.5), np.int64(-2), 10 ** 20])
def test_leaves_holding_other_kinds_of_real_number_are_read(number):
    a, b = Value(1.5), Value(2.0)
    graph = compile(a * b)
    b.data = number
    assert graph.forward() == 1.5 * float(number)


def test_a_leaf_given_another_requires_grad_after_compiling_is_refused_in_backward():
    """A parameter frozen after compile (requires_grad = False) went on receiving its gradient
    from the replay, so an optimizer went on training it; a data Value made to require grad
    received none. Eager mode follows the flag: the replay refuses and says to compile again."""
    w, x = Value(0.5, label="w"), Value(2.0, requires_grad=False)
    graph = compile(w * x + w)
    graph.backward()
    assert w.grad == 3.0
    w.requires_grad = False
    w.grad = None                       # (an optimizer skips a parameter whose grad is None)
    with pytest.raises(RuntimeError, match=r"leaves\[0\] \(w, .*\) no longer requires grad since "
                                           r"it was compiled.*compile it"):
        graph.backward()
    assert w.grad is None
    w.requires_grad = True              # as recorded again: replays go on
    graph.backward()
    assert w.grad == 3.0
    x.requires_grad_()
    with pytest.raises(RuntimeError, match=r"leaves\[1\] .* requires grad since it was compiled"
                                           r".*would give it none"):
        graph.backward()
    w.grad = x.grad = 0.0
    compile(w * x + w).backward()       # built again, it gives x its gradient
    assert (w.grad, x.grad) == (3.0, 0.5)


def test_backward_after_a_forward_that_raised_is_refused():
    """The failed pass left no values to differentiate (it would have added gradients at
    a point where eager mode has no graph at all)."""
    a = Value(2.0)
    graph = compile((a * 2).log())
    a.data = -1.0
    with pytest.raises(ValueError, match="log"):
        graph.forward()
    with pytest.raises(RuntimeError, match="forward.*raised"):
        graph.backward()
    assert a.grad == 0.0
    a.data = 3.0
    graph.forward()
    graph.backward()
    assert a.grad == pytest.approx(1 / 3)


def _eager_error(build):
    with pytest.raises(Exception) as caught:
        build().backward()
    return caught.value


@pytest.mark.parametrize("name, expression, bad", [
    ("log of a negative number", lambda a: (a * 2).log(), -1.0),
    ("log of zero", lambda a: (a * 2).log(), 0.0),
    ("sqrt of a negative number", lambda a: (a + 0).sqrt(), -4.0),
    ("division by zero", lambda a: 1 / a, 0.0),
    ("negative base, fractional power", lambda a: a ** 0.5, -8.0),
    ("overflow in a power", lambda a: a ** 3.0, 1e200),
    ("sin of an infinity", lambda a: (a * a).sin(), 1e200),
    ("cos of an infinity", lambda a: a.exp().cos(), 1000.0),
])
def test_forward_raises_what_eager_mode_raises(name, expression, bad):
    a = Value(2.0)
    graph = compile(expression(a))
    a.data = bad
    error = _eager_error(lambda: expression(a))
    with pytest.raises(type(error)) as caught:
        graph.forward()
    assert str(caught.value) == str(error)


@pytest.mark.parametrize("bad", [-0.5, 1.5])
def test_a_probability_outside_0_1_is_refused_in_a_compiled_binary_cross_entropy(bad):
    """Eager mode refuses it when the loss is built; a replay finds the log of a negative number
    (p or 1 - p) and says so, as the log it replaced did."""
    p = Value(0.5)
    graph = compile(F.binary_cross_entropy([p], [0.75]))
    p.data = bad
    with pytest.raises(ValueError, match=r"clamped_log: the log of a probability "
                                         r"\(binary_cross_entropy\) needs a number >= 0, got -0.5"):
        graph.forward()


def test_a_nan_probability_is_refused_in_a_compiled_binary_cross_entropy_as_in_eager_mode():
    p = Value(0.5)
    graph = compile(F.binary_cross_entropy([p], [1.0]))
    p.data = math.nan
    with pytest.raises(ValueError, match=r"probs must be in \[0, 1\], got values in \[nan, nan\]"):
        F.binary_cross_entropy([p], [1.0])
    with pytest.raises(ValueError, match=r"clamped_log: the log of a probability "
                                         r"\(binary_cross_entropy\) needs a number >= 0, got nan"):
        graph.forward()


@pytest.mark.parametrize("name, expression, point", [
    ("slope of sqrt at 0", lambda a: (a * 1).sqrt(), 0.0),
    ("slope of a fractional power at 0", lambda a: (a * 1) ** 0.5, 0.0),
])
def test_backward_raises_what_eager_mode_raises(name, expression, point):
    a = Value(2.0)
    graph = compile(expression(a))
    a.data = point
    assert graph.forward() == expression(a).data
    error = _eager_error(lambda: expression(a))
    with pytest.raises(type(error), match="infinite"):
        graph.backward()


def test_exp_overflow_raises_as_eager_mode_does():
    a = Value(1.0)
    graph = compile(a.exp() * a)
    a.data = 1000.0
    with pytest.raises(OverflowError, match=r"exp: e \*\* 1000.0 is too large"):
        graph.forward()


def test_overflowing_products_give_the_eager_infinities():
    a = Value(1.0)
    graph = compile(a * 1e308 * a)          # float products overflow to inf, eager and replayed
    a.data = 1000.0
    assert graph.forward() == math.inf
    graph.backward()
    assert a.grad == math.inf


def test_a_relu_that_is_off_passes_no_gradient_even_behind_an_infinity():
    """Eager ReLU passes nothing when off, so 0 · inf never happens behind it."""
    a = Value(1.0)
    graph = compile((a * 1e308 * -1.0).relu() + 0.5 * a)
    a.data = 1000.0
    assert graph.forward() == 500.0
    graph.backward()
    b = Value(1000.0)
    ((b * 1e308 * -1.0).relu() + 0.5 * b).backward()
    assert a.grad == b.grad == 0.5


def test_nan_data_propagates_as_in_eager_mode():
    a = Value(1.0)
    graph = compile(a.relu() + a * 2)
    a.data = math.nan
    value = graph.forward()
    b = Value(math.nan)
    assert math.isnan(value) and math.isnan((b.relu() + b * 2).data)


def test_pytorch_s_compile_of_a_model_returns_it_as_it_is_saying_so():
    """nanoGPT's `model = torch.compile(model)` after `import autograd as torch`: nothing to
    compile (Tensor ops are vectorised already); the model comes back unchanged, with a warning,
    and so do functions under `@torch.compile` and `@torch.compile(mode=...)`."""
    import nn
    model = nn.Linear(2, 2)
    with pytest.warns(UserWarning, match=r"^compile: glassgrad has no compiler for Tensor "
                                         r"models; Linear is returned as it is"):
        assert compile(model) is model
    assert list(model.state_dict()) == ["weight", "bias"]      # no _orig_mod. prefix

    def step(x):
        return x * 2

    with pytest.warns(UserWarning, match="function is returned as it is"):
        assert compile(step) is step
        assert compile(mode="max-autotune", fullgraph=True)(step) is step
    with pytest.raises(TypeError, match="a Value's graph takes no options"):
        compile(Value(2.0) * 3, mode="reduce-overhead")
