"""Grad mode (autograd/grad_mode.py): no_grad, enable_grad, inference_mode and set_grad_enabled
as blocks and decorators, nesting, restoring after errors, and generator functions."""

from __future__ import annotations

import pytest

from autograd import (
    Value, detect_anomaly, enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
    no_grad, set_grad_enabled,
)

from conftest import t64


def test_no_grad_context_records_nothing():
    """Inside no_grad results are constants: no op, no parents, no requires_grad."""
    x = Value(2.0)
    t = t64([1.0])
    with no_grad():
        assert not is_grad_enabled()
        y, u = x * x, t.exp()
    assert is_grad_enabled()
    for out in (y, u):
        assert not out.requires_grad and out.parents == () and out.op == "" and out.is_leaf
    with pytest.raises(RuntimeError):
        y.backward()


def test_no_grad_decorator_records_nothing():
    """@no_grad() on a function: its ops are not recorded; grad mode is back on afterwards."""

    @no_grad()
    def step(v):
        return v * v

    out = step(Value(2.0))
    assert out.data == 4.0 and not out.requires_grad and out.parents == ()
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad_records():
    """enable_grad() inside no_grad() switches recording back on, and off again on exit."""
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            y = x * x
        z = x * x
    assert y.requires_grad and y.parents == (x, x)
    assert not z.requires_grad


def test_enable_grad_decorator():
    """@enable_grad() makes a function record even when called under no_grad()."""

    @enable_grad()
    def square(v):
        return v * v

    x = Value(3.0)
    with no_grad():
        y = square(x)
    y.backward()
    assert x.grad == 6.0


def test_set_grad_enabled_restores_after_exception():
    """Grad mode is restored even when the block raises; nesting restores level by level."""
    with pytest.raises(KeyError):
        with set_grad_enabled(False):
            raise KeyError
    assert is_grad_enabled()
    with set_grad_enabled(False):
        with set_grad_enabled(True):
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


# -- grad mode as PyTorch 2 spells it ------------------------------------------------------------

def test_no_grad_and_enable_grad_decorate_without_parentheses():
    @no_grad
    def inference(x):
        return x * x

    @enable_grad
    def recorded(x):
        return x * x

    assert not inference(Value(2.0)).requires_grad and is_grad_enabled()
    with no_grad():
        assert recorded(Value(2.0)).requires_grad and not is_grad_enabled()
    assert inference.__name__ == "inference"


def test_set_grad_enabled_called_alone_switches_at_once():
    try:
        set_grad_enabled(False)
        assert not is_grad_enabled() and not (Value(2.0) * 3).requires_grad
    finally:
        set_grad_enabled(True)
    assert is_grad_enabled() and (Value(2.0) * 3).requires_grad

    @set_grad_enabled(False)                          # decorating does not switch the program
    def inference(x):
        return x * x
    assert is_grad_enabled() and not inference(Value(2.0)).requires_grad and is_grad_enabled()


def test_one_set_grad_enabled_object_can_be_entered_again_and_inside_itself():
    switch = set_grad_enabled(False)
    with switch:
        assert not is_grad_enabled()
    assert is_grad_enabled()
    with switch:                                      # it raised IndexError on leaving
        with switch:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_given_something_that_is_not_a_function_says_so():
    with pytest.raises(TypeError, match=r"no_grad\(\) takes no arguments .*got bool False"):
        no_grad(False)                                # silently made a wrapper of False
    assert is_grad_enabled()


@pytest.mark.parametrize("mode", ["no", 0, None, 1.0])
def test_set_grad_enabled_takes_true_or_false_only(mode):
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be True or False"):
        set_grad_enabled(mode)
    assert is_grad_enabled()


def test_a_decorated_generator_runs_its_steps_in_the_mode_and_yields_back_to_the_callers():
    """As PyTorch's: each step of the body runs with recording off, and the caller's loop runs
    in its own mode between them (it was refused; `with no_grad():` inside the body, which the
    error suggested, leaves recording off in the caller's loop while the generator waits)."""
    w = Value(2.0)

    @no_grad()
    def samples(n):
        for _ in range(n):
            extra = yield w * 3
            if extra is not None:
                yield (w * extra).requires_grad
        return "done"

    seen = []
    for sample in samples(2):
        seen.append((sample.requires_grad, (w * sample).requires_grad))
    assert seen == [(False, True), (False, True)] and is_grad_enabled()
    steps = samples(1)
    next(steps)
    assert steps.send(5.0) is False and is_grad_enabled()      # send() runs in the mode too
    with pytest.raises(StopIteration, match="done"):
        next(steps)


