"""scaled_dot_product_attention and MultiheadAttention: softmax(Q Kᵀ · scale + mask) V against
numpy, gradients (first and second) against finite differences with masks, broadcast
and batch-1 shapes, fully masked rows that give zeros instead of NaN, dropout, PyTorch's state
dict names, the meaning of each mask, errors that name the function and the shapes, and the
same numbers as PyTorch (asked live where torch is installed, else as recorded in
tests/reference/attention.npz)."""

from __future__ import annotations

import functools
import os
import tempfile
import warnings

import numpy as np
import pytest

import nn
from autograd import Tensor, concatenate, grad, gradcheck, gradcheck_parameters, manual_seed
from nn import MultiheadAttention
from nn.functional import scaled_dot_product_attention as sdpa

from conftest import t64
from reference import as_array, assert_matches, cut, record_cases, recorded_case


def numpy_attention(q, k, v, allowed=None, added=0.0, scale=None):
    """The formula in numpy: a query whose every key is masked out gets weights 0."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale + added
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    seeing = np.isfinite(scores).any(axis=-1, keepdims=True)
    scores = np.where(seeing, scores, 0.0)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return np.where(seeing, e / e.sum(axis=-1, keepdims=True), 0.0) @ v


def causal(L, S):
    """True where query i may see key j: j <= i."""
    return np.tril(np.ones((L, S), dtype=bool))


def with_a_blind_row(rng, L, S, row=1):
    """A random bool mask (True: attend) in which query `row` sees no key at all."""
    mask = rng.random((L, S)) > 0.4
    mask[row] = False
    return mask


# -- the formula -------------------------------------------------------------------------------

@pytest.mark.parametrize("shapes", [
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), ((4, 5), (6, 5), (6, 2)),
    ((2, 3, 4, 5), (3, 6, 5), (1, 3, 6, 7))], ids=["heads", "2-d", "broadcast batch"])
def test_values_are_the_softmax_of_the_scaled_scores_times_the_values(rng, shapes):
    q, k, v = (rng.normal(size=s) for s in shapes)
    np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v)).data, numpy_attention(q, k, v),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v), scale=0.3).data,
                               numpy_attention(q, k, v, scale=0.3), rtol=1e-12, atol=1e-14)


def test_each_mask_means_what_pytorchs_does(rng):
    """bool: True takes part; float: added; is_causal: query i sees keys 0..i (top-left, for
    L != S too)."""
    q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2))
    allowed, added = with_a_blind_row(rng, 4, 5), rng.normal(size=(4, 5))
    np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v), attn_mask=allowed).data,
                               numpy_attention(q, k, v, allowed), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v), attn_mask=added).data,
                               numpy_attention(q, k, v, added=added), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v), is_causal=True).data,
                               numpy_attention(q, k, v, causal(4, 5)), rtol=1e-12, atol=1e-14)
    as_float = np.where(allowed, 0.0, -np.inf)          # the same mask, written the other way
    np.testing.assert_array_equal(sdpa(t64(q), t64(k), t64(v), attn_mask=Tensor(as_float)).data,
                                  sdpa(t64(q), t64(k), t64(v), attn_mask=Tensor(allowed)).data)


def test_a_bool_mask_of_keys_alone_broadcasts_to_every_query(rng):
    """attn_mask (S,): one flag per key, for every query, as PyTorch broadcasts it (it failed
    inside the check for the causal mask written the other way)."""
    q, v = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    keys = np.array([True, False])
    np.testing.assert_allclose(sdpa(t64(q), t64(q), t64(v), attn_mask=keys).data,
                               np.repeat(v[:1], 2, axis=0), rtol=1e-12)


def test_float32_and_integer_inputs_give_float32_and_a_float64_mask_does_not_promote(rng):
    q = rng.normal(size=(3, 4)).astype(np.float32)
    assert sdpa(q, q, q, attn_mask=np.zeros((3, 3))).dtype == np.float32
    assert sdpa(np.ones((3, 4), int), np.ones((3, 4), int), np.ones((3, 4), int)).dtype == \
        np.float32



def test_a_float_mask_of_ones_and_zeros_warns_that_it_leaves_nothing_out(rng):
    """The lecture's tril is float ones and zeros: passed as a mask it is added (+1, +0) and the
    future stays visible, as in PyTorch, silently there; here a warning says what to pass."""
    q = rng.normal(size=(4, 3))
    tril = np.tril(np.ones((4, 4)))
    with pytest.warns(UserWarning, match=r"scaled_dot_product_attention: attn_mask is a float "
                      r"mask of 0s and 1s; .* leaves no key out. .* pass a bool mask \(True where "
                      r"a query may attend to the key\): mask == 1") as caught:
        added = sdpa(q, q, q, attn_mask=Tensor(tril))
    assert caught[0].filename == __file__                 # the caller's line
    np.testing.assert_allclose(added.data, numpy_attention(q, q, q, added=tril), rtol=1e-6)
    with pytest.warns(UserWarning, match=r"MultiheadAttention\(embed_dim=4, num_heads=2\): "
                      r"key_padding_mask is a float mask .* \(True where a key is left out\): "
                      r"mask == 0 if 1 marks the keys to see"):
        x = rng.normal(size=(3, 4))
        _layer(rng)(x, x, x, key_padding_mask=np.array([1.0, 1.0, 0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sdpa(q, q, q, attn_mask=np.where(tril == 1, 0.0, -np.inf))
        sdpa(q, q, q, attn_mask=tril == 1)
        sdpa(q, q, q, attn_mask=np.zeros((4, 4)))


def test_the_causal_mask_in_the_other_bool_convention_warns(rng):
    """The function's True attends, the layer's True leaves out: the causal mask written for
    one shows each query only its future in the other (and the last query nothing)."""
    x = rng.normal(size=(4, 4))
    attend_past, hide_future = np.tril(np.ones((4, 4), bool)), np.triu(np.ones((4, 4), bool), 1)
    with pytest.warns(UserWarning, match=r"scaled_dot_product_attention: this bool attn_mask "
                      r"lets each query see only the keys after it, .* Here True where a query "
                      r"may attend; the causal mask is np.tril\(np.ones\(\(L, S\), "
                      r"dtype=bool\)\), or is_causal=True"):
        sdpa(x, x, x, attn_mask=hide_future)
    with pytest.warns(UserWarning, match=r"MultiheadAttention\(embed_dim=4, num_heads=2\): this "
                      r"bool attn_mask .* Here True leaves a key out; the causal mask is "
                      r"np.triu\(np.ones\(\(L, S\), dtype=bool\), 1\)"):
        _layer(rng)(x, x, x, attn_mask=attend_past)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sdpa(x, x, x, attn_mask=attend_past)
        _layer(rng)(x, x, x, attn_mask=hide_future)
        sdpa(x, rng.normal(size=(6, 4)), rng.normal(size=(6, 2)),       # cross-attention
             attn_mask=np.triu(np.ones((4, 6), bool), 1))

# -- gradients ---------------------------------------------------------------------------------

GRAD_CASES = {
    "heads": (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), {}),
    "batch 1, one head": (((1, 1, 3, 4), (1, 1, 5, 4), (1, 1, 5, 2)), {}),
    "2-d": (((3, 4), (5, 4), (5, 2)), {}),
    "broadcast batch": (((2, 3, 4, 5), (3, 6, 5), (1, 3, 6, 7)), {}),
    "bool mask, a blind row": (((2, 4, 3), (2, 5, 3), (2, 5, 2)), {"attn_mask": "blind"}),
    "float mask with -inf": (((2, 4, 3), (2, 5, 3), (2, 5, 2)), {"attn_mask": "-inf"}),
    "causal, L < S": (((2, 3, 3), (2, 5, 3), (2, 5, 2)), {"is_causal": True}),
    "causal, L > S": (((2, 5, 3), (2, 3, 3), (2, 3, 2)), {"is_causal": True}),
    "scale": (((2, 3, 3), (2, 4, 3), (2, 4, 2)), {"scale": 1.7}),
    "grouped query heads": (((2, 4, 3, 3), (2, 2, 5, 3), (2, 1, 5, 2)), {"enable_gqa": True}),
}


def _drawn(rng, case):
    """q, k, v (spread so that the weights are far from uniform) and the case's options."""
    shapes, options = GRAD_CASES[case]
    q, k, v = (t64(rng.normal(0.0, 1.5, size=s)) for s in shapes)
    L, S = shapes[0][-2], shapes[1][-2]
    if options.get("attn_mask") == "blind":
        options = {**options, "attn_mask": with_a_blind_row(rng, L, S)}
    elif options.get("attn_mask") == "-inf":
        added = rng.normal(size=(L, S))
        added[rng.random((L, S)) > 0.6] = -np.inf
        added[:, 0] = 0.0                               # (every query sees key 0)
        options = {**options, "attn_mask": added}
    return q, k, v, options


