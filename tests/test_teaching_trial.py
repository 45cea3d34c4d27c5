"""A user trial: a teacher prepares a lecture on backpropagation with the see-through tools.

The lecture's graphs, written as the lecture and PyTorch's tutorials write them (`import
autograd as torch`, `import nn`, `from nn import functional as F`): micrograd's neuron with
labelled Values, the scalar MLP's loss on four examples, a Tensor MLP's training step
(`label_parameters`, cross-entropy, SGD) and one attention head (key, query, value, the causal
mask, softmax). Each is drawn (`draw_graph` with the built-in layout and with Graphviz, SVG and
PNG, micrograd's `draw_dot(root, rankdir=...)`) and walked (`draw_backprop`): the numbers the
drawings and the page show are checked against a separate `backward()` of the same graph, and
the Tensor graphs' gradients against PyTorch where it is installed.

In a real browser (headless Chromium, as tests/test_backprop_browser.py; needs chromium,
chromium-driver and selenium, required with GLASSGRAD_REQUIRE_BROWSER=1): no box text outside
its box or crossed by a separator, no two boxes overlapping, nothing outside the picture, for
graphs of 5 to 200 nodes in the four directions and both engines; the step-through pages walked
with the arrow keys, each step's counter, equations and gradient texts as recorded, the last
step's gradients those of `backward()`, no JavaScript error.

What the trial found and fixed: a graph drawn after an optimizer step (or micrograd's
`p.data -= lr * p.grad`) showed the new weights beside results computed from the old ones, with
no word; now the drawing says so in its caption and warns, and `draw_backprop` refuses a Tensor
graph changed in place before anything runs (it failed halfway, under backward's name, after
warning about held gradients). Graphviz drew a long caption on one line (a narrow top-to-bottom
drawing became as wide as the caption); micrograd's `draw_dot` had no counterpart; `glassgrad
graph "(x).tanh"` and `"x.data"` now say what to write.
"""

from __future__ import annotations

import math
import random
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd as torch
import nn
import nn.optim as optim
from autograd import Value, draw_backprop, draw_dot, draw_graph
from autograd.viz.dot import to_dot
from autograd.viz.scene import build_scene
from autograd.viz.svg import CAPTION_CHARS
from autograd.viz.trace import trace
from nn import functional as F
from nn.scalar import MLP

import test_backprop_browser
import test_viz_dot
from cli_helpers import run
from neuron_helpers import neuron_with_leaves
from test_backprop_browser import _driver, js_errors
from torch_helpers import needs_torch
from torch_helpers import torch as pytorch

browser_ready = test_backprop_browser.browser_ready     # the fixtures: skip, or fail in CI
needs_dot = test_viz_dot.needs_dot

SVG = "{http://www.w3.org/2000/svg}"


# -- the lecture's graphs ------------------------------------------------------------------------

def lecture_mlp_loss() -> Value:
    """micrograd's lecture: MLP(3, [4, 4, 1]) and the squared error on its four examples."""
    random.seed(1337)
    model = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    return sum((model(x) - y) ** 2 for x, y in zip(xs, ys))


