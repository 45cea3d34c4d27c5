"""MAML's meta-step on sine waves (1-40-40-1 ReLU MLP, meta-batch 4, one inner step, second
order), written two ways on each engine: a loop over the tasks with torch.autograd.grad
(create_graph=True), and functorch's spelling, vmap over the tasks of grad of a
functional_call. Every engine and spelling runs in its own process, alternating, 1 thread.

    python -m benchmarks.meta_learning [--rounds 5] [--steps 100]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time

import numpy as np

from benchmarks import harness

WARMUP = 5


def program(engine: str, spelling: str):
    """One meta-step of MAML as a function of the step number (the tasks are drawn from it)."""
    if engine == "ours":
        import autograd as torch
        import nn
        F = nn.functional
    else:
        import torch
        nn = torch.nn
        F = nn.functional
        torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(),
                          nn.Linear(40, 1))
    opt = (nn.optim if engine == "ours" else torch.optim).Adam(model.parameters(), 1e-3)
    params = dict(model.named_parameters())

    def tasks(step: int):
        rng = np.random.default_rng(step)
        a, phase = rng.uniform(0.1, 5, (4, 1, 1)), rng.uniform(0, math.pi, (4, 1, 1))
        x = rng.uniform(-5, 5, (4, 20, 1))
        y = a * np.sin(x - phase)
        return [torch.tensor(t.astype(np.float32)) for t in (x[:, :10], y[:, :10],
                                                             x[:, 10:], y[:, 10:])]

    def loss(p, x, y):
        return F.mse_loss(torch.func.functional_call(model, p, (x,)), y)

    def task_loss(p, xs, ys, xq, yq):
        g = torch.func.grad(loss)(p, xs, ys)
        return loss({n: p[n] - 0.01 * g[n] for n in p}, xq, yq)

    def by_loop(xs, ys, xq, yq):
        total = 0
        for i in range(xs.shape[0]):
            inner = loss(params, xs[i], ys[i])
            grads = torch.autograd.grad(inner, list(params.values()), create_graph=True)
            fast = {n: p - 0.01 * g for (n, p), g in zip(params.items(), grads)}
            total = total + loss(fast, xq[i], yq[i])
        return total

    def by_func(xs, ys, xq, yq):
        return torch.func.vmap(task_loss, in_dims=(None, 0, 0, 0, 0))(params, xs, ys, xq,
                                                                      yq).sum()

    outer = by_loop if spelling == "loop" else by_func

    def step(k: int) -> float:
        opt.zero_grad()
        meta = outer(*tasks(k)) / 4
        meta.backward()
        opt.step()
        return meta.item()
    return step


def worker(engine: str, spelling: str, steps: int) -> dict:
    step = program(engine, spelling)
    times, losses = [], []
    for k in range(WARMUP + steps):
        start = time.perf_counter()
        losses.append(step(k))
        times.append(time.perf_counter() - start)
    return {"times": times, "loss": losses[-1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("task", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.task:
        print(json.dumps(worker(**json.loads(args.task))))
        return 0
    engines = [("ours", "loop"), ("ours", "func")]
    if importlib.util.find_spec("torch") is not None:
        engines += [("torch", "loop"), ("torch", "func")]
    else:
        print("PyTorch is not installed: glassgrad alone (pip install torch to compare)")
    tasks = {f"{e} {s}": {"engine": e, "spelling": s, "steps": args.steps} for e, s in engines}
    results = harness.alternate(tasks, args.rounds, harness.worker_env(1),
                                module="benchmarks.meta_learning")
    print(f"MAML meta-step, {args.rounds} processes x {args.steps} steps (after {WARMUP}), "
          f"load {harness.load_average()}")
    for name, rounds in results.items():
        s = harness.split_steps([r["times"] for r in rounds], WARMUP)
        print(f"{name:12s} median {s.median * 1e3:6.2f} ms  IQR {s.q1 * 1e3:.2f}-"
              f"{s.q3 * 1e3:.2f}  min-max {s.min * 1e3:.2f}-{s.max * 1e3:.2f}  "
              f"final loss {rounds[0]['loss']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
