"""grid_sample's forward and backward on a spatial transformer's batch, (32, 16, 28, 28) images
and a (32, 28, 28, 2) affine grid, glassgrad and PyTorch (when installed) alternated in one
process, one thread: medians of 30 calls [10th-90th percentiles], two rounds.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/grid_sample.py [mode]
"""

from __future__ import annotations

import sys
import time

import numpy as np

import nn.functional as F
from autograd import Tensor

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None

N, C, H, W = 32, 16, 28, 28


def main(mode: str = "bilinear") -> None:
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((N, C, H, W)).astype(np.float32)
    theta = np.tile([[0.9, -0.2, 0.05], [0.15, 1.05, -0.1]], (N, 1, 1)) \
        + rng.normal(0, 0.05, (N, 2, 3))
    grid0 = F.affine_grid(Tensor(theta.astype(np.float32)), (N, C, H, W)).data
    up = rng.standard_normal((N, C, H, W)).astype(np.float32)

    def ours(need_x: bool) -> None:
        x, g = Tensor(x0, requires_grad=need_x), Tensor(grid0, requires_grad=True)
        F.grid_sample(x, g, mode=mode).backward(up)

    def theirs(need_x: bool) -> None:
        x = torch.tensor(x0, requires_grad=need_x)
        g = torch.tensor(grid0, requires_grad=True)
        torch.nn.functional.grid_sample(x, g, mode=mode, align_corners=False).backward(
            torch.tensor(up))

    def ours_forward() -> None:
        F.grid_sample(Tensor(x0), Tensor(grid0), mode=mode)

    def theirs_forward() -> None:
        with torch.no_grad():
            torch.nn.functional.grid_sample(torch.tensor(x0), torch.tensor(grid0), mode=mode,
                                            align_corners=False)

    cases = [("forward + backward, x and grid", lambda: ours(True), lambda: theirs(True)),
             ("forward + backward, grid only", lambda: ours(False), lambda: theirs(False)),
             ("forward only", ours_forward, theirs_forward)]
    for round_ in (1, 2):
        for name, mine, other in cases:
            engines = [mine] + ([other] if torch is not None else [])
            times: list = [[] for _ in engines]
            for f in engines:
                f()                                             # warm up
            for _ in range(30):
                for f, kept in zip(engines, times):
                    start = time.perf_counter()
                    f()
                    kept.append((time.perf_counter() - start) * 1e3)
            line = "  ".join(f"{label} {np.median(t):6.2f} ms [{np.percentile(t, 10):.2f}-"
                             f"{np.percentile(t, 90):.2f}]"
                             for label, t in zip(("glassgrad", "torch"), times))
            print(f"round {round_} {mode} {name:32s} {line}")


if __name__ == "__main__":
    main(*sys.argv[1:])
