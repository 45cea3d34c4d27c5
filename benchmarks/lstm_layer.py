"""nn.LSTM's (or nn.GRU's) forward, and forward + backward, at one thread: glassgrad's two ways
of running a layer alternated in one process, PyTorch in processes of its own.

    python benchmarks/lstm_layer.py [--cell lstm|gru] [--rounds 15] [--calls 20]
                                    [--features 3,8,32] [--steps 24] [--batch 64] [--hidden 32]
                                    [--dtype float32] [--loss last|all|square] [--keep]
                                    [--trees A,B] [--batch-first 1|0] [--torch-runs 3]

Each round times `--calls` calls of each variant in turn, CPU time (the machine is shared):
"sequence" is `linear` for the input's share and `lstm_sequence` (LSTM.few_features = 0, the
way every LSTM ran before s32), "layer" is one `lstm_layer` node (LSTM.layer_batch = 1:
whatever the batch, which nn.LSTM itself takes this way from 16 rows on); `--cell gru` the
same for nn.GRU, `gru_sequence` and `gru_layer` (s33; "layer" at any hidden size). The input
is batch first (N, T, F) unless `--batch-first 0`, the loss the last h times fixed weights
(`--loss last`, a forecaster's), every step's h (`--loss all`) or the mean of the output's
squares (`--loss square`). Memory as a script has it by default: big arrays page-faulted in
afresh each step (see autograd.allocator); `--keep` calls `autograd.keep_freed_memory()` first
(the runs before s33's recurrent memory work all did). `--trees A,B` loads each checkout's
autograd and nn side by side in the one process (benchmarks/step_overhead.py's Tree) and
alternates them too: before/after numbers, `--torch-runs 0` to skip PyTorch. PyTorch 2.x
(torch.set_num_threads(1)) runs the same in separate processes, never in the one that times
glassgrad (its thread pool would slow what runs after it). The report gives, per variant, the
median µs a call over the rounds, its range, µs per time step, and the median page faults a
call (ru_minflt; glassgrad only).
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def glassgrad_cases(args: argparse.Namespace, features: int, lib: dict) -> dict:
    """{variant: (forward, train)} for one checkout's autograd and nn (`lib`)."""
    import numpy as np

    autograd, nn = lib["autograd"], lib["nn"]
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    cls = nn.GRU if args.cell == "gru" else nn.LSTM
    model = cls(features, args.hidden, batch_first=bool(args.batch_first), dtype=args.dtype)
    shape = (args.batch, args.steps) if args.batch_first else (args.steps, args.batch)
    x = autograd.Tensor(rng.normal(size=shape + (features,)).astype(args.dtype))
    weights = autograd.Tensor(rng.normal(size=shape + (args.hidden,) if args.loss == "all"
                                         else (args.batch, args.hidden)).astype(args.dtype))
    variants = {"sequence": {"few_features": 0},
                "layer": {"few_features": cls.few_features, "layer_batch": 1,
                          "most_hidden": float("inf")}}

    def forward():
        output, state = model(x)
        h = state if args.cell == "gru" else state[0]
        return output if args.loss != "last" else h[-1]

    def train():
        model.zero_grad()
        out = forward()
        loss = (out * out).mean() if args.loss == "square" else (out * weights).sum()
        loss.backward()

    def choose(options):
        def call(fn):
            for option, value in options.items():
                setattr(model, option, value)
            return fn()
        return call

    return {name: (choose(options), forward, train) for name, options in variants.items()
            if args.variant in ("", name)}


