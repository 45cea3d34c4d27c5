"""nn/optim/lr_scheduler/composite.py: SequentialLR and ChainedScheduler against hand-computed
sequences and, where torch is installed, PyTorch's; nested, and saved and loaded."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Value
from nn.optim import SGD
from nn.optim.lr_scheduler import (
    ChainedScheduler, ConstantLR, CosineAnnealingLR, CyclicLR, ExponentialLR, LinearLR,
    MultiplicativeLR, SequentialLR, StepLR,
)

from lr_scheduler_helpers import (
    BASE_LRS, R, assert_matches_pytorch, lrs_over, pytorch_case_id, pytorch_cases,
    two_group_sgd,
)

# Most tests here step schedules alone, to read their lrs, so their optimizers never step:
# the warning of a scheduler stepped before its optimizer (tested on its own in
# test_lr_scheduler_base.py) is expected there, and would only clutter the output
pytestmark = pytest.mark.filterwarnings("ignore:.*was called before optimizer.step")


# ----------------------------------------------------------------------------------------------
# Hand-computed sequences (for lr_0 = 1; each group is scaled by its own lr_0)
# ----------------------------------------------------------------------------------------------

HAND_COMPUTED = [
    (lambda o: SequentialLR(o, [ConstantLR(o, 0.1, 2), ExponentialLR(o, 0.5)], [2]),
     [0.1, 0.1, 1, 0.5, 0.25, 0.125]),
    (lambda o: SequentialLR(o, [LinearLR(o, 0.25, total_iters=3), CosineAnnealingLR(o, 4)], [3]),
     [0.25, 0.5, 0.75, 1, (1 + R) / 2, 0.5, (1 - R) / 2, 0, (1 - R) / 2]),
    (lambda o: SequentialLR(o, [StepLR(o, 1, 0.5), ConstantLR(o, 0.5, 1), StepLR(o, 2, 0.1)],
                            [2, 4]),           # each one starts again from lr_0
     [1, 0.5, 0.5, 1, 1, 1, 0.1, 0.1]),
    (lambda o: ChainedScheduler([ConstantLR(o, 0.1, 2), ExponentialLR(o, 0.5)]),
     [0.1, 0.05, 0.25, 0.125, 0.0625]),
    (lambda o: ChainedScheduler([LinearLR(o, 0.5, total_iters=2), StepLR(o, 1, 0.5)], o),
     [0.5, 0.375, 0.25, 0.125]),           # (0.5 + 0.25 · min(e, 2)) · 0.5ᵉ
]


@pytest.mark.parametrize("make, factors", HAND_COMPUTED,
                         ids=["sequential-warm-up", "sequential-cosine", "sequential-three",
                              "chained", "chained-linear-step"])
def test_later_schedules_follow_hand_computed_sequences(make, factors):
    scheduler = make(two_group_sgd())
    for epoch, lrs in enumerate(lrs_over(scheduler, len(factors))):
        expected = [base * factors[epoch] for base in BASE_LRS]
        np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15, err_msg=f"epoch {epoch}")


def test_sequential_lr_restarts_each_scheduler_and_keeps_their_counts():
    opt = two_group_sgd()
    warm_up, decay = LinearLR(opt, 0.5, total_iters=2), ExponentialLR(opt, 0.5)
    schedule = SequentialLR(opt, [warm_up, decay], milestones=[2])
    assert (schedule.last_epoch, warm_up.last_epoch, decay.last_epoch) == (0, 0, -1)
    lrs_over(schedule, 5)
    assert (schedule.last_epoch, warm_up.last_epoch, decay.last_epoch) == (5, 1, 3)


def test_sequential_lr_of_a_sequential_lr():
    opt = SGD([Value(0.0)], lr=1.0)
    inner = SequentialLR(opt, [ConstantLR(opt, 0.5, 1), ExponentialLR(opt, 0.5)], [1])
    outer = SequentialLR(opt, [StepLR(opt, 10), inner], [2])
    assert [lr for (lr,) in lrs_over(outer, 6)] == [1, 1, 0.5, 1, 0.5, 0.25]


def test_chained_and_sequential_states_go_through_save_and_load(tmp_path):
    from nn.io import load, save

    def make(opt):
        return SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=3),
                                  ChainedScheduler([CyclicLR(opt, 0.1, 1.0, 2),
                                                    MultiplicativeLR(opt, lambda e: 0.9)])], [3])
    opt = SGD([Value(0.0)], lr=1.0, momentum=0.9)
    schedule = make(opt)
    lrs_over(schedule, 5)
    save({"optimizer": opt, "scheduler": schedule}, tmp_path / "run.npz")
    uninterrupted = lrs_over(schedule, 6)
    checkpoint = load(tmp_path / "run.npz")
    opt2 = SGD([Value(0.0)], lr=1.0, momentum=0.9)
    schedule2 = make(opt2)
    opt2.load_state_dict(checkpoint["optimizer"])
    schedule2.load_state_dict(checkpoint["scheduler"])
    assert lrs_over(schedule2, 6) == uninterrupted


# ----------------------------------------------------------------------------------------------
# Against PyTorch's get_last_lr(), two groups, 30 steps
# ----------------------------------------------------------------------------------------------

# each factory takes the scheduler module (glassgrad's or PyTorch's: the same names and
# arguments) and an optimizer; "adam": also with Adam, whose beta1 CyclicLR cycles
AGAINST_PYTORCH = {
    "sequential_warm_up_cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
            m.CosineAnnealingLR(o, T_max=20, eta_min=0.01)], milestones=[5]),
    "sequential_three": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.2, total_iters=3), m.ExponentialLR(o, 0.9),
            m.StepLR(o, 4, 0.5)], milestones=[4, 12]),
    "sequential_multistep": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.5, total_iters=3), m.MultiStepLR(o, [0, 5, 9], 0.5)], [6]),
    "sequential_restarts": lambda m, o: m.SequentialLR(
        o, [m.LambdaLR(o, lambda e: (e + 1) / 4), m.CosineAnnealingWarmRestarts(o, 4, 2)], [4]),
    "sequential_polynomial_multiplicative": lambda m, o: m.SequentialLR(
        o, [m.PolynomialLR(o, 6, 2.0), m.MultiplicativeLR(o, lambda e: 1.05)], [8]),
    "chained": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=20), m.ExponentialLR(o, gamma=0.9)]),
    "chained_three": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, 0.2, total_iters=6), m.StepLR(o, 5, 0.5), m.PolynomialLR(o, 25, 1.5)],
        optimizer=o),
}


@pytest.mark.parametrize("case", pytorch_cases(AGAINST_PYTORCH), ids=pytorch_case_id)
def test_later_schedulers_match_pytorch(case):
    name, kind = case
    assert_matches_pytorch(AGAINST_PYTORCH[name], kind)
