"""Pictures of computation graphs: `draw_graph(y)` shows every value, gradient and op behind `y`.

It renders everywhere: with Graphviz's `dot` when it is installed, otherwise with a pure-Python
layered layout that writes standalone SVG. The pieces, one job each:

    trace.py     walk the graph once, deterministically (ids n0, n1, ... in walk order)
    collapse.py  large graphs: one box per (depth, op), saying what was collapsed
    palette.py   every colour and line width, checked for contrast and colour blindness
    labels.py    the text and colour of each box
    scene.py     boxes and arrows, before any geometry
    dot.py       the scene as DOT text; running `dot`
    layout.py    the built-in layered layout
    describe.py  a drawing in words: the SVG's <title> and <desc> for screen readers
    svg.py       the built-in SVG writer
    draw.py      draw_graph and GraphDrawing (Jupyter display, save); draw_dot, micrograd's name
    rules.py     an op's derivative as its docstring writes it
    steps.py     backpropagation one node at a time, with a record of every step
    backprop.py  draw_backprop: the recorded steps as a drawing you can step through
    page.py      the HTML, CSS and JavaScript around it
    expression.py  the safe expression parser behind `glassgrad graph` (the command: nn/cli/)
"""

from .backprop import BackpropDrawing, draw_backprop
from .dot import GraphvizFailed, GraphvizNotFound
from .draw import GraphDrawing, draw_dot, draw_graph

__all__ = ["draw_graph", "draw_dot", "GraphDrawing", "draw_backprop", "BackpropDrawing",
           "GraphvizNotFound", "GraphvizFailed"]
