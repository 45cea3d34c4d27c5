"""nn.layers: Linear, Embedding, Dropout, Flatten, Unflatten, Identity, CosineSimilarity,
PairwiseDistance, Sequential, MLP; the Embedding's and LeakyReLU's numbers against PyTorch
(asked live where torch is installed, else as recorded in tests/reference/layers.npz)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, Value, gradcheck, manual_seed, no_grad
from autograd import functional as F
from nn.conv import Conv2d, MaxPool2d
import nn
from nn import functional as NF
from nn.activations import Hardswish, LeakyReLU, LogSoftmax, ReLU, Softmax, Tanh
from nn.layers import (
    MLP, CosineSimilarity, Dropout, Dropout1d, Dropout2d, Dropout3d, Embedding, Flatten,
    Identity, Linear, PairwiseDistance, Sequential, Unflatten, activation_layer,
)

from conftest import t64
from reference import as_array, assert_matches, draw, drawn_state, prefixed, recorded


def test_linear_computes_x_at_w_transposed_plus_b_with_w_out_by_in():
    """PyTorch's layout: weight (out_features, in_features), one row per output."""
    layer = Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], np.float32)
    expected = x @ layer.weight.data.T + layer.bias.data
    assert np.allclose(layer(Tensor(x)).numpy(), expected, rtol=1e-6)
    assert layer(Tensor(x[0])).shape == (2,)                 # one sample, no batch axis


def test_linear_weight_is_a_plain_row_major_array_and_so_is_its_gradient():
    """W (out, in) is C-contiguous, so numpy code that writes through a flat view of it (the
    lecture's finite-difference loop) changes the model; a seeded layer draws the numbers of
    glassgrad 0.1's (in, out) weight."""
    layer = Linear(5, 3, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(5)
    draw = np.random.default_rng(0).uniform(-bound, bound, (5, 3)).astype(np.float32)
    assert np.array_equal(layer.weight.data, draw.T)
    assert layer.weight.data.flags.c_contiguous
    flat = layer.weight.data.reshape(-1)
    flat[0] = 7.0
    assert layer.weight.data[0, 0] == 7.0
    layer(Tensor(np.ones((4, 5), np.float32))).sum().backward()
    assert layer.weight.grad.flags.c_contiguous and layer.weight.grad.shape == (3, 5)


def test_linear_gradients_match_finite_differences():
    layer = Linear(3, 2, dtype=np.float64)
    x = Tensor(np.random.default_rng(1).normal(size=(4, 3)), requires_grad=True)

    def f(x, weight, bias):
        # gradcheck hands in its own float64 leaves, plain Tensors, which assignment to a
        # parameter refuses: they go into the layer's attributes directly
        vars(layer).update(weight=weight, bias=bias)
        return layer(x).tanh().sum()

    assert gradcheck(f, x, layer.weight, layer.bias)


def test_linear_takes_integer_inputs_as_the_default_float_dtype():
    """Integer features (a list of ints is int64) go in as floats, as conv2d takes them: numpy's
    int64 @ float32 would make the output, and all that follows, float64."""
    layer = Linear(2, 3)
    y = layer(Tensor([[1, 2], [3, 4]]))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, layer(Tensor([[1.0, 2.0], [3.0, 4.0]])).data)
    assert layer(np.array([[True, False]])).dtype == np.float32


def test_float64_data_into_a_float32_linear_is_computed_in_float64_as_the_readme_says():
    """PyTorch refuses float64 @ float32 ("mat1 and mat2 must have the same dtype"); glassgrad
    promotes as numpy, as the README's dtype rules promise, so a learner's np.random.randn
    data goes through a default (float32) model (in `fit` too, which keeps an array's dtype):
    the output is float64, computed from the float32 weights exactly, and the weights'
    gradients keep their float32."""
    layer = Linear(3, 2)
    x = np.random.default_rng(0).normal(size=(4, 3))
    y = layer(x)
    assert y.dtype == np.float64
    w, b = layer.weight.data.astype(np.float64), layer.bias.data.astype(np.float64)
    np.testing.assert_allclose(y.data, x @ w.T + b, rtol=1e-15)
    y.sum().backward()
    assert layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32
    np.testing.assert_allclose(layer.weight.grad, np.tile(x.sum(0), (2, 1)), rtol=1e-6)


def test_linear_without_bias_and_its_repr():
    layer = Linear(4, 3, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=False)"


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in_and_seeded():
    manual_seed(3)
    a = Linear(100, 50)
    manual_seed(3)
    b = Linear(100, 50)
    assert np.array_equal(a.weight.data, b.weight.data)
    bound = 1 / np.sqrt(100)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.weight.data).max() > 0.9 * bound
    assert a.weight.dtype == np.float32
    c = Linear(100, 50, rng=np.random.default_rng(3))
    assert not np.array_equal(a.weight.data, Linear(100, 50).weight.data)
    assert c.weight.dtype == np.float32


