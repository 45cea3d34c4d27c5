"""The command line's one error style, shared by every subcommand.

    UsageError       bad usage or bad input: one line on stderr, exit status 2
    CommandFailed    the work itself failed (a file cannot be written...): one line, exit 1
    Terminated       SIGTERM arrived (`kill`, `timeout`): one line, exit 143, like Ctrl-C's 130

`ArgumentParser` makes argparse's own usage errors look the same: one line and status 2, with
the usage left to `--help`; `SubcommandParser` also names the subcommand of an option it does
not know.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn, Sequence

__all__ = ["UsageError", "CommandFailed", "Terminated", "ArgumentParser", "SubcommandParser", "fail",
           "warn"]


class UsageError(Exception):
    """The user's input is wrong (exit status 2); the message says what and where."""


class CommandFailed(Exception):
    """The work failed although the input was fine (exit status 1)."""


class Terminated(BaseException):
    """SIGTERM stopped the command (raised by the handler `main` sets). A BaseException, like
    KeyboardInterrupt, so that no `except Exception` on the way swallows it."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class SubcommandParser(ArgumentParser):
    """The parser of one subcommand (`glassgrad train`), which refuses the arguments it does not
    know itself. argparse hands them up to the top parser, whose error would say `glassgrad:`
    and point to `glassgrad --help`, where the subcommand's options are not listed."""

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None,
                         ) -> tuple[argparse.Namespace, list[str]]:
        parsed, unknown = super().parse_known_args(args, namespace)
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}")
        return parsed, unknown


def fail(prog: str, message: str, status: int) -> int:
    """Print `prog: error: message` as one line on stderr; return `status`."""
    print(f"{prog}: error: {_one_line(message)}", file=sys.stderr)
    return status


def warn(prog: str, message: object) -> None:
    """Print `prog: warning: message` as one line on stderr; the command goes on."""
    print(f"{prog}: warning: {_one_line(message)}", file=sys.stderr)


def _one_line(message: object) -> str:
    return " ".join(str(message).split())
