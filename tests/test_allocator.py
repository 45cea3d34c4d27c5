"""keep_freed_memory: after it, a loop that makes and drops the same big arrays (a training
step's activations) stops page-faulting them in every time. Measured in fresh subprocesses,
since the settings belong to the whole process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

LOOP = """
import json, resource, sys
import numpy as np
applied = False
if sys.argv[1] == "keep":
    from autograd.allocator import keep_freed_memory
    applied = keep_freed_memory()
def step():                    # activations of ~1 MB each, dropped at the end of the step
    arrays = [np.ones(2 ** 18, dtype=np.float32) for _ in range(8)]
    return sum(float(a[0]) for a in arrays)
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(json.dumps([applied, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20]))
"""


def faults_per_step(mode: str) -> tuple[bool, float]:
    """(whether keep_freed_memory took, page faults per step) in a fresh process."""
    out = subprocess.run([sys.executable, "-c", LOOP, mode], capture_output=True, text=True,
                         check=True)
    applied, faults = json.loads(out.stdout)
    return applied, faults


@pytest.mark.skipif(sys.platform != "linux", reason="page faults are counted on Linux")
def test_kept_memory_is_reused_without_page_faults():
    applied, kept = faults_per_step("keep")
    if not applied:
        pytest.skip("glibc's malloc only (this Linux's C library has no mallopt)")
    _, fresh = faults_per_step("fresh")
    # fresh: 8 blocks of 1 MB mapped anew each step, 256 pages each (glibc's default limits)
    assert fresh > 1000 and kept < 50, (fresh, kept)


class _LibcWithoutMallopt:
    """macOS's libSystem or musl as ctypes sees it: the library loads, mallopt is not in it."""

    def __getattr__(self, name):
        raise AttributeError(f"dlsym(RTLD_DEFAULT, {name}): symbol not found")


def _no_libc(name):
    """Windows: there is no libc.so.6 (and find_library("c") finds nothing)."""
    raise FileNotFoundError(f"Could not find module '{name}' (or one of its dependencies)")


@pytest.mark.parametrize("system, find, load", [
    ("macos", lambda name: "/usr/lib/libc.dylib", lambda path: _LibcWithoutMallopt()),
    ("windows", lambda name: None, _no_libc),
])
def test_without_glibc_it_returns_false_and_changes_nothing(monkeypatch, system, find, load):
    import ctypes
    import ctypes.util

    from autograd.allocator import keep_freed_memory
    monkeypatch.setattr(ctypes.util, "find_library", find)
    monkeypatch.setattr(ctypes, "CDLL", load)
    assert keep_freed_memory() is False
