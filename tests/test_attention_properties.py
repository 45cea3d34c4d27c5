"""Property tests (hypothesis) for `scaled_dot_product_attention` (nn.attention) over random
small shapes: broadcast batch and head axes, L != S, bool and float masks broadcast to the
scores, is_causal, a given scale, grouped-query heads.

Properties: the output is softmax(Q Kᵀ · scale + mask) V computed in numpy (a query that may
see no key gets 0); a bool mask equals the float mask with -inf where it is False; adding one
number to a row of a float mask changes nothing (softmax forgets shifts); permuting the keys
together with their values and the mask's columns changes nothing; gradients of query, key,
value and a float mask match central finite differences in float64.

Settings come from the "glassgrad" profile in conftest (deterministic, no example database).
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import gradcheck
from nn.functional import scaled_dot_product_attention as sdpa

from conftest import t64


def _reference(q, k, v, blocked=None, added=None, scale=None):
    """softmax(q kᵀ · scale + added, -inf where blocked) v, rows that see nothing giving 0."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if added is not None:
        scores = scores + added
    if blocked is not None:
        scores = np.where(blocked, -np.inf, scores)
    top = scores.max(axis=-1, keepdims=True)
    nothing = np.isneginf(top)
    e = np.exp(scores - np.where(nothing, 0.0, top))
    weights = np.where(nothing, 0.0, e / np.where(nothing, 1.0, e.sum(axis=-1, keepdims=True)))
    return weights @ v


@st.composite
def attention_cases(draw) -> dict:
    """Shapes of query (..., L, E), key (..., S, E), value (..., S, Ev) whose leading axes
    broadcast (some of them 1), a mask kind, a mask shape that broadcasts to (..., L, S)."""
    lead = draw(st.lists(st.integers(1, 2), min_size=0, max_size=2))
    def leading():                       # each input may have size 1 where the others have 2
        return tuple(draw(st.sampled_from([n, 1])) for n in lead)
    L, S, E, Ev = (draw(st.integers(1, 3)) for _ in range(4))
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    mask_shape = draw(st.sampled_from([(S,), (L, S), (1, L, S)]))
    if len(mask_shape) > 2 + len(lead):
        mask_shape = (L, S)
    return {"q": leading() + (L, E), "k": leading() + (S, E), "v": leading() + (S, Ev),
            "kind": kind, "mask": mask_shape,
            "scale": draw(st.sampled_from([None, 0.5, 2.0]))}


@settings(max_examples=25)
@given(case=attention_cases(), seed=st.integers(0, 2 ** 16))
def test_attention_is_its_formula_and_differentiates(case, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.normal(size=case[name]) for name in ("q", "k", "v"))
    L, S = case["q"][-2], case["k"][-2]
    blocked = added = None
    options = {"scale": case["scale"]}
    if case["kind"] == "bool":
        attends = rng.random(case["mask"]) < 0.7
        if attends.ndim >= 2 and L == S > 1:        # (the causal mask upside down warns)
            assume(not (attends == np.triu(np.ones((L, S), dtype=bool), 1)).all())
        blocked, options["attn_mask"] = ~attends, attends
    elif case["kind"] == "float":
        added = rng.normal(size=case["mask"])
        options["attn_mask"] = added
    elif case["kind"] == "causal":
        blocked, options["is_causal"] = np.triu(np.ones((L, S), dtype=bool), 1), True
    y = sdpa(t64(q), t64(k), t64(v), **options)
    expected = _reference(q, k, v, blocked, added, case["scale"])
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-14)
    if case["kind"] == "bool":                      # = the float mask, -inf where False
        as_float = np.where(options["attn_mask"], 0.0, -np.inf)
        np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v), attn_mask=as_float,
                                        scale=case["scale"]).data, y.data, rtol=1e-13,
                                   atol=1e-15)
    if case["kind"] == "float":
        assert gradcheck(lambda q, k, v, m: sdpa(q, k, v, attn_mask=m, scale=case["scale"]),
                         t64(q), t64(k), t64(v), t64(added))
    else:
        assert gradcheck(lambda q, k, v: sdpa(q, k, v, **options), t64(q), t64(k), t64(v))


@settings(max_examples=20)
@given(case=attention_cases(), seed=st.integers(0, 2 ** 16))
def test_attention_forgets_row_shifts_of_a_float_mask_and_the_order_of_the_keys(case, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.normal(size=case[name]) for name in ("q", "k", "v"))
    L, S = case["q"][-2], case["k"][-2]
    mask = rng.normal(size=(L, S))
    y = sdpa(t64(q), t64(k), t64(v), attn_mask=mask).data
    shifted = mask + rng.normal(size=(L, 1)) * 3
    np.testing.assert_allclose(sdpa(t64(q), t64(k), t64(v), attn_mask=shifted).data, y,
                               rtol=1e-10, atol=1e-12)
    order = rng.permutation(S)
    np.testing.assert_allclose(sdpa(t64(q), t64(k[..., order, :]), t64(v[..., order, :]),
                                    attn_mask=mask[:, order]).data, y, rtol=1e-10, atol=1e-12)


@settings(max_examples=15)
@given(groups=st.integers(1, 3), kv_heads=st.integers(1, 2), n=st.integers(1, 2),
       L=st.integers(1, 3), S=st.integers(1, 3), causal=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_grouped_query_attention_shares_each_key_head_with_its_group(groups, kv_heads, n, L, S,
                                                                     causal, seed):
    """enable_gqa=True: query head h uses key/value head h // groups, the same as repeating
    each key and value head `groups` times; gradients match finite differences."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, groups * kv_heads, L, 2))
    k, v = rng.normal(size=(n, kv_heads, S, 2)), rng.normal(size=(n, kv_heads, S, 3))
    y = sdpa(t64(q), t64(k), t64(v), is_causal=causal, enable_gqa=True)
    repeated = sdpa(t64(q), t64(np.repeat(k, groups, axis=1)), t64(np.repeat(v, groups, axis=1)),
                    is_causal=causal)
    np.testing.assert_allclose(y.data, repeated.data, rtol=1e-13, atol=1e-15)
    assert gradcheck(lambda q, k, v: sdpa(q, k, v, is_causal=causal, enable_gqa=True),
                     t64(q), t64(k), t64(v))
