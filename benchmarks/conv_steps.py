"""Training steps of small convolutional models, glassgrad (one or two trees) against PyTorch,
float32, one thread: each engine in a fresh process, the engines alternated round by round;
the median step of each round (CPU time), then the rounds' median and range, ms, and the page
faults a step.

    python benchmarks/conv_steps.py [--model denoiser|denoiser32|block|lenet|unet]
        [--rounds 5] [--steps 30] [--base DIR] [--ops] [--profile]
        [--default-allocator] [--no-torch]

Models: "denoiser", a DnCNN-like noise predictor on 14 × 14 images (Conv2d 3 × 3 padding 1,
1 → 32 → 64 → 64 → 32 → 1, ReLU between, MSE against the noise, Adam), batch 64 ("denoiser32":
batch 32); "block", a MobileNetV2 inverted residual (1 × 1 32 → 128, BN, ReLU6, depthwise 3 × 3,
BN, ReLU6, 1 × 1 → 32, BN, + x; batch 32 of 32 × 32; SGD); "lenet", benchmarks/cnn.py's model
(5 × 5 1 → 16 → 32, pooling, Linear; batch 64 of 28 × 28; SGD); "unet", a U-Net (3 × 3 blocks
with BatchNorm, 16 → 32 → 64, MaxPool, ConvTranspose2d 2 × 2 stride 2, skips by cat; batch 16 of
32 × 32; BCE with logits, Adam). `--base DIR` runs a second tree (a checkout of another commit)
as "base"; `--ops` times glassgrad's three convolution kernels inside the step (per kernel and
shapes, µs a step; the input gradient's key shows g's and w's shapes, the weight gradient's x's
and g's); glassgrad calls `autograd.keep_freed_memory()` unless `--default-allocator`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (1, 32, 64, 64, 32, 1)


def _denoiser(lib, nn, batch: int):
    layers = []
    for i, (c, o) in enumerate(zip(WIDTHS, WIDTHS[1:])):
        layers.append(nn.Conv2d(c, o, 3, padding=1))
        if i < len(WIDTHS) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers), (batch, 1, 14, 14)


def _block(lib, nn, batch: int):
    c, e = 32, 128
    return nn.Sequential(nn.Conv2d(c, e, 1, bias=False), nn.BatchNorm2d(e), nn.ReLU6(),
                         nn.Conv2d(e, e, 3, padding=1, groups=e, bias=False),
                         nn.BatchNorm2d(e), nn.ReLU6(), nn.Conv2d(e, c, 1, bias=False),
                         nn.BatchNorm2d(c)), (batch, c, 32, 32)


def _lenet(lib, nn, batch: int):
    return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 10)), (batch, 1, 28, 28)


def _unet(lib, nn, batch: int):
    def double(c, o):
        return nn.Sequential(nn.Conv2d(c, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(),
                             nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self, c=16):
            super().__init__()
            self.d1, self.d2, self.mid = double(1, c), double(c, 2 * c), double(2 * c, 4 * c)
            self.pool = nn.MaxPool2d(2)
            self.u2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
            self.b2 = double(4 * c, 2 * c)
            self.u1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
            self.b1 = double(2 * c, c)
            self.out = nn.Conv2d(c, 1, 1)

        def forward(self, x):
            h1 = self.d1(x)
            h2 = self.d2(self.pool(h1))
            h = self.mid(self.pool(h2))
            h = self.b2(lib.cat([self.u2(h), h2], dim=1))
            return self.out(self.b1(lib.cat([self.u1(h), h1], dim=1)))
    return UNet(), (batch, 1, 32, 32)


MODELS = {"denoiser": (_denoiser, 64), "denoiser32": (_denoiser, 32), "block": (_block, 32),
          "lenet": (_lenet, 64), "unet": (_unet, 16)}


def _timed_kernels(conv_ops, totals: dict) -> None:
    """Wrap the three kernels of `conv_ops` so that each call adds its CPU time to `totals`,
    keyed by (kernel, x's shape, w's shape)."""
    for name in ("conv_forward", "conv_input_grad_forward", "conv_weight_grad_forward"):
        kernel = getattr(conv_ops, name)

        def timed(*args, _kernel=kernel, _name=name):
            if totals.get("depth"):                 # a kernel inside another: counted there
                return _kernel(*args)
            totals["depth"] = 1
            start = time.process_time()
            out = _kernel(*args)
            totals["depth"] = 0
            key = (_name, tuple(args[0].shape), tuple(args[1].shape))
            totals[key] = totals.get(key, 0.0) + time.process_time() - start
            return out
        setattr(conv_ops, name, timed)


def _timed_ops(totals: dict) -> None:
    """Wrap forward and backward of every Op class so that each call adds its CPU time to
    `totals`, keyed by (op name, phase); a call inside another is counted in the outer one."""
    from autograd.graph import Op

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in set(subclasses(Op)):
        for phase in ("forward", "backward"):
            if phase not in vars(cls):
                continue
            fn = vars(cls)[phase].__func__

            def timed(*args, _fn=fn, _key=(getattr(cls, "name", cls.__name__), phase)):
                if totals.get("depth"):
                    return _fn(*args)
                totals["depth"] = 1
                start = time.process_time()
                try:
                    return _fn(*args)
                finally:
                    totals["depth"] = 0
                    totals[_key] = totals.get(_key, 0.0) + time.process_time() - start
            setattr(cls, phase, staticmethod(timed))


def _torch_profile(step, steps: int) -> dict:
    """PyTorch's self CPU time per aten op over `steps` steps (torch.profiler), µs a step."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    return {e.key: e.self_cpu_time_total / steps for e in prof.key_averages()
            if e.self_cpu_time_total / steps >= 20}


