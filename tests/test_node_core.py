"""The graph core's node layout, its one node factory, the topological order, and the reference
loop `for node in reversed(order): node._backward()` that `backward` writes out."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Function, Tensor, Value, concatenate, detect_anomaly, no_grad
from autograd import functional as F
from autograd.graph import (
    CLOSED, PENDING, VISITING, Leaf, Node, apply, make_node, topological_order, walk,
)
from autograd.ops import (
    Abs, Add, AddConst, Exp, Mul, MulConst, Neg, PowConst, Relu, Sigmoid, Tanh,
)

from test_properties import VALUE_BINARY, VALUE_UNARY, inputs_1d, programs, run

SLOTS = ("data", "grad", "_fn", "_a", "_b", "_label")


def state(node):
    """Everything a node holds, slot by slot (unset slots as a marker)."""
    return tuple(getattr(node, name, "<unset>") for name in SLOTS)


# -- layout ----------------------------------------------------------------------------------------

def test_a_node_is_six_slots_and_one_object():
    # a Tensor adds seven: when its data was made or changed in place (test_in_place_changes.py),
    # its own hooks (so a hook's cycle through its tensor can be freed: test_hooks.py), a
    # constant's views and a view's base, the array it shares with numpy code
    # (test_tensor_in_place.py), a weak reference's, so that what is remembered of a tensor
    # goes with it, and a dict for attributes of the user's own (`out.g = ...`, as PyTorch's
    # tensors take them), made only when one is set
    assert Node.__slots__ == SLOTS and Value.__slots__ == ()
    assert Tensor.__slots__ == ("_written_at", "_hooks", "_views", "_view_of", "_numpy_shares",
                                "__weakref__", "__dict__")
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    assert sys.getsizeof(v) <= 16 + 16 + 8 * len(SLOTS)     # GC header + object header + slots


def test_inputs_live_in_two_slots_and_constants_in_the_second():
    a, b = Value(2.0), Value(3.0)
    assert ((a * b)._a, (a * b)._b) == (a, b)
    y = a * 4.0
    assert (y._fn, y._a, y._b, y._ctx, y.parents) == (MulConst, a, 4.0, 4.0, (a,))
    t = Tensor([1.0, 2.0], requires_grad=True)
    s = t.sum(axis=0)
    assert s._a is t and s._ctx == ((0,), False) and s.parents == (t,)
    c = concatenate([t, t * 2], axis=0)                 # n-ary: a tuple of inputs, then ctx
    assert type(c._a) is tuple and c.parents == c._a and c._ctx == 0


def test_requires_grad_is_read_from_the_op_slot():
    leaf, const = Value(1.0), Value(1.0, requires_grad=False)
    assert (leaf._fn, const._fn) == (Leaf, None)
    assert leaf.requires_grad and leaf.is_leaf and not const.requires_grad and const.is_leaf
    y = leaf * const
    assert y.requires_grad and not y.is_leaf and y._fn is Mul
    assert (const * const)._fn is None and (const * const).parents == ()
    leaf.requires_grad = False
    assert leaf._fn is None
    with pytest.raises(RuntimeError, match="only leaves"):
        y.requires_grad = False


def test_labels_are_stored_only_when_given():
    assert not hasattr(Value(1.0), "_label") and Value(1.0).label == ""
    v = Value(1.0, label="x")
    assert v.label == "x" and v._label == "x"
    v.label = "y"
    assert v.label == "y"
    with pytest.raises(TypeError, match="label: expected a string"):
        v.label = 3


def test_micrograd_op_strings_and_op_names():
    a, b = Value(2.0), Value(3.0)
    cases = [(a + b, "+", "add"), (a * b, "*", "mul"), (a - b, "-", "sub"), (a + 1, "+", "add"),
             (2 * a, "*", "mul"), (a ** 2, "**2", "pow"), (a ** 0.5, "**0.5", "pow"),
             (a.tanh(), "tanh", "tanh"), (a.exp(), "exp", "exp"), (a.relu(), "ReLU", "relu"),
             (-a, "-", "neg"), (a.log(), "log", "log"), (a.sigmoid(), "sigmoid", "sigmoid"),
             (a, "", "")]
    for node, micrograd_op, name in cases:
        assert (node._op, node.op) == (micrograd_op, name)
        assert isinstance(node._op, str)


# -- the node factory ------------------------------------------------------------------------------

def _inline_and_factory_pairs(a, b, k, n):
    """Nodes built by Value's written-out paths, each with the node `make_node` builds."""
    return [
        (a + b, make_node(Value, a.data + b.data, Add, (a, b))),
        (a * b, make_node(Value, a.data * b.data, Mul, (a, b))),
        (a + 1.5, make_node(Value, a.data + 1.5, AddConst, (a,), 1.5)),
        (a * 1.5, make_node(Value, a.data * 1.5, MulConst, (a,), 1.5)),
        (1.5 + a, make_node(Value, 1.5 + a.data, AddConst, (a,), 1.5)),
        (3 * a, make_node(Value, 3 * a.data, MulConst, (a,), 3.0)),
        (a - 0.5, make_node(Value, a.data - 0.5, AddConst, (a,), -0.5)),
        (-a, make_node(Value, -a.data, Neg, (a,))),
        (a.relu(), make_node(Value, a.data, Relu, (a,))),
        (a.tanh(), make_node(Value, math.tanh(a.data), Tanh, (a,))),
        (a.exp(), make_node(Value, math.exp(a.data), Exp, (a,))),
        (n.abs(), make_node(Value, 2.0, Abs, (n,), -1.0)),
        (k * k, make_node(Value, k.data * k.data, Mul, (k, k))),
        (k + 2, make_node(Value, k.data + 2.0, AddConst, (k,), 2.0)),
        (k.sigmoid(), make_node(Value, 1 / (1 + math.exp(-5.0)), Sigmoid, (k,))),
    ]


