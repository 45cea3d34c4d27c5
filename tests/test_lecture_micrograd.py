"""The code of the lecture that builds micrograd runs unchanged on `autograd.Value`.

The lecture defines its own `class Value`; a learner replaces that cell with
`from autograd import Value` and runs the rest. The cells below are rewritten from the lecture
(same calls, same attribute names, same numbers): the expression graph and its drawing with
graphviz, stepping backprop by hand with `_backward()`, the topological sort over `_prev`,
`a + a`, tanh written with exp, the PyTorch comparison (live where torch is installed, else as
recorded in tests/reference/lecture_micrograd.npz), and the Neuron / Layer / MLP loop.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from graphviz import Digraph

from autograd import Value
from reference import recorded


# -- the lecture's helpers, as a learner types them ------------------------------------------------

def trace(root):
    """All nodes and edges of the graph (the lecture's recursive version)."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges


def draw_dot(root):
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad),
                 shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def build_topo(root):
    topo, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)
    build(root)
    return topo


def neuron_graph():
    """The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), every node labelled."""
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"                # noqa: E702 (the lecture's style)
    x2w2 = x2 * w2; x2w2.label = "x2*w2"                # noqa: E702
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"   # noqa: E702
    n = x1w1x2w2 + b; n.label = "n"                     # noqa: E702
    o = n.tanh(); o.label = "o"                         # noqa: E702
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2,
                   x1w1x2w2=x1w1x2w2, n=n)


# The lecture's printed numbers (PyTorch agrees): o = 0.7071, and these gradients.
NEURON_GRADS = dict(x1=-1.5, w1=1.0, x2=0.5, w2=0.0, b=0.5, n=0.5)


def assert_neuron_grads(v):
    for name, expected in NEURON_GRADS.items():
        assert v[name].grad == pytest.approx(expected, abs=1e-12), name


# -- the cells ------------------------------------------------------------------------------------

def test_expression_graph_and_its_drawing():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b; e.label = "e"                            # noqa: E702
    d = e + c; d.label = "d"                            # noqa: E702
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"                            # noqa: E702
    assert L.data == -8.0 and repr(L) == "Value(data=-8.0, grad=0.0)"
    assert (e._op, d._op, L._op, a._op) == ("*", "+", "*", "")
    assert L._prev == (d, f) and a._prev == ()

    L.grad = 1.0                                        # the lecture's gradients by hand
    f.grad, d.grad = 4.0, -2.0
    source = draw_dot(L).source
    for label in ("a", "b", "c", "d", "e", "f", "L"):
        assert f"{{ {label} | data " in source
    assert "grad -2.0000" in source and source.count("label=\"*\"") == 2

    nodes, edges = trace(L)
    assert len(nodes) == 7 and len(edges) == 6


def test_nudging_inputs_along_the_gradient_raises_L():
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    L = (a * b + c) * f
    L.backward()
    before = L.data
    for leaf in (a, b, c, f):
        leaf.data += 0.01 * leaf.grad
    assert ((a * b + c) * f).data > before


def test_numerical_derivative_as_in_lol():
    def L_of(h):
        a = Value(2.0 + h, label="a")
        return ((a * Value(-3.0) + Value(10.0)) * Value(-2.0)).data
    h = 0.001
    assert (L_of(h) - L_of(0.0)) / h == pytest.approx(6.0, abs=1e-9)


def test_neuron_forward_and_backward():
    o, v = neuron_graph()
    assert o.data == pytest.approx(0.7071067811865476, abs=1e-15) and o._op == "tanh"
    o.backward()
    assert_neuron_grads(v)
    assert draw_dot(o).source.count("label=tanh") == 1


def test_the_neurons_numbers_are_the_lectures_bit_for_bit():
    """The lecture prints o and works out n.grad = 1 - o.data**2 by hand: 0.4999999999999999.
    Its tanh is (e^2n - 1) / (e^2n + 1); math.tanh is 1 ulp off here (0.7071067811865477),
    where the lecture, numpy and PyTorch's float64 tanh give 0.7071067811865476."""
    o, v = neuron_graph()
    assert o.data == 0.7071067811865476
    assert 1 - o.data ** 2 == 0.4999999999999999
    o.backward()
    assert v["n"].grad == 0.4999999999999999 and v["x1"].grad == -1.4999999999999996


