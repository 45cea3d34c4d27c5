"""F.gumbel_softmax: draws that follow Categorical(softmax(logits)), the soft draw's gradient
(also behind hard=True's one-hot), and the errors a learner meets."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from nn import functional as F

LOGITS = np.array([[0.3, -1.2, 1.5, 0.0]])


def test_hard_draws_follow_the_categorical_of_the_logits():
    autograd.manual_seed(0)
    n = 20000
    y = F.gumbel_softmax(Tensor(np.repeat(LOGITS, n, 0)), tau=0.7, hard=True)
    assert set(np.unique(y.numpy())) == {0.0, 1.0}
    assert np.array_equal(y.numpy().sum(1), np.ones(n, np.float32))
    share = y.numpy().mean(0)
    p = np.exp(LOGITS[0]) / np.exp(LOGITS[0]).sum()
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(share - p) < 4 * se), (share, p)


def test_soft_draws_lie_on_the_simplex_and_sharpen_as_tau_falls():
    x = Tensor(np.repeat(LOGITS, 500, 0))
    warm = F.gumbel_softmax(x, tau=5.0, rng=np.random.default_rng(1)).numpy()
    cold = F.gumbel_softmax(x, tau=0.05, rng=np.random.default_rng(1)).numpy()
    for y in (warm, cold):
        assert (y >= 0).all() and np.allclose(y.sum(1), 1, atol=1e-6)
    assert cold.max(1).mean() > 0.95 > 0.6 > warm.max(1).mean()
    # the same noise: the same category wins at any temperature
    assert np.array_equal(warm.argmax(1), cold.argmax(1))


def test_the_soft_draw_with_fixed_noise_matches_finite_differences():
    logits = Tensor(np.array([[0.2, -0.7, 1.1], [2.0, 0.5, -0.3]]), requires_grad=True)
    weights = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.5]])
    assert gradcheck(lambda t: (F.gumbel_softmax(t, tau=0.8, rng=np.random.default_rng(3),
                                                 dim=1) * weights).sum(), (logits,))


@pytest.mark.parametrize("dim", [0, -1])
def test_hard_is_the_one_hot_forward_with_the_soft_gradient(dim):
    data = np.array([[0.2, -0.7, 1.1], [2.0, 0.5, -0.3]])
    weights = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.5]])
    grads, outs = [], []
    for hard in (False, True):
        logits = Tensor(data, requires_grad=True)
        y = F.gumbel_softmax(logits, tau=0.8, hard=hard, dim=dim, rng=np.random.default_rng(4))
        (y * weights).sum().backward()
        grads.append(logits.grad)
        outs.append(y.numpy())
    soft, hard = outs
    assert np.array_equal(hard, soft == soft.max(dim, keepdims=True))
    assert np.array_equal(hard.sum(dim), np.ones(data.shape[1 - (dim % 2)]))
    np.testing.assert_array_equal(grads[0], grads[1])


def test_float32_stays_float32_and_shapes_are_kept():
    y = F.gumbel_softmax(Tensor(np.zeros((2, 3, 5), np.float32)), hard=True,
                         rng=np.random.default_rng(0))
    assert y.dtype == np.float32 and y.shape == (2, 3, 5)
    assert np.array_equal(y.numpy().sum(-1), np.ones((2, 3), np.float32))


@pytest.mark.parametrize("tau", [0, -1.0, "1", True])
def test_a_temperature_that_is_not_positive_is_refused(tau):
    with pytest.raises(ValueError, match=r"gumbel_softmax: tau must be a positive number"):
        F.gumbel_softmax(Tensor(LOGITS), tau=tau)


def test_bad_logits_and_dims_are_refused():
    with pytest.raises(ValueError, match=r"gumbel_softmax: logits must have at least one axis"):
        F.gumbel_softmax(Tensor(1.0))
    with pytest.raises(Exception, match=r"gumbel_softmax"):
        F.gumbel_softmax(Tensor(LOGITS), dim=2)
    with pytest.raises(TypeError, match=r"gumbel_softmax: rng must be a random generator"):
        F.gumbel_softmax(Tensor(LOGITS), rng=3)
