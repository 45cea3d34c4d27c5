"""nn.functional: the activations (re-exported from autograd.functional) and dropout."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, gradcheck
from autograd import functional as AF
from nn import functional as F

from conftest import t64


def test_activations_are_the_engines():
    """No second implementation: nn.functional re-exports autograd.functional's functions."""
    for name in ("relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "cross_entropy"):
        assert getattr(F, name) is getattr(AF, name)
    for name in F.__all__:
        assert callable(getattr(F, name))


def test_activations_work_on_tensors_and_values():
    x = t64([-1.0, 0.5])
    np.testing.assert_allclose(F.relu(x).data, [0.0, 0.5])
    np.testing.assert_allclose(F.tanh(x).data, np.tanh([-1.0, 0.5]))
    np.testing.assert_allclose(F.softmax(x).data.sum(), 1.0)
    assert F.sigmoid(Value(0.0)).data == 0.5 and F.relu(Value(-2.0)).data == 0.0


def test_pytorch_keywords_dim_and_inplace_are_accepted():
    """`F.softmax(x, dim=1)`, `F.log_softmax(x, dim=1)` and `F.relu(x, inplace=True)` as
    PyTorch code writes them (as the modules Softmax(dim=), ReLU(inplace=) accept them)."""
    x = t64([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]])
    for f in (F.softmax, F.log_softmax):
        np.testing.assert_array_equal(f(x, dim=0).data, f(x, 0).data)
        np.testing.assert_array_equal(f(x, dim=-1).data, f(x).data)
    out = F.relu(x, inplace=True)
    np.testing.assert_array_equal(out.data, np.maximum(x.data, 0))
    assert x.data.min() < 0                   # as ReLU(inplace=True): a new tensor, x is kept
    assert F.dropout(x, 0.5, training=False, inplace=True) is x


def test_dim_and_axis_together_are_refused():
    x = t64([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"softmax: got both axis=0 and dim=1; they are the "
                                        r"same setting \(dim is PyTorch's name\)"):
        F.softmax(x, 0, dim=1)
    with pytest.raises(TypeError, match="log_softmax: got both axis=0 and dim=1"):
        F.log_softmax(x, axis=0, dim=1)


def test_functional_logsumexp_takes_pytorch_names_as_the_method_does():
    """Tensor.logsumexp took dim=/keepdim=, autograd.functional.logsumexp did not."""
    x = t64([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(AF.logsumexp(x, dim=0, keepdim=True).data,
                                  x.logsumexp(axis=0, keepdims=True).data)
    with pytest.raises(TypeError, match="logsumexp: got both axis=0 and dim=1"):
        AF.logsumexp(x, 0, dim=1)


# ----------------------------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------------------------

def test_eval_mode_and_p_zero_return_the_input_itself():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_inverted_scaling_preserves_the_mean(p):
    """Each element is 0 or x/(1-p); a fraction ≈ p is dropped and the mean stays ≈ 1. The
    tolerances are 5 standard deviations of the sample mean (n = 200 000)."""
    n = 200_000
    y = F.dropout(Tensor(np.ones(n)), p, rng=np.random.default_rng(1)).data
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1.0 / (1.0 - p), rtol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    assert abs(y.mean() - 1.0) < 5 * np.sqrt(p / (1 - p) / n)


def test_gradient_flows_only_through_kept_units():
    """dy/dx is 1/(1-p) where an element was kept, 0 where it was dropped."""
    x = Tensor(np.arange(1.0, 201.0), requires_grad=True)
    y = F.dropout(x, 0.25, rng=np.random.default_rng(2))
    y.sum().backward()
    kept = y.data != 0
    assert 0 < kept.sum() < 200
    np.testing.assert_allclose(x.grad[kept], 1 / 0.75, rtol=1e-6)
    assert (x.grad[~kept] == 0).all()
    np.testing.assert_allclose(y.data[kept], x.data[kept] / 0.75, rtol=1e-6)
    # with a fixed mask (the same generator seed every call) dropout is a linear map:
    assert gradcheck(lambda t: F.dropout(t, 0.4, rng=np.random.default_rng(3)),
                     t64(np.linspace(-1, 1, 12).reshape(3, 4)))


def test_randomness_comes_from_the_seeded_shared_generator_or_rng():
    """manual_seed makes masks reproducible; rng= uses that generator and leaves the shared one
    untouched."""
    x = Tensor(np.ones((8, 8)))
    autograd.manual_seed(7)
    first = F.dropout(x, 0.5).data
    autograd.manual_seed(7)
    assert (F.dropout(x, 0.5).data == first).all()
    autograd.manual_seed(7)
    own = F.dropout(x, 0.5, rng=np.random.default_rng(99)).data
    assert (F.dropout(x, 0.5).data == first).all()      # shared generator not advanced
    assert not (own == first).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    x = Tensor(np.ones(10, dtype=dtype), requires_grad=True)
    y = F.dropout(x, 0.3, rng=np.random.default_rng(0))
    y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "0.5", None])
def test_p_outside_zero_one_is_an_error(p):
    with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\)"):
        F.dropout(Tensor([1.0]), p)


def test_dropout_of_a_value_is_a_type_error():
    with pytest.raises(TypeError, match="dropout: expects a Tensor, got a Value"):
        F.dropout(Value(1.0), 0.5)
