"""cov and corrcoef (PyTorch's torch.cov / torch.corrcoef: variables in rows): values against
numpy's np.cov / np.corrcoef with every option, gradients against central finite differences
in float64 (in the data and in aweights, first and second order), PCA's use, and histc's
counts (PyTorch's binning, no gradient)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd
from autograd import Tensor, grad, gradcheck, linalg
from conftest import t64
from linalg_helpers import TIGHT


@pytest.mark.parametrize("options", [{}, {"correction": 0}, {"correction": 2},
                                     {"fweights": [1, 0, 2, 3, 1, 2]},
                                     {"aweights": [0.5, 1.0, 2.0, 0.1, 1.0, 3.0]},
                                     {"fweights": [1, 0, 2, 3, 1, 2], "correction": 0,
                                      "aweights": [0.5, 1.0, 2.0, 0.1, 1.0, 3.0]}], ids=str)
@pytest.mark.parametrize("shape", [(3, 6), (6,), (1, 6)], ids=str)
def test_cov_is_numpy_s(shape, options, rng):
    x = rng.standard_normal(shape)
    numpy_options = {"ddof": options.get("correction", 1)}
    if "fweights" in options:
        numpy_options["fweights"] = np.array(options["fweights"])
    if "aweights" in options:
        numpy_options["aweights"] = np.array(options["aweights"])
    ours = autograd.cov(Tensor(x), **{k: (np.array(v) if k != "correction" else v)
                                      for k, v in options.items()})
    np.testing.assert_allclose(ours.data, np.cov(x, **numpy_options), rtol=1e-12)
    assert ours.shape == (() if len(shape) == 1 or shape[0] == 1 else (3, 3))   # PyTorch's


def test_cov_s_gradient_in_the_data_and_the_weights_matches_finite_differences(rng):
    x, a = rng.standard_normal((3, 6)), rng.uniform(0.5, 2.0, 6)
    f = np.array([1, 0, 2, 3, 1, 2])
    w = Tensor(rng.standard_normal((3, 3)))
    cost = lambda X, A: (X.cov(fweights=f, aweights=A) * w).sum()    # noqa: E731
    assert gradcheck(cost, t64(x), t64(a), **TIGHT)
    assert gradcheck(lambda X: grad(lambda X: (X.cov() * w).sum())(X), t64(x), atol=1e-7,
                     rtol=1e-5)


def test_corrcoef_is_numpy_s_and_its_gradient_matches_finite_differences(rng):
    x = rng.standard_normal((3, 6))
    np.testing.assert_allclose(autograd.corrcoef(Tensor(x)).data, np.corrcoef(x), rtol=1e-12)
    np.testing.assert_array_equal(Tensor(x).corrcoef().data, autograd.corrcoef(Tensor(x)).data)
    w = Tensor(rng.standard_normal((3, 3)))
    assert gradcheck(lambda X: (X.corrcoef() * w).sum(), t64(x), **TIGHT)
    assert gradcheck(lambda X: grad(lambda X: (X.corrcoef() * w).sum())(X), t64(x),
                     atol=1e-7, rtol=1e-5)
    assert autograd.corrcoef(Tensor([1.0, 2.0, 4.0])).item() == 1.0


def test_pca_s_top_direction_has_the_gradient_of_finite_differences(rng):
    """The course's PCA: the variance along the top principal direction, the largest
    eigenvalue of the data's covariance (samples in rows: X.T.cov())."""
    X = rng.standard_normal((20, 3)) * [3.0, 1.0, 0.5]
    top = lambda X: linalg.eigvalsh(X.T.cov())[-1]                    # noqa: E731
    np.testing.assert_allclose(top(Tensor(X)).item(), np.linalg.eigvalsh(np.cov(X.T))[-1])
    assert gradcheck(top, t64(X), **TIGHT)


def test_integer_data_comes_in_the_default_float_dtype_and_a_constant_row_gives_nan():
    assert autograd.cov(Tensor(np.arange(6).reshape(2, 3))).dtype == np.float32
    np.testing.assert_array_equal(np.isnan(autograd.corrcoef(Tensor([[1.0, 1, 1],
                                                                     [1.0, 2, 3]])).data),
                                  [[True, True], [True, False]])


