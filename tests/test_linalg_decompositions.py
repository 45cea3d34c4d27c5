"""autograd.linalg's inv, det, slogdet, cholesky, eigh and eigvalsh: values, gradients against
central finite differences in float64 (first and second order), PyTorch's values and gradients
(when torch is installed), batches, float32, and the mistakes they refuse.

Cholesky and eigh read one triangle of A and take it as symmetric, so their gradients are
checked through a symmetric matrix made from a free one: S = X Xᵀ + n I (positive definite)
or S = (X + Xᵀ)/2; a perturbation of X is then a symmetric perturbation of S."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, grad, gradcheck, linalg
from conftest import t64
from linalg_helpers import TIGHT, assert_recorded_gradient_is_the_first_order_one, swap
from torch_helpers import needs_torch, same_as_torch, torch

# (n, n) for n = 1, 2, 4, a batch (3, 2, 4, 4), and a batch of one
SHAPES = [(1, 1), (2, 2), (4, 4), (3, 2, 4, 4), (1, 4, 4)]


def _general(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """A random square matrix (or batch), well away from singular."""
    return rng.standard_normal(shape) + 3 * np.eye(shape[-1])


def _spd(X):
    """X Xᵀ + n I: symmetric positive definite, for an array or a Tensor X."""
    return X @ swap(X) + X.shape[-1] * np.eye(X.shape[-1])


def _symmetric(X):
    return (X + swap(X)) * 0.5


def _weights(rng: np.random.Generator, shape: tuple) -> Tensor:
    return Tensor(rng.standard_normal(shape))


# -- the cost each op is checked through: a scalar that mixes every output element -----------

def _inv_cost(w):
    return lambda A: (linalg.inv(A) * w).sum().tanh()


def _det_cost(w):
    return lambda A: (linalg.det(A) * w).sum().tanh()


def _slogdet_cost(w):
    return lambda A: (linalg.slogdet(A).logabsdet * w).sum().tanh()


def _cholesky_cost(w, upper=False):
    return lambda X: (linalg.cholesky(_spd(X), upper=upper) * w).sum().tanh()


def _eigh_cost(w, w_values):
    """Eigenvalues and eigenvectors both; (wᵀv)² per column, as an eigenvector's sign is
    arbitrary."""
    def cost(X):
        values, vectors = linalg.eigh(_symmetric(X))
        return ((values * w_values).sum() + ((vectors * w).sum(-2) ** 2).sum()).tanh()
    return cost


def _eigvalsh_cost(w_values):
    return lambda X: (linalg.eigvalsh(_symmetric(X)) * w_values).sum().tanh()


def _cost_and_input(name: str, shape: tuple, rng: np.random.Generator):
    batch = shape[:-2]
    if name in ("inv", "det", "slogdet"):
        A = _general(rng, shape)
        if name == "det":
            A = A * 0.5                     # det of order 1 each: tanh not flat
        w = _weights(rng, shape if name == "inv" else batch)
        return {"inv": _inv_cost, "det": _det_cost, "slogdet": _slogdet_cost}[name](w), A
    X = rng.standard_normal(shape)
    if name == "cholesky":
        return _cholesky_cost(_weights(rng, shape)), X
    if name == "cholesky_upper":
        return _cholesky_cost(_weights(rng, shape), upper=True), X
    if name == "eigh":
        return _eigh_cost(_weights(rng, shape), _weights(rng, shape[:-1])), X
    return _eigvalsh_cost(_weights(rng, shape[:-1])), X


OPS = ["inv", "det", "slogdet", "cholesky", "cholesky_upper", "eigh", "eigvalsh"]


# -- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_values_satisfy_their_definitions(shape, rng):
    n = shape[-1]
    A = _general(rng, shape)
    S = _spd(rng.standard_normal(shape))
    eye = np.broadcast_to(np.eye(n), shape)

    inverse = linalg.inv(Tensor(A)).data
    np.testing.assert_allclose(A @ inverse, eye, atol=1e-13)

    eigenvalues = np.linalg.eigvals(A)                      # det = the product of those
    np.testing.assert_allclose(linalg.det(Tensor(A)).data, np.prod(eigenvalues, -1).real,
                               rtol=1e-12)
    sign, logabsdet = linalg.slogdet(Tensor(A))
    assert sign.shape == logabsdet.shape == shape[:-2] and not sign.requires_grad
    np.testing.assert_allclose(sign.data * np.exp(logabsdet.data), linalg.det(Tensor(A)).data,
                               rtol=1e-12)

    L = linalg.cholesky(Tensor(S)).data
    assert (np.triu(L, 1) == 0).all() and (np.diagonal(L, 0, -2, -1) > 0).all()
    np.testing.assert_allclose(L @ swap(L), S, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(linalg.cholesky(Tensor(S), upper=True).data, swap(L))

    values, vectors = linalg.eigh(Tensor(S))
    assert values.shape == shape[:-1] and vectors.shape == shape
    assert (np.diff(values.data, axis=-1) > 0).all()         # ascending
    np.testing.assert_allclose((vectors.data * values.data[..., None, :]) @ swap(vectors.data),
                               S, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(swap(vectors.data) @ vectors.data, eye, atol=1e-13)
    np.testing.assert_array_equal(linalg.eigvalsh(Tensor(S)).data, values.data)


def test_the_triangle_that_is_read(rng):
    """cholesky and eigh read the lower triangle (upper=True, UPLO='U': the upper one), as
    PyTorch's and numpy's: what is in the other triangle changes nothing."""
    S = _spd(rng.standard_normal((3, 3)))
    junk = np.triu(rng.standard_normal((3, 3)) * 100, 1)
    lower, upper = Tensor(S + junk), Tensor(S + swap(junk))
    np.testing.assert_array_equal(linalg.cholesky(lower).data, linalg.cholesky(Tensor(S)).data)
    np.testing.assert_allclose(linalg.cholesky(upper, upper=True).data,
                               linalg.cholesky(Tensor(S), upper=True).data, rtol=1e-14)
    np.testing.assert_array_equal(linalg.eigvalsh(lower).data, linalg.eigvalsh(Tensor(S)).data)
    np.testing.assert_allclose(linalg.eigvalsh(upper, UPLO="U").data,
                               linalg.eigvalsh(Tensor(S)).data, rtol=1e-13)


# -- gradients: finite differences (never skipped) ------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", OPS)
def test_first_derivatives_match_finite_differences(name, shape, rng):
    cost, A = _cost_and_input(name, shape, rng)
    assert gradcheck(cost, t64(A), **TIGHT)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["inv", "det", "slogdet"])
def test_second_derivatives_match_finite_differences(name, shape, rng):
    """The gradient, recorded (create_graph), differentiated again: the rules run on nodes;
    and that gradient is the first-order one."""
    cost, A = _cost_and_input(name, shape, rng)
    assert gradcheck(lambda A: grad(cost)(A), t64(A), **TIGHT)
    assert_recorded_gradient_is_the_first_order_one(cost, A)


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (2, 3, 3)], ids=str)
@pytest.mark.parametrize("name", ["cholesky", "cholesky_upper", "eigh", "eigvalsh"])
def test_second_derivatives_of_the_factorisations_match_finite_differences(name, shape, rng):
    cost, X = _cost_and_input(name, shape, rng)
    assert gradcheck(lambda X: grad(cost)(X), t64(X), atol=1e-7, rtol=1e-5)
    assert_recorded_gradient_is_the_first_order_one(cost, X)


@pytest.mark.parametrize("name", ["cholesky", "eigh", "eigvalsh"])
def test_the_factorisations_give_a_symmetric_gradient(name, rng):
    """Only one triangle is read, but a change of A_ij is taken as one of A_ji too: the
    gradient is symmetric (as PyTorch's), and it is the derivative along any symmetric D."""
    S = _spd(rng.standard_normal((4, 4)))
    w = rng.standard_normal((4, 4))
    f = {"cholesky": lambda A: (linalg.cholesky(A) * Tensor(w)).sum(),
         "eigh": lambda A: ((linalg.eigh(A).eigenvectors * Tensor(w)).sum(-2) ** 2).sum(),
         "eigvalsh": lambda A: (linalg.eigvalsh(A) * Tensor(w[0])).sum()}[name]
    A = t64(S)
    f(A).backward()
    np.testing.assert_allclose(A.grad, A.grad.T, rtol=0, atol=1e-14)
    D = _symmetric(rng.standard_normal((4, 4)))
    eps = 1e-6
    slope = (f(Tensor(S + eps * D)).item() - f(Tensor(S - eps * D)).item()) / (2 * eps)
    np.testing.assert_allclose((A.grad * D).sum(), slope, rtol=1e-7)


def test_det_of_a_singular_matrix_has_the_cofactor_matrix_as_gradient(rng):
    """det A is a polynomial: its gradient exists everywhere, the cofactor matrix, which at a
    singular A is not det(A) A⁻ᵀ (there is no A⁻¹). Rank n - 1: nonzero; rank n - 2: zero;
    checked against the 2 × 2 formula, finite differences, and in a batch beside invertible
    matrices (each gets its own)."""
    A = t64([[1.0, 2.0], [2.0, 4.0]])
    linalg.det(A).backward()
    np.testing.assert_allclose(A.grad, [[4.0, -2.0], [-2.0, 1.0]], rtol=1e-13)   # [[d, -c],
    u, v = rng.standard_normal((2, 4, 1))                                          # [-b, a]]
    rank_one = u @ v.T                                      # rank 1 < 4 - 1: cofactors all 0
    rank_three = rng.standard_normal((4, 3)) @ rng.standard_normal((3, 4))
    batch = np.stack([_general(rng, (4, 4)), rank_three, rank_one])
    w = _weights(rng, (3,))
    assert gradcheck(lambda A: (linalg.det(A) * w).sum(), t64(batch), **TIGHT)
    B = t64(batch)
    (linalg.det(B) * w).sum().backward()
    np.testing.assert_allclose(B.grad[2], 0.0, atol=1e-13)
    assert np.abs(B.grad[1]).max() > 1e-3
    # the rank-3 one's cofactors: det(A + ε E_ij) is linear in ε, its slope is the cofactor
    slope = np.empty((4, 4))
    for i, j in np.ndindex(4, 4):
        bump = np.zeros((4, 4))
        bump[i, j] = 1.0
        slope[i, j] = np.linalg.det(rank_three + bump) - np.linalg.det(rank_three)
    np.testing.assert_allclose(B.grad[1], w.data[1] * slope, rtol=1e-8, atol=1e-10)
    # nearly singular, with a gradient to differentiate again: det(A) A⁻ᵀ is mostly rounding
    # there, but the gradient's value is the cofactor matrix's all the same
    nearly = rank_three + 1e-13 * np.eye(4)
    recorded = grad(lambda A: linalg.det(A))(t64(nearly))
    assert recorded.requires_grad
    np.testing.assert_allclose(recorded.data, slope, rtol=1e-8, atol=1e-10)


def test_eigvalsh_has_a_gradient_at_repeated_eigenvalues(rng):
    """V diag(g) Vᵀ needs no gap between eigenvalues: at A = I (all equal) the gradient of
    Σ λ is I, whichever eigenvectors came out."""
    A = t64(np.eye(3))
    linalg.eigvalsh(A).sum().backward()
    np.testing.assert_allclose(A.grad, np.eye(3), atol=1e-15)
    B = t64(np.eye(3))                              # eigh with unused eigenvectors: the same
    (linalg.eigh(B).eigenvalues * Tensor([1.0, 1.0, 1.0])).sum().backward()
    np.testing.assert_allclose(B.grad, np.eye(3), atol=1e-15)


def test_eigh_has_a_gradient_when_the_repeated_eigenvalue_s_eigenvectors_are_unused(rng):
    """PCA of data with constant features (MNIST's border pixels): the covariance has the
    eigenvalue 0 several times over, exactly. A loss of the top eigenvectors does not touch the
    eigenvectors of that repeated eigenvalue, and its gradient exists: each used eigenvector
    moves by the projection onto the whole eigenspace, whatever basis came out. (PyTorch gives
    NaN there; glassgrad refused it.) Checked against finite differences of the data, and, for a
    matrix made symmetric, at diag(0, 0, 1, 2) with the top eigenvector in the loss."""
    def reconstruction_error(X):
        centred = X - X.mean(axis=0)
        _, vectors = linalg.eigh(centred.T @ centred / (X.shape[0] - 1))
        top = vectors[:, -2:]
        return ((centred @ top @ top.T - centred) ** 2).sum()

    X = np.c_[rng.standard_normal((12, 3)) @ rng.standard_normal((3, 3)), np.ones((12, 2))]
    eigenvalues = np.linalg.eigvalsh(np.cov(X.T))
    assert eigenvalues[0] == eigenvalues[1] == 0.0      # the case: an exact tie
    assert gradcheck(reconstruction_error, t64(X), **TIGHT)

    w = Tensor(rng.standard_normal(4))
    D = np.diag([0.0, 0.0, 1.0, 2.0]) + _symmetric(np.diag([0.0, 0.0, 0.3], 1))
    assert gradcheck(lambda X: (w @ linalg.eigh(_symmetric(X)).eigenvectors[:, -1]) ** 2,
                     t64(D), **TIGHT)
    # one used eigenvector of the tied pair is still refused: it is any vector of the eigenspace
    with pytest.raises(np.linalg.LinAlgError, match=r"^eigh: A has a repeated eigenvalue"):
        (w[:3] @ linalg.eigh(t64(np.diag([0.0, 0.0, 1.0]))).eigenvectors[:, 1]).backward()


@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 0), (0, 0)], ids=str)
@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "eigh"])
def test_an_empty_batch_or_matrix_gives_empty_results_and_gradients(name, shape):
    A = t64(np.zeros(shape) + np.eye(shape[-1]))
    out = {"inv": linalg.inv, "det": linalg.det, "cholesky": linalg.cholesky,
           "slogdet": lambda A: linalg.slogdet(A).logabsdet,
           "eigh": lambda A: linalg.eigh(A).eigenvectors}[name](A)
    out.sum().backward()
    assert A.grad.shape == shape and not A.grad.any()


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "cholesky_upper",
                                  "eigvalsh", "eigh_values", "eigh_vectors"])
