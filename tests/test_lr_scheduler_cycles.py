"""nn.optim.lr_scheduler: each schedule against its closed form, PyTorch's start and resume rules,
checkpoints, ReduceLROnPlateau's patience / cooldown / min_lr, OneCycleLR against PyTorch's
sequences (asked live where torch is installed, else as recorded in
tests/reference/lr_scheduler_cycles.npz), the later schedulers (ConstantLR ... ChainedScheduler) against
hand-computed sequences and, where torch is installed, PyTorch's, and argument errors.

The schedulers update the lr recursively (PyTorch's chainable form); the closed forms here are
written independently from the formulas in PyTorch's documentation.
"""

from __future__ import annotations

import collections
import functools
import math
import warnings

import numpy as np
import pytest

from autograd import Tensor, Value
from nn.optim import SGD, Adagrad, Adam, lr_scheduler
from nn.optim.lr_scheduler import (
    ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR,
    ExponentialLR, LambdaLR, LinearLR, LRScheduler, MultiplicativeLR, MultiStepLR, OneCycleLR,
    PolynomialLR, ReduceLROnPlateau, SequentialLR, StepLR,
)
from reference import assert_matches, record_cases, recorded_case

# Most tests here step schedules alone, to read their lrs, so their optimizers never step:
# the warning of a scheduler stepped before its optimizer (tested on its own at the end) is
# expected there, and would only clutter the output
pytestmark = pytest.mark.filterwarnings("ignore:.*was called before optimizer.step")

BASE_LRS = (1.0, 0.3)


def two_group_sgd(lrs=BASE_LRS):
    return SGD([{"params": [Value(0.0)], "lr": lrs[0]}, {"params": [Value(0.0)], "lr": lrs[1]}])


def lrs_over(scheduler, epochs):
    """The lrs of every group at epochs 0 .. epochs-1 (each read before the epoch's step)."""
    seen = []
    for _ in range(epochs):
        lrs = [g["lr"] for g in scheduler.optimizer.param_groups]
        assert scheduler.get_last_lr() == lrs
        seen.append(lrs)
        scheduler.optimizer.step()
        scheduler.step()
    return seen


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


def test_making_a_scheduler_sets_the_first_lr_at_once():
    opt = two_group_sgd()
    LinearLR(opt, start_factor=0.25)
    assert [g["lr"] for g in opt.param_groups] == [0.25, 0.075]
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE_LRS)


def test_schedules_compose_with_other_changes_to_the_lr():
    # PyTorch's chainable form: ExponentialLR multiplies whatever lr is in the group
    opt = two_group_sgd()
    schedule = ExponentialLR(opt, gamma=0.5)
    opt.param_groups[0]["lr"] = 10.0
    schedule.step()
    assert schedule.get_last_lr() == [5.0, 0.15]


def test_get_last_lr_is_a_copy():
    schedule = StepLR(two_group_sgd(), step_size=2)
    schedule.get_last_lr().append(99.0)
    assert schedule.get_last_lr() == list(BASE_LRS)


@pytest.mark.parametrize("make", [lambda o: StepLR(o, 3, 0.5), lambda o: ExponentialLR(o, 0.8),
                                  lambda o: LinearLR(o, 0.2, 0.9, 6),
                                  lambda o: CosineAnnealingLR(o, 4, 0.05),
                                  lambda o: MultiStepLR(o, [2, 6, 9], 0.5),
                                  lambda o: LambdaLR(o, lambda e: 1 / (1 + e)),
                                  lambda o: OneCycleLR(o, [1.0, 0.5], 30, three_phase=True),
                                  lambda o: ConstantLR(o, 0.5, 7),
                                  lambda o: PolynomialLR(o, 9, 1.5),
                                  lambda o: MultiplicativeLR(o, lambda e: 0.9 + 0.01 * e),
                                  lambda o: CosineAnnealingWarmRestarts(o, 3, 2, 0.01),
                                  lambda o: CyclicLR(o, [0.1, 0.05], 1.0, 3, 2, "triangular2"),
                                  lambda o: SequentialLR(o, [LinearLR(o, 0.1, total_iters=4),
                                                             CosineAnnealingLR(o, 8)], [4]),
                                  lambda o: SequentialLR(o, [ConstantLR(o, 0.5, 2),
                                                             CyclicLR(o, 0.1, 1.0, 2),
                                                             ExponentialLR(o, 0.9)], [3, 6]),
                                  lambda o: ChainedScheduler([ConstantLR(o, 0.1, 3),
                                                              ExponentialLR(o, 0.8)])],
                         ids=["step", "exponential", "linear", "cosine", "multistep", "lambda",
                              "one_cycle", "constant", "polynomial", "multiplicative",
                              "warm_restarts", "cyclic", "sequential", "sequential_cyclic",
                              "chained"])
def test_state_dict_round_trip_continues_the_schedule(make):
    opt = two_group_sgd()
    schedule = make(opt)
    lrs_over(schedule, 5)
    saved_opt, saved = opt.state_dict(), schedule.state_dict()
    uninterrupted = lrs_over(schedule, 12)

    opt2 = two_group_sgd((7.0, 7.0))
    schedule2 = make(opt2)                       # PyTorch's order: scheduler, then optimizer
    opt2.load_state_dict(saved_opt)
    schedule2.load_state_dict(saved)
    assert getattr(schedule2, "last_epoch", 5) == 5           # ChainedScheduler has none
    assert lrs_over(schedule2, 12) == uninterrupted


def test_resuming_with_last_epoch_continues_the_closed_form():
    # PyTorch's rule: the optimizer's lr is taken as that of epoch last_epoch + 1
    opt = two_group_sgd()
    lrs_over(ExponentialLR(opt, gamma=0.5), 3)                   # lr of epoch 3 now in place
    opt2 = two_group_sgd((9.0, 9.0))
    opt2.load_state_dict(opt.state_dict())                         # brings "initial_lr"
    schedule = ExponentialLR(opt2, gamma=0.5, last_epoch=2)
    assert schedule.last_epoch == 3 and schedule.get_last_lr() == [0.125, 0.0375]
    for epoch, lrs in enumerate(lrs_over(schedule, 4), start=3):
        np.testing.assert_allclose(lrs, [b * 0.5 ** epoch for b in BASE_LRS], rtol=1e-12)


def test_resuming_needs_initial_lr():
    message = (r"StepLR: resuming at last_epoch=4 needs 'initial_lr' in every parameter group, "
               r"missing in group\(s\) \[0, 1\]")
    with pytest.raises(ValueError, match=message):
        StepLR(two_group_sgd(), step_size=2, last_epoch=4)


# ----------------------------------------------------------------------------------------------
# ReduceLROnPlateau
# ----------------------------------------------------------------------------------------------

def plateau_lrs(metrics, lr=1.0, **kwargs):
    opt = SGD([Value(0.0)], lr=lr)
    schedule = ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        schedule.step(m)
        assert schedule.get_last_lr() == [opt.param_groups[0]["lr"]]
        out.append(opt.param_groups[0]["lr"])
    return out


