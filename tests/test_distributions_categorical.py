"""autograd.distributions.Categorical and OneHotCategorical: probs= (normalised) or logits=
(log_softmax), PyTorch's numbers in float32 and float64, log_prob by gather with broadcast
values, entropy with masked (-inf) logits, int64 draws of shape sample_shape + batch_shape
and their frequencies, gradients by central differences, the checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import Categorical, OneHotCategorical
from distributions_helpers import (DTYPES, assert_draws_match, assert_same, check_gradients,
                                   compare_with_torch, ours, theirs)
from torch_helpers import needs_torch, torch


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    values = rng.integers(0, 4, (5, 2, 3))
    for params in (dict(probs=rng.uniform(0.0, 2.0, (2, 3, 4))),         # unnormalised weights
                   dict(logits=rng.normal(0, 3, (2, 3, 4))),
                   dict(logits=[0.0, -np.inf, 1.0, 2.0])):               # a masked category
        compare_with_torch("Categorical", dtype, params, values=values,
                           methods=("entropy", "probs", "logits"))
    # a value of one category broadcast over the batch; a 1-d parameter (batch_shape ())
    compare_with_torch("Categorical", dtype, dict(probs=[0.2, 0.3, 0.5]), values=np.array(2))
    compare_with_torch("OneHotCategorical", dtype, dict(logits=rng.normal(0, 2, (3, 4))),
                       values=np.eye(4)[[0, 3, 1]], methods=("entropy", "mean", "variance"))


@needs_torch
def test_probabilities_with_zeros_are_pytorchs():
    for dtype in DTYPES:
        p = [[0.0, 0.25, 0.75], [1.0, 0.0, 0.0]]
        a, b = ours("Categorical", dtype, probs=p), theirs("Categorical", dtype, probs=p)
        assert_same(a.entropy(), b.entropy(), dtype)
        assert_same(a.log_prob(Tensor([0, 0])), b.log_prob(torch.tensor([0, 0])), dtype)


def test_log_prob_gathers_and_entropy_by_hand():
    z = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    d = Categorical(logits=Tensor(z))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(d.log_prob(Tensor([2, 1])).numpy(), np.log(p[[0, 1], [2, 1]]),
                               rtol=1e-13)
    np.testing.assert_allclose(d.entropy().numpy(), -(p * np.log(p)).sum(1), rtol=1e-13)
    assert d.entropy()[1].item() == pytest.approx(math.log(3), rel=1e-14)
    # values (4, 1) against batch (2,): every value for every row
    assert d.log_prob(Tensor([[0], [1], [2], [1]])).shape == (4, 2)
    masked = Categorical(logits=Tensor([0.0, -math.inf, 0.0]))
    assert masked.entropy().item() == pytest.approx(math.log(2))
    assert masked.log_prob(1).item() == -math.inf


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 4, (5, 3))
    check_gradients(lambda z: Categorical(logits=z).log_prob(a).sum(), rng.normal(0, 2, (3, 4)))
    check_gradients(lambda p: Categorical(probs=p).log_prob(a).sum(),
                    rng.uniform(0.2, 1.0, (3, 4)))
    check_gradients(lambda z: Categorical(logits=z).entropy().sum(), rng.normal(0, 2, (3, 4)))
    check_gradients(lambda p: Categorical(probs=p).entropy().sum(), rng.uniform(0.2, 1.0, (3, 4)))
    check_gradients(lambda z: OneHotCategorical(logits=z).log_prob(np.eye(4)[a[0]]).sum(),
                    rng.normal(0, 2, (3, 4)))


def test_draws_shape_dtype_and_frequencies():
    probs = np.array([[0.1, 0.0, 0.6, 0.3], [0.0, 0.0, 0.0, 1.0]])
    d = Categorical(probs=Tensor(probs, requires_grad=True))
    assert d.sample().shape == (2,) and d.sample((3, 5)).shape == (3, 5, 2)
    autograd.manual_seed(0)
    draws = d.sample((20000,))
    assert draws.dtype == np.int64 and not draws.requires_grad
    counts = draws.numpy()[..., None] == np.arange(4)               # (20000, 2, 4) indicators
    assert not counts[:, :, 1].any() and counts[:, 1, 3].all()     # never a category of weight 0
    assert_draws_match(counts[:, 0], probs[0], probs[0] * (1 - probs[0]))
    with pytest.raises(AssertionError):
        assert_draws_match(counts[:, 0], [0.12, 0, 0.58, 0.3], probs[0] * (1 - probs[0]))
    autograd.manual_seed(1)
    one_hot = OneHotCategorical(probs=Tensor(probs[0])).sample((20000,))
    assert one_hot.shape == (20000, 4) and one_hot.dtype == np.float64     # probs'
    assert (one_hot.numpy().sum(1) == 1).all()
    assert_draws_match(one_hot.numpy(), probs[0], probs[0] * (1 - probs[0]))


def test_checks_of_arguments_and_values():
    with pytest.raises(ValueError, match=r"^Categorical: probs must be non-negative weights "
                                         r"with a positive sum along the last axis \(normalised "
                                         r"to sum to 1\); got the row \[ 0\.5 -0\.1  0\.6\] at "
                                         r"index \(1,\) of probs \(shape \(2, 3\)\)$"):
        Categorical(probs=Tensor([[0.2, 0.3, 0.5], [0.5, -0.1, 0.6]]))
    with pytest.raises(ValueError, match=r"Categorical: probs must be .* got the row \[0\. 0\.\]"):
        Categorical(probs=Tensor([[0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"Categorical: logits must be real numbers"):
        Categorical(logits=Tensor([float("nan"), 0.0]))
    with pytest.raises(ValueError, match=r"Categorical: probs must have at least one axis"):
        Categorical(probs=0.5)
    d = Categorical(logits=autograd.zeros(2, 3))
    with pytest.raises(ValueError, match=r"Categorical\.log_prob: value must be an integer in "
                                         r"\[0, 2\] \(Categorical's support\); got 3 at index "
                                         r"\(1,\) of value \(shape \(2,\)\)"):
        d.log_prob(Tensor([0, 3]))
    with pytest.raises(ValueError, match=r"value must be an integer in \[0, 2\].*got 1\.5"):
        d.log_prob(Tensor([0.0, 1.5]))
    assert d.log_prob(Tensor([0.0, 2.0])).shape == (2,)           # whole floats are indices
    with pytest.raises(ValueError, match=r"OneHotCategorical\.log_prob: value must be one-hot "
                                         r"vectors"):
        OneHotCategorical(logits=autograd.zeros(3)).log_prob(Tensor([1.0, 1.0, 0.0]))
    assert np.isnan(d.mean.numpy()).all() and d.mean.shape == (2,)   # undefined, as PyTorch's
    assert repr(d) == "Categorical(logits: shape (2, 3))"