def test_float32_gives_float32_values_and_gradients_close_to_float64_s(name, rng):
    S = _spd(rng.standard_normal((2, 3, 3)))
    f, _ = _torch_pair(name)
    A32, A64 = Tensor(S.astype(np.float32), requires_grad=True), t64(S.astype(np.float32))
    out32, out64 = f(A32), f(A64)
    g = rng.uniform(0.5, 1.5, out32.shape)
    out32.backward(g.astype(np.float32))
    out64.backward(g)
    assert out32.dtype == A32.grad.dtype == np.float32
    np.testing.assert_allclose(out32.data, out64.data, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(A32.grad, A64.grad, rtol=1e-4, atol=1e-5)


def test_float32_cofactors_are_float64_s_rounded_once():
    """The cofactors come from an SVD, whose float32 rounding showed (2.9999993 for 3)."""
    A = Tensor(np.array([[2.0, 1.0], [1.0, 3.0]], dtype=np.float32), requires_grad=True)
    linalg.det(A).backward()
    assert A.grad.dtype == np.float32
    np.testing.assert_array_equal(A.grad, [[3.0, -1.0], [-1.0, 2.0]])


# -- PyTorch's values and gradients (only this comparison needs torch) ----------------------

def _torch_pair(name: str):
    """(our function, PyTorch's) of one input, each giving one tensor: for eigh, the
    eigenvectors squared (their signs are each library's choice)."""
    ours = {"inv": linalg.inv, "det": linalg.det,
            "slogdet": lambda A: linalg.slogdet(A).logabsdet,
            "cholesky": linalg.cholesky,
            "cholesky_upper": lambda A: linalg.cholesky(A, upper=True),
            "eigvalsh": linalg.eigvalsh, "eigvalsh_upper": lambda A: linalg.eigvalsh(A, "U"),
            "eigh_values": lambda A: linalg.eigh(A).eigenvalues,
            "eigh_vectors": lambda A: linalg.eigh(A).eigenvectors ** 2}
    if torch is None:
        return ours[name], None
    theirs = {"inv": torch.linalg.inv, "det": torch.linalg.det,
              "slogdet": lambda A: torch.linalg.slogdet(A).logabsdet,
              "cholesky": torch.linalg.cholesky,
              "cholesky_upper": lambda A: torch.linalg.cholesky(A, upper=True),
              "eigvalsh": torch.linalg.eigvalsh,
              "eigvalsh_upper": lambda A: torch.linalg.eigvalsh(A, UPLO="U"),
              "eigh_values": lambda A: torch.linalg.eigh(A).eigenvalues,
              "eigh_vectors": lambda A: torch.linalg.eigh(A).eigenvectors ** 2}
    return ours[name], theirs[name]


@needs_torch
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "cholesky_upper",
                                  "eigvalsh", "eigvalsh_upper", "eigh_values", "eigh_vectors"])
