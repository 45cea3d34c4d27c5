"""Small per-call costs a PyTorch user meets (docs/measurements.md, "overhead", s32):
`parameters()` and `named_parameters()`, `swapaxes` / `transpose`, `lerp_`,
`zero_grad(set_to_none=False)`, threshold and hardshrink on 4M floats, and the phases of a
2-layer MLP's training step (forward + loss, backward, step, zero_grad) with SGD and Adam.

`--trees A,B` loads each tree's `autograd` and `nn` as a copy of its own in this one process
and alternates them case by case, round by round (the order flipped every round): before/after
numbers on a shared host, without the drift between two processes. `--torch` times the same
cases on PyTorch instead (run it as a process of its own: its thread pool keeps a core busy
after it). CPU time of the thread, µs a call: median and min-max over `--rounds` rounds.

    OPENBLAS_NUM_THREADS=1 python benchmarks/step_overhead.py --trees /tmp/base,. --rounds 9
    OPENBLAS_NUM_THREADS=1 python benchmarks/step_overhead.py --torch --rounds 9

`--keep` calls `autograd.keep_freed_memory()` first: without it every fresh 16 MB array of the
activations' rows is paged in afresh (a millisecond or more), as docs/measurements.md's s31
activations note.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from types import SimpleNamespace
from typing import Any, Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread setting)

OURS = ("autograd", "nn")
BIG = (32, 128, 32, 32)     # 4M float32: the activations' size in docs/measurements.md


class Tree:
    """One checkout's `autograd` and `nn`, imported apart from any other tree's: entering it
    puts its modules in sys.modules (functions that import lazily find their own tree)."""

    current: Tree | None = None

    def __init__(self, path: str) -> None:
        path = os.path.abspath(path)
        Tree._leave()
        sys.path.insert(0, path)
        try:
            autograd = importlib.import_module("autograd")
            nn = importlib.import_module("nn")
            functional = importlib.import_module("nn.functional")
            importlib.import_module("nn.optim")
        finally:
            sys.path.remove(path)
        if not autograd.__file__.startswith(path):
            raise RuntimeError(f"{path}: imported {autograd.__file__} instead")
        self.path, self.modules = path, {}
        self.lib = SimpleNamespace(torch=None, autograd=autograd, nn=nn, F=functional,
                                   tensor=autograd.Tensor, no_grad=autograd.no_grad)
        Tree.current = self

    @staticmethod
    def _leave() -> None:
        """Take the entered tree's modules (and any it imported since) out of sys.modules."""
        names = [name for name in sys.modules if name.split(".")[0] in OURS]
        taken = {name: sys.modules.pop(name) for name in names}
        if Tree.current is not None:
            Tree.current.modules = taken
        Tree.current = None

    def enter(self) -> None:
        if Tree.current is not self:
            Tree._leave()
            sys.modules.update(self.modules)
            Tree.current = self


def torch_lib() -> SimpleNamespace:
    import torch
    torch.set_num_threads(1)
    return SimpleNamespace(torch=torch, nn=torch.nn, F=torch.nn.functional,
                           tensor=lambda a, requires_grad=False: torch.tensor(
                               a, requires_grad=requires_grad), no_grad=torch.no_grad)


# -- the models ----------------------------------------------------------------------------------

def mlp(lib: Any, sizes: tuple[int, ...]) -> Any:
    """Linear layers of `sizes`, a ReLU between two."""
    parts: list = []
    for i in range(len(sizes) - 1):
        parts += [lib.nn.Linear(sizes[i], sizes[i + 1]), lib.nn.ReLU()]
    return lib.nn.Sequential(*parts[:-1])


def encoder(lib: Any) -> Any:
    """benchmarks/overhead.py's transformer: an embedding, two encoder layers (d_model 16), a
    ModuleDict of two heads; 30 parameters."""
    n = lib.nn
    model = n.Module()
    model.embed = n.Embedding(50, 16)
    model.encoder = n.TransformerEncoder(
        n.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0), num_layers=2)
    model.heads = n.ModuleDict({"tag": n.Linear(16, 5), "score": n.Linear(16, 1)})
    return model


def with_grads(lib: Any, model: Any) -> Any:
    """`model` with a gradient of 1e-3 · N(0, 1) on every parameter."""
    rng = np.random.default_rng(0)
    for p in model.parameters():
        g = (rng.standard_normal(tuple(p.shape)) * 1e-3).astype(np.float32)
        p.grad = lib.torch.from_numpy(g) if lib.torch else g
    return model


# -- the cases: name -> (calls a chunk, make(lib) -> the call) -----------------------------------

def _parameters(name: str, named: bool) -> Callable:
    def make(lib: Any) -> Callable:
        model = mlp(lib, (8, 16, 16, 1)) if name == "mlp3" else encoder(lib)
        return (lambda: list(model.named_parameters())) if named else \
            (lambda: list(model.parameters()))
    return make


def _walks(call: str) -> Callable:
    """The other calls that walk the transformer: train(), state_dict(), requires_grad_()."""
    def make(lib: Any) -> Callable:
        model = encoder(lib)
        return {"train": model.train, "state_dict": model.state_dict,
                "requires_grad_": model.requires_grad_}[call]
    return make


