"""Matrix product, with numpy's rules for 1-d operands and batch broadcasting; einsum; the
matrix exponential and the solution of a linear system (`autograd.linalg`).

    C = A @ B:   dL/dA = G @ Bᵀ,   dL/dB = Aᵀ @ G

ctx says which inputs need a gradient, so that a data matrix X in X @ W costs no G @ Wᵀ.

    out = einsum("ij,jk->ik", A, B):   dL/dA = einsum("ik,jk->ij", G, B)

each operand's gradient is the einsum of G with the other operands, written to that operand's
subscripts (see `Einsum`).

    E = exp(A):     dL/dA = the upper-right block of exp([[Aᵀ, G], [0, Aᵀ]])
    X = A⁻¹ B:      dL/dB = A⁻ᵀ G,   dL/dA = −(A⁻ᵀ G) Xᵀ
"""

from __future__ import annotations

import math
import string
from typing import Any, NamedTuple

import numpy as np

from ..broadcast import unbroadcast
from ..graph import Node, Op, apply
from .payload_math import broadcast_to
from .shape import Concatenate


def _swap(m):
    return m.swapaxes(-1, -2)


class MatMul(Op):
    """a @ b;  grads G @ bᵀ and aᵀ @ G (1-d operands are treated as a row / a column)"""
    name, broadcasting = "matmul", True        # batch dimensions broadcast

    @staticmethod
    def forward(ctx, a, b):
        return a @ b

    @staticmethod
    def backward(needs, g, out, a, b):
        need_a, need_b = needs
        a_row, b_col = a.ndim == 1, b.ndim == 1
        if a_row and b_col:                                      # dot product
            return (g * b if need_a else None), (g * a if need_b else None)
        if a_row:                                                # (k,) -> (1, k)
            a, g = a.reshape((1,) + a.shape), g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        if b_col:                                                # (k,) -> (k, 1)
            b, g = b.reshape(b.shape + (1,)), g.reshape(g.shape + (1,))
        ga = gb = None
        if need_a:
            ga = g @ _swap(b)
            if a_row:
                ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if need_b:
            gb = _swap(a) @ g
            if b_col:
                gb = gb.reshape(gb.shape[:-1])
        return ga, gb


