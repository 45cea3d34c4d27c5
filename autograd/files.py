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
import os
import pathlib
import secrets
from typing import IO, Iterator

__all__ = ["atomic_open"]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a fresh temporary file beside `path` for writing ("wb" or "w"); when the block ends
    without an error it replaces `path` in one rename, otherwise it is removed.

    The temporary file gets the usual permissions (the umask), unlike `tempfile.mkstemp`'s
    private ones, because checkpoints and pictures are meant to be shared.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w', got {mode!r}")
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
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
