"""`glassgrad predict`: a model saved by `glassgrad train` labels the rows of a new CSV file.

    glassgrad predict --model model.npz --data new.csv [--out predictions.csv]
    ... | glassgrad predict --model model.npz --data -    (the rows from standard input)
    glassgrad predict --model mnist.npz --data t10k-images-idx3-ubyte.gz     (or an .npz)

The model's settings file names the feature columns (other columns are ignored) and its weights
file holds the standardisation of the training inputs, applied to the new rows first. A
category's word the model never saw sets none of its 0/1 inputs; a missing number is the
training rows' median (each said in a line on stderr). When the rows hold the target too (a
labelled test set), the score of the predictions is printed as well.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import warnings
from typing import Any

import numpy as np

from nn.metrics import mean_absolute_error, mean_squared_error, r2_score
from nn.trained import TrainedModel, load_trained, trained_paths

from .arrays import is_arrays, label_texts, read_arrays
from .encoding import Encoding, encode, filled_text
from .errors import UsageError, warn
from .options import add_reading_options
from .output import check_output_path, same_file, write_stdout, write_text
from .table import Table, is_missing, number_problem, read_table

PROG = "glassgrad predict"


def add_parser(subparsers: Any) -> None:
    """Register `predict` on the `glassgrad` command's subparsers."""
    p = subparsers.add_parser(
        "predict", help="predict the target of new CSV rows with a model from glassgrad train",
        description="Read a model saved by glassgrad train (its .npz, .pt or .json), predict "
                    "the target of every row of a CSV file that has the model's feature columns "
                    "(or of every sample of an .npz or IDX file), and write the rows with a new "
                    "last column 'predicted_<target>'. When the rows hold the target as well, "
                    "the predictions' score is printed too.")
    p.add_argument("--model", required=True, help="the saved model: model.npz, model.pt or "
                   "model.json")
    p.add_argument("--data", "--csv", dest="data", required=True, metavar="FILE",
                   help="the rows to predict: a CSV file with the columns the model was trained "
                        "on (- reads them from standard input), an .npz or an IDX images file")
    add_reading_options(p)
    p.add_argument("--out", help="write the predictions here as CSV (default, or -: to "
                   "standard output)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The `predict` subcommand: load, check the columns, predict, write."""
    if args.out == "-":                 # as `--data -` reads standard input
        args.out = None
    if args.out is not None:
        check_output_path("--out", args.out)
    model = load_model("--model", args.model)
    if args.out is not None and any(same_file(args.out, path)
                                    for path in (*trained_paths(args.model), args.data)):
        raise UsageError(f"--out {args.out}: that is the model's or the input's own file; write "
                         f"the predictions to another name")
    column = f"predicted_{model.target}"
    if is_arrays(args.data):
        predictions, known, text = _predict_arrays(model, args.data)
        count = len(predictions)
    else:
        table = read_table(args.data, args.sep, args.header)
        if column in table.header:      # two columns of one name, or old predictions lost
            raise UsageError(f"{table.path}: already has a column {column!r}, the one predict "
                             f"adds; rename or remove it")
        predictions, known = _predict_table(model, table)
        text = _table_text(table, column, predictions, model.task == "classify")
        count = len(table.rows)
    score = _score(model, predictions, known)
    if args.out is None:
        write_stdout(text)
        if score:
            print(f"{PROG}: {score}", file=sys.stderr)
    else:
        write_text(args.out, text)
        print(f"wrote {count} predictions of {model.target!r} to {args.out}"
              f"{'; ' + score if score else ''}")
    return 0


def _predict_table(model: TrainedModel, table: Table) -> tuple[np.ndarray, list[str] | None]:
    """The model's predictions for the rows of `table`, and the target's cells if it has them
    (else None)."""
    columns = model.columns if model.columns is not None else model.features
    numbered = columns == [str(i) for i in range(len(columns))]
    if numbered and table.has_header and any(table.spelled(c) not in table.header
                                             for c in columns):
        raise UsageError(f"{table.path}: the model was trained on {len(columns)} unnamed "
                         f"features, by position (from an .npz, IDX, or a CSV file without a "
                         f"header row), but this file's first line names its columns "
                         f"({', '.join(table.header[:6])}"
                         f"{', ...' if len(table.header) > 6 else ''}); give a file of the "
                         f"same kind (--no-header if its first line is data)")
    table.require(columns, "the model was trained on it", "the model was trained on them")
    encoding = Encoding([table.spelled(name) for name in columns],
                        {table.spelled(k): v for k, v in model.categories.items()},
                        {table.spelled(k): v for k, v in model.fill.items()})
    encoded = encode(table, encoding, training=False)
    if encoded.filled:
        warn(PROG, filled_text(encoded.filled, encoding))
    for column, words in encoded.unseen.items():
        shown = ", ".join(map(repr, list(dict.fromkeys(words))[:3]))
        warn(PROG, f"{_rows(len(words))} of {column!r} hold{'s' if len(words) == 1 else ''} a "
                   f"value the model never saw ({shown}): predicted with none of its "
                   f"{len(model.categories[column])} values set")
    target = table.spelled(model.target)
    known = table.cells(target) if target in table.header and target not in columns else None
    return model.predict(encoded.X), known


def _predict_arrays(model: TrainedModel, path: str
                    ) -> tuple[np.ndarray, list[str] | None, str]:
    """The model's predictions for the samples of an .npz or IDX file, their labels' text if it
    has them, and the CSV to write: one column of predictions."""
    data = read_arrays(path, None, [], need_labels=False)
    if data.X.shape[1] != len(model.features):
        raise UsageError(f"{path}: {data.X.shape[1]} value{'s' if data.X.shape[1] != 1 else ''} "
                         f"per sample in {data.inputs!r}, but the model was trained on "
                         f"{len(model.features)} features ({_features_text(model)})")
    predictions = model.predict(data.X)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f"predicted_{model.target}"])
    for value in predictions:
        writer.writerow([_cell(value, model.task == "classify")])
    # (labels of another name, "y" for a model of "price", are not this model's target)
    known = label_texts(data.labels) if data.labels is not None and \
        data.target == model.target else None
    return predictions, known, buffer.getvalue()


