"""Training: `fit` runs the loop of the lectures — for each epoch, for each mini-batch: forward,
loss, backward, step — and keeps score in a `History`.

>>> import numpy as np
>>> from autograd import manual_seed
>>> from nn import MLP, fit, cross_entropy
>>> from nn.optim import Adam
>>> manual_seed(0)
>>> X = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
>>> y = (X[:, 0] > 0).astype(np.int64)
>>> model = MLP(2, [8], 2)
>>> history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.05), (X, y), epochs=20,
...               progress=False)
>>> history["accuracy"][-1] > 0.9
True
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from autograd import Tensor, Value, no_grad

from . import functional as F
from . import losses as L
from . import metrics as M
from .data import DataLoader
from .module import Module
from .optim.lr_scheduler import ReduceLROnPlateau

__all__ = ["fit", "evaluate", "predict_labels", "History", "EarlyStopping"]


# -- from the model's outputs to labels ------------------------------------------------------------

def _argmax(outputs: np.ndarray) -> np.ndarray:
    return outputs.argmax(axis=-1)


def _positive_logit(outputs: np.ndarray) -> np.ndarray:
    return (outputs.reshape(len(outputs)) > 0).astype(np.int64)          # σ(z) > 1/2  ⇔  z > 0


def _positive_probability(outputs: np.ndarray) -> np.ndarray:
    return (outputs.reshape(len(outputs)) >= 0.5).astype(np.int64)


def _sign(outputs: np.ndarray) -> np.ndarray:
    return np.where(outputs.reshape(len(outputs)) > 0, 1, -1)           # max-margin labels ±1


#: how the outputs a loss trains are read as class labels (by loss function or loss module class)
DECISION_RULES: dict[Any, Callable] = {
    F.cross_entropy: _argmax, L.CrossEntropyLoss: _argmax,
    F.nll_loss: _argmax, L.NLLLoss: _argmax,
    F.binary_cross_entropy_with_logits: _positive_logit, L.BCEWithLogitsLoss: _positive_logit,
    F.binary_cross_entropy: _positive_probability, L.BCELoss: _positive_probability,
    F.hinge_loss: _sign, L.HingeLoss: _sign,
}


def predict_labels(outputs: np.ndarray, y: np.ndarray,
                   loss_fn: Callable | None = None) -> np.ndarray:
    """Class labels from a model's raw outputs: the rule of the loss that trained it, else the
    arg-max of several columns, or the sign of one column when the labels are ±1."""
    rule = DECISION_RULES.get(loss_fn) or DECISION_RULES.get(type(loss_fn))
    if rule is not None:
        return rule(outputs)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return _argmax(outputs)
    if np.isin(y, (-1, 1)).all():
        return _sign(outputs)
    raise ValueError(
        f"fit: cannot tell how to read class labels from the outputs of {loss_fn!r} (shape "
        f"{outputs.shape}); pass predict=, a function from outputs to labels")


# -- metrics by name -------------------------------------------------------------------------------

def _classification(metric: Callable) -> Callable:
    metric.needs_labels = True
    return metric


def _per_class(score: Callable) -> Callable:
    """precision/recall/F1 of the positive class for two classes, macro-averaged for more."""
    return _classification(lambda y, labels, outputs: score(
        y, labels, average="binary" if len(np.unique(y)) <= 2 else "macro"))


METRICS: dict[str, Callable] = {
    "accuracy": _classification(lambda y, labels, outputs: M.accuracy(y, labels)),
    "precision": _per_class(M.precision),
    "recall": _per_class(M.recall),
    "f1": _per_class(M.f1_score),
    "mse": lambda y, labels, outputs: M.mean_squared_error(y, outputs.reshape(y.shape)),
    "mae": lambda y, labels, outputs: M.mean_absolute_error(y, outputs.reshape(y.shape)),
    "r2": lambda y, labels, outputs: M.r2_score(y, outputs.reshape(y.shape)),
}


def _metric_functions(metrics: Iterable[str | Callable]) -> dict[str, Callable]:
    """name → f(y, labels, outputs). A callable metric is f(y_true, y_pred) on labels."""
    chosen = {}
    for metric in metrics:
        if callable(metric):
            chosen[metric.__name__] = _classification(
                lambda y, labels, outputs, metric=metric: metric(y, labels))
        elif metric in METRICS:
            chosen[metric] = METRICS[metric]
        else:
            raise ValueError(f"fit: unknown metric {metric!r}; expected one of {sorted(METRICS)} "
                             f"or a function metric(y_true, y_pred)")
    return chosen


# -- running a model on a batch --------------------------------------------------------------------

def _as_numpy(outputs: Any) -> np.ndarray:
    if isinstance(outputs, Tensor):
        return outputs.data
    if isinstance(outputs, Value):
        return np.array([outputs.data])
    return np.array([v.data for v in outputs])          # a list of Values (a scalar model)


def _batches(data: Any, batch_size: int, shuffle: bool, seed: Any, what: str) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return DataLoader(data[0], data[1], batch_size=batch_size, shuffle=shuffle, seed=seed)
    raise TypeError(f"fit: {what} must be a DataLoader or an (X, y) pair, got "
                    f"{type(data).__name__}")


def evaluate(model: Module, loss_fn: Callable, data: Any, metrics: Sequence[str | Callable] = (),
             batch_size: int = 256, predict: Callable | None = None) -> dict[str, float]:
    """The mean loss and the metrics of `model` on `data` (a DataLoader or (X, y)), in eval
    mode and without recording a graph."""
    loader = _batches(data, batch_size, False, None, "data")
    chosen = _metric_functions(metrics)
    was_training = model.training
    model.eval()
    total, count, outputs, targets = 0.0, 0, [], []
    try:
        with no_grad():
            for xb, yb in loader:
                out = model.forward_batch(xb)
                total += float(loss_fn(out, yb).data) * len(yb)
                count += len(yb)
                outputs.append(_as_numpy(out))
                targets.append(yb)
    finally:
        model.train(was_training)
    scores = {"loss": total / count}
    scores.update(_score(chosen, np.concatenate(targets), np.concatenate(outputs), loss_fn,
                         predict))
    return scores


def _score(chosen: dict[str, Callable], y: np.ndarray, outputs: np.ndarray, loss_fn: Callable,
           predict: Callable | None) -> dict[str, float]:
    if not chosen:
        return {}
    labels = None
    if any(getattr(f, "needs_labels", False) for f in chosen.values()):
        labels = predict(outputs) if predict is not None else predict_labels(outputs, y, loss_fn)
    return {name: float(f(y, labels, outputs)) for name, f in chosen.items()}


# -- the record of a run ---------------------------------------------------------------------------

class History:
    """Per-epoch numbers of a `fit` run: `history["loss"]`, `history["val_accuracy"]`, `"lr"`...

    `best_epoch` is the epoch (counting from 1) with the best monitored value (the validation
    loss when there is validation data, else the training loss).
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.best_epoch: int | None = None
        self.stopped_early = False
        self.seconds = 0.0

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

    def last(self) -> dict[str, float]:
        """The numbers of the final epoch."""
        return {name: values[-1] for name, values in self.history.items()}

    def plot(self, ax: Any = None) -> Any:
        """Loss curves (training and validation) and metric curves with matplotlib."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib") from None
        names = sorted({n.removeprefix("val_") for n in self.history if n != "lr"},
                       key=lambda n: (n != "loss", n))
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
                axis.axvline(self.best_epoch, color="grey", lw=0.8, ls=":")
            axis.set_xlabel("epoch")
            axis.set_title(name)
            axis.legend()
        return axes

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.last().items())
        best = f", best_epoch={self.best_epoch}" if self.best_epoch is not None else ""
        return f"History(epochs={self.epochs}{best}: {last})"


class EarlyStopping:
    """Stop when `monitor` has not improved by `min_delta` for `patience` epochs, and put back
    the weights of the best epoch (`restore_best_weights`)."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True) -> None:
        if patience < 0 or min_delta < 0:
            raise ValueError(f"EarlyStopping: patience and min_delta must be >= 0, got "
                             f"{patience} and {min_delta}")
        if mode == "auto":
            mode = "min" if monitor.removeprefix("val_") in ("loss", "mse", "mae") else "max"
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min', 'max' or 'auto', got {mode!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.restore_best_weights = mode, restore_best_weights


