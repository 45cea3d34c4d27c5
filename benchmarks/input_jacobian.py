"""The Jacobian of a model's output in its input, with the weights requiring grad: each pass
computing the weights' gradients too (before s34) against the narrowed pass (Op.narrow).

    python -m benchmarks.input_jacobian [--rounds 7]

Two models of the flows trial (float32, fixed seeds): MADE's three masked linear layers
64-128-128-64 on one input of 64, and a PixelCNN of three masked convolutions (16 channels)
and a 1x1 head on one 8x8 image; each Jacobian is 64 x 64, one backward pass per row. One
process, the two variants alternated call by call (the old one by turning the narrowing off);
medians with min-max over the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time

import autograd
import autograd.higher_order as higher_order
import nn
from autograd.functional import jacobian


def _models() -> dict:
    autograd.manual_seed(0)
    made = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, 64))
    pixel = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(),
                          nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 1, 1))
    return {"MADE 64x64": (lambda v: made(v[None])[0], autograd.rand(64)),
            "PixelCNN 64x64": (pixel, autograd.rand(1, 1, 8, 8))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    narrow = higher_order._narrow_to
    variants = {"all grads": lambda nodes, inputs: [], "narrowed": narrow}
    times: dict = {}
    try:
        for _ in range(args.rounds):
            for name, (f, x) in _models().items():
                for label, variant in variants.items():
                    higher_order._narrow_to = variant
                    jacobian(f, x)                              # warm
                    start = time.perf_counter()
                    for _ in range(3):
                        jacobian(f, x)
                    times.setdefault((name, label), []).append(
                        (time.perf_counter() - start) / 3 * 1e3)
    finally:
        higher_order._narrow_to = narrow
    for (name, label), ms in times.items():
        print(f"{name:15s} {label:9s} median {statistics.median(ms):6.1f} ms "
              f"(min {min(ms):.1f}, max {max(ms):.1f})")


if __name__ == "__main__":
    main()
