"""What a loss and a metric say about themselves, so that `fit`, `evaluate`, `cross_validate` and
`GridSearch` can score and rank any of them without a table of known functions.

A **loss** declares the task it serves and how its model's outputs become class labels:

- `task`: "regression", "binary" or "multiclass";
- `to_labels`: "argmax" (the largest output; the default for "multiclass"), "logit" (z > 0,
  i.e. σ(z) > 1/2), "probability" (p > 0.5), "sign" (labels ±1: score > 0), or a function
  from the outputs (an ndarray) to labels.

The losses of `nn.functional` and `nn.losses` are declared. Declare your own with
`declare_loss`, or set the same attributes yourself (on a function, or on a loss Module class);
a wrapper made with `functools.wraps(loss)` and a `functools.partial(loss, ...)` inherit them:

>>> from nn import functional as F
>>> @declare_loss("regression")
... def huber(pred, target, delta=1.0):
...     ...
>>> def weighted_ce(logits, labels):
...     return 2.0 * F.cross_entropy(logits, labels)
>>> weighted_ce.task = "multiclass"          # the same as @declare_loss("multiclass")
>>> loss_task(huber).task, loss_task(weighted_ce).to_labels.__name__
('regression', 'argmax')

From the task, `fit` picks its default metrics: accuracy for classification, R² for regression,
none (only the loss) for a loss that declares nothing, nor for targets those scores do not suit
(several per sample for a regression or two-class loss, as an autoencoder's; see
`default_metrics`).

A **metric** knows whether a higher or a lower value is better, and everything that ranks by it
(GridSearch, EarlyStopping, History.best_epoch, ReduceLROnPlateau in `fit`) goes that way. The
names of `METRICS`, scikit-learn's scoring names where it has one:

- of class labels: "accuracy", "balanced_accuracy", "matthews_corrcoef", "precision",
  "recall", "f1" (macro-averaged for more than two classes), and "precision_macro",
  "recall_micro", "f1_weighted"... (each of the three with "_macro", "_micro", "_weighted");
- of the class probabilities: "roc_auc" (one class against the rest, averaged, for more than
  two), "roc_auc_ovr", "roc_auc_ovr_weighted", "average_precision", "top_k_accuracy" (k=2),
  "log_loss" (lower is better);
- of a regression's outputs: "r2", "explained_variance", "mse", "rmse", "mae", "mape" (the
  last four lower is better);
- scikit-learn's negated errors, higher is better as its scorers always are, with its
  numbers: "neg_log_loss", "neg_mean_squared_error", "neg_root_mean_squared_error",
  "neg_mean_absolute_error", "neg_mean_absolute_percentage_error".

"loss" (lower is better) is always recorded. A function metric `f(y_true, y_pred)` declares
its direction, and what `y_pred` is, with `declare_metric`, or by the attributes
`higher_is_better` and `on`: "labels" (class labels; the default for a classifier),
"outputs" (the model's raw outputs; the default for a regression loss), "probabilities"
(the class probabilities the outputs stand for: σ of a logit, softmax of a row of logits or
log-probabilities, probabilities as they are; refused for a loss whose outputs are margins,
as the hinge loss's), or "scores" (the probabilities where there are some, else a margin
loss's raw scores: for metrics that only rank them, as AUC, which refuses a multiclass margin
loss's, needing probabilities for several classes as scikit-learn's does; for two classes one
per sample, class 1's, as scikit-learn's scorers give them, a softmax model's of two columns
too). The functions of `nn.metrics` are declared (`log_loss` on probabilities;
`roc_auc_score`, `average_precision_score` and `top_k_accuracy_score` on scores), so a model
of logits hands them probabilities, never logits:

>>> import numpy as np
>>> @declare_metric(higher_is_better=False, on="outputs")
... def max_error(y_true, y_pred):
...     return float(np.max(np.abs(y_true - y_pred)))
>>> max_error.higher_is_better, max_error.on
(False, 'outputs')
"""

from __future__ import annotations

import difflib
import functools
import inspect
from typing import Any, Callable, Iterable, NamedTuple

import numpy as np