def test_inline_ops_make_what_make_node_makes():
    """`+`, `*` and the one-input ops write make_node out; the nodes they build must be the
    same, slot for slot, recording or not."""
    a, b, n = Value(2.0), Value(3.0), Value(-2.0)
    k = Value(5.0, requires_grad=False)
    for inline, factory in _inline_and_factory_pairs(a, b, k, n):
        assert state(inline) == state(factory), inline._op
    with no_grad():
        for inline, factory in _inline_and_factory_pairs(a, b, k, n):
            assert inline._fn is None and state(inline) == state(factory), inline._op


def test_anomaly_mode_checks_inline_ops_too():
    """The fast paths of Value's operators check in anomaly mode too (a NaN, which is reported
    wherever it is; an infinity is reported where it is made, not where it is passed on)."""
    a = Value(float("nan"))
    with detect_anomaly():
        for make in (lambda: a + a, lambda: a * 2.0, lambda: a + 1.0, lambda: a * a,
                     lambda: 2.0 * a, lambda: a.relu(), lambda: -a, lambda: a.exp()):
            with pytest.raises(FloatingPointError, match="produced a NaN output"):
                make()
    big = Value(1e308)
    with detect_anomaly():
        for make in (lambda: big + big, lambda: big * 2.0, lambda: big * big, lambda: 2.0 * big):
            with pytest.raises(FloatingPointError, match="produced an infinite output"):
                make()


def test_apply_serves_values_tensors_and_functions():
    v = apply(Tanh, (Value(0.5),))
    assert type(v) is Value and v.data == np.tanh(0.5) and v._fn is Tanh
    t = apply(Exp, (Tensor([0.0, 1.0], requires_grad=True),))
    assert type(t) is Tensor and t.data.dtype == np.float32 and t._fn is Exp
    s = Tensor([1.0, 2.0]).sum()                        # a numpy scalar becomes a 0-d array
    assert type(s.data) is np.ndarray and s.shape == ()

    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g, out, x):
            return (2 * g,)
    x = Value(3.0)
    y = Twice.apply(x)
    y.backward()
    assert (y.data, x.grad, y._op) == (6.0, 2.0, "Twice")


def test_op_rules_are_static_functions():
    from autograd import ops
    for name in ops.__all__:
        op = getattr(ops, name)
        for rule in ("forward", "backward"):
            assert isinstance(op.__dict__.get(rule, staticmethod(len)), staticmethod), (name, rule)


def test_every_op_is_exported_by_autograd_ops():
    """Every Op class defined in autograd/ops/*.py is importable from autograd.ops and listed
    in its __all__ (the two binary cross-entropies were missing)."""
    import importlib
    import pkgutil

    from autograd import ops
    from autograd.graph import Op
    defined = {name for info in pkgutil.iter_modules(ops.__path__)
               for name, obj in vars(importlib.import_module(f"autograd.ops.{info.name}")).items()
               if isinstance(obj, type) and issubclass(obj, Op)
               and obj.__module__ == f"autograd.ops.{info.name}"}
    assert defined - set(ops.__all__) == set()
    assert all(getattr(ops, name).__name__ == name for name in defined)


# -- micrograd's hand-built nodes ------------------------------------------------------------------

