"""A machine-learning course's exercises that meet linear algebra, solved as a teacher would with
glassgrad and checked against closed forms, numpy, and finite differences (float64).

The syllabus: multivariate linear regression and regularisation (the normal equations by
`linalg.solve` and `linalg.inv`, ridge's closed form), logistic regression (its decision
boundary; Newton's method with a Hessian from `autograd.grad`), the support vector machine
(hinge loss; the margin 2/‖w‖ of the hard-margin geometry, from the support vectors' Lagrange
multipliers), principal component analysis (`linalg.eigh` of the covariance, against numpy's
SVD; explained variance; reconstruction; a linear autoencoder finds the same subspace), a
recommender system (masked low-rank factorisation, gradient checked, against alternating least
squares by batched `linalg.solve`), clustering (k-means; a Gaussian mixture's negative
log-likelihood with `cholesky` and `slogdet`, gradient checked), and small networks (a
feed-forward network and a CNN). tests/test_course_exercises.py holds the first part of the
course (gradient descent, the notes' backpropagation, gradient checking, model selection).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, cdist, grad, gradcheck, gradcheck_parameters, linalg, no_grad
from nn import (
    Conv2d, Flatten, Linear, LinearRegression, LogisticRegression, MaxPool2d, ReLU, Sequential,
    binary_cross_entropy_with_logits, cross_entropy, fit, hinge_loss, l2_penalty, mse_loss,
)
from nn.models import LinearSVM
from nn.optim import LBFGS, SGD, Adam


def t64(x, requires_grad=True):
    return Tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


def _regression_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 3.0, 0.5]
    return X, X @ np.array([1.5, -2.0, 0.5]) + 0.7 + 0.1 * rng.normal(size=n)


def _penalty_matrix(d):
    """λ L with L the identity but for the intercept's 0: the intercept is not penalised."""
    L = np.eye(d + 1)
    L[0, 0] = 0.0
    return L


# -- 1. linear regression: normal equations, ridge -------------------------------------------------

def test_normal_equations_by_solve_and_inv_and_gradient_descent_agree_with_ridge():
    """J(θ) = 1/2m ‖Xθ − y‖² + λ/2m ‖w‖²: θ = (XᵀX + λL)⁻¹ Xᵀy by solve, by inv, by
    gradient descent with l2_penalty, and by fit with weight decay 2λ/m on mse_loss."""
    X, y = _regression_data()
    m, lam = len(y), 5.0
    Xb = np.c_[np.ones(m), X]
    A, b = Tensor(Xb.T @ Xb + lam * _penalty_matrix(3)), Tensor(Xb.T @ y)
    reference = np.linalg.lstsq(np.r_[Xb, np.sqrt(lam) * _penalty_matrix(3)],
                                np.r_[y, np.zeros(4)], rcond=None)[0]   # ridge as least squares
    by_solve, by_inv = linalg.solve(A, b), linalg.inv(A) @ b
    np.testing.assert_allclose(by_solve.data, reference, rtol=1e-12)
    np.testing.assert_allclose(by_inv.data, reference, rtol=1e-10)

    model = LinearRegression(3, dtype="float64")
    optimizer = SGD(model.parameters(), lr=0.05)
    for _ in range(4000):
        optimizer.zero_grad()
        loss = 0.5 * mse_loss(model(X), y) + l2_penalty([model.weight], lam / (2 * m))
        loss.backward()
        optimizer.step()
    np.testing.assert_allclose(np.r_[model.bias.data, model.weight.data[0]], reference, rtol=1e-8)

    model = LinearRegression(3, dtype="float64")
    optimizer = SGD([{"params": model.weight, "weight_decay": 2 * lam / m},
                     {"params": model.bias}], lr=0.05)
    fit(model, mse_loss, optimizer, (X, y), epochs=4000, batch_size=m, progress=False)
    np.testing.assert_allclose(np.r_[model.bias.data, model.weight.data[0]], reference, rtol=1e-8)


def test_the_ridge_solution_is_differentiable_in_lambda():
    """d/dλ of the training error at θ(λ) = solve(XᵀX + λL, Xᵀy): through solve's gradient,
    against central differences of the closed form."""
    X, y = _regression_data()
    Xb, L = np.c_[np.ones(len(y)), X], _penalty_matrix(3)

    def training_error(lam):
        theta = linalg.solve(Tensor(Xb.T @ Xb) + lam * Tensor(L), Tensor(Xb.T @ y))
        return ((Tensor(Xb) @ theta - Tensor(y)) ** 2).mean()

    lam = t64(3.0)
    training_error(lam).backward()
    h = 1e-5
    numeric = (training_error(3.0 + h).item() - training_error(3.0 - h).item()) / (2 * h)
    assert lam.grad == pytest.approx(numeric, rel=1e-7)
    assert lam.grad > 0                              # more shrinkage, a worse fit on the data


