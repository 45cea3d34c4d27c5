"""Gradient clipping, and parameters unrolled into one vector, as `torch.nn.utils` has them;
sequences of different lengths, padded and packed for the recurrent layers, in `nn.utils.rnn`
(`pad_sequence`, `pack_padded_sequence`, `pad_packed_sequence`, `PackedSequence`, ...);
weights computed from other parameters: `nn.utils.parametrize` (`register_parametrization`,
...), weight and spectral normalisation as parametrizations in `nn.utils.parametrizations`,
and in PyTorch's older style, by a forward pre-hook, `weight_norm`, `spectral_norm` and their
`remove_*` here (nn.utils.norm_hooks); a module run with other tensors in place of its
parameters (MAML's fast weights): `nn.utils.stateless.functional_call`, PyTorch's
`torch.func.functional_call`; weights pruned to zero by a mask that stays
(`nn.utils.prune`: `l1_unstructured`, `ln_structured`, `global_unstructured`, `remove`, ...).

`clip_grad_norm_` rescales all the gradients together so that their joint norm (the norm of
every gradient number laid end to end) is at most `max_norm`; the direction of the step is kept.
`clip_grad_value_` clamps every gradient number to [-clip_value, clip_value] on its own.
Both change the `.grad` of Tensors (in place) and of Values; parameters without a gradient are
skipped. PyTorch's two halves of `clip_grad_norm_` are here too: `get_total_norm` and
`clip_grads_with_norm_`.

>>> import numpy as np
>>> from autograd import Tensor
>>> w = Tensor([3.0, 4.0], requires_grad=True)
>>> (w * w).sum().backward()                 # grad = 2w = [6, 8], norm 10
>>> clip_grad_norm_([w], max_norm=5.0).item()
10.0
>>> w.grad.round(4)                          # now of norm 5 (a hair less, as in PyTorch)
array([3., 4.], dtype=float32)

`parameters_to_vector` lays every parameter end to end (the lectures' "unrolled" θ of
Θ(1), Θ(2), ...), and `vector_to_parameters` writes such a vector back; gradient checking and
optimizers that want one flat vector (scipy's) use the pair.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd import Tensor, concatenate, get_default_dtype, no_grad
from autograd.graph import Node
from autograd.pytorch_names import type_name

from . import parametrizations, parametrize, prune, rnn, stateless
from .norm_hooks import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
           "parameters_to_vector", "vector_to_parameters", "rnn", "parametrize",
           "parametrizations", "prune", "stateless", "weight_norm", "remove_weight_norm", "spectral_norm",
           "remove_spectral_norm"]


def _parameters(where: str, parameters: Any) -> list[Node]:
    """The parameters as a list: one Tensor or Value, or an iterable of them (a generator such
    as `model.parameters()` is read once)."""
    if isinstance(parameters, Node):
        return [parameters]
    try:
        params = list(parameters)
    except TypeError:
        raise TypeError(f"{where}: parameters must be a Tensor or an iterable of Tensors "
                        f"(e.g. model.parameters()), got {type(parameters).__name__}") from None
    for i, p in enumerate(params):
        if not isinstance(p, Node):
            raise TypeError(f"{where}: parameter {i} is a {type_name(p)}, not a Tensor or "
                            f"Value")
    return params


def _grad_array(g: Any) -> np.ndarray:
    """A gradient's numbers as an array, whatever holds them (array, numpy or Python number,
    or a Tensor left by `backward(create_graph=True)`)."""
    return np.asarray(g.data if isinstance(g, Node) else g)


def _scale_grad(p: Node, factor: float) -> None:
    """Multiply `p.grad` by `factor`: in place for an array, so references to it see the change."""
    g = p.grad
    if isinstance(g, np.ndarray) and g.flags.writeable:
        g *= factor
    elif isinstance(g, (np.ndarray, Node)):     # read-only, or left by create_graph=True
        p.grad = g * factor
    else:                                       # a Value's float, a 0-d numpy scalar
        p.grad = type(g)(g * factor)


def _number(where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale the gradients of `parameters` together so that their total `norm_type`-norm is at
    most `max_norm`; return the total norm before clipping (a Tensor with no history).

    As in PyTorch, each gradient is multiplied by min(1, max_norm / (total + 1e-6)), and
    `norm_type` may be `inf` (the largest absolute value). A NaN total makes every gradient
    NaN; an infinite one makes the finite numbers 0 and the infinite ones NaN (inf · 0);
    `error_if_nonfinite=True` raises instead. The norm is summed in float64, so float32
    gradients with numbers beyond about 1e19 are clipped where PyTorch's float32 sum overflows
    to an infinite total (and zeroes them). `foreach` is PyTorch's choice of implementation,
    accepted and ignored (there is one).

    >>> from autograd import Value
    >>> a, b = Value(1.0), Value(1.0)
    >>> (3 * a + 4 * b).backward()
    >>> clip_grad_norm_([a, b], 1.0).item(), round(a.grad, 4), round(b.grad, 4)
    (5.0, 0.6, 0.8)
    """
    where = "clip_grad_norm_"
    params = [p for p in _parameters(where, parameters) if p.grad is not None]
    max_norm = _max_norm(where, max_norm)
    total = _total_norm(where, [_grad_array(p.grad) for p in params], norm_type,
                        error_if_nonfinite)
    _clip_to(params, max_norm, float(total))
    return total


