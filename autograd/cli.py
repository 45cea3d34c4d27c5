"""The `glassgrad` command: one subcommand per job, each in the module that does the job.

    glassgrad demo                            train an MLP on the moons, write its pictures
    glassgrad train --csv data.csv --target y train an MLP on your CSV, save it
    glassgrad graph "tanh(x*w + b)" x=2.0 w=-3.0 b=6.88 -o neuron.svg
    python -m autograd.cli ...                (the same, without installing the script)

A subcommand module exposes `add_parser(subparsers)`, which sets `run(args) -> int` as the
parser's default. Exit status: 0 success, 1 the work failed, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import sys

from nn import commands as nn_commands

from .viz import command as graph_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glassgrad", description="glassgrad: reverse-mode autograd you can read.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    graph_command.add_parser(subparsers)            # autograd/viz/command.py
    nn_commands.add_demo_parser(subparsers)         # nn/commands.py
    nn_commands.add_train_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (sys.argv[1:] by default); returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
