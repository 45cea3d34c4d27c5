"""Multinomial.entropy (PyTorch has it), Distribution.perplexity() and the deprecated
sample_n(n): the entropy against the sum over every outcome and against PyTorch, its gradient
by central differences; perplexity e^entropy; sample_n warning as PyTorch 2.13 does."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from autograd import Tensor
from autograd import distributions as D
from distributions_helpers import DTYPES, check_gradients
from torch_helpers import needs_torch, torch


def outcomes(n: int, k: int):
    """Every vector of k counts summing to n."""
    for cut in itertools.combinations(range(n + k - 1), k - 1):
        edges = (-1,) + cut + (n + k - 1,)
        yield [edges[i + 1] - edges[i] - 1 for i in range(k)]


@pytest.mark.parametrize("n", [0, 1, 4, 7])
def test_multinomial_entropy_is_minus_the_sum_of_p_ln_p_over_every_outcome(n):
    p = np.array([[0.2, 0.5, 0.3], [0.0, 0.9, 0.1]])
    d = D.Multinomial(n, probs=Tensor(p))
    expected = []
    for row in p:
        h = 0.0
        for x in outcomes(n, 3):
            if any(c and not q for c, q in zip(x, row)):
                continue
            log_p = (math.lgamma(n + 1) - sum(math.lgamma(c + 1) for c in x)
                     + sum(c * math.log(q) for c, q in zip(x, row) if c))
            h -= math.exp(log_p) * log_p
        expected.append(h)
    np.testing.assert_allclose(d.entropy().numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(d.perplexity().numpy(), np.exp(expected), rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_multinomial_entropy_is_pytorchs(dtype):
    logits = np.random.default_rng(2).normal(size=(2, 3, 4)).astype(dtype)
    ours = D.Multinomial(6, logits=Tensor(logits)).entropy()
    theirs = torch.distributions.Multinomial(6, logits=torch.tensor(logits)).entropy().numpy()
    assert ours.shape == theirs.shape and ours.dtype == dtype
    # PyTorch takes ln 6! in float32 whatever the dtype: float32's tolerance
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=3e-6)


def test_multinomial_entropy_gradient_matches_central_differences():
    check_gradients(lambda z: D.Multinomial(5, logits=z).entropy(), [[0.3, -1.0, 0.8]])


def test_perplexity_is_e_to_the_entropy():
    d = D.Categorical(probs=Tensor([0.25, 0.25, 0.25, 0.25]))
    assert abs(d.perplexity().item() - 4) < 1e-5
    assert abs(D.Normal(0.0, 2.0).perplexity().item()
               - math.exp(D.Normal(0.0, 2.0).entropy().item())) < 1e-5


def test_sample_n_warns_that_it_is_deprecated_and_draws_n():
    with pytest.warns(FutureWarning, match=r"^Normal.sample_n\(n\) is deprecated"):
        draws = D.Normal(Tensor([0.0, 1.0]), 1.0).sample_n(3)
    assert draws.shape == (3, 2)


@needs_torch
def test_pytorch_warns_with_the_same_category():
    with pytest.warns(FutureWarning, match="sample_n"):
        torch.distributions.Normal(0.0, 1.0).sample_n(3)
