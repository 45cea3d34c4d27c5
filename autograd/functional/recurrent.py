"""The recurrent layers' functions: one GRU or LSTM step (`gru_step`, `lstm_step`, for the
cells) and a whole sequence of an RNN, GRU or LSTM layer as one node (`rnn_sequence`,
`gru_sequence`, `lstm_sequence`, with `lengths` for a packed batch; `lstm_layer`,
`gru_layer`: an LSTM's or a GRU's from the input itself, for few input features). Their ops,
with the gradients right under them, are in autograd/ops/recurrent.py; this module checks the
shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import apply
from ..ops.recurrent import (GateCtx, GRULayer, GRUSequence, GRUStep, LSTMCellState,
                             LSTMHiddenState, LayerCtx, LSTMLayer, LSTMSequence, RNNSequence,
                             SequenceCtx)
from ..tensor import Tensor
from .arguments import _floating, _tensor


def gru_step(from_input: Any, from_hidden: Any, h: Any) -> Tensor:
    """One GRU step as one node: the next state h' (N, H) from the gates' two shares
    from_input = x W_ihᵀ + b_ih and from_hidden = h W_hhᵀ + b_hh, each (N, 3H) with the gates
    stacked r, z, n as in PyTorch, and the state h (N, H):

        r = σ(a_r + b_r),  z = σ(a_z + b_z),  n = tanh(a_n + r ⊙ b_n),  h' = (1 - z) ⊙ n + z ⊙ h

    >>> zero = Tensor([[0.0, 0.0, 0.0]])                      # N = 1, H = 1: r, z, n at 0
    >>> gru_step(zero, zero, Tensor([[1.0]])).numpy()         # z = 1/2: halfway to n = 0
    array([[0.5]], dtype=float32)
    """
    a, b, h = _step_operands("gru_step", 3, from_input, from_hidden, h, "h")
    return apply(GRUStep, (a, b, h), GateCtx())


def lstm_step(from_input: Any, from_hidden: Any, c: Any) -> tuple[Tensor, Tensor]:
    """One LSTM step: the next (h', c'), each (N, H), from the gates' two shares
    from_input = x W_ihᵀ + b_ih and from_hidden = h W_hhᵀ + b_hh, each (N, 4H) with the gates
    stacked i, f, g, o as in PyTorch, and the cell state c (N, H):

        i, f, o = σ(a + b) of their columns,  g = tanh(a_g + b_g)
        c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')

    Two nodes, one for c' and one for h' (see `autograd.ops.recurrent`).

    >>> zero = Tensor([[0.0, 0.0, 0.0, 0.0]])                 # N = 1, H = 1: i, f, g, o at 0
    >>> h, c = lstm_step(zero, zero, Tensor([[2.0]]))         # i, f, o = 1/2, g = 0
    >>> c.numpy(), h.numpy().round(4)                         # c' = c / 2, h' = tanh(1) / 2
    (array([[1.]], dtype=float32), array([[0.3808]], dtype=float32))
    """
    a, b, c = _step_operands("lstm_step", 4, from_input, from_hidden, c, "c")
    c = apply(LSTMCellState, (a, b, c), GateCtx())
    return apply(LSTMHiddenState, (a, b, c), GateCtx()), c


def _step_operands(name: str, gates: int, from_input: Any, from_hidden: Any, state: Any,
                   what: str) -> tuple[Tensor, Tensor, Tensor]:
    """The operands of a recurrent step as float Tensors (integers as the default dtype, as
    tanh takes them), or an error naming the step and the shapes it expected: the two shares
    (N, gates · H) and a state (N, H)."""
    a, b, s = (_floating(name, _tensor(v, name)) for v in (from_input, from_hidden, state))
    if s.ndim != 2:
        raise ValueError(f"{name}: {what} must be 2-d (batch, hidden_size), got shape {s.shape}")
    expected = (s.shape[0], gates * s.shape[1])
    for share, v in (("from_input", a), ("from_hidden", b)):
        if v.shape != expected:
            raise ValueError(f"{name}: {share} must have shape {expected} (batch, {gates} gates "
                             f"x hidden_size) for {what} of shape {s.shape}, got {v.shape}")
    return a, b, s


def rnn_sequence(from_input: Any, h0: Any, weight_hh: Tensor, bias_hh: Tensor | None = None,
                 nonlinearity: str = "tanh", reverse: bool = False,
                 lengths: Any = None) -> tuple[Tensor, Tensor]:
    """A whole sequence of an Elman RNN layer as one node: (h of every step (T, N, H), the last
    h (N, H)) from the input's share of every step, from_input = x W_ihᵀ + b_ih (T, N, H), and
    the initial state h0 (N, H); `reverse` runs from the last step to the first. `lengths`
    (N ints in 1..T) makes row n a sequence of its first lengths[n] steps, as a packed batch:
    past them its h is carried unchanged, so the last h is the one after its own last step,
    and in reverse it starts at that step. (The steps past a row's length are computed and
    dropped: they must hold finite numbers, as backward multiplies their share by 0.)

        h_t = tanh(from_input_t + h_{t-1} W_hhᵀ + b_hh)        (or relu)

    >>> hs, h_n = rnn_sequence(Tensor(np.ones((3, 1, 1))), Tensor([[0.0]]), Tensor([[0.0]]))
    >>> hs.shape, h_n.numpy().round(4).tolist()                # W_hh = 0: h_t = tanh(1)
    ((3, 1, 1), [[0.7616]])
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_sequence: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")
    inputs = _sequence_operands("rnn_sequence", 1, from_input, (h0,), weight_hh, bias_hh)
    lengths = _sequence_lengths("rnn_sequence", lengths, inputs[0].shape)
    hs = apply(RNNSequence, inputs, SequenceCtx(bool(reverse), nonlinearity, lengths))
    return hs, hs[0 if reverse else -1]


