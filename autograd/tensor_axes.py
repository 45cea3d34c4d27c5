"""The arguments that name axes and sizes, checked and made plain for Tensor's methods, the
functions over tensors and nn's: numpy's `axis=`/`keepdims=` or PyTorch's `dim=`/`keepdim=`
(one of the two, not both), negative axes, ints where ints belong. The errors name the op, and
the tensor's shape where it helps.

>>> _axes(-1, 3, "sum"), _axes((0, -1), 3, "sum")
((2,), (0, 2))
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def _shape_args(shape: tuple) -> tuple:
    """f(2, 3) and f((2, 3)) alike: the shape as one tuple."""
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):   # np.int64(3) too
        return tuple(shape[0])
    return shape


def _torch_names(op: str, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None
                 ) -> tuple[Any, bool]:
    """(axis, keepdims) from numpy's names or PyTorch's (`dim`, `keepdim`), not both at once."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; they are the same "
                            f"setting (dim is PyTorch's name)")
        axis = dim
    if keepdim is not None:
        if keepdims:
            raise TypeError(f"{op}: got both keepdims and keepdim; they are the same setting "
                            f"(keepdim is PyTorch's name)")
        keepdims = keepdim
    return axis, keepdims


def _all_if_empty(dim: Any) -> Any:
    """PyTorch's `dim` for sum, mean, var and std, where an empty tuple or list means every
    axis (numpy's `axis=()` means none, and stays so): None for it, else `dim` as it is.

    >>> _all_if_empty(()), _all_if_empty([]), _all_if_empty((1,))
    (None, None, (1,))
    """
    if isinstance(dim, (tuple, list)) and not dim:
        return None
    return dim


def _numpy_names(op: str, dim: Any, keepdim: bool, axis: Any, keepdims: bool
                 ) -> tuple[Any, bool]:
    """(dim, keepdim) for a reduction that is PyTorch's first (amax, prod, cumsum, norm), from
    its names or numpy's (`axis`, `keepdims`), not both at once: `_torch_names` the other way
    round."""
    return _torch_names(op, axis, keepdims, dim, keepdim if keepdim else None)


def _refuse_empty(op: str, shape: tuple, axes: tuple | None, what: str | None = None) -> None:
    """A ValueError if a reduction that needs numbers (max, argmax, the inf-norm) reduces
    `axes` (None: all) of a tensor of `shape` that has none along them."""
    if 0 in (shape if axes is None else [shape[a] for a in axes]):
        raise ValueError(f"{op}: the tensor of shape {shape} is empty along the reduced axes "
                         f"(the {what or op} of no numbers is undefined)")


def _one_name(op: str, name: str, value: Any, default: Any, torch_name: str,
              torch_value: Any) -> Any:
    """`value`, or PyTorch's keyword for the same setting (`start_dim` for `start_axis`)."""
    if torch_value is None:
        return value
    if value != default:
        raise TypeError(f"{op}: got both {name}={value!r} and {torch_name}={torch_value!r}; "
                        f"they are the same setting ({torch_name} is PyTorch's name)")
    return torch_value


def _softmax_axis(op: str, axis: Any, dim: Any, shape: tuple) -> Any:
    """The axis a softmax-like op normalises along: `axis`, or `dim` (PyTorch's name), or, with
    neither, the last one for 0-, 1- and 2-D input, which is also PyTorch's implicit choice there.

    At 3-D and more neither is guessed: PyTorch's implicit dim is 0 for 3-D and 1 beyond
    (deprecated, with a warning), ours was the last, and a (batch, time, class) model wants the
    last, so any silent guess normalises the wrong axis for someone, with no error downstream.

    >>> _softmax_axis("softmax", None, None, (2, 3, 4))
    Traceback (most recent call last):
    ValueError: softmax: no dim given for an input of shape (2, 3, 4); pass dim= ...
    """
    if dim is not None:
        axis, _ = _torch_names(op, axis, False, dim, None)
    if axis is not None:
        return axis
    if len(shape) <= 2:
        return -1
    raise ValueError(f"{op}: no dim given for an input of shape {tuple(shape)}; pass dim= "
                     f"(dim=-1 for the last axis, as language models want). PyTorch would "
                     f"have picked dim={0 if len(shape) == 3 else 1} here, a deprecated guess; "
                     f"up to 2-D the last axis is taken, which is also PyTorch's choice")


