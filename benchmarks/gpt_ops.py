"""The pieces of benchmarks/small_models.py's GPT at its own shapes (batch 32, block 32, n_embd
64, 4 heads of 16), forward and forward + backward, and its whole training step
(docs/measurements.md, "small models", s33 gpt).

`--trees A,B` loads each tree's `autograd` and `nn` side by side in this one process
(step_overhead.py's `Tree` and command line) and alternates them case by case, round by
round; `--torch` times PyTorch instead (run it as a process of its own). CPU time of the thread, µs a call: median
and min-max over `--rounds` rounds of a chunk of calls each. `--keep`: keep_freed_memory()
first (in either engine); `--cases`: substrings of the case names.

    python benchmarks/gpt_ops.py --trees /tmp/base,. --rounds 9 --keep
    python benchmarks/gpt_ops.py --torch --rounds 9 --keep
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread setting)

if __package__ in (None, ""):           # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import small_models, step_overhead  # noqa: E402

B, T, C, HEAD = 32, 32, 64, 16


def _data(lib: Any, shape: tuple, seed: int, grad: bool = True, masked: bool = False) -> Any:
    """A float32 N(0, 1) tensor (requiring grad, if asked); `masked`: -inf above the diagonal
    of its last two axes, as attention's scores after the causal mask."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    if masked:
        x[..., np.triu(np.ones(shape[-2:], bool), 1)] = -np.inf
    return lib.tensor(x, requires_grad=grad)


def _seed(lib: Any, y: Any) -> Any:
    """An upstream gradient of y's shape, N(0, 1); None for a loss (0-d)."""
    if not y.ndim:
        return None
    g = np.random.default_rng(9).standard_normal(tuple(y.shape)).astype(np.float32)
    return lib.torch.from_numpy(g) if lib.torch else g


def _causal(lib: Any) -> Any:
    """The lecture's `tril[:T, :T] == 0`: True above the diagonal (the future)."""
    tril = np.tril(np.ones((T, T), np.float32))
    return (lib.torch.from_numpy(tril) if lib.torch else lib.autograd.Tensor(tril)) == 0


def _case(function: Callable, shape: tuple, backward: bool, masked: bool = False) -> Callable:
    """function(lib) -> f(x), timed on an input of `shape` (with backward(g) if asked)."""
    def make(lib: Any) -> Callable:
        f = function(lib)
        x = _data(lib, shape, 0, backward, masked)
        if not backward:
            return lambda: f(x)
        g = _seed(lib, f(x))
        x.grad = None

        def call() -> None:
            f(x).backward(g)
            x.grad = None
        return call
    return make


def _softmax(lib: Any) -> Callable:
    return lambda x: lib.F.softmax(x, dim=-1)


def _masked_fill(lib: Any) -> Callable:
    mask = _causal(lib)
    return lambda x: x.masked_fill(mask, float("-inf"))


def _attention(lib: Any) -> Callable:
    """One head's attention after its projections: q kᵀ scaled, masked, softmax, times v."""
    mask = _causal(lib)
    rng = np.random.default_rng(3)
    k, v = (lib.tensor(rng.standard_normal((B, T, HEAD)).astype(np.float32), requires_grad=True)
            for _ in range(2))

    def f(q: Any) -> Any:
        w = q @ k.transpose(-2, -1) * HEAD ** -0.5
        return lib.F.softmax(w.masked_fill(mask, float("-inf")), dim=-1) @ v
    return f


def _layer_norm(lib: Any) -> Callable:
    return lib.nn.LayerNorm(C)


def _embedding(backward: bool) -> Callable:
    def make(lib: Any) -> Callable:
        table = lib.nn.Embedding(small_models.GPT_VOCAB, C)
        ids = np.random.default_rng(4).integers(0, small_models.GPT_VOCAB, (B, T))
        ids = lib.torch.from_numpy(ids) if lib.torch else ids
        if not backward:
            return lambda: table(ids)
        g = _seed(lib, table(ids))

        def call() -> None:
            table(ids).backward(g)
            table.weight.grad = None
        return call
    return make


