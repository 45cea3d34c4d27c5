"""autograd.special's Bessel functions: I₀, I₁ and their scaled forms (differentiable), K₀, K₁
(and scaled), J₀, J₁, Y₀, Y₁ and the spherical j₀ (no derivative, as PyTorch's). Values against
mpmath at the hard points (0, tiny, the switches between series, quadrature, recurrence and
expansion, 1e3, negative) in float64 and float32; against PyTorch on a grid; i0 .. i1e's first
and second derivatives against central differences, with broadcast, 0-d and batch-1 shapes."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, special

from special_helpers import (assert_relative, check_derivatives, mpmath, needs_mpmath,
                             reference)
from torch_helpers import needs_torch, torch

# each method's ends: I's series / expansion at 20, K's series / quadrature at 1, J and Y's
# series / recurrence / expansion at 1 and 20
SWITCHES = [1.0, np.nextafter(1.0, 2), np.nextafter(1.0, 0), 20.0, np.nextafter(20.0, 0),
            np.nextafter(20.0, 30)]
POSITIVE = np.array([1e-300, 1e-20, 1e-5, 0.3, 2.5, 7.3, 13.1, 19.2, 24.0, 37.7, 113.0, 700.0,
                     1000.0, 1e5] + SWITCHES)
SIGNED = np.concatenate([POSITIVE, -POSITIVE, [0.0]])


def _mp(name):
    b = mpmath
    return {"i0": lambda x: b.besseli(0, x), "i1": lambda x: b.besseli(1, x),
            "i0e": lambda x: b.besseli(0, x) * b.exp(-abs(x)),
            "i1e": lambda x: b.besseli(1, x) * b.exp(-abs(x)),
            "modified_bessel_k0": lambda x: b.besselk(0, x),
            "modified_bessel_k1": lambda x: b.besselk(1, x),
            "scaled_modified_bessel_k0": lambda x: b.besselk(0, x) * b.exp(x),
            "scaled_modified_bessel_k1": lambda x: b.besselk(1, x) * b.exp(x),
            "bessel_j0": lambda x: b.besselj(0, x), "bessel_j1": lambda x: b.besselj(1, x),
            "bessel_y0": lambda x: b.bessely(0, x), "bessel_y1": lambda x: b.bessely(1, x),
            "spherical_bessel_j0": lambda x: b.sin(x) / x if x else b.mpf(1)}[name]


# (name, points, float64 relative tolerance): the oscillating J and Y are measured away from
# their zeros (where any method's error is absolute, ~1e-16 of the envelope: see below)
MODIFIED = [("i0", SIGNED[np.abs(SIGNED) < 700], 2e-15), ("i1", SIGNED[np.abs(SIGNED) < 700], 2e-15),
            ("i0e", SIGNED, 2e-15), ("i1e", SIGNED, 2e-15),
            ("modified_bessel_k0", POSITIVE[POSITIVE < 700], 1e-15),
            ("modified_bessel_k1", POSITIVE[POSITIVE < 700], 1e-15),
            ("scaled_modified_bessel_k0", POSITIVE, 1e-15),
            ("scaled_modified_bessel_k1", POSITIVE, 1e-15)]
OSCILLATING = [("bessel_j0", SIGNED), ("bessel_j1", SIGNED), ("bessel_y0", POSITIVE),
               ("bessel_y1", POSITIVE), ("spherical_bessel_j0", SIGNED)]


@needs_mpmath
@pytest.mark.parametrize("name, x, rtol", MODIFIED)
def test_modified_bessel_against_mpmath(name, x, rtol):
    """Measured worst: 1.2e-15 (i0, i0e, i1e, near the series' end at 16 .. 20, from e^-x's
    rounding), 4.4e-16 for the K's."""
    want = reference(_mp(name), x)
    for dtype, tol in ((np.float64, rtol), (np.float32, 6e-8)):
        ours = getattr(special, name)(Tensor(x.astype(dtype))).data
        assert ours.dtype == dtype
        finite = np.abs(want) < np.finfo(dtype).max
        if dtype == np.float32:     # (x itself rounds to float32: compare at that x)
            want32 = reference(_mp(name), x.astype(np.float32).astype(np.float64))
            finite &= (np.abs(want32) > np.finfo(np.float32).tiny) & (np.abs(want32) < 3e38)
            assert_relative(ours[finite], want32[finite], tol, x[finite], f"{name} float32")
        else:
            assert_relative(ours[finite], want[finite], tol, x[finite], name)


@needs_mpmath
@pytest.mark.parametrize("name, x", OSCILLATING)
def test_bessel_j_y_against_mpmath(name, x):
    """Relative 1e-12 away from the zeros (measured: 1.6e-13 for Y₀ at 13.35, the Neumann
    series' cancellation); everywhere within 2e-15 of the envelope min(1, √(2/(πx))) (or of
    the function itself, where Y is large near 0)."""
    grid = np.linspace(0.01, 60, 241 if "y" in name else 1201)     # (mpmath's Y is slow)
    dense = np.concatenate([x, grid, [] if "y" in name else -grid[::4]])
    want = reference(_mp(name), dense)
    ours = getattr(special, name)(Tensor(dense)).data
    envelope = np.maximum(np.minimum(1.0, np.sqrt(2 / (np.pi * np.maximum(np.abs(dense), 1e-300)))),
                          np.abs(want))
    big = np.abs(want) > 1e300
    error = np.abs(ours - want)[~big] / envelope[~big]
    assert error.max() < 2e-15, (name, dense[~big][np.argmax(error)])
    away = ~big & (np.abs(want) > 0.01 * envelope)
    assert_relative(ours[away], want[away], 1e-12, dense[away], name)
    x32 = dense.astype(np.float32)
    kept = ~big & (x32 != 0)                # (1e-300 is 0 in float32: Y is -inf there)
    ours32 = getattr(special, name)(Tensor(x32[kept])).data
    want32 = reference(_mp(name), x32[kept].astype(np.float64))
    assert ours32.dtype == np.float32
    assert (np.abs(ours32 - want32) / envelope[kept]).max() < 1.2e-7


