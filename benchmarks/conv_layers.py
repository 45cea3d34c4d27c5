"""The convolution layers of benchmarks/conv_steps.py's models alone: forward, input gradient
and weight gradient, float32, one thread; glassgrad's kernels on batch-last arrays (as a network
hands them over) and PyTorch's (`aten.convolution_backward` with one output asked for), each
engine and tree in a fresh process, alternated round by round; the best and the median of each
kernel over the rounds (each round's figure the best of a few calls), µs: CPU time on one
thread, wall time on more (CPU time would add up the threads', spinning included).

    python benchmarks/conv_layers.py [--model denoiser|lenet|unet|block|all] [--rounds 5]
        [--base DIR] [--no-torch] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from conv_steps import engines_of, run_worker      # (benchmarks/ is the script's directory)

# (x shape (N, C, H, W), out channels, kernel, stride, padding, groups, transposed): the
# convolutions of conv_steps.py's models ("transposed": ConvTranspose2d, whose forward is the
# input gradient of a convolution from its output to its input)
LAYERS = {
    "denoiser": [((64, c, 14, 14), o, 3, 1, 1, 1, False)
                 for c, o in ((1, 32), (32, 64), (64, 64), (64, 32), (32, 1))],
    "lenet": [((64, 1, 28, 28), 16, 5, 1, 2, 1, False), ((64, 16, 14, 14), 32, 5, 1, 2, 1, False)],
    "unet": [((16, 1, 32, 32), 16, 3, 1, 1, 1, False), ((16, 16, 32, 32), 16, 3, 1, 1, 1, False),
             ((16, 16, 16, 16), 32, 3, 1, 1, 1, False), ((16, 32, 16, 16), 32, 3, 1, 1, 1, False),
             ((16, 32, 8, 8), 64, 3, 1, 1, 1, False), ((16, 64, 8, 8), 64, 3, 1, 1, 1, False),
             ((16, 64, 16, 16), 32, 3, 1, 1, 1, False), ((16, 32, 32, 32), 16, 3, 1, 1, 1, False),
             ((16, 32, 16, 16), 64, 2, 2, 0, 1, True), ((16, 16, 32, 32), 32, 2, 2, 0, 1, True)],
    "block": [((32, 32, 32, 32), 128, 1, 1, 0, 1, False),
              ((32, 128, 32, 32), 128, 3, 1, 1, 128, False),
              ((32, 128, 32, 32), 32, 1, 1, 0, 1, False)],
    "strided": [((64, 32, 14, 14), 64, 4, 2, 1, 1, False), ((64, 8, 28, 28), 16, 3, 2, 1, 1, False),
                ((64, 16, 28, 28), 32, 3, 2, 1, 1, False),
                ((32, 32, 16, 16), 64, 3, 2, 1, 1, False)],
}


def _best(fn, calls: int, clock=time.process_time) -> float:
    best = float("inf")
    for _ in range(calls):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return 1e6 * best


def worker(engine: str, model: str, calls: int, threads: int = 1) -> dict:
    import numpy as np
    rng = np.random.default_rng(0)
    clock = time.process_time if threads == 1 else time.perf_counter
    out = {}
    for shape, o, k, s, p, groups, _ in LAYERS[model]:
        n, c, h, w = shape
        x = rng.standard_normal(shape).astype(np.float32)
        wt = (rng.standard_normal((o, c // groups, k, k)) * 0.1).astype(np.float32)
        ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        g = rng.standard_normal((n, o, ho, wo)).astype(np.float32)
        key = f"{c}->{o} {k}x{k} s{s} g{groups} on {shape}"
        if engine == "torch":
            import torch
            tx, tw, tg = map(torch.from_numpy, (x, wt, g))
            aten = torch.ops.aten

            def back(mask, tg=tg, tx=tx, tw=tw, s=s, p=p, groups=groups):
                return aten.convolution_backward(tg, tx, tw, None, [s, s], [p, p], [1, 1], False,
                                                 [0, 0], groups, mask)
            with torch.no_grad():
                times = (_best(lambda: torch.nn.functional.conv2d(tx, tw, None, s, p, 1, groups),
                               calls),
                         _best(lambda: back([True, False, False]), calls),
                         _best(lambda: back([False, True, False]), calls))
        else:
            from autograd.ops import conv as ops
            geo = ops.Geometry((s, s), (p, p), (1, 1), groups)
            xb, gb = ops.as_batch_last(x), ops.as_batch_last(g)     # as a network hands them
            times = (_best(lambda: ops.conv_forward(xb, wt, geo), calls, clock),
                     _best(lambda: ops.conv_input_grad_forward(gb, wt, geo, x.shape), calls,
                           clock),
                     _best(lambda: ops.conv_weight_grad_forward(xb, gb, geo, wt.shape), calls,
                           clock))
        out[key] = times
    return out


def run(engine: str, tree: Path, model: str, calls: int, threads: int) -> dict:
    task = {"engine": engine, "model": model, "calls": calls, "threads": threads}
    return run_worker(Path(__file__).resolve(), tree, task, threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(LAYERS) + ["all"], default="denoiser")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--base", help="another tree to run as 'base'")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        task = json.loads(args.worker)
        if task["engine"] == "torch":
            import torch
            torch.set_num_threads(task["threads"])
        print(json.dumps(worker(task["engine"], task["model"], task["calls"], task["threads"])))
        return
    engines = engines_of(args)
    for model in sorted(LAYERS) if args.model == "all" else [args.model]:
        results: dict = {name: [] for name in engines}
        for _ in range(args.rounds):
            for name, (engine, tree) in engines.items():
                results[name].append(run(engine, tree, model, args.calls, args.threads))
        print(f"{model}: µs, forward / input gradient / weight gradient, best (median) of "
              f"{args.rounds} rounds, {args.threads} thread(s)")
        for key in results["glassgrad"][0]:
            print(f"  {key}")
            for name, rounds in results.items():
                cells = []
                for i in range(3):
                    values = [r[key][i] for r in rounds]
                    cells.append(f"{min(values):6.0f} ({statistics.median(values):6.0f})")
                print(f"    {name:10s} " + " / ".join(cells))


if __name__ == "__main__":
    main()
