"""`glassgrad graph`: build an expression from Values, backpropagate, draw it, print the gradients.

    glassgrad graph "tanh(x*w + b)" x=2.0 w=-3.0 b=6.8813735870195432 -o neuron.svg
    glassgrad graph "tanh(x*w + b)" x=2.0 w=-3.0 b=0.5 --steps backprop.html

`--steps` writes a page that walks through backpropagation one node at a time
(`autograd.draw_backprop`) instead of the drawing (add -o to get both).

The expression is checked against an allow-list (`autograd.viz.expression`), never evaluated as
Python.
"""

from __future__ import annotations

import argparse
import keyword
import shlex
import math
import pathlib
import sys
import warnings
from typing import Any

from autograd import Value
from autograd.viz import (
    GraphDrawing, GraphvizFailed, GraphvizNotFound, dot, draw_backprop, draw_graph,
    expression, labels,
)
from autograd.viz.draw import DEFAULT_MAX_NODES, ENGINES, FORMATS
from autograd.viz.layout import RANKDIRS

from .errors import CommandFailed, UsageError
from .output import check_output_path, write_stdout


def add_parser(subparsers: Any) -> None:
    """Register `graph` on the `glassgrad` command's subparsers."""
    of_two = " and ".join(f"{name}({arguments})"
                          for name, arguments in expression.TWO_ARGUMENTS.items())
    parser = subparsers.add_parser(
        "graph", help="draw the computation graph of an expression, with its gradients",
        description="Build EXPRESSION from scalar Values, run backward, write the graph as SVG "
                    "(or .png/.pdf with Graphviz) and print the output and every gradient. "
                    f"Functions: {', '.join(sorted(expression.FUNCTIONS))}, called as "
                    f"tanh(x) or, as in micrograd, (x).tanh(), and of two numbers: {of_two}, "
                    "or y.atan2(x); operators: + - * / **; constants: pi, e (a variable of "
                    "that name takes their place).",
        epilog='example: glassgrad graph "tanh(x*w + b)" x=2.0 w=-3.0 b=6.8813735870195432 '
               '-o neuron.svg. An expression that starts with "-" looks like an option: put it '
               'in brackets, "(-x*w)".')
    parser.dash_positional = "expression"          # "-x*w": the error says to write "(-x*w)"
    parser.add_argument("expression", help='an arithmetic expression, e.g. "tanh(x*w + b)"')
    parser.add_argument("assignments", nargs="*", metavar="NAME=VALUE",
                        help="a value for every name in the expression, e.g. x=2.0")
    parser.add_argument("-o", "--output", default=None, metavar="PATH",
                        help="where to write the drawing: .svg, .png or .pdf; '-' writes SVG "
                             "to stdout (default: graph.svg, or none with --steps)")
    parser.add_argument("--steps", default=None, metavar="PAGE.html",
                        help="write a page that steps through backpropagation node by node "
                             "(one self-contained .html file: buttons, slider, arrow keys), "
                             "instead of the drawing unless -o is given too")
    parser.add_argument("--no-grad", action="store_true", help="do not show gradients")
    parser.add_argument("--color-grad", action="store_true",
                        help="shade each node by the size of its gradient")
    parser.add_argument("--rankdir", choices=RANKDIRS, default="LR",
                        help="direction of the drawing (default: LR, inputs on the left)")
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="builtin: pure Python; graphviz: Graphviz's dot; auto (default): "
                             "dot when installed")
    parser.add_argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES, metavar="N",
                        help=f"collapse repeated structure above N nodes "
                             f"(default: {DEFAULT_MAX_NODES})")
    parser.set_defaults(run=run)