@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_gradients_match_finite_differences(rng, case):
    q, k, v, options = _drawn(rng, case)
    assert gradcheck(lambda q, k, v: sdpa(q, k, v, **options), q, k, v)


def test_a_float_mask_gets_the_gradient_of_the_scores(rng):
    q, k, v = (t64(rng.normal(size=s)) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    assert gradcheck(lambda q, k, v, m: sdpa(q, k, v, attn_mask=m), q, k, v,
                     t64(rng.normal(size=(3, 5))))


@pytest.mark.parametrize("case", ["heads", "bool mask, a blind row", "grouped query heads"])
def test_second_derivatives_match_finite_differences(rng, case):
    """The first derivatives of a loss that is not linear in the output, differentiated again:
    the backward is made of differentiable ops."""
    q, k, v, options = _drawn(rng, case)
    r = rng.normal(size=sdpa(q, k, v, **options).shape)
    directions = [rng.normal(size=t.shape) for t in (q, k, v)]

    def loss(q, k, v):
        return (sdpa(q, k, v, **options).tanh() * r).sum()

    def directional(q, k, v):
        firsts = grad(loss, argnums=(0, 1, 2))(q, k, v)
        return sum((d * first).sum() for d, first in zip(directions, firsts))

    assert gradcheck(directional, q, k, v)


# -- a query that may see nothing ----------------------------------------------------------------

@pytest.mark.parametrize("mask", ["bool", "float", "no keys"])
def test_a_query_that_sees_no_key_gets_zeros_and_zero_gradients_without_nan_or_warnings(rng,
                                                                                     mask):
    """PyTorch's scaled_dot_product_attention gives 0 there (a softmax of -inf alone is NaN,
    which backward would spread to every input)."""
    S = 0 if mask == "no keys" else 4
    q, k, v = t64(rng.normal(size=(2, 3, 3))), t64(rng.normal(size=(2, S, 3))), \
        t64(rng.normal(size=(2, S, 2)))
    allowed = with_a_blind_row(rng, 3, S)
    attn_mask = {"bool": allowed, "float": np.where(allowed, 0.0, -np.inf),
                 "no keys": None}[mask]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sdpa(q, k, v, attn_mask=attn_mask)
        out.backward(rng.normal(size=out.shape))
    blind = slice(None) if mask == "no keys" else 1
    np.testing.assert_array_equal(out.data[:, blind], 0.0)
    np.testing.assert_array_equal(q.grad[:, blind], 0.0)
    assert np.isfinite(q.grad).all() and np.isfinite(k.grad).all() and np.isfinite(v.grad).all()


# -- dropout -----------------------------------------------------------------------------------

def test_dropout_drops_weights_and_scales_the_rest_whenever_p_is_positive(rng):
    """With V the identity the output is the weight matrix: each entry dropped (0) or kept and
    doubled, about half of each; the same generator state gives the same draw."""
    q, k = rng.normal(size=(8, 16, 4)), rng.normal(size=(8, 32, 4))
    v = np.broadcast_to(np.eye(32), (8, 32, 32))
    weights = numpy_attention(q, k, v)
    dropped = sdpa(q, k, v, dropout_p=0.5, rng=np.random.default_rng(5)).data
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], 2 * weights[kept], rtol=1e-12)
    assert 0.45 < kept.mean() < 0.55
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_p=0.5, rng=np.random.default_rng(5)).data,
                                  dropped)
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_p=1.0).data, 0.0)