def test_value_built_by_hand_is_the_op_node():
    a, b = Value(2.0), Value(-3.0)
    c = Value(a.data * b.data, (a, b), "*")
    assert c._op == "*" and c._prev == (a, b) and c.op == "mul"
    c.backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    t = Value(np.tanh(0.5), (a,), "tanh")
    assert t._fn is Tanh and t.parents == (a,)
    p = Value(a.data ** 2, (a,), "**2")
    assert p._fn is PowConst and p._op == "**2" and p._ctx == 2
    r = Value(0.0, [a], "ReLU")
    assert r._fn is Relu
    s, c = Value(math.sin(2.0), (a,), "sin"), Value(math.cos(2.0), (a,), "cos")
    (s * c).backward()
    assert (s.op, c.op) == ("sin", "cos") and a.grad == pytest.approx(-3.0 + math.cos(4.0))
    with no_grad():
        assert Value(1.0, (a, b), "+").parents == ()
    frozen = Value(-6.0, (a, b), "*", requires_grad=False)     # asked for a constant: one
    assert not frozen.requires_grad and frozen.parents == () and frozen._op == ""


def test_value_built_by_hand_with_a_mistake_says_what_to_do():
    a, b = Value(2.0), Value(3.0)
    with pytest.raises(TypeError, match="for a label write Value\\(..., label='a'\\)"):
        Value(1.0, "a")
    with pytest.raises(TypeError, match="a tuple of Values in input order, got a set"):
        Value(1.0, {a, b}, "+")
    with pytest.raises(TypeError, match="must all be Values"):
        Value(1.0, (a, 2.0), "+")
    with pytest.raises(ValueError, match="no such op to build by hand.*Function"):
        Value(1.0, (a, b), "%")
    with pytest.raises(ValueError, match="no such op"):
        Value(1.0, (a,), "+")


def test_assigning_a_closure_to__backward_says_how_to_add_an_op():
    a, b = Value(2.0), Value(3.0)
    out = a * b
    with pytest.raises(AttributeError, match="takes no closure.*autograd.Function"):
        out._backward = lambda: None
    out.grad = 1.0
    out._backward()                                 # reading it still steps the rule
    assert (a.grad, b.grad) == (3.0, 2.0)


class LectureValue(Value):
    """A learner's subclass that adds ops built by hand, as the lecture builds its own."""

    def cube(self):
        return LectureValue(self.data ** 3, (self,), "**3")

    def times(self, other):
        return LectureValue(self.data * other.data, (self, other), "*")


@pytest.mark.parametrize("build", [
    lambda w, x: w * x.cube(),                  # a subclass node as the second input
    lambda w, x: x.cube() * w,                  # ... as the first
    lambda w, x: w.times(x * w + x),            # the root is the subclass
    lambda w, x: (w * (w * x.cube())).tanh(),   # ... as an input of the second input
    lambda w, x: x.times(x.cube()) + w.times(w) * x,
])
def test_hand_built_nodes_of_a_subclass_get_their_gradients(build):
    w, x = LectureValue(0.7), LectureValue(-1.3)
    y = build(w, x)
    y.backward()
    ref_w, ref_x = LectureValue(0.7), LectureValue(-1.3)
    root, topo, seen = build(ref_w, ref_x), [], set()

    def visit(v):                                   # the lecture's build_topo over _prev
        if id(v) not in seen:
            seen.add(id(v))
            for child in v._prev:
                visit(child)
            topo.append(v)

    visit(root)
    root.grad = 1.0
    for v in reversed(topo):
        v._backward()
    assert (w.grad, x.grad) == (pytest.approx(ref_w.grad, rel=1e-12),
                                pytest.approx(ref_x.grad, rel=1e-12))
    assert ref_w.grad != 0.0 and ref_x.grad != 0.0


# -- the topological order -------------------------------------------------------------------------

def test_order_lists_op_nodes_once_after_their_inputs():
    x, w = Value(0.5), Value(-1.0)
    h = (x * w).tanh()
    y = h * h + h.exp() * 2.0
    order = topological_order(y)
    assert order[-1] is y and len(order) == len({id(n) for n in order})
    assert all(not n.is_leaf for n in order)
    position = {id(n): i for i, n in enumerate(order)}
    for n in order:
        for p in n.parents:
            if not p.is_leaf:
                assert position[id(p)] < position[id(n)]
    assert all(n.grad is PENDING for n in order)         # the marks the backward pass reads
    for n in order:
        n.grad = 0.0


def test_the_order_walks_a_million_deep_chain():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    order = topological_order(y)
    assert len(order) == 1_000_000 and order[0]._a is x
    y.grad = 0.0


# -- the reference loop ----------------------------------------------------------------------------

def reference_backward(root, seed):
    """micrograd's loop on our nodes: sort, seed, then each node's rule once, consumers first."""
    order = topological_order(root)
    root.grad = seed
    for node in reversed(order):
        node._backward()


def _same_as_the_reference_loop(program, unary, xs):
    """backward on one copy of the program, the reference loop (every node listed, nothing
    pruned) on another: the inputs get the same gradients."""
    fast_in, ref_in = [Value(x) for x in xs], [Value(x) for x in xs]
    fast = run(program, unary, VALUE_BINARY, fast_in)
    ref = run(program, unary, VALUE_BINARY, ref_in)
    fast.backward()
    reference_backward(ref, 1.0)
    for a, b in zip(fast_in, ref_in):
        assert a.grad == pytest.approx(b.grad, rel=1e-12, abs=1e-15)


