"""Functions over nodes: the elementwise math, the stable softmax family and fused ops.

The elementwise math (exp, log, sqrt, tanh, sigmoid, relu, leaky_relu, abs, sin, cos) accepts a
`Value` or a `Tensor`, and the binary cross-entropies a list of Values too; the other functions
take Tensors. Numbers and arrays become a constant `Tensor`:

>>> import numpy as np
>>> from autograd import Tensor, functional as F
>>> z = Tensor([[1000.0, 0.0], [-1000.0, 0.0]], requires_grad=True)
>>> F.softmax(z).numpy().round(3)
array([[1., 0.],
       [0., 1.]], dtype=float32)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..graph import Node, apply
from ..ops.elementwise import Elu, LeakyRelu
from ..ops.gelu import APPROXIMATIONS, Gelu, GeluTanh
from ..tensor import Tensor, concatenate, matmul, stack, where
from ..value import Value, _apply_one
from .arguments import (  # noqa: F401  (holds_values, values_list_error: re-exported)
    _floating, _is_int, _node, _real, _shape_of, _tensor, _yes_or_no, holds_values,
    integer_array, values_list_error,
)
from .classification import (  # noqa: F401  (the private ones: nn.functional's losses)
    _class_labels, binary_cross_entropy, binary_cross_entropy_with_logits, class_options,
    class_rows, cross_entropy, kept_labels,
)
from .convolution import (  # noqa: F401  (the private ones: nn.conv's layers call them)
    _check_output_padding, _conv1d, _conv2d, _conv3d, _conv_padding, _conv_transpose1d,
    _conv_transpose2d, _conv_transpose3d, _padding_1d, conv1d, conv2d, conv3d, conv_transpose1d,
    conv_transpose2d, conv_transpose3d, transposed_output_size,
)
from .embedding import (  # noqa: F401  (the others: nn.Embedding and nn.EmbeddingBag)
    BAG_MODES, check_embedding_options, embedding, embedding_bag, padding_index,
)
from .linear import linear
from .loss_arguments import (  # noqa: F401  (re-exported for nn.functional and nn.losses)
    _check_reduction, _constant_numbers, _constant_target, _reduce, _warn_if_made_by,
    broadcast_constant, check_scale,
)
from .padding import pad
from .pooling import (  # noqa: F401  (the private ones: nn.conv's layers and nn.resampling)
    _adaptive_avg_pool1d, _adaptive_avg_pool2d, _adaptive_avg_pool3d, _adaptive_max_pool1d,
    _adaptive_max_pool2d, _adaptive_max_pool3d, _adaptive_size, _adaptive_size_1d, _avg_pool,
    _avg_pool1d, _check_divisor, _max_pool1d, _max_pool2d, _max_pool3d, adaptive_avg_pool1d,
    adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool2d,
    adaptive_max_pool3d, avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, max_pool3d,
)
from .recurrent import gru_sequence, gru_step, lstm_sequence, lstm_step, rnn_sequence
from .spatial import (  # noqa: F401  (re-exported for nn.conv, nn.fold, nn.normalization)
    _axis_names, _channels_last_hint, _image_batch, _image_hint, _length_first_hint, _pair,
    _sequence_hint, _single, _sizes, _volume_batch, _volume_channels_last_hint, _volume_hint,
)
from .value_losses import (  # noqa: F401  (re-exported for nn.functional)
    _is_values, _raw, _reduce_values, _target_number, _value_pairs,
)

__all__ = [
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "gelu", "elu", "selu", "celu",
    "abs", "sin", "cos", "maximum", "minimum",
    "clip", "logsumexp", "softmax", "log_softmax", "linear", "embedding", "embedding_bag",
    "cross_entropy",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "matmul", "concatenate", "stack", "where",
    "conv2d", "conv1d", "conv_transpose2d", "conv_transpose1d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "pad", "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool1d", "conv3d", "conv_transpose3d", "max_pool3d",
    "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
    "gru_step", "lstm_step", "rnn_sequence", "gru_sequence", "lstm_sequence",
]


def exp(x: Any) -> Node:
    """eˣ, elementwise (a Value, a Tensor, or an array or number, made a Tensor). Its slope
    is eˣ again:

    >>> x = Value(2.0)
    >>> y = exp(x)
    >>> y.backward()
    >>> y.data, x.grad
    (7.38905609893065, 7.38905609893065)
    """
    return _node(x, "exp").exp()


def log(x: Any) -> Node:
    """Natural log, elementwise; slope 1/x.

    >>> x = Value(4.0)
    >>> y = log(x)
    >>> y.backward()
    >>> y.data, x.grad
    (1.3862943611198906, 0.25)
    """
    return _node(x, "log").log()


def sqrt(x: Any) -> Node:
    """√x, elementwise; slope 1 / (2√x).

    >>> x = Tensor([4.0, 9.0], requires_grad=True)
    >>> sqrt(x).sum().backward()
    >>> x.grad
    array([0.25      , 0.16666667], dtype=float32)
    """
    return _node(x, "sqrt").sqrt()


def tanh(x: Any) -> Node:
    """tanh x, elementwise; slope 1 - tanh² x.

    >>> x = Tensor([0.0, 1.0], requires_grad=True)
    >>> y = tanh(x)
    >>> y.sum().backward()
    >>> y.numpy()
    array([0.       , 0.7615942], dtype=float32)
    >>> x.grad
    array([1.        , 0.41997433], dtype=float32)
    """
    return _node(x, "tanh").tanh()


def sigmoid(x: Any) -> Node:
    """1 / (1 + e⁻ˣ), elementwise and stable (no overflow at ±1000).

    >>> sigmoid(Tensor([-1000.0, 0.0, 1000.0])).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    return _node(x, "sigmoid").sigmoid()


