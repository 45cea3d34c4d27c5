"""A scene as DOT text (pure Python), and Graphviz's `dot` program to render it.

`render` runs the `dot` program itself, stopping it after `DOT_TIMEOUT` seconds. `pip install
graphviz` installs only a Python package, not the program, so `find_dot` looks for the program
first and callers fall back or say how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from . import svg
from .layout import Layout
from .palette import EDGE_INK, INK
from .scene import Scene

INSTALL_HINT = (
    "install Graphviz's `dot` program (the graphviz pip package does not include it): "
    "`sudo apt install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz` or `winget install graphviz` (Windows), "
    "then make sure `dot` is on your PATH")

# How long `dot` may take before it is stopped. A drawing of a few hundred nodes takes it well
# under a second, and a few thousand some seconds: a minute means it is stuck (a hung process,
# a pathological layout), and without a limit a notebook cell or the command would wait forever.
DOT_TIMEOUT = 60.0

# How hard `dot` may work at placing boxes across the drawing (its `nslimit`: network simplex
# passes, per node). Unbounded, a collapsed graph with arrows that skip many layers (micrograd's
# demo loss on 10 moons points: 180 boxes, but an L2 term whose arrows reach across 170 layers)
# took `dot` more than 5 minutes; with 4 it takes seconds. Small drawings never reach the bound
# (micrograd's neuron, the lecture's MLP(3, [4, 4, 1]) even uncollapsed, a small Tensor MLP and
# conv net came out byte for byte the same).
NSLIMIT = 4

_WINDOWS = os.name == "nt"

FONT = "monospace"
_RECORD_SPECIAL = set('\\"{}|<>')


_BUILTIN_HINT = ', use the built-in layout (engine="builtin"; --engine builtin)'


class GraphvizNotFound(RuntimeError):
    """Graphviz's `dot` program is needed (engine="graphviz", png or pdf) and is not installed."""


class GraphvizFailed(RuntimeError):
    """Graphviz's `dot` program ran and failed; the message carries what it said."""


def find_dot() -> str | None:
    """The path of Graphviz's `dot` program, or None when it is not installed."""
    found = shutil.which("dot")         # dot.exe too, on Windows
    if found is None and _WINDOWS:
        # Graphviz's Windows installer (winget's too) leaves PATH alone unless asked to add it
        for folder in (os.environ.get("ProgramFiles"), os.environ.get("ProgramFiles(x86)")):
            program = os.path.join(folder, "Graphviz", "bin", "dot.exe") if folder else ""
            if os.path.isfile(program):
                return program
    return found


