"""How the number of BLAS threads changes a small model's training step.

    python benchmarks/blas_threads.py [--rounds 8] [--busy]

Each round runs one subprocess with OPENBLAS_NUM_THREADS=1 (and OMP/MKL alike) and one with the
variables unset (BLAS picks one thread per core), alternating, so both see the same machine
noise. A subprocess times `fit`-style steps (forward, cross-entropy, backward, Adam) of two small
MLPs on random data and prints the median step time; the report gives, per setting, the median
over rounds and the range. `--busy` keeps one core busy with another process meanwhile (as
when a notebook kernel, a test run or a browser shares the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
MODELS = {"MLP 2-16-16-2, batch 32 (the demo)": (2, [16, 16], 2, 32),
          "MLP 784-100-10, batch 64 (MNIST-sized)": (784, [100], 10, 64)}

WORKER = """
import json, sys, time
import numpy as np
from autograd import manual_seed
from nn import MLP, cross_entropy
from nn.optim import Adam
result = {}
for name, (n_in, hidden, n_out, batch) in json.loads(sys.argv[1]).items():
    manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(batch, n_in)).astype(np.float32)
    y = rng.integers(0, n_out, batch)
    model = MLP(n_in, hidden, n_out)
    opt = Adam(model.parameters(), lr=1e-3)
    times = []
    for step in range(600):
        start = time.perf_counter()
        opt.zero_grad()
        cross_entropy(model(X), y).backward()
        opt.step()
        times.append(time.perf_counter() - start)
    result[name] = sorted(times[100:])[len(times[100:]) // 2]     # after 100 warm-up steps
print(json.dumps(result))
"""


def run(one_thread: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    if one_thread:
        env.update({name: "1" for name in THREAD_VARS})
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", WORKER, json.dumps(MODELS)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--busy", action="store_true", help="one other process spins meanwhile")
    args = parser.parse_args()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    results: dict[str, dict[str, list]] = {"1 thread": {}, "default": {}}
    try:
        for _ in range(args.rounds):
            for label, one in (("1 thread", True), ("default", False)):
                for name, seconds in run(one).items():
                    results[label].setdefault(name, []).append(seconds * 1e6)
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    print(f"{os.cpu_count()} cores{', one of them busy' if busy else ''}; median step time "
          f"over {args.rounds} rounds (range):")
    for name in MODELS:
        cells = []
        for label in results:
            values = results[label][name]
            cells.append(f"{label} {statistics.median(values):7.1f} µs "
                         f"({min(values):.1f}–{max(values):.1f})")
        ratio = statistics.median(results["default"][name]) / statistics.median(
            results["1 thread"][name])
        print(f"  {name}: " + ", ".join(cells) + f"; default / 1 thread = {ratio:.2f}×")


if __name__ == "__main__":
    main()
