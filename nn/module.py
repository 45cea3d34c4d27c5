"""`Module` and `Parameter`: what every model is built from. (The containers, `ModuleList`,
`ModuleDict`, `ParameterList` and `ParameterDict`, live in `nn.containers`.)

A module finds its parameters by looking at its own attributes, in the order they were assigned:

- a `Parameter` (a Tensor that trains), or a `Value` leaf that wants a gradient (scalar models);
- another `Module` (a child, whose parameters get dotted names: ``"layers.0.weight"``);
- a list or tuple of either (``self.neurons = [Neuron(...), ...]``, ``self.w = [Value(...), ...]``),
  named by position.

Unlike PyTorch, a plain list or tuple of modules is registered (PyTorch needs `nn.ModuleList`;
`ModuleList` works here too). Assignments that would silently lose parameters raise a TypeError
instead: a plain Tensor (or anything but a Parameter or None) over a parameter, anything but a
Module, a Parameter or None over a module, a Tensor that requires grad but is no Parameter (wrap
it: `Parameter(values)`), a plain dict of modules (use `ModuleDict`), and a list inside a list
(only one level is searched).

There is no registry to keep in step: the attributes are the truth, so a model can be written
like micrograd's (no `super().__init__()` needed) and still get `named_parameters()`,
`state_dict()` and the rest.

>>> import numpy as np
>>> from nn import Module, Parameter
>>> class Affine(Module):
...     def __init__(self):
...         self.scale = Parameter(np.ones(2))
...         self.shift = Parameter(np.zeros(2))
...     def forward(self, x):
...         return x * self.scale + self.shift
>>> [name for name, _ in Affine().named_parameters()]
['scale', 'shift']
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import sys
from collections import OrderedDict
from collections.abc import Mapping, MutableMapping
from types import BuiltinFunctionType, FunctionType
from typing import Any, Callable, Iterable, Iterator, NamedTuple

import numpy as np

from autograd import Tensor, Value, no_grad
from autograd.graph import Node, checked_requires_grad
from autograd.hooks import RemovableHandle as TensorHookHandle
from autograd.pytorch_names import note_numpy_attribute
from autograd.devices import NO_GPU, to_arguments
from autograd.warn import warn

from .meta_device import is_meta, to_meta
from .state_dict import (  # noqa: F401  (uncalled_method: nn.io reads it here, as as_array)
    _detached, _nested_hint, _numbers_of, _prefix_hint, _reparametrized_hint, _shape_report,
    _what, as_array, uncalled_method,
)

__all__ = ["Parameter", "Module", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
           "IncompatibleKeys",
           "StateDictKeyError", "StateDictShapeError", "RemovableHandle"]


class IncompatibleKeys(NamedTuple):
    """What `Module.load_state_dict` did not match: the model's names that the state lacks, and
    the state's names that the model does not have (both empty after a strict load)."""
    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


class StateDictKeyError(RuntimeError, KeyError):
    """A strict `load_state_dict` found names missing from the state, or names the model does
    not have. PyTorch raises a RuntimeError here, so this is one; it is a KeyError too, as
    glassgrad's error was before, so `except RuntimeError` and `except KeyError` both catch it.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""   # KeyError's str() would add quotes


class StateDictShapeError(RuntimeError, ValueError):
    """`load_state_dict` found arrays whose shapes are not the model's: a RuntimeError, as in
    PyTorch, and a ValueError, as glassgrad's error was before (a wrong shape is a bad value)."""


class Parameter(Tensor):
    """A Tensor that a `Module` trains: it requires grad and is registered on assignment.
    `requires_grad=False` (by keyword) makes a frozen one: still registered and saved, not
    trained until `requires_grad_()`.

    >>> Parameter([1.0, 2.0])
    Parameter([1., 2.], requires_grad=True)

    Like PyTorch's, it takes attributes of the user's own (as every Tensor does): AdaHessian
    keeps each parameter's Hessian diagonal in `p.hess`.
    """

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = None, label: str = "", *,
                 requires_grad: bool = True) -> None:
        if isinstance(dtype, (bool, np.bool_)):     # PyTorch's Parameter(data, requires_grad)
            raise TypeError(f"Parameter: the second argument is the dtype, got {dtype!r}; "
                            f"pass requires_grad={dtype} by keyword")
        super().__init__(data, requires_grad=checked_requires_grad("Parameter", requires_grad),
                         dtype=dtype, label=label)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


def is_parameter(x: Any) -> bool:
    """True for what modules train: a `Parameter`, or a `Value` leaf that wants a gradient."""
    if isinstance(x, Parameter):
        return True
    return isinstance(x, Value) and x.is_leaf and x.requires_grad


def parameter_dtype(module: Module) -> np.dtype | None:
    """The floating dtype shared by all of `module`'s floating parameters, or None when it has
    none, they differ, or it is a scalar model (Values). `fit`, `evaluate` and the models'
    `predict` give their data this dtype (see `as_parameter_dtype`).

    >>> from nn import Linear
    >>> parameter_dtype(Linear(2, 1)), parameter_dtype(Linear(2, 1, dtype=np.float64))
    (dtype('float32'), dtype('float64'))
    """
    dtypes = set()
    for parameter in module.parameters():
        if not isinstance(parameter, Tensor):
            return None
        if parameter.dtype.kind == "f":
            dtypes.add(parameter.dtype)
    return dtypes.pop() if len(dtypes) == 1 else None


def as_parameter_dtype(values: Any, dtype: np.dtype | None, where: str) -> Any:
    """`values` (a batch's x or y: an array, a Tensor, or a tuple, list or dict of them) with
    its floating arrays cast to `dtype`, the model's (`parameter_dtype`): float64 data (what
    `np.load`, `/ 255.0` and pandas give) then trains a float32 model in float32, as if given
    `X.astype(np.float32)`, instead of computing every layer in float64. Integers (labels,
    token ids) and bools stay as they are; an array already of `dtype` is not copied. A number
    too large for `dtype` is an error naming `where`, not a silent infinity.

    >>> x = as_parameter_dtype((np.ones(2), np.arange(2)), np.dtype(np.float32), "fit")
    >>> x[0].dtype, x[1].dtype
    (dtype('float32'), dtype('int64'))
    """
    if dtype is None:
        return values
    if isinstance(values, dict):
        return {key: as_parameter_dtype(value, dtype, where) for key, value in values.items()}
    if isinstance(values, (tuple, list)):
        parts = [as_parameter_dtype(value, dtype, where) for value in values]
        return type(values)(*parts) if hasattr(values, "_fields") else type(values)(parts)
    if isinstance(values, Tensor) and not values.requires_grad:    # (one that does is yours)
        cast = _cast_floats(values.data, dtype, where)
        return values if cast is values.data else Tensor(cast)
    if isinstance(values, np.ndarray):
        return _cast_floats(values, dtype, where)
    return values


def _cast_floats(array: np.ndarray, dtype: np.dtype, where: str) -> np.ndarray:
    if array.dtype.kind != "f" or array.dtype == dtype:
        return array
    with np.errstate(over="raise"):
        try:
            return array.astype(dtype)
        except FloatingPointError:
            raise ValueError(f"{where} holds numbers up to {np.abs(array).max():.4g}, beyond "
                             f"{dtype.name}'s largest, {np.finfo(dtype).max:.4g}; the model's "
                             f"parameters are {dtype.name}, so its data are cast to "
                             f"{dtype.name}: scale the data down, or make the model "
                             f"float64 (model.double())") from None


class _Replacements:
    """How many parameters `note_replaced` has marked: while none, an optimizer's step has no
    replaced parameter to look for (it looks only when some of its parameters got no
    gradient)."""

    count = 0


def note_replaced(old: Any, new: Any, where: str) -> None:
    """Mark the parameters of `old` (a Parameter or a Module) that `new` replaced at `where`
    (`'Net.fc'`, `'Sequential[2]'`), so that an optimizer made before the replacement can say
    why they get no gradient while the new ones are not trained: the transfer-learning slip of
    `model.fc = Linear(512, 10)` after `optimizer = SGD(model.parameters())` (PyTorch's step
    is silent). A parameter the new part keeps (`model.head = Sequential(model.head, ReLU())`)
    is left unmarked."""
    olds = [old] if isinstance(old, Parameter) else (
        old.parameters() if isinstance(old, Module) else ())
    if not olds:
        return
    news = [new] if isinstance(new, Parameter) else (
        list(new.parameters()) if isinstance(new, Module) else [])
    kept = set(map(id, news))
    for p in olds:
        if isinstance(p, Parameter) and id(p) not in kept:
            p.__dict__["_replaced_by"] = (where, news)
            _Replacements.count += 1


def replaced_parameter_note(p: Any) -> tuple[str, list] | None:
    """What `note_replaced` noted on `p`: (where, the parameters that replaced it), or None."""
    return p.__dict__.get("_replaced_by") if isinstance(p, Parameter) else None


class _Hint:
    """A method some models have (`LinearRegression.predict`) and a Module lacks, as a class
    attribute that raises when read: the AttributeError says what to write instead. A
    subclass's own method of that name replaces it, and `hasattr` stays False."""

    def __init__(self, hint: str) -> None:
        self.hint = hint

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {self.name!r}; "
                             f"{self.hint}")

    def __repr__(self) -> str:
        return f"<no {self.name}: {self.hint}>"


