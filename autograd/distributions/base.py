"""`Distribution`, what every distribution here shares (PyTorch's `torch.distributions`'s
surface): its shapes, drawing with and without a graph, the checks `validate_args` makes, and
the parameters' preparation (numbers and Tensors broadcast together, in one floating dtype).

Shapes: a distribution holds `batch_shape` independent distributions, each over values of
`event_shape`; a draw of `sample_shape` has shape sample_shape + batch_shape + event_shape,
and `log_prob(value)` gives one number per distribution and draw: value's shape without the
event axes.

>>> from autograd.distributions import Normal
>>> d = Normal(Tensor([0.0, 1.0]), 2.0)
>>> d.batch_shape, d.event_shape, d.sample((5,)).shape, d.log_prob(Tensor([0.5, 0.5])).shape
((2,), (), (5, 2), (2,))
"""

from __future__ import annotations

import numbers
import warnings
from contextlib import contextmanager
from functools import cached_property
from typing import Any, Callable, Iterator

import numpy as np

from ..graph import enable_grad, no_grad
from ..pytorch_names import type_name
from ..random import default_rng
from ..tensor import Tensor, get_default_dtype
from .constraints import Constraint


#: the Euler-Mascheroni constant γ = -ψ(1) (Gumbel's mean and entropy, and KL divergences
#: through E ln x of an exponential draw)
EULER_GAMMA = 0.5772156649015329

#: which families have cdf and icdf (said when another is asked for them)
_WHICH = ("(cdf: Normal, Uniform, Exponential, Laplace, Cauchy, Gamma, Chi2; icdf: Normal, "
          "Uniform, Exponential, Laplace, Cauchy; both: the TransformedDistributions of "
          "monotone transforms, LogNormal, Gumbel, HalfNormal, HalfCauchy, ...)")