def relu(x: Any, inplace: bool = False) -> Node:
    """max(x, 0), elementwise. `inplace` is accepted for PyTorch code and changes nothing: the
    result is a new node and `x` is kept (the gradient needs it).

    >>> relu(Tensor([-2.0, 0.5])).numpy()
    array([0. , 0.5], dtype=float32)
    """
    return _node(x, "relu").relu()


def leaky_relu(x: Any, negative_slope: float = 0.01, inplace: bool = False) -> Node:
    """x where x > 0, else negative_slope · x, elementwise, for a Tensor or a Value. The slope
    is 1 where x > 0 and negative_slope elsewhere, at 0 too (PyTorch's choice). `inplace` is
    accepted for PyTorch code and changes nothing (the result is a new node).

    One op (LeakyRelu) that picks each slope from the data whenever it runs, so a compiled
    replay (`autograd.compile`) follows the sign of new data; the same numbers as PyTorch's.

    >>> x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    >>> y = leaky_relu(x, 0.1)
    >>> y.backward(np.ones(3)); y.numpy(), x.grad
    (array([-0.2,  0. ,  3. ], dtype=float32), array([0.1, 0.1, 1. ], dtype=float32))
    """
    if not isinstance(negative_slope, numbers.Real) or isinstance(negative_slope, bool):
        raise TypeError(f"leaky_relu: negative_slope must be a number, got {negative_slope!r}")
    if isinstance(x, Value):
        return _apply_one(LeakyRelu, x, float(negative_slope))
    return apply(LeakyRelu, (_floating("leaky_relu", x),), float(negative_slope))


