"""`autograd.compile` measured: micrograd's demo step recorded once and replayed, and how the
replay scales with the graph.

    python benchmarks/compile.py [--quick] [--json out.json]

    S1 compiled   micrograd's demo step (MLP 2-16-16-1, 100 moons: forward + backward + SGD over
                  the 337 parameters): micrograd, glassgrad eager and glassgrad compiled, each in
                  its own subprocess, alternating chunk by chunk; medians and interquartile range.
                  The compiled losses are compared with micrograd's, step by step, from the same
                  initial weights; the compile time (record + plan + first replay) is set next to
                  one eager step.
    scaling       MLPs 2-16-16-1 and 2-64-64-1 on 100 and 1,000 points: replay time per step and
                  per recorded node, levels, steps, compile time, bytes per node.

A report, not a test: targets are compared, never asserted. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):           # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness, scalar_mlp          # noqa: E402
from benchmarks.harness import split_steps          # noqa: E402

TARGET, AIM = 500.0, 1000.0                         # speed-up over micrograd's step


# ----------------------------------------------------------------------------------------------
# Worker tasks (run by `python -m benchmarks.workloads`, one subprocess each)
# ----------------------------------------------------------------------------------------------

def _compiled_training(hidden: int, points: int, steps: int, seed: int = 1337) -> dict:
    """Record the demo loss of an MLP 2-hidden-hidden-1 once, then time `steps` replayed SGD
    steps (forward, zero_grad, backward, update), as micrograd's demo loop does them."""
    import random

    from autograd import Value
    from autograd.compiler import CompiledGraph
    from autograd.compiler.plan import Plan
    from autograd.compiler.record import record

    X, y = scalar_mlp.make_moons(points, noise=0.1, seed=seed)
    random.seed(seed)
    model = scalar_mlp.MLP(2, [hidden, hidden, 1], Value)
    t0 = time.perf_counter()
    loss = scalar_mlp.demo_loss(model, X, y, Value)
    t1 = time.perf_counter()
    recording = record(loss)
    t2 = time.perf_counter()
    plan = Plan(recording)
    t3 = time.perf_counter()
    graph = CompiledGraph(plan)                     # (runs the first forward)
    t4 = time.perf_counter()
    del loss, recording                             # the eager graph is not needed any more
    times, losses = [], []
    for k in range(steps):
        start = time.perf_counter()
        losses.append(scalar_mlp.replay_step(graph, model, k))
        times.append(time.perf_counter() - start)
    return {"times": times, "losses": losses, "build_s": t1 - t0, "record_s": t2 - t1,
            "plan_s": t3 - t2, "first_replay_s": t4 - t3, "recorded": plan.recorded,
            "nodes": plan.size - plan.op_start, "levels": plan.levels, "steps": len(plan.steps),
            "sums": plan.sums_made, "fused": plan.fused, "bytes_per_node": graph.bytes_per_node(),
            "nbytes": graph.nbytes, "summary": repr(graph)}


def s1_compiled_chunk(steps: int, seed: int = 1337) -> dict:
    """S1 compiled: micrograd's demo, 2-16-16-1 on 100 moons."""
    return _compiled_training(16, 100, steps, seed)


def scaling_chunk(hidden: int, points: int, steps: int, eager_steps: int = 2) -> dict:
    """The replay of an MLP 2-hidden-hidden-1 on `points` moons, and `eager_steps` eager steps
    of the same model for comparison (the fastest is reported: the first one warms up)."""
    from autograd import Value

    result = _compiled_training(hidden, points, steps)
    X, y = scalar_mlp.make_moons(points, noise=0.1, seed=1337)
    import random
    random.seed(1337)
    model = scalar_mlp.MLP(2, [hidden, hidden, 1], Value)
    eager = []
    for k in range(eager_steps):
        start = time.perf_counter()
        scalar_mlp.train_step(model, X, y, k, Value)
        eager.append(time.perf_counter() - start)
    result["eager_times"] = eager
    return result