def _torch_var(op: str, axis: Any, keepdims: bool, ddof: int, pytorch: dict
               ) -> tuple[Any, bool, int]:
    """(axis, keepdims, ddof) for var/std, which are numpy's: they divide by n - ddof, n by
    default, where PyTorch's divide by n - 1. PyTorch's `dim=`/`keepdim=` alone would silently
    change the numbers or silently not, so they are taken only with what says the divisor:
    `unbiased=` (n - 1 when True, n when False) or `correction=` (n - correction)."""
    given = ", ".join(f"{k}={v!r}" for k, v in pytorch.items())
    unknown = set(pytorch) - {"dim", "keepdim", "unbiased", "correction"}
    if unknown:
        raise TypeError(f"{op}: got an unexpected keyword {sorted(unknown)[0]!r}")
    unbiased, correction = pytorch.get("unbiased"), pytorch.get("correction")
    if unbiased is None and correction is None:
        # the call as the learner wrote it (makemore's x.var(0, keepdim=True)), said both ways
        where = axis if axis is not None else pytorch.get("dim")
        where = [] if where is None else [repr(where)]
        keep = ["keepdims=True"] if pytorch.get("keepdim") else []
        numpy_call = f"t.{op}({', '.join(where + keep)})"
        ddof_call = f"t.{op}({', '.join(where + keep + ['ddof=1'])})"
        torch_call = (f"t.{op}({', '.join(where + ['keepdim=True'] * len(keep))}"
                      f"{', ' if where or keep else ''}unbiased=True)")
        raise TypeError(f"{op}: got {given}; this {op} is numpy's (axis=, keepdims=, ddof=), "
                        f"which divides by n where PyTorch's divides by n - 1: write "
                        f"{numpy_call} for numpy's, or {ddof_call} for PyTorch's (in "
                        f"PyTorch's words, {torch_call}: it says the divisor)")
    if (unbiased is not None and correction is not None) or ddof != 0:
        raise TypeError(f"{op}: got {given}{', ddof=' + repr(ddof) if ddof else ''}; say the "
                        f"divisor once: ddof= (numpy's), unbiased= or correction= (PyTorch's)")
    axis, keepdims = _torch_names(op, axis, keepdims, _all_if_empty(pytorch.get("dim")),
                                  pytorch.get("keepdim"))
    return axis, keepdims, int(bool(unbiased)) if correction is None else correction


def _torch_var_positional(op: str, positional: tuple, pytorch: dict) -> dict:
    """PyTorch's keywords for var/std with what came after the axis positionally: PyTorch's
    `t.var(dim, unbiased, keepdim)`, so `t.var(0, True)` divides by n - 1 as it does there
    (numpy's method takes no bool in that place: its keepdims= and ddof= are keywords here).

    >>> _torch_var_positional("var", (True,), {})
    {'unbiased': True}
    """
    if len(positional) > 2:
        raise TypeError(f"{op}: takes at most the axis, unbiased and keepdim positionally, got "
                        f"{1 + len(positional)} arguments; numpy's keepdims= and ddof= are "
                        f"keywords")
    given = dict(zip(("unbiased", "keepdim"), positional))
    for name, value in given.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{op}: after the axis, PyTorch's positional unbiased (a bool) and "
                            f"then keepdim come, got {value!r}; numpy's keepdims= and ddof= "
                            f"are keywords here ({op}(axis, keepdims=True, ddof=1))")
        if name in pytorch:
            raise TypeError(f"{op}: got {name} twice, positionally ({value!r}) and as "
                            f"{name}={pytorch[name]!r}")
    return {**{name: bool(value) for name, value in given.items()}, **pytorch}


def _reduction_axes(axis: Any, ndim: int, op: str, shape: tuple | None = None
                    ) -> tuple | None:
    """`_axes` for a reduction, where a 0-d tensor also takes PyTorch's dim 0 or -1 (numpy
    refuses them): reducing one number along its only "axis" gives it back, as reducing all.

    >>> _reduction_axes(-1, 0, "sum") is None, _reduction_axes(-1, 2, "sum")
    (True, (1,))
    """
    if ndim == 0 and axis is not None:
        try:
            _axes(axis, 1, op)
        except ValueError as error:         # any other axis is still refused
            if "out of range" not in str(error):
                raise
            raise ValueError(f"{op}: axis {axis!r} is out of range for a 0-d tensor (dim 0 or "
                             f"-1 reduce its one number, as in PyTorch)") from None
        return None
    return _axes(axis, ndim, op, shape)


def _axes(axis: Any, ndim: int, op: str, shape: tuple | None = None) -> tuple | None:
    """Normalise `axis` (None, an int or a sequence of ints) to sorted non-negative ints; an
    error names the tensor's `shape` when given."""
    if axis is None:
        return None
    if axis.__class__ is int and -ndim <= axis < ndim:     # the usual case, without the checks
        return (axis % ndim,)                              # below (1 µs of a 4 µs sum(axis=1))
    try:
        axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    except TypeError:
        axes = (axis,)
    out = []
    for a in axes:
        if not isinstance(a, numbers.Integral) or isinstance(a, bool):
            raise TypeError(f"{op}: an axis must be an int (or a tuple of ints), got {a!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} "
                             f"dim{'' if ndim == 1 else 's'}"
                             + ("" if shape is None else f" (shape {shape})"))
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out))


def _positional_axis(op: str, positional: Any, axis: Any) -> Any:
    """The axis given positionally to max/min, refused if `axis=` came too."""
    if axis is not None:
        raise TypeError(f"{op}: got the axis twice ({positional!r} and axis={axis!r})")
    return positional


def _ints_or_one(op: str, name: str, value: Any) -> tuple:
    """The argument `name` of `op`, an int or a sequence of ints, as a tuple of ints."""
    many = not isinstance(value, numbers.Integral)
    try:
        values = tuple(value) if many else (value,)
    except TypeError:
        values = (value,)
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{op}: {name} must be an int or a sequence of ints, got {value!r}")
    return tuple(int(v) for v in values)


def _one_int(op: str, name: str, value: Any) -> int:
    """The argument `name` of `op`, which must be an int (not a bool)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)
