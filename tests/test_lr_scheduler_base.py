"""nn/optim/lr_scheduler/base.py, what every scheduler shares: the first lr set at once,
composing with other changes to the lr, resuming at last_epoch, state dicts that round-trip (every
scheduler) and are checked on loading, PyTorch's state dicts, step(epoch) refused, and the order
of the calls in a training loop."""

from __future__ import annotations

import collections
import math
import warnings

import numpy as np
import pytest

from autograd import Tensor, Value
from nn.optim import SGD, lr_scheduler
from nn.optim.lr_scheduler import (
    ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR,
    ExponentialLR, LambdaLR, LinearLR, LRScheduler, MultiplicativeLR, MultiStepLR, OneCycleLR,
    PolynomialLR, ReduceLROnPlateau, SequentialLR, StepLR,
)

from lr_scheduler_helpers import BASE_LRS, _opt, lrs_over, two_group_sgd

# Most tests here step schedules alone, to read their lrs, so their optimizers never step:
# the warning of a scheduler stepped before its optimizer (tested on its own at the end) is
# expected there, and would only clutter the output
pytestmark = pytest.mark.filterwarnings("ignore:.*was called before optimizer.step")


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


def test_a_group_added_after_the_scheduler_is_reported():
    opt = _opt()
    schedule = CosineAnnealingLR(opt, T_max=5)
    opt.add_param_group({"params": [Value(1.0)]})
    with pytest.raises(RuntimeError, match=r"CosineAnnealingLR: the optimizer has 2 parameter "
                                           r"groups, 1 when the scheduler was made"):
        schedule.step()


def test_every_scheduler_is_an_lr_scheduler():
    opt = _opt()
    for schedule in [StepLR(opt, 2), ExponentialLR(opt, 0.9), LinearLR(opt),
                     CosineAnnealingLR(opt, 3), MultiStepLR(opt, [2]), LambdaLR(opt, abs),
                     ReduceLROnPlateau(opt), ConstantLR(opt), PolynomialLR(opt),
                     MultiplicativeLR(opt, abs), CosineAnnealingWarmRestarts(opt, 2),
                     CyclicLR(opt, 0.1, 1.0), SequentialLR(opt, [StepLR(opt, 2)], []),
                     ChainedScheduler([StepLR(opt, 2)])]:
        assert isinstance(schedule, LRScheduler)


# ----------------------------------------------------------------------------------------------
# Loading a saved state: each entry's kind and the constructor's rules
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, value", [("step_size", "x"), ("gamma", True),
                                        ("base_lrs", [0.1, 0.2]), ("base_lrs", ["0.1"]),
                                        ("last_epoch", {})])
def test_a_saved_entry_of_the_wrong_kind_is_refused_by_name(key, value):
    schedule = StepLR(_opt(), 2)
    saved = {**schedule.state_dict(), key: value}
    with pytest.raises(ValueError, match=rf"StepLR.load_state_dict: '{key}' is .*expected a "
                                         rf"value of the kind it has now"):
        schedule.load_state_dict(saved)


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
# PyTorch's state dicts, and its deprecated step(epoch)
# ----------------------------------------------------------------------------------------------

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
