"""MNIST: the IDX reader and writer, load_mnist on small files the tests write, the download
path with a fake network, and (when $GLASSGRAD_MNIST_DIR is set) the real t10k digits; without
them that test is a skip saying how to enable it (a failure when GLASSGRAD_REQUIRE_MNIST=1)."""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from conftest import MNIST_DIR_VAR, REQUIRE_MNIST_VAR, real_mnist_dir
from nn.data import mnist
from nn.data.mnist import DownloadError, load_mnist, read_idx, write_idx


@pytest.fixture(autouse=True)
def _no_network_no_env(monkeypatch):
    """No test may reach the internet or read the user's MNIST folder by accident."""
    def offline(url, timeout=60.0):
        raise AssertionError(f"unexpected download of {url}")
    monkeypatch.setattr(mnist, "_fetch", offline)
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)


def _digits(n: int, side: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, side, side), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255            # both ends of the pixel range
    return images, rng.integers(0, 10, n).astype(np.uint8)


def _write_set(folder: Path, prefix: str, images, labels, gz: bool = True) -> None:
    ext = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels)


def _write_mnist(folder: Path, n_train: int = 5, n_test: int = 3, gz: bool = True):
    train, test = _digits(n_train, seed=1), _digits(n_test, seed=2)
    _write_set(folder, "train", *train, gz=gz)
    _write_set(folder, "t10k", *test, gz=gz)
    return train, test


# -- IDX files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a-idx3-ubyte", "a-idx3-ubyte.gz"])
@pytest.mark.parametrize("array", [
    np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
    np.array([-3, 0, 7], dtype=np.int8),
    np.array([[-300, 2], [40000 // 2, 5]], dtype=np.int16),
    np.array([-(2**31), 2**31 - 1], dtype=np.int32),
    np.array([[0.5, -1.25e30]], dtype=np.float32),
    np.array([np.pi, -np.e], dtype=np.float64),
])
def test_round_trip(tmp_path, name, array):
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)
    back[...] = 0                                         # a writable copy, not the file buffer


def test_layout_by_hand(tmp_path):
    write_idx(tmp_path / "raw", np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8))
    assert (tmp_path / "raw").read_bytes() == bytes(
        [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])
    write_idx(tmp_path / "short", np.array([1, 256], dtype=np.int16))  # big-endian values
    assert (tmp_path / "short").read_bytes()[-4:] == bytes([0, 1, 1, 0])
    write_idx(tmp_path / "z.gz", np.zeros(3, np.uint8))
    assert gzip.decompress((tmp_path / "z.gz").read_bytes())[:4] == bytes([0, 0, 8, 1])


def test_writing_to_a_folder_names_the_folder(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(IsADirectoryError) as err:
        write_idx(tmp_path / "images", np.zeros(3, np.uint8))
    assert err.value.filename == str(tmp_path / "images")       # not a temporary file's name
    assert "write_idx: the destination is a folder" in str(err.value)


def test_magic_numbers_of_mnist_files(tmp_path):
    images, labels = _digits(2)
    _write_set(tmp_path, "x", images, labels, gz=False)
    assert read_idx(tmp_path / "x-images-idx3-ubyte", magic=2051).shape == (2, 4, 4)
    assert read_idx(tmp_path / "x-labels-idx1-ubyte", magic=2049).shape == (2,)
    with pytest.raises(ValueError, match="x-labels-idx1-ubyte: magic number 2049, expected 2051"):
        read_idx(tmp_path / "x-labels-idx1-ubyte", magic=2051)


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "cut-images-idx3-ubyte"
    write_idx(path, np.zeros((3, 4, 4), np.uint8))
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match=r"cut-images-idx3-ubyte: is truncated: the header "
                                         r"promises shape \(3, 4, 4\), 64 bytes in all, but "
                                         r"there are 59"):
        read_idx(path)
    gz = tmp_path / "cut.gz"                             # truncated before compression
    gz.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(ValueError, match="cut.gz: is truncated"):
        read_idx(gz)


def test_extra_bytes_truncated_header_and_not_idx(tmp_path):
    path = tmp_path / "f"
    write_idx(path, np.zeros(4, np.uint8))
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="has extra bytes at the end"):
        read_idx(path)
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(ValueError, match=r"truncated in the header \(6 bytes, the header alone "
                                         r"needs 16\)"):
        read_idx(path)
    for junk in (b"", b"P5\n28 28", bytes([0, 0, 0x42, 1, 0, 0, 0, 0])):
        path.write_bytes(junk)
        with pytest.raises(ValueError, match="f: not an IDX file"):
            read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_a_web_page_saved_as_an_idx_file_says_the_download_failed(tmp_path, gz):
    path = tmp_path / ("t10k-images-idx3-ubyte" + (".gz" if gz else ""))
    page = b"\n<!DOCTYPE html><html><body>404 Not Found</body></html>"
    path.write_bytes(gzip.compress(page) if gz else page)
    with pytest.raises(ValueError, match=r"not an IDX file .*it looks like a web page \(HTML or "
                                         r"XML\): an error page saved by a download that "
                                         r"failed"):
        read_idx(path)


