"""searchsorted of a batch of rows, as NeRF's hierarchical sampling calls it (each ray's cdf
over its bins, each ray's uniform draws): the row-by-row np.searchsorted the function used
before and the one binary search over all rows it uses now, alternated call by call in one
process, one thread; medians of 41 calls [10th-90th percentiles] of CPU time (the machine is
shared: wall time there measured other programs' load), three rounds.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/rendering.py
"""

from __future__ import annotations

import time

import numpy as np

import autograd
from autograd import Tensor

SHAPES = [(1024, 65, 128), (4096, 129, 64), (64, 49, 32), (8, 1000, 5)]     # rays, bins, draws


def row_by_row(cdf: Tensor, u: Tensor) -> np.ndarray:
    """What searchsorted did before: one np.searchsorted per row."""
    return np.stack([np.searchsorted(row, w, side="right") for row, w in zip(cdf.data, u.data)])


def main() -> None:
    rng = np.random.default_rng(0)
    for round_ in (1, 2, 3):
        for rays, bins, draws in SHAPES:
            cdf = Tensor(np.sort(rng.uniform(size=(rays, bins)), -1).astype(np.float32))
            u = Tensor(rng.uniform(size=(rays, draws)).astype(np.float32))
            assert np.array_equal(row_by_row(cdf, u),
                                  autograd.searchsorted(cdf, u, right=True).data)
            engines = {"row by row": lambda: row_by_row(cdf, u),
                       "all rows at once": lambda: autograd.searchsorted(cdf, u, right=True)}
            times: dict = {name: [] for name in engines}
            for _ in range(41):
                for name, f in engines.items():
                    start = time.process_time()
                    f()
                    times[name].append((time.process_time() - start) * 1e3)
            line = "  ".join(f"{name} {np.median(t):6.2f} ms [{np.percentile(t, 10):.2f}-"
                             f"{np.percentile(t, 90):.2f}]" for name, t in times.items())
            print(f"round {round_} ({rays}, {bins}) cdf, {draws} draws each: {line}")


if __name__ == "__main__":
    main()
