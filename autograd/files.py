"""Writing files atomically: the file appears complete or not at all.

>>> import os, tempfile
>>> from autograd.files import atomic_open
>>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
>>> with atomic_open(path, "w") as f:
...     _ = f.write("hello")
>>> open(path).read()
'hello'
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import secrets
from typing import IO, Iterator

__all__ = ["atomic_open", "check_destination"]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a fresh temporary file beside `path` for writing ("wb" or "w"); when the block ends
    without an error it is synced to disk and replaces `path` in one rename, otherwise it is
    removed.

    The temporary file gets the usual permissions (the umask), unlike `tempfile.mkstemp`'s
    private ones, because checkpoints and pictures are meant to be shared.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w', got {mode!r}")
    check_destination("atomic_open", path)
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    encoding = "utf-8" if mode == "w" else None
    try:
        f = open(tmp, mode.replace("w", "x"), encoding=encoding)
    except OSError as error:            # name the file the caller asked for, not the temporary
        raise type(error)(error.errno, error.strerror, str(path)) from None
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())        # the bytes on disk before the name: after a power cut,
        os.replace(tmp, path)           # `path` is the old file or the new one, never empty
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_destination(who: str, path: str | os.PathLike) -> None:
    """Raise IsADirectoryError naming `path` if it is a folder (the final rename would fail,
    naming the temporary file). A writer of several files checks them all before writing one.

    >>> import tempfile
    >>> check_destination("save", tempfile.mkdtemp())
    Traceback (most recent call last):
    IsADirectoryError: [Errno 21] save: the destination is a folder; give a file name: '...'
    """
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"{who}: the destination is a folder; give a "
                                              f"file name", os.fspath(path))
