"""autograd.distributions' counts: Poisson, Binomial, Geometric, NegativeBinomial, Multinomial.
PyTorch's numbers in float32 and float64 (log_prob, entropy where PyTorch has it, mean, mode,
variance; broadcast, 0-d and batch-1 parameters; probs and logits), gradients by central
differences, kl_divergence of Poisson, Binomial and Geometric pairs, draws' moments within 4
standard errors, and the checks of the parameters and of the counts given to log_prob."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import (Binomial, Geometric, Multinomial, NegativeBinomial, Poisson,
                                    kl_divergence)
from distributions_helpers import (DTYPES, assert_draws_match, assert_same, check_gradients,
                                   compare_with_torch)
from torch_helpers import needs_torch, torch


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_are_pytorchs(dtype):
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 8, (2, 3, 4)).astype(float)
    compare_with_torch("Poisson", dtype, dict(rate=np.array([0.0, 0.5, 3.0, 7.5])),
                       values=counts, methods=("mean", "mode", "variance"))
    compare_with_torch("Poisson", dtype, dict(rate=np.array(2.0)), values=[0.0, 4.0],
                       methods=("mean", "variance"))
    n = np.array([[3.0], [10.0], [8.0]])
    for which, p in (("probs", rng.uniform(0.05, 0.95, 4)), ("logits", rng.normal(0, 2, 4)),
                     ("probs", np.array([0.0, 1.0, 0.5, 0.2]))):
        compare_with_torch("Binomial", dtype, {"total_count": n, which: p},
                           values=np.minimum(counts, n), methods=("mean", "mode", "variance"))
        compare_with_torch("Geometric", dtype, {which: np.where(p == 0, 0.3, p)},
                           values=counts, methods=("mean", "mode", "variance", "entropy"))
        compare_with_torch("NegativeBinomial", dtype,
                           {"total_count": n * 0.7, which: np.where(p == 1, 0.4, p)},
                           values=counts, methods=("mean", "mode", "variance"))
    compare_with_torch("Binomial", dtype, dict(total_count=np.array(8.0), probs=np.array([0.3])),
                       values=[[0.0], [8.0]], methods=("entropy",))
    # total_counts that differ: PyTorch's entropy refuses them; each one against its own
    ours = Binomial(Tensor(n[:, 0].astype(dtype)), Tensor(np.array([0.1, 0.5, 0.99], dtype)))
    for i, (count, p) in enumerate(zip(n[:, 0], [0.1, 0.5, 0.99])):
        theirs = torch.distributions.Binomial(count, torch.tensor(np.asarray(p, dtype)))
        assert_same(ours.entropy()[i], theirs.entropy(), dtype, "entropy")
    compare_with_torch("NegativeBinomial", dtype, dict(total_count=np.array([0.0, 2.5]),
                                                       probs=np.array([0.5, 0.0])),
                       values=[0.0, 0.0], methods=("mean", "variance"))
    weights = rng.uniform(0.1, 1, (3, 4))
    weights[0, 1] = 0.0
    x = np.array([[1.0, 0.0, 3.0, 1.0], [0.0, 5.0, 0.0, 0.0], [2.0, 1.0, 1.0, 1.0]])
    for which, p in (("probs", weights), ("logits", np.log(weights + 0.1))):
        compare_with_torch("Multinomial", dtype, {"total_count": 5, which: p}, values=x,
                           methods=("mean", "variance"))


@needs_torch
def test_kl_is_pytorchs():
    rng = np.random.default_rng(2)
    D, T = torch.distributions, torch.tensor
    for dtype in DTYPES:
        r = rng.uniform(0.3, 4, (2, 3)).astype(dtype)
        s = np.array([0.0, 2.0, 1.0], dtype)
        assert_same(kl_divergence(Poisson(Tensor(r)), Poisson(Tensor(s))),
                    D.kl_divergence(D.Poisson(T(r)), D.Poisson(T(s))), dtype, "poisson")
        # a rate of 0 on p's side: KL is q's rate (PyTorch gives NaN there, its 0 ln 0)
        np.testing.assert_allclose(kl_divergence(Poisson(Tensor(s)), Poisson(Tensor(r))).numpy(),
                                   D.kl_divergence(D.Poisson(T(np.where(s == 0, 1e-30, s))),
                                                   D.Poisson(T(r))).numpy(), rtol=1e-5)
        p, q = rng.uniform(0.05, 0.95, (2, 3)).astype(dtype), rng.uniform(0.05, 0.95, 3).astype(dtype)
        assert_same(kl_divergence(Binomial(4, Tensor(p)), Binomial(4, Tensor(q))),
                    D.kl_divergence(D.Binomial(4, T(p)), D.Binomial(4, T(q))), dtype, "binomial")
        assert_same(kl_divergence(Geometric(Tensor(p)), Geometric(logits=Tensor(q))),
                    D.kl_divergence(D.Geometric(T(p)), D.Geometric(logits=T(q))), dtype,
                    "geometric")


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    rate, k = rng.uniform(0.5, 5, 3), rng.integers(0, 6, (2, 3)).astype(float)
    p, q, z = rng.uniform(0.1, 0.9, 3), rng.uniform(0.1, 0.9, 3), rng.normal(0, 1, 3)
    check_gradients(lambda r: Poisson(r).log_prob(Tensor(k)).sum(), rate)
    check_gradients(lambda p: Binomial(6, p).log_prob(Tensor(k)).sum(), p)
    check_gradients(lambda z: Binomial(6, logits=z).entropy().sum(), z)
    check_gradients(lambda p: Geometric(p).log_prob(Tensor(k)).sum(), p)
    check_gradients(lambda z: Geometric(logits=z).entropy().sum(), z)
    check_gradients(lambda r, p: NegativeBinomial(r, p).log_prob(Tensor(k)).sum(), rate, p)
    check_gradients(lambda z: Multinomial(5, logits=z).log_prob(Tensor([1.0, 4.0, 0.0])), z)
    check_gradients(lambda r, s: kl_divergence(Poisson(r), Poisson(s)).sum(), rate, rate[::-1])
    check_gradients(lambda p, q: kl_divergence(Binomial(3, p), Binomial(3, q)).sum(), p, q)
    check_gradients(lambda p, q: kl_divergence(Geometric(p), Geometric(q)).sum(), p, q)


def test_draws_moments():
    autograd.manual_seed(0)
    n = 20000
    rate = np.array([0.3, 4.0, 25.0], np.float32)
    d = Poisson(Tensor(rate))
    draws = d.sample((n,)).numpy()
    assert draws.dtype == np.float32 and (draws == np.floor(draws)).all()
    assert_draws_match(draws, rate, rate)
    with pytest.raises(AssertionError):
        assert_draws_match(draws, 1.02 * rate, rate)
    for d in (Binomial(Tensor([3.0, 20.0, 7.0]), Tensor([0.5, 0.1, 0.9])),
              Geometric(Tensor([0.9, 0.3, 0.05])), Geometric(logits=Tensor([0.0, -2.0, 3.0])),
              NegativeBinomial(Tensor([0.5, 3.0, 20.0]), Tensor([0.2, 0.5, 0.8])),
              Multinomial(7, Tensor([[0.2, 0.3, 0.5], [0.0, 0.9, 0.1]]))):
        draws = d.sample((n,)).numpy()
        assert draws.shape == (n,) + d.batch_shape + d.event_shape
        assert np.isfinite(d.log_prob(Tensor(draws)).numpy()).all(), d
        assert_draws_match(draws, d.mean.numpy(), d.variance.numpy())
    assert (draws.sum(-1) == 7).all() and (draws[:, 1, 0] == 0).all()


def test_checks_name_the_distribution_argument_value_and_index():
    with pytest.raises(ValueError, match=r"^Poisson: rate must be non-negative \(>= 0\); got "
                                         r"-1\.0 at index \(1,\) of rate \(shape \(2,\)\)$"):
        Poisson(Tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"^Poisson\.log_prob: value must be a non-negative "
                                         r"integer \(0, 1, 2, \.\.\.\) \(Poisson's support\); got "
                                         r"1\.5 at index \(1,\) of value"):
        Poisson(2.0).log_prob(Tensor([1.0, 1.5]))
    with pytest.raises(ValueError, match=r"^Binomial: total_count must be a non-negative integer "
                                         r"\(0, 1, 2, \.\.\.\); got 2\.5"):
        Binomial(2.5, probs=0.5)
    with pytest.raises(ValueError, match=r"^Binomial\.log_prob: value must be an integer in "
                                         r"\[0, total_count\] \(Binomial's support\); got 4\.0 "
                                         r"at index \(0,\)"):
        Binomial(Tensor([3.0, 5.0]), probs=0.5).log_prob(Tensor([4.0, 4.0]))
    with pytest.raises(ValueError, match=r"^Binomial: give either probs= or logits=, not both"):
        Binomial(3, probs=0.5, logits=0.0)
    with pytest.raises(ValueError, match=r"^Geometric: probs must be in \(0, 1\]; got 0\.0"):
        Geometric(probs=0.0)
    with pytest.raises(ValueError, match=r"^NegativeBinomial: probs must be in \[0, 1\); got 1\.0"):
        NegativeBinomial(2.0, probs=1.0)
    with pytest.raises(ValueError, match=r"^NegativeBinomial\.log_prob: value must be a "
                                         r"non-negative integer"):
        NegativeBinomial(2.0, probs=0.5).log_prob(-1.0)
    with pytest.raises(ValueError, match=r"^Multinomial: total_count must be an int >= 0 \(one "
                                         r"number for the whole batch, as in PyTorch\), got 2\.5"):
        Multinomial(2.5, probs=Tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"^Multinomial\.log_prob: value must be non-negative "
                                         r"integers summing to 3 along the last axis "
                                         r"\(Multinomial's support\); got the row \[1\. 1\.\] "
                                         r"at index \(1,\)"):
        Multinomial(3, probs=Tensor([0.5, 0.5])).log_prob(Tensor([[1.0, 2.0], [1.0, 1.0]]))
    with pytest.raises(NotImplementedError, match=r"Binomial to Binomial with a smaller "
                                                  r"total_count on p's side"):
        kl_divergence(Binomial(2, probs=0.5), Binomial(3, probs=0.5))
    assert kl_divergence(Binomial(3, probs=0.5), Binomial(2, probs=0.5)).item() == np.inf


def test_multinomial_log_prob_of_a_huge_total_count_is_one_lgamma():
    # ln n! was the sum of n logs: an array of 10^12 numbers (MemoryError) for one number
    import math
    n = 10 ** 12
    d = Multinomial(n, probs=Tensor(np.array([0.5, 0.5])))
    got = d.log_prob(Tensor(np.array([n / 2, n / 2]))).item()
    expected = math.lgamma(n + 1) - 2 * math.lgamma(n / 2 + 1) + n * math.log(0.5)
    # terms of ~2.6e13 cancel down to -14: a float64 ulp there is 0.004, and the order of the
    # sums (numpy 1.24's against 2's) moves the result by one
    assert got == pytest.approx(expected, abs=8 * np.spacing(math.lgamma(n + 1)))


def test_edges_the_other_tests_left_untried():
    # (each of these passed with the line that makes it true taken out)
    # a category of logit -inf that holds no draws adds 0 (not 0 · -inf = NaN)
    d = Multinomial(2, logits=Tensor(np.array([0.0, -np.inf])))
    assert d.log_prob(Tensor(np.array([2.0, 0.0]))).item() == pytest.approx(0.0, abs=1e-12)
    # KL(Poisson(1) ‖ Poisson(0)) is inf (q has no mass on 1, 2, ...), KL(0 ‖ 0) is 0
    kl = kl_divergence(Poisson(Tensor(np.array([1.0, 0.0]))), Poisson(Tensor(np.array([0.0, 0.0]))))
    assert kl.tolist() == [np.inf, 0.0]
    # the mode of a NegativeBinomial with r < 1 is 0, not floor of a negative number
    d = NegativeBinomial(Tensor(np.array([0.5, 3.0])), probs=Tensor(np.array([0.5, 0.5])))
    assert d.mode.tolist() == [0.0, 2.0]
