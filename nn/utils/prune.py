"""Pruning, as `torch.nn.utils.prune` has it: weights set to zero by a mask that stays.

Pruning `module.weight` reparametrises it, as in PyTorch, so checkpoints load both ways:

- the Parameter itself moves to ``weight_orig`` (the same object: an optimizer built before
  still trains it), and a mask of 0s and 1s (the weight's dtype) is the buffer ``weight_mask``;
  the state dict holds ``weight_orig`` and ``weight_mask``;
- ``module.weight`` is a plain Tensor, ``weight_orig * weight_mask``, computed again by a
  forward pre-hook before every call of the module, so a pruned entry gets gradient 0;
- pruning the same tensor again prunes among the entries (or channels) still left: the
  methods are kept together in a `PruningContainer`, and the masks multiply;
- `remove(module, "weight")` makes it permanent: ``weight`` is the Parameter again, with the
  pruned entries 0, and the reparametrisation is gone.

The amount is a fraction of the entries (a float in [0, 1], rounded as Python's `round`) or a
count (an int). On ties the entry or channel that comes first (in row-major order) is pruned
first; PyTorch's `topk` picks among ties by its own selection order, so its mask may differ
there (only there). The random methods draw from glassgrad's generator
(`autograd.manual_seed`), so their masks are not PyTorch's.

>>> import numpy as np
>>> from nn import Linear
>>> layer = Linear(4, 2)
>>> layer.weight.data[...] = [[0.1, -0.5, 0.2, 0.9], [-0.3, 0.05, 0.7, -0.4]]
>>> l1_unstructured(layer, "weight", amount=0.5)
Linear(in_features=4, out_features=2, bias=True)
>>> layer.weight_mask.numpy().astype(int).tolist()
[[0, 1, 0, 1], [0, 0, 1, 1]]
>>> [name for name, _ in layer.named_parameters()], list(layer.state_dict())
(['bias', 'weight_orig'], ['bias', 'weight_orig', 'weight_mask'])
>>> remove(layer, "weight").weight.data[0]
array([ 0. , -0.5,  0. ,  0.9], dtype=float32)
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable, Iterator

import numpy as np

from autograd import Tensor, no_grad
from autograd.graph import Node
from autograd.random import default_rng

from ..module import Module, Parameter, as_array
from .norm_hooks import _remove_hook

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


class BasePruningMethod:
    """A way to prune: subclass it, set `PRUNING_TYPE` ("unstructured", "structured" with a
    `dim`, or "global") and write `compute_mask(t, default_mask)`, which returns the new mask
    (a Tensor or an array of t's shape, 0 where pruned) from the importance scores `t` and the
    mask so far. `YourMethod.apply(module, "weight", ...)` prunes with it, as the built-in ones.

    >>> class EveryOther(BasePruningMethod):
    ...     PRUNING_TYPE = "unstructured"
    ...     def compute_mask(self, t, default_mask):
    ...         mask = default_mask.clone()
    ...         mask.view(-1)[::2] = 0
    ...         return mask
    >>> from nn import Linear
    >>> EveryOther.apply(Linear(3, 2), "weight")     # doctest: +ELLIPSIS
    <...EveryOther object at ...>
    """

    PRUNING_TYPE: str | None = None
    _tensor_name: str | None = None

    def __call__(self, module: Module, inputs: tuple) -> None:
        """The forward pre-hook: `module.<name>` = orig * mask before each call."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define compute_mask(t, "
                                  f"default_mask), returning the new mask")

    def apply_mask(self, module: Module) -> Tensor:
        """The pruned tensor, orig * mask (in the graph of orig: pruned entries get gradient 0)."""
        if self._tensor_name is None:
            raise RuntimeError(f"{type(self).__name__}: the method has not pruned a module yet "
                               f"(use {type(self).__name__}.apply(module, name, ...))")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return orig * mask

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any, importance_scores: Any = None,
              **kwargs: Any) -> BasePruningMethod:
        """Prune `module.<name>` with `cls(*args, **kwargs)` (joined to the pruning it already
        has, in a `PruningContainer`); returns the method now in force. `importance_scores`
        (of the tensor's shape) rank the entries instead of the tensor's own values."""
        where = _where(cls)
        _check_module(where, module, name)
        found = _find(module, name)
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if found is None:
            orig = _parameter(where, module, name)
            default_mask = np.ones(orig.shape, orig.data.dtype)
            combined: BasePruningMethod = method
        else:
            # a new container: the one in force stays until the new mask is known to be valid
            old = found[1]
            combined = PruningContainer(*(old if isinstance(old, PruningContainer) else (old,)))
            combined.add_pruning_method(method)
            orig = getattr(module, name + "_orig")
            default_mask = np.array(as_array(getattr(module, name + "_mask")), order="C")
        scores = _scores(where, module, name, orig, importance_scores)
        if found is not None and importance_scores is None:
            # ranked by orig * mask as it is now (PyTorch ranks by module.<name>, which is as
            # of the last forward: before the last optimizer step)
            scores = scores * default_mask
        # computed before the module changes: a refused amount leaves it as it was (PyTorch's
        # apply loses the earlier pruning's hook then)
        mask = _mask_array(where, combined.compute_mask(Tensor(scores), Tensor(default_mask)),
                           orig.shape, orig.data.dtype)
        if found is None:
            delattr(module, name)
            setattr(module, name + "_orig", orig)       # the same Parameter
        else:
            _remove_hook(module, found[0])
        module.register_buffer(name + "_mask", Tensor(mask))
        setattr(module, name, combined.apply_mask(module))
        module.register_forward_pre_hook(combined)
        return combined

    def prune(self, t: Any, default_mask: Any = None, importance_scores: Any = None) -> Tensor:
        """`t` times the mask this method computes for it (no module involved)."""
        values = t if isinstance(t, Tensor) else Tensor(np.asarray(t))
        scores = values.data if importance_scores is None else as_array(importance_scores)
        default = np.ones(values.shape, values.data.dtype) if default_mask is None \
            else np.array(as_array(default_mask), dtype=values.data.dtype)
        mask = _mask_array(_where(type(self)), self.compute_mask(Tensor(scores), Tensor(default)),
                           values.shape, values.data.dtype)
        return values * Tensor(mask)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: the Parameter `<name>_orig` becomes `<name>` again, holding
        orig * mask, and the mask and the computed tensor go (the hook is `remove`'s to take)."""
        name = self._tensor_name
        if name is None:
            raise RuntimeError(f"{type(self).__name__}: the method has not pruned a module yet")
        orig = getattr(module, name + "_orig")
        with no_grad():
            orig.copy_(self.apply_mask(module).data)    # in place: optimizers keep the object
        for part in (name, name + "_orig", name + "_mask"):
            if part in module.__dict__:
                delattr(module, part)
        setattr(module, name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning methods applied to one tensor in turn; its mask is the last method's,
    computed on what the earlier ones left (the entries still 1, the channels not all 0)."""

    def __init__(self, *methods: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if len(methods) == 1 and isinstance(methods[0], Iterable) \
                and not isinstance(methods[0], BasePruningMethod):
            methods = tuple(methods[0])
        if methods:
            self._tensor_name = getattr(methods[0], "_tensor_name", None)
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"PruningContainer.add_pruning_method: {type(method).__name__} is "
                            f"not a pruning method (a BasePruningMethod)")
        if self._tensor_name is None:
            self._tensor_name = method._tensor_name
        if method._tensor_name != self._tensor_name:
            raise ValueError(f"PruningContainer: it prunes {self._tensor_name!r}; a method for "
                             f"{method._tensor_name!r} cannot join it")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Iterator[BasePruningMethod]:
        return iter(self._pruning_methods)

    def __getitem__(self, index: int) -> BasePruningMethod:
        return self._pruning_methods[index]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The last method's mask, computed only on the part of `t` the mask so far keeps: the
        entries still 1 (unstructured), the slices along its `dim` not all 0 (structured), or
        all of it (global)."""
        method = self._pruning_methods[-1]
        scores, mask = as_array(t), np.array(as_array(default_mask), dtype=as_array(t).dtype)
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            part: Any = mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError(f"{type(method).__name__}: a structured pruning method "
                                     f"needs a `dim` attribute (the axis of the channels)")
            dim = _axis(type(method).__name__, method.dim, scores.ndim, scores.shape)
            others = tuple(d for d in range(scores.ndim) if d != dim)
            part = [slice(None)] * scores.ndim
            part[dim] = mask.sum(axis=others) != 0
            part = tuple(part)
        elif kind == "global":
            part = (slice(None),) * scores.ndim
        else:
            raise ValueError(f"{type(method).__name__}.PRUNING_TYPE must be 'unstructured', "
                             f"'structured' or 'global', got {kind!r}")
        new = method.compute_mask(Tensor(scores[part]), default_mask=Tensor(mask[part]))
        mask[part] = as_array(new)
        return Tensor(mask)


class Identity(BasePruningMethod):
    """Prunes nothing: the reparametrisation alone (a mask of ones), e.g. to load a pruned
    checkpoint into a model that was not pruned."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask


class RandomUnstructured(BasePruningMethod):
    """Prunes `amount` entries drawn at random (glassgrad's generator)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float) -> None:
        self.amount = _checked_amount(type(self).__name__, amount)

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size = int(np.size(as_array(t)))
        k = _count(self.amount, size)
        mask = np.array(as_array(default_mask), order="C")
        mask.reshape(-1)[default_rng().permutation(size)[:k]] = 0
        return Tensor(mask)


class L1Unstructured(BasePruningMethod):
    """Prunes the `amount` entries of smallest absolute value (the first on ties)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float) -> None:
        self.amount = _checked_amount(type(self).__name__, amount)

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        scores = np.abs(as_array(t)).reshape(-1)
        k = _count(self.amount, scores.size)
        mask = np.array(as_array(default_mask), order="C")
        mask.reshape(-1)[_smallest(scores, k)] = 0
        return Tensor(mask)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` whole slices along `dim` (channels), drawn at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, dim: int = -1) -> None:
        self.amount, self.dim = _checked_amount(type(self).__name__, amount), dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        scores = as_array(t)
        dim = _structured_axis(type(self).__name__, scores, self.dim)
        k = _count(self.amount, scores.shape[dim])
        return _channel_mask(scores, default_mask, dim,
                             default_rng().permutation(scores.shape[dim])[:k])


class LnStructured(BasePruningMethod):
    """Prunes the `amount` slices along `dim` (channels) of smallest `n`-norm (1, 2, any p,
    inf, -inf, 0 (nonzero count), 'fro'; 'nuc' for a 3-d tensor); the first on ties."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, n: Any, dim: int = -1) -> None:
        self.amount, self.n, self.dim = _checked_amount(type(self).__name__, amount), n, dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        scores = as_array(t)
        dim = _structured_axis(type(self).__name__, scores, self.dim)
        k = _count(self.amount, scores.shape[dim])
        norms = _slice_norms(type(self).__name__, scores, self.n, dim)
        return _channel_mask(scores, default_mask, dim, _smallest(norms, k))


class CustomFromMask(BasePruningMethod):
    """Prunes where the given `mask` is 0 (on top of the mask so far)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Any) -> None:
        self.mask = as_array(mask)

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        default = as_array(default_mask)
        if self.mask.shape != default.shape:
            raise ValueError(f"custom_from_mask: the mask has shape {self.mask.shape}, the "
                             f"tensor {default.shape}")
        return Tensor(default * self.mask.astype(default.dtype))


# -- the functions ---------------------------------------------------------------------------

def identity(module: Module, name: str) -> Module:
    """Reparametrise `module.<name>` with a mask of ones (prunes nothing); returns the module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: int | float) -> Module:
    """Prune `amount` random entries of `module.<name>`; returns the module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount: int | float,
                    importance_scores: Any = None) -> Module:
    """Prune the `amount` entries of `module.<name>` of smallest absolute value (of
    `importance_scores`, when given); returns the module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: int | float, dim: int) -> Module:
    """Prune `amount` random slices of `module.<name>` along `dim`; returns the module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount: int | float, n: Any, dim: int,
                  importance_scores: Any = None) -> Module:
    """Prune the `amount` slices of `module.<name>` along `dim` of smallest `n`-norm (dim=0:
    a Linear's output units, a convolution's filters); returns the module.

    >>> from nn import Conv2d
    >>> conv = ln_structured(Conv2d(1, 4, 3), "weight", amount=0.5, n=2, dim=0)
    >>> int((conv.weight_mask.numpy().sum(axis=(1, 2, 3)) == 0).sum())
    2
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module: Module, name: str, mask: Any) -> Module:
    """Prune `module.<name>` where `mask` (of its shape) is 0; returns the module."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters: Iterable[tuple[Module, str]], pruning_method: type,
                        importance_scores: dict | None = None, **kwargs: Any) -> None:
    """Prune the tensors `parameters` ((module, name) pairs) together: `pruning_method(**kwargs)`
    (an unstructured one, e.g. `L1Unstructured` with `amount=`) ranks all their entries still
    unpruned as one vector, so layers lose different fractions. `importance_scores` maps
    (module, name) to scores to rank by instead.

    >>> from nn import Linear
    >>> a, b = Linear(10, 10), Linear(10, 10)
    >>> with no_grad():
    ...     _ = b.weight.add_(10)                    # b's weights are all larger
    >>> global_unstructured([(a, "weight"), (b, "weight")], pruning_method=L1Unstructured,
    ...                     amount=100)
    >>> int(a.weight_mask.sum().item()), int(b.weight_mask.sum().item())
    (0, 100)
    """
    where = "global_unstructured"
    if not isinstance(parameters, Iterable):
        raise TypeError(f"{where}: parameters must be an iterable of (module, name) pairs, got "
                        f"{type(parameters).__name__}")
    pairs = list(parameters)
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], Module)
                and isinstance(pair[1], str)):
            raise TypeError(f"{where}: parameters[{i}] must be a (module, name) pair such as "
                            f"(model.fc1, 'weight'), got {pair!r}")
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError(f"{where}: importance_scores must be a dict of (module, name) -> "
                        f"scores, got {type(importance_scores).__name__}")
    if not (isinstance(pruning_method, type) and issubclass(pruning_method, BasePruningMethod)):
        raise TypeError(f"{where}: pruning_method must be a pruning method class such as "
                        f"prune.L1Unstructured (the class, not an instance), got "
                        f"{pruning_method!r}")
    if pruning_method.PRUNING_TYPE != "unstructured":
        raise TypeError(f"{where}: only 'unstructured' pruning methods rank entries across "
                        f"tensors; {pruning_method.__name__} is "
                        f"{pruning_method.PRUNING_TYPE!r}")
    tensors, scores, masks = [], [], []
    for module, name in pairs:
        _check_module(where, module, name)
        tensor = getattr(module, name) if _find(module, name) else _parameter(where, module,
                                                                               name)
        tensors.append(tensor)
        scores.append(_scores(where, module, name, tensor,
                              importance_scores.get((module, name))).reshape(-1))
        held = module.__dict__.get(name + "_mask")
        masks.append(np.ones(tensor.shape, tensor.data.dtype).reshape(-1) if held is None
                     else as_array(held).reshape(-1))
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    flat_scores = np.concatenate(scores) if scores else np.zeros(0)
    flat_mask = np.concatenate(masks).astype(flat_scores.dtype) if masks else np.zeros(0)
    final = as_array(PruningContainer(method).compute_mask(Tensor(flat_scores),
                                                           Tensor(flat_mask)))
    start = 0
    for (module, name), tensor in zip(pairs, tensors):
        count = int(np.size(tensor.data))
        custom_from_mask(module, name, final[start:start + count].reshape(tensor.shape))
        start += count


def remove(module: Module, name: str) -> Module:
    """Make the pruning of `module.<name>` permanent: `<name>` is the Parameter again (the same
    object, which the optimizer keeps), its pruned entries 0; `<name>_orig`, `<name>_mask` and
    the hook go. Returns the module."""
    found = _find(module, name) if isinstance(module, Module) else None
    if found is None:
        raise ValueError(f"prune.remove: {type(module).__name__}.{name} is not pruned, so there "
                         f"is no pruning to remove")
    key, method = found
    method.remove(module)
    _remove_hook(module, key)
    return module


def is_pruned(module: Module) -> bool:
    """True if `module` or any module inside it has a pruned tensor."""
    return any(isinstance(hook, BasePruningMethod)
               for sub in module.modules()
               for hook in sub.__dict__.get("_forward_pre_hooks", {}).values())


# -- helpers ---------------------------------------------------------------------------------

def _where(cls: type) -> str:
    return f"{cls.__name__}.apply"


def _find(module: Module, name: str) -> tuple[int, BasePruningMethod] | None:
    """(id, method) of the pruning hook of `module.<name>`, or None."""
    for key, hook in module.__dict__.get("_forward_pre_hooks", {}).items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            return key, hook
    return None


def _check_module(where: str, module: Any, name: Any) -> None:
    if not isinstance(module, Module):
        raise TypeError(f"{where}: the first argument is the module to prune (model.fc1), got "
                        f"{type(module).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"{where}: name must be the tensor's name, such as 'weight', got "
                        f"{name!r}")


def _parameter(where: str, module: Module, name: str) -> Parameter:
    held = module.__dict__.get(name)
    if isinstance(held, Parameter):
        return held
    own = [n for n, _ in module.named_parameters(recurse=False)]
    what = ("None (a layer made with bias=False has no bias to prune)" if held is None
            and name in module.__dict__ else "not a parameter of it")
    raise AttributeError(f"{where}: {type(module).__name__}.{name} is {what}; its parameters: "
                         f"{own or 'none'}")


def _scores(where: str, module: Module, name: str, tensor: Tensor, given: Any) -> np.ndarray:
    """The numbers that rank the entries: `given`, or the tensor's own."""
    if given is None:
        return np.asarray(tensor.data)
    scores = as_array(given)
    if scores.shape != tensor.shape:
        raise ValueError(f"{where}: importance_scores have shape {scores.shape}, "
                         f"{type(module).__name__}.{name} {tensor.shape}; they must match")
    return scores