def test_plateau_waits_patience_epochs():
    # epoch 1 sets the best; epochs 2-3 are tolerated; the 3rd bad epoch (4) reduces, and the
    # count starts again: 5-6 tolerated, 7 reduces
    lrs = plateau_lrs([1.0] * 7, patience=2, factor=0.5)
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_plateau_improvement_resets_the_count():
    lrs = plateau_lrs([5.0, 5.0, 4.0, 4.0, 3.0, 3.0, 3.0], patience=1, factor=0.5)
    assert lrs == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def test_plateau_cooldown_ignores_bad_epochs():
    # patience 0: a bad epoch reduces at once; then 2 cooldown epochs do not count
    lrs = plateau_lrs([1.0] * 8, patience=0, cooldown=2, factor=0.5)
    assert lrs == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_plateau_never_goes_below_min_lr_and_skips_tiny_changes():
    assert plateau_lrs([1.0] * 5, patience=0, min_lr=0.05) == [1.0, 0.1, 0.05, 0.05, 0.05]
    # a reduction that changes the lr by no more than eps is skipped
    assert plateau_lrs([1.0] * 3, lr=1e-8, patience=0, factor=0.5) == [1e-8] * 3


def test_plateau_thresholds():
    # rel: 0.99995 is not below 1 * (1 - 1e-4), so it is a bad epoch
    assert plateau_lrs([1.0, 0.99995], patience=0) == [1.0, 0.1]
    assert plateau_lrs([1.0, 0.9999], patience=0, threshold=0) == [1.0, 1.0]
    # abs, max mode: must rise by more than 0.5
    assert plateau_lrs([1.0, 1.4, 1.6], mode="max", threshold_mode="abs", threshold=0.5,
                       patience=0) == [1.0, 0.1, 0.1]
    assert plateau_lrs([1.0, 1.0001], mode="max", patience=0) == [1.0, 0.1]


def test_plateau_min_lr_per_group_and_metrics_from_the_engine():
    opt = two_group_sgd()
    schedule = ReduceLROnPlateau(opt, patience=0, factor=0.5, min_lr=[0.4, 0.01])
    schedule.step(Value(2.0))
    schedule.step(Tensor([2.0]))
    schedule.step(np.float32(2.0))
    assert schedule.get_last_lr() == [0.4, 0.075]
    assert schedule.last_epoch == 3


def test_plateau_state_dict_round_trip():
    opt = SGD([Value(0.0)], lr=1.0)
    schedule = ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for m in [3.0, 2.0, 2.0]:
        schedule.step(m)
    saved = schedule.state_dict()
    assert saved["best"] == 2.0 and saved["num_bad_epochs"] == 1
    schedule.step(2.0)
    opt2 = SGD([Value(0.0)], lr=1.0)
    schedule2 = ReduceLROnPlateau(opt2)
    schedule2.load_state_dict(saved)
    schedule2.step(2.0)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == pytest.approx(0.1)
    assert schedule2.state_dict() == schedule.state_dict()


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------

def _opt():
    return Adam([Tensor([1.0], requires_grad=True)], lr=0.1)


@pytest.mark.parametrize("make, error, message", [
    (lambda: StepLR("adam", 3), TypeError, r"StepLR: expected an Optimizer, got str"),
    (lambda: StepLR(_opt(), 0), ValueError, r"StepLR: step_size must be >= 1, got 0"),
    (lambda: StepLR(_opt(), 2.5), TypeError, r"StepLR: step_size must be an integer, got 2.5"),
    (lambda: StepLR(_opt(), 2, gamma=-0.1), ValueError, r"StepLR: gamma must be > 0, got -0.1"),
    (lambda: ExponentialLR(_opt(), gamma=0), ValueError, r"ExponentialLR: gamma must be > 0"),
    (lambda: ExponentialLR(_opt(), 0.9, last_epoch=-2), ValueError, r"last_epoch must be >= -1"),
    (lambda: LinearLR(_opt(), start_factor=0), ValueError,
     r"LinearLR: start_factor must be in \(0, 1\], got 0"),
    (lambda: LinearLR(_opt(), start_factor=1.5), ValueError, r"start_factor must be in \(0, 1\]"),
    (lambda: LinearLR(_opt(), end_factor=1.1), ValueError,
     r"LinearLR: end_factor must be in \[0, 1\], got 1.1"),
    (lambda: LinearLR(_opt(), total_iters=0), ValueError, r"LinearLR: total_iters must be >= 1"),
    (lambda: CosineAnnealingLR(_opt(), T_max=0), ValueError,
     r"CosineAnnealingLR: T_max must be >= 1"),
    (lambda: CosineAnnealingLR(_opt(), T_max=5, eta_min=-1), ValueError, r"eta_min must be >= 0"),
    (lambda: MultiStepLR(_opt(), 5), TypeError, r"MultiStepLR: milestones must be a list of "
     r"epochs, got 5"),
    (lambda: MultiStepLR(_opt(), [3, -1]), ValueError, r"MultiStepLR: a milestone must be >= 0"),
    (lambda: MultiStepLR(_opt(), [2.5]), TypeError, r"a milestone must be an integer, got 2.5"),
    (lambda: LambdaLR(_opt(), 0.9), TypeError,
     r"LambdaLR: lr_lambda must be a function of the epoch, got 0.9"),
    (lambda: LambdaLR([Value(0.0)], [abs]), TypeError,      # not "1 lr_lambdas for 0 groups"
     r"LambdaLR: expected an Optimizer, got list"),
    (lambda: LambdaLR(_opt(), [abs, abs]), ValueError,
     r"LambdaLR: 2 lr_lambdas for 1 parameter group\(s\)"),
    (lambda: LambdaLR(_opt(), lambda e: "fast"), TypeError,
     r"LambdaLR: lr_lambda\(0\) must be a real number, got 'fast'"),
    (lambda: ReduceLROnPlateau(None), TypeError,
     r"ReduceLROnPlateau: expected an Optimizer, got NoneType"),
    (lambda: ReduceLROnPlateau(_opt(), mode="median"), ValueError,
     r"mode must be 'min' or 'max', got 'median'"),
    (lambda: ReduceLROnPlateau(_opt(), threshold_mode="pct"), ValueError,
     r"threshold_mode must be 'rel' or 'abs'"),
    (lambda: ReduceLROnPlateau(_opt(), factor=1.0), ValueError,
     r"factor must be in \[0, 1\), got 1.0"),
    (lambda: ReduceLROnPlateau(_opt(), patience=-1), ValueError, r"patience must be >= 0"),
    (lambda: ReduceLROnPlateau(_opt(), min_lr=[0.1, 0.2]), ValueError,
     r"min_lr has 2 values, the optimizer has 1"),
    (lambda: ReduceLROnPlateau(_opt(), min_lr=-0.1), ValueError, r"min_lr must be >= 0"),
    (lambda: ReduceLROnPlateau(_opt()).step("low"), TypeError,
     r"ReduceLROnPlateau.step: the metric must be a number"),
    (lambda: StepLR(_opt(), 2).load_state_dict({"step_size": 3}), ValueError,
     r"StepLR.load_state_dict: expected the keys"),
    (lambda: ReduceLROnPlateau(_opt()).load_state_dict(StepLR(_opt(), 2).state_dict()), ValueError,
     r"ReduceLROnPlateau.load_state_dict: expected the keys"),
])
def test_bad_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_group_added_after_the_scheduler_is_reported():
    opt = _opt()
    schedule = CosineAnnealingLR(opt, T_max=5)
    opt.add_param_group({"params": [Value(1.0)]})
    with pytest.raises(RuntimeError, match=r"CosineAnnealingLR: the optimizer has 2 parameter "
                                           r"groups, 1 when the scheduler was made"):
        schedule.step()


