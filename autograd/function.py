"""`Function`: write your own differentiable op, in the form the built-in ops use (an `Op`).

Subclass it with `forward(ctx, *inputs)` on raw numbers/arrays and `backward(ctx, g, out,
*inputs)` returning one gradient per input (None for an input without one), both static (the
decorator may be left out: plain functions are made static); call `.apply(...)`, not the class.
`ctx` is the object you pass as `apply(..., ctx=...)` (None if you pass none), and forward and
backward receive the same one. Backward also receives the output and the inputs, so most
Functions need nothing else (glassgrad has no `save_for_backward`). A setting such as an axis
goes in ctx; so can what forward works out and backward needs, as in the built-in ops (max
pooling keeps where each window's maximum was, cross_entropy its softmax): pass a fresh mutable
object per call, a `types.SimpleNamespace()` or a small class, and set attributes on it in
forward (see the second example). Something kept that way is a constant to a higher-order
gradient: the built-in ops recompute it from the inputs when backward is called with nodes.
The arrays both receive are the graph's own (a leaf's data, another node's gradient), so they
are read-only: compute new ones (forward may return an input as it is, as a gradient reversal
layer does: the result gets its own copy). A float or an array among the inputs is a constant
of the graph (a float of the Tensor inputs' dtype, as in `x * 0.1`); None, a bool, an int, a
string or any other object is given to forward and backward as it is, as PyTorch does (an
optional bias of None, a flag, an axis), and backward returns None for it. A Function has one
output: forward returns one number (Value inputs) or one array (Tensor inputs); an integer or
boolean result wants no gradient, as in PyTorch. Each gradient is of its input's kind: a number
for a Value, an array of its shape for a Tensor. Backward also serves higher-order gradients
if it is written with operators (`*`, `@`, `**`) and the methods arrays and Tensors share
(`.sum()`, `.reshape()`, indexing): the first-order pass calls it with numpy arrays (floats
for Values), the higher-order pass with Tensors (Values). `x.exp()` exists only on the nodes
(a Tensor or a Value, not an array or a float) and `np.exp(x)` takes only the raw numbers:
write such a slope from `out` where it can be (e^x's is `out`), or with
`autograd.ops.payload_math`'s exp, sin, cos, tanh, log and sqrt, which take either. One ctx
object serves one call: a ctx that forward writes into, passed to two calls, would hold the
second call's values for both, so the second call is refused while the first's result (a
Tensor) is alive. Backward leaves its ctx as forward left it (graphs are kept, so the same
backward may run again and would read what it changed): a change is refused.

>>> import numpy as np
>>> from autograd import Function, Tensor
>>> class Cube(Function):
...     '''x³;  d/dx = 3x²'''
...     @staticmethod
...     def forward(ctx, x):
...         return x ** 3
...     @staticmethod
...     def backward(ctx, g, out, x):
...         return (g * 3 * x * x,)
>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> Cube.apply(x).sum().backward()
>>> x.grad
array([ 3., 12.], dtype=float32)

Forward keeping something for backward on a ctx it is given:

>>> from types import SimpleNamespace
>>> class Largest(Function):
...     '''max x;  d/dx = 1 at the first maximum (found by forward), 0 elsewhere'''
...     def forward(ctx, x):
...         ctx.at = int(np.argmax(x))
...         return x[ctx.at]
...     def backward(ctx, g, out, x):
...         grad = np.zeros_like(x)
...         grad[ctx.at] = g
...         return (grad,)
>>> x = Tensor([3.0, 5.0, 4.0], requires_grad=True)
>>> Largest.apply(x, ctx=SimpleNamespace()).backward()
>>> x.grad
array([0., 1., 0.], dtype=float32)
"""

from __future__ import annotations

import functools
import inspect
import numbers
import weakref
from typing import Any

import numpy as np

from .graph import Node, Op, apply
from .tensor import Tensor
from .value import Value


