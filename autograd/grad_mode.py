"""Grad mode: whether new ops are recorded for backpropagation, and the switches that set it
(`no_grad`, `enable_grad`, `inference_mode`, `set_grad_enabled`), as PyTorch names them.

Every op reads one flag, `grad_mode.enabled`, before it records its inputs (`graph.make_node`):
off, the result is a constant and nothing is kept for backward. The switches save the flag,
set it, and put the saved value back, so they nest.

>>> from autograd import Value, no_grad, is_grad_enabled
>>> with no_grad():
...     is_grad_enabled(), (Value(2.0) * 3).requires_grad
(False, False)
>>> is_grad_enabled()
True
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from .warn import refuse_dropped_switch

__all__ = ["grad_mode", "is_grad_enabled", "no_grad", "enable_grad", "inference_mode",
           "set_grad_enabled", "is_inference_mode_enabled"]


class _GradMode:
    """What the ops read before recording: set it with `update`, which keeps `plain` in step."""
    __slots__ = ("enabled", "anomaly", "plain")

    def __init__(self) -> None:
        self.update(enabled=True, anomaly=False)

    def update(self, enabled: bool | None = None, anomaly: bool | None = None) -> None:
        if enabled is not None:
            self.enabled = enabled          # record ops (no_grad switches it off)
        if anomaly is not None:
            self.anomaly = anomaly          # check every op (autograd.anomaly.detect_anomaly)
        # the one test made on the fast paths that write make_node out (`Value.__add__`,
        # `__mul__`, `value._apply_one`): recording, and nothing else to do per op
        self.plain = self.enabled and not self.anomaly


grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when new ops are recorded for backpropagation.

    >>> from autograd import no_grad
    >>> with no_grad():
    ...     is_grad_enabled()
    False
    >>> is_grad_enabled()
    True
    """
    return grad_mode.enabled


_inference = [False]     # inside inference_mode() (and not inference_mode(False) within it)


def is_inference_mode_enabled() -> bool:
    """PyTorch's `is_inference_mode_enabled()`: True inside `inference_mode()`, even where
    `enable_grad()` records again within it; False in a plain `no_grad()`.

    >>> from autograd import inference_mode, is_inference_mode_enabled, no_grad
    >>> with inference_mode():
    ...     is_inference_mode_enabled()
    True
    >>> with no_grad():
    ...     is_inference_mode_enabled()
    False
    """
    return _inference[0]


class _SwitchType(type):
    """The switches' class: `with no_grad:`, without the parentheses, says to add them (Python's
    own error, that a type does not support the context manager protocol, does not)."""

    def __enter__(cls) -> None:
        raise TypeError(f"with {cls.__name__}: {cls.__name__} is a class; make the switch with "
                        f"parentheses: `with {cls.__name__}():`")

    def __exit__(cls, *exc: object) -> None:
        pass


class _GradSwitch(metaclass=_SwitchType):
    """A context manager and decorator that sets recording to `self.mode`, restoring it after.

    The base of `no_grad`, `enable_grad` and `set_grad_enabled`; the mode is shared by all
    threads (it is one flag that every op reads). A decorated generator function runs each step
    of its body in the mode, and its caller in its own between them.
    """

    mode: bool

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> "_GradSwitch":
        self._saved.append(grad_mode.enabled)
        grad_mode.update(enabled=self.mode)
        return self

    def __exit__(self, *exc: object) -> None:
        grad_mode.update(enabled=self._saved.pop())
        if exc[1] is not None:      # PyTorch's p.grad.zero_() in a hand-written update step
            from .pytorch_names import note_numpy_attribute     # (it imports the graph, ours)
            note_numpy_attribute(exc[1])

    def __call__(self, fn: Callable) -> Callable:
        name = type(self).__name__
        if inspect.isgeneratorfunction(fn):
            return _switched_generator(fn, self)
        # a coroutine's body runs later, at each await: the switch would be over by then
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"{name}() cannot decorate the async function {fn.__name__!r}: its body runs "
                f"later, after the call has returned; write `with {name}():` inside it instead")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)
        return wrapper