def test_edges_and_limits():
    x = Tensor([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0], dtype=np.float64)
    f = lambda name: getattr(special, name)(x).data.tolist()          # noqa: E731
    nan = pytest.approx(np.nan, nan_ok=True)
    assert f("i0") == [1.0, 1.0, np.inf, np.inf, nan, pytest.approx(1.2660658777520082)]
    assert f("i1")[:4] == [0.0, 0.0, np.inf, -np.inf]
    assert f("i0e")[:4] == [1.0, 1.0, 0.0, 0.0]
    assert f("modified_bessel_k0")[:3] + f("modified_bessel_k1")[:3] == [np.inf] * 2 + [0.0] + \
        [np.inf] * 2 + [0.0]
    assert np.isnan(f("modified_bessel_k0")[5]) and np.isnan(f("scaled_modified_bessel_k1")[3])
    assert f("bessel_j0")[:4] == [1.0, 1.0, 0.0, 0.0]
    assert f("bessel_y0")[:3] == [-np.inf, -np.inf, 0.0] and np.isnan(f("bessel_y1")[5])
    assert f("spherical_bessel_j0")[:4] == [1.0, 1.0, 0.0, 0.0]
    assert special.bessel_j1(Tensor([-2.0], dtype=np.float64)).item() == -special.bessel_j1(
        Tensor([2.0], dtype=np.float64)).item()


@needs_torch
@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e", "modified_bessel_i0",
                                  "modified_bessel_i1", "modified_bessel_k0",
                                  "modified_bessel_k1", "scaled_modified_bessel_k0",
                                  "scaled_modified_bessel_k1", "bessel_j0", "bessel_j1",
                                  "bessel_y0", "bessel_y1", "spherical_bessel_j0"])
def test_against_pytorch(name):
    """On [-50, 50] (step 1e-2) and at 1e3, in float64 and float32. PyTorch's J and Y are
    within 1e-6 only (measured against mpmath: 3.7e-7 for J₀ and 8.5e-7 for Y₁ near x = 5, where
    ours are within 4e-15), so they are compared to that; the others to 1e-13."""
    x = np.concatenate([np.linspace(-50, 50, 10001), [-1000.0, 1000.0, 1e-300]])
    rough = name in ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1")
    for dtype, rtol, atol in ((np.float64, 1e-13, 1e-6 if rough else 1e-15),
                              (np.float32, 2e-6, 1e-6 if rough else 2e-7)):
        ours = getattr(special, name)(Tensor(x.astype(dtype))).data
        theirs = getattr(torch.special, name)(torch.tensor(x.astype(dtype))).numpy()
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=name)


# the derivatives: points on both sides of every switch, and 0 (i1's slope is 1/2 there)
GRAD_POINTS = np.array([-30.0, -19.5, -3.1, -0.7, -1e-3, 0.0, 1e-3, 0.004, 0.02, 0.9, 2.7,
                        19.5, 20.5, 45.0])


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_first_and_second_derivatives(name):
    f = getattr(special, name)
    x = GRAD_POINTS if "e" not in name else GRAD_POINTS[GRAD_POINTS != 0]   # (a kink at 0)
    check_derivatives(f, x)


def test_derivative_formulas_and_shapes():
    """i0' = i1, i1'(0) = 1/2, the scaled ones by the product rule; a broadcast product, a 0-d
    tensor and a batch of one get the same gradients as elementwise."""
    x = Tensor([0.0, 0.8, -2.5], dtype=np.float64, requires_grad=True)
    special.i1(x).sum().backward()
    assert x.grad[0] == 0.5
    x.grad = None
    special.i0(x).sum().backward()
    np.testing.assert_allclose(x.grad, special.i1(x.detach()).data, rtol=1e-15)
    w = Tensor(np.array([[0.3], [1.7]]), requires_grad=True)            # (2, 1) x (3,)
    v = Tensor(np.array([0.5, -1.1, 4.0]), requires_grad=True)
    check = autograd.gradcheck(lambda w, v: special.i1e(w * v).sum(), w, v)
    assert check
    for shape in [(), (1,), (1, 1)]:
        t = Tensor(np.full(shape, 1.3), requires_grad=True)
        special.i0e(t).sum().backward()
        assert t.grad.shape == shape
        assert float(t.grad.reshape(-1)[0]) == pytest.approx(
            float(special.i1e(Tensor(1.3, dtype=np.float64)).item()
                  - special.i0e(Tensor(1.3, dtype=np.float64)).item()), rel=1e-14)


@needs_torch
def test_derivatives_against_pytorch():
    x = np.array([-7.0, -0.4, 0.25, 3.0, 25.0])
    for name in ("i0", "i0e", "i1", "i1e"):
        t = torch.tensor(x, requires_grad=True)
        (g,) = torch.autograd.grad(getattr(torch.special, name)(t).sum(), t, create_graph=True)
        (g2,) = torch.autograd.grad(g.sum(), t)
        ours = Tensor(x, requires_grad=True)
        d1 = autograd.grad(lambda u: getattr(special, name)(u).sum())
        d2 = autograd.grad(lambda u: d1(u).sum())
        np.testing.assert_allclose(d1(ours).data, g.detach().numpy(), rtol=1e-13)
        np.testing.assert_allclose(d2(ours).data, g2.numpy(), rtol=1e-12)
