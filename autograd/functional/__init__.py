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

import math
import numbers
from typing import Any

import numpy as np

from ..graph import Node, apply, no_grad
from ..ops import CrossEntropy, Linear
from ..ops.elementwise import Elu, LeakyRelu
from ..ops.gelu import APPROXIMATIONS, Gelu, GeluTanh
from ..ops.recurrent import (GateCtx, GRUSequence, GRUStep, LSTMCellState, LSTMHiddenState,
                             LSTMSequence, RNNSequence, SequenceCtx)
from ..ops.shape import Embedding
from ..ops.fused import (
    BCEWithLogitsCtx, BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropyCtx,
)
from ..tensor import Tensor, concatenate, get_default_dtype, matmul, stack, where
from ..value import Value, _apply_one
from .arguments import (  # noqa: F401  (holds_values, values_list_error: re-exported)
    _floating, _is_int, _node, _real, _shape_of, _tensor, _yes_or_no, holds_values,
    integer_array, values_list_error,
)
from .convolution import (  # noqa: F401  (the private ones: nn.conv's layers call them)
    _check_output_padding, _conv1d, _conv2d, _conv3d, _conv_padding, _conv_transpose1d,
    _conv_transpose2d, _conv_transpose3d, _padding_1d, conv1d, conv2d, conv3d, conv_transpose1d,
    conv_transpose2d, conv_transpose3d, transposed_output_size,
)
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
from .spatial import (  # noqa: F401  (re-exported for nn.conv, nn.fold, nn.normalization)
    _axis_names, _channels_last_hint, _image_batch, _image_hint, _length_first_hint, _pair,
    _sequence_hint, _single, _sizes, _volume_batch, _volume_channels_last_hint, _volume_hint,
)
from .value_losses import (  # noqa: F401  (re-exported for nn.functional)
    _check_range, _clamped_log, _complement, _is_values, _number, _raw, _reduce_values,
    _softplus, _target_number, _value_pairs, _value_weights, _weighted,
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


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weightᵀ + bias as one node; weight has shape (out_features, in_features), as in
    PyTorch's `torch.nn.functional.linear`, so a row of `weight` holds one output's weights.
    Dtypes mix as numpy's do (README, "Dtypes follow PyTorch"): float64 data into float32
    weights gives a float64 result (PyTorch asks for one dtype), integer data the weight's.

    >>> W = Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])      # 2 outputs from 3 inputs
    >>> linear(Tensor([[1.0, 1.0, 1.0]]), W, Tensor([0.5, -1.0])).numpy()
    array([[6.5, 0. ]], dtype=float32)
    """
    x = _node(x, "linear")
    try:
        kind = x.data.dtype.kind
    except AttributeError:              # a Value, whose data is a float
        _tensor(x, "linear")            # (raises: "linear: works on Tensors, got a Value ...")
        raise
    if kind != "f":                     # integer or bool data: the weight's float dtype, as `*`
        w_dtype = weight.data.dtype             # gives (numpy's int64 @ float32 is float64)
        x = x.astype(w_dtype if w_dtype.kind == "f" else get_default_dtype())
    x_shape, w_shape = x.data.shape, weight.data.shape     # (read once: every layer comes here)
    if len(w_shape) != 2:
        raise ValueError(f"linear: weight must be 2-d (out_features, in_features), got shape "
                         f"{w_shape}")
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(f"linear: input of shape {x_shape} does not fit a weight of shape "
                         f"{w_shape} (out_features, in_features): the last input dim must "
                         f"be {w_shape[1]}")
    if bias is None:
        return apply(Linear, (x, weight), (x._fn is not None, weight._fn is not None))
    if bias.data.shape != w_shape[:1]:
        raise ValueError(f"linear: bias must have shape ({w_shape[0]},), got {bias.shape}")
    return apply(Linear, (x, weight, bias),
                 (x._fn is not None, weight._fn is not None, bias._fn is not None))


def gru_step(from_input: Any, from_hidden: Any, h: Any) -> Tensor:
    """One GRU step as one node: the next state h' (N, H) from the gates' two shares
    from_input = x W_ihᵀ + b_ih and from_hidden = h W_hhᵀ + b_hh, each (N, 3H) with the gates
    stacked r, z, n as in PyTorch, and the state h (N, H):

        r = σ(a_r + b_r),  z = σ(a_z + b_z),  n = tanh(a_n + r ⊙ b_n),  h' = (1 - z) ⊙ n + z ⊙ h

    >>> zero = Tensor([[0.0, 0.0, 0.0]])                      # N = 1, H = 1: r, z, n at 0
    >>> gru_step(zero, zero, Tensor([[1.0]])).numpy()         # z = 1/2: halfway to n = 0
    array([[0.5]], dtype=float32)
    """
    a, b, h = _step_operands("gru_step", 3, from_input, from_hidden, h, "h")
    return apply(GRUStep, (a, b, h), GateCtx())


def lstm_step(from_input: Any, from_hidden: Any, c: Any) -> tuple[Tensor, Tensor]:
    """One LSTM step: the next (h', c'), each (N, H), from the gates' two shares
    from_input = x W_ihᵀ + b_ih and from_hidden = h W_hhᵀ + b_hh, each (N, 4H) with the gates
    stacked i, f, g, o as in PyTorch, and the cell state c (N, H):

        i, f, o = σ(a + b) of their columns,  g = tanh(a_g + b_g)
        c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')

    Two nodes, one for c' and one for h' (see `autograd.ops.recurrent`).

    >>> zero = Tensor([[0.0, 0.0, 0.0, 0.0]])                 # N = 1, H = 1: i, f, g, o at 0
    >>> h, c = lstm_step(zero, zero, Tensor([[2.0]]))         # i, f, o = 1/2, g = 0
    >>> c.numpy(), h.numpy().round(4)                         # c' = c / 2, h' = tanh(1) / 2
    (array([[1.]], dtype=float32), array([[0.3808]], dtype=float32))
    """
    a, b, c = _step_operands("lstm_step", 4, from_input, from_hidden, c, "c")
    c = apply(LSTMCellState, (a, b, c), GateCtx())
    return apply(LSTMHiddenState, (a, b, c), GateCtx()), c


def _step_operands(name: str, gates: int, from_input: Any, from_hidden: Any, state: Any,
                   what: str) -> tuple[Tensor, Tensor, Tensor]:
    """The operands of a recurrent step as float Tensors (integers as the default dtype, as
    tanh takes them), or an error naming the step and the shapes it expected: the two shares
    (N, gates · H) and a state (N, H)."""
    a, b, s = (_floating(name, _tensor(v, name)) for v in (from_input, from_hidden, state))
    if s.ndim != 2:
        raise ValueError(f"{name}: {what} must be 2-d (batch, hidden_size), got shape {s.shape}")
    expected = (s.shape[0], gates * s.shape[1])
    for share, v in (("from_input", a), ("from_hidden", b)):
        if v.shape != expected:
            raise ValueError(f"{name}: {share} must have shape {expected} (batch, {gates} gates "
                             f"x hidden_size) for {what} of shape {s.shape}, got {v.shape}")
    return a, b, s


def rnn_sequence(from_input: Any, h0: Any, weight_hh: Tensor, bias_hh: Tensor | None = None,
                 nonlinearity: str = "tanh", reverse: bool = False,
                 lengths: Any = None) -> tuple[Tensor, Tensor]:
    """A whole sequence of an Elman RNN layer as one node: (h of every step (T, N, H), the last
    h (N, H)) from the input's share of every step, from_input = x W_ihᵀ + b_ih (T, N, H), and
    the initial state h0 (N, H); `reverse` runs from the last step to the first. `lengths`
    (N ints in 1..T) makes row n a sequence of its first lengths[n] steps, as a packed batch:
    past them its h is carried unchanged, so the last h is the one after its own last step,
    and in reverse it starts at that step. (The steps past a row's length are computed and
    dropped: they must hold finite numbers, as backward multiplies their share by 0.)

        h_t = tanh(from_input_t + h_{t-1} W_hhᵀ + b_hh)        (or relu)

    >>> hs, h_n = rnn_sequence(Tensor(np.ones((3, 1, 1))), Tensor([[0.0]]), Tensor([[0.0]]))
    >>> hs.shape, h_n.numpy().round(4).tolist()                # W_hh = 0: h_t = tanh(1)
    ((3, 1, 1), [[0.7616]])
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_sequence: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")
    inputs = _sequence_operands("rnn_sequence", 1, from_input, (h0,), weight_hh, bias_hh)
    lengths = _sequence_lengths("rnn_sequence", lengths, inputs[0].shape)
    hs = apply(RNNSequence, inputs, SequenceCtx(bool(reverse), nonlinearity, lengths))
    return hs, hs[0 if reverse else -1]