def tensor_mlp(lib=torch, nn=nn, F=F):
    """A training step's loss, written once for glassgrad and PyTorch (same seed: same
    weights, given to PyTorch by `copy_weights`)."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    X = lib.tensor(rng.normal(size=(16, 2)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 3, 16))
    return model, X, y, lambda: F.cross_entropy(model(X), y)


def head_class(lib, nn, F):
    """One self-attention head, as the GPT lecture writes it, for either library."""
    class Head(nn.Module):
        def __init__(self, n_embd: int, head_size: int, block_size: int) -> None:
            super().__init__()
            self.key = nn.Linear(n_embd, head_size, bias=False)
            self.query = nn.Linear(n_embd, head_size, bias=False)
            self.value = nn.Linear(n_embd, head_size, bias=False)
            self.register_buffer("tril", lib.tril(lib.ones(block_size, block_size)))

        def forward(self, x):
            B, T, C = x.shape
            k, q = self.key(x), self.query(x)
            wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
            wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
            wei = F.softmax(wei, dim=-1)
            return wei @ self.value(x)
    return Head


def attention(lib=torch, nn=nn, F=F):
    torch.manual_seed(0)
    head = head_class(lib, nn, F)(8, 4, 4)
    x = lib.tensor(np.random.default_rng(1).normal(size=(2, 4, 8)).astype(np.float32))
    return head, x, lambda: head(x).pow(2).mean()


def copy_weights(ours: nn.Module, theirs) -> None:
    for (name, p), (their_name, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == their_name
        q.data = pytorch.tensor(p.data.copy())


def value_graph(ops: int, seed: int) -> Value:
    """A random scalar graph with the labels a lecture uses (subscripts, long names, symbols)."""
    r = random.Random(seed)
    names = ["x", "w", "bias_of_the_hidden_unit", "θ₁", "a<b>&c", "L"]
    pool = [Value(r.uniform(-2, 2), label=f"{r.choice(names)}{i}") for i in range(4)]
    for _ in range(ops):
        a, b = r.choice(pool), r.choice(pool)
        pool.append(r.choice([lambda: a + b, lambda: a * b, lambda: a.tanh(),
                              lambda: (a * 0.1).exp(), lambda: a ** 2, lambda: a - b,
                              lambda: a / (b * b + 1), lambda: a.relu(),
                              lambda: a * 3.5 + 1e-7])())
    return sum(pool[4:])                                        # every result used


# -- what the drawings show, read from the SVG --------------------------------------------------

def four(x: float) -> str:
    """A number as the drawings write it (micrograd's four decimals; an exponent where those
    would hide it or run long; 0 unsigned)."""
    x = float(x)
    if x == 0:
        return "0.0000"
    return f"{x:.4f}" if 1e-3 <= abs(x) < 1e6 else f"{x:.4e}"


def box_texts(svg: str) -> dict[str, list[str]]:
    """Each box's texts by its id (n3, op3, g3), padding removed."""
    root = ET.fromstring(svg)
    return {g.get("id").rsplit("-", 1)[-1]: [t.text.replace("\xa0", " ").strip()
                                             for t in g.iter(f"{SVG}text")]
            for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "")}