def _features_text(model: TrainedModel) -> str:
    shown = model.features[:4]
    return ", ".join(shown) + (", ..." if len(model.features) > 4 else "")


def _cell(value: Any, classify: bool, decimal_comma: bool = False) -> str:
    """A prediction as a cell: a class as its name, a number with the shortest digits that give
    the model's number back, never in powers of ten (a price of 1234567.5 is written whole; six
    significant digits wrote 1.23457e+06), with a decimal comma if the file has them."""
    if classify:
        return str(value)
    text = np.format_float_positional(value, trim="-")
    return text.replace(".", ",") if decimal_comma else text


def _table_text(table: Table, column: str, predictions: np.ndarray, classify: bool) -> str:
    """The table's rows as written, with the predictions as a last column, in the file's own
    separator (and header row, if it has one)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=table.sep, lineterminator="\n")
    if table.has_header:
        writer.writerow([*table.header, column])
    rows = table.written if table.written is not None else table.rows
    for row, value in zip(rows, predictions):
        writer.writerow([*row, _cell(value, classify, table.decimal_comma)])
    return buffer.getvalue()


def _score(model: TrainedModel, predictions: np.ndarray, known: list[str] | None) -> str:
    """'accuracy 0.9500 on the 20 rows whose 'label' is known' when the data hold the target
    (a labelled test set); '' when they do not."""
    if known is None:
        return ""
    rows = [i for i, cell in enumerate(known) if not is_missing(cell)]
    if model.task == "classify":
        if not rows:
            return ""
        said = [_class_text(v) for v in predictions[rows].tolist()]
        truth = [known[i] for i in rows]
        right = np.mean([a == b for a, b in zip(said, truth)])
        return f"accuracy {right:.4f} on the {_rows(len(rows))} whose {model.target!r} is known"
    rows = [i for i in rows if number_problem(known[i]) is None]
    if not rows:
        return ""
    truth = np.array([float(known[i]) for i in rows])
    guess = np.asarray(predictions, np.float64)[rows]
    r2 = f", R² {r2_score(truth, guess):.4f}" if len(rows) > 1 and truth.std() > 0 else ""
    return (f"MSE {mean_squared_error(truth, guess):.4g}, MAE "
            f"{mean_absolute_error(truth, guess):.4g}{r2} on the {_rows(len(rows))} whose "
            f"{model.target!r} is known")


def _rows(n: int) -> str:
    """'1 row', '20 rows'."""
    return f"{n} row{'s' if n != 1 else ''}"


def _class_text(value: Any) -> str:
    """A predicted class as its name in the data: "1" for 1, "1.0" for 1.0, "red"."""
    return repr(value) if isinstance(value, float) else str(value)


def load_model(option: str, path: str) -> TrainedModel:
    """The model at `path` (given to `option`); what load_trained warns about (settings left
    out, say) is shown as one line each, not as Python's two-line warnings."""
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
        raise UsageError(f"{option} {path}: {message}") from None
    for warning in caught:
        warn(f"glassgrad {'predict' if option == '--model' else 'train'}",
             f"{option} {path}: {warning.message}")
    return model

