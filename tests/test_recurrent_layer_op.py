"""autograd.ops.recurrent's LSTMLayer through lstm_layer, an LSTM layer run from its input itself
(one product a step with [h; x_t; 1]): the numbers and gradients of `linear` + lstm_sequence,
first and second derivatives against finite differences (every input: x, h0, c0, both weights,
both biases), PyTorch's LSTM, packed lengths, the nodes nn.LSTM makes, dtypes, saturated gates,
and errors that name the op."""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext

import numpy as np
import pytest

from autograd import (Tensor, concatenate, functional, grad, gradcheck, gradcheck_parameters,
                      no_grad)
from autograd.functional import gru_layer, gru_sequence, linear, lstm_layer, lstm_sequence
from autograd.graph import walk
from nn import GRU, LSTM
from nn.utils.rnn import pack_padded_sequence

from conftest import strict, t64
from test_recurrent_sequence_ops import assert_a_second_backward_adds_the_same


def operands(rng, T, N, F, H, bias=True, dtype=np.float64):
    """x (T, N, F), h0, c0 (N, H), W_ih (4H, F), W_hh (4H, H) and both biases (or none), as
    leaves; spread so that the gates are neither linear nor saturated."""
    def leaf(scale, shape):
        return Tensor(rng.normal(0, scale, shape).astype(dtype), requires_grad=True)
    parts = [leaf(1.2, (T, N, F)), leaf(1, (N, H)), leaf(1, (N, H)), leaf(0.8, (4 * H, F)),
             leaf(0.8, (4 * H, H))]
    return parts + ([leaf(0.5, 4 * H), leaf(0.5, 4 * H)] if bias else [])


def flat(hs, last):
    return concatenate([hs.reshape(-1)] + [part.reshape(-1) for part in last])


def layer_op(x, h0, c0, W_ih, W_hh, *biases, reverse=False, lengths=None):
    return flat(*lstm_layer(x, h0, c0, W_ih, W_hh, *biases, reverse=reverse, lengths=lengths))


def two_nodes(x, h0, c0, W_ih, W_hh, *biases, reverse=False, lengths=None):
    """The same layer as nn.LSTM ran it before: `linear` for the input's share (both biases
    in it), then lstm_sequence."""
    A = linear(x, W_ih, biases[0] + biases[1] if biases else None)
    return flat(*lstm_sequence(A, h0, c0, W_hh, None, reverse=reverse, lengths=lengths))


def gru_operands(rng, T, N, F, H, bias=True, dtype=np.float64):
    """x (T, N, F), h0 (N, H), W_ih (3H, F), W_hh (3H, H) and both biases (or none), as
    leaves; spread so that the gates are neither linear nor saturated."""
    def leaf(scale, shape):
        return Tensor(rng.normal(0, scale, shape).astype(dtype), requires_grad=True)
    parts = [leaf(1.2, (T, N, F)), leaf(1, (N, H)), leaf(0.8, (3 * H, F)),
             leaf(0.8, (3 * H, H))]
    return parts + ([leaf(0.5, 3 * H), leaf(0.5, 3 * H)] if bias else [])


def gru_layer_op(x, h0, W_ih, W_hh, *biases, reverse=False, lengths=None):
    hs, h_n = gru_layer(x, h0, W_ih, W_hh, *biases, reverse=reverse, lengths=lengths)
    return flat(hs, (h_n,))


def gru_two_nodes(x, h0, W_ih, W_hh, *biases, reverse=False, lengths=None):
    """The same layer as nn.GRU ran it before: `linear` for the input's share (b_ih in it),
    then gru_sequence (b_hh in each step's hidden share, which r multiplies)."""
    A = linear(x, W_ih, biases[0] if biases else None)
    hs, h_n = gru_sequence(A, h0, W_hh, biases[1] if biases else None, reverse=reverse,
                           lengths=lengths)
    return flat(hs, (h_n,))


def values_and_gradients(f, leaves, weights, **options):
    for leaf in leaves:
        leaf.zero_grad()
    out = f(*leaves, **options)
    (out * weights).sum().backward()
    return [out.data] + [leaf.grad for leaf in leaves]


# a batch smaller and one larger than the layer's hidden rows (backward adds Σ_t d_t [h; x_t; 1]ᵀ
# step by step: recurrent.StepSums)
BATCHES = [3, 16]
LENGTHS = {3: [4, 1, 3], 16: [1, 4, 2, 3] * 4}


