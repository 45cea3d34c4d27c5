"""autograd.ops.recurrent's sequence ops through rnn_sequence, gru_sequence and lstm_sequence:
the numbers of the step formulas looped in ordinary ops, first and second derivatives against
finite differences, the one node, dtypes, saturated gates, and errors that name the op."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, concatenate, grad, gradcheck, stack
from autograd.functional import gru_sequence, linear, lstm_sequence, rnn_sequence
from autograd.ops.recurrent import LSTMSequence, SequenceCtx

from conftest import strict, t64
from test_recurrent_ops import composed_gru, composed_lstm

GATES = {"rnn": 1, "relu": 1, "gru": 3, "lstm": 4}
KINDS = list(GATES)


def fused(kind, A, states, W, b, reverse, lengths=None):
    """The sequence op: (h of every step, the last state) with the state a tuple."""
    if kind == "lstm":
        hs, last = lstm_sequence(A, *states, W, b, reverse=reverse, lengths=lengths)
        return hs, last
    if kind == "gru":
        hs, h = gru_sequence(A, states[0], W, b, reverse=reverse, lengths=lengths)
    else:
        hs, h = rnn_sequence(A, states[0], W, b, "relu" if kind == "relu" else "tanh", reverse,
                             lengths)
    return hs, (h,)


def stepwise(kind, A, states, W, b, reverse):
    """The same from the step formulas in ordinary ops (slices, sums, sigmoid, tanh, products),
    one step at a time, the hidden share a `linear` of the state."""
    hs = [None] * A.shape[0]
    steps = range(A.shape[0])
    for t in (reversed(steps) if reverse else steps):
        share = linear(states[0], W, b)
        if kind == "lstm":
            states = composed_lstm(A[t], share, states[1])
        elif kind == "gru":
            states = (composed_gru(A[t], share, states[0]),)
        else:
            total = A[t] + share
            states = (total.relu() if kind == "relu" else total.tanh(),)
        hs[t] = states[0]
    return stack(hs), states


def operands(rng, kind, T, N, H, bias=True):
    """A (T, N, G·H), the initial state(s) (N, H), W_hh (G·H, H) and b_hh (or None): float64
    leaves; A spread so that the gates are neither linear nor saturated."""
    G = GATES[kind]
    A = t64(rng.normal(0, 1.5, (T, N, G * H)))
    states = tuple(t64(rng.normal(0, 1, (N, H))) for _ in range(2 if kind == "lstm" else 1))
    W = t64(rng.normal(0, 0.8, (G * H, H)))
    b = t64(rng.normal(0, 0.5, G * H)) if bias else None
    return A, states, W, b


def flat(hs, last):
    return concatenate([hs.reshape(-1)] + [part.reshape(-1) for part in last])


def leaves_of(A, states, W, b):
    return [A, *states, W] + ([b] if b is not None else [])


# -- the same numbers as the steps looped ------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
def test_values_and_gradients_are_the_steps_looped(rng, kind, reverse, bias):
    A, states, W, b = operands(rng, kind, 4, 3, 2, bias)
    leaves = leaves_of(A, states, W, b)
    weights = rng.uniform(0.5, 1.5, flat(*fused(kind, A, states, W, b, reverse)).shape)
    results = []
    for f in (fused, stepwise):
        for leaf in leaves:
            leaf.zero_grad()
        out = flat(*f(kind, A, states, W, b, reverse))
        (out * weights).sum().backward()
        results.append([out.data] + [leaf.grad for leaf in leaves])
    for mine, theirs in zip(*results):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


# -- first and second derivatives against finite differences -----------------------------------

SHAPES = [(1, 1, 2), (1, 3, 2), (4, 1, 2), (4, 3, 2)]           # (T, N, H)
SHAPE_IDS = [f"T={t}, N={n}" for t, n, _ in SHAPES]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("T, N, H", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_gradients_match_finite_differences(rng, kind, T, N, H, reverse):
    A, states, W, b = operands(rng, kind, T, N, H)
    if kind == "relu":                  # keep every sum away from relu's kink at 0
        A = t64(A.data + np.sign(A.data) * 0.5)
    n_states = len(states)

    def f(A, *rest):
        return flat(*fused(kind, A, rest[:n_states], *rest[n_states:], reverse))
    assert gradcheck(f, A, *states, W, b)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_gradients_without_bias_match_finite_differences(rng, kind):
    A, states, W, _ = operands(rng, kind, 3, 2, 2, bias=False)
    n_states = len(states)
    assert gradcheck(lambda A, *rest: flat(*fused(kind, A, rest[:n_states], rest[n_states],
                                                   None, False)), A, *states, W)


def directional(f, r, directions):
    """inputs ↦ Σ_k ⟨∂loss/∂input_k, v_k⟩ for a loss not linear in f's outputs (so the
    gradient reaching the op depends on its inputs, as in a network)."""
    def loss(*inputs):
        return (r * f(*inputs).tanh()).sum()

    def first(*inputs):
        firsts = grad(loss, argnums=tuple(range(len(inputs))))(*inputs)
        return sum((v * d).sum() for v, d in zip(directions, firsts))
    return first


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("T, N", [(1, 1), (3, 2)], ids=["T=1, N=1", "T=3, N=2"])
def test_second_derivatives_match_finite_differences(rng, kind, T, N):
    A, states, W, b = operands(rng, kind, T, N, 2)
    if kind == "relu":
        A = t64(A.data + np.sign(A.data) * 0.5)
    n_states = len(states)
    inputs = (A, *states, W, b)

    def f(A, *rest):
        return flat(*fused(kind, A, rest[:n_states], *rest[n_states:], T > 1))
    r = rng.uniform(0.5, 1.5, f(*inputs).shape)
    assert gradcheck(directional(f, r, [rng.normal(size=x.shape) for x in inputs]), *inputs)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_second_derivatives_are_the_steps_looped(rng, kind):
    A, states, W, b = operands(rng, kind, 3, 2, 2)
    n_states = len(states)
    inputs = (A, *states, W, b)
    r = rng.uniform(0.5, 1.5, flat(*fused(kind, A, states, W, b, False)).shape)
    directions = [rng.normal(size=x.shape) for x in inputs]
    mine, theirs = (
        grad(directional(lambda A, *rest: flat(*how(kind, A, rest[:n_states],
                                                    *rest[n_states:], False)), r, directions),
             argnums=tuple(range(len(inputs))))(*inputs)
        for how in (fused, stepwise))
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.data, t.data, rtol=1e-10, atol=1e-12)


# -- lengths: each row a sequence of its own number of steps (a packed batch) -----------------

LENGTHS = [2, 4, 1]                     # for T = 4: a row shorter, one as long, one of one step


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_with_lengths_each_row_is_its_sequence_alone_over_its_own_steps(rng, kind, reverse):
    """Row n gives what the op gives for that row alone over its first lengths[n] steps: h at
    those steps, and as last state the one after its own last step (reverse: it starts there);
    the gradients too, none for the steps past its length."""
    A, states, W, b = operands(rng, kind, 4, 3, 2)
    if kind == "relu":
        A = t64(A.data + np.sign(A.data) * 0.5)
    hs, last = fused(kind, A, states, W, b, reverse, LENGTHS)
    weights = [rng.uniform(0.5, 1.5, part.shape) for part in (hs, *last)]
    active = (np.arange(4)[:, None, None] < np.array(LENGTHS)[None, :, None])
    (sum((part * w).sum() for part, w in zip((hs * active, *last), weights))).backward()
    W_grad, b_grad = 0, 0
    for n, length in enumerate(LENGTHS):
        A_n, W_n, b_n = t64(A.data[:length, n:n + 1]), t64(W.data), t64(b.data)
        states_n = tuple(t64(s.data[n:n + 1]) for s in states)
        hs_n, last_n = fused(kind, A_n, states_n, W_n, b_n, reverse)
        (sum((part * w).sum() for part, w in zip(
            (hs_n, *last_n), [weights[0][:length, n:n + 1]] + [w[n:n + 1] for w in weights[1:]]
        ))).backward()
        np.testing.assert_allclose(hs.data[:length, n], hs_n.data[:, 0], rtol=1e-12)
        for part, part_n in zip(last, last_n):
            np.testing.assert_allclose(part.data[n], part_n.data[0], rtol=1e-12)
        np.testing.assert_allclose(A.grad[:length, n], A_n.grad[:, 0], rtol=1e-10, atol=1e-14)
        assert not A.grad[length:, n].any()
        for s, s_n in zip(states, states_n):
            np.testing.assert_allclose(s.grad[n], s_n.grad[0], rtol=1e-10, atol=1e-14)
        W_grad, b_grad = W_grad + W_n.grad, b_grad + b_n.grad
    np.testing.assert_allclose(W.grad, W_grad, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(b.grad, b_grad, rtol=1e-10, atol=1e-14)


def assert_a_second_backward_adds_the_same(rng, f, leaves, dtype=np.float64):
    """Backward twice over the kept graph of f(*leaves) adds exactly twice the gradients: the
    rules work in place on arrays of their own (the factors, d over them, the layer ops'
    factors over a copy of the gates) and must not change what the forward kept."""
    out = f(*leaves)
    loss = (out * rng.uniform(0.5, 1.5, out.shape).astype(dtype)).sum()
    loss.backward(retain_graph=True)
    first = [leaf.grad.copy() for leaf in leaves]
    loss.backward(retain_graph=True)
    for leaf, once in zip(leaves, first):
        assert once.any()
        np.testing.assert_array_equal(leaf.grad, 2 * once)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["all steps", "lengths"])
def test_a_second_backward_adds_the_same_gradients(rng, kind, reverse, lengths):
    A, states, W, b = operands(rng, kind, 4, 3, 2)
    n_states = len(states)

    def f(A, *rest):
        return flat(*fused(kind, A, rest[:n_states], *rest[n_states:], reverse, lengths))
    assert_a_second_backward_adds_the_same(rng, f, leaves_of(A, states, W, b))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_gradients_with_lengths_match_finite_differences(rng, kind, reverse):
    """Every output counts, the steps past a row's length too (there h carries the state
    before, so their gradient reaches it unchanged)."""
    A, states, W, b = operands(rng, kind, 4, 3, 2)
    if kind == "relu":
        A = t64(A.data + np.sign(A.data) * 0.5)
    n_states = len(states)

    def f(A, *rest):
        return flat(*fused(kind, A, rest[:n_states], *rest[n_states:], reverse, LENGTHS))
    assert gradcheck(f, A, *states, W, b)


@pytest.mark.parametrize("kind", KINDS)
def test_second_derivatives_with_lengths_match_finite_differences(rng, kind):
    A, states, W, b = operands(rng, kind, 3, 3, 2)
    if kind == "relu":
        A = t64(A.data + np.sign(A.data) * 0.5)
    n_states = len(states)
    inputs = (A, *states, W, b)

    def f(A, *rest):
        return flat(*fused(kind, A, rest[:n_states], *rest[n_states:], kind != "gru",
                           [3, 1, 2]))
    r = rng.uniform(0.5, 1.5, f(*inputs).shape)
    assert gradcheck(directional(f, r, [rng.normal(size=x.shape) for x in inputs]), *inputs)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("lengths", [[2, 1], [3, 0, 1], [3, 4, 1], [2.0, 1.0, 1.0],
                                     [[3, 1, 1]]], ids=["too few", "zero", "past T",
                                                        "floats", "2-d"])
def test_lengths_that_do_not_fit_are_refused_naming_the_op(rng, kind, lengths):
    A, states, W, b = operands(rng, kind, 3, 3, 2)
    with pytest.raises(ValueError, match=rf"{kind}_sequence: lengths must be 3 integers in "
                                         rf"1\.\.3, one per row of from_input \(3, 3, "
                                         rf"{2 * GATES[kind]}\), got "):
        fused(kind, A, states, W, b, False, lengths)


# -- the node, the numbers at the edges, dtypes ------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_a_sequence_is_one_node_and_the_results_are_its_slices(rng, kind):
    A, states, W, b = operands(rng, kind, 5, 2, 3)
    hs, last = fused(kind, A, states, W, b, False)
    node = hs if kind != "lstm" else hs.parents[0]
    assert node.op == {"lstm": "lstm_sequence", "gru": "gru_sequence"}.get(kind, "rnn_sequence")
    assert node.parents == (A, *states, W, b)
    for part in last:
        assert part.op == "getitem" and part.parents == (node,)
    np.testing.assert_array_equal(last[0].data, hs.data[-1])
    hs, last = fused(kind, A, states, W, b, True)       # reverse: the last step is step 0
    np.testing.assert_array_equal(last[0].data, hs.data[0])


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_saturated_gates_give_the_limits_without_warnings(rng, kind):
    """Sums of ±800 and beyond (e^800 overflows a float64): the sigmoids are exactly 0 or 1,
    with no overflow warning, and the gradients are finite, as in the steps looped."""
    A, states, W, b = operands(rng, kind, 3, 2, 3)
    A = t64(rng.choice([-1000.0, 1000.0], A.shape))
    weights = rng.uniform(0.5, 1.5, flat(*fused(kind, A, states, W, b, False)).shape)
    results = []
    for f in (fused, stepwise):
        for leaf in leaves_of(A, states, W, b):
            leaf.zero_grad()
        with strict():
            out = flat(*f(kind, A, states, W, b, False))
            (out * weights).sum().backward()
        results.append([out.data] + [leaf.grad for leaf in leaves_of(A, states, W, b)])
    for mine, theirs in zip(*results):
        assert np.isfinite(mine).all()
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("T, N", [(1, 1), (4, 3)], ids=["T=1, N=1", "T=4, N=3"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_lstm_gates_from_one_tanh_are_the_sigmoids_and_tanh_to_rounding(rng, dtype, T, N,
                                                                         reverse):
    """The forward's gates, σ(s) = (1 + tanh(s/2)) / 2 for i, f, o and tanh(s) for g in one
    tanh (tanh_form), against 1 / (1 + e^-s) and tanh(s) in float64 from the op's own states,
    for sums from -40 to 40: to the dtype's rounding in absolute terms (near 0 a σ is not
    accurate relative to itself: σ(-40) ~ 4e-18 comes out as 0 or a few e-17)."""
    H = 3
    A = rng.uniform(-40, 40, (T, N, 4 * H)).astype(dtype)
    h0, c0 = (rng.normal(0, 1, (N, H)).astype(dtype) for _ in range(2))
    W, b = rng.normal(0, 1, (4 * H, H)).astype(dtype), rng.normal(0, 1, 4 * H).astype(dtype)
    ctx = SequenceCtx(reverse)
    states = LSTMSequence.forward(ctx, A, h0, c0, W, b)
    assert states.dtype == dtype and all(gate.dtype == dtype for gate in ctx.gates)
    steps = range(T - 1, -1, -1) if reverse else range(T)
    h, c = h0.astype(np.float64), c0.astype(np.float64)
    tolerance = {"rtol": 64 * np.finfo(dtype).eps, "atol": 64 * np.finfo(dtype).eps}
    for t in steps:
        s = A[t] + h @ W.T.astype(np.float64) + b
        i, f, o = (1 / (1 + np.exp(-s[:, k * H:(k + 1) * H])) for k in (0, 1, 3))
        g = np.tanh(s[:, 2 * H:3 * H])
        for mine, expected in zip(ctx.gates, (i, f, g, o)):
            np.testing.assert_allclose(mine[t], expected, **tolerance)
        np.testing.assert_allclose(states[1, t], f * c + i * g, **tolerance)
        np.testing.assert_allclose(ctx.gates[4][t], np.tanh(states[1, t]), **tolerance)
        h, c = states[0, t].astype(np.float64), states[1, t].astype(np.float64)


@pytest.mark.parametrize("kind", KINDS)
def test_float32_stays_float32(rng, kind):
    A, states, W, b = operands(rng, kind, 3, 2, 4)
    expected = flat(*fused(kind, A, states, W, b, False)).data

    def float32(x):
        return Tensor(x.data.astype(np.float32), requires_grad=True)
    A, W, b, states = float32(A), float32(W), float32(b), tuple(map(float32, states))
    out = flat(*fused(kind, A, states, W, b, False))
    out.sum().backward()
    assert {out.dtype} | {x.grad.dtype for x in leaves_of(A, states, W, b)} == \
        {np.dtype(np.float32)}
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_an_empty_batch_gives_empty_results_and_zero_weight_gradients(rng, kind, reverse):
    """N = 0 (as PyTorch allows): no numbers, no error; W_hh and b_hh get zero gradients."""
    A, states, W, b = operands(rng, kind, 3, 0, 2)
    hs, last = fused(kind, A, states, W, b, reverse)
    assert hs.shape == (3, 0, 2) and [part.shape for part in last] == [(0, 2)] * len(states)
    flat(hs, last).sum().backward()
    assert [x.grad.shape for x in leaves_of(A, states, W, b)] == \
        [x.shape for x in leaves_of(A, states, W, b)]
    assert not W.grad.any() and not b.grad.any()


@pytest.mark.parametrize("kind", KINDS)
def test_integer_operands_are_read_as_the_default_float(rng, kind):
    """Integer arrays (a hand-made example's np.ones((T, N, G), int)) are read as floats, as
    tanh reads them, where numpy's exp or tanh used to fail writing into an integer array."""
    G = GATES[kind]
    A, W, b = rng.integers(-2, 3, (3, 2, G)), rng.integers(-1, 2, (G, 1)), np.ones(G, int)
    states = tuple(rng.integers(-1, 2, (2, 1)) for _ in range(2 if kind == "lstm" else 1))
    mine = flat(*fused(kind, A, states, W, b, False))

    def float32(x):
        return Tensor(x.astype(np.float32))
    theirs = flat(*stepwise(kind, float32(A), tuple(map(float32, states)), float32(W),
                            float32(b), False))
    assert mine.dtype == np.float32
    np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-6, atol=1e-7)


