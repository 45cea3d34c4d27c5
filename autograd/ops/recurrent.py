"""One step of a GRU or an LSTM as fused ops: one or two nodes per time step instead of ~15.

A step starts from the gates' two shares, each (N, gates · H), cut into H columns per gate:
a = x_t W_ihᵀ + b_ih from the input and b = h W_hhᵀ + b_hh from the state (σ the sigmoid):

    gru_step            r = σ(a_r + b_r),  z = σ(a_z + b_z),  n = tanh(a_n + r ⊙ b_n)
                        h' = (1 - z) ⊙ n + z ⊙ h
    lstm_cell_state     i, f = σ(a_i + b_i), σ(a_f + b_f),  g = tanh(a_g + b_g)
                        c' = f ⊙ c + i ⊙ g
    lstm_hidden_state   o = σ(a_o + b_o),  h' = o ⊙ tanh(c')

Backward, with G the gradient that reaches the output, σ' = σ(1 - σ) and tanh' = 1 - tanh²:

    gru_step            dh = G ⊙ z
                        dz = G ⊙ (h - n) ⊙ z(1 - z)         (into a_z and b_z alike)
                        dn = G ⊙ (1 - z) ⊙ (1 - n²)         (into a_n; b_n gets dn ⊙ r)
                        dr = dn ⊙ b_n ⊙ r(1 - r)            (into a_r and b_r alike)
                        da = [dr, dz, dn],  db = [dr, dz, dn ⊙ r]
    lstm_cell_state     dc = G ⊙ f
                        da = db = [G ⊙ g ⊙ i(1 - i), G ⊙ c ⊙ f(1 - f), G ⊙ i ⊙ (1 - g²), 0]
    lstm_hidden_state   dc' = G ⊙ o ⊙ (1 - tanh²(c'))
                        da = db = [0, 0, 0, G ⊙ tanh(c') ⊙ o(1 - o)]

Why the LSTM is two ops. The graph core has no op with two outputs, and an LSTM step makes two,
h' and c'. One op returning [h', c'] (N, 2H) needs two slices after it, and a slice's backward
scatters its gradient into a zero (N, 2H) array; c' from one op with h' = σ(a_o + b_o) ⊙ tanh(c')
from ordinary ops needs two slices, a sum, a sigmoid, a tanh and a product. The two ops, one per
state, need no slice at all. Measured in an LSTM(32 → 64) over 20 steps of a batch of 32,
forward and backward (in-process, alternating, medians of two runs on a shared machine,
OpenBLAS on one thread): two ops 5.2-5.7 ms, one op and two slices 6.2-6.7 ms, c' fused and
h' from ordinary ops 7.6-8.3 ms.

The forward keeps the gates' activations: they are what backward needs, and recomputing them
would repeat the costly exp and tanh. Called with Tensors (the higher-order pass), a rule
recomputes them as graphs of its inputs instead, and the same formula lines then build a graph
that can be differentiated again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Node, Op, apply
from .shape import Concatenate


def sigmoid_of_sum(a: Any, b: Any) -> Any:
    """σ(a + b) in a new array, as 1 / (1 + e^-(a + b)). For a very negative sum e^-x overflows
    to inf and σ is 1/inf = 0, as it should be, without numpy's warning. (The elementwise
    sigmoid avoids the overflow with a where() and two divisions, which cost as much again as
    this whole function: 26 µs against 11 for 32 x 128 float32 numbers.)"""
    s = np.add(a, b)
    np.negative(s, out=s)
    with np.errstate(over="ignore"):
        np.exp(s, out=s)
    s += 1
    return np.reciprocal(s, out=s)


def first_two_sigmoids(a: Any, b: Any, size: int) -> tuple:
    """σ(a + b) of the first two gates (GRU: r, z; LSTM: i, f), as two (N, H) views of one
    array: one exp for both."""
    s = sigmoid_of_sum(a[:, :2 * size], b[:, :2 * size])
    return s[:, :size], s[:, size:]


def tanh_of_sum(a: Any, b: Any) -> Any:
    """tanh(a + b) in a new array."""
    s = np.add(a, b)
    return np.tanh(s, out=s)


def join(parts: list, like: Any) -> Any:
    """The gates' gradients side by side, (N, gates · H), each part shaped as `like`; None
    stands for zeros."""
    if isinstance(like, Node):              # higher order: a Concatenate node of the parts
        zeros = like._kind._constant_like(np.zeros(like.shape), like)
        return apply(Concatenate, tuple(zeros if p is None else p for p in parts), 1)
    if all(p is not None for p in parts):
        return np.concatenate(parts, axis=1)
    size = like.shape[1]
    out = np.zeros((like.shape[0], size * len(parts)), like.dtype)
    for k, part in enumerate(parts):
        if part is not None:
            out[:, k * size:(k + 1) * size] = part
    return out


def gates_of(a: Any, b: Any, size: int, kinds: str) -> list:
    """The activations of the gates named in `kinds` ("s": σ, "t": tanh, "-": skipped) from a
    and b as graphs (the higher-order pass)."""
    gates = []
    for k, kind in enumerate(kinds):
        total = a[:, k * size:(k + 1) * size] + b[:, k * size:(k + 1) * size]
        gates.append(total.sigmoid() if kind == "s" else total.tanh() if kind == "t" else None)
    return gates


class GateCtx:
    """What a step keeps from its forward: the gates' activations (None until it has run)."""
    __slots__ = ("gates",)

    def __init__(self) -> None:
        self.gates: tuple | None = None