#: the two layer ops, each with its operands' maker and the two nodes it stands for
OPS = {"lstm_layer": (operands, layer_op, two_nodes),
       "gru_layer": (gru_operands, gru_layer_op, gru_two_nodes)}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("N", BATCHES, ids=lambda n: f"N={n}")
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
@pytest.mark.parametrize("packed", [False, True], ids=["all steps", "lengths"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_values_and_gradients_are_linear_and_the_sequence_op(rng, op, N, reverse, bias, packed,
                                                             dtype):
    make, f, two = OPS[op]
    leaves = make(rng, 4, N, 2, 3, bias, dtype)
    options = {"reverse": reverse, "lengths": np.array(LENGTHS[N]) if packed else None}
    weights = rng.uniform(0.5, 1.5, f(*leaves, **options).shape).astype(dtype)
    mine, theirs = (values_and_gradients(g, leaves, weights, **options) for g in (f, two))
    tolerance = {"rtol": 1e-12, "atol": 1e-13} if dtype == np.float64 else \
        {"rtol": 2e-5, "atol": 2e-5}
    for a, b in zip(mine, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, **tolerance)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("packed", [False, True], ids=["all steps", "lengths"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_a_second_backward_adds_the_same_gradients(rng, op, reverse, packed, dtype):
    make, f, _ = OPS[op]
    lengths = np.array(LENGTHS[3]) if packed else None
    assert_a_second_backward_adds_the_same(
        rng, lambda *v: f(*v, reverse=reverse, lengths=lengths), make(rng, 4, 3, 2, 3, dtype=dtype),
        dtype)


# -- first and second derivatives against finite differences -----------------------------------

SHAPES = [(1, 1), (1, 3), (4, 1), (3, 2), (2, 16)]        # (T, N)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("T, N", SHAPES, ids=lambda v: str(v))
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_gradients_of_every_input_match_finite_differences(rng, op, T, N, reverse):
    make, f, _ = OPS[op]
    assert gradcheck(lambda *v: f(*v, reverse=reverse), *make(rng, T, N, 2, 2))


@pytest.mark.parametrize("op", OPS)
def test_gradients_without_biases_match_finite_differences(rng, op):
    make, f, _ = OPS[op]
    assert gradcheck(f, *make(rng, 3, 2, 3, 2, bias=False))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("N", BATCHES, ids=lambda n: f"N={n}")
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_gradients_with_lengths_match_finite_differences(rng, op, N, reverse):
    make, f, _ = OPS[op]
    lengths = np.array(LENGTHS[N])
    assert gradcheck(lambda *v: f(*v, reverse=reverse, lengths=lengths), *make(rng, 4, N, 2, 2))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
def test_second_derivatives_match_finite_differences(rng, op, reverse, bias):
    """Called with Tensors, each rule builds the input's share and its sequence op's graph
    (lstm_sequence's, gru_sequence's): the gradient can be differentiated again, in every
    input."""
    make, f, _ = OPS[op]
    leaves = make(rng, 3, 2, 2, 2, bias)
    probe = [rng.normal(size=leaf.shape) for leaf in leaves]

    def slope(*v):              # the gradient of a loss, along a fixed direction in all inputs
        out = f(*v, reverse=reverse)
        grads = grad((out * out).sum(), list(v), create_graph=True)
        return sum((g * p).sum() for g, p in zip(grads, probe))
    assert gradcheck(slope, *leaves)


# -- against PyTorch ---------------------------------------------------------------------------

@pytest.mark.parametrize("N", [1, 16], ids=lambda n: f"N={n}")
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_pytorchs_lstm_gives_the_same_values_and_gradients(rng, N, reverse, dtype):
    """torch.nn.LSTM with the same weights and initial state: outputs, h_n, c_n and the
    gradients of the input, h0, c0 and all four parameters (reverse: torch's layer on the
    sequence read backwards)."""
    torch = pytest.importorskip("torch", reason="cross-check with PyTorch: pip install torch")
    T, F, H = 5, 3, 4
    leaves = operands(rng, T, N, F, H, dtype=dtype)
    weights = rng.uniform(0.5, 1.5, layer_op(*leaves, reverse=reverse).shape).astype(dtype)
    mine = values_and_gradients(layer_op, leaves, weights, reverse=reverse)
    model = torch.nn.LSTM(F, H).to(getattr(torch, np.dtype(dtype).name))
    with torch.no_grad():
        for p, leaf in zip((model.weight_ih_l0, model.weight_hh_l0, model.bias_ih_l0,
                            model.bias_hh_l0), leaves[3:]):
            p.copy_(torch.from_numpy(leaf.data))
    x, h0, c0 = (torch.tensor(leaf.data, requires_grad=True) for leaf in leaves[:3])
    hs, (h_n, c_n) = model(x.flip(0) if reverse else x, (h0[None], c0[None]))
    out = torch.cat([(hs.flip(0) if reverse else hs).reshape(-1), h_n.reshape(-1),
                     c_n.reshape(-1)])
    (out * torch.from_numpy(weights)).sum().backward()
    theirs = [out.detach().numpy(), x.grad.numpy(), h0.grad.numpy(), c0.grad.numpy()] + \
        [p.grad.numpy() for p in (model.weight_ih_l0, model.weight_hh_l0, model.bias_ih_l0,
                                  model.bias_hh_l0)]
    tolerance = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else \
        {"rtol": 1e-4, "atol": 1e-5}
    for a, b in zip(mine, theirs):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, **tolerance)


# -- what backward skips, the node, the numbers at the edges, dtypes -----------------------------

def test_an_input_that_wants_no_gradient_gets_none_and_the_rest_are_unchanged(rng):
    leaves = operands(rng, 3, 4, 2, 3)
    weights = rng.uniform(0.5, 1.5, layer_op(*leaves).shape)
    wanted = values_and_gradients(layer_op, leaves, weights)
    data = Tensor(leaves[0].data)
    rest = values_and_gradients(layer_op, [data] + leaves[1:], weights)
    assert data.grad is None
    for a, b in zip(wanted[:1] + wanted[2:], rest[:1] + rest[2:]):
        np.testing.assert_array_equal(a, b)


def test_a_layer_is_one_node_and_the_results_are_its_slices(rng):
    x, h0, c0, W_ih, W_hh, b_ih, b_hh = operands(rng, 5, 2, 3, 2)
    hs, (h_n, c_n) = lstm_layer(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    node = hs.parents[0]
    assert node.op == "lstm_layer" and node.parents == (x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    assert node.shape == (2, 5, 2, 2)
    for part in (h_n, c_n):
        assert part.op == "getitem" and part.parents == (node,)
    np.testing.assert_array_equal(h_n.data, hs.data[-1])
    hs, (h_n, c_n) = lstm_layer(x, h0, c0, W_ih, W_hh, b_ih, b_hh, reverse=True)
    np.testing.assert_array_equal(h_n.data, hs.data[0])


def test_saturated_gates_give_the_limits_without_warnings(rng):
    """Sums of ±1000 (tanh(±500) of σ's halves, tanh(±1000) of g): the gates are exactly 0, 1
    or ±1, with no warning, and values and gradients are lstm_sequence's."""
    leaves = operands(rng, 3, 2, 2, 3)
    leaves[0] = t64(rng.choice([-1.0, 1.0], leaves[0].shape))
    leaves[3] = t64(rng.choice([-1000.0, 1000.0], leaves[3].shape))
    weights = rng.uniform(0.5, 1.5, layer_op(*leaves).shape)
    with strict():
        results = [values_and_gradients(f, leaves, weights) for f in (layer_op, two_nodes)]
    for mine, theirs in zip(*results):
        assert np.isfinite(mine).all()
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_an_empty_batch_gives_empty_results_and_zero_weight_gradients(rng, reverse):
    leaves = operands(rng, 3, 0, 2, 2)
    hs, last = lstm_layer(*leaves, reverse=reverse)
    assert hs.shape == (3, 0, 2) and [part.shape for part in last] == [(0, 2)] * 2
    flat(hs, last).sum().backward()
    assert [leaf.grad.shape for leaf in leaves] == [leaf.shape for leaf in leaves]
    assert not any(leaf.grad.any() for leaf in leaves[3:])


def test_integer_operands_are_read_as_the_default_float(rng):
    x, W_ih, W_hh = rng.integers(-2, 3, (3, 2, 2)), rng.integers(-1, 2, (4, 2)), \
        rng.integers(-1, 2, (4, 1))
    h0, c0, b = rng.integers(-1, 2, (2, 1)), rng.integers(-1, 2, (2, 1)), np.ones(4, int)
    mine = layer_op(x, h0, c0, W_ih, W_hh, b, b)

    def float32(v):
        return Tensor(v.astype(np.float32))
    theirs = two_nodes(*map(float32, (x, h0, c0, W_ih, W_hh, b, b)))
    assert mine.dtype == np.float32
    np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-6, atol=1e-7)


def test_each_leaf_gets_its_own_gradient_array(rng):
    """The two biases get the same numbers, in arrays of their own (clip_grad_norm_ scales
    each in place), and no gradient shares memory with another."""
    leaves = operands(rng, 3, 2, 2, 2)
    layer_op(*leaves).sum().backward()
    grads = [leaf.grad for leaf in leaves]
    np.testing.assert_array_equal(grads[5], grads[6])
    for k, g in enumerate(grads):
        assert not any(np.shares_memory(g, other) for other in grads[k + 1:])


# -- nn.LSTM -------------------------------------------------------------------------------------

@pytest.mark.parametrize("features, batch, ops", [
    (3, LSTM.layer_batch, {"lstm_layer": 4}),
    (3, LSTM.layer_batch - 1, {"linear": 4, "add": 4, "lstm_sequence": 4}),
    (LSTM.few_features + 1, LSTM.layer_batch,
     {"linear": 2, "add": 2, "lstm_sequence": 2, "lstm_layer": 2}),
], ids=["few features", "a small batch", "many features"])
def test_nn_lstm_runs_one_lstm_layer_node_for_few_features_and_a_batch_of_16_rows(
        rng, features, batch, ops):
    """Up to `few_features` input features and from `layer_batch` rows on, a layer and
    direction is one lstm_layer node; else `linear` (its bias b_ih + b_hh) and lstm_sequence.
    (Layer 1 reads the 2 · 5 features of layer 0.)"""
    model = LSTM(features, 5, num_layers=2, bidirectional=True, dtype="float64", rng=rng)
    output, _ = model(Tensor(rng.standard_normal((4, batch, features))))
    made = Counter(node.op for node in walk(output) if not node.is_leaf)
    assert made == {**ops, "getitem": 4, "concatenate": 2}


@pytest.mark.parametrize("cls, layer", [(LSTM, "lstm_layer"), (GRU, "gru_layer")],
                         ids=["LSTM", "GRU"])
@pytest.mark.parametrize("more, recording, one_node", [
    (0, True, True), (1, True, False), (1, False, True),
], ids=["most_hidden", "more, recording", "more, no_grad"])
def test_a_layer_is_one_node_up_to_most_hidden_units_while_recording(
        rng, monkeypatch, cls, layer, more, recording, one_node):
    """Beyond `most_hidden` hidden units a training step was faster as two nodes; without
    gradients the one node's forward is the faster at any size."""
    calls = []
    original = getattr(functional, layer)
    monkeypatch.setattr(functional, layer, lambda *a, **k: calls.append(a) or original(*a, **k))
    model = cls(3, cls.most_hidden + more, dtype="float64", rng=rng)
    x = Tensor(rng.standard_normal((2, LSTM.layer_batch, 3)))
    with nullcontext() if recording else no_grad():
        output, _ = model(x)
    assert len(calls) == one_node
    assert (output._fn is not None) == recording


LAYER_NODE, TWO_NODES = {"layer_batch": 1}, {"few_features": 0}    # either way, any batch
CASES = [        # (name, options, input shape, packed)
    ("two layers, bidirectional", {"num_layers": 2, "bidirectional": True}, (5, 3, 3), False),
    ("the same, packed", {"num_layers": 2, "bidirectional": True}, (5, 3, 3), True),
    ("batch first, dropout", {"batch_first": True, "num_layers": 2, "dropout": 0.3},
     (17, 5, 3), False),
    ("batch first, packed", {"batch_first": True, "bidirectional": True}, (17, 5, 3), True),
    ("no bias", {"bias": False}, (5, 2, 3), False),
    ("unbatched", {"num_layers": 2}, (5, 3), False),
]


def model_and_leaves(rng, options, x_shape):
    """A float64 LSTM(3, 4) with `options`, an input and a random initial state, as leaves."""
    model = LSTM(3, 4, dtype="float64", rng=rng, **options)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    layers = model.num_layers * (2 if model.bidirectional else 1)
    batch = x_shape[0] if model.batch_first else x_shape[1] if len(x_shape) == 3 else None
    shape = (layers, 4) if batch is None else (layers, batch, 4)
    state = tuple(Tensor(rng.standard_normal(shape), requires_grad=True) for _ in range(2))
    return model, x, state, batch


def run(model, x, state, lengths):
    """The output (a packed one's data with `lengths`) and the final states, in one tensor."""
    if lengths is not None:
        packed = pack_padded_sequence(x, lengths, model.batch_first, enforce_sorted=False)
        output, last = model(packed, state)
        output = output.data
    else:
        output, last = model(x, state)
    return concatenate([part.reshape(-1) for part in (output, *last)])


@pytest.mark.parametrize("name, options, x_shape, packed", CASES,
                         ids=[case[0] for case in CASES])
def test_nn_lstm_gives_the_same_numbers_either_way(rng, name, options, x_shape, packed):
    """One model, one input and initial state, one dropout mask: as lstm_layer nodes and as
    `linear` + lstm_sequence (as before), the same outputs, final states and gradients of
    every parameter, the input and the initial state, to rounding (17 rows: backward sums the
    weights' gradients by a batched product)."""
    model, x, state, batch = model_and_leaves(rng, options, x_shape)
    lengths = rng.integers(1, 6, batch) if packed else None
    leaves = [x, *state, *model.parameters()]
    results = []
    for way in (LAYER_NODE, TWO_NODES):
        for leaf in leaves:
            leaf.zero_grad()
        model.few_features, model.layer_batch = LSTM.few_features, LSTM.layer_batch
        for option, value in way.items():
            setattr(model, option, value)
        model.rng = np.random.default_rng(7)                # the same dropout masks
        out = run(model, x, state, lengths)
        (out * np.linspace(0.5, 1.5, out.shape[0])).sum().backward()
        results.append([out.data] + [leaf.grad for leaf in leaves])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name, options, x_shape, packed",
                         [case for case in CASES if "dropout" not in case[1]],
                         ids=[case[0] for case in CASES if "dropout" not in case[1]])
def test_nn_lstm_as_lstm_layer_nodes_matches_finite_differences(rng, name, options, x_shape,
                                                                packed):
    model, x, state, batch = model_and_leaves(rng, options, x_shape[:-1] + (3,))
    model.layer_batch = 1
    lengths = rng.integers(1, 6, batch) if packed else None
    assert gradcheck(lambda x, *state: run(model, x, state, lengths), x, *state)
    weights = rng.uniform(0.5, 1.5, run(model, x, state, lengths).shape)
    assert gradcheck_parameters(lambda: (run(model, x, state, lengths) * weights).sum(),
                                model.named_parameters())


# -- errors --------------------------------------------------------------------------------------

# (what differs from x (4, 2, 3), h0 = c0 (2, 5), W_ih (20, 3), W_hh (20, 5), biases (20,); the
# error's text after "lstm_layer: ")
REFUSED = [
    ({"x": (4, 3, 3)}, r"x must have shape \(T, 2, features\) \(time, batch, features\) with "
                       r"T > 0 for h0 of shape \(2, 5\), got \(4, 3, 3\)"),
    ({"x": (0, 2, 3)}, r"x .* got \(0, 2, 3\)"),
    ({"x": (2, 3)}, r"x .* got \(2, 3\)"),
    ({"c0": (1, 5)}, r"c0 must have the shape of h0 \(2, 5\), got \(1, 5\)"),
    ({"W_ih": (20, 4)}, r"weight_ih must have shape \(20, 3\) \(4 gates x hidden_size, "
                        r"features\), got \(20, 4\)"),
    ({"W_hh": (16, 5)}, r"weight_hh must have shape \(20, 5\) \(4 gates x hidden_size, "
                        r"hidden_size\), got \(16, 5\)"),
    ({"b_ih": (5,)}, r"bias_ih must have shape \(20,\), got \(5,\)"),
    ({"b_hh": None}, r"give both biases, bias_ih and bias_hh, or neither; got only bias_ih"),
    ({"lengths": [5, 1]}, r"lengths must be 2 integers in 1\.\.4"),
]


@pytest.mark.parametrize("changed, message", REFUSED, ids=[str(c) for c, _ in REFUSED])
def test_operands_that_do_not_fit_are_refused_naming_the_op_and_the_shapes(changed, message):
    shapes = {"x": (4, 2, 3), "h0": (2, 5), "c0": (2, 5), "W_ih": (20, 3), "W_hh": (20, 5),
              "b_ih": (20,), "b_hh": (20,)}
    operands = {name: np.zeros(shape) for name, shape in shapes.items()}
    for name, value in changed.items():
        operands[name] = np.zeros(value) if isinstance(value, tuple) else value
    lengths = operands.pop("lengths", None)
    with pytest.raises(ValueError, match="lstm_layer: " + message):
        lstm_layer(*operands.values(), lengths=lengths)
