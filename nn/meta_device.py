"""PyTorch's meta device for a module: `model.to("meta")`, a model of shapes without numbers.

PyTorch's ensembling recipe keeps one "base" copy of a network on the meta device and runs it
only through `torch.func.functional_call(base, (params, buffers), (x,))` over the ensemble's
stacked weights (`vmap` of it, from `stack_module_state`). Here such a base keeps its
parameters and buffers (same names, shapes and dtypes) but their numbers are a zero-strided
view (no memory), and every submodule refuses to run while one of its own tensors is still a
meta one: `functional_call` puts the given tensors in place first, so it runs; calling the
base directly, or leaving a parameter or buffer out of the dicts, is an error saying so (PyTorch
would return a meta tensor, which fails only later, when its numbers are read).

>>> import autograd, nn
>>> base = nn.Linear(2, 1).to("meta")
>>> params = {"weight": autograd.tensor([[1.0, 2.0]]), "bias": autograd.tensor([0.5])}
>>> nn.utils.stateless.functional_call(base, params, (autograd.ones(1, 2),))
Tensor([[3.5]])
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from autograd import Tensor

#: the mark a meta parameter or buffer carries in its __dict__ (Tensors take attributes)
_MARK = "_on_meta_device"


def is_meta(device: Any) -> bool:
    """Whether `device` is PyTorch's meta device: "meta", "meta:0" or a torch.device('meta')."""
    return device is not None and str(device).partition(":")[0] == "meta"


def to_meta(module: Any, call: str) -> Any:
    """Put `module` on the meta device (see the module's docstring); returns it."""
    params = module.parameters()
    odd = [p for p in params if not isinstance(p, Tensor)]
    if odd:
        raise TypeError(f"{call}('meta'): this model's parameters are "
                        f"{type(odd[0]).__name__}s; only a model of Tensor layers goes to the "
                        f"meta device (a base for functional_call)")
    for p in params:
        p.data = _no_numbers(p.data)
        p._changed_in_place()           # a graph recorded before refuses backward
        p.grad = None
        p.__dict__[_MARK] = True
    for sub in module.modules():
        for name, buffer in list(sub._own_buffers()):
            meta = Tensor(_no_numbers(np.asarray(getattr(buffer, "data", buffer))))
            meta.__dict__[_MARK] = True
            sub.__dict__[name] = meta
        if not sub.__dict__.get("_meta_hooked"):
            sub.register_forward_pre_hook(_refuse_meta)
            sub.__dict__["_meta_hooked"] = True
    return module


def _no_numbers(array: np.ndarray) -> np.ndarray:
    """An array of `array`'s shape and dtype that holds one number (a read-only view)."""
    return np.broadcast_to(np.zeros((), array.dtype), array.shape)


def _own_values(module: Any) -> Iterator[tuple[str, Any]]:
    """(name, value) of the module's attributes, entries of its lists, tuples and dicts too
    (where containers keep theirs): where functional_call puts its tensors."""
    for key, value in vars(module).items():
        if isinstance(value, (list, tuple)):
            yield from ((f"{key}[{i}]", v) for i, v in enumerate(value))
        elif isinstance(value, dict):
            yield from ((f"{key}[{k!r}]", v) for k, v in value.items())
        else:
            yield key, value


def _refuse_meta(module: Any, args: tuple) -> None:
    """A forward pre-hook: refuse to run while one of the module's own tensors is a meta one."""
    for name, value in _own_values(module):
        if isinstance(value, Tensor) and value.__dict__.get(_MARK):
            raise RuntimeError(
                f"{type(module).__name__}: {name} is on the meta device (a shape without "
                f"numbers: the model went .to('meta')); run the model with "
                f"torch.func.functional_call(model, (params, buffers), (x,)), giving a tensor "
                f"for every parameter and buffer (an ensemble: stack_module_state(models), "
                f"then vmap of that call)")
