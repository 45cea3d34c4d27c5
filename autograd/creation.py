"""Making tensors the way PyTorch code does: from data (`tensor`, `from_numpy`), filled (`zeros`,
`ones`, `full`, `eye`, `empty`, `zeros_like`, `ones_like`, `full_like`, `empty_like`), ranges
(`arange`, `linspace`, `logspace`) and random draws (`randn`, `rand`, `randint`, `randn_like`,
`rand_like`, `randint_like`, `randperm`, `normal`, `bernoulli`, `poisson`, `multinomial`), with
PyTorch's names, arguments and dtypes; and `is_tensor`, `numel`, and the old `Variable`.

>>> from autograd import arange, manual_seed, randn
>>> arange(4)                           # int arguments: int64, as in PyTorch
Tensor([0, 1, 2, 3], dtype=int64)
>>> manual_seed(0)
>>> W = randn(3, 2, requires_grad=True)
>>> (W * W).sum().backward()
>>> bool((W.grad == 2 * W.data).all())
True

Random creators draw from the shared generator (`autograd.manual_seed` reseeds it) unless given
`generator=`: a numpy Generator, or `autograd.Generator().manual_seed(seed)` for PyTorch's
`torch.Generator().manual_seed(seed)`. glassgrad's generator is numpy's, not PyTorch's: a seed
gives the same numbers in every glassgrad run, but not the numbers PyTorch gives for it.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Sequence

import numpy as np

from .devices import check_device
from .pytorch_names import numpy_dtype, refuse_names
from .random import chosen_generator
from .tensor import Tensor, _shape_args, _to_array, get_default_dtype
from .tensor_in_place import share_with_numpy

Size = int | Sequence[int]


# -- checking the arguments ----------------------------------------------------------------------

def _sizes(where: str, shape: tuple, size: Any = None) -> tuple[int, ...]:
    """f(2, 3), f((2, 3)) and f(size=(2, 3)) alike, as `zeros` takes them; every size an int
    >= 0. A 0-d integer Tensor counts as its int, as in PyTorch (zeros(n), n = lengths.max())."""
    if size is not None:
        if shape:
            raise TypeError(f"{where}: got the sizes {shape!r} and size={size!r}; give the "
                            f"shape once")
        shape = (size,)
    shape = tuple(n.item() if _is_int_scalar_tensor(n) else n for n in shape)
    try:
        sizes = _shape_args(shape)
        sizes = tuple(n.item() if _is_int_scalar_tensor(n) else n for n in sizes)
    except TypeError:                           # f(2.5): not an int, nor a tuple of them
        sizes = None
    if sizes is None or not all(_is_int(n) and n >= 0 for n in sizes):
        given = shape[0] if len(shape) == 1 else shape
        raise ValueError(f"{where}: sizes must be ints >= 0, such as 2, 3 or (2, 3); "
                         f"got {given!r}")
    return tuple(int(n) for n in sizes)


def _is_int_scalar_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) and value.ndim == 0 and value.dtype.kind in "iu"


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _number(value: Any) -> Any:
    """A 0-d Tensor stands for its number, as in PyTorch (`arange(n)` for n = lengths.max())."""
    return value.item() if isinstance(value, Tensor) and value.ndim == 0 else value


def _count(where: str, name: str, value: Any, least: int = 0) -> int:
    """An int argument that counts something (n, steps, num_samples): at least `least`."""
    value = _number(value)
    if not _is_int(value):
        raise TypeError(f"{where}: {name} must be an int, got {value!r}")
    if value < least:
        raise ValueError(f"{where}: {name} must be at least {least}, got {value}")
    return int(value)


def _finite(where: str, name: str, value: Any) -> int | float:
    """A finite real number (an end of a range), as a Python int or float: numpy's float32
    has no math.trunc."""
    value = _number(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be finite, got {value!r}")
    return int(value) if _is_int(value) else float(value)


def _dtype(where: str, dtype: Any, default: Any, floating: bool = False) -> np.dtype:
    """`dtype` as a numpy dtype (`default` when None); `floating=True` for random normals and
    uniforms, which have no integer form (PyTorch refuses them too)."""
    dtype = np.dtype(default) if dtype is None else numpy_dtype(where, dtype)
    if floating and dtype.kind != "f":
        raise TypeError(f"{where}: dtype must be floating point, got {dtype}")
    return dtype


def _whole_numbers(dtype: np.dtype) -> tuple[int, int]:
    """The smallest and largest integers a random draw may give in `dtype`: an integer dtype's
    range; a floating dtype's finite range (numpy would make 2**30 inf in float16, as PyTorch
    refuses it), within int64's, in which the integers are drawn."""
    if dtype.kind == "b":
        return 0, 1
    if dtype.kind in "iu":
        return int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)
    largest = min(int(np.finfo(dtype).max), 2 ** 63 - 1)
    return -largest, largest


def _exact_integers(dtype: np.dtype) -> int:
    """The integer up to which a floating dtype holds every integer exactly (2**24 in float32,
    2**11 in float16: beyond it some are rounded to their neighbours)."""
    return 2 ** (np.finfo(dtype).nmant + 1)


def _can_require_grad(where: str, dtype: np.dtype, requires_grad: bool) -> None:
    """Checked before anything is drawn, so that a refused call leaves the generator alone."""
    if requires_grad and dtype.kind != "f":
        raise TypeError(f"{where}: only floating-point tensors can require grad, got dtype "
                        f"{dtype}; pass a floating dtype (dtype=np.float32)")


