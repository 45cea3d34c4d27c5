"""PyTorch's `.to(...)` arguments, for `Tensor.to` and `nn.Module.to`: there is one device.

glassgrad computes with numpy on the CPU, so a device is either the CPU ("cpu", "cpu:0", a
`torch.device("cpu")`, an `autograd.device("cpu")` from autograd/cpu.py), which changes
nothing, or refused with an error that says so. A dtype is numpy's (np.float64, "float64") or a
torch dtype taken by its name; torch is never imported.

>>> to_arguments("Tensor.to", ("cpu", "float64"), None, None, {"non_blocking": False})
(dtype('float64'), (False,))
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .graph import Node
from .pytorch_names import numpy_dtype

NO_GPU = ("there is no GPU here: glassgrad computes with numpy on the CPU; leave out "
          ".to(device) and .cuda(), or use the device 'cpu'")

#: PyTorch's device types: a string naming one of them is a device, not a dtype
_DEVICE_TYPES = frozenset({
    "cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "hpu", "mtia", "maia", "vulkan",
    "lazy", "ve", "fpga", "ort", "mkldnn", "opengl", "opencl", "ideep", "privateuseone",
})


def _is_device(value: Any) -> bool:
    """True for a device: its name ("cuda:0"), a torch.device (seen by its class name, torch is
    not imported) or an `autograd.device`, or an int (PyTorch's `.to(0)` means the first GPU)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return True
    if (type(value).__name__ == "device"
            and type(value).__module__.partition(".")[0] in ("torch", "autograd")):
        return True
    return isinstance(value, str) and value.split(":")[0] in _DEVICE_TYPES


def _check_cpu(call: str, device: Any) -> None:
    """Refuse any device but the CPU ("cpu" or "cpu:0"), naming the call and the device."""
    name = f"cuda:{device}" if isinstance(device, numbers.Integral) else str(device)
    kind, _, index = name.partition(":")
    if kind != "cpu":
        raise RuntimeError(f"{call}({device!r}): {NO_GPU}")
    if not (index == "" or index.isdigit()):
        raise ValueError(f"{call}: {device!r} is not a device; the CPU is 'cpu' (or 'cpu:0')")


def _numpy_dtype(call: str, dtype: Any) -> np.dtype:
    """`dtype` as numpy's (see `pytorch_names.numpy_dtype`): a numpy dtype or name, or a torch
    dtype by its name (torch.float64 is np.float64)."""
    return numpy_dtype(call, dtype, "expected a device ('cpu') or a dtype (np.float64, "
                                    "'float64')")


def to_arguments(call: str, args: tuple, device: Any, dtype: Any, flags: dict[str, Any]
               ) -> tuple[np.dtype | None, tuple]:
    """PyTorch's arguments of `.to(...)` sorted out: `(device, dtype, *flags)`, `(dtype,
    *flags)` or `(tensor, *flags)` positionally, or by keyword. Returns the dtype asked for
    (None: keep it) and the flags' values, after refusing any device but the CPU."""
    rest = list(args)
    if rest and isinstance(rest[0], Node):          # .to(other): other's dtype
        if device is not None or dtype is not None:
            raise TypeError(f"{call}: got a tensor to take the dtype from and also "
                            f"device=/dtype=; give one or the other")
        dtype = np.asarray(rest.pop(0).data).dtype
    elif rest and _is_device(rest[0]):
        device = _given_once(call, "device", device, rest.pop(0))
        if rest and _is_device(rest[0]):
            raise TypeError(f"{call}: got two devices ({device!r} and {rest[0]!r}); after the "
                            f"device comes the dtype")
        if rest:
            dtype = _given_once(call, "dtype", dtype, rest.pop(0))
    elif rest:
        dtype = _given_once(call, "dtype", dtype, rest.pop(0))
    if len(rest) > len(flags):
        raise TypeError(f"{call}: too many arguments; it takes a device, a dtype, then "
                        f"{' and '.join(flags)}")
    values = dict(flags)
    for name, value in zip(flags, rest):
        if flags[name]:
            raise TypeError(f"{call}: got {name} twice (by position and by keyword)")
        values[name] = value
    for name, value in values.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{call}: {name} must be True or False, got {value!r}")
    if device is not None:
        _check_cpu(call, device)
    return (None if dtype is None else _numpy_dtype(call, dtype)), tuple(values.values())


def _given_once(call: str, name: str, keyword: Any, positional: Any) -> Any:
    """The positional argument, refused if the keyword `name` came too."""
    if keyword is not None:
        raise TypeError(f"{call}: got the {name} twice ({positional!r} and "
                        f"{name}={keyword!r})")
    return positional


def check_device(call: str, device: Any) -> None:
    """A creator's `device=` (`arange(T, device=device)`): None or the CPU, else refused."""
    if device is None:
        return
    if not _is_device(device):
        raise TypeError(f"{call}: device must be a device such as 'cpu', got {device!r}")
    try:
        _check_cpu(call, device)
    except RuntimeError:
        raise RuntimeError(f"{call}(..., device={device!r}): {NO_GPU}") from None
