"""Writing into a tensor, mixed into `Tensor` (autograd/tensor.py): `t[index] = value`,
PyTorch's in-place methods (add_, clamp_, fill_, masked_fill_, uniform_, normal_, ...), and
the record of which arrays were written when, which backward checks, and of the views ops made
of constants' numbers, which follow their changes (`_update_views`). The rules these share
with `+=` and the other in-place operators are `Tensor._in_place`'s, in autograd/tensor.py.
"""

from __future__ import annotations

import math
import numbers
import threading
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from . import graph
from .broadcast import broadcasts_to
from .graph import DETACHED, Leaf, Node, apply, write_clock
from .hooks import move_hooks
from .ops import IndexPut
from .tensor_functions import where
from .tensor_operands import _MIXED_ENGINES, _raw_index, _refuse_integer_out_of_range

if TYPE_CHECKING:
    from .tensor import Tensor
# `Tensor`, a global here as in tensor.py, is put into this module by autograd/tensor.py once
# the class exists (tensor.py imports this module to make it, so it cannot be imported back)


class InPlaceMethods:
    """Tensor's methods that write into its numbers (see the module's docstring)."""

    __slots__ = ()

    # -- PyTorch's in-place methods ------------------------------------------------------------

    # They follow the rules of the in-place operators (+=, ...: see Tensor.__iadd__ in
    # autograd/tensor.py), with one difference: an op's result in a graph is written and the
    # write recorded, the same object, as PyTorch records it (`h = fc(x); h.mul_(2)` makes h
    # 2 * fc(x), and the gradient goes through to fc), by the in-place forms' way
    # (`_write_in_graph`, autograd/tensor_in_place_functions.py): `h += 1` rebinds h to a new
    # tensor, which a method cannot do. An op that used h before the write cannot
    # backpropagate afterwards; a view of another tensor's numbers in a graph (x[0], x.T) is
    # refused. A parameter is written only under no_grad(), where these methods take a fast
    # path of their own (an optimizer calls them for every parameter at every step). Each
    # returns the tensor itself.

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """t += alpha * other, in place (PyTorch's rules: a parameter only under no_grad(); an
        op's result in a graph recorded, the same object).

        >>> t = Tensor([1.0, 2.0]); t.add_(Tensor([1.0, 1.0]), alpha=0.5)
        Tensor([1.5, 2.5])
        >>> h = Tensor([1.0, 2.0], requires_grad=True) * 3
        >>> h.add_(1).op
        'add'
        """
        return self._arithmetic_(np.add, "add_", other, alpha, "t = t + x")

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """t -= alpha * other, in place (see `add_`)."""
        return self._arithmetic_(np.subtract, "sub_", other, alpha, "t = t - x")

    def mul_(self, other: Any) -> Tensor:
        """t *= other, in place (see `add_`)."""
        return self._arithmetic_(np.multiply, "mul_", other, 1, "t = t * x")

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """t /= other, in place (see `add_`); an integer tensor cannot hold the fractions. With
        rounding_mode ("trunc" or "floor"), `t.div(other, rounding_mode=...)` written into t
        (autograd/tensor_in_place_functions.py)."""
        if rounding_mode is not None:
            return self._apply_in_place("div", (other,), {"rounding_mode": rounding_mode})
        return self._arithmetic_(np.divide, "div_", other, 1, "t = t / x")

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """t += value * tensor1 * tensor2, in place (see `add_`): an Adam-like optimizer's
        second moment, `exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)`.

        >>> t = Tensor([1.0, 1.0]); t.addcmul_(Tensor([2.0, 3.0]), Tensor([4.0, 5.0]), value=0.5)
        Tensor([5. , 8.5])
        """
        product = (tensor1 * tensor2 if isinstance(tensor1, Node) or isinstance(tensor2, Node)
                   else np.multiply(tensor1, tensor2))
        return self._arithmetic_(np.add, "addcmul_", product, value, "t = t + value * a * b")

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """t += value * tensor1 / tensor2, in place (see `add_`): an Adam-like step,
        `p.addcdiv_(exp_avg, denom, value=-step_size)` under no_grad().

        >>> t = Tensor([1.0, 1.0]); t.addcdiv_(Tensor([2.0, 3.0]), Tensor([4.0, 6.0]), value=-2)
        Tensor([0., 0.])
        """
        ratio = (tensor1 / tensor2 if isinstance(tensor1, Node) or isinstance(tensor2, Node)
                 else np.divide(tensor1, tensor2))
        return self._arithmetic_(np.add, "addcdiv_", ratio, value, "t = t + value * a / b")

    def lerp_(self, end: Any, weight: Any) -> Tensor:
        """`lerp(end, weight)` in place, t += weight * (end - t) (see `add_`): an exponential
        moving average of a model's weights, `ema_p.lerp_(p, 1 - decay)` under no_grad().

        >>> t = Tensor([0.0, 10.0]); t.lerp_(Tensor([10.0, 20.0]), 0.25)
        Tensor([ 2.5, 12.5])
        """
        instead = "t = t.lerp(end, weight)"
        fn = self._fn
        if graph.grad_mode.enabled and fn is not Leaf and (fn is not None or (
                isinstance(end, Node) and end._fn is not None) or (
                    isinstance(weight, Node) and weight._fn is not None)):
            # recorded: an op's result in a graph, or a constant moved towards a value in one
            return self._apply_in_place("lerp", (end, weight), {})
        self._check_writable("lerp_", f"write {instead} for a new tensor")
        data = self.data
        if data.dtype.kind != "f":
            raise TypeError(f"lerp_: the tensor is {self.data.dtype}, and an interpolation "
                            f"needs a floating one (t = t.float() first)")
        if isinstance(end, Node):
            end = end.data
        if isinstance(weight, Node):
            weight = weight.data
        # an EMA's call, lerp_(a tensor of this shape, a float), fits without asking numpy
        # (its broadcast of three shapes cost 3 µs of an 8 µs call)
        if weight.__class__ is not float or end.__class__ is not np.ndarray or \
                end.shape != data.shape:
            shapes = (self.shape, np.shape(end), np.shape(weight))
            try:
                fits = np.broadcast_shapes(*shapes) == self.shape
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"lerp_: end and weight of shapes {shapes[1]} and {shapes[2]} "
                                 f"do not broadcast to the tensor's shape {self.shape}, which "
                                 f"an in-place write keeps; {instead} makes a new tensor")
        return self._in_place(_lerp, "lerp_", None, (end, weight), instead)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        """`clamp(min, max)` in place (see `add_`).

        >>> Tensor([-2.0, 0.5, 3.0]).clamp_(-1, 1)
        Tensor([-1. ,  0.5,  1. ])
        """
        return self._clamp_("clamp_", min, max)

    def clip_(self, min: Any = None, max: Any = None) -> Tensor:
        """PyTorch's other name for `clamp_` (an image optimised pixel by pixel kept in [0, 1]).

        >>> Tensor([-2.0, 0.5, 3.0]).clip_(0, 1)
        Tensor([0. , 0.5, 1. ])
        """
        return self._clamp_("clip_", min, max)

    def _clamp_(self, name: str, min: Any, max: Any) -> Tensor:
        fn = self._fn
        if graph.grad_mode.enabled and fn is not Leaf and (
                fn is not None or _operand_in_graph((min, max), {})):
            return self._apply_in_place(name[:-1], (min, max), {})     # recorded (see add_)
        # two Python numbers in order, as WGAN's weight clipping gives them at every step
        # (`p.clamp_(-c, c)` under no_grad()), need none of `_bounds`' conversions and checks
        # (5 µs of a 14 µs call); anything else (None, arrays, tensors, NaN) goes through them
        if min.__class__ in _PLAIN_NUMBERS and max.__class__ in _PLAIN_NUMBERS and min <= max:
            bounds = (min, max)
        else:
            bounds = self._bounds(name, min, max)
        self._check_writable(name, f"write t = t.{name[:-1]}(min, max) for a new tensor")
        return self._in_place(_clip, name, None, bounds, f"t = t.{name[:-1]}(min, max)")

    def zero_(self) -> Tensor:
        """Fill with 0 in place (see `fill_`)."""
        return self._fill_("zero_", 0)

    def fill_(self, value: Any) -> Tensor:
        """Fill with the number `value` in place, cast to this tensor's dtype (2.7 into an
        integer tensor is 2, as in PyTorch); a parameter only under no_grad(). Returns self.

        >>> Tensor([[1, 2], [3, 4]]).fill_(2.7)
        Tensor([[2, 2],
                [2, 2]], dtype=int64)
        """
        return self._fill_("fill_", value)

    def _fill_(self, name: str, value: Any) -> Tensor:
        if isinstance(value, Tensor):
            if value.data.size != 1:
                raise ValueError(f"{name}: value must be a number or a one-element tensor, "
                                 f"got shape {value.shape}")
            if value._fn is not None and graph.grad_mode.enabled:
                if self._fn is not None:        # (a parameter is refused, a result recorded)
                    return self._copy_in_graph(name, value.reshape(()), "t = value.expand("
                                                                        "shape)")
                self._check_writable(name, "write t = value.expand(shape) for a new tensor")
                self[...] = value.reshape(())     # recorded, as PyTorch records it (see copy_)
                return self
            value = value.data.item()
        from .creation import _filled       # (creation builds on Tensor: imported here)
        numbers = _filled(name, self.shape, value, self.data.dtype)
        if self._fn is not None and self._fn is not Leaf and graph.grad_mode.enabled:
            # an op's result in a graph: the numbers, recorded (no gradient to the old ones)
            return self._write_in_graph(Tensor(numbers), name, "autograd.full_like(t, value)")
        self._check_writable(name, "make a new tensor (autograd.full_like(t, value))")
        return self._in_place(_put, name, None, numbers, "autograd.full_like(t, value)")

    def _copy_in_graph(self, name: str, source: Tensor, instead: str) -> Tensor:
        """copy_ (and fill_ of a tensor in a graph) into self, an op's result in a graph or a
        parameter: self becomes source (broadcast, in self's dtype) recorded, the gradient
        reaching source and not self's old history, as PyTorch's; a parameter is refused
        outside no_grad()."""
        if self._fn is Leaf:
            self._check_writable(name, f"write {instead} for a new tensor")
        if not broadcasts_to(source.shape, self.shape):
            raise ValueError(f"{name}: expected data of shape {self.shape} (or one that "
                             f"broadcasts to it, as in PyTorch), got {source.shape}")
        return self._write_in_graph(where(np.ones(self.shape, dtype=bool), source, self),
                                    name, instead)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """`masked_fill` in place (see `add_`): `value` where the bool `mask`, which broadcasts
        to this tensor's shape, is True. Returns self. Unlike add_, an op's result in a graph
        is written too, recorded as `t[mask] = value` is (the same object becomes
        index_put(old numbers, value)), so the gradient skips the filled places: a similarity
        matrix's `sim.masked_fill_(mask, float('-inf'))` before a softmax, as in PyTorch.

        >>> Tensor([1.0, -2.0, 3.0]).masked_fill_(np.array([False, True, False]), 0.0)
        Tensor([1., 0., 3.])
        """
        return self._masked_fill_("masked_fill_", mask, value, "t = t.masked_fill(mask, value)")

    def fill_diagonal_(self, fill_value: Any, wrap: bool = False) -> Tensor:
        """PyTorch's fill_diagonal_: the number `fill_value` on the main diagonal, in place:
        t[i, i] of a matrix (of any shape), t[i, i, ..., i] of more axes of one length. With
        wrap=True a tall matrix's diagonal starts again every columns + 1 rows (numpy's
        `fill_diagonal`, as PyTorch's). An op's result in a graph is recorded, as
        `masked_fill_` records it: InfoNCE's `sim.fill_diagonal_(float('-inf'))` leaves each
        sample out of its own softmax, and no gradient reaches the diagonal. Returns self.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).fill_diagonal_(0.0).tolist()
        [[0.0, 2.0], [3.0, 0.0], [5.0, 6.0]]
        """
        name = "fill_diagonal_"
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) > 1):
            raise ValueError(f"{name}: needs a matrix, or axes all of one length, got shape "
                             f"{self.shape}")
        if isinstance(fill_value, Tensor) and fill_value.data.size == 1:
            fill_value = fill_value.item()      # (PyTorch takes a number; a 0-d tensor's too)
        if not isinstance(fill_value, (numbers.Real, np.bool_)):     # (a bool mask's False too)
            raise TypeError(f"{name}: fill_value must be a number, got "
                            f"{type(fill_value).__name__}")
        diagonal = np.zeros(self.shape, dtype=bool)
        np.fill_diagonal(diagonal, True, wrap=bool(wrap))
        return self._masked_fill_(name, diagonal, fill_value,
                                  "t = t.masked_fill(autograd.eye(n, dtype=bool), value)")

    def _masked_fill_(self, name: str, mask: Any, value: Any, instead: str) -> Tensor:
        self._refuse_graph_operand(name, value, instead)
        recorded = graph.grad_mode.enabled and not self.is_leaf     # an op's result in a graph
        if not recorded:
            self._check_writable(name, f"write {instead} for a new tensor")
        with graph.no_grad():
            filled = self.masked_fill(mask, value)          # (checks the mask and the value)
        if filled.shape != self.shape:
            raise ValueError(f"{name}: a mask of shape {np.shape(mask)} would grow the "
                             f"tensor's shape {self.shape} to {filled.shape}; in place, the "
                             f"shape stays ({instead} makes a new tensor)")
        if recorded:
            self._refuse_read_only(name)        # (expand's: in the fill's name, not t[...]'s)
            mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
            number = value.data if isinstance(value, Tensor) else value     # (not in a graph)
            self[np.broadcast_to(mask, self.shape)] = number
            return self
        return self._in_place(_put, name, None, filled.data, instead)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with draws from U(a, b) in place, from the shared generator (see
        `autograd.manual_seed`) or `generator=`; floating tensors only. Returns self.

        >>> from autograd import manual_seed, zeros
        >>> manual_seed(0); w = zeros(2, 3).uniform_(-0.1, 0.1)
        >>> bool((w.data.min() >= -0.1) & (w.data.max() <= 0.1))
        True
        """
        if not (math.isfinite(a) and math.isfinite(b) and a <= b):
            raise ValueError(f"uniform_: needs finite bounds with a <= b, got a={a!r}, b={b!r}")
        dtype = self.data.dtype
        if dtype.kind == "f" and max(abs(a), abs(b)) > float(np.finfo(dtype).max):
            raise ValueError(f"uniform_: a={a!r} or b={b!r} is beyond {dtype}'s range "
                             f"(±{float(np.finfo(dtype).max):.4g}); its draws would be inf")
        return self._fill_random_("uniform_", generator, lambda r: r.uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with draws from N(mean, std²) in place (see `uniform_`). Returns self."""
        if not std >= 0:
            raise ValueError(f"normal_: std must be >= 0, got {std!r}")
        return self._fill_random_("normal_", generator,
                                  lambda r: r.normal(mean, std, self.shape))

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        """Fill with 1 (probability `p`) or 0 in place, in this tensor's dtype (any: an integer
        or bool tensor too, as in PyTorch); `p` a number or a tensor of probabilities that
        broadcasts to this tensor's shape. Returns self (see `uniform_`).

        >>> from autograd import manual_seed, zeros
        >>> manual_seed(0); mask = zeros(100000).bernoulli_(0.8)
        >>> round(float(mask.mean()), 2)
        0.8
        """
        from .creation import _probabilities
        chance = _probabilities("bernoulli_", p)
        if not broadcasts_to(chance.shape, self.shape):
            raise ValueError(f"bernoulli_: the probabilities' shape {chance.shape} does not "
                             f"broadcast to this tensor's shape {self.shape}")
        return self._fill_random_("bernoulli_", generator,
                                  lambda r: r.random(self.shape) < chance, floating=False)

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with draws from the exponential distribution of rate `lambd` (mean 1 / lambd) in
        place (see `uniform_`). Returns self.

        >>> from autograd import manual_seed, zeros
        >>> manual_seed(0); waits = zeros(100000).exponential_(4.0)
        >>> round(float(waits.mean()), 2)
        0.25
        """
        if isinstance(lambd, (bool, np.bool_)) or not isinstance(lambd, numbers.Real) or \
                not lambd > 0:
            raise ValueError(f"exponential_: lambd (the rate) must be a number > 0, got "
                             f"{lambd!r}")
        return self._fill_random_("exponential_", generator,
                                  lambda r: r.exponential(1.0 / lambd, self.shape))

    def random_(self, *bounds: int, to: int | None = None, generator: Any = None) -> Tensor:
        """Fill with integers drawn uniformly in place, in this tensor's dtype (see
        `uniform_`): `random_(to)` from 0, ..., to - 1, `random_(from, to)` from from, ...,
        to - 1, as PyTorch's; `random_()` from 0 to the largest number the dtype holds (for
        floating dtypes the largest integer up to which all are exact, 2**24 in float32).

        >>> from autograd import manual_seed, zeros
        >>> manual_seed(0); dice = zeros(6000, dtype=np.int64).random_(1, 7)
        >>> sorted(set(dice.tolist()))
        [1, 2, 3, 4, 5, 6]
        """
        if len(bounds) > 2 or (len(bounds) == 2 and to is not None):
            raise TypeError(f"random_: takes random_(to) or random_(from, to), got "
                            f"{bounds + ((to,) if to is not None else ())}")
        if len(bounds) == 2:
            low, high = bounds
        elif len(bounds) == 1:
            low, high = (0, bounds[0]) if to is None else (bounds[0], to)
        else:
            low, high = 0, to
        from .creation import _exact_integers, _whole_numbers
        dtype = self.data.dtype
        least, most = _whole_numbers(dtype)
        if high is None:                # unbounded: a floating dtype's integers held exactly
            high = (_exact_integers(dtype) if dtype.kind == "f" else most) + 1
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_))
                   for n in (low, high)):
            raise TypeError(f"random_: from and to must be ints, got from={low!r}, to={high!r}")
        if not low < high:
            raise ValueError(f"random_: needs from < to (to is left out), got from={low}, "
                             f"to={high}")
        if not least <= low <= high - 1 <= most:
            raise ValueError(f"random_: from={low} to to - 1={high - 1} does not fit in "
                             f"{dtype} (from {least} to {most})")
        kind = dtype if dtype.kind in "iu" else np.int64
        return self._fill_random_("random_", generator, lambda r: r.integers(
            low, high - 1, self.shape, dtype=kind, endpoint=True), floating=False)

    def _fill_random_(self, name: str, generator: Any, draw: Any,
                      floating: bool = True) -> Tensor:
        if floating and self.data.dtype.kind != "f":
            raise TypeError(f"{name}: draws fractions, and this tensor's dtype is "
                            f"{self.data.dtype}; use a floating tensor (as PyTorch asks)")
        from .random import chosen_generator
        rng = chosen_generator(name, generator)
        recorded = graph.grad_mode.enabled and self._fn is not None and self._fn is not Leaf
        if not recorded:
            self._check_writable(name, "make a new tensor (autograd.rand, autograd.randn)")
        with np.errstate(over="ignore"):    # normal_(0, 1e6) in float16: inf, as PyTorch's
            numbers = draw(rng).astype(self.data.dtype, copy=False)
        if recorded:            # an op's result in a graph: the draws, recorded (see fill_)
            return self._write_in_graph(Tensor(numbers), name, "a new tensor")
        return self._in_place(_put, name, None, numbers, "a new tensor")

    def _arithmetic_(self, ufunc: Any, name: str, other: Any, alpha: Any,
                     instead: str) -> Tensor:
        """add_, sub_, mul_ and div_ (and index_add_, scatter_add_, which add): `_in_place`
        once the tensor may be written (a parameter under no_grad(), a constant). An op's
        result in a graph becomes the recorded `t + x`, the same object; given an operand in a
        graph, a constant joins the graph as with `+=` (`c.add_(w)` makes c itself c + w), and
        once it has joined, later calls record on it again: message passing's sum,
        `torch.zeros(n, d).index_add_(0, dst, msg)`, passes msg its gradient, as in PyTorch."""
        if alpha != 1:
            instead = instead.replace(" x", " alpha * x")
        fn = self._fn
        if graph.grad_mode.enabled and fn is not Leaf and (
                fn is not None or (isinstance(other, Node) and other._fn is not None)):
            # recorded: an op's result in a graph, or a constant given an operand in one (see
            # add_); a parameter, and anything under no_grad(), takes the path below
            operand = other if alpha == 1 else (
                other * alpha if isinstance(other, Node) else np.multiply(other, alpha))
            return self._write_in_graph(_OPERATORS[ufunc](self, operand), name, instead)
        self._check_writable(name, f"write {instead} for a new tensor")
        if isinstance(other, Node):
            other = other.data
        if alpha != 1:
            other = np.multiply(other, alpha)
        return self._in_place(ufunc, name, None, other, instead)

    @staticmethod
    def _refuse_graph_operand(name: str, other: Any, instead: str) -> None:
        """An in-place method's operand that is in a graph would get no gradient: refused."""
        if isinstance(other, Node) and other._fn is not None and graph.grad_mode.enabled:
            raise RuntimeError(f"{name}: the operand {other._history()}, and this tensor, "
                               f"changed in place, would not pass it a gradient: write "
                               f"{instead} (a new tensor in the graph), or use "
                               f"x.detach() if no gradient should reach it")

    # -- t[index] = value ----------------------------------------------------------------------

    def __setitem__(self, index: Any, value: Any) -> None:
        """Write `value` into this tensor at `index`, in its own array (so its views see it), as
        numpy does: counting bigrams (`N[ix1, ix2] += 1`), filling a gradient by hand
        (`d[range(n), y] = -1 / n`). While recording, a write that a graph must know of is
        recorded as PyTorch records it: into an op's result, or of a value in a graph into a
        constant, the tensor becomes `index_put(its old numbers, value)`, so the gradient
        reaches the value (g[index]) and the old numbers (g, 0 where written); an op that
        used the tensor before the write cannot backpropagate afterwards (it used the old
        numbers). Into a view an op made of a constant's numbers (v = x[:2]), such a write is
        recorded on the constant x, and v is x[:2] again, as PyTorch's views follow their base.
        A tensor that wants a gradient (a parameter) takes numbers only under no_grad(), as in
        PyTorch.

        >>> N = Tensor([[0, 0], [0, 0]])
        >>> N[0, 1] += 1; N[1] = 5
        >>> N.tolist()
        [[0, 1], [5, 5]]
        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> y = Tensor([0.0, 0.0, 0.0])
        >>> y[1:] = w * 3                       # y is index_put(zeros, w * 3)
        >>> y.sum().backward(); y.op, w.grad
        ('index_put', array([3., 3.], dtype=float32))
        """
        index = _raw_index(index)
        if value is None:                           # numpy would write NaN
            raise TypeError(f"setitem: t[index] = None on a tensor of shape {self.shape}; the "
                            f"value must be numbers (a number, an array or a Tensor)")
        if graph.grad_mode.enabled and self._fn is not Leaf:
            in_graph = isinstance(value, Node) and value._fn is not None
            if in_graph and not isinstance(value, Tensor):
                raise TypeError(f"setitem: {_MIXED_ENGINES}")
            if in_graph or self._fn is not None:    # (a parameter is refused below)
                if not _shows_same_places(self, index, value):
                    self._record_setitem(index, value)
                return
        self._check_writable("t[...] = ...", "write into a copy (u = t.detach().clone()) or "
                                              "build the tensor with where()")
        self._refuse_read_only("t[...] = value")
        new = value.data if isinstance(value, Node) else value
        if new.__class__ is float and not -65504.0 <= new <= 65504.0:   # (float16's range:
            _refuse_overflowing_number("setitem", new, self.data.dtype)  # any float holds it)
        try:
            if self.data.dtype.kind in "iu":
                _refuse_integer_out_of_range(new, self.data.dtype)
            self.data[index] = new
        except IndexError as error:
            raise IndexError(f"setitem: {error} (tensor of shape {self.shape})") from None
        except (ValueError, TypeError, OverflowError) as error:
            raise _setitem_error(self, index, new, error) from None
        self._changed_in_place()

    def _record_setitem(self, index: Any, value: Any) -> None:
        """`self[index] = value` recorded (PyTorch's CopySlices): self, the same object, becomes
        the node index_put(old, value), where `old` is a new node with a copy of self's numbers
        and the history self had (its op's backward may read its output: softmax's does)."""
        self._refuse_read_only("t[...] = value")
        if self.data.dtype.kind != "f":         # (an op's result in a graph is floating)
            raise TypeError(f"setitem: the value {value._history()}, and a tensor of dtype "
                            f"{self.data.dtype} cannot take it into a graph: make the tensor "
                            f"floating first (t = t.float()), or write value.detach() for the "
                            f"numbers only")
        if _write_through_base(self, index, value):     # a view of a constant's numbers
            return
        self._refuse_shared_numbers()
        if not isinstance(value, Tensor):
            raw = value.data if isinstance(value, Node) else value
            try:
                value = Tensor(np.asarray(raw, dtype=self.data.dtype))
            except (ValueError, TypeError) as error:
                raise _setitem_error(self, index, raw, error) from None
        kept = self._kept_places(index)
        old = Tensor(self.data.copy())
        _take_history(old, self)
        if value is self:                           # t[...] = t: the old numbers
            value = old
        try:
            node = apply(IndexPut, (old, value), (index, kept))
        except IndexError as error:
            raise IndexError(f"setitem: {error} (tensor of shape {self.shape})") from None
        except (ValueError, TypeError) as error:
            raise _setitem_error(self, index, value.data, error) from None
        _use_old_numbers(value, self, old)
        np.copyto(self.data, node.data, where=~kept)
        move_hooks(self, old)
        _take_history(self, node)
        self.grad = None
        self._changed_in_place()
        _note_written_in_place(self)
        _update_views(self, _memory_owner(self.data))

    def _kept_places(self, index: Any) -> np.ndarray:
        """The bool mask of the places `self[index] = ...` leaves alone; an integer-array index
        naming a place twice is refused (of the values written there only the last would stay,
        so which one gets the gradient would be arbitrary)."""
        written = np.zeros(self.shape, dtype=bool)
        try:
            written[index] = True
            named = written[index].size
        except IndexError as error:
            raise IndexError(f"setitem: {error} (tensor of shape {self.shape})") from None
        except (ValueError, TypeError) as error:        # a slice's step of 0
            raise type(error)(f"setitem: {error} (tensor of shape {self.shape})") from None
        if named != np.count_nonzero(written):
            raise ValueError(
                f"setitem: the index names some places of the tensor (shape {self.shape}) more "
                f"than once; of the values written there only the last would stay, so the "
                f"gradient could not tell which one counts. To add the values up, use "
                f"t.index_add(dim, index, values) or t.scatter_add(dim, index, src) "
                f"(differentiable); or write the numbers under no_grad() (no gradient)")
        return ~written

    def _refuse_shared_numbers(self) -> None:
        """A recorded write must change this tensor alone: refused if its numbers are a view of
        another tensor's (x[0], x.T, x.view(...)), which would change without a gradient."""
        if self._fn is None:
            # a constant's view that an op did not make (an array reshaped before Tensor()
            # took it; an op's are written through their base) does not say whose numbers it
            # shows, so any view is taken to be another's; but
            # x.detach() stands for x's numbers themselves, as in PyTorch, which writes them
            shared = self.data.base is not None and getattr(self, "_a", None) is not DETACHED
        else:                                       # an op's result: a view of an input's
            owner = _memory_owner(self.data)
            shared = any(_memory_owner(x.data) is owner for x in self.parents)
        if shared:
            raise RuntimeError(
                f"setitem: this tensor (shape {self.shape}) is a view of another tensor's "
                f"numbers (x[0], x.T, x.view(...)), and writing a value in a graph into it "
                f"would change that tensor with no gradient recorded for it; write into a copy "
                f"(t = t.clone()) or into the other tensor itself")