def gru_sequence(from_input: Any, h0: Any, weight_hh: Tensor, bias_hh: Tensor | None = None,
                 reverse: bool = False, lengths: Any = None) -> tuple[Tensor, Tensor]:
    """A whole sequence of a GRU layer as one node: (h of every step (T, N, H), the last h
    (N, H)) from the input's share of every step, from_input = x W_ihᵀ + b_ih (T, N, 3H) with
    the gates stacked r, z, n, and the initial state h0 (N, H): `gru_step` at every step, with
    from_hidden = h W_hhᵀ + b_hh. `reverse` runs from the last step to the first; `lengths`
    as in `rnn_sequence`.

    >>> zero = Tensor(np.zeros((2, 1, 3)))                     # T = 2, N = 1, H = 1
    >>> hs, h_n = gru_sequence(zero, Tensor([[1.0]]), Tensor(np.zeros((3, 1))))
    >>> hs.numpy().ravel().tolist(), h_n.shape                 # halfway to n = 0 each step
    ([0.5, 0.25], (1, 1))
    """
    inputs = _sequence_operands("gru_sequence", 3, from_input, (h0,), weight_hh, bias_hh)
    lengths = _sequence_lengths("gru_sequence", lengths, inputs[0].shape)
    hs = apply(GRUSequence, inputs, SequenceCtx(bool(reverse), lengths=lengths))
    return hs, hs[0 if reverse else -1]


