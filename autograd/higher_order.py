"""`grad(f)`: the derivative of a function, as a function, that can be differentiated again.

>>> from autograd import grad
>>> f = lambda x: x ** 3            # f'(x) = 3x², f''(x) = 6x
>>> grad(f)(2.0), grad(grad(f))(2.0)
(12.0, 12.0)

Numbers and arrays in give numbers and arrays out; `Value`s and `Tensor`s in give nodes out,
recorded, so that an outer `grad` can differentiate through them. A derivative that is computed
from some other node wanting a gradient (an outer `grad`'s variable, a model's parameter that
`f` reads) is a node too, whatever came in: as a number it would carry no gradient back to it.

>>> from autograd import Value
>>> w = Value(0.5)
>>> grad(lambda x: w * x * x)(3.0)      # 2wx, and it depends on w
Value(data=3.0, grad=0.0)
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

import numpy as np

from . import graph
from .graph import Leaf, Node, enable_grad
from .tensor import Tensor
from .value import Value, number_value


def _leaf(x: Any) -> Node:
    """A leaf that wants a gradient: numbers become Values, arrays Tensors (floating arrays keep
    their dtype, integer ones become float64)."""
    if isinstance(x, Node):
        return x if x.requires_grad else type(x)(x.data, requires_grad=True)
    if isinstance(x, numbers.Real):
        return Value(x)
    arr = np.asarray(x)
    return Tensor(arr if arr.dtype.kind == "f" else arr.astype(np.float64), requires_grad=True)


def _zero_like(x: Node) -> Node:
    if isinstance(x, Value):
        return number_value(0.0)
    return Tensor(np.zeros_like(x.data))


def _reads_leaves(g: Node) -> bool:
    """True if `g` is computed from a leaf that wants a gradient."""
    return g.requires_grad and any(node._fn is Leaf for node in graph.walk(g))


def grad(f: Callable, argnums: int | Sequence[int] = 0, *,
         create_graph: bool | None = None) -> Callable:
    """The function x ↦ df/dx (with respect to the positional argument(s) `argnums`).

    `f` must return a scalar: a `Value` or a one-element `Tensor`. Numbers and arrays come
    back as numbers and arrays, nodes as nodes (a tuple of them for a tuple of `argnums`); the
    result can be differentiated again. A derivative that depends on another node wanting a
    gradient (an outer `grad`'s variable, a parameter `f` reads) stays a node, so that the
    outer derivative can follow that dependency: `grad(grad(f, 0), 1)(x, y)` is ∂²f/∂y∂x.
    Keyword arguments are passed to `f` as constants.
    `create_graph` is accepted for PyTorch habits and changes nothing: the result can always
    be differentiated again.

    >>> from autograd import grad
    >>> cube = lambda x: x ** 3
    >>> grad(cube)(2.0), grad(grad(cube))(2.0)          # 3x², 6x
    (12.0, 12.0)
    >>> f = lambda x, y: x * x * y                      # ∂f/∂x = 2xy, then ∂/∂y of it: 2x
    >>> grad(grad(f, 0), 1)(3.0, 5.0)
    6.0
    """
    if not callable(f):
        raise TypeError(
            f"grad(f, argnums): f is the function to differentiate (as in jax.grad and "
            f"torch.func.grad), got a {type(f).__name__}. For PyTorch's torch.autograd.grad(y, x) "
            f"write grad(f)(x), f computing y from x (a gradient penalty: grad(lambda x: "
            f"D(x).sum())(x)); or call y.backward() and read x.grad (create_graph=True to "
            f"differentiate it again), but that also adds into the .grad of every leaf y comes "
            f"from, a model's parameters too, which torch.autograd.grad leaves alone: zero them "
            f"(opt.zero_grad()) before the next backward")
    many = not isinstance(argnums, numbers.Integral)
    try:
        nums = tuple(argnums) if many else (argnums,)
    except TypeError:                       # not a sequence
        nums = ()
    if not nums or not all(isinstance(i, numbers.Integral) for i in nums):
        raise TypeError(f"grad: argnums must be an argument position or a non-empty tuple of "
                        f"them, got {argnums!r:.60}")

    def df(*args: Any, **kwargs: Any) -> Any:
        args = list(args)
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(f"grad: argnums {i} is out of range for {len(args)} arguments")
        given = list(args)
        for i in nums:
            args[i] = _leaf(args[i])
        with enable_grad():                  # grad(f) differentiates, even inside no_grad()
            out = f(*args, **kwargs)
        if not isinstance(out, Node) or (isinstance(out, Tensor) and out.data.size != 1):
            shape = getattr(out, "shape", type(out).__name__)
            hint = "" if isinstance(out, Node) else (
                " (a result that is not a node has no graph: compute it from f's arguments with "
                "their operators and methods, not .data, float() or math functions)")
            raise ValueError(f"grad: f must return a scalar Value or one-element Tensor, got "
                             f"{shape}{hint}")
        if out.requires_grad:
            seed = number_value(1.0) if isinstance(out, Value) else \
                Tensor(np.ones_like(out.data))
            grads = graph.gradients(out, seed, create_graph=True)
        else:
            grads = {}
        for i in nums:
            if args[i] is not given[i]:     # a leaf made here: its work is done, so it becomes
                args[i].requires_grad = False   # a constant in the graphs returned (below)
        results = []
        for i in nums:
            g = grads.get(args[i])
            g = _zero_like(args[i]) if g is None else g
            raw = not isinstance(given[i], Node)
            results.append(g.data if raw and not _reads_leaves(g) else g)
        return tuple(results) if many else results[0]

    df.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    df.__doc__ = f"Gradient of {getattr(f, '__name__', 'f')} with respect to argument(s) {argnums}."
    return df
