"""Matrix product, with numpy's rules for 1-d operands and batch broadcasting; einsum; the
matrix exponential, the solution of a linear system, and the inverse, determinant, Cholesky
factor, symmetric eigendecomposition, singular value decomposition, triangular solve and
pseudo-inverse (`autograd.linalg`).

    C = A @ B:   dL/dA = G @ Bᵀ,   dL/dB = Aᵀ @ G

ctx says which inputs need a gradient, so that a data matrix X in X @ W costs no G @ Wᵀ.

    out = einsum("ij,jk->ik", A, B):   dL/dA = einsum("ik,jk->ij", G, B)

each operand's gradient is the einsum of G with the other operands, written to that operand's
subscripts (see `Einsum`).

    E = exp(A):     dL/dA = the upper-right block of exp([[Aᵀ, G], [0, Aᵀ]])
    X = A⁻¹ B:      dL/dB = A⁻ᵀ G,   dL/dA = −(A⁻ᵀ G) Xᵀ  (A triangular: on its triangle)
    X = A⁻¹:        dL/dA = −Xᵀ G Xᵀ
    d = det A:      dL/dA = g d A⁻ᵀ  (the cofactor matrix times g; see `cofactor_matrix`)
    log|det A|:     dL/dA = g A⁻ᵀ
    A = L Lᵀ:       dL/dA = sym(L⁻ᵀ Φ(Lᵀ G) L⁻¹),  Φ: the lower triangle, its diagonal halved
    A = V Λ Vᵀ:     dL/dA = V (diag(g_λ) + F ∘ skew(Vᵀ G_V)) Vᵀ,  F_ij = 1/(λ_j − λ_i)
    A = U S Vᵀ:     see `Svd` (F_ij = 1/(s_j² − s_i²), and terms in S⁻¹ for m ≠ n)
    X = A⁺:         dL/dA = −Xᵀ G Xᵀ + (I − A X) Gᵀ X Xᵀ + Xᵀ X Gᵀ (I − X A)

sym(M) = (M + Mᵀ)/2 and skew(M) = (M − Mᵀ)/2. Cholesky's and eigh's take A as symmetric (only one
triangle is read), so their gradient is symmetric, as PyTorch's: a change of A_ij and A_ji
together is what the factor sees.
"""

from __future__ import annotations

import math
import string
from typing import Any, NamedTuple

import numpy as np

from ..broadcast import unbroadcast
from ..graph import Node, Op, apply, needs_and, raw
from ..linalg_errors import LinAlgError
from .payload_math import broadcast_to, matmul
from .shape import Concatenate


def _swap(m):
    return m.swapaxes(-1, -2)


class MatMul(Op):
    """a @ b;  grads G @ bᵀ and aᵀ @ G (1-d operands are treated as a row / a column)"""
    name, broadcasting = "matmul", True        # batch dimensions broadcast

    @staticmethod
    def forward(ctx, a, b):
        return matmul(a, b)                 # (an outer product through BLAS)

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
            ga = matmul(g, _swap(b))
            if a_row:
                ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if need_b:
            gb = matmul(_swap(a), g)
            if b_col:
                gb = gb.reshape(gb.shape[:-1])
        return ga, gb

    narrow = staticmethod(needs_and)        # (ctx is the needs flags: Op.narrow)


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

    @staticmethod
    def narrow(spec, needs):
        return spec._replace(needs=needs_and(spec.needs, needs))


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
        return expm(a)

    @staticmethod
    def backward(ctx, g, out, a):
        # That block is linear in G, and expm scales a matrix down by its norm: a G much
        # larger than A would only add squarings (slower, and each rounds). So G is shrunk by
        # a power of 2 (exact) to below A's norm, and the block grown back by as much.
        shrink = _shrink_below(raw(g), raw(a))
        g = g * shrink
        n = a.shape[-1]
        a_t = _swap(a)
        if isinstance(g, Node):             # a higher-order pass: the same, recorded
            cols, rows = a.ndim - 1, a.ndim - 2     # (Concatenate takes an axis >= 0)
            top = apply(Concatenate, (a_t, g), cols)
            bottom = apply(Concatenate, (a_t * 0.0, a_t), cols)
            block = apply(MatrixExp, (apply(Concatenate, (top, bottom), rows),))
        else:
            block = expm(np.concatenate(
                [np.concatenate([a_t, g], -1), np.concatenate([np.zeros_like(a_t), a_t], -1)],
                -2))
        return (block[..., :n, n:] / shrink,)