def _shape_and_dtype(where: str, input: Any) -> tuple[tuple[int, ...], np.dtype]:
    """What a `*_like` creator copies from its input."""
    if isinstance(input, memoryview):       # fast.ai's zeros_like(p.grad.data)
        raise TypeError(f"{where}: input must be a Tensor (or an ndarray), got a memoryview, "
                        f"what numpy's .data of an array is: p.grad is the numpy array itself "
                        f"here (PyTorch's p.grad.data), so write {where}(p.grad)")
    if not isinstance(input, (Tensor, np.ndarray)):
        raise TypeError(f"{where}: input must be a Tensor (or an ndarray), got "
                        f"{type(input).__name__}")
    return input.shape, input.dtype


def _fill_number(where: str, fill_value: Any) -> bool | int | float:
    """`fill_value` as a Python bool, int or float (a numpy scalar's numbers are those; numpy's
    int32 has no math.trunc), whose kind picks `full`'s dtype. A 0-d Tensor gives its number,
    as in PyTorch (`full(shape, t.max())`)."""
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:
        fill_value = fill_value.item()
    if isinstance(fill_value, (bool, np.bool_)):
        return bool(fill_value)
    if not isinstance(fill_value, numbers.Real):
        raise TypeError(f"{where}: fill_value must be a real number or a bool, got "
                        f"{fill_value!r}")
    return int(fill_value) if _is_int(fill_value) else float(fill_value)


def _filled(where: str, shape: tuple[int, ...], fill_value: Any, dtype: np.dtype) -> np.ndarray:
    """np.full, for a fill_value that `dtype` can hold (a float is cut to an int, as PyTorch
    does). numpy would store 300 in uint8 as 44, NaN in int64 as -9223372036854775808 and 1e39
    in float32 as inf, warning at most; PyTorch refuses them, and so does this."""
    fill_value = _fill_number(where, fill_value)
    if dtype.kind in "iu" and not isinstance(fill_value, (bool, np.bool_)):
        low, high = np.iinfo(dtype).min, np.iinfo(dtype).max
        if not (_is_int(fill_value) or math.isfinite(fill_value)) or \
                not low <= math.trunc(fill_value) <= high:
            raise ValueError(f"{where}: fill_value {fill_value!r} does not fit in {dtype} "
                             f"(integers from {low} to {high})")
    if dtype.kind == "f":
        with np.errstate(over="ignore"):
            try:
                overflows = math.isinf(dtype.type(fill_value)) and math.isfinite(fill_value)
            except OverflowError:               # an int beyond float64's range
                overflows = True
        if overflows:
            raise ValueError(f"{where}: fill_value {fill_value!r} is beyond {dtype}'s range "
                             f"(±{np.finfo(dtype).max:.4g})")
    return np.full(shape, fill_value, dtype)

# -- filled ----------------------------------------------------------------------------------

def tensor(data: Any, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, names: Any = None) -> Tensor:
    """PyTorch's `torch.tensor`: a new leaf holding a copy of `data` (a number, nested lists, an
    ndarray or a Tensor). Python floats take the default dtype, ints int64, bools bool; an
    ndarray keeps its dtype. Unlike `Tensor(array)`, which shares the array, it always copies.

    >>> xs = tensor([0, 5, 13])                     # makemore's torch.tensor(xs): int64 labels
    >>> xs.dtype, tensor([[0.5, 1.0]]).dtype
    (dtype('int64'), dtype('float32'))
    >>> W = tensor([1.0, -2.0], requires_grad=True)
    >>> (W * W).sum().backward()
    >>> W.grad
    array([ 2., -4.], dtype=float32)
    """
    check_device("tensor", device)
    refuse_names("tensor", names)
    if dtype is not None:
        dtype = _dtype("tensor", dtype, None)
    copied = np.array(_to_array(data, dtype), copy=True)     # a Tensor's numbers: cut from its graph
    _can_require_grad("tensor", copied.dtype, requires_grad)
    return Tensor(copied, requires_grad=requires_grad)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """PyTorch's `torch.from_numpy`: a Tensor sharing the array's memory and keeping its dtype
    (as `Tensor(array)` does), so a change to one shows in the other; `tensor(data)` copies.

    >>> a = np.array([1.0, 2.0])
    >>> t = from_numpy(a)
    >>> a[0] = 5.0
    >>> t
    Tensor([5., 2.], dtype=float64)
    """
    if not isinstance(ndarray, np.ndarray):
        what = "a Tensor (it is one already)" if isinstance(ndarray, Tensor) else (
            type(ndarray).__name__)
        raise TypeError(f"from_numpy: expected a numpy ndarray, got {what}; "
                        f"autograd.tensor(data) makes a Tensor from numbers or lists")
    if ndarray.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: a Tensor holds bools, integers or floats, got an array of "
                        f"dtype {ndarray.dtype}")
    shared = Tensor(ndarray)
    share_with_numpy(shared)
    return shared


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """PyTorch's `torch.as_tensor`: `data` as a Tensor, sharing its memory when it can: a Tensor
    of that dtype is returned as it is, an ndarray of that dtype is shared (as `from_numpy`
    does); anything else (lists, numbers, another dtype) is converted, as `tensor` does.

    >>> a = np.array([1, 2, 3])
    >>> t = as_tensor(a)
    >>> a[0] = 7
    >>> t, as_tensor(t) is t, as_tensor([0.5, 1.0]).dtype
    (Tensor([7, 2, 3], dtype=int64), True, dtype('float32'))
    """
    check_device("as_tensor", device)
    if dtype is not None:
        dtype = _dtype("as_tensor", dtype, None)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def zeros(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: Any = None, names: Any = None) -> Tensor:
    """A tensor of zeros, in the default dtype unless given: `zeros(2, 3)`, `zeros((2, 3))` or
    `zeros(size=(2, 3))`.

    >>> zeros(2, 3).shape, zeros((2,), dtype=np.float64).data
    ((2, 3), array([0., 0.]))
    """
    check_device("zeros", device)
    refuse_names("zeros", names)
    shape = _sizes("zeros", sizes, size)
    dtype = _dtype("zeros", dtype, get_default_dtype())
    _can_require_grad("zeros", dtype, requires_grad)
    return Tensor(np.zeros(shape, dtype), requires_grad=requires_grad)


