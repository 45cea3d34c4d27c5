"""`Function`: write your own differentiable op, in exactly the form the built-in ops use.

Subclass it with `forward(ctx, *inputs)` on raw numbers/arrays and `backward(ctx, g, out,
*inputs)` returning one gradient per input (None for an input without one), both static (the
decorator may be left out: plain functions are made static); call `.apply(...)`.
`ctx` is whatever constant you pass as `apply(..., ctx=...)`. Write backward with operators and
node methods (`*`, `@`, `.sum()`, ...) and it also serves higher-order gradients.

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
"""

from __future__ import annotations

import functools
from typing import Any



from .graph import Node, Op, apply
from .tensor import Tensor
from .value import Value


class Function(Op):
    """Base class for user-defined ops (see the module docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        if "forward" in cls.__dict__:       # plain functions or @staticmethod, both work
            cls.forward = staticmethod(_function(cls.__dict__["forward"]))
        if "backward" in cls.__dict__:
            cls.backward = staticmethod(_checked_backward(cls, _function(cls.__dict__["backward"])))
        for method, signature in (("forward", "forward(ctx, *inputs)"),
                                  ("backward", "backward(ctx, g, out, *inputs), returning one "
                                               "gradient per input")):
            if getattr(cls, method) is getattr(Op, method):     # not written: say so by name
                setattr(cls, method, staticmethod(_missing(cls, method, signature)))

    @classmethod
    def apply(cls, *inputs: Any, ctx: Any = None) -> Node:
        nodes = [x for x in inputs if isinstance(x, Node)]
        if not nodes:
            raise TypeError(f"{cls.name}.apply: needs at least one Value or Tensor input")
        kind = Value if isinstance(nodes[0], Value) else Tensor
        if any(not isinstance(x, kind) for x in nodes):
            raise TypeError(f"{cls.name}.apply: cannot mix Value and Tensor inputs")
        parents = tuple(x if isinstance(x, Node) else _constant(kind, x) for x in inputs)
        return apply(cls, parents, ctx)


def _constant(kind: type, x: Any) -> Node:
    return kind(x, requires_grad=False) if kind is Value else Tensor(x)


def _function(attribute: Any) -> Any:
    return attribute.__func__ if isinstance(attribute, staticmethod) else attribute


def _missing(cls: type, method: str, signature: str) -> Any:
    def missing(*args: Any) -> Any:
        raise NotImplementedError(f"{cls.name}: this Function has no {method}; define "
                                  f"{signature}")
    return missing


def _checked_backward(cls: type, backward: Any) -> Any:
    @functools.wraps(backward)
    def checked(ctx: Any, g: Any, out: Any, *inputs: Any) -> tuple:
        grads = backward(ctx, g, out, *inputs)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(inputs):
            raise ValueError(f"{cls.name}.backward: returned {len(grads)} gradients for "
                             f"{len(inputs)} inputs (give one per input, None where there is none)")
        return tuple(grads)
    return checked
