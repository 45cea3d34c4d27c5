"""autograd.special's orthogonal polynomials (chebyshev T, U, V, W and their shifted forms,
hermite H and He, laguerre L, legendre P): values against mpmath's closed forms and against
PyTorch, degrees as numbers or tensors (broadcast, fractional taken towards 0, negative giving
0), dtypes, and no derivative (as PyTorch's): backward reaching one raises, naming it."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, special

from special_helpers import mpmath, needs_mpmath
from torch_helpers import needs_torch, torch

NAMES = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
         "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
         "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w"]
X = np.array([-3.0, -1.0, -0.7, 0.0, 0.3, 0.999, 1.0, 1.7, 5.0])


def _closed_form(name, n, x):
    m = mpmath
    if name.startswith("shifted_"):
        name, x = name[len("shifted_"):], 2 * x - 1
    return {"chebyshev_polynomial_t": lambda: m.chebyt(n, x),
            "chebyshev_polynomial_u": lambda: m.chebyu(n, x),
            # V and W: (1 -+ ...) combinations of U of degree n and n - 1
            "chebyshev_polynomial_v": lambda: m.chebyu(n, x) - m.chebyu(n - 1, x) if n else 1,
            "chebyshev_polynomial_w": lambda: m.chebyu(n, x) + m.chebyu(n - 1, x) if n else 1,
            "hermite_polynomial_h": lambda: m.hermite(n, x),
            "hermite_polynomial_he": lambda: m.hermite(n, x / m.sqrt(2)) * m.mpf(2) ** (-n / 2.0),
            "laguerre_polynomial_l": lambda: m.fsum(m.binomial(n, k) * (-x) ** k / m.factorial(k)
                                                    for k in range(n + 1)),
            "legendre_polynomial_p": lambda: m.legendre(n, x)}[name]()


@needs_mpmath
@pytest.mark.parametrize("name", NAMES)
def test_against_mpmath(name):
    """Within 1e-13 of the largest |pₖ(x)| met on the way (the recurrence's error is absolute
    in that scale; measured: 3e-15)."""
    for n in (0, 1, 2, 5, 17, 40):
        with mpmath.workdps(60):
            want = np.array([float(_closed_form(name, n, mpmath.mpf(x))) for x in X])
        ours = getattr(special, name)(Tensor(X), n).data
        scale = np.maximum(1.0, np.abs(want))
        assert (np.abs(ours - want) / scale).max() < 1e-13, (name, n)


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_against_pytorch(name):
    n = np.array([-2, -0.5, 0, 1, 2.7, 3, 6, 11, 25])[:, None]
    for dtype in (np.float64, np.float32):
        ours = getattr(special, name)(Tensor(X.astype(dtype)), Tensor(n)).data
        theirs = getattr(torch.special, name)(torch.tensor(X.astype(dtype)),
                                              torch.tensor(n)).numpy()
        assert ours.dtype == theirs.dtype and ours.shape == (9, 9)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12 if dtype == np.float64 else 1e-5,
                                   atol=1e-12 * np.abs(theirs).max(), err_msg=name)
        scalar = getattr(special, name)(Tensor(X.astype(dtype)), 4).data
        assert scalar.dtype == dtype
        np.testing.assert_allclose(scalar, getattr(torch.special, name)(
            torch.tensor(X.astype(dtype)), 4).numpy(), rtol=1e-5, atol=1e-6)


def test_degrees_and_dtypes():
    x = Tensor([0.5], dtype=np.float64)
    p = special.legendre_polynomial_p
    assert p(x, Tensor([-1, 0, 1, 2])).tolist() == [0.0, 1.0, 0.5, -0.125]
    assert p(x, 2.9).tolist() == [-0.125]                      # towards 0: degree 2
    assert p(Tensor([1, 2]), 1).dtype == np.float32              # int input: the default dtype
    assert p(Tensor([0.5], dtype=np.float32), Tensor([2.0], dtype=np.float64)).dtype == np.float64
    assert p(0.5, 3).shape == ()
    with pytest.raises(TypeError, match="legendre_polynomial_p: n is the degree"):
        p(x, "2")


def test_no_derivative_raises_naming_it():
    x = Tensor([0.3, 0.6], dtype=np.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^hermite_polynomial_he: no derivative"):
        (x * 2 + special.hermite_polynomial_he(x, 3)).sum().backward()
    out = special.hermite_polynomial_he(x.detach(), 3)        # detached: no history at all
    assert not out.requires_grad