class Parameters(list):
    """What `Module.parameters()` returns: a list, as micrograd's (`len(model.parameters())`,
    `model.parameters()[0]`), which `next()` also reads one parameter after another, as it
    reads PyTorch's generator (`next(model.parameters()).dtype`)."""

    __slots__ = ("_read",)

    def __init__(self, parameters: Iterable[Node] = ()) -> None:
        super().__init__(parameters)
        self._read = 0                  # how many next() has given

    def __next__(self) -> Node:
        if self._read >= len(self):
            raise StopIteration
        self._read += 1
        return self[self._read - 1]


class Module:
    """Base class of layers and models: subclass it, assign parts in `__init__`, write `forward`.

    Calling a module calls its `forward`. `training` is True until `eval()` (it changes what
    `Dropout` and `BatchNorm*d` do).

    >>> from nn import Linear, Module
    >>> class TwoLayers(Module):
    ...     def __init__(self):
    ...         self.hidden = Linear(3, 4)
    ...         self.out = Linear(4, 1)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    >>> [name for name, _ in TwoLayers().named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training: bool = True       # a class default, so subclasses need not call __init__
    _hooked: bool = False       # True while forward hooks are registered (see __call__)
    #: buffers a state may leave out; `load_state_dict` then keeps their values (BatchNorm's
    #: num_batches_tracked, which PyTorch fills in the same way: its old checkpoints lack it)
    _optional_state: tuple[str, ...] = ()
    #: attributes that hold a subclass's parts but that `_members` must not list as themselves
    #: (a container's list of entries, which it lists by position)
    _held_apart: tuple[str, ...] = ()
    predict = _Hint("a model does not know whether it regresses or classifies (its loss "
                    "does): model(X) gives its outputs, a regressor's predictions; "
                    "model(X).argmax(1) the classes, for one output per class; "
                    "nn.train.predict_labels(model(X).numpy(), None, loss_fn) the labels by "
                    "fit's rule for that loss")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:      # PyTorch's tutorials set weights up in there
            cls.__init__ = _noting_numpy_attributes(cls.__dict__["__init__"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Nothing to set up (a subclass need not call it); arguments passed up are a mistake
        if args or kwargs:
            name = type(self).__name__
            raise TypeError(f"Module.__init__() takes no arguments, but {name} passed "
                            f"{len(args) + len(kwargs)}: the settings are {name}'s own; keep "
                            f"them as attributes (self.size = size) and call "
                            f"super().__init__() without them")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        name = type(self).__name__
        own = [a for a in dir(type(self)) if not hasattr(Module, a)]    # not forward_batch
        close = difflib.get_close_matches("forward", own, n=1)
        hint = f" (it has {close[0]!r}: a misspelling?)" if close else ""
        if not close and type(self).__module__ == "nn.containers":
            hint = _CONTAINER_CALLED.get(name, "")
        raise NotImplementedError(f"{name} must define forward(){hint}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:                                # (free in Python 3.11+ until something raises)
            if self._hooked:                # the only cost of hooks to a module without any
                return self._call_with_hooks(args, kwargs)
            return self.forward(*args, **kwargs)
        except AttributeError as err:       # PyTorch's x.data.to(...) in a forward
            note_numpy_attribute(err)
            raise

    # -- forward hooks -------------------------------------------------------------------------

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """PyTorch's forward pre-hook: `hook(module, args)` runs before each `forward`; it
        returns None, or new positional arguments (a tuple; anything else is one argument).
        With `with_kwargs=True` it is `hook(module, args, kwargs)` and returns None or
        `(args, kwargs)`. `prepend=True` runs it before the hooks already registered. Returns
        a handle whose `.remove()` takes the hook away.

        >>> from nn import Linear
        >>> layer = Linear(2, 1)
        >>> handle = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
        >>> float(layer(np.ones((1, 2))).item()) == float(layer.bias.item())
        True
        >>> handle.remove()
        """
        return self._add_hook("_forward_pre_hooks", "register_forward_pre_hook", hook,
                              prepend, with_kwargs)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """PyTorch's forward hook: `hook(module, args, output)` runs after each `forward`; it
        returns None, or an output that replaces the module's. With `with_kwargs=True` it is
        `hook(module, args, kwargs, output)`. With `always_call=True` it runs also when the
        call fails (a pre-hook, `forward` or an earlier hook raising), with output None, before
        the error goes on, as in PyTorch (an error of its own is then a warning). Returns a
        handle whose `.remove()` takes the hook away (it is a context manager too).

        Keeping a layer's output this way also gives its gradient: every node keeps its
        `.grad` after backward here (PyTorch needs `retain_grad()` or a backward hook).

        >>> from nn import Linear, ReLU, Sequential
        >>> model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
        >>> kept = {}
        >>> with model[0].register_forward_hook(lambda m, args, out: kept.update(h=out)):
        ...     model(np.ones((4, 2))).sum().backward()
        >>> kept["h"].shape, kept["h"].grad.shape
        ((4, 3), (4, 3))
        """
        handle = self._add_hook("_forward_hooks", "register_forward_hook", hook, prepend,
                                with_kwargs)
        if always_call:                     # straight into __dict__, as the hooks are
            self.__dict__.setdefault("_always_called_hooks", set()).add(handle.id)
        return handle

    def _add_hook(self, kind: str, method: str, hook: Callable, prepend: bool,
                  with_kwargs: bool) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}.{method}: the hook must be callable, got "
                            f"{_what_called(hook)}")
        call = {("_forward_pre_hooks", False): "hook(module, args)",
                ("_forward_pre_hooks", True): "hook(module, args, kwargs)",
                ("_forward_hooks", False): "hook(module, args, output)",
                ("_forward_hooks", True): "hook(module, args, kwargs, output)"}[kind,
                                                                                bool(with_kwargs)]
        _check_hook_arguments(self, method, hook, call, call.count(",") + 1)
        hooks = self.__dict__.get(kind)
        if hooks is None:                   # straight into __dict__: no parameter checks
            hooks = self.__dict__[kind] = {}
        handle = RemovableHandle(self, kind)
        hooks[handle.id] = hook             # the hooks themselves, as PyTorch's dict holds
        if with_kwargs:                     # them (code reads hook._tensor_name from it)
            self.__dict__.setdefault(kind + "_with_kwargs", set()).add(handle.id)
        if prepend:
            for key in list(hooks)[:-1]:    # move the others behind the new one
                hooks[key] = hooks.pop(key)
        self.__dict__["_hooked"] = True
        return handle

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        """`forward` between the pre-hooks and the hooks, in PyTorch's order and rules; when
        any of them raises, the `always_call` hooks not yet run are run before the error goes
        on."""
        called: set[int] = set()
        try:
            return self._hooked_forward(args, kwargs, called)
        except Exception:
            always = self.__dict__.get("_always_called_hooks", set())
            with_kwargs = self.__dict__.get("_forward_hooks_with_kwargs", ())
            for key, hook in tuple(self.__dict__.get("_forward_hooks", {}).items()):
                if key in always and key not in called:
                    try:
                        hook(self, args, kwargs, None) if key in with_kwargs \
                            else hook(self, args, None)
                    except Exception as error:      # the first error is the one to see
                        warn(f"{type(self).__name__}: a forward hook with always_call=True "
                             f"raised {type(error).__name__}: {error}; it is left out, and "
                             f"the error of the call goes on")
            raise

    def _hooked_forward(self, args: tuple, kwargs: dict, called: set[int]) -> Any:
        """The pre-hooks, `forward` and the hooks; `called` collects the hooks that ran."""
        pre_with_kwargs = self.__dict__.get("_forward_pre_hooks_with_kwargs", ())
        for key, hook in tuple(self.__dict__.get("_forward_pre_hooks", {}).items()):
            if key in pre_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{type(self).__name__}: a forward pre-hook with "
                                           f"with_kwargs=True must return None or a tuple "
                                           f"(args, kwargs), got {type(result).__name__}")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        with_kwargs = self.__dict__.get("_forward_hooks_with_kwargs", ())
        for key, hook in tuple(self.__dict__.get("_forward_hooks", {}).items()):
            called.add(key)
            result = hook(self, args, kwargs, output) if key in with_kwargs \
                else hook(self, args, output)
            if isinstance(result, (RemovableHandle, TensorHookHandle)):
                # a lambda's value: `lambda m, args, out: out.register_hook(fn)` returns a handle
                raise TypeError(f"{type(self).__name__}: a forward hook returned a "
                                f"{type(result).__name__} (what register_hook returns), which "
                                f"would replace the module's output; a forward hook returns "
                                f"None, or the output to use instead: write it as a def")
            if result is not None:
                output = result
        return output

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> None:
        """Refused: glassgrad has no backward hooks (see the error for what to do instead)."""
        raise NotImplementedError(_no_backward_hooks(self, "register_full_backward_hook"))

    def register_backward_hook(self, hook: Callable) -> None:
        """Refused: glassgrad has no backward hooks (see the error for what to do instead)."""
        raise NotImplementedError(_no_backward_hooks(self, "register_backward_hook"))

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> None:
        """Refused: glassgrad has no backward hooks (see the error for what to do instead)."""
        raise NotImplementedError(_no_backward_hooks(self, "register_full_backward_pre_hook"))

    def __setattr__(self, name: str, value: Any) -> None:
        # Assignments that would silently drop parameters from training and checkpoints are
        # refused here, where they happen: over a parameter, anything but a parameter or None;
        # over a module, anything but a module, a parameter or None;
        # under any name, new or not, a Tensor that requires grad (alone or in a list), a
        # PyTorch layer or a PyTorch tensor that requires grad (alone or in a list, tuple or
        # dict), a plain dict of modules or parameters, or lists in a list that hold them. A
        # Parameter always goes in.
        # (a module or a parameter under a method's name: the cheap tests first, as every
        # assignment to a module comes here)
        if name == "training" and value.__class__ is bool:
            # train() and eval() set it on every module, and no part can be held under this
            # name (every check below passes a bool; they cost 2 µs a module)
            object.__setattr__(self, name, value)
            return
        if isinstance(value, (Module, Node, list, tuple)) and _is_method_name(type(self), name) \
                and _holds_parts(value if isinstance(value, (list, tuple)) else (value,)):
            raise TypeError(_method_name_taken(self, name, value))
        if not isinstance(value, Parameter):
            old = self.__dict__.get(name)
            if old is not None and value is not None and is_parameter(old) \
                    and not is_parameter(value):
                raise TypeError(_replaced_parameter(self, name, value))
            if isinstance(old, Module) and value is not None and not isinstance(value, Module) \
                    and not is_parameter(value):
                raise TypeError(f"{type(self).__name__}.{name} holds a module, which only a "
                                f"Module or None may replace (its parameters would leave "
                                f"training and checkpoints silently; `del model.{name}` removes "
                                f"it), got {_not_a_module(value)}")
            if _is_trainable_tensor(value) or (isinstance(value, (list, tuple))
                                               and any(map(_is_trainable_tensor, value))):
                raise TypeError(f"{type(self).__name__}.{name}: a Tensor that requires grad is "
                                f"not a parameter: no optimizer of model.parameters() would "
                                f"train it and no checkpoint would save it; wrap it, "
                                f"nn.Parameter(values); if it is not meant to train, make it "
                                f"with requires_grad=False, or keep it outside the module (an "
                                f"input kept for its gradient)")
            if value.__class__ is Tensor and not value.is_leaf and value.requires_grad:
                lost = _lost_leaf(value)
                if lost is not None:
                    raise TypeError(_lost_leaf_message(self, name, value, lost))
            torch_part = _pytorch_part(value)       # itself, or in a list, tuple or dict
            if torch_part is not None:
                raise TypeError(_pytorch_refusal(self, name, value, torch_part))
            if isinstance(value, dict) and _holds_parts(value.values()):
                raise TypeError(f"{type(self).__name__}.{name}: a plain dict of modules or "
                                f"parameters is not registered (they would not be trained or "
                                f"saved); use nn.ModuleDict({{...}}), or a list or Sequential")
            if isinstance(value, (list, tuple)) and any(
                    isinstance(item, (list, tuple, dict)) and _holds_parts(item)
                    for item in value):
                raise TypeError(f"{type(self).__name__}.{name}: modules or parameters in a "
                                f"list inside a list are not registered (only one level is "
                                f"searched); use a flat list, or a list of nn.Sequential(...) "
                                f"or nn.ModuleList(...)")
        old = self.__dict__.get(name)
        if old is not None and old is not value and isinstance(old, (Module, Parameter)):
            note_replaced(old, value, f"{type(self).__name__}.{name}")
        buffers = self.__dict__.get("_buffer_names", ())
        if name in buffers:
            if isinstance(value, Module) or is_parameter(value):
                buffers.remove(name)            # it becomes a child or a parameter (PyTorch too)
                self.__dict__.get("_non_persistent_buffers", set()).discard(name)
            elif value is not None:
                value = _buffer_value(self, name, value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        buffers = self.__dict__.get("_buffer_names", ())
        if name in buffers:
            buffers.remove(name)
            self.__dict__.get("_non_persistent_buffers", set()).discard(name)
        if name not in self.__dict__ and not hasattr(type(self), name):
            # said here, as Python 3.11+ says it: 3.10's message is the bare name ("act")
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        object.__delattr__(self, name)

    def forward_batch(self, X: Any) -> Any:
        """The outputs for a batch of samples (rows of `X`): a tensor model takes the whole
        batch at once; the scalar models of `nn.scalar` go one sample at a time."""
        return self(X)

    # -- what a module holds ---------------------------------------------------------------------

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(name, item) for the attributes that are parameters or modules, lists unpacked."""
        return iter(_own_members(self))

    def _child_modules(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for every direct sub-module, a shared one under each of its names."""
        for name, item in self._members():
            if isinstance(item, Module):
                yield name, item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names; one held under two names (the same layer
        twice in a Sequential) comes once, under its first, as in PyTorch."""
        seen: set[int] = set()
        for name, child in self._child_modules():
            if id(child) not in seen:
                seen.add(id(child))
                yield name, child

    @property
    def _modules(self) -> MutableMapping[str, Module]:
        """PyTorch's `self._modules`, the direct sub-modules by name, as a live view: reading it
        lists them (`for block in self._modules.values()`), `self._modules["0"] = layer` is
        `self.add_module("0", layer)` and `del self._modules["0"]` removes it."""
        return _ChildrenView(self)

    def children(self) -> Iterator[Module]:
        """The direct sub-modules (`named_children` without the names)."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every module inside it, parents before children; a shared one once,
        or under each of its names with `remove_duplicate=False` (a module is never its own
        descendant, so a back-reference to a parent does not loop)."""
        seen: set[int] = set()
        stack = [(prefix, self, frozenset())]
        while stack:
            name, module, ancestors = stack.pop()
            if id(module) in seen or id(module) in ancestors:
                continue
            if remove_duplicate:
                seen.add(id(module))
            yield name, module
            inside = ancestors | {id(module)}
            children = [(f"{name}.{child_name}" if name else child_name, child, inside)
                        for child_name, child in module._child_modules()]
            stack.extend(reversed(children))        # reversed: pop in declaration order

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it (`named_modules` without the names)."""
        for _, module in self.named_modules():
            yield module

    def get_submodule(self, target: str) -> Module:
        """The module at the dotted name `target` (``"encoder.layers.0"``, as `named_modules`
        names it; "" is this module), as PyTorch's; an AttributeError names the part that is
        missing.

        >>> from nn import Linear, ReLU, Sequential
        >>> Sequential(Linear(2, 3), ReLU()).get_submodule("1")
        ReLU()
        """
        if not isinstance(target, str):
            raise TypeError(f"{type(self).__name__}.get_submodule: the target is a dotted name "
                            f"such as 'layers.0', got {target!r}")
        module, path, parts = self, [], target.split(".") if target else []
        while parts:
            children = dict(module._child_modules())
            # a plain list attribute names its modules "blocks.0": one child, two parts
            name = next((".".join(parts[:n]) for n in (1, 2)
                         if ".".join(parts[:n]) in children and n <= len(parts)), None)
            if name is None:
                where = f" (at {'.'.join(path)!r})" if path else ""
                held = vars(module).get(parts[0])
                missing, note = parts[0], ""
                if isinstance(held, (list, tuple)) and len(parts) > 1:
                    missing = f"{parts[0]}.{parts[1]}"      # past the end of a plain list
                elif is_parameter(held):
                    note = f"{missing!r} is a parameter, not a Module; "
                elif held is not None:
                    note = f"{missing!r} holds {type(held).__name__}, not a Module; "
                raise AttributeError(f"{type(self).__name__}.get_submodule({target!r}): "
                                     f"{type(module).__name__}{where} has no submodule "
                                     f"{missing!r} ({note}its submodules: "
                                     f"{list(children) or 'none'})")
            module = children[name]
            path.append(name)
            parts = parts[name.count(".") + 1:]
        return module

    def get_parameter(self, target: str) -> Node:
        """The parameter at the dotted name `target` (``"encoder.0.weight"``, as
        `named_parameters` names it), as PyTorch's; an AttributeError says what is there
        instead.

        >>> from nn import Linear, Sequential
        >>> Sequential(Linear(2, 3)).get_parameter("0.bias").shape
        (3,)
        """
        return self._get_item("get_parameter", "parameter", target,
                              self.named_parameters(remove_duplicate=False),
                              Module._own_parameters)

    def get_buffer(self, target: str) -> np.ndarray | Tensor:
        """The buffer at the dotted name `target` (``"bn.running_mean"``, as `named_buffers`
        names it), as PyTorch's; an AttributeError says what is there instead."""
        return self._get_item("get_buffer", "buffer", target,
                              self.named_buffers(remove_duplicate=False), Module._own_buffers)

    def _get_item(self, method: str, kind: str, target: Any,
                  named: Iterable[tuple[str, Any]], own: Callable) -> Any:
        """`get_parameter`'s and `get_buffer`'s look-up of `target` among `named`."""
        if not isinstance(target, str):
            raise TypeError(f"{type(self).__name__}.{method}: the target is a dotted name such "
                            f"as '0.weight', got {target!r}")
        found = dict(named)
        if target in found:
            return found[target]
        call = f"{type(self).__name__}.{method}({target!r})"
        path, _, name = target.rpartition(".")
        try:
            module = self.get_submodule(target)
        except AttributeError:
            pass
        else:
            raise AttributeError(f"{call}: {target!r} is a module ({type(module).__name__}), "
                                 f"not a {kind}")
        try:
            module = self.get_submodule(path)
        except AttributeError as error:     # says which part of the path is missing
            raise AttributeError(f"{call}: {str(error).split(': ', 1)[1]}") from None
        where = f" (at {path!r})" if path else ""
        held = vars(module).get(name)
        note = f"{name!r} holds {type(held).__name__}, not a {kind}; " if held is not None \
            else ""
        names = [n for n, _ in own(module)]
        raise AttributeError(f"{call}: {type(module).__name__}{where} has no {kind} {name!r} "
                             f"({note}its {kind}s: {names or 'none'})")

    def _own_parameters(self) -> Iterator[tuple[str, Node]]:
        """(name, parameter) for this module's own parameters, not its children's."""
        for name, item in self._members():
            if not isinstance(item, Module):
                yield name, item

    def _own_buffers(self) -> Iterator[tuple[str, np.ndarray | Tensor]]:
        """(name, buffer) for this module's own buffers that are not None."""
        for name in self.__dict__.get("_buffer_names", ()):
            value = getattr(self, name)
            if value is not None:
                yield name, value

    def _own_persistent_buffers(self) -> Iterator[tuple[str, np.ndarray | Tensor]]:
        """`_own_buffers` without those registered with `persistent=False` (not in the state)."""
        left_out = self.__dict__.get("_non_persistent_buffers", ())
        for name, value in self._own_buffers():
            if name not in left_out:
                yield name, value

    def _walk(self, prefix: str = "", remove_duplicate: bool = True,
              recurse: bool = True) -> list[tuple[str, Module, list[tuple[str, Any]]]]:
        """(name, module, its `_members()`) for the modules of `named_modules`, in its order
        (or for this one only, without `recurse`). Each module's attributes are read once,
        for its parameters and its children alike: `named_modules` followed by
        `_own_parameters` read them twice, and the generators stacked on generators cost more
        than the reading (a 2-layer transformer's parameters(): see docs/measurements.md,
        "overhead")."""
        if not recurse:
            return [(prefix, self, _listed_members(self))]
        if not remove_duplicate:
            return self._walk_every_name(prefix)
        walked = []
        seen: set[int] = set()              # (a module is never its own descendant: `seen`
        stack = [(prefix, self)]            # holds the ancestors, so a back-reference stops)
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            members = _listed_members(module)
            walked.append((name, module, members))
            children = None
            for child_name, child in members:
                if child.__class__ is not Parameter and isinstance(child, Module):
                    if children is None:
                        at = f"{name}." if name else ""
                        children = [(at + child_name, child)]
                    else:
                        children.append((at + child_name, child))
            if children is not None:
                children.reverse()          # reversed: pop in declaration order
                stack += children
        return walked

    def _walk_every_name(self, prefix: str) -> list[tuple[str, Module, list[tuple[str, Any]]]]:
        """`_walk` with `remove_duplicate=False`: a shared module under each of its names, so
        the walk carries each module's ancestors (a back-reference to one must not loop)."""
        walked = []
        stack = [(prefix, self, frozenset())]
        while stack:
            name, module, ancestors = stack.pop()
            key = id(module)
            if key in ancestors:
                continue
            members = _listed_members(module)
            walked.append((name, module, members))
            inside = ancestors | {key}
            children = [(f"{name}.{child_name}" if name else child_name, child, inside)
                        for child_name, child in members if isinstance(child, Module)]
            stack.extend(reversed(children))        # reversed: pop in declaration order
        return walked

    def _named(self, own: Callable | None, prefix: str, recurse: bool,
               remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        """`own(module)`'s items of every module (or of this one only), with dotted names; with
        `own` None, the modules' parameters."""
        seen: set[int] = set()
        for module_name, module, members in self._walk(prefix, remove_duplicate, recurse):
            at = f"{module_name}." if module_name else ""
            for name, item in (members if own is None else own(module)):
                if own is None and item.__class__ is not Parameter and isinstance(item, Module):
                    continue
                if id(item) not in seen:
                    if remove_duplicate:
                        seen.add(id(item))
                    yield at + name, item

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Node]]:
        """Every parameter with its dotted name (``"layers.1.weight"``); a shared one once, or
        under each of its names with `remove_duplicate=False` (as `state_dict()` lists them);
        with `recurse=False` only this module's own, not its children's.

        Parameters of a module come before those of its children, as in PyTorch.

        >>> from nn import Linear, ReLU, Sequential
        >>> model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
        >>> [(name, p.shape) for name, p in model.named_parameters()]
        [('0.weight', (3, 2)), ('0.bias', (3,)), ('2.weight', (1, 3)), ('2.bias', (1,))]
        """
        return self._named(None, prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Parameters:
        """The parameters as a list (micrograd's API: `model.parameters()`), in the order of
        `named_parameters()`; `next()` reads it too, as PyTorch's generator.

        >>> from nn import Linear
        >>> [p.shape for p in Linear(2, 3).parameters()]
        [(3, 2), (3,)]
        >>> next(Linear(2, 3).parameters()).dtype       # PyTorch's way to ask a model's dtype
        dtype('float32')
        """
        # without the names, which only named_parameters() needs; a module is no parameter,
        # so one set of ids holds both the modules walked and the parameters listed
        params, seen = Parameters(), set()
        stack = [self]
        while stack:
            module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            children = None
            for _, item in _listed_members(module):
                if item.__class__ is not Parameter and isinstance(item, Module):
                    if recurse:
                        if children is None:
                            children = [item]
                        else:
                            children.append(item)
                elif id(item) not in seen:
                    seen.add(id(item))
                    params.append(item)
            if children is not None:
                children.reverse()              # reversed: pop in declaration order
                stack += children
        return params

    def register_buffer(self, name: str, value: Any, persistent: bool = True) -> None:
        """Keep `value` (a Tensor, an ndarray, or None) as the attribute `name`: part of the
        module's state (saved by `state_dict()` under its dotted name, restored by
        `load_state_dict()`), but not a parameter, so no optimizer touches it. BatchNorm's
        running statistics are buffers. A buffer keeps the kind it is given: a Tensor stays a
        constant Tensor (with no history: a value in a graph is detached), so PyTorch's code
        reads it as PyTorch's (`self.pe[:, :x.size(1)]`, `self.mask.bool()`,
        `self.ema.mul_(0.9).add_(x, alpha=0.1)`), as it reads the buffers of glassgrad's own
        layers, which are Tensors too (`bn.running_mean.clone()`); an array or a list, an
        ndarray. Assigning to the attribute later keeps it a buffer, of the kind assigned, or
        None. With `persistent=False` (PyTorch's) it is left out of the
        state: `state_dict()` does not save it and `load_state_dict()` does not expect it (a
        cache, a mask computed from the settings); it is still cast by `to()` and listed by
        `buffers()`.

        >>> m = Module(); m.register_buffer("count", np.zeros((), dtype=np.int64))
        >>> m.register_buffer("mask", np.ones(3), persistent=False)
        >>> dict(m.state_dict()), [name for name, _ in m.named_buffers()]
        ({'count': Tensor(0, dtype=int64)}, ['count', 'mask'])
        >>> m.register_buffer("steps", Tensor(np.zeros(2)))
        >>> m.steps.add_(1).size(0), m.state_dict()["steps"].tolist()
        (2, [1.0, 1.0])
        """
        if not isinstance(persistent, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.register_buffer: persistent must be True or "
                            f"False, got {persistent!r}")
        _check_name(self, "register_buffer", name)
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:               # checked before it is named: a refusal leaves no
            _check_free(self, "register_buffer", name,      # buffer name without a value
                        lambda held: not isinstance(held, Module) and not is_parameter(held))
            held = None if value is None else _buffer_value(self, name, value)
            names.append(name)
            value = held
        setattr(self, name, value)
        if persistent:
            self.__dict__.get("_non_persistent_buffers", set()).discard(name)
        else:
            self.__dict__.setdefault("_non_persistent_buffers", set()).add(name)

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, np.ndarray | Tensor]]:
        """Every buffer (an ndarray or a Tensor) with its dotted name, module by module; None
        ones skipped; those of a shared module once, unless `remove_duplicate=False`."""
        return self._named(Module._own_buffers, prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> list[np.ndarray | Tensor]:
        """The buffers as a list (see `register_buffer`)."""
        return [b for _, b in self.named_buffers(recurse=recurse)]

    def num_parameters(self) -> int:
        """How many numbers training adjusts."""
        return sum(int(np.size(p.data)) for p in self.parameters())

    def label_parameters(self) -> Module:
        """Give each parameter without a label its dotted name, so that drawings
        (`draw_graph`, `draw_backprop`) and their step texts say which weight is which; returns
        self. Labels set by hand are kept.

        >>> from nn import Linear, ReLU, Sequential
        >>> model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1)).label_parameters()
        >>> model[2].weight.label, model[0].bias.label
        ('2.weight', '0.bias')
        """
        for name, p in self.named_parameters():
            if not p.label:
                p.label = name
        return self

    # -- training helpers ----------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (do this before each backward); see `clear_grad`
        for `set_to_none`.

        >>> from nn import Linear
        >>> layer = Linear(2, 1)
        >>> layer(np.ones((4, 2))).sum().backward()
        >>> layer.weight.grad
        array([[4., 4.]], dtype=float32)
        >>> layer.zero_grad()
        >>> layer.weight.grad is None
        True
        """
        if set_to_none is True:             # the usual call: p.zero_grad(), written out
            for p in self.parameters():
                p.grad = p._empty_grad
            return
        for p in self.parameters():
            clear_grad(p, set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; returns self. A frozen parameter stays in
        `parameters()` and the state dict, and optimizers skip it (transfer learning:
        `model.features.requires_grad_(False)`)."""
        requires_grad = checked_requires_grad(f"{type(self).__name__}.requires_grad_",
                                              requires_grad)
        params = self.parameters()
        if not requires_grad and any(not isinstance(p, Parameter) for p in params):
            raise TypeError(f"{type(self).__name__}.requires_grad_(False): its Value parameters "
                            f"are found by wanting a gradient, so freezing them would drop them "
                            f"from parameters() and the state dict; give the optimizer only "
                            f"the parameters to train instead")
        for p in params:
            p.requires_grad = requires_grad
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every module inside this one, children first, then on this one; returns
        self. The usual use is initialisation:

        >>> from nn import Linear, Sequential, init
        >>> def init_weights(m):
        ...     if isinstance(m, Linear):
        ...         init.zeros_(m.bias)
        >>> model = Sequential(Linear(2, 3), Linear(3, 1)).apply(init_weights)
        >>> float(abs(model[1].bias.data).sum())
        0.0
        """
        if not callable(fn):                # said here, not after a descent to the first leaf
            raise TypeError(f"{type(self).__name__}.apply: expected a function of one module, "
                            f"got {_what_called(fn)}")
        for child in self.children():
            child.apply(fn)
        try:
            fn(self)
        except AttributeError as err:       # PyTorch's m.weight.data.normal_(0, 0.01)
            note_numpy_attribute(err)
            raise
        return self

    def add_module(self, name: str, module: Module | None) -> None:
        """`setattr(self, name, module)`, checked (PyTorch's way to add a child by a name
        computed at run time)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {name!r} must be a Module or "
                            f"None, got {type(module).__name__}")
        _check_name(self, "add_module", name)
        _check_free(self, "add_module", name, lambda held: isinstance(held, Module))
        setattr(self, name, module)

    def register_module(self, name: str, module: Module | None) -> None:
        """PyTorch's other name for `add_module`."""
        self.add_module(name, module)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """`setattr(self, name, param)`, checked (PyTorch's way to add a parameter by name)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: {name!r} must be an "
                            f"nn.Parameter or None, got {type(param).__name__}")
        _check_name(self, "register_parameter", name)
        _check_free(self, "register_parameter", name, is_parameter)
        setattr(self, name, param)

    def train(self, mode: bool = True) -> Module:
        """Switch this module and all inside it to training (or evaluation) mode; returns self."""
        if not isinstance(mode, (bool, np.bool_)):      # train("eval") would be True
            raise ValueError(f"{type(self).__name__}.train: the mode must be True or False, got "
                             f"{mode!r}; model.eval() is train(False)")
        for _, module, _ in self._walk():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: `Dropout` passes inputs through unchanged and `BatchNorm*d` uses its
        running statistics (and no longer updates them). Returns self."""
        return self.train(False)

    # -- dtype and device: PyTorch's calls (there is one device, the CPU) -----------------------

    def to(self, *args: Any, device: Any = None, dtype: Any = None,
           non_blocking: bool = False) -> Module:
        """PyTorch's `model.to(device)`, `model.to(dtype)` and `model.to(device, dtype)`;
        returns self.

        The device must be the CPU ("cpu", or a `torch.device("cpu")`): glassgrad computes
        with numpy there, so it changes nothing; "cuda", "mps" and the rest are refused. The
        device "meta" (PyTorch's ensembling base, run only through `functional_call`) keeps the
        shapes and drops the numbers (see nn/meta_device.py). A
        floating dtype (np.float64, "float64", a torch dtype, or a tensor's dtype:
        `model.to(x)`) casts every floating parameter and buffer, as PyTorch does: each
        Parameter keeps its identity and gets new data (PyTorch's `param.data = ...`), so an
        optimizer built before still trains it, and a gradient it holds is cast along (and
        the state an optimizer keeps for it, Adam's moments, at the optimizer's next step). A
        graph recorded before the cast refuses backward (its ops read the old numbers):
        compute the loss again. Integer dtypes are refused, as in PyTorch; `non_blocking` is
        accepted and means nothing here.

        >>> from nn import Linear
        >>> from nn.optim import SGD
        >>> layer = Linear(2, 1); optimizer = SGD(layer.parameters(), lr=0.1)
        >>> layer.to("cpu") is layer
        True
        >>> layer.to(np.float64).weight.dtype
        dtype('float64')
        >>> optimizer.param_groups[0]["params"][0] is layer.weight      # the same Parameter
        True
        """
        call = f"{type(self).__name__}.to"
        meta = is_meta(device) or bool(args) and is_meta(args[0])
        if meta:        # PyTorch's ensembling base: shapes without numbers (nn/meta_device.py)
            device, args = (None, ("cpu", *args[1:])) if device is None else ("cpu", args)
        dtype, _ = to_arguments(call, args, device, dtype, {"non_blocking": non_blocking})
        if dtype is not None:
            self._cast(call, dtype)
        return to_meta(self, call) if meta else self

    def double(self) -> Module:
        """PyTorch's `model.double()`: `to(np.float64)`, every floating parameter and buffer
        cast in place (gradchecks want float64); returns self."""
        return self._cast(f"{type(self).__name__}.double()", np.dtype(np.float64))

    def float(self) -> Module:
        """PyTorch's `model.float()`: `to(np.float32)`; returns self."""
        return self._cast(f"{type(self).__name__}.float()", np.dtype(np.float32))

    def half(self) -> Module:
        """PyTorch's `model.half()`: `to(np.float16)`; returns self. numpy computes float16
        slowly and with 3 significant digits: a way to test precision, not to gain speed."""
        return self._cast(f"{type(self).__name__}.half()", np.dtype(np.float16))

    def type(self, dst_type: Any) -> Module:
        """PyTorch's `model.type(dtype)`: `to(dtype)` for a floating dtype, which casts every
        floating parameter and buffer (integer buffers, such as BatchNorm's count, keep
        theirs); returns self. PyTorch's tensor type names, "torch.DoubleTensor" or
        `torch.DoubleTensor` itself, name their dtypes; integer dtypes are refused (weights
        that are integers could not train).

        >>> from nn import Linear
        >>> Linear(2, 1).type("torch.DoubleTensor").weight.dtype
        dtype('float64')
        """
        call = f"{type(self).__name__}.type"
        name = dst_type if isinstance(dst_type, str) else \
            f"{getattr(dst_type, '__module__', '')}.{getattr(dst_type, '__name__', '')}"
        if name.startswith("torch.") and name.endswith("Tensor"):
            if name.startswith("torch.cuda."):
                raise RuntimeError(f"{call}({name}): {NO_GPU}")
            if name not in _TORCH_TENSOR_TYPES:
                raise TypeError(f"{call}: {name} holds no floating dtype; give one of "
                                f"{', '.join(_TORCH_TENSOR_TYPES)} or a dtype (np.float64)")
            dst_type = _TORCH_TENSOR_TYPES[name]
        dtype, _ = to_arguments(call, (dst_type,), None, None, {})
        return self._cast(call, dtype)

    def cpu(self) -> Module:
        """PyTorch's `model.cpu()`: self (glassgrad's parameters are numpy arrays already)."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """PyTorch's `model.cuda()`, refused: glassgrad has no GPU."""
        raise RuntimeError(f"{type(self).__name__}.cuda(): {NO_GPU}")

    def _cast(self, call: str, dtype: np.dtype) -> Module:
        """Cast every floating parameter (with its gradient) and buffer to `dtype`; returns
        self. Everything is checked before anything changes."""
        if dtype.kind != "f":
            raise TypeError(f"{call}: nn.Module.to only accepts floating point dtypes, got "
                            f"{dtype} (as in PyTorch: integer weights could not train); "
                            f"integer data such as class labels is cast on its tensor: "
                            f"y.long()")
        params = self.parameters()
        if dtype != np.float64 and any(isinstance(p, Value) for p in params):
            raise TypeError(f"{call}: this model's parameters are Values, whose data are "
                            f"Python floats (float64) and cannot become {dtype}; use Tensor "
                            f"layers for other dtypes")
        for p in params:
            if isinstance(p, Tensor) and p.data.dtype.kind == "f" and p.data.dtype != dtype:
                _cast_parameter(p, dtype)
        for _, module, _ in self._walk():
            for name, buffer in list(module._own_buffers()):
                if buffer.dtype.kind == "f" and buffer.dtype != dtype:
                    setattr(module, name, Tensor(buffer.data.astype(dtype))
                            if isinstance(buffer, Tensor) else buffer.astype(dtype))
        return self

    # -- weights in and out --------------------------------------------------------------------

    def state_dict(self, *, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Any]:
        """Every parameter and persistent buffer (see `register_buffer`) as a Tensor, by dotted
        name, in PyTorch's order: module by module, parents first, each module's parameters then
        its buffers. A shared module or parameter is listed under each of its names, as PyTorch
        does (`parameters()` lists it once), so a model with tied layers loads into its
        `torch.nn` twin.

        As in PyTorch, the Tensors are detached (no history, no gradient) but share their
        numbers with the parameters and buffers: they follow the training, and writing into one
        (`sd["weight"][...] = 0`) writes into the model. A snapshot that must stay as it is
        (early stopping's best weights) is a copy: `{k: v.clone() for k, v in sd.items()}`.
        (A Value parameter's number is a Python float, which nothing can share: it comes as a
        0-d float64 Tensor of its own.) numpy takes the Tensors as arrays, so
        `np.savez(f, **sd)` works; PyTorch wants its own: `torch.from_numpy(v.numpy())`.

        PyTorch's keywords: `prefix` goes before every name; `destination` is a dict the
        entries are added to (and which is returned); `keep_vars=True` gives the parameters
        themselves (the Parameter or Value objects, with their gradients) and the buffers
        themselves (their Tensors, or arrays).

        >>> from nn import Linear
        >>> layer = Linear(2, 1)
        >>> sd = layer.state_dict(prefix="encoder.")
        >>> list(sd), sd["encoder.bias"].requires_grad
        (['encoder.weight', 'encoder.bias'], False)
        >>> sd["encoder.bias"][...] = 0.5           # the same numbers as the layer's
        >>> layer.bias.tolist()
        [0.5]
        """
        if not isinstance(keep_vars, (bool, np.bool_)):
            raise TypeError(f"state_dict: keep_vars must be True or False, got {keep_vars!r}")
        if not isinstance(prefix, str):
            raise TypeError(f"state_dict: prefix must be a string such as 'encoder.', got "
                            f"{prefix!r}")
        if destination is not None and not isinstance(destination, dict):
            raise TypeError(f"state_dict: destination must be a dict (or None), got "
                            f"{type(destination).__name__}")
        state = OrderedDict() if destination is None else destination
        for module_name, module, members in self._walk(remove_duplicate=False):
            at = prefix + (f"{module_name}." if module_name else "")
            for name, p in members:
                if not isinstance(p, Module):
                    state[at + name] = p if keep_vars else _detached(p)
            for name, b in module._own_persistent_buffers():
                # the buffer's numbers, shared also by in-place changes (as detach()'s are)
                state[at + name] = b if keep_vars else (
                    b.detach() if isinstance(b, Tensor) else Tensor(b).detach())
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy `state` (as from `state_dict()` or `nn.load`) into the parameters and buffers;
        returns the names that did not match (PyTorch's `IncompatibleKeys`).

        The values may be numpy arrays, Tensors, or anything with a `.numpy()` method, such as
        PyTorch's tensors: `model.load_state_dict(torch_model.state_dict())` works when the
        names and shapes match (glassgrad's `Linear` uses PyTorch's (out, in) layout).
        Every entry is checked before anything is written, so a bad dict changes nothing. With
        `strict=False`, missing and unexpected names are allowed (shapes are still checked),
        and the result lists them. A shared parameter needs only one of its names (older
        checkpoints listed it once); a BatchNorm's `num_batches_tracked` may be left out, as
        in PyTorch (its checkpoints before 0.4.1 have none): the counter keeps its value.

        >>> from nn import Linear
        >>> layer = Linear(2, 1)
        >>> layer.load_state_dict(Linear(2, 1).state_dict())
        <All keys matched successfully>
        >>> layer.load_state_dict({"weight": np.ones((1, 2)), "scale": np.ones(1)}, strict=False)
        IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['scale'])
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a dict of name -> array (as from "
                            f"state_dict() or nn.load), got {_what(state)}")
        params = dict(self.named_parameters(remove_duplicate=False))
        buffers = dict(self._named(Module._own_persistent_buffers, "", True, False))
        params.update(buffers)                          # persistent=False ones are not state
        given = {id(p) for name, p in params.items() if name in state}
        optional = {f"{at}.{name}" if at else name for at, module in
                    self.named_modules(remove_duplicate=False) for name in module._optional_state}
        missing = [name for name, p in params.items()
                   if id(p) not in given and name not in optional]
        unexpected = [name for name in state if name not in params]
        if strict and (missing or unexpected):
            problems = []
            if missing:
                problems.append(f"missing {missing}")
            if unexpected:
                problems.append(f"unexpected {unexpected}")
            raise StateDictKeyError(f"load_state_dict: {type(self).__name__} state does not "
                                    f"match: " + "; ".join(problems) + _nested_hint(state)
                                    + _prefix_hint(unexpected, params, self)
                                    + _reparametrized_hint(missing, unexpected))
        arrays, wrong_shapes = {}, []
        for name, p in params.items():
            if name not in state:
                continue
            array = _numbers_of(name, state[name], buffer=name in buffers)
            expected = np.shape(p.data if isinstance(p, Node) else p)
            if array.shape != expected:
                wrong_shapes.append((name, array.shape, expected))
            arrays[name] = array
        if wrong_shapes:                    # all of them, as PyTorch lists them
            raise StateDictShapeError(f"load_state_dict: {type(self).__name__} state does not "
                                      f"fit: {_shape_report(wrong_shapes)}")
        with no_grad():                     # parameters are written in place
            for name, array in arrays.items():
                held = buffers.get(name)
                if isinstance(held, Tensor):    # the same object, its numbers written in place
                    if not isinstance(held.data, np.ndarray):   # (a 0-d one's numpy scalar)
                        held.data = np.array(held.data)
                    held.copy_(array)           # noted: a graph that read it refuses backward
                elif name in buffers:
                    np.copyto(held, array, casting="unsafe")
                else:
                    params[name].copy_(array)
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: str) -> None:
        """Write the weights to an `.npz` file (see `nn.save`)."""
        from .io import save
        save(self, path)

    def load(self, path: str) -> Module:
        """Read weights written by `save` (checked against this model); returns self.

        A checkpoint of glassgrad 0.1, whose `Linear` weights were stored (in, out), is
        converted to today's (out, in) layout, with a warning, when the shapes of its weights
        that are not square show that layout (see `nn.io`).
        """
        from .io import load_into
        load_into(self, path)
        return self

    # -- printing ------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The settings shown in the repr, e.g. ``in_features=2, out_features=16``."""
        return ""

    def __repr__(self) -> str:
        children = list(self._child_modules())     # a shared layer under each name, as PyTorch
        extra = self.extra_repr()
        if not children and "\n" not in extra:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("]
        if extra:                   # each of its lines indented, as PyTorch prints them
            lines.extend(f"  {line}" for line in extra.split("\n"))
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)


