"""The step-by-step backprop pages of lstm_layer and gru_layer nodes (autograd/viz/rules.py):
each input named with its own rule in the page's names, every letter the rules use defined in
the node's forward, and the words, done by hand, giving the numbers the step shows."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor
from autograd import functional as F
from autograd.viz.steps import record_backprop


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def leaves(rng, names_and_shapes):
    return [Tensor(rng.normal(size=shape), requires_grad=True, label=name)
            for name, shape in names_and_shapes]


def the_step(loss, op):
    loss.label = "L"
    step = next(s for s in record_backprop(loss) if s.op == op)
    return step, "\n".join(step.lines()), {p.name: p.contribution for p in step.inputs}


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
def test_a_gru_layer_steps_words_compute_its_numbers(bias):
    """The GRU layer's rules, done by hand as the page words them (a, s, δ, d_t, e_t,
    h_before), give the gradients the step shows for x, h0, both weights and both biases."""
    rng = np.random.default_rng(2)
    T, N, F_, H = 3, 2, 2, 2
    x, h0, W_ih, W_hh, b_ih, b_hh = leaves(rng, [
        ("x", (T, N, F_)), ("h0", (N, H)), ("Wi", (3 * H, F_)), ("Wh", (3 * H, H)),
        ("bi", (3 * H,)), ("bh", (3 * H,))])
    biases = (b_ih, b_hh) if bias else ()
    G = rng.normal(size=(T, N, H))
    hs, _ = F.gru_layer(x, h0, W_ih, W_hh, *biases)
    hs.label = "hs"
    step, text, shown = the_step((hs * Tensor(G)).sum(), "gru_layer")
    bi, bh = ("bi", "bh") if bias else ("", "")
    assert (f"at hs = the state of every step, hs_t = (1 − z) ⊙ n + z ⊙ h_before, gates "
            f"r, z, n = σ(a_r + s_r), σ(a_z + s_z), tanh(a_n + r ⊙ s_n), a = x_t @ Wiᵀ"
            f"{' + bi' if bias else ''}, s = h_before @ Whᵀ{' + bh' if bias else ''}, "
            f"h_before: the step before's (h0 at the first); the whole layer is one node"
            ) in text
    assert "x gets d_t @ Wi at step t, d_t = [dr, dz, dn] at each step" in text
    assert "h0 gets δ ⊙ z + e @ Wh at the first step" in text
    assert "Wi gets Σ_t d_tᵀ @ x_t" in text and "Wh gets Σ_t e_tᵀ @ h_before" in text
    assert [p.name for p in step.inputs] == ["x", "h0", "Wi", "Wh", bi, bh][:4 + 2 * bias]
    b_i = b_ih.data if bias else np.zeros(3 * H)
    b_h = b_hh.data if bias else np.zeros(3 * H)
    states, gates = [h0.data], []
    for t in range(T):
        a = x.data[t] @ W_ih.data.T + b_i
        s = states[-1] @ W_hh.data.T + b_h
        r, z = sigmoid(a[:, :H] + s[:, :H]), sigmoid(a[:, H:2 * H] + s[:, H:2 * H])
        n = np.tanh(a[:, 2 * H:] + r * s[:, 2 * H:])
        gates.append((r, z, n, s))
        states.append((1 - z) * n + z * states[-1])
    d, e, sent_back = np.zeros((T, N, 3 * H)), np.zeros((T, N, 3 * H)), 0.0
    for t in reversed(range(T)):
        r, z, n, s = gates[t]
        delta = G[t] + sent_back
        dn = delta * (1 - z) * (1 - n ** 2)
        dz = delta * (states[t] - n) * z * (1 - z)
        dr = dn * s[:, 2 * H:] * r * (1 - r)
        d[t], e[t] = np.concatenate([dr, dz, dn], 1), np.concatenate([dr, dz, dn * r], 1)
        sent_back = delta * z + e[t] @ W_hh.data
    np.testing.assert_allclose(shown["x"], d @ W_ih.data, atol=1e-12)
    np.testing.assert_allclose(shown["h0"], sent_back, atol=1e-12)
    np.testing.assert_allclose(shown["Wi"], sum(d[t].T @ x.data[t] for t in range(T)),
                               atol=1e-12)
    np.testing.assert_allclose(shown["Wh"], sum(e[t].T @ states[t] for t in range(T)),
                               atol=1e-12)
    if bias:
        np.testing.assert_allclose(shown["bi"], d.sum((0, 1)), atol=1e-12)
        np.testing.assert_allclose(shown["bh"], e.sum((0, 1)), atol=1e-12)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
def test_an_lstm_layer_steps_words_compute_its_numbers(bias):
    """The LSTM layer's rules, done by hand as the page words them (d_t, dh, dc, h_before,
    c_before), give the gradients the step shows for x, h0, c0, both weights and biases."""
    rng = np.random.default_rng(5)
    T, N, F_, H = 3, 2, 2, 2
    x, h0, c0, W_ih, W_hh, b_ih, b_hh = leaves(rng, [
        ("x", (T, N, F_)), ("h0", (N, H)), ("c0", (N, H)), ("Wi", (4 * H, F_)),
        ("Wh", (4 * H, H)), ("bi", (4 * H,)), ("bh", (4 * H,))])
    biases = (b_ih, b_hh) if bias else ()
    G = rng.normal(size=(T, N, H))
    hs, _ = F.lstm_layer(x, h0, c0, W_ih, W_hh, *biases)
    step, text, shown = the_step((hs * Tensor(G)).sum(), "lstm_layer")
    assert (f"gates i, f, g, o = σ, σ, tanh, σ of x_t @ Wiᵀ + h_before @ Whᵀ"
            f"{' + bi + bh' if bias else ''} (h_before, c_before: the states after the step "
            f"before, h0 and c0 at the first); the whole layer is one node") in text
    assert "x gets d_t @ Wi at step t, d_t = [dc ⊙ g ⊙ i(1 − i)," in text
    assert "h0 gets d_first @ Wh" in text and "c0 gets dc ⊙ f at the first step" in text
    assert "Wi gets Σ_t d_tᵀ @ x_t" in text and "Wh gets Σ_t d_tᵀ @ h_before" in text
    assert not bias or ("bi gets Σ_t Σ_rows d_t" in text and "bh gets Σ_t Σ_rows d_t" in text)
    b = b_ih.data + b_hh.data if bias else np.zeros(4 * H)
    hs_, cs_, gates = [h0.data], [c0.data], []
    for t in range(T):
        total = x.data[t] @ W_ih.data.T + hs_[-1] @ W_hh.data.T + b
        i, f, o = (sigmoid(total[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
        g = np.tanh(total[:, 2 * H:3 * H])
        cs_.append(f * cs_[-1] + i * g)
        hs_.append(o * np.tanh(cs_[-1]))
        gates.append((i, f, g, o))
    d, dh_after, dc_after = np.zeros((T, N, 4 * H)), np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        i, f, g, o = gates[t]
        tanh_c = np.tanh(cs_[t + 1])
        dh = G[t] + dh_after
        dc = dh * o * (1 - tanh_c ** 2) + dc_after
        d[t] = np.concatenate([dc * g * i * (1 - i), dc * cs_[t] * f * (1 - f),
                               dc * i * (1 - g ** 2), dh * tanh_c * o * (1 - o)], 1)
        dh_after, dc_after = d[t] @ W_hh.data, dc * f
    np.testing.assert_allclose(shown["x"], d @ W_ih.data, atol=1e-12)
    np.testing.assert_allclose(shown["h0"], dh_after, atol=1e-12)
    np.testing.assert_allclose(shown["c0"], dc_after, atol=1e-12)
    np.testing.assert_allclose(shown["Wi"], sum(d[t].T @ x.data[t] for t in range(T)),
                               atol=1e-12)
    np.testing.assert_allclose(shown["Wh"], sum(d[t].T @ hs_[t] for t in range(T)),
                               atol=1e-12)
    if bias:
        for name in ("bi", "bh"):
            np.testing.assert_allclose(shown[name], d.sum((0, 1)), atol=1e-12)


@pytest.mark.parametrize("op", ["gru_layer", "lstm_layer"])
def test_a_reversed_packed_layer_says_so(op):
    """reverse and lengths change the words as for the sequence ops: the steps run last to
    first, and past a row's length d_t is 0."""
    rng = np.random.default_rng(6)
    gates = 3 if op == "gru_layer" else 4
    x, h0, W_ih, W_hh = leaves(rng, [("x", (3, 2, 2)), ("h0", (2, 2)), ("Wi", (gates * 2, 2)),
                                     ("Wh", (gates * 2, 2))])
    state = (h0,) if op == "gru_layer" else (h0, h0 * 0.5)
    hs, _ = getattr(F, op)(x, *state, W_ih, W_hh, reverse=True, lengths=[3, 1])
    _, text, _ = the_step(hs.sum(), op)
    assert "; the steps run last to first" in text
    assert "past a row's length its d_t is 0" in text
