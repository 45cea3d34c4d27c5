"""`glassgrad train`: an MLP learns a CSV file's target column (or an .npz's, or IDX files'
labels); the model is saved.

    glassgrad train --data data.csv --target y [--ignore id,date] [--out model.npz]
    ... | glassgrad train --data - --target y        (the rows from standard input)
    glassgrad train --data data.csv --target y --resume model.npz    (go on training it)

How the file is read is table.py's (separator, header row) and arrays.py's (.npz, IDX); how its
columns become the MLP's inputs (categories, missing values) is encoding.py's.

A run whose loss becomes NaN or infinite fails (exit 1, nothing saved); one whose final epoch's
training loss is finite but more than DIVERGED_FACTOR (10) times the untrained model's loss on
the training rows is saved, with one warning line on stderr to try a smaller --lr.

Training stopped by Ctrl-C or SIGTERM is not lost: the model of the latest whole step (fit
finishes the step under way first) is saved as a finished run's would be, one line on stderr
says where training stopped, and the status is 130 or 143 as for any stopped command. Stopped
before its first step, or while reading the data, the command saves nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
from typing import Any, Iterator, NamedTuple

import numpy as np

from autograd import manual_seed
from nn import MLP, cross_entropy, evaluate, fit, mse_loss, optim
from nn.data import StandardScaler, train_test_split
from nn.metrics import accuracy, confusion_matrix, mean_absolute_error, r2_score
from nn.train import TrainingDiverged, interrupt
from nn.trained import TrainedModel, trained_paths

from .errors import CommandFailed, Terminated, UsageError, warn
from .options import (add_reading_options, fraction, positive_float, positive_int,
                      random_seed, sizes)
from .output import check_output_path, matrix_text, same_file
from .arrays import ArrayData, is_arrays, label_texts, read_arrays
from .encoding import Encoding, encode, filled_text, fit_encoding, read_features
from .predict import load_model
from .table import (SEPARATOR_NAMES, STDIN, Table, check_resolution, number_problem,
                    read_table, without_separators)


def add_parser(subparsers: Any) -> None:
    """Register `train` on the `glassgrad` command's subparsers."""
    p = subparsers.add_parser(
        "train", help="train an MLP on a CSV file (or an .npz, or IDX files such as MNIST's)",
        description="Train an MLP on a CSV file: every column but the target (and those given "
                    "to --ignore) is a feature; a column of words (a category) becomes one 0/1 "
                    "input per word, a missing value in a column of numbers the training rows' "
                    "median. The separator (commas, semicolons, tabs) and whether the first "
                    "line is a header are found from the file. An .npz file's inputs and "
                    "labels, or an IDX images file with its labels file beside it (MNIST), "
                    "train as well. Reports validation metrics (the training rows' with --val "
                    "0) and saves the model (weights in .npz or PyTorch's .pt, settings in a "
                    ".json beside it); `glassgrad predict` and nn.load_trained use it.",
        epilog="examples: glassgrad train --data houses.csv --target price --ignore id; "
               "glassgrad train --data iris.data --target -1 (no header: columns by position); "
               "glassgrad train --data mnist.npz --target y_train --ignore x_test,y_test; "
               "glassgrad train --data train-images-idx3-ubyte.gz --hidden 128 --epochs 5; "
               "glassgrad train ... --resume model.npz --epochs 20 (go on training a saved "
               "model)")
    p.add_argument("--data", "--csv", dest="data", required=True, metavar="FILE",
                   help="the data: a CSV file (- reads it from standard input), an .npz file "
                        "or an IDX images file")
    p.add_argument("--target", help="the column to predict: its name, or its position counted "
                   "from 0 (-1: the last column); for an .npz, the labels' array (default: y, "
                   "or the one array of one dimension); for IDX, the labels file (default: the "
                   "one named so beside the images)")
    p.add_argument("--ignore", action="append", default=[], metavar="COLUMNS",
                   help="leave these columns out of the features (an id, a date, a column that "
                        "gives the answer away): --ignore id,date or --ignore id --ignore date; "
                        "names or positions. predict skips them too. For an .npz: arrays to "
                        "leave out")
    add_reading_options(p)
    p.add_argument("--task", choices=("classify", "regress"),
                   help="default: classify when the target is text or has at most 20 integer "
                        "values, else regress")
    p.add_argument("--hidden", type=sizes, help="hidden layer sizes (default: 32,32; '' for "
                   "none: a linear or logistic regression)")
    p.add_argument("--activation", choices=ACTIVATION_CHOICES,
                   help="the hidden layers' activation (default: relu)")
    p.add_argument("--optimizer", default="adam", choices=sorted(_OPTIMIZERS),
                   help="(default: adam; momentum is SGD with momentum 0.9; lbfgs takes one "
                        "step per epoch on all the training rows, with a line search)")
    p.add_argument("--lr", type=positive_float,
                   help=f"learning rate (default: {DEFAULT_LR}; 1 for adadelta and lbfgs, "
                        f"which scale their steps themselves)")
    p.add_argument("--epochs", type=positive_int, default=50, help="(default: 50)")
    p.add_argument("--batch-size", type=positive_int,
                   help=f"(default: {DEFAULT_BATCH_SIZE}, or all the training rows if fewer; "
                        f"all of them for lbfgs)")
    p.add_argument("--val", type=fraction, default=0.2,
                   help="validation fraction (default: 0.2; 0 trains on every row, leaving "
                        "no held-out score)")
    p.add_argument("--early-stopping", type=positive_int, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for PATIENCE epochs, "
                        "and keep the weights of its best epoch")
    p.add_argument("--seed", type=random_seed, default=0, help="(default: 0)")
    p.add_argument("--resume", metavar="MODEL",
                   help="go on training this saved model (model.npz or .pt) on the data: its "
                        "weights, standardisation and settings are kept (the optimizer "
                        "starts afresh); stopped by Ctrl-C, a run saves what it learnt, and "
                        "--resume takes it up")
    p.add_argument("--out", default="model.npz",
                   help="where to save the model: --out model.npz (or model.json, or model) "
                        "writes the weights to model.npz and the settings to model.json; "
                        "--out model.pt writes the weights in PyTorch's format (torch.load "
                        "reads it) (default: %(default)s)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: a bar when stderr is a terminal, else "
                        "a line per epoch, about 20 in all, for logs); --no-progress: neither")
    p.set_defaults(run=run)