def test_the_neuron_drawing_shows_backwards_numbers_in_both_engines_and_draw_dot_is_it():
    o, leaves = neuron_with_leaves()
    o.backward()
    drawing = draw_graph(o, rankdir="LR", engine="builtin")
    texts = box_texts(drawing.svg())
    for i, node in enumerate(trace(o).nodes):
        expected = [f"data {four(node.data)}", f"grad {four(node.grad)}"]
        assert texts[f"n{i}"][-2:] == expected, (i, texts[f"n{i}"])
    assert texts["n0"][0] == "x1" and texts["n9"][0] == "o"
    assert [texts[f"n{i}"][-1] for i in (0, 1, 7)] == ["grad -1.5000", "grad 1.0000",
                                                       "grad 0.5000"]
    # micrograd's draw_dot(root, format='svg', rankdir='LR'), positional too
    assert draw_dot(o).source == draw_graph(o, rankdir="LR").source
    assert draw_dot(o, "svg", "TB").source == draw_graph(o, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_dot(o, rankdir="lr")


@pytest.mark.usefixtures("needs_dot")
@pytest.mark.parametrize("engine", ["builtin", "graphviz"])
def test_every_lecture_graph_renders_to_svg_and_png(engine, tmp_path):
    graphs = {"neuron": neuron_with_leaves()[0], "mlp": lecture_mlp_loss(),
              "tensor": tensor_mlp()[3](), "head": attention()[2]()}
    for name, root in graphs.items():
        root.backward()
        for rankdir in ("LR", "TB"):
            drawing = draw_graph(root, rankdir=rankdir, engine=engine)
            assert drawing.engine == engine
            svg = drawing.save(tmp_path / f"{name}_{rankdir}.svg").read_text()
            ET.fromstring(svg)                                   # well-formed
            png = drawing.save(tmp_path / f"{name}_{rankdir}.png").read_bytes()
            assert png.startswith(b"\x89PNG"), (name, rankdir)


def test_the_lecture_mlp_is_collapsed_by_default_and_whole_on_request():
    loss = lecture_mlp_loss()
    loss.backward()
    nodes = trace(loss).nodes
    assert len(nodes) == 341
    collapsed = draw_graph(loss, engine="builtin")
    assert len(collapsed.scene.boxes) <= 300 and collapsed.caption.startswith(
        "Collapsed: 341 nodes")
    whole = box_texts(draw_graph(loss, engine="builtin", max_nodes=None).svg())
    for i, node in enumerate(nodes):
        assert f"data {four(node.data)}" in whole[f"n{i}"]
        if node.requires_grad:
            assert whole[f"n{i}"][-1] == f"grad {four(node.grad)}"


# -- the step-through walks give backward's gradients ------------------------------------------

def test_the_walks_of_the_lecture_graphs_leave_what_backward_leaves():
    for build in (lambda: neuron_with_leaves()[0], lecture_mlp_loss,
                  lambda: value_graph(60, 1)):
        walked, reference = build(), build()
        walk = draw_backprop(walked)
        reference.backward()
        pairs = list(zip(trace(walked).nodes, trace(reference).nodes))
        assert all(a.grad == b.grad for a, b in pairs)          # to the bit, every node
        assert sum(a.grad != 0 for a, _ in pairs) >= 5 and len(walk.steps) >= 6


def test_the_tensor_mlp_step_walk_names_the_weights_and_gives_backwards_gradients():
    model, X, y, loss_of = tensor_mlp()
    model.label_parameters()
    X.label = "X"
    walk = draw_backprop(loss_of())
    walked = [p.grad.copy() for p in model.parameters()]
    text = "\n".join(line for step in walk.steps for line in step.lines())
    assert "#1 = X @ 0.weightᵀ + 0.bias" in text and "2.weight gets" in text
    assert "X is a constant: it wants no gradient" in text
    model.zero_grad()
    loss_of().backward()
    for got, p in zip(walked, model.parameters()):
        np.testing.assert_array_equal(got, p.grad)
    optim.SGD(model.parameters(), lr=0.1).step()               # the step the lecture takes
    model.zero_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                         # a fresh graph: nothing to say
        assert draw_graph(loss_of(), engine="builtin").caption == ""


def test_the_attention_head_walk_names_key_query_value():
    head, x, loss_of = attention()
    head.label_parameters()
    x.label = "x"
    out = loss_of()
    walk = draw_backprop(out)
    lines = [line for step in walk.steps for line in step.lines()]
    assert any(line.startswith("at #") and "softmax(" in line and "along axis 2" in line
               for line in lines)
    assert any("where(the mask" in line for line in lines)
    for name in ("key", "query", "value"):
        assert any(line.startswith(f"{name}.weight gets") for line in lines), name
    walked = {name: p.grad.copy() for name, p in head.named_parameters()}
    head.zero_grad()
    loss_of().backward()
    for name, p in head.named_parameters():
        np.testing.assert_array_equal(walked[name], p.grad)


def test_a_walk_from_a_given_gradient_calls_what_arrives_dL_not_d_out():
    """out.backward(torch.ones_like(out)) on the head's output, step by step: what arrived was
    written "d#7/d#7" (which reads as 1) and "d#7/d#6" (a Jacobian for a tensor #7), where it
    is the gradient of a result the output feeds into."""
    q, k, v = (torch.randn(1, 2, 4, 3, requires_grad=True) for _ in range(3))
    q.label, k.label, v.label = "q", "k", "v"
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    out.label = "out"
    lines = [line for step in draw_backprop(out, torch.ones_like(out)).steps
             for line in step.lines()]
    assert lines[0].startswith("start at the output out with the gradient given to it as "
                               "dL/dout (L: a result that out feeds into): a (1, 2, 4, 3)")
    assert lines[2] == "#6 gets (dL/dout) @ vᵀ = a (1, 2, 4, 4) array of norm " + \
        four(np.linalg.norm(np.ones((1, 2, 4, 3), np.float32) @ np.swapaxes(v.data, -1, -2)))
    assert not any("dout/d" in line for line in lines)
    assert any("((dL/d#6) − Σ (dL/d#6)*#6)" in line for line in lines)


@needs_torch
def test_the_tensor_graphs_gradients_are_pytorchs():
    for ours, theirs in ((tensor_mlp(), tensor_mlp(pytorch, pytorch.nn,
                                                   pytorch.nn.functional)),
                         (attention(), attention(pytorch, pytorch.nn, pytorch.nn.functional))):
        copy_weights(ours[0], theirs[0])
        draw_backprop(ours[-1]())
        loss = theirs[-1]()
        loss.backward()
        assert abs(float(ours[-1]().data) - loss.item()) < 1e-6
        for p, q in zip(ours[0].parameters(), theirs[0].parameters()):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_a_graph_too_big_to_step_through_is_refused_at_once_with_what_to_do():
    y = Value(0.5, label="x")
    for _ in range(1200):
        y = (y * 0.999).tanh()
    with pytest.raises(ValueError, match=r"2,400 ops.*draw_graph for this one, or pass "
                                         r"max_steps=None"):
        draw_backprop(y)
    assert trace(y).nodes[0].grad == 0.0                        # nothing ran
    drawing = draw_graph(y)                                     # the drawing collapses it
    assert len(drawing.scene.boxes) <= 300 and "Collapsed: 2,401 nodes" in drawing.caption


# -- drawn after the update: the numbers no longer add up ---------------------------------------

def test_a_tensor_graph_drawn_after_the_optimizer_step_says_so_and_is_not_walked():
    model, X, y, loss_of = tensor_mlp()
    model.label_parameters()
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    loss = loss_of()
    loss.backward()
    optimizer.step()                                            # the lecture draws too late
    with pytest.warns(UserWarning, match=r"draw_graph: Out of date: 2 ops .*0\.weight, "
                                         r"0\.bias, 2\.weight, 2\.bias: changed in place"):
        drawing = draw_graph(loss, engine="builtin")
    assert drawing.caption.startswith("Out of date")
    assert "Out of date" in drawing.svg() and "Out of date" in drawing.source
    held = [p.grad.copy() for p in model.parameters()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # refused first: no warning about the held grads
        with pytest.raises(RuntimeError, match=r"^draw_backprop: backward of linear: its "
                                               r"input 1 .* was changed in place"):
            draw_backprop(loss)
    for before, p in zip(held, model.parameters()):
        np.testing.assert_array_equal(before, p.grad)           # nothing ran


def test_a_value_graph_drawn_after_micrograds_update_says_so():
    random.seed(1337)
    model = MLP(3, [4, 4, 1])
    xs, ys = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5]], [1.0, -1.0]
    for _ in range(3):                                          # the lecture's training loop
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data += -0.05 * p.grad
    with pytest.warns(UserWarning, match=r"Out of date: 18 ops were computed before an input "
                                         r"changed \(among their inputs: 11 unlabelled nodes: "
                                         r"changed after the forward pass, by p\.data -= lr \* "
                                         r"p\.grad\?\)"):
        draw_graph(loss, engine="builtin")
    model.zero_grad()
    with pytest.warns(UserWarning, match=r"draw_backprop: Out of date.* what backward\(\) gives"):
        draw_backprop(loss)
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))     # the forward pass again
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert draw_graph(loss, engine="builtin").caption == ""


