"""Activations, dropout, losses and `one_hot`, for Tensors and (where it makes sense) lists of
Values.

The activations (`leaky_relu`, `gelu`, and `elu`, `selu`, `celu`, one op, among them), `linear`,
`embedding`, `embedding_bag`, the fused losses (`cross_entropy` and both binary cross-entropies)
and the convolution and pooling functions (`conv2d`, `conv1d`, `conv_transpose2d`,
`conv_transpose1d`, `max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d`, `max_pool1d`,
`avg_pool1d`, `adaptive_avg_pool1d`, `adaptive_max_pool2d`, `adaptive_max_pool1d`, `pad`, and
the 3-d `conv3d`, `conv_transpose3d`, `max_pool3d`, `avg_pool3d`, `adaptive_avg_pool3d`,
`adaptive_max_pool3d`) come from `autograd.functional`, `batch_norm`, `layer_norm`, `rms_norm`,
`group_norm` and `instance_norm` from `nn.normalization`, `scaled_dot_product_attention` from
`nn.attention`, `interpolate`, `pixel_shuffle` and `pixel_unshuffle` from `nn.resampling`,
`unfold` and `fold` from `nn.fold`: each is one function, reachable from both modules.

This module adds PyTorch's other activations (`relu6`, `hardtanh`, `hardsigmoid`, `hardswish`,
`silu`, `mish`, `softplus`, `softsign`, `logsigmoid`, `tanhshrink`, `threshold`, `hardshrink`,
`softshrink`, `softmin`, `glu`, `prelu`), built from the engine's ops; `cosine_similarity`,
`pairwise_distance` and `normalize` (re-exported from `nn.distances`); dropout,
`one_hot`, the other losses of the lectures, and PyTorch's `smooth_l1_loss`, `huber_loss`,
`gaussian_nll_loss`, `poisson_nll_loss`, `kl_div`, `margin_ranking_loss`, `soft_margin_loss`,
and the margin losses of embeddings and of several classes, `triplet_margin_loss` (and
`triplet_margin_with_distance_loss`), `cosine_embedding_loss`, `hinge_embedding_loss`,
`multi_margin_loss`, `multilabel_margin_loss` and `multilabel_soft_margin_loss`, and the CTC
loss of label sequences, `ctc_loss` (its op: `autograd.ops.ctc`). Every loss
takes `reduction="mean" | "sum" | "none"` (`kl_div` also "batchmean"), and declares its task
(see `nn.scoring`), which is how `fit` picks metrics and reads class labels; `l2_penalty` and
`l1_penalty`, terms added to a loss, do neither, nor do the losses whose targets are no class
labels: `kl_div`, `margin_ranking_loss`, the triplet losses, `cosine_embedding_loss`,
`hinge_embedding_loss`, `multilabel_margin_loss` and `ctc_loss`.

>>> from autograd import Tensor, Value
>>> from nn import functional as F
>>> F.mse_loss(Tensor([1.0, 3.0]), [0.0, 1.0])          # ((1 - 0)² + (3 - 1)²) / 2
Tensor(2.5)
>>> F.mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0])    # the same, as a graph of Values
Value(data=2.5, grad=0.0)

Prediction and target must have the same shape: a (N, 1) column against (N,) targets would
broadcast to (N, N) and compare every prediction with every target, so it is an error here.
Targets are arrays, lists or Tensors. A list of `Value`s (the scalar engine) works with
`mse_loss`, `l1_loss`, `hinge_loss`, both binary cross-entropies and the penalties; the loss is
then built from Value ops, so a drawing of the graph shows every term.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from autograd import Tensor, Value, get_default_dtype, minimum, where
from autograd.graph import apply
from autograd.ops.elementwise import Condition, Hardswish, Huber, SmoothL1, Softplus
from autograd.ops.ctc import CTCCtx, CTCLoss as CTCLossOp
from autograd.ops.fused import BCEWithLogitsCtx, BinaryCrossEntropyWithLogits
from autograd.tensor import _axes, _softmax_axis
# one place for the reduction rules, label checks and Value-list helpers, shared with the
# losses that live in the engine (the fused ones, which also take lists of Values)
from autograd.functional import (
    _check_reduction, _class_labels, _constant_numbers, _constant_target, _floating, _is_int,
    _is_values, _raw, _real, _reduce, _reduce_values, _target_number, _value_pairs,
    _shape_of, _warn_if_made_by, broadcast_constant, class_options, class_rows, holds_values,
    integer_array, kept_labels, values_list_error,
)
from autograd.functional import (  # noqa: F401  (re-exported: one function, two addresses)
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,
    avg_pool1d, avg_pool2d, binary_cross_entropy, binary_cross_entropy_with_logits, celu, conv1d,
    conv2d, conv_transpose1d, conv_transpose2d, cross_entropy, elu, embedding, embedding_bag,
    gelu, leaky_relu, linear, log_softmax, max_pool1d, max_pool2d, pad, relu, selu, sigmoid,
    softmax, tanh, adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, conv3d,
    conv_transpose3d, max_pool3d,
)
from autograd.random import default_rng
from autograd.warn import warn

from .distances import (  # noqa: F401  (re-exported; nn.losses reads checked_norm_order here)
    checked_norm_order, cosine_similarity, normalize, pairwise_distance,
)
from .fold import fold, unfold  # noqa: F401  (re-exported)
from .module import Module
from .normalization import (  # noqa: F401  (re-exported)
    batch_norm, group_norm, instance_norm, layer_norm, rms_norm,
)
from .resampling import interpolate, pixel_shuffle, pixel_unshuffle  # noqa: F401  (re-exported)
from .scoring import declare_loss

__all__ = [
    "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "embedding",
    "embedding_bag", "relu6", "elu", "selu", "celu", "silu", "mish", "softplus", "softsign",
    "hardtanh", "hardsigmoid", "hardswish", "logsigmoid", "tanhshrink", "threshold", "hardshrink",
    "softshrink", "softmin", "glu", "prelu",
    "cosine_similarity", "pairwise_distance", "normalize",
    "one_hot", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss", "ctc_loss", "hinge_loss", "l2_penalty", "l1_penalty",
    "smooth_l1_loss", "huber_loss", "gaussian_nll_loss", "poisson_nll_loss", "kl_div",
    "margin_ranking_loss", "soft_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss", "cosine_embedding_loss",
    "hinge_embedding_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "conv2d", "conv1d", "conv_transpose2d", "conv_transpose1d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "pad", "batch_norm",
    "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool1d", "conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d",
    "adaptive_avg_pool3d", "adaptive_max_pool3d",
    "layer_norm", "rms_norm", "group_norm", "instance_norm", "scaled_dot_product_attention",
    "interpolate", "pixel_shuffle", "pixel_unshuffle", "unfold", "fold",
]

Loss = Any          # a Tensor, a Value, or (reduction="none" on Values) a list of Values


# ----------------------------------------------------------------------------------------------
# More activations: PyTorch's, for Tensors (elu, selu and celu are one op, from autograd)
# ----------------------------------------------------------------------------------------------

def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
             ) -> Tensor:
    """x clamped to [min_val, max_val]. The slope is PyTorch's: 1 strictly inside, 0 at the
    edges and beyond (`Tensor.clip`'s is 1 at the edges too). `inplace` is accepted for PyTorch
    code and changes nothing (the result is a new tensor), here and in every activation below.

    >>> x = Tensor([-2.0, -1.0, 0.5], requires_grad=True)
    >>> y = hardtanh(x)
    >>> y.backward(np.ones(3)); y.numpy(), x.grad
    (array([-1. , -1. ,  0.5], dtype=float32), array([0., 0., 1.], dtype=float32))
    """
    low, high = checked_hardtanh_bounds("hardtanh", min_val, max_val)
    return _clamp(_floating("hardtanh", x), low, high)


def checked_hardtanh_bounds(name: str, min_val: Any, max_val: Any) -> tuple[float, float]:
    """(min_val, max_val) as floats, or an error naming `name` (the function or the module)."""
    low, high = _real(name, "min_val", min_val), _real(name, "max_val", max_val)
    if low > high:
        raise ValueError(f"{name}: min_val {low} is greater than max_val {high}")
    return low, high


def relu6(x: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6): slope 1 in (0, 6), else 0.

    >>> relu6(Tensor([-1.0, 3.0, 8.0])).numpy()
    array([0., 3., 6.], dtype=float32)
    """
    return _clamp(_floating("relu6", x), 0.0, 6.0)


def _clamp(x: Tensor, low: float, high: float) -> Tensor:
    """x clamped to [low, high], the gradient passed only strictly inside (NaN stays NaN)."""
    inside = (x.data > low) & (x.data < high)
    return where(Condition(inside, f"{low:g} < a < {high:g}"), x, np.clip(x.data, low, high))


def hardsigmoid(x: Any, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 up to -3, x/6 + 1/2 between, 1 from 3 on (slope 1/6 in (-3, 3)).

    >>> hardsigmoid(Tensor([-4.0, 0.0, 1.5, 4.0])).numpy()
    array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return _clamp(_floating("hardsigmoid", x) + 3.0, 0.0, 6.0) / 6.0


def hardswish(x: Any, inplace: bool = False) -> Tensor:
    """x · hardsigmoid(x) = x · relu6(x + 3) / 6 (MobileNetV3): 0 up to -3, x from 3 on; one
    op (`Hardswish`), whose slopes are 0 up to -3 and 1 from 3 on, also at ±inf.

    >>> hardswish(Tensor([-4.0, 1.0, 4.0])).numpy().round(4)
    array([-0.    ,  0.6667,  4.    ], dtype=float32)
    """
    return apply(Hardswish, (_floating("hardswish", x),))


def silu(x: Any, inplace: bool = False) -> Tensor:
    """x · σ(x) (also called swish), stable at ±1000; slope σ(x) (1 + x (1 - σ(x))).

    Two ops (sigmoid, product): measured, one fused op was slower, as its backward has to
    compute σ(x) again where the product's keeps it.

    >>> silu(Tensor([-1000.0, 0.0, 2.0])).numpy().round(4)
    array([-0.    ,  0.    ,  1.7616], dtype=float32)
    """
    x = _floating("silu", x)
    return x * x.sigmoid()


def mish(x: Any, inplace: bool = False) -> Tensor:
    """x · tanh(softplus(x)), stable at ±1000 (softplus is the overflow-free op).

    >>> mish(Tensor([-1000.0, 0.0, 1.0])).numpy().round(4)
    array([-0.    ,  0.    ,  0.8651], dtype=float32)
    """
    x = _floating("mish", x)
    return x * apply(Softplus, (x,)).tanh()


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β) ln(1 + e^(βx)), and x itself where βx > threshold (PyTorch's switch to the line,
    slope 1 there); slope σ(βx) elsewhere. Computed by the overflow-free `Softplus` op, so
    ±1000 is fine whatever the threshold.

    >>> [round(v, 4) for v in softplus(Tensor([-1000.0, 0.0, 1000.0])).tolist()]
    [0.0, 0.6931, 1000.0]
    >>> softplus(Tensor([1.0, 3.0]), beta=2.0, threshold=4.0).numpy().round(4)   # 2·3 > 4
    array([1.0635, 3.    ], dtype=float32)
    """
    beta, threshold = checked_softplus_options("softplus", beta, threshold)
    x = _floating("softplus", x)
    scaled = x if beta == 1 else x * beta
    smooth = apply(Softplus, (scaled,))
    if beta != 1:
        smooth = smooth / beta
    linear = scaled.data > threshold
    return where(linear, x, smooth) if linear.any() else smooth


def checked_softplus_options(name: str, beta: Any, threshold: Any) -> tuple[float, float]:
    """(beta, threshold) as floats, or an error naming `name` (the function or the module)."""
    beta, threshold = _real(name, "beta", beta), _real(name, "threshold", threshold)
    if beta == 0:
        raise ValueError(f"{name}: beta must not be 0 (the result is ln(1 + e^(βx)) / β)")
    return beta, threshold


def softsign(x: Any) -> Tensor:
    """x / (1 + |x|); slope 1 / (1 + |x|)².

    >>> softsign(Tensor([-3.0, 1.0])).numpy()
    array([-0.75,  0.5 ], dtype=float32)
    """
    x = _floating("softsign", x)
    return x / (1.0 + x.abs())


def logsigmoid(x: Any) -> Tensor:
    """ln σ(x) = -softplus(-x), stable at ±1000 (no log of a σ rounded to 0); slope σ(-x).

    >>> [round(v, 4) for v in logsigmoid(Tensor([-1000.0, 0.0, 1000.0])).tolist()]
    [-1000.0, -0.6931, -0.0]
    """
    return -apply(Softplus, (-_floating("logsigmoid", x),))


def tanhshrink(x: Any) -> Tensor:
    """x - tanh(x); slope tanh(x)².

    >>> tanhshrink(Tensor([0.0, 1.0])).numpy().round(4)
    array([0.    , 0.2384], dtype=float32)
    """
    x = _floating("tanhshrink", x)
    return x - x.tanh()


def threshold(x: Any, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else `value` (PyTorch's order of arguments); slope 1 above the
    threshold, 0 at and below it. NaN stays NaN.

    >>> threshold(Tensor([-1.0, 0.5, 2.0]), 0.5, -3.0).numpy()
    array([-3., -3.,  2.], dtype=float32)
    """
    x = _floating("threshold", x)
    limit, value = _real("threshold", "threshold", threshold), _real("threshold", "value", value)
    return where(Condition(x.data <= limit, f"b ≤ {limit:g}"), value, x)


def hardshrink(x: Any, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0; slope 1 outside [-lambd, lambd], 0 inside.

    >>> hardshrink(Tensor([-1.0, 0.25, 0.75])).numpy()
    array([-1.  ,  0.  ,  0.75], dtype=float32)
    """
    x = _floating("hardshrink", x)
    lambd = _real("hardshrink", "lambd", lambd)
    inside = (x.data >= -lambd) & (x.data <= lambd)
    return where(Condition(inside, f"{-lambd:g} ≤ b ≤ {lambd:g}"), 0.0, x)


def softshrink(x: Any, lambd: float = 0.5) -> Tensor:
    """x - lambd · sign(x) where |x| > lambd, else 0 (the soft thresholding of sparse coding);
    slope 1 outside [-lambd, lambd], 0 inside. lambd must be >= 0.

    >>> softshrink(Tensor([-1.0, 0.25, 0.75])).numpy()
    array([-0.5 ,  0.  ,  0.25], dtype=float32)
    """
    x = _floating("softshrink", x)
    lambd = checked_shrink_lambda("softshrink", lambd)
    return where((x.data >= -lambd) & (x.data <= lambd), 0.0, x - lambd * np.sign(x.data))


def checked_shrink_lambda(name: str, lambd: Any) -> float:
    """softshrink's lambd as a float >= 0, or an error naming `name` (the function or module)."""
    lambd = _real(name, "lambd", lambd)
    if not lambd >= 0:                      # NaN too
        raise ValueError(f"{name}: lambd must be >= 0 (the half-width of the band set to 0), "
                         f"got {lambd}")
    return lambd


def softmin(x: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """softmax(-x) along `axis` (or `dim`, PyTorch's name): the smallest gets the most weight.
    Not given, the axis is the last one up to 2-D, as `softmax`'s; 3-D and more must say.

    >>> softmin(Tensor([[1.0, 1.0 + np.log(3)]]), dim=1).numpy().round(4)
    array([[0.75, 0.25]], dtype=float32)
    """
    x = _floating("softmin", x)
    axis = _softmax_axis("softmin", axis, dim, x.shape)
    _axes(axis, max(x.ndim, 1), "softmin")             # a bad axis is softmin's error
    return (-x).softmax(axis)


def glu(x: Any, dim: int = -1) -> Tensor:
    """The gated linear unit: a · σ(b), where a and b are the first and second halves of `x`
    along `dim` (whose length must be even).

    >>> glu(Tensor([[1.0, 2.0, 0.0, 1000.0]])).numpy()        # [1 σ(0), 2 σ(1000)]
    array([[0.5, 2. ]], dtype=float32)
    """
    x = _floating("glu", x)
    if x.ndim == 0:
        raise ValueError("glu: needs an axis to halve, got a 0-d tensor")
    (axis,) = _axes(dim, x.ndim, "glu")
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"glu: the halved axis must have an even length, but axis {dim} of "
                         f"shape {x.shape} has {n}")
    before = (slice(None),) * axis
    first, second = x[before + (slice(0, n // 2),)], x[before + (slice(n // 2, None),)]
    return first * second.sigmoid()


def prelu(x: Any, weight: Any) -> Tensor:
    """x where x > 0, else a · x, with slopes a = `weight` learned (`nn.PReLU` holds it): one
    slope (shape (1,) or ()), or one per channel (C,) for input (N, C, ...), the channel axis
    being 1 as in PyTorch. The slope at 0 is a; `weight` gets Σ x · upstream over x <= 0.

    >>> a = Tensor([0.25], requires_grad=True)
    >>> y = prelu(Tensor([[-2.0, 3.0]]), a)
    >>> y.sum().backward(); y.numpy(), a.grad
    (array([[-0.5,  3. ]], dtype=float32), array([-2.], dtype=float32))
    """
    x = _floating("prelu", x)
    if not isinstance(weight, Tensor):
        weight = Tensor(_constant_numbers("prelu", "weight", weight).astype(x.dtype))
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must have one slope or one per channel (shape (1,) or "
                         f"(C,)), got shape {weight.shape}")
    if weight.size == 1:
        slope = weight.reshape(())
    else:
        channels = x.shape[1] if x.ndim >= 2 else 1
        if weight.size != channels:
            raise ValueError(f"prelu: {weight.size} slopes for an input of shape {x.shape}, "
                             f"whose channel axis (axis 1) has {channels}; pass one slope, or "
                             f"one per channel")
        slope = weight.reshape((channels,) + (1,) * (x.ndim - 2))
    return where(Condition(x.data > 0, "a > 0"), x, slope * x)


# ----------------------------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------------------------

def dropout(x: Any, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None, *, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability `p`, scale the kept ones by 1/(1-p).
    (`inplace` is accepted for PyTorch code and changes nothing: the result is a new tensor.)

    The scaling keeps every element's expected value, so evaluation (`training=False`) needs no
    correction and returns `x` itself, as does p = 0; p = 1 drops everything: zeros, with zero
    gradients (as in PyTorch). The mask comes from `rng`, or from the shared generator that
    `autograd.manual_seed` seeds.

    >>> import numpy as np
    >>> y = dropout(Tensor([1.0, 2.0, 3.0, 4.0]), 0.5, rng=np.random.default_rng(0))
    >>> y                                               # kept: doubled; dropped: 0
    Tensor([2., 0., 0., 0.])
    """
    return _dropout("dropout", x, p, training, rng, None)


def dropout2d(x: Any, p: float = 0.5, training: bool = True,
              rng: np.random.Generator | None = None, *, inplace: bool = False) -> Tensor:
    """Channel dropout of images (N, C, H, W): each channel of each image zeroed whole with
    probability `p`, the kept ones scaled by 1/(1-p) (neighbouring pixels are alike, so
    dropping single pixels would hide little). Otherwise as `dropout`.

    >>> import numpy as np
    >>> y = dropout2d(Tensor(np.ones((1, 4, 2, 2))), 0.5, rng=np.random.default_rng(3))
    >>> y.data[0].reshape(4, 4)          # a row per channel: dropped whole, or kept and doubled
    array([[0., 0., 0., 0.],
           [0., 0., 0., 0.],
           [2., 2., 2., 2.],
           [2., 2., 2., 2.]])
    """
    return _dropout("dropout2d", x, p, training, rng, 4)


def dropout1d(x: Any, p: float = 0.5, training: bool = True,
              rng: np.random.Generator | None = None, *, inplace: bool = False) -> Tensor:
    """Channel dropout of sequences (N, C, L): each channel of each sequence zeroed whole with
    probability `p`, the kept ones scaled by 1/(1-p). Otherwise as `dropout`."""
    return _dropout("dropout1d", x, p, training, rng, 3)


def dropout3d(x: Any, p: float = 0.5, training: bool = True,
              rng: np.random.Generator | None = None, *, inplace: bool = False) -> Tensor:
    """Channel dropout of volumes (N, C, D, H, W): each channel of each volume zeroed whole with
    probability `p`, the kept ones scaled by 1/(1-p). Otherwise as `dropout`."""
    return _dropout("dropout3d", x, p, training, rng, 5)


def _dropout(name: str, x: Any, p: float, training: bool, rng: np.random.Generator | None,
             ndim: int | None) -> Tensor:
    """`dropout` (ndim None: each element alone), or channel dropout of an `ndim`-d batch
    (N, C, ...): one draw per sample and channel, shared by the channel's elements."""
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"{name}: p must be a probability in [0, 1], got {p!r}")
    x = _tensor(name, x)
    if ndim is not None and x.ndim != ndim:
        layout = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}[ndim]
        raise ValueError(f"{name}: expected a {ndim}-d input {layout}, got shape {x.shape}")
    if not training or p == 0:
        return x
    dtype = x.dtype if x.dtype.kind == "f" else get_default_dtype()
    if p == 1:                                          # no 1/(1-p): every element dropped
        return x * np.zeros((), dtype)
    rng = default_rng() if rng is None else rng
    shape = x.shape if ndim is None else x.shape[:2] + (1,) * (ndim - 2)
    keep = rng.random(shape) >= p                       # each kept with probability 1 - p
    return x * (keep.astype(dtype) / dtype.type(1 - p))


# ----------------------------------------------------------------------------------------------
# One-hot encoding
# ----------------------------------------------------------------------------------------------

def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """Integer labels of any shape (...) as one-hot rows, shape (..., num_classes): 1 at each
    label's position, 0 elsewhere. As PyTorch's `torch.nn.functional.one_hot`, the result is an
    int64 Tensor, a constant (no gradient; `.astype(np.float32)` for a float one), and
    num_classes=-1 means the largest label + 1.

    >>> one_hot([0, 2])
    Tensor([[1, 0, 0],
            [0, 0, 1]], dtype=int64)
    >>> one_hot(np.array([[1], [0]]), num_classes=4).shape
    (2, 1, 4)
    """
    labels = integer_array("one_hot", "labels", labels)
    if not _is_int(num_classes) or not (num_classes == -1 or num_classes > 0):
        raise ValueError(f"one_hot: num_classes must be a positive int, or -1 for the largest "
                         f"label + 1, got {num_classes!r}")
    if labels.size:
        low, high = labels.min(), labels.max()
        if low < 0:
            raise ValueError(f"one_hot: labels must be >= 0, got {low}")
        if num_classes == -1:
            num_classes = int(high) + 1
        elif high >= num_classes:
            numbered_from_one = low >= 1 and high == num_classes
            hint = " (labels numbered from 1? pass labels - 1)" if numbered_from_one else ""
            raise ValueError(f"one_hot: labels must be < num_classes={num_classes}, got "
                             f"{high}{hint}")
    elif num_classes == -1:
        raise ValueError("one_hot: no labels to count the classes from (the input is empty); "
                         "pass num_classes")
    return Tensor((labels[..., None] == np.arange(num_classes)).astype(np.int64))


# ----------------------------------------------------------------------------------------------
# Regression losses
# ----------------------------------------------------------------------------------------------

def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Loss:
    """Mean squared error: (pred - target)² averaged (or summed, or kept per element); its
    gradient is 2 (pred - target) / n for the mean.

    >>> from autograd import Tensor
    >>> pred = Tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> loss = mse_loss(pred, [1.0, 1.0, 1.0])
    >>> loss
    Tensor(3.3333333, op=mean)
    >>> loss.backward()
    >>> pred.grad
    array([0.       , 0.6666667, 2.       ], dtype=float32)
    """
    _check_reduction("mse_loss", reduction)
    if _is_values(pred):
        return _reduce_values([(p - t) ** 2 for p, t in _value_pairs("mse_loss", pred, target)],
                              reduction)
    pred, target = _tensor_pair("mse_loss", pred, target)
    return _reduce((pred - target) ** 2, reduction, "mse_loss")


def l1_loss(pred: Any, target: Any, reduction: str = "mean") -> Loss:
    """Mean absolute error |pred - target| (its gradient at pred == target is 0)."""
    _check_reduction("l1_loss", reduction)
    if _is_values(pred):
        return _reduce_values([abs(p - t) for p, t in _value_pairs("l1_loss", pred, target)],
                              reduction)
    pred, target = _tensor_pair("l1_loss", pred, target)
    return _reduce(abs(pred - target), reduction, "l1_loss")


# ----------------------------------------------------------------------------------------------
# Classification losses
# ----------------------------------------------------------------------------------------------

def nll_loss(log_probs: Any, labels: Any, reduction: str = "mean", *, weight: Any = None,
             ignore_index: int = -100) -> Tensor:
    """Negative log-likelihood -log_probs[i, labels[i]], for log-probabilities (N, C) and integer
    labels (N,). `nll_loss(log_softmax(z), y)` equals `cross_entropy(z, y)` (which is fused).
    PyTorch's other shapes work as in `cross_entropy`: (C,) with a 0-d label, and
    (N, C, d1, ..., dk) with labels (N, d1, ..., dk) (the class axis second), whose "none"
    has the labels' shape.

    >>> nll_loss(Tensor([[-0.5, -1.0], [-2.0, -0.25]]), [1, 0])    # (1.0 + 2.0) / 2
    Tensor(1.5)

    PyTorch's `weight` (C,) and `ignore_index` (default -100), with its meaning (keywords
    here): row n counts w[y_n] times, rows labelled ignore_index not at all, and the "mean"
    divides by the counted rows' total weight Σ w[y_n] (NaN when no row counts).

    >>> nll_loss(Tensor([[-0.5, -1.0], [-2.0, -0.25]]), [1, 0], weight=[1.0, 3.0])
    Tensor(1.25)
    >>> # (3 · 1.0 + 1 · 2.0) / (3 + 1)
    """
    name = "nll_loss"
    _check_reduction(name, reduction)
    log_probs = _tensor(name, log_probs)
    if log_probs.ndim != 2:         # PyTorch's (C,) and (N, C, d1, ...): positions as rows
        rows, labels, shape = class_rows(name, "log_probs", log_probs, _raw(labels))
        loss = nll_loss(rows, labels, reduction, weight=weight, ignore_index=ignore_index)
        return loss.reshape(shape) if reduction == "none" else loss
    n, c = log_probs.shape
    labels = np.asarray(_raw(labels))
    plain = weight is None and ignore_index.__class__ is int and ignore_index == -100
    if plain and _class_labels(name, labels, n, c, ignore_index) is not None:
        _check_log_probabilities(log_probs)
        return _reduce(-log_probs[np.arange(n), labels], reduction, name)
    weight, ignore_index, _ = class_options(name, weight, ignore_index, 0.0, c,
                                            log_probs.dtype)
    kept = kept_labels(name, labels, n, c, ignore_index)
    _check_log_probabilities(log_probs)
    return _weighted_nll(log_probs, labels, kept, weight, reduction)


def _weighted_nll(log_probs: Tensor, labels: np.ndarray, kept: np.ndarray,
                  weight: np.ndarray | None, reduction: str) -> Tensor:
    """-w[y_n] log_probs[n, y_n] for the kept rows, 0 for the others, reduced as PyTorch does:
    the mean divides by Σ w[y_n] over the kept rows."""
    n = len(labels)
    read = np.where(kept, labels, 0)        # an ignored row reads class 0, then counts for 0
    losses = -log_probs[np.arange(n), read]
    row_weights = kept.astype(log_probs.dtype) if weight is None else weight[read] * kept
    if weight is not None:
        losses = losses * row_weights
    if not kept.all():                      # selected, not multiplied: 0 * -inf would be NaN
        losses = where(kept, losses, 0.0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    divisor = row_weights.sum(dtype=np.float64)
    if divisor == 0:                        # no row counts: PyTorch's 0 / 0, a zero gradient
        return losses.sum() + math.nan
    return losses.sum() / float(divisor)


def ctc_loss(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification: -log p(target), p the sum over every alignment
    of the target to the T steps (blanks around and between its labels, each label held one
    step or more) of the product of the probabilities it picks; PyTorch's arguments and meaning.

    - `log_probs` (T, N, C), time first, from `log_softmax(..., dim=2)`; or one sequence (T, C).
    - `targets`: labels in [0, C) other than `blank`, padded (N, S) (past its length a row's
      entries are not read), or all N concatenated in one 1-d array; (S,) for one sequence.
    - `input_lengths`, `target_lengths` (N,) integers (a number each for one sequence): the
      steps of each input that count (<= T), the labels of each target.
    - `reduction`: "mean" divides each loss by its target's length (1 for an empty target),
      then averages over the batch; "sum" adds them; "none" gives the N losses.
    - `zero_infinity`: a target that no alignment fits (too long for its input: a repeated
      label needs a blank between its copies) costs inf and gives a NaN gradient; with True, 0
      and a zero gradient.

    >>> T, C = 4, 3
    >>> log_probs = Tensor(np.full((T, 1, C), np.log(1 / 3)), requires_grad=True)
    >>> loss = ctc_loss(log_probs, [[1, 2]], [T], [2], reduction="sum")
    >>> round(loss.item(), 4)             # 15 alignments of "1 2" in 4 steps, each (1/3)⁴
    1.6864
    >>> loss.backward()
    >>> log_probs.grad[:, 0].round(3)     # minus the share of alignments with c at step t
    array([[-0.333, -0.667,  0.   ],
           [-0.267, -0.533, -0.2  ],
           [-0.267, -0.2  , -0.533],
           [-0.333,  0.   , -0.667]])

    The gradient is the true one with respect to `log_probs` (PyTorch's is not: it assumes
    they came from log_softmax); through log_softmax both give the same logits' gradient. It
    can be recorded (backward(create_graph=True)) but not differentiated again. Stricter than
    PyTorch: target labels equal to `blank` or outside [0, C) are errors, not wrong numbers.
    """
    name = "ctc_loss"
    _check_reduction(name, reduction)
    if not isinstance(zero_infinity, (bool, np.bool_)):
        raise TypeError(f"{name}: zero_infinity must be True or False, got {zero_infinity!r}")
    if isinstance(log_probs, Value) or _is_values(log_probs):
        raise TypeError(f"{name}: log_probs must be a Tensor (T, N, C), got Values")
    log_probs = log_probs if isinstance(log_probs, Tensor) else Tensor(np.asarray(log_probs))
    if log_probs.dtype.kind != "f":
        raise TypeError(f"{name}: log_probs must be floating point (log_softmax of the model's "
                        f"outputs), got dtype {log_probs.dtype}, shape {log_probs.shape}")
    one = log_probs.ndim == 2
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"{name}: log_probs must be (T, N, C), time first, or one sequence "
                         f"(T, C), got shape {log_probs.shape}")
    steps, n, classes = (log_probs.shape[0], 1, log_probs.shape[1]) if one else log_probs.shape
    if not _is_int(blank) or not 0 <= blank < classes:
        raise ValueError(f"{name}: blank must be a class in [0, {classes}) (C = {classes} "
                         f"classes in log_probs {log_probs.shape}), got {blank!r}")
    targets = integer_array(name, "targets", targets)
    # batch-first outputs (N, T, C) have their N where T belongs: say so, not only the count
    hint = (f"; log_probs {log_probs.shape} is read time first (T, N, C): for batch-first "
            f"outputs (N, T, C) pass log_probs.transpose(0, 1)") if not one else ""
    input_lengths = _ctc_lengths(name, "input_lengths", input_lengths, n, one, hint)
    target_lengths = _ctc_lengths(name, "target_lengths", target_lengths, n, one, hint)
    if input_lengths.max(initial=0) > steps:
        raise ValueError(f"{name}: input_lengths must be at most T = {steps} (log_probs "
                         f"{log_probs.shape}), got {input_lengths.max()}")
    padded = _ctc_padded_targets(name, targets, target_lengths, n, one)
    counted = padded[np.arange(padded.shape[1]) < target_lengths[:, None]]
    if counted.size and (counted.min() < 0 or counted.max() >= classes):
        raise ValueError(f"{name}: targets must be labels in [0, {classes}) (C = {classes} "
                         f"classes in log_probs {log_probs.shape}), got values in "
                         f"[{counted.min()}, {counted.max()}]")
    if (counted == blank).any():
        raise ValueError(f"{name}: targets must not contain the blank label {blank} (it marks "
                         f"'no label' between labels); number the labels apart from it (with "
                         f"blank=0, labels from 1: targets + 1, and C = labels + 1 outputs)")
    _check_log_probs(name, "log_probs", log_probs.data,
                     "pass log_softmax(logits, dim=2), the model's outputs made log-probabilities")
    batch = log_probs.reshape(steps, 1, classes) if one else log_probs
    ctx = CTCCtx(padded, input_lengths, target_lengths, int(blank), bool(zero_infinity))
    losses = apply(CTCLossOp, (batch,), ctx)
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        per_label = np.maximum(target_lengths, 1).astype(losses.dtype)
        return (losses / per_label).mean()
    return losses.reshape(()) if one else losses


def _ctc_lengths(name: str, what: str, lengths: Any, n: int, one: bool, hint: str
                 ) -> np.ndarray:
    """One length >= 0 per sequence, as an (N,) array: a number for one sequence, else (N,)."""
    array = integer_array(name, what, lengths)
    if one and array.size == 1:
        array = array.reshape(1)
    if array.shape != (n,):
        expected = "a number (one sequence)" if one else f"({n},), one per sequence"
        raise ValueError(f"{name}: {what} must be {expected}, got shape {array.shape}{hint}")
    if array.size and array.min() < 0:
        raise ValueError(f"{name}: {what} must be >= 0, got {array.min()}")
    return array


def _ctc_padded_targets(name: str, targets: np.ndarray, lengths: np.ndarray, n: int,
                        one: bool) -> np.ndarray:
    """The targets as (N, S) rows, each row's first target_lengths[n] entries its labels."""
    longest = int(lengths.max(initial=0))
    if one or targets.ndim == 1:
        if one and targets.ndim != 1:
            raise ValueError(f"{name}: one sequence's targets must be 1-d (S,), got shape "
                             f"{targets.shape}")
        if one:
            if len(targets) < longest:
                raise ValueError(f"{name}: target_lengths is {longest} but the targets hold "
                                 f"{len(targets)} labels")
            return targets.reshape(1, -1)
        total = int(lengths.sum())
        if len(targets) != total:
            raise ValueError(f"{name}: 1-d targets are all the sequences' labels concatenated, "
                             f"so their length must be sum(target_lengths) = {total}, got "
                             f"{len(targets)} (for padded targets pass an (N, S) array)")
        padded = np.zeros((n, longest), dtype=targets.dtype)
        padded[np.arange(longest) < lengths[:, None]] = targets
        return padded
    if targets.ndim != 2 or len(targets) != n:
        raise ValueError(f"{name}: targets must be padded (N, S) = ({n}, S) or 1-d "
                         f"(concatenated), got shape {targets.shape} for N = {n} sequences")
    if targets.shape[1] < longest:
        raise ValueError(f"{name}: target_lengths goes up to {longest}, longer than the padded "
                         f"targets {targets.shape}")
    return targets


def hinge_loss(scores: Any, labels: Any, reduction: str = "mean") -> Loss:
    """The max-margin loss of micrograd's demo: max(0, 1 - y·score) for labels y = ±1.

    `hinge_loss(scores, y) + l2_penalty(model.parameters(), 1e-4)` is the demo's total loss,
    the same number as its `sum((1 + -yi*si).relu() ...) * (1.0 / len(...)) + reg_loss`.

    >>> hinge_loss([Value(2.0), Value(0.25)], [1, -1])      # (0 + 1.25) / 2
    Value(data=0.625, grad=0.0)
    """
    _check_reduction("hinge_loss", reduction)
    if _is_values(scores):
        pairs = _value_pairs("hinge_loss", scores, labels)
        _check_signs([_target_number(y) for _, y in pairs])
        # number labels: the demo's own expression, 1 + (-y)s, which is 1 - ys to the bit
        # (negation is exact) without a constant Value for the 1; a label Value stays an input
        # (-y would be a number computed from it alone, which compile's replays keep)
        return _reduce_values([(1 - y * s if isinstance(y, Value) else 1 + -y * s).relu()
                               for s, y in pairs], reduction)
    scores, labels = _tensor_pair("hinge_loss", scores, labels)
    _check_signs(_raw(labels))
    return _reduce((1 - labels * scores).relu(), reduction, "hinge_loss")


def l2_penalty(parameters: Iterable[Any], alpha: float) -> Any:
    """alpha · Σ p² over the parameters given (Values or Tensors): weight decay as a loss.

    For Values it is micrograd's `alpha * sum((p*p for p in model.parameters()))`, term by term.

    >>> l2_penalty([Value(3.0), Value(-4.0)], 0.01)
    Value(data=0.25, grad=0.0)

    The lectures' λ/(2m) Σ Θ² leaves the biases out: pass only the weights, not
    `model.parameters()`.

    >>> from nn import MLP
    >>> model, lam, m = MLP(3, [3, 3], 1), 1.0, 5
    >>> weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    >>> len(weights), len(model.parameters())
    (3, 6)
    >>> penalty = l2_penalty(weights, lam / (2 * m))

    Its gradient is 2·alpha·p, so `SGD(..., weight_decay=2 * alpha)` takes the same steps
    without the term in the loss. That is also the way to search alpha with `GridSearch`: a
    loss with the penalty in it scores the penalty too, and a plain function (a lambda) that
    adds it declares no task, so the search would rank by that penalised loss.

    >>> from nn.optim import SGD
    >>> w, v = Value(3.0), Value(3.0)
    >>> l2_penalty([w], 0.05).backward(); SGD([w], lr=0.1).step()   # g = 2 · 0.05 · 3
    >>> SGD([v], lr=0.1, weight_decay=0.1).step()                   # g = 0 + 0.1 · 3
    >>> round(w.data, 12), round(v.data, 12)
    (2.97, 2.97)
    """
    params = _penalised("l2_penalty", parameters, alpha)
    return alpha * sum(p * p if isinstance(p, Value) else (p * p).sum() for p in params)


def l1_penalty(parameters: Iterable[Any], alpha: float) -> Any:
    """alpha · Σ |p| over the parameters given (Values or Tensors): L1 regularisation (the
    lasso's term) added to a loss, the counterpart of `l2_penalty`. As there, pass the weights
    only, not the biases:

    >>> from autograd import no_grad
    >>> from nn import Linear
    >>> layer = Linear(2, 1)
    >>> with no_grad(): _ = layer.weight.copy_([[3.0, -4.0]])
    >>> round(l1_penalty([layer.weight], 0.01).item(), 6)      # 0.01 · (3 + 4)
    0.07

    Its gradient is alpha·sign(p) (0 at p = 0). Plain (sub)gradient descent therefore moves a
    weight by lr·alpha a step whatever its size: a weight that should be 0 hovers around 0,
    stepping across it, rather than landing on exactly 0 (a proximal or soft-thresholding step
    would; threshold small weights after training for a truly sparse model):

    >>> from nn.optim import SGD
    >>> w = Value(0.035); optimizer = SGD([w], lr=0.1)
    >>> for _ in range(6):
    ...     optimizer.zero_grad(); l1_penalty([w], 0.1).backward(); optimizer.step()
    >>> round(w.data, 6)                                  # 0.025, 0.015, 0.005, -0.005, ...
    -0.005
    """
    params = _penalised("l1_penalty", parameters, alpha)
    return alpha * sum(abs(p) if isinstance(p, Value) else p.abs().sum() for p in params)


def _penalised(name: str, parameters: Iterable[Any], alpha: float) -> list[Any]:
    """The parameters of a penalty `name` as a list, checked with `alpha`."""
    if isinstance(parameters, Module):
        raise TypeError(f"{name}: got the module {type(parameters).__name__}; pass its "
                        f"parameters: {name}(model.parameters(), alpha)")
    if isinstance(parameters, numbers.Number):
        raise TypeError(f"{name}: the parameters come first, then alpha: "
                        f"{name}(model.parameters(), {parameters!r})")
    params = list(parameters)
    if not params:
        raise ValueError(f"{name}: got no parameters")
    if not isinstance(alpha, numbers.Real) or not alpha >= 0:
        raise ValueError(f"{name}: alpha must be a number >= 0, got {alpha!r}")
    for p in params:
        if not isinstance(p, (Value, Tensor)):
            raise TypeError(f"{name}: parameters must be Values or Tensors, got "
                            f"{type(p).__name__}")
    return params


# ----------------------------------------------------------------------------------------------
# More losses: PyTorch's, for Tensors
# ----------------------------------------------------------------------------------------------

def smooth_l1_loss(pred: Any, target: Any, reduction: str = "mean", *, beta: float = 1.0
                   ) -> Tensor:
    """0.5 d² / β where |d| < β, else |d| - 0.5 β, for d = pred - target: quadratic near 0,
    linear (slope ±1) beyond β, so outliers pull no harder than in `l1_loss`. β = 0 is
    `l1_loss`. PyTorch's `beta` is a keyword here (as every loss's options).

    >>> smooth_l1_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").numpy()
    array([0.125, 2.5  ], dtype=float32)
    """
    return _quadratic_then_linear("smooth_l1_loss", pred, target, reduction, "beta", beta)


def huber_loss(pred: Any, target: Any, reduction: str = "mean", *, delta: float = 1.0
               ) -> Tensor:
    """0.5 d² where |d| < δ, else δ (|d| - 0.5 δ), for d = pred - target: δ · smooth_l1_loss
    with β = δ (slope ±δ beyond δ). δ must be > 0.

    >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none", delta=2.0).numpy()
    array([0.125, 4.   ], dtype=float32)
    """
    return _quadratic_then_linear("huber_loss", pred, target, reduction, "delta", delta)


def _quadratic_then_linear(name: str, pred: Any, target: Any, reduction: str, what: str,
                           width: Any) -> Tensor:
    """smooth_l1 (what="beta") or huber (what="delta"): quadratic where |d| < width, linear
    beyond, each written as PyTorch computes it."""
    _check_reduction(name, reduction)
    width = checked_width(name, what, width)
    pred, target = _float_pair(name, pred, target)
    d = pred - target
    if width == 0:                                  # smooth_l1 with β = 0: the L1 loss
        return _reduce(d.abs(), reduction, name)
    # one op (the square taken of |d| capped at the width: no overflow, slopes ±1 or ±δ at ±inf)
    loss = apply(SmoothL1 if what == "beta" else Huber, (d,), width)
    return _reduce(loss, reduction, name)


def checked_width(name: str, what: str, value: Any) -> float:
    """smooth_l1's beta (>= 0) or huber's delta (> 0, as PyTorch asks), or an error naming
    `name` (the function or the module)."""
    value = _real(name, what, value)
    if value < 0 or (what == "delta" and value == 0):
        least = ">= 0" if what == "beta" else "> 0"
        raise ValueError(f"{name}: {what} must be {least} (where the loss turns from quadratic "
                         f"to linear), got {value}")
    return value


def gaussian_nll_loss(pred: Any, target: Any, var: Any, *, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of `target` under N(pred, var), PyTorch's:
    0.5 (ln v + (pred - target)² / v) per element, v = max(var, eps), plus 0.5 ln 2π if `full`.

    `var` is a number, or a Tensor (which may be learned) of pred's shape, of pred's shape
    without its last axis (one variance per row), or of pred's shape with one axis of size 1.
    It must be >= 0. As in PyTorch, the clamp at eps passes the gradient on unchanged (it is
    made under no_grad there), so a variance that went below eps still learns.

    >>> gaussian_nll_loss(Tensor([1.0, 2.0]), [1.0, 0.0], 4.0, reduction="none").numpy()
    array([0.6931472, 1.1931472], dtype=float32)
    >>> # 0.5 (ln 4 + 0), 0.5 (ln 4 + 4 / 4)
    """
    name = "gaussian_nll_loss"
    _check_reduction(name, reduction)
    eps = _real(name, "eps", eps)
    pred, target = _float_pair(name, pred, target)
    v = _variance(name, var, pred, eps)
    loss = ((v.log() if isinstance(v, Tensor) else np.log(v)) + (pred - target) ** 2 / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, name)


def _variance(name: str, var: Any, pred: Tensor, eps: float) -> Any:
    """`var` clamped at eps, shaped to broadcast against `pred` by PyTorch's rules: a constant
    array, or (var requires grad) var plus the constant that lifts it to eps."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{name}: var must be >= 0, got {var}")
        return np.asarray(max(var, eps), dtype=pred.dtype)
    data = var.data if isinstance(var, Tensor) else _constant_numbers(name, "var", var)
    if data.shape != pred.shape:
        differ = [i for i, (m, n) in enumerate(zip(data.shape, pred.shape)) if m != n]
        if pred.ndim and data.shape == pred.shape[:-1]:         # one variance per row
            data = data[..., None]
            var = var.reshape(data.shape) if isinstance(var, Tensor) else data
        elif not (data.ndim == pred.ndim and len(differ) == 1 and data.shape[differ[0]] == 1):
            raise ValueError(f"{name}: var has shape {data.shape}; for pred of shape "
                             f"{pred.shape} it must have that shape, or {pred.shape[:-1]} "
                             f"(one variance per row), or that shape with one axis of size 1")
    if data.size and not data.min() >= 0:
        raise ValueError(f"{name}: var must be >= 0, got values down to {data.min()}")
    lifted = np.maximum(data, eps).astype(pred.dtype, copy=False)
    if isinstance(var, Tensor) and var.requires_grad:
        return var + (lifted - data)        # the clamp's number, and the gradient of var
    return lifted


def poisson_nll_loss(pred: Any, target: Any, reduction: str = "mean", *,
                     log_input: bool = True, full: bool = False, eps: float = 1e-8) -> Tensor:
    """The negative log-likelihood of counts `target` under Poisson(λ), without the constant
    ln(target!): e^pred - target · pred with log_input=True (pred is ln λ), else
    pred - target · ln(pred + eps) (pred is λ). `full` adds Stirling's approximation of
    ln(target!), target ln target - target + 0.5 ln(2π target), where target > 1. The options
    are keywords here (PyTorch's third argument is log_input; ours is `reduction`).

    >>> poisson_nll_loss(Tensor([0.0, np.log(2.0)]), [1.0, 3.0], reduction="none").numpy()
    array([ 1.        , -0.07944155], dtype=float32)
    >>> # e^0 - 1 · 0, 2 - 3 ln 2
    """
    name = "poisson_nll_loss"
    _check_reduction(name, reduction)
    eps = _real(name, "eps", eps)
    pred, target = _float_pair(name, pred, _constant_numbers(name, "target", target))
    loss = pred.exp() - target * pred if log_input else pred - target * (pred + eps).log()
    if full:
        above = target > 1
        t = np.where(above, target, 1)
        loss = loss + np.where(above, t * np.log(t) - t + 0.5 * np.log(2 * math.pi * t), 0)
    return _reduce(loss, reduction, name)


_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(input: Any, target: Any, reduction: str = "mean", *, log_target: bool = False
           ) -> Tensor:
    """The Kullback-Leibler divergence KL(target ‖ q) of PyTorch, from log-probabilities
    `input` = ln q: target · (ln target - input) per element (0 where target = 0), or with
    log_target=True (target given as ln p) e^target · (target - input). A target may be
    learned (a Tensor that requires grad); where it is 0, its t ln t counts with slope 0
    (PyTorch's slope there is NaN).

    reduction="batchmean" (sum / batch size) is the KL divergence of each sample, averaged;
    "mean" (PyTorch's default) divides by the number of elements, batch × classes, which is
    not, so it warns, as PyTorch does. The input must be log-probabilities (<= 0): pass
    log_softmax(logits), not probabilities.

    >>> q = Tensor([[0.5, 0.5]]).log()
    >>> round(kl_div(q, [[0.75, 0.25]], reduction="batchmean").item(), 4)
    0.1308
    >>> # 0.75 ln(0.75 / 0.5) + 0.25 ln(0.25 / 0.5)
    """
    name = "kl_div"
    if not (isinstance(reduction, str) and reduction in _KL_REDUCTIONS):
        raise ValueError(f"{name}: reduction must be one of {_KL_REDUCTIONS}, got "
                         f"{reduction!r}")
    input, target = _float_pair(name, input, target)
    _check_log_probs(name, "input", input.data, "pass log_softmax(logits) (or probs.log())")
    t = _raw(target)
    if log_target:
        _check_log_probs(name, "target", t, "or pass log_target=False for probabilities")
        loss = (target.exp() if isinstance(target, Tensor) else np.exp(t)) * (target - input)
    else:
        if t.size and not t.min() >= 0:
            raise ValueError(f"{name}: target must be probabilities (>= 0), got values down "
                             f"to {t.min():.4g}; for log-probabilities pass log_target=True")
        positive = t > 0
        # a class the target gives 0 costs 0 though its log-probability is -inf (masked): the
        # input is 0 there, as 0 · -inf would be NaN (elsewhere it is itself, slope and all)
        input = where(positive | (input.data != -np.inf), input, 0.0)
        if isinstance(target, Tensor):      # a target that is learned: t ln t as its ops
            loss = target * (where(positive, target, 1.0).log() - input)
        else:                               # 0 ln 0 = 0, as PyTorch's xlogy
            t_log_t = np.where(positive, t * np.log(np.where(positive, t, 1)), 0)
            loss = t_log_t - t * input
    if reduction == "batchmean":
        if loss.ndim and not loss.shape[0]:
            raise ValueError(f"{name}: the batch is empty (input of shape {input.shape})")
        return loss.sum() / loss.shape[0] if loss.ndim else loss.sum()
    if reduction == "mean":
        warn(f"{name}: reduction='mean' divides the sum by every element's count "
             f"(batch × classes), which is not the KL divergence; "
             f"reduction='batchmean' divides by the batch size and is (PyTorch gives "
             f"this warning too)", UserWarning)
    return _reduce(loss, reduction, name)


def _check_log_probs(name: str, what: str, data: np.ndarray, fix: str) -> None:
    """Log-probabilities are <= 0 (NaN passes, to give the NaN loss that `fit` reports)."""
    if data.size and data.max() > _LOG_PROB_SLACK:
        looks = ", probabilities?" if data.min() >= 0 and data.max() <= 1 else ""
        raise ValueError(f"{name}: {what} must be log-probabilities (<= 0), got values up to "
                         f"{data.max():.4g}{looks}; {fix}")


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0, *,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin) for labels y = ±1: y = 1 asks x1 to rank above x2 by the
    margin, y = -1 below. As PyTorch's clamp, the slope at exactly 0 is the line's (so two
    equal scores with margin 0 still learn).

    >>> margin_ranking_loss(Tensor([2.0, 0.5]), Tensor([1.0, 1.0]), [1, 1], margin=0.5,
    ...                     reduction="none").numpy()
    array([0., 1.], dtype=float32)
    """
    name = "margin_ranking_loss"
    _check_reduction(name, reduction)
    margin = _real(name, "margin", margin)
    x1, x2 = _floating(name, input1), _floating(name, input2)
    if x1.shape != x2.shape:
        raise ValueError(f"{name}: input1 has shape {x1.shape} but input2 has shape "
                         f"{x2.shape}; they must match")
    x1, y = _tensor_pair(name, x1, target)
    _check_signs(_raw(y), name)
    v = -y * (x1 - x2) + margin
    return _reduce(_positive_part(v), reduction, name)


def soft_margin_loss(scores: Any, labels: Any, reduction: str = "mean") -> Tensor:
    """ln(1 + e^(-y · score)) for labels y = ±1: a smooth `hinge_loss`, the logistic loss of
    ±1 labels (`binary_cross_entropy_with_logits` for 0/1 labels), stable at ±1000.

    >>> [round(v, 4) for v in soft_margin_loss(Tensor([0.0, 1000.0]), [1, -1],
    ...                                          reduction="none").tolist()]
    [0.6931, 1000.0]
    """
    name = "soft_margin_loss"
    _check_reduction(name, reduction)
    scores, labels = _float_pair(name, scores, labels)
    _check_signs(_raw(labels), name)
    return _reduce(apply(Softplus, (-labels * scores,)), reduction, name)


# ----------------------------------------------------------------------------------------------
# Margin losses of embeddings and of several classes: PyTorch's, for Tensors
# ----------------------------------------------------------------------------------------------

def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False, *,
                        reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) for embeddings: the anchor a should lie nearer the
    positive p than the negative n, by the margin. d is `pairwise_distance`, ‖x - y + eps‖_p
    along the last axis, of rows (N, D) (or of one triplet (D,)). With `swap`, d(a, n) is
    min(d(a, n), d(p, n)), whichever negative distance is the harder. As in PyTorch, margin
    must be > 0, and where the loss is exactly 0 its slope is the line's.

    >>> a, p, n = Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0]]), Tensor([[0.0, 5.5]])
    >>> triplet_margin_loss(a, p, n, eps=0.0).item()          # max(0, 5 - 5.5 + 1)
    0.5
    """
    name = "triplet_margin_loss"
    p, eps = checked_norm_order(name, p), _real(name, "eps", eps)
    return _triplet(name, anchor, positive, negative, lambda x, y: pairwise_distance(x, y, p, eps),
                    margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor: Any, positive: Any, negative: Any, *,
                                      distance_function: Callable | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """`triplet_margin_loss` with a distance of your own: `distance_function(x, y)` takes two
    Tensors of embeddings (N, D) and gives one distance per row (N,) (None: `pairwise_distance`,
    ‖x - y + 1e-6‖₂). A cosine distance, for instance:

    >>> a, p, n = Tensor([[1.0, 0.0]]), Tensor([[1.0, 1.0]]), Tensor([[0.0, 1.0]])
    >>> cosine_distance = lambda x, y: 1 - cosine_similarity(x, y)
    >>> loss = triplet_margin_with_distance_loss(a, p, n, distance_function=cosine_distance)
    >>> round(loss.item(), 4)                     # (1 - cos 45°) - (1 - cos 90°) + 1
    0.2929
    """
    name = "triplet_margin_with_distance_loss"
    return _triplet(name, anchor, positive, negative,
                    checked_distance_function(name, distance_function), margin, swap, reduction)


def _triplet(name: str, anchor: Any, positive: Any, negative: Any, distance: Callable,
             margin: Any, swap: Any, reduction: str) -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin), d(a, n) the smaller of d(a, n), d(p, n) if swap."""
    _check_reduction(name, reduction)
    margin = checked_triplet_margin(name, margin)
    a, pos, neg = _floating(name, anchor), _floating(name, positive), _floating(name, negative)
    _same_shapes(name, anchor=a, positive=pos, negative=neg)
    if a.ndim == 0:
        raise ValueError(f"{name}: the inputs are 0-d; they must be embeddings (N, D) or (D,)")

    def d(x: Tensor, y: Tensor) -> Tensor:
        out = distance(x, y)
        if getattr(out, "shape", None) != x.shape[:-1]:
            raise ValueError(f"{name}: the distance of inputs of shape {x.shape} must be one "
                             f"number per row, shape {x.shape[:-1]}, got "
                             f"{_shape_of(out)}")
        return out

    to_positive, to_negative = d(a, pos), d(a, neg)
    if swap:
        to_negative = minimum(to_negative, d(pos, neg))
    return _reduce(_positive_part(to_positive - to_negative + margin), reduction, name)


def checked_triplet_margin(name: str, margin: Any) -> float:
    """A triplet loss's margin, > 0 as PyTorch asks, or an error naming `name` (the function
    or the module)."""
    margin = _real(name, "margin", margin)
    if not margin > 0:
        raise ValueError(f"{name}: margin must be > 0, got {margin}")
    return margin


def checked_distance_function(name: str, distance_function: Any) -> Callable:
    """A triplet loss's distance: a function, or None for `pairwise_distance`."""
    if distance_function is None:
        return pairwise_distance
    if not callable(distance_function):
        raise TypeError(f"{name}: distance_function must be a function of two Tensors, got "
                        f"{type(distance_function).__name__}")
    return distance_function


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0, *,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for a pair labelled y = 1 (alike), max(0, cos(x1, x2) - margin) for
    y = -1 (unlike), the cosine taken along the last axis of rows (N, D) with labels (N,), or
    of one pair (D,) with a 0-d label. The cosine is PyTorch's,
    x1 · x2 / √((‖x1‖² + ε)(‖x2‖² + ε)) with ε = 1e-12, so a zero vector has cosine 0 (and
    steep slopes), not NaN. margin is a cosine, in [-1, 1]; at the margin the slope is the
    line's, as in PyTorch.

    >>> x1, x2 = Tensor([[1.0, 0.0], [1.0, 0.0]]), Tensor([[0.0, 2.0], [1.0, 1.0]])
    >>> cosine_embedding_loss(x1, x2, [1, -1], reduction="none").numpy().round(4)
    array([1.    , 0.7071], dtype=float32)
    >>> # 1 - cos 90°, cos 45° - 0
    """
    name = "cosine_embedding_loss"
    _check_reduction(name, reduction)
    margin = checked_cosine_margin(name, margin)
    x1, x2 = _floating(name, input1), _floating(name, input2)
    _same_shapes(name, input1=x1, input2=x2)
    if x1.ndim not in (1, 2):
        raise ValueError(f"{name}: the inputs must be rows (N, D) or one pair (D,), got shape "
                         f"{x1.shape}")
    y = _constant_numbers(name, "target", target)
    if y.shape != x1.shape[:-1]:
        raise ValueError(f"{name}: target of shape {y.shape} for inputs of shape {x1.shape}; "
                         f"it needs one label ±1 per pair, shape {x1.shape[:-1]}")
    _check_signs(y, name)
    eps = 1e-12
    # the two roots taken apart: their product would overflow first
    norm1, norm2 = ((x1 * x1).sum(-1) + eps).sqrt(), ((x2 * x2).sum(-1) + eps).sqrt()
    cos = (x1 * x2).sum(-1) / (norm1 * norm2)
    return _reduce(where(y == 1, 1 - cos, _positive_part(cos - margin)), reduction, name)


def checked_cosine_margin(name: str, margin: Any) -> float:
    """cosine_embedding_loss's margin, a cosine in [-1, 1], or an error naming `name`."""
    margin = _real(name, "margin", margin)
    if not -1 <= margin <= 1:
        raise ValueError(f"{name}: margin must be in [-1, 1] (a cosine), got {margin}")
    return margin


def hinge_embedding_loss(input: Any, target: Any, reduction: str = "mean", *,
                         margin: float = 1.0) -> Tensor:
    """x where y = 1 and max(0, margin - x) where y = -1, elementwise, for x a distance between
    two things labelled alike (1) or unlike (-1): alike pairs are pulled together, unlike ones
    pushed at least `margin` apart. At the margin the slope is the line's, as in PyTorch.
    `margin` is a keyword here (PyTorch's third argument; ours is `reduction`).

    >>> hinge_embedding_loss(Tensor([0.5, 0.25, 3.0]), [1, -1, -1], reduction="none").numpy()
    array([0.5 , 0.75, 0.  ], dtype=float32)
    """
    name = "hinge_embedding_loss"
    _check_reduction(name, reduction)
    margin = _real(name, "margin", margin)
    x, y = _float_pair(name, input, _constant_numbers(name, "target", target))
    _check_signs(y, name)
    return _reduce(where(y == 1, x, _positive_part(margin - x)), reduction, name)


def multi_margin_loss(input: Any, target: Any, reduction: str = "mean", *, p: int = 1,
                      margin: float = 1.0, weight: Any = None) -> Tensor:
    """The multiclass hinge loss (p = 1; p = 2 squares each term) of scores x (N, C) and class
    labels y (N,), or of one sample's (C,) and a 0-d label: w_y Σ_{i ≠ y} max(0, margin -
    x_y + x_i)^p / C, so that every other class scores at least `margin` below the true one.
    `weight` (C,) is PyTorch's, as PyTorch computes it: w_y multiplies the powers (its
    documentation puts it inside them). A term exactly 0 has slope 0, as in PyTorch. The
    options are keywords here (PyTorch's third argument is p; ours is `reduction`).

    >>> multi_margin_loss(Tensor([[0.5, 1.0, -2.0]]), [1])    # (0.5 + 0) / 3
    Tensor(0.16666667)
    """
    name = "multi_margin_loss"
    _check_reduction(name, reduction)
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"{name}: p must be 1 (hinge) or 2 (squared hinge), got {p!r}")
    margin = _real(name, "margin", margin)
    x = _floating(name, input)
    if x.ndim == 1:                                     # one sample: a batch of one row
        rows, labels, _ = class_rows(name, "input", x, _raw(target))
        loss = multi_margin_loss(rows, labels, reduction, p=p, margin=margin, weight=weight)
        return loss.reshape(()) if reduction == "none" else loss
    if x.ndim != 2:
        raise ValueError(f"{name}: input must be scores (N, C), or one sample's (C,), got "
                         f"shape {x.shape}")
    n, c = x.shape
    weight, _, _ = class_options(name, weight, -100, 0.0, c, x.dtype)
    labels = np.asarray(_raw(target))
    _class_labels(name, labels, n, c)
    z = margin - x[np.arange(n), labels].reshape(n, 1) + x
    counted = (z.data > 0) & (np.arange(c) != labels[:, None])
    terms = where(counted, z, 0.0)
    loss = (terms if p == 1 else terms * terms).sum(1) / c
    return _reduce(loss if weight is None else loss * weight[labels], reduction, name)


def multilabel_margin_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """The multi-label hinge loss of scores x (N, C): Σ_{j ∈ Y} Σ_{i ∉ Y} max(0, 1 - x_j + x_i)
    / C per sample, so that each of its classes Y scores at least 1 above each other class.
    The target is PyTorch's: rows (N, C) of class indices, a sample's classes first, then -1
    (what follows the first -1 is not read): [3, 0, -1, -1] is the classes {3, 0}. One
    sample's (C,) with a target (C,) works too. A term exactly 0 has slope 0, as in PyTorch.

    >>> multilabel_margin_loss(Tensor([[0.1, 0.2, 0.4, 0.8]]), [[3, 0, -1, 1]])
    Tensor(0.85)
    >>> # class 3 against 1 and 2: 0.4 + 0.6; class 0 against them: 1.1 + 1.3; / 4
    """
    name = "multilabel_margin_loss"
    _check_reduction(name, reduction)
    x = _floating(name, input)
    y = integer_array(name, "target", target)
    if x.ndim == 1:                                     # one sample: a batch of one row
        if y.shape != x.shape:
            raise ValueError(f"{name}: target of shape {y.shape} for input of shape {x.shape}; "
                             f"they must match")
        loss = multilabel_margin_loss(x.reshape(1, -1), y.reshape(1, -1), reduction)
        return loss.reshape(()) if reduction == "none" else loss
    if x.ndim != 2:
        raise ValueError(f"{name}: input must be scores (N, C), or one sample's (C,), got "
                         f"shape {x.shape}")
    n, c = x.shape
    if y.shape != x.shape:
        raise ValueError(f"{name}: target of shape {y.shape} for input of shape {x.shape}; "
                         f"they must match (each row lists a sample's classes, then -1)")
    if y.size and not (y.min() >= -1 and y.max() < c):
        raise ValueError(f"{name}: target must hold class indices in [0, {c}) and -1 (after a "
                         f"sample's classes), got values in [{y.min()}, {y.max()}]")
    listed = np.cumprod(y >= 0, axis=1).astype(bool)   # the entries before the first -1
    k = int(listed.sum(1).max(initial=0))               # the most classes a sample has
    listed, classes = listed[:, :k], np.where(listed, y, 0)[:, :k]
    is_target = ((classes[:, :, None] == np.arange(c)) & listed[:, :, None]).any(axis=1)  # (N, C)
    # z[n, j, i] = 1 - x[n, class j] + x[n, i], counted for listed j and the classes i not listed
    z = 1 - x[np.arange(n)[:, None], classes].reshape(n, k, 1) + x.reshape(n, 1, c)
    counted = listed[:, :, None] & ~is_target[:, None, :] & (z.data > 0)
    return _reduce(where(counted, z, 0.0).sum((1, 2)) / c, reduction, name)


def multilabel_soft_margin_loss(input: Any, target: Any, reduction: str = "mean", *,
                                weight: Any = None) -> Tensor:
    """The binary cross-entropy of each class's logit against its 0/1 target, averaged over
    the classes (the last axis) of each sample: -(1/C) Σ_c w_c [t_c ln σ(x_c) + (1 - t_c)
    ln σ(-x_c)], a multi-label classifier's loss, for logits (N, C) (or (C,)) and targets of
    their shape. It is `binary_cross_entropy_with_logits` per class (one fused op, stable at
    any logit); `weight` is PyTorch's, numbers >= 0 that broadcast to the input, and a keyword
    here (PyTorch's third argument; ours is `reduction`).

    >>> round(multilabel_soft_margin_loss(Tensor([[0.0, 1000.0]]), [[1, 1]]).item(), 4)
    0.3466
    >>> # (ln 2 + 0) / 2
    """
    name = "multilabel_soft_margin_loss"
    _check_reduction(name, reduction)
    x = _floating(name, input)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"{name}: input must be logits (N, C) or (C,) with C >= 1, got shape "
                         f"{x.shape}")
    _warn_if_made_by(name, x, "sigmoid", "probabilities", "remove the final sigmoid")
    t = _constant_target(name, target, x)
    losses = apply(BinaryCrossEntropyWithLogits, (x,), BCEWithLogitsCtx(t, None))
    if weight is not None:
        losses = losses * broadcast_constant(name, "weight", weight, x)
    return _reduce(losses.sum(-1) / x.shape[-1], reduction, name)


def _positive_part(v: Tensor) -> Tensor:
    """max(0, v), its slope at v = 0 the line's (PyTorch's clamp_min); NaN stays NaN."""
    return where(~(v.data < 0), v, 0.0)


def _same_shapes(name: str, **inputs: Tensor) -> None:
    shapes = {what: x.shape for what, x in inputs.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{what} {shape}" for what, shape in shapes.items())
        raise ValueError(f"{name}: the inputs' shapes differ ({listed}); they must match")


def _float_pair(name: str, pred: Any, target: Any) -> tuple[Tensor, Any]:
    """`pred` as a floating Tensor (an integer one in the default dtype; Values refused) and
    `target` as a Tensor or an array of its dtype, of the same shape."""
    return _tensor_pair(name, _floating(name, pred), target)


# ----------------------------------------------------------------------------------------------
# Helpers: Tensors
# ----------------------------------------------------------------------------------------------

def _tensor(name: str, x: Any, values_too: bool = False) -> Tensor:
    """`x` as a Tensor for `name`, whose error names what it takes: a flat list of Values too
    when `values_too` (the losses that take them come here only with something else)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Value):
        raise TypeError(f"{name}: expects a Tensor, got a Value")
    try:
        return Tensor(x)
    except TypeError:
        if not values_too and holds_values(x):
            raise values_list_error(name) from None
        takes = "a Tensor, an array or a flat list of Values" if values_too else \
            "a Tensor or an array"
        raise TypeError(f"{name}: expects {takes}, got {type(x).__name__}") from None


def _tensor_pair(name: str, pred: Any, target: Any) -> tuple[Tensor, Any]:
    """Prediction as a Tensor and target as a Tensor or an array of its dtype, same shapes."""
    pred = _tensor(name, pred, values_too=True)
    if pred.dtype.kind == "b" and np.asarray(getattr(target, "data", target)).dtype.kind == "b":
        raise TypeError(f"{name}: the prediction and the target are both bool tensors, which "
                        f"have no difference; convert first: pred.float()")
    if not isinstance(target, Tensor):
        target = np.asarray(target)
        if target.dtype.kind not in "biuf":
            raise TypeError(f"{name}: target must be numbers, got dtype {target.dtype}")
        if pred.dtype.kind == "f":
            target = target.astype(pred.dtype, copy=False)
    if target.shape != pred.shape:
        raise ValueError(f"{name}: prediction has shape {pred.shape} but target has shape "
                         f"{target.shape}; they must match (reshape one of them, e.g. "
                         f"pred.reshape(-1) for a (N, 1) column)")
    return pred, target


# a log-probability is at most 0; this slack lets log(p) of a p rounded just above 1 through
_LOG_PROB_SLACK = 1e-4


def _check_log_probabilities(log_probs: Tensor) -> None:
    """Log-probabilities are <= 0; probabilities (softmax's output) and logits (raw scores)
    are not, and nll_loss of them is a number without meaning that still trains, badly."""
    # `not max > slack`, not `max <= slack`: NaN log-probabilities (training that diverged)
    # pass, to give the NaN loss that `fit` reports as divergence
    if not log_probs.data.size or not log_probs.data.max() > _LOG_PROB_SLACK:
        return
    low, high = float(log_probs.data.min()), float(log_probs.data.max())
    what = "probabilities (softmax's output?)" if low >= 0 and high <= 1 else "logits?"
    raise ValueError(f"nll_loss: log_probs must be log-probabilities (<= 0), got values in "
                     f"[{low:.4g}, {high:.4g}], {what}; pass nll_loss(log_softmax(logits), "
                     f"labels), or cross_entropy(logits, labels)")


def _check_signs(labels: Any, name: str = "hinge_loss") -> None:
    labels = np.asarray(labels)
    if not (np.abs(labels) == 1).all():
        found = np.unique(labels)
        shown = ", ".join(str(v) for v in found[:5]) + (", ..." if found.size > 5 else "")
        raise ValueError(f"{name}: labels must be -1 or +1, got values {{{shown}}} "
                         f"(for 0/1 labels use 2 * y - 1)")


# ----------------------------------------------------------------------------------------------
# What each loss serves (read by fit, evaluate, cross_validate and GridSearch; see nn.scoring)
# ----------------------------------------------------------------------------------------------

declare_loss("regression")(mse_loss)
declare_loss("regression")(l1_loss)
declare_loss("binary", to_labels="probability")(binary_cross_entropy)
declare_loss("binary", to_labels="logit")(binary_cross_entropy_with_logits)
declare_loss("multiclass", to_labels="argmax")(cross_entropy)
declare_loss("multiclass", to_labels="argmax")(nll_loss)
declare_loss("binary", to_labels="sign")(hinge_loss)
declare_loss("regression")(smooth_l1_loss)
declare_loss("regression")(huber_loss)
declare_loss("regression")(gaussian_nll_loss)
declare_loss("regression")(poisson_nll_loss)
declare_loss("binary", to_labels="sign")(soft_margin_loss)
declare_loss("multiclass", to_labels="argmax")(multi_margin_loss)
declare_loss("binary", to_labels="logit")(multilabel_soft_margin_loss)

# attention lives with its layer in nn.attention, which takes `_dropout` from this module:
# imported last, once that exists
from .attention import scaled_dot_product_attention  # noqa: E402,F401  (re-exported)
