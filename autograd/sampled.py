"""PyTorch's functions of sampled data: differences (`diff`) and the trapezoid rule
(`trapezoid`, its old name `trapz`, and `cumulative_trapezoid`). Each is made of existing
differentiable ops (narrow, subtraction, products, sum, cumsum), so gradients reach the samples
`y` and, when it wants one, the sample points `x`: a physics student's integral of a model's
curve, differentiated with respect to the model's parameters.

>>> import autograd
>>> x = autograd.linspace(0.0, 1.0, 5, dtype=autograd.float64)
>>> autograd.trapezoid(x ** 2, x).item()                 # ∫₀¹ x² dx = 1/3, to O(h²)
0.34375
>>> autograd.diff(autograd.tensor([1.0, 4.0, 9.0, 16.0])).tolist()
[3.0, 5.0, 7.0]
"""

from __future__ import annotations

import numbers
from typing import Any

from .tensor import Tensor, _as_tensor, _axes, _one_int, concatenate


def _steps(t: Tensor, axis: int) -> tuple[Tensor, Tensor]:
    """t without its first and without its last element along `axis` (the right and left ends
    of each interval)."""
    n = t.shape[axis]
    k = max(n - 1, 0)                       # (no interval at all: two empty pieces)
    return t.narrow(axis, n - k, k), t.narrow(axis, 0, k)


def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None,
         append: Any = None) -> Tensor:
    """PyTorch's `torch.diff(t, n=1, dim=-1, prepend=None, append=None)`: the differences of
    neighbours along `dim`, t[i + 1] - t[i], taken `n` times, after `prepend` and `append` are
    joined to t's ends along `dim` (they match t's shape elsewhere). Bools give `!=` (PyTorch's
    logical xor).

    >>> diff(Tensor([1.0, 4.0, 9.0, 16.0]), n=2).tolist()
    [2.0, 2.0]
    >>> diff(Tensor([[1.0, 2.0], [4.0, 8.0]]), dim=0).tolist()
    [[3.0, 6.0]]
    """
    t = _as_tensor(input, "diff")
    n = _one_int("diff", "n", n)
    if n < 0:
        raise ValueError(f"diff: n must be 0 or more, got {n}")
    if t.ndim == 0:
        raise ValueError("diff: a 0-d tensor has no neighbours to subtract; give a 1-d one")
    (axis,) = _axes(dim, t.ndim, "diff", t.shape)
    ends = {name: _as_tensor(end, "diff") for name, end in (("prepend", prepend),
                                                           ("append", append)) if end is not None}
    for name, end in ends.items():          # (said here: concatenate would name its own axis)
        if end.ndim != t.ndim or any(a != b for i, (a, b) in enumerate(zip(end.shape, t.shape))
                                     if i != axis):
            raise ValueError(f"diff: {name} must have the input's shape {t.shape} except "
                             f"along dim {dim}, got shape {end.shape}")
    if ends:
        parts = [ends.get("prepend"), t, ends.get("append")]
        t = concatenate([part for part in parts if part is not None], dim=axis)
    if n == 0:
        return t.clone() if not ends else t     # a new tensor, as PyTorch's: never x itself
    for _ in range(n):
        right, left = _steps(t, axis)
        t = right != left if t.data.dtype.kind == "b" else right - left
    return t


def _intervals(y: Tensor, x: Any, dx: Any, axis: int, op: str) -> Any:
    """The widths of the intervals between samples along `axis`: a number (`dx`, 1 unless
    given) or a tensor that broadcasts against y's intervals (from the sample points `x`)."""
    if x is None:
        if dx is None:
            return 1
        if not isinstance(dx, numbers.Real):
            raise TypeError(f"{op}: dx is the spacing, a number, got {type(dx).__name__}; "
                            f"sample points go in x: {op}(y, x)")
        return dx
    if dx is not None:
        raise TypeError(f"{op}: give the sample points x or the spacing dx, not both")
    if isinstance(x, numbers.Number):
        raise TypeError(f"{op}: x is the sample points (a tensor), got the number {x!r}; a "
                        f"spacing is {op}(y, dx={x!r})")
    x = y._operand(x) if not isinstance(x, Tensor) else x
    if x.ndim == 1:
        if x.shape[0] != y.shape[axis]:
            raise ValueError(f"{op}: x has {x.shape[0]} sample points, y has {y.shape[axis]} "
                             f"samples along dim {axis} (shape {y.shape}): one x per sample")
        x = x.reshape([-1 if a == axis else 1 for a in range(y.ndim)])
        return diff(x, dim=axis)
    if x.ndim != y.ndim:
        raise ValueError(f"{op}: x of shape {x.shape} is neither 1-d nor of y's {y.ndim} dims "
                         f"(shape {y.shape})")
    return diff(x, dim=axis)


def _trapezoids(op: str, y: Any, x: Any, dx: Any, dim: int) -> tuple[Tensor, int]:
    """The area of each interval's trapezoid, (y[i] + y[i + 1]) / 2 · width, and the axis."""
    y = _as_tensor(y, op)
    if y.ndim == 0:
        raise ValueError(f"{op}: y is 0-d; give the samples as a 1-d tensor (or more dims)")
    (axis,) = _axes(dim, y.ndim, op, y.shape)
    right, left = _steps(y, axis)
    return (right + left) * _intervals(y, x, dx, axis, op) / 2, axis


def trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """PyTorch's `torch.trapezoid(y, x, dim=-1)` or `torch.trapezoid(y, dx=1, dim=-1)`: the
    trapezoid rule along `dim`, Σ (y[i] + y[i + 1]) / 2 · (x[i + 1] - x[i]). `x` is 1-d (one
    point per sample along `dim`) or has y's dims; fewer than two samples give 0. Integer
    samples give the default float dtype.

    >>> trapezoid(Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 2.0]]), dx=0.5).tolist()
    [2.0, 0.5]
    """
    areas, axis = _trapezoids("trapezoid", y, x, dx, dim)
    return areas.sum(dim=axis)


def trapz(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """PyTorch's older name for `trapezoid`, with the same arguments."""
    areas, axis = _trapezoids("trapz", y, x, dx, dim)
    return areas.sum(dim=axis)


def cumulative_trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """PyTorch's `torch.cumulative_trapezoid`: the running trapezoid rule along `dim`, element
    i the integral from the first sample to sample i + 1 (one fewer element than y along dim).

    >>> cumulative_trapezoid(Tensor([0.0, 1.0, 2.0, 3.0])).tolist()      # ∫ x dx = x²/2
    [0.5, 2.0, 4.5]
    """
    areas, axis = _trapezoids("cumulative_trapezoid", y, x, dx, dim)
    return areas.cumsum(dim=axis)