# -- MultiheadAttention: parameters -----------------------------------------------------------

@pytest.mark.parametrize("options, layout", [
    ({}, {"in_proj_weight": (24, 8), "in_proj_bias": (24,), "out_proj.weight": (8, 8),
          "out_proj.bias": (8,)}),
    ({"kdim": 3, "vdim": 5}, {"q_proj_weight": (8, 8), "k_proj_weight": (8, 3),
                              "v_proj_weight": (8, 5), "in_proj_bias": (24,),
                              "out_proj.weight": (8, 8), "out_proj.bias": (8,)}),
    ({"kdim": 3, "bias": False}, {"q_proj_weight": (8, 8), "k_proj_weight": (8, 3),
                                  "v_proj_weight": (8, 8), "out_proj.weight": (8, 8)}),
], ids=["same dims", "kdim and vdim", "no bias"])
def test_the_state_dict_has_pytorchs_names_shapes_and_order(options, layout):
    state = MultiheadAttention(8, 2, **options).state_dict()
    assert {name: value.shape for name, value in state.items()} == layout
    assert list(state) == list(layout)
    assert all(value.dtype == np.float32 for value in state.values())


def test_initialised_as_pytorch_xavier_projections_linear_output_zero_biases():
    manual_seed(0)
    mha = MultiheadAttention(64, 4)
    limit = np.sqrt(6 / (64 + 3 * 64))                # xavier over the stacked (192, 64)
    assert limit * 0.95 < np.abs(mha.in_proj_weight.data).max() <= limit
    assert 1 / 8 * 0.95 < np.abs(mha.out_proj.weight.data).max() <= 1 / 8    # 1/√embed_dim
    assert not mha.in_proj_bias.data.any() and not mha.out_proj.bias.data.any()
    assert repr(mha) == ("MultiheadAttention(\n  (out_proj): Linear(in_features=64, "
                         "out_features=64, bias=True)\n)")


# -- MultiheadAttention: shapes and masks --------------------------------------------------------

def _layer(rng, E=4, H=2, **options):
    """A float64 layer with every parameter drawn (its biases are not all zero)."""
    mha = MultiheadAttention(E, H, dtype=np.float64, **options)
    for p in mha.parameters():
        p.data[...] = rng.uniform(-1, 1, p.shape)
    return mha


