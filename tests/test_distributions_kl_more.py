"""kl_divergence for Laplace-Laplace, Uniform-Uniform and OneHotCategorical-OneHotCategorical:
the closed forms against numerical integration (or a sum over the support), their zero at
p = q, inf where p puts mass where q has none, gradients by central differences in float64, and
PyTorch's numbers where torch is installed."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from autograd.distributions import Laplace, OneHotCategorical, Uniform, kl_divergence
from torch_helpers import needs_torch, torch


def integrate_kl(p, q, grid: np.ndarray) -> np.ndarray:
    """∫ p ln(p / q) by the trapezoid rule on `grid` (one column per distribution)."""
    x = Tensor(grid[:, None])
    lp, lq = p.log_prob(x).numpy(), q.log_prob(x).numpy()
    f = np.exp(lp) * (lp - lq)
    return ((f[1:] + f[:-1]) / 2 * np.diff(grid)[:, None]).sum(0)


def test_laplace_by_quadrature_zero_and_gradients():
    p = Laplace(Tensor([0.3, -1.0, 2.0]), Tensor([1.2, 0.5, 0.7]))
    q = Laplace(Tensor([0.0, 0.5, 2.0]), Tensor([0.8, 2.0, 0.7]))
    got = kl_divergence(p, q).numpy()
    grid = np.linspace(-40, 40, 800_001)
    np.testing.assert_allclose(got, integrate_kl(p, q, grid), rtol=1e-5, atol=1e-7)
    assert got[2] == pytest.approx(0.0, abs=1e-7)             # p = q
    assert kl_divergence(p, q).shape == (3,)
    args = [np.array([0.3, -1.0]), np.array([1.2, 0.5]), np.array([0.0, 0.5]),
            np.array([0.8, 2.0])]
    f = lambda mp, sp, mq, sq: kl_divergence(Laplace(mp, sp), Laplace(mq, sq))  # noqa: E731
    assert gradcheck(f, [Tensor(a, requires_grad=True) for a in args])


def test_uniform_by_formula_inf_outside_and_gradients():
    p = Uniform(Tensor([0.1, -1.0, 0.0]), Tensor([0.6, 0.5, 2.0]))
    q = Uniform(Tensor([0.0, -2.0, 0.5]), Tensor([1.0, 2.0, 3.0]))
    got = kl_divergence(p, q).numpy()
    # inside q's interval: ln((bq - aq) / (bp - ap)); p below q's low end: inf
    np.testing.assert_allclose(got[:2], np.log([1.0 / 0.5, 4.0 / 1.5]), rtol=1e-6)
    assert got[2] == np.inf
    same = Uniform(Tensor([0.0]), Tensor([1.0]))
    assert kl_divergence(same, same).item() == 0.0
    f = lambda lp, hp, lq, hq: kl_divergence(Uniform(lp, hp), Uniform(lq, hq))  # noqa: E731
    args = [np.array([0.1, -1.0]), np.array([0.6, 0.5]), np.array([0.0, -2.0]),
            np.array([1.0, 2.0])]
    assert gradcheck(f, [Tensor(a, requires_grad=True) for a in args])


def test_one_hot_categorical_sums_over_the_support_and_gradients():
    probs_p = np.array([[0.2, 0.3, 0.5], [0.6, 0.4, 0.0]])
    probs_q = np.array([[0.6, 0.1, 0.3], [0.5, 0.0, 0.5]])
    got = kl_divergence(OneHotCategorical(Tensor(probs_p)), OneHotCategorical(Tensor(probs_q)))
    assert got.shape == (2,)
    assert got.numpy()[0] == pytest.approx(float(np.sum(probs_p[0] * np.log(probs_p[0] /
                                                                            probs_q[0]))))
    assert got.numpy()[1] == np.inf                            # p has mass where q has none
    f = lambda a, b: kl_divergence(OneHotCategorical(logits=a),  # noqa: E731
                                   OneHotCategorical(logits=b))
    assert gradcheck(f, [Tensor(np.array([[0.3, -1.0, 2.0]]), requires_grad=True),
                         Tensor(np.array([[1.0, 0.2, -0.5]]), requires_grad=True)])


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numbers_are_pytorchs(dtype):
    D = torch.distributions
    t = lambda a: torch.tensor(np.asarray(a, dtype))        # noqa: E731
    g = lambda a: Tensor(np.asarray(a, dtype))              # noqa: E731
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    pairs = [("Laplace", ([0.3, -1.0], [1.2, 0.5]), ([0.0, 0.5], [0.8, 2.0])),
             ("Uniform", ([0.1, -1.0], [0.6, 0.5]), ([0.0, -2.0], [1.0, 0.9])),
             ("OneHotCategorical", ([[0.2, 0.3, 0.5]],), ([[0.6, 0.1, 0.3]],))]
    for name, a, b in pairs:
        expected = D.kl_divergence(getattr(D, name)(*map(t, a)), getattr(D, name)(*map(t, b)))
        got = kl_divergence(globals()[name](*map(g, a)), globals()[name](*map(g, b)))
        assert got.dtype == dtype, name
        np.testing.assert_allclose(got.numpy(), expected.numpy(), err_msg=name, **tol)
