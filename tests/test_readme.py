"""The README's examples run as written: its self-contained Python blocks, named by their first
line, and the `glassgrad graph` command that draws docs/neuron.svg (the picture must be what
the command makes today). A block the README no longer has fails by its first line: update
FIRST_LINES with the README."""

from __future__ import annotations

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
