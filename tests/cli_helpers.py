"""Helpers for the tests of the `glassgrad` command (tests/test_cli*.py)."""

import io
import sys

from nn import cli


def run(argv, capsys, stdin=None):
    """Run `glassgrad ARGV` in this process: (exit status, stdout, stderr). `stdin`: bytes the
    command reads as its standard input."""
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        code = cli.main(argv)
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


def write_csv(path, header, rows):
    """A CSV file with a header row; returns its path."""
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path
