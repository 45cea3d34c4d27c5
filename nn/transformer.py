"""The transformer of "Attention Is All You Need", as PyTorch's layers: `TransformerEncoderLayer`,
`TransformerEncoder`, `TransformerDecoderLayer`, `TransformerDecoder` and `Transformer`, with
PyTorch's arguments, submodule names (a `state_dict()` loads into torch's twin and back) and
numbers.

An encoder layer is self-attention then a feed-forward network (Linear, activation, Linear),
each added back to its input (a residual connection) and layer-normalised. Where the norm goes:

    post-norm (norm_first=False, the paper's):  x = norm1(x + SA(x));   x = norm2(x + FF(x))
    pre-norm (norm_first=True):                 x = x + SA(norm1(x));   x = x + FF(norm2(x))

A decoder layer has a second attention between the two, over the encoder's output (`memory`):
x + MHA(x, memory) in the middle, normalised by norm2 (and the feed-forward's by norm3).
Everything is built from `MultiheadAttention`, `Linear`, `LayerNorm` and `Dropout`, so the
gradients come from their rules.

Masks mean what they mean for `MultiheadAttention`: a bool mask is True where a key is left
out, a float mask is added to the scores (`Transformer.generate_square_subsequent_mask(T)` is
the causal one). PyTorch's `is_causal` arguments are hints that the mask given is causal; here,
as in PyTorch's plain path, the mask given is what counts. PyTorch's "fast path" is not
implemented: in evaluation without gradients, with `batch_first=True` and a
`src_key_padding_mask`, PyTorch's `TransformerEncoder` packs the batch into a nested tensor and
returns zeros at the padded positions. Here every position is computed as on PyTorch's plain
path (in training, or with gradients), so the padded positions hold numbers, which nothing
should read: leave them out of the pooling or the loss. Elsewhere the numbers are PyTorch's.

>>> import numpy as np
>>> from autograd import Tensor, manual_seed
>>> manual_seed(0)
>>> layer = TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, batch_first=True)
>>> layer(Tensor(np.ones((3, 5, 8)))).shape             # 3 sequences of 5 tokens
(3, 5, 8)
>>> [name for name in layer.state_dict() if name.endswith("weight")]
['self_attn.in_proj_weight', 'self_attn.out_proj.weight', 'linear1.weight', 'linear2.weight', \
'norm1.weight', 'norm2.weight']
"""

from __future__ import annotations

import copy
import numbers
import re
import warnings
from typing import Any, Callable

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd.devices import check_device
from autograd.random import default_rng
from autograd.warn import warn

