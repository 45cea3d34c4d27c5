"""A machine-learning course's exercises, solved as a teacher would with glassgrad, each checked
against a closed form or a numpy reference written here.

The course: linear regression and gradient descent (J = 1/n Σ (f(x) − y)², ∂J/∂w = 2/n Σ (f − y) x),
regularization, logistic regression (∂J/∂z = σ − y), softmax and one-vs-all, an SVM's hinge loss,
training a network (random initialisation to break symmetry, forward and back propagation with
the deltas δ⁽ᴸ⁾ = a⁽ᴸ⁾ − y, δ⁽ˡ⁾ = (Θ⁽ˡ⁾)ᵀ δ⁽ˡ⁺¹⁾ .* g'(z⁽ˡ⁾), D = Δ / m), gradient checking
with ε = 10⁻⁴, learning curves, a grid search over λ, the metrics of model evaluation.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value
from autograd.gradcheck import GradcheckError, gradcheck_parameters
from nn import (
    MLP, GridSearch, Linear, LinearRegression, LogisticRegression, ReLU, Sequential,
    SoftmaxRegression, binary_cross_entropy_with_logits, cross_entropy, fit, hinge_loss,
    l2_penalty, metrics, mse_loss, softmax,
)
from nn import init
from nn.data import make_blobs
from nn.optim import SGD, Adam
from nn.selection import learning_curve
from nn.utils import parameters_to_vector, vector_to_parameters


def _line_data(m=30, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 10.0, m)
    return x, 3.0 + 2.0 * x + rng.normal(0.0, 1.0, m)


def _normal_equation(X, y, lam=0.0):
    """θ = (XᵀX + λL)⁻¹ Xᵀy with a column of ones first; L leaves the intercept unpenalised."""
    Xb = np.c_[np.ones(len(X)), X]
    L = np.eye(Xb.shape[1])
    L[0, 0] = 0.0
    return np.linalg.solve(Xb.T @ Xb + lam * L, Xb.T @ y)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# -- linear regression ---------------------------------------------------------------------------

def test_linear_regression_by_hand_with_values_follows_the_notes_gradient():
    """y = b + w·x on scalars: backward gives the notes' 2/n Σ (f − y) x, and gradient descent
    on the mean-normalised feature reaches the normal equation."""
    x, y = _line_data()
    mu, sigma = x.mean(), x.std()
    xs = [(float(v) - mu) / sigma for v in x]
    w, b = Value(0.5), Value(-1.0)
    for step in range(150):
        J = sum((w * xi + b - yi) ** 2 for xi, yi in zip(xs, y)) * (1 / len(xs))
        w.grad = b.grad = 0.0
        J.backward()
        if step == 0:
            f = 0.5 * np.array(xs) - 1.0
            assert w.grad == pytest.approx(2 / len(xs) * np.sum((f - y) * xs), rel=1e-12)
            assert b.grad == pytest.approx(2 / len(xs) * np.sum(f - y), rel=1e-12)
        w.data -= 0.1 * w.grad
        b.data -= 0.1 * b.grad
    intercept, slope = _normal_equation(x, y)
    assert w.data / sigma == pytest.approx(slope, rel=1e-6)            # back to raw units
    assert b.data - w.data * mu / sigma == pytest.approx(intercept, rel=1e-6)


def test_linear_regression_with_fit_reaches_the_normal_equation():
    """The Tensor way: LinearRegression + mse_loss + full-batch SGD on normalised features."""
    x, y = _line_data()
    X = np.c_[x, x ** 2 / 10]
    mu, sigma = X.mean(axis=0), X.std(axis=0)
    model = LinearRegression(2, dtype="float64")
    fit(model, mse_loss, SGD(model.parameters(), lr=0.3), ((X - mu) / sigma, y), epochs=1500,
        batch_size=len(y), progress=False)
    theta = _normal_equation(X, y)
    w = model.weight.data[0] / sigma
    np.testing.assert_allclose(w, theta[1:], rtol=1e-6)
    assert model.bias.data[0] - w @ mu == pytest.approx(theta[0], rel=1e-6)
    np.testing.assert_allclose(model.predict((X - mu) / sigma), np.c_[np.ones(30), X] @ theta,
                               rtol=1e-6)


def test_regularized_linear_regression_matches_the_ridge_closed_form():
    """J = 1/(2m) [Σ (h − y)² + λ Σⱼ≥₁ θⱼ²], the intercept unpenalised, two ways: the penalty in
    the loss (l2_penalty of the weights only), and weight_decay on the weights' parameter group
    (mse_loss has no ½, so the decay that matches λ is 2λ/m)."""
    rng = np.random.default_rng(1)
    m, lam = 30, 5.0
    X = rng.normal(size=(m, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 4.0 + rng.normal(0.0, 0.3, m)
    theta = _normal_equation(X, y, lam)

    model = LinearRegression(3, dtype="float64")
    optimizer = SGD(model.parameters(), lr=0.2)
    for _ in range(400):
        optimizer.zero_grad()
        J = 0.5 * mse_loss(model(X), y) + l2_penalty([model.weight], lam / (2 * m))
        J.backward()
        optimizer.step()
    np.testing.assert_allclose(np.r_[model.bias.data, model.weight.data[0]], theta, rtol=1e-8)

    model = LinearRegression(3, dtype="float64")
    optimizer = SGD([{"params": model.weight, "weight_decay": 2 * lam / m},
                     {"params": model.bias}], lr=0.2)
    fit(model, mse_loss, optimizer, (X, y), epochs=400, batch_size=m, progress=False)
    np.testing.assert_allclose(np.r_[model.bias.data, model.weight.data[0]], theta, rtol=1e-8)


def test_a_larger_lambda_shrinks_the_weights_and_raises_the_training_error():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 4))
    y = X @ np.array([3.0, -1.0, 0.5, 2.0]) + rng.normal(0.0, 0.5, 40)
    norms, errors = [], []
    for lam in (0.0, 1.0, 10.0, 100.0):
        theta = _normal_equation(X, y, lam)
        model = LinearRegression(4, dtype="float64")
        optimizer = SGD([{"params": model.weight, "weight_decay": 2 * lam / 40},
                         {"params": model.bias}], lr=0.1)
        fit(model, mse_loss, optimizer, (X, y), epochs=300, batch_size=40, progress=False)
        np.testing.assert_allclose(model.weight.data[0], theta[1:], rtol=1e-6)
        norms.append(np.linalg.norm(model.weight.data))
        errors.append(metrics.mean_squared_error(y, model.predict(X)))
    assert norms == sorted(norms, reverse=True) and errors == sorted(errors)


# -- logistic regression, softmax, one-vs-all ----------------------------------------------------

def _two_classes(m=40, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 2))
    return X, (X[:, 0] + 0.5 * X[:, 1] + rng.normal(0.0, 0.5, m) > 0).astype(np.float64)


def test_logistic_regression_by_hand_with_values_has_gradient_sigma_minus_y():
    """The notes' cross-entropy J = −y log σ(z) − (1 − y) log(1 − σ(z)) on one Value z: dJ/dz is
    σ − y; over a data set dJ/dw = 1/m Σ (σ − y) x."""
    for y in (0.0, 1.0):
        z = Value(0.7)
        s = z.sigmoid()
        (-y * s.log() - (1 - y) * (1 - s).log()).backward()
        assert z.grad == pytest.approx(_sigmoid(0.7) - y, rel=1e-12)
    X, y = _two_classes()
    w, b = [Value(0.3), Value(-0.2)], Value(0.1)
    J = sum(-yi * (w[0] * xi[0] + w[1] * xi[1] + b).sigmoid().log()
            - (1 - yi) * (1 - (w[0] * xi[0] + w[1] * xi[1] + b).sigmoid()).log()
            for xi, yi in zip(X.tolist(), y)) * (1 / len(y))
    J.backward()
    residual = _sigmoid(X @ [0.3, -0.2] + 0.1) - y
    np.testing.assert_allclose([w[0].grad, w[1].grad], residual @ X / len(y), rtol=1e-10)
    assert b.grad == pytest.approx(residual.mean(), rel=1e-10)


def test_regularized_logistic_regression_cost_and_gradient():
    """J = −1/m Σ [y log h + (1 − y) log(1 − h)] + λ/(2m) Σⱼ≥₁ θⱼ², gradient (1/m) Xᵀ(h − y) +
    (λ/m) θ (not for the intercept)."""
    X, y = _two_classes()
    m, lam = len(y), 3.0
    model = LogisticRegression(2, dtype="float64")
    vector_to_parameters([0.4, -0.7, 0.2], model.parameters())          # w1, w2, b
    J = binary_cross_entropy_with_logits(model(X), y) + l2_penalty([model.weight], lam / (2 * m))
    J.backward()
    h = _sigmoid(X @ [0.4, -0.7] + 0.2)
    expected = (-np.mean(y * np.log(h) + (1 - y) * np.log(1 - h))
                + lam / (2 * m) * (0.4 ** 2 + 0.7 ** 2))
    assert J.item() == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(model.weight.grad[0], (h - y) @ X / m + lam / m * np.array(
        [0.4, -0.7]), rtol=1e-12)
    assert model.bias.grad[0] == pytest.approx(np.mean(h - y), rel=1e-12)


def test_softmax_of_two_classes_is_the_sigmoid():
    z = np.linspace(-4, 4, 9)
    p = softmax(Tensor(np.c_[z, np.zeros_like(z)]), dim=1).data
    np.testing.assert_allclose(p[:, 0], _sigmoid(z), rtol=1e-6)


def test_one_vs_all_and_softmax_regression_classify_three_blobs_alike():
    """K logistic regressions (class k against the rest), predicting the arg-max of their
    probabilities, against one softmax regression; both learn the three blobs."""
    X, y = make_blobs(150, centers=[[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]], cluster_std=1.0,
                      seed=0)
    one_vs_all = []
    for k in range(3):
        model = LogisticRegression(2)
        fit(model, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.5),
            (X, (y == k).astype(np.float32)), epochs=100, batch_size=150, progress=False)
        one_vs_all.append(model.predict_proba(X))
    ova_pred = np.argmax(one_vs_all, axis=0)
    softmax_model = SoftmaxRegression(2, 3)
    fit(softmax_model, cross_entropy, SGD(softmax_model.parameters(), lr=0.5), (X, y),
        epochs=100, batch_size=150, progress=False)
    soft_pred = softmax_model.predict(X)
    assert metrics.accuracy(y, ova_pred) > 0.95 and metrics.accuracy(y, soft_pred) > 0.95
    assert metrics.accuracy(ova_pred, soft_pred) > 0.95
    np.testing.assert_allclose(softmax_model.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)
    # the one-vs-all probabilities are not a distribution over the classes
    assert not np.allclose(np.sum(one_vs_all, axis=0), 1.0, atol=1e-2)


# -- support vector machine -----------------------------------------------------------------------

def test_a_linear_svm_with_hinge_loss_and_l2_follows_the_subgradient_steps():
    """min 1/m Σ max(0, 1 − y f(x)) + λ/2 ‖w‖² by subgradient descent: glassgrad's steps are
    the ones written out in numpy (the hinge's subgradient is −y x where the margin is < 1)."""
    rng = np.random.default_rng(4)
    X = np.r_[rng.normal(size=(20, 2)) + 2.0, rng.normal(size=(20, 2)) - 2.0]
    y = np.r_[np.ones(20), -np.ones(20)]
    lam, lr = 0.1, 0.1
    model = LinearRegression(2, dtype="float64")          # f(x) = w·x + b: a linear score
    vector_to_parameters([0.1, -0.1, 0.0], model.parameters())
    optimizer = SGD([{"params": model.weight, "weight_decay": lam}, {"params": model.bias}],
                    lr=lr)
    w, b = np.array([0.1, -0.1]), 0.0
    for _ in range(50):
        optimizer.zero_grad()
        hinge_loss(model(X), y).backward()
        optimizer.step()
        inside = y * (X @ w + b) < 1
        w, b = (w - lr * (-(y[inside] @ X[inside]) / len(y) + lam * w),
                b - lr * -np.sum(y[inside]) / len(y))
    np.testing.assert_allclose(model.weight.data[0], w, rtol=1e-10)
    assert model.bias.data[0] == pytest.approx(b, abs=1e-12)
    assert metrics.accuracy(y, np.sign(model.predict(X))) == 1.0


# -- training a neural network -------------------------------------------------------------------

def test_zero_initialisation_keeps_hidden_units_identical_and_random_breaks_the_symmetry():
    """Θ = 0: after every update the hidden units have the same weights. Θ uniform in [−ε, ε]
    (ε = √6 / √(L_in + L_out)) gives them different ones."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20).astype(np.float64)
    for symmetric in (True, False):
        model = MLP(3, [4], 1, activation="sigmoid", dtype="float64")
        for layer in (model[0], model[2]):
            out_f, in_f = layer.weight.shape
            eps = np.sqrt(6) / np.sqrt(in_f + out_f)
            if symmetric:
                init.zeros_(layer.weight)
            else:
                init.uniform_(layer.weight, -eps, eps)
            init.zeros_(layer.bias)
        fit(model, lambda out, t: binary_cross_entropy_with_logits(out.reshape(-1), t),
            SGD(model.parameters(), lr=0.5), (X, y), epochs=20, batch_size=20, progress=False)
        W1 = model[0].weight.data
        assert np.allclose(W1, W1[0]) == symmetric


def _notes_network(seed=6):
    """The notes' 3-5-5-4 network of sigmoid units (Θ⁽¹⁾ 5×4, Θ⁽²⁾ 5×6, Θ⁽³⁾ 4×6 with biases),
    m = 7 examples, one-hot labels y ∈ {0, 1}⁴."""
    rng = np.random.default_rng(seed)
    model = MLP(3, [5, 5], 4, activation="sigmoid", dtype="float64", rng=rng)
    X = rng.normal(size=(7, 3))
    Y = np.eye(4)[rng.integers(0, 4, 7)]
    return model, X, Y


def _notes_cost(model, X, Y, lam):
    """J(Θ) = −1/m Σᵢ Σₖ [y log h + (1 − y) log(1 − h)] + λ/(2m) Σ Θ² (no bias terms). Not the
    mean of binary_cross_entropy, which divides by m·K: the sum, then divided by m."""
    m = len(X)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    return (binary_cross_entropy_with_logits(model(X), Y, reduction="sum") / m
            + l2_penalty(weights, lam / (2 * m)))


def test_backpropagation_gives_the_notes_deltas_and_accumulated_gradients():
    """Loop over the examples as the notes do: δ⁽⁴⁾ = a⁽⁴⁾ − y, δ⁽ˡ⁾ = (Θ⁽ˡ⁾)ᵀ δ⁽ˡ⁺¹⁾ .* a(1 − a)
    without the bias row, Δ⁽ˡ⁾ += δ⁽ˡ⁺¹⁾ (a⁽ˡ⁾)ᵀ, then D = Δ / m + (λ/m) Θ for the weights."""
    model, X, Y = _notes_network()
    lam, m = 0.7, len(X)
    _notes_cost(model, X, Y, lam).backward()
    thetas = [np.c_[layer.bias.data, layer.weight.data] for layer in model[::2]]
    Deltas = [np.zeros_like(t) for t in thetas]
    for x, y in zip(X, Y):
        activations = [np.r_[1.0, x]]
        for theta in thetas:
            a = _sigmoid(theta @ activations[-1])
            activations.append(np.r_[1.0, a])
        delta = activations[-1][1:] - y
        for layer in (2, 1, 0):
            Deltas[layer] += np.outer(delta, activations[layer])
            a = activations[layer][1:]
            delta = (thetas[layer].T @ delta)[1:] * a * (1 - a)
    for layer, theta, Delta in zip(model[::2], thetas, Deltas):
        D = Delta / m
        D[:, 1:] += lam / m * theta[:, 1:]
        np.testing.assert_allclose(layer.bias.grad, D[:, 0], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(layer.weight.grad, D[:, 1:], rtol=1e-10, atol=1e-14)


def test_gradient_checking_with_the_unrolled_theta_and_epsilon_1e4():
    """(J(θ + ε) − J(θ − ε)) / 2ε for every number of the unrolled θ, by hand with
    parameters_to_vector / vector_to_parameters, and with gradcheck_parameters."""
    model, X, Y = _notes_network()
    cost = lambda: _notes_cost(model, X, Y, lam=1.0)    # noqa: E731
    cost().backward()
    backprop = parameters_to_vector(p.grad for p in model.parameters()).data
    theta = parameters_to_vector(model.parameters()).data.copy()
    numeric = np.zeros_like(theta)
    eps = 1e-4
    for i in range(theta.size):
        for sign in (1, -1):
            shifted = theta.copy()
            shifted[i] += sign * eps
            vector_to_parameters(shifted, model.parameters())
            numeric[i] += sign * cost().item() / (2 * eps)
    vector_to_parameters(theta, model.parameters())
    relative = np.linalg.norm(numeric - backprop) / np.linalg.norm(numeric + backprop)
    assert relative < 1e-9
    assert gradcheck_parameters(cost, model.named_parameters(), eps=1e-4)


def test_gradient_checking_catches_a_cost_that_leaves_the_graph():
    """A regularization term computed from .data is in J's value but not in backprop's D."""
    model, X, Y = _notes_network()

    def buggy_cost():
        penalty = sum(float((layer.weight.data ** 2).sum()) for layer in model[::2])
        return binary_cross_entropy_with_logits(model(X), Y, reduction="sum") / 7 + penalty / 14

    with pytest.raises(GradcheckError, match=r"parameter 0\.weight, element"):
        gradcheck_parameters(buggy_cost, model.named_parameters(), eps=1e-4)


def test_the_notes_xor_network_with_relu():
    """W = [[1, 1], [1, 1]], c = [0, −1], w = [1, −2], b = 0 computes XOR of the four points."""
    net = Sequential(Linear(2, 2), ReLU(), Linear(2, 1))
    net.load_state_dict({"0.weight": [[1.0, 1.0], [1.0, 1.0]], "0.bias": [0.0, -1.0],
                         "2.weight": [[1.0, -2.0]], "2.bias": [0.0]})
    X = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert net(X).data.ravel().tolist() == [0.0, 1.0, 1.0, 0.0]


# -- model selection and evaluation --------------------------------------------------------------

def _polynomial(x, degree):
    return np.stack([x ** d for d in range(1, degree + 1)], axis=1)


def test_learning_curves_tell_high_bias_from_high_variance():
    """A line on a parabola (high bias): training and validation errors end high and close. A
    degree-6 polynomial (high variance): its training error stays far below the validation
    error on few examples, and the gap closes as examples are added."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-1.0, 1.0, 80)
    y = 2.0 * x ** 2 + rng.normal(0.0, 0.1, 80)
    features = _polynomial(x, 6)
    mu, sigma = features[:50].mean(axis=0), features[:50].std(axis=0)
    features = (features - mu) / sigma          # mean normalisation from the training rows only

    def build(degree):
        model = LinearRegression(degree, dtype="float64")
        return model, mse_loss, Adam(model.parameters(), lr=0.05)

    fit_kwargs = {"epochs": 300, "batch_size": 50}
    line = learning_curve(build, features[:50, :1], y[:50], [5, 20, 50],
                          (features[50:, :1], y[50:]), fit_kwargs, params={"degree": 1})
    assert line["train"]["loss"][-1] > 0.1 and line["val"]["loss"][-1] > 0.1
    assert line["val"]["loss"][-1] < 1.5 * line["train"]["loss"][-1]
    poly = learning_curve(build, features[:50], y[:50], [7, 50], (features[50:], y[50:]),
                          fit_kwargs, params={"degree": 6})
    gaps = np.subtract(poly["val"]["loss"], poly["train"]["loss"])
    assert poly["train"]["loss"][0] < 0.01 and gaps[0] > 10 * gaps[-1]
    assert poly["val"]["loss"][-1] < 0.05 and poly["train_sizes"] == [7, 50]


def test_grid_search_over_the_learning_rate_and_lambda():
    """The notes' grid: a learning rate and a regularization parameter, every combination
    cross-validated; λ acts as weight decay on the weights only."""
    X, y = _two_classes(90)

    def build(lr, lam):
        model = LogisticRegression(2)
        return model, binary_cross_entropy_with_logits, SGD(
            [{"params": model.weight, "weight_decay": lam / 60}, {"params": model.bias}], lr=lr)

    search = GridSearch(build, {"lr": [0.001, 0.5], "lam": [0.0, 1.0, 100.0]}, cv=3,
                        fit_kwargs={"epochs": 20, "batch_size": 30}, scoring="loss").fit(X, y)
    # accuracy would not separate them: the weights' signs are right after a few tiny steps
    assert search.best_params == {"lr": 0.5, "lam": 0.0}
    assert len(search.results) == 6 and search.best_score < 0.35


def test_accuracy_misleads_on_imbalanced_data_where_recall_and_f1_do_not():
    """98 healthy, 2 sick; a model that says "healthy" to everyone."""
    y_true = np.r_[np.zeros(98), np.ones(2)].astype(int)
    y_pred = np.zeros(100, dtype=int)
    assert metrics.accuracy(y_true, y_pred) == 0.98
    assert metrics.recall(y_true, y_pred) == 0.0
    with pytest.warns(metrics.UndefinedMetricWarning):
        assert metrics.precision(y_true, y_pred) == 0.0
    assert metrics.f1_score(y_true, y_pred) == 0.0      # 2TP / (2TP + FP + FN) = 0 / 2
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred), [[98, 0], [2, 0]])
