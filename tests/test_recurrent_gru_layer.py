"""autograd.ops.recurrent's GRULayer through gru_layer, a GRU layer run from its input itself
(one product a step with [h; x_t; 1]): the numbers and gradients of `linear` + gru_sequence,
first and second derivatives against finite differences (every input: x, h0, both weights,
both biases), PyTorch's GRU, packed lengths, the
nodes nn.GRU makes, dtypes, saturated gates, and errors that name the op."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from autograd import Tensor, concatenate, grad, gradcheck, gradcheck_parameters
from autograd.functional import gru_layer
from autograd.graph import walk
from nn import GRU
from nn.utils.rnn import pack_padded_sequence

from conftest import strict, t64
# lstm_layer's tests' sizes and cases, their helper, and this op's helpers (the tests both layer
# ops share are there: values and gradients against two nodes, finite differences)
from test_recurrent_layer_op import (CASES, LAYER_NODE, TWO_NODES, flat, values_and_gradients)
from test_recurrent_layer_op import (gru_layer_op as layer_op, gru_operands as operands,
                                     gru_two_nodes as two_nodes)


def test_the_gradient_graph_is_the_two_nodes_gradient_graph(rng):
    """Under create_graph the rule's gradients are nodes with the numbers of the first-order
    pass (and of linear + gru_sequence's)."""
    leaves = operands(rng, 3, 4, 2, 3)
    weights = rng.uniform(0.5, 1.5, layer_op(*leaves).shape)
    first = values_and_gradients(layer_op, leaves, weights)[1:]
    for f in (layer_op, two_nodes):
        graphs = grad((f(*leaves) * weights).sum(), leaves, create_graph=True)
        assert all(g.requires_grad for g in graphs)
        for a, b in zip(first, graphs):
            np.testing.assert_allclose(a, b.data, rtol=1e-12, atol=1e-13)


# -- against PyTorch ---------------------------------------------------------------------------

@pytest.mark.parametrize("N", [1, 16], ids=lambda n: f"N={n}")
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_pytorchs_gru_gives_the_same_values_and_gradients(rng, N, reverse, dtype):
    """torch.nn.GRU with the same weights and initial state: outputs, h_n and the gradients
    of the input, h0 and all four parameters (reverse: torch's layer on the sequence read
    backwards)."""
    torch = pytest.importorskip("torch", reason="cross-check with PyTorch: pip install torch")
    T, F, H = 5, 3, 4
    leaves = operands(rng, T, N, F, H, dtype=dtype)
    weights = rng.uniform(0.5, 1.5, layer_op(*leaves, reverse=reverse).shape).astype(dtype)
    mine = values_and_gradients(layer_op, leaves, weights, reverse=reverse)
    model = torch.nn.GRU(F, H).to(getattr(torch, np.dtype(dtype).name))
    parameters = (model.weight_ih_l0, model.weight_hh_l0, model.bias_ih_l0, model.bias_hh_l0)
    with torch.no_grad():
        for p, leaf in zip(parameters, leaves[2:]):
            p.copy_(torch.from_numpy(leaf.data))
    x, h0 = (torch.tensor(leaf.data, requires_grad=True) for leaf in leaves[:2])
    hs, h_n = model(x.flip(0) if reverse else x, h0[None])
    out = torch.cat([(hs.flip(0) if reverse else hs).reshape(-1), h_n.reshape(-1)])
    (out * torch.from_numpy(weights)).sum().backward()
    theirs = [out.detach().numpy(), x.grad.numpy(), h0.grad.numpy()] + \
        [p.grad.numpy() for p in parameters]
    tolerance = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else \
        {"rtol": 1e-4, "atol": 1e-5}
    for a, b in zip(mine, theirs):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, **tolerance)