@settings(max_examples=40)
@given(program=programs(VALUE_UNARY, VALUE_BINARY, 3), xs=inputs_1d)
def test_backward_is_the_reference_loop_written_out(program, xs):
    _same_as_the_reference_loop(program, VALUE_UNARY, xs)


# the random programs with ReLUs added (kinks are fine here: no finite differences), so that
# some are off and backward prunes what lies behind them (about a quarter of the examples)
RELU_UNARY = VALUE_UNARY + [("relu", lambda x: x.relu()),
                            ("relu_shifted", lambda x: (x - 0.3).relu()),
                            ("relu_negated", lambda x: (-x).relu())]


@settings(max_examples=200)
@given(program=programs(RELU_UNARY, VALUE_BINARY, 3), xs=inputs_1d)
def test_pruned_backward_is_the_full_reference_loop(program, xs):
    _same_as_the_reference_loop(program, RELU_UNARY, xs)


def test_the_reference_loop_on_tensors():
    rng = np.random.default_rng(0)
    W = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    b = Tensor(rng.normal(size=2), requires_grad=True)
    X = Tensor(rng.normal(size=(4, 3)))
    loss = ((X @ W + b).relu() ** 2).sum()
    loss.backward()
    expected = W.grad.copy(), b.grad.copy()
    W.grad = b.grad = None
    reference_backward(loss, np.ones((), dtype=np.float64))
    np.testing.assert_allclose(W.grad, expected[0], rtol=1e-12)
    np.testing.assert_allclose(b.grad, expected[1], rtol=1e-12)


def _listed(root, prune):
    """topological_order, with the marks it leaves in .grad cleared again."""
    order = topological_order(root, prune=prune)
    for node in order:
        node.grad = 0.0
    return order


def test_nodes_behind_an_off_relu_are_not_visited():
    """An off ReLU passes no gradient, so backward does not even walk what lies only behind
    it: those nodes keep the .grad they had (0 in a new graph), the leaves get nothing."""
    x, w = Value(2.0), Value(-1.0)
    h = x * w                                            # -2: the ReLU is off
    r = h.relu()
    y = r + x
    assert r._ctx is CLOSED and (-h).relu()._ctx is None
    assert [n.op for n in _listed(y, prune=True)] == ["relu", "add"]
    assert [n.op for n in _listed(y, prune=False)] == ["mul", "relu", "add"]
    h.grad = 123.0                                       # a stale number from elsewhere
    y.backward()
    assert (x.grad, w.grad, r.grad) == (1.0, 0.0, 1.0)
    assert h.grad == 123.0                               # not visited: left as it was
    fresh = (x * w).relu() + x
    fresh.backward()
    assert fresh._a._a.grad == 0.0 and w.grad == 0.0


def test_an_off_relu_stays_off_for_backward_even_if_its_data_is_changed():
    """The ReLU's gate is the one it had when made (as PyTorch saves its mask): the rule and
    the sort agree, so no gradient leaks half-way into the part that is not visited."""
    x, w = Value(2.0), Value(-1.0)
    r = (x * w).relu()
    r.data = 5.0                                         # nudged by hand after the fact
    (r * 3.0 + x).backward()
    assert (x.grad, w.grad, r._a.grad) == (1.0, 0.0, 0.0)


def test_a_node_behind_an_off_relu_and_a_live_path_gets_its_gradient():
    x, w = Value(1.5), Value(-2.0)
    h = x * w                                            # -3: off through the ReLU ...
    y = h.relu() * 4.0 + h * h + h.relu()                # ... and live through h * h
    assert h in _listed(y, prune=True)
    y.backward()
    assert h.grad == 2 * h.data                          # only the live path counts
    assert (x.grad, w.grad) == (2 * h.data * w.data, 2 * h.data * x.data)


def test_pruning_matches_the_full_order_on_relu_networks():
    """The same MLP step with and without pruning: identical leaf gradients."""
    import random
    random.seed(3)
    params = [Value(random.uniform(-1, 1)) for _ in range(40)]
    def loss():
        total = Value(0.0)
        for i in range(8):
            xs = [Value(random.uniform(-2, 2)) for _ in range(4)]
            hidden = [sum((p * x for p, x in zip(params[4 * j:4 * j + 4], xs)), params[32 + j])
                      .relu() for j in range(8)]
            total = total + (1 + -(sum(hidden[:4]) - sum(hidden[4:]))).relu()
        return total
    state = random.getstate()
    pruned = loss()
    pruned.backward()
    got = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    random.setstate(state)
    full = loss()
    order = topological_order(full)                      # everything, as before pruning
    for node in order:
        node.grad = 0.0
    full.grad = 1.0
    for node in reversed(order):
        node._backward()
    assert full.data == pruned.data
    assert [p.grad for p in params] == pytest.approx(got, rel=1e-12, abs=0)
    assert len(_listed(full, prune=True)) < len(order) / 2