def _mask_array(where: str, mask: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """A method's mask as a fresh array of the tensor's shape and dtype."""
    array = as_array(mask.data if isinstance(mask, Node) else mask)
    if array.shape != tuple(shape):
        raise ValueError(f"{where}: compute_mask returned a mask of shape {array.shape} for a "
                         f"tensor of shape {tuple(shape)}")
    return np.array(array, dtype=dtype, order="C")


def _checked_amount(method: str, amount: Any) -> int | float:
    """PyTorch's checks of `amount` where the method is made: a fraction or a count (the
    messages PyTorch's, after the pruning method's name)."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"prune.{method}: Invalid type for amount: {type(amount).__name__}. Must be int (a "
                        f"count) or float (a fraction)")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"prune.{method}: amount={amount} should either be a float in the range [0, 1] or a "
                         f"non-negative integer")
    return amount


def _count(amount: int | float, size: int) -> int:
    """How many of `size` to prune: a count as given (at most `size`), a fraction rounded as
    Python rounds (half to even: 0.5 of 5 is 2), as PyTorch does."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters "
                             f"to prune={size}")
        return int(amount)
    return round(amount * size)


def _smallest(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` smallest of 1-d `values`, the first ones on ties (in O(n))."""
    if k <= 0:
        return np.zeros(0, np.intp)
    if k >= values.size:
        return np.arange(values.size)
    threshold = np.partition(values, k - 1)[k - 1]
    below = np.flatnonzero(values < threshold)
    tied = np.flatnonzero(values == threshold)[:k - below.size]
    return np.concatenate([below, tied])


def _axis(who: str, dim: Any, ndim: int, shape: tuple) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -ndim <= dim < ndim:
        raise IndexError(f"{who}: dim={dim!r} is not an axis of a tensor of shape {shape}")
    return int(dim) % ndim


def _structured_axis(who: str, scores: np.ndarray, dim: Any) -> int:
    if scores.ndim <= 1:
        raise ValueError(f"{who}: structured pruning removes whole slices of a tensor of 2 or "
                         f"more dimensions; this one has shape {scores.shape} (prune a bias "
                         f"with l1_unstructured)")
    return _axis(who, dim, scores.ndim, scores.shape)


def _slice_norms(who: str, scores: np.ndarray, n: Any, dim: int) -> np.ndarray:
    """The `n`-norm of each slice of `scores` along `dim` (over all its other axes)."""
    slices = np.moveaxis(scores, dim, 0)
    if n == "nuc":
        if scores.ndim != 3:
            raise ValueError(f"{who}: n='nuc' takes the nuclear norm of the matrix left by each "
                             f"slice, so it needs a 3-d tensor, got shape {scores.shape}")
        return np.linalg.norm(slices, "nuc", axis=(1, 2))
    if n == "fro":
        n = 2
    if isinstance(n, bool) or not isinstance(n, numbers.Real):
        raise TypeError(f"{who}: n must be a number (1, 2, float('inf'), ...), 'fro' or 'nuc', "
                        f"got {n!r}")
    return np.linalg.norm(slices.reshape(slices.shape[0], -1), ord=n, axis=1)


def _channel_mask(scores: np.ndarray, default_mask: Any, dim: int,
                  pruned: np.ndarray) -> Tensor:
    """The mask so far with the slices `pruned` along `dim` set to 0."""
    mask = np.array(as_array(default_mask), dtype=scores.dtype, order="C")
    if len(pruned):
        where = [slice(None)] * scores.ndim
        where[dim] = pruned
        mask[tuple(where)] = 0
    return Tensor(mask)
