"""Initialisers: fill a parameter in place, every random draw from a seedable numpy Generator.

Each function overwrites the numbers of a Tensor (keeping its dtype and shape) and returns it.
Nothing is recorded: the values are written straight into `.data`, so no graph is built. Random
draws come from `rng=` (or PyTorch's `generator=`) or from the shared generator, so
`autograd.manual_seed(s)` makes a run reproducible. `uniform_`, `normal_`, `trunc_normal_`,
`zeros_`, `ones_` and `constant_` also fill a list of `Value`s (the scalar engine's parameters).
Every one also fills a parameter's numpy array in place, as PyTorch's fills `.data`:
`init.normal_(m.weight.data, 0.0, 0.02)` (DCGAN's init) writes into `m.weight`.

Convention: a `Linear` weight has PyTorch's shape (out_features, in_features) (the layer computes
x @ Wᵀ), so fan_in = shape[1] and fan_out = shape[0], as in PyTorch. Convolution weights have
PyTorch's layout (out, in/groups, *kernel) and PyTorch's fans.

>>> from autograd import manual_seed, zeros
>>> W = zeros(3, 2)
>>> manual_seed(0); first = xavier_uniform_(W).data.copy()
>>> manual_seed(0); bool((xavier_uniform_(W).data == first).all())   # same seed, same numbers
True
>>> bool(abs(W.data).max() <= (6 / (3 + 2)) ** 0.5)                  # within ±√(6/(in+out))
True
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any, Callable

import numpy as np

from autograd import Tensor, Value, no_grad
from autograd.random import chosen_generator

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "zeros_", "ones_", "constant_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
    "eye_", "dirac_",
]

Target = Any        # a Tensor, or a list of Values where the function says so


def _fills_arrays(fill: Callable) -> Callable:
    """Let `fill` take a parameter's numpy array too (`init.normal_(m.weight.data, 0.0, 0.02)`,
    the DCGAN init): `.data` is the parameter's own array, so the numbers are written into it,
    in place, as PyTorch's `.data` tensor shares the parameter's storage; the array is returned.
    """
    @functools.wraps(fill)
    def fill_array_too(tensor: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(tensor, np.ndarray):
            fill(Tensor(tensor), *args, **kwargs)       # (a Tensor of an array shares it)
            return tensor
        return fill(tensor, *args, **kwargs)
    return fill_array_too


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which an activation shrinks the spread of its inputs, undone by the init.

    linear (and PyTorch's other names for a layer without activation: conv1d, conv2d,
    conv3d, conv_transpose1d/2d/3d) and sigmoid 1, tanh 5/3, relu √2, leaky_relu
    √(2 / (1 + slope²)) (slope `param`, default 0.01), selu 3/4: PyTorch's values.

    >>> calculate_gain("relu") == 2 ** 0.5
    True
    """
    if nonlinearity in ("linear", "identity", "sigmoid") or nonlinearity in _LINEAR_LAYERS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
            raise ValueError(f"calculate_gain: the leaky_relu slope must be a number, "
                             f"got {slope!r}")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
                     f"'linear', 'identity', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu' "
                     f"(or a layer's name, such as 'conv2d': gain 1)")


_LINEAR_LAYERS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d")


# ----------------------------------------------------------------------------------------------
# Plain fills
# ----------------------------------------------------------------------------------------------

@_fills_arrays
def uniform_(tensor: Target, a: float = 0.0, b: float = 1.0,
             rng: np.random.Generator | None = None, *,
             generator: np.random.Generator | None = None) -> Target:
    """Fill with draws from U(a, b). The lectures break symmetry with `uniform_(W, -eps, eps)`.

    a == b fills with a, as in PyTorch: the notes' `rand * 2 * eps - eps` with eps = 0 is zeros.

    >>> from autograd import zeros
    >>> uniform_(zeros(3), 0.0, 0.0).data.tolist()
    [0.0, 0.0, 0.0]
    """
    a, b = _real("uniform_", "a", a), _real("uniform_", "b", b)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"uniform_: needs finite bounds, got a={a!r}, b={b!r}")
    if not a <= b:
        raise ValueError(f"uniform_: needs a <= b, got a={a!r}, b={b!r}")
    if not math.isfinite(b - a):          # numpy's draw would fail with an OverflowError
        raise ValueError(f"uniform_: the width b - a overflows, got a={a!r}, b={b!r}; "
                         f"give a narrower range")
    return _fill_random("uniform_", tensor, lambda r, shape: r.uniform(a, b, shape), rng,
                        generator)


