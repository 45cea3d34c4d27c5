"""PyTorch's `torch.optim.swa_utils`: a running average of a model's weights, kept in a copy of
the model. `AveragedModel(model)` averages all the weights seen so far (stochastic weight
averaging); with `multi_avg_fn=get_ema_multi_avg_fn(0.999)` it keeps an exponential moving
average, the EMA that a diffusion model samples with. Each `update_parameters(model)` after an
optimizer step folds the model's current weights in; the first one copies them.

>>> import autograd
>>> from nn import Linear
>>> model = Linear(2, 1)
>>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
>>> ema.update_parameters(model)                  # the first: a copy
>>> with autograd.no_grad():
...     _ = model.weight.add_(1.0)
>>> ema.update_parameters(model)                  # then 0.9 * ema + 0.1 * model
>>> bool(np.allclose(ema.module.weight.data, model.weight.data - 0.9)), int(ema.n_averaged)
(True, 2)

`update_bn` and `SWALR` are not built (see `__getattr__`).
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Sequence

import numpy as np

from autograd import Tensor, no_grad

from ..module import Module

__all__ = ["AveragedModel", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """An exponential moving average for `AveragedModel(multi_avg_fn=)`: every averaged tensor
    moves towards the model's by (1 - decay), ema = decay * ema + (1 - decay) * current."""
    _check_decay("get_ema_multi_avg_fn", decay)

    def ema_update(averaged: Sequence[Any], current: Sequence[Any], num_averaged: Any) -> None:
        with no_grad():
            for a, c in zip(averaged, current):
                if isinstance(a, Tensor) and a.dtype.kind == "f":
                    a.lerp_(c, 1 - decay)
                else:       # an integer buffer (BatchNorm's num_batches_tracked), an array
                    # in Tensor arithmetic, as PyTorch's: an integer times a float is float32,
                    # so the count written back (truncated) is PyTorch's (float64 arithmetic
                    # gave 2 where PyTorch has 3 after 12 updates with decay 0.9)
                    _write(a, _detached(a) * decay + _detached(c) * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """The plain running mean of every weight seen (stochastic weight averaging), for
    `AveragedModel(multi_avg_fn=)`; what AveragedModel does when given no function."""
    def swa_update(averaged: Sequence[Any], current: Sequence[Any], num_averaged: Any) -> None:
        n = float(np.asarray(_numbers(num_averaged)))
        with no_grad():
            for a, c in zip(averaged, current):
                mean = np.asarray(_numbers(a))
                _write(a, mean + (np.asarray(_numbers(c)) - mean) / (n + 1))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """The EMA as `AveragedModel(avg_fn=)` takes it: one tensor at a time, returning the new
    average decay * averaged + (1 - decay) * current."""
    _check_decay("get_ema_avg_fn", decay)

    def ema(averaged: Any, current: Any, num_averaged: Any) -> Any:
        return decay * averaged + (1 - decay) * current
    return ema


def get_swa_avg_fn() -> Callable:
    """The running mean as `AveragedModel(avg_fn=)` takes it: averaged + (current - averaged)
    / (num_averaged + 1)."""
    def swa(averaged: Any, current: Any, num_averaged: Any) -> Any:
        return averaged + (current - averaged) / (float(np.asarray(_numbers(num_averaged))) + 1)
    return swa


class AveragedModel(Module):
    """A copy of `model` (`self.module`) whose weights are the average of the model's weights
    at each `update_parameters(model)` call: the running mean by default, or what `avg_fn`
    (one tensor at a time, returning the new average) or `multi_avg_fn` (the lists of averaged
    and current tensors, updated in place) compute. `n_averaged` (a buffer) counts the
    updates. With `use_buffers=True` the buffers are averaged too; otherwise they are copied
    from the model at each update. Calling it runs the averaged copy: `ema(x, t)`.
    `state_dict()` has PyTorch's keys (`module.<name>`, `n_averaged`)."""

    def __init__(self, model: Module, device: Any = None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be an nn.Module, got "
                            f"{type(model).__name__}")
        if device is not None and str(device) != "cpu":
            raise ValueError(f"AveragedModel: device={device!r}: glassgrad computes on the CPU "
                             f"only (leave device out)")
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give avg_fn or multi_avg_fn, not both")
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", Tensor(np.zeros((), np.int64)))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold `model`'s current weights into the average (the first call copies them)."""
        (averaged, averaged_buffers), (current, current_buffers) = \
            _parameters_and_buffers(self.module), _parameters_and_buffers(model)
        if self.use_buffers:
            averaged, current = averaged + averaged_buffers, current + current_buffers
        if len(averaged) != len(current):
            raise ValueError(f"AveragedModel.update_parameters: the model has {len(current)} "
                             f"tensors to average, the averaged copy {len(averaged)}: give "
                             f"the model this AveragedModel was made from")
        current = [_detached(c) for c in current]
        first = int(self.n_averaged.item()) == 0
        with no_grad():
            if first:
                for a, c in zip(averaged, current):
                    _write(a, c)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, self.n_averaged)
            elif self.avg_fn is not None:
                for a, c in zip(averaged, current):
                    _write(a, self.avg_fn(_detached(a), c, self.n_averaged))
            else:
                get_swa_multi_avg_fn()(averaged, current, self.n_averaged)
            if not self.use_buffers:        # the model's running statistics, as they are now
                for a, c in zip(averaged_buffers, current_buffers):
                    _write(a, _detached(c))
            self.n_averaged.add_(1)


