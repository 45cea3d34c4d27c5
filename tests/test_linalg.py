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
from reference import assert_matches, draw, prefixed, record_cases, recorded_case

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
    arrays = record_cases(IDS, CASES, _inputs, compute)
    for n in SKEW_SIZES:
        S = _skew_float32(draw(), n)
        Q = torch.linalg.matrix_exp(torch.tensor(S)).numpy()
        arrays.update(prefixed(f"exp_skew_float32_{n}",
                               {"S": S, "orthogonality_error": _orthogonality_error(Q)}))
    return arrays


# float32 exp of skew-symmetric matrices (orthogonal in exact arithmetic): n × n, 6 of each
SKEW_SIZES = (7, 10)


def _skew_float32(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.standard_normal((6, n, n))
    return (m - m.swapaxes(-1, -2)).astype(np.float32)


def _orthogonality_error(Q: np.ndarray) -> np.ndarray:
    """max |QᵀQ - I| of each matrix, computed in float64."""
    Q = Q.astype(np.float64)
    return np.abs(Q.swapaxes(-1, -2) @ Q - np.eye(Q.shape[-1])).max(axis=(-1, -2))


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


# -- matrix_exp: a batch in one numpy pass --------------------------------------------------

def _exp_by_another_route(kind: str, a: np.ndarray) -> np.ndarray:
    """exp of one matrix computed without matrix_exp: I for zero, the finite series for a
    nilpotent one, and from eigenvectors for a symmetric or skew-symmetric one."""
    n = a.shape[-1]
    if kind == "zero":
        return np.eye(n)
    if kind == "nilpotent":                 # Nⁿ = 0: exp(N) = Σ_(k<n) Nᵏ/k!
        term, total = np.eye(n), np.eye(n)
        for k in range(1, n):
            term = term @ a / k
            total = total + term
        return total
    if kind == "skew":                      # iA is Hermitian: A = -i U diag(λ) Uᴴ
        lam, U = np.linalg.eigh(1j * a)
        return ((U * np.exp(-1j * lam)) @ U.conj().T).real
    lam, U = np.linalg.eigh(a)              # symmetric
    return (U * np.exp(lam)) @ U.T


def _exp_inputs(rng: np.random.Generator, kind: str, shape: tuple) -> np.ndarray:
    m = rng.standard_normal(shape)
    m_t = m.swapaxes(-1, -2)                # (ndarray.mT needs numpy 2; CI also runs 1.24)
    return {"zero": np.zeros(shape), "nilpotent": np.triu(m, 1),
            "skew": 2 * (m - m_t), "symmetric_large": 6 * (m + m_t)}[kind]


def _assert_exp_close(ours: np.ndarray, theirs: np.ndarray, a: np.ndarray) -> None:
    """Two values of exp(a) agree to what rounding allows: exp of a normal A moves by about
    ‖A‖ δ relatively when A moves by δ, so rounding A alone costs u ‖A‖ (measured: matrix_exp
    within 2 u ‖A‖ of 40-digit values, the eigenvector route within 5)."""
    tolerance = 16 * 2.0 ** -53 * max(np.linalg.norm(a, 2), 1.0)
    assert np.linalg.norm(ours - theirs) <= tolerance * np.linalg.norm(theirs)


@pytest.mark.parametrize("kind", ["zero", "nilpotent", "skew", "symmetric_large"])
@pytest.mark.parametrize("n", [1, 2, 7, 10])
@pytest.mark.parametrize("batch", [(), (3,), (2, 4)], ids=str)
def test_matrix_exp_of_batches_matches_exp_by_another_route(batch, n, kind, rng):
    A = _exp_inputs(rng, kind, batch + (n, n))
    out = matrix_exp(Tensor(A)).data
    assert out.shape == A.shape and out.dtype == np.float64
    for ours, a in zip(out.reshape(-1, n, n), A.reshape(-1, n, n)):
        theirs = _exp_by_another_route(kind, a)
        if kind == "zero":
            np.testing.assert_array_equal(ours, theirs)
        _assert_exp_close(ours, theirs, a)


def test_each_matrix_of_a_mixed_batch_is_as_if_taken_alone(rng):
    """Each matrix is scaled by its own norm (a large one among small ones is the only one
    squared many times), and the results come back in the batch's order."""
    norms = np.array([0.0, 1e-3, 0.4, 30.0, 2.0, 60.0])
    A = rng.standard_normal((6, 5, 5)) * norms[:, None, None]
    batch = matrix_exp(Tensor(A)).data
    for ours, a in zip(batch, A):
        _assert_exp_close(ours, matrix_exp(Tensor(a)).data, a)


@pytest.mark.parametrize("shape, scale", [((2, 4, 2, 2), 1.0), ((3, 7, 7), 0.8),
                                          ((2, 1, 1), 3.0)])
def test_gradients_of_batches_match_finite_differences(shape, scale, rng):
    norms = np.linspace(0.2, 1.0, shape[0]).reshape((-1,) + (1,) * (len(shape) - 1))
    A = t64(rng.standard_normal(shape) * scale * norms)     # a different norm in each row
    w = Tensor(rng.standard_normal(shape))
    cost = lambda A: (matrix_exp(A) * w).sum().tanh()
    assert gradcheck(cost, A) and gradcheck(lambda A: grad(cost)(A), A)


@pytest.mark.parametrize("shape", [(1, 3, 3), (1, 1), (1, 1, 1)], ids=str)
def test_matrix_exp_of_a_batch_of_one_and_of_1x1_matrices_gradchecks(shape, rng):
    """Batch 1 and n = 1, through the Tensor method too (PyTorch's t.matrix_exp())."""
    A = t64(rng.standard_normal(shape))
    w = Tensor(rng.standard_normal(shape))
    cost = lambda A: (A.matrix_exp() * w).sum().tanh()
    assert gradcheck(cost, A) and gradcheck(lambda A: grad(cost)(A), A)


@pytest.mark.parametrize("a_shape, b_shape, left", [
    ((1, 3, 3), (1, 3, 2), True),        # a batch of one
    ((1, 3, 3), (1, 3), True),           # a batch of one vector
    ((1, 3, 3), (2, 3, 1), True),        # A's batch of one broadcast against B's
    ((1, 1), (1,), True),                # 1 × 1
    ((1, 1), (1, 1), False),
    ((1, 3, 3), (1, 2, 3), False),
], ids=str)
def test_solve_of_a_batch_of_one_and_of_1x1_matrices_gradchecks(a_shape, b_shape, left, rng):
    A = t64(rng.standard_normal(a_shape) + 3 * np.eye(a_shape[-1]))  # well away from singular
    B = t64(rng.standard_normal(b_shape))
    w = Tensor(rng.standard_normal(solve(A, B, left=left).shape))
    cost = lambda A, B: (solve(A, B, left=left) * w).sum().tanh()
    assert gradcheck(cost, A, B)
    assert gradcheck(lambda A: grad(cost, 0)(A, B), A)
    assert gradcheck(lambda B: grad(cost, 1)(A, B), B)


def test_the_gradient_is_linear_in_the_upstream_gradient(rng):
    """A large G made the block matrix [[Aᵀ, G], [0, Aᵀ]] large: exp squared it more often and
    lost A (G × 2⁶⁰ gave a gradient 58 % off). The rule is linear in G, and now so to the last
    bit for a large G (shrunk by a power of 2 to A's size, and the result grown back)."""
    a, g = rng.standard_normal((3, 4, 4)), rng.standard_normal((3, 4, 4))

    def gradient(g):
        A = t64(a)
        matrix_exp(A).backward(g)
        return A.grad
    for k in (30, 60):
        np.testing.assert_array_equal(gradient(g * 2.0 ** k) / 2.0 ** k, gradient(g))
    np.testing.assert_allclose(gradient(g * 2.0 ** -60) / 2.0 ** -60, gradient(g), rtol=1e-14)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_nan_or_inf_upstream_gradient_spreads_to_its_own_matrix_only(bad, rng):
    """The batch shares one Taylor degree (from its largest norm) and squares in order of
    norm: one bad matrix must change neither for the others (an inf G used to raise an
    OverflowError for the whole batch)."""
    a = rng.standard_normal((3, 3, 3)) * 2
    g = np.ones((3, 3, 3))
    g[1, 0, 0] = bad
    A, others = t64(a), t64(a[[0, 2]])
    with np.errstate(invalid="ignore", over="ignore"):
        matrix_exp(A).backward(g)
    matrix_exp(others).backward(np.ones((2, 3, 3)))
    assert np.isnan(A.grad[1]).all()
    np.testing.assert_allclose(A.grad[[0, 2]], others.grad, rtol=1e-14)


@pytest.mark.parametrize("n", SKEW_SIZES)
def test_float32_exp_of_a_skew_matrix_is_as_orthogonal_as_pytorch_s(n):
    """Computed in float64 and rounded once: orthogonal to float32's rounding (it was 1.4e-6
    to 2.9e-6 off, PyTorch's about 1e-6)."""
    theirs = recorded_case("linalg", f"exp_skew_float32_{n}")
    Q = matrix_exp(Tensor(theirs["S"])).data
    assert Q.dtype == np.float32
    errors = _orthogonality_error(Q)
    assert errors.max() <= theirs["orthogonality_error"].min()
    assert errors.max() <= np.finfo(np.float32).eps


def test_float32_values_and_gradients_are_float64_s_rounded(rng):
    a, g = rng.standard_normal((4, 3, 3)), rng.standard_normal((4, 3, 3))
    A32, A64 = Tensor(a.astype(np.float32), requires_grad=True), t64(a.astype(np.float32))
    out32, out64 = matrix_exp(A32), matrix_exp(A64)
    out32.backward(g.astype(np.float32))
    out64.backward(g.astype(np.float32).astype(np.float64))
    assert out32.dtype == A32.grad.dtype == np.float32
    np.testing.assert_array_equal(out32.data, out64.data.astype(np.float32))
    np.testing.assert_array_equal(A32.grad, A64.grad.astype(np.float32))


@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 0), (0, 0)])
def test_matrix_exp_of_an_empty_batch_is_empty(shape):
    """(0, 3, 3) and (2, 0, 0) raised from inside numpy (np.stack of nothing)."""
    A = t64(np.zeros(shape))
    out = matrix_exp(A)
    out.sum().backward()
    assert out.shape == A.grad.shape == shape


