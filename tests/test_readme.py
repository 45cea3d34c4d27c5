"""The README's examples run as written: its self-contained Python blocks, named by their first
line, the blocks that use names from the text (run after a small prelude that makes them),
the `glassgrad graph` commands (docs/neuron.svg must be what the command makes today) and the
demo's picture. A block the README no longer has fails by its first line: update FIRST_LINES
or PRELUDES with the README. Not run here: the PyTorch blocks (CI has no torch;
tests/test_pytorch_compat.py and test_torch_format.py make those round trips) and
`load_trained` (tests/test_trained.py)."""

from __future__ import annotations

import ast
import re
import shlex
import warnings
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import run
from conftest import real_mnist_dir

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)

# the blocks that need nothing the README leaves out (no data path, no model from elsewhere)
FIRST_LINES = [
    "from autograd import Value\n\nx1, w1, b",          # Quick start: the neuron
    "import numpy as np\nfrom autograd import Tensor",  # Quick start: a linear layer's step
    "import random\nfrom autograd import Value, compile",
    "from nn import binary_cross_entropy_with_logits",  # declare_loss / declare_metric
]


def readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [code for lang, code in BLOCK.findall(text) if lang == language]


def block_starting(first_line: str) -> str:
    found = [code for code in readme_blocks("python") if code.startswith(first_line)]
    assert len(found) == 1, f"README: no single python block starts with {first_line!r}"
    return found[0]


@pytest.mark.parametrize("first_line", FIRST_LINES)
def test_a_self_contained_python_block_runs_without_warnings(first_line, tmp_path,
                                                             monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)                     # whatever a block writes lands here
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(block_starting(first_line), "README.md", "exec"), {})


def test_the_quick_start_prints_what_its_comment_says(capsys):
    code = block_starting(FIRST_LINES[0])
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.split()
    promised = re.search(r"# (.*)$", code.strip()).group(1).replace(",", "").split()
    for number, prefix in zip(printed, promised, strict=True):
        assert number.startswith(prefix.rstrip(".")), (number, prefix)


def test_the_mnist_example_runs_on_the_real_digits(tmp_path, monkeypatch):
    folder = real_mnist_dir()
    code = block_starting("from autograd import manual_seed\nfrom nn import MLP")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code.replace('"path/to/mnist"', repr(folder)), "README.md", "exec"), namespace)
    assert namespace["history"]["val_accuracy"][-1] > 0.9
    assert (tmp_path / "mnist.npz").is_file()


def test_the_neuron_picture_is_what_the_readme_command_draws(tmp_path, capsys):
    command = next(code for code in readme_blocks("bash") if "docs/neuron.svg" in code)
    argv = shlex.split(command.replace("\\\n", " "))  # as the shell reads it
    assert argv[:2] == ["glassgrad", "graph"]
    argv = argv[1:]
    argv[argv.index("docs/neuron.svg")] = str(tmp_path / "neuron.svg")
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert "tanh(x1*w1 + x2*w2 + b) = 0.7071" in out and "d/dx1 = -1.5000" in out
    drawn = (tmp_path / "neuron.svg").read_bytes()
    assert drawn == (ROOT / "docs" / "neuron.svg").read_bytes()


def test_the_demo_graph_picture_is_what_glassgrad_demo_draws(tmp_path, capsys):
    """docs/demo_prediction_graph.svg, shown under the install line, must be the graph the demo
    draws today: its names, ops and shapes (its numbers are masked: they depend on the training,
    here one epoch, and may differ in the last digit from one BLAS to another)."""
    code, _, err = run(["demo", "-o", str(tmp_path), "--epochs", "1"], capsys)
    assert code == 0, err

    def texts(path):
        svg = path.read_text(encoding="utf-8")
        return [text if re.fullmatch(r"\([\d, ]*\) \w+", text)      # a shape and dtype
                else re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", text)
                for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]

    drawn = texts(tmp_path / "prediction_graph.svg")
    assert "(16, 2) float32" in drawn                          # 0.weight is (out, in)
    assert texts(ROOT / "docs" / "demo_prediction_graph.svg") == drawn


# blocks that use names an earlier block or the text defines: what they need, made small
NEURON = """from autograd import Value
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
n = x1 * w1 + x2 * w2 + b; n.label = "n"
o = n.tanh(); o.label = "o"
"""
PRELUDES = {
    "from autograd import draw_graph": NEURON + "o.backward()\n",
    "from autograd import draw_backprop": NEURON,
    "from autograd import functional as F\nfrom nn import (BatchNorm2d": """from autograd import randn
x, weight, bias = randn(2, 1, 28, 28), randn(4, 1, 5, 5), randn(4)
s, w1 = randn(2, 8, 20), randn(6, 8, 3)
z = randn(2, 32, 7, 7)
""",
    'save({"model": model': """from nn import Linear, load, save
from nn.optim import SGD
from nn.optim.lr_scheduler import StepLR
model = Linear(3, 2)
optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler, epoch = StepLR(optimizer, 2), 4
""",
}


@pytest.mark.parametrize("first_line", PRELUDES)
def test_a_block_runs_after_what_it_takes_from_the_text(first_line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(PRELUDES[first_line], "prelude", "exec"), namespace)
        exec(compile(block_starting(first_line), "README.md", "exec"), namespace)
    if "cnn" in namespace:                                  # the LeNet-style network as shown
        assert namespace["cnn"](namespace["x"]).shape == (2, 10)
    if "checkpoint" in namespace:
        assert namespace["checkpoint"]["epoch"] == 4


