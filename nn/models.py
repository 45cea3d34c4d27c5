"""The lectures' models: linear, logistic and softmax regression, and the linear SVM.

Each is one `Linear` layer; they differ in what the output means and in the loss that trains it.
`forward` gives the raw scores (for the classifiers, the logits z = x·Wᵀ + b), because the stable
losses start from logits; `predict_proba` turns them into probabilities, `predict` into answers.

`weight` has the layer's shape (n_outputs, n_features): one row of weights per output, as in
PyTorch's `nn.Linear` and scikit-learn's `coef_`. So `model.weight.data[0]` is w for the
one-output models, and the `state_dict()` ("linear.weight", "linear.bias") is PyTorch's.

The weights start at zero: these models are convex, so there is no symmetry to break (a hidden
layer is another story: see `nn.init`).

>>> import numpy as np
>>> from nn import LogisticRegression
>>> model = LogisticRegression(2)
>>> model.predict_proba([[1.0, 2.0]])
array([0.5], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, no_grad
from autograd import functional as AF

from .data.loader import checked_arrays
from .layers import Linear
from .module import Module, as_parameter_dtype, parameter_dtype

__all__ = ["LinearRegression", "LogisticRegression", "SoftmaxRegression", "LinearSVM"]


def _inputs(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class _LinearModel(Module):
    """One Linear layer with zero initial weights; `n_outputs == 1` gives outputs of shape (N,)."""

    #: what the model's constructor takes after n_features, and its loss, for messages
    _more_sizes, _loss = "", "mse_loss"

    def __init__(self, n_features: int, n_outputs: int, dtype: Any = None) -> None:
        name = type(self).__name__
        if isinstance(n_features, (list, tuple)) or len(getattr(n_features, "shape", ())):
            # scikit-learn's habit, LinearRegression(X) then .fit: here the model is made from
            # the sizes and trained by fit
            raise TypeError(f"{name}: n_features is the number of input features, an int, got "
                            f"an array of shape {np.shape(n_features)}; make the model from it, "
                            f"{name}(X.shape[1]{self._more_sizes}), and train it with "
                            f"fit(model, {self._loss}, optimizer, (X, y))")
        for size, value in (("n_features", n_features), ("n_outputs", n_outputs)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}: {size} must be a positive integer, got {value!r}")
        self.linear = Linear(n_features, n_outputs, dtype=dtype)
        self.linear.weight.data[...] = 0
        self.linear.bias.data[...] = 0
        self.n_outputs = n_outputs

    def forward(self, x: Any) -> Tensor:
        scores = self.linear(_inputs(x))
        return scores.reshape(scores.shape[:-1]) if self.n_outputs == 1 else scores

    @property
    def weight(self) -> Tensor:
        """The weights, shape (n_outputs, n_features): row k scores output k."""
        return self.linear.weight

    @property
    def bias(self) -> Tensor:
        return self.linear.bias

    def _scores(self, x: Any, method: str) -> Tensor:
        """The outputs for rows `x`, checked first: a NaN row would give NaN scores, which a
        threshold or an arg-max silently turns into class 0."""
        where = f"{type(self).__name__}.{method}"
        rows = checked_arrays(where, x)[0]
        n_features = self.linear.weight.shape[1]
        if np.ndim(rows) == 0 or np.shape(rows)[-1] != n_features:
            # named here, not by the Linear layer inside: a test table missing a column
            raise ValueError(f"{where}: x has {np.shape(rows)[-1] if np.ndim(rows) else 0} "
                             f"features (shape {np.shape(rows)}), but the model was made for "
                             f"{n_features}: give the same columns, in the same order, as in "
                             f"training")
        with no_grad():     # in the parameters' dtype, as fit trains: float64 rows float32
            return self(as_parameter_dtype(x if isinstance(x, Tensor) else rows,
                                           parameter_dtype(self), f"{where}: x"))


class LinearRegression(_LinearModel):
    """ŷ = x·w + b; train with `mse_loss`. Gradient descent reaches the least-squares solution.

    `n_outputs > 1` fits several targets at once (outputs of shape (N, n_outputs)).
    """

    def __init__(self, n_features: int, n_outputs: int = 1, dtype: Any = None) -> None:
        super().__init__(n_features, n_outputs, dtype)

    def predict(self, x: Any) -> np.ndarray:
        """ŷ for each row of `x`, as a numpy array."""
        return self._scores(x, "predict").numpy()


class LogisticRegression(_LinearModel):
    """P(y = 1 | x) = σ(x·w + b) for two classes; train with `binary_cross_entropy_with_logits`
    (whose gradient is σ(z) − y) on `forward`'s logits."""

    _loss = "binary_cross_entropy_with_logits"

    def __init__(self, n_features: int, dtype: Any = None) -> None:
        super().__init__(n_features, 1, dtype)

    def predict_proba(self, x: Any) -> np.ndarray:
        """σ(z): the probability of class 1 for each row."""
        return self._scores(x, "predict_proba").sigmoid().numpy()

    def predict(self, x: Any, threshold: float = 0.5) -> np.ndarray:
        """Class 1 where the probability exceeds `threshold`, else 0 (int64).

        Read on the logits, z > log(t / (1 − t)), as `evaluate` reads them (z > 0): σ(z) in
        float32 rounds a z just below 0 up to 0.5, and the untrained model's z = 0 is class 0.

        >>> LogisticRegression(2).predict([[1.0, 2.0]])
        array([0])
        """
        if not 0 <= threshold <= 1:
            raise ValueError(f"LogisticRegression.predict: threshold must be a probability, "
                             f"from 0 to 1, got {threshold!r}")
        with np.errstate(divide="ignore"):              # 0 and 1: every row, no row
            cut = np.log(threshold) - np.log1p(-threshold)
        return (self._scores(x, "predict").numpy() > cut).astype(np.int64)