def test_the_neuron_names_the_inputs_of_the_op_that_no_longer_adds_up():
    o, leaves = neuron_with_leaves()
    leaves["b"].data = 0.5
    assert build_scene(o).stale.startswith(
        "Out of date: 1 op was computed before an input changed (b: changed after the forward "
        "pass, by p.data -= lr * p.grad?), so its result does not follow")
    leaves["w1"].data = 1.0
    assert "2 ops were computed before an input changed (among their inputs: x1, w1, b: " \
        "changed" in build_scene(o).stale


def test_graphs_with_in_place_writes_recorded_in_them_are_not_called_out_of_date():
    x = torch.randn(4, 3, requires_grad=True)
    probs = F.softmax(x, 1).clone()
    probs[range(4), [0, 1, 2, 0]] -= 1                          # backprop ninja's dlogits
    y = torch.zeros(5)
    y[1:4] = x[0] * 2
    z = x * 2
    z += 1
    e = nn.Embedding(5, 2)
    roots = [(probs * x).sum(), y.pow(2).sum(), z.sum(), e(torch.tensor([0, 1, 1])).sum()]
    n = Value(0.88, label="n")                                  # micrograd's hand-made nodes,
    t = (math.exp(2 * n.data) - 1) / (math.exp(2 * n.data) + 1)     # tanh written with exp
    roots.append(Value(t, (n,), "tanh") + Value(math.exp(n.data), (n,), "exp")
                 + Value(n.data * 2.0, (n, Value(2.0)), "*"))
    for root in roots:
        assert trace(root).stale() == ([], []), root
    w = x * 1
    s = (w * w).sum()
    w[0] = 5.0                                                  # written after (w * w) used it
    assert trace(s).stale()[0]


