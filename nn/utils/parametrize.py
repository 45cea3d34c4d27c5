"""Tensors of a module computed from other tensors, as `torch.nn.utils.parametrize` has them.

`register_parametrization(module, "weight", p)` makes `module.weight` the output of the module
`p` applied to a stored tensor: every read of `module.weight` computes it afresh, so gradients
reach the stored tensor, which is the parameter that trains (weight normalisation, spectral
normalisation and orthogonal weights are built this way, see `nn.utils.parametrizations`).

What changes in the module, as in PyTorch (so checkpoints load both ways):

- the parameter `weight` leaves the module; it is kept as
  `module.parametrizations.weight.original`, a state-dict key
  ``"parametrizations.weight.original"`` (``original0``, ``original1``, ... when `p` has a
  `right_inverse` that splits the tensor into several, as weight normalisation does);
- the module's class becomes a subclass, ``ParametrizedLinear`` for a `Linear`, in which
  `weight` is a property: reading it runs the parametrizations, assigning to it runs their
  `right_inverse` backwards and writes the result into the originals.

>>> import numpy as np
>>> from autograd import Tensor
>>> from nn import Linear, Module
>>> class Symmetric(Module):
...     def forward(self, x):
...         return x.triu() + x.triu(1).T
>>> layer = Linear(3, 3)
>>> register_parametrization(layer, "weight", Symmetric())
ParametrizedLinear(
  in_features=3, out_features=3, bias=True
  (parametrizations): ModuleDict(
    (weight): ParametrizationList(
      (0): Symmetric()
    )
  )
)
>>> bool((layer.weight.data == layer.weight.data.T).all())
True
>>> [name for name, _ in layer.named_parameters()]
['bias', 'parametrizations.weight.original']
>>> remove_parametrizations(layer, "weight")      # the weight as it is now, a Parameter again
Linear(in_features=3, out_features=3, bias=True)
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Iterator, Sequence

import numpy as np

from autograd import Tensor, no_grad
from autograd.pytorch_names import type_name

from ..module import Module, ModuleDict, ModuleList, Parameter, is_parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "type_before_parametrizations", "ParametrizationList"]

# `cached()`: how many blocks are open, and the tensors computed inside them
_cache_depth = 0
_cache: dict[tuple[int, str], Tensor] = {}


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Inside this block a parametrized tensor is computed once, at its first read, and the
    same Tensor is returned after that (a recurrent layer reads its weight at every step; the
    gradients of all the reads meet in the one graph). Assigning the tensor inside a block
    makes the next read compute it afresh. Blocks may nest; the last to close forgets the
    tensors.

    >>> from nn import Linear
    >>> from nn.utils.parametrizations import weight_norm
    >>> layer = weight_norm(Linear(2, 2))
    >>> with cached():
    ...     layer.weight is layer.weight
    True
    >>> layer.weight is layer.weight
    False
    """
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (modules ``"0"``, ``"1"``, ..., applied in that
    order) and the tensor they start from: `original`, or `original0`, `original1`, ... when
    the first one's `right_inverse` returns several tensors. Made by `register_parametrization`;
    calling it computes the parametrized tensor."""

    def __init__(self, modules: Sequence[Module], original: Any, unsafe: bool = False,
                 where: str = "register_parametrization") -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        trains = is_parameter(original)
        value = original if trains else Tensor(original)
        first = self[0]
        with no_grad():
            try:
                start = first.right_inverse(value) if hasattr(first, "right_inverse") else value
            except NotImplementedError:             # no inverse: the original is kept (as in
                start = value                       # PyTorch), and the tensor becomes p(it)
        if isinstance(start, (Tensor, np.ndarray)):
            self.is_tensor, self.ntensors = True, 1
            if trains:
                _write_into(original, start)       # the same Parameter: optimizers keep it
                self.original = original
            else:
                # a buffer, a constant Tensor as PyTorch's
                self.register_buffer("original", Tensor(np.array(_numbers(start))))
        elif isinstance(start, (list, tuple)) and start \
                and all(isinstance(t, (Tensor, np.ndarray)) for t in start):
            self.is_tensor, self.ntensors = False, len(start)
            for i, part in enumerate(start):
                if trains:
                    setattr(self, f"original{i}", Parameter(np.array(_numbers(part)),
                                                            requires_grad=original.requires_grad))
                else:
                    self.register_buffer(f"original{i}", Tensor(np.array(_numbers(part))))
        else:
            raise TypeError(f"{where}: {type(first).__name__}.right_inverse must return a "
                            f"Tensor or a non-empty list or tuple of Tensors, got "
                            f"{type_name(start)}")
        if not unsafe:
            with no_grad():
                _check_same_kind(where, f"{type(first).__name__}", self(), value)

    def originals(self) -> list[Tensor]:
        """The tensors the parametrizations start from: Parameters, or buffers as Tensors."""
        names = ["original"] if self.is_tensor else [f"original{i}" for i in range(self.ntensors)]
        return [_as_tensor(getattr(self, name)) for name in names]

    def forward(self) -> Tensor:
        result = self[0](*self.originals())
        for parametrization in self._items[1:]:
            result = parametrization(result)
        return result

    def right_inverse(self, value: Any) -> None:
        """Write `value` into the originals: each parametrization's `right_inverse`, last
        first, turns it into what its input should be (a parametrization without one passes it
        on unchanged), under no_grad, as in PyTorch."""
        where = "assigning a parametrized tensor"
        if not isinstance(value, Tensor):
            value = Tensor(value)       # an array keeps its dtype; a list gets the default
        with no_grad():
            for parametrization in reversed(self._items):
                if hasattr(parametrization, "right_inverse"):
                    value = parametrization.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, (Tensor, np.ndarray)):
                    raise TypeError(f"{where}: right_inverse must return a Tensor here, got "
                                    f"{type_name(value)}")
                self._set_original("original", value, where)
            else:
                if not (isinstance(value, (list, tuple)) and len(value) == self.ntensors):
                    raise ValueError(f"{where}: {type(self[0]).__name__}.right_inverse must "
                                     f"return {self.ntensors} tensors, as it did when it was "
                                     f"registered, got {type_name(value)}")
                for i, part in enumerate(value):
                    self._set_original(f"original{i}", part, where)

    def _set_original(self, name: str, value: Any, where: str) -> None:
        held, array = getattr(self, name), _numbers(value)
        old = held.data if isinstance(held, Tensor) else held
        if array.dtype != old.dtype:
            raise TypeError(f"{where}: {name} holds {old.dtype}, the value is {array.dtype} "
                            f"(cast it first: .to({str(old.dtype)!r}))")
        if array.shape != old.shape and not self.unsafe:
            raise ValueError(f"{where}: {name} has shape {old.shape}, the value gives it "
                             f"shape {array.shape} (registered with unsafe=True, a "
                             f"parametrization may change shapes)")
        if isinstance(held, Tensor):
            _write_into(held, array)
        else:
            setattr(self, name, np.array(array))


def _numbers(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _as_tensor(held: Any) -> Tensor:
    """A Parameter or a buffer's Tensor as it is; an array (assigned to a buffer) as a Tensor
    sharing its numbers."""
    return held if isinstance(held, Tensor) else Tensor(held)


def _write_into(parameter: Tensor, value: Any) -> None:
    """Give `parameter` the numbers of `value`, keeping the object (optimizers and tied layers
    hold it): in place when the shape is the same, else as new data (PyTorch's `set_`)."""
    array = _numbers(value)
    if array is parameter.data:
        return
    with no_grad():
        if array.shape == parameter.shape and array.dtype == parameter.data.dtype:
            parameter.copy_(array)
        else:
            parameter.data = np.array(array)
            parameter._changed_in_place()
            parameter.grad = None


def _check_same_kind(where: str, what: str, result: Any, original: Tensor) -> None:
    """A parametrization must give a Tensor of the original's shape and dtype (a module's
    forward was written for them); `unsafe=True` skips this."""
    if not isinstance(result, Tensor):
        raise TypeError(f"{where}: {what} must return a Tensor, got {type_name(result)}")
    if result.shape != original.shape or result.data.dtype != original.data.dtype:
        raise ValueError(f"{where}: {what} changes the tensor from shape {original.shape}, "
                         f"{original.data.dtype} to shape {result.shape}, "
                         f"{result.data.dtype} (pass unsafe=True if the module is meant to "
                         f"get that)")


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """True if `module` has a parametrization on `tensor_name` (on any tensor, without one)."""
    parametrizations = module.__dict__.get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def type_before_parametrizations(module: Module) -> type:
    """The module's class as it was before any parametrization (`Linear` for a
    `ParametrizedLinear`)."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Make `module.<tensor_name>` (a parameter or a buffer) the output of `parametrization`;
    returns the module (see the top of this file). A second registration on the same name
    chains: its output is the next one's input.

    The parametrization is a Module whose `forward` takes the original tensor (or, when its
    optional `right_inverse(tensor)` returns several tensors, those) and returns the tensor.
    `right_inverse` also runs once at registration, so that the tensor keeps its value: the
    original is stored as it returns it. Unless `unsafe=True`, the result must keep the
    tensor's shape and dtype.
    """
    where = "register_parametrization"
    if not isinstance(module, Module):
        raise TypeError(f"{where}: the first argument is the module that holds the tensor, got "
                        f"{type_name(module)}")
    if not isinstance(parametrization, Module):
        hint = (" (wrap a function in a Module whose forward calls it)"
                if callable(parametrization) else "")
        raise TypeError(f"{where}: the parametrization must be a Module, got "
                        f"{type_name(parametrization)}{hint}")
    if not isinstance(tensor_name, str):
        raise TypeError(f"{where}: tensor_name must be a string such as 'weight', got "
                        f"{tensor_name!r}")
    if is_parametrized(module, tensor_name):
        chain = module.parametrizations[tensor_name]
        if not unsafe:
            what = type(parametrization).__name__
            with no_grad():
                current = getattr(module, tensor_name)
                _check_same_kind(where, what, parametrization(current), current)
                if hasattr(parametrization, "right_inverse"):
                    _check_same_kind(where, f"{what}.right_inverse",
                                     parametrization.right_inverse(current), current)
        chain.append(parametrization)
        chain.unsafe = chain.unsafe or unsafe
        return module
    original = _parametrizable(where, module, tensor_name)
    chain = ParametrizationList([parametrization], original, unsafe, where)
    delattr(module, tensor_name)                    # a parameter, or a buffer and its name
    if not is_parametrized(module):
        _inject_class(module)
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = chain
    _add_property(module, tensor_name)
    return module


def _parametrizable(where: str, module: Module, name: str) -> Any:
    """The parameter or buffer `name` of `module`, or an error saying which it has."""
    held = module.__dict__.get(name)
    if is_parameter(held) and isinstance(held, Tensor):
        return held
    if name in module.__dict__.get("_buffer_names", ()) and held is not None:
        return held
    names = [n for n, _ in module.named_parameters(recurse=False)] + \
            [n for n, _ in module.named_buffers(recurse=False)]
    if is_parameter(held):
        what = "a Value: parametrizations work on the Tensor layers"
    elif isinstance(held, Tensor):
        what = "a plain Tensor (not a Parameter or buffer)"
    elif held is None and name in module.__dict__:
        what = "None"
    else:
        what = "nothing of that name"
    hint = ""
    if "." in name:
        first, rest = name.rsplit(".", 1)
        hint = (f"; for a tensor of a sub-module pass the sub-module: "
                f"{where}(model.get_submodule({first!r}), {rest!r}, ...)")
    raise ValueError(f"{where}: {type(module).__name__} has no parameter or buffer {name!r} "
                     f"({what}; its own: {names or 'none'}){hint}")


def _add_property(module: Module, name: str) -> None:
    setattr(type(module), name, property(_getter(name), _setter(name)))


def _getter(name: str) -> Any:
    def get(module: Module) -> Tensor:
        chain = module.parametrizations[name]
        if not _cache_depth:
            return chain()
        key = (id(module), name)
        if key not in _cache:
            _cache[key] = chain()
        return _cache[key]
    get.__doc__ = f"{name}, computed by its parametrizations (`parametrizations.{name}`)"
    return get


def _setter(name: str) -> Any:
    def set(module: Module, value: Any) -> None:
        _assign(module, name, value)
    return set


def _assign(module: Module, name: str, value: Any) -> None:
    """Write `value` into the originals of `module.<name>`; inside `cached()` the next read
    computes the tensor afresh (PyTorch's cache would give the value from before)."""
    module.parametrizations[name].right_inverse(value)
    _cache.pop((id(module), name), None)


def _inject_class(module: Module) -> None:
    """Give `module` a class of its own, a subclass of its class named `Parametrized<name>`,
    on which the parametrized tensors become properties (a property lives on a class, and
    other modules of the class must keep their plain tensors)."""
    cls = type(module)

    def __setattr__(self: Module, name: str, value: Any) -> None:
        # assigning a parametrized tensor goes to its setter (the module's checks of what may
        # replace a parameter are for parameters, which this name no longer holds)
        if is_parametrized(self, name):
            _assign(self, name, value)
        else:
            cls.__setattr__(self, name, value)

    def __deepcopy__(self: Module, memo: dict) -> Module:
        # the copy gets a class of its own: removing a parametrization from one module takes
        # its property away from the class, which must not change the other module
        replica = object.__new__(cls)
        memo[id(self)] = replica
        replica.__dict__.update(copy.deepcopy(self.__dict__, memo))
        _inject_class(replica)
        for name in replica.parametrizations:
            _add_property(replica, name)
        return replica

    def reset_parameters(self: Module, *args: Any, **kwargs: Any) -> None:
        # the layer's own reset writes into `self.weight` in place, which here is computed
        # (writing into it changed nothing): it writes into plain Parameters of the tensors'
        # shapes instead, whose numbers are then assigned to the tensors (through right_inverse,
        # as if the parametrizations were registered now)
        names = list(self.parametrizations)
        with no_grad():
            drawn = {name: Parameter(np.array(getattr(self, name).data)) for name in names}
        parametrized = type(self)
        self.__class__ = cls
        self.__dict__.update(drawn)
        try:
            cls.reset_parameters(self, *args, **kwargs)
        finally:
            for name in names:
                del self.__dict__[name]
            self.__class__ = parametrized
        for name in names:
            setattr(self, name, drawn[name].data)

    own = {"__setattr__": __setattr__, "__deepcopy__": __deepcopy__,
           "__module__": cls.__module__, "__doc__": f"{cls.__name__} with parametrized tensors"}
    if hasattr(cls, "reset_parameters"):
        own["reset_parameters"] = reset_parameters
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), own)


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Take the parametrizations of `tensor_name` away; returns the module (its class is the
    original one again once none is left).

    `leave_parametrized=True` (the default) keeps the tensor's current value, as a Parameter
    (a buffer if it was one): `original` itself, with the value written into it, so an
    optimizer that holds it goes on training it. `leave_parametrized=False` puts `original`
    back as it is, which is only possible when it is one tensor.
    """
    where = "remove_parametrizations"
    if not isinstance(module, Module):
        raise TypeError(f"{where}: the first argument is the module, got {type_name(module)}")
    if not is_parametrized(module, tensor_name):
        held = list(module.parametrizations) if is_parametrized(module) else []
        raise ValueError(f"{where}: {type(module).__name__} has no parametrization on "
                         f"{tensor_name!r} (its parametrized tensors: {held or 'none'})")
    chain = module.parametrizations[tensor_name]
    if chain.is_tensor:
        original = chain.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            if isinstance(original, Tensor):
                _write_into(original, value)
            else:
                original = Tensor(np.array(_numbers(value)))
    elif leave_parametrized:
        with no_grad():
            value = getattr(module, tensor_name)
        trains = is_parameter(chain.original0)
        original = Parameter(np.array(value.data), requires_grad=chain.original0.requires_grad) \
            if trains else Tensor(np.array(value.data))
    else:
        raise ValueError(f"{where}: leave_parametrized=False puts the original tensor back, "
                         f"but {tensor_name!r} is computed from {chain.ntensors} tensors "
                         f"(original0, ...), none of which is the tensor; use "
                         f"leave_parametrized=True")
    delattr(type(module), tensor_name)              # the property goes first, then the chain
    del module.parametrizations[tensor_name]
    if not module.parametrizations:
        del module.parametrizations
        module.__class__ = type(module).__bases__[0]
    if is_parameter(original):
        setattr(module, tensor_name, original)
    else:                                           # a buffer, a constant Tensor
        module.register_buffer(tensor_name, original)
    return module

