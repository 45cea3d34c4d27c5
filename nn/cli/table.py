"""Reading a CSV file with a header row, checked cell by cell (errors name the line and column).

The file name "-" means standard input (`... | glassgrad train --csv - --target y`); errors
call it <stdin>.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import shlex
import sys
import unicodedata
from typing import IO, NamedTuple

import numpy as np

from .errors import UsageError

__all__ = ["Table", "read_table", "number_problem", "without_separators", "check_resolution"]

FLOAT32_MAX = float(np.finfo(np.float32).max)       # about 3.4e38; anything larger becomes inf
NO_HEADER = "the first line holds numbers: the file needs a header row of column names"
STDIN = "-"                                         # the file name that means standard input
#: a number with thousands separators: digits in groups of three after the first, then maybe
#: a decimal part ("1,234.5", "-12,000"); a CSV file holds one only in quotes
THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")


def without_separators(text: str) -> str | None:
    """The number `text` spells with thousands separators, written without them; None if `text`
    is not one (float() reads no separators, so "1,234.5" would be a word).

    >>> without_separators(" 1,234.5 "), without_separators("12,34"), without_separators("1.5")
    ('1234.5', None, None)
    """
    text = text.strip()
    return text.replace(",", "") if THOUSANDS.fullmatch(text) else None


def number_problem(text: str) -> str | None:
    """Why the cell `text` cannot be a float32 number, or None if it can.

    >>> number_problem(" 2.5 "), number_problem("NA"), number_problem("1e39")
    (None, 'is not a number', 'is too large for float32 (beyond ±3.4e38)')
    >>> number_problem("1,234.5")
    'is a number written with a thousands separator; write it without separators (1234.5)'
    """
    if not text.strip():
        return "is empty (fill it in or remove the row)"
    try:
        value = float(text)
    except ValueError:
        plain = without_separators(text)
        if plain is not None:
            return (f"is a number written with a thousands separator; write it without "
                    f"separators ({plain})")
        return "is not a number"
    if math.isnan(value) or text.strip().lstrip("+-").lower() in ("inf", "infinity"):
        return "is not a finite number (nan or inf)"
    if not abs(value) <= FLOAT32_MAX:            # 1e39, or 1e400, which float() makes inf
        return "is too large for float32 (beyond ±3.4e38)"
    return None


def check_resolution(path: str, name: str, values: np.ndarray) -> None:
    """Refuse a column whose float64 `values` float32 (in which glassgrad trains) cannot tell
    apart: numbers that vary little around a large one (1e9 ± 5, where float32's steps are 64)
    would train as a constant, or as noise, silently. Rounding may move a value by at most 1 %
    of the column's standard deviation.

    >>> check_resolution("d.csv", "t", np.array([1e9 + 3, 1e9 - 4, 1e9 + 1]))
    Traceback (most recent call last):
    nn.cli.errors.UsageError: d.csv: the values of 't' vary by 2.9 around 1000000001, too ...
    """
    if values.min() == values.max():                 # constant: nothing to tell apart
        return
    spread = float(values.std())
    rounding = float(np.abs(values - values.astype(np.float32)).max())
    if rounding > 0.01 * spread:
        # the middle value, rounded to the digits the spread does not reach: a constant to type
        centre = float(np.median(values))
        centre = round(centre, -math.floor(math.log10(spread))) if spread > 0 else centre
        raise UsageError(f"{path}: the values of {name!r} vary by {spread:.2g} around "
                         f"{centre:.15g}, too little for float32 (in which glassgrad trains) to "
                         f"tell them apart: it rounds them by up to {rounding:.2g}; subtract a "
                         f"constant such as {centre:.15g} from the column first")


#: a bool column's cells (compared in lower case), as numbers
_TRUTHS = {"true": "1", "false": "0"}

#: how spreadsheets and data tools write a missing value (compared in lower case)
MISSING_MARKS = frozenset({"", "na", "n/a", "nan", "null", "none", "missing", "?", "-"})


def cell_hint(text: str, column: str, cells: list[str], training: bool) -> str:
    """What to do about the cell `text` of the feature `column` (whose cells are `cells`), which
    is no usable number: glassgrad neither fills in missing values nor encodes categories, so
    say so. A word among numbers is most likely a slip of the keyboard; a column of words is a
    category, which training can leave out (--ignore) and a trained model cannot.

    >>> cell_hint("NA", "age", ["3", "NA"], training=True)
    ' (a missing value: glassgrad does not fill them in; fill it in or remove the row)'
    >>> cell_hint("three", "rooms", ["2", "three", "4"], training=True)
    " (the other cells of 'rooms' are numbers: write this one as a number or remove the row)"
    >>> cell_hint("north", "area", ["north", "south"], training=True)
    " (every feature column must hold numbers: encode a category ... --ignore area)"
    >>> cell_hint("north", "area", ["north", "south"], training=False)
    " (the model was trained on numbers in 'area')"
    >>> cell_hint("1e39", "area", ["1e39"], training=True)
    ''
    """
    if not text.strip():                # (number_problem says it is empty, and what to do)
        return ""
    if text.strip().lower() in MISSING_MARKS:
        return " (a missing value: glassgrad does not fill them in; fill it in or remove the row)"
    if number_problem(text) != "is not a number":
        return ""
    if sum(number_problem(cell) is None for cell in cells) > len(cells) / 2:
        return (f" (the other cells of {column!r} are numbers: write this one as a number or "
                f"remove the row)")
    if not training:
        return f" (the model was trained on numbers in {column!r})"
    return (" (every feature column must hold numbers: encode a category such as "
            f"{text.strip()!r:.30} as 0/1 columns, one per value, or leave it out: "
            f"--ignore {shlex.quote(column)})")


class Table(NamedTuple):
    """The file's column names, its data rows (text cells) and each row's line in the file."""
    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def spelled(self, name: str) -> str:
        """`name` as the header writes it. A name typed with other Unicode code points for the
        same letters (é as e and a combining accent, as some keyboards and macOS file names
        give it) or with spaces around it is the same column: the two look identical, so a
        "no column 'Fläche'" error listing 'Fläche' would only puzzle. Unknown names come back
        as they are."""
        if name in self.header:
            return name
        key = _comparable(name)
        return next((column for column in self.header if _comparable(column) == key), name)

    def column(self, name: str) -> list[str]:
        """The stripped text cells of column `name`; an empty cell is an error naming its line."""
        i = self.header.index(self.spelled(name))
        cells = [row[i].strip() for row in self.rows]
        for line, cell in zip(self.lines, cells):
            if not cell:
                raise UsageError(f"{self.path}, line {line}: the {name!r} cell is empty "
                                 f"(fill it in or remove the row)")
        return cells

    def numbers(self, names: list[str], *, training: bool) -> np.ndarray:
        """Columns `names` as a float32 matrix (a column of True and False cells as 1 and 0); a
        cell that is not a number, or not one float32 can hold (nan, inf, beyond ±3.4e38), is an
        error naming its line and column, and what to do about it (`training`: the features of
        a model to train, else of a trained one)."""
        columns = [self.header.index(self.spelled(name)) for name in names]
        cells = [[row[i] for i in columns] for row in self.rows]
        # a column of True and False (as pandas writes a bool column) is 1 and 0
        truths = [all(row[c].strip().lower() in _TRUTHS for row in cells)
                  for c in range(len(names))]
        if any(truths):
            cells = [[_TRUTHS[cell.strip().lower()] if truth else cell
                      for cell, truth in zip(row, truths)] for row in cells]
        shape = (len(cells), len(names))
        try:                        # numpy reads every cell as float() does, in one pass
            X = np.array(cells, dtype=np.float64).reshape(shape)
            bad = ~(np.abs(X) <= FLOAT32_MAX)        # nan, inf, or too large: inf in float32
        except ValueError:          # some cell is no number: look at them one by one
            bad = np.array([[number_problem(cell) is not None for cell in row]
                            for row in cells], dtype=bool).reshape(shape)
        if bad.any():
            r, c = np.argwhere(bad)[0]               # the first, in reading order
            hint = cell_hint(cells[r][c], names[c], [row[c] for row in cells], training)
            raise UsageError(f"{self.path}, line {self.lines[r]}, column {names[c]!r}: "
                             f"{cells[r][c]!r} {number_problem(cells[r][c])}{hint}")
        if training:
            for name, column in zip(names, X.T):
                check_resolution(self.path, name, column)
        return X.astype(np.float32)

    def require(self, names: list[str], why: str, why_several: str | None = None) -> None:
        """Every column in `names` must be in the header; `why` (or `why_several`, when more
        than one is missing) says what the missing ones are for."""
        absent = [name for name in names if self.spelled(name) not in self.header]
        if absent:
            hint = f"; {NO_HEADER}" if _holds_numbers(self.header) else _close_names(
                absent, self.header)
            several = len(absent) > 1
            raise UsageError(f"{self.path}: no column{'s' if several else ''} "
                             f"{', '.join(map(repr, absent))} "
                             f"({why_several if several and why_several else why}); "
                             f"the columns are {', '.join(self.header)}{hint}")

    def require_names(self) -> None:
        """The header must hold names, not only numbers: a file without a header row has its
        first row read as one, and a column found in it by chance (--target 3) would train on
        the other rows, silently."""
        if _holds_numbers(self.header):
            raise UsageError(f"{self.path}: {NO_HEADER}")


def _close_names(absent: list[str], header: list[str]) -> str:
    """'; did you mean 'price'?' for a missing name that differs from a column only in case,
    or nearly (a typo); '' when none is close.

    >>> _close_names(["Price"], ["area", "price"])
    "; did you mean 'price'?"
    """
    guesses = []
    for name in absent:
        same_case = [column for column in header if column.casefold() == name.casefold()]
        close = same_case or difflib.get_close_matches(name, header, n=1, cutoff=0.75)
        guesses += close[:1]
    return f"; did you mean {' and '.join(map(repr, guesses))}?" if guesses else ""


def _comparable(name: str) -> str:
    """A column name in one Unicode form (NFC), without spaces around it."""
    return unicodedata.normalize("NFC", name).strip()


def _nul(path: str, line: int) -> str:
    """A NUL byte in a text file: UTF-16 text (whose ASCII letters each come with one) or a
    binary file. Python 3.10's csv refuses it, 3.11+ reads it into the cells."""
    return (f"{path}, line {line}: not a readable CSV file: it holds a NUL byte (0x00), as "
            f"UTF-16 text and binary files do; save it as UTF-8 text")


def read_table(path: str) -> Table:
    """Read `path` ("-": standard input): a header row of distinct names, then rows with as many
    cells (blank lines are skipped)."""
    source, path = path, ("<stdin>" if path == STDIN else path)     # path: what errors say
    try:
        with _open_text(source) as f:
            # strict: '"1"2' is an error, not the number 12
            reader = csv.reader(f, strict=True)
            rows, lines, start = [], [], 1         # start: the line the next row begins on
            for row in reader:
                if reader.line_num != start:       # a quoted cell with line breaks in it
                    raise UsageError(f"{path}, line {start}: a quoted cell goes on over lines "
                                     f"{start}-{reader.line_num} (a quote left open?); "
                                     f"glassgrad reads one row per line")
                if any("\0" in cell for cell in row):        # (Python 3.11+ reads them)
                    raise UsageError(_nul(path, start))
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(start)
                start = reader.line_num + 1
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a CSV file") from None
    except PermissionError:
        raise UsageError(f"{path}: cannot be read (permission denied)") from None
    except OSError as err:                      # a symbolic link in a loop, a name too long...
        raise UsageError(f"{path}: cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError as err:           # binary, or text in another encoding
        raise UsageError(f"{path}: not a readable CSV file: not UTF-8 text (the byte "
                         f"{err.object[err.start]:#04x} is not UTF-8); save it as UTF-8") from None
    except csv.Error as err:                    # a quote out of place, or never closed
        if "line contains NUL" in str(err):     # Python 3.10's csv refuses a NUL byte itself
            raise UsageError(_nul(path, start)) from None
        if "field larger than field limit" in str(err):
            raise UsageError(f"{path}, line {start}: a cell holds more than "
                             f"{csv.field_size_limit():,} characters (a quote left open, or "
                             f"not a table of numbers?)") from None
        raise UsageError(f"{path}, line {start}: not a readable CSV row ({err}); check its "
                         f"quotes") from None
    if not rows:
        raise UsageError(f"{path}: the file is empty (expected a header row and data rows)")
    header = [name.strip() for name in rows[0]]
    _check_header(path, header)
    if len(rows) < 2:
        raise UsageError(f"{path}: only a header row, no data")
    for line, row in zip(lines[1:], rows[1:]):
        if len(row) != len(header):
            raise UsageError(f"{path}, line {line}: {len(row)} "
                             f"value{'' if len(row) == 1 else 's'}, the header has {len(header)}")
    return Table(path, header, rows[1:], lines[1:])


def _open_text(path: str) -> IO[str]:
    """The file `path` as UTF-8 text (a byte order mark skipped), line endings kept for the csv
    module; "-" is standard input, read whole and decoded the same way."""
    if path != STDIN:
        return open(path, newline="", encoding="utf-8-sig")
    if sys.stdin is None:                           # started without one (pythonw, a service)
        raise UsageError("--csv -: there is no standard input to read")
    stream = getattr(sys.stdin, "buffer", sys.stdin)       # bytes, if it has them
    data = stream.read()
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    return io.StringIO(text, newline="")


def _holds_numbers(header: list[str]) -> bool:
    """Whether the first line is numbers, not names (empty cells aside): the file has no header
    row (np.savetxt writes none), so its first data row was read as one."""
    names = [name for name in header if name]
    return bool(names) and all(number_problem(name) is None for name in names)


def _check_header(path: str, header: list[str]) -> None:
    """Every column has a name of its own, and the file is comma-separated."""
    if len(header) == 1:             # another separator: every line reads as one cell
        for separator, name in ((";", "semicolons"), ("\t", "tabs")):
            if separator in header[0]:
                raise UsageError(f"{path}: the header is a single column {header[0]!r}; are "
                                 f"the values separated by {name}? glassgrad reads "
                                 f"comma-separated files")
    repeated = sorted({name for name in header if header.count(name) > 1}, key=header.index)
    if ("" in header or repeated) and _holds_numbers(header):     # a data row: say that first
        raise UsageError(f"{path}: {NO_HEADER}")
    # an unnamed first column is the row index pandas writes (df.to_csv(path)): it is read,
    # but no feature (see train's _features)
    if "" in header[1:]:
        raise UsageError(f"{path}: column {header.index('', 1) + 1} of the header has no name (a "
                         f"trailing comma?); name every column or remove the empty one")
    if repeated:                      # a name would find only its first column, silently
        raise UsageError(f"{path}: the header names {', '.join(map(repr, repeated))} more than "
                         f"once; give each column its own name")
