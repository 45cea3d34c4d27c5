"""The helpers of `Module.state_dict` and `Module.load_state_dict`: a state's numbers as
arrays (`as_array`, which takes PyTorch's tensors too, and `_numbers_of`, checked per entry), a
parameter's detached entry, and the hints a load's error carries when a state does not fit (a
whole training checkpoint, a path or a method instead of a dict, a wrapped model's names, one
part's weights, a reparametrized weight, a transposed one). What a load returns and raises,
`IncompatibleKeys`, `StateDictKeyError` and `StateDictShapeError`, stays in `nn.module`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd import Tensor
from autograd.graph import Node

if TYPE_CHECKING:
    from .module import Module


def as_array(value: Any) -> np.ndarray:
    """The numbers of `value` as a numpy array: a Tensor's or Value's data, an array or number
    as it is, and anything else with a `.numpy()` method (a PyTorch tensor) through it, after
    `.detach()` (a tensor that requires grad refuses `.numpy()`) and `.cpu()` when it has them.
    Nothing is imported: the check is by method name.

    >>> class Fake:                       # stands in for a torch.Tensor
    ...     def numpy(self): return np.ones(2)
    >>> as_array(Fake())
    array([1., 1.])
    """
    if isinstance(value, Node):
        return np.asarray(value.data)
    if not isinstance(value, np.ndarray) and callable(getattr(value, "numpy", None)):
        for move in ("detach", "cpu"):
            if callable(getattr(value, move, None)):
                value = getattr(value, move)()
        return np.asarray(value.numpy())
    return np.asarray(value)


def _detached(parameter: Node) -> Tensor:
    """A parameter in a state dict: a Tensor's data, shared, with no history (`detach`); a
    Value's number, which cannot be shared, as a 0-d float64 Tensor."""
    if isinstance(parameter, Tensor):
        return parameter.detach()
    return Tensor(np.array(parameter.data, dtype=np.float64))


def uncalled_method(value: Any) -> str:
    """A hint when `value` is a bound method that was meant to be called (model.state_dict
    without its parentheses), else ""."""
    if inspect.ismethod(value):
        return f" (the method {value.__name__} itself; call it: .{value.__name__}())"
    return ""


def _what(state: Any) -> str:
    """What was passed instead of a state dict, and what to pass."""
    from .module import Module          # here, not above: nn.module imports this module
    if inspect.ismethod(state):
        return f"method{uncalled_method(state)}"
    if isinstance(state, Module):
        return f"the {type(state).__name__} module itself; pass its .state_dict()"
    if isinstance(state, (str, os.PathLike)):
        return f"the path {os.fspath(state)!r}; read a file with model.load(path) or nn.load(path)"
    return type(state).__name__


def _nested_hint(state: Mapping) -> str:
    """A hint when `state` is a whole training checkpoint rather than the model's weights."""
    if isinstance(state.get("model"), Mapping):
        return " (a training checkpoint: pass its ['model'] entry)"
    return ""


def _prefix_hint(unexpected: list[str], names: Mapping[str, Any], model: Module) -> str:
    """A hint when the state's names and the model's differ only by a first part: a checkpoint
    of a wrapped model (PyTorch's DataParallel saves "module.0.weight", torch.compile
    "_orig_mod.0.weight"), or the weights of one part of this model."""
    if not unexpected:
        return ""
    firsts = {name.split(".", 1)[0] for name in unexpected}
    if len(firsts) == 1 and all("." in name and name.split(".", 1)[1] in names
                                for name in unexpected):
        extra = firsts.pop() + "."
        return (f" (the state's names start with {extra!r}, the model's do not: pass "
                f"{{k.removeprefix({extra!r}): v for k, v in state.items()}})")
    fits = [part for part, _ in model.named_children()
            if all(f"{part}.{name}" in names for name in unexpected)]
    if len(fits) == 1:
        return (f" (the state's names are those of the model's part {fits[0]!r}: load it "
                f"there, model.get_submodule({fits[0]!r}).load_state_dict(state))")
    return ""


