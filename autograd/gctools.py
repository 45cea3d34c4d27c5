"""`relaxed_gc()`: an opt-in speed-up for training loops of the scalar engine.

glassgrad's graphs have no reference cycles, so they are freed the moment they are dropped;
CPython's cyclic garbage collector still walks them while they are alive, because it runs after
every 700 net new container objects, and a scalar graph makes one per op (its node). Raising
the threshold around a training loop lets each step's graph come and go without a collection.
The library never does this by itself: the GC is global state and belongs to the user.

>>> import gc
>>> from autograd import relaxed_gc
>>> before = gc.get_threshold()
>>> with relaxed_gc():
...     pass                                          # train here
>>> gc.get_threshold() == before
True
"""

from __future__ import annotations

import functools
import gc
import numbers
from typing import Any, Callable


class relaxed_gc:
    """Context manager and decorator (`@relaxed_gc()` or `@relaxed_gc`): collect only after
    `threshold` net new objects.

    The default (1,000,000) is far above one step's graph, so a loop runs without collections
    while garbage that really is cyclic (yours) is still collected now and then. The previous
    thresholds are restored on exit.
    """

    def __new__(cls, threshold: Any = 1_000_000) -> Any:
        if callable(threshold):             # @relaxed_gc without parentheses, as @no_grad
            return cls()(threshold)
        return super().__new__(cls)

    def __init__(self, threshold: int = 1_000_000) -> None:
        if not isinstance(threshold, numbers.Real) or isinstance(threshold, bool):
            raise TypeError(f"relaxed_gc: threshold must be a number of objects (or, as a "
                            f"decorator, a function), got {threshold!r:.40}")
        if not threshold >= 1:              # NaN too
            raise ValueError(f"relaxed_gc: threshold must be positive, got {threshold}")
        self.threshold = int(threshold)
        self._saved: list[tuple[int, int, int]] = []

    def __enter__(self) -> "relaxed_gc":
        old = gc.get_threshold()
        self._saved.append(old)
        gc.set_threshold(self.threshold, *old[1:])
        return self

    def __exit__(self, *exc: object) -> None:
        gc.set_threshold(*self._saved.pop())

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with relaxed_gc(self.threshold):
                return fn(*args, **kwargs)
        return wrapper
