"""Recurrent layers as fused ops: one step of a GRU or an LSTM (for the cells: one or two nodes
per step instead of ~15), and a layer's whole sequence in one direction (for the layers: one
node per layer and direction, the steps' loop and its backpropagation through time inside).
An LSTM or GRU layer of few input features is one node from its input itself, `LSTMLayer`,
`GRULayer` (at the end of this file: each step one product with [h; x_t; 1], everything laid
out by column).

A step starts from the gates' two shares, each (N, gates · H), cut into H columns per gate:
a = x_t W_ihᵀ + b_ih from the input and b = h W_hhᵀ + b_hh from the state (σ the sigmoid):

    gru_step            r = σ(a_r + b_r),  z = σ(a_z + b_z),  n = tanh(a_n + r ⊙ b_n)
                        h' = (1 - z) ⊙ n + z ⊙ h
    lstm_cell_state     i, f = σ(a_i + b_i), σ(a_f + b_f),  g = tanh(a_g + b_g)
                        c' = f ⊙ c + i ⊙ g
    lstm_hidden_state   o = σ(a_o + b_o),  h' = o ⊙ tanh(c')

Backward, with G the gradient that reaches the output, σ' = σ(1 - σ) and tanh' = 1 - tanh²
(the upstream gradient is G in this file, not g as elsewhere: g is the LSTM's cell gate, the
papers' name, kept):

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
state, need no slice at all, and were the fastest: 5.2-5.7 ms against 6.2-6.7 for one op and
two slices (measured: docs/measurements.md#recurrent).

The forward keeps the gates' activations: they are what backward needs, and recomputing them
would repeat the costly exp and tanh. Called with Tensors (the higher-order pass), a rule
recomputes them as graphs of its inputs instead, and the same formula lines then build a graph
that can be differentiated again.

Whole sequences. A layer's input share of every step, A = x W_ihᵀ + b_ih (T, N, gates · H), is
one product of all T·N rows (a `linear` node before the op); the op runs the steps from the
initial state, h_{t-1} W_hhᵀ + b_hh being each step's hidden share (t runs backwards in the
reverse direction of a bidirectional layer):

    rnn_sequence    h_t = tanh(A_t + h_{t-1} W_hhᵀ + b_hh)  (or relu)   → h_t of every step
    gru_sequence    h_t = gru_step(A_t, h_{t-1} W_hhᵀ + b_hh, h_{t-1})   → h_t of every step
    lstm_sequence   lstm_cell_state, then lstm_hidden_state, likewise     → h_t and c_t of
                                                                            every step

Backward is backpropagation through time: a loop from the last step to the first carries dh
(the LSTM also dc), the gradient that reaches the state from the steps after it, from 0. With
G_t the gradient of the output h_t (G^c_t of c_t) and d_t that of step t's hidden share:

    rnn_sequence    dh += G_t,  d_t = dh ⊙ (1 - h_t²)  (relu: dh ⊙ [h_t > 0]),  dh = d_t W_hh
    gru_sequence    dh += G_t
                    d_t = dh ⊙ [(1 - z)(1 - n²) b_n r(1 - r), (h_{t-1} - n) z(1 - z),
                                (1 - z)(1 - n²) r]
                    dh = dh ⊙ z + d_t W_hh
    lstm_sequence   dh += G_t,  dc += G^c_t + dh ⊙ o (1 - tanh²c_t)
                    d_t = [dc ⊙ g i(1 - i), dc ⊙ c_{t-1} f(1 - f), dc ⊙ i (1 - g²),
                           dh ⊙ tanh c_t o(1 - o)]
                    dh = d_t W_hh,  dc = dc ⊙ f

(the steps' rules above, with both shares' gradients equal but the GRU's n columns). After the
loop: dA = d (the GRU's n columns: dh_t ⊙ (1 - z)(1 - n²), as r multiplies b_n only), dh0 = dh,
dc0 = dc, dW_hh = Σ_t d_tᵀ h_{t-1} as one product of the stacked T·N rows, db_hh = Σ_t,n d_t.
The factors in brackets do not depend on the loop: they are computed for every step at once
before it, and the loop does only what the recursion needs, ~5 operations and one product a
step. A training step of an LSTM(32 → 64) over 20 steps took 3.6 ms against 6.6 with one step
op per step (GRU, RNN and a larger model: docs/measurements.md#recurrent).

Rows of their own lengths (a packed batch, nn.utils.rnn). With `lengths`, step t of row n is
active (m = 1) if t < lengths[n], and past it the row's state is carried: h_t = m h'_t +
(1 - m) h_{t-1} (c likewise), so its last state is the one after its own last step, and the
reverse direction starts from h0 at that step. Backward multiplies the step's rule by m (the
factors, for every step at once) and passes (1 - m) dh_t straight on to h_{t-1}: the GRU's
kept share z becomes m z + 1 - m, the LSTM's f becomes m f + 1 - m with dh/dc multiplied by m.
A padded batch costs its padded steps; the rows past their lengths compute and are dropped.

The outputs. The graph core has no op with two outputs. The RNN's and GRU's last state is the
last step's h: the op returns h of every step (T, N, H), h_n is its slice. The LSTM op returns
h and c of every step as one array (2, T, N, H): c of every step is what backward needs anyway,
so the output keeps it at no cost, output, h_n and c_n are three slices (once per layer, not
per step as an op for one step would need), and the rule reads G^c_t for every t. It costs
no more than [h_1, ..., h_T, c_T] with c kept in ctx (measured: docs/measurements.md#recurrent).
An op for c_n beside one for the h's would have to pass its gradient to the other's loop
outside the graph.

Arrays in place. With arrays (the first-order pass) the forward allocates its results once,
h (and c) of every step and the gates' activations, and each step writes into them (`out=`),
the gates by gate (gates, T, N, H), so that each gate's steps are one contiguous block for
backward's passes over all steps at once (on a gate's strided steps they took 3x as long);
the backward writes each d_t into one (T, N, gates · H) array (`per_step`, `write_step`; the
GRU's and LSTM's over the factors it reads, which were made in that array, see their
`factors`), and its loop on arrays updates dh (and dc) in arrays of its own. No list of steps
is stacked afterwards, and the forward is 9-15 % faster than with lists and np.stack
(measured: docs/measurements.md#recurrent). The steps' gradients are joined first rather than
written block by block into the columns of d_t, which was slower: numpy's loops are fastest
on contiguous rows. The loops multiply by W_hhᵀ copied row-major once (`row_major_transpose`:
a step's product in half the time). Big arrays cost page faults too: without
`keep_freed_memory` glibc gives a step's freed heap back to the OS and the next step faults
its pages in afresh (~1.3 µs a 4 KB page here), so the backward rules make as few (T, ...)
arrays as they can: the factors made in place in one array, and d written over them (the
sequence ops) or added up step by step (the layer ops, `StepSums`) (s33,
docs/measurements.md#recurrent).

Any order: the sequence rules use operations that arrays and Tensors share (slices, +, *, @,
concatenate, stack). Called with Tensors (the higher-order pass), they recompute the gates as
graphs of the inputs, for every step at once from the states before each step (themselves
slices of the op's output), and the same loop builds a graph of the gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Node, Op, apply
from .elementwise import step_of
from .payload_math import sum_rows
from .shape import Concatenate, Stack


def sigmoid_of_sum(a: Any, b: Any, out: Any = None) -> Any:
    """σ(a + b) in a new array (or in `out`), as 1 / (1 + e^-(a + b)). For a very negative sum
    e^-x overflows to inf and σ is 1/inf = 0, as it should be: call it inside
    `np.errstate(over="ignore")`, which the GRU's sequence op enters once for all its steps
    (each entry costs ~1.5 µs; the LSTM's takes its σ from a tanh, see `tanh_form`). (The
    elementwise sigmoid avoids the overflow with a where() and two divisions, which cost as
    much again as this whole function: 26 µs against 11 for 32 x 128 float32 numbers.)"""
    s = np.add(a, b, out=out)
    return sigmoid_to(s, s)


def sigmoid_to(x: Any, out: Any) -> Any:
    """σ(x) written into `out` (which may be x), as `sigmoid_of_sum`: 1 / (1 + e^-x) (inside
    `np.errstate(over="ignore")`, for the same reason)."""
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def first_two_sigmoids(a: Any, b: Any, size: int) -> tuple:
    """σ(a + b) of the first two gates (GRU: r, z; LSTM: i, f), as two (N, H) views of one
    array: one exp for both."""
    s = sigmoid_of_sum(a[:, :2 * size], b[:, :2 * size])
    return s[:, :size], s[:, size:]


def tanh_of_sum(a: Any, b: Any, out: Any = None) -> Any:
    """tanh(a + b) in a new array (or in `out`)."""
    s = np.add(a, b, out=out)
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
        with np.errstate(over="ignore"):    # (see sigmoid_of_sum)
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
    ctx: a GateCtx. (G is the upstream gradient here, as g is the cell gate.)"""
    name = "lstm_cell_state"

    @staticmethod
    def forward(ctx, a, b, c):
        size = c.shape[1]
        with np.errstate(over="ignore"):    # (see sigmoid_of_sum)
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
        with np.errstate(over="ignore"):    # (see sigmoid_of_sum)
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