@pytest.mark.parametrize("options, query, key, call, out_shape, weights_shape", [
    ({}, (3, 2, 4), (5, 2, 4), {}, (3, 2, 4), (2, 3, 5)),
    ({"batch_first": True}, (2, 3, 4), (2, 5, 4), {}, (2, 3, 4), (2, 3, 5)),
    ({}, (3, 4), (5, 4), {}, (3, 4), (3, 5)),
    ({}, (3, 2, 4), (5, 2, 4), {"average_attn_weights": False}, (3, 2, 4), (2, 2, 3, 5)),
    ({}, (3, 4), (5, 4), {"average_attn_weights": False}, (3, 4), (2, 3, 5)),
    ({}, (3, 2, 4), (5, 2, 4), {"need_weights": False}, (3, 2, 4), None),
    ({"batch_first": True}, (0, 3, 4), (0, 5, 4), {}, (0, 3, 4), (0, 3, 5)),
], ids=["sequence first", "batch first", "unbatched", "per head", "unbatched per head",
        "no weights", "empty batch"])
def test_output_and_weight_shapes(rng, options, query, key, call, out_shape, weights_shape):
    mha = _layer(rng, **options)
    out, weights = mha(rng.normal(size=query), rng.normal(size=key), rng.normal(size=key), **call)
    assert out.shape == out_shape
    assert (None if weights is None else weights.shape) == weights_shape


def test_the_heads_are_scaled_dot_product_attention_on_the_projections(rng):
    """What the layer computes, written out: each head attends on its slice of the projected
    features, the heads side by side go through out_proj; weights are the heads' mean."""
    mha = _layer(rng, E=6, H=3, batch_first=True)
    x, y = t64(rng.normal(size=(2, 4, 6))), t64(rng.normal(size=(2, 5, 6)))
    out, weights = mha(x, y, y)
    W, b = mha.in_proj_weight.data, mha.in_proj_bias.data
    q, k, v = ((z.data @ W[i * 6:(i + 1) * 6].T + b[i * 6:(i + 1) * 6]).reshape(2, -1, 3, 2)
               .transpose(0, 2, 1, 3) for i, z in enumerate((x, y, y)))
    heads = numpy_attention(q, k, v).transpose(0, 2, 1, 3).reshape(2, 4, 6)
    expected = heads @ mha.out_proj.weight.data.T + mha.out_proj.bias.data
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(2)
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    np.testing.assert_allclose(weights.data, (probs / probs.sum(-1, keepdims=True)).mean(1),
                               rtol=1e-12)



def test_the_gpt_lectures_heads_are_one_multihead_attention_layer(rng):
    """The lecture's attention, head by head (key, query and value Linear layers without bias,
    q kᵀ / √head_size, masked_fill of the future with -inf, softmax, heads joined with cat, then
    proj), is MultiheadAttention with each head's query, key and value weights stacked into
    in_proj_weight (heads in order), a zero in_proj_bias and proj as out_proj."""
    E, H, T = 6, 3, 5
    hs = E // H
    Wq, Wk, Wv = (rng.normal(size=(H, hs, E)) for _ in range(3))      # one (hs, E) per head
    proj_w, proj_b = rng.normal(size=(E, E)), rng.normal(size=E)
    x = t64(rng.normal(size=(2, T, E)))
    future = np.triu(np.ones((T, T), dtype=bool), 1)

    heads = []
    for h in range(H):
        q, k, v = (x @ Tensor(W[h]).T for W in (Wq, Wk, Wv))
        wei = (q @ k.transpose(-2, -1) * hs ** -0.5).masked_fill(future, float("-inf"))
        heads.append(wei.softmax(dim=-1) @ v)
    lecture = concatenate(heads, axis=-1) @ Tensor(proj_w).T + proj_b

    mha = MultiheadAttention(E, H, batch_first=True, dtype=np.float64)
    mha.load_state_dict({"in_proj_weight": np.concatenate([W.reshape(E, E) for W in (Wq, Wk, Wv)]),
                         "in_proj_bias": np.zeros(3 * E), "out_proj.weight": proj_w,
                         "out_proj.bias": proj_b})
    out, _ = mha(x, x, x, attn_mask=future)
    np.testing.assert_allclose(out.data, lecture.data, rtol=1e-12, atol=1e-13)
    # the same with the function: (B, T, E), the heads side by side, split into (B, H, T, hs)
    projected = [x @ Tensor(W.reshape(E, E)).T for W in (Wq, Wk, Wv)]
    q, k, v = (t.reshape(2, T, H, hs).transpose(1, 2) for t in projected)
    joined = sdpa(q, k, v, is_causal=True).transpose(1, 2).reshape(2, T, E)
    np.testing.assert_allclose((joined @ Tensor(proj_w).T + proj_b).data, lecture.data,
                               rtol=1e-12, atol=1e-13)

