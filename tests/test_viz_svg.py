"""autograd.viz.svg: the built-in engine's standalone SVG.

Well-formed XML with one group per box and one path per edge, user text escaped (a `<script>`
label is text, not an element), records wide enough for their text, no overlapping rectangles,
and byte-identical output for the same graph.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from autograd import Tensor, Value
from autograd.viz import draw_graph
from autograd.viz.scene import build_scene
from autograd.viz.svg import CHAR_WIDTH, measure, text_width

SVG = "{http://www.w3.org/2000/svg}"


def neuron(label_b: str = "b") -> Value:
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    o = (x1 * w1 + x2 * w2 + Value(6.8813735870195432, label=label_b)).tanh()
    o.backward()
    return o


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def node_groups(root: ET.Element, kind: str | None = None) -> list[ET.Element]:
    out = []
    for g in root.iter(f"{SVG}g"):
        classes = (g.get("class") or "").split()
        if "node" in classes and (kind is None or kind in classes):
            out.append(g)
    return out


def box_rects(root: ET.Element) -> list[tuple[float, float, float, float]]:
    """The outline of every node: its rect (front one for groups) or its ellipse's bounds."""
    out = []
    for g in node_groups(root):
        ellipse = g.find(f"{SVG}ellipse")
        if ellipse is not None:
            cx, cy, rx, ry = (float(ellipse.get(k)) for k in ("cx", "cy", "rx", "ry"))
            out.append((cx - rx, cy - ry, cx + rx, cy + ry))
            continue
        for rect in g.findall(f"{SVG}rect"):            # a group also has its shadow box
            x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
            out.append((x, y, x + w, y + h))
    return out


def assert_no_overlaps(root: ET.Element) -> None:
    groups = node_groups(root)
    spans = []
    for g in groups:                                     # one span per node, shadow included
        spans.append([r for r in box_rects(ET.fromstring(
            f'<svg xmlns="http://www.w3.org/2000/svg">{ET.tostring(g, encoding="unicode")}'
            f"</svg>"))])
    bounds = [(min(r[0] for r in s), min(r[1] for r in s), max(r[2] for r in s),
               max(r[3] for r in s)) for s in spans]
    for i in range(len(bounds)):
        for j in range(i + 1, len(bounds)):
            a, b = bounds[i], bounds[j]
            assert not (a[0] < b[2] - 1e-3 and b[0] < a[2] - 1e-3 and a[1] < b[3] - 1e-3
                        and b[1] < a[3] - 1e-3), f"nodes {i} and {j} overlap"


def test_neuron_svg_is_xml_with_a_box_per_node_and_a_path_per_edge():
    drawing = draw_graph(neuron(), engine="builtin")
    root = parse(drawing.svg())
    assert root.tag == f"{SVG}svg"
    assert len(node_groups(root, "record")) == 10 and len(node_groups(root, "op")) == 5
    edges = [p for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]
    assert len(edges) == 14
    assert all(p.get("marker-end") == "url(#glassgrad-arrow)" for p in edges)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for expected in ("x1", "data 2.0000", "grad -1.5000", "data 0.7071", "tanh", "*", "+"):
        assert expected in texts
    ids = [g.get("id") for g in node_groups(root)]
    assert ids[:4] == ["n0", "n1", "op2", "n2"]
    assert_no_overlaps(root)


def test_record_fields_are_separated_and_wide_enough_for_their_text():
    root = parse(draw_graph(neuron(), engine="builtin").svg())
    x1 = next(g for g in node_groups(root, "record") if g.get("id") == "n0")
    assert len(x1.findall(f"{SVG}line")) == 2                    # 3 fields, 2 separators
    width = float(x1.find(f"{SVG}rect").get("width"))
    text = "".join(t.text for t in x1.findall(f"{SVG}text"))
    assert width >= len(text) * CHAR_WIDTH


def test_labels_are_escaped_and_render_as_text():
    hostile = "<script>alert('x')</script> & co"
    svg = draw_graph(neuron(hostile), engine="builtin").svg()
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp; co" in svg
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert hostile in [t.text for t in root.iter(f"{SVG}text")]
    assert any(hostile in (t.text or "") for t in root.iter(f"{SVG}title"))


def test_same_graph_gives_byte_identical_svg():
    first = draw_graph(neuron(), engine="builtin").svg()
    second = draw_graph(neuron(), engine="builtin").svg()
    assert first == second
    assert draw_graph(neuron(), engine="builtin", rankdir="TB").svg() != first


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_every_direction_draws_without_overlaps(rankdir):
    root = parse(draw_graph(neuron(), engine="builtin", rankdir=rankdir).svg())
    assert len(node_groups(root)) == 15
    assert_no_overlaps(root)


