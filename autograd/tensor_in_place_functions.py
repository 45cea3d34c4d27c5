"""PyTorch's in-place forms of the ops glassgrad has, mixed into `Tensor` (autograd/tensor.py):
`t.exp_()`, `t.relu_()`, `t.sigmoid_()`, `t.addmm_(a, b)`, `t.unsqueeze_(0)`, ...
Each is `t.<op>(...)` written into `t` itself, which it returns, by one method,
`_apply_in_place`, under the rules of the other in-place methods (autograd/tensor_in_place.py,
`Tensor._in_place` in autograd/tensor.py):

- a tensor that requires grad (a parameter) is written only under no_grad(), as in PyTorch;
- a constant, or a parameter under no_grad(), takes the op's numbers (the op runs unrecorded);
  a constant given an operand in a graph joins the graph, as with `t += w`;
- an op's result in a graph becomes the op's result, the same object, as PyTorch records it:
  `h = fc(x); h.relu_()` is h = relu(h), and the gradient goes through relu to fc; an op that
  used h before the write cannot backpropagate afterwards (it used the old numbers), and says
  so; one whose numbers are a view of another tensor's (x[0], x.T) is refused, as that tensor
  would change with no gradient recorded;
- the result must keep the tensor's shape, and a dtype it can hold (exp_ of integers is
  refused, as in PyTorch); the shape ops (unsqueeze_, t_, transpose_, ...) change its shape.

Also here: detach_, apply_ and map_ (a Python function of each element), and the random fills
geometric_, cauchy_ and log_normal_ (uniform_, normal_, ... are in tensor_in_place.py).

>>> from autograd import Tensor
>>> t = Tensor([1.0, 4.0])
>>> t.sqrt_() is t, t.tolist()
(True, [1.0, 2.0])
"""

from __future__ import annotations

import numbers
import sys
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import graph
from .graph import CUT, Leaf, Node
from .hooks import move_hooks
from .tensor_functions import where
from .tensor_in_place import (
    _memory_owner, _operand_in_graph, _put, _shared_with_numpy, _take_history,
    _use_old_numbers, _view_link, _views_of, share_with_numpy,
)

if TYPE_CHECKING:
    from .tensor import Tensor
# `Tensor`, a global here as in tensor.py, is put into this module by autograd/tensor.py once
# the class exists (tensor.py imports this module to make it, so it cannot be imported back)

#: the ops whose PyTorch in-place form `t.<op>_(...)` is made here (add_, clamp_, addcmul_,
#: ... are written out in tensor_in_place.py)
IN_PLACE_FORMS = """
    abs absolute neg negative sign sgn exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square
    reciprocal sigmoid relu tanh sin cos tan asin acos atan sinh cosh asinh acosh atanh arcsin
    arccos arctan arcsinh arccosh arctanh erf erfc erfinv lgamma digamma polygamma mvlgamma i0
    sinc logit deg2rad rad2deg floor ceil round trunc fix frac nan_to_num clamp_min clamp_max
    pow float_power atan2 arctan2 hypot remainder fmod copysign heaviside nextafter xlogy
    true_divide floor_divide divide multiply subtract
    eq ne lt le gt ge greater greater_equal less less_equal not_equal
    logical_and logical_or logical_xor logical_not
    cumsum cumprod tril triu renorm
    addmm addmv addr baddbmm addbmm
    index_copy index_fill index_put put masked_scatter index_reduce
    unsqueeze squeeze t transpose swapaxes swapdims""".split()

#: those that change the shape (and so the layout), not the numbers
SHAPE_FORMS = frozenset("unsqueeze squeeze t transpose swapaxes swapdims".split())


class _Slot:
    __slots__ = ("data",)


def _references_of_a_sole_holders_array() -> int:
    """What sys.getrefcount says of an array that one object's slot alone holds, read as
    `_record_in_place` reads it (2 on CPython 3.11: the slot and the call's argument; a
    later CPython that borrows the argument's reference would say 1)."""
    holder = _Slot()
    holder.data = np.empty(1)
    return sys.getrefcount(holder.data)


#: see `_references_of_a_sole_holders_array`: more means someone else holds the array too
_SOLE_HOLDER = _references_of_a_sole_holders_array()


