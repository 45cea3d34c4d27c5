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

__all__ = ["Encoding", "Encoded", "column_kinds", "read_features", "number_values",
           "fit_encoding", "encode",
           "filled_text"]

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
        if _all_numbers(table, [column]):
            kinds[column] = "number"
            continue
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


def _all_numbers(table: Table, columns: list[str]) -> bool:
    """Whether every cell of `columns` is a number as float() reads it, and each column has one
    that is not NaN."""
    indices = [table.header.index(table.spelled(column)) for column in columns]
    try:
        values = np.array([[row[i] for i in indices] for row in table.rows], np.float64)
    except ValueError:
        return False
    return bool(len(values)) and not np.isnan(values).all(axis=0).any()


def _numeric(cell: str) -> bool:
    """Whether the known cell `cell` is written as a number (maybe one float32 cannot hold,
    "1e39", or with thousands separators, "1,234.5": the reading says what is wrong with it),
    or as True or False."""
    return cell.lower() in _TRUTHS or written_as_number(cell)


def read_features(table: Table, columns: list[str]) -> tuple[dict[str, str],
                                                             dict[str, np.ndarray]]:
    """The kind of each of `columns` (`column_kinds`) and the float32 values of the number
    columns, missing ones NaN (`number_values`), every cell checked. A table of numbers only,
    the common case, is read in one pass at numpy's speed."""
    sample = Table(table.path, table.header, table.rows[:200], table.lines[:200])
    if _all_numbers(sample, columns):           # most likely numbers throughout
        try:
            numbers = number_values(table, columns, training=True)
        except UsageError:                      # a word further down: column by column
            pass
        else:
            if not any(np.isnan(values).all() for values in numbers.values()):
                return dict.fromkeys(columns, "number"), numbers
    kinds = column_kinds(table, columns)
    return kinds, number_values(table, [c for c in columns if kinds[c] == "number"],
                                training=True)


def number_values(table: Table, columns: list[str], *, training: bool,
                  missing: bool = True) -> dict[str, np.ndarray]:
    """The float32 values of the number `columns` (missing ones NaN, if `missing`), by name: every
    cell checked (`Table.numbers`), in one pass."""
    if not columns:
        return {}
    return dict(zip(columns, table.numbers(columns, training=training, missing=missing).T))


def fit_encoding(table: Table, columns: list[str], rows: np.ndarray, kinds: dict[str, str],
                 numbers: dict[str, np.ndarray]) -> Encoding:
    """The encoding of `columns` learnt from the training `rows` (indices into the table): the
    words of each category, sorted, and each number column's median (for a missing value).
    `kinds` are `column_kinds`'s, `numbers` the number columns' values (`number_values`)."""
    categories, fill = {}, {}
    for column in columns:
        if kinds[column] == "category":
            every = table.cells(column)
            known = sorted({every[i] for i in rows if not is_missing(every[i])})
        else:
            values = numbers[column][rows].astype(np.float64)
            known = values[~np.isnan(values)]
        if not len(known):
            raise UsageError(f"{table.path}: the column {column!r} has no value in the rows "
                             f"kept for training; leave it out: --ignore {shlex.quote(column)}")
        if kinds[column] == "category":
            categories[column] = known
        else:
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
    column, and the cells per category column that hold a word the model never saw."""
    X: np.ndarray
    filled: dict[str, int]
    unseen: dict[str, list[str]]


def encode(table: Table, encoding: Encoding, *, training: bool,
           numbers: dict[str, np.ndarray] | None = None) -> Encoded:
    """The float32 matrix of `encoding.features()` for every row of `table`; `numbers`: the
    number columns' values, if they were read already (`number_values`)."""
    if numbers is None:
        columns = [column for column in encoding.columns if column not in encoding.categories]
        # a column whose model has no median to fill in with (glassgrad < 0.4) takes none
        fillable = [column for column in columns if column in encoding.fill]
        numbers = number_values(table, fillable, training=training)
        numbers.update(number_values(table, [c for c in columns if c not in encoding.fill],
                                     training=training, missing=False))
    filled, unseen, parts = {}, {}, []
    for column in encoding.columns:
        if column not in encoding.categories:
            part = numbers[column]
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
