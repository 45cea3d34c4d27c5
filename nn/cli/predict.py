"""`glassgrad predict`: a model saved by `glassgrad train` labels the rows of a new CSV file.

    glassgrad predict --model model.npz --csv new.csv [--out predictions.csv]
    ... | glassgrad predict --model model.npz --csv -    (the rows from standard input)

The model's settings file names the feature columns (other columns are ignored) and its weights
file holds the standardisation of the training inputs, applied to the new rows first.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import warnings
from typing import Any

import numpy as np

from nn.trained import load_trained, trained_paths

from .errors import UsageError, warn
from .output import check_output_path, same_file, write_stdout, write_text
from .table import read_table


def add_parser(subparsers: Any) -> None:
    """Register `predict` on the `glassgrad` command's subparsers."""
    p = subparsers.add_parser(
        "predict", help="predict the target of new CSV rows with a model from glassgrad train",
        description="Read a model saved by glassgrad train (its .npz or .json), predict the "
                    "target of every row of a CSV file that has the model's feature columns, and "
                    "write the rows with a new last column 'predicted_<target>'.")
    p.add_argument("--model", required=True, help="the saved model: model.npz or model.json")
    p.add_argument("--csv", required=True, help="the rows to predict (header row, "
                   "comma-separated; needs the columns the model was trained on; - reads them "
                   "from standard input)")
    p.add_argument("--out", help="write the predictions here as CSV (default, or -: to "
                   "standard output)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The `predict` subcommand: load, check the columns, predict, write."""
    if args.out == "-":                 # as `--csv -` reads standard input
        args.out = None
    if args.out is not None:
        check_output_path("--out", args.out)
    model = _load(args.model)
    if args.out is not None and any(same_file(args.out, path)
                                    for path in (*trained_paths(args.model), args.csv)):
        raise UsageError(f"--out {args.out}: that is the model's or the input's own file; write "
                         f"the predictions to another name")
    table = read_table(args.csv)
    table.require(model.features, "the model was trained on it",
                  "the model was trained on them")
    column = f"predicted_{model.target}"
    if column in table.header:         # two columns of one name, or old predictions lost
        raise UsageError(f"{table.path}: already has a column {column!r}, the one predict adds; "
                         f"rename or remove it")
    predictions = model.predict(table.numbers(model.features, training=False))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*table.header, column])
    for row, value in zip(table.rows, predictions):
        # the shortest digits that give the model's number back, never in powers of ten: a
        # price of 1234567.5 is written whole (six significant digits wrote 1.23457e+06)
        writer.writerow([*row, value if model.task == "classify"
                         else np.format_float_positional(value, trim="-")])
    if args.out is None:
        write_stdout(buffer.getvalue())
    else:
        write_text(args.out, buffer.getvalue())
        print(f"wrote {len(table.rows)} predictions of {model.target!r} to {args.out}")
    return 0


def _load(path: str) -> Any:
    """The model at `path`; what load_trained warns about (settings left out, say) is shown as
    one line each, not as Python's two-line warnings."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = load_trained(path)
    except (FileNotFoundError, ValueError, KeyError) as error:
        message = error.args[0] if error.args else error         # a KeyError's str() is quoted
        if isinstance(error, FileNotFoundError) and not any(
                os.path.exists(name) for name in (path, *trained_paths(path))):
            message = (f"{message}; train one first: glassgrad train --csv DATA.csv --target "
                       f"COLUMN --out {path}")                  # (predict before train)
        raise UsageError(f"--model {path}: {message}") from None
    for warning in caught:
        warn("glassgrad predict", f"--model {path}: {warning.message}")
    return model