# the fewest data rows train takes (at --val 0.2: 1 to validate, 3 to train)
MIN_ROWS = 4

DEFAULT_LR = 0.01
DEFAULT_BATCH_SIZE = 32
DEFAULT_HIDDEN = [32, 32]

_OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD", "asgd": "ASGD", "adagrad": "Adagrad",
               "adadelta": "Adadelta", "rmsprop": "RMSprop", "rprop": "Rprop",
               "adafactor": "Adafactor", "adam": "Adam", "adamw": "AdamW", "adamax": "Adamax",
               "nadam": "NAdam", "radam": "RAdam", "lbfgs": "LBFGS"}
#: what an optimizer is made with besides --lr; L-BFGS searches along its direction for a step
#: that lowers the loss enough (a fixed step diverges on mini-batches: their curvatures differ)
_OPTIONS = {"momentum": {"momentum": 0.9}, "lbfgs": {"line_search_fn": "strong_wolfe"}}
#: PyTorch's lr for the optimizers whose lr multiplies a step they size themselves (Adadelta
#: by its running averages, L-BFGS by the curvature): DEFAULT_LR would shrink it a hundredfold
_OWN_LR = {"adadelta": 1.0, "lbfgs": 1.0}
#: the hidden layers' activations --activation offers: those without weights of their own
ACTIVATION_CHOICES = ("relu", "leaky_relu", "gelu", "silu", "elu", "selu", "tanh", "sigmoid",
                      "softplus")


class Labels(NamedTuple):
    """The target's cells as text (a CSV's, or an array's labels written so), and where each
    is, for the messages."""
    path: str
    name: str
    cells: list[str]
    places: list[str]           # "data.csv, line 5" or "data.npz: y[3]"

    @classmethod
    def of_table(cls, table: Table, name: str) -> "Labels":
        return cls(table.path, name, table.column(name),
                   [f"{table.path}, line {line}" for line in table.lines])

    @classmethod
    def of_arrays(cls, data: ArrayData) -> "Labels":
        return cls(data.path, data.target, label_texts(data.labels),
                   [data.at(i) for i in range(len(data.labels))])


def _split_names(values: list[str], table: Table | None) -> list[str]:
    """The names `--ignore` gives: each value one name, or names separated by commas (a column
    of the `table` whose name has a comma in it is taken whole)."""
    names = []
    for value in values:
        whole = table.spelled(value) if table is not None else value
        parts = [whole] if table is not None and whole in table.header else value.split(",")
        parts = [part.strip() for part in parts]
        if not all(parts):
            raise UsageError(f"--ignore {value!r}: a column name is missing; give names such as "
                             f"id,date")
        names += parts
    return list(dict.fromkeys(names))


