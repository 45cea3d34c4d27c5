"""Argument types that check their values, so argparse reports a bad one as a usage error."""

from __future__ import annotations

import argparse
import math
from typing import Any

__all__ = ["positive_int", "random_seed", "positive_float", "fraction", "sizes", "separator",
           "add_reading_options"]


def _number(text: str, kind: type) -> float:
    try:
        value = kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive_int(text: str) -> int:
    """An integer of at least 1 (epochs, batch size)."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def random_seed(text: str) -> int:
    """A random seed: an integer from 0 to 2**32 - 1."""
    value = _number(text, int)
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError(f"a seed is an integer from 0 to 4294967295, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0 (learning rate)."""
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value:g}")
    return value


def fraction(text: str) -> float:
    """A share from 0 up to, not including, 1 (validation share: 0 holds out no rows)."""
    value = _number(text, float)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a fraction from 0 up to (not including) 1, "
                                         f"got {value:g}")
    return value


def sizes(text: str) -> list[int]:
    """Layer sizes like "32,32" ("" for none); an empty size ("32,,32") is refused."""
    if not text.strip():
        return []
    parts = text.split(",")
    if not all(part.strip() for part in parts):
        raise argparse.ArgumentTypeError(f"a size is missing in {text!r}: sizes look like 32,32 "
                                         f"('' for none)")
    try:
        values = [int(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes look like 32,32, got {text!r}") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"sizes must be at least 1, got {text!r}")
    return values


#: separators that are hard to type on a command line, by name
_SEPARATORS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "space": " ",
               "pipe": "|"}


def separator(text: str) -> str:
    r"""A CSV separator: one character, or tab, comma, semicolon, space, pipe by name (or \t,
    as typed in a shell).

    >>> separator(";"), separator("tab"), separator("\t")
    (';', '\t', '\t')
    """
    value = _SEPARATORS.get(text.lower(), text)
    if len(value) != 1 or value in "\"\r\n" or value.isalnum() or value == ".":
        raise argparse.ArgumentTypeError(f"a separator is one character such as , ; | or the "
                                         f"word tab, got {text!r}")
    return value


def add_reading_options(parser: Any) -> None:
    """--sep and --header, how train and predict read a CSV file (table.py finds both from the
    file when they are not given)."""
    parser.add_argument("--sep", type=separator, help="the CSV file's separator: , ; tab | ... "
                        "(default: found from the file; a file named .tsv has tabs)")
    parser.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                        help="whether the CSV file's first line names the columns (default: "
                             "yes, unless it holds a number at the top of a column of numbers)")