class Distribution:
    """The base class: subclasses set `arg_constraints` (parameter name -> constraint),
    `support` and `has_rsample`, store their parameters, then call `__init__` with their
    shapes, which checks the parameters when `validate_args` is on (PyTorch's default: on).

    >>> from autograd.distributions import Bernoulli
    >>> Bernoulli(probs=Tensor([0.3, 1.5]))
    Traceback (most recent call last):
    ValueError: Bernoulli: probs must be in [0, 1]; got 1.5 at index (1,) of probs (shape (2,))
    """

    arg_constraints: dict[str, Constraint] = {}
    support: Constraint | None = None
    has_rsample = False
    has_enumerate_support = False
    _validate_default = True
    #: Tensor attributes that are not batched (expand leaves them as they are)
    _unbatched: tuple[str, ...] = ()

    def __init__(self, batch_shape: tuple = (), event_shape: tuple = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = tuple(batch_shape), tuple(event_shape)
        self._validate_args = validating(validate_args)
        # the parameters given (of probs and logits, one: the other is computed when read)
        self._given = tuple(name for name in self.arg_constraints if name in self.__dict__)
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self) -> None:
        """Each parameter given against its constraint (`validate_args`)."""
        for name in self._given:
            check(type(self).__name__, name, self.arg_constraints[name],
                  self.__dict__[name].data)

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Whether distributions made without `validate_args=` check their parameters and the
        values given to log_prob (on unless turned off, as in PyTorch)."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: value must be True or False, got "
                             f"{value!r}")
        Distribution._validate_default = value

    @property
    def batch_shape(self) -> tuple:
        """The shape of the batch of independent distributions."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        """The shape of one draw of one distribution (() for a number)."""
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> tuple:
        return sample_size(type(self).__name__, sample_shape) + self._batch_shape \
            + self._event_shape

    # -- drawing ----------------------------------------------------------------------------

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + event_shape, with no graph (no gradient
        reaches the parameters: for that, `rsample`)."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A draw made of the parameters and fixed noise (the reparameterisation trick), so
        gradients flow back to the parameters."""
        raise NotImplementedError(
            f"{type(self).__name__}.rsample: {type(self).__name__} has no reparameterised draw "
            f"(has_rsample is False): sample() draws without a gradient; for gradients of an "
            f"expectation, weight log_prob(sample) by the outcome (the score function)")

    def sample_n(self, n: int) -> Tensor:
        """`sample((n,))`, with PyTorch's FutureWarning (it deprecates sample_n)."""
        warnings.warn(f"{type(self).__name__}.sample_n(n) is deprecated, as in PyTorch: "
                      f"write sample((n,))", FutureWarning, stacklevel=2)
        return self.sample((n,))

    # -- a larger batch -------------------------------------------------------------------------

    def expand(self, batch_shape: Any) -> Distribution:
        """The same distribution over a larger batch: its parameters broadcast to the new
        `batch_shape`, to which the old must broadcast (an axis of 1 may grow, new axes go in
        front), in the graph, so gradients reach the parameters; event_shape and
        validate_args are kept, and nothing is checked again. (Pyro's `d.expand(shape).to_event(n)` is
        `Independent(d.expand(shape), n)` here: to_event is Pyro's, not PyTorch's.)

        >>> from autograd.distributions import Normal
        >>> d = Normal(Tensor([0.0, 1.0]), 1.0).expand((3, 2))
        >>> d.batch_shape, d.log_prob(Tensor([0.0, 1.0])).shape
        ((3, 2), (3, 2))
        >>> Normal(Tensor([0.0, 1.0]), 1.0).expand((3,))
        Traceback (most recent call last):
        ValueError: Normal.expand: batch_shape (2,) does not broadcast to (3,) (an axis of 1 ...)
        """
        shape = size(type(self).__name__, "expand", "batch_shape", batch_shape)
        try:
            fits = np.broadcast_shapes(shape, self._batch_shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{type(self).__name__}.expand: batch_shape {self._batch_shape} "
                             f"does not broadcast to {shape} (an axis of 1 may grow, new axes "
                             f"go in front)")
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        old = len(self._batch_shape)
        for name, value in self.__dict__.items():
            # a parameter (or one computed from them) has the batch axes first; a Tensor
            # without them (ExpRelaxedCategorical's temperature) broadcasts as it is
            if isinstance(value, Tensor) and value.shape[:old] == self._batch_shape \
                    and name not in self._unbatched:
                tail = value.shape[old:]             # the parameter's event axes
                new.__dict__[name] = value if value.shape == shape + tail \
                    else value.broadcast_to(shape + tail)
            elif isinstance(value, Distribution):    # what it is made of (a base, components)
                new.__dict__[name] = value.expand(self._inner_batch_shape(value, shape))
        new._batch_shape = shape
        return new

    def _inner_batch_shape(self, inner: Distribution, batch_shape: tuple) -> tuple:
        """The batch_shape `inner`, a distribution this one is made of, takes when this one is
        expanded to `batch_shape`: the new batch and the axes inner has beyond this one's (an
        Independent's reinterpreted axes, a mixture's components)."""
        return batch_shape + inner.batch_shape[len(self._batch_shape):]

    # -- what subclasses give ---------------------------------------------------------------

    def log_prob(self, value: Any) -> Tensor:
        """The log of the density (or of the probability) at `value`."""
        raise NotImplementedError(f"{type(self).__name__}.log_prob is not implemented")

    def entropy(self) -> Tensor:
        """The entropy of each distribution in the batch (shape batch_shape)."""
        raise NotImplementedError(f"{type(self).__name__}.entropy is not implemented here")

    def perplexity(self) -> Tensor:
        """e^entropy, for each distribution in the batch."""
        return self.entropy().exp()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a finite support, along a new first axis: shape (n,) + batch_shape +
        event_shape (expand=True) or (n,) + (1,) * len(batch_shape) + event_shape."""
        raise NotImplementedError(
            f"{type(self).__name__}.enumerate_support: {type(self).__name__} has no finite "
            f"support to enumerate here (has_enumerate_support is False); Bernoulli, "
            f"Categorical, OneHotCategorical and Binomial have one")

    def cdf(self, value: Any) -> Tensor:
        """P(X <= value)."""
        raise NotImplementedError(f"{type(self).__name__}.cdf is not implemented here {_WHICH}")

    def icdf(self, value: Any) -> Tensor:
        """The value x with cdf(x) = value (the quantile function)."""
        raise NotImplementedError(f"{type(self).__name__}.icdf is not implemented here {_WHICH}")

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mean is not implemented here")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.variance is not implemented here")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation, the square root of `variance`."""
        return self.variance.sqrt()

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mode is not implemented here")

    # -- values given to log_prob, cdf, ... ---------------------------------------------------

    def _value(self, method: str, value: Any, dtype: Any = None,
               support: Constraint | None = None) -> Tensor:
        """`value` as a Tensor whose last axes are event_shape and whose others broadcast with
        batch_shape, checked against the support when `validate_args` is on."""
        where = f"{type(self).__name__}.{method}"
        if not isinstance(value, Tensor):
            if not isinstance(value, (numbers.Real, np.ndarray, np.generic, list, tuple)):
                raise TypeError(f"{where}: value must be a Tensor or numbers, got "
                                f"{type_name(value)}")
            value = Tensor(np.asarray(value, dtype=dtype or self._dtype()))
        elif value.data.dtype.kind not in "biuf":
            raise TypeError(f"{where}: value must hold numbers, got dtype {value.data.dtype}")
        shape, event = value.shape, self._event_shape
        if event and shape[len(shape) - len(event):] != event:
            raise ValueError(f"{where}: value of shape {shape} does not end in event_shape "
                             f"{event} (each value of {type(self).__name__} has that shape)")
        try:
            np.broadcast_shapes(shape[:len(shape) - len(event)], self._batch_shape)
        except ValueError:
            raise ValueError(f"{where}: value of shape {shape} does not broadcast with "
                             f"batch_shape {self._batch_shape} (plus event_shape {event})"
                             ) from None
        support = support or self.support
        if self._validate_args and support is not None:
            check(where, "value", support, value.data, f"{type(self).__name__}'s support")
        return value

    def _dtype(self) -> np.dtype:
        """The floating dtype of the parameters."""
        for name in self._given:
            return self.__dict__[name].data.dtype
        return get_default_dtype()

    def __repr__(self) -> str:
        shown = []
        for name in self._given:
            p = self.__dict__[name]
            shown.append(f"{name}: {p.data.item()!r}" if p.data.size == 1
                         else f"{name}: shape {p.shape}")
        return f"{type(self).__name__}({', '.join(shown)})"


