"""OneHotCategorical(probs= | logits=): a Categorical whose draws are one-hot vectors.

>>> from autograd.distributions import OneHotCategorical
>>> OneHotCategorical(probs=Tensor([0.0, 1.0, 0.0])).sample().tolist()
[0.0, 1.0, 0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import no_grad
from ..tensor import Tensor
from . import constraints
from .base import Distribution, along_new_axis
from .categorical import Categorical, OfCategorical


class OneHotCategorical(OfCategorical, Distribution):
    """A draw is a one-hot vector of length K (event_shape (K,)), in the parameters' dtype:
    category k of `Categorical(probs=, logits=)` as the vector with a 1 at k. log_prob takes
    such vectors, entropy is the Categorical's.

    >>> d = OneHotCategorical(logits=Tensor([0.0, 0.0]))
    >>> d.event_shape, round(d.log_prob(Tensor([1.0, 0.0])).item(), 6)
    ((2,), -0.693147)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_rsample = False
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         False)
        self._validate_args = self._categorical._validate_args

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            index = self._categorical.sample(sample_shape).data
            k = self._event_shape[0]
            return Tensor((index[..., None] == np.arange(k)).astype(self.probs.data.dtype))

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K one-hot vectors along a new first axis (see Distribution.enumerate_support).

        >>> OneHotCategorical(probs=Tensor([0.5, 0.5])).enumerate_support().tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        values = Tensor(np.eye(self._event_shape[0], dtype=self._dtype()))
        return along_new_axis(values, self._batch_shape, expand)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value("log_prob", value)
        return self._categorical.log_prob(Tensor(value.data.argmax(-1)))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def __repr__(self) -> str:
        return repr(self._categorical).replace("Categorical", "OneHotCategorical", 1)
