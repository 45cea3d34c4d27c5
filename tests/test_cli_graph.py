"""`glassgrad graph` and its safe expression parser.

The command builds the expression from Values, prints the output and every gradient, and writes
the drawing. Hostile or broken input never runs code and never hangs: it gets one error line on
stderr and exit status 2.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from dot_helpers import fake_dot
from nn import cli
from autograd.viz import BackpropDrawing, GraphDrawing
from autograd.viz import dot as dot_module
from autograd.viz import expression
from autograd.viz.expression import ExpressionError, build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2.0", "w1=-3.0", "x2=0.0", "w2=1.0",
          "b=6.8813735870195432"]


def run_graph(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(["graph", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def run_module(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m nn.cli ...` in a fresh process (a hang fails the test, not the suite)."""
    return subprocess.run([sys.executable, "-m", "nn.cli", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


# ----------------------------------------------------------------------------------------------
# The expression builder
# ----------------------------------------------------------------------------------------------

def test_neuron_expression_gives_micrograds_numbers():
    values = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}
    out = build(NEURON[0], values)
    out.backward()
    assert out.data == pytest.approx(math.sqrt(0.5))                 # tanh(0.8814) = 1/√2
    leaves = {n.label: n for n in _leaves(out)}
    grads = {name: leaves[name].grad for name in values}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5})


def _leaves(out):
    from autograd.graph import walk
    return [n for n in walk(out) if n.is_leaf and n.label]


@pytest.mark.parametrize("text, point", [
    ("x*y + tanh(x) - y/x", {"x": 0.7, "y": -1.3}),
    ("exp(x) * log(y) + sqrt(y) ** 3", {"x": 0.4, "y": 2.5}),
    ("sigmoid(x*y) + relu(x) + abs(y) - -x + +y", {"x": 0.9, "y": -0.6}),
    ("x ** y + 2 ** x - 3 / y", {"x": 1.7, "y": 0.8}),
    ("sin(x) * x**2 + cos(x*y)", {"x": 1.3, "y": -2.4}),
    ("tan(x) + asin(y / 3) * acos(x - 1) - atan(x * y)", {"x": 0.7, "y": -1.3}),
    ("atan2(y, x) + hypot(x, 2 * y) + atan2(1, y)", {"x": -0.6, "y": 0.9}),
    ("sinh(x) * cosh(y) + asinh(x * y) + acosh(2 + y * y) + atanh(x / 2)", {"x": 0.7, "y": -1.1}),
    ("erf(x * y) - erfc(y) + log1p(x) * expm1(y)", {"x": 0.4, "y": -0.8}),
])
def test_expression_gradients_match_finite_differences(text, point):
    out = build(text, point)
    out.backward()
    leaves = {n.label: n for n in _leaves(out)}
    h = 1e-6
    for name in point:
        up = build(text, {**point, name: point[name] + h}).data
        down = build(text, {**point, name: point[name] - h}).data
        assert leaves[name].grad == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8)


def test_micrograds_method_calls_build_the_same_graph_as_function_calls():
    point = {"x": 0.8, "w": -1.1, "b": 0.3}
    for method_form, function_form in [("(x*w + b).tanh()", "tanh(x*w + b)"),
                                       ("x.relu() + (w*x).exp().log()", "relu(x) + log(exp(w*x))"),
                                       ("x.sigmoid().abs() - b.sqrt()", "abs(sigmoid(x)) - sqrt(b)"),
                                       ("x.sin() * w.cos()", "sin(x) * cos(w)"),
                                       ("x.atan2(w) + w.hypot(b)", "atan2(x, w) + hypot(w, b)"),
                                       ("x.erf().tan() + (w*b).expm1()",
                                        "tan(erf(x)) + expm1(w*b)")]:
        a, b = build(method_form, point), build(function_form, point)
        a.backward()
        b.backward()
        assert a.data == b.data
        assert [n.grad for n in _leaves(a)] == [n.grad for n in _leaves(b)]
    tree = expression.parse("(x*w).tanh() + b", {"x", "w", "b"})
    assert expression.variables_used(tree) == {"x", "w", "b"}