def test_a_decorated_generator_takes_throw_and_close_in_the_mode():
    modes = []

    @enable_grad
    def steps():
        try:
            yield
        except KeyError:
            modes.append(("except", is_grad_enabled()))
            yield
        finally:
            modes.append(("finally", is_grad_enabled()))

    with no_grad():
        running = steps()
        next(running)
        running.throw(KeyError)
        assert not is_grad_enabled()
        running.close()
        assert not is_grad_enabled()
    assert modes == [("except", True), ("finally", True)]
    with pytest.raises(ValueError):                            # an error inside: mode back
        @no_grad
        def failing():
            yield 1
            raise ValueError
        list(failing())
    assert is_grad_enabled()


def test_an_async_function_is_refused_as_it_would_run_with_recording_on():
    with pytest.raises(TypeError, match=r"enable_grad\(\) cannot decorate the async function "
                                        r"'predict'"):
        @enable_grad
        async def predict():
            return Value(1.0) * 2


# -- inference_mode: PyTorch's other spelling of no_grad -------------------------------------------

def test_inference_mode_records_nothing_as_a_block_or_a_decorator():
    w = Value(2.0)
    with inference_mode():
        assert not is_grad_enabled() and not (w * 3).requires_grad
    assert is_grad_enabled()

    @inference_mode()
    def with_parentheses(x):
        return x * x

    @inference_mode
    def without_parentheses(x):
        return x * x

    assert not with_parentheses(w).requires_grad and not without_parentheses(w).requires_grad
    assert without_parentheses.__name__ == "without_parentheses" and is_grad_enabled()


def test_inference_mode_false_records_even_inside_no_grad_and_restores_after():
    """As PyTorch's: leaving inference mode turns recording on in the block."""
    with no_grad():
        with inference_mode(False):
            assert (Value(2.0) * 3).requires_grad
        assert not is_grad_enabled()
        with inference_mode(mode=True):
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    with pytest.raises(RuntimeError):
        with inference_mode():
            raise RuntimeError("restored after an exception")
    assert is_grad_enabled()


@pytest.mark.parametrize("mode", ["no", 0, None])
def test_inference_mode_takes_true_or_false_only(mode):
    with pytest.raises(TypeError, match="inference_mode: mode must be True or False"):
        inference_mode(mode)
    assert is_grad_enabled()


def test_inference_mode_decorates_a_generator_function():
    @inference_mode
    def batches():
        yield is_grad_enabled()

    assert list(batches()) == [False] and is_grad_enabled()


def test_is_inference_mode_enabled_is_inference_mode_not_recording_off():
    """As PyTorch's: True inside inference_mode() even where enable_grad() records again, False
    in a plain no_grad() and in inference_mode(False); restored after a block that raised."""
    assert not is_inference_mode_enabled()
    with no_grad():
        assert not is_inference_mode_enabled()
    with inference_mode():
        assert is_inference_mode_enabled()
        with enable_grad():
            assert is_inference_mode_enabled() and is_grad_enabled()
        with inference_mode(False):
            assert not is_inference_mode_enabled() and is_grad_enabled()
        assert is_inference_mode_enabled()
    with pytest.raises(RuntimeError):
        with inference_mode():
            raise RuntimeError("restored after an exception")
    assert not is_inference_mode_enabled()


def test_is_inference_mode_enabled_in_decorated_functions_and_generator_steps():
    @inference_mode
    def plain():
        return is_inference_mode_enabled()

    @inference_mode()
    def steps():
        yield is_inference_mode_enabled()
        yield is_inference_mode_enabled()

    assert plain() and not is_inference_mode_enabled()
    seen = []
    for inside in steps():                  # the caller's loop is outside inference mode
        seen.append((inside, is_inference_mode_enabled(), is_grad_enabled()))
    assert seen == [(True, False, True)] * 2


@pytest.mark.parametrize("switch", [no_grad, enable_grad, inference_mode, set_grad_enabled,
                                    detect_anomaly])
def test_a_switch_without_parentheses_in_a_with_says_to_add_them(switch):
    """`with no_grad:` gave Python's "'type' object does not support the context manager
    protocol"; it now says to write `with no_grad():`, and leaves the mode as it was."""
    name = switch.__name__
    with pytest.raises(TypeError, match=rf"with {name}: .*`with {name}\(\):`"):
        with switch:
            pass
    assert is_grad_enabled()