@_fills_arrays
def normal_(tensor: Target, mean: float = 0.0, std: float = 1.0,
            rng: np.random.Generator | None = None, *,
            generator: np.random.Generator | None = None) -> Target:
    """Fill with draws from N(mean, std²).

    >>> from autograd import zeros
    >>> W = normal_(zeros(1000), mean=1.0, std=0.1, rng=np.random.default_rng(0))
    >>> round(float(W.data.mean()), 2), round(float(W.data.std()), 2)
    (1.0, 0.1)
    """
    mean, std = _real("normal_", "mean", mean), _real("normal_", "std", std)
    if not std >= 0:
        raise ValueError(f"normal_: std must be >= 0, got {std!r}")
    return _fill_random("normal_", tensor, lambda r, shape: r.normal(mean, std, shape), rng,
                        generator)


@_fills_arrays
def trunc_normal_(tensor: Target, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, rng: np.random.Generator | None = None, *,
                  generator: np.random.Generator | None = None) -> Target:
    """Fill with draws from N(mean, std²) conditioned on a <= x <= b (a and b are values, not
    multiples of std, as in PyTorch): a normal whose rare far draws are never made.

    Drawn by rejection: propose from N(mean, std²), or uniformly on [a, b] when the interval is
    narrow or out in a tail, and keep the proposals the truncated density accepts.

    >>> from autograd import zeros
    >>> W = trunc_normal_(zeros(100, 100), std=0.02, a=-0.04, b=0.04)
    >>> bool(abs(W.data).max() <= 0.04)
    True
    """
    mean, std, a, b = (_real("trunc_normal_", key, value)
                       for key, value in (("mean", mean), ("std", std), ("a", a), ("b", b)))
    if not a < b:
        raise ValueError(f"trunc_normal_: needs a < b, got a={a!r}, b={b!r}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be > 0, got {std!r}")
    low, high = (a - mean) / std, (b - mean) / std     # the bounds in standard units
    return _fill_random("trunc_normal_", tensor,
                        lambda r, shape: mean + std * _standard_truncated_normal(r, low, high,
                                                                                 shape),
                        rng, generator)


@_fills_arrays
def constant_(tensor: Target, val: float) -> Target:
    """Fill with the number `val`.

    >>> from autograd import zeros
    >>> constant_(zeros(2, 2), 0.5).data
    array([[0.5, 0.5],
           [0.5, 0.5]], dtype=float32)
    """
    return _write("constant_", tensor, lambda shape: np.full(shape, val))


@_fills_arrays
def zeros_(tensor: Target) -> Target:
    """Fill with 0. For all the weights of a network this fails to break symmetry: the hidden
    units of a layer start equal, get equal gradients and stay equal.

    >>> from autograd import Value
    >>> zeros_([Value(1.0), Value(2.0)])            # a list of Values too
    [Value(data=0.0, grad=0.0), Value(data=0.0, grad=0.0)]
    """
    return _write("zeros_", tensor, np.zeros)


@_fills_arrays
def ones_(tensor: Target) -> Target:
    """Fill with 1.

    >>> from autograd import zeros
    >>> ones_(zeros(2, 3)).data
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    """
    return _write("ones_", tensor, np.ones)


@_fills_arrays
def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d weight with the identity matrix (ones on the diagonal, zeros elsewhere; a
    rectangular one too): a Linear(n, n) that starts by passing its input through.

    >>> from autograd import zeros
    >>> eye_(zeros(2, 3)).data
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    if not isinstance(tensor, Tensor) or tensor.ndim != 2:
        what = f"shape {tensor.shape}" if isinstance(tensor, Tensor) else type(tensor).__name__
        raise ValueError(f"eye_: needs a 2-d Tensor, got {what}")
    return _write("eye_", tensor, lambda shape: np.eye(*shape))


