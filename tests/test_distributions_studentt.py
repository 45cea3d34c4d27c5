"""autograd.distributions.StudentT: PyTorch's numbers in float32 and float64 (log_prob, entropy,
mean and variance with their NaN and inf for small df; broadcast, 0-d), gradients by central
differences, rsample's gradient by Monte Carlo (d/d df of E[(x - loc)²] = -2 scale² / (df - 2)²,
d/d scale of E[|x - loc|]), draws' moments, the checks."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import StudentT
from distributions_helpers import DTYPES, assert_draws_match, check_gradients, compare_with_torch
from torch_helpers import needs_torch


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    methods = ("mean", "mode", "variance", "entropy")
    compare_with_torch("StudentT", dtype, dict(df=np.array([0.5, 1.5, 3.0, 30.0]),
                                               loc=rng.normal(0, 1, (3, 1)),
                                               scale=rng.uniform(0.5, 2, 4)),
                       values=rng.normal(0, 3, (2, 3, 4)), methods=methods)
    compare_with_torch("StudentT", dtype, dict(df=np.array(4.0)), values=[-50.0, 0.0, 1.0],
                       methods=methods)


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    df, loc, scale = rng.uniform(0.5, 8, 3), rng.normal(0, 1, 3), rng.uniform(0.5, 2, 3)
    x = rng.normal(0, 2, (2, 3))
    check_gradients(lambda d, m, s, v: StudentT(d, m, s).log_prob(v).sum(), df, loc, scale, x)
    check_gradients(lambda d, s: StudentT(d, 0.0, s).entropy().sum(), df, scale)

    def drawn(m, s):
        autograd.manual_seed(3)
        return StudentT(Tensor(df), m, s).rsample((4,)).sum()
    check_gradients(drawn, loc, scale)


def test_rsample_gradient_by_monte_carlo():
    n, df, scale = 20000, 12.0, 1.5
    d = Tensor(np.full(n, df), requires_grad=True)
    s = Tensor(np.full(n, scale), requires_grad=True)
    autograd.manual_seed(4)
    y = StudentT(d, 0.3, s).rsample() - 0.3
    (y ** 2).sum().backward()
    exact = -2 * scale ** 2 / (df - 2) ** 2
    slopes = d.grad
    assert abs(slopes.mean() - exact) < 4 * slopes.std() / np.sqrt(n), (slopes.mean(), exact)
    assert abs(slopes.mean() - 1.2 * exact) > 4 * slopes.std() / np.sqrt(n)
    exact = 2 * scale * df / (df - 2)
    assert abs(s.grad.mean() - exact) < 4 * s.grad.std() / np.sqrt(n)


def test_draws_moments_and_checks():
    df = np.array([5.0, 10.0, 50.0])
    autograd.manual_seed(0)
    d = StudentT(Tensor(df), 1.0, 2.0)
    draws = d.sample((20000,)).numpy()
    assert d.has_rsample and draws.dtype == np.float64
    assert_draws_match(draws, 1.0, d.variance.numpy())
    with pytest.raises(AssertionError):
        assert_draws_match(draws, 1.0, 1.1 * d.variance.numpy())
    with pytest.raises(ValueError, match=r"^StudentT: df must be positive \(> 0\); got -1\.0 at "
                                         r"index \(0,\) of df \(shape \(2,\)\)$"):
        StudentT(Tensor([-1.0, 2.0]))
    with pytest.raises(ValueError, match=r"^StudentT: scale must be positive \(> 0\); got 0\.0"):
        StudentT(3.0, 0.0, 0.0)