#: what an attribute must be to hold a module or a parameter (see `Module._members`)
_MAY_HOLD_PARTS = (Module, Node, list, tuple)
#: the exact classes of attributes that never hold one: a module's settings (`_own_members`)
_NO_PARTS = frozenset({int, float, bool, str, type(None), FunctionType, BuiltinFunctionType,
                       np.random.Generator, np.ndarray, dict, set})


def _own_members(module: Module) -> list[tuple[str, Any]]:
    """`Module._members`: (name, item) for the attributes of `module` that are parameters or
    modules, lists and tuples unpacked (named "layers.0", ...)."""
    # Every walk of a model (parameters(), zero_grad(), state_dict(), train()) reads every
    # attribute of every module, so the many that are plain settings (sizes, flags, rates, a
    # generator) are let through by their exact class first: isinstance against the four
    # kinds of part costs 100 ns for a number, the set 20
    members = []
    held_apart = module._held_apart
    for name, value in module.__dict__.items():
        kind = value.__class__
        if kind is Parameter:                       # (the usual part)
            if name not in held_apart:
                members.append((name, value))
        elif kind in _NO_PARTS or not isinstance(value, _MAY_HOLD_PARTS) or name in held_apart:
            continue
        elif kind is not list and kind is not tuple and isinstance(value, Module):
            # (before the test for a list, 70 ns a module: no module is a list or a tuple)
            members.append((name, value))
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if item.__class__ not in _NO_PARTS and (
                        isinstance(item, Module) or is_parameter(item)):
                    members.append((f"{name}.{i}", item))
        elif is_parameter(value):
            members.append((name, value))
    return members