# -- a chain at the end of a graph (the order lists it without its depth-first walk) -----------

# each link makes one node from y (and, for the last two, an input: a leaf in the chain)
CHAIN_LINKS = [lambda y, xs: y * 1.5, lambda y, xs: y + 0.25, lambda y, xs: y.tanh(),
               lambda y, xs: 2.0 - y, lambda y, xs: (y - 0.1).relu(), lambda y, xs: y ** 2,
               lambda y, xs: -y, lambda y, xs: y * xs[0], lambda y, xs: xs[1] + y]


def _is_a_topological_order(order, pruned=False):
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order)                   # each node once
    for n in order:
        if pruned and n._ctx is CLOSED:                  # what lies behind it is not listed
            continue
        for p in n.parents:
            if not p.is_leaf:
                assert position[id(p)] < position[id(n)], (p.op, n.op)


@settings(max_examples=150)
@given(program=programs(RELU_UNARY, VALUE_BINARY, 3),
       links=st.lists(st.integers(0, len(CHAIN_LINKS) - 1), max_size=6), xs=inputs_1d)
def test_a_chain_after_any_graph_is_ordered_and_backpropagated(program, links, xs):
    """A random graph ended by a random chain of one-input ops: the order lists every op node
    that `walk` (an independent walk) finds, once, after its inputs (with pruning, a part of
    them, the root included); backward gives the gradients of micrograd's loop over the
    walk's own order."""
    def build(inputs):
        root = run(program, RELU_UNARY, VALUE_BINARY, inputs)
        for k in links:
            root = CHAIN_LINKS[k](root, inputs)
        return root
    fast_in, ref_in = [Value(x) for x in xs], [Value(x) for x in xs]
    root = build(fast_in)
    op_nodes = [n for n in walk(root) if not n.is_leaf]
    full = _listed(root, prune=False)
    _is_a_topological_order(full)
    assert {id(n) for n in full} == {id(n) for n in op_nodes} and full[-1] is root
    pruned = _listed(root, prune=True)
    _is_a_topological_order(pruned, pruned=True)
    assert {id(n) for n in pruned} <= {id(n) for n in full} and pruned[-1] is root
    root.backward()
    ref = build(ref_in)
    ref.grad = 1.0
    for node in reversed([n for n in walk(ref) if not n.is_leaf]):
        node._backward()
    for a, b in zip(fast_in, ref_in):
        assert a.grad == pytest.approx(b.grad, rel=1e-12, abs=1e-15)


def test_a_chain_ending_at_an_off_relu_is_listed_up_to_it():
    x, w = Value(2.0), Value(-1.0)
    y = ((x * w).relu() * 3.0 + 1.0).tanh()              # the ReLU is off: -2
    assert [n.op for n in _listed(y, prune=True)] == ["relu", "mul", "add", "tanh"]
    assert [n.op for n in _listed(y, prune=False)] == ["mul", "relu", "mul", "add", "tanh"]


def test_a_chain_ending_in_one_op_on_leaves_backpropagates_without_leaving_marks():
    """Backward walks the whole chain down to its last node, an op on leaves (no sort at all):
    the gradients are the reference loop's, and no node keeps a mark of the pass."""
    x, w = Value(0.5), Value(-1.5)
    m = x * w
    y = ((m.tanh() * 3.0 + 1.0) ** 2).exp()
    y.backward()
    ref_x, ref_w = Value(0.5), Value(-1.5)
    ref = ((ref_x * ref_w).tanh() * 3.0 + 1.0) ** 2
    ref = ref.exp()
    ref.grad = 1.0
    for node in reversed([n for n in walk(ref) if not n.is_leaf]):
        node._backward()
    assert (x.grad, w.grad) == (pytest.approx(ref_x.grad), pytest.approx(ref_w.grad))
    assert all(n.grad.__class__ is float for n in walk(y))
    # a chain that ends at a ReLU that is off: nothing reaches what lies behind it, unmarked
    h = x * w                                            # -0.75
    z = (h.relu() * 2.0 + 1.0).tanh()
    h.grad = 0.0
    x.zero_grad(), w.zero_grad()
    z.backward()
    assert (x.grad, w.grad, h.grad) == (0.0, 0.0, 0.0)


class _Blocked(Function):
    """x passed on unchanged, with no gradient back to it (its rule gives None)."""

    def forward(ctx, x):
        return x

    def backward(ctx, g, out, x):
        return (None,)


