"""autograd.distributions.Exponential: PyTorch's numbers in float32 and float64, gradients by
central differences (rsample's through a fixed draw), draws' moments, the rate's check."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Exponential
from distributions_helpers import DTYPES, assert_draws_match, check_gradients, compare_with_torch
from torch_helpers import needs_torch


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    methods = ("mean", "variance", "stddev", "entropy")
    compare_with_torch("Exponential", dtype, dict(rate=rng.uniform(0.2, 3, (2, 3))),
                       values=rng.exponential(1.0, (4, 2, 3)),
                       probabilities=rng.uniform(0, 0.99, (2, 3)), methods=methods)
    compare_with_torch("Exponential", dtype, dict(rate=np.array(1.5)), values=[0.0, 0.3, 7.0],
                       probabilities=[0.0, 0.5], methods=methods)


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    rate, x = rng.uniform(0.5, 2, 3), rng.exponential(1.0, (4, 3))

    def drawn(r):
        autograd.manual_seed(3)
        return Exponential(r).rsample((5,)).sqrt().sum()
    check_gradients(lambda r, v: Exponential(r).log_prob(v).sum(), rate, x)
    check_gradients(lambda r, v: Exponential(r).cdf(v).sum(), rate, x)
    check_gradients(lambda r: Exponential(r).icdf(Tensor([0.1, 0.5, 0.8])).sum(), rate)
    check_gradients(lambda r: Exponential(r).entropy().sum(), rate)
    check_gradients(drawn, rate)


def test_draws_moments_and_checks():
    rate = np.array([0.5, 1.0, 4.0])
    autograd.manual_seed(0)
    draws = Exponential(Tensor(rate)).sample((20000,)).numpy()
    assert (draws >= 0).all()
    assert_draws_match(draws, 1 / rate, 1 / rate ** 2)
    with pytest.raises(AssertionError):
        assert_draws_match(draws, 1.05 / rate, 1 / rate ** 2)
    with pytest.raises(ValueError, match=r"^Exponential: rate must be positive \(> 0\); got "
                                         r"-2\.0 of rate \(shape \(\)\)$"):
        Exponential(-2.0)
    with pytest.raises(ValueError, match=r"Exponential\.log_prob: value must be non-negative "
                                         r"\(>= 0\) \(Exponential's support\); got -1\.0"):
        Exponential(1.0).log_prob(-1.0)
