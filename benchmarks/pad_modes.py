"""F.pad's copying modes, before and after in one run: "before" is the indexing it used to be
(x[..., i] per padded axis, its gradient gathered back with np.add.at), "after" the PadCopy op
(copies and their gradient by slices); PyTorch beside them when installed. Per call, the best
of 15 repetitions of N calls, one thread: forward alone and forward + backward.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/pad_modes.py
"""

from __future__ import annotations

import time

import numpy as np

import nn.functional as F
from autograd import Tensor

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None

# (name, input shape, pad, mode, N calls per repetition)
CASES = [("stft centring (16, 32, 4000)", (16, 32, 4000), (256, 256), "reflect", 5),
         ("image (16, 16, 64, 64)", (16, 16, 64, 64), (3, 3, 3, 3), "reflect", 10),
         ("image (16, 16, 64, 64)", (16, 16, 64, 64), (3, 3, 3, 3), "replicate", 10),
         ("image (16, 16, 64, 64)", (16, 16, 64, 64), (3, 3, 3, 3), "circular", 10)]


def before(x: Tensor, pad: tuple, mode: str) -> Tensor:
    """The old F.pad for these modes: one indexing per padded axis."""
    for k in range(len(pad) // 2):
        axis, (a, b) = x.ndim - 1 - k, (pad[2 * k], pad[2 * k + 1])
        n = x.shape[axis]
        position = np.arange(-a, n + b)
        if mode == "reflect":
            source = (n - 1) - np.abs((n - 1) - np.abs(position))
        elif mode == "replicate":
            source = np.clip(position, 0, n - 1)
        else:
            source = position % n
        x = x[(slice(None),) * axis + (source,)]
    return x


def best(f, n: int, repeats: int = 15) -> float:
    """The best of `repeats` timings of n calls, per call, in ms."""
    f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            f()
        times.append((time.perf_counter() - start) / n)
    return min(times) * 1e3


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'case':30} {'mode':9} {'pass':17} {'before':>9} {'after':>9} {'speed-up':>8} "
          f"{'PyTorch':>9}")
    for name, shape, pad, mode, n in CASES:
        x0 = rng.standard_normal(shape).astype(np.float32)
        up = rng.standard_normal(F.pad(Tensor(x0), pad, mode).shape).astype(np.float32)
        assert np.array_equal(before(Tensor(x0), pad, mode).data, F.pad(Tensor(x0), pad, mode).data)

        def both(pad_f):
            def run():
                x = Tensor(x0, requires_grad=True)
                pad_f(x, pad, mode).backward(up)
            return run

        def forward(pad_f):
            return lambda: pad_f(Tensor(x0), pad, mode)

        rows = [("forward", forward), ("forward + backward", both)]
        for pass_name, make in rows:
            old, new = best(make(before), n), best(make(F.pad), n)
            theirs = ""
            if torch is not None:
                tx, tup = torch.tensor(x0), torch.tensor(up)
                if pass_name == "forward":
                    def run_torch():
                        with torch.no_grad():
                            torch.nn.functional.pad(tx, pad, mode)
                else:
                    def run_torch():
                        t = tx.clone().requires_grad_(True)
                        torch.nn.functional.pad(t, pad, mode).backward(tup)
                theirs = f"{best(run_torch, n):8.2f}"
            print(f"{name:30} {mode:9} {pass_name:17} {old:8.2f}  {new:8.2f}  {old / new:7.1f}x "
                  f"{theirs:>9}")


if __name__ == "__main__":
    main()
