"""autograd.ops.recurrent through gru_step and lstm_step: the values and gradients of the formulas
composed from ordinary ops, first and second derivatives against finite differences, saturated
gates, dtypes, the nodes made, and errors that name the step and the shapes."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, concatenate, grad, gradcheck
from autograd.functional import gru_step, lstm_step

from conftest import strict, t64

# (batch N, hidden size H): batch of one, one hidden unit, and both larger
SIZES = [(1, 1), (1, 4), (3, 1), (3, 4)]
IDS = [f"N={n}, H={h}" for n, h in SIZES]


def composed_gru(a, b, h):
    """h' = (1 - z) ⊙ n + z ⊙ h from slices, sums, sigmoid, tanh and products."""
    size = h.shape[1]
    r = (a[:, :size] + b[:, :size]).sigmoid()
    z = (a[:, size:2 * size] + b[:, size:2 * size]).sigmoid()
    n = (a[:, 2 * size:] + r * b[:, 2 * size:]).tanh()
    return (1 - z) * n + z * h


def composed_lstm(a, b, c):
    """(h', c') with c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c') from ordinary ops."""
    size = c.shape[1]
    gates = a + b
    i, f, o = (gates[:, k * size:(k + 1) * size].sigmoid() for k in (0, 1, 3))
    g = gates[:, 2 * size:3 * size].tanh()
    c = f * c + i * g
    return o * c.tanh(), c


def operands(rng, n, size, gates, scale=1.5):
    """a, b (n, gates · size) and a state (n, size), float64 leaves away from 0."""
    return (t64(rng.normal(0, scale, (n, gates * size))),
            t64(rng.normal(0, scale, (n, gates * size))),
            t64(rng.normal(0, 1, (n, size))))


def both_states(step):
    """An LSTM step's (h', c') flattened into one tensor, for gradcheck."""
    return lambda a, b, c: concatenate([part.reshape(-1) for part in step(a, b, c)])


# -- the same numbers as the composed formulas -----------------------------------------------------

def _values_and_gradients(f, inputs, weights):
    """f's outputs and the gradients of Σ_k weights_k ⊙ output_k for every input."""
    for x in inputs:
        x.zero_grad()
    outputs = f(*inputs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    sum((w * out).sum() for w, out in zip(weights, outputs)).backward()
    return [out.data for out in outputs], [x.grad for x in inputs]


@pytest.mark.parametrize("n, size", SIZES, ids=IDS)
@pytest.mark.parametrize("fused, composed, gates", [(gru_step, composed_gru, 3),
                                                    (lstm_step, composed_lstm, 4)],
                         ids=["gru", "lstm"])
def test_values_and_gradients_are_the_composed_formulas(rng, n, size, fused, composed, gates):
    inputs = operands(rng, n, size, gates)
    weights = [rng.uniform(0.5, 1.5, (n, size)) for _ in range(2)]
    values, grads = _values_and_gradients(fused, inputs, weights)
    expected_values, expected_grads = _values_and_gradients(composed, inputs, weights)
    for mine, theirs in zip(values + grads, expected_values + expected_grads):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("n, size", SIZES, ids=IDS)
def test_gru_step_gradients_match_finite_differences(rng, n, size):
    assert gradcheck(gru_step, *operands(rng, n, size, 3))


@pytest.mark.parametrize("n, size", SIZES, ids=IDS)
def test_lstm_step_gradients_match_finite_differences(rng, n, size):
    """Through both outputs (h' reads c', so c gets a gradient by both paths)."""
    assert gradcheck(both_states(lstm_step), *operands(rng, n, size, 4))


# -- second derivatives ----------------------------------------------------------------------------

def _directional(step, r, directions):
    """(a, b, s) ↦ Σ_k ⟨∂loss/∂input_k, v_k⟩ for a loss that is not linear in the step's
    outputs, so the gradient reaching the step depends on its inputs, as in a network."""
    def loss(a, b, s):
        outputs = step(a, b, s)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        return sum((r * out.tanh()).sum() for out in outputs)

    def directional(a, b, s):
        firsts = grad(loss, argnums=(0, 1, 2))(a, b, s)
        return sum((v * d).sum() for v, d in zip(directions, firsts))
    return directional


STEPS = [(gru_step, composed_gru, 3), (lstm_step, composed_lstm, 4)]


@pytest.mark.parametrize("n, size", [(1, 1), (3, 2)], ids=["N=1, H=1", "N=3, H=2"])
@pytest.mark.parametrize("fused, composed, gates", STEPS, ids=["gru", "lstm"])
def test_second_derivatives_match_finite_differences(rng, n, size, fused, composed, gates):
    inputs = operands(rng, n, size, gates)
    r = rng.uniform(0.5, 1.5, (n, size))
    directions = [rng.normal(size=x.shape) for x in inputs]
    assert gradcheck(_directional(fused, r, directions), *inputs)


@pytest.mark.parametrize("fused, composed, gates", STEPS, ids=["gru", "lstm"])
def test_second_derivatives_are_the_composed_formulas(rng, fused, composed, gates):
    inputs = operands(rng, 3, 4, gates)
    r = rng.uniform(0.5, 1.5, (3, 4))
    directions = [rng.normal(size=x.shape) for x in inputs]
    mine, theirs = (grad(_directional(step, r, directions), argnums=(0, 1, 2))(*inputs)
                    for step in (fused, composed))
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.data, t.data, rtol=1e-10, atol=1e-12)


