"""autograd.viz: what a drawing says (trace, labels, collapse, DOT text), and the `dot` engine.

Worked example throughout: micrograd's neuron o = tanh(x1*w1 + x2*w2 + b), whose numbers are
known by heart: o = 0.7071, do/dx1 = -1.5, do/dw1 = 1.0, do/dx2 = 0.5, do/dw2 = 0.0, do/db = 0.5.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from autograd import Tensor, Value, no_grad
from dot_helpers import fake_dot
from autograd.viz import GraphDrawing, GraphvizFailed, GraphvizNotFound, draw_graph
from autograd.viz import dot as dot_module
from autograd.viz.collapse import collapse
from autograd.viz.labels import heat, number, preview
from autograd.viz.scene import build_scene
from autograd.viz.trace import trace

REQUIRE_DOT_VAR = "GLASSGRAD_REQUIRE_DOT"    # "1" (CI): without Graphviz these tests fail
NO_DOT = "needs Graphviz's dot program: install Graphviz (apt-get install graphviz, " \
    "brew install graphviz)"


@pytest.fixture
def needs_dot():
    """Skip without Graphviz's `dot`, saying how to install it; fail instead when
    GLASSGRAD_REQUIRE_DOT=1, so that a machine that should have it cannot skip these quietly."""
    if shutil.which("dot") is None:
        if os.environ.get(REQUIRE_DOT_VAR) == "1":
            pytest.fail(f"{REQUIRE_DOT_VAR}=1 but this test {NO_DOT}", pytrace=False)
        pytest.skip(NO_DOT)
SVG = "{http://www.w3.org/2000/svg}"


def neuron(label_b: str = "b") -> tuple[Value, list[Value]]:
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label=label_b)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    return o, [x1, w1, x2, w2, b]


def node_lines(source: str) -> dict[str, str]:
    """DOT node statements by id: {"n0": 'shape=record, label="..."', ...}."""
    return dict(re.findall(r"^  ((?:n|op|g)\d+) \[(.*)\];$", source, flags=re.M))


def edge_pairs(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^  (\w+) -> (\w+);$", source, flags=re.M)


@pytest.fixture
def no_dot(monkeypatch):
    """Pretend Graphviz is not installed (the lookup is the only place that asks)."""
    monkeypatch.setattr(dot_module, "find_dot", lambda: None)


# ----------------------------------------------------------------------------------------------
# Trace and labels
# ----------------------------------------------------------------------------------------------

def test_trace_lists_inputs_before_results_and_keeps_repeated_inputs():
    x = Value(3.0, label="x")
    y = x * x + x
    walked = trace(y)
    assert [n.label or n.op for n in walked.nodes] == ["x", "mul", "add"]
    assert walked.inputs == [(), (0, 0), (1, 0)]
    assert walked.depths() == [0, 1, 2]
    assert walked.consumers() == [[1, 1, 2], [2], []]


def test_trace_refuses_what_is_not_a_node():
    with pytest.raises(TypeError, match="draw_graph: expected a Value or a Tensor, got float"):
        draw_graph(1.5)


def test_numbers_read_like_micrograd_and_keep_tiny_gradients_visible():
    assert [number(v) for v in (2.0, -1.5, 0.70710678, 1e-9, -2.5e7, float("inf"))] == [
        "2.0000", "-1.5000", "0.7071", "1.0000e-09", "-2.5000e+07", "inf"]
    assert preview(np.arange(6).reshape(2, 3), 4) == "[0, 1, 2, 3, …]"
    assert preview(np.array([True, False]), 4) == "[True, False]"
    assert preview(np.array(2.5, dtype=np.float32), 4) == "2.5"


# ----------------------------------------------------------------------------------------------
# DOT text: nodes, edges, labels, numbers
# ----------------------------------------------------------------------------------------------

def test_dot_source_of_the_neuron_has_every_value_gradient_and_op():
    o, (x1, w1, x2, w2, b) = neuron()
    assert round(o.data, 4) == 0.7071
    source = draw_graph(o, engine="builtin").source
    nodes = node_lines(source)
    records = {k: v for k, v in nodes.items() if "shape=record" in v}
    ops = {k: v for k, v in nodes.items() if "shape=ellipse" in v}
    assert len(records) == 10 and len(ops) == 5              # 5 leaves + 5 results, 5 ops
    # the walk visits x1, w1, their product, x2, w2, ... so the ids are fixed
    assert 'label="{x1|data 2.0000|grad -1.5000}"' in records["n0"]
    assert 'label="{w1|data -3.0000|grad 1.0000}"' in records["n1"]
    assert 'label="{x2|data 0.0000|grad 0.5000}"' in records["n3"]
    assert 'label="{w2|data 1.0000|grad 0.0000}"' in records["n4"]
    assert 'label="{b|data 6.8814|grad 0.5000}"' in records["n7"]
    assert 'label="{data 0.7071|grad 1.0000}"' in records["n9"]
    assert [re.search(r'label="([^"]*)"', ops[k]).group(1) for k in sorted(ops)] == [
        "*", "*", "+", "+", "tanh"]
    edges = edge_pairs(source)
    assert len(edges) == 14                                  # 9 inputs + 5 op → result
    assert ("n0", "op2") in edges and ("n1", "op2") in edges and ("op2", "n2") in edges
    assert ("n8", "op9") in edges and ("op9", "n9") in edges


def test_sin_and_cos_are_drawn_by_name():
    x = Value(1.3, label="x")
    y = x.sin() * x.cos()
    y.backward()
    source = draw_graph(y, engine="builtin").source
    ops = [re.search(r'label="([^"]*)"', line).group(1)
           for line in node_lines(source).values() if "shape=ellipse" in line]
    assert sorted(ops) == ["*", "cos", "sin"]
    assert f'label="{{x|data 1.3000|grad {np.cos(2.6):.4f}}}"' in source


def test_dot_ids_are_positions_in_the_walk_not_object_ids():
    first, second = neuron()[0], neuron()[0]
    assert draw_graph(first, engine="builtin").source == draw_graph(second, engine="builtin").source


def test_no_grad_option_leaves_gradients_out():
    o, _ = neuron()
    source = draw_graph(o, show_grad=False, engine="builtin").source
    assert "|grad" not in source
    assert 'label="{x1|data 2.0000}"' in source


def test_constants_are_dashed_and_show_no_gradient_and_folded_numbers_label_the_op():
    x = Value(2.5, label="x")
    y = 3.0 - x * 2 + x ** 2 + 2 ** x     # 3.0 becomes a constant node; * 2, ** 2 and 2 ** keep
    y.backward()                            # their numbers
    nodes = node_lines(draw_graph(y, engine="builtin").source)
    constant = [v for v in nodes.values() if "data 3.0000" in v]
    assert len(constant) == 1 and "dashed" in constant[0] and "grad" not in constant[0]
    op_labels = sorted(re.search(r'label="([^"]*)"', v).group(1)
                       for v in nodes.values() if "ellipse" in v)
    assert op_labels == ["* 2", "** 2", "+", "+", "-", "2 **"]


def test_a_tensors_folded_numbers_label_the_op_as_written():
    """x * 0.5 on a float32 tensor keeps 0.5 as a float32 in the op: the box says "* 0.5" (not
    "* 0.5000", nor a "*" beside a constant node), and the number comes first in 3 - x."""
    x = Tensor([2.5, -1.0], requires_grad=True, label="x")
    y = (3.0 - x * 0.5 + x / 4 - 0.1 + 2 / x).sum()
    nodes = node_lines(draw_graph(y, engine="builtin").source)
    op_labels = sorted(re.search(r'label="([^"]*)"', v).group(1)
                       for v in nodes.values() if "ellipse" in v)
    assert op_labels == ["* 0.5", "+", "+", "- 0.1", "/ 4", "2 /", "3 -", "sum"]
    assert len(nodes) == 2 * 8 + 1                      # x, and a box and an op per result


def test_rankdir_turns_the_records_so_fields_stay_side_by_side():
    o, _ = neuron()
    lr = draw_graph(o, engine="builtin").source
    tb = draw_graph(o, rankdir="TB", engine="builtin").source
    assert "rankdir=LR" in lr and 'label="{x1|data 2.0000|grad -1.5000}"' in lr
    assert "rankdir=TB" in tb and 'label="x1|data 2.0000|grad -1.5000"' in tb


def test_tensor_nodes_show_shape_dtype_preview_and_gradient_norm():
    W = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 10, requires_grad=True, label="W")
    x = Tensor([[1.0, -2.0]], label="x")
    y = (x @ W).tanh().sum()
    y.backward()
    nodes = node_lines(draw_graph(y, engine="builtin").source)
    norm = number(np.linalg.norm(W.grad.astype(np.float64)))
    # a tensor's fields are stacked: no braces in a left-to-right drawing
    assert nodes["n0"].startswith('shape=record, label="x|(1, 2) float32|[1, -2]"')
    assert "dashed" in nodes["n0"]                             # no grad wanted: a constant
    assert f'label="W|(2, 3) float32|[0, 0.1, 0.2, 0.3, …]|‖grad‖ {norm}"' in nodes["n1"]
    assert 'label="matmul"' in nodes["op2"] and 'label="sum"' in nodes["op4"]
    assert 'label="() float32|-1.81|grad 1.0000"' in nodes["n4"]     # one number: signed
    no_preview = node_lines(draw_graph(y, preview=0, engine="builtin").source)
    assert "[" not in no_preview["n1"].split("fillcolor")[0]


def test_a_one_number_tensor_shows_its_gradient_with_its_sign():
    """Notebook 2's line fit: dJ/db = −3.5 says which way b moves; its norm, 3.5, did not
    (and the step pages' equations wrote −3.5 beside a box that said 3.5)."""
    x = np.array([0.5, -1.0, 2.0])
    y = np.array([1.0, 3.0, -1.0])
    w = Tensor(0.5, requires_grad=True, label="w", dtype=np.float64)
    b = Tensor([-1.0], requires_grad=True, label="b", dtype=np.float64)    # (1,): one number
    J = ((w * x + b - y) ** 2).mean()
    J.backward()
    assert float(w.grad) == pytest.approx(3.75) and float(b.grad[0]) == pytest.approx(-3.5)
    nodes = node_lines(draw_graph(J, engine="builtin").source)
    assert 'label="w|() float64|0.5|grad 3.7500"' in nodes["n0"]
    assert 'label="b|(1,) float64|[-1]|grad -3.5000"' in nodes["n3"]
    assert "‖grad‖ 3.2872" in draw_graph(J, engine="builtin").source     # (3,): its norm


def test_tensor_without_backward_shows_grad_none():
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    y = W * 2.0
    assert "grad None" in draw_graph(y, engine="builtin").source


def test_graph_built_without_grad_is_a_single_constant():
    with no_grad():
        y = Value(2.0, label="x") * 3
    source = draw_graph(y, engine="builtin").source
    assert list(node_lines(source)) == ["n0"] and "dashed" in source


# ----------------------------------------------------------------------------------------------
# Escaping
# ----------------------------------------------------------------------------------------------

HOSTILE = 'b <script>alert("x")</script> & {a|b} \\N'


def test_dot_escapes_record_syntax_and_quotes():
    o, _ = neuron(HOSTILE)
    line = node_lines(draw_graph(o, engine="builtin").source)["n7"]
    assert line.startswith('shape=record, label="{b \\<script\\>alert(\\"x\\")\\</script\\> &amp; '
                           '\\{a\\|b\\} \\\\N|data 6.8814|grad 0.5000}"')


def test_labels_lose_control_characters_and_stay_short():
    x = Value(1.0, label="line\none\x00" + "z" * 80)
    line = node_lines(draw_graph(x * 2, engine="builtin").source)["n0"]
    label = re.search(r'label="\{(.*?)\|', line).group(1)
    assert label.startswith("line one\N{REPLACEMENT CHARACTER}zz") and label.endswith("…")
    assert len(label) == 40


# ----------------------------------------------------------------------------------------------
# Collapsing large graphs
# ----------------------------------------------------------------------------------------------

def chain_of_neurons(n: int = 20) -> Value:
    """sum_i tanh(w_i * x_i): 2n leaves, n mul, n tanh, n adds (a chain) = 5n nodes."""
    ws = [Value(0.1 * i, label=f"w{i}") for i in range(n)]
    xs = [Value(1.0 - 0.05 * i, label=f"x{i}") for i in range(n)]
    out = sum((w * x).tanh() for w, x in zip(ws, xs))
    out.backward()
    return out


def group_titles(scene) -> list[str]:
    return [box.fields[0] for box in scene.boxes]


def test_collapse_groups_same_op_at_same_depth():
    root = chain_of_neurons(20)
    assert len(trace(root).nodes) == 100
    scene = build_scene(root, max_nodes=50)
    titles = group_titles(scene)
    # leaves, the 20 products and the 20 tanh share a depth each; the adds form a chain
    assert len(scene.boxes) == 23
    assert titles[:3] == ["40 leaves: w0, x0, w1, …", "20 × mul", "20 × tanh"]
    assert titles[3:] == ["1 × add"] * 20
    assert len(scene.edges) == 1 + 1 + 20 + 19
    assert "Collapsed: 100 nodes drawn as 23 boxes (max_nodes=50)" in scene.caption
    assert "at the same depth" in scene.caption
    # products 0.1i (1 - 0.05i): 0 at i = 0, largest 0.5 at i = 10; their gradients
    # 1 - tanh(product)^2 run from 1 - tanh(0.5)^2 = 0.786 to 1
    assert scene.boxes[1].fields[1:] == ("data 0 … 0.5", "grad 0.786 … 1")


def test_collapse_merges_depths_into_bands_until_it_fits():
    root = chain_of_neurons(20)
    scene = build_scene(root, max_nodes=10)
    titles = group_titles(scene)
    # bands of 4 levels: leaves, mul, tanh and the first add in band 0; then 5 bands of adds
    assert len(scene.boxes) == 9
    assert sorted(titles[3:]) == ["1 × add", "3 × add", "4 × add", "4 × add", "4 × add",
                                  "4 × add"]
    assert "within the same 4 levels of depth" in scene.caption


def test_collapse_never_exceeds_max_nodes_and_keeps_every_node_once():
    root = chain_of_neurons(12)
    walked = trace(root)
    for max_nodes in (1, 2, 3, 5, 8, 13, 21, 59, 60):
        result = collapse(walked, max_nodes)
        assert 1 <= len(result.groups) <= max_nodes
        members = sorted(i for g in result.groups for i in g.members)
        assert members == list(range(len(walked.nodes)))
        for a, b in result.edges:
            assert a != b
    assert len(build_scene(root, max_nodes=60).boxes) == 60 + 36     # not collapsed: 60 + ops


def test_collapsed_tensor_groups_show_shape_and_largest_gradient_norm():
    rng = np.random.default_rng(0)
    xs = [Tensor(rng.normal(size=(3,)), requires_grad=True) for _ in range(8)]
    out = sum((x * x).sum() for x in xs)
    out.backward()
    scene = build_scene(out, max_nodes=6)
    fields = {box.fields[0]: box.fields for box in scene.boxes}
    largest = max(np.linalg.norm(x.grad) for x in xs)
    assert fields["8 leaves"] == ("8 leaves", "(3,) float64", f"max ‖grad‖ {number(largest)}")
    assert fields["8 × mul"][1] == "(3,) float64"


def test_collapsed_groups_show_a_nan_wherever_it_stands():
    xs = [Value(float(i), label=f"x{i}") for i in range(8)]
    xs[3].data = float("nan")                   # min() and max() of [0, 1, 2, nan, ...] skip it
    out = sum(x * 2 for x in xs)
    out.backward()
    fields = {box.fields[0].split(":")[0]: box.fields for box in build_scene(out, max_nodes=6).boxes}
    assert fields["8 leaves"][1] == "data 0 … 7 (+1 nan)"
    assert fields["8 × mul"][1] == "data 0 … 14 (+1 nan)"
    ts = [Tensor(np.ones(3), requires_grad=True) for _ in range(8)]
    out = sum((t * t).sum() for t in ts)
    out.backward()
    ts[3].grad[0] = np.nan                      # one norm among eight is nan
    fields = {box.fields[0]: box.fields for box in build_scene(out, max_nodes=6).boxes}
    assert fields["8 leaves"][2] == "max ‖grad‖ nan"


def test_draw_graph_collapses_above_max_nodes_and_says_so():
    root = chain_of_neurons(20)
    drawing = draw_graph(root, max_nodes=50, engine="builtin")
    assert drawing.caption.startswith("Collapsed: 100 nodes")
    assert 'label="Collapsed: 100 nodes' in drawing.source
    assert draw_graph(root, max_nodes=None, engine="builtin").caption == ""


# ----------------------------------------------------------------------------------------------
# Gradient colouring
# ----------------------------------------------------------------------------------------------

def test_color_grad_shades_by_gradient_relative_to_the_largest():
    o, _ = neuron()
    scene = build_scene(o, color_grad=True)
    fills = {box.fields[0]: box.fill for box in scene.boxes if box.kind == "record"}
    assert fills["x1"] == "#e86a4a"                      # |grad| 1.5 is the largest
    assert fills["w2"] == "#ffffff"                      # grad 0: white
    assert fills["b"] == "#f7cdc3"       # a third of the way: 255 - (23, 149, 181) / 3
    assert "from white (0) to red (1.5000)" in scene.caption


def test_color_grad_shades_a_collapsed_group_with_a_nan_gradient_hot():
    xs = [Value(float(i)) for i in range(8)]
    out = sum(x * 2 for x in xs)
    out.backward()
    for x in xs:
        x.grad = 0.0
    xs[3].grad = float("nan")                   # the others' 0 must not hide it
    leaves = next(box for box in build_scene(out, max_nodes=6, color_grad=True).boxes
                  if box.fields[0] == "8 leaves")
    assert leaves.fill == heat(1.0)


def test_color_grad_before_backward_says_there_is_nothing_to_show():
    x = Value(2.0)
    scene = build_scene(x * x, color_grad=True)
    assert {box.fill for box in scene.boxes if box.kind == "record"} == {"#ffffff"}
    assert "run backward first" in scene.caption


# ----------------------------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------------------------

def test_a_model_or_a_list_of_outputs_is_told_what_to_draw_instead():
    from autograd.viz import draw_backprop
    from nn.scalar import MLP

    model = MLP(2, [3, 2])
    outs = model([Value(1.0), Value(2.0)])               # a layer of two neurons: a list
    with pytest.raises(TypeError, match=r"got list of them \(a layer's outputs\?\): draw "
                                        r"one, draw_graph\(outs\[0\]\)"):
        draw_graph(outs)
    with pytest.raises(TypeError, match=r"got MLP \(a model\): draw what it computes, "
                                        r"draw_backprop\(model\(x\)\) or draw_backprop\(loss\)"):
        draw_backprop(model)
    with pytest.raises(TypeError, match=r"^draw_graph: expected a Value or a Tensor, got float$"):
        draw_graph(1.5)


def test_a_value_whose_data_is_a_value_is_refused_not_drawn_as_a_number():
    """`p.data -= lr * p`: the drawing showed `data 0.9000` (the Value formatted as its number),
    hiding the mistake that backward() then reports."""
    p, x = Value(1.0, label="p"), Value(2.0, label="x")
    p.data -= 0.1 * p
    with pytest.raises(TypeError, match=r"^draw_graph: this Value's \.data is a Value, not a "
                                        r"number"):
        draw_graph(p * x + 1, engine="builtin")


@pytest.mark.parametrize("kwargs, message", [
    ({"rankdir": "XY"}, "rankdir must be one of"),
    ({"format": "jpg"}, "format must be one of"),
    ({"engine": "cairo"}, "engine must be one of"),
    ({"max_nodes": 0}, "max_nodes must be a positive int or None, got 0"),
    ({"max_nodes": 2.5}, "max_nodes must be a positive int or None"),
    ({"preview": -1}, "preview must be an int >= 0"),
])
def test_bad_arguments_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=f"draw_graph: {message}"):
        draw_graph(Value(1.0), **kwargs)


