"""The smooth activations' forward and forward + backward (ms, best of 7, one thread, CPU time
of the thread) on float32 and float64, (4096, 512) and (32, 128, 32, 32), beside the numpy
floor (the plainest numpy of the same forward) and PyTorch's (docs/measurements.md, s31
transcendental). `--trees A,B` runs this file once per tree in turn (`--rounds` times,
alternating, each in its own process with that tree first on sys.path) and prints the best of
each row per tree: before/after comparisons on one shared host.

    OPENBLAS_NUM_THREADS=1 python benchmarks/transcendental.py --trees /tmp/base,. --rounds 2
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

SHAPES = {"flat": (4096, 512), "image": (32, 128, 32, 32)}
NAMES = ("gelu", "gelu_tanh", "erf", "erfc", "sigmoid", "silu", "softplus", "logsigmoid", "mish",
         "elu", "selu", "celu", "glu", "softmax", "log_softmax")


def best(fn, n=7):
    fn()
    times = []
    for _ in range(n):
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return min(times) * 1e3


def cases(np, torch, F, special_erf):
    TF = torch.nn.functional

    def sig(x):
        return 1 / (1 + np.exp(-x))

    def softplus(x):
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    def log_softmax(x):
        z = x - x.max(-1, keepdims=True)
        return z - np.log(np.exp(z).sum(-1, keepdims=True))

    def gelu_tanh(x):
        c = x.dtype.type
        return c(0.5) * x * (1 + np.tanh(c(0.7978845608028654) * (x + c(0.044715) * x * x * x)))

    a, s = 1.6732632423543772, 1.0507009873554805
    return {
        "gelu": (lambda x: F.gelu(x), lambda x: x * (0.5 * (1 + special_erf(x * x.dtype.type(0.7071067811865476)))), TF.gelu),
        "gelu_tanh": (lambda x: F.gelu(x, "tanh"), gelu_tanh, lambda x: TF.gelu(x, approximate="tanh")),
        "erf": (lambda x: x.erf(), special_erf, torch.erf),
        "erfc": (lambda x: x.erfc(), lambda x: 1 - special_erf(x), torch.erfc),
        "sigmoid": (lambda x: x.sigmoid(), sig, torch.sigmoid),
        "silu": (F.silu, lambda x: x * sig(x), TF.silu),
        "softplus": (F.softplus, softplus, TF.softplus),
        "logsigmoid": (F.logsigmoid, lambda x: -softplus(-x), TF.logsigmoid),
        "mish": (F.mish, lambda x: x * np.tanh(softplus(x)), TF.mish),
        "elu": (F.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), TF.elu),
        "selu": (F.selu, lambda x: s * np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))), TF.selu),
        "celu": (lambda x: F.celu(x, 2.0), lambda x: np.where(x > 0, x, 2 * np.expm1(np.minimum(x, 0) / 2)), lambda x: TF.celu(x, 2.0)),
        "glu": (lambda x: F.glu(x, 1), lambda x: (lambda p, q: p * sig(q))(*np.split(x, 2, 1)), lambda x: TF.glu(x, 1)),
        "softmax": (lambda x: F.softmax(x, -1), softmax, lambda x: TF.softmax(x, -1)),
        "log_softmax": (lambda x: F.log_softmax(x, -1), log_softmax, lambda x: TF.log_softmax(x, -1)),
    }


def measure(names, shapes, dtypes, with_reference):
    import numpy as np
    import torch
    from scipy.special import erf as special_erf       # (only the floor of erf and gelu)
    torch.set_num_threads(1)
    import autograd
    from autograd import Tensor
    import nn.functional as F
    autograd.keep_freed_memory()        # (page faults of fresh 16 MB arrays otherwise: both)
    table = cases(np, torch, F, special_erf)
    rng = np.random.default_rng(0)
    results = {}
    for shape_name in shapes:
        shape = SHAPES[shape_name]
        for dtype in dtypes:
            xn = (rng.standard_normal(shape) * 3).astype(dtype)
            gn = rng.standard_normal(shape).astype(dtype)
            for name in names:
                ours, floor, theirs = table[name]
                xt, xg = Tensor(xn), Tensor(xn, requires_grad=True)
                y = ours(xg)
                g = gn[tuple(slice(0, n) for n in y.shape)].copy()

                def forward_backward():
                    xg.grad = None
                    ours(xg).backward(g)
                row = {"fwd": best(lambda: ours(xt)), "fb": best(forward_backward)}
                if with_reference:
                    tx = torch.from_numpy(xn)
                    txg = torch.from_numpy(xn.copy()).requires_grad_()
                    tg = torch.from_numpy(g)

                    def torch_forward_backward():
                        txg.grad = None
                        theirs(txg).backward(tg)
                    row.update(floor=best(lambda: floor(xn)), torch=best(lambda: theirs(tx)),
                               torch_fb=best(torch_forward_backward))
                results[f"{name} {np.dtype(dtype).name} {shape_name}"] = row
                print(name, np.dtype(dtype).name, shape_name,
                      " ".join(f"{k} {v:.2f}" for k, v in row.items()), file=sys.stderr, flush=True)
    return results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--names", default=",".join(NAMES))
    p.add_argument("--shapes", default="flat,image")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--trees", default="")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--json", default="")
    p.add_argument("--no-reference", action="store_true")
    a = p.parse_args()
    if not a.trees:
        res = measure(a.names.split(","), a.shapes.split(","), a.dtypes.split(","),
                      not a.no_reference)
        print(json.dumps(res))
        return
    trees = [os.path.abspath(t) for t in a.trees.split(",")]
    merged = {}
    for r in range(a.rounds):
        for i, tree in enumerate(trees):
            args = [sys.executable, os.path.abspath(__file__), "--names", a.names, "--shapes",
                    a.shapes, "--dtypes", a.dtypes] + (["--no-reference"] if i or r else [])
            env = dict(os.environ, PYTHONPATH=tree)
            out = subprocess.run(args, env=env, cwd=tree, capture_output=True, text=True,
                                 check=True).stdout
            for key, row in json.loads(out.strip().splitlines()[-1]).items():
                into = merged.setdefault(key, {})
                for k, v in row.items():
                    col = k if k in ("floor", "torch", "torch_fb") else f"{k}[{i}]"
                    into[col] = min(v, into.get(col, v))
    cols = sorted({c for row in merged.values() for c in row})
    print("| case | " + " | ".join(cols) + " |")
    for key, row in merged.items():
        print(f"| {key} | " + " | ".join(f"{row.get(c, float('nan')):.1f}" for c in cols) + " |")
    if a.json:
        json.dump(merged, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
