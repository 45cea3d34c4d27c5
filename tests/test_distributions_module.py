"""autograd.distributions as a module: `import autograd as torch` then
`torch.distributions.Normal(...)`; the names of torch.distributions not built here say what
is; validate_args' default switch; what every distribution shares (sample without a graph,
values of the wrong kind)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import autograd as torch
from autograd import Tensor, distributions
from autograd.distributions import Distribution, Normal

BUILT = ("Normal Bernoulli Categorical OneHotCategorical Uniform Beta Exponential Laplace "
         "Gamma Chi2 Dirichlet StudentT Poisson Binomial Geometric NegativeBinomial Multinomial "
         "MultivariateNormal Independent MixtureSameFamily TransformedDistribution LogNormal "
         "Gumbel HalfNormal HalfCauchy Cauchy LogisticNormal RelaxedBernoulli "
         "RelaxedOneHotCategorical LowRankMultivariateNormal").split()


def test_torch_distributions_is_the_module():
    assert torch.distributions is distributions
    namespace: dict = {}
    exec("from autograd import *", namespace)
    assert namespace["distributions"] is distributions
    for name in BUILT:
        assert issubclass(getattr(torch.distributions, name), Distribution)
    mu = torch.tensor([0.0, 1.0], requires_grad=True)
    loss = -torch.distributions.Normal(mu, 0.5).log_prob(torch.tensor([0.2, 0.4])).sum()
    loss.backward()
    np.testing.assert_allclose(mu.grad, -(np.array([0.2, 0.4]) - [0.0, 1.0]) / 0.25, rtol=1e-6)


@pytest.mark.parametrize("name", ["Wishart", "VonMises", "CorrCholeskyTransform"])
def test_a_name_not_built_says_what_is(name):
    with pytest.raises(AttributeError, match=rf"^module 'autograd\.distributions' has no "
                                             rf"attribute '{name}': PyTorch's "
                                             rf"torch\.distributions\.{name} is not built in "
                                             rf"glassgrad; it has Distribution, Normal, "
                                             rf"Bernoulli, Categorical, .*MixtureSameFamily, "
                                             rf".*LowRankMultivariateNormal, kl_divergence "
                                             rf"\(with register_kl\), constraints, biject_to, "
                                             rf"transform_to and transforms \(the Transform "
                                             rf"classes: AbsTransform, .*TanhTransform\)$"):
        getattr(torch.distributions, name)
    assert not hasattr(distributions, "_private")


def test_transforms_are_a_module_and_names_here():
    from autograd.distributions import transforms
    assert torch.distributions.transforms is transforms
    for name in transforms.__all__:
        assert getattr(torch.distributions, name) is getattr(transforms, name)
    assert issubclass(torch.distributions.TanhTransform, transforms.Transform)
    assert torch.distributions.biject_to(distributions.constraints.positive) \
        == transforms.ExpTransform()


def test_validate_args_default_can_be_turned_off():
    try:
        Distribution.set_default_validate_args(False)
        assert Normal(0.0, -1.0).scale.item() == -1.0
        with np.errstate(invalid="ignore"):
            assert np.isnan(Normal(0.0, -1.0).log_prob(0.0).item())
        with pytest.raises(ValueError, match=r"Normal: scale must be positive"):
            Normal(0.0, -1.0, validate_args=True)       # asked for: checked all the same
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match=r"Normal: scale must be positive"):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError, match=r"set_default_validate_args: value must be True or "
                                         r"False, got 'no'"):
        Distribution.set_default_validate_args("no")


def test_sample_never_records_rsample_does():
    scale = Tensor([1.0, 2.0], requires_grad=True)
    for d in (Normal(0.0, scale), distributions.Laplace(0.0, scale),
              distributions.Exponential(scale), distributions.Uniform(-scale, scale),
              distributions.Gamma(scale, scale), distributions.StudentT(scale, 0.0, scale),
              distributions.Beta(scale, scale)):
        drawn = d.sample((3,))
        assert not drawn.requires_grad and drawn.op == "" and not drawn.parents
        drawn = d.rsample((3,))
        assert drawn.requires_grad and drawn.shape == (3, 2)


def test_values_of_the_wrong_kind():
    d = Normal(0.0, 1.0)
    with pytest.raises(TypeError, match=r"Normal\.log_prob: value must be a Tensor or numbers, "
                                        r"got dict"):
        d.log_prob({})
    assert d.log_prob([0.0, 1.0]).shape == (2,)       # numbers in a list, an array: taken
    assert d.log_prob(np.zeros(3)).dtype == np.float32
    with pytest.raises(NotImplementedError, match=r"Bernoulli\.cdf is not implemented here "
                                                  r"\(cdf: Normal, Uniform, Exponential, "
                                                  r"Laplace, Cauchy, Gamma, Chi2; icdf: Normal, "
                                                  r"Uniform, Exponential, Laplace, Cauchy; both: "
                                                  r"the TransformedDistributions of monotone "
                                                  r"transforms, LogNormal, Gumbel, HalfNormal, "
                                                  r"HalfCauchy, \.\.\.\)"):
        distributions.Bernoulli(probs=0.5).cdf(1.0)
    with pytest.raises(NotImplementedError, match=r"MixtureSameFamily\.entropy is not "
                                                  r"implemented here"):
        distributions.MixtureSameFamily(distributions.Categorical(logits=autograd.zeros(2)),
                                        Normal(autograd.zeros(2), 1.0)).entropy()


def test_a_parameter_first_read_by_sample_keeps_its_graph():
    """sample() draws under no_grad(); Bernoulli's and Categorical's probs (given logits) and
    MultivariateNormal's Cholesky factor are computed when first read and kept, so a first
    read there once kept a constant: the entropy and rsample after it passed no gradient
    through them (an actor-critic's policy gradient came out 8e-4 off PyTorch's)."""
    def gradient(make, use, x):
        x = Tensor(x, requires_grad=True)
        d = make(x)
        d.sample()
        autograd.manual_seed(0)
        use(d).sum().backward()
        return x.grad

    def both(make, use, x):
        fresh = Tensor(x, requires_grad=True)
        autograd.manual_seed(0)
        use(make(fresh)).sum().backward()
        np.testing.assert_allclose(gradient(make, use, x), fresh.grad, rtol=1e-12)
    z = np.array([0.3, -1.2, 2.0])
    both(lambda t: distributions.Bernoulli(logits=t), lambda d: d.entropy(), z)
    both(lambda t: distributions.Categorical(logits=t), lambda d: d.entropy(), z)
    both(lambda t: distributions.OneHotCategorical(logits=t), lambda d: d.entropy(), z)
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    both(lambda t: distributions.MultivariateNormal(autograd.zeros(2, dtype="float64"),
                                                    covariance_matrix=(t + t.mT) / 2),
         lambda d: d.rsample() + d.entropy(), cov)