def _linear(sizes: tuple, bias: bool = True) -> Callable:
    return lambda lib: lib.nn.Linear(*sizes, bias=bias)


def _part(which: str) -> Callable:
    """A piece of small_models' GPT: its first block, or that block's first head."""
    def make(lib: Any) -> Callable:
        library = small_models.torch_library() if lib.torch else small_models.glassgrad_library()
        model = small_models.gpt(*library)
        return model.blocks[0] if which == "block" else model.blocks[0].heads[0]
    return make


def _relu(lib: Any) -> Callable:
    return lib.F.relu


def _cross_entropy(lib: Any) -> Callable:
    y = np.random.default_rng(6).integers(0, small_models.GPT_VOCAB, B * T)
    y = lib.torch.from_numpy(y) if lib.torch else y
    return lambda z: lib.F.cross_entropy(z, y)


def _step(lib: Any) -> Callable:
    """small_models' GPT training step (after three steps: the optimizer's state made)."""
    workload = small_models.WORKLOADS["gpt"]
    trainer = small_models.Trainer("torch" if lib.torch else "glassgrad", workload,
                                   small_models.init_weights(workload))
    x, y = small_models.make_data(workload)
    batches = small_models.make_batches(workload, x, y, 8)
    for xb, yb in batches[:3]:
        trainer.step(xb, yb)
    state = {"i": 0}

    def call() -> None:
        xb, yb = batches[state["i"] % len(batches)]
        state["i"] += 1
        trainer.step(xb, yb)
    return call


ATTENTION = (B, T, T)
CASES: dict[str, tuple[int, Callable]] = {
    "softmax (32, 32, 32) masked fwd": (200, _case(_softmax, ATTENTION, False, True)),
    "softmax (32, 32, 32) masked fwd+bwd": (100, _case(_softmax, ATTENTION, True, True)),
    "masked_fill (32, 32, 32) fwd": (200, _case(_masked_fill, ATTENTION, False)),
    "masked_fill (32, 32, 32) fwd+bwd": (100, _case(_masked_fill, ATTENTION, True)),
    "attention head (q k^T s, mask, softmax, @ v) fwd": (100, _case(_attention, (B, T, HEAD),
                                                                     False)),
    "attention head fwd+bwd": (50, _case(_attention, (B, T, HEAD), True)),
    "layer_norm (32, 32, 64) fwd": (200, _case(_layer_norm, (B, T, C), False)),
    "layer_norm (32, 32, 64) fwd+bwd": (100, _case(_layer_norm, (B, T, C), True)),
    "embedding (65, 64)[32, 32] fwd": (200, _embedding(False)),
    "embedding (65, 64)[32, 32] fwd+bwd": (100, _embedding(True)),
    "linear 64 -> 16, no bias, fwd+bwd": (100, _case(_linear((C, HEAD), False), (B, T, C),
                                                      True)),
    "linear 64 -> 256 fwd+bwd": (50, _case(_linear((C, 4 * C)), (B, T, C), True)),
    "linear 256 -> 64 fwd+bwd": (50, _case(_linear((4 * C, C)), (B, T, 4 * C), True)),
    "head (key, query, value, attention) fwd+bwd": (20, _case(_part("head"), (B, T, C), True)),
    "block fwd": (10, _case(_part("block"), (B, T, C), False)),
    "block fwd+bwd": (5, _case(_part("block"), (B, T, C), True)),
    "relu (32, 32, 256) fwd+bwd": (50, _case(_relu, (B, T, 4 * C), True)),
    "cross_entropy (1024, 65) fwd+bwd": (100, _case(_cross_entropy, (B * T, 65), True)),
    "GPT training step": (5, _step),
}


if __name__ == "__main__":
    step_overhead.main(CASES)