def expm(a: np.ndarray) -> np.ndarray:
    """exp(a) of a square matrix, or of each in a batch (..., n, n), all in one numpy pass.

    Scaling and squaring: exp(A) = exp(A / 2ˢ) squared s times. Each matrix gets its own s,
    the smallest that brings its norm ‖A / 2ˢ‖₁ to at most 1 (so a batch of small matrices
    with one large one among them squares only that one); all of them share one Taylor
    polynomial, of the lowest degree that is exact to rounding at the batch's largest scaled
    norm (`taylor_degree`). Step j of the squaring squares the matrices whose s is above j.
    The work is done in float64, and a float32 batch rounded once at the end: the squarings
    carry each step's rounding forward, and in float32 that showed (exp of a skew-symmetric
    matrix, meant to be orthogonal, was less so than PyTorch's).

    >>> expm(np.array([[0.0, 1.0], [0.0, 0.0]])).tolist()      # nilpotent: exp(A) = I + A
    [[1.0, 1.0], [0.0, 1.0]]
    """
    n = a.shape[-1]
    if a.size == 0:
        return np.zeros_like(a)
    work = np.promote_types(a.dtype, np.float64)
    flat = a.reshape((-1, n, n)).astype(work)
    norms = _norm1(flat)
    _, s = np.frexp(norms)                      # ‖A‖₁ = f·2ˢ with 1/2 ≤ f < 1
    s = np.maximum(s, 0)
    order = np.argsort(-s, kind="stable")       # most squarings first: those still to square
    flat, norms, s = flat[order], norms[order], s[order]    # at any step are the first few
    down = np.ldexp(1.0, -s)                    # 1/2ˢ: a power of 2, so A/2ˢ is exact
    # the largest scaled norm is at most 1, unless a holds NaN or inf (a gradient may): then
    # the full degree, and the NaNs spread to that matrix's result only
    largest = float((norms * down).max())
    degree = taylor_degree(largest if largest <= 1 else 1.0, float(np.finfo(work).eps) / 2)
    result = taylor_polynomial(flat * down[:, None, None], degree)
    for step in range(s[0]):
        count = np.count_nonzero(s > step)
        result[:count] = result[:count] @ result[:count]
    result = result[np.argsort(order)]          # back in the batch's order
    return result.reshape(a.shape).astype(a.dtype, copy=False)


def taylor_degree(norm: float, rounding: float) -> int:
    """The lowest degree m at which exp's Taylor polynomial I + X + ... + Xᵐ/m! is within
    `rounding` (relatively) of exp(X), for any X of ‖X‖ ≤ norm ≤ 1.

    The rest of the series is at most r^(m+1)/(m+1)! (1 + r/(m+2) + ...) ≤ 2 r^(m+1)/(m+1)!,
    and ‖exp(X)‖ ≥ 1/‖exp(-X)‖ ≥ e⁻ʳ, so relatively it is below 6 r^(m+1)/(m+1)!.

    >>> taylor_degree(1.0, 2.0 ** -53), taylor_degree(0.25, 2.0 ** -53), taylor_degree(0.0, 1e-16)
    (18, 12, 0)
    """
    degree, rest = 0, norm                  # rest = r^(m+1)/(m+1)!
    while 6 * rest > rounding:
        degree += 1
        rest *= norm / (degree + 1)
    return degree


