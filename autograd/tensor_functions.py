"""Functions over several tensors: matmul (`@`), einsum, concatenate, stack and where, and
PyTorch's flatten, tril and triu as functions. `autograd` exports them (`autograd.stack`), and
autograd.tensor too, where they were first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from . import graph
from .graph import apply
from .ops import Concatenate, Einsum, MatMul, Stack, Where
from .ops.elementwise import Condition
from .ops.linalg import einsum_spec, parse_einsum
from .pytorch_names import refuse_out
from .tensor_axes import _axes, _one_name
from .tensor_operands import _as_tensor, _promote, _refuse_value

if TYPE_CHECKING:
    from .tensor import Tensor
# `Tensor`, a global here as in tensor.py, is put into this module by autograd/tensor.py once
# the class exists (tensor.py imports this module to make it, so it cannot be imported back)


def matmul(a: Any, b: Any, *, out: Any = None) -> Tensor:
    """a @ b with numpy's rules (1-d operands, broadcast batch dimensions), and the dtype that
    `*` gives: an integer tensor with a float32 one is float32 (numpy's would be float64).
    PyTorch's `out=` is refused, saying what to write (`refuse_out`).

    >>> (Tensor([[0.5, 1.5]]) @ Tensor([[1, 2], [3, 4]])).dtype
    dtype('float32')
    """
    if out is not None:
        refuse_out("matmul", out)
    a, b = _as_tensor(a, "matmul"), _as_tensor(b, "matmul")
    if a.data.dtype != b.data.dtype:        # (one comparison when both are float32)
        a, b = _promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dim, got shapes {a.shape} "
                         f"and {b.shape} (use * for scalars)")
    k_a, k_b = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                         f"({k_a} != {k_b}){_alignment_hint(a.shape, b.shape)}")
    try:
        return apply(MatMul, (a, b), (a.requires_grad, b.requires_grad))
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} cannot "
                         f"be broadcast together") from None


def _alignment_hint(a: tuple, b: tuple) -> str:
    """What the lectures' shapes usually mean when a @ b does not line up: a 1-d x of N samples
    of one feature, or W x written for a batch X whose rows are the samples."""
    if len(a) == 1 and len(b) == 2 and b[0] == 1:
        return (f"; a 1-d left operand is one sample of {a[0]} features: for {a[0]} samples of "
                f"one feature make it a column, x.reshape(-1, 1)")
    if len(a) == 2 and len(b) == 2 and a[1] == b[1]:
        return (f"; both have {a[1]} columns: multiply along them with a @ b.T (X @ W.T for "
                f"samples as rows of X and W of shape (out, in), as Linear's weight)")
    return ""


def einsum(equation: str, *operands: Any) -> Tensor:
    """PyTorch's `torch.einsum`: sums of products named by letters, one letter per axis. A
    letter in two operands is multiplied along, one left out of the output (after `->`) is
    summed over; `...` stands for the axes not named (broadcast). Without `->` the output is
    the letters seen once, in alphabetical order. The operands may also come as one list.
    Each operand's gradient is an einsum of the upstream gradient with the other operands.

    >>> a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((3, 4)))
    >>> einsum("ij,jk->ik", a, b).shape, einsum("ij->", a).item()
    ((2, 4), 6.0)
    >>> q = Tensor(np.ones((8, 5, 16)))                     # attention's scores, per batch
    >>> einsum("btd,bsd->bts", q, q).shape
    (8, 5, 5)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    ts = _floats_joined(tuple(_as_tensor(x) for x in operands))
    inputs, output = parse_einsum(equation, [t.shape for t in ts])
    spec = einsum_spec(inputs, output, [t.shape for t in ts],
                       tuple(t.requires_grad for t in ts))
    try:
        return apply(Einsum, ts, spec)
    except ValueError as error:             # numpy names neither the op nor the shapes
        raise ValueError(f"einsum: {equation!r} does not fit the shapes "
                         f"{[t.shape for t in ts]} (a letter must have one length in every "
                         f"operand, or length 1); numpy says: {error}") from None


def _check_sequence(op: str, tensors: Any) -> None:
    """`concatenate(a, b)` for `concatenate([a, b])` would join the rows of `a` along axis `b`."""
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: takes a list of tensors and then the axis, got one "
                        f"{type(tensors).__name__} of shape {tensors.shape}; write "
                        f"{op}([a, b], axis=0)")