# -- 2. logistic regression: regularised, its decision boundary, Newton's method -------------------

def _two_classes(m=80, seed=1):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(size=(m // 2, 2)) + [1.5, 1.0], rng.normal(size=(m // 2, 2)) - [1.0, 1.5]]
    return X, np.r_[np.ones(m // 2), np.zeros(m // 2)]


def test_regularised_logistic_regression_by_lbfgs_and_by_newton_reach_the_same_boundary():
    """J = mean BCE + λ/2m ‖w‖². LBFGS on the model; Newton's θ ← θ − H⁻¹∇J with the Hessian
    built row by row from autograd.grad and solved by linalg.solve, H checked against the
    closed form Xᵀ diag(p(1 − p)) X / m + λL/m. Both stop where ∇J = 0; σ = ½ on the line."""
    X, y = _two_classes()
    m, lam = len(y), 1.0
    model = LogisticRegression(2, dtype="float64")
    optimizer = LBFGS(model.parameters(), lr=1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = (binary_cross_entropy_with_logits(model(X), y)
                + l2_penalty([model.weight], lam / (2 * m)))
        loss.backward()
        return loss
    optimizer.step(closure)

    Xb, L = Tensor(np.c_[np.ones(m), X]), Tensor(_penalty_matrix(2))

    def J(theta):
        z = Xb @ theta
        return binary_cross_entropy_with_logits(z, y) + lam / (2 * m) * (theta @ L @ theta)

    theta = t64(np.zeros(3))
    for _ in range(8):
        (g,) = grad(J(theta), theta, create_graph=True)
        H = autograd.stack([grad(g[i], theta)[0] for i in range(3)])
        with no_grad():
            theta -= linalg.solve(H, g)
    p = 1 / (1 + np.exp(-(Xb.data @ theta.data)))
    closed_hessian = (Xb.data.T * p * (1 - p)) @ Xb.data / m + lam / m * L.data
    np.testing.assert_allclose(H.data, closed_hessian, rtol=1e-6)
    gradient = Xb.data.T @ (p - y) / m + lam / m * L.data @ theta.data
    np.testing.assert_allclose(gradient, 0.0, atol=1e-12)
    np.testing.assert_allclose(np.r_[model.bias.data, model.weight.data[0]], theta.data,
                               rtol=1e-5)

    b, w = theta.data[0], theta.data[1:]             # the boundary w·x + b = 0
    x1 = np.linspace(-3.0, 3.0, 7)
    on_line = np.c_[x1, -(b + w[0] * x1) / w[1]]
    with no_grad():
        model.linear.weight.data[...] = w
        model.linear.bias.data[...] = b
    np.testing.assert_allclose(model.predict_proba(on_line), 0.5, atol=1e-12)


# -- 3. the support vector machine -----------------------------------------------------------------

def _separable(seed=2):
    """Support vectors p = (2, 1) (class +1) and q = (0, −1) (class −1); every other point
    farther from the bisector of pq. The widest band is the one between the lines through p and
    q perpendicular to p − q: w = 2(p − q)/‖p − q‖² = (½, ½), b = −½, margin ‖p − q‖ = 2√2."""
    rng = np.random.default_rng(seed)
    p, q = np.array([2.0, 1.0]), np.array([0.0, -1.0])
    points = rng.uniform(-4.0, 4.0, size=(400, 2))
    score = points @ [0.5, 0.5] - 0.5
    X = np.r_[[p], points[score > 1.5][:15], [q], points[score < -1.5][:15]]
    y = np.r_[np.ones(16), -np.ones(16)]
    return X, y, p, q


def test_the_hard_margin_from_the_support_vectors_lagrange_multipliers():
    """The KKT conditions on the support vectors: w = Σ αᵢyᵢxᵢ, yᵢ(w·xᵢ + b) = 1, Σ αᵢyᵢ = 0,
    a linear system in (α, b) solved by linalg.solve; its margin is the geometry's."""
    _, _, p, q = _separable()
    S, ys = np.array([p, q]), np.array([1.0, -1.0])
    K = (S @ S.T) * np.outer(ys, ys)                 # yᵢ yⱼ xᵢ·xⱼ
    A = Tensor(np.block([[K, ys[:, None]], [ys[None, :], np.zeros((1, 1))]]))
    solution = linalg.solve(A, Tensor([1.0, 1.0, 0.0]))
    alpha, b = solution.data[:2], solution.data[2]
    w = (alpha * ys) @ S
    np.testing.assert_allclose(w, [0.5, 0.5], rtol=1e-12)
    assert b == pytest.approx(-0.5, rel=1e-12)
    assert (alpha > 0).all()
    assert 2 / np.linalg.norm(w) == pytest.approx(np.linalg.norm(p - q), rel=1e-12)


def test_a_linear_svm_trained_with_the_hinge_loss_finds_the_widest_margin():
    """min λ/2 ‖w‖² + 1/m Σ max(0, 1 − y f(x)) on separable data: for λ below 1/(m maxᵢ αᵢ)
    its minimum is the hard margin's. Subgradient steps of a fixed size hover near it."""
    X, y, p, q = _separable()
    model = LinearSVM(2, dtype="float64")
    optimizer = SGD([{"params": model.weight, "weight_decay": 0.1}, {"params": model.bias}],
                    lr=0.1)
    history = fit(model, hinge_loss, optimizer, (X, y), epochs=3000, batch_size=len(y),
                  progress=False)
    assert history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(model.predict(X), y)
    np.testing.assert_allclose(model.weight.data[0], [0.5, 0.5], atol=0.02)
    assert model.bias.data[0] == pytest.approx(-0.5, abs=0.02)
    assert model.margin() == pytest.approx(np.linalg.norm(p - q), rel=0.02)
    scores = model.decision_function(X)               # no point inside the band, but nearly
    assert np.min(y * scores) == pytest.approx(1.0, abs=0.05)


# -- 4. principal component analysis ---------------------------------------------------------------

def _low_rank_data(n=200, seed=3):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 2)) * [3.0, 2.0]
    return Z @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(n, 5)) + 5.0


def _pca(X: Tensor, k: int):
    """The top k eigenvalues (descending) and eigenvectors of the covariance, the mean."""
    mean = X.mean(axis=0)
    centred = X - mean
    values, vectors = linalg.eigh(centred.T @ centred / (X.shape[0] - 1))
    return values.flip(0), vectors.flip(1)[:, :k], mean


def test_pca_by_eigh_matches_the_svd_explained_variance_and_reconstruction():
    X = _low_rank_data()
    n = len(X)
    values, W, mean = _pca(Tensor(X), 2)
    _, s, Vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    all_values = s ** 2 / (n - 1)
    np.testing.assert_allclose(values.data, all_values, rtol=1e-10)
    # the same directions, up to sign: equal projectors
    np.testing.assert_allclose((W @ W.T).data, Vt[:2].T @ Vt[:2], atol=1e-10)
    explained = values / values.sum()
    assert explained[:2].sum().item() > 0.99
    total = Tensor(X).var(axis=0, ddof=1).sum()
    assert values.sum().item() == pytest.approx(total.item(), rel=1e-12)
    # reconstruction error per sample: the variance left out, (n − 1)/n Σ of the dropped λ
    centred = Tensor(X) - mean
    reconstruction = centred @ W @ W.T + mean
    error = ((reconstruction - Tensor(X)) ** 2).sum(axis=1).mean()
    assert error.item() == pytest.approx(values[2:].sum().item() * (n - 1) / n, rel=1e-10)


def test_a_linear_autoencoder_learns_pca_s_subspace():
    """min ‖X W_eᵀ W_dᵀ − X‖² over an encoder (5 → 2) and a decoder (2 → 5), trained by LBFGS
    on the reconstruction error alone: its minimum is the reconstruction by PCA's top two
    components, and the decoder's columns span their subspace (not the components themselves:
    any basis of it will do). Adam gets there too, to about 10⁻³."""
    X = _low_rank_data()
    _, W, _ = _pca(Tensor(X), 2)
    centred = Tensor(X - X.mean(axis=0))
    autograd.manual_seed(0)
    encoder = Linear(5, 2, bias=False, dtype="float64")
    decoder = Linear(2, 5, bias=False, dtype="float64")
    optimizer = LBFGS(encoder.parameters() + decoder.parameters(), max_iter=1000,
                      tolerance_grad=1e-12, tolerance_change=1e-15, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = ((decoder(encoder(centred)) - centred) ** 2).sum(axis=1).mean()
        loss.backward()
        return loss
    loss = optimizer.step(closure)
    Q, _ = np.linalg.qr(decoder.weight.data.copy())  # an orthonormal basis of its columns
    np.testing.assert_allclose(Q @ Q.T, (W @ W.T).data, atol=1e-6)
    best = ((centred @ W @ W.T - centred) ** 2).sum(axis=1).mean().item()
    assert closure().item() == pytest.approx(best, rel=1e-8)
    assert loss.item() > best                        # (the loss it started from)


def test_the_reconstruction_error_s_gradient_through_eigh_with_constant_features():
    """PCA's reconstruction error differentiated with respect to the data, two of whose
    features are constant (the covariance's eigenvalue 0, twice): finite differences agree."""
    rng = np.random.default_rng(4)
    X = np.c_[rng.normal(size=(15, 3)) @ rng.normal(size=(3, 3)), np.full((15, 2), 7.0)]

    def error(X):
        _, W, mean = _pca(X, 2)
        centred = X - mean
        return ((centred @ W @ W.T - centred) ** 2).sum()
    assert gradcheck(error, t64(X), atol=1e-7, rtol=1e-6)


# -- 5. a recommender system -----------------------------------------------------------------------

def _ratings(seed=5):
    rng = np.random.default_rng(seed)
    U, V = rng.normal(size=(8, 2)), rng.normal(size=(10, 2))
    R = U @ V.T + 0.05 * rng.normal(size=(8, 10))
    known = rng.uniform(size=R.shape) < 0.6
    return np.where(known, R, np.nan), known


def _factorisation_cost(U, V, R, known, lam):
    """½ Σ over the known ratings of (u·v − r)² + λ/2 (‖U‖² + ‖V‖²); the missing ones (NaN)
    taken out before any op meets them."""
    residual = (U @ V.T)[known] - Tensor(R[known])
    return 0.5 * (residual ** 2).sum() + lam / 2 * ((U ** 2).sum() + (V ** 2).sum())


def test_matrix_factorisation_gradient_checks_and_matches_alternating_least_squares():
    """Gradient descent on both factors, and ALS: each user's row solves (Vᵀ Mᵤ V + λI) u =
    Vᵀ Mᵤ rᵤ, all users at once by a batched linalg.solve, then each item's likewise. They
    reach the same predictions of the known ratings (a minimum: its gradient is 0)."""
    R, known = _ratings()
    lam = 0.1
    rng = np.random.default_rng(6)
    U, V = t64(rng.normal(size=(8, 2)) * 0.5), t64(rng.normal(size=(10, 2)) * 0.5)
    assert gradcheck(lambda U, V: _factorisation_cost(U, V, R, known, lam), (U, V))

    optimizer = Adam([U, V], lr=0.05)
    for _ in range(3000):
        optimizer.zero_grad()
        cost = _factorisation_cost(U, V, R, known, lam)
        cost.backward()
        optimizer.step()
    np.testing.assert_allclose(U.grad, 0.0, atol=1e-6)

    M, filled = Tensor(known.astype(float)), Tensor(np.where(known, R, 0.0))
    I = autograd.eye(2, dtype=np.float64)
    Ua, Va = Tensor(rng.normal(size=(8, 2))), Tensor(rng.normal(size=(10, 2)))
    for _ in range(200):
        Ua = linalg.solve(autograd.einsum("ui,ik,il->ukl", M, Va, Va) + lam * I, filled @ Va)
        Va = linalg.solve(autograd.einsum("ui,uk,ul->ikl", M, Ua, Ua) + lam * I,
                          filled.T @ Ua)
    als_cost = _factorisation_cost(Ua, Va, R, known, lam).item()
    assert als_cost == pytest.approx(cost.item(), rel=1e-9)
    np.testing.assert_allclose((Ua @ Va.T).data[known], (U @ V.T).data[known], atol=1e-5)


# -- 6. clustering: k-means, a Gaussian mixture ----------------------------------------------------

def _three_blobs(seed=7):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 5.0], [-2.0, 0.0], [6.0, -1.0]])
    return np.concatenate([c + rng.normal(size=(40, 2)) for c in centres]), centres


