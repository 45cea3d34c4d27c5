"""nn/optim/lr_scheduler/arguments.py: a bad argument to any scheduler raises where it is given,
naming the scheduler, the setting, the value and what was expected."""

from __future__ import annotations

import pytest

from autograd import Value
from nn.optim import Adagrad
from nn.optim.lr_scheduler import (
    ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR,
    ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, OneCycleLR, PolynomialLR,
    ReduceLROnPlateau, SequentialLR, StepLR,
)

from lr_scheduler_helpers import _opt, _sgd

# Most tests here step schedules alone, to read their lrs, so their optimizers never step:
# the warning of a scheduler stepped before its optimizer (tested on its own in
# test_lr_scheduler_base.py) is expected there, and would only clutter the output
pytestmark = pytest.mark.filterwarnings("ignore:.*was called before optimizer.step")


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
