"""Shared helpers for the glassgrad test suite.

* input samplers that stay away from kinks, ties and domain edges (finite differences need a
  smooth neighbourhood of every point),
* a float64 Tensor shorthand, and `strict()` (warnings and numpy float errors raise),
* an autouse fixture that restores global state (default dtype, grad mode, anomaly mode, GC
  thresholds) after every test, so that one failing test cannot poison the others,
* hypothesis settings shared by the property tests (modest, deterministic, no example
  database, caches outside the project).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pathlib
import sys
import warnings

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:                      # run from anywhere, installed or not
    sys.path.insert(0, str(ROOT))

import autograd  # noqa: E402
from autograd import Tensor  # noqa: E402
from autograd import graph as _graph  # noqa: E402


# ----------------------------------------------------------------------------------------------
# Samplers: every domain keeps a margin from the points where an op is not smooth
# ----------------------------------------------------------------------------------------------

def _away_from_zero(rng, shape, low=0.3, high=2.0):
    """|x| in [low, high] with a random sign: no kinks of abs/relu, no division by ~0."""
    mag = rng.uniform(low, high, shape)
    return np.where(rng.random(shape) < 0.5, -mag, mag)


def _distinct(rng, shape):
    """Pairwise distinct values (gaps >= 0.3): max/min have no ties within any reduction."""
    n = int(np.prod(shape, dtype=int))
    vals = (rng.permutation(n) - n / 2) * 0.37 + rng.uniform(-0.03, 0.03, n)
    return vals.reshape(shape)


def _clip_safe(rng, shape, low=-0.5, high=0.8, margin=0.1):
    """Uniform in [-2, 2], pushed at least `margin` away from the clip bounds used in the tests."""
    x = rng.uniform(-2.0, 2.0, shape)
    for bound in (low, high):
        near = np.abs(x - bound) < margin
        x = np.where(near, bound + np.sign(x - bound + 1e-12) * margin * 1.5, x)
    return x


def _grid(rng, shape):
    """Multiples of 0.5 in [-3, 3]; paired with `grid_offset` there are never ties."""
    return rng.integers(-6, 7, shape) / 2.0


def _grid_offset(rng, shape):
    """Multiples of 0.5 shifted by 0.25: at least 0.25 away from every `grid` value."""
    return rng.integers(-6, 6, shape) / 2.0 + 0.25


def _simplex(rng, shape):
    """Rows of probabilities (last axis sums to 1), strictly positive."""
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


SAMPLERS = {
    "real": lambda rng, shape: rng.uniform(-2.0, 2.0, shape),
    "nonzero": _away_from_zero,
    "pos": lambda rng, shape: rng.uniform(0.5, 2.0, shape),
    # inside asin's, acos's and atanh's domain [-1, 1], and acosh's [1, inf), away from the ends
    "unit": lambda rng, shape: rng.uniform(-0.9, 0.9, shape),
    "above_one": lambda rng, shape: rng.uniform(1.2, 3.0, shape),
    "probability": lambda rng, shape: rng.uniform(0.05, 0.95, shape),
    "distinct": _distinct,
    "clip": _clip_safe,
    "grid": _grid,
    "grid_offset": _grid_offset,
    "simplex": _simplex,
}


def sample(domain: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """A float64 array of `shape` drawn from the named domain (see SAMPLERS)."""
    return np.asarray(SAMPLERS[domain](rng, shape), dtype=np.float64).reshape(shape)


@contextlib.contextmanager
def strict():
    """Any warning, and any numpy overflow / invalid / division by zero, is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


def t64(data, requires_grad: bool = True) -> Tensor:
    """A float64 Tensor (gradient checks run in float64)."""
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------------------------
# Optional data: the real MNIST digits, only ever through $GLASSGRAD_MNIST_DIR
# ----------------------------------------------------------------------------------------------

MNIST_DIR_VAR = "GLASSGRAD_MNIST_DIR"          # a folder with the IDX files (t10k at least)
REQUIRE_MNIST_VAR = "GLASSGRAD_REQUIRE_MNIST"  # "1" (CI): a test that cannot get them fails
T10K_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def mnist_unavailable(environ=None) -> str | None:
    """Why the real MNIST digits cannot be used here, with how to fix it; None if they can."""
    folder = (os.environ if environ is None else environ).get(MNIST_DIR_VAR)
    if not folder:
        return (f"needs the real MNIST digits: set {MNIST_DIR_VAR} to a folder with "
                f"{T10K_FILES[0]}(.gz) and {T10K_FILES[1]}(.gz), e.g. "
                f"{MNIST_DIR_VAR}=../shared/data/mnist")
    path = pathlib.Path(folder)
    missing = [name for name in T10K_FILES
               if not any((path / (name + end)).is_file() for end in ("", ".gz"))]
    if missing:
        return (f"needs the real MNIST digits: {MNIST_DIR_VAR}={folder} has no "
                f"{' or '.join(missing)}(.gz)")
    return None


def real_mnist_dir(environ=None) -> str:
    """The folder of the real MNIST files; otherwise the calling test is skipped, saying how to
    enable it — or fails, when GLASSGRAD_REQUIRE_MNIST=1 (CI must run it on the real digits).
    `environ`: the variables to read (default: os.environ now)."""
    environ = os.environ if environ is None else environ
    reason = mnist_unavailable(environ)
    if reason is None:
        return environ[MNIST_DIR_VAR]
    if environ.get(REQUIRE_MNIST_VAR) == "1":
        pytest.fail(f"{REQUIRE_MNIST_VAR}=1 but this test {reason}", pytrace=False)
    pytest.skip(reason)


# ----------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------

@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator: every test sees the same numbers on every run."""
    return np.random.default_rng(20240611)


@pytest.fixture
def restore_default_dtype():
    """Yield the current default dtype and put it back afterwards, whatever the test did."""
    saved = autograd.get_default_dtype()
    try:
        yield saved
    finally:
        autograd.set_default_dtype(saved)


def _one_torch_thread() -> None:
    """PyTorch, where a test module imported it, on one thread: on a busy 2-core machine its
    second thread spins while it waits, and a reference's small steps take 5-40 times as long
    (a packed BiLSTM's 12 training steps: 3-11 s on two threads, 0.25 s on one). Results do not
    depend on it; torch is not imported here (it costs a second to a run that never uses it)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Global switches are restored after each test (a failing test must not leak its state)."""
    _one_torch_thread()
    dtype = autograd.get_default_dtype()
    enabled, anomaly = _graph.grad_mode.enabled, _graph.grad_mode.anomaly
    thresholds = gc.get_threshold()
    gc_enabled = gc.isenabled()
    yield
    autograd.set_default_dtype(dtype)
    _graph.grad_mode.update(enabled=enabled, anomaly=anomaly)
    gc.set_threshold(*thresholds)
    if gc_enabled:
        gc.enable()


# ----------------------------------------------------------------------------------------------
# Hypothesis: modest and deterministic (no example database; its caches live in the temp dir)
# ----------------------------------------------------------------------------------------------

try:
    import tempfile

    from hypothesis import HealthCheck, settings
    from hypothesis.configuration import set_hypothesis_home_dir

    if not os.getenv("HYPOTHESIS_STORAGE_DIRECTORY"):    # caches go to /tmp, not the project
        set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "glassgrad-hypothesis"))

    settings.register_profile(
        "glassgrad", max_examples=40, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    settings.load_profile("glassgrad")
except ImportError:                                   # pragma: no cover - hypothesis is required
    pass
