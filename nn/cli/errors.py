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

    #: what a subcommand calls its positional argument when that may begin with "-" (graph's
    #: expression, "-x*w"): argparse takes such an argument for an unknown option, so its error
    #: then says how to write it
    dash_positional = ""

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None,
                         ) -> tuple[argparse.Namespace, list[str]]:
        self._given = list(sys.argv[1:] if args is None else args)
        parsed, unknown = super().parse_known_args(args, namespace)
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}")
        return parsed, unknown

    def error(self, message: str) -> NoReturn:
        dashed = self._dashed() if message.startswith(("unrecognized", "the following")) else None
        if dashed is not None:
            message += (f'; an {self.dash_positional} that starts with "-" reads as an option: '
                        f'put it in brackets, "({dashed})"')
        super().error(message)

    def _dashed(self) -> str | None:
        """The first argument that starts with "-" but is no option, no option with its value
        attached (-ograph.svg) and no number, if this subcommand's positional may look so."""
        if not self.dash_positional:
            return None
        for arg in getattr(self, "_given", []):
            if arg == "--":
                break
            if (arg.startswith("-") and not arg.startswith("--") and len(arg) > 1
                    and arg[:2] not in self._option_string_actions and not _is_number(arg)):
                return arg
        return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def fail(prog: str, message: str, status: int) -> int:
    """Print `prog: error: message` as one line on stderr; return `status`."""
    print(f"{prog}: error: {_one_line(message)}", file=sys.stderr)
    return status


def warn(prog: str, message: object) -> None:
    """Print `prog: warning: message` as one line on stderr; the command goes on."""
    print(f"{prog}: warning: {_one_line(message)}", file=sys.stderr)


def _one_line(message: object) -> str:
    return " ".join(str(message).split())