class InPlaceFunctionMethods:
    """The in-place forms of Tensor's ops, and a few in-place methods of PyTorch's own (see
    the module's docstring)."""

    __slots__ = ()

    def _apply_in_place(self, base: str, args: tuple, kwargs: dict) -> Tensor:
        """`self.<base>(*args, **kwargs)` written into self (PyTorch's `self.<base>_(...)`),
        under the rules in the module's docstring; returns self."""
        name = base + "_"
        instead = f"t = t.{base}(...)"
        if base == "float_power" and self.data.dtype != np.float64:
            raise TypeError(f"float_power_: the tensor is {self.data.dtype}, and float_power's "
                            f"result is float64 (as in PyTorch); t = t.double() first, or write "
                            f"{instead}")
        return self._write_result(name, lambda t: getattr(t, base)(*args, **kwargs), instead,
                                  base in SHAPE_FORMS, (args, kwargs))

    def _write_result(self, name: str, function: Callable[[Tensor], Tensor], instead: str,
                      reshaped: bool = False, operands: tuple = ((), {})) -> Tensor:
        """`function(self)` (ops on self, and on `operands`: (args, kwargs)) written into self,
        which it returns, under the rules in the module's docstring: the in-place forms, and
        PyTorch's `inplace=True` (`F.relu(h, inplace=True)`, `nn.Dropout(inplace=True)`)."""
        fn = self._fn
        if graph.grad_mode.enabled and fn is not Leaf and (
                fn is not None or _operand_in_graph(*operands)):
            return self._write_in_graph(function(self), name, instead, reshaped)
        self._check_writable(name, f"write {instead} for a new tensor")
        with graph.no_grad():
            changed = function(self)
        if reshaped:
            return self._reshaped_in_place(changed)
        return self._in_place(_put, name, None, changed.data, instead)

    def _write_in_graph(self, changed: Tensor, name: str, instead: str,
                        reshaped: bool = False) -> Tensor:
        """Self becomes `changed` (an op on self, or numbers of its own), recorded: an op's
        result in a graph by `_record_in_place`; a constant that takes in a tensor in a graph,
        or one that joined a graph by an earlier write (or a constant's view), by
        `_join_graph`, as with t += w. Also the written-out in-place methods' way into a graph
        (add_, mul_, clamp_, fill_, copy_, ...: autograd/tensor_in_place.py)."""
        fn = self._fn
        if changed._fn is None and fn is not None:
            # numbers with no gradient (a comparison's bools, fill_'s value): in the graph as
            # PyTorch keeps them, gradient 0 to the old history
            changed = where(np.ones(changed.shape, dtype=bool),
                            changed.astype(self.data.dtype), self)
        if not reshaped and (fn is None or id(self) in graph.written_in_place
                             or _view_link(self) is not None):
            return self._join_graph(changed, name, instead)
        return self._record_in_place(changed, name, instead, reshaped)

    def _record_in_place(self, changed: Tensor, name: str, instead: str, reshaped: bool
                         ) -> Tensor:
        """Self, an op's result in a graph, becomes `changed` (an op on self), the same object:
        its old history goes to a new tensor with its old numbers, which changed's ops use in
        its place; its numbers are written into its own array, so its views (t[0]) see them,
        as in PyTorch. An op that used self before cannot backpropagate after this (backward
        says so: its input was written in place)."""
        if changed.data.dtype != self.data.dtype and not np.can_cast(
                changed.data.dtype, self.data.dtype, "same_kind"):
            raise TypeError(f"{name}: the result is {changed.data.dtype}, which the tensor "
                            f"({self.data.dtype}) cannot hold; {instead} makes a new tensor")
        if not reshaped and changed.shape != self.shape:
            raise ValueError(f"{name}: the result's shape {changed.shape} is not the tensor's "
                             f"{self.shape}, which an in-place op keeps; {instead} makes a new "
                             f"tensor")
        if changed.data.dtype != self.data.dtype:
            changed = changed.astype(self.data.dtype)       # (float64 into float32: a cast)
        self._refuse_read_only(name)
        # The old numbers go with the old history, which the ops of `changed` read. Where
        # nothing else can see self's array (no view, no numpy share, no other reference:
        # the usual `F.relu(linear(x), inplace=True)`: no more references than an array held
        # by one slot alone has, _SOLE_HOLDER), self simply takes changed's new array and `old`
        # keeps the original: the same numbers everywhere as the copy below, without two
        # passes over them (a copy and the write back; ~14 µs of a (256, 256) relu_).
        handed_over = reshaped or (
            self.data.base is None and sys.getrefcount(self.data) <= _SOLE_HOLDER
            and getattr(self, "_views", None) is None
            and getattr(self, "_numpy_shares", None) is None
            # (changed is always a fresh result: an op on self, an operator's, fill_'s numbers;
            # its array too must be its own)
            and changed.data.base is None and sys.getrefcount(changed.data) <= _SOLE_HOLDER)
        owner = _memory_owner(self.data)
        for x in self.parents:                  # (a loop: a generator cost a µs more)
            if _memory_owner(x.data) is owner:
                raise RuntimeError(
                    f"{name}: this tensor (shape {self.shape}) is a view of another tensor's "
                    f"numbers in a graph (x[0], x.T, x.view(...)), and writing into it would "
                    f"change that tensor with no gradient recorded for it; write {instead} for "
                    f"a new tensor, or change a copy (t = t.clone())")
        old = Tensor(self.data if handed_over else self.data.copy())
        _take_history(old, self)
        _use_old_numbers(changed, self, old)    # (a view of self's numbers among them: copied)
        if handed_over:
            self.data = changed.data
        else:
            np.copyto(self.data, changed.data)
        move_hooks(self, old)
        _take_history(self, changed)
        self.grad = None
        self._changed_in_place()
        return self

    def _reshaped_in_place(self, changed: Tensor) -> Tensor:
        """Self (a constant, or a parameter under no_grad()) takes the shape of `changed`, a
        view of its numbers (unsqueeze_, t_, ...): the same memory, as in PyTorch. An op that
        used self before cannot backpropagate after this (its shape changed). The views of a
        constant that follow its new numbers (tensor_in_place.py) stop following: they were
        made for the old shape."""
        shared = _shared_with_numpy(self)
        _unlink_views(self)
        self.data = changed.data
        if shared:                              # (numpy code's array, which writes still reach)
            share_with_numpy(self)
        self._changed_in_place()
        return self

    def detach_(self) -> Tensor:
        """PyTorch's `t.detach_()`: t itself becomes a leaf with no history (a parameter stops
        requiring grad), its numbers and .grad as they are; truncated backpropagation through
        time detaches a recurrent state so, after its backward. A view of another tensor in a
        graph is refused, as in PyTorch. An op result that ops used before the detach_ cannot
        carry their gradients on (glassgrad's nodes are the tensors: t has no history left),
        so a backward through such an op says so, where PyTorch would still go through t's
        old history: call detach_() after the backward, or write t = t.detach().

        >>> from autograd import Tensor
        >>> h = Tensor([1.0], requires_grad=True) * 2
        >>> h.detach_() is h, h.requires_grad, h.is_leaf
        (True, False, True)
        """
        fn = self._fn
        if fn is None:
            return self
        if fn is not Leaf:
            owner = _memory_owner(self.data)
            if any(_memory_owner(x.data) is owner for x in self.parents):
                raise RuntimeError(f"detach_: this tensor (shape {self.shape}) is a view of "
                                   f"another tensor's numbers in a graph (x[0], x.T), which "
                                   f"PyTorch does not detach in place either; write "
                                   f"t = t.detach()")
        self._fn = None
        for slot in ("_a", "_b"):
            try:
                delattr(self, slot)
            except AttributeError:
                pass
        if fn is not Leaf:                  # marked, so that a backward through an op that
            self._a = CUT                   # used it before refuses (_refuse_changed_inputs)
            graph.write_clock.count += 1    # instead of stopping there without a word
            self._written_at = graph.write_clock.count
        return self

    def apply_(self, callable: Callable) -> Tensor:
        """PyTorch's `t.apply_(f)`: each element x replaced by f(x) (a Python number in, one
        out, cast to t's dtype), in place; slow (a Python call per element), and not for a
        tensor in a graph, as in PyTorch.

        >>> Tensor([1.0, 2.0]).apply_(lambda x: x * 10).tolist()
        [10.0, 20.0]
        """
        return self._per_element("apply_", callable, ())

    def map_(self, tensor: Any, callable: Callable) -> Tensor:
        """PyTorch's `t.map_(u, f)`: each element x replaced by f(x, y), y u's element there
        (u broadcast to t's shape), in place (see `apply_`).

        >>> Tensor([1.0, 2.0]).map_(Tensor([10.0]), lambda x, y: x + y).tolist()
        [11.0, 12.0]
        """
        other = np.asarray(tensor.data if isinstance(tensor, Node) else tensor)
        try:
            other = np.broadcast_to(other, self.shape)
        except ValueError:
            raise ValueError(f"map_: the tensor of shape {other.shape} does not broadcast to "
                             f"this tensor's shape {self.shape}") from None
        return self._per_element("map_", callable, (other,))

    def _per_element(self, name: str, function: Callable, others: tuple) -> Tensor:
        if not callable(function):
            raise TypeError(f"{name}: takes a function, got {type(function).__name__}")
        if self._fn is not None and graph.grad_mode.enabled:
            raise RuntimeError(f"{name}: this tensor {self._history()}, and {name} is not "
                               f"recorded (as in PyTorch); call it on t.detach()")
        self._check_writable(name, "write a new tensor")
        columns = [self.data.reshape(-1).tolist()] + [o.reshape(-1).tolist() for o in others]
        values = [function(*items) for items in zip(*columns)]
        try:
            numbers_ = np.array(values, dtype=self.data.dtype).reshape(self.shape)
        except (TypeError, ValueError, OverflowError) as error:
            raise TypeError(f"{name}: the function must give numbers for a {self.data.dtype} "
                            f"tensor ({error})") from None
        return self._in_place(_put, name, None, numbers_, "a new tensor")

    # -- random fills (uniform_, normal_, bernoulli_, exponential_, random_: tensor_in_place.py)

    def geometric_(self, p: float, *, generator: Any = None) -> Tensor:
        """Fill with draws from the geometric distribution in place: the number of trials up
        to the first success, each a success with probability p (1, 2, ...), in any dtype
        (see `uniform_`). Returns self.

        >>> from autograd import manual_seed, zeros
        >>> manual_seed(0); trials = zeros(100000).geometric_(0.25)
        >>> round(float(trials.mean()))
        4
        """
        if not isinstance(p, numbers.Real) or not 0 < p < 1:
            raise ValueError(f"geometric_: p must be in (0, 1), got {p!r}")
        return self._fill_random_("geometric_", generator,
                                  lambda r: r.geometric(p, self.shape), floating=False)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *,
                generator: Any = None) -> Tensor:
        """Fill with draws from the Cauchy distribution (location `median`, scale `sigma`) in
        place, floating tensors only (see `uniform_`). Returns self."""
        if not isinstance(sigma, numbers.Real) or not sigma > 0:
            raise ValueError(f"cauchy_: sigma must be > 0, got {sigma!r}")
        return self._fill_random_("cauchy_", generator,
                                  lambda r: median + sigma * r.standard_cauchy(self.shape))

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *,
                    generator: Any = None) -> Tensor:
        """Fill with draws exp(N(mean, std²)) in place (the log of each is normal; PyTorch's
        defaults mean=1, std=2), floating tensors only (see `uniform_`). Returns self."""
        if not isinstance(std, numbers.Real) or not std > 0:
            raise ValueError(f"log_normal_: std must be > 0, got {std!r}")
        return self._fill_random_("log_normal_", generator,
                                  lambda r: r.lognormal(mean, std, self.shape))


def _unlink_views(t: Tensor) -> None:
    """`t`'s records as a view of a constant's numbers, and of the views made of it, dropped
    (see `_reshaped_in_place`): they would be made again for a shape that is gone."""
    link = _view_link(t)
    if link is not None:
        views = _views_of(link[0])
        for ref in [r for r in views if r() is t]:
            views.pop(ref, None)
        del t._view_of
    views = _views_of(t)
    for ref in list(views):
        view = ref()
        if view is not None and (_view_link(view) or (None,))[0] is t:
            del view._view_of
        views.pop(ref, None)


def _in_place_form(base: str) -> Callable:
    """The method `<base>_`: `_apply_in_place` of `<base>`."""
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return self._apply_in_place(base, args, kwargs)
    method.__name__ = method.__qualname__ = base + "_"
    method.__doc__ = (f"PyTorch's `t.{base}_(...)`: `t.{base}(...)` written into t itself, "
                      f"which it returns (autograd/tensor_in_place_functions.py says the "
                      f"rules).")
    return method


for _base in IN_PLACE_FORMS:
    setattr(InPlaceFunctionMethods, _base + "_", _in_place_form(_base))