def test_a_little_endian_header_is_named(tmp_path):
    path = tmp_path / "mine-idx1-ubyte"
    path.write_bytes((2049).to_bytes(4, "little") + (3).to_bytes(4, "little") + bytes(3))
    with pytest.raises(ValueError, match=r"its header looks little-endian: IDX numbers are "
                                         r"big-endian"):
        read_idx(path)


def test_a_header_promising_more_than_int64_holds_says_so(tmp_path):
    """(2**32 - 1)**2 bytes overflowed numpy's int64 product: "-8,589,934,579 bytes in all"."""
    path = tmp_path / "huge"
    path.write_bytes(bytes([0, 0, 8, 2]) + (2**32 - 1).to_bytes(4, "big") * 2)
    with pytest.raises(ValueError, match=r"huge: is truncated: the header promises shape "
                                         r"\(4294967295, 4294967295\), "
                                         r"18,446,744,065,119,617,037 bytes in all, but there "
                                         r"are 12"):
        read_idx(path)


@pytest.mark.parametrize("ndim, dims", [(100, [1] * 100), (3, [0, 2**32 - 1, 2**32 - 1])])
def test_a_shape_numpy_cannot_hold_names_the_file(tmp_path, ndim, dims):
    """numpy's own message named no file: "maximum supported dimension ... is 64"."""
    path = tmp_path / "odd-idx"
    path.write_bytes(bytes([0, 0, 8, ndim]) + b"".join(d.to_bytes(4, "big") for d in dims) +
                     bytes(1 if dims[0] else 0))
    with pytest.raises(ValueError, match=r"odd-idx: the header promises shape \(.*\), which "
                                         r"numpy cannot hold"):
        read_idx(path)


