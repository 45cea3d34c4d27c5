"""autograd.distributions.Laplace: PyTorch's numbers in float32 and float64, gradients by
central differences (rsample's through a fixed draw), draws' moments, the scale's check."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Laplace
from distributions_helpers import DTYPES, assert_draws_match, check_gradients, compare_with_torch
from torch_helpers import needs_torch


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    methods = ("mean", "variance", "stddev", "entropy")
    compare_with_torch("Laplace", dtype, dict(loc=rng.normal(size=(3, 1)),
                                              scale=rng.uniform(0.3, 2, 4)),
                       values=rng.normal(0, 2, (2, 3, 4)),
                       probabilities=rng.uniform(0.01, 0.99, (3, 4)), methods=methods)
    compare_with_torch("Laplace", dtype, dict(loc=np.array(0.5), scale=np.array(2.0)),
                       values=[-3.0, 0.5, 4.0], probabilities=[0.1, 0.5, 0.7], methods=methods)


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    loc, scale = rng.normal(size=3), rng.uniform(0.5, 2, 3)
    x = loc + np.array([-1.0, 0.5, 2.0])            # away from the kink at loc

    def drawn(m, s):
        autograd.manual_seed(3)
        return (Laplace(m, s).rsample((5,)) ** 2).sum()
    check_gradients(lambda m, s, v: Laplace(m, s).log_prob(v).sum(), loc, scale, x)
    check_gradients(lambda m, s, v: Laplace(m, s).cdf(v).sum(), loc, scale, x)
    check_gradients(lambda m, s: Laplace(m, s).icdf(Tensor([0.1, 0.6, 0.9])).sum(), loc, scale)
    check_gradients(lambda s: Laplace(0.0, s).entropy().sum(), scale)
    check_gradients(drawn, loc, scale)


def test_draws_moments_and_checks():
    loc, scale = np.array([-2.0, 0.0, 5.0]), np.array([0.5, 1.0, 3.0])
    autograd.manual_seed(0)
    draws = Laplace(Tensor(loc), Tensor(scale)).sample((20000,)).numpy()
    assert_draws_match(draws, loc, 2 * scale ** 2)
    assert (np.abs((draws < loc).mean(0) - 0.5) < 0.02).all()          # the median is loc
    with pytest.raises(AssertionError):
        assert_draws_match(draws, loc, 2.2 * scale ** 2)
    with pytest.raises(ValueError, match=r"Laplace: scale must be positive"):
        Laplace(0.0, Tensor([1.0, 0.0]))