def test_numbers_are_floats_and_folded_constants_stay_numbers():
    out = build("x * 2 ** 3", {"x": 1.5})                # 2 ** 3 is a number, 8.0
    assert out.data == 12.0
    assert out.op == "mul" and out._ctx == 8.0


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "'__import__' is not an allowed function"),
    ("x.real", "not allowed in an expression: attribute access"),
    ("x.__class__.__bases__", "not allowed in an expression: attribute access"),
    ("(lambda: 1)()", "only these functions can be called, by name"),
    ("[x for x in (1, 2)]", "not allowed in an expression: comprehensions"),
    ("sum(x for x in (1,))", "'sum' is not an allowed function"),
    ("{x: 1}", "not allowed in an expression: dicts"),
    ("x[0]", "not allowed in an expression: indexing"),
    ("x if x else x", "not allowed in an expression: if/else"),
    ("x < 1", "not allowed in an expression: comparisons"),
    ("x // 2", "not allowed in an expression: the // operator"),
    ("x @ x", "not allowed in an expression: the @ operator"),
    ("x^2", "not allowed in an expression: ^, Python's bitwise xor (a power is x**2)"),
    ("(y := 2)", "not allowed in an expression: assignment"),
    ("f'{x}'", "not allowed in an expression: f-strings"),
    ("'abc' * x", "only numbers are allowed as constants, got 'abc'"),
    ("True + x", "only numbers are allowed as constants, got True"),
    ("1j * x", "only numbers are allowed as constants"),
    ("x.foo()", "'.foo()' is not an allowed method"),
    ("x.__class__()", "'.__class__()' is not an allowed method"),
    ("x.tanh(x)", ".tanh() takes no argument, like (x*w).tanh()"),
    ("x.tanh.__call__()", "'.__call__()' is not an allowed method"),
    ("x.real.tanh()", "not allowed in an expression: attribute access"),
    ("tanh(x, x)", "tanh() takes exactly one argument"),
    ("tanh(x=x)", "tanh() takes exactly one argument"),
    ("tanh(*x)", "tanh() takes exactly one argument"),
    ("y * x", "unknown name 'y' (give it a value, e.g. y=1.0)"),
    ("tanh * x", "unknown name 'tanh' ('tanh' is a function: call it, tanh(x))"),
    ("import os", "syntax error"),
    ("x +", "syntax error"),
    ("x; x", "syntax error"),
    ("", "the expression is empty"),
    ("x" + " + x" * 400, "the expression is 1601 characters long; the limit is 1000"),
    ("+".join(["x"] * 300), "the expression has more than 500 parts"),
    ("(" * 300 + "x" + ")" * 300, "syntax error"),
    ("2 ** 10 ** 10 * x", "the exponent 1e+10 is too large"),
    ("x ** 10 ** 10", "the exponent 1e+10 is too large"),
    ("x ** 1001", "the exponent 1001 is too large (the limit is 1000)"),    # not "1e+03"
    ("9" * 400 + " * x", "is too large"),
    ("1e308 * 10 * x", "the expression gives inf, not a finite real number"),
    ("x / 0", "division by zero"),
    ("(x - 2) ** -1", "pow: 0.0 ** -1.0 divides by zero"),
    ("1 / (x - 2)", "pow: 0.0 ** -1 divides by zero (a / b is computed as a * b ** -1"),
    ("log(x - 5)", "log: needs a positive input"),
    ("sqrt(0 - x)", "sqrt: needs a non-negative input"),
    ("sin(x * 1e308 * 10)", "sin: needs a finite input, got inf"),
    ("exp(x * 1000)", "exp: e ** 2000.0 is too large for a float"),
    ("floor(x)", "'floor' is not an allowed function; the functions are abs, acos, acosh, asin, "
                 "asinh, atan, atan2, atanh, cos, cosh, erf, erfc, exp, expm1, hypot, log, log1p, "
                 "relu, sigmoid, sin, sinh, sqrt, tan, tanh"),
    ("asin(x)", "asin: needs an input in [-1, 1], got 2.0"),
    ("acosh(x - 2)", "acosh: needs an input >= 1, got 0.0"),
    ("atanh(x / 2)", "atanh: needs an input in (-1, 1), got 1.0"),
    ("cosh(x * 500)", "cosh: cosh(1000.0) is too large for a float"),
    ("log1p(0 - x)", "log1p: needs an input > -1, got -2.0"),
    ("atan2(x)", "atan2() takes exactly two arguments, like atan2(y, x)"),
    ("hypot(x, x, x)", "hypot() takes exactly two arguments, like hypot(x, y)"),
    ("atan2(*x, x)", "atan2() takes exactly two arguments"),
    ("x.atan2()", ".atan2() takes one argument, like y.atan2(x) for atan2(y, x)"),
    ("x.atan2(x, x)", ".atan2() takes one argument"),
    ("x.hypot(y=x)", ".hypot() takes one argument, like x.hypot(y) for hypot(x, y)"),
    ("tan(x, x)", "tan() takes exactly one argument, like tan(x)"),
    ("(0 - x) ** 0.5", "is not a real number"),
])
def test_hostile_and_broken_expressions_are_refused(text, message):
    with pytest.raises(ExpressionError) as info:
        build(text, {"x": 2.0})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_refusal_happens_before_anything_is_computed(monkeypatch):
    calls = []
    monkeypatch.setitem(expression.FUNCTIONS, "tanh", lambda v: calls.append(v))
    with pytest.raises(ExpressionError):
        build("tanh(x) + x.real", {"x": 1.0})
    assert calls == []