def test_damaged_gzip(tmp_path):
    path = tmp_path / "d.gz"
    write_idx(path, np.arange(200, dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(ValueError, match="d.gz: damaged gzip file"):
        read_idx(path)


def test_write_errors(tmp_path):
    with pytest.raises(TypeError, match="got dtype int64"):
        write_idx(tmp_path / "a", np.arange(3))
    with pytest.raises(TypeError, match="got dtype bool"):
        write_idx(tmp_path / "a", np.ones(3, bool))
    with pytest.raises(ValueError, match=r"1 to 255 dimensions, got shape \(\)"):
        write_idx(tmp_path / "a", np.uint8(3))
    assert list(tmp_path.iterdir()) == []


def test_writes_are_atomic(tmp_path, monkeypatch):
    path = tmp_path / "w-idx1-ubyte"
    write_idx(path, np.array([1, 2], np.uint8))
    write_idx(path, np.array([3, 4, 5], np.uint8))      # replaces the old file
    assert read_idx(path).tolist() == [3, 4, 5]

    def crash(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(mnist.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_idx(path, np.array([9], np.uint8))
    assert read_idx(path).tolist() == [3, 4, 5]         # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == [path.name]     # no temporary left over


# -- load_mnist from local files ----------------------------------------------------------------

@pytest.mark.parametrize("gz", [True, False])
def test_load_scales_and_flattens(tmp_path, gz):
    (train_x, train_y), (test_x, test_y) = _write_mnist(tmp_path, gz=gz)
    data = load_mnist(tmp_path)
    assert isinstance(data, mnist.MNIST)
    assert data.train_images.shape == (5, 16) and data.test_images.shape == (3, 16)
    assert data.train_images.dtype == np.float32 and data.train_labels.dtype == np.int64
    assert data.train_images[0, 0] == 0.0 and data.train_images[0, 1] == 1.0
    assert np.array_equal(data.train_images * 255, train_x.reshape(5, -1).astype(np.float32))
    assert np.array_equal(data.train_labels, train_y) and np.array_equal(data.test_labels, test_y)
    square = load_mnist(tmp_path, flatten=False)
    assert square.train_images.shape == (5, 4, 4) and square.test_images.shape == (3, 4, 4)
    assert np.array_equal(square.test_images.reshape(3, -1), data.test_images)


def test_count_and_size_mismatches(tmp_path):
    _write_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz has 3 images but .*"
                                         "t10k-labels-idx1-ubyte.gz has 4 labels"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((3, 5, 5), np.uint8))
    with pytest.raises(ValueError, match=r"training images are \(4, 4\) pixels but test images "
                                         r"\(5, 5\)"):
        load_mnist(tmp_path)


def test_a_label_beyond_9_is_refused(tmp_path):
    """A damaged labels file: label 255 was returned as it was, for metrics to count silently."""
    _write_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([3, 255, 1], np.uint8))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz has the label 255 \(at index "
                                         r"1\); MNIST labels are the digits 0 to 9"):
        load_mnist(tmp_path)


def test_an_empty_file_a_folder_or_a_file_for_the_folder_say_what_was_expected(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "empty.gz").write_bytes(gzip.compress(b""))
    for name, what in (("empty", r"\(0 bytes\)"), ("empty.gz", r"\(0 bytes unzipped\)")):
        with pytest.raises(ValueError, match=rf"empty(\.gz)?: not an IDX file: it is empty "
                                             rf"{what}$"):
            read_idx(tmp_path / name)
    with pytest.raises(IsADirectoryError, match="a folder, expected an IDX file") as err:
        read_idx(tmp_path)
    assert err.value.filename == str(tmp_path)
    with pytest.raises(NotADirectoryError, match="load_mnist: a file, expected the folder that "
                                                 "holds the MNIST files") as err:
        load_mnist(tmp_path / "empty")              # was "... not found in .../empty"
    assert err.value.filename == str(tmp_path / "empty")


def test_swapped_files_fail_on_the_magic_number(tmp_path):
    _write_mnist(tmp_path)
    labels = (tmp_path / "train-labels-idx1-ubyte.gz").read_bytes()
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(labels)
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: magic number 2049, "
                                         "expected 2051"):
        load_mnist(tmp_path)


def test_truncated_file_is_reported_by_name(tmp_path):
    _write_mnist(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: is truncated"):
        load_mnist(tmp_path)


def test_folders_searched_without_a_path(tmp_path, monkeypatch):
    env_dir, cache = tmp_path / "env", tmp_path / "cache"
    env_dir.mkdir(), cache.mkdir()
    _write_set(env_dir, "t10k", *_digits(3, seed=5))
    _write_set(cache, "train", *_digits(6, seed=6))
    _write_set(cache, "t10k", *_digits(7, seed=7))
    monkeypatch.setenv(mnist.ENV_VAR, str(env_dir))
    data = load_mnist(cache_dir=cache)                   # the env folder first, then the cache
    assert len(data.test_images) == 3 and len(data.train_images) == 6
    monkeypatch.delenv(mnist.ENV_VAR)
    assert len(load_mnist(cache_dir=cache).test_images) == 7
    monkeypatch.setattr(mnist, "DEFAULT_CACHE_DIR", cache)
    assert len(load_mnist().train_images) == 6


def test_only_t10k_present_says_how_to_split(tmp_path):
    _write_set(tmp_path, "t10k", *_digits(10, seed=3))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    for needed in ("train-images-idx3-ubyte[.gz]", "train-labels-idx1-ubyte[.gz]", str(tmp_path),
                   "download=True", "split_t10k=8000", "first 8,000", "last 2,000"):
        assert needed in message


def test_split_t10k(tmp_path):
    images, labels = _digits(10, seed=3)
    _write_set(tmp_path, "t10k", images, labels)
    data = load_mnist(tmp_path, split_t10k=8)
    assert data.train_images.shape == (8, 16) and data.test_images.shape == (2, 16)
    assert np.array_equal(data.train_labels, labels[:8])
    assert np.array_equal(data.test_labels, labels[8:])
    assert np.array_equal(data.test_images * 255, images[8:].reshape(2, -1).astype(np.float32))
    with pytest.raises(ValueError, match="split_t10k=10 must leave images on both sides"):
        load_mnist(tmp_path, split_t10k=10)
    with pytest.raises(TypeError, match="split_t10k must be an int"):
        load_mnist(tmp_path, split_t10k=0.8)
    # a numpy integer is a count too (it was refused as "must be an int")
    assert load_mnist(tmp_path, split_t10k=np.int64(8)).train_images.shape == (8, 16)


def test_nothing_found_names_files_and_folders(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(cache_dir=tmp_path / "cache")
    message = str(info.value)
    for needed in ("train-images-idx3-ubyte[.gz]", "t10k-labels-idx1-ubyte[.gz]",
                   str(tmp_path / "cache"), "download=True", mnist.ENV_VAR):
        assert needed in message


@pytest.mark.parametrize("option", ["flatten", "download"])
def test_yes_or_no_options_refuse_strings(tmp_path, option):
    """flatten="False" is a true string: the images came back flattened, silently."""
    _write_set(tmp_path, "t10k", *_digits(3))
    with pytest.raises(TypeError, match=rf"load_mnist: {option} must be True or False, got "
                                        rf"'False'"):
        load_mnist(tmp_path, split_t10k=2, **{option: "False"})


def test_files_under_other_names_are_listed(tmp_path):
    """Some downloads name the files t10k-images.idx3-ubyte, or unzip each into a folder of its
    name: "not found" alone left the user comparing names by eye."""
    images, labels = _digits(3)
    write_idx(tmp_path / "t10k-images.idx3-ubyte", images)
    (tmp_path / "t10k-labels-idx1-ubyte").mkdir()
    write_idx(tmp_path / "t10k-labels-idx1-ubyte" / "t10k-labels-idx1-ubyte", labels)
    with pytest.raises(FileNotFoundError, match=r"not found in .* \(found only "
                                                r".*t10k-images\.idx3-ubyte, "
                                                r".*t10k-labels-idx1-ubyte, under other names: "
                                                r"rename the files, or move them out of "
                                                r"folders of their own\)"):
        load_mnist(tmp_path, split_t10k=2)


def test_files_found_under_their_own_names_are_not_listed_as_misnamed(tmp_path):
    """A folder with the training pair but no t10k files said the training files were "found
    only ..., under other names: rename the files", though their names are right: only the
    test files are missing."""
    _write_set(tmp_path, "train", *_digits(3), gz=False)
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert message.startswith("load_mnist: t10k-images-idx3-ubyte[.gz], "
                              "t10k-labels-idx1-ubyte[.gz] not found in ")
    assert "other names" not in message and "train-images" not in message
    # a misnamed test file beside them is still listed, alone
    write_idx(tmp_path / "t10k-images.idx3-ubyte", _digits(3)[0])
    with pytest.raises(FileNotFoundError, match=r"\(found only \S*t10k-images\.idx3-ubyte, under "
                                                r"other names: "):
        load_mnist(tmp_path)


def test_a_file_gzipped_twice_says_so(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_idx(path, np.arange(3, dtype=np.uint8))
    path.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(ValueError, match=r"not an IDX file .*it is gzipped twice"):
        read_idx(path)


# -- downloading (a fake network: this machine and CI are offline) ------------------------------

def _serve(monkeypatch, files: dict[str, bytes], broken_mirrors: dict[str, bytes] = {}):
    """Answer _fetch from `files` (by file name); mirrors in `broken_mirrors` serve other bytes."""
    requested = []

    def fetch(url, timeout=60.0):
        requested.append(url)
        mirror, name = url.rsplit("/", 1)
        if mirror + "/" in broken_mirrors:
            return broken_mirrors[mirror + "/"]
        if name not in files:
            raise urllib.error.URLError("no such file")
        return files[name]
    monkeypatch.setattr(mnist, "_fetch", fetch)
    for name, data in files.items():                     # our small files stand in for MNIST's
        monkeypatch.setitem(mnist.SHA256, name, hashlib.sha256(data).hexdigest())
    return requested


def _published(tmp_path) -> dict[str, bytes]:
    source = tmp_path / "published"
    source.mkdir()
    _write_mnist(source)
    return {p.name: p.read_bytes() for p in source.iterdir()}


def test_download_verifies_and_caches(tmp_path, monkeypatch):
    files = _published(tmp_path)
    requested = _serve(monkeypatch, files)
    cache = tmp_path / "cache"
    data = load_mnist(cache_dir=cache, download=True)
    assert len(data.train_images) == 5 and len(data.test_images) == 3
    assert sorted(p.name for p in cache.iterdir()) == sorted(files)        # no temporaries
    assert all((cache / name).read_bytes() == files[name] for name in files)
    assert len(requested) == 4 and all(url.startswith(mnist.MIRRORS[0]) for url in requested)
    load_mnist(cache_dir=cache, download=True)          # cached: nothing fetched again
    assert len(requested) == 4


def test_download_only_what_is_missing_into_the_given_path(tmp_path, monkeypatch):
    files = _published(tmp_path)
    requested = _serve(monkeypatch, files)
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (folder / name).write_bytes(files[name])
    load_mnist(folder, download=True, cache_dir=tmp_path / "unused")
    assert sorted(url.rsplit("/", 1)[1] for url in requested) == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert len(list(folder.iterdir())) == 4 and not (tmp_path / "unused").exists()


def test_a_bad_mirror_is_skipped(tmp_path, monkeypatch):
    files = _published(tmp_path)
    requested = _serve(monkeypatch, files, broken_mirrors={mnist.MIRRORS[0]: b"<html>"})
    data = load_mnist(cache_dir=tmp_path / "cache", download=True, split_t10k=2)
    assert len(data.train_images) == 2
    assert [url.split("/")[2] for url in requested] == [
        mnist.MIRRORS[0].split("/")[2], mnist.MIRRORS[1].split("/")[2]] * 2


def test_hash_mismatch_on_every_mirror_writes_nothing(tmp_path, monkeypatch):
    files = _published(tmp_path)
    _serve(monkeypatch, files, broken_mirrors={m: b"tampered" for m in mnist.MIRRORS})
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError) as info:
        load_mnist(cache_dir=cache, download=True)
    message = str(info.value)
    tampered = hashlib.sha256(b"tampered").hexdigest()
    assert "could not download train-images-idx3-ubyte.gz" in message
    assert message.count(f"SHA-256 {tampered}, expected") == 2
    assert not cache.exists() or list(cache.iterdir()) == []


def test_offline_names_the_files_and_where_to_put_them(tmp_path, monkeypatch):
    def offline(url, timeout=60.0):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(mnist, "_fetch", offline)
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError) as info:
        load_mnist(cache_dir=cache, download=True)
    message = str(info.value)
    assert isinstance(info.value, OSError)
    for needed in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                   "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", str(cache),
                   "Temporary failure in name resolution", mnist.ENV_VAR, *mnist.MIRRORS):
        assert needed in message
    assert not cache.exists() or list(cache.iterdir()) == []


# -- the real digits (CI sets GLASSGRAD_MNIST_DIR; skipped elsewhere, saying how to enable) ------

ENVIRON = dict(os.environ)          # read before the fixture above hides the variable


def test_real_t10k_digits():
    real_dir = real_mnist_dir(ENVIRON)
    data = load_mnist(real_dir, split_t10k=8000)
    assert data.train_images.shape == (8000, 784) and data.test_images.shape == (2000, 784)
    assert data.train_images.dtype == np.float32
    images = np.concatenate([data.train_images, data.test_images])
    assert images.min() == 0.0 and images.max() == 1.0
    labels = np.concatenate([data.train_labels, data.test_labels])
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                            1009]
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        published = Path(real_dir) / name
        if published.is_file():                          # our SHA-256 constants are the real ones
            assert hashlib.sha256(published.read_bytes()).hexdigest() == mnist.SHA256[name]