from . import functional as F
from . import init
from .attention import MultiheadAttention, _check_dropout, _features
from .layers import Dropout, Linear
from .module import Module, ModuleList
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
           "TransformerDecoder", "Transformer"]

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _sequences(name: str, d_model: int, batch_first: bool, **sequences: Any) -> list[Tensor]:
    """The sequences as floating Tensors, after checking that they have d_model features and
    agree on being batched and on the batch size (`name`: the layer's, for the errors)."""
    layout = "(N, L, E)" if batch_first else "(L, N, E)"
    tensors = [_features(name, what, x) for what, x in sequences.items()]
    shapes = ", ".join(f"{what} {x.shape}" for what, x in zip(sequences, tensors))
    for what, x in zip(sequences, tensors):
        if x.ndim not in (2, 3):
            raise ValueError(f"{name}: {what} must be 3-d {layout}, or 2-d (L, E) unbatched, "
                             f"got shape {x.shape}")
        if x.shape[-1] != d_model:
            raise ValueError(f"{name}: {what} of shape {x.shape} must have d_model = {d_model} "
                             f"features on its last axis")
    if len({x.ndim for x in tensors}) > 1:
        raise ValueError(f"{name}: {shapes} must be all batched (3-d) or all unbatched (2-d)")
    batch_axis = 0 if batch_first else 1
    if tensors[0].ndim == 3 and len({x.shape[batch_axis] for x in tensors}) > 1:
        # (N, S, E) and (N, T, E) agree on axis 0: batch-first sequences, read sequence first
        hint = (f"; they agree on axis 0: for batch-first inputs (N, L, E) make the "
                f"{name.split('(')[0]} with batch_first=True" if not batch_first
                and len({x.shape[0] for x in tensors}) == 1 else "")
        raise ValueError(f"{name}: {shapes} must have the same batch size on axis {batch_axis} "
                         f"{layout}{hint}")
    return tensors


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: PyTorch's arguments and submodules, the
    feed-forward block, and attention whose mask errors name the layer's arguments."""

    _attentions: tuple[str, ...] = ()     # the attention layers, by PyTorch's names

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None, *, rng: np.random.Generator | None = None) -> None:
        """The attention layers, then PyTorch's linear1, dropout, linear2, norm1, norm2, ...
        and dropout1, dropout2, ... (one of each per residual block), in PyTorch's order, which
        is the state dict's."""
        name = type(self).__name__
        check_device(name, device)
        for what, n in (("d_model", d_model), ("nhead", nhead),
                        ("dim_feedforward", dim_feedforward)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"{name}: {what} must be a positive integer, got {n!r}")
        if d_model % nhead:
            raise ValueError(f"{name}: d_model {d_model} must be divisible by nhead {nhead} "
                             f"(each head gets d_model // nhead features)")
        _check_dropout(name, "dropout", dropout)
        if isinstance(activation, str) and activation in ACTIVATIONS:
            activation = ACTIVATIONS[activation]
        elif isinstance(activation, type) and issubclass(activation, Module):
            # nn.ReLU itself would be called on the hidden features and make a layer of them
            raise TypeError(f"{name}: activation is the class {activation.__name__}; pass a "
                            f"layer of it, {activation.__name__}(), or a function")
        elif not callable(activation):
            raise ValueError(f"{name}: activation must be 'relu', 'gelu' or a function of one "
                             f"tensor (such as nn.functional.silu or nn.SiLU()), got "
                             f"{activation!r}")
        if not (isinstance(layer_norm_eps, numbers.Real) and layer_norm_eps > 0):
            raise ValueError(f"{name}: layer_norm_eps must be > 0, got {layer_norm_eps!r}")
        self.d_model, self.nhead = int(d_model), int(nhead)
        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        made = dict(dtype=dtype, rng=rng)
        for attention in self._attentions:
            setattr(self, attention, MultiheadAttention(d_model, nhead, dropout=dropout,
                                                        bias=bias, batch_first=batch_first,
                                                        **made))
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **made)
        self.dropout = Dropout(dropout, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **made)
        self.norm_first = bool(norm_first)
        blocks = range(1, len(self._attentions) + 2)
        for k in blocks:
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                dtype=dtype))
        for k in blocks:
            setattr(self, f"dropout{k}", Dropout(dropout, rng=rng))
        self.activation = activation

    def _name(self) -> str:
        return f"{type(self).__name__}(d_model={self.d_model}, nhead={self.nhead})"

    def _feed_forward(self, x: Tensor, dropout: Dropout) -> Tensor:
        """linear2(activation(linear1(x))), with dropout after each."""
        return dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _attend(self, attention: MultiheadAttention, x: Tensor, memory: Tensor, mask: Any,
                padding: Any, is_causal: bool, names: dict[str, str]) -> Tensor:
        """attention(x, memory, memory)'s output. Its errors and warnings about the masks name
        this layer and the arguments as its caller gave them (`names`: the attention's to ours):
        a decoder layer has two attentions, each with an `attn_mask`."""
        prefix = f"{attention._name()}: "

        def renamed(message: str) -> str:
            if not message.startswith(prefix):
                return message
            return f"{self._name()}: " + re.sub(r"\b(attn_mask|key_padding_mask|is_causal)\b",
                                                lambda word: names[word.group()],
                                                message.removeprefix(prefix))

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                output = attention(x, memory, memory, key_padding_mask=padding,
                                   need_weights=False, attn_mask=mask, is_causal=is_causal)[0]
        except (ValueError, TypeError) as error:
            if not str(error).startswith(prefix):
                raise
            raise type(error)(renamed(str(error))) from None
        for caught_warning in caught:
            warn(renamed(str(caught_warning.message)), caught_warning.category)
        return output


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward network, each with a residual connection and a
    LayerNorm (after it, or before it with `norm_first=True`), as PyTorch's
    `nn.TransformerEncoderLayer`: `src` (S, N, d_model), or (N, S, d_model) with
    `batch_first=True`, or unbatched (S, d_model), gives an output of its shape.

    `forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)`: `src_mask`
    (S, S) or (N · nhead, S, S), `src_key_padding_mask` (N, S), as `MultiheadAttention`'s
    `attn_mask` and `key_padding_mask`. `activation` is "relu", "gelu" or a function of one
    tensor; `dropout` acts after the attention, inside and after the feed-forward network, and
    on the attention weights, in training. Submodules have PyTorch's names: `self_attn`,
    `linear1`, `dropout`, `linear2`, `norm1`, `norm2`, `dropout1`, `dropout2`.

    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> layer = TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0)
    >>> layer(Tensor(np.ones((3, 2, 4))), src_key_padding_mask=np.array(
    ...     [[False, False, True], [False, False, False]])).shape
    (3, 2, 4)
    """

    _attentions = ("self_attn",)

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        (x,) = _sequences(self._name(), self.d_model, self.self_attn.batch_first, src=src)
        names = {"attn_mask": "src_mask", "key_padding_mask": "src_key_padding_mask",
                 "is_causal": "is_causal"}

        def self_attention(x: Tensor) -> Tensor:
            return self.dropout1(self._attend(self.self_attn, x, x, src_mask,
                                              src_key_padding_mask, is_causal, names))

        if self.norm_first:
            x = x + self_attention(self.norm1(x))
            return x + self._feed_forward(self.norm2(x), self.dropout2)
        x = self.norm1(x + self_attention(x))
        return self.norm2(x + self._feed_forward(x, self.dropout2))


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, attention over the encoder's output `memory`, and a feed-forward network,
    each with a residual connection and a LayerNorm (after it, or before it with
    `norm_first=True`), as PyTorch's `nn.TransformerDecoderLayer`: `tgt` (T, N, d_model) and
    `memory` (S, N, d_model), or batch first, or unbatched, give an output shaped as `tgt`.

    `forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)`: `tgt_mask`
    (T, T) (the causal mask, for training on whole sequences) and `memory_mask` (T, S), or one
    per sample and head (N · nhead, ...); the padding masks (N, T) and (N, S). Submodules have
    PyTorch's names: `self_attn`, `multihead_attn`, `linear1`, `dropout`, `linear2`, `norm1`,
    `norm2`, `norm3`, `dropout1`, `dropout2`, `dropout3`.

    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> layer = TransformerDecoderLayer(4, 2, dim_feedforward=8, batch_first=True)
    >>> tgt, memory = Tensor(np.ones((2, 3, 4))), Tensor(np.ones((2, 5, 4)))
    >>> layer(tgt, memory, tgt_mask=Transformer.generate_square_subsequent_mask(3)).shape
    (2, 3, 4)
    """

    _attentions = ("self_attn", "multihead_attn")

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        x, memory = _sequences(self._name(), self.d_model, self.self_attn.batch_first,
                               tgt=tgt, memory=memory)
        tgt_names = {"attn_mask": "tgt_mask", "key_padding_mask": "tgt_key_padding_mask",
                     "is_causal": "tgt_is_causal"}
        memory_names = {"attn_mask": "memory_mask", "key_padding_mask": "memory_key_padding_mask",
                        "is_causal": "memory_is_causal"}

        def self_attention(x: Tensor) -> Tensor:
            return self.dropout1(self._attend(self.self_attn, x, x, tgt_mask,
                                              tgt_key_padding_mask, tgt_is_causal, tgt_names))

        def memory_attention(x: Tensor) -> Tensor:
            return self.dropout2(self._attend(self.multihead_attn, x, memory, memory_mask,
                                              memory_key_padding_mask, memory_is_causal,
                                              memory_names))

        if self.norm_first:
            x = x + self_attention(self.norm1(x))
            x = x + memory_attention(self.norm2(x))
            return x + self._feed_forward(self.norm3(x), self.dropout3)
        x = self.norm1(x + self_attention(x))
        x = self.norm2(x + memory_attention(x))
        return self.norm3(x + self._feed_forward(x, self.dropout3))


