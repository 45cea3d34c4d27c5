"""SparseAdam against Adam on a matrix factorisation's two tables (dim 32, batches of 256):
glassgrad's two alternated in one process, 7 rounds of 20 steps each, median and range per
step; `--torch` times PyTorch's pair the same way (run it as a separate process: its thread
pool would slow whatever numpy code is timed after it).

    PYTHONPATH=. python benchmarks/sparse_adam.py [--torch]
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any, Callable

import numpy as np


def training(lib: Any, sparse: bool, rows: int) -> Callable[[], None]:
    """20 steps of MSE on u·v with Embedding(sparse=...) tables and (Sparse)Adam."""
    lib.manual_seed(0)
    layers = lib.nn
    u, v = layers.Embedding(rows, 32, sparse=sparse), layers.Embedding(rows, 32, sparse=sparse)
    params = [*u.parameters(), *v.parameters()]
    opt = (lib.optim.SparseAdam if sparse else lib.optim.Adam)(params, lr=1e-2)
    rng = np.random.default_rng(0)
    batches = [(lib.tensor(rng.integers(0, rows, 256)), lib.tensor(rng.integers(0, rows, 256)),
                lib.tensor(rng.normal(size=256).astype(np.float32))) for _ in range(20)]

    def run() -> None:
        for a, b, r in batches:
            loss = layers.functional.mse_loss((u(a) * v(b)).sum(1), r)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return run


def main() -> None:
    if "--torch" in sys.argv:
        import torch as lib
        lib.set_num_threads(1)
    else:
        import autograd as lib
        import nn
        lib.nn, lib.optim = nn, nn.optim        # the same spelling as PyTorch's below
    for rows in (300, 100_000):
        runs = {"Adam": training(lib, False, rows), "SparseAdam": training(lib, True, rows)}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(7):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - start) / 20 * 1e6)
        for name, ts in times.items():
            print(f"{lib.__name__} rows={rows:>6} {name:>10}: {statistics.median(ts):7.0f} µs "
                  f"a step [{min(ts):.0f}-{max(ts):.0f}]")


if __name__ == "__main__":
    main()
