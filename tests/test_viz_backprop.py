"""autograd.viz.steps and autograd.viz.backprop: backpropagation recorded and drawn step by step.

The recording must be backward() itself (the same gradients, bit for bit, Values and Tensors),
and each step must say the truth: the op's own rule, local derivatives that match finite
differences, contributions that are gradient × local derivative, sums where paths meet. The
page must be self-contained and show the final state without JavaScript; the frames must be
standalone SVGs of one size.
"""

from __future__ import annotations

import json
import math
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, draw_backprop, graph, ops
from autograd import functional as F
from autograd.viz import BackpropDrawing, backprop, labels, page
from autograd.viz.rules import rule_text, rule_words
from autograd.viz.steps import record_backprop
from neuron_helpers import neuron_with_leaves as neuron

SVG = "{http://www.w3.org/2000/svg}"


def mazur(values=Value):
    """Mazur's 2-2-2 sigmoid network (notebook 1): the error and the eight weights."""
    w = [values(x, label=f"w{k}") for k, x in
         enumerate([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55], start=1)]
    i1, i2 = Value(0.05, requires_grad=False), Value(0.10, requires_grad=False)
    h1 = (w[0] * i1 + w[1] * i2 + 0.35).sigmoid()
    h2 = (w[2] * i1 + w[3] * i2 + 0.35).sigmoid()
    o1 = (w[4] * h1 + w[5] * h2 + 0.60).sigmoid()
    o2 = (w[6] * h1 + w[7] * h2 + 0.60).sigmoid()
    return 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2, w


def small_tensor_graph():
    x = Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]))
    W = Tensor(np.array([[0.1, 0.2, 0.3], [-0.4, 0.5, 0.6]]), requires_grad=True)
    b = Tensor(np.array([0.1, -0.2]), requires_grad=True)
    W.label, b.label = "W", "b"
    return ((x @ W.T + b).tanh() ** 2).sum(), [W, b]


# ----------------------------------------------------------------------------------------------
# The same gradients as backward()
# ----------------------------------------------------------------------------------------------

def test_neuron_gets_exactly_backwards_gradients():
    o, leaves = neuron()
    o.backward()
    expected = {name: v.grad for name, v in leaves.items()}
    o2, leaves2 = neuron()
    walk = draw_backprop(o2)
    assert {name: v.grad for name, v in leaves2.items()} == expected      # bit for bit
    assert {name: round(g, 12) for name, g in expected.items()} == {
        "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    assert isinstance(walk, BackpropDrawing) and len(walk) == len(walk.steps) == 6


@pytest.mark.filterwarnings("ignore:draw_backprop.*already hold:UserWarning")   # on purpose
def test_mazur_network_gets_exactly_backwards_gradients_and_accumulates_like_it():
    E, w = mazur()
    E.backward()
    E.backward(2.0)
    E2, w2 = mazur()
    draw_backprop(E2)
    draw_backprop(E2, 2.0)                  # a second walk adds up in the leaves, as backward does
    assert [p.grad for p in w2] == [p.grad for p in w]
    assert math.isclose(w2[4].grad / 3, 0.082167041, rel_tol=1e-8)      # the article's dE/dw5


def test_tensor_graph_gets_exactly_backwards_gradients():
    loss, params = small_tensor_graph()
    loss.backward()
    loss2, params2 = small_tensor_graph()
    walk = draw_backprop(loss2)
    for p, q in zip(params, params2):
        assert q.grad.shape == p.grad.shape and np.array_equal(q.grad, p.grad)
    b_step = next(s for s in walk.steps if s.op == "+")
    to_b = next(part for part in b_step.inputs if part.node is params2[1])
    assert to_b.contribution.shape == (2,)          # summed back over the broadcast rows


def test_intermediate_gradients_and_marks_are_as_after_backward():
    o, _ = neuron()
    o.backward()
    o2, _ = neuron()
    draw_backprop(o2)
    assert [n.grad for n in graph.walk(o2)] == [n.grad for n in graph.walk(o)]


# ----------------------------------------------------------------------------------------------
# What each step says
# ----------------------------------------------------------------------------------------------

def test_a_given_gradient_is_not_called_the_output_s_derivative_by_itself():
    """draw_backprop(y, 2.0) began "dy/dy = 2.0000", and a tensor's seed "du/du = a (2,)
    array": d y/d y is 1; what starts the walk is the gradient given, and it says so."""
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    steps = draw_backprop(y, 2.0).steps
    assert steps[0].lines() == ["start at the output y with the gradient given to it as dL/dy "
                                "(L: a result that y feeds into): 2.0000"]
    assert x.grad == 12.0
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="t")
    u = t * t
    u.label = "u"
    assert draw_backprop(u, np.array([1.0, -1.0])).steps[0].lines() == [
        "start at the output u with the gradient given to it as dL/du (L: a result that u "
        "feeds into): a (2,) array of norm 1.4142"]
    z = Value(0.5, label="a").tanh()
    z.label = "z"
    assert draw_backprop(z, 1.0).steps[0].lines() == ["start at the output z: dz/dz = 1.0000"]


def test_first_step_is_the_seed_and_the_tanh_step_quotes_its_rule():
    o, _ = neuron()
    steps = draw_backprop(o).steps
    assert steps[0].is_seed and steps[0].node is o and steps[0].arrived == 1.0
    assert steps[0].lines() == ["start at the output o: do/do = 1.0000"]
    tanh = steps[1]
    assert tanh.op == "tanh" and tanh.node is o and tanh.arrived == 1.0
    (part,) = tanh.inputs
    assert part.derivative == "1 − tanh(#4)²" and part.local == pytest.approx(0.5)
    assert tanh.lines()[0] == "at o = tanh(#4), the gradient that arrived: 1.0000"
    assert "do/d#4 = 1 − tanh(#4)² = 0.5000" in tanh.lines()[1]


def test_a_label_that_is_a_formula_is_bracketed_after_the_d():
    """The lecture labels its nodes with their formulas, 'x1*w1' and 'x1*w1 + x2*w2': after the
    d of a derivative such a label is bracketed, spaces or not ('dx1*w1/dx1 = w1' read as
    (d x1 / d x1) * w1); a plain name, 'w1', '#3', '0.weight', 'h_1', is not."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"                # noqa: E702 (the lecture's style)
    x2w2 = x2 * w2; x2w2.label = "x2*w2"                # noqa: E702
    total = x1w1 + x2w2; total.label = "x1*w1 + x2*w2"  # noqa: E702
    text = "\n".join(line for step in record_backprop(total) for line in step.lines())
    assert "d(x1*w1 + x2*w2)/d(x1*w1) = 1" in text and "d(x1*w1)/dx1 = w1 = -3.0000" in text
    assert "d(x2*w2)/dw2 = x2 = 0.0000" in text and "dx1/" not in text
    for name in ("w1", "#3", "0.weight", "h_1", "tanh(x)"):
        weight = Value(1.5, label=name)
        y = weight * 2.0
        y.label = "y"
        assert f"dy/d{name} = 2" in record_backprop(y)[1].lines()[1], name
    for name in ("a-b", "a^2", "x·w"):
        y = Value(1.5, label=name) * 2.0
        y.label = "y"
        assert f"dy/d({name}) = 2" in record_backprop(y)[1].lines()[1], name


@pytest.mark.filterwarnings("ignore:draw_backprop.*already hold:UserWarning")   # on purpose
def test_the_sin_and_cos_steps_quote_their_rules_with_the_numbers():
    """The chain rule of f(x) = sin(x) x², and of cos, in the words the steps show."""
    x = Value(1.3, label="x")
    y = x.sin() * x ** 2
    y.label = "y"
    z = x.cos()
    z.label = "z"
    sin = next(s for s in draw_backprop(y).steps if s.op == "sin")
    cos = next(s for s in draw_backprop(z).steps if s.op == "cos")
    assert sin.formula == "sin(x)" and sin.inputs[0].derivative == "cos(x)"
    assert cos.formula == "cos(x)" and cos.inputs[0].derivative == "−sin(x)"
    assert sin.lines()[1] == ("d#1/dx = cos(x) = 0.2675  →  x gets 1.6900 × 0.2675 "
                              "= 0.4521")
    assert cos.lines()[1] == ("dz/dx = −sin(x) = -0.9636  →  x gets 1.0000 × (-0.9636) "
                              "= -0.9636")


def test_every_op_node_is_one_step_after_all_its_consumers():
    E, _ = mazur()
    steps = record_backprop(E)
    ops_in_graph = [n for n in graph.walk(E) if not n.is_leaf]
    ran = [s.node for s in steps[1:]]
    assert sorted(map(id, ran)) == sorted(map(id, ops_in_graph))
    done = set()
    for step in steps[1:]:
        consumers = [n for n in ops_in_graph if any(p is step.node for p in n.parents)]
        assert all(id(c) in done for c in consumers)
        done.add(id(step.node))


def _finite_difference(op, ctx, inputs, i, h=1e-6):
    up, down = list(inputs), list(inputs)
    up[i] += h
    down[i] -= h
    return (op.forward(ctx, *up) - op.forward(ctx, *down)) / (2 * h)


def test_local_derivatives_match_finite_differences_and_contributions_are_products():
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    out = ((x / y - x ** 3).exp() + (x * y).log() + (-y).sigmoid() + (x ** y).sqrt()
           + (x - y).tanh() + abs(x - 2.0) * 3.0 + (x * y).sin() * (y - x).cos())
    steps = record_backprop(out)
    checked = set()
    for step in steps[1:]:
        inputs, ctx = step.node._layout()
        payloads = [p.data for p in inputs]
        for i, part in enumerate(step.inputs):
            if step.node._fn is ops.Abs:            # its ctx is the sign, fixed by the caller
                expected = ctx
            else:
                expected = _finite_difference(step.node._fn, ctx, payloads, i)
            assert part.local == pytest.approx(expected, rel=1e-6, abs=1e-8), step.op
            assert part.contribution == pytest.approx(step.arrived * part.local, rel=1e-12)
            checked.add(step.node._fn.__name__)
    assert {"PowConst", "Exp", "Log", "Sigmoid", "Pow", "Sqrt", "Tanh", "Sub", "Neg",
            "Abs", "MulConst", "AddConst", "Add", "Mul", "Sin", "Cos"} <= checked


def test_gradients_add_up_where_paths_meet():
    x = Value(3.0, label="x")
    y = x * x + x
    steps = record_backprop(y)
    to_x = [part for s in steps[1:] for part in s.inputs if part.node is x]
    assert [p.contribution for p in to_x] == [1.0, 3.0, 3.0]
    assert [p.grad for p in to_x] == [1.0, 4.0, 7.0] and x.grad == 7.0
    text = "\n".join(line for s in steps for line in s.lines())
    assert "x: 1.0000 + 3.0000 = 4.0000" in text and "x: 4.0000 + 3.0000 = 7.0000" in text


def test_a_negative_contribution_is_added_in_brackets():
    x = Value(2.0, label="x")
    y = x * 3 + x * -1
    lines = [line for step in record_backprop(y) for line in step.lines()]
    assert "x: 3.0000 + (-1.0000) = 2.0000" in lines


def test_a_plus_a_sends_two_contributions_to_one_node():
    a = Value(2.0, label="a")
    s = a + a
    steps = record_backprop(s)
    (add,) = steps[1:]
    assert [p.node for p in add.inputs] == [a, a] and [p.name for p in add.inputs] == ["a", "a"]
    assert a.grad == 2.0 and add.lines()[-1] == "a: 1.0000 + 1.0000 = 2.0000"


def test_a_relu_that_is_off_passes_nothing_and_what_lies_behind_gets_no_step():
    w, x = Value(-2.0, label="w"), Value(1.0, label="x")
    z = w * x
    out = z.relu() + w
    steps = record_backprop(out)
    relu = next(s for s in steps if s.op == "ReLU")
    (part,) = relu.inputs
    assert part.local == 0.0 and part.contribution is None and part.grad is None
    assert "no gradient passes to #1" in relu.lines()[1]
    assert all(s.node is not z for s in steps)          # z got nothing: skipped, as backward does
    assert (w.grad, x.grad, z.grad) == (1.0, 0.0, 0.0)


def _hidden_relus(out):
    from autograd.graph import walk
    return [n for n in walk(out) if n.op == "relu" and n is not out]


def test_the_record_and_backward_agree_to_the_bit_on_a_relu_network():
    """Both walk the same pruned order, so the leaves' sums are added in the same order."""
    import random

    def network(params):
        rows = [[0.3, -1.2], [-0.7, 0.4], [1.5, 0.9], [-0.2, -0.8]]
        hidden = [sum((p * x for p, x in zip(params[2 * j:2 * j + 2], row)), params[8 + j]).relu()
                  for row in rows for j in range(4)]
        return sum(h * (1 if i % 2 else -1) for i, h in enumerate(hidden)).relu()

    random.seed(7)                      # the output is on, 14 of the 16 hidden ReLUs are off
    numbers = [random.uniform(-1, 1) for _ in range(12)]
    eager, recorded = [Value(n) for n in numbers], [Value(n) for n in numbers]
    out = network(eager)
    assert out.data > 0 and sum(h.data == 0 for h in _hidden_relus(out)) > 0
    out.backward()
    record_backprop(network(recorded))
    assert [p.grad for p in recorded] == [p.grad for p in eager]
    assert any(p.grad != 0 for p in eager)