def test_plateau_with_a_group_added_later():
    opt = SGD([Value(0.0)], lr=1.0)
    one_min = ReduceLROnPlateau(opt, patience=0, min_lr=0.5)
    per_group = ReduceLROnPlateau(opt, patience=0, min_lr=[0.5])
    opt.add_param_group({"params": [Value(0.0)], "lr": 2.0})
    for m in [1.0, 1.0]:
        one_min.step(m)                        # a single min_lr applies to the new group too
    assert one_min.get_last_lr() == [0.5, 0.5]
    with pytest.raises(RuntimeError, match=r"ReduceLROnPlateau: the optimizer has 2 parameter "
                                           r"groups, 1 when the scheduler was made"):
        for m in [1.0, 1.0]:
            per_group.step(m)


def test_every_scheduler_is_an_lr_scheduler():
    opt = _opt()
    for schedule in [StepLR(opt, 2), ExponentialLR(opt, 0.9), LinearLR(opt),
                     CosineAnnealingLR(opt, 3), MultiStepLR(opt, [2]), LambdaLR(opt, abs),
                     ReduceLROnPlateau(opt), ConstantLR(opt), PolynomialLR(opt),
                     MultiplicativeLR(opt, abs), CosineAnnealingWarmRestarts(opt, 2),
                     CyclicLR(opt, 0.1, 1.0), SequentialLR(opt, [StepLR(opt, 2)], []),
                     ChainedScheduler([StepLR(opt, 2)])]:
        assert isinstance(schedule, LRScheduler)


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
# OneCycleLR: PyTorch's lr and momentum at every step (asked live, else as recorded)
# ----------------------------------------------------------------------------------------------

# (optimizer: "sgd" with momentum 0.9 or "adam", one value or one per group, OneCycleLR's
# arguments); every step up to total_steps, the last one PyTorch allows
ONE_CYCLE_CASES = [
    ("sgd", 1, dict(max_lr=1.0, total_steps=10)),
    ("sgd", 2, dict(max_lr=[0.5, 2.0], epochs=3, steps_per_epoch=7, pct_start=0.25,
                    anneal_strategy="linear", base_momentum=0.8, max_momentum=[0.9, 0.99])),
    ("adam", 1, dict(max_lr=0.01, total_steps=40, three_phase=True, div_factor=10.0,
                     final_div_factor=100.0)),
    ("adam", 1, dict(max_lr=0.01, total_steps=25, pct_start=0.5, cycle_momentum=False)),
    ("sgd", 1, dict(max_lr=0.3, total_steps=13, pct_start=0.0)),
]
ONE_CYCLE_IDS = ["two_phase_cos", "linear_two_groups", "three_phase_adam", "adam_no_momentum",
                 "no_warm_up"]


def _one_cycle_run(make_optimizer, make_scheduler, case):
    """lr and momentum (beta1 for Adam) of every group at steps 0 .. total_steps."""
    kind, groups, settings = case
    optimizer = make_optimizer(kind, groups)
    scheduler = make_scheduler(optimizer, **settings)
    lrs, momenta = [], []
    for step in range(scheduler.total_steps + 1):
        if step:
            optimizer.step()
            scheduler.step()
        lrs.append(list(scheduler.get_last_lr()))
        momenta.append([group["betas"][0] if kind == "adam" else group["momentum"]
                        for group in optimizer.param_groups])
    return {"lr": np.array(lrs, dtype=np.float64), "momentum": np.array(momenta, np.float64)}


def one_cycle_glassgrad(case) -> dict[str, np.ndarray]:
    def optimizer(kind, groups):
        params = [{"params": [Value(0.0)]} for _ in range(groups)]
        return SGD(params, lr=0.1, momentum=0.9) if kind == "sgd" else Adam(params, lr=0.1)
    return _one_cycle_run(optimizer, OneCycleLR, case)