class EinsumSpec(NamedTuple):
    """An einsum, explicit: one string of letters per operand, the output's letters, which
    operands need a gradient, and whether numpy should plan the contraction order."""
    inputs: tuple
    output: str
    needs: tuple
    optimize: bool

    @property
    def equation(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


# np.einsum(optimize=True) finds a contraction order and hands pairs to BLAS, for a fixed cost
# of ~15 µs; its plain loop costs ~0.3 ns per multiply-add. So plan for three or more operands,
# or when the plain loop would do more than ~50,000 multiply-adds (measured:
# docs/measurements.md#linalg).
_PLAN_FROM = 50_000


def einsum_spec(inputs: tuple, output: str, shapes: list, needs: tuple) -> EinsumSpec:
    """The spec for explicit subscripts (checked already), with `optimize` decided from the
    size of the plain loop: the product of every label's length."""
    sizes: dict[str, int] = {}
    for letters, shape in zip(inputs, shapes):
        for label, n in zip(letters, shape):
            sizes[label] = max(sizes.get(label, 1), n)
    plan = len(inputs) > 2 or math.prod(sizes.values()) > _PLAN_FROM
    return EinsumSpec(tuple(inputs), output, tuple(needs), plan)


def parse_einsum(equation: str, shapes: list) -> tuple[tuple, str]:
    """PyTorch's einsum equation made explicit: each operand's letters (an ellipsis replaced
    by unused letters, one per axis it covers, aligned from the right), and the output's (in
    implicit mode, the letters seen once, in order, after the ellipsis's). As in PyTorch, an
    ellipsis left out of an explicit output is summed over.

    >>> parse_einsum("...ij,jk", [(5, 2, 3), (3, 4)])
    (('Aij', 'jk'), 'Aik')
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string such as 'ij,jk->ik', got "
                        f"{type(equation).__name__}")
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    if "->" in out:
        raise ValueError(f"einsum: {equation!r} has more than one '->'")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {equation!r} names {len(terms)} operand(s), got "
                         f"{len(shapes)} tensor(s)")
    letters = set(string.ascii_letters)
    spare = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in eq]
    widths = []                 # how many axes each operand's ellipsis covers (None: none)
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = term.replace("...", "", 1)
        if not set(named) <= letters:
            raise ValueError(f"einsum: operand {i}'s subscripts {term!r} may hold letters and "
                             f"one '...' only")
        if "..." in term:
            if len(shape) < len(named):
                raise ValueError(f"einsum: operand {i} has subscripts {term!r} for at least "
                                 f"{len(named)} dims, but its shape is {shape}")
            widths.append(len(shape) - len(named))
        elif len(named) != len(shape):
            raise ValueError(f"einsum: operand {i} has subscripts {term!r} for {len(named)} "
                             f"dim(s), but its shape is {shape} (write '...' for the others)")
        else:
            widths.append(None)
    width = max((w for w in widths if w is not None), default=0)
    if width > len(spare):
        raise ValueError(f"einsum: too many dims under '...' in {equation!r}")
    ellipsis = "".join(spare[:width])
    inputs = tuple(term if w is None else term.replace("...", ellipsis[width - w:])
                   for term, w in zip(terms, widths))
    if arrow:
        if not set(out.replace("...", "", 1)) <= letters:
            raise ValueError(f"einsum: the output's subscripts {out!r} may hold letters and "
                             f"one '...' only")
        output = out.replace("...", ellipsis)
        seen = "".join(inputs)
        for label in output:
            if output.count(label) > 1:
                raise ValueError(f"einsum: the output's subscripts {out!r} repeat {label!r}")
            if label not in seen:
                raise ValueError(f"einsum: the output's subscript {label!r} is in no operand "
                                 f"of {equation!r}")
    else:
        named = "".join(terms).replace("...", "")
        output = ellipsis + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return inputs, output


class Einsum(Op):
    """np.einsum(equation, *xs) (ctx: an EinsumSpec);  operand i's gradient is the einsum of g
    with the other operands, written to operand i's subscripts"""
    # Two things more than that: a label that appears in operand i alone (summed over there,
    # as j in "ij->i") gets g copied along it; and a label repeated within operand i (the
    # diagonal "ii->i", the trace "ii->") gets a new letter tied to the first by an identity
    # matrix, since d x_ii / d x_ab = δ_ab: "ii->i" has the gradient einsum("i,ia->ia", g, I).
    name = "einsum"

    @staticmethod
    def forward(spec, *xs):
        return np.einsum(spec.equation, *xs, optimize=spec.optimize)

    @staticmethod
    def backward(spec, g, out, *xs):
        return tuple(_operand_grad(spec, i, g, xs) if need else None
                     for i, need in enumerate(spec.needs))


def _operand_grad(spec: EinsumSpec, i: int, g: Any, xs: tuple) -> Any:
    x = xs[i]
    shape = x.shape
    used = set("".join(spec.inputs) + spec.output)
    spare = (c for c in string.ascii_letters if c not in used)
    target, ties, seen = [], [], set()
    for label, n in zip(spec.inputs[i], shape):
        if label in seen:                           # a repeat: a new letter, tied by I
            new = next(spare)
            ties.append((label + new, n))
            target.append(new)
        else:
            seen.add(label)
            target.append(label)
    others = [j for j in range(len(xs)) if j != i]
    terms = [spec.output] + [spec.inputs[j] for j in others] + [t for t, _ in ties]
    present = set("".join(terms))
    kept = "".join(label for label in target if label in present)
    operands = [g] + [xs[j] for j in others] + [np.eye(n, dtype=x.dtype) for _, n in ties]
    grad = _einsum(tuple(terms), kept, operands)
    if len(kept) < len(target):                     # labels of operand i alone: copy g along
        grad = grad.reshape(tuple(grad.shape[kept.index(label)] if label in kept else 1
                                  for label in target))
    # where operand i had length 1 and was broadcast, sum (as for any broadcast operand);
    # where it is longer than what the others gave (they had length 1), copy
    grad = unbroadcast(grad, tuple(1 if n == 1 else m for n, m in zip(shape, grad.shape)),
                       "einsum")
    return grad if grad.shape == shape else broadcast_to(grad, shape)


def _einsum(inputs: tuple, output: str, operands: list) -> Any:
    """einsum on arrays, or recorded as an Einsum node when an operand is a node (higher
    order: the gradient can be differentiated again)."""
    shapes = [x.shape for x in operands]
    like = next((x for x in operands if isinstance(x, Node)), None)
    if like is None:
        spec = einsum_spec(inputs, output, shapes, (False,) * len(operands))
        return np.einsum(spec.equation, *operands, optimize=spec.optimize)
    nodes = tuple(x if isinstance(x, Node) else like._constant_like(x, like) for x in operands)
    spec = einsum_spec(inputs, output, shapes, tuple(x.requires_grad for x in nodes))
    return apply(Einsum, nodes, spec)


class MatrixExp(Op):
    """exp(A) = Σ Aᵏ/k! of each square matrix (..., n, n);  dL/dA = the upper-right n × n
    block of exp([[Aᵀ, G], [0, Aᵀ]])"""
    name = "matrix_exp"

    @staticmethod
    def forward(ctx, a):
        if a.ndim == 2:
            return expm(a)
        flat = a.reshape((-1,) + a.shape[-2:])
        return np.stack([expm(m) for m in flat]).reshape(a.shape)

    @staticmethod
    def backward(ctx, g, out, a):
        n = a.shape[-1]
        a_t = _swap(a)
        if isinstance(g, Node):             # a higher-order pass: the same, recorded
            cols, rows = a.ndim - 1, a.ndim - 2     # (Concatenate takes an axis >= 0)
            top = apply(Concatenate, (a_t, g), cols)
            bottom = apply(Concatenate, (a_t * 0.0, a_t), cols)
            block = apply(MatrixExp, (apply(Concatenate, (top, bottom), rows),))
        else:
            block = MatrixExp.forward(None, np.concatenate(
                [np.concatenate([a_t, g], -1), np.concatenate([np.zeros_like(a_t), a_t], -1)],
                -2))
        return (block[..., :n, n:],)


def expm(a: np.ndarray) -> np.ndarray:
    """exp(a) of one square matrix by scaling and squaring: the Taylor series of a / 2ˢ (norm
    below 1/2, where 20 terms are exact to rounding), squared s times."""
    norm = float(np.abs(a).sum(axis=0).max()) if a.size else 0.0
    s = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0 else 0
    scaled = a / 2.0 ** s
    term, total = np.eye(a.shape[0], dtype=a.dtype), np.eye(a.shape[0], dtype=a.dtype)
    for k in range(1, 20):
        term = term @ scaled / k
        total = total + term
    for _ in range(s):
        total = total @ total
    return total


class Solve(Op):
    """X = A⁻¹ B for square A (..., n, n) and B (..., n, k), batch axes broadcast;
    dL/dB = A⁻ᵀ G,  dL/dA = −(A⁻ᵀ G) Xᵀ"""
    name, broadcasting = "solve", True      # batch dimensions broadcast

    @staticmethod
    def forward(ctx, a, b):
        return np.linalg.solve(a, b)

    @staticmethod
    def backward(ctx, g, out, a, b):
        if isinstance(g, Node):             # a higher-order pass: the same, recorded
            grad_b = apply(Solve, (_swap(a), g))
        else:
            grad_b = np.linalg.solve(_swap(a), g)
        return -(grad_b @ _swap(out)), grad_b