class Function(Op):
    """Base class for user-defined ops (see the module docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        if "setup_context" in cls.__dict__:     # PyTorch 2's form: forward without ctx
            raise TypeError(f"{cls.__name__}: glassgrad calls no setup_context; define "
                            f"forward(ctx, *inputs), which gets the ctx given to apply, and "
                            f"backward(ctx, g, out, *inputs), which gets the output and the "
                            f"inputs (what setup_context would save)")
        if "forward" in cls.__dict__:       # plain functions or @staticmethod, both work
            forward = _function(cls, "forward", cls.__dict__["forward"], "forward(ctx, *inputs)",
                                least=2)
            cls.forward = staticmethod(_checked_forward(cls, forward))
        if "backward" in cls.__dict__:
            backward = _function(cls, "backward", cls.__dict__["backward"],
                                 "backward(ctx, g, out, *inputs)", least=4,
                                 inputs=_input_names(cls))
            cls.backward = staticmethod(_checked_backward(cls, backward))
        for method, signature in (("forward", "forward(ctx, *inputs)"),
                                  ("backward", "backward(ctx, g, out, *inputs), returning one "
                                               "gradient per input")):
            if getattr(cls, method) is getattr(Op, method):     # not written: say so by name
                setattr(cls, method, staticmethod(_missing(cls, method, signature)))

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{cls.name}: a Function is not instantiated or called; use "
                        f"{cls.name}.apply(...) to run it on Values or Tensors")

    @classmethod
    def apply(cls, *inputs: Any, ctx: Any = None, **settings: Any) -> Node:
        if settings:
            raise TypeError(f"{cls.name}.apply: got the keyword {', '.join(settings)}; a "
                            f"Function takes its inputs by position and its settings in ctx: "
                            f"{cls.name}.apply(x, ctx=...) (a number, a tuple, or "
                            f"types.SimpleNamespace({next(iter(settings))}=...))")
        nodes = [x for x in inputs if isinstance(x, Node)]
        if not nodes:
            _refuse_nodes_inside(cls, inputs)
            raise TypeError(f"{cls.name}.apply: needs at least one Value or Tensor input")
        kind = Value if isinstance(nodes[0], Value) else Tensor
        if any(not isinstance(x, kind) for x in nodes):
            raise TypeError(f"{cls.name}.apply: cannot mix Value and Tensor inputs")
        parents, as_they_are = inputs, ()
        if len(nodes) < len(inputs):        # numbers, arrays and the rest (the usual: none)
            _refuse_nodes_inside(cls, inputs)
            floating = [x.data.dtype for x in nodes
                        if kind is Tensor and x.data.dtype.kind == "f"]
            like = np.result_type(*floating) if floating else None
            as_they_are = tuple((k, x) for k, x in enumerate(inputs) if _passed_as_is(x))
            parents = tuple(x if isinstance(x, Node) else _constant(kind, x, like)
                            for x in inputs if not _passed_as_is(x))
        before = None if ctx is None else _attributes(ctx)
        call = ctx if not as_they_are else _Call(
            ctx, as_they_are, tuple(k for k, x in enumerate(inputs) if isinstance(x, Node)))
        out = apply(cls, parents, call)
        if before is not None:
            _check_one_call_per_ctx(cls, ctx, before, out)
        if out.requires_grad and kind is Tensor and out.data.dtype.kind != "f":
            return Tensor(out.data)         # integers and booleans carry no gradient
        return out


def _refuse_nodes_inside(cls: type, inputs: tuple) -> None:
    """Refuse a list or tuple of Values or Tensors given as one input (it would become one
    constant array, or be refused by numpy: no gradient would reach them)."""
    for k, x in enumerate(inputs):
        if isinstance(x, (list, tuple)) and any(isinstance(item, Node) for item in x):
            kinds = "Values" if any(isinstance(item, Value) for item in x) else "Tensors"
            raise TypeError(
                f"{cls.name}.apply: input {k} is a {type(x).__name__} holding {kinds}; each "
                f"Value or Tensor is an input of its own, so that it gets its gradient: "
                f"{cls.name}.apply(*xs), with forward(ctx, *xs) and backward returning one "
                f"gradient per element")


def _passed_as_is(x: Any) -> bool:
    """An input given to forward and backward as it is, outside the graph, as PyTorch passes
    what is not a tensor: None (an optional bias), a bool or a string (a flag, a mode), a
    Python int (a count, an axis: an int64 array would make float32 times it float64 on numpy
    2, not on 1.x), any other object. Floats, numpy numbers and arrays, lists and tuples become
    constant nodes (a float takes the Tensors' dtype)."""
    return not isinstance(x, (Node, float, np.ndarray, np.number, list, tuple)) or isinstance(
        x, bool)


class _Call:
    """The ctx of a call with inputs passed as they are (`_passed_as_is`): the user's ctx, and
    those inputs with their positions, put back among the graph's inputs for forward and
    backward, which see the call as it was written."""

    __slots__ = ("ctx", "given", "nodes")

    def __init__(self, ctx: Any, given: tuple, nodes: tuple) -> None:
        self.ctx, self.given, self.nodes = ctx, given, nodes     # nodes: the Values' or Tensors'

    def inputs(self, parents: tuple) -> list:
        merged = list(parents)
        for k, x in self.given:
            merged.insert(k, x)
        return merged


def _unpacked(ctx: Any, inputs: tuple) -> tuple[Any, tuple, tuple, tuple]:
    """(the user's ctx, every input in its place, the positions of those passed as they are,
    the positions of the Values or Tensors among them when there are such: the engine's own
    check of a gradient's shape counts the graph's inputs only, so it would name another)."""
    if ctx.__class__ is not _Call:
        return ctx, inputs, (), ()
    return ctx.ctx, tuple(ctx.inputs(inputs)), tuple(k for k, _ in ctx.given), ctx.nodes


def _attributes(ctx: Any) -> dict | None:
    """A copy of the attributes of a ctx that forward may write into (None for a number, a
    tuple, None: ctx objects without a __dict__ of their own; a class's is read-only)."""
    attributes = getattr(ctx, "__dict__", None)
    return dict(attributes) if attributes.__class__ is dict else None


#: id(ctx) -> the Tensor made by the last call whose forward wrote into that ctx (while the
#: Tensor lives, it holds its ctx, so the id is that ctx's). Values cannot be referred to
#: weakly: a ctx shared by Value calls is not detected.
_written_by: Any = weakref.WeakValueDictionary()


def _check_one_call_per_ctx(cls: type, ctx: Any, before: dict, out: Node) -> None:
    """Refuse a ctx that forward wrote into when an earlier call, whose result is still alive,
    wrote into it too: that call's backward would read this call's values (wrong gradients,
    silently), even if this call records nothing (no_grad). A ctx forward only reads
    (settings) may serve any number of calls."""
    after = vars(ctx)
    written = [name for name, value in after.items()
               if name not in before or before[name] is not value]
    if not written or not isinstance(out, Tensor):
        return
    earlier = _written_by.get(id(ctx))
    if earlier is not None and earlier is not out and _user_ctx(earlier) is ctx:
        vars(ctx).clear()                   # the earlier call's values back, for its backward
        vars(ctx).update(before)
        raise ValueError(
            f"{cls.name}.apply: the ctx given (a {type(ctx).__name__}) was given to an earlier "
            f"{earlier._fn.name}.apply too, whose result is still in use, and this call's "
            f"forward wrote into it ({', '.join(written)}): that call's backward would read "
            f"this call's values. Give a fresh ctx per call: "
            f"{cls.name}.apply(x, ctx=types.SimpleNamespace())")
    if out._fn is not None:                 # (a result that records nothing has no backward)
        _written_by[id(ctx)] = out


def _user_ctx(node: Node) -> Any:
    ctx = node._ctx
    return ctx.ctx if ctx.__class__ is _Call else ctx


def _constant(kind: type, x: Any, like: np.dtype | None) -> Node:
    """A number or array among the inputs, as a constant node. Floats given as Python numbers
    or lists take the Tensor inputs' floating dtype (`like`), as in `x * 0.1`: made float32 by
    default, 0.1 would be 0.10000000149 in a float64 computation."""
    if kind is Value:
        return Value(x, requires_grad=False)
    if not isinstance(x, (np.ndarray, np.generic)) and like is not None:
        arr = np.asarray(x)
        if arr.dtype.kind == "f":
            return Tensor(arr.astype(like))
    return Tensor(x)


def _read_only(x: Any) -> Any:
    """An array as a view that refuses writes (the engine's own arrays: a leaf's data, a
    gradient that is also another node's); anything else as it is."""
    if x.__class__ is np.ndarray and x.flags.writeable:
        x = x.view()
        x.flags.writeable = False
    return x


def _explain_written(cls: type, method: str, error: ValueError) -> None:
    """numpy's "assignment destination is read-only" from a forward or backward that wrote
    into an array it was given: say which and what to do instead."""
    if "read-only" in str(error):
        given, instead = (("its inputs", "np.where(x > 0, x, 0), not x[x < 0] = 0 or out=x")
                          if method == "forward" else
                          ("g, out or its inputs", "return (g * 3,), not g *= 3"))
        raise ValueError(
            f"{cls.name}.{method}: tried to change one of {given} in place ({error}); they "
            f"are the graph's own arrays (a leaf's data, another node's gradient): compute a "
            f"new array instead, {instead}") from error


def _input_names(cls: type) -> str | None:
    """The names of the inputs of `cls`'s forward as written ("x, y"; "*args"), for the
    signature its backward should have; None when there is no forward to read them from."""
    forward = getattr(cls, "forward", None)
    if forward is getattr(Op, "forward", None):     # none written (yet)
        return None
    try:                    # (the checked forward wraps the one written: functools.wraps)
        params = list(inspect.signature(forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    return ", ".join(("*" if p.kind is p.VAR_POSITIONAL else "") + p.name for p in params
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL))


def _function(cls: type, method: str, attribute: Any, signature: str, least: int,
              inputs: str | None = None) -> Any:
    """The plain function behind `forward`/`backward`, refused at class definition if it cannot
    be called as `signature` (a classmethod, a `self` parameter, too few parameters). For a
    backward with too few, `inputs` (forward's, `_input_names`) spell out the one to write."""
    if isinstance(attribute, staticmethod):
        attribute = attribute.__func__
    if isinstance(attribute, classmethod) or not callable(attribute):
        raise TypeError(f"{cls.__name__}.{method}: must be a static method (or a plain "
                        f"function) {signature}, got {type(attribute).__name__}")
    params = list(inspect.signature(attribute).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if positional and positional[0].name == "self":
        raise TypeError(f"{cls.__name__}.{method}: is static and takes no self; define "
                        f"{signature}")
    if len(positional) < least and not any(p.kind is p.VAR_POSITIONAL for p in params):
        names = ", ".join(p.name for p in positional)
        hint = ""
        if method == "backward":
            hint = ("; glassgrad passes the output and the inputs after g (so there is no "
                    "ctx.save_for_backward)")
            if len(positional) == 2 and inputs:     # PyTorch's backward(ctx, grad_output)
                hint = (f": glassgrad passes the output and forward's inputs after the "
                        f"gradient, so here write def backward({names}, out, {inputs}) and "
                        f"use those names, without ctx.saved_tensors; leave "
                        f"ctx.save_for_backward out of forward (there is no such call)")
        raise TypeError(f"{cls.__name__}.{method}: takes ({names}); define {signature}{hint}")
    return attribute


def _missing(cls: type, method: str, signature: str) -> Any:
    def missing(*args: Any) -> Any:
        raise NotImplementedError(f"{cls.name}: this Function has no {method}; define "
                                  f"{signature}")
    return missing


# what PyTorch's ctx offers (read on a ctx of None, the default, they fail); any other name
# read on None is taken for the user's own None, and an attribute set on None for `ctx.x = ...`
_PYTORCH_CTX = frozenset({"save_for_backward", "saved_tensors", "saved_variables",
                          "needs_input_grad", "mark_dirty", "mark_non_differentiable",
                          "set_materialize_grads"})
# what glassgrad does instead of PyTorch's ctx methods that keep nothing
_INSTEAD = {
    "needs_input_grad": " (instead of ctx.needs_input_grad: return every input's gradient; "
                        "those of inputs that want none are dropped)",
    "mark_non_differentiable": " (instead of ctx.mark_non_differentiable: an integer or boolean "
                               "result carries no gradient by itself; detach a float one, "
                               "MyOp.apply(x).detach())",
    "mark_dirty": " (instead of ctx.mark_dirty: forward cannot change its inputs in place here: "
                  "return a new array)",
    "set_materialize_grads": " (instead of ctx.set_materialize_grads: backward is called only "
                             "with a gradient, never None)",
}


def _explain_no_ctx(cls: type, method: str, ctx: Any, error: AttributeError) -> None:
    """PyTorch's `ctx.save_for_backward(x)` / `ctx.saved_tensors` on a ctx of None (none given
    to apply) says only that None has no such attribute: say what glassgrad does instead."""
    on_none = str(error).startswith("'NoneType' object has no attribute")
    # `ctx.x = 1`: Python 3.13+ names x and adds "and no __dict__ for setting new attributes";
    # before, the error's name is None
    setting = error.name is None or str(error).endswith("for setting new attributes")
    if ctx is not None and error.name in _PYTORCH_CTX and error.obj is ctx:
        raise AttributeError(       # ctx.save_for_backward(x) on the user's own ctx object
            f"{cls.name}.{method}: ctx is the object given as {cls.name}.apply(..., ctx=...) "
            f"(here of type {type(ctx).__name__}), not PyTorch's ctx, so it has no "
            f".{error.name}: backward(ctx, g, out, *inputs) receives the output and the inputs "
            f"(what PyTorch's ctx.save_for_backward keeps); to keep something else, set it on "
            f"ctx in forward (ctx=types.SimpleNamespace(), ctx.k = ...)"
            f"{_INSTEAD.get(error.name, '')}") from error
    if ctx is not None and error.obj is ctx and error.name is not None and not setting:
        # ctx.result read where nothing set it: forward forgot it, or the call gave no ctx
        held = _attributes(ctx)
        holds = (f"it holds {', '.join(held) or 'nothing'}" if held is not None else
                 f"it is the {type(ctx).__name__} {ctx!r:.40}, given to apply as ctx")
        fix = (f"set it in forward, ctx.{error.name} = ..., on the ctx given to this call"
               if method == "backward" else
               f"give it: {cls.name}.apply(x, ctx=types.SimpleNamespace({error.name}=...))")
        raise AttributeError(f"{cls.name}.{method}: ctx has no .{error.name} ({holds}): "
                             f"{fix}") from error
    if ctx is None and on_none and (setting or error.name in _PYTORCH_CTX):
        missing = "no attributes to set" if setting else f"no .{error.name}"
        raise AttributeError(
            f"{cls.name}.{method}: ctx is None, the constant given as {cls.name}.apply(..., "
            f"ctx=...) (none was), so it has {missing}: glassgrad has no ctx to store "
            f"things on. backward(ctx, g, out, *inputs) receives the output and the inputs "
            f"(what PyTorch's ctx.save_for_backward keeps), and a constant goes in as "
            f"apply(x, ctx=value); to keep something else from forward for backward, pass an "
            f"object to set it on, apply(x, ctx=types.SimpleNamespace())"
            f"{_INSTEAD.get(error.name, '')}") from error


def _checked_forward(cls: type, forward: Any) -> Any:
    """`forward`, refusing results that are not one raw number or array."""
    @functools.wraps(forward)
    def checked(ctx: Any, *inputs: Any) -> Any:
        ctx, inputs, _, _ = _unpacked(ctx, inputs)
        for k, x in enumerate(inputs):      # (apply gives forward payloads, never nodes)
            if isinstance(x, Node):
                raise TypeError(f"{cls.name}.forward: was called with a {type(x).__name__} "
                                f"(input {k}); run the op as {cls.name}.apply(...), which "
                                f"records it and gives forward the raw numbers or arrays")
        try:
            out = forward(ctx, *map(_read_only, inputs))
        except AttributeError as error:
            _explain_no_ctx(cls, "forward", ctx, error)
            if error.obj is not None and not isinstance(error.obj, Node) and (
                    error.name is not None and hasattr(Tensor, error.name)):
                raise AttributeError(   # x.exp() on the raw numbers forward is always given
                    f"{cls.name}.forward: {error} (forward is called with the raw inputs, "
                    f"numpy arrays for Tensors and floats for Values, not with Tensors: "
                    f"write np.exp(x) or math.exp(x), or autograd.ops.payload_math.exp(x), "
                    f"which takes either)") from error
            raise
        except ValueError as error:
            _explain_written(cls, "forward", error)
            raise
        if out is None:
            raise TypeError(f"{cls.name}.forward: returned None (is its `return` missing?); "
                            f"return one number (Value inputs) or one array (Tensor inputs)")
        # a list too: with Tensor inputs [a, b] would be stacked into one array of a new
        # shape, and the mistake would surface only in backward, as a gradient's shape
        if isinstance(out, (tuple, list, Node)):
            raise TypeError(f"{cls.name}.forward: returned a {type(out).__name__}; a Function "
                            f"has one output, computed on the raw inputs: return one number "
                            f"(Value inputs) or one array (Tensor inputs)")
        if out.__class__ is np.ndarray and not out.flags.writeable and any(
                np.may_share_memory(out, x) for x in inputs if x.__class__ is np.ndarray):
            # an input returned as it is (`return x`, a gradient reversal) or a view of one
            # (x.T): the result gets its own array, not the input's read-only view of it
            out = out.copy()
        return out
    return checked


def _checked_backward(cls: type, backward: Any) -> Any:
    """`backward`, checking that it returns one gradient per input, each of its input's kind."""
    @functools.wraps(backward)
    def checked(ctx: Any, g: Any, out: Any, *inputs: Any) -> tuple:
        ctx, inputs, outside, shaped = _unpacked(ctx, inputs)
        before = _attributes(ctx)
        try:
            grads = backward(ctx, _read_only(g), _read_only(out), *map(_read_only, inputs))
        except AttributeError as error:
            _explain_no_ctx(cls, "backward", ctx, error)
            if not isinstance(g, Node) and error.obj is not None and not isinstance(
                    error.obj, Node) and error.name is not None and hasattr(Tensor, error.name):
                raise AttributeError(   # x.exp() on the first-order pass's arrays
                    f"{cls.name}.backward: {error} (for a first-order gradient it is called "
                    f"with numpy arrays, or floats for Values, not Tensors: write it with "
                    f"operators and `out`, or with functions that take either, such as "
                    f"autograd.ops.payload_math.exp)") from error
            raise
        except ValueError as error:
            _explain_written(cls, "backward", error)
            raise
        except TypeError as error:
            if not isinstance(g, Node):
                raise
            raise TypeError(          # the higher-order pass gives nodes, which math/numpy refuse
                f"{cls.name}.backward: {error} {_HIGHER_ORDER}") from error
        except RuntimeError as error:
            if not isinstance(g, Node) or not str(error).startswith("numpy was given a"):
                raise
            raise RuntimeError(       # np.where(x > 0, g, 0) of nodes that want gradients
                f"{cls.name}.backward: {error} {_HIGHER_ORDER}") from error
        if before is not None:
            _refuse_changed_ctx(cls, ctx, before)
        if grads is None:       # a deliberate "no gradient" is written (None,)
            raise TypeError(f"{cls.name}.backward: returned None (is its `return` missing?); "
                            f"return one gradient per input, (None,) for an input that gets "
                            f"none")
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(inputs):
            raise ValueError(f"{cls.name}.backward: returned {len(grads)} gradients for "
                             f"{len(inputs)} inputs (give one per input, None where there is none)")
        return tuple(_checked_gradient(cls, k, gx, x, k in shaped)
                     for k, (gx, x) in enumerate(zip(grads, inputs)) if k not in outside)
    return checked


def _refuse_changed_ctx(cls: type, ctx: Any, before: dict) -> None:
    """Refuse a backward that set, replaced or deleted something on its ctx (PyTorch's habit of
    freeing what it saved, `del ctx.y`): graphs are kept here, so the same call's backward can
    run again, and would read what this one left. The ctx is put back as it was."""
    after = vars(ctx)
    changed = sorted({name for name in before if name not in after or after[name] is not
                      before[name]} | {name for name in after if name not in before})
    if not changed:
        return
    after.clear()
    after.update(before)
    raise ValueError(
        f"{cls.name}.backward: changed its ctx ({', '.join(changed)}); glassgrad keeps graphs, "
        f"so backward can run again for the same call (a second backward(), gradcheck, "
        f"autograd.grad, hessian) and would read what this one left: leave ctx as forward "
        f"left it (what it holds is freed with the graph) and keep what backward works out in "
        f"its own variables")


# why a backward that uses math or numpy fails when it serves a higher-order gradient
_HIGHER_ORDER = ("(for a higher-order gradient, which autograd.grad and "
                 "backward(create_graph=True) always build, even for a first derivative, it is "
                 "called with Values/Tensors: write it with operators and their methods, or "
                 "autograd.ops.payload_math's functions, not math or numpy functions; "
                 "y.backward() alone calls it with numbers and arrays)")


def _checked_gradient(cls: type, k: int, gx: Any, x: Any, shaped: bool = False) -> Any:
    """The gradient for input `k` as the engine takes it, or a TypeError naming what it is
    (`shaped`: and a ValueError if it has not its input's shape)."""
    if gx is None:
        return None
    not_number = _not_a_number(gx)
    if not_number:              # a mask (g forgotten) would become 1.0 and 0.0, None NaN
        what = "a Value" if isinstance(x, (float, Value)) else f"a Tensor of shape {np.shape(x)}"
        raise TypeError(f"{cls.name}.backward: gradient {k} is {not_number}; input {k} is "
                        f"{what}, so its gradient is made of numbers (a mask such as x > 0 is "
                        f"multiplied into g: g * (x > 0))")
    if isinstance(x, Node):                     # the higher-order pass: nodes, or raw constants
        kind = x._kind
        if isinstance(gx, kind) or isinstance(gx, numbers.Real) or (
                kind is Tensor and isinstance(gx, (np.ndarray, np.number))):
            return gx if kind is Value or not shaped else _fitting(cls, k, gx, x.shape)
    elif isinstance(x, float):                  # a Value's number
        if isinstance(gx, numbers.Real):
            return float(gx)
    elif isinstance(gx, (np.ndarray, np.number)):
        return gx if not shaped else _fitting(cls, k, gx, x.shape)
    elif isinstance(gx, numbers.Real):          # a number for a Tensor: an array of its dtype
        gx = np.asarray(gx, dtype=x.dtype)
        return gx if not shaped else _fitting(cls, k, gx, x.shape)
    what = "a Value" if isinstance(x, (float, Value)) else f"a Tensor of shape {np.shape(x)}"
    wanted = "a number" if isinstance(x, (float, Value)) else "an array of that shape"
    raise TypeError(f"{cls.name}.backward: gradient {k} is of type {type(gx).__name__}; input "
                    f"{k} is {what}, so its gradient must be {wanted} (or None)")


def _fitting(cls: type, k: int, gx: Any, shape: tuple) -> Any:
    """`gx`, refused if it has not its input's shape, named by its place in the call."""
    if cls.broadcasting or np.shape(gx) == shape:  # (broadcasting: the engine sums it back)
        return gx
    raise ValueError(f"{cls.name}.backward: gradient {k} has shape {np.shape(gx)}, but input {k} "
                     f"has shape {shape}: a gradient has its input's shape (sum it over the "
                     f"axes the input was broadcast along, e.g. g.sum(axis=0))")


def _not_a_number(gx: Any) -> str:
    """What a gradient that holds no numbers is ('a bool', 'a boolean array', 'an array of
    dtype object'), or '' for numbers."""
    if isinstance(gx, (bool, np.bool_)):
        return "a bool"
    dtype = getattr(gx, "dtype", None)
    if not isinstance(gx, (np.ndarray, Tensor)) or dtype is None or dtype.kind in "fiuc":
        return ""
    return "a boolean array" if dtype.kind == "b" else f"an array of dtype {dtype}"