def test_a_bool_mask_is_true_where_a_key_is_left_out_and_equals_its_float_form(rng):
    """The opposite of scaled_dot_product_attention's bool mask, as in PyTorch."""
    mha = _layer(rng)
    x = rng.normal(size=(4, 2, 4))                      # L = S = 4, N = 2
    padding = np.array([[False, False, True, True], [False, False, False, True]])
    future = np.triu(np.ones((4, 4), dtype=bool), 1)
    _, weights = mha(x, x, x, key_padding_mask=padding, attn_mask=future)
    assert (weights.data[0][:, 2:] == 0).all() and (weights.data[1][:, 3] == 0).all()
    allowed = ~future[None] & ~padding[:, None, :]     # (N, L, S)
    assert (weights.data[~allowed] == 0).all() and (weights.data[allowed] > 0).all()
    as_float = mha(x, x, x, key_padding_mask=np.where(padding, -np.inf, 0.0),
                   attn_mask=np.where(future, -np.inf, 0.0))
    np.testing.assert_allclose(as_float[1].data, weights.data, rtol=1e-12, atol=1e-15)
    per_head = mha(x, x, x, key_padding_mask=padding,       # (N · num_heads, L, S), all alike
                   attn_mask=np.broadcast_to(future, (4, 4, 4)).copy())
    np.testing.assert_allclose(per_head[1].data, weights.data, rtol=1e-12)