def test_graphviz_wraps_the_caption_as_the_builtin_drawing_does():
    loss = lecture_mlp_loss()
    loss.backward()
    scene = build_scene(loss, rankdir="TB", max_nodes=20, color_grad=True)
    caption = re.search(r'label="(.*?)", labelloc', to_dot(scene)).group(1)
    lines = caption.split("\\l")
    assert lines[-1] == "" and len(lines) >= 3
    assert all(len(line) <= CAPTION_CHARS for line in lines)
    assert " ".join(lines).split() == scene.caption.split()


# -- the command ----------------------------------------------------------------------------------

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2.0", "w1=-3.0", "x2=0.0", "w2=1.0",
          "b=6.8813735870195432"]


def test_glassgrad_graph_prints_backwards_gradients_and_writes_the_page(capsys, tmp_path):
    code, out, err = run(["graph", *NEURON, "--steps", str(tmp_path / "walk.html"),
                          "-o", str(tmp_path / "neuron.svg")], capsys)
    assert code == 0 and err == ""
    o, leaves = neuron_with_leaves()
    o.backward()
    for name, leaf in leaves.items():
        assert f"  d/d{name} = {four(leaf.grad)}" in out.splitlines()
    assert "walk.html (6 steps)" in out
    texts = box_texts((tmp_path / "neuron.svg").read_text())
    assert {t[0] for t in texts.values()} >= {"x1", "w1", "x2", "w2", "b"}


@pytest.mark.parametrize("expression, says", [
    ("tanh(x*w", "syntax error at column 5"),
    ("(x).tanh", "'.tanh' is a method: call it, (x).tanh()"),
    ("x.data * 2", "write x, not x.data"),
    ("x.grad", "write x, not x.grad"),
    ("x.__class__", "attribute access"),
    ("__import__('os')", "'__import__' is not an allowed function"),
    ("log(x - 3)", "log: needs a positive input"),
    ("x / (x - 2)", "divides by zero"),
    ("sqrt(x - 2)", "cannot differentiate at this point"),
    ("exp(x * 1000)", "too large for a float"),
    ("x + y", "unknown name 'y'"),
    ("x @ x", "the @ operator"),
])
def test_glassgrad_graph_refuses_a_bad_expression_in_one_line(expression, says, capsys,
                                                              tmp_path):
    code, out, err = run(["graph", expression, "x=2.0", "-o", str(tmp_path / "g.svg")], capsys)
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert err.startswith("glassgrad graph: error: ") and says in err, err
    assert not (tmp_path / "g.svg").exists()


# -- in the browser -------------------------------------------------------------------------------