# -- the nodes, the numbers at the edges, dtypes ---------------------------------------------------

def test_a_gru_step_is_one_node_and_an_lstm_step_two(rng):
    a, b, h = operands(rng, 2, 3, 3)
    out = gru_step(a, b, h)
    assert out.op == "gru_step" and out.parents == (a, b, h)
    a, b, c = operands(rng, 2, 3, 4)
    h, c_next = lstm_step(a, b, c)
    assert c_next.op == "lstm_cell_state" and c_next.parents == (a, b, c)
    assert h.op == "lstm_hidden_state" and h.parents == (a, b, c_next)


@pytest.mark.parametrize("fused, composed, gates", STEPS, ids=["gru", "lstm"])
def test_saturated_gates_give_the_limits_without_warnings(rng, fused, composed, gates):
    """Sums of ±800 and beyond (e^800 overflows a float64): the sigmoids are exactly 0 or 1,
    with no overflow warning, and the gradients are finite, as in the composed formulas."""
    a = t64(rng.choice([-1000.0, 1000.0], (2, 3 * gates)))
    b = t64(rng.choice([-200.0, 200.0], (2, 3 * gates)))
    s = t64(rng.normal(size=(2, 3)))
    weights = [np.ones((2, 3))] * 2
    with strict():
        values, grads = _values_and_gradients(fused, (a, b, s), weights)
    expected_values, expected_grads = _values_and_gradients(composed, (a, b, s), weights)
    for mine, theirs in zip(values + grads, expected_values + expected_grads):
        assert np.isfinite(mine).all()
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("fused, composed, gates", STEPS, ids=["gru", "lstm"])
def test_float32_stays_float32(rng, fused, composed, gates):
    a, b, s = (Tensor(x.data.astype(np.float32), requires_grad=True)
               for x in operands(rng, 3, 4, gates))
    outputs = fused(a, b, s)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    sum(out.sum() for out in outputs).backward()
    assert {out.dtype for out in outputs} == {a.grad.dtype, b.grad.dtype, s.grad.dtype} \
        == {np.dtype(np.float32)}
    expected = composed(a, b, s)
    for mine, theirs in zip(outputs, expected if isinstance(expected, tuple) else (expected,)):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fused, composed, gates", STEPS, ids=["gru", "lstm"])
def test_integer_operands_are_read_as_the_default_float(fused, composed, gates):
    """Tensor([[0, 1, 2]]) holds integers: the step reads them as floats, as tanh does, where
    numpy's exp used to fail to write its floats into an integer array."""
    a = np.arange(2 * gates).reshape(2, gates) - gates          # N = 2, H = 1
    b, s = np.ones((2, gates), int), np.array([[2], [-1]])
    outputs = fused(a, b, s)
    expected = composed(*(Tensor(x.astype(np.float32)) for x in (a, b, s)))
    for mine, theirs in zip(*(o if isinstance(o, tuple) else (o,) for o in (outputs, expected))):
        assert mine.dtype == np.float32
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-6)


@pytest.mark.parametrize("fused, gates", [(gru_step, 3), (lstm_step, 4)], ids=["gru", "lstm"])
def test_each_leaf_gets_its_own_gradient_array(rng, fused, gates):
    """The two shares' gates get equal gradients (all of an LSTM's, a GRU's r and z): each
    leaf still owns its .grad, so scaling one in place (clip_grad_norm_) leaves the other.
    (A loss of c' alone: then only lstm_cell_state sends the shares their gradient.)"""
    a, b, s = operands(rng, 2, 3, gates)
    outputs = fused(a, b, s)
    (outputs[-1] if isinstance(outputs, tuple) else outputs).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    np.testing.assert_array_equal(a.grad[:, :3], b.grad[:, :3])     # (r or i: equal)


# -- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fused, gates, state", [(gru_step, 3, "h"), (lstm_step, 4, "c")],
                         ids=["gru", "lstm"])
def test_shapes_that_do_not_fit_are_refused_naming_the_step_and_the_shapes(fused, gates, state):
    name = fused.__name__
    good, s = np.zeros((2, 3 * gates)), np.zeros((2, 3))
    with pytest.raises(ValueError, match=rf"{name}: from_input must have shape "
                                         rf"\(2, {3 * gates}\) \(batch, {gates} gates x "
                                         rf"hidden_size\) for {state} of shape \(2, 3\), got "
                                         rf"\(2, {2 * gates}\)"):
        fused(np.zeros((2, 2 * gates)), good, s)
    with pytest.raises(ValueError, match=rf"{name}: from_hidden must have shape "
                                         rf"\(2, {3 * gates}\) .* got \(1, {3 * gates}\)"):
        fused(good, np.zeros((1, 3 * gates)), s)
    with pytest.raises(ValueError, match=rf"{name}: {state} must be 2-d \(batch, hidden_size\), "
                                         r"got shape \(3,\)"):
        fused(good, good, np.zeros(3))
