"""The cost of Tensor's written-out in-place methods on the paths an optimizer takes
(docs/measurements.md, "overhead", s32 inplace): `p.add_(g, alpha=-0.1)` and friends on a
parameter under no_grad(), `m.mul_(0.9)` on a constant, both while recording and not, and the
recorded write on an op's result in a graph. Two trees' `autograd` side by side in one process
(benchmarks/step_overhead.py's `Tree`), alternated case by case, the order flipped every round;
CPU time of the thread, µs a call, median [min-max] over `--rounds` rounds.

    OPENBLAS_NUM_THREADS=1 python benchmarks/in_place_methods.py --trees /tmp/base,. --rounds 9
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from step_overhead import Tree, report, timed  # noqa: E402  (beside this file)

import numpy as np  # noqa: E402


def _parameter(call: Callable) -> Callable:
    """call(p, g) on a (16, 16) float32 parameter under no_grad(), as an optimizer step."""
    def make(lib: Any) -> Callable:
        p = lib.tensor(np.ones((16, 16), np.float32), requires_grad=True)
        g = lib.tensor(np.full((16, 16), 1e-3, np.float32))

        def run() -> None:
            with lib.no_grad():
                call(p, g)
        return run
    return make


def _constant(call: Callable, recording: bool) -> Callable:
    """call(m, g) on a (16, 16) float32 constant (an optimizer's state), while recording or
    under no_grad()."""
    def make(lib: Any) -> Callable:
        m = lib.tensor(np.ones((16, 16), np.float32))
        g = lib.tensor(np.full((16, 16), 1e-3, np.float32))
        if recording:
            return lambda: call(m, g)

        def run() -> None:
            with lib.no_grad():
                call(m, g)
        return run
    return make


def _in_graph(call: Callable) -> Callable:
    """call(h, g) on h = w * 1, an op's result in a graph (refused before: timed as the
    out-of-place op the refusal asks for)."""
    def make(lib: Any) -> Callable:
        w = lib.tensor(np.ones((16, 16), np.float32), requires_grad=True)
        g = lib.tensor(np.full((16, 16), 1e-3, np.float32))

        def run() -> None:
            try:
                call(w * 1.0, g)
            except RuntimeError:
                w * 1.0 + g         # (what the refusal asks for instead)
        return run
    return make


CASES: dict[str, tuple[int, Callable]] = {
    "p.add_(g, alpha=-0.1) no_grad": (3000, _parameter(lambda p, g: p.add_(g, alpha=-0.1))),
    "p.mul_(0.9) no_grad": (3000, _parameter(lambda p, g: p.mul_(0.9))),
    "p.addcdiv_(g, g, value=-0.1) no_grad": (
        3000, _parameter(lambda p, g: p.addcdiv_(g, g, value=-0.1))),
    "p.clamp_(-1, 1) no_grad": (3000, _parameter(lambda p, g: p.clamp_(-1.0, 1.0))),
    "p.lerp_(g, 0.001) no_grad": (3000, _parameter(lambda p, g: p.lerp_(g, 0.001))),
    "m.mul_(0.9) constant": (3000, _constant(lambda m, g: m.mul_(0.9), True)),
    "m.mul_(0.9) constant no_grad": (3000, _constant(lambda m, g: m.mul_(0.9), False)),
    "m.add_(g) constant": (3000, _constant(lambda m, g: m.add_(g), True)),
    "m.addcmul_(g, g, value=0.1) constant": (
        3000, _constant(lambda m, g: m.addcmul_(g, g, value=0.1), True)),
    "m.fill_(0.5) constant": (3000, _constant(lambda m, g: m.fill_(0.5), True)),
    "(w * 1).add_(g) in a graph": (1000, _in_graph(lambda h, g: h.add_(g))),
}


def main(cases: dict | None = None) -> None:
    """Time `cases` ({name: (calls, make(lib) -> call)}: this file's CASES if None) in the
    trees given by --trees, alternated (benchmarks/in_place_activations.py runs its own)."""
    cases = CASES if cases is None else cases
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", default=".", help="A,B: checkouts to compare in this process")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    engines = {}
    for path in args.trees.split(","):
        tree = Tree(path)
        engines[path] = (tree.enter, tree.lib)
    made = {}
    for engine, (enter, lib) in engines.items():
        enter()
        made[engine] = {name: make(lib) for name, (_, make) in cases.items()}
    results: dict = {name: {engine: [] for engine in engines} for name in cases}
    order = list(engines)
    for r in range(args.rounds):
        for name, (calls, _) in cases.items():
            for engine in (order if r % 2 == 0 else order[::-1]):
                engines[engine][0]()
                made[engine][name]()            # (warm)
                results[name][engine].append(timed(made[engine][name], calls))
    report(results)


if __name__ == "__main__":
    main()