def _parameters_and_buffers(model: Module) -> tuple[list, list]:
    """`model.parameters()` and `model.buffers()` from one walk of the model: an update read
    each of the two models twice, and each walk of a small model costs more than its EMA's
    arithmetic (see docs/measurements.md, "overhead")."""
    params, buffers, seen = [], [], set()
    for _, module, members in model._walk():
        for _, item in members:
            if not isinstance(item, Module) and id(item) not in seen:   # a tied weight once
                seen.add(id(item))
                params.append(item)
        for _, buffer in module._own_buffers():
            if id(buffer) not in seen:
                seen.add(id(buffer))
                buffers.append(buffer)
    return params, buffers


def _check_decay(where: str, decay: Any) -> None:
    if not 0.0 <= float(decay) <= 1.0:
        raise ValueError(f"{where}: decay must be in [0, 1] (the share of the old average "
                         f"kept at each update), got {decay!r}")


def _numbers(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _detached(value: Any) -> Any:
    """A Tensor without history (an array as it is), to compute the average from."""
    return value.detach() if isinstance(value, Tensor) else Tensor(np.asarray(value))


def _write(target: Any, value: Any) -> None:
    """Put `value`'s numbers into an averaged parameter or buffer (a Tensor or an array)."""
    numbers = np.asarray(_numbers(value))
    if isinstance(target, Tensor):
        target.copy_(numbers.astype(target.dtype, copy=False))
    else:
        np.copyto(target, numbers, casting="unsafe")


def __getattr__(name: str) -> Any:
    if name == "update_bn":
        raise AttributeError("module 'nn.optim.swa_utils' has no attribute 'update_bn': it is "
                             "not built here; recompute BatchNorm's running statistics by "
                             "setting each layer's momentum=None, calling reset_running_stats(), "
                             "and running the averaged model over the training batches in "
                             "train() mode under no_grad()")
    if name == "SWALR":
        raise AttributeError("module 'nn.optim.swa_utils' has no attribute 'SWALR': it is not "
                             "built here; a constant learning rate after the switch to averaging "
                             "is nn.optim.lr_scheduler.LambdaLR or SequentialLR")
    raise AttributeError(f"module 'nn.optim.swa_utils' has no attribute {name!r}")
