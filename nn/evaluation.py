"""Scoring a model: `evaluate` (its mean loss and metrics on some data), `predict_labels` (a
classifier's outputs read as class labels), the metrics chosen for a loss, and the scoring of
the outputs against the labels that `fit` (nn/train.py) shares with `evaluate`: the rules
that say what a sample is (a position of a sequence, each of several two-class targets).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from autograd import Tensor, Value, no_grad
from autograd.warn import warn

from . import scoring as S
from .data import DataLoader
from .divergence import TrainingDiverged, _check_batch_finite
from .history import _add_note
from .module import Module, as_parameter_dtype, parameter_dtype
from .sample_weights import WeightedLoss, checked_weights
from .training_checks import (_batches, _check_model_and_loss, _check_targets, _forward_for,
                              _label_array, _labels_seen, _loss_of, _scored_whole,
                              _targets_from_samples)

__all__ = ["evaluate", "predict_labels"]


# -- from the model's outputs to labels, and the metrics to record ---------------------------------

def predict_labels(outputs: np.ndarray, y: np.ndarray | None,
                   loss_fn: Callable | None = None) -> np.ndarray:
    """Class labels from a model's raw outputs: the rule the loss declares (`nn.scoring`), else
    the arg-max of several columns, or the sign of one column when the labels are ±1."""
    return _labels_from(outputs, y, loss_fn, "predict_labels")


def _labels_from(outputs: np.ndarray, y: np.ndarray | None, loss_fn: Callable | None,
                 where: str) -> np.ndarray:
    """`predict_labels`, its errors naming `where` (fit, evaluate), the function called."""
    declared = None if loss_fn is None else S.loss_task(loss_fn)
    if declared is not None and declared.to_labels is not None:
        return declared.to_labels(outputs)
    if declared is not None:                # a regression loss: its outputs are not classes
        raise ValueError(_regression_labels(where, loss_fn))
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return S.argmax(outputs)
    if y is not None and np.isin(y, (-1, 1)).all():
        return S.sign(outputs)
    raise ValueError(
        f"{where}: cannot tell how to read class labels from the outputs of {loss_fn!r} (shape "
        f"{outputs.shape}); declare the loss's task (nn.scoring.declare_loss) or pass "
        f"predict=, a function from outputs to labels")


def _regression_labels(where: str, loss_fn: Callable) -> str:
    return (f"{where}: {S.loss_name(loss_fn)} is a regression loss, so its outputs are not "
            f"class labels; use the metrics 'mse', 'mae' or 'r2' (or pass predict=, a function "
            f"from outputs to labels)")


def _metrics_for(loss_fn: Callable, metrics: Sequence[str | Callable] | None, where: str,
                 predict: Callable | None = None,
                 y: np.ndarray | None = None) -> dict[str, S.Metric]:
    """The metrics to record: those asked for, or the defaults for the loss and the targets `y`
    (`nn.scoring.default_metrics`). A metric of class labels with a regression loss, or with
    targets `y` that are not labels, is refused here, before any training."""
    declared = S.loss_task(loss_fn)
    if metrics is None:
        metrics = S.default_metrics(loss_fn, y)
    chosen = S.metric_table(metrics, None if declared is None else declared.task, where)
    if (declared is not None and declared.task == "regression" and predict is None
            and any(metric.on_labels for metric in chosen.values())):
        raise ValueError(_regression_labels(where, loss_fn))
    _check_probabilities_for(where, loss_fn, chosen)
    if declared is not None and declared.task == "multiclass":
        on_outputs = [name for name, metric in chosen.items()
                      if metric is S.METRICS.get(name) and metric.on == "outputs"]
        if on_outputs:
            raise ValueError(f"{where}: {on_outputs[0]!r} is a regression metric: it compares "
                             f"the model's outputs, of shape (N, C) for {S.loss_name(loss_fn)}, "
                             f"with y; for a classifier use 'accuracy', 'precision', 'recall' "
                             f"or 'f1'")
    if y is not None:
        _check_labels_for(where, y, loss_fn, chosen)
    return chosen


def _check_probabilities_for(where: str, loss_fn: Callable, chosen: dict[str, S.Metric]) -> None:
    """A metric of probabilities (log_loss) with a loss whose outputs are none (a regression,
    margins, a loss that declares nothing) is refused before any training: handing it the raw
    outputs would give a wrong number, or fail after the first epoch. A metric of scores takes
    a two-class margin loss's scores (hinge_loss's: AUC as scikit-learn's of an SVM's
    decision_function), or an undeclared loss's outputs, instead; but not AUC of a multiclass
    margin loss's (multi_margin_loss's), one margin per class: AUC of several classes needs
    probabilities (rows summing to 1), and of two, class 1's margin alone does not rank the
    samples as the model does (z1 - z0 would)."""
    declared = S.loss_task(loss_fn)
    has_probabilities = S.probabilities_rule(loss_fn) is not None
    multiclass_margins = (declared is not None and declared.task == "multiclass"
                          and not has_probabilities)
    for name, metric in chosen.items():
        if metric.on not in ("probabilities", "scores"):
            continue
        if declared is not None and declared.task == "regression":
            raise ValueError(f"{where}: {name!r} scores class probabilities, but "
                             f"{S.loss_name(loss_fn)} is a regression loss; use 'r2', 'mse', "
                             f"'rmse', 'mae' or 'mape'")
        needs_probabilities = metric.on == "probabilities" or (
            multiclass_margins and name.startswith("roc_auc"))     # the names and the function
        if needs_probabilities and not has_probabilities:
            ranking = ("'accuracy', 'average_precision' or 'top_k_accuracy'"
                       if multiclass_margins else "'roc_auc' or 'accuracy'")
            what = ("declares no task, so its outputs could be logits or probabilities; "
                    "declare it with nn.scoring.declare_loss(task, to_labels=...)"
                    if declared is None else
                    f"gives scores (margins) that are no probabilities; score it with "
                    f"{ranking}, or train with a loss of logits")
            raise ValueError(f"{where}: {name!r} scores the model's class probabilities, but "
                             f"{S.loss_name(loss_fn)} {what}")


def _check_labels_for(where: str, y: np.ndarray, loss_fn: Callable,
                      chosen: dict[str, S.Metric]) -> None:
    """Targets that are not class labels (0.3 for binary_cross_entropy: soft targets, or an
    autoencoder's pixels), refused when a built-in metric of labels is to score them: it would
    fail at the end of the first epoch, and lose it. (A classifier's one-hot or probability
    rows are read as the class of their largest entry, so they pass.)"""
    declared = S.loss_task(loss_fn)
    if (declared is not None and declared.task == "multiclass") or S.is_labels(y):
        return
    names = [name for name, metric in chosen.items()
             if metric.on != "outputs" and metric is S.METRICS.get(name)]
    if names:
        example = y.flat[np.flatnonzero(np.round(y) != y)[0]]
        raise ValueError(f"{where}: {names[0]!r} compares class labels, but y holds values such "
                         f"as {example:.4g} that are not labels (soft targets?); record only the "
                         f"loss (metrics=()), or make y labels first, such as y > 0.5")


# -- evaluate --------------------------------------------------------------------------------------

def evaluate(model: Module, loss_fn: Callable, data: Any,
             metrics: Sequence[str | Callable] | None = None, batch_size: int = 256,
             predict: Callable | None = None, *, sample_weight: Any = None) -> dict[str, float]:
    """The mean loss and the metrics of `model` on `data` (a DataLoader, (X, y) or a Dataset,
    batched by `batch_size`; ((X_a, X_b), y) for a model of several inputs, as in `fit`), in
    eval mode and without recording a graph. `metrics=None` picks them from the loss, and
    floating data take the model's parameter dtype, as in `fit`. Metrics of probabilities
    ("log_loss", "roc_auc", `nn.metrics.log_loss`...) are given the probabilities the outputs
    stand for (σ of logits, softmax of a row), as scikit-learn's scorers use `predict_proba`.
    Outputs that are NaN or infinite (weights a diverging run ruined) make every metric NaN,
    with a RuntimeWarning: they are not scores of any class.

    `sample_weight` (one weight >= 0 per sample of (X, y) or of a Dataset, in order; not with
    a DataLoader, which may shuffle them) weights every metric and the loss, with
    scikit-learn's meaning: a sample of weight 2 counts as two. The loss is Σ w_i l_i / Σ w_i,
    the number `fit(..., val_data=(X, y, w))` records as val_loss; so the loss must give each
    sample's loss (`reduction="none"`, as the built-in losses do).

    >>> import numpy as np
    >>> from nn import LogisticRegression, binary_cross_entropy_with_logits as bce
    >>> model = LogisticRegression(1)
    >>> model.weight.data[:], model.bias.data[:] = 2.0, 0.0
    >>> X, y = np.array([[-1.0], [0.5], [2.0]]), np.array([0.0, 0.0, 1.0])
    >>> scores = evaluate(model, bce, (X, y), metrics=["accuracy", "log_loss"],
    ...                   sample_weight=[1.0, 3.0, 1.0])
    >>> scores["accuracy"]                  # the sample at 0.5, called 1, weighs 3 of 5
    0.4
    >>> bool(np.isclose(scores["loss"], scores["log_loss"]))   # the weighted cross-entropy
    True
    """
    _check_model_and_loss("evaluate", model, loss_fn)
    if isinstance(data, (np.ndarray, Tensor)) and np.ndim(metrics) > 0 and \
            len(metrics) == len(data) and not isinstance(metrics[0], str):
        # scikit-learn's model.score(X, y): y landed in metrics
        raise TypeError(f"evaluate: data got an array of shape {tuple(data.shape)} and metrics "
                        f"{len(metrics)} values: X and y go together, as one argument: "
                        f"evaluate(model, loss_fn, (X, y))")
    loader = _scored_whole("evaluate: data",
                           _batches(data, batch_size, False, None, "evaluate: data",
                                    dtype=parameter_dtype(model)))
    y, inputs = _labels_seen("evaluate: data", loader)
    forward = _forward_for("evaluate: data", model, inputs)
    _check_targets("evaluate: data", y, loss_fn)
    chosen = _metrics_for(loss_fn, metrics, "evaluate", predict, y)
    w = _sample_weight_for("evaluate", sample_weight, data, loader, chosen)
    weighted = None if w is None else WeightedLoss("evaluate", loss_fn)
    return _evaluate(model, loss_fn, loader, forward, chosen, predict, sample_weight=w,
                     weighted=weighted)


def _sample_weight_for(where: str, sample_weight: Any, data: Any, loader: DataLoader,
                       chosen: dict[str, S.Metric]) -> np.ndarray | None:
    """The weights checked (one per sample, numbers >= 0, not all 0) against the data they
    weigh and the metrics that are to take them, before any scoring."""
    if sample_weight is None:
        return None
    if isinstance(data, DataLoader):
        raise ValueError(f"{where}: sample_weight needs the data as (X, y) or a Dataset, whose "
                         f"samples it follows in order; a DataLoader may shuffle or sample "
                         f"them: pass its dataset")
    try:
        n = len(loader.dataset)
    except TypeError:
        raise ValueError(f"{where}: sample_weight needs data of a known length; this dataset "
                         f"has none") from None
    _check_weighted(where, chosen)
    return checked_weights(where, sample_weight, n)


def _check_weighted(where: str, chosen: dict[str, S.Metric]) -> None:
    """With sample_weight, every metric must take it: a function of one's own without that
    parameter is refused before any training, not after the first fold."""
    unweighted = [name for name, metric in chosen.items() if not metric.weighted]
    if unweighted:
        raise ValueError(f"{where}: sample_weight is given, but the metric {unweighted[0]!r} "
                         f"takes no sample_weight=; give it a sample_weight=None parameter, "
                         f"or leave sample_weight out")


def _evaluate(model: Module, loss_fn: Callable, loader: DataLoader, forward: Callable,
              chosen: dict[str, S.Metric], predict: Callable | None,
              epoch: int | None = None, sample_weight: np.ndarray | None = None,
              weighted: Any = None) -> dict[str, float]:
    """The loss and the chosen metrics on `loader`, the model run by `forward` (see
    `_forward_for`). Inside fit (`epoch` given), outputs that are no longer finite mean the
    training diverged, even if the weights are still finite. `sample_weight` (one per sample,
    in the loader's order, which does not shuffle) weighs the metrics, and the loss too when
    `weighted` (a `nn.sample_weights.WeightedLoss`) is given."""
    was_training = model.training
    model.eval()
    total, count, outputs, targets = 0.0, 0, [], []
    ignored, weight = S.ignored_label(loss_fn), S.label_weight(loss_fn)
    from_samples = _targets_from_samples(loader)    # (for a shape error's advice)
    dtype = parameter_dtype(model)
    where = "evaluate: data" if epoch is None else "fit: val_data"
    start = 0                           # the batch's first sample, for its weights
    try:
        with no_grad():
            for batch, (*inputs, yb) in enumerate(loader, start=1):
                # floating data in the parameters' dtype, as fit trains (see its docstring)
                inputs = as_parameter_dtype(inputs, dtype, f"{where}: batch {batch}'s x")
                yb = as_parameter_dtype(_label_array(yb), dtype, f"{where}: batch {batch}'s y")
                out = forward(*inputs)
                first = batch == 1 and epoch in (None, 1)
                if weighted is None:
                    counted = _counted(yb, ignored, out, weight)
                    loss = _loss_of(loss_fn, out, yb, "evaluate" if epoch is None else
                                    "fit: val_data", from_samples, first) if counted else None
                else:                   # the batch's weights: the loader keeps their order
                    wb, start = sample_weight[start:start + len(yb)], start + len(yb)
                    loss = _loss_of(loss_fn, out, yb, "evaluate" if epoch is None else
                                    "fit: val_data", from_samples, first, weighted, wb)
                    counted = weighted.counted
                if counted:
                    value = float(loss.data)
                    if not math.isfinite(value):
                        _check_batch_finite(where, inputs, yb, f"batch {batch}")
                    total += value * counted
                    count += counted
                outputs.append(_as_numpy(out))
                targets.append(yb)
    except Exception as error:          # inside fit: the model or loss refusing val_data
        if epoch is not None:
            _name_the_data(error, "fit: val_data")
            _add_note(error, f"fit: raised while scoring val_data after epoch {epoch} "
                             f"(train_data had trained without it)")
        raise
    finally:
        model.train(was_training)
    scores = {"loss": total / count if count else math.nan}
    finite = all(np.isfinite(out).all() for out in outputs)
    if epoch is not None and not (math.isfinite(scores["loss"]) and finite):
        raise TrainingDiverged(
            f"fit: the validation loss became {scores['loss']} at epoch {epoch}: the weights "
            f"are finite but the model's outputs are not; try a smaller learning rate",
            loss=scores["loss"], epoch=epoch, batch=len(loader), stepped=True)
    where = "evaluate" if epoch is None else "fit"
    if not chosen:
        return scores
    outputs, y = _joined(outputs, targets, loss_fn, where)
    bad = np.count_nonzero(~np.isfinite(outputs.reshape(len(outputs), -1)).all(axis=1))
    if bad:                 # NaN rows would be read as class 0 (accuracy 0.5), or fail in r2
        warn(f"{where}: the model's outputs are NaN or infinite for {bad} of "
             f"{len(outputs)} samples, so the metrics are NaN (were the weights "
             f"ruined by a diverging run?)", RuntimeWarning)
        scores.update({name: math.nan for name in chosen})
        return scores
    scores.update(_score(chosen, y, outputs, loss_fn, predict, where, sample_weight))
    return scores


def _name_the_data(error: Exception, where: str) -> None:
    """Start the error's message with `where: ` (its type and traceback kept): the model's own
    error ("Linear(...): input of shape (5, 3) ...") does not say that the data it refused was
    val_data, and a note is not in str(error), the line a notebook or a log shows. An error of
    `evaluate`, called for the learner (by learning_curve), names `where` instead of it."""
    message = error.args[0] if error.args else None
    if isinstance(message, str) and not message.startswith(where):
        for own in ("evaluate: data: ", "evaluate: "):
            if message.startswith(own):
                message = message[len(own):]
                break
        error.args = (f"{where}: {message}", *error.args[1:])


# -- outputs against labels ------------------------------------------------------------------------

def _as_numpy(outputs: Any) -> np.ndarray:
    if isinstance(outputs, Tensor):
        return outputs.data
    if isinstance(outputs, Value):
        return np.array([outputs.data])
    return np.array([v.data for v in outputs])          # a list of Values (a scalar model)


def _counted(yb: Any, ignored: int | None, out: Any, weight: np.ndarray | None = None) -> float:
    """How many samples of a batch the loss counts: those not labelled with its ignore_index
    (`nn.scoring.ignored_label`; every sample for other losses), or for labels per position
    (N, d1, ...) against outputs (N, C, d1, ...), the positions not so labelled; with a class
    `weight` (`nn.scoring.label_weight`) their total weight Σ w[y], by which the loss's mean
    divides. The epoch's mean loss weighs each batch's mean by it, so it is the mean over the
    counted samples, the loss of the whole data at once."""
    if ignored is None or (yb.ndim != 1 and np.ndim(out) != yb.ndim + 1):
        return len(yb)          # (probability targets: PyTorch's mean divides by N, weight or not)
    kept = np.asarray(yb) != ignored
    if weight is None:
        return int(np.count_nonzero(kept))
    labels = np.asarray(yb)[kept]
    if labels.dtype.kind not in "iu" or not ((labels >= 0) & (labels < len(weight))).all():
        return int(np.count_nonzero(kept))  # (the loss refuses such labels, saying why)
    return float(weight[labels].sum())


def _score(chosen: dict[str, S.Metric], y: np.ndarray, outputs: np.ndarray, loss_fn: Callable,
           predict: Callable | None, where: str, sample_weight: np.ndarray | None = None
           ) -> dict[str, float]:
    """Each chosen metric of the outputs against y, given what it scores (`Metric.on`): the
    class labels, the raw outputs, or the class probabilities the loss reads them as."""
    if not chosen:
        return {}
    labels, probabilities, raw, w = None, None, outputs, sample_weight
    if _per_position(outputs, y, loss_fn):
        outputs, y = _positions_as_rows(outputs, y)
    if any(metric.on in ("probabilities", "scores") for metric in chosen.values()):
        to_probabilities = S.probabilities_rule(loss_fn)
        # no rule: a margin loss's scores, or an undeclared loss's outputs (_metrics_for has
        # refused them to a metric of probabilities)
        probabilities = outputs if to_probabilities is None else to_probabilities(outputs)
    if any(metric.on != "outputs" for metric in chosen.values()):
        if any(metric.on_labels for metric in chosen.values()):
            if predict is None:
                labels = _labels_from(outputs, y, loss_fn, where)
            else:                                       # predict reads the model's own outputs
                labels = predict(raw)
                if raw is not outputs:
                    labels = np.asarray(labels).reshape(-1)
        if _several_binary(y, loss_fn):             # a label per target: each scored alone
            y, outputs = y.reshape(-1), outputs.reshape(-1)
            labels = None if labels is None else np.reshape(labels, -1)
            probabilities = None if probabilities is None else np.reshape(probabilities, -1)
        elif y.ndim == 2 and y.shape[1] > 1:        # one-hot or probability rows: their classes
            y = y.argmax(axis=1)
        w = _weights_per_row(w, len(y), where)
        if y.ndim == 1 and S.ignored_label(loss_fn) is not None:
            counted = y != S.ignored_label(loss_fn)  # what the loss ignores, the metrics do too
            if not counted.all():
                y, outputs = y[counted], outputs[counted]
                labels = None if labels is None else labels[counted]
                probabilities = None if probabilities is None else probabilities[counted]
                w = None if w is None else w[counted]
    else:
        w = _weights_per_row(w, len(y), where)
    scores = probabilities
    if scores is not None and scores.ndim == 2 and scores.shape[1] == 2:
        scores = scores[:, 1]       # a two-class softmax: class 1's, as a sigmoid model's
    given = {"labels": outputs, "outputs": outputs, "probabilities": probabilities,
             "scores": scores}
    return {name: float(metric.score(y, labels, given[metric.on], w))
            for name, metric in chosen.items()}


def _weights_per_row(w: np.ndarray | None, rows: int, where: str) -> np.ndarray | None:
    """A weight per sample as one per scored row: each position of a sequence, or each of a
    sample's several two-class targets, has its sample's weight."""
    if w is None or len(w) == rows:
        return w
    if rows % len(w):
        raise ValueError(f"{where}: sample_weight has {len(w)} weights, but the outputs are "
                         f"scored as {rows} rows, not the same number per sample (batches padded "
                         f"each to its own length?); weigh such data yourself")
    return np.repeat(w, rows // len(w))


def _several_binary(y: np.ndarray, loss_fn: Callable) -> bool:
    """Whether a two-class loss has several targets per sample, (N, D) (a multi-label
    classifier's, an autoencoder's pixels): then "accuracy" is the fraction of the N·D labels
    that are right, and precision, recall and F1 are those of all N·D labels as one set."""
    declared = S.loss_task(loss_fn)
    return declared is not None and declared.task == "binary" and y.size != len(y)


def _per_position(outputs: np.ndarray, y: np.ndarray, loss_fn: Callable) -> bool:
    """Whether a classifier's outputs are PyTorch's K-dimensional (N, C, d1, ...) (a sequence's
    (N, C, T)), against labels (N, d1, ...) or probabilities of their shape."""
    if outputs.ndim < 3 or not (y.ndim + 1 == outputs.ndim or y.shape == outputs.shape):
        return False
    declared = S.loss_task(loss_fn)
    return declared is not None and declared.task == "multiclass"


def _joined(outputs: list[np.ndarray], targets: list[np.ndarray], loss_fn: Callable,
            where: str) -> tuple[np.ndarray, np.ndarray]:
    """The batches' outputs and labels, each as one array for the metrics. Batches of labels
    per position padded each to its own length (a collate_fn with pad_sequence) differ in their
    d1, ...: each batch's positions become rows first (so `predict` gets rows (M, C) then)."""
    first = outputs[0].shape
    other = next((out.shape for out in outputs if out.shape[1:] != first[1:]), None)
    if other is not None:
        if not _per_position(outputs[0], targets[0], loss_fn):
            raise ValueError(f"{where}: the model's outputs have shape {first} in one batch "
                             f"and {other} in another; the metrics score them all together: "
                             f"pass metrics=() to record only the loss")
        outputs, targets = zip(*(_positions_as_rows(out, y) for out, y in zip(outputs, targets)))
    return np.concatenate(outputs), np.concatenate(targets)


def _positions_as_rows(outputs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each position a sample, as the loss sees them: outputs (N, C, d1, ...) as rows (M, C),
    labels (N, d1, ...) as (M,), probabilities as rows (M, C); so the metrics score every
    position (accuracy: the fraction of positions whose arg-max over C is right)."""
    c = outputs.shape[1]
    rows = np.moveaxis(outputs, 1, -1).reshape(-1, c)
    if y.shape == outputs.shape:
        return rows, np.moveaxis(y, 1, -1).reshape(-1, c)
    return rows, y.reshape(-1)
