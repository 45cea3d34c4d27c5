"""`draw_graph`: a picture of the graph behind a Value or Tensor, in Jupyter, as a file, anywhere.

>>> from autograd import Value
>>> x, w = Value(0.5, label="x"), Value(-1.0, label="w")
>>> y = (x * w).tanh()
>>> y.backward()
>>> drawing = draw_graph(y, engine="builtin")
>>> drawing.svg().count('class="node')            # x, w, the product, tanh's output, 2 ops
6
>>> print(drawing.source)                           # DOT text, for Graphviz or by hand
digraph glassgrad {
...
  n0 [shape=record, label="{x|data 0.5000|grad -0.7864}", fillcolor="#eef4fb"];
...
"""

from __future__ import annotations

import numbers
import os
import pathlib
import hashlib
from typing import Any

from ..files import atomic_open
from ..graph import Node
from ..value import Value, _check_data
from ..warn import warn
from . import dot, layout, svg
from .scene import Scene, build_scene

ENGINES = ("auto", "builtin", "graphviz")
FORMATS = ("svg", "png", "pdf")
DEFAULT_MAX_NODES = 300
_MIME = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}

# Drawn box by box, a graph of thousands of nodes grows fast: micrograd's demo loss on 10 moons
# points (7,474 nodes) made a 73 MB SVG in 9 s, on 100 points (65,614) 615 MB in 74 s and 4.5 GB
# of memory, mostly the arrows of weights shared by every example. Above LARGE_DRAWING boxes a
# drawing warns before that work; above INLINE_LIMIT characters of SVG Jupyter is
# given a line of text instead (a notebook holding the drawing, and the .ipynb file that saves
# it, would be slow to open or not open at all); `save` writes any size.
LARGE_DRAWING = 10_000
INLINE_LIMIT = 10_000_000


def draw_graph(root: Node, *, rankdir: str = "LR", show_grad: bool = True, format: str = "svg",
               engine: str = "auto", max_nodes: int | None = DEFAULT_MAX_NODES,
               color_grad: bool = False, preview: int = 4) -> GraphDrawing:
    """Draw every node that leads to `root`, with its data and (after backward) its gradient.

    rankdir     "LR" (inputs on the left), "TB", "RL" or "BT"
    show_grad   show each node's gradient (a Value's grad, a Tensor's gradient norm)
    format      what Jupyter displays and `data()` gives: "svg", "png" or "pdf" (png and pdf
                need Graphviz's `dot` program; `save` goes by the file's suffix)
    engine      "builtin": the pure-Python layout, no system dependency; "graphviz": Graphviz's
                `dot`; "auto": `dot` when it is installed, else the built-in layout (which
                is also used for a drawing so long that it folds into rows: `dot` cannot)
    max_nodes   above this many nodes, nodes made by the same op at the same depth are drawn
                as one box ("16 × mul") and the drawing says so; None never collapses (more
                than `LARGE_DRAWING` boxes warn: a notebook cannot show them)
    color_grad  shade each node by the size of its gradient (white 0, red the largest)
    preview     how many numbers of each Tensor to show (0: none)
    """
    check_options("draw_graph", root, rankdir, max_nodes, preview)
    if format not in FORMATS:
        raise ValueError(f"draw_graph: format must be one of {FORMATS}, got {format!r}")
    if engine not in ENGINES:
        raise ValueError(f"draw_graph: engine must be one of {ENGINES}, got {engine!r}")
    have_dot = dot.find_dot() is not None
    if not have_dot and (engine == "graphviz" or format != "svg"):
        need = 'engine="graphviz"' if engine == "graphviz" else f'format="{format}"'
        raise dot.GraphvizNotFound(f"draw_graph: {need} needs Graphviz; {dot.INSTALL_HINT}")
    scene = build_scene(root, rankdir=rankdir, show_grad=bool(show_grad),
                        max_nodes=None if max_nodes is None else int(max_nodes),
                        color_grad=bool(color_grad), preview=int(preview))
    if scene.stale:
        warn(f"draw_graph: {scene.stale}", UserWarning)
    if len(scene.boxes) > LARGE_DRAWING:
        warn(f"draw_graph: {len(scene.boxes):,} boxes (max_nodes={max_nodes}) take seconds to "
             f"minutes to lay out and tens to hundreds of MB of SVG, too big for a notebook to "
             f"show; max_nodes={DEFAULT_MAX_NODES} (the default) collapses the graph into at "
             f"most {DEFAULT_MAX_NODES} boxes", RuntimeWarning)
    chosen = engine if engine != "auto" else ("graphviz" if have_dot else "builtin")
    if engine == "auto" and chosen == "graphviz" and _builtin_layout(scene)[1].rows > 1:
        chosen = "builtin"                     # a long chain: only the built-in layout folds it
    return GraphDrawing(scene, chosen, format, fallback=engine == "auto")