def test_values_and_gradients_are_pytorch_s(name, shape, rng):
    """Symmetric positive definite inputs with junk in the triangle that is not read: the
    gradient is PyTorch's there too (symmetric)."""
    if name in ("inv", "det", "slogdet"):
        A = _general(rng, shape)
    else:
        junk = np.triu(rng.standard_normal(shape), 1)
        A = _spd(rng.standard_normal(shape)) + (swap(junk) if "upper" in name else junk)
    ours, theirs = _torch_pair(name)
    same_as_torch(ours, A, rng=rng, torch_f=theirs, rtol=1e-9)


@needs_torch
def test_slogdet_s_sign_and_the_tensor_methods_are_pytorch_s(rng):
    A = np.stack([_general(rng, (3, 3)), -_general(rng, (3, 3)), np.diag([1.0, 2.0, 0.0])])
    sign = linalg.slogdet(Tensor(A)).sign.data
    np.testing.assert_array_equal(sign, torch.linalg.slogdet(torch.tensor(A)).sign.numpy())
    for method in ("inverse", "det", "logdet"):
        same_as_torch(lambda t: getattr(t, method)(), A[:2], rng=rng)
    same_as_torch(lambda t: t.slogdet()[1], A[:2], rng=rng)
    same_as_torch(lambda t: t.cholesky(), _spd(A), rng=rng,
                  torch_f=torch.linalg.cholesky)     # (torch's t.cholesky() is deprecated)


