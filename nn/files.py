"""Checking where nn writes a file before writing it.

`autograd.files.atomic_open` writes a temporary file beside the destination and renames it over
the destination at the end. A destination that is a folder failed only at that rename, naming
the temporary file; `check_destination` refuses it first, naming the destination, so a writer
of two files (`TrainedModel.save`) can check both before writing either.

>>> import tempfile
>>> from nn.files import check_destination
>>> check_destination("save", tempfile.mkdtemp())
Traceback (most recent call last):
IsADirectoryError: [Errno 21] save: the destination is a folder; give a file name: '...'
"""

from __future__ import annotations

import errno
import os

__all__ = ["check_destination"]


def check_destination(who: str, path: str | os.PathLike) -> None:
    """Raise IsADirectoryError naming `path` (and `who` writes it) if `path` is a folder."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"{who}: the destination is a folder; give a "
                                              f"file name", os.fspath(path))
