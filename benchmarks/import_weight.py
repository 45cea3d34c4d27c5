"""What importing glassgrad leaves alive, and what that costs S1's garbage collector
(docs/measurements.md, "overhead", s33 lazy imports).

Every full garbage collection walks each tracked object alive, about once a step in S1
(micrograd's demo on Value), so the modules `import autograd` loads are paid for every step.
For each tree of `--trees A,B` (checkouts; each run as a fresh Python with the tree first on
its path), alternated process by process, the order flipped every round:

- tracked objects (`gc.collect(); len(gc.get_objects())`) after `import autograd` and after
  `import autograd, nn`, and the import's CPU time (run once first, so the .pyc files exist);
- with `--s1 STEPS`: S1 steps as benchmarks.workloads runs them (its imports too), CPU time a
  step and the collector's CPU time a step by generation (gc.callbacks), 2 warm-up steps left
  out.

    python benchmarks/import_weight.py --trees /tmp/base,. --rounds 15 --s1 16
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

IMPORT = ("import gc, json, time\nt = time.process_time()\n{stmt}\n"
          "t = time.process_time() - t\ngc.collect()\n"
          "print(json.dumps([t, len(gc.get_objects())]))")

S1 = """import gc, json, sys, time
import benchmarks.workloads                         # the benchmark worker's own imports
from benchmarks import scalar_mlp
import autograd
X, y = scalar_mlp.make_moons(100, noise=0.1, seed=1337)
model = scalar_mlp.build_model(autograd.Value, 1337)
gc.collect()
spent, started = [0.0, 0.0, 0.0], [0.0]
def watch(phase, info):
    if phase == "start":
        started[0] = time.process_time()
    else:
        spent[info["generation"]] += time.process_time() - started[0]
gc.callbacks.append(watch)
rows = []
for k in range({steps}):
    spent[:] = [0.0, 0.0, 0.0]
    t = time.process_time()
    scalar_mlp.train_step(model, X, y, k, autograd.Value)
    rows.append([time.process_time() - t] + spent)
print(json.dumps(rows))"""

STATEMENTS = {"import autograd": "import autograd", "import autograd, nn": "import autograd, nn"}


def run(tree: str, code: str) -> object:
    """The JSON that `code` prints last, run by a fresh Python in `tree`."""
    env = dict(os.environ, PYTHONPATH=tree, OPENBLAS_NUM_THREADS="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)        # import times are for a warm pycache
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def ms(values: list) -> str:
    return f"{statistics.median(values) * 1e3:.1f} [{min(values) * 1e3:.1f}]"


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", default=".", help="A,B: checkouts to compare")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--s1", type=int, default=0, metavar="STEPS",
                        help="also S1 chunks of STEPS steps (0: none)")
    args = parser.parse_args(argv)
    trees = [os.path.abspath(t) for t in args.trees.split(",")]
    for tree in trees:
        run(tree, IMPORT.format(stmt="import autograd, nn"))          # writes the .pyc files
    imports = {(t, s): [] for t in trees for s in STATEMENTS}
    steps = {t: [] for t in trees}
    for r in range(args.rounds):
        for tree in trees if r % 2 == 0 else trees[::-1]:
            for name, stmt in STATEMENTS.items():
                imports[tree, name].append(run(tree, IMPORT.format(stmt=stmt)))
            if args.s1:
                steps[tree] += run(tree, S1.format(steps=args.s1))[2:]
    print("tracked objects after the import; its CPU time, ms median [min]")
    for (tree, name), results in imports.items():
        print(f"  {tree}  {name}: {statistics.median(n for _, n in results):.0f} objects, "
              f"{ms([t for t, _ in results])} ms")
    if args.s1:
        print("S1 CPU time a step, ms median [min]; the collector's a step by generation (mean)")
        for tree, rows in steps.items():
            gc_each = [statistics.mean(row[g] for row in rows) * 1e3 for g in (1, 2, 3)]
            print(f"  {tree}: step {ms([row[0] for row in rows])}, collector "
                  f"young {gc_each[0]:.2f} middle {gc_each[1]:.2f} full {gc_each[2]:.2f} "
                  f"({len(rows)} steps)")


if __name__ == "__main__":
    main()
