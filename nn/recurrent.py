"""Recurrent layers: `RNN`, `GRU` and `LSTM`, and their one-step cells `RNNCell`, `GRUCell` and
`LSTMCell`, with PyTorch's formulas, parameter names, shapes and initialisation, so a
`state_dict()` loads into `torch.nn.GRU` (and back) with nothing renamed, reshaped or reordered
(torch wants its tensors: `{k: torch.from_numpy(v.numpy()) for k, v in gru.state_dict().items()}`).

A recurrent layer reads a sequence one step at a time and carries a hidden state h from step to
step. With x_t the input at step t and h the state before it (σ the sigmoid, ⊙ elementwise):

    RNN   h' = tanh(W_ih x_t + b_ih + W_hh h + b_hh)              (or relu)
    GRU   r  = σ(W_ir x_t + b_ir + W_hr h + b_hr)                 reset gate
          z  = σ(W_iz x_t + b_iz + W_hz h + b_hz)                 update gate
          n  = tanh(W_in x_t + b_in + r ⊙ (W_hn h + b_hn))        candidate state
          h' = (1 - z) ⊙ n + z ⊙ h
    LSTM  i, f, o = σ(W_i· x_t + b_i· + W_h· h + b_h·)            input, forget, output gates
          g  = tanh(W_ig x_t + b_ig + W_hg h + b_hg)              candidate cell
          c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')

The gates' matrices are stacked in one weight per layer, in PyTorch's order: `weight_ih_l0` is
(gates · hidden_size, input_size) with rows [W_ir; W_iz; W_in] for a GRU and [W_ii; W_if; W_ig;
W_io] for an LSTM; `weight_hh_l0` is (gates · hidden_size, hidden_size); `bias_ih_l0` and
`bias_hh_l0` are (gates · hidden_size,). Layer k > 0 reads the outputs of layer k - 1
(`weight_ih_l1`, ...); a bidirectional layer has a second set named `..._reverse`, run from the
last step to the first. Every number starts uniform in ±1/√hidden_size, as in PyTorch, drawn
from `rng` (also used for the dropout masks) or from the shared generator (`manual_seed`).

A batch of sequences of different lengths goes in packed (`nn.utils.rnn.pack_padded_sequence`,
as in PyTorch): the layer runs each sequence over its own steps and returns a PackedSequence,
with each sequence's final state taken after its own last step (a reverse direction starts
there). Inside it is the padded batch, each row's state carried unchanged past its length.

A cell is one step of its layer, for loops written by hand (PyTorch's `nn.GRUCell`, ...): it
takes x_t and h and returns h' (an LSTMCell takes and returns (h, c)), with the same stacked
weights named `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.

A layer runs in two nodes per layer and direction: `linear` makes the input's share of the
gates for every step in one product, and one op (`rnn_sequence`, `gru_sequence`,
`lstm_sequence`, see `autograd.ops.recurrent`) runs the steps and, in backward, the loop of
backpropagation through time. An LSTM layer of few input features and a batch of 16 rows or
more, and a GRU layer of few input features, is one node, `lstm_layer` or `gru_layer`, each
step one product with [h; x_t; 1] (see `LSTM`, `GRU`; while recording, up to 64 hidden
units). A cell's step is one op (`gru_step`; an LSTM's two, for c' and h') after the products
`linear` makes. The rules are written with operations that Tensors have too, so higher
derivatives work as for any other op.

>>> import numpy as np
>>> from autograd import Tensor, manual_seed
>>> manual_seed(0)
>>> gru = GRU(input_size=4, hidden_size=8)
>>> x = Tensor(np.zeros((10, 3, 4)))             # 10 steps of a batch of 3 sequences
>>> output, h_n = gru(x)
>>> output.shape, h_n.shape                      # h at every step; the last h of each layer
((10, 3, 8), (1, 3, 8))
>>> list(gru.state_dict())
['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd import Tensor, concatenate, get_default_dtype, stack
from autograd import functional as AF
from autograd.devices import check_device
from autograd.graph import grad_mode
from autograd.functional.arguments import _floating
from autograd.warn import warn

from . import functional as F
from . import init
from .module import Module, Parameter
from .utils.rnn import PackedSequence, _layout, pad_packed_sequence

__all__ = ["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"]

State = tuple[Tensor, ...]      # (h,) for RNN and GRU, (h, c) for LSTM


_TOKENS_HINT = "; integer token indices? pass them through an Embedding first"


def _check_sizes(name: str, **sizes: Any) -> None:
    for what, n in sizes.items():
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{name}: {what} must be a positive integer, got {n!r}")


def _checked_nonlinearity(name: str, nonlinearity: str) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return nonlinearity


def _add_weights(module: Module, suffix: str, inputs: int, dtype: Any) -> None:
    """Give `module` weight_ih, weight_hh (and bias_ih, bias_hh) + `suffix` for `module.gates`
    gates stacked, zeros until `_draw_weights`; assigned in PyTorch's order, so state_dict()
    lists them as torch does."""
    dtype = get_default_dtype() if dtype is None else dtype
    rows = module.gates * module.hidden_size
    shapes = {"weight_ih": (rows, inputs), "weight_hh": (rows, module.hidden_size)}
    if module.bias:
        shapes.update(bias_ih=(rows,), bias_hh=(rows,))
    for kind, shape in shapes.items():
        setattr(module, kind + suffix, Parameter(np.zeros(shape), dtype))


def _draw_weights(module: Module, rng: np.random.Generator | None) -> None:
    """Every parameter of `module` uniform in ±1/√hidden_size as in PyTorch, in place and in
    the order they were made: from `rng`, or the shared generator."""
    bound = 1.0 / math.sqrt(module.hidden_size)
    for parameter in module.parameters():
        init.uniform_(parameter, -bound, bound, rng=rng)


def _as_tensor(owner: Any, x: Any, name: str) -> Tensor:
    """`x` (an input or a state) as a Tensor, or an error that names `owner` (the layer or
    cell, or its name) and `x`. The helpers here take the module itself and print it only in
    an error: its repr costs ~5 µs, which a cell paid up to four times a step (an LSTMCell's
    step at batch 64 took 67 µs; docs/measurements.md#recurrent)."""
    if isinstance(x, Tensor):               # the usual case: no message to build
        return x
    owner = str(owner)
    try:
        return AF._tensor(x, f"{owner}: {name}")
    except TypeError as error:              # the Tensor's own error names only "Tensor"
        if str(error).startswith(owner):
            raise
        raise TypeError(f"{owner}: {name}: {str(error).removeprefix('Tensor: ')}") from None


def _features(owner: Any, x: Any) -> tuple[Tensor, bool]:
    """The input `x` as a float Tensor, and whether it came as integers (for a shape error's
    hint); token indices refused."""
    x = _as_tensor(owner, x, "input")
    tokens = x.dtype.kind in "iub"
    F._refuse_token_indices(owner, "the input", x)
    return _floating(owner, x), tokens


def _state_tensor(owner: Any, name: str, part: Any) -> Tensor:
    """One part of a given state (h or c) as a float Tensor."""
    if part is None:
        raise TypeError(f"{owner}: {name} is None; give the whole initial state, or none of it "
                        f"for zeros")
    return _floating(name, _as_tensor(owner, part, name))     # (a Tensor: cast, never refused)


def _one_state(owner: Any, state: Any, expected: str) -> tuple:
    if isinstance(state, tuple):
        raise TypeError(f"{owner}: {expected}, got a tuple of {len(state)}")
    return (state,)


def _state_pair(owner: Any, state: Any, expected: str) -> tuple:
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        got = (f"a {type(state).__name__} of {len(state)}" if isinstance(state, (tuple, list))
               else f"a {type(state).__name__} of shape {np.shape(state)}")
        raise TypeError(f"{owner}: {expected}, got {got}")
    return tuple(state)


class RNNBase(Module):
    """What RNN, GRU and LSTM share: the parameters, the checks, the loops over layers and
    directions. A subclass says how many gates it stacks (`gates`) and which op runs one layer
    over the whole sequence (`_sequence`)."""

    gates = 1
    state_names: tuple[str, ...] = ("h0",)
    # whether b_hh adds straight into every step's sum (RNN, LSTM; not the GRU, whose r
    # multiplies b_hn): then it joins b_ih in the input's product (see `_run`)
    hidden_bias_in_sum = True
    # a layer and direction with up to `few_features` input features and `layer_batch` rows or
    # more runs as one node from its input itself (`_layer`; GRU and LSTM), else as `linear`
    # and the sequence op; the RNN has no such op (no feature is few enough). Where a backward
    # will follow (grad mode on), only up to `most_hidden` hidden units: above, one node's
    # backward cost more than it saved (GRU and LSTM, at small batches)
    few_features, layer_batch, most_hidden = 0, 1, math.inf

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None,
                 rng: np.random.Generator | None = None, *, device: Any = None) -> None:
        name = type(self).__name__
        check_device(name, device)
        _check_sizes(name, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if not isinstance(dropout, numbers.Real) or isinstance(dropout, bool) \
                or not 0 <= dropout < 1:
            raise ValueError(f"{name}: dropout must be a probability in [0, 1), got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            # as PyTorch: dropout sits between layers, so one layer has nowhere to put it
            warn(f"{name}: dropout={dropout} acts between stacked layers only, so with "
                 f"num_layers=1 it does nothing", UserWarning)
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.dropout = int(num_layers), float(dropout)
        self.bias, self.batch_first, self.bidirectional = bool(bias), bool(batch_first), \
            bool(bidirectional)
        self.rng = rng                                  # for dropout masks (None: shared one)
        self.proj_size = 0              # PyTorch's attribute (an LSTM's projection: not built)
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else self.hidden_size * self._directions
            for suffix in self._suffixes:
                _add_weights(self, f"_l{layer}{suffix}", inputs, dtype)
        self.reset_parameters(rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """Redraw every weight and bias uniform in ±1/√hidden_size, in place, as the
        constructor does: from `rng`, or the shared generator."""
        _draw_weights(self, rng)

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, as PyTorch's `all_weights`: [[weight_ih_l0,
        weight_hh_l0, bias_ih_l0, bias_hh_l0], [the same ..._l0_reverse], [..._l1], ...]
        (no biases with bias=False).

        >>> [[tuple(w.shape) for w in ws] for ws in GRU(3, 5, bias=False).all_weights]
        [[(15, 3), (15, 5)]]
        """
        kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if self.bias else \
            ("weight_ih", "weight_hh")
        return [[getattr(self, f"{kind}_l{layer}{suffix}") for kind in kinds]
                for layer in range(self.num_layers) for suffix in self._suffixes]

    def flatten_parameters(self) -> None:
        """Does nothing: in PyTorch it packs the weights for cuDNN; here there is no GPU."""

    def forward(self, x: Any, h0: Any = None, *, hx: Any = None) -> tuple[Any, Any]:
        """(output, h_n): output is the last layer's h at every step, (T, N, directions ·
        hidden_size) ((N, T, ...) with batch_first); h_n is every layer's last h, (num_layers ·
        directions, N, hidden_size). An unbatched input (T, input_size) gives both without the N
        axis. `h0` (PyTorch's `hx`) is the initial state, zeros if not given.

        A PackedSequence (nn.utils.rnn) runs each sequence over its own steps only, as in
        PyTorch: output is a PackedSequence of the same steps, h_n holds each sequence's h
        after its own last step (a reverse direction starts at that step), and h0 and h_n
        are in the batch's own order (that of the lengths packed with)."""
        if hx is not None:
            if h0 is not None:
                raise TypeError(f"{self!r}: got both h0 and hx; they are the same argument "
                                f"(hx is PyTorch's name)")
            h0 = hx
        packed = x if isinstance(x, PackedSequence) else None
        lengths = None                          # each row's number of steps, for a packed x
        if packed is not None:
            # padded, time-major, in the batch's own order; past its length a sequence's
            # state is carried unchanged (see autograd.ops.recurrent's active_steps)
            at_step, at_sequence, lengths = _layout(repr(self), packed)
            if packed.data.ndim != 2 or packed.data.shape[1] != self.input_size:
                raise ValueError(f"{self!r}: a PackedSequence's data must be (steps, "
                                 f"input_size={self.input_size}), got shape "
                                 f"{packed.data.shape}")
            x = pad_packed_sequence(packed)[0]
        sequence, batched = self._checked_input(x, time_major=packed is not None)
        initial = self._checked_state(
            h0, sequence, batched, f"an input of shape {tuple(np.shape(x))}" if packed is None
            else f"a PackedSequence of {sequence.shape[1]} sequences")
        layer_input, finals = sequence, []
        for layer in range(self.num_layers):
            if layer > 0 and self.training and self.dropout > 0:
                # dropout on each layer's output but the last's
                layer_input = F.dropout(layer_input, self.dropout, True, self.rng)
            outputs = []
            for direction, suffix in enumerate(self._suffixes):
                index = layer * self._directions + direction
                output, final = self._run(layer_input, layer, suffix,
                                          None if initial is None else initial[index],
                                          direction == 1, lengths)
                outputs.append(output)
                finals.append(final)
            layer_input = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=-1)
        output = layer_input
        if len(finals) == 1:
            # one layer and direction: the layers' axis by an index, part[None] (0.9 µs), not a
            # Stack node of one tensor (5.4 µs)
            last = tuple(part[None] for part in finals[0])
        else:
            last = tuple(stack([final[k] for final in finals]) for k in range(len(finals[0])))
        if packed is not None:
            output = packed._replace(data=output[at_step, at_sequence])
        elif not batched:
            output = output.reshape(output.shape[0], output.shape[2])
            last = tuple(part.reshape(part.shape[0], part.shape[2]) for part in last)
        elif self.batch_first:
            output = output.swapaxes(0, 1)
        # h_n (and c_n) hold numbers of their own, as PyTorch's do, not a view of the last
        # step's h: d2l's `state.detach_()` between batches detaches them in place, which
        # glassgrad, as PyTorch, refuses for a view in a graph
        last = tuple(part.clone() if part.data.base is not None else part for part in last)
        return output, self._returned_state(last)

    def _run(self, sequence: Tensor, layer: int, suffix: str, state: State | None,
             reverse: bool, lengths: np.ndarray | None = None) -> tuple[Tensor, State]:
        """One layer in one direction over the whole sequence (T, N, features): its h at every
        step (T, N, hidden_size), and its last state (each row's own last step with
        `lengths`)."""
        state = self._initial_state(state, sequence)
        if sequence.shape[2] <= self.few_features and sequence.shape[1] >= self.layer_batch and (
                self.hidden_size <= self.most_hidden or not grad_mode.enabled):
            return self._layer(sequence, layer, suffix, state, reverse, lengths)
        W_ih, W_hh, b_ih, b_hh = self._layer_weights(layer, suffix)
        # the input's share of the gates for all T·N rows in one product; the op runs the steps
        if b_ih is not None and b_hh is not None and self.hidden_bias_in_sum:
            # b_ih + b_hh, one small sum, in that product: the op then adds no bias at each
            # step (an LSTM(32 → 64) over 32 steps of 32: 32 adds of (32, 256) saved, against
            # adding b_hh to all steps' shares at once, a 1 MB temporary for the allocator)
            b_ih, b_hh = b_ih + b_hh, None
        return self._sequence(AF.linear(sequence, W_ih, b_ih), state, W_hh, b_hh, reverse,
                              lengths)

    def _layer(self, sequence: Tensor, layer: int, suffix: str, state: State, reverse: bool,
               lengths: np.ndarray | None) -> tuple[Tensor, State]:
        """One layer and direction as one node from its input itself (`lstm_layer`,
        `gru_layer`), for up to `few_features` input features and `layer_batch` rows or more:
        h at every step and the last state, as `_run`."""
        raise NotImplementedError

    def _layer_weights(self, layer: int, suffix: str) -> tuple:
        """W_ih, W_hh, b_ih, b_hh of one layer and direction (the biases None without)."""
        return (getattr(self, f"weight_ih_l{layer}{suffix}"),
                getattr(self, f"weight_hh_l{layer}{suffix}"),
                getattr(self, f"bias_ih_l{layer}{suffix}", None),
                getattr(self, f"bias_hh_l{layer}{suffix}", None))

    def _initial_state(self, state: State | None, sequence: Tensor) -> State:
        """The given state, or zeros (N, hidden_size) for each of its parts."""
        if state is not None:
            return state
        zeros = Tensor(np.zeros((sequence.shape[1], self.hidden_size), sequence.dtype))
        return (zeros,) * len(self.state_names)

    def _sequence(self, from_input: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None,
                  reverse: bool, lengths: np.ndarray | None) -> tuple[Tensor, State]:
        """h at every step (T, N, hidden_size) and the last state, from the input's share of
        the gates at every step (T, N, gates · hidden_size) and the initial state: one op."""
        raise NotImplementedError

    def _returned_state(self, last: State) -> Any:
        return last[0]

    # -- checks -----------------------------------------------------------------------------------

    def _checked_input(self, x: Any, time_major: bool = False) -> tuple[Tensor, bool]:
        """x as a float Tensor (T, N, input_size), and whether it came with a batch axis;
        `time_major`: x is (T, N, ...) whatever batch_first says (a PackedSequence's)."""
        x, tokens = _features(self, x)
        size = self.input_size
        batch_first = self.batch_first and not time_major
        layouts = (f"(N, T, {size}) (batch_first: batch, time, features)" if batch_first
                   else f"(T, N, {size}) (time, batch, features)")
        if x.ndim not in (2, 3):
            raise ValueError(f"{self!r}: input must be {layouts} or one sequence (T, {size}), "
                             f"got shape {x.shape}")
        if x.shape[-1] != size:
            hint = _TOKENS_HINT if tokens else ""
            raise ValueError(f"{self!r}: input of shape {x.shape} has {x.shape[-1]} features "
                             f"per step, expected input_size={size} (input {layouts} or "
                             f"(T, {size})){hint}")
        batched = x.ndim == 3
        if x.shape[1 if batched and batch_first else 0] == 0:
            raise ValueError(f"{self!r}: the input of shape {x.shape} has no time steps")
        if not batched:
            x = x.reshape(x.shape[0], 1, size)
        elif batch_first:
            x = x.swapaxes(0, 1)
        return x, batched

    def _checked_state(self, h0: Any, sequence: Tensor, batched: bool,
                       input_text: str) -> list[State] | None:
        """The initial state as one tuple ((h,) or (h, c), each (N, hidden_size)) per layer
        and direction, or None for zeros."""
        if h0 is None:
            return None
        parts = self._state_parts(h0)
        layers = self.num_layers * self._directions
        batch = sequence.shape[1]
        expected = (layers, batch, self.hidden_size) if batched else (layers, self.hidden_size)
        axes = "num_layers · 2" if self.bidirectional else "num_layers"
        axes += ", batch, hidden_size" if batched else ", hidden_size"
        checked = []
        for name, part in zip(self.state_names, parts):
            part = _state_tensor(self, name, part)
            if part.shape != expected:
                raise ValueError(f"{self!r}: {name} must have shape {expected} ({axes}) for "
                                 f"{input_text}, got {part.shape}"
                                 f"{self._layout_hint(part, sequence, batched, input_text)}")
            checked.append(part if batched else part.reshape(layers, 1, self.hidden_size))
        return [tuple(part[k] for part in checked) for k in range(layers)]

    def _layout_hint(self, part: Tensor, sequence: Tensor, batched: bool,
                     input_text: str) -> str:
        """What a wrongly shaped state suggests: laid out batch first, as the input is with
        batch_first=True (which does not apply to states); or with its batch axis the size of
        the input's time axis (the input's batch and time axes read the other way round)."""
        steps, batch = sequence.shape[:2]
        layers = self.num_layers * self._directions
        if batched and layers != batch and part.shape == (batch, layers, self.hidden_size):
            return (f"; a state is (num_layers{' · 2' if self.bidirectional else ''}, batch, "
                    f"hidden_size) even with batch_first=True, which applies to the input and "
                    f"output only: swap its first two axes, .transpose(0, 1)")
        if not batched or input_text.startswith("a PackedSequence") or steps == batch \
                or part.shape != (layers, steps, self.hidden_size):
            return ""
        if self.batch_first:
            return ("; the input is read batch first (N, T, features) (batch_first=True): "
                    "for time-first input (T, N, features) make the layer with "
                    "batch_first=False")
        return ("; the input is read time first (T, N, features): for batch-first input "
                "(N, T, features) make the layer with batch_first=True (the state stays "
                "(num_layers, N, hidden_size) either way)")

    def _state_parts(self, h0: Any) -> tuple:
        return _one_state(self, h0, "the initial state is one tensor h0 (an LSTM's is the "
                                          "pair (h0, c0))")

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":           # RNN's relu
            text += f", nonlinearity={self.nonlinearity!r}"
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False}
        for option, default in defaults.items():
            if getattr(self, option) != default:
                text += f", {option}={getattr(self, option)}"
        return text