def test_a_fully_padded_sample_gives_zeros_not_nan(rng):
    mha = _layer(rng, batch_first=True)
    x = rng.normal(size=(2, 3, 4))
    padding = np.array([[False, True, False], [True, True, True]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, weights = mha(x, x, x, key_padding_mask=padding)
    np.testing.assert_array_equal(weights.data[1], 0.0)
    np.testing.assert_allclose(out.data[1], np.broadcast_to(mha.out_proj.bias.data, (3, 4)))


MASKS = {
    "padding": lambda rng: {"key_padding_mask": np.array([[False, True, False, False, True],
                                                          [True, False, False, False, False]])},
    "causal": lambda rng: {"attn_mask": np.triu(np.ones((3, 3), dtype=bool), 1),
                           "is_causal": True},
    "float, per head": lambda rng: {"attn_mask": rng.normal(size=(2, 3, 5))},
}


@pytest.mark.parametrize("options, query, key, value, masks", [
    ({}, (3, 2, 4), (5, 2, 4), (5, 2, 4), "padding"),
    ({"batch_first": True}, (1, 3, 4), (1, 3, 4), (1, 3, 4), "causal"),
    ({"kdim": 3, "vdim": 2}, (3, 4), (5, 3), (5, 2), "float, per head"),
], ids=["padding", "batch 1, causal", "unbatched kdim vdim, a float mask per head"])
def test_gradients_of_inputs_and_parameters_match_finite_differences(rng, options, query, key,
                                                                     value, masks):
    mha = _layer(rng, **options)
    call = MASKS[masks](rng)
    q, k, v = (t64(rng.normal(size=s)) for s in (query, key, value))
    out, weights = mha(q, k, v, **call)
    r_out, r_weights = rng.normal(size=out.shape), rng.normal(size=weights.shape)

    def loss(q, k, v):
        out, weights = mha(q, k, v, **call)
        return (out * r_out).sum() + (weights * r_weights).sum()

    assert gradcheck(lambda q, k, v: mha(q, k, v, **call)[0], q, k, v)
    assert gradcheck(lambda q, k, v: mha(q, k, v, **call)[1], q, k, v)
    assert gradcheck_parameters(lambda: loss(q, k, v), mha.named_parameters())


def test_dropout_acts_on_the_weights_in_training_only(rng):
    mha = _layer(rng, dropout=0.5, batch_first=True)
    x = rng.normal(size=(2, 6, 4))
    _, weights = mha(x, x, x, average_attn_weights=False)
    assert 0 < (weights.data == 0).mean() < 1          # dropped ones (and the rest doubled)
    mha.eval()
    first, weights = mha(x, x, x)
    np.testing.assert_allclose(weights.data.sum(-1), 1.0)
    np.testing.assert_array_equal(mha(x, x, x)[0].data, first.data)


# -- errors --------------------------------------------------------------------------------------

Q, K, V = np.ones((2, 3, 5, 4)), np.ones((2, 3, 6, 4)), np.ones((2, 3, 6, 7))


@pytest.mark.parametrize("call, error, message", [
    (lambda: sdpa(Q[0, 0, 0], K[0, 0, 0], V[0, 0, 0]), ValueError,
     r"scaled_dot_product_attention: query, key and value must be at least 2-d"),
    (lambda: sdpa(Q, K[..., :3], V), ValueError,
     r"query \(2, 3, 5, 4\) and key \(2, 3, 6, 3\) must have the same last axis E"),
    (lambda: sdpa(Q, K, V[..., :5, :]), ValueError,
     r"key \(2, 3, 6, 4\) and value \(2, 3, 5, 7\) must have the same number of positions S"),
    (lambda: sdpa(Q, K[:, :2], V[:, :2]), ValueError,
     r"the leading \(batch, head\) axes of query \(2, 3, 5, 4\), key \(2, 2, 6, 4\) and value "
     r"\(2, 2, 6, 7\) do not broadcast"),
    (lambda: sdpa(Q, K, V, attn_mask=np.ones((6, 5), bool)), ValueError,
     r"attn_mask of shape \(6, 5\) does not broadcast to the scores' shape \(2, 3, 5, 6\)"),
    (lambda: sdpa(Q, K, V, attn_mask=np.ones((1, 2, 1, 5, 6), bool)), ValueError,
     r"attn_mask of shape \(1, 2, 1, 5, 6\) does not broadcast"),
    (lambda: sdpa(Q, K, V, attn_mask=np.ones((5, 6), int)), TypeError,
     r"attn_mask must be bool \(True where a query may attend to the key\) or float .* got "
     r"dtype int64"),
    (lambda: sdpa(Q, K, V, attn_mask=np.ones((5, 6), bool), is_causal=True), ValueError,
     r"give attn_mask or is_causal=True, not both"),
    (lambda: sdpa(Q, K, V, dropout_p=1.5), ValueError,
     r"dropout_p must be a probability in \[0, 1\], got 1.5"),
    (lambda: sdpa(Q, K, V, dropout_p=-0.1), ValueError, r"dropout_p must be a probability"),
    (lambda: sdpa(Q, K, V, scale="0.5"), TypeError, r"scale must be a number or None"),
    (lambda: sdpa(np.ones((2, 4, 5, 4)), K, V, enable_gqa=True), ValueError,
     r"with enable_gqa=True the query's 4 heads \(axis -3\) must be a multiple of the key's 3"),
    (lambda: sdpa(Q[0, 0], K[0, 0], V[0, 0], enable_gqa=True), ValueError,
     r"enable_gqa=True needs a heads axis"),
    (lambda: MultiheadAttention(8, 3), ValueError,
     r"MultiheadAttention: embed_dim 8 must be divisible by num_heads 3"),
    (lambda: MultiheadAttention(0, 2), ValueError, r"embed_dim must be a positive integer, got 0"),
    (lambda: MultiheadAttention(8, 2, kdim=0), ValueError, r"kdim must be a positive integer"),
    (lambda: MultiheadAttention(8, 2, dropout=1.5), ValueError,
     r"dropout must be a probability in \[0, 1\], got 1.5"),
    (lambda: MultiheadAttention(8, 2, add_bias_kv=True), ValueError,
     r"add_bias_kv and add_zero_attn .* are not supported"),
])
def test_errors_name_the_function_and_the_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call()


X = np.ones((5, 3, 8))
LAYER = r"MultiheadAttention\(embed_dim=8, num_heads=2\): "


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m(X[None], X[None], X[None]), ValueError,
     r"query must be 3-d \(L, N, E\), or 2-d \(L, E\) unbatched, got shape \(1, 5, 3, 8\)"),
    (lambda m: m(X[:, 0], X, X), ValueError,
     r"key \(5, 3, 8\) and value \(5, 3, 8\) must have as many axes as query \(5, 8\)"),
    (lambda m: m(X[..., :4], X, X), ValueError,
     r"query of shape \(5, 3, 4\) must have 8 features on its last axis"),
    (lambda m: m(X, X[..., :4], X[..., :4]), ValueError,
     r"key of shape \(5, 3, 4\) must have 8 features on its last axis \(for other sizes make "
     r"the layer with kdim=4\)"),
    (lambda m: m(X, X, X[:4]), ValueError,
     r"key \(5, 3, 8\) and value \(4, 3, 8\) must agree on all but the last axis"),
    (lambda m: m(X, X[:, :2], X[:, :2]), ValueError,
     r"query \(5, 3, 8\) and key \(5, 2, 8\) must have the same batch size on axis 1"),
    (lambda m: m(X, X, X, is_causal=True), ValueError,
     r"is_causal=True is PyTorch's hint that attn_mask is the causal mask, which must be given"),
    (lambda m: m(X, X, X, attn_mask=np.zeros((5, 5)), is_causal=True), ValueError,
     r"is_causal=True says attn_mask is the causal mask, but it is not \(PyTorch would apply "
     r"the causal mask, not this one\): leave is_causal out to use this mask"),
    (lambda m: m(X, X, X, attn_mask=np.eye(5, dtype=bool), is_causal=True), ValueError,
     r"is_causal=True says attn_mask is the causal mask, but it is not"),
    (lambda m: m(X, X, X, attn_mask=np.zeros((3, 5, 5))), ValueError,
     r"attn_mask must have shape \(5, 5\) \(L, S\) or \(6, 5, 5\) \(N · num_heads, L, S\), got "
     r"\(3, 5, 5\)"),
    (lambda m: m(X, X, X, attn_mask=np.zeros((5, 5), int)), TypeError,
     r"attn_mask must be bool \(True where a key is left out\) or float"),
    (lambda m: m(X, X, X, key_padding_mask=np.zeros((5, 3), bool)), ValueError,
     r"key_padding_mask must have shape \(3, 5\) \(N, S: one flag per key\), got \(5, 3\); "
     r"the inputs are read sequence first, \(L, N, E\): for batch-first inputs \(N, L, E\) "
     r"make the layer with batch_first=True"),
    (lambda m: m(X[:, 0], X[:, 0], X[:, 0], key_padding_mask=np.zeros((1, 5), bool)), ValueError,
     r"key_padding_mask must have shape \(5,\) \(S: one flag per key\)"),
])
def test_the_layers_errors_name_it_and_the_shapes(call, error, message):
    with pytest.raises(error, match=LAYER + message):
        call(MultiheadAttention(8, 2))