@pytest.mark.parametrize("options", [
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"num_layers": 1, "bidirectional": False, "batch_first": False},
], ids=["two layers, bidirectional, batch first", "one layer"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_nn_gru_as_gru_layer_nodes_matches_pytorchs_gru(rng, options, dtype):
    """nn.GRU (a state_dict loaded into torch.nn.GRU) on 16 rows, so every layer and direction
    is a gru_layer node: the output, h_n and the gradients of the input, h0 and every
    parameter."""
    torch = pytest.importorskip("torch", reason="cross-check with PyTorch: pip install torch")
    name = np.dtype(dtype).name
    model = GRU(3, 5, dtype=name, rng=rng, **options)
    theirs_model = torch.nn.GRU(3, 5, **options).to(getattr(torch, name))
    theirs_model.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                                  for k, v in model.state_dict().items()})
    layers = model.num_layers * (2 if model.bidirectional else 1)
    shape = (GRU.layer_batch, 6, 3) if model.batch_first else (6, GRU.layer_batch, 3)
    x = Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    h0 = Tensor(rng.standard_normal((layers, GRU.layer_batch, 5)).astype(dtype),
                requires_grad=True)
    output, h_n = model(x, h0)
    assert Counter(node.op for node in walk(output) if not node.is_leaf)["gru_layer"] == layers
    out = concatenate([output.reshape(-1), h_n.reshape(-1)])
    weights = rng.uniform(0.5, 1.5, out.shape).astype(dtype)
    (out * weights).sum().backward()
    tx, th0 = (torch.tensor(v.data, requires_grad=True) for v in (x, h0))
    t_output, t_h_n = theirs_model(tx, th0)
    t_out = torch.cat([t_output.reshape(-1), t_h_n.reshape(-1)])
    (t_out * torch.from_numpy(weights)).sum().backward()
    tolerance = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else \
        {"rtol": 1e-4, "atol": 2e-5}
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), **tolerance)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), **tolerance)
    np.testing.assert_allclose(h0.grad, th0.grad.numpy(), **tolerance)
    for (k, p), (k2, tp) in zip(model.named_parameters(), theirs_model.named_parameters()):
        assert k == k2
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), err_msg=k, **tolerance)


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


def test_a_layer_is_one_node_and_h_n_is_its_slice(rng):
    x, h0, W_ih, W_hh, b_ih, b_hh = operands(rng, 5, 2, 3, 2)
    hs, h_n = gru_layer(x, h0, W_ih, W_hh, b_ih, b_hh)
    assert hs.op == "gru_layer" and hs.parents == (x, h0, W_ih, W_hh, b_ih, b_hh)
    assert hs.shape == (5, 2, 2)
    assert h_n.op == "getitem" and h_n.parents == (hs,)
    np.testing.assert_array_equal(h_n.data, hs.data[-1])
    hs, h_n = gru_layer(x, h0, W_ih, W_hh, b_ih, b_hh, reverse=True)
    np.testing.assert_array_equal(h_n.data, hs.data[0])


def test_saturated_gates_give_the_limits_without_warnings(rng):
    """Sums of ±1000 (tanh(±500) of σ's halves, tanh(±1000) of n): the gates are exactly 0, 1
    or ±1, with no warning, and values and gradients are gru_sequence's."""
    leaves = operands(rng, 3, 2, 2, 3)
    leaves[0] = t64(rng.choice([-1.0, 1.0], leaves[0].shape))
    leaves[2] = t64(rng.choice([-1000.0, 1000.0], leaves[2].shape))
    weights = rng.uniform(0.5, 1.5, layer_op(*leaves).shape)
    with strict():
        results = [values_and_gradients(f, leaves, weights) for f in (layer_op, two_nodes)]
    for mine, theirs in zip(*results):
        assert np.isfinite(mine).all()
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_an_empty_batch_gives_empty_results_and_zero_weight_gradients(rng, reverse):
    leaves = operands(rng, 3, 0, 2, 2)
    hs, h_n = gru_layer(*leaves, reverse=reverse)
    assert hs.shape == (3, 0, 2) and h_n.shape == (0, 2)
    flat(hs, (h_n,)).sum().backward()
    assert [leaf.grad.shape for leaf in leaves] == [leaf.shape for leaf in leaves]
    assert not any(leaf.grad.any() for leaf in leaves[2:])