def _faults() -> int:
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def worker(engine: str, model: str, steps: int, ops: bool, keep: bool = True,
           profile: bool = False) -> dict:
    import numpy as np
    build, batch = MODELS[model]
    rng = np.random.default_rng(0)
    totals: dict = {}
    if engine == "torch":
        import torch
        torch.set_num_threads(1)
        lib, nn = torch, torch.nn
        optim = torch.optim
    else:
        import autograd as lib
        import nn
        from nn import optim
        from autograd.ops import conv as conv_ops
        if keep:
            lib.keep_freed_memory()
        if ops:
            _timed_kernels(conv_ops, totals)
        if profile:
            _timed_ops(totals)
    lib.manual_seed(0)
    net, shape = build(lib, nn, batch)
    x0 = lib.tensor(rng.standard_normal(shape).astype(np.float32))
    noise = lib.tensor(rng.standard_normal(shape).astype(np.float32))
    if model.startswith("denoiser"):
        opt = optim.Adam(net.parameters(), lr=1e-3)

        def loss_fn():
            return ((net(x0 + noise) - noise) ** 2).mean()
    elif model == "lenet":
        opt = optim.SGD(net.parameters(), lr=0.05)
        labels = lib.tensor(rng.integers(0, 10, batch))

        def loss_fn():
            return nn.functional.cross_entropy(net(x0), labels)
    elif model == "unet":
        opt = optim.Adam(net.parameters(), lr=1e-3)
        mask = lib.tensor((rng.random(shape) < 0.3).astype(np.float32))

        def loss_fn():
            return nn.functional.binary_cross_entropy_with_logits(net(x0), mask)
    else:
        opt = optim.SGD(net.parameters(), lr=0.01)

        def loss_fn():
            return ((net(x0) + x0) ** 2).mean()
    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss

    times = []
    for i in range(steps + 3):
        if i == 3:
            totals.clear()
            faults = _faults()
        start = time.process_time()
        loss = step()
        times.append(time.process_time() - start)
    if profile and engine == "torch":
        return {"profile_us": _torch_profile(step, steps)}
    if profile:
        return {"profile_us": {f"{k[0]} {k[1]}": 1e6 * v / steps
                               for k, v in totals.items() if k != "depth"}}
    result = {"median_ms": 1e3 * statistics.median(times[3:]), "loss": float(loss.item()),
              "faults": (_faults() - faults) / steps}
    if ops:
        result["ops_us"] = {f"{k[0]} x{k[1]} w{k[2]}": 1e6 * v / steps
                            for k, v in totals.items() if k != "depth"}
    return result