def _shape(call: str, grad: bool) -> Callable:
    def make(lib: Any) -> Callable:
        x = lib.tensor(np.zeros((4, 8, 16), np.float32), requires_grad=grad)
        return {"swapaxes": lambda: x.swapaxes(1, 2), "transpose": lambda: x.transpose(-2, -1),
                "permute": lambda: x.permute(0, 2, 1)}[call]
    return make


def _lerp(lib: Any) -> Callable:
    p = lib.nn.Parameter(lib.tensor(np.ones((16, 16), np.float32)))
    q = lib.tensor(np.zeros((16, 16), np.float32))

    def call() -> None:
        with lib.no_grad():
            p.lerp_(q, 0.001)
    return call


def _zero_grad_keep(sizes: tuple[int, ...], via: str) -> Callable:
    """model.zero_grad(set_to_none=False) (or with None) or the optimizer's, of gradients set
    once (zeroed after the first call)."""
    def make(lib: Any) -> Callable:
        model = with_grads(lib, mlp(lib, sizes))
        if via == "model":
            return lambda: model.zero_grad(set_to_none=False)
        if via == "model, to None":
            return model.zero_grad
        optimizer = (lib.torch.optim if lib.torch else lib.nn.optim).SGD(
            model.parameters(), lr=0.1)
        return lambda: optimizer.zero_grad(set_to_none=False)
    return make


def _step_only(sizes: tuple[int, ...], kind: str) -> Callable:
    """An optimizer's step() alone, on gradients set once (its state made by a first step)."""
    def make(lib: Any) -> Callable:
        params = list(with_grads(lib, mlp(lib, sizes)).parameters())
        optim = lib.torch.optim if lib.torch else lib.nn.optim
        opt = {"SGD": lambda: optim.SGD(params, lr=1e-6),
               "momentum": lambda: optim.SGD(params, lr=1e-6, momentum=0.9),
               "Adam": lambda: optim.Adam(params, lr=1e-6),
               "AdamW": lambda: optim.AdamW(params, lr=1e-6)}[kind]()
        opt.step()
        return opt.step
    return make


def _activation(which: str, backward: bool) -> Callable:
    def make(lib: Any) -> Callable:
        rng = np.random.default_rng(1)
        x = lib.tensor(rng.standard_normal(BIG).astype(np.float32), requires_grad=backward)
        g = rng.standard_normal(BIG).astype(np.float32)
        g = lib.torch.from_numpy(g) if lib.torch else g
        f = {"threshold": lambda t: lib.F.threshold(t, 0.1, 20.0),
             "Threshold": lib.nn.Threshold(0.1, 20.0),
             "hardshrink": lambda t: lib.F.hardshrink(t, 0.5)}[which]
        if not backward:
            return lambda: f(x)

        def call() -> None:
            f(x).backward(g)
            x.grad = None
        return call
    return make


def _train(sizes: tuple[int, ...], optimizer: str) -> Callable:
    """One training step, timed by phase: returns the call and the phases' clock."""
    def make(lib: Any) -> Callable:
        rng = np.random.default_rng(2)
        model = mlp(lib, sizes)
        loss_fn = lib.nn.CrossEntropyLoss()
        optim = lib.torch.optim if lib.torch else lib.nn.optim
        opt = optim.SGD(model.parameters(), lr=1e-3) if optimizer == "SGD" else \
            optim.Adam(model.parameters(), lr=1e-3)
        x = lib.tensor(rng.standard_normal((16, sizes[0])).astype(np.float32))
        y = rng.integers(0, sizes[-1], 16)
        y = lib.torch.from_numpy(y) if lib.torch else y
        clock = time.thread_time
        phases = [0.0] * 4

        def call() -> None:
            t0 = clock()
            loss = loss_fn(model(x), y)
            t1 = clock()
            loss.backward()
            t2 = clock()
            opt.step()
            t3 = clock()
            opt.zero_grad()
            t4 = clock()
            phases[0] += t1 - t0
            phases[1] += t2 - t1
            phases[2] += t3 - t2
            phases[3] += t4 - t3
        call.phases = phases        # type: ignore[attr-defined]
        return call
    return make