# ----------------------------------------------------------------------------------------------
# Engines: auto, builtin, graphviz; formats
# ----------------------------------------------------------------------------------------------

def test_auto_without_dot_falls_back_to_the_builtin_layout(no_dot, recwarn):
    o, _ = neuron()
    drawing = draw_graph(o)
    assert drawing.engine == "builtin"
    root = ET.fromstring(drawing.svg())
    assert root.tag == f"{SVG}svg"
    assert len(recwarn) == 0


@pytest.mark.parametrize("kwargs, needs", [
    ({"engine": "graphviz"}, 'engine="graphviz"'),
    ({"format": "png"}, 'format="png"'),
    ({"format": "pdf", "engine": "builtin"}, 'format="pdf"'),
])
def test_without_dot_graphviz_png_and_pdf_say_how_to_install_it(no_dot, kwargs, needs):
    with pytest.raises(GraphvizNotFound) as info:
        draw_graph(Value(1.0), **kwargs)
    message = str(info.value)
    assert needs in message
    for hint in ("apt install graphviz", "brew install graphviz", "conda install",
                 "winget install graphviz"):
        assert hint in message


def test_saving_png_without_dot_is_a_clear_error_and_writes_nothing(no_dot, tmp_path):
    drawing = draw_graph(Value(1.0, label="x") * 2)
    with pytest.raises(GraphvizNotFound, match=r"\.png needs Graphviz \(\.svg does not\)"):
        drawing.save(tmp_path / "g.png")
    assert list(tmp_path.iterdir()) == []


