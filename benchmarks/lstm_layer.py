"""nn.LSTM's (or nn.GRU's) forward, and forward + backward, at one thread: glassgrad's two ways
of running a layer alternated in one process, PyTorch in processes of its own.

    python benchmarks/lstm_layer.py [--cell lstm|gru] [--rounds 15] [--calls 20]
                                    [--features 3,8,32] [--steps 24] [--batch 64] [--hidden 32]
                                    [--dtype float32] [--loss last|all] [--torch-runs 3]

Each round times `--calls` calls of each variant in turn, CPU time (the machine is shared),
after `keep_freed_memory` (so neither way pays page faults for its big arrays): "sequence" is
`linear` for the input's share and `lstm_sequence` (LSTM.few_features = 0, the way every
LSTM ran before s32), "layer" is one `lstm_layer` node (LSTM.layer_batch = 1: whatever the
batch, which nn.LSTM itself takes this way from 16 rows on); `--cell gru` the same for nn.GRU,
`gru_sequence` and `gru_layer` (s33). The input is batch first (N, T, F),
the loss the last h times fixed weights (`--loss last`, a forecaster's) or every step's h
(`--loss all`). PyTorch 2.x (torch.set_num_threads(1)) runs the same in separate processes,
never in the one that times glassgrad (its thread pool would slow what runs after it). The
report gives, per variant, the median µs a call over the rounds, its range, and µs per time
step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def glassgrad_rounds(args: argparse.Namespace, features: int) -> dict:
    """{variant: [µs a call, one per round]} for forward and forward + backward."""
    import numpy as np

    import autograd
    import nn
    autograd.keep_freed_memory()
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    cls = nn.GRU if args.cell == "gru" else nn.LSTM
    lstm = cls(features, args.hidden, batch_first=True, dtype=args.dtype)
    x = autograd.Tensor(rng.normal(size=(args.batch, args.steps, features)).astype(args.dtype))
    shape = (args.batch, args.steps, args.hidden) if args.loss == "all" \
        else (args.batch, args.hidden)
    weights = autograd.Tensor(rng.normal(size=shape).astype(args.dtype))

    def forward():
        output, state = lstm(x)
        h = state if args.cell == "gru" else state[0]
        return output if args.loss == "all" else h[-1]

    def train():
        lstm.zero_grad()
        (forward() * weights).sum().backward()

    def chunk(fn):
        start = time.process_time()
        for _ in range(args.calls):
            fn()
        return (time.process_time() - start) / args.calls * 1e6

    variants = {"sequence": {"few_features": 0},
                "layer": {"few_features": cls.few_features, "layer_batch": 1}}
    times = {f"{kind} {name}": [] for name in variants for kind in ("forward", "fwd+bwd")}
    for _ in range(2):                                          # warm up
        for options in variants.values():
            for option, value in options.items():
                setattr(lstm, option, value)
            chunk(forward), chunk(train)
    for _ in range(args.rounds):
        for name, options in variants.items():
            for option, value in options.items():
                setattr(lstm, option, value)
            times[f"forward {name}"].append(chunk(forward))
            times[f"fwd+bwd {name}"].append(chunk(train))
    return times


TORCH_WORKER = """
import json, sys, time
import numpy as np
import torch
torch.set_num_threads(1)
args = json.loads(sys.argv[1])
torch.manual_seed(0)
rng = np.random.default_rng(0)
dtype = getattr(torch, args["dtype"])
cls = torch.nn.GRU if args["cell"] == "gru" else torch.nn.LSTM
lstm = cls(args["features"], args["hidden"], batch_first=True).to(dtype)
x = torch.from_numpy(rng.normal(size=(args["batch"], args["steps"], args["features"]))).to(dtype)
shape = ((args["batch"], args["steps"], args["hidden"]) if args["loss"] == "all"
         else (args["batch"], args["hidden"]))
weights = torch.from_numpy(rng.normal(size=shape)).to(dtype)

def forward():
    output, state = lstm(x)
    h = state if args["cell"] == "gru" else state[0]
    return output if args["loss"] == "all" else h[-1]

def train():
    lstm.zero_grad()
    (forward() * weights).sum().backward()

def chunk(fn):
    start = time.process_time()
    for _ in range(args["calls"]):
        fn()
    return (time.process_time() - start) / args["calls"] * 1e6

times = {"forward torch": [], "fwd+bwd torch": []}
for _ in range(2):
    chunk(forward), chunk(train)
for _ in range(args["rounds"]):
    times["forward torch"].append(chunk(forward))
    times["fwd+bwd torch"].append(chunk(train))
print(json.dumps(times))
"""


def torch_rounds(args: argparse.Namespace, features: int) -> dict:
    """The same in `--torch-runs` fresh processes, their rounds pooled."""
    env = dict(os.environ, **{name: "1" for name in THREAD_VARS})
    task = dict(vars(args), features=features)
    pooled: dict = {}
    for _ in range(args.torch_runs):
        done = subprocess.run([sys.executable, "-c", TORCH_WORKER, json.dumps(task)], env=env,
                              capture_output=True, text=True, check=True)
        for name, values in json.loads(done.stdout.splitlines()[-1]).items():
            pooled.setdefault(name, []).extend(values)
    return pooled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cell", choices=("lstm", "gru"), default="lstm")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--features", default="3,8,32")
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--loss", choices=("last", "all"), default="last")
    parser.add_argument("--torch-runs", type=int, default=3)
    parser.add_argument("--glassgrad-only", action="store_true",
                        help="(the worker's mode: time glassgrad and print JSON)")
    args = parser.parse_args()
    if args.glassgrad_only:
        print(json.dumps({f: glassgrad_rounds(args, int(f)) for f in args.features.split(",")}))
        return
    env = dict(os.environ, **{name: "1" for name in THREAD_VARS})
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--glassgrad-only",
                           *sys.argv[1:]], env=env, capture_output=True, text=True, check=True)
    ours = json.loads(done.stdout.splitlines()[-1])
    print(f"{args.cell.upper()}, T {args.steps}, N {args.batch}, H {args.hidden}, "
          f"{args.dtype}, loss on "
          f"{'every h' if args.loss == 'all' else 'the last h'}; µs a call: median (min-max) "
          f"over rounds [µs per time step]")
    for features in args.features.split(","):
        times = {**ours[features], **torch_rounds(args, int(features))}
        print(f"F {features}:")
        for name in sorted(times, key=lambda n: (n.split()[0], n)):
            values = times[name]
            median = statistics.median(values)
            print(f"  {name:18s} {median:8.0f} ({min(values):.0f}-{max(values):.0f})"
                  f"  [{median / args.steps:.1f}]")


if __name__ == "__main__":
    main()
