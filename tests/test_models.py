"""nn.models: linear, logistic and softmax regression, and the linear SVM."""

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from autograd import functional as AF
from nn.models import LinearRegression, LinearSVM, LogisticRegression, SoftmaxRegression


def _descend(model, loss_of, steps, lr):
    for _ in range(steps):
        model.zero_grad()
        loss = loss_of(model)
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
    return loss.item()


def test_linear_regression_by_gradient_descent_matches_least_squares():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))                          # well conditioned
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.7 + rng.normal(scale=0.1, size=200)
    model = LinearRegression(3, dtype=np.float64)
    _descend(model, lambda m: ((m(X) - y) ** 2).mean(), steps=500, lr=0.1)
    A = np.hstack([X, np.ones((200, 1))])
    solution = np.linalg.lstsq(A, y, rcond=None)[0]
    assert model.weight.shape == (1, 3)                     # (outputs, features)
    assert np.allclose(model.weight.data[0], solution[:3], atol=1e-4)
    assert model.bias.data[0] == pytest.approx(solution[3], abs=1e-4)
    assert np.allclose(model.predict(X), A @ solution, atol=1e-4)


def test_linear_regression_shapes():
    model = LinearRegression(4)
    assert model(np.zeros((5, 4))).shape == (5,)           # like the targets
    assert model(np.zeros(4)).shape == ()
    assert LinearRegression(4, n_outputs=2)(np.zeros((5, 4))).shape == (5, 2)
    assert isinstance(model.predict(np.zeros((5, 4))), np.ndarray)
    assert np.all(model.weight.data == 0)                  # convex: zero start


def test_logistic_regression_gradient_is_sigma_minus_y():
    model = LogisticRegression(2, dtype=np.float64)
    model.weight.data[0] = [0.3, -0.8]
    model.bias.data[0] = 0.1
    X = np.array([[1.0, 2.0], [-0.5, 0.3], [2.0, -1.0]])
    y = np.array([1.0, 0.0, 1.0])
    z = model(X)
    p = 1 / (1 + np.exp(-z.numpy()))
    losses = -(y * AF.log(z.sigmoid()) + (1 - y) * AF.log(1 - z.sigmoid()))
    losses.sum().backward()
    assert np.allclose(model.weight.grad[0], X.T @ (p - y))     # Σ (σ - y) x
    assert model.bias.grad[0] == pytest.approx((p - y).sum())

    def probabilities(weight, bias):     # the model itself, on gradcheck's copies of its parameters
        vars(model.linear).update(weight=weight, bias=bias)
        return model(X).sigmoid().sum()

    assert gradcheck(probabilities, model.weight, model.bias)


def test_logistic_regression_separates_two_blobs():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(-2, 0.7, size=(50, 2)), rng.normal(2, 0.7, size=(50, 2))])
    y = np.repeat([0, 1], 50)
    model = LogisticRegression(2)

    def loss_of(m):
        p = m(X).sigmoid()
        return -(y * AF.log(p) + (1 - y) * AF.log(1 - p)).mean()

    _descend(model, loss_of, steps=100, lr=0.5)
    assert (model.predict(X) == y).mean() == 1.0
    probs = model.predict_proba(X)
    assert probs.shape == (100,) and np.all((probs > 0) & (probs < 1))
    assert model.predict(X).dtype == np.int64
    assert np.array_equal(model.predict(X, threshold=1.0), (probs >= 1.0).astype(int))


def test_logistic_predict_reads_the_logits_as_evaluate_does():
    # z = 0 (the untrained model) and a z just below 0, whose float32 sigmoid rounds to 0.5:
    # predict said class 1 where evaluate's accuracy reads class 0 (z > 0)
    from nn import binary_cross_entropy_with_logits, evaluate
    X = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    y = np.zeros(20, dtype=np.int64)
    model = LogisticRegression(2)
    for bias in (0.0, -3e-8):
        model.bias.data[...] = bias
        assert model.predict_proba(X[:1])[0] == 0.5
        assert np.array_equal(model.predict(X), np.zeros(20, dtype=np.int64))
        assert evaluate(model, binary_cross_entropy_with_logits, (X, y))["accuracy"] == 1.0
    model.bias.data[...] = 1.0                          # p = 0.731
    assert model.predict(X[:1], threshold=0.73)[0] == 1
    assert model.predict(X[:1], threshold=0.74)[0] == 0
    assert model.predict(X[:1], threshold=0.0)[0] == 1 and model.predict(X[:1], 1.0)[0] == 0
    with pytest.raises(ValueError, match=r"LogisticRegression.predict: threshold must be a "
                                         r"probability, from 0 to 1, got 50"):
        model.predict(X, threshold=50)


def test_softmax_regression_learns_three_classes():
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    y = np.repeat([0, 1, 2], 40)
    X = centres[y] + rng.normal(scale=0.8, size=(120, 2))
    model = SoftmaxRegression(2, 3)
    _descend(model, lambda m: AF.cross_entropy(m(X), y), steps=150, lr=0.5)
    assert (model.predict(X) == y).mean() > 0.97
    probs = model.predict_proba(X)
    assert probs.shape == (120, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-6)
    assert np.array_equal(model.predict(X), probs.argmax(axis=1))
    with pytest.raises(ValueError, match="n_classes must be at least 2, got 1"):
        SoftmaxRegression(2, 1)