def test_without_the_digits_a_test_skips_saying_how_to_enable_it(tmp_path):
    with pytest.raises(pytest.skip.Exception, match=f"set {MNIST_DIR_VAR} to a folder with "
                                                    "t10k-images-idx3-ubyte"):
        real_mnist_dir({})
    with pytest.raises(pytest.skip.Exception, match="has no t10k-images-idx3-ubyte or "
                                                    "t10k-labels-idx1-ubyte"):
        real_mnist_dir({MNIST_DIR_VAR: str(tmp_path)})
    _write_set(tmp_path, "t10k", *_digits(3))
    assert real_mnist_dir({MNIST_DIR_VAR: str(tmp_path)}) == str(tmp_path)


def test_ci_turns_the_skip_into_a_failure():
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_MNIST_VAR}=1 but this test needs "
                                                    "the real MNIST digits"):
        real_mnist_dir({REQUIRE_MNIST_VAR: "1"})


def test_a_gzip_bomb_is_stopped_where_its_header_says_the_data_ends(tmp_path):
    """The whole file was unzipped before its size was checked: 300 KB unzipped to 300 MB to
    report "extra bytes at the end"."""
    import tracemalloc
    import zlib
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)          # 31: gzip's framing
    data = packer.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    data += b"".join(packer.compress(bytes(1 << 20)) for _ in range(50)) + packer.flush()
    path = tmp_path / "bomb-idx1-ubyte.gz"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"bomb-idx1-ubyte\.gz: has extra bytes at the end: "
                                             r"the header promises shape \(3,\), 11 bytes in "
                                             r"all, but more follow"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2 ** 20