def _clones(layer: Module, num_layers: int, name: str) -> ModuleList:
    """`num_layers` deep copies of `layer` (PyTorch's: they start with the same weights), which
    share its random generators: copies of one generator would draw the same dropout masks in
    every layer."""
    if not isinstance(layer, Module):
        raise TypeError(f"{name}: expects a layer (a Module) to copy, got "
                        f"{type(layer).__name__}")
    if not isinstance(num_layers, (int, np.integer)) or isinstance(num_layers, bool) \
            or num_layers < 1:
        raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
    generators = {id(g): g for module in layer.modules()
                  for g in vars(module).values() if isinstance(g, np.random.Generator)}
    return ModuleList([copy.deepcopy(layer, dict(generators)) for _ in range(num_layers)])


def _check_norm(norm: Any, name: str) -> None:
    if norm is not None and not isinstance(norm, Module):
        raise TypeError(f"{name}: norm must be a Module (such as LayerNorm(d_model)) or None, "
                        f"got {type(norm).__name__}")


class TransformerEncoder(Module):
    """`num_layers` copies of `encoder_layer` applied in turn, then `norm` if given, as
    PyTorch's `nn.TransformerEncoder`: the layers are `layers.0`, `layers.1`, ... and start with
    the same weights (copies, as in PyTorch). `forward(src, mask=None,
    src_key_padding_mask=None, is_causal=None)` hands the masks to every layer.
    `enable_nested_tensor` and `mask_check` are accepted for PyTorch code and change nothing:
    there is no fast path here, so the outputs at padded positions are computed (PyTorch's fast
    path gives zeros there; see the module's docstring).

    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> encoder = TransformerEncoder(TransformerEncoderLayer(4, 2, 8), num_layers=2)
    >>> encoder(Tensor(np.ones((3, 4)))).shape
    (3, 4)
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = int(num_layers)
        _check_norm(norm, "TransformerEncoder")
        self.norm = norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """`num_layers` copies of `decoder_layer` applied in turn, each over the same `memory`, then
    `norm` if given, as PyTorch's `nn.TransformerDecoder` (the layers `layers.0`, ...).
    `forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)`.

    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> decoder = TransformerDecoder(TransformerDecoderLayer(4, 2, 8), num_layers=2)
    >>> decoder(Tensor(np.ones((3, 4))), Tensor(np.ones((5, 4)))).shape   # 3 steps over 5 of memory
    (3, 4)
    """

    def __init__(self, decoder_layer: Module, num_layers: int,
                 norm: Module | None = None) -> None:
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = int(num_layers)
        _check_norm(norm, "TransformerDecoder")
        self.norm = norm

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """An encoder and a decoder, as PyTorch's `nn.Transformer`: `forward(src, tgt)` encodes
    `src` (S, N, d_model) into a memory and decodes `tgt` (T, N, d_model) over it, giving
    (T, N, d_model) (batch first with `batch_first=True`; unbatched (S, d_model) and
    (T, d_model) too). The masks are the encoder's and the decoder's: `src_mask`, `tgt_mask`,
    `memory_mask`, `src_key_padding_mask`, `tgt_key_padding_mask`, `memory_key_padding_mask`.

    Made of `encoder` (num_encoder_layers layers, then a LayerNorm `encoder.norm`) and
    `decoder` (likewise, `decoder.norm`), or your own `custom_encoder` / `custom_decoder`. As
    PyTorch, every weight with two axes or more is then drawn afresh Xavier-uniform (`rng` or
    the shared generator), so the layers differ.

    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> model = Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
    ...                     dim_feedforward=16, batch_first=True)
    >>> src, tgt = Tensor(np.ones((2, 5, 8))), Tensor(np.ones((2, 3, 8)))
    >>> model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(3)).shape
    (2, 3, 8)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable = "relu", custom_encoder: Module | None = None,
                 custom_decoder: Module | None = None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None, *,
                 rng: np.random.Generator | None = None) -> None:
        check_device("Transformer", device)
        layer_options = dict(dim_feedforward=dim_feedforward, dropout=dropout,
                             activation=activation, layer_norm_eps=layer_norm_eps,
                             batch_first=batch_first, norm_first=norm_first, bias=bias,
                             device=device, dtype=dtype, rng=rng)
        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        for part, custom, layer, stack, num_layers in (
                ("encoder", custom_encoder, TransformerEncoderLayer, TransformerEncoder,
                 num_encoder_layers),
                ("decoder", custom_decoder, TransformerDecoderLayer, TransformerDecoder,
                 num_decoder_layers)):
            if custom is None:
                norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
                custom = stack(layer(d_model, nhead, **layer_options), num_layers, norm)
            elif not isinstance(custom, Module):
                raise TypeError(f"Transformer: custom_{part} must be a Module, got "
                                f"{type(custom).__name__}")
            setattr(self, part, custom)
        rng = default_rng() if rng is None else rng
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p, rng=rng)
        self.d_model, self.nhead, self.batch_first = int(d_model), int(nhead), bool(batch_first)

    def forward(self, src: Any, tgt: Any, src_mask: Any = None, tgt_mask: Any = None,
                memory_mask: Any = None, src_key_padding_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        src, tgt = _sequences(self._name(), self.d_model, self.batch_first, src=src,
                              tgt=tgt)
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    _name = _TransformerLayer._name

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None,
                                        dtype: Any = None) -> Tensor:
        """The causal mask (sz, sz) as a float mask: -inf above the diagonal (a later position,
        left out), 0 elsewhere.

        >>> Transformer.generate_square_subsequent_mask(3)
        Tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
        """
        check_device("Transformer.generate_square_subsequent_mask", device)
        if not isinstance(sz, (int, np.integer)) or isinstance(sz, bool) or sz < 0:
            raise ValueError(f"Transformer.generate_square_subsequent_mask: sz must be a "
                             f"number of positions (an integer >= 0), got {sz!r}")
        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        return Tensor(np.triu(np.full((sz, sz), -np.inf), 1).astype(dtype))
