"""Helpers for the tests of the `glassgrad` command (tests/test_cli*.py)."""

import io
import os
import sys
import tempfile

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


# a folder where no file can be made, for every user: root's permission bits say "writable"
NO_FILES_HERE = "/proc"
HAS_PROC = sys.platform.startswith("linux") and os.path.isdir("/proc/self")


def refuse_files_in(monkeypatch, folder, errno=2, strerror="No such file or directory"):
    """Make creating a file in `folder` fail as it does in /proc (whose permission bits say
    "writable" to root), while the permissions still say yes."""
    made = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and os.path.abspath(dir) == os.path.abspath(folder):
            raise OSError(errno, strerror)
        return made(*args, dir=dir, **kwargs)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def windows_stdout(monkeypatch, encoding="cp1252"):
    """Make sys.stdout what a command's output redirected to a file or a pipe gets on Windows:
    text encoded in the locale's code page, strictly. Returns the bytes written under it."""
    written = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(written, encoding=encoding,
                                                        write_through=True))
    return written