def lstm_sequence(from_input: Any, h0: Any, c0: Any, weight_hh: Tensor,
                  bias_hh: Tensor | None = None, reverse: bool = False,
                  lengths: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """A whole sequence of an LSTM layer as one node: (h of every step (T, N, H), (the last h,
    the last c) (N, H) each) from the input's share of every step, from_input = x W_ihᵀ + b_ih
    (T, N, 4H) with the gates stacked i, f, g, o, and the initial state h0, c0 (N, H):
    `lstm_step` at every step, with from_hidden = h W_hhᵀ + b_hh. `reverse` runs from the last
    step to the first; `lengths` as in `rnn_sequence` (h and c carried). The node holds h and
    c of every step, (2, T, N, H); the results are its slices (see `autograd.ops.recurrent`).

    >>> zero = Tensor(np.zeros((2, 1, 4)))                     # T = 2, N = 1, H = 1
    >>> hs, (h_n, c_n) = lstm_sequence(zero, Tensor([[0.0]]), Tensor([[2.0]]),
    ...                                Tensor(np.zeros((4, 1))))
    >>> c_n.numpy().tolist(), hs.shape                         # f = 1/2 and g = 0: c halves
    ([[0.5]], (2, 1, 1))
    """
    inputs = _sequence_operands("lstm_sequence", 4, from_input, (h0, c0), weight_hh, bias_hh)
    lengths = _sequence_lengths("lstm_sequence", lengths, inputs[0].shape)
    states = apply(LSTMSequence, inputs, SequenceCtx(bool(reverse), lengths=lengths))
    last = 0 if reverse else -1
    return states[0], (states[0, last], states[1, last])


def _sequence_operands(name: str, gates: int, from_input: Any, states: tuple, weight_hh: Any,
                       bias_hh: Any) -> tuple:
    """The inputs of a sequence op as float Tensors (integers as the default dtype, as tanh
    takes them), (from_input, *states, weight_hh[, bias_hh]), or an error naming the op and the
    shapes it expected."""
    a = _floating(name, _tensor(from_input, name))
    states = tuple(_floating(name, _tensor(s, name)) for s in states)
    W = _floating(name, _tensor(weight_hh, name))
    names = ("h0", "c0")
    for what, s in zip(names, states):
        if s.ndim != 2:
            raise ValueError(f"{name}: {what} must be 2-d (batch, hidden_size), got shape "
                             f"{s.shape}")
        if s.shape != states[0].shape:
            raise ValueError(f"{name}: c0 must have the shape of h0 {states[0].shape}, got "
                             f"{s.shape}")
    batch, size = states[0].shape
    if a.ndim != 3 or a.shape[1:] != (batch, gates * size) or not len(a):
        raise ValueError(f"{name}: from_input must have shape (T, {batch}, {gates * size}) "
                         f"(time, batch, {gates} gates x hidden_size) with T > 0 for h0 of "
                         f"shape {states[0].shape}, got {a.shape}")
    if W.shape != (gates * size, size):
        raise ValueError(f"{name}: weight_hh must have shape {(gates * size, size)} "
                         f"({gates} gates x hidden_size, hidden_size), got {W.shape}")
    if bias_hh is None:
        return (a, *states, W)
    bias = _floating(name, _tensor(bias_hh, name))
    if bias.shape != (gates * size,):
        raise ValueError(f"{name}: bias_hh must have shape ({gates * size},), got "
                         f"{bias.shape}")
    return (a, *states, W, bias)


def _sequence_lengths(name: str, lengths: Any, shape: tuple) -> np.ndarray | None:
    """A sequence op's `lengths` as an int64 array of one length in 1..T per row, for its
    from_input of `shape` (T, N, ·); None stays None (every row T steps)."""
    if lengths is None:
        return None
    array = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    steps, batch = shape[0], shape[1]
    if array.dtype.kind not in "iu" or array.shape != (batch,) \
            or (array < 1).any() or (array > steps).any():
        raise ValueError(f"{name}: lengths must be {batch} integers in 1..{steps}, one per "
                         f"row of from_input {shape}, got {array.tolist()!r} ({array.dtype})")
    return array.astype(np.int64)


def embedding(indices: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of `weight` (num_embeddings, embedding_dim) that integer `indices` of any shape
    pick: a result of shape indices.shape + (embedding_dim,), as PyTorch's
    `torch.nn.functional.embedding`. Rows picked more than once add up their gradients; row
    `padding_idx` (when given) gets no gradient. Indices must be in [0, num_embeddings).
    With `max_norm`, the picked rows whose `norm_type`-norm is larger are first scaled in
    place to that norm (`embedding_renorm_`), as PyTorch does. `sparse=True` and
    `scale_grad_by_freq=True` are refused: gradients are dense here, and not scaled.

    >>> table = Tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> embedding([[2, 1], [2, 2]], table).shape
    (2, 2, 2)
    >>> embedding([2, 1, 2], table).sum().backward(); table.grad        # row 2 picked twice
    array([[0., 0.],
           [1., 1.],
           [2., 2.]], dtype=float32)
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"embedding: weight must be a Tensor (num_embeddings, embedding_dim), "
                        f"got {_shape_of(weight)} of type {type(weight).__name__}; to train "
                        f"it, make it Tensor(weight, requires_grad=True)")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a 2-d Tensor (num_embeddings, "
                         f"embedding_dim), got {_shape_of(weight)}")
    rows = weight.shape[0]
    check_embedding_options("embedding", max_norm, scale_grad_by_freq, sparse)
    index = embedding_indices("embedding", indices, rows)
    if padding_idx is not None:
        padding_idx = padding_index("embedding", padding_idx, rows)
    if max_norm is not None:
        embedding_renorm_(weight, index, max_norm, norm_type)
    return apply(Embedding, (weight,), (index, padding_idx))


BAG_MODES = ("sum", "mean", "max")


def embedding_bag(input: Any, weight: Tensor, offsets: Any = None,
                  max_norm: float | None = None, norm_type: float = 2.0,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Any = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """PyTorch's `torch.nn.functional.embedding_bag`: the rows of `weight` that integer `input`
    picks, reduced bag by bag ("sum", "mean" or "max" of each embedding dimension), without
    the (bags, length, dim) array in between that `embedding(...).sum(1)` would make for bags
    of different lengths.

    The bags: a 2-d `input` (B, N) is B bags of N indices (offsets must be None); a 1-d
    `input` is cut at `offsets`, the start of each bag (offsets[0] = 0, non-decreasing), the
    last bag running to the end, or, with `include_last_offset=True`, offsets holds B + 1
    boundaries and bag i is input[offsets[i]:offsets[i + 1]] (the last offset is then the
    input's length, as PyTorch documents it). An index equal to `padding_idx` is left out of
    its bag (not counted in a mean); an empty bag gives zeros. In "sum" mode
    `per_sample_weights` (input's shape) weighs each index, with a gradient of its own. In
    "max" mode the gradient goes to the first index that holds a bag's maximum, as in
    PyTorch. `max_norm` rescales the looked-up rows first, as `embedding` does. Result:
    (B, embedding_dim).

    >>> table = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    >>> embedding_bag([0, 1, 2, 2], table, offsets=[0, 1], mode="sum").data
    array([[ 1.,  2.],
           [13., 16.]], dtype=float32)
    >>> embedding_bag([[0, 2], [1, 1]], table, mode="mean").data
    array([[3., 4.],
           [3., 4.]], dtype=float32)
    """
    name = "embedding_bag"
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise TypeError(f"{name}: weight must be a 2-d Tensor (num_embeddings, embedding_dim), "
                        f"got {_shape_of(weight)}")
    if mode not in BAG_MODES:
        raise ValueError(f"{name}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    check_embedding_options(name, max_norm, scale_grad_by_freq, sparse)
    rows, dim = weight.shape
    index = embedding_indices(name, input, rows)
    starts, ends = _bag_bounds(name, index, offsets, include_last_offset)
    bag_of = np.repeat(np.arange(len(starts)), ends - starts)   # each index's bag
    index = index.reshape(-1)
    weights = _per_sample_weights(name, per_sample_weights, mode, input, weight)
    if max_norm is not None:
        embedding_renorm_(weight, index, max_norm, norm_type)
    kept = slice(None) if padding_idx is None else \
        index != padding_index(name, padding_idx, rows)
    index, bag_of = index[kept], bag_of[kept]
    counts = np.bincount(bag_of, minlength=len(starts))
    if mode == "max":
        return _bag_max(weight, index, bag_of, counts)
    picked = embedding(index, weight)
    if weights is not None:
        picked = picked * weights[kept].reshape(-1, 1)
    summed = Tensor(np.zeros((len(starts), dim), weight.dtype)).index_add(0, bag_of, picked)
    if mode == "sum":
        return summed
    return summed / np.maximum(counts, 1).reshape(-1, 1).astype(weight.dtype)


def _bag_bounds(name: str, index: np.ndarray, offsets: Any,
                include_last_offset: bool) -> tuple[np.ndarray, np.ndarray]:
    """embedding_bag's bags as [start, end) positions in the flattened input."""
    if index.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{name}: a 2-d input {index.shape} is {index.shape[0]} bags of "
                             f"{index.shape[1]} indices; offsets must be None (they cut a 1-d "
                             f"input into bags)")
        starts = np.arange(index.shape[0]) * index.shape[1]
        return starts, starts + index.shape[1]
    if index.ndim != 1:
        raise ValueError(f"{name}: input must be 1-d (with offsets) or 2-d (bags, length), got "
                         f"shape {index.shape}")
    if offsets is None:
        raise ValueError(f"{name}: a 1-d input needs offsets, the position where each bag "
                         f"starts (e.g. [0, 3] for bags input[0:3] and input[3:]); or pass a "
                         f"2-d input (bags, length)")
    bounds = integer_array(name, "offsets", offsets).astype(np.int64)
    if bounds.ndim != 1:
        raise ValueError(f"{name}: offsets must be 1-d, got shape {bounds.shape}")
    if include_last_offset:
        starts, ends = bounds[:-1], bounds[1:]
    else:
        starts, ends = bounds, np.append(bounds[1:], len(index))
    if bounds.size and bounds[0] != 0:
        raise ValueError(f"{name}: offsets[0] must be 0 (the first bag starts the input), got "
                         f"{bounds[0]}")
    if (np.diff(bounds) < 0).any() or (bounds.size and bounds[-1] > len(index)):
        raise ValueError(f"{name}: offsets must be non-decreasing positions in 0..{len(index)} "
                         f"(the input's length), got {bounds.tolist()}")
    if include_last_offset and (not bounds.size or bounds[-1] != len(index)):
        # PyTorch's documented form (CSR's); otherwise its own float32 and float64 kernels
        # disagree about the indices after the last boundary
        raise ValueError(f"{name}: with include_last_offset=True the last offset is the end of "
                         f"the last bag, the input's length {len(index)}, got "
                         f"{bounds.tolist()}")
    return starts, ends


def _per_sample_weights(name: str, weights: Any, mode: str, input: Any,
                        weight: Tensor) -> Tensor | None:
    """embedding_bag's per_sample_weights, flattened to one per index of the bags: a Tensor
    of the weight's dtype (numbers and arrays become constants), only in "sum" mode."""
    if weights is None:
        return None
    if mode != "sum":
        raise ValueError(f"{name}: per_sample_weights weigh the indices of a sum; they are "
                         f"only taken with mode='sum', got mode={mode!r}")
    weights = weights if isinstance(weights, Tensor) else \
        Tensor(np.asarray(weights, dtype=weight.dtype))
    given = np.shape(input.data if isinstance(input, Tensor) else input)
    if weights.shape != given:
        raise ValueError(f"{name}: per_sample_weights must have the input's shape {given}, got "
                         f"{weights.shape}")
    if weights.dtype != weight.dtype:
        raise TypeError(f"{name}: per_sample_weights are {weights.dtype} and the weight is "
                        f"{weight.dtype}; they must be the same dtype, as in PyTorch")
    return weights.reshape(-1)


def _bag_max(weight: Tensor, index: np.ndarray, bag_of: np.ndarray,
             counts: np.ndarray) -> Tensor:
    """Each bag's largest value per dimension: the bags' rows laid out as (bags, longest, dim),
    the missing places -inf, then max over the bag (its gradient to the first maximum); an
    empty bag gives 0."""
    place = np.arange(index.size) - (np.cumsum(counts) - counts)[bag_of]    # place in its bag
    padded = np.zeros((len(counts), max(counts.max(initial=0), 1)), np.int64)
    present = np.zeros(padded.shape, bool)
    padded[bag_of, place], present[bag_of, place] = index, True
    laid_out = embedding(padded, weight).masked_fill(~present[:, :, None], -np.inf)
    largest, _ = laid_out.max(dim=1)
    return largest.masked_fill((counts == 0)[:, None], 0.0)


def check_embedding_options(name: str, max_norm: Any, scale_grad_by_freq: bool,
                            sparse: bool) -> None:
    """PyTorch's embedding options: max_norm a positive number; the other two refused."""
    if sparse:
        raise ValueError(f"{name}: sparse=True asks for sparse gradients, and glassgrad's are "
                         f"dense arrays: pass sparse=False (the gradient's numbers are the "
                         f"same; train with a dense optimizer, such as nn.optim.SGD or Adam, "
                         f"where PyTorch would take optim.SparseAdam)")
    if scale_grad_by_freq:
        raise ValueError(f"{name}: scale_grad_by_freq=True (dividing each row's gradient by "
                         f"how often the batch picks it) is not supported: pass False")
    if max_norm is not None and not (isinstance(max_norm, numbers.Real)
                                     and not isinstance(max_norm, bool) and max_norm > 0):
        raise ValueError(f"{name}: max_norm must be a positive number or None, got "
                         f"{max_norm!r}")


def embedding_renorm_(weight: Tensor, index: np.ndarray, max_norm: float,
                      norm_type: float) -> None:
    """Scale in place each row of `weight` that `index` picks and whose `norm_type`-norm
    exceeds `max_norm` by max_norm / (norm + 1e-7), as PyTorch's `embedding_renorm_`: no
    gradient, and a parameter is written as an optimizer step writes it. The lookup's own
    backward does not read the weight, so a graph that only looked rows up still
    backpropagates; one that used the weight otherwise is refused, as in PyTorch.

    >>> table = Tensor([[3.0, 4.0], [0.3, 0.4]], requires_grad=True)
    >>> embedding_renorm_(table, np.array([0, 1, 0]), 1.0, 2.0); table.data.round(6)
    array([[0.6, 0.8],
           [0.3, 0.4]], dtype=float32)
    """
    rows = np.unique(index)
    picked = weight.data[rows]
    norms = np.linalg.norm(picked, ord=norm_type, axis=1)
    over = norms > max_norm
    if not over.any():
        return
    with no_grad():
        weight._check_writable("embedding with max_norm", "max_norm rescales the weight's "
                               "rows in place: pass a leaf (a Parameter) as the weight")
    scale = max_norm / (norms[over] + 1e-7)
    weight.data[rows[over]] = picked[over] * scale[:, None].astype(picked.dtype)
    weight._changed_in_place()


def embedding_indices(name: str, indices: Any, rows: int) -> np.ndarray:
    """`indices` as an integer array checked to lie in [0, rows), else an error naming `name`
    (the function or the layer), the offending index and the table's size."""
    index = integer_array(name, "indices", indices)
    if index.size:
        low, high = index.min(), index.max()
        if low < 0:
            raise IndexError(f"{name}: indices must be >= 0, got {low} (a negative index does "
                             f"not count from the end here, as in PyTorch)")
        if high >= rows:
            if index.ndim == 1 and np.array_equal(index, np.arange(index.size)):
                # arange(T): a position table asked for a context longer than it has rows,
                # as a GPT's generate() does once the text outgrows block_size
                need = (f"positions 0 to {high} are a context of {high + 1}, longer than the "
                        f"table's {rows}: crop the context to its last {rows} "
                        f"(idx[:, -block_size:]) or make the table longer")
            else:
                need = f"a vocabulary of {high + 1} needs num_embeddings >= {high + 1}"
            raise IndexError(f"{name}: index {high} is out of range for a table of {rows} rows "
                             f"(num_embeddings={rows}): indices must be in [0, {rows}); {need}")
    return index


def padding_index(name: str, padding_idx: Any, rows: int) -> int:
    """`padding_idx` as a row in [0, rows); a negative one counts from the end, as in PyTorch."""
    if not _is_int(padding_idx):
        raise TypeError(f"{name}: padding_idx must be an int or None, got {padding_idx!r}")
    if not -rows <= padding_idx < rows:
        raise ValueError(f"{name}: padding_idx must be in [-{rows}, {rows}) (a row of the "
                         f"table, num_embeddings={rows}), got {padding_idx}")
    return int(padding_idx) % rows


def _class_labels(name: str, labels: np.ndarray, n: int, c: int,
                  ignore_index: int | None = None) -> np.ndarray | None:
    """`labels` checked as N integer class indices in [0, C); returns where each row's target
    sits in the flattened (N, C) scores: row * C + label (one flat index picks it). None when
    some labels equal `ignore_index` outside [0, C) (PyTorch's -100): rows to leave out, which
    the caller handles with `kept_labels`."""
    _check_label_shape(name, labels, n)
    try:                            # checks 0 <= label < C on the way (negatives included)
        return np.ravel_multi_index((np.arange(n), labels), (n, c))
    except ValueError:
        if ignore_index is not None and (labels == ignore_index).any():
            return None
        _refuse_label_range(name, labels, c)


def kept_labels(name: str, labels: np.ndarray, n: int, c: int, ignore_index: int) -> np.ndarray:
    """Which of the N labels count (those not equal to `ignore_index`), the others checked to be
    class indices in [0, C), as PyTorch checks them; a boolean mask of the rows."""
    _check_label_shape(name, labels, n)
    kept = labels != ignore_index
    counted = labels[kept]
    if counted.size and not (counted.min() >= 0 and counted.max() < c):
        _refuse_label_range(name, counted, c, f" or equal to ignore_index={ignore_index}")
    return kept


def _check_label_shape(name: str, labels: np.ndarray, n: int) -> None:
    """N integer labels, one per row; else an error that names the likely mix-up."""
    if labels.dtype.kind not in "iu":
        fix = ("class names: number them, classes, labels = np.unique(names, "
               "return_inverse=True)" if labels.dtype.kind in "USO" else
               "convert with labels.astype(int)")
        raise TypeError(f"{name}: class labels must be integers, got dtype {labels.dtype} "
                        f"({fix})")
    if labels.ndim == 2 and labels.shape[1] > 1:
        raise ValueError(f"{name}: the labels have shape {labels.shape}, like one-hot rows; "
                         f"it needs one class index per row, shape ({n},): pass "
                         f"labels.argmax(1)")
    if labels.shape != (n,):
        if labels.ndim == 1:
            raise ValueError(f"{name}: {labels.shape[0]} labels for {n} rows of scores")
        hint = " (labels as a column: use labels.reshape(-1))" if labels.shape == (n, 1) else ""
        raise ValueError(f"{name}: labels of shape {labels.shape} for {n} rows of scores: it "
                         f"needs one class index per row, shape ({n},){hint}")


def _refuse_label_range(name: str, labels: np.ndarray, c: int, note: str = "") -> None:
    low, high = int(labels.min()), int(labels.max())    # (uint8's 255 + 1 would wrap to 0)
    hint = _label_range_hint(low, high, c)
    raise ValueError(f"{name}: labels must be in [0, {c}){note}, got values in "
                     f"[{low}, {high}]{hint}") from None


def _label_range_hint(low: int, high: int, c: int) -> str:
    """The likely cause of labels outside [0, C): numbered from 1, or a model with too few
    outputs (one column: a binary model given to a multiclass loss)."""
    if low == 1 and high == c:
        return " (labels numbered from 1? pass y - 1)"
    if low < 0:
        return ""
    if c == 1:
        return (" (one column of scores: for two classes use binary_cross_entropy_with_logits, "
                "or a model with 2 outputs)")
    return (f" ({c} columns of scores, but label {high} needs {high + 1}: does the model have "
            f"one output per class?)")


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean", *, weight: Any = None,
                  ignore_index: int = -100, label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy from logits (N, C), fused and stable; gradient softmax - target.

    `target` is class indices (N,) (ints) or a probability / one-hot array (N, C). A target
    Tensor of probabilities that requires grad gets a gradient too: -log_softmax(logits)
    (divided by N for the mean).

    >>> z = Tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> loss = cross_entropy(z, [0, 0])
    >>> loss.backward()
    >>> round(loss.item(), 4), z.grad.round(4)          # grad = (softmax(z) - onehot) / N
    (1.1269, array([[-0.0596,  0.0596],
                    [-0.4404,  0.4404]], dtype=float32))

    PyTorch's options, with its meaning (keywords here; `reduction` is the third argument):

    - `weight` (C,), >= 0: class y's loss counts w[y] times (imbalanced classes). The "mean"
      divides by the sum of the counted rows' weights, Σ w[y_n], not by N.
    - `ignore_index` (default -100): labels equal to it count for nothing, neither in the sum
      nor in the mean's divisor (padding in sequences); with every label ignored the "mean"
      is NaN (0 / 0) and the gradient zero, as in PyTorch. Probability targets refuse an
      ignore_index >= 0, as PyTorch does.
    - `label_smoothing` ε in [0, 1]: the target is (1 - ε) onehot(y) + ε / C, so a row's loss
      is (1 - ε) w[y] (-log p_y) + (ε / C) Σ_c w_c (-log p_c) (w = 1 without weight), divided
      for the mean by Σ w[y_n] as above. For probability targets t: (1 - ε) t + ε / C, each
      class weighed by w_c, and the mean divides by N.

    >>> y = [0, 1, -100]                                 # the last row is padding
    >>> z = Tensor([[2.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    >>> round(cross_entropy(z, y, weight=[1.0, 3.0]).item(), 4)  # (1 l0 + 3 l1) / (1 + 3)
    0.1269
    >>> round(cross_entropy(z, y, label_smoothing=0.2).item(), 4)
    0.3269

    Other shapes, as in PyTorch (see `class_rows`): one sample's logits (C,) with one label
    (a 0-d target), and K-dimensional logits (N, C, d1, ..., dk), the class axis second, with
    labels (N, d1, ..., dk) or probabilities of the logits' shape: each position is a row, the
    options and the mean work over all of them, and "none" gives the losses in shape
    (N, d1, ..., dk). A sequence model's (B, C, T) scores against (B, T) labels:

    >>> z = Tensor(np.zeros((2, 3, 4)))                  # N = 2, C = 3 classes, T = 4
    >>> y = np.array([[0, 1, 2, 0], [1, 1, -100, 2]])
    >>> cross_entropy(z, y, reduction="none").shape
    (2, 4)
    >>> round(cross_entropy(z, y).item(), 4)             # log 3, the mean over 7 positions
    1.0986
    """
    name = "cross_entropy"
    _check_reduction(name, reduction)
    logits = _floating(name, logits)
    _warn_if_made_by(name, logits, "softmax", "probabilities", "remove the final "
                     "softmax (cross_entropy applies log_softmax itself)")
    if logits.ndim != 2:
        rows, target, shape = class_rows(name, "logits", logits, target, probabilities=True)
        loss = _cross_entropy_rows(rows, target, reduction, weight, ignore_index, label_smoothing)
        return loss.reshape(shape) if reduction == "none" else loss
    return _cross_entropy_rows(logits, target, reduction, weight, ignore_index, label_smoothing)


def _cross_entropy_rows(logits: Tensor, target: Any, reduction: str, weight: Any,
                        ignore_index: Any, label_smoothing: Any) -> Tensor:
    """cross_entropy of floating logits (N, C), after the checks every shape shares."""
    name = "cross_entropy"
    n, c = logits.shape
    if c == 0:
        raise ValueError(f"cross_entropy: the logits have shape {logits.shape}, no classes: each "
                         f"row needs at least one class score")
    if n == 0 and reduction == "mean":
        raise ValueError("cross_entropy: the mean over 0 rows is undefined (empty batch)")
    # PyTorch's defaults cost one test: the fast path of labels never builds an (N, C) target
    plain = (weight is None and not label_smoothing and ignore_index.__class__ is int
             and ignore_index == -100)
    if not plain:
        weight, ignore_index, label_smoothing = class_options(
            name, weight, ignore_index, label_smoothing, c, logits.dtype)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.ndim == 1:
        picks = _class_labels(name, t, n, c, ignore_index) if plain else None
        if picks is not None:
            return apply(CrossEntropy, (logits,), CrossEntropyCtx(reduction, picks))
        return _labels_with_options(logits, t, reduction, weight, ignore_index, label_smoothing)
    if t.shape != logits.shape:
        hint = " (labels as a column: use labels.reshape(-1))" if t.shape == (n, 1) else ""
        raise ValueError(f"cross_entropy: target must be class indices of shape ({n},) or "
                         f"probabilities of shape {logits.shape}, got shape {t.shape} "
                         f"(dtype {t.dtype}){hint}")
    if not isinstance(target, Tensor):
        target = Tensor(t.astype(logits.dtype))
    elif target.dtype != logits.dtype:          # (one-hot ints, float64 probabilities)
        target = target.astype(logits.dtype)    # the logits' dtype; a gradient is cast back
    if not plain:
        return _probabilities_with_options(logits, target, reduction, weight, ignore_index,
                                           label_smoothing)
    return apply(CrossEntropy, (logits, target), CrossEntropyCtx(reduction, None))


def class_rows(name: str, what: str, scores: Tensor, target: Any, probabilities: bool = False
               ) -> tuple[Tensor, Any, tuple[int, ...]]:
    """A classification loss's scores of PyTorch's other shapes as rows (M, C) for its 2-d
    rule: one sample's (C,) with one label (a 0-d target), or K-dimensional
    (N, C, d1, ..., dk) with labels (N, d1, ..., dk) (or, when `probabilities`, a target of
    the scores' shape, its class axis moved too). The class axis is moved last by Tensor ops,
    so the gradient flows back through them; returns the rows, the target's rows (labels flat
    (M,)), and the shape of the per-element losses, () or (N, d1, ..., dk), for "none".

    >>> rows, labels, shape = class_rows("loss", "logits", Tensor(np.zeros((2, 3, 4))),
    ...                                  np.zeros((2, 4), dtype=int))
    >>> rows.shape, labels.shape, shape
    ((8, 3), (8,), (2, 4))
    """
    if scores.ndim == 0:
        raise ValueError(f"{name}: {what} must have a class axis: shape (C,), (N, C) or "
                         f"(N, C, d1, ..., dk), got a 0-d tensor")
    c = scores.shape[0 if scores.ndim == 1 else 1]
    if c == 0:
        raise ValueError(f"{name}: the {what} have shape {scores.shape}, no classes (class "
                         f"axis {0 if scores.ndim == 1 else 1}): each position needs at least "
                         f"one class score")
    shape = () if scores.ndim == 1 else (scores.shape[0],) + scores.shape[2:]
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    # the class axis last, then every position a row (for (C,): one row)
    order = (0,) + tuple(range(2, scores.ndim)) + (1,) if scores.ndim > 1 else (0,)
    count = math.prod(shape)
    if probabilities and t.shape == scores.shape:
        if isinstance(target, Tensor) and target.requires_grad:     # its gradient flows back
            moved = target.transpose(order).reshape(count, c)
        else:
            moved = np.moveaxis(t, 0 if scores.ndim == 1 else 1, -1).reshape(count, c)
        return scores.transpose(order).reshape(count, c), moved, shape
    if t.shape == shape:
        return scores.transpose(order).reshape(count, c), t.reshape(count), shape
    raise ValueError(_target_shape_error(name, what, scores.shape, t.shape, probabilities))


def _target_shape_error(name: str, what: str, scores: tuple, got: tuple,
                        probabilities: bool) -> str:
    """Which target shapes (C,) or (N, C, d1, ...) scores take, and the likely mix-up: a
    channels-last (B, T, C) against (B, T) labels, where PyTorch's class axis is 1."""
    also = f", or probabilities of the {what}' shape {scores}" if probabilities else ""
    if len(scores) == 1:
        # (PyTorch also takes a (1,) target here; it reads like a batch of one, so it is
        # refused, with both ways to say which)
        fix = (f"a batch of one? 2-d {what} (N, C) take targets (N,): {what}.reshape(1, -1); "
               f"else pass the label itself" if got == (1,) else
               f"for a batch, 2-d {what} (N, C) with targets (N,)")
        return (f"{name}: the target of {what} of shape (C,) = {scores} (one sample) must be "
                f"one class index, shape (){also}; got shape {got} ({fix})")
    shape = (scores[0],) + scores[2:]
    message = (f"{name}: targets must have shape (N, d1, ...) = {shape} for {what} {scores} "
               f"(class axis 1, as in PyTorch){also}; got shape {got}")
    if got == scores[:-1]:
        classes = scores[-1]
        middle = ", ".join(str(axis) for axis in range(1, len(scores) - 1))
        moved = ("transpose(1, 2)" if len(scores) == 3 else
                 f"permute(0, {len(scores) - 1}, {middle})")
        layout = "a sequence's (B, T, C)" if len(scores) == 3 else "channels-last (N, ..., C)"
        message += (f". Class scores last, as {layout}? PyTorch's class axis is 1: use "
                    f"{what}.reshape(-1, {classes}) with targets.reshape(-1), or {what}.{moved}")
    return message


def class_options(name: str, weight: Any, ignore_index: Any, label_smoothing: Any,
                  c: int | None, dtype: np.dtype | None) -> tuple[np.ndarray | None, int, float]:
    """PyTorch's options of the classification losses, checked: `weight` as an array of C
    numbers >= 0 in `dtype` (or None; any length when `c` is None; its own floating dtype, else
    the default one, when `dtype` is None), `ignore_index` as an int, `label_smoothing` in
    [0, 1]."""
    if not _is_int(ignore_index):
        raise TypeError(f"{name}: ignore_index must be an int (the label to leave out; "
                        f"PyTorch's default is -100), got {ignore_index!r}")
    if (isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real)
            or not 0 <= label_smoothing <= 1):
        raise ValueError(f"{name}: label_smoothing must be a number in [0, 1], got "
                         f"{label_smoothing!r}")
    if weight is not None:
        w = _constant_numbers(name, "weight", weight)       # PyTorch has no gradient for it
        if w.ndim != 1 or (c is not None and w.shape != (c,)):
            classes = "C" if c is None else c
            raise ValueError(f"{name}: weight must hold one number per class, shape "
                             f"({classes},), got shape {w.shape}")
        if not (np.isfinite(w).all() and (w >= 0).all()):
            raise ValueError(f"{name}: weight must be finite and >= 0, got {w.tolist()}")
        if dtype is None:
            dtype = w.dtype if w.dtype.kind == "f" else get_default_dtype()
        weight = w.astype(dtype)
    return weight, int(ignore_index), float(label_smoothing)


def _labels_with_options(logits: Tensor, labels: np.ndarray, reduction: str,
                         weight: np.ndarray | None, ignore_index: int, smoothing: float) -> Tensor:
    """cross_entropy of class labels with PyTorch's options, as the fused op on a constant
    target: row n is (1 - ε) w[y_n] onehot(y_n) + ε w / C, zeros for an ignored row. The mean
    divides by Σ w[y_n] over the counted rows: that factor is put in the target, and the op sums."""
    n, c = logits.shape
    kept = kept_labels("cross_entropy", labels, n, c, ignore_index)
    rows = np.flatnonzero(kept)
    classes = labels[rows]
    w = np.ones(c, logits.dtype) if weight is None else weight
    target = np.zeros((n, c), logits.dtype)
    if smoothing:
        target[rows] = (smoothing / c) * w
    target[rows, classes] += (1 - smoothing) * w[classes]
    if reduction != "mean":
        return apply(CrossEntropy, (logits,), CrossEntropyCtx(reduction, None, target))
    divisor = w[classes].sum(dtype=np.float64)
    if divisor == 0:            # every label ignored (or weighed 0): 0 / 0, PyTorch's NaN,
        loss = apply(CrossEntropy, (logits,), CrossEntropyCtx("sum", None, target))
        return loss + math.nan  # with the zero gradient the rows' zero targets give
    target /= divisor
    return apply(CrossEntropy, (logits,), CrossEntropyCtx("sum", None, target))


def _probabilities_with_options(logits: Tensor, target: Tensor, reduction: str,
                                weight: np.ndarray | None, ignore_index: int,
                                smoothing: float) -> Tensor:
    """cross_entropy of probability targets t with PyTorch's options: the target becomes
    w ((1 - ε) t + ε / C), by Tensor ops when t requires grad (so its gradient flows back
    through them); the mean still divides by N, as in PyTorch."""
    if ignore_index >= 0:
        raise ValueError(f"cross_entropy: ignore_index={ignore_index} needs class labels; "
                         f"with probability targets PyTorch refuses an ignore_index >= 0 too "
                         f"(to leave a row out, give it a zero target row, or pass labels)")
    c = logits.shape[1]
    if target.requires_grad:
        if smoothing:
            target = target * (1 - smoothing) + smoothing / c
        if weight is not None:
            target = target * Tensor(weight)
        return apply(CrossEntropy, (logits, target), CrossEntropyCtx(reduction, None))
    t = target.data
    if smoothing:
        t = t * (1 - smoothing) + smoothing / c
    if weight is not None:
        t = t * weight
    return apply(CrossEntropy, (logits,), CrossEntropyCtx(reduction, None, t))


def binary_cross_entropy(probs: Any, target: Any, reduction: str = "mean", *,
                         weight: Any = None) -> Any:
    """-[t log p + (1 - t) log(1 - p)] for probabilities p in [0, 1] and targets t in [0, 1].

    Each log is clamped at -100, as PyTorch does, so p = 0 or 1 costs at most 100, never inf.
    For Tensors it is one fused op whose gradient is (p - t) / p(1 - p), with p(1 - p) floored
    at 1e-12. For a list of Values it is built from Value ops (a drawing shows every term), each
    log a `clamped_log` op: ln p, or -100 with slope 0 where p <= e^-100. `probs` and `target`
    must have the same shape. From logits, `binary_cross_entropy_with_logits` is stabler.

    >>> p = Tensor([0.9, 0.2], requires_grad=True)
    >>> round(binary_cross_entropy(p, [1, 0]).item(), 4)    # -(log 0.9 + log 0.8) / 2
    0.1643

    `weight` (PyTorch's, a keyword here) multiplies each element's loss before the reduction:
    constant numbers >= 0 that broadcast to the input's shape (for Values: one number, or one
    per Value). "mean" still divides by the number of elements, as in PyTorch.

    >>> loss = binary_cross_entropy(p, [1, 0], weight=[3.0, 1.0])   # -(3 log 0.9 + log 0.8) / 2
    >>> round(loss.item(), 4)
    0.2696

    "mean" divides by every element. The lectures' cost of m examples with K sigmoid outputs,
    -1/m Σ_i Σ_k [y log h + (1 - y) log(1 - h)], sums over k: it is `reduction="sum"` over m.

    >>> h, Y = Tensor([[0.9, 0.2], [0.6, 0.3]]), [[1, 0], [1, 1]]          # m = 2, K = 2
    >>> J = binary_cross_entropy(h, Y, reduction="sum") / 2
    >>> round(J.item(), 3), round(binary_cross_entropy(h, Y).item() * 2, 3)  # "mean" is J / K
    (1.022, 1.022)
    >>> round(binary_cross_entropy([Value(0.9), Value(0.2)], [1, 0]).data, 4)
    0.1643
    """
    name = "binary_cross_entropy"
    _check_reduction(name, reduction)
    if _is_values(probs):
        pairs = _value_pairs(name, probs, target)
        _check_range(name, "probs", [p.data for p, _ in pairs],
                     " (for logits use binary_cross_entropy_with_logits)")
        _check_range(name, "target", [_target_number(t) for _, t in pairs],
                     " (for ±1 labels use (y + 1) / 2)")
        losses = [-(t * _clamped_log(p) + _complement(t, _clamped_log(1 - p))) for p, t in pairs]
        return _reduce_values(_weighted(losses, _value_weights(name, weight, pairs)), reduction)
    p = _floating(name, probs)
    t = _constant_target(name, target, p)
    if weight is not None:
        weight = broadcast_constant(name, "weight", weight, p)
    inside = (p.data >= 0) & (p.data <= 1)
    if not inside.all():
        raise ValueError(f"binary_cross_entropy: probs must be in [0, 1], got values in "
                         f"[{np.nanmin(p.data)}, {np.nanmax(p.data)}]"
                         f"{' and NaN' if np.isnan(p.data).any() else ''} (for logits use "
                         f"binary_cross_entropy_with_logits)")
    losses = apply(BinaryCrossEntropy, (p,), t)
    return _reduce(losses if weight is None else losses * weight, reduction, name)


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean", *,
                                     weight: Any = None, pos_weight: Any = None) -> Any:
    """Binary cross-entropy of σ(logits) against t in [0, 1], stable at any logit;
    the gradient with respect to the logits is σ(x) - t (without pos_weight).

    `pos_weight` (≥ 0) multiplies the loss of the positive term t log σ(x): above 1 it counts
    positives more (PyTorch's meaning). For Tensors the loss is one fused op and `pos_weight`
    broadcasts against the logits (e.g. one per class). For a list of Values `pos_weight` is a
    number and the loss is built from Value ops: pos_weight·t·softplus(-x) + (1 - t)·softplus(x),
    as -log σ(x) = softplus(-x) and -log(1 - σ(x)) = softplus(x), where softplus(z) =
    log(1 + e^z) is one op, computed so that e^(...) never overflows. `weight` multiplies each
    element's loss before the reduction, as in `binary_cross_entropy`.

    >>> x = Tensor([0.0, 1000.0, -1000.0], requires_grad=True)
    >>> loss = binary_cross_entropy_with_logits(x, [1, 1, 1], reduction="sum")
    >>> loss.backward()
    >>> round(loss.item(), 2), x.grad                   # log 2 + 0 + 1000;  σ(x) - 1
    (1000.69, array([-0.5,  0. , -1. ], dtype=float32))
    >>> v = Value(0.0)
    >>> loss = binary_cross_entropy_with_logits([v], [1.0])
    >>> loss.backward()
    >>> round(loss.data, 4), v.grad                     # log 2;  σ(0) - 1
    (0.6931, -0.5)
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    if _is_values(logits):
        return _values_bce_with_logits(logits, target, reduction, weight, pos_weight)
    x = _floating(name, logits)
    _warn_if_made_by(name, x, "sigmoid", "probabilities", "remove the final sigmoid, or use "
                     "binary_cross_entropy on probabilities")
    t = _constant_target(name, target, x)
    if pos_weight is not None:
        pos_weight = broadcast_constant(name, "pos_weight", pos_weight, x)
    if weight is not None:
        weight = broadcast_constant(name, "weight", weight, x)
    losses = apply(BinaryCrossEntropyWithLogits, (x,), BCEWithLogitsCtx(t, pos_weight))
    return _reduce(losses if weight is None else losses * weight, reduction, name)


def _values_bce_with_logits(logits: Any, target: Any, reduction: str, weight: Any,
                            pos_weight: Any) -> Any:
    name = "binary_cross_entropy_with_logits"
    pairs = _value_pairs(name, logits, target)
    _check_range(name, "target", [_target_number(t) for _, t in pairs],
                 " (for ±1 labels use (y + 1) / 2)")
    if isinstance(pos_weight, np.ndarray) and pos_weight.ndim == 0:
        pos_weight = pos_weight.item()          # (BCEWithLogitsLoss keeps its number so)
    if pos_weight is not None and not (isinstance(pos_weight, numbers.Real) and pos_weight >= 0):
        raise ValueError(f"{name}: with Values, pos_weight must be a number >= 0, "
                         f"got {pos_weight!r}")
    weights = _value_weights(name, weight, pairs)
    losses = []
    for x, t in pairs:
        # two terms >= 0, each accurate: no cancellation in the loss, and for a 0/1 label the
        # slope is σ(x) or -σ(-x) itself (1 - σ(-x) would round σ(x) < 1e-16 away)
        if pos_weight is None:
            positive = t * _softplus(-x)
        elif isinstance(t, Value):          # t meets the loss first: see _complement
            positive = t * (pos_weight * _softplus(-x))
        else:
            positive = pos_weight * t * _softplus(-x)
        losses.append(positive + _complement(t, _softplus(x)))
    return _reduce_values(_weighted(losses, weights), reduction)
