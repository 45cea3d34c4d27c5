"""autograd.special as PyTorch's torch.special: every function of its list, PyTorch's
argument names, out= refused, numbers made Tensors, dtypes (float32 kept, integers the default
float dtype), no warning at ±1000, ±inf and NaN in either dtype, forward or backward, and the
aliases' values against PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd
from autograd import Tensor, special

from torch_helpers import needs_torch, torch

UNARY = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "digamma", "entr",
         "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i0e",
         "i1", "i1e", "log1p", "log_ndtr", "modified_bessel_i0", "modified_bessel_i1",
         "modified_bessel_k0", "modified_bessel_k1", "ndtr", "ndtri", "psi",
         "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "sinc",
         "spherical_bessel_j0"]
BINARY = ["xlog1py", "xlogy", "zeta", "gammainc", "gammaincc"]
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
               "laguerre_polynomial_l", "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
               "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w"]
OTHERS = ["log_softmax", "logit", "logsumexp", "multigammaln", "polygamma", "round", "softmax"]
WITHOUT_DERIVATIVE = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
                      "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
                      "modified_bessel_k1", "scaled_modified_bessel_k0",
                      "scaled_modified_bessel_k1", "spherical_bessel_j0"]


def test_every_name_is_there():
    names = set(UNARY + BINARY + POLYNOMIALS + OTHERS)
    assert names == set(special.__all__)
    for name in names:
        assert callable(getattr(special, name)) and getattr(special, name).__doc__, name


@needs_torch
def test_the_list_is_pytorchs():
    assert set(torch.special.__all__) == set(special.__all__)


@pytest.mark.parametrize("name", UNARY + BINARY + POLYNOMIALS + ["logit", "multigammaln",
                                                                  "polygamma", "round",
                                                                  "logsumexp"])
def test_out_is_refused(name):
    f = getattr(special, name)
    x = Tensor([2.5])
    args = {"polygamma": (1, x), "multigammaln": (x, 2), "logsumexp": (x, 0)}.get(
        name, (x, x) if name in BINARY else (x, 2) if name in POLYNOMIALS else (x,))
    with pytest.raises(TypeError, match=rf"special\.{name}: out= is not supported"):
        f(*args, out=Tensor([0.0]))


@pytest.mark.parametrize("name", UNARY)
def test_dtypes_and_numbers(name):
    f = getattr(special, name)
    assert f(Tensor([0.5], dtype=np.float32)).dtype == np.float32
    assert f(Tensor([0.5], dtype=np.float64)).dtype == np.float64
    assert f(Tensor([1, 2])).dtype == autograd.get_default_dtype()
    assert f(0.25).shape == () and f(0.25).dtype == autograd.get_default_dtype()


def test_binary_and_polynomial_dtypes():
    for name in BINARY:
        f = getattr(special, name)
        assert f(2.0, Tensor([1.5], dtype=np.float64)).dtype == np.float64
        assert f(Tensor([2.0], dtype=np.float32), 1.5).dtype == np.float32
        assert f(Tensor([2]), Tensor([3])).dtype == np.float32
        assert f(Tensor([2.0], dtype=np.float32), Tensor([1.5], dtype=np.float64)).dtype == \
            np.float64
    for name in POLYNOMIALS:
        assert getattr(special, name)(Tensor([0.5], dtype=np.float32), 3).dtype == np.float32


EXTREMES = [-1000.0, -30.0, -1e-30, 0.0, -0.0, 1e-30, 0.5, 30.0, 1000.0, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_warnings_at_the_extremes(dtype):
    """Forward at every extreme; backward too for the differentiable ones (its numbers may
    be inf or NaN there, as PyTorch's, but quietly). Not the aliases whose Tensor methods
    overflow with numpy's warning, as x.exp() does everywhere here: exp2 and expm1 at 1000, and
    the float32 gamma family's slopes at -1e-30 (ψ'(-1e-30) = 1e60 is inf in float32); nor
    log1p, which warns below -1 as x.log() does below 0, nor sinc at ±inf (numpy's sin(inf))."""
    loud = {"exp2", "expm1", "log1p", "sinc"}
    if dtype == np.float32:
        loud |= {"digamma", "psi", "gammaln"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in UNARY + POLYNOMIALS + BINARY:
            if name in loud:
                continue
            x = Tensor(np.array(EXTREMES, dtype), requires_grad=True)
            f = getattr(special, name)
            if name in POLYNOMIALS:
                out = f(x, 7)
            elif name in BINARY:
                out = f(x, Tensor(np.array(EXTREMES[::-1], dtype)))
            else:
                out = f(x)
            assert out.dtype == dtype, name
            if name not in WITHOUT_DERIVATIVE + POLYNOMIALS + ["zeta"]:
                out.backward(np.ones(out.shape, dtype))


@pytest.mark.parametrize("name", WITHOUT_DERIVATIVE)
def test_no_derivative_raises_naming_the_function(name):
    """PyTorch gives these results no history: backward through one alone fails, and with
    other paths its share is silently left out. Here backward raises, naming it."""
    x = Tensor([0.7, 1.3], dtype=np.float64, requires_grad=True)
    out = getattr(special, name)(x)
    assert out.requires_grad
    with pytest.raises(RuntimeError, match=rf"^{name}: no derivative \(PyTorch's "
                                           rf"torch\.special\.{name} has none either\)"):
        (out * x).sum().backward()
    with autograd.no_grad():
        assert not getattr(special, name)(x).requires_grad
    assert getattr(special, name)(x.detach()).tolist() == out.tolist()


@needs_torch
def test_aliases_against_pytorch():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (3, 4))
    p = rng.uniform(0.02, 0.98, (3, 4))
    y = rng.uniform(0.1, 3, (3, 4))
    t = torch.tensor
    cases = {
        "erf": (x,), "erfc": (x,), "erfinv": (p * 2 - 1,), "expit": (x,), "exp2": (x,),
        "expm1": (x,), "log1p": (y,), "gammaln": (y,), "digamma": (y,), "psi": (y,),
        "ndtr": (x,), "log_ndtr": (x,), "sinc": (x,), "xlogy": (p, y), "logit": (p,),
    }
    for name, args in cases.items():
        np.testing.assert_allclose(getattr(special, name)(*map(Tensor, args)).data,
                                   getattr(torch.special, name)(*map(t, args)).numpy(),
                                   rtol=1e-13, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(special.logit(Tensor(p), eps=0.1).data,
                               torch.special.logit(t(p), eps=0.1).numpy(), rtol=1e-14)
    np.testing.assert_allclose(special.polygamma(2, Tensor(y)).data,
                               torch.special.polygamma(2, t(y)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(special.multigammaln(Tensor(y + 2), 3).data,
                               torch.special.multigammaln(t(y + 2), 3).numpy(), rtol=1e-13)
    for name in ("softmax", "log_softmax"):
        np.testing.assert_allclose(getattr(special, name)(Tensor(x), 1).data,
                                   getattr(torch.special, name)(t(x), 1).numpy(), rtol=1e-13)
        assert getattr(special, name)(Tensor(x), 0, dtype=autograd.float32).dtype == np.float32
    np.testing.assert_allclose(special.logsumexp(Tensor(x), 1, keepdim=True).data,
                               torch.special.logsumexp(t(x), 1, keepdim=True).numpy(), rtol=1e-14)
    np.testing.assert_allclose(special.round(Tensor(x * 10)).data,
                               torch.special.round(t(x * 10)).numpy())
    assert special.round(Tensor([2, 3])).dtype == np.int64


@needs_torch
def test_i0_is_also_a_tensor_method_and_torch_i0():
    x = np.array([-2.0, 0.3, 9.0])
    assert Tensor(x).i0().tolist() == special.i0(Tensor(x)).tolist()
    assert autograd.i0(Tensor(x)).tolist() == special.i0(Tensor(x)).tolist()
    np.testing.assert_allclose(Tensor(x).i0().data, torch.i0(torch.tensor(x)).numpy(),
                               rtol=1e-14)


def test_pytorchs_argument_names():
    x = Tensor([[0.1, 0.9]], dtype=np.float64)
    assert special.softmax(input=x, dim=1).shape == (1, 2)
    assert special.logit(input=x, eps=0.2).shape == (1, 2)
    assert special.xlog1py(input=x, other=x).shape == (1, 2)
    assert special.zeta(input=Tensor([2.0]), other=Tensor([1.0])).shape == (1,)
    assert special.chebyshev_polynomial_t(input=x, n=2).shape == (1, 2)
    assert special.polygamma(n=1, input=x).shape == (1, 2)
    assert special.multigammaln(input=x + 2, p=2).shape == (1, 2)
