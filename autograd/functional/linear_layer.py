"""`linear`: x @ weightᵀ + bias as one node, PyTorch's layout of the weight
(out_features, in_features). Its op, `Linear`, with the three gradients right under the
forward, is in autograd/ops/fused.py.
"""

from __future__ import annotations

import math
from typing import Any

from ..graph import Node, apply
from ..ops import Linear
from ..tensor import Tensor, get_default_dtype
from .arguments import _node, _tensor


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weightᵀ + bias as one node; weight has shape (out_features, in_features), as in
    PyTorch's `torch.nn.functional.linear`, so a row of `weight` holds one output's weights.
    Dtypes mix as numpy's do (README, "Dtypes follow PyTorch"): float64 data into float32
    weights gives a float64 result (PyTorch asks for one dtype), integer data the weight's.

    >>> W = Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])      # 2 outputs from 3 inputs
    >>> linear(Tensor([[1.0, 1.0, 1.0]]), W, Tensor([0.5, -1.0])).numpy()
    array([[6.5, 0. ]], dtype=float32)
    """
    if not isinstance(x, Node):         # (tested here: every layer's every call comes by)
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
                         f"be {w_shape[1]}{_reshape_hint(x_shape, w_shape[1])}")
    if bias is None:
        return apply(Linear, (x, weight), (x._fn is not None, weight._fn is not None))
    if bias.data.shape != w_shape[:1]:
        raise ValueError(f"linear: bias must have shape ({w_shape[0]},), got {bias.shape}")
    return apply(Linear, (x, weight, bias),
                 (x._fn is not None, weight._fn is not None, bias._fn is not None))


def _reshape_hint(x_shape: tuple[int, ...], features: int) -> str:
    """What a learner's input of the wrong shape most likely is: images not flattened (MNIST's
    (N, 28, 28) into Linear(784, ...)), one unflattened sample, or the samples as columns."""
    if len(x_shape) > 2 and math.prod(x_shape[1:]) == features:
        sizes = " × ".join(map(str, x_shape[1:]))
        return (f" ({sizes} = {features} numbers per sample: flatten them first, "
                f"x.reshape(len(x), -1), or put nn.Flatten() before the layer)")
    if len(x_shape) > 1 and math.prod(x_shape) == features:
        return f" (one sample of shape {x_shape}? flatten it: x.reshape(1, -1))"
    if len(x_shape) == 2 and x_shape[0] == features:
        return f" (the samples as columns? x.T has one row per sample, shape {x_shape[::-1]})"
    return ""
