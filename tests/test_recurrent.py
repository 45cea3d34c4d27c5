"""nn.recurrent: RNN, GRU, LSTM and their one-step cells — gradients (first and second order)
against finite differences, shapes, PyTorch's parameter names, numbers and gradients (asked live
where torch is installed, else as recorded in tests/reference/recurrent.npz), the checks,
dropout, and a small character model that learns."""

import functools
from collections import Counter

import numpy as np
import pytest

from autograd import (Tensor, concatenate, grad, gradcheck, gradcheck_parameters, manual_seed,
                      stack)
from autograd.functional import linear
from autograd.graph import walk
from nn import Embedding, Linear, Module, cross_entropy, one_hot
from nn.functional import dropout
from nn.optim import Adam
from nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from reference import as_array, assert_matches, record_cases, recorded_case
from test_recurrent_ops import composed_gru, composed_lstm

LAYERS = [RNN, GRU, LSTM]

# (name, options, input shape): small enough for finite differences of every number
CASES = [
    ("batch", {}, (3, 2, 4)),
    ("batch of one", {}, (3, 1, 4)),
    ("unbatched", {}, (3, 4)),
    ("two layers", {"num_layers": 2}, (3, 2, 4)),
    ("batch first", {"batch_first": True}, (2, 3, 4)),
    ("bidirectional", {"bidirectional": True}, (3, 2, 4)),
    ("no bias", {"bias": False}, (3, 2, 4)),
]


def layer(cls, rng, **options):
    """A float64 layer of 4 inputs and 5 hidden units, seeded."""
    return cls(4, 5, dtype="float64", rng=rng, **options)


def initial_state(cls, model, x_shape, rng):
    """Random (h0,) or (h0, c0) of the shape `model` expects for an input of `x_shape`."""
    layers = model.num_layers * (2 if model.bidirectional else 1)
    batch = () if len(x_shape) == 2 else (x_shape[0] if model.batch_first else x_shape[1],)
    shape = (layers, *batch, model.hidden_size)
    return tuple(Tensor(rng.standard_normal(shape), requires_grad=True)
                 for _ in range(2 if cls is LSTM else 1))


def everything(model, cls, x, state=None):
    """The output and the final state(s), flattened into one tensor."""
    if state is not None:
        state = state if cls is LSTM else state[0]
    output, last = model(x, state)
    parts = [output, *last] if cls is LSTM else [output, last]
    return concatenate([part.reshape(-1) for part in parts])


# -- gradients -------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name, options, x_shape", CASES, ids=[c[0] for c in CASES])
def test_gradients_of_input_and_initial_state_match_finite_differences(cls, name, options,
                                                                      x_shape, rng):
    model = layer(cls, rng, **options)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    state = initial_state(cls, model, x_shape, rng)
    assert gradcheck(lambda x, *state: everything(model, cls, x, state), x, *state)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name, options, x_shape", CASES, ids=[c[0] for c in CASES])
def test_gradients_of_every_parameter_match_finite_differences(cls, name, options, x_shape,
                                                               rng):
    model = layer(cls, rng, **options)
    x = Tensor(rng.standard_normal(x_shape))
    state = initial_state(cls, model, x_shape, rng) if name == "two layers" else None
    weights = rng.uniform(0.5, 1.5, everything(model, cls, x, state).shape)
    assert gradcheck_parameters(lambda: (everything(model, cls, x, state) * weights).sum(),
                                model.named_parameters())


def test_relu_rnn_gradients_match_finite_differences(rng):
    model = layer(RNN, rng, nonlinearity="relu", num_layers=2)
    x = Tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    assert gradcheck(lambda x: everything(model, RNN, x), x)
    assert gradcheck_parameters(lambda: everything(model, RNN, x).sum(),
                                model.named_parameters())


# an LSTM's forward takes its gates from one tanh (autograd.ops.recurrent.tanh_form): every
# layout its steps meet, one step, one row, both directions, a second layer on the first's
SHAPES_OF_ONE = [(1, 1, 4), (3, 1, 4), (1, 2, 4)]
SHAPE_OF_ONE_IDS = ["T=1, N=1", "N=1", "T=1"]


@pytest.mark.parametrize("x_shape", SHAPES_OF_ONE, ids=SHAPE_OF_ONE_IDS)
def test_two_bidirectional_lstm_layers_match_finite_differences_at_one_step_or_row(x_shape,
                                                                                   rng):
    model = layer(LSTM, rng, num_layers=2, bidirectional=True)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    state = initial_state(LSTM, model, x_shape, rng)
    assert gradcheck(lambda x, *state: everything(model, LSTM, x, state), x, *state)
    weights = rng.uniform(0.5, 1.5, everything(model, LSTM, x, state).shape)
    assert gradcheck_parameters(lambda: (everything(model, LSTM, x, state) * weights).sum(),
                                model.named_parameters())


@pytest.mark.parametrize("x_shape", SHAPES_OF_ONE, ids=SHAPE_OF_ONE_IDS)
def test_float32_lstm_gives_the_float64_numbers_and_gradients_to_float32_rounding(x_shape, rng):
    """The same layer in float32 against float64 (whose gradients the finite differences
    above check): values and every gradient to float32's rounding."""
    wide = layer(LSTM, rng, num_layers=2, bidirectional=True)
    narrow = LSTM(4, 5, num_layers=2, bidirectional=True, dtype="float32")
    narrow.load_state_dict({name: Tensor(w.data.astype(np.float32))
                            for name, w in wide.state_dict().items()})
    x = rng.standard_normal(x_shape) * 2
    state = initial_state(LSTM, wide, x_shape, rng)
    results = []
    for model, dtype in ((wide, np.float64), (narrow, np.float32)):
        xs = Tensor(x.astype(dtype), requires_grad=True)
        states = tuple(Tensor(s.data.astype(dtype), requires_grad=True) for s in state)
        out = everything(model, LSTM, xs, states)
        (out * np.linspace(0.5, 1.5, out.shape[0]).astype(dtype)).sum().backward()
        assert out.dtype == dtype
        results.append([out.data, xs.grad, *(s.grad for s in states),
                        *(p.grad for p in model.parameters())])
    for wide_result, narrow_result in zip(*results):
        np.testing.assert_allclose(narrow_result, wide_result, rtol=2e-4, atol=2e-5)


# a layer's input share of every step from few input features is one [x, 1] @ [W_ihᵀ; b] product
# (autograd.ops.fused.with_bias_row) once it has rows · gates · H >= 16384 numbers: T · N rows
# of 2 features into 64 columns (LSTM(2, 16)) from 256 rows on; (cls, hidden size, options,
# input shape, whether h0 is given). An LSTM or GRU with few features and a batch of 16 rows
# or more is one lstm_layer or gru_layer node instead (no input share:
# tests/test_recurrent_layer_op.py, tests/test_recurrent_gru_layer.py): here its layers are
# made to take the input share's path, as they do with more features.
WIDE_SHARE_CASES = [
    (LSTM, 16, {}, (16, 16, 2), False),
    (LSTM, 16, {"batch_first": True}, (16, 16, 2), False),
    (LSTM, 16, {"bidirectional": True}, (16, 16, 2), True),
    (LSTM, 16, {"num_layers": 2}, (16, 16, 2), True),         # layer 1 reads 16 features
    (LSTM, 16, {}, (1, 256, 2), True),                        # one step
    (LSTM, 32, {}, (128, 1, 2), False),                       # a batch of one: 128 steps
    (GRU, 16, {}, (16, 24, 2), True),                         # 48 columns: 384 rows
    (RNN, 64, {"batch_first": True}, (16, 16, 2), True),
]
WIDE_SHARE_IDS = ["lstm", "lstm-batch-first", "lstm-bidirectional-h0", "lstm-two-layers-h0",
                  "lstm-one-step-h0", "lstm-batch-of-one", "gru-h0", "rnn-batch-first"]