from . import metrics as M

__all__ = ["declare_loss", "declare_metric", "loss_task", "loss_name", "LossTask", "LABEL_RULES",
           "label_weight", "default_metrics", "Metric", "METRICS", "metric_list", "metric_table",
           "higher_is_better", "mode_of", "probabilities_rule", "PROBABILITY_RULES"]

TASKS = ("regression", "binary", "multiclass")


# -- from a model's outputs to class labels --------------------------------------------------------

def argmax(outputs: np.ndarray) -> np.ndarray:
    """The column of the largest output (logits, probabilities, log-probabilities alike)."""
    return outputs.argmax(axis=-1)


def logit(outputs: np.ndarray) -> np.ndarray:
    """1 where the logit is positive: σ(z) > 1/2  ⇔  z > 0."""
    return (_per_sample(outputs) > 0).astype(np.int64)


def probability(outputs: np.ndarray) -> np.ndarray:
    """1 where the probability exceeds 1/2, as the logit rule reads σ(z) > 1/2 (and
    `LogisticRegression.predict`): p = 1/2 exactly, an untrained zero model's, is class 0 both ways.

    >>> probability(np.array([0.2, 0.5, 0.7]))
    array([0, 0, 1])
    """
    return (_per_sample(outputs) > 0.5).astype(np.int64)


def sign(outputs: np.ndarray) -> np.ndarray:
    """+1 where the score is positive, else -1 (max-margin labels)."""
    return np.where(_per_sample(outputs) > 0, 1, -1)


def _per_sample(outputs: np.ndarray) -> np.ndarray:
    """A two-class model's outputs, (N,) when it gives one per sample (an (N, 1) column too);
    several per sample (N, d1, ...), one label each (a multi-label classifier, or an
    autoencoder's pixels), keep their shape.

    >>> _per_sample(np.zeros((3, 1))).shape, _per_sample(np.zeros((3, 2))).shape
    ((3,), (3, 2))
    """
    return outputs.reshape(len(outputs)) if outputs.size == len(outputs) else outputs


#: the rules a loss can name as its `to_labels`
LABEL_RULES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "argmax": argmax, "logit": logit, "probability": probability, "sign": sign,
}


# -- from a model's outputs to class probabilities -------------------------------------------------

def sigmoid(outputs: np.ndarray) -> np.ndarray:
    """σ(z) of each logit, in float64: exp(-log(1 + e^-z)), which neither overflows for a large
    -z nor rounds a tiny probability to 0 (log_loss would clip it and say 36 for 40).

    >>> sigmoid(np.array([0.0, -800.0, 800.0]))
    array([0.5, 0. , 1. ])
    """
    return np.exp(-np.logaddexp(0.0, -_per_sample(outputs).astype(np.float64)))