def _floats_joined(ts: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """Integer or bool tensors joined with float ones take the floats' dtype, as in PyTorch's
    cat and stack and in `_promote` (numpy would make int64 with float32 into float64)."""
    floats = [t.data.dtype for t in ts if t.data.dtype.kind == "f"]
    if not floats or len(floats) == len(ts):
        return ts
    dtype = np.result_type(*floats)
    return tuple(t if t.data.dtype.kind == "f" else Tensor(t.data.astype(dtype)) for t in ts)


def concatenate(tensors: Iterable[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (np.concatenate; PyTorch's `torch.cat(xs, dim=1)` is
    `concatenate(xs, dim=1)`).

    >>> concatenate([Tensor(np.ones((2, 3))), Tensor(np.zeros((2, 1)))], dim=1).shape
    (2, 4)
    """
    axis = _one_name("concatenate", "axis", axis, 0, "dim", dim)
    _check_sequence("concatenate", tensors)
    ts = tuple(_as_tensor(t, f"concatenate: tensors[{i}]")
               for i, t in enumerate(tensors))
    if not ts:
        raise ValueError("concatenate: needs at least one tensor")
    if any(t.ndim == 0 for t in ts):
        raise ValueError(f"concatenate: 0-d tensors have no axis to join along (shapes "
                         f"{[t.shape for t in ts]}); use stack to make a 1-d tensor of them")
    ts = _floats_joined(ts)
    (ax,) = _axes(axis, ts[0].ndim, "concatenate", ts[0].shape)
    for t in ts:
        if t.ndim != ts[0].ndim or t.shape[:ax] + t.shape[ax + 1:] != \
                ts[0].shape[:ax] + ts[0].shape[ax + 1:]:
            raise ValueError(f"concatenate: shapes {[t.shape for t in ts]} differ outside "
                             f"axis {axis}")
    return apply(Concatenate, ts, ax)


def stack(tensors: Iterable[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new axis (np.stack; PyTorch's `dim=` works too).

    >>> stack([Tensor(np.zeros(3)), Tensor(np.ones(3))], dim=1).shape
    (3, 2)
    """
    axis = _one_name("stack", "axis", axis, 0, "dim", dim)
    _check_sequence("stack", tensors)
    ts = tuple(_as_tensor(t, f"stack: tensors[{i}]") for i, t in enumerate(tensors))
    if not ts:
        raise ValueError("stack: needs at least one tensor")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack: all tensors need the same shape, got {[t.shape for t in ts]}")
    ts = _floats_joined(ts)
    (ax,) = _axes(axis, ts[0].ndim + 1, "stack")
    return apply(Stack, ts, ax)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """PyTorch's `torch.flatten(x, start_dim, end_dim)`: `input.flatten(start_dim, end_dim)`.

    >>> flatten(Tensor(np.zeros((4, 16, 5, 5))), 1).shape        # a batch of feature maps
    (4, 400)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"flatten: expected a Tensor, got {type(input).__name__} (for an array, "
                        f"use numpy's reshape)")
    return input.flatten(start_dim, end_dim)


def _wants_gradient(x: Any) -> bool:
    """Whether `x` is a Tensor whose gradient the graph is to work out."""
    return isinstance(x, Tensor) and x._fn is not None and graph.grad_mode.enabled


def _payload_of(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


_ONLY_CONDITION = object()                  # where(condition) with no a and b


def where(condition: Any, a: Any = _ONLY_CONDITION, b: Any = _ONLY_CONDITION) -> Any:
    """Elements of `a` where `condition` holds, else of `b` (condition gets no gradient).
    With the condition alone, PyTorch's `torch.where(condition)`: where it holds, one int64
    index tensor per axis (`condition.nonzero(as_tuple=True)`).

    >>> mask = Tensor([[0.0, 1.0], [2.0, 0.0]]) > 0
    >>> where(mask, Tensor([[1.0, 2.0], [3.0, 4.0]]), 0.0).tolist()
    [[0.0, 2.0], [3.0, 0.0]]
    >>> [axis.tolist() for axis in where(mask)]
    [[0, 1], [1, 0]]
    """
    if a is _ONLY_CONDITION or b is _ONLY_CONDITION:
        if a is not b:
            raise TypeError("where: takes the condition alone (the places where it holds) or "
                            "the condition and two tensors to pick from, got one tensor")
        return _as_tensor(condition, "where").nonzero(as_tuple=True)
    words = None
    if isinstance(condition, Condition):        # a condition the step pages can name
        condition, words = condition.mask, condition.words
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    try:
        if isinstance(b, Tensor) and not isinstance(a, Tensor):
            a = b._operand(a)               # a number takes the tensor's dtype, either side
        else:
            a = _as_tensor(a)
            b = a._operand(b)
    except TypeError as error:
        _refuse_value("where", error, a, b)
        raise
    if a.data.dtype != b.data.dtype:
        a, b = _promote(a, b, "where")
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} cannot be "
                         f"broadcast together") from None
    return apply(Where, (a, b), cond if words is None else Condition(cond, words))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """PyTorch's `torch.tril(x, diagonal)`: `input.tril(diagonal)`, the lower triangle.

    >>> from autograd import ones
    >>> tril(ones(3, 3)).tolist()          # the lecture's causal mask: row t sees 0, ..., t
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
    """
    return _as_tensor(input).tril(diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """PyTorch's `torch.triu(x, diagonal)`: `input.triu(diagonal)`, the upper triangle."""
    return _as_tensor(input).triu(diagonal)
