"""Whole models compiled: micrograd's demo step (against eager mode and against micrograd
itself), Mazur's worked example, and nn.scalar's MLP trained with an optimizer."""

from __future__ import annotations

import importlib.util
import random

import pytest

from autograd import Value, compile
from benchmarks import scalar_mlp
from compile_helpers import close
from nn import scalar
from nn.optim import SGD

STEPS = 10


def compiled_demo(steps, points=100):
    """`steps` of the demo's SGD, the graph recorded once and replayed."""
    X, y = scalar_mlp.make_moons(points)
    model = scalar_mlp.build_model(Value)
    graph = compile(scalar_mlp.demo_loss(model, X, y, Value))
    params, losses = model.parameters(), []
    for k in range(steps):
        losses.append(graph.forward())
        model.zero_grad()
        graph.backward()
        for p in params:
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
    return losses


def eager_demo(steps, value_cls, points=100):
    X, y = scalar_mlp.make_moons(points)
    model = scalar_mlp.build_model(value_cls)
    return [scalar_mlp.train_step(model, X, y, k, value_cls) for k in range(steps)]


def test_micrograds_demo_compiled_forward_is_the_eager_forward_bit_for_bit():
    """+, * and relu, with every fused sum added in the eager order: the same number."""
    X, y = scalar_mlp.make_moons(100)
    model = scalar_mlp.build_model(Value)
    loss = scalar_mlp.demo_loss(model, X, y, Value)
    graph = compile(loss)
    for p in model.parameters():
        p.data *= 0.9                              # new numbers: the replay recomputes all
    assert graph.forward() == scalar_mlp.demo_loss(model, X, y, Value).data


def test_micrograds_demo_compiled_follows_the_eager_losses():
    for got, want in zip(compiled_demo(STEPS), eager_demo(STEPS, Value)):
        assert close(got, want), (got, want)


@pytest.mark.skipif(importlib.util.find_spec("micrograd") is None,
                    reason="micrograd is not installed (pip install micrograd to compare)")
def test_micrograds_demo_compiled_follows_micrograds_own_losses():
    """On 20 of the points (micrograd takes ~2 s a step on all 100; benchmarks/compile.py
    compares the full demo)."""
    from micrograd.engine import Value as MicrogradValue
    for got, want in zip(compiled_demo(STEPS, 20), eager_demo(STEPS, MicrogradValue, 20)):
        assert close(got, want), (got, want)


def test_mazurs_worked_example_compiled():
    """The 2-2-2 sigmoid network: the article's numbers after the first update and after
    10,000 rounds (see tests/test_mazur.py), the graph recorded once."""
    w = [Value(x) for x in (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)]
    i1, i2, t1, t2, b1, b2 = 0.05, 0.10, 0.01, 0.99, 0.35, 0.60
    h1 = (w[0] * i1 + w[1] * i2 + b1).sigmoid()
    h2 = (w[2] * i1 + w[3] * i2 + b1).sigmoid()
    o1 = (w[4] * h1 + w[5] * h2 + b2).sigmoid()
    o2 = (w[6] * h1 + w[7] * h2 + b2).sigmoid()
    error = compile(0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2)
    for r in range(1, 10_001):
        e = error.forward()
        if r == 10_000:
            break
        for p in w:
            p.grad = 0.0
        error.backward()
        for p in w:
            p.data -= 0.5 * p.grad
        if r == 1:
            assert round(e, 9) == 0.298371109
            assert round(w[4].data, 8) == 0.35891648 and round(w[0].data, 9) == 0.149780716
    assert f"{e:.5e}" == "3.51085e-05"


def test_nn_scalar_mlp_with_an_optimizer_matches_eager_training():
    """The recipe of nn.scalar's docstring: inputs as leaves, compile, replay with SGD."""
    X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5], [0.1, 0.9]]
    y = [1.0, -1.0, 1.0, -1.0]

    def run(compiled):
        random.seed(0)
        model = scalar.MLP(2, [4, 4, 1], activation="tanh")
        optimizer = SGD(model.parameters(), lr=0.1)
        inputs = [[Value(v, requires_grad=False) for v in row] for row in X]

        def loss():
            return sum((model(row) - t) ** 2 for row, t in zip(inputs, y))

        graph = compile(loss()) if compiled else None
        history = []
        for _ in range(5):
            optimizer.zero_grad()
            if compiled:
                history.append(graph.forward())
                graph.backward()
            else:
                total = loss()
                history.append(total.data)
                total.backward()
            optimizer.step()
        return history

    for got, want in zip(run(True), run(False)):
        assert close(got, want)