def test_a_tanh_networks_forward_pass_is_the_lectures_bit_for_bit():
    """The first forward pass of the lecture's MLP (before any update: gradients' sums depend on
    the order of the lecture's sets) equals the lecture's own Value's, every output and loss."""
    random.seed(42)
    ours = lecture_network(Value)(3, [4, 4, 1])
    random.seed(42)
    reference = lecture_network(ClosureValue)(3, [4, 4, 1])
    for x in XS:
        assert ours(x).data == reference(x).data
    loss = sum((ours(x) - y) ** 2 for x, y in zip(XS, YS))
    assert loss.data == sum((reference(x) - y) ** 2 for x, y in zip(XS, YS)).data


def test_stepping_backprop_by_hand_with__backward():
    """The lecture calls each node's _backward in turn after setting o.grad = 1."""
    o, v = neuron_graph()
    o.grad = 1.0
    o._backward()
    assert v["n"].grad == pytest.approx(0.5, abs=1e-12) and v["b"].grad == 0.0
    v["n"]._backward()
    v["b"]._backward()                                  # a leaf: does nothing
    v["x1w1x2w2"]._backward()
    v["x2w2"]._backward()
    v["x1w1"]._backward()
    assert_neuron_grads(v)


def test_topological_order_over__prev_then__backward_in_reverse():
    o, v = neuron_graph()
    topo = build_topo(o)
    assert topo[-1] is o and len(topo) == 10
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    assert_neuron_grads(v)


def test_a_node_used_twice_gets_both_gradients():
    a = Value(3.0, label="a")
    b = a + a; b.label = "b"                            # noqa: E702
    b.backward()
    assert a.grad == 2.0 and b._prev == (a, a)

    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    d = a * b; d.label = "d"                            # noqa: E702
    e = a + b; e.label = "e"                            # noqa: E702
    f = d * e; f.label = "f"                            # noqa: E702
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)             # e·b + d, e·a + d
    assert len(trace(f)[0]) == 5


def test_the_other_operators_of_the_lecture():
    a, b = Value(2.0), Value(4.0)
    assert (a - b).data == -2.0 and (a / b).data == 0.5 and (a + 1).data == 3.0
    assert (2 * a).data == 4.0 and (1 + a).data == 3.0 and a.exp().data == math.exp(2.0)
    assert (a ** 2)._op == "**2" and (a ** -1)._op == "**-1"


def test_tanh_written_with_exp_gives_the_same_numbers():
    """The lecture rewrites o = n.tanh() as e = (2n).exp(); o = (e - 1) / (e + 1)."""
    o_tanh, v = neuron_graph()
    o_tanh.backward()
    expected = {name: v[name].grad for name in NEURON_GRADS}

    _, v = neuron_graph()
    n = v["n"]
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    assert o.data == pytest.approx(o_tanh.data, abs=1e-15)
    o.backward()
    for name, grad in expected.items():
        assert v[name].grad == pytest.approx(grad, abs=1e-12), name


def neuron_torch(torch) -> dict[str, float]:
    """The lecture's comparison cell: the neuron in PyTorch, its output o, leaves and their
    gradients."""
    x1 = torch.Tensor([2.0]).double(); x1.requires_grad = True          # noqa: E702
    x2 = torch.Tensor([0.0]).double(); x2.requires_grad = True          # noqa: E702
    w1 = torch.Tensor([-3.0]).double(); w1.requires_grad = True         # noqa: E702
    w2 = torch.Tensor([1.0]).double(); w2.requires_grad = True          # noqa: E702
    b = torch.Tensor([6.8813735870195432]).double(); b.requires_grad = True   # noqa: E702
    n = x1 * w1 + x2 * w2 + b
    o = torch.tanh(n)
    o.backward()
    leaves = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b)
    return {"o": o.data.item(), **{name: t.data.item() for name, t in leaves.items()},
            **{f"{name}.grad": t.grad.item() for name, t in leaves.items()}}


