"""`glassgrad train`: an MLP learns a CSV file's target column; the model is saved.

    glassgrad train --csv data.csv --target y [--ignore id,date] [--out model.npz]
    ... | glassgrad train --csv - --target y         (the rows from standard input)

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
from typing import Any, Iterator

import numpy as np

from autograd import manual_seed
from nn import MLP, cross_entropy, evaluate, fit, mse_loss, optim
from nn.data import StandardScaler, train_test_split
from nn.metrics import accuracy, confusion_matrix, mean_absolute_error, r2_score
from nn.train import TrainingDiverged, interrupt
from nn.trained import TrainedModel, trained_paths

from .errors import CommandFailed, Terminated, UsageError, warn
from .options import fraction, positive_float, positive_int, random_seed, sizes
from .output import check_output_path, matrix_text, same_file
from .table import (STDIN, Table, check_resolution, number_problem, read_table,
                    without_separators)


def add_parser(subparsers: Any) -> None:
    """Register `train` on the `glassgrad` command's subparsers."""
    p = subparsers.add_parser(
        "train", help="train an MLP on a CSV file",
        description="Train an MLP on a CSV file with a header row: every column but the target "
                    "(and those given to --ignore) is a numeric feature. Reports validation "
                    "metrics (the training rows' with --val 0) and saves the model (weights in "
                    ".npz, settings in a .json beside it); `glassgrad predict` and "
                    "nn.load_trained use it.")
    p.add_argument("--csv", required=True, help="the data file (header row, comma-separated; "
                   "- reads it from standard input)")
    p.add_argument("--target", required=True, help="the column to predict")
    p.add_argument("--ignore", action="append", default=[], metavar="COLUMNS",
                   help="leave these columns out of the features (an id, a date, a column that "
                        "gives the answer away): --ignore id,date or --ignore id --ignore date; "
                        "names from the header row. predict skips them too")
    p.add_argument("--task", choices=("classify", "regress"),
                   help="default: classify when the target is text or has at most 20 integer "
                        "values, else regress")
    p.add_argument("--hidden", type=sizes, default="32,32", help="hidden layer sizes "
                   "(default: 32,32; '' for none)")
    p.add_argument("--optimizer", default="adam", choices=sorted(_OPTIMIZERS),
                   help="(default: adam; momentum is SGD with momentum 0.9; lbfgs takes one "
                        "step per epoch on all the training rows, with a line search)")
    p.add_argument("--lr", type=positive_float,
                   help=f"learning rate (default: {DEFAULT_LR}; 1 for adadelta and lbfgs, "
                        f"which scale their steps themselves)")
    p.add_argument("--epochs", type=positive_int, default=50, help="(default: 50)")
    p.add_argument("--batch-size", type=positive_int,
                   help=f"(default: {DEFAULT_BATCH_SIZE}; all the training rows for lbfgs)")
    p.add_argument("--val", type=fraction, default=0.2,
                   help="validation fraction (default: 0.2; 0 trains on every row, leaving "
                        "no held-out score)")
    p.add_argument("--seed", type=random_seed, default=0, help="(default: 0)")
    p.add_argument("--out", default="model.npz",
                   help="where to save the model: --out model.npz (or model.json, or model) "
                        "writes the weights to model.npz and the settings to model.json "
                        "(default: %(default)s)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: when stderr is a terminal)")
    p.set_defaults(run=run)


# the fewest data rows train takes (at --val 0.2: 1 to validate, 3 to train)
MIN_ROWS = 4

DEFAULT_LR = 0.01
DEFAULT_BATCH_SIZE = 32

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


def _ignored(table: Table, target: str, values: list[str]) -> list[str]:
    """The columns `--ignore` names, each once: a value is one column's name, or names separated
    by commas (a header name with a comma in it is taken whole). Each must be a column of the
    file, and none the target."""
    names = []
    for value in values:
        whole = table.spelled(value)
        parts = [whole] if whole in table.header else value.split(",")
        parts = [table.spelled(part.strip()) for part in parts]
        if not all(parts):
            raise UsageError(f"--ignore {value!r}: a column name is missing; give names such as "
                             f"id,date")
        names += parts
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