def _numbers_of(name: str, value: Any, buffer: bool) -> np.ndarray:
    """`value` as an array of numbers for parameter (floats) or buffer `name`, else an error
    naming it."""
    try:
        array = as_array(value)
    except ValueError as err:                           # ragged nested lists
        raise ValueError(f"load_state_dict: {name!r} is not a rectangular array ({err})") \
            from None
    if buffer:                                          # a buffer keeps its own dtype (counts
        if array.dtype.kind not in "biuf":              # are ints)
            raise TypeError(f"load_state_dict: buffer {name!r} holds {array.dtype} data, "
                            f"expected numbers")
    elif array.dtype.kind != "f":                       # parameters are floating point
        raise TypeError(f"load_state_dict: {name!r} holds {array.dtype} data, expected "
                        f"floating-point numbers")
    return array


def _reparametrized_hint(missing: list[str], unexpected: list[str]) -> str:
    """A hint when the state and the model store a tensor in different forms: plain, as
    parametrizations (``parametrizations.weight.original0``) or by the older hooks (`weight_g`,
    `weight_orig`, ...)."""
    theirs = {_plain_name(name) for name in unexpected}
    both = [name for name in dict.fromkeys(map(_plain_name, missing)) if name in theirs]
    if not both:
        return ""
    pruned = [name for name in both if name + "_mask" in unexpected or name + "_mask" in missing]
    if pruned:
        at, _, tensor = pruned[0].rpartition(".")
        module = "model" + "".join(f"[{part}]" if part.isdigit() else f".{part}"
                                   for part in at.split(".") if part)
        if pruned[0] + "_mask" in unexpected:
            return (f" ({pruned[0]!r} was pruned in the state ({tensor}_orig and {tensor}_mask): "
                    f"prune this model's tensor too before loading, "
                    f"nn.utils.prune.identity({module}, {tensor!r}), or save after "
                    f"prune.remove(...))")
        return (f" ({pruned[0]!r} is pruned in this model ({tensor}_orig and {tensor}_mask) but "
                f"not in the state: load it before pruning, or after "
                f"nn.utils.prune.remove({module}, {tensor!r}))")
    return (f" ({both[0]!r} is stored in another form on each side: reparametrized (weight_norm, "
            f"spectral_norm, orthogonal, ...) on one only, or in the other style; apply the same "
            f"to both models, or load the plain weights first and reparametrize after)")


def _plain_name(name: str) -> str:
    """The tensor a state entry stores: "fc.weight" for "fc.parametrizations.weight.original0",
    "fc.parametrizations.weight.0._u", "fc.weight_g", "fc.weight_orig", "fc.weight_mask" (a
    pruned one), ...; else the name."""
    parts = name.split(".")
    if "parametrizations" in parts[:-1]:
        at = len(parts) - 1 - parts[::-1].index("parametrizations")
        return ".".join(parts[:at] + parts[at + 1:at + 2])
    for suffix in ("_g", "_v", "_orig", "_u", "_mask"):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def _shape_report(wrong_shapes: list[tuple[str, tuple, tuple]]) -> str:
    """"'name' has shape ..., the model expects ..." for each (name, got, expected), with the
    transpose hint after the first that is transposed (once is enough)."""
    parts = [f"{name!r} has shape {got}, the model expects {expected}"
             for name, got, expected in wrong_shapes]
    for i, (_, got, expected) in enumerate(wrong_shapes):
        hint = _transposed_hint(got, expected)
        if hint:
            parts[i] += hint
            break
    return "; ".join(parts)


def _transposed_hint(got: tuple, expected: tuple) -> str:
    """A hint when a 2-d array arrives transposed: most likely an (in, out) Linear weight."""
    if len(got) != 2 or got != expected[::-1]:
        return ""
    return (" (its transpose: Linear weights are (out_features, in_features), PyTorch's layout; "
            "glassgrad 0.1 stored them (in, out): `model.load(path)` converts such checkpoints, "
            "or pass the array's .T)")
