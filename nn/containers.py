"""The containers of modules and parameters, PyTorch's: `ModuleList` (which `Sequential`
extends), `ModuleDict`, `ParameterList` and `ParameterDict`. Each is a `Module` whose entries
are registered under their positions (``"0"``, ``"1"``, ...) or keys, so that
`named_parameters()` and `state_dict()` name them as PyTorch does. (A plain list of modules
is registered too, by `Module` itself; see `nn.module`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterable, Iterator

import numpy as np

from autograd import Tensor, Value

from .module import Module, Parameter, _class_has, _not_a_module, note_replaced

__all__ = ["ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _container_without_init(container: Module) -> str:
    """Why a subclass of a container (ModuleList, Sequential, ModuleDict, ParameterList,
    ParameterDict) holds nothing: its __init__ did not call the container's, which makes the
    list (or dict) that holds the entries."""
    base = next(c.__name__ for c in type(container).__mro__
                if c.__module__ in ("nn.containers", "nn.layers"))
    return (f"{type(container).__name__}.__init__ must call super().__init__(...) before using "
            f"the {base}: a {base} keeps its entries in a container that its own __init__ "
            f"makes (a plain Module subclass needs no such call)")


def _check_key_free(container: Module, key: str) -> None:
    """Refuse an entry's key (a ModuleDict's, a named Sequential layer's) that is already an
    attribute of the container: a method (`forward`, `keys`) or `training`. Its entry would be
    shadowed when read as an attribute, and `model.eval()`, which sets `training` on every
    module, would write over it: PyTorch refuses such keys too."""
    if key == "training" or _class_has(type(container), key) or key in container.__dict__:
        raise KeyError(f"{type(container).__name__}: the key {key!r} is already an attribute of "
                       f"{type(container).__name__} (a method or setting of every module); "
                       f"choose another key")


def _modules_of(container: Module, other: Any) -> list[Module]:
    """The modules of `other`, a ModuleList or Sequential (or a list of modules), for `+`."""
    if isinstance(other, Module) and not isinstance(other, ModuleList):
        raise TypeError(f"{type(container).__name__} + {type(other).__name__}: add a "
                        f"Sequential or ModuleList (or a list of modules); to add one module, "
                        f"wrap it: + Sequential(layer)")
    if not isinstance(other, (ModuleList, list, tuple)):
        raise TypeError(f"{type(container).__name__} + {type(other).__name__}: expected a "
                        f"Sequential, a ModuleList or a list of modules")
    return [container._checked(module) for module in other]


class _ListContainer(Module):
    """What ModuleList and ParameterList share: a list whose entries are registered under
    their positions (``"0"``, ``"1"``, ...), with the list methods that only read it or add to
    it. A subclass's `append` turns a value put in into an entry (checked, or made one)."""

    _items: list

    def append(self, value: Any) -> _ListContainer:
        raise NotImplementedError

    def extend(self, values: Iterable[Any]) -> _ListContainer:
        for value in values:
            self.append(value)
        return self

    __iadd__ = extend

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def _names(self) -> list[str]:
        """The entries' names, in order: their positions."""
        return [str(i) for i in range(len(self._items))]

    #: the entries' list is listed by position, not again as the attribute "_items"
    _held_apart = ("_items",)

    def _members(self) -> Iterator[tuple[str, Any]]:
        yield from zip(self._names(), self._items)
        yield from super()._members()               # attributes a subclass adds

    def __getattr__(self, name: str) -> Any:
        # only reached when ordinary lookup fails
        if name == "_items":
            raise AttributeError(_container_without_init(self))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class ModuleList(_ListContainer):
    """A list of modules whose parameters are registered (named ``"0"``, ``"1"``, ...).

    A plain Python list of modules is registered too; this class adds list methods and
    positional names without an attribute prefix. A slice is a ModuleList of the same modules,
    numbered from 0 (as in PyTorch).

    >>> from nn import Linear
    >>> layers = ModuleList([Linear(2, 3), Linear(3, 1)])
    >>> [name for name, _ in layers.named_parameters()]
    ['0.weight', '0.bias', '1.weight', '1.bias']
    >>> layers[1:]
    ModuleList(
      (0): Linear(in_features=3, out_features=1, bias=True)
    )
    """

    def __init__(self, modules: Iterable[Module] = (), *more: Module) -> None:
        self._items: list[Module] = []
        if more or isinstance(modules, Module) and not isinstance(modules, ModuleList):
            got = (f"{1 + len(more)} separate arguments" if more
                   else f"one {type(modules).__name__}")
            raise TypeError(f"{type(self).__name__} takes one list of modules, "
                            f"{type(self).__name__}([a, b]), got {got}; wrap them in a list "
                            f"(Sequential(a, b) is the one that takes them one by one)")
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self._items.append(self._checked(module))
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put `module` before position `index`; the modules are numbered afresh from 0."""
        self._items.insert(index, self._checked(module))
        self._renumber()

    def __setitem__(self, index: int, module: Module) -> None:
        """Replace the module at `index` (it keeps the name of the one it replaces)."""
        old = self._items[index]
        self._items[index] = self._checked(module)
        if old is not module:
            note_replaced(old, module, f"{type(self).__name__}[{index}]")

    def __delitem__(self, index: int | slice) -> None:
        """Remove modules; the rest are numbered afresh from 0, as in PyTorch."""
        del self._items[index]
        self._renumber()

    def pop(self, index: int = -1) -> Module:
        """Remove the module at `index` (the last by default) and return it; the rest are
        numbered afresh from 0, as after `del`."""
        module = self._item(index)
        del self[index]
        return module

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        """A new ModuleList of these modules, then `other`'s (the same module objects)."""
        return ModuleList([*self, *_modules_of(self, other)])

    def _renumber(self) -> None:
        """Forget names a subclass kept (see `Sequential`): positions name the modules again."""

    def __setattr__(self, name: str, value: Any) -> None:
        # A layer's own name (`model.out = Linear(8, 2)` on a Sequential built from a dict)
        # replaces that layer, as in PyTorch; a plain attribute of that name would leave the
        # old layer in forward and list both layers' parameters under one name.
        items = self.__dict__.get("_items")
        if items is not None and name in self._names():
            self[self._names().index(name)] = value
        else:
            super().__setattr__(name, value)

    def _checked(self, module: Any) -> Module:
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: expected a Module, got "
                            f"{_not_a_module(module)}")
        return module

    def _item(self, index: int) -> Module:
        if isinstance(index, str):
            hint = (f"use the number, model[{index}]" if index.lstrip("-").isdigit() else
                    f"a named layer is an attribute, model.{index}, or "
                    f"model.get_submodule({index!r})")
            raise TypeError(f"{type(self).__name__}: index by position (model[0], model[-1]) or "
                            f"slice, got the string {index!r}; {hint}")
        try:
            return self._items[index]
        except IndexError:
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for "
                             f"{len(self._items)} modules") from None

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(self._items[index])
        return self._item(index)


