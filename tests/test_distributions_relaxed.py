"""autograd.distributions.RelaxedBernoulli and RelaxedOneHotCategorical (the Concrete /
Gumbel-softmax relaxations, with LogitRelaxedBernoulli and ExpRelaxedCategorical under them):
PyTorch's log_prob and shapes in float32 and float64, gradients of log_prob and of rsample
(fixed noise) by central differences, and draws whose rounding is the discrete distribution
(Gumbel-max: the argmax is a Categorical draw; a relaxed coin above ½ is a Bernoulli draw)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd import distributions as D
from distributions_helpers import DTYPES, assert_draws_match, assert_same, check_gradients
from torch_helpers import needs_torch, torch

RNG = np.random.default_rng(0)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, temperature, params, values", [
    ("RelaxedBernoulli", np.array(0.7), dict(probs=RNG.uniform(0.1, 0.9, (2, 3))),
     RNG.uniform(0.05, 0.95, (4, 2, 3))),
    ("RelaxedBernoulli", np.array(2.0), dict(logits=RNG.normal(size=3)),
     RNG.uniform(0.01, 0.99, 3)),
    ("RelaxedBernoulli", np.array([0.4]), dict(logits=np.array([1.5])), RNG.uniform(0, 1, 1)),
    ("LogitRelaxedBernoulli", np.array(0.5), dict(logits=RNG.normal(size=(2, 3))),
     RNG.normal(0, 3, (2, 3))),
    ("RelaxedOneHotCategorical", np.array(0.5), dict(logits=RNG.normal(size=(2, 4))),
     RNG.dirichlet(np.ones(4), (3, 2))),
    ("RelaxedOneHotCategorical", np.array(1.3), dict(probs=RNG.dirichlet(np.ones(3))),
     RNG.dirichlet(np.ones(3), 5)),
    ("ExpRelaxedCategorical", np.array(0.8), dict(logits=RNG.normal(size=(2, 3))),
     np.log(RNG.dirichlet(np.ones(3), 2))),
])
def test_log_prob_and_shapes_are_pytorchs(name, temperature, params, values, dtype):
    a = getattr(D, name)(Tensor(temperature.astype(dtype)),
                         **{k: Tensor(v.astype(dtype)) for k, v in params.items()})
    module = torch.distributions
    if name == "LogitRelaxedBernoulli":
        module = torch.distributions.relaxed_bernoulli
    elif name == "ExpRelaxedCategorical":
        module = torch.distributions.relaxed_categorical
    b = getattr(module, name)(torch.tensor(temperature.astype(dtype)),
                              **{k: torch.tensor(v.astype(dtype)) for k, v in params.items()})
    assert (a.batch_shape, a.event_shape) == (tuple(b.batch_shape), tuple(b.event_shape))
    x = np.asarray(values, dtype)
    if x.ndim and x.shape[-1] and "Categorical" in name and "Exp" not in name:
        x = x / x.sum(-1, keepdims=True)
    assert_same(a.log_prob(Tensor(x)), b.log_prob(torch.tensor(x)), dtype, "log_prob")
    draws = a.rsample((5,))
    assert draws.shape == (5,) + a.batch_shape + a.event_shape and draws.dtype == dtype
    assert a.support.check(draws.numpy()).all()
    if hasattr(a, "probs"):
        assert_same(a.probs, b.probs, dtype, "probs")
        assert_same(a.logits, b.logits, dtype, "logits")


def test_gradients_by_central_differences():
    rng = np.random.default_rng(1)
    logits, t = rng.normal(size=(2, 3)), np.array(0.6)
    x = rng.uniform(0.05, 0.95, (2, 3))
    check_gradients(lambda l, tt, v: D.RelaxedBernoulli(tt, logits=l).log_prob(v).sum(),
                    logits, t, x)
    y = rng.dirichlet(np.ones(3), 2)
    check_gradients(lambda l, tt, v: D.RelaxedOneHotCategorical(
        tt, logits=l, validate_args=False).log_prob(v).sum(), logits, t, y)

    def drawn(family):
        def f(l, tt):
            autograd.manual_seed(3)
            return (getattr(D, family)(tt, logits=l).rsample((4,)) ** 2).sum()
        return f
    check_gradients(drawn("RelaxedBernoulli"), logits, t)
    check_gradients(drawn("RelaxedOneHotCategorical"), logits, t)


def test_draws_round_to_the_discrete_distributions():
    autograd.manual_seed(0)
    n = 20000
    probs = np.array([0.2, 0.5, 0.3])
    d = D.RelaxedOneHotCategorical(Tensor(np.array(0.3)), probs=Tensor(probs))
    y = d.sample((n,)).numpy()
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)
    chosen = np.eye(3)[y.argmax(-1)]                 # the argmax: a Categorical(probs) draw
    assert_draws_match(chosen, probs, probs * (1 - probs))
    with pytest.raises(AssertionError):
        assert_draws_match(chosen, [0.22, 0.48, 0.3], probs * (1 - probs))
    coin = np.array([0.1, 0.6, 0.85])
    d = D.RelaxedBernoulli(Tensor(np.array(0.5)), probs=Tensor(coin))
    heads = (d.sample((n,)).numpy() > 0.5).astype(float)      # above ½: a Bernoulli draw
    assert_draws_match(heads, coin, coin * (1 - coin))
    # a low temperature pushes draws towards 0 and 1
    cold = D.RelaxedBernoulli(Tensor(np.array(0.05)), probs=Tensor(coin)).sample((2000,))
    assert np.mean(np.minimum(cold.numpy(), 1 - cold.numpy()) < 1e-3) > 0.8


def test_errors():
    # each error names the distribution made, not the one it is built of
    with pytest.raises(ValueError, match=r"^RelaxedBernoulli: give either probs= or "
                                         r"logits=, not both \(got neither\)$"):
        D.RelaxedBernoulli(0.5)
    with pytest.raises(ValueError, match=r"^RelaxedBernoulli: temperature must be "
                                         r"positive \(> 0\); got -1\.0$"):
        D.RelaxedBernoulli(-1.0, probs=0.5)
    with pytest.raises(ValueError, match=r"^RelaxedBernoulli: probs must be in \[0, 1\]"):
        D.RelaxedBernoulli(0.5, probs=Tensor(1.5))
    with pytest.raises(ValueError, match=r"^LogitRelaxedBernoulli: temperature must be "):
        D.LogitRelaxedBernoulli(-1.0, probs=0.5)
    with pytest.raises(ValueError, match=r"^RelaxedOneHotCategorical: temperature must be "
                                         r"positive"):
        D.RelaxedOneHotCategorical(0.0, logits=Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"^RelaxedOneHotCategorical: probs must be "
                                         r"non-negative"):
        D.RelaxedOneHotCategorical(0.5, probs=Tensor([0.5, -0.1]))
    with pytest.raises(TypeError, match=r"^RelaxedOneHotCategorical: temperature must be a "
                                        r"number or a Tensor"):
        D.RelaxedOneHotCategorical("hot", logits=Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"^ExpRelaxedCategorical: temperature must be "):
        D.ExpRelaxedCategorical(0.0, logits=Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"RelaxedOneHotCategorical\.log_prob: value must be "
                                         r"probabilities"):
        D.RelaxedOneHotCategorical(0.5, logits=Tensor([0.0, 1.0])).log_prob(Tensor([0.5, 0.6]))