def test_a_rule_that_passes_nothing_in_a_chain_leaves_what_lies_behind_without_gradient():
    """Backward walks the chain down with the gradient; where a rule gives None, what lies
    behind gets the empty gradient (as in the reference loop), stale numbers included."""
    x, w = Value(0.5), Value(2.0)
    h = x * w
    t = h.tanh()
    y = (_Blocked.apply(t) * 3.0 + 1.0) * w
    h.grad, t.grad = 123.0, 7.0                          # stale, from elsewhere
    y.backward()
    assert (x.grad, h.grad, t.grad) == (0.0, 0.0, 0.0)
    assert w.grad == pytest.approx(t.data * 3.0 + 1.0)   # from the last link only


def test_a_gradient_of_the_wrong_shape_inside_a_chain_names_the_op():
    class Widen(Function):
        def forward(ctx, x):
            return x * 2.0

        def backward(ctx, g, out, x):
            return (np.ones((3,) + x.shape),)            # one axis too many
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (Widen.apply(x * 3.0) * 2.0).sum()
    with pytest.raises(ValueError, match=r"Widen\.backward: gradient 0 has shape \(3, 2\)"):
        y.backward()


def _unmarked(root):
    return not any(n.grad is PENDING or n.grad is VISITING for n in walk(root))


# n-ary links: a node with several inputs of which one alone is an op node (a linear layer's
# x, with its weight and bias leaves) is a link of the chain too; two op-node inputs, or one
# node given twice, are not. Each link maps (N, 3) rows to (N, 3) rows.
TENSOR_LINKS = [
    lambda y, p: F.linear(y, p["W"], p["b"]),                    # (x, W, b): one op node
    lambda y, p: F.linear(y, p["W"]),                            # (x, W)
    lambda y, p: concatenate((y, p["c"]), axis=1) @ p["W6"],     # (y, constant c)
    lambda y, p: concatenate((y, y), axis=1) @ p["W6"],          # y twice: the sort
    lambda y, p: concatenate((y, y.tanh()), axis=1) @ p["W6"],   # two op nodes: the sort
    lambda y, p: y.tanh(),
    lambda y, p: (y * 1.5).relu(),
]


def _tensor_chain(links, rng_seed):
    rng = np.random.default_rng(rng_seed)
    p = {"W": Tensor(rng.normal(size=(3, 3)), requires_grad=True),
         "b": Tensor(rng.normal(size=3), requires_grad=True),
         "W6": Tensor(rng.normal(size=(6, 3)) * 0.5, requires_grad=True),
         "c": Tensor(rng.normal(size=(4, 3)))}
    x = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    y = x * 1.0
    for k in links:
        y = TENSOR_LINKS[k](y, p)
    return F.cross_entropy(y, np.array([0, 2, 1, 2])), [x, p["W"], p["b"], p["W6"]]


@settings(max_examples=120)
@given(links=st.lists(st.integers(0, len(TENSOR_LINKS) - 1), min_size=1, max_size=6),
       seed=st.integers(0, 2 ** 16))
def test_n_ary_links_of_a_chain_are_ordered_and_backpropagated(links, seed):
    """Random chains of linear layers, concatenations and activations ending in a loss: the
    order lists every op node once, after its inputs; backward gives the gradients of
    micrograd's loop over `walk`'s own order and leaves no marks."""
    root, leaves = _tensor_chain(links, seed)
    op_nodes = [n for n in walk(root) if not n.is_leaf and n._fn is not None]
    full = topological_order(root)
    for node in full:
        node.grad = None
    _is_a_topological_order(full)
    assert {id(n) for n in full} == {id(n) for n in op_nodes} and full[-1] is root
    root.backward()
    assert _unmarked(root)
    ref_root, ref_leaves = _tensor_chain(links, seed)
    ref_root.grad = np.ones((), ref_root.dtype)
    for node in reversed([n for n in walk(ref_root) if not n.is_leaf and n._fn is not None]):
        node._backward()
    for leaf, ref in zip(leaves, ref_leaves):
        if ref.grad is None:                             # (a leaf the links never used)
            assert leaf.grad is None
        else:
            np.testing.assert_allclose(leaf.grad, ref.grad, rtol=1e-12, atol=1e-15)


