"""Shared by the tests of Ctrl-C and SIGTERM during training (test_train_interrupt.py,
test_cli_train.py): an optimizer that raises a signal from inside its own step."""

from __future__ import annotations

import signal

import pytest

from nn.optim import Adam


class SignalInStep(Adam):
    """Adam that raises `signum` (`times` times) in the middle of its `at`-th step: after
    updating the first parameter, before the others (where a real Ctrl-C once left Adam's
    step counts at [7, 8])."""

    def __init__(self, params, at, signum=signal.SIGINT, times=1, **options):
        super().__init__(params, **options)
        self.at, self.signum, self.times, self.steps = at, signum, times, 0

    def step(self, closure=None):
        self.steps += 1
        self.updated = 0
        return super().step(closure)

    def update(self, p, g, state, group):
        super().update(p, g, state, group)
        self.updated += 1
        if self.steps == self.at and self.updated == 1:
            for _ in range(self.times):
                signal.raise_signal(self.signum)


def step_counts(optimizer):
    """The step counts of the optimizer's parameters: one number when none was left behind."""
    return {state["step"] for state in optimizer.state_dict()["state"].values()}


@pytest.fixture
def python_s_own_sigint_handler():
    """The test starts with the SIGINT handler Python installs (a test run in the background of
    a shell may have SIGINT ignored), and the one found is put back after."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