def test_constants_are_named_and_get_nothing():
    x = Value(2.0, label="x")
    c = Value(5.0, label="c", requires_grad=False)
    y = (x * 3) * c
    steps = record_backprop(y)
    outer, inner = steps[1], steps[2]
    assert "c is a constant: it wants no gradient" in "\n".join(outer.lines())
    assert inner.formula == "x * 3" and "d#1/dx = 3  →  x gets" in inner.lines()[1]
    assert x.grad == 15.0 and c.grad == 0.0


def test_a_number_operand_is_named_after_the_derivative_not_inside_an_equation():
    # "= c * x^(c-1), and 0 for c = 0 where c = 2 = 6.0000" read as if c were 6: the number
    # is written in the rule instead (a node may well be labelled c)
    x = Value(3.0, label="x")
    line = record_backprop(x ** 2)[1].lines()[1]
    assert line.startswith("d#1/dx = 2 * x^(2-1) = 6.0000  →  x gets ")


def test_a_number_operand_is_written_with_the_digits_of_the_factor_it_is():
    """x * pi read "d#1/dx = 3.14  →  x gets 1.0000 × 3.1416": one number, two values."""
    x = Value(0.25, label="x")
    out = x * math.pi
    out.label = "y"
    assert record_backprop(out)[1].lines()[1] == "dy/dx = 3.1416  →  x gets 1.0000 × 3.1416 = " \
                                                 "3.1416"
    half = x * 0.5
    half.label = "h"
    assert record_backprop(half)[1].lines()[0].startswith("at h = x * 0.5,")


def test_the_op_box_writes_a_number_operand_as_the_step_does():
    """The box said "* 3.14" beside a step saying "y = x * 3.1416"."""
    x = Value(0.25, label="x")
    walk = draw_backprop(x * math.pi)
    assert ("* 3.1416",) in [box.fields for box in walk.scene.boxes]
    assert "* 3.1416" in walk.steps[1].lines()[0]
    base = draw_backprop(Value(1.0, label="x") * 0.5)
    assert ("* 0.5",) in [box.fields for box in base.scene.boxes]


def test_a_negative_number_operand_is_bracketed():
    """micrograd's x - 1 read "at #1 = x + -1" (and its box "+ -1")."""
    x = Value(2.0, label="x")
    walk = draw_backprop(x - 1)
    assert walk.steps[1].lines()[0].startswith("at #1 = x + (-1),")
    assert ("+ (-1)",) in [box.fields for box in walk.scene.boxes]
    scaled = record_backprop(Value(2.0, label="x") * -1.5)[1].lines()
    assert scaled[1].startswith("d#1/dx = (-1.5)  →  x gets 1.0000 × (-1.5000)"), scaled


def test_a_rule_with_a_remark_is_bracketed_before_its_value():
    """A ReLU's step read "= 1 where the output is positive, else 0 = 1.0000": else 0 = 1."""
    x = Value(2.0, label="x")
    line = record_backprop(x.relu())[1].lines()[1]
    assert line.startswith("d#1/dx = (1 where the output is positive, else 0) = 1.0000  →  "), line


def test_a_number_base_is_named_too():
    # 2 ** x keeps its base in ctx like x ** 2 keeps its exponent; the step said "c^x * ln(c)"
    # without ever saying what c is
    x = Value(3.0, label="x")
    line = record_backprop(2 ** x)[1].lines()[1]
    assert line.startswith("d#1/dx = 2^x * ln(2) = 5.5452  →  x gets ")


def test_the_seed_step_brackets_an_output_label_with_spaces():
    """'do "out"/do "out"' read as a fraction of two words; the label is bracketed instead."""
    x = Value(2.0, label="x")
    y = x * x
    y.label = "my loss"
    assert record_backprop(y)[0].lines() == [
        "start at the output my loss: d(my loss)/d(my loss) = 1.0000"]
    y.label = "a/b"
    assert record_backprop(y)[0].lines()[0].endswith("d(a/b)/d(a/b) = 1.0000")


def test_the_slope_of_leaky_relu_is_named():
    # F.leaky_relu on a Value is one op with its slope in ctx: its box and its step say which
    x = Value(-2.0, label="x")
    y = F.leaky_relu(x, 0.1)
    assert labels.op_text(y) == "leaky_relu 0.1"
    line = record_backprop(y)[1].lines()[1]
    assert line.startswith("d#1/dx = 1 if x > 0 else 0.1 = 0.1000  →  ")


def test_tensor_steps_give_the_rule_and_the_sizes():
    loss, _ = small_tensor_graph()
    steps = record_backprop(loss)
    assert steps[0].lines() == ["start at the output #7: d#7/d#7 = 1.0000"]
    matmul = next(s for s in steps if s.op == "matmul")
    assert all(part.local is None and part.form == "gradient" for part in matmul.inputs)
    lines = matmul.lines()              # one rule per input, in the graph's names
    assert lines[1] == "#1 gets (d#7/d#3) @ #2ᵀ  →  #1 is a constant: it wants no gradient"
    assert re.fullmatch(r"#2 gets #1ᵀ @ \(d#7/d#3\) = a \(3, 2\) array of norm \d\.\d{4}",
                        lines[2])
    tanh = next(s for s in steps if s.op == "tanh")
    assert tanh.lines()[1].startswith("d#5/d#4 = 1 − tanh(#4)²  →  #4 gets d#7/d#5 ⊙ that = "
                                      "a (2, 2) array")


def test_a_broadcast_input_is_said_to_get_the_copies_summed():
    h = Tensor(np.ones((5, 4)), requires_grad=True, label="h")
    b = Tensor(np.zeros(4), requires_grad=True, label="b")
    s = Tensor(np.array(2.0), requires_grad=True, label="s")
    z = (h + b) * s
    z.label = "z"
    add = next(step for step in record_backprop(z.sum()) if step.op == "+")
    lines = add.lines()                 # dz/db ⊙ the (5, 4) gradient is (5, 4): b's is its sum
    assert lines[1].startswith("d#1/dh = 1  →  h gets d#2/d#1 ⊙ that = a (5, 4) array")
    assert lines[2].startswith("d#1/db = 1  →  b gets d#2/d#1 ⊙ that, summed to (4,) = "
                               "a (4,) array of norm 20.0000")
    times = next(step for step in record_backprop(((h + b) * s).sum()) if step.op == "*")
    assert ", summed to ()" in times.lines()[2]


