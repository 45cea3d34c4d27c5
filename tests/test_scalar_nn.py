"""nn.scalar: micrograd's Neuron / Layer / MLP, with its exact behaviour and numbers."""

import random
import re

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import evaluate, fit, mse_loss
from nn.data import DataLoader, TensorDataset
from nn.optim import SGD
from nn.scalar import MLP, Layer, Neuron, ScalarModule

@pytest.fixture
def micrograd_nn():
    """micrograd's own nn, for the tests that compare with it (the others need no micrograd)."""
    return pytest.importorskip("micrograd.nn", reason="micrograd is in the dev extra")


def test_same_seed_same_weights_as_micrograd(micrograd_nn):
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)


def test_micrograd_demo_steps_give_micrograd_numbers(micrograd_nn):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(20, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1, -1)

    def train(model, value_cls, steps=3):
        losses = []
        for k in range(steps):
            inputs = [list(map(value_cls, row)) for row in X]
            scores = list(map(model, inputs))
            data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(y))
            reg_loss = 1e-4 * sum(p * p for p in model.parameters())
            loss = data_loss + reg_loss
            model.zero_grad()
            loss.backward()
            lr = 1.0 - 0.9 * k / 100
            for p in model.parameters():
                p.data -= lr * p.grad
            losses.append(loss.data)
        return losses, [p.data for p in model.parameters()]

    from micrograd.engine import Value as MicrogradValue
    random.seed(7)
    ours = train(MLP(2, [8, 8, 1]), Value)
    random.seed(7)
    theirs = train(micrograd_nn.MLP(2, [8, 8, 1]), MicrogradValue)
    assert ours[0][0] == theirs[0][0]            # the first forward pass: bit for bit
    # backward sums each weight's 20 contributions in another order: last-digit differences
    assert np.allclose(ours[0], theirs[0], rtol=1e-13, atol=0)
    assert np.allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-15)


