"""The check behind tests/test_second_order_ops.py and tests/test_second_order_nn.py: a
function's Hessian-vector products, taken the two ways a learner takes them, against central
finite differences of its gradient, in float64.

    J(x₁, ..., xₖ) = Σ w ⊙ f(x₁, ..., xₖ)          (w fixed, uniform in [0.5, 1.5])
    H v: grad(Σᵢ ⟨∂J/∂xᵢ, vᵢ⟩) with the gradient recorded (create_graph=True), once by a second
         autograd.grad and once by .backward() on it (the first-order pass, run over the
         gradient graph: a gradient penalty's habit), against
         (∇J(x + εv) - ∇J(x - εv)) / 2ε

Both ways run every op of the gradient graph: the second pass calls the ops' rules with
nodes, .backward() with arrays. A rule that drops a term of the second derivative (a slope
computed from numbers, a saved value taken as a constant) gives a different H v.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograd import Tensor, grad

from conftest import sample

EPS = 1e-5


def _gradients(f: Callable, arrays: list, w: np.ndarray | None) -> tuple[list, np.ndarray]:
    """∇J at `arrays` (zeros for an input J does not read), and w (drawn on the first call)."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = f(*xs)
    if w is None:
        w = np.random.default_rng(1).uniform(0.5, 1.5, out.shape)
    gs = grad((out * Tensor(w)).sum(), xs, allow_unused=True, materialize_grads=True)
    return [g.data for g in gs], w


def check_hessian_vector_products(f: Callable, arrays: list, rng: np.random.Generator,
                                  rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """H v of J = Σ w ⊙ f(*arrays), by grad of grad and by backward over the recorded
    gradient, equals the central difference of ∇J along v (one random v per input)."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    vs = [rng.normal(size=a.shape) for a in arrays]
    _, w = _gradients(f, arrays, None)
    plus, _ = _gradients(f, [a + EPS * v for a, v in zip(arrays, vs)], w)
    minus, _ = _gradients(f, [a - EPS * v for a, v in zip(arrays, vs)], w)
    numeric = [(p - m) / (2 * EPS) for p, m in zip(plus, minus)]

    xs = [Tensor(a, requires_grad=True) for a in arrays]
    gs = grad((f(*xs) * Tensor(w)).sum(), xs, create_graph=True, allow_unused=True,
              materialize_grads=True)
    along = sum((g * Tensor(v)).sum() for g, v in zip(gs, vs))
    if not along.requires_grad:             # J is linear (or a rule took its slope as a
        for i, expected in enumerate(numeric):  # constant): H v is 0
            np.testing.assert_allclose(0.0, expected, atol=atol, err_msg=f"input {i}: the "
                                       f"recorded gradient depends on no input, so H v is 0")
        return
    by_grad = grad(along, xs, allow_unused=True, materialize_grads=True)
    along.backward()
    for i, (x, g, expected) in enumerate(zip(xs, by_grad, numeric)):
        np.testing.assert_allclose(g.data, expected, rtol=rtol, atol=atol,
                                   err_msg=f"input {i}: grad of grad")
        got = np.zeros(x.shape) if x.grad is None else x.grad
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol,
                                   err_msg=f"input {i}: backward() of the recorded gradient")


def check_row(f: Callable, shapes: list, domain: str | list, rng: np.random.Generator) -> None:
    """A table row (f, input shapes, domain: one for all inputs or one per input): inputs
    drawn from the domains, then `check_hessian_vector_products`."""
    domains = [domain] * len(shapes) if isinstance(domain, str) else domain
    check_hessian_vector_products(f, [sample(d, s, rng) for d, s in zip(domains, shapes)], rng)