def test_a_reduced_input_is_said_to_get_the_gradient_copied_not_summed():
    """A product or a norm over a (2, 3) tensor sends one gradient per slice back to each of
    the slice's elements: copied to (2, 3), not "summed to (2, 3)" (that is broadcasting)."""
    a = Tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True, label="a")
    for result in (a.prod(), a.prod(axis=1).sum(), a.norm()):
        step = next(s for s in record_backprop(result) if s.op in ("prod", "norm"))
        line = step.lines()[1]
        assert "summed" not in line, line
        assert re.search(r"a gets (1|\(d#\d/d#\d\)) \(copied to \(2, 3\)\) ⊙ that = ", line), line


def test_a_where_step_tells_each_branch_its_part_by_its_own_name():
    """Where's docstring says "the gradient goes to a where the condition holds, else to b";
    quoted as is beside a learner's "a" that is the second branch (nansum's where(isnan(a), 0,
    a)) it said the opposite of what happens."""
    first = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="b")
    second = Tensor(np.array([3.0, 4.0]), requires_grad=True, label="a")
    picked = autograd.where(np.array([True, False]), first, second)
    picked.label = "w"
    step = next(s for s in record_backprop(picked.sum()) if s.op == "where")
    lines = step.lines()
    assert lines[1].startswith("b gets d#1/dw where the condition holds, 0 elsewhere  →  "), lines
    assert "a gets" in lines[2] and "where the condition does not hold, 0 elsewhere" in lines[2]
    np.testing.assert_array_equal(first.grad, [1.0, 0.0])
    np.testing.assert_array_equal(second.grad, [0.0, 1.0])


@pytest.mark.parametrize("make, bounds", [
    (lambda x: nn_functional().hardtanh(x), "low = -1, high = 1"),
    (lambda x: nn_functional().hardtanh(x, -0.5, 2.0), "low = -0.5, high = 2"),
    (lambda x: nn_functional().relu6(x), "low = 0, high = 6"),
])
def test_a_hardtanh_step_names_its_bounds_and_where_its_slope_is_1(make, bounds):
    """hardtanh and relu6 are one op (they were a `where` over a clip, whose step named the
    condition): the step says the bounds that ran and that the slope is 1 strictly inside."""
    x = Tensor(np.array([[-2.0, 0.5], [3.0, 7.0]]), requires_grad=True, label="x")
    step = next(s for s in record_backprop(make(x).sum()) if s.op == "hardtanh")
    lines = step.lines()
    assert f"= hardtanh(x) with {bounds}, " in lines[0], lines
    assert "/dx = 1 if low < x < high else 0" in lines[1], lines


@pytest.mark.parametrize("make, says", [
    (lambda x: x.tril(), "column ≤ row"),
    (lambda x: x.tril(-1), "column ≤ row - 1"),
    (lambda x: x.triu(1), "column ≥ row + 1"),
    (lambda x: x.masked_fill(np.array([[True, False]]), 0.0), "the mask"),
    (lambda x: x.fmax(Tensor(np.zeros((2, 2)), label="y")), "(x ≥ y or y is NaN)"),
    (lambda x: x.fmin(Tensor(np.zeros((2, 2)), label="y")), "(x ≤ y or y is NaN)"),
])
def test_a_where_step_names_its_condition(make, says):
    """tril and masked_fill are a `where`: their steps said "where the condition holds"
    without saying which condition. (threshold and hardshrink were too: see below.)"""
    x = Tensor(np.array([[-2.0, 0.5], [3.0, 7.0]]), requires_grad=True, label="x")
    step = next(s for s in record_backprop(make(x).sum()) if s.op == "where")
    lines = step.lines()
    assert f"where({says.strip('()')}, " in lines[0], lines
    assert any(f"where {says} holds, 0 elsewhere" in line for line in lines[1:]), lines
    assert any(f"where {says} does not hold, 0 elsewhere" in line for line in lines[1:]), lines


@pytest.mark.parametrize("make, op, numbers, slope", [
    (lambda x: nn_functional().threshold(x, 0.5, -3.0), "threshold", "t = 0.5, v = -3",
     "/dx = 0 if x ≤ t else 1"),
    (lambda x: nn_functional().hardshrink(x), "hardshrink", "λ = 0.5",
     "/dx = 0 if |x| ≤ λ else 1"),
])
def test_threshold_and_hardshrink_steps_name_their_numbers(make, op, numbers, slope):
    """threshold and hardshrink are ops of their own (s32; they were a `where`): the step says
    the numbers that ran and where the slope is 0."""
    x = Tensor(np.array([[-2.0, 0.5], [3.0, 7.0]]), requires_grad=True, label="x")
    step = next(s for s in record_backprop(make(x).sum()) if s.op == op)
    lines = step.lines()
    assert f"= {op}(x) with {numbers}, " in lines[0], lines
    assert slope in lines[1], lines


def test_an_average_pool_says_why_it_is_drawn_as_a_convolution():
    """avg_pool2d is a conv2d with a constant kernel: the page showed "#3 = #1 ⋆ #2" with no
    word of pooling or of what #2 is."""
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True, label="image")
    walk = draw_backprop(F.avg_pool2d(x, 2).sum())
    conv = next(step for step in walk.steps if step.op == "conv2d")
    assert conv.lines()[0].startswith("at window means = (each channel alone) ⋆ (avg_pool "
                                      "weights: 1/4 each): each output pixel is the sum"), conv
    uneven = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    pooled = F.avg_pool2d(uneven, 2, stride=2, padding=1, count_include_pad=False)
    steps = record_backprop(pooled.sum())
    names = {step.name for step in steps} | {part.name for step in steps for part in step.inputs}
    assert {"window sums", "1 / pixels in each window", "avg_pool weights: 1 each"} <= names


def nn_functional():
    import nn.functional
    return nn.functional


def test_a_subscript_of_a_rule_keeps_its_indices():
    """conv2d's "db = Σ_{n,h,w} g" sums over the batch, height and width: the w is no weight
    (it read "Σ_{n,h,conv.weight}" once the letters took the graph's names)."""
    x = Tensor(np.ones((1, 1, 3, 3)), label="x")
    w = Tensor(np.full((2, 1, 2, 2), 0.5), requires_grad=True, label="conv.weight")
    b = Tensor(np.zeros(2), requires_grad=True, label="conv.bias")
    out = F.conv2d(x, w, b)
    out.label = "y"
    step = next(s for s in record_backprop(out.sum()) if s.op == "conv2d")
    lines = step.lines()
    assert lines[2].startswith("conv.weight gets (d#1/dy) × the window of x it came from, "
                               "summed over the windows and the batch  →  "), lines
    assert lines[3].startswith("conv.bias gets Σ_{n,h,w} (d#1/dy) = "), lines


def test_a_convolution_step_says_what_its_gradients_are_not_the_codes_function_names():
    """conv2d's rules read "conv_input_grad((dL/d#1), kernel)": names of functions in the
    code; the step says what they compute."""
    x = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True, label="img")
    w = Tensor(np.full((2, 1, 2, 2), 0.5), requires_grad=True, label="kernel")
    for conv, lines in ((F.conv2d, [
            "at y = img ⋆ kernel: each output pixel is the sum of its window of img times "
            "kernel,",
            "img gets kernel × (d#1/dy) summed at each pixel over the windows it was in (the "
            "transposed convolution of (d#1/dy) with kernel) = "]),
            (F.conv_transpose2d, [
             "at y = the transposed convolution: each pixel of img adds itself times kernel "
             "onto its window of the output,",
             "img gets at each pixel, the sum of its window of (d#1/dy) times kernel (the "
             "convolution of (d#1/dy) with kernel)  →  "])):
        weight = w if conv is F.conv2d else Tensor(w.data.transpose(1, 0, 2, 3),
                                                   requires_grad=True, label="kernel")
        out = conv(x, weight)
        out.label = "y"
        step = next(s for s in record_backprop(out.sum()) if s.op == conv.__name__)
        for line, start in zip(step.lines(), lines):
            assert line.startswith(start), line
        assert "_grad(" not in "".join(step.lines())


def test_a_rule_that_uses_the_output_names_it_as_the_drawing_does():
    """Softmax's rule "y * (g − Σ g*y)" and Div's "−out/b" speak of the op's output: the step
    writes its name there (a learner's own y, the labels, must not seem to appear in it)."""
    z = Tensor(np.array([[1.0, 2.0, 0.5]]), requires_grad=True, label="z")
    y = Tensor(np.array([[0.0, 1.0, 0.0]]), label="y")
    p = F.softmax(z, axis=1)
    p.label = "p"
    loss = (p * y).sum()
    loss.label = "L"
    softmax = next(s for s in record_backprop(loss) if s.op == "softmax")
    assert softmax.lines()[1].startswith("z gets p * ((dL/dp) − Σ (dL/dp)*p), Σ along axis "
                                         "1  →  "), softmax.lines()
    a = Tensor(np.array([3.0]), requires_grad=True, label="a")
    b = Tensor(np.array([2.0]), requires_grad=True, label="b")
    q = a / b
    q.label = "q"
    div = record_backprop(q.sum())[2]
    assert div.lines()[2].startswith("dq/db = −a/b² = −q/b  →  b gets "), div.lines()
    theta = Value(0.5, label="y").atan2(Value(2.0, label="x"))      # here y is an input
    assert record_backprop(theta)[1].lines()[1].startswith("d#1/dy = x / (x² + y²) = ")


