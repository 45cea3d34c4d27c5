"""Replaying a compiled graph: accumulation, leaves without gradients, new data, frozen
structure, deep graphs, and what it says about itself."""

from __future__ import annotations

import functools
import math
import operator
import re
import warnings

import numpy as np

import pytest

import autograd
from autograd import Value, compile, no_grad
from compile_helpers import check_against_eager, compiled_pass, eager_pass


def test_backward_accumulates_like_repeated_eager_backward():
    a, b = Value(0.8), Value(-1.1)
    want = eager_pass(lambda: (a * b).tanh() + a, [a, b])[1]
    graph = compile((a * b).tanh() + a)
    a.grad = b.grad = 0.0
    graph.backward()
    graph.backward(2.0)
    assert a.grad == pytest.approx(3 * want[0], rel=1e-12)
    assert b.grad == pytest.approx(3 * want[1], rel=1e-12)


def test_leaves_that_do_not_require_grad_are_read_but_get_no_gradient():
    w = Value(0.5)
    x = Value(2.0, requires_grad=False)
    graph = compile(w * x + x)
    x.data = 3.0
    assert graph.forward() == 0.5 * 3.0 + 3.0
    graph.backward()
    assert (w.grad, x.grad) == (3.0, 0.0)


def test_what_constants_compute_alone_is_not_recorded_so_it_stays_a_number():
    """Eager mode records an op only when an input wants a gradient: x * x of a constant x is a
    plain number in the graph, and the replay reads that number, not x."""
    w = Value(0.5)
    x = Value(2.0, requires_grad=False)
    with pytest.warns(UserWarning, match=r"^compile: 1 number in this graph \(4\) was computed "
                                         r"from Values that do not require grad") as caught:
        graph = compile(w * (x * x))
    assert caught[0].filename == __file__             # points at the call of compile
    x.data = 3.0
    assert graph.forward() == 0.5 * 4.0


def test_a_number_computed_under_no_grad_is_warned_about_as_such():
    """From parameters under no_grad(): the warning spoke only of "Values that do not require
    grad", which these are not."""
    a, b = Value(2.0), Value(3.0)
    with no_grad():
        scale = a * b
    with pytest.warns(UserWarning, match=r"^compile: 1 number in this graph \(6\) was computed "
                                         r"from .*, or under no_grad\(\)"):
        compile(scale * a + b)


def test_the_warning_counts_the_frozen_numbers():
    w, xs = Value(0.5), [Value(float(i), requires_grad=False) for i in range(1, 6)]
    with pytest.warns(UserWarning, match=r"5 numbers in this graph \(-5, -4, -3 and 2 more\) "
                                         r"were computed"):
        compile(sum(w * -x for x in xs))


def test_a_detached_value_is_a_snapshot_and_compile_says_so():
    """v.detach() is a new leaf holding v's number: the replays keep that number (a stop-
    gradient target that followed the data would need v's graph kept alive by the snapshot)."""
    w = Value(0.5)
    with pytest.warns(UserWarning) as caught:
        graph = compile((w - (w * w).detach()) ** 2 + w * w)
    assert len(caught) == 1 and caught[0].filename == __file__
    assert re.match(r"compile: 1 number in this graph \(0.25\) is a snapshot made by "
                    r"\.detach\(\): the replays keep it as recorded", str(caught[0].message))
    w.data = 1.0
    assert graph.forward() == (1.0 - 0.25) ** 2 + 1.0   # the snapshot, as warned
    x = Value(2.0, requires_grad=False)
    with pytest.warns(UserWarning) as caught:           # one warning of each kind
        compile(w * -x + w * x.detach() + w * w.detach() + 0.9 * w.detach())
    first, second = (str(c.message) for c in caught)
    assert first.startswith("compile: 2 numbers in this graph") and "were computed" in first
    assert second.startswith("compile: 2 numbers in this graph") and "are snapshots" in second


