"""`detect_anomaly()`: the first NaN/inf output or gradient raises FloatingPointError naming the
op and where the user created it; outside the context nothing is checked."""

from __future__ import annotations

import re

import numpy as np
import pytest

from autograd import (
    Function, Tensor, Value, detect_anomaly, grad, is_anomaly_enabled, set_detect_anomaly,
)

from conftest import t64


def test_forward_nan_names_the_op_and_this_file():
    """log(-1) = NaN in forward: the error names `log` and this test file (the user's line)."""
    with np.errstate(invalid="ignore"), detect_anomaly():
        with pytest.raises(FloatingPointError) as err:
            Tensor([-1.0]).log()
    msg = str(err.value)
    assert "log" in msg and __file__ in msg and "NaN" in msg


def test_forward_nan_in_a_recorded_graph():
    """The same when the input requires grad (the op is recorded)."""
    with np.errstate(invalid="ignore"), detect_anomaly():
        with pytest.raises(FloatingPointError) as err:
            Tensor([-1.0], requires_grad=True).log()
    assert "log" in str(err.value) and __file__ in str(err.value)


def test_forward_inf_value():
    """Value: a product beyond the largest float is inf, which is reported in forward."""
    with detect_anomaly(), pytest.raises(FloatingPointError, match="mul"):
        Value(1e308) * Value(10.0)


def test_custom_function_output_is_checked():
    """A user-defined op is an op like the others: its NaN output is reported by name."""

    class MyLog(Function):
        def forward(ctx, x):
            return np.log(x)

        def backward(ctx, g, out, x):
            return (g / x,)

    with np.errstate(invalid="ignore"), detect_anomaly():
        with pytest.raises(FloatingPointError, match="MyLog"):
            MyLog.apply(Tensor([-1.0], requires_grad=True))


def test_backward_inf_names_the_op():
    """sqrt at 0 is fine forward (0) but its derivative is infinite: backward names `sqrt`
    and the line that created it."""
    x = Tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore"), detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(FloatingPointError) as err:
            y.backward()
    msg = str(err.value)
    assert "backward of sqrt" in msg and "infinite" in msg and __file__ in msg


def test_backward_inf_value():
    """Value: d sqrt(x)/dx at 0 is infinite; in anomaly mode the error must name `sqrt`
    (a bare ZeroDivisionError from inside the engine does not say where)."""
    x = Value(0.0)
    with detect_anomaly():
        y = x.sqrt()
        with pytest.raises((FloatingPointError, ZeroDivisionError)) as err:
            y.backward()
    assert "sqrt" in str(err.value)
    assert f"created at {__file__}" in str(err.value)       # the line that made it, too


def test_nothing_is_checked_outside():
    """Without the context a NaN simply flows through forward and backward."""
    x = t64([-1.0])
    with np.errstate(invalid="ignore"):
        y = x.log()
        y.sum().backward()
    assert np.isnan(y.data).all()
    np.testing.assert_array_equal(x.grad, [-1.0])


def test_mode_is_restored_after_an_error():
    """After the context exits by an exception, checks are off again."""
    with np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError):
            with detect_anomaly():
                t64([-1.0]).log()
        assert np.isnan(t64([-1.0]).log().data).all()


def test_decorator_form():
    """@detect_anomaly() checks inside the decorated function only."""

    @detect_anomaly()
    def bad(x):
        return x.log()

    with np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError, match="log"):
            bad(t64([-2.0]))
        assert np.isnan(t64([-2.0]).log().data).all()


def test_decorator_without_parentheses_and_no_settings():
    """@detect_anomaly works like @detect_anomaly(); PyTorch's check_nan setting is refused by
    name instead of being taken for the function to decorate."""

    @detect_anomaly
    def bad(x):
        return x.log()

    with np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError, match="log"):
            bad(t64([-2.0]))
    with pytest.raises(TypeError, match="takes no settings"):
        detect_anomaly(False)


def test_one_object_entered_twice_restores_the_mode():
    """The same detect_anomaly object entered inside itself: leaving both turns checks off."""
    checks = detect_anomaly()
    with checks:
        with checks:
            pass
    with np.errstate(invalid="ignore"):
        assert np.isnan(t64([-1.0]).log().data).all()


def test_finite_computations_pass():
    """Anomaly mode changes nothing for a healthy computation (same values, same gradients)."""
    x = t64([0.5, 2.0])
    with detect_anomaly():
        y = (x.log() * x.sqrt()).sum()
        y.backward()
    np.testing.assert_allclose(x.grad, 1 / x.data * np.sqrt(x.data)
                               + np.log(x.data) / (2 * np.sqrt(x.data)), rtol=1e-14)


def test_backward_nan_names_the_second_of_two_tensor_inputs():
    """The input is found by identity: with elementwise ==, comparing the first input with the
    second must not be how the position is found."""
    class NanForSecond(Function):
        def forward(ctx, a, b):
            return a + b

        def backward(ctx, g, out, a, b):
            return g, g * np.nan

    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    with np.errstate(invalid="ignore"), detect_anomaly():
        out = NanForSecond.apply(a, b).sum()
        with pytest.raises(FloatingPointError, match="for its input 1"):
            out.backward()


def test_an_inf_made_while_computing_a_derivative_names_that_derivative():
    """|x|^0.5 is 0 at 0, but its derivative is infinite: in the higher-order pass that is an
    op's output, and the error says whose derivative it was computing and where that op was
    created, for grad() and for backward(create_graph=True)."""
    with np.errstate(divide="ignore"), detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"produced an infinite output, computing "
                                                     r"the derivative of pow \(created at "):
            grad(lambda t: (t.abs() ** 0.5).sum())(np.array([0.0, 1.0]))
        x = t64([0.0, 1.0])
        with pytest.raises(FloatingPointError) as err:
            (x.abs() ** 0.5).sum().backward(create_graph=True)
    assert f"derivative of pow (created at {__file__}" in str(err.value)