@pytest.mark.parametrize("bias", [True, False])
def test_a_linear_step_names_each_input_and_gives_its_own_rule(bias):
    """The fused linear op's docstring gives one product per input ("dx = G W, dW = Gᵀ x, db =
    Σ_rows G"): each input gets its own line, under its name (not x1, x2, x3 and the whole
    rule three times); without a bias, x and W."""
    x = Tensor(np.ones((2, 3)), label="x")
    W = Tensor(np.full((4, 3), 0.5), requires_grad=True, label="W")
    b = Tensor(np.zeros(4), requires_grad=True, label="b") if bias else None
    loss = F.linear(x, W, b).sum()
    step = next(s for s in record_backprop(loss) if s.op == "linear")
    assert [part.name for part in step.inputs] == ["x", "W", "b"][:2 + bias]
    lines = step.lines()
    assert lines[1] == "x gets (d#2/d#1) @ W  →  x is a constant: it wants no gradient"
    assert lines[2].startswith("W gets (d#2/d#1)ᵀ @ x = a (4, 3) array")
    assert not bias or lines[3].startswith("b gets Σ_rows (d#2/d#1) = a (4,) array")


def test_every_ops_docstring_gives_a_rule():
    for name in ops.__all__:
        op = getattr(ops, name)
        formula, partials = rule_text(op)
        assert formula and rule_words(op), name
        assert all(text for text in partials.values()), name
    assert rule_text(ops.Div) == ("a / b", {"a": "1/b", "b": "−a/b² = −out/b"})


def test_the_rules_of_two_input_functions_are_their_formulas_alone():
    """A remark after a rule ("both 0 at the origin") is not part of the formula a step
    quotes."""
    assert rule_text(ops.Atan2) == ("atan2(y, x)", {"y": "x / (x² + y²)", "x": "−y / (x² + y²)"})
    assert rule_text(ops.Hypot) == ("hypot(a, b)", {"a": "a / hypot(a, b)",
                                                    "b": "b / hypot(a, b)"})


# ----------------------------------------------------------------------------------------------
# The drawing at every step
# ----------------------------------------------------------------------------------------------

def _box_texts(svg_text: str) -> dict[str, list[str]]:
    root = ET.fromstring(svg_text.encode("utf-8"))
    return {g.get("id"): [t.text.replace("\xa0", "") for t in g.iter(f"{SVG}text")]
            for g in root.iter(f"{SVG}g") if g.get("id")}


def test_frames_fill_in_gradients_as_the_walk_goes():
    o, _ = neuron()
    walk = draw_backprop(o)
    first, last = walk.texts_at(0), walk.texts_at(len(walk) - 1)
    assert first["n9"].strip("\xa0") == "grad 1.0000"       # the output's gradient 1
    assert first["n8"].strip("\xa0") == "grad not yet"       # not reached yet
    assert first["n0"].strip("\xa0") == "grad not yet"       # a leaf: its fresh 0 is "not yet" too
    final = {k: v.strip("\xa0") for k, v in last.items()}
    assert (final["n0"], final["n1"], final["n7"]) == ("grad -1.5000", "grad 1.0000",
                                                       "grad 0.5000")


def test_frames_are_standalone_svgs_of_one_size_with_the_step_in_the_caption(tmp_path):
    o, _ = neuron()
    walk = draw_backprop(o)
    folder = walk.save(f"{tmp_path}/frames/")
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == [f"step_{k:03d}.svg" for k in range(1, 7)]
    sizes = set()
    for k, path in enumerate(files):
        root = ET.parse(path).getroot()
        rects = tuple(r.get("width") for r in root.iter(f"{SVG}rect"))
        sizes.add((root.get("width"), root.get("height"), rects))   # padded texts: same boxes
        captions = " ".join(t.text for t in root.iter(f"{SVG}text")
                            if "caption" in (t.get("class") or ""))
        assert f"step {k + 1} of 6" in captions
    assert len(sizes) == 1                                  # slides do not jump
    last = _box_texts(files[-1].read_text(encoding="utf-8"))
    assert last["n0"][-1] == "grad -1.5000" and last["n7"][-1] == "grad 0.5000"
    first = files[0].read_text(encoding="utf-8")
    assert backprop.HOT_FILL in first and "start at the output o" in first


def test_saving_frames_into_an_existing_folder_needs_no_slash(tmp_path):
    o, _ = neuron()
    draw_backprop(o).save(tmp_path)
    assert len(list(tmp_path.glob("step_*.svg"))) == 6


def test_saving_frames_again_replaces_an_earlier_walks_frames(tmp_path):
    o, _ = neuron()
    draw_backprop(o).save(tmp_path)                         # 6 steps
    (tmp_path / "step_0042.svg").write_text("<svg/>")      # padded as a 1,000-step walk pads
    (tmp_path / "step_notes.svg").write_text("<svg/>")     # not a name save gives: kept
    x = Value(2.0, label="x")
    draw_backprop(x * 3).save(tmp_path)                     # 2 steps
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        ["step_001.svg", "step_002.svg", "step_notes.svg"]
    assert "step 2 of 2" in (tmp_path / "step_002.svg").read_text(encoding="utf-8")


