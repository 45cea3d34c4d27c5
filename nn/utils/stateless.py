"""A module run with other tensors in place of its parameters: PyTorch's
`torch.func.functional_call` (also `torch.nn.utils.stateless.functional_call`).

MAML's inner loop makes "fast weights", tensors computed from the parameters
(`p - alpha * g`), and runs the same network on them; the outer gradient then flows through
them back to the parameters. `functional_call(model, {name: tensor}, (x,))` puts each tensor
where the parameter (or buffer) of that name sits, calls `model(x)`, and puts the parameters
back, also when forward raises. Nothing is copied: the tensors themselves are used, so the
result stays in their graph (`model.load_state_dict` copies numbers, which cuts it).

>>> import autograd
>>> from nn import Linear
>>> layer = Linear(1, 1)
>>> w = layer.weight * 0 + 3.0                      # tensors computed from the parameters
>>> b = layer.bias * 0 + 1.0
>>> y = functional_call(layer, {"weight": w, "bias": b}, (autograd.tensor([[2.0]]),))
>>> y.item(), y.requires_grad                       # 3 * 2 + 1, in the graph
(7.0, True)
>>> layer.weight is w                               # the parameter is back
False
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

import autograd.func
from autograd.graph import Node

from ..module import Module

__all__ = ["functional_call"]


def functional_call(module: Module, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: Mapping[str, Any] | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """`module(*args, **kwargs)` with the tensors of `parameter_and_buffer_dicts` (a dict of
    dotted name -> tensor, as `named_parameters()` and `named_buffers()` name them, or a tuple
    of such dicts) in place of the module's own; the ones not named keep theirs (`strict=True`:
    every parameter and buffer must be named). `args` is a tuple of positional arguments, or
    one argument. A parameter a module holds under two names (tied weights) takes the tensor
    given for either name, as with PyTorch's `tie_weights=True`; `tie_weights=False` is not
    supported here.

    >>> import autograd
    >>> from nn import Linear, Sequential, ReLU
    >>> model = Sequential(Linear(1, 4), ReLU(), Linear(4, 1))
    >>> params = {n: p for n, p in model.named_parameters()}
    >>> fast = {n: p - 0.1 for n, p in params.items()}
    >>> out = functional_call(model, fast, (autograd.ones(3, 1),))
    >>> out.shape, len(autograd.autograd.grad(out.sum(), list(params.values())))
    ((3, 1), 4)
    """
    where = "functional_call"
    if not isinstance(module, Module):
        raise TypeError(f"{where}: the first argument must be an nn.Module, got "
                        f"{type(module).__name__}")
    if not tie_weights:
        raise NotImplementedError(f"{where}: tie_weights=False (a tied parameter replaced "
                                  f"under one name only) is not supported: give the tensor "
                                  f"under every name of the parameter")
    given = _merged(where, parameter_and_buffer_dicts)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    owned = dict(module.named_parameters(remove_duplicate=False))
    owned.update(module.named_buffers(remove_duplicate=False))
    unknown = [name for name in given if name not in owned]
    if unknown:
        raise KeyError(f"{where}: {type(module).__name__} has no parameter or buffer named "
                       f"{', '.join(map(repr, unknown))} (its names: {', '.join(owned)})")
    if strict:
        missing = [name for name in owned if name not in given]
        if missing:
            raise KeyError(f"{where}: strict=True, and no tensor was given for "
                           f"{', '.join(map(repr, missing))}")
    swap: dict[int, Any] = {}               # id(the module's own tensor) -> the one to use
    for name, value in given.items():
        if not isinstance(value, (Node, np.ndarray)):
            raise TypeError(f"{where}: {name!r} must be a Tensor, got {type(value).__name__}")
        own = owned[name]
        if id(own) in swap and swap[id(own)] is not value:
            raise ValueError(f"{where}: {name!r} is tied to another name given a different "
                             f"tensor; give the same tensor under every name of a tied "
                             f"parameter")
        if getattr(own, "shape", None) != getattr(value, "shape", None):
            raise ValueError(f"{where}: {name!r} has shape {tuple(own.shape)} in "
                             f"{type(module).__name__}, but the tensor given has shape "
                             f"{tuple(value.shape)}")
        swap[id(own)] = value
    modules = list(module.modules())
    restore = [_swap_in(sub, swap) for sub in modules]
    try:
        return module(*args, **(kwargs or {}))
    finally:
        for sub, kept in zip(modules, restore):
            sub.__dict__.update(kept)


# PyTorch's torch.func.functional_call is this function: the engine never imports nn, so nn
# hands it over (autograd/func.py)
autograd.func._module_call = functional_call


def _merged(where: str, dicts: Any) -> dict[str, Any]:
    """One dict from a dict or a tuple of dicts; a name in two of them is an error."""
    if isinstance(dicts, Mapping):
        return dict(dicts)
    if not isinstance(dicts, (tuple, list)) or not all(isinstance(d, Mapping) for d in dicts):
        raise TypeError(f"{where}: the tensors go in a dict of name -> tensor "
                        f"({{n: p for n, p in model.named_parameters()}}) or a tuple of such "
                        f"dicts, got {type(dicts).__name__}")
    merged: dict[str, Any] = {}
    for d in dicts:
        twice = [name for name in d if name in merged]
        if twice:
            raise ValueError(f"{where}: {', '.join(map(repr, twice))} given in two dicts")
        merged.update(d)
    return merged


def _swap_in(module: Module, swap: dict[int, Any]) -> dict[str, Any]:
    """Put the replacements into `module`'s own attributes (directly, or inside the lists,
    tuples and dicts in which containers keep their entries), matched by identity so that a
    tied parameter is replaced under all its names; return the attributes as they were. The
    attributes are written into `__dict__` directly: `Module.__setattr__` rightly refuses a
    plain Tensor over a parameter."""
    kept: dict[str, Any] = {}
    for key, value in list(vars(module).items()):
        if id(value) in swap:
            new = swap[id(value)]
        elif isinstance(value, (list, tuple)) and any(id(v) in swap for v in value):
            new = [swap.get(id(v), v) for v in value]
            new = new if isinstance(value, list) else tuple(new)
        elif isinstance(value, dict) and any(id(v) in swap for v in value.values()):
            new = {k: swap.get(id(v), v) for k, v in value.items()}
        else:
            continue
        kept[key] = value
        module.__dict__[key] = new
    return kept