def _ignored(table: Table, target: str, values: list[str]) -> list[str]:
    """The columns `--ignore` names, each once, by name or position (see `Table.resolve`).
    Each must be a column of the file, and none the target."""
    names = [table.resolve(name) for name in _split_names(values, table)]
    table.require(names, "given to --ignore")
    if target in names:
        raise UsageError(f"--ignore {target}: that is the target (--target {target}); a column "
                         f"cannot be both, so ignore other columns or choose another target")
    return list(dict.fromkeys(names))


def _features(table: Table, target: str, ignored: list[str]) -> list[str]:
    """The feature columns: every column but the target and the ignored ones, in file order,
    and but an unnamed first one: the row index pandas writes (df.to_csv(path)), a row label
    such as 100, 101, ..., a feature that would tell the model nothing but the row's place."""
    features = [name for name in table.header
                if name and name != target and name not in ignored]
    if not features and ignored:
        raise UsageError(f"{table.path}: --ignore {','.join(ignored)} leaves no feature column: "
                         f"it names every column but the target {target!r}; keep at least one")
    if not features:
        raise UsageError(f"{table.path}: needs at least one feature column besides "
                         f"{target!r}")
    return features


def _task(labels: Labels, task: str | None) -> str:
    """The task: `task` as given, else the one the target's cells call for. Every target cell is
    checked here, before the rows are counted: in a file of three rows, "too few rows" would
    hide the empty cell or the number float32 cannot hold.

    An empty target cell is an error naming its line (never a class of its own)."""
    target, cells = labels.name, labels.cells
    numeric = [_number(v) for v in cells]
    regression = "--task regress" if task else "a numeric target (regression)"  # as it was chosen
    if task is None:
        _check_no_separators(labels)
        _check_no_missing_marks(labels, numeric)
        all_numbers = None not in numeric
        few_integers = (all_numbers and all(v.is_integer() for v in numeric)
                        and len(set(numeric)) <= 20)
        task = "classify" if not all_numbers or few_integers else "regress"
    if task == "regress":
        for place, text in zip(labels.places, cells):
            problem = number_problem(text)         # float32 must hold it: 1e39 would be inf
            if problem:
                raise UsageError(f"{place}: {regression} needs a finite number in {target!r}, "
                                 f"found {text!r}, which {problem}")
    return task


def _target(labels: Labels, task: str) -> tuple[np.ndarray, list[str]]:
    """(y, class names) for the `task` `_task` chose: class names map to 0..K-1; regression
    targets become floats."""
    cells = labels.cells
    if task == "regress":
        values = np.array([_number(v) for v in cells], np.float64)
        check_resolution(labels.path, labels.name, values)
        return values.astype(np.float32), []
    numbers = {v: _number(v) for v in set(cells)}
    classes = sorted(numbers, key=lambda v: (0, numbers[v], v) if numbers[v] is not None
                     else (1, 0.0, v))
    if len(classes) < 2:
        raise UsageError(f"{labels.path}: the target has a single class {classes[0]!r}; "
                         f"a classifier needs at least two")
    _check_classes(labels, [numbers[v] for v in cells], len(classes))
    index = {name: i for i, name in enumerate(classes)}
    return np.array([index[v] for v in cells], np.int64), classes


def _check_no_separators(labels: Labels) -> None:
    """Refuse a number written with thousands separators ("1,234.5"): read as a word, it would
    pass for a missing value among numbers, or make a column of prices a set of classes.
    `--task classify` keeps such names as classes."""
    for place, text in zip(labels.places, labels.cells):
        if without_separators(text) is not None:
            raise UsageError(f"{place}: the target {labels.name!r} is {text!r}, which "
                             f"{number_problem(text)}")


def _check_no_missing_marks(labels: Labels, numeric: list[float | None]) -> None:
    """Refuse a target of numbers with a few words among them ("NA", "?"): they are missing
    values far more often than classes, and would silently become a class of their own.
    `--task classify` says that they are classes."""
    words = [i for i, value in enumerate(numeric) if value is None]
    if words and len(words) < len(labels.cells) / 2:
        i = words[0]
        raise UsageError(f"{labels.places[i]}: the target {labels.name!r} is "
                         f"{labels.cells[i]!r}, a number in most other rows: a missing value? "
                         f"Fill it in or remove the row; if it is a class, pass --task classify")


