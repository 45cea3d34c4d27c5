"""What `DataLoader(..., num_workers=N)` gains (or costs): the time of one epoch.

    python benchmarks/data_workers.py [--rounds 5]

A dataset of 640 samples (20 batches of 32) whose `__getitem__` sleeps 1 ms (a file read)
or computes for about 1 ms with numpy (a decode or an augmentation), read by a loop that
spends about 20 ms of numpy work on each batch (a model's step), with num_workers 0, 1 and
2; then arrays in memory, `DataLoader(X, y)`, where workers only add their cost, and large
batches (32 images of 3x224x224 float32, 19 MB a batch) without a consumer: what sending a
batch through a pipe costs. Rounds alternate the settings, so each sees the same machine
noise; the report gives the median over rounds and the range (min-max).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from nn.data import DataLoader, Dataset


def _calibrated(seconds: float) -> int:
    """The size of a numpy tanh that takes about `seconds` on this machine."""
    size, x = 1000, None
    while True:
        x = np.linspace(0.0, 1.0, size)
        took = min(_timed(np.tanh, x) for _ in range(7))     # (the least disturbed run)
        if took > seconds / 4:
            return int(size * seconds / took)
        size *= 2


def _timed(function, *args) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


class Sleepy(Dataset):
    """Each sample waits 1 ms (I/O)."""

    def __len__(self) -> int:
        return 640

    def __getitem__(self, i: int):
        time.sleep(0.001)
        return np.full(16, i, np.float32), i % 10


class Busy(Dataset):
    """Each sample computes for about 1 ms (decoding, augmenting)."""

    def __init__(self, size: int) -> None:
        self.x = np.linspace(0.0, 1.0, size)

    def __len__(self) -> int:
        return 640

    def __getitem__(self, i: int):
        return np.tanh(self.x)[:16].astype(np.float32) + i, i % 10


class Images(Dataset):
    """Large samples (3x224x224 float32), made cheaply: what the pipe costs."""

    def __len__(self) -> int:
        return 640

    def __getitem__(self, i: int):
        return np.full((3, 224, 224), i, np.float32), i % 10


def _epoch(loader: DataLoader, step: np.ndarray | None) -> float:
    """Seconds for one epoch, with `step` computed on each batch (the model's step)."""
    started = time.perf_counter()
    for xb, yb in loader:
        if step is not None:
            np.tanh(step)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    step = np.linspace(0.0, 1.0, _calibrated(0.020))
    sample = _calibrated(0.001)
    X = np.random.default_rng(0).normal(size=(640, 16)).astype(np.float32)
    y = np.arange(640) % 10
    cases = {}
    for workers in (0, 1, 2):
        cases[f"sleep 1 ms/sample, 20 ms step, num_workers={workers}"] = (
            lambda w=workers: DataLoader(Sleepy(), batch_size=32, num_workers=w), step)
    for workers in (0, 1, 2):
        cases[f"numpy 1 ms/sample, 20 ms step, num_workers={workers}"] = (
            lambda w=workers: DataLoader(Busy(sample), batch_size=32, num_workers=w), step)
    for workers in (0, 2):
        cases[f"arrays DataLoader(X, y), no step, num_workers={workers}"] = (
            lambda w=workers: DataLoader(X, y, batch_size=32, shuffle=True, num_workers=w),
            None)
        cases[f"arrays, persistent workers (2nd epoch on), num_workers={workers}"] = (
            "persistent", workers)
    for workers in (0, 2):
        cases[f"19 MB batches (32x3x224x224), no step, num_workers={workers}"] = (
            lambda w=workers: DataLoader(Images(), batch_size=32, num_workers=w), None)
    persistent = {w: DataLoader(X, y, batch_size=32, shuffle=True, num_workers=w,
                                persistent_workers=w > 0) for w in (0, 2)}
    for loader in persistent.values():
        _epoch(loader, None)                # (starts the workers)
    busy = Busy(sample)
    per_sample = statistics.median(_timed(busy.__getitem__, i) for i in range(200))
    per_step = statistics.median(_timed(np.tanh, step) for _ in range(20))
    print(f"measured alone (medians): a numpy sample {1000 * per_sample:.2f} ms, a step "
          f"{1000 * per_step:.1f} ms")
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, (make, consumer) in cases.items():
            if make == "persistent":
                times[name].append(_epoch(persistent[consumer], None))
            else:
                times[name].append(_epoch(make(), consumer))
    width = max(map(len, times))
    print(f"{'case':{width}}  median ms  (min-max)   per epoch of 20 batches, {args.rounds} rounds")
    for name, seconds in times.items():
        ms = [1000 * s for s in seconds]
        print(f"{name:{width}}  {statistics.median(ms):8.1f}  ({min(ms):.1f}-{max(ms):.1f})")


if __name__ == "__main__":
    main()
