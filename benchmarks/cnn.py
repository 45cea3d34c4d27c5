"""The CNN benchmark: one training epoch of a small convolutional network, glassgrad vs PyTorch.

    python benchmarks/cnn.py [--rounds 5] [--images 8000] [--mnist DIR] [--threads N]

Model: Conv(1→16, 5×5, pad 2) – ReLU – MaxPool 2 – Conv(16→32, 5×5, pad 2) – ReLU – MaxPool 2 –
Flatten – Linear(1568→10); cross-entropy, plain SGD (lr 0.05), batch 64, over `--images` digits
(the first 8,000 t10k digits when the MNIST files are found, else random images). Both engines
start from the same weights and see the same batches.

Each epoch runs in a fresh subprocess (PyTorch never shares a process with numpy code), the
engines alternate round by round, and the report gives medians and the spread. It also shows
where glassgrad's time goes (cProfile of one epoch, grouped: im2col tiles, matmul, col2im, pooling,
...), and the peak memory of one training step: how far the process's resident memory rises
above its level before the first step (the peak is reset first; Linux), for both engines, plus
numpy's own allocations under tracemalloc (glassgrad only).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import harness  # noqa: E402
from benchmarks.harness import THREAD_VARIABLES, machine_info  # noqa: E402
from benchmarks.mnist import load_mnist, random_mnist  # noqa: E402

BATCH, LR = 64, 0.05
DEFAULT_MNIST_DIR = os.environ.get("GLASSGRAD_MNIST_DIR") or str(
    ROOT.parent / "shared" / "data" / "mnist")


# ----------------------------------------------------------------------------------------------
# The same model and data for both engines
# ----------------------------------------------------------------------------------------------

def data(images: int, mnist_dir: str) -> tuple:
    found = load_mnist(mnist_dir)
    x, y = found if found is not None else random_mnist(max(images, 10_000))
    return x[:images].reshape(-1, 1, 28, 28), y[:images], found is not None


def init_weights(seed: int = 0) -> list:
    """[w1, b1, w2, b2, W3, b3] float32, PyTorch's default ranges (±1/√fan_in); W3 is
    (10, 1568), (out, in): the layout of glassgrad's Linear and PyTorch's alike."""
    rng = np.random.default_rng(seed)
    shapes = [((16, 1, 5, 5), 25), ((16,), 25), ((32, 16, 5, 5), 400), ((32,), 400),
              ((10, 1568), 1568), ((10,), 1568)]
    return [rng.uniform(-1, 1, shape).astype(np.float32) / np.float32(np.sqrt(fan))
            for shape, fan in shapes]


class Glassgrad:
    def __init__(self, weights: list) -> None:
        from autograd import Tensor
        self.params = [Tensor(w.copy(), requires_grad=True) for w in weights]

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        from autograd import Tensor
        from autograd import functional as F
        w1, b1, w2, b2, w3, b3 = self.params
        h = F.max_pool2d(F.conv2d(Tensor(x), w1, b1, padding=2).relu(), 2)
        h = F.max_pool2d(F.conv2d(h, w2, b2, padding=2).relu(), 2)
        loss = F.cross_entropy(F.linear(h.reshape(len(x), -1), w3, b3), y)
        for p in self.params:
            p.grad = None
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
        return loss.item()


class Torch:
    def __init__(self, weights: list) -> None:
        import torch
        self.params = [torch.tensor(w, requires_grad=True) for w in weights]

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        import torch
        import torch.nn.functional as F
        w1, b1, w2, b2, w3, b3 = self.params
        h = F.max_pool2d(F.relu(F.conv2d(torch.from_numpy(x), w1, b1, padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=2)), 2)
        loss = F.cross_entropy(F.linear(h.reshape(len(x), -1), w3, b3), torch.from_numpy(y))
        for p in self.params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p -= LR * p.grad
        return loss.item()


# ----------------------------------------------------------------------------------------------
# One worker: an epoch in a fresh process
# ----------------------------------------------------------------------------------------------

def _status_mb(field: str) -> float | None:
    """A memory line of /proc/self/status (Linux) in MB, or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024                    # kB
    except OSError:
        pass
    return None


