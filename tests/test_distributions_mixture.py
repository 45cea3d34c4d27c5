"""autograd.distributions.MixtureSameFamily: a Gaussian mixture, univariate and over vectors
(Independent components), PyTorch's numbers (log_prob by logsumexp, cdf, mean, variance) in
float32 and float64, gradients in the weights and the components by central differences,
draws' moments and the checks of shapes."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import (Categorical, Independent, MixtureSameFamily, Normal,
                                    OneHotCategorical)
from distributions_helpers import DTYPES, assert_draws_match, assert_same, check_gradients
from torch_helpers import needs_torch, torch


def mixtures(lib, logits, loc, scale, vectors):
    """The same mixture from lib's distributions module (glassgrad's or PyTorch's)."""
    component = lib.Normal(loc, scale)
    if vectors:
        component = lib.Independent(component, 1)
    return lib.MixtureSameFamily(lib.Categorical(logits=logits), component)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("vectors", [False, True])
def test_numbers_are_pytorchs(dtype, vectors):
    rng = np.random.default_rng(0)
    event = (2,) if vectors else ()
    arrays = [rng.normal(size=(3, 4)), rng.normal(size=(3, 4) + event),
              rng.uniform(0.5, 1.5, (3, 4) + event)]
    x = rng.normal(size=(5, 3) + event)
    from autograd import distributions
    ours = mixtures(distributions, *[Tensor(a.astype(dtype)) for a in arrays], vectors)
    theirs = mixtures(torch.distributions, *[torch.tensor(a.astype(dtype)) for a in arrays],
                      vectors)
    assert (ours.batch_shape, ours.event_shape) == ((3,), event)
    assert_same(ours.log_prob(Tensor(x.astype(dtype))),
                theirs.log_prob(torch.tensor(x.astype(dtype))), dtype, "log_prob")
    assert_same(ours.mean, theirs.mean, dtype, "mean")
    assert_same(ours.variance, theirs.variance, dtype, "variance")
    if not vectors:
        assert_same(ours.cdf(Tensor(x.astype(dtype))), theirs.cdf(torch.tensor(x.astype(dtype))),
                    dtype, "cdf")


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    logits, loc, scale = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.uniform(0.5, 2,
                                                                                       (2, 3))
    x = rng.normal(size=(4, 2))
    check_gradients(lambda z, m, s: MixtureSameFamily(Categorical(logits=z), Normal(m, s))
                    .log_prob(x).sum(), logits, loc, scale)
    check_gradients(lambda p, m: MixtureSameFamily(Categorical(probs=p), Normal(m, 1.0))
                    .variance.sum(), rng.uniform(0.2, 1, (2, 3)), loc)


def test_draws_moments():
    weights, loc, scale = np.array([0.2, 0.5, 0.3]), np.array([-4.0, 0.0, 3.0]), \
        np.array([0.5, 1.0, 2.0])
    gmm = MixtureSameFamily(Categorical(probs=Tensor(weights)), Normal(Tensor(loc), Tensor(scale)))
    autograd.manual_seed(0)
    draws = gmm.sample((20000,))
    assert draws.shape == (20000,) and not draws.requires_grad
    assert_draws_match(draws.numpy(), gmm.mean.numpy(), gmm.variance.numpy())
    with pytest.raises(AssertionError):
        assert_draws_match(draws.numpy(), gmm.mean.numpy() + 0.1, gmm.variance.numpy())
    vectors = MixtureSameFamily(Categorical(logits=autograd.zeros(2)), Independent(
        Normal(Tensor([[-5.0, 5.0], [5.0, -5.0]]), 0.1), 1))
    drawn = vectors.sample((1000,)).numpy()
    assert drawn.shape == (1000, 2)
    # each draw is one component's whole vector, never a mix of the two
    assert np.allclose(drawn[:, 0], -drawn[:, 1], atol=1.0)


def test_checks():
    with pytest.raises(ValueError, match=r"^MixtureSameFamily: component_distribution's "
                                         r"batch_shape must be the mixture's batch_shape \(\) "
                                         r"plus its 3 components, \(3,\); got \(2,\)$"):
        MixtureSameFamily(Categorical(logits=autograd.zeros(3)), Normal(autograd.zeros(2), 1.0))
    with pytest.raises(ValueError, match=r"MixtureSameFamily: mixture_distribution must be a "
                                         r"Categorical"):
        MixtureSameFamily(OneHotCategorical(logits=autograd.zeros(2)),
                          Normal(autograd.zeros(2), 1.0))
    with pytest.raises(NotImplementedError, match=r"MixtureSameFamily\.rsample"):
        MixtureSameFamily(Categorical(logits=autograd.zeros(2)),
                          Normal(autograd.zeros(2), 1.0)).rsample()
