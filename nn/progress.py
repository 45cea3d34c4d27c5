"""What `fit` shows while it runs: the progress bar (tqdm; by default only in a notebook or on
a terminal) and, with `live=True` in a notebook, the picture `nn.live` redraws after every
epoch. The loop that updates them is in nn/train.py.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any, Callable

import numpy as np

from autograd import Tensor, no_grad

from .data import DataLoader
from .evaluation import _as_numpy, _labels_from
from .live import LivePlot, in_notebook
from .module import Module, as_parameter_dtype, parameter_dtype


def _progress_bar(total: int, progress: bool | None) -> Any:
    if progress is None:
        progress = _interactive()
    if not progress:
        return None
    if in_notebook() and importlib.util.find_spec("ipywidgets") is None:
        # tqdm.auto would warn "IProgress not found" into the cell, then draw this text bar
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm      # notebook widgets in Jupyter, text in a terminal
    return tqdm(total=total, unit="batch", leave=True, dynamic_ncols=True)


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
