"""The CNN benchmark's two engines take the same training steps from the same weights (so its
table compares implementations of one computation), and its glassgrad model runs at all: the
benchmark itself is not part of the suite."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import cnn, mnist


def test_the_cnn_benchmark_engines_take_the_same_steps():
    torch = pytest.importorskip("torch", reason="the PyTorch side needs torch (pip install torch)")
    torch.set_num_threads(1)
    x, y = mnist.random_mnist(n=16, seed=4)
    x = x.reshape(-1, 1, 28, 28)
    weights = cnn.init_weights(seed=2)
    ours, theirs = cnn.Glassgrad(weights), cnn.Torch(weights)
    for step in range(3):
        xb, yb = x[step * 4:step * 4 + 4], y[step * 4:step * 4 + 4]
        assert ours.step(xb, yb) == pytest.approx(theirs.step(xb, yb), rel=1e-4), step


def test_the_cnn_benchmark_model_trains():
    x, y = mnist.random_mnist(n=8, seed=5)
    x = x.reshape(-1, 1, 28, 28)
    model = cnn.Glassgrad(cnn.init_weights(seed=2))
    losses = [model.step(x, y) for _ in range(5)]      # one batch, again and again: it learns it
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