def test_variables_used_ignores_function_names():
    tree = expression.parse("tanh(x) * exp(y) + x", {"x", "y"})
    assert expression.variables_used(tree) == {"x", "y"}


# ----------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------

def test_graph_writes_the_svg_and_prints_the_output_and_gradients(capsys, tmp_path):
    target = tmp_path / "neuron.svg"
    status, out, err = run_graph(capsys, *NEURON, "-o", str(target), "--engine", "builtin")
    assert status == 0 and err == ""
    assert out.splitlines() == [
        "tanh(x1*w1 + x2*w2 + b) = 0.7071",
        "  d/dx1 = -1.5000",
        "  d/dw1 = 1.0000",
        "  d/dx2 = 0.5000",
        "  d/dw2 = 0.0000",
        "  d/db = 0.5000",
        f"wrote {target} (builtin)",
    ]
    root = ET.parse(target).getroot()
    nodes = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
             if "node" in (g.get("class") or "").split()]
    assert len(nodes) == 15
    assert [p.name for p in tmp_path.iterdir()] == ["neuron.svg"]


def test_graph_of_the_lectures_sin_times_square(capsys):
    """glassgrad graph "sin(x)*x**2" x=1.3: f = sin(x) x², f' = cos(x) x² + 2x sin(x)."""
    status, out, err = run_graph(capsys, "sin(x)*x**2", "x=1.3", "-o", "-", "--engine",
                                 "builtin")
    assert status == 0 and ">sin<" in out and err.splitlines() == [
        f"sin(x)*x**2 = {math.sin(1.3) * 1.69:.4f}",
        f"  d/dx = {math.cos(1.3) * 1.69 + 2.6 * math.sin(1.3):.4f}"]
    assert err.splitlines() == ["sin(x)*x**2 = 1.6284", "  d/dx = 2.9573"]


def test_pi_and_e_are_known_constants_unless_a_variable_takes_the_name(capsys):
    """glassgrad graph "sin(pi*x)" x=0.25: d/dx = pi cos(pi x); e is Euler's number, but a
    variable named e is the variable."""
    status, out, err = run_graph(capsys, "sin(pi*x) + e", "x=0.25", "-o", "-", "--engine",
                                 "builtin")
    assert status == 0 and err.splitlines() == [
        f"sin(pi*x) + e = {math.sin(math.pi / 4) + math.e:.4f}",
        f"  d/dx = {math.pi * math.cos(math.pi / 4):.4f}"]
    status, out, err = run_graph(capsys, "e*x", "e=2", "x=3", "-o", "-")
    assert status == 0 and err.splitlines()[:3] == ["e*x = 6.0000", "  d/de = 3.0000",
                                                     "  d/dx = 2.0000"]
    assert "pi, e" in " ".join(run_graph(capsys, "--help")[1].split())


def test_graph_of_functions_beyond_micrograds_labels_each_node_with_its_function(capsys):
    """atan2 takes two inputs (as a function or y.atan2(x)); each op's node is labelled with
    its name, and the gradients are the rules': d atan2(y, x)/dx = -y / (x² + y²)."""
    status, out, err = run_graph(capsys, "atan2(y, x) + erf(x) * tan(y)", "x=2", "y=1",
                                 "-o", "-", "--engine", "builtin")
    assert status == 0
    assert all(f">{name}<" in out for name in ("atan2", "erf", "tan"))
    dx = -1 / 5 + 2 / math.sqrt(math.pi) * math.exp(-4) * math.tan(1)
    dy = 2 / 5 + math.erf(2) * (1 + math.tan(1) ** 2)
    assert err.splitlines() == [
        f"atan2(y, x) + erf(x) * tan(y) = {math.atan2(1, 2) + math.erf(2) * math.tan(1):.4f}",
        f"  d/dx = {dx:.4f}", f"  d/dy = {dy:.4f}"]