def test_layer_with_one_neuron_returns_a_value_else_a_list():
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), Value)
    out = Layer(3, 2)([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 2


def test_neuron_computes_relu_of_w_dot_x_plus_b():
    n = Neuron(2)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -2.0, 0.25
    assert n([3.0, 1.0]).data == pytest.approx(max(0.0, 1.5 - 2.0 + 0.25))
    assert n([3.0, 0.0]).data == pytest.approx(1.75)
    linear = Neuron(2, nonlin=False)
    linear.w[0].data, linear.w[1].data = 1.0, 1.0
    assert linear([-3.0, 1.0]).data == -2.0
    assert repr(n) == "ReLUNeuron(2)" and repr(linear) == "LinearNeuron(2)"


def test_other_activations():
    n = Neuron(1, activation="tanh")
    n.w[0].data = 1.0
    assert n([0.5]).data == pytest.approx(np.tanh(0.5))
    assert repr(MLP(1, [2, 1], activation="sigmoid")) == \
        "MLP of [Layer of [SigmoidNeuron(1), SigmoidNeuron(1)], Layer of [LinearNeuron(2)]]"
    with pytest.raises(ValueError, match="activation must be one of"):
        Neuron(2, activation="gelu")


def test_wrong_number_of_inputs_is_named():
    with pytest.raises(ValueError, match="Neuron: expected 2 inputs, got 3"):
        Neuron(2)([1.0, 2.0, 3.0])


def test_a_tensor_or_a_batch_is_named_with_the_way_to_pass_it():
    """A Tensor sample failed inside Value * Tensor; a batch (2-d) looked like a wrong count."""
    model = MLP(3, [4, 1])
    with pytest.raises(TypeError, match=r"^MLP: expected one sample, a list of 3 numbers or "
                                        r"Values, got a Tensor of shape \(3,\); pass "
                                        r"x.data.tolist\(\)"):
        model(Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"^MLP: expected 3 inputs, got 8 \(a batch of "
                                         r"samples\? .*model.forward_batch\(X\)\)$"):
        model(np.zeros((8, 3)))
    with pytest.raises(TypeError, match=r"^MLP: .*got a Tensor of shape \(8, 3\) \(a batch of "
                                        r"samples\? .*model.forward_batch\(X\)\)$"):
        model(Tensor(np.zeros((8, 3))))
    assert isinstance(model(np.array([1.0, 2.0, 3.0])), Value)


@pytest.mark.parametrize("x, error, got", [
    (2.0, TypeError, "got 2.0 (a float)"),            # was: object of type 'float' has no len()
    ("abc", TypeError, "got the string 'abc'"),       # was: can't multiply sequence by ...
    (None, TypeError, "got None"),
    ([1.0, "b", 3.0], TypeError, "got a list whose item 1 is the string 'b'"),
    ([[1.0], [2.0], [3.0]], TypeError, "got a list whose item 0 is [1.0] (a list)"),
])
def test_what_is_not_one_sample_is_named_by_the_model_called(x, error, got):
    message = f"expected one sample, a list of 3 numbers or Values, {got}"
    for who, model in (("MLP", MLP(3, [4, 1])), ("Layer", Layer(3, 2)), ("Neuron", Neuron(3))):
        with pytest.raises(error, match=f"^{re.escape(who + ': ' + message)}$") as caught:
            model(x)
        assert caught.value.__suppress_context__            # one error, not a chain of three
    with pytest.raises(ValueError, match=r"^MLP: expected 3 inputs, got 2$"):
        MLP(3, [4, 1])([1.0, 2.0])


def test_numbers_of_every_kind_and_values_are_one_sample():
    model = MLP(3, [4, 1])
    expected = model([1.0, 2.0, 3.0]).data
    for x in ([1, 2, 3], (1.0, 2.0, 3.0), np.array([1.0, 2.0, 3.0]),
              [np.float32(1.0), np.int64(2), Value(3.0)], [True, 2, 3.0]):
        assert model(x).data == pytest.approx(expected)


def test_an_error_inside_a_sound_sample_is_not_disguised():
    """A TypeError from the computation itself (here a weight broken by hand) keeps its own
    words: the sample was fine."""
    model = MLP(2, [2, 1])
    model.layers[0].neurons[0].w[0] = "oops"
    with pytest.raises(TypeError, match="can't multiply sequence"):
        model([1.0, 2.0])


def test_parameters_names_and_zero_grad():
    model = MLP(2, [3, 1])
    assert len(model.parameters()) == (2 + 1) * 3 + (3 + 1)
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.b", "layers.0.neurons.1.w.0"]
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_a_numpy_generator_makes_weights_reproducible():
    a = MLP(2, [4, 1], rng=np.random.default_rng(0))
    b = MLP(2, [4, 1], rng=np.random.default_rng(0))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert all(type(p.data) is float for p in a.parameters())


def test_state_dict_round_trip():
    a, b = MLP(2, [4, 1]), MLP(2, [4, 1])
    b.load_state_dict(a.state_dict())
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


@pytest.mark.parametrize("args, error, message", [
    ((2, [16, 16], 1), TypeError, r"the output size goes last in nouts, as in MLP\(2, \[16, 16, "
                                  r"1\]\).*got activation=1"),         # nn.MLP's signature
    ((2, 16), TypeError, r"nouts must be a list of layer sizes.*got 16"),
    ((2, [4, 0]), ValueError, r"nouts\[1\] must be a positive integer, got 0"),
    ((2, [4.0, 1]), ValueError, r"nouts\[0\] must be a positive integer, got 4.0"),
    (([2], [4, 1]), ValueError, r"nin must be a positive integer, got \[2\]"),
])
def test_mlp_sizes_written_as_for_the_tensor_mlp_are_explained(args, error, message):
    # before: "Neuron: activation must be one of [...], got 1", "'int' object is not iterable",
    # and a layer of no neurons built without a word
    with pytest.raises(error, match=rf"^MLP: {message}"):
        MLP(*args)


class Difference(ScalarModule):
    """A scalar model of two inputs, one sample of each: w·a + v·b + c."""

    def __init__(self):
        self.a, self.b = Neuron(1, nonlin=False), Neuron(1, nonlin=False)

    def forward(self, a, b):
        return self.a(a) + self.b(b)


@pytest.fixture
def differences():
    """(A, B, y): 24 samples of y = a - b."""
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(24, 1)), rng.normal(size=(24, 1))
    return A, B, A[:, 0] - B[:, 0]


@pytest.mark.parametrize("given", ["together", "side by side"])
def test_fit_and_evaluate_run_a_scalar_model_of_two_inputs_sample_by_sample(differences, given):
    """fit handed the model whole batches, model(A_batch, B_batch), and the Neuron refused the
    Tensor of shape (8, 1); now each sample goes in alone, as for a model of one input."""
    A, B, y = differences
    random.seed(0)
    model = Difference()
    if given == "together":
        data, options = ((A, B), y), {"batch_size": 8, "seed": 0}
    else:
        data, options = DataLoader(TensorDataset(A, B, y), batch_size=8, shuffle=True, seed=0), {}
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), data, epochs=40,
                  progress=False, **options)
    assert history["loss"][-1] < 1e-6
    assert [model.a.w[0].data, model.b.w[0].data] == pytest.approx([1.0, -1.0], abs=1e-3)
    assert evaluate(model, mse_loss, ((A, B), y))["loss"] < 1e-6


def test_forward_batch_pairs_the_rows_of_several_inputs(differences):
    A, B, _ = differences
    model = Difference()
    outputs = model.forward_batch(Tensor(A[:3]), B[:3].tolist())
    assert [out.data for out in outputs] == [model(list(a), list(b)).data
                                             for a, b in zip(A[:3], B[:3])]
    with pytest.raises(ValueError, match=r"^Difference.forward_batch: the inputs have 3, 2 "
                                         r"rows; each input needs one row per sample"):
        model.forward_batch(A[:3], B[:2])              # zip would have dropped the third row


def test_fit_given_one_input_for_a_scalar_model_of_two_says_to_give_both(differences):
    A, _, y = differences
    model = Difference()
    with pytest.raises(TypeError, match=r"^fit: train_data gives Difference one input per sample, "
                                        r"but Difference.forward takes 2 \(a, b\); give them "
                                        r"together: arrays as \(\(a, b\), y\)"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), (A, y), progress=False)
