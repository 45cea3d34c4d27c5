"""autograd.distributions.Normal: PyTorch's numbers (log_prob, cdf, icdf, entropy, moments) in
float32 and float64, broadcast and 0-d parameters; gradients by central differences; draws'
moments; rsample's gradient (the reparameterisation trick) and sample's lack of one."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Normal
from distributions_helpers import (DTYPES, assert_draws_match, check_gradients,
                                   compare_with_torch)
from torch_helpers import needs_torch

MOMENTS = ("mean", "variance", "stddev", "entropy")


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs_broadcast_and_0d(dtype):
    rng = np.random.default_rng(0)
    # loc (3, 1) with scale (4,): batch (3, 4); values with a sample axis in front
    params = dict(loc=rng.normal(size=(3, 1)), scale=rng.uniform(0.3, 2.0, 4))
    compare_with_torch("Normal", dtype, params, values=rng.normal(0, 2, (2, 3, 4)),
                       probabilities=rng.uniform(0.01, 0.99, (3, 4)), methods=MOMENTS)
    # 0-d parameters, a value of shape (5,) broadcast against them
    compare_with_torch("Normal", dtype, dict(loc=np.array(0.7), scale=np.array(1.3)),
                       values=rng.normal(size=5), probabilities=[0.0, 0.2, 0.5, 1.0],
                       methods=MOMENTS)


@needs_torch
def test_number_parameters_take_the_default_dtype_or_the_tensors():
    from torch_helpers import torch
    d = Normal(0.5, 2.0)
    assert d.loc.dtype == np.float32 and d.batch_shape == ()
    assert d.log_prob(1.0).item() == pytest.approx(
        torch.distributions.Normal(0.5, 2.0).log_prob(torch.tensor(1.0)).item(), rel=1e-6)
    d = Normal(Tensor(np.zeros(3)), 2.0)            # a number beside a float64 tensor
    assert d.scale.dtype == np.float64 and d.scale.shape == (3,)


def test_log_prob_and_entropy_by_formula():
    x, mu, sigma = 0.3, -0.4, 1.7
    d = Normal(Tensor(mu, dtype="float64"), Tensor(sigma, dtype="float64"))
    expected = -((x - mu) / sigma) ** 2 / 2 - math.log(sigma) - math.log(2 * math.pi) / 2
    assert d.log_prob(x).item() == pytest.approx(expected, rel=1e-14)
    assert d.entropy().item() == pytest.approx(0.5 + math.log(2 * math.pi) / 2
                                               + math.log(sigma), rel=1e-14)
    assert d.cdf(mu).item() == 0.5 and d.icdf(0.5).item() == mu
    assert d.icdf(d.cdf(x)).item() == pytest.approx(x, rel=1e-12)


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    loc, scale, x = rng.normal(size=4), rng.uniform(0.5, 2, 4), rng.normal(size=(3, 4))
    p = rng.uniform(0.05, 0.95, 4)
    check_gradients(lambda m, s, v: Normal(m, s).log_prob(v).sum(), loc, scale, x)
    check_gradients(lambda m, s, v: Normal(m, s).cdf(v).sum(), loc, scale, x)
    check_gradients(lambda m, s, q: Normal(m, s).icdf(q).sum(), loc, scale, p)
    check_gradients(lambda s: Normal(0.0, s).entropy().sum(), scale)


def test_rsample_passes_gradients_through_a_fixed_noise_draw():
    rng = np.random.default_rng(2)
    loc, scale = rng.normal(size=3), rng.uniform(0.5, 2, 3)

    def drawn(m, s):
        autograd.manual_seed(5)                     # the same ε at every evaluation
        return (Normal(m, s).rsample((4,)) ** 2).sum()
    check_gradients(drawn, loc, scale)
    # d/dloc of Σ draws is the number of draws, d/dscale the ε drawn
    m = Tensor(loc, requires_grad=True)
    s = Tensor(scale, requires_grad=True)
    autograd.manual_seed(5)
    draws = Normal(m, s).rsample((4,))
    draws.sum().backward()
    np.testing.assert_allclose(m.grad, [4.0] * 3)
    np.testing.assert_allclose(s.grad, ((draws.data - loc) / scale).sum(0), rtol=1e-12)


def test_sample_is_detached_and_its_moments_are_right():
    loc = Tensor([-1.0, 0.0, 3.0], requires_grad=True)
    scale = Tensor([0.5, 1.0, 2.0], requires_grad=True)
    d = Normal(loc, scale)
    autograd.manual_seed(0)
    draws = d.sample((20000,))
    assert draws.shape == (20000, 3) and draws.dtype == np.float32
    assert not draws.requires_grad and d.rsample().requires_grad
    assert_draws_match(draws.numpy(), loc.data, scale.data ** 2)
    # the check can fail: a mean off by a tenth of a standard deviation, a variance off by 10 %
    with pytest.raises(AssertionError):
        assert_draws_match(draws.numpy(), loc.data + 0.1 * scale.data, scale.data ** 2)
    with pytest.raises(AssertionError):
        assert_draws_match(draws.numpy(), loc.data, 1.1 * scale.data ** 2)
    autograd.manual_seed(0)
    assert np.array_equal(d.sample((20000,)).numpy(), draws.numpy())       # seeded: replayed


def test_scale_must_be_positive_and_values_real():
    with pytest.raises(ValueError, match=r"^Normal: scale must be positive \(> 0\); got -1\.0 "
                                         r"at index \(1,\) of scale \(shape \(3,\)\)$"):
        Normal(0.0, Tensor([1.0, -1.0, 2.0]))
    with pytest.raises(ValueError, match=r"Normal: scale must be positive \(> 0\); got 0\.0 of "
                                         r"scale \(shape \(\)\)"):
        Normal(0.0, 0.0)
    with pytest.raises(ValueError, match=r"Normal: loc must be a real number \(not NaN\)"):
        Normal(float("nan"), 1.0)
    with pytest.raises(ValueError, match=r"Normal\.log_prob: value must be a real number \(not "
                                         r"NaN\) \(Normal's support\); got nan at index \(0,\)"):
        Normal(0.0, 1.0).log_prob(Tensor([float("nan")]))
    with pytest.raises(ValueError, match=r"Normal\.icdf: value must be in \[0, 1\]"):
        Normal(0.0, 1.0).icdf(1.5)
    assert Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0     # unchecked on request
    with pytest.raises(ValueError, match=r"Normal: the parameters' shapes do not broadcast "
                                         r"together: loc \(2,\), scale \(3,\)"):
        Normal(Tensor([0.0, 1.0]), Tensor([1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"Normal\.log_prob: value of shape \(3,\) does not "
                                         r"broadcast with batch_shape \(2,\)"):
        Normal(Tensor([0.0, 1.0]), 1.0).log_prob(Tensor([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match=r"Normal: loc must be a number or a Tensor, got str"):
        Normal("0", 1.0)


def test_repr_and_shapes():
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(Normal(Tensor([0.0, 1.0]), 1.0)) == "Normal(loc: shape (2,), scale: shape (2,))"
    d = Normal(autograd.zeros(2, 3), 1.0)
    assert (d.batch_shape, d.event_shape) == ((2, 3), ())
    assert d.sample().shape == (2, 3) and d.sample((4, 5)).shape == (4, 5, 2, 3)
    assert d.sample(7).shape == (7, 2, 3)                   # one int: a number of draws
    with pytest.raises(TypeError, match=r"Normal\.sample: sample_shape must be a tuple of ints"):
        d.sample("3")
