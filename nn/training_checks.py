"""What `fit` and `evaluate` check before they train or score, so that a mistake is named
where it is made rather than deep inside the loop: the data turned into checked batches
(`_batches`) and how the model is called on them (`_forward_for`), the targets against the
loss's task, the other arguments (model, loss, optimizer, scheduler, early stopping), and the
loss called with its shape errors explained (`_loss_of`). The loop is in nn/train.py.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable, Sequence

import numpy as np

from autograd import Tensor, no_grad

from . import scoring as S
from .data import DataLoader, Dataset, TensorDataset
from .data.dataset import _length
from .data.loader import batching, checked_arrays, checked_inputs, generator, several_inputs
from .history import EarlyStopping
from .module import Module, as_parameter_dtype
from .optim.lr_scheduler import CyclicLR, OneCycleLR


# -- the data, as checked batches ------------------------------------------------------------------

def _batches(data: Any, batch_size: int, shuffle: bool, seed: Any, where: str,
             drop_last: bool = False, dtype: np.dtype | None = None) -> DataLoader:
    """A DataLoader for `data`: a DataLoader as it is, a Dataset or an (X, y) pair batched by
    these options. A pair is checked first, with errors naming `where` ("fit: train_data"),
    and so are the batching options, with errors naming the function ("fit": they are its
    arguments, not the DataLoader's). A pair's floating arrays are cast to `dtype` (the
    model's) here, once, rather than batch by batch every epoch. A pair whose X is a tuple
    of arrays holds the model's several inputs, ((X_a, X_b), y): its batches are (xa, xb, yb), the
    inputs Tensors, as a DataLoader over TensorDataset(X_a, X_b, y) gives them."""
    if isinstance(data, DataLoader):
        if data._unbatched:
            raise ValueError(f"{where} is a DataLoader with batch_size=None, which gives the "
                             f"samples one at a time; fit and evaluate take batches: give it "
                             f"a batch_size")
        if data._stream:                    # an IterableDataset: read in its own order
            try:
                len(data)
            except TypeError:
                raise TypeError(f"{where} is a DataLoader over a stream without len(): fit and "
                                f"evaluate count an epoch's batches (for the progress bar and "
                                f"the schedules); give {type(data.dataset).__name__} a "
                                f"__len__, or write the training loop") from None
        if data.X is None:                  # a dataset of samples: its batches are checked
            return data                     # by _labels_seen
        if len(data.dataset.arrays) == 1:     # (with more, all but the last are inputs)
            raise ValueError(f"{where} is a DataLoader without labels y; training and scoring "
                             f"need (X, y)")
        return data
    pair = isinstance(data, (tuple, list)) and len(data) == 2
    if not (pair or isinstance(data, Dataset)):
        samples = isinstance(data, list) and bool(data) and isinstance(data[0], tuple)
        weights = (where == "fit: train_data" and isinstance(data, tuple) and len(data) == 3
                   and not samples)        # Keras' (X, y, sample_weight)
        raise TypeError(f"{where} must be a DataLoader, a Dataset or an (X, y) pair, got "
                        f"{type(data).__name__}"
                        + (f" of {len(data)} samples; batch them with DataLoader(samples, "
                           f"batch_size=32, shuffle=True)" if samples else "")
                        + ("; for (X, y, w) give the weights by name: fit(model, loss_fn, "
                           "optimizer, (X, y), sample_weight=w); for a model of several "
                           "inputs, ((X_a, X_b), y)" if weights else ""))
    if pair:
        if data[1] is None:
            raise TypeError(f"{where} is (X, None); training and scoring need the labels or "
                            f"targets y: pass (X, y)")
        if several_inputs(data[0], data[1]):    # ((X_a, X_b), y): the model's several inputs
            inputs, y = checked_inputs(where, data[0], data[1])
            data = (*(as_parameter_dtype(x, dtype, f"{where}: X[{i}]")
                      for i, x in enumerate(inputs)),
                    as_parameter_dtype(y, dtype, f"{where}: y"))
        else:
            data = _checked_pair(where, data[0], data[1])
            data = (as_parameter_dtype(data[0], dtype, f"{where}: X"),
                    as_parameter_dtype(data[1], dtype, f"{where}: y"))
    elif _length(where, data) == 0:
        raise ValueError(f"{where} is an empty dataset; there is nothing to batch")
    function = where.split(":")[0]
    batch_size, shuffle, drop_last = batching(function, len(data[0]) if pair else len(data),
                                              batch_size, shuffle, drop_last)
    if seed is not None:
        seed = generator(function, seed)
    options = dict(batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                   seed=seed if shuffle else None)        # (fit's seed does nothing then)
    if pair and len(data) > 2:              # every input given back as a Tensor, y as it is
        given_as_tensors = (True,) * (len(data) - 1) + (False,)
        return DataLoader(TensorDataset._of_checked(data, given_as_tensors), **options)
    if pair:
        return DataLoader(*data, **options)
    # a Dataset (your own, random_split's Subsets): batched as DataLoader(data) batches it
    return _batches(DataLoader(data, **options), batch_size, shuffle, None, where)


def _checked_pair(where: str, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """`checked_arrays(where, X, y)`; a list of arrays, read as rows of X, is a model's inputs
    given as Keras takes them: an error that does not fit says to give them as a tuple."""
    try:
        return checked_arrays(where, X, y)
    except ValueError as error:
        if isinstance(X, list) and all(isinstance(x, (np.ndarray, Tensor)) for x in X):
            raise ValueError(f"{error} (X is a list of {len(X)} arrays, read as its rows; the "
                             f"inputs of a model of several go in a tuple: ((X_a, X_b), y))"
                             ) from None
        raise


def _scored_whole(where: str, loader: DataLoader) -> DataLoader:
    """`loader`, for data that is scored (val_data, evaluate's data): every sample must count,
    so a DataLoader whose drop_last would leave its short last batch out is refused."""
    if not loader.drop_last:
        return loader
    visited = len(loader.X) if loader._direct else len(loader.dataset) if loader._stream \
        else len(loader.batch_sampler.sampler)
    left_out = visited % loader.batch_size
    if left_out:
        raise ValueError(f"{where} is a DataLoader with drop_last=True, which would leave its "
                         f"last {left_out} of {visited} samples out of the scores; "
                         f"pass (X, y), or a DataLoader without drop_last")
    return loader


def _labels_seen(where: str, loader: DataLoader) -> tuple[np.ndarray, Sequence]:
    """The labels the checks before training read, and the model's inputs as a batch holds
    them (the entries before y). For arrays, all the labels (the last array), and the input
    arrays; for a DataLoader over a dataset of samples, which would have to load every sample
    to give them, the labels and inputs of its first batch_size samples (read in the
    dataset's order, so the loader's shuffling is left as it was; a stream's first batch).
    Batches that are not (x, y) or (x1, ..., xk, y) are refused here."""
    if loader.X is not None:
        *inputs, labels = loader.dataset.arrays
        return labels, inputs
    if loader._stream:                      # a stream's first batch, read once more
        first = next(iter(loader), None)
        if first is None:
            raise ValueError(f"{where}: the stream {type(loader.dataset).__name__} gave no "
                             f"samples; there is nothing to train on or score")
    else:
        size = loader.batch_size or 32      # (None: a batch_sampler gives the batches)
        first = loader._batch_of(list(range(min(size, len(loader.dataset)))))
    if not isinstance(first, (tuple, list)) or len(first) < 2:
        what = f"a {type(first).__name__}"
        if isinstance(first, (tuple, list)):
            what += f" of {len(first)}"
        elif isinstance(first, dict):
            what += f" with the keys {sorted(map(str, first))}"
        raise ValueError(f"{where}: fit and evaluate take batches (x, y), or (x1, ..., xk, y) "
                         f"for a model of several inputs, but this DataLoader's batches are "
                         f"{what}; return (x, y) from the dataset (or from a collate_fn), or "
                         f"write the training loop")
    *inputs, labels = first
    return _label_array(labels), inputs


def _label_array(yb: Any) -> np.ndarray:
    """A batch's labels as the ndarray the loss, the counts and the metrics read here: a
    DataLoader gives them back as Tensors when they were given as a Tensor (a collate_fn may
    give a list)."""
    return yb.data if isinstance(yb, Tensor) else np.asarray(yb)


def _forward_for(where: str, model: Module, inputs: Sequence) -> Callable[..., Any]:
    """How fit and evaluate call `model` on a batch's inputs (`inputs`: those of one batch,
    the entries before y): `model(x)` for one input, `model(xa, xb)` for several (a scalar
    model's `forward_batch`, sample by sample, in both cases), whether a batch holds them side
    by side, (xa, xb, y), or as one tuple or list, ((xa, xb), y) (a namedtuple, such as a
    PackedSequence, is one input). A forward that takes one argument gets a tuple given as
    one, ((xa, xb), y), as it is, and unpacks it itself (`forward(self, inputs)`). The loops
    call `forward(*inputs)` with the entries before y, so one input costs nothing more."""
    together = len(inputs) == 1 and type(inputs[0]) in (tuple, list)   # ((xa, xb), y)
    count = len(inputs[0]) if together else len(inputs)
    parameters = inspect.signature(model.forward).parameters.values()
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in positional]
    fewest = sum(p.default is p.empty for p in positional)
    most = math.inf if any(p.kind is p.VAR_POSITIONAL for p in parameters) else len(positional)
    name = type(model).__name__
    if not together and count == 1:
        if fewest > 1:
            needed = ", ".join(names[:fewest])
            raise TypeError(f"{where} gives {name} one input per sample, but {name}.forward "
                            f"takes {fewest} ({needed}); give them together: arrays as "
                            f"(({needed}), y), or a dataset whose samples are ({needed}, y)")
        return model.forward_batch
    if fewest <= count <= most:
        # a scalar model (forward_batch of its own) goes sample by sample, as for one input
        run = model if type(model).forward_batch is Module.forward_batch else model.forward_batch
        if together:
            return lambda inputs: run(*inputs)
        # a TensorDataset's arrays after the first come back as they were given (ndarrays):
        # the model gets each of its inputs as a Tensor, as it gets x
        return lambda *inputs: run(*(Tensor(x) if isinstance(x, np.ndarray) else x
                                     for x in inputs))
    if together and fewest <= 1 <= most:    # forward(self, inputs): it unpacks them itself
        return model
    takes = (f"{fewest}" if fewest == most else f"at least {fewest}" if most == math.inf
             else f"{fewest} to {most}")
    raise TypeError(f"{where} gives {name} {count} inputs per sample, but {name}.forward takes "
                    f"{takes} ({', '.join(names)})")


# -- the targets against the loss ------------------------------------------------------------------

def _check_targets(where: str, y: np.ndarray, loss_fn: Callable) -> None:
    """Targets that cannot be what the loss's task wants: one-hot rows that are not, or more
    than two classes for a two-class loss. Integers (N, d1, ...) that are not one-hot pass as
    labels per position (a sequence's (N, T)): the loss checks them against the outputs' shape,
    and `_loss_of` refuses them where the outputs have their shape (they would be read as
    probabilities)."""
    declared = S.loss_task(loss_fn)
    if declared is None or declared.task == "regression":
        return
    name = S.loss_name(loss_fn)
    if declared.task == "multiclass" and y.ndim >= 2 and not _class_rows(y):
        if y.dtype.kind in "iu":
            return
        raise ValueError(f"{where}: y has shape {y.shape}, but its rows are not one-hot or "
                         f"probabilities (values in [0, 1] summing to 1); {name} takes "
                         f"class labels of shape ({len(y)},) or such rows (or integer labels "
                         f"per position, (N, d1, ...), for outputs (N, C, d1, ...))")
    if declared.task == "binary" and y.ndim == 1 and y.dtype.kind in "iub":
        classes = np.unique(y)
        if len(classes) > 2:
            shown = classes[:6].tolist()
            raise ValueError(f"{where}: y holds {len(classes)} classes {shown}"
                             f"{'...' if len(classes) > 6 else ''}, but {name} is a two-class "
                             f"loss; for several classes use cross_entropy on one output per "
                             f"class")


def _refuse_float_labels(where: str, y: np.ndarray, loss_fn: Callable,
                         from_samples: bool) -> None:
    """Float targets (N,) for a loss of class labels, refused before training: val_data's
    would otherwise fail only when the first epoch is over. (train_data's fail in the first
    batch, where the model's outputs may show a mistake that comes first.)"""
    declared = S.loss_task(loss_fn)
    if declared is not None and declared.task == "multiclass" and y.ndim == 1 and (
            y.dtype.kind == "f"):
        raise TypeError(_float_labels(where, S.loss_name(loss_fn), y, from_samples))


def _class_rows(y: np.ndarray) -> bool:
    """Whether y (N, C, d1, ...) holds one-hot rows or probabilities along its class axis, 1."""
    return bool(np.all((y >= 0) & (y <= 1)) and np.allclose(y.sum(axis=1), 1, atol=1e-4))


def _targets_from_samples(loader: DataLoader) -> bool:
    """Whether `loader` batches the samples of your own Dataset, whose `__getitem__` gives each
    target its shape (not arrays of X and y, which a reshape fixes; a Subset of them, as
    random_split gives, included)."""
    from .data import Subset
    dataset = loader.dataset
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return loader.y is None and not isinstance(dataset, TensorDataset)


#: how to give y another shape, for arrays and for tables' (a pandas Series or DataFrame has
#: no reshape: y.reshape(-1, 1) on df["price"] is an AttributeError)
_TABLE_COLUMN = " (a pandas or polars Series: y.to_frame())"
_TABLE_VECTOR = (" (a one-column DataFrame: y.iloc[:, 0] in pandas, y.to_series() in "
                  "polars)")
_AS_COLUMN = f"give y as a column, y.reshape(-1, 1){_TABLE_COLUMN}"
_AS_VECTOR = f"give y as a vector, y.reshape(-1){_TABLE_VECTOR}"


def _loss_of(loss_fn: Callable, out: Any, y: np.ndarray, where: str,
             from_samples: bool = False, first: bool = False, weighted: Any = None,
             w: np.ndarray | None = None) -> Any:
    """loss_fn(out, y), or with sample weights `weighted(out, y, w)` (a
    `nn.sample_weights.WeightedLoss` of loss_fn, the batch's weights `w`, whose broadcasting
    check reads the loss unweighted); when outputs (N, 1) meet targets (N,), or outputs (N,)
    targets (N, 1), the loss's own advice to reshape the prediction cannot be followed inside
    fit, so the error says how to give y instead (`from_samples`: y is batched from a
    dataset's samples, whose `__getitem__` is where each target gets its shape); a loss
    written by hand that takes them anyway is caught on the `first` batch, the first epoch's
    (`_refuse_broadcast_loss`). Integer targets of the outputs' shape that are not one-hot are
    refused: the loss would read them as probabilities
    (`_check_targets` let them pass as labels per position)."""
    if y.ndim > 1 and y.dtype.kind in "iu" and np.shape(out) == y.shape:
        _refuse_labels_shaped_like_outputs(where, y, loss_fn)
    if len(np.shape(out)) == 1 and getattr(S.loss_task(loss_fn), "task", None) == "multiclass":
        # a batch's scores (N,) would be read as one sample's C scores, float labels as its
        # probabilities (integer ones the loss refuses itself)
        raise ValueError(f"{where}: {S.loss_name(loss_fn)} got the model's outputs of shape "
                         f"{tuple(np.shape(out))}, one score per sample; it takes (N, C), one "
                         f"column per class: give the model C outputs (SoftmaxRegression, "
                         f"Linear(n, C)), or for two classes and one logit use "
                         f"binary_cross_entropy_with_logits")
    try:
        loss = loss_fn(out, y) if weighted is None else weighted(out, y, w)
    except (ValueError, TypeError) as error:    # (a scalar model's loss raises TypeError)
        if (isinstance(error, TypeError) and np.ndim(y) == 1 and np.asarray(y).dtype.kind == "f"
                and getattr(S.loss_task(loss_fn), "task", None) == "multiclass"):
            # the loss names a dtype fit gave (float32) and may say astype(int), which would
            # silently cut a regression target's 2.7 into class 2
            raise TypeError(_float_labels(where, S.loss_name(loss_fn), np.asarray(y),
                                          from_samples)) from error
        if np.ndim(y) == 1 and len(np.shape(out)) == 2 and np.shape(out)[1] == 1:
            fix = ("make each sample's target an array of one number: return np.array([y]) "
                   "from the dataset's __getitem__" if from_samples else _AS_COLUMN)
            raise ValueError(f"{where}: {S.loss_name(loss_fn)} got the model's outputs of shape "
                             f"{tuple(np.shape(out))} and targets of shape {np.shape(y)}; "
                             f"{fix}") from error
        if np.shape(y)[1:] == (1,) and len(np.shape(out)) == 1:
            # a y column (pandas' df[["price"]]) for a model of one output per sample
            fix = ("make each sample's target a number, not an array of one: return y[0] "
                   "from the dataset's __getitem__" if from_samples else _AS_VECTOR)
            raise ValueError(f"{where}: {S.loss_name(loss_fn)} got the model's outputs of shape "
                             f"{tuple(np.shape(out))} and targets of shape {np.shape(y)}; "
                             f"{fix}") from error
        if (np.shape(y)[1:] == (1,) and len(np.shape(out)) == 2 and np.shape(out)[1] > 1
                and getattr(S.loss_task(loss_fn), "task", None) == "multiclass"):
            # class labels as a column: _check_targets let them pass (labels per position
            # (N, 1) would fit outputs (N, C, 1)); these outputs say they are one per sample
            raise ValueError(f"{where}: {S.loss_name(loss_fn)} got the model's outputs of shape "
                             f"{tuple(np.shape(out))} and targets of shape {np.shape(y)}; give y "
                             f"flat, one label per sample: y.reshape(-1){_TABLE_VECTOR}"
                             ) from error
        if (np.ndim(y) == 1 and len(np.shape(out)) == 2 and np.shape(out)[1] > 1
                and getattr(S.loss_task(loss_fn), "task", None) == "binary"):
            # a model of one score per class, SoftmaxRegression(n, 2)'s, for a two-class loss
            raise ValueError(f"{where}: {S.loss_name(loss_fn)} got the model's outputs of shape "
                             f"{tuple(np.shape(out))}, a score per class, and labels of shape "
                             f"{np.shape(y)}; it takes one score per sample (LogisticRegression, "
                             f"Linear(n, 1), with y.reshape(-1, 1){_TABLE_COLUMN}), or keep "
                             f"the model and use cross_entropy") from error
        raise
    if first:
        plain = loss
        if weighted is not None and isinstance(out, Tensor):   # judged by the loss unweighted
            with no_grad():
                plain = loss_fn(out.detach(), y)
        _refuse_broadcast_loss(loss_fn, out, y, plain, where, from_samples)
    return loss


def _refuse_broadcast_loss(loss_fn: Callable, out: Any, y: np.ndarray, loss: Any, where: str,
                           from_samples: bool) -> None:
    """A loss written by hand, `lambda p, t: ((p - t) ** 2).mean()`, given outputs (N, 1) and
    targets (N,) (or (N,) and (N, 1)) broadcasts them: p - t is the (N, N) table of every
    output minus every target, and training minimises its mean without a word (the built-in
    losses refuse the shapes; PyTorch's warn). Told by the numbers, not by the shapes alone,
    since a loss may reshape them itself (`binary_cross_entropy_with_logits(z.reshape(-1), t)`):
    the loss is taken again with both in one shape, the column and the vector; when those two
    agree with each other and not with the loss given, the shapes were broadcast."""
    n = len(y) if np.ndim(y) else 0
    shapes = {tuple(np.shape(out)), np.shape(y)}
    if (not isinstance(out, Tensor) or n < 2 or shapes != {(n, 1), (n,)}
            or np.asarray(y).dtype.kind not in "biuf" or not isinstance(loss, Tensor)
            or loss.size != 1):
        return
    given = float(loss.data)
    with no_grad():
        try:        # the loss is the user's code: anything it refuses decides nothing
            column = float(loss_fn(out.detach().reshape(n, 1), y.reshape(n, 1)).data)
            vector = float(loss_fn(out.detach().reshape(n), y.reshape(n)).data)
        except Exception:
            return
    if not (math.isfinite(given) and math.isclose(column, vector, rel_tol=1e-5, abs_tol=1e-12)
            and not math.isclose(given, column, rel_tol=1e-4, abs_tol=1e-12)):
        return
    if np.ndim(y) == 1:
        fix = ("make each sample's target an array of one number: return np.array([y]) from the "
               "dataset's __getitem__" if from_samples else _AS_COLUMN)
    else:
        fix = ("make each sample's target a number, not an array of one: return y[0] from the "
               "dataset's __getitem__" if from_samples else _AS_VECTOR)
    raise ValueError(f"{where}: {S.loss_name(loss_fn)} got the model's outputs of shape "
                     f"{tuple(np.shape(out))} and targets of shape {np.shape(y)} and broadcast "
                     f"them together (elementwise, as in p - t, these shapes make the ({n}, {n}) "
                     f"table of every output against every target): it gives {given:.6g} where "
                     f"the same numbers in one shape give {column:.6g}; {fix}")


def _float_labels(where: str, name: str, y: np.ndarray, from_samples: bool) -> str:
    """What to say when a classification loss gets float targets (N,): whole numbers are class
    labels stored as floats (np.loadtxt's, a CSV column's), to convert; others are no labels
    at all (a regression target), which converting would silently cut into classes.

    >>> print(_float_labels("fit", "cross_entropy", np.array([0.0, 2.0, 1.0]), False))
    fit: cross_entropy takes integer class labels, but y holds floats (such as 0.0, 1.0); give y.astype(int)
    """
    finite = y[np.isfinite(y)]
    fraction = finite[finite != np.round(finite)]
    if fraction.size:
        return (f"{where}: {name} takes class labels 0, 1, ..., C-1, but y holds values such "
                f"as {fraction[0]:.6g}, not whole numbers: a regression target? To predict a "
                f"number use mse_loss and a model of one output; for classes, bin the values "
                f"first (np.digitize)")
    shown = ", ".join(repr(float(v)) for v in np.unique(finite)[:2])
    fix = ("return each label as an int from the dataset's __getitem__" if from_samples else
           "give y.astype(int)")
    return (f"{where}: {name} takes integer class labels, but y holds floats (such as {shown}); "
            f"{fix}")


def _refuse_labels_shaped_like_outputs(where: str, y: np.ndarray, loss_fn: Callable) -> None:
    declared = S.loss_task(loss_fn)
    if declared is None or declared.task != "multiclass" or _class_rows(y):
        return
    raise ValueError(f"{where}: {S.loss_name(loss_fn)} got integer targets of shape {y.shape}, "
                     f"the shape of the model's outputs, so it would read them as "
                     f"probabilities, but they are not one-hot; labels per position "
                     f"(N, d1, ...) need outputs (N, C, d1, ...), and labels (N,) outputs (N, C)")


# -- the other arguments ---------------------------------------------------------------------------

def _check_model_and_loss(where: str, model: Any, loss_fn: Any) -> None:
    """The first two arguments of fit and evaluate, in their order (model, loss_fn), each of
    the right kind: a wrong one would otherwise fail deep inside the loop. (Whether the
    model's forward takes the data's inputs is `_forward_for`'s check.)"""
    if not isinstance(model, Module):
        raise TypeError(f"{where}: model must be an nn.Module (a layer or model), got "
                        f"{type(model).__name__}")
    if isinstance(loss_fn, type):           # CrossEntropyLoss, not CrossEntropyLoss()
        raise TypeError(f"{where}: loss_fn is the class {loss_fn.__name__}; pass an instance, "
                        f"{loss_fn.__name__}(), or a loss function such as cross_entropy")
    if not callable(loss_fn):
        raise TypeError(f"{where}: loss_fn must be a loss such as cross_entropy or mse_loss, "
                        f"got {type(loss_fn).__name__}")


def _check_fit_arguments(model: Any, loss_fn: Any, optimizer: Any) -> None:
    """The first three arguments of fit, in its order (model, loss_fn, optimizer)."""
    _check_model_and_loss("fit", model, loss_fn)
    if not all(hasattr(optimizer, name) for name in ("param_groups", "step", "zero_grad")):
        raise TypeError(f"fit: optimizer must be an optimizer of nn.optim, such as "
                        f"SGD(model.parameters(), lr=0.1), got {type(optimizer).__name__}")
    # an optimizer of an earlier model (a notebook cell run again) would train nothing
    ours = {id(p) for p in model.parameters()}
    theirs = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if ours and not ours & theirs:
        raise ValueError(f"fit: the optimizer holds none of the model's parameters (was it made "
                         f"for another model?), so training would change nothing; make it with "
                         f"{type(optimizer).__name__}(model.parameters(), ...)")


def _check_scheduler(scheduler: Any, optimizer: Any) -> None:
    """A scheduler made for another optimizer would change an lr that nothing uses."""
    if scheduler is None:
        return
    if not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"fit: scheduler must be a learning-rate scheduler of "
                        f"nn.optim.lr_scheduler, such as StepLR(optimizer, step_size=10), got "
                        f"{type(scheduler).__name__}")
    if getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise ValueError(f"fit: the scheduler ({type(scheduler).__name__}) was made for another "
                         f"optimizer than the one fit is given, so it would change nothing; "
                         f"make it with the optimizer you pass to fit")


def _per_batch(scheduler: Any, steps: int) -> Any:
    """The scheduler, if it is one of those stepped once per batch (OneCycleLR, CyclicLR: their
    periods count batches), else None. Stepped once per epoch instead, a one-cycle schedule
    made for `epochs` × `steps_per_epoch` would barely leave its warm-up; one with fewer steps
    left than fit will take would fail at the end of the schedule, so it is refused now."""
    if not isinstance(scheduler, (OneCycleLR, CyclicLR)):
        return None
    if isinstance(scheduler, OneCycleLR):
        left = scheduler.total_steps - scheduler.last_epoch
        if steps > left:
            raise ValueError(f"fit: OneCycleLR is stepped once per batch, and has {left} steps "
                             f"left (total_steps={scheduler.total_steps}), but fit will take "
                             f"{steps} (epochs × batches per epoch); make it with "
                             f"total_steps={steps}, or epochs and steps_per_epoch = the number "
                             f"of batches per epoch")
    return scheduler


def _monitored(early_stopping: EarlyStopping | None, has_val: bool,
               chosen: dict[str, S.Metric]) -> tuple[str, str]:
    """The score that decides the best epoch (and early stopping, and ReduceLROnPlateau), and
    whether it is minimised or maximised."""
    if early_stopping is None:
        return ("val_loss" if has_val else "loss"), "min"
    monitor = early_stopping.monitor
    if monitor.startswith("val_") and not has_val:
        raise ValueError(f"fit: early stopping monitors {monitor!r} but there is no val_data")
    mode = S.mode_of(monitor, chosen, "fit: early stopping")
    return monitor, (mode if early_stopping.mode == "auto" else early_stopping.mode)