def ones(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
         device: Any = None, names: Any = None) -> Tensor:
    """A tensor of ones, in the default dtype unless given: `ones(2, 3)` or `ones((2, 3))`.

    >>> w = ones(3, requires_grad=True)
    >>> (w * w).sum().backward()
    >>> w.grad
    array([2., 2., 2.], dtype=float32)
    """
    check_device("ones", device)
    refuse_names("ones", names)
    shape = _sizes("ones", sizes, size)
    dtype = _dtype("ones", dtype, get_default_dtype())
    _can_require_grad("ones", dtype, requires_grad)
    return Tensor(np.ones(shape, dtype), requires_grad=requires_grad)


def empty(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: Any = None, names: Any = None) -> Tensor:
    """PyTorch's `torch.empty`, for code that fills the tensor next (`empty(n).uniform_()`).
    PyTorch leaves the memory as it was, so its numbers are whatever was there; glassgrad has
    no uninitialised memory and gives zeros (code that reads them before writing is wrong in
    PyTorch either way).

    >>> empty(2, 3).shape, empty(size=(2,), dtype=np.int64).dtype
    ((2, 3), dtype('int64'))
    """
    check_device("empty", device)
    refuse_names("empty", names)
    shape = _sizes("empty", sizes, size)
    dtype = _dtype("empty", dtype, get_default_dtype())
    _can_require_grad("empty", dtype, requires_grad)
    return Tensor(np.zeros(shape, dtype), requires_grad=requires_grad)


def full(size: Size, fill_value: Any, *, dtype: Any = None,
         requires_grad: bool = False, device: Any = None, names: Any = None) -> Tensor:
    """A tensor of shape `size` filled with `fill_value`; its dtype, unless given, follows the
    value as in PyTorch: a bool gives bool, an int int64, a float the default dtype.

    >>> full((2, 3), float("-inf")).data[0]          # a mask, for the entries softmax must skip
    array([-inf, -inf, -inf], dtype=float32)
    >>> full(2, 7).dtype
    dtype('int64')
    """
    check_device("full", device)
    refuse_names("full", names)
    shape = _sizes("full", (size,))
    fill_value = _fill_number("full", fill_value)
    if isinstance(fill_value, bool):
        default = np.bool_
    else:
        default = np.int64 if _is_int(fill_value) else get_default_dtype()
    dtype = _dtype("full", dtype, default)
    _can_require_grad("full", dtype, requires_grad)
    return Tensor(_filled("full", shape, fill_value, dtype), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None,
        requires_grad: bool = False, device: Any = None) -> Tensor:
    """The n×m matrix (n×n unless m is given) with ones on its diagonal, zeros elsewhere.

    >>> eye(2, 3).data
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    check_device("eye", device)
    n = _count("eye", "n", n)
    m = n if m is None else _count("eye", "m", m)
    dtype = _dtype("eye", dtype, get_default_dtype())
    _can_require_grad("eye", dtype, requires_grad)
    return Tensor(np.eye(n, m, dtype=dtype), requires_grad=requires_grad)


def full_like(input: Tensor | np.ndarray, fill_value: Any, *, dtype: Any = None,
              requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of `input`'s shape and dtype (unless given) filled with `fill_value`. As in
    PyTorch, it is a new leaf: it does not require grad because `input` does.

    >>> full_like(Tensor([1, 2, 3]), 2.7).data      # int64 input: the value is cut to an int
    array([2, 2, 2])
    """
    check_device("full_like", device)
    return _full_like("full_like", input, fill_value, dtype, requires_grad)


def _full_like(where: str, input: Any, fill_value: Any, dtype: Any,
               requires_grad: bool) -> Tensor:
    """full_like's work, its errors naming `where` (zeros_like, ones_like, ...)."""
    shape, input_dtype = _shape_and_dtype(where, input)
    fill_value = _fill_number(where, fill_value)
    dtype = _dtype(where, dtype, input_dtype)
    _can_require_grad(where, dtype, requires_grad)
    return Tensor(_filled(where, shape, fill_value, dtype), requires_grad=requires_grad)


def zeros_like(input: Tensor | np.ndarray, *, dtype: Any = None,
               requires_grad: bool = False, device: Any = None) -> Tensor:
    """Zeros of `input`'s shape and dtype (unless given), as `full_like(input, 0)`.

    >>> zeros_like(Tensor([[1.0, 2.0]])).data
    array([[0., 0.]], dtype=float32)
    """
    check_device("zeros_like", device)
    return _full_like("zeros_like", input, 0, dtype, requires_grad)


