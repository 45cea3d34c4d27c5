"""Broadcasting, undone: the one function that sums a gradient back to an input's shape (the
backward driver calls it for every broadcasting op; broadcast_to and einsum call it too).

When `a` of shape (3, 1) meets `b` of shape (4,), the output has shape (3, 4): `a` was copied along
axis 1 and `b` along a new leading axis. In backward each copy sends its gradient back, so the
gradient of an input is the output gradient summed over the axes it was copied along.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def broadcasts_to(shape: tuple, target: tuple) -> bool:
    """True if an array of `shape` broadcasts to `target` without changing it (the check
    before writing a value into a tensor, or scaling one by a constant, of shape `target`).

    >>> broadcasts_to((3, 1), (2, 3, 4)), broadcasts_to((2, 3, 4), (3, 4))
    (True, False)
    """
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:                              # shapes that do not broadcast at all
        return False


def unbroadcast(grad: Any, shape: tuple, op_name: str = "op") -> Any:
    """Sum `grad` over the leading axes broadcasting put before `shape` and over the axes where
    `shape` has size 1 and `grad` does not (those it stretched).

    Works on ndarrays and on Tensors alike (it uses only `.shape`, `.sum` and `.reshape`).

    >>> import numpy as np
    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, gshape[lead:])):
        raise ValueError(
            f"{op_name}: gradient of shape {gshape} cannot be summed back to an input of shape "
            f"{shape} (the shapes are not broadcast-compatible)")
    if lead and gshape[lead:] == shape:             # the common bias case: only leading axes
        return grad.sum(axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)