# -- PyTorch's names ------------------------------------------------------------------------

def test_the_tensor_methods_and_module_functions_call_autograd_linalg(rng):
    A = Tensor(_general(rng, (2, 3, 3)))
    S = Tensor(_spd(A.data))
    np.testing.assert_array_equal(A.inverse().data, linalg.inv(A).data)
    np.testing.assert_array_equal(A.det().data, linalg.det(A).data)
    np.testing.assert_array_equal(A.slogdet().logabsdet.data, linalg.slogdet(A).logabsdet.data)
    np.testing.assert_array_equal(A.logdet().data, np.linalg.slogdet(A.data)[1])
    np.testing.assert_array_equal(S.cholesky().data, linalg.cholesky(S).data)
    np.testing.assert_array_equal(S.cholesky(upper=True).data,
                                  linalg.cholesky(S, upper=True).data)
    for name in ("inverse", "det", "logdet", "cholesky"):
        np.testing.assert_array_equal(getattr(autograd, name)(S).data,
                                      getattr(S, name)().data)
    assert "cholesky" in Tensor.cholesky.__doc__ and "autograd.linalg" in Tensor.det.__doc__


def test_logdet_is_nan_for_a_negative_determinant_and_minus_inf_for_zero():
    """As PyTorch's: the gradient of the NaN entry is 0 (it is a constant there)."""
    A = t64([[[0.0, 1.0], [2.0, 0.0]], [[2.0, 0.0], [0.0, 3.0]]])
    out = A.logdet()
    assert np.isnan(out.data[0]) and out.data[1] == pytest.approx(np.log(6.0))
    out[1].backward()
    np.testing.assert_allclose(A.grad, [np.zeros((2, 2)), [[0.5, 0.0], [0.0, 1 / 3]]])
    assert Tensor([[1.0, 2.0], [2.0, 4.0]]).logdet().item() == -np.inf