def _switched_generator(fn: Callable, switch: _GradSwitch) -> Callable:
    """A generator function whose body runs in the `switch`'s mode, one step at a time:
    the caller's own mode is back at every `yield` (a `with no_grad():` around the body would
    leave recording off in the caller's loop while the generator waits)."""
    @functools.wraps(fn)
    def generator(*args: Any, **kwargs: Any) -> Any:
        steps = fn(*args, **kwargs)
        resume, given = steps.send, None        # the first step: send(None), as next() does
        while True:
            try:
                with switch:
                    item = resume(given)
            except StopIteration as stop:
                return stop.value
            try:
                resume, given = steps.send, (yield item)
            except GeneratorExit:               # close(): the body's cleanup runs in the mode
                with switch:
                    steps.close()
                raise
            except BaseException as error:      # throw(): raised inside the body, in the mode
                resume, given = steps.throw, error
    return generator


class _FixedSwitch(_GradSwitch):
    """A switch to one mode, usable as a decorator with or without parentheses."""

    def __new__(cls, fn: Callable | None = None) -> Any:
        if fn is not None:                  # @no_grad without parentheses: decorate `fn`
            if not callable(fn):
                raise TypeError(f"{cls.__name__}() takes no arguments (or, as a decorator, a "
                                f"function), got {type(fn).__name__} {fn!r:.40}")
            return cls()(fn)
        refuse_dropped_switch(cls.__name__)     # `no_grad()` alone on a line
        return super().__new__(cls)


class no_grad(_FixedSwitch):
    """Do not record ops (inference, parameter updates): `with no_grad():`, or as a decorator,
    `@no_grad()` or `@no_grad`.

    >>> from autograd import Value, no_grad
    >>> w = Value(2.0)
    >>> with no_grad():
    ...     y = w * 3
    >>> y.requires_grad, y.parents
    (False, ())
    """

    mode = False


class enable_grad(_FixedSwitch):
    """Record ops even inside `no_grad()`: `with enable_grad():`, `@enable_grad()` or
    `@enable_grad`.

    >>> from autograd import Value, no_grad
    >>> w = Value(2.0)
    >>> with no_grad():
    ...     with enable_grad():
    ...         y = w * 3
    >>> y.requires_grad
    True
    """

    mode = True


class inference_mode(_GradSwitch):
    """PyTorch's `inference_mode(mode=True)`: as `no_grad()` here (glassgrad has no inference
    tensors to make faster); `inference_mode(False)` records ops, as `enable_grad()`. As
    `with inference_mode():`, `@inference_mode()` or `@inference_mode`.

    >>> from autograd import Value, inference_mode
    >>> w = Value(2.0)
    >>> with inference_mode():
    ...     y = w * 3
    >>> y.requires_grad
    False
    """

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):                  # @inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        if mode is not True and mode is not False:
            raise TypeError(f"inference_mode: mode must be True or False (or, as a decorator, "
                            f"a function), got {mode!r:.40}")
        refuse_dropped_switch(type(self).__name__)      # `inference_mode()` alone on a line
        super().__init__()
        self.mode = not mode
        self._saved_inference: list[bool] = []

    def __enter__(self) -> "inference_mode":
        self._saved_inference.append(_inference[0])     # (for is_inference_mode_enabled)
        _inference[0] = not self.mode
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        _inference[0] = self._saved_inference.pop()
        super().__exit__(*exc)


class set_grad_enabled(_GradSwitch):
    """Switch recording on or off, at once, as PyTorch's function does: `set_grad_enabled(False)`
    alone turns it off until `set_grad_enabled(True)`; `with set_grad_enabled(mode):` restores
    the previous mode after the block, and `@set_grad_enabled(mode)` sets it for each call.

    >>> from autograd import Value, set_grad_enabled
    >>> x = Value(2.0)
    >>> with set_grad_enabled(False):
    ...     y = x * x
    >>> y.requires_grad, (x * x).requires_grad
    (False, True)
    """

    def __init__(self, mode: bool) -> None:
        if mode is not True and mode is not False:
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        super().__init__()
        self.mode = mode
        self._saved.append(grad_mode.enabled)   # the mode to restore (on exit, or when used
        grad_mode.update(enabled=mode)          # as a decorator); switched now
        self._switched = True

    def __enter__(self) -> "set_grad_enabled":
        if self._switched:                      # the first `with`: switched when made
            self._switched = False
            return self
        return super().__enter__()              # the same object entered again

    def __call__(self, fn: Callable) -> Callable:
        grad_mode.update(enabled=self._saved.pop())  # decorating: each call switches instead
        self._switched = False
        return super().__call__(fn)