def _listed_members(module: Module) -> list[tuple[str, Any]]:
    """`module._members()` as a list: Module's own without the generator (every layer but the
    containers, which list their entries first)."""
    if type(module)._members is _MODULE_MEMBERS:
        return _own_members(module)
    return list(module._members())


_MODULE_MEMBERS = Module._members


class RemovableHandle:
    """What `register_forward_hook` and `register_forward_pre_hook` return: `.remove()` takes
    the hook away (a second call does nothing); used in a `with` block, it removes the hook at
    the block's end."""

    _next_id = 0

    def __init__(self, module: Module, kind: str) -> None:
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._module = module
        self._kind = kind

    def remove(self) -> None:
        module = self._module
        if module is None:
            return
        self._module = None
        hooks = module.__dict__.get(self._kind, {})
        hooks.pop(self.id, None)
        module.__dict__.get(self._kind + "_with_kwargs", set()).discard(self.id)
        if not hooks and not module.__dict__.get(
                "_forward_hooks" if self._kind == "_forward_pre_hooks" else "_forward_pre_hooks"):
            module.__dict__["_hooked"] = False   # back to the plain call

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()


def _no_backward_hooks(module: Module, method: str) -> str:
    return (f"{type(module).__name__}.{method}: glassgrad's modules have no backward hooks, "
            f"but its tensors have (Tensor.register_hook). For the gradient of a layer's "
            f"output (PyTorch's grad_output), hook the output from a forward hook: "
            f"`def hook_output(m, args, out): out.register_hook(fn)` (returning None), then "
            f"`layer.register_forward_hook(hook_output)`; fn(grad) is called during backward "
            f"and may return a replacement. Every node "
            f"also keeps its .grad after backward: read the parameters' .grad after "
            f"loss.backward(), and change gradients between backward() and the optimizer's "
            f"step()")