def assert_the_same_neuron_as(theirs) -> None:
    """Our neuron's output and leaf gradients are PyTorch's."""
    ours, v = neuron_graph()
    ours.backward()
    # torch.Tensor([...]) is float32 before .double(): b keeps 7 digits, so o prints 0.7071066...
    assert ours.data == pytest.approx(float(theirs["o"]), abs=1e-6)
    for name in ("x1", "x2", "w1", "w2", "b"):
        assert v[name].data == pytest.approx(float(theirs[name]), abs=1e-6), name
        assert v[name].grad == pytest.approx(float(theirs[f"{name}.grad"]), abs=1e-6), name


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/lecture_micrograd.npz: what the lecture's PyTorch cell computes."""
    return {name: np.array(value) for name, value in neuron_torch(torch).items()}


def test_the_same_neuron_in_pytorch():
    """The lecture's comparison cell; the numbers it prints are the ones asserted above."""
    torch = pytest.importorskip("torch", reason="PyTorch is optional (pip install torch)")
    assert_the_same_neuron_as(neuron_torch(torch))


def test_the_same_neuron_as_pytorchs_recorded_numbers():
    assert_the_same_neuron_as(recorded("lecture_micrograd"))


# -- the lecture's network and its training loop --------------------------------------------------

def lecture_network(Value):
    """The lecture's Neuron, Layer and MLP, written against whichever `Value` is given."""

    class Neuron:
        def __init__(self, nin):
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(random.uniform(-1, 1))

        def __call__(self, x):
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return act.tanh()

        def parameters(self):
            return self.w + [self.b]

    class Layer:
        def __init__(self, nin, nout):
            self.neurons = [Neuron(nin) for _ in range(nout)]

        def __call__(self, x):
            outs = [n(x) for n in self.neurons]
            return outs[0] if len(outs) == 1 else outs

        def parameters(self):
            return [p for neuron in self.neurons for p in neuron.parameters()]

    class MLP:
        def __init__(self, nin, nouts):
            sz = [nin] + nouts
            self.layers = [Layer(sz[i], sz[i + 1]) for i in range(len(nouts))]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]

    return MLP


XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def train(net, steps=20):
    losses = []
    for _ in range(steps):
        ypred = [net(x) for x in XS]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(YS, ypred))
        for p in net.parameters():
            p.grad = 0.0
        loss.backward()
        for p in net.parameters():
            p.data += -0.1 * p.grad
        losses.append(loss.data)
    return losses


class ClosureValue:
    """The lecture's own Value (closures and all), the reference the numbers are checked against."""

    def __init__(self, data, _children=(), _op=""):
        self.data, self.grad = data, 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, ClosureValue) else ClosureValue(other)
        out = ClosureValue(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, ClosureValue) else ClosureValue(other)
        out = ClosureValue(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, other):
        out = ClosureValue(self.data ** other, (self,), f"**{other}")

        def _backward():
            self.grad += other * (self.data ** (other - 1)) * out.grad
        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def tanh(self):
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = ClosureValue(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        for node in reversed(build_topo(self)):
            if node is self:
                node.grad = 1.0
            node._backward()


def test_the_lecture_mlp_trains_with_the_lecture_numbers():
    """20 steps of the lecture's loop: the same losses as the lecture's own Value class."""
    random.seed(42)
    ours = lecture_network(Value)(3, [4, 4, 1])
    random.seed(42)
    reference = lecture_network(ClosureValue)(3, [4, 4, 1])
    assert len(ours.parameters()) == 41
    assert [p.data for p in ours.parameters()] == [p.data for p in reference.parameters()]
    assert repr(ours([2.0, 3.0, -1.0])).startswith("Value(data=")

    our_losses, reference_losses = train(ours), train(reference)
    assert our_losses == pytest.approx(reference_losses, rel=1e-9, abs=1e-12)
    assert our_losses[-1] < 0.05 < our_losses[0]        # it learns the four targets