def test_auto_falls_back_with_a_warning_when_dot_fails(monkeypatch, tmp_path):
    fake_dot(tmp_path, monkeypatch, "echo 'Error: out of memory' >&2; exit 1")
    drawing = draw_graph(Value(2.0, label="x") * 3)
    assert drawing.engine == "graphviz"
    with pytest.warns(RuntimeWarning) as caught:
        svg = drawing.svg()
    assert str(caught[0].message) == ("draw_graph: Graphviz failed (dot failed to render svg "
                                      "(exit status 1): Error: out of memory); drawing with the "
                                      "built-in layout instead")      # draw_graph named once
    assert drawing.engine == "builtin" and 'class="node record"' in svg
    forced = draw_graph(Value(2.0, label="x") * 3, engine="graphviz")
    with pytest.raises(GraphvizFailed, match=r"^draw_graph: dot failed to render svg "
                                              r"\(exit status 1\): Error: out of memory$"):
        forced.svg()                                       # asked for dot: no silent fallback


def test_a_hung_dot_is_stopped_after_the_timeout(monkeypatch, tmp_path):
    """Without a limit, a `dot` that never finishes hung the notebook cell or command forever."""
    fake_dot(tmp_path, monkeypatch, "exec sleep 60")
    monkeypatch.setattr(dot_module, "DOT_TIMEOUT", 0.2)
    drawing = draw_graph(Value(2.0, label="x") * 3, format="png")       # 3 boxes: x, *, x*3
    started = time.perf_counter()
    with pytest.raises(GraphvizFailed) as info:
        drawing.data()
    assert time.perf_counter() - started < 30
    assert str(info.value) == ("draw_graph: dot did not finish rendering a graph of 3 nodes as "
                               "png within 0.2 s and was stopped; draw a smaller graph (a lower "
                               "max_nodes collapses more), use the built-in layout "
                               '(engine="builtin"; --engine builtin), or raise '
                               "autograd.viz.dot.DOT_TIMEOUT")