def draw_dot(root: Node, format: str = "svg", rankdir: str = "LR",
             **options: Any) -> GraphDrawing:
    """micrograd's name: the `draw_dot(root, format='svg', rankdir='LR')` of its notebooks
    and lecture is `draw_graph(root, format=format, rankdir=rankdir)` (which returns a
    `GraphDrawing`, not a graphviz `Digraph`: it shows itself in Jupyter, `.save("g.svg")`
    writes it, `.source` is the DOT text). Other options are draw_graph's.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = a * b; L.label = "L"
    >>> draw_dot(L, rankdir="TB").source == draw_graph(L, rankdir="TB").source
    True
    """
    return draw_graph(root, format=format, rankdir=rankdir, **options)


class GraphDrawing:
    """A drawn graph: shows itself in Jupyter, gives its DOT `source` and its `svg()`, and `save`s.

    `engine` is the engine that lays the drawing out ("builtin" or "graphviz"). PNG and PDF
    always come from Graphviz: of a built-in drawing, Graphviz draws the built-in layout
    (`drawn_by`).
    """

    def __init__(self, scene: Scene, engine: str, format: str = "svg",
                 fallback: bool = False) -> None:
        self.scene = scene
        self.engine = engine
        self.format = format
        self.source = dot.to_dot(scene)
        self._fallback = fallback          # engine="auto": if `dot` fails, draw it ourselves
        self._svg: str | None = None
        self._rendered: dict[str, bytes] = {}     # png and pdf from `dot`, made once each

    @property
    def caption(self) -> str:
        """What the drawing says it collapsed and what its colours mean ("" when nothing)."""
        return self.scene.caption

    def svg(self) -> str:
        """The drawing as an SVG document (made once, then reused)."""
        if self._svg is None:
            if self.engine == "graphviz":
                try:
                    self._svg = svg.described(self._render("svg").decode("utf-8"),
                                              self.scene)
                except (dot.GraphvizFailed, dot.GraphvizNotFound, OSError) as error:
                    if not self._fallback:
                        raise
                    said = str(error).removeprefix("draw_graph: ")    # named once, not twice
                    warn(f"draw_graph: Graphviz failed ({said}); drawing with the "
                         f"built-in layout instead", RuntimeWarning)
                    self.engine = "builtin"
            if self._svg is None:
                self._svg = builtin_svg(self.scene)
        return self._svg

    def data(self, format: str | None = None) -> bytes:
        """The drawing as bytes in `format` ("svg", "png" or "pdf"; this drawing's by default),
        made once, then reused."""
        format = self.format if format is None else format
        if format not in FORMATS:
            raise ValueError(f"GraphDrawing.data: format must be one of {FORMATS}, got {format!r}")
        if format == "svg":
            return self.svg().encode("utf-8")
        if format not in self._rendered:
            self._rendered[format] = self._render(format)
        return self._rendered[format]

    def _render(self, format: str) -> bytes:
        """`format` from Graphviz: laid out by `dot`, or, for the built-in engine, the built-in
        layout (folded rows and all) that Graphviz only draws, so a PNG looks like the SVG."""
        positioned = self.engine == "builtin"
        source = dot.to_dot(self.scene, _builtin_layout(self.scene)) if positioned else self.source
        return dot.render(source, format, caller="draw_graph", nodes=len(self.scene.boxes),
                          positioned=positioned)

    def drawn_by(self, format: str | None = None) -> str:
        """Who lays out and draws the drawing in `format` (this drawing's by default), in words:
        "builtin", "graphviz", or for png and pdf of the built-in engine "builtin layout,
        drawn by graphviz"."""
        format = self.format if format is None else format
        if format != "svg" and self.engine == "builtin":
            return "builtin layout, drawn by graphviz"
        return self.engine

    def save(self, path: str | os.PathLike) -> pathlib.Path:
        """Write the drawing to `path`, in the format its suffix names (.svg, .png or .pdf).

        The file appears complete or not at all (written to a temporary file, then renamed).
        """
        path = pathlib.Path(path)
        format = path.suffix.lower().lstrip(".")
        if format not in FORMATS:
            raise ValueError(f"GraphDrawing.save: cannot tell the format from {str(path)!r}; "
                             f"end the name with .svg, .png or .pdf")
        if format != "svg" and dot.find_dot() is None:
            raise dot.GraphvizNotFound(
                f"GraphDrawing.save: .{format} needs Graphviz (.svg does not); {dot.INSTALL_HINT}")
        _write_atomically(path, self.data(format))
        return path

    def _repr_svg_(self) -> str | None:
        if self.format != "svg" or self._too_big_to_show():
            return None
        return self._displayed_svg()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        if self.format == "svg" and self._too_big_to_show():
            return {"text/plain": self._too_big_text()}
        payload: str | bytes = self._displayed_svg() if self.format == "svg" else self.data()
        return {_MIME[self.format]: payload, "text/plain": repr(self)}

    def _too_big_to_show(self) -> bool:
        return len(self.svg()) > INLINE_LIMIT

    def _too_big_text(self) -> str:
        return (f"{self!r}: {len(self.svg()) / 1e6:,.0f} MB of SVG, too big to show in a "
                f"notebook; .save('graph.svg') writes it, or draw it collapsed "
                f"(max_nodes={DEFAULT_MAX_NODES}, the default)")

    def _displayed_svg(self) -> str:
        """The SVG with ids of its own: a notebook, its HTML export and its slides put every
        drawing on one page, where the arrows of all drawings would take their arrowhead from
        the first one, and lose it when that one is hidden. The prefix comes from the drawing
        itself, so a re-run notebook stores the same output (only equal drawings share ids)."""
        drawing = self.svg()
        return svg.prefix_ids(drawing, "gg-" + hashlib.sha1(drawing.encode()).hexdigest()[:12])

    def __repr__(self) -> str:
        boxes, edges = len(self.scene.boxes), len(self.scene.edges)
        return f"<GraphDrawing: {boxes} boxes, {edges} edges, engine={self.engine!r}>"