def start_peak() -> float:
    """Reset the process's peak RSS (Linux: write 5 to clear_refs) and return the current RSS,
    so that the peak after a step minus this is what the step added."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_mb("VmRSS")
    except OSError:                             # elsewhere: the lifetime peak, a lower bound
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb() -> float:
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(engine: str, images: int, mnist_dir: str, profile: bool) -> dict:
    x, y, real = data(images, mnist_dir)
    model = (Torch if engine == "torch" else Glassgrad)(init_weights())
    steps = len(x) // BATCH
    before = start_peak()
    losses = [model.step(x[:BATCH], y[:BATCH])]               # first step: memory, warm-up
    result = {"engine": engine, "real_mnist": real, "step_peak_rss_mb": peak_rss_mb() - before}
    if engine == "torch":
        import torch
        result["threads"] = torch.get_num_threads()
        result["version"] = torch.__version__
        model.step(x[:BATCH], y[:BATCH])                      # the same two warm-up steps
    else:
        import tracemalloc
        tracemalloc.start()
        model.step(x[:BATCH], y[:BATCH])
        result["step_traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    if profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    step_times = []
    for i in range(steps):
        begin = time.perf_counter()
        losses.append(model.step(x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]))
        step_times.append(time.perf_counter() - begin)
    result["epoch_seconds"] = time.perf_counter() - started
    result["step_seconds"] = step_times
    result["steps"] = steps
    result["first_losses"] = losses[1:4]
    result["last_loss"] = losses[-1]
    if profile:
        profiler.disable()
        result["profile"] = breakdown(pstats.Stats(profiler))
    return result


# where glassgrad's time goes: (label, [(file suffix, function, which time)]); "own" is the time
# spent in the function itself (its products: numpy's matmul is not profiled separately),
# "all" includes what it calls. No time is counted twice.
GROUPS = [
    ("im2col tiles (pad + window copies)", [("ops/conv.py", "column_tiles", "all")]),
    ("conv matmuls (forward, dx, dW)", [("ops/conv.py", "conv_forward", "own"),
                                        ("ops/conv.py", "conv_weight_grad_forward", "own"),
                                        ("ops/conv.py", "_products", "all")]),
    ("col2im (strided adds)", [("ops/conv.py", "col2im", "all")]),
    ("max pooling (forward + backward)", [("ops/pool.py", "forward", "all"),
                                          ("ops/pool.py", "scatter_forward", "all")]),
]


def breakdown(stats) -> dict:
    """Time per group of functions, in seconds, plus the rest."""
    total = stats.total_tt
    out, used = {}, 0.0
    for label, members in GROUPS:
        seconds = sum(cumtime if which == "all" else tottime
                      for (filename, _, name), (_, _, tottime, cumtime, _) in stats.stats.items()
                      for f, n, which in members if filename.endswith(f) and name == n)
        out[label] = seconds
        used += seconds
    out["everything else (bias, relu, linear, loss, graph, SGD)"] = total - used
    out["total"] = total
    return out


# ----------------------------------------------------------------------------------------------
# The driver
# ----------------------------------------------------------------------------------------------

ENGINES = {"glassgrad": ("glassgrad", {}), "torch": ("torch", {})}     # name: (engine, env)


def run(name: str, args, profile: bool = False) -> dict:
    engine, extra = ENGINES[name]
    env = dict(os.environ, **extra)
    if args.threads:
        for variable in THREAD_VARIABLES:
            env[variable] = str(args.threads)
    task = json.dumps({"engine": engine, "images": args.images, "mnist_dir": args.mnist,
                       "profile": profile})
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cnn", "--worker", task], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        sys.exit(f"cnn benchmark: the {engine} worker failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=8000)
    parser.add_argument("--mnist", default=DEFAULT_MNIST_DIR)
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS / PyTorch threads (default: each library's own choice)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        task = json.loads(args.worker)
        print(json.dumps(worker(task["engine"], task["images"], task["mnist_dir"],
                                task["profile"])))
        return
    try:
        import torch  # noqa: F401
        engines = list(ENGINES)
    except ImportError:
        engines = [name for name, (engine, _) in ENGINES.items() if engine != "torch"]
        print("PyTorch is not installed: glassgrad alone (pip install torch for the comparison)")
    load_before = harness.load_average()
    results: dict = {e: [] for e in engines}
    for r in range(args.rounds):
        for engine in engines:
            print(f"round {r + 1}/{args.rounds}: {engine}", file=sys.stderr)
            results[engine].append(run(engine, args))
    args.load = f"{load_before} before, {harness.load_average()} after"
    profile = run("glassgrad", args, profile=True)
    report(results, profile, args)


def report(results: dict, profile: dict, args) -> None:
    info = machine_info({"torch": results.get("torch", [{}])[0].get("version")})
    first = results["glassgrad"][0]
    print(f"CNN benchmark: {first['steps']} steps of batch {BATCH} per epoch "
          f"({'MNIST t10k' if first['real_mnist'] else 'random images'}), {args.rounds} rounds")
    print(f"{info['cpu']}, {info['usable_cores']} cores, {info['python']}, numpy {info['numpy']}, "
          f"torch {info['torch']}, threads: {args.threads or 'default'}; 1-minute load average "
          f"{args.load}")
    print()
    print("| engine | epoch median (s) | min – max (s) | × PyTorch | step median (ms) | "
          "step q1 – q3 (ms) | × PyTorch |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    epochs = {e: statistics.median(r["epoch_seconds"] for r in rs) for e, rs in results.items()}
    steps = {e: [t for r in rs for t in r["step_seconds"]] for e, rs in results.items()}
    step_medians = {e: statistics.median(ts) for e, ts in steps.items()}
    for engine, rs in results.items():
        times = [r["epoch_seconds"] for r in rs]
        q1, _, q3 = statistics.quantiles(steps[engine], n=4)
        ratios = [f"{v[engine] / v['torch']:.2f}" if "torch" in v else "–"
                  for v in (epochs, step_medians)]
        print(f"| {engine} | {epochs[engine]:.2f} | {min(times):.2f} – {max(times):.2f} | "
              f"{ratios[0]} | {1000 * step_medians[engine]:.1f} | {1000 * q1:.1f} – "
              f"{1000 * q3:.1f} | {ratios[1]} |")
    rss = {e: statistics.median(r["step_peak_rss_mb"] for r in rs) for e, rs in results.items()}
    print("\npeak resident memory added by the first training step (MB): "
          + ", ".join(f"{e} {v:.0f}" for e, v in rss.items()))
    traced = statistics.median(r["step_traced_peak_mb"] for r in results["glassgrad"])
    print(f"\nglassgrad's numpy allocations at their peak during one step (tracemalloc): "
          f"{traced:.0f} MB")
    losses = {e: rs[0]["first_losses"] for e, rs in results.items()}
    print(f"first losses (same weights, same batches): " +
          "; ".join(f"{e} {', '.join(f'{v:.5f}' for v in ls)}" for e, ls in losses.items()))
    print("\nWhere glassgrad's epoch goes (cProfile, cumulative time; profiling adds overhead):\n")
    print("| part | seconds | share |")
    print("| --- | --- | --- |")
    total = profile["profile"]["total"]
    for label, seconds in profile["profile"].items():
        if label != "total":
            print(f"| {label} | {seconds:.2f} | {seconds / total:.0%} |")
    print(f"| total | {total:.2f} | 100% |")


if __name__ == "__main__":
    main()
