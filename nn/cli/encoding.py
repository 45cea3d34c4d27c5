"""From a table's feature columns to the numbers an MLP takes, for `train` and again for
`predict`: a column of numbers stays one input, its missing values ("", "NA", "?"...) filled in
with the median of the training rows; a column of words (a category: "red", "green") becomes
one 0/1 input per word seen in the training rows, all 0 for a missing value or a word the
model never saw.

The model keeps what it needs to do it again (`Encoding`, saved in its settings): the columns
it reads, each category's words and each number column's median.
"""

from __future__ import annotations

import re
import shlex
from typing import NamedTuple

import numpy as np

from nn.trained import encoded_features

from .errors import UsageError
from .table import Table, is_missing, written_as_number

__all__ = ["Encoding", "Encoded", "column_kinds", "fit_encoding", "encode", "filled_text"]

#: the most words a column may have to be a category in a file of many rows (one input each);
#: in a small file, at most half as many words as rows (else: an id, a name, free text)
MAX_CATEGORIES = 100
#: a date or a time, as spreadsheets and pandas write them ("2023-01-31", "2023-01-31 12:00")
DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?|"
                  r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")
_TRUTHS = ("true", "false")


class Encoding(NamedTuple):
    """The columns read (in order), the words of each category column, and the value that fills
    a missing cell of each number column."""
    columns: list[str]
    categories: dict[str, list[str]]
    fill: dict[str, float]

    def features(self) -> list[str]:
        """The MLP's inputs, in order: a number column's name, or one name per word of a
        category ("colour=red")."""
        return encoded_features(self.columns, self.categories)


