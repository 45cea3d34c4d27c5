"""What the tests of autograd.distributions share: the same distribution built in glassgrad and
in live PyTorch (an optional cross-check, skipped without torch), numbers compared per dtype,
and draws compared with a known mean and variance within a few standard errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, gradcheck
from autograd import distributions as D
from torch_helpers import torch

DTYPES = [np.float32, np.float64]
#: how close two computations of the same formula in one dtype must be
TOL = {np.float32: dict(rtol=3e-5, atol=3e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def ours(name: str, dtype: Any, **params: Any) -> D.Distribution:
    """glassgrad's distribution `name`, its array parameters made Tensors of `dtype` (a
    number is passed as it is)."""
    return getattr(D, name)(**{k: v if np.isscalar(v) else Tensor(np.asarray(v, dtype))
                               for k, v in params.items()})


def theirs(name: str, dtype: Any, **params: Any) -> Any:
    """PyTorch's distribution `name` with the same parameters."""
    return getattr(torch.distributions, name)(**{
        k: v if np.isscalar(v) else torch.tensor(np.asarray(v, dtype)) for k, v in params.items()})


def assert_same(got: Tensor, expected: Any, dtype: Any, what: str = "") -> None:
    """glassgrad's Tensor and torch's: the same shape, dtype and numbers (to `dtype`'s TOL)."""
    expected = expected.detach().numpy()
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    assert got.dtype == expected.dtype, (what, got.dtype, expected.dtype)
    np.testing.assert_allclose(got.numpy(), expected, err_msg=what, **TOL[dtype])


def compare_with_torch(name: str, dtype: Any, params: dict, values: Any = None,
                       probabilities: Any = None, methods: tuple = ()) -> None:
    """log_prob (and cdf) at `values`, icdf at `probabilities`, and each of `methods`
    (entropy, mean, variance, stddev, ...) agree with PyTorch's."""
    a, b = ours(name, dtype, **params), theirs(name, dtype, **params)
    assert a.batch_shape == tuple(b.batch_shape) and a.event_shape == tuple(b.event_shape)
    for method in methods:
        if method in ("entropy",):
            assert_same(getattr(a, method)(), getattr(b, method)(), dtype, method)
        else:
            assert_same(getattr(a, method), getattr(b, method), dtype, method)
    if values is not None:
        x = np.asarray(values, dtype if np.asarray(values).dtype.kind == "f" else None)
        assert_same(a.log_prob(Tensor(x)), b.log_prob(torch.tensor(x)), dtype, "log_prob")
        if "cdf" in type(a).__dict__:
            assert_same(a.cdf(Tensor(x)), b.cdf(torch.tensor(x)), dtype, "cdf")
    if probabilities is not None:
        p = np.asarray(probabilities, dtype)
        assert_same(a.icdf(Tensor(p)), b.icdf(torch.tensor(p)), dtype, "icdf")


def assert_draws_match(draws: np.ndarray, mean: Any, variance: Any, within: float = 4.0) -> None:
    """The draws' mean and mean squared deviation (from the known mean), along axis 0, are
    within `within` standard errors of `mean` and `variance` (each entry of the rest)."""
    draws = np.asarray(draws, dtype=np.float64)
    n = draws.shape[0]
    mean, variance = np.asarray(mean, np.float64), np.asarray(variance, np.float64)
    off = np.abs(draws.mean(0) - mean)
    assert np.all(off <= within * np.sqrt(variance / n)), (draws.mean(0), mean)
    squares = (draws - mean) ** 2
    assert np.all(np.abs(squares.mean(0) - variance) <= within * squares.std(0) / np.sqrt(n)), \
        (squares.mean(0), variance)


def check_gradients(f: Any, *arrays: Any) -> None:
    """f's gradient in each float64 input against central differences, tightly."""
    inputs = [Tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    assert gradcheck(f, *inputs, eps=1e-6, rtol=1e-6, atol=1e-8)
