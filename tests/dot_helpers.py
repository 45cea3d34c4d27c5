"""A stand-in for Graphviz's `dot` program, for the tests of what happens when it fails or hangs."""

import os
import stat
import sys

import pytest


def fake_dot(folder, monkeypatch, script: str) -> None:
    """Put a program `dot` that runs the shell `script` first on PATH (POSIX only)."""
    if sys.platform == "win32":
        pytest.skip("the fake `dot` is a shell script")
    program = folder / "dot"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