def test_the_remaining_decompositions_are_pointed_at_numpy():
    with pytest.raises(AttributeError, match=r"'autograd.linalg' has no attribute 'eig'; "
                                             r"glassgrad has solve, .*eigh.*qr.*np.linalg"):
        linalg.eig
    packed, pivots = Tensor(np.eye(2)).lu()         # the old API (once a hint): the packed
    assert packed.tolist() == [[1.0, 0.0], [0.0, 1.0]] and pivots.tolist() == [1, 2]   # factors


# -- mistakes -------------------------------------------------------------------------------

BAD_INPUTS = [
    (np.ones((2, 3)), ValueError, r"must be a square matrix .* got shape \(2, 3\)"),
    (np.ones(3), ValueError, r"must be a square matrix .* got shape \(3,\)"),
    (np.eye(2, dtype=np.int64), TypeError, "must be floating point, got dtype int64"),
    (np.eye(2, dtype=np.float16), TypeError, "must be float32 or float64 .* float16"),
    (np.array([[1.0, np.nan], [np.nan, 1.0]]), ValueError, "A holds NaN or inf"),
]


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh"])
@pytest.mark.parametrize("bad, error, message", BAD_INPUTS,
                         ids=["non-square", "1-d", "integer", "float16", "nan"])
def test_what_is_not_a_float_square_matrix_is_refused_naming_the_function(name, bad, error,
                                                                          message):
    with pytest.raises(error, match=f"^{name}: .*{message}"):
        getattr(linalg, name)(Tensor(bad))