# The write clock's count at the last in-place write into each array that owns its memory, by
# the array's id. A view (x[0], x.T, x.detach()) is another Tensor over the same numbers, so a
# write through it changes what an op that used x would read (PyTorch's views share one version
# counter for this). An entry goes when its array is freed: by the callback of a weak reference
# to the array, kept in `_memory_watch` (weakref.finalize did the same at 7 µs a new array, most
# of a recorded in-place activation's cost; a weak reference with a callback costs ~0.3 µs).
_memory_writes: dict[int, int] = {}
_memory_watch: dict[int, weakref.ref] = {}


def _forget_memory(key: int) -> None:
    _memory_writes.pop(key, None)
    _memory_watch.pop(key, None)


def _memory_owner(data: Any) -> Any:
    """The array that owns the memory `data` views (`data` itself, if it owns it)."""
    while isinstance(getattr(data, "base", None), np.ndarray):
        data = data.base
    return data


def _note_memory_write(data: Any) -> None:
    """Note that `data`'s numbers (and so those of every view of its memory) just changed."""
    if not isinstance(data, np.ndarray):        # a numpy scalar: nothing else shares it
        return
    owner = data if data.base is None else _memory_owner(data)
    key = id(owner)
    if key not in _memory_writes:
        # (the callback runs as the array goes, before Python can give its id to another)
        _memory_watch[key] = weakref.ref(owner, lambda _, key=key: _forget_memory(key))
    _memory_writes[key] = write_clock.count


