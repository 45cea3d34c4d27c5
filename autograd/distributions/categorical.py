"""Categorical(probs= | logits=): one of K categories (0, ..., K - 1), the last axis of the
parameter; the other axes are the batch.

>>> from autograd.distributions import Categorical
>>> d = Categorical(probs=Tensor([[0.2, 0.8], [1.0, 0.0]]))
>>> d.batch_shape, d.sample((7,)).shape
((2,), (7, 2))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import no_grad
from ..random import default_rng
from ..tensor import Tensor
from . import constraints
from .base import (Distribution, along_new_axis, check, lazy, one_of, parameters,
                   sample_size, validating)


def draw_categories(probs: np.ndarray, sample_shape: tuple) -> np.ndarray:
    """Indices of shape sample_shape + probs.shape[:-1], each row of probs (non-negative, any
    positive sum) giving the weights: a uniform draw u placed on the row's running sum, the
    index the number of running sums at or below it; never a category of weight 0.

    >>> manual = np.array([[0.0, 1.0, 0.0]])
    >>> draw_categories(manual, (4,)).tolist()
    [[1], [1], [1], [1]]
    """
    rows = np.asarray(probs, dtype=np.float64)
    running = np.cumsum(rows, axis=-1)
    total = running[..., -1:]
    u = default_rng().random(tuple(sample_shape) + rows.shape[:-1] + (1,)) * total
    index = (running <= u).sum(-1)
    # u rounding up to the total would step past the end: the last category that has weight
    last = rows.shape[-1] - 1 - np.argmax(rows[..., ::-1] > 0, axis=-1)
    return np.minimum(index, last).astype(np.int64)


class Categorical(Distribution):
    """A draw is an index in 0, ..., K - 1 (int64), K the parameter's last axis. `probs` are
    normalised to sum to 1 along it (non-negative weights of any positive sum will do, as in
    PyTorch); `logits` are normalised by log_softmax. `log_prob(a)` picks the log-probability
    of category a by gather, shape broadcast(a, batch_shape); `entropy()` is -Σ p ln p (a logit
    of -inf, a masked action, adds 0).

    >>> import autograd
    >>> z = autograd.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], requires_grad=True)
    >>> d = Categorical(logits=z)
    >>> [round(v, 6) for v in d.log_prob(autograd.tensor([0, 2])).tolist()]
    [-1.098612, -0.407606]
    >>> round(d.entropy()[0].item(), 6)        # ln 3
    1.098612
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_rsample = False
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        name, given = one_of("Categorical", probs, logits)
        param, = parameters("Categorical", **{name: given})
        if param.ndim == 0:
            raise ValueError(f"Categorical: {name} must have at least one axis (the K "
                             f"categories, last), got a 0-d tensor")
        if validating(validate_args):       # the weights as given, before they are normalised
            _check_weights(name, param.data)
        if name == "probs":
            self.probs = param / param.sum(-1, keepdim=True)
        else:
            self.logits = param - param.logsumexp(dim=-1, keepdim=True)
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], (), validate_args)

    def _check_parameters(self) -> None:
        """(checked in __init__, before they were normalised)"""

    @lazy
    def probs(self) -> Tensor:
        """The probabilities, summing to 1 along the last axis."""
        return self.logits.softmax(dim=-1)

    @lazy
    def logits(self) -> Tensor:
        """The log-probabilities (from probs: ln p, p clamped to [eps, 1 - eps], as PyTorch's)."""
        eps = float(np.finfo(self.probs.data.dtype).eps)
        return self.probs.clamp(eps, 1 - eps).log()

    @property
    def param_shape(self) -> tuple:
        return self._batch_shape + (self._num_events,)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self) -> Tensor:
        """Undefined for categories: NaN, as PyTorch's."""
        return Tensor(np.full(self._batch_shape, np.nan, dtype=self.probs.data.dtype))

    @property
    def variance(self) -> Tensor:
        """Undefined for categories: NaN, as PyTorch's."""
        return self.mean

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        sample_shape = sample_size("Categorical", sample_shape)
        with no_grad():
            return Tensor(draw_categories(self.probs.data, sample_shape))

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0, ..., K - 1 (int64) along a new first axis (see Distribution.enumerate_support).

        >>> Categorical(logits=Tensor([[0.0, 1.0, 2.0]])).enumerate_support(False).tolist()
        [[0], [1], [2]]
        """
        values = Tensor(np.arange(self._num_events, dtype=np.int64))
        return along_new_axis(values, self._batch_shape, expand)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value("log_prob", value, dtype=np.int64)
        shape = np.broadcast_shapes(value.shape, self._batch_shape)
        index = np.broadcast_to(value.data.astype(np.int64), shape)[..., None]
        log_p = self.logits
        if log_p.shape[:-1] != shape:
            log_p = log_p.broadcast_to(shape + (self._num_events,))
        return log_p.gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        # a logit of -inf (probability 0) is taken as the smallest float, so 0 · it is 0
        log_p = self.logits
        return -(log_p.clamp(min=float(np.finfo(log_p.data.dtype).min)) * self.probs).sum(-1)


class OfCategorical:
    """A mixin for a distribution made of a Categorical, kept as `_categorical`
    (OneHotCategorical, Multinomial, ExpRelaxedCategorical): its probs, logits, param_shape
    and dtype are the Categorical's."""

    _categorical: Categorical

    @property
    def probs(self) -> Tensor:
        """The probabilities, summing to 1 along the last axis."""
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        """The log-probabilities (log_softmax of the logits given)."""
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple:
        return self._categorical.param_shape

    def _dtype(self) -> np.dtype:
        return self._categorical._dtype()


def _check_weights(name: str, weights: np.ndarray) -> None:
    """probs: non-negative, finite, a positive sum in each row; logits: no NaN, not all -inf."""
    if name == "probs":
        check("Categorical", name, constraints.Constraint(
            "non-negative weights with a positive sum along the last axis (normalised to sum "
            "to 1)", lambda x: (x >= 0).all(-1) & np.isfinite(x).all(-1) & (x.sum(-1) > 0), 1),
            weights)
    else:
        check("Categorical", name, constraints.Constraint(
            "real numbers (no NaN, +inf or a row all -inf) along the last axis",
            lambda x: (x == x).all(-1) & (x < np.inf).all(-1) & (x > -np.inf).any(-1), 1),
            weights)