def one_cycle_torch(torch, case) -> dict[str, np.ndarray]:
    """The same as `one_cycle_glassgrad`, computed by PyTorch."""
    def optimizer(kind, groups):
        params = [{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(groups)]
        return (torch.optim.SGD(params, lr=0.1, momentum=0.9) if kind == "sgd"
                else torch.optim.Adam(params, lr=0.1))
    return _one_cycle_run(optimizer, torch.optim.lr_scheduler.OneCycleLR, case)


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/lr_scheduler_cycles.npz: OneCycleLR's sequences under each case's id."""
    return record_cases(ONE_CYCLE_IDS, ONE_CYCLE_CASES, lambda rng, case: {},
                        lambda case: one_cycle_torch(torch, case))


@pytest.mark.parametrize("case", ONE_CYCLE_CASES, ids=ONE_CYCLE_IDS)
def test_one_cycle_matches_pytorch(case):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    assert_matches(one_cycle_glassgrad(case), one_cycle_torch(torch, case), rtol=1e-14, atol=0)


@pytest.mark.parametrize("case_id, case", list(zip(ONE_CYCLE_IDS, ONE_CYCLE_CASES)),
                         ids=ONE_CYCLE_IDS)
def test_one_cycle_matches_pytorchs_recorded_sequences(case_id, case):
    assert_matches(one_cycle_glassgrad(case), recorded_case("lr_scheduler_cycles", case_id),
                   rtol=1e-14, atol=0)


def test_one_cycle_shape_of_the_cycle():
    """Warm-up from max_lr / 25 to max_lr by step pct_start · total − 1, down to
    max_lr / 25 / 1e4 at the last step; momentum the mirror image (0.95 → 0.85 → 0.95)."""
    opt = SGD([Value(0.0)], lr=0.1)                           # made without momentum
    schedule = OneCycleLR(opt, max_lr=2.0, total_steps=100)
    lrs, momenta = [], []
    for _ in range(100):
        lrs.append(schedule.get_last_lr()[0])
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()
        schedule.step()
    approx = functools.partial(pytest.approx, rel=1e-14)        # PyTorch's rounding, not exact
    assert lrs[0] == approx(2.0 / 25) and lrs[29] == approx(2.0)
    assert lrs[99] == approx(2.0 / 25 / 1e4)
    assert lrs.index(max(lrs)) == 29 and momenta.index(min(momenta)) == 29
    assert momenta[0] == approx(0.95) and momenta[29] == approx(0.85)
    assert momenta[99] == approx(0.95)
    assert all(a < b for a, b in zip(lrs[:29], lrs[1:30]))
    assert all(a > b for a, b in zip(lrs[29:99], lrs[30:100]))


def test_one_cycle_stepping_past_total_steps_is_an_error():
    opt = SGD([Value(0.0)], lr=0.1, momentum=0.9)
    schedule = OneCycleLR(opt, max_lr=1.0, total_steps=4)
    for _ in range(4):
        schedule.step()                                       # steps 1 .. 4, as PyTorch allows
    with pytest.raises(ValueError, match=r"OneCycleLR: stepped 5 times, but the schedule ends "
                                         r"after total_steps=4"):
        schedule.step()
    assert schedule.last_epoch == 4                           # that step was not taken


@pytest.mark.parametrize("make, error, message", [
    (lambda: OneCycleLR(_opt(), 0.1), ValueError,
     r"OneCycleLR: give total_steps, or both epochs and steps_per_epoch \(got total_steps=None, "
     r"epochs=None, steps_per_epoch=None\)"),
    (lambda: OneCycleLR(_opt(), 0.1, epochs=3), ValueError, r"give total_steps, or both"),
    (lambda: OneCycleLR(_opt(), 0.1, total_steps=0), ValueError,
     r"OneCycleLR: total_steps must be >= 1, got 0"),
    (lambda: OneCycleLR(_opt(), 0.1, epochs=2, steps_per_epoch=2.5), TypeError,
     r"OneCycleLR: steps_per_epoch must be an integer, got 2.5"),
    (lambda: OneCycleLR(_opt(), 0.1, 10, pct_start=1.5), ValueError,
     r"OneCycleLR: pct_start must be in \[0, 1\], got 1.5"),
    (lambda: OneCycleLR(_opt(), 0.1, 10, anneal_strategy="cosine"), ValueError,
     r"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got 'cosine'"),
    (lambda: OneCycleLR(_opt(), [0.1, 0.2], 10), ValueError,
     r"OneCycleLR: max_lr has 2 values, the optimizer has 1 parameter group\(s\)"),
    (lambda: OneCycleLR(_opt(), -0.1, 10), ValueError, r"OneCycleLR: max_lr must be > 0"),
    (lambda: OneCycleLR(_opt(), 0.1, 10, div_factor=0), ValueError,
     r"OneCycleLR: div_factor must be > 0, got 0"),
    (lambda: OneCycleLR(_opt(), 0.1, 10, max_momentum=1.0), ValueError,
     r"OneCycleLR: max_momentum must be in \[0, 1\), got 1.0"),
    (lambda: OneCycleLR(_opt(), 0.1, 10, three_phase="yes"), TypeError,
     r"OneCycleLR: three_phase must be True or False, got 'yes'"),
    (lambda: OneCycleLR(Adagrad([Value(0.0)]), 0.1, 10), ValueError,
     r"OneCycleLR: cycle_momentum=True needs an optimizer with a momentum or betas .*Adagrad "
     r"has neither: pass cycle_momentum=False"),
    (lambda: OneCycleLR(_opt(), 0.1, 10, pct_start=0.1), ValueError,    # warm-up: 0 steps
     r"OneCycleLR: pct_start=0.1 with total_steps=10 makes a phase of no steps, reached at "
     r"step 0 \(PyTorch divides by zero there\); change pct_start"),
    (lambda: OneCycleLR("sgd", 0.1, 10), TypeError, r"OneCycleLR: expected an Optimizer, got str"),
])
def test_one_cycle_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_one_cycle_without_momentum_cycling_works_on_any_optimizer():
    opt = Adagrad([Value(0.0)], lr=0.5)
    schedule = OneCycleLR(opt, max_lr=1.0, total_steps=5, cycle_momentum=False)
    assert schedule.get_last_lr() == [pytest.approx(1.0 / 25, rel=1e-14)]
    assert "momentum" not in opt.param_groups[0]


@pytest.mark.parametrize("key, value", [("step_size", "x"), ("gamma", True),
                                        ("base_lrs", [0.1, 0.2]), ("base_lrs", ["0.1"]),
                                        ("last_epoch", {})])
def test_a_saved_entry_of_the_wrong_kind_is_refused_by_name(key, value):
    schedule = StepLR(_opt(), 2)
    saved = {**schedule.state_dict(), key: value}
    with pytest.raises(ValueError, match=rf"StepLR.load_state_dict: '{key}' is .*expected a "
                                         rf"value of the kind it has now"):
        schedule.load_state_dict(saved)


def test_a_plateau_schedulers_unknown_best_may_come_back_as_a_number():
    schedule = ReduceLROnPlateau(_opt(), patience=1)
    schedule.step(1.0)
    fresh = ReduceLROnPlateau(_opt(), patience=1)
    fresh.load_state_dict(schedule.state_dict())
    assert fresh.state_dict() == schedule.state_dict()


def _cycled(make):
    """A scheduler stepped a few times, on SGD with momentum."""
    schedule = make(SGD([Value(0.0)], lr=1.0, momentum=0.9))
    for _ in range(3):
        schedule.step(*[1.0] * isinstance(schedule, ReduceLROnPlateau))
    return schedule


# a damaged file's numbers are of the right kind but break the constructor's rules: each was
# taken before, and stepping then gave NaN or negative lrs, or raised ZeroDivisionError
@pytest.mark.parametrize("make, key, value, message", [
    (lambda o: StepLR(o, 3), "last_epoch", math.nan, r"last_epoch must be an integer, got nan"),
    (lambda o: StepLR(o, 3), "last_epoch", -7, r"last_epoch must be >= -1, got -7"),
    (lambda o: StepLR(o, 3), "step_size", -2, r"step_size must be >= 1, got -2"),
    (lambda o: StepLR(o, 3), "gamma", -1.0, r"gamma must be > 0, got -1.0"),
    (lambda o: StepLR(o, 3), "base_lrs", [math.nan], r"base_lrs\[0\] must be finite, got nan"),
    (lambda o: StepLR(o, 3), "_initial", True, r"_initial must be False in a saved state"),
    (lambda o: MultiStepLR(o, [2]), "milestones", [2.5], r"milestones\[0\] must be an integer"),
    (lambda o: ExponentialLR(o, 0.9), "gamma", math.nan, r"gamma must be finite, got nan"),
    (lambda o: LinearLR(o), "start_factor", 0.0, r"start_factor must be in \(0, 1\], got 0.0"),
    (lambda o: ConstantLR(o), "total_iters", 0, r"total_iters must be >= 1, got 0"),
    (lambda o: PolynomialLR(o), "power", -1.0, r"power must be >= 0, got -1.0"),
    (lambda o: CosineAnnealingLR(o, 10), "T_max", 0, r"T_max must be >= 1, got 0"),
    (lambda o: CosineAnnealingWarmRestarts(o, 10), "T_cur", 12,
     r"T_cur \(epochs into the period\) must be below T_i"),
    (lambda o: CosineAnnealingWarmRestarts(o, 10), "T_i", 0, r"T_i must be >= 1, got 0"),
    (lambda o: OneCycleLR(o, 1.0, total_steps=10), "anneal_strategy", "cosine",
     r"anneal_strategy must be 'cos' or 'linear', got 'cosine'"),
    (lambda o: OneCycleLR(o, 1.0, total_steps=10), "max_momentums", [1.5],
     r"max_momentums\[0\] must be in \[0, 1\), got 1.5"),
    (lambda o: OneCycleLR(o, 1.0, total_steps=10), "use_beta1", True,
     r"the saved scheduler cycled beta1 \(the Adam family\), this optimizer has momentum"),
    (lambda o: CyclicLR(o, 0.1, 1.0, 4), "total_size", 0.0, r"total_size must be > 0, got 0.0"),
    (lambda o: CyclicLR(o, 0.1, 1.0, 4), "mode", "tri", r"mode must be 'triangular', "),
    (lambda o: ReduceLROnPlateau(o), "factor", 2.0, r"factor must be in \[0, 1\), got 2.0"),
    (lambda o: ReduceLROnPlateau(o), "best", math.nan, r"best must be a number .*got nan"),
    (lambda o: ReduceLROnPlateau(o), "num_bad_epochs", -3, r"num_bad_epochs must be >= 0"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3), StepLR(o, 4)], [3, 5]),
     "_milestones", [5, 3], r"milestones must be in increasing order, got \[5, 3\]"),
])
def test_a_saved_entry_that_breaks_the_constructors_rules_is_refused(make, key, value, message):
    schedule = _cycled(make)
    before = schedule.state_dict()
    with pytest.raises(ValueError, match=rf"{type(schedule).__name__}.load_state_dict: {message}"):
        schedule.load_state_dict({**before, key: value})
    assert schedule.state_dict() == before                      # nothing changed


@pytest.mark.parametrize("make", [
    lambda o: CosineAnnealingWarmRestarts(o, 3, 2),
    lambda o: CyclicLR(o, 0.1, 1.0, 3, mode="own", scale_fn=lambda cycle: 0.5),  # mode unused
    lambda o: ReduceLROnPlateau(o, min_lr=[0.01]),                # default_min_lr is None
], ids=["warm_restarts", "cyclic_own_scale_fn", "plateau_min_lr_list"])
def test_the_rules_take_every_state_a_scheduler_saves(make):
    schedule = _cycled(make)
    if isinstance(schedule, CosineAnnealingWarmRestarts):
        schedule.step(4.25)                                     # T_cur = 1.25, fractional
    fresh = make(SGD([Value(0.0)], lr=1.0, momentum=0.9))
    fresh.load_state_dict(schedule.state_dict())
    assert fresh.state_dict() == schedule.state_dict()


# ----------------------------------------------------------------------------------------------
# ConstantLR, PolynomialLR, MultiplicativeLR, CosineAnnealingWarmRestarts, CyclicLR, SequentialLR,
# ChainedScheduler: hand-computed sequences (for lr_0 = 1; each group is scaled by its own lr_0)
# ----------------------------------------------------------------------------------------------

R = math.sqrt(0.5)                      # cos(π/4)
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
                         ids=["constant", "constant-default", "polynomial-default",
                              "polynomial-squared", "polynomial-root", "multiplicative-factorial",
                              "multiplicative-half", "warm-restarts-doubling",
                              "warm-restarts-fixed", "sequential-warm-up", "sequential-cosine",
                              "sequential-three", "chained", "chained-linear-step"])
def test_later_schedules_follow_hand_computed_sequences(make, factors):
    scheduler = make(two_group_sgd())
    for epoch, lrs in enumerate(lrs_over(scheduler, len(factors))):
        expected = [base * factors[epoch] for base in BASE_LRS]
        np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15, err_msg=f"epoch {epoch}")


def cyclic_run(steps, optimizer=None, **settings):
    opt = optimizer or SGD([Value(0.0)], lr=5.0, momentum=0.5)
    schedule = CyclicLR(opt, **settings)
    lrs, momenta = [], []
    for _ in range(steps):
        lrs.append(schedule.get_last_lr()[0])
        group = opt.param_groups[0]
        momenta.append(group["betas"][0] if "betas" in group else group["momentum"])
        opt.step()
        schedule.step()
    return lrs, momenta


def test_cyclic_lr_modes():
    # triangular: 0.1 → 0.5 in 2 steps and back; momentum 0.9 → 0.8 the other way
    lrs, momenta = cyclic_run(9, base_lr=0.1, max_lr=0.5, step_size_up=2)
    np.testing.assert_allclose(lrs, [0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3, 0.1], rtol=1e-14)
    np.testing.assert_allclose(momenta, [0.9, 0.85, 0.8, 0.85, 0.9, 0.85, 0.8, 0.85, 0.9],
                               rtol=1e-14)
    # triangular2: the height halves each cycle
    lrs, _ = cyclic_run(9, base_lr=0.1, max_lr=0.5, step_size_up=2, mode="triangular2")
    np.testing.assert_allclose(lrs, [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3, 0.2, 0.1], rtol=1e-14)
    # exp_range: the height times gammaᵉ at step e (here 1 step up, 1 down)
    lrs, _ = cyclic_run(6, base_lr=0.1, max_lr=0.5, step_size_up=1, mode="exp_range", gamma=0.5)
    np.testing.assert_allclose(lrs, [0.1, 0.3, 0.1, 0.15, 0.1, 0.1125], rtol=1e-14)
    # up 1 step, down 3: 0.1, 0.5, then down by thirds
    lrs, _ = cyclic_run(6, base_lr=0.1, max_lr=0.4, step_size_up=1, step_size_down=3)
    np.testing.assert_allclose(lrs, [0.1, 0.4, 0.3, 0.2, 0.1, 0.4], rtol=1e-14)


def test_cyclic_lr_scale_fn_and_adams_beta1():
    # a function of the cycle (1, 2, ...) replaces the mode; of the step with "iterations"
    lrs, _ = cyclic_run(7, base_lr=0.0, max_lr=1.0, step_size_up=1, scale_fn=lambda c: 1 / c,
                        mode="ignored")
    np.testing.assert_allclose(lrs, [0, 1, 0, 0.5, 0, 1 / 3, 0], atol=1e-15)
    lrs, _ = cyclic_run(4, base_lr=0.0, max_lr=1.0, step_size_up=1,
                        scale_fn=lambda e: 1 / (1 + e), scale_mode="iterations")
    np.testing.assert_allclose(lrs, [0, 0.5, 0, 0.25], atol=1e-15)
    adam = Adam([Value(0.0)], lr=0.01, betas=(0.9, 0.99))
    lrs, beta1 = cyclic_run(3, optimizer=adam, base_lr=0.1, max_lr=0.2, step_size_up=2,
                            base_momentum=0.7, max_momentum=0.95)
    np.testing.assert_allclose(beta1, [0.95, 0.825, 0.7], rtol=1e-14)
    assert adam.param_groups[0]["betas"][1] == 0.99


def test_cyclic_lr_per_group_bounds_and_no_momentum():
    opt = Adagrad([{"params": [Value(0.0)]}, {"params": [Value(0.0)]}], lr=3.0)
    schedule = CyclicLR(opt, base_lr=[0.1, 0.2], max_lr=[1.1, 0.4], step_size_up=1,
                        cycle_momentum=False)
    assert schedule.get_last_lr() == [0.1, 0.2] == [g["lr"] for g in opt.param_groups]
    schedule.step()
    assert schedule.get_last_lr() == [1.1, pytest.approx(0.4, rel=1e-15)]
    assert "momentum" not in opt.param_groups[0]


def test_cyclic_lr_saves_no_scale_fn():
    settings = dict(base_lr=0.1, max_lr=1.0, step_size_up=3, scale_fn=lambda c: 0.5 ** c)
    schedule = CyclicLR(SGD([Value(0.0)], lr=0.1), **settings)
    for _ in range(4):
        schedule.step()
    assert "custom_scale_fn" not in schedule.state_dict()
    again = CyclicLR(SGD([Value(0.0)], lr=0.1), **settings)
    again.load_state_dict(schedule.state_dict())
    schedule.step(); again.step()
    assert again.get_last_lr() == schedule.get_last_lr() and again.last_epoch == 5


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


def _sgd():
    return SGD([Value(0.0)], lr=0.1, momentum=0.9)


@pytest.mark.parametrize("make, error, message", [
    (lambda: ConstantLR(_opt(), factor=0), ValueError, r"ConstantLR: factor must be in \(0, 1\], "
     r"got 0"),
    (lambda: ConstantLR(_opt(), factor=1.5), ValueError, r"ConstantLR: factor must be in"),
    (lambda: ConstantLR(_opt(), total_iters=0), ValueError,
     r"ConstantLR: total_iters must be >= 1, got 0"),
    (lambda: ConstantLR("sgd"), TypeError, r"ConstantLR: expected an Optimizer, got str"),
    (lambda: PolynomialLR(_opt(), total_iters=2.5), TypeError,
     r"PolynomialLR: total_iters must be an integer, got 2.5"),
    (lambda: PolynomialLR(_opt(), power=-1), ValueError, r"PolynomialLR: power must be >= 0, "
     r"got -1"),
    (lambda: MultiplicativeLR(_opt(), 0.95), TypeError,
     r"MultiplicativeLR: lr_lambda must be a function of the epoch, got 0.95"),
    (lambda: MultiplicativeLR(_opt(), [abs, abs]), ValueError,
     r"MultiplicativeLR: 2 lr_lambdas for 1 parameter group\(s\)"),
    (lambda: MultiplicativeLR(_opt(), lambda e: None).step(), TypeError,
     r"MultiplicativeLR: lr_lambda\(1\) must be a real number, got None"),
    (lambda: CosineAnnealingWarmRestarts(_opt(), T_0=0), ValueError,
     r"CosineAnnealingWarmRestarts: T_0 must be >= 1, got 0"),
    (lambda: CosineAnnealingWarmRestarts(_opt(), 5, T_mult=1.5), TypeError,
     r"CosineAnnealingWarmRestarts: T_mult must be an integer, got 1.5"),
    (lambda: CosineAnnealingWarmRestarts(_opt(), 5, eta_min=-0.1), ValueError,
     r"CosineAnnealingWarmRestarts: eta_min must be >= 0, got -0.1"),
    (lambda: CosineAnnealingWarmRestarts(_opt(), 5).step(-1), ValueError,
     r"CosineAnnealingWarmRestarts.step: epoch must be >= 0, got -1"),
    (lambda: CosineAnnealingWarmRestarts(_opt(), 5).step("3"), TypeError,
     r"CosineAnnealingWarmRestarts.step: epoch must be a real number, got '3'"),
    (lambda: CyclicLR(_sgd(), -0.1, 1.0), ValueError, r"CyclicLR: base_lr must be >= 0, got -0.1"),
    (lambda: CyclicLR(_sgd(), 0.1, [1.0, 2.0]), ValueError,
     r"CyclicLR: max_lr has 2 values, the optimizer has 1 parameter group\(s\)"),
    (lambda: CyclicLR(_sgd(), 0.1, 1.0, step_size_up=0), ValueError,
     r"CyclicLR: step_size_up must be >= 1, got 0"),
    (lambda: CyclicLR(_sgd(), 0.1, 1.0, step_size_down=-2), ValueError,
     r"CyclicLR: step_size_down must be >= 0, got -2"),
    (lambda: CyclicLR(_sgd(), 0.1, 1.0, mode="triangle"), ValueError,
     r"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' \(or give scale_fn\), "
     r"got 'triangle'"),
    (lambda: CyclicLR(_sgd(), 0.1, 1.0, scale_mode="epoch"), ValueError,
     r"CyclicLR: scale_mode must be 'cycle' or 'iterations', got 'epoch'"),
    (lambda: CyclicLR(_sgd(), 0.1, 1.0, scale_fn=0.5), TypeError,
     r"CyclicLR: scale_fn must be a function of the cycle or the step, got 0.5"),
    (lambda: CyclicLR(_sgd(), 0.1, 1.0, gamma=0), ValueError, r"CyclicLR: gamma must be > 0"),
    (lambda: CyclicLR(_sgd(), 0.1, 1.0, max_momentum=1.0), ValueError,
     r"CyclicLR: max_momentum must be in \[0, 1\), got 1.0"),
    (lambda: CyclicLR(_sgd(), 0.1, 1.0, cycle_momentum=1), TypeError,
     r"CyclicLR: cycle_momentum must be True or False, got 1"),
    (lambda: CyclicLR(Adagrad([Value(0.0)]), 0.1, 1.0), ValueError,
     r"CyclicLR: cycle_momentum=True needs an optimizer with a momentum or betas .*Adagrad has "
     r"neither: pass cycle_momentum=False"),
    (lambda: CyclicLR(None, 0.1, 1.0), TypeError, r"CyclicLR: expected an Optimizer, got NoneType"),
    (lambda: SequentialLR(_sgd(), [], []), ValueError,
     r"SequentialLR: expected at least one scheduler, got none"),
    (lambda: SequentialLR(_sgd(), StepLR(_sgd(), 2), []), TypeError,
     r"SequentialLR: schedulers must be a list of schedulers, got <"),
    (lambda: SequentialLR(_sgd(), ["cosine"], []), TypeError,
     r"SequentialLR: schedulers\[0\] is a str, expected a learning-rate scheduler"),
    (lambda: SequentialLR(_sgd(), [StepLR(_sgd(), 2)], []), ValueError,
     r"SequentialLR: schedulers\[0\] \(StepLR\) was made for another optimizer"),
    (lambda: (lambda o: SequentialLR(o, [StepLR(o, 2), ReduceLROnPlateau(o)], [3]))(_sgd()),
     ValueError, r"SequentialLR: schedulers\[1\] is a ReduceLROnPlateau, which steps on a metric"),
    (lambda: (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], []))(_sgd()), ValueError,
     r"SequentialLR: 2 schedulers need 1 milestone\(s\), got 0"),
    (lambda: (lambda o: SequentialLR(o, [StepLR(o, 2)] * 3, [5, 2]))(_sgd()), ValueError,
     r"SequentialLR: milestones must be in increasing order, got \[5, 2\]"),
    (lambda: (lambda o: SequentialLR(o, [StepLR(o, 2)] * 2, [2.5]))(_sgd()), TypeError,
     r"SequentialLR: a milestone must be an integer, got 2.5"),
    (lambda: (lambda o: SequentialLR(o, [StepLR(o, 2)], [], last_epoch=4))(_sgd()), ValueError,
     r"SequentialLR: resuming with last_epoch=4 is not supported"),
    (lambda: SequentialLR("sgd", [StepLR(_sgd(), 2)], []), TypeError,
     r"SequentialLR: expected an Optimizer, got str"),
    (lambda: ChainedScheduler([]), ValueError,
     r"ChainedScheduler: expected at least one scheduler, got none"),
    (lambda: ChainedScheduler([StepLR(_sgd(), 2), StepLR(_sgd(), 2)]), ValueError,
     r"ChainedScheduler: schedulers\[1\] \(StepLR\) was made for another optimizer"),
    (lambda: ChainedScheduler([StepLR(_sgd(), 2)], optimizer=_sgd()), ValueError,
     r"ChainedScheduler: schedulers\[0\] \(StepLR\) was made for another optimizer"),
    (lambda: ChainedScheduler([StepLR(_sgd(), 2)], optimizer="sgd"), TypeError,
     r"ChainedScheduler: expected an Optimizer, got str"),
    (lambda: ChainedScheduler([ReduceLROnPlateau(_sgd())]), ValueError,
     r"ChainedScheduler: schedulers\[0\] is a ReduceLROnPlateau"),
    (lambda: (lambda o: ChainedScheduler([StepLR(o, 2)]).load_state_dict(
        ChainedScheduler([StepLR(o, 2), StepLR(o, 3)]).state_dict()))(_sgd()), ValueError,
     r"ChainedScheduler.load_state_dict: expected the states of 1 scheduler\(s\) under "
     r"'_schedulers' \(a ChainedScheduler's state_dict\(\)\), got 2"),
    (lambda: (lambda o: SequentialLR(o, [StepLR(o, 2)], []).load_state_dict(
        StepLR(o, 2).state_dict()))(_sgd()), ValueError,
     r"SequentialLR.load_state_dict: expected the states of 1 scheduler\(s\) under '_schedulers'"),
    (lambda: (lambda o: SequentialLR(o, [StepLR(o, 2)], []).load_state_dict(
        SequentialLR(o, [ExponentialLR(o, 0.9)], []).state_dict()))(_sgd()), ValueError,
     r"StepLR.load_state_dict: expected the keys"),
])
def test_later_schedulers_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


# ----------------------------------------------------------------------------------------------
# The later schedulers against PyTorch's get_last_lr() (and momentum), two groups, 30 steps
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
    "cyclic-adam": lambda m, o: m.CyclicLR(o, 0.01, [0.5, 0.2], step_size_up=4),
    "cyclic_triangular2-adam": lambda m, o: m.CyclicLR(
        o, [0.01, 0.02], 0.5, step_size_up=3, step_size_down=5, mode="triangular2",
        base_momentum=[0.8, 0.85], max_momentum=0.95),
    "cyclic_exp_range-adam": lambda m, o: m.CyclicLR(o, 0.01, 0.5, step_size_up=4,
                                                     mode="exp_range", gamma=0.97),
    "cyclic_scale_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.5, step_size_up=3,
                                               scale_fn=lambda x: 1 / (1 + x),
                                               scale_mode="iterations", cycle_momentum=False),
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


def _lr_and_momentum_over(module, optimizer, make, epochs=None, steps=30):
    scheduler = make(module, optimizer)
    lrs, momenta = [], []
    for k in range(steps if epochs is None else len(epochs)):
        lrs.append(list(scheduler.get_last_lr()))
        momenta.append([g["betas"][0] if "betas" in g else g["momentum"]
                        for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step(*([] if epochs is None else [epochs[k]]))
    return {"lr": np.array(lrs, np.float64), "momentum": np.array(momenta, np.float64)}


def _both(torch, kind):
    groups = [(1.0, Value(0.0), torch.zeros(1, requires_grad=True)),
              (0.3, Value(0.0), torch.zeros(1, requires_grad=True))]
    ours = [{"params": [v], "lr": lr} for lr, v, _ in groups]
    theirs = [{"params": [t], "lr": lr} for lr, _, t in groups]
    if kind == "sgd":
        return SGD(ours, lr=0.1, momentum=0.9), torch.optim.SGD(theirs, lr=0.1, momentum=0.9)
    return Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)


@pytest.mark.parametrize("case", [(name, kind) for name in AGAINST_PYTORCH for kind in
                                  (["sgd", "adam"] if name.endswith("-adam") else ["sgd"])],
                         ids=lambda case: "-".join(case).replace("-adam-", "-"))
def test_later_schedulers_match_pytorch(case):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    name, kind = case
    ours, theirs = _both(torch, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                    # PyTorch's step-order hints
        expected = _lr_and_momentum_over(torch.optim.lr_scheduler, theirs, AGAINST_PYTORCH[name])
    assert_matches(_lr_and_momentum_over(lr_scheduler, ours, AGAINST_PYTORCH[name]), expected,
                   rtol=1e-14, atol=0)


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


_PYTORCH_COUNTERS = {"_step_count": 1, "_get_lr_called_within_step": False, "_is_initial": False}


def _as_pytorch_keeps_it(state: dict) -> dict:
    """A glassgrad scheduler's state_dict() in the form torch.optim.lr_scheduler's has (PyTorch
    2's keys, a MultiStepLR's milestones a Counter), as a `.pt` file of PyTorch's brings it."""
    torch_state = {k: v for k, v in state.items() if k != "_initial"}
    if "milestones" in state:
        torch_state["milestones"] = dict(collections.Counter(state["milestones"]))
    if set(state) == {"base_lrs", "last_epoch", "_initial", "_last_lr"}:     # LambdaLR's
        torch_state["lr_lambdas"] = [None] * len(state["base_lrs"])
    if "mode" in state:                                         # ReduceLROnPlateau
        return {**torch_state, "mode_worse": math.inf}
    return {**torch_state, **_PYTORCH_COUNTERS}


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=3),
    lambda o: lr_scheduler.StepLR(o, 2),
    lambda o: lr_scheduler.MultiStepLR(o, [1, 3, 3, 6], gamma=0.5),
    lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.9 ** epoch),
])
def test_a_pytorch_schedulers_state_dict_loads_and_continues_the_schedule(make):
    """torch.optim.lr_scheduler's state dicts count calls under keys of their own, keep a
    MultiStepLR's milestones as a Counter {epoch: count} and a LambdaLR's functions as None:
    translated on loading, so a run trained in PyTorch resumes here. They were refused ("start
    the scheduler afresh")."""
    schedule = make(two_group_sgd())
    lrs_over(schedule, 2)
    saved = schedule.state_dict()
    uninterrupted = lrs_over(schedule, 8)
    resumed = make(two_group_sgd())
    resumed.load_state_dict(_as_pytorch_keeps_it(saved))
    for group, lr in zip(resumed.optimizer.param_groups, saved["_last_lr"]):
        group["lr"] = lr                                # (the optimizer's state, loaded too)
    assert resumed.state_dict() == saved
    assert lrs_over(resumed, 8) == uninterrupted
    plateau = lr_scheduler.ReduceLROnPlateau(_opt(), patience=0)
    for loss in (1.0, 2.0, 3.0):
        plateau.step(loss)
    resumed = lr_scheduler.ReduceLROnPlateau(_opt(), patience=0)
    resumed.load_state_dict(_as_pytorch_keeps_it(plateau.state_dict()))   # with mode_worse
    assert resumed.state_dict() == plateau.state_dict()


