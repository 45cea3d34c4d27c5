"""nn/optim/lr_scheduler/closed_form.py: each schedule against its closed form or a hand-computed
sequence and, where torch is installed, against PyTorch's; MultiStepLR's milestones, LambdaLR's
functions, CosineAnnealingWarmRestarts' fractional epochs and resuming.

The schedulers update the lr recursively (PyTorch's chainable form); the closed forms here are
written independently from the formulas in PyTorch's documentation.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd import Value
from nn.optim import SGD, lr_scheduler
from nn.optim.lr_scheduler import (
    ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR,
    LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR,
)

from lr_scheduler_helpers import (
    BASE_LRS, R, _both, _lr_and_momentum_over, _opt, assert_matches_pytorch, lrs_over,
    pytorch_case_id, pytorch_cases, two_group_sgd,
)
from reference import assert_matches

# Most tests here step schedules alone, to read their lrs, so their optimizers never step:
# the warning of a scheduler stepped before its optimizer (tested on its own in
# test_lr_scheduler_base.py) is expected there, and would only clutter the output
pytestmark = pytest.mark.filterwarnings("ignore:.*was called before optimizer.step")


CLOSED_FORMS = [            # (scheduler factory, closed form lr(base, epoch), epochs to check)
    (lambda o: StepLR(o, step_size=3, gamma=0.5), lambda b, e: b * 0.5 ** (e // 3), 20),
    (lambda o: StepLR(o, step_size=1), lambda b, e: b * 0.1 ** e, 8),
    # a whole number as a float, as PyTorch's transformer tutorial passes it
    (lambda o: StepLR(o, 1.0, gamma=0.95), lambda b, e: b * 0.95 ** e, 6),
    (lambda o: ExponentialLR(o, gamma=0.9), lambda b, e: b * 0.9 ** e, 30),
    (lambda o: ExponentialLR(o, gamma=1.1), lambda b, e: b * 1.1 ** e, 30),
    (lambda o: LinearLR(o), lambda b, e: b * (1 / 3 + (2 / 3) * min(e, 5) / 5), 12),
    (lambda o: LinearLR(o, start_factor=0.8, end_factor=0.05, total_iters=7),
     lambda b, e: b * (0.8 - 0.75 * min(e, 7) / 7), 15),
    (lambda o: CosineAnnealingLR(o, T_max=10),
     lambda b, e: b * (1 + math.cos(math.pi * e / 10)) / 2, 35),
    (lambda o: CosineAnnealingLR(o, T_max=4, eta_min=0.01),
     lambda b, e: 0.01 + (b - 0.01) * (1 + math.cos(math.pi * e / 4)) / 2, 30),
    (lambda o: MultiStepLR(o, milestones=[7, 3, 7], gamma=0.5),    # unsorted, 7 counts twice
     lambda b, e: b * 0.5 ** ((e >= 3) + 2 * (e >= 7)), 12),
    (lambda o: MultiStepLR(o, milestones=[0, 4]), lambda b, e: b * 0.1 ** (1 + (e >= 4)), 8),
    (lambda o: LambdaLR(o, lambda e: 0.95 ** e + 0.01 * e), lambda b, e: b * (0.95 ** e + 0.01 * e),
     20),
]


@pytest.mark.parametrize("make, closed_form, epochs", CLOSED_FORMS,
                         ids=["step", "step-default-gamma", "step-size-1.0", "exponential", "exponential-up",
                              "linear-default", "linear-down", "cosine", "cosine-eta-min",
                              "multistep", "multistep-at-0", "lambda"])
def test_schedules_follow_their_closed_forms(make, closed_form, epochs):
    scheduler = make(two_group_sgd())
    assert scheduler.last_epoch == 0 and scheduler.base_lrs == list(BASE_LRS)
    for epoch, lrs in enumerate(lrs_over(scheduler, epochs)):
        expected = [closed_form(base, epoch) for base in BASE_LRS]
        np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15, err_msg=f"epoch {epoch}")
    assert scheduler.last_epoch == epochs


def test_linear_lr_gives_micrograds_demo_decay():
    """micrograd's demo: lr = 1.0 - 0.9 * k / 100 at step k = 0..99."""
    w = Value(0.0)
    opt = SGD([w], lr=1.0)
    schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    used = []
    for k in range(100):
        used.append(opt.param_groups[0]["lr"])
        w.grad = 1.0
        opt.step()
        schedule.step()
    np.testing.assert_allclose(used, [1.0 - 0.9 * k / 100 for k in range(100)], rtol=0,
                               atol=1e-12)
    assert w.data == pytest.approx(-sum(1.0 - 0.9 * k / 100 for k in range(100)), abs=1e-10)