def test_the_page_is_self_contained_and_shows_the_final_state_without_javascript(tmp_path):
    o, _ = neuron()
    path = draw_backprop(o).save(tmp_path / "backprop.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    # nothing to fetch: no src/href attributes, no links, no URLs but the SVG namespace
    assert not re.search(r"\b(src|href)\s*=", html) and "<link" not in html
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert html.count("<svg") == 1 and "step 6 of 6" in html
    svg_text = html[html.index("<svg"):html.index("</svg>") + 6]
    boxes = {k.rsplit("-", 1)[1]: v for k, v in _box_texts(svg_text).items()}
    assert boxes["n0"][-1] == "grad -1.5000" and boxes["n1"][-1] == "grad 1.0000"
    assert boxes["n7"][-1] == "grad 0.5000"                 # x1, w1, b as micrograd has them
    data = json.loads(re.search(r'class="gg-data">(.*?)</script>', html, re.S).group(1))
    assert len(data["frames"]) == 6 and data["frames"][0]["hot"] == ["n9", "op9"]


def test_the_page_says_what_its_highlight_colours_mean():
    o, _ = neuron()
    legend = re.search(r'<span class="gg-legend">(.*?)</span>\n</div>', draw_backprop(o).html(),
                       re.S).group(1)
    assert backprop.HOT_FILL in legend and "rule runs" in legend
    assert backprop.TARGET_FILL in legend and "receive a gradient" in legend


def test_labels_cannot_break_out_of_the_page():
    x = Value(1.0, label="</script><script>alert(1)</script>")
    html = draw_backprop(x * x).html()
    assert html.count("<script") == 2 and "alert(1)</script>" not in html


def test_widgets_on_one_page_have_their_own_ids():
    o, _ = neuron()
    walk = draw_backprop(o)
    first, second = walk.html(), walk.html()
    ids = re.findall(r' id="([^"]+)"', first + second)
    assert len(ids) == len(set(ids))
    assert 'url(#glassgrad-arrow)' not in first             # the marker is renamed with the rest


_WIDGET_ID = """
import re, sys
sys.path.insert(0, sys.argv[1])
from autograd import Value, draw_backprop
x = Value(2.0, label="x")
print(re.search(r'class="glassgrad-backprop" id="([^"]+)"', draw_backprop(x * x).html())[1])
"""


def test_a_notebook_run_again_saves_the_same_widget():
    # the ids were random: every run of a notebook changed its saved HTML (noise in git diffs)
    root = str(pathlib.Path(__file__).resolve().parents[1])
    ids = [subprocess.run([sys.executable, "-c", _WIDGET_ID, root], capture_output=True,
                          text=True, check=True).stdout.strip() for _ in range(2)]
    assert ids[0].startswith("gg-backprop-") and ids[0] == ids[1]


def test_widget_ids_follow_what_the_widget_shows():
    ids = [re.search(r'class="glassgrad-backprop" id="([^"]+)"',
                     draw_backprop(Value(2.0, label="x") * k).html())[1] for k in (3.0, 4.0)]
    assert ids[0] != ids[1]


def test_a_saved_page_is_the_same_bytes_each_time(tmp_path):
    o, _ = neuron()
    walk = draw_backprop(o)
    first, second = walk.save(tmp_path / "a.html"), walk.save(tmp_path / "b.html")
    assert first.read_bytes() == second.read_bytes()


def test_renaming_the_ids_leaves_the_labels_alone():
    x = Value(2.0, label='url(#x) id="y"')
    html = draw_backprop(x * 3).html()
    svg_text = html[html.index("<svg"):html.index("</svg>") + 6]
    assert [t.text for t in ET.fromstring(svg_text).iter(f"{SVG}text")
            if "url" in (t.text or "")] == ['url(#x) id="y"']


def test_a_big_graph_is_drawn_collapsed_and_stepped_through(rng):
    xs = [Value(float(v), requires_grad=False) for v in rng.normal(size=40)]
    ws = [Value(float(v), label=f"w{i}") for i, v in enumerate(rng.normal(size=40))]
    def build():
        total = Value(0.0, requires_grad=False)
        for a, b in zip(xs, ws):
            total = total + (a * b).tanh()
        return total
    ref = build()
    ref.backward()
    expected = [w.grad for w in ws]
    for w in ws:
        w.zero_grad()
    walk = draw_backprop(build(), max_nodes=30)
    assert [w.grad for w in ws] == expected
    assert all(box.kind == "group" for box in walk.scene.boxes)
    assert "Collapsed" in walk.scene.caption
    hot = {name for k in range(len(walk)) for name in walk._frames[k]["hot"]}
    assert hot and all(name.startswith("g") for name in hot)
    last = {k: v.strip("\xa0") for k, v in walk.texts_at(len(walk) - 1).items()}
    assert all("?" not in t for t in last.values())         # the end: everything known
    weights = next(b.name for b in walk.scene.boxes if b.fields[0].startswith("40 leaves: w0"))
    assert last[weights] == f"grad {min(expected):.3g} … {max(expected):.3g}"
    assert walk.texts_at(0)[weights].strip("\xa0") == "grad not yet"   # before: all 0


def test_saves_are_atomic(tmp_path, monkeypatch):
    o, _ = neuron()
    walk = draw_backprop(o)
    path = walk.save(tmp_path / "page.html")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(page, "document", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        walk.save(path)
    assert path.read_bytes() == before                      # the old file, untouched
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]    # no temporary left


# ----------------------------------------------------------------------------------------------
# Bad arguments
# ----------------------------------------------------------------------------------------------

def test_a_value_whose_data_is_not_a_number_is_named_as_backward_names_it():
    """`p.data -= lr * p` (.grad forgotten): + and * carry the Value along. The walk failed with
    "float(v) (or a math function of v)", which the learner never wrote, and an array in .data
    with "an output of shape (2,) needs a gradient", as if it were a Tensor."""
    p, x = Value(1.0, label="p"), Value(2.0, label="x")
    p.data -= 0.1 * p
    with pytest.raises(TypeError, match=r"^draw_backprop: this Value's \.data is a Value, not a "
                                        r"number: .*was `p\.data -= lr \* p` written for"):
        draw_backprop(p * x + 1)
    p.data = np.array([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^draw_backprop: this Value's \.data is a ndarray"):
        draw_backprop(p * x + 1)
    assert x.grad == 0.0                                        # refused before it ran

def test_bad_arguments_get_clear_errors(tmp_path, monkeypatch):
    o, _ = neuron()
    with pytest.raises(TypeError, match="draw_backprop: expected a Value or a Tensor, got float"):
        draw_backprop(1.5)
    with pytest.raises(RuntimeError, match="draw_backprop: this result does not require grad.*"
                                           "no backward pass to show"):
        draw_backprop(Value(1.0, requires_grad=False) * 2)
    with pytest.raises(ValueError, match="draw_backprop: rankdir must be one of"):
        draw_backprop(o, rankdir="up")
    with pytest.raises(ValueError, match="draw_backprop: max_nodes must be a positive int"):
        draw_backprop(o, max_nodes=0)
    with pytest.raises(TypeError, match="gradient must be a number for a Value, got str"):
        draw_backprop(o, "1")
    t = Tensor(np.ones(3), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"shape \(3,\) needs a gradient of that shape"):
        draw_backprop(t)
    with pytest.raises(ValueError, match=r"the output has shape \(3,\), the gradient \(2,\)"):
        draw_backprop(t, np.ones(2))
    walk = draw_backprop(o)
    with pytest.raises(ValueError, match="neither an .html file nor a folder"):
        walk.save(tmp_path / "steps.svg")
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        walk.save(str(tmp_path / "taken") + "/")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="BackpropDrawing.save: the path is empty"):
        walk.save("")                           # not the step files into the current folder
    assert not list(tmp_path.glob("step_*.svg"))


def test_a_pass_that_fails_leaves_no_marks_behind():
    x = Value(0.0, label="x")
    y = x.sqrt() * 2 + x
    with pytest.raises(ZeroDivisionError, match="draw_backprop: backward of sqrt"):
        draw_backprop(y)
    assert all(n.grad is not graph.PENDING and n.grad is not graph.VISITING
               for n in graph.walk(y))


def test_a_slope_too_steep_for_a_float_is_named_as_backward_names_it():
    x = Value(1e-200, label="x")
    with pytest.raises(OverflowError, match="draw_backprop: backward of pow: the derivative "
                                            "is too large for a float at this input"):
        draw_backprop(x ** -1.0)
    assert x.grad == 0.0


def test_a_leaf_output_is_one_seed_step():
    x = Value(2.0, label="x")
    walk = draw_backprop(x)
    assert len(walk) == 1 and x.grad == 1.0 and walk.texts_at(0)["n0"].strip("\xa0") == \
        "grad 1.0000"


def test_a_leaf_output_with_a_gradient_shows_the_accumulated_one():
    x = Value(2.0, label="x")
    x.grad = 2.0
    with pytest.warns(UserWarning, match="1 of the graph's leaves already hold"):
        walk = draw_backprop(x)
    assert x.grad == 3.0 and walk.texts_at(0)["n0"].strip("\xa0") == "grad 3.0000"


# ----------------------------------------------------------------------------------------------
# More shapes of graph: random scalar graphs, n-ary tensor ops, users' own ops
# ----------------------------------------------------------------------------------------------

def _random_graph(seed: int):
    """A random scalar expression over four leaves with shared subexpressions (some ReLUs off)."""
    import random
    rnd = random.Random(seed)
    leaves = [Value(rnd.uniform(-1.5, 1.5), label=f"x{i}") for i in range(4)]
    pool = list(leaves)
    for _ in range(25):
        a, b = rnd.choice(pool), rnd.choice(pool)
        pick = rnd.randrange(8)
        node = (a + b if pick == 0 else a * b if pick == 1 else a - b if pick == 2
                else a.tanh() if pick == 3 else a.relu() if pick == 4 else a * 0.5 + 1.0
                if pick == 5 else a.sigmoid() if pick == 6 else (a * a + 1.0).log())
        pool.append(node)
    out = pool[-1]
    for node in pool[-6:-1]:
        out = out + node
    return out, leaves


@pytest.mark.parametrize("seed", range(8))
def test_random_scalar_graphs_get_exactly_backwards_gradients(seed):
    out, leaves = _random_graph(seed)
    out.backward()
    expected = [x.grad for x in leaves]
    out2, leaves2 = _random_graph(seed)
    walk = draw_backprop(out2)
    assert [x.grad for x in leaves2] == expected
    final = walk.texts_at(len(walk) - 1)
    for i, node in enumerate(graph.walk(out2)):
        if node.requires_grad:                           # the last frame shows every .grad
            assert final[f"n{i}"].strip("\xa0") == f"grad {labels.number(node.grad)}"


def test_n_ary_and_fused_tensor_ops_get_exactly_backwards_gradients():
    def build():
        a = Tensor(np.arange(6.0).reshape(2, 3) / 7, requires_grad=True)
        b = Tensor(np.ones((2, 3)) * 0.3, requires_grad=True)
        logits = autograd.concatenate([a, b * 2], axis=1)          # (2, 6)
        stacked = autograd.stack([a, b], axis=0).sum()
        loss = autograd.functional.cross_entropy(logits, np.array([1, 4])) + stacked * 0.1
        return loss, (a, b)
    loss, (a, b) = build()
    loss.backward()
    loss2, (a2, b2) = build()
    walk = draw_backprop(loss2)
    assert np.array_equal(a2.grad, a.grad) and np.array_equal(b2.grad, b.grad)
    concat = next(s for s in walk.steps if s.op == "concatenate")
    assert [p.name for p in concat.inputs] == ["#1", "#3"]     # (b * 2 makes no node for 2)
    assert "concatenate: each input gets its slice of the gradient" in concat.lines()[1]


def test_a_users_function_shows_its_docstring_or_says_it_has_none():
    from autograd import Function

    class Cube(Function):
        """x³;  d/dx = 3x²"""
        @staticmethod
        def forward(ctx, x):
            return x ** 3

        @staticmethod
        def backward(ctx, g, out, x):
            return (g * 3 * x * x,)

    class Quiet(Function):                      # shifts by one, and says nothing about it
        @staticmethod
        def forward(ctx, x):
            return x + 1.0

        @staticmethod
        def backward(ctx, g, out, x):
            return (g,)

    x = Value(2.0, label="x")
    steps = record_backprop(Quiet.apply(Cube.apply(x)))
    assert steps[2].lines()[0] == "at #1 = x³, the gradient that arrived: 1.0000"
    assert "d#1/dx = 3x² = 12.0000" in steps[2].lines()[1]
    assert "Quiet: the rule in Quiet.backward (it has no docstring)" in steps[1].lines()[1]
    assert x.grad == 12.0


def test_frames_stay_valid_svg_when_an_ops_name_or_docstring_has_a_control_character():
    from autograd import Function

    class Twice(Function):
        """2x;  d/dx = 2\x01"""                # an odd character a user's docstring may hold
        name = "twice\x0b"
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g, out, x):
            return (g * 2.0,)

    walk = draw_backprop(Twice.apply(Value(1.5, label="x")).tanh())
    for k in range(len(walk)):
        root = ET.fromstring(walk.frame_svg(k))             # one such character: unreadable
        assert "\x01" not in ET.tostring(root, encoding="unicode")
    assert "d#1/dx = 2\N{REPLACEMENT CHARACTER}" in walk.frame_svg(len(walk) - 1)


def test_only_the_first_paragraph_of_a_docstring_is_the_rule():
    from autograd import Function
    from autograd.viz.rules import rule_text, rule_words

    class Cube(Function):
        """x³;  d/dx = 3x²

        Used in the demo; a typo here, d/dx = 99, must not become the rule.
        """
        @staticmethod
        def forward(ctx, x):
            return x ** 3

        @staticmethod
        def backward(ctx, g, out, x):
            return (g * 3 * x * x,)

    assert rule_text(Cube) == ("x³", {"x": "3x²"})
    assert "99" not in rule_words(Cube) and "demo" not in rule_words(Cube)


@pytest.mark.filterwarnings("ignore:draw_backprop.*already hold:UserWarning")   # on purpose
def test_a_graph_with_more_steps_than_max_steps_is_refused_before_it_runs():
    x = Value(1.0, label="x")
    y = x
    for _ in range(30):
        y = y * 1.5
    with pytest.raises(ValueError, match=r"draw_backprop: this graph has 30 ops, so up to 31 "
                                         r"steps \(max_steps=20\): too many to step through"):
        draw_backprop(y, max_steps=20)
    assert x.grad == 0.0                    # refused before anything ran
    assert len(draw_backprop(y, max_steps=31).steps) == 31
    assert len(draw_backprop(y, max_steps=None).steps) == 31
    for wrong in (0, -5, 2.5, True, "100"):
        with pytest.raises(ValueError, match=r"draw_backprop: max_steps must be a positive int "
                                             r"or None"):
            draw_backprop(y, max_steps=wrong)


# ----------------------------------------------------------------------------------------------
# A step's rule is written in the graph's names, and says what the number it gives is
# ----------------------------------------------------------------------------------------------

def test_the_lecture_graph_is_written_with_its_own_names():
    """micrograd's lecture graph labels its nodes a, b, c, e, d, f, L: the rule's letters
    (a * b) named other nodes than the ones the step was about ("d/da (a * b) = b" at L)."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b; e.label = "e"                                        # noqa: E702
    d = e + c; d.label = "d"                                        # noqa: E702
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"                                        # noqa: E702
    steps = record_backprop(L)
    assert steps[1].lines() == [
        "at L = d * f, the gradient that arrived: 1.0000",
        "dL/dd = f = -2.0000  →  d gets 1.0000 × (-2.0000) = -2.0000",
        "dL/df = d = 4.0000  →  f gets 1.0000 × 4.0000 = 4.0000"]
    assert steps[3].lines()[1] == "de/da = b = -3.0000  →  a gets -2.0000 × (-3.0000) = 6.0000"


def test_a_number_operand_never_takes_a_nodes_name():
    c = Value(1.0, label="c")                                       # the chain starts at c
    y = c
    for _ in range(3):
        y = y * 1.01 + 0.01
    text = "\n".join(line for step in record_backprop(y) for line in step.lines())
    assert "d#1/dc = 1.01  →  c gets 1.0201 × 1.0100 = 1.0303" in text
    assert "where c" not in text


def test_unlabelled_nodes_are_numbered_one_by_one_in_the_drawing_too():
    o, _ = neuron()
    walk = draw_backprop(o)
    assert walk._names == ["x1", "w1", "#1", "x2", "w2", "#2", "#3", "b", "#4", "o"]
    shown = [box.fields[0] for box in walk.scene.boxes if box.kind == "record"]
    assert shown == walk._names


def test_two_nodes_with_one_label_get_two_names_in_the_steps_and_the_boxes():
    """An input and an output both labelled "y": "dy/dy" would read as 1, so the second is y₂,
    in the texts and in its box."""
    y = Value(2.0, label="y")
    out = (y * y).tanh()
    out.label = "y"
    drawing = draw_backprop(out)
    lines = [line for step in drawing.steps for line in step.lines()]
    assert lines[0] == "start at the output y₂: dy₂/dy₂ = 1.0000"
    assert lines[2].startswith("dy₂/d#1 = 1 − tanh(#1)²") and lines[4].startswith("d#1/dy = y")
    texts = _box_texts(drawing.frame_svg(0))
    assert sorted(fields[0] for fields in texts.values() if fields[0] in ("y", "y₂")) == [
        "y", "y₂"]


def test_a_median_step_says_median_and_its_rule_not_max():
    x = Tensor([3.0, 2.0, 5.0, 2.0], requires_grad=True, label="x")
    m = x.median()
    m.label = "m"
    steps = record_backprop(m)
    assert steps[1].lines()[0] == "at m (median), the gradient that arrived: 1.0000"
    assert steps[1].lines()[1].startswith(
        "median: the gradient is split evenly among the elements equal to the median")
    assert "max" not in "\n".join(line for step in steps for line in step.lines())
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.0, 0.5])


def test_a_layer_norm_step_defines_x_hat_and_rstd_and_puts_no_hat_on_a_name():
    """The docstring's x̂ with x renamed gave "#1̂"; its rstd and x̂ were never defined."""
    from autograd.ops.normalize import LayerNorm, LayerNormCtx
    from autograd.graph import apply
    x = Tensor([[1.0, -2.0, 0.5], [0.3, 0.2, 4.0]], requires_grad=True)
    w = Tensor([1.5, -1.0, 2.0], requires_grad=True, label="w")
    y = apply(LayerNorm, (x, w), LayerNormCtx((1,), 1e-5, True, False, (True, True)))
    loss = (y * y).sum()
    loss.label = "L"
    step = next(s for s in record_backprop(loss) if s.op == "layer_norm")
    lines = step.lines()
    assert lines[0].startswith("at #2 = x̂ ⊙ w, x̂ = (#1 − mean) · rstd, rstd = 1/√(var + eps), "
                               "over the last axis of #1,")
    assert lines[1].startswith("#1 gets rstd · (ĝ − mean ĝ − x̂ ⊙ mean(ĝ ⊙ x̂)), "
                               "ĝ = (dL/d#2) ⊙ w, means over the last axis  →  a (2, 3) array")
    assert lines[2].startswith("w gets Σ_batch (dL/d#2) ⊙ x̂ = a (3,) array")
    assert "\u0302" not in "".join(lines).replace("x̂", "").replace("ĝ", "")


def test_a_recurrent_sequence_step_defines_its_letters_and_says_the_truth():
    """rnn_sequence's docstring rule "dA = d, dh0 = dh" gave "#3 gets d", d and dh undefined:
    the step now defines d_t, and the numbers it shows are what its words compute."""
    rng = np.random.default_rng(3)
    A = Tensor(rng.normal(size=(3, 2, 2)), requires_grad=True, label="A")
    h0 = Tensor(rng.normal(size=(2, 2)), requires_grad=True, label="h0")
    W = Tensor(rng.normal(size=(2, 2)), requires_grad=True, label="W")
    hs, _ = F.rnn_sequence(A, h0, W)
    hs.label = "hs"
    loss = hs.sum()
    loss.label = "L"
    step = next(s for s in record_backprop(loss) if s.op == "rnn_sequence")
    text = "\n".join(step.lines())
    assert "the state of every step, hs_t = tanh(A_t + h_before @ Wᵀ), h_before: the step " \
           "before's (h0 at the first)" in text
    assert "A gets d_t = ((dL/dhs)_t + d_after @ W) ⊙ (1 − hs_t²) at each step" in text
    assert "h0 gets d_first @ W" in text and "W gets Σ_t d_tᵀ @ h_before" in text
    assert " gets d = " not in text and " gets dh" not in text
    # the words, computed: d_t from the last step back, h_before the step before's state
    states = np.concatenate([h0.data[None], hs.data])
    d, d_after = np.zeros_like(hs.data), np.zeros_like(h0.data)
    for t in reversed(range(3)):
        d[t] = d_after = (1.0 + d_after @ W.data) * (1 - hs.data[t] ** 2)
    contributions = {part.name: part.contribution for part in step.inputs}
    np.testing.assert_allclose(contributions["A"], d, rtol=1e-5)
    np.testing.assert_allclose(contributions["h0"], d[0] @ W.data, rtol=1e-5)
    np.testing.assert_allclose(contributions["W"], sum(d[t].T @ states[t] for t in range(3)),
                               rtol=1e-5)


def test_a_gru_sequence_steps_words_compute_its_numbers():
    """The GRU sequence's rules, done by hand as the page words them (δ, d_t, e_t, h_before,
    s), give the gradients the step shows."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))          # noqa: E731
    rng = np.random.default_rng(1)
    steps, rows, H = 3, 2, 2
    A = Tensor(rng.normal(size=(steps, rows, 3 * H)), requires_grad=True, label="A")
    h0 = Tensor(rng.normal(size=(rows, H)), requires_grad=True, label="h0")
    W = Tensor(rng.normal(size=(3 * H, H)), requires_grad=True, label="W")
    b = Tensor(rng.normal(size=3 * H), requires_grad=True, label="b")
    G = rng.normal(size=(steps, rows, H))
    loss = (F.gru_sequence(A, h0, W, b)[0] * Tensor(G)).sum()
    loss.label = "L"
    shown = {p.name: p.contribution
             for p in next(s for s in record_backprop(loss) if s.op == "gru_sequence").inputs}
    states, gates = [h0.data], []
    for t in range(steps):
        s = states[-1] @ W.data.T + b.data
        r, z = sigmoid(A.data[t, :, :H] + s[:, :H]), sigmoid(A.data[t, :, H:2 * H] + s[:, H:2 * H])
        n = np.tanh(A.data[t, :, 2 * H:] + r * s[:, 2 * H:])
        gates.append((r, z, n, s))
        states.append((1 - z) * n + z * states[-1])
    d, e, sent_back = np.zeros((steps, rows, 3 * H)), np.zeros((steps, rows, 3 * H)), 0.0
    for t in reversed(range(steps)):
        r, z, n, s = gates[t]
        delta = G[t] + sent_back
        dn = delta * (1 - z) * (1 - n ** 2)
        dz = delta * (states[t] - n) * z * (1 - z)
        dr = dn * s[:, 2 * H:] * r * (1 - r)
        d[t], e[t] = np.concatenate([dr, dz, dn], 1), np.concatenate([dr, dz, dn * r], 1)
        sent_back = delta * z + e[t] @ W.data
    np.testing.assert_allclose(shown["A"], d, atol=1e-5)
    np.testing.assert_allclose(shown["h0"], sent_back, atol=1e-5)
    np.testing.assert_allclose(shown["W"], sum(e[t].T @ states[t] for t in range(steps)),
                               atol=1e-5)
    np.testing.assert_allclose(shown["b"], e.sum((0, 1)), atol=1e-5)


@pytest.mark.parametrize("cell", ["gru", "lstm", "gru_sequence", "lstm_sequence"])
def test_recurrent_steps_write_their_gates_in_the_pages_names(cell):
    """The rules of the GRU and LSTM ops use their gates' letters and the upstream G of their
    docstrings: a step defines the gates in its forward and writes the page's names."""
    rng = np.random.default_rng(4)
    H = 2
    gates = 3 if cell.startswith("gru") else 4
    state = Tensor(rng.normal(size=(1, H)), requires_grad=True, label="h")
    if cell.endswith("sequence"):
        A = Tensor(rng.normal(size=(2, 1, gates * H)), requires_grad=True, label="A")
        W = Tensor(rng.normal(size=(gates * H, H)), requires_grad=True, label="W")
        out = (F.gru_sequence(A, state, W)[0] if cell == "gru_sequence"
               else F.lstm_sequence(A, state, state * 0.5, W)[0])
    else:
        a = Tensor(rng.normal(size=(1, gates * H)), requires_grad=True, label="a")
        b = Tensor(rng.normal(size=(1, gates * H)), requires_grad=True, label="b")
        out = F.gru_step(a, b, state) if cell == "gru" else F.lstm_step(a, b, state)[0]
    loss = out.sum()
    loss.label = "L"
    steps = record_backprop(loss)
    text = "\n".join(line for s in steps for line in s.lines())
    assert "G ⊙" not in text and " gets d = " not in text and "dh0" not in text
    if cell == "gru":
        assert "at #1 = (1 − z) ⊙ n + z ⊙ h, gates r, z, n = σ(a_r + b_r)" in text
        assert "h gets (dL/d#1) ⊙ z = " in text
        z = 1 / (1 + np.exp(-(a.data + b.data)[:, H:2 * H]))
        part = next(p for s in steps for p in s.inputs if p.name == "h")
        np.testing.assert_allclose(part.contribution, z, rtol=1e-5)
    elif cell == "lstm":
        assert "gates i, f, g = σ(a_i + b_i), σ(a_f + b_f), tanh(a_g + b_g)" in text
        assert "gate o = σ(a_o + b_o)" in text
    elif cell == "gru_sequence":
        assert "s = h_before @ Wᵀ, h_before: the step before's (h at the first)" in text
        assert "h gets δ ⊙ z + e @ W at the first step" in text
    else:
        assert "gates i, f, g, o = σ, σ, tanh, σ of A_t + h_before @ Wᵀ" in text
        assert "h and #1 at the first" in text and "#1 gets dc ⊙ f at the first step" in text


@pytest.mark.parametrize("make, forward", [
    (lambda h: F.selu(h), "elu(h) with α = 1.67, s = 1.05, k = 1"),
    (lambda h: F.celu(h, 2.0), "elu(h) with α = 2, s = 1, k = 0.5"),
    (lambda h: h.clamp(min=0.0), "clip(h, low, high) with low = 0, high = ∞"),
    (lambda h: F.gelu(h, approximate="tanh"), "h σ(2u) with u = √(2/π)(h + 0.044715h³)"),
    (lambda h: h.polygamma(2), "ψ⁽ⁿ⁾(h) with n = 2"),
])
def test_the_letters_a_rule_keeps_in_ctx_are_given_their_numbers(make, forward):
    """ELU's rule "s if x > 0 else s α k e^(k x)" and the others use letters that are no input:
    a step says what they were (selu's page read like elu's, with s, α, k nowhere)."""
    h = Tensor([[0.5, -1.0], [2.0, 1.5]], requires_grad=True, label="h")
    y = make(h)
    y.label = "y"
    loss = y.sum()
    loss.label = "L"
    assert record_backprop(loss)[2].lines()[0].startswith(f"at y = {forward}, the gradient")


def test_a_rule_that_uses_the_arriving_gradient_is_not_multiplied_by_it_again():
    """cumsum's "d/dx_i = the sum of g over the outputs j >= i" read "x gets dL/d#1 ⊙ that",
    g counted twice and undefined: the step now says the gradient x gets, g written as it
    arrived, and an element's subscript kept (x_i, not the input's name for x_i)."""
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True, label="x")
    lines = {}
    for name, make in (("cumsum", lambda: x.cumsum(1)),
                       ("logcumsumexp", lambda: x.logcumsumexp(1))):
        out = make()
        out.label = "c"
        loss = (out * Tensor([[1.0, -1.0, 2.0]])).sum()
        loss.label = "L"
        lines[name] = next(s for s in record_backprop(loss) if s.op == name).lines()[1]
    assert lines["cumsum"].startswith("x gets the sum of (dL/dc) over the outputs j >= i "
                                      "((dL/dc)'s running sum from the end) = a (1, 3) array")
    assert lines["logcumsumexp"].startswith("x gets Σ_(j >= i) (dL/dc)_j e^(x_i − c_j) = ")
    assert "⊙ that" not in "".join(lines.values())


