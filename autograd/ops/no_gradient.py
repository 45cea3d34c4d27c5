"""An op for the functions that PyTorch computes but does not differentiate (torch.special's
Bessel functions J, Y and K, airy_ai, the orthogonal polynomials): its node is recorded like any
other, and backward reaching it raises, naming the function, where PyTorch gives the result no
history (a loss through it alone fails; one with other paths silently leaves its share out).
Never a silent zero here.

>>> import autograd
>>> x = autograd.tensor([0.5], requires_grad=True)
>>> autograd.special.bessel_j0(x).sum().backward()     # doctest: +ELLIPSIS
Traceback (most recent call last):
RuntimeError: bessel_j0: no derivative ...
"""

from __future__ import annotations

import numpy as np

from ..graph import Op, raw


class NoGradient(Op):
    """f(*inputs) for ctx = (name, f, dtype): f takes float64 arrays and gives float64, the
    result comes in `dtype`;  no derivative: backward raises, naming f"""
    name, broadcasting = "no_gradient", True

    @staticmethod
    def forward(ctx, *inputs):
        name, function, dtype = ctx
        with np.errstate(over="ignore"):       # (inf where float32 overflows: I₀(100))
            return np.asarray(function(*inputs), dtype=np.float64).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g, out, *inputs):
        name = ctx[0]
        shapes = " and ".join(str(np.shape(raw(x))) for x in inputs)
        raise RuntimeError(
            f"{name}: no derivative (PyTorch's torch.special.{name} has none either); backward "
            f"reached it through its input of shape {shapes}: detach the input (x.detach()) "
            f"if its value is all you need, or compute under autograd.no_grad()")

    @classmethod
    def describe(cls, ctx) -> str:
        return ctx[0]