def check_options(caller: str, root: Any, rankdir: str, max_nodes: Any, preview: Any) -> None:
    """The checks every drawing function makes of the options it shares with `draw_graph`."""
    if not isinstance(root, Node):
        raise TypeError(f"{caller}: expected a Value or a Tensor, got {type(root).__name__}"
                        f"{_what_to_draw(caller, root)}")
    if isinstance(root, Value):         # `p.data -= lr * p`: + and * carry the Value along,
        _check_data(root, caller)       # and a drawing of it would look fine; backward refuses
    if rankdir not in layout.RANKDIRS:
        raise ValueError(f"{caller}: rankdir must be one of {layout.RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and not (_is_int(max_nodes) and max_nodes >= 1):
        raise ValueError(f"{caller}: max_nodes must be a positive int or None, got {max_nodes!r}")
    if not (_is_int(preview) and preview >= 0):
        raise ValueError(f"{caller}: preview must be an int >= 0, got {preview!r}")


def _what_to_draw(caller: str, root: Any) -> str:
    """For the two near misses a learner makes, what to pass instead ("" otherwise)."""
    if isinstance(root, (list, tuple)) and root and all(isinstance(r, Node) for r in root):
        return f" of them (a layer's outputs?): draw one, {caller}(outs[0]), or a loss made of all"
    if callable(getattr(root, "parameters", None)):      # a model (nn.Module, nn.scalar.MLP)
        return f" (a model): draw what it computes, {caller}(model(x)) or {caller}(loss)"
    return ""


def _is_int(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _builtin_layout(scene: Scene) -> tuple[list[tuple[float, float]], layout.Layout]:
    """Each box's size and where the pure-Python layout puts it."""
    sizes = [svg.measure(box) for box in scene.boxes]
    return sizes, layout.layered_layout(sizes, scene.edges, scene.rankdir)


def builtin_svg(scene: Scene) -> str:
    """The scene drawn by the pure-Python layout."""
    return svg.render(scene, *_builtin_layout(scene))


def _write_atomically(path: pathlib.Path, payload: bytes) -> None:
    with atomic_open(path) as f:
        f.write(payload)