# -- helpers the distributions share ------------------------------------------------------------

class lazy(cached_property):
    """A parameter computed from another when first read (Bernoulli's probs from its logits,
    MultivariateNormal's Cholesky factor), then kept. Always computed in the graph: a first
    read inside `sample()`, which draws under no_grad(), would otherwise keep a constant, and
    every later log_prob, entropy or rsample would pass no gradient through it."""

    def __init__(self, compute: Callable) -> None:
        def recorded(distribution: Any) -> Any:
            with enable_grad():
                return compute(distribution)
        recorded.__name__, recorded.__doc__ = compute.__name__, compute.__doc__
        super().__init__(recorded)


def on_diagonal(d: Tensor) -> Tensor:
    """Square matrices with d (..., n) on their diagonals and 0 elsewhere (PyTorch's
    diag_embed), differentiable in d.

    >>> on_diagonal(Tensor([[1.0, 2.0]])).tolist()
    [[[1.0, 0.0], [0.0, 2.0]]]
    """
    return d.unsqueeze(-1) * Tensor(np.eye(d.shape[-1], dtype=d.dtype))


def validating(validate_args: bool | None) -> bool:
    """Whether a distribution made with `validate_args` checks (None: the default, on)."""
    return Distribution._validate_default if validate_args is None else bool(validate_args)


def sample_size(where: str, sample_shape: Any) -> tuple:
    """`sample_shape` as a tuple of ints: a tuple, a list, or one int (a number of draws)."""
    return size(where, "sample", "sample_shape", sample_shape)


def size(where: str, method: str, name: str, shape: Any) -> tuple:
    """`shape` (`method`'s argument `name`) as a tuple of ints: a tuple, a list, or one int."""
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        if isinstance(shape, (str, bytes)) or not all(
                isinstance(n, (numbers.Integral, np.integer)) for n in shape):
            raise TypeError
        made = tuple(int(n) for n in shape)
    except TypeError:
        raise TypeError(f"{where}.{method}: {name} must be a tuple of ints such as (100,), "
                        f"got {shape!r}") from None
    if any(n < 0 for n in made):
        raise ValueError(f"{where}.{method}: {name} must not hold negative sizes, got {made}")
    return made


def along_new_axis(values: Tensor, batch_shape: tuple, expand: bool) -> Tensor:
    """enumerate_support's values (n,) + event_shape with an axis of 1 for each batch axis
    after the first, broadcast over the batch if `expand` (PyTorch's shapes)."""
    shaped = values.reshape(values.shape[:1] + (1,) * len(batch_shape) + values.shape[1:])
    return shaped.broadcast_to(values.shape[:1] + batch_shape + values.shape[1:]) if expand \
        else shaped