def clear_grad(p: Node, set_to_none: bool = True) -> None:
    """Forget `p`'s gradient: a Tensor's becomes None (PyTorch's default), or with
    `set_to_none=False` zeros if it had one, written into its array as PyTorch's
    `grad.zero_()` writes them (what holds that array sees the zeros); a Value's becomes 0.0
    either way.

    >>> from autograd import Tensor
    >>> w = Tensor([1.0, 2.0], requires_grad=True); (w * w).sum().backward()
    >>> g = w.grad; clear_grad(w, set_to_none=False)
    >>> w.grad is g, g.tolist()
    (True, [0.0, 0.0])
    """
    grad = p.grad
    if set_to_none or grad is None or isinstance(p, Value):
        p.zero_grad()
    elif grad.__class__ is np.ndarray and grad.flags.writeable:
        grad.fill(0)                # (a new array each step cost an allocation a parameter)
    else:                           # a gradient that is a node (create_graph=True) leaves its
        p.grad = np.zeros_like(grad.data if isinstance(grad, Node) else grad)   # graph alone


#: PyTorch's names of the tensor types of floating dtypes, which `Module.type` takes
_TORCH_TENSOR_TYPES = {"torch.FloatTensor": np.float32, "torch.DoubleTensor": np.float64,
                       "torch.HalfTensor": np.float16}