def test_each_leaf_gets_its_own_gradient_array(rng):
    """A's gradient and the others' are arrays of their own, so scaling one in place
    (clip_grad_norm_) leaves the rest."""
    A, states, W, b = operands(rng, "lstm", 3, 2, 2)
    flat(*fused("lstm", A, states, W, b, False)).sum().backward()
    grads = [x.grad for x in leaves_of(A, states, W, b)]
    for k, g in enumerate(grads):
        assert not any(np.shares_memory(g, other) for other in grads[k + 1:])


# -- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_shapes_that_do_not_fit_are_refused_naming_the_op_and_the_shapes(kind):
    G = GATES[kind]
    name = f"{kind}_sequence"
    A, h, W, b = np.zeros((4, 2, 3 * G)), np.zeros((2, 3)), np.zeros((3 * G, 3)), \
        np.zeros(3 * G)
    states = (h, h) if kind == "lstm" else (h,)

    def call(A=A, states=states, W=W, b=b):
        return fused(kind, A, states, W, b, False)
    with pytest.raises(ValueError, match=rf"{name}: from_input must have shape \(T, 2, {3 * G}\) "
                                         rf"\(time, batch, {G} gates x hidden_size\) with T > 0 "
                                         rf"for h0 of shape \(2, 3\), got \(4, 2, {2 * G}\)"):
        call(A=np.zeros((4, 2, 2 * G)))
    with pytest.raises(ValueError, match=rf"{name}: from_input .* got \(0, 2, {3 * G}\)"):
        call(A=np.zeros((0, 2, 3 * G)))
    with pytest.raises(ValueError, match=rf"{name}: from_input .* got \(2, {3 * G}\)"):
        call(A=np.zeros((2, 3 * G)))
    with pytest.raises(ValueError, match=rf"{name}: h0 must be 2-d \(batch, hidden_size\), got "
                                         r"shape \(3,\)"):
        call(states=(np.zeros(3),) * len(states))
    with pytest.raises(ValueError, match=rf"{name}: weight_hh must have shape \({3 * G}, 3\) "
                                         rf"\({G} gates x hidden_size, hidden_size\), got "
                                         rf"\({3 * G}, 2\)"):
        call(W=np.zeros((3 * G, 2)))
    with pytest.raises(ValueError, match=rf"{name}: bias_hh must have shape \({3 * G},\), got "
                                         r"\(2,\)"):
        call(b=np.zeros(2))
    if kind == "lstm":
        with pytest.raises(ValueError, match=r"lstm_sequence: c0 must have the shape of h0 "
                                             r"\(2, 3\), got \(1, 3\)"):
            call(states=(h, np.zeros((1, 3))))


def test_an_unknown_nonlinearity_is_refused():
    with pytest.raises(ValueError, match=r"rnn_sequence: nonlinearity must be 'tanh' or 'relu', "
                                         r"got 'sigmoid'"):
        rnn_sequence(np.zeros((2, 1, 3)), np.zeros((1, 3)), np.zeros((3, 3)),
                     nonlinearity="sigmoid")