def test_k_means_converges_to_the_blobs_and_each_step_lowers_the_inertia():
    X, centres = _three_blobs()
    points = Tensor(X)
    C = points[[0, 40, 80]] + 1.0
    inertia = []
    for _ in range(10):
        assignment = cdist(points, C).argmin(dim=1)
        inertia.append((cdist(points, C).min(dim=1).values ** 2).sum().item())
        C = autograd.stack([points[assignment == j].mean(axis=0) for j in range(3)])
    assert all(a >= b - 1e-9 for a, b in zip(inertia, inertia[1:]))
    np.testing.assert_array_equal(assignment.numpy(), np.repeat([0, 1, 2], 40))
    np.testing.assert_allclose(C.data, [X[:40].mean(0), X[40:80].mean(0), X[80:].mean(0)])
    assert np.abs(C.data - centres).max() < 0.5


def _mixture_nll(X, means, factors, logits):
    """−1/n Σ log Σₖ πₖ N(x | μₖ, Σₖ) with Σₖ = Fₖ Fₖᵀ + 10⁻³ I, by the Cholesky factor
    (the Mahalanobis distance from L z = x − μ) and slogdet, weights π = softmax(logits)."""
    n, d = X.shape
    K = means.shape[0]
    covariances = factors @ factors.mT + 1e-3 * autograd.eye(d, dtype=np.float64)
    L = linalg.cholesky(covariances)                                      # (K, d, d)
    z = linalg.solve(L.unsqueeze(0).expand(n, K, d, d), X.unsqueeze(1) - means)   # (n, K, d)
    log_density = (-0.5 * (z ** 2).sum(axis=-1) - 0.5 * linalg.slogdet(covariances).logabsdet
                   - 0.5 * d * np.log(2 * np.pi))
    return -(log_density + logits.log_softmax(dim=0)).logsumexp(dim=1).mean()


