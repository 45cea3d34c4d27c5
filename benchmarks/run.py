"""glassgrad's benchmark report.

    python benchmarks/run.py [--quick] [--only S1,T1] [--json out.json] [--mnist DIR]

    S1  micrograd's demo step (MLP 2-16-16-1, 100 moons): micrograd vs glassgrad's Value
        (eager, and replayed by autograd.compile: benchmarks/compile.py has the details)
    S2  a chain of 1,000,000 scalar ops: build + backward time, bytes per op
    T1  MLP 784-100-10 on MNIST: hand-written numpy vs glassgrad's Tensor vs PyTorch, with two
        controls (a second copy of the numpy code; glassgrad's rules called with no graph);
        default BLAS threads, then one thread
    T2  the fixed cost of one op (+ backward) on scalars and one-element tensors

Every engine is timed in its own subprocess, engines alternate chunk by chunk, and the table
shows medians. It is a report: targets are compared, never asserted. Progress goes to stderr,
the report to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ""):           # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness          # noqa: E402  (after the path fix above)
from benchmarks.harness import Summary, alternate, split_steps  # noqa: E402
from benchmarks.workloads import t1_numpy_key  # noqa: E402

WORKLOADS = ("S1", "S2", "T1", "T2")
DEFAULT_MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


# ----------------------------------------------------------------------------------------------
# How much to run
# ----------------------------------------------------------------------------------------------

@dataclass
class Plan:
    """Sizes of a run. Steps are per chunk (one subprocess); every engine runs `rounds` chunks."""
    rounds: int = 3
    warmup: int = 2                                 # first steps of a chunk, reported apart
    s1_steps: dict = field(default_factory=lambda: {"micrograd": 6, "glassgrad": 12,
                                                    "glassgrad+compile": 100})
    s2_n: int = 1_000_000
    s2_repeats: int = 3
    t1_steps: list = field(default_factory=lambda: [[16, 200], [64, 150], [512, 30]])
    t1_rounds: int = 8                              # T1 chunks: each places its arrays anew
    t1_loss_steps: int = 5                          # steps over which the losses are compared
    t2_repeat: int = 5
    t2_seconds: float = 0.1                         # length of one timeit repeat


QUICK = Plan(rounds=2, warmup=1, s1_steps={"micrograd": 3, "glassgrad": 6,
                                           "glassgrad+compile": 50}, s2_n=100_000,
             s2_repeats=2, t1_steps=[[16, 100], [64, 100], [512, 15]], t1_rounds=2, t2_repeat=3,
             t2_seconds=0.05)


@dataclass
class Context:
    """What every benchmark needs: the plan, what is installed, the workers' environment, and
    the rows and notes of the report it adds to."""
    plan: Plan
    probe: dict
    env: dict | None
    mnist_dir: str
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def alternate(self, tasks: dict, rounds: int) -> dict:
        return alternate(tasks, rounds, self.env, progress)


# ----------------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------------

@dataclass
class Row:
    workload: str
    engine: str
    median: str
    spread: str = ""
    first: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""
    values: dict = field(default_factory=dict)      # the raw numbers, for --json


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.3g} µs"


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def faster(reference_time: float, our_time: float, reference: str) -> str:
    """'2.5x faster than micrograd' (or 'slower'), from the two times."""
    if our_time <= reference_time:
        return f"{reference_time / our_time:.2f}x faster than {reference}"
    return f"{our_time / reference_time:.2f}x slower than {reference}"


def torch_label(threads: int) -> str:
    """'torch (2 threads)': PyTorch's row names its thread count."""
    return f"torch ({threads} thread{'' if threads == 1 else 's'})"


