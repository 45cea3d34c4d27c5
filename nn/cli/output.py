"""What the subcommands write: checked output paths, text files written atomically, matrices."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

import numpy as np

from autograd.files import atomic_open

from .errors import UsageError

__all__ = ["check_output_path", "missing_folder", "check_writable", "same_file", "write_text",
           "write_stdout", "matrix_text"]


def check_output_path(option: str, path: str, given: str | None = None) -> None:
    """Refuse an output path without a file name, whose folder does not exist or cannot be
    written in, or that names a folder (exit 2).

    `given` is the option's value when `path` is made from it (train's --out model.npz also
    writes model.json): the message names both."""
    given = path if given is None else given
    if os.path.basename(path) in ("", ".", ".."):       # "", "out/": open() would write "out"
        raise UsageError(f"{option} {given!r}: no file name; give one")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise missing_folder(option, given, os.path.dirname(path) or folder)
    check_writable(option, given, os.path.dirname(path) or ".")
    if os.path.isdir(path):
        if path == given:
            raise UsageError(f"{option} {given}: is a folder; give a file name")
        raise UsageError(f"{option} {given}: it writes {path}, which is a folder; give another "
                         f"name")


def missing_folder(option: str, given: str, folder: str) -> UsageError:
    """The error for an output whose `folder` is not a folder: it does not exist, or it, or a
    folder above it, is a file ("afile/n.svg" where afile is a file: the folder exists, as a
    file, so "does not exist" would be wrong)."""
    above = folder
    while above and not os.path.exists(above):
        parent = os.path.dirname(os.path.normpath(above))
        above = parent if parent != above else ""
    if above and not os.path.isdir(above):
        return UsageError(f"{option} {given}: {above} is a file, not a folder")
    return UsageError(f"{option} {given}: the folder {folder} does not exist")


def check_writable(option: str, given: str, folder: str) -> None:
    """Refuse now, before the work, an output in a folder where nothing can be written (exit 2,
    as any other output that cannot be: the option is wrong, not the work). The permissions are
    asked first; then a file is made there and removed at once, as the command's own write
    makes its temporary file: permissions do not tell for root, nor on /proc or /sys."""
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {given}: cannot write in the folder {folder} (permission "
                         f"denied or a read-only file system)")
    try:
        handle, probe = tempfile.mkstemp(prefix=".glassgrad-", suffix=".tmp", dir=folder)
    except OSError as error:
        raise UsageError(f"{option} {given}: cannot write in the folder {folder} (making a "
                         f"file there fails: {error.strerror or error})") from None
    os.close(handle)
    with contextlib.suppress(OSError):
        os.remove(probe)


def same_file(a: str, b: str) -> bool:
    """Whether paths `a` and `b` name one file: by the file itself when both exist (a link, or
    "./x" and "x"), else by the absolute path."""
    try:
        return os.path.samefile(a, b)
    except OSError:                               # one of them does not exist (yet)
        return os.path.abspath(a) == os.path.abspath(b)


def write_text(path: str, text: str) -> None:
    """Write `text` to `path` atomically (complete or not at all)."""
    with atomic_open(path, "w") as f:
        f.write(text)


def write_stdout(text: str) -> None:
    """Write data (a CSV table, an SVG document) to standard output as UTF-8 with the line
    endings it has, as the files are written and read. Through the text layer, output that
    Windows redirects to a file or a pipe would be in the locale's code page (cp1252), which has
    no letter for most of Unicode (an error) and gives others bytes that a reader of UTF-8
    misreads (an SVG says it is UTF-8), and every line ending would become CRLF. (A Windows
    console takes UTF-8 bytes too.)"""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:                  # a text-only stream (io.StringIO in a test, a notebook)
        sys.stdout.write(text)
        return
    sys.stdout.flush()                  # what was printed before comes first
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def matrix_text(matrix: np.ndarray) -> str:
    """An integer matrix as indented, aligned lines (a confusion matrix on the terminal)."""
    return "\n".join("  " + " ".join(f"{v:5d}" for v in row) for row in matrix)