def test_a_max_norm_step_says_where_its_gradient_goes():
    """norm(p=inf) quoted (Σ |x|^p)^(1/p) and its slope, which is not its rule (ties split)."""
    x = Tensor([[1.0, -2.0], [3.0, -3.0]], requires_grad=True, label="x")
    n = x.norm(p=float("inf"))
    n.label = "n"
    lines = record_backprop(n)[1].lines()
    assert lines == ["at n = max |x| over axes, the gradient that arrived: 1.0000",
                     "x gets sign(x), split evenly among the elements of largest |x|, 0 "
                     "elsewhere  →  a (2, 2) array of norm 0.7071"]
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [0.5, -0.5]])
    assert record_backprop(x.norm(p=3))[1].lines()[0].startswith(
        "at #1 = (Σ |x|^p)^(1/p) over axes with p = 3, the gradient")


def test_rules_in_words_use_the_pages_names_and_end_where_the_rule_ends():
    """roll's words began inside its forward's remark ("axes None rolls the flattened tensor);
    the gradient ..."), astype's said x for an input called #1, pad's "the middle of g" and
    a[0, 1] = v's forward "a = #2" (its "with v written at index" cut off)."""
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, label="x")
    weights = Tensor([[1.0, -1.0, 2.0], [0.5, 3.0, -2.0]])
    a = x * 2.0
    a.label = "a"
    a[0, 1] = Tensor(7.0, requires_grad=True, label="v")
    loss = (x.roll(1, 1) * weights).sum() + (x.flip(1) * weights).sum() + (a * weights).sum()
    loss.label = "L"
    text = "\n".join(line for step in record_backprop(loss) for line in step.lines())
    assert "roll: the gradient is rolled back by -shifts  →  x gets" in text
    assert "astype: the gradient is cast back to #5's dtype  →  #5 gets" in text
    assert "at a = #10 with v written at index, the gradient" in text
    assert "#10 gets (dL/da) where #10 was kept and 0 where it was overwritten = " in text
    assert "v gets (dL/da)[index] (summed over v's broadcast axes) = " in text
    from nn.functional import pad
    out = (pad(x, (1, 1)) * 2.0).sum()
    out.label = "L"
    text = "\n".join(line for step in record_backprop(out) for line in step.lines())
    assert "pad: the gradient is the middle of (dL/d#1) (the padding" in text


