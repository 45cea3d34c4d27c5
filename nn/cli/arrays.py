"""Arrays as data for `train` and `predict`, besides CSV files: an .npz file of inputs and
labels (np.savez(path, X=X, y=y)), or IDX files such as MNIST's (an images file, with its
labels file beside it).

    glassgrad train --data data.npz                  # X and y, or the two arrays it holds
    glassgrad train --data data.npz --target y_train --ignore x_test,y_test
    glassgrad train --data train-images-idx3-ubyte.gz  # its labels: train-labels-idx1-ubyte.gz

Each sample's values, flattened (an image's pixels), are the features, named by their position
("0", "1", ...); the labels are the target.
"""

from __future__ import annotations

import gzip
import os
import re
import zipfile
from typing import NamedTuple

import numpy as np

from nn.data.mnist import read_idx

from .errors import UsageError

__all__ = ["ArrayData", "is_arrays", "read_arrays"]

#: what the inputs and the labels of an .npz file are called, when it holds more than two arrays
INPUT_NAMES = ("X", "x", "inputs", "features", "data", "images")
LABEL_NAMES = ("y", "Y", "labels", "label", "targets", "target")


class ArrayData(NamedTuple):
    """Samples as rows of numbers (N, D), their labels (N,) if there are any, where they come
    from (the inputs' array or file) and the target's name, and the shape of one sample before
    it was flattened ((28, 28) for an MNIST digit)."""
    path: str
    X: np.ndarray
    labels: np.ndarray | None
    inputs: str
    target: str
    shape: tuple[int, ...] = ()

    @property
    def images(self) -> bool:
        """Whether a sample is a grid of values (an image), not a row of features."""
        return len(self.shape) >= 2

    def at(self, i: int) -> str:
        """Where sample `i`'s label is, for an error message."""
        return f"{self.path}: {self.target}[{i}]"


def _kind(path: str) -> str | None:
    """"npz" or "idx" by the file's first bytes (an .npz is a zip archive; IDX starts with 0, 0,
    a type code and the number of dimensions, gzipped or not); None for anything else."""
    try:
        with open(path, "rb") as f:
            start = f.read(4)
            if start[:2] == b"\x1f\x8b":
                f.seek(0)
                with gzip.GzipFile(fileobj=f) as unzipped:
                    start = unzipped.read(4)
    except (OSError, EOFError, ValueError):     # read_table says what is wrong with the file
        return None
    if start == b"PK\x03\x04" and path.lower().endswith(".npz"):
        return "npz"
    if len(start) == 4 and start[:2] == b"\0\0" and start[2] in (8, 9, 11, 12, 13, 14):
        return "idx"
    return None


def is_arrays(path: str) -> bool:
    """Whether `path` is an .npz or an IDX file (else it is read as CSV)."""
    return path != "-" and os.path.isfile(path) and _kind(path) is not None


def read_arrays(path: str, target: str | None, ignore: list[str], *,
                need_labels: bool) -> ArrayData:
    """The samples and labels in `path` (see the module's docstring); `target` names the labels'
    array (an .npz) or file (IDX); `ignore` lists arrays of an .npz to leave out."""
    if _kind(path) == "npz":
        return _read_npz(path, target, ignore, need_labels)
    return _read_idx(path, target, need_labels)


def _read_npz(path: str, target: str | None, ignore: list[str], need_labels: bool) -> ArrayData:
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = [name for name in archive.files if name not in ignore]
            unknown = [name for name in ignore if name not in archive.files]
            if unknown:
                raise UsageError(f"{path}: no array {unknown[0]!r} (given to --ignore); it holds "
                                 f"{_listing(archive, archive.files)}")
            if target is not None and target not in names:
                what = "given to --ignore too" if target in archive.files else "no such array"
                raise UsageError(f"{path}: --target {target}: {what}; it holds "
                                 f"{_listing(archive, archive.files)}")
            shapes = {name: archive[name].shape for name in names}
            target = target or _labels_name(names, shapes)
            if target is None and need_labels:
                raise UsageError(f"{path}: which array is the target? It holds "
                                 f"{_listing(archive, names)}; name it: --target NAME (and leave "
                                 f"out arrays that are neither: --ignore NAME)")
            inputs = _inputs_name(path, archive, [n for n in names if n != target], target,
                                  need_labels)
            X, labels = archive[inputs], archive[target] if target is not None else None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as err:
        raise UsageError(f"{path}: not a readable .npz file ({err})") from None
    except ValueError as err:                   # object arrays: pickled, refused
        raise UsageError(f"{path}: cannot be read without pickle ({err}); save arrays of "
                         f"numbers or text: np.savez(path, X=X, y=y)") from None
    return _checked(path, X, labels, inputs, target if labels is not None else "y")


def _listing(archive: np.lib.npyio.NpzFile, names: list[str]) -> str:
    """'X (100, 3), y (100,)' for the arrays `names` of an .npz file."""
    return ", ".join(f"{name} {archive[name].shape}" for name in names) or "no arrays"