def test_token_indices_given_to_the_layer_point_to_an_embedding():
    """A batch of token indices (N, L) with L = embed_dim would pass as one unbatched sequence
    of N positions, read as numbers; integers other than 0 and 1 are refused (as PyTorch refuses
    integers), naming the argument. 0/1 integers pass, as one-hot rows."""
    tokens = np.array([[5, 2, 7, 1], [3, 3, 0, 6]])                # (N, L) = (2, 4)
    layer = MultiheadAttention(4, 2, batch_first=True)
    with pytest.raises(TypeError, match=r"MultiheadAttention\(embed_dim=4, num_heads=2\): query "
                       r"holds integers other than 0 and 1 \(shape \(2, 4\), dtype int64\): "
                       r"token indices\? pass them through an Embedding \(or one_hot\) first"):
        layer(tokens, tokens, tokens)
    x = np.ones((2, 4))
    with pytest.raises(TypeError, match=r"value holds integers other than 0 and 1"):
        layer(x, x, tokens)
    one_hot = np.eye(4, dtype=np.int64)[[0, 3]]
    output, _ = layer(one_hot, one_hot, one_hot)
    np.testing.assert_array_equal(output.data, layer(*[one_hot.astype(np.float32)] * 3)[0].data)


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

# (id, function, options, shapes of query, key, value, mask): small, so that the file stays so
TORCH_CASES = [
    ("sdpa_blind_row", "sdpa", {}, (2, 2, 3, 3), (2, 2, 4, 3), (2, 2, 4, 2),
     ("blind", (3, 4))),
    ("sdpa_2d_float", "sdpa", {}, (3, 3), (4, 3), (4, 2), ("float", (3, 4))),
    ("sdpa_causal_gqa", "sdpa", {"is_causal": True, "scale": 0.7, "enable_gqa": True},
     (1, 4, 3, 3), (1, 2, 5, 3), (1, 2, 5, 2), None),
    ("mha_padding_per_head", "mha", {"average_attn_weights": False},
     (3, 2, 4), (3, 2, 4), (3, 2, 4), ("per head", (4, 3, 3))),
    ("mha_batch1_kdim", "mha", {"batch_first": True, "kdim": 3, "vdim": 2},
     (1, 3, 4), (1, 4, 3), (1, 4, 2), ("float", (3, 4))),
    ("mha_unbatched_causal", "mha", {"bias": False, "need_weights": False, "is_causal": True},
     (3, 4), (3, 4), (3, 4), ("causal", (3, 3))),
]
TORCH_IDS = [case[0] for case in TORCH_CASES]
LAYER_OPTIONS = ("batch_first", "kdim", "vdim", "bias")


def torch_case_inputs(rng, case):
    """q, k, v, the case's mask, the layer's weights end to end in state_dict order (uniform in
    ±1: no zero biases), and the weights g of the results in the loss Σ g ⊙ results."""
    _, function, options, *shapes, mask = case
    inputs = {name: rng.normal(size=shape) for name, shape in zip("qkv", shapes)}
    if mask is not None:
        kind, shape = mask
        inputs["mask"] = {"blind": lambda: with_a_blind_row(rng, *shape),
                          "float": lambda: rng.normal(size=shape),
                          "per head": lambda: rng.random(shape) > 0.7,
                          "causal": lambda: np.triu(np.ones(shape, dtype=bool), 1)}[kind]()
    if function == "mha":
        layer_options = {key: value for key, value in options.items() if key in LAYER_OPTIONS}
        size = sum(p.size for p in MultiheadAttention(4, 2, **layer_options).parameters())
        inputs["weights"] = rng.uniform(-1, 1, size)
    size = sum(part.size for part in attention_glassgrad(case, **inputs, g=None))
    return {**inputs, "g": rng.normal(size=size)}