def test_multistep_lr_takes_milestones_in_any_collection():
    """np.arange(...) or a set was refused as "must be a list of epochs"; PyTorch takes them."""
    for milestones in (np.array([2, 5]), {5, 2}, range(2, 6, 3), (e for e in [5, 2])):
        assert MultiStepLR(_opt(), milestones).milestones == [2, 5]
    with pytest.raises(TypeError, match="milestones must be a list of epochs"):
        MultiStepLR(_opt(), {2: 1, 5: 1})        # a dict (PyTorch's Counter): counts, not epochs


def test_lambda_lr_takes_one_function_per_group_and_saves_no_code():
    opt = two_group_sgd()
    schedule = LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: 1.0 + e])
    lrs = lrs_over(schedule, 4)
    assert lrs[3] == [0.125, 0.3 * 4.0]
    assert "lr_lambdas" not in schedule.state_dict()
    again = LambdaLR(two_group_sgd(), [lambda e: 0.5 ** e, lambda e: 1.0 + e])
    again.load_state_dict(schedule.state_dict())
    assert again.last_epoch == 4 and again.lr_lambdas[1](2) == 3.0      # its own functions


def test_new_schedules_match_pytorch():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    for ours_of, theirs_of in [
            (lambda o: MultiStepLR(o, [3, 5, 5], 0.3),
             lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [3, 5, 5], 0.3)),
            (lambda o: LambdaLR(o, lambda e: 0.9 ** e),
             lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 0.9 ** e))]:
        ours = ours_of(SGD([Value(0.0)], lr=0.2))
        theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
        theirs = theirs_of(theirs_opt)
        for _ in range(9):
            assert ours.get_last_lr()[0] == pytest.approx(theirs.get_last_lr()[0], rel=1e-12)
            ours.optimizer.step(); ours.step()
            theirs_opt.step(); theirs.step()


# ----------------------------------------------------------------------------------------------
# ConstantLR, PolynomialLR, MultiplicativeLR, CosineAnnealingWarmRestarts: hand-computed
# sequences (for lr_0 = 1; each group is scaled by its own lr_0)
# ----------------------------------------------------------------------------------------------

HAND_COMPUTED = [
    (lambda o: ConstantLR(o, factor=0.5, total_iters=3), [0.5, 0.5, 0.5, 1, 1, 1]),
    (lambda o: ConstantLR(o), [1 / 3] * 5 + [1, 1]),
    (lambda o: PolynomialLR(o), [1, 0.8, 0.6, 0.4, 0.2, 0, 0, 0]),
    (lambda o: PolynomialLR(o, total_iters=4, power=2.0), [1, 0.5625, 0.25, 0.0625, 0, 0]),
    (lambda o: PolynomialLR(o, total_iters=4, power=0.5),
     [1, math.sqrt(0.75), math.sqrt(0.5), 0.5, 0, 0]),
    (lambda o: MultiplicativeLR(o, lambda e: 1 / e), [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120]),
    (lambda o: MultiplicativeLR(o, lambda e: 0.5), [1, 0.5, 0.25, 0.125]),
    (lambda o: CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
     [1, 0.5, 1, (1 + R) / 2, 0.5, (1 - R) / 2, 1, (1 + math.cos(math.pi / 8)) / 2]),
    (lambda o: CosineAnnealingWarmRestarts(o, T_0=2),
     [1, 0.5, 1, 0.5, 1, 0.5]),
]


@pytest.mark.parametrize("make, factors", HAND_COMPUTED,
                         ids=["constant", "constant-default", "polynomial-default",
                              "polynomial-squared", "polynomial-root", "multiplicative-factorial",
                              "multiplicative-half", "warm-restarts-doubling",
                              "warm-restarts-fixed"])
def test_later_schedules_follow_hand_computed_sequences(make, factors):
    scheduler = make(two_group_sgd())
    for epoch, lrs in enumerate(lrs_over(scheduler, len(factors))):
        expected = [base * factors[epoch] for base in BASE_LRS]
        np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15, err_msg=f"epoch {epoch}")