def test_an_mlp_loss_is_one_chain_and_needs_no_sort(monkeypatch):
    """cross_entropy ← linear ← relu ← linear, the weights and biases leaves: backward walks it
    down with the gradient and never sorts; the gradients are finite differences'."""
    import autograd.graph as graph
    rng = np.random.default_rng(3)
    W1, b1 = rng.normal(size=(5, 4)), rng.normal(size=5)
    W2, b2 = rng.normal(size=(3, 5)), rng.normal(size=3)
    X, labels = rng.normal(size=(6, 4)), np.array([0, 1, 2, 2, 1, 0])

    def loss_of(W1, b1, W2, b2):
        hidden = F.linear(Tensor(X), W1, b1).relu()
        return F.cross_entropy(F.linear(hidden, W2, b2), labels)

    params = [Tensor(a, requires_grad=True) for a in (W1, b1, W2, b2)]
    loss = loss_of(*params)

    def no_sort(*args, **kwargs):
        raise AssertionError("backward sorted a chain")
    monkeypatch.setattr(graph, "topological_order", no_sort)
    loss.backward()
    monkeypatch.undo()
    arrays = [W1, b1, W2, b2]
    for i, param in enumerate(params):
        expected = np.zeros_like(arrays[i])
        for index in np.ndindex(arrays[i].shape):
            up = [a.copy() for a in arrays]
            down = [a.copy() for a in arrays]
            up[i][index] += 1e-6
            down[i][index] -= 1e-6
            expected[index] = (loss_of(*map(Tensor, up)).item()
                               - loss_of(*map(Tensor, down)).item()) / 2e-6
        np.testing.assert_allclose(param.grad, expected, rtol=1e-6, atol=1e-8)
    assert _unmarked(loss)


@pytest.mark.parametrize("step", [
    lambda y: y * 1.0 + 0.0,            # a chain: walked down with the gradient, no order
    lambda y: y + y * 0.0,              # two op inputs a node: sorted, walked in slices
])
def test_a_pass_that_raises_in_a_long_graph_leaves_no_marks(step):
    """A rule that raises at the far end of a long graph (sqrt's slope at 0) leaves no node
    marked, and the next pass works: down a chain, and through an order of more than two
    slices (40,000 nodes: a chain alone never reaches the slices)."""
    x = Value(0.0)
    y = x ** 0.5                                         # d/dx is infinite at 0
    for _ in range(20_000):
        y = step(y)
    with pytest.raises(ZeroDivisionError, match="backward of pow"):
        y.backward()
    assert _unmarked(y)
    x.data = 4.0                                         # (the rule reads the input's data)
    y.backward()
    assert x.grad == pytest.approx(0.25)


class _Interrupted(Function):
    """x passed on; its rule is Ctrl-C arriving during backward."""

    def forward(ctx, x):
        return x

    def backward(ctx, g, out, x):
        raise KeyboardInterrupt


@pytest.mark.parametrize("build", [
    lambda x: (_Interrupted.apply(x * 2.0 + x) * 2.0).tanh(),      # in the chain
    lambda x: ((lambda h: h * h + h)(_Interrupted.apply(x * 2.0))).tanh() * 2.0,  # sorted
])
def test_an_interrupted_pass_leaves_no_marks_and_the_next_one_is_whole(build):
    x = Value(0.5)
    y = build(x)
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert _unmarked(y)


class _Tripwire(Value):
    """A node built by hand whose inputs, once armed, are read once as Ctrl-C arriving."""

    armed = False

    @property
    def _a(self):
        if _Tripwire.armed:
            _Tripwire.armed = False
            raise KeyboardInterrupt
        return Node._a.__get__(self)

    @_a.setter
    def _a(self, inputs):
        Node._a.__set__(self, inputs)


def test_an_interrupt_during_the_sort_leaves_no_marks():
    """Ctrl-C while the order is sorted (half a second of a large graph): the nodes marked so far
    stayed PENDING or VISITING, and the next backward, taking them for listed, gave x and w a
    gradient of 0.0 (when the chain was not walked yet, the marked root made it refuse)."""
    x, w = Value(0.5), Value(-1.5)
    h = x * w
    trap = _Tripwire(h.data * h.data, (h, h), "*")
    y = (trap + h).tanh() * 2.0                         # a chain, then a sort below it
    _Tripwire.armed = True
    try:
        with pytest.raises(KeyboardInterrupt):
            y.backward()
    finally:
        _Tripwire.armed = False
    assert _unmarked(y)
    y.backward()
    t = math.tanh(h.data * h.data + h.data)
    dh = 2.0 * (1 - t * t) * (2 * h.data + 1)
    assert (x.grad, w.grad) == (pytest.approx(dh * w.data), pytest.approx(dh * x.data))


def test_backward_twice_down_a_chain_rewrites_intermediates_and_adds_into_leaves():
    x, w = Value(0.3), Value(-0.7)
    h = x * w
    t = h.tanh()
    y = ((t * 2.0 + w) * 3.0).exp()                      # w in the chain's second slot too
    y.backward()
    once = (x.grad, w.grad, h.grad, t.grad)
    y.backward()
    assert (h.grad, t.grad) == once[2:]
    assert (x.grad, w.grad) == (pytest.approx(2 * once[0]), pytest.approx(2 * once[1]))