def check(where: str, name: str, constraint: Constraint, array: np.ndarray,
          said: str = "") -> None:
    """Raise a ValueError naming `where`, `name`, the first place of `array` that does not
    meet `constraint`, its value and what was expected."""
    ok = constraint.check(array)
    if ok.all():
        return
    at = tuple(int(i) for i in np.argwhere(~ok)[0]) if ok.ndim else ()
    bad = array[at] if ok.ndim else array
    if constraint.event_dim and array.ndim > constraint.event_dim:
        what = "row" if constraint.event_dim == 1 else "matrix"
        place = f"the {what} {np.array2string(np.asarray(bad), precision=6)} at index {at}"
    elif constraint.event_dim:
        place = np.array2string(np.asarray(bad), precision=6)
    else:
        place = f"{np.asarray(bad).item()!r}" + (f" at index {at}" if at else "")
    wanted = f"{constraint.expected}" + (f" ({said})" if said else "")
    raise ValueError(f"{where}: {name} must be {wanted}; got {place} of {name} (shape "
                     f"{array.shape})")


def parameters(where: str, **given: Any) -> list[Tensor]:
    """The parameters as Tensors of one floating dtype, broadcast to one shape (PyTorch's
    broadcast_all): Tensors keep their graph (the broadcast and any cast are recorded, so
    gradients reach them), numbers and arrays become constants; the dtype is that of the
    floating Tensors and arrays among them (float64 if any is float64), else the default
    dtype (a number takes it, as in PyTorch; an integer tensor is cast to it).

    >>> loc, scale = parameters("Normal", loc=Tensor([0.0, 1.0]), scale=2.0)
    >>> scale.shape, scale.dtype
    ((2,), dtype('float32'))
    """
    tensors = {}
    for name, value in given.items():
        if isinstance(value, np.ndarray):           # an array keeps its dtype, as in Tensor()
            value = Tensor(value)
        if isinstance(value, Tensor):
            if value.data.dtype.kind not in "biuf":
                raise TypeError(f"{where}: {name} must hold numbers, got dtype "
                                f"{value.data.dtype}")
            tensors[name] = value
        elif isinstance(value, (numbers.Real, np.generic)) and not isinstance(value, bool):
            tensors[name] = None
        else:
            raise TypeError(f"{where}: {name} must be a number or a Tensor, got "
                            f"{type_name(value)}")
    floating = [t.data.dtype for t in tensors.values() if t is not None
                and t.data.dtype.kind == "f"]
    dtype = np.result_type(*floating) if floating else get_default_dtype()
    made = []
    for name, value in given.items():
        t = tensors[name]
        if t is None:
            t = Tensor(np.asarray(value, dtype=dtype))
        elif t.data.dtype != dtype:
            t = t.astype(dtype)
        made.append(t)
    try:
        shape = np.broadcast_shapes(*(t.shape for t in made))
    except ValueError:
        shapes = ", ".join(f"{name} {t.shape}" for name, t in zip(given, made))
        raise ValueError(f"{where}: the parameters' shapes do not broadcast together: "
                         f"{shapes}") from None
    return [t if t.shape == shape else t.broadcast_to(shape) for t in made]


def one_of(where: str, probs: Any, logits: Any) -> tuple[str, Any]:
    """Which of probs= and logits= was given (exactly one must be)."""
    if (probs is None) == (logits is None):
        said = "both" if probs is not None else "neither"
        raise ValueError(f"{where}: give either probs= or logits=, not both (got {said})")
    return ("probs", probs) if probs is not None else ("logits", logits)


def noise(kind: str, shape: tuple, dtype: np.dtype) -> Tensor:
    """A constant Tensor of draws from the shared generator (autograd.manual_seed seeds it):
    "normal" (standard normal), "uniform" ([0, 1)) or "exponential" (rate 1), taken in float64
    and given in `dtype`."""
    rng = default_rng()
    draws = {"normal": rng.standard_normal, "uniform": rng.random,
             "exponential": rng.standard_exponential}[kind](shape)
    return Tensor(np.asarray(draws, dtype=dtype))


@contextmanager
def shown_as(name: str, *inner: str) -> Iterator[None]:
    """Errors raised while a distribution builds the one it is made of (RelaxedBernoulli its
    LogitRelaxedBernoulli) name the distribution the user made, not the inner one.

    >>> with shown_as("RelaxedBernoulli", "LogitRelaxedBernoulli"):
    ...     raise ValueError("LogitRelaxedBernoulli: temperature must be positive (> 0)")
    Traceback (most recent call last):
    ValueError: RelaxedBernoulli: temperature must be positive (> 0)
    """
    try:
        yield
    except (ValueError, TypeError) as error:
        said = str(error)
        for other in inner:
            if said.startswith(other + ":"):
                raise type(error)(name + said[len(other):]) from None
        raise
