"""Small tensor models, one training step at a time: glassgrad against PyTorch on the CPU.

    python benchmarks/small_models.py [--rounds 5] [--steps 300] [--threads 1|default]
                                      [--only mlp,tab,cnn,emb,gpt,gru,lstm] [--warm-allocator]
                                      [--keep-freed-memory] [--json FILE]

The models (float32; random data from a fixed numpy seed: the values do not change the work):

    mlp  MLP 784-128-64-10 with ReLU, cross-entropy, Adam (lr 1e-3), batch 32; glassgrad both in
         a hand-written loop and through `nn.fit`
    tab  a tabular net 20-64-64-1 with ReLU, binary cross-entropy on the logit, SGD (lr 0.01,
         momentum 0.9), batch 64
    cnn  Conv(1→8, 3×3)–ReLU–MaxPool 2–Flatten–Linear(1352→10), cross-entropy, Adam, batch 32
    emb  makemore's MLP: Embedding(27, 10) of 3 characters–Flatten–Linear(30→200)–tanh–
         Linear(200→27), cross-entropy, Adam, batch 32
    gpt  the GPT of Karpathy's lecture, small: token and position embeddings (65 characters,
         block 32, n_embd 64), 2 pre-norm blocks of 4 attention heads (causal mask by
         masked_fill, softmax, cat) and a ReLU feed-forward net, LayerNorm, a linear head;
         cross-entropy over all 32 positions, AdamW, batch 32
    gru  a character model: Embedding(65, 32)–GRU(32 → 64, batch_first)–Linear(64 → 65) over
         windows of 32 characters, cross-entropy over all positions, Adam, batch 32
    lstm the same with an LSTM

What is timed. Both engines run the same training loop (`Trainer`) on the same model: one list
of layers built by glassgrad's `nn` and by `torch.nn`, the same weights (drawn once with numpy,
in PyTorch's default ranges), glassgrad's `nn.optim` against `torch.optim`, and the same
batches. One step is what a loop does per batch: wrap the numpy batch (`Tensor(x)`,
`torch.from_numpy(x)`: neither copies), zero the gradients, forward, loss, backward, optimizer
step, read the loss. The `nn.fit` row times one `fit(..., epochs=1)` call per epoch (its own
shuffled batches, its default training metric) and divides by the steps of the epoch.

How. Every engine runs in its own fresh subprocess (PyTorch's code and glassgrad's are never
timed in one process), the engines alternate round by round (glassgrad, torch, glassgrad,
torch, ...: the machine's drift falls on both), and each process takes `WARMUP` first steps,
reported apart (they allocate the optimizer's state and the caches), then `--steps` more. The
table gives the median step over all rounds, the spread of the steps (q1–q3) and of the
rounds' medians (min–max), and torch / glassgrad, the ratio of the medians (above 1: glassgrad
is faster). Both engines' first losses are printed: equal up to float32 rounding, they show
that the two compute the same thing. `--threads 1` (the default) sets OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS to 1 for both engines, `default` leaves each library
its own choice. Without PyTorch, glassgrad is measured alone and the report says so.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

if __package__ in (None, ""):           # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness          # noqa: E402  (after the path fix above)
from benchmarks.harness import Summary  # noqa: E402

WARMUP = 2                  # the first steps of every process, reported apart
LOSSES_COMPARED = 3         # how many first losses of the two engines are compared
LOSS_TOLERANCE = 1e-5       # their largest relative difference that counts as equal (float32)
BATCHES_PER_EPOCH = 64      # a workload's data set holds this many batches
MODULE = "benchmarks.small_models"


# ----------------------------------------------------------------------------------------------
# The workloads: one description that both engines build
# ----------------------------------------------------------------------------------------------

def flat_digits(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n MNIST-sized images as rows of 784 pixels in [0, 1), and labels 0-9."""
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def digit_images(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The same as images, (n, 1, 28, 28)."""
    x, y = flat_digits(rng, n)
    return x.reshape(n, 1, 28, 28), y


def table_rows(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows of 20 standardised features; a 0/1 label (shaped (n, 1), like the model's output)
    that the first two features decide."""
    x = rng.standard_normal((n, 20), dtype=np.float32)
    return x, (x[:, :1] + x[:, 1:2] > 0).astype(np.float32)


def three_characters(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """makemore's examples: 3 character indices (27 characters) and the index of the next one."""
    return rng.integers(0, 27, (n, 3)), rng.integers(0, 27, n)


GPT_VOCAB, GPT_BLOCK, GPT_EMBD, GPT_HEADS, GPT_LAYERS = 65, 32, 64, 4, 2


def text_windows(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of GPT_BLOCK character ids and, one character on, the ids that follow."""
    text = rng.integers(0, GPT_VOCAB, (n, GPT_BLOCK + 1))
    return text[:, :-1], text[:, 1:]


@dataclass(frozen=True)
class Workload:
    """A model and how it trains. `layers` are (class name, *arguments), the same in glassgrad's
    `nn` and in `torch.nn`: ("Linear", 784, 128) is `Linear(784, 128)`. `loss` names a function
    of both `functional` modules, `optimizer` a class of both `optim` modules."""
    title: str
    layers: tuple
    loss: str
    optimizer: str
    settings: dict                          # the optimizer's arguments besides the parameters
    batch: int
    data: Callable[[np.random.Generator, int], tuple]
    with_fit: bool = False                  # also time glassgrad's `nn.fit`
    build: Callable | None = None           # a model of its own: build(library) (else `layers`)
    flat_targets: bool = False              # targets (B, T) flattened for logits (B·T, classes)


ADAM = {"lr": 1e-3}
WORKLOADS = {
    "mlp": Workload("MLP 784-128-64-10, Adam, batch 32",
                    (("Linear", 784, 128), ("ReLU",), ("Linear", 128, 64), ("ReLU",),
                     ("Linear", 64, 10)),
                    "cross_entropy", "Adam", ADAM, 32, flat_digits, with_fit=True),
    "tab": Workload("tabular 20-64-64-1, BCE with logits, SGD momentum, batch 64",
                    (("Linear", 20, 64), ("ReLU",), ("Linear", 64, 64), ("ReLU",),
                     ("Linear", 64, 1)),
                    "binary_cross_entropy_with_logits", "SGD", {"lr": 0.01, "momentum": 0.9},
                    64, table_rows),
    "cnn": Workload("CNN conv 1→8 3×3, ReLU, MaxPool 2, Linear, Adam, batch 32",
                    (("Conv2d", 1, 8, 3), ("ReLU",), ("MaxPool2d", 2), ("Flatten",),
                     ("Linear", 8 * 13 * 13, 10)),
                    "cross_entropy", "Adam", ADAM, 32, digit_images),
    "emb": Workload("makemore Embedding(27,10)+Linear(30,200)+tanh+Linear(200,27), Adam, batch 32",
                    (("Embedding", 27, 10), ("Flatten",), ("Linear", 30, 200), ("Tanh",),
                     ("Linear", 200, 27)),
                    "cross_entropy", "Adam", ADAM, 32, three_characters),
    "gpt": Workload(f"GPT {GPT_LAYERS} blocks × {GPT_HEADS} heads, n_embd {GPT_EMBD}, block "
                    f"{GPT_BLOCK}, AdamW, batch 32", (), "cross_entropy", "AdamW", ADAM, 32,
                    text_windows, build=lambda library: gpt(*library), flat_targets=True),
}


def gpt(nn: Any, functional: Any, optim: Any, wrap: Any, torch: Any) -> Any:
    """The lecture's GPT in either library (`torch` is PyTorch or `autograd`): the same code,
    as a learner ports it. Its output is the logits of every position, (B·T, vocab), so that
    the loss compares them with the flattened targets."""
    class Head(nn.Module):
        def __init__(self, size: int) -> None:
            super().__init__()
            self.key = nn.Linear(GPT_EMBD, size, bias=False)
            self.query = nn.Linear(GPT_EMBD, size, bias=False)
            self.value = nn.Linear(GPT_EMBD, size, bias=False)
            self.register_buffer("tril", torch.tril(torch.ones(GPT_BLOCK, GPT_BLOCK)))

        def forward(self, x: Any) -> Any:
            T = x.shape[1]
            k, q = self.key(x), self.query(x)
            weights = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
            weights = weights.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
            return functional.softmax(weights, dim=-1) @ self.value(x)

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.heads = nn.ModuleList([Head(GPT_EMBD // GPT_HEADS) for _ in range(GPT_HEADS)])
            self.proj = nn.Linear(GPT_EMBD, GPT_EMBD)
            self.ffwd = nn.Sequential(nn.Linear(GPT_EMBD, 4 * GPT_EMBD), nn.ReLU(),
                                      nn.Linear(4 * GPT_EMBD, GPT_EMBD))
            self.ln1, self.ln2 = nn.LayerNorm(GPT_EMBD), nn.LayerNorm(GPT_EMBD)

        def forward(self, x: Any) -> Any:
            normed = self.ln1(x)
            x = x + self.proj(torch.cat([head(normed) for head in self.heads], dim=-1))
            return x + self.ffwd(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tokens = nn.Embedding(GPT_VOCAB, GPT_EMBD)
            self.positions = nn.Embedding(GPT_BLOCK, GPT_EMBD)
            self.blocks = nn.Sequential(*[Block() for _ in range(GPT_LAYERS)])
            self.ln_f = nn.LayerNorm(GPT_EMBD)
            self.head = nn.Linear(GPT_EMBD, GPT_VOCAB)

        def forward(self, ids: Any) -> Any:
            B, T = ids.shape
            x = self.tokens(ids) + self.positions(torch.arange(T))
            return self.head(self.ln_f(self.blocks(x))).view(B * T, GPT_VOCAB)

    return GPT()


RNN_EMBD, RNN_HIDDEN = 32, 64


def recurrent(kind: str) -> Callable:
    """A character model around `kind` ("GRU" or "LSTM"), in either library: the sequence's
    embeddings through the recurrent layer, every step's h through a linear head; logits
    (B·T, vocab), as the GPT's."""
    def build(library: tuple) -> Any:
        nn = library[0]

        class CharModel(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.tokens = nn.Embedding(GPT_VOCAB, RNN_EMBD)
                self.rnn = getattr(nn, kind)(RNN_EMBD, RNN_HIDDEN, batch_first=True)
                self.head = nn.Linear(RNN_HIDDEN, GPT_VOCAB)

            def forward(self, ids: Any) -> Any:
                h, _ = self.rnn(self.tokens(ids))
                return self.head(h).reshape(-1, GPT_VOCAB)

        return CharModel()
    return build


WORKLOADS["gru"] = Workload(f"char model Embedding(65, {RNN_EMBD})–GRU({RNN_EMBD} → {RNN_HIDDEN})"
                            f"–Linear, block {GPT_BLOCK}, Adam, batch 32", (), "cross_entropy",
                            "Adam", ADAM, 32, text_windows, build=recurrent("GRU"),
                            flat_targets=True)
WORKLOADS["lstm"] = Workload(f"char model Embedding(65, {RNN_EMBD})–LSTM({RNN_EMBD} → "
                             f"{RNN_HIDDEN})–Linear, block {GPT_BLOCK}, Adam, batch 32", (),
                             "cross_entropy", "Adam", ADAM, 32, text_windows,
                             build=recurrent("LSTM"), flat_targets=True)


def init_weights(workload: Workload, seed: int = 0) -> dict[str, np.ndarray]:
    """The model's weights as a state dict, float32, under the names both Sequentials give them
    ("0.weight", "0.bias", ...), in PyTorch's default ranges: Linear and Conv2d uniform in
    ±1/√fan_in (weight and bias), Embedding standard normal. A model of its own (`build`)
    takes glassgrad's initialisation after `autograd.manual_seed(seed)`.

    >>> sorted(init_weights(WORKLOADS["emb"]))
    ['0.weight', '2.bias', '2.weight', '4.bias', '4.weight']
    """
    if workload.build is not None:              # glassgrad's own initialisation, seeded
        import autograd
        autograd.manual_seed(seed)
        model = workload.build(glassgrad_library())
        return {name: np.array(w) for name, w in model.state_dict().items()}
    rng = np.random.default_rng(seed)
    weights = {}
    for i, (kind, *args) in enumerate(workload.layers):
        if kind == "Embedding":
            weights[f"{i}.weight"] = rng.standard_normal(args, dtype=np.float32)
            continue
        if kind == "Linear":
            fan_in, outputs = args
            shape = (outputs, fan_in)                   # (out, in), in both libraries
        elif kind == "Conv2d":
            channels_in, outputs, kernel = args
            shape, fan_in = (outputs, channels_in, kernel, kernel), channels_in * kernel * kernel
        else:
            continue                                    # no weights
        bound = 1 / math.sqrt(fan_in)
        weights[f"{i}.weight"] = rng.uniform(-bound, bound, shape).astype(np.float32)
        weights[f"{i}.bias"] = rng.uniform(-bound, bound, outputs).astype(np.float32)
    return weights


def make_data(workload: Workload, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The workload's data set: `BATCHES_PER_EPOCH` batches' worth of examples."""
    return workload.data(np.random.default_rng(seed), BATCHES_PER_EPOCH * workload.batch)


def make_batches(workload: Workload, x: np.ndarray, y: np.ndarray, count: int,
                 seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """`count` batches, epoch after epoch over (x, y), every epoch in a new random order."""
    rng = np.random.default_rng(seed)
    batches = []
    while len(batches) < count:
        order = rng.permutation(len(x))
        for start in range(0, len(x), workload.batch):
            picked = order[start:start + workload.batch]
            batches.append((x[picked], y[picked]))
    return batches[:count]


# ----------------------------------------------------------------------------------------------
# The engines: one training loop, two libraries
# ----------------------------------------------------------------------------------------------

def glassgrad_library() -> tuple:
    """(nn, functional, optim, wrap, tensor module) of glassgrad."""
    import autograd
    import nn
    import nn.functional
    import nn.optim
    return nn, nn.functional, nn.optim, autograd.Tensor, autograd


def torch_library() -> tuple:
    """(nn, functional, optim, wrap, tensor module) of PyTorch."""
    import torch
    return torch.nn, torch.nn.functional, torch.optim, torch.from_numpy, torch


LIBRARIES = {"glassgrad": glassgrad_library, "torch": torch_library}


class Trainer:
    """A workload's model, loss and optimizer in one engine ("glassgrad" or "torch"), started
    from `weights`; `step(x, y)` trains on one numpy batch and returns its loss."""

    def __init__(self, engine: str, workload: Workload, weights: dict[str, np.ndarray]) -> None:
        library = LIBRARIES[engine]()
        nn, functional, optim, self.wrap, _ = library
        self.flat_targets = workload.flat_targets
        self.model = (workload.build(library) if workload.build is not None else
                      nn.Sequential(*(getattr(nn, kind)(*args) for kind, *args in workload.layers)))
        self.model.load_state_dict({name: self.wrap(w.copy()) for name, w in weights.items()})
        self.loss_fn = getattr(functional, workload.loss)
        self.optimizer = getattr(optim, workload.optimizer)(self.model.parameters(),
                                                            **workload.settings)

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        self.optimizer.zero_grad()
        if self.flat_targets:           # a sequence's (B, T) targets, as its (B·T, V) logits
            y = y.reshape(-1)
        loss = self.loss_fn(self.model(self.wrap(x)), self.wrap(y))
        loss.backward()
        self.optimizer.step()
        return loss.item()


# ----------------------------------------------------------------------------------------------
# One worker: one engine, one workload, a fresh process
# ----------------------------------------------------------------------------------------------

def time_steps(trainer: Trainer, batches: list) -> tuple[list[float], list[float]]:
    """(seconds of every step, loss of every step)."""
    seconds, losses = [], []
    for x, y in batches:
        started = time.perf_counter()
        losses.append(trainer.step(x, y))
        seconds.append(time.perf_counter() - started)
    return seconds, losses


def page_faults() -> int | None:
    """This process's minor page faults so far (Unix; None elsewhere). A step whose big
    temporaries come fresh from the OS every time (malloc hands blocks over 128 KB to mmap,
    until a big block has been freed once) pays one fault per 4 KB page it touches."""
    try:
        import resource
    except ImportError:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def faults_per_step(before: int | None, steps: int) -> float | None:
    after = page_faults()
    return None if before is None or after is None else (after - before) / steps


def time_fit(trainer: Trainer, workload: Workload, x: np.ndarray, y: np.ndarray,
             steps: int) -> dict:
    """`nn.fit`'s seconds per step, one number per epoch: one `fit(..., epochs=1)` call per
    epoch, timed whole and divided by its steps. The first epoch is the warm-up."""
    import nn
    from nn.data import DataLoader
    loader = DataLoader(x, y, batch_size=workload.batch, shuffle=True, seed=1)
    per_step, faults = [], None
    for epoch in range(1 + math.ceil(steps / len(loader))):
        if epoch == 1:
            faults = page_faults()
        started = time.perf_counter()
        nn.fit(trainer.model, trainer.loss_fn, trainer.optimizer, loader, epochs=1,
               progress=False)
        per_step.append((time.perf_counter() - started) / len(loader))
    return {"first_seconds": per_step[:1], "step_seconds": per_step[1:],
            "faults_per_step": faults_per_step(faults, (len(per_step) - 1) * len(loader))}


def time_loop(trainer: Trainer, batches: list) -> dict:
    """The hand-written loop over `batches`: the first `WARMUP` steps, then the rest."""
    first, first_losses = time_steps(trainer, batches[:WARMUP])
    faults = page_faults()
    steady, losses = time_steps(trainer, batches[WARMUP:])
    return {"first_seconds": first, "step_seconds": steady,
            "faults_per_step": faults_per_step(faults, len(steady)),
            "first_losses": (first_losses + losses)[:LOSSES_COMPARED], "last_loss": losses[-1]}


def free_a_big_block() -> None:
    """Allocate and free one 16 MB block, as a script that loads or converts its data has done
    before it trains (`X.astype(np.float32)`, a DataLoader's copy). glibc's malloc then keeps
    blocks up to that size on its heap; before, it maps every block over 128 KB afresh from
    the OS, and a step pays a page fault per 4 KB of its big temporaries."""
    block = np.ones(16 * 2 ** 20, dtype=np.uint8)     # ones, not empty: the pages are touched
    del block


def worker(workload: str, engine: str, steps: int, warm_allocator: bool = False,
           keep_freed_memory: bool = False) -> dict:
    """Train `workload` with `engine` ("glassgrad", "torch" or "glassgrad nn.fit") and return
    the first steps' and the steady steps' seconds, page faults per steady step, and (hand
    loops) the first losses. `warm_allocator`: `free_a_big_block()` first;
    `keep_freed_memory`: `autograd.keep_freed_memory()` first (for either engine: the same
    allocator settings for both)."""
    if warm_allocator:
        free_a_big_block()
    if keep_freed_memory:
        from autograd.allocator import keep_freed_memory as keep
        keep()
    chosen = WORKLOADS[workload]
    x, y = make_data(chosen)
    trainer = Trainer("torch" if engine == "torch" else "glassgrad", chosen, init_weights(chosen))
    result: dict[str, Any] = {"workload": workload, "engine": engine}
    if engine == "glassgrad nn.fit":
        return result | time_fit(trainer, chosen, x, y, steps)
    result |= time_loop(trainer, make_batches(chosen, x, y, WARMUP + steps))
    if engine == "torch":
        import torch
        result.update(threads=torch.get_num_threads(), version=torch.__version__)
    return result


# ----------------------------------------------------------------------------------------------
# The driver
# ----------------------------------------------------------------------------------------------

def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def engines_for(workload: Workload, with_torch: bool) -> list[str]:
    engines = ["glassgrad"] + (["torch"] if with_torch else [])
    return engines + (["glassgrad nn.fit"] if workload.with_fit else [])


def measure(name: str, args: argparse.Namespace, with_torch: bool) -> dict[str, list[dict]]:
    """{engine: [worker result per round]}, the engines alternating round by round."""
    tasks = {engine: {"workload": name, "engine": engine, "steps": args.steps,
                      "warm_allocator": args.warm_allocator,
                      "keep_freed_memory": args.keep_freed_memory}
             for engine in engines_for(WORKLOADS[name], with_torch)}
    return harness.alternate(tasks, args.rounds, harness.worker_env(args.threads),
                             lambda message: progress(f"{name} {message}"), module=MODULE)


def summarise(rounds: list[dict]) -> dict[str, Any]:
    """Median, q1-q3 of all steady steps, min-max of the rounds' medians, first steps' median."""
    steps = Summary([t for r in rounds for t in r["step_seconds"]],
                    [t for r in rounds for t in r["first_seconds"]])
    round_medians = [statistics.median(r["step_seconds"]) for r in rounds]
    return {"median_s": steps.median, "q1_s": steps.q1, "q3_s": steps.q3,
            "round_min_s": min(round_medians), "round_max_s": max(round_medians),
            "first_median_s": steps.first_median, "steps": steps.n, "rounds": len(rounds),
            "faults_per_step": median_or_none([r["faults_per_step"] for r in rounds])}


def median_or_none(values: list) -> float | None:
    return None if None in values else statistics.median(values)


def loss_check(results: dict[str, list[dict]]) -> str:
    """One line: both engines' first losses (from the first round) and whether they agree."""
    losses = {engine: rounds[0]["first_losses"] for engine, rounds in results.items()
              if "first_losses" in rounds[0]}
    line = "; ".join(f"{engine} " + ", ".join(f"{v:.6f}" for v in values)
                     for engine, values in losses.items())
    if "torch" not in losses:
        return f"first losses: {line}"
    worst = max(abs(a - b) / abs(b) for a, b in zip(losses["glassgrad"], losses["torch"]))
    verdict = "agree" if worst <= LOSS_TOLERANCE else "DIFFER"
    return f"first losses: {line}; largest relative difference {worst:.1g} ({verdict})"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f}"


def faults(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def print_table(report: dict[str, dict]) -> None:
    print("| workload | engine | step median (µs) | steps q1 – q3 | rounds min – max | "
          "first steps | page faults / step | torch / glassgrad |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, entry in report.items():
        torch_median = entry["engines"].get("torch", {}).get("median_s")
        for engine, s in entry["engines"].items():
            if engine == "torch":
                threads = entry["torch_threads"]
                label, ratio = f"torch ({threads} thread{'' if threads == 1 else 's'})", ""
            else:
                label = engine
                ratio = f"**{torch_median / s['median_s']:.2f}×**" if torch_median else "–"
            print(f"| {name} | {label} | {us(s['median_s'])} | {us(s['q1_s'])} – {us(s['q3_s'])}"
                  f" | {us(s['round_min_s'])} – {us(s['round_max_s'])} | "
                  f"{us(s['first_median_s'])} | {faults(s['faults_per_step'])} | {ratio} |")


def print_header(machine: dict, args: argparse.Namespace, load: str) -> None:
    threads = "library defaults" if args.threads is None else f"{args.threads} (both engines)"
    print(f"Small models, glassgrad vs PyTorch: {args.rounds} rounds of {args.steps} steps "
          f"(+{WARMUP} first steps) per engine and workload")
    print(f"{machine['cpu']}, {machine['usable_cores']} usable cores, {machine['platform']}")
    print(f"{machine['python']}, numpy {machine['numpy']}, torch {machine['torch']}; "
          f"threads: {threads}; 1-minute load average {load}")
    print("allocator: " + ("autograd.keep_freed_memory() in every process"
                           if args.keep_freed_memory else
                           "warm (every process freed a 16 MB block first, as a script that "
                           "loaded its data has)" if args.warm_allocator else
                           "fresh (no big block freed before training)"))
    print()


def print_notes(report: dict[str, dict], with_torch: bool) -> None:
    print()
    for name, entry in report.items():
        print(f"- {name} ({entry['title']}): {entry['losses']}")
    print(f"- µs per training step. Spread: q1 – q3 of all steady steps; min – max of the "
          f"rounds' medians. First steps: median of the first {WARMUP} steps of every process "
          f"(for nn.fit: of the first epoch's mean step).")
    print("- glassgrad nn.fit: one fit(..., epochs=1) call per epoch, its time / its steps; "
          "torch / glassgrad compares it with torch's hand-written loop.")
    print("- page faults / step: minor faults per steady step (median of the rounds). Hundreds "
          "mean the step's big temporaries came fresh from the OS every time: glibc's malloc "
          "maps blocks over 128 KB anew each time until a big block has been freed once.")
    if not with_torch:
        print("- PyTorch is not installed: glassgrad alone (pip install torch for the "
              "comparison).")


def run_all(args: argparse.Namespace) -> dict:
    with_torch = importlib.util.find_spec("torch") is not None
    load_before = harness.load_average()
    started = time.perf_counter()
    report, torch_version = {}, None
    for name in args.only:
        results = measure(name, args, with_torch)
        report[name] = {"title": WORKLOADS[name].title, "losses": loss_check(results),
                        "engines": {e: summarise(rounds) for e, rounds in results.items()}}
        if "torch" in results:
            report[name]["torch_threads"] = results["torch"][0]["threads"]
            torch_version = results["torch"][0]["version"]
    load = f"{load_before} before, {harness.load_average()} after"
    machine = harness.machine_info({"torch": torch_version})
    machine.pop("micrograd")
    print_header(machine, args, load)
    print_table(report)
    print_notes(report, with_torch)
    elapsed = time.perf_counter() - started
    print(f"\ntotal time {elapsed:.0f} s")
    return {"command": ["python", "benchmarks/small_models.py", *sys.argv[1:]],
            "machine": machine, "load_average": load, "threads": args.threads or "default",
            "rounds": args.rounds, "steps": args.steps, "warmup": WARMUP, "workloads": report,
            "elapsed_s": elapsed}


def threads(text: str) -> int | None:
    """--threads: a positive number, or 'default' (None: each library's own choice)."""
    if text == "default":
        return None
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number or 'default', got {text!r}")
    return int(text)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return int(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=positive, default=5, help="processes per engine")
    parser.add_argument("--steps", type=positive, default=300,
                        help="timed steps per process, after the first steps")
    parser.add_argument("--threads", type=threads, default=1,
                        help="BLAS and PyTorch threads: N, or 'default' (default: 1)")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated workloads (default: {','.join(WORKLOADS)})")
    parser.add_argument("--warm-allocator", action="store_true",
                        help="free one 16 MB block first in every process, as a script that "
                             "loads or converts its data has (see free_a_big_block)")
    parser.add_argument("--keep-freed-memory", action="store_true",
                        help="call autograd.keep_freed_memory() first in every process (both "
                             "engines)")
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE")
    parser.add_argument("task", nargs="?", help=argparse.SUPPRESS)   # a worker's task (JSON)
    args = parser.parse_args(argv)
    args.only = harness.chosen_workloads(parser, args.only, WORKLOADS, str.lower)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.task:                       # started by harness.run_worker: one engine, one workload
        print(json.dumps(worker(**json.loads(args.task))))
        return 0
    result = run_all(args)
    if args.json:
        from autograd.files import atomic_open
        with atomic_open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