def column_kinds(table: Table, columns: list[str]) -> dict[str, str]:
    """"number" or "category" for each of `columns`: a column whose known cells are mostly
    numbers (or True and False) is one of numbers, whose words are slips the reading names; one
    of mostly words is a category. A column with no known cell, or of dates, or of as many
    words as rows (an id, a name) is refused, with what to do."""
    kinds = {}
    for column in columns:
        known = [cell for cell in table.cells(column) if not is_missing(cell)]
        if not known:
            raise UsageError(f"{table.path}: the column {column!r} has no value in any row (every "
                             f"cell is empty or missing); leave it out: "
                             f"--ignore {shlex.quote(column)}")
        numbers = sum(_numeric(cell) for cell in known)
        if numbers > len(known) / 2:
            kinds[column] = "number"
            continue
        if sum(bool(DATE.fullmatch(cell)) for cell in known) > len(known) / 2:
            raise UsageError(f"{table.path}: the column {column!r} holds dates such as "
                             f"{known[0]!r}, which are no category and no number; leave it out "
                             f"(--ignore {shlex.quote(column)}) or write it as numbers (the "
                             f"year, the day of the year) in a column of its own")
        words = len(set(known))
        most = min(MAX_CATEGORIES, max(10, len(table.rows) // 2))
        if words > most:
            raise UsageError(f"{table.path}: the column {column!r} holds {words} different words "
                             f"in {len(table.rows)} rows ({known[0]!r}, ...): too many for a "
                             f"category (at most {most} here, one input each); an id, a name or "
                             f"free text? Leave it out: --ignore {shlex.quote(column)}")
        kinds[column] = "category"
    return kinds


def _numeric(cell: str) -> bool:
    """Whether the known cell `cell` is written as a number (maybe one float32 cannot hold,
    "1e39", or with thousands separators, "1,234.5": the reading says what is wrong with it),
    or as True or False."""
    return cell.lower() in _TRUTHS or written_as_number(cell)


def fit_encoding(table: Table, columns: list[str], rows: np.ndarray) -> Encoding:
    """The encoding of `columns` learnt from the training `rows` (indices into the table): the
    words of each category, sorted, and each number column's median (for a missing value)."""
    kinds = column_kinds(table, columns)
    categories, fill = {}, {}
    for column in columns:
        if kinds[column] == "category":
            every = table.cells(column)
            cells = [every[i] for i in rows]
            categories[column] = sorted({cell for cell in cells if not is_missing(cell)})
            if not categories[column]:
                raise UsageError(f"{table.path}: the column {column!r} has no value in the rows "
                                 f"kept for training; leave it out: --ignore "
                                 f"{shlex.quote(column)}")
    numbers = [column for column in columns if kinds[column] == "number"]
    if numbers:
        X = table.numbers(numbers, training=True, missing=True)[rows]
        for column, values in zip(numbers, X.T.astype(np.float64)):
            known = values[~np.isnan(values)]
            if not len(known):
                raise UsageError(f"{table.path}: the column {column!r} has no value in the rows "
                                 f"kept for training; leave it out: --ignore "
                                 f"{shlex.quote(column)}")
            fill[column] = float(np.float32(np.median(known)))
    encoding = Encoding(list(columns), categories, fill)
    features = encoding.features()
    repeated = sorted({name for name in features if features.count(name) > 1})
    if repeated:
        raise UsageError(f"{table.path}: the column {repeated[0]!r} has the name of a category's "
                         f"0/1 input; rename it")
    return encoding


class Encoded(NamedTuple):
    """The encoded matrix and what was done to make it: the missing values filled in, per
    number column, and the rows per category column that had a word the model never saw."""
    X: np.ndarray
    filled: dict[str, int]
    unseen: dict[str, list[str]]


def encode(table: Table, encoding: Encoding, *, training: bool) -> Encoded:
    """The float32 matrix of `encoding.features()` for every row of `table`."""
    numbers = [column for column in encoding.columns if column not in encoding.categories]
    # a column whose model has no median to fill in with (glassgrad < 0.4) takes none
    fillable = [column for column in numbers if column in encoding.fill]
    values = {}
    if fillable:
        X = table.numbers(fillable, training=training, missing=True)
        values.update(zip(fillable, X.T))
    rest = [column for column in numbers if column not in encoding.fill]
    if rest:
        values.update(zip(rest, table.numbers(rest, training=training).T))
    filled, unseen, parts = {}, {}, []
    for column in encoding.columns:
        if column not in encoding.categories:
            part = values[column]
            gaps = np.isnan(part)
            if gaps.any():
                filled[column] = int(gaps.sum())
                part = np.where(gaps, np.float32(encoding.fill[column]), part)
            parts.append(part[:, None])
            continue
        words = encoding.categories[column]
        index = {word: i for i, word in enumerate(words)}
        cells = table.cells(column)
        onehot = np.zeros((len(cells), len(words)), np.float32)
        for r, cell in enumerate(cells):
            if cell in index:
                onehot[r, index[cell]] = 1.0
            elif not is_missing(cell):
                unseen.setdefault(column, []).append(cell)
            else:
                filled[column] = filled.get(column, 0) + 1
        parts.append(onehot)
    X = np.concatenate(parts, axis=1) if parts else np.zeros((len(table.rows), 0), np.float32)
    return Encoded(X.astype(np.float32, copy=False), filled, unseen)


def filled_text(filled: dict[str, int], encoding: Encoding) -> str:
    """What was filled in, for a line of the summary or a warning.

    >>> print(filled_text({"age": 3, "colour": 1},
    ...                   Encoding(["age", "colour"], {"colour": ["red"]}, {"age": 40.0})))
    filled in 4 missing values: 'age' 3 (its median 40), 'colour' 1 (none of its values set)
    """
    n = sum(filled.values())
    parts = []
    for column, count in filled.items():
        how = ("none of its values set" if column in encoding.categories
               else f"its median {encoding.fill[column]:.4g}")
        parts.append(f"{column!r} {count} ({how})")
    return f"filled in {n} missing value{'s' if n != 1 else ''}: {', '.join(parts)}"