# The numpy bridge: a constant whose array numpy code holds on purpose, handed out by `t.numpy()`
# or taken in by `from_numpy` / `as_tensor`, writes its in-place changes into that array, as
# PyTorch's does (`n = t.numpy(); t.add_(1)` changes n); any other constant takes new numbers,
# so that an array given to `Tensor(array)` (a data set) does not change. The mark is the
# tensor's own (its slot `_numpy_shares`, a weak reference to the array it handed out), not the
# array's: another Tensor(array) over the same array, made before or after, still takes new
# numbers, and the mark lapses when the tensor takes other numbers (t.data = ..., t += w).


def share_with_numpy(t: Tensor) -> np.ndarray:
    """Note that numpy code holds `t`'s array (see above), and so the array of each tensor `t`
    is a view of over the same memory (`t.detach().numpy()`, `t[0].numpy()`: the base's changes
    show in it too, as in PyTorch); returns t's array."""
    data = t.data
    memory = _memory_owner(data)
    while t is not None:
        t._numpy_shares = weakref.ref(t.data)
        link = _view_link(t)
        t = link[0] if link is not None and _memory_owner(link[0].data) is memory else None
    return data


def _shared_with_numpy(t: Tensor) -> bool:
    """True if `t`'s array, writable, is one `share_with_numpy` noted for `t`: written into."""
    try:
        return t._numpy_shares() is t.data and t.data.flags.writeable
    except AttributeError:
        return False


