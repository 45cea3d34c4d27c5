"""The per-call cost of the small Tensor operations that teaching code times or loops over
(docs/measurements.md, "overhead", s33 small ops): `a[i, k]` (one element of a 2-d tensor),
`x * y` on 0-d and one-element tensors, `t.sum()`, `(x * y).sum().backward()` on one-element
tensors that require grad (benchmarks/run.py's T2 row), `t.item()`, `float(t)`, `t[0] = v`,
one step of the from-the-foundations matmul `c[i, j] += a[i, k] * b[k, j]`, and the three
matmuls of that lesson end to end (2x784 @ 784x10 by three loops, by one loop over rows and
columns, by broadcasting).

`--trees A,B` loads each tree's `autograd` apart in this one process (benchmarks/
step_overhead.py's `Tree`) and alternates them case by case, the order flipped every round;
`--torch` times PyTorch instead (run it as a process of its own). CPU time of the thread, µs a
call, median [min-max] over `--rounds` rounds.

    OPENBLAS_NUM_THREADS=1 python benchmarks/small_ops.py --trees /tmp/base,. --rounds 9
    OPENBLAS_NUM_THREADS=1 python benchmarks/small_ops.py --torch --rounds 9
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from step_overhead import Tree, report, run, torch_lib  # noqa: E402  (beside this file)

import numpy as np  # noqa: E402

_RNG = np.random.default_rng(0)
A = _RNG.standard_normal((2, 784)).astype(np.float32)       # the lesson's m1[:2] and m2
B = _RNG.standard_normal((784, 10)).astype(np.float32)


def _zeros(lib: Any, *shape: int) -> Any:
    return lib.tensor(np.zeros(shape, np.float32))


def _element(grad: bool) -> Callable:
    def make(lib: Any) -> Callable:
        a = lib.tensor(A, requires_grad=grad)
        return lambda: a[1, 5]
    return make


def _product(shape: tuple, grad: bool) -> Callable:
    def make(lib: Any) -> Callable:
        x = lib.tensor(np.full(shape, 2.0, np.float32), requires_grad=grad)
        y = lib.tensor(np.full(shape, 3.0, np.float32), requires_grad=grad)
        return lambda: x * y
    return make


def _sum(shape: tuple) -> Callable:
    def make(lib: Any) -> Callable:
        t = lib.tensor(np.ones(shape, np.float32))
        return t.sum
    return make


def _backward(shape: tuple, summed: bool) -> Callable:
    """(x * y).sum().backward() (or (x * y).backward()) on tensors that require grad; their
    gradients accumulate from call to call, as in benchmarks/run.py's T2."""
    def make(lib: Any) -> Callable:
        x = lib.tensor(np.full(shape, 2.0, np.float32), requires_grad=True)
        y = lib.tensor(np.full(shape, 3.0, np.float32), requires_grad=True)
        if summed:
            return lambda: (x * y).sum().backward()
        return lambda: (x * y).backward()
    return make


def _number(how: str) -> Callable:
    def make(lib: Any) -> Callable:
        t = lib.tensor(np.array(2.5, np.float32))
        return t.item if how == "item" else (lambda: float(t))
    return make


def _write(lib: Any) -> Callable:
    t = _zeros(lib, 10)

    def call() -> None:
        t[3] = 2.5
    return call


def _loop_step(lib: Any) -> Callable:
    a, b, c = lib.tensor(A), lib.tensor(B), _zeros(lib, 2, 10)

    def call() -> None:
        c[1, 2] += a[1, 5] * b[5, 2]
    return call


def _matmul(how: str) -> Callable:
    """The lesson's three matmuls of a (2, 784) by a (784, 10), as the learner writes them."""
    def make(lib: Any) -> Callable:
        a, b = lib.tensor(A), lib.tensor(B)
        (ar, ac), (_, bc) = a.shape, b.shape

        def loops() -> None:
            c = _zeros(lib, ar, bc)
            for i in range(ar):
                for j in range(bc):
                    for k in range(ac):
                        c[i, j] += a[i, k] * b[k, j]

        def rows() -> None:
            c = _zeros(lib, ar, bc)
            for i in range(ar):
                for j in range(bc):
                    c[i, j] = (a[i, :] * b[:, j]).sum()

        def broadcast() -> None:
            c = _zeros(lib, ar, bc)
            for i in range(ar):
                c[i] = (a[i, :, None] * b).sum(0)
        return {"loops": loops, "rows": rows, "broadcast": broadcast}[how]
    return make


CASES: dict[str, tuple[int, Callable]] = {
    "a[i, k] (2, 784) constant": (5000, _element(False)),
    "a[i, k] (2, 784) requires grad": (5000, _element(True)),
    "x * y 0-d constants": (5000, _product((), False)),
    "x * y (1,) constants": (5000, _product((1,), False)),
    "x * y (1,) requires grad": (5000, _product((1,), True)),
    "t.sum() (784,) constant": (5000, _sum((784,))),
    "t.sum() 0-d constant": (5000, _sum(())),
    "(x * y).sum().backward() (1,)": (2000, _backward((1,), True)),
    "(x * y).backward() 0-d": (2000, _backward((), False)),
    "t.item() 0-d": (5000, _number("item")),
    "float(t) 0-d": (5000, _number("float")),
    "t[3] = 2.5 (10,)": (5000, _write),
    "c[i, j] += a[i, k] * b[k, j]": (2000, _loop_step),
    "matmul, 3 loops, 2x784 @ 784x10": (1, _matmul("loops")),
    "matmul, 2 loops + sum()": (20, _matmul("rows")),
    "matmul, 1 loop, broadcast": (200, _matmul("broadcast")),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", default=".", help="A,B: checkouts to compare in this process")
    parser.add_argument("--torch", action="store_true", help="time PyTorch instead")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--cases", default="", help="substrings of the cases to run, comma")
    args = parser.parse_args()
    wanted = [w for w in args.cases.split(",") if w]
    names = [n for n in CASES if not wanted or any(w in n for w in wanted)]
    if args.torch:
        engines = {"torch": (lambda: None, torch_lib())}
    else:
        engines = {}
        for path in args.trees.split(","):
            tree = Tree(path)
            engines[path] = (tree.enter, tree.lib)
    results = run(engines, names, args.rounds, CASES)
    report(results)


if __name__ == "__main__":
    main()
