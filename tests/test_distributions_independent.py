"""autograd.distributions.Independent: batch axes made event axes (shapes, log_prob and
entropy summed), PyTorch's numbers, gradients by central differences, draws and checks."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Bernoulli, Independent, MultivariateNormal, Normal
from distributions_helpers import DTYPES, assert_same, check_gradients
from torch_helpers import needs_torch, torch


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    loc, scale = rng.normal(size=(2, 3, 4)), rng.uniform(0.5, 2, (2, 3, 4))
    x = rng.normal(size=(5, 2, 3, 4))
    for n in (0, 1, 2):
        ours = Independent(Normal(Tensor(loc.astype(dtype)), Tensor(scale.astype(dtype))), n)
        theirs = torch.distributions.Independent(torch.distributions.Normal(
            torch.tensor(loc.astype(dtype)), torch.tensor(scale.astype(dtype))), n)
        assert ours.batch_shape == tuple(theirs.batch_shape)
        assert ours.event_shape == tuple(theirs.event_shape)
        assert_same(ours.log_prob(Tensor(x.astype(dtype))),
                    theirs.log_prob(torch.tensor(x.astype(dtype))), dtype, f"log_prob {n}")
        assert_same(ours.entropy(), theirs.entropy(), dtype, f"entropy {n}")
        assert_same(ours.variance, theirs.variance, dtype, f"variance {n}")


def test_shapes_and_sums():
    base = Normal(autograd.zeros(2, 3), autograd.ones(2, 3))
    d = Independent(base, 1)
    assert (d.batch_shape, d.event_shape, d.has_rsample) == ((2,), (3,), True)
    assert d.sample((4,)).shape == (4, 2, 3)
    x = autograd.randn(4, 2, 3)
    np.testing.assert_allclose(d.log_prob(x).numpy(), base.log_prob(x).numpy().sum(-1),
                               rtol=1e-6)
    assert Independent(Bernoulli(probs=autograd.full((3,), 0.5)), 1).has_rsample is False
    mvn = Independent(MultivariateNormal(autograd.zeros(2, 3), scale_tril=autograd.eye(3)), 1)
    assert (mvn.batch_shape, mvn.event_shape) == ((), (2, 3))
    assert mvn.log_prob(autograd.zeros(2, 3)).shape == ()


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    loc, scale, x = rng.normal(size=(2, 3)), rng.uniform(0.5, 2, (2, 3)), rng.normal(size=(2, 3))

    def drawn(m, s):
        autograd.manual_seed(2)
        return (Independent(Normal(m, s), 2).rsample((3,)) ** 2).sum()
    check_gradients(lambda m, s: Independent(Normal(m, s), 1).log_prob(x).sum(), loc, scale)
    check_gradients(lambda s: Independent(Normal(0.0, s), 2).entropy(), scale)
    check_gradients(drawn, loc, scale)


def test_checks():
    base = Normal(autograd.zeros(2, 3), 1.0)
    with pytest.raises(ValueError, match=r"^Independent: reinterpreted_batch_ndims must be an "
                                         r"int from 0 to the base's 2 batch axes \(batch_shape "
                                         r"\(2, 3\)\), got 3$"):
        Independent(base, 3)
    with pytest.raises(TypeError, match=r"Independent: base_distribution must be a "
                                        r"Distribution, got Tensor"):
        Independent(autograd.zeros(2), 1)
    with pytest.raises(ValueError, match=r"Normal\.log_prob: value of shape \(4,\) does not "
                                         r"broadcast with batch_shape \(2, 3\)"):
        Independent(base, 1).log_prob(autograd.zeros(4))
    assert repr(Independent(Normal(0.0, autograd.ones(2)), 1)) == (
        "Independent(Normal(loc: shape (2,), scale: shape (2,)), 1)")