def softmax(outputs: np.ndarray) -> np.ndarray:
    """Each row of logits as probabilities, in float64. Log-probabilities (nll_loss's inputs)
    come back as their probabilities: softmax(log p) = p / Σp = p.

    >>> softmax(np.log(np.array([[0.2, 0.3, 0.5]]))).round(12)
    array([[0.2, 0.3, 0.5]])
    """
    z = outputs.astype(np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def as_they_are(outputs: np.ndarray) -> np.ndarray:
    """A two-class model's probabilities (a sigmoid's), one per sample."""
    return _per_sample(outputs).astype(np.float64)


#: a loss's rule to labels says what its outputs are, so how they become probabilities; a
#: margin loss's ("sign": the hinge loss's ±1 scores) have none
PROBABILITY_RULES: dict[Callable, Callable[[np.ndarray], np.ndarray] | None] = {
    logit: sigmoid, argmax: softmax, probability: as_they_are, sign: None,
}


# -- losses ----------------------------------------------------------------------------------------

class LossTask(NamedTuple):
    """What a loss declared: its task and its rule from outputs to labels (None for
    regression)."""
    task: str
    to_labels: Callable[[np.ndarray], np.ndarray] | None


def _checked(where: str, task: Any, to_labels: Any) -> None:
    if task not in TASKS:
        raise ValueError(f"{where}: task must be one of {TASKS}, got {task!r}")
    if task == "regression" and to_labels is not None:
        raise ValueError(f"{where}: a regression loss has no class labels, so no to_labels "
                         f"(got {to_labels!r})")
    if task == "binary" and to_labels is None:
        raise ValueError(f"{where}: a binary loss must say how its outputs become labels: "
                         f"to_labels='logit', 'probability', 'sign' or a function")
    if to_labels is not None and not callable(to_labels) and to_labels not in LABEL_RULES:
        raise ValueError(f"{where}: to_labels must be one of {sorted(LABEL_RULES)} or a "
                         f"function outputs -> labels, got {to_labels!r}")


def declare_loss(task: str, to_labels: str | Callable | None = None) -> Callable:
    """Decorator for a loss function or loss Module class: sets `task` and `to_labels`.

    `to_labels` defaults to "argmax" for "multiclass"; "binary" needs it.
    """
    if task == "multiclass" and to_labels is None:
        to_labels = "argmax"
    _checked("declare_loss", task, to_labels)

    def declare(loss: Any) -> Any:
        loss.task = task
        # on a class a plain function would become a method; a rule takes only the outputs
        loss.to_labels = (staticmethod(to_labels) if isinstance(loss, type) and callable(to_labels)
                          else to_labels)
        return loss
    return declare


def _unwrapped(loss: Any) -> Any:
    while isinstance(loss, functools.partial) and not hasattr(loss, "task"):
        loss = loss.func
    return loss


def loss_task(loss: Any) -> LossTask | None:
    """What `loss` declares (see the module docstring), or None if it declares no task."""
    declared = _unwrapped(loss)
    task = getattr(declared, "task", None)
    if task is None:
        return None
    rule = getattr(declared, "to_labels", None)
    if task == "multiclass" and rule is None:
        rule = "argmax"
    _checked(f"the loss {loss_name(loss)}", task, rule)
    return LossTask(task, LABEL_RULES.get(rule, rule) if isinstance(rule, str) else rule)


def probabilities_rule(loss: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """How the loss's outputs become class probabilities (see `PROBABILITY_RULES`), or None
    when they are no probabilities (a margin loss's scores, a regression's numbers, a loss that
    declares nothing). A loss may say so itself with `to_probabilities` (a function of the
    outputs, or None), as `multi_margin_loss` does: its outputs are read by arg-max as logits
    are, but they are margins.

    >>> from nn import binary_cross_entropy_with_logits, hinge_loss, nll_loss
    >>> probabilities_rule(binary_cross_entropy_with_logits).__name__
    'sigmoid'
    >>> probabilities_rule(nll_loss).__name__       # softmax(log p) = p
    'softmax'
    >>> probabilities_rule(hinge_loss) is None
    True
    """
    declared = loss_task(loss)
    if declared is None or declared.to_labels is None:
        return None
    own = _unwrapped(loss)
    if hasattr(own, "to_probabilities"):
        return own.to_probabilities
    return PROBABILITY_RULES.get(declared.to_labels)


def loss_name(loss: Any) -> str:
    """The loss's name for messages (a function's name, a loss Module's class name)."""
    loss = _unwrapped(loss)
    return getattr(loss, "__name__", None) or type(loss).__name__


def ignored_label(loss: Any) -> int | None:
    """The label a multiclass loss leaves out (PyTorch's `ignore_index`): the loss module's
    `ignore_index`, a `functools.partial`'s keyword, else PyTorch's default -100 (never a class);
    None for other tasks. Metrics of class labels leave those samples out too.

    >>> import functools
    >>> from nn import CrossEntropyLoss, cross_entropy, mse_loss
    >>> ignored_label(cross_entropy), ignored_label(CrossEntropyLoss(ignore_index=0))
    (-100, 0)
    >>> ignored_label(functools.partial(cross_entropy, ignore_index=3)), ignored_label(mse_loss)
    (3, None)
    """
    declared = loss_task(loss)
    if declared is None or declared.task != "multiclass":
        return None
    while isinstance(loss, functools.partial):
        if "ignore_index" in loss.keywords:
            return loss.keywords["ignore_index"]
        loss = loss.func
    return getattr(loss, "ignore_index", -100)


def label_weight(loss: Any) -> np.ndarray | None:
    """The class weights whose total over a batch's labels the loss's mean divides by, PyTorch's
    `weight` of `cross_entropy` and `nll_loss` (a loss that says so has `weighted_mean = True`):
    the loss module's `weight`, or a `functools.partial`'s keyword; None for any other loss, and
    for a loss given no weight, whose mean divides by the count. `fit` and `evaluate` weigh each
    batch's mean by it, so their mean over the data is the loss of the whole data at once.
    (A lambda that passes `weight=` hides it: use the module or a partial.)

    >>> import functools
    >>> from nn import CrossEntropyLoss, cross_entropy
    >>> label_weight(CrossEntropyLoss([1.0, 3.0])), label_weight(cross_entropy)
    (array([1., 3.]), None)
    >>> label_weight(functools.partial(cross_entropy, weight=[1.0, 3.0]))
    array([1., 3.])
    """
    weight = None
    while isinstance(loss, functools.partial):
        if weight is None and "weight" in loss.keywords:
            weight = loss.keywords["weight"]
        loss = loss.func
    if not getattr(loss, "weighted_mean", False):
        return None
    if weight is None and not callable(getattr(loss, "weight", None)):
        weight = getattr(loss, "weight", None)      # a module's buffer (None when unweighted)
    return None if weight is None else np.asarray(getattr(weight, "data", weight), dtype=float)


def default_metrics(loss: Any, y: np.ndarray | None = None) -> tuple[str, ...]:
    """Accuracy for a classification loss, R² for a regression loss, none for an undeclared one.

    Given the targets `y`, none either (only the loss, as PyTorch and Keras record) where the
    score would not be what a user means by it:

    - a regression or two-class loss with several targets per sample, (N, D): an autoencoder's
      784 pixels, or a multi-label classifier's labels. R² is then the mean of 784 per-pixel
      R² (scikit-learn's rule), and a pixel that is dark in all but one image scores thousands
      below zero however well the images are rebuilt; accuracy would be the fraction of right
      pixels. Ask for "r2" or "accuracy" by name to have them all the same;
    - a two-class loss whose targets are not labels (soft targets such as 0.3): accuracy
      compares labels, and refuses them.

    >>> from nn import binary_cross_entropy, mse_loss
    >>> default_metrics(mse_loss, np.zeros(5)), default_metrics(mse_loss, np.zeros((5, 784)))
    (('r2',), ())
    >>> labels, soft = np.array([0.0, 1.0]), np.array([0.3, 1.0])
    >>> default_metrics(binary_cross_entropy, labels), default_metrics(binary_cross_entropy, soft)
    (('accuracy',), ())
    """
    declared = loss_task(loss)
    if declared is None:
        return ()
    if declared.task == "multiclass":       # labels, or one-hot / probability rows: accuracy
        return ("accuracy",)
    if y is not None and (y.size != len(y) or (declared.task == "binary" and not is_labels(y))):
        return ()
    return ("r2",) if declared.task == "regression" else ("accuracy",)


def is_labels(y: np.ndarray) -> bool:
    """Whether targets of floats are whole numbers, as class labels are (0.0 / 1.0, ±1.0).
    Targets of other kinds are not judged here (integers are labels; the checks of the data
    refuse what is not numbers).

    >>> is_labels(np.array([0.0, 1.0, 1.0])), is_labels(np.array([0.0, 0.3]))
    (True, False)
    """
    return y.dtype.kind != "f" or bool(np.all(np.round(y) == y))


# -- metrics ---------------------------------------------------------------------------------------

class Metric(NamedTuple):
    """A metric as `fit` runs it: `score(y, labels, outputs, sample_weight)`, its direction,
    and what it scores, `on`: "labels" (then `outputs` are the raw outputs, for their shape),
    "outputs", "probabilities" or "scores" (then `outputs` are those; see the module
    docstring)."""
    name: str
    score: Callable[[np.ndarray, Any, np.ndarray, np.ndarray | None], float]
    higher_is_better: bool | None
    on: str = "labels"
    weighted: bool = True           # whether it takes sample_weight=

    @property
    def on_labels(self) -> bool:
        return self.on == "labels"


ON = ("labels", "outputs", "probabilities", "scores")


def _weighted(w: np.ndarray | None) -> dict[str, Any]:
    """The keyword a metric of `nn.metrics` takes the weights by (none without weights, so a
    function of one's own that takes no weights still works unweighted)."""
    return {} if w is None else {"sample_weight": w}


def _of_labels(score: Callable, **options: Any) -> Callable:
    def of_labels(y: np.ndarray, labels: np.ndarray, outputs: Any, w: np.ndarray | None = None
                  ) -> float:
        return score(y, labels, **options, **_weighted(w))
    return of_labels


def _per_class(score: Callable) -> Callable:
    """precision/recall/F1 of the positive class for a two-class model, macro-averaged for more.

    The model decides, not the data: a 3-class model scored on a fold or validation set that
    holds only two of its classes is still macro-averaged (the binary score of class 1 there
    would be another number under the same name, or an error when class 1 is missing).
    """
    def per_class(y: np.ndarray, labels: np.ndarray, outputs: np.ndarray,
                  w: np.ndarray | None = None) -> float:
        columns = outputs.shape[1] if outputs.ndim == 2 else 1
        seen = np.unique(np.concatenate([np.ravel(y), np.ravel(labels)]))
        several = columns > 2 or len(seen) > 2
        return score(y, labels, average="macro" if several else "binary", **_weighted(w))
    return per_class


def _on_outputs(name: str, score: Callable) -> Callable:
    def on_outputs(y: np.ndarray, labels: Any, outputs: np.ndarray,
                   w: np.ndarray | None = None) -> float:
        outputs = outputs_like(name, y, outputs)
        if y.ndim > 2:      # an image per sample (an autoencoder's): its pixels are its outputs
            y, outputs = y.reshape(len(y), -1), outputs.reshape(len(y), -1)
        return score(y, outputs, **_weighted(w))
    return on_outputs


def outputs_like(name: str, y: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """The outputs in y's shape, for a metric that compares them with y; a classifier's (N, C)
    outputs against (N,) labels are refused, naming the metric.

    >>> outputs_like("r2", np.zeros(3), np.zeros((3, 2)))
    Traceback (most recent call last):
    ValueError: metric 'r2' is a regression metric: it compares the model's outputs with y, ...
    """
    if outputs.size != y.size and name not in METRICS:      # roc_auc_score, your own
        raise ValueError(f"metric {name!r} takes the model's outputs, one score per sample, "
                         f"but they have shape {outputs.shape} and y has shape {y.shape}; for "
                         f"a model of one output per class, declare it "
                         f"@nn.scoring.declare_metric(..., on='probabilities') to be given "
                         f"the class probabilities")
    if outputs.size != y.size:                              # "r2", "mse": regression's
        raise ValueError(f"metric {name!r} is a regression metric: it compares the model's "
                         f"outputs with y, but the outputs have shape {outputs.shape} (one "
                         f"column per class?) and y has shape {y.shape}; for a classifier use "
                         f"'accuracy', 'precision', 'recall' or 'f1'")
    return outputs.reshape(y.shape)


def model_classes(probabilities: np.ndarray) -> np.ndarray:
    """The classes a model's probabilities stand for: 0 and 1 for one per sample (the
    probability of 1), else 0 .. C-1, one per column, as cross_entropy's labels are.

    >>> model_classes(np.zeros(4)), model_classes(np.zeros((4, 3)))
    (array([0, 1]), array([0, 1, 2]))
    """
    return np.arange(2 if probabilities.ndim == 1 else probabilities.shape[1])


#: the metrics of probabilities that take labels=, given the model's classes: the model decides
#: which classes there are, not the data (a fold holding two of three classes, or one)
_TAKE_LABELS = (M.log_loss, M.top_k_accuracy_score)


def _given_model_classes(metric: Callable) -> bool:
    """Whether `metric` is one of `_TAKE_LABELS` (a partial of one too) whose labels= is left to
    be the model's classes, not fixed by the partial."""
    fixed: set[str] = set()
    while isinstance(metric, functools.partial):
        fixed |= set(metric.keywords)
        metric = metric.func
    return metric in _TAKE_LABELS and "labels" not in fixed


def _on_probabilities(score: Callable, **options: Any) -> Callable:
    """`score(y, probabilities)`, given labels= the model's classes when it takes them."""
    model_labels = _given_model_classes(score)

    def on_probabilities(y: np.ndarray, labels: Any, probabilities: np.ndarray,
                         w: np.ndarray | None = None) -> float:
        classes = model_classes(probabilities)
        # (a margin loss's ±1 labels are not those classes: the metric reads y's own then)
        classes = {"labels": classes} if model_labels and np.isin(y, classes).all() else {}
        return score(y, probabilities, **classes, **options, **_weighted(w))
    return on_probabilities


def _negated(name: str, metric: Metric) -> Metric:
    """scikit-learn's neg_ spelling of an error: its negative, so higher is better."""
    score = metric.score
    return Metric(name, lambda *args: -score(*args), True, metric.on)


def _table() -> dict[str, Metric]:
    """METRICS: the functions of `nn.metrics` under scikit-learn's scoring names, each ranked
    the way the function declares (its `higher_is_better`) and given what it declares it
    scores (its `on`: labels unless it says otherwise)."""
    metrics = [Metric(name, _of_labels(f), f.higher_is_better) for name, f in (
        ("accuracy", M.accuracy), ("balanced_accuracy", M.balanced_accuracy_score),
        ("matthews_corrcoef", M.matthews_corrcoef))]
    metrics += [Metric(name, _per_class(f), f.higher_is_better) for name, f in (
        ("precision", M.precision), ("recall", M.recall), ("f1", M.f1_score))]
    metrics += [Metric(name, _on_probabilities(f, **options), f.higher_is_better, f.on)
                for name, f, options in (
                    ("roc_auc", M.roc_auc_score, {}), ("roc_auc_ovr", M.roc_auc_score, {}),
                    ("roc_auc_ovr_weighted", M.roc_auc_score, {"average": "weighted"}),
                    ("average_precision", M.average_precision_score, {}),
                    ("top_k_accuracy", M.top_k_accuracy_score, {}), ("log_loss", M.log_loss, {}))]
    metrics += [Metric(name, _on_outputs(name, f), f.higher_is_better, "outputs")
                for name, f in (
                    ("r2", M.r2_score), ("explained_variance", M.explained_variance_score),
                    ("mse", M.mean_squared_error), ("rmse", M.root_mean_squared_error),
                    ("mae", M.mean_absolute_error),
                    ("mape", M.mean_absolute_percentage_error))]
    metrics += [Metric(f"{name}_{average}", _of_labels(f, average=average), f.higher_is_better)
                for name, f in (("precision", M.precision), ("recall", M.recall),
                                ("f1", M.f1_score))
                for average in ("macro", "micro", "weighted")]
    table = {metric.name: metric for metric in metrics}
    for neg, plain in (("neg_log_loss", "log_loss"), ("neg_mean_squared_error", "mse"),
                       ("neg_root_mean_squared_error", "rmse"),
                       ("neg_mean_absolute_error", "mae"),
                       ("neg_mean_absolute_percentage_error", "mape")):
        table[neg] = _negated(neg, table[plain])
    return table


#: the metrics `fit` knows by name (see the module docstring)
METRICS: dict[str, Metric] = _table()


def declare_metric(higher_is_better: bool, on: str = "labels") -> Callable:
    """Decorator for a metric function f(y_true, y_pred): its direction, and what y_pred is:
    class labels (`on="labels"`), the model's raw outputs (`on="outputs"`), its class
    probabilities (`on="probabilities"`) or those, else a margin loss's scores (`on="scores"`).
    """
    if not isinstance(higher_is_better, bool):
        raise TypeError(f"declare_metric: higher_is_better must be True or False, "
                        f"got {higher_is_better!r}")
    if on not in ON:
        raise ValueError(f"declare_metric: on must be one of {ON}, got {on!r}")

    def declare(metric: Callable) -> Callable:
        metric.higher_is_better, metric.on = higher_is_better, on
        return metric
    return declare


def _function_metric(metric: Callable, task: str | None) -> Metric:
    # a functools.partial(precision, zero_division=0.0) is named and declared as precision is
    # (unless the partial itself was declared, with declare_metric)
    declared = innermost = metric
    while isinstance(innermost, functools.partial):
        innermost = innermost.func
        if not hasattr(declared, "higher_is_better") and not hasattr(declared, "on"):
            declared = innermost
    name = getattr(innermost, "__name__", type(innermost).__name__)
    on = getattr(declared, "on", "outputs" if task == "regression" else "labels")
    if on not in ON:
        raise ValueError(f"metric {name}: on must be one of {ON}, got {on!r}")
    if on == "labels":
        score = _of_labels(metric)
    elif on == "outputs":
        score = _on_outputs(name, metric)
    else:
        score = _on_probabilities(metric)
    return Metric(name, score, getattr(declared, "higher_is_better", None), on,
                  _takes_weights(metric))


def _takes_weights(metric: Callable) -> bool:
    """Whether `metric` takes sample_weight= (by name, or by **kwargs)."""
    try:
        parameters = inspect.signature(metric).parameters.values()
    except (TypeError, ValueError):         # no signature to read: let the call say
        return True
    return any(p.name == "sample_weight" or p.kind is p.VAR_KEYWORD for p in parameters)


def metric_list(metrics: str | Callable | Iterable[str | Callable]) -> tuple:
    """The metrics as a tuple; one name or one function alone is a metric, not a sequence
    (`metrics="f1"` would otherwise be read letter by letter).

    >>> metric_list("f1"), metric_list(["accuracy", "f1"])
    (('f1',), ('accuracy', 'f1'))
    """
    if isinstance(metrics, str) or callable(metrics):
        return (metrics,)
    return tuple(metrics)


def metric_table(metrics: str | Callable | Iterable[str | Callable], task: str | None = None,
                 where: str = "fit") -> dict[str, Metric]:
    """name → Metric for names of `METRICS` and metric functions f(y_true, y_pred) (one name
    or function alone, or a sequence of them)."""
    chosen = {}
    for metric in metric_list(metrics):
        if callable(metric):
            entry = _function_metric(metric, task)
        elif metric in METRICS:
            entry = METRICS[metric]
        else:
            close = difflib.get_close_matches(str(metric).replace("-", "_").lower(), METRICS,
                                              n=1)       # "roc-auc", "Accuracy", "f1_Macro"
            meant = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{where}: unknown metric {metric!r}{meant}; expected one of "
                             f"{sorted(METRICS)} or a function metric(y_true, y_pred)")
        if entry.name == "loss":
            raise ValueError(f"{where}: a metric cannot be called 'loss' (the loss is always "
                             f"recorded under that name)")
        chosen[entry.name] = entry
    return chosen


def higher_is_better(name: str, chosen: dict[str, Metric], where: str = "fit") -> bool:
    """The direction of a recorded score: "loss", "val_loss", a metric's name or "val_" + it."""
    base = name.removeprefix("val_")
    if base == "loss":
        return False
    metric = chosen.get(base) or METRICS.get(base)
    if metric is None:
        raise ValueError(f"{where}: {name!r} is not a recorded score; the scores are 'loss' and "
                         f"the metrics {sorted(chosen)} (with 'val_' for validation)")
    if metric.higher_is_better is None:
        raise ValueError(f"{where}: cannot rank by {name!r}: the metric does not say whether "
                         f"higher or lower is better; declare it with "
                         f"@nn.scoring.declare_metric(higher_is_better=...) or set "
                         f"{base}.higher_is_better = True/False")
    return metric.higher_is_better


def mode_of(name: str, chosen: dict[str, Metric], where: str = "fit") -> str:
    """"max" for a higher-is-better score, "min" for a lower-is-better one."""
    return "max" if higher_is_better(name, chosen, where) else "min"
