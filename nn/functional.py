"""Activations, dropout, losses and `one_hot`, for Tensors and (where it makes sense) lists of
Values.

The activations (`leaky_relu`, `gelu`, and `elu`, `selu`, `celu`, one op, among them), `linear`,
`embedding`, `embedding_bag`, the fused losses (`cross_entropy` and both binary cross-entropies)
and the convolution and pooling functions (`conv2d`, `conv1d`, `conv_transpose2d`,
`conv_transpose1d`, `max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d`, `max_pool1d`,
`avg_pool1d`, `adaptive_avg_pool1d`, `adaptive_max_pool2d`, `adaptive_max_pool1d`, `pad`, and
the 3-d `conv3d`, `conv_transpose3d`, `max_pool3d`, `avg_pool3d`, `adaptive_avg_pool3d`,
`adaptive_max_pool3d`; `max_unpool1d/2d/3d`) and a spatial transformer's `affine_grid` and
`grid_sample` come from `autograd.functional`, `batch_norm`,
`layer_norm`, `rms_norm`, `group_norm` and `instance_norm` from `nn.normalization`,
`scaled_dot_product_attention` from `nn.attention`, `interpolate`, `pixel_shuffle` and
`pixel_unshuffle` from `nn.resampling`, `unfold` and `fold` from `nn.fold`: each is one
function, reachable from both modules.

This module adds PyTorch's other activations (`relu6`, `hardtanh`, `hardsigmoid`, `hardswish`,
`silu`, `mish`, `softplus`, `softsign`, `logsigmoid`, `tanhshrink`, `threshold`, `hardshrink`,
`softshrink`, `softmin`, `glu`, `prelu`), built from the engine's ops, dropout and `one_hot`; it
re-exports `cosine_similarity`, `pairwise_distance`, `pdist` and `normalize` (from
`nn.distances`) and the losses, from `nn.loss_functions` (regression, classification, CTC) and
`nn.margin_losses` (ranking, embeddings, the margins of several classes): the other losses of
the lectures, and PyTorch's `smooth_l1_loss`, `huber_loss`,
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
from typing import Any

import numpy as np

from autograd import Tensor, get_default_dtype, where
from autograd.graph import apply, grad_mode
from autograd.ops.elementwise import (Hardshrink, Hardswish, Hardtanh, SavedExp, SavedSigmoid,
                                      Silu, Softplus, Threshold)
from autograd.ops.glu import Glu, GluCtx
from autograd.tensor import _axes, _softmax_axis
# the argument checks shared with the engine's functions (_floating also read here by
# nn.transformer)
from autograd.functional.arguments import _floating, _is_int, _real, integer_array
from autograd.functional.loss_arguments import _constant_numbers
from autograd.functional.activations import not_a_tensor_in_place, written_in_place
from autograd.functional import (  # noqa: F401  (re-exported: one function, two addresses)
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,
    avg_pool1d, avg_pool2d, binary_cross_entropy, binary_cross_entropy_with_logits, celu, conv1d,
    conv2d, conv_transpose1d, conv_transpose2d, cross_entropy, elu, embedding, embedding_bag,
    gelu, leaky_relu, linear, log_softmax, max_pool1d, max_pool2d, pad, relu, selu, sigmoid,
    softmax, tanh, adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, conv3d,
    conv_transpose3d, max_pool3d, max_unpool1d, max_unpool2d, max_unpool3d, affine_grid,
    grid_sample,
)
from autograd.random import default_rng

# the similarities and the losses live in modules of their own; here they are re-exported, with
# the checks of arguments that the loss and layer modules (nn.losses, nn.layers) read here
from .distances import (  # noqa: F401  (re-exported)
    checked_norm_order, cosine_similarity, normalize, pairwise_distance, pdist,
)
from .fold import fold, unfold  # noqa: F401  (re-exported)
from .loss_functions import (  # noqa: F401  (re-exported; _tensor is dropout's too)
    Loss, _KL_REDUCTIONS, _tensor, checked_width, ctc_loss, gaussian_nll_loss, hinge_loss,
    huber_loss, kl_div, l1_loss, l1_penalty, l2_penalty, mse_loss, nll_loss, poisson_nll_loss,
    smooth_l1_loss,
)
from .margin_losses import (  # noqa: F401  (re-exported)
    checked_cosine_margin, checked_distance_function, checked_triplet_margin,
    cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss, multi_margin_loss,
    multilabel_margin_loss, multilabel_soft_margin_loss, soft_margin_loss, triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from .normalization import (  # noqa: F401  (re-exported)
    batch_norm, group_norm, instance_norm, layer_norm, rms_norm,
)
from .resampling import interpolate, pixel_shuffle, pixel_unshuffle  # noqa: F401  (re-exported)

__all__ = [
    "relu", "relu_", "elu_", "leaky_relu_", "hardtanh_", "threshold_", "celu_", "selu_",
    "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "embedding",
    "embedding_bag", "relu6", "elu", "selu", "celu", "silu", "mish", "softplus", "softsign",
    "hardtanh", "hardsigmoid", "hardswish", "logsigmoid", "tanhshrink", "threshold", "hardshrink",
    "softshrink", "softmin", "gumbel_softmax", "glu", "prelu",
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
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
    "layer_norm", "rms_norm", "group_norm", "instance_norm", "scaled_dot_product_attention",
    "interpolate", "pixel_shuffle", "pixel_unshuffle", "unfold", "fold", "affine_grid",
    "grid_sample",
]

# ----------------------------------------------------------------------------------------------
# More activations: PyTorch's, for Tensors (elu, selu and celu are one op, from autograd)
# ----------------------------------------------------------------------------------------------

def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
             ) -> Tensor:
    """x clamped to [min_val, max_val]. The slope is PyTorch's: 1 strictly inside, 0 at the
    edges and beyond (`Tensor.clip`'s is 1 at the edges too). `inplace=True` writes the result
    into the Tensor x, which it returns, as PyTorch's does, here and in every activation below
    (autograd.functional.activations.written_in_place).

    >>> x = Tensor([-2.0, -1.0, 0.5], requires_grad=True)
    >>> y = hardtanh(x)
    >>> y.backward(np.ones(3)); y.numpy(), x.grad
    (array([-1. , -1. ,  0.5], dtype=float32), array([0., 0., 1.], dtype=float32))
    """
    low, high = checked_hardtanh_bounds("hardtanh", min_val, max_val)
    return _activation("hardtanh", x, inplace, lambda t: _clamp(t, low, high))


def _activation(name: str, x: Any, inplace: bool, function: Any) -> Tensor:
    """`function` of x made floating, or, with `inplace`, written into x (which it returns)."""
    if inplace:
        return written_in_place(name, x, lambda t: function(_floating(name, t)))
    return function(_floating(name, x))


def checked_hardtanh_bounds(name: str, min_val: Any, max_val: Any) -> tuple[float, float]:
    """(min_val, max_val) as floats, or an error naming `name` (the function or the module).

    >>> checked_hardtanh_bounds("Hardtanh", 1, -1)
    Traceback (most recent call last):
    ValueError: Hardtanh: min_val 1.0 is greater than max_val -1.0
    """
    low, high = _real(name, "min_val", min_val), _real(name, "max_val", max_val)
    if low > high:
        raise ValueError(f"{name}: min_val {low} is greater than max_val {high}")
    return low, high


def relu6(x: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6): slope 1 in (0, 6), else 0.

    >>> relu6(Tensor([-1.0, 3.0, 8.0])).numpy()
    array([0., 3., 6.], dtype=float32)
    """
    return _activation("relu6", x, inplace, lambda t: _clamp(t, 0.0, 6.0))


def _clamp(x: Tensor, low: float, high: float) -> Tensor:
    """x clamped to [low, high], the gradient passed only strictly inside (NaN stays NaN): the
    `Hardtanh` op (one np.clip; a where() over the clip spent 20 of a big relu6's 21 ms in
    np.where's branch per element)."""
    return apply(Hardtanh, (x,), (low, high))


def hardsigmoid(x: Any, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 up to -3, x/6 + 1/2 between, 1 from 3 on (slope 1/6 in (-3, 3)).

    >>> hardsigmoid(Tensor([-4.0, 0.0, 1.5, 4.0])).numpy()
    array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return _activation("hardsigmoid", x, inplace, lambda t: _clamp(t + 3.0, 0.0, 6.0) / 6.0)


def hardswish(x: Any, inplace: bool = False) -> Tensor:
    """x · hardsigmoid(x) = x · relu6(x + 3) / 6 (MobileNetV3): 0 up to -3, x from 3 on; one
    op (`Hardswish`), whose slopes are 0 up to -3 and 1 from 3 on, also at ±inf.

    >>> hardswish(Tensor([-4.0, 1.0, 4.0])).numpy().round(4)
    array([-0.    ,  0.6667,  4.    ], dtype=float32)
    """
    return _activation("hardswish", x, inplace, lambda t: apply(Hardswish, (t,)))


def silu(x: Any, inplace: bool = False) -> Tensor:
    """x · σ(x) (also called swish), stable at ±1000; slope σ(x) (1 + x (1 - σ(x))).

    One op (`Silu`), which keeps σ(x) from the forward for the backward (a fused op without it
    was slower than sigmoid and product, whose product keeps σ: s29).

    >>> silu(Tensor([-1000.0, 0.0, 2.0])).numpy().round(4)
    array([-0.    ,  0.    ,  1.7616], dtype=float32)
    """
    return _activation("silu", x, inplace, lambda t: apply(
        Silu, (t,), SavedSigmoid() if t.requires_grad and grad_mode.enabled else None))


def mish(x: Any, inplace: bool = False) -> Tensor:
    """x · tanh(softplus(x)), stable at ±1000 (softplus is the overflow-free op).

    >>> mish(Tensor([-1000.0, 0.0, 1.0])).numpy().round(4)
    array([-0.    ,  0.    ,  0.8651], dtype=float32)
    """
    return _activation("mish", x, inplace, lambda t: t * apply(Softplus, (t,),
                                                              _saved_exp(t)).tanh())


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
    smooth = apply(Softplus, (scaled,), _saved_exp(scaled))
    if beta != 1:
        smooth = smooth / beta
    linear = scaled.data > threshold
    return where(linear, x, smooth) if linear.any() else smooth


def checked_softplus_options(name: str, beta: Any, threshold: Any) -> tuple[float, float]:
    """(beta, threshold) as floats, or an error naming `name` (the function or the module).

    >>> checked_softplus_options("Softplus", 0, 20)
    Traceback (most recent call last):
    ValueError: Softplus: beta must not be 0 (the result is ln(1 + e^(βx)) / β)
    """
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
    x = -_floating("logsigmoid", x)
    return -apply(Softplus, (x,), _saved_exp(x))


def _saved_exp(x: Tensor) -> SavedExp | None:
    """Softplus's ctx: e^-|x| kept from the forward for a backward only (not for inference)."""
    return SavedExp() if x.requires_grad and grad_mode.enabled else None


def tanhshrink(x: Any) -> Tensor:
    """x - tanh(x); slope tanh(x)².

    >>> tanhshrink(Tensor([0.0, 1.0])).numpy().round(4)
    array([0.    , 0.2384], dtype=float32)
    """
    x = _floating("tanhshrink", x)
    return x - x.tanh()


def threshold(x: Any, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else `value` (PyTorch's order of arguments); slope 1 above the
    threshold, 0 at and below it. NaN stays NaN, with the slope 1, as in PyTorch. (One op,
    `Threshold`, choosing each number on its bits: np.where took ~20 ms of 4M floats.)

    >>> threshold(Tensor([-1.0, 0.5, 2.0]), 0.5, -3.0).numpy()
    array([-3., -3.,  2.], dtype=float32)
    """
    limit, value = _real("threshold", "threshold", threshold), _real("threshold", "value", value)
    return _activation("threshold", x, inplace, lambda t: apply(Threshold, (t,), (limit, value)))


def hardshrink(x: Any, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0; slope 1 outside [-lambd, lambd], 0 inside and at its
    edges; NaN stays NaN, with the slope 1, as in PyTorch (the `Hardshrink` op).

    >>> hardshrink(Tensor([-1.0, 0.25, 0.75])).numpy()
    array([-1.  ,  0.  ,  0.75], dtype=float32)
    """
    x = _floating("hardshrink", x)
    return apply(Hardshrink, (x,), _real("hardshrink", "lambd", lambd))


def softshrink(x: Any, lambd: float = 0.5) -> Tensor:
    """x - lambd · sign(x) where |x| > lambd, else 0 (the soft thresholding of sparse coding);
    slope 1 outside [-lambd, lambd], 0 inside. lambd must be >= 0.

    >>> softshrink(Tensor([-1.0, 0.25, 0.75])).numpy()
    array([-0.5 ,  0.  ,  0.25], dtype=float32)
    """
    x = _floating("softshrink", x)
    lambd = checked_shrink_lambda("softshrink", lambd)
    # x - clip(x, -λ, λ): x ∓ λ outside the band and exactly 0 in it, and the slope 1 - 1
    # inside the band (its edges too, where clip's slope is 1), as PyTorch's; two passes where
    # a where() over x - λ sign(x) took 14 ms of a (32, 128, 32, 32) float32 tensor in
    # np.where's branch per element. NaN stays NaN.
    return x - x.clip(-lambd, lambd)


def checked_shrink_lambda(name: str, lambd: Any) -> float:
    """softshrink's lambd as a float >= 0, or an error naming `name` (the function or module).

    >>> checked_shrink_lambda("Softshrink", -0.5)
    Traceback (most recent call last):
    ValueError: Softshrink: lambd must be >= 0 (the half-width of the band set to 0), got -0.5
    """
    lambd = _real(name, "lambd", lambd)
    if not lambd >= 0:                      # NaN too
        raise ValueError(f"{name}: lambd must be >= 0 (the half-width of the band set to 0), "
                         f"got {lambd}")
    return lambd


def softmin(x: Any, axis: int | None = None, *, dim: int | None = None,
            dtype: Any = None) -> Tensor:
    """softmax(-x) along `axis` (or `dim`, PyTorch's name): the smallest gets the most weight.
    Not given, the axis is the last one up to 2-D, as `softmax`'s; 3-D and more must say.
    `dtype` casts x first, as PyTorch's.

    >>> softmin(Tensor([[1.0, 1.0 + np.log(3)]]), dim=1).numpy().round(4)
    array([[0.75, 0.25]], dtype=float32)
    """
    if dtype is not None:                               # cast first, as PyTorch's
        x = _tensor("softmin", x).astype(dtype)
    x = _floating("softmin", x)
    axis = _softmax_axis("softmin", axis, dim, x.shape)
    _axes(axis, max(x.ndim, 1), "softmin")             # a bad axis is softmin's error
    return (-x).softmax(axis)


def gumbel_softmax(logits: Any, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1, *, rng: np.random.Generator | None = None) -> Tensor:
    """A differentiable draw from Categorical(logits) (the Gumbel-softmax, or Concrete, trick):
    softmax((logits + G) / tau) along `dim`, G standard Gumbel noise, -ln E with E ~ Exp(1).
    Small `tau` makes the draw nearly one-hot. `hard=True` gives the one-hot of its largest
    entry in the forward and the soft draw's gradient in the backward (straight-through:
    one_hot - soft.detach() + soft). `eps` is accepted for PyTorch code and unused, as in
    PyTorch. The noise comes from `rng`, or from the generator `autograd.manual_seed` seeds.
    For the distribution itself (log_prob, temperature as a tensor), see
    `autograd.distributions.RelaxedOneHotCategorical`.

    >>> y = gumbel_softmax(Tensor([[0.0, 1.0, 2.0]]), tau=0.5, hard=True,
    ...                    rng=np.random.default_rng(0))
    >>> y.numpy(), float(y.sum())
    (array([[0., 0., 1.]], dtype=float32), 1.0)
    """
    logits = _floating("gumbel_softmax", logits)
    if not isinstance(tau, numbers.Real) or isinstance(tau, bool) or not tau > 0:
        raise ValueError(f"gumbel_softmax: tau must be a positive number (the temperature), "
                         f"got {tau!r}")
    if logits.ndim == 0:
        raise ValueError("gumbel_softmax: logits must have at least one axis (the categories "
                         "along `dim`), got a 0-d tensor")
    (axis,) = _axes(dim, logits.ndim, "gumbel_softmax")
    rng = default_rng() if _dropout_rng("gumbel_softmax", rng) is None else rng
    noise = -np.log(rng.standard_exponential(logits.shape))           # standard Gumbel
    soft = ((logits + noise.astype(logits.dtype)) / tau).softmax(axis)
    if not hard:
        return soft
    picked = soft.data.argmax(axis)
    one_hot_draw = np.zeros_like(soft.data)
    np.put_along_axis(one_hot_draw, np.expand_dims(picked, axis), 1, axis)
    # the one-hot's numbers, the soft draw's gradient (one_hot - soft is a constant)
    return soft + (one_hot_draw - soft.data)


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
    return apply(Glu, (x,), GluCtx(axis))


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
    # relu(x) + a · min(x, 0): x's slope is 1 above 0 and a at 0 and below (clip's slope is 1
    # at its edge), a's gradient Σ g · min(x, 0); four passes where a where() spent 30 of a
    # (32, 128, 32, 32) float32 prelu's 36 ms in np.where's branch per element
    return x.relu() + slope * x.clip(None, 0.0)


# ----------------------------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------------------------

def dropout(x: Any, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None, *, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability `p`, scale the kept ones by 1/(1-p).
    `inplace=True` (or True in `rng`'s place, PyTorch's positional `inplace`) writes the result
    into the Tensor x, which it returns, as PyTorch's does (see `hardtanh`).

    The scaling keeps every element's expected value, so evaluation (`training=False`) needs no
    correction and returns `x` itself, as does p = 0; p = 1 drops everything: zeros, with zero
    gradients (as in PyTorch). The mask comes from `rng`, or from the shared generator that
    `autograd.manual_seed` seeds.

    >>> import numpy as np
    >>> y = dropout(Tensor([1.0, 2.0, 3.0, 4.0]), 0.5, rng=np.random.default_rng(0))
    >>> y                                               # kept: doubled; dropped: 0
    Tensor([2., 4., 6., 0.])
    """
    return _dropout("dropout", x, p, training, rng, None, inplace)


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
    return _dropout("dropout2d", x, p, training, rng, 4, inplace)


def dropout1d(x: Any, p: float = 0.5, training: bool = True,
              rng: np.random.Generator | None = None, *, inplace: bool = False) -> Tensor:
    """Channel dropout of sequences (N, C, L): each channel of each sequence zeroed whole with
    probability `p`, the kept ones scaled by 1/(1-p). Otherwise as `dropout`.

    >>> y = dropout1d(Tensor(np.ones((1, 4, 3))), 0.5, rng=np.random.default_rng(3))
    >>> y.data[0]                        # a row per channel: dropped whole, or kept and doubled
    array([[0., 0., 0.],
           [0., 0., 0.],
           [2., 2., 2.],
           [2., 2., 2.]])
    """
    return _dropout("dropout1d", x, p, training, rng, 3, inplace)


def dropout3d(x: Any, p: float = 0.5, training: bool = True,
              rng: np.random.Generator | None = None, *, inplace: bool = False) -> Tensor:
    """Channel dropout of volumes (N, C, D, H, W): each channel of each volume zeroed whole with
    probability `p`, the kept ones scaled by 1/(1-p). Otherwise as `dropout`.

    >>> x = Tensor(np.ones((1, 4, 2, 2, 2)))
    >>> dropout3d(x, 0.5, rng=np.random.default_rng(3)).data[0].mean(axis=(1, 2, 3))   # per channel
    array([0., 0., 2., 2.])
    >>> dropout3d(x, 0.5, training=False).data[0].mean(axis=(1, 2, 3))                # evaluation
    array([1., 1., 1., 1.])
    """
    return _dropout("dropout3d", x, p, training, rng, 5, inplace)


def _dropout(name: str, x: Any, p: float, training: bool, rng: np.random.Generator | None,
             ndim: int | None, inplace: bool = False) -> Tensor:
    """`dropout` (ndim None: each element alone), or channel dropout of an `ndim`-d batch
    (N, C, ...): one draw per sample and channel, shared by the channel's elements; with
    `inplace` (or a bool True as `rng`: PyTorch's positional `inplace`), written into x."""
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"{name}: p must be a probability in [0, 1], got {p!r}")
    inplace = inplace or (isinstance(rng, (bool, np.bool_)) and bool(rng))
    rng = _dropout_rng(name, rng)
    if inplace and not isinstance(x, Tensor):
        raise not_a_tensor_in_place(name, x)
    x = _tensor(name, x)
    if ndim is not None and x.ndim != ndim:
        layout = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}[ndim]
        raise ValueError(f"{name}: expected a {ndim}-d input {layout}, got shape {x.shape}")
    if not training or p == 0:
        return x            # (x itself, in place or not, as in PyTorch)
    if inplace:
        return written_in_place(name, x, lambda t: _dropout(name, t, p, training, rng, ndim))
    dtype = x.dtype if x.dtype.kind == "f" else get_default_dtype()
    if p == 1:                                          # no 1/(1-p): every element dropped
        return x * np.zeros((), dtype)
    rng = default_rng() if rng is None else rng
    shape = x.shape if ndim is None else x.shape[:2] + (1,) * (ndim - 2)
    keep = _keep_mask(rng, shape, p, dtype)             # each kept with probability 1 - p
    return x * (keep.astype(dtype) / dtype.type(1 - p))


#: the bit generators whose `random_raw` gives 64 random bits a number (MT19937's gives 32)
_RAW_64_BITS = tuple(getattr(np.random, name) for name in ("PCG64", "PCG64DXSM", "SFC64",
                                                            "Philox") if hasattr(np.random, name))


def _keep_mask(rng: Any, shape: tuple, p: float, dtype: np.dtype) -> np.ndarray:
    """True with probability 1 − p for each element.

    For a float32 input and a numpy Generator (the shared one, or one given) of 64-bit
    numbers, each element gets 32 random bits, an integer k uniform in [0, 2³²) (a 64-bit
    number of the generator makes two), kept if k ≥ ⌈p · 2³²⌉: with probability
    1 − ⌈p · 2³²⌉ / 2³², within 2⁻³² of 1 − p (float64 draws, u ≥ p, are within 2⁻⁵³;
    float32 ones, `random(dtype=np.float32)`, only within 2⁻²⁴, since they keep 24 of their
    32 bits, and cost four fifths of float64's). Half the generator's work of a float64 draw a
    mask element: the mask of a ViT's (64, 65, 128) activations takes 0.8 ms instead of 1.5.
    For p within 2⁻²⁰ of 0 or 1 (where 2⁻³² is more than 0.03 % of p or 1 − p), other input
    dtypes (float64 keeps its stream of before) and other generators (anything with
    `random(shape)`), u is drawn in float64 and compared, u ≥ p, as before.

    >>> rng = np.random.default_rng(0)
    >>> keep = _keep_mask(rng, (1000, 1000), 0.1, np.dtype(np.float32))
    >>> keep.dtype, round(float(keep.mean()), 3)
    (dtype('bool'), 0.9)
    """
    limit = 2.0 ** -20
    if dtype == np.float32 and limit <= p <= 1 - limit and \
            isinstance(rng, np.random.Generator) and isinstance(rng.bit_generator, _RAW_64_BITS):
        n = math.prod(shape)
        bits = rng.bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n].reshape(shape)
        return bits >= np.uint32(math.ceil(p * 2 ** 32))
    return rng.random(shape) >= p


def _dropout_rng(name: str, rng: Any) -> Any:
    """`rng` checked: a random generator (anything with numpy's `random(shape)`) or None.

    A bool there is PyTorch's `inplace`, which sits where glassgrad takes `rng`:
    `nn.Dropout2d(0.2, True)`, `F.dropout(x, p, training, inplace)`. It reads as None (no
    generator of one's own); the callers take it as `inplace`.

    >>> _dropout_rng("dropout", True) is None
    True
    """
    if rng is None or isinstance(rng, (bool, np.bool_)):
        return None
    if not callable(getattr(rng, "random", None)):
        raise TypeError(f"{name}: rng must be a random generator (np.random.default_rng(seed)) "
                        f"or None, got {rng!r}")
    return rng


def _refuse_token_indices(owner: str, what: str, x: Tensor) -> None:
    """Refuse integers other than 0 and 1 as a layer's features (recurrent, attention and
    transformer layers): token indices, which need an Embedding first. Read as numbers, a batch
    of them (N, L) whose L equals the layer's width would run silently. 0/1 integers pass, as
    one-hot rows (`one_hot` gives integers)."""
    if x.dtype.kind in "iu" and x.size and not np.isin(x.data, (0, 1)).all():
        raise TypeError(f"{owner}: {what} holds integers other than 0 and 1 (shape {x.shape}, "
                        f"dtype {x.dtype}): token indices? pass them through an Embedding (or "
                        f"one_hot) first; integer-valued features: .astype(float)")


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
            if high == 255 and num_classes < 255:       # a segmentation mask's "do not care"
                hint = (" (if 255 marks pixels to skip, replace it first, e.g. "
                        "torch.where(labels == 255, 0, labels), and mask those pixels out)")
            raise ValueError(f"one_hot: labels must be < num_classes={num_classes}, got "
                             f"{high}{hint}")
    elif num_classes == -1:
        raise ValueError("one_hot: no labels to count the classes from (the input is empty); "
                         "pass num_classes")
    return Tensor((labels[..., None] == np.arange(num_classes)).astype(np.int64))


# attention lives with its layer in nn.attention, which takes `_dropout` from this module:
# imported last, once that exists
from .attention import scaled_dot_product_attention  # noqa: E402,F401  (re-exported)


def relu_(x: Tensor) -> Tensor:
    """PyTorch's `F.relu_(x)`: `relu(x, inplace=True)`, x itself made relu(x) under the
    in-place rules (a result in a graph becomes relu's result, the same object). So are
    `elu_`, `leaky_relu_`, `hardtanh_`, `threshold_`, `celu_` and `selu_`, PyTorch's others.

    >>> x = Tensor([-1.0, 2.0])
    >>> relu_(x) is x, x.tolist()
    (True, [0.0, 2.0])
    """
    return relu(x, inplace=True)


def elu_(x: Tensor, alpha: float = 1.0) -> Tensor:
    """PyTorch's `F.elu_(x, alpha)`: `elu(x, alpha, inplace=True)` (see `relu_`)."""
    return elu(x, alpha, inplace=True)


def leaky_relu_(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """PyTorch's `F.leaky_relu_(x, negative_slope)`: `leaky_relu(..., inplace=True)`."""
    return leaky_relu(x, negative_slope, inplace=True)


def hardtanh_(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """PyTorch's `F.hardtanh_(x, min_val, max_val)`: `hardtanh(..., inplace=True)`."""
    return hardtanh(x, min_val, max_val, inplace=True)


_threshold = threshold          # (in threshold_, PyTorch's argument name hides the function)


def threshold_(x: Tensor, threshold: float, value: float) -> Tensor:
    """PyTorch's `F.threshold_(x, threshold, value)`: `threshold(..., inplace=True)`."""
    return _threshold(x, threshold, value, inplace=True)


def celu_(x: Tensor, alpha: float = 1.0) -> Tensor:
    """PyTorch's `F.celu_(x, alpha)`: `celu(x, alpha, inplace=True)`."""
    return celu(x, alpha, inplace=True)


def selu_(x: Tensor) -> Tensor:
    """PyTorch's `F.selu_(x)`: `selu(x, inplace=True)`."""
    return selu(x, inplace=True)


def __getattr__(name: str) -> Any:
    """An in-place spelling PyTorch's nn.functional lacks too (`F.silu_`, `F.gelu_`) says what
    to write; any other missing name is Python's AttributeError.

    >>> import nn.functional as F
    >>> F.silu_
    Traceback (most recent call last):
    AttributeError: module 'nn.functional' has no attribute 'silu_' (nor has PyTorch's): ...
    """
    base = name[:-1]
    if name.endswith("_") and not name.startswith("_") and callable(globals().get(base)):
        raise AttributeError(f"module 'nn.functional' has no attribute {name!r} (nor has "
                             f"PyTorch's): write x = F.{base}(x) for a new tensor, or "
                             f"F.{base}(x, inplace=True) where {base} takes inplace")
    raise AttributeError(f"module 'nn.functional' has no attribute {name!r}")