def taylor_polynomial(x: np.ndarray, degree: int) -> np.ndarray:
    """I + X + X²/2! + ... + Xᵐ/m! (m = degree) of each matrix X in x (k, n, n).

    Paterson and Stockmeyer's way, with about 2√m matrix products instead of Horner's m: with
    the powers I, X, ..., X^q at hand (q ≈ √m), the polynomial is one in X^q whose
    coefficients are sums of those powers, B₀ + B₁ X^q + B₂ X^2q + ...; Horner's rule in X^q
    then multiplies m/q times.

    >>> x = np.array([[[0.0, 2.0], [0.0, 0.0]]])
    >>> taylor_polynomial(x, 5).tolist()
    [[[1.0, 2.0], [0.0, 1.0]]]
    """
    q = max(1, math.isqrt(degree))
    powers = np.empty((q + 1,) + x.shape, dtype=x.dtype)    # I, X, X², ..., X^q
    powers[0], powers[1] = np.eye(x.shape[-1]), x
    for i in range(2, q + 1):
        np.matmul(powers[i - 1], x, out=powers[i])
    coefficients = [1.0 / math.factorial(k) for k in range(degree + 1)]
    result = None
    for j in reversed(range(degree // q + 1)):
        c = coefficients[j * q:(j + 1) * q]                 # B_j = Σᵢ Xⁱ/(jq + i)!, i < q
        block = np.tensordot(c, powers[:len(c)], axes=1)
        result = block if result is None else result @ powers[q] + block
    return result


def _norm1(a: np.ndarray) -> np.ndarray:
    """‖A‖₁, the largest sum of |entries| down a column, of each matrix in a (..., n, n)."""
    column_sums = np.ones(a.shape[-1], dtype=a.dtype) @ np.abs(a)   # (2× faster than .sum)
    return column_sums.max(axis=-1, initial=0.0)


def _shrink_below(g: np.ndarray, a: np.ndarray) -> np.ndarray:
    """A power of 2 for each matrix, 2⁻ᵏ with k ≥ 0 the least for which ‖2⁻ᵏ G‖₁ < max(‖A‖₁, 1),
    shaped (..., 1, 1) to multiply G by."""
    _, g_exponent = np.frexp(_norm1(g))                     # ‖G‖₁ < 2^g_exponent
    _, a_exponent = np.frexp(np.maximum(_norm1(a), 1.0))    # max(‖A‖₁, 1) ≥ 2^(a_exponent-1)
    k = np.maximum(g_exponent - a_exponent + 1, 0)
    return np.ldexp(np.ones(k.shape, dtype=g.dtype), -k)[..., None, None]


class Solve(Op):
    """X = A⁻¹ B for square A (..., n, n) and B (..., n, k), batch axes broadcast;
    dL/dB = A⁻ᵀ G,  dL/dA = −(A⁻ᵀ G) Xᵀ"""
    name, broadcasting = "solve", True      # batch dimensions broadcast

    @staticmethod
    def forward(ctx, a, b):
        return solve_matrices(a, b)

    @staticmethod
    def backward(ctx, g, out, a, b):
        if isinstance(g, Node):             # a higher-order pass: the same, recorded
            grad_b = apply(Solve, (_swap(a), g))
        else:
            grad_b = solve_matrices(_swap(a), g)
        return -(grad_b @ _swap(out)), grad_b


def solve_matrices(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.linalg.solve(a, b) with b (..., n, k) always a (batch of) matrices: numpy before 2.0
    took a b of one axis fewer than a as a batch of vectors, so a (1, 2, 2) and b (2, 2)
    solved two vectors instead of one matrix (a wrong answer, silently); b gets leading axes
    of length 1 up to a's number of axes."""
    if b.ndim < a.ndim:
        b = b.reshape((1,) * (a.ndim - b.ndim) + b.shape)
    return np.linalg.solve(a, b)


def triangle(a: np.ndarray, upper: bool, unitriangular: bool) -> np.ndarray:
    """The triangle of each matrix (..., n, n) that a triangular solve reads: the upper one
    (with the diagonal) or the lower one; unitriangular: with 1 on the diagonal instead."""
    mask = triangle_mask(a.shape[-1], upper, unitriangular, a.dtype)
    return a * mask + np.eye(a.shape[-1], dtype=a.dtype) if unitriangular else a * mask


def triangle_mask(n: int, upper: bool, unitriangular: bool, dtype: Any) -> np.ndarray:
    """Ones where a triangular solve reads A (the diagonal too unless unitriangular), else 0."""
    ones = np.ones((n, n), dtype=dtype)
    shift = 1 if unitriangular else 0
    return np.triu(ones, shift) if upper else np.tril(ones, -shift)


#: the order up to which solve_triangle hands a triangle to LAPACK's LU whole
TRIANGLE_BLOCK = 64


def solve_triangle(a: np.ndarray, b: np.ndarray, upper: bool,
                   unitriangular: bool = False) -> np.ndarray:
    """A⁻¹ B for the triangle of each A (..., n, n) that `triangle` reads, B (..., n, k), batch
    axes broadcast. numpy has no triangular solver (scipy is no dependency), and LAPACK's LU
    of the whole triangle costs O(n³) even for one column: so the triangle is cut in two,
    [[A₁₁, 0], [A₂₁, A₂₂]] X = B gives X₁ = A₁₁⁻¹ B₁, X₂ = A₂₂⁻¹ (B₂ − A₂₁ X₁) (the upper
    one from the bottom up), down to blocks of TRIANGLE_BLOCK rows, each solved by LU. The
    work is then matrix products: O(n² k) (GP regression at n = 1000, a vector: 25 → 1 ms)."""
    n = a.shape[-1]
    if n <= TRIANGLE_BLOCK:
        return solve_matrices(triangle(a, upper, unitriangular), b)
    h = n // 2                              # upper: the last rows first
    first, then = (slice(h, None), slice(None, h)) if upper else (slice(None, h), slice(h, None))
    x = np.empty(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:],
                 np.result_type(a, b))
    x[..., first, :] = solve_triangle(a[..., first, first], b[..., first, :], upper,
                                      unitriangular)
    rest = b[..., then, :] - matmul(a[..., then, first], x[..., first, :])
    x[..., then, :] = solve_triangle(a[..., then, then], rest, upper, unitriangular)
    return x


class SolveTriangular(Op):
    """X = A⁻¹ B for triangular A (..., n, n) (ctx: (upper, unitriangular): the triangle read)
    and B (..., n, k), batch axes broadcast;  dL/dB = A⁻ᵀ G,  dL/dA = −(A⁻ᵀ G) Xᵀ on the
    triangle read (the other entries are not part of A)"""
    name, broadcasting = "solve_triangular", True

    @staticmethod
    def forward(ctx, a, b):
        upper, unitriangular = ctx          # the linalg wrapper refuses a 0 on the diagonal
        return solve_triangle(a, b, upper, unitriangular)

    @staticmethod
    def backward(ctx, g, out, a, b):
        upper, unitriangular = ctx
        transposed = (not upper, unitriangular)         # Aᵀ: the other triangle
        if isinstance(g, Node):             # a higher-order pass: the same, recorded
            grad_b = apply(SolveTriangular, (_swap(a), g), transposed)
        else:
            grad_b = SolveTriangular.forward(transposed, _swap(a), g)
        mask = triangle_mask(a.shape[-1], upper, unitriangular, raw(a).dtype)
        return -(grad_b @ _swap(out)) * mask, grad_b


def _batch_scalar(x):
    """One number per matrix (...,) as (..., 1, 1), to scale each matrix of a batch; an array
    or a node."""
    return x.reshape(tuple(x.shape) + (1, 1))


class Inv(Op):
    """A⁻¹ of each square matrix (..., n, n);  dL/dA = −Xᵀ G Xᵀ with X = A⁻¹"""
    name = "inv"

    @staticmethod
    def forward(ctx, a):
        return np.linalg.inv(a)

    @staticmethod
    def backward(ctx, g, out, a):
        out_t = _swap(out)                  # (a node in a higher-order pass: recorded)
        return (-(out_t @ g @ out_t),)


class Det(Op):
    """det A of each square matrix (..., n, n) -> (...);  dL/dA = g det(A) A⁻ᵀ: g times the
    cofactor matrix, which a singular A has too"""
    name = "det"

    @staticmethod
    def forward(ctx, a):
        return np.linalg.det(a)

    @staticmethod
    def backward(ctx, g, out, a):
        if isinstance(g, Node):             # a higher-order pass: g d A⁻ᵀ, recorded
            singular = np.flatnonzero(raw(out) == 0)
            if singular.size:
                raise LinAlgError(
                    f"det: A{_at(a.shape[:-2], singular[0])} is singular: its gradient (the "
                    f"cofactor matrix) is computed for first-order gradients only; a gradient "
                    f"to differentiate again (create_graph=True) needs an invertible A")
            cofactors = _batch_scalar(out) * apply(Inv, (_swap(a),))
            # its value as in the first-order pass (exact to rounding even near a singular A,
            # where det(A) A⁻ᵀ is not), its derivative that of det(A) A⁻ᵀ
            exact = cofactor_matrix(raw(a))
            return (_batch_scalar(g) * (cofactors + (exact - raw(cofactors))),)
        return (_batch_scalar(g) * cofactor_matrix(a),)


def cofactor_matrix(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix of each square matrix (..., n, n): ∂ det A / ∂A, which is
    det(A) A⁻ᵀ where A is invertible; from the singular values, so that it is exact to
    rounding also where A is singular or nearly so (there det(A) A⁻ᵀ has no A⁻¹, or
    multiplies a det that is mostly rounding by an A⁻¹ that is mostly rounding: a random
    4 × 4 matrix of rank 3 had cofactors 4 % off). With A = U diag(s) Vᵀ, it is
    det(U) det(V) U diag(c) Vᵀ, c_i the product of all the s_j but s_i (no division by a
    zero s_i). float32 is computed in float64 and rounded once (the SVD's rounding showed:
    the cofactors of [[2, 1], [1, 3]] came out 2.9999993, ...).

    >>> cofactor_matrix(np.array([[1.0, 2.0], [2.0, 4.0]])).round(12).tolist()   # singular
    [[4.0, -2.0], [-2.0, 1.0]]
    """
    if a.size == 0:
        return np.zeros_like(a)
    u, s, vt = np.linalg.svd(a.astype(np.promote_types(a.dtype, np.float64)))
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)        # s_0 ... s_(i-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], -1), -1)[..., ::-1]  # s_(i+1) ...
    signs = np.linalg.det(u) * np.linalg.det(vt)            # each ±1
    cofactors = _batch_scalar(signs) * (u * (before * after)[..., None, :]) @ vt
    return cofactors.astype(a.dtype, copy=False)


class Slogdet(Op):
    """(sign, log|det A|) of each square matrix (..., n, n), packed in one array (..., 2);
    dL/dA = g A⁻ᵀ for the upstream gradient g of log|det A| (the sign is flat)"""
    name = "slogdet"

    @staticmethod
    def forward(ctx, a):
        sign, logabsdet = np.linalg.slogdet(a)
        return np.stack([sign, logabsdet], -1)

    @staticmethod
    def backward(ctx, g, out, a):
        singular = np.flatnonzero(raw(out)[..., 0] == 0)
        if singular.size:
            raise LinAlgError(
                f"slogdet: A{_at(a.shape[:-2], singular[0])} is singular: log|det A| is -inf "
                f"there, and its gradient A⁻ᵀ does not exist")
        g = _batch_scalar(g[..., 1])
        if isinstance(g, Node):             # a higher-order pass: the same, recorded
            return (g * apply(Inv, (_swap(a),)),)
        return (g * np.linalg.inv(_swap(a)),)


def _at(batch: tuple, flat: int) -> str:
    """Where in a batch of matrices the matrix number `flat` (counted in C order) sits, as
    '[i, j]' after the name A, or '' for a single matrix."""
    if not batch:
        return ""
    return str([int(i) for i in np.unravel_index(int(flat), batch)])


def _phi_mask(n: int, dtype: Any) -> np.ndarray:
    """Φ as a mask: ones below the diagonal, ½ on it, zeros above."""
    return np.tril(np.ones((n, n), dtype=dtype), -1) + 0.5 * np.eye(n, dtype=dtype)


class Cholesky(Op):
    """L lower triangular with L Lᵀ = A, of each symmetric positive definite matrix (reads the
    lower triangle);  dL/dA = sym(L⁻ᵀ Φ(Lᵀ G) L⁻¹), Φ: the lower triangle, diagonal halved"""
    name = "cholesky"

    @staticmethod
    def forward(ctx, a):
        return np.linalg.cholesky(a)

    @staticmethod
    def backward(ctx, g, out, a):
        l_t = _swap(out)
        p = (l_t @ g) * _phi_mask(a.shape[-1], raw(a).dtype)
        if isinstance(g, Node):             # a higher-order pass: the same solves, recorded
            s = _swap(apply(Solve, (l_t, _swap(apply(Solve, (l_t, p))))))
        else:                               # L⁻ᵀ P L⁻¹ = (L⁻ᵀ (L⁻ᵀ P)ᵀ)ᵀ, Lᵀ upper
            s = _swap(solve_triangle(l_t, _swap(solve_triangle(l_t, p, True)), True))
        return ((s + _swap(s)) * 0.5,)


class Eigh(Op):
    """The eigenvalues λ (ascending) and eigenvectors V of each symmetric matrix (reads the
    triangle ctx, 'L' or 'U'), packed in one array (..., n + 1, n): λ in row 0, V below;
    dL/dA = V (diag(g_λ) + F ∘ skew(Vᵀ G_V)) Vᵀ, F_ij = 1/(λ_j − λ_i) off the diagonal, 0 on it"""
    name = "eigh"

    @staticmethod
    def forward(uplo, a):
        values, vectors = np.linalg.eigh(a, UPLO=uplo)
        return np.concatenate([values[..., None, :], vectors], -2)

    @staticmethod
    def backward(uplo, g, out, a):
        values, vectors = out[..., 0, :], out[..., 1:, :]
        g_values, g_vectors = g[..., 0, :], g[..., 1:, :]
        inner = g_values[..., None, :] * np.eye(a.shape[-1], dtype=raw(a).dtype)   # diag(g_λ)
        used = np.any(raw(g_vectors), axis=-2)      # (..., n): the eigenvectors the loss reached
        if used.any():                      # (not for eigvalsh: no F to build)
            m = _swap(vectors) @ g_vectors
            inner = inner + (m - _swap(m)) * 0.5 * _gap_reciprocals(values, used,
                                                                    isinstance(g, Node))
        return (vectors @ inner @ _swap(vectors),)


def _gap_reciprocals(values: Any, used: np.ndarray, again: bool = False) -> Any:
    """F_ij = 1/(λ_j − λ_i) for i ≠ j, 0 for i = j, of each matrix's eigenvalues (an array or
    a node, as `values`). Two equal eigenvalues leave their eigenvectors undefined (any
    rotation within that eigenspace will do), and so their gradient: refused where the loss
    reached one of them (`used`, (..., n)). Where it reached neither, the pair's term is 0 (Vᵀ
    G_V is 0 in both their columns), and F_ij = 0 says so: the eigenvectors that are used move
    by the projection onto the whole eigenspace, whatever basis came out (PCA's top
    eigenvectors beside the eigenvalue 0 of constant features, repeated). Equal means within
    rounding: LAPACK's eigenvalues are exact to about n ε max|λ|, so a gap below that may be a
    tie (the eigenvalues 1, 1, 4 of [[2, 1, 1], [1, 2, 1], [1, 1, 2]] come out 7e-16 apart,
    and the eigenvectors of the 1s are rounding's choice). `again`: a higher-order pass, where
    the first gradient (built from every eigenvector) is the loss."""
    rounding = (values.shape[-1] * np.finfo(raw(values).dtype).eps
                * np.abs(raw(values)).max(-1, initial=0.0))
    return _tie_checked_reciprocals(values, values, used, again, "eigh", "eigenvalue",
                                    "eigenvectors", "eigenspace", "eigvalsh", rounding)


def _tie_checked_reciprocals(values: Any, shown: Any, used: np.ndarray, again: bool,
                             name: str, value: str, vectors: str, space: str, alone: str,
                             rounding: Any = 0.0) -> Any:
    """1/(values_j − values_i) off the diagonal, 0 on it, refusing a tie (a gap at most
    `rounding`, (...) or a number; 0: exactly equal) whose vectors the loss uses (see
    `_gap_reciprocals`); the message names the op, the batch index and the repeated value
    (taken from `shown`, as the user knows it: s, where `values` holds s²)."""
    n = values.shape[-1]
    eye = np.eye(n, dtype=raw(values).dtype)
    gaps = values[..., None, :] - values[..., :, None]          # λ_j − λ_i
    tied = (np.abs(raw(gaps)) <= np.asarray(rounding)[..., None, None]) & (eye == 0)
    undefined = tied & (used[..., :, None] | used[..., None, :])
    if undefined.any():
        where, i, j = np.argwhere(undefined.reshape((-1, n, n)))[0]
        repeated = raw(shown).reshape((-1, n))[where, i]
        raise LinAlgError(
            f"{name}: A{_at(used.shape[:-1], where)} has a repeated {value} ({repeated:g}: "
            f"{value}s {i} and {j}, equal to rounding) and the loss uses its {vectors}, which "
            f"are any rotation within that {space} there, so their gradient is not defined; a "
            f"loss of the {value}s alone ({alone}), or of the {vectors} of {value}s that "
            f"are not repeated, has a gradient"
            + (f" (a gradient to differentiate again, as create_graph=True or autograd.grad "
               f"make, is built from every one of the {vectors})" if again else ""))
    return (1.0 - eye - tied) / (gaps + (eye + tied))


class Svd(Op):
    """The singular value decomposition A = U diag(s) Vᵀ of each matrix (..., m, n), s
    descending, packed in one array (..., m + 1 + n, p): U in rows :m, s in row m, V (not Vᵀ)
    below; p = k = min(m, n) (ctx, full_matrices, True: U m × m and V n × n, p = max(m, n),
    zero-padded);  dL/dA = U (diag(g_s) + (F ∘ (UᵀG_U − G_UᵀU)) S + S (F ∘ (VᵀG_V − G_VᵀV))) Vᵀ
    + (I − UUᵀ) G_U S⁻¹ Vᵀ + U S⁻¹ G_Vᵀ (I − VVᵀ),  F_ij = 1/(s_j² − s_i²) off the diagonal"""
    name = "svd"

    @staticmethod
    def forward(full, a):
        m, n = a.shape[-2:]
        k = min(m, n)
        u, s, vh = np.linalg.svd(a, full_matrices=full)
        packed = np.zeros(a.shape[:-2] + (m + 1 + n, max(m, n) if full else k), dtype=s.dtype)
        packed[..., :m, :u.shape[-1]] = u
        packed[..., m, :k] = s
        packed[..., m + 1:, :vh.shape[-2]] = _swap(vh)
        return packed

    @staticmethod
    def backward(full, g, out, a):
        m, n = a.shape[-2:]
        k = min(m, n)
        again = isinstance(g, Node)
        if full:
            _refuse_the_completed_bases(raw(g), m, k, a.shape[:-2])
        u, s, v = out[..., :m, :k], out[..., m, :k], out[..., m + 1:, :k]
        g_u, g_s, g_v = g[..., :m, :k], g[..., m, :k], g[..., m + 1:, :k]
        inner = g_s[..., None, :] * np.eye(k, dtype=raw(a).dtype)          # diag(g_s)
        used_u, used_v = np.any(raw(g_u), axis=-2), np.any(raw(g_v), axis=-2)   # (..., k)
        if not (used_u.any() or used_v.any()):                 # svdvals: U diag(g_s) Vᵀ
            return (u @ inner @ _swap(v),)
        # LAPACK's singular values are exact to about k ε s_max, so s_i² − s_j² to twice that
        # times s_max: a gap below it may be a tie (2Q, Q orthogonal: its 2s came out 4e-16
        # apart, and a gradient of 1/gap, 2.5e16, followed)
        largest = raw(s)[..., 0] if k else np.zeros(raw(s).shape[:-1], raw(s).dtype)
        rounding = 2 * k * np.finfo(raw(s).dtype).eps * largest ** 2
        f = _tie_checked_reciprocals(s * s, s, used_u | used_v, again, "svd",
                                     "singular value", "singular vectors", "subspace",
                                     "svdvals", rounding)
        j, l = _swap(u) @ g_u, _swap(v) @ g_v
        inner = (inner + f * (j - _swap(j)) * s[..., None, :]
                 + s[..., :, None] * (f * (l - _swap(l))))
        grad = u @ inner @ _swap(v)
        if m == n:
            return (grad,)
        # A tall (wide) matrix's U (V) spans part of its space only: the part of G_U (G_V)
        # outside that span moves the vectors out of it, at the rate 1/s_i
        tall = m > n
        used = used_u if tall else used_v
        zero = raw(s) == 0
        if (zero & used).any():
            where, i = np.argwhere((zero & used).reshape((-1, k)))[0]
            side = "left (U)" if tall else "right (Vh)"
            raise LinAlgError(
                f"svd: A{_at(used.shape[:-1], where)} (shape {tuple(a.shape)}) has the "
                f"singular value 0 (singular value {i}) and the loss uses its {side} singular "
                f"vector, which is any unit vector orthogonal to the others of the "
                f"{max(m, n)}-dimensional side, so its gradient is not defined")
        safe = s + zero.astype(raw(a).dtype)        # (1 where s = 0: that column's G is 0)
        if tall:
            outside = (g_u - u @ (_swap(u) @ g_u)) / safe[..., None, :]
            return (grad + outside @ _swap(v),)
        outside = (g_v - v @ (_swap(v) @ g_v)) / safe[..., None, :]
        return (grad + u @ _swap(outside),)


def _refuse_the_completed_bases(g: np.ndarray, m: int, k: int, batch: tuple) -> None:
    """With full_matrices=True, the columns of U (rows of Vh) past k = min(m, n) are any
    orthonormal basis of the rest of the space: a loss that uses them has no gradient."""
    extra = np.any(g[..., :m, k:], axis=(-2, -1)) | np.any(g[..., m + 1:, k:], axis=(-2, -1))
    if extra.any():
        where = np.flatnonzero(extra)[0]
        raise LinAlgError(
            f"svd: the loss{' of A' + _at(batch, where) if batch else ''} uses the columns "
            f"of U or rows of Vh past min(m, n) = {k} that full_matrices=True adds: they are "
            f"any orthonormal basis of the rest of the space (LAPACK's choice), so their "
            f"gradient is not defined; use svd(A, full_matrices=False) (PyTorch ignores "
            f"their gradient)")


class Pinv(Op):
    """The pseudo-inverse X = A⁺ = V diag(1/s) Uᵀ of each matrix (..., m, n), the singular
    values at or below ctx's cutoff (atol, rtol: max(atol, rtol · s_max)) taken as 0;
    dL/dA = −Xᵀ G Xᵀ + (I − A X) Gᵀ X Xᵀ + Xᵀ X Gᵀ (I − X A)  (where the rank does not change)"""
    name = "pinv"

    @staticmethod
    def forward(tolerances, a):
        atol, rtol = tolerances
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        largest = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), dtype=s.dtype)
        kept = s > np.maximum(atol, rtol * largest)
        reciprocal = np.where(kept, 1.0 / np.where(kept, s, 1.0), 0.0).astype(s.dtype)
        return (_swap(vh) * reciprocal[..., None, :]) @ _swap(u)

    @staticmethod
    def backward(tolerances, g, out, a):
        x, x_t, g_t = out, _swap(out), _swap(g)     # (nodes in a higher-order pass: recorded)
        m = g_t @ (x @ x_t)                         # Gᵀ X Xᵀ, then (I − A X) of it
        n = (x_t @ x) @ g_t                         # Xᵀ X Gᵀ, then it (I − X A)
        return (-(x_t @ g @ x_t) + (m - a @ (x @ m)) + (n - (n @ x) @ a),)
