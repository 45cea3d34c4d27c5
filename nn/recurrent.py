"""Recurrent layers: `RNN`, `GRU` and `LSTM`, with PyTorch's formulas, parameter names, shapes
and initialisation, so a `state_dict()` loads into `torch.nn.GRU` (and back) with nothing renamed,
reshaped or reordered (torch wants its tensors: `{k: torch.from_numpy(v) for k, v in ...}`).

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

Everything is built from ordinary ops (linear, slicing, sigmoid, tanh, products, stack), so
backpropagation through time, and any higher derivative, come for free.

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
import sys
import warnings
from typing import Any

import numpy as np

from autograd import Tensor, concatenate, get_default_dtype, stack
from autograd import functional as AF
from autograd.functional import _floating
from autograd.random import default_rng

from . import functional as F
from .module import Module, Parameter

__all__ = ["RNN", "GRU", "LSTM"]

State = tuple[Tensor, ...]      # (h,) for RNN and GRU, (h, c) for LSTM


def _stacklevel_outside_this_file() -> int:
    """The `stacklevel` that points a warning at the user's line: its caller's frames are
    counted up to the first from another file (RNN and LSTM have their own __init__, GRU not)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    return level


class RNNBase(Module):
    """What RNN, GRU and LSTM share: the parameters, the checks, the loops over layers,
    directions and time steps. A subclass says how many gates it stacks (`gates`) and writes
    one time step (`_step`)."""

    gates = 1
    state_names: tuple[str, ...] = ("h0",)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None,
                 rng: np.random.Generator | None = None) -> None:
        name = type(self).__name__
        for what, n in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"{name}: {what} must be a positive integer, got {n!r}")
        if not isinstance(dropout, numbers.Real) or isinstance(dropout, bool) \
                or not 0 <= dropout < 1:
            raise ValueError(f"{name}: dropout must be a probability in [0, 1), got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            # as PyTorch: dropout sits between layers, so one layer has nowhere to put it
            warnings.warn(f"{name}: dropout={dropout} acts between stacked layers only, so with "
                          f"num_layers=1 it does nothing", UserWarning,
                          stacklevel=_stacklevel_outside_this_file())
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.dropout = int(num_layers), float(dropout)
        self.bias, self.batch_first, self.bidirectional = bool(bias), bool(batch_first), \
            bool(bidirectional)
        self.rng = rng                                  # for dropout masks (None: shared one)
        rng = default_rng() if rng is None else rng
        dtype = get_default_dtype() if dtype is None else dtype
        bound = 1.0 / math.sqrt(self.hidden_size)
        rows = self.gates * self.hidden_size
        # assigned in PyTorch's order, so state_dict() lists them as torch does
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else self.hidden_size * self._directions
            for suffix in self._suffixes:
                shapes = {"weight_ih": (rows, inputs), "weight_hh": (rows, self.hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(rows,), bias_hh=(rows,))
                for kind, shape in shapes.items():
                    setattr(self, f"{kind}_l{layer}{suffix}",
                            Parameter(rng.uniform(-bound, bound, shape), dtype))

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def flatten_parameters(self) -> None:
        """Does nothing: in PyTorch it packs the weights for cuDNN; here there is no GPU."""

    def forward(self, x: Any, h0: Any = None, *, hx: Any = None) -> tuple[Tensor, Any]:
        """(output, h_n): output is the last layer's h at every step, (T, N, directions ·
        hidden_size) ((N, T, ...) with batch_first); h_n is every layer's last h, (num_layers ·
        directions, N, hidden_size). An unbatched input (T, input_size) gives both without the N
        axis. `h0` (PyTorch's `hx`) is the initial state, zeros if not given."""
        if hx is not None:
            if h0 is not None:
                raise TypeError(f"{self!r}: got both h0 and hx; they are the same argument "
                                f"(hx is PyTorch's name)")
            h0 = hx
        sequence, batched = self._checked_input(x)
        initial = self._checked_state(h0, sequence, batched, np.shape(x))
        layer_input, finals = sequence, []
        for layer in range(self.num_layers):
            if layer > 0:                   # dropout on each layer's output but the last's
                layer_input = F.dropout(layer_input, self.dropout, self.training, self.rng)
            outputs = []
            for direction, suffix in enumerate(self._suffixes):
                index = layer * self._directions + direction
                output, final = self._run(layer_input, layer, suffix,
                                          None if initial is None else initial[index],
                                          reverse=direction == 1)
                outputs.append(output)
                finals.append(final)
            layer_input = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=-1)
        output = layer_input
        last = tuple(stack([final[k] for final in finals]) for k in range(len(finals[0])))
        if not batched:
            output = output.reshape(output.shape[0], output.shape[2])
            last = tuple(part.reshape(part.shape[0], part.shape[2]) for part in last)
        elif self.batch_first:
            output = output.swapaxes(0, 1)
        return output, self._returned_state(last)

    def _run(self, sequence: Tensor, layer: int, suffix: str, state: State | None,
             reverse: bool) -> tuple[Tensor, State]:
        """One layer in one direction over the whole sequence (T, N, features): its h at every
        step, stacked (T, N, hidden_size), and its last state."""
        W_ih, W_hh = getattr(self, f"weight_ih_l{layer}{suffix}"), \
            getattr(self, f"weight_hh_l{layer}{suffix}")
        b_ih, b_hh = getattr(self, f"bias_ih_l{layer}{suffix}", None), \
            getattr(self, f"bias_hh_l{layer}{suffix}", None)
        # The input's share of every gate does not depend on h, so it is computed for all steps
        # at once: one product of T·N rows (x @ W_ihᵀ + b_ih) instead of T small ones. The loop
        # over time below, which cannot be avoided, then only multiplies the hidden state.
        projected = AF.linear(sequence, W_ih, b_ih)            # (T, N, gates · hidden_size)
        if state is None:
            zeros = Tensor(np.zeros((sequence.shape[1], self.hidden_size), projected.dtype))
            state = (zeros,) * len(self.state_names)
        steps = range(sequence.shape[0])
        outputs: list[Tensor] = [None] * len(steps)              # type: ignore[list-item]
        for t in (reversed(steps) if reverse else steps):
            state = self._step(projected[t], AF.linear(state[0], W_hh, b_hh), state)
            outputs[t] = state[0]
        return stack(outputs), state

    def _step(self, from_input: Tensor, from_hidden: Tensor, state: State) -> State:
        """The next state from the gates' shares W_i· x_t + b_i· and W_h· h + b_h·, each
        (N, gates · hidden_size), and the current state."""
        raise NotImplementedError

    def _returned_state(self, last: State) -> Any:
        return last[0]

    # -- checks -----------------------------------------------------------------------------------

    def _checked_input(self, x: Any) -> tuple[Tensor, bool]:
        """x as a float Tensor (T, N, input_size), and whether it came with a batch axis."""
        x = self._as_tensor(x, "input")
        tokens = x.dtype.kind in "iub"          # (made floats below; for the error's hint)
        if x.dtype.kind in "iu" and x.size and not np.isin(x.data, (0, 1)).all():
            # Integers other than 0 and 1 are token indices, not features: read as numbers a
            # (batch, time) array whose time happens to equal input_size would run silently.
            # 0 / 1 integers pass, as one-hot rows (nn.one_hot gives integers).
            raise TypeError(f"{self!r}: the input holds integers other than 0 and 1 (shape "
                            f"{x.shape}, dtype {x.dtype}): token indices? pass them through an "
                            f"Embedding (or one_hot) first; integer-valued features: "
                            f".astype(float)")
        x = _floating(repr(self), x)
        size = self.input_size
        layouts = (f"(N, T, {size}) (batch_first: batch, time, features)" if self.batch_first
                   else f"(T, N, {size}) (time, batch, features)")
        if x.ndim not in (2, 3):
            raise ValueError(f"{self!r}: input must be {layouts} or one sequence (T, {size}), "
                             f"got shape {x.shape}")
        if x.shape[-1] != size:
            hint = "; integer token indices? pass them through an Embedding first" if tokens \
                else ""
            raise ValueError(f"{self!r}: input of shape {x.shape} has {x.shape[-1]} features "
                             f"per step, expected input_size={size} (input {layouts} or "
                             f"(T, {size})){hint}")
        batched = x.ndim == 3
        if x.shape[1 if batched and self.batch_first else 0] == 0:
            raise ValueError(f"{self!r}: the input of shape {x.shape} has no time steps")
        if not batched:
            x = x.reshape(x.shape[0], 1, size)
        elif self.batch_first:
            x = x.swapaxes(0, 1)
        return x, batched

    def _as_tensor(self, x: Any, name: str) -> Tensor:
        """`x` (the input, h0 or c0) as a Tensor, or an error that names this layer and `x`."""
        try:
            return AF._tensor(x, f"{self!r}: {name}")
        except TypeError as error:          # the Tensor's own error names only "Tensor"
            if str(error).startswith(repr(self)):
                raise
            raise TypeError(f"{self!r}: {name}: {str(error).removeprefix('Tensor: ')}") from None

    def _checked_state(self, h0: Any, sequence: Tensor, batched: bool,
                       input_shape: tuple) -> list[State] | None:
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
            if part is None:
                raise TypeError(f"{self!r}: {name} is None; give the whole initial state, or "
                                f"none of it for zeros")
            part = _floating(f"{self!r}: {name}", self._as_tensor(part, name))
            if part.shape != expected:
                raise ValueError(f"{self!r}: {name} must have shape {expected} ({axes}) for an "
                                 f"input of shape {tuple(input_shape)}, got {part.shape}")
            checked.append(part if batched else part.reshape(layers, 1, self.hidden_size))
        return [tuple(part[k] for part in checked) for k in range(layers)]

    def _state_parts(self, h0: Any) -> tuple:
        if isinstance(h0, tuple):
            raise TypeError(f"{self!r}: the initial state is one tensor h0 (an LSTM's is the "
                            f"pair (h0, c0)), got a tuple of {len(h0)}")
        return (h0,)

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
                 rng: np.random.Generator | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, rng)

    def _step(self, from_input: Tensor, from_hidden: Tensor, state: State) -> State:
        total = from_input + from_hidden
        return (total.tanh() if self.nonlinearity == "tanh" else total.relu(),)


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

    def _step(self, from_input: Tensor, from_hidden: Tensor, state: State) -> State:
        (h,) = state
        size = self.hidden_size
        reset_and_update = (from_input[:, :2 * size] + from_hidden[:, :2 * size]).sigmoid()
        r, z = reset_and_update[:, :size], reset_and_update[:, size:]
        n = (from_input[:, 2 * size:] + r * from_hidden[:, 2 * size:]).tanh()
        return (n + z * (h - n),)               # = (1 - z) ⊙ n + z ⊙ h, one product fewer


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

    def _step(self, from_input: Tensor, from_hidden: Tensor, state: State) -> State:
        h, c = state
        size = self.hidden_size
        gates = from_input + from_hidden
        i = gates[:, :size].sigmoid()
        f = gates[:, size:2 * size].sigmoid()
        g = gates[:, 2 * size:3 * size].tanh()
        o = gates[:, 3 * size:].sigmoid()
        c = f * c + i * g
        return o * c.tanh(), c

    def _state_parts(self, h0: Any) -> tuple:
        if not isinstance(h0, (tuple, list)) or len(h0) != 2:
            got = (f"a {type(h0).__name__} of {len(h0)}" if isinstance(h0, (tuple, list))
                   else f"a {type(h0).__name__} of shape {np.shape(h0)}")
            raise TypeError(f"{self!r}: the initial state is the pair (h0, c0), got {got}")
        return tuple(h0)

    def _returned_state(self, last: State) -> Any:
        return last