def test_a_random_value_graph_draws_without_overlaps():
    rnd = random.Random(3)
    values = [Value(rnd.uniform(-1, 1), label=f"v{i}") for i in range(8)]
    while len(values) < 60:
        a, b = rnd.choice(values[-10:]), rnd.choice(values)
        values.append(a * b if rnd.random() < 0.5 else (a + b).tanh())
    root = values[-1] + values[-2] + values[-3]
    root.backward()
    svg = draw_graph(root, engine="builtin", max_nodes=None).svg()
    tree = parse(svg)
    assert len(node_groups(tree)) == len(build_scene(root).boxes)
    assert_no_overlaps(tree)


def test_collapsed_drawing_has_stacked_group_boxes_and_a_caption():
    ws = [Value(0.1 * i) for i in range(30)]
    out = sum((w * w).tanh() for w in ws)
    out.backward()
    root = parse(draw_graph(out, engine="builtin", max_nodes=20).svg())
    groups = node_groups(root, "group")
    assert len(groups) == len(build_scene(out, max_nodes=20).boxes) <= 20
    assert all(len(g.findall(f"{SVG}rect")) == 2 for g in groups)   # the box and its shadow
    caption = " ".join(t.text for t in root.iter(f"{SVG}text") if t.get("class") == "caption")
    assert caption.startswith("Collapsed: 120 nodes drawn as")
    assert_no_overlaps(root)


def test_color_grad_fills_boxes_and_explains_the_colours():
    root = parse(draw_graph(neuron(), engine="builtin", color_grad=True).svg())
    x1 = next(g for g in node_groups(root) if g.get("id") == "n0")
    assert x1.find(f"{SVG}rect").get("fill") == "#e86a4a"
    caption = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "caption"]
    assert caption == ["Colour: size of the gradient, from white (0) to red (1.5000)."]


def test_tensor_graph_draws():
    W = Tensor(np.ones((3, 2)), requires_grad=True, label="W")
    y = (Tensor(np.ones((4, 3))) @ W).relu().mean()
    y.backward()
    root = parse(draw_graph(y, engine="builtin").svg())
    texts = [t.text for t in root.iter(f"{SVG}text")]
    # dy/dW = Xᵀ (1/8): each of the 6 entries sums 4 rows of 1/8 = 0.5; norm sqrt(6 · 0.25)
    assert "(3, 2) float64" in texts and "matmul" in texts and "‖grad‖ 1.2247" in texts
    W_box = next(g for g in node_groups(root, "record") if g.get("id") == "n1")
    separators = W_box.findall(f"{SVG}line")                # 4 fields stacked: 3 rules across
    assert len(separators) == 3 and all(line.get("y1") == line.get("y2") for line in separators)


def test_text_width_counts_wide_characters_twice():
    assert text_width("ab") == 2 * CHAR_WIDTH
    assert text_width("数") == 2 * CHAR_WIDTH
    scene = build_scene(Value(1.0, label="数値") * 2)
    assert measure(scene.boxes[0])[0] > measure(build_scene(Value(1.0, label="ab") * 2).boxes[0])[0]


def test_coordinates_have_fixed_precision():
    svg = draw_graph(neuron(), engine="builtin").svg()
    numbers = re.findall(r' (?:x|y|x1|y1|x2|y2|cx|cy|width|height)="(-?[\d.]+)"', svg)
    assert numbers and all(re.fullmatch(r"-?\d+\.\d", n) for n in numbers)


def chain(steps):
    """y = y*1.0001 + 0.0001, `steps` times, after backward."""
    y = Value(1.0, label="x")
    for _ in range(steps):
        y = y * 1.0001 + 0.0001
    y.backward()
    return y


@pytest.mark.parametrize("steps", [60, 2000])
def test_a_long_chain_is_drawn_folded_to_a_readable_width(steps):
    """Once 40,000 px wide (collapsed or not), now in rows."""
    root = ET.fromstring(draw_graph(chain(steps), engine="builtin").svg())
    width, height = float(root.get("width")), float(root.get("height"))
    assert width <= 3100 and height <= 3100
    boxes = [g for g in root.iter(SVG + "g") if "node" in (g.get("class") or "").split()]
    if steps == 60:
        assert len(boxes) == 2 * steps + 1 + 2 * steps         # every value and every op
    else:
        assert 0 < len(boxes) <= 300                            # collapsed, then folded


def test_auto_draws_a_long_chain_with_the_folding_layout(monkeypatch):
    """Graphviz's dot cannot fold rows: engine="auto" uses it only for drawings that fit."""
    from autograd.viz import dot
    monkeypatch.setattr(dot, "find_dot", lambda: "/usr/bin/dot")      # as if installed
    assert draw_graph(chain(60)).engine == "builtin"
    assert draw_graph(chain(3)).engine == "graphviz"
    assert draw_graph(chain(60), engine="graphviz").engine == "graphviz"