def _labels_name(names: list[str], shapes: dict[str, tuple]) -> str | None:
    """The labels of an .npz file whose target is not named: an array named so, or the one array
    of one dimension beside one other."""
    for name in LABEL_NAMES:
        if name in names:
            return name
    flat = [name for name in names if len(shapes[name]) == 1]
    return flat[0] if len(names) == 2 and len(flat) == 1 else None


def _inputs_name(path: str, archive: np.lib.npyio.NpzFile, names: list[str],
                 target: str | None, training: bool) -> str:
    """The inputs: the one array left, or the one named as the labels are (x_train beside
    y_train), or an array named X, x, inputs... (`training`: train's --ignore can leave the
    others out)."""
    if len(names) == 1:
        return names[0]
    if target is not None and target[:1] in "yY":
        for first in "xX":
            if first + target[1:] in names:
                return first + target[1:]
    for name in INPUT_NAMES:
        if name in names:
            return name
    what = ("leave out the others: --ignore NAME" if training and names
            else "save them as X: np.savez(path, X=X)")
    raise UsageError(f"{path}: which array holds the inputs? Besides the target, it holds "
                     f"{_listing(archive, names) if names else 'nothing'}; {what}")


def _labels_beside(images: str) -> str | None:
    """The labels file of an IDX images file, by MNIST's names (train-images-idx3-ubyte →
    train-labels-idx1-ubyte, .gz or not); None when its name says nothing."""
    folder, name = os.path.split(images)
    labels = re.sub("images", "labels", name, flags=re.IGNORECASE).replace("idx3", "idx1")
    if labels == name:
        return None
    for candidate in (labels, labels[:-3] if labels.endswith(".gz") else labels + ".gz"):
        if os.path.exists(os.path.join(folder, candidate)):
            return os.path.join(folder, candidate)
    return os.path.join(folder, labels)


def _read_idx(path: str, target: str | None, need_labels: bool) -> ArrayData:
    labels_path = target or _labels_beside(path)
    try:
        X = read_idx(path)
        if target is not None and not os.path.exists(target):
            raise UsageError(f"--target {target}: no such file (for IDX images, --target names "
                             f"their labels file)")
        if labels_path is None or not os.path.exists(labels_path):
            if need_labels:
                expected = f"{labels_path} beside it" if labels_path else "a labels file"
                raise UsageError(f"{path}: no labels: expected {expected} (MNIST's "
                                 f"train-labels-idx1-ubyte for train-images-idx3-ubyte); give "
                                 f"its path: --target LABELS-FILE")
            return _checked(path, X, None, path, "label")
        labels = read_idx(labels_path)
    except (OSError, ValueError) as err:
        raise UsageError(str(err)) from None
    if labels.ndim != 1:
        raise UsageError(f"{labels_path}: labels have one number per sample, but this file "
                         f"holds an array of shape {labels.shape} (the images file?)")
    return _checked(path, X, labels, path, "label")


def _checked(path: str, X: np.ndarray, labels: np.ndarray | None, inputs: str,
             target: str) -> ArrayData:
    """The inputs as float32 rows (N, D), their values finite; labels one per row."""
    if X.dtype.kind not in "biuf" or X.ndim == 0 or len(X) == 0:
        raise UsageError(f"{path}: the inputs {inputs!r} must be an array of numbers, one row "
                         f"per sample; got {X.dtype} data of shape {X.shape}")
    shape = X.shape[1:]
    X = X.reshape(len(X), -1) if X.ndim != 1 else X.reshape(-1, 1)
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        r, c = np.argwhere(~np.isfinite(X))[0]
        raise UsageError(f"{path}: the inputs {inputs!r} hold {X[r, c]} (sample {r}, value "
                         f"{c}); glassgrad does not fill in missing values in arrays")
    if np.abs(X).max(initial=0) > np.finfo(np.float32).max:
        raise UsageError(f"{path}: the inputs {inputs!r} hold values too large for float32 "
                         f"(beyond ±3.4e38)")
    if labels is not None:
        if labels.ndim == 2 and labels.shape[1] == 1:       # (N, 1), as a column
            labels = labels[:, 0]
        if labels.ndim != 1 or labels.dtype.kind not in "biufU":
            raise UsageError(f"{path}: the target {target!r} must hold one number or name per "
                             f"sample; got {labels.dtype} data of shape {labels.shape}")
        if len(labels) != len(X):
            raise UsageError(f"{path}: {len(X)} samples in {inputs!r} but {len(labels)} labels "
                             f"in {target!r}; they must match")
    return ArrayData(path, X.astype(np.float32), labels, inputs, target, shape)


def label_texts(labels: np.ndarray) -> list[str]:
    """Labels as the text a CSV cell would hold: integers as integers ("7", not "7.0"), other
    numbers as Python writes them, names as they are."""
    if labels.dtype.kind in "biu":
        return [str(int(v)) for v in labels]
    if labels.dtype.kind == "f":
        return [str(int(v)) if v.is_integer() else repr(float(v)) for v in labels.tolist()]
    return [str(v) for v in labels]