# What a learner would see wrong, measured by the browser's own text metrics: a text outside its
# box or crossed by a field separator, two boxes on top of each other, a box or caption line
# outside the picture. Returns [number of boxes, problems].
LAYOUT_CHECK = r"""
var svg = document.querySelector(arguments[0]), problems = [], boxes = [];
var vb = svg.viewBox.baseVal, all = {x: vb.x, y: vb.y, width: vb.width, height: vb.height};
function inside(a, b, tol) { return a.x >= b.x - tol && a.y >= b.y - tol &&
  a.x + a.width <= b.x + b.width + tol && a.y + a.height <= b.y + b.height + tol; }
function rect(el) {                      // el's bounding box in the picture's coordinates
  var b = el.getBBox(), m = svg.getCTM().inverse().multiply(el.getCTM());
  var p = svg.createSVGPoint(), q = svg.createSVGPoint();
  p.x = b.x; p.y = b.y; q.x = b.x + b.width; q.y = b.y + b.height;
  p = p.matrixTransform(m); q = q.matrixTransform(m);
  return {x: Math.min(p.x, q.x), y: Math.min(p.y, q.y), width: Math.abs(q.x - p.x),
          height: Math.abs(q.y - p.y)};
}
svg.querySelectorAll('g.node').forEach(function (g) {
  var shapes = g.querySelectorAll(':scope > rect, :scope > ellipse, :scope > polygon');
  var outline = rect(shapes[shapes.length - 1]), whole = rect(g);
  boxes.push([g.id, whole]);
  var lines = Array.from(g.querySelectorAll(':scope > line')).map(rect);
  g.querySelectorAll('text').forEach(function (t) {
    var r = rect(t);
    if (!inside(r, outline, 1)) { problems.push('text outside its box: ' + g.id + ' ' +
                                                t.textContent); }
    lines.forEach(function (l) {
      var across = l.width < 0.5 ? l.x > r.x + 0.5 && l.x < r.x + r.width - 0.5
                                 : l.y > r.y + 1 && l.y < r.y + r.height - 1;
      if (across && l.x <= r.x + r.width && l.x + l.width >= r.x && l.y <= r.y + r.height
          && l.y + l.height >= r.y) { problems.push('separator across ' + t.textContent); }
    });
  });
  if (!inside(whole, all, 0.5)) { problems.push('box outside the picture: ' + g.id); }
});
boxes.forEach(function (a, i) { boxes.slice(i + 1).forEach(function (b) {
  var p = a[1], q = b[1];
  if (p.x < q.x + q.width - 0.5 && q.x < p.x + p.width - 0.5 && p.y < q.y + q.height - 0.5
      && q.y < p.y + p.height - 0.5) { problems.push('overlap: ' + a[0] + ' ' + b[0]); }
}); });
svg.querySelectorAll(':scope > text').forEach(function (t) {
  if (!inside(rect(t), all, 0.5)) { problems.push('caption outside: ' + t.textContent); }
});
return [boxes.length, problems];
"""


@pytest.fixture(scope="module")
def chromium(browser_ready):
    driver = _driver()
    driver.set_window_size(1300, 900)
    try:
        yield driver
    finally:
        driver.quit()


def layout_problems(driver, path, selector="svg") -> tuple[int, list[str]]:
    driver.get(path.as_uri())
    return driver.execute_script(LAYOUT_CHECK, selector)


def test_the_layout_check_sees_what_is_wrong(chromium, tmp_path):
    """The browser check itself: a text wider than its box, and two boxes on each other."""
    svg = draw_graph(Value(2.0, label="x") * 3, engine="builtin").svg()
    broken = (svg.replace(">x</text>", ">x is a label far too long for its box</text>")
              .replace('<g class="node op" id="op1">',
                       '<g class="node op" id="op1" transform="translate(-60,0)">'))
    path = tmp_path / "broken.svg"
    path.write_text(broken)
    count, problems = layout_problems(chromium, path)
    assert count == 3
    assert any(p.startswith("text outside its box: n0 x is a label") for p in problems)
    assert any(p.startswith("overlap: ") for p in problems), problems


