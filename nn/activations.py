"""The activation modules. The common ones, `ReLU`, `LeakyReLU`, `GELU`, `Sigmoid`, `Tanh`,
`Softmax` and `LogSoftmax`, call the engine's own functions (ReLU, LeakyReLU, Sigmoid and Tanh
on a Tensor or a Value). PyTorch's others, `ReLU6`, `ELU`, `SELU`, `CELU`, `SiLU`, `Mish`,
`Softplus`, `Softsign`, `Hardtanh`, `Hardsigmoid`, `Hardswish`, `LogSigmoid`, `Tanhshrink`,
`Threshold`, `Hardshrink`, `Softshrink`, `Softmin`, `GLU` and `PReLU` (a learned slope), each
call the function of the same name in nn.functional, for Tensors, with PyTorch's arguments and
defaults, checked when the module is made. `inplace=True` writes the result into the input
Tensor, which the module returns, as PyTorch's does (the function's `inplace=True`; see
autograd.functional.activations.written_in_place).

(This module imports nothing from nn.layers, so that nn.layers can name these classes in its
table of activations, `MLP(activation="silu")`.)

>>> import numpy as np
>>> from autograd import Tensor, manual_seed
>>> from nn import Linear, Sequential
>>> manual_seed(0)
>>> model = Sequential(Linear(4, 8), SiLU(), Linear(8, 6), Softmax())
>>> model(Tensor(np.zeros((5, 4)))).shape
(5, 6)
>>> ELU(alpha=0.5, inplace=True), Softplus(beta=2.0)
(ELU(alpha=0.5, inplace=True), Softplus(beta=2.0, threshold=20.0))
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autograd import Tensor, get_default_dtype, no_grad
from autograd import functional as AF
from autograd.devices import check_device
from autograd.tensor import _one_name, _softmax_axis   # `dim=` for `axis=`, as Tensor takes it

from . import functional as F
from .module import Module, Parameter

__all__ = [
    "ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "ReLU6", "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Softsign", "Hardtanh",
    "Hardsigmoid", "Hardswish", "LogSigmoid", "Tanhshrink", "Threshold", "Hardshrink",
    "Softshrink", "Softmin", "GLU", "PReLU",
]


# -- the common ones: ReLU, LeakyReLU, Sigmoid and Tanh work on a Tensor and on a Value;
#    GELU, Softmax and LogSoftmax take Tensors ------------------------------------------------

class ReLU(Module):
    """max(0, x). With `inplace=True`, written into the input Tensor, which it returns.

    >>> ReLU()(Tensor([-1.0, 2.0]))
    Tensor([0., 2.])
    """
    inplace = False             # (a subclass need not call __init__)

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def forward(self, x: Any) -> Any:
        if self.inplace:
            return AF.relu(x, inplace=True)
        try:
            return x.relu()
        except AttributeError:      # not a node: an array, a list, a pool's (values, indices)
            return AF._node(x, repr(self)).relu()

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x where x > 0, else negative_slope · x (slope negative_slope at 0, as PyTorch). Works on
    a Tensor and on a Value, as ReLU does. With `inplace=True`, written into the input Tensor.

    >>> LeakyReLU(0.1)(Tensor([-2.0, 3.0]))
    Tensor([-0.2,  3. ])
    """
    inplace = False             # (a subclass need not call __init__)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        if not isinstance(negative_slope, numbers.Real) or isinstance(negative_slope, bool):
            raise TypeError(f"LeakyReLU: negative_slope must be a number, got "
                            f"{negative_slope!r}")
        self.negative_slope, self.inplace = float(negative_slope), inplace

    def forward(self, x: Any) -> Any:
        return AF.leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x Φ(x), Φ the standard normal CDF (see `autograd.functional.gelu`); approximate="tanh"
    uses PyTorch's tanh approximation instead. Works on Tensors.

    >>> GELU(approximate="tanh")
    GELU(approximate='tanh')
    """
    def __init__(self, approximate: str = "none") -> None:
        self.approximate = AF.checked_approximation("GELU", approximate)

    def forward(self, x: Tensor) -> Tensor:
        return AF.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """1 / (1 + e^-x), evaluated without overflow.

    >>> Sigmoid()(Tensor([-1000.0, 0.0, 1000.0]))
    Tensor([0. , 0.5, 1. ])
    """
    def forward(self, x: Any) -> Any:
        try:
            return x.sigmoid()
        except AttributeError:      # not a node: an array, a list, a pool's (values, indices)
            return AF._node(x, repr(self)).sigmoid()


class Tanh(Module):
    """tanh(x).

    >>> Tanh()(Tensor([-100.0, 0.0, 100.0]))
    Tensor([-1.,  0.,  1.])
    """
    def forward(self, x: Any) -> Any:
        try:
            return x.tanh()
        except AttributeError:      # not a node: an array, a list, a pool's (values, indices)
            return AF._node(x, repr(self)).tanh()


class Softmax(Module):
    """exp(x) / Σ exp(x) along `axis` (stable). `dim` is PyTorch's name for `axis`. Not given,
    the axis is the last one for input up to 2-D; 3-D and more must say (`Softmax(dim=-1)`).

    >>> Softmax()(Tensor([[0.0, 0.0], [0.0, np.log(3)]]))       # each row sums to 1
    Tensor([[0.5 , 0.5 ],
            [0.25, 0.75]])
    """
    def __init__(self, axis: int | None = None, *, dim: int | None = None) -> None:
        self.axis = _one_name(type(self).__name__, "axis", axis, None, "dim", dim)

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else AF._tensor(x, repr(self))
        return AF.softmax(x, _softmax_axis(type(self).__name__, self.axis, None, x.shape))

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    """x - logsumexp(x) along `axis` (stable; pair with `nll_loss`).

    >>> LogSoftmax()(Tensor([0.0, 0.0]))                         # ln(1/2) each
    Tensor([-0.6931472, -0.6931472])
    """
    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else AF._tensor(x, repr(self))
        return AF.log_softmax(x, _softmax_axis("LogSoftmax", self.axis, None, x.shape))


# -- PyTorch's others: Tensors only --------------------------------------------------------------

class _InPlace(Module):
    """An activation that takes PyTorch's `inplace` flag (shown in the repr when set): with it,
    the result is written into the input Tensor, which the module returns."""

    inplace = False             # (a subclass need not call __init__)

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""

    def _with_inplace(self, settings: str) -> str:
        return settings + (", inplace=True" if self.inplace else "")


class Hardtanh(_InPlace):
    """x clamped to [min_val, max_val] (`F.hardtanh`); slope 1 strictly inside, else 0.

    >>> Hardtanh()(Tensor([-3.0, 0.5, 3.0]))
    Tensor([-1. ,  0.5,  1. ])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
                 ) -> None:
        super().__init__(inplace)
        self.min_val, self.max_val = F.checked_hardtanh_bounds(type(self).__name__, min_val,
                                                               max_val)

    def forward(self, x: Any) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return self._with_inplace(f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6) (`F.relu6`): a Hardtanh from 0 to 6, as in PyTorch.

    >>> ReLU6()(Tensor([-1.0, 3.0, 8.0])).numpy()
    array([0., 3., 6.], dtype=float32)
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _InPlace.extra_repr(self)


