"""micrograd's neuron, o = tanh(x1 w1 + x2 w2 + b), labelled as the lecture labels it: the
graph the drawing and step-through tests draw (one copy for all of them)."""

from __future__ import annotations

from autograd import Value


def neuron_with_leaves() -> tuple[Value, dict[str, Value]]:
    """The neuron's output o and its five leaves by label."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o, {"x1": x1, "w1": w1, "x2": x2, "w2": w2, "b": b}


def neuron() -> Value:
    """The neuron's output o (its graph behind it)."""
    return neuron_with_leaves()[0]
