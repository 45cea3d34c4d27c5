"""The cost of a recorded in-place activation against the out-of-place op (docs/measurements.md,
"overhead", s33 inplace): `h.relu_()` and `F.relu(h, inplace=True)` on h = w * 1, an op's
result in a graph, against `h.relu()`, at (16, 16) and (256, 256) float32; and a forward of
eight Linear + ReLU(inplace=True) layers against ReLU() (the write's cost where the graph
before it is deep). Two trees' `autograd` and `nn` side by side in one process
(benchmarks/in_place_methods.py's runner), alternated case by case, the order flipped every
round; CPU time of the thread, µs a call, median [min-max] over `--rounds` rounds.

    OPENBLAS_NUM_THREADS=1 python benchmarks/in_place_activations.py --trees /tmp/base,. --rounds 9
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_place_methods import main as compare  # noqa: E402  (beside this file)

import numpy as np  # noqa: E402


def _on_a_result(shape: tuple, call: Callable) -> Callable:
    """call(lib, h) on h = w * 1 (made each call: the write changes h), w (shape) float32."""
    def make(lib: Any) -> Callable:
        w = lib.tensor(np.random.default_rng(0).normal(size=shape).astype(np.float32),
                       requires_grad=True)
        return lambda: call(lib, w * 1.0)
    return make


def _deep(inplace: bool) -> Callable:
    """A forward of 8 Linear(64, 64) + ReLU layers on a (32, 64) batch."""
    def make(lib: Any) -> Callable:
        lib.autograd.manual_seed(0)
        layers = []
        for _ in range(8):
            layers += [lib.nn.Linear(64, 64), lib.nn.ReLU(inplace=inplace)]
        model = lib.nn.Sequential(*layers)
        x = lib.tensor(np.ones((32, 64), np.float32))
        return lambda: model(x)
    return make


CASES: dict[str, tuple[int, Callable]] = {}
for _shape, _calls in (((16, 16), 3000), ((256, 256), 300)):
    _size = "x".join(map(str, _shape))
    CASES.update({
        f"w * 1 {_size}": (_calls, _on_a_result(_shape, lambda lib, h: h)),
        f"(w * 1).relu() {_size}": (_calls, _on_a_result(_shape, lambda lib, h: h.relu())),
        f"(w * 1).relu_() {_size}": (_calls, _on_a_result(_shape, lambda lib, h: h.relu_())),
        f"F.relu(w * 1, inplace=True) {_size}": (
            _calls, _on_a_result(_shape, lambda lib, h: lib.F.relu(h, inplace=True))),
    })
CASES["8 x (Linear + ReLU()) forward"] = (300, _deep(False))
CASES["8 x (Linear + ReLU(inplace=True)) forward"] = (300, _deep(True))


if __name__ == "__main__":
    compare(CASES)
