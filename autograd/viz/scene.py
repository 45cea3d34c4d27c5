"""What a drawing shows, before any geometry: boxes with their text, and arrows between them.

Both writers read a `Scene`: `dot.py` turns it into DOT text for Graphviz, `layout.py` and
`svg.py` draw it without Graphviz. Every node becomes a record box; a node made by an op also gets
a small op box in front of it (micrograd's picture: x1 → (*) → [x1*w1 | data | grad]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..graph import Node
from . import labels, palette
from .collapse import Group, collapse
from .trace import Trace, trace


@dataclass(frozen=True)
class Box:
    """One box. `name` is its id in DOT and SVG: n3 for node 3 of the walk, op3 for the op that
    made it, g3 for group 3 of a collapsed drawing. `kind` is "record", "op" or "group"."""

    name: str
    kind: str
    fields: tuple[str, ...]             # the text sections, left to right
    fill: str                           # "#rrggbb"
    dashed: bool = False                # a constant: no gradient flows into it
    stacked: bool = False               # fields top to bottom (tensors, groups: narrower boxes)
    label: str = ""                     # a record's name, as its first field shows it ("" if none)
    outline: str = ""                   # draw_backprop's highlight: "hot", "to" or "" (palette)


@dataclass(frozen=True)
class Scene:
    boxes: list[Box]
    edges: list[tuple[int, int]]        # (box, box) in the direction data flows
    rankdir: str                        # "LR", "TB", "RL" or "BT", as in Graphviz
    caption: str = ""                   # what was collapsed, what the colours mean
    stale: str = ""                     # the caption's note that the numbers are out of date


def build_scene(root: Node, *, rankdir: str = "LR", show_grad: bool = True,
                max_nodes: int | None = None, color_grad: bool = False,
                preview: int = 4) -> Scene:
    """The scene for the graph that leads to `root` (options as in `draw_graph`)."""
    walked = trace(root)
    if max_nodes is not None and len(walked.nodes) > max_nodes:
        scene = _collapsed_scene(walked, rankdir, show_grad, max_nodes, color_grad)
    else:
        scene = _full_scene(walked, rankdir, show_grad, color_grad, preview)
    stale = stale_note(walked)
    if not stale:
        return scene
    caption = f"{stale} {scene.caption}" if scene.caption else stale
    return Scene(scene.boxes, scene.edges, rankdir, caption, stale)


def stale_note(walked: Trace) -> str:
    """What a drawing says when its numbers no longer add up (`Trace.stale`): which inputs
    changed, and what to do; "" when they do.

    >>> from autograd import Value
    >>> w, x = Value(-3.0, label="w"), Value(2.0, label="x")
    >>> y = w * x
    >>> w.data -= 0.1 * 2.0                 # micrograd's update, after the forward pass
    >>> print(stale_note(trace(y)))
    Out of date: 1 op was computed before an input changed (among its inputs: w, x: changed \
after the forward pass, by p.data -= lr * p.grad?), so its result does not follow from the \
numbers shown; run the forward pass again after the update, or draw before it.
    """
    ops, inputs = walked.stale()
    if not ops:
        return ""
    nodes = walked.nodes
    named = [labels.clean(nodes[i].label) for i in inputs if nodes[i].label]
    unnamed = len(inputs) - len(named)
    listed = ", ".join(named[:4]) + (", …" if len(named) > 4 else "")
    if unnamed:
        others = f"{unnamed} unlabelled node{'s' if unnamed > 1 else ''}"
        listed = f"{listed} and {others}" if listed else others
    if labels.is_tensor(nodes[ops[0]]):
        how = f"{listed}: changed in place after the forward pass, by an optimizer step?"
    else:                                   # the ops' inputs: which of them changed is unknown
        whose = "its" if len(ops) == 1 else "their"
        among = "" if len(inputs) == 1 else f"among {whose} inputs: "
        how = f"{among}{listed}: changed after the forward pass, by p.data -= lr * p.grad?"
    count = ("1 op was computed before an input changed" if len(ops) == 1 else
             f"{len(ops):,} ops were computed before an input changed")
    its = "its result does not" if len(ops) == 1 else "their results do not"
    return (f"Out of date: {count} ({how}), so {its} follow from the numbers shown; run the "
            f"forward pass again after the update, or draw before it.")


def _shades(nodes: list[Node], color_grad: bool) -> tuple[list[float], str]:
    """Each node's gradient as a fraction of the largest, and a caption saying so."""
    if not color_grad:
        return [], ""
    sizes = [labels.grad_size(n) for n in nodes]
    largest = max((s for s in sizes if math.isfinite(s)), default=0.0)
    if largest == 0:                                 # no backward yet
        return [0.0] * len(nodes), "Colour: no gradient to show yet (run backward first)."
    return ([s / largest for s in sizes],
            f"Colour: size of the gradient, from white (0) to red ({labels.number(largest)}).")