def test_warm_restarts_fractional_epochs():
    """step(epoch + i / batches): the cosine moves within an epoch and restarts mid-way."""
    opt = SGD([Value(0.0)], lr=1.0)
    schedule = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.2)
    expected = {0.5: 0.2 + 0.8 * (1 + R) / 2,                # T_cur 0.5 of T_i 2
                1.75: 0.2 + 0.8 * (1 + math.cos(math.pi * 0.875)) / 2,
                2.0: 1.0,                                     # restart: T_i 4
                3.0: 0.2 + 0.8 * (1 + R) / 2,                 # T_cur 1 of 4
                5.5: 0.2 + 0.8 * (1 + math.cos(math.pi * 3.5 / 4)) / 2,
                6.25: 0.2 + 0.8 * (1 + math.cos(math.pi * 0.25 / 8)) / 2,   # T_i 8
                0.0: 1.0}                                     # back to the start
    for epoch, lr in expected.items():
        schedule.step(epoch)
        assert schedule.get_last_lr() == [pytest.approx(lr, rel=1e-14)], epoch
        assert schedule.last_epoch == math.floor(epoch)
    schedule.step(26)                   # interleaved: step() then goes on from epoch 26
    schedule.step()
    assert (schedule.last_epoch, schedule.T_cur, schedule.T_i) == (27, 13, 16)


def test_warm_restarts_count_whole_periods_exactly():
    # T_0=1, T_mult=10: periods end at 1, 11, 111; PyTorch's log(1000, 10) < 3 puts epoch 111 at
    # the end of the 100-epoch period (eta_min); it is the start of the next one
    schedule = CosineAnnealingWarmRestarts(SGD([Value(0.0)], lr=1.0), T_0=1, T_mult=10)
    schedule.step(111)
    assert (schedule.T_cur, schedule.T_i, schedule.get_last_lr()) == (0, 1000, [1.0])
    schedule.step(110.5)
    assert schedule.T_i == 100 and schedule.T_cur == 99.5


def test_resuming_warm_restarts_with_last_epoch():
    opt = two_group_sgd()
    lrs_over(CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2), 4)
    opt2 = two_group_sgd((9.0, 9.0))
    opt2.load_state_dict(opt.state_dict())
    schedule = CosineAnnealingWarmRestarts(opt2, T_0=2, T_mult=2, last_epoch=6)
    assert (schedule.last_epoch, schedule.T_cur, schedule.T_i) == (7, 1, 8)
    np.testing.assert_allclose(schedule.get_last_lr(),
                               [b * (1 + math.cos(math.pi / 8)) / 2 for b in BASE_LRS])


# ----------------------------------------------------------------------------------------------
# Against PyTorch's get_last_lr(), two groups, 30 steps
# ----------------------------------------------------------------------------------------------

# each factory takes the scheduler module (glassgrad's or PyTorch's: the same names and
# arguments) and an optimizer; "adam": also with Adam, whose beta1 CyclicLR cycles
AGAINST_PYTORCH = {
    "constant": lambda m, o: m.ConstantLR(o),
    "constant_half": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "multiplicative_per_group": lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.9 + 0.001 * e, lambda e: 1.02]),
    "polynomial": lambda m, o: m.PolynomialLR(o),
    "polynomial_power": lambda m, o: m.PolynomialLR(o, total_iters=12, power=0.7),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5),
    "warm_restarts_mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, T_mult=2,
                                                                     eta_min=0.01),
}


@pytest.mark.parametrize("case", pytorch_cases(AGAINST_PYTORCH), ids=pytorch_case_id)
def test_later_schedulers_match_pytorch(case):
    name, kind = case
    assert_matches_pytorch(AGAINST_PYTORCH[name], kind)


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs_match_pytorch(T_mult):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    epochs = [e + i / 7 for e in range(12) for i in range(7)]       # 7 batches an epoch

    def make(module, optimizer):
        return module.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=T_mult, eta_min=0.05)
    ours, theirs = _both(torch, "sgd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                    # step(epoch) is deprecated there
        expected = _lr_and_momentum_over(torch.optim.lr_scheduler, theirs, make, epochs)
    assert_matches(_lr_and_momentum_over(lr_scheduler, ours, make, epochs), expected,
                   rtol=1e-14, atol=0)