def test_loss_steps_say_what_their_target_and_constants_are():
    """binary_cross_entropy's words used p and t for an input named #1 and a target with no
    box; with logits, w was never defined; huber's δ neither; cross_entropy's options made a
    "target" the page never showed."""
    from nn.functional import huber_loss
    z = Tensor([0.5, -1.0, 2.0], requires_grad=True, label="z")
    t = np.array([1.0, 0.0, 1.0])

    def lines(loss):
        loss.label = "L"
        return "\n".join(line for step in record_backprop(loss) for line in step.lines())
    text = lines(F.binary_cross_entropy(z.sigmoid(), t))
    assert "at #2 = −[t log #1 + (1 − t) log(1 − #1)], t the target" in text
    assert "#1 gets (dL/d#2) × ((#1 − t) / (#1(1 − #1))), #1(1 − #1) floored at 1e-12  →  " in text
    text = lines(F.binary_cross_entropy_with_logits(z, t, pos_weight=np.array([2.0, 2.0, 2.0])))
    assert "t the target, p_w the pos_weight" in text
    assert "z gets (dL/d#1) × ((1 − t) − w (1 − σ(z))), w = 1 + (p_w − 1) t  →  " in text
    text = lines(F.binary_cross_entropy_with_logits(z, t))
    assert "z gets (dL/d#1) × (σ(z) − t) = " in text
    assert "at #3 = huber(#2) with δ = 0.5," in lines(huber_loss(z, t, delta=0.5))
    logits = Tensor([[1.0, 2.0, 0.5]], requires_grad=True, label="logits")
    text = lines(F.cross_entropy(logits, np.array([1]), label_smoothing=0.1))
    assert "logits gets softmax(logits) Σ_c target_c − target, target: the labels as rows" in text


@pytest.mark.parametrize("a_shape, b_shape, rules", [
    ((3,), (3,), ["a gets (dL/d#1) × b = ", "b gets (dL/d#1) × a = "]),
    ((2, 3), (3,), ["a gets (dL/d#1) ⊗ b (outer product) = ", "b gets aᵀ @ (dL/d#1) = "]),
    ((3,), (3, 2), ["a gets (dL/d#1) @ bᵀ = ", "b gets a ⊗ (dL/d#1) (outer product) = "]),
    ((4, 2, 3), (3, 2), ["a gets (dL/d#1) @ bᵀ = ",
                         "b gets aᵀ @ (dL/d#1), summed over the batch axes  →  "]),
])
def test_a_matmul_step_with_a_vector_or_a_batch_says_the_product_that_ran(a_shape, b_shape,
                                                                          rules):
    """W gets "vᵀ @ g" for v @ W read as a number (vᵀ g), where the gradient is the outer
    product; a weight shared by a batch of products gets their sum."""
    rng = np.random.default_rng(5)
    a = Tensor(rng.normal(size=a_shape), requires_grad=True, label="a")
    b = Tensor(rng.normal(size=b_shape), requires_grad=True, label="b")
    out = a @ b
    loss = (out * Tensor(rng.normal(size=out.shape))).sum()
    loss.label = "L"
    step = next(s for s in record_backprop(loss) if s.op == "matmul")
    for line, rule in zip(step.lines()[1:], rules):
        assert line.startswith(rule), line