def _improved(value: float, best: float, mode: str, min_delta: float) -> bool:
    return value < best - min_delta if mode == "min" else value > best + min_delta


# -- the loop --------------------------------------------------------------------------------------

def fit(model: Module, loss_fn: Callable, optimizer: Any, train_data: Any, epochs: int = 1, *,
        val_data: Any = None, metrics: Sequence[str | Callable] = ("accuracy",),
        scheduler: Any = None, early_stopping: EarlyStopping | int | None = None,
        progress: bool | None = None, batch_size: int = 32, shuffle: bool = True, seed: Any = None,
        predict: Callable | None = None) -> History:
    """Train `model` for `epochs` passes over `train_data`; return its `History`.

    `train_data` / `val_data`: a `DataLoader` or an `(X, y)` pair (batched by `batch_size`,
    shuffled every epoch with `seed`). `loss_fn(outputs, y)` is a loss such as `cross_entropy`.
    `metrics` are names ("accuracy", "precision", "recall", "f1", "mse", "mae", "r2") or
    functions `f(y_true, y_pred)`; classifiers' outputs are read as labels by the loss's rule
    (arg-max for cross-entropy, z > 0 for logits...) or by `predict(outputs)`. `scheduler.step()`
    runs after each epoch (`ReduceLROnPlateau` gets the monitored loss). `early_stopping` (an
    `EarlyStopping` or a patience) stops when the validation loss stalls and restores the best
    weights. The progress bar (tqdm, notebook-aware) shows the latest numbers: by default
    (`progress=None`) only in a notebook or when stderr, where it writes, is a terminal, so a
    log redirected to a file gets no bar; `True` forces it, `False` turns it off.

    Works for tensor models and for the scalar `nn.scalar.MLP` alike.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    train_loader = _batches(train_data, batch_size, shuffle, seed, "train_data")
    val_loader = None if val_data is None else _batches(val_data, batch_size, False, None,
                                                         "val_data")
    chosen = _metric_functions(metrics)
    if isinstance(early_stopping, int):
        early_stopping = EarlyStopping(patience=early_stopping)
    monitor = "val_loss" if val_loader is not None else "loss"
    if early_stopping is not None:
        monitor = early_stopping.monitor
        if monitor.startswith("val_") and val_loader is None:
            raise ValueError(f"fit: early stopping monitors {monitor!r} but there is no val_data")
    mode = early_stopping.mode if early_stopping is not None else "min"
    history, best, best_state, waited = History(), math.inf if mode == "min" else -math.inf, None, 0
    bar = _progress_bar(epochs * len(train_loader), progress)
    started = time.perf_counter()
    try:
        for epoch in range(1, epochs + 1):
            scores = _train_one_epoch(model, loss_fn, optimizer, train_loader, chosen, predict, bar)
            if val_loader is not None:
                val = evaluate(model, loss_fn, val_loader, metrics, predict=predict)
                scores.update({"val_" + name: value for name, value in val.items()})
            scores["lr"] = optimizer.param_groups[0]["lr"]
            history.record(scores)
            if monitor not in scores:
                raise ValueError(f"fit: cannot monitor {monitor!r}; this run records "
                                 f"{sorted(scores)}")
            if _improved(scores[monitor], best, mode, 0.0 if early_stopping is None
                         else early_stopping.min_delta):
                best, history.best_epoch, waited = scores[monitor], epoch, 0
                if early_stopping is not None and early_stopping.restore_best_weights:
                    best_state = model.state_dict()
            else:
                waited += 1
            if scheduler is not None:
                if isinstance(scheduler, ReduceLROnPlateau):
                    scheduler.step(scores[monitor])
                else:
                    scheduler.step()
            if bar is not None:
                bar.set_description(f"epoch {epoch}/{epochs}")
                bar.set_postfix({k: f"{v:.4g}" for k, v in scores.items() if k != "lr"})
            if early_stopping is not None and waited > early_stopping.patience:
                history.stopped_early = True
                break
    finally:
        if bar is not None:
            bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - started
    return history


def _train_one_epoch(model: Module, loss_fn: Callable, optimizer: Any, loader: DataLoader,
                     chosen: dict[str, Callable], predict: Callable | None,
                     bar: Any) -> dict[str, float]:
    model.train()
    total, count, outputs, targets = 0.0, 0, [], []
    keep = bool(chosen)                  # the outputs are kept only when a metric needs them
    for xb, yb in loader:
        optimizer.zero_grad()
        out = model.forward_batch(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        optimizer.step()
        value = float(loss.data)
        if not math.isfinite(value):
            raise FloatingPointError(f"fit: the loss became {value} (try a smaller learning rate)")
        total += value * len(yb)
        count += len(yb)
        if keep:
            outputs.append(_as_numpy(out))
            targets.append(yb)
        if bar is not None:
            bar.update()
    scores = {"loss": total / count}
    if keep:
        scores.update(_score(chosen, np.concatenate(targets), np.concatenate(outputs), loss_fn,
                             predict))
    return scores


def _progress_bar(total: int, progress: bool | None) -> Any:
    if progress is None:
        progress = _interactive()
    if not progress:
        return None
    from tqdm.auto import tqdm          # notebook widgets in Jupyter, text in a terminal
    return tqdm(total=total, unit="batch", leave=True, dynamic_ncols=True)


def _interactive() -> bool:
    """True in a Jupyter notebook, or when stderr is a terminal: a bar written to a log file
    would add a line at every update."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if type(shell).__name__ == "ZMQInteractiveShell":             # a Jupyter kernel
        return True
    return sys.stderr is not None and sys.stderr.isatty()