def test_a_gaussian_mixture_s_negative_log_likelihood_and_its_gradient():
    X, centres = _three_blobs()
    rng = np.random.default_rng(8)
    means = t64(centres + 0.3 * rng.normal(size=(3, 2)))
    factors = t64(np.eye(2) + 0.2 * rng.normal(size=(3, 2, 2)))
    logits = t64([0.1, -0.2, 0.3])
    nll = _mixture_nll(Tensor(X), means, factors, logits)
    covariances = factors.data @ factors.data.swapaxes(1, 2) + 1e-3 * np.eye(2)
    weights = np.exp(logits.data) / np.exp(logits.data).sum()
    density = sum(w * np.exp(-0.5 * np.einsum("ni,ij,nj->n", X - mu, np.linalg.inv(S), X - mu))
                  / (2 * np.pi * np.sqrt(np.linalg.det(S)))
                  for w, mu, S in zip(weights, means.data, covariances))
    assert nll.item() == pytest.approx(-np.log(density).mean(), rel=1e-12)
    assert gradcheck(lambda m, f, a: _mixture_nll(Tensor(X[::6]), m, f, a),
                     (means, factors, logits))


# -- 7. neural networks ----------------------------------------------------------------------------

def _bars(n=64, seed=9):
    """8 × 8 images of one bright bar, horizontal (class 0) or vertical (class 1), anywhere."""
    rng = np.random.default_rng(seed)
    images = 0.1 * rng.random((n, 1, 8, 8))
    labels = rng.integers(0, 2, n)
    for image, label, where in zip(images, labels, rng.integers(0, 8, n)):
        if label:
            image[0, :, where] += 1.0
        else:
            image[0, where, :] += 1.0
    return images, labels


def test_a_feed_forward_network_and_a_small_cnn_learn_bars():
    """The syllabus' 3.3 and 3.6: a network with a hidden layer on the flattened pixels, and a
    convolution + pooling network, both trained by fit with cross_entropy; both gradients
    checked against finite differences first."""
    X, y = _bars()
    autograd.manual_seed(1)
    networks = {
        "feed-forward": Sequential(Flatten(), Linear(64, 16, dtype="float64"), ReLU(),
                                   Linear(16, 2, dtype="float64")),
        "cnn": Sequential(Conv2d(1, 4, 3, padding=1, dtype="float64"), ReLU(), MaxPool2d(2),
                          Flatten(), Linear(4 * 4 * 4, 2, dtype="float64")),
    }
    for name, model in networks.items():
        assert gradcheck_parameters(lambda: cross_entropy(model(Tensor(X[:4])), y[:4]),
                                    model.named_parameters())
        history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.01), (X, y),
                      epochs=40, batch_size=16, seed=0, progress=False)
        assert history["accuracy"][-1] == 1.0, name
