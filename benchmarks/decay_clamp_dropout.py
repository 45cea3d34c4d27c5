"""s33's three costs (docs/measurements.md, "overhead", s33 optim):

- `decay`: an optimizer's step on 100,000 float32 weights given one ordinary gradient, then
  zeros (a dead unit, an embedding row no batch looks up): µs a step by step number, as the
  momentum decays into the subnormal numbers (~800 steps for β = 0.9; SGD and RMSprop with
  momentum 0.9, the others at their defaults).
- `clamp_`: `p.clamp_(-1, 1)` on a (16, 16) parameter under no_grad (WGAN's weight clipping),
  beside `p.add_(q, alpha=0.5)`.
- `dropout`: `F.dropout(x, 0.1)` of a ViT's activations (64, 65, 128) float32, forward and
  forward + backward.

`--trees A,B` alternates checkouts in one process (benchmarks/step_overhead.py's `Tree`);
`--torch` times PyTorch instead (a process of its own). CPU time of the thread; medians and
min-max over `--rounds` rounds.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.decay_clamp_dropout --trees /tmp/base,. decay
    OPENBLAS_NUM_THREADS=1 python -m benchmarks.decay_clamp_dropout --torch decay
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any, Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from benchmarks.step_overhead import Tree, timed, torch_lib  # noqa: E402

DECAY_STEPS, CHUNK = 2000, 100


def _array(lib: Any, a: np.ndarray) -> Any:
    return lib.torch.from_numpy(a) if lib.torch else a


def decay(lib: Any, name: str, n: int = 100_000) -> Callable[[], list[float]]:
    """A fresh optimizer of one weight vector: one ordinary gradient, then zeros; returns the
    call that takes the next CHUNK steps and gives their median µs."""
    rng = np.random.default_rng(0)
    weights = rng.standard_normal(n).astype(np.float32)
    w = lib.nn.Parameter(lib.tensor(weights)) if lib.torch else \
        lib.tensor(weights, requires_grad=True)
    optim = lib.torch.optim if lib.torch else lib.nn.optim
    options = {"SGD": dict(lr=1e-3, momentum=0.9), "RMSprop": dict(momentum=0.9)}.get(name, {})
    opt = getattr(optim, name)([w], **options)
    w.grad = _array(lib, rng.standard_normal(n).astype(np.float32))
    opt.step()
    w.grad = _array(lib, np.zeros(n, np.float32))
    clock = time.thread_time

    def chunk() -> float:
        times = []
        for _ in range(CHUNK):
            start = clock()
            opt.step()
            times.append(clock() - start)
        return statistics.median(times) * 1e6
    return chunk


def calls(lib: Any, which: str) -> Callable[[], None]:
    if which in ("clamp_", "add_"):
        p = lib.nn.Parameter(lib.tensor(np.full((16, 16), 0.5, np.float32)))
        q = lib.tensor(np.zeros((16, 16), np.float32))

        def call() -> None:
            with lib.no_grad():
                p.clamp_(-1, 1) if which == "clamp_" else p.add_(q, alpha=0.5)
        return call
    x = lib.tensor(np.random.default_rng(1).standard_normal((64, 65, 128)).astype(np.float32),
                   requires_grad=which == "dropout fwd+bwd")
    if which == "dropout fwd":
        return lambda: lib.F.dropout(x, 0.1, training=True)
    g = _array(lib, np.ones((64, 65, 128), np.float32))

    def forward_backward() -> None:
        lib.F.dropout(x, 0.1, training=True).backward(g)
        x.grad = None
    return forward_backward


CALLS = {"clamp_": 2000, "add_": 2000, "dropout fwd": 5, "dropout fwd+bwd": 5}


def run_decay(engines: dict, names: list[str], rounds: int) -> None:
    for name in names:
        table: dict = {}            # (engine, chunk) -> [median µs per round]
        for r in range(rounds):
            chunks = {}
            for engine, (enter, lib) in engines.items():
                enter()
                chunks[engine] = decay(lib, name)
            order = list(engines) if r % 2 == 0 else list(engines)[::-1]
            for c in range(DECAY_STEPS // CHUNK):
                for engine in order:        # the engines take each chunk in turn
                    engines[engine][0]()
                    table.setdefault((engine, c), []).append(chunks[engine]())
        print(f"{name}: µs a step, steps of zero gradient (median [min-max] over {rounds})")
        for c in range(DECAY_STEPS // CHUNK):
            cells = [f"{engine} {statistics.median(table[engine, c]):8.1f} "
                     f"[{min(table[engine, c]):.0f}-{max(table[engine, c]):.0f}]"
                     for engine in engines]
            print(f"  {c * CHUNK + 1:5d}-{(c + 1) * CHUNK:5d}   " + "   ".join(cells))


def run_calls(engines: dict, names: list[str], rounds: int) -> None:
    made = {}
    for engine, (enter, lib) in engines.items():
        enter()
        made[engine] = {name: calls(lib, name) for name in names}
    results: dict = {name: {engine: [] for engine in engines} for name in names}
    for r in range(rounds):
        for name in names:
            for engine in (list(engines) if r % 2 == 0 else list(engines)[::-1]):
                engines[engine][0]()
                made[engine][name]()                        # (warm)
                results[name][engine].append(timed(made[engine][name], CALLS[name])[0])
    for name, by_engine in results.items():
        cells = [f"{engine} {statistics.median(v):9.2f} [{min(v):.2f}-{max(v):.2f}]"
                 for engine, v in by_engine.items()]
        print(f"{name:18s} µs a call  " + "   ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["decay", "calls"])
    parser.add_argument("--trees", default="", help="A,B: checkouts to compare in this process")
    parser.add_argument("--torch", action="store_true", help="time PyTorch instead")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--names", default="",
                        help="optimizers (decay: Adam, SGD, ...) or calls, comma-separated")
    args = parser.parse_args()
    if args.torch:
        engines = {"torch": (lambda: None, torch_lib())}
    else:
        engines = {}
        for path in (args.trees or ".").split(","):
            tree = Tree(path)
            engines[path] = (tree.enter, tree.lib)
    names = [n for n in args.names.split(",") if n]
    if args.what == "decay":
        run_decay(engines, names or ["Adam"], args.rounds)
    else:
        run_calls(engines, names or list(CALLS), args.rounds)


if __name__ == "__main__":
    main()