def ones_like(input: Tensor | np.ndarray, *, dtype: Any = None,
              requires_grad: bool = False, device: Any = None) -> Tensor:
    """Ones of `input`'s shape and dtype (unless given), as `full_like(input, 1)`.

    >>> ones_like(Tensor([1.0, 2.0]), dtype=np.int64).data
    array([1, 1])
    """
    check_device("ones_like", device)
    return _full_like("ones_like", input, 1, dtype, requires_grad)


def empty_like(input: Tensor | np.ndarray, *, dtype: Any = None,
               requires_grad: bool = False, device: Any = None) -> Tensor:
    """PyTorch's `torch.empty_like`: `input`'s shape and dtype (unless given), filled with zeros
    here (see `empty`).

    >>> empty_like(Tensor([[1, 2]])).dtype
    dtype('int64')
    """
    check_device("empty_like", device)
    return _full_like("empty_like", input, 0, dtype, requires_grad)


# -- ranges ----------------------------------------------------------------------------------

def arange(start: float | None = None, end: float | None = None, step: float = 1, *,
           dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """start, start + step, ... up to but not including end; `arange(n)` (or `arange(end=n)`)
    is 0 ... n - 1. As in PyTorch, int arguments give int64 and any float argument the default
    float dtype.

    >>> arange(5, 0, -2).data, arange(0, 1, 0.25).data
    (array([5, 3, 1]), array([0.  , 0.25, 0.5 , 0.75], dtype=float32))
    """
    check_device("arange", device)
    if end is None:
        if start is None:
            raise TypeError("arange: needs the end of the range: arange(end), arange(start, end) "
                            "or arange(start, end, step)")
        start, end = 0, start
    elif start is None:                                 # arange(end=n)
        start = 0
    start, end = _finite("arange", "start", start), _finite("arange", "end", end)
    step = _finite("arange", "step", step)
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if (end - start) * step < 0:
        raise ValueError(f"arange: step {step} goes away from end (start={start}, end={end}); "
                         f"counting down needs a negative step, counting up a positive one")
    every_int = all(_is_int(x) for x in (start, end, step))
    dtype = _dtype("arange", dtype, np.int64 if every_int else get_default_dtype())
    if dtype.kind not in "iuf":                 # numpy would count 0, 1, 1, ... in bool
        raise TypeError(f"arange: dtype must be an integer or floating dtype, got {dtype}")
    # PyTorch cuts a float step to an int and numpy cuts the float range's values: they
    # disagree (0, 1, 2, 3, 4 against 0, 1, 3, 4 for step 1.5), so neither is guessed here
    fractions = {name: value for name, value in (("start", start), ("end", end), ("step", step))
                 if value != math.trunc(value)}
    if dtype.kind in "iu" and fractions:
        given = ", ".join(f"{name}={value!r}" for name, value in fractions.items())
        raise ValueError(f"arange: an integer dtype ({dtype}) needs whole-number start, end "
                         f"and step, got {given}; arange(...).to(dtype) cuts the float range's "
                         f"values, arange(...).round() rounds them first")
    _can_require_grad("arange", dtype, requires_grad)
    # numpy counts the steps as PyTorch does, ceil((end - start) / step), in float64
    values = np.arange(start, end, step).astype(dtype, copy=False)
    return Tensor(values, requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """`steps` evenly spaced numbers from start to end, both included (PyTorch's `steps` is not
    optional), in the default float dtype unless given.

    >>> linspace(0, 1, 5).data
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    check_device("linspace", device)
    start, end = _finite("linspace", "start", start), _finite("linspace", "end", end)
    steps = _count("linspace", "steps", steps)
    dtype = _dtype("linspace", dtype, get_default_dtype())
    if dtype.kind in "iu":                      # numpy would wrap 300 round to 44 in uint8
        low, high = np.iinfo(dtype).min, np.iinfo(dtype).max
        if not low <= math.trunc(min(start, end)) <= math.trunc(max(start, end)) <= high:
            raise ValueError(f"linspace: start={start!r} to end={end!r} does not fit in {dtype} "
                             f"(integers from {low} to {high})")
    _can_require_grad("linspace", dtype, requires_grad)
    return Tensor(np.linspace(start, end, steps).astype(dtype, copy=False),
                  requires_grad=requires_grad)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """`base ** linspace(start, end, steps)`: `steps` numbers from base**start to base**end, both
    included, evenly spaced on a log scale (learning rates to try), in the default float dtype
    unless given; an integer dtype cuts the fractions off, as PyTorch does.

    >>> logspace(-3, 0, 4).data
    array([0.001, 0.01 , 0.1  , 1.   ], dtype=float32)
    >>> logspace(0, 3, 4, base=2).tolist()
    [1.0, 2.0, 4.0, 8.0]
    """
    check_device("logspace", device)
    start, end = _finite("logspace", "start", start), _finite("logspace", "end", end)
    steps = _count("logspace", "steps", steps)
    base = _finite("logspace", "base", base)
    dtype = _dtype("logspace", dtype, get_default_dtype())
    if dtype.kind not in "iuf":
        raise TypeError(f"logspace: dtype must be an integer or floating dtype, got {dtype}")
    _can_require_grad("logspace", dtype, requires_grad)
    # PyTorch's numbers: a negative base to a fractional power is nan, and a number beyond
    # the dtype's range (10**40 in float32) is inf, without numpy's warnings
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.power(float(base), np.linspace(start, end, steps))
        if dtype.kind in "iu":              # numpy would cast nan or 1e30 to any int at all
            low, high = np.iinfo(dtype).min, np.iinfo(dtype).max
            outside = ~np.isfinite(values) | (values < low) | (values >= high + 1.0)
            if outside.any():
                power = float(np.linspace(start, end, steps)[outside][0])
                value = float(values[outside][0])
                raise ValueError(f"logspace: {base!r} ** {power!r} = {value!r} does not fit in "
                                 f"{dtype} (integers from {low} to {high})")
        values = values.astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


# -- random draws ----------------------------------------------------------------------------
# Drawn in float64 and then cast, as nn.init does: a seed gives the same numbers (to rounding)
# whatever the dtype.

def randn(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: Any = None, generator: np.random.Generator | None = None,
          names: Any = None) -> Tensor:
    """Draws from the standard normal N(0, 1): `randn(2, 3)` or `randn((2, 3))`.

    >>> from autograd import Generator
    >>> g = Generator().manual_seed(2147483647)
    >>> a = randn(27, 27, generator=g)
    >>> b = randn((27, 27), generator=g.manual_seed(2147483647))
    >>> a.shape, a.dtype, np.array_equal(a.data, b.data)
    ((27, 27), dtype('float32'), True)
    """
    check_device("randn", device)
    refuse_names("randn", names)
    shape = _sizes("randn", sizes, size)
    dtype = _dtype("randn", dtype, get_default_dtype(), floating=True)
    rng = chosen_generator("randn", generator)
    return Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=requires_grad)


def rand(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
         device: Any = None, generator: np.random.Generator | None = None,
         names: Any = None) -> Tensor:
    """Draws from the uniform distribution on [0, 1): `rand(2, 3)` or `rand((2, 3))`.

    >>> x = rand(1000)
    >>> bool(((0 <= x.data) & (x.data < 1)).all())
    True
    """
    check_device("rand", device)
    refuse_names("rand", names)
    shape = _sizes("rand", sizes, size)
    dtype = _dtype("rand", dtype, get_default_dtype(), floating=True)
    rng = chosen_generator("rand", generator)
    values = rng.random(shape).astype(dtype)
    # a float64 draw within 2^-25 of 1 rounds to 1.0 in float32 (about one number in a
    # 1000×1000 draw every 30 calls, and one in 4096 in float16): keep them below 1
    np.minimum(values, np.nextafter(dtype.type(1), dtype.type(0)), out=values)
    return Tensor(values, requires_grad=requires_grad)


def randn_like(input: Tensor | np.ndarray, *, dtype: Any = None, requires_grad: bool = False,
               device: Any = None, generator: np.random.Generator | None = None) -> Tensor:
    """`randn` with `input`'s shape and dtype (unless given), which must be floating point.

    >>> randn_like(Tensor([[1.0, 2.0]])).shape
    (1, 2)
    """
    check_device("randn_like", device)
    shape, input_dtype = _shape_and_dtype("randn_like", input)
    dtype = _dtype("randn_like", dtype, input_dtype, floating=True)
    return randn(shape, dtype=dtype, requires_grad=requires_grad, generator=generator)


def randint(low: int = 0, high: Any = None, size: Any = None, *,
            generator: np.random.Generator | None = None, dtype: Any = None,
            requires_grad: bool = False, device: Any = None) -> Tensor:
    """Integers drawn uniformly from low, ..., high - 1, int64 unless `dtype` says otherwise:
    `randint(low, high, size)` or `randint(high, size)`, `size` a tuple, as in PyTorch.

    >>> ix = randint(0, 10, (32,))                   # a minibatch of row indices
    >>> ix.shape, ix.dtype, bool(((0 <= ix.data) & (ix.data < 10)).all())
    ((32,), dtype('int64'), True)
    """
    check_device("randint", device)
    low, high = _number(low), _number(high)
    if size is None and high is not None and not _is_int(high):   # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:                                           # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError(f"randint: size is missing: randint(low, high, size) or randint(high, "
                        f"size), with size a tuple such as (3,); got low={low!r}, "
                        f"high={high!r}")
    if not (_is_int(low) and _is_int(high)):
        raise TypeError(f"randint: low and high must be ints, got low={low!r}, high={high!r}")
    if not low < high:
        raise ValueError(f"randint: needs low < high (high is left out), got low={low}, "
                         f"high={high}")
    shape = _sizes("randint", (size,))
    dtype = _dtype("randint", dtype, np.int64)
    if dtype.kind not in "iuf":
        raise TypeError(f"randint: dtype must be an integer or floating dtype, got {dtype}")
    least, most = _whole_numbers(dtype)
    if not least <= low <= high - 1 <= most:
        raise ValueError(f"randint: low={low} to high - 1={high - 1} does not fit in {dtype} "
                         f"(from {least} to {most})")
    _can_require_grad("randint", dtype, requires_grad)
    rng = chosen_generator("randint", generator)
    values = rng.integers(low, high, shape, dtype=np.int64).astype(dtype, copy=False)
    return Tensor(values, requires_grad=requires_grad)


def rand_like(input: Tensor | np.ndarray, *, dtype: Any = None, requires_grad: bool = False,
              device: Any = None, generator: np.random.Generator | None = None) -> Tensor:
    """`rand` with `input`'s shape and dtype (unless given), which must be floating point.

    >>> rand_like(Tensor([[1.0, 2.0]])).shape
    (1, 2)
    """
    check_device("rand_like", device)
    shape, input_dtype = _shape_and_dtype("rand_like", input)
    dtype = _dtype("rand_like", dtype, input_dtype, floating=True)
    return rand(shape, dtype=dtype, requires_grad=requires_grad, generator=generator)


def randint_like(input: Tensor | np.ndarray, low: int = 0, high: Any = None, *,
                 dtype: Any = None, requires_grad: bool = False, device: Any = None,
                 generator: np.random.Generator | None = None) -> Tensor:
    """`randint` with `input`'s shape and dtype (unless given): `randint_like(x, high)` or
    `randint_like(x, low, high)`, high left out, as in PyTorch.

    >>> randint_like(Tensor([0.0, 0.0, 0.0]), 5, 6).tolist()
    [5.0, 5.0, 5.0]
    """
    check_device("randint_like", device)
    shape, input_dtype = _shape_and_dtype("randint_like", input)
    if high is None:                                    # randint_like(x, high)
        low, high = 0, low
    return randint(low, high, shape, dtype=input_dtype if dtype is None else dtype,
                   requires_grad=requires_grad, generator=generator)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *,
           generator: np.random.Generator | None = None, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Draws from N(mean, std²), PyTorch's `torch.normal` (std is the standard deviation, not
    the variance), in one of its forms:

    - `normal(mean, std, size)` with numbers: `size` draws, the default dtype unless given;
    - `normal(means, stds)`, `normal(means, std)` or `normal(mean, stds)` with tensors: one
      draw per element, in the broadcast shape, in the dtype of the mean (else of the stds).

    The draw is a constant: no gradient reaches mean or std (PyTorch's is zero). For a draw
    that passes gradients (the reparameterisation trick) write mean + std * randn_like(mean).

    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> x = normal(2.0, 3.0, size=(100000,))
    >>> round(float(x.mean()), 1), round(float(x.data.std()), 1)
    (2.0, 3.0)
    >>> normal(Tensor([0.0, 100.0]), 0.001).round().tolist()
    [0.0, 100.0]
    """
    check_device("normal", device)
    means, stds = _normal_parameter("mean", mean), _normal_parameter("std", std)
    tensors = [x for x in (mean, std) if isinstance(x, (Tensor, np.ndarray))]
    if tensors:
        if size is not None or dtype is not None or requires_grad:
            raise TypeError("normal: size=, dtype= and requires_grad= go with a number mean and "
                            "std only; with a tensor of means or stds the draw has their shape "
                            "and dtype (.to(dtype) converts it)")
        try:
            shape = np.broadcast_shapes(means.shape, stds.shape)
        except ValueError:
            raise ValueError(f"normal: the means' shape {means.shape} and the stds' shape "
                             f"{stds.shape} do not broadcast together") from None
        dtype = tensors[0].dtype
    else:
        if size is None:
            raise TypeError(f"normal: with a number mean ({mean!r}) and std ({std!r}) give "
                            f"size=, the shape of the draw, such as (3,)")
        shape = _sizes("normal", (size,))
        dtype = _dtype("normal", dtype, get_default_dtype(), floating=True)
    if not (stds >= 0).all():                           # (nan too)
        bad = stds[~(stds >= 0)].flat[0]
        raise ValueError(f"normal: std must be >= 0, got {float(bad)!r}")
    rng = chosen_generator("normal", generator)
    with np.errstate(over="ignore"):                    # 1e39 in float32: inf, as PyTorch's
        values = rng.normal(means, stds, shape).astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


def _normal_parameter(name: str, value: Any) -> np.ndarray:
    """A mean or std of `normal` as a float64 array: from a floating tensor, or a number."""
    if isinstance(value, (Tensor, np.ndarray)):
        array = value.data if isinstance(value, Tensor) else value
        if array.dtype.kind != "f":
            raise TypeError(f"normal: a tensor of {name}s must be floating point, got dtype "
                            f"{array.dtype} (as in PyTorch; .float() converts it)")
        return array.astype(np.float64)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"normal: {name} must be a number or a floating Tensor, got {value!r}")
    return np.asarray(value, dtype=np.float64)          # (inf and nan: judged by the caller)


def bernoulli(input: Any, p: float | None = None, *,
              generator: np.random.Generator | None = None) -> Tensor:
    """0 or 1 for each element, 1 with the probability the element gives (or `p` for every
    element, when given), in `input`'s dtype, as `torch.bernoulli`; a constant.

    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> coins = bernoulli(full((100000,), 0.3))         # 1 with probability 0.3
    >>> round(float(coins.mean()), 2), coins.dtype
    (0.3, dtype('float32'))
    """
    if not isinstance(input, (Tensor, np.ndarray)):
        raise TypeError(f"bernoulli: input must be a Tensor of probabilities, got "
                        f"{type(input).__name__}")
    probs = input.data if isinstance(input, Tensor) else input
    if p is None and probs.dtype.kind != "f":
        raise TypeError(f"bernoulli: input holds probabilities, which must be floating point; "
                        f"got dtype {probs.dtype} (as in PyTorch)")
    if p is not None and not isinstance(p, numbers.Real):   # the chance of each: in input
        raise TypeError(f"bernoulli: p must be a number, the chance of a 1 for every element, "
                        f"got {type(p).__name__}; pass a probability per element as input")
    rng = chosen_generator("bernoulli", generator)
    chance = _probabilities("bernoulli", probs if p is None else p)
    return Tensor((rng.random(probs.shape) < chance).astype(probs.dtype))


def _probabilities(where: str, p: Any) -> np.ndarray:
    """`p` as float64 numbers, each in [0, 1] (nan refused), or an error naming `where`."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (numbers.Real, np.ndarray, Tensor)):
        raise TypeError(f"{where}: p must be a probability or a Tensor of them, got {p!r}")
    chance = np.asarray(p.data if isinstance(p, Tensor) else p, dtype=np.float64)
    outside = ~((chance >= 0) & (chance <= 1))
    if outside.any():
        bad = float(chance[outside].flat[0])
        # a PixelCNN's or MADE's sampling loop hands over the network's logits
        hint = "" if np.isnan(bad) else (
            "; if these are logits, take torch.sigmoid(logits) first "
            "(torch.bernoulli(torch.sigmoid(logits)))")
        raise ValueError(f"{where}: probabilities must be in [0, 1], got {bad!r}{hint}")
    return chance


def poisson(input: Any, generator: np.random.Generator | None = None) -> Tensor:
    """A count drawn from Poisson(rate) for each rate in `input` (finite, >= 0), in `input`'s
    dtype, as `torch.poisson`; a constant.

    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> counts = poisson(full((100000,), 4.0))          # mean 4 and variance 4
    >>> round(float(counts.mean()), 1), round(float(counts.data.var()), 1)
    (4.0, 4.0)
    """
    if not isinstance(input, (Tensor, np.ndarray)):
        raise TypeError(f"poisson: input must be a Tensor of rates, got "
                        f"{type(input).__name__}")
    rates = input.data if isinstance(input, Tensor) else input
    if rates.dtype.kind != "f":
        raise TypeError(f"poisson: the rates must be floating point, got dtype {rates.dtype} "
                        f"(as in PyTorch)")
    # numpy refuses rates beyond about 1e19 with its own words; PyTorch gives garbage
    bad = ~((rates >= 0) & (rates <= 1e18))
    if bad.any():
        raise ValueError(f"poisson: rates must be finite, >= 0 and at most 1e18, got "
                         f"{float(rates[bad].flat[0])!r}")
    rng = chosen_generator("poisson", generator)
    return Tensor(rng.poisson(rates.astype(np.float64)).astype(rates.dtype))


def randperm(n: int, *, generator: np.random.Generator | None = None, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """0, ..., n - 1 in a random order, int64 unless `dtype` says otherwise, as in PyTorch.

    >>> perm = randperm(5)                  # e.g. to shuffle the rows of X: X[perm]
    >>> perm.dtype, sorted(perm.tolist())
    (dtype('int64'), [0, 1, 2, 3, 4])
    """
    check_device("randperm", device)
    n = _count("randperm", "n", n)
    dtype = _dtype("randperm", dtype, np.int64)
    if dtype.kind not in "iuf":
        raise TypeError(f"randperm: dtype must be an integer or floating dtype, got {dtype}")
    if dtype.kind in "iu" and n - 1 > np.iinfo(dtype).max:
        raise ValueError(f"randperm: n - 1 = {n - 1} does not fit in {dtype}")
    if dtype.kind == "f" and n - 1 > _exact_integers(dtype):   # 2049, 2051: both 2050 in float16
        raise ValueError(f"randperm: n - 1 = {n - 1} is beyond the integers {dtype} holds "
                         f"exactly (up to {_exact_integers(dtype)}); the permutation would "
                         f"repeat numbers")
    _can_require_grad("randperm", dtype, requires_grad)
    rng = chosen_generator("randperm", generator)
    return Tensor(rng.permutation(n).astype(dtype, copy=False), requires_grad=requires_grad)


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,
                generator: np.random.Generator | None = None) -> Tensor:
    """Draw `num_samples` category indices from the weights in `input`, as `torch.multinomial`:
    a 1-d input is one distribution, a 2-d input one per row (the result then has a row of
    indices each). Weights need not sum to 1, but must be finite and >= 0, with some > 0 in
    each row. Without replacement no index repeats, so a row needs `num_samples` categories of
    positive weight. The result is an int64 Tensor, a constant (sampling has no gradient).

    makemore's sampling step, with its generator:

    >>> from autograd import Generator
    >>> g = Generator().manual_seed(2147483647)
    >>> counts = Tensor([0.0, 3.0, 1.0])             # counts, not yet normalised
    >>> ix = multinomial(counts / counts.sum(), num_samples=1, replacement=True, generator=g)
    >>> ix.shape, ix.dtype, ix.item() in (1, 2)
    ((1,), dtype('int64'), True)
    """
    weights = np.asarray(input.data if isinstance(input, Tensor) else input)
    if weights.dtype.kind != "f":
        raise TypeError(f"multinomial: input must hold floating-point weights, got dtype "
                        f"{weights.dtype} (as in PyTorch; counts.float() converts counts)")
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-d (one distribution) or 2-d (one per "
                         f"row), got shape {weights.shape}")
    num_samples = _count("multinomial", "num_samples", num_samples, least=1)
    if not isinstance(replacement, (bool, np.bool_)):
        raise TypeError(f"multinomial: replacement must be True or False, got {replacement!r}")
    _check_weights(weights, num_samples, replacement)
    rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    rng = chosen_generator("multinomial", generator)
    rows = rows / rows.max(axis=1, keepdims=True)   # largest weight 1: sums cannot overflow
    if replacement:
        drawn = _draw_with_replacement(rows, num_samples, rng)
    else:
        drawn = _draw_without_replacement(rows, num_samples, rng)
    return Tensor(drawn.reshape(weights.shape[:-1] + (num_samples,)))


def _check_weights(weights: np.ndarray, num_samples: int, replacement: bool) -> None:
    """multinomial's errors: bad weights (naming the first), empty rows, too few categories."""
    if weights.size and (replacement or num_samples == 1):
        # the usual call, one draw from each row (an RL agent's action), is told fine by three
        # reductions (a NaN fails each comparison): the checks below took 13 of its 35 µs
        rows = weights.reshape(-1, weights.shape[-1])
        top = rows.max(axis=1)
        if rows.min() >= 0 and top.min() > 0 and top.max() < np.inf:
            return
    categories = weights.shape[-1]
    if categories == 0:
        raise ValueError(f"multinomial: there are no categories to draw from (input of shape "
                         f"{weights.shape})")
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        hint = (" (logits? draw from their softmax: probs = logits.softmax(dim=-1))"
                if np.isfinite(weights).all() else "")
        raise ValueError(f"multinomial: weights must be finite and >= 0, got {weights[at]} at "
                         f"index {at if len(at) > 1 else at[0]}{hint}")
    if not replacement and num_samples > categories:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {categories} categories (pass replacement=True to allow "
                         f"repeats)")
    positive = (weights > 0).reshape(-1, categories).sum(axis=1)
    if len(positive) == 0:                          # no rows: nothing to draw
        return
    fewest = int(np.argmin(positive))
    whose = "the weights" if weights.ndim == 1 else f"row {fewest}'s weights"
    if positive[fewest] == 0:
        raise ValueError(f"multinomial: {whose} are all zero; there is nothing to draw")
    if not replacement and positive[fewest] < num_samples:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement: "
                         f"{whose} give only {positive[fewest]} of the categories a positive "
                         f"weight")


