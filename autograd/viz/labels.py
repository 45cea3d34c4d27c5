"""The words and colours a drawing shows for a node: its fields, its op, its gradient's shade.

A `Value` reads like micrograd's drawings: "x1 | data 2.0000 | grad -1.5000". A `Tensor` shows its
shape and dtype, a few of its numbers and the norm of its gradient. Every string that comes from
the user (a label) is cleaned here, so the writers only have to escape it for their format.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Node
from ..ops import (AddConst, ConstDiv, ConstPow, ConstSub, DivConst, Huber, LeakyRelu, MulConst,
                   PowConst, SmoothL1, SubConst)
from .palette import CONSTANT_FILL, LEAF_FILL, RESULT_FILL
from .palette import HEAT as _HOT

#: ops that keep a number operand in ctx instead of a node: the drawing shows it ("* 2")
_CONSTANT_OPERAND_OPS = (AddConst, SubConst, MulConst, DivConst, PowConst,
                         LeakyRelu, SmoothL1, Huber)    # "leaky_relu 0.1", "huber 0.5" (the δ)
#: ... and those whose number comes first: "2 **", "1 -"
_CONSTANT_FIRST_OPS = (ConstPow, ConstSub, ConstDiv)
#: what such a number is: a Value's is a Python number, a Tensor's its dtype's scalar
NUMBER_TYPES = (int, float, np.floating)

MAX_LABEL = 40                          # characters; longer labels end in "…"
_UNPRINTABLE = "\N{REPLACEMENT CHARACTER}"     # stands for control characters in labels



def clean(text: Any) -> str:
    """A label made safe to show on one line: no control characters, at most MAX_LABEL long.

    >>> clean("a\\nb\\x00c" + "x" * 50)[:8]
    'a b�cxxx'
    """
    text = str(text)
    text = "".join(ch if ch.isprintable() else " " if ch.isspace() else _UNPRINTABLE
                   for ch in text)
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def number(x: float) -> str:
    """A number with four decimals like micrograd, switching to exponent form when that would
    hide it (tiny gradients) or make it long.

    >>> number(2.0), number(-1.5), number(3e-07), number(-0.0), number(float("nan"))
    ('2.0000', '-1.5000', '3.0000e-07', '0.0000', 'nan')
    """
    x = float(x.data if isinstance(x, Node) else x)    # a graph gradient shows its number
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == 0:
        return "0.0000"
    if 1e-3 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


def span(numbers: Any) -> str:
    """The range of a group's numbers, "low … high" (3 significant digits), NaNs counted apart:
    min() and max() would skip them or not depending on where they stand.

    >>> span([3.0, 1.0]), span([2.0, 2.0]), span([1.0, float("nan"), 9.0]), span([float("nan")])
    ('1 … 3', '2.0000', '1 … 9 (+1 nan)', 'nan')
    """
    values = np.asarray(numbers, dtype=np.float64).reshape(-1)
    nan = np.isnan(values)
    rest = values[~nan]
    if not rest.size:
        return "nan"
    low, high = rest.min(), rest.max()
    text = number(low) if low == high else f"{low:.3g} … {high:.3g}"
    return f"{text} (+{nan.sum()} nan)" if nan.any() else text


def _short(x: Any) -> str:
    """An array element or an op's constant in a few characters (3 significant digits)."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.3g}"


def constant(x: Any) -> str:
    """An op's number operand (x * c, x ** c) as its box and its step both write it: in a few
    characters when that is the number, else with four decimals like the step's factors; in
    brackets if negative (micrograd's x - 1 is "x + (-1)", not "x + -1").

    >>> constant(3), constant(0.5), constant(2.5e-05), constant(3.14159265), constant(-1.0)
    ('3', '0.5', '2.5e-05', '3.1416', '(-1)')
    >>> constant(np.float32(0.1)), constant(np.float32(1 / 3))      # a float32 tensor's numbers
    ('0.1', '0.3333')
    """
    if isinstance(x, np.floating):      # a tensor's float32(0.1) is written 0.1, as numpy does
        x = float(str(x))
    short = _short(x)
    text = short if isinstance(x, (bool, np.bool_)) or float(short) == x else number(x)
    return f"({text})" if text.startswith("-") else text