def test_inputs_and_numbers_used_directly_give_no_warning():
    w, b = Value(0.5), Value(0.1)
    x, y = Value(2.0, requires_grad=False), Value(-1.0, requires_grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(((w * x + b) / 3 - 2 / (w + 1)).relu() + y * -(w * x) + (1 + -1.0 * w) ** 2)
        compile(sum((w * xi - yi) ** 2 for xi, yi in ((x, y), (y, x))) * (1.0 / 2))


def test_new_input_data_between_replays_follows_eager_mode():
    w = [Value(0.3), Value(-0.2), Value(0.1)]
    xs = [Value(1.0, requires_grad=False), Value(-2.0, requires_grad=False)]

    def build():
        return (w[0] * xs[0] + w[1] * xs[1] + w[2]).sigmoid() * xs[0]

    graph = compile(build())
    for data in ([0.5, 0.25], [-3.0, 4.0], [0.0, 0.0]):
        for x, d in zip(xs, data):
            x.data = d
        for p in w:
            p.grad = 0.0
        value = graph.forward()
        graph.backward()
        got = [p.grad for p in w]
        want_value, want = eager_pass(build, w)
        assert value == pytest.approx(want_value, rel=1e-12)
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_a_data_value_as_an_exponent_is_read_at_every_forward():
    """w ** x with x a Value that wants no gradient: x is an input of the op, read at every
    forward as in w * x (it was once folded in as a number, and the replays kept it)."""
    w, x = Value(2.0), Value(3.0, requires_grad=False)
    t = Value(0.0, requires_grad=False)
    builds = [lambda: w ** x, lambda: (x * w) ** x, lambda: (w ** x - t) ** 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # nothing here is frozen: no warning
        graphs = [compile(build()) for build in builds]
    for data in ([0.5, 1.0], [-1.0, 2.0], [3.0, -4.0]):
        x.data, t.data = data
        for build, graph in zip(builds, graphs):
            value, grads = compiled_pass(graph, [w])
            want_value, want = eager_pass(build, [w])
            assert value == pytest.approx(want_value, rel=1e-12)
            assert grads == pytest.approx(want, rel=1e-12)
    assert graphs[0]._plan.leaves == [w, x]
    for base, exponent in ((2.0, 3.0), (-1.5, 2.0), (0.7, -0.5), (0.0, 0.0)):
        v, n = Value(base), Value(base)             # eager: the numbers of w ** 3.0, bit for bit
        y, z = v ** Value(exponent, requires_grad=False), n ** exponent
        y.backward(), z.backward()
        assert (y.data, v.grad) == (z.data, n.grad)


def test_what_a_data_exponent_computes_alone_is_warned_about():
    w, x = Value(2.0), Value(3.0, requires_grad=False)
    for exponent in (x * 0.2, -x, x.exp()):
        with pytest.warns(UserWarning, match=r"^compile: 1 number in this graph"):
            compile(w ** exponent)


def test_a_grad_set_to_none_starts_from_the_new_gradient():
    a = Value(2.0)
    graph = compile(a * a)
    a.grad = None
    graph.backward()
    assert a.grad == 4.0


def test_backward_gives_leaves_new_gradients_and_leaves_the_users_objects_alone():
    """As eager backward does (grad = grad + g): a 0-d array shared as two leaves' .grad is not
    written into."""
    for compiled in (False, True):
        a, b = Value(1.0), Value(2.0)
        out = a * 3 + b * 5
        zero = np.array(0.0)
        a.grad = b.grad = zero
        if compiled:
            compile(out).backward()
        else:
            out.backward()
        assert (a.grad, b.grad, zero) == (3.0, 5.0, 0.0)


def test_the_output_itself_a_leaf():
    a = Value(2.0)
    graph = compile(a)
    a.data = 5.0
    assert graph.forward() == 5.0
    graph.backward()
    assert a.grad == 1.0


def test_the_structure_is_frozen_when_recorded():
    x = Value(1.0)
    y = x * 2 if x.data > 0 else x * -3
    graph = compile(y)
    x.data = -1.0
    assert graph.forward() == -2.0                      # eager code would take the other branch


def test_deep_graphs_compile_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(3000):                               # deeper than Python's recursion limit
        y = y * 1.0001 + 0.0001
    with pytest.warns(UserWarning, match="slower than eager mode"):
        check_against_eager(lambda: y, [x])


def _chains(width, depth):
    xs = [Value(0.1 * i) for i in range(width)]
    ys = list(xs)
    for _ in range(depth):
        ys = [(y * 0.999 + 0.001).tanh() for y in ys]
    return sum(ys[1:], ys[0])


def test_a_deep_narrow_graph_is_said_to_replay_slower_than_eager_mode():
    """Each step costs about as much as 5 eager nodes: below 4 nodes per step (and from 1,000
    steps on) compile warns, once, with the numbers."""
    with pytest.warns(UserWarning) as caught:
        compile(_chains(1, 500))                        # 1,500 nodes in 1,500 levels
    assert len(caught) == 1 and caught[0].filename == __file__
    assert str(caught[0].message).startswith(
        "compile: 1,500 recorded nodes in 1,500 levels (1,500 vectorised steps, 1.0 nodes per "
        "step): the replay is slower than eager mode here")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(_chains(5, 500))                        # 5.0 nodes per step
        compile(_chains(1, 300))                        # 900 steps: a few ms at most


def _ill_conditioned(n, seed):
    """Numbers whose float sum depends on the order of the additions."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=n) * 10.0 ** rng.integers(-8, 9, size=n)).tolist()


def test_sum_chains_are_fused_and_add_in_the_eager_order():
    numbers = _ill_conditioned(300, 1)
    in_order = functools.reduce(operator.add, numbers)
    assert float(np.add.reduce(numbers)) != in_order                # numpy's pairwise order differs
    xs = [Value(v) for v in numbers]
    total = sum(xs[1:], xs[0])
    graph = compile(total)
    assert graph.forward() == total.data == in_order                # bit for bit
    assert "298 additions fused into 1 sum;" in repr(graph)
    assert len(graph.steps) == 1 and graph.steps[0].kind == "sum"


def test_fused_sums_in_groups_add_in_the_eager_order_too():
    rows = [[Value(v) for v in _ill_conditioned(50, seed)] for seed in range(5)]
    totals = [sum(row[1:], row[0]) for row in rows]
    graph = compile(sum(t * (i + 1) for i, t in enumerate(totals)))
    assert graph.forward() == sum(t * (i + 1) for i, t in enumerate(totals)).data


def test_explain_lists_every_step():
    a, b = Value(1.0), Value(2.0)
    graph = compile((a * b + a).relu() * 3)
    text = graph.explain()
    assert "levels" in text and "bytes" in text
    for kind in ("mul", "sum", "relu", "mul_const"):
        assert kind in text
    assert len(text.splitlines()) == 3 + len(graph.steps)
    assert graph.leaves == [a, b]


def test_the_plan_holds_arrays_not_nodes():
    """A few dozen bytes per node (an eager Value alone is ~100 bytes)."""
    from benchmarks import scalar_mlp
    model = scalar_mlp.build_model(Value)
    X, y = scalar_mlp.make_moons(20)
    loss = sum((1 + -yi * model(list(map(Value, x)))).relu() for x, yi in zip(X, y))
    graph = compile(loss)
    assert graph.bytes_per_node() < 60
    assert all(not isinstance(step.index, list) for step in graph.steps)


def test_compile_is_exported():
    assert autograd.compile is compile
    assert "compile" not in autograd.__all__            # a star import keeps the built-in


def test_every_kind_has_a_rule_a_formula_and_an_eager_form():
    """The four tables name the same kinds: an op lowered to a kind without a vectorised rule,
    an `explain()` line or an eager form (for passes handed to eager mode) would fail only
    when such a graph is compiled, or, without the eager form, be rebuilt as a sum."""
    from autograd.compiler.record import LOWERING
    from autograd.compiler.replay import _EAGER
    from autograd.compiler.rules import FORMULAS, RULES
    kinds = {kind for kind, _ in LOWERING.values()}
    assert kinds == set(RULES) | {"sum"} == set(FORMULAS) == set(_EAGER) | {"sum"}
    assert {"sin", "cos"} <= kinds


def test_to_dot_draws_one_box_per_step_and_the_arrows_between_them():
    a, b = Value(1.0), Value(2.0)
    graph = compile((a * b).relu() * a)
    text = graph.to_dot()
    assert text.count("[label=") == 1 + len(graph.steps)           # the inputs, the steps
    assert "inputs -> s1;" in text and "s1 -> s2;" in text and "s2 -> s3;" in text
    assert "inputs -> s3;" in text and "s1 -> s3;" not in text


def test_steps_and_the_drawing_count_in_english():
    a = Value(1.0)
    graph = compile(a * 2)
    assert "1 node of 2 inputs" in repr(graph.steps[0])
    assert 'inputs [label="1 leaf\\n1 constant"' in graph.to_dot()
    assert repr(graph).startswith("CompiledGraph(1 op node -> 1, ")
    assert "; 1 leaf (1 wants grad), 1 constant)" in repr(graph)
    assert re.search(r"^memory: \d+ bytes, \d+ per recorded node$", graph.explain(), re.M)
    leaf = compile(a)                                   # nothing recorded: no "per node"
    assert repr(leaf).startswith("CompiledGraph(0 op nodes -> 0, ")
    assert re.search(r"^memory: \d+ bytes \(no op nodes recorded\)$", leaf.explain(), re.M)
    assert math.isnan(leaf.bytes_per_node())


def test_gradient_graphs_warn_only_about_numbers_computed_from_data():
    # backward's seed and a rule's constants are numbers alone: they never change
    x, w = Value(1.5), Value(0.7)
    y = 3 * -(x * w) - x / 2 + x ** 3 / 3 - 2 / (w + 1)       # -g, 3 * g, g / 2...: numbers
    y.backward(create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(x.grad)
        compile(w.grad)
    # a data Value in the gradient (d/dw of w * d is seed * d): that one would go stale
    d = Value(2.0, requires_grad=False)
    w.grad = 0.0
    (w * d).backward(create_graph=True)
    with pytest.warns(UserWarning, match=r"1 number in this graph \(2\) was computed"):
        compile(w.grad * x)


def test_explain_and_to_dot_show_the_slopes_of_a_gradient_graph():
    """relu's and abs's slopes in a gradient graph are steps of their own, named for what they
    compute, and drawn from the step that feeds them."""
    x = Value(1.5)
    (x.relu() * x + abs(x) * x).backward(create_graph=True)
    graph = compile(x.grad)
    text = graph.explain()
    assert re.search(r"  step +1 +1  1 if x > 0 else 0 \(slope 0\)$", text, re.M)
    assert re.search(r"  sign +1 +1  sign\(x\) \(slope 0\)$", text, re.M)
    dot = graph.to_dot()
    number = {step.kind: i for i, step in enumerate(graph.steps, start=1)}
    level = {step.kind: step.level for step in graph.steps}
    assert level["step"] == level["relu"] + 1 and level["sign"] == 1
    assert f's{number["step"]} [label="level {level["step"]}: step\\n1 node"];' in dot
    assert f"s{number['relu']} -> s{number['step']};" in dot
    assert f's{number["sign"]} [label="level 1: sign\\n1 node"];' in dot
    assert f"inputs -> s{number['sign']};" in dot
