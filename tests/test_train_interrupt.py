"""Ctrl-C during `fit` (nn/train.py): held until the step under way has finished, so every
parameter and the optimizer's state stop at the same step, and fit stops as before.

The signal is raised from inside the optimizer's step (interrupt_helpers.SignalInStep), after
its first parameter is updated and before the others.
"""

from __future__ import annotations

import signal
import sys
import traceback

import numpy as np
import pytest

from autograd import manual_seed
from interrupt_helpers import SignalInStep, python_s_own_sigint_handler, step_counts  # noqa: F401
from nn import Linear, ReLU, Sequential, cross_entropy, fit
from nn.optim import LBFGS, Adam
from nn.optim.lr_scheduler import StepLR
from nn.train import interrupt

pytestmark = [pytest.mark.skipif(sys.platform == "win32",
                                 reason="signal.raise_signal of SIGTERM is not delivered there"),
              pytest.mark.usefixtures("python_s_own_sigint_handler")]


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def model():
    manual_seed(0)
    return Sequential(Linear(3, 8), ReLU(), Linear(8, 2))


def frames(error):
    return [frame.name for frame in traceback.extract_tb(error.__traceback__)]


def test_ctrl_c_inside_the_optimizer_s_step_stops_fit_after_that_step():
    X, y = data()
    net = model()
    optimizer = SignalInStep(net.parameters(), at=7, lr=0.01)     # epoch 2, its 2nd of 5 steps
    with pytest.raises(KeyboardInterrupt) as stop:
        fit(net, cross_entropy, optimizer, (X, y), epochs=10, batch_size=8, shuffle=False,
            progress=False)
    assert step_counts(optimizer) == {7}                # every parameter stepped 7 times
    assert "update" not in frames(stop.value)           # raised between steps, not inside
    history = stop.value.history
    assert history.epochs == 1 and history.steps == 7
    # the weights are those of 7 whole steps: 1 epoch, then 2 batches of the next
    reference = model()
    steps = Adam(reference.parameters(), lr=0.01)
    fit(reference, cross_entropy, steps, (X, y), epochs=1, batch_size=8, shuffle=False,
        progress=False)
    fit(reference, cross_entropy, steps, (X[:16], y[:16]), epochs=1, batch_size=8,
        shuffle=False, progress=False)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), reference.state_dict()[name].numpy())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_fit_trains_on_after_ctrl_c_as_if_never_stopped():
    """One step per epoch: stopped in step 3, then 3 more epochs = 6 uninterrupted ones."""
    X, y = data()
    net = model()
    optimizer = SignalInStep(net.parameters(), at=3, lr=0.01)
    with pytest.raises(KeyboardInterrupt) as stop:
        fit(net, cross_entropy, optimizer, (X, y), epochs=6, batch_size=40, progress=False)
    assert stop.value.history.epochs == 2 and stop.value.history.steps == 3
    fit(net, cross_entropy, optimizer, (X, y), epochs=3, batch_size=40, progress=False)
    assert step_counts(optimizer) == {6}
    reference = model()
    fit(reference, cross_entropy, Adam(reference.parameters(), lr=0.01), (X, y), epochs=6,
        batch_size=40, progress=False)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), reference.state_dict()[name].numpy())


