"""A scene as DOT text (pure Python), and Graphviz's `dot` program to render it.

`render` runs the `dot` program itself, stopping it after `DOT_TIMEOUT` seconds. `pip install
graphviz` installs only a Python package, not the program, so `find_dot` looks for the program
first and callers fall back or say how to install it.
"""

from __future__ import annotations

import shutil
import subprocess

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

FONT = "monospace"
_RECORD_SPECIAL = set('\\"{}|<>')


class GraphvizNotFound(RuntimeError):
    """Graphviz's `dot` program is needed (engine="graphviz", png or pdf) and is not installed."""


class GraphvizFailed(RuntimeError):
    """Graphviz's `dot` program ran and failed; the message carries what it said."""


def find_dot() -> str | None:
    """The path of Graphviz's `dot` program, or None when it is not installed."""
    return shutil.which("dot")


def _quote(text: str) -> str:
    """A DOT string literal; only \\ and " are special inside one."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _record_field(text: str) -> str:
    """A record field: { } | < > are record syntax and \\ " are string syntax; one backslash
    before each makes it literal (the record parser reads the string's escapes itself)."""
    return "".join("\\" + ch if ch in _RECORD_SPECIAL else ch for ch in text)


def to_dot(scene: Scene) -> str:
    """The scene as a DOT `digraph`; ids and order follow the scene, so the text is deterministic.

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
                   f"fontname={_quote(FONT)}", "fontsize=11"]
    if scene.caption:
        graph_attrs += [f"label={_quote(scene.caption)}", "labelloc=t", "labeljust=l"]
    lines = [
        "digraph glassgrad {",
        f"  graph [{', '.join(graph_attrs)}];",
        f'  node [fontname={_quote(FONT)}, fontsize=11, style=filled, color="#333333", '
        f"penwidth=1.0, height=0.3];",
        '  edge [color="#555555", arrowsize=0.7];',
    ]
    for box in scene.boxes:
        style = ', style="filled,dashed"' if box.dashed else (
            ', style="filled,bold"' if box.kind == "group" else "")
        if box.kind == "op":
            lines.append(f"  {box.name} [shape=ellipse, label={_quote(box.fields[0])}, "
                         f'fillcolor="{box.fill}", width=0.4, margin=0.03{style}];')
        else:
            record = "|".join(_record_field(f) for f in box.fields)
            if across != box.stacked:
                record = "{" + record + "}"
            lines.append(f'  {box.name} [shape=record, label="{record}", '
                         f'fillcolor="{box.fill}"{style}];')
    names = [box.name for box in scene.boxes]
    lines.extend(f"  {names[a]} -> {names[b]};" for a, b in scene.edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(source: str, fmt: str, *, caller: str, nodes: int | None = None) -> bytes:
    """Run `dot` on DOT text; `fmt` is "svg", "png" or "pdf". Errors start with `caller`, the
    function the user called ("draw_graph"). `nodes`, the graph's size, goes into the message
    should `dot` take longer than `DOT_TIMEOUT` seconds (it is then stopped)."""
    program = find_dot()
    if program is None:
        raise GraphvizNotFound(f"{caller}: rendering {fmt} needs Graphviz; {INSTALL_HINT}")
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=DOT_TIMEOUT)
    except FileNotFoundError:           # removed since find_dot looked
        raise GraphvizNotFound(f"{caller}: rendering {fmt} needs Graphviz; "
                               f"{INSTALL_HINT}") from None
    except subprocess.TimeoutExpired:   # subprocess.run has killed it
        size = f" of {nodes} nodes" if nodes is not None else ""
        raise GraphvizFailed(f"{caller}: dot did not finish rendering a graph{size} as {fmt} "
                             f"within {DOT_TIMEOUT:g} s and was stopped; draw a smaller graph (a "
                             f"lower max_nodes collapses more), or raise "
                             f"autograd.viz.dot.DOT_TIMEOUT") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().replace("\n", " ")
        raise GraphvizFailed(f"{caller}: dot failed to render {fmt} (exit status "
                             f"{done.returncode}){': ' + said[:300] if said else ''}")
    return done.stdout