def test_the_losses_over_values_compile():
    """nn's losses over lists of Values are built from Value ops: each compiles, and replays
    new predictions as eager mode computes them (labels folded in as numbers)."""
    from autograd.functional import binary_cross_entropy, binary_cross_entropy_with_logits
    from nn.functional import hinge_loss, l1_loss, mse_loss
    from compile_helpers import check_against_eager

    w = [Value(0.3), Value(-1.2), Value(0.8)]
    losses = {
        "mse": lambda: mse_loss([w[0] * 2, w[1], w[2]], [1.0, 0.0, -1.0]),
        "l1": lambda: l1_loss([w[0] * 2, w[1], w[2]], [1.0, 0.0, -1.0]),
        "hinge": lambda: hinge_loss([w[0], w[1], w[2]], [1, -1, 1]),
        "bce": lambda: binary_cross_entropy([w[0].sigmoid(), w[1].sigmoid()], [1, 0]),
        "bce_with_logits": lambda: binary_cross_entropy_with_logits([w[0], w[2]], [1, 0]),
    }
    for name, build in losses.items():
        check_against_eager(build, w, [0.5, -0.7, 1.1])


def test_the_losses_follow_new_labels_given_as_values():
    """Labels given as Values that want no gradient (a batch fed by assigning .data) stay
    inputs of the losses' graphs: no number is computed from them alone (-y, 1 - t), so compile
    does not warn and the replays follow new labels as eager mode does."""
    import warnings

    from autograd.functional import binary_cross_entropy, binary_cross_entropy_with_logits
    from nn.functional import hinge_loss
    from compile_helpers import check_against_eager

    w = [Value(0.3), Value(-1.2)]
    y = [Value(1.0, requires_grad=False), Value(-1.0, requires_grad=False)]
    t = [Value(1.0, requires_grad=False), Value(0.0, requires_grad=False)]
    losses = [
        (lambda: hinge_loss(w, y), y, [-1.0, 1.0]),
        (lambda: binary_cross_entropy([p.sigmoid() for p in w], t), t, [0.0, 0.25]),
        (lambda: binary_cross_entropy_with_logits(w, t), t, [0.0, 0.75]),
        (lambda: binary_cross_entropy_with_logits(w, t, pos_weight=2.0), t, [0.0, 1.0]),
    ]
    for build, labels, new_labels in losses:
        for label, recorded in zip(labels, (1.0, 0.0)):
            label.data = recorded if labels is t else 2 * recorded - 1
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_against_eager(build, w + labels, [0.5, -0.7] + new_labels)


def test_gradient_graphs_of_a_relu_mlp_follow_new_inputs():
    """A gradient-norm penalty Σ (∂loss/∂p)² of a micrograd-style ReLU MLP, built with
    create_graph=True and compiled: with new inputs (which switch ReLUs on and off) its value
    and its gradient are eager mode's, which rebuilds the graphs at the new inputs."""
    import warnings

    random.seed(3)
    model = scalar.MLP(2, [4, 4, 1])
    params = model.parameters()
    X = [[Value(v, requires_grad=False) for v in row] for row in
         [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5], [0.1, 0.9]]]
    y = [1.0, -1.0, 1.0, -1.0]

    def penalty():
        for p in params:
            p.grad = 0.0
        loss = sum((model(row) - t) ** 2 for row, t in zip(X, y))
        loss.backward(create_graph=True)
        return sum(p.grad * p.grad for p in params)

    def eager() -> tuple[float, list[float]]:
        out = penalty()
        for p in params:
            p.grad = 0.0
        out.backward()
        return out.data, [p.grad for p in params]

    def active() -> list[bool]:
        """Which first-layer ReLUs are on, for each input row."""
        return [neuron(row).data > 0 for neuron in model.layers[0].neurons for row in X]

    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no number frozen at the recorded data
        graph = compile(penalty())
    recorded = active()
    for row in X:                                   # new inputs: other ReLUs are on
        for v in row:
            v.data = -2.0 * v.data + 0.3
    assert active() != recorded
    for p in params:
        p.grad = 0.0
    value = graph.forward()
    graph.backward()
    want_value, want_grads = eager()
    assert close(value, want_value), (value, want_value)
    scale = max(map(abs, want_grads))
    for p, want in zip(params, want_grads):
        assert close(p.grad, want, scale), (p.grad, want)