def run_worker(script: Path, tree: Path, task: dict, threads: int = 1) -> dict:
    """Run `script --worker task` in a fresh process on `tree`'s code with `threads` BLAS and
    OpenMP threads; its last line of output, parsed (JSON). Shared with conv_layers.py."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1",
               OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    proc = subprocess.run([sys.executable, str(script), "--worker", json.dumps(task)],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        sys.exit(f"{script.stem}: the {task['engine']} worker failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def engines_of(args) -> dict:
    """{name: (engine, tree)}: this tree's glassgrad, `--base`'s and PyTorch unless `--no-torch`.
    Shared with conv_layers.py."""
    engines = {"glassgrad": ("glassgrad", ROOT)}
    if args.base:
        engines["base"] = ("glassgrad", Path(args.base).resolve())
    if not args.no_torch:
        engines["torch"] = ("torch", ROOT)
    return engines


def run(engine: str, tree: Path, args, ops: bool = False, profile: bool = False) -> dict:
    return run_worker(Path(__file__).resolve(), tree, {
        "engine": engine, "model": args.model, "steps": args.steps, "ops": ops,
        "keep": not args.default_allocator, "profile": profile})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="denoiser")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--base", help="another tree to run as 'base'")
    parser.add_argument("--ops", action="store_true", help="time the conv kernels in the step")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="only time every op's forward and backward in the step (glassgrad: "
                        "per op class; PyTorch: torch.profiler's self CPU time per aten op)")
    parser.add_argument("--default-allocator", action="store_true",
                        help="glibc's defaults: no autograd.keep_freed_memory() (page faults)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        task = json.loads(args.worker)
        print(json.dumps(worker(task["engine"], task["model"], task["steps"], task["ops"],
                                task["keep"], task.get("profile", False))))
        return
    engines = engines_of(args)
    if args.profile:
        for name, (engine, tree) in engines.items():
            ops_us = run(engine, tree, args, profile=True)["profile_us"]
            print(f"{name}: µs a step, total {sum(ops_us.values()):.0f}")
            for key, us in sorted(ops_us.items(), key=lambda kv: -kv[1]):
                print(f"  {us:8.0f}  {key}")
        return
    medians: dict = {name: [] for name in engines}
    faults: dict = {name: [] for name in engines}
    for r in range(args.rounds):
        for name, (engine, tree) in engines.items():
            result = run(engine, tree, args)
            medians[name].append(result["median_ms"])
            faults[name].append(result["faults"])
        print(f"round {r + 1}: " + ", ".join(f"{n} {m[-1]:.2f}" for n, m in medians.items()),
              file=sys.stderr, flush=True)
    print(f"{args.model}: median step over {args.rounds} rounds of {args.steps} (ms, CPU time, "
          f"one thread; range of the rounds' medians)")
    for name, m in medians.items():
        print(f"  {name:10s} {statistics.median(m):8.2f}  ({min(m):.2f}-{max(m):.2f}), "
              f"page faults a step {min(faults[name]):.0f}-{max(faults[name]):.0f}")
    if args.ops:
        for name, (engine, tree) in engines.items():
            if engine == "torch":
                continue
            print(f"  {name}: convolution kernels in the step, µs")
            for key, us in run(engine, tree, args, ops=True)["ops_us"].items():
                print(f"    {key}: {us:.0f}")


if __name__ == "__main__":
    main()
