"""Every activation's forward and forward + backward (ms, best of 7, one thread) on float32
(32, 128, 32, 32) and (64, 512), beside a numpy floor (the plainest numpy expression of the
forward) and PyTorch's (docs/measurements.md, s31 activations). Needs torch (and scipy, for
the exact GELU's floor). `--keep` calls autograd.keep_freed_memory() first.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/activations.py --keep --shapes big

`--trees A,B` instead alternates two checkouts' activations in one process without torch
(step_overhead.py's Tree; the order flipped every round), and `--torch-only` times PyTorch's
alone in a process of its own: CPU time of the thread, ms a call, median [min-max] over
`--rounds` rounds of `--calls` calls, on a float32 N(0, 1) input of `--shape`, with
keep_freed_memory (docs/measurements.md, s33 gelu):

    python benchmarks/activations.py --trees /tmp/base,. --names gelu --shape 1024,256
    python benchmarks/activations.py --torch-only --names gelu --shape 1024,256
"""
import os, sys, time, json, statistics
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np

# the cases of --trees / --torch-only: name -> (call on nn.functional's module, the same on torch's)
ALTERNATED = {
 "gelu": (lambda F, x: F.gelu(x), lambda TF, x: TF.gelu(x)),
 "gelu_tanh": (lambda F, x: F.gelu(x, "tanh"), lambda TF, x: TF.gelu(x, approximate="tanh")),
 "silu": (lambda F, x: F.silu(x), lambda TF, x: TF.silu(x)),
}


def _cpu_ms(fn, calls):
    fn()
    start = time.thread_time()
    for _ in range(calls):
        fn()
    return (time.thread_time() - start) / calls * 1e3


def _report(label, times):
    print(f"{label:34s} {statistics.median(times):8.3f} [{min(times):.3f}-{max(times):.3f}] ms",
          flush=True)