def glassgrad_rounds(args: argparse.Namespace, features: int) -> dict:
    """{variant: [µs a call, one per round]} for forward and forward + backward, and
    {variant: [page faults a call, one per round]} under "faults"."""
    if args.trees:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from step_overhead import Tree
        trees = {os.path.basename(os.path.abspath(p)) or p: Tree(p)
                 for p in args.trees.split(",")}
        libs = {}
        for label, tree in trees.items():
            tree.enter()
            libs[label] = ({"autograd": tree.lib.autograd, "nn": tree.lib.nn}, tree.enter)
    else:
        import autograd
        import nn
        libs = {"": ({"autograd": autograd, "nn": nn}, lambda: None)}
    if args.keep:
        next(iter(libs.values()))[0]["autograd"].keep_freed_memory()
    cases = {}
    for label, (lib, enter) in libs.items():
        enter()
        for name, (choose, forward, train) in glassgrad_cases(args, features, lib).items():
            cases[f"{label} {name}".strip()] = (enter, choose, forward, train)

    def chunk(enter, choose, fn):
        enter()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.process_time()
        for _ in range(args.calls):
            choose(fn)
        spent = (time.process_time() - start) / args.calls * 1e6
        return spent, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / args.calls

    times = {f"{kind} {name}": [] for name in cases for kind in ("forward", "fwd+bwd")}
    faults = {name: [] for name in times}
    names = list(cases)
    for round_ in range(args.rounds + 2):                       # 2 rounds of warm-up
        for name in names if round_ % 2 else names[::-1]:
            enter, choose, forward, train = cases[name]
            for kind, fn in (("forward", forward), ("fwd+bwd", train)):
                spent, paged = chunk(enter, choose, fn)
                if round_ >= 2:
                    times[f"{kind} {name}"].append(spent)
                    faults[f"{kind} {name}"].append(paged)
    return {**times, "faults": faults}


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
lstm = cls(args["features"], args["hidden"], batch_first=bool(args["batch_first"])).to(dtype)
shape = ((args["batch"], args["steps"]) if args["batch_first"] else (args["steps"], args["batch"]))
x = torch.from_numpy(rng.normal(size=shape + (args["features"],))).to(dtype)
weights = torch.from_numpy(rng.normal(size=shape + (args["hidden"],) if args["loss"] == "all"
                                      else (args["batch"], args["hidden"]))).to(dtype)

def forward():
    output, state = lstm(x)
    h = state if args["cell"] == "gru" else state[0]
    return output if args["loss"] != "last" else h[-1]

def train():
    lstm.zero_grad()
    out = forward()
    loss = (out * out).mean() if args["loss"] == "square" else (out * weights).sum()
    loss.backward()

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
    parser.add_argument("--loss", choices=("last", "all", "square"), default="last")
    parser.add_argument("--batch-first", type=int, choices=(0, 1), default=1)
    parser.add_argument("--keep", action="store_true",
                        help="call autograd.keep_freed_memory() first")
    parser.add_argument("--trees", default="", help="A,B: checkouts alternated in one process")
    parser.add_argument("--isolated", action="store_true",
                        help="each tree and variant in a fresh process a round (no malloc "
                             "state shared between them)")
    parser.add_argument("--variant", default="", help="(the worker's: one variant only)")
    parser.add_argument("--torch-runs", type=int, default=3)
    parser.add_argument("--glassgrad-only", action="store_true",
                        help="(the worker's mode: time glassgrad and print JSON)")
    args = parser.parse_args()
    if args.glassgrad_only:
        print(json.dumps({f: glassgrad_rounds(args, int(f)) for f in args.features.split(",")}))
        return
    env = dict(os.environ, **{name: "1" for name in THREAD_VARS})
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")

    def worker(*options: str) -> dict:
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--glassgrad-only",
                               *sys.argv[1:], *options], env=env, capture_output=True,
                              text=True, check=True)
        return json.loads(done.stdout.splitlines()[-1])

    if not args.isolated:
        ours = worker()
    else:           # each tree and variant in a process of its own, round by round
        ours = {f: {"faults": {}} for f in args.features.split(",")}
        cases = [(tree, variant) for tree in (args.trees.split(",") if args.trees else [""])
                 for variant in ("sequence", "layer")]
        for round_ in range(args.rounds):
            for tree, variant in cases if round_ % 2 else cases[::-1]:
                options = ["--rounds", "1", "--variant", variant] + \
                    (["--trees", tree] if tree else [])
                for features, got in worker(*options).items():
                    for name, values in got.pop("faults").items():
                        ours[features]["faults"].setdefault(name, []).extend(values)
                    for name, values in got.items():
                        ours[features].setdefault(name, []).extend(values)
    loss = {"all": "every h", "last": "the last h", "square": "(out * out).mean()"}[args.loss]
    print(f"{args.cell.upper()}, T {args.steps}, N {args.batch}, H {args.hidden}, "
          f"{args.dtype}, loss on {loss}, {'keep_freed_memory' if args.keep else 'default memory'}"
          f"; µs a call: median (min-max) over rounds [µs per time step] page faults a call")
    for features in args.features.split(","):
        faults = ours[features].pop("faults")
        times = {**ours[features],
                 **(torch_rounds(args, int(features)) if args.torch_runs else {})}
        print(f"F {features}:")
        for name in sorted(times, key=lambda n: (n.split()[0], n)):
            values = times[name]
            median = statistics.median(values)
            paged = f"  {statistics.median(faults[name]):.0f} faults" if name in faults else ""
            print(f"  {name:30s} {median:8.0f} ({min(values):.0f}-{max(values):.0f})"
                  f"  [{median / args.steps:.1f}]{paged}")


if __name__ == "__main__":
    main()
