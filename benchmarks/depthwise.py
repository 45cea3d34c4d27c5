"""Depthwise and grouped conv2d kernels alone (forward, input gradient, weight gradient) at
course shapes, float32, one thread: glassgrad's kernels on batch-last arrays (as a network
hands them over) and PyTorch's (when installed) alternated in one process; best and median of
15 rounds of a few calls each, µs. `--base FILE` adds a second copy of autograd/ops/conv.py
(e.g. `git show main:autograd/ops/conv.py`, its `..graph` import made absolute) as "base".

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/depthwise.py \
        [--base /tmp/base_conv.py] [--only dw|grouped|block] [--rounds 15]
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np

import autograd
from autograd.ops import conv as conv_ops

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None

# (name, x shape (N, C, H, W), out channels, kernel, stride, padding, dilation, groups)
DEPTHWISE = [
    ("dw 3x3 s1", (32, 32, 32, 32), 32, 3, 1, 1, 1, 32),
    ("dw 3x3 s1", (16, 64, 16, 16), 64, 3, 1, 1, 1, 64),
    ("dw 3x3 s1", (64, 128, 7, 7), 128, 3, 1, 1, 1, 128),
    ("dw 3x3 s2", (32, 64, 32, 32), 64, 3, 2, 1, 1, 64),
    ("dw 3x3 s2", (16, 128, 14, 14), 128, 3, 2, 1, 1, 128),
    ("dw 5x5 s1", (64, 16, 14, 14), 16, 5, 1, 2, 1, 16),
    ("dw 5x5 s1", (32, 96, 14, 14), 96, 5, 1, 2, 1, 96),
    ("dw 5x5 s2", (32, 48, 28, 28), 48, 5, 2, 2, 1, 48),
    ("dw 3x3 d2", (16, 64, 16, 16), 64, 3, 1, 2, 2, 64),
    ("dw x2 3x3 s1", (32, 32, 16, 16), 64, 3, 1, 1, 1, 32),
    ("dw x2 3x3 s2", (32, 32, 32, 32), 64, 3, 2, 1, 1, 32),
    ("dw x2 5x5 s1", (16, 64, 14, 14), 128, 5, 1, 2, 1, 64),
]
GROUPED = [
    ("g2 3x3 s1", (16, 64, 16, 16), 64, 3, 1, 1, 1, 2),
    ("g4 3x3 s1", (16, 64, 8, 8), 64, 3, 1, 1, 1, 4),
    ("g8 3x3 s1", (32, 64, 16, 16), 64, 3, 1, 1, 1, 8),
    ("g8 3x3 s2", (32, 64, 16, 16), 64, 3, 2, 1, 1, 8),
    ("g16 (4/g) 3x3 s1", (32, 64, 16, 16), 64, 3, 1, 1, 1, 16),
    ("g32 (2/g) 3x3 s1", (32, 64, 16, 16), 64, 3, 1, 1, 1, 32),
    ("g16 (8/g) 3x3 s1", (16, 128, 8, 8), 128, 3, 1, 1, 1, 16),
]


def load_base(path: str):
    spec = importlib.util.spec_from_file_location("base_conv", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def batch_last(a: np.ndarray) -> np.ndarray:
    return conv_ops.batch_first(np.ascontiguousarray(conv_ops.batch_to_end(a)))


def kernels(module, x, w, g, geo):
    return {"fwd": lambda: module.conv_forward(x, w, geo),
            "dx": lambda: module.conv_input_grad_forward(g, w, geo, x.shape),
            "dw": lambda: module.conv_weight_grad_forward(x, g, geo, w.shape)}


def torch_kernels(x, w, g, stride, padding, dilation, groups):
    tx, tw, tg = (torch.tensor(np.ascontiguousarray(a)) for a in (x, w, g))
    F = torch.nn.functional

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(
            tg, tx, tw, None, [stride] * 2, [padding] * 2, [dilation] * 2, False, [0, 0],
            groups, mask)

    def forward():
        with torch.no_grad():
            F.conv2d(tx, tw, None, stride, padding, dilation, groups)
    return {"fwd": forward, "dx": backward([True, False, False]),
            "dw": backward([False, True, False])}


def measure(engines: dict, rounds: int, budget: float = 0.004) -> dict:
    """{engine: (best, median) µs per call}, the engines alternated round by round."""
    for f in engines.values():                 # warm up, and how many calls fill the budget
        f()
    start = time.process_time()
    next(iter(engines.values()))()
    calls = max(1, min(50, int(budget / max(1e-6, time.process_time() - start))))
    times: dict = {name: [] for name in engines}
    for _ in range(rounds):
        for name, f in engines.items():
            start = time.process_time()
            for _ in range(calls):
                f()
            times[name].append((time.process_time() - start) / calls * 1e6)
    return {name: (min(t), float(np.median(t))) for name, t in times.items()}


def run_cases(cases, base, rounds):
    rng = np.random.default_rng(0)
    for name, xs, o, k, s, p, d, groups in cases:
        x = batch_last(rng.standard_normal(xs).astype(np.float32))
        w = rng.standard_normal((o, xs[1] // groups, k, k)).astype(np.float32)
        geo = conv_ops.Geometry((s, s), (p, p), (d, d), groups)
        g = batch_last(rng.standard_normal((xs[0], o) + geo.output_size(xs[2:], (k, k)))
                       .astype(np.float32))
        mine = kernels(conv_ops, x, w, g, geo)
        others = {"base": kernels(base, x, w, g, geo)} if base else {}
        theirs = torch_kernels(x, w, g, s, p, d, groups) if torch is not None else None
        cells = []
        for part in ("fwd", "dx", "dw"):
            engines = {"new": mine[part]}
            engines.update({b: v[part] for b, v in others.items()})
            if theirs:
                engines["torch"] = theirs[part]
            r = measure(engines, rounds)
            cells.append(" / ".join(f"{n} {b:.0f} ({m:.0f})" for n, (b, m) in r.items()))
        print(f"{name:18s} x{xs} O{o} | " + " | ".join(f"{part}: {c}" for part, c in
                                                         zip(("fwd", "dx", "dw"), cells)),
              flush=True)


def inverted_residual(rounds: int, steps: int = 20) -> None:
    """A MobileNetV2 block's training step (1x1 expand, BN, ReLU6, depthwise 3x3, BN, ReLU6,
    1x1 project, BN, residual), batch 32 of 32 x 32 x 32, expand 4; glassgrad and PyTorch
    alternated, median ms of `steps` steps per round (best round and median round)."""
    import nn
    from nn.optim import SGD
    c, e, n, hw = 32, 128, 32, 32
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((n, c, hw, hw)).astype(np.float32)

    def ours():
        block = nn.Sequential(nn.Conv2d(c, e, 1, bias=False), nn.BatchNorm2d(e), nn.ReLU6(),
                              nn.Conv2d(e, e, 3, padding=1, groups=e, bias=False),
                              nn.BatchNorm2d(e), nn.ReLU6(), nn.Conv2d(e, c, 1, bias=False),
                              nn.BatchNorm2d(c))
        opt = SGD(block.parameters(), lr=0.01)
        x = autograd.Tensor(x0)

        def step():
            opt.zero_grad()
            ((block(x) + x) ** 2).mean().backward()
            opt.step()
        return step

    def theirs():
        tn = torch.nn
        block = tn.Sequential(tn.Conv2d(c, e, 1, bias=False), tn.BatchNorm2d(e), tn.ReLU6(),
                              tn.Conv2d(e, e, 3, padding=1, groups=e, bias=False),
                              tn.BatchNorm2d(e), tn.ReLU6(), tn.Conv2d(e, c, 1, bias=False),
                              tn.BatchNorm2d(c))
        opt = torch.optim.SGD(block.parameters(), lr=0.01)
        x = torch.tensor(x0)

        def step():
            opt.zero_grad()
            ((block(x) + x) ** 2).mean().backward()
            opt.step()
        return step

    engines = {"glassgrad": ours()}
    if torch is not None:
        engines["torch"] = theirs()
    medians: dict = {name: [] for name in engines}
    for f in engines.values():
        for _ in range(3):
            f()
    for _ in range(rounds):
        for name, f in engines.items():
            t = []
            for _ in range(steps):
                start = time.process_time()
                f()
                t.append(time.process_time() - start)
            medians[name].append(float(np.median(t)) * 1e3)
    print("inverted residual step, ms: " + " / ".join(
        f"{name} {min(m):.2f} ({np.median(m):.2f})" for name, m in medians.items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base")
    parser.add_argument("--only", choices=["dw", "grouped", "block"])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    autograd.keep_freed_memory()
    base = load_base(args.base) if args.base else None
    if args.only in (None, "dw"):
        run_cases(DEPTHWISE, base, args.rounds)
    if args.only in (None, "grouped"):
        run_cases(GROUPED, base, args.rounds)
    if args.only in (None, "block"):
        inverted_residual(min(args.rounds, 5))


if __name__ == "__main__":
    main()