def _last_memory_write(data: np.ndarray) -> int:
    """The write clock's count at the last noted write into `data`'s memory (-1: none)."""
    return _memory_writes.get(id(_memory_owner(data)), -1)


# A constant's views: what an op made of a constant's own numbers (x[0], x[:2], x.T,
# x.view(3, 4)) is a constant too, with no input kept, yet PyTorch's views follow their base:
# they see its new numbers, and when a value in a graph is written into the base (x[0] = w,
# x += w), or into the view itself, the gradient reaches w through either. So such a view keeps,
# in its slot `_view_of`, its base and the op that made it, to be made again from the base after
# a change (`_update_views`) and to tell the base's places it shows (`_write_through_base`); the
# base lists its views in its slot `_views`, weakly (a batch x[i:i + 32] of a dataset goes when
# the loop drops it). So is x.detach() of a constant x (its op None: x's numbers, no history),
# and, once a constant has joined a graph by a write (x += w, x[0] = w) and stays the same object,
# a view an op makes of it in the graph, and of that view (graph.written_in_place).
# What keeps this right: a view holds its base (strongly, as a PyTorch view keeps its base), so
# a base outlives its views; a view's entry in `_views` is a weak reference whose callback
# removes it as the view goes (each view is noted once, when it is made: two live references
# to one tensor, as keys, would compare its numbers); both records live on the tensors
# themselves, so they go with them; an id in graph.written_in_place goes by a finalizer, before
# Python can give it to a new object. A view of a view
# is listed under the view it was made from; a training loop that takes a batch X[i:i + 32] of a
# constant X each step keeps one entry, the live batch's. Making a view is on every step's path,
# so noting one costs a weak reference and two stores; the work is done when a base changes.
_new_list_lock = threading.Lock()       # (two threads taking a base's first views keep one list)


