"""Warnings that point at the learner's line, not at glassgrad's insides.

A warning is shown with the file and line it is attributed to, and Python shows it once per
such line. A fixed `stacklevel` finds the user's line only when the user calls the warning
function directly; through a loss module, `fit` or a layer it names a line inside the library
(`training_checks.py:253  return loss_fn(out, y)`), which tells the learner nothing, and shows the
warning once per session instead of once per cell that makes the mistake. `warn` attributes it
to the innermost frame outside the `autograd` and `nn` packages instead.
"""

from __future__ import annotations

import dis
import os
import sys
import warnings
from typing import Any

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PACKAGES = tuple(os.path.join(_ROOT, package) + os.sep for package in ("autograd", "nn"))


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """`warnings.warn(message, category)` from the first caller outside glassgrad.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("shown at this line", RuntimeWarning)
    >>> caught[0].filename.startswith("<doctest")
    True
    """
    warnings.warn(message, category, stacklevel=_levels_to_user())


def _levels_to_user() -> int:
    """The `stacklevel` of the innermost frame outside the packages, counted for a
    `warnings.warn` called by `warn` (1 is `warn` itself, 2 its caller); the outermost frame when
    every frame is inside (the `glassgrad` command)."""
    frame, level = sys._getframe(2), 2
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGES):
        frame, level = frame.f_back, level + 1
    return level


#: (code, offset of its last instruction) -> whether the next instruction throws the result
#: away; a call site is looked at once
_dropped_at: dict[tuple, bool] = {}


def _dropped_by_caller(frame: Any) -> bool:
    """Whether `frame`, the line that made a call, throws away what the call returns (a
    statement of its own: the next instruction pops it)."""
    key = (frame.f_code, frame.f_lasti)
    dropped = _dropped_at.get(key)
    if dropped is None:
        if len(_dropped_at) > 4096:             # (call sites of code made on the fly)
            _dropped_at.clear()
        # the instruction after the call (caches that follow a call are not instructions;
        # f_lasti is the call's own offset, or, in CPython 3.11, its last cache's)
        after = next((i for i in dis.get_instructions(frame.f_code)
                      if i.offset > frame.f_lasti), None)
        dropped = _dropped_at[key] = after is not None and after.opname == "POP_TOP"
    return dropped


def refuse_dropped_switch(name: str) -> None:
    """Raise if the learner's line makes the switch `name` (`no_grad()`, `enable_grad()`,
    `inference_mode()`) as a statement of its own: it switches nothing until a `with` enters
    it, in PyTorch too, so the lines after it still record (or still do not). Called by the
    switch's `__new__`, whose caller is that line.

    >>> from autograd import no_grad
    >>> def evaluate():
    ...     no_grad()
    >>> evaluate()
    Traceback (most recent call last):
    RuntimeError: no_grad() alone on a line switches nothing: ...
    """
    frame = sys._getframe(2)
    # (the look-up written out: every `with no_grad():` comes here, 0.3 µs less than a call)
    dropped = _dropped_at.get((frame.f_code, frame.f_lasti))
    if dropped is None:
        dropped = _dropped_by_caller(frame)
    if dropped:
        raise RuntimeError(
            f"{name}() alone on a line switches nothing: it is a switch for a `with` block, "
            f"as in PyTorch, so the lines after it run as before. Write `with {name}():` and "
            f"indent the lines it is for under it (set_grad_enabled(False) alone switches "
            f"recording off, until set_grad_enabled(True))")