def gru_sequence(from_input: Any, h0: Any, weight_hh: Tensor, bias_hh: Tensor | None = None,
                 reverse: bool = False, lengths: Any = None) -> tuple[Tensor, Tensor]:
    """A whole sequence of a GRU layer as one node: (h of every step (T, N, H), the last h
    (N, H)) from the input's share of every step, from_input = x W_ihᵀ + b_ih (T, N, 3H) with
    the gates stacked r, z, n, and the initial state h0 (N, H): `gru_step` at every step, with
    from_hidden = h W_hhᵀ + b_hh. `reverse` runs from the last step to the first; `lengths`
    as in `rnn_sequence`.

    >>> zero = Tensor(np.zeros((2, 1, 3)))                     # T = 2, N = 1, H = 1
    >>> hs, h_n = gru_sequence(zero, Tensor([[1.0]]), Tensor(np.zeros((3, 1))))
    >>> hs.numpy().ravel().tolist(), h_n.shape                 # halfway to n = 0 each step
    ([0.5, 0.25], (1, 1))
    """
    inputs = _sequence_operands("gru_sequence", 3, from_input, (h0,), weight_hh, bias_hh)
    lengths = _sequence_lengths("gru_sequence", lengths, inputs[0].shape)
    hs = apply(GRUSequence, inputs, SequenceCtx(bool(reverse), lengths=lengths))
    return hs, hs[0 if reverse else -1]


