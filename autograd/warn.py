"""Warnings that point at the learner's line, not at glassgrad's insides.

A warning is shown with the file and line it is attributed to, and Python shows it once per
such line. A fixed `stacklevel` finds the user's line only when the user calls the warning
function directly; through a loss module, `fit` or a layer it names a line inside the library
(`training_checks.py:253  return loss_fn(out, y)`), which tells the learner nothing, and shows the
warning once per session instead of once per cell that makes the mistake. `warn` attributes it
to the innermost frame outside the `autograd` and `nn` packages instead.
"""

from __future__ import annotations

import os
import sys
import warnings

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