@pytest.mark.usefixtures("needs_dot")
def test_graphs_of_5_to_200_nodes_are_drawn_readable_in_every_direction(chromium, tmp_path):
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    graphs = [a * b + c, neuron_with_leaves()[0], value_graph(20, 0), value_graph(78, 7),
              tensor_mlp()[3](), attention()[2]()]
    sizes = [len(trace(root).nodes) for root in graphs]
    assert min(sizes) == 5 and 190 <= max(sizes) <= 210, sizes
    for k, root in enumerate(graphs):
        root.backward()
        for rankdir, engine in (("LR", "builtin"), ("TB", "builtin"), ("RL", "builtin"),
                                ("BT", "builtin"), ("LR", "graphviz"), ("TB", "graphviz")):
            path = draw_graph(root, rankdir=rankdir, engine=engine, max_nodes=None).save(
                tmp_path / f"g{k}_{rankdir}_{engine}.svg")
            count, problems = layout_problems(chromium, path)
            assert count >= 3 and problems == [], (sizes[k], rankdir, engine, problems[:5])
    assert js_errors(chromium) == []


PAGE_STATE = r"""
var root = document.querySelector('.glassgrad-backprop'), texts = {};
root.querySelectorAll('.gg-drawing g.node').forEach(function (g) {
  var t = g.querySelectorAll('text');
  texts[g.id.split('-').pop()] = t[t.length - 1].textContent.replace(/\u00a0/g, ' ').trim();
});
return [texts, root.querySelector('.gg-counter').textContent,
        root.querySelector('.gg-equation').textContent];
"""


