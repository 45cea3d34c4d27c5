"""autograd.distributions.Uniform: PyTorch's numbers in float32 and float64 (log_prob, -inf
outside, cdf, icdf, entropy, moments), gradients in low and high by central differences
(rsample's through a fixed draw), draws' moments, low < high checked."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Uniform
from distributions_helpers import DTYPES, assert_draws_match, check_gradients, compare_with_torch
from torch_helpers import needs_torch


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    low = rng.normal(size=(3, 1))
    high = low + rng.uniform(0.5, 2, (3, 4))
    # values inside [low, high): PyTorch's validation refuses the others
    values = low + (high - low) * rng.uniform(0, 1, (2, 3, 4))
    compare_with_torch("Uniform", dtype, dict(low=low, high=high), values=values,
                       probabilities=rng.uniform(0, 1, (3, 4)),
                       methods=("mean", "variance", "stddev", "entropy"))
    compare_with_torch("Uniform", dtype, dict(low=np.array(-1.0), high=np.array(3.0)),
                       values=[-1.0, 0.0, 2.5], probabilities=[0.0, 0.5, 1.0],
                       methods=("mean", "variance", "stddev", "entropy"))


def test_outside_is_minus_infinity_without_validation():
    d = Uniform(Tensor(0.0, dtype="float64"), 2.0, validate_args=False)
    assert d.log_prob(Tensor([-0.5, 0.0, 1.0, 2.0, 3.0])).tolist() == [
        -math.inf, -math.log(2), -math.log(2), -math.inf, -math.inf]
    assert d.cdf(Tensor([-1.0, 1.0, 5.0])).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match=r"Uniform\.log_prob: value must be in \[0\.0, 2\.0\] "
                                         r"\(Uniform's support\); got 3\.0"):
        Uniform(0.0, 2.0).log_prob(3.0)


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    low = rng.normal(size=3)
    high = low + rng.uniform(1, 2, 3)
    x = low + 0.5

    def drawn(a, b):
        autograd.manual_seed(3)
        return (Uniform(a, b).rsample((5,)) ** 2).sum()
    check_gradients(lambda a, b: Uniform(a, b).log_prob(x).sum(), low, high)
    check_gradients(lambda a, b: Uniform(a, b).entropy().sum(), low, high)
    check_gradients(lambda a, b, v: Uniform(a, b).cdf(v).sum(), low, high, x)
    check_gradients(lambda a, b: Uniform(a, b).icdf(Tensor([0.2, 0.5, 0.9])).sum(), low, high)
    check_gradients(drawn, low, high)


def test_draws_moments():
    low, high = np.array([-1.0, 0.0, 10.0]), np.array([1.0, 0.1, 20.0])
    autograd.manual_seed(0)
    draws = Uniform(Tensor(low), Tensor(high)).sample((20000,)).numpy()
    assert draws.shape == (20000, 3) and (draws >= low).all() and (draws < high).all()
    assert_draws_match(draws, (low + high) / 2, (high - low) ** 2 / 12)
    with pytest.raises(AssertionError):
        assert_draws_match(draws, (low + high) / 2, 1.1 * (high - low) ** 2 / 12)


def test_low_must_be_below_high():
    with pytest.raises(ValueError, match=r"^Uniform: low must be less than high; got low 2\.0 "
                                         r"and high 2\.0 at index \(1,\) \(shape \(2,\)\)$"):
        Uniform(Tensor([0.0, 2.0]), Tensor([1.0, 2.0]))
