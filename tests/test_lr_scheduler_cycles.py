"""nn/optim/lr_scheduler/cycles.py: OneCycleLR against PyTorch's sequences (asked live where torch
is installed, else as recorded in tests/reference/lr_scheduler_cycles.npz) and the shape of its
cycle; CyclicLR's modes, scale functions, bounds per group and momenta, and against PyTorch's."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from autograd import Value
from nn.optim import SGD, Adagrad, Adam
from nn.optim.lr_scheduler import CyclicLR, OneCycleLR

from lr_scheduler_helpers import assert_matches_pytorch, pytorch_case_id, pytorch_cases
from reference import assert_matches, record_cases, recorded_case

# Most tests here step schedules alone, to read their lrs, so their optimizers never step:
# the warning of a scheduler stepped before its optimizer (tested on its own in
# test_lr_scheduler_base.py) is expected there, and would only clutter the output
pytestmark = pytest.mark.filterwarnings("ignore:.*was called before optimizer.step")


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


def test_one_cycle_without_momentum_cycling_works_on_any_optimizer():
    opt = Adagrad([Value(0.0)], lr=0.5)
    schedule = OneCycleLR(opt, max_lr=1.0, total_steps=5, cycle_momentum=False)
    assert schedule.get_last_lr() == [pytest.approx(1.0 / 25, rel=1e-14)]
    assert "momentum" not in opt.param_groups[0]


# ----------------------------------------------------------------------------------------------
# CyclicLR
# ----------------------------------------------------------------------------------------------

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


# ----------------------------------------------------------------------------------------------
# Against PyTorch's get_last_lr() and momentum, two groups, 30 steps
# ----------------------------------------------------------------------------------------------

# each factory takes the scheduler module (glassgrad's or PyTorch's: the same names and
# arguments) and an optimizer; "adam": also with Adam, whose beta1 CyclicLR cycles
AGAINST_PYTORCH = {
    "cyclic-adam": lambda m, o: m.CyclicLR(o, 0.01, [0.5, 0.2], step_size_up=4),
    "cyclic_triangular2-adam": lambda m, o: m.CyclicLR(
        o, [0.01, 0.02], 0.5, step_size_up=3, step_size_down=5, mode="triangular2",
        base_momentum=[0.8, 0.85], max_momentum=0.95),
    "cyclic_exp_range-adam": lambda m, o: m.CyclicLR(o, 0.01, 0.5, step_size_up=4,
                                                     mode="exp_range", gamma=0.97),
    "cyclic_scale_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.5, step_size_up=3,
                                               scale_fn=lambda x: 1 / (1 + x),
                                               scale_mode="iterations", cycle_momentum=False),
}


@pytest.mark.parametrize("case", pytorch_cases(AGAINST_PYTORCH), ids=pytorch_case_id)
def test_later_schedulers_match_pytorch(case):
    name, kind = case
    assert_matches_pytorch(AGAINST_PYTORCH[name], kind)