def attention_results(lib, case, q, k, v, g, mask=None, weights=None):
    """The case run by `lib` (glassgrad's or PyTorch's functions, below); with g, the results
    end to end, and after backward from Σ g ⊙ results the gradients of q, k, v (and of a float
    mask and the layer's weights); without g, the results' parts."""
    _, function, options, *_ = case
    q, k, v = (lib.leaf(x) for x in (q, k, v))
    mask_leaf = lib.leaf(mask) if mask is not None and mask.dtype.kind == "f" else None
    given_mask = None if mask is None else (mask_leaf if mask_leaf is not None else
                                            lib.constant(mask))
    if function == "sdpa":
        parts, parameters = [lib.sdpa(q, k, v, attn_mask=given_mask, **options)], []
    else:
        layer = lib.layer(4, 2, **{key: value for key, value in options.items()
                                   if key in LAYER_OPTIONS})
        lib.load(layer, cut(weights, layer.state_dict()))
        calls = {key: value for key, value in options.items() if key not in LAYER_OPTIONS}
        if mask is not None and mask.dtype == bool and mask.ndim == 3:    # and padding
            N, S = mask.shape[0] // 2, mask.shape[-1]
            calls["key_padding_mask"] = lib.constant(np.arange(N * S).reshape(N, S) % 4 == 1)
        parts = [part for part in layer(q, k, v, attn_mask=given_mask, **calls)
                 if part is not None]
        parameters = list(layer.parameters())
    if g is None:
        return parts
    flat = lib.cat([part.reshape(-1) for part in parts])
    (flat * lib.constant(g)).sum().backward()
    results = {"results": as_array(flat), **{f"{name}.grad": as_array(x.grad)
                                             for name, x in zip("qkv", (q, k, v))}}
    if mask_leaf is not None:
        results["mask.grad"] = as_array(mask_leaf.grad)
    if parameters:
        results["weights.grad"] = np.concatenate([as_array(p.grad).ravel()
                                                  for p in parameters])
    return results


class Glassgrad:
    leaf = staticmethod(lambda x: t64(x))
    constant = staticmethod(lambda x: Tensor(x))
    sdpa = staticmethod(sdpa)
    layer = staticmethod(functools.partial(MultiheadAttention, dtype=np.float64))
    load = staticmethod(lambda layer, state: layer.load_state_dict(state))
    cat = staticmethod(concatenate)


def torch_library(torch):
    class Torch:
        leaf = staticmethod(lambda x: torch.tensor(x, requires_grad=True))
        constant = staticmethod(lambda x: torch.tensor(x))
        sdpa = staticmethod(torch.nn.functional.scaled_dot_product_attention)
        layer = staticmethod(functools.partial(torch.nn.MultiheadAttention,
                                               dtype=torch.float64))
        load = staticmethod(lambda layer, state: layer.load_state_dict(
            {key: torch.from_numpy(value.copy()) for key, value in state.items()}))
        cat = staticmethod(torch.cat)
    return Torch


def attention_glassgrad(case, **inputs):
    return attention_results(Glassgrad, case, **inputs)


def attention_torch(torch, case, **inputs):
    return attention_results(torch_library(torch), case, **inputs)


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/attention.npz: each case's inputs and PyTorch's results, under its id."""
    return record_cases(TORCH_IDS, TORCH_CASES, torch_case_inputs,
                        lambda case, **inputs: attention_torch(torch, case, **inputs))


@pytest.mark.parametrize("case", TORCH_CASES, ids=TORCH_IDS)
def test_values_and_gradients_match_pytorch(rng, case):
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    inputs = torch_case_inputs(rng, case)
    assert_matches(attention_glassgrad(case, **inputs), attention_torch(torch, case, **inputs),
                   rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", TORCH_CASES, ids=TORCH_IDS)
def test_values_and_gradients_match_pytorchs_recorded_numbers(case):
    theirs = recorded_case("attention", case[0])
    inputs = {key: value for key, value in theirs.items()
              if key != "results" and not key.endswith(".grad")}
    assert_matches(attention_glassgrad(case, **inputs), theirs, rtol=1e-10, atol=1e-12,
                   inputs=tuple(inputs))


@pytest.mark.parametrize("options", [{}, {"kdim": 3, "vdim": 5, "bias": False}])
def test_a_state_dict_saved_as_pt_loads_into_pytorch_strictly_and_back(options):
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    ours = MultiheadAttention(8, 2, **options)
    path = os.path.join(tempfile.mkdtemp(), "attention.pt")
    nn.save(ours.state_dict(), path)
    theirs = torch.nn.MultiheadAttention(8, 2, **options)
    theirs.load_state_dict(torch.load(path))
    assert list(theirs.state_dict()) == list(ours.state_dict())
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_()
    ours.load_state_dict(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name], as_array(value))


def test_a_left_padded_key_padding_mask_is_not_taken_for_an_upside_down_one():
    """Left padding puts True at the first key of every padded sequence, as an upside-down
    (tokenizer's attention_mask) mask would; only the latter leaves a whole sequence out."""
    import warnings
    layer = nn.MultiheadAttention(8, 2, batch_first=True)
    x = Tensor(np.random.default_rng(0).normal(size=(2, 4, 8)))
    left_padded = np.array([[True, False, False, False], [True, True, False, False]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(x, x, x, key_padding_mask=left_padded)
    upside_down = np.array([[True, True, True, True], [True, True, False, False]])
    with pytest.warns(UserWarning, match="at every key of some"):
        layer(x, x, x, key_padding_mask=upside_down)
