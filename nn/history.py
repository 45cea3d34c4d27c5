"""The record of a `fit` run and the weights it keeps: `History` (the numbers of every epoch),
`EarlyStopping` (when to stop, and whether to put the best epoch's weights back), and the
copies of the weights that `fit` puts back after a diverging step, an error or early stopping.
The loop that fills them is in nn/train.py.
"""

from __future__ import annotations

import math
import numbers
import time
from typing import Any, ItemsView, Iterator, KeysView

import numpy as np

from autograd import Tensor

from .module import Module

__all__ = ["History", "EarlyStopping"]


class History:
    """Per-epoch numbers of a `fit` run: `history["loss"]`, `history["val_accuracy"]`, `"lr"`...

    `best_epoch` is the epoch (counting from 1) with the best monitored value: the validation
    loss when there is validation data, else the training loss, or what early stopping
    monitors, in that score's direction (`nn.scoring`). When early stopping put the best
    weights back, `restored_epoch` is that epoch and `scores()` gives its numbers, which are
    the numbers of the model as `fit` leaves it; `last()` is always the final epoch's.
    `steps` counts the optimizer's updates taken, one per mini-batch: 1,000 examples in batches
    of 100 make 10 updates an epoch (after Ctrl-C, those of the unfinished epoch too). When
    the best weights were put back, the model holds fewer of them: those up to the end of
    `restored_epoch`.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.steps = 0
        self.best_epoch: int | None = None
        self.restored_epoch: int | None = None
        self.stopped_early = False
        self.seconds = 0.0

    def state_dict(self) -> dict[str, Any]:
        """The run's numbers as plain data, so that `nn.save({"model": model, "history":
        history, ...}, path)` keeps them with the weights (a `.pt` file too); back with
        `load_state_dict`.

        >>> history = History()
        >>> history.record({"loss": 0.5})
        >>> again = History()
        >>> again.load_state_dict(history.state_dict())
        >>> again["loss"], again.epochs
        ([0.5], 1)
        """
        return {"history": {name: [float(v) for v in values]
                            for name, values in self.history.items()},
                "steps": self.steps, "best_epoch": self.best_epoch,
                "restored_epoch": self.restored_epoch, "stopped_early": self.stopped_early,
                "seconds": self.seconds}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take the numbers of `state_dict()` (as `nn.load` gives them back)."""
        if not isinstance(state, dict) or set(state) != set(self.state_dict()):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"History.load_state_dict: expected the dict of "
                             f"History.state_dict(), with the keys "
                             f"{sorted(self.state_dict())}, got {got}")
        self.history = {name: [float(v) for v in values]
                        for name, values in state["history"].items()}
        for name in ("steps", "best_epoch", "restored_epoch", "stopped_early", "seconds"):
            setattr(self, name, state[name])

    def record(self, scores: dict[str, float]) -> None:
        for name, value in scores.items():
            self.history.setdefault(name, []).append(value)

    @property
    def epochs(self) -> int:
        return len(self.history.get("loss", []))

    def __getitem__(self, name: str) -> list[float]:
        return self.history[name]

    def __contains__(self, name: str) -> bool:
        return name in self.history

    def __iter__(self) -> Iterator[str]:
        """The recorded names, as a dict's keys: `for name in history`, `dict(history)`."""
        return iter(self.history)

    def keys(self) -> KeysView[str]:
        return self.history.keys()

    def items(self) -> ItemsView[str, list[float]]:
        """(name, per-epoch values) pairs: `{k: v[-1] for k, v in history.items()}`."""
        return self.history.items()

    def last(self) -> dict[str, float]:
        """The numbers of the final epoch."""
        return self.at(self.epochs)

    def at(self, epoch: int) -> dict[str, float]:
        """The numbers of one epoch (counting from 1)."""
        if not 1 <= epoch <= self.epochs:
            raise IndexError(f"History.at: epoch {epoch} is not in 1..{self.epochs}")
        return {name: values[epoch - 1] for name, values in self.history.items()}

    def scores(self) -> dict[str, float]:
        """The numbers of the weights the model holds after `fit`: the restored epoch's when
        early stopping put the best weights back, else the final epoch's."""
        return self.at(self.restored_epoch or self.epochs)

    def plot(self, ax: Any = None) -> Any:
        """Loss curves (training and validation) and metric curves with matplotlib, one axes
        per name, epochs on the x-axis (whole-number ticks only); a dotted line marks the best
        epoch (the one early stopping would keep), named in the legend."""
        try:
            import matplotlib.pyplot as plt
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib") from None
        names = sorted({n.removeprefix("val_") for n in self.history if n != "lr"},
                       key=lambda n: (n != "loss", n))
        if not names:       # fit stopped by Ctrl-C in its first epoch: stop.history is empty
            raise ValueError("History.plot: no epoch has been recorded yet, so there is no "
                             "curve to draw")
        if ax is None:
            _, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.2), squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(ax)
        epochs = np.arange(1, self.epochs + 1)
        for axis, name in zip(axes, names):
            for key, style in ((name, "-"), ("val_" + name, "--")):
                if key in self.history:
                    axis.plot(epochs, self.history[key], style, label=key)
            if self.best_epoch is not None:
                axis.axvline(self.best_epoch, color="grey", lw=0.8, ls=":",
                             label=f"best epoch ({self.best_epoch})")
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))    # no epoch 2.5
            axis.set_title(name)
            axis.legend()
        return axes

    def __repr__(self) -> str:
        if not self.epochs:                 # fit stopped (Ctrl-C, an error) in its first epoch
            return "History(epochs=0)"
        numbers = ", ".join(f"{k}={v:.4g}" for k, v in self.scores().items())
        best = f", best_epoch={self.best_epoch}" if self.best_epoch is not None else ""
        which = f" (restored epoch {self.restored_epoch})" if self.restored_epoch else ""
        # the numbers are those of the weights the model holds, named by their epoch: after
        # best_epoch=59 they could otherwise be read as epoch 59's when they are epoch 1000's
        shown = self.restored_epoch or self.epochs
        return f"History(epochs={self.epochs}{best}{which}; epoch {shown}: {numbers})"


class EarlyStopping:
    """Stop when `monitor` has not improved by `min_delta` for `patience` epochs in a row, and
    put back the weights of the best epoch (`restore_best_weights`). With `patience=3` and a
    best epoch 1 that is never beaten, training stops after epoch 4 (as in Keras and Lightning);
    `patience=0` stops at the first epoch that does not improve, as `patience=1` does.

    `mode="auto"` takes the monitored score's direction (`nn.scoring`): lower is better for the
    loss, "mse" and "mae", higher for "accuracy", "r2" and the others, and what a metric
    function declares; "min" or "max" overrides it.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True) -> None:
        # checked here, where they are written: a patience of "3" failed with Python's "'<' not
        # supported", 2.5 waited 3 epochs, and a monitor that is no name failed inside fit
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be the name of a recorded score, such "
                            f"as 'val_loss' or 'val_accuracy', got {monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral):
            raise TypeError(f"EarlyStopping: patience must be a whole number of epochs, got "
                            f"{patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or \
                not math.isfinite(min_delta):
            raise TypeError(f"EarlyStopping: min_delta must be a number, got {min_delta!r}")
        if patience < 0 or min_delta < 0:
            raise ValueError(f"EarlyStopping: patience and min_delta must be >= 0, got "
                             f"{patience} and {min_delta}")
        if mode not in ("min", "max", "auto"):
            raise ValueError(f"EarlyStopping: mode must be 'min', 'max' or 'auto', got {mode!r}")
        if not isinstance(restore_best_weights, (bool, np.bool_)):
            raise TypeError(f"EarlyStopping: restore_best_weights must be True or False, got "
                            f"{restore_best_weights!r}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.mode, self.restore_best_weights = mode, bool(restore_best_weights)

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta:g}, mode={self.mode!r}, "
                f"restore_best_weights={self.restore_best_weights})")


def _improved(value: float, best: float, mode: str, min_delta: float) -> bool:
    return value < best - min_delta if mode == "min" else value > best + min_delta


class _Weights:
    """The optimizer's parameters as they were before the latest step, to put back when a step
    makes the loss non-finite (one copy, refreshed in place before every step)."""

    def __init__(self, optimizer: Any) -> None:
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        self.saved = [np.array(p.data) if isinstance(p.data, np.ndarray) else p.data
                      for p in self.params]

    def take(self) -> None:
        for i, p in enumerate(self.params):
            if isinstance(p.data, np.ndarray):
                np.copyto(self.saved[i], p.data)
            else:
                self.saved[i] = p.data

    def put_back(self) -> None:
        for p, saved in zip(self.params, self.saved):
            if isinstance(p.data, np.ndarray):
                np.copyto(p.data, saved)
                p._changed_in_place()
            else:
                p.data = saved

    def finite(self) -> bool:
        return all(np.isfinite(p.data).all() for p in self.params)


def _snapshot(model: Module) -> dict[str, Tensor]:
    """The model's weights as they are now. `state_dict()` shares its numbers with the
    parameters, as PyTorch's does, so it would follow the training: these are copies."""
    return {name: value.clone() for name, value in model.state_dict().items()}


def _put_back(model: Module, state: dict, epochs: int, error: Exception) -> None:
    """Load `state` (the weights after `epochs` finished epochs) into `model` after `error`
    stopped fit, and add a note saying so to the error, if the weights had changed since."""
    now = model.state_dict()
    if all(name in now and np.array_equal(now[name], array) for name, array in state.items()):
        return                                  # stopped before any step changed them
    model.load_state_dict(state, strict=False)  # (a parameter made during training stays)
    when = (f"at the end of epoch {epochs}, the last finished" if epochs else
            "when fit started (no epoch finished)")
    _add_note(error, f"fit: the model's weights are back as they were {when}; the optimizer's "
                     f"state is not (make a new optimizer to start afresh)")


def _add_note(error: BaseException, note: str) -> None:
    """`error.add_note(note)`. Python 3.10 has no add_note: there the note goes into the list
    `__notes__` as add_note would put it, where IPython and Jupyter show it (3.10's own
    traceback does not)."""
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:
        error.__notes__ = [*getattr(error, "__notes__", ()), note]


def _finish(model: Module, history: History, best_state: dict | None, started: float) -> None:
    """Put early stopping's best weights back (if it kept them) and time the run."""
    if best_state is not None:
        model.load_state_dict(best_state)
        history.restored_epoch = history.best_epoch
    history.seconds = time.perf_counter() - started
