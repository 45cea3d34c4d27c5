"""A hypernetwork, as a meta-learning course builds one with `import autograd as torch` and
`import nn`: a task's embedding (nn.Embedding) goes through a small MLP whose output holds the
weights of a target MLP (`.view(out, in)` of slices of it); the target network fits that task's
sine wave, and the whole is trained end to end. The gradient reaches the embedding and the
generator through the slices and views: checked against central differences in float64 and
against PyTorch where it is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from autograd import gradcheck_parameters

from torch_helpers import needs_torch, torch as real_torch


class HyperNet(nn.Module):
    """task id -> embedding -> MLP -> the weights of a 1-H-1 tanh network, which runs on x."""

    def __init__(self, n_tasks: int, embedding: int = 8, hidden: int = 64, H: int = 20):
        super().__init__()
        self.shapes = [(H, 1), (H,), (1, H), (1,)]
        self.embed = nn.Embedding(n_tasks, embedding)
        self.body = nn.Sequential(nn.Linear(embedding, hidden), nn.ReLU(),
                                  nn.Linear(hidden, sum(math.prod(s) for s in self.shapes)))

    def target_weights(self, task):
        flat = self.body(self.embed(task))
        weights, start = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            weights.append(flat[start:start + size].view(*shape))
            start += size
        return weights

    def forward(self, task, x):
        w1, b1, w2, b2 = self.target_weights(task)
        return F.linear(torch.tanh(F.linear(x, w1, b1)), w2, b2)


def sine_waves(n_tasks: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 5.0, n_tasks), rng.uniform(0.0, math.pi, n_tasks)


def batch(amplitude, phase, x, dtype="float32"):
    return torch.tensor(x.astype(dtype)), torch.tensor((amplitude * np.sin(x - phase)).astype(dtype))


def test_the_hypernetwork_fits_every_task_it_is_told():
    n_tasks = 8
    amplitudes, phases = sine_waves(n_tasks)
    rng = np.random.default_rng(1)
    torch.manual_seed(0)
    model = HyperNet(n_tasks)
    opt = nn.optim.Adam(model.parameters(), 3e-3)
    for _ in range(600):
        loss = 0
        for t in rng.integers(0, n_tasks, 4):
            x, y = batch(amplitudes[t], phases[t], rng.uniform(-5, 5, (10, 1)))
            loss = loss + F.mse_loss(model(torch.tensor(t), x), y)
        opt.zero_grad()
        (loss / 4).backward()
        opt.step()
    grid = np.linspace(-5, 5, 50)[:, None]
    errors, zero_errors = [], []
    with torch.no_grad():
        for t in range(n_tasks):
            x, y = batch(amplitudes[t], phases[t], grid)
            errors.append(F.mse_loss(model(torch.tensor(t), x), y).item())
            zero_errors.append(float((y.data ** 2).mean()))
    assert np.mean(errors) < 0.1 * np.mean(zero_errors)
    # the task id matters: task 0's weights on task 1's wave fit worse than task 1's own
    with torch.no_grad():
        x, y = batch(amplitudes[1], phases[1], grid)
        assert F.mse_loss(model(torch.tensor(0), x), y).item() > 3 * errors[1]


def test_the_gradient_through_the_views_matches_finite_differences():
    torch.manual_seed(2)
    model = HyperNet(3, embedding=3, hidden=6, H=4).double()
    amplitudes, phases = sine_waves(3, seed=2)
    data = [batch(amplitudes[t], phases[t], np.linspace(-3, 3, 6)[:, None], "float64")
            for t in range(3)]

    def cost():
        return sum(F.mse_loss(model(torch.tensor(t), x), y) for t, (x, y) in enumerate(data))

    assert gradcheck_parameters(cost, model.named_parameters(), atol=1e-8, rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
def test_loss_and_gradients_are_pytorchs(dtype, tol):
    torch.manual_seed(3)
    model = HyperNet(4, embedding=5, hidden=16, H=8).to(dtype)

    class TorchHyperNet(real_torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = real_torch.nn.Embedding(4, 5)
            self.body = real_torch.nn.Sequential(real_torch.nn.Linear(5, 16),
                                                 real_torch.nn.ReLU(),
                                                 real_torch.nn.Linear(16, 8 + 8 + 8 + 1))
        target_weights = HyperNet.target_weights

        def forward(self, task, x):
            w1, b1, w2, b2 = self.target_weights(task)
            lin = real_torch.nn.functional.linear
            return lin(real_torch.tanh(lin(x, w1, b1)), w2, b2)

    theirs = TorchHyperNet().to(getattr(real_torch, dtype))
    theirs.shapes = model.shapes
    theirs.load_state_dict({k: real_torch.tensor(v.data.copy())
                            for k, v in model.state_dict().items()})
    amplitudes, phases = sine_waves(4, seed=3)
    x = np.random.default_rng(3).uniform(-5, 5, (10, 1))
    loss = expected = 0
    for t in range(4):
        xb, yb = batch(amplitudes[t], phases[t], x, dtype)
        loss = loss + F.mse_loss(model(torch.tensor(t), xb), yb)
        expected = expected + real_torch.nn.functional.mse_loss(
            theirs(real_torch.tensor(t), real_torch.tensor(xb.data)),
            real_torch.tensor(yb.data))
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=tol)
    torch_params = dict(theirs.named_parameters())
    for name, p in model.named_parameters():
        want = torch_params[name].grad.numpy()
        np.testing.assert_allclose(p.grad, want, rtol=tol, atol=tol * np.abs(want).max(),
                                   err_msg=name)
