"""Reading a CSV file with a header row, checked cell by cell (errors name the line and column)."""

from __future__ import annotations

import csv
from typing import NamedTuple

import numpy as np

from .errors import UsageError

__all__ = ["Table", "read_table"]


class Table(NamedTuple):
    """The file's column names, its data rows (text cells) and each row's line in the file."""
    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def column(self, name: str) -> list[str]:
        """The stripped text cells of column `name`; an empty cell is an error naming its line."""
        i = self.header.index(name)
        cells = [row[i].strip() for row in self.rows]
        for line, cell in zip(self.lines, cells):
            if not cell:
                raise UsageError(f"{self.path}, line {line}: the {name!r} cell is empty "
                                 f"(fill it in or remove the row)")
        return cells

    def numbers(self, names: list[str]) -> np.ndarray:
        """Columns `names` as a float32 matrix; a cell that is not a finite number is an error."""
        columns = [self.header.index(name) for name in names]
        X = np.empty((len(self.rows), len(names)), np.float32)
        for r, (line, row) in enumerate(zip(self.lines, self.rows)):
            for c, (i, name) in enumerate(zip(columns, names)):
                try:
                    X[r, c] = float(row[i])
                except ValueError:
                    raise UsageError(f"{self.path}, line {line}, column {name!r}: {row[i]!r} is "
                                     f"not a number") from None
                if not np.isfinite(X[r, c]):
                    raise UsageError(f"{self.path}, line {line}, column {name!r}: {row[i]!r} is "
                                     f"not a finite number (nan or inf)")
        return X

    def require(self, names: list[str], why: str) -> None:
        """Every column in `names` must be in the header."""
        absent = [name for name in names if name not in self.header]
        if absent:
            raise UsageError(f"{self.path}: no column {', '.join(map(repr, absent))} ({why}); "
                             f"the columns are {', '.join(self.header)}")


def read_table(path: str) -> Table:
    """Read `path`: a header row of distinct names, then rows with as many cells (blank lines
    are skipped)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            rows, lines = [], []
            for row in reader:
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(reader.line_num)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a CSV file") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise UsageError(f"{path}: not a readable CSV file ({err})") from None
    if not rows:
        raise UsageError(f"{path}: the file is empty (expected a header row and data rows)")
    header = [name.strip() for name in rows[0]]
    repeated = sorted({name for name in header if header.count(name) > 1}, key=header.index)
    if repeated:                      # a name would find only its first column, silently
        raise UsageError(f"{path}: the header names {', '.join(map(repr, repeated))} more than "
                         f"once; give each column its own name")
    if len(rows) < 2:
        raise UsageError(f"{path}: only a header row, no data")
    for line, row in zip(lines[1:], rows[1:]):
        if len(row) != len(header):
            raise UsageError(f"{path}, line {line}: {len(row)} values, the header has "
                             f"{len(header)}")
    return Table(path, header, rows[1:], lines[1:])