def _cast_parameter(p: Tensor, dtype: np.dtype) -> None:
    """Give `p` its data cast to `dtype`, in place as PyTorch's `param.data = ...` is: the same
    object, so whatever holds it (an optimizer, a tied layer) sees the new data. Its gradient is
    cast along, as PyTorch's is. The write clock moves on, so a graph recorded with the old data
    refuses backward instead of reading the new numbers."""
    p.data = p.data.astype(dtype)
    p._changed_in_place()
    if isinstance(p.grad, Tensor):              # a gradient in a graph (create_graph=True)
        p.grad.data = p.grad.data.astype(dtype)
        p.grad._changed_in_place()
    elif p.grad is not None:
        p.grad = p.grad.astype(dtype)


def _is_pytorch_layer(item: Any) -> bool:
    """Whether `item` is one of PyTorch's layers, or of a class built on them."""
    return any(kind.__module__.startswith("torch.nn.") for kind in type(item).__mro__)


def _is_pytorch_part(item: Any) -> bool:
    """Whether `item` is a PyTorch layer or a PyTorch tensor that requires grad: weights that
    a glassgrad Module would leave out of parameters() and its checkpoints."""
    if type(item).__module__.startswith("torch") and \
            getattr(item, "requires_grad", False) is True:
        return True
    return callable(item) and not isinstance(item, Module) and _is_pytorch_layer(item)