class RNN(RNNBase):
    """Elman's recurrent network: h' = tanh(W_ih x_t + b_ih + W_hh h + b_hh) at each step
    (nonlinearity='relu' for relu), as PyTorch's `nn.RNN`. See the module's docstring for the
    shapes, names and options.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> rnn = RNN(3, 5, num_layers=2, batch_first=True)
    >>> output, h_n = rnn(Tensor(np.ones((4, 7, 3))))      # 4 sequences of 7 steps
    >>> output.shape, h_n.shape
    ((4, 7, 5), (2, 4, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = None,
                 rng: np.random.Generator | None = None, *, device: Any = None) -> None:
        check_device("RNN", device)
        self.nonlinearity = _checked_nonlinearity("RNN", nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, rng)

    def _sequence(self, from_input: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None,
                  reverse: bool, lengths: np.ndarray | None) -> tuple[Tensor, State]:
        output, h = AF.rnn_sequence(from_input, state[0], W_hh, b_hh, self.nonlinearity,
                                    reverse, lengths)
        return output, (h,)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al., 2014), as PyTorch's `nn.GRU`: a reset gate r, an update
    gate z and a candidate n per step, stacked r, z, n in the weights (see the module's
    docstring). The new state mixes the old one and the candidate: h' = (1 - z) ⊙ n + z ⊙ h.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> gru = GRU(3, 5)
    >>> gru.weight_ih_l0.shape, gru.weight_hh_l0.shape     # 3 gates stacked: 15 rows
    ((15, 3), (15, 5))
    >>> output, h_n = gru(Tensor(np.ones((7, 3))))          # one sequence of 7 steps
    >>> output.shape, h_n.shape
    ((7, 5), (1, 5))
    """

    gates = 3
    hidden_bias_in_sum = False
    #: a layer and direction with up to `few_features` input features runs as one `gru_layer`
    #: node (any batch: `layer_batch` 1), else as `linear` and `gru_sequence`. T 24, H 32, one
    #: thread, against the two nodes: the forward in 0.46-0.53x the time for 1 to 32 features
    #: at N 64, 0.54x at N 1, 0.64x at 64 features; forward and backward 0.77-0.85x, 0.76x at
    #: N 1, 0.88x at 64 features; 96 features even (docs/measurements.md#recurrent, s33).
    #: While recording, only up to `most_hidden` hidden units. A training step, F 3, float32,
    #: against the two nodes, with keep_freed_memory (alternated in one process) / without
    #: (each way in fresh processes): T 24 N 64 H 32 0.81x / 0.82x, H 64 0.86x / 0.98x,
    #: H 128 0.97x / 1.01x; N 16 H 64 0.93x / 0.91x, H 128 1.18x / 1.21x; T 64 N 16 H 128
    #: 1.18x / 1.12x (docs/measurements.md#recurrent, s33 recurrent memory)
    few_features, layer_batch, most_hidden = 64, 1, 64

    def _layer(self, sequence: Tensor, layer: int, suffix: str, state: State, reverse: bool,
               lengths: np.ndarray | None) -> tuple[Tensor, State]:
        output, h = AF.gru_layer(sequence, state[0], *self._layer_weights(layer, suffix),
                                 reverse, lengths)
        return output, (h,)

    def _sequence(self, from_input: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None,
                  reverse: bool, lengths: np.ndarray | None) -> tuple[Tensor, State]:
        output, h = AF.gru_sequence(from_input, state[0], W_hh, b_hh, reverse, lengths)
        return output, (h,)


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), as PyTorch's `nn.LSTM`: a cell
    state c beside h, with input, forget and output gates and a candidate g per step, stacked
    i, f, g, o in the weights (see the module's docstring). The state is the pair (h, c): `h0`
    is `(h0, c0)` and the result is `(output, (h_n, c_n))`.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> lstm = LSTM(3, 5, num_layers=2)
    >>> output, (h_n, c_n) = lstm(Tensor(np.ones((7, 4, 3))))
    >>> output.shape, h_n.shape, c_n.shape
    ((7, 4, 5), (2, 4, 5), (2, 4, 5))
    """

    gates = 4
    state_names = ("h0", "c0")

    def __init__(self, *args: Any, proj_size: int = 0, **options: Any) -> None:
        # PyTorch's option, so that code passing its default runs; the projection is not built
        if proj_size != 0:
            raise ValueError(f"LSTM: proj_size={proj_size!r} (PyTorch's LSTM with projections) "
                             f"is not supported; only proj_size=0, the plain LSTM")
        super().__init__(*args, **options)

    #: a layer and direction with up to `few_features` input features and a batch of
    #: `layer_batch` rows or more runs as one `lstm_layer` node (each step one product with
    #: [h; x_t; 1], laid out by column), else as `linear` and `lstm_sequence`. T 24, H 32, one
    #: thread, against the two nodes: at N 64 the forward in 0.76-0.82x the time for 1 to 32
    #: features, forward and backward 0.90-0.97x; N 128 0.63-0.84x and 0.86-0.90x; N 16-32
    #: 0.80-1.0x and the same; 48-96 features 0.78-1.0x and the same; below 16 rows
    #: 1.04-1.09x and 1.14-1.26x (docs/measurements.md#recurrent)
    #: While recording, only up to `most_hidden` hidden units. A training step, F 3, float32,
    #: against the two nodes, with keep_freed_memory (alternated in one process) / without
    #: (each way in fresh processes): T 24 N 64 H 32 0.93x / 0.90x, H 64 0.93x / 0.90x,
    #: H 128 1.02x / 0.96x; N 16 H 64 1.07x / 0.94x, H 128 1.15x / 1.17x; T 64 N 16 H 128
    #: 1.12x / 1.11x (docs/measurements.md#recurrent, s33 recurrent memory)
    few_features, layer_batch, most_hidden = 64, 16, 64

    def _layer(self, sequence: Tensor, layer: int, suffix: str, state: State, reverse: bool,
               lengths: np.ndarray | None) -> tuple[Tensor, State]:
        return AF.lstm_layer(sequence, *state, *self._layer_weights(layer, suffix), reverse,
                             lengths)

    def _sequence(self, from_input: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None,
                  reverse: bool, lengths: np.ndarray | None) -> tuple[Tensor, State]:
        h0, c0 = state
        return AF.lstm_sequence(from_input, h0, c0, W_hh, b_hh, reverse, lengths)

    def _state_parts(self, h0: Any) -> tuple:
        return _state_pair(self, h0, "the initial state is the pair (h0, c0)")

    def _returned_state(self, last: State) -> Any:
        return last


# -- cells: one time step ----------------------------------------------------------------------

class RNNCellBase(Module):
    """What RNNCell, GRUCell and LSTMCell share: one step of the matching layer, on parameters
    named as PyTorch's cells name them (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, shaped
    as the layer's `..._l0`). A subclass writes the step (`_step`) from the gates' two shares."""

    gates = 1
    state_names: tuple[str, ...] = ("hx",)

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype: Any = None,
                 rng: np.random.Generator | None = None, *, device: Any = None) -> None:
        check_device(type(self).__name__, device)
        _check_sizes(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), \
            bool(bias)
        _add_weights(self, "", self.input_size, dtype)
        if not self.bias:
            self.bias_ih = self.bias_hh = None          # as PyTorch: there, but no parameters
        self.reset_parameters(rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """Redraw every weight and bias uniform in ±1/√hidden_size, in place, as the
        constructor does: from `rng`, or the shared generator."""
        _draw_weights(self, rng)

    def forward(self, input: Any, hx: Any = None) -> Any:
        """The next state: h' (N, hidden_size) (LSTMCell: the pair (h', c')) for an input
        (N, input_size), or (hidden_size,) for one sample (input_size,). `hx` is the state
        before the step (LSTMCell: the pair (h, c)), zeros if not given."""
        x, batched = self._checked_input(input)
        state = self._checked_state(hx, x, batched)
        state = self._step(AF.linear(x, self.weight_ih, self.bias_ih),
                           AF.linear(state[0], self.weight_hh, self.bias_hh), state)
        if not batched:
            state = tuple(part.reshape(self.hidden_size) for part in state)
        return self._returned_state(state)

    def _checked_input(self, input: Any) -> tuple[Tensor, bool]:
        """The input as a float Tensor (N, input_size), and whether it came with a batch axis."""
        x, tokens = _features(self, input)
        size = self.input_size
        if x.ndim not in (1, 2):
            raise ValueError(f"{self!r}: input must be (N, {size}) (batch, features) or one "
                             f"sample ({size},), got shape {x.shape}")
        if x.shape[-1] != size:
            raise ValueError(f"{self!r}: input of shape {x.shape} has {x.shape[-1]} features, "
                             f"expected input_size={size}{_TOKENS_HINT if tokens else ''}")
        batched = x.ndim == 2
        return (x if batched else x.reshape(1, size)), batched

    def _checked_state(self, hx: Any, x: Tensor, batched: bool) -> State:
        """The state before the step, each part (N, hidden_size); zeros if `hx` is None."""
        if hx is None:
            zeros = Tensor(np.zeros((x.shape[0], self.hidden_size), x.dtype))
            return (zeros,) * len(self.state_names)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        axes = "batch, hidden_size" if batched else "hidden_size"
        input_shape = x.shape if batched else (self.input_size,)
        checked = []
        for name, part in zip(self.state_names, self._state_parts(hx)):
            part = _state_tensor(self, name, part)
            if part.shape != expected:
                raise ValueError(f"{self!r}: {name} must have shape {expected} ({axes}) for an "
                                 f"input of shape {input_shape}, got {part.shape}")
            checked.append(part if batched else part.reshape(1, self.hidden_size))
        return tuple(checked)

    def _state_parts(self, hx: Any) -> tuple:
        return _one_state(self, hx, "hx is one tensor (an LSTMCell's is the pair (h, c))")

    def _returned_state(self, state: State) -> Any:
        return state[0]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":           # RNNCell's relu
            text += f", nonlinearity={self.nonlinearity!r}"
        return text


class RNNCell(RNNCellBase):
    """One step of `RNN`, as PyTorch's `nn.RNNCell`: h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
    (nonlinearity='relu' for relu). Loop it over time for a sequence, one step at a time.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> cell = RNNCell(3, 5)
    >>> h = None                                          # zeros at the first step
    >>> for x_t in Tensor(np.ones((7, 4, 3))):           # 7 steps of a batch of 4
    ...     h = cell(x_t, h)
    >>> h.shape, cell(Tensor(np.ones(3))).shape           # batched, and one sample
    ((4, 5), (5,))
    >>> list(cell.state_dict())
    ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']
    """

    def _step(self, from_input: Tensor, from_hidden: Tensor, state: State) -> State:
        total = from_input + from_hidden
        return (total.tanh() if self.nonlinearity == "tanh" else total.relu(),)

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = None,
                 rng: np.random.Generator | None = None, *, device: Any = None) -> None:
        check_device("RNNCell", device)
        self.nonlinearity = _checked_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, dtype, rng)


class GRUCell(RNNCellBase):
    """One step of `GRU`, as PyTorch's `nn.GRUCell`: reset gate r, update gate z, candidate n,
    h' = (1 - z) ⊙ n + z ⊙ h, the gates stacked r, z, n in the weights.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> cell = GRUCell(3, 5)
    >>> cell.weight_ih.shape, cell.weight_hh.shape       # 3 gates stacked: 15 rows
    ((15, 3), (15, 5))
    >>> h = cell(Tensor(np.ones((4, 3))))                 # h starts at zeros
    >>> cell(Tensor(np.ones((4, 3))), h).shape            # the next step from h
    (4, 5)
    """

    gates = 3

    def _step(self, from_input: Tensor, from_hidden: Tensor, state: State) -> State:
        """r = σ(a_r + b_r), z = σ(a_z + b_z), n = tanh(a_n + r ⊙ b_n), h' = (1 - z) ⊙ n + z ⊙ h,
        with a = from_input and b = from_hidden cut r, z, n: one node, `gru_step`."""
        (h,) = state
        return (AF.gru_step(from_input, from_hidden, h),)


class LSTMCell(RNNCellBase):
    """One step of `LSTM`, as PyTorch's `nn.LSTMCell`: the state is the pair (h, c); `hx` is
    `(h, c)` and the result `(h', c')`, the gates stacked i, f, g, o in the weights.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> cell = LSTMCell(3, 5)
    >>> h, c = cell(Tensor(np.ones((4, 3))))              # (h, c) start at zeros
    >>> h, c = cell(Tensor(np.ones((4, 3))), (h, c))
    >>> h.shape, c.shape
    ((4, 5), (4, 5))
    """

    gates = 4
    state_names = ("h", "c")

    def _step(self, from_input: Tensor, from_hidden: Tensor, state: State) -> State:
        """i, f, g, o = σ, σ, tanh, σ of from_input + from_hidden cut in four,
        c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'): two nodes (c', then h'), `lstm_step`."""
        h, c = state                        # (h enters through from_hidden = h W_hhᵀ + b_hh)
        return AF.lstm_step(from_input, from_hidden, c)

    def _state_parts(self, hx: Any) -> tuple:
        return _state_pair(self, hx, "hx is the pair (h, c)")

    def _returned_state(self, state: State) -> Any:
        return state