def parse_assignments(items: list[str], expression_text: str = "") -> dict[str, float]:
    """NAME=VALUE strings as {name: value}; every name a new identifier, every value finite.
    `expression_text` is the expression given before them: an item without "=" is most often
    the rest of it, split off by the shell at a space (glassgrad graph x**2 + 3*x x=2)."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep and expression_text and not values:      # before every NAME=VALUE
            parts = [expression_text]
            for part in items:
                if "=" in part:
                    break
                parts.append(part)
            whole = " ".join(parts)
            raise UsageError(f"expected NAME=VALUE (like x=2.0), got {item!r:.60}: the shell "
                             f"splits an expression at its spaces; put it in quotes: "
                             f"glassgrad graph {shlex.quote(whole)} ...")
        if not sep or not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f"expected NAME=VALUE (like x=2.0), got {item!r:.60}")
        if name in expression.FUNCTIONS:
            raise UsageError(f"'{name}' is a function; give the variable another name")
        if name in values:
            raise UsageError(f"'{name}' is given twice")
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{name}={text!r:.40}: the value is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"{name}={text}: the value must be a finite number")
        values[name] = value
    return values


def _check_output(output: str) -> None:
    if output == "-":
        return
    suffix = pathlib.Path(output).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(f"-o {output!r:.60}: the name must end in .svg, .png or .pdf")
    check_output_path("-o", output)


def _check_steps(steps: str) -> None:
    if pathlib.Path(steps).suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--steps {steps!r:.60}: the name must end in .html")
    check_output_path("--steps", steps)


def run(args: argparse.Namespace) -> int:
    """The `graph` subcommand; returns the exit status (0 ok, 1 failure, 2 bad input)."""
    if args.output is None and args.steps is None:
        args.output = "graph.svg"
    if args.output is not None:
        _check_output(args.output)
    if args.steps is not None:
        _check_steps(args.steps)
    if args.max_nodes < 1:
        raise UsageError(f"--max-nodes must be at least 1, got {args.max_nodes}")
    out, leaves, walk = _compute(args.expression,
                                 parse_assignments(args.assignments, args.expression),
                                 stepwise=args.steps is not None, max_nodes=args.max_nodes,
                                 rankdir=args.rankdir)
    report = sys.stderr if args.output == "-" else sys.stdout     # stdout may hold the SVG
    drawing = None
    if args.output is not None:             # drawn before anything is written: if Graphviz
        drawing = _draw(out, args)          # is missing or fails, no file appears at all
    wrote = []
    if walk is not None:
        _write(args.steps, walk.save)
        steps = len(walk.steps)
        wrote.append(f"wrote {args.steps} ({steps} step{'' if steps == 1 else 's'})")
    if drawing is not None:
        if args.output == "-":
            write_stdout(drawing.svg())
        else:
            _write(args.output, drawing.save)
            fmt = pathlib.Path(args.output).suffix.lower().lstrip(".")
            wrote.append(f"wrote {args.output} ({drawing.drawn_by(fmt)})")
    print(f"{args.expression.strip()} = {labels.number(out.data)}", file=report)
    for name, leaf in leaves.items():
        print(f"  d/d{name} = {labels.number(leaf.grad)}", file=report)
    for line in wrote:
        print(line, file=report)
    return 0


def _draw(out: Value, args: argparse.Namespace) -> GraphDrawing:
    """The drawing for -o, rendered now in the format the name asks for (exit 1 if Graphviz is
    needed and missing or fails). Should `dot` fail where the built-in layout can stand in, the
    warning is one line on stderr."""
    fmt = "svg" if args.output == "-" else pathlib.Path(args.output).suffix.lower().lstrip(".")
    if (fmt != "svg" or args.engine == "graphviz") and dot.find_dot() is None:
        need = f"-o {args.output}: .{fmt}" if fmt != "svg" else "--engine graphviz"
        raise CommandFailed(f"{need} needs Graphviz (.svg with the built-in engine does not); "
                            f"{dot.INSTALL_HINT}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            drawing = draw_graph(out, show_grad=not args.no_grad, engine=args.engine,
                                 rankdir=args.rankdir, max_nodes=args.max_nodes,
                                 color_grad=args.color_grad, format=fmt)
            drawing.data()                  # made once, kept: save() writes these bytes
    except (GraphvizNotFound, GraphvizFailed) as error:
        # "draw_graph: ..." helps a library user; here the user typed no draw_graph
        raise CommandFailed(str(error).removeprefix("draw_graph: ")) from None
    for warning in caught:
        print(f"glassgrad graph: warning: {warning.message}", file=sys.stderr)
    return drawing


def _write(path: str, save: Any) -> None:
    """`save(path)`, a failure to write being the command's failure (exit 1), in one line."""
    try:
        save(path)
    except OSError as error:
        raise CommandFailed(f"cannot write {path}: {error.strerror or error}") from None


def _compute(text: str, variables: dict[str, float], stepwise: bool = False,
             **drawing: Any) -> tuple[Value, dict[str, Value], Any]:
    """Build the expression from leaf Values named after the variables, and backpropagate
    (step by step with `stepwise`: the third result is then the `draw_backprop` walk)."""
    try:
        tree = expression.parse(text, set(variables))
    except expression.ExpressionError as error:
        raise UsageError(str(error)) from None
    used = expression.variables_used(tree)
    for name in variables:
        if name not in used:
            raise UsageError(f"'{name}' is given but the expression does not use it")
    if not variables:
        raise UsageError("the expression has no variables to differentiate; use a name "
                         "and give its value, e.g. \"x*x\" x=3")
    leaves = {name: Value(value, label=name) for name, value in variables.items()}
    try:
        out = expression.evaluate(tree, leaves)
    except expression.ExpressionError as error:
        raise UsageError(str(error)) from None
    if not math.isfinite(out.data):
        raise UsageError(f"the expression evaluates to {out.data}, not a finite number")
    if not out.label:                       # the drawing and the steps call it by a name, not "#9"
        out.label = next(name for name in ("out", "output", "result", "y") if name not in leaves)
    walk = None
    try:
        if stepwise:
            walk = draw_backprop(out, **drawing)
        else:
            out.backward()
    except (ArithmeticError, ValueError) as error:        # e.g. sqrt's slope at 0 is infinite
        raise UsageError(f"cannot differentiate at this point: {error}") from None
    for name, leaf in leaves.items():       # 1/x at x=1e-320: the slope does not fit a float
        if not math.isfinite(leaf.grad):
            raise UsageError(f"cannot differentiate at this point: d/d{name} is {leaf.grad}, "
                             f"not a finite number")
    return out, leaves, walk
