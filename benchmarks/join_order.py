"""What C order costs `torch.cat` (Concatenate.forward) on the common case, two C-contiguous
(64, 128) float32 arrays: numpy's join alone (before s34), the s34 flags test (a helper, `j if
j.flags.c_contiguous else np.ascontiguousarray(j)`) and np.ascontiguousarray, which returns a
C-order array itself (now). Interleaved rounds in one process, each the best of 5 x 20000
calls; µs a call, median and IQR (docs/measurements.md, s34 review).

    PYTHONPATH=. python benchmarks/join_order.py
"""

from __future__ import annotations

import statistics
import timeit

import numpy as np

from autograd.ops.shape import Concatenate


def numpy_only(axis: int, *xs: np.ndarray) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def _c_order(joined: np.ndarray) -> np.ndarray:          # (the s34 helper, as it was)
    return joined if joined.flags.c_contiguous else np.ascontiguousarray(joined)


def flags_test(axis: int, *xs: np.ndarray) -> np.ndarray:
    return _c_order(np.concatenate(xs, axis=axis))


def main(rounds: int = 25, calls: int = 20000) -> None:
    forms = {"numpy only": numpy_only, "flags test (s34)": flags_test,
             "ascontiguousarray": Concatenate.forward}
    a, b = (np.random.default_rng(i).random((64, 128), dtype=np.float32) for i in (0, 1))
    times: dict[str, list[float]] = {name: [] for name in forms}
    names = list(forms)
    for r in range(rounds):
        for name in names[r % 3:] + names[:r % 3]:     # (each form first in turn)
            form = forms[name]
            best = min(timeit.repeat(lambda: form(0, a, b), number=calls, repeat=5))
            times[name].append(best / calls * 1e6)
    for name, values in times.items():
        extra = [v - o for v, o in zip(values, times["numpy only"])]
        print(f"{name:18} {statistics.median(values):.3f} µs (IQR "
              f"{np.percentile(values, 25):.3f}-{np.percentile(values, 75):.3f}); over numpy's "
              f"join {statistics.median(extra):+.3f} µs (IQR {np.percentile(extra, 25):+.3f} "
              f"to {np.percentile(extra, 75):+.3f})")


if __name__ == "__main__":
    main()
