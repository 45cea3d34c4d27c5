"""Optimizers clear their decaying state of subnormal numbers (s33).

A coordinate whose gradient stays 0 has its momentum (and, much later, its running mean of g²)
multiplied by β at every step until it is subnormal, where rounding keeps it for good, and the
step is 5 to 14 times slower (docs/measurements.md, "s33 optim"). Every
FLUSH_EVERY steps, `Optimizer._flush_subnormals` sets such entries to 0: always in the
numerators (momentum, m, ḡ), and in a denominator's running mean only when eps hides it. These
tests check exactly that, and that no parameter of ordinary size moves differently: every step
is bit for bit that of the same optimizer without the flush.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import optim
from nn.optim.optimizer import FLUSH_EVERY, eps_hides_subnormal, flush_subnormal

#: (optimizer, settings, entries always flushed, entries flushed because eps hides them)
CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9), {"momentum_buffer"}, set()),
    ("Adam", {}, {"exp_avg"}, {"exp_avg_sq"}),
    ("Adam", dict(amsgrad=True), {"exp_avg"}, {"exp_avg_sq"}),
    ("AdamW", {}, {"exp_avg"}, {"exp_avg_sq"}),
    ("Adam", dict(eps=0.0), {"exp_avg"}, set()),
    ("Adamax", {}, {"exp_avg"}, set()),
    ("NAdam", {}, {"exp_avg"}, {"exp_avg_sq"}),
    ("RAdam", {}, {"exp_avg"}, {"exp_avg_sq"}),
    ("RMSprop", {}, set(), {"square_avg"}),
    ("RMSprop", dict(momentum=0.9, centered=True), {"grad_avg", "momentum_buffer"},
     {"square_avg"}),
    ("RMSprop", dict(eps=0.0, momentum=0.9), {"momentum_buffer"}, set()),
    ("Adadelta", {}, set(), {"square_avg", "acc_delta"}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in options.items()) or 'defaults'}"
       for name, options, _, _ in CASES]
ZEROS = 3 * FLUSH_EVERY + 17        # steps without gradient (three flushes)


def gradients(dtype, rng):
    """Coordinate 0: 0 after the first step (its state shrinks by β at every step);
    1: a gradient so small that its square is subnormal (v is, m is not); 2 and 3: ordinary
    gradients. Then ordinary gradients everywhere for 20 steps."""
    squared_subnormal = 1e-20 if dtype == np.float32 else 1e-160
    out = [rng.standard_normal(4).astype(dtype)]
    for _ in range(ZEROS):
        g = rng.standard_normal(4).astype(dtype)
        g[:2] = 0.0, squared_subnormal
        out.append(g)
    return out + [rng.standard_normal(4).astype(dtype) for _ in range(20)]


def subnormal(x):
    x = np.asarray(x)
    return (x != 0) & (np.abs(x) < np.finfo(x.dtype).tiny)


def run(name, options, dtype, flush):
    """The parameter after every step, the state before and after every flush, the state at
    the end. Without `flush`, the same optimizer whose `_flushable` names nothing."""
    flushes = []

    class Recorded(getattr(optim, name)):
        def _flushable(self, state, group):
            return super()._flushable(state, group) if flush else ()

        def _flush_subnormals(self, state, group):
            before = {k: v.copy() for k, v in state.items() if isinstance(v, np.ndarray)}
            super()._flush_subnormals(state, group)
            flushes.append((before, {k: v.copy() for k, v in state.items()
                                     if isinstance(v, np.ndarray)}))

    rng = np.random.default_rng(7)
    p = Tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
    opt = Recorded([p], **options)
    steps = []
    for i, g in enumerate(gradients(dtype, rng)):
        p.grad = g
        opt.step()
        steps.append(p.data.copy())
        if i == 0:
            # coordinate 0's state as ~700 steps without gradient leave it (~1e-37 for
            # float32): a few steps above the subnormal numbers, reached at once
            for value in opt.state[p].values():
                if isinstance(value, np.ndarray):
                    value[0] *= 1e-36 if dtype == np.float32 else 1e-306
    return steps, flushes, opt.state[p]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, options, always, hidden", CASES, ids=IDS)
def test_decaying_state_is_flushed_and_no_step_changes(name, options, always, hidden, dtype):
    ours, flushes, state = run(name, options, dtype, flush=True)
    theirs, _, reference = run(name, options, dtype, flush=False)
    assert len(flushes) == ZEROS // FLUSH_EVERY
    for before, after in flushes:
        for key, value in after.items():
            if key in always | hidden:          # exactly the subnormal entries became 0
                expected = np.where(subnormal(before[key]), 0 * before[key], before[key])
                np.testing.assert_array_equal(value, expected, err_msg=key)
                np.testing.assert_array_equal(np.signbit(value), np.signbit(expected))
            else:                               # the others kept theirs
                np.testing.assert_array_equal(value, before[key], err_msg=key)
    # the test means something: each flushed entry had subnormal numbers to clear
    for key in always | hidden:
        assert any(subnormal(before[key]).any() for before, _ in flushes), key
    if options.get("eps") == 0.0:
        # a denominator with eps = 0 keeps its subnormal numbers: 0 would divide by zero
        key = "exp_avg_sq" if name == "Adam" else "square_avg"
        assert subnormal(flushes[-1][1][key]).any()
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_array_equal(a, b, err_msg=f"step {step}")
    assert np.isfinite(ours[-1]).all()
    # ordinary gradients again: the state is what it would have been, to the last bit
    assert set(state) == set(reference)
    for key, value in reference.items():
        np.testing.assert_array_equal(state[key], value, err_msg=key)


def test_flush_subnormal_clears_exactly_the_subnormal_entries():
    for dtype in (np.float32, np.float64):
        tiny = np.finfo(dtype).tiny
        below = np.nextafter(dtype(tiny), dtype(0))             # the largest subnormal
        x = np.array([below, -below, tiny, -tiny, 1.0, 0.0, -0.0, np.nan, np.inf,
                      tiny / 2**10], dtype)
        flush_subnormal(x)
        np.testing.assert_array_equal(x, np.array([0, 0, tiny, -tiny, 1, 0, 0, np.nan, np.inf,
                                                   0], dtype))
        assert list(np.signbit(x[:2])) == [False, True]         # a zero of the same sign
    half = np.array([1e-6], np.float16)                 # numpy computes float16 in float32
    flush_subnormal(half)
    assert half[0] != 0
    flush_subnormal(1e-320)                             # a Value's float: left alone


def test_eps_hides_subnormal_only_where_the_denominator_cannot_change():
    float32, float64 = np.dtype(np.float32), np.dtype(np.float64)
    assert eps_hides_subnormal(1e-8, float32) and eps_hides_subnormal(1e-8, float64)
    assert eps_hides_subnormal(1e-8, float32, bias=1 - 0.999)   # Adam's first step
    assert not eps_hides_subnormal(0.0, float32)
    assert not eps_hides_subnormal(1e-15, float32)      # √(1.2e-38) = 1.1e-19 > 1e-15 · 2⁻²⁴
    assert eps_hides_subnormal(1e-15, float64)
    assert not eps_hides_subnormal(1e-8, np.dtype(np.float16))


def test_values_are_left_alone():
    """A Value's state is a Python float: nothing is flushed (nor slowed: no numpy)."""
    w = Value(1.0)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = 1e-306
    opt.step()
    for _ in range(FLUSH_EVERY * 2):
        w.grad = 0.0
        opt.step()
    assert 0 < opt.state[w]["momentum_buffer"] < 2.3e-308
