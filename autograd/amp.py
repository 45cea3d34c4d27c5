"""PyTorch's mixed precision, `torch.amp`, where there is none: every op computes in its inputs'
dtype (float32 or float64), so there is nothing to cast and no float16 gradient to keep from
underflowing.

A ported training loop's scaler lines still run: `GradScaler` is PyTorch's scaler when it is
disabled, as PyTorch's own is on a machine without a GPU (nanoGPT's `GradScaler(enabled=(dtype
== 'float16'))` on a laptop): `scale(loss)` is the loss, `unscale_` does nothing, `step(opt)` is
`opt.step()`. `autocast` would change the numbers, so it is refused, saying what to write
(nanoGPT's own line picks `nullcontext()` on the CPU), unless `enabled=False`.

>>> import autograd as torch
>>> scaler = torch.amp.GradScaler(enabled=False)
>>> loss = torch.tensor([2.0], requires_grad=True).sum()
>>> scaler.scale(loss) is loss, scaler.get_scale(), scaler.is_enabled()
(True, 1.0, False)
"""

from __future__ import annotations

from typing import Any

from .warn import warn

_NO_MIXED = ("glassgrad has no mixed precision: every op computes in its inputs' dtype "
             "(float32 or float64)")


class GradScaler:
    """PyTorch's `torch.amp.GradScaler` (and `torch.cuda.amp.GradScaler`), always disabled here:
    with no float16 autocast no gradient underflows, so nothing is scaled. `enabled=True` warns
    once and passes everything through, as PyTorch's does without a GPU; the other arguments are
    accepted and change nothing."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        if enabled:
            warn(f"GradScaler: {_NO_MIXED}, so there is nothing to scale: this scaler is "
                 f"disabled and passes the loss and the step through (as PyTorch's does "
                 f"without a GPU); GradScaler(enabled=False) says so without this warning")

    def is_enabled(self) -> bool:
        return False

    def scale(self, outputs: Any) -> Any:
        """The loss itself (or whatever was given): `scaler.scale(loss).backward()` is
        `loss.backward()`."""
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        """Nothing to divide: the gradients were never scaled."""

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """`optimizer.step(*args, **kwargs)`, and its result. (A disabled scaler skips no step:
        with non-finite gradients the step is taken, as with PyTorch's disabled one.)"""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        """Nothing to grow or back off."""

    def get_scale(self) -> float:
        return 1.0                      # PyTorch's disabled scaler's answer

    def state_dict(self) -> dict:
        return {}                       # as PyTorch's disabled scaler's

    def load_state_dict(self, state_dict: dict) -> None:
        """Accepts a saved scaler's state (PyTorch's too) and keeps none of it: checkpoints that
        hold `scaler.state_dict()` resume."""


class autocast:
    """PyTorch's `torch.amp.autocast(device_type, dtype=...)`: refused when enabled, since
    glassgrad cannot compute in a lower precision for a region; `enabled=False` is a context
    that changes nothing.

    >>> with autocast("cpu", enabled=False):
    ...     pass
    """

    def __init__(self, device_type: str = "cpu", dtype: Any = None, enabled: bool = True,
                 cache_enabled: Any = None) -> None:
        if enabled:
            raise RuntimeError(
                f"autocast({device_type!r}, dtype={dtype}): {_NO_MIXED}; leave autocast out: "
                f"ctx = contextlib.nullcontext() (nanoGPT's own line, `nullcontext() if "
                f"device_type == 'cpu' else torch.amp.autocast(...)`, picks it on the CPU), or "
                f"pass enabled=False; for float16 throughout, model.half() and float16 inputs")

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __call__(self, function: Any) -> Any:
        return function                 # as a decorator: the function unchanged


class CpuAutocast(autocast):
    """PyTorch's older `torch.cpu.amp.autocast(enabled=True, dtype=torch.bfloat16)` (deprecated
    there, still in CPU courses): its arguments, in its order, then `autocast("cpu", ...)`:
    refused when enabled, a context that changes nothing with `enabled=False`.

    >>> with CpuAutocast(enabled=False):
    ...     pass
    """

    def __init__(self, enabled: bool = True, dtype: Any = None, cache_enabled: Any = None
                 ) -> None:
        # PyTorch's default dtype here is bfloat16, which numpy has not: named as a string
        super().__init__("cpu", "bfloat16" if dtype is None else dtype, enabled)


class CpuGradScaler(GradScaler):
    """PyTorch's older `torch.cpu.amp.GradScaler(init_scale, ..., enabled=True)`: `GradScaler`
    on the CPU, with that signature (no device argument)."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        super().__init__("cpu", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)
