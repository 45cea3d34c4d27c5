"""The regularised incomplete gamma functions, P(a, x) = γ(a, x) / Γ(a) (the lower, the CDF of a
Gamma(a, 1) variable) and Q(a, x) = 1 - P(a, x) (the upper), with their derivatives in x and
in a, for float64 arrays (numpy has none, scipy is not a dependency); as an op (`gammainc`,
`gammaincc` take Tensors); and the implicit reparameterisation of a Gamma(a, 1) draw z, whose
slope dz/da = -(∂P/∂a)(a, z) / p(z; a) comes from them (what Gamma, Dirichlet, Beta, Chi2 and
StudentT's rsample are made of).

Two expansions, each with its derivative in a taken term by term alongside it:

    x < a + 1   P = x^a e^-x / Γ(a+1) · S,   S = Σₙ tₙ,  t₀ = 1,  tₙ = tₙ₋₁ · x / (a + n)
                ∂P/∂a = x^a e^-x / Γ(a+1) · (S (ln x - ψ(a+1)) - D),  D = Σₙ tₙ hₙ,
                hₙ = Σₖ₌₁ⁿ 1/(a + k)  (∂tₙ/∂a = -tₙ hₙ; every term positive: no cancellation)
    otherwise   Q = x^a e^-x / Γ(a) · F,  F = 1/(x+1-a - 1(1-a)/(x+3-a - 2(2-a)/(x+5-a - ...)))
                ∂Q/∂a = x^a e^-x / Γ(a) · (F (ln x - ψ(a)) + ∂F/∂a), F and ∂F/∂a from the
                fraction's three-term recurrences for numerators and denominators, the
                derivative recurrences beside them (rescaled each step)

and the other of P, Q as 1 minus it. ∂P/∂x = p(x; a) = x^(a-1) e^-x / Γ(a), the Gamma density.
Both loops run on the entries not yet converged only (terms below 1e-17 of the sum); they
need about 5 √a steps near x = a, so a = 1e6 takes ~5000.

Accuracy (float64, against mpmath at 50-60 digits; tests/test_incomplete_gamma.py keeps it):
over a in [1e-3, 1e3] and x from 1e-300 to 1e4 (near 0, near a, both sides of the switch at
a + 1, far beyond a; and 400 random points) the worst relative errors measured are 1.5e-12 for P
(a = 999, x = 1000: the prefactor's exponent a ln x - x is ~6000, its rounding is what is
left), 1.8e-12 for Q (a = 1e-3, x = 1, where Q = 1 - P is 2e-4) and 1.7e-12 for ∂P/∂a
(a = 999, x = 1998). Q is 1 - P left of a + 1, so where P is within 1e-6 of 1 there (a tiny,
x near 1) Q keeps only ~10 digits.
The ratio (∂P/∂a) / p(x; a), what a draw's slope needs, is computed without the prefactor
x^a e^-x / Γ(a), so it stays finite where both underflow (a draw of 1e-300 at a = 0.01).

>>> P, dPda, pdf = gammainc_parts(np.array([1.0, 3.0]), np.array([2.0, 2.0]))[:3]
>>> P.round(8).tolist()                       # 1 - e^-2, and 1 - 5 e^-2
[0.86466472, 0.32332358]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Node, Op, apply
from .elementwise import XLogY, xlogy
from .special import lgamma, polygamma

#: a term below this fraction of the sum ends a loop (a few units past float64's 2.2e-16)
TOLERANCE = 1e-17
#: the most steps a loop takes (a = 1e8 near x = a would need ~50,000: beyond, unconverged)
MAX_STEPS = 20000


def _series(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """S = Σ tₙ and D = Σ tₙ hₙ (the module's docstring), for 0 < x < a + 1, 1-d arrays."""
    s, d = np.ones_like(a), np.zeros_like(a)
    t, h = np.ones_like(a), np.zeros_like(a)
    todo = np.arange(a.size)
    aa, xx = a, x
    for n in range(1, MAX_STEPS + 1):
        k = aa + n
        t = t * xx / k
        h = h + 1 / k
        s[todo] += t
        step = t * h
        d[todo] += step
        going = (t > TOLERANCE * s[todo]) | (step > TOLERANCE * d[todo])
        if not going.all():
            todo, aa, xx, t, h = todo[going], aa[going], xx[going], t[going], h[going]
            if todo.size == 0:
                break
    return s, d


def _fraction(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F and ∂F/∂a (the module's docstring), for x >= a + 1, 1-d arrays: F = Aₙ / Bₙ with
    Aₙ = bₙ Aₙ₋₁ + cₙ Aₙ₋₂ (and Bₙ alike), bₙ = x + 2n - 1 - a, c₁ = 1, cₙ = -(n-1)(n-1-a);
    their derivatives in a follow from the product rule (∂bₙ/∂a = -1, ∂cₙ/∂a = n - 1). Each
    step divides all eight numbers by Bₙ, which leaves the ratios alone and keeps them finite."""
    # (A, B) at n - 2 and n - 1, and their a-derivatives: A₋₁ = 1, A₀ = 0, B₋₁ = 0, B₀ = 1
    zero, one = np.zeros_like(a), np.ones_like(a)
    a2, a1, b2, b1 = one, zero, zero, one.copy()
    da2, da1, db2, db1 = zero, zero, zero, zero
    f, df = np.zeros_like(a), np.zeros_like(a)
    todo = np.arange(a.size)
    aa, xx = a, x
    for n in range(1, MAX_STEPS + 1):
        b = xx + (2 * n - 1) - aa
        if n == 1:
            c, dc = 1.0, 0.0
        else:
            c, dc = -(n - 1) * ((n - 1) - aa), float(n - 1)
        a0 = b * a1 + c * a2
        b0 = b * b1 + c * b2
        da0 = -a1 + b * da1 + dc * a2 + c * da2
        db0 = -b1 + b * db1 + dc * b2 + c * db2
        scale = 1 / b0
        a2, a1, b2, b1 = a1 * scale, a0 * scale, b1 * scale, one[:aa.size]
        da2, da1, db2, db1 = da1 * scale, da0 * scale, db1 * scale, db0 * scale
        new_f = a1                                     # A / B with B scaled to 1
        new_df = da1 - new_f * db1                     # (A' B - A B') / B², B = 1
        old_f, old_df = f[todo], df[todo]
        f[todo], df[todo] = new_f, new_df
        going = ((np.abs(new_f - old_f) > TOLERANCE * np.abs(new_f))
                 | (np.abs(new_df - old_df) > TOLERANCE * np.abs(new_df)))
        if n > 1 and not going.all():
            todo, aa, xx = todo[going], aa[going], xx[going]
            a2, a1, b2, b1 = a2[going], a1[going], b2[going], b1[going]
            da2, da1, db2, db1 = da2[going], da1[going], db2[going], db1[going]
            if todo.size == 0:
                break
    return f, df


def gammainc_parts(a: Any, x: Any) -> tuple[np.ndarray, ...]:
    """P(a, x), ∂P/∂a, p(x; a) = ∂P/∂x, Q(a, x) and the ratio (∂P/∂a) / p(x; a), broadcast,
    in float64; NaN where a <= 0, x < 0 or either is NaN. At x = 0: P = 0, ∂P/∂a = 0, ratio 0;
    at x = inf: P = 1, ∂P/∂a = 0, p = 0."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.ravel(), x.ravel()
    p, dpda, q, ratio = (np.full(a.shape, np.nan) for _ in range(4))
    ok = (a > 0) & (a < np.inf) & (x >= 0)            # (False for NaN)
    p[ok & (x == 0)], q[ok & (x == 0)] = 0.0, 1.0
    p[ok & (x == np.inf)], q[ok & (x == np.inf)] = 1.0, 0.0
    dpda[ok & ((x == 0) | (x == np.inf))] = 0.0
    ratio[ok & (x == 0)] = 0.0
    inside = ok & (x > 0) & (x < np.inf)
    left = inside & (x < a + 1)
    right = inside & ~left
    if left.any():
        al, xl = a[left], x[left]
        s, d = _series(al, xl)
        slope = s * (np.log(xl) - polygamma(0, al + 1)) - d
        head = np.exp(al * np.log(xl) - xl - lgamma(al + 1))
        p[left] = head * s
        q[left] = 1 - p[left]
        dpda[left] = head * slope
        ratio[left] = xl / al * slope                  # head / p(x; a) = x / a
    if right.any():
        ar, xr = a[right], x[right]
        f, df = _fraction(ar, xr)
        slope = f * (np.log(xr) - polygamma(0, ar)) + df
        head = np.exp(ar * np.log(xr) - xr - lgamma(ar))
        q[right] = head * f
        p[right] = 1 - q[right]
        dpda[right] = -head * slope
        ratio[right] = -xr * slope                     # head / p(x; a) = x
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # the density, with x^(a-1) at x = 0 as 0 ** (a - 1): inf for a < 1, 1 for a = 1
        density = np.where(ok, np.exp(xlogy(a - 1, x) - x - lgamma(a)), np.nan)
    density[ok & (x == np.inf)] = 0.0
    return tuple(v.reshape(shape) for v in (p, dpda, density, q, ratio))


def _density(a: Any, x: Any) -> Any:
    """p(x; a) = x^(a-1) e^-x / Γ(a) for nodes (a higher-order rule records it) or arrays."""
    if isinstance(x, Node):
        return (apply(XLogY, (a - 1, x)) - x - a.lgamma()).exp()
    return gammainc_parts(a, x)[2].astype(np.result_type(a, x), copy=False)


class Gammainc(Op):
    """P(a, x) (ctx False) or Q(a, x) = 1 - P (ctx True), regularised incomplete gamma;
    d/dx P = x^(a-1) e^-x / Γ(a), d/da P from its series or continued fraction (Q: minus)"""
    name, broadcasting = "gammainc", True

    @classmethod
    def describe(cls, upper: Any) -> str:
        return "gammaincc" if upper else "gammainc"

    @staticmethod
    def forward(upper, a, x):
        p, _, _, q, _ = gammainc_parts(a, x)
        return (q if upper else p).astype(np.result_type(a, x), copy=False)

    @staticmethod
    def backward(upper, g, out, a, x):
        sign = -1.0 if upper else 1.0
        if isinstance(g, Node):             # higher order: both slopes as nodes of a and x
            return g * apply(GammaincSlopeA, (a, x)) * sign, g * _density(a, x) * sign
        _, dpda, density, _, _ = gammainc_parts(a, x)
        dtype = np.result_type(a, x)
        return g * (sign * dpda).astype(dtype), g * (sign * density).astype(dtype)


class GammaincSlopeA(Op):
    """∂P/∂a (a, x), gammainc's slope in a, for higher-order rules;  d/dx = p(x; a) (ln x - ψ(a));
    d/da (∂²P/∂a²) is not built"""
    name, broadcasting = "gammainc_slope_a", True

    @staticmethod
    def forward(ctx, a, x):
        return gammainc_parts(a, x)[1].astype(np.result_type(a, x), copy=False)

    @staticmethod
    def backward(ctx, g, out, a, x):
        raise NotImplementedError(
            "gammainc: its second derivative in a (∂²P/∂a²) is not built; second derivatives "
            "in x alone are (differentiate twice a function of x only)")


class StandardGammaDraw(Op):
    """z, a Gamma(a, 1) draw (ctx: the float64 draws) as a function of a, by implicit
    reparameterisation: P(a, z) = u held fixed gives dz/da = -(∂P/∂a)(a, z) / p(z; a)"""
    name = "standard_gamma"

    @staticmethod
    def forward(z, a):
        return z.astype(a.dtype)

    @staticmethod
    def backward(z, g, out, a):
        if isinstance(g, Node):             # higher order: the slope as a node of a
            return (g * apply(StandardGammaSlope, (a,), z),)
        return (g * StandardGammaSlope.forward(z, a),)


class StandardGammaSlope(Op):
    """dz/da = -(∂P/∂a)(a, z) / p(z; a) of a Gamma(a, 1) draw z (ctx), StandardGammaDraw's
    slope, for higher-order rules; its own derivative in a is not built"""
    name = "standard_gamma_slope"

    @staticmethod
    def forward(z, a):
        return (-gammainc_parts(a, z)[4]).astype(a.dtype, copy=False)

    @staticmethod
    def backward(z, g, out, a):
        raise NotImplementedError(
            "rsample of a Gamma (Dirichlet, Beta, Chi2, StudentT): its draw's second "
            "derivative in the concentration is not built")


def _operands(where: str, a: Any, x: Any) -> tuple:
    """a and x as floating Tensors of one dtype (a number takes the other's dtype)."""
    from ..tensor import Tensor, get_default_dtype
    given = {"a": a, "x": x}
    for name, v in given.items():
        if not isinstance(v, Tensor) and not (isinstance(v, (int, float, np.ndarray, np.generic))
                                              and not isinstance(v, bool)):
            raise TypeError(f"{where}: {name} must be a Tensor or a number, got "
                            f"{type(v).__name__}")
    floats = [v.data.dtype for v in given.values()
              if isinstance(v, (Tensor, np.ndarray)) and v.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else get_default_dtype()
    out = []
    for name, v in given.items():
        t = v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=dtype))
        if t.data.dtype.kind not in "biuf":
            raise TypeError(f"{where}: {name} must hold numbers, got dtype {t.data.dtype}")
        out.append(t if t.data.dtype == dtype else t.astype(dtype))
    try:
        np.broadcast_shapes(out[0].shape, out[1].shape)
    except ValueError:
        raise ValueError(f"{where}: a of shape {out[0].shape} and x of shape {out[1].shape} do "
                         f"not broadcast together") from None
    return tuple(out)


def gammainc(a: Any, x: Any) -> Any:
    """P(a, x) = (1/Γ(a)) ∫₀ˣ tᵃ⁻¹ e⁻ᵗ dt, the regularised lower incomplete gamma function
    (PyTorch's torch.special.gammainc), for a > 0 and x >= 0 (NaN elsewhere), elementwise with
    broadcasting. Differentiable in x (slope x^(a-1) e^-x / Γ(a), the Gamma density) and, unlike
    PyTorch's, in a too (to ~1e-9 relatively; its own derivative in a is not built).

    >>> from autograd import Tensor
    >>> a = Tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    >>> P = gammainc(a, Tensor([1.0, 1.0], dtype=np.float64))
    >>> [round(v, 6) for v in P.tolist()]          # 1 - e^-1, 1 - 2 e^-1
    [0.632121, 0.264241]
    >>> P.sum().backward(); [round(v, 6) for v in a.grad.tolist()]
    [-0.43173, -0.276196]
    """
    a, x = _operands("gammainc", a, x)
    return apply(Gammainc, (a, x), False)


def gammaincc(a: Any, x: Any) -> Any:
    """Q(a, x) = 1 - P(a, x), the regularised upper incomplete gamma function (PyTorch's
    torch.special.gammaincc): the survival function of Gamma(a, 1); differentiable in x and a
    as `gammainc` (with the opposite signs).

    >>> from autograd import Tensor
    >>> bool(np.isclose(gammaincc(Tensor([1.0], dtype=np.float64), 3.0).item(), np.exp(-3)))
    True
    """
    a, x = _operands("gammaincc", a, x)
    return apply(Gammainc, (a, x), True)