def test_linear_rejects_bad_sizes_and_bad_inputs():
    with pytest.raises(ValueError, match="in_features must be a positive integer, got 0"):
        Linear(0, 2)
    with pytest.raises(ValueError, match="out_features must be a positive integer, got 2.5"):
        Linear(2, 2.5)
    with pytest.raises(ValueError, match=r"^Linear\(in_features=2, out_features=4, bias=True\): "
                                         r"input of "
                                         r"shape \(5, 3\) does not fit a weight of shape \(4, 2\) "
                                         r"\(out_features, in_features\)"):
        Linear(2, 4)(Tensor(np.zeros((5, 3))))      # the layer is named, as in a deep model
    with pytest.raises(TypeError, match=r"^Linear\(in_features=2, out_features=4, bias=True\): "
                                        r"takes a "
                                        r"Tensor or an array, got a list of Values .*nn.scalar"):
        Linear(2, 4)([Value(1.0), Value(2.0)])      # not Tensor's words about dtype object


def test_linear_given_unflattened_images_or_columns_says_how_to_reshape():
    """MNIST as (N, 28, 28) into Linear(784, ...), one image (28, 28), or the samples as
    columns: the error said only 'the last input dim must be 784'."""
    layer = Linear(784, 10)
    with pytest.raises(ValueError, match=r"must be 784 \(28 × 28 = 784 numbers per sample: "
                                         r"flatten them first, x.reshape\(len\(x\), -1\), or put "
                                         r"nn.Flatten\(\) before the layer\)$"):
        layer(np.zeros((32, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"\(one sample of shape \(28, 28\)\? flatten it: "
                                         r"x.reshape\(1, -1\)\)$"):
        layer(np.zeros((28, 28), np.float32))
    with pytest.raises(ValueError, match=r"must be 4 \(the samples as columns\? x.T has one row "
                                         r"per sample, shape \(16, 4\)\)$"):
        Linear(4, 3)(np.zeros((4, 16), np.float32))
    with pytest.raises(ValueError, match=r"must be 4$"):          # nothing to guess
        Linear(4, 3)(np.zeros((16, 5), np.float32))


def test_identity_returns_its_input_on_tensors_and_values():
    x, v = Tensor(np.array([-1.5, 2.0])), Value(0.3)
    assert Identity()(x) is x and Identity(3, bias=False)(v) is v


def test_flatten_keeps_the_batch_axis():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert Flatten()(x).shape == (2, 12)
    assert Flatten(start_axis=0)(x).shape == (24,)


def test_flatten_takes_a_numpy_batch_as_a_model_s_first_layer():
    """`Sequential(Flatten(), Linear(...))(images)` on a raw numpy batch, as fit and predict
    pass it: the layer must not need Tensor's own methods."""
    images = np.zeros((2, 3, 4), np.float32)
    assert Flatten()(images).shape == (2, 12)
    assert Sequential(Flatten(), Linear(12, 2))(images).shape == (2, 2)


def test_flatten_of_an_empty_batch_and_axes_out_of_range():
    empty = Tensor(np.zeros((0, 3, 4, 5)))
    assert Flatten()(empty).shape == (0, 60)            # as PyTorch (numpy cannot infer -1)
    assert Flatten(1, 2)(empty).shape == (0, 12, 5)
    x = Tensor(np.zeros((2, 3, 4, 5)))
    for layer in (Flatten(1, 7), Flatten(5), Flatten(-6, -1)):    # not wrapped around
        with pytest.raises(ValueError, match=r"Flatten\(.*\): axis -?\d is out of range for an "
                                             r"input of shape \(2, 3, 4, 5\)"):
            layer(x)
    with pytest.raises(TypeError, match="an axis must be an int, got 1.5"):
        Flatten(1.5)(x)


def test_pytorch_keyword_names_dim_start_dim_end_dim_work():
    z = Tensor(np.arange(6.0).reshape(2, 3))
    assert np.allclose(Softmax(dim=0)(z).numpy(), Softmax(axis=0)(z).numpy())
    assert LogSoftmax(dim=0).axis == 0
    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert Flatten(start_dim=2)(x).shape == (2, 3, 20)
    assert Flatten(1, 2)(x).shape == Flatten(end_dim=2)(x).shape == (2, 12, 5)
    assert Flatten(0, -2)(x).shape == (24, 5)
    assert repr(Flatten(1, 2)) == "Flatten(start_axis=1, end_axis=2)"
    with pytest.raises(TypeError, match="both axis=0 and dim=1"):
        Softmax(0, dim=1)
    with pytest.raises(ValueError, match="start axis 2 comes after end axis 1"):
        Flatten(2, 1)(x)


def test_inplace_writes_into_the_input_as_pytorch():
    x = Tensor(np.array([-1.0, 2.0]))
    assert ReLU(inplace=True)(x) is x and x.numpy().tolist() == [0.0, 2.0]
    y = Tensor(np.array([-1.0, 2.0]))
    assert ReLU(True)(y) is y and y.numpy().tolist() == [0.0, 2.0]  # torchvision's ReLU(True)
    assert ReLU()(Tensor([-1.0])).tolist() == [0.0]
    assert Dropout(0.5, inplace=True).eval()(x) is x


def test_dropout_scales_in_training_and_passes_through_in_eval():
    layer = Dropout(0.25, rng=np.random.default_rng(0))
    x = Tensor(np.ones((200, 50)))
    y = layer(x).numpy()
    kept = y != 0
    assert np.allclose(y[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.02
    layer.eval()
    assert np.array_equal(layer(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\], "
                                         r"got 1.5"):
        Dropout(1.5)
    with pytest.raises(ValueError, match=r"Dropout: .* got -0.1"):
        Dropout(-0.1)


@pytest.mark.parametrize("layer", [Dropout, Dropout1d, Dropout2d, Dropout3d])
def test_dropout_takes_pytorchs_positional_inplace_and_names_itself(layer):
    """PyTorch's second argument is `inplace`: nn.Dropout2d(0.2, True) made the layer, then its
    first batch failed inside numpy with "'bool' object has no attribute 'random'"."""
    made = layer(0.5, True)
    assert made.inplace is True and made.rng is None
    shape = (4, 3, 5, 5, 5)[:{Dropout: 2, Dropout1d: 3, Dropout2d: 4, Dropout3d: 5}[layer]]
    kept = made(Tensor(np.ones(shape))).numpy()
    assert set(np.unique(kept)) <= {0.0, 2.0}
    with pytest.raises(TypeError, match=rf"^{layer.__name__}: rng must be a random generator "
                                        r"\(np.random.default_rng\(seed\)\) or None, got 'seed'"):
        layer(0.5, "seed")
    with pytest.raises(ValueError, match=rf"^{layer.__name__}: p must be a probability in "
                                         r"\[0, 1\], got 1.5"):
        layer(1.5)


def test_functional_dropout_takes_pytorchs_positional_inplace():
    """F.dropout(x, p, training, inplace) in PyTorch: a bool where glassgrad takes `rng`."""
    x = Tensor(np.ones((50, 40)))
    for function, shape in ((NF.dropout, (50, 40)), (NF.dropout1d, (5, 4, 10)),
                            (NF.dropout2d, (5, 4, 2, 5)), (NF.dropout3d, (5, 4, 2, 5, 1))):
        x = Tensor(np.ones(shape))
        assert set(np.unique(function(x, 0.5, True, False).numpy())) <= {0.0, 2.0}
        assert function(x, 0.5, False, True) is x
        with pytest.raises(TypeError, match=rf"^{function.__name__}: rng must be a random "
                                            r"generator .* got 3"):
            function(x, 0.5, True, 3)


def test_dropout_one_gives_zeros_in_training_as_pytorch_and_passes_through_in_eval():
    layer = Dropout(1.0)
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    y = layer(x)
    assert np.array_equal(y.numpy(), np.zeros((4, 3)))
    y.sum().backward()
    assert np.array_equal(x.grad, np.zeros((4, 3)))
    assert layer.eval()(x) is x


def test_sequential_applies_layers_in_order_and_names_them_by_position():
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = Tensor(np.array([[0.5, -1.0]]))
    h = np.maximum(x.numpy() @ model[0].weight.data.T + model[0].bias.data, 0)
    assert np.allclose(model(x).numpy(), h @ model[2].weight.data.T + model[2].bias.data,
                       rtol=1e-6)
    assert len(model) == 3


def test_mlp_layout_and_parameter_count():
    model = MLP(784, [100], 10)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    assert model.num_parameters() == 784 * 100 + 100 + 100 * 10 + 10
    assert MLP(2, 8, 1).num_parameters() == 2 * 8 + 8 + 8 + 1          # an int hidden size
    assert [type(m).__name__ for m in MLP(2, [], 1)] == ["Linear"]     # no hidden layer


def test_mlp_activation_choices():
    model = MLP(2, [4, 4], 1, activation="tanh", output_activation="sigmoid")
    assert [type(m).__name__ for m in model] == [
        "Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]
    out = model(Tensor(np.random.default_rng(0).normal(size=(6, 2)))).numpy()
    assert out.shape == (6, 1) and np.all((out > 0) & (out < 1))
    assert isinstance(activation_layer(Tanh), Tanh)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        MLP(2, [4], 1, activation="swish")


def test_mlp_trains_to_fit_a_small_problem():
    # a smooth 1-d regression: gradient descent must lower the loss a lot
    manual_seed(0)
    model = MLP(1, [16], 1, activation="tanh", dtype=np.float64)
    x = np.linspace(-2, 2, 32)[:, None]
    y = np.sin(x)
    losses = []
    for _ in range(300):
        model.zero_grad()
        loss = ((model(Tensor(x)) - y) ** 2).mean()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.2 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.02 * losses[0]


def test_a_flat_array_into_a_one_feature_layer_says_to_make_a_column():
    with pytest.raises(ValueError, match=r"Linear\(in_features=1, out_features=2, bias=True\): .*"
                                         r"X.reshape\(-1, 1\)"):
        Linear(1, 2)(Tensor(np.arange(5.0)))
    with pytest.raises(ValueError) as error:                 # another mistake: no such hint
        Linear(3, 2)(Tensor(np.arange(5.0)))
    assert "reshape(-1, 1)" not in str(error.value)


# -- Embedding -----------------------------------------------------------------------------------

def test_embedding_picks_rows_for_indices_of_any_shape():
    table = Embedding(5, 3)
    assert table.weight.shape == (5, 3) and table.weight.dtype == np.float32
    for index in (3, [4, 0], np.array([[1, 2, 2], [0, 4, 1]]), Tensor(np.array([2, 2]))):
        expected = table.weight.data[np.asarray(index.data if isinstance(index, Tensor)
                                                else index)]
        out = table(index)
        assert out.shape == np.shape(expected) and np.array_equal(out.data, expected)


def test_embedding_is_initialised_from_a_standard_normal_by_the_seeded_generator():
    """PyTorch's N(0, 1); `rng` or the shared generator (manual_seed) draw it."""
    manual_seed(3)
    first = Embedding(200, 50).weight.data
    manual_seed(3)
    assert np.array_equal(Embedding(200, 50).weight.data, first)
    assert abs(first.mean()) < 0.03 and abs(first.std() - 1) < 0.03
    drawn = np.random.default_rng(1).standard_normal((4, 2)).astype(np.float32)
    assert np.array_equal(Embedding(4, 2, rng=np.random.default_rng(1)).weight.data, drawn)


def test_repeated_indices_add_up_their_gradients_and_the_padding_row_gets_none():
    table = Embedding(4, 2, padding_idx=-1, dtype=np.float64)
    assert table.padding_idx == 3 and (table.weight.data[3] == 0).all()
    assert repr(table) == "Embedding(4, 2, padding_idx=3)"
    table(np.array([[0, 3, 0], [3, 2, 0]])).sum().backward()
    np.testing.assert_array_equal(table.weight.grad, [[3, 3], [0, 0], [1, 1], [0, 0]])
    table.weight.data[3] = 7.0          # set by hand: used in the forward pass, still not trained
    assert (table([3]).data == 7).all()


@pytest.mark.parametrize("index_shape", [(), (1,), (6,), (2, 5), (1, 3, 2)])
def test_embedding_gradients_match_finite_differences(rng, index_shape):
    """Through weight[indices] times a random array (so every row's gradient differs), with
    repeated indices, a 0-d index and batches of one; with a padding row, the same gradients
    but none for that row."""
    index = rng.integers(0, 4, index_shape)
    scale, weight = rng.normal(size=index_shape + (3,)), rng.normal(size=(4, 3))
    table, padded = Embedding(4, 3, dtype=np.float64), Embedding(4, 3, 1, dtype=np.float64)

    def f(weight):
        vars(table)["weight"] = weight          # a plain Tensor, which assignment refuses
        return table(index) * scale
    assert gradcheck(f, t64(weight))
    expected = t64(weight)
    f(expected).sum().backward()
    padded.weight.data[:] = weight
    (padded(index) * scale).sum().backward()
    expected.grad[1] = 0
    np.testing.assert_allclose(padded.weight.grad, expected.grad, rtol=1e-15)


@settings(max_examples=30)
@given(index_shape=st.lists(st.integers(0, 3), max_size=3), rows=st.integers(1, 6),
       dim=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_any_index_shape_gives_its_rows_and_each_row_the_sum_of_its_gradients(
        index_shape, rows, dim, seed):
    rng = np.random.default_rng(seed)
    index = rng.integers(0, rows, tuple(index_shape))
    table = Embedding(rows, dim, dtype=np.float64, rng=rng)
    g = rng.normal(size=tuple(index_shape) + (dim,))
    out = table(index)
    assert out.shape == tuple(index_shape) + (dim,)
    out.backward(g)
    expected = np.zeros((rows, dim))
    np.add.at(expected, index, g)
    np.testing.assert_allclose(table.weight.grad, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("indices, error, message", [
    ([0, 27], IndexError, r"Embedding\(27, 2\): index 27 is out of range for a table of 27 rows "
                          r"\(num_embeddings=27\): indices must be in \[0, 27\); a vocabulary "
                          r"of 28 needs num_embeddings >= 28"),
    ([3, -1], IndexError, r"Embedding\(27, 2\): indices must be >= 0, got -1"),
    (np.array([1.0, 2.0]), TypeError, r"Embedding\(27, 2\): indices must be integers, got "
                                      r"floats \(dtype float64\); convert them with "
                                      r"\.astype\(np\.int64\)"),
    ([True], TypeError, "indices must be integers, got bools"),
    ([Value(1.0)], TypeError, "indices must be integers"),
])
def test_embedding_errors_name_the_layer_the_index_and_the_table(indices, error, message):
    with pytest.raises(error, match=message):
        Embedding(27, 2)(indices)


@pytest.mark.parametrize("arguments, message", [
    ((0, 2), "Embedding: num_embeddings must be a positive integer, got 0"),
    ((3, 2.0), "Embedding: embedding_dim must be a positive integer, got 2.0"),
    ((3, 2, 3), r"Embedding: padding_idx must be in \[-3, 3\) .* got 3"),
    ((3, 2, -4), r"Embedding: padding_idx must be in \[-3, 3\)"),
])
def test_embedding_arguments_are_checked(arguments, message):
    with pytest.raises(ValueError, match=message):
        Embedding(*arguments)


def test_an_embedding_trains_as_part_of_a_model():
    """makemore's first step: characters -> vectors -> flattened context -> Linear."""
    manual_seed(0)
    model = Sequential(Embedding(27, 10), Flatten(), Linear(30, 27))
    out = model(np.array([[0, 0, 5], [0, 5, 13]]))
    assert out.shape == (2, 27)
    out.sum().backward()
    assert [name for name, p in model.named_parameters() if p.grad is not None] == [
        "0.weight", "2.weight", "2.bias"]


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

def layers_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """An embedding table (7, 3) with drawn numbers (PyTorch's own draw is not reproducible from
    numpy's seed), indices (2, 5) with repeats and the padding row 2, and a gradient for each
    output; an input for LeakyReLU with exact zeros in it."""
    return dict(weight=rng.normal(size=(7, 3)), index=rng.integers(0, 7, (2, 5)),
                g=rng.normal(size=(2, 5, 3)), x=np.round(rng.normal(size=(3, 4)), 0),
                g_x=rng.normal(size=(3, 4)))


def layers_glassgrad(weight, index, g, x, g_x) -> dict[str, np.ndarray]:
    """Embedding(7, 3, padding_idx=2) loaded with `weight`: output and weight gradient;
    LeakyReLU(0.2): output and input gradient."""
    table = Embedding(7, 3, padding_idx=2, dtype=np.float64)
    table.load_state_dict({"weight": weight})
    y = table(index)
    y.backward(g)
    ours = t64(x)
    z = LeakyReLU(0.2)(ours)
    z.backward(g_x)
    return {"embedding/y": y.data, "embedding/weight.grad": table.weight.grad,
            "leaky_relu/y": z.data, "leaky_relu/x.grad": ours.grad}


def layers_torch(torch, weight, index, g, x, g_x) -> dict[str, np.ndarray]:
    """The same as `layers_glassgrad`, computed by PyTorch."""
    table = torch.nn.Embedding(7, 3, padding_idx=2).double()
    table.load_state_dict({"weight": torch.tensor(weight)})
    y = table(torch.tensor(index))
    y.backward(torch.tensor(g))
    theirs = torch.tensor(x, requires_grad=True)
    z = torch.nn.LeakyReLU(0.2)(theirs)
    z.backward(torch.tensor(g_x))
    return {"embedding/y": as_array(y), "embedding/weight.grad": as_array(table.weight.grad),
            "leaky_relu/y": as_array(z), "leaky_relu/x.grad": as_array(theirs.grad)}


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/layers.npz: the inputs, PyTorch's results, and torch.nn.Embedding(7, 3)'s
    state dict ("state/": its names, shapes and dtypes, with drawn numbers)."""
    inputs = layers_inputs(draw())
    state = prefixed("state", drawn_state(draw(), torch.nn.Embedding(7, 3).state_dict()))
    return {**inputs, **layers_torch(torch, **inputs), **state}


def test_embedding_and_leaky_relu_match_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = layers_inputs(rng)
    assert inputs["index"].min() <= 2 <= inputs["index"].max() and (inputs["x"] == 0).any()
    assert_matches(layers_glassgrad(**inputs), layers_torch(torch, **inputs),
                   rtol=1e-12, atol=1e-12)


def test_embedding_and_leaky_relu_match_pytorchs_recorded_numbers():
    theirs = {k: v for k, v in recorded("layers").items() if not k.startswith("state/")}
    inputs = ("weight", "index", "g", "x", "g_x")
    assert_matches(layers_glassgrad(*(theirs[name] for name in inputs)), theirs,
                   rtol=1e-12, atol=1e-12, inputs=inputs)


def test_an_embedding_state_dict_has_pytorchs_layout_and_loads_strictly():
    """One entry, `weight`, (num_embeddings, embedding_dim) float32, as recorded from PyTorch."""
    theirs = {k.removeprefix("state/"): v for k, v in recorded("layers").items()
              if k.startswith("state/")}
    ours = Embedding(7, 3)
    assert {k: (v.shape, v.dtype) for k, v in ours.state_dict().items()} == \
        {k: (v.shape, v.dtype) for k, v in theirs.items()}
    ours.load_state_dict(theirs)
    np.testing.assert_array_equal(ours.weight.data, theirs["weight"])


def test_an_embedding_moves_to_pytorch_and_back_strictly():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    ours, theirs = Embedding(7, 3), torch.nn.Embedding(7, 3)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    index = np.array([[1, 6], [0, 1]])
    np.testing.assert_array_equal(as_array(theirs(torch.from_numpy(index))), ours(index).data)
    with torch.no_grad():
        theirs.weight.normal_()
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.data, as_array(theirs.weight))



@pytest.mark.parametrize("make", [
    lambda nn: nn.Linear(3, 2), lambda nn: nn.Linear(3, 2, bias=False),
    lambda nn: nn.Dropout(0.2), lambda nn: nn.Dropout(1.0, inplace=True),
    lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(), nn.Linear(3, 1)),
])
def test_reprs_are_pytorch_s(make):
    """PyTorch prints bias=True and inplace=False too: a printed model reads the same in both."""
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    import nn
    assert repr(make(nn)) == repr(make(torch.nn))
    assert repr(nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"


# ----------------------------------------------------------------------------------------------
# Unflatten, CosineSimilarity, PairwiseDistance
# ----------------------------------------------------------------------------------------------

def test_unflatten_undoes_flatten_and_infers_one_size(rng):
    x = rng.normal(size=(5, 2, 3, 4))
    flat = Flatten()(t64(x))                                            # (5, 24)
    np.testing.assert_array_equal(Unflatten(1, (2, 3, 4))(flat).data, x)
    assert Unflatten(1, [2, -1, 4])(flat).shape == (5, 2, 3, 4)
    assert Unflatten(1, (-1, 12))(flat).shape == (5, 2, 12)
    assert Unflatten(-1, (2, 2))(t64(x)).shape == (5, 2, 3, 2, 2)
    assert Unflatten(0, (1, 1))(t64([3.0])).shape == (1, 1)            # a batch of one
    assert Unflatten(1, (2, 2))(np.zeros((1, 4))).shape == (1, 2, 2)   # arrays become Tensors
    weights = t64(np.arange(8.0).reshape(2, 2, 2))
    assert gradcheck(lambda t: Unflatten(1, (2, 2))(t) * weights, t64(rng.normal(size=(2, 4))))


def test_unflatten_names_itself_when_the_sizes_do_not_fit():
    with pytest.raises(ValueError, match=r"Unflatten\(dim=1, unflattened_size=\(2, 5\)\): axis "
                                         r"1 of the input, of shape \(3, 7\), has 7 elements, "
                                         r"which do not split into \(2, 5\)"):
        Unflatten(1, (2, 5))(Tensor(np.zeros((3, 7))))
    with pytest.raises(ValueError, match=r"dim 2 is out of range for an input of shape \(3, 7\)"):
        Unflatten(2, (7,))(Tensor(np.zeros((3, 7))))
    with pytest.raises(ValueError, match="which do not split into"):
        Unflatten(1, (-1, 2))(Tensor(np.zeros((3, 7))))


def test_a_model_reshapes_rows_to_images_with_unflatten():
    manual_seed(0)
    model = Sequential(Linear(3, 16), Unflatten(1, (1, 4, 4)), Flatten(), Hardswish())
    assert model(Tensor(np.zeros((2, 3)))).shape == (2, 16)


def test_the_pair_modules_are_their_functions(rng):
    a, b = t64(rng.normal(size=(3, 4))), t64(rng.normal(size=(3, 4)))
    np.testing.assert_array_equal(CosineSimilarity(dim=0, eps=1e-3)(a, b).data,
                                  NF.cosine_similarity(a, b, 0, 1e-3).data)
    np.testing.assert_array_equal(PairwiseDistance(1, 0.5, keepdim=True)(a, b).data,
                                  NF.pairwise_distance(a, b, 1, 0.5, True).data)
    assert repr(CosineSimilarity()) == "CosineSimilarity(dim=1, eps=1e-08)"
    assert repr(PairwiseDistance(math.inf)) == "PairwiseDistance(p=inf, eps=1e-06, keepdim=False)"


def test_unflatten_s_repr_is_pytorchs():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    assert repr(torch.nn.Unflatten(1, (2, 5))) == repr(Unflatten(1, (2, 5)))


@pytest.mark.parametrize("make, error, message", [
    (lambda: Unflatten(1, 5), TypeError, "Unflatten: unflattened_size must be a tuple or list"),
    (lambda: Unflatten(1, (-1, -1)), ValueError, r"Unflatten: unflattened_size must be sizes "
                                                 r">= 0 with at most one -1"),
    (lambda: Unflatten(1, (2.0, 3)), TypeError, "Unflatten: unflattened_size must be an int"),
    (lambda: PairwiseDistance(p=0), ValueError, "PairwiseDistance: p must be > 0"),
    (lambda: CosineSimilarity(eps=None), TypeError, "CosineSimilarity: eps must be a number"),
])
def test_unflatten_and_distance_options_are_checked_when_made(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("layer, shape", [(Dropout2d, (40, 30, 3, 2)), (Dropout1d, (40, 30, 4)),
                                          (Dropout3d, (40, 30, 2, 3, 2))])
def test_channel_dropout_zeroes_whole_channels_and_passes_through_in_eval(layer, shape):
    """PyTorch's Dropout2d/Dropout1d: one draw per sample and channel."""
    x = Tensor(np.ones(shape))
    y = layer(0.25, rng=np.random.default_rng(0))(x).numpy()
    per_channel = y.reshape(shape[0], shape[1], -1)
    assert (per_channel == per_channel[:, :, :1]).all()           # a channel kept or dropped whole
    assert set(np.unique(y)) == {0.0, 1 / 0.75}
    assert abs((per_channel[:, :, 0] != 0).mean() - 0.75) < 0.03
    assert layer(0.25).eval()(x) is x
    assert repr(layer(0.25)) == f"{layer.__name__}(p=0.25, inplace=False)"


@pytest.mark.parametrize("function, shape", [(NF.dropout2d, (2, 3, 2, 2)),
                                             (NF.dropout1d, (2, 3, 4)),
                                             (NF.dropout3d, (1, 3, 2, 2, 2))])
def test_channel_dropout_gradient_matches_finite_differences(rng, function, shape):
    # the same mask at every call: a fresh generator with one seed each time
    assert gradcheck(lambda x: function(x, 0.4, rng=np.random.default_rng(3)) ** 2,
                     t64(rng.normal(size=shape)))


def test_channel_dropout_refuses_inputs_without_their_channel_axis():
    with pytest.raises(ValueError, match=r"^Dropout2d\(p=0.5, inplace=False\): expected a 4-d "
                                         r"input \(N, C, H, W\), got shape \(4, 28, 28\); for a "
                                         r"batch of 4 one-channel images"):
        Dropout2d()(Tensor(np.ones((4, 28, 28))))
    with pytest.raises(ValueError, match=r"^Dropout1d\(.*expected a 3-d input \(N, C, L\)"):
        Dropout1d()(Tensor(np.ones((4, 28))))
    with pytest.raises(ValueError, match=r"^dropout2d: expected a 4-d input \(N, C, H, W\), "
                                         r"got shape \(4, 28\)$"):
        NF.dropout2d(Tensor(np.ones((4, 28))))
    with pytest.raises(ValueError, match=r"^Dropout3d\(.*expected a 5-d input \(N, C, D, H, W\), "
                                         r"got shape \(3, 8, 8, 8\); for a batch of 3 "
                                         r"one-channel volumes"):
        Dropout3d()(Tensor(np.ones((3, 8, 8, 8))))
    with pytest.raises(ValueError, match=r"^dropout1d: p must be a probability"):
        NF.dropout1d(Tensor(np.ones((4, 2, 28))), 2.0)


def test_deleting_a_named_layer_of_a_sequential_keeps_the_other_names():
    model = Sequential({"hidden": Linear(2, 3), "act": ReLU(), "out": Linear(3, 1)})
    del model.act
    assert [name for name, _ in model.named_children()] == ["hidden", "out"]
    assert model(np.ones((4, 2))).shape == (4, 1)
    numbered = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    delattr(numbered, "1")
    assert list(numbered.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(AttributeError, match="no attribute 'act'"):
        del model.act


def test_sequentials_add_up_to_a_new_one_numbered_from_zero_and_pop_a_layer():
    features = Sequential({"hidden": Linear(2, 3), "act": ReLU()})
    head = Sequential(Linear(3, 1))
    model = features + head
    assert type(model) is Sequential and list(model) == [*features, *head]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model(np.ones((4, 2))).shape == (4, 1)
    last = model.pop()
    assert last is head[0] and len(model) == 2 and len(features) == 2
    with pytest.raises(TypeError, match=r"Sequential \+ Linear: .*\+ Sequential\(layer\)"):
        features + Linear(3, 1)


def test_an_embedding_of_a_ragged_list_says_to_pad_it():
    """numpy's "inhomogeneous shape" error named neither the layer nor the fix."""
    with pytest.raises(ValueError, match=r"^Embedding\(5, 2\): indices must be a rectangular "
                                         r"array .* lengths \[1, 3\]; pad them"):
        Embedding(5, 2)([[1, 2, 3], [0]])


def _constant_pool_pair():
    with no_grad():
        return F.max_pool2d(Tensor(np.arange(32.0).reshape(1, 2, 4, 4)), 2, return_indices=True)


def test_linear_given_a_pools_values_and_indices_names_itself_and_says_to_unpack():
    # the pair was stacked into one array: Linear(2, 3) returned shape (2, 1, 2, 2, 3)
    with pytest.raises(ValueError, match=r"^Linear\(in_features=2, out_features=3, bias=True\): "
                                         r"takes one Tensor \(or numbers\), got a tuple of 2 "
                                         r"Tensors, of shapes \(1, 2, 2, 2\) and \(1, 2, 2, 2\): "
                                         r"it looks like a max pool's \(values, indices\) pair"):
        Linear(2, 3)(_constant_pool_pair())


def test_a_sequential_passing_a_pools_pair_on_names_the_next_layer():
    model = Sequential(Conv2d(1, 2, 3, padding=1), MaxPool2d(2, return_indices=True), Flatten(),
                       Linear(8, 3))
    with pytest.raises(ValueError, match=r"^Flatten\(.*\): takes one Tensor \(or numbers\), got "
                                         r"a tuple of 2 Tensors.*max pool's \(values, indices\) "
                                         r"pair.*leave out return_indices=True"):
        model(Tensor(np.ones((1, 1, 4, 4))))
    with pytest.raises(ValueError, match=r"^Conv2d\(2, 4, .*\): takes one Tensor \(or numbers\), "
                                         r"got a tuple of 2 Tensors.*unpack it"):
        Conv2d(2, 4, 1)(_constant_pool_pair())
    assert Flatten()(np.zeros((2, 3, 4))).shape == (2, 12)       # an array: made a Tensor


def test_a_sequential_passing_an_lstms_output_and_state_on_says_to_take_the_output():
    from nn import LSTM
    model = Sequential(LSTM(3, 4, batch_first=True), Linear(4, 2))
    with pytest.raises(ValueError, match=r"^Linear\(.*\): takes one Tensor \(or numbers\), got a "
                                         r"tuple with Tensors among its items, of shapes "
                                         r"\(2, 5, 4\), \(1, 2, 4\) and \(1, 2, 4\);.*as RNN, GRU "
                                         r"and LSTM return \(output, state\), take the part "
                                         r"meant: output, _ = rnn\(x\)"):
        model(Tensor(np.ones((2, 5, 3))))


def test_mlp_given_micrograd_s_sizes_says_where_the_output_size_goes():
    with pytest.raises(TypeError, match=r"out_features is missing.*MLP\(2, \[16, 16\], 1\).*"
                                        r"nn\.scalar\.MLP"):
        nn.MLP(2, [16, 16, 1])


def test_linear_given_the_data_names_its_shape_not_its_numbers():
    with pytest.raises(ValueError, match=r"in_features must be a positive integer, got an array "
                                         r"of shape \(50, 3\)$"):
        nn.Linear(np.ones((50, 3)), 3)
