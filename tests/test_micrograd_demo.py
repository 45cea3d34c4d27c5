"""micrograd's demo, end to end: MLP 2-16-16-1, max-margin loss + L2, 100 SGD steps with the
learning rate decaying linearly from 1.0 to 0.1, on its 100 moons points — with the scalar
`nn.scalar.MLP` and with the tensor `nn.MLP`. Both must classify every training point."""

import random

import numpy as np
import pytest

from autograd import manual_seed, relaxed_gc
from nn import MLP, evaluate, fit, hinge_loss, init, l2_penalty, scalar
from nn.data import make_moons
from nn.optim import SGD
from nn.optim.lr_scheduler import LinearLR


@pytest.fixture(scope="module")
def moons():
    # scikit-learn's make_moons(n_samples=100, noise=0.1) after np.random.seed(1337), as in the demo
    X, y = make_moons(100, noise=0.1, seed=np.random.RandomState(1337))
    return X.astype(np.float64), y * 2 - 1                  # labels -1 / +1


def sign(scores):
    return np.where(scores.reshape(-1) > 0, 1, -1)


def margin_loss(scores, y):
    return hinge_loss(scores.reshape(-1) if hasattr(scores, "reshape") else scores, y)


def train_like_the_demo(model, X, y):
    """micrograd's loop: full batch, loss = hinge + 1e-4·Σp², lr = 1.0 - 0.9·k/100."""
    optimizer = SGD(model.parameters(), lr=1.0)
    schedule = LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
    with relaxed_gc():                      # the scalar graph is ~100k nodes per step
        return fit(model, lambda s, t: margin_loss(s, t) + l2_penalty(model.parameters(), 1e-4),
                   optimizer, (X, y), epochs=100, batch_size=len(X), shuffle=False,
                   scheduler=schedule, predict=sign, progress=False)


def test_learning_rate_schedule_is_the_demos():
    optimizer = SGD([MLP(1, [], 1).parameters()[0]], lr=1.0)
    schedule = LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
    rates = []
    for _ in range(100):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert np.allclose(rates, [1.0 - 0.9 * k / 100 for k in range(100)])


def test_scalar_mlp_classifies_every_training_point(moons):
    X, y = moons
    random.seed(1337)                                        # the demo's weights
    model = scalar.MLP(2, [16, 16, 1])
    history = train_like_the_demo(model, X, y)
    assert history["loss"][-1] < history["loss"][0] / 10
    assert evaluate(model, margin_loss, (X, y), ["accuracy"], predict=sign)["accuracy"] == 1.0


def test_tensor_mlp_follows_the_scalar_mlp_step_for_step(moons):
    # the same weights in both engines give the same training run, to rounding
    X, y = moons
    X, y = X[:30], y[:30]
    random.seed(3)
    scalar_model = scalar.MLP(2, [16, 16, 1])
    tensor_model = MLP(2, [16, 16], 1, dtype=np.float64)
    for layer, linear in zip(scalar_model.layers, tensor_model[::2]):
        linear.weight.data[...] = [[w.data for w in n.w] for n in layer.neurons]
        linear.bias.data[...] = [n.b.data for n in layer.neurons]
    runs = []
    for model in (scalar_model, tensor_model):
        optimizer = SGD(model.parameters(), lr=0.5)
        runs.append(fit(model, margin_loss, optimizer, (X, y), epochs=5, batch_size=len(X),
                        shuffle=False, predict=sign, progress=False)["loss"])
    assert np.allclose(runs[0], runs[1], rtol=1e-12)


def test_tensor_mlp_classifies_every_training_point(moons):
    X, y = moons
    manual_seed(0)
    model = MLP(2, [16, 16], 1, dtype=np.float64)
    for name, p in model.named_parameters():                 # micrograd's initialisation
        init.uniform_(p, -1.0, 1.0) if name.endswith("weight") else init.zeros_(p)
    history = train_like_the_demo(model, X, y)
    assert history["loss"][-1] < history["loss"][0] / 10
    assert evaluate(model, margin_loss, (X, y), ["accuracy"], predict=sign)["accuracy"] == 1.0
