"""`detect_anomaly()`: stop at the first op whose output or gradient is NaN or infinite.

While active, every recorded op checks its output (an infinity that came in with its inputs,
such as attention's `-inf` mask, is passed on: it was made on purpose, or where it was made was
checked), remembers where in the user's code it was created, and every gradient is checked in
backward. An op that a higher-order pass makes
(`create_graph=True`, `autograd.grad`) also names the op whose derivative it is computing.
It costs time; use it to find a bug.

>>> import numpy as np
>>> from autograd import Tensor, detect_anomaly
>>> x = Tensor([0.0, 4.0], requires_grad=True)
>>> with detect_anomaly(), np.errstate(divide="ignore"):
...     y = x.sqrt().sum()
...     y.backward()                                  # d sqrt(x)/dx = inf at 0
Traceback (most recent call last):
...
FloatingPointError: detect_anomaly: backward of sqrt (created at ...) gave an infinite gradient for its input 0
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any, Callable

import numpy as np

from . import graph
from .graph import Node, grad_mode
from .grad_mode import _GradSwitch, _SwitchType

# id(node) -> "file:line in function", for each op's result made in anomaly mode. The node
# itself is not kept: a training loop run inside detect_anomaly() would keep every step's
# graph alive. An id that a dead node had and a new op's result takes is written over when that
# result is made (check_forward), so a node is never given another's line; a graph made before
# the block has ids no node made inside had (both were alive together), and the block's end
# clears the table.
_sites: dict[int, str] = {}
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
# glassgrad's layers (nn, beside autograd; read as a path, not imported): an op a layer runs is
# named at the user's line that called the layer, and at the layer's own line after it
_LAYERS = os.path.join(os.path.dirname(_PACKAGE.rstrip(os.sep)), "nn") + os.sep


def _user_site() -> str:
    """The innermost stack frame outside the autograd package, and, if that is inside
    glassgrad's nn package (a layer's forward), the user's line that led there first."""
    import traceback        # here, not at the top: only anomaly mode needs it (fewer objects
    #                         alive in every process for the garbage collector to walk)
    library = None
    for frame in reversed(traceback.extract_stack()):
        path = os.path.abspath(frame.filename)
        if path.startswith(_PACKAGE):
            continue
        here = f"{frame.filename}:{frame.lineno} in {frame.name}"
        if not path.startswith(_LAYERS):
            return here if library is None else f"{here}, through {library}"
        library = library or here
    return library or "<unknown>"


def _problem(x: Any) -> str | None:
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, float):
        return None if math.isfinite(x) else ("a NaN" if math.isnan(x) else "an infinite")
    x = np.asarray(x)
    if x.dtype.kind not in "fc" or np.isfinite(x).all():
        return None
    return "a NaN" if np.isnan(x).any() else "an infinite"


def created(node: Node) -> str:
    """Where `node` was made, as the user's line (known for nodes made in anomaly mode)."""
    known = _sites.get(id(node))
    return "created outside detect_anomaly()" if known is None else f"created at {known}"


def _rule_running() -> Node | None:
    """The node whose rule the higher-order pass (`graph.gradients`) is running, if any: an op
    made there is part of a derivative (create_graph=True, autograd.grad)."""
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is graph.gradients.__code__:
            node = frame.f_locals.get("node")
            return node if isinstance(node, Node) else None
        frame = frame.f_back
    return None


def _holds_inf(x: Any) -> bool:
    """True if `x` (a node, a number, an array, or a tuple of them: an op's inputs and its
    constant) holds an infinity."""
    if isinstance(x, (tuple, list)):
        return any(_holds_inf(item) for item in x)
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, float):
        return math.isinf(x)
    return isinstance(x, (np.ndarray, np.floating)) and x.dtype.kind in "fc" and bool(
        np.isinf(x).any())