def test_a_mean_cross_entropy_step_gives_the_division_by_n():
    """The docstring's "softmax(z) − t" is the gradient of the sum: the step of a mean says
    "/ N" with N, so the number shown (its norm) can be checked by hand."""
    rng = np.random.default_rng(0)
    h = Tensor(rng.normal(size=(4, 3)), label="h")
    W2 = Tensor(rng.normal(size=(2, 3)), requires_grad=True, label="W2")
    b2 = Tensor(rng.normal(size=2), requires_grad=True, label="b2")
    labels_ = np.array([0, 1, 1, 0])
    for reduction, n in (("mean", 4), ("sum", 1)):
        logits = F.linear(h, W2, b2)
        logits.label = "logits"
        loss = F.cross_entropy(logits, labels_, reduction=reduction)
        loss.label = "loss"
        step = record_backprop(loss)[1]
        probs = np.exp(logits.data) / np.exp(logits.data).sum(axis=1, keepdims=True)
        expected = np.linalg.norm((probs - np.eye(2)[labels_]) / n)
        rule = ("(softmax(logits) − onehot(labels)) / N, N = 4 rows" if reduction == "mean"
                else "softmax(logits) − onehot(labels)") + ", labels = [0, 1, 1, 0]"
        equals = "  →  "                                      # after a remark, an arrow
        assert step.lines()[1] == (f"logits gets {rule}{equals}a (4, 2) array of norm "
                                   f"{labels.number(expected)}")


def test_a_cross_entropy_step_writes_a_few_labels_out():
    """The labels are no box of the drawing: the step said "onehot(labels)" and a teacher
    could not see which class each row was meant to be."""
    logits = Tensor([[2.0, 1.0, 0.1], [0.5, 0.2, 3.0]], requires_grad=True, label="z")
    line = record_backprop(F.cross_entropy(logits, np.array([0, 2])))[1].lines()[1]
    assert "/ N, N = 2 rows, labels = [0, 2]  →  " in line, line
    many = Tensor(np.zeros((20, 3)), requires_grad=True, label="z")
    line = record_backprop(F.cross_entropy(many, np.arange(20) % 3))[1].lines()[1]
    assert "labels =" not in line, line                     # a long list would drown the rule


def test_a_matmul_step_says_what_it_multiplies():
    """The step read "at #3 (matmul)"."""
    h = Tensor(np.ones((2, 3)), label="h")
    W = Tensor(np.ones((3, 1)), requires_grad=True, label="W")
    assert record_backprop((h @ W).sum())[2].lines()[0].startswith("at #1 = h @ W, ")


def test_a_linear_step_says_what_it_computes():
    """The step read "at #1 (linear)"."""
    x = Tensor(np.ones((2, 3)), label="x")
    W = Tensor(np.ones((4, 3)), requires_grad=True, label="W")
    b = Tensor(np.zeros(4), requires_grad=True, label="b")
    assert record_backprop(F.linear(x, W, b).sum())[2].lines()[0].startswith(
        "at #1 = x @ Wᵀ + b, ")
    assert record_backprop(F.linear(x, W).sum())[2].lines()[0].startswith("at #1 = x @ Wᵀ, ")


@pytest.mark.parametrize("axis", [-1, 0])
def test_a_softmax_step_says_the_axis_it_sums_along(axis):
    """Softmax's rule "y * (g − Σ g*y)" did not say what Σ runs over (a row? everything?)."""
    z = Tensor(np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 1.0]]), requires_grad=True, label="z")
    probs, logs = z.softmax(axis), z.log_softmax(axis)
    probs.label, logs.label = "p", "q"
    steps = record_backprop((probs * np.arange(6.0).reshape(2, 3) + logs).sum())
    want = f"axis {axis % 2}"
    softmax = next(step for step in steps if step.op == "softmax").lines()
    assert softmax[0].startswith(f"at p = softmax(z) along {want}, "), softmax
    assert softmax[1].startswith(f"z gets p * ((d#4/dp) − Σ (d#4/dp)*p), Σ along {want}  →  ")
    log = next(step for step in steps if step.op == "log_softmax").lines()
    assert log[1].startswith(f"z gets (d#4/dq) − softmax(z) Σ (d#4/dq), Σ along {want}  →  ")


def test_a_mean_cross_entropy_of_one_row_says_one_row():
    logits = Tensor([[1.0, -2.0, 0.5]], requires_grad=True, label="z")
    loss = F.cross_entropy(logits, np.array([1]))
    loss.label = "L"
    assert record_backprop(loss)[1].lines()[1].startswith(
        "z gets (softmax(z) − onehot(labels)) / N, N = 1 row, labels = [1]  →  a (1, 3) array")


def test_a_mean_and_mse_loss_say_over_how_many_they_divide():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    mean = x.mean()
    mean.label = "m"
    line = record_backprop(mean)[1].lines()[1]
    assert line.startswith("x gets 1 / N, N = 6, to each element")
    assert line.endswith(f"  →  a (2, 3) array of norm {labels.number(np.sqrt(6) / 6)}")
    by_row = (x * 2).mean(axis=1).sum()
    text = "\n".join(line for step in record_backprop(by_row) for line in step.lines())
    assert "/ N, N = 3, to each element" in text
    pred = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="pred")
    from nn.functional import mse_loss
    loss = mse_loss(pred, np.array([0.0, 0.0]))
    text = "\n".join(line for step in record_backprop(loss) for line in step.lines())
    assert "/ N, N = 2, to each element" in text


def test_a_one_number_tensor_shows_the_signed_gradient_its_step_writes():
    """The step's equation says "the gradient that arrived: -1.0000"; the box says the same
    (not its norm, 1.0000). Larger tensors keep their norm; collapsed groups their largest."""
    z = Tensor(np.array([[1.0, 2.0, 0.5]]), requires_grad=True, label="z")
    p = F.softmax(z, axis=1)
    picked = (p * np.array([[0.0, 1.0, 0.0]])).sum()
    picked.label = "picked"
    loss = -picked.log()
    walk = draw_backprop(loss)
    at_picked = next(k for k, s in enumerate(walk.steps) if s.name == "picked")
    box = f"n{walk.steps[at_picked].position}"
    assert walk.steps[at_picked].lines()[0].endswith("arrived: -1.5910")
    assert walk.texts_at(at_picked)[box].strip("\xa0") == "grad -1.5910"
    assert walk.texts_at(len(walk) - 1)["n0"].strip("\xa0").startswith("‖grad‖ ")   # z: (1, 3)


def test_not_yet_reads_the_same_for_values_tensor_leaves_and_intermediates():
    """Before their gradient arrived, a Value leaf showed grad 0.0000, a Tensor parameter
    "grad None" and a Tensor intermediate "‖grad‖ ?": one wording now."""
    w = Tensor(np.array([[0.5, -1.0]]), requires_grad=True, label="w")
    x = Tensor(np.array([[1.0], [2.0]]), label="x")
    v = Value(2.0, label="v")
    loss = (w @ x).tanh().sum()
    walk = draw_backprop(loss)
    output = f"n{len(walk._names) - 1}"                             # the seed's 1 arrived
    first = walk.texts_at(0)
    assert first[output].strip("\xa0") == "grad 1.0000"
    assert {text.strip("\xa0") for box, text in first.items() if box != output} == \
        {"grad not yet"}
    first = draw_backprop(v * v + 1).texts_at(0)
    assert first["n0"].strip("\xa0") == "grad not yet"


def test_gradients_left_by_an_earlier_backward_are_warned_about_once():
    o, leaves = neuron()
    o.backward()
    o2, leaves2 = neuron()
    o2.backward()
    with pytest.warns(UserWarning, match=r"draw_backprop: 4 of the graph's leaves already hold "
                                         r"a non-zero gradient .* zero them first") as caught:
        walk = draw_backprop(o2)                                   # (w2's gradient is 0)
    assert len(caught) == 1
    assert leaves2["x1"].grad == 2 * leaves["x1"].grad            # added, as backward() does
    assert walk.texts_at(0)["n0"].strip("\xa0") == "grad -1.5000"  # what it held is shown
    o3, _ = neuron()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")                              # fresh leaves: no warning
        draw_backprop(o3)


def test_a_tensors_folded_number_is_written_in_its_step():
    """x * 0.5 on a float32 tensor: the step reads "x * 0.5" and "d/dx = 0.5" (its float32 c
    is written as numpy writes it), as a Value's step does; 2 / x has the number first."""
    x = Tensor([1.0, 2.0, 4.0], requires_grad=True, label="x")
    y = ((x * 0.5 - 0.1) + 2 / x + (1 - x) / 3).sum()
    text = "\n".join(line for s in record_backprop(y) for line in s.lines())
    for line in ("at #1 = x * 0.5,", "d#1/dx = 0.5  →", "at #2 = #1 − 0.1,", "at #3 = 2 / x,",
                 "d#3/dx = −2/x² = −#3/x  →", "at #5 = 1 − x,", "d#5/dx = −1  →",
                 "at #6 = #5 / 3,", "d#6/d#5 = 1/3  →"):
        assert line in text
    assert "constant" not in text                       # no node was made for a number