def test_integer_operands_are_read_as_the_default_float(rng):
    x, W_ih, W_hh = rng.integers(-2, 3, (3, 2, 2)), rng.integers(-1, 2, (3, 2)), \
        rng.integers(-1, 2, (3, 1))
    h0, b = rng.integers(-1, 2, (2, 1)), np.ones(3, int)
    mine = layer_op(x, h0, W_ih, W_hh, b, b)

    def float32(v):
        return Tensor(v.astype(np.float32))
    theirs = two_nodes(*map(float32, (x, h0, W_ih, W_hh, b, b)))
    assert mine.dtype == np.float32
    np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-6, atol=1e-7)


def test_each_leaf_gets_its_own_gradient_array(rng):
    """The two biases' r and z parts get the same numbers, in arrays of their own
    (clip_grad_norm_ scales each in place), and no gradient shares memory with another."""
    leaves = operands(rng, 3, 2, 2, 2)
    layer_op(*leaves).sum().backward()
    grads = [leaf.grad for leaf in leaves]
    np.testing.assert_array_equal(grads[4][:4], grads[5][:4])
    for k, g in enumerate(grads):
        assert not any(np.shares_memory(g, other) for other in grads[k + 1:])


# -- nn.GRU --------------------------------------------------------------------------------------

@pytest.mark.parametrize("features, batch, ops", [
    (3, 16, {"gru_layer": 4}),
    (3, 1, {"gru_layer": 4}),
    (GRU.few_features, 2, {"gru_layer": 4}),
    (GRU.few_features + 1, 16, {"linear": 2, "gru_sequence": 2, "gru_layer": 2}),
], ids=["few features", "one row", "as many features as few", "many features"])
def test_nn_gru_runs_one_gru_layer_node_for_few_features(rng, features, batch, ops):
    """Up to `few_features` input features, whatever the batch (`layer_batch` 1), a layer and
    direction is one gru_layer node; else `linear` and gru_sequence. (Layer 1 reads the
    2 · 5 features of layer 0.)"""
    assert GRU.layer_batch == 1
    model = GRU(features, 5, num_layers=2, bidirectional=True, dtype="float64", rng=rng)
    output, _ = model(Tensor(rng.standard_normal((4, batch, features))))
    made = Counter(node.op for node in walk(output) if not node.is_leaf)
    assert made == {**ops, "concatenate": 2}


def model_and_leaves(rng, options, x_shape):
    """A float64 GRU(3, 4) with `options`, an input and a random initial state, as leaves."""
    model = GRU(3, 4, dtype="float64", rng=rng, **options)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    layers = model.num_layers * (2 if model.bidirectional else 1)
    batch = x_shape[0] if model.batch_first else x_shape[1] if len(x_shape) == 3 else None
    shape = (layers, 4) if batch is None else (layers, batch, 4)
    return model, x, Tensor(rng.standard_normal(shape), requires_grad=True), batch


def run(model, x, h0, lengths):
    """The output (a packed one's data with `lengths`) and h_n, in one tensor."""
    if lengths is not None:
        packed = pack_padded_sequence(x, lengths, model.batch_first, enforce_sorted=False)
        output, h_n = model(packed, h0)
        output = output.data
    else:
        output, h_n = model(x, h0)
    return concatenate([output.reshape(-1), h_n.reshape(-1)])


@pytest.mark.parametrize("name, options, x_shape, packed", CASES,
                         ids=[case[0] for case in CASES])
