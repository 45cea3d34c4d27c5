"""glibc's default malloc against `autograd.keep_freed_memory()`: step time, page faults a step
and peak RSS of each workload, one fresh process per (workload, mode, round).

    python benchmarks/keep_memory.py [--rounds 5] [--only t1_16,gru32,...] [--no-torch]
                                     [--modes default,keep[,warm]] [--mnist DIR] [--json FILE]

The allocator's settings belong to the whole process and cannot be undone cleanly, so every
(workload, mode, round) runs in a process of its own; within a round each workload runs
"default" and "keep" back to back, in an order that swaps every round (the machine's drift falls
on both). One BLAS thread (and one PyTorch thread) everywhere. A process takes its warm-up steps
(its first allocations, the optimizer's state), then times `steps` steps: wall clock and CPU
time (user + system: page faults are system time), minor page faults a step (ru_minflt before
and after), the process's peak RSS (ru_maxrss) and its RSS at the end. The report gives the
median of the rounds' median CPU times a step and their range, keep / default, then the wall
clock (on a shared machine a step longer than a scheduler slice waits for other work), the
faults and the RSS.
`--modes` adds "warm": no mallopt, but a 16 MB array allocated and freed first, as a script
that loaded or converted its data has done (glibc then raises its own thresholds to 16 MB).

Workloads (glassgrad; "torch" rows: the same model in PyTorch 2.x where the benchmarks it comes
from have one, with and without the same mallopt call in the torch process):

    t1_16/64/512  T1: benchmarks/workloads.py GlassgradMLP 784-100-10, SGD, on MNIST (t10k; the
                  loading's float32 conversion frees a 31 MB array first, as T1 does)
    s1            micrograd's demo step on scalars (benchmarks/scalar_mlp.py)
    cnn           small_models.py's CNN (conv 1->8 3x3, pool, Linear, Adam, batch 32)
    lenet         conv_steps.py's LeNet (5x5 1->16->32, pools, Linear; SGD, batch 64)
    lenet_infer   the same LeNet, forward only under no_grad (batch 64)
    gru32/128     nn.GRU(3, H) then Linear(H, 1) on the last h, MSE, Adam; T 24, N 64
    lstm32/128    the same with nn.LSTM
    gpt           small_models.py's GPT (2 blocks, 4 heads, n_embd 64, AdamW, batch 32)
    mnist_fit     notebook 06's MLP(784, [256], 10), Adam, nn.fit on MNIST t10k's first 8,000
                  digits, batch 128: one fit(epochs=1) call per epoch, its time / its steps
    cnn_sm        the same CNN through small_models.py's own worker and loop (wall clock only):
                  which of glibc's two regimes a default process falls into (its heap trimmed
                  every step, or pinned by the optimizer's state) turns on small differences
                  in what the process allocated first, and the two loops land in different ones
    free_*        the cost: RSS (VmRSS) after a process frees 200 MB and sleeps (no step time)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

if __package__ in (None, ""):           # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness          # noqa: E402  (after the path fix above)

ROOT = Path(__file__).resolve().parents[1]
MODULE = "benchmarks.keep_memory"
MODES = ("default", "keep", "warm")       # "warm": no mallopt, a 16 MB array freed first
WARMUP = 3
MB = 2 ** 20

# name: (steps timed, engines); the engines' order is the order they run in a round
WORKLOADS: dict[str, tuple[int, tuple[str, ...]]] = {
    "t1_16": (600, ("glassgrad",)),
    "t1_64": (400, ("glassgrad",)),
    "t1_512": (120, ("glassgrad", "torch")),
    "s1": (12, ("glassgrad",)),
    "cnn": (200, ("glassgrad", "torch")),
    "lenet": (40, ("glassgrad", "torch")),
    "lenet_infer": (80, ("glassgrad",)),
    "gru32": (150, ("glassgrad", "torch")),
    "gru128": (40, ("glassgrad",)),
    "lstm32": (150, ("glassgrad", "torch")),
    "lstm128": (40, ("glassgrad",)),
    "gpt": (40, ("glassgrad", "torch")),
    "mnist_fit": (4, ("glassgrad",)),            # epochs of 63 steps after one warm-up epoch
    "cnn_sm": (200, ("glassgrad",)),
    "free_one": (0, ("glassgrad",)),
    "free_pieces": (0, ("glassgrad",)),
    "free_pinned": (0, ("glassgrad",)),
    "free_pinned_warm": (0, ("glassgrad",)),
}


# ----------------------------------------------------------------------------------------------
# The workloads: each returns (one step, how many steps one call of it makes)
# ----------------------------------------------------------------------------------------------

def t1(batch_size: int, engine: str, mnist_dir: str) -> tuple[Callable, int]:
    from benchmarks import mnist
    from benchmarks.workloads import GlassgradMLP, TorchMLP
    x, y, _ = mnist.load_data(mnist_dir)
    model = (TorchMLP if engine == "torch" else GlassgradMLP)(mnist.init_params(0))
    count = iter(range(10 ** 9))
    return lambda: model.step(*mnist.batch(x, y, batch_size, next(count))), 1


def s1(engine: str, mnist_dir: str) -> tuple[Callable, int]:
    import autograd
    from benchmarks import scalar_mlp
    X, y = scalar_mlp.make_moons(100, noise=0.1, seed=1337)
    model = scalar_mlp.build_model(autograd.Value, 1337)
    count = iter(range(10 ** 9))
    return lambda: scalar_mlp.train_step(model, X, y, next(count) % 100, autograd.Value), 1


def small_model(name: str, engine: str, mnist_dir: str) -> tuple[Callable, int]:
    """small_models.py's workload `name` through its own Trainer, weights and batches."""
    from benchmarks import small_models as sm
    chosen = sm.WORKLOADS[name]
    x, y = sm.make_data(chosen)
    trainer = sm.Trainer(engine, chosen, sm.init_weights(chosen))
    batches = sm.make_batches(chosen, x, y, sm.BATCHES_PER_EPOCH)
    count = iter(range(10 ** 9))
    return lambda: trainer.step(*batches[next(count) % len(batches)]), 1


