"""Attention: `scaled_dot_product_attention` (also `nn.functional`'s) and the layer
`MultiheadAttention`, with PyTorch's arguments, masks, parameter names and shapes.

Each query (a row of Q, length E) scores every key (a row of K) by their dot product, the
scores along a row become weights by softmax, and the output is the weighted mean of the values
(rows of V):

    attention(Q, K, V) = softmax(Q Kᵀ · scale + mask) V,     scale = 1/√E by default

Q is (..., L, E), K (..., S, E), V (..., S, Ev) and the output (..., L, Ev): L queries, S keys.
A mask says which keys each query may see. Both are built from ordinary ops (matmul, masked_fill,
softmax), so gradients, and higher derivatives, come from those ops' rules.

A query that may see no key at all (a row fully masked, or S = 0) has no weights to share out:
its weights and its output are 0, with zero gradients, as PyTorch's `scaled_dot_product_attention`
gives (softmax of a row of -inf alone would be NaN, which would then spread through backward).
PyTorch's `MultiheadAttention` gives NaN there when it returns the weights (`need_weights=True`,
its default); here it gives 0 on both paths.

>>> import numpy as np
>>> from autograd import Tensor
>>> q = Tensor([[1.0, 0.0]]); k = Tensor([[1.0, 0.0], [0.0, 1.0]]); v = Tensor([[1.0], [3.0]])
>>> scaled_dot_product_attention(q, k, v, scale=np.log(3.0))    # weights 3/4 and 1/4
Tensor([[1.5]])
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd.devices import check_device
from autograd.functional.arguments import _floating, _node
from autograd.random import default_rng
from autograd.warn import warn

from . import init
from .functional import _dropout, _refuse_token_indices
from .module import Module, Parameter

__all__ = ["scaled_dot_product_attention", "MultiheadAttention"]

SDPA = "scaled_dot_product_attention"


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False, *,
                                 rng: np.random.Generator | None = None) -> Tensor:
    """softmax(query keyᵀ · scale + mask) value, as PyTorch's
    `torch.nn.functional.scaled_dot_product_attention`: query (..., L, E), key (..., S, E),
    value (..., S, Ev) give (..., L, Ev); the leading axes (batch, heads) broadcast.

    `attn_mask` broadcasts to the scores' shape (..., L, S): a bool mask says which keys each
    query may attend to (True: take part), a float mask is added to the scores (-inf keeps a
    key out). `is_causal=True` lets query i see keys 0..i only (instead of a mask). `scale`
    defaults to 1/√E. `dropout_p` drops attention weights (scaling the rest by 1/(1 - p))
    whenever it is > 0, as in PyTorch, which has no training flag here: pass
    `dropout_p=p if self.training else 0.0`; the dropped ones are drawn from `rng` or the shared
    generator.
    `enable_gqa=True` (grouped-query attention) lets key and value have fewer heads (axis -3)
    than query, each shared by a group of query heads.

    >>> q = k = v = Tensor(np.eye(3))                     # query 1 sees keys 0 and 1
    >>> scaled_dot_product_attention(q, k, v, is_causal=True).numpy().round(3)[1]
    array([0.36, 0.64, 0.  ])
    """
    query, key, value = (_floating(SDPA, x) for x in (query, key, value))
    _check_query_key_value(query, key, value)
    if enable_gqa:
        key, value = _shared_heads(query, key, value)
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    scores_shape = _batch_shape(query, key, value) + (L, S)
    blocked = added = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{SDPA}: give attn_mask or is_causal=True, not both (is_causal "
                             f"makes the causal mask itself)")
        blocked = np.triu(np.ones((L, S), dtype=bool), 1)       # key j > query i: the future
    elif attn_mask is not None:
        mask = _mask(SDPA, "attn_mask", attn_mask, query.dtype, true_attends=True)
        if not _broadcasts(tuple(mask.shape), scores_shape) \
                or np.broadcast_shapes(tuple(mask.shape), scores_shape) != scores_shape:
            raise ValueError(f"{SDPA}: attn_mask of shape {tuple(mask.shape)} does not broadcast "
                             f"to the scores' shape {scores_shape} (..., L, S) of query "
                             f"{query.shape} and key {key.shape}")
        if isinstance(mask, np.ndarray):
            _check_not_upside_down(SDPA, mask, true_attends=True)
            blocked = ~mask
        else:
            added = mask
    if scale is None:
        scale = 1.0 / math.sqrt(E)
    elif not isinstance(scale, numbers.Real) or isinstance(scale, bool):
        raise TypeError(f"{SDPA}: scale must be a number or None (1/√E), got {scale!r}")
    _check_dropout(SDPA, "dropout_p", dropout_p)
    output, _ = _attend(query, key, value, blocked, added, float(scale), dropout_p, rng)
    return output


def _attend(query: Tensor, key: Tensor, value: Tensor, blocked: np.ndarray | None,
            added: Tensor | None, scale: float, dropout_p: float,
            rng: np.random.Generator | None) -> tuple[Tensor, Tensor]:
    """(output, weights) of attention: the scores Q Kᵀ · scale, plus `added`, -inf where
    `blocked` is True, softmax along each row, dropout, times V."""
    scores = (query * scale) @ key.transpose(-2, -1)
    if added is not None:
        scores = scores + added
    if blocked is not None:
        scores = scores.masked_fill(blocked, -np.inf)
    weights = _row_softmax(scores)
    if dropout_p > 0:
        weights = _dropout(SDPA, weights, dropout_p, True, rng, None)
    return weights @ value, weights


def _row_softmax(scores: Tensor) -> Tensor:
    """softmax along the last axis; a row whose scores are all -inf (every key masked) gets
    weights 0, with zero gradient. Its scores are replaced by 0 before the softmax, not after: the
    softmax of a row of -inf is NaN, and its backward would spread NaN even under a zero
    upstream gradient."""
    seeing_nothing = np.all(scores.data == -np.inf, axis=-1, keepdims=True)
    if not seeing_nothing.any():
        return scores.softmax(dim=-1)
    return scores.masked_fill(seeing_nothing, 0.0).softmax(dim=-1).masked_fill(seeing_nothing, 0.0)


def _check_query_key_value(query: Tensor, key: Tensor, value: Tensor) -> None:
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ValueError(f"{SDPA}: query, key and value must be at least 2-d (..., L or S, E), "
                         f"got shapes {query.shape}, {key.shape} and {value.shape}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"{SDPA}: query {query.shape} and key {key.shape} must have the same "
                         f"last axis E (a query is scored against a key by their dot product)")
    if query.shape[-1] == 0:
        raise ValueError(f"{SDPA}: query and key have an empty last axis E (shape "
                         f"{query.shape}): no scale 1/√E")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{SDPA}: key {key.shape} and value {value.shape} must have the same "
                         f"number of positions S on axis -2 (one value per key)")


def _batch_shape(query: Tensor, key: Tensor, value: Tensor) -> tuple[int, ...]:
    """The leading axes of query, key and value broadcast together, or an error."""
    shapes = (query.shape[:-2], key.shape[:-2], value.shape[:-2])
    if not _broadcasts(*shapes):
        raise ValueError(f"{SDPA}: the leading (batch, head) axes of query {query.shape}, key "
                         f"{key.shape} and value {value.shape} do not broadcast together")
    return np.broadcast_shapes(*shapes[:2])


def _broadcasts(*shapes: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


def _shared_heads(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """Grouped-query attention: key's and value's heads (axis -3) each repeated for the group
    of consecutive query heads that shares it."""
    if min(query.ndim, key.ndim, value.ndim) < 3:
        raise ValueError(f"{SDPA}: enable_gqa=True needs a heads axis (-3) in query, key and "
                         f"value, got shapes {query.shape}, {key.shape} and {value.shape}")
    heads = query.shape[-3]
    for name, x in (("key", key), ("value", value)):
        if x.shape[-3] == 0 or heads % x.shape[-3]:
            raise ValueError(f"{SDPA}: with enable_gqa=True the query's {heads} heads (axis -3) "
                             f"must be a multiple of the {name}'s {x.shape[-3]}, got query "
                             f"{query.shape} and {name} {x.shape}")
    return tuple(x if x.shape[-3] == heads else x.repeat_interleave(heads // x.shape[-3], dim=-3)
                 for x in (key, value))


def _mask(where: str, what: str, mask: Any, dtype: np.dtype, true_attends: bool) -> Any:
    """A bool mask as a numpy array, or a float mask as a Tensor of `dtype` (a Tensor keeps its
    graph: added to the scores, it gets their gradient). `true_attends`: what True means in a
    bool mask here, attend (the function's) or leave out (the layer's)."""
    meaning = ("True where a query may attend to the key" if true_attends else
               "True where a key is left out")
    array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype == bool:
        return array
    if array.dtype.kind != "f":
        raise TypeError(f"{where}: {what} must be bool ({meaning}) or float (added to the "
                        f"scores, -inf to leave a key out), got dtype {array.dtype}"
                        f"{_integer_mask_hint(array, true_attends)}")
    if array.size and ((array == 0) | (array == 1)).all() and (array == 0).any() \
            and (array == 1).any():
        # the lecture's float tril of ones and zeros, or a tokenizer's 1/0 attention mask: as a
        # float mask it is added (+1 or +0) and leaves nothing out, silently
        as_bool = "mask == 1" if true_attends else "mask == 0 if 1 marks the keys to see"
        warn(f"{where}: {what} is a float mask of 0s and 1s; a float mask is added to the scores, "
             f"so this one leaves no key out. To say which keys take part, pass a bool mask "
             f"({meaning}): {as_bool}")
    return mask.astype(dtype) if isinstance(mask, Tensor) else Tensor(array.astype(dtype))


def _integer_mask_hint(array: np.ndarray, true_attends: bool) -> str:
    """For an integer mask of 0s and 1s (a tokenizer's attention_mask, or a tril of ones
    made with an integer dtype), the bool mask to write, by what its 1s mean."""
    if array.dtype.kind not in "iu" or not ((array == 0) | (array == 1)).all():
        return ""
    if true_attends:
        return ": mask.bool() if 1 marks the keys to see"
    return ("; if 1 marks the keys to leave out, mask.bool(); if 1 marks the real tokens "
            "(a tokenizer's attention_mask), mask == 0")


def _check_padding_not_upside_down(where: str, what: str, mask: np.ndarray) -> None:
    """Warn about a key padding mask that is True where the tokens are (a tokenizer's
    attention_mask made bool): True leaves a key out, so such a mask hides the real tokens and
    lets every query see only the padding. The sign: the first key is left out in every
    sequence, and some sequence (the longest, unpadded) has every key left out, while others
    do not. Right padding never gives the first; a correct left-padded batch never the second
    (each sequence keeps its tokens), so that is not warned about."""
    if mask.ndim != 2 or mask.shape[1] < 2 or mask.shape[0] < 2:
        return
    if mask[:, 0].all() and mask.all(axis=1).any() and not mask.all():
        warn(f"{where}: {what} is True at the first key of every sequence and at every key "
             f"of some; True leaves a key out (padding), so this mask hides the first tokens "
             f"and whole sequences. If True marks the real "
             f"tokens (a tokenizer's attention_mask), pass ~mask (or attention_mask == 0)")


def _check_not_upside_down(where: str, mask: np.ndarray, true_attends: bool) -> None:
    """Warn about the causal mask written in the other convention: the function's bool mask
    is True where a query attends, the layer's where a key is left out, so the mask right for
    one lets each query see only the keys after it in the other (and the last query none)."""
    if mask.ndim < 2:           # (a mask of keys only, (S,), broadcast to every query)
        return
    L, S = mask.shape[-2:]
    flipped = (np.triu(np.ones((L, S), dtype=bool), 1) if true_attends else
               np.tril(np.ones((L, S), dtype=bool)))
    if L == S > 1 and (mask == flipped).all():      # (self-attention, where masks are causal)
        right = ("np.tril(np.ones((L, S), dtype=bool)), or is_causal=True" if true_attends else
                 "np.triu(np.ones((L, S), dtype=bool), 1)")
        meaning = "True where a query may attend" if true_attends else "True leaves a key out"
        warn(f"{where}: this bool attn_mask lets each query see only the keys after it, and the "
             f"last query none: the causal mask the other way round? Here {meaning}; the "
             f"causal mask is {right}")


def _is_causal(mask: Any, L: int, S: int) -> bool:
    """Whether a layer's `mask` is the causal mask (L, S) (bool: True above the diagonal; float:
    -inf there, 0 elsewhere), or that mask repeated for every sample and head."""
    array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    future = np.triu(np.ones((L, S), dtype=bool), 1)
    return bool((array == (future if array.dtype == bool else np.where(future, -np.inf, 0.0)))
                .all())


def _features(where: str, what: str, x: Any) -> Tensor:
    """`x` (a sequence of feature vectors) as a floating Tensor; integers other than 0 and 1
    are refused as token indices, which need an Embedding first. Read as numbers, a batch of
    them (N, L) whose L equals the layer's width would pass as one unbatched sequence of N
    positions, silently. 0/1 integers pass, as one-hot rows (as for the recurrent layers)."""
    x = _node(x, where)
    if isinstance(x, Tensor):
        _refuse_token_indices(where, what, x)
    return _floating(where, x)


def _check_dropout(where: str, what: str, p: Any) -> None:
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0 <= p <= 1:
        raise ValueError(f"{where}: {what} must be a probability in [0, 1], got {p!r}")


class MultiheadAttention(Module):
    """Multi-head attention, as PyTorch's `nn.MultiheadAttention`: query, key and value are
    projected, split into `num_heads` heads of embed_dim // num_heads features, each head
    attends on its own (`scaled_dot_product_attention`), and the heads' outputs, side by side,
    go through the output projection `out_proj`.

    Inputs are query (L, N, E), key (S, N, kdim) and value (S, N, vdim), sequence first as
    PyTorch's default; batch first, (N, L, E) and so on, with `batch_first=True`; or unbatched,
    (L, E) and so on.
    `forward` returns (output, weights): the output shaped as the query, and the attention
    weights (N, L, S), averaged over the heads, or per head (N, num_heads, L, S) with
    `average_attn_weights=False`, or None with `need_weights=False`. Masks: `key_padding_mask`
    (N, S) leaves keys out of every query's view (padding), `attn_mask` (L, S), or
    (N · num_heads, L, S) one per sample and head, leaves out pairs; a bool mask is True where a
    key is left OUT (the opposite of `scaled_dot_product_attention`'s), a float one is added to
    the scores. `is_causal` is PyTorch's hint that attn_mask is the causal mask, which must be
    given (and be that mask). The weights are dropped with probability `dropout` in training.
    A bool key_padding_mask True at the first key of every sequence is warned about: it is
    usually a tokenizer's attention_mask (True at the real tokens), the opposite meaning.

    Parameters have PyTorch's names and shapes, so `state_dict()` loads into
    `torch.nn.MultiheadAttention` as it is: `in_proj_weight` (3 · embed_dim, embed_dim), the
    query's, key's and value's projections stacked (or `q_proj_weight`, `k_proj_weight`,
    `v_proj_weight` when kdim or vdim differ from embed_dim), `in_proj_bias` (3 · embed_dim,),
    `out_proj.weight` and `out_proj.bias`. Initialised as PyTorch: the input projections
    Xavier-uniform, `out_proj.weight` as a Linear's, the biases zero (`rng` or the shared
    generator). PyTorch's `add_bias_kv` and `add_zero_attn` are refused.

    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> mha = MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
    >>> x = Tensor(np.ones((3, 5, 8)))                    # 3 sequences of 5 tokens
    >>> output, weights = mha(x, x, x)                    # self-attention
    >>> output.shape, weights.shape
    ((3, 5, 8), (3, 5, 5))
    >>> list(mha.state_dict())
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None, *,
                 rng: np.random.Generator | None = None) -> None:
        check_device("MultiheadAttention", device)
        for name, n in (("embed_dim", embed_dim), ("num_heads", num_heads), ("kdim", kdim),
                        ("vdim", vdim)):
            if n is None and name in ("kdim", "vdim"):
                continue
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"MultiheadAttention: {name} must be a positive integer, got "
                                 f"{n!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} must be divisible by "
                             f"num_heads {num_heads} (each head gets embed_dim // num_heads "
                             f"features)")
        _check_dropout("MultiheadAttention", "dropout", dropout)
        if add_bias_kv or add_zero_attn:
            raise ValueError("MultiheadAttention: add_bias_kv and add_zero_attn (PyTorch's extra "
                             "key/value row) are not supported; leave them False")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim == self.vdim
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        self.rng = rng                                  # for dropout masks (None: shared one)
        rng = default_rng() if rng is None else rng
        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        E = self.embed_dim
        from .layers import Linear  # (here: layers imports nn.functional, which imports us)
        # (out_proj first, as PyTorch makes it: its Linear draws its numbers when made)
        out_proj = Linear(E, E, bias=bias, dtype=dtype, rng=rng)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.zeros((3 * E, E)), dtype)
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.in_proj_weight = None
            self.q_proj_weight, self.k_proj_weight, self.v_proj_weight = (
                Parameter(np.zeros((E, d)), dtype) for d in (E, self.kdim, self.vdim))
        self.in_proj_bias = Parameter(np.zeros(3 * E), dtype) if bias else None
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False
        self.out_proj = out_proj
        self._draw_input_projections(rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """Redraw every weight in place as the constructor does (out_proj as a Linear, then
        the input projections Xavier-uniform, the biases 0): from `rng`, or the shared
        generator. (PyTorch's `_reset_parameters` leaves out_proj's weight as it is.)"""
        rng = default_rng() if rng is None else rng
        self.out_proj.reset_parameters(rng)
        self._draw_input_projections(rng)

    def _draw_input_projections(self, rng: np.random.Generator) -> None:
        """The input projections Xavier-uniform, and the biases 0 (PyTorch's initialisation)."""
        for weight in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight,
                       self.v_proj_weight):
            if weight is not None:
                init.xavier_uniform_(weight, rng=rng)
        for bias in (self.in_proj_bias, self.out_proj.bias):
            if bias is not None:
                init.zeros_(bias)

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False
                ) -> tuple[Tensor, Tensor | None]:
        name = self._name()
        query, key, value = (_features(name, what, x) for what, x in
                             (("query", query), ("key", key), ("value", value)))
        batched = self._check_inputs(query, key, value)
        if not batched:
            query, key, value = (x.unsqueeze(0) for x in (query, key, value))
        elif not self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        (N, L, E), S, H = query.shape, key.shape[1], self.num_heads
        if is_causal and attn_mask is None:
            square = (f", or nn.Transformer.generate_square_subsequent_mask({L})"
                      if L == S else "")
            raise ValueError(f"{name}: is_causal=True is PyTorch's hint that attn_mask is the "
                             f"causal mask, which must be given: attn_mask=np.triu(np.ones(("
                             f"{L}, {S}), dtype=bool), 1) (True: left out){square}")
        blocked, added = self._masks(query.dtype, N, L, S, key_padding_mask, attn_mask, batched)
        if is_causal and not _is_causal(attn_mask, L, S):
            # PyTorch trusts the hint where it can and applies its own causal mask instead
            raise ValueError(f"{name}: is_causal=True says attn_mask is the causal mask, but "
                             f"it is not (PyTorch would apply the causal mask, not this one): "
                             f"leave is_causal out to use this mask")
        heads = [self._project(x, k).reshape(N, x.shape[1], H, self.head_dim).transpose(1, 2)
                 for k, x in enumerate((query, key, value))]     # (N, H, L or S, head_dim)
        output, weights = _attend(*heads, blocked, added, 1.0 / math.sqrt(self.head_dim),
                                  self.dropout if self.training else 0.0, self.rng)
        output = self.out_proj(output.transpose(1, 2).reshape(N, L, E))
        if not batched:
            output = output[0]
        elif not self.batch_first:
            output = output.transpose(0, 1)
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return output, (weights if batched else weights[0])

    def _name(self) -> str:
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def _project(self, x: Tensor, k: int) -> Tensor:
        """x times the query's (k = 0), key's (1) or value's (2) projection, plus its bias."""
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            weight = self.in_proj_weight[k * E:(k + 1) * E]
        else:
            weight = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[k]
        bias = None if self.in_proj_bias is None else self.in_proj_bias[k * E:(k + 1) * E]
        return x @ weight.T if bias is None else x @ weight.T + bias

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> bool:
        """Whether the inputs are batched (3-d), after checking their shapes."""
        name, layout = self._name(), "(N, L, E)" if self.batch_first else "(L, N, E)"
        if query.ndim not in (2, 3):
            raise ValueError(f"{name}: query must be 3-d {layout}, or 2-d (L, E) unbatched, got "
                             f"shape {query.shape}")
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{name}: key {key.shape} and value {value.shape} must have as many "
                             f"axes as query {query.shape}")
        for what, x, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                              ("value", value, self.vdim)):
            if x.shape[-1] != size:
                hint = "" if what == "query" or size != self.embed_dim else \
                    f" (for other sizes make the layer with {what[0]}dim={x.shape[-1]})"
                raise ValueError(f"{name}: {what} of shape {x.shape} must have {size} features "
                                 f"on its last axis{hint}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{name}: key {key.shape} and value {value.shape} must agree on all "
                             f"but the last axis (one value per key)")
        batch_axis = 0 if self.batch_first else 1
        if query.ndim == 3 and query.shape[batch_axis] != key.shape[batch_axis]:
            hint = ("; they agree on axis 0: for batch-first inputs (N, L, E) make the layer "
                    "with batch_first=True" if not self.batch_first
                    and query.shape[0] == key.shape[0] else "")
            raise ValueError(f"{name}: query {query.shape} and key {key.shape} must have the same "
                             f"batch size on axis {batch_axis} {layout}{hint}")
        return query.ndim == 3

    def _masks(self, dtype: np.dtype, N: int, L: int, S: int, key_padding_mask: Any,
               attn_mask: Any, batched: bool) -> tuple[np.ndarray | None, Tensor | None]:
        """key_padding_mask and attn_mask as one bool mask (True: left out) and one float mask
        (added), each broadcasting to the scores (N, num_heads, L, S), or None."""
        name, H = self._name(), self.num_heads
        blocked = added = None
        masks = []
        if attn_mask is not None:
            mask = _mask(name, "attn_mask", attn_mask, dtype, true_attends=False)
            if isinstance(mask, np.ndarray):
                _check_not_upside_down(name, mask, true_attends=False)
            if tuple(mask.shape) == (L, S):
                pass
            elif tuple(mask.shape) == (N * H, L, S):
                mask = mask.reshape(N, H, L, S)
            else:
                # one mask per sample (N, L, S): PyTorch's 3-d mask is one per sample AND head
                hint = (f"; for one mask per sample, repeat it for each head: "
                        f"attn_mask.repeat_interleave({H}, dim=0)"
                        if H > 1 and tuple(mask.shape) == (N, L, S) else "")
                raise ValueError(f"{name}: attn_mask must have shape ({L}, {S}) (L, S) or "
                                 f"({N * H}, {L}, {S}) (N · num_heads, L, S), got "
                                 f"{tuple(mask.shape)}{hint}")
            masks.append(mask)
        if key_padding_mask is not None:
            mask = _mask(name, "key_padding_mask", key_padding_mask, dtype, true_attends=False)
            wanted = (N, S) if batched else (S,)
            if tuple(mask.shape) != wanted:
                # (S, N): a padding mask of batch-first data, given to a layer that reads its
                # inputs sequence first, PyTorch's default
                hint = ("; the inputs are read sequence first, (L, N, E): for batch-first "
                        "inputs (N, L, E) make the layer with batch_first=True"
                        if batched and not self.batch_first and tuple(mask.shape) == (S, N)
                        else "")
                if not hint and mask.ndim > 2 and np.squeeze(mask).shape == wanted:
                    # BERT's (N, 1, 1, S), shaped to broadcast over hand-written scores
                    hint = f"; a mask shaped for the scores is not taken here: " \
                           f"key_padding_mask.reshape{wanted}"

                raise ValueError(f"{name}: key_padding_mask must have shape {wanted} "
                                 f"({'N, S' if batched else 'S'}: one flag per key), got "
                                 f"{tuple(mask.shape)}{hint}")
            if isinstance(mask, np.ndarray):
                _check_padding_not_upside_down(name, "key_padding_mask", mask)
            masks.append(mask.reshape(N, 1, 1, S))
        for mask in masks:
            if isinstance(mask, np.ndarray):
                blocked = mask if blocked is None else blocked | mask
            else:
                added = mask if added is None else added + mask
        return blocked, added
