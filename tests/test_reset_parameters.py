"""`reset_parameters()` on every layer that has parameters (PyTorch's init code calls it): it
redraws exactly what the constructor drew (after the same `manual_seed`, or from the same
`rng`), in place, so optimizers keep holding the layer's parameters; the norms go back to ones
and zeros (BatchNorm's running estimates too: `reset_running_stats`)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, manual_seed
from nn.optim import SGD

# every glassgrad layer that holds parameters of its own (composite models hold these)
LAYERS = {
    "Linear": lambda: nn.Linear(3, 4),
    "Linear-no-bias-float64": lambda: nn.Linear(3, 4, bias=False, dtype=np.float64),
    "Embedding": lambda: nn.Embedding(5, 3, padding_idx=1),
    "EmbeddingBag": lambda: nn.EmbeddingBag(5, 3, mode="sum", padding_idx=1),
    "Conv2d": lambda: nn.Conv2d(2, 4, 3, groups=2),
    "Conv1d": lambda: nn.Conv1d(2, 3, 3),
    "ConvTranspose2d": lambda: nn.ConvTranspose2d(2, 4, 3, groups=2),
    "ConvTranspose1d": lambda: nn.ConvTranspose1d(2, 3, 2, bias=False),
    "MultiheadAttention": lambda: nn.MultiheadAttention(4, 2),
    "MultiheadAttention-kdim-vdim": lambda: nn.MultiheadAttention(4, 2, kdim=3, vdim=5),
    "LSTM": lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True),
    "GRU": lambda: nn.GRU(3, 2, bias=False),
    "RNN": lambda: nn.RNN(3, 2),
    "LSTMCell": lambda: nn.LSTMCell(3, 2),
    "GRUCell": lambda: nn.GRUCell(3, 2),
    "RNNCell": lambda: nn.RNNCell(3, 2, bias=False),
    "PReLU": lambda: nn.PReLU(3, init=0.1),
    "BatchNorm1d": lambda: nn.BatchNorm1d(3),
    "BatchNorm2d": lambda: nn.BatchNorm2d(3),
    "InstanceNorm1d": lambda: nn.InstanceNorm1d(3, affine=True),
    "InstanceNorm2d": lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
    "LayerNorm": lambda: nn.LayerNorm((2, 3)),
    "GroupNorm": lambda: nn.GroupNorm(2, 4),
    "RMSNorm": lambda: nn.RMSNorm(3),
}


def state(module) -> dict[str, np.ndarray]:
    return {name: np.array(value, copy=True) for name, value in module.state_dict().items()}


def scramble(module, rng) -> None:
    """Every parameter and floating buffer moved away from its initial numbers (a trained
    layer); the integer counters counted on."""
    for _, parameter in module.named_parameters():
        parameter.data[...] = rng.normal(size=parameter.shape)
    for name, value in module.state_dict().items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "i":
            value[...] = 7
        elif isinstance(value, np.ndarray) and "running" in name:
            value[...] = rng.normal(size=value.shape)


@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
def test_reset_parameters_redraws_what_the_constructor_drew_in_place(make, rng):
    manual_seed(3)
    layer = make()
    made = state(layer)
    held = [id(p) for p in layer.parameters()]
    scramble(layer, rng)
    manual_seed(3)
    layer.reset_parameters()
    assert [id(p) for p in layer.parameters()] == held          # the same Parameters
    after = state(layer)
    assert list(after) == list(made)
    for name in made:
        np.testing.assert_array_equal(after[name], made[name], err_msg=name)
        assert after[name].dtype == made[name].dtype, name


# the layers whose constructors take rng=: their reset_parameters(rng) takes one too
WITH_RNG = {
    "Linear": lambda rng: nn.Linear(3, 4, rng=rng),
    "Embedding": lambda rng: nn.Embedding(5, 3, rng=rng),
    "EmbeddingBag": lambda rng: nn.EmbeddingBag(5, 3, rng=rng),
    "Conv2d": lambda rng: nn.Conv2d(2, 3, 3, rng=rng),
    "ConvTranspose1d": lambda rng: nn.ConvTranspose1d(2, 3, 2, rng=rng),
    "MultiheadAttention": lambda rng: nn.MultiheadAttention(4, 2, rng=rng),
    "LSTM": lambda rng: nn.LSTM(3, 2, rng=rng),
    "GRUCell": lambda rng: nn.GRUCell(3, 2, rng=rng),
}


@pytest.mark.parametrize("make", WITH_RNG.values(), ids=WITH_RNG.keys())
def test_reset_parameters_draws_from_a_given_rng_as_the_constructor_does(make, rng):
    layer = make(np.random.default_rng(9))
    made = state(layer)
    scramble(layer, rng)
    layer.reset_parameters(np.random.default_rng(9))
    for name, value in state(layer).items():
        np.testing.assert_array_equal(value, made[name], err_msg=name)


def test_an_optimizer_keeps_training_the_reset_parameters(rng):
    layer = nn.Linear(2, 1)
    optimizer = SGD(layer.parameters(), lr=0.1)
    layer.reset_parameters()
    before = layer.weight.data.copy()
    layer(Tensor(rng.normal(size=(4, 2)))).sum().backward()
    optimizer.step()
    assert not np.array_equal(layer.weight.data, before)


def test_batch_norm_reset_running_stats_alone_keeps_the_weights(rng):
    norm = nn.BatchNorm1d(3)
    norm(Tensor(rng.normal(2.0, 3.0, size=(8, 3))))
    norm.weight.data[...] = 2.0
    norm.reset_running_stats()
    assert norm.running_mean.tolist() == [0, 0, 0] and norm.running_var.tolist() == [1, 1, 1]
    assert int(norm.num_batches_tracked) == 0 and norm.weight.data.tolist() == [2, 2, 2]
    nn.BatchNorm1d(3, track_running_stats=False).reset_parameters()     # nothing to reset: fine
