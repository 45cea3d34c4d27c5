"""T1's step (MLP 784-100-10 on MNIST, F.linear + relu + F.cross_entropy, SGD on .data) of two
or more glassgrad trees against numpy by hand, all in one process, taking turns step by step
(who goes first rotates): an engine change's effect on T1 without the drift between processes.

    OPENBLAS_NUM_THREADS=1 python benchmarks/t1_trees.py /tmp/base,. [--batch 16] [--steps 3000]

Each tree's `autograd` and `nn` are loaded side by side (step_overhead.py's `Tree`). Prints each
tree's median step, its ratio to numpy's step taken right before or after it (the median of the
step-by-step ratios), and the lowest and highest of 8 chunks' medians of that ratio.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402  (after the thread setting)

from benchmarks import mnist  # noqa: E402
from benchmarks.step_overhead import Tree  # noqa: E402
from benchmarks.workloads import GlassgradMLP, NumpyMLP  # noqa: E402


class TreeMLP(GlassgradMLP):
    """benchmarks/workloads.py's GlassgradMLP (its step), built from one tree's own modules."""

    def __init__(self, tree: Tree, params: list) -> None:
        self.tree, lib = tree, tree.lib
        self.Tensor, self.F = lib.tensor, lib.autograd.functional
        layers = []
        for W, b in ((params[0], params[1]), (params[2], params[3])):
            layer = lib.nn.Linear(*W.shape, dtype=W.dtype)
            layer.load_state_dict({"weight": W.T, "bias": b})
            layers.append(layer)
        self.params = [p for layer in layers for p in (layer.weight, layer.bias)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", help="glassgrad checkouts, comma-separated")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--mnist", default=os.environ.get("GLASSGRAD_MNIST_DIR"))
    args = parser.parse_args()
    x, y, _ = mnist.load_data(args.mnist)
    params = mnist.init_params(0)
    models = {path: TreeMLP(Tree(path), params) for path in args.trees.split(",")}
    models["numpy"] = NumpyMLP(params)
    names, times = list(models), {name: [] for name in models}
    gc.collect()
    for i in range(args.steps):
        xb, yb = mnist.batch(x, y, args.batch, i)
        k = i % len(names)
        for name in names[k:] + names[:k]:
            model = models[name]
            if name != "numpy":
                model.tree.enter()
            start = time.perf_counter()
            model.step(xb, yb)
            times[name].append(time.perf_counter() - start)
    skip = args.steps // 10                             # warm-up steps left out
    numpy_steps = np.array(times["numpy"][skip:])
    for name in names:
        steps = np.array(times[name][skip:])
        line = f"{name:40s} median {np.median(steps) * 1e6:8.1f} µs"
        if name != "numpy":
            ratios = steps / numpy_steps
            chunks = [np.median(chunk) for chunk in np.array_split(ratios, 8)]
            line += (f"   ours/numpy {np.median(ratios):.3f} "
                     f"(chunks {min(chunks):.3f}-{max(chunks):.3f})")
        print(line)


if __name__ == "__main__":
    main()