def _pytorch_part(value: Any) -> Any:
    """The PyTorch layer or trainable tensor that `value` is, or that a list, tuple or dict
    `value` holds (`self.layers = [torch.nn.Linear(2, 3)]`), else None."""
    if isinstance(value, (list, tuple, dict)):
        items = value.values() if isinstance(value, dict) else value
        return next((item for item in items if _is_pytorch_part(item)), None)
    return value if _is_pytorch_part(value) else None


def _pytorch_refusal(module: Module, name: str, value: Any, part: Any) -> str:
    """Why `part` of PyTorch's, assigned as `value` (or in it) to `module.name`, is refused."""
    got = "got" if part is value else f"got a {type(value).__name__} holding"
    if getattr(part, "requires_grad", False) is True:      # (a layer has requires_grad_())
        return (f"{type(module).__name__}.{name}: {got} a PyTorch tensor that requires grad, "
                f"which glassgrad's optimizers would not train nor its checkpoints save; make "
                f"it nn.Parameter(t.detach().numpy())")
    return (f"{type(module).__name__}.{name}: {got} {_not_a_module(part)}; its weights would "
            f"not be trained or saved with this model")


def _not_a_module(item: Any) -> str:
    """What `item` is, and the module it was probably meant to be."""
    if isinstance(item, type) and issubclass(item, Module):
        return f"the class {item.__name__}; pass an instance: {item.__name__}()"
    if isinstance(item, (list, tuple)):
        return (f"a {type(item).__name__}; give the modules themselves, not a list of them: "
                f"Sequential(*layers), ModuleList(layers)")
    torch_base = next((kind for kind in type(item).__mro__
                       if kind.__module__.startswith("torch.nn.")), None)  # _is_pytorch_layer
    if torch_base is not None:
        # PyTorch's layer (`import torch.nn as nn` kept beside glassgrad's): not one to rewrite
        name = type(item).__name__
        ours = hasattr(importlib.import_module(__package__), name)     # nn.Linear: glassgrad's
        if torch_base is type(item) and ours:
            return (f"PyTorch's torch.nn.{name}, which is not a glassgrad Module: use "
                    f"glassgrad's nn.{name}(...) (`import nn`, not `import torch.nn as nn`)")
        if torch_base is type(item):                # (nn.LazyLinear, nn.Bilinear, ...)
            return (f"PyTorch's torch.nn.{name}, which is not a glassgrad Module, and glassgrad "
                    f"has no nn.{name}: write the layer as a subclass of glassgrad's nn.Module "
                    f"(`import nn`, not `import torch.nn as nn`)")
        return (f"a {name} object, a subclass of PyTorch's torch.nn.{torch_base.__name__}, "
                f"which is not a glassgrad Module: subclass glassgrad's nn.Module instead "
                f"(`import nn`, not `import torch.nn as nn`)")
    if callable(item) and not inspect.isroutine(item) and not isinstance(item, type) \
            and type(item).__module__ not in ("functools", "builtins", "numpy"):
        # an object of the learner's own class with __call__, as makemore part 5 writes its
        # layers (FlattenConsecutive, Linear, ... with parameters()): not a function
        name = type(item).__name__
        return (f"a {name} object, which is not a Module: a layer of your own becomes one as "
                f"class {name}(nn.Module), with super().__init__() first in __init__, its "
                f"__call__ renamed forward, and its weights made nn.Parameter(...) (then "
                f"model.parameters() finds them)")
    if callable(item):
        return (f"the function {getattr(item, '__name__', type(item).__name__)}; a function is "
                f"not a layer: use its module (nn.ReLU() for relu), or a Module whose forward "
                f"calls it")
    return type(item).__name__


def _noting_numpy_attributes(init: Callable) -> Callable:
    """A subclass's `__init__` that adds glassgrad's note to numpy's AttributeError, as a
    module's forward does: PyTorch's text-classification tutorial calls `self.init_weights()`
    from its constructor, whose `self.fc.weight.data.uniform_(-0.5, 0.5)` meets a numpy array
    here (the note says `nn.init.uniform_(p, a, b)`)."""
    @functools.wraps(init)
    def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except AttributeError as err:
            note_numpy_attribute(err)       # once, by the innermost constructor it leaves
            raise
    return __init__


def _what_called(fn: Any) -> str:
    """What was given where a function was expected (a hook, apply's fn)."""
    if fn is None:
        return ("None (the result of calling the function? pass the function itself, "
                "model.apply(init_weights), not model.apply(init_weights()))")
    return type(fn).__name__


def _check_hook_arguments(module: Module, method: str, hook: Callable, call: str,
                          count: int) -> None:
    """Refuse, where it is registered, a hook that cannot take the `count` arguments it will
    be called with (`call` shows them), instead of a TypeError at the next forward."""
    try:
        signature = inspect.signature(hook)
    except (TypeError, ValueError):         # a builtin without a signature: trust it
        return
    try:
        signature.bind(*range(count))
    except TypeError:
        name = getattr(hook, "__name__", type(hook).__name__)
        raise TypeError(f"{type(module).__name__}.{method}: the hook is called as {call}, but "
                        f"{name}{signature} cannot take {count} arguments") from None


def _is_trainable_tensor(x: Any) -> bool:
    """A leaf Tensor that wants a gradient but is no Parameter: micrograd-style code's way to
    write a weight, which a module would not register (PyTorch does not either, silently)."""
    return isinstance(x, Tensor) and not isinstance(x, Parameter) and x.is_leaf \
        and x.requires_grad


