"""A CS231n-style CIFAR "ThreeLayerConvNet" training step, glassgrad against PyTorch, float32,
one thread: Conv2d 3 -> 32 7 × 7 padding 3 on (64, 3, 32, 32), ReLU, 2 × 2 max pooling, Linear
32·16·16 -> 100, ReLU, Linear 100 -> 10, softmax cross-entropy, SGD; both engines start from
the same weights and data. CPU time of the thread, ms a step: the whole step and its phases
(forward + loss, backward, optimizer step, zero_grad), and the page faults a step; median and
min-max of the rounds' medians.

`--trees A,B` loads each tree's `autograd` and `nn` into this one process (as
benchmarks/step_overhead.py does) and alternates them round by round, the order flipped every
round: before/after figures on a shared host. `--torch` times PyTorch instead: run it as a
process of its own (its thread pool keeps a core busy after it). `--profile` times each op's
forward and backward inside the step (glassgrad: per op class, of the first tree; PyTorch:
torch.profiler's self CPU time per aten op), µs a step.

    python benchmarks/cifar_convnet.py --trees /tmp/base,. --rounds 7 --steps 10 --keep
    python benchmarks/cifar_convnet.py --torch --rounds 7 --steps 10
    python benchmarks/cifar_convnet.py --profile --keep; python benchmarks/cifar_convnet.py \
        --torch --profile
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from typing import Any, Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread setting)

from conv_steps import _timed_ops, _torch_profile   # noqa: E402  (benchmarks/ is on the path)
from step_overhead import PHASES, Tree, report, torch_lib   # noqa: E402

BATCH, CLASSES = 64, 10


def weights() -> dict:
    """The model's starting weights (CS231n's scale: He-like for the ReLU layers), by the name
    nn.Sequential gives them."""
    rng = np.random.default_rng(0)
    shapes = {"0.weight": (32, 3, 7, 7), "0.bias": (32,), "4.weight": (100, 32 * 16 * 16),
              "4.bias": (100,), "6.weight": (CLASSES, 100), "6.bias": (CLASSES,)}
    out = {}
    for name, shape in shapes.items():
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        scale = np.sqrt(2.0 / fan_in) if len(shape) > 1 else 0.01
        out[name] = (rng.standard_normal(shape) * scale).astype(np.float32)
    return out


def make_step(lib: Any) -> Callable:
    """One training step of the net on a fixed batch, with a clock of its phases (`phases`)."""
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(3, 32, 7, padding=3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 16 * 16, 100), nn.ReLU(),
                          nn.Linear(100, CLASSES))
    start = weights()
    if lib.torch:
        model.load_state_dict({k: lib.torch.from_numpy(v) for k, v in start.items()})
    else:
        model.load_state_dict(start)
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal((BATCH, 3, 32, 32)).astype(np.float32))
    y = rng.integers(0, CLASSES, BATCH)
    y = lib.torch.from_numpy(y) if lib.torch else y
    opt = (lib.torch.optim if lib.torch else lib.nn.optim).SGD(model.parameters(), lr=1e-3)
    clock = time.thread_time
    phases = [0.0] * len(PHASES)

    def step() -> float:
        made: dict = {}
        parts = (lambda: made.setdefault("loss", lib.F.cross_entropy(model(x), y)),
                 lambda: made["loss"].backward(), opt.step, opt.zero_grad)     # (PHASES)
        last = clock()
        for i, part in enumerate(parts):
            part()
            now = clock()
            phases[i] += now - last
            last = now
        return float(made["loss"].item())
    step.phases = phases            # type: ignore[attr-defined]
    return step


def _faults() -> int:
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def timed(step: Callable, steps: int) -> list[float]:
    """ms a step over `steps` steps: [the median step] + [each phase's median] + [page faults
    a step]."""
    rows: list = []
    faults = _faults()
    for _ in range(steps):
        step.phases[:] = [0.0] * len(PHASES)
        start = time.thread_time()
        step()
        rows.append([time.thread_time() - start] + list(step.phases))
    return [1e3 * statistics.median(r[i] for r in rows) for i in range(1 + len(PHASES))] + [
        (_faults() - faults) / steps]


def run(engines: dict, rounds: int, steps: int) -> dict:
    """{engine: [[ms per round] per row]}, the engines alternated, order flipped every round."""
    made = {}
    for name, (enter, lib) in engines.items():
        enter()
        made[name] = make_step(lib)
        made[name]()                # (warm: first call's caches, lazy imports)
        made[name]()
    results: dict = {name: [] for name in engines}
    order = list(engines)
    for r in range(rounds):
        for name in (order if r % 2 == 0 else order[::-1]):
            engines[name][0]()
            results[name].append(timed(made[name], steps))
        print(f"round {r + 1}: " + ", ".join(f"{n} {v[-1][0]:.1f}" for n, v in results.items()),
              file=sys.stderr, flush=True)
    return results


def profile(lib: Any, steps: int) -> dict:
    """µs a step per op (glassgrad: op class and phase; PyTorch: aten op, self time)."""
    step = make_step(lib)
    step()
    if lib.torch:
        return _torch_profile(step, steps)
    totals: dict = {}
    _timed_ops(totals)
    for _ in range(steps):
        step()
    return {f"{k[0]} {k[1]}": 1e6 * v / steps for k, v in totals.items() if k != "depth"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", default="", help="A,B: checkouts to compare in this process")
    parser.add_argument("--torch", action="store_true", help="time PyTorch instead")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="per-op times in the step")
    parser.add_argument("--keep", action="store_true",
                        help="keep_freed_memory() first (glibc's malloc keeps big blocks)")
    args = parser.parse_args()
    # {name: (enter its modules, its lib)}, each tree imported on its own (step_overhead's Tree)
    engines = {"torch": (lambda: None, torch_lib())} if args.torch else {
        path: (tree.enter, tree.lib) for path in (args.trees or ".").split(",")
        for tree in (Tree(path),)}
    if args.keep:                   # (the whole process's malloc: PyTorch's too)
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        importlib.import_module("autograd.allocator").keep_freed_memory()
    if args.profile:
        name, (enter, lib) = next(iter(engines.items()))
        enter()
        us = profile(lib, args.steps)
        print(f"{name}: µs a step, total {sum(us.values()):.0f}")
        for key, t in sorted(us.items(), key=lambda kv: -kv[1]):
            print(f"  {t:8.0f}  {key}")
        return
    results = run(engines, args.rounds, args.steps)
    report({"step, ms": {name: [chunk[:-1] for chunk in chunks]
                         for name, chunks in results.items()}})
    report({"page faults a step": {name: [chunk[-1:] for chunk in chunks]
                                   for name, chunks in results.items()}})


if __name__ == "__main__":
    main()