def test_the_help_lists_the_functions(capsys):
    assert cli.main(["graph", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "atan2, atanh, cos, cosh, erf, erfc, exp, expm1, hypot" in out
    assert "of two numbers: atan2(y, x) and hypot(x, y)" in out


def test_no_grad_and_options_reach_the_drawing(capsys, tmp_path):
    target = tmp_path / "g.svg"
    status, _, _ = run_graph(capsys, "x*x", "x=3", "-o", str(target), "--no-grad",
                             "--rankdir", "TB", "--engine", "builtin", "--color-grad")
    svg = target.read_text(encoding="utf-8")
    assert status == 0 and "grad " not in svg.split("Colour:")[1] and "data 9.0000" in svg


def test_dash_writes_svg_to_stdout_and_the_report_to_stderr(capsys):
    status, out, err = run_graph(capsys, "x*x", "x=3", "-o", "-", "--engine", "builtin")
    assert status == 0
    assert out.startswith("<svg ") and out.rstrip().endswith("</svg>")
    assert err.splitlines() == ["x*x = 9.0000", "  d/dx = 6.0000"]


@pytest.mark.parametrize("argv, message", [
    (["x*y", "x=1"], "unknown name 'y'"),
    (["x", "x=1", "y=2"], "'y' is given but the expression does not use it"),
    (["x", "x"], "expected NAME=VALUE (like x=2.0), got 'x'"),
    (["x", "1x=2"], "expected NAME=VALUE"),
    (["x", "x=abc"], "x='abc': the value is not a number"),
    (["x", "x=nan"], "x=nan: the value must be a finite number"),
    (["x", "x=1e999"], "the value must be a finite number"),
    (["x", "x=1", "x=2"], "'x' is given twice"),
    (["tanh(tanh)", "tanh=1"], "'tanh' is a function; give the variable another name"),
    (["2 * 3"], "the expression has no variables to differentiate"),
    (["x * 1e308 * 10", "x=1"], "the expression evaluates to inf, not a finite number"),
    (["exp(x)", "x=1000"], "exp: e ** 1000.0 is too large for a float"),
    (["__import__('os').system('echo hacked')", "x=1"],
         "'.system()' is not an allowed method"),
    (["x", "x=1", "-o", "graph.jpg"], "the name must end in .svg, .png or .pdf"),
    (["x", "x=1", "--max-nodes", "0"], "--max-nodes must be at least 1"),
    (["sqrt(x)", "x=0"], "cannot differentiate at this point: backward of sqrt: the derivative "
                         "is infinite or undefined at this input"),
    (["x ** 0.5", "x=0"], "cannot differentiate at this point: backward of pow"),
    (["asin(x)", "x=1"], "cannot differentiate at this point: backward of asin: the derivative "
                         "is infinite or undefined at this input"),
    (["asin(x)", "x=1.5"], "asin: needs an input in [-1, 1], got 1.5"),
    (["atan2(y)", "y=1"], "atan2() takes exactly two arguments, like atan2(y, x)"),
    (["log(x)", "x=1e-320"], "cannot differentiate at this point: d/dx is inf, not a finite "
                             "number"),
])
def test_bad_input_prints_one_error_line_and_exits_2(capsys, tmp_path, monkeypatch, argv,
                                                      message):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_graph(capsys, *argv)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("glassgrad graph: error: ") and message in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, dashed", [
    (["-log(p)", "p=0.3"], "-log(p)"),          # argparse: an unknown option
    (["-x*w", "x=2", "w=3", "-o", "g.svg"], "-x*w"),
    (["-log(p)"], "-log(p)"),                   # argparse: the expression is missing
])
def test_an_expression_that_starts_with_a_minus_is_told_how_to_write_it(capsys, tmp_path,
                                                                        monkeypatch, argv,
                                                                        dashed):
    """argparse reads "-log(p)" as an option; the one error line says to bracket it."""
    monkeypatch.chdir(tmp_path)
    status, out, err = run_graph(capsys, *argv)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert f'an expression that starts with "-" reads as an option: put it in brackets, ' \
           f'"({dashed})"' in err
    assert list(tmp_path.iterdir()) == []