@pytest.mark.usefixtures("needs_dot")
def test_auto_uses_dot_when_it_is_installed():
    assert draw_graph(Value(1.0)).engine == "graphviz"


@pytest.mark.usefixtures("needs_dot")
def test_dot_engine_renders_every_node_as_svg():
    o, _ = neuron(HOSTILE)
    drawing = draw_graph(o, engine="graphviz")
    text = drawing.svg()
    root = ET.fromstring(text.encode("utf-8"))
    groups = root.iter(f"{SVG}g")
    nodes = [g for g in groups if g.get("class") == "node"]
    assert len(nodes) == 15
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert HOSTILE in texts                                 # shown as text, escaped in XML
    assert not list(root.iter(f"{SVG}script")) and "<script>" not in text
    assert "data 0.7071" in texts and "grad -1.5000" in texts


@pytest.mark.usefixtures("needs_dot")
def test_graphvizs_svg_says_what_it_computes_as_the_builtin_one_does():
    """Graphviz titles every graph "glassgrad" and writes no <desc>: a screen reader said
    nothing of what the picture shows (the built-in engine's SVG said it)."""
    o, _ = neuron(HOSTILE)
    by_dot = ET.fromstring(draw_graph(o, engine="graphviz").svg().encode("utf-8"))
    ours = ET.fromstring(draw_graph(o, engine="builtin").svg().encode("utf-8"))
    for tag in ("title", "desc"):
        said = by_dot.find(f"{SVG}{tag}")                  # the document's own, first
        assert said is not None and said.text == ours.find(f"{SVG}{tag}").text
    assert by_dot.find(f"{SVG}title").text.startswith("computation graph of ")
    assert HOSTILE in by_dot.find(f"{SVG}desc").text       # escaped, read back as written