def _task(table: Table, target: str, task: str | None) -> str:
    """The task: `task` as given, else the one the target's cells call for. Every target cell is
    checked here, before the rows are counted: in a file of three rows, "too few rows" would
    hide the empty cell or the number float32 cannot hold.

    An empty target cell is an error naming its line (never a class of its own)."""
    labels = table.column(target)
    numeric = [_number(v) for v in labels]
    regression = "--task regress" if task else "a numeric target (regression)"  # as it was chosen
    if task is None:
        _check_no_separators(table, target, labels)
        _check_no_missing_marks(table, target, labels, numeric)
        all_numbers = None not in numeric
        few_integers = (all_numbers and all(v.is_integer() for v in numeric)
                        and len(set(numeric)) <= 20)
        task = "classify" if not all_numbers or few_integers else "regress"
    if task == "regress":
        for line, text in zip(table.lines, labels):
            problem = number_problem(text)         # float32 must hold it: 1e39 would be inf
            if problem:
                raise UsageError(f"{table.path}, line {line}: {regression} needs a finite "
                                 f"number in {target!r}, found {text!r}, which {problem}")
    return task


def _target(table: Table, target: str, task: str) -> tuple[np.ndarray, list[str]]:
    """(y, class names) for the `task` `_task` chose: class names map to 0..K-1; regression
    targets become floats."""
    labels = table.column(target)
    if task == "regress":
        values = np.array([_number(v) for v in labels], np.float64)
        check_resolution(table.path, target, values)
        return values.astype(np.float32), []
    numeric = [_number(v) for v in labels]
    classes = sorted(set(labels), key=lambda v: (0, _number(v), v) if _number(v) is not None
                     else (1, 0.0, v))
    if len(classes) < 2:
        raise UsageError(f"{table.path}: the target has a single class {classes[0]!r}; "
                         f"a classifier needs at least two")
    _check_classes(table, target, labels, numeric, len(classes))
    index = {name: i for i, name in enumerate(classes)}
    return np.array([index[v] for v in labels], np.int64), classes


def _check_no_separators(table: Table, target: str, labels: list[str]) -> None:
    """Refuse a number written with thousands separators ("1,234.5"): read as a word, it would
    pass for a missing value among numbers, or make a column of prices a set of classes.
    `--task classify` keeps such names as classes."""
    for line, text in zip(table.lines, labels):
        if without_separators(text) is not None:
            raise UsageError(f"{table.path}, line {line}: the target {target!r} is {text!r}, "
                             f"which {number_problem(text)}")


def _check_no_missing_marks(table: Table, target: str, labels: list[str],
                            numeric: list[float | None]) -> None:
    """Refuse a target of numbers with a few words among them ("NA", "?"): they are missing
    values far more often than classes, and would silently become a class of their own.
    `--task classify` says that they are classes."""
    words = [i for i, value in enumerate(numeric) if value is None]
    if words and len(words) < len(labels) / 2:
        i = words[0]
        raise UsageError(f"{table.path}, line {table.lines[i]}: the target {target!r} is "
                         f"{labels[i]!r}, a number in most other rows: a missing value? Fill it "
                         f"in or remove the row; if it is a class, pass --task classify")