def _holds_parts(items: Iterable[Any]) -> bool:
    """True if any item is a module or a parameter (what a plain container would lose)."""
    return any(isinstance(item, Module) or is_parameter(item) for item in items)


def _buffer_array(module: Module, name: str, value: Any) -> np.ndarray:
    """`value` as the ndarray a buffer holds (a Tensor's numbers, a torch tensor's, a list)."""
    array = as_array(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{type(module).__name__}.{name} is a buffer: it holds an array of "
                        f"numbers or None, got {type(value).__name__} of dtype {array.dtype}")
    return array


def _buffer_value(module: Module, name: str, value: Any) -> np.ndarray | Tensor:
    """What a buffer holds for `value`: a Tensor as a constant Tensor (itself when it has no
    history, so `self.count += 1` and other names for it see the same numbers; a value in a
    graph detached, sharing its numbers), anything else as an ndarray (`_buffer_array`)."""
    array = _buffer_array(module, name, value)
    if not isinstance(value, Tensor):
        return array
    return value if value.is_leaf and not value.requires_grad else value.detach()


def _check_name(module: Module, method: str, name: Any) -> None:
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(f"{type(module).__name__}.{method}: the name must be a non-empty string "
                       f"without '.', got {name!r}")


#: why calling a container fails, and what to write instead
_CONTAINER_CALLED = {
    "ModuleList": ": a ModuleList only holds its modules, it does not call them; loop over it "
                  "in your forward (for layer in self.layers: x = layer(x)), or hold them in "
                  "nn.Sequential(...), which calls them in order",
    "ModuleDict": ": a ModuleDict only holds its modules; call the one you mean "
                  "(self.heads['name'](x)), or hold them in nn.Sequential(...)",
    "ParameterList": ": a ParameterList only holds parameters; use them in a module's forward "
                     "(x * self.scales[0])",
    "ParameterDict": ": a ParameterDict only holds parameters; use them in a module's forward "
                     "(x * self.extra['scale'])",
}


def _is_method_name(cls: type, name: str) -> bool:
    """True if `name` is what every module reads as a method or a setting of its class: a
    method (`eval`, `modules`, a subclass's own), a property, or `training`. A module or a
    parameter kept under such a name would hide it from `model.eval()` and the rest."""
    if name == "training":
        return True
    for klass in cls.__mro__:
        if name in klass.__dict__:
            attr = klass.__dict__[name]
            return isinstance(attr, (FunctionType, staticmethod, classmethod, property))
    return False


def _class_has(cls: type, name: str) -> bool:
    """Whether `cls` gives its instances an attribute `name` (a method, a property, a class
    default). A `_Hint` does not count: it is there to say that modules lack the name
    (`predict`), which a layer may take (`self.predict = Linear(...)`, as in PyTorch)."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return not isinstance(klass.__dict__[name], _Hint)
    return False


def _method_name_taken(module: Module, name: str, value: Any) -> str:
    """Why a module or parameter cannot be kept as `module.name`, which names a method."""
    kind = "setting" if name == "training" else "method"
    return (f"{type(module).__name__}.{name}: {name!r} is a {kind} of every "
            f"{type(module).__name__} (model.{name}{'' if name == 'training' else '()'}); a "
            f"{type(value).__name__} kept under that name would hide it, and model.train(), "
            f"model.eval() and the rest would break; give it another name (self.layers, "
            f"self.head, ...)")


def _check_free(module: Module, method: str, name: str, keeps: Callable[[Any], bool]) -> None:
    """Refuse `name` for `method` (add_module, register_parameter, register_buffer) when it is
    taken by something of another kind: a method or setting of the class (`training`,
    `forward`), or an attribute whose value `keeps` does not accept, as PyTorch's KeyError
    "attribute ... already exists" (assigning would silently drop what is there)."""
    held = module.__dict__.get(name)
    if _is_method_name(type(module), name) or (
            name not in module.__dict__ and _class_has(type(module), name)):
        raise KeyError(f"{type(module).__name__}.{method}: {name!r} is already an attribute "
                       f"of {type(module).__name__} (a method or setting of the class); "
                       f"choose another name")
    if held is not None and not keeps(held):
        what = ("a module" if isinstance(held, Module) else "a parameter" if is_parameter(held)
                else "a buffer" if name in module.__dict__.get("_buffer_names", ())
                else f"a value ({type(held).__name__})")
        raise KeyError(f"{type(module).__name__}.{method}: {name!r} already holds {what}; "
                       f"choose another name, or `del model.{name}` first")


def _replaced_parameter(module: Module, name: str, value: Any) -> str:
    """Why `module.name = value` is refused when `name` holds a parameter, and what to do."""
    where = f"{type(module).__name__}.{name}"
    return (f"cannot assign a {type(value).__name__} to {where}, which holds a parameter "
            f"(nn.Parameter or None expected): a plain {type(value).__name__} would not be "
            f"trained or saved. To change its values keep the Parameter and update it in "
            f"place: `layer.{name}.data[...] = new_values`, or under no_grad() "
            f"`layer.{name} -= lr * layer.{name}.grad`; to replace it, wrap the new value: "
            f"`layer.{name} = nn.Parameter(value)`")


def _inputs_and_references(node: Node) -> list[tuple[Any, int]]:
    """Each input of `node` with its reference count, taken while only `node` (its slot, or
    its tuple of inputs), the loop's variable and getrefcount's argument hold it besides the
    rest of the program: the same count whichever layout the node has (see `_ALONE`)."""
    found = []
    if node._a.__class__ is tuple:          # (not bound to a name: that would hold an input)
        inputs = node._a
        for i in range(len(inputs)):
            x = inputs[i]
            found.append((x, sys.getrefcount(x)))
        return found
    x = node._a
    found.append((x, sys.getrefcount(x)))
    x = node._b
    if isinstance(x, Node):
        found.append((x, sys.getrefcount(x)))
    return found


#: the count `_inputs_and_references` gives an input that nothing else holds (measured on a
#: leaf made inline, so that it holds on any CPython, whose counting of a frame's own
#: references differs between versions)
_ALONE = _inputs_and_references(Tensor(np.zeros(1), requires_grad=True) * 1.0)[0][1]


def _lost_leaf(value: Tensor, depth: int = 3) -> Tensor | None:
    """A leaf that wants a gradient, at most `depth` ops below `value`, that nothing holds but
    the op that used it: `nn.Parameter(autograd.randn(3, 3)) * 0.01` made inline. Assigned to
    a module, `value` is not registered (it is computed), and that leaf can never be reached by
    an optimizer or a checkpoint (PyTorch is silent, and its model trains without it)."""
    frontier = [value]
    for _ in range(depth):
        below = []
        for node in frontier:
            if node.is_leaf:
                continue
            for x, references in _inputs_and_references(node):
                if x.__class__ is Tensor or x.__class__ is Parameter:
                    if x.is_leaf:
                        if x.requires_grad and references <= _ALONE:
                            return x
                    else:
                        below.append(x)
        frontier = below[:8]            # (a cached activation's graph is not walked through)
    return None


def _lost_leaf_message(module: Module, name: str, value: Tensor, leaf: Tensor) -> str:
    """Why `module.name = value` is refused when `value` is computed from a leaf that nothing
    else holds (see `_lost_leaf`), and what to write."""
    what = "Parameter" if isinstance(leaf, Parameter) else "leaf Tensor that requires grad"
    return (f"{type(module).__name__}.{name}: this Tensor is the result of {value.op} on a new "
            f"{what} of shape {leaf.shape}, which nothing else holds: a module registers "
            f"Parameters, not results computed from them, so neither would be trained or "
            f"saved (model.parameters() leaves them out). Compute the numbers first and wrap "
            f"the result: self.{name} = nn.Parameter(autograd.randn(...) * 0.01), not "
            f"nn.Parameter(autograd.randn(...)) * 0.01")


class _ChildrenView(MutableMapping):
    """`module._modules`: its direct sub-modules by name, read from the module each time (a
    shared one under each of its names, in order), written through `add_module` and `delattr`."""

    __slots__ = ("_module",)

    def __init__(self, module: Module) -> None:
        self._module = module

    def __getitem__(self, name: str) -> Module:
        return dict(self._module._child_modules())[name]

    def __setitem__(self, name: str, module: Module) -> None:
        self._module.add_module(name, module)

    def __delitem__(self, name: str) -> None:
        self[name]                          # (a KeyError for a name that is not a sub-module)
        try:
            delattr(self._module, name)
        except AttributeError:              # a ModuleList's "0" is a position, no attribute
            del self._module[int(name)]

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, _ in self._module._child_modules()])

    def __len__(self) -> int:
        return sum(1 for _ in self._module._child_modules())

    def __repr__(self) -> str:
        return f"_modules of {type(self._module).__name__}: {dict(self)}"


# The containers live in nn.containers, which builds on Module: imported last, once Module exists
# (their old address, nn.module.ModuleList, keeps working)
from .containers import (  # noqa: E402,F401
    ModuleDict, ModuleList, ParameterDict, ParameterList, _modules_of,
)
