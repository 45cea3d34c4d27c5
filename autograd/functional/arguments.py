"""What the functions of `autograd.functional` share: their arguments made nodes, Tensors, floats
or integer arrays, and the errors for those that do not fit (a list of Values where a Tensor is
needed, None, a Value given to a Tensor-only function, floats where indices are expected, a
tuple of Tensors such as a max pool's (values, indices) pair).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..graph import Node
from ..tensor import NONE_GIVEN, Tensor, get_default_dtype, tensors_among_items_error
from ..value import Value


def _node(x: Any, op: str) -> Node:
    """`x` itself if it is a node, else a constant Tensor of its numbers."""
    if isinstance(x, Node):
        return x
    try:
        return Tensor(x)
    except TypeError:
        if x is None:
            raise TypeError(f"{op}: {NONE_GIVEN}") from None
        if holds_values(x):         # (looked for only now: a long list costs a walk)
            raise values_list_error(op) from None
        raise
    except (ValueError, RuntimeError):  # Tensors among a list's items: Tensor's error, naming op
        error = tensors_among_items_error(op, x) if isinstance(x, (list, tuple)) else None
        if error is None:
            raise
        raise error from None


def holds_values(x: Any) -> bool:
    """True for a list or tuple with a Value in it, at any depth."""
    return isinstance(x, (list, tuple)) and any(
        isinstance(item, Value) or holds_values(item) for item in x)


def values_list_error(op: str) -> TypeError:
    """The error for a list of Values (or of rows of Values) where a Tensor is needed, which
    numpy would only see as objects.

    >>> from autograd.functional import softmax
    >>> softmax([Value(0.0), Value(1.0)])
    Traceback (most recent call last):
    TypeError: softmax: got a list of Values, which is not a Tensor (nor one Value). ...
    """
    if op.endswith("loss"):
        return TypeError(
            f"{op}: got a list of Values; this loss takes Tensors. The losses that take lists "
            f"of Values are mse_loss, l1_loss, hinge_loss, binary_cross_entropy and "
            f"binary_cross_entropy_with_logits; or write this one from each Value's ops "
            f"(sum(...) of the terms)")
    return TypeError(
        f"{op}: got a list of Values, which is not a Tensor (nor one Value). With Values, "
        f"build the result from each Value's ops, as the micrograd exercises build softmax: "
        f"counts = [v.exp() for v in values], total = sum(counts), probs = [c / total for c in "
        f"counts]. Or make a Tensor of the numbers, Tensor([v.data for v in values]), which "
        f"has no path back to the Values")


def _tensor(x: Any, op: str) -> Tensor:
    """`x` as a Tensor, for the functions that have no scalar version."""
    if isinstance(x, Value):
        raise TypeError(f"{op}: works on Tensors, got a Value (a Value's ops are its methods "
                        f"and operators: v.exp(), v.tanh(), v.relu(), v ** 2, ...)")
    return _node(x, op)


def _real(name: str, what: str, value: Any) -> float:
    """`value` as a float, or a TypeError naming the function and the argument."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name}: {what} must be a number, got {value!r}")
    return float(value)


def _shape_of(x: Any) -> str:
    shape = getattr(x, "shape", None)
    return f"shape {tuple(shape)}" if shape is not None else f"a {type(x).__name__}"


# what a function taking integers adds when they come as a ragged list
RAGGED_HINTS = {"embedding_bag": ", or give the bags one after another with the offsets where "
                                 "they start: input concatenate(bags), offsets [0, len(bags[0]), "
                                 "...]"}


def integer_array(name: str, what: str, x: Any) -> np.ndarray:
    """`x` (a Tensor, an array, a list or a number) as a numpy array of integers; floats and
    bools are refused (a float index would be cut to an integer without a word)."""
    if isinstance(x, Value):
        raise TypeError(f"{name}: {what} must be integers (an array or a Tensor), got a Value")
    try:
        array = np.asarray(x.data if isinstance(x, Tensor) else x)
    except ValueError:                  # numpy's words for a ragged list say nothing of where
        lengths = sorted({len(row) for row in x if hasattr(row, "__len__")}) \
            if isinstance(x, (list, tuple)) else []
        raise ValueError(f"{name}: {what} must be a rectangular array of integers, got rows of "
                         f"different lengths {lengths}; pad them to one length "
                         f"(nn.utils.rnn.pad_sequence){RAGGED_HINTS.get(name, '')}") from None
    if array.size == 0 and not isinstance(x, (np.ndarray, Tensor)):
        array = array.astype(np.int64)          # an empty list has no type to refuse
    if array.dtype.kind not in "iu":
        kind = {"f": "floats", "b": "bools"}.get(array.dtype.kind, "something else")
        # a Tensor's way is PyTorch's .long() (a Tensor has no astype)
        how = ".long()" if isinstance(x, Tensor) else ".astype(np.int64)"
        raise TypeError(f"{name}: {what} must be integers, got {kind} (dtype {array.dtype}); "
                        f"convert them with {how}")
    return array


def _floating(name: str, x: Any) -> Tensor:
    x = _node(x, name)
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expects a Tensor (or an array), got {type(x).__name__}")
    if x.dtype.kind != "f":
        x = x.astype(get_default_dtype())
    return x


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _yes_or_no(name: Any, option: str, value: Any) -> bool:
    """A True/False option; anything else is refused (the string "False" would count as true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: {option} must be True or False, got {value!r}")
    return bool(value)