def _check_classes(table: Table, target: str, labels: list[str], numeric: list[float | None],
                   n_classes: int) -> None:
    """Refuse a target that is no set of classes: numbers that are not whole (a measurement),
    one number written two ways ("1" and "1.0" would be two classes), or a different value in
    every row (nothing to learn: each class seen once)."""
    all_numbers = None not in numeric
    hint = "; to predict a number use --task regress" if all_numbers else ""
    if all_numbers:
        for line, text, value in zip(table.lines, labels, numeric):
            if not value.is_integer():
                raise UsageError(f"{table.path}, line {line}: the target {target!r} is "
                                 f"{text!r}, not a whole number: it looks continuous, not a "
                                 f"class{hint}")
    spelling: dict[float, str] = {}
    for line, text, value in zip(table.lines, labels, numeric):
        first = spelling.setdefault(value, text) if value is not None else text
        if first != text:
            raise UsageError(f"{table.path}, line {line}: the target {target!r} is {text!r}, "
                             f"and {first!r} above: one number written two ways would be two "
                             f"classes; write it one way")
    if n_classes == len(labels):
        raise UsageError(f"{table.path}: the target {target!r} has a different value in every "
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


def run(args: argparse.Namespace) -> int:
    """The `train` subcommand: read, split, standardise, fit, report, save."""
    weights_path, settings_path = _output_paths(args.out, args.csv)
    table = read_table(args.csv)
    table.require([args.target], "the target")
    args.target = table.spelled(args.target)     # as the header writes it, from here on
    table.require_names()
    ignored = _ignored(table, args.target, args.ignore)
    features = _features(table, args.target, ignored)
    X = table.numbers(features, training=True)
    task = _task(table, args.target, args.task)
    if len(X) < MIN_ROWS:
        are = "is" if len(X) == 1 else "are"
        raise UsageError(f"{table.path}: {_count(len(X), 'row')} {are} too few to train and "
                         f"validate; glassgrad train needs at least {MIN_ROWS} rows")
    y, classes = _target(table, args.target, task)
    n_val = _validation_rows(args.val, len(X))

    manual_seed(args.seed)
    stratify = y if task == "classify" and np.bincount(y).min() >= 2 else None
    if n_val:
        X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=n_val, seed=args.seed,
                                                          stratify=stratify)
    else:                           # --val 0: every row trains (fit shuffles them itself)
        X_train, X_val, y_train, y_val = X, X[:0], y, y[:0]
    # the training rows' statistics (float64; a constant column is centred, not scaled); the
    # model standardises every row it is given with them, the validation rows first
    inputs = StandardScaler().fit(X_train)
    out_features = len(classes) if task == "classify" else 1
    target_mean, target_std = _target_scale(y_train) if task == "regress" else (0.0, 1.0)
    mlp = MLP(X.shape[1], args.hidden, out_features)
    model = TrainedModel(mlp, inputs.mean, inputs.std, task=task, target=args.target,
                         features=features, classes=classes, hidden=args.hidden,
                         target_mean=target_mean, target_std=target_std)
    if args.lr is None:
        args.lr = _OWN_LR.get(args.optimizer, DEFAULT_LR)
    if args.batch_size is None:     # L-BFGS: one step per epoch, on the whole training set
        args.batch_size = len(X_train) if args.optimizer == "lbfgs" else DEFAULT_BATCH_SIZE
    optimizer = getattr(optim, _OPTIMIZERS[args.optimizer])(
        model.parameters(), lr=args.lr, **_OPTIONS.get(args.optimizer, {}))
    if task == "classify":
        loss_fn, metrics = cross_entropy, ("accuracy",)
    else:
        def loss_fn(out: Any, target: Any) -> Any:
            """The squared error in standard deviations of the target: a price in the
            hundred-thousands trains as well, with the same learning rate, as a number near 1."""
            return mse_loss((out.reshape(-1) - target_mean) / target_std,
                            (target - target_mean) / target_std)
        metrics = ("mse",)
    print(f"training an MLP {'-'.join(map(str, [X.shape[1], *args.hidden, out_features]))} to "
          f"{task} {args.target!r} from {_count(len(features), 'feature')}"
          f"{_ignoring(ignored)}{_row_index(table)} ({_count(len(X_train), 'row')}, {len(X_val)} for validation)")
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
                                  progress=args.progress)
                except TrainingDiverged as error:
                    raise CommandFailed(_diverged(error)) from None
                _warn_if_diverged(start, history, args.lr)
                if n_val:
                    last = history.last()
                    _report(model(X_val).numpy(), y_val,
                            {"loss": last["val_loss"], "mse": last.get("val_mse")}, classes)
                else:
                    _report_training(model, loss_fn, X_train, y_train, metrics, args.batch_size,
                                     classes)
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