def test_the_step_through_shows_the_lines_its_comment_quotes():
    code = block_starting("from autograd import draw_backprop")
    namespace: dict = {}
    exec(compile(NEURON, "prelude", "exec"), namespace)
    exec(compile(code.split("\nwalk.save")[0], "README.md", "exec"), namespace)
    quoted = re.search(r"lines\(\)\s+# (\[.*?\])\n", code, re.DOTALL).group(1)
    first, second = re.findall(r"'([^']*)'", quoted)
    lines = namespace["walk"].steps[1].lines()
    assert lines[0] == first
    assert lines[1].startswith(second.removesuffix("..."))


def test_the_higher_order_lines_give_the_numbers_their_comments_say():
    code = block_starting("from autograd import grad, gradcheck")
    namespace: dict = {}
    exec(compile(code.splitlines()[0], "README.md", "exec"), namespace)
    shown = re.findall(r"^(grad\(.*\)\(2\.0\))\s+# ([\d.]+)", code, re.MULTILINE)
    assert len(shown) == 2
    for expression, number in shown:
        assert eval(expression, namespace) == float(number)


def test_the_step_through_command_writes_its_page(tmp_path, capsys, monkeypatch):
    command = next(code for code in readme_blocks("bash") if "--steps" in code)
    argv = shlex.split(command.replace("\\\n", " "))[1:]
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "wrote backprop.html (6 steps)" in out
    assert (tmp_path / "backprop.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_tensor_error_messages_shown_are_the_real_ones():
    from autograd import Tensor
    shown = next(code for code in readme_blocks("") if code.startswith("ValueError: matmul"))
    with pytest.raises(ValueError) as matmul:
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    with pytest.raises(RuntimeError) as backward:
        (Tensor(np.ones((32, 10)), requires_grad=True) * 2).backward()
    for line, error in zip(shown.splitlines(), (matmul, backward), strict=True):
        name, message = line.split(": ", 1)
        assert name == error.type.__name__
        assert str(error.value).startswith(message.removesuffix(" (...)"))


def test_the_porting_notes_translate_pytorchs_gradient_resets():
    """`.grad` is an ndarray, so PyTorch's `p.grad.zero_()` is numpy's AttributeError and
    `p.grad.data` a memoryview: the porting notes must say what to write, and what they say must
    do what PyTorch's line does (the next backward starts from zero)."""
    from autograd import Tensor
    from nn import Linear
    from nn.optim import SGD
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "`p.grad.data` → `p.grad`" in text
    assert ("`p.grad.zero_()` → `p.grad = None`, or `optimizer.zero_grad()` / "
            "`model.zero_grad()`") in text
    model = Linear(3, 2)
    x = Tensor(np.ones((4, 3)))
    optimizer = SGD(model.parameters(), lr=0.1)
    for reset in (lambda: setattr(model.weight, "grad", None), optimizer.zero_grad,
                  model.zero_grad):
        model(x).sum().backward()
        once = model.weight.grad.copy()
        reset()
        model(x).sum().backward()
        np.testing.assert_array_equal(model.weight.grad, once)     # not 2 × once
        reset()


def torch_skips_that_do_not_say_how(folder: Path) -> list[str]:
    """The skips for PyTorch in the test files whose reason does not say `pip install torch`."""
    found = []
    for path in sorted(folder.glob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(getattr(call, "func", None), "attr", None)
            if name not in ("importorskip", "skipif", "skip"):
                continue
            reasons = [k.value.value for k in call.keywords if k.arg in ("reason", "msg")
                       and isinstance(k.value, ast.Constant)]
            reasons += [a.value for a in call.args if isinstance(a, ast.Constant)
                        and isinstance(a.value, str) and name == "skip"]
            about_torch = (name == "importorskip" and call.args
                           and getattr(call.args[0], "value", None) == "torch")
            about_torch = about_torch or any("torch" in r.lower() for r in reasons)
            if about_torch and not any("pip install torch" in r for r in reasons):
                found.append(f"{path.name}:{call.lineno}")
    return found


def test_a_test_skipped_for_want_of_pytorch_says_how_to_enable_it():
    """The README: without an optional extra, its tests are skipped "with the reason saying how
    to enable it"; pytest's own reason for a bare importorskip("torch") says only that the
    import failed."""
    assert torch_skips_that_do_not_say_how(ROOT / "tests") == []


def test_the_op_shown_under_how_it_works_is_the_engines_own():
    """The README shows Tanh as an example op: its forward and backward must compute what
    autograd/ops/elementwise.py's Tanh computes, bit for bit (a Value's tanh is the lecture's
    formula, which differs from math.tanh in the last bit, so a shortened copy would not)."""
    import math
    from autograd.graph import Op
    from autograd.ops.elementwise import Tanh
    namespace = {"Op": Op, "math": math, "np": np}
    exec(compile(block_starting("class Tanh(Op):"), "README.md", "exec"), namespace)
    shown = namespace["Tanh"]
    assert shown.__doc__ == Tanh.__doc__ and shown.name == Tanh.name
    for x in (0.0, 1e-8, -0.1, 0.25, 0.8813735870195432, -3.0, 19.5, 25.0, -700.0):
        assert shown.forward(None, x) == Tanh.forward(None, x), x
    array = np.linspace(-30, 30, 101)
    np.testing.assert_array_equal(shown.forward(None, array), Tanh.forward(None, array))
    out = Tanh.forward(None, array)
    np.testing.assert_array_equal(shown.backward(None, 2.0, out, array)[0],
                                  Tanh.backward(None, 2.0, out, array)[0])
