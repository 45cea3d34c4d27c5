"""Ctrl-C between steps: while `fit` runs, an interrupt that comes during a training step (or
an epoch's bookkeeping) is held until that step has finished, so the model and the optimizer
are never left half-way through an update. `interrupt` is the signal handler (`fit` installs
it for SIGINT; `glassgrad train` gives it SIGTERM too); `_Steps` marks the spans that must run
whole. The loop that uses them is in nn/train.py.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

__all__ = ["interrupt"]


class _Steps:
    """The spans of `fit` that must run whole: each training step (forward, loss, backward, the
    optimizer's step and the bookkeeping of it) and the end of each epoch (its record, the best
    weights, the scheduler's step). An interrupt that comes during one is held until it ends,
    then raised as KeyboardInterrupt: Ctrl-C inside `optimizer.step` would otherwise leave some
    parameters updated and others not (Adam's step counts [7, 8]).

    `with steps:` marks a span (a flag set and a flag checked: no cost worth measuring); the
    signal handler, `interrupt`, is put in place once per `fit` by `start` and taken away by
    `stop`."""

    def __init__(self) -> None:
        self.running = False            # inside a span
        self.pending = False            # an interrupt came during it
        self.taken = 0                  # the optimizer's updates so far
        self.installed = False          # whether SIGINT's handler is ours, to put back

    def __enter__(self) -> None:
        self.running = True

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        self.running = False
        if self.pending and kind is None:
            raise KeyboardInterrupt     # held since it came: the span is whole now

    def start(self) -> None:
        """Hold interrupts for this fit: only in the main thread (the one signals reach), and
        SIGINT's handler is replaced only if it is Python's own (a program that set its own,
        or ignores Ctrl-C, keeps it)."""
        if threading.current_thread() is not threading.main_thread():
            return
        _running.append(self)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, interrupt)
            self.installed = True

    def stop(self) -> None:
        if self in _running:
            _running.remove(self)
        if self.installed and signal.getsignal(signal.SIGINT) is interrupt:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        self.installed = False


_running: list[_Steps] = []             # the fits running in the main thread, innermost last


def interrupt(signum: int | None = None, frame: Any = None) -> None:
    """Stop the `fit` running in the main thread as Ctrl-C does, at the end of the step (or
    of the epoch's bookkeeping) under way; anywhere else, and with no `fit` running, raise
    KeyboardInterrupt at once, as Python's own handler does. A second interrupt during the
    same step raises at once too: an escape hatch from a step that hangs, which may leave that
    step half done (some parameters updated, others not).

    `fit` makes this SIGINT's handler while it runs (when Python's own was in place). A
    program can send other signals the same way, as `glassgrad train` does SIGTERM:

        signal.signal(signal.SIGTERM, nn.train.interrupt)
    """
    steps = _running[-1] if _running else None
    if steps is not None and steps.running and not steps.pending:
        steps.pending = True            # raised when the step has finished
        return
    raise KeyboardInterrupt
