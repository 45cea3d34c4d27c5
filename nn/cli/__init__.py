"""The `glassgrad` command: every subcommand in this one package, above `autograd` and `nn`.

    glassgrad demo                            train an MLP on the moons, write its pictures
    glassgrad train --data data.csv --target y   train an MLP on your CSV (.npz, IDX), save it
    glassgrad predict --model model.npz --data new.csv  predict new rows with the saved model
    glassgrad graph "tanh(x*w + b)" x=2.0 w=-3.0 b=6.88 -o neuron.svg
    glassgrad --version                       the installed version
    python -m nn.cli ...                      (the same, without installing the script)

Each subcommand module (graph.py, demo.py, train.py, predict.py) has `add_parser(subparsers)`,
which sets `run(args) -> int` as the parser's default. One error style for all (errors.py):
bad usage or input → one line on stderr and exit status 2; the work failing → one line and
exit status 1; never a traceback (set GLASSGRAD_TRACEBACK=1 to see one for an unexpected error).
Stopped by Ctrl-C (status 130) or SIGTERM (`kill`, `timeout`; status 143), a command also says
so in one line and leaves no partial file; `train` first saves the model of the latest step it
finished (see train.py).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import os
import signal
import sys
import threading
from typing import Iterator

from . import demo, graph, predict, train
from .errors import (ArgumentParser, CommandFailed, SubcommandParser, Terminated, UsageError,
                     fail)

__all__ = ["main", "build_parser"]


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="glassgrad", description="glassgrad: reverse-mode autograd you can read.")
    parser.add_argument("--version", action="version", version=f"glassgrad {_version()}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True,
                                       dest="command", parser_class=SubcommandParser)
    for module in (demo, train, predict, graph):
        module.add_parser(subparsers)
    return parser


def _version() -> str:
    """The installed package's version ("unknown" when run from a source tree not installed)."""
    try:
        return importlib.metadata.version("glassgrad")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed: pip install .)"


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (sys.argv[1:] by default); returns the exit status."""
    try:
        with _sigterm_raises(), _unencodable_escaped():
            status = _run(argv)
            sys.stdout.flush()                # a reader that stopped fails here, not at exit
        return status
    except BrokenPipeError:                   # `glassgrad ... | head`: it has all it wants
        _discard_stdout()
        return 141                            # 128 + SIGPIPE, as a Unix tool stopped so
    except Terminated:                        # while the arguments were read: nothing written
        return fail("glassgrad", "terminated (SIGTERM)", 143)


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While the command runs, SIGTERM raises `Terminated`, as Ctrl-C raises KeyboardInterrupt:
    the stack unwinds, so a file being written loses its temporary and the command says why it
    stopped. Without this, SIGTERM ends the process on the spot. Only the command does this (a
    library must leave signals to its program); the previous handler is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield                                 # only the main thread may set a handler
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _unencodable_escaped() -> Iterator[None]:
    """While the command runs, a character that standard output's encoding cannot hold is
    printed as an escape (`\\u03b8`), as Python does on stderr, instead of raising
    UnicodeEncodeError after the work is done. Output redirected to a file or a pipe on Windows
    is in the locale's code page (cp1252: no Greek, no CJK), and names come from the user (a
    CSV's columns and classes, an expression's variables, file names). The data the commands
    write to stdout (CSV, SVG) does not go through this: it is written as UTF-8 bytes."""
    stream = sys.stdout
    if not isinstance(stream, io.TextIOWrapper) or stream.errors != "strict":
        yield
        return
    stream.reconfigure(errors="backslashreplace")
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):   # closed by the command
            stream.reconfigure(errors="strict")


def _run(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:                # --help (0), or a usage error already printed
        return done.code if isinstance(done.code, int) else 2
    prog = f"glassgrad {args.command}"
    try:
        return args.run(args)
    except BrokenPipeError:
        raise
    except UsageError as error:
        return fail(prog, str(error), 2)
    except CommandFailed as error:
        return fail(prog, str(error), 1)
    except KeyboardInterrupt:
        return fail(prog, "interrupted", 130)
    except Terminated:
        return fail(prog, "terminated (SIGTERM)", 143)          # 128 + SIGTERM
    except OSError as error:                  # a disk full, a permission refused...
        where = f"{error.filename}: " if error.filename else ""
        return fail(prog, f"{where}{error.strerror or error}", 1)
    except Exception as error:                # a bug: still one line, unless asked for more
        if os.environ.get("GLASSGRAD_TRACEBACK"):
            raise
        return fail(prog, f"unexpected {type(error).__name__}: {error} "
                          f"(set GLASSGRAD_TRACEBACK=1 to see where)", 1)


def _discard_stdout() -> None:
    """Send what is left for stdout to /dev/null: Python's last flush would fail again and
    print a traceback."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):             # no file descriptor: stdout is not a real file
        pass