@pytest.mark.parametrize("as_saved", [dict, _as_pytorch_keeps_it], ids=["ours", "pytorch"])
def test_multistep_lr_takes_the_saved_milestones_however_many(as_saved):
    """A resumed MultiStepLR goes on with the saved milestones, as PyTorch's does, whatever
    milestones it was made with: a saved state with another number of them was refused ("a
    value of the kind it has now")."""
    schedule = MultiStepLR(SGD([Value(0.0)], lr=1.0), [6, 3, 1, 3], gamma=0.5)
    lrs_over(schedule, 2)
    resumed = MultiStepLR(SGD([Value(0.0)], lr=0.5), [10], gamma=0.1)
    resumed.load_state_dict(as_saved(schedule.state_dict()))
    assert resumed.milestones == [1, 3, 3, 6] and resumed.gamma == 0.5
    # PyTorch 2.13's MultiStepLR, resumed the same way, gives these (checked by hand)
    assert [lrs[0] for lrs in lrs_over(resumed, 8)] == [0.5, 0.125, 0.125, 0.125] + [0.0625] * 4
    for damaged in (7, {3: 1.5}, "1, 3"):           # still not a list of epochs: refused
        with pytest.raises(ValueError, match=r"'milestones' is .*, expected a value of the kind"):
            resumed.load_state_dict({**schedule.state_dict(), "milestones": damaged})
    with pytest.raises(ValueError, match=r"expected the keys"):     # another scheduler's state
        resumed.load_state_dict(StepLR(SGD([Value(0.0)], lr=1.0), 2).state_dict())