def test_named_parameters_and_repr():
    model = SoftmaxRegression(4, 3)
    assert [n for n, _ in model.named_parameters()] == ["linear.weight", "linear.bias"]
    assert repr(model) == ("SoftmaxRegression(\n"
                           "  (linear): Linear(in_features=4, out_features=3, bias=True)\n)")


@pytest.mark.parametrize("model, method", [
    (LinearRegression(2), "predict"),
    (LogisticRegression(2), "predict"), (LogisticRegression(2), "predict_proba"),
    (SoftmaxRegression(2, 3), "predict"), (SoftmaxRegression(2, 3), "predict_proba"),
])
def test_predicting_from_a_nan_row_is_refused_by_name(model, method):
    # the scores of a NaN row are NaN, and a threshold or an arg-max reads NaN as class 0
    rows = np.array([[0.5, 1.0], [np.nan, 1.0]], np.float32)
    with pytest.raises(ValueError, match=rf"{type(model).__name__}\.{method}: X contains NaN "
                                         r"\(1 value\(s\) in sample 1\)"):
        getattr(model, method)(rows)
    assert getattr(model, method)(Tensor(rows[:1])).shape[0] == 1      # a Tensor of rows works


def test_predict_gives_float64_rows_the_parameters_dtype_as_fit_does():
    X = np.random.default_rng(0).normal(size=(5, 3))          # float64
    model = LinearRegression(3)
    model.linear.weight.data[...] = [[1.0, -2.0, 0.5]]
    assert model.predict(X).dtype == np.float32                # as trained; was float64
    np.testing.assert_array_equal(model.predict(X), model.predict(X.astype(np.float32)))
    assert SoftmaxRegression(3, 2).predict_proba(X).dtype == np.float32
    assert LinearRegression(3, dtype=np.float64).predict(X.astype(np.float32)).dtype == np.float64
    with pytest.raises(ValueError, match=r"LinearRegression.predict: x holds numbers up to "
                                         r"1e\+39, beyond float32's largest"):
        model.predict(np.full((1, 3), 1e39))


@pytest.mark.parametrize("make, name", [
    (lambda X: LinearRegression(X), "LinearRegression"),
    (lambda X: LogisticRegression(X), "LogisticRegression"),
    (lambda X: SoftmaxRegression(X, 3), "SoftmaxRegression"),
])
def test_a_model_made_from_the_data_says_it_takes_the_number_of_features(make, name):
    """scikit-learn's habit, LinearRegression(X): the error was Linear's, "Linear: in_features
    must be a positive integer, got array([[...]])" with every number of X printed."""
    X = np.random.default_rng(0).normal(size=(200, 3))
    with pytest.raises(TypeError) as caught:
        make(X)
    message = str(caught.value)
    assert message.startswith(f"{name}: n_features is the number of input features, an int, "
                              f"got an array of shape (200, 3); make the model from it, "
                              f"{name}(X.shape[1]")
    assert "fit(model, " in message and len(message) < 400


def test_a_model_s_sizes_are_checked_by_its_own_name():
    with pytest.raises(ValueError, match=r"^LinearRegression: n_features must be a positive "
                                         r"integer, got 0"):
        LinearRegression(0)
    with pytest.raises(ValueError, match=r"^LinearRegression: n_outputs must be a positive "
                                         r"integer, got 2.0"):
        LinearRegression(3, 2.0)
    assert LinearRegression(np.int64(3)).weight.shape == (1, 3)


def test_linear_svm_scores_labels_and_margin():
    """f(x) = x·w + b; labels ±1 by its sign (0 is −1, as fit's accuracy reads it); the margin
    2/‖w‖; trained with hinge_loss, fit scores it by its labels."""
    from nn import evaluate, fit, hinge_loss
    from nn.optim import SGD
    model = LinearSVM(2, dtype=np.float64)
    X = np.array([[2.0, 1.0], [0.0, -1.0], [3.0, 2.0], [-1.0, -2.0]])
    y = np.array([1, -1, 1, -1])
    assert model.margin() == np.inf
    np.testing.assert_array_equal(model.predict(X), [-1, -1, -1, -1])
    with pytest.raises(ValueError, match="LinearSVM.predict: X contains NaN"):
        model.predict([[np.nan, 0.0]])
    with pytest.raises(TypeError, match=r"LinearSVM\(X.shape\[1\]\).*fit\(model, hinge_loss"):
        LinearSVM(X)
    model.weight.data[...] = [[0.5, 0.5]]
    model.bias.data[...] = -0.5
    np.testing.assert_allclose(model.decision_function(X), [1.0, -1.0, 2.0, -2.0])
    assert model.predict(X).dtype == np.int64
    assert model.margin() == pytest.approx(2 * np.sqrt(2))       # |(2, 1) − (0, −1)|
    optimizer = SGD([{"params": model.weight, "weight_decay": 0.1}, {"params": model.bias}],
                    lr=0.05)
    history = fit(model, hinge_loss, optimizer, (X, y), epochs=20, batch_size=4, progress=False)
    assert history["accuracy"][-1] == 1.0
    assert evaluate(model, hinge_loss, (X, y))["accuracy"] == 1.0
