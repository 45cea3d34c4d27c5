"""What activation checkpointing saves: one training step (forward, a mean-square loss,
backward) of a 16-layer MLP of width 1024 on a batch of 256 and of a stack of 6 transformer
encoder layers (d_model 256, 4 heads, feed-forward 1024, dropout 0.1, a batch of 8 sequences
of 128), without checkpointing, with each layer checkpointed, and with checkpoint_sequential in
4 segments; glassgrad, and PyTorch (use_reentrant=False) when installed.

Each configuration runs in a fresh process: the growth of the peak resident memory over the
first step (ru_maxrss, so it counts PyTorch's memory too), then the median time of 3 more
steps, then (glassgrad) tracemalloc's peak over one more step, which counts numpy's arrays.

    PYTHONPATH=. python benchmarks/checkpoint_memory.py [--only mlp|transformer] [--torch-only]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

MODES = ("none", "every layer", "sequential, 4 segments")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _glassgrad(model: str, mode: str) -> dict:
    import autograd
    import nn
    from autograd.utils.checkpoint import checkpoint, checkpoint_sequential
    autograd.manual_seed(0)
    if model == "mlp":
        blocks = [nn.Sequential(nn.Linear(1024, 1024), nn.ReLU()) for _ in range(16)]
        x = autograd.randn(256, 1024)
        call = {}
    else:
        blocks = [nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.1, batch_first=True)
                  for _ in range(6)]
        x = autograd.randn(8, 128, 256)
        call = {}
    seq = nn.Sequential(*blocks)

    def step() -> None:
        h = x
        if mode == "none":
            h = seq(h)
        elif mode == "every layer":
            for block in blocks:
                h = checkpoint(block, h, **call)
        else:
            h = checkpoint_sequential(seq, 4, h)
        loss = (h * h).mean()
        seq.zero_grad()
        loss.backward()

    return _measure(step, traced=True)


def _torch(model: str, mode: str) -> dict:
    import torch
    from torch.utils.checkpoint import checkpoint, checkpoint_sequential
    torch.manual_seed(0)
    if model == "mlp":
        blocks = [torch.nn.Sequential(torch.nn.Linear(1024, 1024), torch.nn.ReLU())
                  for _ in range(16)]
        x = torch.randn(256, 1024)
    else:
        blocks = [torch.nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.1, batch_first=True)
                  for _ in range(6)]
        x = torch.randn(8, 128, 256)
    seq = torch.nn.Sequential(*blocks)

    def step() -> None:
        h = x
        if mode == "none":
            h = seq(h)
        elif mode == "every layer":
            for block in blocks:
                h = checkpoint(block, h, use_reentrant=False)
        else:
            h = checkpoint_sequential(seq, 4, h, use_reentrant=False)
        loss = (h * h).mean()
        seq.zero_grad()
        loss.backward()

    return _measure(step, traced=False)


def _measure(step, traced: bool) -> dict:
    before = _rss_mb()
    step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    times = []
    for _ in range(3):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    result = {"rss_growth_mb": round(peak), "ms": round(1000 * statistics.median(times))}
    if traced:
        tracemalloc.start()
        step()
        result["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=("mlp", "transformer"))
    parser.add_argument("--one", nargs=3, metavar=("LIB", "MODEL", "MODE"))
    parser.add_argument("--torch-only", action="store_true")
    args = parser.parse_args()
    if args.one:
        lib, model, mode = args.one
        print(json.dumps((_glassgrad if lib == "glassgrad" else _torch)(model, mode)))
        return
    for model in ("mlp", "transformer"):
        if args.only and model != args.only:
            continue
        for mode in MODES:
            for lib in (("torch",) if args.torch_only else ("glassgrad", "torch")):
                out = subprocess.run([sys.executable, __file__, "--one", lib, model, mode],
                                     capture_output=True, text=True)
                print(model, "|", mode, "|", lib, "|",
                      out.stdout.strip() or out.stderr.strip()[-300:], flush=True)


if __name__ == "__main__":
    main()
