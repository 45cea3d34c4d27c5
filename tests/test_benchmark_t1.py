"""The T1 benchmark compares like with like: glassgrad's step, its rules called with no graph,
and the hand-written numpy reference compute the same training step (same losses, same weights
after a few steps), so the timing table compares implementations, not different maths."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import mnist
from benchmarks.workloads import GlassgradMLP, NumpyMLP, RulesMLP


def _weights(name: str, engine) -> list:
    """[W1, b1, W2, b2] with W as the reference keeps it, (in, out)."""
    if name == "glassgrad":
        W1, b1, W2, b2 = (p.data for p in engine.params)
    else:
        W1, b1, W2, b2 = engine.W1, engine.b1, engine.W2, engine.b2
    if name == "numpy":
        return [W1, b1, W2, b2]
    return [W1.T, b1, W2.T, b2]          # nn.Linear's layout, (out, in)


@pytest.mark.parametrize("batch_size", [1, 16, 65])     # 65: past Linear's small-batch branch
def test_the_three_t1_engines_take_the_same_steps(batch_size):
    x, y = mnist.random_mnist(n=200, seed=3)
    params = mnist.init_params(seed=1)
    engines = {"numpy": NumpyMLP(params), "glassgrad": GlassgradMLP(params),
               "rules": RulesMLP(params)}
    for step in range(3):
        xb, yb = mnist.batch(x, y, batch_size, step)
        losses = {name: engine.step(xb, yb) for name, engine in engines.items()}
        for name in ("glassgrad", "rules"):
            assert losses[name] == pytest.approx(losses["numpy"], rel=1e-5), (name, step)
    reference = _weights("numpy", engines["numpy"])
    for name in ("glassgrad", "rules"):
        for mine, theirs, what in zip(_weights(name, engines[name]), reference,
                                      ("W1", "b1", "W2", "b2")):
            np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6,
                                       err_msg=f"{name} {what}")
    assert not np.allclose(reference[2], params[2])      # the steps did move the weights