def get_total_norm(tensors: Any, norm_type: float | str = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """PyTorch's `get_total_norm`: the `norm_type`-norm of every number of `tensors` (the
    gradients, `[p.grad for p in model.parameters()]`: arrays or Tensors; None is skipped) laid
    end to end, as a Tensor with no history: the first half of `clip_grad_norm_`, which
    `clip_grads_with_norm_` completes.

    >>> get_total_norm([np.array([3.0]), np.array([4.0]), None]).item()
    5.0
    """
    where = "get_total_norm"
    if isinstance(tensors, (Node, np.ndarray)):
        tensors = [tensors]
    try:
        arrays = [_grad_array(t) for t in tensors if t is not None]
    except TypeError:
        raise TypeError(f"{where}: tensors must be a Tensor, an array or an iterable of them "
                        f"(the gradients: [p.grad for p in model.parameters()]), got "
                        f"{type(tensors).__name__}") from None
    return _total_norm(where, arrays, norm_type, error_if_nonfinite)


def clip_grads_with_norm_(parameters: Any, max_norm: float, total_norm: Any,
                          foreach: bool | None = None) -> None:
    """PyTorch's `clip_grads_with_norm_`: scale the gradients of `parameters` by
    min(1, max_norm / (total_norm + 1e-6)), the second half of `clip_grad_norm_`, for a
    `total_norm` computed by `get_total_norm` (or over more parameters than these).

    >>> w = Tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()                 # grad = [6, 8], norm 10
    >>> clip_grads_with_norm_([w], 5.0, get_total_norm([w.grad])); w.grad.round(4)
    array([3., 4.], dtype=float32)
    """
    where = "clip_grads_with_norm_"
    params = [p for p in _parameters(where, parameters) if p.grad is not None]
    total = np.asarray(total_norm.data if isinstance(total_norm, Node) else total_norm)
    if total.shape != () or total.dtype.kind not in "iuf":
        raise TypeError(f"{where}: total_norm must be one number (get_total_norm's result), "
                        f"got {total_norm!r}")
    _clip_to(params, _max_norm(where, max_norm), float(total))


def _max_norm(where: str, max_norm: Any) -> float:
    max_norm = _number(where, "max_norm", max_norm)
    if not max_norm >= 0:                   # also refuses NaN
        raise ValueError(f"{where}: max_norm must be >= 0, got {max_norm} (a negative one "
                         f"would flip the gradients)")
    return max_norm


def _total_norm(where: str, grads: list[np.ndarray], norm_type: float | str,
                error_if_nonfinite: bool) -> Tensor:
    """The `norm_type`-norm of all the numbers of `grads` together, summed in float64, as a
    Tensor of the first floating gradient's dtype (the default dtype if there is none)."""
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        norm_type = math.inf
    norm_type = _number(where, "norm_type", norm_type)
    if not norm_type > 0:
        raise ValueError(f"{where}: norm_type must be > 0 (2.0 for the Euclidean norm, "
                         f"float('inf') for the largest absolute value), got {norm_type}")
    dtype = next((g.dtype for g in grads if g.dtype.kind == "f"), np.dtype(get_default_dtype()))
    if not grads:
        return Tensor(np.zeros((), dtype))
    if norm_type == 2.0:
        # the usual norm as the root of the sum of each gradient's Σ g² by one product:
        # linalg.norm's checks cost ~3 µs a gradient, most of a small model's clipping
        total = math.sqrt(sum(float(np.dot(v, v)) for v in
                              (g.ravel().astype(np.float64) for g in grads)))
    else:
        # the norm of the per-parameter norms is the norm of all the numbers together
        norms = np.array([np.linalg.norm(g.ravel().astype(np.float64), ord=norm_type)
                          for g in grads])
        total = float(np.linalg.norm(norms, ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"{where}: the total {norm_type}-norm of the gradients is {total}, "
                           f"so they cannot be clipped (error_if_nonfinite=True)")
    return Tensor(np.array(total, dtype))


def _clip_to(params: list[Node], max_norm: float, total: float) -> None:
    """Scale every gradient by min(1, max_norm / (total + 1e-6))."""
    # np.minimum, not min(): a NaN total gives a NaN factor (min(1.0, nan) is 1.0), so every
    # gradient becomes NaN, as in PyTorch, instead of some staying unclipped
    factor = float(np.minimum(1.0, max_norm / (total + 1e-6)))
    if factor == 1.0:           # a norm within bounds: multiplying by 1 would change no number
        return
    with np.errstate(invalid="ignore"):     # inf · 0 is NaN, as in PyTorch, without a warning
        for p in params:
            _scale_grad(p, factor)


def clip_grad_value_(parameters: Any, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient number of `parameters` to [-clip_value, clip_value], in place
    (`foreach`, PyTorch's choice of implementation, is accepted and ignored).

    >>> from autograd import Tensor
    >>> w = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    >>> (w * w).sum().backward()             # grad = [2, -4, 6]
    >>> clip_grad_value_([w], 3.0); w.grad
    array([ 2., -3.,  3.], dtype=float32)
    """
    where = "clip_grad_value_"
    params = [p for p in _parameters(where, parameters) if p.grad is not None]
    clip_value = _number(where, "clip_value", clip_value)
    if not clip_value >= 0:
        raise ValueError(f"{where}: clip_value must be >= 0, got {clip_value}")
    for p in params:
        g = p.grad
        if isinstance(g, np.ndarray) and g.flags.writeable:
            np.clip(g, -clip_value, clip_value, out=g)
        elif isinstance(g, (np.ndarray, Node)):     # read-only, or left by create_graph=True
            p.grad = g.clip(-clip_value, clip_value)
        else:
            p.grad = type(g)(min(max(g, -clip_value), clip_value))


def parameters_to_vector(parameters: Any) -> Tensor:
    """All of `parameters` laid end to end in one 1-d Tensor, each flattened row by row: the
    lectures' unrolled θ. As in PyTorch it is made by graph ops, so a cost computed from it
    backpropagates into the parameters. Arrays are taken too, as constants: the gradients
    unroll the same way, `parameters_to_vector(p.grad for p in model.parameters())`.

    >>> from nn import Linear
    >>> layer = Linear(2, 1)
    >>> vector_to_parameters([0.5, -1.0, 2.0], layer.parameters())   # weight (1, 2), bias (1,)
    >>> theta = parameters_to_vector(layer.parameters())
    >>> theta.data, theta.requires_grad
    (array([ 0.5, -1. ,  2. ], dtype=float32), True)
    >>> (theta * theta).sum().backward(); layer.weight.grad, layer.bias.grad
    (array([[ 1., -2.]], dtype=float32), array([4.], dtype=float32))
    >>> parameters_to_vector(p.grad for p in layer.parameters()).data
    array([ 1., -2.,  4.], dtype=float32)
    """
    where = "parameters_to_vector"
    items = [parameters] if isinstance(parameters, (Tensor, np.ndarray)) else list(parameters)
    if not items:
        raise ValueError(f"{where}: got no parameters")
    for i, p in enumerate(items):
        if p is None:
            raise TypeError(f"{where}: item {i} is None (a parameter's .grad before any "
                            f"backward()?)")
        if not isinstance(p, (Tensor, np.ndarray)):
            hint = (": for the scalar engine's Values use [p.data for p in parameters]"
                    if isinstance(p, Node) else "")
            raise TypeError(f"{where}: item {i} is a {type_name(p)}, not a Tensor or a numpy "
                            f"array{hint}")
    return concatenate([p.reshape(-1) for p in items])


def vector_to_parameters(vector: Any, parameters: Any) -> None:
    """Write the 1-d `vector` into `parameters` in place, in the order `parameters_to_vector`
    reads them (nothing is recorded: the parameters are leaves and get new numbers)."""
    where = "vector_to_parameters"
    params = _parameters(where, parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: parameter {i} is a {type(p).__name__}, not a Tensor")
    flat = np.asarray(vector.data if isinstance(vector, Tensor) else vector)
    if flat.ndim != 1:
        raise ValueError(f"{where}: vector must be 1-d, got shape {flat.shape}")
    needed = sum(p.data.size for p in params)
    if flat.size != needed:
        raise ValueError(f"{where}: vector has {flat.size} numbers but the parameters hold "
                         f"{needed} ({', '.join(str(p.shape) for p in params)})")
    start = 0
    with no_grad():
        for p in params:
            p.copy_(flat[start:start + p.data.size].reshape(p.shape))
            start += p.data.size