def _note_constant_view(view: Tensor, source: Tensor, op: Any, ctx: Any) -> None:
    """Remember `view`, op(source, ctx), if it shows the constant source's own memory (graph's
    make_node calls this for a constant whose array is a view, and for a view in a graph of a
    node in `graph.written_in_place`); op None stands for source.detach()."""
    if source._fn is not None and id(source) not in graph.written_in_place:
        return
    shown, numbers = view.data.base, source.data        # (the usual view: of source's array,
    if shown is not numbers and shown is not numbers.base and (   # or of the one it views)
            _memory_owner(shown) is not _memory_owner(numbers)):
        return
    if not view.data.flags.writeable:                   # expand's: many places, one number
        return
    try:
        views = source._views
    except AttributeError:                              # its first view
        with _new_list_lock:
            try:
                views = source._views
            except AttributeError:
                views = source._views = {}
    views[weakref.ref(view, views.pop)] = None          # (the callback drops the entry)
    view._view_of = (source, op, ctx)
    if view._fn is not None:                            # x[:2] of an x in a graph: its own
        _note_written_in_place(view)                    # views follow it too (x[:2][0])


def _operand_in_graph(args: tuple, kwargs: dict) -> bool:
    """True if an argument (or an item of a tuple or list argument: index_put_'s values) is a
    tensor that a gradient reaches."""
    for value in (*args, *kwargs.values()):
        items = value if isinstance(value, (tuple, list)) else (value,)
        if any(isinstance(v, Node) and v._fn is not None for v in items):
            return True
    return False