def test_a_pytorch_state_dict_this_scheduler_cannot_take_is_named_as_such():
    """PyTorch's OneCycleLR keeps its phases, and other entries: the error says to start
    afresh; glassgrad's own mistakes get no such hint."""
    schedule = lr_scheduler.OneCycleLR(_opt(), max_lr=0.1, total_steps=10)
    torch_state = {**_as_pytorch_keeps_it(schedule.state_dict()), "_schedule_phases": []}
    with pytest.raises(ValueError, match=r"load_state_dict: expected the keys .*; this looks "
                                         r"like a PyTorch scheduler's state_dict, and this "
                                         r"scheduler keeps other entries in glassgrad: start it "
                                         r"afresh"):
        schedule.load_state_dict(torch_state)
    with pytest.raises(ValueError) as own_mistake:
        lr_scheduler.StepLR(_opt(), 2).load_state_dict({"step_size": 3})
    assert "PyTorch" not in str(own_mistake.value)


@pytest.mark.parametrize("make, step", [
    (lambda o: lr_scheduler.StepLR(o, 2), lambda s: s.step(5)),
    (lambda o: lr_scheduler.ExponentialLR(o, 0.9), lambda s: s.step(epoch=3)),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o), lambda s: s.step(1.0, 3)),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(o), lr_scheduler.StepLR(o, 2)],
                                         [3]), lambda s: s.step(4)),
])
def test_pytorchs_deprecated_step_epoch_is_refused_saying_what_to_write(make, step):
    """PyTorch still takes step(epoch) (with a warning) and jumps there; here it was Python's
    'takes 1 positional argument but 2 were given', naming the base class."""
    scheduler = make(SGD([Tensor(np.zeros(2), requires_grad=True)], lr=0.1))
    name = type(scheduler).__name__
    with pytest.raises(TypeError, match=rf"^{name}\.step: an epoch argument \(PyTorch's "
                                        rf"deprecated step\(epoch\)\) is not taken: call step\(\) "
                                        rf"once per epoch"):
        step(scheduler)