class SoftmaxRegression(_LinearModel):
    """P(y = k | x) = softmax(x·Wᵀ + b)_k for `n_classes` classes; train with `cross_entropy` on
    `forward`'s logits (whose gradient is softmax − onehot(y))."""

    _more_sizes, _loss = ", n_classes", "cross_entropy"

    def __init__(self, n_features: int, n_classes: int, dtype: Any = None) -> None:
        if n_classes < 2:
            raise ValueError(f"SoftmaxRegression: n_classes must be at least 2, got {n_classes}")
        super().__init__(n_features, n_classes, dtype)

    def predict_proba(self, x: Any) -> np.ndarray:
        """softmax(z): one row of class probabilities per input row."""
        return AF.softmax(self._scores(x, "predict_proba"), axis=-1).numpy()

    def predict(self, x: Any) -> np.ndarray:
        """The most probable class of each row (int64)."""
        return self._scores(x, "predict").numpy().argmax(axis=-1).astype(np.int64)


class LinearSVM(_LinearModel):
    """A linear support vector machine: the score f(x) = x·w + b, and the label ±1 by its sign.
    Train the soft margin, min λ/2 ‖w‖² + 1/m Σ max(0, 1 − y f(x)), with `hinge_loss` on
    `forward`'s scores and labels ±1, the weights (not the bias) decayed:

    >>> import numpy as np
    >>> from nn import fit, hinge_loss
    >>> from nn.optim import SGD
    >>> X, y = np.array([[2.0, 1.0], [0.0, -1.0], [3.0, 2.0]]), np.array([1, -1, 1])
    >>> model = LinearSVM(2, dtype="float64")
    >>> optimizer = SGD([{"params": model.weight, "weight_decay": 0.5},    # λ
    ...                  {"params": model.bias}], lr=0.1)
    >>> _ = fit(model, hinge_loss, optimizer, (X, y), epochs=300, batch_size=3, progress=False)
    >>> model.predict(X)
    array([ 1, -1,  1])

    On separable data a λ small enough gives the widest margin: the lines f = ±1 through the
    support vectors, 2/‖w‖ apart (`margin()`; here 2√2 ≈ 2.83, the distance of (2, 1) from
    (0, −1)). The hinge has a kink, so (sub)gradient steps of a fixed size hover near it:

    >>> round(model.margin(), 1)
    2.9
    """

    _loss = "hinge_loss"

    def __init__(self, n_features: int, dtype: Any = None) -> None:
        super().__init__(n_features, 1, dtype)

    def decision_function(self, x: Any) -> np.ndarray:
        """f(x) = x·w + b for each row: its sign is the class, |f|/‖w‖ the distance to the
        boundary."""
        return self._scores(x, "decision_function").numpy()

    def predict(self, x: Any) -> np.ndarray:
        """+1 where the score is positive, else −1 (int64), the labels `hinge_loss` takes; the
        untrained model's score 0 is −1, as `fit`'s accuracy reads it."""
        return np.where(self._scores(x, "predict").numpy() > 0, 1, -1).astype(np.int64)

    def margin(self) -> float:
        """2/‖w‖: the width of the band between f = −1 and f = +1 (inf while w = 0)."""
        norm = float(np.linalg.norm(self.weight.data))
        return 2.0 / norm if norm > 0 else float("inf")
