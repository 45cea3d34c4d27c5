"""PyTorch's older weight normalisation and spectral normalisation, made by a forward pre-hook:
`nn.utils.weight_norm`, `remove_weight_norm`, `spectral_norm`, `remove_spectral_norm`.

Before each forward the hook computes `module.weight` from the parameters that train and sets
it as a plain attribute (a Tensor, not a Parameter). The state dict has PyTorch's keys of this
style, so old checkpoints load both ways:

- weight_norm: ``weight_g`` (the lengths g) and ``weight_v`` (the directions v), weight =
  g · v / ‖v‖;
- spectral_norm: ``weight_orig`` (W, the very Parameter that was `weight`), and the buffers
  ``weight_u`` and ``weight_v`` of the power iteration; weight = W / σ, σ = uᵀ W v.

PyTorch now recommends `nn.utils.parametrizations`, which computes the weight at every read
(also outside forward) and keeps the state under ``parametrizations.weight.*``.

>>> import numpy as np
>>> from nn import Linear
>>> layer = weight_norm(Linear(3, 2))
>>> list(layer.state_dict())
['bias', 'weight_g', 'weight_v']
>>> remove_weight_norm(layer)
Linear(in_features=3, out_features=2, bias=True)
>>> list(layer.state_dict())
['bias', 'weight']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, no_grad
from autograd.random import default_rng

from ..conv import _ConvTransposeNd
from ..module import Module, Parameter, RemovableHandle, as_array, is_parameter
from .parametrizations import (as_matrix, checked_dim, checked_power_settings, norm_except_dim,
                              unit)

__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


class _WeightNormHook:
    """Sets `module.<name>` = g · v / ‖v‖ before each forward."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim

    def compute_weight(self, module: Module) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim))

    def __call__(self, module: Module, args: tuple) -> None:
        setattr(module, self.name, self.compute_weight(module))


class _SpectralNormHook:
    """Sets `module.<name>` = W / σ before each forward, after `n_power_iterations` steps of
    power iteration in training mode."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name, self.n_power_iterations, self.dim, self.eps = \
            name, n_power_iterations, dim, eps

    def compute_weight(self, module: Module, power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = as_array(getattr(module, self.name + "_u"))     # the buffers' arrays (a Tensor's
        v = as_array(getattr(module, self.name + "_v"))     # own, or an array assigned)
        matrix = as_matrix(weight, self.dim)
        if power_iteration:
            # v first, then u (this style's order); in the buffers' arrays, which the state
            # dict shares
            for _ in range(self.n_power_iterations):
                v[...] = unit(matrix.data.T @ u, self.eps)
                u[...] = unit(matrix.data @ v, self.eps)
        sigma = Tensor(u.copy()).dot(matrix.mv(Tensor(v.copy())))
        return weight / sigma

    def __call__(self, module: Module, args: tuple) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def _find_hook(module: Module, kind: type, name: str) -> tuple[int, Any] | None:
    """(id, hook) of `module`'s forward pre-hook of class `kind` for the tensor `name`."""
    for key, hook in module.__dict__.get("_forward_pre_hooks", {}).items():
        if isinstance(hook, kind) and hook.name == name:
            return key, hook
    return None


def _remove_hook(module: Module, key: int) -> None:
    """Remove `module`'s forward pre-hook `key` as its handle would (which also puts the module
    back on the plain call when no hook is left). The handle is made here, not kept from
    registration: a deep copy of the module has the hook but not a handle of its own."""
    handle = RemovableHandle(module, "_forward_pre_hooks")
    handle.id = key
    handle.remove()