# the Tensor operator behind each ufunc of _arithmetic_ (t.add_(x) records t + x, ...)
_OPERATORS = {np.add: lambda t, x: t + x, np.subtract: lambda t, x: t - x,
              np.multiply: lambda t, x: t * x, np.divide: lambda t, x: t / x}


def _note_written_in_place(t: Tensor) -> None:
    """`t`, in a graph, was written in place and stays the same object (a constant that
    joined a graph by x += w or x[0] = w): the views ops make of it from now on follow it too,
    as PyTorch's do (`v = x[:2]; x += 1` changes v)."""
    key = id(t)
    if key not in graph.written_in_place:
        graph.written_in_place.add(key)
        weakref.finalize(t, graph.written_in_place.discard, key)   # (before the id is reused)


def _views_of(base: Tensor) -> Any:
    """The weak references to the views remembered of `base` (see above); empty if none."""
    # (getattr's default: an unset slot is the usual case, where try/except cost ~1.5 µs)
    return getattr(base, "_views", ())


def _view_link(view: Tensor) -> tuple | None:
    """(base, op, ctx) if `view` is a remembered view of a constant's numbers, else None."""
    return getattr(view, "_view_of", None)


def _update_views(base: Tensor, memory: Any) -> None:
    """After `base` changed in place (new numbers, or a new history in a graph): its views that
    still show `memory` (base's array before the change) are made again by their ops from base,
    so they show its numbers and, if it is in a graph now, pass their gradient to it; then their
    own views, in turn."""
    for ref in list(_views_of(base)):
        view = ref()
        if view is None or _memory_owner(view.data) is not memory:
            continue                    # (changed since: `_use_old_numbers` gave it a copy)
        link = _view_link(view)
        if link is None or link[0] is not base:
            continue                    # (a list copy.deepcopy shared with another tensor)
        if link[1] is None:             # base.detach(): its numbers, and still no history
            view.data = base.data.view()
            view._written_at = write_clock.count
            _update_views(view, memory)
            continue
        again = apply(link[1], (base,), link[2])
        view.data = again.data
        _take_history(view, again)
        view.grad = None
        _update_views(view, memory)