def _full_scene(walked: Trace, rankdir: str, show_grad: bool, color_grad: bool,
                preview: int) -> Scene:
    shade, caption = _shades(walked.nodes, color_grad)
    boxes: list[Box] = []
    edges: list[tuple[int, int]] = []
    box_of: list[int] = []                           # node position → its record box
    for i, node in enumerate(walked.nodes):
        if not node.is_leaf:
            op_box = len(boxes)
            boxes.append(Box(f"op{i}", "op", (labels.op_text(node),), palette.OP_FILL))
            edges.extend((box_of[p], op_box) for p in walked.inputs[i])
            edges.append((op_box, op_box + 1))          # into the node's record, added next
        fill = labels.heat(shade[i]) if color_grad else labels.node_fill(node)
        box_of.append(len(boxes))
        boxes.append(Box(f"n{i}", "record", labels.node_fields(node, show_grad, preview), fill,
                         dashed=not node.requires_grad, stacked=labels.is_tensor(node),
                         label=labels.clean(node.label) if node.label else ""))
    return Scene(boxes, edges, rankdir, caption)


def _group_fields(group: Group, nodes: list[Node], show_grad: bool) -> tuple[str, ...]:
    members = [nodes[i] for i in group.members]
    count = len(members)
    if group.kind == "leaf":
        title = f"{count} leaves" if count > 1 else "1 leaf"
    elif group.kind == "constant":
        title = f"{count} constants" if count > 1 else "1 constant"
    else:
        title = f"{count} × {labels.clean(group.kind)}"
    names = list(dict.fromkeys(labels.clean(n.label) for n in members if n.label))
    if names:
        title += ": " + ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    fields = [title]
    wants_grad = show_grad and any(n.requires_grad for n in members)
    if labels.is_tensor(members[0]):
        shapes = list(dict.fromkeys((n.data.shape, n.data.dtype) for n in members))
        fields.append(f"{shapes[0][0]} {shapes[0][1]}" if len(shapes) == 1
                      else f"{len(shapes)} shapes")
        if wants_grad:
            largest = np.max([labels.grad_size(n) for n in members])    # a nan shows as nan
            fields.append(f"max ‖grad‖ {labels.number(largest)}")
    else:
        fields.append("data " + labels.span([n.data for n in members]))
        if wants_grad:
            fields.append("grad " + labels.span([_grad_number(n) for n in members
                                                 if n.requires_grad]))
    return tuple(fields)


def _grad_number(node: Node) -> float:
    return node.grad.data if isinstance(node.grad, Node) else node.grad


def _collapsed_scene(walked: Trace, rankdir: str, show_grad: bool, max_nodes: int,
                     color_grad: bool) -> Scene:
    collapsed = collapse(walked, max_nodes)
    shade, colour_caption = _shades(walked.nodes, color_grad)
    boxes = []
    for g, group in enumerate(collapsed.groups):
        if color_grad:
            fill = labels.heat(np.max([shade[i] for i in group.members]))   # nan: hot
        else:
            fill = palette.LEAF_FILL if group.kind == "leaf" else (
                palette.CONSTANT_FILL if group.kind == "constant" else palette.GROUP_FILL)
        boxes.append(Box(f"g{g}", "group", _group_fields(group, walked.nodes, show_grad), fill,
                         dashed=group.kind == "constant", stacked=True))
    caption = " ".join(c for c in (collapsed.caption, colour_caption) if c)
    return Scene(boxes, collapsed.edges, rankdir, caption)