# -- whole sequences: one node per layer and direction -------------------------------------------

def time_steps(length: int, reverse: bool) -> range:
    """The steps in the order a direction reads them: 0 to T - 1, or T - 1 down to 0."""
    return range(length - 1, -1, -1) if reverse else range(length)


def states_before(states: Any, first: Any, reverse: bool) -> Any:
    """The state each step starts from, (T, N, H) as `states`, the state after each step:
    h0, h_0, ..., h_{T-2} (reverse: h_1, ..., h_{T-1}, h0). An array, or a Concatenate node."""
    first = first[None]
    parts = (states[1:], first) if reverse else (first, states[:-1])
    return apply(Concatenate, parts, 0) if isinstance(states, Node) else np.concatenate(parts)


def result_type(*inputs: Any) -> np.dtype:
    """The dtype of a sequence op's results, that of the arithmetic of its inputs (arrays; None,
    a missing bias, is left out): the arrays the steps are written into have it."""
    return np.result_type(*(x for x in inputs if x is not None))


def per_step(shape: tuple, G: Any, *operands: Any) -> Any:
    """Where a backward loop puts the gradients of every step (T, N, ·): one array of `shape`
    whose steps are written in place (the dtype of G and the operands' arithmetic), or for
    nodes (the higher-order pass) a list of T nodes for `stacked`."""
    if isinstance(G, Node):
        return [None] * shape[0]
    return np.empty(shape, np.result_type(G, *operands))