@_fills_arrays
def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a convolution weight (out, in, *kernel) of 3, 4 or 5 dimensions with the Dirac delta,
    as PyTorch does: output channel i of each group copies input channel i (a 1 at the kernel's
    centre), so the convolution starts as the identity on the first min(out/groups, in)
    channels; the rest are zeros. `groups` splits the output channels as in `Conv2d(groups=)`.

    >>> import numpy as np
    >>> from autograd import Tensor, zeros
    >>> from nn.functional import conv2d
    >>> x = Tensor(np.arange(18.0).reshape(1, 2, 3, 3))
    >>> bool((conv2d(x, dirac_(zeros(2, 2, 3, 3, dtype=np.float64)), padding=1).data
    ...       == x.data).all())
    True
    """
    if not isinstance(tensor, Tensor) or tensor.ndim not in (3, 4, 5):
        what = f"shape {tensor.shape}" if isinstance(tensor, Tensor) else type(tensor).__name__
        raise ValueError(f"dirac_: needs a convolution weight of 3, 4 or 5 dimensions "
                         f"(out, in, *kernel), got {what}")
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1 \
            or tensor.shape[0] % groups:
        raise ValueError(f"dirac_: groups must be a positive integer that divides the "
                         f"{tensor.shape[0]} output channels, got {groups!r}")
    per_group = tensor.shape[0] // groups

    def make(shape: tuple) -> np.ndarray:
        values = np.zeros(shape)
        centre = tuple(k // 2 for k in shape[2:])
        for g in range(groups):
            for d in range(min(per_group, shape[1])):
                values[(g * per_group + d, d) + centre] = 1.0
        return values

    return _write("dirac_", tensor, make)


# ----------------------------------------------------------------------------------------------
# Scaled by the fans: keep the spread of activations (Glorot & Bengio) or of ReLU outputs (He)
# ----------------------------------------------------------------------------------------------

@_fills_arrays
def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    rng: np.random.Generator | None = None, *,
                    generator: np.random.Generator | None = None) -> Tensor:
    """Glorot: U(-limit, limit), limit = gain · √(6 / (fan_in + fan_out)); weight (out, in).

    >>> from autograd import zeros
    >>> W = xavier_uniform_(zeros(30, 20), rng=np.random.default_rng(0))
    >>> bool(abs(W.data).max() <= (6 / (20 + 30)) ** 0.5)
    True
    """
    fan_in, fan_out = _fans("xavier_uniform_", tensor)
    gain = _gain("xavier_uniform_", gain)
    limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill_random("xavier_uniform_", tensor,
                        lambda r, shape: r.uniform(-limit, limit, shape), rng, generator)


@_fills_arrays
def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   rng: np.random.Generator | None = None, *,
                   generator: np.random.Generator | None = None) -> Tensor:
    """Glorot: N(0, std²), std = gain · √(2 / (fan_in + fan_out)); weight (out, in).

    >>> from autograd import zeros
    >>> W = xavier_normal_(zeros(300, 200), rng=np.random.default_rng(0))
    >>> round(float(W.data.std()), 3), round((2 / (200 + 300)) ** 0.5, 3)
    (0.063, 0.063)
    """
    fan_in, fan_out = _fans("xavier_normal_", tensor)
    gain = _gain("xavier_normal_", gain)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill_random("xavier_normal_", tensor, lambda r, shape: r.normal(0.0, std, shape),
                        rng, generator)


@_fills_arrays
def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     rng: np.random.Generator | None = None, *,
                     generator: np.random.Generator | None = None) -> Tensor:
    """He: U(-bound, bound), bound = √3 · gain / √fan, gain = calculate_gain(nonlinearity, a).

    `mode` "fan_in" (shape[1], times the kernel size for a convolution weight) keeps the forward
    signal's spread, "fan_out" (shape[0], likewise) the gradients'. The defaults (leaky_relu with
    slope a = 0) give ReLU's gain √2, as in PyTorch.

    >>> from autograd import zeros
    >>> W = kaiming_uniform_(zeros(64, 50), nonlinearity="relu")
    >>> bool(abs(W.data).max() <= (6 / 50) ** 0.5)       # bound √3 · √2 / √fan_in
    True
    """
    std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    bound = math.sqrt(3.0) * std
    return _fill_random("kaiming_uniform_", tensor,
                        lambda r, shape: r.uniform(-bound, bound, shape), rng, generator)


@_fills_arrays
def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    rng: np.random.Generator | None = None, *,
                    generator: np.random.Generator | None = None) -> Tensor:
    """He: N(0, std²), std = gain / √fan (see `kaiming_uniform_` for the arguments).

    >>> from autograd import zeros
    >>> W = kaiming_normal_(zeros(100, 200), nonlinearity="relu", rng=np.random.default_rng(0))
    >>> round(float(W.data.std()), 2)                  # √2 / √200
    0.1
    """
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    return _fill_random("kaiming_normal_", tensor, lambda r, shape: r.normal(0.0, std, shape),
                        rng, generator)


@_fills_arrays
def orthogonal_(tensor: Tensor, gain: float = 1.0,
                rng: np.random.Generator | None = None, *,
                generator: np.random.Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times `gain` (Saxe et al.), as PyTorch does.

    The weight is seen as a matrix of shape[0] rows and the rest flattened into columns; its
    rows are orthonormal when there are no more rows than columns (W Wᵀ = gain² I), else its
    columns are (Wᵀ W = gain² I). Drawn as the Q of the QR decomposition of a standard normal
    matrix, signs fixed by R's diagonal so that Q is uniformly distributed.

    >>> import numpy as np
    >>> from autograd import zeros
    >>> W = orthogonal_(zeros(3, 5), gain=2.0).data
    >>> bool(np.allclose(W @ W.T, 4 * np.eye(3), atol=1e-6))     # float32 rounding
    True
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"orthogonal_: needs a Tensor of 2 or more dimensions, got "
                        f"{type(tensor).__name__}")
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: needs a tensor of 2 or more dimensions (rows = shape[0], "
                         f"the rest flattened into columns), got shape {tensor.shape}")
    if tensor.size == 0:
        return tensor                               # nothing to fill, as in PyTorch
    rows = tensor.shape[0]
    columns = tensor.size // rows

    def draw(generator: np.random.Generator, shape: tuple) -> np.ndarray:
        tall = generator.normal(0.0, 1.0, (rows, columns))
        if rows < columns:
            tall = tall.T                           # QR of the tall one: orthonormal columns
        q, r = np.linalg.qr(tall)
        q = q * np.sign(np.diag(r))                 # unique Q, uniform over orthogonal matrices
        if rows < columns:
            q = q.T
        return gain * q.reshape(shape)

    return _fill_random("orthogonal_", tensor, draw, rng, generator)


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------

def _fans(name: str, tensor: Any) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out_features, in_features), or of a convolution
    weight in PyTorch's layout (out_channels, in_channels/groups, *kernel): each output sees
    in_channels/groups · kernel inputs, each input feeds out_channels · kernel outputs."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: needs a 2-d weight Tensor (out_features, in_features), got "
                        f"{type(tensor).__name__}")
    if tensor.ndim >= 3:
        taps = int(np.prod(tensor.shape[2:]))
        return max(tensor.shape[1] * taps, 1), max(tensor.shape[0] * taps, 1)
    if tensor.ndim != 2:
        raise ValueError(f"{name}: fan_in and fan_out are defined for a 2-d weight of shape "
                         f"(out_features, in_features) or a convolution weight (out, in, *kernel), "
                         f"got shape {tensor.shape} (fill biases with zeros_ or uniform_)")
    fan_out, fan_in = tensor.shape
    return max(fan_in, 1), max(fan_out, 1)          # an empty weight: no division by 0


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """PyTorch's private helper, which custom `reset_parameters` methods call: (fan_in,
    fan_out) of a weight (out_features, in_features), or of a convolution weight (out,
    in/groups, *kernel), the fans every initialiser here uses. Unlike PyTorch's, each is at
    least 1 (an empty weight gives 1, not 0), so 1/√fan_in never divides by zero.

    >>> from autograd import zeros
    >>> _calculate_fan_in_and_fan_out(zeros(16, 3, 5, 5))     # 3·5·5 in, 16·5·5 out
    (75, 400)
    """
    return _fans("_calculate_fan_in_and_fan_out", tensor)


def _kaiming_std(name: str, tensor: Any, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = _fans(name, tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{name}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _real(name: str, key: str, value: Any) -> float:
    """`value` as a float, or a TypeError naming the initialiser and the argument. A 0-d
    Tensor counts as its number, as in PyTorch (fast.ai's random erasing fills a patch with
    `init.normal_(patch, mean=x.mean(), std=x.std())`)."""
    if isinstance(value, Tensor) and value.ndim == 0 and value.dtype.kind in "fiu":
        return float(value.data)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {key} must be a real number, got {value!r:.60}")
    return float(value)


def _gain(name: str, gain: Any) -> float:
    """A scale of the weights' spread: a number >= 0 (PyTorch's negative gain fails later, in
    uniform_ or normal_, with a message about their bounds)."""
    gain = _real(name, "gain", gain)
    if not gain >= 0:
        raise ValueError(f"{name}: gain must be >= 0, got {gain!r}")
    return gain


def _shape(name: str, target: Any) -> tuple:
    if isinstance(target, Tensor):
        return target.shape
    if isinstance(target, (list, tuple)) and all(isinstance(v, Value) for v in target):
        return (len(target),)
    got = type(target).__name__
    if callable(getattr(target, "parameters", None)):       # a model or a layer
        got = (f"the model {got}; initialise each of its parameters: for p in "
               f"model.parameters(): init.{name}(p, ...)")
    raise TypeError(f"{name}: expects a Tensor or a list of Values, got {got}")


def _write(name: str, target: Any, make: Callable[[tuple], np.ndarray]) -> Any:
    """Overwrite the numbers of `target` with `make(shape)`, in place; returns `target`."""
    values = make(_shape(name, target))
    if isinstance(target, Tensor):
        if not target.is_leaf:
            # a parametrized weight (weight_norm, spectral_norm, orthogonal) is computed at
            # each read: numbers written into it would change nothing
            raise RuntimeError(f"{name}: this tensor is computed (the result of {target.op}), "
                               f"not a parameter, so writing into it would change nothing; a "
                               f"parametrized weight (weight_norm, spectral_norm, "
                               f"orthogonal, ...)? Initialise the layer before registering "
                               f"the parametrization, or assign the new numbers, "
                               f"`layer.weight = values`, which go through it")
        with no_grad():                             # (a parameter is written in place)
            target.copy_(values)                    # casts to the tensor's own dtype
    else:
        for v, x in zip(target, values):
            v.data = float(x)
    return target


def _fill_random(name: str, target: Any, draw: Callable, rng: np.random.Generator | None,
                 generator: np.random.Generator | None = None) -> Any:
    """`_write` with random numbers: `draw(generator, shape)`, from `rng` (glassgrad's name) or
    `generator` (PyTorch's), or else from the shared one."""
    if isinstance(target, Tensor) and target.dtype.kind != "f":
        raise TypeError(f"{name}: needs a floating-point tensor, got dtype {target.dtype}")
    if rng is not None and generator is not None:
        raise TypeError(f"{name}: got rng= and generator=, which name the same thing; give one")
    chosen = chosen_generator(name, generator if rng is None else rng)
    return _write(name, target, lambda shape: draw(chosen, shape))


def _standard_normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _standard_normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _standard_truncated_normal(rng: np.random.Generator, low: float, high: float,
                               shape: tuple) -> np.ndarray:
    """Draws from N(0, 1) conditioned on low <= x <= high, by rejection sampling.

    Two proposals, the one that wastes fewer draws is used: N(0, 1) itself (kept when inside the
    bounds: acceptance = the mass inside), or U(low, high) kept with probability
    pdf(x) / (largest pdf on the interval) (good for narrow intervals and for tails)."""
    if low > 0:                                     # mirror an upper tail: erfc stays accurate
        return -_standard_truncated_normal(rng, -high, -low, shape)
    mass = _standard_normal_cdf(high) - _standard_normal_cdf(low)
    peak = _standard_normal_pdf(min(max(0.0, low), high))     # the pdf's top on [low, high]
    width = high - low
    uniform_acceptance = mass / (width * peak) if math.isfinite(width) else 0.0
    acceptance = max(mass, uniform_acceptance)
    if acceptance < 1e-6:
        raise ValueError(f"trunc_normal_: the interval holds only {mass:.3g} of the normal "
                         f"distribution ({low:.3g} to {high:.3g} standard deviations from the "
                         f"mean); move mean or widen [a, b]")
    count = int(np.prod(shape))
    kept: list[np.ndarray] = []
    missing = count
    while missing > 0:
        proposals = int(missing / acceptance * 1.1) + 16
        if mass >= uniform_acceptance:
            x = rng.normal(0.0, 1.0, proposals)
            x = x[(low <= x) & (x <= high)]
        else:
            x = rng.uniform(low, high, proposals)
            density = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
            x = x[rng.uniform(0.0, peak, proposals) <= density]
        kept.append(x[:missing])
        missing -= len(kept[-1])
    return np.concatenate(kept).reshape(shape)
