"""nn/optim/lr_scheduler/plateau.py: ReduceLROnPlateau's patience, threshold, cooldown and
min_lr, the metrics it takes, a group added later, and its state dict."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value
from nn.optim import SGD, lr_scheduler
from nn.optim.lr_scheduler import ReduceLROnPlateau

from lr_scheduler_helpers import _opt, two_group_sgd


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


def test_a_plateau_schedulers_unknown_best_may_come_back_as_a_number():
    schedule = ReduceLROnPlateau(_opt(), patience=1)
    schedule.step(1.0)
    fresh = ReduceLROnPlateau(_opt(), patience=1)
    fresh.load_state_dict(schedule.state_dict())
    assert fresh.state_dict() == schedule.state_dict()


def test_a_plateau_metric_of_many_numbers_is_named_by_the_scheduler():
    scheduler = lr_scheduler.ReduceLROnPlateau(SGD([Tensor(np.zeros(2), requires_grad=True)],
                                                   lr=0.1))
    with pytest.raises(ValueError, match=r"^ReduceLROnPlateau\.step: the metric must be one "
                                         r"number, got a tensor of shape \(2,\)"):
        scheduler.step(Tensor(np.ones(2)))
    scheduler.step(Tensor([2.0]))
    scheduler.step(Value(1.0))
    assert scheduler.best == 1.0
