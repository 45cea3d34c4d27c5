"""`glassgrad train`: an MLP learns a CSV file's target column; the model is saved.

    glassgrad train --csv data.csv --target y [--out model.npz]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from typing import Any

import numpy as np

from autograd import manual_seed
from nn import MLP, cross_entropy, fit, mse_loss, optim, save
from nn.data import train_test_split
from nn.metrics import accuracy, confusion_matrix, mean_absolute_error, r2_score

from .errors import UsageError
from .output import matrix_text, write_text


def add_parser(subparsers: Any) -> None:
    """Register `train` on the `glassgrad` command's subparsers."""
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
    p.set_defaults(run=run)


_OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD", "adagrad": "Adagrad", "adadelta": "Adadelta",
               "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW", "adamax": "Adamax",
               "nadam": "NAdam"}


def read_csv(path: str, target: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features (float32) and the raw target column (strings) of a CSV file with a header."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise UsageError(f"{path}: not a readable CSV file ({err})") from None
    if not rows:
        raise UsageError(f"{path}: the file is empty (expected a header row and data rows)")
    header = [name.strip() for name in rows[0]]
    if target not in header:
        raise UsageError(f"{path}: no column {target!r}; the columns are {', '.join(header)}")
    if len(rows) < 2:
        raise UsageError(f"{path}: only a header row, no data")
    if len(header) < 2:
        raise UsageError(f"{path}: needs at least one feature column besides {target!r}")
    t = header.index(target)
    features = [name for i, name in enumerate(header) if i != t]
    X = np.empty((len(rows) - 1, len(features)), np.float32)
    labels = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise UsageError(f"{path}, line {r}: {len(row)} values, the header has {len(header)}")
        labels.append(row[t].strip())
        values = [cell for i, cell in enumerate(row) if i != t]
        for c, cell in enumerate(values):
            try:
                X[r - 2, c] = float(cell)
            except ValueError:
                raise UsageError(f"{path}, line {r}, column {features[c]!r}: {cell!r} is not a "
                                 f"number") from None
    if not np.isfinite(X).all():
        raise UsageError(f"{path}: the features contain nan or inf")
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
            raise UsageError(f"{path}: --task regress needs a numeric target; found {bad!r}")
        return task, numeric.astype(np.float32), []
    classes = sorted(set(labels.tolist()), key=lambda v: (float(v), v) if _is_number(v) else (
        float("inf"), v))
    if len(classes) < 2:
        raise UsageError(f"{path}: the target has a single class {classes[0]!r}; "
                         f"a classifier needs at least two")
    index = {name: i for i, name in enumerate(classes)}
    return task, np.array([index[v] for v in labels], np.int64), classes


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    try:
        hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    except ValueError:
        raise UsageError(f"--hidden must be sizes like 32,32, got {args.hidden!r}") from None
    if any(h < 1 for h in hidden) or args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
        raise UsageError("--hidden sizes, --epochs, --batch-size and --lr must be positive")
    if not 0 < args.val < 1:
        raise UsageError(f"--val must be a fraction between 0 and 1, got {args.val}")
    X, labels, features = read_csv(args.csv, args.target)
    task, y, classes = _target(labels, args.task, args.csv)
    if len(X) < 4:
        raise UsageError(f"{args.csv}: {len(X)} rows are too few to train and validate")

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
        print(matrix_text(confusion_matrix(y_val, predicted, labels=np.arange(len(classes)))))
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
    write_text(settings_path, json.dumps(settings, indent=2) + "\n")
    print(f"saved {args.out} and {settings_path}")
    return 0
