"""biject_to(constraint) and transform_to(constraint): a transform from the reals (or real
vectors, matrices) onto the set a constraint allows, so a constrained parameter can be
optimised as an unconstrained one: keep u free, use transform_to(c)(u). biject_to's
transforms are bijective (what a change of variables needs: HMC, ADVI); transform_to's may
not be (softmax onto the simplex, an easier landscape for gradient descent).

>>> from autograd import Tensor
>>> from autograd.distributions import biject_to, constraints
>>> t = biject_to(constraints.positive)
>>> t, t(Tensor([0.0])).tolist()
(ExpTransform(), [1.0])
"""

from __future__ import annotations

from typing import Any, Callable

from . import constraints
from .constraints import Constraint
from .transforms import (AffineTransform, ComposeTransform, ExpTransform,
                         IndependentTransform, LowerCholeskyTransform, SigmoidTransform,
                         SoftmaxTransform, StickBreakingTransform, Transform,
                         identity_transform)


class ConstraintRegistry:
    """Constraint -> transform factories: `register(constraint, factory)` for one constraint
    object (matched by identity, as `positive`) or a kind of constraint (a class, matched by
    isinstance, as `constraints.interval`); calling the registry with a constraint gives
    factory(constraint)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._objects: dict[int, tuple[Constraint, Callable]] = {}
        self._kinds: dict[type, Callable] = {}

    def register(self, constraint: Any, factory: Callable | None = None) -> Any:
        """Add a factory (also usable as a decorator: `@biject_to.register(my_constraint)`)."""
        if factory is None:
            return lambda f: self.register(constraint, f)
        if isinstance(constraint, type) and issubclass(constraint, Constraint):
            self._kinds[constraint] = factory
        elif isinstance(constraint, Constraint):
            self._objects[id(constraint)] = (constraint, factory)
        else:
            raise TypeError(f"{self._name}.register: expected a Constraint or a Constraint "
                            f"subclass, got {constraint!r}")
        return factory

    def __call__(self, constraint: Constraint) -> Transform:
        found = self._objects.get(id(constraint))
        if found is not None and found[0] is constraint:
            return found[1](constraint)
        for kind in type(constraint).__mro__:
            if kind in self._kinds:
                return self._kinds[kind](constraint)
        raise NotImplementedError(
            f"{self._name}: no transform onto {constraint!r} here; there are transforms onto "
            f"real, real_vector, positive, nonnegative, greater_than, greater_than_eq, "
            f"less_than, interval, half_open_interval, unit_interval, simplex"
            f"{', lower_cholesky' if self._name == 'transform_to' else ''} and independent "
            f"ones of these ({self._name}.register adds one)")


biject_to = ConstraintRegistry("biject_to")
transform_to = ConstraintRegistry("transform_to")


def _real(c: Constraint) -> Transform:
    return identity_transform


def _real_vector(c: Constraint) -> Transform:
    return IndependentTransform(identity_transform, 1)


def _above(c: Any) -> Transform:
    if c is constraints.positive or c is constraints.nonnegative:
        return ExpTransform()
    return ComposeTransform([ExpTransform(), AffineTransform(c.lower_bound, 1.0)])


def _below(c: Any) -> Transform:
    return ComposeTransform([ExpTransform(), AffineTransform(c.upper_bound, -1.0)])


def _between(c: Any) -> Transform:
    if c is constraints.unit_interval:
        return SigmoidTransform()
    low, high = c.lower_bound, c.upper_bound
    return ComposeTransform([SigmoidTransform(), AffineTransform(low, high - low)])


def _independent(registry: ConstraintRegistry) -> Callable:
    def make(c: Any) -> Transform:
        return IndependentTransform(registry(c.base_constraint), c.reinterpreted_batch_ndims)
    return make


for _registry in (biject_to, transform_to):
    _registry.register(constraints.real, _real)
    _registry.register(constraints.real_vector, _real_vector)
    _registry.register(constraints.greater_than, _above)
    _registry.register(constraints.greater_than_eq, _above)
    _registry.register(constraints.less_than, _below)
    _registry.register(constraints.interval, _between)
    _registry.register(constraints.half_open_interval, _between)
    _registry.register(constraints.independent, _independent(_registry))

biject_to.register(constraints.simplex, lambda c: StickBreakingTransform())
transform_to.register(constraints.simplex, lambda c: SoftmaxTransform())
transform_to.register(constraints.lower_cholesky, lambda c: LowerCholeskyTransform())