def input_side(model):
    """The parameters that the input's product feeds: weight_ih_l*, bias_ih_l* (weight_hh's
    gradients and the initial state's, which this product does not touch and the tests above
    check, cost the most to check by differences at these sizes)."""
    return [(name, p) for name, p in model.named_parameters() if "_ih_" in name]


@pytest.mark.parametrize("cls, size, options, x_shape, given", WIDE_SHARE_CASES,
                         ids=WIDE_SHARE_IDS)
def test_an_input_share_made_as_one_product_with_the_bias_matches_finite_differences(
        cls, size, options, x_shape, given, rng, monkeypatch):
    from autograd.ops import fused
    calls, with_bias_row = [], fused.with_bias_row
    monkeypatch.setattr(fused, "with_bias_row", lambda *a: calls.append(a) or with_bias_row(*a))
    monkeypatch.setattr(cls, "few_features", 0)
    model = cls(2, size, dtype="float64", rng=rng, **options)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    state = initial_state(cls, model, x_shape, rng) if given else None
    weights = rng.uniform(0.5, 1.5, everything(model, cls, x, state).shape)
    assert len(calls) == model.num_layers * (2 if model.bidirectional else 1)   # taken
    assert gradcheck(lambda x: (everything(model, cls, x, state) * weights).sum(), x)
    assert gradcheck_parameters(lambda: (everything(model, cls, x, state) * weights).sum(),
                                input_side(model))


def test_a_packed_batch_through_the_one_product_input_share_matches_finite_differences(
        rng, monkeypatch):
    monkeypatch.setattr(LSTM, "few_features", 0)
    model = LSTM(2, 16, dtype="float64", rng=rng)
    x = Tensor(rng.standard_normal((16, 20, 2)), requires_grad=True)
    lengths = rng.integers(1, 17, 20)

    def f(x):
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        output, (h, c) = model(packed)
        return concatenate([output.data.reshape(-1), h.reshape(-1), c.reshape(-1)])

    weights = rng.uniform(0.5, 1.5, f(x).shape)
    assert gradcheck(lambda x: (f(x) * weights).sum(), x)
    assert gradcheck_parameters(lambda: (f(x) * weights).sum(), input_side(model))


def test_second_derivatives_through_the_one_product_input_share(rng, monkeypatch):
    monkeypatch.setattr(LSTM, "few_features", 0)
    model = LSTM(2, 16, dtype="float64", rng=rng)
    x = Tensor(rng.standard_normal((2, 128, 2)), requires_grad=True)

    def energy(x):
        output = model(x)[0]
        return (output * output).sum()

    assert gradcheck(grad(energy), x)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_second_derivatives_match_finite_differences_of_the_first(cls, rng):
    """The gradient is itself built from ops, so it can be differentiated again."""
    model = cls(2, 3, dtype="float64", rng=rng)
    x = Tensor(rng.standard_normal((2, 1, 2)), requires_grad=True)

    def energy(x):
        output = model(x)[0]
        return (output * output).sum()

    assert gradcheck(grad(energy), x)


# -- the formulas --------------------------------------------------------------------------------

def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def one_step_by_hand(cls, model, x, h, c):
    """One step of layer 0 written from the formulas in numpy, the gates cut from the stacked
    weights in PyTorch's order (GRU: r, z, n; LSTM: i, f, g, o)."""
    W_ih, W_hh = model.weight_ih_l0.data, model.weight_hh_l0.data
    b_ih, b_hh = model.bias_ih_l0.data, model.bias_hh_l0.data
    size = model.hidden_size

    def part(k, W, b, v):
        return v @ W[k * size:(k + 1) * size].T + b[k * size:(k + 1) * size]

    if cls is RNN:
        return np.tanh(part(0, W_ih, b_ih, x) + part(0, W_hh, b_hh, h)), None
    if cls is GRU:
        r = sigmoid(part(0, W_ih, b_ih, x) + part(0, W_hh, b_hh, h))
        z = sigmoid(part(1, W_ih, b_ih, x) + part(1, W_hh, b_hh, h))
        n = np.tanh(part(2, W_ih, b_ih, x) + r * part(2, W_hh, b_hh, h))
        return (1 - z) * n + z * h, None
    i, f, g, o = (part(k, W_ih, b_ih, x) + part(k, W_hh, b_hh, h) for k in range(4))
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_each_step_follows_the_formulas_with_the_gates_in_pytorchs_order(cls, rng):
    model = layer(cls, rng)
    x = rng.standard_normal((3, 2, 4))
    h, c = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    state = (Tensor(h[None]), Tensor(c[None])) if cls is LSTM else Tensor(h[None])
    output, last = model(Tensor(x), state)
    for t in range(3):
        h, c = one_step_by_hand(cls, model, x[t], h, c)
        np.testing.assert_allclose(output.data[t], h, rtol=1e-12, atol=1e-14)
    if cls is LSTM:
        np.testing.assert_allclose(last[1].data[0], c, rtol=1e-12, atol=1e-14)


def composed_layer(model, x, state, dropout_rng):
    """The layer from ordinary ops, one step at a time, as it was built before whole sequences
    became one op: each layer's input share for all steps in one product, sliced step by step;
    each step from slices, sums, sigmoid, tanh and products (RNN: tanh or relu of the sum;
    composed_gru, composed_lstm); the steps stacked, and dropout on the whole stacked output of
    each layer but the last. `x` and `state` ((h0,), (h0, c0) or None for zeros) are laid out
    as the layer takes them (batch_first, unbatched); returns the output and the last state
    parts, laid out as the layer returns them."""
    batched = x.ndim == 3
    parts = 2 if isinstance(model, LSTM) else 1
    if not batched:
        x = x.reshape(x.shape[0], 1, x.shape[1])
        state = None if state is None else tuple(s.reshape(s.shape[0], 1, s.shape[1])
                                                 for s in state)
    elif model.batch_first:
        x = x.swapaxes(0, 1)
    directions = ("", "_reverse") if model.bidirectional else ("",)
    if state is None:
        zeros = Tensor(np.zeros((model.num_layers * len(directions), x.shape[1],
                                 model.hidden_size)))
        state = (zeros,) * parts
    finals = []
    for layer in range(model.num_layers):
        if layer > 0:
            x = dropout(x, model.dropout, model.training, dropout_rng)
        outputs = []
        for direction, suffix in enumerate(directions):
            W_ih, W_hh, b_ih, b_hh = (getattr(model, f"{kind}_l{layer}{suffix}", None)
                                      for kind in ("weight_ih", "weight_hh", "bias_ih",
                                                   "bias_hh"))
            projected = linear(x, W_ih, b_ih)
            current = tuple(part[layer * len(directions) + direction] for part in state)
            steps = range(x.shape[0])
            hs = [None] * len(steps)
            for t in (reversed(steps) if direction else steps):
                hidden = linear(current[0], W_hh, b_hh)
                if isinstance(model, LSTM):
                    current = composed_lstm(projected[t], hidden, current[1])
                elif isinstance(model, GRU):
                    current = (composed_gru(projected[t], hidden, current[0]),)
                else:
                    total = projected[t] + hidden
                    current = (total.relu() if model.nonlinearity == "relu" else total.tanh(),)
                hs[t] = current[0]
            outputs.append(stack(hs))
            finals.append(current)
        x = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=-1)
    last = [stack([final[k] for final in finals]) for k in range(parts)]
    if not batched:
        return x.reshape(x.shape[0], x.shape[2]), [s.reshape(s.shape[0], s.shape[2])
                                                    for s in last]
    return (x.swapaxes(0, 1) if model.batch_first else x), last