def _check_classes(labels: Labels, numeric: list[float | None], n_classes: int) -> None:
    """Refuse a target that is no set of classes: numbers that are not whole (a measurement),
    one number written two ways ("1" and "1.0" would be two classes), or a different value in
    every row (nothing to learn: each class seen once)."""
    all_numbers = None not in numeric
    hint = "; to predict a number use --task regress" if all_numbers else ""
    target = labels.name
    if all_numbers:
        for place, text, value in zip(labels.places, labels.cells, numeric):
            if not value.is_integer():
                raise UsageError(f"{place}: the target {target!r} is {text!r}, not a whole "
                                 f"number: it looks continuous, not a class{hint}")
    spelling: dict[float, str] = {}
    for place, text, value in zip(labels.places, labels.cells, numeric):
        first = spelling.setdefault(value, text) if value is not None else text
        if first != text:
            raise UsageError(f"{place}: the target {target!r} is {text!r}, and {first!r} above: "
                             f"one number written two ways would be two classes; write it one "
                             f"way")
    if n_classes == len(labels.cells):
        raise UsageError(f"{labels.path}: the target {target!r} has a different value in every "
                         f"row ({n_classes} rows): no class is seen twice{hint}")


def _number(text: str) -> float | None:
    """The number `text` spells, or None for a word; "nan" counts as a word: it marks a missing
    value, as "NA" does."""
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _output_paths(out: str, data: str) -> tuple[str, str]:
    """The weights and settings files `--out` names, both checked before anything is written
    (neither may be the training data `data`: it would be overwritten)."""
    if out == STDIN:                # for `--csv` and predict's `--out`, "-" is a stream
        raise UsageError("--out -: a model is two files (weights and settings), which standard "
                         "output cannot hold; give a name such as model.npz")
    try:
        paths = trained_paths(out)
    except ValueError:
        raise UsageError(f"--out {out!r}: no file name; give one such as model.npz") from None
    if os.path.isdir(out):          # else it would write out.npz and out.json beside it
        raise UsageError(f"--out {out}: is a folder; give a file name such as "
                         f"{os.path.join(out, 'model.npz')}")
    for path in paths:
        check_output_path("--out", path, given=out)
        if same_file(path, data):
            raise UsageError(f"--out {out}: it writes {path}, which is the training data "
                             f"(--csv {data}); give another name")
    return paths


def _scaler(X: np.ndarray, images: bool) -> StandardScaler:
    """The standardisation of the training inputs `X`: each feature by its own mean and standard
    deviation, or, for an image's pixels, all of them by the one mean and deviation of every
    pixel. Scaled each by its own, a pixel that is dark in all images but a few would be
    multiplied by a hundred there (MNIST: the loss tripled, the accuracy fell 3 points)."""
    if not images:
        return StandardScaler().fit(X)
    scaler = StandardScaler().fit(X.reshape(-1, 1))
    scaler.mean = np.full(X.shape[1], scaler.mean[0])
    scaler.std = np.full(X.shape[1], scaler.std[0])
    return scaler


def _target_scale(y: np.ndarray) -> tuple[float, float]:
    """The mean and standard deviation of the regression targets `y` (1 for a constant target):
    the MLP learns the standardised target, whose outputs start near 0, as its inputs are. Left
    in its own units (house prices), the target would stay out of the outputs' reach."""
    targets = StandardScaler().fit(y)
    return float(targets.mean), float(targets.std)


def _validation_rows(val: float, n_rows: int) -> int:
    """How many rows `--val` holds out for validation: the fraction of `n_rows`, rounded up, so
    at least one unless `val` is 0 (train on every row); at least one row must be left to train
    on."""
    n_val = math.ceil(round(val * n_rows, 9))     # round first: 0.07 * 100 is 7.000000000000001
    if n_val >= n_rows:
        raise UsageError(f"--val {val:g} of {n_rows} rows rounds up to all of them, leaving none "
                         f"to train on; give a fraction between 0 and {n_rows - 1}/{n_rows}")
    return n_val


# the training loss may end at most this many times above the untrained model's, else the run
# diverged without reaching NaN or infinity (a learning rate far too large): a warning, exit 0
DIVERGED_FACTOR = 10