class ELU(_InPlace):
    """x where x > 0, else α (eˣ - 1) (`F.elu`), stable at ±1000.

    >>> ELU()(Tensor([-100.0, 2.0]))                             # goes down to -alpha
    Tensor([-1.,  2.])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = AF._real("ELU", "alpha", alpha)

    def forward(self, x: Any) -> Tensor:
        return F.elu(x, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return self._with_inplace(f"alpha={self.alpha}")


class SELU(_InPlace):
    """s · elu(x, α) with PyTorch's α ≈ 1.6733 and s ≈ 1.0507 (`F.selu`).

    >>> SELU()(Tensor([0.0, 1.0]))                               # s · 1 for x = 1
    Tensor([0.      , 1.050701])
    """

    def forward(self, x: Any) -> Tensor:
        return F.selu(x, self.inplace)


class CELU(_InPlace):
    """max(0, x) + min(0, α (e^(x/α) - 1)) (`F.celu`); α must not be 0.

    >>> CELU(alpha=2.0)(Tensor([-100.0, 2.0]))                   # goes down to -alpha
    Tensor([-2.,  2.])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = AF.checked_celu_alpha("CELU", alpha)

    def forward(self, x: Any) -> Tensor:
        return F.celu(x, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return self._with_inplace(f"alpha={self.alpha}")


class SiLU(_InPlace):
    """x · σ(x), also called swish (`F.silu`).

    >>> SiLU()(Tensor([0.0, 100.0]))                             # 0 · 1/2, and ~x for large x
    Tensor([  0., 100.])
    """

    def forward(self, x: Any) -> Tensor:
        return F.silu(x, self.inplace)


class Mish(_InPlace):
    """x · tanh(softplus(x)) (`F.mish`).

    >>> Mish()(Tensor([0.0, 100.0]))
    Tensor([  0., 100.])
    """

    def forward(self, x: Any) -> Tensor:
        return F.mish(x, self.inplace)


class Hardsigmoid(_InPlace):
    """relu6(x + 3) / 6 (`F.hardsigmoid`).

    >>> Hardsigmoid()(Tensor([-3.0, 0.0, 3.0]))
    Tensor([0. , 0.5, 1. ])
    """

    def forward(self, x: Any) -> Tensor:
        return F.hardsigmoid(x, self.inplace)


class Hardswish(_InPlace):
    """x · relu6(x + 3) / 6 (`F.hardswish`).

    >>> Hardswish()(Tensor([0.0, 1.5, 3.0]))                     # 1.5 · 4.5 / 6 = 1.125
    Tensor([0.   , 1.125, 3.   ])
    """

    def forward(self, x: Any) -> Tensor:
        return F.hardswish(x, self.inplace)


class Softplus(Module):
    """(1/β) ln(1 + e^(βx)), and x where βx > threshold (`F.softplus`); β must not be 0.

    >>> Softplus()(Tensor([0.0, 30.0]))                          # ln 2; past the threshold, x
    Tensor([ 0.6931472, 30.       ])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta, self.threshold = F.checked_softplus_options("Softplus", beta, threshold)

    def forward(self, x: Any) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """x / (1 + |x|) (`F.softsign`).

    >>> Softsign()(Tensor([-1.0, 0.0, 3.0]))
    Tensor([-0.5 ,  0.  ,  0.75])
    """

    def forward(self, x: Any) -> Tensor:
        return F.softsign(x)


class LogSigmoid(Module):
    """ln σ(x) = -softplus(-x), stable (`F.logsigmoid`).

    >>> LogSigmoid()(Tensor([0.0, -30.0]))                       # ln(1/2); ~x far below 0
    Tensor([ -0.6931472, -30.       ])
    """

    def forward(self, x: Any) -> Tensor:
        return F.logsigmoid(x)


class Tanhshrink(Module):
    """x - tanh(x) (`F.tanhshrink`).

    >>> Tanhshrink()(Tensor([0.0, 100.0]))
    Tensor([ 0., 99.])
    """

    def forward(self, x: Any) -> Tensor:
        return F.tanhshrink(x)


class Threshold(Module):
    """x where x > threshold, else `value` (`F.threshold`).

    >>> Threshold(0.1, 20.0)
    Threshold(threshold=0.1, value=20.0)
    """

    inplace = False             # (a subclass need not call __init__)

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        self.threshold = AF._real("Threshold", "threshold", threshold)
        self.value, self.inplace = AF._real("Threshold", "value", value), inplace

    def forward(self, x: Any) -> Tensor:
        return F.threshold(x, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class Hardshrink(Module):
    """x where |x| > lambd, else 0 (`F.hardshrink`).

    >>> Hardshrink()
    Hardshrink(0.5)
    """

    def __init__(self, lambd: float = 0.5) -> None:
        self.lambd = AF._real("Hardshrink", "lambd", lambd)

    def forward(self, x: Any) -> Tensor:
        return F.hardshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Module):
    """x - lambd · sign(x) where |x| > lambd, else 0 (`F.softshrink`); lambd >= 0.

    >>> Softshrink(0.5)(Tensor([-2.0, 0.3, 1.0]))
    Tensor([-1.5,  0. ,  0.5])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        self.lambd = F.checked_shrink_lambda("Softshrink", lambd)

    def forward(self, x: Any) -> Tensor:
        return F.softshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softmin(Module):
    """softmax(-x) along `axis` (`dim`, PyTorch's name; not given, as Softmax's) (`F.softmin`).

    >>> Softmin()(Tensor([0.0, np.log(3)]))                      # the smaller one gets more
    Tensor([0.75, 0.25])
    """

    def __init__(self, axis: int | None = None, *, dim: int | None = None) -> None:
        self.axis = _one_name("Softmin", "axis", axis, None, "dim", dim)

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else AF._tensor(x, repr(self))
        return F.softmin(x, _softmax_axis("Softmin", self.axis, None, x.shape))

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class GLU(Module):
    """a · σ(b), for the two halves a, b of the input along `dim` (`F.glu`).

    >>> GLU()(Tensor(np.zeros((2, 6)))).shape
    (2, 3)
    """

    def __init__(self, dim: int = -1) -> None:
        self.dim = _int("GLU", "dim", dim)

    def forward(self, x: Any) -> Tensor:
        return F.glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """x where x > 0, else a · x, with the slope a learned (`F.prelu`): one slope shared by all
    channels (num_parameters=1), or one per channel (num_parameters=C, channel axis 1, as in
    PyTorch), all starting at `init`. The `state_dict()` is PyTorch's: one entry, `weight`
    (num_parameters,). (PyTorch advises no weight decay on it: decay pulls the slope to 0,
    making it a ReLU.)

    >>> act = PReLU(3)
    >>> act, act.weight
    (PReLU(num_parameters=3), Parameter([0.25, 0.25, 0.25], requires_grad=True))
    >>> act(Tensor(-np.ones((2, 3, 4)))).shape
    (2, 3, 4)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        check_device("PReLU", device)
        num_parameters = _int("PReLU", "num_parameters", num_parameters)
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be >= 1 (1, or the number of "
                             f"channels), got {num_parameters}")
        self.num_parameters, self.init = num_parameters, AF._real("PReLU", "init", init)
        self.weight = Parameter(np.full(num_parameters, self.init),
                                get_default_dtype() if dtype is None else dtype)

    def reset_parameters(self) -> None:
        """Every slope back to `init`, in place, as when made."""
        with no_grad():
            self.weight.copy_(np.full(self.num_parameters, self.init))

    def forward(self, x: Any) -> Tensor:
        try:
            return F.prelu(x, self.weight)
        except ValueError as error:         # name the layer, not only the function
            if not str(error).startswith("prelu: "):
                raise
            raise ValueError(f"{self!r}: {str(error).removeprefix('prelu: ')}") from None

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


def _int(name: str, what: str, value: Any) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name}: {what} must be an int, got {value!r}")
    return int(value)