def preview(data: np.ndarray, count: int) -> str:
    """The first `count` numbers of an array, flattened.

    >>> preview(np.array([[1.0, 2.5], [3.0, 4.0]]), 3)
    '[1, 2.5, 3, …]'
    """
    if data.ndim == 0:
        return _short(data.item())
    flat = data.reshape(-1)
    shown = ", ".join(_short(v) for v in flat[:count].tolist())
    return f"[{shown}, …]" if flat.size > count else f"[{shown}]"


def is_tensor(node: Node) -> bool:
    return isinstance(node.data, np.ndarray)


def grad_size(node: Node) -> float:
    """How much gradient reached `node`: |grad| of a Value, the 2-norm of a Tensor's gradient
    (0 when there is none)."""
    grad = node.grad
    if not node.requires_grad or grad is None:
        return 0.0
    if isinstance(grad, Node):                     # after backward(create_graph=True)
        grad = grad.data
    if isinstance(grad, np.ndarray):
        return float(np.linalg.norm(grad.reshape(-1).astype(np.float64))) if grad.size else 0.0
    return abs(float(grad))


def node_fields(node: Node, show_grad: bool, preview_count: int) -> tuple[str, ...]:
    """The sections of a node's box, left to right."""
    fields = [clean(node.label)] if node.label else []
    if is_tensor(node):
        data = node.data
        fields.append(f"{data.shape} {data.dtype}")
        if preview_count > 0:
            fields.append(preview(data, preview_count))
        if show_grad and node.requires_grad:
            fields.append(_tensor_grad(node))
    else:
        fields.append(f"data {number(node.data)}")
        if show_grad and node.requires_grad:
            grad = node.grad.data if isinstance(node.grad, Node) else node.grad
            fields.append(f"grad {number(grad)}")
    return tuple(fields)


def _tensor_grad(node: Node) -> str:
    """A Tensor's gradient field: the norm, or for one number (a loss, a scalar weight) the
    number itself, as a Value shows it: its sign says which way a step would move it."""
    grad = node.grad
    if grad is None:
        return "grad None"
    if node.data.size == 1:
        grad = grad.data if isinstance(grad, Node) else grad     # after create_graph=True
        return f"grad {number(np.asarray(grad).reshape(-1)[0])}"
    return f"‖grad‖ {number(grad_size(node))}"


def op_text(node: Node) -> str:
    """The op that made `node`, as drawings label it: "+", "*", "tanh", "** 2"."""
    op = node._fn
    text = clean(op.symbol or op.name)
    if op in _CONSTANT_OPERAND_OPS and isinstance(node._ctx, NUMBER_TYPES):
        text += f" {constant(node._ctx)}"
    elif op in _CONSTANT_FIRST_OPS and isinstance(node._ctx, NUMBER_TYPES):
        text = f"{constant(node._ctx)} {text}"        # the constant comes first: "2 **"
    return text


def node_fill(node: Node) -> str:
    if node.is_leaf:
        return LEAF_FILL if node.requires_grad else CONSTANT_FILL
    return RESULT_FILL


def heat(fraction: float) -> str:
    """White for 0, a warm red for 1: the fill of a node whose gradient is that fraction of the
    largest in the drawing.

    >>> heat(0.0), heat(1.0)
    ('#ffffff', '#e86a4a')
    """
    fraction = 1.0 if math.isnan(fraction) else min(max(fraction, 0.0), 1.0)  # nan: a problem, hot
    r, g, b = (round(255 + (hot - 255) * fraction) for hot in _HOT)
    return f"#{r:02x}{g:02x}{b:02x}"
