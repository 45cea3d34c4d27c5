"""Learning-rate schedules: change each parameter group's `lr` as training goes on (PyTorch's).

Call `scheduler.step()` once per epoch (or per batch, if that is your unit), after
`optimizer.step()`. Making a scheduler sets the lr of epoch 0 at once; `last_epoch` counts the
steps taken, `get_last_lr()` gives the lrs now in force.

Like PyTorch's, each step multiplies the current lr by the ratio of consecutive values of the
schedule (the closed form in each docstring), so that a schedule composes with other changes to
the lr, e.g. two schedulers on one optimizer, or `ReduceLROnPlateau` alongside a decay.

One family of schedules a file, simple before complex (import them all from here):

    base.py         LRScheduler, the base class: the epoch count, step(), get_last_lr(),
                    resuming at last_epoch, state_dict() and load_state_dict() (PyTorch's too)
    arguments.py    the rules each setting is checked by, when given and when loaded
    closed_form.py  a formula of the epoch: StepLR, MultiStepLR, ExponentialLR, LinearLR,
                    ConstantLR, PolynomialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts;
                    your own function of it: LambdaLR, MultiplicativeLR
    cycles.py       stepped once per batch, up and down, the momentum the other way:
                    OneCycleLR, CyclicLR
    plateau.py      driven by a metric, not the epoch: ReduceLROnPlateau
    composite.py    schedulers made of schedulers: SequentialLR, ChainedScheduler

>>> from autograd import Value
>>> from nn.optim import SGD
>>> from nn.optim.lr_scheduler import LinearLR
>>> opt = SGD([Value(0.0)], lr=1.0)
>>> schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
>>> lrs = []
>>> for k in range(100):
...     lrs.append(opt.param_groups[0]["lr"])     # training step k uses this lr
...     opt.step(); schedule.step()
>>> lrs[0], round(lrs[50], 12), round(lrs[99], 12)   # micrograd's demo: 1.0 - 0.9 * k / 100
(1.0, 0.55, 0.109)
"""

from .base import LRScheduler
from .closed_form import (
    ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR,
    LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR,
)
from .composite import ChainedScheduler, SequentialLR
from .cycles import CyclicLR, OneCycleLR
from .plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR",
           "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "LambdaLR",
           "MultiplicativeLR", "OneCycleLR", "CyclicLR", "ReduceLROnPlateau", "SequentialLR",
           "ChainedScheduler"]