def step_row(workload: str, engine: str, s: Summary, **extra) -> Row:
    """A row for per-step timings: median, interquartile range, median of the first steps."""
    first = ms(s.first_median) if s.first_median is not None else ""
    return Row(workload, engine, ms(s.median), f"{ms(s.q1)}–{ms(s.q3)}", first,
               values={"median_s": s.median, "q1_s": s.q1, "q3_s": s.q3, "min_s": s.min,
                       "max_s": s.max, "first_median_s": s.first_median, "steps": s.n},
               **extra)


def print_table(rows: list) -> None:
    if not rows:
        print("(no results)")
        return
    headers = ["workload", "engine", "median", "spread", "first steps", "vs reference",
               "target", "met"]
    cells = [[r.workload, r.engine, r.median, r.spread, r.first, r.ratio, r.target, r.met]
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    previous = None
    for r, c in zip(rows, cells):
        if previous is not None and r.workload.split()[0] != previous:
            print()
        previous = r.workload.split()[0]
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# S1: micrograd's demo
# ----------------------------------------------------------------------------------------------

def bench_s1(ctx: Context) -> None:
    """micrograd's demo step, twice: with plain Python numbers (micrograd's fastest path, the
    conservative comparison that the targets are judged on) and with numpy arrays (what the
    demo notebook really feeds in: sklearn's make_moons arrays and y*2-1 int64 labels)."""
    plan, probe, notes = ctx.plan, ctx.probe, ctx.notes
    engines = {}
    if probe["micrograd"]:
        engines["micrograd"] = plan.s1_steps["micrograd"]
    else:
        notes.append("S1: micrograd is not installed; no reference row, no speedup.")
    engines["glassgrad"] = plan.s1_steps["glassgrad"]
    if probe["relaxed_gc"]:
        engines["glassgrad+relaxed_gc"] = plan.s1_steps["glassgrad"]
    else:
        notes.append("S1: autograd.relaxed_gc does not exist yet; its row is skipped.")
    if probe.get("compile"):
        engines["glassgrad+compile"] = plan.s1_steps["glassgrad+compile"]
    for data, label in (("python", "S1 moons step (Python numbers)"),
                        ("numpy", "S1 moons step (demo's numpy data)")):
        _bench_s1_variant(ctx, engines, data, label)


def _bench_s1_variant(ctx: Context, engines: dict, data: str, label: str) -> None:
    plan, rows, notes = ctx.plan, ctx.rows, ctx.notes
    tasks = {name: {"task": "s1", "engine": name, "steps": steps, "data": data}
             for name, steps in engines.items()}
    results = ctx.alternate(tasks, plan.rounds)
    summaries = {name: split_steps([c["times"] for c in chunks], plan.warmup)
                 for name, chunks in results.items()}

    reference = summaries.get("micrograd")
    targets = {"glassgrad": (20.0, ">= 20x (aim 25x)"),
               "glassgrad+relaxed_gc": (35.0, ">= 35x"),
               "glassgrad+compile": (500.0, ">= 500x (aim 1000x)")}
    for name, s in summaries.items():
        row = step_row(label, name, s)
        if name == "micrograd":
            row.ratio = "reference"
        elif reference is not None:
            speedup = reference.median / s.median
            threshold, row.target = targets[name]
            row.ratio = f"speedup {speedup:.1f}x"
            row.met = verdict(speedup >= threshold)
            row.values["speedup"] = speedup
        rows.append(row)

    first_losses = {name: chunks[0]["losses"][0] for name, chunks in results.items()}
    text = ", ".join(f"{name} {loss!r}" for name, loss in first_losses.items())
    if "micrograd" in first_losses:
        diff = abs(first_losses["glassgrad"] - first_losses["micrograd"])
        text += " -> identical" if diff == 0 else f" -> DIFFER by {diff:.3g}"
    notes.append(f"{label}: loss at step 0: {text}.")
    gc_text = []
    for name, chunks in results.items():
        steady = [c for chunk in chunks for c in zip(chunk["gc_collections"][plan.warmup:],
                                                      chunk["gc_seconds"][plan.warmup:])]
        if steady:
            gc_text.append(f"{name} {statistics.median(n for n, _ in steady):.0f} collections, "
                           f"{ms(statistics.median(t for _, t in steady))}")
    notes.append(f"{label}: garbage collector per steady-state step (median, gc.callbacks): "
                 + "; ".join(gc_text) + ".")
    notes.append(f"{label}: ms per step; {plan.warmup} first steps of each chunk reported apart; "
                 f"steady-state steps: " + ", ".join(f"{n} {s.n}" for n, s in summaries.items())
                 + ".")


# ----------------------------------------------------------------------------------------------
# S2: a 1,000,000-op chain
# ----------------------------------------------------------------------------------------------

def bench_s2(ctx: Context) -> None:
    plan, probe, rows, notes = ctx.plan, ctx.probe, ctx.rows, ctx.notes
    n = plan.s2_n
    tasks = {"glassgrad": {"task": "s2", "n": n}}
    if probe["relaxed_gc"]:
        tasks["glassgrad+relaxed_gc"] = {"task": "s2", "n": n, "relaxed_gc": True}
    results = ctx.alternate(tasks, plan.s2_repeats)
    progress("memory run (tracemalloc)")
    memory = harness.run_worker({"task": "s2", "n": n, "trace_memory": True}, ctx.env)

    for name, runs in results.items():
        totals = [r["build"] + r["backward"] for r in runs]
        build = statistics.median(r["build"] for r in runs)
        backward = statistics.median(r["backward"] for r in runs)
        median = statistics.median(totals)
        row = Row(f"S2 chain {n:,}", name, f"{median:.2f} s",
                  f"{min(totals):.2f}–{max(totals):.2f} s",
                  ratio=f"build {build:.2f} s + bwd {backward:.2f} s",
                  values={"median_s": median, "build_s": build, "backward_s": backward,
                          "totals_s": totals})
        if name == "glassgrad":
            row.target, row.met = "<= 2.5 s", verdict(median <= 2.5)
        rows.append(row)

    per_step = memory["peak_bytes"] / n
    rows.append(Row(f"S2 chain {n:,}", "glassgrad (memory)", f"{per_step:.0f} B/step",
                    ratio=f"peak {memory['peak_bytes'] / 1e6:.0f} MB", target="<= 250 B/step",
                    met=verdict(per_step <= 250),
                    values={"bytes_per_step": per_step, "peak_bytes": memory["peak_bytes"]}))

    checks = [r for runs in results.values() for r in runs] + [memory]
    worst = max(abs(r["grad"] / r["expected"] - 1) for r in checks)
    notes.append(f"S2: x.grad = {checks[0]['grad']!r}, 1.0001**{n} = {checks[0]['expected']!r}, "
                 f"worst relative error {worst:.2g} ({'ok' if worst <= 1e-9 else 'WRONG'}, "
                 f"tolerance 1e-9).")
    notes.append(f"S2: build + backward, {plan.s2_repeats} runs each; spread is min–max; "
                 f"memory is the tracemalloc peak of a separate run divided by N.")
    if not probe["relaxed_gc"]:
        notes.append("S2: autograd.relaxed_gc does not exist yet; its row is skipped.")


# ----------------------------------------------------------------------------------------------
# T1: MNIST MLP
# ----------------------------------------------------------------------------------------------

T1_AIMS = {16: 1.15, 64: 1.10, 512: 1.05}


def bench_t1(ctx: Context) -> None:
    """T1 with the BLAS libraries' default threads, then (unless --threads chose a number) again
    with one thread each: there two copies of the numpy reference measure 1.00 apart, while with
    two threads on a 2-vCPU machine a single chunk's copies measured 0.83-1.21 apart."""
    plan, probe, notes = ctx.plan, ctx.probe, ctx.notes
    tasks = {"numpy+glassgrad": {"task": "t1_numpy_and_ours", "plan": plan.t1_steps,
                                 "data_dir": ctx.mnist_dir, "chunk": 0}}
    if probe["torch"]:
        tasks["torch"] = {"task": "t1_torch", "plan": plan.t1_steps, "data_dir": ctx.mnist_dir}
    else:
        notes.append("T1: torch is not installed; no PyTorch rows.")
    results = ctx.alternate(tasks, plan.t1_rounds)
    source = next(iter(results.values()))[0]["data"]
    dataset = "MNIST" if source.startswith("MNIST") else "random-data"
    _t1_rows(ctx, results, f"T1 {dataset}", "")
    if ctx.env is None:
        one_thread = alternate(tasks, plan.t1_rounds, harness.worker_env(1), progress)
        _t1_rows(ctx, one_thread, f"T1 {dataset}", ", 1 BLAS thread")
        notes.append("T1, 1 BLAS thread: the same runs with OPENBLAS_NUM_THREADS, OMP_NUM_THREADS "
                     "and MKL_NUM_THREADS set to 1 for every engine.")
    notes.append(f"T1: data: {source}.")
    notes.append("T1: 'its rules, no graph' is glassgrad's own op rules called by hand on the "
                 "arrays (weights in nn.Linear's (out, in) layout): rules/numpy is what the "
                 "formulas and the layout cost, ours/rules what the graph costs.")
    notes.append("T1: the numpy twin is a second copy of the reference, run in glassgrad's place "
                 "as the control (each ratio is against the numpy of its own loop). Each chunk "
                 "shifts where the arrays land (a random allocation first) and runs the loops in "
                 "a random order: with one placement, two copies of one program measured up "
                 "to 20 % apart with two BLAS threads on a 2-vCPU machine (1.00 apart with one "
                 "thread). A ratio is the median over the chunks of each chunk's own ratio (the two "
                 "engines alternated within it); in brackets, the lowest and the highest.")
    notes.append("T1: float32, SGD lr 0.1, same init (numpy seed 0) and batches for all engines; "
                 "numpy and glassgrad share a process and alternate step by step, and numpy "
                 "with each control the same way; steps per chunk "
                 + ", ".join(f"B={b}: {s}" for b, s in plan.t1_steps)
                 + f", {plan.t1_rounds} chunks each.")


def _chunk_ratios(engine_chunks: list, numpy_chunks: list, warmup: int) -> tuple:
    """(median, lowest, highest) over the chunks of each chunk's own ratio of medians,
    engine / numpy: the two alternated in that chunk, so each ratio is a paired comparison
    (pooling all chunks' steps first would mix chunks that ran at different speeds)."""
    ratios = [statistics.median(e[warmup:]) / statistics.median(n[warmup:])
              for e, n in zip(engine_chunks, numpy_chunks)]
    return statistics.median(ratios), min(ratios), max(ratios)


def _t1_rows(ctx: Context, results: dict, name: str, suffix: str) -> None:
    """The table rows (and the loss check) of one T1 pass; `suffix` names its thread setting."""
    plan, rows, notes = ctx.plan, ctx.rows, ctx.notes

    for batch_size, _ in plan.t1_steps:
        key = str(batch_size)
        times, losses = {}, {}
        for chunks in results.values():
            for engine in chunks[0][key]["times"]:
                times[engine] = [c[key]["times"][engine] for c in chunks]
                if engine in chunks[0][key]["losses"]:     # (not the twin's own numpy)
                    losses[engine] = chunks[0][key]["losses"][engine]
        summaries = {engine: split_steps(t, plan.warmup) for engine, t in times.items()}
        ours = summaries["glassgrad"]
        workload = f"{name} B={batch_size}{suffix}"

        row = step_row(workload, "numpy (by hand)", summaries["numpy"], ratio="reference")
        rows.append(row)

        ratio, low, high = _chunk_ratios(times["glassgrad"], times["numpy"], plan.warmup)
        limit = T1_AIMS.get(batch_size, 1.15)
        row = step_row(workload, "glassgrad", ours,
                       ratio=f"ours/numpy {ratio:.2f} ({low:.2f}–{high:.2f})",
                       target=f"<= {limit:.2f}", met=verdict(ratio <= limit))
        row.values.update(ours_over_numpy=ratio, chunk_low=low, chunk_high=high)
        rows.append(row)

        for engine, label, short in (("rules, no graph", "its rules, no graph", "rules"),
                                     ("numpy twin", "numpy twin (control)", "twin")):
            other, low, high = _chunk_ratios(times[engine], times[t1_numpy_key(engine)],
                                             plan.warmup)
            row = step_row(workload, label, summaries[engine],
                           ratio=f"{short}/numpy {other:.2f} ({low:.2f}–{high:.2f})")
            row.values.update({f"{short}_over_numpy": other, "chunk_low": low,
                               "chunk_high": high})
            rows.append(row)

        if "torch" in summaries:
            speedup = summaries["torch"].median / ours.median
            row = step_row(workload, torch_label(results["torch"][0]["threads"]),
                           summaries["torch"], ratio=f"torch/ours {speedup:.2f}",
                           target="> 1", met=verdict(speedup > 1))
            row.values["torch_over_ours"] = speedup
            rows.append(row)

        k = plan.t1_loss_steps
        diffs = {engine: max(abs(a - b) for a, b in zip(losses[engine][:k], losses["numpy"][:k]))
                 for engine in losses if engine != "numpy"}
        notes.append(f"T1 B={batch_size}{suffix}: numpy's loss at step {k}: "
                     f"{losses['numpy'][k - 1]:.6f}; max |loss - numpy's| over the first {k} "
                     f"steps: " + ", ".join(f"{e} {d:.2g} ({'ok' if d <= 1e-5 else 'DIFFERENT'})"
                                           for e, d in diffs.items()) + ".")


# ----------------------------------------------------------------------------------------------
# T2: per-op overhead
# ----------------------------------------------------------------------------------------------

T2_CASES = [
    # (result key, workload label, engine whose numbers are the reference, target: µs or
    #  a speed-up over the reference ("3x"), or None)
    ("value_op", "T2 Value a*b", "micrograd", None),
    ("value_op_backward", "T2 Value a*b+backward", "micrograd", None),
    ("value_leaf_op_backward", "T2 Value(1.0) then (v*1.5).backward()", "micrograd", "3x"),
    ("tensor_op", "T2 Tensor(1) x*y", "torch", None),
    ("tensor_op_backward", "T2 Tensor(1) (x*y).sum().backward()", "torch", 6.0),
]


def bench_t2(ctx: Context) -> None:
    plan, probe, rows, notes = ctx.plan, ctx.probe, ctx.rows, ctx.notes
    engines = ["glassgrad"] + [e for e in ("micrograd", "torch") if probe[e]]
    tasks = {e: {"task": "t2", "engine": e, "repeat": plan.t2_repeat, "seconds": plan.t2_seconds}
             for e in engines}
    results = ctx.alternate(tasks, plan.rounds)

    for key, workload, reference, target in T2_CASES:
        per_engine = {e: [t for chunk in chunks for t in chunk[key]]
                      for e, chunks in results.items() if key in chunks[0]}
        for engine, times in per_engine.items():
            median = statistics.median(times)
            label = engine
            if engine == "torch":
                label = torch_label(results["torch"][0]["threads"])
            row = Row(workload, label, us(median), f"min {us(min(times))}",
                      values={"median_s": median, "min_s": min(times), "repeats": len(times)})
            if engine == "glassgrad":
                reference_median = None
                if reference in per_engine:
                    reference_median = statistics.median(per_engine[reference])
                    row.ratio = faster(reference_median, median, reference)
                if isinstance(target, str):                 # a speed-up over the reference
                    needed = float(target.rstrip("x"))
                    row.target = f">= {target} faster"
                    if reference_median is not None:
                        row.met = verdict(reference_median / median >= needed)
                elif target is not None:
                    row.target, row.met = f"<= {target:g} µs", verdict(median <= target * 1e-6)
            else:
                row.ratio = "reference"
                if engine == "torch" and key == "tensor_op_backward":
                    row.target = "≈20 µs (expected)"
            rows.append(row)
    notes.append(f"T2: timeit (GC off while timing, its default), {plan.t2_repeat} repeats per "
                 f"chunk, {plan.rounds} chunks per engine; median and min over all repeats.")


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

def parse_args(argv: list | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help="comma-separated workloads to run (default: S1,S2,T1,T2)")
    parser.add_argument("--quick", action="store_true",
                        help="a short run (fewer steps and rounds, S2 with N=100,000)")
    parser.add_argument("--json", metavar="PATH", help="also write the results to PATH as JSON")
    parser.add_argument("--mnist", metavar="DIR",
                        help="folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz "
                             "(default: $GLASSGRAD_MNIST_DIR, else ../shared/data/mnist)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="limit numpy's BLAS and PyTorch to N threads (default: leave their "
                             "defaults); helps when another process keeps a core busy")
    args = parser.parse_args(argv)
    args.only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in args.only if w not in WORKLOADS]
    if unknown:
        parser.error(f"--only: unknown workload(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(WORKLOADS)}")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    return args


