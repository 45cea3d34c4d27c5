"""What `fit` shows while it runs: the progress bar (tqdm; by default only in a notebook or on
a terminal) and, with `live=True` in a notebook, the picture `nn.live` redraws after every
epoch. The loop that updates them is in nn/train.py.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from typing import Any, Callable

import numpy as np

from autograd import Tensor, no_grad

from .data import DataLoader
from .evaluation import _as_numpy, _labels_from
from .live import LivePlot, in_notebook
from .module import Module, as_parameter_dtype, parameter_dtype


def _progress_bar(total: int, progress: bool | str | None, epochs: int = 1) -> Any:
    if progress == "epochs":
        return EpochLines(total, epochs)
    if isinstance(progress, str):
        raise ValueError(f"fit: progress must be True, False, None (a bar on a terminal or in a "
                         f"notebook) or 'epochs' (a line per epoch, for logs), got {progress!r}")
    if progress is None:
        progress = _interactive()
    if not progress:
        return None
    if in_notebook() and importlib.util.find_spec("ipywidgets") is None:
        # tqdm.auto would warn "IProgress not found" into the cell, then draw this text bar
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm      # notebook widgets in Jupyter, text in a terminal
    if not in_notebook() and _terminal_columns() == 0:
        # a terminal that says it has no size (a pseudo-terminal nobody sized: `docker run
        # -t`, some CI runners): tqdm would hide the bar below its 0 rows, showing nothing
        return tqdm(total=total, unit="batch", leave=True, ncols=100, nrows=24)
    return tqdm(total=total, unit="batch", leave=True, dynamic_ncols=True)


def _terminal_columns() -> int | None:
    """The width stderr's terminal reports (0 when it was never set), or None if unknown."""
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, OSError, ValueError):     # no stderr, no file descriptor, no tty
        return None


class EpochLines:
    """`fit(progress="epochs")`: a line on stderr per epoch instead of a bar, for logs (CI, a
    file, `nohup`), where a bar's every update would be a line of its own or a run of carriage
    returns. A long run prints about 20 lines, evenly spaced, plus the first and the last
    epoch, and one whenever LINE_SECONDS have passed without one (slow epochs). It has the
    bar's methods that fit calls.

    >>> import contextlib, io
    >>> lines = EpochLines(total=10, epochs=2)
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     for epoch in (1, 2):
    ...         lines.set_description(f"epoch {epoch}/2")
    ...         lines.set_postfix({"loss": "0.5", "val_loss": "0.6"})
    ...     lines.close()
    >>> print(err.getvalue(), end="")
    epoch 1/2: loss 0.5, val_loss 0.6
    epoch 2/2: loss 0.5, val_loss 0.6
    """

    #: the longest a run goes without a line (seconds)
    LINE_SECONDS = 30.0

    def __init__(self, total: int, epochs: int) -> None:
        self.total, self.n, self.epochs = total, 0, epochs
        self.every = max(1, -(-epochs // 20))        # about 20 lines in all
        self.description, self.printed = "", ""
        self.postfix: dict[str, Any] = {}
        self.last_line = time.monotonic()
        self.epoch = 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_description(self, description: str, refresh: bool = True) -> None:
        self.description = description

    def set_postfix(self, scores: dict[str, Any]) -> None:
        """The epoch's numbers: called once an epoch, after its description."""
        self.postfix, self.epoch = dict(scores), self.epoch + 1
        if (self.epoch % self.every == 0 or self.epoch in (1, self.epochs)
                or time.monotonic() - self.last_line >= self.LINE_SECONDS):
            self._print()

    def close(self) -> None:
        """The end: a line for how the run ended (stopped early, by hand, diverged), if the
        last one did not say it."""
        if self.description != self.printed and (self.postfix or self.epoch == 0):
            self._print()

    def _print(self) -> None:
        numbers = ", ".join(f"{name} {value}" for name, value in self.postfix.items())
        print(f"{self.description}: {numbers}" if numbers else self.description,
              file=sys.stderr, flush=True)
        self.printed, self.last_line = self.description, time.monotonic()


def _bar_ends_early(bar: Any, description: str) -> None:
    """Early stopping finished the run: its bar ends full, as any finished run's bar does (a
    notebook's bar that ends short turns red, as after an error)."""
    bar.total = bar.n
    bar.set_description(description)


def _interactive() -> bool:
    """True in a Jupyter notebook, or when stderr is a terminal: a bar written to a log file
    would add a line at every update."""
    return in_notebook() or (sys.stderr is not None and sys.stderr.isatty())


def _live_plot(model: Module, loss_fn: Callable, loader: DataLoader,
               predict: Callable | None) -> LivePlot:
    """The picture `live=True` redraws: the model's classes come from `predict` or the loss."""
    def outputs_of(X: np.ndarray) -> np.ndarray:
        was_training = model.training
        model.eval()
        try:
            with no_grad():
                X = as_parameter_dtype(X, parameter_dtype(model), "fit: live")
                return _as_numpy(model.forward_batch(Tensor(X)))
        finally:
            model.train(was_training)

    def labels_of(outputs: np.ndarray) -> np.ndarray:
        return predict(outputs) if predict is not None else _labels_from(outputs, loader.y,
                                                                            loss_fn, "fit")
    if loader.y is None:            # samples, or several inputs: the loss curve, no boundary
        return LivePlot(np.zeros((0, 0)), np.zeros(0), outputs_of, None)
    return LivePlot(loader.X, loader.y, outputs_of, labels_of)
