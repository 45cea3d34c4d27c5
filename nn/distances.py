"""Similarities, distances and normalisation along an axis, PyTorch's: `cosine_similarity`,
`pairwise_distance`, `pdist` (the engine's, `autograd.arrays.pdist`) and `normalize` (their
modules, `CosineSimilarity` and `PairwiseDistance`,
are in `nn.layers`; the margin losses of embeddings measure with them). `nn.functional`
re-exports them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.arrays import pdist  # noqa: F401  (re-exported: torch.nn.functional.pdist)
from autograd.ops.normalize import overflowed
from autograd.ops.reduce import largest_magnitude
from autograd.tensor import _axes
from autograd.functional import _floating, _real

__all__ = ["cosine_similarity", "pairwise_distance", "pdist", "normalize"]


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 · x2 / (max(‖x1‖, eps) · max(‖x2‖, eps)) along `dim`, which the result loses; x1 and
    x2 broadcast together first, as in PyTorch (dim counts in the common shape). Note PyTorch's
    default dim=1: for two vectors pass dim=0.

    >>> cosine_similarity(Tensor([[1.0, 0.0], [1.0, 1.0]]), Tensor([[1.0, 1.0]])).tolist()
    [0.7071067690849304, 0.9999999403953552]
    >>> # float32: cos 45°, and 1 to within a rounding
    """
    name = "cosine_similarity"
    a, b = _floating(name, x1), _floating(name, x2)
    eps = _real(name, "eps", eps)
    shape = _common_shape(name, a.shape, b.shape)
    (axis,) = _axes(dim, len(shape), name)
    a = a if a.shape == shape else a.broadcast_to(shape)
    b = b if b.shape == shape else b.broadcast_to(shape)
    # each scaled by its norm before the products, which then stay within [-1, 1]: a · b
    # itself overflows at 1e20 in float32, where the cosine is a plain number
    a, b = a / _norm(a, 2.0, axis, True, eps), b / _norm(b, 2.0, axis, True, eps)
    return (a * b).sum(axis)


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """‖x1 - x2 + eps‖_p along the last axis (x1 and x2 broadcast together), as PyTorch's: eps
    keeps the distance of equal rows off 0, where the norm has no slope. p > 0, or math.inf
    (the largest |difference|).

    >>> pairwise_distance(Tensor([[0.0, 0.0], [1.0, 1.0]]), Tensor([[3.0, 4.0]]), eps=0.0).numpy()
    array([5.       , 3.6055512], dtype=float32)
    """
    name = "pairwise_distance"
    p, eps = checked_norm_order(name, p), _real(name, "eps", eps)
    a, b = _floating(name, x1), _floating(name, x2)
    _common_shape(name, a.shape, b.shape)
    return _norm(a - b + eps, p, -1, bool(keepdim))


def normalize(x: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(‖x‖_p, eps) along `dim` (PyTorch's default dim=1: rows of a matrix), so each
    slice has norm 1 (a zero slice stays 0). p > 0 or math.inf.

    >>> normalize(Tensor([[3.0, 4.0], [0.0, 0.0]])).numpy()
    array([[0.6, 0.8],
           [0. , 0. ]], dtype=float32)
    """
    p, eps = checked_norm_order("normalize", p), _real("normalize", "eps", eps)
    x = _floating("normalize", x)
    (axis,) = _axes(dim, x.ndim, "normalize")
    norm = _norm(x, p, axis, True, eps)
    if overflowed(norm):
        # a norm beyond a float (float32 ‖(3e38, 3e38)‖), though x / ‖x‖ is not: those slices
        # are divided first by their largest |x|, s (x / max(‖x‖, eps) = y / max(‖y‖, eps/s)
        # for y = x/s); the others by 1
        s = np.where(np.isinf(norm.data), largest_magnitude(x.data, (axis,)), 1).astype(x.dtype)
        x = x / s
        norm = _norm(x, p, axis, True, eps / s)
    return x / norm


def _norm(x: Tensor, p: float, axis: int, keepdims: bool, floor: float | None = None
          ) -> Tensor:
    """‖x‖_p along `axis` (Tensor.norm: no power under- or overflows where the norm is a
    float, and a zero vector's norm 0 has slope 0, as PyTorch's), or max(‖x‖_p, floor)."""
    norm = x.norm(p, axis, keepdims)
    return norm if floor is None else norm.clip(min=floor)


def checked_norm_order(name: str, p: Any) -> float:
    """A norm's order p > 0 (math.inf: the largest |x|), or an error naming `name` (the
    function or the module).

    >>> checked_norm_order("PairwiseDistance", 0)
    Traceback (most recent call last):
    ValueError: PairwiseDistance: p must be > 0 (2 for Euclidean, 1 for Manhattan, ...), got 0.0
    """
    p = _real(name, "p", p)
    if not p > 0:
        raise ValueError(f"{name}: p must be > 0 (2 for Euclidean, 1 for Manhattan, math.inf "
                         f"for the largest difference), got {p}")
    return p


def _common_shape(name: str, a: tuple, b: tuple) -> tuple:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(f"{name}: x1 of shape {a} and x2 of shape {b} cannot be broadcast "
                         f"together") from None