def test_a_gzip_checksum_that_does_not_match_is_still_found(tmp_path):
    """Reading only as far as the header says must still reach gzip's checksum at the end."""
    path = tmp_path / "crc.gz"
    write_idx(path, np.arange(10, dtype=np.uint8))
    data = bytearray(path.read_bytes())
    data[-8] ^= 0xFF                                         # the CRC-32 of the unzipped bytes
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"crc\.gz: damaged gzip file \(CRC check failed"):
        read_idx(path)


def test_a_mac_without_certificates_is_told_how_to_install_them(tmp_path, monkeypatch):
    """Python from python.org on macOS has no certificates until its "Install Certificates"
    script runs: every mirror failed with CERTIFICATE_VERIFY_FAILED and no word on the cure."""
    import ssl
    import sys

    def unverified(url, timeout=60.0):
        raise urllib.error.URLError(ssl.SSLCertVerificationError(
            1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get "
               "local issuer certificate (_ssl.c:1000)"))
    monkeypatch.setattr(mnist, "_fetch", unverified)
    with monkeypatch.context() as patched, pytest.raises(DownloadError) as info:
        patched.setattr(sys, "platform", "darwin")
        load_mnist(cache_dir=tmp_path / "cache", download=True)
    message = str(info.value)
    assert message.count("CERTIFICATE_VERIFY_FAILED") == len(mnist.MIRRORS)
    assert message.count("run 'Install Certificates.command' in Applications/Python 3.x") \
        == len(mnist.MIRRORS)