def test_a_plateau_metric_of_many_numbers_is_named_by_the_scheduler():
    scheduler = lr_scheduler.ReduceLROnPlateau(SGD([Tensor(np.zeros(2), requires_grad=True)],
                                                   lr=0.1))
    with pytest.raises(ValueError, match=r"^ReduceLROnPlateau\.step: the metric must be one "
                                         r"number, got a tensor of shape \(2,\)"):
        scheduler.step(Tensor(np.ones(2)))
    scheduler.step(Tensor([2.0]))
    scheduler.step(Value(1.0))
    assert scheduler.best == 1.0


# ----------------------------------------------------------------------------------------------
# The order of the calls in a training loop
# ----------------------------------------------------------------------------------------------

ORDER_WARNING = r"StepLR.step\(\) was called before optimizer.step\(\): the first learning " \
                r"rate of the schedule \(\[0.1\]\) is skipped.*call optimizer.step\(\) first"


@pytest.mark.filterwarnings("error")
def test_scheduler_stepped_before_the_optimizer_warns_once():
    """`scheduler.step()` written before `optimizer.step()` in the loop skips the schedule's
    first lr, silently (PyTorch warns); now it warns, once, naming both calls."""
    w = Tensor([1.0], requires_grad=True)
    optimizer = SGD([w], lr=0.1)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    lrs = []
    with pytest.warns(UserWarning, match=ORDER_WARNING):
        for _ in range(3):
            w.grad = np.array([1.0])
            scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
    assert lrs == [0.05, 0.025, 0.0125]             # 0.1 was never used
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()                            # once per optimizer


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("make", [
    lambda opt: StepLR(opt, step_size=1),
    lambda opt: CosineAnnealingWarmRestarts(opt, T_0=2),
    lambda opt: SequentialLR(opt, [ConstantLR(opt), ExponentialLR(opt, 0.9)], milestones=[2]),
    lambda opt: ChainedScheduler([ConstantLR(opt), ExponentialLR(opt, 0.9)]),
    lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=5),
])
def test_the_loops_order_gives_no_warning(make):
    """optimizer.step() then scheduler.step(): no warning from any scheduler, nor from the
    scheduler made and stepped by hand at epoch 0 (its constructor's own step)."""
    w = Tensor([1.0], requires_grad=True)
    optimizer = SGD([w], lr=0.1, momentum=0.9)
    scheduler = make(optimizer)
    for _ in range(4):
        w.grad = np.array([1.0])
        optimizer.step()
        scheduler.step()