# SELU's constants (Klambauer et al. 2017), to PyTorch's digits
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def elu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else α (eˣ - 1), elementwise, for a Tensor; slope 1 or α eˣ (α at 0, as
    PyTorch). One op (`Elu`), with expm1 for eˣ - 1: no digits lost near 0, no overflow at
    ±1000. `inplace` is accepted for PyTorch code and changes nothing (a new tensor).

    >>> x = Tensor([-1000.0, -1.0, 2.0], requires_grad=True)
    >>> y = elu(x, alpha=0.5)
    >>> y.backward(np.ones(3))
    >>> y.numpy().round(4), x.grad.round(4)                 # α (eˣ - 1), x; slopes α eˣ, 1
    (array([-0.5   , -0.3161,  2.    ], dtype=float32),
     array([0.    , 0.1839, 1.    ], dtype=float32))
    """
    return apply(Elu, (_floating("elu", x),), (_real("elu", "alpha", alpha), 1.0, 1.0))


def selu(x: Any, inplace: bool = False) -> Tensor:
    """s · elu(x, α) with PyTorch's constants α ≈ 1.6733, s ≈ 1.0507 (self-normalising: for
    N(0, 1) inputs and weights from `init.kaiming_normal_(w, nonlinearity='linear')` the
    activations keep mean 0 and variance 1). `inplace` is accepted and changes nothing.

    >>> selu(Tensor([-1000.0, 0.0, 1.0])).numpy()
    array([-1.7580993,  0.       ,  1.050701 ], dtype=float32)
    """
    return apply(Elu, (_floating("selu", x),), (SELU_ALPHA, SELU_SCALE, 1.0))


def celu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, α (e^(x/α) - 1)), elementwise: ELU whose slope is 1 on both sides of
    0 for any α (α ≠ 0). `inplace` is accepted and changes nothing.

    >>> celu(Tensor([-1.0, 3.0]), alpha=2.0).numpy().round(4)      # 2 (e^-0.5 - 1), 3
    array([-0.7869,  3.    ], dtype=float32)
    """
    alpha = checked_celu_alpha("celu", alpha)
    return apply(Elu, (_floating("celu", x),), (alpha, 1.0, 1.0 / alpha))


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
    op = Gelu if checked_approximation("gelu", approximate) == "none" else GeluTanh
    return apply(op, (_floating("gelu", x),))


def checked_approximation(name: str, approximate: Any) -> str:
    """`approximate` if it is one GELU knows ("none" or "tanh"), else a ValueError naming `name`
    (the function or the module where the option was given)."""
    if isinstance(approximate, str) and approximate in APPROXIMATIONS:
        return approximate
    raise ValueError(f"{name}: approximate must be one of {APPROXIMATIONS} (PyTorch's options: "
                     f"the exact GELU or its tanh approximation), got {approximate!r}")


def abs(x: Any) -> Node:
    """|x|, elementwise (slope 0 at 0).

    >>> x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    >>> abs(x).sum().backward()
    >>> x.grad
    array([-1.,  0.,  1.], dtype=float32)
    """
    return _node(x, "abs").abs()


def sin(x: Any) -> Node:
    """sin x (x in radians), elementwise.

    >>> sin(Tensor([0.0, np.pi / 2])).numpy()
    array([0., 1.], dtype=float32)
    """
    return _node(x, "sin").sin()


def cos(x: Any) -> Node:
    """cos x (x in radians), elementwise."""
    return _node(x, "cos").cos()


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max of a and b (broadcast); on ties the gradient is split evenly.

    >>> a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 2.0], requires_grad=True)
    >>> maximum(a, b).sum().backward()
    >>> a.grad, b.grad                                    # a tie at 2.0: half each
    (array([0. , 0.5], dtype=float32), array([1. , 0.5], dtype=float32))
    """
    return _tensor(a, "maximum").maximum(b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min of a and b (broadcast); on ties the gradient is split evenly."""
    return _tensor(a, "minimum").minimum(b)


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


def softmax(x: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """exp(x) / Σ exp(x) along `axis` (or `dim`, PyTorch's name), stable. Not given, the axis
    is the last one up to 2-D (PyTorch's implicit choice there too); 3-D and more must say.

    >>> softmax(Tensor([[0.0, 0.0], [1.0, 1.0]]), dim=1).numpy()
    array([[0.5, 0.5],
           [0.5, 0.5]], dtype=float32)
    """
    return _tensor(x, "softmax").softmax(axis, dim=dim)


def log_softmax(x: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along `axis` (or `dim`), stable (never log of a rounded-to-zero
    probability). The axis defaults as `softmax`'s.

    >>> log_softmax(Tensor([0.0, -200.0])).numpy()       # softmax rounds e^-200 to 0
    array([   0., -200.], dtype=float32)
    """
    return _tensor(x, "log_softmax").log_softmax(axis, dim=dim)