def mnist_dir(args: argparse.Namespace) -> str:
    return str(args.mnist or os.environ.get("GLASSGRAD_MNIST_DIR") or DEFAULT_MNIST_DIR)


def busy_machine(machine: dict) -> bool:
    """True when the load average before the run was at least half the number of cores."""
    try:
        return float(machine["load_average"]) >= 0.5 * machine["usable_cores"]
    except ValueError:                          # load average unknown ('?')
        return False


BENCHMARKS = {"S1": bench_s1, "S2": bench_s2, "T1": bench_t1, "T2": bench_t2}


def main(argv: list | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else Plan()
    env = harness.worker_env(args.threads)
    started = time.perf_counter()

    probe = harness.run_worker({"task": "probe"}, env)
    machine = harness.machine_info(probe)
    machine["threads"] = f"{args.threads} (--threads)" if args.threads else "library defaults"
    print("glassgrad benchmarks" + (" (--quick)" if args.quick else ""))
    for key, value in machine.items():
        print(f"  {key:<13}{value}")
    print()

    ctx = Context(plan, probe, env, mnist_dir(args))
    if busy_machine(machine):
        ctx.notes.append(
            f"The machine was already busy (load average {machine['load_average']} on "
            f"{machine['usable_cores']} cores): multi-threaded numpy/PyTorch steps stall when "
            f"another process holds a core; compare with --threads 1.")
    for name in args.only:
        progress(name)
        t0 = time.perf_counter()
        try:
            BENCHMARKS[name](ctx)
        except harness.WorkerError as e:
            ctx.notes.append(f"{name}: FAILED: {e}")
        progress(f"{name} took {time.perf_counter() - t0:.0f} s")

    print_table(ctx.rows)
    print()
    print("spread: interquartile range of the steady-state steps (S1, T1), min–max of the runs "
          "(S2), min of the repeats (T2).")
    print(f"first steps: median of the first {plan.warmup} step(s) of every chunk (warm-up), kept "
          "out of the median.")
    for note in ctx.notes:
        print(f"- {note}")
    elapsed = time.perf_counter() - started
    print(f"\ntotal time {elapsed:.0f} s")

    if args.json:
        report = {"mode": "quick" if args.quick else "full", "machine": machine,
                  "plan": asdict(plan), "rows": [asdict(r) for r in ctx.rows],
                  "notes": ctx.notes, "elapsed_s": elapsed}
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
