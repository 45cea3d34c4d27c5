"""The `glassgrad demo` and `glassgrad train` commands (registered by `autograd.cli`).

Exit codes: 0 success, 1 a failure while running, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import sys
from typing import Any

import numpy as np

from autograd.files import atomic_open

__all__ = ["add_demo_parser", "add_train_parser", "InputError"]


class InputError(Exception):
    """The user's input is wrong (exit code 2); the message says what and where."""


def _command(run: Any) -> Any:
    """Report an InputError as one line on stderr and exit code 2."""
    name = run.__name__.removeprefix("run_")

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except InputError as err:
            print(f"glassgrad {name}: error: {err}", file=sys.stderr)
            return 2
    return wrapper


# -- glassgrad demo -------------------------------------------------------------------------------

def add_demo_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demo", help="train an MLP on the two moons and write its pictures",
        description="Train an MLP on the two-moons dataset with a progress bar, print train and "
                    "test accuracy and the confusion matrix, and write the decision boundary "
                    "(PNG, when matplotlib is installed) and the computation graph of one "
                    "prediction (SVG) into an output folder.")
    p.add_argument("-o", "--out", default="glassgrad-demo", help="output folder "
                   "(default: %(default)s)")
    p.add_argument("--epochs", type=int, default=100, help="passes over the data (default: 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run_demo)


@_command
def run_demo(args: argparse.Namespace) -> int:
    from autograd import manual_seed

    from . import MLP, cross_entropy, fit
    from .data import make_moons, train_test_split
    from .metrics import accuracy, confusion_matrix
    from .optim import Adam

    if args.epochs < 1:
        raise InputError(f"--epochs must be at least 1, got {args.epochs}")
    manual_seed(args.seed)
    X, y = make_moons(n_samples=400, noise=0.15, seed=args.seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=args.seed)
    model = MLP(2, [16, 16], 2)
    print(f"glassgrad demo: an MLP 2-16-16-2 learns the two moons ({len(X_train)} training "
          f"points, {len(X_test)} held out)")
    fit(model, cross_entropy, Adam(model.parameters(), lr=0.03), (X_train, y_train),
        epochs=args.epochs, batch_size=32, seed=args.seed, progress=not args.no_progress)
    train_acc = accuracy(y_train, model(X_train).numpy().argmax(1))
    predicted = model(X_test).numpy().argmax(1)
    print(f"train accuracy {train_acc:.3f}, test accuracy {accuracy(y_test, predicted):.3f}")
    print("confusion matrix on the test set (rows: true class, columns: predicted):")
    print(_indent(confusion_matrix(y_test, predicted)))

    os.makedirs(args.out, exist_ok=True)
    written = []
    graph_path = os.path.join(args.out, "prediction_graph.svg")
    _prediction_graph(model, X_test[:1], y_test[:1]).save(graph_path)
    written.append(graph_path)
    try:
        png = _decision_boundary(model, X, y, os.path.join(args.out, "decision_boundary.png"))
        written.append(png)
    except ImportError:
        print("(matplotlib is not installed: no decision-boundary plot; "
              "pip install matplotlib to get one)")
    for path in written:
        print(f"wrote {path}")
    return 0


def _prediction_graph(model: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """The graph of one test point's loss after backward: every weight with its gradient."""
    from autograd import Tensor
    from autograd.viz import draw_graph

    from . import cross_entropy

    for name, p in model.named_parameters():
        p.label = name                                   # "0.weight" in the picture
    model.zero_grad()
    loss = cross_entropy(model(Tensor(x, label="x")), y)
    loss.label = "loss"
    loss.backward()
    return draw_graph(loss, engine="builtin")


def _indent(matrix: np.ndarray) -> str:
    return "\n".join("  " + " ".join(f"{v:5d}" for v in row) for row in matrix)


def _decision_boundary(model: Any, X: np.ndarray, y: np.ndarray, path: str) -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 200)
    ys = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 200)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    classes = model(grid).numpy().argmax(1).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.contourf(gx, gy, classes, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
    ax.set_title("glassgrad MLP on the two moons")
    _save_figure(fig, path)
    plt.close(fig)
    return path


def _save_figure(fig: Any, path: str) -> None:
    with atomic_open(path) as f:
        fig.savefig(f, format="png", dpi=120, bbox_inches="tight")


# -- glassgrad train ------------------------------------------------------------------------------

def add_train_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train", help="train an MLP on a CSV file",
        description="Train an MLP on a CSV file with a header row: every column but the target "
                    "is a numeric feature. Reports validation metrics and saves the model "
                    "(weights in .npz, settings in a .json beside it).")
    p.add_argument("--csv", required=True, help="the data file (header row, comma-separated)")
    p.add_argument("--target", required=True, help="the column to predict")
    p.add_argument("--task", choices=("classify", "regress"),
                   help="default: classify when the target is text or has at most 20 integer "
                        "values, else regress")
    p.add_argument("--hidden", default="32,32", help="hidden layer sizes (default: 32,32; "
                   "'' for none)")
    p.add_argument("--optimizer", default="adam", choices=sorted(_OPTIMIZERS),
                   help="(default: adam)")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (default: 0.01)")
    p.add_argument("--epochs", type=int, default=50, help="(default: 50)")
    p.add_argument("--batch-size", type=int, default=32, help="(default: 32)")
    p.add_argument("--val", type=float, default=0.2, help="validation fraction (default: 0.2)")
    p.add_argument("--seed", type=int, default=0, help="(default: 0)")
    p.add_argument("--out", default="model.npz", help="where to save the model "
                   "(default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run_train)


_OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD", "adagrad": "Adagrad", "adadelta": "Adadelta",
               "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW", "adamax": "Adamax",
               "nadam": "NAdam"}