def _warn_if_diverged(start: float, history: Any, lr: float) -> None:
    """One warning line on stderr when the final epoch's training loss is more than
    DIVERGED_FACTOR times `start`, the untrained model's loss on the training rows. fit stops
    at a NaN or infinite loss itself (exit 1); a loss that blew up but stayed finite leaves a
    model that is saved, as asked, but should not be trusted."""
    final = history["loss"][-1]
    if final > DIVERGED_FACTOR * start:
        warn("glassgrad train", f"training diverged: the training loss ended at {final:.4g}, "
                                f"more than {DIVERGED_FACTOR} times the {start:.4g} it started "
                                f"at; try a smaller --lr (this run used --lr {lr:g})")


def _diverged(error: TrainingDiverged) -> str:
    """What to tell the user when fit stopped at a NaN or infinite loss."""
    if not error.stepped:                     # not the learning rate's doing
        return (f"the loss is {error.loss} before any training step; the model's outputs for "
                f"this data are not finite")
    return (f"training diverged at epoch {error.epoch} (the loss became {error.loss}); try a "
            f"smaller --lr")


def _report(outputs: np.ndarray, y: np.ndarray, scores: dict[str, float], classes: list[str],
            rows: str = "validation") -> None:
    """Print the scores of the trained model on the `rows` ("validation" or "training") whose
    targets are `y`, given its `outputs` for them and the loss and MSE `scores` (`evaluate`'s):
    accuracy and the confusion matrix, or MSE, MAE and R²."""
    if classes:
        predicted = outputs.argmax(1)
        print(f"{rows} accuracy {accuracy(y, predicted):.4f} (loss {scores['loss']:.4f})")
        print("confusion matrix (rows: true, columns: predicted; classes "
              f"{', '.join(map(str, classes))}):")
        print(matrix_text(confusion_matrix(y, predicted, labels=np.arange(len(classes)))))
    else:
        predicted = outputs.reshape(-1)
        r2 = f", R² {r2_score(y, predicted):.4f}" if len(y) > 1 else ""  # else undefined
        print(f"{rows} MSE {scores['mse']:.4g}, MAE "
              f"{mean_absolute_error(y, predicted):.4g}{r2}")


class Prepared(NamedTuple):
    """The data, read and checked: the encoded inputs of every row, the target, and what the
    summary says about them."""
    X: np.ndarray                 # float32 (rows, features), missing values filled in
    y: np.ndarray
    classes: list[str]
    task: str
    target: str
    features: list[str]           # the MLP's inputs
    encoding: Encoding | None     # how a table's columns became them (None: arrays)
    train: np.ndarray             # the training rows' indices (shuffled), then the validation's
    val: np.ndarray
    notes: list[str]              # lines for the summary: how the file was read, encoded
    images: bool = False          # the features are an image's pixels: one scale for all


