"""Running chunks in subprocesses, alternating engines, and summarising the times.

Why subprocesses: micrograd leaves cyclic garbage that the GC collects during whoever allocates
next, and PyTorch's thread pool slows whatever runs after it on a small machine. A fresh process
per chunk keeps each engine's costs with that engine.

Why alternate (A, B, A, B, ...): the machine's speed drifts (other load, frequency scaling);
interleaving spreads the drift over all engines instead of handing it to one of them.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]          # the repository root


class WorkerError(RuntimeError):
    """A benchmark subprocess failed; the message ends with its stderr."""


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")



def chosen_workloads(parser: Any, text: str, workloads: Any, case: Any = str) -> list:
    """`--only`'s comma-separated names, each through `case` (str.lower, str.upper, or as
    written), checked against `workloads`: an unknown name, or none at all, is the parser's
    error naming the choices."""
    names = [case(name.strip()) for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in workloads]
    if unknown or not names:
        parser.error(f"--only: unknown workload(s) {', '.join(unknown) or '(none given)'}; "
                     f"choose from {', '.join(workloads)}")
    return names

def worker_env(threads: int | None) -> dict | None:
    """The environment for workers: unchanged (None), or with numpy's BLAS and PyTorch limited
    to `threads` threads (both read these variables when they start)."""
    if threads is None:
        return None
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env[name] = str(threads)
    return env


def run_worker(task: dict, env: dict | None = None, timeout: float = 600,
               module: str = "benchmarks.workloads") -> dict:
    """Run one task in a fresh Python, `python -m <module> '<task as JSON>'`, and return the JSON
    result it prints last (`benchmarks.workloads` by default; `benchmarks.small_models` too)."""
    command = [sys.executable, "-m", module, json.dumps(task)]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise WorkerError(f"task {task} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise WorkerError(f"task {task} printed no result:\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def alternate(tasks: dict, rounds: int, env: dict | None = None, progress=None,
              module: str = "benchmarks.workloads") -> dict:
    """Run {name: task} round-robin, `rounds` times each, every task in a fresh process of
    `module` (see `run_worker`); returns {name: [result per round]}.
    A task with a "chunk" entry is given the round's number there (T1 seeds its shuffles with it)."""
    results = {name: [] for name in tasks}
    for r in range(rounds):
        for name, task in tasks.items():
            if progress:
                progress(f"round {r + 1}/{rounds}: {name}")
            if "chunk" in task:
                task = dict(task, chunk=r)
            results[name].append(run_worker(task, env, module=module))
    return results


# ----------------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------------

class Summary:
    """Median and spread of some timings (seconds), plus the first steps kept apart."""

    def __init__(self, steady: list, first: list | None = None) -> None:
        if not steady:
            raise ValueError("Summary: no timings")
        self.steady = sorted(steady)
        self.first = sorted(first or [])
        self.median = statistics.median(self.steady)
        self.min = self.steady[0]
        self.max = self.steady[-1]
        if len(self.steady) >= 4:
            self.q1, _, self.q3 = statistics.quantiles(self.steady, n=4, method="inclusive")
        else:                                   # too few for quartiles: the full range
            self.q1, self.q3 = self.min, self.max
        self.first_median = statistics.median(self.first) if self.first else None

    @property
    def n(self) -> int:
        return len(self.steady)


def split_steps(chunks: list, warmup: int) -> Summary:
    """Summary of per-step times from several chunks: the first `warmup` steps of every chunk
    are warm-up, the rest steady state."""
    first, steady = [], []
    for times in chunks:
        first.extend(times[:warmup])
        steady.extend(times[warmup:])
    return Summary(steady, first)


# ----------------------------------------------------------------------------------------------
# The machine
# ----------------------------------------------------------------------------------------------

def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def blas_name() -> str:
    """Which BLAS numpy was built with (numpy >= 1.25), or '?'."""
    import numpy as np
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:                           # older numpy, or a build without this info
        return "?"


def load_average() -> str:
    """The 1-minute load average (how busy the machine was before we started), or '?'."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "?"


def machine_info(versions: dict) -> dict:
    """CPU, cores and the versions of Python and every engine (`versions` from the probe)."""
    import numpy as np
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:                      # not on Linux
        usable = os.cpu_count()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "load_average": load_average(),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": f"{np.__version__} ({blas_name()})",
        "micrograd": versions.get("micrograd") or "not installed",
        "torch": versions.get("torch") or "not installed",
    }