def both(d: Any) -> tuple:
    """d for the two shares that receive the same gradient: a copy for the second, as each
    input that is a leaf keeps its gradient as its own `.grad`, which may be changed in place
    (`clip_grad_norm_`); a node serves both."""
    return (d, d) if isinstance(d, Node) else (d, d.copy())


class GRUStep(Op):
    """(1 - z) ⊙ n + z ⊙ h for the shares a, b (N, 3H) and the state h (N, H), with
    r, z = σ(a_rz + b_rz), n = tanh(a_n + r ⊙ b_n); dh = G ⊙ z, dz = G ⊙ (h - n) ⊙ z(1 - z),
    dn = G ⊙ (1 - z)(1 - n²), dr = dn ⊙ b_n ⊙ r(1 - r), da = [dr, dz, dn],
    db = [dr, dz, dn ⊙ r]. ctx: a GateCtx."""
    name = "gru_step"

    @staticmethod
    def forward(ctx, a, b, h):
        size = h.shape[1]
        r, z = first_two_sigmoids(a, b, size)
        n = tanh_of_sum(a[:, 2 * size:], r * b[:, 2 * size:])
        ctx.gates = r, z, n
        return n + z * (h - n)              # = (1 - z) ⊙ n + z ⊙ h, one product fewer

    @staticmethod
    def backward(ctx, G, out, a, b, h):
        size = h.shape[1]
        if isinstance(h, Node):             # higher order: the gates as graphs of a, b
            r, z = gates_of(a, b, size, "ss")
            n = (a[:, 2 * size:] + r * b[:, 2 * size:]).tanh()
        else:
            r, z, n = ctx.gates
        dh = G * z
        dn = (G - dh) * (1 - n * n)         # G ⊙ (1 - z) ⊙ (1 - n²)
        dz = (h - n) * (dh - dh * z)        # G ⊙ (h - n) ⊙ z(1 - z)
        dr = dn * b[:, 2 * size:] * (r - r * r)
        return join([dr, dz, dn], dh), join([dr, dz, dn * r], dh), dh


class LSTMCellState(Op):
    """f ⊙ c + i ⊙ g for the shares a, b (N, 4H) and the cell state c (N, H), with
    i, f = σ(a_if + b_if), g = tanh(a_g + b_g) (the output gate's columns are not read);
    dc = G ⊙ f, da = db = [G ⊙ g ⊙ i(1 - i), G ⊙ c ⊙ f(1 - f), G ⊙ i ⊙ (1 - g²), 0].
    ctx: a GateCtx."""
    name = "lstm_cell_state"

    @staticmethod
    def forward(ctx, a, b, c):
        size = c.shape[1]
        i, f = first_two_sigmoids(a, b, size)
        g = tanh_of_sum(a[:, 2 * size:3 * size], b[:, 2 * size:3 * size])
        ctx.gates = i, f, g
        return f * c + i * g

    @staticmethod
    def backward(ctx, G, out, a, b, c):
        if isinstance(c, Node):             # higher order: the gates as graphs of a, b
            i, f, g, _ = gates_of(a, b, c.shape[1], "sst-")
        else:
            i, f, g = ctx.gates
        d = join([G * g * (i - i * i), G * c * (f - f * f), G * i * (1 - g * g), None], G)
        return (*both(d), G * f)


class LSTMHiddenState(Op):
    """o ⊙ tanh(c') for the shares a, b (N, 4H) and the new cell state c' (N, H), with
    o = σ(a_o + b_o) (the last H columns); dc' = G ⊙ o ⊙ (1 - tanh²(c')),
    da = db = [0, 0, 0, G ⊙ tanh(c') ⊙ o(1 - o)]. ctx: a GateCtx."""
    name = "lstm_hidden_state"

    @staticmethod
    def forward(ctx, a, b, c):
        size = c.shape[1]
        o = sigmoid_of_sum(a[:, 3 * size:], b[:, 3 * size:])
        t = np.tanh(c)
        ctx.gates = o, t
        return o * t

    @staticmethod
    def backward(ctx, G, out, a, b, c):
        if isinstance(c, Node):             # higher order: o and tanh(c') as graphs
            o, t = gates_of(a, b, c.shape[1], "---s")[3], c.tanh()
        else:
            o, t = ctx.gates
        d = join([None, None, None, G * t * (o - o * o)], G)
        return (*both(d), G * o * (1 - t * t))