@pytest.mark.usefixtures("needs_dot")
@pytest.mark.parametrize("engine", ["graphviz", "builtin"])
def test_a_label_that_looks_like_an_html_entity_is_drawn_as_written(engine):
    """Graphviz reads HTML entities in labels: "&lt; &amp; &#65;" was drawn "< & A" (the
    built-in layout drew it as written); & is written &amp; in the DOT text. Also in the
    caption of a collapsed drawing, which lists leaves' labels."""
    label = "R&D &lt; &amp; &#65;"
    x = Value(1.0, label=label)
    texts = [t.text for t in ET.fromstring(draw_graph((x * 2).tanh(), engine=engine)
                                           .svg().encode("utf-8")).iter(f"{SVG}text")]
    assert label in texts
    leaves = [Value(0.1 * i, label=f"&lt;{i}") for i in range(12)]
    total = sum((v * v for v in leaves), Value(0.0))
    caption = " ".join(t.text for t in ET.fromstring(draw_graph(
        total, engine=engine, max_nodes=10).svg().encode("utf-8")).iter(f"{SVG}text"))
    assert "&lt;0, &lt;1" in caption


@pytest.mark.usefixtures("needs_dot")
def test_dot_engine_saves_png_and_pdf(tmp_path):
    drawing = draw_graph(neuron()[0], engine="graphviz")
    assert drawing.save(tmp_path / "n.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawing.save(tmp_path / "n.PDF").read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.PDF", "n.png"]   # no temp files