def _draw_with_replacement(rows: np.ndarray, num_samples: int,
                           rng: np.random.Generator) -> np.ndarray:
    """Inverse CDF: a row's running sum, scaled to end at exactly 1, cuts [0, 1) into one
    stretch per category as long as its share of the weight (none for a zero weight); a uniform
    number falls into category i's stretch with probability w_i / Σw."""
    cumulative = np.cumsum(rows, axis=1)
    cumulative /= cumulative[:, -1:]
    uniform = rng.random((len(rows), num_samples))
    drawn = np.empty(uniform.shape, dtype=np.int64)
    for r in range(len(rows)):
        drawn[r] = np.searchsorted(cumulative[r], uniform[r], side="right")
    return drawn


def _draw_without_replacement(rows: np.ndarray, num_samples: int,
                              rng: np.random.Generator) -> np.ndarray:
    """Exponential alarm clocks: category i rings at time E_i / w_i, E_i ~ Exp(1). The first to
    ring is category i with probability w_i / Σw, and as exponential waits forget the time
    passed, the next is a draw from those left, and so on: the order in which they ring is a
    draw without replacement (a zero weight never rings: its time is infinite)."""
    with np.errstate(divide="ignore"):
        ring_times = rng.standard_exponential(rows.shape) / rows
    return np.argsort(ring_times, axis=1)[:, :num_samples].astype(np.int64)


