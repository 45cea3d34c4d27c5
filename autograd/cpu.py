"""PyTorch's device lines, for the one device there is: the CPU.

A ported script starts by choosing its device; these answer as PyTorch does on a machine
without a GPU, so the lines run unchanged and the device they pick is accepted by `.to(...)`,
`device=` and `nn.Module.to`. Any other device is refused, saying why.

>>> import autograd as torch
>>> device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
>>> device, str(device), torch.Tensor([1.0]).to(device).shape
(device(type='cpu'), 'cpu', (1,))
>>> torch.accelerator.is_available(), torch.accelerator.current_accelerator()
(False, None)
>>> torch.device("cuda")
Traceback (most recent call last):
RuntimeError: device('cuda'): there is no GPU here: glassgrad computes with numpy on the CPU; ...
"""

from __future__ import annotations

from typing import Any, NoReturn

from . import amp as _amp
from .devices import NO_GPU, _check_cpu, _is_device


class device:
    """PyTorch's `torch.device`, which here can only name the CPU: `device("cpu")`,
    `device("cpu:0")`, `device("cpu", 0)`; its repr, str and equality are PyTorch's."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:
        # (`type` is PyTorch's name for the argument: it hides the builtin in here)
        name = type if index is None else f"{type}:{index}"
        if not _is_device(type):
            raise ValueError(f"device: expected a device such as 'cpu', got {type!r}")
        _check_cpu("device", name)          # 'cuda', 'mps', 0, ...: refused, saying why
        number = str(name).partition(":")[2]
        self.type, self.index = "cpu", int(number) if number else None

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: Any) -> bool:
        # as PyTorch's: "cpu" and "cpu:0" differ, and a string is not a device
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


device.__module__ = "autograd"          # shown as autograd.device, as torch.device is shown


class _NoGpu:
    """`torch.cuda` as a script sees it on a machine without a GPU: what it asks before picking
    its device is answered, anything else refused with the reason."""

    _name = "cuda"                          # (a class attribute: no state to lose in a copy)

    def is_available(self) -> bool:
        return False

    def device_count(self) -> int:
        return 0

    def manual_seed(self, seed: int) -> None:
        """Seeds nothing, as PyTorch's does without a GPU (seed the CPU: autograd.manual_seed)."""

    manual_seed_all = manual_seed

    # PyTorch's older spelling torch.cuda.amp.GradScaler (nanoGPT's train.py), which works
    # without a GPU there too: the scaler is disabled and passes everything through
    amp = _amp

    def __getattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"module 'autograd.{self._name}' has no attribute {name!r}: "
                             f"{NO_GPU}")

    def __repr__(self) -> str:
        return f"<autograd.{self._name}: no GPU here, only the CPU>"


class _NoAccelerator(_NoGpu):
    """`torch.accelerator` without one: `current_accelerator()` is None, as PyTorch's is."""

    _name = "accelerator"
    amp = property(lambda self: self.__getattr__("amp"))    # torch.accelerator has none

    def current_accelerator(self) -> None:
        return None


cuda = _NoGpu()
accelerator = _NoAccelerator()


class _CpuAmp:
    """`torch.cpu.amp`, PyTorch's older spelling of `torch.amp` for the CPU (a course's
    `with torch.cpu.amp.autocast(enabled=use_amp):`), with its signatures."""

    autocast = _amp.CpuAutocast
    GradScaler = _amp.CpuGradScaler

    def __repr__(self) -> str:
        return "<autograd.cpu.amp: torch.cpu.amp's autocast and GradScaler>"


amp = _CpuAmp()


def set_default_device(device: Any) -> None:
    """PyTorch's `torch.set_default_device`: the CPU (or None) is what there is already; any
    other device is refused.

    >>> set_default_device("cpu")
    """
    if device is None:
        return
    if not _is_device(device):
        raise TypeError(f"set_default_device: expected a device such as 'cpu', got {device!r}")
    _check_cpu("set_default_device", device)