# ----------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def bench_s1(args: argparse.Namespace, env: dict | None, report: dict) -> None:
    probe = harness.run_worker({"task": "probe"}, env)
    tasks = {"glassgrad eager": {"task": "s1", "engine": "glassgrad", "steps": args.eager_steps},
             "glassgrad compiled": {"task": "s1_compiled", "steps": args.compiled_steps}}
    if probe["micrograd"]:
        tasks = {"micrograd": {"task": "s1", "engine": "micrograd",
                               "steps": args.micrograd_steps}, **tasks}
    results = harness.alternate(tasks, args.rounds, env, progress)
    summaries = {name: split_steps([c["times"] for c in chunks], args.warmup)
                 for name, chunks in results.items()}

    print("S1: micrograd's demo step (MLP 2-16-16-1, 100 moons; forward + backward + SGD)")
    print(f"{'engine':<20} {'median':>10} {'IQR':>22} {'steps':>6}  vs micrograd")
    reference = summaries.get("micrograd")
    for name, s in summaries.items():
        ratio = ""
        if reference is not None and name != "micrograd":
            speedup = reference.median / s.median
            ratio = f"{speedup:,.0f}x faster"
            if name == "glassgrad compiled":
                ratio += (f"  (target >= {TARGET:.0f}x, aim {AIM:.0f}x: "
                          f"{'met' if speedup >= TARGET else 'NOT met'}"
                          f"{', aim met' if speedup >= AIM else ''})")
            report.setdefault("s1", {})[f"speedup {name}"] = speedup
        print(f"{name:<20} {ms(s.median):>10} {ms(s.q1) + ' - ' + ms(s.q3):>22} {s.n:>6}  "
              f"{ratio}")
        report.setdefault("s1", {})[name] = {"median_s": s.median, "q1_s": s.q1, "q3_s": s.q3,
                                             "steps": s.n}

    compiled = results["glassgrad compiled"]
    first = compiled[0]
    compile_s = statistics.median(c["record_s"] + c["plan_s"] + c["first_replay_s"]
                                  for c in compiled)
    eager = summaries["glassgrad eager"].median
    print(f"\ncompile (record + plan + first replay): {ms(compile_s)} (record "
          f"{ms(statistics.median(c['record_s'] for c in compiled))}, plan "
          f"{ms(statistics.median(c['plan_s'] for c in compiled))}) = "
          f"{compile_s / eager:.1f} eager steps of {ms(eager)}; building the graph once "
          f"(eager forward) {ms(statistics.median(c['build_s'] for c in compiled))}")
    print(f"plan: {first['summary']}")
    print(f"memory: {first['nbytes']:,} bytes = {first['bytes_per_node']:.0f} bytes per recorded "
          f"node (index arrays, value and gradient buffers, inputs saved for backward)")
    report["s1"]["compile_s"] = compile_s
    report["s1"]["bytes_per_node"] = first["bytes_per_node"]

    if "micrograd" in results:
        reference_losses = results["micrograd"][0]["losses"]
        ours = first["losses"][:len(reference_losses)]
        worst = max(abs(a - b) / abs(b) for a, b in zip(ours, reference_losses))
        print(f"losses: compiled vs micrograd over {len(ours)} steps from the same weights: "
              f"max relative difference {worst:.2g} (<= 1e-12: "
              f"{'yes' if worst <= 1e-12 else 'NO'}); step 0 {ours[0]!r} vs "
              f"{reference_losses[0]!r}, step {len(ours) - 1} {ours[-1]!r} vs "
              f"{reference_losses[-1]!r}")
        report["s1"]["loss_max_relative_difference"] = worst
    else:
        print("micrograd is not installed (pip install micrograd): no reference row, no loss "
              "comparison")
    print()


def bench_scaling(args: argparse.Namespace, env: dict | None, report: dict) -> None:
    print("scaling: the replayed step (forward + backward + SGD) of MLP 2-h-h-1 on n points")
    print(f"{'MLP':<10} {'points':>6} {'recorded':>10} {'replayed':>9} {'levels':>6} "
          f"{'steps':>5} {'step':>9} {'per node':>9} {'compile':>9} {'eager step':>10} "
          f"{'vs eager':>8} {'B/node':>6}")
    rows = []
    for hidden in (16, 64):
        for points in args.points:
            progress(f"scaling 2-{hidden}-{hidden}-1 x {points}")
            r = harness.run_worker({"task": "compile_scaling", "hidden": hidden, "points": points,
                                    "steps": args.scaling_steps}, env, timeout=3600)
            s = split_steps([r["times"]], min(args.warmup, len(r["times"]) - 1))
            eager = min(r["eager_times"])
            compile_s = r["record_s"] + r["plan_s"] + r["first_replay_s"]
            per_node = s.median / r["recorded"]
            print(f"2-{hidden}-{hidden}-1{'':<{10 - len(f'2-{hidden}-{hidden}-1')}} {points:>6,} "
                  f"{r['recorded']:>10,} {r['nodes']:>9,} {r['levels']:>6} {r['steps']:>5} "
                  f"{ms(s.median):>9} {per_node * 1e9:>6.1f} ns {compile_s:>7.2f} s "
                  f"{eager:>8.2f} s {eager / s.median:>7,.0f}x {r['bytes_per_node']:>6.0f}")
            rows.append({"hidden": hidden, "points": points, "median_s": s.median,
                         "per_node_s": per_node, "compile_s": compile_s, "eager_s": eager,
                         **{k: r[k] for k in ("recorded", "nodes", "levels", "steps",
                                              "bytes_per_node")}})
    report["scaling"] = rows
    print("recorded: op nodes of the eager graph; replayed: after fusing sums; per node: the "
          "step's median over recorded nodes; eager step: the faster of 2 eager steps (build + "
          "backward + SGD); vs eager: that over the replayed step.")


def parse_args(argv: list | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and steps")
    parser.add_argument("--only", choices=["s1", "scaling"], help="run one part")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers to PATH")
    args = parser.parse_args(argv)
    args.rounds = 2 if args.quick else 3
    args.warmup = 2
    args.micrograd_steps = 10 if args.quick else 12     # >= 10: the loss comparison
    args.eager_steps = 10 if args.quick else 20
    args.compiled_steps = 100                           # the whole demo (its lr schedule ends)
    args.scaling_steps = 20 if args.quick else 50
    args.points = [100] if args.quick else [100, 1000]
    return args


def main(argv: list | None = None) -> int:
    args = parse_args(argv)
    env = harness.worker_env(None)
    report: dict = {"mode": "quick" if args.quick else "full"}
    started = time.perf_counter()
    machine = harness.machine_info(harness.run_worker({"task": "probe"}, env))
    print("autograd.compile benchmarks" + (" (--quick)" if args.quick else ""))
    for key, value in machine.items():
        print(f"  {key:<13}{value}")
    print()
    if args.only in (None, "s1"):
        bench_s1(args, env, report)
    if args.only in (None, "scaling"):
        bench_scaling(args, env, report)
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, **report}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