def _write_through_base(view: Tensor, index: Any, value: Any) -> bool:
    """`view[index] = value` for a view of a constant's numbers, written into the base as
    PyTorch writes it (the base becomes index_put(its old numbers, value) at the places the view
    shows, and the view that op's view again); False if `view` is no such view."""
    link = _view_link(view)
    if link is None:
        return False
    base, op, ctx = link
    if op is None or _memory_owner(view.data) is not _memory_owner(base.data):
        return False                    # (x.detach() is a tensor of its own in a graph)
    with graph.no_grad():                   # which of base's places the view shows, by number
        places = apply(op, (Tensor(np.arange(base.data.size).reshape(base.shape)),), ctx).data
    if places.dtype.kind not in "iu" or places.shape != view.shape:
        return False                    # (not a view that moves places: a cast, say)
    try:
        written = places[index]
    except IndexError as error:
        raise IndexError(f"setitem: {error} (tensor of shape {view.shape})") from None
    base[np.unravel_index(written, base.shape)] = value
    return True


def _shows_same_places(t: Tensor, index: Any, value: Any) -> bool:
    """True if `value` is a view of `t` showing exactly t[index] (`x[:2] += w` ends with
    `x[:2] = v`, v being x[:2] that += changed): that write has nothing left to do."""
    link = _view_link(value)
    if link is None or link[1] is None or not isinstance(index, (slice, int, tuple,
                                                                  type(Ellipsis))):
        return False
    try:                                # (with `...`, numpy gives x[0] of a 1-d x as a view)
        target = t.data[(*index, ...) if isinstance(index, tuple) else (index, ...)]
    except (IndexError, ValueError, TypeError):
        return False
    shown = value.data
    return (link[0] is t and isinstance(target, np.ndarray)
            and target.__array_interface__["data"][0] == shown.__array_interface__["data"][0]
            and target.shape == shown.shape and target.strides == shown.strides)


def _take_history(node: Tensor, source: Tensor) -> None:
    """Make `node` stand where `source` stands in a graph: its op, inputs and write stamp.

    `t[i] = v` must keep `t` the same object (every name for it, and its views, see the
    write), yet `t` then is a new node of the graph, and its old history moves to another
    object: graph.apply makes the nodes, this moves what they hold between objects."""
    node._fn = source._fn
    for slot in ("_a", "_b"):                   # (set only when there is something to hold)
        try:
            setattr(node, slot, getattr(source, slot))
        except AttributeError:
            try:
                delattr(node, slot)
            except AttributeError:
                pass
    node._written_at = source._written_at


def _use_old_numbers(value: Tensor, t: Tensor, old: Tensor) -> None:
    """The ops behind `value` that used `t` used its numbers before the write (`x[i] += v` is
    x[i] = x[i] + v): they are given `old` as their input instead. Without that, `t`, which is
    about to become index_put(old, value), would be an input of its own input. A tensor among
    them that is a view of t's numbers (x[i] for an int i, an op's result or a constant) keeps
    the numbers it had, which the ops after it read, in a copy. The walk does not go past `t`,
    nor past `old`, which holds t's history: the graph before the write (walked, it made
    each in-place ReLU of a deep net cost the whole net's nodes)."""
    seen, stack = {id(value), id(t), id(old)}, [value]
    memory = _memory_owner(t.data)
    while stack:
        node = stack.pop()
        if _memory_owner(node.data) is memory:      # (a constant's x[i] too: `x[i] *= v`)
            node.data = node.data.copy()
        if node.is_leaf:
            continue
        a = node._a
        if a.__class__ is tuple:
            if any(x is t for x in a):
                node._a = tuple(old if x is t else x for x in a)
        else:
            if a is t:
                node._a = old
            if node._b is t:
                node._b = old
        for x in node.parents:
            if id(x) not in seen:
                seen.add(id(x))
                stack.append(x)