EQUAL_LAYERS = [(RNN, "tanh"), (RNN, "relu"), (GRU, None), (LSTM, None)]
EQUAL_CASES = [
    # (name, options, input shape, initial state given)
    ("one layer", {}, (5, 3, 4), True),
    ("two layers with dropout", {"num_layers": 2, "dropout": 0.4}, (5, 3, 4), True),
    ("bidirectional", {"bidirectional": True, "num_layers": 2}, (5, 3, 4), True),
    ("batch first", {"batch_first": True, "num_layers": 2}, (3, 5, 4), True),
    ("unbatched", {"num_layers": 2}, (5, 4), True),
    ("no initial state", {"num_layers": 2, "bidirectional": True}, (5, 3, 4), False),
    ("no bias", {"bias": False}, (5, 3, 4), True),
]


@pytest.mark.parametrize("cls, nonlinearity", EQUAL_LAYERS,
                         ids=["RNN-tanh", "RNN-relu", "GRU", "LSTM"])
@pytest.mark.parametrize("name, options, x_shape, given", EQUAL_CASES,
                         ids=[case[0] for case in EQUAL_CASES])
def test_the_sequence_ops_give_the_composed_layers_values_and_gradients(
        cls, nonlinearity, name, options, x_shape, given, rng):
    """Same weights, same initial state, same dropout masks: the same outputs, final states,
    and gradients of every parameter, the input and the initial state, to rounding."""
    if nonlinearity == "relu":
        options = dict(options, nonlinearity="relu")
    model = layer(cls, rng, **options)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    state = initial_state(cls, model, x_shape, rng) if given else None
    weights = rng.uniform(0.5, 1.5, everything(model, cls, x, state).shape)
    leaves = [x, *(state or ()), *model.parameters()]
    results = []
    for fused in (True, False):
        for leaf in leaves:
            leaf.zero_grad()
        model.rng = np.random.default_rng(7)            # the dropout masks' generator
        if fused:
            flat = everything(model, cls, x, state)
        else:
            output, last = composed_layer(model, x, state, np.random.default_rng(7))
            flat = concatenate([part.reshape(-1) for part in (output, *last)])
        (flat * weights).sum().backward()
        results.append([flat.data] + [leaf.grad for leaf in leaves])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls, op", [(RNN, "rnn_sequence"), (GRU, "gru_sequence"),
                                     (LSTM, "lstm_sequence")], ids=["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("steps", [2, 6])
def test_a_layer_and_direction_is_one_product_and_one_sequence_op_whatever_its_length(
        cls, op, steps, rng):
    """Per layer and direction: the input's share of every step (one `linear`) and the op
    that runs the steps (a GRU of few features: one gru_layer node); nothing per time step, so
    the graph does not grow with T."""
    model = layer(cls, rng, num_layers=2, bidirectional=True)
    output, _ = model(Tensor(rng.standard_normal((steps, 3, 4))))
    made = Counter(node.op for node in walk(output) if not node.is_leaf)
    expected = {"linear": 4, op: 4, "concatenate": 2}
    if cls is LSTM:
        expected["getitem"] = 4                         # the h of every step, from (h, c)
    if cls.hidden_bias_in_sum:
        expected["add"] = 4                             # b_ih + b_hh, the linear's bias
    if cls is GRU:          # few features, any batch: one gru_layer node per layer and direction
        expected = {"gru_layer": 4, "concatenate": 2}   # (tests/test_recurrent_gru_layer.py)
    assert made == expected


# -- shapes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("batch_first", [False, True])
def test_output_and_state_shapes(cls, batch_first):
    model = cls(4, 5, num_layers=3, batch_first=batch_first)
    x = np.ones((2, 7, 4) if batch_first else (7, 2, 4), np.float32)
    output, last = model(Tensor(x))
    assert output.shape == ((2, 7, 5) if batch_first else (7, 2, 5))
    states = last if cls is LSTM else (last,)
    assert [s.shape for s in states] == [(3, 2, 5)] * len(states)   # never batch first
    assert output.dtype == np.float32


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_an_unbatched_sequence_gives_results_without_the_batch_axis(cls, rng):
    model = layer(cls, rng, num_layers=2, batch_first=True)   # batch_first has no say here
    x = rng.standard_normal((6, 4))
    output, last = model(Tensor(x))
    batched_output, batched_last = model(Tensor(x[None]))
    assert output.shape == (6, 5)
    np.testing.assert_allclose(output.data, batched_output.data[0], rtol=1e-14)
    for s, batched in zip(*((last, batched_last) if cls is LSTM else ((last,), (batched_last,)))):
        assert s.shape == (2, 5)
        np.testing.assert_allclose(s.data, batched.data[:, 0], rtol=1e-14)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_the_last_step_of_the_output_is_the_final_state_of_the_last_layer(cls, rng):
    model = layer(cls, rng, num_layers=2)
    output, last = model(Tensor(rng.standard_normal((5, 3, 4))))
    h_n = last[0] if cls is LSTM else last
    np.testing.assert_array_equal(output.data[-1], h_n.data[-1])


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_bidirectional_output_holds_forward_then_reverse_states(cls, rng):
    """The reverse direction reads the sequence from its end, so its final state is its output
    at step 0."""
    model = layer(cls, rng, num_layers=2, bidirectional=True)
    output, last = model(Tensor(rng.standard_normal((5, 3, 4))))
    h_n = last[0] if cls is LSTM else last
    assert output.shape == (5, 3, 10) and h_n.shape == (4, 3, 5)
    np.testing.assert_array_equal(output.data[-1, :, :5], h_n.data[2])
    np.testing.assert_array_equal(output.data[0, :, 5:], h_n.data[3])
    assert model.weight_ih_l1.shape == (cls.gates * 5, 10)


def test_an_initial_state_changes_the_output_and_hx_is_its_pytorch_name(rng):
    model = layer(GRU, rng)
    x = Tensor(rng.standard_normal((3, 2, 4)))
    h0 = Tensor(rng.standard_normal((1, 2, 5)))
    assert not np.allclose(model(x)[0].data, model(x, h0)[0].data)
    np.testing.assert_array_equal(model(x, hx=h0)[0].data, model(x, h0)[0].data)
    zeros = np.zeros((1, 2, 5))
    np.testing.assert_array_equal(model(x)[0].data, model(x, zeros)[0].data)


# -- parameters ----------------------------------------------------------------------------------

def test_state_dict_has_pytorchs_names_in_pytorchs_order():
    model = LSTM(4, 5, num_layers=2, bidirectional=True)
    names = [f"{kind}_l{layer}{suffix}" for layer in (0, 1) for suffix in ("", "_reverse")
             for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert list(model.state_dict()) == names
    assert list(GRU(4, 5, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]


@pytest.mark.parametrize("cls, gates", [(RNN, 1), (GRU, 3), (LSTM, 4)],
                         ids=["RNN", "GRU", "LSTM"])
def test_weights_stack_the_gates_with_pytorchs_shapes(cls, gates):
    shapes = {name: p.shape for name, p in cls(4, 5, num_layers=2).named_parameters()}
    assert shapes == {"weight_ih_l0": (gates * 5, 4), "weight_hh_l0": (gates * 5, 5),
                      "bias_ih_l0": (gates * 5,), "bias_hh_l0": (gates * 5,),
                      "weight_ih_l1": (gates * 5, 5), "weight_hh_l1": (gates * 5, 5),
                      "bias_ih_l1": (gates * 5,), "bias_hh_l1": (gates * 5,)}


def test_initialised_uniform_within_one_over_root_hidden_size_from_the_seeded_generator():
    manual_seed(3)
    first = LSTM(4, 100, dtype="float64").state_dict()
    manual_seed(3)
    again = LSTM(4, 100, dtype="float64").state_dict()
    for name, values in first.items():
        np.testing.assert_array_equal(values, again[name])
        assert values.abs().max() <= 0.1 and values.abs().max() > 0.099
    assert first["weight_hh_l0"].dtype == np.float64
    assert LSTM(4, 100).weight_hh_l0.dtype == np.float32               # the default dtype


def test_repr_shows_the_options_that_differ_from_the_defaults():
    assert repr(GRU(4, 5)) == "GRU(4, 5)"
    assert repr(LSTM(4, 5, num_layers=2, batch_first=True, dropout=0.5)) == \
        "LSTM(4, 5, num_layers=2, batch_first=True, dropout=0.5)"
    assert repr(RNN(4, 5, nonlinearity="relu", bias=False)) == \
        "RNN(4, 5, nonlinearity='relu', bias=False)"


# -- against PyTorch: asked live where torch is installed, else as recorded ---------------------

# (module, options, input shape): each layer and cell from the same weights as PyTorch's twin
TORCH_CASES = [
    ("RNN", {}, (3, 2, 4)), ("RNN", {"nonlinearity": "relu", "num_layers": 2}, (3, 2, 4)),
    ("GRU", {}, (3, 2, 4)), ("GRU", {"num_layers": 2, "batch_first": True}, (2, 3, 4)),
    ("GRU", {"bidirectional": True, "num_layers": 2}, (3, 2, 4)),
    ("LSTM", {}, (3, 2, 4)), ("LSTM", {"num_layers": 2, "bias": False}, (3, 2, 4)),
    ("LSTM", {"bidirectional": True, "batch_first": True}, (2, 3, 4)),
    ("LSTM", {"bidirectional": True, "num_layers": 2}, (3, 4)),
    ("RNNCell", {}, (2, 4)), ("RNNCell", {"nonlinearity": "relu", "bias": False}, (4,)),
    ("GRUCell", {}, (4,)), ("GRUCell", {"bias": False}, (2, 4)), ("LSTMCell", {}, (2, 4)),
    ("LSTMCell", {"bias": False}, (4,)),
]
TORCH_IDS = [f"{name}-" + "-".join([f"{k}={v}" for k, v in options.items()]
                                   + ["x" + "x".join(map(str, shape))])
             for name, options, shape in TORCH_CASES]
MODULES = {cls.__name__: cls for cls in (RNN, GRU, LSTM, RNNCell, GRUCell, LSTMCell)}


def state_shape(model, x_shape):
    """The shape of h0 (and c0) for `model` and an input of `x_shape`."""
    if isinstance(model, (RNNCell, GRUCell, LSTMCell)):
        return (*x_shape[:-1], model.hidden_size)
    batch = () if len(x_shape) == 2 else (x_shape[0] if model.batch_first else x_shape[1],)
    return (model.num_layers * (2 if model.bidirectional else 1), *batch, model.hidden_size)


def flattened(result):
    """A layer's (output, h_n) or (output, (h_n, c_n)), or a cell's h' or (h', c'), as a list of
    its parts, in that order."""
    if isinstance(result, tuple) and isinstance(result[-1], tuple):
        return [result[0], *result[1]]
    return list(result) if isinstance(result, tuple) else [result]


def torch_case_inputs(rng, case):
    """The case's weights (glassgrad's initialisation, drawn from `rng`) laid end to end in
    state_dict order, x, h0 (and c0), and the weights g of the numbers of the output and the
    final state in the loss Σ g ⊙ results."""
    name, options, x_shape = case
    model = MODULES[name](4, 3, dtype="float64", rng=rng, **options)
    inputs = {"weights": np.concatenate([p.numpy().ravel() for p in model.parameters()]),
              "x": rng.standard_normal(x_shape)}
    for part in ("h0", "c0") if name.startswith("LSTM") else ("h0",):
        inputs[part] = rng.standard_normal(state_shape(model, x_shape))
    size = sum(part.size for part in flattened(model(Tensor(inputs["x"]))))
    return {**inputs, "g": rng.standard_normal(size)}


def cut(weights, state):
    """The vector `weights` cut into `state`'s shapes, by name: a state dict to load."""
    ends = np.cumsum([np.prod(value.shape, dtype=int) for value in state.values()])
    return {name: part.reshape(tuple(value.shape)) for (name, value), part
            in zip(state.items(), np.split(weights, ends[:-1]))}


def recurrent_results(cat, module, x, states, g):
    """Run `module` (glassgrad's or torch's, `cat` its library's concatenation) on x and the
    initial state, backward from Σ g ⊙ results; the results and the gradients of x, the state
    and the weights (end to end)."""
    initial = tuple(states.values()) if len(states) == 2 else states["h0"]
    parts = flattened(module(x, initial))
    flat_result = cat([part.reshape(-1) for part in parts])
    (flat_result * g).sum().backward()
    return {"results": as_array(flat_result), "x.grad": as_array(x.grad),
            **{f"{name}.grad": as_array(state.grad) for name, state in states.items()},
            "weights.grad": np.concatenate([as_array(p.grad).ravel()
                                            for p in module.parameters()])}


def recurrent_glassgrad(case, weights, x, g, h0, c0=None):
    """The results and gradients from glassgrad's module, loaded with `weights`."""
    name, options, _ = case
    model = MODULES[name](4, 3, dtype="float64", **options)
    model.load_state_dict(cut(weights, model.state_dict()))
    states = {"h0": Tensor(h0, requires_grad=True)}
    if c0 is not None:
        states["c0"] = Tensor(c0, requires_grad=True)
    return recurrent_results(concatenate, model, Tensor(x, requires_grad=True), states,
                             Tensor(g))


def recurrent_torch(torch, case, weights, x, g, h0, c0=None):
    """The same as `recurrent_glassgrad`, from PyTorch's module."""
    name, options, _ = case
    theirs = getattr(torch.nn, name)(4, 3, dtype=torch.float64, **options)
    theirs.load_state_dict({key: torch.from_numpy(value.copy())
                            for key, value in cut(weights, theirs.state_dict()).items()})
    states = {key: torch.tensor(value, requires_grad=True)
              for key, value in (("h0", h0), ("c0", c0)) if value is not None}
    return recurrent_results(torch.cat, theirs, torch.tensor(x, requires_grad=True), states,
                             torch.from_numpy(g))


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/recurrent.npz: each case's inputs and PyTorch's results, under its id."""
    return record_cases(TORCH_IDS, TORCH_CASES, torch_case_inputs,
                        functools.partial(recurrent_torch, torch))


def test_pytorchs_modules_have_the_same_state_dict_names_in_the_same_order():
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    for name, options, _ in TORCH_CASES:
        assert list(MODULES[name](4, 5, **options).state_dict()) == \
            list(getattr(torch.nn, name)(4, 5, **options).state_dict())


@pytest.mark.parametrize("case", TORCH_CASES, ids=TORCH_IDS)
def test_values_and_gradients_match_pytorch_from_the_same_weights(rng, case):
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    inputs = torch_case_inputs(rng, case)
    assert_matches(recurrent_glassgrad(case, **inputs), recurrent_torch(torch, case, **inputs),
                   rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case_id, case", list(zip(TORCH_IDS, TORCH_CASES)), ids=TORCH_IDS)
def test_values_and_gradients_match_pytorchs_recorded_numbers(case_id, case):
    theirs = recorded_case("recurrent", case_id)
    inputs = {key: value for key, value in theirs.items()
              if key != "results" and not key.endswith(".grad")}
    assert_matches(recurrent_glassgrad(case, **inputs), theirs, rtol=1e-10, atol=1e-10,
                   inputs=tuple(inputs))


# -- packed batches (nn.utils.rnn): each sequence over its own steps ----------------------------

PACKED_OPTIONS = [{}, {"bidirectional": True}, {"num_layers": 2, "bidirectional": True},
                  {"num_layers": 2, "batch_first": True}]
PACKED_IDS = ["plain", "bidirectional", "two layers bidirectional", "two layers batch first"]


def packed_batch(model, rng, lengths, requires_grad=False):
    """A padded batch of len(lengths) sequences of up to max(lengths) + 1 steps (4 features),
    laid out as `model` reads it, packed with `lengths` in any order."""
    steps = max(lengths) + 1
    shape = (len(lengths), steps, 4) if model.batch_first else (steps, len(lengths), 4)
    x = Tensor(rng.standard_normal(shape), requires_grad=requires_grad)
    return x, pack_padded_sequence(x, lengths, model.batch_first, enforce_sorted=False)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("options", PACKED_OPTIONS, ids=PACKED_IDS)
def test_a_packed_batch_gives_each_sequence_what_it_gives_alone(cls, options, rng):
    """The output's steps and the final states (h_n and c_n, a reverse direction from each
    sequence's own last step) are those of each sequence run alone, with its own h0, and
    so are the gradients of the input, the initial state and the weights."""
    model = layer(cls, rng, **options)
    lengths = [2, 4, 1]
    x, packed = packed_batch(model, rng, lengths, requires_grad=True)
    state = initial_state(cls, model, x.shape, rng)
    output, last = model(packed, state if cls is LSTM else state[0])
    assert isinstance(output, PackedSequence) and output.batch_sizes is packed.batch_sizes
    assert output.sorted_indices is packed.sorted_indices
    padded, _ = pad_packed_sequence(output, model.batch_first)
    last = last if cls is LSTM else (last,)
    weights = [rng.uniform(0.5, 1.5, part.shape) for part in (padded, *last)]
    sum((part * w).sum() for part, w in zip((padded, *last), weights)).backward()
    packed_grads = [p.grad.copy() for p in model.parameters()]
    alone_grads = [0] * len(packed_grads)
    for n, length in enumerate(lengths):
        steps = x.data[n, :length] if model.batch_first else x.data[:length, n]
        x_n = Tensor(steps, requires_grad=True)
        state_n = tuple(Tensor(part.data[:, n], requires_grad=True) for part in state)
        for p in model.parameters():
            p.zero_grad()
        output_n, last_n = model(x_n, state_n if cls is LSTM else state_n[0])
        last_n = last_n if cls is LSTM else (last_n,)
        mine = padded.data[n, :length] if model.batch_first else padded.data[:length, n]
        np.testing.assert_allclose(mine, output_n.data, rtol=1e-12)
        assert not (padded.data[n, length:] if model.batch_first else padded.data[length:, n]
                    ).any()
        for part, part_n in zip(last, last_n):
            np.testing.assert_allclose(part.data[:, n], part_n.data, rtol=1e-12)
        w_n = [weights[0][n, :length] if model.batch_first else weights[0][:length, n]] + \
            [w[:, n] for w in weights[1:]]
        sum((part * w).sum() for part, w in zip((output_n, *last_n), w_n)).backward()
        x_grad = x.grad[n, :length] if model.batch_first else x.grad[:length, n]
        np.testing.assert_allclose(x_grad, x_n.grad, rtol=1e-10, atol=1e-13)
        for part, part_n in zip(state, state_n):
            np.testing.assert_allclose(part.grad[:, n], part_n.grad, rtol=1e-10, atol=1e-13)
        alone_grads = [total + p.grad for total, p in zip(alone_grads, model.parameters())]
    for mine, alone in zip(packed_grads, alone_grads):      # summed over the sequences
        np.testing.assert_allclose(mine, alone, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_packed_gradients_match_finite_differences(cls, rng):
    model = cls(4, 3, num_layers=2, bidirectional=True, dtype="float64", rng=rng)
    x, _ = packed_batch(model, rng, [2, 3, 1], requires_grad=True)
    state = initial_state(cls, model, x.shape, rng)

    def f(x, *state):
        output, last = model(pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False),
                             state if cls is LSTM else state[0])
        parts = [output.data, *(last if cls is LSTM else (last,))]
        return concatenate([part.reshape(-1) for part in parts])
    assert gradcheck(f, x, *state)
    weights = Tensor(rng.uniform(0.5, 1.5, f(x, *state).shape))
    assert gradcheck_parameters(lambda: (f(x, *state) * weights).sum(),
                                model.named_parameters())


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_a_packed_batch_refuses_a_state_or_data_that_does_not_fit(cls, rng):
    model = cls(4, 5)
    _, packed = packed_batch(model, rng, [2, 3])
    wrong = np.zeros((1, 3, 5))
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(4, 5\): h0 must have shape "
                                         r"\(1, 2, 5\) \(num_layers, batch, hidden_size\) for a "
                                         r"PackedSequence of 2 sequences, got \(1, 3, 5\)"):
        model(packed, (wrong, wrong) if cls is LSTM else wrong)
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(3, 5\): a PackedSequence's data "
                                         r"must be \(steps, input_size=3\), got shape \(5, 4\)"):
        cls(3, 5)(packed)
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(4, 5\): the PackedSequence's data "
                                         r"of shape \(4, 4\) should have 5 rows"):
        model(packed._replace(data=packed.data[:4]))


# -- dropout -------------------------------------------------------------------------------------

def test_dropout_acts_between_layers_in_training_only(rng):
    model = layer(LSTM, rng, num_layers=2, dropout=0.5)
    plain = layer(LSTM, rng, num_layers=2)
    plain.load_state_dict(model.state_dict())
    x = Tensor(rng.standard_normal((4, 3, 4)))
    trained = model(x)[0].data
    assert not np.allclose(trained, plain(x)[0].data)
    assert np.all(trained != 0)                     # the last layer's output is not dropped
    model.eval()
    np.testing.assert_array_equal(model(x)[0].data, plain(x)[0].data)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_dropout_with_one_layer_warns_that_it_does_nothing_at_the_callers_line(cls):
    with pytest.warns(UserWarning, match=rf"{cls.__name__}: dropout=0.2 acts between stacked "
                                         r"layers only") as caught:
        cls(4, 5, dropout=0.2)
    assert caught[0].filename == __file__


# -- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_an_input_of_the_wrong_size_is_refused_naming_the_layer_and_shapes(cls):
    model = cls(4, 5)
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(4, 5\): input of shape \(3, 2, 6\) "
                                         r"has 6 features per step, expected input_size=4"):
        model(Tensor(np.zeros((3, 2, 6))))
    with pytest.raises(ValueError, match=r"input must be \(T, N, 4\) .* got shape \(3,\)"):
        model(Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"got shape \(1, 3, 2, 4\)"):
        model(Tensor(np.zeros((1, 3, 2, 4))))


@pytest.mark.parametrize("input_size", [8, 3], ids=["other length", "length input_size"])
def test_token_indices_given_to_a_recurrent_layer_point_to_an_embedding(input_size):
    # with 3 tokens a sequence and input_size=3 they would pass as one sequence of 2 steps
    tokens = np.array([[1, 2, 3], [3, 2, 1]])
    with pytest.raises(TypeError, match=rf"GRU\({input_size}, 5, batch_first=True\): the input "
                       r"holds integers other than 0 and 1 \(shape \(2, 3\), dtype int64\): "
                       r"token indices\? pass them through an Embedding \(or one_hot\) first"):
        GRU(input_size, 5, batch_first=True)(tokens)


def test_integer_one_hot_rows_are_read_as_floats():
    model = GRU(4, 5, batch_first=True)
    tokens = np.array([[0, 3, 1], [2, 2, 0]])
    output, _ = model(one_hot(tokens, 4))                   # integers 0 and 1
    np.testing.assert_array_equal(output.data, model(np.eye(4, dtype=np.float32)[tokens])[0].data)


def test_an_input_or_state_that_is_not_numbers_is_refused_naming_the_layer():
    x = np.zeros((3, 2, 4))
    with pytest.raises(TypeError, match=r"GRU\(4, 5\): input: expected numbers .* dtype <U3"):
        GRU(4, 5)("abc")
    with pytest.raises(TypeError, match=r"LSTM\(4, 5\): c0 is None; give the whole initial "
                                        r"state, or none of it for zeros"):
        LSTM(4, 5)(x, (np.zeros((1, 2, 5)), None))
    with pytest.raises(TypeError, match=r"RNN\(4, 5\): h0: expected numbers .* dtype object"):
        RNN(4, 5)(x, np.array([[[None] * 5] * 2], dtype=object))


def test_an_empty_sequence_is_refused():
    with pytest.raises(ValueError, match=r"GRU\(4, 5, batch_first=True\): the input of shape "
                                         r"\(2, 0, 4\) has no time steps"):
        GRU(4, 5, batch_first=True)(Tensor(np.zeros((2, 0, 4))))


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_an_initial_state_of_the_wrong_shape_is_refused_naming_the_expected_one(cls):
    model = cls(4, 5, num_layers=2)
    x = Tensor(np.zeros((3, 2, 4)))
    wrong = np.zeros((1, 2, 5))
    given = (wrong, np.zeros((2, 2, 5))) if cls is LSTM else wrong
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(4, 5, num_layers=2\): h0 must have "
                       r"shape \(2, 2, 5\) \(num_layers, batch, hidden_size\) for an input of "
                       r"shape \(3, 2, 4\), got \(1, 2, 5\)"):
        model(x, given)
    with pytest.raises(ValueError, match=r"must have shape \(2, 5\) \(num_layers, hidden_size\)"):
        model(Tensor(np.zeros((3, 4))), (np.zeros((2, 1, 5)),) * 2 if cls is LSTM
              else np.zeros((2, 1, 5)))


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_a_state_laid_out_batch_first_says_batch_first_is_for_the_input(cls):
    """batch_first=True does not apply to the states (as in PyTorch): h0 given (N, num_layers,
    hidden_size) like the input is refused saying so, and how to fix it."""
    model = cls(4, 5, num_layers=2, batch_first=True)
    x = Tensor(np.zeros((3, 7, 4)))                         # 3 sequences of 7 steps
    wrong = np.zeros((3, 2, 5))
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 3, 5\) \(num_layers, batch, "
                       r"hidden_size\) for an input of shape \(3, 7, 4\), got \(3, 2, 5\); a state "
                       r"is \(num_layers, batch, hidden_size\) even with batch_first=True, which "
                       r"applies to the input and output only: swap its first two axes"):
        model(x, (wrong, np.zeros((2, 3, 5))) if cls is LSTM else wrong)


@pytest.mark.parametrize("batch_first", [False, True])
def test_a_state_sized_by_the_time_axis_points_to_batch_first(batch_first):
    """Batch-first data given to a time-first layer (or the other way): the state, shaped for
    the real batch, has the size of the input's time axis as the layer reads it."""
    model = GRU(4, 5, batch_first=batch_first)
    x = Tensor(np.zeros((7, 3, 4) if batch_first else (3, 7, 4)))       # N = 3, T = 7
    hint = (r"the input is read batch first .* make the layer with batch_first=False"
            if batch_first else r"the input is read time first \(T, N, features\): for "
            r"batch-first input \(N, T, features\) make the layer with batch_first=True")
    with pytest.raises(ValueError, match=r"h0 must have shape \(1, 7, 5\) .* got \(1, 3, 5\); "
                                         + hint):
        model(x, np.zeros((1, 3, 5)))
    with pytest.raises(ValueError, match=r"got \(1, 4, 5\)$"):     # neither: no hint
        model(x, np.zeros((1, 4, 5)))


def test_an_lstm_takes_the_pair_h0_c0_and_the_others_one_tensor():
    h0 = np.zeros((1, 2, 5))
    with pytest.raises(TypeError, match=r"LSTM\(4, 5\): the initial state is the pair \(h0, c0\)"
                                        r", got a ndarray of shape \(1, 2, 5\)"):
        LSTM(4, 5)(Tensor(np.zeros((3, 2, 4))), h0)
    with pytest.raises(ValueError, match=r"c0 must have shape \(1, 2, 5\)"):
        LSTM(4, 5)(Tensor(np.zeros((3, 2, 4))), (h0, np.zeros((1, 5))))
    with pytest.raises(TypeError, match=r"GRU\(4, 5\): the initial state is one tensor h0"):
        GRU(4, 5)(Tensor(np.zeros((3, 2, 4))), (h0, h0))


def test_h0_and_hx_together_are_refused():
    h0 = np.zeros((1, 2, 5))
    with pytest.raises(TypeError, match="got both h0 and hx"):
        RNN(4, 5)(Tensor(np.zeros((3, 2, 4))), h0, hx=h0)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("options, message", [
    ({"input_size": 0}, "input_size must be a positive integer, got 0"),
    ({"hidden_size": -2}, "hidden_size must be a positive integer, got -2"),
    ({"hidden_size": 2.5}, "hidden_size must be a positive integer, got 2.5"),
    ({"num_layers": 0}, "num_layers must be a positive integer, got 0"),
    ({"dropout": 1.0}, r"dropout must be a probability in \[0, 1\), got 1.0"),
    ({"dropout": -0.1}, r"dropout must be a probability in \[0, 1\), got -0.1"),
])
def test_bad_settings_are_refused_naming_the_layer(cls, options, message):
    arguments = {"input_size": 4, "hidden_size": 5, **options}
    with pytest.raises(ValueError, match=rf"{cls.__name__}: {message}"):
        cls(**arguments)


def test_all_weights_and_proj_size_are_pytorchs():
    """Code written for PyTorch reads `rnn.all_weights` (per layer and direction, in the
    state dict's order; names as torch 2.13 lists them) and `rnn.proj_size` (the state's size:
    hidden_size when 0)."""
    gru = GRU(3, 4, num_layers=2, bidirectional=True)
    names = {id(p): name for name, p in gru.named_parameters()}
    assert [[names[id(w)] for w in ws] for ws in gru.all_weights] == [
        ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"],
        ["weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
         "bias_hh_l0_reverse"],
        ["weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"],
        ["weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse",
         "bias_hh_l1_reverse"]]
    assert [[tuple(w.shape) for w in ws] for ws in RNN(3, 4, bias=False).all_weights] == \
        [[(4, 3), (4, 4)]]
    assert gru.all_weights[2][1] is gru.weight_hh_l1           # the parameters themselves
    assert LSTM(3, 4).proj_size == RNN(3, 4).proj_size == gru.proj_size == 0
    assert "proj_size" not in LSTM(3, 4).state_dict()


def test_an_lstm_takes_pytorchs_default_proj_size_and_refuses_a_projection():
    assert LSTM(4, 5, proj_size=0).hidden_size == 5
    with pytest.raises(ValueError, match=r"LSTM: proj_size=3 \(PyTorch's LSTM with projections\) "
                                         r"is not supported; only proj_size=0"):
        LSTM(4, 5, proj_size=3)


def test_an_unknown_nonlinearity_is_refused():
    with pytest.raises(ValueError, match="RNN: nonlinearity must be 'tanh' or 'relu', got "
                                         "'sigmoid'"):
        RNN(4, 5, nonlinearity="sigmoid")


# -- a small model that learns -------------------------------------------------------------------

def test_a_character_model_learns_a_repeating_sequence():
    """Embedding → GRU → Linear, next-character prediction on "hello world " repeated:
    the loss falls from about ln(8) to nearly 0 in 30 steps of Adam."""
    text = "hello world " * 5 + "h"
    alphabet = sorted(set(text))
    ids = np.array([alphabet.index(ch) for ch in text])
    inputs, targets = ids[:-1].reshape(5, 12), ids[1:].reshape(5, 12)     # 5 sequences

    class CharModel(Module):
        def __init__(self):
            rng = np.random.default_rng(0)
            self.embed = Embedding(len(alphabet), 8, rng=rng)
            self.gru = GRU(8, 32, batch_first=True, rng=rng)
            self.head = Linear(32, len(alphabet), rng=rng)

        def forward(self, tokens):
            hidden, _ = self.gru(self.embed(tokens))
            return self.head(hidden)

    model = CharModel()
    optimizer = Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = cross_entropy(model(inputs).reshape(-1, len(alphabet)), targets.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0], losses[::10]      # ~2.1 to ~0.002


# -- cells: one step -------------------------------------------------------------------------------

CELLS = {RNNCell: RNN, GRUCell: GRU, LSTMCell: LSTM}


def cell_state(cls, batch, rng):
    """A random hx for a cell of 5 hidden units: one tensor, or LSTMCell's pair (h, c)."""
    parts = [Tensor(rng.standard_normal((*batch, 5)), requires_grad=True)
             for _ in range(2 if cls is LSTMCell else 1)]
    return tuple(parts) if cls is LSTMCell else parts[0]


def flat(result):
    """A cell's h' (or LSTMCell's h' and c') as one tensor."""
    parts = result if isinstance(result, tuple) else (result,)
    return concatenate([part.reshape(-1) for part in parts])


@pytest.mark.parametrize("cls", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("batch", [(), (1,), (3,)], ids=["unbatched", "batch of one", "batch"])
def test_cell_gradients_of_input_state_and_parameters_match_finite_differences(cls, batch, rng):
    cell = cls(4, 5, dtype="float64", rng=rng)
    x = Tensor(rng.standard_normal((*batch, 4)), requires_grad=True)
    hx = cell_state(cls, batch, rng)
    parts = hx if cls is LSTMCell else (hx,)
    pack = (lambda parts: tuple(parts)) if cls is LSTMCell else (lambda parts: parts[0])
    assert gradcheck(lambda x, *parts: flat(cell(x, pack(parts))), x, *parts)
    weights = rng.standard_normal(flat(cell(x, hx)).shape)
    assert gradcheck_parameters(lambda: (flat(cell(x, hx)) * weights).sum(), cell.parameters())


def test_relu_cell_gradients_match_finite_differences(rng):
    cell = RNNCell(4, 5, nonlinearity="relu", dtype="float64", rng=rng)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda x: cell(x, Tensor(np.ones((3, 5)))), x)


def copy_layer_weights_into(cell, model):
    for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, kind).data[...] = getattr(model, f"{kind}_l0").data


@pytest.mark.parametrize("cls, options", [(RNNCell, {}), (RNNCell, {"nonlinearity": "relu"}),
                                          (GRUCell, {}), (LSTMCell, {})],
                         ids=["RNNCell", "RNNCell-relu", "GRUCell", "LSTMCell"])
def test_a_cell_looped_over_time_is_the_layer_on_the_same_weights(cls, options, rng):
    model = CELLS[cls](4, 5, dtype="float64", rng=rng, **options)
    cell = cls(4, 5, dtype="float64", rng=rng, **options)
    copy_layer_weights_into(cell, model)
    x = Tensor(rng.standard_normal((6, 3, 4)))
    output, last = model(x)
    state = None
    for t in range(6):
        state = cell(x[t], state)
        h = state[0] if cls is LSTMCell else state
        np.testing.assert_allclose(h.data, output.data[t], rtol=1e-13, atol=1e-13)
    if cls is LSTMCell:
        np.testing.assert_allclose(state[1].data, last[1].data[0], rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("cls", CELLS, ids=lambda c: c.__name__)
def test_an_unbatched_step_is_the_batch_of_one_without_the_batch_axis(cls, rng):
    cell = cls(4, 5, dtype="float64", rng=rng)
    x = rng.standard_normal(4)
    hx = cell_state(cls, (), rng)
    batched_hx = tuple(p.reshape(1, 5) for p in hx) if cls is LSTMCell else hx.reshape(1, 5)
    one, batch_of_one = cell(Tensor(x), hx), cell(Tensor(x[None]), batched_hx)
    for a, b in zip(*(r if cls is LSTMCell else (r,) for r in (one, batch_of_one))):
        assert a.shape == (5,) and b.shape == (1, 5)
        np.testing.assert_allclose(a.data, b.data[0])


@pytest.mark.parametrize("cls, gates", [(RNNCell, 1), (GRUCell, 3), (LSTMCell, 4)],
                         ids=["RNNCell", "GRUCell", "LSTMCell"])
def test_cell_state_dict_has_pytorchs_names_shapes_and_init(cls, gates):
    manual_seed(0)
    cell = cls(4, 16)
    assert {k: v.shape for k, v in cell.state_dict().items()} == {
        "weight_ih": (gates * 16, 4), "weight_hh": (gates * 16, 16),
        "bias_ih": (gates * 16,), "bias_hh": (gates * 16,)}
    numbers = np.concatenate([v.numpy().ravel() for v in cell.state_dict().values()])
    assert np.abs(numbers).max() <= 0.25 and np.abs(numbers).max() > 0.2   # ±1/√16
    no_bias = cls(4, 16, bias=False)
    assert list(no_bias.state_dict()) == ["weight_ih", "weight_hh"]
    assert no_bias.bias_ih is None and no_bias.bias_hh is None
    assert repr(no_bias) == f"{cls.__name__}(4, 16, bias=False)"


def test_cells_draw_from_the_given_generator():
    first, second = (GRUCell(4, 5, rng=np.random.default_rng(7)) for _ in range(2))
    np.testing.assert_array_equal(first.weight_hh.data, second.weight_hh.data)


def test_a_cell_refuses_inputs_of_the_wrong_shape_naming_the_cell_and_shapes():
    cell = GRUCell(4, 5)
    with pytest.raises(ValueError, match=r"GRUCell\(4, 5\): input of shape \(3, 6\) has 6 "
                                         r"features, expected input_size=4"):
        cell(Tensor(np.zeros((3, 6))))
    with pytest.raises(ValueError, match=r"GRUCell\(4, 5\): input must be \(N, 4\) \(batch, "
                                         r"features\) or one sample \(4,\), got shape "
                                         r"\(2, 3, 4\)"):
        cell(Tensor(np.zeros((2, 3, 4))))
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        cell(Tensor(np.zeros(())))


def test_a_cell_refuses_token_indices_and_things_that_are_not_numbers():
    with pytest.raises(TypeError, match=r"RNNCell\(3, 5\): the input holds integers other than "
                                        r"0 and 1 .* token indices\?"):
        RNNCell(3, 5)(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match=r"LSTMCell\(4, 5\): input: expected numbers"):
        LSTMCell(4, 5)("abcd")
    with pytest.raises(TypeError, match=r"GRUCell\(4, 5\): hx: expected numbers .* object"):
        GRUCell(4, 5)(np.zeros((2, 4)), np.array([[None] * 5] * 2, dtype=object))
    with pytest.raises(TypeError, match=r"LSTMCell\(4, 5\): c is None; give the whole"):
        LSTMCell(4, 5)(np.zeros((2, 4)), (np.zeros((2, 5)), None))


@pytest.mark.parametrize("cls", CELLS, ids=lambda c: c.__name__)
def test_a_cell_refuses_a_state_of_the_wrong_shape_naming_the_expected_one(cls):
    cell, x = cls(4, 5), Tensor(np.zeros((3, 4)))
    wrong, right = np.zeros((2, 5)), np.zeros((3, 5))
    name = "h" if cls is LSTMCell else "hx"
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(4, 5\): {name} must have shape "
                       r"\(3, 5\) \(batch, hidden_size\) for an input of shape \(3, 4\), got "
                       r"\(2, 5\)"):
        cell(x, (wrong, right) if cls is LSTMCell else wrong)
    with pytest.raises(ValueError, match=r"must have shape \(5,\) \(hidden_size\) for an input "
                                         r"of shape \(4,\), got \(1, 5\)"):
        cell(Tensor(np.zeros(4)), (np.zeros((1, 5)),) * 2 if cls is LSTMCell
             else np.zeros((1, 5)))


def test_an_lstm_cell_takes_the_pair_h_c_and_the_other_cells_one_tensor():
    h = np.zeros((3, 5))
    with pytest.raises(TypeError, match=r"LSTMCell\(4, 5\): hx is the pair \(h, c\), got a "
                                        r"ndarray of shape \(3, 5\)"):
        LSTMCell(4, 5)(np.zeros((3, 4)), h)
    with pytest.raises(TypeError, match=r"LSTMCell\(4, 5\): hx is the pair \(h, c\), got a "
                                        r"tuple of 3"):
        LSTMCell(4, 5)(np.zeros((3, 4)), (h, h, h))
    with pytest.raises(TypeError, match=r"RNNCell\(4, 5\): hx is one tensor \(an LSTMCell's is "
                                        r"the pair \(h, c\)\), got a tuple of 2"):
        RNNCell(4, 5)(np.zeros((3, 4)), (h, h))


@pytest.mark.parametrize("cls", CELLS, ids=lambda c: c.__name__)
def test_bad_cell_settings_are_refused_naming_the_cell(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: hidden_size must be a positive "
                                         r"integer, got 0"):
        cls(4, 0)
    with pytest.raises(ValueError, match=rf"{cls.__name__}: input_size must be a positive "
                                         r"integer, got 2.5"):
        cls(2.5, 4)


def test_an_rnn_cell_refuses_an_unknown_nonlinearity_and_shows_relu_in_its_repr():
    with pytest.raises(ValueError, match="RNNCell: nonlinearity must be 'tanh' or 'relu', got "
                                         "'sigmoid'"):
        RNNCell(4, 5, nonlinearity="sigmoid")
    assert repr(RNNCell(4, 5, nonlinearity="relu")) == "RNNCell(4, 5, nonlinearity='relu')"



@pytest.mark.parametrize("cls", [LSTM, GRU, LSTMCell, GRUCell])
def test_a_step_prints_the_module_only_for_an_error(cls):
    # the checks formatted repr(self) on every call (~5 µs, up to four times a cell's step):
    # a module whose repr cannot be made now runs on Tensors; integer 0/1 states are cast
    class Unprintable(cls):
        def extra_repr(self) -> str:
            raise AssertionError("the repr was made on the hot path")
    manual_seed(4)
    m = Unprintable(3, 4, batch_first=True) if cls in (LSTM, GRU) else Unprintable(3, 4)
    x = Tensor(np.random.default_rng(4).normal(size=(2, 3)).astype(np.float32))
    h = Tensor(np.arange(8).reshape(2, 4) % 2)
    if cls is LSTM:
        out, (h_n, c_n) = m(x[:, None], (h[None], h[None]))
    elif cls is GRU:
        out, h_n = m(x[:, None], h[None])
    elif cls is LSTMCell:
        h_n, c_n = m(x, (h, h))
    else:
        h_n = m(x, h)
    assert h_n.shape[-2:] == (2, 4) and h_n.dtype == np.float32