def lstm_sequence(from_input: Any, h0: Any, c0: Any, weight_hh: Tensor,
                  bias_hh: Tensor | None = None, reverse: bool = False,
                  lengths: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """A whole sequence of an LSTM layer as one node: (h of every step (T, N, H), (the last h,
    the last c) (N, H) each) from the input's share of every step, from_input = x W_ihᵀ + b_ih
    (T, N, 4H) with the gates stacked i, f, g, o, and the initial state h0, c0 (N, H):
    `lstm_step` at every step, with from_hidden = h W_hhᵀ + b_hh. `reverse` runs from the last
    step to the first; `lengths` as in `rnn_sequence` (h and c carried). The node holds h and
    c of every step, (2, T, N, H); the results are its slices (see `autograd.ops.recurrent`).

    >>> zero = Tensor(np.zeros((2, 1, 4)))                     # T = 2, N = 1, H = 1
    >>> hs, (h_n, c_n) = lstm_sequence(zero, Tensor([[0.0]]), Tensor([[2.0]]),
    ...                                Tensor(np.zeros((4, 1))))
    >>> c_n.numpy().tolist(), hs.shape                         # f = 1/2 and g = 0: c halves
    ([[0.5]], (2, 1, 1))
    """
    inputs = _sequence_operands("lstm_sequence", 4, from_input, (h0, c0), weight_hh, bias_hh)
    lengths = _sequence_lengths("lstm_sequence", lengths, inputs[0].shape)
    states = apply(LSTMSequence, inputs, SequenceCtx(bool(reverse), lengths=lengths))
    last = 0 if reverse else -1
    return states[0], (states[0, last], states[1, last])


def lstm_layer(x: Any, h0: Any, c0: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
               bias_hh: Any = None, reverse: bool = False,
               lengths: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """An LSTM layer in one direction as one node, from its input x (T, N, F) itself: what
    `lstm_sequence` gives for from_input = x W_ihᵀ + b_ih + b_hh, (h of every step (T, N, H),
    (the last h, the last c)), with the weights as PyTorch stacks them, W_ih (4H, F),
    W_hh (4H, H), and both biases (4H,) or neither. Each step's gates are one product with
    [h; x_t; 1], and no (T, N, 4H) input share is made: faster than `linear` and
    `lstm_sequence` for inputs of few features (see `autograd.ops.recurrent`'s LSTMLayer).
    `reverse` and `lengths` as in `lstm_sequence`.

    >>> x = Tensor(np.zeros((2, 1, 3)))                        # T = 2, N = 1, F = 3, H = 1
    >>> hs, (h_n, c_n) = lstm_layer(x, Tensor([[0.0]]), Tensor([[2.0]]),
    ...                             Tensor(np.zeros((4, 3))), Tensor(np.zeros((4, 1))))
    >>> c_n.numpy().tolist(), hs.shape                         # f = 1/2 and g = 0: c halves
    ([[0.5]], (2, 1, 1))
    """
    x, h0, c0 = _layer_operands("lstm_layer", x, (h0, c0), bias_ih, bias_hh)
    ih = _weight_operands("lstm_layer", 4, h0.shape[1], weight_ih, bias_ih, "ih", x.shape[2])
    hh = _weight_operands("lstm_layer", 4, h0.shape[1], weight_hh, bias_hh, "hh")
    inputs = (x, h0, c0, ih[0], hh[0], *ih[1:], *hh[1:])
    lengths = _sequence_lengths("lstm_layer", lengths, x.shape)
    states = apply(LSTMLayer, inputs, LayerCtx(bool(reverse), lengths, x._fn is not None))
    last = 0 if reverse else -1
    return states[0], (states[0, last], states[1, last])


def gru_layer(x: Any, h0: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
              bias_hh: Any = None, reverse: bool = False,
              lengths: Any = None) -> tuple[Tensor, Tensor]:
    """A GRU layer in one direction as one node, from its input x (T, N, F) itself: what
    `gru_sequence` gives for from_input = x W_ihᵀ + b_ih, (h of every step (T, N, H), the last
    h (N, H)), with the weights as PyTorch stacks them (r, z, n), W_ih (3H, F), W_hh (3H, H),
    and both biases (3H,) or neither. Each step's gates are one product with [h; x_t; 1], and
    no (T, N, 3H) input share is made: faster than `linear` and `gru_sequence` for inputs of
    few features (see `autograd.ops.recurrent`'s GRULayer). `reverse` and `lengths` as in
    `gru_sequence`.

    >>> x = Tensor(np.zeros((2, 1, 3)))                        # T = 2, N = 1, F = 3, H = 1
    >>> hs, h_n = gru_layer(x, Tensor([[1.0]]), Tensor(np.zeros((3, 3))),
    ...                     Tensor(np.zeros((3, 1))))
    >>> hs.numpy().ravel().tolist(), h_n.shape                 # halfway to n = 0 each step
    ([0.5, 0.25], (1, 1))
    """
    x, h0 = _layer_operands("gru_layer", x, (h0,), bias_ih, bias_hh)
    ih = _weight_operands("gru_layer", 3, h0.shape[1], weight_ih, bias_ih, "ih", x.shape[2])
    hh = _weight_operands("gru_layer", 3, h0.shape[1], weight_hh, bias_hh, "hh")
    inputs = (x, h0, ih[0], hh[0], *ih[1:], *hh[1:])
    lengths = _sequence_lengths("gru_layer", lengths, x.shape)
    hs = apply(GRULayer, inputs, LayerCtx(bool(reverse), lengths, x._fn is not None))
    return hs, hs[0 if reverse else -1]


def _layer_operands(name: str, x: Any, states: tuple, bias_ih: Any, bias_hh: Any) -> tuple:
    """A layer op's input x (T, N, F) and initial states (N, H) as float Tensors, (x, *states),
    or an error naming the op: x must have the states' batch and a step; both biases or
    neither."""
    x = _floating(name, _tensor(x, name))
    states = _state_operands(name, states)
    batch = states[0].shape[0]
    if x.ndim != 3 or x.shape[1] != batch or not len(x):
        raise ValueError(f"{name}: x must have shape (T, {batch}, features) (time, batch, "
                         f"features) with T > 0 for h0 of shape {states[0].shape}, got "
                         f"{x.shape}")
    if (bias_ih is None) != (bias_hh is None):
        raise ValueError(f"{name}: give both biases, bias_ih and bias_hh, or neither; got "
                         f"only {'bias_ih' if bias_hh is None else 'bias_hh'}")
    return (x, *states)


def _sequence_operands(name: str, gates: int, from_input: Any, states: tuple, weight_hh: Any,
                       bias_hh: Any) -> tuple:
    """The inputs of a sequence op as float Tensors (integers as the default dtype, as tanh
    takes them), (from_input, *states, weight_hh[, bias_hh]), or an error naming the op and the
    shapes it expected."""
    a = _floating(name, _tensor(from_input, name))
    states = _state_operands(name, states)
    batch, size = states[0].shape
    if a.ndim != 3 or a.shape[1:] != (batch, gates * size) or not len(a):
        raise ValueError(f"{name}: from_input must have shape (T, {batch}, {gates * size}) "
                         f"(time, batch, {gates} gates x hidden_size) with T > 0 for h0 of "
                         f"shape {states[0].shape}, got {a.shape}")
    return (a, *states, *_weight_operands(name, gates, size, weight_hh, bias_hh, "hh"))


def _state_operands(name: str, states: tuple) -> tuple:
    """The initial states (h0, or h0 and c0) as float Tensors of one shape (N, H)."""
    states = tuple(_floating(name, _tensor(s, name)) for s in states)
    for what, s in zip(("h0", "c0"), states):
        if s.ndim != 2:
            raise ValueError(f"{name}: {what} must be 2-d (batch, hidden_size), got shape "
                             f"{s.shape}")
        if s.shape != states[0].shape:
            raise ValueError(f"{name}: c0 must have the shape of h0 {states[0].shape}, got "
                             f"{s.shape}")
    return states


def _weight_operands(name: str, gates: int, size: int, weight: Any, bias: Any, kind: str,
                     features: int | None = None) -> tuple:
    """A weight (gates · H, features, H by default) and its bias (gates · H,) or None, as float
    Tensors: (weight,) or (weight, bias); `kind` "hh" or "ih" names them."""
    W = _floating(name, _tensor(weight, name))
    columns = size if features is None else features
    if W.shape != (gates * size, columns):
        what = "hidden_size" if features is None else "features"
        raise ValueError(f"{name}: weight_{kind} must have shape {(gates * size, columns)} "
                         f"({gates} gates x hidden_size, {what}), got {W.shape}")
    if bias is None:
        return (W,)
    b = _floating(name, _tensor(bias, name))
    if b.shape != (gates * size,):
        raise ValueError(f"{name}: bias_{kind} must have shape ({gates * size},), got "
                         f"{b.shape}")
    return (W, b)


def _sequence_lengths(name: str, lengths: Any, shape: tuple) -> np.ndarray | None:
    """A sequence op's `lengths` as an int64 array of one length in 1..T per row, for its
    from_input of `shape` (T, N, ·); None stays None (every row T steps)."""
    if lengths is None:
        return None
    array = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    steps, batch = shape[0], shape[1]
    if array.dtype.kind not in "iu" or array.shape != (batch,) \
            or (array < 1).any() or (array > steps).any():
        raise ValueError(f"{name}: lengths must be {batch} integers in 1..{steps}, one per "
                         f"row of from_input {shape}, got {array.tolist()!r} ({array.dtype})")
    return array.astype(np.int64)
