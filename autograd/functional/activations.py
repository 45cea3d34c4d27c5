"""The activations with options, for Tensors (`leaky_relu` for a Value too): `leaky_relu`, `elu`,
`selu` and `celu` (one op, `Elu`), `gelu` (exact or its tanh approximation), `clip`, and the
stable softmax family, `logsumexp`, `softmax`, `log_softmax`. Their ops, each with its
derivative right under the forward, are in autograd/ops/elementwise.py (`LeakyRelu`, `Elu`,
`Clip`), autograd/ops/gelu.py and autograd/ops/softmax.py.

PyTorch's `inplace=True` (here, in autograd.functional's `relu`, and in nn.functional's and
nn's activations and dropout) writes the result into the input, which it returns, as PyTorch
does: `written_in_place`.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np  # (the examples use it)

from ..graph import Leaf, Node, apply, grad_mode
from ..ops.elementwise import Elu, LeakyRelu
from ..ops.gelu import APPROXIMATIONS, Gelu, GeluTanh, SavedCdf
from ..tensor import Tensor
from ..value import Value, _apply_one
from .arguments import _floating, _real, _tensor


def written_in_place(name: str, x: Any, function: Callable[[Tensor], Tensor]) -> Tensor:
    """PyTorch's `inplace=True` of the function `name`: the Tensor x itself becomes
    `function(x)`, and is returned (`F.relu(h, inplace=True) is h`), under the rules of the
    in-place methods (autograd/tensor_in_place_functions.py): an op's result in a graph
    becomes function's result, the same object, recorded (the gradient goes through function
    to h's op; an op that used h before cannot backpropagate afterwards, as in PyTorch); a
    constant, or anything under no_grad(), takes the numbers; a tensor that requires grad (a
    parameter, an input made with requires_grad=True) is refused while recording, as PyTorch
    refuses it.

    >>> from autograd import Tensor
    >>> w = Tensor([-1.0, 2.0], requires_grad=True)
    >>> h = w * 3
    >>> written_in_place("relu", h, Tensor.relu) is h, h.op, h.tolist()
    (True, 'relu', [0.0, 6.0])
    >>> written_in_place("relu", w, Tensor.relu)
    Traceback (most recent call last):
    RuntimeError: relu(inplace=True): the input requires grad (a parameter, ...
    """
    if not isinstance(x, Tensor):
        raise not_a_tensor_in_place(name, x)
    if x._fn is Leaf and grad_mode.enabled:
        raise RuntimeError(
            f"{name}(inplace=True): the input requires grad (a parameter, or a tensor made with "
            f"requires_grad=True), and a tensor the graph starts from cannot be changed in "
            f"place while recording (PyTorch: \"a leaf Variable that requires grad is being "
            f"used in an in-place operation\"); pass inplace=False for a new tensor, or "
            f"write under no_grad()")
    return x._write_result(f"{name}(inplace=True)", function, "inplace=False")


def not_a_tensor_in_place(name: str, x: Any) -> TypeError:
    """The error for `inplace=True` given what is not a Tensor (a list, an array, a Value)."""
    return TypeError(f"{name}(inplace=True) changes a Tensor in place, got {type(x).__name__}; "
                     f"pass inplace=False for a new tensor")


def leaky_relu(x: Any, negative_slope: float = 0.01, inplace: bool = False) -> Node:
    """x where x > 0, else negative_slope · x, elementwise, for a Tensor or a Value. The slope
    is 1 where x > 0 and negative_slope elsewhere, at 0 too (PyTorch's choice). `inplace=True`
    writes the result into the Tensor x, which it returns (`written_in_place`).

    One op (LeakyRelu) that picks each slope from the data whenever it runs, so a compiled
    replay (`autograd.compile`) follows the sign of new data; the same numbers as PyTorch's.

    >>> x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    >>> y = leaky_relu(x, 0.1)
    >>> y.backward(np.ones(3)); y.numpy(), x.grad
    (array([-0.2,  0. ,  3. ], dtype=float32), array([0.1, 0.1, 1. ], dtype=float32))
    """
    if not isinstance(negative_slope, numbers.Real) or isinstance(negative_slope, bool):
        raise TypeError(f"leaky_relu: negative_slope must be a number, got {negative_slope!r}")
    slope = float(negative_slope)
    if inplace:
        return written_in_place("leaky_relu", x, lambda t: apply(
            LeakyRelu, (_floating("leaky_relu", t),), slope))
    if isinstance(x, Value):
        return _apply_one(LeakyRelu, x, slope)
    return apply(LeakyRelu, (_floating("leaky_relu", x),), slope)


# SELU's constants (Klambauer et al. 2017), to PyTorch's digits
SELU_ALPHA = 1.6732632423543772848170429916717


SELU_SCALE = 1.0507009873554804934193349852946


def elu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else α (eˣ - 1), elementwise, for a Tensor; slope 1 or α eˣ (α at 0, as
    PyTorch). One op (`Elu`), with expm1 for eˣ - 1: no digits lost near 0, no overflow at
    ±1000. `inplace=True` writes the result into x, which it returns (`written_in_place`).

    >>> x = Tensor([-1000.0, -1.0, 2.0], requires_grad=True)
    >>> y = elu(x, alpha=0.5)
    >>> y.backward(np.ones(3))
    >>> y.numpy().round(4), x.grad.round(4)                 # α (eˣ - 1), x; slopes α eˣ, 1
    (array([-0.5   , -0.3161,  2.    ], dtype=float32),
     array([0.    , 0.1839, 1.    ], dtype=float32))
    """
    return _elu("elu", x, (_real("elu", "alpha", alpha), 1.0, 1.0), inplace)


def _elu(name: str, x: Any, constants: tuple, inplace: bool) -> Tensor:
    """The `Elu` op (α, scale, 1/α's factor: elu, selu, celu) on x, or into x (`inplace`)."""
    if inplace:
        return written_in_place(name, x, lambda t: apply(Elu, (_floating(name, t),), constants))
    return apply(Elu, (_floating(name, x),), constants)


def selu(x: Any, inplace: bool = False) -> Tensor:
    """s · elu(x, α) with PyTorch's constants α ≈ 1.6733, s ≈ 1.0507 (self-normalising: for
    N(0, 1) inputs and weights from `init.kaiming_normal_(w, nonlinearity='linear')` the
    activations keep mean 0 and variance 1). `inplace=True` writes into x (see `elu`).

    >>> selu(Tensor([-1000.0, 0.0, 1.0])).numpy()
    array([-1.7580993,  0.       ,  1.050701 ], dtype=float32)
    """
    return _elu("selu", x, (SELU_ALPHA, SELU_SCALE, 1.0), inplace)


def celu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, α (e^(x/α) - 1)), elementwise: ELU whose slope is 1 on both sides of
    0 for any α (α ≠ 0). `inplace=True` writes into x (see `elu`).

    >>> celu(Tensor([-1.0, 3.0]), alpha=2.0).numpy().round(4)      # 2 (e^-0.5 - 1), 3
    array([-0.7869,  3.    ], dtype=float32)
    """
    alpha = checked_celu_alpha("celu", alpha)
    return _elu("celu", x, (alpha, 1.0, 1.0 / alpha), inplace)


def checked_celu_alpha(name: str, alpha: Any) -> float:
    """CELU's α as a float, or an error naming `name` (the function or the module)."""
    alpha = _real(name, "alpha", alpha)
    if alpha == 0:
        raise ValueError(f"{name}: alpha must not be 0 (the negative side is α (e^(x/α) - 1))")
    return alpha


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x Φ(x), elementwise, for a Tensor: Φ is the standard normal CDF, computed through an
    error function of float64 accuracy (numpy has none). approximate="tanh" is the approximation
    x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2, as PyTorch's `gelu(x, approximate="tanh")`.
    Stable: gelu(-1000) = -0.0, gelu(1000) = 1000, slopes 0 and 1 there.

    >>> x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    >>> y = gelu(x)
    >>> y.backward(np.ones(3))
    >>> y.numpy().round(5), x.grad.round(5)                # x Φ(x); Φ(x) + x φ(x)
    (array([-0.15866,  0.     ,  1.9545 ], dtype=float32),
     array([-0.08332,  0.5    ,  1.08523], dtype=float32))
    >>> gelu(Tensor([2.0]), approximate="tanh").numpy().round(5)
    array([1.9546], dtype=float32)
    """
    x = _floating("gelu", x)
    # the slope is kept for a backward only: inference (no_grad, a constant x) skips it
    trained = x.requires_grad and grad_mode.enabled
    op = Gelu if checked_approximation("gelu", approximate) == "none" else GeluTanh
    return apply(op, (x,), SavedCdf() if trained else None)


def checked_approximation(name: str, approximate: Any) -> str:
    """`approximate` if it is one GELU knows ("none" or "tanh"), else a ValueError naming `name`
    (the function or the module where the option was given)."""
    if isinstance(approximate, str) and approximate in APPROXIMATIONS:
        return approximate
    raise ValueError(f"{name}: approximate must be one of {APPROXIMATIONS} (PyTorch's options: "
                     f"the exact GELU or its tanh approximation), got {approximate!r}")


def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:
    """x limited to [min, max] (either may be None); the gradient is 0 where x was clipped.

    >>> clip(Tensor([-3.0, 0.5, 3.0]), -1.0, 1.0).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return _tensor(x, "clip").clip(min, max)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
              keepdim: bool | None = None) -> Tensor:
    """log Σ exp(x), with the maximum subtracted first (no overflow at ±1000); `dim`/`keepdim`
    are PyTorch's names for `axis`/`keepdims`.

    >>> logsumexp(Tensor([1000.0, 1000.0])).item()        # 1000 + log 2; exp(1000) is inf
    1000.693...
    >>> logsumexp(Tensor([[0.0, 0.0], [1.0, 1.0]]), dim=1, keepdim=True).shape
    (2, 1)
    """
    return _tensor(x, "logsumexp").logsumexp(axis, keepdims, dim=dim, keepdim=keepdim)


def softmax(x: Any, axis: int | None = None, *, dim: int | None = None,
            dtype: Any = None) -> Tensor:
    """exp(x) / Σ exp(x) along `axis` (or `dim`, PyTorch's name), stable. Not given, the axis
    is the last one up to 2-D (PyTorch's implicit choice there too); 3-D and more must say.
    `dtype` casts x first, as PyTorch's.

    >>> softmax(Tensor([[0.0, 0.0], [1.0, 1.0]]), dim=1).numpy()
    array([[0.5, 0.5],
           [0.5, 0.5]], dtype=float32)
    """
    return _tensor(x, "softmax").softmax(axis, dim=dim, dtype=dtype)


def log_softmax(x: Any, axis: int | None = None, *, dim: int | None = None,
                dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along `axis` (or `dim`), stable (never log of a rounded-to-zero
    probability). The axis and `dtype` as `softmax`'s.

    >>> log_softmax(Tensor([0.0, -200.0])).numpy()       # softmax rounds e^-200 to 0
    array([   0., -200.], dtype=float32)
    """
    return _tensor(x, "log_softmax").log_softmax(axis, dim=dim, dtype=dtype)