def test_nn_gru_gives_the_same_numbers_either_way(rng, name, options, x_shape, packed):
    """One model, one input and initial state, one dropout mask: as gru_layer nodes and as
    `linear` + gru_sequence (as before), the same outputs, final states and gradients of
    every parameter, the input and the initial state, to rounding (17 rows: backward sums the
    weights' gradients by a batched product)."""
    model, x, h0, batch = model_and_leaves(rng, options, x_shape)
    lengths = rng.integers(1, 6, batch) if packed else None
    leaves = [x, h0, *model.parameters()]
    results = []
    for way in (LAYER_NODE, TWO_NODES):
        for leaf in leaves:
            leaf.zero_grad()
        model.few_features, model.layer_batch = GRU.few_features, GRU.layer_batch
        for option, value in way.items():
            setattr(model, option, value)
        model.rng = np.random.default_rng(7)                # the same dropout masks
        out = run(model, x, h0, lengths)
        made = {node.op for node in walk(out)}
        assert ("gru_layer" in made) == (way is LAYER_NODE) != ("gru_sequence" in made)
        (out * np.linspace(0.5, 1.5, out.shape[0])).sum().backward()
        results.append([out.data] + [leaf.grad for leaf in leaves])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name, options, x_shape, packed",
                         [case for case in CASES if "dropout" not in case[1]],
                         ids=[case[0] for case in CASES if "dropout" not in case[1]])
def test_nn_gru_as_gru_layer_nodes_matches_finite_differences(rng, name, options, x_shape,
                                                              packed):
    model, x, h0, batch = model_and_leaves(rng, options, x_shape)
    model.layer_batch = 1
    lengths = rng.integers(1, 6, batch) if packed else None
    assert gradcheck(lambda x, h0: run(model, x, h0, lengths), x, h0)
    weights = rng.uniform(0.5, 1.5, run(model, x, h0, lengths).shape)
    assert gradcheck_parameters(lambda: (run(model, x, h0, lengths) * weights).sum(),
                                model.named_parameters())


# -- errors --------------------------------------------------------------------------------------

# (what differs from x (4, 2, 3), h0 (2, 5), W_ih (15, 3), W_hh (15, 5), biases (15,); the
# error's text after "gru_layer: ")
REFUSED = [
    ({"x": (4, 3, 3)}, r"x must have shape \(T, 2, features\) \(time, batch, features\) with "
                       r"T > 0 for h0 of shape \(2, 5\), got \(4, 3, 3\)"),
    ({"x": (0, 2, 3)}, r"x .* got \(0, 2, 3\)"),
    ({"h0": (2, 5, 1)}, r"h0 must be 2-d \(batch, hidden_size\), got shape \(2, 5, 1\)"),
    ({"W_ih": (15, 4)}, r"weight_ih must have shape \(15, 3\) \(3 gates x hidden_size, "
                        r"features\), got \(15, 4\)"),
    ({"W_hh": (20, 5)}, r"weight_hh must have shape \(15, 5\) \(3 gates x hidden_size, "
                        r"hidden_size\), got \(20, 5\)"),
    ({"b_hh": (5,)}, r"bias_hh must have shape \(15,\), got \(5,\)"),
    ({"b_ih": None}, r"give both biases, bias_ih and bias_hh, or neither; got only bias_hh"),
    ({"lengths": [0, 1]}, r"lengths must be 2 integers in 1\.\.4"),
]


@pytest.mark.parametrize("changed, message", REFUSED, ids=[str(c) for c, _ in REFUSED])
def test_operands_that_do_not_fit_are_refused_naming_the_op_and_the_shapes(changed, message):
    shapes = {"x": (4, 2, 3), "h0": (2, 5), "W_ih": (15, 3), "W_hh": (15, 5), "b_ih": (15,),
              "b_hh": (15,)}
    operands = {name: np.zeros(shape) for name, shape in shapes.items()}
    for name, value in changed.items():
        operands[name] = np.zeros(value) if isinstance(value, tuple) else value
    lengths = operands.pop("lengths", None)
    with pytest.raises(ValueError, match="gru_layer: " + message):
        gru_layer(*operands.values(), lengths=lengths)
