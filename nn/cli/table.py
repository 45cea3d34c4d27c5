"""Reading a CSV file, checked cell by cell (errors name the line and column).

The separator is found from the file (commas, semicolons or tabs; a file named .tsv is
tab-separated) unless given; in a file not separated by commas a decimal comma ("2,5", as
spreadsheets write numbers in much of Europe) is a decimal point. The first row is the header
unless it is data: a number at the top of a column of numbers, and no word at the top of any
(iris.data, np.savetxt's files); then the columns are numbered from 0, as pandas numbers them.

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
from typing import NamedTuple

import numpy as np

from .errors import UsageError

__all__ = ["Table", "read_table", "number_problem", "without_separators", "check_resolution"]

FLOAT32_MAX = float(np.finfo(np.float32).max)       # about 3.4e38; anything larger becomes inf
STDIN = "-"                                         # the file name that means standard input
#: a number with thousands separators: digits in groups of three after the first, then maybe
#: a decimal part ("1,234.5", "-12,000"); a CSV file holds one only in quotes
THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
#: a number written with a decimal comma ("2,5", "-0,25", "1,5e3"), maybe with points between
#: groups of three digits ("1.234,5"), in a file whose cells are not separated by commas
DECIMAL_COMMA = re.compile(r"\s*[+-]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]*),[0-9]+([eE][+-]?[0-9]+)?\s*")
#: the separators a file may use, in the order they are tried: a file of tabs or semicolons may
#: hold commas in its cells (decimal commas, text), a file of commas rarely holds the others
SEPARATORS = ("\t", ";", ",")
#: how the separators are named in messages and given to --sep
SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}


def without_separators(text: str) -> str | None:
    """The number `text` spells with thousands separators, written without them; None if `text`
    is not one (float() reads no separators, so "1,234.5" would be a word).

    >>> without_separators(" 1,234.5 "), without_separators("12,34"), without_separators("1.5")
    ('1234.5', None, None)
    """
    text = text.strip()
    return text.replace(",", "") if THOUSANDS.fullmatch(text) else None


def written_as_number(text: str) -> bool:
    """Whether `text` is written as a number, usable or not ("2.5", "1e39", "inf", "1,234.5").

    >>> written_as_number("1e39"), written_as_number("1,234"), written_as_number("north")
    (True, True, False)
    """
    try:
        float(text)
    except ValueError:
        return without_separators(text) is not None
    return True


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


def is_missing(text: str) -> bool:
    """Whether the cell `text` marks a missing value ("", "NA", "?", "nan"...)."""
    return text.strip().lower() in MISSING_MARKS


def cell_hint(text: str, column: str, cells: list[str], training: bool) -> str:
    """What to do about the cell `text` of the numeric feature `column` (whose cells are
    `cells`), which is no usable number. A word among numbers is most likely a slip of the
    keyboard; a missing value reaches here only when it cannot be filled in.

    >>> cell_hint("NA", "age", ["3", "NA"], training=False)
    ' (a missing value, which this model cannot fill in; fill it in or remove the row)'
    >>> cell_hint("three", "rooms", ["2", "three", "4"], training=False)
    " (the other cells of 'rooms' are numbers: write this one as a number or remove the row)"
    >>> cell_hint("north", "area", ["north", "south"], training=False)
    " (the model was trained on numbers in 'area')"
    >>> cell_hint("1e39", "area", ["1e39"], training=True)
    ''
    """
    if not text.strip():                # (number_problem says it is empty, and what to do)
        return ""
    if is_missing(text):
        return " (a missing value, which this model cannot fill in; fill it in or remove the row)"
    if number_problem(text) != "is not a number":
        return ""
    if sum(number_problem(cell) is None for cell in cells) > len(cells) / 2:
        leave = f", or leave the column out: --ignore {shlex.quote(column)}" if training else ""
        return (f" (the other cells of {column!r} are numbers: write this one as a number or "
                f"remove the row{leave})")
    if not training:
        return f" (the model was trained on numbers in {column!r})"
    return (" (every feature column must hold numbers: encode a category such as "
            f"{text.strip()!r:.30} as 0/1 columns, one per value, or leave it out: "
            f"--ignore {shlex.quote(column)})")


class Table(NamedTuple):
    """The file's column names, its data rows (text cells) and each row's line in the file;
    how it is written: its separator, whether its first line is a header (else the columns are
    named "0", "1", ...), and its rows as written when decimal commas were read as points."""
    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    sep: str = ","
    has_header: bool = True
    written: list[list[str]] | None = None

    @property
    def decimal_comma(self) -> bool:
        """Whether some number was written with a decimal comma (then `written` holds them)."""
        return self.written is not None

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

    def resolve(self, name: str) -> str:
        """The column `name` names: a header name (as `spelled` finds it), else a position
        counted from 0 (-1 is the last column), as pandas' iloc counts. Unknown names come back
        as they are, for `require` to refuse.

        >>> table = Table("d.csv", ["a", "b", "y"], [], [])
        >>> table.resolve("b"), table.resolve("2"), table.resolve("-1"), table.resolve("7")
        ('b', 'y', 'y', '7')
        """
        spelled = self.spelled(name)
        if spelled in self.header:
            return spelled
        try:
            index = int(name.strip())
        except ValueError:
            return spelled
        return self.header[index] if -len(self.header) <= index < len(self.header) else spelled

    def column(self, name: str) -> list[str]:
        """The stripped text cells of column `name`; an empty cell is an error naming its line."""
        i = self.header.index(self.spelled(name))
        cells = [row[i].strip() for row in self.rows]
        for line, cell in zip(self.lines, cells):
            if not cell:
                raise UsageError(f"{self.path}, line {line}: the {name!r} cell is empty "
                                 f"(fill it in or remove the row)")
        return cells

    def cells(self, name: str) -> list[str]:
        """The stripped text cells of column `name`, empty ones too."""
        i = self.header.index(self.spelled(name))
        return [row[i].strip() for row in self.rows]

    def numbers(self, names: list[str], *, training: bool,
                missing: bool = False) -> np.ndarray:
        """Columns `names` as a float32 matrix (a column of True and False cells as 1 and 0); a
        cell that is not a number, or not one float32 can hold (inf, beyond ±3.4e38), is an
        error naming its line and column, and what to do about it (`training`: the features of
        a model to train, else of a trained one). With `missing`, a missing value ("", "NA",
        "?", "nan"...) is NaN, for the caller to fill in; else it is an error too."""
        columns = [self.header.index(self.spelled(name)) for name in names]
        cells = [[row[i] for i in columns] for row in self.rows]
        shape = (len(cells), len(names))
        X = _floats(cells, shape)     # every cell a number, as float() reads it: one pass
        if X is None:
            cells = _readable(cells, missing)
            X = _floats(cells, shape)
        if X is not None:
            bad = ~(np.abs(X) <= FLOAT32_MAX)        # nan, inf, or too large: inf in float32
            if missing:
                bad &= ~np.isnan(X)
        else:                       # some cell is no number: look at them one by one
            bad = np.array([[number_problem(cell) is not None and not (missing and cell == "nan")
                             for cell in row] for row in cells], dtype=bool).reshape(shape)
        if bad.any():
            r, c = np.argwhere(bad)[0]               # the first, in reading order
            hint = cell_hint(cells[r][c], names[c], [row[c] for row in cells], training)
            raise UsageError(f"{self.path}, line {self.lines[r]}, column {names[c]!r}: "
                             f"{cells[r][c]!r} {number_problem(cells[r][c])}{hint}")
        if training:
            for name, column in zip(names, X.T):
                known = column[~np.isnan(column)]
                if len(known):
                    check_resolution(self.path, name, known)
        return X.astype(np.float32)

    def require(self, names: list[str], why: str, why_several: str | None = None) -> None:
        """Every column in `names` must be in the header; `why` (or `why_several`, when more
        than one is missing) says what the missing ones are for."""
        absent = [name for name in names if self.spelled(name) not in self.header]
        if absent:
            several = len(absent) > 1
            raise UsageError(f"{self.path}: no column{'s' if several else ''} "
                             f"{', '.join(map(repr, absent))} "
                             f"({why_several if several and why_several else why}); "
                             f"{self.columns_text()}{self._hint(absent)}")

    def columns_text(self) -> str:
        """'the columns are a, b, y', or, without a header row, how they are numbered."""
        if self.has_header:
            return f"the columns are {', '.join(self.header)}"
        return (f"the file has no header row (its first line is data), so its "
                f"{len(self.header)} columns are numbered 0 to {len(self.header) - 1}")

    def _hint(self, absent: list[str]) -> str:
        """What to do about the `absent` columns: a name close to one of the file's, or, in a
        file without a header row, giving positions."""
        if len(self.header) == 1:          # another separator than the one given: one column
            for sep in SEPARATORS:
                if sep != self.sep and sep in self.header[0]:
                    return (f"; the file is read as separated by "
                            f"{SEPARATOR_NAMES.get(self.sep, repr(self.sep))}, but its header "
                            f"holds {SEPARATOR_NAMES[sep]}: give --sep {_sep_option(sep)}, or "
                            f"leave --sep out to find it from the file")
        if self.has_header:
            return _close_names(absent, self.header)
        return (f": give positions (--target {len(self.header) - 1} or -1 for the last), or add "
                f"a header row of names")


def _floats(cells: list[list[str]], shape: tuple[int, int]) -> np.ndarray | None:
    """The cells as a float64 matrix, if every one is a number float() reads; else None."""
    try:
        return np.array(cells, dtype=np.float64).reshape(shape)
    except ValueError:
        return None


def _readable(cells: list[list[str]], missing: bool) -> list[list[str]]:
    """The cells with a column of True and False (as pandas writes a bool column) as 1 and 0,
    and, if `missing`, a missing value as "nan"."""
    width = len(cells[0]) if cells else 0
    truths = [all(row[c].strip().lower() in _TRUTHS or (missing and is_missing(row[c]))
                  for row in cells) and any(row[c].strip().lower() in _TRUTHS for row in cells)
              for c in range(width)]
    if any(truths):
        cells = [[_TRUTHS.get(cell.strip().lower(), cell) if truth else cell
                  for cell, truth in zip(row, truths)] for row in cells]
    if missing:
        cells = [["nan" if is_missing(cell) else cell for cell in row] for row in cells]
    return cells


def _sep_option(sep: str) -> str:
    """How --sep gives `sep` on a command line."""
    return "tab" if sep == "\t" else shlex.quote(sep)


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


def read_table(path: str, sep: str | None = None, header: bool | None = None) -> Table:
    """Read `path` ("-": standard input): a header row of distinct names (unless `header` is
    False, or None and the first row is data), then rows with as many cells (blank lines are
    skipped). `sep` is the separator; None finds it from the file."""
    source, path = path, ("<stdin>" if path == STDIN else path)     # path: what errors say
    start = 1
    try:
        text = _read_text(source)
        if sep is None:
            sep = sniff_separator(text, source)
        # strict: '"1"2' is an error, not the number 12
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
        rows, lines = [], []                       # start: the line the next row begins on
        for row in reader:
            if reader.line_num != start:           # a quoted cell with line breaks in it
                raise UsageError(f"{path}, line {start}: a quoted cell goes on over lines "
                                 f"{start}-{reader.line_num} (a quote left open?); "
                                 f"glassgrad reads one row per line")
            if any("\0" in cell for cell in row):            # (Python 3.11+ reads them)
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
                         f"{err.object[err.start]:#04x} is not UTF-8); save it as UTF-8"
                         f"{_binary_hint(source, err.object)}") from None
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
    written = rows                              # as in the file, for predict to write back
    if sep != ",":                              # "2,5" is 2.5 (see DECIMAL_COMMA)
        rows = [[cell.replace(".", "").replace(",", ".")
                 if "," in cell and DECIMAL_COMMA.fullmatch(cell) else cell for cell in row]
                for row in rows]
    if header is None:
        header = not _first_row_is_data(rows)
    if not header:                              # columns named by position, as pandas does
        names = [str(i) for i in range(len(rows[0]))]
        rows, written, lines = [names] + rows, [names] + written, [0] + lines
    names = [name.strip() for name in rows[0]]
    _check_header(path, names, sep)
    if len(rows) < 2:
        raise UsageError(f"{path}: only a header row, no data")
    for line, row in zip(lines[1:], rows[1:]):
        if len(row) != len(names):
            raise UsageError(f"{path}, line {line}: {len(row)} "
                             f"value{'' if len(row) == 1 else 's'}, the "
                             f"{'header has' if header else 'first line has'} {len(names)}"
                             f"{_separator_hint(sep, row, len(names))}")
    return Table(path, names, rows[1:], lines[1:], sep, header,
                 written[1:] if written != rows else None)


def _read_text(path: str) -> str:
    """The file `path` as UTF-8 text (a byte order mark skipped), line endings kept for the csv
    module; "-" is standard input, read whole and decoded the same way."""
    if path != STDIN:
        with open(path, newline="", encoding="utf-8-sig") as f:
            return f.read()
    if sys.stdin is None:                           # started without one (pythonw, a service)
        raise UsageError("--csv -: there is no standard input to read")
    stream = getattr(sys.stdin, "buffer", sys.stdin)       # bytes, if it has them
    data = stream.read()
    return data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")


def _binary_hint(path: str, data: bytes) -> str:
    """For a file that is no text: what else train and predict read, when it is one of those
    under another name."""
    if data[:4] == b"PK\x03\x04":
        return " (a zip archive: an .npz of arrays is read by its name, data.npz)"
    if len(data) >= 4 and data[:2] == b"\0\0" and data[2] in (8, 9, 11, 12, 13, 14):
        return " (an IDX file: name it as MNIST's are, *-idx3-ubyte)"
    return ""


def sniff_separator(text: str, path: str = "") -> str:
    """The separator of the CSV `text`: tabs for a file named .tsv or .tab; else the first of
    tabs, semicolons and commas that splits the first lines into the same number (above 1) of
    cells; else the one that splits the first line into the most; else commas.

    >>> sniff_separator("a;b;price\\n1,5;2;3,25\\n"), sniff_separator("a,b\\n1,2\\n")
    (';', ',')
    >>> sniff_separator("a\\tb\\n1,5\\t2\\n"), sniff_separator("x\\n1\\n")
    ('\\t', ',')
    """
    if path.lower().endswith((".tsv", ".tab")):
        return "\t"
    sample = [line for line in text.splitlines()[:50] if line.strip()]
    if not sample:
        return ","
    counts = {}
    for sep in SEPARATORS:
        try:
            widths = {len(row) for row in csv.reader(sample, delimiter=sep)}
        except csv.Error:                        # a quote out of place: read_table says where
            widths = {0}
        if len(widths) == 1 and widths.pop() > 1:
            return sep
        try:
            counts[sep] = next(csv.reader(sample[:1], delimiter=sep), [])
        except csv.Error:
            counts[sep] = []
    widest = max(SEPARATORS, key=lambda sep: (len(counts[sep]), sep == ","))
    return widest if len(counts[widest]) > 1 else ","


def _first_row_is_data(rows: list[list[str]]) -> bool:
    """Whether the first row is data, not column names: some column of numbers (more than half
    of its other cells) has a number at the top, and none has a word there (a missing value
    there says neither; a column of words says nothing: "Iris-setosa" may be a class).

    >>> _first_row_is_data([["5.1", "3.5", "setosa"], ["4.9", "3.0", "setosa"]])
    True
    >>> _first_row_is_data([["id", "2019", "y"], ["1", "5", "0"], ["2", "6", "1"]])
    False
    """
    first, below = rows[0], rows[1:201]          # (a sample is enough to tell)
    if not below:
        return False
    data = False
    for j, top in enumerate(first):
        cells = [row[j] for row in below if j < len(row) and not is_missing(row[j])]
        if not cells or sum(number_problem(c) is None for c in cells) <= len(cells) / 2:
            continue                                  # a column of words, or of nothing
        if number_problem(top) is None:
            data = True
        elif not is_missing(top):
            return False                              # a name above numbers: a header
    return data


def _separator_hint(sep: str, row: list[str], width: int) -> str:
    """'; the file is read as separated by semicolons' when the separator was maybe guessed
    wrong: a row of one cell that holds another separator."""
    if len(row) == 1 and width > 1 and any(other in row[0] for other in SEPARATORS):
        return (f"; the file is read as separated by {SEPARATOR_NAMES.get(sep, repr(sep))} "
                f"(--sep gives another)")
    return ""


def _check_header(path: str, header: list[str], sep: str) -> None:
    """Every column has a name of its own."""
    repeated = sorted({name for name in header if header.count(name) > 1}, key=header.index)
    # an unnamed first column is the row index pandas writes (df.to_csv(path)): it is read,
    # but no feature (see train's _features)
    if "" in header[1:]:
        raise UsageError(f"{path}: column {header.index('', 1) + 1} of the header has no name (a "
                         f"trailing {SEPARATOR_NAMES.get(sep, repr(sep))[:-1]}?); name every "
                         f"column or remove the empty one")
    if repeated:                      # a name would find only its first column, silently
        raise UsageError(f"{path}: the header names {', '.join(map(repr, repeated))} more than "
                         f"once; give each column its own name")
