"""PyTorch's functions of sampled data: differences (`diff`), derivatives by differences
(`gradient`: an image's slopes along its rows and columns) and the trapezoid rule (`trapezoid`,
its old name `trapz`, and `cumulative_trapezoid`). Each is made of existing differentiable ops
(narrow, subtraction, products, sum, cumsum, cat), so gradients reach the samples `y` and, when
it wants one, the sample points `x`: a physics student's integral of a model's curve,
differentiated with respect to the model's parameters.

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

from .tensor import Tensor, _as_tensor, _axes, _one_int, concatenate, get_default_dtype


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


def gradient(input: Any, *, spacing: Any = 1, dim: Any = None, edge_order: int = 1
             ) -> tuple[Tensor, ...]:
    """PyTorch's `torch.gradient`: the derivative of samples along each dim in `dim` (all of
    them by default), one tensor per dim, by central differences inside, (f[i+1] - f[i-1]) / 2h,
    and one-sided ones at the two ends (first order, or second with edge_order=2). `spacing`
    is the distance between samples: one number for every dim, a list of one per dim, or a
    list of 1-d tensors of the sample points (unevenly spaced: numpy's second-order formula;
    the result is differentiable in them too). Integers give the default float dtype.

    >>> [g.tolist() for g in gradient(Tensor([[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]]))]
    [[[1.0, 2.0, 4.0], [1.0, 2.0, 4.0]], [[1.0, 1.5, 2.0], [2.0, 3.0, 4.0]]]
    >>> gradient(Tensor([0.0, 1.0, 4.0, 9.0]), spacing=[Tensor([0.0, 1.0, 2.0, 3.0])],
    ...          edge_order=2)[0].tolist()                      # x² at x = 0..3: 2x
    [0.0, 2.0, 4.0, 6.0]
    """
    name = "gradient"
    f = _as_tensor(input, name)
    if f.data.dtype.kind in "biu":
        f = f.astype(get_default_dtype())
    if f.ndim == 0:                                 # (PyTorch's: no dims, no slopes)
        return ()
    every = dim is None
    dims = range(f.ndim) if every else dim if isinstance(dim, (list, tuple)) else [dim]
    # one result per dim, in the order given (_axes would sort them)
    axes = [_axes(_one_int(name, "dim", d), f.ndim, name, f.shape)[0] for d in dims]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: dim {dim} names a dim twice")
    if not isinstance(edge_order, numbers.Integral) or edge_order not in (1, 2):
        raise ValueError(f"{name}: edge_order must be 1 or 2, got {edge_order!r}")
    if isinstance(spacing, Tensor) and spacing.ndim:
        raise TypeError(f"{name}: sample points go in a list, one tensor per dim: spacing=[x] "
                        f"(or [x, y] for two dims), got a tensor of shape {spacing.shape}")
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(axes):
            wanted = (f"the tensor's {f.ndim} dims" if every else
                      f"the {len(axes)} dim{'s' if len(axes) != 1 else ''} in dim")
            raise ValueError(f"{name}: spacing is a list of {len(spacing)}; give one number, "
                             f"or one spacing per dim ({wanted})")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(axes)
    slopes = []
    for axis, step in zip(axes, spacings):
        if f.shape[axis] < edge_order + 1:
            raise ValueError(f"{name}: dim {axis} has {f.shape[axis]} samples (shape {f.shape});"
                             f" edge_order={edge_order} needs at least {edge_order + 1}")
        slopes.append(_slope(f, axis, _spacing(f, axis, step), edge_order))
    return tuple(slopes)


def _spacing(f: Tensor, axis: int, step: Any) -> Any:
    """A dim's spacing: a number, or its sample points' differences as a tensor shaped to
    broadcast along `axis`."""
    if isinstance(step, Tensor) and step.ndim == 0:
        step = step.item()
    if isinstance(step, numbers.Real) and not isinstance(step, bool):
        return float(step)
    points = step if isinstance(step, Tensor) else None
    if points is None or points.ndim != 1 or points.shape[0] != f.shape[axis]:
        what = f"shape {points.shape}" if points is not None else type(step).__name__
        raise ValueError(f"gradient: a spacing is a number or a 1-d tensor of the sample points "
                         f"along its dim, {f.shape[axis]} of them for dim {axis} (shape "
                         f"{f.shape}), got {what}")
    return diff(points.astype(f.dtype).reshape([-1 if a == axis else 1 for a in range(f.ndim)]),
                dim=axis)


def _slope(f: Tensor, axis: int, h: Any, edge_order: int) -> Tensor:
    """The derivative along `axis` of samples `f` a spacing `h` apart (a number, or the
    intervals as a tensor along `axis`), as numpy's gradient takes it."""
    n = f.shape[axis]

    def at(start: int, length: int) -> Any:
        return f.narrow(axis, start % n, length)

    def width(start: int, length: int = 1) -> Any:
        return h if isinstance(h, float) else h.narrow(axis, start % (n - 1), length)

    if isinstance(h, float):
        inside = (at(2, n - 2) - at(0, n - 2)) / (2 * h)
    else:                   # h_(i-1) = left, h_i = right: exact for a parabola through 3 points
        left, right = width(0, n - 2), width(1, n - 2)
        inside = (left ** 2 * at(2, n - 2) - right ** 2 * at(0, n - 2)
                  + (right ** 2 - left ** 2) * at(1, n - 2)) / (left * right * (left + right))
    if edge_order == 1:
        first = (at(1, 1) - at(0, 1)) / width(0)
        last = (at(-1, 1) - at(-2, 1)) / width(-1)
    else:                   # the parabola through the three samples at each end
        a, b = width(0), width(1)
        first = (-(2 * a + b) * b * at(0, 1) + (a + b) ** 2 * at(1, 1)
                 - a ** 2 * at(2, 1)) / (a * b * (a + b))
        a, b = width(-2), width(-1)
        last = (b ** 2 * at(-3, 1) - (a + b) ** 2 * at(-2, 1)
                + (2 * b + a) * a * at(-1, 1)) / (a * b * (a + b))
    return concatenate([first, inside, last], dim=axis)


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