def test_the_bracketed_expression_works_and_other_usage_errors_give_no_hint(capsys):
    status, out, err = run_graph(capsys, "(-log(p))", "p=0.3", "-o", "-")
    assert status == 0 and err.splitlines()[0] == "(-log(p)) = 1.2040"
    for argv in (["x", "x=1", "--bogus"], ["x", "x=1", "--max-nodes", "-5"], ["x", "x=1", "-o"]):
        status, out, err = run_graph(capsys, *argv)
        assert status == 2 and "reads as an option" not in err, err


def test_png_without_graphviz_exits_1_with_install_hints(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(dot_module, "find_dot", lambda: None)
    status, out, err = run_graph(capsys, "x*x", "x=3", "-o", str(tmp_path / "g.png"))
    assert status == 1 and out == "" and len(err.splitlines()) == 1
    assert "needs Graphviz" in err and "brew install graphviz" in err
    assert list(tmp_path.iterdir()) == []


def test_without_graphviz_a_png_with_steps_writes_neither(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(dot_module, "find_dot", lambda: None)
    status, out, err = run_graph(capsys, "x*x", "x=3", "-o", str(tmp_path / "g.pdf"),
                                 "--steps", str(tmp_path / "s.html"))
    assert status == 1 and out == "" and len(err.splitlines()) == 1
    assert f"-o {tmp_path / 'g.pdf'}: .pdf needs Graphviz" in err
    assert list(tmp_path.iterdir()) == []                   # the command failed: no page either


def test_when_dot_fails_no_file_is_written_or_the_builtin_layout_stands_in(capsys, tmp_path,
                                                                          monkeypatch):
    def broken(source, fmt, *, caller, **_):
        raise dot_module.GraphvizFailed(f"{caller}: dot failed to render {fmt} (exit status 1)")
    monkeypatch.setattr(dot_module, "find_dot", lambda: "/usr/bin/dot")
    monkeypatch.setattr(dot_module, "render", broken)
    status, out, err = run_graph(capsys, "x*x", "x=3", "-o", str(tmp_path / "g.png"),
                                 "--steps", str(tmp_path / "s.html"))
    assert status == 1 and out == ""
    assert err == "glassgrad graph: error: dot failed to render png (exit status 1)\n"
    assert list(tmp_path.iterdir()) == []
    status, out, err = run_graph(capsys, "x*x", "x=3", "-o", str(tmp_path / "g.svg"))
    assert status == 0 and out.splitlines()[-1] == f"wrote {tmp_path / 'g.svg'} (builtin)"
    assert err == ("glassgrad graph: warning: draw_graph: Graphviz failed (dot failed to render "
                   "svg (exit status 1)); drawing with the built-in layout instead\n")


def test_a_hung_dot_exits_1_naming_the_timeout(capsys, tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, "exec sleep 60")
    monkeypatch.setattr(dot_module, "DOT_TIMEOUT", 0.2)
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    for name, engine in (("g.png", "auto"), ("g.svg", "graphviz")):
        status, out, err = run_graph(capsys, "x*x", "x=3", "-o", str(out_folder / name),
                                     "--engine", engine)
        assert status == 1 and out == ""
        assert err.startswith("glassgrad graph: error: dot did not finish rendering a graph of "
                              "3 nodes as ") and err.count("\n") == 1
        assert "within 0.2 s" in err and "DOT_TIMEOUT" in err
    assert list(out_folder.iterdir()) == []


def test_output_where_no_file_can_be_made_is_bad_input(capsys, tmp_path, monkeypatch):
    """`-o /proc/g.svg` built and drew the graph, then failed with exit 1."""
    from cli_helpers import HAS_PROC, refuse_files_in
    odd = tmp_path / "odd"
    odd.mkdir()
    refuse_files_in(monkeypatch, odd)
    for option, name in (("-o", "g.svg"), ("--steps", "s.html")):
        status, out, err = run_graph(capsys, "x*x", "x=3", option, str(odd / name),
                                     "--engine", "builtin")
        assert status == 2 and out == ""
        assert err == (f"glassgrad graph: error: {option} {odd / name}: cannot write in the "
                       f"folder {odd} (making a file there fails: No such file or directory)\n")
        if HAS_PROC:
            status, out, err = run_graph(capsys, "x*x", "x=3", option, f"/proc/{name}",
                                         "--engine", "builtin")
            assert status == 2 and out == "" and err.startswith(
                f"glassgrad graph: error: {option} /proc/{name}: cannot write in the folder "
                f"/proc (")


def test_output_into_a_missing_folder_is_bad_input(capsys, tmp_path):
    status, out, err = run_graph(capsys, "x*x", "x=3", "-o", str(tmp_path / "no" / "g.svg"),
                                 "--engine", "builtin")
    assert status == 2 and out == ""
    assert err == f"glassgrad graph: error: -o {tmp_path / 'no' / 'g.svg'}: the folder " \
                  f"{tmp_path / 'no'} does not exist\n"


def test_a_failed_write_exits_1(capsys, tmp_path, monkeypatch):
    def disk_full(self, path):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(GraphDrawing, "save", disk_full)
    status, out, err = run_graph(capsys, "x*x", "x=3", "-o", str(tmp_path / "g.svg"),
                                 "--engine", "builtin")
    assert status == 1 and out == ""
    assert err == f"glassgrad graph: error: cannot write {tmp_path / 'g.svg'}: " \
                  "No space left on device\n"


def test_large_expressions_collapse(capsys, tmp_path):
    text = " + ".join(f"tanh(x*{i})" for i in range(1, 40))
    status, out, _ = run_graph(capsys, text, "x=0.1", "-o", str(tmp_path / "g.svg"),
                               "--max-nodes", "20", "--engine", "builtin")
    assert status == 0
    assert "Collapsed: " in (tmp_path / "g.svg").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------
# --steps: the page that walks through backpropagation
# ----------------------------------------------------------------------------------------------

def test_steps_writes_the_page_and_no_drawing(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_graph(capsys, *NEURON, "--steps", "backprop.html")
    assert status == 0 and err == ""
    assert out.splitlines()[1:] == ["  d/dx1 = -1.5000", "  d/dw1 = 1.0000", "  d/dx2 = 0.5000",
                                    "  d/dw2 = 0.0000", "  d/db = 0.5000",
                                    "wrote backprop.html (6 steps)"]
    html = (tmp_path / "backprop.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "step 6 of 6" in html
    assert [p.name for p in tmp_path.iterdir()] == ["backprop.html"]    # atomic: no leftovers


def test_steps_of_a_lone_variable_is_one_step_in_the_singular(capsys, tmp_path):
    status, out, err = run_graph(capsys, "x", "x=2", "--steps", str(tmp_path / "one.html"))
    assert status == 0 and out.splitlines()[-1] == f"wrote {tmp_path / 'one.html'} (1 step)"


def test_steps_with_output_writes_both(capsys, tmp_path):
    status, out, _ = run_graph(capsys, "x*x + x", "x=3", "--steps", str(tmp_path / "s.html"),
                               "-o", str(tmp_path / "g.svg"), "--engine", "builtin")
    assert status == 0 and out.splitlines()[-2:] == [
        f"wrote {tmp_path / 's.html'} (3 steps)", f"wrote {tmp_path / 'g.svg'} (builtin)"]
    assert "x: 1.0000 + 3.0000 = 4.0000" in (tmp_path / "s.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("argv, message", [
    (["x", "x=1", "--steps", "walk.svg"], "--steps 'walk.svg': the name must end in .html"),
    (["x", "x=1", "--steps", "no/walk.html"], "--steps no/walk.html: the folder no does not "
                                              "exist"),
    (["sqrt(x)", "x=0", "--steps", "walk.html"], "cannot differentiate at this point: "
                                                 "draw_backprop: backward of sqrt"),
])
def test_steps_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_graph(capsys, *argv)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("glassgrad graph: error: ") and message in err
    assert list(tmp_path.iterdir()) == []


def test_steps_failed_write_exits_1(capsys, tmp_path, monkeypatch):
    def disk_full(self, path):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(BackpropDrawing, "save", disk_full)
    status, out, err = run_graph(capsys, "x*x", "x=3", "--steps", str(tmp_path / "s.html"))
    assert status == 1 and out == ""
    assert err == f"glassgrad graph: error: cannot write {tmp_path / 's.html'}: " \
                  "No space left on device\n"


# ----------------------------------------------------------------------------------------------
# The dispatcher and `python -m nn.cli`
# ----------------------------------------------------------------------------------------------

def test_python_m_nn_cli_runs_and_bounds_huge_exponents(tmp_path):
    done = run_module("--help")
    assert done.returncode == 0 and "graph" in done.stdout
    done = run_module("graph", "2**10**10**10 * x", "x=1", "-o", str(tmp_path / "g.svg"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("glassgrad graph: error: the exponent 1e+10 is too large "
                           "(the limit is 1000)\n")
    done = run_module("graph", "x**x**x**x**x", "x=9", "-o", str(tmp_path / "g.svg"))
    assert done.returncode == 2 and "overflow" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(dot_module.find_dot() is None, reason="needs Graphviz's dot")
def test_a_long_expression_as_png_is_folded_and_says_who_drew_it(capsys, tmp_path):
    """A 40-step chain: Graphviz's own layout made one row 32767 px wide; the PNG now shows the
    built-in layout's rows, and the message says so (it said "(builtin)")."""
    text = "x" + "*1.01 + 0.01" * 40
    target = tmp_path / "longchain.png"
    status, out, err = run_graph(capsys, text, "x=1", "-o", str(target))
    assert status == 0 and err == ""
    assert out.splitlines()[-1] == f"wrote {target} (builtin layout, drawn by graphviz)"
    data = target.read_bytes()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width < 4000 and height > 500
    status, out, _ = run_graph(capsys, "x*x", "x=3", "-o", str(tmp_path / "short.png"))
    assert out.splitlines()[-1] == f"wrote {tmp_path / 'short.png'} (graphviz)"


def test_an_output_under_a_file_says_the_file_is_not_a_folder(capsys, tmp_path, monkeypatch):
    """`touch afile; glassgrad graph "x*x" x=3 -o afile/n.svg` said "the folder afile does not
    exist": it exists, as a file. Every command that writes a file checks the same way."""
    from cli_helpers import write_csv
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    csv = write_csv(tmp_path / "data.csv", ["x", "y"], [(i, 2 * i) for i in range(8)])
    commands = [["graph", "x*x", "x=3", "-o", "afile/n.svg"],
                ["graph", "x*x", "x=3", "--steps", "afile/deeper/s.html"],
                ["demo", "-o", "afile/pictures"],
                ["train", "--csv", str(csv), "--target", "y", "--out", "afile/m.npz"],
                ["predict", "--model", "m.npz", "--csv", str(csv), "--out", "afile/p.csv"]]
    for argv in commands:
        status = cli.main(argv)
        out, err = capsys.readouterr()
        given = argv[-1]
        assert (status, out) == (2, "") and err == \
            f"glassgrad {argv[0]}: error: {argv[-2]} {given}: afile is a file, not a folder\n", err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "data.csv"]


def test_the_steps_page_names_the_output_out_and_numbers_the_rest_one_by_one(capsys, tmp_path):
    """The page started "start at the output #9: d#9/d#9" and numbered #2, #5, #6, #8, #9."""
    status, out, _ = run_graph(capsys, *NEURON, "--steps", str(tmp_path / "s.html"),
                               "-o", str(tmp_path / "g.svg"), "--engine", "builtin")
    assert status == 0
    html = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert "start at the output out: dout/dout = 1.0000" in html
    assert "at out = tanh(#4), the gradient that arrived: 1.0000" in html
    drawn = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert ">out<" in drawn and ">out<" in html                 # the drawings show the name
    for k in range(1, 5):
        assert f">#{k}<" in html
    assert ">#5<" not in html
    status, out, _ = run_graph(capsys, "out*2", "out=3", "--steps", str(tmp_path / "t.html"))
    assert "start at the output output: doutput/doutput" in \
        (tmp_path / "t.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["θ", "é"])
def test_svg_on_stdout_is_utf8_whatever_the_console_encoding(monkeypatch, capsys, name):
    """`-o -` on Windows, redirected: the SVG went through the locale's code page (cp1252),
    so θ raised UnicodeEncodeError and é became the byte 0xe9 in a file that says UTF-8."""
    from cli_helpers import windows_stdout
    written = windows_stdout(monkeypatch)
    assert cli.main(["graph", f"{name}*{name}", f"{name}=3", "--engine", "builtin",
                     "-o", "-"]) == 0
    svg = written.getvalue().decode("utf-8")
    assert svg.startswith("<svg") or svg.startswith("<?xml")
    assert name in svg and "\r" not in svg
    ET.fromstring(svg)
