"""autograd.linalg: matrix_exp and solve (ops with their derivatives in autograd/ops/linalg.py),
against PyTorch's recorded numbers (tests/reference/linalg.npz), finite differences to second
order, and their errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, grad, gradcheck, linalg
from autograd.linalg import matrix_exp, solve
from conftest import t64
from reference import assert_matches, record_cases, recorded_case

# (name, A's shape, B's shape or None for matrix_exp, left)
CASES = [
    ("exp_matrix", (3, 3), None, True),
    ("exp_batch", (2, 3, 3), None, True),
    ("exp_large", (4, 4), None, True),              # scaled by 2ˢ and squared s times
    ("solve_matrix", (3, 3), (3, 2), True),
    ("solve_vector", (3, 3), (3,), True),
    ("solve_batch_of_vectors", (2, 3, 3), (2, 3), True),
    ("solve_broadcast", (3, 3), (2, 3, 2), True),
    ("solve_right", (3, 3), (2, 3), False),
]
IDS = [case[0] for case in CASES]


def _inputs(rng: np.random.Generator, case: tuple) -> dict:
    name, a_shape, b_shape, _ = case
    scale = 3.0 if name == "exp_large" else 1.0
    inputs = {"A": rng.standard_normal(a_shape) * scale}
    if b_shape is not None:
        inputs["A"] = inputs["A"] + 3 * np.eye(a_shape[-1])     # well away from singular
        inputs["B"] = rng.standard_normal(b_shape)
    return inputs


def _run(lib, case: tuple, A, B=None):
    _, _, b_shape, left = case
    return (lib.linalg.matrix_exp(A) if b_shape is None
            else lib.linalg.solve(A, B, left=left))


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/linalg.npz: values and gradients (for an upstream gradient g), by
    PyTorch."""
    def compute(case, A, B=None):
        A = torch.tensor(A, requires_grad=True)
        B = None if B is None else torch.tensor(B, requires_grad=True)
        out = _run(torch, case, A, B)
        g = np.random.default_rng(len(out.shape)).uniform(0.5, 1.5, tuple(out.shape))
        out.backward(torch.tensor(g))
        return {"out": out, "g": g, "A.grad": A.grad,
                **({} if B is None else {"B.grad": B.grad})}
    return record_cases(IDS, CASES, _inputs, compute)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients_are_pytorch_s_recorded_numbers(case):
    theirs = recorded_case("linalg", case[0])
    A = t64(theirs["A"])
    B = t64(theirs["B"]) if "B" in theirs else None
    out = _run(autograd, case, A, B)
    out.backward(theirs["g"])
    ours = {"out": out.data, "A.grad": A.grad, **({} if B is None else {"B.grad": B.grad})}
    assert_matches(ours, theirs, rtol=1e-10, atol=1e-12, inputs=("A", "B", "g"))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_first_and_second_derivatives_match_finite_differences(case, rng):
    inputs = _inputs(rng, case)
    A = t64(inputs["A"])
    if "B" not in inputs:
        w = Tensor(rng.standard_normal(A.shape))
        cost = lambda A: (matrix_exp(A) * w).sum().tanh()
        assert gradcheck(cost, A) and gradcheck(lambda A: grad(cost)(A), A)
        return
    B = t64(inputs["B"])
    w = Tensor(rng.standard_normal(_run(autograd, case, A, B).shape))
    cost = lambda A, B: (_run(autograd, case, A, B) * w).sum().tanh()
    assert gradcheck(cost, A, B)
    assert gradcheck(lambda A: grad(cost, 0)(A, B), A)
    assert gradcheck(lambda B: grad(cost, 1)(A, B), B)


def test_matrix_exp_of_a_rotation_generator_and_of_a_large_matrix(rng):
    t = 0.7
    rotation = Tensor(np.array([[0.0, -t], [t, 0.0]])).matrix_exp().data
    np.testing.assert_allclose(rotation, [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]],
                               rtol=1e-14, atol=1e-15)
    big = rng.standard_normal((3, 3)) * 3                       # squared several times
    np.testing.assert_allclose(matrix_exp(Tensor(big)).data @ matrix_exp(Tensor(-big)).data,
                               np.eye(3), atol=1e-10)


def test_pytorch_s_names_reach_them():
    """torch.linalg.solve, torch.linalg.matrix_exp, torch.matrix_exp, t.matrix_exp()."""
    import autograd as torch
    assert torch.linalg.solve is solve and torch.matrix_exp is matrix_exp
    A = Tensor([[2.0, 1.0], [0.0, 1.0]])
    assert torch.linalg.solve(A, Tensor([3.0, 1.0])).tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(A.matrix_exp().data, linalg.matrix_exp(A).data)
    with pytest.raises(AttributeError, match="'autograd.linalg' has no attribute 'inv'.*"
                                             "np.linalg on t.data"):
        torch.linalg.inv(A)


@pytest.mark.parametrize("call, error, message", [
    (lambda: solve(Tensor(np.zeros((2, 2))), Tensor(np.ones(2))), np.linalg.LinAlgError,
     r"solve: A \(shape \(2, 2\)\) is singular"),
    (lambda: solve(Tensor(np.ones((2, 3))), Tensor(np.ones(2))), ValueError,
     r"solve: A must be a square matrix .* got shape \(2, 3\)"),
    (lambda: solve(Tensor(np.eye(2)), Tensor(np.ones(3))), ValueError,
     r"solve: A of shape \(2, 2\) needs B of shape \(..., 2, k\) or \(2,\), got \(3,\)"),
    (lambda: solve(Tensor(np.eye(2)), Tensor(np.ones((3, 2, 1))), left=False), ValueError,
     "solve: A of shape"),
    (lambda: matrix_exp(Tensor([1.0, 2.0])), ValueError, "matrix_exp: A must be a square"),
    (lambda: matrix_exp(Tensor([[1, 2], [3, 4]])), TypeError,
     "matrix_exp: A must be floating point"),
    (lambda: matrix_exp(Tensor([[np.nan, 0.0], [0.0, 1.0]])), ValueError,
     "matrix_exp: A holds NaN or inf"),
])
def test_mistakes_are_refused_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()