def _quote(text: str) -> str:
    """A DOT string literal; only \\ and " are special inside one."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Graphviz's reader refuses a quoted string longer than 16,384 characters; the path of an arrow
# that runs from the first row of a folded drawing to the last can be longer. DOT joins
# "a" + "b" into one string, so a long one is written in pieces.
_PIECE = 4096


def _quote_long(text: str) -> str:
    """`text` (no \\ or ") as DOT strings of at most `_PIECE` characters joined by +, cut at
    spaces, so that Graphviz reads it back whole however long it is.

    >>> _quote_long("1,2 3,4"), _quote_long("1,2 " * 2000).count('" + "')
    ('"1,2 3,4"', 1)
    """
    pieces, start = [], 0
    while len(text) - start > _PIECE:
        cut = text.rindex(" ", start, start + _PIECE) + 1
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return " + ".join(f'"{piece}"' for piece in pieces)


def _text(text: str) -> str:
    """A label's text with & written &amp;: Graphviz reads HTML entities in every label, so a
    label "&lt;" or "a &amp; b" would otherwise be drawn as "<" and "a & b"."""
    return text.replace("&", "&amp;")


def _record_field(text: str) -> str:
    """A record field: { } | < > are record syntax and \\ " are string syntax; one backslash
    before each makes it literal (the record parser reads the string's escapes itself)."""
    return "".join("\\" + ch if ch in _RECORD_SPECIAL else ch for ch in _text(text))


def _caption(text: str) -> str:
    r"""The caption as a DOT string wrapped as the built-in drawing wraps it: Graphviz draws a
    label on one line, and a long caption over a narrow drawing (rankdir="TB") widened it to
    the caption's length. Each line ends in \l (left-aligned, then a new line).

    >>> print(_caption('say "x"'), _caption("word " * 30).count(r"\l"))
    "say \"x\"\l" 2
    """
    lines = [_text(line).replace("\\", "\\\\").replace('"', '\\"')
             for line in svg._wrap(text, svg.CAPTION_CHARS)]
    return '"' + "".join(line + "\\l" for line in lines) + '"'


def to_dot(scene: Scene, placed: tuple[list[tuple[float, float]], Layout] | None = None) -> str:
    """The scene as a DOT `digraph`; ids and order follow the scene, so the text is deterministic.

    `placed`: the boxes' sizes and the built-in layout's positions. Then every node gets its
    `pos` (and its size, as a minimum) and every edge its path, so that Graphviz draws the
    built-in layout, folded rows included, instead of making its own: render with
    `positioned=True` (Graphviz's no-layout mode, `neato -n2`).

    >>> from autograd import Value
    >>> from autograd.viz.scene import build_scene
    >>> print(to_dot(build_scene(Value(2.0, label="x") * 3)))
    digraph glassgrad {
      graph [rankdir=LR, ...];
      node [...];
      edge [...];
      n0 [shape=record, label="{x|data 2.0000|grad 0.0000}", fillcolor="#eef4fb"];
      op1 [shape=ellipse, label="* 3", fillcolor="#f2f2f2", ...];
      n1 [shape=record, label="{data 6.0000|grad 0.0000}", fillcolor="#ffffff"];
      n0 -> op1;
      op1 -> n1;
    }
    """
    # Graphviz lays a record's fields across the direction of the drawing (stacked in LR);
    # braces turn them the other way.
    across = scene.rankdir in ("LR", "RL")
    graph_attrs = [f"rankdir={scene.rankdir}", "nodesep=0.25", "ranksep=0.35",
                   f"nslimit={NSLIMIT}", f"fontname={_quote(FONT)}", "fontsize=11"]
    if scene.caption:
        graph_attrs += [f"label={_caption(scene.caption)}", "labelloc=t", "labeljust=l"]
    lines = [
        "digraph glassgrad {",
        f"  graph [{', '.join(graph_attrs)}];",
        f'  node [fontname={_quote(FONT)}, fontsize=11, style=filled, color="{INK}", '
        f"penwidth=1.0, height=0.3];",
        f'  edge [color="{EDGE_INK}", arrowsize=0.7];',
    ]
    where = _positions(scene, *placed) if placed is not None else None
    for k, box in enumerate(scene.boxes):
        at = where[0][k] if where is not None else ""
        style = ', style="filled,dashed"' if box.dashed else (
            ', style="filled,bold"' if box.kind == "group" else "")
        if box.kind == "op":
            lines.append(f"  {box.name} [shape=ellipse, label={_quote(_text(box.fields[0]))}, "
                         f'fillcolor="{box.fill}", width=0.4, margin=0.03{style}{at}];')
        else:
            record = "|".join(_record_field(f) for f in box.fields)
            if across != box.stacked:
                record = "{" + record + "}"
            lines.append(f'  {box.name} [shape=record, label="{record}", '
                         f'fillcolor="{box.fill}"{style}{at}];')
    names = [box.name for box in scene.boxes]
    paths = where[1] if where is not None else [""] * len(scene.edges)
    lines.extend(f"  {names[a]} -> {names[b]}{path};" for (a, b), path in zip(scene.edges, paths))
    lines.append("}")
    return "\n".join(lines) + "\n"


ARROW_LENGTH = 7.0      # points: Graphviz's arrowhead (10) at the arrowsize above (0.7)


def _positions(scene: Scene, sizes: list[tuple[float, float]], layout: Layout,
               ) -> tuple[list[str], list[str]]:
    """The DOT attributes that pin each box where `layout` put it, and each edge's path.

    Graphviz's y axis points up, the layout's (SVG's) down; its units are points, one per
    layout unit. An edge's path is the SVG's (straight within a layer, an S-curve between two)
    as cubic Bézier pieces, ending an arrowhead's length before the box (Graphviz draws the
    arrowhead from there to the `e,` point).
    """
    def point(x: float, y: float) -> str:
        return f"{x:.2f},{layout.height - y:.2f}"

    boxes = [f', pos="{point(*centre)}!", width={w / 72:.3f}, height={h / 72:.3f}'
             for centre, (w, h) in zip(layout.centres, sizes)]
    edges = []
    for (source, target), route in zip(scene.edges, layout.routes):
        points = list(route)
        for end, box in ((0, source), (-1, target)):
            if scene.boxes[box].kind == "op":
                points[end] = svg.on_ellipse(points[end], layout.centres[box], sizes[box],
                                             layout.horizontal)
        pieces = []                                         # (start, control, control, end)
        for i, ((x0, y0), (x1, y1)) in enumerate(zip(points, points[1:])):
            if i % 2 == 0:
                if abs(x1 - x0) + abs(y1 - y0) > 0.01:      # no zero-length piece: it would
                    pieces.append(_straight((x0, y0), (x1, y1)))  # turn the arrowhead
            elif layout.horizontal:                         # the S-curve svg._path draws
                pieces.append(((x0, y0), ((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1), (x1, y1)))
            else:
                pieces.append(((x0, y0), (x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2), (x1, y1)))
        tip = points[-1]
        pieces[-1] = _shortened(pieces[-1], ARROW_LENGTH)
        controls = [pieces[0][0]] + [c for piece in pieces for c in piece[1:]]
        path = f"e,{point(*tip)} " + " ".join(point(*c) for c in controls)
        edges.append(f" [pos={_quote_long(path)}]")
    return boxes, edges


Point = tuple[float, float]


def _straight(a: Point, b: Point) -> tuple[Point, Point, Point, Point]:
    """The line from a to b as a cubic Bézier piece (its controls at the thirds)."""
    (xa, ya), (xb, yb) = a, b
    return a, (xa + (xb - xa) / 3, ya + (yb - ya) / 3), (xa + 2 * (xb - xa) / 3,
                                                       ya + 2 * (yb - ya) / 3), b


def _shortened(piece: tuple[Point, ...], length: float) -> tuple[Point, ...]:
    """The piece ending `length` earlier along its direction at the end (room for the arrowhead
    Graphviz draws from there to the old end), at most half of it."""
    start, c1, c2, (x, y) = piece
    (px, py) = c2 if c2 != (x, y) else start
    norm = max(((x - px) ** 2 + (y - py) ** 2) ** 0.5, 1e-9)
    step = min(length, norm / 2) / norm
    end = (x - (x - px) * step, y - (y - py) * step)
    if c1 == _straight(start, (x, y))[1]:               # a line stays a line
        return _straight(start, end)
    return start, c1, (c2[0] - (x - px) * step, c2[1] - (y - py) * step), end


def render(source: str, fmt: str, *, caller: str, nodes: int | None = None,
           positioned: bool = False) -> bytes:
    """Run `dot` on DOT text; `fmt` is "svg", "png" or "pdf". Errors start with `caller`, the
    function the user called ("draw_graph"). `nodes`, the graph's size, goes into the message
    should `dot` take longer than `DOT_TIMEOUT` seconds (it is then stopped). `positioned`:
    the text gives every position (`to_dot`'s `placed`), and Graphviz draws them as they are
    (its no-layout mode, `-Kneato -n2`) instead of laying the graph out."""
    program = find_dot()
    if program is None:
        raise GraphvizNotFound(f"{caller}: rendering {fmt} needs Graphviz; {INSTALL_HINT}")
    mode = ["-Kneato", "-n2"] if positioned else []
    try:
        done = subprocess.run([program, *mode, f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=DOT_TIMEOUT)
    except FileNotFoundError:           # removed since find_dot looked
        raise GraphvizNotFound(f"{caller}: rendering {fmt} needs Graphviz; "
                               f"{INSTALL_HINT}") from None
    except subprocess.TimeoutExpired:   # subprocess.run has killed it
        size = f" of {nodes} nodes" if nodes is not None else ""
        builtin = "" if positioned else _BUILTIN_HINT     # `dot` laid it out: Python can too
        raise GraphvizFailed(f"{caller}: dot did not finish rendering a graph{size} as {fmt} "
                             f"within {DOT_TIMEOUT:g} s and was stopped; draw a smaller graph (a "
                             f"lower max_nodes collapses more){builtin}, or raise "
                             f"autograd.viz.dot.DOT_TIMEOUT") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().replace("\n", " ")
        raise GraphvizFailed(f"{caller}: dot failed to render {fmt} (exit status "
                             f"{done.returncode}){': ' + said[:300] if said else ''}")
    return done.stdout