def run(args: argparse.Namespace) -> int:
    """The `train` subcommand: read, split, standardise, fit, report, save."""
    weights_path, settings_path = _output_paths(args.out, args.data)
    resumed = _resumed(args) if args.resume is not None else None
    if is_arrays(args.data):
        data = _prepare_arrays(args, resumed)
    else:
        data = _prepare_table(args, resumed)
    X_train, y_train = data.X[data.train], data.y[data.train]
    X_val, y_val = data.X[data.val], data.y[data.val]
    n_val = len(data.val)
    if args.early_stopping is not None and not n_val:
        raise UsageError(f"--early-stopping {args.early_stopping} watches the validation loss, "
                         f"but --val 0 keeps no rows to validate on; give --val 0.2, say")
    if args.batch_size is not None and args.batch_size > len(X_train):
        raise UsageError(f"--batch-size {args.batch_size} is more than the {len(X_train)} "
                         f"training rows; give at most {len(X_train)} (all of them in one "
                         f"batch)")
    out_features = len(data.classes) if data.task == "classify" else 1
    if resumed is not None:
        model = resumed
    else:
        # the training rows' statistics (float64; a constant column is centred, not scaled);
        # the model standardises every row it is given with them, the validation rows first
        manual_seed(args.seed)
        inputs = _scaler(X_train, data.images)
        target_mean, target_std = _target_scale(y_train) if data.task == "regress" else (0., 1.)
        hidden = DEFAULT_HIDDEN if args.hidden is None else args.hidden
        activation = args.activation or "relu"
        encoding = data.encoding
        model = TrainedModel(
            MLP(data.X.shape[1], hidden, out_features, activation=activation), inputs.mean,
            inputs.std, task=data.task, target=data.target, features=data.features,
            classes=data.classes, hidden=hidden, activation=activation,
            target_mean=target_mean, target_std=target_std,
            columns=encoding.columns if encoding else None,
            categories=encoding.categories if encoding else None,
            fill=encoding.fill if encoding else None)
    if args.lr is None:
        args.lr = _OWN_LR.get(args.optimizer, DEFAULT_LR)
    if args.batch_size is None:     # L-BFGS: one step per epoch, on the whole training set
        args.batch_size = len(X_train) if args.optimizer == "lbfgs" else DEFAULT_BATCH_SIZE
    optimizer = getattr(optim, _OPTIMIZERS[args.optimizer])(
        model.parameters(), lr=args.lr, **_OPTIONS.get(args.optimizer, {}))
    if data.task == "classify":
        loss_fn, metrics = cross_entropy, ("accuracy",)
    else:
        target_mean, target_std = model.target_mean, model.target_std

        def loss_fn(out: Any, target: Any) -> Any:
            """The squared error in standard deviations of the target: a price in the
            hundred-thousands trains as well, with the same learning rate, as a number near 1."""
            return mse_loss((out.reshape(-1) - target_mean) / target_std,
                            (target - target_mean) / target_std)
        metrics = ("mse",)
    sizes = "-".join(map(str, [data.X.shape[1], *model.hidden, out_features]))
    doing = f"continuing to train the MLP {sizes} of {args.resume}" if resumed is not None \
        else f"training an MLP {sizes}"
    print(f"{doing} to {data.task} {data.target!r} from "
          f"{_count(len(data.features), 'feature')}{''.join(data.notes[:1])} "
          f"({_count(len(X_train), 'row')}, {n_val} for validation)")
    for note in data.notes[1:]:
        print(f"  {note}")
    # a diverging run overflows on its way to inf: its numpy warnings would bury the one line
    # that says so (the library's users keep numpy's own setting: this is for the command only)
    with np.errstate(all="ignore"):
        start = evaluate(model, loss_fn, (X_train, y_train), metrics=(),
                         batch_size=args.batch_size)["loss"]
        history, signals = None, []
        try:
            with _sigterm_stops_training(signals):
                try:
                    history = fit(model, loss_fn, optimizer, (X_train, y_train),
                                  epochs=args.epochs, val_data=(X_val, y_val) if n_val else None,
                                  metrics=metrics, batch_size=args.batch_size, seed=args.seed,
                                  progress=_progress(args.progress),
                                  early_stopping=args.early_stopping)
                except TrainingDiverged as error:
                    raise CommandFailed(_diverged(error)) from None
                _warn_if_diverged(start, history, args.lr)
                if history.stopped_early:
                    print(f"stopped early after epoch {history.epochs}: the validation loss "
                          f"had not improved for {args.early_stopping} epochs; kept the weights "
                          f"of epoch {history.restored_epoch or history.epochs}, its best")
                if n_val:
                    scores = history.scores()
                    _report(model(X_val).numpy(), y_val,
                            {"loss": scores["val_loss"], "mse": scores.get("val_mse")},
                            data.classes)
                else:
                    _report_training(model, loss_fn, X_train, y_train, metrics, args.batch_size,
                                     data.classes)
        except KeyboardInterrupt as stop:       # Ctrl-C or SIGTERM: keep the steps taken
            history = getattr(stop, "history", history)
            terminated = signal.SIGTERM in signals
            if history is None or not history.steps:    # nothing learnt: leave the old files
                if terminated:
                    raise Terminated from None
                raise
            return _save_stopped(model, history, args.epochs, terminated, weights_path,
                                 settings_path)
    model.save(weights_path)
    print(f"saved the weights to {weights_path} and the settings to {settings_path}")
    return 0


def _progress(progress: bool | None) -> bool | str:
    """fit's `progress` for --progress: a bar on a terminal, else a line per epoch (CI logs, a
    file: a bar there is a line per update, or carriage returns)."""
    if progress is None:
        return True if sys.stderr is not None and sys.stderr.isatty() else "epochs"
    return progress


def _resumed(args: argparse.Namespace) -> TrainedModel:
    """The model --resume names, whose settings must agree with the options given."""
    model = load_model("--resume", args.resume)
    for option, given, kept in (("--hidden", args.hidden, model.hidden),
                                ("--activation", args.activation, model.activation),
                                ("--task", args.task, model.task)):
        if given is not None and given != kept:
            def text(value: Any) -> str:
                return ",".join(map(str, value)) if isinstance(value, list) else str(value)
            raise UsageError(f"{option} {text(given)!r}: the model of --resume {args.resume} "
                             f"has {option} {text(kept)!r}; leave {option} out to go on "
                             f"training it, or train a new model")
    return model


