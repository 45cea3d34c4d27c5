"""The timed code of every workload; each call runs inside its own subprocess.

`python -m benchmarks.workloads '{"task": "s1", "engine": "micrograd", "steps": 4}'` runs one
chunk and prints its result as one line of JSON on stdout (the last line; `harness.run_worker`
reads it). Engines are imported inside the task that needs them, so that a process only ever
loads the engine it times: micrograd's cyclic garbage and PyTorch's thread pool cannot slow
down anybody else.

Times are in seconds, one entry per timed step.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.metadata
import importlib.util
import json
import random
import sys
import time
import timeit
import tracemalloc

import numpy as np

from . import mnist, scalar_mlp


# ----------------------------------------------------------------------------------------------
# Probe: what is installed
# ----------------------------------------------------------------------------------------------

def _version(package: str) -> str | None:
    """The installed version of `package`, without importing it (None when absent)."""
    if importlib.util.find_spec(package) is None:
        return None
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown version"


def probe() -> dict:
    """Which optional engines and helpers exist (micrograd, torch, autograd.relaxed_gc)."""
    import autograd
    return {
        "micrograd": _version("micrograd"),
        "torch": _version("torch"),
        "relaxed_gc": hasattr(autograd, "relaxed_gc"),
        "compile": hasattr(autograd, "compile"),
    }


# ----------------------------------------------------------------------------------------------
# S1: micrograd's demo step
# ----------------------------------------------------------------------------------------------

def _s1_engine(engine: str):
    """(Value class, context manager to train in) for an S1 engine name."""
    if engine == "micrograd":
        from micrograd.engine import Value
        return Value, contextlib.nullcontext()
    import autograd
    if engine == "glassgrad":
        return autograd.Value, contextlib.nullcontext()
    if engine == "glassgrad+relaxed_gc":
        return autograd.Value, autograd.relaxed_gc()
    if engine == "glassgrad+compile":
        return autograd.Value, contextlib.nullcontext()
    raise ValueError(f"unknown S1 engine {engine!r}")


def s1_chunk(engine: str, steps: int, seed: int = 1337, data: str = "python") -> dict:
    """`steps` steps of micrograd's demo (MLP 2-16-16-1, 100 moons) from a fresh model;
    `data` is "python" (plain numbers) or "numpy" (arrays, as in micrograd's demo notebook)."""
    value_cls, training = _s1_engine(engine)
    X, y = scalar_mlp.make_moons(100, noise=0.1, seed=seed, as_numpy=data == "numpy")
    model = scalar_mlp.build_model(value_cls, seed)
    graph = None
    if engine == "glassgrad+compile":               # the graph recorded once, not timed
        import autograd
        graph = autograd.compile(scalar_mlp.demo_loss(model, X, y, value_cls))
    gc.collect()
    times, losses, collections, gc_times = [], [], [], []
    with training, _gc_watch() as watch:
        for k in range(steps):
            watch.reset()
            start = time.perf_counter()
            if graph is None:
                loss = scalar_mlp.train_step(model, X, y, k, value_cls)
            else:
                loss = scalar_mlp.replay_step(graph, model, k)
            times.append(time.perf_counter() - start)
            losses.append(loss)
            collections.append(watch.collections)
            gc_times.append(watch.seconds)
    return {"times": times, "losses": losses, "gc_collections": collections,
            "gc_seconds": gc_times}


class _gc_watch:
    """Counts the garbage collector's runs and the time they take (through `gc.callbacks`)."""

    def __enter__(self) -> "_gc_watch":
        self.reset()
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def reset(self) -> None:
        self.collections, self.seconds, self._start = 0, 0.0, 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.collections += 1
            self.seconds += time.perf_counter() - self._start


# ----------------------------------------------------------------------------------------------
# S2: a long chain of scalar ops
# ----------------------------------------------------------------------------------------------

def s2_chain(n: int, relaxed_gc: bool = False, trace_memory: bool = False) -> dict:
    """Build y = y * 1.0001 + 0.0001 `n` times from x = Value(1.0), then backpropagate.

    With `trace_memory`, tracemalloc runs from before the build to after the backward (it slows
    everything down, so the harness times a separate run without it).
    """
    import autograd
    from autograd import Value

    training = autograd.relaxed_gc() if relaxed_gc else contextlib.nullcontext()
    gc.collect()
    peak = None
    with training:
        if trace_memory:
            tracemalloc.start()
        start = time.perf_counter()
        y = Value(1.0)
        x = y
        for _ in range(n):
            y = y * 1.0001 + 0.0001
        built = time.perf_counter()
        y.backward()
        done = time.perf_counter()
        if trace_memory:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return {
        "build": built - start, "backward": done - built,
        "grad": x.grad, "expected": 1.0001 ** n,
        "peak_bytes": peak,
    }


# ----------------------------------------------------------------------------------------------
# T1: MLP 784-100-10 on MNIST, three engines with the same init and batches
# ----------------------------------------------------------------------------------------------

LEARNING_RATE = 0.1


class NumpyMLP:
    """The reference: forward and backward written by hand in numpy."""

    def __init__(self, params: list) -> None:
        self.W1, self.b1, self.W2, self.b2 = (p.copy() for p in params)

    def step(self, x: np.ndarray, labels: np.ndarray) -> float:
        n = len(x)
        rows = np.arange(n)
        # forward
        h = x @ self.W1 + self.b1
        a = np.maximum(h, 0)
        z = a @ self.W2 + self.b2
        z_max = z.max(axis=1, keepdims=True)
        e = np.exp(z - z_max)
        s = e.sum(axis=1, keepdims=True)
        p = e / s
        loss = np.mean(np.log(s[:, 0]) + z_max[:, 0] - z[rows, labels])
        # backward
        dz = p
        dz[rows, labels] -= 1                   # p - onehot, in place (p is not used again)
        dz /= n
        dW2 = a.T @ dz
        db2 = dz.sum(axis=0)
        da = dz @ self.W2.T
        dh = da * (h > 0)
        dW1 = x.T @ dh
        db1 = dh.sum(axis=0)
        # SGD
        self.W1 -= LEARNING_RATE * dW1
        self.b1 -= LEARNING_RATE * db1
        self.W2 -= LEARNING_RATE * dW2
        self.b2 -= LEARNING_RATE * db2
        return float(loss)


class RulesMLP:
    """glassgrad's own op rules (`Linear`, `Relu`, `CrossEntropy` forward and backward) called
    by hand on arrays, with no graph: the step as glassgrad computes it, weights in nn.Linear's
    (out, in) layout included, minus the nodes, the sort and the checks. Against numpy it
    measures what the formulas and the layout cost; glassgrad against it, what the graph costs."""

    def __init__(self, params: list) -> None:
        from autograd.functional import _class_labels
        from autograd.ops.elementwise import Relu
        from autograd.ops.fused import CrossEntropy, CrossEntropyCtx, Linear
        self.rules = _class_labels, Relu, CrossEntropy, CrossEntropyCtx, Linear   # imported once
        W1, b1, W2, b2 = params
        self.W1, self.W2 = np.ascontiguousarray(W1.T), np.ascontiguousarray(W2.T)
        self.b1, self.b2 = b1.copy(), b2.copy()

    def step(self, x: np.ndarray, labels: np.ndarray) -> float:
        class_labels, Relu, CrossEntropy, CrossEntropyCtx, Linear = self.rules
        W1, b1, W2, b2 = self.W1, self.b1, self.W2, self.b2
        loss_ctx = CrossEntropyCtx("mean", class_labels("T1", labels, len(x), len(b2)))
        h = Linear.forward((False, True, True), x, W1, b1)
        a = Relu.forward(None, h)
        z = Linear.forward((True, True, True), a, W2, b2)
        loss = CrossEntropy.forward(loss_ctx, z)
        (dz,) = CrossEntropy.backward(loss_ctx, np.array(1, loss.dtype), loss, z)
        da, dW2, db2 = Linear.backward((True, True, True), dz, z, a, W2, b2)
        (dh,) = Relu.backward(None, da, a, h)
        _, dW1, db1 = Linear.backward((False, True, True), dh, h, x, W1, b1)
        self.W1 -= LEARNING_RATE * dW1
        self.b1 -= LEARNING_RATE * db1
        self.W2 -= LEARNING_RATE * dW2
        self.b2 -= LEARNING_RATE * db2
        return float(loss)


class GlassgradMLP:
    """Our engine: F.linear + relu + F.cross_entropy, SGD on `.data`. The weights are
    nn.Linear's own parameters (loaded with the shared init), so they have its shape, (out, in),
    and its memory layout."""

    def __init__(self, params: list) -> None:
        from autograd import Tensor
        from autograd import functional
        from nn import Linear
        self.Tensor, self.F = Tensor, functional     # imported once, as a user's script does
        W1, b1, W2, b2 = params
        layers = [Linear(*W.shape, dtype=W.dtype) for W in (W1, W2)]
        for layer, W, b in zip(layers, (W1, W2), (b1, b2)):
            layer.load_state_dict({"weight": W.T, "bias": b})
        self.params = [p for layer in layers for p in (layer.weight, layer.bias)]

    def step(self, x: np.ndarray, labels: np.ndarray) -> float:
        Tensor, F = self.Tensor, self.F
        W1, b1, W2, b2 = self.params
        hidden = F.linear(Tensor(x), W1, b1).relu()
        logits = F.linear(hidden, W2, b2)
        loss = F.cross_entropy(logits, labels)
        for p in self.params:
            p.grad = None
        loss.backward()
        for p in self.params:
            p.data -= LEARNING_RATE * p.grad
        return loss.item()


class TorchMLP:
    """PyTorch CPU: explicit parameter tensors, W stored (out, in) as nn.Linear does; manual SGD."""

    def __init__(self, params: list) -> None:
        import torch
        W1, b1, W2, b2 = params
        self.params = [torch.tensor(np.ascontiguousarray(p), requires_grad=True)
                       for p in (W1.T, b1, W2.T, b2)]

    def step(self, x: np.ndarray, labels: np.ndarray) -> float:
        import torch
        import torch.nn.functional as F
        W1, b1, W2, b2 = self.params
        hidden = F.relu(F.linear(torch.from_numpy(x), W1, b1))
        logits = F.linear(hidden, W2, b2)
        loss = F.cross_entropy(logits, torch.from_numpy(labels))
        for p in self.params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p.add_(p.grad, alpha=-LEARNING_RATE)
        return loss.item()


def _alternate_steps(models: dict, x: np.ndarray, y: np.ndarray, batch_size: int,
                     steps: int) -> tuple:
    """Two models take turns on the same batches, step by step (who goes first swaps every
    step); returns ({name: step times}, {name: losses})."""
    first, second = models
    times = {name: [] for name in models}
    losses = {name: [] for name in models}
    gc.collect()
    for i in range(steps):
        xb, yb = mnist.batch(x, y, batch_size, i)
        for name in ((first, second) if i % 2 == 0 else (second, first)):
            start = time.perf_counter()
            loss = models[name].step(xb, yb)
            times[name].append(time.perf_counter() - start)
            losses[name].append(loss)
    return times, losses


#: what takes turns with the numpy reference in T1, each in its own loop: glassgrad, its rules
#: with no graph, and a second copy of the reference (the control)
T1_CHALLENGERS = {"glassgrad": GlassgradMLP, "rules, no graph": RulesMLP, "numpy twin": NumpyMLP}


def t1_numpy_key(challenger: str) -> str:
    """Where a chunk's result keeps the reference's times from the loop with `challenger`."""
    return "numpy" if challenger == "glassgrad" else f"numpy ({challenger}'s run)"


def t1_numpy_and_ours(plan: list, data_dir: str | None, seed: int = 0, chunk: int = 0) -> dict:
    """For each (batch size, steps) in `plan`, each of T1_CHALLENGERS in turn takes turns with
    the numpy reference, step by step on the same batches, from the same init.

    The twin is the run's control: the same program as the reference, so twin/numpy shows how
    far apart two copies of one program measure in this loop (their arrays sit at different
    addresses; cache and BLAS-thread effects follow). With two BLAS threads on a 2-vCPU machine
    one chunk's twin/numpy ranged 0.83-1.21, and a fixed layout repeats its bias in every chunk:
    so each chunk (numbered `chunk`, which seeds the choices) shifts where the arrays land by a
    random padding allocation and runs the loops in a random order. Over the benchmark's 8
    chunks the twin's median then read 0.95-1.00 with two threads.
    """
    rng = random.Random(chunk)
    shift = np.empty(16 * rng.randrange(1, 4096), np.uint8)   # held to the end: what is made
    x, y, source = mnist.load_data(data_dir)                    # after it lands elsewhere
    params = mnist.init_params(seed)
    results = {"data": source, "shift_bytes": shift.nbytes}
    for batch_size, steps in plan:
        loops = list(T1_CHALLENGERS)
        rng.shuffle(loops)
        times, losses = {}, {}
        for other in loops:
            loop_times, loop_losses = _alternate_steps(
                {"numpy": NumpyMLP(params), other: T1_CHALLENGERS[other](params)},
                x, y, batch_size, steps)
            times[other], losses[other] = loop_times[other], loop_losses[other]
            times[t1_numpy_key(other)] = loop_times["numpy"]
            losses.setdefault("numpy", loop_losses["numpy"])
        order = [key for name in T1_CHALLENGERS for key in (t1_numpy_key(name), name)]
        results[str(batch_size)] = {"times": {k: times[k] for k in order},
                                    "losses": {k: losses[k] for k in order if k in losses}}
    return results


def t1_torch(plan: list, data_dir: str | None, seed: int = 0) -> dict:
    """PyTorch on the same plan, init and batches (default thread count, which is reported)."""
    import torch
    x, y, source = mnist.load_data(data_dir)
    params = mnist.init_params(seed)
    results = {"data": source, "threads": torch.get_num_threads()}
    for batch_size, steps in plan:
        model = TorchMLP(params)
        times, losses = [], []
        gc.collect()
        for i in range(steps):
            xb, yb = mnist.batch(x, y, batch_size, i)
            start = time.perf_counter()
            losses.append(model.step(xb, yb))
            times.append(time.perf_counter() - start)
        results[str(batch_size)] = {"times": {"torch": times}, "losses": {"torch": losses}}
    return results


# ----------------------------------------------------------------------------------------------
# T2: the fixed cost of one op
# ----------------------------------------------------------------------------------------------

def _per_call(statement: str, env: dict, repeat: int, seconds: float) -> list:
    """Seconds per execution of `statement`, one entry per repeat of about `seconds` each.

    timeit switches the GC off while it times, for every engine alike.
    """
    timer = timeit.Timer(statement, globals=env)
    trial = timer.timeit(number=200) / 200          # a rough per-call time to size the repeats
    number = max(200, int(seconds / trial))
    return [total / number for total in timer.repeat(repeat=repeat, number=number)]


def t2_chunk(engine: str, repeat: int = 5, seconds: float = 0.2) -> dict:
    """Per-op overhead: `a * b`, `a * b` + backward and a new leaf times a number + backward on
    scalars, `x * y` and
    `(x * y).sum().backward()` on one-element tensors; whichever of these `engine` has."""
    results = {}
    if engine in ("glassgrad", "micrograd"):
        if engine == "glassgrad":
            from autograd import Value
        else:
            from micrograd.engine import Value
        env = {"a": Value(2.0), "b": Value(3.0), "Value": Value}
        results["value_op"] = _per_call("a * b", env, repeat, seconds)
        results["value_op_backward"] = _per_call("c = a * b; c.backward()", env, repeat, seconds)
        results["value_leaf_op_backward"] = _per_call("v = Value(1.0); (v * 1.5).backward()",
                                                      env, repeat, seconds)
    if engine == "glassgrad":
        from autograd import Tensor
        env = {"x": Tensor(np.array([2.0], np.float32), requires_grad=True),
               "y": Tensor(np.array([3.0], np.float32), requires_grad=True)}
        results["tensor_op"] = _per_call("x * y", env, repeat, seconds)
        results["tensor_op_backward"] = _per_call("(x * y).sum().backward()", env, repeat,
                                                  seconds)
    if engine == "torch":
        import torch
        env = {"x": torch.tensor([2.0], requires_grad=True),
               "y": torch.tensor([3.0], requires_grad=True)}
        results["tensor_op"] = _per_call("x * y", env, repeat, seconds)
        results["tensor_op_backward"] = _per_call("(x * y).sum().backward()", env, repeat,
                                                  seconds)
        results["threads"] = torch.get_num_threads()
    return results


# ----------------------------------------------------------------------------------------------
# Entry point of the subprocess
# ----------------------------------------------------------------------------------------------

def _compile_task(name: str):
    """A task of benchmarks/compile.py (imported only by the processes that run it)."""
    def run(**kwargs):
        from . import compile as compile_benchmarks
        return getattr(compile_benchmarks, name)(**kwargs)
    return run


TASKS = {
    "probe": probe,
    "s1": s1_chunk,
    "s1_compiled": _compile_task("s1_compiled_chunk"),
    "compile_scaling": _compile_task("scaling_chunk"),
    "s2": s2_chain,
    "t1_numpy_and_ours": t1_numpy_and_ours,
    "t1_torch": t1_torch,
    "t2": t2_chunk,
}


def main(argv: list) -> None:
    task = json.loads(argv[1])
    function = TASKS[task.pop("task")]
    result = function(**task)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