class _KeyedContainer(Module):
    """What ModuleDict and ParameterDict share: a dict whose entries are registered under their
    keys and read as attributes too (``heads.a is heads["a"]``). A subclass names what an entry
    is (`_entry`: a Module, a Parameter) and turns a value put in into one (`_checked`)."""

    _entry: type = Module

    def __init__(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
                 ) -> None:
        self._entries: dict[str, Any] = {}
        if entries is not None:
            self.update(entries)

    def _checked(self, key: str, value: Any) -> Any:
        raise NotImplementedError

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise TypeError(f"{type(self).__name__}: keys must be non-empty strings without "
                            f"'.', got {key!r}")
        if key not in self._entries:
            _check_key_free(self, key)
        old = self._entries.get(key)
        self._entries[key] = self._checked(key, value)
        if old is not None and old is not value:
            note_replaced(old, value, f"{type(self).__name__}[{key!r}]")

    def __getitem__(self, key: str) -> Any:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(f"{type(self).__name__} has no key {key!r} (its keys: "
                           f"{list(self._entries)})") from None

    def __delitem__(self, key: str) -> None:
        del self._entries[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def keys(self) -> Iterable[str]:
        return self._entries.keys()

    def values(self) -> Iterable[Any]:
        return self._entries.values()

    def items(self) -> Iterable[tuple[str, Any]]:
        return self._entries.items()

    def pop(self, key: str) -> Any:
        return self._entries.pop(key)

    def clear(self) -> None:
        self._entries.clear()

    def update(self, entries: Any) -> None:
        """Add or replace entries from a dict (or (key, value) pairs), checked as `[key] =`."""
        kind = self._entry.__name__
        if not isinstance(entries, Iterable):
            raise TypeError(f"{type(self).__name__}: expected a dict of name -> {kind} or "
                            f"(name, {kind}) pairs, got {type(entries).__name__}")
        pairs = entries.items() if isinstance(entries, (Mapping, _KeyedContainer)) else entries
        for pair in pairs:
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(f"{type(self).__name__}: expected (name, {kind}) pairs, got "
                                f"{pair!r}")
            self[pair[0]] = pair[1]

    def _members(self) -> Iterator[tuple[str, Any]]:
        yield from self._entries.items()
        yield from super()._members()               # attributes a subclass adds

    def __getattr__(self, name: str) -> Any:
        # only reached when ordinary lookup fails: an entry read as an attribute (heads.a)
        if name == "_entries":
            raise AttributeError(_container_without_init(self))
        entries = self.__dict__.get("_entries", {})
        if name in entries:
            return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r} (its "
                             f"keys: {list(entries)})")

    def __setattr__(self, name: str, value: Any) -> None:
        # An entry's key, or an entry's kind under a new public name, goes into the dict, as in
        # PyTorch: `heads.a = Linear(4, 3)` replaces entry "a" instead of adding a second
        # "a.weight" that forward never uses.
        entries = self.__dict__.get("_entries")
        if entries is not None and (name in entries or (isinstance(value, self._entry)
                                                        and not name.startswith("_"))):
            self[name] = value
        else:
            super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name in self.__dict__.get("_entries", {}):
            del self[name]
        else:
            super().__delattr__(name)