def _refuse_overflowing_number(name: str, number: float, dtype: np.dtype) -> None:
    """A finite Python float that `dtype` cannot hold (1e300 into float32) is an error, as in
    PyTorch, where numpy would store inf with a RuntimeWarning."""
    if dtype.kind != "f":
        return
    with np.errstate(over="ignore"):
        if math.isinf(dtype.type(number)) and math.isfinite(number):
            raise ValueError(f"{name}: {number!r} is beyond {dtype}'s range "
                             f"(±{np.finfo(dtype).max:.4g})")


def _setitem_error(x: Tensor, index: Any, value: Any, error: Exception) -> Exception:
    """The error of `x[index] = value` that numpy refused with `error` (a ValueError, a
    TypeError or an OverflowError), naming what was wrong: the index, the value's shape, or
    its numbers."""
    try:
        target = x.data[index].shape
    except (IndexError, ValueError):                # the index itself (a slice's step of 0)
        return type(error)(f"setitem: {error} (tensor of shape {x.shape})")
    given = np.shape(value)
    # numpy drops a value's leading axes of size 1, then broadcasts it to the picked part
    core = given[next((i for i, n in enumerate(given) if n != 1), len(given)):]
    if not broadcasts_to(core, target):
        return ValueError(f"setitem: t[index] = value on a tensor of shape {x.shape}: the "
                          f"index picks a part of shape {target}, and a value of shape {given} "
                          f"does not broadcast to it")
    what = repr(value) if np.ndim(value) == 0 else f"values of shape {given}"
    return type(error)(f"setitem: cannot write {what} into a tensor of dtype {x.data.dtype} "
                       f"({error})")


# ufunc-like writers for `Tensor._in_place` (called as ufunc(data, value) for new numbers, or
# with out=data to write into a parameter's own array)
def _put(data: np.ndarray, numbers: np.ndarray, out: Any = None, casting: str = "same_kind"
         ) -> np.ndarray:
    """`numbers` in place of `data` (fill_, uniform_, normal_: numbers of data's shape and
    dtype, made for the purpose, so they are used as they are)."""
    if out is None:
        # (0-d integer numbers reach here as a Python int, `_in_place`'s rule for operands:
        # back to data's dtype, or a 0-d uint8 buffer's `fill_(1)` would be int64, refused)
        return np.asarray(numbers, data.dtype) if isinstance(numbers, int) else numbers
    np.copyto(out, numbers, casting=casting)
    return out


def _lerp(data: np.ndarray, end_weight: tuple, out: Any = None, casting: str = "same_kind"
          ) -> np.ndarray:
    """Tensor.lerp's numbers, by its formula from either end (start + w (end - start) where
    |w| < 0.5, end - (end - start)(1 - w) otherwise), with end and weight as one argument
    (lerp_). Computed here on the arrays: an EMA calls it for every weight at every step, and
    a Tensor op per call cost 15 µs where this costs 4."""
    end, weight = end_weight
    difference = np.subtract(end, data)
    if weight.__class__ is float or isinstance(weight, numbers.Real):
        if out is not None:
            # into `out` (the tensor's own numbers) without the copy of a result: the same
            # operations in the same order, so the same numbers
            if abs(weight) < 0.5:
                difference *= weight
                return np.add(data, difference, out=out, casting=casting)
            difference *= 1 - weight
            return np.subtract(end, difference, out=out, casting=casting)
        result = data + weight * difference if abs(weight) < 0.5 else \
            end - difference * (1 - weight)
    else:
        result = np.where(np.abs(weight) < 0.5, data + weight * difference,
                          end - difference * (1 - weight))
    if out is None:
        return result
    np.copyto(out, result, casting=casting)
    return out


#: Python's number types that clamp_ takes as bounds without `_bounds`' conversions (bool,
#: whose class is not int's, is converted there)
_PLAIN_NUMBERS = (float, int)
#: numpy's clip ufunc, which np.clip (and ndarray.clip) reach after Python of their own that
#: cost 8 µs of a 14 µs clamp_ of a 16 × 16 tensor (numpy/_core/_methods.py); np.clip where
#: a numpy hides it elsewhere
_CLIP_UFUNC = getattr(getattr(np._core if hasattr(np, "_core") else np.core, "umath", None),
                      "clip", None)
if not isinstance(_CLIP_UFUNC, np.ufunc):
    _CLIP_UFUNC = None


def _clip(data: np.ndarray, bounds: tuple, out: Any = None, casting: str = "same_kind"
          ) -> np.ndarray:
    """np.clip with the bounds as one argument (clamp_): its numbers, with numpy 2 to the sign
    of a zero too (x is kept where it equals a bound, as in PyTorch; numpy 1.24's clip, ufunc
    and function alike, makes clamp_(0, 1) of -0.0 +0.0). np.clip takes one bound by
    np.maximum or np.minimum, and two by its ufunc, which this calls directly."""
    low, high = bounds
    if low is None or high is None or _CLIP_UFUNC is None:
        return np.clip(data, low, high, out=out, casting=casting)
    return _CLIP_UFUNC(data, low, high, out=out, casting=casting)