def library(engine: str) -> tuple[Any, Any, Any]:
    """(tensor module, nn, optim) of glassgrad or PyTorch."""
    if engine == "torch":
        import torch
        return torch, torch.nn, torch.optim
    import autograd
    import nn
    from nn import optim
    return autograd, nn, optim


def lenet(engine: str, mnist_dir: str, train: bool = True) -> tuple[Callable, int]:
    """conv_steps.py's LeNet on random (64, 1, 28, 28) images: SGD steps, or no_grad forwards."""
    from benchmarks.conv_steps import _lenet
    lib, nn, optim = library(engine)
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    net, shape = _lenet(lib, nn, 64)
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32))
    labels = lib.tensor(rng.integers(0, 10, shape[0]))
    opt = optim.SGD(net.parameters(), lr=0.05)

    def step() -> float:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), labels)
        loss.backward()
        opt.step()
        return loss.item()

    def infer() -> None:
        with lib.no_grad():
            net(x)
    return (step if train else infer), 1


def recurrent(kind: str, hidden: int, engine: str, mnist_dir: str) -> tuple[Callable, int]:
    """nn.GRU / nn.LSTM(3, hidden), batch first, T 24, N 64, then Linear(hidden, 1) on the last
    step's output, MSE, Adam: a forecaster's training step."""
    lib, nn, optim = library(engine)
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    rnn = getattr(nn, kind)(3, hidden, batch_first=True)
    head = nn.Linear(hidden, 1)
    x = lib.tensor(rng.standard_normal((64, 24, 3)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((64, 1)).astype(np.float32))
    opt = optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)

    def step() -> float:
        opt.zero_grad()
        output, _ = rnn(x)
        loss = nn.functional.mse_loss(head(output[:, -1]), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step, 1


def mnist_fit(engine: str, mnist_dir: str) -> tuple[Callable, int]:
    """Notebook 06's MLP trained by nn.fit on the t10k digits' first 8,000 (without the
    notebook's random shifts): one call is one epoch."""
    import autograd
    from nn import MLP, cross_entropy, fit
    from nn.data import DataLoader, load_mnist
    from nn.optim import Adam
    digits = load_mnist(mnist_dir, split_t10k=8000)
    autograd.manual_seed(0)
    model = MLP(784, [256], 10)
    optimizer = Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(digits.train_images, digits.train_labels, batch_size=128, shuffle=True,
                        seed=0)

    def epoch() -> None:
        fit(model, cross_entropy, optimizer, loader, epochs=1, metrics=(), progress=False)
    return epoch, len(loader)


BUILDERS: dict[str, Callable[[str, str], tuple[Callable, int]]] = {
    "t1_16": lambda e, d: t1(16, e, d),
    "t1_64": lambda e, d: t1(64, e, d),
    "t1_512": lambda e, d: t1(512, e, d),
    "s1": s1,
    "cnn": lambda e, d: small_model("cnn", e, d),
    "lenet": lenet,
    "lenet_infer": lambda e, d: lenet(e, d, train=False),
    "gru32": lambda e, d: recurrent("GRU", 32, e, d),
    "gru128": lambda e, d: recurrent("GRU", 128, e, d),
    "lstm32": lambda e, d: recurrent("LSTM", 32, e, d),
    "lstm128": lambda e, d: recurrent("LSTM", 128, e, d),
    "gpt": lambda e, d: small_model("gpt", e, d),
    "mnist_fit": mnist_fit,
}


# ----------------------------------------------------------------------------------------------
# One worker: one workload, one engine, one mode, a fresh process
# ----------------------------------------------------------------------------------------------

def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024     # Linux: kB


def rss_mb() -> float:
    """The resident set now (Linux's /proc/self/status VmRSS), MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmRSS line in /proc/self/status")


FREE_VARIANTS = ("free_one", "free_pieces", "free_pinned", "free_pinned_warm")


def free_200_mb(variant: str) -> dict:
    """RSS (MB) before, at the peak of, and 2 s after allocating and freeing 200 MB: "free_one"
    as one array; "free_pieces" as 100 arrays of 2 MB; "free_pinned" the same 100 arrays, then
    a 256 KB array made after them and kept (on the heap it lands above them, and the heap can
    only shrink from its top); "free_pinned_warm" the same after a 16 MB array was freed (as
    a script that loaded its data has: glibc's own threshold rises to 16 MB). The arrays' pages
    are written (np.ones), as an activation's are."""
    if variant == "free_pinned_warm":
        from benchmarks.small_models import free_a_big_block
        free_a_big_block()
    start = rss_mb()
    if variant == "free_one":
        arrays = [np.ones(200 * MB, np.uint8)]
    else:
        arrays = [np.ones(2 * MB, np.uint8) for _ in range(100)]
    pinned = [np.ones(256 * 1024, np.uint8)] if variant.startswith("free_pinned") else []
    peak = rss_mb()
    del arrays
    time.sleep(2)
    return {"rss_mb": {"start": start, "peak": peak, "after free and 2 s": rss_mb()},
            "peak_rss_mb": peak_rss_mb(), "pinned_bytes": sum(a.nbytes for a in pinned)}


def worker(workload: str, engine: str, mode: str, steps: int, mnist_dir: str) -> dict:
    """Time `steps` steps of `workload` after WARMUP, the allocator in `mode`."""
    # imported in both modes: a torch process's RSS then holds the same modules either way
    from autograd.allocator import keep_freed_memory
    kept = keep_freed_memory() if mode == "keep" else None
    if mode == "warm":                  # as a script that loaded or converted its data
        from benchmarks.small_models import free_a_big_block
        free_a_big_block()
    if engine == "torch":
        import torch
        torch.set_num_threads(1)
    if workload in FREE_VARIANTS:
        return free_200_mb(workload) | {"kept": kept}
    if workload == "cnn_sm":                # small_models.py's own worker and loop
        from benchmarks import small_models
        result = small_models.worker("cnn", engine, steps)
        return {"wall_s": statistics.median(result["step_seconds"]), "cpu_s": None,
                "faults_per_step": result["faults_per_step"], "peak_rss_mb": peak_rss_mb(),
                "rss_mb": rss_mb(), "kept": kept}
    step, per_call = BUILDERS[workload](engine, mnist_dir)
    for _ in range(1 if workload == "mnist_fit" else WARMUP):
        step()
    faults = minor_faults()
    wall, cpu = [], []
    for _ in range(steps):
        started, started_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - started) / per_call)
        cpu.append((time.process_time() - started_cpu) / per_call)
    return {"wall_s": statistics.median(wall), "cpu_s": statistics.median(cpu),
            "faults_per_step": (minor_faults() - faults) / (steps * per_call),
            "peak_rss_mb": peak_rss_mb(), "rss_mb": rss_mb(), "kept": kept}