def check_forward(node: Node, op: type, inputs: tuple = (), ctx: Any = None) -> None:
    """Called for each op in anomaly mode: remember where it ran, refuse NaN outputs and the
    infinite outputs it made. An infinity it was given is passed on (attention's mask,
    `masked_fill(..., float('-inf'))`, is one on purpose, and softmax turns it into 0)."""
    site = _user_site()
    _sites[id(node)] = site
    bad = _problem(node.data)
    if bad == "an infinite" and _holds_inf((inputs, ctx)):
        bad = None
    if bad:
        origin = _rule_running()
        within = "" if origin is None else \
            f", computing the derivative of {origin.op} ({created(origin)})"
        raise FloatingPointError(
            f"detect_anomaly: {op.name} (at {site}) produced {bad} output{within}")


def checked_conform(conform: Callable | None) -> Callable:
    """Wrap a payload's gradient hook so that NaN/inf gradients raise, naming the op."""
    def check(g: Any, parent: Node, child: Node) -> Any:
        if conform is not None:
            g = conform(g, parent, child)
        bad = _problem(g)
        if bad:
            # by identity: == on Tensors is elementwise, so list.index would compare values
            index = next(i for i, p in enumerate(child.parents) if p is parent)
            raise FloatingPointError(
                f"detect_anomaly: backward of {child.op} ({created(child)}) gave {bad} "
                f"gradient for its input {index}")
        return g
    return check


class detect_anomaly(metaclass=_SwitchType):
    """Context manager and decorator (`@detect_anomaly()` or `@detect_anomaly`): raise
    FloatingPointError at the first NaN/inf op."""

    def __new__(cls, fn: Callable | None = None) -> Any:
        if fn is None:
            return super().__new__(cls)
        if not callable(fn):
            raise TypeError(f"detect_anomaly: takes no settings (NaN and inf are always "
                            f"checked), got {fn!r:.40}")
        return cls()(fn)                    # @detect_anomaly, without parentheses

    def __init__(self, fn: Callable | None = None) -> None:
        self._saved: list[bool] = []        # a stack: one object may be entered again inside

    def __enter__(self) -> "detect_anomaly":
        self._saved.append(grad_mode.anomaly)
        grad_mode.update(anomaly=True)
        return self

    def __exit__(self, *exc: object) -> None:
        saved = self._saved.pop()
        grad_mode.update(anomaly=saved)
        if not saved:
            _sites.clear()

    # as a decorator, the grad switches' own: `with self:` around each call, around each step
    # of a generator function's body, and async functions refused
    __call__ = _GradSwitch.__call__


def is_anomaly_enabled() -> bool:
    """PyTorch's `is_anomaly_enabled()`: True inside `detect_anomaly()` or after
    `set_detect_anomaly(True)`."""
    return grad_mode.anomaly


class set_detect_anomaly:
    """PyTorch's `set_detect_anomaly(mode)`: switch anomaly detection (see `detect_anomaly`) on
    or off at once, for the rest of the program; as `with set_detect_anomaly(mode):` the
    previous setting is back after the block.

    >>> from autograd import is_anomaly_enabled, set_detect_anomaly
    >>> with set_detect_anomaly(True):
    ...     is_anomaly_enabled()
    True
    >>> is_anomaly_enabled()
    False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        if mode is not True and mode is not False:
            raise TypeError(f"set_detect_anomaly: mode must be True or False, got {mode!r:.40}")
        if check_nan is not True:
            raise ValueError("set_detect_anomaly: check_nan=False is not supported: glassgrad's "
                             "anomaly mode always checks for NaN and inf")
        self._previous = grad_mode.anomaly
        _switch_anomaly(mode)

    def __enter__(self) -> "set_detect_anomaly":
        return self

    def __exit__(self, *exc: object) -> None:
        _switch_anomaly(self._previous)


def _switch_anomaly(mode: bool) -> None:
    grad_mode.update(anomaly=mode)
    if not mode:                            # (as at the end of detect_anomaly's outer block)
        _sites.clear()