def alternate_trees(paths, names, shape, rounds, calls, dtype):
    """Each tree's forward (no grad) and forward + backward(g), tree by tree, round by round."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from step_overhead import Tree
    trees = [Tree(p) for p in paths]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    cases = {}
    for tree in trees:
        tree.enter()
        assert tree.lib.autograd.keep_freed_memory()
        lib = tree.lib
        for name in names:
            ours = ALTERNATED[name][0]

            def fwd(lib=lib, ours=ours):
                ours(lib.F, lib.tensor(x))

            def fb(lib=lib, ours=ours):
                t = lib.tensor(x, requires_grad=True)
                ours(lib.F, t).backward(g)
            cases[tree.path, name] = (tree, fwd, fb)
    times = {key + (kind,): [] for key in cases for kind in ("fwd", "fwd+bwd")}
    for r in range(rounds):
        for key in (list(cases) if r % 2 == 0 else list(cases)[::-1]):
            tree, fwd, fb = cases[key]
            tree.enter()
            times[key + ("fwd",)].append(_cpu_ms(fwd, calls))
            times[key + ("fwd+bwd",)].append(_cpu_ms(fb, calls))
    for (path, name, kind), t in times.items():
        _report(f"{os.path.basename(path) or path} {name} {kind}", t)


def torch_only(names, shape, rounds, calls, dtype):
    import torch
    import torch.nn.functional as TF
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal(shape).astype(dtype))
    g = torch.from_numpy(rng.standard_normal(shape).astype(dtype))
    for name in names:
        theirs = ALTERNATED[name][1]

        def fb():
            t = x.clone().requires_grad_()
            theirs(TF, t).backward(g)
        fwd_t, fb_t = [], []
        for _ in range(rounds):
            fwd_t.append(_cpu_ms(lambda: theirs(TF, x), calls))
            fb_t.append(_cpu_ms(fb, calls))
        _report(f"torch {name} fwd", fwd_t)
        _report(f"torch {name} fwd+bwd", fb_t)


if __name__ == "__main__" and ("--trees" in sys.argv or "--torch-only" in sys.argv):
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--trees", default="")
    p.add_argument("--torch-only", action="store_true")
    p.add_argument("--names", default="gelu")
    p.add_argument("--shape", default="1024,256")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--calls", type=int, default=10)
    a = p.parse_args()
    shape = tuple(int(s) for s in a.shape.split(","))
    if a.torch_only:
        torch_only(a.names.split(","), shape, a.rounds, a.calls, a.dtype)
    else:
        alternate_trees(a.trees.split(","), a.names.split(","), shape, a.rounds, a.calls, a.dtype)
    sys.exit(0)

import torch
torch.set_num_threads(1)
from autograd import Tensor
import nn.functional as F
import torch.nn.functional as TF
from scipy.special import erf as sp_erf  # only for numpy floor of gelu

def best(fn, n=7):
    fn()
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts) * 1e3

def npsm(x, ax):
    e = np.exp(x - x.max(ax, keepdims=True)); return e / e.sum(ax, keepdims=True)

def nplsm(x, ax):
    z = x - x.max(ax, keepdims=True); return z - np.log(np.exp(z).sum(ax, keepdims=True))

A = 1.6732632423543772; S = 1.0507009873554805
def npsig(x): return 1 / (1 + np.exp(-x))
def npsoftplus(x): return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)
CASES = {
 "relu": (lambda x: F.relu(x), lambda x: np.maximum(x, 0), lambda x: TF.relu(x)),
 "relu6": (lambda x: F.relu6(x), lambda x: np.clip(x, 0, 6), lambda x: TF.relu6(x)),
 "hardtanh": (lambda x: F.hardtanh(x), lambda x: np.clip(x, -1, 1), lambda x: TF.hardtanh(x)),
 "hardsigmoid": (lambda x: F.hardsigmoid(x), lambda x: np.clip(x + 3, 0, 6) / 6, lambda x: TF.hardsigmoid(x)),
 "hardswish": (lambda x: F.hardswish(x), lambda x: x * np.clip(x + 3, 0, 6) / 6, lambda x: TF.hardswish(x)),
 "leaky_relu": (lambda x: F.leaky_relu(x, 0.01), lambda x: np.maximum(x, x * np.float32(0.01)), lambda x: TF.leaky_relu(x, 0.01)),
 "elu": (lambda x: F.elu(x), lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), lambda x: TF.elu(x)),
 "selu": (lambda x: F.selu(x), lambda x: S * np.where(x > 0, x, A * np.expm1(np.minimum(x, 0))), lambda x: TF.selu(x)),
 "celu": (lambda x: F.celu(x, 2.0), lambda x: np.where(x > 0, x, 2 * np.expm1(np.minimum(x, 0) / 2)), lambda x: TF.celu(x, 2.0)),
 "gelu": (lambda x: F.gelu(x), lambda x: x * (0.5 * (1 + sp_erf(x / np.float32(np.sqrt(2))))), lambda x: TF.gelu(x)),
 "gelu_tanh": (lambda x: F.gelu(x, "tanh"), lambda x: 0.5 * x * (1 + np.tanh(np.float32(0.7978845608) * (x + np.float32(0.044715) * x * x * x))), lambda x: TF.gelu(x, approximate="tanh")),
 "silu": (lambda x: F.silu(x), lambda x: x * npsig(x), lambda x: TF.silu(x)),
 "mish": (lambda x: F.mish(x), lambda x: x * np.tanh(npsoftplus(x)), lambda x: TF.mish(x)),
 "softplus": (lambda x: F.softplus(x), lambda x: npsoftplus(x), lambda x: TF.softplus(x)),
 "softsign": (lambda x: F.softsign(x), lambda x: x / (1 + np.abs(x)), lambda x: TF.softsign(x)),
 "tanhshrink": (lambda x: F.tanhshrink(x), lambda x: x - np.tanh(x), lambda x: TF.tanhshrink(x)),
 "threshold": (lambda x: F.threshold(x, 0.1, 20.0), lambda x: np.where(x > 0.1, x, np.float32(20)), lambda x: TF.threshold(x, 0.1, 20.0)),
 "hardshrink": (lambda x: F.hardshrink(x), lambda x: np.where(np.abs(x) > 0.5, x, np.float32(0)), lambda x: TF.hardshrink(x)),
 "softshrink": (lambda x: F.softshrink(x), lambda x: np.sign(x) * np.maximum(np.abs(x) - np.float32(0.5), 0), lambda x: TF.softshrink(x)),
 "logsigmoid": (lambda x: F.logsigmoid(x), lambda x: -npsoftplus(-x), lambda x: TF.logsigmoid(x)),
 "sigmoid": (lambda x: F.sigmoid(x), lambda x: npsig(x), lambda x: torch.sigmoid(x)),
 "tanh": (lambda x: F.tanh(x), lambda x: np.tanh(x), lambda x: torch.tanh(x)),
 "prelu": (lambda x, w=None: F.prelu(x, PW), lambda x: np.where(x > 0, x, x * np.float32(0.25)), lambda x: TF.prelu(x, TPW)),
 "glu": (lambda x: F.glu(x, 1), lambda x: (lambda a, b: a * npsig(b))(*np.split(x, 2, 1)), lambda x: TF.glu(x, 1)),
 "softmax_last": (lambda x: F.softmax(x, -1), lambda x: npsm(x, -1), lambda x: TF.softmax(x, -1)),
 "softmax_1": (lambda x: F.softmax(x, 1), lambda x: npsm(x, 1), lambda x: TF.softmax(x, 1)),
 "log_softmax_last": (lambda x: F.log_softmax(x, -1), lambda x: nplsm(x, -1), lambda x: TF.log_softmax(x, -1)),
 "log_softmax_1": (lambda x: F.log_softmax(x, 1), lambda x: nplsm(x, 1), lambda x: TF.log_softmax(x, 1)),
}
PW = None; TPW = None
SHAPES = {"big": (32, 128, 32, 32), "small": (64, 512)}

def run(names, shapes, out):
    global PW, TPW
    rng = np.random.default_rng(0)
    res = {}
    for sk in shapes:
        shape = SHAPES[sk]
        xn = (rng.standard_normal(shape) * 3).astype(np.float32)
        gn = rng.standard_normal(shape).astype(np.float32)
        PW = Tensor(np.full(shape[1], 0.25, np.float32), requires_grad=True)
        TPW = torch.full((shape[1],), 0.25, requires_grad=True)
        for name in names:
            ours, floor, theirs = CASES[name]
            xt = Tensor(xn)
            xg = Tensor(xn, requires_grad=True)
            y0 = ours(xg); g = gn[tuple(slice(0, s) for s in y0.shape)].copy()
            def fb():
                xg.grad = None
                ours(xg).backward(g)
            tx = torch.from_numpy(xn); txg = torch.from_numpy(xn.copy()).requires_grad_()
            tg = torch.from_numpy(g)
            def tfb():
                txg.grad = None
                theirs(txg).backward(tg)
            r = dict(fwd=best(lambda: ours(xt)), fb=best(fb), np=best(lambda: floor(xn)),
                     tf=best(lambda: theirs(tx)), tfb=best(tfb))
            res[f"{name}/{sk}"] = r
            print(f"{name:18s} {sk:5s} fwd {r['fwd']:8.2f} fb {r['fb']:8.2f} | np {r['np']:7.2f} | torch {r['tf']:7.2f} {r['tfb']:7.2f}  ratio fwd/np {r['fwd']/r['np']:5.1f} fb/tfb {r['fb']/r['tfb']:5.1f}", flush=True)
    if out:
        json.dump(res, open(out, "w"), indent=1)

if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser(); p.add_argument("--names", default=",".join(CASES)); p.add_argument("--shapes", default="big,small"); p.add_argument("--out", default=""); p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    if a.keep:
        import autograd; assert autograd.keep_freed_memory()
    run(a.names.split(","), a.shapes.split(","), a.out)