CASES: dict[str, tuple[int, Callable]] = {
    "parameters() mlp3": (500, _parameters("mlp3", False)),
    "named_parameters() mlp3": (500, _parameters("mlp3", True)),
    "parameters() transformer": (200, _parameters("transformer", False)),
    "named_parameters() transformer": (200, _parameters("transformer", True)),
    "train() transformer": (200, _walks("train")),
    "state_dict() transformer": (200, _walks("state_dict")),
    "requires_grad_() transformer": (200, _walks("requires_grad_")),
    "swapaxes(1, 2)": (2000, _shape("swapaxes", False)),
    "transpose(-2, -1)": (2000, _shape("transpose", False)),
    "transpose(-2, -1), requires grad": (2000, _shape("transpose", True)),
    "permute(0, 2, 1)": (2000, _shape("permute", False)),
    "lerp_ (16, 16) under no_grad": (2000, _lerp),
    "model.zero_grad(False) mlp3": (500, _zero_grad_keep((8, 16, 16, 1), "model")),
    "model.zero_grad() mlp3": (500, _zero_grad_keep((8, 16, 16, 1), "model, to None")),
    "optimizer.zero_grad(False) mlp3": (500, _zero_grad_keep((8, 16, 16, 1), "optimizer")),
    "optimizer.zero_grad(False) 784-100-10": (500, _zero_grad_keep((784, 100, 10), "optimizer")),
    "SGD.step() 32-64-10": (500, _step_only((32, 64, 10), "SGD")),
    "SGD(momentum).step() 32-64-10": (500, _step_only((32, 64, 10), "momentum")),
    "Adam.step() 32-64-10": (500, _step_only((32, 64, 10), "Adam")),
    "AdamW.step() 32-64-10": (500, _step_only((32, 64, 10), "AdamW")),
    "SGD.step() 784-100-10": (300, _step_only((784, 100, 10), "SGD")),
    "SGD(momentum).step() 784-100-10": (300, _step_only((784, 100, 10), "momentum")),
    "Adam.step() 784-100-10": (200, _step_only((784, 100, 10), "Adam")),
    "AdamW.step() 784-100-10": (200, _step_only((784, 100, 10), "AdamW")),
    "F.threshold fwd": (1, _activation("threshold", False)),
    "nn.Threshold fwd": (1, _activation("Threshold", False)),
    "F.hardshrink fwd": (1, _activation("hardshrink", False)),
    "F.threshold fwd+bwd": (1, _activation("threshold", True)),
    "F.hardshrink fwd+bwd": (1, _activation("hardshrink", True)),
    "step SGD 32-64-10": (300, _train((32, 64, 10), "SGD")),
    "step Adam 32-64-10": (300, _train((32, 64, 10), "Adam")),
    "step SGD 784-100-10": (100, _train((784, 100, 10), "SGD")),
    "step Adam 784-100-10": (100, _train((784, 100, 10), "Adam")),
}
PHASES = ("forward + loss", "backward", "step", "zero_grad")


def timed(call: Callable, calls: int) -> list[float]:
    """µs a call of one chunk: [the whole call] + [each phase] for a training step."""
    phases = getattr(call, "phases", None)
    if phases is not None:
        phases[:] = [0.0] * len(phases)
    start = time.thread_time()
    for _ in range(calls):
        call()
    whole = (time.thread_time() - start) / calls * 1e6
    return [whole] + ([p / calls * 1e6 for p in phases] if phases is not None else [])


def run(engines: dict[str, Any], names: list[str], rounds: int,
        cases: dict[str, tuple[int, Callable]] | None = None) -> dict:
    """{case: {engine: [[µs per round] per row]}}, the engines alternated case by case;
    `cases` (this file's CASES by default): name -> (calls a chunk, make(lib) -> the call)."""
    cases = CASES if cases is None else cases
    made = {}
    for engine, enter_lib in engines.items():
        enter, lib = enter_lib
        enter()
        made[engine] = {name: cases[name][1](lib) for name in names}
    results: dict = {name: {engine: [] for engine in engines} for name in names}
    order = list(engines)
    for r in range(rounds):
        for name in names:
            for engine in (order if r % 2 == 0 else order[::-1]):
                engines[engine][0]()
                call = made[engine][name]
                call()                      # (warm: a first call's caches, lazy imports)
                results[name][engine].append(timed(call, cases[name][0]))
    return results


def report(results: dict) -> None:
    for name, by_engine in results.items():
        rows = [name] + ([f"  {p}" for p in PHASES] if "step" in name[:5] else [])
        for i, row in enumerate(rows):
            cells = []
            for engine, chunks in by_engine.items():
                values = [chunk[i] for chunk in chunks]
                cells.append(f"{engine} {statistics.median(values):9.2f} "
                             f"[{min(values):.2f}-{max(values):.2f}]")
            print(f"{row:40s} " + "   ".join(cells))


def main(cases: dict[str, tuple[int, Callable]] = CASES) -> None:
    """The command line, over `cases` (this file's, or another benchmark's table)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", default="", help="A,B: checkouts to compare in this process")
    parser.add_argument("--torch", action="store_true", help="time PyTorch instead")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--cases", default="", help="substrings of the cases to run, comma")
    parser.add_argument("--keep", action="store_true",
                        help="keep_freed_memory() first (glibc's malloc keeps big blocks)")
    args = parser.parse_args()
    wanted = [w for w in args.cases.split(",") if w]
    names = [n for n in cases if not wanted or any(w in n for w in wanted)]
    if args.torch:
        lib = torch_lib()
        engines = {"torch": (lambda: None, lib)}
    else:
        engines = {}
        for path in (args.trees or ".").split(","):
            tree = Tree(path)
            engines[path] = (tree.enter, tree.lib)
    if args.keep:                   # (the whole process's malloc: PyTorch's too)
        if args.torch:
            sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        importlib.import_module("autograd.allocator").keep_freed_memory()
    report(run(engines, names, args.rounds, cases))


if __name__ == "__main__":
    main()