def _prepare_table(args: argparse.Namespace, resumed: TrainedModel | None) -> Prepared:
    """Read a CSV file: the target, the feature columns (numbers and categories), the split."""
    table = read_table(args.data, args.sep, args.header)
    if args.target is None:
        raise UsageError(f"{table.path}: which column is the target? Give --target NAME (or a "
                         f"position: -1 for the last column); {table.columns_text()}")
    target = table.resolve(args.target)
    table.require([target], "the target")
    if resumed is not None:
        if resumed.target != target:
            raise UsageError(f"--target {args.target}: the model of --resume {args.resume} "
                             f"predicts {resumed.target!r}; train a new model for {target!r}")
        columns = resumed.columns if resumed.columns is not None else resumed.features
        table.require(columns, "the model was trained on it", "the model was trained on them")
        columns = [table.spelled(name) for name in columns]
        ignored: list[str] = []
    else:
        ignored = _ignored(table, target, args.ignore)
        columns = _features(table, target, ignored)
    if resumed is None:             # every cell checked before the target's, as before
        kinds, numbers = read_features(table, columns)
    else:
        kinds, numbers = {}, None
    labels = Labels.of_table(table, target)
    task, y, classes = _labels(labels, args.task, resumed)
    train, val = _split(args, y, task)
    if resumed is not None:
        encoding = Encoding(columns, resumed.categories, resumed.fill)
    else:
        encoding = fit_encoding(table, columns, train, kinds, numbers)
    encoded = encode(table, encoding, training=True, numbers=numbers)
    notes = [f"{_ignoring(ignored)}{_row_index(table)}", *_read_as(table)]
    notes += _encoding_notes(encoding, encoded, kinds)
    return Prepared(encoded.X, y, classes, task, target, encoding.features(), encoding, train,
                    val, notes)


def _prepare_arrays(args: argparse.Namespace, resumed: TrainedModel | None) -> Prepared:
    """Read an .npz or IDX file: the samples' values, flattened, and their labels."""
    ignore = _split_names(args.ignore, None)
    data = read_arrays(args.data, args.target, ignore, need_labels=True)
    features = [str(i) for i in range(data.X.shape[1])]
    if resumed is not None and len(resumed.features) != len(features):
        raise UsageError(f"{data.path}: {_count(len(features), 'value')} per sample in "
                         f"{data.inputs!r}, but the model of --resume {args.resume} takes "
                         f"{len(resumed.features)}")
    task, y, classes = _labels(Labels.of_arrays(data), args.task, resumed)
    train, val = _split(args, y, task)
    where = "" if data.inputs == data.path else f" of the array {data.inputs!r}"
    notes = [f"{where}{_ignoring(ignore)}"]
    if data.images:
        notes.append(f"each sample is {'x'.join(map(str, data.shape))} values (an image?), "
                     f"standardised with one mean and one scale for all of them")
    return Prepared(data.X, y, classes, task, data.target, features, None, train, val, notes,
                    data.images)


def _labels(labels: Labels, task: str | None, resumed: TrainedModel | None
            ) -> tuple[str, np.ndarray, list[str]]:
    """(task, y, classes) for the target's `labels`: those of a --resume model's task and
    classes, whose every label must be one of them."""
    if resumed is None:
        task = _task(labels, task)
        if len(labels.cells) < MIN_ROWS:
            n = len(labels.cells)
            raise UsageError(f"{labels.path}: {_count(n, 'row')} {'is' if n == 1 else 'are'} too "
                             f"few to train and validate; glassgrad train needs at least "
                             f"{MIN_ROWS} rows")
        return (task, *_target(labels, task))
    task = _task(labels, resumed.task)
    if task == "regress":
        return (task, *_target(labels, task))
    index = {name: i for i, name in enumerate(resumed.classes)}
    for place, cell in zip(labels.places, labels.cells):
        if cell not in index:
            raise UsageError(f"{place}: the target {labels.name!r} is {cell!r}, a class the model "
                             f"of --resume does not know (it knows "
                             f"{', '.join(map(repr, resumed.classes[:10]))}); train a new model")
    return task, np.array([index[cell] for cell in labels.cells], np.int64), resumed.classes