def test_pytorch_s_names_reach_them():
    """torch.linalg.solve, torch.linalg.matrix_exp, torch.matrix_exp, t.matrix_exp()."""
    import autograd as torch
    assert torch.linalg.solve is solve and torch.matrix_exp is matrix_exp
    A = Tensor([[2.0, 1.0], [0.0, 1.0]])
    assert torch.linalg.solve(A, Tensor([3.0, 1.0])).tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(A.matrix_exp().data, linalg.matrix_exp(A).data)
    assert torch.linalg.svd is linalg.svd and torch.linalg.qr is linalg.qr
    with pytest.raises(AttributeError, match="'autograd.linalg' has no attribute 'eig'.*"
                                             "np.linalg on t.data"):
        torch.linalg.eig(A)


@pytest.mark.parametrize("call, error, message", [
    (lambda: solve(Tensor(np.zeros((2, 2))), Tensor(np.ones(2))), np.linalg.LinAlgError,
     r"solve: A \(shape \(2, 2\)\) is singular"),
    (lambda: solve(Tensor(np.ones((2, 3))), Tensor(np.ones(2))), ValueError,
     r"solve: A must be a square matrix .* got shape \(2, 3\)"),
    (lambda: solve(Tensor(np.eye(2)), Tensor(np.ones(3))), ValueError,
     r"solve: A of shape \(2, 2\) needs B of shape \(..., 2, k\) or \(2,\), got \(3,\)"),
    (lambda: solve(Tensor(np.eye(2)), Tensor(np.ones((3, 2, 1))), left=False), ValueError,
     "solve: A of shape"),
    (lambda: solve(Tensor(np.stack([np.eye(2), np.ones((2, 2))])), Tensor(np.ones((2, 2)))),
     np.linalg.LinAlgError, r"solve: A \(shape \(2, 2, 2\)\) is singular at batch index \[1\]"),
    (lambda: solve(Tensor(np.eye(2, dtype=np.float16)), Tensor(np.ones(2, np.float16))),
     TypeError, r"solve: A must be float32 or float64 .* got dtype float16"),
    (lambda: solve(Tensor([[np.nan, 0.0], [0.0, 1.0]]), Tensor(np.ones(2))), ValueError,
     "solve: A holds NaN or inf"),
    (lambda: solve(Tensor([[np.inf, 0.0], [0.0, 1.0]]), Tensor(np.ones(2))), ValueError,
     "solve: A holds NaN or inf"),
    (lambda: matrix_exp(Tensor([1.0, 2.0])), ValueError, "matrix_exp: A must be a square"),
    (lambda: matrix_exp(Tensor([[1, 2], [3, 4]])), TypeError,
     "matrix_exp: A must be floating point"),
    (lambda: matrix_exp(Tensor([[np.nan, 0.0], [0.0, 1.0]])), ValueError,
     "matrix_exp: A holds NaN or inf"),
])
def test_mistakes_are_refused_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()
