"""Sampling with gradients and curvature, one operation at a time: glassgrad against PyTorch.

    python -m benchmarks.curvature [--rounds 5] [--reps 300]

The operations (float64 but for the Langevin step, random data from a fixed numpy seed):

    langevin  one step of an EBM's Langevin sampler: -E(x) of 128 points through an MLP
              2-32-32-1 with SiLU (parameters frozen), backward to x, x moved in place
    hmc       one leapfrog gradient: grad of a Bayesian logistic regression's log joint
              (100 rows, 3 weights; BCE with logits and a Normal prior) by autograd.grad
    hvp       one Hessian-vector product of an MLP 5-8-2's cross-entropy (64 rows) in its
              weights: grad of (g * v).sum() over a gradient g recorded with create_graph
    jacobian  the (40, 49) Jacobian of a 1-16-1 tanh network's outputs in its flat weights,
              by torch.autograd.functional.jacobian through functional_call

Each engine runs in its own fresh subprocess, alternating round by round (benchmarks/harness.py);
each process warms up, then times `--reps` calls; the table gives the median call over all
rounds, the spread of the calls (q1-q3) and torch / glassgrad, the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

OPERATIONS = ("langevin", "hmc", "hvp", "jacobian")


def _engine(name: str):
    if name == "torch":
        import torch
        from torch.func import functional_call
        torch.set_num_threads(1)
        return torch, torch.nn, torch.nn.functional, functional_call
    import autograd
    import nn
    from nn import functional as F
    from nn.utils.stateless import functional_call
    autograd.set_num_threads(1)
    return autograd, nn, F, functional_call


def _operation(op: str, engine: str):
    """A function of no arguments doing one call of `op` in `engine`."""
    torch, nn, F, functional_call = _engine(engine)
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    if op == "langevin":
        model = nn.Sequential(nn.Linear(2, 32), nn.SiLU(), nn.Linear(32, 32), nn.SiLU(),
                              nn.Linear(32, 1))
        for p in model.parameters():
            p.requires_grad = False
        x = torch.tensor(rng.uniform(-1, 1, (128, 2)).astype(np.float32), requires_grad=True)

        def call():
            (-model(x).squeeze(-1)).sum().backward()
            with torch.no_grad():
                x.add_(-0.005 * torch.as_tensor(x.grad))
                x.add_(0.1 * torch.randn_like(x))
                x.clamp_(-1.0, 1.0)
                x.grad = None
        return call
    if op == "hmc":
        X = torch.tensor(rng.normal(size=(100, 3)))
        y = torch.tensor((rng.random(100) < 0.5).astype(np.float64))
        w0 = torch.tensor([0.3, -0.2, 0.1], dtype=torch.float64)

        def call():
            w = w0.detach().requires_grad_(True)
            prior = torch.distributions.Normal(torch.zeros_like(w), 2.0 * torch.ones_like(w))
            lp = -F.binary_cross_entropy_with_logits(X @ w, y, reduction="sum") \
                + prior.log_prob(w).sum()
            return torch.autograd.grad(lp, w)
        return call
    if op == "hvp":
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2)).double()
        X = torch.tensor(rng.normal(size=(64, 5)))
        y = torch.tensor((rng.random(64) < 0.5).astype(np.int64))
        params = list(model.parameters())
        v = [torch.tensor(rng.normal(size=tuple(p.shape))) for p in params]
        grads = torch.autograd.grad(F.cross_entropy(model(X), y), params, create_graph=True)

        def call():
            return torch.autograd.grad(sum((g * vi).sum() for g, vi in zip(grads, v)), params,
                                       retain_graph=True)
        return call
    if op == "jacobian":
        model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1)).double()
        x = torch.tensor(np.linspace(-2, 2, 40)[:, None])
        names = [n for n, _ in model.named_parameters()]
        shapes = [tuple(p.shape) for p in model.parameters()]
        sizes = [math.prod(s) for s in shapes]
        theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

        def f(t):
            params, i = {}, 0
            for n, s, k in zip(names, shapes, sizes):
                params[n] = t[i:i + k].reshape(s)
                i += k
            return functional_call(model, params, (x,)).squeeze(-1)
        return lambda: torch.autograd.functional.jacobian(f, theta)
    raise ValueError(f"unknown operation {op!r}; expected one of {OPERATIONS}")


def worker(task: dict) -> dict:
    call = _operation(task["op"], task["engine"])
    for _ in range(20):
        call()
    times = []
    for _ in range(task["reps"]):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return {"times": times}


def main(argv: list[str] | None = None) -> int:
    from benchmarks.harness import Summary, alternate, worker_env
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=300)
    args = parser.parse_args(argv)
    tasks = {(op, engine): {"op": op, "engine": engine, "reps": args.reps}
             for op in OPERATIONS for engine in ("glassgrad", "torch")}
    named = {f"{op}/{engine}": task for (op, engine), task in tasks.items()}
    results = alternate(named, args.rounds, env=worker_env(1), module="benchmarks.curvature")
    print(f"{'operation':10} {'glassgrad ms (q1-q3)':>24} {'torch ms (q1-q3)':>24} "
          f"{'torch/glassgrad':>16}")
    for op in OPERATIONS:
        row = []
        for engine in ("glassgrad", "torch"):
            s = Summary([t for r in results[f"{op}/{engine}"] for t in r["times"]])
            row.append(s)
        cells = [f"{s.median * 1e3:.3f} ({s.q1 * 1e3:.3f}-{s.q3 * 1e3:.3f})" for s in row]
        print(f"{op:10} {cells[0]:>24} {cells[1]:>24} {row[1].median / row[0].median:16.2f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1].startswith("{"):
        print(json.dumps(worker(json.loads(sys.argv[1]))))
    else:
        sys.exit(main())
