"""MNIST for the T1 benchmark: a small IDX reader, a random stand-in, and the shared init.

IDX files (http://yann.lecun.com/exdb/mnist/) start with a big-endian int32 magic number
(2051 for images, 2049 for labels), then one big-endian int32 per dimension, then the bytes.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
LABELS_FILE = "t10k-labels-idx1-ubyte.gz"
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The uint8 array stored in a gzipped IDX file, after checking its magic number."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    (found,) = struct.unpack(">i", raw[:4])
    if found != magic:
        raise ValueError(f"{path}: magic number {found}, expected {magic}")
    ndim = magic - 2048                       # 2051 -> 3 dims (n, rows, cols), 2049 -> 1 dim
    shape = struct.unpack(f">{ndim}i", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {data.size} bytes of data for shape {shape}")
    return data.reshape(shape)


def load_mnist(data_dir: str | None):
    """(images (N, 784) float32 in [0, 1], labels (N,) int64), or None if the files are missing."""
    if not data_dir:
        return None
    folder = Path(data_dir)
    images_path, labels_path = folder / IMAGES_FILE, folder / LABELS_FILE
    if not (images_path.is_file() and labels_path.is_file()):
        return None
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise ValueError(f"{folder}: {len(images)} images but {len(labels)} labels")
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
    return x, labels.astype(np.int64)


def random_mnist(n: int = 10_000, seed: int = 0):
    """MNIST-shaped random data: (n, 784) float32 in [0, 1) and labels 0..9 (int64)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=n, dtype=np.int64)
    return x, y


def load_data(data_dir: str | None):
    """(images, labels, description): real MNIST if found in `data_dir`, else random data."""
    found = load_mnist(data_dir)
    if found is not None:
        x, y = found
        return x, y, f"MNIST t10k, {len(x)} images from {data_dir}"
    x, y = random_mnist()
    return x, y, f"random MNIST-shaped data ({len(x)} rows; no MNIST files in {data_dir})"


def batch(x: np.ndarray, y: np.ndarray, batch_size: int, step: int):
    """The `step`-th batch, cycling through the data in order (contiguous views, no copies)."""
    n_batches = len(x) // batch_size
    start = (step % n_batches) * batch_size
    return x[start:start + batch_size], y[start:start + batch_size]


def init_params(seed: int = 0, sizes: tuple = (784, 100, 10)) -> list:
    """[W1, b1, W2, b2] float32, W of shape (in, out), uniform in ±1/sqrt(in) like PyTorch's
    nn.Linear; the same numbers for every engine (glassgrad and torch take W transposed, as
    their Linear layers store it: (out, in))."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(n_in)
        params.append(rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, n_out).astype(np.float32))
    return params
