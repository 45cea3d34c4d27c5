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

This file holds the thin elementwise functions (each the node's method of the same name); the
others live by theme, each module saying where its ops (autograd/ops/) are, and every one is
reachable here as `autograd.functional.<name>`:

- activations.py: leaky_relu, elu, selu, celu, gelu, clip, logsumexp, softmax, log_softmax
- linear_layer.py: linear;  recurrent.py: gru_step, lstm_step, rnn_sequence, gru_sequence,
  lstm_sequence, lstm_layer, gru_layer;  embeddings.py: embedding, embedding_bag
- classification.py: cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits;
  value_losses.py: their scalar-engine side (lists of Values);  loss_arguments.py: what every
  loss shares (the reduction, constant targets and weights)
- convolution.py: conv1d/2d/3d, conv_transpose1d/2d/3d;  pooling.py: max, average and adaptive
  pooling;  padding.py: pad;  spatial.py: what convolution and pooling share
- grid_sampling.py: affine_grid, grid_sample (a spatial transformer's warp)
- arguments.py: what every function shares (its arguments made Tensors, and their errors)

PyTorch's torch.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) is reachable here
too, under its own names, for ported code; it lives in autograd/derivatives.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np  # (the examples use it)

from ..graph import Node
from ..tensor import Tensor, concatenate, matmul, stack, where
from ..value import Value  # (the examples use it)
# Re-exported (hence noqa: F401): the functions by theme, and the helpers that nn's layers and
# losses, and code written before the split, import from here.
from .activations import (  # noqa: F401
    SELU_ALPHA, SELU_SCALE, celu, checked_approximation, checked_celu_alpha, clip, elu, gelu,
    leaky_relu, log_softmax, logsumexp, selu, softmax, written_in_place,
)
from .arguments import (  # noqa: F401
    RAGGED_HINTS, _floating, _is_int, _node, _real, _shape_of, _tensor, _yes_or_no, holds_values,
    integer_array, values_list_error,
)
from .classification import (  # noqa: F401
    _class_labels, binary_cross_entropy, binary_cross_entropy_with_logits, class_options,
    class_rows, cross_entropy, kept_labels,
)
from .convolution import (  # noqa: F401
    _check_output_padding, _conv1d, _conv2d, _conv3d, _conv_padding, _conv_transpose1d,
    _conv_transpose2d, _conv_transpose3d, _padding_1d, conv1d, conv2d, conv3d, conv_transpose1d,
    conv_transpose2d, conv_transpose3d, transposed_output_size,
)
from .embeddings import (  # noqa: F401
    BAG_MODES, check_embedding_options, embedding, embedding_bag, embedding_indices,
    embedding_renorm_, padding_index,
)
from .grid_sampling import affine_grid, grid_sample
from .linear_layer import linear
from .loss_arguments import (  # noqa: F401
    _check_reduction, _constant_numbers, _constant_target, _reduce, _warn_if_made_by,
    broadcast_constant, check_scale,
)
from .padding import PAD_MODES, pad  # noqa: F401
from .pooling import (  # noqa: F401
    _adaptive_avg_pool1d, _adaptive_avg_pool2d, _adaptive_avg_pool3d, _adaptive_max_pool1d,
    _adaptive_max_pool2d, _adaptive_max_pool3d, _adaptive_size, _adaptive_size_1d, _avg_pool,
    _avg_pool1d, _check_divisor, _max_pool1d, _max_pool2d, _max_pool3d, adaptive_avg_pool1d,
    adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool2d,
    adaptive_max_pool3d, avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, max_pool3d,
    max_unpool1d, max_unpool2d, max_unpool3d,
)
from .recurrent import (gru_layer, gru_sequence, gru_step, lstm_layer, lstm_sequence, lstm_step,
                        rnn_sequence)
from .spatial import (  # noqa: F401
    _axis_names, _channels_last_hint, _image_batch, _image_hint, _length_first_hint, _pair,
    _sequence_hint, _single, _sizes, _volume_batch, _volume_channels_last_hint, _volume_hint,
)
from .value_losses import (  # noqa: F401
    _is_values, _raw, _reduce_values, _target_number, _value_pairs,
)
# PyTorch's torch.autograd.functional, whose port is this module's name: a ported
# `from torch.autograd.functional import jacobian` runs as `from autograd.functional import ...`
# (they live in autograd/derivatives.py, and are autograd.jacobian etc. too)
from ..derivatives import hessian, hvp, jacobian, jvp, vhp, vjp  # noqa: F401

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
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
    "gru_step", "lstm_step", "rnn_sequence", "gru_sequence", "lstm_sequence", "lstm_layer",
    "gru_layer",
    "affine_grid", "grid_sample",
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
    """max(x, 0), elementwise. `inplace=True` writes it into the Tensor x, which it returns, as
    PyTorch's does (`written_in_place`, in activations.py).

    >>> relu(Tensor([-2.0, 0.5])).numpy()
    array([0. , 0.5], dtype=float32)
    >>> h = Tensor([-2.0, 0.5])
    >>> relu(h, inplace=True) is h, h.tolist()
    (True, [0.0, 0.5])
    """
    if inplace:
        return written_in_place("relu", x, Tensor.relu)
    return _node(x, "relu").relu()


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