def test_a_graph_made_before_anomaly_mode_is_said_so():
    """The op's line is unknown for a graph recorded before detect_anomaly(): say that."""
    x = t64([0.0, 1.0])
    with np.errstate(divide="ignore"):
        y = x.sqrt().sum()
        with detect_anomaly(), pytest.raises(FloatingPointError,
                                             match=r"backward of sqrt \(created outside "
                                                   r"detect_anomaly\(\)\)"):
            y.backward()


def test_an_infinity_given_to_an_op_is_passed_on():
    """Attention's causal mask puts -inf in on purpose and softmax turns it into 0: detect_anomaly
    lets it through (the gradient is checked all the same), where it raised at masked_fill."""
    x = t64(np.random.default_rng(0).normal(size=(3, 3)))
    causal = np.tril(np.ones((3, 3))) == 0
    with detect_anomaly():
        scores = x.masked_fill(causal, float("-inf")).softmax(axis=-1)
        (scores * t64([1.0, 2.0, 3.0])).sum().backward()
    assert np.isfinite(x.grad).all() and (x.grad[causal] == 0).all()


def test_an_infinity_made_by_an_op_still_raises():
    """An op that makes an infinity from finite inputs is reported, even when another input of
    it is infinite on purpose (log(0) next to a -inf mask)."""
    with np.errstate(divide="ignore", over="ignore"), detect_anomaly():
        with pytest.raises(FloatingPointError, match="log"):
            t64([0.0, 1.0]).log()
        masked = t64([1.0, 2.0]).masked_fill(np.array([True, False]), float("-inf"))
        with pytest.raises(FloatingPointError, match="exp"):
            t64([1000.0, 0.0]).exp()
        masked.exp()                                # exp(-inf) = 0: finite


def test_a_training_loop_inside_detect_anomaly_does_not_keep_its_graphs():
    """Each op's line was kept with the op's result itself, so every step's graph (all its
    activations) stayed alive until the block ended: memory grew with every step. Now a dropped
    graph is freed inside the block, and the lines are still named."""
    import gc
    import weakref
    w = t64([0.5, -1.0])
    with detect_anomaly():
        for _ in range(3):
            hidden = (w * 2.0).tanh()
            gone = weakref.ref(hidden)
            (hidden * hidden).sum().backward()
            del hidden
            gc.collect()
            assert gone() is None
        y = (w * 0.0).sqrt().sum()
        with np.errstate(divide="ignore", invalid="ignore"), pytest.raises(
                FloatingPointError, match=r"backward of sqrt \(created at .*test_anomaly.py"):
            y.backward()


def test_a_decorated_generator_function_runs_its_body_in_anomaly_mode():
    """@detect_anomaly() on a generator function ended the block when the call returned the
    generator, before its first step: the body ran unchecked (log(0) passed silently). Each
    step now runs in anomaly mode, and the caller's loop in its own; an async function is
    refused, as by no_grad()."""
    from autograd.graph import grad_mode

    @detect_anomaly()
    def steps():
        x = t64([0.0, 1.0])
        yield (x + 1.0).log()
        yield x.log()

    made = steps()
    assert next(made).data[0] == 0.0 and not grad_mode.anomaly
    with np.errstate(divide="ignore"), pytest.raises(
            FloatingPointError, match=r"detect_anomaly: log \(at .*test_anomaly.py"):
        next(made)
    assert not grad_mode.anomaly

    with pytest.raises(TypeError, match="cannot decorate the async function 'fetch'"):
        @detect_anomaly
        async def fetch():
            pass


def test_an_op_a_layer_runs_is_named_at_the_user_s_line_that_called_the_layer():
    """linear's infinite output was named at nn/layers.py's line, inside the library, where a
    learner cannot tell which of their calls it was; the user's line now comes first, then the
    layer's."""
    import nn
    from autograd import no_grad
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    with no_grad():
        model[0].weight.fill_(1.0)
    x = Tensor(np.array([[3e38, 3e38]], dtype=np.float32))
    with np.errstate(over="ignore"), detect_anomaly(), pytest.raises(FloatingPointError) as err:
        model(x)
    msg = str(err.value)
    assert re.search(r"detect_anomaly: linear \(at .*test_anomaly\.py:\d+ in test_an_op_a_layer"
                     r"[^,]*, through .*nn.layers\.py:\d+ in forward\) produced an infinite",
                     msg), msg


def test_set_detect_anomaly_switches_at_once_and_is_anomaly_enabled_says_so():
    """PyTorch's set_detect_anomaly(True) called alone: on until set_detect_anomaly(False)."""
    assert not is_anomaly_enabled()
    try:
        set_detect_anomaly(True)
        assert is_anomaly_enabled()
        with np.errstate(invalid="ignore"), pytest.raises(FloatingPointError, match="log"):
            Tensor([-1.0]).log()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()
    with np.errstate(invalid="ignore"):
        assert np.isnan(Tensor([-1.0]).log().data[0])       # off: nothing checked
    with detect_anomaly():
        assert is_anomaly_enabled()
        with set_detect_anomaly(False):                      # as a block: restored after
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()


def test_set_detect_anomaly_refuses_what_it_cannot_do():
    with pytest.raises(TypeError, match="set_detect_anomaly: mode must be True or False"):
        set_detect_anomaly("on")
    with pytest.raises(ValueError, match="check_nan=False is not supported"):
        set_detect_anomaly(True, check_nan=False)
    assert not is_anomaly_enabled()
