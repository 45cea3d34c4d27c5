"""autograd.distributions.Beta: PyTorch's numbers in float32 and float64 (log_prob, entropy,
mean, variance), gradients in both concentrations by central differences (lgamma, digamma),
draws' moments, the checks (rsample's gradient: tests/test_distributions_dirichlet.py)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Beta
from distributions_helpers import DTYPES, assert_draws_match, check_gradients, compare_with_torch
from torch_helpers import needs_torch


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    methods = ("mean", "variance", "stddev", "entropy")
    compare_with_torch("Beta", dtype, dict(concentration1=rng.uniform(0.5, 4, (3, 1)),
                                           concentration0=rng.uniform(0.5, 4, 4)),
                       values=rng.uniform(0.01, 0.99, (2, 3, 4)), methods=methods)
    compare_with_torch("Beta", dtype, dict(concentration1=np.array(2.0),
                                           concentration0=np.array(0.5)),
                       values=[0.1, 0.5, 0.9], methods=methods)


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    a, b, x = rng.uniform(0.5, 3, 3), rng.uniform(0.5, 3, 3), rng.uniform(0.1, 0.9, (2, 3))
    check_gradients(lambda a, b, v: Beta(a, b).log_prob(v).sum(), a, b, x)
    check_gradients(lambda a, b: Beta(a, b).entropy().sum(), a, b)
    check_gradients(lambda a, b: (Beta(a, b).mean * Beta(a, b).variance).sum(), a, b)


def test_draws_moments_and_checks():
    a, b = np.array([0.5, 2.0, 5.0]), np.array([0.5, 3.0, 1.0])
    autograd.manual_seed(0)
    d = Beta(Tensor(a), Tensor(b))
    draws = d.sample((20000,)).numpy()
    assert ((draws > 0) & (draws < 1)).all() and d.has_rsample
    assert_draws_match(draws, d.mean.numpy(), d.variance.numpy())
    with pytest.raises(AssertionError):
        assert_draws_match(draws, d.mean.numpy() + 0.01, d.variance.numpy())
    assert np.isfinite(d.log_prob(Tensor(draws)).numpy()).all()
    with pytest.raises(ValueError, match=r"Beta: concentration0 must be positive \(> 0\); got "
                                         r"0\.0"):
        Beta(1.0, 0.0)
    with pytest.raises(ValueError, match=r"Beta\.log_prob: value must be in \[0, 1\] \(Beta's "
                                         r"support\); got 1\.5"):
        Beta(1.0, 2.0).log_prob(1.5)
