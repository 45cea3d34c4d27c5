"""PyTorch's torch.special: `autograd.special.i0(x)`, `.xlog1py(x, y)`, `.entr(p)`, ... under
PyTorch's names and arguments (`input`, `other`, `n`, `dim`, `dtype`; `out=` refused, as
everywhere here). Each takes Tensors or numbers (a number becomes a Tensor, in the dtype of a
tensor beside it); integer tensors give the default float dtype, float32 stays float32. The
numerics are float64 and their own (autograd/ops/bessel*.py, airy.py, erfcx.py, ndtri.py,
zeta.py, entropy_terms.py, orthogonal_polynomials.py, incomplete_gamma.py); their accuracy is in those files'
docstrings and tests/test_special_*.py.

    already Tensor methods    erf erfc erfinv expit (sigmoid) logit exp2 expm1 log1p gammaln
                              (lgamma) digamma psi polygamma multigammaln (mvlgamma) ndtr
                              log_ndtr sinc xlogy round softmax log_softmax logsumexp
    new, differentiable       i0 i0e i1 i1e (to any order), ndtri, erfcx, entr, xlog1py;
                              zeta(x, q) for q (-x ζ(x + 1, q)), not for x, as PyTorch;
                              gammainc gammaincc (incomplete_gamma.py), in x and in a
    new, no derivative        bessel_j0 bessel_j1 bessel_y0 bessel_y1 modified_bessel_i0
    (as PyTorch: backward     modified_bessel_i1 modified_bessel_k0 modified_bessel_k1
    reaching one raises,      scaled_modified_bessel_k0 scaled_modified_bessel_k1
    naming it)                spherical_bessel_j0 airy_ai, and the polynomials
                              chebyshev_polynomial_t/u/v/w (and shifted_), hermite_polynomial_h
                              /he, laguerre_polynomial_l, legendre_polynomial_p (input, n)

Where glassgrad differs from PyTorch on purpose: PyTorch gives the functions it does not
differentiate no history (a loss through one of them alone cannot backward; with other paths
their share is silently left out), here backward raises there; and the limits at ±inf are the
functions' own (i0(±inf) = inf, J, Y, airy_ai -> 0) where PyTorch gives NaN.

The Bessel functions (i0 differentiates, its slope is i1):

>>> import autograd
>>> from autograd import special
>>> x = autograd.tensor([0.0, 1.0, 1000.0], dtype=autograd.float64, requires_grad=True)
>>> special.i0e(x).tolist()                       # i0(1000) overflows, i0e not
[1.0, 0.46575960759364..., 0.01261724045589...]
>>> special.i0(x[:2]).sum().backward(); x.grad.tolist()
[0.0, 0.565159103992485..., 0.0]
>>> special.bessel_j0(2.0).item(), special.airy_ai(0.0).item()      # float32, numbers'
(0.22389078..., 0.355028...)

The normal distribution's tails and the entropies:

>>> p = autograd.tensor([1e-300, 0.5, 0.975], dtype=autograd.float64)
>>> special.ndtri(p).tolist()
[-37.04709629936..., 0.0, 1.95996398454005...]
>>> special.erfcx(autograd.tensor([30.0, 0.0])).tolist()     # e^900 erfc(30): no overflow
[0.01879588..., 1.0]
>>> special.entr(autograd.tensor([0.0, 0.5, -1.0])).tolist()
[0.0, 0.34657359..., -inf]
>>> special.xlog1py(0.0, autograd.tensor([-1.0])).item()     # 0 · ln 0 is 0
0.0

Zeta and the polynomials:

>>> special.zeta(2.0, autograd.tensor([1.0], dtype=autograd.float64)).item() * 6    # π²
9.86960440108935...
>>> special.chebyshev_polynomial_t(autograd.tensor([0.5, 2.0]), 3).tolist()   # 4x³ - 3x
[-1.0, 26.0]
>>> special.hermite_polynomial_h(autograd.tensor([1.0]), autograd.tensor([0, 1, 2])).tolist()
[1.0, 2.0, 2.0]
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from .graph import apply
from .ops.airy import airy_ai as _airy_ai
from .ops.bessel import (bessel_j0 as _j0, bessel_j1 as _j1, bessel_y0 as _y0,
                         bessel_y1 as _y1, spherical_bessel_j0 as _spherical_j0)
from .ops.bessel_modified import (
    I0, I0e, I1, I1e, modified_bessel_i0 as _i0, modified_bessel_i1 as _i1,
    modified_bessel_k0 as _k0, modified_bessel_k1 as _k1,
    scaled_modified_bessel_k0 as _k0e, scaled_modified_bessel_k1 as _k1e,
)
from .ops.entropy_terms import Entr, XLog1pY
from .ops.erfcx import Erfcx
from .ops.incomplete_gamma import gammainc as _gammainc, gammaincc as _gammaincc
from .ops.ndtri import Ndtri
from .ops.no_gradient import NoGradient
from .ops.orthogonal_polynomials import polynomial
from .ops.zeta import Zeta
from .pytorch_names import refuse_out
from .tensor import Tensor

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma",
    "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1",
    "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e",
    "laguerre_polynomial_l", "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax",
    "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
    "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0", "xlog1py",
    "xlogy", "zeta",
]


def _tensor(x: Any, beside: Any = None) -> Tensor:
    """x as a Tensor: a number or an array made one (a number in the dtype of a floating
    tensor `beside` it, as autograd's operators do), integers in the default float dtype."""
    if not isinstance(x, Tensor):
        x = beside._operand(x) if isinstance(beside, Tensor) else Tensor(x)
    return x._floating()


def _pair(name: str, input: Any, other: Any) -> tuple[Tensor, Tensor]:
    """input and other as floating Tensors of one dtype (PyTorch's promotion)."""
    a = _tensor(input, other if isinstance(other, Tensor) else None)
    b = _tensor(other, a)
    if a.data.dtype != b.data.dtype:
        dtype = np.promote_types(a.data.dtype, b.data.dtype)
        a, b = a.astype(dtype), b.astype(dtype)
    return a, b


def _method(name: str, method: str, doc: str) -> Callable:
    """A one-input function that is the Tensor method `method` (erf is x.erf())."""
    def function(input: Any, *, out: Any = None) -> Tensor:
        refuse_out(f"special.{name}", out)
        return getattr(_tensor(input), method)()
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


erf = _method("erf", "erf", "erf(x) = 2/√π ∫₀ˣ e^(-t²) dt: x.erf().")
erfc = _method("erfc", "erfc", "1 - erf(x), keeping its digits in the tail: x.erfc().")
erfinv = _method("erfinv", "erfinv", "The inverse of erf on [-1, 1]: x.erfinv().")
expit = _method("expit", "sigmoid", "The logistic 1 / (1 + e^-x): x.sigmoid().")
exp2 = _method("exp2", "exp2", "2^x: x.exp2().")
expm1 = _method("expm1", "expm1", "e^x - 1, exact for tiny x: x.expm1().")
log1p = _method("log1p", "log1p", "ln(1 + x), exact for tiny x: x.log1p().")
gammaln = _method("gammaln", "lgamma", "ln |Γ(x)|: x.lgamma().")
digamma = _method("digamma", "digamma", "ψ(x) = d/dx ln Γ(x): x.digamma().")
psi = _method("psi", "digamma", "ψ(x), digamma: x.digamma().")
ndtr = _method("ndtr", "ndtr", "Φ(x), the standard normal CDF: x.ndtr().")
log_ndtr = _method("log_ndtr", "log_ndtr", "log Φ(x), finite far left: x.log_ndtr().")
sinc = _method("sinc", "sinc", "sin(πx)/(πx), 1 at 0: x.sinc().")


def round(input: Any, *, decimals: int = 0, out: Any = None) -> Tensor:
    """input rounded to `decimals` places, halves to even (a constant): x.round()."""
    refuse_out("special.round", out)
    x = input if isinstance(input, Tensor) else Tensor(input)
    return x.round(decimals=decimals)


def logit(input: Any, eps: float | None = None, *, out: Any = None) -> Tensor:
    """ln(x / (1 - x)), of x clamped to [eps, 1 - eps] if eps is given: x.logit(eps)."""
    refuse_out("special.logit", out)
    return _tensor(input).logit(eps)


def polygamma(n: int, input: Any, *, out: Any = None) -> Tensor:
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma, n first (PyTorch's order): x.polygamma(n)."""
    refuse_out("special.polygamma", out)
    return _tensor(input).polygamma(n)


def multigammaln(input: Any, p: int, *, out: Any = None) -> Tensor:
    """The log of the multivariate gamma function of dimension p: x.mvlgamma(p)."""
    refuse_out("special.multigammaln", out)
    return _tensor(input).mvlgamma(p)


def xlogy(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """x ln y, 0 where x is 0: x.xlogy(y) (either may be a number)."""
    refuse_out("special.xlogy", out)
    x, y = _pair("xlogy", input, other)
    return x.xlogy(y)


def softmax(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """e^x / Σ e^x along dim (cast to dtype first, if given): x.softmax(dim=dim)."""
    return _tensor(input).softmax(dim=dim, dtype=dtype)


def log_softmax(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along dim (cast to dtype first, if given): x.log_softmax(dim=dim)."""
    return _tensor(input).log_softmax(dim=dim, dtype=dtype)


def logsumexp(input: Any, dim: Any, keepdim: bool = False, *, out: Any = None) -> Tensor:
    """ln Σ e^x along dim, without overflow: x.logsumexp(dim=dim, keepdim=keepdim)."""
    refuse_out("special.logsumexp", out)
    return _tensor(input).logsumexp(dim=dim, keepdim=keepdim)


# -- new ops with derivatives ---------------------------------------------------------------

def _op(name: str, op: type, doc: str) -> Callable:
    def function(input: Any, *, out: Any = None) -> Tensor:
        refuse_out(f"special.{name}", out)
        return apply(op, (_tensor(input),))
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


i0 = _op("i0", I0, "I₀(x), the modified Bessel function of order 0; slope I₁(x).")
i0e = _op("i0e", I0e, "I₀(x) e^(-|x|), finite at any x; slope I₁e(x) - sign(x) I₀e(x).")
i1 = _op("i1", I1, "I₁(x); slope I₀(x) - I₁(x)/x (1/2 at 0).")
i1e = _op("i1e", I1e, "I₁(x) e^(-|x|); slope I₀e(x) - I₁e(x)/x - sign(x) I₁e(x).")
ndtri = _op("ndtri", Ndtri, "Φ⁻¹(p), the standard normal quantile; slope √(2π) e^(y²/2).")
erfcx = _op("erfcx", Erfcx, "e^(x²) erfc(x), finite far right; slope 2x erfcx(x) - 2/√π.")
entr = _op("entr", Entr, "-x ln x, 0 at 0, -inf below 0; slope -(ln x + 1).")


def xlog1py(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """x ln(1 + y), 0 where x is 0 (unless y is NaN); slopes ln(1 + y) and x / (1 + y)."""
    refuse_out("special.xlog1py", out)
    x, y = _pair("xlog1py", input, other)
    return x._binary(XLog1pY, x, y)


def gammainc(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """P(a, x), the regularised lower incomplete gamma function for a = input, x = other (the
    CDF of Gamma(a, 1) at x); slopes in x and, unlike PyTorch's, in a
    (autograd/ops/incomplete_gamma.py)."""
    refuse_out("special.gammainc", out)
    return _gammainc(*_pair("gammainc", input, other))


def gammaincc(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Q(a, x) = 1 - P(a, x), the regularised upper incomplete gamma function for a = input,
    x = other; slopes as gammainc's, with the opposite signs."""
    refuse_out("special.gammaincc", out)
    return _gammaincc(*_pair("gammaincc", input, other))


def zeta(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """The Hurwitz zeta function ζ(x, q) = Σₖ (q + k)^(-x) for x = input, q = other; slope
    -x ζ(x + 1, q) for q, none for x (an error if x wants a gradient, as in PyTorch)."""
    refuse_out("special.zeta", out)
    x, q = _pair("zeta", input, other)
    return apply(Zeta, (x, q), (x.requires_grad, q.requires_grad))


# -- new functions without derivatives (PyTorch has none) -----------------------------------

def _no_gradient(name: str, function: Callable, doc: str) -> Callable:
    def special_function(input: Any, *, out: Any = None) -> Tensor:
        refuse_out(f"special.{name}", out)
        x = _tensor(input)
        return apply(NoGradient, (x,), (name, function, x.data.dtype))
    special_function.__name__ = special_function.__qualname__ = name
    special_function.__doc__ = doc + " No derivative (PyTorch's has none): backward raises."
    return special_function


bessel_j0 = _no_gradient("bessel_j0", _j0, "J₀(x), the Bessel function of the first kind.")
bessel_j1 = _no_gradient("bessel_j1", _j1, "J₁(x), the Bessel function of the first kind.")
bessel_y0 = _no_gradient("bessel_y0", _y0, "Y₀(x), of the second kind: NaN below 0, -inf at 0.")
bessel_y1 = _no_gradient("bessel_y1", _y1, "Y₁(x), of the second kind: NaN below 0, -inf at 0.")
modified_bessel_i0 = _no_gradient("modified_bessel_i0", _i0,
                                  "I₀(x) (special.i0 is the same, and differentiates).")
modified_bessel_i1 = _no_gradient("modified_bessel_i1", _i1,
                                  "I₁(x) (special.i1 is the same, and differentiates).")
modified_bessel_k0 = _no_gradient("modified_bessel_k0", _k0, "K₀(x): NaN below 0, inf at 0.")
modified_bessel_k1 = _no_gradient("modified_bessel_k1", _k1, "K₁(x): NaN below 0, inf at 0.")
scaled_modified_bessel_k0 = _no_gradient("scaled_modified_bessel_k0", _k0e,
                                         "K₀(x) e^x, finite where K₀ underflows.")
scaled_modified_bessel_k1 = _no_gradient("scaled_modified_bessel_k1", _k1e,
                                         "K₁(x) e^x, finite where K₁ underflows.")
spherical_bessel_j0 = _no_gradient("spherical_bessel_j0", _spherical_j0,
                                   "j₀(x) = sin(x)/x, 1 at 0.")
airy_ai = _no_gradient("airy_ai", _airy_ai, "Ai(x), the Airy function.")


def _polynomial(name: str) -> Callable:
    """PyTorch's <name>(input, n), one of ops/orthogonal_polynomials.py's NAMES."""
    def special_function(input: Any, n: Any, *, out: Any = None) -> Tensor:
        refuse_out(f"special.{name}", out)
        if isinstance(n, bool) or not isinstance(n, (numbers.Real, Tensor, np.ndarray)):
            raise TypeError(f"{name}: n is the degree, a number or a tensor of them, got "
                            f"{type(n).__name__}")
        x = _tensor(input)
        if isinstance(n, Tensor) and n.data.dtype.kind == "f":     # (PyTorch's promotion)
            x = x.astype(np.promote_types(x.data.dtype, n.data.dtype))
        degree = n if isinstance(n, Tensor) else Tensor(np.asarray(n))
        return apply(NoGradient, (x, degree), (name, lambda x, n: polynomial(name, x, n),
                                               x.data.dtype))
    special_function.__name__ = special_function.__qualname__ = name
    special_function.__doc__ = (
        f"PyTorch's {name}(input, n): the polynomial of degree n (taken towards 0 to a whole "
        f"number; 0 for n < 0) at input, by its recurrence (ops/orthogonal_polynomials.py). "
        f"No derivative (PyTorch's has none): backward raises.")
    return special_function


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w")
hermite_polynomial_h = _polynomial("hermite_polynomial_h")
hermite_polynomial_he = _polynomial("hermite_polynomial_he")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l")
legendre_polynomial_p = _polynomial("legendre_polynomial_p")
