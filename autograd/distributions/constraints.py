"""What a parameter or a value must be: PyTorch's `torch.distributions.constraints`, as plain
checks on numbers. Each constraint says in words what it wants (for the error a distribution
raises with `validate_args`) and, given an array, which places meet it.

>>> positive.check(np.array([1.0, 0.0, -2.0])).tolist()
[True, False, False]
>>> positive.expected
'positive (> 0)'
>>> simplex.check(np.array([[0.2, 0.8], [0.5, 0.6]])).tolist()      # one answer per row
[True, False]
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


class Constraint:
    """A set of allowed values: `check(array)` gives a bool array, one entry per element, or
    per row (`event_dim` 1) or per matrix (`event_dim` 2); `expected` says it in words."""

    def __init__(self, expected: str, test: Callable[[np.ndarray], Any], event_dim: int = 0,
                 is_discrete: bool = False) -> None:
        self.expected, self._test = expected, test
        self.event_dim, self.is_discrete = event_dim, is_discrete

    def check(self, value: Any) -> np.ndarray:
        """Where `value` (an array, or a Tensor's numbers) meets the constraint."""
        return np.asarray(self._test(np.asarray(getattr(value, "data", value))), dtype=bool)

    def __repr__(self) -> str:
        return f"Constraint({self.expected})"


def _lower_cholesky(m: np.ndarray) -> np.ndarray:
    lower = (np.triu(m, 1) == 0).all(axis=(-2, -1))
    return lower & (np.diagonal(m, 0, -2, -1) > 0).all(-1)


def _positive_definite(m: np.ndarray) -> np.ndarray:
    """Symmetric, and numpy's Cholesky factorisation succeeds (one answer per matrix)."""
    symmetric = np.isclose(m, np.swapaxes(m, -2, -1), rtol=1e-5, atol=1e-8).all(axis=(-2, -1))
    flat = m.reshape((-1,) + m.shape[-2:])
    factored = np.empty(len(flat), dtype=bool)
    for i, one in enumerate(flat):
        try:
            np.linalg.cholesky(one)
            factored[i] = True
        except np.linalg.LinAlgError:
            factored[i] = False
    return symmetric & factored.reshape(m.shape[:-2])


def _is_integer(x: np.ndarray) -> np.ndarray:
    return x == np.floor(x) if x.dtype.kind == "f" else np.ones(x.shape, dtype=bool)


real = Constraint("a real number (not NaN)", lambda x: x == x)
boolean = Constraint("0 or 1", lambda x: (x == 0) | (x == 1), is_discrete=True)
real_vector = Constraint("a vector of real numbers (no NaN)", lambda x: (x == x).all(-1), 1)
simplex = Constraint("probabilities: non-negative and summing to 1 along the last axis",
                     lambda x: (x >= 0).all(-1) & (np.abs(x.sum(-1) - 1) < 1e-6), 1)
one_hot = Constraint("one-hot vectors: 0s and a single 1 along the last axis",
                     lambda x: ((x == 0) | (x == 1)).all(-1) & (x.sum(-1) == 1), 1,
                     is_discrete=True)
lower_cholesky = Constraint("lower triangular with a positive diagonal (a Cholesky factor)",
                            _lower_cholesky, 2)
positive_definite = Constraint("symmetric positive definite", _positive_definite, 2)


def integer_interval(low: int, high: int) -> Constraint:
    """The integers low, ..., high (both included).

    >>> integer_interval(0, 2).check(np.array([0, 2, 3, 1.5])).tolist()
    [True, True, False, False]
    """
    return Constraint(f"an integer in [{low}, {high}]",
                      lambda x: _is_integer(x) & (x >= low) & (x <= high), is_discrete=True)


# -- bounded sets and sets of events: what transforms map between (biject_to finds the
# -- transform from the kind of constraint and its bounds) --------------------------------------

def _bound(b: Any) -> str:
    b = np.asarray(getattr(b, "data", b))
    return repr(b.item()) if b.size == 1 else "the bound given"


class _Bounded(Constraint):
    """A set bounded below and/or above: its bounds kept as given (numbers, arrays or
    Tensors) so biject_to can build its transform from them; checked on their numbers."""

    def __init__(self, expected: str, test: Callable[[np.ndarray, Any, Any], Any],
                 lower_bound: Any = None, upper_bound: Any = None) -> None:
        low = np.asarray(getattr(lower_bound, "data", lower_bound), dtype=float)
        high = np.asarray(getattr(upper_bound, "data", upper_bound), dtype=float)
        super().__init__(expected, lambda x: test(x, low, high))
        self.lower_bound, self.upper_bound = lower_bound, upper_bound


class greater_than(_Bounded):
    """x > lower_bound (`positive` is greater_than(0)).

    >>> greater_than(1.0).check(np.array([0.5, 1.0, 2.0])).tolist()
    [False, False, True]
    """

    def __init__(self, lower_bound: Any, expected: str | None = None) -> None:
        super().__init__(expected or f"greater than {_bound(lower_bound)}",
                         lambda x, low, high: x > low, lower_bound=lower_bound)


class greater_than_eq(_Bounded):
    """x >= lower_bound (`nonnegative` is greater_than_eq(0))."""

    def __init__(self, lower_bound: Any, expected: str | None = None) -> None:
        super().__init__(expected or f"at least {_bound(lower_bound)}",
                         lambda x, low, high: x >= low, lower_bound=lower_bound)


class less_than(_Bounded):
    """x < upper_bound."""

    def __init__(self, upper_bound: Any) -> None:
        super().__init__(f"less than {_bound(upper_bound)}",
                         lambda x, low, high: x < high, upper_bound=upper_bound)


class interval(_Bounded):
    """low <= x <= high, the bounds numbers or arrays (broadcast against x).

    >>> interval(0.0, np.array([1.0, 2.0])).check(np.array([1.5, 1.5])).tolist()
    [False, True]
    """

    def __init__(self, lower_bound: Any, upper_bound: Any, expected: str | None = None) -> None:
        low = np.asarray(getattr(lower_bound, "data", lower_bound))
        high = np.asarray(getattr(upper_bound, "data", upper_bound))
        said = (f"[{low.item()}, {high.item()}]" if low.size == high.size == 1
                else "between low and high")
        super().__init__(expected or f"in {said}", lambda x, lo, hi: (x >= lo) & (x <= hi),
                         lower_bound, upper_bound)


class half_open_interval(_Bounded):
    """low <= x < high."""

    def __init__(self, lower_bound: Any, upper_bound: Any) -> None:
        super().__init__(f"in [{_bound(lower_bound)}, {_bound(upper_bound)})",
                         lambda x, lo, hi: (x >= lo) & (x < hi), lower_bound, upper_bound)


class independent(Constraint):
    """`base_constraint` over whole events of `reinterpreted_batch_ndims` more axes: one answer
    per event, true when every element (or row, ...) in it meets the base constraint.

    >>> independent(positive, 1).check(np.array([[1.0, 2.0], [1.0, -2.0]])).tolist()
    [True, False]
    """

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int) -> None:
        n = reinterpreted_batch_ndims
        if not isinstance(base_constraint, Constraint) or not isinstance(n, int) or n < 0:
            raise ValueError(f"constraints.independent: expected a Constraint and a number of "
                             f"axes >= 0, got {base_constraint!r} and {n!r}")
        self.base_constraint, self.reinterpreted_batch_ndims = base_constraint, n

        def test(x: np.ndarray) -> np.ndarray:
            ok = base_constraint.check(x)
            return ok.reshape(ok.shape[:ok.ndim - n] + (-1,)).all(-1) if n else ok
        super().__init__(base_constraint.expected + (f" (each element of events of {n} axes)"
                                                     if n else ""),
                         test, base_constraint.event_dim + n, base_constraint.is_discrete)