def by_gate(share: Any, gates: int) -> Any:
    """A share (N, gates · H) seen as (gates, N, H), gate k's columns at [k] (a view). (H is
    spelled out: numpy cannot infer a -1 axis of an empty batch, N = 0.)"""
    return share.reshape(share.shape[0], gates, share.shape[1] // gates).transpose(1, 0, 2)


def write_step(steps: Any, t: int, parts: list, factors: Any) -> Any:
    """steps[t] = [parts side by side] ⊙ factors, (N, k · H) for k parts (N, H), and steps[t]
    returned: written into an array from `per_step`, or a node put in a list (the higher-order
    pass)."""
    joined = side_by_side(parts, parts[-1]) if len(parts) > 1 else parts[0]
    if isinstance(steps, list):
        steps[t] = joined * factors
        return steps[t]
    return np.multiply(joined, factors, out=steps[t])


def stacked(steps: Any, like: Any) -> Any:
    """The steps' arrays (N, ·) on a time axis, (T, N, ·); a Stack node if `like` is a node;
    an array that `per_step` made is that already."""
    if isinstance(steps, np.ndarray):
        return steps
    return apply(Stack, tuple(steps), 0) if isinstance(like, Node) else np.stack(steps)


def side_by_side(parts: list, like: Any) -> Any:
    """The parts joined on their last axis (the gates' columns); a Concatenate node if `like`
    is a node."""
    if isinstance(like, Node):
        return apply(Concatenate, tuple(parts), like.ndim - 1)
    return np.concatenate(parts, axis=-1)


def hidden_share(h: Any, W: Any, b: Any) -> Any:
    """h W_hhᵀ + b_hh, (..., gates · H): the gates' share from the state (the higher-order
    pass; the loops on arrays multiply by `row_major_transpose(W)`)."""
    share = h @ W.T
    return share if b is None else share + b


def hidden_weight_grads(d_share: Any, before: Any, b: Any) -> tuple:
    """dW_hh = Σ_t d_share_tᵀ h_{t-1} as one product of all T·N rows, and db_hh = Σ_t,n d_share
    (None without a bias), from the gradients of the hidden shares of every step (T, N, G·H)
    and the states before every step (T, N, H)."""
    rows = d_share.reshape(-1, d_share.shape[-1])
    dW = rows.T @ before.reshape(-1, before.shape[-1])
    return dW, (sum_rows(rows) if b is not None else None)


def tanh_form(rows: int, size: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """(half, shift), (N, 4H) each, with which an LSTM step's sum s of the gates i, f, g, o
    becomes the four gates in one tanh: tanh(s ⊙ half) ⊙ half + shift is
    σ(s) = (1 + tanh(s/2)) / 2 in i's, f's and o's columns (half 1/2, shift 1/2) and tanh(s) in
    g's (half 1, shift 0). Whole (N, 4H) arrays, not rows that broadcast: numpy multiplied
    (32, 256) numbers by a (256,) row in ~2x the time of an array of their shape. (A σ near 0
    comes out as 1/2 - 1/2 tanh(|s|/2), exact to the dtype's rounding of 1/2: ~3e-8 in
    float32, not to the last digits of a tiny σ; in c' = f ⊙ c + i ⊙ g such a gate weighs no
    more than that rounding.)"""
    half, shift = np.full((rows, 4 * size), 0.5, dtype), np.full((rows, 4 * size), 0.5, dtype)
    half[:, 2 * size:3 * size], shift[:, 2 * size:3 * size] = 1, 0   # g's columns
    return half, shift


def row_major_transpose(W: np.ndarray) -> np.ndarray:
    """W_hhᵀ copied row-major, once for all the steps of a loop on arrays: BLAS multiplies a
    step's h (32, 64) by a row-major (64, 256) in half the time it takes with the transposed
    view W.T (10 against 20 µs; docs/measurements.md#small-models)."""
    return np.ascontiguousarray(W.T)


class SequenceCtx:
    """What a sequence op keeps: its direction, an RNN's nonlinearity, each row's number of
    steps (None: all T; see `active_steps`), and from the forward the gates' activations of
    every step, each (T, N, H) (None until it has run)."""
    __slots__ = ("reverse", "nonlinearity", "lengths", "gates")

    def __init__(self, reverse: bool, nonlinearity: str = "tanh",
                 lengths: np.ndarray | None = None) -> None:
        self.reverse, self.nonlinearity, self.lengths = reverse, nonlinearity, lengths
        self.gates = None


def active_steps(lengths: np.ndarray, steps: int, dtype: Any) -> np.ndarray:
    """1 where step t is one of row n's first lengths[n] steps, else 0, (T, N, 1). Past its
    length a row's state is carried unchanged (h_t = h_{t-1}), so in the reverse direction it
    starts from h0 at its own last step, and its last state is the one after its last step:
    a packed batch. In backward the step's rule is multiplied by it and the carried part,
    1 - active, passes the gradient straight to the state before."""
    return (np.arange(steps)[:, None, None] < lengths[None, :, None]).astype(dtype)


def carry_frozen(new: np.ndarray, old: np.ndarray, lengths: np.ndarray | None, t: int) -> None:
    """new = old, in place, for the rows whose sequences end before step t."""
    if lengths is not None:
        np.copyto(new, old, where=(lengths <= t)[:, None])


class RNNSequence(Op):
    """h_t = tanh(A_t + h_{t-1} W_hhᵀ + b_hh) at every step (or relu): all h_t (T, N, H) from
    A (T, N, H) and h0 (N, H). Backward, last step first, dh from 0: dh += G_t,
    d_t = dh ⊙ (1 - h_t²) (relu: dh ⊙ [h_t > 0]), dh = d_t W_hh; dA = d, dh0 = dh,
    dW_hh = Σ_t d_tᵀ h_{t-1}, db_hh = Σ d. ctx: a SequenceCtx."""
    name = "rnn_sequence"

    @staticmethod
    def forward(ctx, A, h0, W, b=None):
        hs, h = np.empty(A.shape, result_type(A, h0, W, b)), h0     # h_t of every step
        WT = row_major_transpose(W)
        for t in time_steps(len(A), ctx.reverse):
            total = np.matmul(h, WT, out=hs[t])                 # h_{t-1} W_hhᵀ + b_hh
            if b is not None:
                total += b
            total += A[t]
            total = np.tanh(total, out=total) if ctx.nonlinearity == "tanh" \
                else np.maximum(total, 0, out=total)
            carry_frozen(total, h, ctx.lengths, t)
            h = total
        return hs

    @staticmethod
    def backward(ctx, G, out, A, h0, W, b=None):
        # the slope at every step, from h_t itself: tanh' = 1 - h², relu' = [h > 0]
        slope = 1 - out * out if ctx.nonlinearity == "tanh" else step_of(out)
        if ctx.lengths is not None:                     # a step past a row's length: h carried
            active = active_steps(ctx.lengths, len(A), slope.dtype)
            slope, carried = slope * active, 1 - active
        d, dh = per_step(A.shape, G, slope, W), 0
        for t in time_steps(len(A), not ctx.reverse):   # the last step first
            dh = dh + G[t]                              # from the output, and from step t + 1
            through = write_step(d, t, [dh], slope[t]) @ W
            dh = through if ctx.lengths is None else through + dh * carried[t]
        d = stacked(d, G)
        before = states_before(out, h0, ctx.reverse)            # h_{t-1} of every step
        return (d, dh, *hidden_weight_grads(d, before, b))


class GRUSequence(Op):
    """gru_step at every step, with the hidden share h_{t-1} W_hhᵀ + b_hh: all h_t (T, N, H)
    from A (T, N, 3H) and h0 (N, H). Backward, last step first, dh from 0: dh += G_t,
    db_t = dh ⊙ [(1 - z)(1 - n²) b_n r(1 - r), (h_{t-1} - n) z(1 - z), (1 - z)(1 - n²) r],
    dh = dh ⊙ z + db_t W_hh; then dA = db but its n part dh ⊙ (1 - z)(1 - n²), dh0 = dh,
    dW_hh = Σ_t db_tᵀ h_{t-1}, db_hh = Σ db. ctx: a SequenceCtx."""
    name = "gru_sequence"

    @staticmethod
    def forward(ctx, A, h0, W, b=None):
        dtype, T = result_type(A, h0, W, b), len(A)
        # every step writes its results into these: h_t, and by gate r, z, n and r ⊙ b_n, each
        # gate's steps one contiguous (T, N, H) block (backward's passes over all steps ran 3x
        # as long on a gate's strided steps); the hidden share's array is reused, as backward
        # needs b_n only in r ⊙ b_n (keeping every step's share was 0.5 MB more at 32 x 32 x 64)
        hs, share = np.empty((T,) + h0.shape, dtype), np.empty(A.shape[1:], dtype)
        gates, h = np.empty((4, T) + h0.shape, dtype), h0
        WT = row_major_transpose(W)
        with np.errstate(over="ignore"):    # once for every step's sigmoid_of_sum
            for t in time_steps(T, ctx.reverse):
                s = np.matmul(h, WT, out=share)
                if b is not None:
                    s += b
                a, s = by_gate(A[t], 3), by_gate(s, 3)
                r, z = sigmoid_of_sum(a[:2], s[:2], out=gates[:2, t])       # one exp for both
                r_b_n = np.multiply(r, s[2], out=gates[3, t])
                n = tanh_of_sum(a[2], r_b_n, out=gates[2, t])
                before = h
                h = np.subtract(h, n, out=hs[t])                # h' = n + z ⊙ (h - n)
                h *= z
                h += n
                carry_frozen(h, before, ctx.lengths, t)
        ctx.gates = gates[0], gates[1], gates[2], gates[3]     # r, z, n, r ⊙ b_n
        return hs

    @staticmethod
    def backward(ctx, G, out, A, h0, W, b=None):
        before = states_before(out, h0, ctx.reverse)            # h_{t-1} of every step
        size = h0.shape[1]
        if not isinstance(G, Node):
            return GRUSequence.backward_on_arrays(ctx, G, A, before, W, b)
        # higher order: the gates as graphs, and the loop builds a graph; what does not depend
        # on the recursion for every step at once: the factors that turn dh_t into the
        # gradients of the hidden share's r, z and n columns
        r, z, n, r_b_n = GRUSequence.gates_as_graphs(A, before, W, b)
        dh_du = (1 - z) * (1 - n * n)                           # u = a_n + r ⊙ b_n
        dh_dz, kept = (before - n) * (z - z * z), z             # kept: dh_{t-1} from dh_t
        if ctx.lengths is not None:                     # a step past a row's length: h carried
            active = active_steps(ctx.lengths, len(A), out.dtype)
            dh_du, dh_dz, kept = dh_du * active, dh_dz * active, z * active + (1 - active)
        factors = side_by_side([dh_du * r_b_n * (1 - r), dh_dz, dh_du * r], r)  # b_n r(1 - r)
        dhs, d_share, dh = per_step(G.shape, G), per_step(A.shape, G), 0
        for t in time_steps(len(A), not ctx.reverse):           # the last step first
            dh = dh + G[t]                                      # from the output, step t + 1
            dhs[t] = dh
            d_t = write_step(d_share, t, [dh, dh, dh], factors[t])
            dh = dh * kept[t] + d_t @ W                         # through z ⊙ h, and the share
        d_share, dhs = stacked(d_share, G), stacked(dhs, G)
        dA = side_by_side([d_share[:, :, :2 * size], dhs * dh_du], dhs)   # r, z: the share's
        return (dA, dh, *hidden_weight_grads(d_share, before, b))

    @staticmethod
    def backward_on_arrays(ctx, G, A, before, W, b):
        """The rule's loop on arrays of its own, in place: the factors for every step at once
        in one (T, N, 3H) array, each d_t then written over the factors it reads, and dA
        over d's n columns once the weights' gradients have been taken from them."""
        r, z, n, r_b_n = ctx.gates
        dtype = np.result_type(G, r, W)
        size = r.shape[2]
        dhs = np.empty(G.shape, dtype)                          # dh_t of every step
        factors, dh_du, kept = GRUSequence.factors(ctx, before, dtype, scratch=dhs)
        d_share = factors
        dh, through = np.zeros(G.shape[1:], dtype), np.empty(G.shape[1:], dtype)
        joined = np.empty(d_share.shape[1:], dtype)
        for t in time_steps(len(A), not ctx.reverse):           # the last step first
            dh_t = np.add(dh, G[t], out=dhs[t])
            np.concatenate([dh_t, dh_t, dh_t], axis=1, out=joined)
            np.matmul(np.multiply(joined, factors[t], out=d_share[t]), W, out=through)
            np.multiply(dh_t, kept[t], out=dh)
            dh += through
        weight_grads = hidden_weight_grads(d_share, before, b)
        dA = d_share
        np.multiply(dhs, dh_du, out=dA[:, :, 2 * size:])
        return (dA, dh, *weight_grads)

    @staticmethod
    def factors(ctx, before, dtype, scratch):
        """The factors that turn dh_t into the gradients of the hidden share's r, z and n
        columns, for every step at once on arrays: [dh/du ⊙ b_n r(1 - r), (h_{t-1} - n)
        z(1 - z), dh/du ⊙ r] (T, N, 3H), with dh/du = (1 - z)(1 - n²) (u = a_n + r ⊙ b_n; also
        returned, for dA's n columns) and what dh keeps, z (T, N, H); with `lengths` the
        factors and dh/du are 0 past a row's length and kept 1. Each column block is written
        by its last multiply (a list of three parts joined took three arrays more); `scratch`,
        an array of the shape of h that backward fills later, holds h_{t-1} - n meanwhile."""
        r, z, n, r_b_n = ctx.gates
        steps, batch, size = z.shape
        factors = np.empty((steps, batch, 3 * size), dtype)
        columns = factors.reshape(steps, batch, 3, size)
        part = np.subtract(1, z, dtype=dtype)
        dh_du = np.multiply(n, n, dtype=dtype)                  # (1 - z)(1 - n²)
        np.subtract(1, dh_du, out=dh_du)
        dh_du *= part
        np.subtract(1, r, out=part)                             # dh/du ⊙ b_n r(1 - r)
        part *= r_b_n
        np.multiply(part, dh_du, out=columns[:, :, 0])
        np.subtract(z, np.multiply(z, z, out=part), out=part)   # (h_{t-1} - n) z(1 - z)
        np.multiply(part, np.subtract(before, n, out=scratch), out=columns[:, :, 1])
        np.multiply(dh_du, r, out=columns[:, :, 2])             # dh/du ⊙ r
        kept = z
        if ctx.lengths is not None:                     # a step past a row's length: h carried
            active = active_steps(ctx.lengths, steps, dtype)
            factors *= active
            dh_du *= active
            kept = z * active + (1 - active)
        return factors, dh_du, kept

    @staticmethod
    def gates_as_graphs(A, before, W, b):
        """r, z, n and r ⊙ b_n of every step as graphs of the inputs (the higher-order pass)."""
        size = before.shape[2]
        share = hidden_share(before, W, b)
        r = (A[:, :, :size] + share[:, :, :size]).sigmoid()
        z = (A[:, :, size:2 * size] + share[:, :, size:2 * size]).sigmoid()
        r_b_n = r * share[:, :, 2 * size:]
        return r, z, (A[:, :, 2 * size:] + r_b_n).tanh(), r_b_n


class LSTMSequence(Op):
    """lstm_cell_state and lstm_hidden_state at every step, with the hidden share
    h_{t-1} W_hhᵀ + b_hh: the states (h_t, c_t) of every step, (2, T, N, H), from A (T, N, 4H),
    h0 and c0 (N, H). Backward, last step first, dh and dc from 0: dh += G_t,
    dc += G^c_t + dh ⊙ o(1 - tanh²c_t), d_t = [dc ⊙ g i(1 - i), dc ⊙ c_{t-1} f(1 - f),
    dc ⊙ i(1 - g²), dh ⊙ tanh c_t o(1 - o)], dh = d_t W_hh, dc = dc ⊙ f; dA = d, dh0 = dh,
    dc0 = dc, dW_hh = Σ_t d_tᵀ h_{t-1}, db_hh = Σ d. ctx: a SequenceCtx. (G is the upstream
    gradient here, as g is the cell gate.)"""
    name = "lstm_sequence"

    @staticmethod
    def forward(ctx, A, h0, c0, W, b=None):
        dtype, T, size = result_type(A, h0, c0, W, b), len(A), h0.shape[1]
        # every step writes its results into these: [h's; c's], the gates i, f, g, o by gate,
        # each gate's steps one contiguous (T, N, H) block (as the GRU's), and tanh c_t; the
        # hidden share's array is reused
        states, gates = np.empty((2, T) + h0.shape, dtype), np.empty((4, T) + h0.shape, dtype)
        tanh_cs, share = np.empty((T,) + h0.shape, dtype), np.empty(A.shape[1:], dtype)
        WT, i_g = row_major_transpose(W), np.empty(h0.shape, dtype)    # i_g: each step's i ⊙ g
        half, shift = tanh_form(h0.shape[0], size, dtype)
        share_by_gate, h, c = by_gate(share, 4), h0, c0
        # each step's arrays as views that numpy makes while iterating over the steps in the
        # direction's order: indexing them from Python, ~10 times a step, took 3-9 % of the
        # forward (docs/measurements.md#recurrent)
        order = slice(None, None, -1) if ctx.reverse else slice(None)
        steps = zip(time_steps(T, ctx.reverse), A[order], gates.swapaxes(0, 1)[order],
                    *gates[:, order], states[0, order], states[1, order], tanh_cs[order])
        for t, A_t, gates_t, i, f, g, o, h_t, c_t, tanh_c in steps:
            # the four gates from the step's sum s in one tanh over its contiguous rows (see
            # tanh_form), then one copy into the gates' blocks: σ by exp over the by-gate view
            # and a tanh over g's columns, strided calls at up to 2x the time of contiguous
            # ones, took the forward 1.5x as long (docs/measurements.md#small-models)
            s = np.matmul(h, WT, out=share)                     # h W_hhᵀ (+ b_hh) + A_t
            if b is not None:
                s += b
            s += A_t
            s *= half
            np.tanh(s, out=s)
            s *= half
            s += shift
            np.copyto(gates_t, share_by_gate)           # (i, f, g, o are views of gates_t)
            h_before, c_before = h, c
            c = np.multiply(f, c, out=c_t)                      # c' = f ⊙ c + i ⊙ g
            c += np.multiply(i, g, out=i_g)
            np.tanh(c, out=tanh_c)
            h = np.multiply(o, tanh_c, out=h_t)                 # h' = o ⊙ tanh c'
            carry_frozen(h, h_before, ctx.lengths, t)
            carry_frozen(c, c_before, ctx.lengths, t)
        ctx.gates = gates[0], gates[1], gates[2], gates[3], tanh_cs
        return states                                           # [h's; c's]

    @staticmethod
    def backward(ctx, G, out, A, h0, c0, W, b=None):
        hs, cs = out[0], out[1]
        h_before = states_before(hs, h0, ctx.reverse)           # h_{t-1} of every step
        if isinstance(G, Node):             # higher order: the loop builds a graph
            c_before = states_before(cs, c0, ctx.reverse)       # c_{t-1} of every step
            i, f, g, o, tanh_c = LSTMSequence.gates_as_graphs(A, h_before, cs, W, b)
            # what does not depend on the recursion, for every step at once: ∂h_t/∂c_t, and
            # the factors that turn [dc_t, dc_t, dc_t, dh_t] into the gradients of the sums
            dh_dc, kept = o * (1 - tanh_c * tanh_c), f         # kept: dc_{t-1} from dc_t
            factors = side_by_side([g * (i - i * i), c_before * (f - f * f), i * (1 - g * g),
                                    tanh_c * (o - o * o)], i)
            if ctx.lengths is not None:         # a step past a row's length: h, c carried
                active = active_steps(ctx.lengths, len(A), hs.dtype)
                carried = 1 - active
                dh_dc, factors, kept = dh_dc * active, factors * active, f * active + carried
            d, dh, dc = per_step(A.shape, G, factors, W), 0, 0
            for t in time_steps(len(A), not ctx.reverse):       # the last step first
                dh = dh + G[0, t]                               # from the output, step t + 1
                dc = dc + G[1, t] + dh * dh_dc[t]               # from c_n, step t + 1, h_t
                through = write_step(d, t, [dc, dc, dc, dh], factors[t]) @ W   # the share
                dh = through if ctx.lengths is None else through + dh * carried[t]
                dc = dc * kept[t]                               # through f ⊙ c
            d = stacked(d, G)
            return (d, dh, dc, *hidden_weight_grads(d, h_before, b))
        # the same on arrays of its own, in place
        dtype = np.result_type(G, hs, W)
        factors, dh_dc, kept, carried = LSTMSequence.factors(ctx, cs, c0, dtype)
        d = factors                         # each d_t written over the factors it reads
        dh, dc, through, dh_dc_t = (np.zeros(hs.shape[1:], dtype) for _ in range(4))
        joined = np.empty(d.shape[1:], dtype)
        for t in time_steps(len(A), not ctx.reverse):           # the last step first
            dh += G[0, t]
            dc += G[1, t]
            dc += np.multiply(dh, dh_dc[t], out=dh_dc_t)
            np.concatenate([dc, dc, dc, dh], axis=1, out=joined)
            np.matmul(np.multiply(joined, factors[t], out=d[t]), W, out=through)
            if carried is None:
                dh, through = through, dh
            else:
                dh *= carried[t]
                dh += through
            dc *= kept[t]
        return (d, dh, dc, *hidden_weight_grads(d, h_before, b))

    @staticmethod
    def factors(ctx, cs, c0, dtype):
        """What backward's loop on arrays multiplies by, for every step at once: the factors
        that turn [dc_t, dc_t, dc_t, dh_t] into the gradients of the gates' sums,
        [g i(1 - i), c_{t-1} f(1 - f), i(1 - g²), tanh c_t o(1 - o)] (T, N, 4H), ∂h_t/∂c_t =
        o(1 - tanh²c_t) and what dc keeps, f (T, N, H), and with `lengths` 1 - active
        (T, N, 1) (the factors 0 and f 1 past a row's length), else None. Each gate's factor
        is made in one scratch (T, N, H) array and its last multiply writes it into its
        columns (a list of four parts joined took four arrays more, and c_{t-1} of every step
        one: the steps' c are read shifted instead)."""
        i, f, g, o, tanh_c = ctx.gates
        steps, batch, size = cs.shape
        factors = np.empty((steps, batch, 4 * size), dtype)
        columns = factors.reshape(steps, batch, 4, size)
        part = np.empty(cs.shape, dtype)
        np.multiply(g, np.subtract(i, np.multiply(i, i, out=part), out=part),
                    out=columns[:, :, 0])                               # g i(1 - i)
        f_f = np.subtract(f, np.multiply(f, f, out=part), out=part)     # c_{t-1} f(1 - f)
        into, c_first = columns[:, :, 1], c0
        if ctx.reverse:
            np.multiply(f_f[:-1], cs[1:], out=into[:-1])
            np.multiply(f_f[-1], c_first, out=into[-1])
        else:
            np.multiply(f_f[1:], cs[:-1], out=into[1:])
            np.multiply(f_f[0], c_first, out=into[0])
        g_g = np.subtract(1, np.multiply(g, g, out=part), out=part)     # i(1 - g²)
        np.multiply(i, g_g, out=columns[:, :, 2])
        np.multiply(tanh_c, np.subtract(o, np.multiply(o, o, out=part), out=part),
                    out=columns[:, :, 3])                               # tanh c o(1 - o)
        dh_dc = np.multiply(tanh_c, tanh_c, out=part)                   # o(1 - tanh²c)
        np.subtract(1, dh_dc, out=dh_dc)
        dh_dc *= o
        kept, carried = f, None
        if ctx.lengths is not None:             # a step past a row's length: h and c carried
            active = active_steps(ctx.lengths, steps, dtype)
            carried = 1 - active
            factors *= active
            dh_dc *= active
            kept = f * active + carried
        return factors, dh_dc, kept, carried

    @staticmethod
    def gates_as_graphs(A, h_before, cs, W, b):
        """i, f, g, o and tanh c_t of every step as graphs of the inputs (the higher-order
        pass)."""
        size = h_before.shape[2]
        total = A + hidden_share(h_before, W, b)
        i, f, g, o = (total[:, :, k * size:(k + 1) * size] for k in range(4))
        return i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid(), cs.tanh()


# -- an LSTM layer from its input: one product a step, laid out by column -------------------------

def layer_order(rows: np.ndarray) -> np.ndarray:
    """PyTorch's stacked gates (i, f, g, o), the rows of a weight or bias, in the order
    `lstm_layer` keeps them, (o, i, f, g): the three σ gates one block (one + 1 a step), and
    the three that backward multiplies by dc one block. A new array.

    >>> layer_order(np.arange(4)), torch_order(np.array([3, 0, 1, 2]))
    (array([3, 0, 1, 2]), array([0, 1, 2, 3]))
    """
    size = len(rows) // 4
    return np.concatenate((rows[3 * size:], rows[:3 * size]))


def torch_order(rows: np.ndarray) -> np.ndarray:
    """`layer_order` undone: rows (o, i, f, g) as PyTorch's (i, f, g, o), in a new array."""
    size = len(rows) // 4
    return np.concatenate((rows[size:], rows[:size]))


def unscaling(size: int, dtype: Any) -> np.ndarray:
    """(4H, 1): what takes out, by row, the powers of 2 that `LSTMLayer`'s factors of the gates
    (o, i, f, g) carry over the true derivatives, made as they are from the forward's 2σ:
    O(2 - O) = 4 o(1 - o) for O = 2o, and f(2 - F) = 2 f(1 - f), I(1 - g²) = 2 i(1 - g²).
    Exact, and applied to the loop's few (·, 4H) and (4H, ·) products, never to the
    (T, 4H, N) factors."""
    rows = np.full((4 * size, 1), 0.25, dtype)
    rows[2 * size:] = 0.5
    return rows


def reaching(G: np.ndarray) -> np.ndarray:
    """For each step of G (T, ...), whether any gradient reaches its state from outside the
    op: a layer's loss often reads the last h alone, and nothing reads the c's, so backward's
    loop skips adding the zeros of the other steps (one pass over G against T adds)."""
    return G.reshape(len(G), -1).any(1)


class StepSums:
    """What a layer op's backward loop adds up while each step's d_t is fresh: the stacked
    weights' gradient Σ_t d_t before_tᵀ (R, K), from d_t (R, N) and [h; x_t; 1] (K, N) by
    column, and the input's gradient dx_t = d_tᵀ W_in (N, F) of every step, (T, N, F), for
    W_in (R', F) that multiplies d's first R' rows (None when the input wants none). A step's
    d is then one (R, N) array for all steps, not a (T, R, N) one kept for sums after the loop
    (and their (T, R, K) product or (R, T·N) copies): 0.8 + 0.4 MB less at T 24, N 64, H 32,
    which a training step without keep_freed_memory paged in afresh each time. With it the
    step took as long both ways at N 64 (s33's gru notes), 2-4 % longer at N 16, H 128
    (docs/measurements.md#recurrent, s33 recurrent memory).

    >>> sums = StepSums(2, 3, np.ones((2, 1)), (1, 4, 1), True, np.float64)
    >>> sums.add(0, np.ones((2, 4)), np.arange(12.0).reshape(3, 4))
    >>> sums.joint, sums.dx[0].ravel()
    (array([[ 6., 22., 38.], [ 6., 22., 38.]]), array([2., 2., 2., 2.]))
    """
    __slots__ = ("joint", "product", "W_in", "dx")

    def __init__(self, rows: int, columns: int, W_in: np.ndarray, shape: tuple,
                 input_grad: bool, dtype: Any) -> None:
        self.joint = np.zeros((rows, columns), dtype)
        self.product = np.empty((rows, columns), dtype)
        self.W_in = W_in
        self.dx = np.empty(shape, np.result_type(dtype, W_in)) if input_grad else None

    def add(self, t: int, d_t: np.ndarray, before_t: np.ndarray) -> None:
        """Step t's d_t before_tᵀ into the sum, and its dx_t."""
        self.joint += np.matmul(d_t, before_t.T, out=self.product)
        if self.dx is not None:
            np.matmul(d_t[:len(self.W_in)].T, self.W_in, out=self.dx[t])


class LayerCtx(SequenceCtx):
    """A SequenceCtx that also says whether the layer's input wants a gradient (an input of
    data does not: its (T, N, F) product is skipped)."""
    __slots__ = ("input_grad",)

    def __init__(self, reverse: bool, lengths: np.ndarray | None, input_grad: bool) -> None:
        super().__init__(reverse, lengths=lengths)
        self.input_grad = input_grad


class LSTMLayer(Op):
    """lstm_sequence from the layer's input itself: the states (h_t, c_t) of every step,
    (2, T, N, H), from x (T, N, F), h0, c0 (N, H), W_ih (4H, F), W_hh (4H, H) and the biases
    b_ih, b_hh (4H,) or neither, the gates' sum of step t one product [W_hh, W_ih, b] [h; x_t; 1];
    backward as lstm_sequence's, then dx_t = d_t W_ih, dW_ih = Σ_t d_tᵀ x_t,
    db_ih = db_hh = Σ d. ctx: a LayerCtx.

    For few input features: where `linear` made the input's share A of every step and
    lstm_sequence added A_t to each step's product, each step multiplies the stacked weights
    by [h; x_t; 1] (K = H + F + 1 rows). Everything runs by column, transposed: a step's sum is
    (4H, N), each gate's rows one contiguous block (numpy's loops on a block of rows run at full
    speed; on the (N, H) columns of a (N, 4H) row they took 2-3x as long, which cost
    lstm_sequence a copy into its gates' blocks every step), and step t writes its h into the
    first rows of step t + 1's [h; x; 1] as it makes it. σ comes from one tanh,
    σ(a) = (1 + tanh(a/2)) / 2, each constant folded where it costs nothing: the halves inside
    tanh into σ's rows of the stacked weights, the outer halves into the states. The forward
    keeps 2σ (one + 1), 2c' = 2f ⊙ c + 2i ⊙ g then halved, and 2h' = 2o ⊙ tanh c', multiplied
    by W_hh / 2. Halving and doubling are exact: the states are lstm_sequence's to the rounding
    of one product's sums. The states are returned as a view of a (2, T, H, N) array: no
    transposed copy (2 x 19 µs at T 24, N 64, H 32), and the gradients of the output's slices
    come back laid out alike (see `GetItem`), so backward reads them by column without one
    either. Backward loops by column too, with factors that keep powers of 2 for the products
    to take out (`unscaling`), and adds up Σ_t d_t [2h; x_t; 1]ᵀ, the three weights' gradients
    at once, step by step (`StepSums`). The rows of PyTorch's gates (i, f, g, o)
    are kept as (o, i, f, g) (`layer_order`). (Measured: docs/measurements.md#recurrent.)
    Called with Tensors (the higher-order pass), the rule builds A and lstm_sequence's
    graph."""
    name = "lstm_layer"

    @staticmethod
    def forward(ctx, x, h0, c0, W_ih, W_hh, b_ih=None, b_hh=None):
        dtype, lengths = result_type(x, h0, c0, W_ih, W_hh, b_ih, b_hh), ctx.lengths
        steps, batch, features = x.shape
        size = h0.shape[1]
        sigmoids = 3 * size
        # the stacked weights [W_hh / 2, W_ih, b] (4H, K) in the order (o, i, f, g), σ's rows
        # halved; K = H + F + 1 columns (no 1 without biases)
        joint = np.empty((4 * size, size + features + (b_ih is not None)), dtype)
        np.multiply(layer_order(W_hh), 0.5, out=joint[:, :size])
        joint[:, size:size + features] = layer_order(W_ih)
        if b_ih is not None:
            np.add(layer_order(b_ih), layer_order(b_hh), out=joint[:, -1])
        joint[:sigmoids] *= 0.5
        # [2h; x_t; 1] of every step, by column: slot t + shift holds the state step t starts
        # from and x_t, and step t writes its 2h' into the next slot in its direction's order
        shift = 1 if ctx.reverse else 0
        Z = np.empty((steps + 1, joint.shape[1], batch), dtype)
        Z[shift:steps + shift, size:size + features] = x.transpose(0, 2, 1)
        if b_ih is not None:
            Z[shift:steps + shift, -1] = 1
        np.multiply(h0.T, 2, out=Z[steps if ctx.reverse else 0, :size])
        gates = np.empty((steps, 4 * size, batch), dtype)       # 2o, 2i, 2f, g of every step
        states, tanh_cs = np.empty((2, steps, size, batch), dtype), \
            np.empty((steps, size, batch), dtype)               # [h's; c's] by column
        ones, half = np.ones((sigmoids, batch), dtype), np.full((size, batch), 0.5, dtype)
        i_g, c = np.empty((size, batch), dtype), c0.T
        order = slice(None, None, -1) if ctx.reverse else slice(None)
        loop = zip(time_steps(steps, ctx.reverse), Z[shift:steps + shift][order],
                   Z[1 - shift:steps + 1 - shift][order], gates[order],
                   gates.reshape(steps, 4, size, batch)[order], states[1, order], tanh_cs[order])
        for t, before, after, s, (o, i, f, g), c_t, tanh_c in loop:
            np.matmul(joint, before, out=s)             # half the gates' sums, σ's rows: a / 2
            np.tanh(s, out=s)
            np.add(s[:sigmoids], ones, out=s[:sigmoids])                # 2σ
            c_before = c
            c = np.multiply(f, c, out=c_t)                              # c' = (2f ⊙ c + 2i ⊙ g)/2
            c += np.multiply(i, g, out=i_g)
            c *= half
            np.tanh(c, out=tanh_c)
            h = np.multiply(o, tanh_c, out=after[:size])                # 2h' = 2o ⊙ tanh c'
            if lengths is not None:             # past a row's length: its h and c carried
                frozen = lengths <= t
                np.copyto(h, before[:size], where=frozen)
                np.copyto(c, c_before, where=frozen)
        np.multiply(Z[1 - shift:steps + 1 - shift, :size], 0.5, out=states[0])
        ctx.gates = gates, states[1], tanh_cs, Z
        return states.transpose(0, 1, 3, 2)

    @staticmethod
    def backward(ctx, G, out, x, h0, c0, W_ih, W_hh, b_ih=None, b_hh=None):
        if isinstance(G, Node):             # higher order: A and lstm_sequence's rule, as graphs
            A = x @ W_ih.T if b_ih is None else x @ W_ih.T + (b_ih + b_hh)
            dA, dh, dc, dW_hh, _ = LSTMSequence.backward(
                SequenceCtx(ctx.reverse, lengths=ctx.lengths), G, out, A, h0, c0, W_hh)
            dW_ih, db = hidden_weight_grads(dA, x, b_ih)
            return (dA @ W_ih, dh, dc, dW_ih, dW_hh, *(() if b_ih is None else both(db)))
        gates, cs, tanh_cs, Z = ctx.gates
        steps, size, batch = cs.shape
        dtype = np.result_type(G, gates)
        factors, dh_dc, kept, carried = LSTMLayer.factors(ctx, gates, cs, tanh_cs, c0, dtype)
        # by column as the loop (free when G is laid out as the states, as slices' gradients)
        G = np.ascontiguousarray(G.transpose(0, 1, 3, 2))
        unscale = unscaling(size, dtype)
        back = np.ascontiguousarray((layer_order(W_hh) * unscale).T)   # dh = W_hhᵀ d: (H, 4H)
        # Σ_t d_t [2h; x_t; 1]ᵀ, the three weights' gradients at once, and dx, step by step
        sums = StepSums(4 * size, Z.shape[1], layer_order(W_ih) * unscale, (steps, batch,
                        x.shape[2]), ctx.input_grad, dtype)
        d_t = np.empty((4 * size, batch), dtype)                       # scaled
        dh, dc, through, dh_dc_t = np.zeros((4, size, batch), dtype)
        order = slice(None) if ctx.reverse else slice(None, None, -1)  # the last step first
        reached = reaching(G[0]), reaching(G[1])
        for t, G_h, G_c, h_t, c_t, before, (o, i, f, g), dh_dc_s, kept_t, carried_t in zip(
                time_steps(steps, not ctx.reverse), G[0, order], G[1, order],
                reached[0][order], reached[1][order], (Z[1:] if ctx.reverse else Z[:-1])[order],
                factors[order], dh_dc[order], kept[order],
                carried[order] if carried is not None else [None] * steps):
            if h_t:
                dh += G_h
            if c_t:
                dc += G_c
            dc += np.multiply(dh, dh_dc_s, out=dh_dc_t)
            np.multiply(o, dh, out=d_t[:size])
            np.multiply(i, dc, out=d_t[size:2 * size])
            np.multiply(f, dc, out=d_t[2 * size:3 * size])
            np.multiply(g, dc, out=d_t[3 * size:])
            np.matmul(back, d_t, out=through)
            sums.add(t, d_t, before)
            if carried_t is None:
                dh, through = through, dh
            else:
                dh *= carried_t
                dh += through
            dc *= kept_t
        joint = sums.joint
        joint *= unscale
        joint[:, :size] *= 0.5                                  # (the state is 2h in Z)
        features = W_ih.shape[1]
        grads = (sums.dx, np.ascontiguousarray(dh.T), np.ascontiguousarray(dc.T),
                 torch_order(joint[:, size:size + features]), torch_order(joint[:, :size]))
        return grads if b_ih is None else (*grads, *both(torch_order(joint[:, -1])))

    @staticmethod
    def factors(ctx, gates, cs, tanh_cs, c0, dtype):
        """What backward's loop multiplies by, for every step at once, by column and each gate's
        steps one block: the factors of the gates (o, i, f, g) with the powers of 2 that
        `unscaling` takes out, (T, 4, H, N), ∂h_t/∂c_t = o(1 - tanh²c_t) and what dc keeps,
        f, (T, H, N) each, and with `lengths` 1 - active (T, 1, N) (the factors 0 and f 1
        past a row's length), else None. All six in one (6, T, H, N) array: the forward's
        (T, 4H, N) 2o, 2i, 2f, g are copied by gate into four of its blocks, and each factor
        is made in place of a gate that it is the last to read (3 blocks fewer than gates and
        factors apart: 0.6 MB at T 24, N 64, H 32). By gate, as passes over a gate's rows of
        every step in place ran 4x as long (21 against 5.5 µs a pass at T 24, N 64, H 32),
        and a copy that halved o and f on the way 3x as long as the plain copy."""
        steps, size, batch = cs.shape
        blocks = np.empty((6, steps, size, batch), dtype)
        # the factors of o, i, f, g, then f and ∂h/∂c: o's made where 2o was, i's where g was,
        # f's where 2f was; 2i waits in the last block until it is read no more
        O, i_factor, F, g_factor, f, dh_dc = blocks
        for gate, block in zip(gates.reshape(steps, 4, size, batch).transpose(1, 0, 2, 3),
                               (O, dh_dc, F, i_factor)):                # 2o, 2i, 2f, g
            np.copyto(block, gate)
        I, g = dh_dc, i_factor
        np.multiply(g, g, out=g_factor)                         # 2i (1 - g²)
        np.subtract(1, g_factor, out=g_factor)
        g_factor *= I
        np.multiply(F, 0.5, out=f)                              # f
        np.subtract(2, F, out=F)                                # 2f(1 - f) = f (2 - 2f) ...
        F *= f
        c_first = c0.T                                          # ... times c_{t-1}
        if ctx.reverse:
            F[:-1] *= cs[1:]
            F[-1] *= c_first
        else:
            F[1:] *= cs[:-1]
            F[0] *= c_first
        g *= I                                                  # 4i(1 - i) g = 2i (2 - 2i) g
        g *= np.subtract(2, I, out=I)
        dh_dc = np.multiply(tanh_cs, tanh_cs, out=dh_dc)        # o (1 - tanh²c)
        np.subtract(1, dh_dc, out=dh_dc)
        dh_dc *= O
        dh_dc *= 0.5
        # 4o(1 - o) tanh c = 2o (2 - 2o) tanh c, in place: 2o(2 - 2o) = 1 - (1 - 2o)²
        np.subtract(1, O, out=O)
        O *= O
        np.subtract(1, O, out=O)
        O *= tanh_cs
        factors = blocks[:4]
        carried = None
        if ctx.lengths is not None:
            active = active_steps(ctx.lengths, steps, dtype).transpose(0, 2, 1)
            carried = 1 - active
            factors *= active
            dh_dc *= active
            f *= active
            f += carried
        return factors.transpose(1, 0, 2, 3), dh_dc, f, carried


# -- a GRU layer from its input: one product a step, laid out by column ---------------------------

def gru_rows(rows: np.ndarray) -> np.ndarray:
    """PyTorch's stacked input gates (r, z, n), rows of W_ih or b_ih, in the order `gru_layer`
    keeps them, (n, r, z): with the hidden share's (r, z, n) after them, the gates' sum of a
    step is the rows (n_in, r, z, n_hid), the input's three one block and the state's three
    another (no zero rows in either product of backward). A new array.

    >>> gru_rows(np.arange(3)), torch_gru_rows(np.array([2, 0, 1]))
    (array([2, 0, 1]), array([0, 1, 2]))
    """
    size = len(rows) // 3
    return np.concatenate((rows[2 * size:], rows[:2 * size]))


def torch_gru_rows(rows: np.ndarray) -> np.ndarray:
    """`gru_rows` undone: rows (n, r, z) as PyTorch's (r, z, n), in a new array."""
    size = len(rows) // 3
    return np.concatenate((rows[size:], rows[:size]))


class GRULayer(Op):
    """gru_sequence from the layer's input itself: h_t of every step (T, N, H) from x (T, N, F),
    h0 (N, H), W_ih (3H, F), W_hh (3H, H) and the biases b_ih, b_hh (3H,) or neither, the
    gates' shares of step t one product of the rows (n_in, r, z, n_hid) of
    [[0, W_in, b_in], [W_hr, W_ir, b_r], [W_hz, W_iz, b_z], [W_hn, 0, b_hn]] with [h; x_t; 1];
    backward as gru_sequence's, then dx_t = [dn_in, dr, dz] W_ih, dW_ih = Σ_t d_tᵀ x_t,
    db_ih = Σ [dr, dz, dn_in], db_hh = Σ [dr, dz, dn_hid]. ctx: a LayerCtx.

    `LSTMLayer`'s layout for a GRU: each step one product, by column, (4H, K) @ (K, N) for
    K = H + F + 1, whose (H, K) blocks of zeros keep n's input share a_n and hidden share
    b_n = W_hn h + b_hn apart (r multiplies b_n only). σ = (1 + tanh(a/2)) / 2 with the inner
    halves in the r and z rows of the stacked weights and the outer one in b_n's rows
    (2r ⊙ b_n/2 = r ⊙ b_n): the step keeps 2r, 2z, n and b_n/2 in the rows of its sum, and
    writes h' = n + z ⊙ (h - n) into the next step's [h; x; 1]. Backward's factors keep powers
    of 2 that the products take out (`gru_unscaling`), and the weights' gradients and dx are
    added up step by step (`StepSums`). Called with Tensors (the higher-order pass), the rule
    builds A = x W_ihᵀ + b_ih and gru_sequence's graph."""
    name = "gru_layer"

    @staticmethod
    def forward(ctx, x, h0, W_ih, W_hh, b_ih=None, b_hh=None):
        dtype, lengths = result_type(x, h0, W_ih, W_hh, b_ih, b_hh), ctx.lengths
        steps, batch, features = x.shape
        size = h0.shape[1]
        # the stacked weights (4H, K), rows (n_in, r, z, n_hid), the state's columns first; the
        # r and z rows halved (σ's inner half) and b_n's (σ's outer half of r, see above)
        joint = np.zeros((4 * size, size + features + (b_ih is not None)), dtype)
        joint[size:, :size] = W_hh
        joint[:3 * size, size:size + features] = gru_rows(W_ih)
        if b_ih is not None:
            joint[:3 * size, -1] = gru_rows(b_ih)
            joint[size:3 * size, -1] += b_hh[:2 * size]
            joint[3 * size:, -1] = b_hh[2 * size:]
        joint[size:] *= 0.5
        shift = 1 if ctx.reverse else 0
        Z = np.empty((steps + 1, joint.shape[1], batch), dtype)     # [h; x_t; 1] by column
        Z[shift:steps + shift, size:size + features] = x.transpose(0, 2, 1)
        if b_ih is not None:
            Z[shift:steps + shift, -1] = 1
        Z[steps if ctx.reverse else 0, :size] = h0.T
        gates = np.empty((steps, 4 * size, batch), dtype)       # n, 2r, 2z, b_n/2 of every step
        ones = np.ones((2 * size, batch), dtype)
        half = np.full((size, batch), 0.5, dtype)
        r_b, step_h = np.empty((2, size, batch), dtype)
        order = slice(None, None, -1) if ctx.reverse else slice(None)
        loop = zip(time_steps(steps, ctx.reverse), Z[shift:steps + shift][order],
                   Z[1 - shift:steps + 1 - shift][order], gates[order],
                   gates.reshape(steps, 4, size, batch)[order])
        for t, before, after, s, (n, r, z, b_n) in loop:
            np.matmul(joint, before, out=s)
            rz = s[size:3 * size]
            np.tanh(rz, out=rz)
            np.add(rz, ones, out=rz)                                    # 2r, 2z
            n += np.multiply(r, b_n, out=r_b)                           # a_n + r ⊙ b_n
            np.tanh(n, out=n)
            h = before[:size]
            diff = np.subtract(h, n, out=step_h)                        # h' = n + z ⊙ (h - n)
            diff *= z
            diff *= half
            h_new = np.add(n, diff, out=after[:size])
            if lengths is not None:             # past a row's length: its h carried
                np.copyto(h_new, h, where=lengths <= t)
        hs = np.array(Z[1 - shift:steps + 1 - shift, :size])           # (T, H, N)
        ctx.gates = gates, Z
        return hs.transpose(0, 2, 1)

    @staticmethod
    def backward(ctx, G, out, x, h0, W_ih, W_hh, b_ih=None, b_hh=None):
        if isinstance(G, Node):             # higher order: A and gru_sequence's rule, as graphs
            A = x @ W_ih.T if b_ih is None else x @ W_ih.T + b_ih
            dA, dh, dW_hh, db_hh = GRUSequence.backward(
                SequenceCtx(ctx.reverse, lengths=ctx.lengths), G, out, A, h0, W_hh, b_hh)
            dW_ih, db_ih = hidden_weight_grads(dA, x, b_ih)
            return (dA @ W_ih, dh, dW_ih, dW_hh, *(() if b_ih is None else (db_ih, db_hh)))
        gates, Z = ctx.gates
        steps, rows, batch = gates.shape
        size = rows // 4
        dtype = np.result_type(G, gates)
        factors, kept = GRULayer.factors(ctx, gates, Z, dtype)
        G = np.ascontiguousarray(G.transpose(0, 2, 1))                  # by column, (T, H, N)
        unscale = gru_unscaling(size, dtype)
        back = np.ascontiguousarray((W_hh * unscale[size:]).T)          # W_hhᵀ: (H, 3H)
        # Σ_t d_t [h; x_t; 1]ᵀ, the weights' gradients at once, and dx, step by step
        sums = StepSums(rows, Z.shape[1], gru_rows(W_ih) * unscale[:3 * size],
                        (steps, batch, x.shape[2]), ctx.input_grad, dtype)
        d_t = np.empty((rows, batch), dtype)                            # scaled
        dh, through = np.zeros((2, size, batch), dtype)
        order = slice(None) if ctx.reverse else slice(None, None, -1)  # the last step first
        for t, G_t, h_t, before, (f_n, f_r, f_z, f_b), kept_t in zip(
                time_steps(steps, not ctx.reverse), G[order], reaching(G)[order],
                (Z[1:] if ctx.reverse else Z[:-1])[order], factors[order], kept[order]):
            if h_t:
                dh += G_t
            np.multiply(f_n, dh, out=d_t[:size])
            np.multiply(f_r, dh, out=d_t[size:2 * size])
            np.multiply(f_z, dh, out=d_t[2 * size:3 * size])
            np.multiply(f_b, dh, out=d_t[3 * size:])
            np.matmul(back, d_t[size:], out=through)
            sums.add(t, d_t, before)
            dh *= kept_t                        # (kept: z, and 1 past a row's length)
            dh += through
        joint, dx = sums.joint, sums.dx
        joint *= unscale
        features = W_ih.shape[1]
        grads = (dx, np.ascontiguousarray(dh.T),
                 torch_gru_rows(joint[:3 * size, size:size + features]),
                 np.array(joint[size:, :size]))
        if b_ih is None:
            return grads
        return (*grads, torch_gru_rows(joint[:3 * size, -1]), np.array(joint[size:, -1]))

    @staticmethod
    def factors(ctx, gates, Z, dtype):
        """What backward's loop multiplies dh by, for every step at once: the factors of the
        rows (n_in, r, z, n_hid), (T, 4, H, N), with the powers of 2 that `gru_unscaling` takes
        out: (2 - 2z)(1 - n²) = 2 (1 - z)(1 - n²) for n_in; times b_n/2 · 2r(2 - 2r) for r;
        (h - n) 2z(2 - 2z) for z; times 2r for b_n; and what dh keeps, z (T, H, N), with
        `lengths` 1 past a row's length (where the factors are 0). The forward's rows are
        copied by gate first (passes over a gate's rows of every step ran 4x as long, see
        `LSTMLayer.factors`)."""
        steps, rows, batch = gates.shape
        size = rows // 4
        # the factors and kept in one (6, T, H, N) array, the forward's rows copied by gate
        # into four of its blocks, each factor made where a gate it is the last to read was
        # (2 blocks fewer than gates and factors apart, as `LSTMLayer.factors`)
        blocks = np.empty((6, steps, size, batch), dtype)
        f_n, f_r, f_z, f_b, kept, spare = blocks
        for gate, block in zip(gates.reshape(steps, 4, size, batch).transpose(1, 0, 2, 3),
                               (spare, f_b, kept, f_r)):                # n, 2r, 2z, b_n/2
            np.copyto(block, gate)
        n, R, Zg = spare, f_b, kept                                     # (and f_r: b_n/2)
        two_minus_z = np.subtract(2, Zg, out=f_z)
        np.multiply(n, n, out=f_n)                                      # (2 - 2z)(1 - n²)
        np.subtract(1, f_n, out=f_n)
        f_n *= two_minus_z
        f_z *= Zg                                                       # (h - n) 2z(2 - 2z)
        before = Z[1:, :size] if ctx.reverse else Z[:-1, :size]
        f_z *= np.subtract(before, n, out=n)                            # (n is read no more)
        two_minus_r = np.subtract(2, R, out=spare)
        f_b = np.multiply(R, f_n, out=R)                                # ... · 2r
        two_minus_r *= f_b                                              # ... · b_n/2 · 2r(2 - 2r)
        f_r *= two_minus_r
        kept *= 0.5
        factors = blocks[:4]
        if ctx.lengths is not None:
            active = active_steps(ctx.lengths, steps, dtype).transpose(0, 2, 1)
            factors *= active
            kept *= active
            kept += 1 - active
        return factors.transpose(1, 0, 2, 3), kept


def gru_unscaling(size: int, dtype: Any) -> np.ndarray:
    """(4H, 1): what takes out, by row (n_in, r, z, n_hid), the powers of 2 that `GRULayer`'s
    factors carry over the true derivatives: 2 for n_in, 4 for the others."""
    rows = np.full((4 * size, 1), 0.25, dtype)
    rows[:size] = 0.5
    return rows