def _split(args: argparse.Namespace, y: np.ndarray, task: str) -> tuple[np.ndarray, np.ndarray]:
    """The training rows and the validation rows (indices), as train_test_split shuffles them
    (stratified for a classifier whose every class has two rows)."""
    n = len(y)
    n_val = _validation_rows(args.val, n)
    rows = np.arange(n)
    if not n_val:                   # --val 0: every row trains (fit shuffles them itself)
        return rows, rows[:0]
    stratify = y if task == "classify" and np.bincount(y).min() >= 2 else None
    train, val, _, _ = train_test_split(rows, y, test_size=n_val, seed=args.seed,
                                        stratify=stratify)
    return train, val


def _read_as(table: Table) -> list[str]:
    """A line for how the file was read, when it is not a plain CSV file with a header row."""
    how = []
    if table.sep != ",":
        how.append(f"separated by {SEPARATOR_NAMES.get(table.sep, repr(table.sep))}"
                   f"{', with decimal commas' if table.decimal_comma else ''}")
    if not table.has_header:
        how.append(f"without a header row: its columns are numbered 0 to {len(table.header) - 1}")
    return [f"read {table.path} {', '.join(how)}"] if how else []


def _encoding_notes(encoding: Encoding, encoded: Any, kinds: dict[str, str]) -> list[str]:
    """Lines for the summary: each category's 0/1 inputs, the missing values filled in."""
    notes = []
    for column, words in encoding.categories.items():
        if kinds.get(column) == "category":         # (a resumed model's: said before)
            shown = ", ".join(words[:8]) + (", ..." if len(words) > 8 else "")
            notes.append(f"{column!r} is a category: {_count(len(words), '0/1 input')}, one "
                         f"per value ({shown})")
    if encoded.filled:
        notes.append(filled_text(encoded.filled, encoding))
    if encoded.unseen:
        column, words = next(iter(encoded.unseen.items()))
        notes.append(f"{column!r} has values in validation rows only, such as {words[0]!r}: "
                     f"none of its 0/1 inputs is set there")
    return notes


def _report_training(model: TrainedModel, loss_fn: Any, X: np.ndarray, y: np.ndarray,
                     metrics: tuple[str, ...], batch_size: int, classes: list[str]) -> None:
    """`--val 0`: print the trained model's scores on the rows it learnt from (evaluated after
    training, as validation rows are, not the epoch's running mean), then say that no row was
    held out: these scores flatter the model, and only new rows can tell how well it
    generalises."""
    scores = evaluate(model, loss_fn, (X, y), metrics=metrics, batch_size=batch_size)
    _report(model(X).numpy(), y, scores, classes, rows="training")
    print("no held-out score: --val 0 kept no rows for validation, so these are the scores on "
          "the rows the model learnt from")


@contextlib.contextmanager
def _sigterm_stops_training(signals: list[int]) -> Iterator[None]:
    """While training, SIGTERM (`kill`, `timeout`) stops it as Ctrl-C does: through
    `nn.train.interrupt`, after the step under way, so that the model can be saved. The
    handler adds SIGTERM to `signals` when it comes; the previous handler (main's, which
    raises Terminated) is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield                                 # only the main thread may set a handler
        return

    def stop(signum: int, frame: Any) -> None:
        signals.append(signum)
        interrupt(signum, frame)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _save_stopped(model: TrainedModel, history: Any, epochs: int, terminated: bool,
                  weights_path: str, settings_path: str) -> int:
    """Training was stopped by Ctrl-C or SIGTERM after `history.steps` steps: save the model as
    fit left it (the latest whole step), say so in one line on stderr, and return the status
    of a stopped command, 130 or 143 (128 + the signal). A second interrupt during the save
    stops it, leaving the files as they were (they are written atomically)."""
    model.save(weights_path)
    where = (f"after the last epoch ({epochs}/{epochs})" if history.epochs == epochs
             else f"in epoch {history.epochs + 1}/{epochs}")
    print(f"glassgrad train: stopped by {'SIGTERM' if terminated else 'Ctrl-C'} {where}, after "
          f"{_count(history.steps, 'training step')}: saved the model of that step to "
          f"{weights_path} and its settings to {settings_path}", file=sys.stderr)
    return 143 if terminated else 130


def _ignoring(ignored: list[str]) -> str:
    """', ignoring 'id', 'date'' for the summary line; '' when nothing is ignored."""
    return f", ignoring {', '.join(map(repr, ignored))}" if ignored else ""


def _row_index(table: Table) -> str:
    """', not the unnamed first column (a row index)' for the summary line when the file has
    one (df.to_csv(path) writes pandas' index so): said, as it is left out without being asked."""
    return ", not the unnamed first column (a row index)" if table.header[0] == "" else ""


def _count(n: int, noun: str) -> str:
    """'1 row', '2 rows'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
