"""MNIST: read (and, if asked, download) the handwritten digits in their IDX files.

An IDX file is a 4-byte magic number, one big-endian int32 per dimension, then the values.
The magic number is 0, 0, a type code (0x08 = unsigned bytes) and the number of dimensions:
MNIST images are 0x00000803 = 2051 (N x rows x cols), labels 0x00000801 = 2049 (N). Files may be
gzipped (as they are published) or raw.

>>> import os, tempfile
>>> import numpy as np
>>> from nn.data.mnist import read_idx, write_idx
>>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx1-ubyte.gz")
>>> write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
>>> read_idx(path, magic=2049)
array([7, 2, 1], dtype=uint8)
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import math
import numbers
import os
import struct
import sys
import zlib
from pathlib import Path
from typing import IO, Any, Iterator, NamedTuple

import numpy as np

from autograd.files import atomic_open, check_destination

from .loader import _flag


IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
ENV_VAR = "GLASSGRAD_MNIST_DIR"
DEFAULT_CACHE_DIR = Path("~/.cache/glassgrad/mnist")
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
T10K_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# SHA-256 of the published .gz files (the t10k ones checked against a downloaded copy)
SHA256 = {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# IDX type codes; the values are stored big-endian
_IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_IDX_CODES = {dtype.newbyteorder("="): code for code, dtype in _IDX_DTYPES.items()}


class MNIST(NamedTuple):
    """Images float32 in [0, 1], (N, 784) or (N, 28, 28); labels int64 in 0..9.

    >>> MNIST._fields                     # the order to unpack it in
    ('train_images', 'train_labels', 'test_images', 'test_labels')
    """
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


class DownloadError(OSError):
    """No mirror delivered a file with the published SHA-256.

    >>> issubclass(DownloadError, OSError)            # `except OSError` catches it too
    True
    """


# -- IDX files ----------------------------------------------------------------------------------

@contextlib.contextmanager
def _opened(path: Path) -> Iterator[IO[bytes]]:
    """The bytes of the IDX file at `path`, unzipped as they are read if it is gzipped."""
    try:
        f = path.open("rb")
    except IsADirectoryError:                   # say what was expected, not only "Is a directory"
        raise IsADirectoryError(errno.EISDIR, "a folder, expected an IDX file", str(path)) \
            from None
    with f:
        gzipped = f.read(2) == b"\x1f\x8b"
        f.seek(0)
        if not gzipped:                         # a raw IDX file
            yield f
            return
        try:
            with gzip.GzipFile(fileobj=f) as unzipped:
                yield unzipped
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            raise ValueError(f"{path}: damaged gzip file ({e}); delete it and fetch it "
                             f"again") from None


def _read_at_most(stream: IO[bytes], limit: int) -> bytearray:
    """Up to `limit` bytes of `stream`, read a block at a time: the number a header promises
    sizes no buffer (a file of a few bytes may promise terabytes), and a gzipped file is
    unzipped no further than needed (one that unzips to gigabytes is stopped early)."""
    data = bytearray()
    while len(data) < limit:
        block = stream.read(min(limit - len(data), 1 << 20))
        if not block:
            break
        data += block
    return data


def _not_idx_hint(start: bytes) -> str:
    """What a file that is not IDX most likely is, from its first bytes."""
    if start.lstrip()[:1] == b"<":
        return ("; it looks like a web page (HTML or XML): an error page saved by a download "
                "that failed. Delete it and fetch the file again")
    if start[:2] == b"\x1f\x8b":
        return "; it is gzipped twice: unzip it once (gunzip) and read the result"
    if len(start) == 4 and start[2:] == b"\0\0" and start[1] in _IDX_DTYPES:
        return "; its header looks little-endian: IDX numbers are big-endian ('>i4')"
    return ""


def read_idx(path: str | os.PathLike, magic: int | None = None) -> np.ndarray:
    """The array in an IDX file (gzipped or raw), checked against its header.

    `magic` (e.g. 2051 for MNIST images) also checks the type code and number of dimensions.
    A file shorter or longer than its header promises is an error that names the file.

    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    >>> read_idx(path, magic=IMAGES_MAGIC)
    Traceback (most recent call last):
    ValueError: ...labels-idx1-ubyte: magic number 2049, expected 2051 (is this the right file? ...
    """
    path = Path(path)
    with _opened(path) as stream:
        start = _read_at_most(stream, 4)
        if not start:
            unzipped = " unzipped" if path.suffix == ".gz" else ""
            raise ValueError(f"{path}: not an IDX file: it is empty (0 bytes{unzipped})")
        if len(start) < 4 or start[:2] != b"\0\0" or start[2] not in _IDX_DTYPES:
            raise ValueError(f"{path}: not an IDX file (it starts with the bytes "
                             f"{bytes(start)!r}; an IDX file starts with 0, 0, a type code and "
                             f"the number of dimensions){_not_idx_hint(start)}")
        found = int.from_bytes(start, "big")
        if magic is not None and found != magic:
            raise ValueError(f"{path}: magic number {found}, expected {magic} (is this the "
                             f"right file? MNIST images have {IMAGES_MAGIC}, labels "
                             f"{LABELS_MAGIC})")
        dtype, ndim = _IDX_DTYPES[start[2]], start[3]
        dims = _read_at_most(stream, 4 * ndim)
        header = 4 + len(dims)
        if len(dims) < 4 * ndim:
            raise ValueError(f"{path}: truncated in the header ({header} bytes, the header "
                             f"alone needs {4 + 4 * ndim})")
        shape = struct.unpack(f">{ndim}I", dims)
        size = math.prod(shape) * dtype.itemsize       # Python ints: no overflow
        values = _read_at_most(stream, size + 1)       # one more byte: are there extra ones?
    expected = header + size
    if len(values) != size:
        problem = ("is truncated" if len(values) < size else "has extra bytes at the end")
        there = f"there are {header + len(values):,}" if len(values) < size else "more follow"
        raise ValueError(f"{path}: {problem}: the header promises shape {shape}, "
                         f"{expected:,} bytes in all, but {there}")
    try:
        array = np.frombuffer(values, dtype).reshape(shape)
    except ValueError as err:           # more than 64 dimensions, or (0, 2**32 - 1, ...)
        raise ValueError(f"{path}: the header promises shape {shape}, which numpy cannot "
                         f"hold ({err})") from None
    return array.astype(dtype.newbyteorder("="))       # a writable, native-endian copy


def _write_atomically(who: str, path: Path, data: bytes) -> None:
    """Write a temporary file beside `path`, then rename it: no reader sees half a file."""
    check_destination(who, path)
    with atomic_open(path) as f:
        f.write(data)


def write_idx(path: str | os.PathLike, array: Any) -> None:
    """Write an array as an IDX file, gzipped if the name ends in .gz (atomically).

    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx2-ubyte")
    >>> write_idx(path, np.array([[1, 2]], dtype=np.uint8))
    >>> Path(path).read_bytes()     # 0, 0, type 8 (uint8), 2 dimensions; sizes 1 and 2; values
    b'\\x00\\x00\\x08\\x02\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x02\\x01\\x02'
    """
    path = Path(path)
    array = np.asarray(array)
    code = _IDX_CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"write_idx: IDX stores uint8, int8, int16, int32, float32 or float64, "
                        f"got dtype {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx: IDX stores 1 to 255 dimensions, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(_IDX_DTYPES[code]).tobytes()
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)          # mtime=0: the same bytes on every run
    _write_atomically("write_idx", path, data)


# -- finding and downloading the files ----------------------------------------------------------

def _find(name: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        for candidate in (folder / (name + ".gz"), folder / name):
            if candidate.is_file():
                return candidate
    return None


def _near_misses(folders: list[Path], found: list[Path]) -> str:
    """The IDX-looking names in `folders` (as some downloads name them: t10k-images.idx3-ubyte,
    or a folder t10k-images-idx3-ubyte/ that an unzip made), for the error that finds none;
    not the files `found` under their own names (the training pair beside missing test files
    needs no renaming)."""
    try:
        names = sorted(str(entry) for folder in folders if folder.is_dir()
                       for entry in folder.iterdir()
                       if "ubyte" in entry.name and entry not in found)
    except OSError:                         # an unreadable folder: the error says "not found"
        return ""
    if not names:
        return ""
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return (f" (found only {shown}, under other names: rename the files, or move them out of "
            f"folders of their own)")


def _fetch(url: str, timeout: float = 60.0) -> bytes:
    """The bytes at `url` (the tests replace this function: they run offline)."""
    # urllib.request, http.client and the ssl and email modules they load: ~2,700 objects that
    # every full garbage collection would walk in every process that imports nn, for a download
    # made once; imported here and in _download
    import urllib.request
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _certificates_hint(reason: object) -> str:
    """What to do when HTTPS cannot check the mirror's certificate on a Mac: Python from
    python.org brings no certificates of its own until its "Install Certificates" script runs,
    so every download fails there with CERTIFICATE_VERIFY_FAILED."""
    if sys.platform != "darwin":
        return ""
    import ssl                          # (here: a Python built without ssl still loads MNIST)
    if not isinstance(reason, ssl.SSLCertVerificationError):
        return ""
    return (" (Python from python.org on macOS: run 'Install Certificates.command' in "
            "Applications/Python 3.x, then try again)")


def _download(name: str, folder: Path, missing: list[str]) -> Path:
    """Fetch name.gz from the first mirror that gives the published SHA-256; save it in folder."""
    import http.client                  # (see _fetch)
    filename = name + ".gz"
    failures = []
    for mirror in MIRRORS:
        url = mirror + filename
        try:
            data = _fetch(url)
        except (OSError, http.client.HTTPException) as e:     # URLError is an OSError
            reason = getattr(e, "reason", e)
            failures.append(f"{url}: {reason}{_certificates_hint(reason)}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != SHA256[filename]:
            failures.append(f"{url}: SHA-256 {digest}, expected {SHA256[filename]}")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / filename
        _write_atomically("load_mnist", target, data)
        return target
    raise DownloadError(
        f"load_mnist: could not download {filename}:\n  " + "\n  ".join(failures) +
        f"\nWithout internet access, copy {', '.join(m + '.gz' for m in missing)} (from any "
        f"MNIST mirror) into {folder}, or set {ENV_VAR} to a folder that has them.")


def _load_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise ValueError(f"load_mnist: {images_path} has {len(images)} images but {labels_path} "
                         f"has {len(labels)} labels")
    if len(labels) and labels.max() > 9:           # a damaged file: a digit is 0 to 9
        i = int(np.argmax(labels > 9))
        raise ValueError(f"load_mnist: {labels_path} has the label {labels[i]} (at index {i}); "
                         f"MNIST labels are the digits 0 to 9")
    return images, labels


def load_mnist(path: str | os.PathLike | None = None, *, download: bool = False,
               cache_dir: str | os.PathLike | None = None, flatten: bool = True,
               split_t10k: int | None = None) -> MNIST:
    """MNIST as `MNIST(train_images, train_labels, test_images, test_labels)`.

    Looks for the four IDX files (gzipped or raw) in `path`; without a path, in the folder named
    by $GLASSGRAD_MNIST_DIR and then in `cache_dir` (default ~/.cache/glassgrad/mnist).
    `download=True` fetches missing files (into `path`, else `cache_dir`) and checks their
    SHA-256. Images come back float32 in [0, 1], (N, 784) if `flatten` else (N, 28, 28); labels
    int64.

    `split_t10k=8000` needs only the 10,000 test digits (t10k): the first 8,000 become the
    training set and the other 2,000 the test set.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()           # three made-up test digits: a dot in the middle
    >>> digits = np.zeros((3, 28, 28), dtype=np.uint8); digits[:, 14, 14] = 255
    >>> write_idx(os.path.join(folder, "t10k-images-idx3-ubyte"), digits)
    >>> write_idx(os.path.join(folder, "t10k-labels-idx1-ubyte"), np.array([7, 2, 1], np.uint8))
    >>> X_train, y_train, X_test, y_test = load_mnist(folder, split_t10k=2)
    >>> X_train.shape, float(X_train.max()), y_train.tolist(), y_test.tolist()
    ((2, 784), 1.0, [7, 2], [1])
    """
    download = _flag("load_mnist", "download", download)
    flatten = _flag("load_mnist", "flatten", flatten)
    if split_t10k is not None:
        if isinstance(split_t10k, bool) or not isinstance(split_t10k, numbers.Integral):
            raise TypeError(f"load_mnist: split_t10k must be an int (how many t10k images to "
                            f"train on), got {split_t10k!r}")
        split_t10k = int(split_t10k)
    env = os.environ.get(ENV_VAR)
    cache = Path(cache_dir if cache_dir is not None else DEFAULT_CACHE_DIR).expanduser()
    if path is not None:
        folders = [Path(path).expanduser()]
        if folders[0].is_file():
            raise NotADirectoryError(errno.ENOTDIR, "load_mnist: a file, expected the folder "
                                                    "that holds the MNIST files", str(path))
    else:
        folders = ([Path(env).expanduser()] if env else []) + [cache]
    target = folders[0] if path is not None else cache
    names = T10K_FILES if split_t10k is not None else TRAIN_FILES + T10K_FILES

    found = {name: _find(name, folders) for name in names}
    missing = [name for name, where in found.items() if where is None]
    if missing and not download:
        looked = " and ".join(str(f) for f in folders)
        if split_t10k is None and set(missing) == set(TRAIN_FILES):
            raise FileNotFoundError(
                f"load_mnist: found the 10,000 test digits ({', '.join(T10K_FILES)}) in "
                f"{found[T10K_FILES[0]].parent}, but not the training files "
                f"{' and '.join(n + '[.gz]' for n in TRAIN_FILES)}. Put them there, pass "
                f"download=True, or split the test digits: load_mnist(..., split_t10k=8000) "
                f"trains on the first 8,000 and tests on the last 2,000.")
        raise FileNotFoundError(
            f"load_mnist: {', '.join(n + '[.gz]' for n in missing)} not found in {looked}"
            f"{_near_misses(folders, [p for p in found.values() if p is not None])}. "
            f"Pass download=True, or put the files into {target} (or "
            f"set {ENV_VAR} to the folder that has them).")
    for name in missing:
        found[name] = _download(name, target, missing)

    test_images, test_labels = _load_pair(found[T10K_FILES[0]], found[T10K_FILES[1]])
    if split_t10k is not None:
        n = len(test_images)
        if not 1 <= split_t10k < n:
            raise ValueError(f"load_mnist: split_t10k={split_t10k} must leave images on both "
                             f"sides of the split: 1 <= split_t10k < {n}")
        train_images, test_images = test_images[:split_t10k], test_images[split_t10k:]
        train_labels, test_labels = test_labels[:split_t10k], test_labels[split_t10k:]
    else:
        train_images, train_labels = _load_pair(found[TRAIN_FILES[0]], found[TRAIN_FILES[1]])
        if train_images.shape[1:] != test_images.shape[1:]:
            raise ValueError(f"load_mnist: training images are {train_images.shape[1:]} pixels "
                             f"but test images {test_images.shape[1:]}")
    return MNIST(_pixels(train_images, flatten), train_labels.astype(np.int64),
                 _pixels(test_images, flatten), test_labels.astype(np.int64))


def _pixels(images: np.ndarray, flatten: bool) -> np.ndarray:
    """uint8 0..255 -> float32 0..1 (255 maps to exactly 1.0)."""
    x = images.reshape(len(images), -1) if flatten else images
    return x.astype(np.float32) / np.float32(255.0)