def test_a_parameter_in_a_chain_gets_a_gradient_array_of_its_own():
    """A leaf of a subclass (an nn Parameter) may sit in a link's second slot; the rule of + passes
    the link's own gradient array on, and the leaf's .grad must not be that array."""
    from nn import Parameter
    x = Tensor([1.0, 2.0], requires_grad=True)
    p = Parameter(np.array([0.5, -1.0], np.float32))
    y = x * 2.0 + p
    z = y * 1.0
    assert y._b is p
    z.backward(np.ones(2, np.float32))
    assert p.grad is not y.grad and p.grad is not z.grad and p.grad.base is None
    p.grad += 1.0                                        # (an optimizer's in-place update)
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_a_frozen_parameter_in_a_chain_written_after_use_is_refused():
    """A constant in a link's second slot that later joins a graph by a write (p[0] = w[1] * 2)
    stands for its new numbers: backward refuses rather than send p's gradient through the
    write the link never saw."""
    from nn import Parameter
    w = Tensor([1.0, 2.0], requires_grad=True)
    p = Parameter(np.zeros(2, np.float32), requires_grad=False)
    y = w * 3.0 + p
    p[0] = w[1] * 2.0
    with pytest.raises(RuntimeError, match=r"written by t\[index\] = value .* after this op"):
        (y * 1.0).sum().backward()
    assert _unmarked(y) and w.grad is None


def test_a_hook_on_a_link_of_the_chain_runs_once_and_its_gradient_goes_on():
    x = Tensor(np.array([0.5, -0.25]), requires_grad=True)
    t = (x * 3.0).tanh()
    seen = []
    t.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2.0)
    (t * 2.0 + 1.0).sum().backward()
    np.testing.assert_array_equal(np.array(seen), [[2.0, 2.0]])
    np.testing.assert_allclose(x.grad, 4.0 * 3.0 * (1 - np.tanh(3 * x.data) ** 2), rtol=1e-12)


def test_anomaly_mode_names_the_op_of_a_link_that_makes_inf():
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    y = ((x * 1.0).sqrt() * 2.0 + 1.0).sum()
    with detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(FloatingPointError, match="backward of sqrt .* gave an infinite gradient"):
            y.backward()
    assert _unmarked(y) and x.grad is None


def test_a_second_order_gradient_through_a_chain():
    x = Value(0.4)
    y = ((x * x) * 3.0).tanh() * 2.0                     # 2 tanh(3 x²)
    y.backward(create_graph=True)
    slope = x.grad
    x.grad = 0.0
    slope.backward()
    t = math.tanh(3 * 0.4 ** 2)                          # d/dx of 12 x (1 - t²)
    assert x.grad == pytest.approx(12 * (1 - t * t) - 12 * 0.4 * 2 * t * (1 - t * t) * 6 * 0.4)
    assert _unmarked(y)


def test_higher_order_pass_leaves_the_marks_cleared():
    from autograd import grad
    x = Value(0.3)
    h = x.tanh()
    y = h * h
    assert grad(lambda v: (v.tanh() * v.tanh()))(x).data == pytest.approx(
        2 * np.tanh(0.3) * (1 - np.tanh(0.3) ** 2))
    y.backward(create_graph=True)
    assert isinstance(h.grad, Value) and not any(
        n.grad is PENDING or n.grad is VISITING for n in (x, h, y))


def test_a_0d_leafs_gradients_add_up_to_a_0d_array():
    """A scalar parameter used twice, and backward run twice: its .grad stays a 0-d array
    (numpy adds two 0-d arrays into a numpy scalar), with the summed value; an op node's
    gradient from an earlier pass is replaced, not added to."""
    t = Tensor(np.array(1.5, np.float32), requires_grad=True)
    x = Tensor(np.ones(3, np.float32))
    h = t * 2.0
    loss = (x * h).sum() + h * t                         # d/dt = 3·2 + 2·(2t) = 12
    loss.backward(retain_graph=True)
    assert t.grad.__class__ is np.ndarray and t.grad.shape == () and t.grad == 12.0
    loss.backward()
    assert t.grad.__class__ is np.ndarray and t.grad == 24.0
    assert h.grad == 3.0 + 1.5                           # this pass's alone


def test_a_0d_leaf_root_and_a_hooked_0d_leaf_add_up_to_a_0d_array():
    """The other two places a leaf's gradients are added: backward run twice from a 0-d leaf
    itself, and two passes into a 0-d leaf with a hook (its new gradient is added after the
    hook): .grad stays a 0-d array, as in the passes above."""
    t = Tensor(np.array(1.5, np.float32), requires_grad=True)
    t.backward()
    t.backward()
    assert t.grad.__class__ is np.ndarray and t.grad.shape == () and t.grad == 2.0
    assert t.grad.dtype == np.float32
    u = Tensor(np.array(1.5, np.float32), requires_grad=True)
    u.register_hook(lambda g: g * 2)
    (u * 3.0).backward()
    (u * 3.0).backward()
    assert u.grad.__class__ is np.ndarray and u.grad.shape == () and u.grad == 12.0