def walk_with_keys(driver, walk, path):
    """Open the page and press → through every step, checking what each shows; returns the
    texts of the last step."""
    from selenium.webdriver.common.keys import Keys

    driver.get(walk.save(path).as_uri())
    root = driver.find_element("css selector", ".glassgrad-backprop")
    count = len(walk.steps)
    for k in range(count):
        texts, counter, equation = driver.execute_script(PAGE_STATE)
        assert counter == f"step {k + 1} of {count}"
        assert equation == "\n".join(walk.steps[k].lines()), k
        expected = {box: text.replace("\xa0", " ").strip()
                    for box, text in walk.texts_at(k).items()}
        assert {box: texts[box] for box in expected} == expected, k
        if k in (0, count // 2, count - 1):
            assert driver.execute_script(LAYOUT_CHECK, ".gg-drawing svg")[1] == [], k
        root.send_keys(Keys.ARROW_RIGHT)
    for key, shown in ((Keys.END, count), (Keys.HOME, 1), (Keys.ARROW_LEFT, 1), (Keys.END, count)):
        root.send_keys(key)                                     # the ends, and past them
        assert driver.execute_script(PAGE_STATE)[1] == f"step {shown} of {count}"
    return texts


def test_the_step_through_pages_show_backwards_numbers_at_the_end(chromium, tmp_path):
    o, leaves = neuron_with_leaves()
    texts = walk_with_keys(chromium, draw_backprop(o), tmp_path / "neuron.html")
    reference, _ = neuron_with_leaves()
    reference.backward()
    for i, node in enumerate(trace(reference).nodes):
        assert texts[f"n{i}"] == f"grad {four(node.grad)}"

    model, X, y, mlp_loss = tensor_mlp()
    model.label_parameters()
    texts = walk_with_keys(chromium, draw_backprop(mlp_loss()), tmp_path / "mlp.html")
    walked = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    mlp_loss().backward()
    for (name, p), grad in zip(model.named_parameters(), walked):
        np.testing.assert_array_equal(grad, p.grad)
        box = next(f"n{i}" for i, node in enumerate(trace(mlp_loss()).nodes) if node is p)
        assert texts[box] == f"‖grad‖ {four(np.linalg.norm(p.grad))}", name

    head, x, loss_of = attention()
    head.label_parameters()
    texts = walk_with_keys(chromium, draw_backprop(loss_of()), tmp_path / "head.html")
    reference = loss_of()
    head.zero_grad()
    reference.backward()
    nodes = trace(reference).nodes
    assert sum(node.grad is not None for node in nodes) == 14        # 3 weights, 11 results
    for i, node in enumerate(nodes):
        if node.grad is not None:
            size = (f"grad {four(node.grad.item())}" if node.grad.size == 1 else
                    f"‖grad‖ {four(np.linalg.norm(node.grad))}")
            assert texts[f"n{i}"] == size, i
    assert js_errors(chromium) == []


SEEN_AT_EACH_STEP = r"""
var root = document.querySelector('.glassgrad-backprop'), seen = [];
function visible(e, below) {                  // inside the window, below `below`, on top there
  var r = e.getBoundingClientRect(), x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
  var there = document.elementFromPoint(x, y);
  return r.top >= below - 1 && r.bottom <= innerHeight + 1 && r.left >= -1 &&
         r.right <= innerWidth + 1 && there !== null && e.contains(there);
}
for (var k = 1; k < %d; k++) {
  root.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
  var equation = root.querySelector('.gg-equation');
  var node = root.querySelector('g.record.gg-hot, g.group.gg-hot');
  seen.push([visible(equation, 0),
             visible(node, root.querySelector('.gg-head').getBoundingClientRect().bottom)]);
}
return seen;
"""


@pytest.mark.parametrize("width, height", [(1280, 800), (1024, 768), (375, 700)])
def test_each_steps_equations_stay_in_view_beside_its_node(chromium, tmp_path, width, height):
    """A drawing taller than the window (the head, the collapsed MLP): each step scrolled its
    node into view and the equations, at the top of the widget, out of it, at every step but
    the first; the controls and equations now stay at the top of the view."""
    head, x, loss_of = attention()
    head.label_parameters()
    chromium.set_window_size(width, height)
    try:
        for walk, name in ((draw_backprop(loss_of()), "head"),
                           (draw_backprop(lecture_mlp_loss()), "mlp")):
            chromium.get(walk.save(tmp_path / f"{name}.html").as_uri())
            seen = chromium.execute_script(SEEN_AT_EACH_STEP % len(walk.steps))
            assert len(seen) == len(walk.steps) - 1
            assert [k + 2 for k, (equation, _) in enumerate(seen) if not equation] == [], name
            assert [k + 2 for k, (_, node) in enumerate(seen) if not node] == [], name
            assert chromium.execute_script("return document.documentElement.scrollTop") > 100
    finally:
        chromium.set_window_size(1300, 900)
    assert js_errors(chromium) == []


def test_the_collapsed_lecture_mlp_page_ends_with_backwards_ranges(chromium, tmp_path):
    """233 steps: stepped by the page's own key handler in one script (a key press from
    selenium costs ~50 ms), each step's texts compared with the recorded walk."""
    walk = draw_backprop(lecture_mlp_loss())
    chromium.get(walk.save(tmp_path / "mlp.html").as_uri())
    states = chromium.execute_script(PAGE_STATE.replace("return", "var state = ") + r"""
      var seen = [state];
      for (var k = 1; k < %d; k++) {
        root.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
        texts = {};
        root.querySelectorAll('.gg-drawing g.node').forEach(function (g) {
          var t = g.querySelectorAll('text');
          texts[g.id.split('-').pop()] = t[t.length - 1].textContent.replace(/\u00a0/g, ' ')
            .trim();
        });
        seen.push([texts, root.querySelector('.gg-counter').textContent]);
      }
      return seen;""" % len(walk.steps))
    assert len(states) == len(walk.steps) == 233
    for k, (texts, counter, *_) in enumerate(states):
        assert counter == f"step {k + 1} of 233"
        expected = walk.texts_at(k)
        assert all(texts[box] == text.replace("\xa0", " ").strip()
                   for box, text in expected.items()), k
    reference = lecture_mlp_loss()
    reference.backward()
    nodes = trace(reference).nodes
    from autograd.viz.collapse import collapse
    for g, group in enumerate(collapse(trace(reference), 300).groups):
        grads = [nodes[i].grad for i in group.members if nodes[i].requires_grad]
        if grads and min(grads) != max(grads):
            assert states[-1][0][f"g{g}"] == f"grad {min(grads):.3g} … {max(grads):.3g}"
    assert js_errors(chromium) == []