def test_a_second_ctrl_c_during_the_same_step_stops_at_once():
    X, y = data()
    net = model()
    optimizer = SignalInStep(net.parameters(), at=2, times=2, lr=0.01)
    with pytest.raises(KeyboardInterrupt) as stop:
        fit(net, cross_entropy, optimizer, (X, y), epochs=3, batch_size=8, progress=False)
    assert frames(stop.value)[-2:] == ["update", "interrupt"]     # the escape hatch
    assert step_counts(optimizer) == {1, 2}             # half a step, as documented
    assert stop.value.history.steps == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_while_an_epoch_is_recorded_lets_the_scheduler_step_first():
    """The end of an epoch is whole too: its record, the best weights and the scheduler's
    step, so that a resumed fit continues the schedule where the history says it is."""
    X, y = data()
    net = model()
    optimizer = Adam(net.parameters(), lr=0.01)

    class Interrupted(StepLR):
        def step(self, *args):
            if self.last_epoch == 1:                    # at the end of epoch 2
                signal.raise_signal(signal.SIGINT)
            super().step(*args)

    scheduler = Interrupted(optimizer, step_size=1, gamma=0.5)
    with pytest.raises(KeyboardInterrupt) as stop:
        fit(net, cross_entropy, optimizer, (X, y), epochs=5, batch_size=8,
            scheduler=scheduler, progress=False)
    assert stop.value.history.epochs == 2 and stop.value.history.steps == 10
    assert scheduler.last_epoch == 2 and optimizer.param_groups[0]["lr"] == 0.01 * 0.5 ** 2


def test_sigint_is_left_to_a_program_that_handles_it_itself():
    X, y = data()
    caught = []

    def own(signum, frame):
        caught.append(signum)

    signal.signal(signal.SIGINT, own)
    net = model()
    optimizer = SignalInStep(net.parameters(), at=2, lr=0.01)
    history = fit(net, cross_entropy, optimizer, (X, y), epochs=2, batch_size=8,
                  progress=False)
    assert caught == [signal.SIGINT] and history.epochs == 2
    assert signal.getsignal(signal.SIGINT) is own


def test_the_handler_is_put_back_after_an_error():
    X, y = data()
    net = model()

    def failing(y_true, y_pred):
        raise RuntimeError("metric failed")

    with pytest.raises(RuntimeError, match="metric failed"):
        fit(net, cross_entropy, Adam(net.parameters()), (X, y), metrics=[failing],
            progress=False)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_program_can_send_sigterm_the_way_of_ctrl_c():
    X, y = data()
    net = model()
    optimizer = SignalInStep(net.parameters(), at=4, signum=signal.SIGTERM, lr=0.01)
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt) as stop:
            fit(net, cross_entropy, optimizer, (X, y), epochs=3, batch_size=8,
                progress=False)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert step_counts(optimizer) == {4} and stop.value.history.steps == 4
    assert "update" not in frames(stop.value)


def test_interrupt_outside_fit_is_python_s_ctrl_c():
    with pytest.raises(KeyboardInterrupt):
        interrupt(signal.SIGINT, None)


def test_ctrl_c_inside_lbfgs_s_closure_stops_fit_after_that_step():
    """L-BFGS runs the model several times per step, through fit's closure: a Ctrl-C in its
    line search waits for the step to end, as in any other optimizer's update."""
    X, y = data()
    net = model()

    class SignalInClosure(LBFGS):
        steps = 0

        def step(self, closure):
            self.steps += 1
            calls = 0

            def signalling():
                nonlocal calls
                calls += 1
                if self.steps == 3 and calls == 2:      # in the line search of step 3
                    signal.raise_signal(signal.SIGINT)
                return closure()
            return super().step(signalling)

    options = dict(line_search_fn="strong_wolfe", max_iter=4)
    with pytest.raises(KeyboardInterrupt) as stop:
        fit(net, cross_entropy, SignalInClosure(net.parameters(), **options), (X, y),
            epochs=5, batch_size=20, shuffle=False, progress=False)
    history = stop.value.history
    assert history.epochs == 1 and history.steps == 3
    reference = model()                     # 3 whole steps: 1 epoch, then the first batch
    steps = LBFGS(reference.parameters(), **options)
    fit(reference, cross_entropy, steps, (X, y), epochs=1, batch_size=20, shuffle=False,
        progress=False)
    fit(reference, cross_entropy, steps, (X[:20], y[:20]), epochs=1, batch_size=20,
        shuffle=False, progress=False)
    assert all(np.array_equal(a.data, b.data)
               for a, b in zip(net.parameters(), reference.parameters()))