def read_csv(path: str, target: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features (float32) and the raw target column (strings) of a CSV file with a header."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"{path}: not a readable CSV file ({err})") from None
    if not rows:
        raise InputError(f"{path}: the file is empty (expected a header row and data rows)")
    header = [name.strip() for name in rows[0]]
    if target not in header:
        raise InputError(f"{path}: no column {target!r}; the columns are {', '.join(header)}")
    if len(rows) < 2:
        raise InputError(f"{path}: only a header row, no data")
    if len(header) < 2:
        raise InputError(f"{path}: needs at least one feature column besides {target!r}")
    t = header.index(target)
    features = [name for i, name in enumerate(header) if i != t]
    X = np.empty((len(rows) - 1, len(features)), np.float32)
    labels = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(f"{path}, line {r}: {len(row)} values, the header has {len(header)}")
        labels.append(row[t].strip())
        values = [cell for i, cell in enumerate(row) if i != t]
        for c, cell in enumerate(values):
            try:
                X[r - 2, c] = float(cell)
            except ValueError:
                raise InputError(f"{path}, line {r}, column {features[c]!r}: {cell!r} is not a "
                                 f"number") from None
    if not np.isfinite(X).all():
        raise InputError(f"{path}: the features contain nan or inf")
    return X, np.array(labels), features


def _target(labels: np.ndarray, task: str | None, path: str) -> tuple[str, np.ndarray, list]:
    """(task, y, class names): class names map to 0..K-1; regression targets become floats."""
    try:
        numeric = labels.astype(np.float64)
    except ValueError:
        numeric = None
    if task is None:
        small_integer_set = (numeric is not None and np.all(numeric == np.round(numeric))
                             and len(np.unique(numeric)) <= 20)
        task = "classify" if numeric is None or small_integer_set else "regress"
    if task == "regress":
        if numeric is None:
            bad = next(v for v in labels.tolist() if not _is_number(v))
            raise InputError(f"{path}: --task regress needs a numeric target; found {bad!r}")
        return task, numeric.astype(np.float32), []
    classes = sorted(set(labels.tolist()), key=lambda v: (float(v), v) if _is_number(v) else (
        float("inf"), v))
    if len(classes) < 2:
        raise InputError(f"{path}: the target has a single class {classes[0]!r}; "
                         f"a classifier needs at least two")
    index = {name: i for i, name in enumerate(classes)}
    return task, np.array([index[v] for v in labels], np.int64), classes


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@_command
def run_train(args: argparse.Namespace) -> int:
    from autograd import manual_seed

    from . import MLP, cross_entropy, fit, mse_loss, optim, save
    from .data import train_test_split
    from .metrics import accuracy, confusion_matrix, mean_absolute_error, r2_score

    try:
        hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    except ValueError:
        raise InputError(f"--hidden must be sizes like 32,32, got {args.hidden!r}") from None
    if any(h < 1 for h in hidden) or args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
        raise InputError("--hidden sizes, --epochs, --batch-size and --lr must be positive")
    if not 0 < args.val < 1:
        raise InputError(f"--val must be a fraction between 0 and 1, got {args.val}")
    X, labels, features = read_csv(args.csv, args.target)
    task, y, classes = _target(labels, args.task, args.csv)
    if len(X) < 4:
        raise InputError(f"{args.csv}: {len(X)} rows are too few to train and validate")

    manual_seed(args.seed)
    stratify = y if task == "classify" and np.bincount(y).min() >= 2 else None
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=args.val, seed=args.seed,
                                                      stratify=stratify)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0                      # a constant column: leave it centred, not scaled
    X_train, X_val = (X_train - mean) / std, (X_val - mean) / std

    out_features = len(classes) if task == "classify" else 1
    model = MLP(X.shape[1], hidden, out_features)
    extra = {"momentum": 0.9} if args.optimizer == "momentum" else {}
    optimizer = getattr(optim, _OPTIMIZERS[args.optimizer])(model.parameters(), lr=args.lr,
                                                            **extra)
    if task == "classify":
        loss_fn, metrics = cross_entropy, ("accuracy",)
    else:
        loss_fn, metrics = (lambda out, target: mse_loss(out.reshape(-1), target)), ("mse",)
        y_train, y_val = y_train.astype(np.float32), y_val.astype(np.float32)
    print(f"training an MLP {'-'.join(map(str, [X.shape[1], *hidden, out_features]))} to "
          f"{task} {args.target!r} from {len(features)} features ({len(X_train)} rows, "
          f"{len(X_val)} for validation)")
    history = fit(model, loss_fn, optimizer, (X_train, y_train), epochs=args.epochs,
                  val_data=(X_val, y_val), metrics=metrics, batch_size=args.batch_size,
                  seed=args.seed, progress=not args.no_progress)
    outputs = model(X_val).numpy()
    if task == "classify":
        predicted = outputs.argmax(1)
        print(f"validation accuracy {accuracy(y_val, predicted):.4f} "
              f"(loss {history['val_loss'][-1]:.4f})")
        print("confusion matrix (rows: true, columns: predicted; classes "
              f"{', '.join(map(str, classes))}):")
        print(_indent(confusion_matrix(y_val, predicted, labels=np.arange(len(classes)))))
    else:
        predicted = outputs.reshape(-1)
        print(f"validation MSE {history['val_mse'][-1]:.4g}, MAE "
              f"{mean_absolute_error(y_val, predicted):.4g}, R² {r2_score(y_val, predicted):.4f}")

    state = model.state_dict()
    state["input_mean"], state["input_std"] = mean, std
    save(state, args.out)
    settings = {"task": task, "target": args.target, "features": features, "hidden": hidden,
                "classes": classes, "weights": os.path.basename(args.out)}
    settings_path = os.path.splitext(args.out)[0] + ".json"
    _write_text(settings_path, json.dumps(settings, indent=2) + "\n")
    print(f"saved {args.out} and {settings_path}")
    return 0


def _write_text(path: str, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


