"""Training: `fit` runs the loop of the lectures — for each epoch, for each mini-batch: forward,
loss, backward, step — and keeps score in a `History`. Its other jobs have modules of their
own, their names still importable from here: the checks before the loop (nn/training_checks.py),
`evaluate` and the scoring (nn/evaluation.py), `History`, `EarlyStopping` and the weights kept
(nn/history.py), `TrainingDiverged` (nn/divergence.py), Ctrl-C between steps (nn/interrupts.py),
the progress bar and the live plot (nn/progress.py).

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

import difflib
import functools
import inspect
import math
import numbers
import time
from typing import Any, Callable, Sequence

import numpy as np

from autograd import Tensor
from autograd.warn import warn

from . import scoring as S
from .data import DataLoader
from .divergence import TrainingDiverged, _check_batch_finite, _diverged, _numbers_judged_here
from .evaluation import (_as_numpy, _check_labels_for, _check_weighted, _counted, _evaluate,
                         _joined, _metrics_for, _score, evaluate, predict_labels)
from .history import EarlyStopping, History, _finish, _improved, _put_back, _snapshot, _Weights
from .history import _add_note  # noqa: F401  (tests/test_train.py imports it from here)
from .interrupts import _Steps, interrupt
from .live import in_notebook
from .module import Module, as_parameter_dtype, parameter_dtype
from .optim.lr_scheduler import ReduceLROnPlateau
from .progress import _bar_ends_early, _live_plot, _progress_bar
from .sample_weights import WeightedLoss, checked_weights, split_val_weights, train_weights
from .training_checks import (_batches, _check_fit_arguments, _check_scheduler, _check_targets,
                              _forward_for, _label_array, _labels_seen, _loss_of, _monitored,
                              _per_batch, _refuse_float_labels, _scored_whole,
                              _targets_from_samples)
from .utils import clip_grad_norm_

__all__ = ["fit", "evaluate", "predict_labels", "History", "EarlyStopping", "TrainingDiverged",
           "interrupt"]


# -- other libraries' keywords ---------------------------------------------------------------------

# Keras' and Lightning's names for fit's arguments, and what to write here instead
_THEIR_KEYWORDS = {
    "validation_data": "val_data=(X_val, y_val)",
    "validation_split": "val_data=(X_val, y_val), split off first with nn.data.train_test_split",
    "callbacks": "early_stopping=EarlyStopping(...) (fit takes no callbacks: early stopping is "
                 "its own argument)",
    "verbose": "progress=False (no bar; verbose=0), True (a bar) or \"epochs\" (a line an "
               "epoch; verbose=2)",
    "lr": "the optimizer's lr: Adam(model.parameters(), lr=...)",
    "learning_rate": "the optimizer's lr: Adam(model.parameters(), lr=...)",
    "n_epochs": "epochs=...", "num_epochs": "epochs=...", "max_epochs": "epochs=...",
    "class_weight": "the loss's weight: functools.partial(cross_entropy, weight=w), or "
                    "sample_weight=",
    "steps_per_epoch": "batch_size=... (an epoch is one pass over the data)",
}


def _keyword_hint(name: str, value: Any, own: Any) -> str:
    """What to write instead of keyword `name`, which the function lacks."""
    given = value if isinstance(value, (list, tuple)) else [value]
    stoppers = [c for c in given if isinstance(c, EarlyStopping)]
    if name == "callbacks" and stoppers:
        return (f"'callbacks': write early_stopping={stoppers[0]!r} (fit takes no callbacks: "
                f"early stopping is its own argument)")
    hint = _THEIR_KEYWORDS.get(name)
    if hint is None:
        close = difflib.get_close_matches(name, list(own), n=1)
        hint = f"{close[0]}=" if close else None
    return (f"{name!r}: write {hint}" if hint else
            f"{name!r} (it takes {', '.join(list(own)[4:])})")


def _keywords_named(function: Callable) -> Callable:
    """A decorator: a keyword the function lacks is a TypeError that says what to write, for
    Keras' names (`callbacks=[EarlyStopping(...)]`, `validation_data=`, `verbose=`) and slips
    (`val_date=`), where Python would say only "unexpected keyword argument"."""
    own = inspect.signature(function).parameters

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        unknown = [name for name in kwargs if name not in own]
        if unknown:
            hints = [_keyword_hint(name, kwargs[name], own) for name in unknown]
            which = ("an unexpected keyword argument" if len(unknown) == 1 else
                     "unexpected keyword arguments")
            raise TypeError(f"{function.__name__}() got {which}: " + "; ".join(hints))
        return function(*args, **kwargs)
    return checked


# -- the loop --------------------------------------------------------------------------------------

@_keywords_named
def fit(model: Module, loss_fn: Callable, optimizer: Any, train_data: Any, epochs: int = 1, *,
        val_data: Any = None, metrics: Sequence[str | Callable] | None = None,
        scheduler: Any = None, early_stopping: EarlyStopping | int | None = None,
        progress: bool | str | None = None, batch_size: int | None = None, shuffle: bool | None = None,
        drop_last: bool | None = None, seed: Any = None,
        predict: Callable | None = None, live: bool = False,
        clip_grad_norm: float | None = None, sample_weight: Any = None) -> History:
    """Train `model` for `epochs` passes over `train_data`; return its `History`.

    The training loop itself, without the checks, the bookkeeping and the recovery below, is
    `_train_one_epoch`: read it first.

    >>> import numpy as np
    >>> from autograd import manual_seed
    >>> from nn import MLP, mse_loss
    >>> from nn.optim import SGD
    >>> manual_seed(0)
    >>> X = np.linspace(-1, 1, 64).reshape(-1, 1)
    >>> y = 3 * X + 1                       # a line to learn
    >>> model = MLP(1, [], 1)               # one Linear layer: w x + b
    >>> history = fit(model, mse_loss, SGD(model.parameters(), lr=0.5), (X, y), epochs=20,
    ...               progress=False, seed=0)
    >>> model[0].weight.data.round(3), model[0].bias.data.round(3)
    (array([[3.]], dtype=float32), array([1.], dtype=float32))

    `train_data` / `val_data`: a `DataLoader`, or an `(X, y)` pair (checked: numbers, finite,
    one label per sample) or a `Dataset` (random_split's parts too), both batched by
    `batch_size`, default 32; train_data is shuffled every epoch unless `shuffle=False`, with
    `seed`; `drop_last=True` leaves out its short last batch, as a model with BatchNorm needs
    when that batch would hold one sample (val_data is always scored whole: a DataLoader that
    would drop some of it is refused). A DataLoader batches by its own settings, so giving
    these too is an error. A dataset of samples (your own `Dataset`) must give `(x, y)`
    batches; reading all its samples first would cost an epoch, so its first batch stands for
    the labels in these checks, and a batch holding NaN is named when the loss stops being
    finite.

    A model of several inputs (a siamese network, an image with a side vector, a
    seq2seq's source and target) is called `model(xa, xb)`, as a PyTorch loop calls
    `model(*inputs)`. Give `((X_a, X_b), y)`, X a tuple of arrays (ndarrays or Tensors; a
    tuple of rows, such as `X, y = zip(*samples)` gives, is one X): every input is checked and
    cast as X is (an error names the one whose number of samples differs, X[1]), and shuffled
    with the others, row by row; or a `DataLoader(TensorDataset(X_a, X_b, y))`, whose arrays
    are all inputs but the last; or a dataset whose samples are `(xa, xb, y)` or
    `((xa, xb), y)`. A forward that takes one argument, `forward(self, inputs)`, gets a tuple
    given as one x, `((xa, xb), y)`, as it is, to unpack itself. val_data, `evaluate` and
    `cross_validate` take the inputs alike.

    >>> from nn import Linear, Module
    >>> class Difference(Module):            # needs both inputs: y = xa - xb
    ...     def __init__(self):
    ...         self.a, self.b = Linear(2, 1), Linear(2, 1)
    ...     def forward(self, xa, xb):
    ...         return self.a(xa) + self.b(xb)
    >>> Xa, Xb = np.random.default_rng(0).normal(size=(2, 64, 2))
    >>> y = Xa[:, :1] - Xb[:, :1]
    >>> model = Difference()
    >>> history = fit(model, mse_loss, SGD(model.parameters(), lr=0.2), ((Xa, Xb), y),
    ...               epochs=40, progress=False, seed=0)
    >>> evaluate(model, mse_loss, ((Xa, Xb), y))["loss"] < 1e-4
    True

    The data take the model's dtype: when all its floating parameters share one (float32 by
    default), floating inputs and targets are cast to it (an (X, y) pair once, a DataLoader's
    or a Dataset's batches one by one; val_data's too), so float64 data (what `np.load`,
    `/ 255.0` and pandas give) train a float32 model in float32, with the numbers of
    `X.astype(np.float32)`; uncast, numpy's promotion would compute every layer in float64
    (where PyTorch refuses the mix), more slowly. Integer inputs (token ids) and labels stay
    as they are, a float64 model (`model.double()`) gets float64, data already of the dtype
    are not copied, and a number too large for it (1e39 for float32) is an error. Calling the
    model yourself, `model(X)`, casts nothing.

    `loss_fn(outputs, y)` is a loss such as `cross_entropy` or `mse_loss`. `metrics` are names
    ("accuracy", "precision", "recall", "f1", "mse", "mae", "r2", and scikit-learn's scoring
    names: "roc_auc", "log_loss", "balanced_accuracy", "rmse"...; see `nn.scoring.METRICS`) or
    functions `f(y_true, y_pred)` (those of `nn.metrics` alike; metrics of probabilities,
    such as log_loss and AUC, are given σ or softmax of a model's logits); by default the
    loss's task picks them (accuracy for a classifier, R² for regression, only the loss for
    several targets per sample of a regression or two-class loss, as an autoencoder's; see
    `nn.scoring.default_metrics`). Several two-class targets per
    sample, when asked for accuracy, are scored one by one. Classifiers' outputs are read as labels
    by the loss's declared rule (arg-max for cross-entropy, z > 0 for logits...) or by
    `predict(outputs)`.

    A classifier of positions (a tagger, a language model) returns PyTorch's (N, C, d1, ...)
    with y (N, d1, ...) (or probabilities of the outputs' shape): every position is scored as
    a sample, its class the arg-max over axis 1; batches padded each to its own length (a
    collate_fn with `pad_sequence`, labels padded with the loss's ignore_index) are fine.

    `scheduler.step()` runs after each epoch (`ReduceLROnPlateau` gets the monitored score and
    must have its direction), or after each batch for `OneCycleLR` and `CyclicLR`, whose
    schedules count batches (history["lr"] is then the lr each epoch started with).
    `early_stopping` (an `EarlyStopping` or a patience) stops when the monitored score stalls
    and restores the best weights. The progress bar (tqdm: a widget in Jupyter when ipywidgets
    is installed, text otherwise) shows the latest numbers: by default (`progress=None`) only
    in a notebook or when stderr, where it writes, is a terminal, so a log redirected to a file
    gets no bar; `True` forces it, `False` turns it off, and `"epochs"` prints a line per
    epoch instead, for logs (about 20 lines in a long run, see `nn.progress.EpochLines`).

    `clip_grad_norm=c` scales each step's gradients together so that their total norm is at
    most c (`nn.utils.clip_grad_norm_`, between backward and the optimizer's step), as
    recurrent networks often need.

    `sample_weight=w` (one number >= 0 per sample of an (X, y) pair or a TensorDataset, in
    order, as scikit-learn's) counts sample i's loss w_i times: each batch's loss is
    Σ w_i l_i / Σ w_i over its samples, the loss called with `reduction="none"` (every
    built-in loss and loss module takes it; your own needs a `reduction` parameter, or is
    refused) and reduced in nn/sample_weights.py. Divided by the weights' total rather than
    by the batch size: all-ones weights train exactly as no weights do, and a batch's step
    does not grow with its weights' scale. It is PyTorch's hand-written
    `(loss_fn(z, y, reduction="none") * w).sum() / w.sum()`. A loss of several numbers per
    sample (targets (N, D), a sequence's positions) counts each as its own mean does, with its
    sample's weight (positions labelled ignore_index not at all). The weights are shuffled and
    batched with their rows, so an integer weight is its row repeated (exactly, for one batch
    of all the data; with mini-batches the repeated rows fill other batches). The history's
    loss and metrics are weighted; `val_data=(X_val, y_val, w_val)`, Keras' form, weighs
    val_loss and the val metrics. A DataLoader, which shuffles by itself, or a dataset of
    samples cannot carry the weights: give arrays.

    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> y = np.array([[0.0], [0.0], [3.0]])            # the last point off the line y = 0
    >>> model = MLP(1, [], 1)
    >>> history = fit(model, mse_loss, SGD(model.parameters(), lr=0.3), (X, y), epochs=200,
    ...               batch_size=3, progress=False, sample_weight=[1.0, 1.0, 0.0])
    >>> bool(np.abs(model(X).data).max() < 1e-3)      # y = 0: the weight-0 point left out
    True

    An optimizer whose step evaluates the loss itself (`LBFGS`: its `step_needs_closure`) is
    given PyTorch's closure for each batch: it clears the gradients, runs the model and the
    loss on the batch, calls backward (then clips, if asked) and returns the loss. The
    epoch's loss and metrics are those of its first evaluation, before the step, as for the
    other optimizers. L-BFGS is at its best on the whole data at once (`batch_size=len(X)`,
    with `line_search_fn="strong_wolfe"`).

    `live=True` in a Jupyter notebook redraws the loss curve in place after every epoch (and,
    for a classifier of 2-D points, its decision boundary; see `nn.live`); elsewhere it does
    nothing.

    If the loss becomes NaN or infinite, the weights are put back as they were before the step
    that did it, and `TrainingDiverged` (a `FloatingPointError`) says where; numpy's overflow
    warnings from inside the library, which would come first and say less, are off meanwhile.
    Samples labelled with the loss's `ignore_index` count neither in the mean loss nor in the
    metrics; a batch of only such samples (its loss PyTorch's NaN 0 / 0, its gradient zero) is
    no divergence.

    Any other error that stops the loop (a loss or metric that raises, such as
    `binary_cross_entropy` refusing the outputs of a step that blew the weights up) puts the
    weights and buffers back as they were at the end of the last finished epoch, or as `fit`
    found them if none finished, so a failed run leaves no ruined model; the error says so in a
    note (Python 3.11+). The optimizer's state (momentum, Adam's moments) is not put back,
    as after a divergence: make a new optimizer to start afresh.

    Interrupted (Ctrl-C, i.e. KeyboardInterrupt), `fit` leaves the model as early stopping
    would: with the best epoch's weights when `early_stopping` keeps them, else those of the
    latest step (a stop by hand is no error: the steps taken are kept); then it re-raises. A
    Ctrl-C that comes during a step (forward, backward, the optimizer's update) or while an
    epoch's results and the scheduler's step are recorded is held until that has finished, so
    the model and the optimizer are never left half-way through a step; a second Ctrl-C during
    the same step stops at once, even half-way (an escape hatch from a step that hangs). This
    holds in the main thread while SIGINT has Python's own handler (see `interrupt`, which a
    program can give other signals too). That exception, and any other that stops `fit`,
    carries the finished epochs as `.history` (its `steps` counts every update taken); the
    model stays in training mode, and calling `fit` again with the same optimizer (and
    scheduler) trains on from there:

        try:
            history = fit(model, loss_fn, optimizer, data, epochs=100)
        except KeyboardInterrupt as stop:
            history = stop.history          # the epochs finished before Ctrl-C

    `fit` leaves the model in training mode, as a PyTorch loop does (dropout still drops, batch
    norm still uses each batch's statistics): call `model.eval()` before `model(X_test)`;
    `evaluate` needs no such call (GridSearch's `best_model` is left so too).

    Works for tensor models and for the scalar `nn.scalar.MLP` alike.
    """
    _check_fit_arguments(model, loss_fn, optimizer)
    if isinstance(epochs, (Tensor, list)) or np.ndim(epochs) > 0:    # Keras' fit(X, y, ...)
        raise TypeError(f"fit: epochs, its fifth argument, got {type(epochs).__name__} of "
                        f"shape {np.shape(epochs)}; X and y go together, as one argument: "
                        f"fit(model, loss_fn, optimizer, (X, y), epochs=10)")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    epochs = int(epochs)
    if not isinstance(live, bool):
        raise TypeError(f"fit: live must be True or False, got {live!r}")
    if clip_grad_norm is not None and (isinstance(clip_grad_norm, bool) or not isinstance(
            clip_grad_norm, numbers.Real) or not clip_grad_norm > 0):
        raise ValueError(f"fit: clip_grad_norm must be a number > 0 (the largest total norm "
                         f"of the gradients), or None for no clipping, got {clip_grad_norm!r}")
    if isinstance(train_data, DataLoader):
        given = [name for name, value in (("batch_size", batch_size), ("shuffle", shuffle),
                                          ("drop_last", drop_last), ("seed", seed))
                 if value is not None]
        if given:
            raise ValueError(f"fit: {', '.join(given)} would be ignored: train_data is a "
                             f"DataLoader, which batches and shuffles by its own settings; set "
                             f"them on the DataLoader, or pass (X, y)")
    batch_size = 32 if batch_size is None else batch_size
    shuffle = True if shuffle is None else shuffle      # (0 and numpy's False mean False too)
    dtype = parameter_dtype(model)         # floating data are cast to it (the rule above)
    val_data, val_weight = split_val_weights(val_data)      # Keras' (X, y, w)
    # a loss that cannot weigh its samples is refused before the data are even read
    weighted = None if sample_weight is None and val_weight is None else \
        WeightedLoss("fit", loss_fn, "sample_weight" if sample_weight is not None else
                     "the w of val_data=(X, y, w)")
    train_loader = _batches(train_data, batch_size, shuffle, seed, "fit: train_data",
                            drop_last, dtype)
    steps_loader = train_loader         # what the loop iterates: with the weights, if any
    if sample_weight is not None:
        steps_loader, _ = train_weights("fit", train_data, train_loader, sample_weight)
    train_y, inputs = _labels_seen("fit: train_data", train_loader)
    forward = _forward_for("fit: train_data", model, inputs)
    _check_targets("fit: train_data", train_y, loss_fn)
    val_loader = val_w = None
    if val_data is not None:
        val_loader = _scored_whole("fit: val_data",
                                   _batches(val_data, batch_size, False, None, "fit: val_data",
                                            dtype=dtype))
        val_y, inputs = _labels_seen("fit: val_data", val_loader)
        val_forward = _forward_for("fit: val_data", model, inputs)
        _check_targets("fit: val_data", val_y, loss_fn)
        _refuse_float_labels("fit: val_data", val_y, loss_fn, _targets_from_samples(val_loader))
        if val_weight is not None:
            val_w = checked_weights("fit: val_data (X, y, w)", val_weight,
                                    len(val_loader.dataset), name="w")
    chosen = _metrics_for(loss_fn, metrics, "fit", predict, train_y)
    if weighted is not None:            # every metric is weighted too: each must take them
        _check_weighted("fit", chosen)
    if val_loader is not None:
        _check_labels_for("fit: val_data", val_y, loss_fn, chosen)
    _check_scheduler(scheduler, optimizer)
    batch_scheduler = _per_batch(scheduler, epochs * len(train_loader))
    if early_stopping is False:             # "no early stopping", as None; not patience 0
        early_stopping = None
    if isinstance(early_stopping, numbers.Integral) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=int(early_stopping))
    elif early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"fit: early_stopping must be an EarlyStopping or a patience (an int "
                        f">= 0), or None / False for none, got {early_stopping!r}")
    monitor, mode = _monitored(early_stopping, val_loader is not None, chosen)
    if early_stopping is not None and val_loader is not None and not monitor.startswith("val_"):
        warn(f"EarlyStopping monitors training {monitor!r} although val_data is "
             f"given; for the held-out score write monitor='val_{monitor}'",
             UserWarning)
    if isinstance(scheduler, ReduceLROnPlateau) and scheduler.mode != mode:
        raise ValueError(f"fit: ReduceLROnPlateau(mode={scheduler.mode!r}) is given "
                         f"{monitor!r}, for which {'higher' if mode == 'max' else 'lower'} is "
                         f"better; make it with mode={mode!r}")
    history, best_state, waited = History(), None, 0
    best = math.inf if mode == "min" else -math.inf     # the best monitored score so far
    weights = _Weights(optimizer)
    finished = _snapshot(model)             # put back if an error stops the loop
    bar = _progress_bar(epochs * len(train_loader), progress, epochs)
    plot = _live_plot(model, loss_fn, train_loader, predict) if live and in_notebook() else None
    started = time.perf_counter()
    steps = _Steps()                        # Ctrl-C waits for the step under way to finish
    try:
        steps.start()
        for epoch in range(1, epochs + 1):
            lr = optimizer.param_groups[0]["lr"]  # the epoch's (at its start, for OneCycleLR)
            with _numbers_judged_here():         # a NaN or inf stops fit, with TrainingDiverged
                scores = _train_one_epoch(model, loss_fn, optimizer, steps_loader, forward,
                                          chosen, predict, bar, weights, epoch, steps,
                                          batch_scheduler, clip_grad_norm,
                                          weighted if sample_weight is not None else None)
                if not weights.finite():         # the epoch's last step broke the weights
                    weights.put_back()
                    raise _diverged(math.nan, epoch, len(train_loader), True, optimizer,
                                    len(train_loader))
                if val_loader is not None:
                    val = _evaluate(model, loss_fn, val_loader, val_forward, chosen, predict,
                                    epoch, val_w, weighted if val_w is not None else None)
                    scores.update({"val_" + name: value for name, value in val.items()})
            with steps:                          # the epoch's record, best weights, lr: whole
                scores["lr"] = lr
                history.record(scores)
                history.steps = steps.taken     # one update per batch so far
                finished = _snapshot(model)
                if plot is not None:
                    plot.update(history)
                if _improved(scores[monitor], best, mode, 0.0 if early_stopping is None
                             else early_stopping.min_delta):
                    best, history.best_epoch, waited = scores[monitor], epoch, 0
                    if early_stopping is not None and early_stopping.restore_best_weights:
                        best_state = _snapshot(model)
                else:
                    waited += 1
                if scheduler is not None and batch_scheduler is None:
                    if isinstance(scheduler, ReduceLROnPlateau):
                        scheduler.step(scores[monitor])
                    else:
                        scheduler.step()
                if bar is not None:
                    bar.set_description(f"epoch {epoch}/{epochs}")
                    bar.set_postfix({k: f"{v:.4g}" for k, v in scores.items() if k != "lr"})
            if early_stopping is not None and waited and waited >= early_stopping.patience:
                history.stopped_early = True
                if bar is not None:
                    _bar_ends_early(bar, f"epoch {epoch}/{epochs}, stopped early")
                break
    except KeyboardInterrupt as stop:   # stopped by hand: as early stopping would leave it
        if bar is not None:
            bar.set_description(f"epoch {history.epochs + 1}/{epochs}: stopped by hand",
                                refresh=False)
        history.steps = steps.taken     # the unfinished epoch's steps too: the model has them
        _finish(model, history, best_state, started)
        stop.history = history
        raise
    except Exception as error:          # diverged, or a metric or the loss failed
        if not isinstance(error, TrainingDiverged):     # (that one put back the last step)
            _put_back(model, finished, history.epochs, error)
        if bar is not None:
            how = "diverged" if isinstance(error, TrainingDiverged) else "failed"
            bar.set_description(f"epoch {history.epochs + 1}/{epochs}: {how}", refresh=False)
        history.seconds = time.perf_counter() - started
        try:
            error.history = history
        except AttributeError:          # (an exception type without attributes of its own)
            pass
        raise
    finally:
        steps.stop()
        if bar is not None:
            bar.close()
    _finish(model, history, best_state, started)
    return history


def _train_one_epoch(model: Module, loss_fn: Callable, optimizer: Any, loader: DataLoader,
                     forward: Callable, chosen: dict[str, S.Metric], predict: Callable | None,
                     bar: Any, weights: _Weights, epoch: int, steps: _Steps,
                     batch_scheduler: Any = None, clip_grad_norm: float | None = None,
                     weighted: WeightedLoss | None = None) -> dict[str, float]:
    """One pass over `loader`, the loop of the lectures: for each batch, forward, loss,
    backward (`closure`), then the optimizer's step; returns the epoch's mean loss and the
    `chosen` metrics of the outputs each batch had before its step. With sample weights
    (`weighted`), every batch ends with its samples' weights, which weigh the loss (see
    nn/sample_weights.py) and the metrics."""
    model.train()
    total, count, outputs, targets, batch_weights = 0.0, 0, [], [], []
    keep = bool(chosen)                  # the outputs are kept only when a metric needs them
    ignored, weight = S.ignored_label(loss_fn), S.label_weight(loss_fn)
    needs_closure = getattr(optimizer, "step_needs_closure", False)     # (yours may lack it)
    from_samples = _targets_from_samples(loader)    # (for a shape error's advice)
    dtype = parameter_dtype(model)      # float64 data train a float32 model in float32
    # a batch is (x, y), or (xa, xb, y) for a model of several inputs: forward is model(x) or
    # model(xa, xb) (for a scalar model, forward_batch: sample by sample; see _forward_for)
    for batch, (*inputs, yb) in enumerate(loader, start=1):
        wb = None
        if weighted is not None:         # (x, y, w): the weights came with their rows
            *inputs, yb, wb = inputs + [yb]
        with steps:                      # a Ctrl-C now stops fit after this step, not inside it
            which = f"fit: train_data: batch {batch} of epoch {epoch}"
            inputs = as_parameter_dtype(inputs, dtype, f"{which}: x")
            yb = as_parameter_dtype(_label_array(yb), dtype, f"{which}: y")
            out = value = counted = None     # the first evaluation's: before the step

            def closure() -> Any:
                """Forward, loss and backward on this batch: the loss the step minimises."""
                nonlocal out, value, counted
                optimizer.zero_grad()
                outputs_now = forward(*inputs)
                loss = _loss_of(loss_fn, outputs_now, yb, "fit", from_samples,
                                first=epoch == 1 and batch == 1 and out is None,
                                weighted=weighted, w=wb)
                if out is None:          # the first evaluation: at the weights before the step
                    out, value = outputs_now, float(loss.data)
                    # a batch whose every label is ignored has PyTorch's 0 / 0 mean, NaN, and
                    # a zero gradient: it steps as in PyTorch, but is no divergence and adds
                    # nothing to the mean (so a batch whose samples all weigh 0)
                    counted = _counted(yb, ignored, out, weight) if weighted is None else \
                        weighted.counted
                    if counted and not math.isfinite(value):    # the latest step did this
                        _check_batch_finite("fit: train_data", inputs, yb,
                                            f"batch {batch} of epoch {epoch}")
                        weights.put_back()                      # undo it, and stop
                        raise _diverged(value, epoch, batch, epoch > 1 or batch > 1,
                                        optimizer, len(loader), inputs, yb)
                    weights.take()               # to put back if this step breaks them
                loss.backward()
                if clip_grad_norm is not None:
                    clip_grad_norm_(weights.params, clip_grad_norm)
                return loss

            # the one place a step is taken: an optimizer that evaluates the loss itself
            # (LBFGS, several times per step) is given the closure, as PyTorch's step(closure)
            # takes it; the others step on the gradients one evaluation left
            if needs_closure:
                optimizer.step(closure)
            else:
                closure()
                optimizer.step()
            if batch_scheduler is not None:  # OneCycleLR, CyclicLR: their steps are batches
                batch_scheduler.step()
            steps.taken += 1
            if counted:
                total += value * counted
                count += counted
            if keep:
                outputs.append(_as_numpy(out))
                targets.append(yb)
                batch_weights.append(wb)
            if bar is not None:
                bar.update()
    scores = {"loss": total / count if count else math.nan}
    if keep:
        outputs, y = _joined(outputs, targets, loss_fn, "fit")
        w = None if weighted is None else np.concatenate(batch_weights)
        scores.update(_score(chosen, y, outputs, loss_fn, predict, "fit", w))
    return scores