# ----------------------------------------------------------------------------------------------
# The driver
# ----------------------------------------------------------------------------------------------

def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(names: list[str], engines: tuple[str, ...], modes: tuple[str, ...], rounds: int,
            mnist_dir: str) -> dict:
    """{(workload, engine): {mode: [worker result per round]}}, the modes back to back in an
    order that reverses every round."""
    env = harness.worker_env(1)
    results: dict = {}
    for r in range(rounds):
        for name in names:
            steps, runs_in = WORKLOADS[name]
            for engine in (e for e in runs_in if e in engines):
                for mode in (modes if r % 2 == 0 else modes[::-1]):
                    progress(f"round {r + 1}/{rounds}: {name} {engine} {mode}")
                    task = {"workload": name, "engine": engine, "mode": mode, "steps": steps,
                            "mnist_dir": mnist_dir}
                    result = harness.run_worker(task, env, module=MODULE)
                    results.setdefault((name, engine), {m: [] for m in modes})[mode].append(
                        result)
    return results


def spread(values: list[float], scale: float, digits: int) -> str:
    """'median (min-max)' of `values` times `scale`."""
    m, lo, hi = (scale * v for v in (statistics.median(values), min(values), max(values)))
    return f"{m:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def print_tables(results: dict, modes: tuple[str, ...]) -> None:
    """One row per (workload, engine): each mode's CPU time a step (median of the rounds'
    medians, their range), each other mode / default, then the wall clock's medians, the
    faults a step, the peak RSS and the RSS at the end. (CPU time: on a shared machine a step
    longer than a scheduler slice is preempted, and its wall clock carries the other work.)"""
    others = [m for m in modes if m != "default"]
    slash = " / ".join(modes)
    print("| workload | engine | " + " | ".join(f"CPU ms, {m}" for m in modes) + " | " +
          " | ".join(f"{m} / default" for m in others) + f" | wall ms {slash} | faults a "
          f"step {slash} | peak RSS MB {slash} | RSS at the end MB {slash} |")
    print("|---|---|" + "---|" * (len(modes) + len(others) + 4))
    for (name, engine), by_mode in results.items():
        if name in FREE_VARIANTS:
            continue
        key = "cpu_s" if all(r["cpu_s"] for m in modes for r in by_mode[m]) else "wall_s"
        median = {k: {m: statistics.median(r[k] for r in by_mode[m]) for m in modes}
                  for k in (key, "wall_s", "faults_per_step", "peak_rss_mb", "rss_mb")}
        digits = 3 if median[key]["default"] < 1e-3 else 2
        cells = [spread([r[key] for r in by_mode[m]], 1e3, digits) for m in modes]
        cells += [f"{median[key][m] / median[key]['default']:.2f}" for m in others]
        cells += [" / ".join(f"{1e3 * median['wall_s'][m]:.{digits}f}" for m in modes)]
        cells += [" / ".join(f"{median[k][m]:.0f}" for m in modes)
                  for k in ("faults_per_step", "peak_rss_mb", "rss_mb")]
        label = engine if key == "cpu_s" else f"{engine} (wall clock: no CPU time)"
        print(f"| {name} | {label} | " + " | ".join(cells) + " |")
        if "keep" in by_mode and not all(r["kept"] for r in by_mode["keep"]):
            print(f"  ({name}: keep_freed_memory() returned False: not glibc?)")
    free = [name for name in FREE_VARIANTS if (name, "glassgrad") in results]
    if free:
        print("\nRSS (MB) of a process that allocates and frees 200 MB (median of the rounds):")
        print("| case | mode | start | peak | after free and 2 s |")
        print("|---|---|---|---|---|")
        for name in free:
            for mode in modes:
                rounds = results[(name, "glassgrad")][mode]
                row = [statistics.median(r["rss_mb"][key] for r in rounds)
                       for key in rounds[0]["rss_mb"]]
                print(f"| {name} | {mode} | " + " | ".join(f"{v:.0f}" for v in row) + " |")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="processes per workload and mode")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated workloads (default: {','.join(WORKLOADS)})")
    parser.add_argument("--no-torch", action="store_true", help="glassgrad only")
    parser.add_argument("--modes", default="default,keep",
                        help="comma-separated, from default, keep and warm (default: "
                             "default,keep; the first is the ratios' base)")
    parser.add_argument("--mnist", default=os.environ.get("GLASSGRAD_MNIST_DIR") or str(
        ROOT.parent / "shared" / "data" / "mnist"), help="the MNIST t10k files' folder "
        "(default: $GLASSGRAD_MNIST_DIR, else ../shared/data/mnist)")
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE")
    parser.add_argument("task", nargs="?", help=argparse.SUPPRESS)   # a worker's task (JSON)
    args = parser.parse_args(argv)
    args.only = harness.chosen_workloads(parser, args.only, WORKLOADS)
    args.modes = tuple(mode.strip() for mode in args.modes.split(",") if mode.strip())
    if "default" not in args.modes or not set(args.modes) <= set(MODES):
        parser.error(f"--modes: {','.join(args.modes)}: choose from {', '.join(MODES)}, with "
                     f"default among them")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.task:                       # started by harness.run_worker
        print(json.dumps(worker(**json.loads(args.task))))
        return 0
    engines = ("glassgrad",) if args.no_torch else ("glassgrad", "torch")
    load_before = harness.load_average()
    started = time.perf_counter()
    results = measure(args.only, engines, args.modes, args.rounds, args.mnist)
    print(f"keep_freed_memory: {args.rounds} rounds, one process per (workload, engine, mode, "
          f"round), one thread; {harness.cpu_model()}; numpy {np.__version__}; 1-minute load "
          f"{load_before} before, {harness.load_average()} after; "
          f"{time.perf_counter() - started:.0f} s\n")
    print_tables(results, args.modes)
    if args.json:
        from autograd.files import atomic_open
        with atomic_open(args.json, "w") as f:
            json.dump({f"{name} {engine}": by_mode for (name, engine), by_mode in
                       results.items()}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