def test_too_few_observations_warn_and_give_nan_as_pytorch():
    with pytest.warns(RuntimeWarning, match=r"^cov: the divisor N - correction is <= 0 \(1 "
                                            r"observations, correction=1\)"):
        out = autograd.cov(Tensor(np.ones((2, 1))))
    assert np.isnan(out.data).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(autograd.cov(Tensor(np.zeros((2, 0)))).data).all()


@pytest.mark.parametrize("call, error, message", [
    (lambda: autograd.cov(Tensor(np.ones((2, 3, 4)))), ValueError,
     r"^cov: x must be 1-d \(one variable\) or 2-d \(variables in rows, observations in "
     r"columns\), got shape \(2, 3, 4\)"),
    (lambda: autograd.cov(Tensor(np.ones((2, 3))), fweights=np.ones(3)), TypeError,
     r"^cov: fweights must have an integer dtype, got float64"),
    (lambda: autograd.cov(Tensor(np.ones((2, 3))), fweights=[1, -2, 3]), ValueError,
     r"^cov: fweights must not be negative, got -2"),
    (lambda: autograd.cov(Tensor(np.ones((2, 3))), aweights=[1, 2, 3]), TypeError,
     r"^cov: aweights must have a floating dtype, got int64"),
    (lambda: autograd.cov(Tensor(np.ones((2, 3))), aweights=[1.0, 2.0]), ValueError,
     r"^cov: aweights has 2 weights, but x has 3 observations \(its columns\)"),
    (lambda: autograd.cov(Tensor(np.ones((2, 3))), fweights=[[1, 2, 3]]), ValueError,
     r"^cov: fweights must be 1-d"),
    (lambda: autograd.cov(Tensor(np.ones((2, 3))), correction=1.5), TypeError,
     r"^cov: correction must be an int"),
    (lambda: autograd.cov(Tensor([True, False])), TypeError, r"^cov: x is a bool tensor"),
])
def test_cov_mistakes_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- histc ----------------------------------------------------------------------------------

def test_histc_counts_as_pytorch():
    x = Tensor([0.0, 1.0, 2.0, 3.0, 2.5, -1.0, 4.0])
    assert x.histc(bins=3, min=0, max=3).tolist() == [1.0, 1.0, 3.0]   # 3 in the last, -1 and 4 out
    assert autograd.histc(x, bins=5).tolist() == [1.0, 1.0, 1.0, 2.0, 2.0]  # min, max: the data's
    assert Tensor([2.0, 2.0]).histc(bins=4).tolist() == [0.0, 0.0, 2.0, 0.0]   # [1, 3]
    assert Tensor([-1.0, 0.0, 1.0]).histc(bins=2, min=5, max=5).tolist() == [1.0, 2.0]
    assert Tensor(np.zeros(0, dtype=np.float32)).histc(bins=3).tolist() == [0.0, 0.0, 0.0]
    # the bin is int((x − min) · bins / (max − min)) in float32: 0.3 · 10 rounds up to 3.0000001
    x32 = Tensor(np.array([0.1, 0.2, 0.3, 0.7], dtype=np.float32))
    counts = x32.histc(bins=10, min=0, max=1)
    assert counts.dtype == np.float32 and counts.tolist() == [0, 1, 1, 1, 0, 0, 0, 1, 0, 0]


def test_histc_has_no_gradient_as_pytorch(rng):
    x = Tensor(rng.standard_normal(10), requires_grad=True)
    assert not x.histc(bins=4).requires_grad


@pytest.mark.parametrize("call, error, message", [
    (lambda: Tensor([1, 2]).histc(), TypeError, r"^histc: needs a floating-point tensor, got "
                                                r"dtype int64"),
    (lambda: Tensor([1.0, np.nan]).histc(), ValueError, r"^histc: the range \[nan, nan\] is "
                                                        r"not finite"),
    (lambda: Tensor([1.0]).histc(bins=0), ValueError, r"^histc: bins must be an int > 0, got 0"),
    (lambda: Tensor([1.0]).histc(min=3, max=1), ValueError,
     r"^histc: max must be larger than min, got min=3, max=1"),
])
def test_histc_mistakes_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