def test_a_singular_matrix_has_no_inverse_and_its_batch_index_is_named():
    batch = np.stack([np.eye(2), np.eye(2), [[1.0, 2.0], [2.0, 4.0]]]).reshape(3, 1, 2, 2)
    with pytest.raises(np.linalg.LinAlgError, match=r"^inv: A \(shape \(3, 1, 2, 2\)\) is "
                                                    r"singular at batch index \[2, 0\]"):
        linalg.inv(Tensor(batch))
    with pytest.raises(np.linalg.LinAlgError, match=r"^inv: A \(shape \(2, 2\)\) is singular: "):
        linalg.inv(Tensor(np.zeros((2, 2))))


def test_a_matrix_that_is_not_positive_definite_is_refused_naming_its_index_and_minor():
    batch = np.stack([np.eye(3), np.diag([1.0, 2.0, -1.0])])
    with pytest.raises(np.linalg.LinAlgError, match=r"^cholesky: A \(shape \(2, 3, 3\)\) is "
                       r"not positive definite at batch index \[1\]: its leading 3 × 3 minor"):
        linalg.cholesky(Tensor(batch))
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite: its leading 2 × 2"):
        linalg.cholesky(Tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite at batch index "
                                                    r"\[1\].*upper"):
        linalg.cholesky(Tensor(np.stack([np.eye(2), [[1.0, 2.0], [0.0, 1.0]]])), upper=True)


def test_eigh_refuses_a_bad_uplo():
    with pytest.raises(ValueError, match="eigh: UPLO must be 'L' .* or 'U' .* got 'l'"):
        linalg.eigh(Tensor(np.eye(2)), UPLO="l")


def test_gradients_that_do_not_exist_are_refused_not_given_as_numbers():
    """log|det A| at a singular A is -inf: no gradient. The eigenvectors of a repeated
    eigenvalue are any rotation in its eigenspace: no gradient. det's second derivative at a
    singular A is not computed. Each is an error naming the op and the matrix."""
    singular = t64(np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]]))
    with pytest.raises(np.linalg.LinAlgError, match=r"^slogdet: A\[1\] is singular: log\|det "
                                                    r"A\| is -inf"):
        linalg.slogdet(singular).logabsdet.sum().backward()
    with pytest.raises(np.linalg.LinAlgError, match=r"^det: A\[1\] is singular: .*"
                                                    r"create_graph=True"):
        grad(lambda A: linalg.det(A).sum())(singular)
    tied = t64(np.stack([np.diag([1.0, 2.0, 3.0]), np.diag([1.0, 2.0, 2.0])]))
    with pytest.raises(np.linalg.LinAlgError, match=r"^eigh: A\[1\] has a repeated eigenvalue"):
        (linalg.eigh(tied).eigenvectors ** 3).sum().backward()


def test_eigenvalues_equal_but_for_rounding_are_a_repeated_eigenvalue(rng):
    """[[2, 1, 1], [1, 2, 1], [1, 1, 2]] has eigenvalues 1, 1, 4; LAPACK gives the two 1s
    7e-16 apart. Which eigenvectors come out within that plane is rounding, so a loss of them
    has no gradient: it is refused as at an exact tie (it was 2.5e14, PyTorch's too). Gaps
    that rounding does not explain keep their gradient."""
    A = np.array([[2.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 2.0]])
    rotate = _general(rng, (3, 3))
    q, _ = np.linalg.qr(rotate)
    for matrix in (A, q @ A @ q.T, (q @ A @ q.T).astype(np.float32)):
        X = Tensor(np.stack([np.diag([1.0, 2.0, 3.0]), matrix]).astype(matrix.dtype),
                   requires_grad=True)
        vectors = linalg.eigh(X).eigenvectors
        with pytest.raises(np.linalg.LinAlgError, match=r"^eigh: A\[1\] has a repeated "
                                                        r"eigenvalue"):
            ((vectors[..., 0] ** 2) * Tensor(np.array([1.0, 2.0, 3.0], matrix.dtype))
             ).sum().backward()
    close = t64(np.diag([1.0, 1.0 + 1e-9, 3.0]))      # a true gap of 1e-9: a gradient
    (linalg.eigh(close).eigenvectors ** 3).sum().backward()
    assert np.isfinite(close.grad).all()