@pytest.mark.parametrize("make, name", [
    (lambda opt: CosineAnnealingWarmRestarts(opt, T_0=2), "CosineAnnealingWarmRestarts"),
    (lambda opt: SequentialLR(opt, [ConstantLR(opt), ExponentialLR(opt, 0.9)], milestones=[2]),
     "SequentialLR"),
    (lambda opt: ChainedScheduler([ConstantLR(opt), ExponentialLR(opt, 0.9)]),
     "ChainedScheduler"),
])
def test_every_scheduler_warns_in_its_own_name(make, name):
    optimizer = SGD([Tensor([1.0], requires_grad=True)], lr=0.1)
    scheduler = make(optimizer)
    with pytest.warns(UserWarning) as caught:
        scheduler.step()
    assert [str(w.message).split(".step()")[0] for w in caught] == [name]


@pytest.mark.filterwarnings("error")
def test_an_optimizer_with_its_own_step_counts_as_stepped():
    """A subclass that writes its own step() (as LBFGS does, or a user's optimizer) is seen to
    have stepped too: no false warning."""
    class SignDescent(SGD):
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.data -= group["lr"] * np.sign(p.grad)

    w = Tensor([1.0, -2.0], requires_grad=True)
    optimizer = SignDescent([w], lr=0.1)
    scheduler = StepLR(optimizer, step_size=1)
    w.grad = np.array([1.0, -1.0])
    optimizer.step()
    scheduler.step()
    np.testing.assert_allclose(w.data, [0.9, -1.9])