def test_png_and_pdf_are_rendered_once_each(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(dot_module, "find_dot", lambda: "/usr/bin/dot")
    monkeypatch.setattr(dot_module, "render", lambda source, fmt, **_: calls.append(fmt) or b"%PDF-")
    drawing = draw_graph(Value(1.0, label="x") * 2, format="pdf")
    drawing.data()                                          # shown in Jupyter, then saved
    drawing.save(tmp_path / "g.pdf")
    assert calls == ["pdf"] and (tmp_path / "g.pdf").read_bytes() == b"%PDF-"


@pytest.mark.usefixtures("needs_dot")
def test_png_format_displays_as_png_in_jupyter():
    drawing = draw_graph(Value(1.0, label="x") * 2, format="png")
    bundle = drawing._repr_mimebundle_()
    assert bundle["image/png"][:4] == b"\x89PNG" and drawing._repr_svg_() is None


def test_jupyter_display_and_repr():
    drawing = draw_graph(neuron()[0], engine="builtin")
    assert isinstance(drawing, GraphDrawing)
    shown = drawing._repr_svg_()
    assert re.sub(r'(id="|url\(#)gg-[0-9a-f]{12}-', r"\1", shown) == drawing.svg()
    bundle = drawing._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg ")
    assert bundle["text/plain"] == "<GraphDrawing: 15 boxes, 14 edges, engine='builtin'>"


def test_a_drawing_too_big_for_a_notebook_is_shown_as_a_line_of_text(monkeypatch):
    """micrograd's demo loss on 100 moons points, drawn with max_nodes=None, made 615 MB of SVG
    that Jupyter was handed to show (and the .ipynb to keep); now it gets a line saying so."""
    from autograd.viz import draw as draw_module
    drawing = draw_graph(neuron()[0], engine="builtin")
    size = len(drawing.svg())                                   # about 8 kB
    monkeypatch.setattr(draw_module, "INLINE_LIMIT", size - 1)
    assert drawing._repr_svg_() is None
    assert drawing._repr_mimebundle_() == {"text/plain": (
        f"<GraphDrawing: 15 boxes, 14 edges, engine='builtin'>: {size / 1e6:,.0f} MB of SVG, "
        f"too big to show in a notebook; .save('graph.svg') writes it, or draw it collapsed "
        f"(max_nodes=300, the default)")}
    monkeypatch.setattr(draw_module, "INLINE_LIMIT", size)
    assert drawing._repr_svg_().startswith("<svg ")


def test_a_drawing_of_thousands_of_boxes_warns_before_laying_them_out(recwarn):
    """max_nodes=None on micrograd's demo loss (100 moons points) took 74 s and 4.5 GB without a
    word; the warning comes before the layout, with the option that helps."""
    x = Value(0.5, label="x")
    for _ in range(5000):                                       # 5,000 ops: 10,001 boxes
        x = x + 0.001
    with pytest.warns(RuntimeWarning) as caught:
        drawing = draw_graph(x, max_nodes=None, engine="builtin")
    assert str(caught[0].message) == (
        "draw_graph: 10,001 boxes (max_nodes=None) take seconds to minutes to lay out and tens "
        "to hundreds of MB of SVG, too big for a notebook to show; max_nodes=300 (the default) "
        "collapses the graph into at most 300 boxes")
    assert drawing._svg is None                                 # warned before the layout
    draw_graph(x, engine="builtin")                             # collapsed: no warning
    x = Value(0.5)
    for _ in range(4999):
        x = x + 0.001
    draw_graph(x, max_nodes=None, engine="builtin")             # 9,999 boxes: no warning
    assert len(recwarn) == 0


@pytest.mark.parametrize("engine", ["builtin", "graphviz"])
def test_drawings_shown_in_one_notebook_share_no_id(engine, request):
    if engine == "graphviz":
        request.getfixturevalue("needs_dot")
    x = Value(2.0, label="x")
    drawings = [draw_graph(neuron()[0], engine=engine), draw_graph(x * x + 1, engine=engine)]
    # a notebook, its HTML export and its slides hold every output in one page: a second
    # drawing's arrows would take the first one's arrowhead (and lose it if that one is hidden)
    first, second = drawings[0]._repr_svg_(), drawings[1]._repr_mimebundle_()["image/svg+xml"]
    ids = [re.findall(r' id="([^"]+)"', shown) for shown in (first, second)]
    assert ids[0] and ids[1] and not set(ids[0]) & set(ids[1])
    for shown, own in zip((first, second), ids):
        assert set(re.findall(r'url\(#([^)]+)\)', shown)) <= set(own)
    # the ids come from the drawing: a notebook run again stores the same output
    assert drawings[0]._repr_svg_() == first


def test_save_svg_is_atomic_and_checks_the_suffix(tmp_path):
    drawing = draw_graph(neuron()[0], engine="builtin")
    path = drawing.save(tmp_path / "neuron.svg")
    assert path.read_text(encoding="utf-8") == drawing.svg()
    reference = tmp_path / "reference"                       # an ordinary new file: the umask
    reference.write_bytes(b"")
    assert path.stat().st_mode == reference.stat().st_mode   # not private like mkstemp's 0600
    reference.unlink()
    drawing.save(path)                                       # overwrite in place
    assert [p.name for p in tmp_path.iterdir()] == ["neuron.svg"]
    with pytest.raises(ValueError, match=r"cannot tell the format from .*neuron\.jpg"):
        drawing.save(tmp_path / "neuron.jpg")
    with pytest.raises(ValueError, match="end the name with .svg, .png or .pdf"):
        drawing.save(tmp_path / "neuron")
    with pytest.raises(FileNotFoundError):
        drawing.save(tmp_path / "missing" / "neuron.svg")
    assert [p.name for p in tmp_path.iterdir()] == ["neuron.svg"]


def _chain(steps: int = 50) -> Value:
    """y = y * 1.01 + 0.01, 50 times: too long for one row, so the built-in layout folds it."""
    y = Value(1.0, label="x")
    for _ in range(steps):
        y = y * 1.01 + 0.01
    y.backward()
    return y


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_a_built_in_drawing_hands_graphviz_every_position_and_path():
    drawing = draw_graph(neuron()[0], engine="builtin")
    from autograd.viz.draw import _builtin_layout
    sizes, layout = _builtin_layout(drawing.scene)
    source = dot_module.to_dot(drawing.scene, (sizes, layout))
    nodes = node_lines(source)
    x, y = layout.centres[0]
    assert f'pos="{x:.2f},{layout.height - y:.2f}!"' in nodes["n0"]       # y points up there
    edges = [line for line in source.splitlines() if "->" in line]
    assert len(edges) == len(drawing.scene.edges)
    assert all(re.search(r'\[pos="e,[-\d.]+,[-\d.]+( [-\d.]+,[-\d.]+)+"\]', e) for e in edges)
    for line in edges:                               # a B-spline: 1 + 3k points after e,x,y
        assert (len(line.split('pos="')[1].split()) - 1) % 3 == 1


@pytest.mark.usefixtures("needs_dot")
def test_a_folded_chain_saved_as_png_or_pdf_is_folded_like_its_svg(tmp_path):
    """Graphviz laid the 50-step chain out in one row 32767 px long, shrunk to 33 px high;
    it now draws the built-in layout's rows."""
    drawing = draw_graph(_chain())
    assert drawing.engine == "builtin" and drawing.drawn_by("png") == \
        "builtin layout, drawn by graphviz" and drawing.drawn_by("svg") == "builtin"
    svg_root = ET.fromstring(drawing.svg().encode("utf-8"))
    svg_width, svg_height = float(svg_root.get("width")), float(svg_root.get("height"))
    width, height = _png_size(drawing.save(tmp_path / "chain.png").read_bytes())
    assert svg_height > 1000 and height > 1000                 # rows, as in the SVG (Graphviz
    assert width / height == pytest.approx(svg_width / svg_height, rel=0.05)   # draws at 96 dpi)
    assert drawing.save(tmp_path / "chain.pdf").read_bytes()[:5] == b"%PDF-"
    assert draw_graph(neuron()[0]).drawn_by("png") == "graphviz"


def _l2_term(weights: int) -> Value:
    """An L2 penalty, sum(w * w): collapsed, one box of squares sends an arrow to every link of
    the running sum, arrows that skip up to `weights` layers."""
    ws = [Value(0.01 * i, label=f"w{i}") for i in range(weights)]
    total = sum(w * w for w in ws)
    total.backward()
    return total


def test_a_long_arrow_of_a_folded_drawing_reaches_graphviz_in_pieces():
    """The path of an arrow from the first row of a folded drawing to the last was one quoted
    string of more than 16,384 characters, which Graphviz refuses: saving micrograd's demo
    loss (10 moons points) or an L2 term of 200 weights as .png failed with a syntax error."""
    drawing = draw_graph(_l2_term(200), engine="builtin")
    from autograd.viz.draw import _builtin_layout
    source = dot_module.to_dot(drawing.scene, _builtin_layout(drawing.scene))
    assert max(len(text) for text in re.findall(r'"[^"]*"', source)) <= 16384
    longest = max((line for line in source.splitlines() if "->" in line), key=len)
    assert len(longest) > 16384 and '" + "' in longest         # cut into pieces, at spaces
    path = "".join(re.findall(r'"([^"]*)"', longest.split("pos=")[1]))
    assert re.fullmatch(r"e,[-\d.]+,[-\d.]+( [-\d.]+,[-\d.]+)+", path)    # whole again


@pytest.mark.usefixtures("needs_dot")
def test_a_folded_drawing_with_long_arrows_saves_as_png_and_pdf(tmp_path):
    drawing = draw_graph(_l2_term(200))
    assert drawing.engine == "builtin"
    assert drawing.save(tmp_path / "l2.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawing.save(tmp_path / "l2.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.usefixtures("needs_dot")
def test_graphviz_lays_out_arrows_that_skip_many_layers_in_seconds(monkeypatch):
    """`dot` placed the boxes of an L2 term of 120 weights (122 boxes, 240 arrows) for more
    than a minute, then was stopped; with its placement bounded (dot.NSLIMIT), about a second."""
    monkeypatch.setattr(dot_module, "DOT_TIMEOUT", 20.0)
    drawing = draw_graph(_l2_term(120), engine="graphviz")
    assert len(drawing.scene.boxes) == 122
    text = drawing.svg()                                   # GraphvizFailed after 20 s before
    assert drawing.engine == "graphviz" and text.count('class="node"') == 122


def test_on_windows_dot_is_found_where_graphviz_installs_it(monkeypatch, tmp_path):
    """Graphviz's Windows installer (and winget's) does not add dot.exe to PATH by default:
    drawing a PNG said Graphviz was missing right after installing it."""
    import shutil
    program = tmp_path / "Graphviz" / "bin" / "dot.exe"
    program.parent.mkdir(parents=True)
    program.write_bytes(b"")
    monkeypatch.setattr(dot_module, "_WINDOWS", True)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("ProgramFiles", str(tmp_path))
    monkeypatch.delenv("ProgramFiles(x86)", raising=False)
    assert dot_module.find_dot() == str(program)
    program.unlink()
    assert dot_module.find_dot() is None
