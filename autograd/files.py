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
import functools
import hashlib
import os
import pathlib
import re
import secrets
import socket
import stat
from typing import IO, Iterator

__all__ = ["atomic_open", "check_destination"]


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

    A writer killed outright (SIGKILL, the out-of-memory killer) leaves its temporary file
    behind; it is named after its writer (this machine, this process), and the next write of
    `path` on this machine removes those of writers no longer alive (a power cut's stays: see
    `_remove_dead_temporaries`).
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w', got {mode!r}")
    check_destination("atomic_open", path)
    asked = os.fspath(path)                     # what errors name
    path = pathlib.Path(os.path.realpath(path))
    _remove_dead_temporaries(path)
    tmp = _temporary(path, os.getpid(), secrets.token_hex(4))
    encoding = "utf-8" if mode == "w" else None
    try:
        f = open(tmp, mode.replace("w", "x"), encoding=encoding)
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
        tmp.unlink(missing_ok=True)
        if _writing_error(error, tmp):
            raise type(error)(error.errno, error.strerror, asked) from None
        raise
    _sync_folder(path.parent)


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


def _temporary(path: pathlib.Path, pid: int, nonce: str) -> pathlib.Path:
    """The temporary file beside `path` of writer `pid` on this machine, e.g.
    ".model.npz.3f9a0c12d4e5-4242-0b1c2d3e.tmp" (a name near the system's limit of 255 must
    leave room for the additions: 200 characters of it are kept)."""
    return path.with_name(f".{path.name[:200]}.{_machine()}-{pid}-{nonce}.tmp")


@functools.lru_cache(maxsize=None)
def _machine() -> str:
    """What tells this machine and its process-id namespace apart from others that may share a
    folder (a network drive, containers sharing a volume), as 12 hex digits: a pid means a
    process only there. The boot's id (Linux) changes at each start, so a temporary left from
    before a restart is never taken for one of a dead writer here; elsewhere the host's name."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            machine = f.read().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        machine, namespace = socket.gethostname(), ""
    return hashlib.sha256(f"{machine}|{namespace}".encode()).hexdigest()[:12]


def _remove_dead_temporaries(path: pathlib.Path) -> None:
    """Remove the temporary files beside `path` that writers of `path` on this machine left
    when they were killed: only those whose process is gone. A live writer's file is never
    touched, nor one from another machine, from before a restart, or of an older glassgrad
    (whose name gives no writer). POSIX only (on Windows, `os.kill` would end the process)."""
    if os.name != "posix":
        return
    name = re.compile(rf"\.{re.escape(path.name[:200])}\.{_machine()}-(\d+)-[0-9a-f]{{8}}\.tmp")
    try:
        entries = list(os.scandir(path.parent))
    except OSError:                     # a folder that cannot be listed: open will say why
        return
    for entry in entries:
        found = name.fullmatch(entry.name)
        if found and not _alive(int(found.group(1))):
            with contextlib.suppress(OSError):      # removed meanwhile by another writer
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine (a zombie, not yet reaped, does)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)                 # signal 0: only asks
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):    # another user's; a pid no system gives
        return True
    return True


def _keep_permissions(path: pathlib.Path, f: IO) -> None:
    """Give the open temporary file `f` the permissions of the file at `path`, if there is one."""
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
