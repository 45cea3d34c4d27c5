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
import stat
from typing import IO, Iterator

__all__ = ["atomic_open", "check_destination"]

#: Windows cannot replace a file that another program holds open (Excel holds a CSV it shows,
#: numpy's np.load holds an .npz until closed) or that is marked read-only; POSIX systems can
_WINDOWS = os.name == "nt"


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a fresh temporary file beside `path` for writing ("wb" or "w"); when the block ends
    without an error it is synced to disk and replaces `path` in one rename, otherwise it is
    removed.

    The temporary file gets the usual permissions (the umask), unlike `tempfile.mkstemp`'s
    private ones, because checkpoints and pictures are meant to be shared; a file it replaces
    keeps its own (one made private stays private). A `path` that is a symbolic link is
    followed: the file it points to is replaced, and the link stays. A disk that is full or
    fails, while the block writes or after, raises its OSError (errno kept) naming `path`.
    Text ("w") is written as UTF-8, with its line endings as given (no "\\r\\n" on Windows): the
    file is the same on every system.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w', got {mode!r}")
    check_destination("atomic_open", path)
    asked = os.fspath(path)                     # what errors name
    path = pathlib.Path(os.path.realpath(path))
    # (a name near the system's limit of 255 must leave room for the temporary's additions)
    tmp = path.with_name(f".{path.name[:200]}.{secrets.token_hex(4)}.tmp")
    encoding = "utf-8" if mode == "w" else None
    try:
        f = open(tmp, mode.replace("w", "x"), encoding=encoding, newline="" if encoding else None)
    except OSError as error:            # name the file the caller asked for, not the temporary
        raise type(error)(error.errno, error.strerror, asked) from None
    try:
        with f:
            _keep_permissions(path, f)
            yield f
            f.flush()
            os.fsync(f.fileno())        # the bytes on disk before the name: after a power cut,
        os.replace(tmp, path)           # `path` is the old file or the new one, never empty
    except BaseException as error:
        with contextlib.suppress(OSError):      # (the error to report is the one above)
            tmp.unlink(missing_ok=True)
        if _writing_error(error, tmp):
            raise type(error)(error.errno, _reason(error), asked) from None
        raise
    _sync_folder(path.parent)


def _reason(error: OSError) -> str:
    """The error's own words, and on Windows, for a refused rename, the likely reasons."""
    if _WINDOWS and isinstance(error, PermissionError) and error.filename2 is not None:
        return (f"{error.strerror} (Windows cannot replace a file that is open in another "
                f"program or read-only: close it, or save under another name)")
    return error.strerror


#: what writing a file fails with when the disk does: full, over quota, over the size limit,
#: failing; such an error names no file
_DISK_ERRORS = {errno.ENOSPC, errno.EFBIG, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _writing_error(error: BaseException, tmp: pathlib.Path) -> bool:
    """Whether `error` is the disk failing to write the temporary file `tmp`, or to rename it
    (then it names `tmp`): an error for which the file the caller asked for is the one to name.
    Another OSError of the block (a file it reads, a connection) is left as it is."""
    if not isinstance(error, OSError) or error.errno is None:
        return False
    if error.filename is None:
        return error.errno in _DISK_ERRORS
    return os.fspath(error.filename) == os.fspath(tmp)


def _keep_permissions(path: pathlib.Path, f: IO) -> None:
    """Give the open temporary file `f` the permissions of the file at `path`, if there is one.
    Not on Windows, where a file's only permission is the read-only mark: copied, it would make
    the temporary file one that can be neither renamed onto `path` nor removed."""
    if _WINDOWS:
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:                     # no file yet: the umask's permissions are right
        return
    os.chmod(f.fileno() if os.chmod in os.supports_fd else f.name, stat.S_IMODE(mode))


def _sync_folder(folder: pathlib.Path) -> None:
    """Put the rename itself on disk (the folder's list of names), so that a power cut soon
    after cannot bring back the old file. Only POSIX systems can open a folder to sync it;
    a failure here is not the save's, which is done."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:                     # some file systems cannot sync a folder
        pass
    finally:
        os.close(fd)


def check_destination(who: str, path: str | os.PathLike) -> None:
    """Raise an OSError naming `who` and `path` if no file can be written there: `path` is a
    folder (IsADirectoryError; the final rename would fail, naming the temporary file), its
    folder does not exist (FileNotFoundError, found now rather than after a long training) or
    is a file (NotADirectoryError). A writer of several files checks them all before writing
    one.

    >>> import tempfile
    >>> check_destination("save", tempfile.mkdtemp())
    Traceback (most recent call last):
    IsADirectoryError: [Errno 21] save: the destination is a folder; give a file name: '...'
    >>> check_destination("save", "no_such_folder/model.npz")
    Traceback (most recent call last):
    FileNotFoundError: [Errno 2] save: the folder 'no_such_folder' does not exist; make it ...
    """
    given = os.fsdecode(path)
    if os.path.isdir(given):
        raise IsADirectoryError(errno.EISDIR, f"{who}: the destination is a folder; give a "
                                              f"file name", given)
    if not given:
        raise FileNotFoundError(errno.ENOENT, f"{who}: the path is empty; give a file name",
                                given)
    real = os.path.dirname(os.path.realpath(given))     # where the file goes (links followed)
    if os.path.isdir(real):
        return
    folder = os.path.dirname(given) or "."
    if os.path.isdir(folder):           # `path` is a link into a folder that is not there
        folder = real
    if os.path.exists(folder):          # a file where a folder should be
        raise NotADirectoryError(errno.ENOTDIR, f"{who}: {folder!r} is a file, not a folder",
                                 given)
    if given.startswith("~") and os.path.expanduser(given) != given:
        # a shell's abbreviation: Python's functions, numpy's and torch's take it as a name
        raise FileNotFoundError(errno.ENOENT, f"{who}: the folder {folder!r} does not exist "
                                              f"('~' is not expanded: pass "
                                              f"os.path.expanduser(path))", given)
    raise FileNotFoundError(errno.ENOENT, f"{who}: the folder {folder!r} does not exist; make "
                                          f"it first, os.makedirs({folder!r}, exist_ok=True)",
                            given)
