"""`fit(..., live=True)`: the training curves redrawn in place after every epoch, in Jupyter.

In a notebook one picture appears when the first epoch ends and is replaced after each of the
others: the loss (and the validation loss) so far, and, for a classifier of 2-D points, its
decision boundary over the training points. Anywhere else `live=True` does nothing: a script or
a terminal has no cell output to redraw (the progress bar is there for them).

The picture is a PNG made with matplotlib's object API (no pyplot: no global figure that
Jupyter would show a second time), shown with IPython's `display(..., display_id=True)` and
replaced through the handle that returns.
"""

from __future__ import annotations

import io
import sys
from typing import Any, Callable

import numpy as np

GRID = 50               # points per side of the grid the decision boundary is drawn on


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where a cell's output can be replaced).

    Google Colab's shell (and Sage's, ipyflow's) is a subclass of ipykernel's
    ZMQInteractiveShell with a name of its own, so every class it derives from is asked; the
    name is compared rather than the class, so that nothing is imported here.

    >>> in_notebook()
    False
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return any(kind.__name__ == "ZMQInteractiveShell" for kind in type(shell).__mro__)


class LivePlot:
    """One picture of the training so far, shown once and then updated in place.

    `outputs_of(X)` gives the model's raw outputs for rows `X` (as an array) and `labels_of`
    turns them into class labels; with 2-D `X` and a `labels_of`, the picture also shows the
    decision boundary. `labels_of` may raise ValueError (a regression loss): then there is no
    boundary.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, outputs_of: Callable,
                 labels_of: Callable | None) -> None:
        self._X, self._y = np.asarray(X), np.asarray(y)
        self._outputs_of, self._labels_of = outputs_of, labels_of
        self.boundary = labels_of is not None and self._X.ndim == 2 and self._X.shape[1] == 2
        self._handle: Any = None

    def update(self, history: Any) -> None:
        """Show the picture for `history` (an `nn.History`), replacing the previous one."""
        from IPython.display import Image, display

        picture = Image(data=self.png(history))
        if self._handle is None:
            self._handle = display(picture, display_id=True)
        else:
            self._handle.update(picture)

    def png(self, history: Any) -> bytes:
        """The picture as PNG bytes: the loss curves, and the boundary when there is one."""
        from matplotlib.figure import Figure

        boundary = self._boundary() if self.boundary else None
        panels = 1 if boundary is None else 2
        figure = Figure(figsize=(4.2 * panels, 3.0), dpi=80)
        axis = figure.add_subplot(1, panels, 1)
        epochs = np.arange(1, history.epochs + 1)
        for key, style in (("loss", "-"), ("val_loss", "--")):
            if key in history.history:
                axis.plot(epochs, history.history[key], style, marker=".", label=key)
        axis.set_xlabel("epoch")
        axis.set_title(f"loss after epoch {history.epochs}")
        axis.legend()
        if boundary is not None:
            xx, yy, classes = boundary
            axis = figure.add_subplot(1, 2, 2)
            _, codes = np.unique(np.concatenate([classes.ravel(), self._y]), return_inverse=True)
            grid_codes, point_codes = codes[:classes.size], codes[classes.size:]
            axis.contourf(xx, yy, grid_codes.reshape(xx.shape), alpha=0.3, cmap="coolwarm")
            axis.scatter(self._X[:, 0], self._X[:, 1], c=point_codes, s=10, cmap="coolwarm",
                         edgecolors="k", linewidths=0.3)
            axis.set_title("decision boundary")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()

    def _boundary(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The grid over the points (with a margin) and the class the model gives each point."""
        low, high = self._X.min(axis=0), self._X.max(axis=0)
        margin = 0.1 * (high - low) + 1e-9
        xx, yy = np.meshgrid(np.linspace(low[0] - margin[0], high[0] + margin[0], GRID),
                             np.linspace(low[1] - margin[1], high[1] + margin[1], GRID))
        grid = np.c_[xx.ravel(), yy.ravel()].astype(self._X.dtype)
        try:
            classes = np.asarray(self._labels_of(self._outputs_of(grid)))
        except ValueError:                      # the outputs are not classes (a regression)
            self.boundary = False
            return None
        return xx, yy, classes.reshape(-1)
