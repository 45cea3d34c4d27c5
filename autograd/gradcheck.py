"""`gradcheck`: compare backprop's gradients with central finite differences, in float64.

    dJ/dθ_i ≈ (J(θ + ε e_i) - J(θ - ε e_i)) / 2ε

For a scalar output J is the output itself, so the numbers in a failure message are true
derivatives. For an output with several elements, J is the output weighted by a fixed random
vector r (J = Σ r ⊙ f(θ)), which checks the vector-Jacobian product that backward computes.

>>> from autograd import Tensor, gradcheck
>>> x = Tensor([[0.3, -1.2], [2.0, 0.5]], dtype="float64", requires_grad=True)
>>> gradcheck(lambda t: (t.tanh() * t).sum(axis=0), x)
True
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Callable

import numpy as np

from .graph import Node, no_grad
from .tensor import Tensor
from .value import Value


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree (the message says where and by how much)."""


def _float64_leaf(x: Any, position: int) -> Node:
    if isinstance(x, Value):
        return Value(x.data)
    if isinstance(x, Tensor):
        if x.dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {position} is {x.dtype}; finite differences need float64, "
                f"so a float64 copy is checked", stacklevel=3)
        return Tensor(np.array(x.data, dtype=np.float64, order="C"), requires_grad=True)
    if isinstance(x, numbers.Real):
        return Value(float(x))
    return Tensor(np.array(x, dtype=np.float64, order="C"), requires_grad=True)


def gradcheck(f: Callable, *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0, raise_exception: bool = True) -> bool:
    """True if backprop's gradient of `f(*inputs)` matches finite differences for every input.

    Inputs that are Values or Tensors requiring grad (or plain numbers/arrays) are checked; the
    others are passed through as constants. `f` is called with float64 copies of the checked
    inputs, which are what it perturbs: `f` must compute from its arguments (one that reads a
    layer's own parameters instead checks nothing for them, and passes). On a mismatch raises
    `GradcheckError` naming the input, the element, and both values (or returns False with
    `raise_exception=False`).

    >>> import numpy as np
    >>> from autograd import Tensor, gradcheck
    >>> gradcheck(lambda x: (x.tanh() * x).sum(), Tensor(np.array([0.3, -1.2]), requires_grad=True))
    True
    """
    checked = [i for i, x in enumerate(inputs)
               if not isinstance(x, Node) or x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    args = list(inputs)
    for i in checked:
        args[i] = _float64_leaf(inputs[i], i)

    out = f(*args)
    if not isinstance(out, Node):
        raise TypeError(f"gradcheck: f must return a Value or Tensor, got {type(out).__name__}")
    if np.size(out.data) == 1:                      # a scalar: J = f, true derivatives
        weights = np.ones(np.shape(out.data))
    else:
        weights = np.random.default_rng(seed).uniform(0.5, 1.5, np.shape(out.data))

    def objective(result: Node) -> float:                 # J = Σ r ⊙ f
        return float(np.sum(weights * np.asarray(result.data, dtype=np.float64)))

    if isinstance(out, Value):
        out.backward(float(weights))
    else:
        out.backward(weights)

    for i in checked:
        x = args[i]
        analytic = np.zeros(np.shape(x.data)) if x.grad is None else \
            np.array(x.grad, dtype=np.float64, order="C")
        numeric = np.zeros(analytic.shape)              # C-contiguous, so reshape is a view
        flat = numeric.reshape(-1)
        for k in range(flat.size):
            flat[k] = _central_difference(f, args, x, k, eps, objective)
        bad = ~np.isclose(analytic, numeric, atol=atol, rtol=rtol)
        if bad.any():
            k = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
            msg = (f"gradcheck: input {i} (shape {np.shape(x.data)}), element {tuple(map(int, k))}: "
                   f"backprop gives {float(analytic[k])!r}, "
                   f"finite differences give {float(numeric[k])!r} "
                   f"({int(bad.sum())} of {bad.size} elements differ)")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def _central_difference(f: Callable, args: list, x: Node, k: int, eps: float,
                        objective: Callable) -> float:
    with no_grad():
        if isinstance(x, Value):
            old = x.data
            x.data = old + eps
            plus = objective(f(*args))
            x.data = old - eps
            minus = objective(f(*args))
            x.data = old
        else:
            flat = x.data.reshape(-1)
            old = flat[k]
            flat[k] = old + eps
            plus = objective(f(*args))
            flat[k] = old - eps
            minus = objective(f(*args))
            flat[k] = old
    return (plus - minus) / (2 * eps)