def _parameter(where: str, module: Module, name: str, kind: type) -> Parameter:
    """The Parameter `name` of `module`, or an error saying what is wrong."""
    if not isinstance(module, Module):
        raise TypeError(f"{where}: the first argument is the module to change, got "
                        f"{type(module).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"{where}: name must be a string such as 'weight', got {name!r}")
    if _find_hook(module, kind, name) is not None:
        raise RuntimeError(f"{where}: {type(module).__name__}.{name} already has a {where} "
                           f"hook (a second would normalise it twice)")
    held = module.__dict__.get(name)
    if isinstance(held, Parameter):
        return held
    own = [n for n, _ in module.named_parameters(recurse=False)]
    if name in module.__dict__.get("_buffer_names", ()):
        what = "a buffer, which does not train (nn.utils.parametrizations can parametrise one)"
    elif is_parameter(held):
        what = "a Value; the hooks work on Tensor layers"
    else:
        what = "not a parameter"
    raise ValueError(f"{where}: {type(module).__name__}.{name} is {what}; its parameters: "
                     f"{own or 'none'}")


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace the parameter `name` by `name_g` and `name_v` (see the top of this file);
    returns the module. `dim` keeps a g of its own, 0 (the output units) by default; None, or
    -1 as in PyTorch, takes one norm of the whole tensor.

    >>> from nn import Linear
    >>> layer = weight_norm(Linear(3, 2))
    >>> layer.weight_g.shape, layer.weight_v.shape
    ((2, 1), (2, 3))
    """
    where = "weight_norm"
    weight = _parameter(where, module, name, _WeightNormHook)
    dim = -1 if dim is None else dim
    if dim != -1:
        dim = checked_dim(where, dim, weight.ndim, name)
    hook = _WeightNormHook(name, dim)
    with no_grad():
        g = norm_except_dim(weight, dim).data
    delattr(module, name)
    setattr(module, name + "_g", Parameter(np.array(g), requires_grad=weight.requires_grad))
    setattr(module, name + "_v", Parameter(weight.data.copy(),
                                           requires_grad=weight.requires_grad))
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Put back the parameter `name`, with the value g · v / ‖v‖ has now; returns the module."""
    found = _find_hook(module, _WeightNormHook, name)
    if found is None:
        raise ValueError(f"remove_weight_norm: {type(module).__name__} has no weight_norm on "
                         f"{name!r}")
    key, hook = found
    with no_grad():
        weight = hook.compute_weight(module)
    trains = getattr(module, name + "_v").requires_grad
    _remove_hook(module, key)
    for part in (name, name + "_g", name + "_v"):
        delattr(module, part)
    setattr(module, name, Parameter(weight.data, requires_grad=trains))
    return module


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide the parameter `name` by its largest singular value before each forward (see the
    top of this file); returns the module. `dim` makes the matrix's rows: 1 for the
    transposed convolutions, else 0. u and v start as random unit vectors (no power iteration
    yet: the first forward in training mode takes `n_power_iterations` steps).

    >>> from nn import Linear
    >>> layer = spectral_norm(Linear(3, 2))
    >>> sorted(name for name in layer.state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    where = "spectral_norm"
    weight = _parameter(where, module, name, _SpectralNormHook)
    if dim is None:
        dim = 1 if isinstance(module, _ConvTransposeNd) else 0
    dim = checked_dim(where, dim, weight.ndim, name)
    n_power_iterations, eps = checked_power_settings(where, n_power_iterations, eps)
    hook = _SpectralNormHook(name, n_power_iterations, dim, eps)
    rows, columns = as_matrix(weight, dim).shape
    rng, dtype = default_rng(), weight.data.dtype
    delattr(module, name)
    setattr(module, name + "_orig", weight)            # the same Parameter: optimizers keep it
    # constant Tensors, as PyTorch's buffers (their arrays are written in place)
    module.register_buffer(name + "_u",
                           Tensor(unit(rng.standard_normal(rows), hook.eps).astype(dtype)))
    module.register_buffer(name + "_v",
                           Tensor(unit(rng.standard_normal(columns), hook.eps).astype(dtype)))
    setattr(module, name, weight.detach())             # until the first forward, as in PyTorch
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Put back the parameter `name`, with the value W / σ has now (no power iteration);
    returns the module."""
    found = _find_hook(module, _SpectralNormHook, name)
    if found is None:
        raise ValueError(f"remove_spectral_norm: {type(module).__name__} has no spectral_norm "
                         f"on {name!r}")
    key, hook = found
    with no_grad():
        weight = hook.compute_weight(module, power_iteration=False)
    trains = getattr(module, name + "_orig").requires_grad
    _remove_hook(module, key)
    for part in (name, name + "_orig", name + "_u", name + "_v"):
        delattr(module, part)
    setattr(module, name, Parameter(weight.data, requires_grad=trains))
    return module