# -- PyTorch's module functions about a tensor ------------------------------------------------

def is_tensor(obj: Any) -> bool:
    """True if `obj` is a Tensor (PyTorch's torch.is_tensor); a Value, a scalar node, is not.

    >>> is_tensor(Tensor([1.0])), is_tensor(np.ones(2))
    (True, False)
    """
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """How many numbers `input` holds: `input.numel()` (PyTorch's torch.numel).

    >>> numel(Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    6
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"numel: input must be a Tensor, got {type(input).__name__} "
                        f"(np.size(x) counts the numbers of anything else)")
    return input.numel()


class _VariableType(type):
    """What makes `isinstance(t, Variable)` true for every Tensor, as in PyTorch since 0.4."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableType):
    """PyTorch's old `torch.autograd.Variable(t, requires_grad=False)`, which EBM and GAN code
    of its time still writes (`Variable(x_k, requires_grad=True)` before a Langevin step): as
    in PyTorch, a Tensor, a new leaf over t's numbers (shared, not copied), wanting a gradient
    if asked. `volatile=` has had no effect since PyTorch 0.4: `no_grad()` replaced it.

    >>> x = Tensor([1.0, 2.0])
    >>> v = Variable(x, requires_grad=True)
    >>> v.requires_grad, v.is_leaf, isinstance(x, Variable), type(v).__name__
    (True, True, True, 'Tensor')
    """

    def __new__(cls, data: Tensor, requires_grad: bool = False,
                volatile: bool = False) -> Tensor:           # type: ignore[misc]
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable: data has to be a Tensor, got a {type(data).__name__} "
                            f"(autograd.tensor(data) makes one; a Variable is a Tensor since "
                            f"PyTorch 0.4, so autograd.tensor(data, requires_grad=True) is "
                            f"the modern spelling)")
        if volatile:
            warnings.warn("Variable: volatile was removed (PyTorch 0.4) and has no effect; use "
                          "`with autograd.no_grad():` instead", UserWarning, stacklevel=2)
        leaf = data.detach()
        if requires_grad:
            leaf.requires_grad_(True)
        return leaf
