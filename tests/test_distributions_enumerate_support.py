"""enumerate_support(expand=True | False) and has_enumerate_support: PyTorch's values, shapes
and dtypes for Bernoulli, Categorical, OneHotCategorical and Binomial (the support along a new
first axis, over the batch or with axes of 1), on batches that were expanded too; the other
families say they have none."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor
from autograd import distributions as D
from distributions_helpers import DTYPES
from torch_helpers import needs_torch, torch

RNG = np.random.default_rng(5)
ROWS = RNG.dirichlet(np.ones(3), (2, 4))            # a (2, 4) batch over 3 categories
COINS = RNG.uniform(0, 1, (2, 4))

BUILD = {
    "Bernoulli": lambda L, t: L.Bernoulli(probs=t(COINS)),
    "Categorical": lambda L, t: L.Categorical(probs=t(ROWS)),
    "OneHotCategorical": lambda L, t: L.OneHotCategorical(probs=t(ROWS)),
    "Binomial": lambda L, t: L.Binomial(t(np.full((2, 4), 3.0)), probs=t(ROWS[..., 0])),
}


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("expand", [True, False])
@pytest.mark.parametrize("name", BUILD)
def test_enumerate_support_is_pytorchs(name, expand, dtype):
    a = BUILD[name](D, lambda x: Tensor(np.array(x, dtype)))
    b = BUILD[name](torch.distributions, lambda x: torch.tensor(np.array(x, dtype)))
    assert a.has_enumerate_support is b.has_enumerate_support is True
    for ours, theirs in ((a, b), (a.expand((5, 2, 4)), b.expand((5, 2, 4)))):
        got, expected = ours.enumerate_support(expand), theirs.enumerate_support(expand).numpy()
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)
        # each value of the support has a log-probability for every distribution of the batch
        assert ours.log_prob(got).shape == (got.shape[0],) + ours.batch_shape


def test_a_scalar_batch_and_log_probs_that_sum_to_one():
    d = D.Binomial(4, probs=0.3)
    values = d.enumerate_support()
    assert values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert abs(d.log_prob(values).exp().sum().item() - 1) < 1e-6
    c = D.Categorical(logits=Tensor([[0.0, 1.0], [2.0, 0.5]]))
    assert c.enumerate_support(expand=False).shape == (2, 1)
    np.testing.assert_allclose(c.log_prob(c.enumerate_support()).exp().sum(0).numpy(), 1,
                               rtol=1e-6)


def test_binomial_with_total_counts_that_differ_says_so():
    with pytest.raises(NotImplementedError, match=r"^Binomial.enumerate_support: total_count "
                                                  r"differs across the batch \(from 2 to 5\)"):
        D.Binomial(Tensor([2.0, 5.0]), probs=0.5).enumerate_support()


@pytest.mark.parametrize("d", [D.Normal(0.0, 1.0), D.Poisson(2.0), D.Geometric(probs=0.5),
                               D.Multinomial(3, probs=Tensor([0.5, 0.5]))])
def test_the_other_families_have_no_enumerate_support(d):
    assert d.has_enumerate_support is False
    with pytest.raises(NotImplementedError, match=rf"^{type(d).__name__}.enumerate_support: "
                                                  r".* Bernoulli, Categorical"):
        d.enumerate_support()