class ModuleDict(_KeyedContainer):
    """A dict of modules whose parameters are registered under their keys (PyTorch's
    `nn.ModuleDict`): ``self.heads = ModuleDict({"a": Linear(4, 1), "b": Linear(4, 1)})`` names
    them ``"heads.a.weight"``, ... A plain dict of modules is refused on assignment.

    >>> from nn import Linear
    >>> heads = ModuleDict({"a": Linear(4, 1)}); heads["b"] = Linear(4, 2)
    >>> [name for name, _ in heads.named_parameters()]
    ['a.weight', 'a.bias', 'b.weight', 'b.bias']
    """

    _entry = Module

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None
                 = None) -> None:
        super().__init__(modules)                   # (PyTorch's keyword: modules=)

    def _checked(self, key: str, module: Any) -> Module:
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}[{key!r}]: expected a Module, got "
                            f"{type(module).__name__}")
        return module


def _as_parameter(container: Module, where: str, value: Any) -> Parameter:
    """What a ParameterList or ParameterDict holds: a Parameter as it is; a Tensor, an array or
    a list of numbers made one (sharing a Tensor's or an array's numbers), as PyTorch makes a
    Tensor a Parameter there."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, (Module, Value)) or value is None or isinstance(value, (str, dict)):
        raise TypeError(f"{type(container).__name__}{where}: expected a Parameter (or a Tensor "
                        f"or an array, made one), got {type(value).__name__}")
    try:
        return Parameter(value.data if isinstance(value, Tensor) else value)
    except (TypeError, ValueError) as error:        # say which entry (integers cannot train)
        raise type(error)(f"{type(container).__name__}{where}: {error}") from None


def _parameter_lines(container: Module, items: Iterable[tuple[str, Parameter]]) -> str:
    """A ParameterList's or ParameterDict's repr: one line per parameter, its shape and dtype."""
    lines = [f"  ({name}): Parameter of shape {p.shape}, {p.dtype}"
             + ("" if p.requires_grad else ", frozen") for name, p in items]
    return "\n".join([f"{type(container).__name__}(", *lines, ")"]) if lines \
        else f"{type(container).__name__}()"


class ParameterList(_ListContainer):
    """A list of parameters that a module registers (named ``"0"``, ``"1"``, ...), PyTorch's
    `nn.ParameterList`: a learned scale per layer, say. A Tensor or an array put in becomes a
    Parameter. (A plain list of Parameters is registered too, under the attribute's name; this
    class is a module of its own, so the names, the order of `named_parameters()` and the
    `state_dict()` are PyTorch's.)

    >>> import numpy as np
    >>> scales = ParameterList([Parameter(np.ones(2)) for _ in range(2)]).append(np.zeros(2))
    >>> len(scales), [name for name, _ in scales.named_parameters()]
    (3, ['0', '1', '2'])
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        self._items: list[Parameter] = []
        for value in values or ():
            self.append(value)

    def append(self, value: Any) -> ParameterList:
        self._items.append(_as_parameter(self, f"[{len(self._items)}]", value))
        return self

    def __setitem__(self, index: int, value: Any) -> None:
        """Replace the parameter at `index` (append adds one)."""
        self._check_index(index)
        old = self._items[index]
        self._items[index] = new = _as_parameter(self, f"[{index}]", value)
        if old is not new:
            note_replaced(old, new, f"{type(self).__name__}[{index}]")

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ParameterList(self._items[index])
        self._check_index(index)
        return self._items[index]

    def _check_index(self, index: int) -> None:
        if isinstance(index, (int, np.integer)) and not -len(self._items) <= index < len(
                self._items):
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for "
                             f"{len(self._items)} parameters")

    def __repr__(self) -> str:
        return _parameter_lines(self, ((str(i), p) for i, p in enumerate(self._items)))


class ParameterDict(_KeyedContainer):
    """A dict of parameters that a module registers under their keys, PyTorch's
    `nn.ParameterDict`: ``self.extra = ParameterDict({"bias": Parameter(zeros(4))})`` names it
    ``"extra.bias"``. A Tensor or an array put in becomes a Parameter; entries are attributes
    too (``self.extra.bias``).

    >>> import numpy as np
    >>> extra = ParameterDict({"bias": np.zeros(2)}); extra["scale"] = Parameter(np.ones(2))
    >>> list(extra.keys()), [name for name, _ in extra.named_parameters()]
    (['bias', 'scale'], ['bias', 'scale'])
    """

    _entry = Parameter

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None
                 = None) -> None:
        super().__init__(parameters)                # (PyTorch's keyword: parameters=)

    def _checked(self, key: str, value: Any) -> Parameter:
        return _as_parameter(self, f"[{key!r}]", value)

    def get(self, key: str, default: Any = None) -> Any:
        return self._entries.get(key, default)

    def __repr__(self) -> str:
        return _parameter_lines(self, self._entries.items())