positive = greater_than(0.0, "positive (> 0)")
nonnegative = greater_than_eq(0.0, "non-negative (>= 0)")
unit_interval = interval(0.0, 1.0, "in [0, 1]")


nonnegative_integer = Constraint("a non-negative integer (0, 1, 2, ...)",
                                 lambda x: _is_integer(x) & (x >= 0), is_discrete=True)
#: the success probability of a NegativeBinomial: 1 would never stop
half_open_unit_interval = Constraint("in [0, 1)", lambda x: (x >= 0) & (x < 1))
#: the success probability of a Geometric: 0 would never succeed
positive_unit_interval = Constraint("in (0, 1]", lambda x: (x > 0) & (x <= 1))


def counts_up_to(total_count: Any) -> Constraint:
    """The integers 0, ..., total_count, the bound a number or an array (Binomial's support).

    >>> counts_up_to(np.array([2.0, 5.0])).check(np.array([3.0, 3.0])).tolist()
    [False, True]
    """
    high = np.asarray(total_count)
    said = f"[0, {high.item():g}]" if high.size == 1 else "[0, total_count]"
    return Constraint(f"an integer in {said}",
                      lambda x: _is_integer(x) & (x >= 0) & (x <= high), is_discrete=True)


def multinomial(total_count: int) -> Constraint:
    """Vectors of non-negative integers summing to total_count along the last axis
    (Multinomial's support).

    >>> multinomial(3).check(np.array([[1.0, 2.0], [1.0, 1.0]])).tolist()
    [True, False]
    """
    return Constraint(f"non-negative integers summing to {total_count} along the last axis",
                      lambda x: (_is_integer(x) & (x >= 0)).all(-1) & (x.sum(-1) == total_count),
                      1, is_discrete=True)
