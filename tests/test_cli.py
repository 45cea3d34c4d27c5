"""The `glassgrad` command as a whole (nn/cli/): one package above both libraries, one error style.

Bad usage or input → one line on stderr and exit status 2; the work failing → one line and
exit status 1; never a traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from nn import cli
from nn.cli import errors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_autograd_never_imports_nn():
    """The engine is the layer below: importing it (and its pictures) loads no `nn` module."""
    code = ("import sys, autograd, autograd.viz, autograd.viz.draw, autograd.viz.expression\n"
            "print(sorted(m for m in sys.modules if m == 'nn' or m.startswith('nn.')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("argv, message", [
    ([], "the following arguments are required: COMMAND"),
    (["fly"], "argument COMMAND: invalid choice: 'fly'"),
    (["train", "--target", "y"], "the following arguments are required: --data/--csv"),
    (["graph", "x", "x=1", "--engine", "cairo"], "argument --engine: invalid choice: 'cairo'"),
    (["demo", "--epochs", "many"], "argument --epochs: 'many' is not an integer"),
    (["demo", "--colour"], "unrecognized arguments: --colour"),
])
def test_argparse_usage_errors_are_one_line_and_exit_2(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("glassgrad") and message in err
    assert "usage:" not in err


# argparse hands a subcommand's unknown arguments up to the top parser, whose error said
# "glassgrad: error: ... (see glassgrad --help)", a help that does not list the option
@pytest.mark.parametrize("argv, unknown", [
    (["predict", "--model", "m.npz", "--csv", "new.csv", "--no-progress"], "--no-progress"),
    (["train", "--csv", "d.csv", "--bogus", "1", "--target", "y"], "--bogus 1"),
    (["graph", "x*2", "x=1", "--bogus"], "--bogus"),
])
def test_an_unknown_argument_of_a_subcommand_names_the_subcommand(capsys, argv, unknown):
    status, out, err = run(capsys, *argv)
    command = argv[0]
    assert status == 2 and out == ""
    assert err == (f"glassgrad {command}: error: unrecognized arguments: {unknown} "
                   f"(see glassgrad {command} --help)\n")


def test_an_unknown_argument_before_the_subcommand_is_the_top_levels(capsys):
    status, out, err = run(capsys, "--bogus", "demo")
    assert status == 2 and out == ""
    assert err == "glassgrad: error: unrecognized arguments: --bogus (see glassgrad --help)\n"


@pytest.mark.parametrize("command", ["demo", "train", "predict", "graph"])
def test_help_exits_0(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0 and out.startswith("usage: glassgrad " + command)


def test_version_prints_the_installed_version_and_exits_0(capsys):
    import importlib.metadata
    status, out, err = run(capsys, "--version")
    assert status == 0 and err == ""
    assert out == f"glassgrad {importlib.metadata.version('glassgrad')}\n"


def test_an_unexpected_error_is_one_line_and_exit_1(capsys, monkeypatch, tmp_path):
    from nn.cli import demo

    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")
    monkeypatch.setattr(demo, "make_moons", broken)
    monkeypatch.delenv("GLASSGRAD_TRACEBACK", raising=False)
    status, out, err = run(capsys, "demo", "-o", str(tmp_path / "d"), "--no-progress")
    assert status == 1
    assert err == ("glassgrad demo: error: unexpected RuntimeError: something inside broke "
                   "(set GLASSGRAD_TRACEBACK=1 to see where)\n")


def test_errors_are_flattened_to_one_line(capsys):
    assert errors.fail("glassgrad x", "two\nlines", 2) == 2
    assert capsys.readouterr().err == "glassgrad x: error: two lines\n"


def test_the_package_runs_as_a_program():
    done = subprocess.run([sys.executable, "-m", "nn.cli", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    for command in ("demo", "train", "predict", "graph"):
        assert command in done.stdout
    done = subprocess.run([sys.executable, "-m", "nn.cli", "graph"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_what_the_console_encoding_cannot_hold_is_escaped_not_a_crash(tmp_path):
    """Output redirected on Windows is encoded in the locale's code page (cp1252 has no Greek):
    a variable named θ made the command fail with UnicodeEncodeError after writing its file."""
    done = subprocess.run([sys.executable, "-m", "nn.cli", "graph", "tanh(θ*w)", "θ=2", "w=-3",
                           "--engine", "builtin", "-o", str(tmp_path / "g.svg")], cwd=ROOT,
                          capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "cp1252"})
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.startswith(b"tanh(\\u03b8*w) = -1.0000")
    assert b"  d/d\\u03b8 = " in done.stdout
    assert "θ" in (tmp_path / "g.svg").read_text(encoding="utf-8")


def test_stdout_is_strict_again_after_the_command(monkeypatch, tmp_path, capsys):
    from cli_helpers import windows_stdout
    windows_stdout(monkeypatch)
    assert cli.main(["graph", "x*x", "x=3", "--engine", "builtin",
                     "-o", str(tmp_path / "g.svg")]) == 0
    assert sys.stdout.errors == "strict"        # the program around main() gets it as it was


def test_a_reader_that_stops_early_gets_no_traceback():
    """`glassgrad graph ... -o - | head`: the pipe closes; the command stops quietly with 141
    (128 + SIGPIPE, as a Unix tool would), not with a traceback when Python flushes at exit."""
    done = subprocess.Popen([sys.executable, "-m", "nn.cli", "graph", "x*x", "x=3", "-o", "-"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done.stdout.close()                   # the reader is gone before the first byte
    err = done.stderr.read()
    assert done.wait(timeout=120) == 141 and err == ""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM cannot be sent to a process there")
def test_sigterm_while_writing_removes_the_temporary(capsys, monkeypatch, tmp_path):
    """SIGTERM in the middle of writing a file: the temporary goes, the file never appears, and
    the handler the command found is put back."""
    def test_handler(signum, frame):              # without the command's, SIGTERM reaches this
        raise RuntimeError("the command left SIGTERM to the test")

    def replace_after_sigterm(source, destination):
        signal.raise_signal(signal.SIGTERM)       # after the bytes, before the rename
        real_replace(source, destination)

    real_replace = os.replace
    monkeypatch.setattr(os, "replace", replace_after_sigterm)
    previous = signal.signal(signal.SIGTERM, test_handler)
    try:
        status, out, err = run(capsys, "graph", "x*x", "x=3", "--engine", "builtin",
                               "-o", str(tmp_path / "g.svg"))
        assert signal.getsignal(signal.SIGTERM) is test_handler
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert (status, err) == (143, "glassgrad graph: error: terminated (SIGTERM)\n")
    assert list(tmp_path.iterdir()) == []
